//! Plan-time validators for the strings users write: ARNs, S3 URIs, regions,
//! URLs. Each returns the sentence that tells the user what is allowed.

/// A parsed ARN: arn:partition:service:region:account:resource
#[derive(Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

pub fn parse_arn(s: &str) -> Option<Arn<'_>> {
    let mut it = s.splitn(6, ':');
    if it.next()? != "arn" {
        return None;
    }
    let arn = Arn {
        partition: it.next()?,
        service: it.next()?,
        region: it.next()?,
        account: it.next()?,
        resource: it.next()?,
    };
    let partition_ok = arn.partition == "aws" || arn.partition.starts_with("aws-");
    if !partition_ok || arn.service.is_empty() || arn.resource.is_empty() {
        return None;
    }
    Some(arn)
}

/// One Secrets Manager secret, by its ARN:
/// `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`. No
/// wildcard: the ARN becomes the resource of a `GetSecretValue` grant, and
/// `secret:*` there would open every secret of the account.
pub fn secret_arn(s: &str) -> Result<(), String> {
    let one = parse_arn(s).is_some_and(|a| {
        a.service == "secretsmanager"
            && !a.region.is_empty()
            && is_account(a.account)
            && a.resource
                .strip_prefix("secret:")
                .is_some_and(|n| !n.is_empty())
    });
    if !one {
        return Err(format!("{s:?} is not a Secrets Manager secret ARN; expected arn:<partition>:secretsmanager:<region>:<account>:secret:<name>."));
    }
    if s.contains(['*', '?']) {
        return Err(format!("{s:?} has a wildcard; name one secret (a wildcard would grant GetSecretValue on every secret it matches)."));
    }
    Ok(())
}

/// A 12-digit AWS account id.
pub fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

pub fn aws_region(s: &str) -> Result<(), String> {
    // e.g. us-east-1, eu-central-2, us-gov-west-1, cn-north-1
    let parts: Vec<&str> = s.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an AWS region name; expected something like \"us-east-1\"."
        ))
    }
}

pub fn kms_key_arn(s: &str) -> Result<(), String> {
    let msg = || {
        format!(
            "{s:?} is not a KMS key ARN; expected arn:<partition>:kms:<region>:<account>:key/<key-id> (or :alias/<name>)."
        )
    };
    let arn = parse_arn(s).ok_or_else(msg)?;
    let res_ok = arn
        .resource
        .strip_prefix("key/")
        .or_else(|| arn.resource.strip_prefix("alias/"))
        .is_some_and(|r| {
            !r.is_empty()
                && !r.contains('*')
                && r.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_/".contains(&b))
        });
    if arn.service != "kms"
        || aws_region(arn.region).is_err()
        || !is_account(arn.account)
        || !res_ok
    {
        return Err(msg());
    }
    Ok(())
}

pub fn iam_role_arn(s: &str) -> Result<(), String> {
    let msg = || {
        format!("{s:?} is not an IAM role ARN; expected arn:<partition>:iam::<account>:role/<path><name>.")
    };
    let arn = parse_arn(s).ok_or_else(msg)?;
    let name_ok = arn.resource.strip_prefix("role/").is_some_and(|r| {
        !r.is_empty()
            && !r.ends_with('/')
            && r.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b))
    });
    if arn.service != "iam" || !arn.region.is_empty() || !is_account(arn.account) || !name_ok {
        return Err(msg());
    }
    Ok(())
}

/// An S3 bucket name by the current rules.
pub fn s3_bucket_name(b: &str) -> bool {
    (3..=63).contains(&b.len())
        && b.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
        && b.as_bytes()
            .first()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && b.as_bytes()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && !b.contains("..")
}

/// `s3://bucket/key...`; returns (bucket, key).
pub fn s3_uri(s: &str) -> Result<(&str, &str), String> {
    let msg = |why: &str| format!("{s:?} is not an S3 URI ({why}); expected s3://<bucket>/<key>.");
    let rest = s
        .strip_prefix("s3://")
        .ok_or_else(|| msg("it must start with s3://"))?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if !s3_bucket_name(bucket) {
        return Err(msg("the bucket name is not valid"));
    }
    if key.contains('*') || key.contains('?') {
        return Err(msg("wildcards are not allowed"));
    }
    Ok((bucket, key))
}

/// An S3 object URI (a key is required).
pub fn s3_object_uri(s: &str) -> Result<(), String> {
    let (_, key) = s3_uri(s)?;
    if key.is_empty() || key.ends_with('/') {
        return Err(format!(
            "{s:?} names no object; expected s3://<bucket>/<key> of a file."
        ));
    }
    Ok(())
}

pub fn endpoint_url(s: &str) -> Result<(), String> {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace) => {
            Ok(())
        }
        _ => Err(format!(
            "{s:?} is not an endpoint URL; expected http(s)://host[:port][/path]."
        )),
    }
}

/// STS names (session name, source identity): 2-64 of [A-Za-z0-9+=,.@_-].
pub fn sts_name(s: &str) -> Result<(), String> {
    if (2..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
    {
        Ok(())
    } else {
        Err(format!(
            "{s:?} must be 2 to 64 characters of letters, digits and +=,.@_-"
        ))
    }
}

pub fn external_id(s: &str) -> Result<(), String> {
    if (2..=1224).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@:/_-".contains(&b))
    {
        Ok(())
    } else {
        Err(
            "an external ID must be 2 to 1224 characters of letters, digits and +=,.@:/_-"
                .to_string(),
        )
    }
}

/// An SSM parameter path prefix: starts with "/", no trailing "/".
pub fn ssm_prefix(s: &str) -> Result<(), String> {
    let ok = s.starts_with('/')
        && s.len() > 1
        && !s.ends_with('/')
        && !s.contains("//")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_.-".contains(&b))
        && !s.to_ascii_lowercase().starts_with("/aws")
        && !s.to_ascii_lowercase().starts_with("/ssm");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a usable SSM parameter path; expected \"/\" followed by segments of letters, digits and _.- \
without a trailing \"/\" (and not under /aws or /ssm)."
        ))
    }
}

/// A positive duration written as Go's `time.ParseDuration` reads it, as
/// Terraform `timeouts` are: "30s", "10m", "1h30m", "2.5h", "300ms". Parsed
/// by jiff's friendly format, which reads all of that (and also spaced or
/// spelled-out forms like "1h 30m" or "90 seconds"); zero and negative
/// durations are not timeouts, so they are None, as is anything unparsable.
pub fn parse_duration(s: &str) -> Option<std::time::Duration> {
    static PARSER: jiff::fmt::friendly::SpanParser = jiff::fmt::friendly::SpanParser::new();
    let d = PARSER.parse_duration(s.trim()).ok()?;
    if d.is_positive() {
        std::time::Duration::try_from(d).ok()
    } else {
        None
    }
}

/// An EC2 instance type like m5.xlarge: family and size, lowercase.
pub fn instance_type(s: &str) -> bool {
    match s.split_once('.') {
        Some((fam, size)) => {
            !fam.is_empty()
                && fam
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !size.is_empty()
                && size
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_arns_name_one_secret() {
        let ok = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-AbCdEf";
        assert_eq!(secret_arn(ok), Ok(()));
        assert_eq!(
            secret_arn(
                "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:a/b+c=d@e-AbCdEf"
            ),
            Ok(())
        );
        for bad in [
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:*",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-*",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-??????",
            "arn:aws:secretsmanager:*:123456789012:secret:hive-AbCdEf",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:",
            "arn:aws:secretsmanager::123456789012:secret:hive",
            "arn:aws:secretsmanager:us-east-1:*:secret:hive",
            "arn:aws:secretsmanager:us-east-1:123456789012:other:hive",
            "arn:aws:ssm:us-east-1:123456789012:parameter/hive",
            "hive",
        ] {
            assert!(secret_arn(bad).is_err(), "{bad}");
        }
        assert!(
            secret_arn("arn:aws:secretsmanager:us-east-1:123456789012:secret:*")
                .unwrap_err()
                .contains("wildcard")
        );
    }

    #[test]
    fn arns() {
        assert!(kms_key_arn(
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        )
        .is_ok());
        assert!(kms_key_arn("arn:aws:kms:us-east-1:123456789012:alias/emr").is_ok());
        assert!(kms_key_arn("arn:aws:kms:us-east-1:123456789012:key/*").is_err());
        assert!(kms_key_arn("arn:aws:s3:::bucket").is_err());
        assert!(kms_key_arn("arn:aws:kms:us-east-1:1234:key/x").is_err());
        assert!(iam_role_arn("arn:aws:iam::123456789012:role/emr/EMR_EC2_DefaultRole").is_ok());
        assert!(iam_role_arn("arn:aws:iam::123456789012:user/alice").is_err());
        assert!(iam_role_arn("arn:aws-us-gov:iam::123456789012:role/x").is_ok());
    }

    #[test]
    fn s3_and_others() {
        assert_eq!(s3_uri("s3://acme-emr/logs/"), Ok(("acme-emr", "logs/")));
        assert!(s3_uri("https://acme/x").is_err());
        assert!(s3_uri("s3://Acme/x").is_err());
        assert!(s3_object_uri("s3://acme-emr/certs.zip").is_ok());
        assert!(s3_object_uri("s3://acme-emr/").is_err());
        assert!(aws_region("us-east-1").is_ok());
        assert!(aws_region("us-gov-west-1").is_ok());
        assert!(aws_region("useast1").is_err());
        assert!(endpoint_url("http://127.0.0.1:5000").is_ok());
        assert!(endpoint_url("127.0.0.1:5000").is_err());
        assert!(ssm_prefix("/emr_launch").is_ok());
        assert!(ssm_prefix("/emr_launch/").is_err());
        assert!(ssm_prefix("emr").is_err());
        assert!(sts_name("terraform").is_ok());
        assert!(sts_name("a").is_err());
    }

    #[test]
    fn instance_types() {
        for ok in ["m5.xlarge", "r6gd.2xlarge", "u-6tb1.metal"] {
            assert!(instance_type(ok), "{ok}");
        }
        for bad in [
            "m5",
            "M5.xlarge",
            "m5.",
            ".xlarge",
            "m5.x-large",
            "m5.xlarge.x",
        ] {
            assert!(!instance_type(bad), "{bad}");
        }
    }

    #[test]
    fn durations_read_as_go_does() {
        use std::time::Duration;
        for (input, secs, nanos) in [
            ("30s", 30, 0),
            ("10m", 600, 0),
            ("1h", 3600, 0),
            ("90s", 90, 0),
            ("1h30m", 5400, 0),
            ("2h45m10s", 9910, 0),
            ("2.5h", 9000, 0),
            ("1.5m", 90, 0),
            ("300ms", 0, 300_000_000),
            ("1m30.5s", 90, 500_000_000),
            ("+5m", 300, 0),
            ("1h 30m", 5400, 0),
        ] {
            assert_eq!(
                parse_duration(input),
                Some(Duration::new(secs, nanos)),
                "{input}"
            );
        }
        for bad in [
            "", "10", "5x", "-1.5h", "-30s", "0s", "0", "h", "1h30", "one hour", "1é", "1µ",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }
}
