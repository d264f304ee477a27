//! Acceptance tests for `emr_serverless_dataplane` (seed 003) and
//! `emr_serverless_application` (seeds 003/004): real Terraform (every binary
//! from `common::terraform_binaries()`) drives the built provider against
//! moto. Each step checks Terraform's state and what the emulator holds, read
//! back independently through aws-sdk-iam, aws-sdk-ec2 and
//! aws-sdk-emrserverless.
//!
//! The provider never checks the resource bucket, so no bucket is created.

mod common;

use common::{
    assert_same_policy, blocking_sdk, document, is_no_such_entity, json_attr, resource_change,
    terraform_binaries, Emulator, Workspace,
};

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
/// The existing SDP system role that shared mode grants (seed 003).
const SHARED_ROLE: &str = "role_trusted_user";
/// An inline policy of its own, which must survive every step.
const SHARED_ROLE_OWN_POLICY: &str = "sdp-system";
const CONTROL_PLANE: &str = "arn:aws:iam::999988887777:role/control-plane";
const KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const MISSING_SG: &str = "sg-0123456789abcdef0";

const JOB_RUNTIME_POLICY: &str = "emr-serverless-job-runtime";
const LAUNCH_POLICY: &str = "emr-serverless-launch";

use common::PROVIDER;

fn job_role(name: &str) -> String {
    format!("{name}-emr-serverless-job-runtime")
}

fn launch_role(name: &str) -> String {
    format!("{name}-emr-serverless-launch")
}

// ---------------------------------------------------------------------------
// The emulator as seen through the AWS SDK
// ---------------------------------------------------------------------------

struct Aws {
    rt: tokio::runtime::Runtime,
    iam: aws_sdk_iam::Client,
    ec2: aws_sdk_ec2::Client,
    es: aws_sdk_emrserverless::Client,
}

/// The network every test starts from.
struct Net {
    /// us-east-1a
    a: String,
    /// us-east-1b
    b: String,
    /// a second subnet in us-east-1a
    a2: String,
    sg: String,
}

fn shared_role_own_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["s3:GetObject"],
        "Resource": "arn:aws:s3:::sdp-config/*"
    }]})
}

impl Aws {
    fn new(emulator: &Emulator) -> Aws {
        let (rt, config) = blocking_sdk(emulator);
        Aws {
            rt,
            iam: aws_sdk_iam::Client::new(&config),
            ec2: aws_sdk_ec2::Client::new(&config),
            es: aws_sdk_emrserverless::Client::new(&config),
        }
    }

    /// A VPC, subnets in us-east-1a, us-east-1b and again us-east-1a, a
    /// security group, and the shared-mode role with a policy of its own.
    fn setup(&self) -> Net {
        self.rt.block_on(async {
            let vpc = self
                .ec2
                .create_vpc()
                .cidr_block("10.20.0.0/16")
                .send()
                .await
                .expect("CreateVpc");
            let vpc = vpc.vpc().unwrap().vpc_id().unwrap().to_owned();
            let mut subnets = Vec::new();
            for (cidr, az) in [
                ("10.20.1.0/24", "us-east-1a"),
                ("10.20.2.0/24", "us-east-1b"),
                ("10.20.3.0/24", "us-east-1a"),
            ] {
                let out = self
                    .ec2
                    .create_subnet()
                    .vpc_id(&vpc)
                    .cidr_block(cidr)
                    .availability_zone(az)
                    .send()
                    .await
                    .expect("CreateSubnet");
                subnets.push(out.subnet().unwrap().subnet_id().unwrap().to_owned());
            }
            let sg = self
                .ec2
                .create_security_group()
                .group_name("emr-serverless")
                .description("EMR Serverless jobs")
                .vpc_id(&vpc)
                .send()
                .await
                .expect("CreateSecurityGroup")
                .group_id()
                .unwrap()
                .to_owned();
            self.iam
                .create_role()
                .role_name(SHARED_ROLE)
                .assume_role_policy_document(
                    json!({"Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow",
                        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
                        "Action": "sts:AssumeRole"
                    }]})
                    .to_string(),
                )
                .send()
                .await
                .expect("CreateRole role_trusted_user");
            self.iam
                .put_role_policy()
                .role_name(SHARED_ROLE)
                .policy_name(SHARED_ROLE_OWN_POLICY)
                .policy_document(shared_role_own_policy().to_string())
                .send()
                .await
                .expect("PutRolePolicy on role_trusted_user");
            Net {
                a: subnets[0].clone(),
                b: subnets[1].clone(),
                a2: subnets[2].clone(),
                sg,
            }
        })
    }

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

    fn role_names(&self) -> BTreeSet<String> {
        let out = self
            .rt
            .block_on(self.iam.list_roles().send())
            .expect("ListRoles");
        out.roles()
            .iter()
            .map(|r| r.role_name().to_owned())
            .collect()
    }

    fn application(&self, id: &str) -> aws_sdk_emrserverless::types::Application {
        self.rt
            .block_on(self.es.get_application().application_id(id).send())
            .unwrap_or_else(|e| panic!("GetApplication({id}): {e:?}"))
            .application()
            .cloned()
            .unwrap_or_else(|| panic!("GetApplication({id}) returned no application"))
    }

    fn subnet_azs(&self, ids: &[String]) -> BTreeMap<String, String> {
        let out = self
            .rt
            .block_on(
                self.ec2
                    .describe_subnets()
                    .set_subnet_ids(Some(ids.to_vec()))
                    .send(),
            )
            .expect("DescribeSubnets");
        out.subnets()
            .iter()
            .map(|s| {
                (
                    s.subnet_id().unwrap().to_owned(),
                    s.availability_zone().unwrap().to_owned(),
                )
            })
            .collect()
    }

    fn security_group_exists(&self, id: &str) -> bool {
        self.rt
            .block_on(self.ec2.describe_security_groups().group_ids(id).send())
            .is_ok_and(|o| !o.security_groups().is_empty())
    }
}

// ---------------------------------------------------------------------------
// Policy comparison and least privilege
// ---------------------------------------------------------------------------

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

fn statements(doc: &Value) -> Vec<Value> {
    as_list(&doc["Statement"])
}

/// No `*` resource anywhere (nor a whole-service wildcard like key/*), and
/// every iam:PassRole carries an iam:PassedToService condition.
fn assert_least_privilege(doc: &Value, what: &str) {
    for st in statements(doc) {
        for r in as_list(&st["Resource"]) {
            let r = r.as_str().unwrap_or_default();
            assert!(
                r != "*" && !r.ends_with(":key/*") && !r.ends_with(":role/*"),
                "{what}: wildcard resource {r:?} in {st:#}"
            );
        }
        assert!(
            st.get("NotResource").is_none() && st.get("NotAction").is_none(),
            "{what}: NotResource/NotAction in {st:#}"
        );
        let actions: Vec<String> = as_list(&st["Action"])
            .iter()
            .map(|a| a.as_str().unwrap_or_default().to_owned())
            .collect();
        assert!(
            !actions.iter().any(|a| a == "*" || a.ends_with(":*")),
            "{what}: wildcard action in {st:#}"
        );
        if actions.iter().any(|a| a == "iam:PassRole") {
            let conds = st["Condition"].as_object().cloned().unwrap_or_default();
            assert!(
                conds
                    .values()
                    .any(|m| m.get("iam:PassedToService").is_some()),
                "{what}: iam:PassRole without iam:PassedToService: {st:#}"
            );
        }
    }
}

/// The sts:ExternalId values a trust policy requires.
fn external_ids_of(trust: &Value) -> Vec<String> {
    let mut ids = Vec::new();
    for st in statements(trust) {
        if let Some(conds) = st["Condition"].as_object() {
            for m in conds.values() {
                for v in as_list(&m["sts:ExternalId"]) {
                    if let Some(s) = v.as_str() {
                        ids.push(s.to_owned());
                    }
                }
            }
        }
    }
    ids
}

fn strings(v: &Value) -> Vec<String> {
    as_list(v)
        .iter()
        .map(|s| s.as_str().expect("list of strings").to_owned())
        .collect()
}

// ---------------------------------------------------------------------------
// HCL
// ---------------------------------------------------------------------------

/// (attribute, raw HCL value) pairs of one resource.
type Attrs = Vec<(&'static str, String)>;

const BLOCKS: &[&str] = &[
    "control_plane",
    "control_plane_message",
    "initial_capacity",
    "maximum_capacity",
    "network",
    "interactive",
    "identity_center",
    "worker_type_image",
    "monitoring",
    "scheduler",
    "timeouts",
];

/// A resource from (attribute, raw HCL value) pairs; a block's value is its
/// body (attribute lines).
fn resource(ty: &str, label: &str, attrs: &[(&str, String)]) -> String {
    let mut s = format!("resource \"{ty}\" \"{label}\" {{\n");
    for (k, v) in attrs {
        if BLOCKS.contains(k) {
            s.push_str(&format!("  {k} {{\n"));
            for line in v.lines() {
                s.push_str(&format!("    {}\n", line.trim()));
            }
            s.push_str("  }\n");
        } else {
            s.push_str(&format!("  {k} = {v}\n"));
        }
    }
    s.push_str("}\n");
    s
}

fn q(s: &str) -> String {
    format!("{s:?}")
}

fn list(items: &[&str]) -> String {
    format!(
        "[{}]",
        items.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
    )
}

fn set(attrs: &mut Vec<(&'static str, String)>, k: &'static str, v: String) {
    match attrs.iter_mut().find(|(x, _)| *x == k) {
        Some(e) => e.1 = v,
        None => attrs.push((k, v)),
    }
}

fn unset(attrs: &mut Vec<(&'static str, String)>, k: &str) {
    attrs.retain(|(x, _)| *x != k);
}

fn private_attrs(net: &Net, name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", q(name)),
        ("mode", q("private")),
        ("resource_bucket", q(&format!("{name}-emr-serverless"))),
        ("resource_prefix", q("emr-serverless/")),
        ("subnet_ids", list(&[&net.a, &net.b])),
        ("security_group_ids", list(&[&net.sg])),
        ("kms_key_arns", list(&[KMS_KEY])),
        ("read_bucket_names", list(&["public-datasets"])),
        (
            "assumable_role_arns",
            list(&["arn:aws:iam::111122223333:role/data"]),
        ),
        ("trusted_identity_propagation", "true".into()),
        (
            "control_plane",
            format!("principal_arn = {}", q(CONTROL_PLANE)),
        ),
    ]
}

fn shared_attrs(net: &Net, name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", q(name)),
        ("mode", q("shared")),
        ("resource_bucket", q("sdp-emr-serverless")),
        ("subnet_ids", list(&[&net.a, &net.b])),
        ("security_group_ids", list(&[&net.sg])),
        ("shared_launch_role_name", q(SHARED_ROLE)),
    ]
}

const IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/spark:7.8";
const DRIVER_IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/spark-driver:7.8";

fn app_attrs(net: &Net) -> Vec<(&'static str, String)> {
    vec![
        ("name", q("acme-interactive")),
        ("type", q("SPARK")),
        ("release_label", q("emr-7.8.0")),
        ("architecture", q("ARM64")),
        (
            "initial_capacity",
            "worker_type = \"DRIVER\"\nworker_count = 1\ncpu = \"4 vCPU\"\nmemory = \"16 GB\""
                .into(),
        ),
        (
            "maximum_capacity",
            "cpu = \"200 vCPU\"\nmemory = \"800 GB\"".into(),
        ),
        ("auto_stop_idle_timeout_minutes", "15".into()),
        (
            "network",
            format!(
                "subnet_ids = {}\nsecurity_group_ids = {}",
                list(&[&net.a, &net.b]),
                list(&[&net.sg])
            ),
        ),
        (
            "interactive",
            "livy_endpoint_enabled = true\nstudio_enabled = false\nsession_enabled = true".into(),
        ),
        ("job_level_cost_allocation", "true".into()),
        ("image_uri", q(IMAGE)),
        (
            "runtime_configuration",
            "jsonencode([{ classification = \"spark-defaults\", properties = { \"spark.executor.cores\" = \"4\", \"spark.hadoop.db.password\" = \"EMR.secret@db-password\" } }])".into(),
        ),
        (
            "worker_type_image",
            format!("worker_type = \"DRIVER\"\nimage_uri = {}", q(DRIVER_IMAGE)),
        ),
        (
            "identity_center",
            "instance_arn = \"arn:aws:sso:::instance/ssoins-123\"".into(),
        ),
        ("monitoring", MONITORING.into()),
        ("scheduler", scheduler(20, 60)),
        ("tags", "{ owner = \"analytics\" }".into()),
    ]
}

const LOG_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const PROMETHEUS: &str =
    "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1a2b3c/api/v1/remote_write";
const MONITORING: &str = r#"s3 {
  log_uri = "s3://acme-emr-serverless/logs/"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}
managed_persistence {
  enabled = false
}
cloudwatch {
  enabled = true
  log_group_name = "/emr-serverless/acme"
  log_stream_name_prefix = "acme"
  log_types = { SPARK_DRIVER = ["STDOUT", "STDERR"], SPARK_EXECUTOR = ["STDERR"] }
}
prometheus {
  remote_write_url = "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1a2b3c/api/v1/remote_write"
}"#;

fn scheduler(max: u32, queue: u32) -> String {
    format!("max_concurrent_runs = {max}\nqueue_timeout_minutes = {queue}")
}

const DP: &str = "emr_serverless_dataplane";
const APP: &str = "emr_serverless_application";

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
// Checks of an applied data plane against the emulator
// ---------------------------------------------------------------------------

fn assert_private_dataplane(aws: &Aws, net: &Net, st: &Value, v: &str) {
    let name = st["name"].as_str().unwrap();
    let (job, launch) = (job_role(name), launch_role(name));
    let job_arn = aws
        .role(&job)
        .unwrap_or_else(|| panic!("[tf {v}] {job} missing"))
        .arn()
        .to_owned();
    let launch_arn = aws
        .role(&launch)
        .unwrap_or_else(|| panic!("[tf {v}] {launch} missing"))
        .arn()
        .to_owned();
    assert_eq!(st["job_runtime_role_arn"], json!(job_arn), "[tf {v}]");
    assert_eq!(st["launch_role_arn"], json!(launch_arn), "[tf {v}]");

    let docs = [
        ("job_runtime_trust_policy_json", aws.trust(&job)),
        (
            "job_runtime_policy_json",
            aws.inline(&job, JOB_RUNTIME_POLICY)
                .unwrap_or_else(|| panic!("[tf {v}] no {JOB_RUNTIME_POLICY} on {job}")),
        ),
        ("launch_trust_policy_json", aws.trust(&launch)),
        (
            "launch_policy_json",
            aws.inline(&launch, LAUNCH_POLICY)
                .unwrap_or_else(|| panic!("[tf {v}] no {LAUNCH_POLICY} on {launch}")),
        ),
    ];
    for (attr, remote) in &docs {
        let local = json_attr(st, attr);
        assert_same_policy(remote, &local, &format!("[tf {v}] {name}.{attr}"));
        assert_least_privilege(&local, &format!("[tf {v}] {name}.{attr}"));
    }
    // The launch trust: only the control plane, with its own external id.
    let ext = st["external_id"].as_str().expect("external_id in state");
    assert!(!ext.is_empty(), "[tf {v}] empty external id");
    let trust = &docs[2].1;
    assert_eq!(external_ids_of(trust), vec![ext.to_owned()], "[tf {v}]");
    assert!(
        trust.to_string().contains(CONTROL_PLANE),
        "[tf {v}] launch trust does not name the control plane: {trust:#}"
    );
    // tip = true: sts:SetContext on the job runtime trust.
    assert!(docs[0].1.to_string().contains("sts:SetContext"), "[tf {v}]");

    let md = json_attr(st, "control_plane_metadata");
    let keys: BTreeSet<&str> = md.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "resourceBucket",
            "subnetIds",
            "securityGroups",
            "region",
            "jobRuntimeRoleArn",
            "jobLaunchArn",
            "externalId"
        ]),
        "[tf {v}] private metadata keys: {md:#}"
    );
    assert_eq!(md["jobLaunchArn"], json!(launch_arn), "[tf {v}]");
    assert_eq!(md["externalId"], json!(ext), "[tf {v}]");
    assert_metadata_common(aws, net, st, &md, &job_arn, v);
}

fn assert_shared_dataplane(aws: &Aws, net: &Net, st: &Value, v: &str) {
    let name = st["name"].as_str().unwrap();
    let job = job_role(name);
    let job_arn = aws
        .role(&job)
        .unwrap_or_else(|| panic!("[tf {v}] {job} missing"))
        .arn()
        .to_owned();
    assert!(
        aws.role(&launch_role(name)).is_none(),
        "[tf {v}] shared mode created a launch role"
    );
    let shared_arn = aws.role(SHARED_ROLE).unwrap().arn().to_owned();
    assert_eq!(st["launch_role_arn"], json!(shared_arn), "[tf {v}]");
    assert_eq!(st["launch_trust_policy_json"], json!(""), "[tf {v}]");
    assert_eq!(st["external_id"], json!(""), "[tf {v}]");
    let grant = format!("{LAUNCH_POLICY}-{name}");
    let docs = [
        ("job_runtime_trust_policy_json", aws.trust(&job)),
        (
            "job_runtime_policy_json",
            aws.inline(&job, JOB_RUNTIME_POLICY).expect("job policy"),
        ),
        (
            "launch_policy_json",
            aws.inline(SHARED_ROLE, &grant)
                .unwrap_or_else(|| panic!("[tf {v}] no {grant} on {SHARED_ROLE}")),
        ),
    ];
    for (attr, remote) in &docs {
        let local = json_attr(st, attr);
        assert_same_policy(remote, &local, &format!("[tf {v}] {name}.{attr}"));
        assert_least_privilege(&local, &format!("[tf {v}] {name}.{attr}"));
    }
    // PassRole names exactly the job runtime role.
    let launch = &docs[2].1;
    let pass: Vec<Value> = statements(launch)
        .into_iter()
        .filter(|s| as_list(&s["Action"]).contains(&json!("iam:PassRole")))
        .collect();
    assert_eq!(pass.len(), 1, "[tf {v}] {launch:#}");
    assert_eq!(
        strings(&pass[0]["Resource"]),
        vec![job_arn.clone()],
        "[tf {v}]"
    );
    assert_shared_role_intact(aws, &[grant.as_str()], v);

    let md = json_attr(st, "control_plane_metadata");
    let keys: BTreeSet<&str> = md.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "resourceBucket",
            "subnetIds",
            "securityGroups",
            "region",
            "jobRuntimeRoleArn"
        ]),
        "[tf {v}] shared metadata keys: {md:#}"
    );
    assert_metadata_common(aws, net, st, &md, &job_arn, v);
}

fn assert_metadata_common(aws: &Aws, net: &Net, st: &Value, md: &Value, job_arn: &str, v: &str) {
    assert_eq!(md["resourceBucket"], st["resource_bucket"], "[tf {v}]");
    assert_eq!(md["region"], json!(REGION), "[tf {v}]");
    assert_eq!(md["jobRuntimeRoleArn"], json!(job_arn), "[tf {v}]");
    let subnets = strings(&md["subnetIds"]);
    // Subnet order carries no meaning; after an import it follows the policy's
    // (sorted) resource list rather than the configuration.
    let mut got = subnets.clone();
    got.sort();
    let mut want = vec![net.a.clone(), net.b.clone()];
    want.sort();
    assert_eq!(got, want, "[tf {v}]");
    let azs = aws.subnet_azs(&subnets);
    assert_eq!(
        azs.values().collect::<BTreeSet<_>>().len(),
        2,
        "[tf {v}] metadata subnets in two AZs: {azs:?}"
    );
    let sgs = strings(&md["securityGroups"]);
    assert_eq!(sgs, vec![net.sg.clone()], "[tf {v}]");
    assert!(sgs.iter().all(|s| aws.security_group_exists(s)), "[tf {v}]");
}

/// role_trusted_user holds its own policy, unchanged, plus exactly `grants`.
fn assert_shared_role_intact(aws: &Aws, grants: &[&str], v: &str) {
    let mut want: BTreeSet<String> = grants.iter().map(|s| s.to_string()).collect();
    want.insert(SHARED_ROLE_OWN_POLICY.into());
    assert_eq!(
        aws.inline_names(SHARED_ROLE),
        Some(want),
        "[tf {v}] inline policies of {SHARED_ROLE}"
    );
    assert_same_policy(
        &aws.inline(SHARED_ROLE, SHARED_ROLE_OWN_POLICY).unwrap(),
        &shared_role_own_policy(),
        &format!("[tf {v}] {SHARED_ROLE}'s own policy"),
    );
}

// ---------------------------------------------------------------------------
// 1. Shared and private data planes
// ---------------------------------------------------------------------------

#[test]
fn serverless_dataplanes_shared_and_private() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        dataplanes(&terraform, &emulator, &aws);
    }
}

fn dataplanes(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    let net = aws.setup();
    let hcl = format!(
        "{PROVIDER}\n{}\n{}",
        resource(DP, "acme", &private_attrs(&net, "acme")),
        resource(DP, "sdp", &shared_attrs(&net, "sdp"))
    );
    let ws = Workspace::new(terraform, emulator, &hcl);
    let v = ws.version().to_owned();

    // Known at plan: every policy except what depends on the external id.
    let (plan, _) = ws.plan_json();
    for addr in [
        "emr_serverless_dataplane.acme",
        "emr_serverless_dataplane.sdp",
    ] {
        let after = &resource_change(&plan, addr)["change"]["after"];
        for k in [
            "job_runtime_role_arn",
            "job_runtime_trust_policy_json",
            "job_runtime_policy_json",
            "launch_policy_json",
        ] {
            assert!(
                after[k].is_string(),
                "[tf {v}] {addr}.{k} unknown at plan: {after:#}"
            );
        }
    }

    ws.apply();
    let acme = ws.resource_values("emr_serverless_dataplane.acme");
    let sdp = ws.resource_values("emr_serverless_dataplane.sdp");
    assert_eq!(acme["id"], json!("acme"), "[tf {v}]");
    assert_eq!(acme["region"], json!(REGION), "[tf {v}]");
    assert_private_dataplane(aws, &net, &acme, &v);
    assert_shared_dataplane(aws, &net, &sdp, &v);
    plan_code(&ws, 0, "re-plan after apply");

    ws.destroy();
    for r in [job_role("acme"), launch_role("acme"), job_role("sdp")] {
        assert!(aws.role(&r).is_none(), "[tf {v}] {r} survived destroy");
    }
    assert_shared_role_intact(aws, &[], &v);
}

// ---------------------------------------------------------------------------
// 2. Three private data planes from one module: three external ids
// ---------------------------------------------------------------------------

#[test]
fn serverless_dataplane_module_external_ids() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        module_external_ids(&terraform, &emulator, &aws);
    }
}

fn module_external_ids(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    let net = aws.setup();
    let mut attrs = private_attrs(&net, "x");
    set(&mut attrs, "name", "var.name".into());
    set(
        &mut attrs,
        "resource_bucket",
        "\"${var.name}-emr-serverless\"".into(),
    );
    let module = format!(
        "terraform {{\n  required_providers {{\n    emr = {{ source = \"emrlaunch/emr\" }}\n  }}\n}}\n\
         variable \"name\" {{ type = string }}\n{}\n\
         output \"external_id\" {{\n  value     = emr_serverless_dataplane.this.external_id\n  sensitive = true\n}}\n",
        resource(DP, "this", &attrs)
    );
    let root = format!(
        "{PROVIDER}\nmodule \"dp\" {{\n  source   = \"./modules/dp\"\n  for_each = toset([\"one\", \"two\", \"three\"])\n  name     = each.key\n}}\n"
    );
    let ws = Workspace::new(terraform, emulator, &root);
    let v = ws.version().to_owned();
    let mdir = ws.dir().join("modules/dp");
    std::fs::create_dir_all(&mdir).unwrap();
    std::fs::write(mdir.join("main.tf"), module).unwrap();
    ws.run_ok(&["get", "-no-color"]);

    ws.apply();
    let names = ["one", "two", "three"];
    let ids = |ws: &Workspace| -> BTreeMap<&str, String> {
        names
            .iter()
            .map(|n| {
                let st = ws
                    .resource_values(&format!("module.dp[\"{n}\"].emr_serverless_dataplane.this"));
                (
                    *n,
                    st["external_id"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let first = ids(&ws);
    let distinct: BTreeSet<&String> = first.values().collect();
    assert_eq!(
        distinct.len(),
        3,
        "[tf {v}] external ids not distinct: {first:?}"
    );
    assert!(first.values().all(|x| x.len() >= 8), "[tf {v}] {first:?}");
    for n in names {
        let trust = aws.trust(&launch_role(n));
        assert_eq!(
            external_ids_of(&trust),
            std::slice::from_ref(&first[n]),
            "[tf {v}] launch role of {n} must require its own external id: {trust:#}"
        );
        let st = ws.resource_values(&format!("module.dp[\"{n}\"].emr_serverless_dataplane.this"));
        let md = json_attr(&st, "control_plane_metadata");
        assert_eq!(md["externalId"], json!(first[n]), "[tf {v}]");
    }
    for round in 1..=2 {
        plan_code(&ws, 0, &format!("re-plan {round}"));
        assert_eq!(
            ids(&ws),
            first,
            "[tf {v}] external ids changed on re-plan {round}"
        );
    }
    ws.destroy();
    for n in names {
        assert!(aws.role(&launch_role(n)).is_none(), "[tf {v}]");
        assert!(aws.role(&job_role(n)).is_none(), "[tf {v}]");
    }
}

// ---------------------------------------------------------------------------
// 3. Invalid configurations fail at plan, with the attribute, without any
//    mutating call
// ---------------------------------------------------------------------------

struct Invalid {
    what: &'static str,
    hcl: String,
    /// The diagnostic's source snippet starts with one of these.
    snippet_any_of: Vec<&'static str>,
    mentions: Vec<&'static str>,
}

fn invalid_cases(net: &Net) -> Vec<Invalid> {
    let dp = |f: &dyn Fn(&mut Attrs)| {
        let mut a = private_attrs(net, "bad");
        f(&mut a);
        resource(DP, "bad", &a)
    };
    let sh = |f: &dyn Fn(&mut Attrs)| {
        let mut a = shared_attrs(net, "bad");
        f(&mut a);
        resource(DP, "bad", &a)
    };
    let app = |f: &dyn Fn(&mut Attrs)| {
        let mut a = app_attrs(net);
        f(&mut a);
        resource(APP, "bad", &a)
    };
    let header_dp = "resource \"emr_serverless_dataplane\" \"bad\"";
    vec![
        Invalid {
            what: "subnets in one availability zone",
            hcl: dp(&|a| set(a, "subnet_ids", list(&[&net.a, &net.a2]))),
            snippet_any_of: vec!["subnet_ids"],
            mentions: vec!["us-east-1a", "availability zone"],
        },
        Invalid {
            what: "fewer than two subnets",
            hcl: dp(&|a| set(a, "subnet_ids", list(&[&net.a]))),
            snippet_any_of: vec!["subnet_ids"],
            mentions: vec!["two subnets"],
        },
        Invalid {
            what: "a missing security group",
            hcl: dp(&|a| set(a, "security_group_ids", list(&[MISSING_SG]))),
            snippet_any_of: vec!["security_group_ids"],
            mentions: vec![MISSING_SG],
        },
        Invalid {
            what: "a missing subnet",
            hcl: dp(&|a| set(a, "subnet_ids", list(&[&net.a, "subnet-0123456789abcdef0"]))),
            snippet_any_of: vec!["subnet_ids"],
            mentions: vec!["subnet-0123456789abcdef0"],
        },
        Invalid {
            what: "bad mode",
            hcl: dp(&|a| set(a, "mode", q("public"))),
            snippet_any_of: vec!["mode"],
            mentions: vec!["shared", "private"],
        },
        Invalid {
            what: "private without control_plane",
            hcl: dp(&|a| unset(a, "control_plane")),
            snippet_any_of: vec![header_dp, "mode"],
            mentions: vec!["control_plane"],
        },
        Invalid {
            what: "shared without shared_launch_role_name",
            hcl: sh(&|a| unset(a, "shared_launch_role_name")),
            snippet_any_of: vec![header_dp, "mode"],
            mentions: vec!["shared_launch_role_name"],
        },
        Invalid {
            what: "shared role that does not exist",
            hcl: sh(&|a| set(a, "shared_launch_role_name", q("no_such_role"))),
            snippet_any_of: vec!["shared_launch_role_name"],
            mentions: vec!["no_such_role"],
        },
        Invalid {
            what: "shared with a control_plane block",
            hcl: sh(&|a| {
                set(
                    a,
                    "control_plane",
                    format!("principal_arn = {}", q(CONTROL_PLANE)),
                )
            }),
            snippet_any_of: vec!["principal_arn", "control_plane"],
            mentions: vec!["control_plane"],
        },
        Invalid {
            what: "bucket as an s3:// URI",
            hcl: dp(&|a| set(a, "resource_bucket", q("s3://x"))),
            snippet_any_of: vec!["resource_bucket"],
            mentions: vec!["s3://x"],
        },
        Invalid {
            what: "prefix without trailing slash",
            hcl: dp(&|a| set(a, "resource_prefix", q("emr-serverless"))),
            snippet_any_of: vec!["resource_prefix"],
            mentions: vec!["resource_prefix"],
        },
        Invalid {
            what: "kms alias ARN",
            hcl: dp(&|a| {
                set(
                    a,
                    "kms_key_arns",
                    list(&["arn:aws:kms:us-east-1:123456789012:alias/datalake"]),
                )
            }),
            snippet_any_of: vec!["kms_key_arns"],
            mentions: vec!["alias"],
        },
        Invalid {
            what: "kms key/*",
            hcl: dp(&|a| set(a, "kms_key_arns", list(&["arn:aws:kms:*:*:key/*"]))),
            snippet_any_of: vec!["kms_key_arns"],
            mentions: vec!["kms_key_arns"],
        },
        Invalid {
            what: "assumable role *",
            hcl: dp(&|a| set(a, "assumable_role_arns", list(&["*"]))),
            snippet_any_of: vec!["assumable_role_arns"],
            mentions: vec!["assumable_role_arns"],
        },
        Invalid {
            what: "assumable role wildcard ARN",
            hcl: dp(&|a| {
                set(
                    a,
                    "assumable_role_arns",
                    list(&["arn:aws:iam::111122223333:role/*"]),
                )
            }),
            snippet_any_of: vec!["assumable_role_arns"],
            mentions: vec!["assumable_role_arns"],
        },
        Invalid {
            what: "assumable non-role ARN",
            hcl: dp(&|a| {
                set(
                    a,
                    "assumable_role_arns",
                    list(&["arn:aws:iam::111122223333:user/alice"]),
                )
            }),
            snippet_any_of: vec!["assumable_role_arns"],
            mentions: vec!["assumable_role_arns"],
        },
        Invalid {
            what: "principal_arn not an IAM ARN",
            hcl: dp(&|a| {
                set(
                    a,
                    "control_plane",
                    "principal_arn = \"arn:aws:s3:::bucket\"".into(),
                )
            }),
            snippet_any_of: vec!["principal_arn"],
            mentions: vec!["arn:aws:s3:::bucket"],
        },
        Invalid {
            what: "name longer than 32 characters",
            hcl: dp(&|a| set(a, "name", q(&"n".repeat(33)))),
            snippet_any_of: vec!["name"],
            mentions: vec!["32"],
        },
        Invalid {
            what: "subnet id that is not a subnet id",
            hcl: dp(&|a| set(a, "subnet_ids", list(&["sn-1", &net.b]))),
            snippet_any_of: vec!["subnet_ids"],
            mentions: vec!["sn-1"],
        },
        Invalid {
            what: "application type FLINK",
            hcl: app(&|a| {
                set(a, "type", q("FLINK"));
                unset(a, "identity_center");
            }),
            snippet_any_of: vec!["type"],
            mentions: vec!["FLINK"],
        },
        Invalid {
            what: "identity_center with HIVE",
            hcl: app(&|a| {
                set(a, "type", q("HIVE"));
                set(
                    a,
                    "initial_capacity",
                    "worker_type = \"HIVE_DRIVER\"\nworker_count = 1\ncpu = \"4 vCPU\"\nmemory = \"16 GB\"".into(),
                );
            }),
            snippet_any_of: vec!["type"],
            mentions: vec!["SPARK"],
        },
        Invalid {
            what: "identity_center with emr-7.7.0",
            hcl: app(&|a| set(a, "release_label", q("emr-7.7.0"))),
            snippet_any_of: vec!["release_label"],
            mentions: vec!["emr-7.8.0"],
        },
        Invalid {
            what: "identity_center without livy",
            hcl: app(&|a| {
                set(
                    a,
                    "interactive",
                    "livy_endpoint_enabled = false\nstudio_enabled = true".into(),
                )
            }),
            snippet_any_of: vec!["livy_endpoint_enabled"],
            mentions: vec!["Livy"],
        },
        Invalid {
            what: "timeouts \"soon\"",
            hcl: app(&|a| set(a, "timeouts", "create = \"soon\"".into())),
            snippet_any_of: vec!["create"],
            mentions: vec!["soon"],
        },
        Invalid {
            what: "application worker type of HIVE on SPARK",
            hcl: app(&|a| {
                set(
                    a,
                    "initial_capacity",
                    "worker_type = \"TEZ_TASK\"\nworker_count = 1\ncpu = \"4 vCPU\"\nmemory = \"16 GB\"".into(),
                )
            }),
            snippet_any_of: vec!["worker_type"],
            mentions: vec!["TEZ_TASK"],
        },
        Invalid {
            what: "a runtime configuration key in EMR on EC2's spelling",
            hcl: app(&|a| {
                set(
                    a,
                    "runtime_configuration",
                    "jsonencode([{ Classification = \"spark-defaults\" }])".into(),
                )
            }),
            snippet_any_of: vec!["runtime_configuration"],
            mentions: vec!["\"Classification\""],
        },
        Invalid {
            what: "an image that is not in Amazon ECR",
            hcl: app(&|a| set(a, "image_uri", q("docker.io/library/spark:3.5"))),
            snippet_any_of: vec!["image_uri"],
            mentions: vec!["docker.io/library/spark:3.5", "Amazon ECR"],
        },
        Invalid {
            what: "a worker type image for a HIVE worker on SPARK",
            hcl: app(&|a| {
                set(
                    a,
                    "worker_type_image",
                    format!("worker_type = \"TEZ_TASK\"\nimage_uri = {}", q(IMAGE)),
                )
            }),
            snippet_any_of: vec!["worker_type"],
            mentions: vec!["TEZ_TASK"],
        },
        Invalid {
            what: "custom images on a release before emr-6.9.0",
            hcl: app(&|a| {
                set(a, "release_label", q("emr-6.8.0"));
                // Identity Center needs emr-7.8.0: leave it out of this case.
                unset(a, "identity_center");
            }),
            snippet_any_of: vec!["release_label"],
            mentions: vec!["emr-6.9.0"],
        },
        Invalid {
            what: "a scheduler on a release before emr-7.0.0",
            hcl: app(&|a| {
                set(a, "release_label", q("emr-6.15.0"));
                for k in ["identity_center", "monitoring"] {
                    unset(a, k);
                }
            }),
            snippet_any_of: vec!["release_label"],
            mentions: vec!["emr-7.0.0"],
        },
        Invalid {
            what: "no concurrent runs",
            hcl: app(&|a| set(a, "scheduler", scheduler(0, 60))),
            snippet_any_of: vec!["max_concurrent_runs"],
            mentions: vec!["1 to 1000"],
        },
        Invalid {
            what: "a Prometheus URL that is not a workspace's",
            hcl: app(&|a| {
                let m = MONITORING.replace(PROMETHEUS, "https://metrics.example.com/api/v1/write");
                set(a, "monitoring", m)
            }),
            snippet_any_of: vec!["remote_write_url"],
            mentions: vec!["https://metrics.example.com/api/v1/write"],
        },
        Invalid {
            what: "a Hive log type on a Spark application",
            hcl: app(&|a| {
                set(
                    a,
                    "monitoring",
                    MONITORING.replace("SPARK_EXECUTOR", "TEZ_TASK"),
                )
            }),
            snippet_any_of: vec!["log_types"],
            mentions: vec!["TEZ_TASK"],
        },
        Invalid {
            what: "S3 logs to a URL that is not s3://",
            hcl: app(&|a| {
                let m = MONITORING.replace("s3://acme-emr-serverless/logs/", "https://acme/logs/");
                set(a, "monitoring", m)
            }),
            snippet_any_of: vec!["log_uri"],
            mentions: vec!["https://acme/logs/"],
        },
        Invalid {
            what: "a log key that is not a KMS key ARN",
            hcl: app(&|a| set(a, "monitoring", MONITORING.replace(LOG_KEY, "alias/logs"))),
            snippet_any_of: vec!["kms_key_arn"],
            mentions: vec!["alias/logs", "KMS key ARN"],
        },
        Invalid {
            what: "a control-plane message with two destinations",
            hcl: dp(&|a| {
                let both = format!(
                    "sns_topic_arn = \"arn:aws:sns:us-east-1:999988887777:d\"\nsqs_queue_url = {}",
                    q(&queue_url("d"))
                );
                set(a, "control_plane_message", both)
            }),
            snippet_any_of: vec!["sqs_queue_url"],
            mentions: vec!["exactly one of sns_topic_arn and sqs_queue_url"],
        },
        Invalid {
            what: "a control-plane message without a destination",
            hcl: dp(&|a| set(a, "control_plane_message", String::new())),
            snippet_any_of: vec!["control_plane_message"],
            mentions: vec!["exactly one of sns_topic_arn and sqs_queue_url"],
        },
        Invalid {
            what: "an SQS ARN given as the SNS topic",
            hcl: sh(&|a| {
                let arn = "sns_topic_arn = \"arn:aws:sqs:us-east-1:999988887777:d\"";
                set(a, "control_plane_message", arn.into())
            }),
            snippet_any_of: vec!["sns_topic_arn"],
            mentions: vec![
                "arn:aws:sqs:us-east-1:999988887777:d",
                "not an SNS topic ARN",
            ],
        },
        Invalid {
            what: "a queue URL over plain HTTP",
            hcl: dp(&|a| {
                let url = "sqs_queue_url = \"http://sqs.us-east-1.amazonaws.com/999988887777/d\"";
                set(a, "control_plane_message", url.into())
            }),
            snippet_any_of: vec!["sqs_queue_url"],
            mentions: vec!["https://"],
        },
        Invalid {
            what: "a queue URL without the account",
            hcl: dp(&|a| {
                let url = "sqs_queue_url = \"https://sqs.us-east-1.amazonaws.com/dataplanes\"";
                set(a, "control_plane_message", url.into())
            }),
            snippet_any_of: vec!["sqs_queue_url"],
            mentions: vec!["<account id>/<queue name>"],
        },
    ]
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
fn serverless_invalid_configs_fail_at_plan() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        let net = aws.setup();
        let cases = invalid_cases(&net);
        assert!(cases.len() >= 15);
        // Control: valid configurations plan a create through the same path.
        let valid = format!(
            "{PROVIDER}\n{}\n{}\n{}",
            resource(DP, "p", &private_attrs(&net, "p")),
            resource(DP, "s", &shared_attrs(&net, "s")),
            resource(APP, "a", &app_attrs(&net))
        );
        let ws = Workspace::new(&terraform, &emulator, &valid);
        let v = ws.version().to_owned();
        emulator.start_recording();
        plan_code(&ws, 2, "the valid control configuration must plan a create");
        let recorded = emulator.recorded_actions();
        // Two data planes on one network: one lookup per provider process.
        for call in ["DescribeSubnets", "DescribeSecurityGroups"] {
            let n = recorded.iter().filter(|a| a.contains(call)).count();
            assert_eq!(
                n, 1,
                "[tf {v}] {call} once for both data planes: {recorded:?}"
            );
        }
        assert_eq!(
            emulator.mutating_actions(),
            Vec::<String>::new(),
            "[tf {v}] planning must not change anything; recorded {recorded:?}"
        );

        let mut failures = Vec::new();
        for case in &cases {
            ws.write(&format!("{PROVIDER}\n{}", case.hcl));
            emulator.start_recording();
            let args = ["plan", "-input=false", "-no-color"];
            let out = ws.run(&args);
            let all = out.all();
            let mut problems = Vec::new();
            if out.code != 1 {
                problems.push(format!("exit code {} (want 1)", out.code));
            }
            if !case.snippet_any_of.iter().any(|s| shows_snippet(&all, s)) {
                problems.push(format!(
                    "no diagnostic points at any of {:?}",
                    case.snippet_any_of
                ));
            }
            for word in &case.mentions {
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
            cases.len(),
            failures.join("\n\n")
        );
        assert_eq!(
            aws.role_names(),
            BTreeSet::from([SHARED_ROLE.to_owned()]),
            "[tf {v}] an invalid plan created a role"
        );
        assert_shared_role_intact(&aws, &[], &v);
    }
}

// ---------------------------------------------------------------------------
// 4. Application lifecycle: in-place updates, with a stop only when needed
// ---------------------------------------------------------------------------

#[test]
fn serverless_application_update_in_place() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        application(&terraform, &emulator, &aws);
    }
}

const APP_ADDR: &str = "emr_serverless_application.spark";

fn application(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    let net = aws.setup();
    let mut attrs = app_attrs(&net);
    let ws = Workspace::new(
        terraform,
        emulator,
        &format!("{PROVIDER}\n{}", resource(APP, "spark", &attrs)),
    );
    let v = ws.version().to_owned();
    emulator.start_recording();
    ws.apply();
    let st = ws.resource_values(APP_ADDR);
    let id = st["id"].as_str().expect("application id").to_owned();
    // moto stores neither setting: the request that reached it carries them.
    let create = only_request_body(emulator, "POST", "/applications");
    assert_eq!(
        create["interactiveConfiguration"]["sessionEnabled"],
        json!(true),
        "[tf {v}] {create}"
    );
    assert_eq!(
        create["jobLevelCostAllocationConfiguration"],
        json!({"enabled": true}),
        "[tf {v}] {create}"
    );
    assert_eq!(
        create["imageConfiguration"],
        json!({"imageUri": IMAGE}),
        "[tf {v}] {create}"
    );
    assert_eq!(
        create["workerTypeSpecifications"],
        json!({"Driver": {"imageConfiguration": {"imageUri": DRIVER_IMAGE}}}),
        "[tf {v}] {create}"
    );
    assert_eq!(
        create["monitoringConfiguration"],
        json!({
            "s3MonitoringConfiguration": {
                "logUri": "s3://acme-emr-serverless/logs/",
                "encryptionKeyArn": LOG_KEY
            },
            "managedPersistenceMonitoringConfiguration": {"enabled": false},
            "cloudWatchLoggingConfiguration": {
                "enabled": true,
                "logGroupName": "/emr-serverless/acme",
                "logStreamNamePrefix": "acme",
                "logTypes": {"SPARK_DRIVER": ["STDOUT", "STDERR"], "SPARK_EXECUTOR": ["STDERR"]}
            },
            "prometheusMonitoringConfiguration": {"remoteWriteUrl": PROMETHEUS}
        }),
        "[tf {v}] {create}"
    );
    assert_eq!(
        create["schedulerConfiguration"],
        json!({"maxConcurrentRuns": 20, "queueTimeoutMinutes": 60}),
        "[tf {v}] {create}"
    );
    // The secret is a reference EMR Serverless resolves: only its name is sent.
    assert_eq!(
        create["runtimeConfiguration"],
        json!([{"classification": "spark-defaults", "properties": {
            "spark.executor.cores": "4",
            "spark.hadoop.db.password": "EMR.secret@db-password"
        }}]),
        "[tf {v}] {create}"
    );
    // moto returns no Identity Center configuration: no application ARN.
    assert_eq!(
        st["identity_center_application_arn"],
        Value::Null,
        "[tf {v}]"
    );
    assert_eq!(st["job_level_cost_allocation"], json!(true), "[tf {v}]");
    assert_eq!(
        st["interactive"]["session_enabled"],
        json!(true),
        "[tf {v}]"
    );
    let app = aws.application(&id);
    // moto starts applications as STARTED.
    assert_eq!(app.state().as_str(), "STARTED", "[tf {v}]");
    assert_eq!(st["state"], json!("STARTED"), "[tf {v}]");
    assert_eq!(st["arn"], json!(app.arn()), "[tf {v}]");
    assert_eq!(app.name(), Some("acme-interactive"), "[tf {v}]");
    assert!(app.r#type().eq_ignore_ascii_case("SPARK"), "[tf {v}]");
    assert_eq!(app.release_label(), "emr-7.8.0", "[tf {v}]");
    let nc = app.network_configuration().expect("network configuration");
    assert_eq!(nc.subnet_ids(), [net.a.clone(), net.b.clone()], "[tf {v}]");
    assert_eq!(
        nc.security_group_ids(),
        std::slice::from_ref(&net.sg),
        "[tf {v}]"
    );
    let max = app.maximum_capacity().expect("maximum capacity");
    assert_eq!(
        (max.cpu(), max.memory()),
        ("200 vCPU", "800 GB"),
        "[tf {v}]"
    );
    let driver = app
        .initial_capacity()
        .and_then(|m| m.get("Driver").or_else(|| m.get("DRIVER")))
        .unwrap_or_else(|| panic!("[tf {v}] no DRIVER initial capacity: {app:?}"));
    assert_eq!(driver.worker_count(), 1, "[tf {v}]");
    assert_eq!(
        app.auto_stop_configuration()
            .and_then(|a| a.idle_timeout_minutes()),
        Some(15),
        "[tf {v}]"
    );
    assert_eq!(
        app.tags().and_then(|t| t.get("owner")).map(String::as_str),
        Some("analytics"),
        "[tf {v}]"
    );
    // moto stores no architecture, interactive or Identity Center settings:
    // state keeps what was configured, and nothing is asserted of moto there.
    assert_eq!(st["architecture"], json!("ARM64"), "[tf {v}]");
    plan_code(&ws, 0, "re-plan after create");

    // The maximum capacity and the image: EMR Serverless takes them while
    // STARTED (the harness's moto answers UpdateApplication as AWS does there).
    set(
        &mut attrs,
        "maximum_capacity",
        "cpu = \"100 vCPU\"\nmemory = \"400 GB\"".into(),
    );
    let next_image = format!("{IMAGE}.1");
    set(&mut attrs, "image_uri", q(&next_image));
    set(&mut attrs, "scheduler", scheduler(30, 60));
    ws.write(&format!("{PROVIDER}\n{}", resource(APP, "spark", &attrs)));
    let (plan, out) = ws.plan_json();
    let change = resource_change(&plan, APP_ADDR);
    assert_eq!(
        change["change"]["actions"],
        json!(["update"]),
        "[tf {v}] capacity must update in place:\n{}",
        out.stdout
    );
    let text = format!("{}{}", out.stdout, out.stderr);
    assert!(
        !text.contains("stops the application"),
        "[tf {v}] a capacity change does not stop the application:\n{text}"
    );
    emulator.start_recording();
    ws.apply();
    assert_eq!(
        lifecycle_calls(emulator, &id),
        ["update"],
        "[tf {v}] no stop and no start for a capacity change"
    );
    let update = only_request_body(emulator, "PATCH", &format!("/applications/{id}"));
    assert_eq!(
        update["imageConfiguration"],
        json!({"imageUri": next_image}),
        "[tf {v}] {update}"
    );
    assert_eq!(
        update["schedulerConfiguration"],
        json!({"maxConcurrentRuns": 30, "queueTimeoutMinutes": 60}),
        "[tf {v}] {update}"
    );
    assert!(
        update.get("releaseLabel").is_none()
            && update.get("networkConfiguration").is_none()
            && update.get("monitoringConfiguration").is_none(),
        "[tf {v}] only what a STARTED application accepts: {update}"
    );
    let app = aws.application(&id);
    assert_eq!(app.state().as_str(), "STARTED", "[tf {v}] still running");
    let max = app.maximum_capacity().expect("maximum capacity");
    assert_eq!(
        (max.cpu(), max.memory()),
        ("100 vCPU", "400 GB"),
        "[tf {v}]"
    );

    // The network: the plan says the application stops; apply stops it,
    // updates it and starts it again.
    set(
        &mut attrs,
        "network",
        format!(
            "subnet_ids = {}\nsecurity_group_ids = {}",
            list(&[&net.a2, &net.b]),
            list(&[&net.sg])
        ),
    );
    ws.write(&format!("{PROVIDER}\n{}", resource(APP, "spark", &attrs)));
    let (plan, out) = ws.plan_json();
    let change = resource_change(&plan, APP_ADDR);
    assert_eq!(
        change["change"]["actions"],
        json!(["update"]),
        "[tf {v}] network must update in place:\n{}",
        out.stdout
    );
    let text = format!("{}{}", out.stdout, out.stderr);
    assert!(
        text.contains("This update stops the application if it is running")
            && text.contains("changes network only on a stopped application")
            && text.contains("is STARTED now"),
        "[tf {v}] the plan must say the network change stops the application:\n{text}"
    );
    emulator.start_recording();
    ws.apply();
    assert_eq!(
        lifecycle_calls(emulator, &id),
        ["stop", "update", "start"],
        "[tf {v}] a network change stops, updates and starts"
    );
    emulator.stop_recording();
    let app = aws.application(&id);
    assert_eq!(app.state().as_str(), "STARTED", "[tf {v}] started again");
    let nc = app.network_configuration().expect("network configuration");
    assert_eq!(nc.subnet_ids(), [net.a2.clone(), net.b.clone()], "[tf {v}]");
    let max = app.maximum_capacity().expect("maximum capacity");
    assert_eq!(
        (max.cpu(), max.memory()),
        ("100 vCPU", "400 GB"),
        "[tf {v}]"
    );
    let st = ws.resource_values(APP_ADDR);
    assert_eq!(st["id"], json!(id), "[tf {v}] same application");
    assert_eq!(st["state"], json!("STARTED"), "[tf {v}]");
    plan_code(&ws, 0, "re-plan after update");

    ws.destroy();
    assert_eq!(
        aws.application(&id).state().as_str(),
        "TERMINATED",
        "[tf {v}]"
    );
}

/// The JSON body of the one `method path` request in the recording.
fn only_request_body(emulator: &Emulator, method: &str, path: &str) -> Value {
    let bodies: Vec<Value> = emulator
        .recorded_requests()
        .iter()
        .filter(|r| r["method"] == method && common::moto_http::path_and_query(r) == path)
        .map(|r| serde_json::from_str(&common::moto_http::body(r)).unwrap_or(Value::Null))
        .collect();
    assert_eq!(bodies.len(), 1, "one {method} {path}: {bodies:?}");
    bodies[0].clone()
}

/// The application's UpdateApplication, StopApplication and StartApplication
/// calls in the recording, in order: "update", "stop", "start".
fn lifecycle_calls(emulator: &Emulator, id: &str) -> Vec<&'static str> {
    let prefix = format!("/applications/{id}");
    let calls = emulator.recorded_actions();
    let call = |a: &String| {
        let (method, path) = a.split_once(' ')?;
        match (method, path.strip_prefix(prefix.as_str())?) {
            ("PATCH", "") => Some("update"),
            ("POST", "/stop") => Some("stop"),
            ("POST", "/start") => Some("start"),
            _ => None,
        }
    };
    calls.iter().filter_map(call).collect()
}

// ---------------------------------------------------------------------------
// 5. Import of both resources, then destroy
// ---------------------------------------------------------------------------

#[test]
fn serverless_import_and_destroy() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        import(&terraform, &emulator, &aws);
    }
}

fn import(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    let net = aws.setup();
    // Every setting: the harness's moto keeps what moto 5.2 drops
    // (tests/support/moto/sitecustomize.py, item 4), so the import reads
    // back the whole application as real EMR Serverless returns it.
    let app = app_attrs(&net);
    let hcl = format!(
        "{PROVIDER}\n{}\n{}\n{}",
        resource(DP, "acme", &private_attrs(&net, "acme")),
        resource(DP, "sdp", &shared_attrs(&net, "sdp")),
        resource(APP, "spark", &app)
    );
    let ws = Workspace::new(terraform, emulator, &hcl);
    let v = ws.version().to_owned();
    ws.apply();
    let before_acme = ws.resource_values("emr_serverless_dataplane.acme");
    let app_id = ws.resource_values(APP_ADDR)["id"]
        .as_str()
        .unwrap()
        .to_owned();

    for addr in [
        "emr_serverless_dataplane.acme",
        "emr_serverless_dataplane.sdp",
        APP_ADDR,
    ] {
        ws.state_rm(addr);
    }
    ws.import("emr_serverless_dataplane.acme", "acme");
    ws.import(
        "emr_serverless_dataplane.sdp",
        &format!("sdp:{SHARED_ROLE}"),
    );
    ws.import(APP_ADDR, &app_id);
    plan_code(&ws, 0, "plan after import");
    let acme = ws.resource_values("emr_serverless_dataplane.acme");
    assert_eq!(
        acme["external_id"], before_acme["external_id"],
        "[tf {v}] imported external id"
    );
    assert_private_dataplane(aws, &net, &acme, &v);
    assert_shared_dataplane(
        aws,
        &net,
        &ws.resource_values("emr_serverless_dataplane.sdp"),
        &v,
    );

    ws.destroy();
    assert_eq!(
        aws.role_names(),
        BTreeSet::from([SHARED_ROLE.to_owned()]),
        "[tf {v}] destroy left roles behind"
    );
    assert_shared_role_intact(aws, &[], &v);
    assert_eq!(
        aws.application(&app_id).state().as_str(),
        "TERMINATED",
        "[tf {v}]"
    );
}

// ---------------------------------------------------------------------------
// 6. Role updates neither lose nor leak grants (issue #11)
// ---------------------------------------------------------------------------

/// A second existing role shared mode can be switched to.
const OTHER_SHARED_ROLE: &str = "role_trusted_user_b";
const BOUNDARY_1: &str = "arn:aws:iam::aws:policy/PowerUserAccess";
const BOUNDARY_2: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

impl Aws {
    fn boundary(&self, role: &str) -> Option<String> {
        self.role(role)
            .unwrap_or_else(|| panic!("role {role} does not exist"))
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_owned)
    }

    fn attached(&self, role: &str) -> BTreeSet<String> {
        common::role_attached(&self.rt, &self.iam, role)
    }

    fn tags(&self, role: &str) -> BTreeMap<String, String> {
        common::role_tags(&self.rt, &self.iam, role)
    }
}

#[test]
fn serverless_dataplane_role_updates_keep_grants_exact() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        role_updates(&terraform, &emulator, &aws);
    }
}

fn role_updates(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    let net = aws.setup();
    let trust = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"
    }]});
    aws.rt
        .block_on(
            aws.iam
                .create_role()
                .role_name(OTHER_SHARED_ROLE)
                .assume_role_policy_document(trust.to_string())
                .send(),
        )
        .expect("CreateRole (second shared role)");
    let config = |boundary: &str, shared: &str| {
        let mut private = private_attrs(&net, "acme");
        set(&mut private, "permissions_boundary", q(boundary));
        let mut sh = shared_attrs(&net, "sdp");
        set(&mut sh, "shared_launch_role_name", q(shared));
        format!(
            "{PROVIDER}\n{}\n{}",
            resource(DP, "acme", &private),
            resource(DP, "sdp", &sh)
        )
    };
    let ws = Workspace::new(terraform, emulator, &config(BOUNDARY_1, SHARED_ROLE));
    let v = ws.version().to_owned();
    ws.apply();
    let grant = format!("{LAUNCH_POLICY}-sdp");
    for r in [job_role("acme"), launch_role("acme")] {
        assert_eq!(
            aws.boundary(&r).as_deref(),
            Some(BOUNDARY_1),
            "[tf {v}] {r}"
        );
        let tags = aws.tags(&r);
        assert_eq!(
            tags.get("emr-launch:managed-by").map(String::as_str),
            Some("emr_serverless_dataplane/acme"),
            "[tf {v}] provenance tag of {r}"
        );
    }
    let acme = ws.resource_values("emr_serverless_dataplane.acme");
    assert!(
        acme["tags_all"].get("emr-launch:managed-by").is_none(),
        "[tf {v}] the owner tag is not a user tag: {}",
        acme["tags_all"]
    );

    // A refresh reads every policy but never ListRoleTags (GetRole has the tags).
    emulator.start_recording();
    plan_code(&ws, 0, "re-plan after apply");
    emulator.stop_recording();
    let actions = emulator.recorded_actions();
    assert!(
        !actions.iter().any(|a| a == "ListRoleTags"),
        "[tf {v}] refresh called ListRoleTags: {actions:?}"
    );
    // The network is what the prior plan checked: no EC2 call.
    assert!(
        !actions
            .iter()
            .any(|a| a.contains("DescribeSubnets") || a.contains("DescribeSecurityGroups")),
        "[tf {v}] an unchanged network was checked again: {actions:?}"
    );
    for a in [
        "ListRolePolicies",
        "ListAttachedRolePolicies",
        "GetRolePolicy",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "[tf {v}] refresh did not call {a}: {actions:?}"
        );
    }

    // The boundary change reaches both roles; re-plan is empty.
    ws.write(&config(BOUNDARY_2, SHARED_ROLE));
    ws.apply();
    for r in [job_role("acme"), launch_role("acme")] {
        assert_eq!(
            aws.boundary(&r).as_deref(),
            Some(BOUNDARY_2),
            "[tf {v}] {r}"
        );
    }
    plan_code(&ws, 0, "re-plan after the boundary change");

    // Out of band: boundary removed, AdministratorAccess attached, a policy put.
    aws.rt.block_on(async {
        aws.iam
            .delete_role_permissions_boundary()
            .role_name(job_role("acme"))
            .send()
            .await
            .expect("DeleteRolePermissionsBoundary");
        aws.iam
            .attach_role_policy()
            .role_name(launch_role("acme"))
            .policy_arn(ADMIN)
            .send()
            .await
            .expect("AttachRolePolicy");
        aws.iam
            .tag_role()
            .role_name(launch_role("acme"))
            .tags(
                aws_sdk_iam::types::Tag::builder()
                    .key("cost-center")
                    .value("stolen")
                    .build()
                    .expect("tag"),
            )
            .send()
            .await
            .expect("TagRole");
        aws.iam
            .put_role_policy()
            .role_name(job_role("acme"))
            .policy_name("backdoor")
            .policy_document(shared_role_own_policy().to_string())
            .send()
            .await
            .expect("PutRolePolicy");
    });
    let out = plan_code_output(&ws, 2, "out-of-band changes show in plan");
    for shown in [
        "permissions_boundary",
        "AdministratorAccess",
        "backdoor",
        "cost-center=stolen",
    ] {
        assert!(
            out.contains(shown),
            "[tf {v}] plan does not show {shown}:\n{out}"
        );
    }
    ws.apply();
    assert_eq!(
        aws.boundary(&job_role("acme")).as_deref(),
        Some(BOUNDARY_2),
        "[tf {v}]"
    );
    assert!(
        aws.attached(&launch_role("acme")).is_empty(),
        "[tf {v}] admin left attached"
    );
    assert!(
        !aws.tags(&launch_role("acme")).contains_key("cost-center"),
        "[tf {v}] apply removes the tag added out of band"
    );
    assert_eq!(
        aws.inline_names(&job_role("acme")),
        Some(BTreeSet::from([JOB_RUNTIME_POLICY.to_owned()])),
        "[tf {v}] inline policies of the job runtime role"
    );
    plan_code(&ws, 0, "re-plan after repairing drift");

    // Switching the shared role moves the grant.
    ws.write(&config(BOUNDARY_2, OTHER_SHARED_ROLE));
    ws.apply();
    assert!(
        aws.inline(OTHER_SHARED_ROLE, &grant).is_some(),
        "[tf {v}] new role lacks the grant"
    );
    assert_shared_role_intact(aws, &[], &v);
    let sdp = ws.resource_values("emr_serverless_dataplane.sdp");
    assert_eq!(
        sdp["launch_role_arn"],
        json!(format!("arn:aws:iam::{ACCOUNT}:role/{OTHER_SHARED_ROLE}")),
        "[tf {v}]"
    );
    plan_code(&ws, 0, "re-plan after the switch");

    ws.destroy();
    assert_eq!(
        aws.inline_names(OTHER_SHARED_ROLE),
        Some(BTreeSet::new()),
        "[tf {v}] grant left behind"
    );
    assert_shared_role_intact(aws, &[], &v);
    for r in [job_role("acme"), launch_role("acme"), job_role("sdp")] {
        assert!(aws.role(&r).is_none(), "[tf {v}] {r} survived destroy");
    }
}

/// `plan -detailed-exitcode` must answer `want`; returns what plan printed.
fn plan_code_output(ws: &Workspace, want: i32, why: &str) -> String {
    let (code, out) = ws.plan_exit_code();
    let text = out.stdout.clone();
    if code != want {
        panic!(
            "[tf {}] {why}: plan -detailed-exitcode = {code}, want {want}\n{}",
            ws.version(),
            ws.describe_failure(&["plan", "-detailed-exitcode"], &out)
        );
    }
    text
}

// ---------------------------------------------------------------------------
// 7. The control-plane message (seed 003, issue #13 item 3)
// ---------------------------------------------------------------------------

fn queue_url(name: &str) -> String {
    format!("https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}")
}

/// A queue in the emulator, read as the control plane reads it.
struct Inbox<'a> {
    emulator: &'a Emulator,
    name: String,
}

/// One message as it arrived: its `event` and `dataplane` attributes and
/// its JSON body.
#[derive(Debug)]
struct Arrived {
    event: String,
    dataplane: String,
    body: Value,
}

impl<'a> Inbox<'a> {
    fn create(emulator: &'a Emulator, name: &str) -> Inbox<'a> {
        let inbox = Inbox {
            emulator,
            name: name.to_string(),
        };
        let mut create = json!({ "QueueName": name });
        if name.ends_with(".fifo") {
            create["Attributes"] = json!({"FifoQueue": "true"});
        }
        inbox.call("CreateQueue", create);
        inbox
    }

    fn call(&self, action: &str, body: Value) -> Value {
        let target = format!("AmazonSQS.{action}");
        let port = self.emulator.port();
        let (status, text) =
            common::moto_http::aws_call(port, "sqs", Some(&target), &body.to_string())
                .unwrap_or_else(|e| panic!("sqs:{action}: {e}"));
        assert_eq!(status, 200, "sqs:{action}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// The messages that arrived since the last look (each is received
    /// once: it stays invisible for the rest of the test).
    fn take(&self) -> Vec<Value> {
        let mut all = Vec::new();
        loop {
            let got = self.call(
                "ReceiveMessage",
                json!({
                    "QueueUrl": queue_url(&self.name),
                    "MaxNumberOfMessages": 10,
                    "MessageAttributeNames": ["All"],
                    "MessageSystemAttributeNames": ["All"],
                    "VisibilityTimeout": 43200,
                }),
            );
            let batch = got["Messages"].as_array().cloned().unwrap_or_default();
            if batch.is_empty() {
                return all;
            }
            all.extend(batch);
        }
    }

    /// Messages sent to the queue directly.
    fn take_sent(&self) -> Vec<Arrived> {
        let attr = |m: &Value, k: &str| m["MessageAttributes"][k]["StringValue"].clone();
        self.take()
            .iter()
            .map(|m| Arrived {
                event: attr(m, "event").as_str().unwrap_or_default().into(),
                dataplane: attr(m, "dataplane").as_str().unwrap_or_default().into(),
                body: document(m["Body"].as_str().unwrap_or_default(), "message body"),
            })
            .collect()
    }

    /// Messages published to a topic this queue subscribes to (SNS's
    /// envelope, not raw delivery).
    fn take_published(&self) -> Vec<Arrived> {
        self.take()
            .iter()
            .map(|m| {
                let envelope = document(m["Body"].as_str().unwrap_or_default(), "SNS envelope");
                let attr = |k: &str| envelope["MessageAttributes"][k]["Value"].clone();
                Arrived {
                    event: attr("event").as_str().unwrap_or_default().into(),
                    dataplane: attr("dataplane").as_str().unwrap_or_default().into(),
                    body: document(envelope["Message"].as_str().unwrap_or_default(), "message"),
                }
            })
            .collect()
    }
}

/// An SNS topic whose messages reach `inbox`; its ARN.
fn topic_into(emulator: &Emulator, topic: &str, inbox: &Inbox) -> String {
    let arn = format!("arn:aws:sns:{REGION}:{ACCOUNT}:{topic}");
    let queue_arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{}", inbox.name);
    for params in [
        vec![("Action", "CreateTopic"), ("Name", topic)],
        vec![
            ("Action", "Subscribe"),
            ("TopicArn", arn.as_str()),
            ("Protocol", "sqs"),
            ("Endpoint", queue_arn.as_str()),
        ],
    ] {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.extend_pairs(params)
            .append_pair("Version", "2010-03-31");
        let port = emulator.port();
        let (status, text) = common::moto_http::aws_call(port, "sns", None, &form.finish())
            .unwrap_or_else(|e| panic!("sns: {e}"));
        assert_eq!(status, 200, "sns: {text}");
    }
    arn
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn one_message(got: Vec<Arrived>, event: &str, dataplane: &str, what: &str) -> Value {
    assert_eq!(got.len(), 1, "{what}: want one message, got {got:#?}");
    let m = &got[0];
    assert_eq!(
        (m.event.as_str(), m.dataplane.as_str()),
        (event, dataplane),
        "{what}"
    );
    m.body.clone()
}

#[test]
fn serverless_dataplane_pushes_the_control_plane_message() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        control_plane_message(&terraform, &emulator, &aws);
    }
}

fn control_plane_message(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    let net = aws.setup();
    let queue = Inbox::create(emulator, "dataplanes");
    let topic_inbox = Inbox::create(emulator, "topic-inbox");
    let topic = topic_into(emulator, "dataplanes", &topic_inbox);
    let mut acme = private_attrs(&net, "acme");
    let to_queue = |name: &str| format!("sqs_queue_url = {}", q(&queue_url(name)));
    set(&mut acme, "control_plane_message", to_queue("dataplanes"));
    let mut sdp = shared_attrs(&net, "sdp");
    set(
        &mut sdp,
        "control_plane_message",
        format!("sns_topic_arn = {}", q(&topic)),
    );
    // A FIFO queue: one data plane's messages in one group, in order.
    let fifo_inbox = Inbox::create(emulator, "dataplanes.fifo");
    let mut fifo = shared_attrs(&net, "fifo");
    set(
        &mut fifo,
        "control_plane_message",
        to_queue("dataplanes.fifo"),
    );
    let hcl = |acme: &[(&str, String)]| {
        format!(
            "{PROVIDER}\n{}\n{}\n{}",
            resource(DP, "acme", acme),
            resource(DP, "sdp", &sdp),
            resource(DP, "fifo", &fifo)
        )
    };
    let ws = Workspace::new(terraform, emulator, &hcl(&acme));
    let v = ws.version().to_owned();
    let acme_addr = "emr_serverless_dataplane.acme";

    // Create: one `created` message each, with exactly the seed's keys, the
    // same message the state shows.
    ws.apply();
    let st = ws.resource_values(acme_addr);
    let body = one_message(
        queue.take_sent(),
        "created",
        "acme",
        &format!("[tf {v}] create"),
    );
    let seed = [
        "resourceBucket",
        "subnetIds",
        "securityGroups",
        "region",
        "jobRuntimeRoleArn",
        "jobLaunchArn",
        "externalId",
    ];
    assert_eq!(
        keys(&body),
        seed.iter().map(|s| s.to_string()).collect(),
        "[tf {v}]"
    );
    assert_eq!(body, json_attr(&st, "control_plane_metadata"), "[tf {v}]");
    assert_eq!(body["subnetIds"], json!([net.a, net.b]), "[tf {v}]");
    let shared = one_message(
        topic_inbox.take_published(),
        "created",
        "sdp",
        "[tf {v}] SNS",
    );
    assert_eq!(
        keys(&shared),
        seed[..5].iter().map(|s| s.to_string()).collect(),
        "[tf {v}]"
    );
    let fifo_messages = fifo_inbox.take();
    assert_eq!(fifo_messages.len(), 1, "[tf {v}] FIFO: {fifo_messages:#?}");
    let m = &fifo_messages[0];
    assert_eq!(
        m["Attributes"]["MessageGroupId"],
        json!("fifo"),
        "[tf {v}] {m}"
    );
    assert_eq!(
        m["MessageAttributes"]["event"]["StringValue"],
        json!("created"),
        "[tf {v}]"
    );
    plan_code(&ws, 0, "re-plan after create");
    assert!(queue.take_sent().is_empty(), "[tf {v}] a plan published");

    // A change of the message: one `updated` message, to the queue only.
    set(&mut acme, "subnet_ids", list(&[&net.a2, &net.b]));
    ws.write(&hcl(&acme));
    ws.apply();
    let body = one_message(
        queue.take_sent(),
        "updated",
        "acme",
        &format!("[tf {v}] update"),
    );
    assert_eq!(body["subnetIds"], json!([net.a2, net.b]), "[tf {v}]");
    assert!(
        topic_inbox.take_published().is_empty(),
        "[tf {v}] sdp did not change"
    );
    plan_code(&ws, 0, "re-plan after update");

    // A destination that cannot take it: the apply fails, nothing is lost,
    // and the plan still shows the message as undelivered.
    set(&mut acme, "control_plane_message", to_queue("later"));
    ws.write(&hcl(&acme));
    let out = ws.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_ne!(out.code, 0, "[tf {v}] apply to a missing queue succeeded");
    let said = out.all();
    assert!(
        said.contains("control-plane message was not delivered") && said.contains("later"),
        "[tf {v}] {said}"
    );
    assert!(
        aws.role(&job_role("acme")).is_some(),
        "[tf {v}] the data plane is gone"
    );
    // State says where the message last went.
    let st = ws.resource_values(acme_addr);
    let recorded = &st["control_plane_message"]["sqs_queue_url"];
    assert_eq!(recorded, &json!(queue_url("dataplanes")), "[tf {v}]");
    plan_code(&ws, 2, "the undelivered message is still planned");
    let later = Inbox::create(emulator, "later");
    ws.apply();
    // The new destination has never heard of the data plane.
    let body = one_message(
        later.take_sent(),
        "created",
        "acme",
        &format!("[tf {v}] retry"),
    );
    assert_eq!(keys(&body).len(), 7, "[tf {v}]");
    assert!(
        queue.take_sent().is_empty(),
        "[tf {v}] the old queue got a message"
    );
    plan_code(&ws, 0, "re-plan after the retry");

    // Destroy: one `deleted` message each, without the external id.
    ws.destroy();
    let gone = one_message(
        later.take_sent(),
        "deleted",
        "acme",
        &format!("[tf {v}] destroy"),
    );
    assert_eq!(gone["event"], json!("deleted"), "[tf {v}]");
    assert_eq!(gone["dataplane"], json!("acme"), "[tf {v}]");
    assert_eq!(
        gone["jobRuntimeRoleArn"],
        json!(format!("arn:aws:iam::{ACCOUNT}:role/{}", job_role("acme"))),
        "[tf {v}]"
    );
    assert!(gone.get("externalId").is_none(), "[tf {v}] {gone}");
    let gone = one_message(
        topic_inbox.take_published(),
        "deleted",
        "sdp",
        &format!("[tf {v}] SNS destroy"),
    );
    assert_eq!(gone["event"], json!("deleted"), "[tf {v}]");
    assert!(
        aws.role(&job_role("acme")).is_none(),
        "[tf {v}] destroy left the role"
    );
}
