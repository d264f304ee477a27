//! The runtime role's policies (seeds 002, 004): its trust of the cluster's
//! instance role and of EMR Serverless, its data permissions, the grant put
//! on the instance role, and what a caller needs to run work as it. Pure:
//! built at plan from the resource's inputs.

use std::collections::{BTreeMap, BTreeSet};

use super::{principals, PolicyDocument, Principal, Scope, Statement};
use crate::validate;

/// The Lake Formation session tag EMR sets on runtime-role sessions (the
/// default of `emr_on_ec2.lake_formation_session_tag`).
pub const LF_SESSION_TAG: &str = "Amazon EMR";

/// Prefix of the inline policies runtime roles put on instance roles.
pub const GRANT_PREFIX: &str = "emr-runtime-role-";

/// The inline policy put on the instance role for this runtime role.
pub fn instance_grant_policy_name(role_name: &str) -> String {
    format!("{GRANT_PREFIX}{role_name}")
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ec2Trust {
    pub instance_role_arn: String,
    pub external_id: Option<String>,
    pub propagate_source_identity: bool,
    pub source_identities: Vec<String>,
    pub lake_formation: bool,
    pub lake_formation_session_tag: String,
    pub grant_instance_role: bool,
}

impl Default for Ec2Trust {
    fn default() -> Self {
        Ec2Trust {
            instance_role_arn: String::new(),
            external_id: None,
            propagate_source_identity: false,
            source_identities: Vec::new(),
            lake_formation: false,
            lake_formation_session_tag: LF_SESSION_TAG.to_string(),
            grant_instance_role: false,
        }
    }
}

impl Ec2Trust {
    /// `s` limited to the source identities, when there are any.
    fn only_source_identities(&self, s: Statement) -> Statement {
        match self.source_identities.is_empty() {
            true => s,
            false => s.condition(
                "StringEquals",
                "sts:SourceIdentity",
                self.source_identities.clone(),
            ),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerlessTrust {
    pub trusted_identity_propagation: bool,
    pub application_arns: Vec<String>,
}

pub fn trust_policy(
    scope: &Scope,
    ec2: Option<&Ec2Trust>,
    sls: Option<&ServerlessTrust>,
) -> PolicyDocument {
    let mut st = Vec::new();
    if let Some(e) = ec2 {
        let principal = || Principal::aws(&e.instance_role_arn);
        let with_external_id = |s: Statement| match &e.external_id {
            Some(id) => s.condition("StringEquals", "sts:ExternalId", [id.clone()]),
            None => s,
        };
        // seed 002 step 3: the instance role assumes the runtime role and tags the session.
        let actions: Vec<&str> = if e.lake_formation {
            vec!["sts:AssumeRole"]
        } else {
            vec!["sts:AssumeRole", "sts:TagSession"]
        };
        st.push(with_external_id(
            Statement::allow(actions)
                .sid("EmrInstanceRoleAssume")
                .principal(principal()),
        ));
        if e.lake_formation {
            st.push(with_external_id(
                Statement::allow(["sts:TagSession"])
                    .sid("EmrLakeFormationTagSession")
                    .principal(principal())
                    .condition(
                        "StringEquals",
                        "aws:RequestTag/LakeFormationAuthorizedCaller",
                        [e.lake_formation_session_tag.clone()],
                    ),
            ));
        }
        if e.propagate_source_identity {
            let s = Statement::allow(["sts:SetSourceIdentity"]).sid("EmrSetSourceIdentity");
            st.push(e.only_source_identities(s.principal(principal())));
        }
    }
    if let Some(s) = sls {
        let mut actions = vec!["sts:AssumeRole"];
        if s.trusted_identity_propagation {
            actions.push("sts:SetContext");
        }
        let mut stmt = Statement::allow(actions)
            .sid("EmrServerlessAssume")
            .principal(Principal::service(principals::service(
                scope.partition,
                "emr-serverless",
            )))
            .condition(
                "StringEquals",
                "aws:SourceAccount",
                [scope.account.to_string()],
            );
        if !s.application_arns.is_empty() {
            stmt = stmt.condition("ArnLike", "aws:SourceArn", s.application_arns.clone());
        }
        st.push(stmt);
    }
    PolicyDocument::new(st)
}

/// (bucket, prefix) of an `s3://bucket/prefix/` location.
fn s3_parts(uri: &str) -> Option<(String, String)> {
    let (b, k) = validate::s3_uri(uri).ok()?;
    Some((b.to_string(), k.to_string()))
}

fn object_arn(scope: &Scope, bucket: &str, prefix: &str) -> String {
    format!("arn:{}:s3:::{bucket}/{prefix}*", scope.partition)
}

pub fn permissions_policy(
    scope: &Scope,
    s3_read: &[String],
    s3_write: &[String],
    kms: &[String],
) -> Option<PolicyDocument> {
    let mut st = Vec::new();
    let read: Vec<(String, String)> = s3_read.iter().filter_map(|u| s3_parts(u)).collect();
    let write: Vec<(String, String)> = s3_write.iter().filter_map(|u| s3_parts(u)).collect();
    if !read.is_empty() {
        st.push(
            Statement::allow(["s3:GetObject", "s3:GetObjectVersion"])
                .sid("S3Read")
                .resources(read.iter().map(|(b, p)| object_arn(scope, b, p))),
        );
    }
    if !write.is_empty() {
        st.push(
            Statement::allow([
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
            ])
            .sid("S3Write")
            .resources(write.iter().map(|(b, p)| object_arn(scope, b, p))),
        );
    }
    // ListBucket per bucket, only under the granted prefixes.
    let mut by_bucket: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (b, p) in read.iter().chain(write.iter()) {
        by_bucket
            .entry(b.as_str())
            .or_default()
            .insert(format!("{p}*"));
    }
    for (b, prefixes) in by_bucket {
        let mut s = Statement::allow(["s3:ListBucket"])
            .resource(format!("arn:{}:s3:::{b}", scope.partition));
        if !prefixes.contains("*") {
            s = s.condition("StringLike", "s3:prefix", prefixes);
        }
        st.push(s);
    }
    if !kms.is_empty() {
        st.push(
            Statement::allow([
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey",
            ])
            .sid("KmsKeys")
            .resources(kms.iter().cloned()),
        );
    }
    (!st.is_empty()).then(|| PolicyDocument::new(st))
}

/// seed 002 step 2 (+ "Audit"): the instance role may assume exactly this role.
pub fn instance_role_policy(role_arn: &str, ec2: &Ec2Trust) -> PolicyDocument {
    let mut st = vec![Statement::allow(["sts:AssumeRole", "sts:TagSession"])
        .sid("AssumeRuntimeRole")
        .resource(role_arn)];
    if ec2.propagate_source_identity {
        let s = Statement::allow(["sts:SetSourceIdentity"]).sid("PropagateSourceIdentity");
        st.push(ec2.only_source_identities(s.resource(role_arn)));
    }
    PolicyDocument::new(st)
}

/// The runtime role ARN a grant written by `instance_role_policy` is about:
/// the one Resource all its statements share (`None` when there is not
/// exactly one, or it is not a plain role ARN).
pub fn instance_role_grant_target(doc: &PolicyDocument) -> Option<&str> {
    let arns: BTreeSet<&str> = doc
        .statements
        .iter()
        .flat_map(|s| s.resources.iter().map(String::as_str))
        .collect();
    let mut it = arns.into_iter();
    match (it.next(), it.next()) {
        (Some(arn), None) if validate::iam_role_arn(arn).is_ok() => Some(arn),
        _ => None,
    }
}

/// True when `doc` is exactly what emr_runtime_role puts on an instance
/// role (`instance_role_policy`) for some runtime role: the grant is
/// generated again from the role ARN in its Resource and the options its
/// statements show, and must be equal. Anything extra (another action,
/// statement, resource, condition or a wildcard) makes it something else.
pub fn is_instance_role_grant(doc: &PolicyDocument) -> bool {
    let Some(arn) = instance_role_grant_target(doc) else {
        return false;
    };
    let source = doc
        .statements
        .iter()
        .find(|s| s.actions.contains("sts:SetSourceIdentity"));
    let ec2 = Ec2Trust {
        propagate_source_identity: source.is_some(),
        source_identities: source
            .and_then(|s| s.conditions.get("StringEquals"))
            .and_then(|m| m.get("sts:SourceIdentity"))
            .map(|v| v.iter().cloned().collect())
            .unwrap_or_default(),
        ..Ec2Trust::default()
    };
    instance_role_policy(arn, &ec2).canonical() == doc.canonical()
}

/// What a caller needs to run work as this role only (seed 002 "Control
/// access"; for serverless, StartJobRun plus PassRole of this role).
pub fn caller_policy(
    scope: &Scope,
    role_arn: &str,
    ec2: Option<&Ec2Trust>,
    sls: Option<&ServerlessTrust>,
) -> PolicyDocument {
    let mut st = Vec::new();
    if ec2.is_some() {
        st.push(
            Statement::allow([
                "elasticmapreduce:AddJobFlowSteps",
                "elasticmapreduce:GetClusterSessionCredentials",
            ])
            .sid("SubmitWithThisRuntimeRole")
            .resource(format!(
                "arn:{}:elasticmapreduce:{}:{}:cluster/*",
                scope.partition, scope.region, scope.account
            ))
            .condition(
                "StringEquals",
                "elasticmapreduce:ExecutionRoleArn",
                [role_arn],
            ),
        );
    }
    if let Some(s) = sls {
        let apps: Vec<String> = if s.application_arns.is_empty() {
            vec![format!(
                "arn:{}:emr-serverless:{}:{}:/applications/*",
                scope.partition, scope.region, scope.account
            )]
        } else {
            s.application_arns.clone()
        };
        st.push(
            Statement::allow(["emr-serverless:StartJobRun"])
                .sid("StartJobRunWithThisRole")
                .resources(apps),
        );
        st.push(
            Statement::allow(["iam:PassRole"])
                .sid("PassThisRoleToEmrServerless")
                .resource(role_arn)
                .condition(
                    "StringEquals",
                    "iam:PassedToService",
                    [principals::service(scope.partition, "emr-serverless")],
                ),
        );
    }
    PolicyDocument::new(st)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::least_privilege::assert_least_privilege;
    use serde_json::json;

    const ACCT: &str = "123456789012";
    const INSTANCE: &str = "arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole";
    const ROLE: &str = "arn:aws:iam::123456789012:role/emr/emr-rt-analyst";

    fn scope() -> Scope<'static> {
        Scope {
            partition: "aws",
            account: ACCT,
            region: "us-east-1",
        }
    }

    fn ec2() -> Ec2Trust {
        Ec2Trust {
            instance_role_arn: INSTANCE.into(),
            grant_instance_role: true,
            ..Default::default()
        }
    }

    fn doc(d: &PolicyDocument) -> serde_json::Value {
        d.to_value()
    }

    /// Table of option combinations → the exact statements (seeds 002, 004).
    #[test]
    fn trust_policies_per_option() {
        let cases: Vec<(
            &str,
            Option<Ec2Trust>,
            Option<ServerlessTrust>,
            serde_json::Value,
        )> = vec![
            (
                "seed 002 step 3",
                Some(ec2()),
                None,
                json!([
                    {"Sid":"EmrInstanceRoleAssume","Effect":"Allow","Principal":{"AWS":[INSTANCE]},"Action":["sts:AssumeRole","sts:TagSession"]}
                ]),
            ),
            (
                "external id",
                Some(Ec2Trust {
                    external_id: Some("FXH5TSACFD".into()),
                    ..ec2()
                }),
                None,
                json!([
                    {"Sid":"EmrInstanceRoleAssume","Effect":"Allow","Principal":{"AWS":[INSTANCE]},"Action":["sts:AssumeRole","sts:TagSession"],
                     "Condition":{"StringEquals":{"sts:ExternalId":["FXH5TSACFD"]}}}
                ]),
            ),
            (
                "source identity (seed 002 Audit)",
                Some(Ec2Trust {
                    propagate_source_identity: true,
                    source_identities: vec!["alice".into()],
                    ..ec2()
                }),
                None,
                json!([
                    {"Sid":"EmrInstanceRoleAssume","Effect":"Allow","Principal":{"AWS":[INSTANCE]},"Action":["sts:AssumeRole","sts:TagSession"]},
                    {"Sid":"EmrSetSourceIdentity","Effect":"Allow","Principal":{"AWS":[INSTANCE]},"Action":["sts:SetSourceIdentity"],
                     "Condition":{"StringEquals":{"sts:SourceIdentity":["alice"]}}}
                ]),
            ),
            (
                "source identity, any",
                Some(Ec2Trust {
                    propagate_source_identity: true,
                    ..ec2()
                }),
                None,
                json!([
                    {"Sid":"EmrInstanceRoleAssume","Effect":"Allow","Principal":{"AWS":[INSTANCE]},"Action":["sts:AssumeRole","sts:TagSession"]},
                    {"Sid":"EmrSetSourceIdentity","Effect":"Allow","Principal":{"AWS":[INSTANCE]},"Action":["sts:SetSourceIdentity"]}
                ]),
            ),
            (
                "lake formation",
                Some(Ec2Trust {
                    lake_formation: true,
                    external_id: Some("X1".into()),
                    ..ec2()
                }),
                None,
                json!([
                    {"Sid":"EmrInstanceRoleAssume","Effect":"Allow","Principal":{"AWS":[INSTANCE]},"Action":["sts:AssumeRole"],
                     "Condition":{"StringEquals":{"sts:ExternalId":["X1"]}}},
                    {"Sid":"EmrLakeFormationTagSession","Effect":"Allow","Principal":{"AWS":[INSTANCE]},"Action":["sts:TagSession"],
                     "Condition":{"StringEquals":{"aws:RequestTag/LakeFormationAuthorizedCaller":["Amazon EMR"],"sts:ExternalId":["X1"]}}}
                ]),
            ),
            (
                "serverless",
                None,
                Some(ServerlessTrust::default()),
                json!([
                    {"Sid":"EmrServerlessAssume","Effect":"Allow","Principal":{"Service":["emr-serverless.amazonaws.com"]},"Action":["sts:AssumeRole"],
                     "Condition":{"StringEquals":{"aws:SourceAccount":[ACCT]}}}
                ]),
            ),
            (
                "serverless with TIP (seed 004) and apps",
                None,
                Some(ServerlessTrust {
                    trusted_identity_propagation: true,
                    application_arns: vec![
                        "arn:aws:emr-serverless:us-east-1:123456789012:/applications/00f1".into(),
                    ],
                }),
                json!([
                    {"Sid":"EmrServerlessAssume","Effect":"Allow","Principal":{"Service":["emr-serverless.amazonaws.com"]},"Action":["sts:AssumeRole","sts:SetContext"],
                     "Condition":{"ArnLike":{"aws:SourceArn":["arn:aws:emr-serverless:us-east-1:123456789012:/applications/00f1"]},"StringEquals":{"aws:SourceAccount":[ACCT]}}}
                ]),
            ),
        ];
        for (what, e, s, want) in cases {
            let d = trust_policy(&scope(), e.as_ref(), s.as_ref());
            let want_doc = PolicyDocument::parse(
                &json!({"Version":"2012-10-17","Statement":want}).to_string(),
            )
            .unwrap();
            assert_eq!(d.canonical(), want_doc.canonical(), "{what}");
            assert_least_privilege(&d);
        }
    }

    #[test]
    fn permissions_instance_grant_and_caller_policies() {
        let p = permissions_policy(
            &scope(),
            &["s3://datalake/curated/".into()],
            &["s3://datalake/scratch/analyst/".into()],
            &["arn:aws:kms:us-east-1:123456789012:key/k1".into()],
        )
        .unwrap();
        let want = json!({"Version":"2012-10-17","Statement":[
            {"Sid":"S3Read","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":["arn:aws:s3:::datalake/curated/*"]},
            {"Sid":"S3Write","Effect":"Allow","Action":["s3:AbortMultipartUpload","s3:DeleteObject","s3:GetObject","s3:GetObjectVersion","s3:PutObject"],"Resource":["arn:aws:s3:::datalake/scratch/analyst/*"]},
            {"Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::datalake"],"Condition":{"StringLike":{"s3:prefix":["curated/*","scratch/analyst/*"]}}},
            {"Sid":"KmsKeys","Effect":"Allow","Action":["kms:Decrypt","kms:DescribeKey","kms:Encrypt","kms:GenerateDataKey"],"Resource":["arn:aws:kms:us-east-1:123456789012:key/k1"]}
        ]});
        assert_eq!(
            doc(&p),
            PolicyDocument::parse(&want.to_string()).unwrap().to_value()
        );
        assert_least_privilege(&p);
        assert!(permissions_policy(&scope(), &[], &[], &[]).is_none());

        let g = instance_role_policy(
            ROLE,
            &Ec2Trust {
                propagate_source_identity: true,
                source_identities: vec!["alice".into()],
                ..ec2()
            },
        );
        let want = json!({"Version":"2012-10-17","Statement":[
            {"Sid":"AssumeRuntimeRole","Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":[ROLE]},
            {"Sid":"PropagateSourceIdentity","Effect":"Allow","Action":["sts:SetSourceIdentity"],"Resource":[ROLE],"Condition":{"StringEquals":{"sts:SourceIdentity":["alice"]}}}
        ]});
        assert_eq!(
            doc(&g),
            PolicyDocument::parse(&want.to_string()).unwrap().to_value()
        );
        assert_least_privilege(&g);

        let c = caller_policy(
            &scope(),
            ROLE,
            Some(&ec2()),
            Some(&ServerlessTrust::default()),
        );
        let want = json!({"Version":"2012-10-17","Statement":[
            {"Sid":"SubmitWithThisRuntimeRole","Effect":"Allow","Action":["elasticmapreduce:AddJobFlowSteps","elasticmapreduce:GetClusterSessionCredentials"],
             "Resource":["arn:aws:elasticmapreduce:us-east-1:123456789012:cluster/*"],"Condition":{"StringEquals":{"elasticmapreduce:ExecutionRoleArn":[ROLE]}}},
            {"Sid":"StartJobRunWithThisRole","Effect":"Allow","Action":["emr-serverless:StartJobRun"],"Resource":["arn:aws:emr-serverless:us-east-1:123456789012:/applications/*"]},
            {"Sid":"PassThisRoleToEmrServerless","Effect":"Allow","Action":["iam:PassRole"],"Resource":[ROLE],"Condition":{"StringEquals":{"iam:PassedToService":["emr-serverless.amazonaws.com"]}}}
        ]});
        assert_eq!(
            doc(&c),
            PolicyDocument::parse(&want.to_string()).unwrap().to_value()
        );
        assert_least_privilege(&c);
    }

    #[test]
    fn instance_role_grant_is_recognised_exactly() {
        let roles = [
            ROLE,
            "arn:aws:iam::123456789012:role/emr-rt",
            "arn:aws-cn:iam::123456789012:role/x/y/emr-rt",
        ];
        let flags: [(bool, &[&str]); 4] = [
            (false, &[]),
            (true, &[]),
            (true, &["alice"]),
            (true, &["alice", "bob"]),
        ];
        for role in roles {
            for (propagate, ids) in flags {
                let e = Ec2Trust {
                    propagate_source_identity: propagate,
                    source_identities: ids.iter().map(|s| s.to_string()).collect(),
                    ..ec2()
                };
                let g = instance_role_policy(role, &e);
                assert!(is_instance_role_grant(&g), "{}", g.canonical());
                // As IAM hands it back: any JSON form of the same document.
                let reparsed = PolicyDocument::parse(&g.canonical()).unwrap();
                assert!(is_instance_role_grant(&reparsed));
                assert_eq!(instance_role_grant_target(&g), Some(role));
            }
        }
        let refused = |what: &str, doc: serde_json::Value| {
            let d = PolicyDocument::parse(&doc.to_string()).unwrap();
            assert!(!is_instance_role_grant(&d), "{what} was accepted: {doc}");
        };
        let assume = |extra: serde_json::Value| {
            let mut s = json!({"Sid":"AssumeRuntimeRole","Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":[ROLE]});
            if let (Some(m), Some(x)) = (s.as_object_mut(), extra.as_object()) {
                for (k, v) in x {
                    m.insert(k.clone(), v.clone());
                }
            }
            s
        };
        let doc = |st: serde_json::Value| json!({"Version":"2012-10-17","Statement":st});
        let other = json!({"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"});
        let same_role =
            json!({"Effect":"Allow","Action":"iam:UpdateAssumeRolePolicy","Resource":ROLE});
        let bare_source =
            json!({"Effect":"Allow","Action":"sts:SetSourceIdentity","Resource":ROLE});
        #[rustfmt::skip]
        let cases = [
            ("iam:PassRole added", json!([assume(json!({"Action":["sts:AssumeRole","sts:TagSession","iam:PassRole"]}))])),
            ("an extra action", json!([assume(json!({"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}))])),
            ("Resource *", json!([assume(json!({"Resource":"*"}))])),
            ("a role wildcard", json!([assume(json!({"Resource":"arn:aws:iam::123456789012:role/*"}))])),
            ("two roles", json!([assume(json!({"Resource":[ROLE, INSTANCE]}))])),
            ("action wildcard", json!([assume(json!({"Action":"sts:*"}))])),
            ("admin", json!([{"Effect":"Allow","Action":"*","Resource":"*"}])),
            ("NotAction", json!([assume(json!({"NotAction":["iam:*"]}))])),
            ("a Deny turned around", json!([assume(json!({"Effect":"Deny"}))])),
            ("another sid", json!([assume(json!({"Sid":"Other"}))])),
            ("an extra condition", json!([assume(json!({"Condition":{"StringEquals":{"aws:RequestTag/x":["y"]}}}))])),
            ("an extra statement", json!([assume(json!({})), other])),
            ("an extra statement on the same role", json!([assume(json!({})), same_role])),
            ("source identity without its sid", json!([assume(json!({})), bare_source])),
            ("a user, not a role", json!([assume(json!({"Resource":"arn:aws:iam::123456789012:user/x"}))])),
        ];
        for (what, st) in cases {
            refused(what, doc(st));
        }
        refused(
            "an Id",
            json!({"Version":"2012-10-17","Id":"x","Statement":[assume(json!({}))]}),
        );
        // The control: the same builder yields an accepted document.
        let ok = PolicyDocument::parse(&doc(json!([assume(json!({}))])).to_string()).unwrap();
        assert!(is_instance_role_grant(&ok));
    }
}
