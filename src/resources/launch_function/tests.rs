use super::*;
use crate::aws::managed_role::ObservedRole;
use crate::aws::state_machine::{check_adoptable, owned_tags, tag_changes};
use crate::iam::least_privilege::assert_least_privilege;

// The model's functions on values, as the tests build them.

fn decode(st: &Value) -> Model {
    model::decode(st).expect("a value of the schema")
}

pub(super) fn plan_documents(env: &ArnScope, st: &mut Value) {
    let mut m = decode(st);
    super::plan_documents(env, &mut m);
    *st = to_value(&m).expect("encodes");
}

pub(super) fn inputs(env: &ArnScope, st: &Value) -> Option<Inputs> {
    super::inputs(env, &decode(st))
}

fn validate_config(st: &Value, env: Option<&ArnScope>) -> Diagnostics {
    super::validate_config(&decode(st), env)
}

fn record_role(
    st: &mut Value,
    role: Option<&ObservedRole>,
    policy_name: &str,
    prefix: &str,
) -> Result<(), String> {
    let which = [FnRole::Execution, FnRole::Launcher]
        .into_iter()
        .find(|w| w.prefix() == prefix && w.policy_name() == policy_name)
        .expect("a role of the function");
    let mut m = decode(st);
    aws::record_role(&mut m, role, which)?;
    *st = to_value(&m).expect("encodes");
    Ok(())
}

#[test]
fn model_is_the_schema() {
    let block = schema().block;
    let mut want = model::schema_paths(&block);
    // The object-typed attributes (profile, cluster_configuration) are typed
    // sub-structs: their attributes are the model's too.
    for a in &block.attributes {
        if let Type::Object(attrs) = &a.ty {
            want.extend(attrs.keys().map(|k| format!("{}.{k}", a.name)));
        }
    }
    assert_eq!(model::model_paths::<Model>(), want);
}

pub(super) fn env() -> ArnScope {
    ArnScope {
        partition: "aws".into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
    }
}

fn profile_doc() -> Json {
    json!({
        "Namespace": "analytics", "Name": "p",
        "ServiceRole": "arn:aws:iam::123456789012:role/analytics-p-emr-service",
        "InstanceProfile": "arn:aws:iam::123456789012:instance-profile/analytics-p-emr-instance",
        "InstanceRole": "arn:aws:iam::123456789012:role/analytics-p-emr-instance",
        "AutoScalingRole": "arn:aws:iam::123456789012:role/analytics-p-emr-autoscaling",
        "SecurityConfiguration": "sc", "SecurityGroups": {"MasterGroup": "sg-1"}
    })
}

fn config_doc(secrets: bool) -> Json {
    let mut d = json!({
        "Namespace": "analytics", "Name": "c",
        "RunJobFlow": {"Name": "c", "ReleaseLabel": "emr-7.8.0", "Instances": {"InstanceGroups": [
            {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1},
            {"InstanceRole": "CORE", "InstanceType": "m5.xlarge", "InstanceCount": 2}
        ]}, "Tags": [{"Key": "team", "Value": "data"}]},
        "Overrides": [
            {"Name": "CoreInstanceCount", "Path": "Instances.InstanceGroups[1].InstanceCount", "Minimum": 1, "Maximum": 10},
            {"Name": "CoreInstanceType", "Path": "Instances.InstanceGroups[1].InstanceType", "AllowedValues": ["m5.xlarge", "m5.2xlarge"]}
        ]
    });
    if secrets {
        d["SecretConfigurations"] = json!([{"Classification": "hive-site", "Property": "javax.jdo.option.ConnectionPassword", "SecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-AbCdEf"}]);
    }
    d
}

pub(super) fn state(secrets: bool, kerberos: bool) -> Value {
    let mut st = schema().block.empty_value();
    st.set_attr("namespace", Value::string("analytics"));
    st.set_attr("name", Value::string("nightly"));
    st.set_attr("cluster_name", Value::string("nightly-etl"));
    st.set_attr(
        "allowed_overrides",
        Value::set(vec![Value::string("CoreInstanceCount")]),
    );
    st.set_attr("wait_for_cluster_start", Value::Bool(true));
    st.set_attr("fail_if_cluster_running", Value::Bool(true));
    st.set_attr(
        "profile",
        Value::object([
            ("id", Value::string("analytics/p")),
            ("parameter_arn", Value::string("arn:aws:ssm:us-east-1:123456789012:parameter/emr-launch/emr_profiles/analytics/p")),
            ("service_role_arn", Value::string("arn:aws:iam::123456789012:role/analytics-p-emr-service")),
            ("instance_role_arn", Value::string("arn:aws:iam::123456789012:role/analytics-p-emr-instance")),
            ("instance_profile_arn", Value::string("arn:aws:iam::123456789012:instance-profile/analytics-p-emr-instance")),
            ("autoscaling_role_arn", Value::string("arn:aws:iam::123456789012:role/analytics-p-emr-autoscaling")),
            (
                "kerberos_attributes_secret_arn",
                if kerberos {
                    Value::string("arn:aws:secretsmanager:us-east-1:123456789012:secret:krb-AbCdEf")
                } else {
                    Value::Null
                },
            ),
            ("metadata_json", Value::String(profile_doc().to_string())),
        ]),
    );
    st.set_attr(
        "cluster_configuration",
        Value::object([
            ("id", Value::string("analytics/c")),
            ("parameter_arn", Value::string("arn:aws:ssm:us-east-1:123456789012:parameter/emr-launch/cluster_configurations/analytics/c")),
            ("metadata_json", Value::String(config_doc(secrets).to_string())),
            ("secret_arns", Value::List(vec![])),
        ]),
    );
    st
}

#[test]
fn every_role_of_every_variant_is_least_privilege() {
    for (secrets, kerberos) in [(false, false), (true, false), (false, true), (true, true)] {
        let mut st = state(secrets, kerberos);
        plan_documents(&env(), &mut st);
        for k in [
            "role_trust_policy_json",
            "role_policy_json",
            "invoke_policy_json",
        ] {
            assert_least_privilege(&PolicyDocument::parse(st.str_attr(k).unwrap()).unwrap());
        }
        match st.str_attr("service_role_secret_policy_json") {
            Some(t) => {
                assert!(secrets);
                let d = PolicyDocument::parse(t).unwrap();
                assert_least_privilege(&d);
                assert!(secret_grant::is_secret_grant(&d));
            }
            None => assert!(!secrets),
        }
        let launcher = kerberos;
        for k in [
            "launcher_role_trust_policy_json",
            "launcher_role_policy_json",
        ] {
            match st.str_attr(k) {
                Some(t) => {
                    assert!(launcher);
                    assert_least_privilege(&PolicyDocument::parse(t).unwrap());
                }
                None => assert!(!launcher && st.get(k).is_null()),
            }
        }
    }
}

fn statement<'a>(doc: &'a Json, sid: &str) -> Option<&'a Json> {
    doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == json!(sid))
}

#[test]
fn pass_role_lists_exactly_the_profile_roles_to_their_services() {
    let mut st = state(false, false);
    plan_documents(&env(), &mut st);
    let d: Json = serde_json::from_str(st.str_attr("role_policy_json").unwrap()).unwrap();
    let mut passed = BTreeMap::new();
    for s in d["Statement"].as_array().unwrap() {
        let actions = s["Action"].to_string();
        if actions.contains("iam:PassRole") {
            let c = &s["Condition"]["StringEquals"]["iam:PassedToService"];
            let svc = Json::from(c.as_str().or_else(|| c[0].as_str()).unwrap()).to_string();
            let res = match &s["Resource"] {
                Json::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().unwrap().to_string())
                    .collect::<Vec<_>>(),
                Json::String(x) => vec![x.clone()],
                _ => vec![],
            };
            for r in res {
                passed.insert(r, svc.clone());
            }
        }
    }
    assert_eq!(
        passed,
        BTreeMap::from([
            (
                "arn:aws:iam::123456789012:role/analytics-p-emr-service".to_string(),
                "\"elasticmapreduce.amazonaws.com\"".to_string()
            ),
            (
                "arn:aws:iam::123456789012:role/analytics-p-emr-instance".to_string(),
                "\"ec2.amazonaws.com\"".to_string()
            ),
            (
                "arn:aws:iam::123456789012:role/analytics-p-emr-autoscaling".to_string(),
                "\"application-autoscaling.amazonaws.com\"".to_string()
            ),
        ])
    );
    // Nothing is read from SSM at launch: the request is in the definition.
    assert!(!st.str_attr("role_policy_json").unwrap().contains("ssm:"));
    assert!(statement(&d, "ReadMetadata").is_none());
    let trust: Json = serde_json::from_str(st.str_attr("role_trust_policy_json").unwrap()).unwrap();
    assert_eq!(
        trust["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"],
        json!(["arn:aws:states:us-east-1:123456789012:stateMachine:analytics-nightly-emr-launch"])
    );
}

#[test]
fn tampered_profile_metadata_does_not_change_what_is_passed() {
    let mut a = state(false, false);
    plan_documents(&env(), &mut a);
    let mut b = state(false, false);
    let mut doc = profile_doc();
    doc["ServiceRole"] = json!("arn:aws:iam::123456789012:role/admin");
    doc["InstanceProfile"] = json!("arn:aws:iam::123456789012:instance-profile/admin");
    let mut p = b.get("profile").clone();
    p.set_attr("metadata_json", Value::String(doc.to_string()));
    b.set_attr("profile", p);
    plan_documents(&env(), &mut b);
    assert_eq!(a.get("role_policy_json"), b.get("role_policy_json"));
    assert!(!b
        .str_attr("role_policy_json")
        .unwrap()
        .contains("role/admin"));
    assert!(!b.str_attr("definition_json").unwrap().contains("admin"));
}

#[test]
fn kerberos_only_the_pinned_launcher_reads_it_and_launches() {
    let mut st = state(true, true);
    plan_documents(&env(), &mut st);
    let exec = st.str_attr("role_policy_json").unwrap();
    assert!(!exec.contains("secretsmanager"));
    assert!(!exec.contains("RunJobFlow"));
    assert!(!exec.contains("iam:PassRole"));
    assert!(exec.contains("lambda:InvokeFunction"));
    let l: Json = serde_json::from_str(st.str_attr("launcher_role_policy_json").unwrap()).unwrap();
    // The launcher reads the Kerberos secret only; EMR resolves the
    // configuration's secrets with the service role's grant.
    assert_eq!(
        statement(&l, "ReadKerberosAttributes").unwrap()["Resource"],
        json!(["arn:aws:secretsmanager:us-east-1:123456789012:secret:krb-AbCdEf"])
    );
    let def = st.str_attr("definition_json").unwrap();
    assert!(def
        .contains("arn:aws:lambda:us-east-1:123456789012:function:analytics-nightly-emr-launcher"));
    assert!(!def.contains("secret:krb"));
    let launch: Json = serde_json::from_str(st.str_attr("launcher_launch_json").unwrap()).unwrap();
    assert_eq!(
        launch["KerberosAttributesSecretArn"],
        json!("arn:aws:secretsmanager:us-east-1:123456789012:secret:krb-AbCdEf")
    );
    assert_eq!(
        launch["Overrides"],
        json!([{"Name": "CoreInstanceCount", "Path": "Instances.InstanceGroups[1].InstanceCount", "Minimum": 1, "Maximum": 10}])
    );
    assert_eq!(
        launch["Request"]["ServiceRole"],
        json!("arn:aws:iam::123456789012:role/analytics-p-emr-service")
    );
    assert!(launch["Request"].get("Name").is_none());
    // The code hash pins code and launch together.
    assert_eq!(
        st.str_attr("launcher_source_code_hash"),
        Some(launcher::code_sha256(&launcher::package(&launch)).as_str())
    );
    let cfg: Json =
        serde_json::from_str(st.str_attr("launcher_configuration_json").unwrap()).unwrap();
    assert_eq!(cfg["Environment"], json!({}));
}

#[test]
fn configuration_secrets_are_granted_to_the_service_role_only() {
    let mut st = state(true, false);
    plan_documents(&env(), &mut st);
    assert!(st.get("launcher_function_arn").is_null());
    let exec = st.str_attr("role_policy_json").unwrap();
    assert!(!exec.contains("secretsmanager"));
    assert!(exec.contains("RunJobFlow"));
    let g = PolicyDocument::parse(st.str_attr("service_role_secret_policy_json").unwrap()).unwrap();
    assert_eq!(
        g.statements[0]
            .resources
            .iter()
            .cloned()
            .collect::<Vec<_>>(),
        ["arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-AbCdEf"]
    );
    assert_eq!(
        g.all_actions().collect::<Vec<_>>(),
        ["secretsmanager:GetSecretValue"]
    );
}

#[test]
fn partitions_render_principals_and_arns() {
    for (partition, ec2, states) in [
        ("aws-cn", "ec2.amazonaws.com.cn", "states.amazonaws.com"),
        ("aws-us-gov", "ec2.amazonaws.com", "states.amazonaws.com"),
    ] {
        let e = ArnScope {
            partition: partition.into(),
            account: "123456789012".into(),
            region: "r-1".into(),
        };
        let mut st = state(false, false);
        plan_documents(&e, &mut st);
        let pol = st.str_attr("role_policy_json").unwrap();
        assert!(pol.contains(&format!("\"{ec2}\"")), "{pol}");
        let trust = st.str_attr("role_trust_policy_json").unwrap();
        assert!(trust.contains(&format!("\"{states}\"")));
        assert!(trust.contains(&format!(
            "arn:{partition}:states:r-1:123456789012:stateMachine:"
        )));
        let def = st.str_attr("definition_json").unwrap();
        assert!(def.contains(&format!("arn:{partition}:states:::aws-sdk:emr:runJobFlow")));
        assert!(!def.contains("arn:aws:states"));
        assert!(st
            .str_attr("invoke_policy_json")
            .unwrap()
            .contains(&format!("arn:{partition}:states:")));
    }
}

#[test]
fn governed_tags_merge_configuration_function_and_provenance() {
    let mut st = state(false, false);
    st.set_attr(
        "cluster_tags",
        Value::Map(BTreeMap::from([
            ("team".to_string(), Value::string("etl")),
            ("cost".to_string(), Value::string("42")),
        ])),
    );
    let i = inputs(&env(), &st).unwrap();
    assert_eq!(
        i.governed_tags(),
        BTreeMap::from([
            ("cost".to_string(), "42".to_string()),
            ("team".to_string(), "etl".to_string()),
            (FUNCTION_TAG.to_string(), "analytics/nightly".to_string()),
        ])
    );
    let spec = i.spec();
    assert_eq!(spec.overrides.len(), 1);
    // The profile's settings as Terraform knows them, on top of the request.
    assert_eq!(spec.request["SecurityConfiguration"], json!("sc"));
    assert_eq!(
        spec.request["Instances"]["EmrManagedMasterSecurityGroup"],
        json!("sg-1")
    );
    assert!(spec.request.get("LogUri").is_none());
    assert!(spec.request.get("Tags").is_none() && spec.request.get("Name").is_none());
    assert_eq!(
        spec.request["JobFlowRole"],
        json!("arn:aws:iam::123456789012:instance-profile/analytics-p-emr-instance")
    );
}

#[test]
fn unknown_inputs_leave_documents_unknown_but_names_known() {
    let mut st = state(false, false);
    st.set_attr("profile", Value::Unknown);
    plan_documents(&env(), &mut st);
    assert!(st.get("role_policy_json").is_unknown());
    assert_eq!(
        st.str_attr("role_arn"),
        Some("arn:aws:iam::123456789012:role/analytics-nightly-emr-launch-fn")
    );
    assert!(st.str_attr("invoke_policy_json").is_some());
}

#[test]
fn invalid_configurations_name_their_attribute() {
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "namespace",
            Box::new(|s: &mut Value| s.set_attr("namespace", Value::string("a/b"))),
        ),
        (
            "name",
            Box::new(|s: &mut Value| s.set_attr("name", Value::string(""))),
        ),
        (
            "cluster_name",
            Box::new(|s: &mut Value| s.set_attr("cluster_name", Value::string(""))),
        ),
        (
            "allowed_overrides",
            Box::new(|s: &mut Value| {
                s.set_attr("allowed_overrides", Value::set(vec![Value::string("Nope")]))
            }),
        ),
        (
            "cluster_tags",
            Box::new(|s: &mut Value| {
                s.set_attr(
                    "cluster_tags",
                    Value::Map(BTreeMap::from([("aws:x".to_string(), Value::string("1"))])),
                )
            }),
        ),
        (
            "cluster_tags",
            Box::new(|s: &mut Value| {
                s.set_attr(
                    "cluster_tags",
                    Value::Map(BTreeMap::from([(
                        FUNCTION_TAG.to_string(),
                        Value::string("1"),
                    )])),
                )
            }),
        ),
        (
            "tags",
            Box::new(|s: &mut Value| {
                s.set_attr(
                    "tags",
                    Value::Map(BTreeMap::from([(
                        OWNER_TAG.to_uppercase(),
                        Value::string("x"),
                    )])),
                )
            }),
        ),
        (
            "profile.service_role_arn",
            Box::new(|s: &mut Value| {
                let mut p = s.get("profile").clone();
                p.set_attr("service_role_arn", Value::string("admin"));
                s.set_attr("profile", p);
            }),
        ),
        (
            "profile.parameter_arn",
            Box::new(|s: &mut Value| {
                let mut p = s.get("profile").clone();
                p.set_attr(
                    "parameter_arn",
                    Value::string("arn:aws:ssm:eu-west-1:123456789012:parameter/x"),
                );
                s.set_attr("profile", p);
            }),
        ),
        (
            "profile.metadata_json",
            Box::new(|s: &mut Value| {
                let mut p = s.get("profile").clone();
                p.set_attr("metadata_json", Value::string("["));
                s.set_attr("profile", p);
            }),
        ),
        (
            "cluster_configuration.metadata_json",
            Box::new(|s: &mut Value| {
                let mut p = s.get("cluster_configuration").clone();
                p.set_attr("metadata_json", Value::string("{}"));
                s.set_attr("cluster_configuration", p);
            }),
        ),
        (
            "cluster_configuration.secret_arns[0]",
            Box::new(|s: &mut Value| {
                let mut p = s.get("cluster_configuration").clone();
                p.set_attr(
                    "secret_arns",
                    Value::List(vec![Value::string("arn:aws:s3:::b")]),
                );
                s.set_attr("cluster_configuration", p);
            }),
        ),
    ];
    for (path, f) in cases {
        let mut st = state(false, false);
        f(&mut st);
        let d = validate_config(&st, Some(&env()));
        assert!(d.has_errors(), "{path}: no error");
        let paths: Vec<String> = d
            .iter()
            .filter_map(|x| x.path.as_ref().map(|p| p.to_string()))
            .collect();
        assert!(
            paths.iter().any(|p| p.starts_with(path)),
            "{path}: got {paths:?}"
        );
    }
    assert!(!validate_config(&state(true, true), Some(&env())).has_errors());
}

/// The configuration's metadata may come from a data source or a literal:
/// whoever can write it must not get an unbounded override, or one that
/// reaches a bootstrap script or the logs, past the plan.
#[test]
fn tampered_configuration_overrides_fail_at_plan() {
    let with_config = |edit: &dyn Fn(&mut Json)| {
        let mut doc = config_doc(false);
        edit(&mut doc);
        let mut st = state(false, false);
        let mut c = st.get("cluster_configuration").clone();
        c.set_attr("metadata_json", Value::String(doc.to_string()));
        st.set_attr("cluster_configuration", c);
        validate_config(&st, Some(&env()))
    };
    type Edit = fn(&mut Json);
    let tampered: [(&str, Edit); 4] = [
        ("no bounds", |d| {
            d["Overrides"][0] = json!({"Name": "CoreInstanceCount", "Path": "Instances.InstanceGroups[1].InstanceCount"});
        }),
        ("a bootstrap script", |d| {
            d["RunJobFlow"]["BootstrapActions"] =
                json!([{"Name": "b", "ScriptBootstrapAction": {"Path": "s3://ok/x.sh"}}]);
            d["Overrides"][0] = json!({"Name": "CoreInstanceCount", "Path": "BootstrapActions[0].ScriptBootstrapAction.Path", "AllowedValues": ["s3://attacker/x.sh"]});
        }),
        ("the logs", |d| {
            d["RunJobFlow"]["LogUri"] = json!("s3://logs/");
            d["Overrides"][0] = json!({"Name": "CoreInstanceCount", "Path": "LogUri", "AllowedValues": ["s3://attacker/"]});
        }),
        ("not a list", |d| {
            d["Overrides"] = json!({"CoreInstanceCount": 1})
        }),
    ];
    for (what, edit) in tampered {
        let d = with_config(&edit);
        let errors: Vec<String> = d
            .iter()
            .filter(|x| {
                x.path.as_ref().map(|p| p.to_string()).as_deref()
                    == Some("cluster_configuration.metadata_json")
            })
            .map(|x| x.detail.clone())
            .collect();
        assert!(
            !errors.is_empty(),
            "{what}: {:?}",
            d.iter().collect::<Vec<_>>()
        );
    }
    assert!(!with_config(&|_| {}).has_errors());
}

/// A secret ARN with a wildcard would grant every secret it matches.
#[test]
fn wildcard_secret_arns_fail_at_plan() {
    for wildcard in [
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:*",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-??????",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:",
    ] {
        let mut st = state(false, false);
        let mut c = st.get("cluster_configuration").clone();
        c.set_attr("secret_arns", Value::List(vec![Value::string(wildcard)]));
        st.set_attr("cluster_configuration", c);
        let d = validate_config(&st, Some(&env()));
        let at: Vec<String> = d
            .iter()
            .filter_map(|x| x.path.as_ref().map(|p| p.to_string()))
            .collect();
        assert_eq!(at, ["cluster_configuration.secret_arns[0]"], "{wildcard}");
        // The grant is built from the metadata's SecretConfigurations: a
        // wildcard there fails the plan too.
        let mut doc = config_doc(true);
        doc["SecretConfigurations"][0]["SecretArn"] = json!(wildcard);
        let mut st = state(true, false);
        let mut c = st.get("cluster_configuration").clone();
        c.set_attr("metadata_json", Value::String(doc.to_string()));
        st.set_attr("cluster_configuration", c);
        let d = validate_config(&st, Some(&env()));
        assert!(
            d.iter()
                .any(|x| x.detail.contains("SecretConfigurations[0].SecretArn")),
            "{wildcard}: {:?}",
            d.iter().collect::<Vec<_>>()
        );
    }
}

fn observed(inline: &[(&str, &str)], managed: &[&str]) -> ObservedRole {
    ObservedRole {
        name: "analytics-nightly-emr-launch-fn".into(),
        trust: r#"{"Version":"2012-10-17","Statement":[]}"#.into(),
        inline: inline
            .iter()
            .map(|(n, d)| (n.to_string(), d.to_string()))
            .collect(),
        managed: managed.iter().map(|a| a.to_string()).collect(),
        ..Default::default()
    }
}

#[test]
fn read_shows_foreign_inline_statements_and_every_managed_attachment() {
    let ours = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Ours","Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:123456789012:t"}]}"#;
    let backdoor = r#"{"Version":"2012-10-17","Statement":{"Sid":"Backdoor","Effect":"Allow","Action":"*","Resource":"*"}}"#;
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    let mut st = state(false, false);
    plan_documents(&env(), &mut st);
    assert_eq!(st.get("role_managed_policy_arns"), &Value::set(vec![]));
    let role = observed(
        &[(EXECUTION_POLICY, ours), ("backdoor", backdoor)],
        &[admin],
    );
    record_role(&mut st, Some(&role), EXECUTION_POLICY, "role").unwrap();
    let recorded = st.str_attr("role_policy_json").unwrap();
    assert!(
        recorded.contains("Backdoor") && recorded.contains("Ours"),
        "{recorded}"
    );
    assert_eq!(
        st.get("role_managed_policy_arns"),
        &Value::set(vec![Value::string(admin)])
    );
    // Gone: empty texts, so the plan recreates it.
    record_role(&mut st, None, EXECUTION_POLICY, "role").unwrap();
    assert_eq!(st.str_attr("role_policy_json"), Some(""));
    assert_eq!(st.str_attr("role_trust_policy_json"), Some(""));
}

#[test]
fn launcher_and_state_machine_are_adopted_by_owner_tag_or_by_state() {
    let owner = owner_of("analytics/nightly");
    let tags = |o: Option<&str>| {
        let mut t = BTreeMap::from([("team".to_string(), "data".to_string())]);
        if let Some(o) = o {
            t.insert(OWNER_TAG.to_string(), o.to_string());
        }
        t
    };
    assert!(check_adoptable("x", &tags(Some(&owner)), &owner, false, "launch function").is_ok());
    assert!(check_adoptable("x", &tags(None), &owner, true, "launch function").is_ok());
    let e = check_adoptable("x", &tags(None), &owner, false, "launch function").unwrap_err();
    assert!(e.contains("not managed by this launch function"), "{e}");
    // Another function's (e.g. analytics-x/nightly and analytics/x-nightly
    // share derived names) is refused even when recorded.
    let e = check_adoptable(
        "x",
        &tags(Some("emr_launch_function/analytics-x/nightly")),
        &owner,
        true,
        "launch function",
    )
    .unwrap_err();
    assert!(
        e.contains("managed by emr_launch_function/analytics-x/nightly"),
        "{e}"
    );
    // Tag sync keeps AWS's own tags and the owner tag.
    let have = BTreeMap::from([
        ("aws:cloudformation:stack-name".to_string(), "s".to_string()),
        ("old".to_string(), "1".to_string()),
    ]);
    let want = owned_tags(&tags(None), &owner);
    let (stale, set) = tag_changes(&have, &want);
    assert_eq!(stale, vec!["old".to_string()]);
    assert_eq!(set, want);
}
