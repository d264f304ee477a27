//! Faults across apply/destroy cycles (issue #14, item 2).
//!
//! The full example set (`examples/complete`: security configuration, two
//! runtime roles, profile, cluster configuration, launch function, a shared
//! and three private data planes) plus an EMR Serverless application, a
//! job function and a data plane that messages the control plane over SQS
//! are applied and destroyed again and again, with a share of every AWS
//! call faulted by the proxy of `tests/support/fault_proxy.rs`:
//! throttling, 500 and 503 in each protocol's error shape, connections
//! dropped before the request reaches the emulator and after it has been
//! carried out, and latency.
//!
//! The promise under test: nothing the provider creates is lost or left
//! untracked, and a second apply converges. After each apply (and at most one
//! more), the plan is empty; after each destroy (and at most one more), the
//! emulator holds nothing the provider created.
//!
//! `EMR_FAULT_CYCLES` (default 3; `make test-faults` runs 20),
//! `EMR_FAULT_RATE` (default 0.10) and `EMR_FAULT_SEED` (default: from the
//! clock, printed) set the run; a failure prints the seed to repeat it with.

mod common;
#[path = "support/fault_proxy.rs"]
mod fault_proxy;

use std::collections::BTreeSet;
use std::fs;
use std::time::Instant;

use common::{terraform_binaries, Emulator, Output, Workspace};
use fault_proxy::{Fault, FaultProxy, Rule};

const SHARED_ROLE: &str = "control-plane-launcher";

/// The control plane's queue for data-plane messages (made by `prepare`).
const INBOX: &str = "control-plane-inbox";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seed() -> u64 {
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    env_or("EMR_FAULT_SEED", clock)
}

/// Every kind of fault but the hang, in equal shares.
const MIXED: [Fault; 6] = [
    Fault::Throttle,
    Fault::ServerError,
    Fault::Unavailable,
    Fault::ResetBefore,
    Fault::ResetAfter,
    Fault::Latency(300),
];

/// What a real account has before Terraform runs: the network, the control
/// plane's role and the metastore password. Made directly in the emulator.
struct Account {
    rt: tokio::runtime::Runtime,
    config: aws_config::SdkConfig,
    port: u16,
}

impl Account {
    fn new(emulator: &Emulator) -> Account {
        let (rt, config) = common::blocking_sdk(emulator);
        Account {
            rt,
            config,
            port: emulator.port(),
        }
    }

    /// terraform.tfvars.json for examples/complete.
    fn prepare(&self) -> serde_json::Value {
        let ec2 = aws_sdk_ec2::Client::new(&self.config);
        let iam = aws_sdk_iam::Client::new(&self.config);
        let secrets = aws_sdk_secretsmanager::Client::new(&self.config);
        self.rt.block_on(async {
            let vpc = ec2.create_vpc().cidr_block("10.40.0.0/16").send().await;
            let vpc = vpc.expect("CreateVpc").vpc().and_then(|v| v.vpc_id()).map(str::to_owned);
            let vpc = vpc.expect("a VPC id");
            let mut subnets = Vec::new();
            for (cidr, az) in [("10.40.1.0/24", "us-east-1a"), ("10.40.2.0/24", "us-east-1b")] {
                let s = ec2.create_subnet().vpc_id(&vpc).cidr_block(cidr);
                let s = s.availability_zone(az).send().await.expect("CreateSubnet");
                subnets.push(s.subnet().and_then(|s| s.subnet_id()).expect("id").to_owned());
            }
            let sg = ec2.create_security_group().vpc_id(&vpc).group_name("jobs");
            let sg = sg.description("jobs").send().await.expect("CreateSecurityGroup");
            let sg = sg.group_id().expect("a group id").to_owned();
            let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;
            let role = iam.create_role().role_name(SHARED_ROLE).assume_role_policy_document(trust);
            role.send().await.expect("CreateRole of the control plane's role");
            let secret = secrets.create_secret().name("hive-metastore-password");
            let secret = secret.secret_string("not-a-real-password").send().await;
            let secret = secret.expect("CreateSecret").arn().expect("an ARN").to_owned();
            let queue = format!(r#"{{"QueueName":"{INBOX}"}}"#);
            let made = common::moto_http::aws_call(
                self.port,
                "sqs",
                Some("AmazonSQS.CreateQueue"),
                &queue,
            );
            assert!(matches!(made, Ok((200, _))), "CreateQueue: {made:?}");
            serde_json::json!({
                "subnet_ids": subnets,
                "security_group_ids": [sg],
                "hive_metastore_password_secret_arn": secret,
                "shared_launch_role_name": SHARED_ROLE,
            })
        })
    }

    /// The `event` attribute of every control-plane message in the inbox
    /// (each received once).
    fn messages(&self) -> Vec<String> {
        let url = format!("https://sqs.us-east-1.amazonaws.com/123456789012/{INBOX}");
        let mut events = Vec::new();
        loop {
            let ask = serde_json::json!({
                "QueueUrl": url,
                "MaxNumberOfMessages": 10,
                "MessageAttributeNames": ["All"],
                "VisibilityTimeout": 43200,
            });
            let got = common::moto_http::aws_call(
                self.port,
                "sqs",
                Some("AmazonSQS.ReceiveMessage"),
                &ask.to_string(),
            );
            let Ok((200, text)) = got else {
                panic!("ReceiveMessage: {got:?}");
            };
            let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            let batch = body["Messages"].as_array().cloned().unwrap_or_default();
            if batch.is_empty() {
                return events;
            }
            for m in batch {
                let event = &m["MessageAttributes"]["event"]["StringValue"];
                events.push(event.as_str().unwrap_or("?").to_owned());
            }
        }
    }

    /// Everything in the emulator the provider could have made, beyond what
    /// `prepare` made: empty after a destroy.
    fn leftovers(&self, emulator: &Emulator) -> Vec<String> {
        // moto 5.2 has no ListSecurityConfigurations: every name ever created
        // comes from its model dump, and Describe says which still exist.
        let data = emulator.model_data();
        let created: BTreeSet<String> = data["emr"]["SecurityConfiguration"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let iam = aws_sdk_iam::Client::new(&self.config);
        let ssm = aws_sdk_ssm::Client::new(&self.config);
        let sfn = aws_sdk_sfn::Client::new(&self.config);
        let lambda = aws_sdk_lambda::Client::new(&self.config);
        let emr = aws_sdk_emr::Client::new(&self.config);
        let serverless = aws_sdk_emrserverless::Client::new(&self.config);
        self.rt.block_on(async {
            let mut left = Vec::new();
            let roles = iam
                .list_roles()
                .max_items(1000)
                .send()
                .await
                .expect("ListRoles");
            for r in roles.roles() {
                if r.role_name() != SHARED_ROLE {
                    left.push(format!("IAM role {}", r.role_name()));
                }
            }
            let inline = iam.list_role_policies().role_name(SHARED_ROLE).send().await;
            for p in inline.expect("ListRolePolicies").policy_names() {
                left.push(format!("inline policy {p} on {SHARED_ROLE}"));
            }
            let profiles = iam.list_instance_profiles().send().await;
            for p in profiles.expect("ListInstanceProfiles").instance_profiles() {
                left.push(format!("instance profile {}", p.instance_profile_name()));
            }
            let local = iam
                .list_policies()
                .scope(aws_sdk_iam::types::PolicyScopeType::Local);
            for p in local.send().await.expect("ListPolicies").policies() {
                left.push(format!("IAM policy {}", p.policy_name().unwrap_or("?")));
            }
            let params = ssm.describe_parameters().max_results(50).send().await;
            for p in params.expect("DescribeParameters").parameters() {
                left.push(format!("SSM parameter {}", p.name().unwrap_or("?")));
            }
            let machines = sfn.list_state_machines().send().await;
            for m in machines.expect("ListStateMachines").state_machines() {
                left.push(format!("state machine {}", m.name()));
            }
            let functions = lambda.list_functions().send().await;
            for f in functions.expect("ListFunctions").functions() {
                left.push(format!(
                    "Lambda function {}",
                    f.function_name().unwrap_or("?")
                ));
            }
            for name in created {
                let found = emr
                    .describe_security_configuration()
                    .name(&name)
                    .send()
                    .await;
                if found.is_ok() {
                    left.push(format!("security configuration {name}"));
                }
            }
            let apps = serverless.list_applications().send().await;
            for a in apps.expect("ListApplications").applications() {
                if a.state().as_str() != "TERMINATED" {
                    left.push(format!(
                        "application {} ({})",
                        a.name().unwrap_or("?"),
                        a.state()
                    ));
                }
            }
            left
        })
    }
}

/// The example's files, its variables, and an application with a job
/// function beside it.
fn write_configuration(ws: &Workspace, tfvars: &serde_json::Value) {
    let example = common::manifest_dir().join("examples/complete");
    for file in ["main.tf", "variables.tf", "outputs.tf"] {
        let text = fs::read_to_string(example.join(file)).expect("examples/complete");
        fs::write(ws.dir().join(file), text).expect("write the example");
    }
    fs::write(
        ws.dir().join("terraform.tfvars.json"),
        serde_json::to_string_pretty(tfvars).expect("tfvars"),
    )
    .expect("write tfvars");
    let serverless = r#"
# A data plane that tells the control plane about itself over SQS.
resource "emr_serverless_dataplane" "notified" {
  name               = "notified"
  mode               = "private"
  resource_bucket    = "notified-emr-serverless"
  subnet_ids         = var.subnet_ids
  security_group_ids = var.security_group_ids
  control_plane {
    principal_arn = var.control_plane_principal_arn
  }
  control_plane_message {
    sqs_queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/control-plane-inbox"
  }
}

resource "emr_serverless_application" "jobs" {
  name          = "acme-jobs"
  type          = "SPARK"
  release_label = "emr-7.8.0"
  maximum_capacity {
    cpu    = "200 vCPU"
    memory = "800 GB"
  }
  network {
    subnet_ids         = var.subnet_ids
    security_group_ids = var.security_group_ids
  }
}

resource "emr_serverless_job_function" "etl" {
  namespace          = "acme"
  name               = "nightly-etl"
  application_id     = emr_serverless_application.jobs.id
  execution_role_arn = emr_serverless_dataplane.customer["acme"].job_runtime_role_arn
  entry_points       = ["s3://acme-emr-serverless/jobs/etl.py"]
  override {
    name    = "ExecutorInstances"
    conf    = "spark.executor.instances"
    minimum = 1
    maximum = 50
  }
}
"#;
    fs::write(ws.dir().join("serverless.tf"), serverless).expect("write serverless.tf");
}

fn state_addresses(ws: &Workspace) -> BTreeSet<String> {
    let state = ws.state_json();
    let mut out = BTreeSet::new();
    if let Some(rs) = state["values"]["root_module"]["resources"].as_array() {
        for r in rs {
            out.insert(r["address"].as_str().unwrap_or("?").to_owned());
        }
    }
    out
}

/// Terraform's error blocks: each `Error:` line and the detail after it.
fn short(out: &Output) -> String {
    let mut kept = Vec::new();
    let mut left = 0u32;
    for line in out.stderr.lines() {
        let line = line.trim_start_matches(['│', '╷', '╵', ' ']);
        if line.starts_with("Error:") {
            left = 9;
        }
        if left > 0 && !line.is_empty() && !line.starts_with("with ") && !line.starts_with("on ") {
            kept.push(format!("    {line}"));
        }
        left = left.saturating_sub(1);
    }
    kept.join("\n")
}

struct Run<'a> {
    proxy: &'a FaultProxy,
    account: &'a Account,
    emulator: &'a Emulator,
    log: Vec<String>,
}

impl Run<'_> {
    fn fail(&self, what: &str) -> ! {
        panic!(
            "{what}\nrepeat with EMR_FAULT_SEED={} ({})\nwhat happened:\n{}",
            self.proxy.seed(),
            self.proxy.summary(),
            self.log.join("\n")
        )
    }

    /// `terraform <command>` with `faults` on, logged; its exit code.
    fn faulted(
        &mut self,
        ws: &Workspace,
        when: &str,
        command: &str,
        n: u32,
        faults: &[Rule],
    ) -> i32 {
        self.proxy.set_rules(faults.to_vec());
        let out = ws.run(&[command, "-auto-approve", "-input=false", "-no-color"]);
        self.proxy.pause();
        let detail = if out.code == 0 {
            String::new()
        } else {
            format!("\n{}", short(&out))
        };
        let v = ws.version();
        self.log.push(format!(
            "{when} [tf {v}] {command} {n}: exit {}{detail}",
            out.code
        ));
        out.code
    }

    /// An apply with faults, and one more if it failed or left a diff; then
    /// (faults off) the plan must be empty.
    fn apply_converges(&mut self, ws: &Workspace, cycle: usize, faults: &[Rule]) {
        let v = ws.version().to_owned();
        for attempt in 1..=2 {
            let applied = self.faulted(ws, &format!("cycle {cycle}"), "apply", attempt, faults);
            let (code, plan) = ws.plan_exit_code();
            if applied == 0 && code == 0 {
                return;
            }
            if code == 1 {
                self.fail(&format!(
                    "cycle {cycle} [tf {v}]: the plan after apply {attempt} failed without faults:\n{}",
                    plan.all()
                ));
            }
            if attempt == 2 {
                self.fail(&format!(
                    "cycle {cycle} [tf {v}]: two applies did not converge; the plan:\n{}",
                    plan.stdout
                ));
            }
        }
    }

    /// A destroy with faults, and one more if it failed; then (faults off)
    /// state is empty and the emulator holds nothing the provider made.
    fn destroy_cleans_up(&mut self, ws: &Workspace, cycle: usize, faults: &[Rule]) {
        let v = ws.version().to_owned();
        for attempt in 1..=2 {
            let destroyed = self.faulted(ws, &format!("cycle {cycle}"), "destroy", attempt, faults);
            if destroyed == 0 {
                break;
            }
            if attempt == 2 {
                self.fail(&format!("cycle {cycle} [tf {v}]: two destroys failed"));
            }
        }
        let tracked = state_addresses(ws);
        if !tracked.is_empty() {
            self.fail(&format!(
                "cycle {cycle} [tf {v}]: state still lists {tracked:?}"
            ));
        }
        let left = self.account.leftovers(self.emulator);
        if !left.is_empty() {
            self.fail(&format!(
                "cycle {cycle} [tf {v}]: orphans after destroy:\n  {}",
                left.join("\n  ")
            ));
        }
    }
}

#[test]
fn apply_and_destroy_cycles_under_faults_converge_and_leave_nothing() {
    let cycles: usize = env_or("EMR_FAULT_CYCLES", 3);
    let rate: f64 = env_or("EMR_FAULT_RATE", 0.10);
    let seed = seed();
    eprintln!("fault cycles: {cycles} cycles, {rate} of calls faulted, EMR_FAULT_SEED={seed}");
    let emulator = Emulator::start();
    let account = Account::new(&emulator);
    let tfvars = account.prepare();
    let proxy = FaultProxy::start(emulator.port(), seed);
    let workspaces: Vec<Workspace> = terraform_binaries()
        .iter()
        .map(|tf| {
            let ws = Workspace::via(tf, &proxy.endpoint(), "");
            write_configuration(&ws, &tfvars);
            ws
        })
        .collect();
    let faults = vec![Rule::any(rate, &MIXED)];
    let mut run = Run {
        proxy: &proxy,
        account: &account,
        emulator: &emulator,
        log: Vec::new(),
    };
    let started = Instant::now();
    for cycle in 1..=cycles {
        let ws = &workspaces[(cycle - 1) % workspaces.len()];
        run.apply_converges(ws, cycle, &faults);
        let count = state_addresses(ws).len();
        if count < 13 {
            run.fail(&format!("cycle {cycle}: only {count} resources in state"));
        }
        run.destroy_cleans_up(ws, cycle, &faults);
    }
    // At least once: a message whose answer was lost may arrive twice.
    let events = account.messages();
    let count = |e: &str| events.iter().filter(|x| *x == e).count();
    assert!(
        count("created") >= cycles && count("deleted") >= cycles,
        "each cycle tells the control plane (seed {seed}): {events:?}"
    );
    let injected = proxy.injected();
    eprintln!(
        "fault cycles: {cycles} cycles in {:?}; {}",
        started.elapsed(),
        proxy.summary()
    );
    for line in &run.log {
        eprintln!("  {line}");
    }
    // The run is only a test of faults if faults of every kind happened,
    // resets after the mutation included.
    if cycles >= 3 && rate >= 0.05 {
        for kind in [Fault::ResetAfter, Fault::ResetBefore, Fault::Throttle] {
            assert!(
                injected.iter().any(|i| i.fault == kind),
                "no {kind:?} was injected (seed {seed}): {}",
                proxy.summary()
            );
        }
    }
}

/// Issue #14, item 4: Ctrl-C while a call hangs. Terraform sends
/// StopProvider; the provider abandons the hung call at once, and the apply
/// ends with the partial state (the data plane's first role, which exists)
/// recorded, so the next apply finishes the job and destroy leaves nothing.
#[test]
fn stop_provider_abandons_a_hung_call_and_state_keeps_what_exists() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator);
    let tfvars = account.prepare();
    let proxy = FaultProxy::start(emulator.port(), 0);
    for (i, terraform) in terraform_binaries().iter().enumerate() {
        let name = format!("halt-{i}");
        let hcl = format!(
            r#"{}
resource "emr_serverless_dataplane" "p" {{
  name               = "{name}"
  mode               = "private"
  resource_bucket    = "{name}-emr-serverless"
  subnet_ids         = {}
  security_group_ids = {}
  control_plane {{
    principal_arn = "arn:aws:iam::999988887777:role/control-plane"
  }}
}}
"#,
            common::PROVIDER,
            tfvars["subnet_ids"],
            tfvars["security_group_ids"],
        );
        let ws = Workspace::via(terraform, &proxy.endpoint(), &hcl);
        let v = ws.version().to_owned();
        // The first inline policy hangs: its role has been created by then.
        proxy.set_rules(vec![Rule::action(
            "iam",
            "PutRolePolicy",
            1.0,
            &[Fault::Hang],
        )]);
        let before = proxy.injected().len();
        let running = ws.spawn(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let deadline = Instant::now() + std::time::Duration::from_secs(60);
        while proxy.injected().len() == before {
            assert!(
                Instant::now() < deadline,
                "[tf {v}] no PutRolePolicy reached the proxy:\n{}",
                running.stdout_so_far()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        let interrupted = Instant::now();
        running.interrupt();
        let out = running.wait();
        let took = interrupted.elapsed();
        proxy.pause();
        let said = out.all().split_whitespace().collect::<Vec<_>>().join(" ");
        eprintln!("[tf {v}] interrupt → Terraform exited in {took:?}");
        assert_ne!(out.code, 0, "[tf {v}] the apply was interrupted: {said}");
        assert!(
            took < std::time::Duration::from_secs(3),
            "[tf {v}] Terraform needed {took:?} after the interrupt: {said}"
        );
        assert!(
            said.contains("asked the provider to stop"),
            "[tf {v}] the error says why: {said}"
        );
        // What exists is in state: the role whose policy hung was made.
        let values = ws.resource_values("emr_serverless_dataplane.p");
        let recorded = values.to_string();
        let iam = aws_sdk_iam::Client::new(&account.config);
        let roles = account
            .rt
            .block_on(iam.list_roles().send())
            .expect("ListRoles");
        let made: Vec<&str> = roles
            .roles()
            .iter()
            .map(|r| r.role_name())
            .filter(|r| r.starts_with(&name))
            .collect();
        assert!(!made.is_empty(), "[tf {v}] a role was made before the hang");
        for role in &made {
            assert!(
                recorded.contains(&format!(":role/{role}\"")),
                "[tf {v}] {role} exists; state must record it: {values}"
            );
        }
        // Without the hang, the next apply converges and destroy cleans up.
        ws.run_ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        ws.assert_plan_empty();
        ws.run_ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
        let left = account.leftovers(&emulator);
        assert!(left.is_empty(), "[tf {v}] orphans: {left:?}");
    }
}

/// Issue #14, item 3: many workspaces at once against one account, as CI
/// agents run per-customer workspaces, with 20% of IAM calls throttled. Each
/// workspace has a private data plane and an application. All converge (a
/// second apply is allowed), all destroy, and nothing is left.
/// `EMR_CONCURRENT_WORKSPACES` (default 20) sets how many.
#[test]
fn twenty_workspaces_at_once_under_iam_throttling_all_converge() {
    let count: usize = env_or("EMR_CONCURRENT_WORKSPACES", 20);
    let seed = seed();
    let emulator = Emulator::start();
    let account = Account::new(&emulator);
    let tfvars = account.prepare();
    let proxy = FaultProxy::start(emulator.port(), seed);
    let binaries = terraform_binaries();
    let workspaces: Vec<Workspace> = (0..count)
        .map(|i| {
            let name = format!("tenant-{i:02}");
            let hcl = format!(
                r#"{}
resource "emr_serverless_dataplane" "p" {{
  name               = "{name}"
  mode               = "private"
  resource_bucket    = "{name}-emr-serverless"
  subnet_ids         = {subnets}
  security_group_ids = {groups}
  control_plane {{
    principal_arn = "arn:aws:iam::999988887777:role/control-plane"
  }}
}}

resource "emr_serverless_application" "jobs" {{
  name          = "{name}-jobs"
  type          = "SPARK"
  release_label = "emr-7.8.0"
  network {{
    subnet_ids         = {subnets}
    security_group_ids = {groups}
  }}
}}
"#,
                common::PROVIDER,
                subnets = tfvars["subnet_ids"],
                groups = tfvars["security_group_ids"],
            );
            Workspace::via(&binaries[i % binaries.len()], &proxy.endpoint(), &hcl)
        })
        .collect();
    let throttled = vec![Rule::service("iam", 0.2, &[Fault::Throttle])];
    let all = |args: &[&str]| -> Vec<(i32, i32, String)> {
        std::thread::scope(|s| {
            let runs: Vec<_> = workspaces
                .iter()
                .map(|ws| {
                    s.spawn(move || {
                        let first = ws.run(args);
                        let second = if first.code == 0 {
                            0
                        } else {
                            ws.run(args).code
                        };
                        (first.code, second, short(&first))
                    })
                })
                .collect();
            runs.into_iter()
                .map(|r| r.join().unwrap_or((-1, -1, "panicked".into())))
                .collect()
        })
    };
    proxy.set_rules(throttled.clone());
    let started = Instant::now();
    let applied = all(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let apply_time = started.elapsed();
    let throttles = proxy.injected().len();
    proxy.pause();
    let plans: Vec<i32> = std::thread::scope(|s| {
        let runs: Vec<_> = workspaces
            .iter()
            .map(|ws| s.spawn(move || ws.plan_exit_code().0))
            .collect();
        runs.into_iter().map(|r| r.join().unwrap_or(-1)).collect()
    });
    let mut problems = Vec::new();
    for (i, (first, second, said)) in applied.iter().enumerate() {
        if *first != 0 {
            eprintln!("workspace {i}: first apply failed, second exit {second}:\n{said}");
        }
        if *first != 0 && *second != 0 {
            problems.push(format!("workspace {i}: two applies failed:\n{said}"));
        } else if plans[i] != 0 {
            problems.push(format!("workspace {i}: the plan after apply is not empty"));
        }
    }
    let seconds = applied.iter().filter(|a| a.0 != 0).count();
    eprintln!(
        "{count} workspaces applied at once in {apply_time:?}; {throttles} IAM calls throttled \
         (each one retried by the SDK); {seconds} needed a second apply; seed {seed}"
    );
    assert!(problems.is_empty(), "seed {seed}:\n{}", problems.join("\n"));
    assert!(throttles > 0, "no call was throttled (seed {seed})");
    proxy.set_rules(throttled);
    let destroyed = all(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    proxy.pause();
    for (i, (first, second, said)) in destroyed.iter().enumerate() {
        assert!(
            *first == 0 || *second == 0,
            "workspace {i}: two destroys failed (seed {seed}):\n{said}"
        );
    }
    let left = account.leftovers(&emulator);
    assert!(left.is_empty(), "orphans (seed {seed}): {left:?}");
}

/// Every call that changes something in AWS.
const MUTATIONS: [(&str, &str); 27] = [
    ("iam", "Create*"),
    ("iam", "Put*"),
    ("iam", "Attach*"),
    ("iam", "Add*"),
    ("iam", "Tag*"),
    ("iam", "Untag*"),
    ("iam", "Update*"),
    ("iam", "Delete*"),
    ("iam", "Detach*"),
    ("iam", "Remove*"),
    ("elasticmapreduce", "CreateSecurityConfiguration"),
    ("elasticmapreduce", "DeleteSecurityConfiguration"),
    ("lambda", "POST *"),
    ("lambda", "PUT *"),
    ("lambda", "DELETE *"),
    ("states", "Create*"),
    ("states", "Update*"),
    ("states", "Delete*"),
    ("states", "TagResource"),
    ("emr-serverless", "POST *"),
    ("emr-serverless", "PATCH *"),
    ("emr-serverless", "DELETE *"),
    ("ssm", "Put*"),
    ("ssm", "Delete*"),
    ("ssm", "AddTagsToResource"),
    ("ssm", "RemoveTagsFromResource"),
    ("sqs", "SendMessage"),
];

/// Issue #14, item 5: the hard case on every call. Each change AWS carries
/// out loses its first answer (the connection drops after the emulator made
/// the change), so the SDK's retry meets what the first attempt made: a role
/// or function that exists, a security configuration of that name. The
/// provider recognises its own work (owner tag, client token, the content it
/// sent) and the first apply and the first destroy succeed, leaving nothing.
#[test]
fn every_change_whose_answer_is_lost_once_still_applies_and_destroys_in_one_go() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator);
    let tfvars = account.prepare();
    let proxy = FaultProxy::start(emulator.port(), 0);
    let lost: Vec<Rule> = MUTATIONS
        .iter()
        .map(|(service, action)| Rule::first_answer_lost(service, action))
        .collect();
    for terraform in terraform_binaries() {
        let ws = Workspace::via(&terraform, &proxy.endpoint(), "");
        write_configuration(&ws, &tfvars);
        let v = ws.version().to_owned();
        // One command with every change's first answer lost: it must succeed.
        let lose = |command: &str| {
            proxy.set_rules(lost.clone());
            let before = proxy.injected().len();
            let started = Instant::now();
            let out = ws.run(&[command, "-auto-approve", "-input=false", "-no-color"]);
            let resets = proxy.injected().len() - before;
            let took = started.elapsed();
            eprintln!("[tf {v}] {command} with {resets} lost answers: {took:?}");
            let said = short(&out);
            assert_eq!(
                out.code, 0,
                "[tf {v}] {command} with {resets} lost answers:\n{said}"
            );
            resets
        };
        let resets = lose("apply");
        assert!(resets >= 30, "[tf {v}] only {resets} answers were lost");
        ws.assert_plan_empty();
        lose("destroy");
        proxy.pause();
        let left = account.leftovers(&emulator);
        assert!(left.is_empty(), "[tf {v}] orphans: {left:?}");
        eprintln!("[tf {v}] {}", proxy.summary());
    }
}
