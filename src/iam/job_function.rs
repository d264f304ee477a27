//! An EMR Serverless job function's execution role policy: start job runs on
//! exactly one application, passing exactly one role, to EMR Serverless
//! only. Its trust and the invoke policy are the launch function's (Step
//! Functions for this state machine only; StartExecution on it).

use super::{principals, PolicyDocument, Scope, Statement};

/// `arn:<partition>:emr-serverless:<region>:<account>:/applications/<id>`.
pub fn application_arn(scope: &Scope, application_id: &str) -> String {
    principals::arn(
        scope.partition,
        "emr-serverless",
        scope.region,
        scope.account,
        &format!("/applications/{application_id}"),
    )
}

pub fn execution_policy(scope: &Scope, application_id: &str, job_role_arn: &str) -> PolicyDocument {
    let emr_serverless = principals::service(scope.partition, "emr-serverless");
    PolicyDocument::new(vec![
        Statement::allow(["emr-serverless:StartJobRun"])
            .sid("StartJobRunsOnThisApplication")
            .resource(application_arn(scope, application_id)),
        Statement::allow(["iam:PassRole"])
            .sid("PassTheJobRoleToEmrServerless")
            .resource(job_role_arn)
            .condition("StringEquals", "iam:PassedToService", [emr_serverless]),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::least_privilege::{assert_least_privilege, violations};
    use serde_json::json;

    #[test]
    fn one_application_one_role_one_service() {
        let scope = Scope {
            partition: "aws",
            account: "123456789012",
            region: "us-east-1",
        };
        let role = "arn:aws:iam::123456789012:role/acme-job";
        let doc = execution_policy(&scope, "00f1abcdef", role);
        assert_least_privilege(&doc);
        assert!(violations(&doc).is_empty());
        assert_eq!(
            doc.to_value(),
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "StartJobRunsOnThisApplication", "Effect": "Allow",
                 "Action": ["emr-serverless:StartJobRun"],
                 "Resource": ["arn:aws:emr-serverless:us-east-1:123456789012:/applications/00f1abcdef"]},
                {"Sid": "PassTheJobRoleToEmrServerless", "Effect": "Allow",
                 "Action": ["iam:PassRole"], "Resource": [role],
                 "Condition": {"StringEquals": {"iam:PassedToService": ["emr-serverless.amazonaws.com"]}}}
            ]})
        );
    }
}
