//! Acceptance tests for `emr_launch_function` (and its data source): real
//! Terraform (every binary from `common::terraform_binaries()`) drives the
//! built provider against moto with Step Functions execution enabled. Each
//! step checks Terraform's state against what the emulator holds, read back
//! independently through the AWS SDK, and runs real executions of the state
//! machine. The launcher's Python code is run directly (moto's Lambda cannot
//! run code without docker) with the payload the state machine sent it.

mod common;

use common::{apply_saved_plan, assert_known_at_plan, plan_code, rejection_problems};
use common::{
    assert_same_policy, blocking_sdk, document, is_no_such_entity, json_attr, normalize,
    resource_change, terraform_binaries, Emulator, Output, Workspace,
};

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012";

use common::PROVIDER;

/// The security configuration, profile and cluster configuration functions
/// are built from.
const BASE: &str = r#"
resource "emr_security_configuration" "sc" {
  name = "lf-sc"
  configuration_json = jsonencode({
    EncryptionConfiguration = {
      EnableInTransitEncryption = false
      EnableAtRestEncryption    = false
    }
  })
}

resource "emr_launch_profile" "p" {
  namespace              = "analytics"
  name                   = "p"
  security_configuration = emr_security_configuration.sc.name
  logs_uri               = "s3://logs-bucket/emr/"
}

resource "emr_cluster_configuration" "c" {
  namespace     = "analytics"
  name          = "c"
  release_label = "emr-7.8.0"
  applications  = ["Spark"]
  subnet_ids    = ["subnet-12345678"]

  instance_group {
    role           = "MASTER"
    instance_type  = "m5.xlarge"
    instance_count = 1
  }
  instance_group {
    role           = "CORE"
    instance_type  = "m5.xlarge"
    instance_count = 2
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
  tags = { team = "data" }
}
"#;

const NIGHTLY: &str = r#"
resource "emr_launch_function" "f" {
  namespace               = "analytics"
  name                    = "nightly"
  profile                 = emr_launch_profile.p
  cluster_configuration   = emr_cluster_configuration.c
  cluster_name            = "nightly-etl"
  allowed_overrides       = ["CoreInstanceCount", "CoreInstanceType"]
  fail_if_cluster_running = true
  cluster_tags            = { cost = "42" }
}
"#;

const FUNCTION: &str = "emr_launch_function.f";
const PROFILE: &str = "emr_launch_profile.p";
const CONFIGURATION: &str = "emr_cluster_configuration.c";

const STATE_MACHINE: &str = "analytics-nightly-emr-launch";
const EXECUTION_ROLE: &str = "analytics-nightly-emr-launch-fn";
const FUNCTION_PARAM: &str = "/emr_launch/emr_launch_functions/analytics/nightly";

const SECRET_VALUE: &str = "s3cr3t-VALUE-123";
const SECRET_PROPERTY: &str = "javax.jdo.option.ConnectionPassword";

/// Attributes that are known at plan for every function.
const KNOWN_AT_PLAN: [&str; 11] = [
    "id",
    "state_machine_arn",
    "state_machine_name",
    "role_arn",
    "role_trust_policy_json",
    "role_policy_json",
    "definition_json",
    "invoke_policy_json",
    "parameter_name",
    "parameter_arn",
    "metadata_json",
];

/// Attributes that are known at plan for a function with a launcher.
const LAUNCHER_ATTRS: [&str; 6] = [
    "launcher_function_arn",
    "launcher_role_arn",
    "launcher_role_trust_policy_json",
    "launcher_role_policy_json",
    "launcher_configuration_json",
    "launcher_source_code_hash",
];

fn sm_arn(name: &str) -> String {
    format!("arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:{name}")
}

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

// ---------------------------------------------------------------------------
// The emulator as seen through the AWS SDK
// ---------------------------------------------------------------------------

struct Aws {
    rt: tokio::runtime::Runtime,
    iam: aws_sdk_iam::Client,
    ssm: aws_sdk_ssm::Client,
    sfn: aws_sdk_sfn::Client,
    lambda: aws_sdk_lambda::Client,
    secrets: aws_sdk_secretsmanager::Client,
    emr: aws_sdk_emr::Client,
    executions: Cell<u32>,
}

/// How an execution ended.
#[derive(Debug)]
struct Execution {
    arn: String,
    status: String,
    output: Option<Value>,
    error: String,
    cause: String,
}

impl Aws {
    fn new(emulator: &Emulator) -> Aws {
        let (rt, config) = blocking_sdk(emulator);
        Aws {
            rt,
            iam: aws_sdk_iam::Client::new(&config),
            ssm: aws_sdk_ssm::Client::new(&config),
            sfn: aws_sdk_sfn::Client::new(&config),
            lambda: aws_sdk_lambda::Client::new(&config),
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            emr: aws_sdk_emr::Client::new(&config),
            executions: Cell::new(0),
        }
    }

    // -- SSM -------------------------------------------------------------------

    fn parameter(&self, name: &str) -> Option<String> {
        match self.rt.block_on(self.ssm.get_parameter().name(name).send()) {
            Ok(out) => Some(
                out.parameter()
                    .and_then(|p| p.value())
                    .unwrap_or_default()
                    .to_owned(),
            ),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_parameter_not_found()) =>
            {
                None
            }
            Err(e) => panic!("GetParameter({name}): {e:?}"),
        }
    }

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

    // -- IAM -------------------------------------------------------------------

    fn role_exists(&self, name: &str) -> bool {
        match self.rt.block_on(self.iam.get_role().role_name(name).send()) {
            Ok(_) => true,
            Err(e) if is_no_such_entity(&e) => false,
            Err(e) => panic!("GetRole({name}): {e:?}"),
        }
    }

    /// (ARN, trust policy) of a role.
    fn role(&self, name: &str) -> (String, Value) {
        let out = self
            .rt
            .block_on(self.iam.get_role().role_name(name).send())
            .unwrap_or_else(|e| panic!("GetRole({name}): {e:?}"));
        let role = out.role().expect("GetRole returned a role");
        (
            role.arn().to_owned(),
            document(
                role.assume_role_policy_document().unwrap_or_default(),
                &format!("trust policy of {name}"),
            ),
        )
    }

    /// Every inline policy of a role, by name.
    fn inline_policies(&self, name: &str) -> BTreeMap<String, Value> {
        let names = self
            .rt
            .block_on(self.iam.list_role_policies().role_name(name).send())
            .unwrap_or_else(|e| panic!("ListRolePolicies({name}): {e:?}"));
        let mut out = BTreeMap::new();
        for p in names.policy_names() {
            let doc = self
                .rt
                .block_on(
                    self.iam
                        .get_role_policy()
                        .role_name(name)
                        .policy_name(p)
                        .send(),
                )
                .unwrap_or_else(|e| panic!("GetRolePolicy({name}, {p}): {e:?}"));
            out.insert(
                p.clone(),
                document(doc.policy_document(), &format!("policy {p} of {name}")),
            );
        }
        out
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

    /// The managed policies attached to a role.
    fn attached(&self, role: &str) -> BTreeSet<String> {
        common::role_attached(&self.rt, &self.iam, role)
    }

    fn role_tags(&self, role: &str) -> BTreeMap<String, String> {
        common::role_tags(&self.rt, &self.iam, role)
    }

    // -- Step Functions ----------------------------------------------------------

    /// (definition, roleArn); `None` when the state machine does not exist.
    fn state_machine(&self, arn: &str) -> Option<(Value, String)> {
        match self.rt.block_on(
            self.sfn
                .describe_state_machine()
                .state_machine_arn(arn)
                .send(),
        ) {
            Ok(out) => Some((
                serde_json::from_str(out.definition())
                    .unwrap_or_else(|e| panic!("definition of {arn} ({e}): {}", out.definition())),
                out.role_arn().to_owned(),
            )),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_state_machine_does_not_exist()) =>
            {
                None
            }
            Err(e) => panic!("DescribeStateMachine({arn}): {e:?}"),
        }
    }

    fn state_machine_tags(&self, arn: &str) -> BTreeMap<String, String> {
        let out = self
            .rt
            .block_on(self.sfn.list_tags_for_resource().resource_arn(arn).send())
            .unwrap_or_else(|e| panic!("ListTagsForResource({arn}): {e:?}"));
        out.tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
            .collect()
    }

    /// Start an execution (with a unique name, which moto needs) and wait
    /// until it ends.
    fn execute(&self, state_machine: &str, input: &Value) -> Execution {
        let n = self.executions.get() + 1;
        self.executions.set(n);
        let started = self
            .rt
            .block_on(
                self.sfn
                    .start_execution()
                    .state_machine_arn(state_machine)
                    .name(format!("test-execution-{n}"))
                    .input(input.to_string())
                    .send(),
            )
            .unwrap_or_else(|e| panic!("StartExecution({state_machine}, {input}): {e:?}"));
        let arn = started.execution_arn().to_owned();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let out = self
                .rt
                .block_on(self.sfn.describe_execution().execution_arn(&arn).send())
                .unwrap_or_else(|e| panic!("DescribeExecution({arn}): {e:?}"));
            let status = out.status().as_str().to_owned();
            if status != "RUNNING" {
                return Execution {
                    arn,
                    status,
                    output: out.output().map(|o| {
                        serde_json::from_str(o)
                            .unwrap_or_else(|e| panic!("execution output ({e}): {o}"))
                    }),
                    error: out.error().unwrap_or_default().to_owned(),
                    cause: out.cause().unwrap_or_default().to_owned(),
                };
            }
            assert!(
                Instant::now() < deadline,
                "execution {arn} with input {input} still RUNNING after 120s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Every event of an execution's history, in `Debug` form (which shows
    /// every field), plus the describe-execution answer.
    fn execution_record(&self, arn: &str) -> (Vec<aws_sdk_sfn::types::HistoryEvent>, String) {
        let history = self
            .rt
            .block_on(
                self.sfn
                    .get_execution_history()
                    .execution_arn(arn)
                    .max_results(1000)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("GetExecutionHistory({arn}): {e:?}"));
        let described = self
            .rt
            .block_on(self.sfn.describe_execution().execution_arn(arn).send())
            .unwrap_or_else(|e| panic!("DescribeExecution({arn}): {e:?}"));
        let events = history.events().to_vec();
        let text = format!("{events:#?}\n{described:#?}");
        (events, text)
    }

    // -- EMR ---------------------------------------------------------------------

    /// Every cluster in the emulator, whatever its state.
    fn cluster_ids(&self) -> BTreeSet<String> {
        let out = self
            .rt
            .block_on(self.emr.list_clusters().send())
            .unwrap_or_else(|e| panic!("ListClusters: {e:?}"));
        assert!(out.marker().is_none(), "more clusters than one page");
        out.clusters()
            .iter()
            .filter_map(|c| c.id().map(str::to_owned))
            .collect()
    }

    fn cluster(&self, id: &str) -> aws_sdk_emr::types::Cluster {
        self.rt
            .block_on(self.emr.describe_cluster().cluster_id(id).send())
            .unwrap_or_else(|e| panic!("DescribeCluster({id}): {e:?}"))
            .cluster()
            .cloned()
            .unwrap_or_else(|| panic!("DescribeCluster({id}) returned no cluster"))
    }

    fn cluster_state(&self, id: &str) -> String {
        self.cluster(id)
            .status()
            .and_then(|s| s.state())
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default()
    }

    /// Requested instance count per instance group type.
    fn instance_counts(&self, id: &str) -> BTreeMap<String, i32> {
        let out = self
            .rt
            .block_on(self.emr.list_instance_groups().cluster_id(id).send())
            .unwrap_or_else(|e| panic!("ListInstanceGroups({id}): {e:?}"));
        out.instance_groups()
            .iter()
            .map(|g| {
                (
                    g.instance_group_type()
                        .map(|t| t.as_str().to_owned())
                        .unwrap_or_default(),
                    g.requested_instance_count().unwrap_or(-1),
                )
            })
            .collect()
    }

    // -- Lambda / Secrets Manager -------------------------------------------------

    /// The function's configuration; `None` when it does not exist.
    fn instance_types(&self, id: &str) -> BTreeMap<String, String> {
        let out = self
            .rt
            .block_on(self.emr.list_instance_groups().cluster_id(id).send())
            .unwrap_or_else(|e| panic!("ListInstanceGroups({id}): {e:?}"));
        out.instance_groups()
            .iter()
            .map(|g| {
                (
                    g.instance_group_type()
                        .map(|t| t.as_str().to_owned())
                        .unwrap_or_default(),
                    g.instance_type().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    fn bootstrap_actions(&self, id: &str) -> Vec<String> {
        let out = self
            .rt
            .block_on(self.emr.list_bootstrap_actions().cluster_id(id).send())
            .unwrap_or_else(|e| panic!("ListBootstrapActions({id}): {e:?}"));
        out.bootstrap_actions()
            .iter()
            .map(|b| b.script_path().unwrap_or_default().to_owned())
            .collect()
    }

    fn lambda_function(&self, name: &str) -> Option<aws_sdk_lambda::types::FunctionConfiguration> {
        match self
            .rt
            .block_on(self.lambda.get_function().function_name(name).send())
        {
            Ok(out) => out.configuration().cloned(),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                None
            }
            Err(e) => panic!("GetFunction({name}): {e:?}"),
        }
    }

    fn create_secret(&self, name: &str, value: &str) -> String {
        let out = self
            .rt
            .block_on(
                self.secrets
                    .create_secret()
                    .name(name)
                    .secret_string(value)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("CreateSecret({name}): {e:?}"));
        out.arn().expect("CreateSecret returned an ARN").to_owned()
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn actions(plan: &Value, addr: &str) -> Value {
    resource_change(plan, addr)["change"]["actions"].clone()
}

fn str_attr<'a>(values: &'a Value, attr: &str) -> &'a str {
    values[attr]
        .as_str()
        .unwrap_or_else(|| panic!("{attr} is not a string: {values:#}"))
}

/// Every (action, resource) pair a policy allows, flattened.
fn statements_with_action<'a>(policy: &'a Value, action: &str) -> Vec<&'a Value> {
    let statements = match &policy["Statement"] {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    statements
        .into_iter()
        .filter(|s| match &s["Action"] {
            Value::String(a) => a == action,
            Value::Array(a) => a.iter().any(|x| x == action),
            _ => false,
        })
        .collect()
}

fn tags_of(cluster: &aws_sdk_emr::types::Cluster) -> BTreeMap<String, String> {
    cluster
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn assert_failed(exe: &Execution, error: &str, cause_mentions: &[&str], v: &str) {
    assert_eq!(exe.status, "FAILED", "[tf {v}] {exe:#?}");
    assert_eq!(exe.error, error, "[tf {v}] {exe:#?}");
    for word in cause_mentions {
        assert!(
            exe.cause.contains(word),
            "[tf {v}] the cause of {error} does not mention {word:?}: {exe:#?}"
        );
    }
}

/// The function's state matches what Step Functions, IAM and SSM hold.
fn assert_function_matches_emulator(aws: &Aws, state: &Value, v: &str) {
    let arn = str_attr(state, "state_machine_arn");
    let (definition, sm_role) = aws
        .state_machine(arn)
        .unwrap_or_else(|| panic!("[tf {v}] state machine {arn} does not exist"));
    assert_eq!(
        definition,
        json_attr(state, "definition_json"),
        "[tf {v}] Step Functions' definition vs definition_json"
    );
    assert_eq!(
        sm_role,
        str_attr(state, "role_arn"),
        "[tf {v}] roleArn of the state machine"
    );
    let role_name = str_attr(state, "role_arn").rsplit('/').next().unwrap();
    let (arn_in_iam, trust) = aws.role(role_name);
    assert_eq!(arn_in_iam, str_attr(state, "role_arn"), "[tf {v}]");
    assert_same_policy(
        &trust,
        &json_attr(state, "role_trust_policy_json"),
        &format!("[tf {v}] trust policy of {role_name}"),
    );
    let inline = aws.inline_policies(role_name);
    assert_eq!(
        inline.keys().collect::<Vec<_>>(),
        vec!["emr-launch-function"],
        "[tf {v}] inline policies of {role_name}"
    );
    assert_same_policy(
        &inline["emr-launch-function"],
        &json_attr(state, "role_policy_json"),
        &format!("[tf {v}] emr-launch-function of {role_name} vs role_policy_json"),
    );
    let param = str_attr(state, "parameter_name");
    let stored = aws
        .parameter(param)
        .unwrap_or_else(|| panic!("[tf {v}] SSM has no parameter {param}"));
    assert_eq!(
        serde_json::from_str::<Value>(&stored).unwrap(),
        json_attr(state, "metadata_json"),
        "[tf {v}] SSM {param} vs metadata_json"
    );
}

/// Runs `check` once per Terraform version, each against a fresh emulator state.
fn on_every_terraform(check: fn(&Path, &Emulator, &Aws)) {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        check(&terraform, &emulator, &aws);
    }
}

/// The venv's Python, talking to the emulator only.
fn python(emulator: &Emulator) -> Command {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".tools/venv/bin/python");
    assert!(python.is_file(), "{} not found", python.display());
    let mut cmd = Command::new(python);
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("AWS_ENDPOINT_URL", emulator.endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

/// Run the launcher's handler from a deployment package (the zip bytes) with
/// the venv's Python against the emulator. Returns `{"Result": ...}` or
/// `{"LaunchError": "..."}` and what the process printed; anything else the
/// handler raises fails the test.
fn run_launcher(emulator: &Emulator, package: &[u8], event: &Value) -> (Value, Output) {
    let dir = tempfile::tempdir().expect("temp dir");
    let zip = dir.path().join("launcher.zip");
    std::fs::write(&zip, package).expect("write package");
    let script = r#"
import json, os, sys, zipfile
d = os.path.join(os.environ["EMR_TEST_DIR"], "code")
zipfile.ZipFile(os.environ["EMR_TEST_PACKAGE"]).extractall(d)
sys.path.insert(0, d)
import launcher
try:
    result = launcher.handler(json.loads(os.environ["EMR_TEST_EVENT"]), None)
except launcher.LaunchError as e:
    print(json.dumps({"LaunchError": str(e)}))
    sys.exit(0)
print(json.dumps({"Result": result}))
"#;
    let mut cmd = python(emulator);
    cmd.arg("-c")
        .arg(script)
        .env("EMR_TEST_DIR", dir.path())
        .env("EMR_TEST_PACKAGE", &zip)
        .env("EMR_TEST_EVENT", event.to_string());
    let out = cmd.output().expect("run python");
    let out = Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(out.code, 0, "launcher handler crashed:\n{}", out.all());
    let result = serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("launcher printed non-JSON ({e}):\n{}", out.all()));
    (result, out)
}

/// Runs a Python snippet with the venv's boto3 against the emulator and
/// returns what it printed (for services the tests have no Rust SDK for).
fn boto3(emulator: &Emulator, script: &str) -> String {
    let out = python(emulator)
        .arg("-c")
        .arg(format!("import boto3, json\n{script}"))
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "boto3 script failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---------------------------------------------------------------------------
// 1. Lifecycle and executions
// ---------------------------------------------------------------------------

#[test]
fn lifecycle_and_executions() {
    on_every_terraform(lifecycle);
}

fn lifecycle(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    let ws = Workspace::new(terraform, emulator, &format!("{PROVIDER}{BASE}{NIGHTLY}"));
    let v = ws.version().to_owned();

    // Plan: every policy, the definition and the metadata are known although
    // the profile and the configuration are created by the same plan.
    let (plan, _) = ws.plan_json();
    for addr in [FUNCTION, PROFILE, CONFIGURATION] {
        assert_eq!(actions(&plan, addr), json!(["create"]), "[tf {v}] {addr}");
    }
    assert_known_at_plan(&plan, FUNCTION, &KNOWN_AT_PLAN, &v);
    let planned = resource_change(&plan, FUNCTION)["change"]["after"].clone();
    assert_eq!(planned["id"], json!("analytics/nightly"), "[tf {v}]");
    assert_eq!(
        planned["state_machine_name"],
        json!(STATE_MACHINE),
        "[tf {v}]"
    );
    assert_eq!(
        planned["state_machine_arn"],
        json!(sm_arn(STATE_MACHINE)),
        "[tf {v}]"
    );
    assert_eq!(
        planned["role_arn"],
        json!(role_arn(EXECUTION_ROLE)),
        "[tf {v}]"
    );
    assert_eq!(planned["parameter_name"], json!(FUNCTION_PARAM), "[tf {v}]");
    for attr in LAUNCHER_ATTRS {
        assert!(
            planned[attr].is_null(),
            "[tf {v}] {attr} must be null without secrets: {planned:#}"
        );
    }
    let planned_policy = json_attr(&planned, "role_policy_json");
    let pass: BTreeSet<String> = statements_with_action(&planned_policy, "iam:PassRole")
        .iter()
        .flat_map(|s| match &s["Resource"] {
            Value::String(r) => vec![r.clone()],
            Value::Array(rs) => rs.iter().map(|r| r.as_str().unwrap().to_owned()).collect(),
            _ => vec![],
        })
        .collect();
    assert_eq!(
        pass,
        [
            role_arn("analytics-p-emr-autoscaling"),
            role_arn("analytics-p-emr-instance"),
            role_arn("analytics-p-emr-service"),
        ]
        .into_iter()
        .collect(),
        "[tf {v}] the planned execution role may pass exactly the profile's roles: {planned_policy:#}"
    );

    // Apply exactly that plan; the emulator holds what state says.
    apply_saved_plan(&ws);
    let state = ws.resource_values(FUNCTION);
    for attr in KNOWN_AT_PLAN {
        assert_eq!(state[attr], planned[attr], "[tf {v}] {attr}: state vs plan");
    }
    assert_function_matches_emulator(aws, &state, &v);
    plan_code(&ws, 0, "re-plan after apply");

    // A valid launch.
    let arn = str_attr(&state, "state_machine_arn").to_owned();
    assert!(
        aws.cluster_ids().is_empty(),
        "[tf {v}] clusters before any launch"
    );
    let exe = aws.execute(
        &arn,
        &json!({"Overrides": {"CoreInstanceCount": 3, "CoreInstanceType": "m5.2xlarge"}, "Tags": [{"Key": "ticket", "Value": "OPS-1"}]}),
    );
    assert_eq!(
        exe.status,
        "SUCCEEDED",
        "[tf {v}] {exe:#?}\nmoto log:\n{}",
        emulator.log()
    );
    let output = exe
        .output
        .clone()
        .expect("output of a successful execution");
    let keys: Vec<&String> = output.as_object().expect("output object").keys().collect();
    assert_eq!(
        keys,
        ["ClusterId", "ClusterName"],
        "[tf {v}] output {output}"
    );
    assert_eq!(output["ClusterName"], json!("nightly-etl"), "[tf {v}]");
    let cluster_id = output["ClusterId"].as_str().unwrap().to_owned();
    assert_eq!(
        aws.cluster_ids(),
        [cluster_id.clone()].into_iter().collect(),
        "[tf {v}] exactly one cluster was launched"
    );
    let cluster = aws.cluster(&cluster_id);
    assert_eq!(cluster.name(), Some("nightly-etl"), "[tf {v}]");
    assert_eq!(aws.cluster_state(&cluster_id), "WAITING", "[tf {v}]");
    assert_eq!(
        cluster.service_role(),
        Some(role_arn("analytics-p-emr-service").as_str()),
        "[tf {v}] ServiceRole"
    );
    assert_eq!(
        cluster
            .ec2_instance_attributes()
            .and_then(|a| a.iam_instance_profile()),
        Some(format!("arn:aws:iam::{ACCOUNT}:instance-profile/analytics-p-emr-instance").as_str()),
        "[tf {v}] instance profile"
    );
    assert_eq!(cluster.security_configuration(), Some("lf-sc"), "[tf {v}]");
    assert_eq!(cluster.log_uri(), Some("s3://logs-bucket/emr/"), "[tf {v}]");
    assert_eq!(cluster.release_label(), Some("emr-7.8.0"), "[tf {v}]");
    assert_eq!(
        tags_of(&cluster),
        [
            ("cost", "42"),
            ("emr-launch:function", "analytics/nightly"),
            ("team", "data"),
            ("ticket", "OPS-1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
        "[tf {v}] tags of the launched cluster"
    );
    let counts = aws.instance_counts(&cluster_id);
    assert_eq!(
        counts.get("CORE"),
        Some(&3),
        "[tf {v}] CORE count: {counts:?}"
    );
    let types = aws.instance_types(&cluster_id);
    assert_eq!(
        types.get("CORE").map(String::as_str),
        Some("m5.2xlarge"),
        "[tf {v}] CORE type (an allowed value): {types:?}"
    );
    assert_eq!(
        counts.get("MASTER"),
        Some(&1),
        "[tf {v}] MASTER count: {counts:?}"
    );

    // Invalid launches fail before RunJobFlow.
    let before = aws.cluster_ids();
    let cases: [(Value, &str, &[&str]); 10] = [
        (
            json!({"ClusterName": "x", "Overrides": {"CoreInstanceType": "x1.32xlarge"}}),
            "InvalidOverride",
            &["CoreInstanceType", "x1.32xlarge", "allowed values"],
        ),
        (
            json!({"Request": {"Name": "x", "ReleaseLabel": "emr-7.8.0", "BootstrapActions": [
                {"Name": "evil", "ScriptBootstrapAction": {"Path": "s3://attacker-bucket/evil.sh"}}]}}),
            "InvalidInput",
            &["ClusterName, Overrides and Tags"],
        ),
        (
            json!({"ClusterName": "x", "BootstrapActions": [
                {"Name": "evil", "ScriptBootstrapAction": {"Path": "s3://attacker-bucket/evil.sh"}}]}),
            "InvalidInput",
            &["ClusterName, Overrides and Tags"],
        ),
        (
            json!({"ClusterName": "x", "Overrides": {"Instances.InstanceGroups[0].InstanceType": "x1.32xlarge"}}),
            "UnknownOverride",
            &["allowed: CoreInstanceCount, CoreInstanceType"],
        ),
        (
            json!({"ClusterName": "x", "Overrides": {"Bogus": 3}}),
            "UnknownOverride",
            &["Bogus"],
        ),
        (
            json!({"ClusterName": "x", "Overrides": {"CoreInstanceCount": 30}}),
            "InvalidOverride",
            &["CoreInstanceCount", "30", "maximum 10"],
        ),
        (
            json!({"ClusterName": "x", "Overrides": {"CoreInstanceCount": 0}}),
            "InvalidOverride",
            &["CoreInstanceCount", "minimum 1"],
        ),
        (
            json!({"ClusterName": "x", "Overrides": {"CoreInstanceCount": "three"}}),
            "InvalidOverride",
            &["CoreInstanceCount"],
        ),
        (json!({"ClusterName": 5}), "InvalidInput", &["ClusterName"]),
        (
            json!({"ClusterName": "x", "Tags": [{"Key": "cost", "Value": "0"}]}),
            "GovernedTag",
            &["cost"],
        ),
    ];
    for (input, error, mentions) in &cases {
        let exe = aws.execute(&arn, input);
        assert_failed(&exe, error, mentions, &format!("{v}, input {input}"));
        assert_eq!(
            aws.cluster_ids(),
            before,
            "[tf {v}] input {input} launched a cluster although it failed"
        );
    }

    // fail_if_cluster_running: the first cluster (nightly-etl) is WAITING.
    assert_eq!(aws.cluster_state(&cluster_id), "WAITING", "[tf {v}]");
    let exe = aws.execute(&arn, &json!({}));
    assert_failed(
        &exe,
        "ClusterAlreadyRunning",
        &["nightly-etl", &cluster_id],
        &v,
    );
    assert_eq!(
        aws.cluster_ids(),
        before,
        "[tf {v}] ClusterAlreadyRunning launched"
    );

    // Import: forget the function, import it, and nothing changes.
    ws.state_rm(FUNCTION);
    ws.import(FUNCTION, "analytics/nightly");
    let imported = ws.resource_values(FUNCTION);
    for attr in KNOWN_AT_PLAN.iter().chain(&[
        "cluster_name",
        "allowed_overrides",
        "cluster_tags",
        "fail_if_cluster_running",
        "wait_for_cluster_start",
    ]) {
        assert_eq!(imported[attr], state[*attr], "[tf {v}] {attr} after import");
    }
    plan_code(&ws, 0, "plan after import");

    // Destroy removes the state machine, its role and the parameter; the
    // launched cluster keeps running.
    ws.destroy();
    assert!(
        aws.state_machine(&arn).is_none(),
        "[tf {v}] state machine survived destroy"
    );
    assert!(
        !aws.role_exists(EXECUTION_ROLE),
        "[tf {v}] execution role survived destroy"
    );
    assert!(
        aws.parameter(FUNCTION_PARAM).is_none(),
        "[tf {v}] parameter survived destroy"
    );
    assert_eq!(aws.cluster_state(&cluster_id), "WAITING", "[tf {v}]");
}

// ---------------------------------------------------------------------------
// 2. Configuration secrets are resolved by EMR; only ARNs are handled
// ---------------------------------------------------------------------------

fn secret_hcl(secret_arn: &str) -> String {
    format!(
        r#"
resource "emr_cluster_configuration" "cs" {{
  namespace     = "analytics"
  name          = "cs"
  release_label = "emr-7.8.0"
  applications  = ["Spark", "Hive"]
  subnet_ids    = ["subnet-12345678"]

  instance_group {{
    role           = "MASTER"
    instance_type  = "m5.xlarge"
    instance_count = 1
  }}
  instance_group {{
    role           = "CORE"
    instance_type  = "m5.xlarge"
    instance_count = 2
  }}
  configurations_json = jsonencode([{{
    Classification = "hive-site"
    Properties     = {{ "hive.metastore.client.factory.class" = "x" }}
  }}])
  secret_configuration {{
    classification = "hive-site"
    property       = "{SECRET_PROPERTY}"
    secret_arn     = "{secret_arn}"
  }}
}}

resource "emr_launch_function" "s" {{
  namespace              = "analytics"
  name                   = "secret"
  profile                = emr_launch_profile.p
  cluster_configuration  = emr_cluster_configuration.cs
  cluster_name           = "secret-etl"
  wait_for_cluster_start = true
}}
"#
    )
}

#[test]
fn configuration_secrets_are_resolved_by_emr() {
    on_every_terraform(configuration_secrets);
}

fn configuration_secrets(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    const ADDR: &str = "emr_launch_function.s";
    const GRANT: &str = "emr-launch-secrets-analytics-secret-emr-launch-fn";
    let secret_arn = aws.create_secret("hive-metastore", SECRET_VALUE);
    let ws = Workspace::new(
        terraform,
        emulator,
        &format!("{PROVIDER}{BASE}{}", secret_hcl(&secret_arn)),
    );
    let v = ws.version().to_owned();

    let (plan, plan_out) = ws.plan_json();
    assert_known_at_plan(&plan, ADDR, &KNOWN_AT_PLAN, &v);
    assert_known_at_plan(&plan, ADDR, &["service_role_secret_policy_json"], &v);
    let planned = resource_change(&plan, ADDR)["change"]["after"].clone();
    for attr in LAUNCHER_ATTRS {
        assert!(
            planned[attr].is_null(),
            "[tf {v}] no launcher for configuration secrets: {attr}"
        );
    }
    let plan_text = serde_json::to_string(&plan).unwrap();
    apply_saved_plan(&ws);
    let state = ws.resource_values(ADDR);
    assert_function_matches_emulator(aws, &state, &v);

    // The service role may read exactly the configuration's secret; that is
    // the only grant the function adds to it.
    let grant = json_attr(&state, "service_role_secret_policy_json");
    let inline = aws.inline_policies("analytics-p-emr-service");
    assert!(
        inline.contains_key(GRANT),
        "[tf {v}] no {GRANT} on the service role: {inline:#?}"
    );
    assert_same_policy(&inline[GRANT], &grant, &format!("[tf {v}] {GRANT}"));
    let reads = statements_with_action(&grant, "secretsmanager:GetSecretValue");
    assert_eq!(reads.len(), 1, "[tf {v}] {grant:#}");
    assert_eq!(
        normalize(&reads[0]["Resource"]),
        json!(secret_arn),
        "[tf {v}]"
    );
    assert_eq!(
        grant["Statement"].as_array().map(Vec::len),
        Some(1),
        "[tf {v}] {grant:#}"
    );
    let role_policy_text = str_attr(&state, "role_policy_json");
    assert!(
        !role_policy_text.contains("secretsmanager"),
        "[tf {v}] the execution role reads secrets: {role_policy_text}"
    );
    // No fight between the profile's drift check and the function's grant.
    plan_code(&ws, 0, "re-plan after apply (profile and function agree)");

    // A launch that waits for the cluster: EMR gets the ARN, never the value.
    let sm = str_attr(&state, "state_machine_arn").to_owned();
    let exe = aws.execute(&sm, &json!({"Tags": [{"Key": "ticket", "Value": "OPS-2"}]}));
    assert_eq!(
        exe.status,
        "SUCCEEDED",
        "[tf {v}] {exe:#?}\nmoto log:\n{}",
        emulator.log()
    );
    let cluster_id = exe.output.as_ref().unwrap()["ClusterId"]
        .as_str()
        .unwrap()
        .to_owned();
    let cluster = aws.cluster(&cluster_id);
    let hive: Vec<_> = cluster
        .configurations()
        .iter()
        .filter(|c| c.classification() == Some("hive-site"))
        .collect();
    assert_eq!(hive.len(), 1, "[tf {v}] {:?}", cluster.configurations());
    let props = hive[0].properties().cloned().unwrap_or_default();
    assert_eq!(
        props
            .get(&format!("EMR.secret@{SECRET_PROPERTY}"))
            .map(String::as_str),
        Some(secret_arn.as_str()),
        "[tf {v}] the cluster's configuration names the secret ARN: {props:?}"
    );
    assert_eq!(
        props
            .get("hive.metastore.client.factory.class")
            .map(String::as_str),
        Some("x"),
        "[tf {v}] {props:?}"
    );
    let (_, history_text) = aws.execution_record(&exe.arn);
    assert!(
        !history_text.contains("Configurations") && !history_text.contains("KerberosAttributes"),
        "[tf {v}] the execution history holds the cluster's configuration:\n{history_text}"
    );

    // The value appears nowhere Terraform, Step Functions or EMR show things.
    let shown = ws.run_ok(&["show", "-json"]).stdout;
    let pulled = ws.run_ok(&["state", "pull"]).stdout;
    let places: [(&str, String); 7] = [
        ("terraform show -json", shown),
        ("terraform state pull", pulled),
        ("the plan before apply (show -json)", plan_text),
        ("the plan before apply (text)", plan_out.all()),
        (
            "definition_json",
            str_attr(&state, "definition_json").to_owned(),
        ),
        ("the execution's history and description", history_text),
        ("DescribeCluster", format!("{cluster:?}")),
    ];
    for (place, text) in &places {
        assert!(!text.is_empty(), "[tf {v}] {place} is empty");
        assert!(
            !text.contains(SECRET_VALUE),
            "[tf {v}] the secret value appears in {place}"
        );
    }

    // Destroy removes the grant and leaves the profile's own policies.
    ws.run_ok(&["destroy", "-auto-approve", "-input=false", "-target", ADDR]);
    let inline = aws.inline_policies("analytics-p-emr-service");
    assert!(
        !inline.contains_key(GRANT),
        "[tf {v}] the secret grant survived destroy"
    );
    assert!(!inline.is_empty(), "[tf {v}] the profile's policy is gone");
    ws.destroy();
}

// ---------------------------------------------------------------------------
// 2b. The Kerberos launcher launches nothing the state machine could not
// ---------------------------------------------------------------------------

fn kerberos_hcl(secret_arn: &str) -> String {
    format!(
        r#"
resource "emr_launch_profile" "pk" {{
  namespace                      = "analytics"
  name                           = "pk"
  security_configuration         = emr_security_configuration.sc.name
  kerberos_attributes_secret_arn = "{secret_arn}"
}}

resource "emr_launch_function" "k" {{
  namespace               = "analytics"
  name                    = "krb"
  profile                 = emr_launch_profile.pk
  cluster_configuration   = emr_cluster_configuration.c
  cluster_name            = "krb-etl"
  allowed_overrides       = ["CoreInstanceCount", "CoreInstanceType"]
  fail_if_cluster_running = true
  wait_for_cluster_start  = false
}}
"#
    )
}

/// A layer's code is imported before the launcher's own and runs as the
/// launcher role (which reads the Kerberos secret and launches): one put on
/// outside Terraform shows in the plan, and apply removes it.
/// A workspace with a Kerberos profile and its launch function (with a
/// launcher), whose secret holds SECRET_VALUE; and the secret's ARN.
fn kerberos_workspace(terraform: &Path, emulator: &Emulator, aws: &Aws) -> (Workspace, String) {
    let secret_arn = aws.create_secret(
        "kerberos",
        &json!({"Realm": "EC2.INTERNAL", "KdcAdminPassword": SECRET_VALUE}).to_string(),
    );
    let ws = Workspace::new(
        terraform,
        emulator,
        &format!("{PROVIDER}{BASE}{}", kerberos_hcl(&secret_arn)),
    );
    (ws, secret_arn)
}

#[test]
fn a_layer_on_the_launcher_is_drift_that_apply_removes() {
    on_every_terraform(launcher_layer);
}

fn launcher_layer(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    const LAUNCHER: &str = "analytics-krb-emr-launcher";
    let (ws, _) = kerberos_workspace(terraform, emulator, aws);
    let v = ws.version().to_owned();
    ws.apply();
    let state = ws.resource_values("emr_launch_function.k");
    let package = terraform_provider_emr::launch::launcher::package(&json_attr(
        &state,
        "launcher_launch_json",
    ));
    let content = aws_sdk_lambda::types::LayerVersionContentInput::builder()
        .zip_file(aws_smithy_types::Blob::new(package))
        .build();
    let publish = aws
        .lambda
        .publish_layer_version()
        .layer_name("patched-boto3")
        .content(content)
        .send();
    let layer = aws.rt.block_on(publish).expect("PublishLayerVersion");
    let layer = layer
        .layer_version_arn()
        .expect("layer version ARN")
        .to_owned();
    let update = aws
        .lambda
        .update_function_configuration()
        .function_name(LAUNCHER)
        .layers(&layer)
        .send();
    aws.rt
        .block_on(update)
        .expect("UpdateFunctionConfiguration");
    let layers = |what: &str| -> Vec<String> {
        let f = aws
            .lambda_function(LAUNCHER)
            .unwrap_or_else(|| panic!("[tf {v}] {what}: no launcher"));
        f.layers()
            .iter()
            .filter_map(|l| l.arn().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        layers("after the layer was put on"),
        std::slice::from_ref(&layer),
        "[tf {v}]"
    );

    let out = plan_code(&ws, 2, "plan after a layer was put on the launcher");
    assert!(
        out.stdout.contains(&layer),
        "[tf {v}] the plan does not show the layer:\n{}",
        out.stdout
    );
    ws.apply();
    assert!(
        layers("after apply").is_empty(),
        "[tf {v}] the layer is still on"
    );
    plan_code(&ws, 0, "plan after apply removed the layer");
    ws.destroy();
}

#[test]
fn launcher_refuses_crafted_events() {
    on_every_terraform(crafted_events);
}

fn crafted_events(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    const ADDR: &str = "emr_launch_function.k";
    const LAUNCHER: &str = "analytics-krb-emr-launcher";
    let (ws, secret_arn) = kerberos_workspace(terraform, emulator, aws);
    let v = ws.version().to_owned();
    let (plan, _) = ws.plan_json();
    assert_known_at_plan(&plan, ADDR, &KNOWN_AT_PLAN, &v);
    assert_known_at_plan(&plan, ADDR, &LAUNCHER_ATTRS, &v);
    apply_saved_plan(&ws);
    let state = ws.resource_values(ADDR);
    assert_function_matches_emulator(aws, &state, &v);

    // The package the provider uploaded: rebuilt from the launch in state,
    // it has exactly the code hash Lambda reports.
    let launch = json_attr(&state, "launcher_launch_json");
    let package = terraform_provider_emr::launch::launcher::package(&launch);
    let function = aws
        .lambda_function(LAUNCHER)
        .unwrap_or_else(|| panic!("[tf {v}] Lambda has no function {LAUNCHER}"));
    assert_eq!(
        function.code_sha256(),
        Some(terraform_provider_emr::launch::launcher::code_sha256(&package).as_str()),
        "[tf {v}] the uploaded package is the one rebuilt from launcher_launch_json"
    );
    assert_eq!(
        function.code_sha256(),
        Some(str_attr(&state, "launcher_source_code_hash")),
        "[tf {v}]"
    );
    assert!(
        !format!("{function:?}").contains("secretsmanager"),
        "[tf {v}] secret ARNs in the Lambda environment: {function:?}"
    );
    // The launcher role reads exactly the Kerberos secret.
    let launcher_policy = json_attr(&state, "launcher_role_policy_json");
    let reads = statements_with_action(&launcher_policy, "secretsmanager:GetSecretValue");
    assert_eq!(reads.len(), 1, "[tf {v}] {launcher_policy:#}");
    assert_eq!(
        normalize(&reads[0]["Resource"]),
        json!(secret_arn),
        "[tf {v}]"
    );

    // Crafted events, as someone with lambda:InvokeFunction would send them.
    let evil = json!([{"Name": "evil", "ScriptBootstrapAction": {"Path": "s3://attacker-bucket/evil.sh", "Args": []}}]);
    let full_request = json!({
        "Name": "pwn", "ReleaseLabel": "emr-7.8.0",
        "Instances": {"MasterInstanceType": "x1.32xlarge", "InstanceCount": 1, "KeepJobFlowAliveWhenNoSteps": true},
        "BootstrapActions": evil,
        "JobFlowRole": format!("arn:aws:iam::{ACCOUNT}:instance-profile/analytics-pk-emr-instance"),
        "ServiceRole": role_arn("analytics-pk-emr-service"),
        "Tags": [{"Key": "emr-launch:function", "Value": "analytics/krb"}]
    });
    let crafted: [(Value, &str); 9] = [
        (full_request.clone(), "InvalidInput"),
        (json!({"Request": full_request}), "InvalidInput"),
        (
            json!({"ClusterName": "x", "BootstrapActions": evil}),
            "InvalidInput",
        ),
        (
            json!({"Overrides": {"CoreInstanceCount": 30}}),
            "InvalidOverride",
        ),
        (
            json!({"Overrides": {"CoreInstanceType": "x1.32xlarge"}}),
            "InvalidOverride",
        ),
        (
            json!({"Overrides": {"MasterInstanceType": "x1.32xlarge"}}),
            "UnknownOverride",
        ),
        (
            json!({"Overrides": {"Instances.InstanceGroups[0].InstanceType": "x1.32xlarge"}}),
            "UnknownOverride",
        ),
        (
            json!({"Tags": [{"Key": "EMR-LAUNCH:FUNCTION", "Value": "analytics/other"}]}),
            "GovernedTag",
        ),
        (json!(["ClusterName"]), "InvalidInput"),
    ];
    let before = aws.cluster_ids();
    for (event, error) in &crafted {
        let (out, printed) = run_launcher(emulator, &package, event);
        let message = out["LaunchError"].as_str().unwrap_or_else(|| {
            panic!(
                "[tf {v}] the launcher accepted {event}: {out}\n{}",
                printed.all()
            )
        });
        assert!(
            message.starts_with(error),
            "[tf {v}] event {event}: expected {error}, got {message}"
        );
        assert!(!printed.all().contains(SECRET_VALUE), "[tf {v}]");
        assert_eq!(
            aws.cluster_ids(),
            before,
            "[tf {v}] the crafted event {event} launched a cluster"
        );
    }

    // A real launch: the state machine hands the launcher only the user's
    // choices (moto's Lambda cannot run code, so the payload is taken from
    // the execution history and run through the package).
    let sm = str_attr(&state, "state_machine_arn").to_owned();
    let exe = aws.execute(
        &sm,
        &json!({"Overrides": {"CoreInstanceCount": 4}, "Tags": [{"Key": "ticket", "Value": "OPS-3"}]}),
    );
    let (events, history_text) = aws.execution_record(&exe.arn);
    let scheduled: Vec<Value> = events
        .iter()
        .filter_map(|e| e.task_scheduled_event_details())
        .filter(|d| d.resource_type() == "lambda")
        .map(|d| serde_json::from_str(d.parameters()).unwrap())
        .collect();
    assert_eq!(
        scheduled.len(),
        1,
        "[tf {v}] one lambda task; history:\n{history_text}"
    );
    let payload = scheduled[0]["Payload"].clone();
    assert_eq!(
        payload,
        json!({"ClusterName": "krb-etl", "Overrides": {"CoreInstanceCount": 4}, "Tags": [{"Key": "ticket", "Value": "OPS-3"}]}),
        "[tf {v}] the state machine passes the user's choices only"
    );
    let (out, printed) = run_launcher(emulator, &package, &payload);
    let result = out["Result"]
        .as_object()
        .unwrap_or_else(|| panic!("[tf {v}] launch failed: {out}\n{}", printed.all()));
    assert_eq!(
        result.keys().collect::<Vec<_>>(),
        ["ClusterId"],
        "[tf {v}] {out}"
    );
    let id = result["ClusterId"].as_str().unwrap().to_owned();
    let cluster = aws.cluster(&id);
    assert_eq!(cluster.name(), Some("krb-etl"), "[tf {v}]");
    assert_eq!(aws.instance_counts(&id).get("CORE"), Some(&4), "[tf {v}]");
    assert!(aws.bootstrap_actions(&id).is_empty(), "[tf {v}]");
    assert_eq!(
        tags_of(&cluster)
            .get("emr-launch:function")
            .map(String::as_str),
        Some("analytics/krb"),
        "[tf {v}]"
    );
    for (place, text) in [
        ("the launcher's output", printed.all()),
        ("the execution history", history_text),
        ("state", ws.run_ok(&["state", "pull"]).stdout),
    ] {
        assert!(
            !text.contains(SECRET_VALUE),
            "[tf {v}] the Kerberos secret appears in {place}"
        );
    }
    // fail_if_cluster_running holds for direct invocation too.
    let (out, _) = run_launcher(emulator, &package, &json!({}));
    assert!(
        out["LaunchError"]
            .as_str()
            .is_some_and(|m| m.starts_with("ClusterAlreadyRunning")),
        "[tf {v}] {out}"
    );

    ws.destroy();
    assert!(
        aws.lambda_function(LAUNCHER).is_none(),
        "[tf {v}] launcher survived"
    );
    assert!(
        !aws.role_exists(LAUNCHER),
        "[tf {v}] launcher role survived"
    );
}

// ---------------------------------------------------------------------------
// 2c. Notifications: one message per launch, success or failure
// ---------------------------------------------------------------------------

#[test]
fn notifications_on_success_and_failure() {
    on_every_terraform(notifications);
}

fn notifications(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    const ADDR: &str = "emr_launch_function.n";
    let created = boto3(
        emulator,
        r#"
sns = boto3.client("sns"); sqs = boto3.client("sqs")
topic = sns.create_topic(Name="emr-launches")["TopicArn"]
url = sqs.create_queue(QueueName="emr-launches")["QueueUrl"]
arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
print(json.dumps({"topic": topic, "queue": url}))
"#,
    );
    let created: Value = serde_json::from_str(created.trim()).unwrap();
    let topic = created["topic"].as_str().unwrap().to_owned();
    let queue = created["queue"].as_str().unwrap().to_owned();
    let hcl = format!(
        r#"
resource "emr_launch_function" "n" {{
  namespace              = "analytics"
  name                   = "notified"
  profile                = emr_launch_profile.p
  cluster_configuration  = emr_cluster_configuration.c
  cluster_name           = "notified-etl"
  allowed_overrides      = ["CoreInstanceCount"]
  wait_for_cluster_start = false
  notifications {{
    topic_arn = "{topic}"
  }}
}}
"#
    );
    let ws = Workspace::new(terraform, emulator, &format!("{PROVIDER}{BASE}{hcl}"));
    let v = ws.version().to_owned();
    ws.apply();
    let state = ws.resource_values(ADDR);
    let policy = json_attr(&state, "role_policy_json");
    let publish = statements_with_action(&policy, "sns:Publish");
    assert_eq!(publish.len(), 1, "[tf {v}] {policy:#}");
    assert_eq!(normalize(&publish[0]["Resource"]), json!(topic), "[tf {v}]");
    plan_code(&ws, 0, "re-plan with notifications");

    let sm = str_attr(&state, "state_machine_arn").to_owned();
    let ok = aws.execute(&sm, &json!({"Overrides": {"CoreInstanceCount": 2}}));
    assert_eq!(
        ok.status,
        "SUCCEEDED",
        "[tf {v}] {ok:#?}\n{}",
        emulator.log()
    );
    let bad = aws.execute(&sm, &json!({"Overrides": {"CoreInstanceCount": 99}}));
    assert_failed(&bad, "InvalidOverride", &["99"], &v);

    let received = boto3(
        emulator,
        &format!(
            r#"
sqs = boto3.client("sqs")
out = []
for _ in range(5):
    r = sqs.receive_message(QueueUrl="{queue}", MaxNumberOfMessages=10, WaitTimeSeconds=1)
    out += [json.loads(m["Body"]) for m in r.get("Messages", [])]
print(json.dumps(out))
"#
        ),
    );
    let messages: Vec<Value> = serde_json::from_str(received.trim()).unwrap();
    assert_eq!(
        messages.len(),
        2,
        "[tf {v}] one message per launch: {messages:#?}"
    );
    let by_status = |status: &str| {
        messages
            .iter()
            .find(|m| m["Status"] == json!(status))
            .unwrap_or_else(|| panic!("[tf {v}] no {status} message: {messages:#?}"))
    };
    let success = by_status("SUCCEEDED");
    assert_eq!(success["Function"], json!("analytics/notified"), "[tf {v}]");
    assert_eq!(success["ExecutionArn"], json!(ok.arn), "[tf {v}]");
    assert_eq!(
        success["ClusterId"],
        ok.output.as_ref().unwrap()["ClusterId"],
        "[tf {v}]"
    );
    assert_eq!(success["ClusterName"], json!("notified-etl"), "[tf {v}]");
    assert_eq!(
        success["Overrides"],
        json!({"CoreInstanceCount": 2}),
        "[tf {v}]"
    );
    let failure = by_status("FAILED");
    assert_eq!(failure["ExecutionArn"], json!(bad.arn), "[tf {v}]");
    assert_eq!(failure["Error"], json!("InvalidOverride"), "[tf {v}]");
    assert!(
        failure["Cause"].as_str().unwrap_or_default().contains("99"),
        "[tf {v}] {failure:#}"
    );
    assert_eq!(
        failure["Input"],
        json!({"Overrides": {"CoreInstanceCount": 99}}),
        "[tf {v}]"
    );
    ws.destroy();
}

// ---------------------------------------------------------------------------
// 3. A tampered profile parameter does not widen iam:PassRole
// ---------------------------------------------------------------------------

#[test]
fn tampered_metadata_never_reaches_run_job_flow() {
    on_every_terraform(tampered);
}

fn tampered(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    let ws = Workspace::new(terraform, emulator, &format!("{PROVIDER}{BASE}{NIGHTLY}"));
    let v = ws.version().to_owned();
    ws.apply();
    let function = ws.resource_values(FUNCTION);
    let profile = ws.resource_values(PROFILE);
    let param = str_attr(&profile, "parameter_name").to_owned();
    let original = aws.parameter(&param).expect("profile parameter");
    let mut doc: Value = serde_json::from_str(&original).unwrap();
    assert_eq!(
        doc["ServiceRole"],
        json!(role_arn("analytics-p-emr-service")),
        "[tf {v}] the profile document names its service role: {doc:#}"
    );
    let admin = role_arn("admin");
    doc["ServiceRole"] = json!(admin);
    aws.put_parameter(&param, &doc.to_string());

    let (plan, out) = ws.plan_json();
    assert_eq!(
        actions(&plan, PROFILE),
        json!(["update"]),
        "[tf {v}] the profile repairs its parameter\n{}",
        out.stdout
    );
    let change = &resource_change(&plan, FUNCTION)["change"];
    assert_eq!(
        change["before"]["role_policy_json"], change["after"]["role_policy_json"],
        "[tf {v}] the function's policy must not change: {change:#}"
    );
    assert!(
        change["actions"] == json!(["no-op"]) || change["actions"] == json!(["update"]),
        "[tf {v}] {change:#}"
    );
    let after_text = change["after"].to_string();
    assert!(!after_text.contains("role/admin"), "[tf {v}] {change:#}");
    assert_eq!(
        change["after"]["role_policy_json"], function["role_policy_json"],
        "[tf {v}] planned policy vs the applied one"
    );
    let check_iam = |when: &str| {
        let inline = aws.inline_policies(EXECUTION_ROLE);
        let text = serde_json::to_string(&inline).unwrap();
        assert!(!text.contains("role/admin"), "[tf {v}] {when}: {text}");
        assert_same_policy(
            &inline["emr-launch-function"],
            &json_attr(&function, "role_policy_json"),
            &format!("[tf {v}] {when}: execution role policy"),
        );
    };
    check_iam("after the tampering");

    // Tamper the configuration too, then launch: the launch uses the request
    // fixed in the definition, never the tampered parameters.
    let configuration = ws.resource_values(CONFIGURATION);
    let cparam = str_attr(&configuration, "parameter_name").to_owned();
    let coriginal = aws.parameter(&cparam).expect("configuration parameter");
    let mut cdoc: Value = serde_json::from_str(&coriginal).unwrap();
    cdoc["RunJobFlow"]["BootstrapActions"] = json!([{"Name": "evil", "ScriptBootstrapAction": {"Path": "s3://attacker-bucket/evil.sh", "Args": []}}]);
    cdoc["RunJobFlow"]["Instances"]["InstanceGroups"][0]["InstanceType"] = json!("x1.32xlarge");
    aws.put_parameter(&cparam, &cdoc.to_string());
    let exe = aws.execute(str_attr(&function, "state_machine_arn"), &json!({}));
    assert_eq!(exe.status, "SUCCEEDED", "[tf {v}] {exe:#?}");
    let id = exe.output.as_ref().unwrap()["ClusterId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        aws.bootstrap_actions(&id).is_empty(),
        "[tf {v}] the tampered bootstrap action reached RunJobFlow"
    );
    assert_eq!(
        aws.instance_types(&id).get("MASTER").map(String::as_str),
        Some("m5.xlarge"),
        "[tf {v}] the tampered instance type reached RunJobFlow"
    );
    assert_eq!(
        aws.cluster(&id).service_role(),
        Some(role_arn("analytics-p-emr-service").as_str()),
        "[tf {v}] the tampered service role reached RunJobFlow"
    );
    let (plan, out) = ws.plan_json();
    assert_eq!(
        actions(&plan, CONFIGURATION),
        json!(["update"]),
        "[tf {v}] the configuration repairs its parameter\n{}",
        out.stdout
    );

    apply_saved_plan(&ws);
    assert_eq!(
        serde_json::from_str::<Value>(&aws.parameter(&cparam).unwrap()).unwrap(),
        serde_json::from_str::<Value>(&coriginal).unwrap(),
        "[tf {v}] apply restores the configuration parameter"
    );
    let repaired: Value = serde_json::from_str(&aws.parameter(&param).unwrap()).unwrap();
    assert_eq!(
        repaired["ServiceRole"],
        json!(role_arn("analytics-p-emr-service")),
        "[tf {v}] apply repairs the profile parameter"
    );
    check_iam("after apply");
    assert_eq!(
        ws.resource_values(FUNCTION)["role_policy_json"],
        function["role_policy_json"],
        "[tf {v}]"
    );
    plan_code(&ws, 0, "plan after repairing the profile");
}

// ---------------------------------------------------------------------------
// 3b. A managed policy attached to the function's role outside Terraform
// ---------------------------------------------------------------------------

#[test]
fn out_of_band_attachments_are_drift_that_apply_removes() {
    on_every_terraform(out_of_band_attachment);
}

fn out_of_band_attachment(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
    const OWNER_TAG: &str = "emr-launch:managed-by";
    let tagged = NIGHTLY.replace(
        "  cluster_tags ",
        "  tags                    = { team = \"data\" }\n  cluster_tags ",
    );
    assert_ne!(tagged, NIGHTLY);
    let ws = Workspace::new(terraform, emulator, &format!("{PROVIDER}{BASE}{tagged}"));
    let v = ws.version().to_owned();
    ws.apply();
    let state = ws.resource_values(FUNCTION);
    assert_eq!(state["role_managed_policy_arns"], json!([]), "[tf {v}]");
    assert!(
        state["launcher_role_managed_policy_arns"].is_null(),
        "[tf {v}]"
    );

    // What the function made carries its provenance; tags_all does not show it.
    let owner = "emr_launch_function/analytics/nightly";
    let role_tags = aws.role_tags(EXECUTION_ROLE);
    assert_eq!(
        role_tags.get(OWNER_TAG).map(String::as_str),
        Some(owner),
        "[tf {v}] {role_tags:?}"
    );
    assert_eq!(
        role_tags.get("team").map(String::as_str),
        Some("data"),
        "[tf {v}]"
    );
    let sm_tags = aws.state_machine_tags(str_attr(&state, "state_machine_arn"));
    assert_eq!(
        sm_tags.get(OWNER_TAG).map(String::as_str),
        Some(owner),
        "[tf {v}] {sm_tags:?}"
    );
    assert_eq!(state["tags_all"], json!({"team": "data"}), "[tf {v}]");

    aws.attach(EXECUTION_ROLE, ADMIN);
    let out = plan_code(
        &ws,
        2,
        "plan after attaching AdministratorAccess out of band",
    );
    assert!(
        out.stdout.contains("AdministratorAccess"),
        "[tf {v}] the plan does not show the attachment:\n{}",
        out.stdout
    );
    let (plan, _) = ws.plan_json();
    assert_eq!(actions(&plan, FUNCTION), json!(["update"]), "[tf {v}]");
    let change = &resource_change(&plan, FUNCTION)["change"];
    assert_eq!(
        change["before"]["role_managed_policy_arns"],
        json!([ADMIN]),
        "[tf {v}]"
    );
    assert_eq!(
        change["after"]["role_managed_policy_arns"],
        json!([]),
        "[tf {v}]"
    );
    apply_saved_plan(&ws);
    assert!(
        aws.attached(EXECUTION_ROLE).is_empty(),
        "[tf {v}] AdministratorAccess survived apply: {:?}",
        aws.attached(EXECUTION_ROLE)
    );
    let state = ws.resource_values(FUNCTION);
    assert_function_matches_emulator(aws, &state, &v);
    assert_eq!(state["role_managed_policy_arns"], json!([]), "[tf {v}]");
    plan_code(&ws, 0, "re-plan after apply detached AdministratorAccess");
    ws.destroy();
    assert!(
        !aws.role_exists(EXECUTION_ROLE),
        "[tf {v}] execution role survived destroy"
    );
}

// ---------------------------------------------------------------------------
// 4. Data source objects work like resource objects
// ---------------------------------------------------------------------------

const FROM_DATA_SOURCES: &str = r#"
data "emr_launch_profile" "p" {
  namespace = "analytics"
  name      = "p"
}

data "emr_cluster_configuration" "c" {
  namespace = "analytics"
  name      = "c"
}

resource "emr_launch_function" "g" {
  namespace               = "analytics"
  name                    = "viads"
  profile                 = data.emr_launch_profile.p
  cluster_configuration   = data.emr_cluster_configuration.c
  cluster_name            = "nightly-etl"
  allowed_overrides       = ["CoreInstanceCount", "CoreInstanceType"]
  fail_if_cluster_running = true
  cluster_tags            = { cost = "42" }
}

data "emr_launch_function" "f" {
  namespace = "analytics"
  name      = "nightly"
}
"#;

#[test]
fn data_source_objects_work() {
    on_every_terraform(data_sources);
}

/// A function's document for `analytics/viads` with the names of
/// `analytics/nightly`.
fn as_nightly(text: &str) -> Value {
    let text = text
        .replace("analytics/viads", "analytics/nightly")
        .replace("analytics-viads-", "analytics-nightly-");
    serde_json::from_str(&text).unwrap()
}

fn data_sources(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    let platform = Workspace::new(terraform, emulator, &format!("{PROVIDER}{BASE}{NIGHTLY}"));
    let v = platform.version().to_owned();
    platform.apply();
    let f = platform.resource_values(FUNCTION);

    let team = Workspace::new(
        terraform,
        emulator,
        &format!("{PROVIDER}{FROM_DATA_SOURCES}"),
    );
    let (plan, _) = team.plan_json();
    assert_known_at_plan(&plan, "emr_launch_function.g", &KNOWN_AT_PLAN, &v);
    apply_saved_plan(&team);
    let g = team.resource_values("emr_launch_function.g");
    assert_function_matches_emulator(aws, &g, &v);
    assert_eq!(
        normalize(&as_nightly(str_attr(&g, "role_policy_json"))),
        normalize(&json_attr(&f, "role_policy_json")),
        "[tf {v}] role_policy_json from data source objects vs resource objects"
    );
    assert_eq!(
        as_nightly(str_attr(&g, "definition_json")),
        json_attr(&f, "definition_json"),
        "[tf {v}] definition_json from data source objects vs resource objects"
    );
    let df = team.resource_values("data.emr_launch_function.f");
    assert_eq!(df["state_machine_arn"], f["state_machine_arn"], "[tf {v}]");
    assert_eq!(df["role_arn"], f["role_arn"], "[tf {v}]");
    assert_same_policy(
        &json_attr(&df, "invoke_policy_json"),
        &json_attr(&f, "invoke_policy_json"),
        &format!("[tf {v}] invoke_policy_json of the data source vs the resource"),
    );
    plan_code(&team, 0, "re-plan of the data-source workspace");

    // A launch through the function built from data source objects.
    let exe = aws.execute(
        str_attr(&g, "state_machine_arn"),
        &json!({"ClusterName": "viads-1"}),
    );
    assert_eq!(exe.status, "SUCCEEDED", "[tf {v}] {exe:#?}");
    let id = exe.output.as_ref().unwrap()["ClusterId"]
        .as_str()
        .unwrap()
        .to_owned();
    let cluster = aws.cluster(&id);
    assert_eq!(
        cluster.service_role(),
        Some(role_arn("analytics-p-emr-service").as_str()),
        "[tf {v}]"
    );
    assert_eq!(
        tags_of(&cluster)
            .get("emr-launch:function")
            .map(String::as_str),
        Some("analytics/viads"),
        "[tf {v}]"
    );

    // A tampered function record cannot redirect the invoke policy: the
    // data source refuses it (seed 001: users launch only what they were
    // granted).
    let other = sm_arn("someone-elses-state-machine");
    let original = aws.parameter(FUNCTION_PARAM).expect("function record");
    let mut record: Value = serde_json::from_str(&original).unwrap();
    record["StateMachineArn"] = json!(other);
    aws.put_parameter(FUNCTION_PARAM, &record.to_string());
    let out = team.run(&["plan", "-input=false", "-no-color"]);
    assert_ne!(
        out.code,
        0,
        "[tf {v}] a tampered record planned:\n{}",
        out.all()
    );
    let text = diagnostics_text(&out);
    assert!(
        text.contains("StateMachineArn") && text.contains("someone-elses-state-machine"),
        "[tf {v}] the refusal names the tampered field: {text}"
    );
    let shown = team.run(&["show", "-json"]).stdout;
    assert!(
        !shown.contains("someone-elses-state-machine"),
        "[tf {v}] the tampered ARN reached state"
    );
    aws.put_parameter(FUNCTION_PARAM, &original);
    plan_code(&team, 0, "re-plan after the record is restored");

    team.destroy();
    platform.destroy();
}

// ---------------------------------------------------------------------------
// 5. Invalid configurations fail at plan without mutating calls
// ---------------------------------------------------------------------------

/// A function built from literal objects (what the resources above produce),
/// so nothing needs to exist for it to plan.
const LITERAL: &str = r#"
locals {
  profile = {
    id                             = "analytics/p"
    parameter_arn                  = "arn:aws:ssm:us-east-1:123456789012:parameter/emr_launch/emr_profiles/analytics/p"
    service_role_arn               = "arn:aws:iam::123456789012:role/analytics-p-emr-service"
    instance_role_arn              = "arn:aws:iam::123456789012:role/analytics-p-emr-instance"
    instance_profile_arn           = "arn:aws:iam::123456789012:instance-profile/analytics-p-emr-instance"
    autoscaling_role_arn           = "arn:aws:iam::123456789012:role/analytics-p-emr-autoscaling"
    kerberos_attributes_secret_arn = null
    metadata_json = jsonencode({
      AutoScalingRole       = "arn:aws:iam::123456789012:role/analytics-p-emr-autoscaling"
      InstanceProfile       = "arn:aws:iam::123456789012:instance-profile/analytics-p-emr-instance"
      InstanceRole          = "arn:aws:iam::123456789012:role/analytics-p-emr-instance"
      LogsUri               = "s3://logs-bucket/emr/"
      Name                  = "p"
      Namespace             = "analytics"
      RolesCreated          = true
      SecurityConfiguration = "lf-sc"
      ServiceRole           = "arn:aws:iam::123456789012:role/analytics-p-emr-service"
    })
  }
  configuration = {
    id            = "analytics/c"
    parameter_arn = "arn:aws:ssm:us-east-1:123456789012:parameter/emr_launch/cluster_configurations/analytics/c"
    secret_arns   = []
    metadata_json = jsonencode({
      Name      = "c"
      Namespace = "analytics"
      Overrides = [{ Maximum = 10, Minimum = 1, Name = "CoreInstanceCount", Path = "Instances.InstanceGroups[1].InstanceCount" }]
      SecretConfigurations = [{ Classification = "hive-site", Property = "javax.jdo.option.ConnectionPassword", SecretArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-AbCdEf" }]
      RunJobFlow = {
        Applications = [{ Name = "Spark" }]
        Instances = {
          Ec2SubnetId = "subnet-12345678"
          InstanceGroups = [
            { InstanceCount = 1, InstanceRole = "MASTER", InstanceType = "m5.xlarge", Name = "MASTER" },
            { InstanceCount = 2, InstanceRole = "CORE", InstanceType = "m5.xlarge", Name = "CORE" },
          ]
          KeepJobFlowAliveWhenNoSteps = true
        }
        ReleaseLabel      = "emr-7.8.0"
        Tags              = [{ Key = "team", Value = "data" }]
        VisibleToAllUsers = true
      }
    })
  }
}

resource "emr_launch_function" "f" {
  namespace               = "analytics"
  name                    = "nightly"
  profile                 = local.profile
  cluster_configuration   = local.configuration
  cluster_name            = "nightly-etl"
  allowed_overrides       = ["CoreInstanceCount"]
  fail_if_cluster_running = true
  cluster_tags            = { cost = "42" }
}
"#;

struct Invalid {
    what: &'static str,
    /// Replace this exact text of LITERAL (it must occur)...
    from: &'static str,
    /// ...with this.
    to: &'static str,
    /// Words the diagnostics must contain (whitespace-normalized).
    mentions: &'static [&'static str],
    /// For a value inside the `profile` or `cluster_configuration` object:
    /// the attribute of that object that is wrong, which the diagnostics
    /// should name (see `invalid_object_attributes_are_named`).
    nested: &'static str,
}

const INVALID: &[Invalid] = &[
    Invalid {
        what: "notifications to something that is not an SNS topic",
        from: r#"  cluster_tags            = { cost = "42" }
}"#,
        to: r#"  cluster_tags            = { cost = "42" }
  notifications {
    topic_arn = "arn:aws:sqs:us-east-1:123456789012:queue"
  }
}"#,
        mentions: &["notifications", "SNS topic ARN"],
        nested: "",
    },
    Invalid {
        what: "a cluster tag that differs from a configuration tag only in case",
        from: r#"cluster_tags            = { cost = "42" }"#,
        to: r#"cluster_tags            = { cost = "42", Team = "other" }"#,
        mentions: &["Team", "differs only in case", "team"],
        nested: "",
    },
    Invalid {
        what: "a cluster tag in the reserved emr-launch: namespace, in another case",
        from: r#"cluster_tags            = { cost = "42" }"#,
        to: r#"cluster_tags            = { cost = "42", "EMR-Launch:Function" = "x" }"#,
        mentions: &["EMR-Launch:Function", "reserved"],
        nested: "",
    },
    Invalid {
        what: "configuration secrets with a service role in another account",
        from: r#"    service_role_arn               = "arn:aws:iam::123456789012:role/analytics-p-emr-service""#,
        to: r#"    service_role_arn               = "arn:aws:iam::999999999999:role/analytics-p-emr-service""#,
        mentions: &["service_role_arn", "another account"],
        nested: "",
    },
    Invalid {
        what: "allowed_overrides names an override the configuration does not define",
        from: r#"allowed_overrides       = ["CoreInstanceCount"]"#,
        to: r#"allowed_overrides       = ["CoreInstanceCount", "TaskInstanceCount"]"#,
        mentions: &["allowed_overrides", "TaskInstanceCount"],
        nested: "",
    },
    Invalid {
        what: "namespace with a slash",
        from: r#"namespace               = "analytics""#,
        to: r#"namespace               = "bad/ns""#,
        mentions: &["namespace"],
        nested: "",
    },
    Invalid {
        what: "empty name",
        from: r#"name                    = "nightly""#,
        to: r#"name                    = """#,
        mentions: &["name"],
        nested: "",
    },
    Invalid {
        what: "empty cluster_name",
        from: r#"cluster_name            = "nightly-etl""#,
        to: r#"cluster_name            = """#,
        mentions: &["cluster_name"],
        nested: "",
    },
    Invalid {
        what: "cluster_name with a control character",
        from: r#"cluster_name            = "nightly-etl""#,
        to: r#"cluster_name            = "nightly\tetl""#,
        mentions: &["cluster_name"],
        nested: "",
    },
    Invalid {
        what: "cluster_tags key aws:x",
        from: r#"cluster_tags            = { cost = "42" }"#,
        to: r#"cluster_tags            = { "aws:x" = "42" }"#,
        mentions: &["cluster_tags", "aws:x"],
        nested: "",
    },
    Invalid {
        what: "cluster_tags key emr-launch:function",
        from: r#"cluster_tags            = { cost = "42" }"#,
        to: r#"cluster_tags            = { "emr-launch:function" = "other/fn" }"#,
        mentions: &["cluster_tags", "emr-launch:function"],
        nested: "",
    },
    Invalid {
        what: "profile.service_role_arn is not an ARN",
        from: r#"service_role_arn               = "arn:aws:iam::123456789012:role/analytics-p-emr-service""#,
        to: r#"service_role_arn               = "not-an-arn""#,
        mentions: &["profile", "not-an-arn"],
        nested: "service_role_arn",
    },
    Invalid {
        what: "profile.service_role_arn is empty",
        from: r#"service_role_arn               = "arn:aws:iam::123456789012:role/analytics-p-emr-service""#,
        to: r#"service_role_arn               = """#,
        mentions: &["profile", "is not an IAM role ARN"],
        nested: "service_role_arn",
    },
    Invalid {
        what: "profile.instance_role_arn is an instance profile",
        from: r#"instance_role_arn              = "arn:aws:iam::123456789012:role/analytics-p-emr-instance""#,
        to: r#"instance_role_arn              = "arn:aws:iam::123456789012:instance-profile/analytics-p-emr-instance""#,
        mentions: &["profile", "instance-profile/analytics-p-emr-instance"],
        nested: "instance_role_arn",
    },
    Invalid {
        what: "profile.parameter_arn in another region",
        from: r#"parameter_arn                  = "arn:aws:ssm:us-east-1:123456789012:parameter/emr_launch/emr_profiles/analytics/p""#,
        to: r#"parameter_arn                  = "arn:aws:ssm:eu-west-1:123456789012:parameter/x""#,
        mentions: &["profile", "eu-west-1"],
        nested: "parameter_arn",
    },
    Invalid {
        what: "cluster_configuration.parameter_arn in another account",
        from: r#"parameter_arn = "arn:aws:ssm:us-east-1:123456789012:parameter/emr_launch/cluster_configurations/analytics/c""#,
        to: r#"parameter_arn = "arn:aws:ssm:us-east-1:210987654321:parameter/emr_launch/cluster_configurations/analytics/c""#,
        mentions: &["cluster configuration", "210987654321"],
        nested: "parameter_arn",
    },
    Invalid {
        what: "profile.kerberos_attributes_secret_arn is an S3 ARN",
        from: "kerberos_attributes_secret_arn = null",
        to: r#"kerberos_attributes_secret_arn = "arn:aws:s3:::kerberos""#,
        mentions: &["profile", "arn:aws:s3:::kerberos"],
        nested: "kerberos_attributes_secret_arn",
    },
    Invalid {
        what: "cluster_configuration.metadata_json without RunJobFlow",
        from: "metadata_json = jsonencode({\n      Name      = \"c\"",
        to: "metadata_json = \"{}\"\n    unused = jsonencode({\n      Name      = \"c\"",
        mentions: &["cluster configuration", "RunJobFlow"],
        nested: "metadata_json",
    },
    Invalid {
        what: "cluster_configuration.secret_arns with a non-secret ARN",
        from: "secret_arns   = []",
        to: r#"secret_arns   = ["arn:aws:s3:::bucket/secret"]"#,
        mentions: &["cluster configuration", "arn:aws:s3:::bucket/secret"],
        nested: "secret_arns",
    },
    Invalid {
        what: "profile without instance_profile_arn (a Terraform type error)",
        from: r#"    instance_profile_arn           = "arn:aws:iam::123456789012:instance-profile/analytics-p-emr-instance""#,
        to: "",
        mentions: &["profile", "instance_profile_arn"],
        nested: "",
    },
];

/// Diagnostics text with box-drawing characters removed and whitespace
/// collapsed, so that a phrase Terraform wrapped over two lines is found.
fn diagnostics_text(out: &Output) -> String {
    let all = out.all();
    let diagnostics = all
        .split_once("Error:")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    diagnostics
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Plan every case in `ws`; returns a report per case that was not rejected
/// properly. `wanted` picks the words each case's diagnostics must contain.
fn plan_invalid_cases(
    ws: &Workspace,
    emulator: &Emulator,
    cases: &[&Invalid],
    wanted: &dyn Fn(&Invalid) -> Vec<&'static str>,
) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        ws.write(&format!(
            "{PROVIDER}{}",
            LITERAL.replacen(case.from, case.to, 1)
        ));
        emulator.start_recording();
        let args = ["plan", "-input=false", "-no-color"];
        let out = ws.run(&args);
        let diagnostics = diagnostics_text(&out);
        let problems = rejection_problems(emulator, &out, &diagnostics, &wanted(case));
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
    failures
}

fn check_template(cases: &[&Invalid]) {
    for case in cases {
        assert!(
            LITERAL.contains(case.from),
            "{}: {:?} is not in the template",
            case.what,
            case.from
        );
    }
}

#[test]
fn invalid_configurations_fail_at_plan_without_mutating_calls() {
    assert!(INVALID.len() >= 10);
    let cases: Vec<&Invalid> = INVALID.iter().collect();
    check_template(&cases);
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        // Control: the literal configuration plans a create, so the failures
        // below are about each change, not the setup.
        let ws = Workspace::new(&terraform, &emulator, &format!("{PROVIDER}{LITERAL}"));
        let v = ws.version().to_owned();
        emulator.start_recording();
        let (plan, _) = ws.plan_json();
        assert_eq!(actions(&plan, FUNCTION), json!(["create"]), "[tf {v}]");
        assert_known_at_plan(&plan, FUNCTION, &KNOWN_AT_PLAN, &v);
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

        let failures = plan_invalid_cases(&ws, &emulator, &cases, &|c| c.mentions.to_vec());
        assert!(
            failures.is_empty(),
            "[tf {v}] {} of {} invalid configurations were not rejected properly:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n\n")
        );
        assert!(
            aws.parameter(FUNCTION_PARAM).is_none(),
            "[tf {v}] an invalid plan wrote the parameter"
        );
        assert!(
            !aws.role_exists(EXECUTION_ROLE),
            "[tf {v}] an invalid plan created the execution role"
        );
    }
}

/// A wrong value inside the `profile` or `cluster_configuration` object must
/// be named in the diagnostic (docs: "The plan fails, with the attribute
/// named"). Terraform cannot point a diagnostic's snippet inside an object
/// attribute (it shows the resource header), so the name must be in the
/// text.
///
/// KNOWN PRODUCT BUG (reported, not yet fixed): the provider's summaries are
/// "Invalid profile" / "Invalid cluster configuration" and the details only
/// quote the value (e.g. `"" is not an IAM role ARN`), so the user cannot
/// tell service_role_arn from instance_role_arn or autoscaling_role_arn.
/// This test fails until the diagnostics name the attribute.
#[test]
fn invalid_object_attributes_are_named() {
    let cases: Vec<&Invalid> = INVALID.iter().filter(|c| !c.nested.is_empty()).collect();
    assert!(cases.len() >= 6);
    check_template(&cases);
    let emulator = Emulator::start();
    for terraform in terraform_binaries() {
        emulator.reset();
        let ws = Workspace::new(&terraform, &emulator, &format!("{PROVIDER}{LITERAL}"));
        let v = ws.version().to_owned();
        let failures = plan_invalid_cases(&ws, &emulator, &cases, &|c| vec![c.nested]);
        assert!(
            failures.is_empty(),
            "[tf {v}] PRODUCT BUG: {} of {} diagnostics for a wrong value inside \
             `profile`/`cluster_configuration` do not name the attribute:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n\n")
        );
    }
}
