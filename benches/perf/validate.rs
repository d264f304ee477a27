//! `terraform validate` of a workspace with one resource of this provider,
//! against a workspace with no external provider: what the provider adds to
//! the cheapest Terraform command (starting it, usually more than once, and
//! its schema).

use std::path::Path;

use crate::stats::{ms, Stats};
use crate::terraform::Workspace;

const ONE_RESOURCE: &str = r#"terraform {
  required_providers {
    emr = { source = "emrlaunch/emr" }
  }
}

provider "emr" {
  region = "us-east-1"
}

resource "emr_security_configuration" "rt" {
  name = "runtime-roles"

  runtime_roles {
    propagate_source_identity             = true
    lake_formation_authorized_session_tag = "Amazon EMR"
  }
}
"#;

const EMPTY: &str = "locals {\n  name = \"empty\"\n}\n";

const VALIDATE: &[&str] = &["validate", "-no-color"];

pub fn run(terraform: &Path, runs: usize) {
    let binary = crate::provider_binary();
    let mut empty = Workspace::new(terraform, &binary, None, EMPTY);
    let mut one = Workspace::new(terraform, &binary, None, ONE_RESOURCE);
    // One untimed run each, then alternate so that load on the machine
    // falls on both alike.
    empty.run_expect(VALIDATE, 0);
    one.run_expect(VALIDATE, 0);
    let mut t_empty = Vec::new();
    let mut t_one = Vec::new();
    for _ in 0..runs {
        t_empty.push(empty.run_expect(VALIDATE, 0));
        t_one.push(one.run_expect(VALIDATE, 0));
    }
    let (t_empty, t_one) = (Stats::of(t_empty), Stats::of(t_one));
    println!("terraform validate ({runs} runs each after 1 warm-up, alternating)");
    println!("  empty workspace, no provider     {}", t_empty.line());
    println!("  one emr_security_configuration   {}", t_one.line());
    println!(
        "  ratio of medians                 {:.2}× ({} added by the provider)",
        t_one.median().as_secs_f64() / t_empty.median().as_secs_f64(),
        ms(t_one.median().saturating_sub(t_empty.median()))
    );
}
