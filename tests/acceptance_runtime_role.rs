//! Acceptance tests for `emr_runtime_role` (seed 002): real Terraform (every
//! binary from `common::terraform_binaries()`) drives the built provider
//! against moto. Each step checks Terraform's state and what the emulator
//! holds, read back independently through aws-sdk-iam and aws-sdk-emr.

mod common;

use common::{
    assert_same_policy, blocking_sdk, document, is_no_such_entity, json_attr, normalize,
    resource_change, terraform_binaries, Emulator, Workspace,
};

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{json, Value};

/// moto's account for the static test credentials.
const ACCOUNT: &str = "123456789012";
const INSTANCE_ROLE: &str = "EMR_EC2_DefaultRole";
const INSTANCE_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole";
const SERVICE_ROLE: &str = "EMR_DefaultRole";
/// What the instance role carries before the runtime role exists; destroy
/// must leave both in place.
const INSTANCE_ROLE_OWN_POLICY: &str = "cluster-logs";
const EMR_EC2_MANAGED: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonElasticMapReduceforEC2Role";
const BOUNDARY_ARN: &str = "arn:aws:iam::123456789012:policy/emr-boundary";
const BOUNDARY_2_ARN: &str = "arn:aws:iam::123456789012:policy/emr-boundary-2";
const ADMIN_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
/// The provenance tag the provider writes on every role it creates.
const OWNER_TAG: &str = "emr-launch:managed-by";
const APP_ARN: &str = "arn:aws:emr-serverless:us-east-1:123456789012:/applications/00f1abcd";
const KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const S3_READ_ONLY: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";

const PERMISSIONS_POLICY: &str = "emr-runtime-role-permissions";
const CUSTOM_POLICY: &str = "emr-runtime-role-custom";

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

fn grant_policy_name(role: &str) -> String {
    format!("emr-runtime-role-{role}")
}

// ---------------------------------------------------------------------------
// The emulator as seen through the AWS SDK
// ---------------------------------------------------------------------------

struct Aws {
    rt: tokio::runtime::Runtime,
    iam: aws_sdk_iam::Client,
    emr: aws_sdk_emr::Client,
}

impl Aws {
    fn new(emulator: &Emulator) -> Aws {
        let (rt, config) = blocking_sdk(emulator);
        Aws {
            rt,
            iam: aws_sdk_iam::Client::new(&config),
            emr: aws_sdk_emr::Client::new(&config),
        }
    }

    /// seed 002 prerequisites: the cluster's instance role (with an instance
    /// profile and policies of its own), the EMR service role, and a
    /// permissions boundary policy.
    fn create_cluster_roles(&self) {
        let trust = |service: &str| {
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole"
            }]})
            .to_string()
        };
        self.rt.block_on(async {
            self.iam
                .create_role()
                .role_name(INSTANCE_ROLE)
                .assume_role_policy_document(trust("ec2.amazonaws.com"))
                .send()
                .await
                .expect("CreateRole EMR_EC2_DefaultRole");
            self.iam
                .create_instance_profile()
                .instance_profile_name(INSTANCE_ROLE)
                .send()
                .await
                .expect("CreateInstanceProfile");
            self.iam
                .add_role_to_instance_profile()
                .instance_profile_name(INSTANCE_ROLE)
                .role_name(INSTANCE_ROLE)
                .send()
                .await
                .expect("AddRoleToInstanceProfile");
            self.iam
                .put_role_policy()
                .role_name(INSTANCE_ROLE)
                .policy_name(INSTANCE_ROLE_OWN_POLICY)
                .policy_document(instance_role_own_policy().to_string())
                .send()
                .await
                .expect("PutRolePolicy on the instance role");
            self.iam
                .attach_role_policy()
                .role_name(INSTANCE_ROLE)
                .policy_arn(EMR_EC2_MANAGED)
                .send()
                .await
                .expect("AttachRolePolicy AmazonElasticMapReduceforEC2Role");
            self.iam
                .create_role()
                .role_name(SERVICE_ROLE)
                .assume_role_policy_document(trust("elasticmapreduce.amazonaws.com"))
                .send()
                .await
                .expect("CreateRole EMR_DefaultRole");
        });
        self.create_boundary("emr-boundary");
    }

    /// A managed policy to use as permissions boundary.
    fn create_boundary(&self, name: &str) {
        let doc = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Action": ["s3:*", "kms:*", "glue:*"],
            "Resource": "*"
        }]});
        self.rt
            .block_on(
                self.iam
                    .create_policy()
                    .policy_name(name)
                    .policy_document(doc.to_string())
                    .send(),
            )
            .unwrap_or_else(|e| panic!("CreatePolicy({name}): {e:?}"));
    }

    /// A role created outside Terraform, with these tags.
    fn create_plain_role(&self, name: &str, tags: &[(&str, &str)]) {
        let trust = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "emr-serverless.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]});
        let tags = tags.iter().map(|(k, v)| {
            aws_sdk_iam::types::Tag::builder()
                .key(*k)
                .value(*v)
                .build()
                .expect("tag")
        });
        self.rt
            .block_on(
                self.iam
                    .create_role()
                    .role_name(name)
                    .assume_role_policy_document(trust.to_string())
                    .set_tags(Some(tags.collect()))
                    .send(),
            )
            .unwrap_or_else(|e| panic!("CreateRole({name}): {e:?}"));
    }

    fn boundary(&self, name: &str) -> Option<String> {
        self.role(name)
            .unwrap_or_else(|| panic!("role {name} does not exist"))
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_owned)
    }

    /// `None` when IAM says the role does not exist.
    fn role(&self, name: &str) -> Option<aws_sdk_iam::types::Role> {
        match self.rt.block_on(self.iam.get_role().role_name(name).send()) {
            Ok(out) => out.role().cloned(),
            Err(e) if is_no_such_entity(&e) => None,
            Err(e) => panic!("GetRole({name}): {e:?}"),
        }
    }

    fn trust(&self, name: &str) -> Value {
        let role = self
            .role(name)
            .unwrap_or_else(|| panic!("role {name} does not exist"));
        document(
            role.assume_role_policy_document().unwrap_or_default(),
            &format!("trust policy of {name}"),
        )
    }

    /// An inline policy, `None` when absent.
    fn inline(&self, role: &str, policy: &str) -> Option<Value> {
        match self.rt.block_on(
            self.iam
                .get_role_policy()
                .role_name(role)
                .policy_name(policy)
                .send(),
        ) {
            Ok(out) => Some(document(
                out.policy_document(),
                &format!("inline policy {policy} of {role}"),
            )),
            Err(e) if is_no_such_entity(&e) => None,
            Err(e) => panic!("GetRolePolicy({role}, {policy}): {e:?}"),
        }
    }

    /// Names of the role's inline policies; `None` when the role is gone.
    fn inline_names(&self, role: &str) -> Option<BTreeSet<String>> {
        match self
            .rt
            .block_on(self.iam.list_role_policies().role_name(role).send())
        {
            Ok(out) => Some(out.policy_names().iter().cloned().collect()),
            Err(e) if is_no_such_entity(&e) => None,
            Err(e) => panic!("ListRolePolicies({role}): {e:?}"),
        }
    }

    fn attached(&self, role: &str) -> BTreeSet<String> {
        common::role_attached(&self.rt, &self.iam, role)
    }

    fn tags(&self, role: &str) -> BTreeMap<String, String> {
        common::role_tags(&self.rt, &self.iam, role)
    }

    fn instance_profile_roles(&self, profile: &str) -> Vec<String> {
        let out = self
            .rt
            .block_on(
                self.iam
                    .get_instance_profile()
                    .instance_profile_name(profile)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("GetInstanceProfile({profile}): {e:?}"));
        out.instance_profile()
            .map(|p| p.roles().iter().map(|r| r.role_name().to_owned()).collect())
            .unwrap_or_default()
    }

    // -- out-of-band edits ----------------------------------------------------

    fn update_trust(&self, role: &str, doc: &Value) {
        self.rt
            .block_on(
                self.iam
                    .update_assume_role_policy()
                    .role_name(role)
                    .policy_document(doc.to_string())
                    .send(),
            )
            .unwrap_or_else(|e| panic!("UpdateAssumeRolePolicy({role}): {e:?}"));
    }

    fn delete_inline(&self, role: &str, policy: &str) {
        self.rt
            .block_on(
                self.iam
                    .delete_role_policy()
                    .role_name(role)
                    .policy_name(policy)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("DeleteRolePolicy({role}, {policy}): {e:?}"));
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

    fn delete_boundary(&self, role: &str) {
        self.rt
            .block_on(
                self.iam
                    .delete_role_permissions_boundary()
                    .role_name(role)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("DeleteRolePermissionsBoundary({role}): {e:?}"));
    }

    fn untag(&self, role: &str, key: &str) {
        self.rt
            .block_on(self.iam.untag_role().role_name(role).tag_keys(key).send())
            .unwrap_or_else(|e| panic!("UntagRole({role}, {key}): {e:?}"));
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

    /// Deletes a role the way a console user would: policies first.
    fn delete_role_completely(&self, role: &str) {
        for policy in self.inline_names(role).unwrap_or_default() {
            self.delete_inline(role, &policy);
        }
        let attached = self.attached(role);
        self.rt.block_on(async {
            for arn in attached {
                self.iam
                    .detach_role_policy()
                    .role_name(role)
                    .policy_arn(&arn)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("DetachRolePolicy({role}, {arn}): {e:?}"));
            }
            self.iam
                .delete_role()
                .role_name(role)
                .send()
                .await
                .unwrap_or_else(|e| panic!("DeleteRole({role}): {e:?}"));
        });
    }
}

fn instance_role_own_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["s3:PutObject"],
        "Resource": "arn:aws:s3:::cluster-logs/*"
    }]})
}

// ---------------------------------------------------------------------------
// Policy comparison
// ---------------------------------------------------------------------------

/// The same policy written differently: every list reversed, one-element
/// lists as plain values (IAM accepts and means the same).
fn reshuffle(v: &Value) -> Value {
    match v {
        Value::Array(items) if items.len() == 1 => reshuffle(&items[0]),
        Value::Array(items) => Value::Array(items.iter().rev().map(reshuffle).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), reshuffle(v))).collect())
        }
        other => other.clone(),
    }
}

fn policy_doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// A single nested block as `show -json` renders it (an object; tolerate a
/// one-element list).
fn block(values: &Value, name: &str) -> Value {
    match &values[name] {
        Value::Array(items) if items.len() == 1 => items[0].clone(),
        other => other.clone(),
    }
}

fn string_set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().expect("set of strings").to_owned())
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

/// The emulator holds exactly what state says: trust, permissions, the custom
/// policy, the instance-role grant, attachments and tags.
fn assert_emulator_matches_state(aws: &Aws, state: &Value, v: &str) {
    let name = state["name"].as_str().expect("name in state");
    let role = aws
        .role(name)
        .unwrap_or_else(|| panic!("[tf {v}] role {name} is not in the emulator"));
    assert_eq!(
        json!(role.arn()),
        state["arn"],
        "[tf {v}] arn in state is the emulator's"
    );
    assert_eq!(
        json!(role.role_id()),
        state["unique_id"],
        "[tf {v}] unique_id"
    );
    assert_eq!(json!(role.path()), state["path"], "[tf {v}] path");
    assert_eq!(
        role.permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn()),
        state["permissions_boundary"].as_str(),
        "[tf {v}] permissions boundary in IAM vs state"
    );
    assert_eq!(
        role.max_session_duration().map(i64::from),
        state["max_session_duration"].as_i64(),
        "[tf {v}] max session duration in IAM vs state"
    );
    assert_same_policy(
        &aws.trust(name),
        &json_attr(state, "trust_policy_json"),
        &format!("[tf {v}] trust policy in IAM vs trust_policy_json"),
    );

    let mut want_inline = BTreeSet::new();
    let perms = state["permissions_policy_json"]
        .as_str()
        .unwrap_or_default();
    if perms.is_empty() {
        assert_eq!(
            aws.inline(name, PERMISSIONS_POLICY),
            None,
            "[tf {v}] no permissions were configured, yet IAM holds {PERMISSIONS_POLICY}"
        );
    } else {
        want_inline.insert(PERMISSIONS_POLICY.to_owned());
        let remote = aws
            .inline(name, PERMISSIONS_POLICY)
            .unwrap_or_else(|| panic!("[tf {v}] {name} has no inline policy {PERMISSIONS_POLICY}"));
        assert_same_policy(
            &remote,
            &json_attr(state, "permissions_policy_json"),
            &format!("[tf {v}] {PERMISSIONS_POLICY} vs permissions_policy_json"),
        );
    }
    if state["policy_json"].is_string() {
        want_inline.insert(CUSTOM_POLICY.to_owned());
        let remote = aws
            .inline(name, CUSTOM_POLICY)
            .unwrap_or_else(|| panic!("[tf {v}] {name} has no inline policy {CUSTOM_POLICY}"));
        assert_same_policy(
            &remote,
            &json_attr(state, "policy_json"),
            &format!("[tf {v}] {CUSTOM_POLICY} vs policy_json"),
        );
    }
    assert_eq!(
        aws.inline_names(name),
        Some(want_inline),
        "[tf {v}] inline policies on the runtime role"
    );

    let ec2 = block(state, "emr_on_ec2");
    let grant = state["instance_role_policy_json"]
        .as_str()
        .unwrap_or_default();
    if let Some(instance_arn) = ec2["instance_role_arn"].as_str() {
        let instance = instance_arn.rsplit('/').next().unwrap();
        let remote = aws.inline(instance, &grant_policy_name(name));
        if grant.is_empty() {
            assert_eq!(remote, None, "[tf {v}] grant present although not managed");
        } else {
            let remote = remote.unwrap_or_else(|| {
                panic!(
                    "[tf {v}] instance role {instance} has no inline policy {}",
                    grant_policy_name(name)
                )
            });
            assert_same_policy(
                &remote,
                &json_attr(state, "instance_role_policy_json"),
                &format!("[tf {v}] instance-role grant vs instance_role_policy_json"),
            );
        }
    }

    assert_eq!(
        aws.attached(name),
        string_set(&state["managed_policy_arns"]),
        "[tf {v}] attached managed policies vs managed_policy_arns"
    );

    let mut remote_tags = aws.tags(name);
    assert_eq!(
        remote_tags.remove(OWNER_TAG),
        Some(format!("emr_runtime_role/{name}")),
        "[tf {v}] the role carries its provenance tag"
    );
    assert!(
        !state["tags_all"]
            .as_object()
            .is_some_and(|m| m.contains_key(OWNER_TAG)),
        "[tf {v}] the provenance tag is not in tags_all: {:#}",
        state["tags_all"]
    );
    assert_eq!(
        remote_tags,
        string_map(&state["tags_all"]),
        "[tf {v}] role tags (the provenance tag aside) vs tags_all"
    );
    assert_eq!(
        remote_tags.get("team").map(String::as_str),
        Some("data-platform"),
        "[tf {v}] default_tags reach the role: {remote_tags:?}"
    );
    for (k, val) in string_map(&state["tags"]) {
        assert_eq!(
            remote_tags.get(&k),
            Some(&val),
            "[tf {v}] resource tag {k} on the role: {remote_tags:?}"
        );
    }
}

/// The caller policy grants submitting work as THIS role only.
fn assert_caller_policy(state: &Value, serverless: bool, v: &str) {
    let arn = state["arn"].as_str().expect("arn");
    let caller = normalize(&json_attr(state, "caller_policy_json"));
    let statements = match &caller["Statement"] {
        Value::Array(s) => s.clone(),
        one => vec![one.clone()],
    };
    let has_action = |s: &Value, action: &str| {
        s["Action"] == json!(action)
            || s["Action"]
                .as_array()
                .is_some_and(|a| a.contains(&json!(action)))
    };
    let add_steps = statements
        .iter()
        .find(|s| has_action(s, "elasticmapreduce:AddJobFlowSteps"))
        .unwrap_or_else(|| panic!("[tf {v}] no AddJobFlowSteps in caller policy {caller:#}"));
    assert_eq!(
        add_steps["Condition"]["StringEquals"]["elasticmapreduce:ExecutionRoleArn"],
        json!(arn),
        "[tf {v}] AddJobFlowSteps must be conditioned on this role: {caller:#}"
    );
    assert!(
        has_action(add_steps, "elasticmapreduce:GetClusterSessionCredentials"),
        "[tf {v}] GetClusterSessionCredentials with the same condition: {caller:#}"
    );
    let pass = statements.iter().find(|s| has_action(s, "iam:PassRole"));
    if serverless {
        let pass =
            pass.unwrap_or_else(|| panic!("[tf {v}] no iam:PassRole in caller policy {caller:#}"));
        assert_eq!(
            pass["Resource"],
            json!(arn),
            "[tf {v}] PassRole of this role only"
        );
        assert_eq!(
            pass["Condition"]["StringEquals"]["iam:PassedToService"],
            json!("emr-serverless.amazonaws.com"),
            "[tf {v}] PassRole carries iam:PassedToService: {caller:#}"
        );
        assert!(
            statements
                .iter()
                .any(|s| has_action(s, "emr-serverless:StartJobRun")),
            "[tf {v}] StartJobRun in caller policy: {caller:#}"
        );
    } else {
        assert!(
            pass.is_none(),
            "[tf {v}] PassRole without serverless: {caller:#}"
        );
    }
}

/// Destroy removed the runtime role, its policies and the grant, and left the
/// instance role as it was before.
fn assert_destroyed(aws: &Aws, ws: &Workspace, role: &str, v: &str) {
    assert!(
        no_resources_in_state(ws),
        "[tf {v}] state not empty after destroy"
    );
    assert!(
        aws.role(role).is_none(),
        "[tf {v}] role {role} still exists after destroy"
    );
    assert_eq!(
        aws.inline_names(role),
        None,
        "[tf {v}] inline policies of {role} remain after destroy"
    );
    assert!(
        aws.role(INSTANCE_ROLE).is_some(),
        "[tf {v}] destroy removed the instance role"
    );
    assert_eq!(
        aws.inline_names(INSTANCE_ROLE),
        Some(BTreeSet::from([INSTANCE_ROLE_OWN_POLICY.to_owned()])),
        "[tf {v}] the instance role keeps exactly its own inline policy"
    );
    assert_same_policy(
        &aws.inline(INSTANCE_ROLE, INSTANCE_ROLE_OWN_POLICY)
            .expect("instance role's own policy"),
        &instance_role_own_policy(),
        &format!("[tf {v}] the instance role's own policy is untouched"),
    );
    assert_eq!(
        aws.attached(INSTANCE_ROLE),
        BTreeSet::from([EMR_EC2_MANAGED.to_owned()]),
        "[tf {v}] the instance role keeps its managed policy"
    );
    assert_eq!(
        aws.instance_profile_roles(INSTANCE_ROLE),
        vec![INSTANCE_ROLE.to_owned()],
        "[tf {v}] the instance profile still holds the instance role"
    );
}

fn plan_code(ws: &Workspace, want: i32, why: &str) {
    let (code, out) = ws.plan_exit_code();
    if code != want {
        panic!(
            "[tf {}] {why}: plan -detailed-exitcode = {code}, want {want}\n{}",
            ws.version(),
            ws.describe_failure(&["plan", "-detailed-exitcode"], &out)
        );
    }
}

// ---------------------------------------------------------------------------
// 1. Seed 002 end to end: security configuration + runtime role + a cluster
//    that runs a step as the runtime role.
// ---------------------------------------------------------------------------

const SEED_002: &str = r#"
resource "emr_security_configuration" "rt" {
  name = "runtime-roles"

  runtime_roles {
    propagate_source_identity             = true
    lake_formation_authorized_session_tag = "Amazon EMR"
  }
}

resource "emr_runtime_role" "analyst" {
  name = "emr-rt-analyst"
  path = "/emr/"

  emr_on_ec2 {
    instance_role_arn         = "arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole"
    external_id               = emr_security_configuration.rt.external_id
    propagate_source_identity = true
    lake_formation            = true
  }

  emr_serverless {
    trusted_identity_propagation = true
  }

  s3_read      = ["s3://datalake/curated/"]
  s3_write     = ["s3://datalake/scratch/analyst/"]
  kms_key_arns = ["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]

  tags = { owner = "analytics" }
}
"#;

const SEED_ROLE: &str = "emr-rt-analyst";
const SEED_ADDR: &str = "emr_runtime_role.analyst";

#[test]
fn runtime_role_seed_002_end_to_end() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        seed_002(&terraform, &emulator, &aws);
    }
}

fn seed_002(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    aws.create_cluster_roles();
    let ws = Workspace::new(terraform, emulator, &format!("{PROVIDER}{SEED_002}"));
    let v = ws.version().to_owned();

    ws.apply();
    let sc = ws.resource_values("emr_security_configuration.rt");
    let state = ws.resource_values(SEED_ADDR);
    let arn = format!("arn:aws:iam::{ACCOUNT}:role/emr/{SEED_ROLE}");
    assert_eq!(state["id"], json!(SEED_ROLE), "[tf {v}] id = name");
    assert_eq!(state["arn"], json!(arn), "[tf {v}] {state:#}");
    assert!(
        state["unique_id"].as_str().is_some_and(|s| !s.is_empty()),
        "[tf {v}] unique_id after apply: {state:#}"
    );
    let ec2 = block(&state, "emr_on_ec2");
    assert_eq!(
        ec2["external_id"], sc["external_id"],
        "[tf {v}] external_id comes from the security configuration"
    );
    assert_emulator_matches_state(aws, &state, &v);
    assert_caller_policy(&state, true, &v);

    // The emulator's security configuration has no ExternalId (""), which
    // means "no sts:ExternalId condition".
    let external_id = sc["external_id"].as_str().unwrap_or_default();
    let mut assume = json!({
        "Sid": "EmrInstanceRoleAssume", "Effect": "Allow",
        "Principal": {"AWS": INSTANCE_ROLE_ARN}, "Action": "sts:AssumeRole"
    });
    let mut tag_session = json!({
        "Sid": "EmrLakeFormationTagSession", "Effect": "Allow",
        "Principal": {"AWS": INSTANCE_ROLE_ARN}, "Action": "sts:TagSession",
        "Condition": {"StringEquals": {"aws:RequestTag/LakeFormationAuthorizedCaller": "Amazon EMR"}}
    });
    if !external_id.is_empty() {
        assume["Condition"] = json!({"StringEquals": {"sts:ExternalId": external_id}});
        tag_session["Condition"]["StringEquals"]["sts:ExternalId"] = json!(external_id);
    }
    assert_same_policy(
        &json_attr(&state, "trust_policy_json"),
        &policy_doc(json!([
            assume,
            tag_session,
            {"Sid": "EmrSetSourceIdentity", "Effect": "Allow",
             "Principal": {"AWS": INSTANCE_ROLE_ARN}, "Action": "sts:SetSourceIdentity"},
            {"Sid": "EmrServerlessAssume", "Effect": "Allow",
             "Principal": {"Service": "emr-serverless.amazonaws.com"},
             "Action": ["sts:AssumeRole", "sts:SetContext"],
             "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}
        ])),
        &format!("[tf {v}] seed 002 step 3 trust policy"),
    );
    assert_same_policy(
        &json_attr(&state, "instance_role_policy_json"),
        &policy_doc(json!([
            {"Sid": "AssumeRuntimeRole", "Effect": "Allow",
             "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": arn},
            {"Sid": "PropagateSourceIdentity", "Effect": "Allow",
             "Action": "sts:SetSourceIdentity", "Resource": arn}
        ])),
        &format!("[tf {v}] seed 002 step 2 instance-role grant"),
    );

    plan_code(&ws, 0, "re-plan right after apply");

    // Launch a cluster with the security configuration and the instance
    // profile, then submit a step that runs as the runtime role.
    let cluster_id = run_cluster(aws, &v);
    let step_id = add_step(aws, &cluster_id, &arn, &v);
    let listed = aws
        .rt
        .block_on(aws.emr.list_steps().cluster_id(&cluster_id).send())
        .unwrap_or_else(|e| panic!("[tf {v}] ListSteps: {e:?}"));
    assert!(
        listed
            .steps()
            .iter()
            .any(|s| s.id() == Some(step_id.as_str())),
        "[tf {v}] step {step_id} not listed: {listed:?}"
    );
    let described = aws
        .rt
        .block_on(
            aws.emr
                .describe_step()
                .cluster_id(&cluster_id)
                .step_id(&step_id)
                .send(),
        )
        .unwrap_or_else(|e| panic!("[tf {v}] DescribeStep: {e:?}"));
    let step = described
        .step()
        .unwrap_or_else(|| panic!("[tf {v}] DescribeStep returned no step"));
    assert_eq!(step.name(), Some("Spark Example"), "[tf {v}] {step:?}");
    // moto 5.2 does not keep ExecutionRoleArn; real EMR echoes it.
    if let Some(echoed) = step.execution_role_arn() {
        assert_eq!(echoed, arn, "[tf {v}] step runs as the runtime role");
    }
    aws.rt
        .block_on(
            aws.emr
                .terminate_job_flows()
                .job_flow_ids(&cluster_id)
                .send(),
        )
        .unwrap_or_else(|e| panic!("[tf {v}] TerminateJobFlows: {e:?}"));

    ws.destroy();
    assert_destroyed(aws, &ws, SEED_ROLE, &v);
}

fn run_cluster(aws: &Aws, v: &str) -> String {
    use aws_sdk_emr::types::{Application, JobFlowInstancesConfig};
    let out = aws
        .rt
        .block_on(
            aws.emr
                .run_job_flow()
                .name("runtime-roles-demo")
                .release_label("emr-7.8.0")
                .applications(Application::builder().name("Spark").build())
                .applications(Application::builder().name("Hive").build())
                .instances(
                    JobFlowInstancesConfig::builder()
                        .master_instance_type("m5.xlarge")
                        .slave_instance_type("m5.xlarge")
                        .instance_count(3)
                        .keep_job_flow_alive_when_no_steps(true)
                        .build(),
                )
                .security_configuration("runtime-roles")
                .job_flow_role(INSTANCE_ROLE)
                .service_role(SERVICE_ROLE)
                .send(),
        )
        .unwrap_or_else(|e| panic!("[tf {v}] RunJobFlow: {e:?}"));
    let id = out
        .job_flow_id()
        .unwrap_or_else(|| panic!("[tf {v}] RunJobFlow returned no id"))
        .to_owned();
    let cluster = aws
        .rt
        .block_on(aws.emr.describe_cluster().cluster_id(&id).send())
        .unwrap_or_else(|e| panic!("[tf {v}] DescribeCluster: {e:?}"));
    let cluster = cluster.cluster().expect("cluster");
    assert_eq!(
        cluster.security_configuration(),
        Some("runtime-roles"),
        "[tf {v}] {cluster:?}"
    );
    assert_eq!(cluster.service_role(), Some(SERVICE_ROLE), "[tf {v}]");
    id
}

fn add_step(aws: &Aws, cluster_id: &str, execution_role_arn: &str, v: &str) -> String {
    use aws_sdk_emr::types::{ActionOnFailure, HadoopJarStepConfig, StepConfig};
    let step = StepConfig::builder()
        .name("Spark Example")
        .action_on_failure(ActionOnFailure::Continue)
        .hadoop_jar_step(
            HadoopJarStepConfig::builder()
                .jar("command-runner.jar")
                .args("spark-example")
                .args("HdfsTest")
                .args("s3://datalake/curated/")
                .build(),
        )
        .build();
    let out = aws
        .rt
        .block_on(
            aws.emr
                .add_job_flow_steps()
                .job_flow_id(cluster_id)
                .steps(step)
                .execution_role_arn(execution_role_arn)
                .send(),
        )
        .unwrap_or_else(|e| panic!("[tf {v}] AddJobFlowSteps with the runtime role: {e:?}"));
    assert_eq!(out.step_ids().len(), 1, "[tf {v}] {out:?}");
    out.step_ids()[0].clone()
}

// ---------------------------------------------------------------------------
// 2-7. Lifecycle with every input known at plan time.
// ---------------------------------------------------------------------------

const ROLE: &str = "emr-rt-lifecycle";
const ADDR: &str = "emr_runtime_role.lifecycle";
const EXTERNAL_ID: &str = "ext-7f3a9c";

const LIFECYCLE: &str = r#"
resource "emr_runtime_role" "lifecycle" {
  name                 = "emr-rt-lifecycle"
  path                 = "/emr/"
  permissions_boundary = "arn:aws:iam::123456789012:policy/emr-boundary"
  max_session_duration = 7200

  emr_on_ec2 {
    instance_role_arn         = "arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole"
    external_id               = "ext-7f3a9c"
    propagate_source_identity = true
    source_identities         = ["alice", "bob"]
  }

  # No trusted_identity_propagation here: moto 5.2 rejects sts:SetContext in
  # UpdateAssumeRolePolicy (not in its list of trust actions), so the trust
  # drift repair below could not run. Seed 002's test covers SetContext.
  emr_serverless {
    application_arns = ["arn:aws:emr-serverless:us-east-1:123456789012:/applications/00f1abcd"]
  }

  s3_read      = ["s3://datalake/curated/", "s3://reference/"]
  s3_write     = ["s3://datalake/scratch/analyst/"]
  kms_key_arns = ["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]

  policy_json = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "glue:GetTable"
      Resource = "arn:aws:glue:us-east-1:123456789012:table/curated/*"
    }]
  })

  managed_policy_arns = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]

  tags = { owner = "analytics" }
}
"#;

/// The four documents the lifecycle configuration must produce.
fn lifecycle_expected(arn: &str) -> [(&'static str, Value); 4] {
    let instance = json!({"AWS": INSTANCE_ROLE_ARN});
    [
        (
            "trust_policy_json",
            policy_doc(json!([
                {"Sid": "EmrInstanceRoleAssume", "Effect": "Allow", "Principal": instance,
                 "Action": ["sts:AssumeRole", "sts:TagSession"],
                 "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}},
                {"Sid": "EmrSetSourceIdentity", "Effect": "Allow", "Principal": instance,
                 "Action": "sts:SetSourceIdentity",
                 "Condition": {"StringEquals": {"sts:SourceIdentity": ["alice", "bob"]}}},
                {"Sid": "EmrServerlessAssume", "Effect": "Allow",
                 "Principal": {"Service": "emr-serverless.amazonaws.com"},
                 "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT},
                               "ArnLike": {"aws:SourceArn": APP_ARN}}}
            ])),
        ),
        (
            "permissions_policy_json",
            policy_doc(json!([
                {"Sid": "S3Read", "Effect": "Allow",
                 "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                 "Resource": ["arn:aws:s3:::datalake/curated/*", "arn:aws:s3:::reference/*"]},
                {"Sid": "S3Write", "Effect": "Allow",
                 "Action": ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject",
                            "s3:GetObjectVersion", "s3:PutObject"],
                 "Resource": "arn:aws:s3:::datalake/scratch/analyst/*"},
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::datalake",
                 "Condition": {"StringLike": {"s3:prefix": ["curated/*", "scratch/analyst/*"]}}},
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::reference"},
                {"Sid": "KmsKeys", "Effect": "Allow",
                 "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                 "Resource": KMS_KEY}
            ])),
        ),
        (
            "instance_role_policy_json",
            policy_doc(json!([
                {"Sid": "AssumeRuntimeRole", "Effect": "Allow",
                 "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": arn},
                {"Sid": "PropagateSourceIdentity", "Effect": "Allow",
                 "Action": "sts:SetSourceIdentity", "Resource": arn,
                 "Condition": {"StringEquals": {"sts:SourceIdentity": ["alice", "bob"]}}}
            ])),
        ),
        (
            "caller_policy_json",
            policy_doc(json!([
                {"Sid": "SubmitWithThisRuntimeRole", "Effect": "Allow",
                 "Action": ["elasticmapreduce:AddJobFlowSteps",
                            "elasticmapreduce:GetClusterSessionCredentials"],
                 "Resource": format!("arn:aws:elasticmapreduce:us-east-1:{ACCOUNT}:cluster/*"),
                 "Condition": {"StringEquals": {"elasticmapreduce:ExecutionRoleArn": arn}}},
                {"Sid": "StartJobRunWithThisRole", "Effect": "Allow",
                 "Action": "emr-serverless:StartJobRun", "Resource": APP_ARN},
                {"Sid": "PassThisRoleToEmrServerless", "Effect": "Allow",
                 "Action": "iam:PassRole", "Resource": arn,
                 "Condition": {"StringEquals": {"iam:PassedToService": "emr-serverless.amazonaws.com"}}}
            ])),
        ),
    ]
}

#[test]
fn runtime_role_lifecycle() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        lifecycle(&terraform, &emulator, &aws);
    }
}

fn lifecycle(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    aws.create_cluster_roles();
    let ws = Workspace::new(terraform, emulator, &format!("{PROVIDER}{LIFECYCLE}"));
    let v = ws.version().to_owned();
    let arn = format!("arn:aws:iam::{ACCOUNT}:role/emr/{ROLE}");
    let expected = lifecycle_expected(&arn);

    // Step 1: before the first apply, the plan shows the ARN and all four
    // policy documents as known values.
    let (plan, _) = ws.plan_json();
    let rc = resource_change(&plan, ADDR);
    assert_eq!(
        rc["change"]["actions"],
        json!(["create"]),
        "[tf {v}] first plan: {rc:#}"
    );
    let after = &rc["change"]["after"];
    let unknown = &rc["change"]["after_unknown"];
    assert_eq!(after["arn"], json!(arn), "[tf {v}] arn at plan: {rc:#}");
    assert_eq!(after["id"], json!(ROLE), "[tf {v}] id at plan: {rc:#}");
    for (attr, want) in &expected {
        assert!(
            after[*attr].is_string() && unknown[*attr] != json!(true),
            "[tf {v}] {attr} must be known at plan: {rc:#}"
        );
        assert_same_policy(
            &json_attr(after, attr),
            want,
            &format!("[tf {v}] planned {attr}"),
        );
    }
    assert_eq!(
        string_map(&after["tags_all"]),
        BTreeMap::from([
            ("owner".to_owned(), "analytics".to_owned()),
            ("team".to_owned(), "data-platform".to_owned()),
        ]),
        "[tf {v}] tags_all at plan merges default_tags: {rc:#}"
    );
    assert_caller_policy(after, true, &v);

    // Step 2: apply; the emulator holds exactly the planned documents.
    ws.apply();
    let state = ws.resource_values(ADDR);
    for (attr, want) in &expected {
        assert_eq!(
            state[*attr], after[*attr],
            "[tf {v}] applied {attr} is what the plan showed"
        );
        assert_same_policy(&json_attr(&state, attr), want, &format!("[tf {v}] {attr}"));
    }
    assert_emulator_matches_state(aws, &state, &v);
    let role = aws.role(ROLE).expect("role exists");
    assert_eq!(role.max_session_duration(), Some(7200), "[tf {v}] {role:?}");
    assert_eq!(
        role.permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn()),
        Some(BOUNDARY_ARN),
        "[tf {v}] permissions boundary: {role:?}"
    );
    assert_eq!(
        aws.attached(ROLE),
        BTreeSet::from([S3_READ_ONLY.to_owned()]),
        "[tf {v}]"
    );

    // Step 3: nothing to do right after apply.
    plan_code(&ws, 0, "re-plan right after apply");

    // Step 3b: documents rewritten in an equivalent form behind Terraform's
    // back (statements and lists reordered, single items unwrapped) are not
    // drift.
    let trust = aws.trust(ROLE);
    let perms = aws.inline(ROLE, PERMISSIONS_POLICY).expect("permissions");
    let grant = aws
        .inline(INSTANCE_ROLE, &grant_policy_name(ROLE))
        .expect("grant");
    assert_ne!(reshuffle(&trust).to_string(), trust.to_string());
    aws.update_trust(ROLE, &reshuffle(&trust));
    aws.put_inline(ROLE, PERMISSIONS_POLICY, &reshuffle(&perms));
    aws.put_inline(INSTANCE_ROLE, &grant_policy_name(ROLE), &reshuffle(&grant));
    plan_code(&ws, 0, "re-plan after equivalent rewrites of the policies");
    assert_emulator_matches_state(aws, &ws.resource_values(ADDR), &v);

    // Step 4: out-of-band edits each show in plan, and one apply repairs them.
    let drift: [(&str, &dyn Fn()); 8] = [
        ("trust policy replaced", &|| {
            aws.update_trust(
                ROLE,
                &json!({"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
                    "Action": "sts:AssumeRole"
                }]}),
            )
        }),
        ("inline permissions policy deleted", &|| {
            aws.delete_inline(ROLE, PERMISSIONS_POLICY)
        }),
        ("instance-role grant deleted", &|| {
            aws.delete_inline(INSTANCE_ROLE, &grant_policy_name(ROLE))
        }),
        ("extra managed policy attached", &|| {
            aws.attach(ROLE, "arn:aws:iam::aws:policy/ReadOnlyAccess")
        }),
        ("custom policy_json policy deleted", &|| {
            aws.delete_inline(ROLE, CUSTOM_POLICY)
        }),
        ("default tag removed", &|| aws.untag(ROLE, "team")),
        ("permissions boundary removed", &|| {
            aws.delete_boundary(ROLE)
        }),
        ("AdministratorAccess attached", &|| {
            aws.attach(ROLE, ADMIN_ACCESS)
        }),
    ];
    for (what, edit) in drift {
        edit();
        plan_code(&ws, 2, &format!("after out-of-band edit ({what})"));
        ws.apply();
        let repaired = ws.resource_values(ADDR);
        for (attr, want) in &expected {
            assert_same_policy(
                &json_attr(&repaired, attr),
                want,
                &format!("[tf {v}] {attr} after repairing ({what})"),
            );
        }
        assert_emulator_matches_state(aws, &repaired, &v);
        assert_eq!(
            aws.attached(ROLE),
            BTreeSet::from([S3_READ_ONLY.to_owned()]),
            "[tf {v}] attachments after repairing ({what})"
        );
        plan_code(&ws, 0, &format!("re-plan after repairing ({what})"));
    }

    // Step 4b: a changed permissions_boundary reaches IAM and the plan settles.
    aws.create_boundary("emr-boundary-2");
    let changed = LIFECYCLE.replace(BOUNDARY_ARN, BOUNDARY_2_ARN);
    ws.write(&format!("{PROVIDER}{changed}"));
    let (code, out) = ws.plan_exit_code();
    assert!(
        code == 2 && out.stdout.contains(BOUNDARY_2_ARN),
        "[tf {v}] a changed permissions_boundary plans an update showing it\n{}",
        ws.describe_failure(&["plan", "-detailed-exitcode"], &out)
    );
    ws.apply();
    assert_eq!(
        aws.boundary(ROLE).as_deref(),
        Some(BOUNDARY_2_ARN),
        "[tf {v}] IAM holds the new boundary"
    );
    assert_emulator_matches_state(aws, &ws.resource_values(ADDR), &v);
    plan_code(&ws, 0, "re-plan after changing the boundary");

    // Step 5: import by role name restores the same state; plan is empty.
    let before = ws.resource_values(ADDR);
    ws.state_rm(ADDR);
    assert!(no_resources_in_state(&ws), "[tf {v}] state rm left it");
    ws.import(ADDR, ROLE);
    let imported = ws.resource_values(ADDR);
    for key in [
        "id",
        "name",
        "arn",
        "unique_id",
        "path",
        "permissions_boundary",
        "max_session_duration",
        "emr_on_ec2",
        "emr_serverless",
        "s3_read",
        "s3_write",
        "kms_key_arns",
        "managed_policy_arns",
        "tags",
        "tags_all",
    ] {
        assert_eq!(
            normalize(&imported[key]),
            normalize(&before[key]),
            "[tf {v}] imported {key}\nimported: {imported:#}"
        );
    }
    for key in [
        "trust_policy_json",
        "permissions_policy_json",
        "instance_role_policy_json",
        "caller_policy_json",
        "policy_json",
    ] {
        assert_same_policy(
            &json_attr(&imported, key),
            &json_attr(&before, key),
            &format!("[tf {v}] imported {key}"),
        );
    }
    plan_code(&ws, 0, "plan after import");

    // Step 6: the role deleted behind Terraform's back is planned as a create.
    aws.delete_role_completely(ROLE);
    let (plan, _) = ws.plan_json();
    assert_eq!(
        resource_change(&plan, ADDR)["change"]["actions"],
        json!(["create"]),
        "[tf {v}] after out-of-band delete"
    );
    ws.apply();
    assert_emulator_matches_state(aws, &ws.resource_values(ADDR), &v);
    plan_code(&ws, 0, "re-plan after re-create");

    // Step 7: destroy removes the role, its policies and the grant, and
    // leaves the instance role alone.
    ws.destroy();
    assert_destroyed(aws, &ws, ROLE, &v);
}

// ---------------------------------------------------------------------------
// 7b. Provenance: the role carries the provider's owner tag (never in
//     tags_all); a role of the same name made elsewhere is refused at create.
// ---------------------------------------------------------------------------

const PROVENANCE: &str = r#"
resource "emr_runtime_role" "mine" {
  name = "emr-rt-provenance"
  tags = { owner = "analytics" }
  emr_serverless {}
}
"#;

const SQUATTED: &str = r#"
resource "emr_runtime_role" "untagged" {
  name = "emr-rt-untagged"
  emr_serverless {}
}

resource "emr_runtime_role" "elsewhere" {
  name = "emr-rt-elsewhere"
  emr_serverless {}
}
"#;

/// Terraform output with its box drawing and line wrapping undone.
fn flat(s: &str) -> String {
    s.replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

type RoleView = (
    Value,
    BTreeMap<String, String>,
    Option<BTreeSet<String>>,
    BTreeSet<String>,
);

fn role_view(aws: &Aws, name: &str) -> RoleView {
    (
        aws.trust(name),
        aws.tags(name),
        aws.inline_names(name),
        aws.attached(name),
    )
}

#[test]
fn runtime_role_provenance() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        provenance(&terraform, &emulator, &aws);
    }
}

fn provenance(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    let ws = Workspace::new(terraform, emulator, &format!("{PROVIDER}{PROVENANCE}"));
    let v = ws.version().to_owned();
    ws.apply();
    let state = ws.resource_values("emr_runtime_role.mine");
    assert_eq!(
        aws.tags("emr-rt-provenance")
            .get(OWNER_TAG)
            .map(String::as_str),
        Some("emr_runtime_role/emr-rt-provenance"),
        "[tf {v}] the created role names its owner"
    );
    assert_eq!(
        string_map(&state["tags_all"]),
        BTreeMap::from([
            ("owner".to_owned(), "analytics".to_owned()),
            ("team".to_owned(), "data-platform".to_owned()),
        ]),
        "[tf {v}] tags_all is the user's and default tags only"
    );
    assert_emulator_matches_state(aws, &state, &v);
    plan_code(&ws, 0, "the provenance tag is no drift");

    // Same-named roles made elsewhere: one untagged, one owned by another
    // resource. Both creates fail; neither role is touched nor recorded.
    aws.create_plain_role("emr-rt-untagged", &[("team", "someone-else")]);
    let other_owner = "emr_launch_profile/analytics/default";
    aws.create_plain_role("emr-rt-elsewhere", &[(OWNER_TAG, other_owner)]);
    let before = ["emr-rt-untagged", "emr-rt-elsewhere"].map(|n| role_view(aws, n));
    ws.write(&format!("{PROVIDER}{PROVENANCE}{SQUATTED}"));
    let args = ["apply", "-auto-approve", "-input=false", "-no-color"];
    let out = ws.run(&args);
    let all = flat(&out.all());
    for want in [
        "role emr-rt-untagged already exists and is not managed by this resource",
        &format!("role emr-rt-elsewhere already exists and is managed by {other_owner}"),
    ] {
        assert!(
            out.code == 1 && all.contains(want),
            "[tf {v}] the create must be refused with {want:?}\n{}",
            ws.describe_failure(&args, &out)
        );
    }
    let after = ["emr-rt-untagged", "emr-rt-elsewhere"].map(|n| role_view(aws, n));
    assert_eq!(after, before, "[tf {v}] the refused roles are untouched");
    let recorded = ws.state_json()["values"]["root_module"]["resources"].clone();
    let addresses: Vec<&str> = recorded
        .as_array()
        .map(|r| r.iter().filter_map(|x| x["address"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        addresses,
        vec!["emr_runtime_role.mine"],
        "[tf {v}] refused roles are not in state"
    );

    // A role of the name, made beforehand with this resource's own tag (by
    // whoever may tag roles) and trusting its maker: the create adopts it,
    // and first denies every session issued before, so credentials its maker
    // took cannot gain the role's grants. The re-plan is empty, and destroy
    // deletes the role, revocation and all.
    aws.create_plain_role(
        "emr-rt-pretagged",
        &[(OWNER_TAG, "emr_runtime_role/emr-rt-pretagged")],
    );
    let pretagged = r#"
resource "emr_runtime_role" "pretagged" {
  name = "emr-rt-pretagged"
  emr_serverless {}
}
"#;
    ws.write(&format!("{PROVIDER}{PROVENANCE}{pretagged}"));
    ws.apply();
    let revocation = aws
        .inline("emr-rt-pretagged", "emr-launch-revoke-older-sessions")
        .unwrap_or_else(|| panic!("[tf {v}] no revocation on the adopted role"));
    assert_eq!(revocation["Statement"][0]["Effect"], "Deny", "[tf {v}]");
    assert!(
        revocation["Statement"][0]["Condition"]["DateLessThan"]
            .get("aws:TokenIssueTime")
            .is_some(),
        "[tf {v}] {revocation}"
    );
    plan_code(&ws, 0, "the revocation is no drift");
    ws.write(&format!("{PROVIDER}{PROVENANCE}"));
    ws.apply();
    assert!(
        aws.role("emr-rt-pretagged").is_none(),
        "[tf {v}] the adopted role is deleted with its revocation"
    );

    ws.destroy();
    assert!(
        aws.role("emr-rt-provenance").is_none(),
        "[tf {v}] destroyed"
    );
    let after = ["emr-rt-untagged", "emr-rt-elsewhere"].map(|n| role_view(aws, n));
    assert_eq!(after, before, "[tf {v}] destroy leaves the others' roles");
}

// ---------------------------------------------------------------------------
// 7c. The instance-role grant follows instance_role_arn and
//     grant_instance_role.
// ---------------------------------------------------------------------------

const OTHER_INSTANCE_ROLE: &str = "EMR_EC2_OtherRole";

fn moving_hcl(instance_role: &str, grant: bool) -> String {
    format!(
        r#"{PROVIDER}
resource "emr_runtime_role" "moving" {{
  name = "emr-rt-moving"
  emr_on_ec2 {{
    instance_role_arn   = "arn:aws:iam::{ACCOUNT}:role/{instance_role}"
    grant_instance_role = {grant}
  }}
}}
"#
    )
}

#[test]
fn runtime_role_grant_follows_the_instance_role() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        grant_moves(&terraform, &emulator, &aws);
    }
}

fn grant_moves(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    const ROLE: &str = "emr-rt-moving";
    const ADDR: &str = "emr_runtime_role.moving";
    aws.create_cluster_roles();
    aws.create_plain_role(OTHER_INSTANCE_ROLE, &[]);
    let grant = grant_policy_name(ROLE);
    let ws = Workspace::new(terraform, emulator, &moving_hcl(INSTANCE_ROLE, true));
    let v = ws.version().to_owned();
    ws.apply();
    assert!(
        aws.inline(INSTANCE_ROLE, &grant).is_some(),
        "[tf {v}] granted"
    );
    assert_emulator_matches_state(aws, &ws.resource_values(ADDR), &v);

    ws.write(&moving_hcl(OTHER_INSTANCE_ROLE, true));
    plan_code(&ws, 2, "a new instance role plans an update");
    ws.apply();
    assert_eq!(
        aws.inline(INSTANCE_ROLE, &grant),
        None,
        "[tf {v}] the grant left the previous instance role"
    );
    assert_eq!(
        aws.inline_names(INSTANCE_ROLE),
        Some(BTreeSet::from([INSTANCE_ROLE_OWN_POLICY.to_owned()])),
        "[tf {v}] the previous instance role keeps its own policy"
    );
    assert!(
        aws.inline(OTHER_INSTANCE_ROLE, &grant).is_some(),
        "[tf {v}] the grant is on the new instance role"
    );
    assert_emulator_matches_state(aws, &ws.resource_values(ADDR), &v);
    plan_code(&ws, 0, "re-plan after moving the grant");

    ws.write(&moving_hcl(OTHER_INSTANCE_ROLE, false));
    plan_code(&ws, 2, "grant_instance_role = false plans an update");
    ws.apply();
    assert_eq!(
        aws.inline_names(OTHER_INSTANCE_ROLE),
        Some(BTreeSet::new()),
        "[tf {v}] the grant is removed with grant_instance_role = false"
    );
    let state = ws.resource_values(ADDR);
    assert_eq!(state["instance_role_policy_json"], json!(""), "[tf {v}]");
    assert_emulator_matches_state(aws, &state, &v);
    plan_code(&ws, 0, "re-plan after removing the grant");

    ws.destroy();
    assert!(aws.role(ROLE).is_none(), "[tf {v}] destroyed");
    assert!(
        aws.role(OTHER_INSTANCE_ROLE).is_some(),
        "[tf {v}] destroy left the instance role"
    );
}

// ---------------------------------------------------------------------------
// 8. Invalid configurations are rejected at plan, before any AWS change.
// ---------------------------------------------------------------------------

struct Invalid {
    what: &'static str,
    body: &'static str,
    /// One of these source lines must be shown as a diagnostic snippet
    /// ("NN:   attr = ..."), i.e. the diagnostic carries the attribute path.
    /// Empty when the error is about the resource as a whole.
    snippet_any_of: &'static [&'static str],
    /// Words the output must contain (attribute names).
    mentions: &'static [&'static str],
}

/// A valid ec2 block, for cases about other attributes.
macro_rules! ec2_ok {
    () => {
        r#"
  emr_on_ec2 {
    instance_role_arn = "arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole"
  }"#
    };
}

const INVALID: &[Invalid] = &[
    Invalid {
        what: "name longer than 64 characters",
        body: concat!(
            r#"
  name = "emr-runtime-role-0123456789-0123456789-0123456789-0123456789-toolong""#,
            ec2_ok!()
        ),
        snippet_any_of: &[r#"name = "emr-runtime-role-"#],
        mentions: &["name"],
    },
    Invalid {
        what: "name with a space",
        body: concat!(
            r#"
  name = "emr rt""#,
            ec2_ok!()
        ),
        snippet_any_of: &[r#"name = "emr rt""#],
        mentions: &["name"],
    },
    Invalid {
        what: "name and name_prefix",
        body: concat!(
            r#"
  name        = "emr-rt"
  name_prefix = "emr-rt-""#,
            ec2_ok!()
        ),
        snippet_any_of: &[r#"name_prefix = "emr-rt-""#, r#"name        = "emr-rt""#],
        mentions: &["name_prefix"],
    },
    Invalid {
        what: "name_prefix longer than 38 characters",
        body: concat!(
            r#"
  name_prefix = "emr-runtime-role-prefix-0123456789-abcd""#,
            ec2_ok!()
        ),
        snippet_any_of: &[r#"name_prefix = "emr-runtime-role-prefix"#],
        mentions: &["name_prefix"],
    },
    Invalid {
        what: "path without slashes",
        body: concat!(
            r#"
  name = "emr-rt"
  path = "emr""#,
            ec2_ok!()
        ),
        snippet_any_of: &[r#"path = "emr""#],
        mentions: &["path"],
    },
    Invalid {
        what: "permissions_boundary is a role ARN",
        body: concat!(
            r#"
  name                 = "emr-rt"
  permissions_boundary = "arn:aws:iam::123456789012:role/boundary""#,
            ec2_ok!()
        ),
        snippet_any_of: &[r#"permissions_boundary = "arn:aws:iam::123456789012:role/boundary""#],
        mentions: &["permissions_boundary"],
    },
    Invalid {
        what: "max_session_duration 60",
        body: concat!(
            r#"
  name                 = "emr-rt"
  max_session_duration = 60"#,
            ec2_ok!()
        ),
        snippet_any_of: &["max_session_duration = 60"],
        mentions: &["max_session_duration"],
    },
    Invalid {
        what: "neither emr_on_ec2 nor emr_serverless",
        body: r#"
  name = "emr-rt""#,
        snippet_any_of: &[],
        mentions: &["emr_on_ec2", "emr_serverless"],
    },
    Invalid {
        what: "instance_role_arn is a user ARN",
        body: r#"
  name = "emr-rt"
  emr_on_ec2 {
    instance_role_arn = "arn:aws:iam::123456789012:user/alice"
  }"#,
        snippet_any_of: &[r#"instance_role_arn = "arn:aws:iam::123456789012:user/alice""#],
        mentions: &["instance_role_arn"],
    },
    Invalid {
        what: "external_id with a space",
        body: r#"
  name = "emr-rt"
  emr_on_ec2 {
    instance_role_arn = "arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole"
    external_id       = "has space"
  }"#,
        snippet_any_of: &[r#"external_id       = "has space""#],
        mentions: &["external_id"],
    },
    Invalid {
        what: "source_identities without propagate_source_identity",
        body: r#"
  name = "emr-rt"
  emr_on_ec2 {
    instance_role_arn = "arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole"
    source_identities = ["alice"]
  }"#,
        snippet_any_of: &[r#"source_identities = ["alice"]"#],
        mentions: &["source_identities", "propagate_source_identity"],
    },
    Invalid {
        what: "source_identities with propagate_source_identity = false",
        body: r#"
  name = "emr-rt"
  emr_on_ec2 {
    instance_role_arn         = "arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole"
    propagate_source_identity = false
    source_identities         = ["alice"]
  }"#,
        snippet_any_of: &[r#"source_identities         = ["alice"]"#],
        mentions: &["source_identities", "propagate_source_identity"],
    },
    Invalid {
        what: "lake_formation_session_tag empty",
        body: r#"
  name = "emr-rt"
  emr_on_ec2 {
    instance_role_arn          = "arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole"
    lake_formation             = true
    lake_formation_session_tag = ""
  }"#,
        snippet_any_of: &[r#"lake_formation_session_tag = """#],
        mentions: &["lake_formation_session_tag", "256"],
    },
    Invalid {
        what: "lake_formation_session_tag longer than 256 characters",
        body: r#"
  name = "emr-rt"
  emr_on_ec2 {
    instance_role_arn          = "arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole"
    lake_formation             = true
    lake_formation_session_tag = "${join("", [for i in range(26) : "0123456789"])}"
  }"#,
        snippet_any_of: &["lake_formation_session_tag = \"${join("],
        mentions: &["lake_formation_session_tag", "256"],
    },
    Invalid {
        what: "grant_instance_role for an instance role in another account",
        body: r#"
  name = "emr-rt"
  emr_on_ec2 {
    instance_role_arn   = "arn:aws:iam::999988887777:role/EMR_EC2_DefaultRole"
    grant_instance_role = true
  }"#,
        snippet_any_of: &["grant_instance_role = true"],
        mentions: &[
            "grant_instance_role = false",
            "999988887777",
            "123456789012",
        ],
    },
    Invalid {
        what: "grant_instance_role by default for an instance role in another account",
        body: r#"
  name = "emr-rt"
  emr_on_ec2 {
    instance_role_arn = "arn:aws:iam::999988887777:role/EMR_EC2_DefaultRole"
  }"#,
        snippet_any_of: &[],
        mentions: &["grant_instance_role = false", "999988887777"],
    },
    Invalid {
        what: "s3_read without s3://",
        body: concat!(
            r#"
  name    = "emr-rt"
  s3_read = ["datalake/curated/"]"#,
            ec2_ok!()
        ),
        snippet_any_of: &[r#"s3_read = ["datalake/curated/"]"#],
        mentions: &["s3_read"],
    },
    Invalid {
        what: "s3_write prefix without trailing slash",
        body: concat!(
            r#"
  name     = "emr-rt"
  s3_write = ["s3://datalake/scratch"]"#,
            ec2_ok!()
        ),
        snippet_any_of: &[r#"s3_write = ["s3://datalake/scratch"]"#],
        mentions: &["s3_write"],
    },
    Invalid {
        what: "kms_key_arns with an S3 ARN",
        body: concat!(
            r#"
  name         = "emr-rt"
  kms_key_arns = ["arn:aws:s3:::datalake"]"#,
            ec2_ok!()
        ),
        snippet_any_of: &[r#"kms_key_arns = ["arn:aws:s3:::datalake"]"#],
        mentions: &["kms_key_arns"],
    },
    Invalid {
        what: "kms_key_arns with an alias ARN",
        body: concat!(
            r#"
  name         = "emr-rt"
  kms_key_arns = ["arn:aws:kms:us-east-1:123456789012:alias/datalake"]"#,
            ec2_ok!()
        ),
        snippet_any_of: &[
            r#"kms_key_arns = ["arn:aws:kms:us-east-1:123456789012:alias/datalake"]"#,
        ],
        mentions: &["kms_key_arns", "alias"],
    },
    Invalid {
        what: "policy_json is not JSON",
        body: concat!(
            r#"
  name        = "emr-rt"
  policy_json = "not json""#,
            ec2_ok!()
        ),
        snippet_any_of: &[r#"policy_json = "not json""#],
        mentions: &["policy_json"],
    },
    Invalid {
        what: "policy_json with a Principal",
        body: concat!(
            r#"
  name        = "emr-rt"
  policy_json = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = "*", Action = "s3:GetObject", Resource = "arn:aws:s3:::datalake/*" }] })"#,
            ec2_ok!()
        ),
        snippet_any_of: &["policy_json = jsonencode("],
        mentions: &["policy_json", "Principal"],
    },
    Invalid {
        what: "managed_policy_arns with a bare name",
        body: concat!(
            r#"
  name                = "emr-rt"
  managed_policy_arns = ["ReadOnlyAccess"]"#,
            ec2_ok!()
        ),
        snippet_any_of: &[r#"managed_policy_arns = ["ReadOnlyAccess"]"#],
        mentions: &["managed_policy_arns"],
    },
    Invalid {
        what: "application_arns with an S3 ARN",
        body: r#"
  name = "emr-rt"
  emr_serverless {
    application_arns = ["arn:aws:s3:::x"]
  }"#,
        snippet_any_of: &[r#"application_arns = ["arn:aws:s3:::x"]"#],
        mentions: &["application_arns"],
    },
    Invalid {
        what: "tag key aws:x",
        body: concat!(
            r#"
  name = "emr-rt"
  tags = { "aws:x" = "y" }"#,
            ec2_ok!()
        ),
        snippet_any_of: &[r#"tags = { "aws:x" = "y" }"#],
        mentions: &["tags", "aws:"],
    },
];

/// Valid configurations next to invalid cases (each must plan a create).
const VALID: &[(&str, &str)] = &[
    (
        "a custom lake_formation_session_tag",
        r#"
  name = "emr-rt"
  emr_on_ec2 {
    instance_role_arn          = "arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole"
    lake_formation             = true
    lake_formation_session_tag = "Acme EMR"
  }"#,
    ),
    (
        "an instance role in another account with grant_instance_role = false",
        r#"
  name = "emr-rt"
  emr_on_ec2 {
    instance_role_arn   = "arn:aws:iam::999988887777:role/EMR_EC2_DefaultRole"
    grant_instance_role = false
  }"#,
    ),
];

fn resource_hcl(body: &str) -> String {
    format!("{PROVIDER}\nresource \"emr_runtime_role\" \"bad\" {{{body}\n}}\n")
}

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

#[test]
fn runtime_role_invalid_configs_fail_at_plan() {
    assert!(INVALID.len() >= 15);
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        // Control: a valid configuration plans a create through the same path,
        // so the failures below are about the input, not the setup.
        let valid = resource_hcl(concat!(
            r#"
  name = "emr-rt""#,
            ec2_ok!()
        ));
        let ws = Workspace::new(&terraform, &emulator, &valid);
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

        // Valid neighbours of the cases below plan a create too.
        for (what, body) in VALID {
            ws.write(&resource_hcl(body));
            emulator.start_recording();
            plan_code(&ws, 2, what);
            assert_eq!(
                emulator.mutating_actions(),
                Vec::<String>::new(),
                "[tf {v}] {what}: planning must not change anything"
            );
        }

        let mut failures = Vec::new();
        for case in INVALID {
            ws.write(&resource_hcl(case.body));
            emulator.start_recording();
            let args = ["plan", "-input=false", "-no-color"];
            let out = ws.run(&args);
            let all = out.all();
            let mut problems = Vec::new();
            if out.code != 1 {
                problems.push(format!("exit code {} (want 1)", out.code));
            }
            if !case.snippet_any_of.is_empty()
                && !case.snippet_any_of.iter().any(|s| shows_snippet(&all, s))
            {
                problems.push(format!(
                    "no diagnostic points at any of {:?}",
                    case.snippet_any_of
                ));
            }
            for word in case.mentions {
                if !all.contains(word) {
                    problems.push(format!("output does not mention {word:?}"));
                }
            }
            let mutating = emulator.mutating_actions();
            if !mutating.is_empty() {
                problems.push(format!("emulator received mutating calls {mutating:?}"));
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
            INVALID.len(),
            failures.join("\n\n")
        );
        assert!(
            aws.role("emr-rt").is_none(),
            "[tf {v}] an invalid plan created a role"
        );
    }
}
