//! A launch function's policies: its execution role (trusted by Step
//! Functions for its state machine only), its launcher's role, and what a
//! user who may launch is granted. Pure: built at plan from what Terraform
//! knows about the function, its profile and its configuration.

use std::collections::{BTreeMap, BTreeSet};

use super::{principals, PolicyDocument, Principal, Scope, Statement};

/// What a launch function's policies are built from.
#[derive(Clone, Debug, PartialEq)]
pub struct Function<'a> {
    /// `namespace/name`: the value of the function's tag on what it launches.
    pub id: &'a str,
    /// The key of that tag.
    pub tag_key: &'a str,
    /// The roles a launch passes, each with the service it is passed to.
    pub passed_roles: Vec<(&'a str, String)>,
    /// The launcher Lambda's name and ARN.
    pub launcher: &'a str,
    pub launcher_arn: &'a str,
    /// Whether launches go through the launcher (Kerberos attributes).
    pub has_launcher: bool,
    pub kerberos_secret: Option<&'a str>,
    pub wait: bool,
    pub fail_if_running: bool,
    /// The SNS topic notified of launches, when any are notified.
    pub notify_topic: Option<&'a str>,
}

/// `arn:<partition>:states:<region>:<account>:stateMachine:<name>`.
pub fn state_machine_arn(scope: &Scope, name: &str) -> String {
    principals::arn(
        scope.partition,
        "states",
        scope.region,
        scope.account,
        &format!("stateMachine:{name}"),
    )
}

fn service_trust(scope: &Scope, service: &str, source_arn: Option<&str>) -> PolicyDocument {
    let mut s = Statement::allow(["sts:AssumeRole"])
        .principal(Principal::service(principals::service(
            scope.partition,
            service,
        )))
        .condition("StringEquals", "aws:SourceAccount", [scope.account]);
    if let Some(a) = source_arn {
        s = s.condition("ArnEquals", "aws:SourceArn", [a.to_string()]);
    }
    PolicyDocument::new(vec![s])
}

/// The execution role's trust: Step Functions, for this state machine only.
pub fn execution_trust(scope: &Scope, state_machine_arn: &str) -> PolicyDocument {
    service_trust(scope, "states", Some(state_machine_arn))
}

pub fn launcher_trust(scope: &Scope) -> PolicyDocument {
    service_trust(scope, "lambda", None)
}

fn cluster_arn_pattern(scope: &Scope) -> String {
    format!(
        "arn:{}:elasticmapreduce:{}:{}:cluster/*",
        scope.partition, scope.region, scope.account
    )
}

/// RunJobFlow (only with this function's tag), tagging on create, and
/// passing exactly the profile's roles to exactly their services.
fn launch_statements(scope: &Scope, f: &Function) -> Vec<Statement> {
    let tag_key = format!("aws:RequestTag/{}", f.tag_key);
    let mut v = vec![
        Statement::allow(["elasticmapreduce:RunJobFlow"])
            .sid("LaunchTaggedClusters")
            .resource("*")
            .condition("StringEquals", &tag_key, [f.id]),
        // Tags of a new cluster (which has none yet), or more tags on this
        // function's own clusters; never on another function's cluster,
        // whose function tag this could otherwise overwrite.
        Statement::allow(["elasticmapreduce:AddTags"])
            .sid("TagOnLaunch")
            .resource(cluster_arn_pattern(scope))
            .condition("StringEquals", &tag_key, [f.id])
            .condition(
                "StringEqualsIfExists",
                &format!("aws:ResourceTag/{}", f.tag_key),
                [f.id],
            ),
    ];
    let mut by_service: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (role, service) in &f.passed_roles {
        by_service.entry(service.as_str()).or_default().insert(role);
    }
    for (service, roles) in by_service {
        let sid = if service.starts_with("elasticmapreduce.") {
            "PassServiceRole"
        } else if service.starts_with("ec2.") {
            "PassInstanceRole"
        } else {
            "PassAutoScalingRole"
        };
        v.push(
            Statement::allow(["iam:PassRole"])
                .sid(sid)
                .resources(roles)
                .condition("StringEquals", "iam:PassedToService", [service]),
        );
    }
    v
}

/// ListClusters has no resource-level permissions; it shows names, ids and
/// states only (never configurations).
fn list_clusters_statement() -> Statement {
    Statement::allow(["elasticmapreduce:ListClusters"])
        .sid("FindActiveClusters")
        .resource("*")
}

/// The execution role: nothing is read from SSM (the request is in the
/// definition); it launches, or invokes the pinned launcher.
pub fn execution_policy(scope: &Scope, f: &Function) -> PolicyDocument {
    let mut v = Vec::new();
    if f.has_launcher {
        v.push(
            Statement::allow(["lambda:InvokeFunction"])
                .sid("InvokeLauncher")
                .resource(f.launcher_arn),
        );
    } else {
        v.extend(launch_statements(scope, f));
    }
    if f.fail_if_running || f.wait {
        v.push(list_clusters_statement());
    }
    if let Some(topic) = f.notify_topic {
        v.push(
            Statement::allow(["sns:Publish"])
                .sid("PublishNotifications")
                .resource(topic),
        );
    }
    PolicyDocument::new(v)
}

/// The launcher's role: it alone reads the Kerberos attributes, launches,
/// and writes its own logs.
pub fn launcher_policy(scope: &Scope, f: &Function) -> PolicyDocument {
    let group = format!(
        "arn:{}:logs:{}:{}:log-group:/aws/lambda/{}",
        scope.partition, scope.region, scope.account, f.launcher
    );
    let mut v = vec![Statement::allow(["secretsmanager:GetSecretValue"])
        .sid("ReadKerberosAttributes")
        .resources(f.kerberos_secret)];
    v.extend(launch_statements(scope, f));
    if f.fail_if_running {
        v.push(list_clusters_statement());
    }
    v.push(
        Statement::allow(["logs:CreateLogGroup"])
            .sid("CreateOwnLogGroup")
            .resource(group.clone()),
    );
    v.push(
        Statement::allow(["logs:CreateLogStream", "logs:PutLogEvents"])
            .sid("WriteOwnLogs")
            .resource(format!("{group}:*")),
    );
    PolicyDocument::new(v)
}

/// What a user who may launch is granted: this state machine and its
/// executions, nothing else (seed 001, threat 1).
pub fn invoke_policy(scope: &Scope, sm_name: &str) -> PolicyDocument {
    let sm = state_machine_arn(scope, sm_name);
    let executions = format!(
        "arn:{}:states:{}:{}:execution:{sm_name}:*",
        scope.partition, scope.region, scope.account
    );
    PolicyDocument::new(vec![
        Statement::allow(["states:StartExecution"])
            .sid("LaunchThisFunction")
            .resource(sm),
        Statement::allow(["states:DescribeExecution", "states:StopExecution"])
            .sid("FollowItsExecutions")
            .resource(executions),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::least_privilege::assert_least_privilege;
    use serde_json::{json, Value as Json};

    fn scope() -> Scope<'static> {
        Scope {
            partition: "aws",
            account: "123456789012",
            region: "us-east-1",
        }
    }

    fn statement<'a>(doc: &'a Json, sid: &str) -> Option<&'a Json> {
        doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == json!(sid))
    }

    fn function(kerberos: Option<&str>) -> Function<'_> {
        Function {
            id: "analytics/nightly",
            tag_key: "emr-launch:function",
            passed_roles: vec![
                (
                    "arn:aws:iam::123456789012:role/s",
                    "elasticmapreduce.amazonaws.com".into(),
                ),
                (
                    "arn:aws:iam::123456789012:role/i",
                    "ec2.amazonaws.com".into(),
                ),
            ],
            launcher: "analytics-nightly-emr-launcher",
            launcher_arn:
                "arn:aws:lambda:us-east-1:123456789012:function:analytics-nightly-emr-launcher",
            has_launcher: kerberos.is_some(),
            kerberos_secret: kerberos,
            wait: true,
            fail_if_running: true,
            notify_topic: Some("arn:aws:sns:us-east-1:123456789012:launches"),
        }
    }

    #[test]
    fn launches_are_tagged_and_pass_exactly_the_given_roles() {
        let f = function(None);
        let d = execution_policy(&scope(), &f);
        assert_least_privilege(&d);
        let v = d.to_value();
        assert_eq!(
            statement(&v, "LaunchTaggedClusters").unwrap()["Condition"]["StringEquals"]
                ["aws:RequestTag/emr-launch:function"],
            json!(["analytics/nightly"])
        );
        // Tagging: only a new cluster's or this function's own, never
        // another function's cluster (its function tag stays its own).
        let tag = statement(&v, "TagOnLaunch").unwrap();
        assert_eq!(
            tag["Condition"]["StringEquals"]["aws:RequestTag/emr-launch:function"],
            json!(["analytics/nightly"])
        );
        assert_eq!(
            tag["Condition"]["StringEqualsIfExists"]["aws:ResourceTag/emr-launch:function"],
            json!(["analytics/nightly"])
        );
        assert_eq!(
            statement(&v, "PassInstanceRole").unwrap()["Resource"],
            json!(["arn:aws:iam::123456789012:role/i"])
        );
        assert!(statement(&v, "PassAutoScalingRole").is_none());
        assert!(statement(&v, "PublishNotifications").is_some());
        assert!(statement(&v, "InvokeLauncher").is_none());
        let trust = execution_trust(
            &scope(),
            "arn:aws:states:us-east-1:123456789012:stateMachine:x",
        );
        assert_least_privilege(&trust);
    }

    #[test]
    fn with_a_launcher_only_the_launcher_reads_the_secret_and_launches() {
        let secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:krb-AbCdEf";
        let f = function(Some(secret));
        let exec = execution_policy(&scope(), &f).canonical();
        assert!(exec.contains("lambda:InvokeFunction"));
        assert!(!exec.contains("RunJobFlow") && !exec.contains("secretsmanager"));
        let l = launcher_policy(&scope(), &f);
        assert_least_privilege(&l);
        assert_least_privilege(&launcher_trust(&scope()));
        let v = l.to_value();
        assert_eq!(
            statement(&v, "ReadKerberosAttributes").unwrap()["Resource"],
            json!([secret])
        );
        assert!(statement(&v, "LaunchTaggedClusters").is_some());
    }

    #[test]
    fn invoke_policy_is_this_function_only() {
        let d = invoke_policy(&scope(), "analytics-nightly-emr-launch");
        let v = d.to_value();
        assert_eq!(
            statement(&v, "LaunchThisFunction").unwrap()["Resource"],
            json!([
                "arn:aws:states:us-east-1:123456789012:stateMachine:analytics-nightly-emr-launch"
            ])
        );
        assert!(
            !d.canonical().contains('*')
                || d.canonical()
                    .contains("execution:analytics-nightly-emr-launch:*")
        );
    }
}
