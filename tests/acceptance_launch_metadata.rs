//! Acceptance tests for the EMR Launch metadata resources (seeds 000/001):
//! `emr_launch_profile` (created and declared roles), `emr_cluster_configuration`
//! and their data sources. Real Terraform (every binary from
//! `common::terraform_binaries()`) drives the built provider against moto.
//! Each step checks Terraform's state and what the emulator holds, read back
//! independently through aws-sdk-ssm and aws-sdk-iam.

mod common;

use common::{apply_saved_plan, assert_known_at_plan, plan_code, rejection_problems};
use common::{
    assert_same_policy, blocking_sdk, document, is_no_such_entity, json_attr, normalize,
    resource_change, terraform_binaries, Emulator, Workspace,
};

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{json, Value};

/// moto's account for the static test credentials.
const ACCOUNT: &str = "123456789012";

const PROVIDER: &str = r#"terraform {
  required_providers {
    emr = { source = "emrlaunch/emr" }
  }
}

provider "emr" {
  region       = "us-east-1"
  default_tags = { team = "data-platform" }
}
"#;

const PROFILE: &str = "emr_launch_profile.analytics";
const SMALL: &str = "emr_cluster_configuration.small";
const FLEET: &str = "emr_cluster_configuration.fleet";
const SC: &str = "emr_security_configuration.sc";

const PROFILE_PARAM: &str = "/emr_launch/emr_profiles/analytics/default";
const SMALL_PARAM: &str = "/emr_launch/cluster_configurations/analytics/small-spark";
const FLEET_PARAM: &str = "/emr_launch/cluster_configurations/analytics/fleet-spark";

const S3_READ_ONLY: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
const KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const HIVE_SECRET: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-metastore-AbCdEf";
const SPARK_SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:spark-auth-AbCdEf";
const HIVE_PASSWORD: &str = "javax.jdo.option.ConnectionPassword";
const KERBEROS_SECRET: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:kerberos-AbCdEf";

/// A security configuration, a profile with created roles, and two cluster
/// configurations (instance groups with every optional part; fleets in two
/// subnets).
const FULL: &str = r#"
resource "emr_security_configuration" "sc" {
  name = "launch-sc"

  runtime_roles {
    propagate_source_identity = true
  }
}

resource "emr_launch_profile" "analytics" {
  namespace   = "analytics"
  name        = "default"
  description = "Shared analytics clusters"

  instance_role_managed_policy_arns = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]

  security_groups {
    master  = "sg-0123456789abcdef0"
    workers = "sg-0123456789abcdef1"
    service = "sg-0123456789abcdef2"
  }
  security_configuration         = emr_security_configuration.sc.name
  logs_uri                       = "s3://acme-emr/logs/"
  artifacts_uri                  = "s3://acme-emr/artifacts/"
  s3_read                        = ["s3://datalake/curated/", "s3://datalake/raw/"]
  s3_write                       = ["s3://datalake/scratch/"]
  kms_key_arns                   = ["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
  kerberos_attributes_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:kerberos-AbCdEf"

  tags = { owner = "analytics" }
}

resource "emr_cluster_configuration" "small" {
  namespace     = "analytics"
  name          = "small-spark"
  description   = "Small Spark cluster"
  release_label = "emr-7.8.0"
  applications  = ["Spark", "Hive"]
  subnet_ids    = ["subnet-0abc1234"]

  instance_group {
    role           = "MASTER"
    instance_type  = "m5.xlarge"
    instance_count = 1
  }
  instance_group {
    role           = "CORE"
    instance_type  = "m5.2xlarge"
    instance_count = 2
    ebs {
      volume_type          = "gp3"
      size_gb              = 128
      volumes_per_instance = 1
    }
  }

  configurations_json = jsonencode([{
    Classification = "spark-defaults"
    Properties     = { "spark.executor.memory" = "4g" }
  }])
  bootstrap_action {
    name = "setup"
    path = "s3://acme-emr/artifacts/bootstrap.sh"
    args = ["--verbose"]
  }
  step_concurrency_level = 2
  idle_timeout_seconds   = 3600
  managed_scaling {
    unit_type              = "Instances"
    minimum_capacity_units = 2
    maximum_capacity_units = 10
  }
  secret_configuration {
    classification = "hive-site"
    property       = "javax.jdo.option.ConnectionPassword"
    secret_arn     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-metastore-AbCdEf"
  }
  secret_configuration {
    classification = "spark-defaults"
    property       = "spark.authenticate.secret"
    secret_arn     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:spark-auth-AbCdEf"
  }
  override {
    name    = "CoreInstanceCount"
    path    = "Instances.InstanceGroups[1].InstanceCount"
    minimum = 1
    maximum = 10
  }
  override {
    name           = "CoreInstanceType"
    path           = "Instances.InstanceGroups[1].InstanceType"
    allowed_values = ["m5.xlarge", "m5.2xlarge"]
  }
  tags = { cost-center = "42" }
}

resource "emr_cluster_configuration" "fleet" {
  namespace     = "analytics"
  name          = "fleet-spark"
  release_label = "emr-7.8.0"
  applications  = ["Spark"]
  subnet_ids    = ["subnet-0abc1234", "subnet-0def5678"]

  instance_fleet {
    role                      = "MASTER"
    target_on_demand_capacity = 1
    instance_type_config {
      instance_type = "m5.xlarge"
    }
  }
  instance_fleet {
    role                 = "CORE"
    target_spot_capacity = 4
    instance_type_config {
      instance_type                              = "m5.2xlarge"
      weighted_capacity                          = 2
      bid_price_as_percentage_of_on_demand_price = 60
    }
    instance_type_config {
      instance_type     = "r5.2xlarge"
      weighted_capacity = 2
      ebs {
        volume_type = "gp3"
        size_gb     = 64
      }
    }
  }
}
"#;

/// Another workspace that binds to the first one's metadata.
const READER: &str = r#"
data "emr_launch_profile" "p" {
  namespace = "analytics"
  name      = "default"
}

data "emr_cluster_configuration" "small" {
  namespace = "analytics"
  name      = "small-spark"
}

data "emr_cluster_configuration" "fleet" {
  namespace = "analytics"
  name      = "fleet-spark"
}

output "profile" {
  value = data.emr_launch_profile.p
}

output "small" {
  value = data.emr_cluster_configuration.small
}

output "fleet" {
  value = data.emr_cluster_configuration.fleet
}
"#;

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

fn instance_profile_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:instance-profile/{name}")
}

/// The created roles' names: `<namespace>-<name>-emr-<kind>`.
fn created_role(kind: &str) -> String {
    format!("analytics-default-emr-{kind}")
}

const KINDS: [&str; 3] = ["service", "instance", "autoscaling"];

/// The provenance tag on every role the provider creates, and its value on
/// the created roles of `analytics/default`.
const OWNER_TAG: &str = "emr-launch:managed-by";
const PROFILE_OWNER: &str = "emr_launch_profile/analytics/default";

// ---------------------------------------------------------------------------
// The emulator as seen through the AWS SDK
// ---------------------------------------------------------------------------

struct Aws {
    rt: tokio::runtime::Runtime,
    iam: aws_sdk_iam::Client,
    ssm: aws_sdk_ssm::Client,
}

/// A parameter as SSM holds it.
struct Parameter {
    value: String,
    arn: String,
}

/// Everything IAM holds about one role, for before/after comparisons.
#[derive(Debug, PartialEq)]
struct RoleSnapshot {
    arn: String,
    trust: Value,
    inline: BTreeMap<String, Value>,
    attached: BTreeSet<String>,
}

fn trust_doc(service: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole"
    }]})
}

impl Aws {
    fn new(emulator: &Emulator) -> Aws {
        let (rt, config) = blocking_sdk(emulator);
        Aws {
            rt,
            iam: aws_sdk_iam::Client::new(&config),
            ssm: aws_sdk_ssm::Client::new(&config),
        }
    }

    // -- SSM -------------------------------------------------------------------

    /// `None` when SSM says the parameter does not exist.
    fn parameter(&self, name: &str) -> Option<Parameter> {
        match self.rt.block_on(self.ssm.get_parameter().name(name).send()) {
            Ok(out) => {
                let p = out
                    .parameter()
                    .unwrap_or_else(|| panic!("GetParameter({name}) returned no parameter"));
                Some(Parameter {
                    value: p.value().unwrap_or_default().to_owned(),
                    arn: p.arn().unwrap_or_default().to_owned(),
                })
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_parameter_not_found()) =>
            {
                None
            }
            Err(e) => panic!("GetParameter({name}): {e:?}"),
        }
    }

    /// The stored document, parsed; panics when absent.
    fn stored(&self, name: &str, v: &str) -> Value {
        let p = self
            .parameter(name)
            .unwrap_or_else(|| panic!("[tf {v}] SSM has no parameter {name}"));
        serde_json::from_str(&p.value)
            .unwrap_or_else(|e| panic!("[tf {v}] {name} holds non-JSON ({e}): {}", p.value))
    }

    /// Overwrites a parameter behind Terraform's back.
    fn put_parameter(&self, name: &str, value: &str) {
        self.rt
            .block_on(
                self.ssm
                    .put_parameter()
                    .name(name)
                    .value(value)
                    .r#type(aws_sdk_ssm::types::ParameterType::String)
                    .overwrite(true)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("PutParameter({name}): {e:?}"));
    }

    fn parameter_tags(&self, name: &str) -> BTreeMap<String, String> {
        let out = self
            .rt
            .block_on(
                self.ssm
                    .list_tags_for_resource()
                    .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
                    .resource_id(name)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("ListTagsForResource({name}): {e:?}"));
        out.tag_list()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()
    }

    // -- IAM -------------------------------------------------------------------

    /// `None` when IAM says the role does not exist.
    fn role(&self, name: &str) -> Option<aws_sdk_iam::types::Role> {
        match self.rt.block_on(self.iam.get_role().role_name(name).send()) {
            Ok(out) => out.role().cloned(),
            Err(e) if is_no_such_entity(&e) => None,
            Err(e) => panic!("GetRole({name}): {e:?}"),
        }
    }

    fn snapshot(&self, name: &str) -> Option<RoleSnapshot> {
        let role = self.role(name)?;
        let trust = document(
            role.assume_role_policy_document().unwrap_or_default(),
            &format!("trust policy of {name}"),
        );
        let names = self
            .rt
            .block_on(self.iam.list_role_policies().role_name(name).send())
            .unwrap_or_else(|e| panic!("ListRolePolicies({name}): {e:?}"));
        let mut inline = BTreeMap::new();
        for p in names.policy_names() {
            let out = self
                .rt
                .block_on(
                    self.iam
                        .get_role_policy()
                        .role_name(name)
                        .policy_name(p)
                        .send(),
                )
                .unwrap_or_else(|e| panic!("GetRolePolicy({name}, {p}): {e:?}"));
            inline.insert(
                p.clone(),
                document(
                    out.policy_document(),
                    &format!("inline policy {p} of {name}"),
                ),
            );
        }
        let attached = self
            .rt
            .block_on(
                self.iam
                    .list_attached_role_policies()
                    .role_name(name)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("ListAttachedRolePolicies({name}): {e:?}"))
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect();
        Some(RoleSnapshot {
            arn: role.arn().to_owned(),
            trust,
            inline,
            attached,
        })
    }

    /// A created role's tags but the provenance tag, which must name the
    /// profile (and is never part of `tags_all`).
    fn user_role_tags(&self, name: &str, v: &str) -> BTreeMap<String, String> {
        let mut tags = self.role_tags(name);
        assert_eq!(
            tags.remove(OWNER_TAG).as_deref(),
            Some(PROFILE_OWNER),
            "[tf {v}] {name} carries the profile's provenance tag"
        );
        tags
    }

    fn role_tags(&self, name: &str) -> BTreeMap<String, String> {
        common::role_tags(&self.rt, &self.iam, name)
    }

    /// (ARN, role names) of an instance profile; `None` when it is absent.
    fn instance_profile(&self, name: &str) -> Option<(String, Vec<String>)> {
        match self.rt.block_on(
            self.iam
                .get_instance_profile()
                .instance_profile_name(name)
                .send(),
        ) {
            Ok(out) => out.instance_profile().map(|p| {
                (
                    p.arn().to_owned(),
                    p.roles().iter().map(|r| r.role_name().to_owned()).collect(),
                )
            }),
            Err(e) if is_no_such_entity(&e) => None,
            Err(e) => panic!("GetInstanceProfile({name}): {e:?}"),
        }
    }

    fn create_role(&self, name: &str, service: &str) {
        self.rt
            .block_on(
                self.iam
                    .create_role()
                    .role_name(name)
                    .assume_role_policy_document(trust_doc(service).to_string())
                    .send(),
            )
            .unwrap_or_else(|e| panic!("CreateRole({name}): {e:?}"));
    }

    fn put_inline(&self, role: &str, policy: &str, doc: &Value) {
        self.rt
            .block_on(
                self.iam
                    .put_role_policy()
                    .role_name(role)
                    .policy_name(policy)
                    .policy_document(doc.to_string())
                    .send(),
            )
            .unwrap_or_else(|e| panic!("PutRolePolicy({role}, {policy}): {e:?}"));
    }

    fn attach(&self, role: &str, arn: &str) {
        self.rt
            .block_on(
                self.iam
                    .attach_role_policy()
                    .role_name(role)
                    .policy_arn(arn)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("AttachRolePolicy({role}, {arn}): {e:?}"));
    }

    /// An instance profile holding `role`.
    fn create_instance_profile(&self, name: &str, role: &str) {
        self.rt.block_on(async {
            self.iam
                .create_instance_profile()
                .instance_profile_name(name)
                .send()
                .await
                .unwrap_or_else(|e| panic!("CreateInstanceProfile({name}): {e:?}"));
            self.iam
                .add_role_to_instance_profile()
                .instance_profile_name(name)
                .role_name(role)
                .send()
                .await
                .unwrap_or_else(|e| panic!("AddRoleToInstanceProfile({name}, {role}): {e:?}"));
        });
    }
}

// ---------------------------------------------------------------------------
// Comparison helpers
// ---------------------------------------------------------------------------

fn string_set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().expect("list of strings").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("map of strings").to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn no_resources_in_state(ws: &Workspace) -> bool {
    ws.state_json()["values"]["root_module"]["resources"]
        .as_array()
        .is_none_or(|r| r.is_empty())
}

fn actions(plan: &Value, addr: &str) -> Value {
    resource_change(plan, addr)["change"]["actions"].clone()
}

/// The addresses a saved plan changes (anything but no-op / read).
fn changed_addresses(plan: &Value) -> BTreeSet<String> {
    plan["resource_changes"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .filter(|c| {
                    c["change"]["actions"] != json!(["no-op"])
                        && c["change"]["actions"] != json!(["read"])
                })
                .map(|c| c["address"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Emulator vs state
// ---------------------------------------------------------------------------

/// SSM holds the document state says, at the ARN state says, with tags_all.
fn assert_parameter_matches(aws: &Aws, state: &Value, param: &str, v: &str) {
    assert_eq!(state["parameter_name"], json!(param), "[tf {v}] {state:#}");
    let p = aws
        .parameter(param)
        .unwrap_or_else(|| panic!("[tf {v}] SSM has no parameter {param}"));
    let stored: Value = serde_json::from_str(&p.value)
        .unwrap_or_else(|e| panic!("[tf {v}] {param} holds non-JSON ({e}): {}", p.value));
    assert_eq!(
        stored,
        json_attr(state, "metadata_json"),
        "[tf {v}] SSM {param} vs metadata_json in state"
    );
    assert_eq!(
        json!(p.arn),
        state["parameter_arn"],
        "[tf {v}] parameter_arn is SSM's ARN"
    );
    assert_eq!(
        aws.parameter_tags(param),
        string_map(&state["tags_all"]),
        "[tf {v}] tags of {param} vs tags_all"
    );
}

/// The created roles and instance profile are exactly what roles_json says.
fn assert_created_roles_match(aws: &Aws, state: &Value, v: &str) {
    let roles = json_attr(state, "roles_json");
    for kind in KINDS {
        let name = created_role(kind);
        let want = &roles[kind];
        assert_eq!(want["name"], json!(name), "[tf {v}] roles_json.{kind}.name");
        assert_eq!(
            want["arn"],
            json!(role_arn(&name)),
            "[tf {v}] roles_json.{kind}.arn"
        );
        let have = aws
            .snapshot(&name)
            .unwrap_or_else(|| panic!("[tf {v}] role {name} does not exist after apply"));
        assert_eq!(json!(have.arn), want["arn"], "[tf {v}] ARN of {name}");
        assert_same_policy(
            &have.trust,
            &want["trust_policy"],
            &format!("[tf {v}] trust policy of {name} vs roles_json.{kind}.trust_policy"),
        );
        let want_inline: BTreeMap<String, Value> = want["inline_policies"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        assert_eq!(
            have.inline.keys().collect::<Vec<_>>(),
            want_inline.keys().collect::<Vec<_>>(),
            "[tf {v}] inline policy names of {name}"
        );
        for (p, doc) in &want_inline {
            assert_same_policy(
                &have.inline[p],
                doc,
                &format!("[tf {v}] inline policy {p} of {name}"),
            );
        }
        assert_eq!(
            have.attached,
            string_set(&want["managed_policy_arns"]),
            "[tf {v}] managed policies attached to {name} vs roles_json"
        );
        assert_eq!(
            aws.user_role_tags(&name, v),
            string_map(&state["tags_all"]),
            "[tf {v}] tags of {name} (the provenance tag aside) vs tags_all"
        );
    }
    assert_eq!(
        state["service_role_arn"], roles["service"]["arn"],
        "[tf {v}] service_role_arn"
    );
    assert_eq!(
        state["instance_role_arn"], roles["instance"]["arn"],
        "[tf {v}] instance_role_arn"
    );
    assert_eq!(
        state["autoscaling_role_arn"], roles["autoscaling"]["arn"],
        "[tf {v}] autoscaling_role_arn"
    );
    assert_eq!(
        state["instance_profile_arn"], roles["instance"]["instance_profile_arn"],
        "[tf {v}] instance_profile_arn"
    );
    let instance = created_role("instance");
    let (arn, members) = aws
        .instance_profile(&instance)
        .unwrap_or_else(|| panic!("[tf {v}] instance profile {instance} does not exist"));
    assert_eq!(
        json!(arn),
        state["instance_profile_arn"],
        "[tf {v}] ARN of the instance profile"
    );
    assert_eq!(
        members,
        vec![instance.clone()],
        "[tf {v}] the instance profile holds exactly the instance role"
    );
}

/// What the profile's inputs must grant, in roles_json (least privilege).
fn assert_roles_json_content(state: &Value, v: &str) {
    let roles = json_attr(state, "roles_json");
    let text = roles.to_string();
    assert!(
        !text.contains(r#""Resource":"*""#) && !text.contains(r#""Resource":["*"]"#),
        "[tf {v}] a created role grants Resource \"*\": {roles:#}"
    );
    assert!(
        string_set(&roles["instance"]["managed_policy_arns"]).contains(S3_READ_ONLY),
        "[tf {v}] the customer managed policy is attached to the instance role: {roles:#}"
    );
    let instance = roles["instance"]["inline_policies"].to_string();
    for needle in [
        "arn:aws:s3:::acme-emr/logs/*",
        "arn:aws:s3:::acme-emr/artifacts/*",
        "arn:aws:s3:::datalake/curated/*",
        "arn:aws:s3:::datalake/raw/*",
        "arn:aws:s3:::datalake/scratch/*",
        KMS_KEY,
    ] {
        assert!(
            instance.contains(needle),
            "[tf {v}] the instance role's inline policy lacks {needle}: {instance}"
        );
    }
    // The service role passes exactly the profile's roles, to named services.
    let pass = normalize(&roles["service"]["inline_policies"]);
    let statements: Vec<Value> = pass
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .flat_map(|doc| match &doc["Statement"] {
            Value::Array(s) => s.clone(),
            one => vec![one.clone()],
        })
        .collect();
    let passes: Vec<&Value> = statements
        .iter()
        .filter(|s| s["Action"] == json!("iam:PassRole"))
        .collect();
    assert!(!passes.is_empty(), "[tf {v}] no PassRole: {pass:#}");
    for s in passes {
        assert!(
            s["Condition"]["StringEquals"]["iam:PassedToService"].is_string(),
            "[tf {v}] PassRole without iam:PassedToService: {s:#}"
        );
        let r = s["Resource"].as_str().unwrap_or_default();
        assert!(
            r == role_arn(&created_role("instance")) || r == role_arn(&created_role("autoscaling")),
            "[tf {v}] PassRole of {r}, not of the profile's roles: {s:#}"
        );
    }
    for kind in ["service", "autoscaling"] {
        let trust = normalize(&roles[kind]["trust_policy"]);
        assert_eq!(
            trust["Statement"]["Condition"]["StringEquals"]["aws:SourceAccount"],
            json!(ACCOUNT),
            "[tf {v}] trust of the {kind} role carries aws:SourceAccount: {trust:#}"
        );
    }
}

/// The profile's metadata document says what the configuration says.
fn assert_profile_metadata(state: &Value, v: &str) {
    let doc = json_attr(state, "metadata_json");
    let want = json!({
        "Namespace": "analytics",
        "Name": "default",
        "Description": "Shared analytics clusters",
        "ServiceRole": role_arn(&created_role("service")),
        "InstanceRole": role_arn(&created_role("instance")),
        "InstanceProfile": instance_profile_arn(&created_role("instance")),
        "AutoScalingRole": role_arn(&created_role("autoscaling")),
        "RolesCreated": true,
        "SecurityGroups": {
            "MasterGroup": "sg-0123456789abcdef0",
            "WorkersGroup": "sg-0123456789abcdef1",
            "ServiceGroup": "sg-0123456789abcdef2"
        },
        "SecurityConfiguration": "launch-sc",
        "LogsUri": "s3://acme-emr/logs/",
        "ArtifactsUri": "s3://acme-emr/artifacts/",
        "S3Read": ["s3://datalake/curated/", "s3://datalake/raw/"],
        "S3Write": ["s3://datalake/scratch/"],
        "KmsKeyArns": [KMS_KEY],
        "KerberosAttributesSecretArn": KERBEROS_SECRET,
    });
    // Lists from sets are compared as sets.
    assert_eq!(
        normalize(&doc),
        normalize(&want),
        "[tf {v}] profile metadata_json\n actual: {doc:#}\n expected: {want:#}"
    );
}

fn assert_small_metadata(state: &Value, v: &str) {
    let doc = json_attr(state, "metadata_json");
    let rjf = json_attr(state, "run_job_flow_json");
    assert_eq!(
        doc["RunJobFlow"], rjf,
        "[tf {v}] metadata holds the request"
    );
    assert_eq!(doc["Namespace"], json!("analytics"), "[tf {v}] {doc:#}");
    assert_eq!(doc["Name"], json!("small-spark"), "[tf {v}] {doc:#}");
    assert_eq!(
        doc["Description"],
        json!("Small Spark cluster"),
        "[tf {v}] {doc:#}"
    );
    assert_eq!(rjf["ReleaseLabel"], json!("emr-7.8.0"), "[tf {v}] {rjf:#}");
    assert_eq!(
        normalize(&rjf["Applications"]),
        normalize(&json!([{"Name": "Spark"}, {"Name": "Hive"}])),
        "[tf {v}] {rjf:#}"
    );
    let inst = &rjf["Instances"];
    assert_eq!(
        inst["Ec2SubnetId"],
        json!("subnet-0abc1234"),
        "[tf {v}] {rjf:#}"
    );
    let groups = inst["InstanceGroups"].as_array().expect("InstanceGroups");
    assert_eq!(groups.len(), 2, "[tf {v}] {rjf:#}");
    assert_eq!(groups[0]["InstanceRole"], json!("MASTER"), "[tf {v}]");
    assert_eq!(groups[0]["InstanceType"], json!("m5.xlarge"), "[tf {v}]");
    assert_eq!(groups[0]["InstanceCount"], json!(1), "[tf {v}]");
    assert_eq!(groups[1]["InstanceRole"], json!("CORE"), "[tf {v}]");
    assert_eq!(groups[1]["InstanceCount"], json!(2), "[tf {v}]");
    assert_eq!(
        groups[1]["EbsConfiguration"],
        json!({"EbsBlockDeviceConfigs": [{
            "VolumeSpecification": {"VolumeType": "gp3", "SizeInGB": 128},
            "VolumesPerInstance": 1
        }]}),
        "[tf {v}] {rjf:#}"
    );
    // Secrets through EMR's Secrets Manager integration: the ARN under
    // "EMR.secret@<property>", merged into an existing classification or in
    // a new entry for it.
    assert_eq!(
        rjf["Configurations"],
        json!([{"Classification": "spark-defaults",
                "Properties": {"spark.executor.memory": "4g",
                               "EMR.secret@spark.authenticate.secret": SPARK_SECRET}},
               {"Classification": "hive-site",
                "Properties": {"EMR.secret@javax.jdo.option.ConnectionPassword": HIVE_SECRET}}]),
        "[tf {v}] {rjf:#}"
    );
    assert_eq!(
        rjf["BootstrapActions"],
        json!([{"Name": "setup", "ScriptBootstrapAction": {
            "Path": "s3://acme-emr/artifacts/bootstrap.sh", "Args": ["--verbose"]}}]),
        "[tf {v}] {rjf:#}"
    );
    assert_eq!(rjf["StepConcurrencyLevel"], json!(2), "[tf {v}] {rjf:#}");
    assert_eq!(
        rjf["AutoTerminationPolicy"],
        json!({"IdleTimeout": 3600}),
        "[tf {v}] {rjf:#}"
    );
    assert_eq!(
        rjf["ManagedScalingPolicy"],
        json!({"ComputeLimits": {"UnitType": "Instances",
               "MinimumCapacityUnits": 2, "MaximumCapacityUnits": 10}}),
        "[tf {v}] {rjf:#}"
    );
    assert_eq!(
        normalize(&rjf["Tags"]),
        normalize(&json!([{"Key": "cost-center", "Value": "42"},
                          {"Key": "team", "Value": "data-platform"}])),
        "[tf {v}] cluster tags include default_tags: {rjf:#}"
    );
    assert_eq!(
        doc["SecretConfigurations"],
        json!([{"Classification": "hive-site", "Property": HIVE_PASSWORD,
                "SecretArn": HIVE_SECRET},
               {"Classification": "spark-defaults", "Property": "spark.authenticate.secret",
                "SecretArn": SPARK_SECRET}]),
        "[tf {v}] {doc:#}"
    );
    assert_eq!(
        doc["Overrides"],
        json!([{"Name": "CoreInstanceCount",
                "Path": "Instances.InstanceGroups[1].InstanceCount",
                "Minimum": 1, "Maximum": 10},
               {"Name": "CoreInstanceType",
                "Path": "Instances.InstanceGroups[1].InstanceType",
                "AllowedValues": ["m5.xlarge", "m5.2xlarge"]}]),
        "[tf {v}] {doc:#}"
    );
    assert_eq!(
        state["secret_arns"],
        json!([HIVE_SECRET, SPARK_SECRET]),
        "[tf {v}] secret_arns: distinct, sorted"
    );
    let text = state["metadata_json"].as_str().unwrap_or_default();
    assert!(
        !text.contains("SecretString") && !text.contains("SecretValue"),
        "[tf {v}] metadata holds no secret values: {text}"
    );
}

fn assert_fleet_metadata(state: &Value, v: &str) {
    let doc = json_attr(state, "metadata_json");
    let rjf = json_attr(state, "run_job_flow_json");
    assert_eq!(
        doc["RunJobFlow"], rjf,
        "[tf {v}] metadata holds the request"
    );
    let inst = &rjf["Instances"];
    assert_eq!(
        inst["Ec2SubnetIds"],
        json!(["subnet-0abc1234", "subnet-0def5678"]),
        "[tf {v}] both subnets: {rjf:#}"
    );
    assert!(
        inst.get("Ec2SubnetId").is_none() && inst.get("InstanceGroups").is_none(),
        "[tf {v}] a fleet configuration has no Ec2SubnetId / InstanceGroups: {rjf:#}"
    );
    let fleets = inst["InstanceFleets"].as_array().expect("InstanceFleets");
    assert_eq!(fleets.len(), 2, "[tf {v}] {rjf:#}");
    assert_eq!(fleets[0]["InstanceFleetType"], json!("MASTER"), "[tf {v}]");
    assert_eq!(fleets[0]["TargetOnDemandCapacity"], json!(1), "[tf {v}]");
    assert_eq!(fleets[1]["InstanceFleetType"], json!("CORE"), "[tf {v}]");
    assert_eq!(fleets[1]["TargetSpotCapacity"], json!(4), "[tf {v}]");
    let types = fleets[1]["InstanceTypeConfigs"].as_array().expect("types");
    assert_eq!(types.len(), 2, "[tf {v}] {rjf:#}");
    assert_eq!(
        types[0]["BidPriceAsPercentageOfOnDemandPrice"],
        json!(60),
        "[tf {v}] {rjf:#}"
    );
    assert_eq!(types[1]["InstanceType"], json!("r5.2xlarge"), "[tf {v}]");
    assert_eq!(
        types[1]["EbsConfiguration"]["EbsBlockDeviceConfigs"][0]["VolumeSpecification"]["SizeInGB"],
        json!(64),
        "[tf {v}] {rjf:#}"
    );
    assert_eq!(state["secret_arns"], json!([]), "[tf {v}] secret_arns");
    assert!(doc.get("Overrides").is_none(), "[tf {v}] {doc:#}");
}

/// Everything the first workspace applied is in the emulator as state says.
fn assert_applied(aws: &Aws, ws: &Workspace, v: &str) {
    let profile = ws.resource_values(PROFILE);
    assert_eq!(profile["id"], json!("analytics/default"), "[tf {v}]");
    assert_parameter_matches(aws, &profile, PROFILE_PARAM, v);
    assert_eq!(
        string_map(&profile["tags_all"]),
        BTreeMap::from([
            ("owner".to_owned(), "analytics".to_owned()),
            ("team".to_owned(), "data-platform".to_owned()),
        ]),
        "[tf {v}] profile tags_all merges default_tags"
    );
    assert_profile_metadata(&profile, v);
    assert_created_roles_match(aws, &profile, v);
    assert_roles_json_content(&profile, v);

    let small = ws.resource_values(SMALL);
    assert_eq!(small["id"], json!("analytics/small-spark"), "[tf {v}]");
    assert_parameter_matches(aws, &small, SMALL_PARAM, v);
    assert_small_metadata(&small, v);

    let fleet = ws.resource_values(FLEET);
    assert_eq!(fleet["id"], json!("analytics/fleet-spark"), "[tf {v}]");
    assert_parameter_matches(aws, &fleet, FLEET_PARAM, v);
    assert_fleet_metadata(&fleet, v);
}

// ---------------------------------------------------------------------------
// 1. Apply, tamper detection and repair, data sources, import, destroy
// ---------------------------------------------------------------------------

#[test]
fn launch_metadata_lifecycle() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        lifecycle(&terraform, &emulator, &aws);
    }
}

fn lifecycle(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    let ws = Workspace::new(terraform, emulator, &format!("{PROVIDER}{FULL}"));
    let v = ws.version().to_owned();

    // Step 1: before anything exists, the plan shows every ARN, policy and
    // document the apply will write.
    let (plan, _) = ws.plan_json();
    for addr in [PROFILE, SMALL, FLEET, SC] {
        assert_eq!(actions(&plan, addr), json!(["create"]), "[tf {v}] {addr}");
    }
    assert_known_at_plan(
        &plan,
        PROFILE,
        &[
            "id",
            "parameter_name",
            "parameter_arn",
            "service_role_arn",
            "instance_role_arn",
            "instance_profile_arn",
            "autoscaling_role_arn",
            "metadata_json",
            "roles_json",
        ],
        &v,
    );
    for addr in [SMALL, FLEET] {
        assert_known_at_plan(
            &plan,
            addr,
            &[
                "id",
                "parameter_name",
                "parameter_arn",
                "metadata_json",
                "run_job_flow_json",
                "secret_arns",
            ],
            &v,
        );
    }
    let planned_profile = resource_change(&plan, PROFILE)["change"]["after"].clone();
    assert_eq!(
        planned_profile["instance_profile_arn"],
        json!(instance_profile_arn(&created_role("instance"))),
        "[tf {v}] planned instance_profile_arn"
    );
    assert_profile_metadata(&planned_profile, &v);
    assert_roles_json_content(&planned_profile, &v);
    let planned_small = resource_change(&plan, SMALL)["change"]["after"].clone();
    assert_small_metadata(&planned_small, &v);
    let planned_fleet = resource_change(&plan, FLEET)["change"]["after"].clone();
    assert_fleet_metadata(&planned_fleet, &v);

    // Step 2: apply exactly that plan; SSM and IAM hold what state says.
    apply_saved_plan(&ws);
    assert_applied(aws, &ws, &v);
    for (addr, planned) in [
        (PROFILE, &planned_profile),
        (SMALL, &planned_small),
        (FLEET, &planned_fleet),
    ] {
        let state = ws.resource_values(addr);
        for k in ["metadata_json", "roles_json", "run_job_flow_json"] {
            if planned.get(k).is_some() {
                assert_eq!(
                    state[k], planned[k],
                    "[tf {v}] {addr}.{k}: applied == planned"
                );
            }
        }
    }
    plan_code(&ws, 0, "re-plan after apply");

    // Step 3: the same document re-formatted in SSM is no change.
    let pretty = serde_json::to_string_pretty(&aws.stored(PROFILE_PARAM, &v)).unwrap();
    aws.put_parameter(PROFILE_PARAM, &pretty);
    plan_code(&ws, 0, "a whitespace-only rewrite of the stored profile");

    // Step 4 (seed 001 threat 2): someone points the profile at another
    // instance profile. The plan shows it, apply restores the stored document.
    aws.create_role("attacker-ec2", "ec2.amazonaws.com");
    aws.create_instance_profile("attacker-profile", "attacker-ec2");
    let expected_profile_doc = json_attr(&ws.resource_values(PROFILE), "metadata_json");
    let mut tampered = aws.stored(PROFILE_PARAM, &v);
    tampered["InstanceProfile"] = json!(instance_profile_arn("attacker-profile"));
    aws.put_parameter(PROFILE_PARAM, &tampered.to_string());
    let out = plan_code(&ws, 2, "the tampered profile must show as a change");
    assert!(
        out.stdout.contains("metadata_json"),
        "[tf {v}] the plan must name metadata_json:\n{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("attacker-profile"),
        "[tf {v}] the plan must show the tampered value:\n{}",
        out.stdout
    );
    let (plan, _) = ws.plan_json();
    assert_eq!(
        changed_addresses(&plan),
        BTreeSet::from([PROFILE.to_owned()]),
        "[tf {v}] only the profile changes"
    );
    assert_eq!(actions(&plan, PROFILE), json!(["update"]), "[tf {v}]");
    apply_saved_plan(&ws);
    assert_eq!(
        aws.stored(PROFILE_PARAM, &v),
        expected_profile_doc,
        "[tf {v}] apply restored the profile document"
    );
    assert_parameter_matches(aws, &ws.resource_values(PROFILE), PROFILE_PARAM, &v);
    plan_code(&ws, 0, "re-plan after restoring the profile");

    // Step 5: same for a cluster configuration: a raised override bound.
    let expected_small_doc = json_attr(&ws.resource_values(SMALL), "metadata_json");
    let mut tampered = aws.stored(SMALL_PARAM, &v);
    tampered["Overrides"][0]["Maximum"] = json!(500);
    aws.put_parameter(SMALL_PARAM, &tampered.to_string());
    let out = plan_code(&ws, 2, "the tampered configuration must show as a change");
    assert!(
        out.stdout.contains("metadata_json") && out.stdout.contains("500"),
        "[tf {v}] the plan must name metadata_json and show Maximum 500:\n{}",
        out.stdout
    );
    let (plan, _) = ws.plan_json();
    assert_eq!(
        changed_addresses(&plan),
        BTreeSet::from([SMALL.to_owned()]),
        "[tf {v}] only the configuration changes"
    );
    apply_saved_plan(&ws);
    assert_eq!(
        aws.stored(SMALL_PARAM, &v),
        expected_small_doc,
        "[tf {v}] apply restored the configuration document"
    );
    plan_code(&ws, 0, "re-plan after restoring the configuration");
    assert_applied(aws, &ws, &v);

    // Step 6: another workspace reads the same values through data sources.
    let reader = Workspace::new(terraform, emulator, &format!("{PROVIDER}{READER}"));
    reader.apply();
    let outputs = reader.state_json()["values"]["outputs"].clone();
    let profile = ws.resource_values(PROFILE);
    let read = &outputs["profile"]["value"];
    for k in [
        "id",
        "parameter_name",
        "parameter_arn",
        "service_role_arn",
        "instance_role_arn",
        "instance_profile_arn",
        "autoscaling_role_arn",
        "metadata_json",
    ] {
        assert_eq!(
            read[k], profile[k],
            "[tf {v}] data.emr_launch_profile {k} vs the first workspace's state"
        );
    }
    for (out, addr) in [("small", SMALL), ("fleet", FLEET)] {
        let state = ws.resource_values(addr);
        let read = &outputs[out]["value"];
        for k in [
            "id",
            "parameter_name",
            "parameter_arn",
            "metadata_json",
            "run_job_flow_json",
            "secret_arns",
        ] {
            assert_eq!(
                read[k], state[k],
                "[tf {v}] data.emr_cluster_configuration.{out} {k} vs the first workspace's state"
            );
        }
    }
    plan_code(&reader, 0, "the reader workspace re-plans empty");

    // Step 7: import by "namespace/name" gives back the same state.
    let before: BTreeMap<&str, Value> = [PROFILE, SMALL, FLEET]
        .into_iter()
        .map(|a| (a, ws.resource_values(a)))
        .collect();
    for (addr, id) in [
        (PROFILE, "analytics/default"),
        (SMALL, "analytics/small-spark"),
        (FLEET, "analytics/fleet-spark"),
    ] {
        ws.state_rm(addr);
        ws.import(addr, id);
        let imported = ws.resource_values(addr);
        let mut differ = Vec::new();
        for (k, want) in before[addr].as_object().unwrap() {
            if &imported[k] != want {
                differ.push(format!("{k}: imported {} vs {}", imported[k], want));
            }
        }
        assert!(
            differ.is_empty(),
            "[tf {v}] import of {addr} ({id}) differs from the applied state:\n{}",
            differ.join("\n")
        );
    }
    plan_code(&ws, 0, "plan after import");

    // Step 8: destroy removes the parameters, the created roles and the
    // instance profile, and nothing of anyone else's.
    ws.destroy();
    assert!(no_resources_in_state(&ws), "[tf {v}] state after destroy");
    for p in [PROFILE_PARAM, SMALL_PARAM, FLEET_PARAM] {
        assert!(
            aws.parameter(p).is_none(),
            "[tf {v}] parameter {p} left after destroy"
        );
    }
    for kind in KINDS {
        let name = created_role(kind);
        assert!(
            aws.role(&name).is_none(),
            "[tf {v}] role {name} left after destroy"
        );
    }
    assert!(
        aws.instance_profile(&created_role("instance")).is_none(),
        "[tf {v}] instance profile left after destroy"
    );
    assert_eq!(
        aws.instance_profile("attacker-profile").map(|p| p.1),
        Some(vec!["attacker-ec2".to_owned()]),
        "[tf {v}] destroy touched an instance profile it does not manage"
    );
}

// ---------------------------------------------------------------------------
// 2. A profile with declared roles: looked up at plan, never modified
// ---------------------------------------------------------------------------

const DECLARED: &str = "emr_launch_profile.declared";
const DECLARED_PARAM: &str = "/emr_launch/emr_profiles/analytics/declared";
const CUST_SERVICE: &str = "acme-emr-service";
const CUST_INSTANCE: &str = "acme-emr-ec2";
const CUST_PROFILE: &str = "acme-emr-ec2-profile";
const CUST_AUTOSCALING: &str = "acme-emr-autoscaling";

const DECLARED_HCL: &str = r#"
resource "emr_launch_profile" "declared" {
  namespace   = "analytics"
  name        = "declared"
  description = "Customer roles"

  roles {
    service_role_arn     = "arn:aws:iam::123456789012:role/acme-emr-service"
    instance_profile_arn = "arn:aws:iam::123456789012:instance-profile/acme-emr-ec2-profile"
    autoscaling_role_arn = "arn:aws:iam::123456789012:role/acme-emr-autoscaling"
  }
  security_groups {
    master  = "sg-0123456789abcdef0"
    workers = "sg-0123456789abcdef1"
  }
  logs_uri = "s3://acme-emr/logs/"
  tags     = { owner = "platform" }
}
"#;

/// The customer's roles, each with a policy of its own.
fn create_customer_roles(aws: &Aws) {
    aws.create_role(CUST_SERVICE, "elasticmapreduce.amazonaws.com");
    aws.attach(
        CUST_SERVICE,
        "arn:aws:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2",
    );
    aws.create_role(CUST_INSTANCE, "ec2.amazonaws.com");
    aws.put_inline(
        CUST_INSTANCE,
        "own-logs",
        &json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::acme-emr/logs/*"}]}),
    );
    aws.attach(CUST_INSTANCE, S3_READ_ONLY);
    aws.create_instance_profile(CUST_PROFILE, CUST_INSTANCE);
    aws.create_role(CUST_AUTOSCALING, "application-autoscaling.amazonaws.com");
    aws.attach(
        CUST_AUTOSCALING,
        "arn:aws:iam::aws:policy/service-role/AmazonElasticMapReduceforAutoScalingRole",
    );
}

fn customer_snapshot(aws: &Aws) -> BTreeMap<&'static str, Option<RoleSnapshot>> {
    [CUST_SERVICE, CUST_INSTANCE, CUST_AUTOSCALING]
        .into_iter()
        .map(|r| (r, aws.snapshot(r)))
        .collect()
}

#[test]
fn launch_profile_declared_roles() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        declared_roles(&terraform, &emulator, &aws);
    }
}

fn declared_roles(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    create_customer_roles(aws);
    let customer = customer_snapshot(aws);
    assert!(customer.values().all(Option::is_some));
    let ws = Workspace::new(terraform, emulator, &format!("{PROVIDER}{DECLARED_HCL}"));
    let v = ws.version().to_owned();

    // Plan: the instance role is looked up in the instance profile (a
    // read-only call), and everything is known.
    emulator.start_recording();
    let (plan, _) = ws.plan_json();
    let recorded = emulator.recorded_actions();
    assert!(
        recorded.iter().any(|a| a == "GetInstanceProfile"),
        "[tf {v}] plan did not look up the instance profile: {recorded:?}"
    );
    assert_eq!(
        emulator.mutating_actions(),
        Vec::<String>::new(),
        "[tf {v}] planning must not change anything; recorded {recorded:?}"
    );
    emulator.stop_recording();
    assert_eq!(actions(&plan, DECLARED), json!(["create"]), "[tf {v}]");
    assert_known_at_plan(
        &plan,
        DECLARED,
        &[
            "service_role_arn",
            "instance_role_arn",
            "instance_profile_arn",
            "autoscaling_role_arn",
            "metadata_json",
            "roles_json",
        ],
        &v,
    );
    let after = resource_change(&plan, DECLARED)["change"]["after"].clone();
    assert_eq!(
        after["instance_role_arn"],
        json!(role_arn(CUST_INSTANCE)),
        "[tf {v}] instance_role_arn is the role inside the declared instance profile"
    );
    assert_eq!(after["service_role_arn"], json!(role_arn(CUST_SERVICE)));
    assert_eq!(
        after["instance_profile_arn"],
        json!(instance_profile_arn(CUST_PROFILE))
    );
    assert_eq!(
        after["autoscaling_role_arn"],
        json!(role_arn(CUST_AUTOSCALING))
    );
    assert_eq!(
        after["roles_json"],
        json!("{}"),
        "[tf {v}] nothing is created"
    );
    let doc = json_attr(&after, "metadata_json");
    assert_eq!(
        doc,
        json!({
            "Namespace": "analytics",
            "Name": "declared",
            "Description": "Customer roles",
            "ServiceRole": role_arn(CUST_SERVICE),
            "InstanceProfile": instance_profile_arn(CUST_PROFILE),
            "InstanceRole": role_arn(CUST_INSTANCE),
            "AutoScalingRole": role_arn(CUST_AUTOSCALING),
            "RolesCreated": false,
            "SecurityGroups": {"MasterGroup": "sg-0123456789abcdef0",
                               "WorkersGroup": "sg-0123456789abcdef1"},
            "LogsUri": "s3://acme-emr/logs/",
        }),
        "[tf {v}] planned metadata_json"
    );

    // Apply: SSM holds it, no role was created or changed.
    apply_saved_plan(&ws);
    let state = ws.resource_values(DECLARED);
    assert_parameter_matches(aws, &state, DECLARED_PARAM, &v);
    for kind in KINDS {
        let name = format!("analytics-declared-emr-{kind}");
        assert!(
            aws.role(&name).is_none(),
            "[tf {v}] a declared-roles profile created {name}"
        );
    }
    assert_eq!(
        customer_snapshot(aws),
        customer,
        "[tf {v}] apply changed the customer's roles"
    );
    plan_code(&ws, 0, "re-plan after apply");

    // Import by namespace/name restores the roles block.
    ws.state_rm(DECLARED);
    ws.import(DECLARED, "analytics/declared");
    let imported = ws.resource_values(DECLARED);
    for k in [
        "roles",
        "service_role_arn",
        "instance_role_arn",
        "instance_profile_arn",
        "autoscaling_role_arn",
        "metadata_json",
        "roles_json",
        "tags",
    ] {
        assert_eq!(imported[k], state[k], "[tf {v}] imported {k}");
    }
    plan_code(&ws, 0, "plan after import");

    // Destroy: the parameter goes, the customer's roles stay as they were.
    ws.destroy();
    assert!(no_resources_in_state(&ws), "[tf {v}] state after destroy");
    assert!(
        aws.parameter(DECLARED_PARAM).is_none(),
        "[tf {v}] parameter left after destroy"
    );
    assert_eq!(
        customer_snapshot(aws),
        customer,
        "[tf {v}] destroy changed or removed the customer's roles"
    );
    assert_eq!(
        aws.instance_profile(CUST_PROFILE).map(|p| p.1),
        Some(vec![CUST_INSTANCE.to_owned()]),
        "[tf {v}] the customer's instance profile must survive destroy with its role"
    );
}

// ---------------------------------------------------------------------------
// 3. Tag changes reach the parameters and the created roles
// ---------------------------------------------------------------------------

fn tagged_hcl(profile_tags: &str, configuration_tags: &str) -> String {
    format!(
        r#"{PROVIDER}
resource "emr_launch_profile" "analytics" {{
  namespace = "analytics"
  name      = "default"
  logs_uri  = "s3://acme-emr/logs/"
  {profile_tags}
}}

resource "emr_cluster_configuration" "small" {{
  namespace     = "analytics"
  name          = "small-spark"
  release_label = "emr-7.8.0"
  instance_group {{
    role           = "MASTER"
    instance_type  = "m5.xlarge"
    instance_count = 1
  }}
  {configuration_tags}
}}
"#
    )
}

/// Parameters, roles and the cluster's RunJobFlow tags follow tags_all.
fn assert_tags_follow_state(aws: &Aws, ws: &Workspace, v: &str) {
    let profile = ws.resource_values(PROFILE);
    let want = string_map(&profile["tags_all"]);
    assert_eq!(
        aws.parameter_tags(PROFILE_PARAM),
        want,
        "[tf {v}] tags of {PROFILE_PARAM} vs the profile's tags_all"
    );
    for kind in KINDS {
        let name = created_role(kind);
        assert_eq!(
            aws.user_role_tags(&name, v),
            want,
            "[tf {v}] tags of {name} (the provenance tag aside) vs the profile's tags_all"
        );
    }
    let small = ws.resource_values(SMALL);
    let want = string_map(&small["tags_all"]);
    assert_eq!(
        aws.parameter_tags(SMALL_PARAM),
        want,
        "[tf {v}] tags of {SMALL_PARAM} vs the configuration's tags_all"
    );
    let cluster_tags: BTreeMap<String, String> = json_attr(&small, "run_job_flow_json")["Tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| {
                    (
                        t["Key"].as_str().unwrap_or_default().to_owned(),
                        t["Value"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        cluster_tags, want,
        "[tf {v}] the cluster's RunJobFlow tags vs tags_all"
    );
}

#[test]
fn launch_metadata_tag_changes() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        let ws = Workspace::new(
            &terraform,
            &emulator,
            &tagged_hcl(
                r#"tags = { owner = "analytics", env = "dev" }"#,
                r#"tags = { cost-center = "42" }"#,
            ),
        );
        let v = ws.version().to_owned();
        ws.apply();
        assert_tags_follow_state(&aws, &ws, &v);
        plan_code(&ws, 0, "re-plan after apply");

        // One tag changed, one removed; the configuration's tags all removed.
        ws.write(&tagged_hcl(r#"tags = { owner = "platform" }"#, ""));
        plan_code(&ws, 2, "changed tags plan an update");
        ws.apply();
        let profile = ws.resource_values(PROFILE);
        assert_eq!(
            string_map(&profile["tags_all"]),
            BTreeMap::from([
                ("owner".to_owned(), "platform".to_owned()),
                ("team".to_owned(), "data-platform".to_owned()),
            ]),
            "[tf {v}] profile tags_all after the change"
        );
        assert_tags_follow_state(&aws, &ws, &v);
        plan_code(&ws, 0, "re-plan after the tag change");
        ws.destroy();
    }
}

// ---------------------------------------------------------------------------
// 4. Invalid configurations are rejected at plan, before any AWS change
// ---------------------------------------------------------------------------

struct Invalid {
    what: &'static str,
    /// A whole resource block.
    hcl: &'static str,
    /// One of these source lines must be shown as a diagnostic snippet
    /// ("NN:   attr = ..."), i.e. the diagnostic carries the attribute path.
    /// Empty when the path is a block list, which Terraform shows at the
    /// resource.
    snippet_any_of: &'static [&'static str],
    /// Words the output must contain (the attribute names).
    mentions: &'static [&'static str],
}

/// A valid cluster configuration around one varying part.
macro_rules! cc {
    ($body:expr) => {
        concat!(
            r#"
resource "emr_cluster_configuration" "bad" {
  namespace     = "analytics"
  name          = "bad"
"#,
            $body,
            "\n}\n"
        )
    };
}

macro_rules! groups {
    () => {
        r#"
  instance_group {
    role           = "MASTER"
    instance_type  = "m5.xlarge"
    instance_count = 1
  }
  instance_group {
    role           = "CORE"
    instance_type  = "m5.2xlarge"
    instance_count = 2
  }"#
    };
}

macro_rules! lp {
    ($body:expr) => {
        concat!(
            r#"
resource "emr_launch_profile" "bad" {
"#,
            $body,
            "\n}\n"
        )
    };
}

const INVALID: &[Invalid] = &[
    Invalid {
        what: "profile namespace with a space",
        hcl: lp!(r#"  namespace = "ana lytics"
  name      = "default""#),
        snippet_any_of: &[r#"namespace = "ana lytics""#],
        mentions: &["namespace"],
    },
    Invalid {
        what: "roles block without instance_profile_arn",
        hcl: lp!(r#"  namespace = "analytics"
  name      = "default"
  roles {
    service_role_arn = "arn:aws:iam::123456789012:role/acme-emr-service"
  }"#),
        snippet_any_of: &[],
        mentions: &["instance_profile_arn"],
    },
    Invalid {
        what: "logs_uri is not s3://",
        hcl: lp!(r#"  namespace = "analytics"
  name      = "default"
  logs_uri  = "https://acme-emr/logs/""#),
        snippet_any_of: &[r#"logs_uri  = "https://acme-emr/logs/""#],
        mentions: &["logs_uri"],
    },
    Invalid {
        what: "s3_read prefix without trailing slash",
        hcl: lp!(r#"  namespace = "analytics"
  name      = "default"
  s3_read   = ["s3://datalake/curated"]"#),
        snippet_any_of: &[r#"s3_read   = ["s3://datalake/curated"]"#],
        mentions: &["s3_read"],
    },
    Invalid {
        what: "kms_key_arns with an S3 ARN",
        hcl: lp!(r#"  namespace    = "analytics"
  name         = "default"
  kms_key_arns = ["arn:aws:s3:::datalake"]"#),
        snippet_any_of: &[r#"kms_key_arns = ["arn:aws:s3:::datalake"]"#],
        mentions: &["kms_key_arns"],
    },
    Invalid {
        what: "security group sg-1",
        hcl: lp!(r#"  namespace = "analytics"
  name      = "default"
  security_groups {
    master = "sg-1"
  }"#),
        snippet_any_of: &[r#"master = "sg-1""#],
        mentions: &["master"],
    },
    Invalid {
        what: "kerberos_attributes_secret_arn is not a Secrets Manager ARN",
        hcl: lp!(r#"  namespace                      = "analytics"
  name                           = "default"
  kerberos_attributes_secret_arn = "arn:aws:s3:::secrets/kerberos""#),
        snippet_any_of: &[r#"kerberos_attributes_secret_arn = "arn:aws:s3:::secrets/kerberos""#],
        mentions: &["kerberos_attributes_secret_arn"],
    },
    Invalid {
        what: "instance_role_managed_policy_arns with a roles block",
        hcl: lp!(r#"  namespace = "analytics"
  name      = "default"
  instance_role_managed_policy_arns = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
  roles {
    service_role_arn     = "arn:aws:iam::123456789012:role/acme-emr-service"
    instance_profile_arn = "arn:aws:iam::123456789012:instance-profile/acme-emr-ec2-profile"
  }"#),
        snippet_any_of: &[
            r#"instance_role_managed_policy_arns = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]"#,
        ],
        mentions: &["instance_role_managed_policy_arns"],
    },
    Invalid {
        what: "override path that does not exist",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0""#,
            groups!(),
            r#"
  override {
    name    = "TaskCount"
    path    = "Instances.InstanceGroups[7].InstanceCount"
    minimum = 0
    maximum = 4
  }"#
        )),
        snippet_any_of: &[r#"path    = "Instances.InstanceGroups[7].InstanceCount""#],
        mentions: &["path", "not found"],
    },
    Invalid {
        what: "override minimum > maximum",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0""#,
            groups!(),
            r#"
  override {
    name    = "CoreInstanceCount"
    path    = "Instances.InstanceGroups[1].InstanceCount"
    minimum = 5
    maximum = 2
  }"#
        )),
        snippet_any_of: &["minimum = 5", "maximum = 2"],
        mentions: &["minimum"],
    },
    Invalid {
        what: "override bounds on a string leaf",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0""#,
            groups!(),
            r#"
  override {
    name           = "MasterType"
    path           = "Instances.InstanceGroups[0].InstanceType"
    allowed_values = ["m5.xlarge"]
    minimum        = 1
  }"#
        )),
        snippet_any_of: &["minimum        = 1"],
        mentions: &["minimum"],
    },
    Invalid {
        what: "duplicate override names",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0""#,
            groups!(),
            r#"
  override {
    name    = "Count"
    path    = "Instances.InstanceGroups[1].InstanceCount"
    minimum = 1
    maximum = 4
  }
  override {
    name    = "Count"
    path    = "Instances.InstanceGroups[0].InstanceCount"
    minimum = 1
    maximum = 1
  }"#
        )),
        snippet_any_of: &[r#"name    = "Count""#],
        mentions: &["name", "Count"],
    },
    Invalid {
        what: "two MASTER instance groups",
        hcl: cc!(r#"  release_label = "emr-7.8.0"
  instance_group {
    role           = "MASTER"
    instance_type  = "m5.xlarge"
    instance_count = 1
  }
  instance_group {
    role           = "MASTER"
    instance_type  = "m5.xlarge"
    instance_count = 1
  }"#),
        snippet_any_of: &[r#"role           = "MASTER""#],
        mentions: &["role", "MASTER"],
    },
    Invalid {
        what: "unknown application Sparkle",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0"
  applications  = ["Spark", "Sparkle"]"#,
            groups!()
        )),
        snippet_any_of: &[r#"applications  = ["Spark", "Sparkle"]"#],
        mentions: &["applications", "Sparkle"],
    },
    Invalid {
        what: "release label 7.8.0",
        hcl: cc!(concat!(r#"  release_label = "7.8.0""#, groups!())),
        snippet_any_of: &[r#"release_label = "7.8.0""#],
        mentions: &["release_label"],
    },
    Invalid {
        what: "no MASTER group",
        hcl: cc!(r#"  release_label = "emr-7.8.0"
  instance_group {
    role           = "CORE"
    instance_type  = "m5.2xlarge"
    instance_count = 2
  }"#),
        snippet_any_of: &[],
        mentions: &["MASTER", "instance_group"],
    },
    Invalid {
        what: "instance_group and instance_fleet",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0""#,
            groups!(),
            r#"
  instance_fleet {
    role                      = "MASTER"
    target_on_demand_capacity = 1
    instance_type_config {
      instance_type = "m5.xlarge"
    }
  }"#
        )),
        snippet_any_of: &[],
        mentions: &["instance_group", "instance_fleet"],
    },
    Invalid {
        what: "two subnets with instance groups",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0"
  subnet_ids    = ["subnet-0abc1234", "subnet-0def5678"]"#,
            groups!()
        )),
        snippet_any_of: &[r#"subnet_ids    = ["subnet-0abc1234", "subnet-0def5678"]"#],
        mentions: &["subnet_ids"],
    },
    Invalid {
        what: "bootstrap path not s3://",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0""#,
            groups!(),
            r#"
  bootstrap_action {
    name = "setup"
    path = "/tmp/bootstrap.sh"
  }"#
        )),
        snippet_any_of: &[r#"path = "/tmp/bootstrap.sh""#],
        mentions: &["path"],
    },
    Invalid {
        what: "idle_timeout_seconds = 10",
        hcl: cc!(concat!(
            r#"  release_label        = "emr-7.8.0"
  idle_timeout_seconds = 10"#,
            groups!()
        )),
        snippet_any_of: &["idle_timeout_seconds = 10"],
        mentions: &["idle_timeout_seconds"],
    },
    Invalid {
        what: "managed_scaling minimum > maximum",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0""#,
            groups!(),
            r#"
  managed_scaling {
    unit_type              = "Instances"
    minimum_capacity_units = 10
    maximum_capacity_units = 2
  }"#
        )),
        snippet_any_of: &["minimum_capacity_units = 10"],
        mentions: &["minimum_capacity_units"],
    },
    Invalid {
        what: "secret_configuration with an S3 ARN",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0""#,
            groups!(),
            r#"
  secret_configuration {
    classification = "hive-site"
    property       = "javax.jdo.option.ConnectionPassword"
    secret_arn     = "arn:aws:s3:::secrets/hive"
  }"#
        )),
        snippet_any_of: &[r#"secret_arn     = "arn:aws:s3:::secrets/hive""#],
        mentions: &["secret_arn"],
    },
    Invalid {
        what: "numeric override without maximum (unbounded)",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0""#,
            groups!(),
            r#"
  override {
    name    = "CoreInstanceCount"
    path    = "Instances.InstanceGroups[1].InstanceCount"
    minimum = 1
  }"#
        )),
        snippet_any_of: &["override {"],
        mentions: &["maximum", "Unbounded override"],
    },
    Invalid {
        what: "numeric override with a fractional bound",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0""#,
            groups!(),
            r#"
  override {
    name    = "CoreInstanceCount"
    path    = "Instances.InstanceGroups[1].InstanceCount"
    minimum = 1
    maximum = 2.5
  }"#
        )),
        snippet_any_of: &["maximum = 2.5"],
        mentions: &["maximum", "Invalid bound"],
    },
    Invalid {
        what: "instance type override without allowed_values",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0""#,
            groups!(),
            r#"
  override {
    name = "CoreInstanceType"
    path = "Instances.InstanceGroups[1].InstanceType"
  }"#
        )),
        snippet_any_of: &["override {"],
        mentions: &["allowed_values"],
    },
    Invalid {
        what: "allowed_values on a numeric override",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0""#,
            groups!(),
            r#"
  override {
    name           = "CoreInstanceCount"
    path           = "Instances.InstanceGroups[1].InstanceCount"
    minimum        = 1
    maximum        = 4
    allowed_values = ["2", "4"]
  }"#
        )),
        snippet_any_of: &[r#"allowed_values = ["2", "4"]"#],
        mentions: &["allowed_values"],
    },
    Invalid {
        what: "override path under BootstrapActions",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0""#,
            groups!(),
            r#"
  bootstrap_action {
    name = "setup"
    path = "s3://acme-emr/artifacts/bootstrap.sh"
  }
  override {
    name    = "Script"
    path    = "BootstrapActions[0].ScriptBootstrapAction.Path"
    minimum = 1
    maximum = 2
  }"#
        )),
        snippet_any_of: &[r#"path    = "BootstrapActions[0].ScriptBootstrapAction.Path""#],
        mentions: &["path", "Override path not allowed"],
    },
    Invalid {
        what: "override path under Configurations",
        hcl: cc!(concat!(
            r#"  release_label       = "emr-7.8.0"
  configurations_json = jsonencode([{ Classification = "spark-defaults", Properties = { "spark.executor.instances" = "2" } }])"#,
            groups!(),
            r#"
  override {
    name    = "Executors"
    path    = "Configurations[0].Properties.spark.executor.instances"
    minimum = 1
    maximum = 8
  }"#
        )),
        snippet_any_of: &[r#"path    = "Configurations[0].Properties.spark.executor.instances""#],
        mentions: &["path", "Override path not allowed"],
    },
    Invalid {
        what: "override path Instances.Ec2SubnetId (networking)",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0"
  subnet_ids    = ["subnet-0abc1234"]"#,
            groups!(),
            r#"
  override {
    name           = "Subnet"
    path           = "Instances.Ec2SubnetId"
    allowed_values = ["subnet-0def5678"]
  }"#
        )),
        snippet_any_of: &[r#"path           = "Instances.Ec2SubnetId""#],
        mentions: &["path", "Override path not allowed"],
    },
    Invalid {
        what: "override path Instances.KeepJobFlowAliveWhenNoSteps",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0""#,
            groups!(),
            r#"
  override {
    name    = "KeepAlive"
    path    = "Instances.KeepJobFlowAliveWhenNoSteps"
    minimum = 0
    maximum = 1
  }"#
        )),
        snippet_any_of: &[r#"path    = "Instances.KeepJobFlowAliveWhenNoSteps""#],
        mentions: &["path", "Override path not allowed"],
    },
    Invalid {
        what: "override path under Steps",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0""#,
            groups!(),
            r#"
  override {
    name    = "StepJar"
    path    = "Steps[0].HadoopJarStep.Jar"
    minimum = 0
    maximum = 1
  }"#
        )),
        snippet_any_of: &[r#"path    = "Steps[0].HadoopJarStep.Jar""#],
        mentions: &["path", "Override path not allowed"],
    },
    Invalid {
        what: "the same secret property twice",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0""#,
            groups!(),
            r#"
  secret_configuration {
    classification = "hive-site"
    property       = "javax.jdo.option.ConnectionPassword"
    secret_arn     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-metastore-AbCdEf"
  }
  secret_configuration {
    classification = "hive-site"
    property       = "javax.jdo.option.ConnectionPassword"
    secret_arn     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:other-AbCdEf"
  }"#
        )),
        snippet_any_of: &[r#"property       = "javax.jdo.option.ConnectionPassword""#],
        mentions: &["property", "Duplicate secret property"],
    },
    Invalid {
        what: "secret property also set by configurations_json",
        hcl: cc!(concat!(
            r#"  release_label       = "emr-7.8.0"
  configurations_json = jsonencode([{ Classification = "hive-site", Properties = { "javax.jdo.option.ConnectionPassword" = "hunter2" } }])"#,
            groups!(),
            r#"
  secret_configuration {
    classification = "hive-site"
    property       = "javax.jdo.option.ConnectionPassword"
    secret_arn     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-metastore-AbCdEf"
  }"#
        )),
        snippet_any_of: &[r#"property       = "javax.jdo.option.ConnectionPassword""#],
        mentions: &["property", "configurations_json"],
    },
    Invalid {
        what: "secret property with a space",
        hcl: cc!(concat!(
            r#"  release_label = "emr-7.8.0""#,
            groups!(),
            r#"
  secret_configuration {
    classification = "hive-site"
    property       = "connection password"
    secret_arn     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-metastore-AbCdEf"
  }"#
        )),
        snippet_any_of: &[r#"property       = "connection password""#],
        mentions: &["property"],
    },
];

const VALID_CONTROL: &str = r#"
resource "emr_launch_profile" "ok" {
  namespace    = "analytics"
  name         = "default"
  logs_uri     = "s3://acme-emr/logs/"
  s3_read      = ["s3://datalake/curated/"]
  kms_key_arns = ["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
  security_groups {
    master = "sg-0123456789abcdef0"
  }
}

resource "emr_cluster_configuration" "ok" {
  namespace     = "analytics"
  name          = "small-spark"
  release_label = "emr-7.8.0"
  applications  = ["Spark"]
  subnet_ids    = ["subnet-0abc1234"]
  instance_group {
    role           = "MASTER"
    instance_type  = "m5.xlarge"
    instance_count = 1
  }
  instance_group {
    role           = "CORE"
    instance_type  = "m5.2xlarge"
    instance_count = 2
  }
  override {
    name    = "CoreInstanceCount"
    path    = "Instances.InstanceGroups[1].InstanceCount"
    minimum = 1
    maximum = 10
  }
}
"#;

/// Does the output show `source` as a diagnostic snippet line ("NN: source")?
fn shows_snippet(output: &str, source: &str) -> bool {
    output.lines().any(|line| {
        let line = line.trim_start_matches(|c: char| c == '│' || c.is_whitespace());
        let digits = line.chars().take_while(|c| c.is_ascii_digit()).count();
        digits > 0
            && line[digits..]
                .strip_prefix(':')
                .is_some_and(|rest| rest.trim_start().starts_with(source))
    })
}

/// A secret whose "EMR.secret@<property>" key plus ARN is one character over
/// EMR's 1024 (built here: the property is too long to write out).
fn annotation_too_long() -> Invalid {
    let property = "p".repeat(1024 + 1 - "EMR.secret@".len() - HIVE_SECRET.len());
    let line = format!(r#"property       = "{property}""#);
    let hcl = format!(
        r#"
resource "emr_cluster_configuration" "bad" {{
  namespace     = "analytics"
  name          = "bad"
  release_label = "emr-7.8.0"
  instance_group {{
    role           = "MASTER"
    instance_type  = "m5.xlarge"
    instance_count = 1
  }}
  secret_configuration {{
    classification = "hive-site"
    {line}
    secret_arn     = "{HIVE_SECRET}"
  }}
}}
"#
    );
    Invalid {
        what: "secret annotation over EMR's 1024 characters",
        hcl: hcl.leak(),
        snippet_any_of: Box::leak(vec![&*line.leak()].into_boxed_slice()),
        mentions: &["property", "1024", "1025"],
    }
}

#[test]
fn launch_metadata_invalid_configs_fail_at_plan() {
    assert!(INVALID.len() >= 15);
    let built = [annotation_too_long()];
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        // Control: a valid configuration plans a create through the same path,
        // so the failures below are about the input, not the setup.
        let ws = Workspace::new(&terraform, &emulator, &format!("{PROVIDER}{VALID_CONTROL}"));
        let v = ws.version().to_owned();
        emulator.start_recording();
        plan_code(&ws, 2, "the valid control configuration must plan a create");
        let recorded = emulator.recorded_actions();
        assert!(
            !recorded.is_empty(),
            "[tf {v}] the recorder saw no call from the provider's plan"
        );
        assert_eq!(
            emulator.mutating_actions(),
            Vec::<String>::new(),
            "[tf {v}] planning must not change anything; recorded {recorded:?}"
        );

        let mut failures = Vec::new();
        for case in INVALID.iter().chain(&built) {
            ws.write(&format!("{PROVIDER}{}", case.hcl));
            emulator.start_recording();
            let args = ["plan", "-input=false", "-no-color"];
            let out = ws.run(&args);
            let all = out.all();
            // Search only the diagnostics, not Terraform's plan rendering.
            let diagnostics = all
                .split_once("Error:")
                .map(|(_, rest)| rest)
                .unwrap_or_default();
            let mut problems = rejection_problems(&emulator, &out, diagnostics, case.mentions);
            if !case.snippet_any_of.is_empty()
                && !case.snippet_any_of.iter().any(|s| shows_snippet(&all, s))
            {
                problems.push(format!(
                    "no diagnostic points at any of {:?}",
                    case.snippet_any_of
                ));
            }
            if !problems.is_empty() {
                failures.push(format!(
                    "== {}: {}\n{}",
                    case.what,
                    problems.join("; "),
                    ws.describe_failure(&args, &out)
                ));
            }
        }
        emulator.stop_recording();
        assert!(
            failures.is_empty(),
            "[tf {v}] {} of {} invalid configurations were not rejected properly:\n{}",
            failures.len(),
            INVALID.len() + built.len(),
            failures.join("\n\n")
        );
        assert!(
            aws.parameter("/emr_launch/emr_profiles/analytics/default")
                .is_none(),
            "[tf {v}] an invalid plan wrote a parameter"
        );
        assert!(
            aws.role(&created_role("service")).is_none(),
            "[tf {v}] an invalid plan created a role"
        );
    }
}
