//! An AWS endpoint that accepts connections and never answers (issue #14,
//! item 4): the apply fails after the provider's `api_attempt_timeout` and
//! its retries, instead of hanging, with a message naming the service and
//! the action. STS is the emulator (the provider asks who it is); EMR is a
//! socket on 127.0.0.1 that holds every connection open and says nothing.

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::{terraform_binaries, Emulator, Workspace};

/// A port that accepts and never answers, for as long as the test runs.
fn silent_endpoint() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = listener.local_addr().expect("local address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

/// An apply against a silent EMR endpoint with these provider settings:
/// what Terraform said (one line) and how long it took, per version.
fn apply_against_silence(settings: &str) -> Vec<(String, String, Duration)> {
    let emulator = Emulator::start();
    let port = silent_endpoint();
    let mut runs = Vec::new();
    for terraform in terraform_binaries() {
        emulator.reset();
        let hcl = format!(
            r#"terraform {{
  required_providers {{
    emr = {{ source = "emrlaunch/emr" }}
  }}
}}

provider "emr" {{
  region = "us-east-1"
  {settings}
  endpoints {{
    emr = "http://127.0.0.1:{port}"
  }}
}}

resource "emr_security_configuration" "sc" {{
  name = "silent"
  runtime_roles {{
    propagate_source_identity = true
  }}
}}
"#
        );
        let ws = Workspace::new(&terraform, &emulator, &hcl);
        let v = ws.version().to_owned();
        let started = Instant::now();
        let out = ws.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let took = started.elapsed();
        let said = out.all().split_whitespace().collect::<Vec<_>>().join(" ");
        assert_ne!(out.code, 0, "[tf {v}] the apply must fail: {said}");
        runs.push((v, said, took));
    }
    runs
}

#[test]
fn a_silent_endpoint_fails_the_apply_after_the_attempt_timeout_naming_the_call() {
    for (v, said, took) in apply_against_silence("api_attempt_timeout = \"2s\"\n  max_retries = 1")
    {
        assert!(
            said.contains("EMR CreateSecurityConfiguration got no answer in time"),
            "[tf {v}] the message names the service and the action: {said}"
        );
        // Two attempts of 2 s and a backoff: well under the default 60 s.
        assert!(took < Duration::from_secs(40), "[tf {v}] took {took:?}");
        assert!(
            took >= Duration::from_secs(4),
            "[tf {v}] no attempt waited: {took:?}"
        );
    }
}

/// The operation timeout ends a call that would otherwise go on retrying:
/// 20 attempts of 2 s would take 40 s and more.
#[test]
fn a_silent_endpoint_fails_the_apply_after_the_operation_timeout_naming_the_call() {
    let settings =
        "api_attempt_timeout = \"2s\"\n  api_operation_timeout = \"5s\"\n  max_retries = 19";
    for (v, said, took) in apply_against_silence(settings) {
        assert!(
            said.contains("EMR CreateSecurityConfiguration got no answer in time"),
            "[tf {v}] the message names the service and the action: {said}"
        );
        assert!(took < Duration::from_secs(25), "[tf {v}] took {took:?}");
        assert!(
            took >= Duration::from_secs(5),
            "[tf {v}] ended early: {took:?}"
        );
    }
}

/// A plan with `setting` in the provider block fails validation, saying `says`.
fn provider_setting_is_refused(setting: &str, says: &str) {
    let emulator = Emulator::start();
    for terraform in terraform_binaries() {
        let hcl = format!(
            r#"terraform {{
  required_providers {{
    emr = {{ source = "emrlaunch/emr" }}
  }}
}}

provider "emr" {{
  region = "us-east-1"
  {setting}
}}

resource "emr_security_configuration" "sc" {{
  name = "x"
  runtime_roles {{
    propagate_source_identity = true
  }}
}}
"#
        );
        let ws = Workspace::new(&terraform, &emulator, &hcl);
        let out = ws.run(&["plan", "-input=false", "-no-color"]);
        let said = out.all().split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(out.code, 1, "[tf {}] {said}", ws.version());
        assert!(said.contains(says), "{said}");
    }
}

#[test]
fn an_attempt_timeout_that_is_not_a_duration_fails_validation() {
    provider_setting_is_refused(
        "api_attempt_timeout = \"forever\"",
        "api_attempt_timeout must be a duration",
    );
}

#[test]
fn an_operation_timeout_out_of_range_fails_validation() {
    provider_setting_is_refused(
        "api_operation_timeout = \"2h\"",
        "api_operation_timeout must be a duration",
    );
}
