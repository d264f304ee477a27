//! `terraform validate` of a workspace with one resource of this provider,
//! against a workspace with no external provider: what the provider adds to
//! the cheapest Terraform command (starting it, usually more than once, and
//! its schema). With `EMR_BENCH_FLOOR_PROVIDER` (what `make bench` sets), also
//! against the floor provider (benches/floor-provider): the same plugin stack
//! with nothing in it, which shows how much of the ratio is the cost of being
//! an AutoMTLS plugin process at all.

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

const FLOOR: &str = r#"terraform {
  required_providers {
    emr = { source = "emrlaunch/emr" }
  }
}

provider "emr" {
  region = "us-east-1"
}

resource "emr_nothing" "one" {
  name = "one"
}
"#;

const VALIDATE: &[&str] = &["validate", "-no-color"];

fn ratio(a: &Stats, b: &Stats) -> f64 {
    a.median().as_secs_f64() / b.median().as_secs_f64()
}

pub fn run(terraform: &Path, runs: usize) {
    let binary = crate::provider_binary();
    let floor = crate::floor_provider_binary();
    let mut spaces = vec![
        Workspace::new(terraform, &binary, None, EMPTY),
        Workspace::new(terraform, &binary, None, ONE_RESOURCE),
    ];
    if let Some(floor) = &floor {
        spaces.push(Workspace::new(terraform, floor, None, FLOOR));
    }
    // One untimed run each, then round-robin so that load on the machine
    // falls on all alike.
    for w in &mut spaces {
        w.run_expect(VALIDATE, 0);
    }
    let mut times = vec![Vec::new(); spaces.len()];
    for _ in 0..runs {
        for (w, t) in spaces.iter_mut().zip(&mut times) {
            t.push(w.run_expect(VALIDATE, 0));
        }
    }
    let stats: Vec<Stats> = times.into_iter().map(Stats::of).collect();
    let (t_empty, t_one) = (&stats[0], &stats[1]);
    println!("terraform validate ({runs} runs each after 1 warm-up, round-robin)");
    println!("  empty workspace, no provider     {}", t_empty.line());
    println!("  one emr_security_configuration   {}", t_one.line());
    if let Some(t_floor) = stats.get(2) {
        println!("  one resource of the floor        {}", t_floor.line());
    }
    println!(
        "  ratio of medians                 {:.2}× ({} added by the provider)",
        ratio(t_one, t_empty),
        ms(t_one.median().saturating_sub(t_empty.median()))
    );
    if let Some(t_floor) = stats.get(2) {
        println!(
            "  floor provider / empty           {:.2}× (any AutoMTLS provider on this stack)",
            ratio(t_floor, t_empty)
        );
        println!(
            "  this provider / floor provider   {:.2}× ({} more than the floor)",
            ratio(t_one, t_floor),
            ms(t_one.median().saturating_sub(t_floor.median()))
        );
    }
}
