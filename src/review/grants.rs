//! Policies as grants: who may do what, on what, under which conditions.
//! A change is judged grain by grain (one principal, effect, action,
//! resource and condition set), so adding one S3 prefix shows as exactly
//! the grants it adds; grains are merged back into readable rows after.

use std::collections::{BTreeMap, BTreeSet};

use crate::iam::{Effect, PolicyDocument, Principal, Statement};

use super::sources::PolicySource;

/// How the review groups access, in the order it prints them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    Launch,
    Assume,
    Pass,
    Secrets,
    Data,
    Other,
}

impl Group {
    pub const ALL: [Group; 6] = [
        Group::Launch,
        Group::Assume,
        Group::Pass,
        Group::Secrets,
        Group::Data,
        Group::Other,
    ];
    /// The name in JSON output.
    pub fn key(self) -> &'static str {
        match self {
            Group::Launch => "can_launch",
            Group::Assume => "can_assume",
            Group::Pass => "can_pass",
            Group::Secrets => "can_read_secrets",
            Group::Data => "data_access",
            Group::Other => "other",
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            Group::Launch => "Can launch",
            Group::Assume => "Can assume",
            Group::Pass => "Can pass roles",
            Group::Secrets => "Can read secrets",
            Group::Data => "Data access (S3, KMS)",
            Group::Other => "Other",
        }
    }
}

/// A grant against the prior state. Ordered so that added access comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Added,
    Removed,
    Unchanged,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Unchanged => "unchanged",
        }
    }
}

/// One condition: operator, key and the values (an external id's value is
/// never kept: it reads "required").
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Condition {
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
    /// For values the review does not show (an external id): a digest of
    /// them, never printed, so that a new value still compares as a new
    /// grant (the old id no longer opens the role, the new one does).
    /// Empty for shown values.
    pub hidden: String,
}

/// SHA-256 of the values, in hex: compared, never shown.
fn digest_of(values: &BTreeSet<String>) -> String {
    let joined: Vec<&str> = values.iter().map(String::as_str).collect();
    let d = ring::digest::digest(&ring::digest::SHA256, joined.join("\0").as_bytes());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// What stands for an external id's value.
pub const REQUIRED: &str = "required";

/// The smallest piece of access a change is judged at.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Grain {
    pub group: Group,
    pub attribute: String,
    pub principal: String,
    pub deny: bool,
    pub action: String,
    pub resource: String,
    pub conditions: Vec<Condition>,
}

/// Actions (lower case) that put a grant in a group; an action pattern with
/// wildcards belongs to the first group one of whose actions it matches.
const LAUNCH: &[&str] = &[
    "states:startexecution",
    "states:startsyncexecution",
    "elasticmapreduce:runjobflow",
    "elasticmapreduce:addjobflowsteps",
    "emr-serverless:startjobrun",
];
const ASSUME: &[&str] = &[
    "sts:assumerole",
    "sts:tagsession",
    "sts:setsourceidentity",
    "sts:setcontext",
];
const PASS: &[&str] = &["iam:passrole"];
const SECRETS: &[&str] = &[
    "secretsmanager:getsecretvalue",
    "secretsmanager:batchgetsecretvalue",
];
const DATA_SERVICES: &[&str] = &["s3", "kms"];

/// `*` and `?` wildcards, ASCII case-insensitive (IAM action names are).
/// Iterative, so a pattern from a hostile plan cannot exhaust the stack.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and how much of the text it has taken.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == b'?' || c.eq_ignore_ascii_case(&t[ti]) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    star = Some((sp, st + 1));
                    pi = sp + 1;
                    ti = st + 1;
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

pub fn classify(trust: bool, action: &str) -> Group {
    if trust {
        return Group::Assume;
    }
    let any = |list: &[&str]| list.iter().any(|a| glob(action, a));
    if any(LAUNCH) {
        Group::Launch
    } else if any(ASSUME) {
        Group::Assume
    } else if any(PASS) {
        Group::Pass
    } else if any(SECRETS) {
        Group::Secrets
    } else if DATA_SERVICES.iter().any(|s| {
        let service = action.split(':').next().unwrap_or(action);
        glob(service, s)
    }) {
        Group::Data
    } else {
        Group::Other
    }
}

fn except(list: &BTreeSet<String>) -> String {
    format!(
        "all except {}",
        list.iter().cloned().collect::<Vec<_>>().join(", ")
    )
}

/// "AWS" principals that are ARNs read as themselves; others say their type.
fn principal_names(p: &Principal) -> Vec<String> {
    match p {
        Principal::Any => vec!["* (anyone)".into()],
        Principal::Typed(m) => m
            .iter()
            .flat_map(|(ty, ids)| {
                ids.iter().map(move |id| match ty.as_str() {
                    "AWS" if id.starts_with("arn:") => id.clone(),
                    "AWS" if id == "*" => "* (anyone)".into(),
                    _ => format!("{ty}: {id}"),
                })
            })
            .collect(),
    }
}

/// The condition sets a statement grants under. One operator with one key
/// lists alternatives (any value matches), so each value is its own grant;
/// negated and ForAllValues operators, or several keys, stay whole.
fn condition_variants(st: &Statement) -> Vec<Vec<Condition>> {
    let mut all = Vec::new();
    for (op, kv) in &st.conditions {
        for (key, values) in kv {
            let (values, hidden) = if key.eq_ignore_ascii_case("sts:ExternalId") {
                (vec![REQUIRED.to_string()], digest_of(values))
            } else {
                (values.iter().cloned().collect(), String::new())
            };
            all.push(Condition {
                operator: op.clone(),
                key: key.clone(),
                values,
                hidden,
            });
        }
    }
    let lower = |s: &str| s.to_ascii_lowercase();
    match all.as_slice() {
        [only]
            if only.values.len() > 1
                && !lower(&only.operator).contains("not")
                && !lower(&only.operator).starts_with("forallvalues") =>
        {
            only.values
                .iter()
                .map(|v| {
                    vec![Condition {
                        values: vec![v.clone()],
                        ..only.clone()
                    }]
                })
                .collect()
        }
        _ => vec![all],
    }
}

/// Who a statement grants to, and on which resources.
fn who_and_what(src: &PolicySource, st: &Statement) -> (Vec<String>, Vec<String>) {
    if src.trust {
        let mut who = Vec::new();
        if let Some(p) = &st.principal {
            who.extend(principal_names(p));
        }
        if let Some(p) = &st.not_principal {
            who.push(format!("anyone except {}", principal_names(p).join(", ")));
        }
        return (who, vec![src.holder.clone()]);
    }
    let mut what: Vec<String> = st.resources.iter().cloned().collect();
    if !st.not_resources.is_empty() {
        what.push(except(&st.not_resources));
    }
    if what.is_empty() {
        what.push("(no resource)".into());
    }
    (vec![src.holder.clone()], what)
}

/// Every grain of a known policy.
pub fn grains(src: &PolicySource, doc: &PolicyDocument) -> BTreeSet<Grain> {
    let mut out = BTreeSet::new();
    for st in &doc.statements {
        let mut actions: Vec<String> = st.actions.iter().cloned().collect();
        if !st.not_actions.is_empty() {
            actions.push(except(&st.not_actions));
        }
        let (who, what) = who_and_what(src, st);
        let variants = condition_variants(st);
        for action in &actions {
            let group = if st.not_actions.is_empty() || st.actions.contains(action) {
                classify(src.trust, action)
            } else if src.trust {
                Group::Assume
            } else {
                Group::Other
            };
            for principal in &who {
                for resource in &what {
                    for conditions in &variants {
                        out.insert(Grain {
                            group,
                            attribute: src.attribute.clone(),
                            principal: principal.clone(),
                            deny: st.effect == Effect::Deny,
                            action: action.clone(),
                            resource: resource.clone(),
                            conditions: conditions.clone(),
                        });
                    }
                }
            }
        }
    }
    out
}

/// Each grain of either side with its status.
pub fn diff(before: &BTreeSet<Grain>, after: &BTreeSet<Grain>) -> Vec<(Grain, Status)> {
    let mut out: Vec<(Grain, Status)> = after
        .iter()
        .map(|g| {
            let s = if before.contains(g) {
                Status::Unchanged
            } else {
                Status::Added
            };
            (g.clone(), s)
        })
        .collect();
    out.extend(
        before
            .difference(after)
            .map(|g| (g.clone(), Status::Removed)),
    );
    out
}

/// A grant as the review prints it: grains that differ only in action or
/// resource, merged.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    pub group: Group,
    pub status: Status,
    pub address: String,
    pub attribute: String,
    pub principal: String,
    pub deny: bool,
    pub conditions: Vec<Condition>,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

impl Grant {
    pub fn effect(&self) -> &'static str {
        if self.deny {
            "Deny"
        } else {
            "Allow"
        }
    }
    /// More access than before: an Allow added or a Deny removed.
    pub fn widens(&self) -> bool {
        matches!(
            (self.status, self.deny),
            (Status::Added, false) | (Status::Removed, true)
        )
    }
}

type RowKey = (Group, Status, String, String, String, bool, Vec<Condition>);

/// Merges the grains of one resource (`address`) into rows: first the
/// resources of each action, then the actions with the same resources.
pub fn merge(address: &str, grains: Vec<(Grain, Status)>) -> Vec<Grant> {
    let mut by_action: BTreeMap<(RowKey, String), BTreeSet<String>> = BTreeMap::new();
    for (g, status) in grains {
        let key: RowKey = (
            g.group,
            status,
            address.to_string(),
            g.attribute,
            g.principal,
            g.deny,
            g.conditions,
        );
        by_action
            .entry((key, g.action))
            .or_default()
            .insert(g.resource);
    }
    let mut rows: BTreeMap<(RowKey, Vec<String>), BTreeSet<String>> = BTreeMap::new();
    for ((key, action), resources) in by_action {
        rows.entry((key, resources.into_iter().collect()))
            .or_default()
            .insert(action);
    }
    rows.into_iter()
        .map(|((key, resources), actions)| {
            let (group, status, address, attribute, principal, deny, conditions) = key;
            Grant {
                group,
                status,
                address,
                attribute,
                principal,
                deny,
                conditions,
                actions: actions.into_iter().collect(),
                resources,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::sources::Policy;

    fn source(trust: bool, text: &str) -> (PolicySource, PolicyDocument) {
        let doc = PolicyDocument::parse(text).unwrap();
        let src = PolicySource {
            attribute: "p".into(),
            trust,
            holder: "arn:aws:iam::123456789012:role/r".into(),
            policy: Policy::Known(doc.clone()),
        };
        (src, doc)
    }

    #[test]
    fn groups_follow_the_action() {
        assert_eq!(classify(false, "states:StartExecution"), Group::Launch);
        assert_eq!(classify(false, "iam:PassRole"), Group::Pass);
        assert_eq!(classify(false, "iam:Pass*"), Group::Pass);
        assert_eq!(classify(false, "sts:AssumeRole"), Group::Assume);
        assert_eq!(
            classify(false, "secretsmanager:GetSecretValue"),
            Group::Secrets
        );
        assert_eq!(classify(false, "s3:GetObject"), Group::Data);
        assert_eq!(classify(false, "kms:Decrypt"), Group::Data);
        assert_eq!(classify(false, "ssm:GetParameter"), Group::Other);
        assert_eq!(classify(true, "sts:TagSession"), Group::Assume);
        assert!(glob("S3:Get*", "s3:getobject"));
        assert!(!glob("s3:Get?", "s3:GetObject"));
        assert!(glob("*", "") && glob("s3:*Obj?ct", "s3:GetObject"));
        assert!(glob("*:*Secret*", "secretsmanager:GetSecretValue"));
        assert!(!glob("s3:*x", "s3:GetObject") && !glob("", "s3"));
        let hostile = "*a".repeat(100_000);
        assert!(!glob(&hostile, "iam:passrole"));
    }

    #[test]
    fn one_prefix_more_is_exactly_the_grants_it_adds() {
        let policy = |prefixes: &str| {
            format!(
                r#"{{"Statement":[{{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::lake","Condition":{{"StringLike":{{"s3:prefix":[{prefixes}]}}}}}}]}}"#
            )
        };
        let (src, before) = source(false, &policy(r#""a/*""#));
        let (_, after) = source(false, &policy(r#""a/*","b/*""#));
        let d = diff(&grains(&src, &before), &grains(&src, &after));
        let added: Vec<_> = d.iter().filter(|(_, s)| *s == Status::Added).collect();
        assert_eq!(added.len(), 1, "{d:?}");
        assert_eq!(added[0].0.conditions[0].values, ["b/*"]);
        assert_eq!(d.iter().filter(|(_, s)| *s == Status::Removed).count(), 0);
    }

    #[test]
    fn trust_grants_name_the_trusted_principal_and_hide_the_external_id() {
        let (src, doc) = source(
            true,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:role/cp","Service":"emr-serverless.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"s3cr3t","aws:SourceAccount":"123456789012"}}}]}"#,
        );
        let g = grains(&src, &doc);
        let who: BTreeSet<_> = g.iter().map(|g| g.principal.as_str()).collect();
        assert_eq!(
            who,
            BTreeSet::from([
                "Service: emr-serverless.amazonaws.com",
                "arn:aws:iam::999988887777:role/cp"
            ])
        );
        assert!(g.iter().all(|g| g.resource == src.holder));
        let text = format!("{g:?}");
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(text.contains(REQUIRED));
    }

    /// A new external id opens the role to whoever holds the new one, so it
    /// is a new grant, though neither value is shown.
    #[test]
    fn a_changed_external_id_is_a_new_grant_and_stays_hidden() {
        let trust = |id: &str| {
            source(
                true,
                &format!(
                    r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"{id}"}}}}}}]}}"#
                ),
            )
        };
        let (src, team_a) = trust("team-a-configuration");
        let (_, team_b) = trust("team-b-configuration");
        let d = diff(&grains(&src, &team_a), &grains(&src, &team_b));
        let status: Vec<Status> = d.iter().map(|(_, s)| *s).collect();
        assert_eq!(status, [Status::Added, Status::Removed], "{d:?}");
        for (g, _) in &d {
            assert_eq!(g.conditions[0].values, [REQUIRED]);
        }
        let text = format!("{d:?}");
        assert!(
            !text.contains("team-a") && !text.contains("team-b"),
            "{text}"
        );
        let same = diff(&grains(&src, &team_a), &grains(&src, &team_a));
        assert!(
            same.iter().all(|(_, s)| *s == Status::Unchanged),
            "{same:?}"
        );
        assert!(!same.is_empty());
    }

    #[test]
    fn rows_merge_actions_and_resources() {
        let (src, doc) = source(
            false,
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::a/*","arn:aws:s3:::b/*"]},
                {"Effect":"Deny","NotAction":"s3:*","Resource":"*"}]}"#,
        );
        let d = diff(&BTreeSet::new(), &grains(&src, &doc));
        let rows = merge("emr_runtime_role.a", d);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].actions, ["s3:GetObject", "s3:PutObject"]);
        assert_eq!(rows[0].resources, ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]);
        assert!(rows[0].widens());
        assert_eq!(rows[1].actions, ["all except s3:*"]);
        assert_eq!(rows[1].group, Group::Other);
        assert!(!rows[1].widens());
        // Taking a Deny away widens; taking an Allow away does not.
        let gone = merge("a", diff(&grains(&src, &doc), &BTreeSet::new()));
        let widening: Vec<bool> = gone.iter().map(Grant::widens).collect();
        assert_eq!(widening, [false, true]);
    }
}
