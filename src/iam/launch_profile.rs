//! The launch profile's created roles' policies: trust of EMR, EC2 and
//! Application Auto Scaling in the scope's partition, the instance role's
//! S3 and KMS grants, and the service role's pass of exactly the profile's
//! roles. Pure: built at plan from the profile's inputs.

use std::collections::{BTreeMap, BTreeSet};

use super::{principals, PolicyDocument, Principal, Scope, Statement};
use crate::validate;

/// An AWS managed service-role policy of the scope's partition.
pub fn service_role_policy_arn(scope: &Scope, name: &str) -> String {
    format!(
        "arn:{}:iam::aws:policy/service-role/{name}",
        scope.partition
    )
}

/// Trust of these services (short names, e.g. "elasticmapreduce"), with
/// the principals of the provider's partition.
pub fn service_trust(scope: &Scope, services: &[&str]) -> PolicyDocument {
    PolicyDocument::new(vec![Statement::allow(["sts:AssumeRole"])
        .principal(Principal::Typed(BTreeMap::from([(
            "Service".to_string(),
            services
                .iter()
                .map(|s| principals::service(scope.partition, s))
                .collect(),
        )])))
        .condition("StringEquals", "aws:SourceAccount", [scope.account])])
}

/// The instance role's trust: EC2 of the scope's partition.
pub fn instance_trust(scope: &Scope) -> PolicyDocument {
    PolicyDocument::new(vec![Statement::allow(["sts:AssumeRole"]).principal(
        Principal::service(principals::service(scope.partition, "ec2")),
    )])
}

/// What the profile's inputs grant the created instance role.
#[derive(Default)]
pub struct InstanceGrants {
    pub logs_uri: Option<String>,
    pub artifacts_uri: Option<String>,
    pub s3_read: Vec<String>,
    pub s3_write: Vec<String>,
    pub kms_key_arns: Vec<String>,
}

fn s3_object_arn(scope: &Scope, uri: &str) -> Option<(String, String, String)> {
    let (b, k) = validate::s3_uri(uri).ok()?;
    Some((
        b.to_string(),
        format!("{k}*"),
        format!("arn:{}:s3:::{b}/{k}*", scope.partition),
    ))
}

pub fn instance_policy(scope: &Scope, g: &InstanceGrants) -> Option<PolicyDocument> {
    let mut st = Vec::new();
    let mut list: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let (get, version, put) = ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject");
    let write = vec![
        get,
        version,
        put,
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
    ];
    let grants: [(&str, Vec<&str>, &[String]); 4] = [
        ("WriteLogs", vec![put], g.logs_uri.as_slice()),
        ("ReadArtifacts", vec![get], g.artifacts_uri.as_slice()),
        ("S3Read", vec![get, version], &g.s3_read),
        ("S3Write", write, &g.s3_write),
    ];
    for (sid, actions, uris) in grants {
        let objs: Vec<(String, String, String)> = uris
            .iter()
            .filter_map(|u| s3_object_arn(scope, u))
            .collect();
        if objs.is_empty() {
            continue;
        }
        for (b, p, _) in &objs {
            list.entry(b.clone()).or_default().insert(p.clone());
        }
        let arns = objs.into_iter().map(|(_, _, a)| a);
        st.push(Statement::allow(actions).sid(sid).resources(arns));
    }
    for (b, prefixes) in list {
        let mut s = Statement::allow(["s3:ListBucket"])
            .resource(format!("arn:{}:s3:::{b}", scope.partition));
        if !prefixes.contains("*") {
            s = s.condition("StringLike", "s3:prefix", prefixes);
        }
        st.push(s);
    }
    if !g.kms_key_arns.is_empty() {
        st.push(
            Statement::allow([
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:ReEncrypt*",
            ])
            .sid("KmsKeys")
            .resources(g.kms_key_arns.iter().cloned()),
        );
    }
    (!st.is_empty()).then(|| PolicyDocument::new(st))
}

/// The service role may pass exactly the profile's instance and autoscaling
/// roles (AmazonEMRServicePolicy_v2 only covers the EMR default role names).
pub fn service_policy(
    scope: &Scope,
    instance_role: &str,
    autoscaling_role: &str,
) -> PolicyDocument {
    let service = |s: &str| principals::service(scope.partition, s);
    PolicyDocument::new(vec![
        Statement::allow(["iam:PassRole"])
            .sid("PassInstanceRole")
            .resource(instance_role)
            .condition("StringEquals", "iam:PassedToService", [service("ec2")]),
        Statement::allow(["iam:PassRole"])
            .sid("PassAutoScalingRole")
            .resource(autoscaling_role)
            .condition(
                "StringEquals",
                "iam:PassedToService",
                [service("application-autoscaling")],
            ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::least_privilege::assert_least_privilege;

    fn scope() -> Scope<'static> {
        Scope {
            partition: "aws",
            account: "123456789012",
            region: "us-east-1",
        }
    }

    #[test]
    fn instance_and_service_policies_are_least_privilege() {
        let g = InstanceGrants {
            logs_uri: Some("s3://acme-emr/logs/".into()),
            artifacts_uri: Some("s3://acme-emr/artifacts/".into()),
            s3_read: vec!["s3://datalake/curated/".into()],
            s3_write: vec![],
            kms_key_arns: vec!["arn:aws:kms:us-east-1:123456789012:key/k1".into()],
        };
        let inst = instance_policy(&scope(), &g).unwrap().to_value();
        let sids: Vec<&str> = inst["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["Sid"].as_str())
            .collect();
        assert_eq!(sids.len(), 4, "{inst}");
        assert!(inst.to_string().contains("arn:aws:s3:::acme-emr/logs/*"));
        let pass = service_policy(
            &scope(),
            "arn:aws:iam::123456789012:role/i",
            "arn:aws:iam::123456789012:role/a",
        );
        assert_least_privilege(&pass);
    }
}
