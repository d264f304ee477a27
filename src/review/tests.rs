//! The review of plans and states captured from Terraform 1.0.3 and 1.11
//! (tests/fixtures/review/, written by scripts/capture_review_fixtures.py).

use super::*;
use crate::review::render;

macro_rules! fixture {
    ($version:literal, $name:literal) => {
        include_str!(concat!(
            "../../tests/fixtures/review/tf",
            $version,
            "/",
            $name,
            ".json"
        ))
    };
}

/// Each fixture as both Terraform versions printed it.
macro_rules! both {
    ($name:literal) => {
        [fixture!("1.0.3", $name), fixture!("1.11.4", $name)]
    };
}

const ROLE: &str = "arn:aws:iam::123456789012:role/emr-rt-analyst";
const REFERENCE_OBJECTS: &str = "arn:aws:s3:::datalake/reference/*";

fn reviewed(text: &str) -> Report {
    review_text(text).unwrap()
}

fn with(report: &Report, status: Status) -> Vec<&Grant> {
    report
        .grants
        .iter()
        .filter(|g| g.status == status)
        .collect()
}

/// The grants of the reference prefix: objects, and listing limited to it.
fn assert_reference_grants(grants: &[&Grant]) {
    assert_eq!(grants.len(), 2, "{grants:#?}");
    for g in grants {
        assert_eq!(g.principal, ROLE);
        assert_eq!(g.group, Group::Data);
        assert_eq!(g.address, "emr_runtime_role.analyst");
        assert_eq!(g.attribute, "permissions_policy_json");
    }
    assert_eq!(grants[0].actions, ["s3:GetObject", "s3:GetObjectVersion"]);
    assert_eq!(grants[0].resources, [REFERENCE_OBJECTS]);
    assert!(grants[0].conditions.is_empty());
    assert_eq!(grants[1].actions, ["s3:ListBucket"]);
    assert_eq!(grants[1].resources, ["arn:aws:s3:::datalake"]);
    assert_eq!(grants[1].conditions[0].key, "s3:prefix");
    assert_eq!(grants[1].conditions[0].values, ["reference/*"]);
}

#[test]
fn adding_an_s3_prefix_adds_exactly_its_grants() {
    for text in both!("widen_role") {
        let r = reviewed(text);
        assert_eq!(r.kind, Kind::Plan);
        assert_reference_grants(&with(&r, Status::Added));
        assert!(with(&r, Status::Removed).is_empty());
        assert!(r.widens());
        assert!(r.count(Status::Unchanged) > 0);
        // Widened access first in its group.
        let data: Vec<_> = r.grants.iter().filter(|g| g.group == Group::Data).collect();
        assert_eq!(data[0].status, Status::Added);
    }
}

#[test]
fn removing_an_s3_prefix_removes_exactly_its_grants() {
    for text in both!("narrow_role") {
        let r = reviewed(text);
        assert_reference_grants(&with(&r, Status::Removed));
        assert!(with(&r, Status::Added).is_empty());
        assert!(!r.widens());
    }
}

#[test]
fn an_unchanged_replan_and_the_state_add_nothing() {
    for text in both!("replan_role").into_iter().chain(both!("state_role")) {
        let r = reviewed(text);
        assert!(!r.grants.is_empty());
        assert_eq!(r.count(Status::Unchanged), r.grants.len(), "{r:#?}");
        assert!(!r.widens());
    }
    assert_eq!(reviewed(fixture!("1.11.4", "state_role")).kind, Kind::State);
}

#[test]
fn a_create_adds_everything_and_a_destroy_removes_it() {
    // The capture destroys the role as the widened plan left it.
    let pairs = both!("create_role").into_iter().zip(both!("delete_role"));
    for ((create, delete), widened) in pairs.zip(both!("widen_role")) {
        let (c, d, w) = (reviewed(create), reviewed(delete), reviewed(widened));
        assert_eq!(c.count(Status::Added), c.grants.len());
        assert_eq!(d.count(Status::Removed), d.grants.len());
        assert!(c.widens() && !d.widens());
        // Rows merge by status, so compare what they grant, one by one.
        let shape = |r: &Report| {
            let mut out = std::collections::BTreeSet::new();
            for g in &r.grants {
                for a in &g.actions {
                    for x in &g.resources {
                        out.insert((
                            g.group,
                            g.principal.clone(),
                            a.clone(),
                            x.clone(),
                            g.conditions.clone(),
                        ));
                    }
                }
            }
            out
        };
        assert_eq!(shape(&d), shape(&w));
        assert_eq!(c.grants.len(), w.count(Status::Unchanged));
    }
}

#[test]
fn both_terraform_versions_review_the_same() {
    let strip = |mut r: Report| {
        r.terraform_version = None;
        r
    };
    for name in [
        both!("widen_role"),
        both!("narrow_role"),
        both!("delete_role"),
        both!("state_role"),
    ] {
        assert_eq!(strip(reviewed(name[0])), strip(reviewed(name[1])));
    }
}

#[test]
fn every_group_of_a_full_plan_is_filled() {
    for text in both!("create_everything") {
        let r = reviewed(text);
        for g in Group::ALL {
            assert!(r.grants.iter().any(|x| x.group == g), "{g:?} is empty");
        }
        let launch = r
            .grants
            .iter()
            .find(|g| g.group == Group::Launch && g.actions == ["states:StartExecution"])
            .expect("StartExecution grant");
        assert_eq!(
            launch.principal,
            "whoever is granted emr_launch_function.nightly.invoke_policy_json"
        );
        let secrets: Vec<_> = r
            .grants
            .iter()
            .filter(|g| g.group == Group::Secrets)
            .collect();
        assert!(secrets.iter().any(
            |g| g.principal.ends_with(":role/analytics-batch-emr-service")
                && g.attribute == "service_role_secret_policy_json"
        ));
        assert!(r
            .grants
            .iter()
            .any(|g| g.address == "module.customer.emr_serverless_dataplane.this"));
    }
}

#[test]
fn a_launch_says_what_it_may_pass_and_set() {
    let r = reviewed(fixture!("1.11.4", "create_everything"));
    let l = &r.launches[0];
    assert_eq!(l.address, "emr_launch_function.nightly");
    assert_eq!(l.may_set, ["CoreInstanceCount"]);
    assert_eq!(l.cluster_name.as_deref(), Some("nightly-etl"));
    let roles: Vec<&str> = l
        .passes
        .iter()
        .map(|p| p.rsplit('/').next().unwrap_or(""))
        .collect();
    assert_eq!(
        roles,
        [
            "analytics-batch-emr-autoscaling",
            "analytics-batch-emr-instance",
            "analytics-batch-emr-service"
        ]
    );
    assert!(l
        .passed_to
        .contains(&"elasticmapreduce.amazonaws.com".to_string()));
    let j = render::json(&r);
    let start = j["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["actions"] == serde_json::json!(["states:StartExecution"]))
        .unwrap();
    assert_eq!(
        start["launch_functions"],
        serde_json::json!(["emr_launch_function.nightly"])
    );
}

#[test]
fn unknown_policies_are_listed_not_guessed() {
    for text in both!("create_everything") {
        let r = reviewed(text);
        let unknown: Vec<(&str, &str)> = r
            .unreviewed
            .iter()
            .map(|u| (u.address.as_str(), u.attribute.as_str()))
            .collect();
        assert_eq!(
            unknown,
            [
                ("emr_runtime_role.scratch", "caller_policy_json"),
                (
                    "module.customer.emr_serverless_dataplane.this",
                    "launch_trust_policy_json"
                ),
            ]
        );
        assert!(r.unreviewed.iter().all(|u| u.reason == "known after apply"));
        assert!(!r
            .grants
            .iter()
            .any(|g| g.attribute == "launch_trust_policy_json"));
        // The role's ARN is unknown too: it says so instead of inventing one.
        assert!(r
            .grants
            .iter()
            .any(|g| g.principal == "emr_runtime_role.scratch.arn (known after apply)"));
    }
}

#[test]
fn external_ids_read_required_and_never_their_value() {
    let text = fixture!("1.11.4", "create_everything");
    assert!(text.contains("sc-external-id-1234"));
    let r = reviewed(text);
    let md = render::markdown(&r);
    let js = render::json(&r).to_string();
    assert!(!md.contains("sc-external-id-1234") && !js.contains("sc-external-id-1234"));
    let trust = r
        .grants
        .iter()
        .find(|g| g.conditions.iter().any(|c| c.key == "sts:ExternalId"))
        .expect("a trust grant with an external id");
    assert_eq!(
        trust
            .conditions
            .iter()
            .find(|c| c.key == "sts:ExternalId")
            .unwrap()
            .values,
        ["required"]
    );
    assert_eq!(
        trust.principal,
        "arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole"
    );
    assert_eq!(trust.resources, [ROLE]);
    assert!(md.contains("sts:ExternalId = required"));
}

#[test]
fn json_names_principal_actions_resources_and_conditions_of_every_grant() {
    for text in both!("widen_role")
        .into_iter()
        .chain(both!("create_everything"))
    {
        let r = reviewed(text);
        let j: serde_json::Value = serde_json::from_str(&render::json(&r).to_string()).unwrap();
        let grants = j["grants"].as_array().unwrap();
        assert_eq!(grants.len(), r.grants.len());
        for g in grants {
            assert!(
                g["principal"].as_str().is_some_and(|s| !s.is_empty()),
                "{g}"
            );
            assert!(
                g["actions"].as_array().is_some_and(|a| !a.is_empty()),
                "{g}"
            );
            assert!(
                g["resources"].as_array().is_some_and(|a| !a.is_empty()),
                "{g}"
            );
            assert!(g["conditions"].is_array(), "{g}");
            for key in ["status", "group", "address", "attribute", "effect"] {
                assert!(g[key].is_string(), "{key}: {g}");
            }
        }
        assert_eq!(j["widens"], serde_json::json!(true));
    }
}

#[test]
fn markdown_lists_groups_in_order_with_added_rows_marked() {
    let md = render::markdown(&reviewed(fixture!("1.0.3", "widen_role")));
    let at = |t: &str| md.find(t).unwrap_or_else(|| panic!("no {t:?} in\n{md}"));
    let order: Vec<usize> = Group::ALL
        .iter()
        .map(|g| at(&format!("## {}", g.title())))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{md}");
    assert!(md.contains("2 grants added, 0 removed"), "{md}");
    let added: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| **added**"))
        .collect();
    assert_eq!(added.len(), 2, "{md}");
    assert!(added[0].contains(REFERENCE_OBJECTS));
}

/// A job function is reviewed as a launch: its invoke policy is what an
/// operator grants, its role passes exactly the job role to EMR Serverless,
/// and a run may set exactly its overrides.
#[test]
fn a_job_function_says_what_a_run_may_pass_and_set() {
    use crate::iam::{job_function, launch_function, Scope};
    let scope = Scope {
        partition: "aws",
        account: "123456789012",
        region: "us-east-1",
    };
    let job_role = "arn:aws:iam::123456789012:role/acme-job-runtime";
    let sm = launch_function::state_machine_arn(&scope, "acme-etl-emr-job");
    let after = serde_json::json!({
        "state_machine_arn": sm,
        "role_arn": "arn:aws:iam::123456789012:role/acme-etl-emr-job-fn",
        "execution_role_arn": job_role,
        "role_policy_json": job_function::execution_policy(&scope, "00f1", job_role).canonical(),
        "role_trust_policy_json": launch_function::execution_trust(&scope, &sm).canonical(),
        "invoke_policy_json": launch_function::invoke_policy(&scope, "acme-etl-emr-job").canonical(),
        "execution_iam_policy_json": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme/*"}]}"#,
        "override": [{"name": "ExecutorInstances", "conf": "spark.executor.instances", "minimum": 1, "maximum": 50}]
    });
    let plan = serde_json::json!({
        "format_version": "1.2",
        "resource_changes": [{
            "address": "emr_serverless_job_function.etl",
            "mode": "managed",
            "type": "emr_serverless_job_function",
            "change": {"actions": ["create"], "before": null, "after": after, "after_unknown": {}}
        }]
    });
    let r = reviewed(&plan.to_string());
    let l = &r.launches[0];
    assert_eq!(l.address, "emr_serverless_job_function.etl");
    assert_eq!(l.may_set, ["ExecutorInstances"]);
    assert_eq!(l.passes, [job_role]);
    assert_eq!(l.passed_to, ["emr-serverless.amazonaws.com"]);
    let ceiling: Vec<&Grant> = r
        .grants
        .iter()
        .filter(|g| g.attribute == "execution_iam_policy_json")
        .collect();
    assert_eq!(ceiling.len(), 1, "{:#?}", r.grants);
    assert!(
        ceiling[0].principal.contains("session policy"),
        "{ceiling:#?}"
    );
    assert!(r
        .grants
        .iter()
        .any(|g| g.attribute == "invoke_policy_json"
            && g.principal.starts_with("whoever is granted")));
}

/// A managed policy whose ARN is known only after apply (here, of something
/// made in the same apply) cannot be reviewed: it is listed as unreviewed,
/// so `--fail-on-widening` fails, even when nothing else about the role
/// changes.
#[test]
fn a_managed_policy_known_after_apply_widens() {
    for text in both!("unknown_attachment") {
        // Only the existing role's update: the other role's create would
        // widen on its own.
        let mut plan: serde_json::Value = serde_json::from_str(text).unwrap();
        plan["resource_changes"]
            .as_array_mut()
            .unwrap()
            .retain(|c| c["address"] == "emr_runtime_role.reader");
        let r = reviewed(&plan.to_string());
        assert!(!r.grants.is_empty());
        assert_eq!(
            r.grants.len(),
            r.count(Status::Unchanged),
            "{:#?}",
            r.grants
        );
        assert!(r.attachments.is_empty(), "{:#?}", r.attachments);
        let u: Vec<(&str, &str, &str)> = r
            .unreviewed
            .iter()
            .map(|u| (u.address.as_str(), u.attribute.as_str(), u.holder.as_str()))
            .collect();
        assert_eq!(
            u,
            [(
                "emr_runtime_role.reader",
                "managed_policy_arns",
                "arn:aws:iam::123456789012:role/emr-rt-reader"
            )]
        );
        assert!(r.widens());
    }
}
