//! Where each resource type keeps the IAM policies the provider writes, and
//! whom each policy is on: the role of the same resource, the role an
//! attribute names, or whoever an operator grants it to.

use serde_json::Value as J;

use crate::iam::PolicyDocument;

/// A policy as the input holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Policy {
    Known(PolicyDocument),
    /// "(known after apply)"
    Unknown,
    /// Not an IAM policy document: why.
    Unreadable(String),
}

/// One policy of one resource.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicySource {
    /// Where in the resource: `permissions_policy_json`,
    /// `roles_json.instance.inline_policies.<name>`, ...
    pub attribute: String,
    /// A trust (assume role) policy: its principals may assume `holder`.
    pub trust: bool,
    /// The role the policy is on, or who it is meant for.
    pub holder: String,
    pub policy: Policy,
}

/// A managed policy attached to a role (its contents are not in the plan).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Attachment {
    pub holder: String,
    pub policy_arn: String,
}

/// Who holds a policy attribute.
#[derive(Clone, Copy)]
enum Holder {
    /// The role whose ARN is in this attribute.
    Attr(&'static str),
    /// The role whose ARN is in this attribute of a nested block / object.
    Nested(&'static str, &'static str),
    /// Nobody yet: an operator attaches it to whoever may do this.
    Granted,
    /// A session policy every run of the role in this attribute is limited
    /// by: what the role may do in those runs, at most.
    Ceiling(&'static str),
}

struct Spec {
    attr: &'static str,
    trust: bool,
    holder: Holder,
}

const fn spec(attr: &'static str, trust: bool, holder: Holder) -> Spec {
    Spec {
        attr,
        trust,
        holder,
    }
}

const RUNTIME_ROLE: &[Spec] = &[
    spec("trust_policy_json", true, Holder::Attr("arn")),
    spec("permissions_policy_json", false, Holder::Attr("arn")),
    spec("policy_json", false, Holder::Attr("arn")),
    spec(
        "instance_role_policy_json",
        false,
        Holder::Nested("emr_on_ec2", "instance_role_arn"),
    ),
    spec("caller_policy_json", false, Holder::Granted),
];

const LAUNCH_FUNCTION: &[Spec] = &[
    spec("invoke_policy_json", false, Holder::Granted),
    spec("role_trust_policy_json", true, Holder::Attr("role_arn")),
    spec("role_policy_json", false, Holder::Attr("role_arn")),
    spec(
        "launcher_role_trust_policy_json",
        true,
        Holder::Attr("launcher_role_arn"),
    ),
    spec(
        "launcher_role_policy_json",
        false,
        Holder::Attr("launcher_role_arn"),
    ),
    spec(
        "service_role_secret_policy_json",
        false,
        Holder::Nested("profile", "service_role_arn"),
    ),
];

const JOB_FUNCTION: &[Spec] = &[
    spec("invoke_policy_json", false, Holder::Granted),
    spec("role_trust_policy_json", true, Holder::Attr("role_arn")),
    spec("role_policy_json", false, Holder::Attr("role_arn")),
    spec(
        "execution_iam_policy_json",
        false,
        Holder::Ceiling("execution_role_arn"),
    ),
];

const DATAPLANE: &[Spec] = &[
    spec(
        "job_runtime_trust_policy_json",
        true,
        Holder::Attr("job_runtime_role_arn"),
    ),
    spec(
        "job_runtime_policy_json",
        false,
        Holder::Attr("job_runtime_role_arn"),
    ),
    spec(
        "launch_trust_policy_json",
        true,
        Holder::Attr("launch_role_arn"),
    ),
    spec("launch_policy_json", false, Holder::Attr("launch_role_arn")),
];

/// Resource types whose policies are described above (or in roles_json);
/// the rest of ours write no IAM policy.
const WITHOUT_POLICIES: &[&str] = &[
    "emr_security_configuration",
    "emr_cluster_configuration",
    "emr_serverless_application",
];

/// The policy attributes of a resource type, for the docs and tests.
pub fn policy_attributes(resource_type: &str) -> Vec<&'static str> {
    let specs = match resource_type {
        "emr_runtime_role" => RUNTIME_ROLE,
        "emr_launch_function" => LAUNCH_FUNCTION,
        "emr_serverless_job_function" => JOB_FUNCTION,
        "emr_serverless_dataplane" => DATAPLANE,
        "emr_launch_profile" => return vec!["roles_json"],
        _ => &[],
    };
    specs.iter().map(|s| s.attr).collect()
}

/// A string attribute: absent (null or ""), unknown, or its text.
enum Field<'a> {
    Absent,
    Unknown,
    Known(&'a str),
}

fn field<'a>(values: &'a J, unknown: &J, attr: &str) -> Field<'a> {
    if unknown.get(attr) == Some(&J::Bool(true)) {
        return Field::Unknown;
    }
    match values.get(attr).and_then(J::as_str) {
        Some(s) if !s.is_empty() => Field::Known(s),
        _ => Field::Absent,
    }
}

/// A nested block or object (single nesting is an object, list nesting a
/// one-element list).
fn nested<'a>(v: &'a J, name: &str) -> &'a J {
    match v.get(name) {
        Some(J::Array(a)) => a.first().unwrap_or(&J::Null),
        Some(o) => o,
        None => &J::Null,
    }
}

fn holder_text(address: &str, what: &str, f: Field) -> String {
    match f {
        Field::Known(s) => s.to_string(),
        Field::Unknown => format!("{address}.{what} (known after apply)"),
        Field::Absent => format!("{address}.{what} (not set)"),
    }
}

fn holder(h: Holder, address: &str, attr: &str, values: &J, unknown: &J) -> String {
    match h {
        Holder::Attr(a) => holder_text(address, a, field(values, unknown, a)),
        Holder::Nested(block, a) => holder_text(
            address,
            &format!("{block}.{a}"),
            field(nested(values, block), nested(unknown, block), a),
        ),
        Holder::Granted => format!("whoever is granted {address}.{attr}"),
        Holder::Ceiling(a) => format!(
            "{} in the job runs of {address} (at most: a session policy)",
            holder_text(address, a, field(values, unknown, a))
        ),
    }
}

fn parse_policy(text: &str) -> Policy {
    match PolicyDocument::parse(text) {
        Ok(d) => Policy::Known(d),
        Err(e) => Policy::Unreadable(e),
    }
}

/// The policies of one resource's values (`unknown`: its after_unknown).
pub fn policies(resource_type: &str, address: &str, values: &J, unknown: &J) -> Vec<PolicySource> {
    let specs = match resource_type {
        "emr_runtime_role" => RUNTIME_ROLE,
        "emr_launch_function" => LAUNCH_FUNCTION,
        "emr_serverless_job_function" => JOB_FUNCTION,
        "emr_serverless_dataplane" => DATAPLANE,
        "emr_launch_profile" => return profile_policies(address, values, unknown),
        t if WITHOUT_POLICIES.contains(&t) => return Vec::new(),
        _ => return unlisted_policies(address, values, unknown),
    };
    let mut out = Vec::new();
    for s in specs {
        let policy = match field(values, unknown, s.attr) {
            Field::Absent => continue,
            Field::Unknown => Policy::Unknown,
            Field::Known(text) => parse_policy(text),
        };
        out.push(PolicySource {
            attribute: s.attr.to_string(),
            trust: s.trust,
            holder: holder(s.holder, address, s.attr, values, unknown),
            policy,
        });
    }
    out
}

/// A resource type this review does not know yet: every `*policy_json`
/// attribute is a policy, held by the resource.
fn unlisted_policies(address: &str, values: &J, unknown: &J) -> Vec<PolicySource> {
    let Some(o) = values.as_object() else {
        return Vec::new();
    };
    let mut names: Vec<&String> = o.keys().collect();
    if let Some(u) = unknown.as_object() {
        names.extend(u.keys());
    }
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| n.ends_with("policy_json"))
        .filter_map(|n| {
            let policy = match field(values, unknown, n) {
                Field::Absent => return None,
                Field::Unknown => Policy::Unknown,
                Field::Known(text) => parse_policy(text),
            };
            Some(PolicySource {
                attribute: n.clone(),
                trust: n.contains("trust"),
                holder: format!("the role of {address} ({n})"),
                policy,
            })
        })
        .collect()
}

/// emr_launch_profile: `roles_json` holds every role it creates, with the
/// trust policy and inline policies as JSON objects.
fn profile_policies(address: &str, values: &J, unknown: &J) -> Vec<PolicySource> {
    let roles = match field(values, unknown, "roles_json") {
        Field::Absent => return Vec::new(),
        Field::Unknown => return vec![profile_unknown(address)],
        Field::Known(text) => match serde_json::from_str::<J>(text) {
            Ok(J::Object(m)) => m,
            Ok(_) | Err(_) => {
                return vec![PolicySource {
                    attribute: "roles_json".into(),
                    trust: false,
                    holder: format!("the roles of {address}"),
                    policy: Policy::Unreadable("roles_json is not a JSON object".into()),
                }]
            }
        },
    };
    let mut out = Vec::new();
    for (kind, role) in &roles {
        let arn = match role["arn"].as_str() {
            Some(a) if !a.is_empty() => a.to_string(),
            _ => format!("{address} {kind} role"),
        };
        let doc = |v: &J| match v {
            J::String(s) => parse_policy(s),
            other => parse_policy(&other.to_string()),
        };
        if !role["trust_policy"].is_null() {
            out.push(PolicySource {
                attribute: format!("roles_json.{kind}.trust_policy"),
                trust: true,
                holder: arn.clone(),
                policy: doc(&role["trust_policy"]),
            });
        }
        for (name, p) in role["inline_policies"].as_object().into_iter().flatten() {
            out.push(PolicySource {
                attribute: format!("roles_json.{kind}.inline_policies.{name}"),
                trust: false,
                holder: arn.clone(),
                policy: doc(p),
            });
        }
    }
    out
}

fn profile_unknown(address: &str) -> PolicySource {
    PolicySource {
        attribute: "roles_json".into(),
        trust: false,
        holder: format!("the roles of {address}"),
        policy: Policy::Unknown,
    }
}

/// Managed-policy attachments the plan leaves unknown: (attribute, holder).
/// A policy ARN known only after apply (for example an `aws_iam_policy`
/// made in the same apply) cannot be reviewed, so it widens. A launch
/// profile's attachments are in `roles_json`, whose unknown value
/// `policies` already reports.
pub fn unknown_attachments(
    resource_type: &str,
    address: &str,
    values: &J,
    unknown: &J,
) -> Vec<(String, String)> {
    if resource_type != "emr_runtime_role" {
        return Vec::new();
    }
    let attr = "managed_policy_arns";
    let hidden = match unknown.get(attr) {
        Some(J::Bool(true)) => true,
        Some(J::Array(elems)) => elems.iter().any(|e| e == &J::Bool(true)),
        _ => false,
    };
    if !hidden {
        return Vec::new();
    }
    vec![(
        attr.to_string(),
        holder_text(address, "arn", field(values, unknown, "arn")),
    )]
}

/// Managed policies the provider attaches (known values only).
pub fn attachments(resource_type: &str, address: &str, values: &J, unknown: &J) -> Vec<Attachment> {
    let arns = |v: &J| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(J::as_str)
            .map(str::to_string)
            .collect()
    };
    let mut out = Vec::new();
    match resource_type {
        "emr_runtime_role" => {
            let h = holder_text(address, "arn", field(values, unknown, "arn"));
            for a in arns(&values["managed_policy_arns"]) {
                out.push(Attachment {
                    holder: h.clone(),
                    policy_arn: a,
                });
            }
        }
        "emr_launch_profile" => {
            let Field::Known(text) = field(values, unknown, "roles_json") else {
                return out;
            };
            let Ok(J::Object(roles)) = serde_json::from_str::<J>(text) else {
                return out;
            };
            for role in roles.values() {
                let h = role["arn"].as_str().unwrap_or(address).to_string();
                for a in arns(&role["managed_policy_arns"]) {
                    out.push(Attachment {
                        holder: h.clone(),
                        policy_arn: a,
                    });
                }
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources;
    use serde_json::json;

    /// Every policy attribute a resource schema declares is one this review
    /// reads, so a new policy cannot slip past it.
    #[test]
    fn every_policy_attribute_of_every_resource_is_reviewed() {
        let schemas = [
            ("emr_runtime_role", resources::runtime_role::schema()),
            ("emr_launch_function", resources::launch_function::schema()),
            (
                "emr_serverless_job_function",
                resources::job_function::schema(),
            ),
            (
                "emr_serverless_dataplane",
                resources::serverless_dataplane::schema(),
            ),
            ("emr_launch_profile", resources::launch_profile::schema()),
            (
                "emr_security_configuration",
                resources::security_configuration::schema(),
            ),
            (
                "emr_cluster_configuration",
                resources::cluster_configuration::schema(),
            ),
            (
                "emr_serverless_application",
                resources::serverless_application::schema(),
            ),
        ];
        for (ty, schema) in schemas {
            let mut declared: Vec<&str> = schema
                .block
                .attributes
                .iter()
                .map(|a| a.name.as_str())
                .filter(|n| n.ends_with("policy_json") || *n == "roles_json")
                .collect();
            declared.sort();
            let mut reviewed = policy_attributes(ty);
            reviewed.sort();
            assert_eq!(declared, reviewed, "{ty}");
            assert_eq!(WITHOUT_POLICIES.contains(&ty), reviewed.is_empty(), "{ty}");
        }
    }

    #[test]
    fn holders_come_from_the_same_resource_or_say_they_are_unknown() {
        let trust = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"emr-serverless.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let values = json!({
            "arn": "arn:aws:iam::123456789012:role/r",
            "trust_policy_json": trust,
            "permissions_policy_json": "",
            "emr_on_ec2": {"instance_role_arn": "arn:aws:iam::123456789012:role/i"},
            "instance_role_policy_json": r#"{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/r"}}"#,
        });
        let unknown = json!({"caller_policy_json": true});
        let p = policies("emr_runtime_role", "emr_runtime_role.a", &values, &unknown);
        let by: Vec<(&str, &str)> = p
            .iter()
            .map(|s| (s.attribute.as_str(), s.holder.as_str()))
            .collect();
        assert_eq!(
            by,
            [
                ("trust_policy_json", "arn:aws:iam::123456789012:role/r"),
                (
                    "instance_role_policy_json",
                    "arn:aws:iam::123456789012:role/i"
                ),
                (
                    "caller_policy_json",
                    "whoever is granted emr_runtime_role.a.caller_policy_json"
                ),
            ]
        );
        assert!(p[0].trust);
        assert_eq!(p[2].policy, Policy::Unknown);
        let unknown_arn = json!({"arn": true});
        let p = policies(
            "emr_runtime_role",
            "emr_runtime_role.a",
            &values,
            &unknown_arn,
        );
        assert_eq!(p[0].holder, "emr_runtime_role.a.arn (known after apply)");
    }

    #[test]
    fn profile_roles_json_and_unlisted_types() {
        let roles = json!({"service": {
            "arn": "arn:aws:iam::123456789012:role/s",
            "trust_policy": {"Statement":[{"Effect":"Allow","Principal":{"Service":"elasticmapreduce.amazonaws.com"},"Action":"sts:AssumeRole"}]},
            "inline_policies": {"p": {"Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/i"}]}},
            "managed_policy_arns": ["arn:aws:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2"],
        }});
        let values = json!({"roles_json": roles.to_string()});
        let p = policies(
            "emr_launch_profile",
            "emr_launch_profile.p",
            &values,
            &J::Null,
        );
        let attrs: Vec<&str> = p.iter().map(|s| s.attribute.as_str()).collect();
        assert_eq!(
            attrs,
            [
                "roles_json.service.trust_policy",
                "roles_json.service.inline_policies.p"
            ]
        );
        assert!(p.iter().all(|s| matches!(s.policy, Policy::Known(_))));
        let a = attachments(
            "emr_launch_profile",
            "emr_launch_profile.p",
            &values,
            &J::Null,
        );
        assert_eq!(a[0].holder, "arn:aws:iam::123456789012:role/s");
        let odd = json!({"x_trust_policy_json": "{", "name": "n"});
        let p = policies("emr_future_thing", "emr_future_thing.f", &odd, &J::Null);
        assert_eq!(p.len(), 1);
        assert!(p[0].trust);
        assert!(matches!(p[0].policy, Policy::Unreadable(_)));
    }
}
