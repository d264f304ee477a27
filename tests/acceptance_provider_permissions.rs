//! The provider's own permissions, proven (issue #15): Terraform runs as an
//! IAM user whose only policy is examples/provider-permissions/policy.json,
//! with the emulator's IAM enforcement on, through the whole lifecycle of
//! every resource type and data source; taking one action out of the policy
//! makes a step fail with AccessDenied naming it.
//!
//! What moto 5.2 checks (moto/core/authorization.py, moto/iam/access_control.py):
//! after `INITIAL_NO_AUTH_ACTION_COUNT` requests, every request to every
//! service used here (IAM, STS, SSM, Step Functions, Lambda, EMR, EMR
//! Serverless, EC2, Secrets Manager) must be signed with the access key of a
//! known IAM user, and the action `<signing name>:<operation>` must be
//! allowed by that user's policies (`sts:GetCallerIdentity` always is).
//! Conditions are not evaluated and `iam:PassRole` is never asked for. The
//! resource moto matches a statement's `Resource` against is the role's ARN
//! for IAM calls naming an existing role and the literal `*` for everything
//! else, so a statement scoped to ARNs never allows a non-IAM call
//! (`the_scoped_document_is_not_checkable_by_moto`). The Terraform user
//! therefore holds the documented policy with every `Resource` widened to
//! `*`: the same statements and actions. moto's signature comparison is
//! skipped (tests/support/moto/sitecustomize.py says why); the key
//! must still be a known user's.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{sdk_config_as, terraform_binaries, Emulator, Workspace};
use serde_json::{json, Value};

const POLICY_FILE: &str = "examples/provider-permissions/policy.json";
const GUIDE_FILE: &str = "docs/guides/provider-permissions.md";

/// The unauthenticated budget: the three calls that make the admin user.
const NO_AUTH_BUDGET: &str = "3";
const TF_USER: &str = "terraform";
const USER_POLICY: &str = "provider-permissions";
const SHARED_ROLE: &str = "shared-launch";
/// The queue and topic the data planes' control-plane messages go to.
const DESTINATION: &str = "dataplanes";

use common::moto_http::header;
use common::PROVIDER;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn documented_policy() -> Value {
    serde_json::from_str(&read(POLICY_FILE)).expect("policy.json is JSON")
}

/// The statement the guide says to add for `control_plane_message`
/// (the first JSON block of its "Publishing the control-plane message").
fn publishing_statement() -> Value {
    let guide = read(GUIDE_FILE);
    let section = guide
        .find("## Publishing the control-plane message")
        .expect("the guide has the publishing section");
    let rest = &guide[section..];
    let start = rest.find("```json\n").expect("a json block") + "```json\n".len();
    let len = rest[start..].find("```").expect("the json block ends");
    serde_json::from_str(&rest[start..start + len]).expect("the statement is JSON")
}

/// What the Terraform user holds: the documented policy and, because the
/// data planes publish their control-plane message, the publishing statement.
fn granted_policy() -> Value {
    let mut p = documented_policy();
    let statements = p["Statement"].as_array_mut().expect("statements");
    statements.push(publishing_statement());
    p
}

/// The documented policy as moto can check it: every `Resource` is `*`.
fn emulated(policy: &Value) -> Value {
    let mut p = policy.clone();
    for s in p["Statement"].as_array_mut().expect("statements") {
        s["Resource"] = json!("*");
    }
    p
}

/// The policy without one action (the statement is dropped when it was its
/// only action).
fn without(policy: &Value, action: &str) -> Value {
    let mut p = policy.clone();
    let statements = p["Statement"].as_array_mut().expect("statements");
    let mut found = false;
    statements.retain_mut(|s| {
        let before = statement_actions(s);
        let kept: Vec<String> = before.iter().filter(|a| *a != action).cloned().collect();
        found |= kept.len() != before.len();
        s["Action"] = json!(kept);
        !kept.is_empty()
    });
    assert!(found, "{action} is not in the policy");
    p
}

fn statement_actions(s: &Value) -> Vec<String> {
    match &s["Action"] {
        Value::String(a) => vec![a.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        other => panic!("Action {other}"),
    }
}

fn policy_actions(policy: &Value) -> BTreeSet<String> {
    let statements = policy["Statement"].as_array().expect("statements");
    statements.iter().flat_map(statement_actions).collect()
}

// ---------------------------------------------------------------------------
// The guide and the example are one document
// ---------------------------------------------------------------------------

#[test]
fn the_guide_shows_exactly_the_example_policy() {
    let guide = read(GUIDE_FILE);
    let start = guide
        .find("```json\n")
        .expect("the guide has a ```json block")
        + "```json\n".len();
    let len = guide[start..].find("```").expect("the json block ends");
    assert_eq!(
        guide[start..start + len].trim(),
        read(POLICY_FILE).trim(),
        "the policy in {GUIDE_FILE} and {POLICY_FILE} differ"
    );
    let policy = documented_policy();
    let (all, called) = (policy_actions(&policy).len(), NOT_CALLED.len());
    let counted = format!(
        "each of the {} actions the lifecycle calls (all {all} but the\nfour below)",
        all - called
    );
    assert!(guide.contains(&counted), "the guide should say {counted:?}");
    for s in policy["Statement"].as_array().unwrap() {
        let sid = s["Sid"].as_str().expect("every statement has a Sid");
        assert!(
            guide.contains(&format!("`{sid}`")),
            "the guide says nothing about statement {sid}"
        );
    }
}

// ---------------------------------------------------------------------------
// The emulator, as an administrator and as the Terraform user
// ---------------------------------------------------------------------------

struct Keys {
    id: String,
    secret: String,
}

struct Aws {
    rt: tokio::runtime::Runtime,
    iam: aws_sdk_iam::Client,
    ec2: aws_sdk_ec2::Client,
    secrets: aws_sdk_secretsmanager::Client,
    lambda: aws_sdk_lambda::Client,
    sls: aws_sdk_emrserverless::Client,
    ssm: aws_sdk_ssm::Client,
    /// For the calls made without an SDK client (SNS, SQS).
    port: u16,
    key_id: String,
}

impl Aws {
    fn new(emulator: &Emulator, keys: &Keys) -> Aws {
        let conf = sdk_config_as(emulator, &keys.id, &keys.secret);
        Aws {
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime"),
            iam: aws_sdk_iam::Client::new(&conf),
            ec2: aws_sdk_ec2::Client::new(&conf),
            secrets: aws_sdk_secretsmanager::Client::new(&conf),
            lambda: aws_sdk_lambda::Client::new(&conf),
            sls: aws_sdk_emrserverless::Client::new(&conf),
            ssm: aws_sdk_ssm::Client::new(&conf),
            port: emulator.port(),
            key_id: keys.id.clone(),
        }
    }

    /// The control plane's queue and topic the data planes publish to.
    fn destinations(&self) {
        let call = |service: &str, target: Option<&str>, body: &str| {
            let r = common::moto_http::aws_call_as(self.port, &self.key_id, service, target, body);
            let (status, text) = r.unwrap_or_else(|e| panic!("{service}: {e}"));
            assert_eq!(status, 200, "{service}: {text}");
        };
        let queue = json!({ "QueueName": DESTINATION }).to_string();
        call("sqs", Some("AmazonSQS.CreateQueue"), &queue);
        let topic = format!("Action=CreateTopic&Version=2010-03-31&Name={DESTINATION}");
        call("sns", None, &topic);
    }

    /// A user with the given inline policy and a fresh access key.
    fn user(&self, name: &str, policy: &Value) -> Keys {
        self.rt.block_on(async {
            let u = self.iam.create_user().user_name(name).send().await;
            u.unwrap_or_else(|e| panic!("CreateUser({name}): {e:?}"));
            self.put_user_policy(name, policy).await;
            let k = self.iam.create_access_key().user_name(name).send().await;
            let k = k.unwrap_or_else(|e| panic!("CreateAccessKey({name}): {e:?}"));
            let k = k.access_key().expect("an access key");
            Keys {
                id: k.access_key_id().to_owned(),
                secret: k.secret_access_key().to_owned(),
            }
        })
    }

    async fn put_user_policy(&self, user: &str, policy: &Value) {
        let r = self
            .iam
            .put_user_policy()
            .user_name(user)
            .policy_name(USER_POLICY)
            .policy_document(policy.to_string())
            .send()
            .await;
        r.unwrap_or_else(|e| panic!("PutUserPolicy({user}): {e:?}"));
    }

    fn set_policy(&self, user: &str, policy: &Value) {
        self.rt.block_on(self.put_user_policy(user, policy));
    }

    /// What the configuration needs that is not the provider's: a VPC with
    /// two subnets and a security group, two secrets and the shared launch
    /// role.
    fn prerequisites(&self) -> Inputs {
        self.rt.block_on(async {
            let vpc = self.ec2.create_vpc().cidr_block("10.40.0.0/16");
            let vpc = vpc.send().await.expect("CreateVpc");
            let vpc = vpc.vpc().and_then(|v| v.vpc_id()).expect("a VPC id");
            let mut subnets = Vec::new();
            for (cidr, az) in [
                ("10.40.1.0/24", "us-east-1a"),
                ("10.40.2.0/24", "us-east-1b"),
            ] {
                let s = self.ec2.create_subnet().vpc_id(vpc).cidr_block(cidr);
                let s = s.availability_zone(az).send().await.expect("CreateSubnet");
                subnets.push(
                    s.subnet()
                        .and_then(|s| s.subnet_id())
                        .expect("a subnet id")
                        .to_owned(),
                );
            }
            let sg = self.ec2.create_security_group().vpc_id(vpc);
            let sg = sg.group_name("jobs").description("jobs").send().await;
            let sg = sg
                .expect("CreateSecurityGroup")
                .group_id()
                .expect("a group id")
                .to_owned();
            let kerberos_secret = self.secret("kerberos", r#"{"Realm":"EC2.INTERNAL"}"#).await;
            let hive_secret = self.secret("hive", "pw").await;
            let trust = json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": "emr-serverless.amazonaws.com"},
                "Action": "sts:AssumeRole"
            }]});
            let r = self.iam.create_role().role_name(SHARED_ROLE);
            let r = r
                .assume_role_policy_document(trust.to_string())
                .send()
                .await;
            r.expect("CreateRole(shared launch role)");
            self.destinations();
            Inputs {
                subnets: [subnets[0].clone(), subnets[1].clone()],
                sg,
                kerberos_secret,
                hive_secret,
            }
        })
    }

    async fn secret(&self, name: &str, value: &str) -> String {
        let s = self.secrets.create_secret().name(name).secret_string(value);
        let s = s
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateSecret({name}): {e:?}"));
        s.arn().expect("a secret ARN").to_owned()
    }

    /// The launcher's timeout and the application's state.
    fn launcher_timeout_and_app_state(&self, launcher: &str, app_id: &str) -> (i32, String) {
        self.rt.block_on(async {
            let f = self
                .lambda
                .get_function()
                .function_name(launcher)
                .send()
                .await;
            let f = f.expect("GetFunction");
            let timeout = f
                .configuration()
                .and_then(|c| c.timeout())
                .unwrap_or_default();
            let a = self
                .sls
                .get_application()
                .application_id(app_id)
                .send()
                .await;
            let a = a.expect("GetApplication");
            let state = a.application().map(|a| a.state().as_str().to_owned());
            (timeout, state.unwrap_or_default())
        })
    }

    fn roles(&self) -> BTreeSet<String> {
        let out = self
            .rt
            .block_on(self.iam.list_roles().send())
            .expect("ListRoles");
        out.roles()
            .iter()
            .map(|r| r.role_name().to_owned())
            .collect()
    }

    /// Out-of-band drift the update must repair: the launcher's code and
    /// configuration changed, and the application started.
    fn drift(&self, launcher: &str, app_id: &str) {
        self.rt.block_on(async {
            let zip = aws_smithy_types::Blob::new(tiny_zip());
            let r = self
                .lambda
                .update_function_code()
                .function_name(launcher)
                .zip_file(zip);
            r.send().await.expect("UpdateFunctionCode (out of band)");
            let r = self
                .lambda
                .update_function_configuration()
                .function_name(launcher);
            r.timeout(3)
                .send()
                .await
                .expect("UpdateFunctionConfiguration (out of band)");
            let r = self.sls.start_application().application_id(app_id);
            r.send().await.expect("StartApplication (out of band)");
        })
    }
}

/// An empty zip archive (end-of-central-directory record only).
fn tiny_zip() -> Vec<u8> {
    let mut z = vec![0x50, 0x4b, 0x05, 0x06];
    z.extend_from_slice(&[0u8; 18]);
    z
}

/// The AWS error code and message of a failed SDK call, for assertions.
fn error_text<E: std::fmt::Debug>(e: &E) -> String {
    format!("{e:?}")
}

/// A moto with IAM enforcement, an administrator made in the unauthenticated
/// budget, enforcement shown to be on, and the Terraform user holding the
/// emulated policy. Returns (emulator, admin, terraform user's keys).
fn enforcing_emulator() -> (Emulator, Aws, Keys) {
    let emulator = Emulator::start_with_env(&[
        ("INITIAL_NO_AUTH_ACTION_COUNT", NO_AUTH_BUDGET),
        ("EMR_TEST_MOTO_SKIP_SIGNATURE", "1"),
    ]);
    let anonymous = Aws::new(
        &emulator,
        &Keys {
            id: "testing".into(),
            secret: "testing".into(),
        },
    );
    let admin_keys = anonymous.user(
        "admin",
        &json!({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    );
    // The budget is spent: an unknown key is refused from now on.
    let refused = anonymous.rt.block_on(anonymous.iam.list_users().send());
    let refused = refused.expect_err("enforcement is on after the budget");
    assert!(
        error_text(&refused).contains("InvalidClientTokenId"),
        "an unknown key is refused: {refused:?}"
    );
    let admin = Aws::new(&emulator, &admin_keys);
    let tf = admin.user(TF_USER, &emulated(&granted_policy()));
    (emulator, admin, tf)
}

// ---------------------------------------------------------------------------
// The configuration: every resource type and data source
// ---------------------------------------------------------------------------

struct Inputs {
    subnets: [String; 2],
    sg: String,
    kerberos_secret: String,
    hive_secret: String,
}

/// Version 1 is created; version 2 changes what an update can change in
/// place (tags, trust, boundary, managed policies, session length, the
/// definition, the application's capacity and its auto-stop timeout, which
/// EMR Serverless changes only on a stopped application).
fn configuration(i: &Inputs, v: u32) -> String {
    let [a, b] = &i.subnets;
    let (sg, krb, hive) = (&i.sg, &i.kerberos_secret, &i.hive_secret);
    let (stage, team) = if v == 1 {
        ("v1", "analysts")
    } else {
        ("v2", "science")
    };
    // The job function's definition changes with its bounds.
    let max_executors = if v == 1 { 20 } else { 40 };
    let tags = if v == 1 {
        format!(r#"{{ team = "{team}", stage = "{stage}" }}"#)
    } else {
        format!(r#"{{ team = "{team}" }}"#)
    };
    let rt_boundary = if v == 1 {
        r#"permissions_boundary = "arn:aws:iam::aws:policy/PowerUserAccess""#
    } else {
        ""
    };
    let p_boundary = if v == 1 {
        ""
    } else {
        r#"permissions_boundary = "arn:aws:iam::aws:policy/PowerUserAccess""#
    };
    let managed = if v == 1 {
        "ReadOnlyAccess"
    } else {
        "AmazonS3ReadOnlyAccess"
    };
    let session = if v == 1 { 3600 } else { 7200 };
    let serverless_trust = if v == 1 { "" } else { "emr_serverless {}" };
    let capacity = if v == 1 { "200 vCPU" } else { "100 vCPU" };
    let idle = if v == 1 { 15 } else { 30 };
    format!(
        r#"
resource "emr_security_configuration" "sc" {{
  name = "perm-sc"
  runtime_roles {{
    lake_formation_authorized_session_tag = "Amazon EMR"
  }}
}}

resource "emr_launch_profile" "p" {{
  namespace              = "analytics"
  name                   = "p"
  security_configuration = emr_security_configuration.sc.name
  logs_uri               = "s3://logs-bucket/emr/"
  {p_boundary}
  tags                   = {tags}
}}

resource "emr_launch_profile" "pk" {{
  namespace                      = "analytics"
  name                           = "pk"
  security_configuration         = emr_security_configuration.sc.name
  kerberos_attributes_secret_arn = "{krb}"
}}

resource "emr_runtime_role" "rt" {{
  name                 = "perm-rt"
  s3_read              = ["s3://datalake/curated/"]
  managed_policy_arns  = ["arn:aws:iam::aws:policy/{managed}"]
  max_session_duration = {session}
  {rt_boundary}
  emr_on_ec2 {{
    instance_role_arn = emr_launch_profile.p.instance_role_arn
  }}
  {serverless_trust}
  tags = {tags}
}}

resource "emr_cluster_configuration" "c" {{
  namespace     = "analytics"
  name          = "c"
  release_label = "emr-7.8.0"
  applications  = ["Spark", "Hive"]
  subnet_ids    = ["{a}"]
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
    property       = "javax.jdo.option.ConnectionPassword"
    secret_arn     = "{hive}"
  }}
  override {{
    name    = "CoreInstanceCount"
    path    = "Instances.InstanceGroups[1].InstanceCount"
    minimum = 1
    maximum = 10
  }}
  tags = {tags}
}}

resource "emr_launch_function" "f" {{
  namespace             = "analytics"
  name                  = "nightly"
  profile               = emr_launch_profile.p
  cluster_configuration = emr_cluster_configuration.c
  cluster_name          = "nightly-{stage}"
  allowed_overrides     = ["CoreInstanceCount"]
  tags                  = {tags}
}}

resource "emr_launch_function" "k" {{
  namespace             = "analytics"
  name                  = "krb"
  profile               = emr_launch_profile.pk
  cluster_configuration = emr_cluster_configuration.c
  cluster_name          = "krb-{stage}"
  tags                  = {tags}
}}

resource "emr_serverless_dataplane" "private" {{
  name               = "acme"
  mode               = "private"
  resource_bucket    = "acme-emr-serverless"
  subnet_ids         = ["{a}", "{b}"]
  security_group_ids = ["{sg}"]
  control_plane {{
    principal_arn = "arn:aws:iam::999988887777:role/control-plane"
  }}
  control_plane_message {{
    sqs_queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/{DESTINATION}"
  }}
  tags = {tags}
}}

resource "emr_serverless_dataplane" "shared" {{
  name                    = "sdp"
  mode                    = "shared"
  shared_launch_role_name = "{SHARED_ROLE}"
  resource_bucket         = "sdp-emr-serverless"
  subnet_ids              = ["{a}", "{b}"]
  security_group_ids      = ["{sg}"]
  control_plane_message {{
    sns_topic_arn = "arn:aws:sns:us-east-1:123456789012:{DESTINATION}"
  }}
}}

resource "emr_serverless_application" "app" {{
  name          = "perm-app"
  type          = "SPARK"
  release_label = "emr-7.8.0"
  auto_stop_idle_timeout_minutes = {idle}
  maximum_capacity {{
    cpu    = "{capacity}"
    memory = "800 GB"
  }}
  network {{
    subnet_ids         = ["{a}", "{b}"]
    security_group_ids = ["{sg}"]
  }}
  # moto 5.2 has no EMR Serverless tagging API: tags stay as created.
  tags = {{ team = "analysts" }}
}}

data "emr_launch_profile" "p" {{
  namespace = emr_launch_profile.p.namespace
  name      = emr_launch_profile.p.name
}}

data "emr_cluster_configuration" "c" {{
  namespace = emr_cluster_configuration.c.namespace
  name      = emr_cluster_configuration.c.name
}}

data "emr_launch_function" "f" {{
  namespace = emr_launch_function.f.namespace
  name      = emr_launch_function.f.name
}}

resource "emr_serverless_job_function" "j" {{
  namespace          = "perm"
  name               = "job"
  application_id     = emr_serverless_application.app.id
  execution_role_arn = emr_serverless_dataplane.private.job_runtime_role_arn
  entry_points       = ["s3://acme/jobs/etl.py"]
  override {{
    name    = "ExecutorInstances"
    conf    = "spark.executor.instances"
    minimum = 1
    maximum = {max_executors}
  }}
  tags = {tags}
}}

data "emr_serverless_job_function" "j" {{
  namespace = emr_serverless_job_function.j.namespace
  name      = emr_serverless_job_function.j.name
}}

output "read_back" {{
  value = [
    data.emr_launch_profile.p.instance_role_arn,
    data.emr_cluster_configuration.c.release_label,
    data.emr_launch_function.f.state_machine_arn,
    data.emr_serverless_job_function.j.state_machine_arn,
  ]
}}
"#
    )
}

/// Resources re-imported in the lifecycle: (address, import id).
const IMPORTED: [(&str, &str); 4] = [
    ("emr_runtime_role.rt", "perm-rt"),
    ("emr_serverless_job_function.j", "perm/job"),
    ("emr_launch_function.k", "analytics/krb"),
    ("emr_security_configuration.sc", "perm-sc"),
];

/// Roles the configuration creates; none may survive destroy.
const CREATED_ROLES: [&str; 11] = [
    "perm-job-emr-job-fn",
    "perm-rt",
    "analytics-p-emr-service",
    "analytics-p-emr-instance",
    "analytics-pk-emr-service",
    "analytics-pk-emr-instance",
    "analytics-nightly-emr-launch-fn",
    "analytics-krb-emr-launch-fn",
    "analytics-krb-emr-launcher",
    "acme-emr-serverless-job-runtime",
    "acme-emr-serverless-launch",
];

// ---------------------------------------------------------------------------
// The lifecycle as the least-privileged user
// ---------------------------------------------------------------------------

/// Where a lifecycle stopped: the step and everything Terraform said.
struct Stopped {
    step: &'static str,
    output: String,
}

/// One Terraform command of the lifecycle; `want` is the exit code that
/// means success (`plan -detailed-exitcode`: 0 nothing to do, 2 changes).
fn step(ws: &Workspace, what: &'static str, args: &[&str], want: i32) -> Result<(), Stopped> {
    let out = ws.run(args);
    if out.code == want {
        return Ok(());
    }
    Err(Stopped {
        step: what,
        output: format!("want exit {want}\n{}", ws.describe_failure(args, &out)),
    })
}

const APPLY: [&str; 4] = ["apply", "-auto-approve", "-input=false", "-no-color"];
const PLAN: [&str; 4] = ["plan", "-detailed-exitcode", "-input=false", "-no-color"];
const DESTROY: [&str; 4] = ["destroy", "-auto-approve", "-input=false", "-no-color"];

fn string_attr(ws: &Workspace, addr: &str, attr: &str) -> String {
    let values = ws.resource_values(addr);
    let s = values[attr].as_str();
    s.unwrap_or_else(|| panic!("{addr}.{attr}: {values:#}"))
        .to_owned()
}

/// Create, re-plan, drift out of band, update, re-plan, import, re-plan,
/// destroy; stops at the first step that fails.
fn lifecycle(ws: &Workspace, admin: &Aws, inputs: &Inputs) -> Result<(), Stopped> {
    ws.write(&format!("{PROVIDER}{}", configuration(inputs, 1)));
    step(ws, "create", &APPLY, 0)?;
    step(ws, "re-plan after create", &PLAN, 0)?;

    let launcher_arn = string_attr(ws, "emr_launch_function.k", "launcher_function_arn");
    let launcher = launcher_arn.rsplit(':').next().unwrap_or_default();
    let app_id = string_attr(ws, "emr_serverless_application.app", "id");
    admin.drift(launcher, &app_id);
    ws.write(&format!("{PROVIDER}{}", configuration(inputs, 2)));
    step(ws, "plan of version 2 and the drift", &PLAN, 2)?;
    step(ws, "update", &APPLY, 0)?;
    step(ws, "re-plan after the update", &PLAN, 0)?;
    let (timeout, state) = admin.launcher_timeout_and_app_state(launcher, &app_id);
    if timeout == 3 || state != "STARTED" {
        return Err(Stopped {
            step: "update",
            output: format!(
                "the update must repair the launcher (timeout {timeout}) and restart the \
                 application it stopped to update ({state})"
            ),
        });
    }

    for (addr, id) in IMPORTED {
        ws.state_rm(addr);
        let import = ["import", "-input=false", "-no-color", addr, id];
        step(ws, "import", &import, 0)?;
    }
    step(ws, "re-plan after the imports", &PLAN, 0)?;
    step(ws, "destroy", &DESTROY, 0)
}

#[test]
fn every_lifecycle_runs_with_only_the_documented_policy() {
    for terraform in terraform_binaries() {
        let started = std::time::Instant::now();
        let (emulator, admin, tf) = enforcing_emulator();
        let inputs = admin.prerequisites();
        let ws = Workspace::new(&terraform, &emulator, PROVIDER);
        ws.use_credentials(&tf.id, &tf.secret);
        let v = ws.version().to_owned();
        emulator.start_recording();

        if let Err(stopped) = lifecycle(&ws, &admin, &inputs) {
            panic!("[tf {v}] {}: {}", stopped.step, stopped.output);
        }
        let left: Vec<&str> = CREATED_ROLES
            .iter()
            .copied()
            .filter(|r| admin.roles().contains(*r))
            .collect();
        assert!(left.is_empty(), "[tf {v}] roles survived destroy: {left:?}");
        assert!(
            admin.roles().contains(SHARED_ROLE),
            "[tf {v}] the shared launch role is not the provider's to delete"
        );

        let used = actions_signed_by(&emulator, &tf.id);
        emulator.stop_recording();
        check_coverage(&used, &v);
        eprintln!("[tf {v}] lifecycle as {TF_USER}: {:?}", started.elapsed());
    }
}

/// Actions in the policy that the lifecycle above does not call, each with
/// the reason; every other action in the policy is called at least once.
const NOT_CALLED: [(&str, &str); 4] = [
    (
        "iam:PassRole",
        "authorised by IAM inside another call, never a request of its own",
    ),
    (
        "iam:TagInstanceProfile",
        "authorised inside CreateInstanceProfile, which carries the tags",
    ),
    (
        "emr-serverless:TagResource",
        "moto 5.2 has no EMR Serverless tagging API (404)",
    ),
    (
        "emr-serverless:UntagResource",
        "moto 5.2 has no EMR Serverless tagging API (404)",
    ),
];

fn check_coverage(used: &BTreeSet<String>, v: &str) {
    let policy = policy_actions(&granted_policy());
    // AWS answers sts:GetCallerIdentity whatever the policies say; so does moto.
    let extra: Vec<&String> = used
        .difference(&policy)
        .filter(|a| *a != "sts:GetCallerIdentity")
        .collect();
    assert!(
        extra.is_empty(),
        "[tf {v}] calls outside the policy: {extra:?}"
    );
    let unused: BTreeSet<&str> = policy
        .iter()
        .map(String::as_str)
        .filter(|a| !used.contains(*a))
        .collect();
    let explained: BTreeSet<&str> = NOT_CALLED.iter().map(|(a, _)| *a).collect();
    let unexplained: Vec<&&str> = unused.difference(&explained).collect();
    assert!(
        unexplained.is_empty(),
        "[tf {v}] the policy grants actions the lifecycle never called: {unexplained:?}\ncalled: {used:?}"
    );
}

/// `<service>:<Action>` of every recorded request signed with `key`.
fn actions_signed_by(emulator: &Emulator, key: &str) -> BTreeSet<String> {
    emulator
        .recorded_requests()
        .iter()
        .filter_map(|r| {
            let auth = header(r, "authorization")?;
            let scope = auth.split("Credential=").nth(1)?.split(',').next()?;
            let parts: Vec<&str> = scope.split('/').collect();
            if parts.first() != Some(&key) {
                return None;
            }
            let service = parts.get(3)?.to_string();
            Some(format!("{service}:{}", operation(r, &service)))
        })
        .collect()
}

/// The operation of one recorded request: the X-Amz-Target suffix, the
/// `Action=` of a query-protocol body, or for the REST services the route.
fn operation(r: &Value, service: &str) -> String {
    if let Some(target) = header(r, "x-amz-target") {
        return target.rsplit('.').next().unwrap_or_default().to_owned();
    }
    let body = common::moto_http::body(r);
    if let Some(a) = body.split('&').find_map(|p| p.strip_prefix("Action=")) {
        return a.to_owned();
    }
    let url = r["url"].as_str().unwrap_or_default();
    let path = url
        .split("://")
        .nth(1)
        .and_then(|u| u.find('/').map(|i| &u[i..]))
        .unwrap_or("/");
    let path = path.split('?').next().unwrap_or("/");
    let method = r["method"].as_str().unwrap_or("?");
    rest_operation(service, method, path)
}

/// Routes of the REST operations the provider calls (Lambda, EMR Serverless).
fn rest_operation(service: &str, method: &str, path: &str) -> String {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let op = match (service, method, segs.as_slice()) {
        ("lambda", "POST", [_, "functions"]) => "CreateFunction",
        ("lambda", "GET", [_, "functions", _]) => "GetFunction",
        ("lambda", "DELETE", [_, "functions", _]) => "DeleteFunction",
        ("lambda", "PUT", [_, "functions", _, "code"]) => "UpdateFunctionCode",
        ("lambda", "PUT", [_, "functions", _, "configuration"]) => "UpdateFunctionConfiguration",
        ("lambda", "POST", [_, "tags", ..]) => "TagResource",
        ("lambda", "DELETE", [_, "tags", ..]) => "UntagResource",
        ("lambda", "GET", [_, "tags", ..]) => "ListTags",
        ("emr-serverless", "POST", ["applications"]) => "CreateApplication",
        ("emr-serverless", "GET", ["applications", _]) => "GetApplication",
        ("emr-serverless", "PATCH", ["applications", _]) => "UpdateApplication",
        ("emr-serverless", "DELETE", ["applications", _]) => "DeleteApplication",
        ("emr-serverless", "POST", ["applications", _, "start"]) => "StartApplication",
        ("emr-serverless", "POST", ["applications", _, "stop"]) => "StopApplication",
        ("emr-serverless", "POST", ["tags", ..]) => "TagResource",
        ("emr-serverless", "DELETE", ["tags", ..]) => "UntagResource",
        _ => return format!("{method} {path}"),
    };
    op.to_owned()
}

// ---------------------------------------------------------------------------
// Each action is needed
// ---------------------------------------------------------------------------

/// Actions taken out of the policy one at a time: the apply then fails at
/// the first call the policy no longer allows, and its error names the
/// action (moto's "is not authorized to perform: <action>").
const NEEDED: [&str; 5] = [
    "iam:PutRolePolicy",
    "ssm:PutParameter",
    "states:CreateStateMachine",
    "lambda:CreateFunction",
    "elasticmapreduce:CreateSecurityConfiguration",
];

#[test]
fn taking_one_action_out_makes_a_step_fail_naming_it() {
    let terraform = terraform_binaries().pop().expect("a terraform binary");
    let (emulator, admin, tf) = enforcing_emulator();
    let inputs = admin.prerequisites();
    let ws = Workspace::new(
        &terraform,
        &emulator,
        &format!("{PROVIDER}{}", configuration(&inputs, 1)),
    );
    ws.use_credentials(&tf.id, &tf.secret);
    let full = emulated(&granted_policy());
    for action in NEEDED {
        admin.set_policy(TF_USER, &without(&full, action));
        let out = ws.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        // Terraform wraps diagnostics; compare on one line.
        let text = out.all().split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            out.code != 0
                && text.contains("AccessDenied")
                && text.contains(&format!("not authorized to perform: {action}")),
            "without {action} the apply must fail with AccessDenied naming it\n{}",
            ws.describe_failure(&["apply"], &out)
        );
        admin.set_policy(TF_USER, &full);
        ws.destroy();
    }
}

/// Every action the lifecycle calls, taken out one at a time (a fresh
/// emulator each): some step fails, and its error names the action. About
/// 20 s per action; run with `--ignored`.
#[test]
#[ignore = "slow: one lifecycle per action in the policy"]
fn every_called_action_is_needed() {
    let terraform = terraform_binaries().pop().expect("a terraform binary");
    let full = emulated(&granted_policy());
    let not_called: BTreeSet<&str> = NOT_CALLED.iter().map(|(a, _)| *a).collect();
    let mut problems = Vec::new();
    for action in policy_actions(&full) {
        if not_called.contains(action.as_str()) {
            continue;
        }
        let (emulator, admin, tf) = enforcing_emulator();
        let inputs = admin.prerequisites();
        admin.set_policy(TF_USER, &without(&full, &action));
        let ws = Workspace::new(&terraform, &emulator, PROVIDER);
        ws.use_credentials(&tf.id, &tf.secret);
        let named = format!("not authorized to perform: {action}");
        match lifecycle(&ws, &admin, &inputs) {
            Ok(()) => problems.push(format!("{action}: the whole lifecycle passed without it")),
            Err(stopped) => {
                let text = stopped
                    .output
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                let verdict = if text.contains(&named) {
                    "fails naming it"
                } else {
                    "fails, NOT naming it"
                };
                eprintln!("without {action}: {} {verdict}", stopped.step);
                if !text.contains(&named) {
                    problems.push(format!(
                        "{action}: {} failed without naming it:\n{}",
                        stopped.step, stopped.output
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

// ---------------------------------------------------------------------------
// Why the emulator gets the widened document
// ---------------------------------------------------------------------------

#[test]
fn the_scoped_document_is_not_checkable_by_moto() {
    let (emulator, admin, _) = enforcing_emulator();
    let exact = admin.user("scoped", &documented_policy());
    let as_exact = Aws::new(&emulator, &exact);
    // Allowed by MetadataParameters in AWS (the parameter is under the
    // prefix); moto matches the statement's ARN against "*" and refuses.
    let r = as_exact.rt.block_on(
        as_exact
            .ssm
            .get_parameter()
            .name("/emr_launch/emr_profiles/analytics/p")
            .send(),
    );
    let e = r.expect_err("moto refuses a call the scoped statement allows in AWS");
    assert!(
        error_text(&e).contains("AccessDenied") && error_text(&e).contains("ssm:GetParameter"),
        "{e:?}"
    );
    // The widened document lets the same call through to the service.
    let widened = Aws::new(
        &emulator,
        &admin.user("widened", &emulated(&documented_policy())),
    );
    let r = widened.rt.block_on(
        widened
            .ssm
            .get_parameter()
            .name("/emr_launch/emr_profiles/analytics/p")
            .send(),
    );
    let e = r.expect_err("the parameter does not exist");
    assert!(error_text(&e).contains("ParameterNotFound"), "{e:?}");
}
