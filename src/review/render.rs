//! The review as markdown (tables per group, for a pull request comment or
//! a CI log) or as JSON (for tools).

use std::fmt::Write as _;

use serde_json::{json, Value as J};

use super::grants::{Condition, Grant, Group, Status};
use super::{LaunchScope, Report};

/// Version of the JSON document's shape.
pub const JSON_FORMAT: u32 = 1;

fn condition_text(c: &Condition) -> String {
    format!("{} {} = {}", c.operator, c.key, c.values.join(" | "))
}

/// The launch functions whose state machine a grant names.
fn launched<'a>(g: &Grant, launches: &'a [LaunchScope]) -> Vec<&'a LaunchScope> {
    if g.group != Group::Launch {
        return Vec::new();
    }
    launches
        .iter()
        .filter(|l| g.resources.contains(&l.state_machine_arn))
        .collect()
}

pub fn json(report: &Report) -> J {
    let grants: Vec<J> = report
        .grants
        .iter()
        .map(|g| {
            json!({
                "group": g.group.key(),
                "status": g.status.name(),
                "address": g.address,
                "attribute": g.attribute,
                "principal": g.principal,
                "effect": g.effect(),
                "actions": g.actions,
                "resources": g.resources,
                "conditions": g.conditions.iter().map(|c| json!({
                    "operator": c.operator, "key": c.key, "values": c.values,
                })).collect::<Vec<_>>(),
                "launch_functions": launched(g, &report.launches).iter().map(|l| &l.address).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "review_format": JSON_FORMAT,
        "input": report.kind.name(),
        "terraform_version": report.terraform_version,
        "widens": report.widens(),
        "summary": {
            "added": report.count(Status::Added),
            "removed": report.count(Status::Removed),
            "unchanged": report.count(Status::Unchanged),
            "unreviewed": report.unreviewed.len(),
        },
        "groups": Group::ALL.iter().map(|g| json!({"key": g.key(), "title": g.title()})).collect::<Vec<_>>(),
        "grants": grants,
        "unreviewed_policies": report.unreviewed.iter().map(|u| json!({
            "status": "unknown", "address": u.address, "attribute": u.attribute,
            "principal": u.holder, "reason": u.reason,
        })).collect::<Vec<_>>(),
        "managed_policy_attachments": report.attachments.iter().map(|a| json!({
            "status": a.status.name(), "address": a.address,
            "principal": a.holder, "policy_arn": a.policy_arn,
        })).collect::<Vec<_>>(),
        "launch_functions": report.launches.iter().map(|l| json!({
            "address": l.address, "state_machine_arn": l.state_machine_arn,
            "cluster_name": l.cluster_name, "may_set_overrides": l.may_set,
            "passes_roles": l.passes, "passed_to_services": l.passed_to,
        })).collect::<Vec<_>>(),
    })
}

/// A markdown code span that holds any text, backticks included.
fn code(s: &str) -> String {
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

/// Text for a markdown table cell: pipes escaped, lines joined.
fn cell(items: &[String], as_code: bool) -> String {
    if items.is_empty() {
        return "—".into();
    }
    items
        .iter()
        .map(|i| {
            let i = i.replace('|', "\\|");
            if as_code {
                code(&i)
            } else {
                i
            }
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

fn status_cell(g: &Grant) -> String {
    let s = match g.status {
        Status::Added => "**added**".to_string(),
        Status::Removed => "~~removed~~".to_string(),
        Status::Unchanged => "unchanged".to_string(),
    };
    if g.deny {
        format!("{s} (Deny)")
    } else {
        s
    }
}

fn summary(report: &Report) -> String {
    let version = report
        .terraform_version
        .as_deref()
        .map(|v| format!(" (Terraform {v})"))
        .unwrap_or_default();
    let mut s = format!(
        "Reviewed a {}{version}: {} grants added, {} removed, {} unchanged",
        report.kind.name(),
        report.count(Status::Added),
        report.count(Status::Removed),
        report.count(Status::Unchanged),
    );
    if !report.unreviewed.is_empty() {
        let _ = write!(
            s,
            "; {} policies could not be reviewed",
            report.unreviewed.len()
        );
    }
    s.push_str(".\n\n");
    s.push_str(if report.widens() {
        "**Access widens.** Added grants are listed first in each group.\n"
    } else {
        "No access is added.\n"
    });
    s
}

fn group_section(out: &mut String, report: &Report, group: Group) {
    let _ = writeln!(out, "\n## {}\n", group.title());
    let rows: Vec<&Grant> = report.grants.iter().filter(|g| g.group == group).collect();
    if rows.is_empty() {
        out.push_str("_None._\n");
    } else {
        out.push_str("| Status | Principal | Actions | Resources | Conditions | Policy |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for g in rows {
            let conditions: Vec<String> = g.conditions.iter().map(condition_text).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                status_cell(g),
                cell(std::slice::from_ref(&g.principal), true),
                cell(&g.actions, true),
                cell(&g.resources, true),
                cell(&conditions, false),
                cell(&[format!("{}.{}", g.address, g.attribute)], true),
            );
        }
    }
    if group == Group::Launch && !report.launches.is_empty() {
        out.push_str("\nWhat a launch may pass and set:\n\n");
        for l in &report.launches {
            let _ = writeln!(out, "- {}", launch_line(l));
        }
    }
}

fn launch_line(l: &LaunchScope) -> String {
    let list = |v: &[String]| {
        if v.is_empty() {
            "nothing".to_string()
        } else {
            v.iter().map(|s| code(s)).collect::<Vec<_>>().join(", ")
        }
    };
    let name = l
        .cluster_name
        .as_deref()
        .map(|n| format!(", cluster name {} (the input may replace it)", code(n)))
        .unwrap_or_default();
    let to = if l.passed_to.is_empty() {
        String::new()
    } else {
        format!(" to {}", list(&l.passed_to))
    };
    format!(
        "{} ({}){name}: passes {}{to}; may set overrides {}",
        code(&l.address),
        code(&l.state_machine_arn),
        list(&l.passes),
        list(&l.may_set)
    )
}

fn unreviewed_section(out: &mut String, report: &Report) {
    if report.unreviewed.is_empty() {
        return;
    }
    out.push_str("\n## Not reviewed\n\n");
    out.push_str(
        "Review these after apply with `terraform show -json | terraform-provider-emr review`.\n\n",
    );
    out.push_str("| Policy | On | Why |\n|---|---|---|\n");
    for u in &report.unreviewed {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            cell(&[format!("{}.{}", u.address, u.attribute)], true),
            cell(std::slice::from_ref(&u.holder), true),
            u.reason.replace('|', "\\|")
        );
    }
}

fn attachment_section(out: &mut String, report: &Report) {
    if report.attachments.is_empty() {
        return;
    }
    out.push_str("\n## Managed policies attached\n\n");
    out.push_str("Their contents are not in the plan.\n\n");
    out.push_str("| Status | Role | Policy | Resource |\n|---|---|---|---|\n");
    for a in &report.attachments {
        let status = match a.status {
            Status::Added => "**added**",
            Status::Removed => "~~removed~~",
            Status::Unchanged => "unchanged",
        };
        let _ = writeln!(
            out,
            "| {status} | {} | {} | {} |",
            cell(std::slice::from_ref(&a.holder), true),
            cell(std::slice::from_ref(&a.policy_arn), true),
            cell(std::slice::from_ref(&a.address), true),
        );
    }
}

pub fn markdown(report: &Report) -> String {
    let mut out = String::from("# Access review\n\n");
    out.push_str(&summary(report));
    for g in Group::ALL {
        group_section(&mut out, report, g);
    }
    unreviewed_section(&mut out, report);
    attachment_section(&mut out, report);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_tables_intact() {
        assert_eq!(
            cell(&["a|b".into(), "c`d".into()], true),
            "`a\\|b`<br>`` c`d ``"
        );
        assert_eq!(cell(&[], true), "—");
    }
}
