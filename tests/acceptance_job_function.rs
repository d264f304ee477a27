//! Acceptance tests for `emr_serverless_job_function` and its data source
//! (issue #13 item 4): real Terraform (every binary from
//! `common::terraform_binaries()`) against moto, with Step Functions
//! executions really run by the emulator.
//!
//! The emulator maps `aws-sdk:<service>` task names straight to its own
//! client names, and it has no `emrserverless` client, so the StartJobRun
//! task itself fails there. What reached it is read from the execution
//! history instead: the TaskScheduled event carries the exact parameters the
//! call was made with, and a refused input has no TaskScheduled event at all.

mod common;

use std::cell::Cell;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    assert_known_at_plan, blocking_sdk, terraform_binaries, Emulator, Workspace, PROVIDER,
};
use serde_json::{json, Value};
use terraform_provider_emr::iam::{least_privilege, PolicyDocument};

const ADDR: &str = "emr_serverless_job_function.etl";
const JOB_ROLE: &str = "acme-job-runtime";
const ETL: &str = "s3://acme/jobs/etl.py";
const BACKFILL: &str = "s3://acme/jobs/backfill.py";
const CEILING: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::acme/*"]}]}"#;

struct Aws {
    rt: tokio::runtime::Runtime,
    iam: aws_sdk_iam::Client,
    sfn: aws_sdk_sfn::Client,
    ssm: aws_sdk_ssm::Client,
    executions: Cell<u32>,
}

/// How one execution ended, and the parameters of its StartJobRun task if
/// it got that far.
#[derive(Debug)]
struct Run {
    status: String,
    error: String,
    cause: String,
    scheduled: Option<Value>,
}

impl Aws {
    fn new(emulator: &Emulator) -> Aws {
        let (rt, sdk) = blocking_sdk(emulator);
        Aws {
            iam: aws_sdk_iam::Client::new(&sdk),
            sfn: aws_sdk_sfn::Client::new(&sdk),
            ssm: aws_sdk_ssm::Client::new(&sdk),
            rt,
            executions: Cell::new(0),
        }
    }

    /// The job runtime role every run uses.
    fn job_role(&self) -> String {
        let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "emr-serverless.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
        let out = self
            .rt
            .block_on(
                self.iam
                    .create_role()
                    .role_name(JOB_ROLE)
                    .assume_role_policy_document(trust.to_string())
                    .send(),
            )
            .expect("CreateRole");
        out.role().expect("role").arn().to_owned()
    }

    fn run(&self, state_machine: &str, input: &Value) -> Run {
        let n = self.executions.get() + 1;
        self.executions.set(n);
        let start = self.sfn.start_execution().state_machine_arn(state_machine);
        let start = start
            .name(format!("run-{n}"))
            .input(input.to_string())
            .send();
        let arn = self
            .rt
            .block_on(start)
            .expect("StartExecution")
            .execution_arn()
            .to_owned();
        let deadline = Instant::now() + Duration::from_secs(120);
        let described = loop {
            let out = self.sfn.describe_execution().execution_arn(&arn).send();
            let out = self.rt.block_on(out).expect("DescribeExecution");
            if out.status().as_str() != "RUNNING" {
                break out;
            }
            assert!(Instant::now() < deadline, "{arn} still RUNNING");
            std::thread::sleep(Duration::from_millis(200));
        };
        let history = self
            .sfn
            .get_execution_history()
            .execution_arn(&arn)
            .max_results(1000)
            .send();
        let history = self.rt.block_on(history).expect("GetExecutionHistory");
        let scheduled = history.events().iter().find_map(|e| {
            let d = e.task_scheduled_event_details()?;
            Some(serde_json::from_str(d.parameters()).expect("TaskScheduled parameters are JSON"))
        });
        Run {
            status: described.status().as_str().to_owned(),
            error: described.error().unwrap_or_default().to_owned(),
            cause: described.cause().unwrap_or_default().to_owned(),
            scheduled,
        }
    }

    fn state_machine_exists(&self, arn: &str) -> bool {
        let out = self
            .sfn
            .describe_state_machine()
            .state_machine_arn(arn)
            .send();
        self.rt.block_on(out).is_ok()
    }

    fn role_exists(&self, name: &str) -> bool {
        self.rt
            .block_on(self.iam.get_role().role_name(name).send())
            .is_ok()
    }

    fn parameter(&self, name: &str) -> Option<String> {
        let out = self
            .rt
            .block_on(self.ssm.get_parameter().name(name).send())
            .ok()?;
        out.parameter()?.value().map(str::to_owned)
    }

    fn definition(&self, arn: &str) -> Value {
        let out = self
            .sfn
            .describe_state_machine()
            .state_machine_arn(arn)
            .send();
        let out = self.rt.block_on(out).expect("DescribeStateMachine");
        serde_json::from_str(out.definition()).expect("definition JSON")
    }

    fn set_definition(&self, arn: &str, definition: &Value) {
        let update = self.sfn.update_state_machine().state_machine_arn(arn);
        let update = update.definition(definition.to_string()).send();
        self.rt.block_on(update).expect("UpdateStateMachine");
    }

    /// (inline policy names, attached policy ARNs) of a role.
    fn role_policies(&self, role: &str) -> (Vec<String>, Vec<String>) {
        let inline = self.iam.list_role_policies().role_name(role).send();
        let inline = self.rt.block_on(inline).expect("ListRolePolicies");
        let attached = self
            .iam
            .list_attached_role_policies()
            .role_name(role)
            .send();
        let attached = self
            .rt
            .block_on(attached)
            .expect("ListAttachedRolePolicies");
        let arns = attached.attached_policies().iter();
        (
            inline.policy_names().to_vec(),
            arns.filter_map(|p| p.policy_arn().map(str::to_owned))
                .collect(),
        )
    }

    /// What someone with IAM rights adds to the role out of band.
    fn widen_role(&self, role: &str) {
        let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "emr-serverless:*", "Resource": "*"}]});
        let put = self
            .iam
            .put_role_policy()
            .role_name(role)
            .policy_name("extra");
        let put = put.policy_document(doc.to_string()).send();
        self.rt.block_on(put).expect("PutRolePolicy");
        let attach = self.iam.attach_role_policy().role_name(role);
        let attach = attach
            .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
            .send();
        self.rt.block_on(attach).expect("AttachRolePolicy");
    }

    fn put_parameter(&self, name: &str, value: &str) {
        let put = self
            .ssm
            .put_parameter()
            .name(name)
            .value(value)
            .overwrite(true)
            .send();
        self.rt.block_on(put).expect("PutParameter");
    }
}

fn configuration(role: &str) -> String {
    format!(
        r#"{PROVIDER}
resource "emr_serverless_application" "spark" {{
  name          = "acme-batch"
  type          = "SPARK"
  release_label = "emr-7.8.0"
}}

resource "emr_serverless_job_function" "etl" {{
  namespace               = "acme"
  name                    = "nightly-etl"
  application_id          = emr_serverless_application.spark.id
  execution_role_arn      = "{role}"
  entry_points            = ["{ETL}", "{BACKFILL}"]
  spark_submit_parameters = "--conf spark.executor.cores=4"
  override {{
    name    = "ExecutorInstances"
    conf    = "spark.executor.instances"
    minimum = 1
    maximum = 50
  }}
  max_execution_timeout_minutes = 240
  execution_iam_policy_json     = {CEILING:?}
  log_uri                       = "s3://acme/emr-serverless/logs/"
  tags = {{ team = "data" }}
}}
"#
    )
}

#[test]
fn job_function_governs_serverless_job_runs() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        lifecycle(&terraform, &emulator, &aws);
    }
}

fn lifecycle(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    let role = aws.job_role();
    let hcl = configuration(&role);
    let ws = Workspace::new(terraform, emulator, &hcl);
    let v = ws.version().to_owned();

    // What does not depend on the new application is known at plan.
    let (plan, _) = ws.plan_json();
    let known = [
        "role_trust_policy_json",
        "invoke_policy_json",
        "state_machine_arn",
    ];
    assert_known_at_plan(&plan, ADDR, &known, &v);

    ws.apply();
    let st = ws.resource_values(ADDR);
    let app_id = ws.resource_values("emr_serverless_application.spark")["id"]
        .as_str()
        .expect("application id")
        .to_owned();
    let sm = st["state_machine_arn"]
        .as_str()
        .expect("state machine")
        .to_owned();
    for attr in ["role_policy_json", "invoke_policy_json"] {
        let doc = PolicyDocument::parse(st[attr].as_str().unwrap_or_default()).expect("policy");
        assert_eq!(
            least_privilege::violations(&doc),
            Vec::<String>::new(),
            "[tf {v}] {attr}"
        );
    }
    let policy: Value = serde_json::from_str(st["role_policy_json"].as_str().unwrap()).unwrap();
    let text = policy.to_string();
    assert!(
        text.contains(&format!("/applications/{app_id}\"")) && text.contains(&role),
        "[tf {v}] the role may start runs on exactly this application with exactly this role: {text}"
    );
    assert!(
        ws.plan_exit_code().0 == 0,
        "[tf {v}] re-plan after apply is not empty"
    );
    // With the application known, a change plans every document.
    ws.write(&hcl.replace("minimum = 1", "minimum = 2"));
    let (plan, _) = ws.plan_json();
    let docs = ["role_policy_json", "definition_json", "metadata_json"];
    assert_known_at_plan(&plan, ADDR, &docs, &v);
    ws.write(&hcl);

    // A valid run reaches StartJobRun with exactly the pinned values.
    let valid = json!({"Name": "r1", "EntryPoint": BACKFILL, "Arguments": ["--date", "2026-12-01"],
        "Overrides": {"ExecutorInstances": 10}, "TimeoutMinutes": 60});
    let run = aws.run(&sm, &valid);
    let p = run
        .scheduled
        .clone()
        .unwrap_or_else(|| panic!("[tf {v}] no StartJobRun: {run:?}"));
    let params = &p;
    assert_eq!(params["ApplicationId"], json!(app_id), "[tf {v}] {params}");
    assert_eq!(params["ExecutionRoleArn"], json!(role), "[tf {v}]");
    assert_eq!(params["Name"], json!("r1"), "[tf {v}]");
    assert_eq!(params["ExecutionTimeoutMinutes"], json!(60), "[tf {v}]");
    let submit = &params["JobDriver"]["SparkSubmit"];
    assert_eq!(submit["EntryPoint"], json!(BACKFILL), "[tf {v}]");
    assert_eq!(
        submit["EntryPointArguments"],
        json!(["--date", "2026-12-01"]),
        "[tf {v}]"
    );
    assert_eq!(
        submit["SparkSubmitParameters"],
        json!("--conf spark.executor.cores=4 --conf spark.executor.instances=10"),
        "[tf {v}]"
    );
    assert_eq!(
        params["ExecutionIamPolicy"]["Policy"],
        json!(CEILING),
        "[tf {v}]"
    );
    let logs =
        &params["ConfigurationOverrides"]["MonitoringConfiguration"]["S3MonitoringConfiguration"];
    assert_eq!(
        logs["LogUri"],
        json!("s3://acme/emr-serverless/logs/"),
        "[tf {v}]"
    );

    // Defaults: the only allowed override left out, the maximum timeout.
    let run = aws.run(&sm, &json!({"EntryPoint": ETL}));
    let p = run
        .scheduled
        .clone()
        .unwrap_or_else(|| panic!("[tf {v}] no StartJobRun: {run:?}"));
    assert_eq!(p["ExecutionTimeoutMinutes"], json!(240), "[tf {v}]");
    assert_eq!(p["Name"], json!("acme-nightly-etl"), "[tf {v}]");
    assert_eq!(
        p["JobDriver"]["SparkSubmit"]["SparkSubmitParameters"],
        json!("--conf spark.executor.cores=4"),
        "[tf {v}]"
    );

    // Refused before StartJobRun: nothing is scheduled.
    let refused = [
        (
            json!({"EntryPoint": "s3://evil/steal.py"}),
            "EntryPointNotAllowed",
        ),
        (json!({"Arguments": ["a"]}), "InvalidInput"),
        (
            json!({"EntryPoint": ETL, "Overrides": {"DriverMemory": 64}}),
            "UnknownOverride",
        ),
        (
            json!({"EntryPoint": ETL, "Overrides": {"ExecutorInstances": 500}}),
            "InvalidOverride",
        ),
        (
            json!({"EntryPoint": ETL, "Overrides": {"ExecutorInstances": "10"}}),
            "InvalidOverride",
        ),
        (
            json!({"EntryPoint": ETL, "TimeoutMinutes": 241}),
            "TimeoutTooLong",
        ),
        (
            json!({"EntryPoint": ETL, "TimeoutMinutes": 1.5}),
            "InvalidInput",
        ),
        (
            json!({"EntryPoint": ETL, "Arguments": ["ok", 7]}),
            "InvalidInput",
        ),
        (
            json!({"EntryPoint": ETL, "ExecutionRoleArn": "arn:aws:iam::123456789012:role/admin"}),
            "InvalidInput",
        ),
    ];
    for (input, error) in refused {
        let run = aws.run(&sm, &input);
        assert_eq!(run.status, "FAILED", "[tf {v}] {input}: {run:?}");
        assert_eq!(run.error, error, "[tf {v}] {input}: {run:?}");
        assert!(
            !run.cause.is_empty(),
            "[tf {v}] {input}: a refusal says why"
        );
        assert!(
            run.scheduled.is_none(),
            "[tf {v}] {input} reached StartJobRun: {run:?}"
        );
    }

    // The definition changed outside Terraform to start any entry point: the
    // plan shows it, apply restores the checked one.
    let pinned = aws.definition(&sm);
    let mut open = pinned.clone();
    open["States"]["CheckEntryPoint"]["Default"] = json!("UseInputEntryPoint");
    aws.set_definition(&sm, &open);
    assert_eq!(
        ws.plan_exit_code().0,
        2,
        "[tf {v}] a changed definition must show in the plan"
    );
    ws.apply();
    assert_eq!(
        aws.definition(&sm),
        pinned,
        "[tf {v}] the definition is restored"
    );
    let run = aws.run(&sm, &json!({"EntryPoint": "s3://evil/steal.py"}));
    assert_eq!(run.error, "EntryPointNotAllowed", "[tf {v}] {run:?}");

    // The role widened outside Terraform: the plan shows it, apply removes it.
    let role_name = st["role_arn"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    aws.widen_role(&role_name);
    let (plan, _) = ws.plan_json();
    let after = &common::resource_change(&plan, ADDR)["change"];
    assert!(
        after["before"]["unmanaged_policies"]
            .to_string()
            .contains("extra")
            && after["before"]["unmanaged_policies"]
                .to_string()
                .contains("AdministratorAccess"),
        "[tf {v}] the plan names what was added: {after}"
    );
    ws.apply();
    assert_eq!(
        aws.role_policies(&role_name),
        (vec!["emr-serverless-job-function".to_string()], vec![]),
        "[tf {v}] only the function's own policy is left"
    );
    assert_eq!(
        ws.plan_exit_code().0,
        0,
        "[tf {v}] re-plan after the repairs"
    );

    // The bounds changed in place: a run may now ask for more.
    ws.write(&hcl.replace("maximum = 50", "maximum = 60"));
    ws.apply();
    let run = aws.run(
        &sm,
        &json!({"EntryPoint": ETL, "Overrides": {"ExecutorInstances": 55}}),
    );
    assert!(
        run.scheduled.is_some(),
        "[tf {v}] the new bound is in effect: {run:?}"
    );
    assert_eq!(
        ws.plan_exit_code().0,
        0,
        "[tf {v}] re-plan after the update"
    );
    ws.write(&hcl);
    ws.apply();

    // The metadata changed outside Terraform: the plan shows it, apply restores it.
    let pname = st["parameter_name"].as_str().expect("parameter").to_owned();
    let stored = aws.parameter(&pname).expect("metadata parameter");
    let tampered = stored.replace(ETL, "s3://evil/steal.py");
    aws.put_parameter(&pname, &tampered);
    assert_eq!(
        ws.plan_exit_code().0,
        2,
        "[tf {v}] a tampered record must show in the plan"
    );
    ws.apply();
    let restored: Value = serde_json::from_str(&aws.parameter(&pname).unwrap()).unwrap();
    assert_eq!(
        restored,
        serde_json::from_str::<Value>(&stored).unwrap(),
        "[tf {v}]"
    );

    // Import from the stored record: the re-plan is empty.
    ws.state_rm(ADDR);
    ws.import(ADDR, "acme/nightly-etl");
    assert_eq!(
        ws.plan_exit_code().0,
        0,
        "[tf {v}] plan after import is not empty"
    );

    // The data source, from another workspace.
    let reader = Workspace::new(
        terraform,
        emulator,
        &format!(
            "{PROVIDER}\ndata \"emr_serverless_job_function\" \"etl\" {{\n  namespace = \"acme\"\n  name = \"nightly-etl\"\n}}\noutput \"sm\" {{ value = data.emr_serverless_job_function.etl.state_machine_arn }}\noutput \"entry\" {{ value = data.emr_serverless_job_function.etl.entry_points }}\noutput \"invoke\" {{ value = data.emr_serverless_job_function.etl.invoke_policy_json }}\n"
        ),
    );
    reader.apply();
    let out = reader.run_ok(&["output", "-json"]);
    let outputs: Value = serde_json::from_str(&out.stdout).expect("outputs");
    assert_eq!(outputs["sm"]["value"], json!(sm), "[tf {v}]");
    assert_eq!(
        outputs["entry"]["value"],
        json!([ETL, BACKFILL]),
        "[tf {v}]"
    );
    assert_eq!(
        outputs["invoke"]["value"], st["invoke_policy_json"],
        "[tf {v}]"
    );

    // Namespace and name are joined with "-": acme-nightly/etl derives this
    // function's names. A record written for it, agreeing with every derived
    // ARN, must not hand a reader this function's state machine.
    let forged_name = pname.replace("acme/nightly-etl", "acme-nightly/etl");
    assert_ne!(forged_name, pname);
    let forged = stored
        .replace(r#""Namespace":"acme""#, r#""Namespace":"acme-nightly""#)
        .replace(r#""Name":"nightly-etl""#, r#""Name":"etl""#);
    assert_ne!(forged, stored, "[tf {v}] the record's keys moved: {stored}");
    aws.put_parameter(&forged_name, &forged);
    let misled = Workspace::new(
        terraform,
        emulator,
        &format!(
            "{PROVIDER}\ndata \"emr_serverless_job_function\" \"etl\" {{\n  namespace = \"acme-nightly\"\n  name = \"etl\"\n}}\noutput \"invoke\" {{ value = data.emr_serverless_job_function.etl.invoke_policy_json }}\n"
        ),
    );
    let out = misled.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let said = out.all().split_whitespace().collect::<Vec<_>>().join(" ");
    assert_ne!(
        out.code, 0,
        "[tf {v}] the colliding record was read: {said}"
    );
    assert!(
        said.contains("belongs to emr_serverless_job_function/acme/nightly-etl"),
        "[tf {v}] {said}"
    );
    let delete = aws.ssm.delete_parameter().name(&forged_name).send();
    aws.rt.block_on(delete).expect("DeleteParameter");

    // Destroy leaves nothing.
    ws.destroy();
    assert!(
        !aws.state_machine_exists(&sm),
        "[tf {v}] state machine left"
    );
    assert!(!aws.role_exists(&role_name), "[tf {v}] role left");
    assert!(aws.parameter(&pname).is_none(), "[tf {v}] metadata left");
}

/// Invalid job functions fail at plan, naming the attribute, before any
/// call that changes AWS.
#[test]
fn invalid_job_functions_fail_at_plan() {
    let emulator = Emulator::start();
    let role = "arn:aws:iam::123456789012:role/acme-job-runtime";
    let cases: [(&str, &str, &str, &[&str]); 6] = [
        (
            "a wildcard entry point",
            ETL,
            "s3://acme/jobs/*.py",
            &["entry_points", "wildcard"],
        ),
        (
            "an entry point outside S3",
            ETL,
            "https://acme.example.com/etl.py",
            &["entry_points"],
        ),
        (
            "a role with a wildcard",
            role,
            "arn:aws:iam::123456789012:role/*",
            &["execution_role_arn"],
        ),
        (
            "bounds the wrong way round",
            "minimum = 1",
            "minimum = 60",
            &["override", "above maximum"],
        ),
        (
            "a fixed setting offered as an override",
            "spark.executor.cores=4",
            "spark.executor.instances=4",
            &["override", "already set"],
        ),
        (
            "no time at all",
            "max_execution_timeout_minutes = 240",
            "max_execution_timeout_minutes = 0",
            &["max_execution_timeout_minutes", "1 to 10080"],
        ),
    ];
    for terraform in terraform_binaries() {
        emulator.reset();
        let valid = configuration(role);
        let ws = Workspace::new(&terraform, &emulator, &valid);
        let v = ws.version().to_owned();
        assert_eq!(
            ws.plan_exit_code().0,
            2,
            "[tf {v}] the valid configuration plans"
        );
        let mut failures = Vec::new();
        for (what, from, to, mentions) in cases {
            assert!(
                valid.contains(from),
                "{what}: {from:?} not in the configuration"
            );
            ws.write(&valid.replacen(from, to, 1));
            emulator.start_recording();
            let out = ws.run(&["plan", "-input=false", "-no-color"]);
            let said = out.all();
            let problems = common::rejection_problems(&emulator, &out, &said, mentions);
            emulator.stop_recording();
            if !problems.is_empty() {
                failures.push(format!("== {what}: {problems:?}\n{said}"));
            }
        }
        assert!(failures.is_empty(), "[tf {v}]\n{}", failures.join("\n"));
    }
}

/// A state machine of the function's name that is not the function's is
/// refused at create, and destroy leaves it where it was (and removes what
/// the failed create did make).
#[test]
fn a_foreign_state_machine_is_refused_and_left_alone() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        let role = aws.job_role();
        let squatter = json!({"StartAt": "S", "States": {"S": {"Type": "Succeed"}}});
        let create = aws
            .sfn
            .create_state_machine()
            .name("acme-nightly-etl-emr-job")
            .definition(squatter.to_string())
            .role_arn("arn:aws:iam::123456789012:role/someone-else")
            .send();
        let sm = aws.rt.block_on(create).expect("CreateStateMachine");
        let sm = sm.state_machine_arn().to_owned();
        let ws = Workspace::new(&terraform, &emulator, &configuration(&role));
        let v = ws.version().to_owned();
        let out = ws.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        assert_ne!(
            out.code, 0,
            "[tf {v}] a foreign state machine was taken over"
        );
        let said = out.all().split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            said.contains("is not managed by this job function"),
            "[tf {v}] {said}"
        );
        assert_eq!(
            aws.definition(&sm),
            squatter,
            "[tf {v}] the foreign definition changed"
        );
        ws.destroy();
        assert!(
            aws.state_machine_exists(&sm),
            "[tf {v}] destroy deleted someone else's state machine"
        );
        assert!(
            !aws.role_exists("acme-nightly-etl-emr-job-fn"),
            "[tf {v}] the function's role was left"
        );
    }
}
