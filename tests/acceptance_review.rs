//! Acceptance test of `terraform-provider-emr review`: real Terraform (every
//! binary from `common::terraform_binaries()`) plans changes to a runtime
//! role against moto, and the built binary reviews `terraform show -json` of
//! each saved plan, as a CI job would.

mod common;

use common::{apply_saved_plan, provider_binary, terraform_binaries, Emulator, Workspace};

use std::process::{Command, Stdio};

use serde_json::Value;

use common::PROVIDER;

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/emr-rt-review";
const CURATED: &str = "s3://datalake/curated/";
const REFERENCE: &str = "s3://datalake/reference/";
/// What the reference prefix grants, as it appears in resources or conditions.
const REFERENCE_OBJECTS: &str = "arn:aws:s3:::datalake/reference/*";

fn config(s3_read: &[&str]) -> String {
    let list: Vec<String> = s3_read.iter().map(|p| format!("{p:?}")).collect();
    format!(
        r#"{PROVIDER}
resource "emr_runtime_role" "analyst" {{
  name = "emr-rt-review"
  emr_serverless {{
    application_arns = ["arn:aws:emr-serverless:us-east-1:123456789012:/applications/00f1abcd"]
  }}
  s3_read  = [{}]
  s3_write = ["s3://datalake/scratch/analyst/"]
}}
"#,
        list.join(", ")
    )
}

struct Review {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `terraform show -json <saved plan or state>` piped into the review on stdin.
fn review(ws: &Workspace, show: &[&str], args: &[&str]) -> Review {
    let shown = ws.run_ok(show);
    let mut child = Command::new(provider_binary())
        .arg("review")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn terraform-provider-emr review");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(shown.stdout.as_bytes())
            .expect("write plan");
    }
    let out = child.wait_with_output().expect("review output");
    Review {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const PLAN: &[&str] = &["show", "-json", "tfplan"];
const STATE: &[&str] = &["show", "-json"];

/// The JSON review; every grant must name principal, actions, resources and
/// conditions, a status and a group.
fn review_json(ws: &Workspace, show: &[&str]) -> Vec<Value> {
    let r = review(ws, show, &["--format", "json"]);
    assert_eq!(
        r.code,
        0,
        "[tf {}] review --format json: {}",
        ws.version(),
        r.stderr
    );
    let doc: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("[tf {}] review JSON ({e}):\n{}", ws.version(), r.stdout));
    let grants = doc["grants"].as_array().expect("grants").clone();
    assert!(
        !grants.is_empty(),
        "[tf {}] no grants:\n{doc:#}",
        ws.version()
    );
    for g in &grants {
        assert!(
            g["principal"].as_str().is_some_and(|p| !p.is_empty()),
            "{g:#}"
        );
        assert!(
            g["actions"].as_array().is_some_and(|a| !a.is_empty()),
            "{g:#}"
        );
        assert!(
            g["resources"].as_array().is_some_and(|a| !a.is_empty()),
            "{g:#}"
        );
        assert!(g["conditions"].is_array(), "{g:#}");
        assert!(g["status"].is_string() && g["group"].is_string(), "{g:#}");
        assert_eq!(g["address"], "emr_runtime_role.analyst", "{g:#}");
    }
    assert_eq!(doc["unreviewed_policies"], serde_json::json!([]), "{doc:#}");
    grants
}

fn with_status<'a>(grants: &'a [Value], status: &str) -> Vec<&'a Value> {
    grants.iter().filter(|g| g["status"] == status).collect()
}

/// A grant that reads the reference prefix: its objects, or the bucket
/// listing limited to it.
fn is_reference_grant(g: &Value) -> bool {
    let text = g.to_string();
    text.contains(REFERENCE_OBJECTS) || text.contains("\"reference/*\"")
}

fn assert_reference_grants(grants: &[&Value], v: &str, what: &str) {
    assert!(!grants.is_empty(), "[tf {v}] no {what} grants");
    for g in grants {
        assert!(
            is_reference_grant(g),
            "[tf {v}] {what} grant is not about the new prefix: {g:#}"
        );
        assert_eq!(g["principal"], ROLE_ARN, "{g:#}");
        assert_eq!(g["group"], "data_access", "{g:#}");
    }
    let objects = grants
        .iter()
        .find(|g| g["resources"].to_string().contains(REFERENCE_OBJECTS))
        .unwrap_or_else(|| panic!("[tf {v}] no {what} grant on {REFERENCE_OBJECTS}: {grants:#?}"));
    assert!(
        objects["actions"].to_string().contains("s3:GetObject"),
        "[tf {v}] {objects:#}"
    );
}

fn unchanged_replan_adds_nothing(ws: &Workspace) {
    let v = ws.version().to_string();
    ws.plan_json();
    let r = review(ws, PLAN, &["--fail-on-widening"]);
    assert_eq!(
        r.code, 0,
        "[tf {v}] unchanged re-plan: {}\n{}",
        r.stderr, r.stdout
    );
    assert!(!r.stdout.contains("**added**"), "[tf {v}]\n{}", r.stdout);
    assert!(
        r.stdout.contains("No access is added."),
        "[tf {v}]\n{}",
        r.stdout
    );
    let grants = review_json(ws, PLAN);
    assert_eq!(
        with_status(&grants, "unchanged").len(),
        grants.len(),
        "[tf {v}] {grants:#?}"
    );
    let trust = grants
        .iter()
        .find(|g| g["group"] == "can_assume")
        .unwrap_or_else(|| panic!("[tf {v}] no trust grant: {grants:#?}"));
    assert_eq!(
        trust["principal"], "Service: emr-serverless.amazonaws.com",
        "{trust:#}"
    );
    assert_eq!(
        trust["resources"],
        serde_json::json!([ROLE_ARN]),
        "{trust:#}"
    );
    assert!(
        trust["conditions"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{trust:#}"
    );
}

fn adding_a_prefix_widens(ws: &Workspace) {
    let v = ws.version().to_string();
    ws.write(&config(&[CURATED, REFERENCE]));
    ws.plan_json();
    let r = review(ws, PLAN, &["--fail-on-widening"]);
    assert_eq!(
        r.code, 3,
        "[tf {v}] widening plan: {}\n{}",
        r.stderr, r.stdout
    );
    assert!(r.stderr.contains("access widens"), "[tf {v}] {}", r.stderr);
    let added_row = r
        .stdout
        .lines()
        .find(|l| l.starts_with("| **added**") && l.contains(REFERENCE_OBJECTS));
    assert!(
        added_row.is_some(),
        "[tf {v}] no added row in markdown:\n{}",
        r.stdout
    );
    let plain = review(ws, PLAN, &[]);
    assert_eq!(
        plain.code, 0,
        "[tf {v}] without --fail-on-widening: {}",
        plain.stderr
    );
    let grants = review_json(ws, PLAN);
    assert_reference_grants(&with_status(&grants, "added"), &v, "added");
    assert!(
        with_status(&grants, "removed").is_empty(),
        "[tf {v}] {grants:#?}"
    );
    apply_saved_plan(ws);
}

fn removing_a_prefix_narrows(ws: &Workspace) {
    let v = ws.version().to_string();
    ws.write(&config(&[CURATED]));
    ws.plan_json();
    let r = review(ws, PLAN, &["--fail-on-widening"]);
    assert_eq!(
        r.code, 0,
        "[tf {v}] narrowing plan: {}\n{}",
        r.stderr, r.stdout
    );
    assert!(r.stdout.contains("~~removed~~"), "[tf {v}]\n{}", r.stdout);
    let grants = review_json(ws, PLAN);
    assert_reference_grants(&with_status(&grants, "removed"), &v, "removed");
    assert!(
        with_status(&grants, "added").is_empty(),
        "[tf {v}] {grants:#?}"
    );
    apply_saved_plan(ws);
}

fn state_is_all_unchanged(ws: &Workspace) {
    let v = ws.version().to_string();
    let grants = review_json(ws, STATE);
    assert_eq!(
        with_status(&grants, "unchanged").len(),
        grants.len(),
        "[tf {v}] {grants:#?}"
    );
    assert!(
        !grants.iter().any(is_reference_grant),
        "[tf {v}] {grants:#?}"
    );
}

#[test]
fn review_marks_a_widened_and_a_narrowed_s3_grant() {
    for terraform in terraform_binaries() {
        let emulator = Emulator::start();
        let ws = Workspace::new(&terraform, &emulator, &config(&[CURATED]));
        ws.apply();
        unchanged_replan_adds_nothing(&ws);
        adding_a_prefix_widens(&ws);
        removing_a_prefix_narrows(&ws);
        state_is_all_unchanged(&ws);
        ws.destroy();
    }
}

#[test]
fn review_refuses_what_is_not_a_plan() {
    for (input, why) in [
        ("not json at all", "not JSON"),
        (r#"{"a":1}"#, "neither a plan"),
    ] {
        let mut child = Command::new(provider_binary())
            .args(["review", "--fail-on-widening"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(input.as_bytes()).expect("write");
        }
        let out = child.wait_with_output().expect("output");
        assert_eq!(out.status.code(), Some(2), "{input}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{err}");
        assert!(out.stdout.is_empty());
    }
}
