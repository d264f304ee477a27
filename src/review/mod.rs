//! The access review (`terraform-provider-emr review`): reads the JSON of
//! `terraform show -json` (a saved plan or the state) and says, for every IAM
//! policy this provider writes in it, who may do what — grouped as the spec
//! asks, and for a plan marked added / removed / unchanged against the prior
//! state. Reads nothing from AWS.

pub mod cli;
pub mod grants;
pub mod input;
pub mod render;
pub mod sources;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use serde_json::Value as J;

pub use grants::{Grant, Group, Status};
pub use input::{Change, Input, Kind};
use sources::{Policy, PolicySource};

/// A policy the review cannot read: known only after apply, or not a
/// policy document.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnreviewedPolicy {
    pub address: String,
    pub attribute: String,
    pub holder: String,
    pub reason: String,
}

/// A managed policy attached to a role, against the prior state.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AttachmentChange {
    pub status: Status,
    pub address: String,
    pub holder: String,
    pub policy_arn: String,
}

/// What a launch function lets a launching user do besides starting it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LaunchScope {
    pub address: String,
    pub state_machine_arn: String,
    pub cluster_name: Option<String>,
    /// Overrides an execution input may set.
    pub may_set: Vec<String>,
    /// Roles the launch passes to the cluster.
    pub passes: Vec<String>,
    /// The services they are passed to (iam:PassedToService).
    pub passed_to: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub kind: Kind,
    pub terraform_version: Option<String>,
    /// Sorted: by group, then added before removed before unchanged.
    pub grants: Vec<Grant>,
    pub unreviewed: Vec<UnreviewedPolicy>,
    pub attachments: Vec<AttachmentChange>,
    pub launches: Vec<LaunchScope>,
}

impl Report {
    pub fn count(&self, status: Status) -> usize {
        self.grants.iter().filter(|g| g.status == status).count()
    }

    /// Access may be wider after this plan: an Allow added, a Deny removed, a
    /// managed policy attached, or a policy the review cannot read.
    pub fn widens(&self) -> bool {
        self.grants.iter().any(Grant::widens)
            || self.attachments.iter().any(|a| a.status == Status::Added)
            || !self.unreviewed.is_empty()
    }
}

/// Reviews the text of `terraform show -json`.
pub fn review_text(text: &str) -> Result<Report, String> {
    input::parse(text).map(|i| review(&i))
}

pub fn review(input: &Input) -> Report {
    let mut report = Report {
        kind: input.kind,
        terraform_version: input.terraform_version.clone(),
        grants: Vec::new(),
        unreviewed: Vec::new(),
        attachments: Vec::new(),
        launches: Vec::new(),
    };
    for c in &input.changes {
        review_change(c, &mut report);
        attachment_changes(c, &mut report);
        if let Some(scope) = launch_scope(c) {
            report.launches.push(scope);
        }
    }
    report.grants.sort();
    report.unreviewed.sort();
    report.attachments.sort();
    report.launches.sort();
    report
}

fn review_change(c: &Change, report: &mut Report) {
    let none = J::Null;
    let policies = |v: &Option<J>, unknown: &J| -> Vec<PolicySource> {
        v.as_ref()
            .map(|v| sources::policies(&c.resource_type, &c.address, v, unknown))
            .unwrap_or_default()
    };
    let before = policies(&c.before, &none);
    let after = policies(&c.after, &c.after_unknown);
    // What cannot be read after the change cannot be compared either.
    let mut blind = Vec::new();
    for s in &after {
        let reason = match &s.policy {
            Policy::Known(_) => continue,
            Policy::Unknown => "known after apply".to_string(),
            Policy::Unreadable(e) => format!("not an IAM policy: {e}"),
        };
        blind.push(s.attribute.clone());
        report.unreviewed.push(UnreviewedPolicy {
            address: c.address.clone(),
            attribute: s.attribute.clone(),
            holder: s.holder.clone(),
            reason,
        });
    }
    let hidden = |attr: &str| {
        blind
            .iter()
            .any(|b| attr == b || attr.starts_with(&format!("{b}.")))
    };
    let known = |list: &[PolicySource]| -> BTreeSet<grants::Grain> {
        list.iter()
            .filter(|s| !hidden(&s.attribute))
            .filter_map(|s| match &s.policy {
                Policy::Known(doc) => Some(grants::grains(s, doc)),
                _ => None,
            })
            .flatten()
            .collect()
    };
    let d = grants::diff(&known(&before), &known(&after));
    report.grants.extend(grants::merge(&c.address, d));
}

fn attachment_changes(c: &Change, report: &mut Report) {
    let none = J::Null;
    let set = |v: &Option<J>, unknown: &J| -> BTreeSet<sources::Attachment> {
        v.as_ref()
            .map(|v| sources::attachments(&c.resource_type, &c.address, v, unknown))
            .unwrap_or_default()
            .into_iter()
            .collect()
    };
    let before = set(&c.before, &none);
    let after = set(&c.after, &c.after_unknown);
    if let Some(v) = &c.after {
        for (attribute, holder) in
            sources::unknown_attachments(&c.resource_type, &c.address, v, &c.after_unknown)
        {
            report.unreviewed.push(UnreviewedPolicy {
                address: c.address.clone(),
                attribute,
                holder,
                reason: "a managed policy known after apply".to_string(),
            });
        }
    }
    let mut push = |a: &sources::Attachment, status| {
        report.attachments.push(AttachmentChange {
            status,
            address: c.address.clone(),
            holder: a.holder.clone(),
            policy_arn: a.policy_arn.clone(),
        })
    };
    for a in &after {
        push(
            a,
            if before.contains(a) {
                Status::Unchanged
            } else {
                Status::Added
            },
        );
    }
    for a in before.difference(&after) {
        push(a, Status::Removed);
    }
}

/// A launch function's (or job function's) scope, from its values after the
/// change (before, for one being destroyed).
fn launch_scope(c: &Change) -> Option<LaunchScope> {
    let job = c.resource_type == "emr_serverless_job_function";
    if c.resource_type != "emr_launch_function" && !job {
        return None;
    }
    let (values, unknown) = match (&c.after, &c.before) {
        (Some(a), _) => (a, &c.after_unknown),
        (None, Some(b)) => (b, &J::Null),
        (None, None) => return None,
    };
    let text = |attr: &str| values[attr].as_str().filter(|s| !s.is_empty());
    let state_machine_arn = match text("state_machine_arn") {
        Some(a) => a.to_string(),
        None if unknown["state_machine_arn"] == J::Bool(true) => {
            format!("{}.state_machine_arn (known after apply)", c.address)
        }
        None => return None,
    };
    let mut passes = BTreeSet::new();
    let mut passed_to = BTreeSet::new();
    for s in sources::policies(&c.resource_type, &c.address, values, unknown) {
        let Policy::Known(doc) = &s.policy else {
            continue;
        };
        // The state machine's role passes the roles, or with Kerberos the launcher's.
        if !matches!(
            s.attribute.as_str(),
            "role_policy_json" | "launcher_role_policy_json"
        ) {
            continue;
        }
        for g in grants::grains(&s, doc)
            .into_iter()
            .filter(|g| g.group == Group::Pass)
        {
            passes.insert(g.resource);
            for cond in g.conditions {
                if cond.key.eq_ignore_ascii_case("iam:PassedToService") {
                    passed_to.extend(cond.values);
                }
            }
        }
    }
    // A job function's overrides are blocks; a launch function's, names.
    let may_set = match job {
        true => values["override"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["name"].as_str())
            .map(str::to_string)
            .collect(),
        false => values["allowed_overrides"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(J::as_str)
            .map(str::to_string)
            .collect(),
    };
    Some(LaunchScope {
        address: c.address.clone(),
        state_machine_arn,
        cluster_name: text("cluster_name").map(str::to_string),
        may_set,
        passes: passes.into_iter().collect(),
        passed_to: passed_to.into_iter().collect(),
    })
}
