//! emr_runtime_role (seed 002, seed 003 item 3, seed 004): a role that EMR
//! steps (assumed by the cluster's instance role) or EMR Serverless jobs run
//! as, with every policy it involves computed at plan time:
//!
//! - trust: who may assume it (the instance role, and/or emr-serverless);
//! - permissions: what jobs may touch (S3 prefixes, KMS keys, + policy_json);
//! - instance-role grant: what the instance role needs to assume THIS role;
//! - caller policy: what a user needs to submit work as THIS role only.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::aws::iam_roles::role_name_from_arn;
use crate::aws::managed_role::{self, DesiredRole, ObservedRole, Ownership, RoleChange, RoleGrant};
use crate::configured::{Configured, ProviderData};
pub use crate::iam::runtime_role::{
    caller_policy, instance_grant_policy_name, instance_role_grant_target, instance_role_policy,
    is_instance_role_grant, permissions_policy, trust_policy, Ec2Trust, ServerlessTrust,
    GRANT_PREFIX, LF_SESSION_TAG,
};
use crate::iam::{Effect, PolicyDocument, Principal, Scope, Statement};
use crate::resources::shared::{
    cond, each, ensure, map_of, one, recorded_or_remote, run_rules, set_of, Rule,
};
use crate::resources::{env_of, unique_name, ArnScope, UNIQUE_SUFFIX_LEN};
use crate::tfplugin::{
    model, ApplyResult, AttrPath, Attribute, Block, Ctx, Diagnostic, Diagnostics, Import,
    NestedBlock, Number, PlanRequest, Planned, PlannedList, PlannedMap, Resource, Schema, Type,
    Value,
};
use crate::validate;

const TYPE_NAME: &str = "emr_runtime_role";
/// Inline policy names on the runtime role.
pub const PERMISSIONS_POLICY: &str = "emr-runtime-role-permissions";
pub const CUSTOM_POLICY: &str = "emr-runtime-role-custom";
/// STS session tag values are at most 256 characters.
const MAX_SESSION_TAG: usize = 256;
const MAX_ROLE_NAME: usize = 64;

pub struct RuntimeRole {
    data: Arc<ProviderData>,
}

impl RuntimeRole {
    pub fn new(data: Arc<ProviderData>) -> Self {
        RuntimeRole { data }
    }
}

pub fn schema() -> Schema {
    let set = || Type::set(Type::String);
    let ec2 = Block::new()
        .desc("Trust of an EMR cluster's EC2 instance role: EMR steps run as this role (seed 002).")
        .attr(Attribute::required("instance_role_arn", Type::String).desc("ARN of the cluster's instance profile role."))
        .attr(Attribute::optional("external_id", Type::String).desc("Required `sts:ExternalId`, e.g. the security configuration's `external_id` (`\"\"` means none)."))
        .attr(Attribute::optional("propagate_source_identity", Type::Bool).default(Value::Bool(false)).desc("Trust `sts:SetSourceIdentity` (the security configuration propagates source identity)."))
        .attr(Attribute::optional("source_identities", set()).desc("Only these source identities (`sts:SourceIdentity` condition). Needs `propagate_source_identity`."))
        .attr(Attribute::optional("lake_formation", Type::Bool).default(Value::Bool(false)).desc("Trust `sts:TagSession` only with the Lake Formation session tag `LakeFormationAuthorizedCaller = <lake_formation_session_tag>`."))
        .attr(Attribute::optional("lake_formation_session_tag", Type::String).default(Value::string(LF_SESSION_TAG)).desc("Value of the `LakeFormationAuthorizedCaller` session tag the trust requires with `lake_formation` (the security configuration's `lake_formation_authorized_session_tag`; 1 to 256 characters)."))
        .attr(Attribute::optional("grant_instance_role", Type::Bool).default(Value::Bool(true)).desc("Manage an inline policy on the instance role that allows it to assume exactly this role. Only for an instance role in the provider's account; for another account set it to false and grant there."));
    let serverless = Block::new()
        .desc("Trust of `emr-serverless.amazonaws.com` in this account: EMR Serverless jobs run as this role.")
        .attr(Attribute::optional("trusted_identity_propagation", Type::Bool).default(Value::Bool(false)).desc("Trust `sts:SetContext` for Identity Center trusted identity propagation (seed 004)."))
        .attr(Attribute::optional("application_arns", set()).desc("Only these applications (`aws:SourceArn` condition)."));
    Schema::new(
        Block::new()
            .desc("An IAM role that EMR steps or EMR Serverless jobs run as, with least-privilege policies shown at plan time.")
            .attr(Attribute::computed("id", Type::String).keep_state().desc("The role name."))
            .attr(Attribute::optional_computed("name", Type::String).replace().keep_state().desc("Role name (at most 64 characters)."))
            .attr(Attribute::optional("name_prefix", Type::String).replace().desc("Unique role name starting with this prefix (at most 38 characters); the ARN is then known after apply."))
            .attr(Attribute::optional("path", Type::String).default(Value::string("/")).replace().desc("IAM path."))
            .attr(Attribute::optional("permissions_boundary", Type::String).desc("ARN of a managed policy used as permissions boundary."))
            .attr(Attribute::optional("max_session_duration", Type::Number).default(Value::number(3600)).desc("Maximum session duration in seconds (3600-43200)."))
            .attr(Attribute::optional("s3_read", set()).desc("`s3://bucket/prefix/` locations jobs may read."))
            .attr(Attribute::optional("s3_write", set()).desc("`s3://bucket/prefix/` locations jobs may read and write."))
            .attr(Attribute::optional("kms_key_arns", set()).desc("KMS keys jobs may use for encrypt/decrypt."))
            .attr(Attribute::optional("policy_json", Type::String).desc("Extra permissions, as an IAM policy document (stored as its own inline policy)."))
            .attr(Attribute::optional("managed_policy_arns", set()).default(Value::Set(vec![])).desc("Managed policies attached exclusively (others are detached)."))
            .attr(Attribute::optional("tags", Type::map(Type::String)).desc("Role tags."))
            .attr(Attribute::computed("tags_all", Type::map(Type::String)).desc("Tags including the provider's `default_tags`."))
            .attr(Attribute::computed("arn", Type::String).keep_state().desc("Role ARN (known at plan when the name is)."))
            .attr(Attribute::computed("unique_id", Type::String).keep_state().desc("IAM's unique id of the role."))
            .attr(Attribute::computed("trust_policy_json", Type::String).desc("The trust (assume role) policy."))
            .attr(Attribute::computed("permissions_policy_json", Type::String).desc("The generated permissions policy (`\"\"` when nothing is granted)."))
            .attr(Attribute::computed("instance_role_policy_json", Type::String).desc("The policy put on the instance role (`\"\"` when not managed)."))
            .attr(Attribute::computed("caller_policy_json", Type::String).desc("What a user needs to submit work as this role, and only this role."))
            .attr(Attribute::computed("inline_policy_names", Type::set(Type::String)).desc("Inline policies on the role; any other than the provider's own are drift, removed by apply."))
            .block(NestedBlock::single("emr_on_ec2", ec2))
            .block(NestedBlock::single("emr_serverless", serverless)),
    )
}

// ---------- the typed model ----------

#[derive(Clone, Default, Deserialize, Serialize)]
struct Model {
    id: Planned<String>,
    name: Planned<String>,
    name_prefix: Planned<String>,
    path: Planned<String>,
    permissions_boundary: Planned<String>,
    max_session_duration: Planned<Number>,
    s3_read: PlannedList<String>,
    s3_write: PlannedList<String>,
    kms_key_arns: PlannedList<String>,
    policy_json: Planned<String>,
    managed_policy_arns: PlannedList<String>,
    tags: PlannedMap<String>,
    tags_all: PlannedMap<String>,
    arn: Planned<String>,
    unique_id: Planned<String>,
    trust_policy_json: Planned<String>,
    permissions_policy_json: Planned<String>,
    instance_role_policy_json: Planned<String>,
    caller_policy_json: Planned<String>,
    inline_policy_names: PlannedList<String>,
    emr_on_ec2: Planned<Ec2Block>,
    emr_serverless: Planned<ServerlessBlock>,
}

#[derive(Clone, Default, Deserialize, Serialize)]
struct Ec2Block {
    instance_role_arn: Planned<String>,
    external_id: Planned<String>,
    propagate_source_identity: Planned<bool>,
    source_identities: PlannedList<String>,
    lake_formation: Planned<bool>,
    lake_formation_session_tag: Planned<String>,
    grant_instance_role: Planned<bool>,
}

#[derive(Clone, Default, Deserialize, Serialize)]
struct ServerlessBlock {
    trusted_identity_propagation: Planned<bool>,
    application_arns: PlannedList<String>,
}

fn to_value(m: &Model) -> Result<Value, Diagnostics> {
    model::encode_block(m, &schema().block)
}

/// An apply result whose state is `st` (null for None).
fn applied(st: Option<&Model>, diags: Diagnostics) -> ApplyResult {
    match st.map(to_value).transpose() {
        Ok(state) => ApplyResult::failed(state.unwrap_or(Value::Null), diags),
        Err(d) => ApplyResult::failed(Value::Null, d),
    }
}

fn text(s: String) -> Planned<String> {
    Planned::Known(s)
}

// ---------- reading configuration ----------

/// The EC2 trust of a block: Some(None) when absent, None while unknown.
fn ec2_from(b: &Planned<Ec2Block>) -> Option<Option<Ec2Trust>> {
    let e = match b {
        Planned::Null => return Some(None),
        Planned::Known(e) if model::wholly_known(e) => e,
        _ => return None,
    };
    Some(Some(Ec2Trust {
        instance_role_arn: e.instance_role_arn.known()?.clone(),
        // "" = none: a security configuration without ExternalId reports "".
        external_id: e
            .external_id
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        propagate_source_identity: e.propagate_source_identity.get_or(false),
        source_identities: e.source_identities.all_known()?,
        lake_formation: e.lake_formation.get_or(false),
        lake_formation_session_tag: e.lake_formation_session_tag.get_or(LF_SESSION_TAG.into()),
        grant_instance_role: e.grant_instance_role.get_or(true),
    }))
}

fn sls_from(b: &Planned<ServerlessBlock>) -> Option<Option<ServerlessTrust>> {
    let s = match b {
        Planned::Null => return Some(None),
        Planned::Known(s) if model::wholly_known(s) => s,
        _ => return None,
    };
    Some(Some(ServerlessTrust {
        trusted_identity_propagation: s.trusted_identity_propagation.get_or(false),
        application_arns: s.application_arns.all_known()?,
    }))
}

fn role_arn(env: &ArnScope, path: &str, name: &str) -> String {
    format!(
        "arn:{}:iam::{}:role{path}{name}",
        env.partition, env.account
    )
}

/// The four policy documents of a (planned or applied) state, in the order
/// trust, permissions, instance role, caller; Unknown where an input is.
fn computed_policies(env: &ArnScope, st: &Model) -> [Planned<String>; 4] {
    let scope = Scope::from(env);
    let ec2 = ec2_from(&st.emr_on_ec2);
    let sls = sls_from(&st.emr_serverless);
    let arn = st.arn.as_str();
    let trust = match (&ec2, &sls) {
        (Some(e), Some(s)) => text(trust_policy(&scope, e.as_ref(), s.as_ref()).canonical()),
        _ => Planned::Unknown,
    };
    let perms = match (
        st.s3_read.all_known(),
        st.s3_write.all_known(),
        st.kms_key_arns.all_known(),
    ) {
        (Some(r), Some(w), Some(k)) => text(
            permissions_policy(&scope, &r, &w, &k)
                .map(|d| d.canonical())
                .unwrap_or_default(),
        ),
        _ => Planned::Unknown,
    };
    let instance = match (&ec2, arn) {
        (Some(Some(e)), Some(a)) if e.grant_instance_role => {
            text(instance_role_policy(a, e).canonical())
        }
        (Some(Some(e)), None) if e.grant_instance_role => Planned::Unknown,
        (Some(_), _) => "".into(),
        (None, _) => Planned::Unknown,
    };
    // The caller policy only depends on which trusts exist (and app ARNs).
    let ec2_present = (!st.emr_on_ec2.is_null()).then(Ec2Trust::default);
    let caller = match (&sls, arn, st.emr_on_ec2.is_unknown()) {
        (Some(s), Some(a), false) => {
            text(caller_policy(&scope, a, ec2_present.as_ref(), s.as_ref()).canonical())
        }
        _ => Planned::Unknown,
    };
    [trust, perms, instance, caller]
}

/// The computed policy attributes of a model, in `computed_policies` order.
const POLICIES: [fn(&mut Model) -> &mut Planned<String>; 4] = [
    |m| &mut m.trust_policy_json,
    |m| &mut m.permissions_policy_json,
    |m| &mut m.instance_role_policy_json,
    |m| &mut m.caller_policy_json,
];

/// The inline policies this role should have: Unknown while that depends on
/// unknown inputs.
fn own_inline_policies(st: &Model) -> PlannedList<String> {
    if st.permissions_policy_json.is_unknown() || st.policy_json.is_unknown() {
        return Planned::Unknown;
    }
    let perms = st
        .permissions_policy_json
        .as_str()
        .is_some_and(|s| !s.is_empty());
    let names = [
        (perms, PERMISSIONS_POLICY),
        (st.policy_json.is_known(), CUSTOM_POLICY),
    ];
    PlannedList::of(
        names
            .into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| n.to_string()),
    )
}

// ---------- validation ----------

fn role_name_ok(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

fn role_name(n: &str) -> Result<(), String> {
    let ok = (1..=MAX_ROLE_NAME).contains(&n.len()) && role_name_ok(n);
    ensure(ok, || {
        format!("name must be 1 to {MAX_ROLE_NAME} characters of letters, digits and +=,.@_- (got {} characters).", n.len())
    })
}

fn role_name_prefix(p: &str) -> Result<(), String> {
    let max = MAX_ROLE_NAME - UNIQUE_SUFFIX_LEN;
    let ok = (1..=max).contains(&p.len()) && role_name_ok(p);
    ensure(ok, || {
        format!("name_prefix must be 1 to {max} characters of letters, digits and +=,.@_- (a {UNIQUE_SUFFIX_LEN}-character unique suffix is added).")
    })
}

fn role_path(p: &str) -> Result<(), String> {
    let chars = p
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/+=,.@_-".contains(&b));
    let ok = p.starts_with('/') && p.ends_with('/') && p.len() <= 512 && !p.contains("//") && chars;
    ensure(ok, || {
        "path must start and end with \"/\", e.g. \"/emr/\" (at most 512 characters of letters, digits and +=,.@_-).".into()
    })
}

fn s3_prefix(s: &str) -> Result<(), String> {
    let (_, key) = validate::s3_uri(s)?;
    ensure(key.is_empty() || key.ends_with('/'), || {
        format!("{s:?} must be a bucket or a prefix ending in \"/\" (grants cover everything under it).")
    })
}

fn kms_key(s: &str) -> Result<(), String> {
    validate::kms_key_arn(s)?;
    ensure(!s.contains(":alias/"), || {
        format!("{s:?} is an alias; grant the key ARN (key/<id>).")
    })
}

/// "" means no external id (a security configuration without one).
fn optional_external_id(s: &str) -> Result<(), String> {
    match s.is_empty() {
        true => Ok(()),
        false => validate::external_id(s),
    }
}

fn managed_policy_arn(s: &str) -> Result<(), String> {
    let ok = validate::parse_arn(s).is_some_and(|a| {
        let account = a.account == "aws" || a.account.len() == 12;
        a.service == "iam" && a.region.is_empty() && a.resource.starts_with("policy/") && account
    });
    ensure(ok, || {
        format!("{s:?} is not an IAM managed policy ARN; expected arn:<partition>:iam::<account|aws>:policy/<path><name>.")
    })
}

fn application_arn(s: &str) -> Result<(), String> {
    let ok = validate::parse_arn(s).is_some_and(|a| {
        a.service == "emr-serverless"
            && a.resource.starts_with("/applications/")
            && a.account.len() == 12
    });
    ensure(ok, || {
        format!("{s:?} is not an EMR Serverless application ARN; expected arn:<partition>:emr-serverless:<region>:<account>:/applications/<id>.")
    })
}

/// policy_json: a permissions policy (no Principal) whose statements all
/// name their resources.
fn permissions_policy_json(p: &str) -> Result<(), String> {
    let doc =
        PolicyDocument::parse(p).map_err(|e| format!("policy_json is not an IAM policy: {e}."))?;
    let st = &doc.statements;
    let principal = st
        .iter()
        .any(|s| s.principal.is_some() || s.not_principal.is_some());
    ensure(!principal, || {
        "policy_json is a permissions policy: it must not name a Principal.".into()
    })?;
    let resource = st
        .iter()
        .all(|s| !s.resources.is_empty() || !s.not_resources.is_empty());
    ensure(resource, || {
        "every statement of policy_json needs a Resource.".into()
    })
}

/// An STS session tag value: 1 to 256 characters of letters, digits, spaces
/// and `_.:/=+-@` (what the `LakeFormationAuthorizedCaller` tag may carry).
fn session_tag_value(s: &str) -> Result<(), String> {
    let n = s.chars().count();
    let chars = s
        .chars()
        .all(|c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c));
    ensure((1..=MAX_SESSION_TAG).contains(&n) && chars, || {
        format!("lake_formation_session_tag must be 1 to {MAX_SESSION_TAG} characters of letters, digits, spaces and _.:/=+-@ (got {n} characters); it must equal the security configuration's lake_formation_authorized_session_tag (EMR's default is \"{LF_SESSION_TAG}\").")
    })
}

/// Checks that need the provider's account: the instance-role grant is put
/// on a role found by name in this account, so an instance role in another
/// account (or partition) would have a same-named local role edited instead.
fn plan_checks(env: &ArnScope, config: &Model) -> Diagnostics {
    let mut d = Diagnostics::new();
    let Some(ec2) = config.emr_on_ec2.known() else {
        return d;
    };
    // null = the default, true.
    let grant = &ec2.grant_instance_role;
    let (Some(arn), false) = (
        ec2.instance_role_arn.as_str(),
        grant.is_unknown() || grant.known() == Some(&false),
    ) else {
        return d;
    };
    if let Some(a) = validate::parse_arn(arn) {
        if a.account != env.account || a.partition != env.partition {
            d.attr_error(
                AttrPath::parse_dotted("emr_on_ec2.grant_instance_role"),
                "Instance role in another account",
                format!("instance_role_arn {arn:?} is in account {} ({}), not the provider's account {} ({}). With grant_instance_role = true the provider would edit the role named {:?} in its own account, not that role. Set grant_instance_role = false and, in that account, grant the instance role sts:AssumeRole and sts:TagSession on this runtime role.", a.account, a.partition, env.account, env.partition, role_name_from_arn(arn).unwrap_or(arn)),
            );
        }
    }
    d
}

pub fn validate_config(config: &Value) -> Diagnostics {
    model::decode(config).map_or_else(|d| d, |m| check(&m))
}

fn check(cfg: &Model) -> Diagnostics {
    let mut d = Diagnostics::new();
    if !cfg.name.is_null() && !cfg.name_prefix.is_null() {
        d.attr_error(
            AttrPath::attr("name_prefix"),
            "Conflicting attributes",
            "Set either name or name_prefix, not both.",
        );
    }
    let ec2 = cfg.emr_on_ec2.known();
    let sls = cfg.emr_serverless.known();
    #[rustfmt::skip]
    let rules: Vec<(&str, Vec<&str>, Rule, &str)> = vec![
        ("name", one(&cfg.name), role_name, "Invalid role name"),
        ("name_prefix", one(&cfg.name_prefix), role_name_prefix, "Invalid role name prefix"),
        ("path", one(&cfg.path), role_path, "Invalid role path"),
        ("permissions_boundary", one(&cfg.permissions_boundary), managed_policy_arn, "Invalid permissions boundary"),
        ("emr_on_ec2.instance_role_arn", ec2.map_or(vec![], |e| one(&e.instance_role_arn)), validate::iam_role_arn, "Invalid instance role"),
        ("emr_on_ec2.external_id", ec2.map_or(vec![], |e| one(&e.external_id)), optional_external_id, "Invalid external id"),
        ("emr_on_ec2.lake_formation_session_tag", ec2.map_or(vec![], |e| one(&e.lake_formation_session_tag)), session_tag_value, "Invalid Lake Formation session tag"),
        ("emr_on_ec2.source_identities", ec2.map_or(vec![], |e| each(&e.source_identities)), validate::sts_name, "Invalid source identity"),
        ("emr_serverless.application_arns", sls.map_or(vec![], |s| each(&s.application_arns)), application_arn, "Invalid application ARN"),
        ("s3_read", each(&cfg.s3_read), s3_prefix, "Invalid s3_read entry"),
        ("s3_write", each(&cfg.s3_write), s3_prefix, "Invalid s3_write entry"),
        ("kms_key_arns", each(&cfg.kms_key_arns), kms_key, "Invalid kms_key_arns entry"),
        ("managed_policy_arns", each(&cfg.managed_policy_arns), managed_policy_arn, "Invalid managed_policy_arns entry"),
        ("policy_json", one(&cfg.policy_json), permissions_policy_json, "Invalid policy"),
    ];
    run_rules(&mut d, rules);
    if let Some(n) = cfg.max_session_duration.known() {
        if !n.to_i64().is_some_and(|i| (3600..=43200).contains(&i)) {
            d.attr_error(AttrPath::attr("max_session_duration"), "Invalid session duration", format!("max_session_duration must be a whole number of seconds from 3600 to 43200, got {n}."));
        }
    }
    if cfg.emr_on_ec2.is_null() && cfg.emr_serverless.is_null() {
        d.attr_error(AttrPath::attr("emr_on_ec2"), "Missing trust", "Add an emr_on_ec2 block (EMR steps), an emr_serverless block (EMR Serverless jobs), or both.");
    }
    if let Some(e) = ec2.filter(|e| !e.source_identities.elems().is_empty()) {
        let propagate = &e.propagate_source_identity;
        if !propagate.is_unknown() && propagate.known() != Some(&true) {
            d.attr_error(
                AttrPath::parse_dotted("emr_on_ec2.source_identities"),
                "source_identities needs propagate_source_identity",
                "Set propagate_source_identity = true to restrict which source identities may be set.",
            );
        }
    }
    for k in cfg.tags.known().into_iter().flat_map(|m| m.keys()) {
        if k.to_ascii_lowercase().starts_with("aws:") || k.is_empty() || k.len() > 128 {
            d.attr_error(
                AttrPath::attr("tags").push_key(k),
                "Invalid tag key",
                "tag keys are 1 to 128 characters and may not start with \"aws:\".",
            );
        }
    }
    d
}

// ---------- the resource ----------

const DESCRIPTION: &str = "EMR runtime role managed by Terraform (emrlaunch/emr)";

fn err(verb: &str, name: &str, msg: impl Into<String>) -> Diagnostics {
    Diagnostic::error(format!("{verb} EMR runtime role ({name})"), msg.into()).into()
}

/// The provenance tag value (`emr-launch:managed-by`) of a runtime role.
fn owner(name: &str) -> String {
    format!("{TYPE_NAME}/{name}")
}

fn keep_if_equivalent(prior: &Planned<String>, planned: Planned<String>) -> Planned<String> {
    match (prior.as_str(), planned.as_str()) {
        (Some(p), Some(n)) if !p.is_empty() && crate::iam::equivalent(p, n) => p.into(),
        _ => planned,
    }
}

/// The role a state (every computed policy known) asks for.
fn desired_role(name: &str, st: &Model) -> Result<DesiredRole, String> {
    let trust = st
        .trust_policy_json
        .as_str()
        .filter(|t| !t.is_empty())
        .ok_or("the trust policy is unknown at apply")?;
    let mut want = DesiredRole::new(name, &owner(name), trust.to_string());
    want.path = st.path.get_or("/".into());
    want.description = Some(DESCRIPTION.to_string());
    for (doc, policy) in [
        (&st.permissions_policy_json, PERMISSIONS_POLICY),
        (&st.policy_json, CUSTOM_POLICY),
    ] {
        if let Some(doc) = doc.as_str().filter(|d| !d.is_empty()) {
            want.inline.insert(policy.to_string(), doc.to_string());
        }
    }
    want.managed = st.managed_policy_arns.known_elems().cloned().collect();
    want.boundary = st.permissions_boundary.known().cloned();
    let session = st.max_session_duration.known().and_then(Number::to_i64);
    if let Some(s) = session.and_then(|i| i32::try_from(i).ok()) {
        want.max_session = s;
    }
    want.tags = st.tags_all.known_entries();
    Ok(want)
}

/// The instance role's name, when the trust names one.
fn instance_role_name(st: &Model) -> Option<&str> {
    let ec2 = st.emr_on_ec2.known()?;
    role_name_from_arn(ec2.instance_role_arn.as_str()?)
}

/// The grant a state puts on the instance role (None when not managed).
fn grant_of(name: &str, st: &Model) -> Option<RoleGrant> {
    let doc = st
        .instance_role_policy_json
        .as_str()
        .filter(|d| !d.is_empty())?;
    let instance = instance_role_name(st)?;
    Some(RoleGrant::new(
        instance,
        &instance_grant_policy_name(name),
        doc.to_string(),
    ))
}

/// After a failed grant move, state says where the grant is: still on the
/// previous instance role, the previous block and document stay recorded.
fn record_grant(
    st: &mut Model,
    prior: &Model,
    placed: Option<&RoleGrant>,
    want: Option<&RoleGrant>,
) {
    st.instance_role_policy_json = match placed {
        Some(p) if want.is_none_or(|w| w.role != p.role) => {
            st.emr_on_ec2 = prior.emr_on_ec2.clone();
            prior.instance_role_policy_json.clone()
        }
        Some(p) => p.document.as_str().into(),
        None => "".into(),
    };
}

/// Writes what IAM holds into state (everything drift is shown for).
fn observe(st: &mut Model, current: &Model, role: &ObservedRole) {
    st.id = role.name.as_str().into();
    st.name = role.name.as_str().into();
    st.path = role.path.as_str().into();
    st.arn = role.arn.as_str().into();
    st.unique_id = role.unique_id.as_str().into();
    st.max_session_duration = Planned::Known(Number::from_i64(i64::from(role.max_session)));
    st.permissions_boundary = role.boundary.clone().into();
    st.trust_policy_json = recorded_or_remote(&current.trust_policy_json, Some(&role.trust));
    let perms = role.inline.get(PERMISSIONS_POLICY);
    st.permissions_policy_json = recorded_or_remote(&current.permissions_policy_json, perms);
    st.policy_json = match role.inline.get(CUSTOM_POLICY) {
        None => Planned::Null,
        some => recorded_or_remote(&current.policy_json, some),
    };
    st.inline_policy_names = PlannedList::of(role.inline.keys().cloned());
    st.managed_policy_arns = PlannedList::of(role.managed.iter().cloned());
    st.tags_all = PlannedMap::of(role.user_tags());
}

/// State written before lake_formation_session_tag existed holds null
/// there: record what the trust uses, so no diff appears from nothing.
fn backfill_session_tag(st: &mut Model, trust: &str) {
    if let Planned::Known(e) = &mut st.emr_on_ec2 {
        if e.lake_formation_session_tag.is_null() {
            let tag = PolicyDocument::parse(trust)
                .map(|d| lf_session_tag_of(&d))
                .unwrap_or_else(|_| LF_SESSION_TAG.to_string());
            e.lake_formation_session_tag = text(tag);
        }
    }
}

impl RuntimeRole {
    /// Makes the role, then the grant on the instance role, what `st` says.
    /// `prior` is None at create: an untagged role of that name is refused,
    /// while one in state (or imported) is adopted. The state to record is
    /// returned with the diagnostics of a failure.
    async fn converge(&self, c: &Configured, prior: Option<&Model>, mut st: Model) -> ApplyResult {
        let iam = &c.aws.iam;
        let name = st.name.get_or(String::new());
        let (verb, adopt) = match prior {
            None => ("creating", false),
            Some(_) => ("updating", true),
        };
        let want = match desired_role(&name, &st) {
            Ok(w) => w,
            Err(e) => return applied(prior, err(verb, &name, e)),
        };
        match managed_role::reconcile(iam, &want, adopt).await {
            Ok(r) => {
                st.arn = text(r.arn);
                st.unique_id = text(r.unique_id);
            }
            // Created now: recorded (tainted) so destroy removes it.
            Err(e) if !adopt && e.done.first() == Some(&RoleChange::Create) => {
                st.arn = text(e.arn.unwrap_or_default());
                st.unique_id = text(e.unique_id.unwrap_or_default());
                st.instance_role_policy_json = "".into();
                return applied(Some(&st), err(verb, &name, e.message));
            }
            // Anything else: the refresh before the next plan shows the rest.
            Err(e) => return applied(prior, err(verb, &name, e.message)),
        }
        let none = Model::default();
        let prior = prior.unwrap_or(&none);
        let want_grant = grant_of(&name, &st);
        let prior_grant = grant_of(&name, prior);
        // Plan refuses this; never edit a same-named role of this account.
        if want_grant.is_some() && plan_checks(&env_of(c), &st).has_errors() {
            record_grant(&mut st, prior, prior_grant.as_ref(), None);
            let msg = "the instance role is not in the provider's account; set grant_instance_role = false";
            return applied(Some(&st), err(verb, &name, msg));
        }
        match managed_role::reconcile_grant(iam, prior_grant.as_ref(), want_grant.as_ref()).await {
            Ok(_) => applied(Some(&st), Diagnostics::new()),
            Err((placed, e)) => {
                record_grant(&mut st, prior, placed.as_ref(), want_grant.as_ref());
                let msg = format!("granting the instance role: {e}");
                applied(Some(&st), err(verb, &name, msg))
            }
        }
    }

    /// Import: the configuration side rebuilt from IAM, refused for a role
    /// another resource of this provider owns.
    async fn imported(&self, c: &Configured, role: &ObservedRole) -> Result<Model, String> {
        if let Ownership::Foreign(Some(o)) = role.ownership(&owner(&role.name)) {
            return Err(format!(
                "role {} is managed by {o}; it cannot be imported as an {TYPE_NAME}",
                role.name
            ));
        }
        let mut st = import_state(role);
        // The grant tells whether the instance role is managed.
        if let Some(inst) = instance_role_name(&st) {
            let grant = instance_grant_policy_name(&role.name);
            let has = managed_role::read_grant(&c.aws.iam, inst, &grant)
                .await
                .unwrap_or(None)
                .is_some();
            if let Planned::Known(e) = &mut st.emr_on_ec2 {
                e.grant_instance_role = Planned::Known(has);
            }
        }
        Ok(st)
    }

    /// The grant as IAM holds it, for state.
    async fn observed_grant(
        &self,
        c: &Configured,
        name: &str,
        st: &Model,
    ) -> Result<Planned<String>, String> {
        let managed = st
            .emr_on_ec2
            .known()
            .is_some_and(|e| e.grant_instance_role.known() != Some(&false));
        let Some(inst) = instance_role_name(st).filter(|_| managed) else {
            return Ok("".into());
        };
        let remote =
            managed_role::read_grant(&c.aws.iam, inst, &instance_grant_policy_name(name)).await?;
        Ok(recorded_or_remote(
            &st.instance_role_policy_json,
            remote.as_ref(),
        ))
    }
}

/// A planned state with the policies computed at apply (name_prefix roles).
fn with_computed(env: &ArnScope, planned: &Model) -> Model {
    let mut st = planned.clone();
    let computed = computed_policies(env, &st);
    for (field, v) in POLICIES.into_iter().zip(computed) {
        if field(&mut st).is_unknown() {
            *field(&mut st) = v;
        }
    }
    st.inline_policy_names = own_inline_policies(&st);
    st
}

/// The planned state: validation, identity, policies and tags.
fn plan(
    c: &Configured,
    req: &PlanRequest<'_>,
    planned: &mut Value,
) -> Result<Diagnostics, Diagnostics> {
    let cfg: Model = model::decode(req.config)?;
    let prior: Option<Model> = model::decode(req.prior)?;
    let mut plan: Model = model::decode(planned)?;
    let env = env_of(c);
    let mut d = check(&cfg);
    d.extend(plan_checks(&env, &cfg));
    if prior.is_none() {
        if let Some(n) = cfg.name.as_str() {
            plan.id = n.into();
        }
    }
    let mut prior = prior.unwrap_or_default();
    if let (Some(n), Some(p)) = (plan.name.as_str(), plan.path.as_str()) {
        plan.arn = text(role_arn(&env, p, n));
    }
    let computed = computed_policies(&env, &plan);
    for (field, v) in POLICIES.into_iter().zip(computed) {
        *field(&mut plan) = keep_if_equivalent(field(&mut prior), v);
    }
    plan.policy_json = keep_if_equivalent(&prior.policy_json, plan.policy_json);
    plan.tags_all = plan.tags.overlaid_on(&c.default_tags);
    plan.inline_policy_names = own_inline_policies(&plan);
    *planned = to_value(&plan)?;
    Ok(d)
}

#[async_trait]
impl Resource for RuntimeRole {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate_config(config)
    }

    async fn modify_plan(
        &self,
        _ctx: &Ctx,
        req: PlanRequest<'_>,
        planned: &mut Value,
        diags: &mut Diagnostics,
    ) {
        let Ok(c) = self.data.get() else {
            return diags.extend(validate_config(req.config));
        };
        diags.extend(plan(&c, &req, planned).unwrap_or_else(|d| d));
    }

    async fn create(&self, _ctx: &Ctx, planned: &Value, _config: &Value) -> ApplyResult {
        let (c, plan) = match self
            .data
            .get()
            .and_then(|c| Ok((c, model::decode::<Model>(planned)?)))
        {
            Ok(x) => x,
            Err(d) => return ApplyResult::failed(Value::Null, d),
        };
        let env = env_of(&c);
        let name = match (plan.name.as_str(), plan.name_prefix.as_str()) {
            (Some(n), _) => n.to_string(),
            (None, Some(p)) => unique_name(p),
            (None, None) => unique_name("terraform-"),
        };
        let path = plan.path.get_or("/".into());
        let st = Model {
            name: name.as_str().into(),
            id: name.as_str().into(),
            arn: text(role_arn(&env, &path, &name)),
            ..plan
        };
        crate::info!("creating EMR runtime role", "name" => name);
        self.converge(&c, None, with_computed(&env, &st)).await
    }

    async fn read(&self, ctx: &Ctx, current: &Value) -> Result<Value, Diagnostics> {
        Ok(self.read_with_warnings(ctx, current).await?.0)
    }

    async fn read_with_warnings(
        &self,
        _ctx: &Ctx,
        current: &Value,
    ) -> Result<(Value, Diagnostics), Diagnostics> {
        let c = self.data.get()?;
        let current: Model = model::decode(current)?;
        let Some(name) = current.name.as_str().or(current.id.as_str()) else {
            return Ok((Value::Null, Diagnostics::new()));
        };
        let e = |m: String| err("reading", name, m);
        let Some(role) = managed_role::read(&c.aws.iam, name, None)
            .await
            .map_err(e)?
        else {
            crate::warn!("EMR runtime role not found, removing from state", "name" => name);
            return Ok((Value::Null, Diagnostics::new()));
        };
        let importing = current.trust_policy_json.is_null();
        let mut st = match importing {
            true => self.imported(&c, &role).await.map_err(e)?,
            false => current.clone(),
        };
        backfill_session_tag(&mut st, &role.trust);
        observe(&mut st, &current, &role);
        st.instance_role_policy_json = self.observed_grant(&c, name, &st).await.map_err(e)?;
        if importing {
            let [_, _, _, caller] = computed_policies(&env_of(&c), &st);
            st.caller_policy_json = caller;
            // Tags the user set: everything not coming from default_tags.
            let own = role
                .user_tags()
                .into_iter()
                .filter(|(k, v)| c.default_tags.get(k) != Some(v));
            st.tags = map_of(own.collect());
        }
        let warnings = match importing {
            true => import_warnings(&role),
            false => Diagnostics::new(),
        };
        Ok((to_value(&st)?, warnings))
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        prior_v: &Value,
        planned: &Value,
        _config: &Value,
    ) -> ApplyResult {
        let decoded = self.data.get().and_then(|c| {
            let prior: Model = model::decode(prior_v)?;
            Ok((c, prior, model::decode::<Model>(planned)?))
        });
        let (c, prior, plan) = match decoded {
            Ok(x) => x,
            Err(d) => return ApplyResult::failed(prior_v.clone(), d),
        };
        let st = with_computed(&env_of(&c), &plan);
        self.converge(&c, Some(&prior), st).await
    }

    async fn delete(&self, _ctx: &Ctx, prior: &Value) -> Diagnostics {
        let (c, prior) = match self
            .data
            .get()
            .and_then(|c| Ok((c, model::decode::<Model>(prior)?)))
        {
            Ok(x) => x,
            Err(d) => return d,
        };
        let Some(name) = prior.name.as_str() else {
            return Diagnostics::new();
        };
        let grant = grant_of(name, &prior);
        if let Err((_, e)) = managed_role::reconcile_grant(&c.aws.iam, grant.as_ref(), None).await {
            return err(
                "deleting",
                name,
                format!("removing the grant from the instance role: {e}"),
            );
        }
        crate::info!("deleting EMR runtime role", "name" => name);
        match managed_role::delete(&c.aws.iam, name, &owner(name), None, true).await {
            Ok(()) => Diagnostics::new(),
            Err(e) => err("deleting", name, e),
        }
    }

    fn importer(&self) -> Option<&dyn Import> {
        Some(self)
    }
}

#[async_trait]
impl Import for RuntimeRole {
    async fn import(&self, _ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        if id.is_empty() || id.len() > MAX_ROLE_NAME || !role_name_ok(id) {
            return Err(Diagnostic::error(
                "Invalid import id",
                "Import an EMR runtime role by its role name.",
            )
            .into());
        }
        to_value(&Model {
            id: id.into(),
            name: id.into(),
            ..Model::default()
        })
    }
}

/// The Lake Formation session tag a trust policy requires (the default
/// when it has no such statement).
fn lf_session_tag_of(trust: &PolicyDocument) -> String {
    trust
        .statements
        .iter()
        .find(|s| s.sid.as_deref() == Some("EmrLakeFormationTagSession"))
        .and_then(|s| s.conditions.get("StringEquals"))
        .and_then(|m| m.get("aws:RequestTag/LakeFormationAuthorizedCaller"))
        .and_then(|v| v.iter().next().cloned())
        .unwrap_or_else(|| LF_SESSION_TAG.to_string())
}

/// The blocks a trust policy maps to, by principal (so hand-made roles
/// import too), and the statements no block expresses.
#[derive(Default)]
struct TrustImport {
    ec2: Option<Ec2Block>,
    serverless: Option<ServerlessBlock>,
    unmapped: Vec<String>,
}

/// The service principals of an Allow statement.
fn allowed_services(s: &Statement) -> Vec<&str> {
    match (&s.effect, &s.principal) {
        (Effect::Allow, Some(p)) => p.services(),
        _ => Vec::new(),
    }
}

/// The AWS principal of an Allow statement that names exactly one.
fn allowed_aws(s: &Statement) -> Option<String> {
    let Some(Principal::Typed(m)) = s.principal.as_ref().filter(|_| s.effect == Effect::Allow)
    else {
        return None;
    };
    let aws = m.get("AWS").filter(|v| v.len() == 1 && m.len() == 1)?;
    aws.iter().next().cloned()
}

fn trust_import(doc: &PolicyDocument) -> TrustImport {
    let mut out = TrustImport::default();
    let assume = |s: &Statement| s.actions.contains("sts:AssumeRole");
    let mut used = vec![false; doc.statements.len()];
    for (i, s) in doc.statements.iter().enumerate() {
        let serverless = allowed_services(s)
            .iter()
            .any(|p| p.starts_with("emr-serverless."));
        if serverless && assume(s) && out.serverless.is_none() {
            out.serverless = Some(ServerlessBlock {
                trusted_identity_propagation: Planned::Known(s.actions.contains("sts:SetContext")),
                application_arns: set_of(cond(s, "aws:SourceArn")),
            });
            used[i] = true;
        } else if let Some(arn) = allowed_aws(s).filter(|_| assume(s) && out.ec2.is_none()) {
            out.ec2 = Some(Ec2Block {
                instance_role_arn: Planned::Known(arn),
                external_id: cond(s, "sts:ExternalId").into_iter().next().into(),
                propagate_source_identity: Planned::Known(false),
                source_identities: Planned::Null,
                lake_formation: Planned::Known(false),
                lake_formation_session_tag: text(LF_SESSION_TAG.to_string()),
                grant_instance_role: Planned::Known(true),
            });
            used[i] = true;
        }
    }
    // Statements that refine the EC2 trust: the same principal only.
    if let Some(e) = out.ec2.as_mut() {
        for (i, s) in doc.statements.iter().enumerate() {
            if used[i] || allowed_aws(s).as_deref() != e.instance_role_arn.as_str() {
                continue;
            }
            let only = |a: &str| s.actions.len() == 1 && s.actions.contains(a);
            let tag = cond(s, "aws:RequestTag/LakeFormationAuthorizedCaller");
            if only("sts:TagSession") && tag.len() == 1 {
                e.lake_formation = Planned::Known(true);
                e.lake_formation_session_tag = tag.into_iter().next().into();
                used[i] = true;
            } else if only("sts:SetSourceIdentity") {
                e.propagate_source_identity = Planned::Known(true);
                e.source_identities = set_of(cond(s, "sts:SourceIdentity"));
                used[i] = true;
            }
        }
    }
    for (i, s) in doc.statements.iter().enumerate().filter(|(i, _)| !used[*i]) {
        let actions: Vec<&str> = s.actions.iter().map(String::as_str).collect();
        let what = s
            .sid
            .clone()
            .unwrap_or_else(|| format!("statement {}", i + 1));
        out.unmapped
            .push(format!("{what} ({})", actions.join(", ")));
    }
    out
}

/// What an imported role holds that the next apply removes: trust
/// statements no block expresses and inline policies not the provider's.
fn import_warnings(role: &ObservedRole) -> Diagnostics {
    let mut d = Diagnostics::new();
    let name = &role.name;
    let trust = PolicyDocument::parse(&role.trust).map(|doc| trust_import(&doc));
    let unmapped = match &trust {
        Ok(t) => t.unmapped.clone(),
        Err(_) => vec!["the whole trust policy (not a policy document)".to_string()],
    };
    if trust.is_ok_and(|t| t.ec2.is_none() && t.serverless.is_none()) {
        d.warning(
            format!("{name} trusts neither EMR Serverless nor an instance role"),
            "Add an emr_on_ec2 or emr_serverless block to its configuration: the first apply then replaces the trust with the one planned.",
        );
    }
    if !unmapped.is_empty() {
        d.warning(
            format!("Trust statements of {name} the provider does not keep"),
            format!(
                "{} are not expressed by emr_on_ec2 or emr_serverless. The next apply replaces the trust with trust_policy_json as planned, which leaves them out; review that change in the plan first.",
                unmapped.join("; ")
            ),
        );
    }
    let foreign: Vec<&str> = role
        .inline
        .keys()
        .map(String::as_str)
        .filter(|k| ![PERMISSIONS_POLICY, CUSTOM_POLICY].contains(k))
        .collect();
    if !foreign.is_empty() {
        d.warning(
            format!("Inline policies of {name} the provider does not keep"),
            format!(
                "{} will be deleted by the next apply (see inline_policy_names in the plan). Express what they grant with s3_read, s3_write, kms_key_arns or policy_json first.",
                foreign.join(", ")
            ),
        );
    }
    d
}

/// Rebuilds the configuration-side attributes from what IAM holds, using the
/// statement ids this provider writes.
fn import_state(role: &ObservedRole) -> Model {
    let mut st = Model {
        path: role.path.as_str().into(),
        ..Model::default()
    };
    if let Ok(doc) = PolicyDocument::parse(&role.trust) {
        let trust = trust_import(&doc);
        st.emr_on_ec2 = trust.ec2.into();
        st.emr_serverless = trust.serverless.into();
    }
    let perms = role.inline.get(PERMISSIONS_POLICY);
    if let Some(Ok(doc)) = perms.map(|p| PolicyDocument::parse(p)) {
        let resources = |sid: &str| -> Vec<String> {
            let st = doc
                .statements
                .iter()
                .filter(|s| s.sid.as_deref() == Some(sid));
            st.flat_map(|s| s.resources.iter().cloned()).collect()
        };
        let uris = |sid: &str| -> Vec<String> {
            let arns = resources(sid);
            let keys = arns.iter().filter_map(|arn| arn.splitn(6, ':').nth(5));
            keys.map(|r| format!("s3://{}", r.trim_end_matches('*')))
                .collect()
        };
        st.s3_read = set_of(uris("S3Read"));
        st.s3_write = set_of(uris("S3Write"));
        st.kms_key_arns = set_of(resources("KmsKeys"));
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::principals;
    use serde_json::json;
    use std::collections::BTreeMap;

    const ACCT: &str = "123456789012";
    const INSTANCE: &str = "arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole";

    #[test]
    fn model_is_the_schema() {
        assert_eq!(
            model::model_paths::<Model>(),
            model::schema_paths(&schema().block)
        );
    }

    fn env() -> ArnScope {
        ArnScope {
            partition: "aws".into(),
            account: ACCT.into(),
            region: "us-east-1".into(),
        }
    }

    fn ec2() -> Ec2Trust {
        Ec2Trust {
            instance_role_arn: INSTANCE.into(),
            grant_instance_role: true,
            ..Default::default()
        }
    }

    #[test]
    fn import_rebuilds_configuration_from_statement_ids() {
        let e = Ec2Trust {
            external_id: Some("X1".into()),
            propagate_source_identity: true,
            source_identities: vec!["alice".into()],
            lake_formation: true,
            ..ec2()
        };
        let s = ServerlessTrust {
            trusted_identity_propagation: true,
            application_arns: vec![],
        };
        let mut role = ObservedRole {
            path: "/emr/".into(),
            trust: trust_policy(&Scope::from(&env()), Some(&e), Some(&s)).canonical(),
            ..Default::default()
        };
        let perms = permissions_policy(
            &Scope::from(&env()),
            &["s3://datalake/curated/".into()],
            &["s3://datalake/scratch/".into()],
            &[],
        )
        .unwrap()
        .canonical();
        role.inline.insert(PERMISSIONS_POLICY.into(), perms);
        let st = import_state(&role);
        assert_eq!(ec2_from(&st.emr_on_ec2), Some(Some(e)));
        assert_eq!(sls_from(&st.emr_serverless), Some(Some(s)));
        assert_eq!(
            st.s3_read.all_known(),
            Some(vec!["s3://datalake/curated/".to_string()])
        );
        assert_eq!(
            st.s3_write.all_known(),
            Some(vec!["s3://datalake/scratch/".to_string()])
        );
    }

    /// A role made by hand: trusts mapped by principal, whatever the Sids
    /// and conditions; what no block expresses is named in a warning.
    #[test]
    fn hand_made_trusts_import_by_principal() {
        let trust = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "emr-serverless.amazonaws.com"},
             "Action": "sts:AssumeRole"},
            {"Sid": "Ec2", "Effect": "Allow", "Principal": {"AWS": INSTANCE},
             "Action": ["sts:AssumeRole", "sts:TagSession"],
             "Condition": {"StringEquals": {"sts:ExternalId": "X9"}}},
            {"Effect": "Allow", "Principal": {"AWS": INSTANCE}, "Action": "sts:SetSourceIdentity"},
            {"Sid": "Glue", "Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"},
             "Action": "sts:AssumeRole"}
        ]});
        let mut role = ObservedRole {
            name: "hand-made".into(),
            trust: trust.to_string(),
            ..Default::default()
        };
        role.inline.insert("legacy-s3".into(), "{}".into());
        let st = import_state(&role);
        let want_ec2 = Ec2Trust {
            external_id: Some("X9".into()),
            propagate_source_identity: true,
            ..ec2()
        };
        assert_eq!(ec2_from(&st.emr_on_ec2), Some(Some(want_ec2)));
        assert_eq!(
            sls_from(&st.emr_serverless),
            Some(Some(ServerlessTrust::default()))
        );
        let d = import_warnings(&role);
        let text = d.to_string();
        assert_eq!(d.iter().count(), 2, "{text}");
        assert!(!d.has_errors(), "{text}");
        assert!(text.contains("Glue (sts:AssumeRole)"), "{text}");
        assert!(text.contains("legacy-s3"), "{text}");
        assert!(!text.contains("statement 1"), "{text}");
    }

    /// The provider's own trust imports with no warning.
    #[test]
    fn own_trust_imports_without_warnings() {
        let e = Ec2Trust {
            lake_formation: true,
            lake_formation_session_tag: "Acme EMR".into(),
            ..ec2()
        };
        let s = ServerlessTrust {
            trusted_identity_propagation: true,
            application_arns: vec![format!(
                "arn:aws:emr-serverless:us-east-1:{ACCT}:/applications/a1"
            )],
        };
        let mut role = ObservedRole {
            trust: trust_policy(&Scope::from(&env()), Some(&e), Some(&s)).canonical(),
            ..Default::default()
        };
        role.inline.insert(PERMISSIONS_POLICY.into(), "{}".into());
        let st = import_state(&role);
        assert_eq!(ec2_from(&st.emr_on_ec2), Some(Some(e)));
        assert_eq!(sls_from(&st.emr_serverless), Some(Some(s)));
        assert!(import_warnings(&role).is_empty());
        // A role no EMR principal may assume is named as such.
        role.trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        .to_string();
        let d = import_warnings(&role).to_string();
        assert!(
            d.contains("trusts neither EMR Serverless nor an instance role"),
            "{d}"
        );
    }

    #[test]
    fn lake_formation_session_tag_is_the_trusted_tag_value() {
        let e = Ec2Trust {
            lake_formation: true,
            lake_formation_session_tag: "Acme EMR".into(),
            ..ec2()
        };
        let d = trust_policy(&Scope::from(&env()), Some(&e), None).to_value();
        let want = json!([
            {"Sid":"EmrInstanceRoleAssume","Effect":"Allow","Principal":{"AWS":[INSTANCE]},"Action":["sts:AssumeRole"]},
            {"Sid":"EmrLakeFormationTagSession","Effect":"Allow","Principal":{"AWS":[INSTANCE]},"Action":["sts:TagSession"],
             "Condition":{"StringEquals":{"aws:RequestTag/LakeFormationAuthorizedCaller":["Acme EMR"]}}}
        ]);
        let want =
            PolicyDocument::parse(&json!({"Version":"2012-10-17","Statement":want}).to_string())
                .unwrap()
                .to_value();
        assert_eq!(d, want);
        // Import reads it back from the trust policy.
        let role = ObservedRole {
            path: "/".into(),
            trust: trust_policy(&Scope::from(&env()), Some(&e), None).canonical(),
            ..Default::default()
        };
        let st = import_state(&role);
        assert_eq!(ec2_from(&st.emr_on_ec2), Some(Some(e)));
        // Omitted in a configuration: the default.
        let v = Planned::Known(Ec2Block {
            instance_role_arn: INSTANCE.into(),
            ..Ec2Block::default()
        });
        assert_eq!(
            ec2_from(&v).flatten().map(|e| e.lake_formation_session_tag),
            Some(LF_SESSION_TAG.to_string())
        );
    }

    fn env_in(partition: &str, region: &str) -> ArnScope {
        ArnScope {
            partition: partition.into(),
            account: ACCT.into(),
            region: region.into(),
        }
    }

    #[test]
    fn policies_follow_the_partition() {
        for (partition, region) in [("aws-cn", "cn-north-1"), ("aws-us-gov", "us-gov-west-1")] {
            let env = env_in(partition, region);
            let role = format!("arn:{partition}:iam::{ACCT}:role/emr-rt");
            let inst = format!("arn:{partition}:iam::{ACCT}:role/EMR_EC2_DefaultRole");
            let e = Ec2Trust {
                instance_role_arn: inst.clone(),
                ..ec2()
            };
            let sls = ServerlessTrust::default();
            let trust = trust_policy(&Scope::from(&env), Some(&e), Some(&sls));
            let serverless = principals::service(partition, "emr-serverless");
            let s = trust
                .statements
                .iter()
                .find(|s| s.sid.as_deref() == Some("EmrServerlessAssume"))
                .unwrap();
            assert_eq!(
                s.principal,
                Some(Principal::service(serverless.clone())),
                "{partition}"
            );
            let caller = caller_policy(&Scope::from(&env), &role, Some(&e), Some(&sls));
            let text = caller.canonical();
            assert!(!text.contains("arn:aws:"), "{partition}: {text}");
            assert!(
                text.contains(&format!(
                    "arn:{partition}:elasticmapreduce:{region}:{ACCT}:cluster/*"
                )),
                "{text}"
            );
            assert!(
                text.contains(&format!(
                    "arn:{partition}:emr-serverless:{region}:{ACCT}:/applications/*"
                )),
                "{text}"
            );
            assert!(
                text.contains(&format!("\"iam:PassedToService\":[\"{serverless}\"]")),
                "{text}"
            );
            let perms =
                permissions_policy(&Scope::from(&env), &["s3://datalake/p/".into()], &[], &[])
                    .unwrap();
            assert!(perms
                .canonical()
                .contains(&format!("arn:{partition}:s3:::datalake/p/*")));
            assert!(!perms.canonical().contains("arn:aws:"));
            assert_eq!(role_arn(&env, "/", "emr-rt"), role);
        }
    }

    #[test]
    fn grant_to_an_instance_role_in_another_account_is_refused_at_plan() {
        let plan_checks = |env: &ArnScope, v: &Value| plan_checks(env, &model::decode(v).unwrap());
        let cfg = |arn: &str, grant: Value| {
            let mut v = schema().block.empty_value();
            v.set_attr(
                "emr_on_ec2",
                Value::object([
                    ("instance_role_arn", Value::string(arn)),
                    ("grant_instance_role", grant),
                ]),
            );
            v
        };
        let other = "arn:aws:iam::999988887777:role/EMR_EC2_DefaultRole";
        for grant in [Value::Bool(true), Value::Null] {
            let d = plan_checks(&env(), &cfg(other, grant));
            let e = d.iter().next().expect("an error");
            assert_eq!(
                e.path.as_ref().map(|p| p.to_string()).as_deref(),
                Some("emr_on_ec2.grant_instance_role")
            );
            let text = format!("{d}");
            assert!(
                text.contains("grant_instance_role = false") && text.contains("999988887777"),
                "{text}"
            );
        }
        let gov = "arn:aws-us-gov:iam::123456789012:role/EMR_EC2_DefaultRole";
        assert!(plan_checks(&env(), &cfg(gov, Value::Bool(true))).has_errors());
        assert!(!plan_checks(&env(), &cfg(other, Value::Bool(false))).has_errors());
        assert!(!plan_checks(&env(), &cfg(other, Value::Unknown)).has_errors());
        assert!(!plan_checks(&env(), &cfg(INSTANCE, Value::Bool(true))).has_errors());
        let mut serverless_only = schema().block.empty_value();
        serverless_only.set_attr("emr_serverless", Value::object([]));
        assert!(!plan_checks(&env(), &serverless_only).has_errors());
    }

    fn base() -> Value {
        let mut v = schema().block.empty_value();
        v.set_attr("name", Value::string("emr-rt-analyst"));
        v.set_attr(
            "emr_on_ec2",
            Value::object([
                ("instance_role_arn", Value::string(INSTANCE)),
                ("external_id", Value::Null),
                ("propagate_source_identity", Value::Bool(false)),
                ("source_identities", Value::Null),
                ("lake_formation", Value::Bool(false)),
                ("lake_formation_session_tag", Value::string(LF_SESSION_TAG)),
                ("grant_instance_role", Value::Bool(true)),
            ]),
        );
        v
    }

    fn sset(v: &[&str]) -> Value {
        Value::set(v.iter().map(|s| Value::string(*s)).collect())
    }

    fn ec2_with(k: &str, x: Value) -> Value {
        let mut b = base();
        if let Some(Value::Object(m)) = b.get_mut("emr_on_ec2") {
            m.insert(k.into(), x);
        }
        b
    }

    fn with(k: &str, x: Value) -> Value {
        let mut b = base();
        b.set_attr(k, x);
        b
    }

    /// (attribute path the error must carry, configuration).
    fn invalid_cases() -> Vec<(&'static str, Value)> {
        let no_propagate = {
            // omitted propagate_source_identity arrives as null
            let mut b = ec2_with("source_identities", sset(&["alice"]));
            if let Some(Value::Object(m)) = b.get_mut("emr_on_ec2") {
                m.insert("propagate_source_identity".into(), Value::Null);
            }
            b
        };
        let s = Value::string;
        let tags = Value::Map(BTreeMap::from([("aws:x".to_string(), s("y"))]));
        let admin =
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#;
        #[rustfmt::skip]
        let cases = vec![
            ("name", with("name", s(&"a".repeat(65)))),
            ("name", with("name", s("bad name"))),
            ("name_prefix", with("name_prefix", s("p-"))),
            ("path", with("path", s("emr"))),
            ("permissions_boundary", with("permissions_boundary", s("arn:aws:iam::123456789012:role/x"))),
            ("max_session_duration", with("max_session_duration", Value::number(60))),
            ("emr_on_ec2", with("emr_on_ec2", Value::Null)),
            ("emr_on_ec2.instance_role_arn", ec2_with("instance_role_arn", s("arn:aws:iam::123456789012:user/x"))),
            ("emr_on_ec2.external_id", ec2_with("external_id", s("has space"))),
            ("emr_on_ec2.source_identities", ec2_with("source_identities", sset(&["alice"]))),
            ("emr_on_ec2.source_identities", no_propagate),
            ("emr_on_ec2.lake_formation_session_tag", ec2_with("lake_formation_session_tag", s(""))),
            ("emr_on_ec2.lake_formation_session_tag", ec2_with("lake_formation_session_tag", s(&"x".repeat(257)))),
            ("emr_on_ec2.lake_formation_session_tag", ec2_with("lake_formation_session_tag", s("Amazon EMR;drop"))),
            ("s3_read", with("s3_read", sset(&["datalake/curated/"]))),
            ("s3_write", with("s3_write", sset(&["s3://datalake/scratch"]))),
            ("kms_key_arns", with("kms_key_arns", sset(&["arn:aws:s3:::bucket"]))),
            ("kms_key_arns", with("kms_key_arns", sset(&["arn:aws:kms:us-east-1:123456789012:alias/x"]))),
            ("policy_json", with("policy_json", s("not json"))),
            ("policy_json", with("policy_json", s(admin))),
            ("managed_policy_arns", with("managed_policy_arns", sset(&["AmazonS3ReadOnlyAccess"]))),
            ("tags[\"aws:x\"]", with("tags", tags)),
        ];
        cases
    }

    #[test]
    fn invalid_configurations_name_their_attribute() {
        let cases = invalid_cases();
        assert!(
            !validate_config(&base()).has_errors(),
            "{}",
            validate_config(&base())
        );
        for tag in ["Acme EMR", "emr:analytics/prod@team_1", &"x".repeat(256)] {
            let cfg = ec2_with("lake_formation_session_tag", Value::string(tag));
            assert!(
                !validate_config(&cfg).has_errors(),
                "{tag}: {}",
                validate_config(&cfg)
            );
        }
        for (path, cfg) in cases {
            let d = validate_config(&cfg);
            assert!(
                d.iter()
                    .any(|x| x.path.as_ref().map(|p| p.to_string()).as_deref() == Some(path)),
                "expected an error at {path}, got {d}"
            );
        }
    }
}
