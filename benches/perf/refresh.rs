//! Refresh of N private EMR Serverless data planes against the local
//! emulator: a VPC, two subnets in different zones and a security group made
//! with the SDK, N `emr_serverless_dataplane` resources applied (the private
//! configuration of tests/acceptance_serverless.rs), then `terraform plan`
//! (refresh + plan, no changes) timed with the emulator's recorder on.
//!
//! The "emulator floor" is what the emulator alone costs for the same reads:
//! the IAM read calls the plan made, replayed as recorded (same actions and
//! parameters) with the AWS SDK from 10 concurrent tasks, Terraform's default
//! parallelism. plan / floor is what Terraform, the provider and its
//! scheduling add on top.
//!
//! "Terraform alone" (with `EMR_BENCH_FLOOR_PROVIDER`): the same plan, with
//! the same configuration and state, against the floor provider, whose data
//! plane has the real schema and reads nothing. It is what Terraform spends
//! on planning these resources whatever the provider does; on a 2-core
//! machine it competes for the CPU with the emulator.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::emulator::{Call, Emulator};
use crate::stats::Stats;
use crate::terraform::Workspace;

const APPLY: &[&str] = &["apply", "-auto-approve", "-input=false", "-no-color"];
const PLAN: &[&str] = &["plan", "-detailed-exitcode", "-input=false", "-no-color"];
/// Timed plans (and floor replays) per size; the median is reported.
const RUNS: usize = 3;
const FLOOR_TASKS: usize = 10;

const CONTROL_PLANE: &str = "arn:aws:iam::999988887777:role/control-plane";
const KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

struct Net {
    a: String,
    b: String,
    sg: String,
}

/// Static test credentials against the emulator; nothing of the machine's
/// AWS configuration is read.
fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    use aws_config::{BehaviorVersion, Region};
    use aws_credential_types::provider::SharedCredentialsProvider;
    use aws_credential_types::Credentials;
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "emr-bench",
        )))
        .build()
}

async fn create_network(ec2: &aws_sdk_ec2::Client) -> Net {
    let vpc = ec2
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
    ] {
        let out = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .availability_zone(az)
            .send()
            .await
            .expect("CreateSubnet");
        subnets.push(out.subnet().unwrap().subnet_id().unwrap().to_owned());
    }
    let sg = ec2
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
    let b = subnets.pop().unwrap();
    let a = subnets.pop().unwrap();
    Net { a, b, sg }
}

fn main_tf(n: usize, net: &Net) -> String {
    let mut s = String::from(
        "terraform {\n  required_providers {\n    emr = { source = \"emrlaunch/emr\" }\n  }\n}\n\n\
         provider \"emr\" {\n  region = \"us-east-1\"\n}\n",
    );
    for i in 0..n {
        let name = format!("bench{i}");
        s.push_str(&format!(
            r#"
resource "emr_serverless_dataplane" "{name}" {{
  name                         = "{name}"
  mode                         = "private"
  resource_bucket              = "{name}-emr-serverless"
  resource_prefix              = "emr-serverless/"
  subnet_ids                   = ["{a}", "{b}"]
  security_group_ids           = ["{sg}"]
  kms_key_arns                 = ["{KMS_KEY}"]
  read_bucket_names            = ["public-datasets"]
  assumable_role_arns          = ["arn:aws:iam::111122223333:role/data"]
  trusted_identity_propagation = true
  control_plane {{
    principal_arn = "{CONTROL_PLANE}"
  }}
}}
"#,
            a = net.a,
            b = net.b,
            sg = net.sg,
        ));
    }
    s
}

fn is_iam_read(call: &Call) -> bool {
    call.service == "iam" && (call.action.starts_with("Get") || call.action.starts_with("List"))
}

fn err(e: impl std::fmt::Debug) -> String {
    format!("{e:?}")
}

/// Issues one recorded IAM read again, with its recorded parameters.
async fn issue(iam: &aws_sdk_iam::Client, call: &Call) -> Result<(), String> {
    let p = |k: &str| call.params.get(k).cloned();
    let max_items = p("MaxItems").and_then(|m| m.parse().ok());
    match call.action.as_str() {
        "GetRole" => iam
            .get_role()
            .set_role_name(p("RoleName"))
            .send()
            .await
            .map(drop)
            .map_err(err),
        "ListRoleTags" => iam
            .list_role_tags()
            .set_role_name(p("RoleName"))
            .set_marker(p("Marker"))
            .set_max_items(max_items)
            .send()
            .await
            .map(drop)
            .map_err(err),
        "ListRolePolicies" => iam
            .list_role_policies()
            .set_role_name(p("RoleName"))
            .set_marker(p("Marker"))
            .set_max_items(max_items)
            .send()
            .await
            .map(drop)
            .map_err(err),
        "GetRolePolicy" => iam
            .get_role_policy()
            .set_role_name(p("RoleName"))
            .set_policy_name(p("PolicyName"))
            .send()
            .await
            .map(drop)
            .map_err(err),
        "ListAttachedRolePolicies" => iam
            .list_attached_role_policies()
            .set_role_name(p("RoleName"))
            .set_marker(p("Marker"))
            .set_max_items(max_items)
            .send()
            .await
            .map(drop)
            .map_err(err),
        "GetPolicy" => iam
            .get_policy()
            .set_policy_arn(p("PolicyArn"))
            .send()
            .await
            .map(drop)
            .map_err(err),
        "GetPolicyVersion" => iam
            .get_policy_version()
            .set_policy_arn(p("PolicyArn"))
            .set_version_id(p("VersionId"))
            .send()
            .await
            .map(drop)
            .map_err(err),
        "ListInstanceProfilesForRole" => iam
            .list_instance_profiles_for_role()
            .set_role_name(p("RoleName"))
            .send()
            .await
            .map(drop)
            .map_err(err),
        other => Err(format!("{other} is not replayed by the bench")),
    }
}

/// The reads from `FLOOR_TASKS` tasks sharing one client (one connection
/// pool, as in the provider); returns the elapsed time and the failures.
async fn replay(iam: &aws_sdk_iam::Client, reads: &Arc<Vec<Call>>) -> (Duration, Vec<String>) {
    let next = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..FLOOR_TASKS)
        .map(|_| {
            let (iam, reads, next) = (iam.clone(), Arc::clone(reads), Arc::clone(&next));
            tokio::spawn(async move {
                let mut failures = Vec::new();
                while let Some(call) = reads.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if let Err(e) = issue(&iam, call).await {
                        failures.push(format!("{}: {e}", call.action));
                    }
                }
                failures
            })
        })
        .collect();
    let mut failures = Vec::new();
    for task in tasks {
        failures.extend(task.await.expect("replay task"));
    }
    (t0.elapsed(), failures)
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// Calls by (service, action), most frequent first.
fn by_action(calls: &[Call]) -> Vec<((String, String), usize)> {
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for c in calls {
        *counts
            .entry((c.service.clone(), c.action.clone()))
            .or_default() += 1;
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts
}

/// Timed plans with the recorder on; returns their times and the calls of
/// the last one.
fn timed_plans(ws: &mut Workspace, emulator: &Emulator) -> (Stats, Vec<Call>) {
    let mut times = Vec::new();
    let mut calls = Vec::new();
    for _ in 0..RUNS {
        emulator.start_recording();
        let (elapsed, out) = ws.run(PLAN);
        emulator.stop_recording();
        match out.code {
            0 => {}
            2 => println!(
                "  WARNING: the plan is not empty (exit 2); refresh figures include planning changes:\n{}",
                out.stdout
            ),
            code => panic!(
                "terraform plan exited {code}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                out.stdout, out.stderr
            ),
        }
        times.push(elapsed);
        calls = emulator.recorded_calls();
    }
    (Stats::of(times), calls)
}

fn one_size(rt: &tokio::runtime::Runtime, emulator: &Emulator, terraform: &Path, n: usize) {
    emulator.reset();
    let config = sdk_config(&emulator.endpoint());
    let net = rt.block_on(create_network(&aws_sdk_ec2::Client::new(&config)));
    let binary = crate::provider_binary();
    let mut ws = Workspace::new(
        terraform,
        &binary,
        Some(emulator.endpoint()),
        &main_tf(n, &net),
    );
    let apply = ws.run_expect(APPLY, 0);
    println!("N = {n} private data planes (apply took {})", secs(apply));

    let (plan, calls) = timed_plans(&mut ws, emulator);
    println!(
        "  terraform plan (refresh, no changes)  {} over {RUNS} runs",
        plan.line()
    );
    println!(
        "  AWS calls of one plan: {} = {:.2} per data plane",
        calls.len(),
        calls.len() as f64 / n as f64
    );
    for ((service, action), count) in by_action(&calls) {
        println!(
            "    {:<38} {count:>5}  {:>5.2} per data plane",
            format!("{service} {action}"),
            count as f64 / n as f64
        );
    }

    let reads: Arc<Vec<Call>> =
        Arc::new(calls.iter().filter(|c| is_iam_read(c)).cloned().collect());
    let iam = aws_sdk_iam::Client::new(&config);
    let mut times = Vec::new();
    let mut failures = Vec::new();
    let mut replayed = 0;
    for _ in 0..RUNS {
        emulator.start_recording();
        let (elapsed, f) = rt.block_on(replay(&iam, &reads));
        emulator.stop_recording();
        replayed = emulator.recorded_calls().len();
        times.push(elapsed);
        failures = f;
    }
    let floor = Stats::of(times);
    println!(
        "  emulator floor: the plan's {} IAM reads from {FLOOR_TASKS} tasks  {} over {RUNS} runs",
        reads.len(),
        floor.line()
    );
    if replayed != reads.len() || !failures.is_empty() {
        println!(
            "  WARNING: the emulator recorded {replayed} replayed calls for {} reads; failures: {failures:?}",
            reads.len()
        );
    }
    println!(
        "  plan / floor (medians)                {:.2}×",
        plan.median().as_secs_f64() / floor.median().as_secs_f64()
    );
    if let Some(alone) = terraform_alone(terraform, &ws, n, &net) {
        println!(
            "  Terraform alone: the same plan, floor provider (no AWS)  {} over {RUNS} runs",
            alone.line()
        );
        println!(
            "  (floor + Terraform alone) / floor     {:.2}×, plan - floor - Terraform alone = {}",
            (floor.median() + alone.median()).as_secs_f64() / floor.median().as_secs_f64(),
            crate::stats::ms(
                plan.median()
                    .saturating_sub(floor.median())
                    .saturating_sub(alone.median())
            )
        );
    }
}

/// The plan of `ws`'s configuration and state against the floor provider.
fn terraform_alone(terraform: &Path, ws: &Workspace, n: usize, net: &Net) -> Option<Stats> {
    let floor = crate::floor_provider_binary()?;
    let mut alone = Workspace::new(terraform, &floor, None, &main_tf(n, net));
    std::fs::copy(
        ws.path().join("terraform.tfstate"),
        alone.path().join("terraform.tfstate"),
    )
    .expect("copy the state");
    alone.run_expect(PLAN, 0);
    Some(Stats::of((0..RUNS).map(|_| alone.run_expect(PLAN, 0))))
}

pub fn run(terraform: &Path, moto: &Path, sizes: &[usize]) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let t0 = Instant::now();
    let emulator = Emulator::start(moto);
    println!(
        "refresh against the local emulator ({}, started in {})",
        moto.display(),
        secs(t0.elapsed())
    );
    for &n in sizes {
        one_size(&rt, &emulator, terraform, n);
    }
    drop(emulator);
}
