//! The EMR Serverless data plane's policies: the job runtime role's trust
//! and permissions, the launch role's permissions and its trust of the
//! control plane. Pure: built at plan from the data plane's inputs.

use super::{PolicyDocument, Principal, Scope, Statement};

const SERVERLESS: &str = "emr-serverless.amazonaws.com";
const SERVERLESS_OPS: &str = "ops.emr-serverless.amazonaws.com";

/// What the data plane's policies are built from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inputs {
    pub bucket: String,
    pub prefix: String,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub kms_key_arns: Vec<String>,
    pub read_bucket_names: Vec<String>,
    pub assumable_role_arns: Vec<String>,
    pub tip: bool,
}

fn s3_statements(
    scope: &Scope,
    sid: &str,
    bucket: &str,
    prefix: &str,
    actions: &[&str],
) -> Vec<Statement> {
    let p = scope.partition;
    let mut list = Statement::allow(["s3:ListBucket"])
        .sid(&format!("{sid}List"))
        .resource(format!("arn:{p}:s3:::{bucket}"));
    if !prefix.is_empty() {
        list = list.condition("StringLike", "s3:prefix", [format!("{prefix}*")]);
    }
    vec![
        Statement::allow(actions.iter().copied())
            .sid(sid)
            .resource(format!("arn:{p}:s3:::{bucket}/{prefix}*")),
        list,
    ]
}

pub fn job_runtime_trust(scope: &Scope, tip: bool) -> PolicyDocument {
    let mut actions = vec!["sts:AssumeRole"];
    if tip {
        actions.push("sts:SetContext");
    }
    PolicyDocument::new(vec![Statement::allow(actions)
        .sid("EmrServerlessAssume")
        .principal(Principal::service(SERVERLESS))
        .condition("StringEquals", "aws:SourceAccount", [scope.account])
        .condition(
            "ArnLike",
            "aws:SourceArn",
            [format!(
                "arn:{}:emr-serverless:{}:{}:/applications/*",
                scope.partition, scope.region, scope.account
            )],
        )])
}

fn kms_statement(keys: &[String]) -> Option<Statement> {
    (!keys.is_empty()).then(|| {
        Statement::allow(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"])
            .sid("KmsKeys")
            .resources(keys.iter().cloned())
    })
}

pub fn job_runtime_policy(scope: &Scope, i: &Inputs) -> PolicyDocument {
    let mut st = s3_statements(
        scope,
        "ResourceBucket",
        &i.bucket,
        &i.prefix,
        &["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
    );
    for (n, b) in i.read_bucket_names.iter().enumerate() {
        st.extend(s3_statements(
            scope,
            &format!("ReadBucket{n}"),
            b,
            "",
            &["s3:GetObject"],
        ));
    }
    st.extend(kms_statement(&i.kms_key_arns));
    if !i.assumable_role_arns.is_empty() {
        st.push(
            Statement::allow(["sts:AssumeRole"])
                .sid("AssumeCustomerRoles")
                .resources(i.assumable_role_arns.iter().cloned()),
        );
    }
    PolicyDocument::new(st)
}

pub fn launch_policy(scope: &Scope, i: &Inputs, job_role_arn: &str) -> PolicyDocument {
    let (p, r, a) = (scope.partition, scope.region, scope.account);
    let mut st = vec![
        Statement::allow(["emr-serverless:CreateApplication", "emr-serverless:ListApplications"])
            .sid("EmrServerlessCreateAndList")
            .resource(format!("arn:{p}:emr-serverless:{r}:{a}:/*")),
        Statement::allow([
            "emr-serverless:CancelJobRun",
            "emr-serverless:DeleteApplication",
            "emr-serverless:GetApplication",
            "emr-serverless:GetJobRun",
            "emr-serverless:ListJobRuns",
            "emr-serverless:StartApplication",
            "emr-serverless:StartJobRun",
            "emr-serverless:StopApplication",
            "emr-serverless:UpdateApplication",
        ])
        .sid("EmrServerlessApplications")
        .resources([format!("arn:{p}:emr-serverless:{r}:{a}:/applications/*")]),
        Statement::allow(["ec2:CreateNetworkInterface"])
            .sid("NetworkInterfacesViaEmrServerless")
            .resource(format!("arn:{p}:ec2:{r}:{a}:network-interface/*"))
            .resources(i.subnet_ids.iter().map(|s| format!("arn:{p}:ec2:{r}:{a}:subnet/{s}")))
            .resources(i.security_group_ids.iter().map(|s| format!("arn:{p}:ec2:{r}:{a}:security-group/{s}")))
            .condition("StringEquals", "aws:CalledViaLast", [SERVERLESS_OPS]),
        Statement::allow(["iam:CreateServiceLinkedRole"])
            .sid("EmrServerlessServiceLinkedRole")
            .resource(format!("arn:{p}:iam::{a}:role/aws-service-role/{SERVERLESS_OPS}/AWSServiceRoleForAmazonEMRServerless"))
            .condition("StringEquals", "iam:AWSServiceName", [SERVERLESS_OPS]),
        Statement::allow(["iam:PassRole"])
            .sid("PassJobRuntimeRole")
            .resource(job_role_arn)
            .condition("StringEquals", "iam:PassedToService", [SERVERLESS]),
    ];
    st.extend(s3_statements(
        scope,
        "ResourceBucket",
        &i.bucket,
        &i.prefix,
        &["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
    ));
    st.extend(kms_statement(&i.kms_key_arns));
    PolicyDocument::new(st)
}

pub fn launch_trust(principal_arn: &str, external_id: &str) -> PolicyDocument {
    PolicyDocument::new(vec![Statement::allow(["sts:AssumeRole"])
        .sid("ControlPlaneAssume")
        .principal(Principal::aws(principal_arn))
        .condition("StringEquals", "sts:ExternalId", [external_id])])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::least_privilege::assert_least_privilege;
    use serde_json::json;

    fn scope() -> Scope<'static> {
        Scope {
            partition: "aws",
            account: "123456789012",
            region: "us-east-1",
        }
    }

    fn inputs() -> Inputs {
        Inputs {
            bucket: "acme-emr-serverless".into(),
            prefix: "emr-serverless/".into(),
            subnet_ids: vec!["subnet-0a".into(), "subnet-0b".into()],
            security_group_ids: vec!["sg-01".into()],
            kms_key_arns: vec!["arn:aws:kms:us-east-1:123456789012:key/k1".into()],
            read_bucket_names: vec!["public-datasets".into()],
            assumable_role_arns: vec!["arn:aws:iam::111122223333:role/data".into()],
            tip: true,
        }
    }

    /// Seed 003's examples use `*` for emr-serverless, kms key/*, sts:AssumeRole
    /// and s3:ListAllMyBuckets; ours name exact resources.
    #[test]
    fn policies_are_narrower_than_the_seed() {
        let job = "arn:aws:iam::123456789012:role/acme-emr-serverless-job-runtime";
        for d in [
            job_runtime_trust(&scope(), true),
            job_runtime_policy(&scope(), &inputs()),
            launch_policy(&scope(), &inputs(), job),
            launch_trust("arn:aws:iam::999988887777:role/control-plane", "abc123"),
        ] {
            assert_least_privilege(&d);
            let text = d.canonical();
            assert!(!text.contains("\"*\""), "a * resource in {text}");
            assert!(!text.contains("key/*"), "{text}");
            assert!(!text.contains("ListAllMyBuckets"), "{text}");
        }
        let l = launch_policy(&scope(), &inputs(), job).to_value();
        let eni = l["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == "NetworkInterfacesViaEmrServerless")
            .unwrap()
            .clone();
        assert_eq!(
            eni["Condition"]["StringEquals"]["aws:CalledViaLast"],
            json!(["ops.emr-serverless.amazonaws.com"])
        );
        assert!(eni["Resource"].as_array().unwrap().contains(&json!(
            "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0a"
        )));
        let t = job_runtime_trust(&scope(), true).to_value();
        assert_eq!(
            t["Statement"][0]["Action"],
            json!(["sts:AssumeRole", "sts:SetContext"])
        );
    }
}
