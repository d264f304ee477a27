//! The grant a launch function puts on its profile's service role so EMR can
//! resolve the configuration's `EMR.secret@` properties: GetSecretValue on
//! exactly those secret ARNs, nothing else. The profile's drift check
//! recognises it by its exact statements (`is_secret_grant`), not by name.

use crate::aws::iam_roles::role_name_from_arn;
use crate::aws::managed_role::RoleGrant;
use crate::iam::{PolicyDocument, Statement};

/// Inline policy name prefix on the service role; the full name is
/// `emr-launch-secrets-<function role name>` (unique per function).
pub const POLICY_PREFIX: &str = "emr-launch-secrets-";
const SID: &str = "ResolveConfigurationSecrets";

/// The inline policy name a function uses on the service role.
pub fn policy_name(function_role_name: &str) -> String {
    format!("{POLICY_PREFIX}{function_role_name}")
}

/// The grant as the role reconciler moves it: on the service role (by ARN),
/// named for the function's execution role, with this document.
pub fn role_grant(service_role_arn: &str, function_role_name: &str, document: String) -> RoleGrant {
    let role = role_name_from_arn(service_role_arn).unwrap_or(service_role_arn);
    RoleGrant::new(role, &policy_name(function_role_name), document)
}

/// GetSecretValue on exactly these secrets.
pub fn document(secret_arns: &[String]) -> PolicyDocument {
    PolicyDocument::new(vec![Statement::allow(["secretsmanager:GetSecretValue"])
        .sid(SID)
        .resources(secret_arns.iter().cloned())])
}

/// True when the policy is exactly what `document` writes for some list of
/// Secrets Manager secret ARNs (one statement, one action, secret ARNs only,
/// no wildcard, no condition).
pub fn is_secret_grant(doc: &PolicyDocument) -> bool {
    let [s] = doc.statements.as_slice() else {
        return false;
    };
    let arns: Vec<String> = s.resources.iter().cloned().collect();
    !arns.is_empty()
        && arns.iter().all(|a| {
            !a.contains('*')
                && !a.contains('?')
                && crate::validate::parse_arn(a).is_some_and(|x| {
                    x.service == "secretsmanager" && x.resource.starts_with("secret:")
                })
        })
        && *s == document(&arns).statements[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-AbCdEf";

    #[test]
    fn the_grant_is_named_for_the_function_on_the_service_role() {
        let g = role_grant(
            "arn:aws:iam::123456789012:role/emr/analytics-p-emr-service",
            "analytics-nightly-emr-launch-fn",
            "{}".into(),
        );
        assert_eq!(g.role, "analytics-p-emr-service");
        assert_eq!(
            g.policy,
            "emr-launch-secrets-analytics-nightly-emr-launch-fn"
        );
    }

    #[test]
    fn recognises_exactly_its_own_grant() {
        assert!(is_secret_grant(&document(&[A.to_string()])));
        let wider = PolicyDocument::parse(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{SID}","Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:ListSecrets"],"Resource":"{A}"}}]}}"#
        ))
        .unwrap();
        assert!(!is_secret_grant(&wider));
        let star = document(&["arn:aws:secretsmanager:us-east-1:123456789012:secret:*".into()]);
        assert!(!is_secret_grant(&star));
        let other = document(&["arn:aws:s3:::bucket".into()]);
        assert!(!is_secret_grant(&other));
        let mut two = document(&[A.to_string()]);
        two.statements
            .push(Statement::allow(["iam:PassRole"]).resource("*"));
        assert!(!is_secret_grant(&two));
    }
}
