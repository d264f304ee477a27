//! The least-privilege check every resource's tests run over the policies it
//! generates (spec "Conventions", seed 001 threat model).

use super::policy::{Effect, PolicyDocument};

/// The one service principal exempt from the aws:SourceAccount rule.
pub const EC2_SERVICE: &str = "ec2.amazonaws.com";

/// Action families that must never be granted on `Resource: "*"`.
const SCOPED: [&str; 7] = [
    "iam:PassRole",
    "sts:AssumeRole",
    "sts:TagSession",
    "ssm:GetParameter*",
    "secretsmanager:*",
    "kms:*",
    "s3:*",
];

/// Does an action pattern from a statement (possibly with wildcards) reach
/// any action of a family pattern?
fn overlaps(action: &str, family: &str) -> bool {
    let a = action.to_ascii_lowercase();
    let f = family.to_ascii_lowercase();
    if a == "*" {
        return true;
    }
    let (Some((asvc, aname)), Some((fsvc, fname))) = (a.split_once(':'), f.split_once(':')) else {
        return false;
    };
    if asvc != fsvc {
        return false;
    }
    // Two glob patterns overlap if their literal prefixes are compatible
    // (all our patterns have at most a trailing '*').
    let ap = aname.split('*').next().unwrap_or("");
    let fp = fname.split('*').next().unwrap_or("");
    let a_wild = aname.contains('*');
    let f_wild = fname.contains('*');
    match (a_wild, f_wild) {
        (false, false) => aname == fname,
        (true, false) => fname.starts_with(ap),
        (false, true) => aname.starts_with(fp),
        (true, true) => ap.starts_with(fp) || fp.starts_with(ap),
    }
}

/// Every violation found, as a sentence naming the statement.
pub fn violations(doc: &PolicyDocument) -> Vec<String> {
    let mut out = Vec::new();
    for (i, st) in doc.statements.iter().enumerate() {
        if st.effect != Effect::Allow {
            continue;
        }
        let name = st.sid.clone().unwrap_or_else(|| format!("#{i}"));
        if st.resources.contains("*") || !st.not_resources.is_empty() {
            for a in &st.actions {
                for f in SCOPED {
                    if overlaps(a, f) {
                        out.push(format!(
                            "statement {name}: {a} on Resource \"*\" (family {f} must be scoped)"
                        ));
                    }
                }
            }
        }
        if !st.not_actions.is_empty() {
            out.push(format!(
                "statement {name}: Allow with NotAction grants too much"
            ));
        }
        if st.actions.iter().any(|a| overlaps(a, "iam:PassRole"))
            && !st.has_condition_key("iam:PassedToService")
        {
            out.push(format!(
                "statement {name}: iam:PassRole without an iam:PassedToService condition"
            ));
        }
        if let Some(p) = &st.principal {
            // EC2 does not send aws:SourceAccount when it assumes an instance
            // profile's role, so that condition would break instance profiles.
            let needs_source = p.services().iter().any(|s| *s != EC2_SERVICE);
            if needs_source && !st.has_condition_key("aws:SourceAccount") {
                out.push(format!(
                    "statement {name}: service principal trust without aws:SourceAccount"
                ));
            }
            if matches!(p, super::policy::Principal::Any) {
                out.push(format!("statement {name}: trusts any principal (\"*\")"));
            }
        }
    }
    out
}

/// Panics with every violation: for tests.
pub fn assert_least_privilege(doc: &PolicyDocument) {
    let v = violations(doc);
    assert!(
        v.is_empty(),
        "least-privilege violations in {}:\n{}",
        doc.canonical(),
        v.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::policy::{Principal, Statement};

    #[test]
    fn wildcard_matching() {
        assert!(overlaps("ssm:GetParameters", "ssm:GetParameter*"));
        assert!(overlaps("ssm:*", "ssm:GetParameter*"));
        assert!(overlaps("S3:GetObject", "s3:*"));
        assert!(overlaps("*", "kms:*"));
        assert!(overlaps("iam:Pass*", "iam:PassRole"));
        assert!(!overlaps("ssm:PutParameter", "ssm:GetParameter*"));
        assert!(!overlaps("elasticmapreduce:AddJobFlowSteps", "s3:*"));
    }

    #[test]
    fn catches_each_rule() {
        let bad = PolicyDocument::new(vec![
            Statement::allow(["s3:GetObject"]).sid("S3").resource("*"),
            Statement::allow(["iam:PassRole"])
                .sid("Pass")
                .resource("arn:aws:iam::123456789012:role/x"),
            Statement::allow(["sts:AssumeRole"])
                .sid("Trust")
                .principal(Principal::service("states.amazonaws.com")),
            Statement::allow(["kms:Decrypt"]).sid("Kms").resource("*"),
        ]);
        let v = violations(&bad);
        assert_eq!(v.len(), 4, "{v:?}");
        let good = PolicyDocument::new(vec![
            Statement::allow(["elasticmapreduce:AddJobFlowSteps"])
                .resource("*")
                .condition(
                    "StringEquals",
                    "elasticmapreduce:ExecutionRoleArn",
                    ["arn:aws:iam::123456789012:role/x"],
                ),
            Statement::allow(["iam:PassRole"])
                .resource("arn:aws:iam::123456789012:role/x")
                .condition(
                    "StringEquals",
                    "iam:PassedToService",
                    ["emr-serverless.amazonaws.com"],
                ),
            Statement::allow(["sts:AssumeRole"])
                .principal(Principal::service("emr-serverless.amazonaws.com"))
                .condition("StringEquals", "aws:SourceAccount", ["123456789012"]),
        ]);
        assert_least_privilege(&good);
    }
}
