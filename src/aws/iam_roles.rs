//! Small facts about IAM roles that need no call: the name in a role ARN, and
//! documents as IAM returns them. Roles themselves are reconciled by
//! `managed_role`.

use crate::iam::policy::url_decode;

/// IAM documents arrive URL-encoded from AWS (the emulator may send them raw).
pub fn decode_document(s: &str) -> String {
    if s.trim_start().starts_with('{') {
        s.to_string()
    } else {
        url_decode(s)
    }
}

/// The role name of a role ARN (the last path segment).
pub fn role_name_from_arn(arn: &str) -> Option<&str> {
    let res = arn.splitn(6, ':').nth(5)?;
    let rest = res.strip_prefix("role/")?;
    rest.rsplit('/').next().filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_from_arns() {
        assert_eq!(
            role_name_from_arn("arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole"),
            Some("EMR_EC2_DefaultRole")
        );
        assert_eq!(
            role_name_from_arn("arn:aws:iam::123456789012:role/emr/teams/analyst"),
            Some("analyst")
        );
        assert_eq!(role_name_from_arn("arn:aws:iam::123456789012:user/x"), None);
    }

    #[test]
    fn documents_are_decoded_only_when_encoded() {
        assert_eq!(decode_document("%7B%22a%22%3A1%7D"), r#"{"a":1}"#);
        assert_eq!(decode_document(r#"{"a":"x+y"}"#), r#"{"a":"x+y"}"#);
    }
}
