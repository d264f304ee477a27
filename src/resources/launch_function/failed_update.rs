//! An update that fails after creating the launcher records what it made,
//! and the next apply converges without manual steps (mocked AWS clients).

use aws_sdk_iam::operation::create_role::CreateRoleOutput;
use aws_sdk_iam::operation::get_role::{GetRoleError, GetRoleOutput};
use aws_sdk_iam::operation::get_role_policy::GetRolePolicyOutput;
use aws_sdk_iam::operation::list_attached_role_policies::ListAttachedRolePoliciesOutput;
use aws_sdk_iam::operation::list_role_policies::ListRolePoliciesOutput;
use aws_sdk_iam::operation::put_role_policy::PutRolePolicyOutput;
use aws_sdk_lambda::operation::create_function::CreateFunctionOutput;
use aws_sdk_lambda::operation::get_function::{GetFunctionError, GetFunctionOutput};
use aws_sdk_lambda::types::FunctionConfiguration;
use aws_sdk_sfn::operation::describe_state_machine::DescribeStateMachineOutput;
use aws_sdk_sfn::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_sfn::operation::update_state_machine::{
    UpdateStateMachineError, UpdateStateMachineOutput,
};
use aws_sdk_ssm::operation::add_tags_to_resource::AddTagsToResourceOutput;
use aws_sdk_ssm::operation::put_parameter::PutParameterOutput;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_types::error::ErrorMetadata;
use tokio_util::sync::CancellationToken;

use super::tests::{env, inputs, plan_documents, state};
use super::*;
use crate::aws::managed_role::OWNER_TAG;
use crate::iam::consistency::Backoff;

const LAUNCHER_ROLE_ATTRS: [&str; 4] = [
    "launcher_role_arn",
    "launcher_role_trust_policy_json",
    "launcher_role_policy_json",
    "launcher_role_managed_policy_arns",
];
const LAUNCHER_FUNCTION_ATTRS: [&str; 4] = [
    "launcher_function_arn",
    "launcher_configuration_json",
    "launcher_source_code_hash",
    "launcher_launch_json",
];
const DEFINITION: &str = "definition_json";

/// [`super::apply_function`] on values.
async fn apply_function(
    aws: &FunctionAws,
    cancel: &CancellationToken,
    planned: &Value,
    prior: Option<&Value>,
) -> Result<Value, (Value, String)> {
    let decode = |v: &Value| model::decode::<Model>(v).expect("a value of the schema");
    let encode = |m: &Model| to_value(m).expect("encodes");
    let prior = prior.map(decode);
    super::apply_function(aws, cancel, &decode(planned), prior.as_ref())
        .await
        .map(|m| encode(&m))
        .map_err(|(st, e)| (st.map_or(Value::Null, |m| encode(&m)), e))
}

const OWNER: &str = "emr_launch_function/analytics/nightly";

fn error(code: &str) -> ErrorMetadata {
    ErrorMetadata::builder()
        .code(code)
        .message("from the mock")
        .build()
}

/// A function's planned state, as modify_plan leaves it.
fn planned(kerberos: bool) -> Value {
    let mut st = state(false, kerberos);
    st.set_attr("id", Value::string("analytics/nightly"));
    let pname = "/emr-launch/emr_launch_functions/analytics/nightly";
    st.set_attr("parameter_name", Value::string(pname));
    st.set_attr(
        "parameter_arn",
        Value::string(format!(
            "arn:aws:ssm:us-east-1:123456789012:parameter{pname}"
        )),
    );
    let tags = Value::Map(BTreeMap::from([(
        "team".to_string(),
        Value::string("data"),
    )]));
    st.set_attr("tags", tags.clone());
    st.set_attr("tags_all", tags);
    plan_documents(&env(), &mut st);
    st
}

fn text(st: &Value, k: &str) -> String {
    st.str_attr(k).unwrap_or_default().to_string()
}

/// IAM as it is: the execution role with `exec_policy`, and the launcher
/// role (with `launcher`'s trust and policy) when given. Every role is
/// tagged for this function.
fn iam_rules(
    planned: &Value,
    exec_policy: String,
    launcher: Option<(String, String)>,
) -> Vec<Rule> {
    let r = FunctionResources::derive(&env(), "analytics", "nightly");
    let role = |name: &str, trust: String| {
        aws_sdk_iam::types::Role::builder()
            .role_name(name)
            .path("/")
            .arn(role_arn(&env(), name))
            .role_id(format!("AROA{}", name.len()))
            .create_date(aws_smithy_types::DateTime::from_secs(0))
            .assume_role_policy_document(trust)
            .description(ROLE_DESCRIPTION)
            .max_session_duration(3600)
            .tags(tag("team", "data"))
            .tags(tag(OWNER_TAG, OWNER))
            .build()
            .expect("role")
    };
    let exec = role(&r.role, text(planned, "role_trust_policy_json"));
    let exec_name = r.role.clone();
    let mut rules = vec![
        mock!(aws_sdk_iam::Client::get_role)
            .match_requests(move |q| q.role_name() == Some(exec_name.as_str()))
            .then_output(move || GetRoleOutput::builder().role(exec.clone()).build()),
        inline_rule(&r.role, EXECUTION_POLICY, exec_policy),
    ];
    let launcher_name = r.launcher_role.clone();
    match launcher {
        None => rules.push(
            mock!(aws_sdk_iam::Client::get_role)
                .match_requests(move |q| q.role_name() == Some(launcher_name.as_str()))
                .then_error(|| GetRoleError::generic(error("NoSuchEntity"))),
        ),
        Some((trust, policy)) => {
            let found = role(&r.launcher_role, trust);
            rules.push(
                mock!(aws_sdk_iam::Client::get_role)
                    .match_requests(move |q| q.role_name() == Some(launcher_name.as_str()))
                    .then_output(move || GetRoleOutput::builder().role(found.clone()).build()),
            );
            rules.push(inline_rule(&r.launcher_role, LAUNCHER_POLICY, policy));
        }
    }
    let policies = |name: String, policy: &'static str| {
        mock!(aws_sdk_iam::Client::list_role_policies)
            .match_requests(move |q| q.role_name() == Some(name.as_str()))
            .then_output(move || {
                ListRolePoliciesOutput::builder()
                    .policy_names(policy)
                    .is_truncated(false)
                    .build()
                    .expect("list")
            })
    };
    rules.push(policies(r.role.clone(), EXECUTION_POLICY));
    rules.push(policies(r.launcher_role.clone(), LAUNCHER_POLICY));
    rules.push(
        mock!(aws_sdk_iam::Client::list_attached_role_policies).then_output(|| {
            ListAttachedRolePoliciesOutput::builder()
                .is_truncated(false)
                .build()
        }),
    );
    rules
}

fn tag(k: &str, v: &str) -> aws_sdk_iam::types::Tag {
    aws_sdk_iam::types::Tag::builder()
        .key(k)
        .value(v)
        .build()
        .expect("tag")
}

fn inline_rule(role: &str, policy: &'static str, doc: String) -> Rule {
    let role = role.to_string();
    mock!(aws_sdk_iam::Client::get_role_policy)
        .match_requests(move |q| q.role_name() == Some(role.as_str()))
        .then_output(move || {
            GetRolePolicyOutput::builder()
                .role_name("r")
                .policy_name(policy)
                .policy_document(doc.clone())
                .build()
                .expect("policy")
        })
}

/// Step Functions as it is: the state machine with `definition`, tagged for
/// this function; updating it answers `update`.
fn sfn_rules(definition: String, update: Rule) -> Vec<Rule> {
    let r = FunctionResources::derive(&env(), "analytics", "nightly");
    vec![
        mock!(aws_sdk_sfn::Client::describe_state_machine).then_output(move || {
            DescribeStateMachineOutput::builder()
                .state_machine_arn(&r.state_machine_arn)
                .name(&r.state_machine)
                .definition(definition.clone())
                .role_arn(&r.role_arn)
                .r#type(aws_sdk_sfn::types::StateMachineType::Standard)
                .creation_date(aws_smithy_types::DateTime::from_secs(0))
                .build()
                .expect("state machine")
        }),
        mock!(aws_sdk_sfn::Client::list_tags_for_resource).then_output(|| {
            let tag = |k: &str, v: &str| aws_sdk_sfn::types::Tag::builder().key(k).value(v).build();
            ListTagsForResourceOutput::builder()
                .tags(tag("team", "data"))
                .tags(tag(OWNER_TAG, OWNER))
                .build()
        }),
        update,
    ]
}

/// The launcher as Lambda reports it once created, with these tags.
fn launcher_found(planned: &Value, tags: &[(&str, &str)]) -> Rule {
    let i = inputs(&env(), planned).expect("inputs");
    let sha = launcher::code_sha256(&launcher::package(&i.launcher_launch()));
    let tags: Vec<(String, String)> = tags
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    mock!(aws_sdk_lambda::Client::get_function).then_output(move || {
        let cfg = FunctionConfiguration::builder()
            .function_name(&i.resources.launcher)
            .runtime(aws_sdk_lambda::types::Runtime::from(launcher::RUNTIME))
            .handler(launcher::HANDLER)
            .role(&i.resources.launcher_role_arn)
            .timeout(launcher::TIMEOUT_SECONDS)
            .memory_size(launcher::MEMORY_MB)
            .code_sha256(sha.clone())
            .build();
        let mut out = GetFunctionOutput::builder().configuration(cfg);
        for (k, v) in &tags {
            out = out.tags(k, v);
        }
        out.build()
    })
}

fn ssm_rules() -> Vec<Rule> {
    vec![
        mock!(aws_sdk_ssm::Client::put_parameter)
            .then_output(|| PutParameterOutput::builder().build()),
        mock!(aws_sdk_ssm::Client::list_tags_for_resource).then_output(|| {
            aws_sdk_ssm::operation::list_tags_for_resource::ListTagsForResourceOutput::builder()
                .build()
        }),
        mock!(aws_sdk_ssm::Client::add_tags_to_resource)
            .then_output(|| AddTagsToResourceOutput::builder().build()),
    ]
}

fn clients(iam: &[Rule], lambda: &[Rule], sfn: &[Rule], ssm: &[Rule]) -> FunctionAws {
    FunctionAws {
        iam: mock_client!(aws_sdk_iam, RuleMode::MatchAny, iam),
        lambda: mock_client!(aws_sdk_lambda, RuleMode::MatchAny, lambda),
        sfn: mock_client!(aws_sdk_sfn, RuleMode::MatchAny, sfn),
        ssm: mock_client!(aws_sdk_ssm, RuleMode::MatchAny, ssm),
        env: env(),
        backoff: Backoff {
            first: std::time::Duration::from_millis(1),
            max_delay: std::time::Duration::from_millis(1),
            total: std::time::Duration::from_millis(5),
        },
    }
}

#[tokio::test]
async fn an_update_that_fails_after_creating_the_launcher_converges_on_the_next_apply() {
    let prior = planned(false);
    let want = planned(true);
    assert!(prior.get("launcher_role_arn").is_null());
    let cancel = CancellationToken::new();

    // First apply: the launcher role and function are created, the
    // execution role's policy is replaced, then updating the state machine fails.
    let create_role = mock!(aws_sdk_iam::Client::create_role).then_output(|| {
        let r = FunctionResources::derive(&env(), "analytics", "nightly");
        CreateRoleOutput::builder()
            .role(
                aws_sdk_iam::types::Role::builder()
                    .role_name(&r.launcher_role)
                    .path("/")
                    .arn(&r.launcher_role_arn)
                    .role_id("AROALAUNCHER")
                    .create_date(aws_smithy_types::DateTime::from_secs(0))
                    .build()
                    .expect("role"),
            )
            .build()
    });
    let put_policy = mock!(aws_sdk_iam::Client::put_role_policy)
        .then_output(|| PutRolePolicyOutput::builder().build());
    let mut iam = iam_rules(&prior, text(&prior, "role_policy_json"), None);
    iam.extend([create_role, put_policy]);
    let get_function = mock!(aws_sdk_lambda::Client::get_function)
        .then_error(|| GetFunctionError::generic(error("ResourceNotFoundException")));
    let create_function = mock!(aws_sdk_lambda::Client::create_function)
        .then_output(|| CreateFunctionOutput::builder().build());
    let update_fails = mock!(aws_sdk_sfn::Client::update_state_machine)
        .then_error(|| UpdateStateMachineError::generic(error("AccessDeniedException")));
    let aws = clients(
        &iam,
        &[get_function, create_function],
        &sfn_rules(text(&prior, DEFINITION), update_fails),
        &ssm_rules(),
    );
    let (recorded, message) = apply_function(&aws, &cancel, &want, Some(&prior))
        .await
        .expect_err("the state machine update fails");
    assert!(message.contains("updating state machine"), "{message}");
    assert_ne!(recorded, prior, "the prior state hides the launcher");
    for k in LAUNCHER_ROLE_ATTRS.iter().chain(&LAUNCHER_FUNCTION_ATTRS) {
        assert_eq!(recorded.get(k), want.get(k), "{k} records what was made");
    }
    assert_eq!(
        recorded.get("role_policy_json"),
        want.get("role_policy_json")
    );
    assert_eq!(
        recorded.get(DEFINITION),
        prior.get(DEFINITION),
        "the state machine was not updated"
    );
    assert_eq!(recorded.get("metadata_json"), prior.get("metadata_json"));

    // Second apply from what was recorded (and, since everything made is
    // tagged for the function, even from the prior state): the launcher is
    // adopted, nothing is created again, the state machine is updated.
    for from in [&recorded, &prior] {
        let mut iam = iam_rules(
            &want,
            text(&want, "role_policy_json"),
            Some((
                text(&want, "launcher_role_trust_policy_json"),
                text(&want, "launcher_role_policy_json"),
            )),
        );
        let no_create = mock!(aws_sdk_iam::Client::create_role).then_error(|| {
            aws_sdk_iam::operation::create_role::CreateRoleError::generic(error(
                "EntityAlreadyExists",
            ))
        });
        // The launcher role the state does not record is adopted by its
        // owner tag, and first its older sessions are revoked (no other
        // policy is written).
        let revoke = mock!(aws_sdk_iam::Client::put_role_policy)
            .match_requests(|r| r.policy_name() == Some(crate::aws::managed_role::REVOKE_POLICY))
            .then_output(|| PutRolePolicyOutput::builder().build());
        let no_put = mock!(aws_sdk_iam::Client::put_role_policy)
            .then_output(|| PutRolePolicyOutput::builder().build());
        iam.extend([revoke, no_create, no_put]);
        let found = launcher_found(&want, &[("team", "data"), (OWNER_TAG, OWNER)]);
        let no_create_function = mock!(aws_sdk_lambda::Client::create_function)
            .then_output(|| CreateFunctionOutput::builder().build());
        let update = mock!(aws_sdk_sfn::Client::update_state_machine).then_output(|| {
            UpdateStateMachineOutput::builder()
                .update_date(aws_smithy_types::DateTime::from_secs(0))
                .build()
                .expect("output")
        });
        let aws = clients(
            &iam,
            &[found, no_create_function],
            &sfn_rules(text(&prior, DEFINITION), update),
            &ssm_rules(),
        );
        let done = apply_function(&aws, &cancel, &want, Some(from))
            .await
            .unwrap_or_else(|(_, e)| panic!("the second apply converges: {e}"));
        assert_eq!(done, want);
        assert_eq!(iam[iam.len() - 2].num_calls(), 0, "no role created again");
        assert_eq!(iam[iam.len() - 1].num_calls(), 0, "no policy rewritten");
        let revoked = usize::from(std::ptr::eq(from, &prior));
        assert_eq!(iam[iam.len() - 3].num_calls(), revoked, "revocations");
    }
}

#[tokio::test]
async fn an_untagged_launcher_the_state_does_not_record_is_refused() {
    let prior = planned(false);
    let want = planned(true);
    let mut iam = iam_rules(
        &want,
        text(&want, "role_policy_json"),
        Some((
            text(&want, "launcher_role_trust_policy_json"),
            text(&want, "launcher_role_policy_json"),
        )),
    );
    // The launcher role (tagged, unrecorded) is adopted with a revocation.
    iam.push(
        mock!(aws_sdk_iam::Client::put_role_policy)
            .match_requests(|r| r.policy_name() == Some(crate::aws::managed_role::REVOKE_POLICY))
            .then_output(|| PutRolePolicyOutput::builder().build()),
    );
    let foreign = launcher_found(&want, &[("team", "data")]);
    let update = mock!(aws_sdk_sfn::Client::update_state_machine).then_output(|| {
        UpdateStateMachineOutput::builder()
            .update_date(aws_smithy_types::DateTime::from_secs(0))
            .build()
            .expect("output")
    });
    let aws = clients(
        &iam,
        &[foreign],
        &sfn_rules(text(&prior, DEFINITION), update),
        &ssm_rules(),
    );
    let (recorded, message) = apply_function(&aws, &CancellationToken::new(), &want, Some(&prior))
        .await
        .expect_err("refused");
    assert!(
        message.contains("already exists and is not managed by this launch function"),
        "{message}"
    );
    assert!(
        recorded.get("launcher_function_arn").is_null(),
        "not recorded"
    );
}
