//! emr_launch_profile (seeds 000/001, "Profile"): which roles, instance
//! profile, security groups, security configuration, log and artifact
//! locations and keys a cluster launches with, stored as metadata in SSM.
//!
//! Without a `roles` block the provider creates minimal roles (service,
//! EC2 instance role + instance profile, autoscaling) that customers can
//! attach their own managed policies to; with it, the declared roles are
//! used and never modified. Every policy written is in `roles_json`, and
//! `metadata_json` is exactly what is stored: both known at plan.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as J};

use crate::aws::iam_roles::role_name_from_arn;
use crate::aws::managed_role::{self, DesiredRole, ObservedRole, Ownership, Tolerated, OWNER_TAG};
use crate::canonical;
use crate::configured::{Configured, ProviderData};
pub use crate::iam::launch_profile::InstanceGrants;
use crate::iam::launch_profile::{
    instance_policy, instance_trust, service_policy, service_role_policy_arn, service_trust,
};
use crate::iam::{runtime_role, PolicyDocument, Scope};
use crate::launch::secret_grant;
use crate::metadata::{self, Kind};
use crate::resources::{
    derived_name, env_of, import_parameter_stub, set_parameter_identity, ArnScope,
};
use crate::tfplugin::{
    model, ApplyResult, AttrPath, Attribute, Block, Ctx, Diagnostic, Diagnostics, Import,
    NestedBlock, PlanRequest, Planned, PlannedList, PlannedMap, Resource, Schema, Type, Value,
};
use crate::validate;

const TYPE_NAME: &str = "emr_launch_profile";
const MAX_ROLE_NAME: usize = 64;
/// Inline policies on the roles the provider creates.
pub const INSTANCE_POLICY: &str = "emr-launch-instance";
pub const SERVICE_POLICY: &str = "emr-launch-pass-roles";

pub struct LaunchProfile {
    data: Arc<ProviderData>,
}

impl LaunchProfile {
    pub fn new(data: Arc<ProviderData>) -> Self {
        LaunchProfile { data }
    }
}

/// The computed attributes shared with the data source.
#[rustfmt::skip]
pub fn computed_attrs(b: Block) -> Block {
    b.attr(Attribute::computed("parameter_name", Type::String).keep_state().desc("The SSM parameter holding the metadata."))
        .attr(Attribute::computed("parameter_arn", Type::String).keep_state().desc("ARN of that parameter."))
        .attr(Attribute::computed("service_role_arn", Type::String).desc("The EMR service role."))
        .attr(Attribute::computed("instance_role_arn", Type::String).desc("The EC2 instance role (inside the instance profile)."))
        .attr(Attribute::computed("instance_profile_arn", Type::String).desc("The EC2 instance profile."))
        .attr(Attribute::computed("autoscaling_role_arn", Type::String).desc("The autoscaling role (`\"\"` when none)."))
        .attr(Attribute::computed("metadata_json", Type::String).desc("Exactly the document stored in SSM."))
}

#[rustfmt::skip]
pub fn schema() -> Schema {
    let set = || Type::set(Type::String);
    let roles = Block::new()
        .desc("Use these existing roles instead of creating them. They are never modified.")
        .attr(Attribute::required("service_role_arn", Type::String).desc("EMR service role ARN."))
        .attr(Attribute::required("instance_profile_arn", Type::String).desc("EC2 instance profile ARN; its role becomes `instance_role_arn`."))
        .attr(Attribute::optional("autoscaling_role_arn", Type::String).desc("Autoscaling role ARN."));
    let groups = Block::new()
        .desc("EMR-managed security groups.")
        .attr(Attribute::optional("master", Type::String).desc("Primary node group (`sg-...`)."))
        .attr(Attribute::optional("workers", Type::String).desc("Core and task node group."))
        .attr(Attribute::optional("service", Type::String).desc("Service access group (private subnets)."));
    let b = Block::new()
        .desc("An EMR Launch profile: roles, network security and storage a cluster launches with, stored in SSM Parameter Store.")
        .attr(Attribute::computed("id", Type::String).keep_state().desc("`namespace/name`."))
        .attr(Attribute::required("namespace", Type::String).replace().desc("Namespace (SSM path segment)."))
        .attr(Attribute::required("name", Type::String).replace().desc("Name (SSM path segment)."))
        .attr(Attribute::optional("description", Type::String).desc("Description."))
        .attr(Attribute::optional("instance_role_managed_policy_arns", set()).desc("Managed policies attached (exclusively) to the created instance role."))
        .attr(Attribute::optional("permissions_boundary", Type::String).desc("Permissions boundary of the created roles."))
        .attr(Attribute::optional("security_configuration", Type::String).desc("Name of an EMR security configuration."))
        .attr(Attribute::optional("logs_uri", Type::String).desc("`s3://` prefix for cluster logs (the created instance role may write there)."))
        .attr(Attribute::optional("artifacts_uri", Type::String).desc("`s3://` prefix of bootstrap scripts and jars (readable by the created instance role)."))
        .attr(Attribute::optional("s3_read", set()).desc("`s3://` prefixes the created instance role may read."))
        .attr(Attribute::optional("s3_write", set()).desc("`s3://` prefixes the created instance role may read and write."))
        .attr(Attribute::optional("kms_key_arns", set()).desc("KMS keys the created instance role may use."))
        .attr(Attribute::optional("kerberos_attributes_secret_arn", Type::String).desc("Secrets Manager ARN of the Kerberos attributes (only the ARN is stored)."))
        .attr(Attribute::optional("tags", Type::map(Type::String)).desc("Tags of the parameter and created roles."))
        .attr(Attribute::computed("tags_all", Type::map(Type::String)).desc("Tags including the provider's `default_tags`."))
        .attr(Attribute::computed("roles_json", Type::String).desc("Every role the profile creates, with its trust policy, inline policies and attachments (`{}` with declared roles)."))
        .block(NestedBlock::single("roles", roles).replace())
        .block(NestedBlock::single("security_groups", groups));
    Schema::new(computed_attrs(b))
}

// ---------- the model ----------

/// Configuration, plan and state: every attribute may be null or unknown.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
struct Model {
    id: Planned<String>,
    namespace: Planned<String>,
    name: Planned<String>,
    description: Planned<String>,
    instance_role_managed_policy_arns: PlannedList<String>,
    permissions_boundary: Planned<String>,
    security_configuration: Planned<String>,
    logs_uri: Planned<String>,
    artifacts_uri: Planned<String>,
    s3_read: PlannedList<String>,
    s3_write: PlannedList<String>,
    kms_key_arns: PlannedList<String>,
    kerberos_attributes_secret_arn: Planned<String>,
    tags: PlannedMap<String>,
    tags_all: PlannedMap<String>,
    roles_json: Planned<String>,
    roles: Planned<DeclaredRoles>,
    security_groups: Planned<SecurityGroups>,
    parameter_name: Planned<String>,
    parameter_arn: Planned<String>,
    service_role_arn: Planned<String>,
    instance_role_arn: Planned<String>,
    instance_profile_arn: Planned<String>,
    autoscaling_role_arn: Planned<String>,
    metadata_json: Planned<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
struct DeclaredRoles {
    service_role_arn: Planned<String>,
    instance_profile_arn: Planned<String>,
    autoscaling_role_arn: Planned<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
struct SecurityGroups {
    master: Planned<String>,
    workers: Planned<String>,
    service: Planned<String>,
}

/// The metadata document stored in SSM (keys without a value are left
/// out), and what import reads back from it.
#[derive(Default, Deserialize, Serialize)]
#[serde(default, rename_all = "PascalCase")]
struct Stored {
    namespace: Option<String>,
    name: Option<String>,
    description: Option<String>,
    service_role: Option<String>,
    instance_profile: Option<String>,
    instance_role: Option<String>,
    #[serde(rename = "AutoScalingRole")]
    autoscaling_role: Option<String>,
    roles_created: Option<bool>,
    security_groups: Option<StoredGroups>,
    security_configuration: Option<String>,
    logs_uri: Option<String>,
    artifacts_uri: Option<String>,
    s3_read: Vec<String>,
    s3_write: Vec<String>,
    kms_key_arns: Vec<String>,
    kerberos_attributes_secret_arn: Option<String>,
}

#[derive(Default, Deserialize, Serialize)]
#[serde(default, rename_all = "PascalCase")]
struct StoredGroups {
    master_group: Option<String>,
    workers_group: Option<String>,
    service_group: Option<String>,
}

impl Model {
    /// The declared instance profile, when known.
    fn declared_profile(&self) -> Option<&str> {
        self.roles.known()?.instance_profile_arn.as_str()
    }
}

fn to_value(m: &Model) -> Result<Value, Diagnostics> {
    model::encode_block(m, &schema().block)
}

// ---------- names and policies (pure) ----------

pub struct RoleNames {
    pub service: String,
    pub instance: String,
    pub autoscaling: String,
}

pub fn role_names(namespace: &str, name: &str) -> RoleNames {
    RoleNames {
        service: derived_name(namespace, name, "-emr-service", MAX_ROLE_NAME),
        instance: derived_name(namespace, name, "-emr-instance", MAX_ROLE_NAME),
        autoscaling: derived_name(namespace, name, "-emr-autoscaling", MAX_ROLE_NAME),
    }
}

pub(crate) fn role_arn(env: &ArnScope, name: &str) -> String {
    format!("arn:{}:iam::{}:role/{name}", env.partition, env.account)
}

pub(crate) fn instance_profile_arn(env: &ArnScope, name: &str) -> String {
    format!(
        "arn:{}:iam::{}:instance-profile/{name}",
        env.partition, env.account
    )
}

/// The created roles as one reviewable JSON document.
pub fn created_roles(
    env: &ArnScope,
    names: &RoleNames,
    grants: &InstanceGrants,
    instance_managed: &[String],
    boundary: Option<&str>,
) -> J {
    let scope = Scope::from(env);
    let instance_arn = role_arn(env, &names.instance);
    let autoscaling_arn = role_arn(env, &names.autoscaling);
    let mut instance_inline = Map::new();
    if let Some(p) = instance_policy(&scope, grants) {
        instance_inline.insert(INSTANCE_POLICY.into(), p.to_value());
    }
    let mut instance_managed: Vec<String> = instance_managed.to_vec();
    instance_managed.sort();
    json!({
        "service": {
            "name": names.service,
            "arn": role_arn(env, &names.service),
            "trust_policy": service_trust(&scope, &["elasticmapreduce"]).to_value(),
            "inline_policies": {SERVICE_POLICY: service_policy(&scope, &instance_arn, &autoscaling_arn).to_value()},
            "managed_policy_arns": [service_role_policy_arn(&scope, "AmazonEMRServicePolicy_v2")],
            "permissions_boundary": boundary,
        },
        "instance": {
            "name": names.instance,
            "arn": instance_arn,
            "instance_profile_arn": instance_profile_arn(env, &names.instance),
            "trust_policy": instance_trust(&scope).to_value(),
            "inline_policies": instance_inline,
            "managed_policy_arns": instance_managed,
            "permissions_boundary": boundary,
        },
        "autoscaling": {
            "name": names.autoscaling,
            "arn": autoscaling_arn,
            "trust_policy": service_trust(&scope, &["application-autoscaling", "elasticmapreduce"]).to_value(),
            "inline_policies": {},
            "managed_policy_arns": [service_role_policy_arn(&scope, "AmazonElasticMapReduceforAutoScalingRole")],
            "permissions_boundary": boundary,
        },
    })
}

/// The metadata document stored in SSM, from a plan whose inputs and role
/// ARNs are known. Keys with no value are left out.
fn metadata_document(st: &Model) -> J {
    let s = |p: &Planned<String>| p.known().cloned();
    let list = |p: &PlannedList<String>| p.known_elems().cloned().collect();
    let doc = Stored {
        namespace: s(&st.namespace),
        name: s(&st.name),
        description: s(&st.description),
        service_role: s(&st.service_role_arn),
        instance_profile: s(&st.instance_profile_arn),
        instance_role: s(&st.instance_role_arn),
        autoscaling_role: s(&st.autoscaling_role_arn).filter(|a| !a.is_empty()),
        roles_created: Some(st.roles.is_null()),
        security_groups: st.security_groups.known().map(|g| StoredGroups {
            master_group: s(&g.master),
            workers_group: s(&g.workers),
            service_group: s(&g.service),
        }),
        security_configuration: s(&st.security_configuration),
        logs_uri: s(&st.logs_uri),
        artifacts_uri: s(&st.artifacts_uri),
        s3_read: list(&st.s3_read),
        s3_write: list(&st.s3_write),
        kms_key_arns: list(&st.kms_key_arns),
        kerberos_attributes_secret_arn: s(&st.kerberos_attributes_secret_arn),
    };
    pruned(serde_json::to_value(doc).unwrap_or_default())
}

/// `j` without null values, empty lists and empty objects.
fn pruned(j: J) -> J {
    let empty = |v: &J| match v {
        J::Null => true,
        J::Array(a) => a.is_empty(),
        J::Object(o) => o.is_empty(),
        _ => false,
    };
    match j {
        J::Object(m) => {
            let m = m.into_iter().map(|(k, v)| (k, pruned(v)));
            J::Object(m.filter(|(_, v)| !empty(v)).collect())
        }
        j => j,
    }
}

/// The configuration side of a state from its stored metadata document
/// (identity from the import stub `current`).
fn import_state(current: &Model, d: &Stored) -> Model {
    let s = |v: &Option<String>| Planned::from(v.clone());
    let list = |v: &[String]| match v {
        [] => Planned::Null,
        v => PlannedList::of(v.iter().cloned()),
    };
    let groups = d.security_groups.as_ref().map(|g| SecurityGroups {
        master: s(&g.master_group),
        workers: s(&g.workers_group),
        service: s(&g.service_group),
    });
    let declared = (d.roles_created == Some(false)).then(|| DeclaredRoles {
        service_role_arn: s(&d.service_role),
        instance_profile_arn: s(&d.instance_profile),
        autoscaling_role_arn: s(&d.autoscaling_role),
    });
    Model {
        id: current.id.clone(),
        namespace: current.namespace.clone(),
        name: current.name.clone(),
        parameter_name: current.parameter_name.clone(),
        parameter_arn: current.parameter_arn.clone(),
        description: s(&d.description),
        security_configuration: s(&d.security_configuration),
        logs_uri: s(&d.logs_uri),
        artifacts_uri: s(&d.artifacts_uri),
        s3_read: list(&d.s3_read),
        s3_write: list(&d.s3_write),
        kms_key_arns: list(&d.kms_key_arns),
        kerberos_attributes_secret_arn: s(&d.kerberos_attributes_secret_arn),
        security_groups: groups.into(),
        roles: declared.into(),
        ..Model::default()
    }
}

// ---------- validation ----------

fn sg_id(s: &str) -> Result<(), String> {
    let hex = |h: &str| (8..=17).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit());
    let ok = s.strip_prefix("sg-").is_some_and(hex);
    ok.then_some(()).ok_or_else(|| {
        format!("{s:?} is not a security group id; expected sg- followed by 8 or 17 hex digits.")
    })
}

fn s3_prefix(s: &str) -> Result<(), String> {
    let (_, key) = validate::s3_uri(s)?;
    let ok = key.is_empty() || key.ends_with('/');
    ok.then_some(())
        .ok_or_else(|| format!("{s:?} must be a bucket or a prefix ending in \"/\"."))
}

fn instance_profile_arn_ok(s: &str) -> Result<(), String> {
    match validate::parse_arn(s) {
        Some(a) if a.service == "iam" && a.region.is_empty() && a.account.len() == 12 && a.resource.starts_with("instance-profile/") => Ok(()),
        _ => Err(format!("{s:?} is not an instance profile ARN; expected arn:<partition>:iam::<account>:instance-profile/<name>.")),
    }
}

fn iam_policy_arn(s: &str) -> Result<(), String> {
    match validate::parse_arn(s) {
        Some(a) if a.service == "iam" && a.resource.starts_with("policy/") => Ok(()),
        _ => Err(format!("{s:?} is not an IAM policy ARN.")),
    }
}

fn managed_policy_arn(s: &str) -> Result<(), String> {
    iam_policy_arn(s).map_err(|_| format!("{s:?} is not an IAM managed policy ARN."))
}

fn security_configuration(s: &str) -> Result<(), String> {
    let msg = "security_configuration must name an EMR security configuration.";
    (!s.trim().is_empty())
        .then_some(())
        .ok_or_else(|| msg.into())
}

/// Checks of the known string values at attribute paths:
/// (dotted path, values, check, summary). Errors point at the path.
type Rule<'a> = (
    &'a str,
    Vec<&'a str>,
    &'a dyn Fn(&str) -> Result<(), String>,
    &'a str,
);

fn one(p: &Planned<String>) -> Vec<&str> {
    p.as_str().into_iter().collect()
}

fn each(p: &PlannedList<String>) -> Vec<&str> {
    p.known_elems().map(String::as_str).collect()
}

pub fn validate_config(cfg: &Value) -> Diagnostics {
    model::decode(cfg).map_or_else(|d| d, |m| check(&m))
}

fn check(cfg: &Model) -> Diagnostics {
    let mut d = Diagnostics::new();
    let segment = |attr: &'static str| move |s: &str| metadata::check_segment(attr, s);
    let (namespace, name) = (segment("namespace"), segment("name"));
    let roles = cfg.roles.get_or(DeclaredRoles::default());
    let groups = cfg.security_groups.get_or(SecurityGroups::default());
    let (s3, sg, role) = (
        "Invalid S3 location",
        "Invalid security group",
        "Invalid role",
    );
    #[rustfmt::skip]
    let rules: &[Rule] = &[
        ("namespace", one(&cfg.namespace), &namespace, "Invalid namespace"),
        ("name", one(&cfg.name), &name, "Invalid name"),
        ("logs_uri", one(&cfg.logs_uri), &s3_prefix, s3),
        ("artifacts_uri", one(&cfg.artifacts_uri), &s3_prefix, s3),
        ("s3_read", each(&cfg.s3_read), &s3_prefix, s3),
        ("s3_write", each(&cfg.s3_write), &s3_prefix, s3),
        ("kms_key_arns", each(&cfg.kms_key_arns), &validate::kms_key_arn, "Invalid KMS key"),
        ("kerberos_attributes_secret_arn", one(&cfg.kerberos_attributes_secret_arn), &validate::secret_arn, "Invalid secret ARN"),
        ("permissions_boundary", one(&cfg.permissions_boundary), &iam_policy_arn, "Invalid permissions boundary"),
        ("instance_role_managed_policy_arns", each(&cfg.instance_role_managed_policy_arns), &managed_policy_arn, "Invalid managed policy"),
        ("security_groups.master", one(&groups.master), &sg_id, sg),
        ("security_groups.workers", one(&groups.workers), &sg_id, sg),
        ("security_groups.service", one(&groups.service), &sg_id, sg),
        ("security_configuration", one(&cfg.security_configuration), &security_configuration, "Invalid security configuration"),
        ("roles.service_role_arn", one(&roles.service_role_arn), &validate::iam_role_arn, role),
        ("roles.autoscaling_role_arn", one(&roles.autoscaling_role_arn), &validate::iam_role_arn, role),
        ("roles.instance_profile_arn", one(&roles.instance_profile_arn), &instance_profile_arn_ok, "Invalid instance profile"),
    ];
    for (path, values, f, summary) in rules {
        for msg in values.iter().filter_map(|s| f(s).err()) {
            d.attr_error(AttrPath::parse_dotted(path), *summary, msg);
        }
    }
    let managed = cfg.instance_role_managed_policy_arns.is_null();
    let created_only = [
        ("instance_role_managed_policy_arns", managed),
        ("permissions_boundary", cfg.permissions_boundary.is_null()),
    ];
    for (attr, _) in created_only
        .iter()
        .filter(|(_, null)| !null && !cfg.roles.is_null())
    {
        d.attr_error(
            AttrPath::attr(attr),
            "Not used with declared roles",
            format!("{attr} applies to the roles the profile creates; with a roles block nothing is created. Attach policies to your own roles instead."),
        );
    }
    for k in cfg.tags.known().into_iter().flat_map(|m| m.keys()) {
        if k.to_ascii_lowercase().starts_with("aws:") {
            d.attr_error(
                AttrPath::attr("tags").push_key(k),
                "Invalid tag key",
                "tag keys may not start with \"aws:\".",
            );
        }
    }
    d
}

// ---------- the resource ----------

pub fn err(verb: &str, id: &str, msg: impl Into<String>) -> Diagnostics {
    Diagnostic::error(format!("{verb} EMR launch profile ({id})"), msg.into()).into()
}

fn id_of(st: &Model) -> String {
    let s = |p: &Planned<String>| p.as_str().unwrap_or("?").to_string();
    format!("{}/{}", s(&st.namespace), s(&st.name))
}

/// Role ARNs: service, instance profile, instance role, autoscaling.
type Arns = [String; 4];

/// With created roles: roles_json and the ARNs, once their inputs are known.
fn created_plan(env: &ArnScope, st: &Model) -> Option<(J, Arns)> {
    let (ns, nm) = (st.namespace.as_str()?, st.name.as_str()?);
    let uris = [&st.logs_uri, &st.artifacts_uri, &st.permissions_boundary];
    if uris.iter().any(|u| u.is_unknown()) {
        return None;
    }
    let grants = InstanceGrants {
        logs_uri: st.logs_uri.known().cloned(),
        artifacts_uri: st.artifacts_uri.known().cloned(),
        s3_read: st.s3_read.all_known()?,
        s3_write: st.s3_write.all_known()?,
        kms_key_arns: st.kms_key_arns.all_known()?,
    };
    let managed = st.instance_role_managed_policy_arns.all_known()?;
    let names = role_names(ns, nm);
    let boundary = st.permissions_boundary.as_str();
    let doc = created_roles(env, &names, &grants, &managed, boundary);
    let arns = [
        role_arn(env, &names.service),
        instance_profile_arn(env, &names.instance),
        role_arn(env, &names.instance),
        role_arn(env, &names.autoscaling),
    ];
    Some((doc, arns))
}

/// With declared roles: their ARNs, once known, with the role inside the
/// declared instance profile.
fn declared_arns(roles: &DeclaredRoles, instance_role: Option<String>) -> Option<Arns> {
    if !model::wholly_known(roles) {
        return None;
    }
    let s = |p: &Planned<String>| p.get_or(String::new());
    Some([
        s(&roles.service_role_arn),
        s(&roles.instance_profile_arn),
        instance_role?,
        s(&roles.autoscaling_role_arn),
    ])
}

/// Sets roles_json, the role ARNs and metadata_json on a plan (unknown
/// while what they are made of is).
fn plan_documents(env: &ArnScope, st: &mut Model, declared_instance_role: Option<String>) {
    let (roles_json, arns) = match &st.roles {
        Planned::Null => match created_plan(env, st) {
            Some((doc, arns)) => (Planned::Known(canonical::text(&doc)), Some(arns)),
            None => (Planned::Unknown, None),
        },
        Planned::Known(r) => ("{}".into(), declared_arns(r, declared_instance_role)),
        Planned::Unknown => ("{}".into(), None),
    };
    st.roles_json = roles_json;
    let arn = |i: usize| {
        arns.as_ref()
            .map_or(Planned::Unknown, |a| a[i].as_str().into())
    };
    (st.service_role_arn, st.instance_profile_arn) = (arn(0), arn(1));
    (st.instance_role_arn, st.autoscaling_role_arn) = (arn(2), arn(3));
    let inputs = (
        (
            &st.namespace,
            &st.name,
            &st.description,
            &st.security_configuration,
        ),
        (&st.logs_uri, &st.artifacts_uri, &st.s3_read, &st.s3_write),
        (&st.kms_key_arns, &st.kerberos_attributes_secret_arn),
        &st.security_groups,
    );
    st.metadata_json = if arns.is_some() && model::wholly_known(&inputs) {
        Planned::Known(canonical::text(&metadata_document(st)))
    } else {
        Planned::Unknown
    };
}

const KINDS: [&str; 3] = ["service", "instance", "autoscaling"];
const ROLE_DESCRIPTION: &str = "EMR Launch profile role managed by Terraform (emrlaunch/emr)";

/// The provenance tag value (`emr-launch:managed-by`) of the created roles.
fn owner(st: &Model) -> String {
    format!("{TYPE_NAME}/{}", id_of(st))
}

/// What a created role of this kind leaves in place: exact provider grants
/// that [`verified_grants`] found written by their resource (none until
/// then: a role being created holds none).
fn tolerated(env: &ArnScope, kind: &'static str, verified: BTreeSet<String>) -> Tolerated {
    let env = env.clone();
    Arc::new(move |policy: &str, doc: &str| {
        verified.contains(policy) && is_tolerated_grant(&env, kind, policy, doc)
    })
}

/// The role holds one of these inline policies (a GetRolePolicy each).
async fn holds_any(c: &Configured, role: &str, policies: &[&str]) -> Result<bool, String> {
    for p in policies {
        if managed_role::read_grant(&c.aws.iam, role, p)
            .await?
            .is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The inline policies of a created role that have a provider grant's exact
/// shape (`is_tolerated_grant`) and whose resource really exists: the
/// runtime role a grant lets the instance role assume carries
/// `emr_runtime_role/<its name>`, and the execution role a secret grant is
/// named for carries an `emr_launch_function/` owner tag. The shape alone
/// would let whoever can put policies on the instance role hide a grant to
/// assume any role of the account. One GetRole per such policy.
async fn verified_grants(
    c: &Configured,
    env: &ArnScope,
    kind: &str,
    role: &ObservedRole,
) -> Result<BTreeSet<String>, String> {
    let mut out = BTreeSet::new();
    for (policy, doc) in &role.inline {
        if !is_tolerated_grant(env, kind, policy, doc) {
            continue;
        }
        let ours = match kind {
            "instance" => {
                let target = PolicyDocument::parse(doc).ok().and_then(|d| {
                    let arn = runtime_role::instance_role_grant_target(&d)?;
                    role_name_from_arn(arn).map(str::to_string)
                });
                let Some(name) = target else { continue };
                let owner = managed_role::role_owner(&c.aws.iam, &name).await?;
                match owner {
                    Some(o) => o == format!("emr_runtime_role/{name}"),
                    // A runtime role of 0.1.x, or imported and unchanged
                    // since: untagged until it next changes, it holds the
                    // policy only emr_runtime_role names so.
                    None => {
                        let own = [
                            crate::resources::runtime_role::PERMISSIONS_POLICY,
                            crate::resources::runtime_role::CUSTOM_POLICY,
                        ];
                        holds_any(c, &name, &own).await?
                    }
                }
            }
            "service" => {
                let role = policy.trim_start_matches(secret_grant::POLICY_PREFIX);
                let owner = managed_role::role_owner(&c.aws.iam, role).await?;
                // The function the owner tag names derives this very role;
                // untagged (0.1.x), it is a function role holding the
                // function's own policy.
                match owner.as_deref() {
                    Some(o) => o
                        .strip_prefix("emr_launch_function/")
                        .and_then(|id| id.split_once('/'))
                        .is_some_and(|(ns, nm)| {
                            let fr = crate::resources::launch_function::FunctionResources::derive(
                                env, ns, nm,
                            );
                            fr.role == role
                        }),
                    None => {
                        let own = [crate::resources::launch_function::EXECUTION_POLICY];
                        role.ends_with("-emr-launch-fn") && holds_any(c, role, &own).await?
                    }
                }
            }
            _ => false,
        };
        if ours {
            out.insert(policy.clone());
        }
    }
    Ok(out)
}

/// An inline policy on a created role that is not the profile's own but is
/// left alone (neither drift nor removed): exactly a grant another resource
/// of this provider writes there, recognised by its statements.
/// - instance role: emr_runtime_role's grant to assume one runtime role of
///   the provider's account, under the name emr_runtime_role gives it;
/// - service role: a launch function's GetSecretValue on exact secret ARNs,
///   under its prefix.
pub fn is_tolerated_grant(env: &ArnScope, kind: &str, policy: &str, doc: &str) -> bool {
    let Ok(d) = PolicyDocument::parse(doc) else {
        return false;
    };
    let own_name = |target: &str| {
        role_name_from_arn(target)
            .is_some_and(|n| runtime_role::instance_grant_policy_name(n) == policy)
    };
    let in_account = |target: &str| {
        validate::parse_arn(target)
            .is_some_and(|a| a.partition == env.partition && a.account == env.account)
    };
    match kind {
        "instance" => {
            runtime_role::is_instance_role_grant(&d)
                && runtime_role::instance_role_grant_target(&d)
                    .is_some_and(|t| own_name(t) && in_account(t))
        }
        "service" => {
            policy.starts_with(secret_grant::POLICY_PREFIX) && secret_grant::is_secret_grant(&d)
        }
        _ => false,
    }
}

/// The role inside a declared instance profile (a read-only lookup).
pub(crate) async fn instance_role_of(c: &Configured, profile_arn: &str) -> Result<String, String> {
    let name = profile_arn.rsplit('/').next().unwrap_or_default();
    let iam = &c.aws.iam;
    let out = iam
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await;
    let describe = |e| crate::aws::errors::describe(&e);
    let out = out.map_err(|e| format!("reading instance profile {name}: {}", describe(e)))?;
    out.instance_profile()
        .and_then(|p| p.roles().first())
        .map(|r| r.arn().to_string())
        .ok_or_else(|| format!("instance profile {name} holds no role; add one before using it"))
}

/// A created role: its roles_json entry and the desired state made from it.
struct Created {
    kind: &'static str,
    json: J,
    role: DesiredRole,
}

/// The roles a planned state's roles_json creates (none with declared roles).
fn desired_roles(env: &ArnScope, st: &Model) -> Vec<Created> {
    let Some(doc) = parsed(&st.roles_json) else {
        return vec![];
    };
    let (owner, tags) = (owner(st), st.tags_all.known_entries());
    let mut out = Vec::new();
    for kind in KINDS {
        let Some((r, name)) = doc.get(kind).and_then(|r| Some((r, r["name"].as_str()?))) else {
            continue;
        };
        let mut role = DesiredRole::new(name, &owner, canonical::text(&r["trust_policy"]));
        role.description = Some(ROLE_DESCRIPTION.to_string());
        if let Some(m) = r["inline_policies"].as_object() {
            role.inline = m
                .iter()
                .map(|(k, v)| (k.clone(), canonical::text(v)))
                .collect();
        }
        role.managed = serde_json::from_value(r["managed_policy_arns"].clone()).unwrap_or_default();
        role.boundary = r["permissions_boundary"].as_str().map(str::to_string);
        role.tags = tags.clone();
        role.instance_profile = (kind == "instance").then(|| name.to_string());
        role.tolerated = Some(tolerated(env, kind, BTreeSet::new()));
        out.push(Created {
            kind,
            json: r.clone(),
            role,
        });
    }
    out
}

/// A created role as IAM holds it, in the shape of roles_json; another
/// resource's exact grant (`verified`, from [`verified_grants`]) is left out.
fn observed_json(
    env: &ArnScope,
    kind: &str,
    expected: &J,
    role: &ObservedRole,
    (tags, verified): (&BTreeMap<String, String>, &BTreeSet<String>),
) -> J {
    let own = &expected["inline_policies"];
    let as_json = |doc: &str| {
        PolicyDocument::parse(doc).map_or_else(|_| J::String(doc.to_string()), |d| d.to_value())
    };
    let inline: Map<String, J> = role
        .inline
        .iter()
        .filter(|(p, _)| own.get(p.as_str()).is_some() || !verified.contains(p.as_str()))
        .map(|(p, d)| (p.clone(), as_json(d)))
        .collect();
    let mut r = json!({
        "name": role.name, "arn": role.arn, "trust_policy": as_json(&role.trust),
        "inline_policies": inline, "managed_policy_arns": role.managed,
        "permissions_boundary": role.boundary,
    });
    if kind == "instance" {
        // Another role in the profile (threat 2) reads as a different profile.
        let alone = role.instance_profile_roles.as_deref() == Some(&[role.name.clone()][..]);
        let arn = alone.then(|| instance_profile_arn(env, &role.name));
        r["instance_profile_arn"] = J::String(arn.unwrap_or_default());
    }
    // Tag and session drift appear only when present, so plan shows them.
    if role.user_tags() != *tags {
        r["tags"] = json!(role.user_tags());
    }
    if role.max_session != managed_role::DEFAULT_MAX_SESSION {
        r["max_session_duration"] = json!(role.max_session);
    }
    r
}

/// Reads the created roles back into roles_json (the recorded text stays
/// when IAM matches it). True when every one of them is gone.
async fn observe_roles(c: &Configured, st: &mut Model) -> Result<bool, String> {
    let expected = parsed(&st.roles_json).unwrap_or(json!({}));
    if expected.as_object().is_none_or(|m| m.is_empty()) {
        return Ok(false);
    }
    let env = env_of(c);
    let tags = st.tags_all.known_entries();
    let mut remote = Map::new();
    for kind in KINDS {
        let Some(name) = expected[kind]["name"].as_str() else {
            continue;
        };
        let profile = (kind == "instance").then_some(name);
        if let Some(role) = managed_role::read(&c.aws.iam, name, profile).await? {
            let verified = verified_grants(c, &env, kind, &role).await?;
            let r = observed_json(&env, kind, &expected[kind], &role, (&tags, &verified));
            remote.insert(kind.to_string(), r);
        }
    }
    let gone = remote.is_empty();
    let remote = J::Object(remote);
    if gone {
        // Drift that apply repairs (unless the parameter is gone too).
        st.roles_json = "{}".into();
    } else if remote != expected {
        st.roles_json = Planned::Known(canonical::text(&remote));
    }
    Ok(gone)
}

/// At create, before anything is written: each name is free, or already
/// this profile's (a create that stopped half way).
async fn refuse_foreign(iam: &aws_sdk_iam::Client, want: &[Created]) -> Result<(), String> {
    for w in want {
        let Some(have) = managed_role::read(iam, &w.role.name, None).await? else {
            continue;
        };
        if let Ownership::Foreign(o) = have.ownership(&w.role.owner) {
            let who = o.map_or_else(
                || format!("not managed by this profile (it has no {OWNER_TAG} tag)"),
                |o| format!("managed by {o}"),
            );
            return Err(format!(
                "role {} already exists and is {who}; another profile may derive the same name, or import the profile that made it",
                w.role.name
            ));
        }
    }
    Ok(())
}

/// Reconciles each created role whose roles_json entry or tags differ from
/// what `prior` records (every one at create, without `prior`).
async fn put_roles(c: &Configured, want: &[Created], prior: Option<&Model>) -> Result<(), String> {
    let iam = &c.aws.iam;
    let adopt = prior.is_some();
    let recorded = prior.and_then(|p| parsed(&p.roles_json));
    let prior_tags = prior
        .map(|p| p.tags_all.known_entries())
        .unwrap_or_default();
    let env = env_of(c);
    for w in want {
        let have = recorded.as_ref().and_then(|r| r.get(w.kind));
        if adopt && have == Some(&w.json) && prior_tags == w.role.tags {
            continue;
        }
        // The grants other resources wrote here stay only when verified.
        let mut role = w.role.clone();
        if w.kind != "autoscaling" {
            let profile = role.instance_profile.as_deref();
            if let Some(observed) = managed_role::read(iam, &role.name, profile).await? {
                let verified = verified_grants(c, &env, w.kind, &observed).await?;
                role.tolerated = Some(tolerated(&env, w.kind, verified));
            }
        }
        managed_role::reconcile(iam, &role, adopt)
            .await
            .map_err(|e| e.message)?;
    }
    Ok(())
}

/// Deletes the created roles (and the instance profile) of a profile.
async fn delete_roles(c: &Configured, prior: &Model) -> Result<(), String> {
    let names = role_names(
        prior.namespace.as_str().unwrap_or_default(),
        prior.name.as_str().unwrap_or_default(),
    );
    let owner = owner(prior);
    for (name, profile) in [
        (&names.service, None),
        (&names.instance, Some(names.instance.as_str())),
        (&names.autoscaling, None),
    ] {
        managed_role::delete(&c.aws.iam, name, &owner, profile, true).await?;
    }
    Ok(())
}

/// Import: the configuration side from the stored record; with created
/// roles, the instance role's attachments and boundary from IAM.
async fn imported(
    c: &Configured,
    current: &Model,
    pname: &str,
    doc: &str,
) -> Result<Model, String> {
    let stored: Stored = serde_json::from_str(doc)
        .map_err(|e| format!("the stored metadata is not a launch profile record: {e}"))?;
    let mut st = import_state(current, &stored);
    let tags = crate::resources::own_parameter_tags(c, pname).await;
    if let Some(Ok(tags)) = tags.map(|t| model::decode(&t)) {
        st.tags = tags;
    }
    st.tags_all = st.tags.overlaid_on(&c.default_tags);
    let env = env_of(c);
    let declared = st.declared_profile().map(|_| stored.instance_role.clone());
    let declared = declared.map(Option::unwrap_or_default);
    plan_documents(&env, &mut st, declared);
    if !st.roles.is_null() {
        return Ok(st);
    }
    let (ns, nm) = (st.namespace.as_str(), st.name.as_str());
    let instance = role_names(ns.unwrap_or_default(), nm.unwrap_or_default()).instance;
    if let Some(role) = managed_role::read(&c.aws.iam, &instance, None).await? {
        st.instance_role_managed_policy_arns = if role.managed.is_empty() {
            Planned::Null
        } else {
            PlannedList::of(role.managed)
        };
        st.permissions_boundary = role.boundary.into();
        plan_documents(&env, &mut st, None);
    }
    Ok(st)
}

/// A JSON document held in a string attribute.
fn parsed(text: &Planned<String>) -> Option<J> {
    serde_json::from_str(text.as_str()?).ok()
}

/// `now` becomes `before` when both are the same document.
fn keep_same(before: Option<&Planned<String>>, now: &mut Planned<String>) {
    if let (Some(p), Some(n)) = (before.and_then(Planned::as_str), now.as_str()) {
        if metadata::same(p, n) {
            *now = p.into();
        }
    }
}

impl LaunchProfile {
    async fn plan(
        c: &Configured,
        req: &PlanRequest<'_>,
        planned: &mut Value,
        diags: &mut Diagnostics,
    ) -> Result<(), Diagnostics> {
        set_parameter_identity(c, Kind::Profile, planned);
        let prior: Option<Model> = model::decode(req.prior)?;
        let mut plan: Model = model::decode(planned)?;
        // A declared instance profile's role is looked up (read-only).
        let mut declared = None;
        if let Some(p) = plan.declared_profile() {
            match instance_role_of(c, p).await {
                Ok(r) => declared = Some(r),
                Err(e) => diags.attr_error(
                    AttrPath::parse_dotted("roles.instance_profile_arn"),
                    "Instance profile not usable",
                    e,
                ),
            }
        }
        plan_documents(&env_of(c), &mut plan, declared);
        if let Some(Err(e)) = plan.metadata_json.as_str().map(metadata::tier_for) {
            diags.error("Launch profile too large", e);
        }
        let prior = prior.as_ref();
        keep_same(prior.map(|p| &p.metadata_json), &mut plan.metadata_json);
        keep_same(prior.map(|p| &p.roles_json), &mut plan.roles_json);
        plan.tags_all = plan.tags.overlaid_on(&c.default_tags);
        *planned = to_value(&plan)?;
        Ok(())
    }

    /// Creates (without `prior`) or updates the roles and the parameter. An
    /// error says whether a create records the plan (roles may exist now, so
    /// Terraform taints it and destroy cleans up).
    async fn apply(&self, plan: &Model, prior: Option<&Model>) -> Result<(), (bool, Diagnostics)> {
        let c = self.data.get().map_err(|d| (false, d))?;
        let (id, creating) = (id_of(plan), prior.is_none());
        let verb = if creating { "creating" } else { "updating" };
        let fail = |keep: bool, e: String| (keep, err(verb, &id, e));
        let (pname, doc) = (plan.parameter_name.as_str(), plan.metadata_json.as_str());
        let known = pname.zip(doc);
        let unknown = || fail(false, "the metadata document is unknown at apply".into());
        let roles = desired_roles(&env_of(&c), plan);
        if creating {
            let (pname, _) = known.ok_or_else(unknown)?;
            if let Ok(Some(_)) = metadata::get(&c.aws.ssm, pname).await {
                return Err(fail(false, format!("parameter {pname} already exists; import it with: terraform import <address> {id}")));
            }
            crate::info!("creating EMR launch profile", "id" => id);
            refuse_foreign(&c.aws.iam, &roles)
                .await
                .map_err(|e| fail(false, e))?;
        }
        put_roles(&c, &roles, prior)
            .await
            .map_err(|e| fail(creating, e))?;
        let (pname, doc) = known.ok_or_else(unknown)?;
        let changed =
            |p: &Model| p.metadata_json.as_str() != Some(doc) || p.tags_all != plan.tags_all;
        if prior.is_none_or(changed) {
            let desc = plan.description.as_str().unwrap_or("EMR Launch profile");
            let tags = plan.tags_all.known_entries();
            let written = metadata::put(&c.aws.ssm, pname, doc, desc, &tags).await;
            written.map_err(|e| match creating {
                true => fail(true, format!("writing {pname}: {e}")),
                false => fail(false, e),
            })?;
        }
        Ok(())
    }

    /// The refreshed state; None when the profile is gone.
    async fn refresh(&self, current: &Model) -> Result<Option<Model>, Diagnostics> {
        let c = self.data.get()?;
        let id = id_of(current);
        let Some(pname) = current.parameter_name.as_str() else {
            return Ok(None);
        };
        let stored = metadata::get(&c.aws.ssm, pname)
            .await
            .map_err(|e| err("reading", &id, e))?;
        let mut st = current.clone();
        if current.metadata_json.is_null() {
            let Some(doc) = &stored else {
                return Ok(None);
            };
            st = imported(&c, current, pname, doc)
                .await
                .map_err(|e| err("importing", &id, e))?;
        }
        let roles_gone = observe_roles(&c, &mut st)
            .await
            .map_err(|e| err("reading", &id, e))?;
        st.metadata_json = match stored {
            None if roles_gone || st.roles.is_known() => {
                crate::warn!("EMR launch profile not found, removing from state", "id" => id);
                return Ok(None);
            }
            // The parameter vanished but roles remain: drift that apply repairs.
            None => "".into(),
            Some(doc) => Planned::Known(metadata::reconcile(current.metadata_json.as_str(), &doc)),
        };
        Ok(Some(st))
    }

    async fn remove(&self, prior: &Model) -> Result<(), Diagnostics> {
        let c = self.data.get()?;
        let id = id_of(prior);
        if let Some(p) = prior.parameter_name.as_str() {
            let deleted = metadata::delete(&c.aws.ssm, p).await;
            deleted.map_err(|e| err("deleting", &id, e))?;
        }
        // Declared roles are the customer's: only created ones are removed.
        if prior.roles.is_null() {
            let deleted = delete_roles(&c, prior).await;
            deleted.map_err(|e| err("deleting", &id, e))?;
        }
        Ok(())
    }
}

#[async_trait]
impl Resource for LaunchProfile {
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
        diags.extend(validate_config(req.config));
        if diags.has_errors() {
            return;
        }
        let Ok(c) = self.data.get() else { return };
        if let Err(d) = Self::plan(&c, &req, planned, diags).await {
            diags.extend(d);
        }
    }

    async fn create(&self, _ctx: &Ctx, planned: &Value, _config: &Value) -> ApplyResult {
        let r = match model::decode(planned) {
            Ok(plan) => self.apply(&plan, None).await,
            Err(d) => Err((false, d)),
        };
        match r {
            Ok(()) => ApplyResult::ok(planned.clone()),
            Err((true, d)) => ApplyResult::failed(planned.clone(), d),
            Err((false, d)) => ApplyResult::failed(Value::Null, d),
        }
    }

    async fn read(&self, _ctx: &Ctx, current: &Value) -> Result<Value, Diagnostics> {
        match self.refresh(&model::decode(current)?).await? {
            Some(st) => to_value(&st),
            None => Ok(Value::Null),
        }
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        prior: &Value,
        planned: &Value,
        _config: &Value,
    ) -> ApplyResult {
        let models = model::decode(prior).and_then(|p| Ok((p, model::decode(planned)?)));
        let r = match models {
            Ok((p, plan)) => self.apply(&plan, Some(&p)).await,
            Err(d) => Err((false, d)),
        };
        match r {
            Ok(()) => ApplyResult::ok(planned.clone()),
            Err((_, d)) => ApplyResult::failed(prior.clone(), d),
        }
    }

    async fn delete(&self, _ctx: &Ctx, prior: &Value) -> Diagnostics {
        match model::decode(prior) {
            Ok(p) => self.remove(&p).await.err().unwrap_or_default(),
            Err(d) => d,
        }
    }

    fn importer(&self) -> Option<&dyn Import> {
        Some(self)
    }
}

#[async_trait]
impl Import for LaunchProfile {
    async fn import(&self, _ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        let c = self.data.get()?;
        import_parameter_stub(&c, Kind::Profile, schema().block.empty_value(), id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::least_privilege::assert_least_privilege;

    fn env() -> ArnScope {
        ArnScope {
            partition: "aws".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
        }
    }

    #[test]
    fn created_roles_are_least_privilege() {
        let g = InstanceGrants {
            logs_uri: Some("s3://acme-emr/logs/".into()),
            artifacts_uri: Some("s3://acme-emr/artifacts/".into()),
            s3_read: vec!["s3://datalake/curated/".into()],
            s3_write: vec![],
            kms_key_arns: vec!["arn:aws:kms:us-east-1:123456789012:key/k1".into()],
        };
        let names = role_names("analytics", "default");
        let doc = created_roles(&env(), &names, &g, &[], None);
        for kind in ["service", "instance", "autoscaling"] {
            let trust = PolicyDocument::parse(&doc[kind]["trust_policy"].to_string()).unwrap();
            assert_least_privilege(&trust);
            for (_, p) in doc[kind]["inline_policies"].as_object().unwrap() {
                assert_least_privilege(&PolicyDocument::parse(&p.to_string()).unwrap());
            }
        }
        assert_eq!(
            doc["instance"]["instance_profile_arn"],
            "arn:aws:iam::123456789012:instance-profile/analytics-default-emr-instance"
        );
    }

    #[test]
    fn created_roles_follow_the_partition() {
        let names = role_names("analytics", "default");
        #[rustfmt::skip]
        let partitions = [
            ("aws", "us-east-1", "ec2.amazonaws.com", "elasticmapreduce.amazonaws.com", "application-autoscaling.amazonaws.com"),
            ("aws-cn", "cn-north-1", "ec2.amazonaws.com.cn", "elasticmapreduce.amazonaws.com.cn", "application-autoscaling.amazonaws.com.cn"),
            ("aws-us-gov", "us-gov-west-1", "ec2.amazonaws.com", "elasticmapreduce.amazonaws.com", "application-autoscaling.amazonaws.com"),
        ];
        for (partition, region, ec2, emr, autoscaling) in partitions {
            let env = ArnScope {
                partition: partition.into(),
                account: "123456789012".into(),
                region: region.into(),
            };
            let g = InstanceGrants {
                logs_uri: Some("s3://acme-emr/logs/".into()),
                ..InstanceGrants::default()
            };
            let doc = created_roles(&env, &names, &g, &[], None);
            let services = |kind: &str| {
                doc[kind]["trust_policy"]["Statement"][0]["Principal"]["Service"].clone()
            };
            assert_eq!(services("instance"), json!([ec2]), "{partition}");
            assert_eq!(services("service"), json!([emr]), "{partition}");
            assert_eq!(
                services("autoscaling"),
                json!([autoscaling, emr]),
                "{partition}"
            );
            let pass = &doc["service"]["inline_policies"][SERVICE_POLICY]["Statement"];
            let passed: Vec<&J> = pass
                .as_array()
                .unwrap()
                .iter()
                .map(|s| &s["Condition"]["StringEquals"]["iam:PassedToService"][0])
                .collect();
            assert_eq!(passed, [&json!(autoscaling), &json!(ec2)], "{partition}");
            let prefix = format!("arn:{partition}:");
            assert_eq!(
                doc["instance"]["arn"],
                json!(format!(
                    "{prefix}iam::123456789012:role/analytics-default-emr-instance"
                ))
            );
            assert_eq!(
                doc["instance"]["instance_profile_arn"],
                json!(format!(
                    "{prefix}iam::123456789012:instance-profile/analytics-default-emr-instance"
                ))
            );
            assert_eq!(
                doc["service"]["managed_policy_arns"],
                json!([format!(
                    "{prefix}iam::aws:policy/service-role/AmazonEMRServicePolicy_v2"
                )])
            );
            assert!(doc
                .to_string()
                .contains(&format!("{prefix}s3:::acme-emr/logs/*")));
            if partition != "aws" {
                assert!(!doc.to_string().contains("arn:aws:"), "{partition}: {doc}");
            }
        }
    }

    #[test]
    fn only_exact_provider_grants_are_left_alone() {
        use crate::iam::runtime_role::{
            instance_grant_policy_name, instance_role_policy, Ec2Trust,
        };
        let env = env();
        let rt = "arn:aws:iam::123456789012:role/emr/emr-rt-analyst";
        let grant = |arn: &str, propagate: bool| {
            instance_role_policy(
                arn,
                &Ec2Trust {
                    propagate_source_identity: propagate,
                    source_identities: if propagate {
                        vec!["alice".into()]
                    } else {
                        vec![]
                    },
                    ..Ec2Trust::default()
                },
            )
            .canonical()
        };
        let name = instance_grant_policy_name("emr-rt-analyst");
        let ok = |kind: &str, policy: &str, doc: &str| is_tolerated_grant(&env, kind, policy, doc);
        assert!(ok("instance", &name, &grant(rt, false)));
        assert!(ok("instance", &name, &grant(rt, true)));
        // Under another name (e.g. emr-runtime-role-evil), on another role kind,
        // for a role of another account: not a grant emr_runtime_role writes.
        assert!(!ok("instance", "emr-runtime-role-evil", &grant(rt, false)));
        assert!(!ok("service", &name, &grant(rt, false)));
        assert!(!ok("autoscaling", &name, &grant(rt, false)));
        let foreign = "arn:aws:iam::999988887777:role/emr-rt-analyst";
        assert!(!ok("instance", &name, &grant(foreign, false)));
        let admin = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        assert!(!ok("instance", "emr-runtime-role-evil", admin));
        assert!(!ok("instance", &name, admin));
        assert!(!ok("instance", &name, "not json"));
        let wider = grant(rt, false).replace("sts:TagSession", "sts:*");
        assert!(!ok("instance", &name, &wider));

        let secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-AbCdEf";
        let sg = secret_grant::document(&[secret.to_string()]).canonical();
        let sname = secret_grant::policy_name("emr-launch-analytics-nightly");
        assert!(ok("service", &sname, &sg));
        assert!(!ok("service", "other-name", &sg));
        assert!(!ok("instance", &sname, &sg));
        assert!(!ok("service", &sname, admin));
        let star = secret_grant::document(&[
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:*".into(),
        ])
        .canonical();
        assert!(!ok("service", &sname, &star));
    }

    #[test]
    fn model_is_the_schema() {
        assert_eq!(
            model::model_paths::<Model>(),
            model::schema_paths(&schema().block)
        );
    }

    fn declared_profile() -> Model {
        Model {
            namespace: "analytics".into(),
            name: "default".into(),
            logs_uri: "s3://acme-emr/logs/".into(),
            service_role_arn: "arn:s".into(),
            instance_profile_arn: "arn:ip".into(),
            instance_role_arn: "arn:i".into(),
            autoscaling_role_arn: "".into(),
            roles: Planned::Known(DeclaredRoles {
                service_role_arn: "arn:s".into(),
                instance_profile_arn: "arn:ip".into(),
                autoscaling_role_arn: Planned::Null,
            }),
            ..Model::default()
        }
    }

    #[test]
    fn metadata_document_has_role_arns_and_omits_empty_keys() {
        assert_eq!(
            metadata_document(&declared_profile()),
            json!({"Namespace":"analytics","Name":"default","ServiceRole":"arn:s","InstanceProfile":"arn:ip","InstanceRole":"arn:i","RolesCreated":false,"LogsUri":"s3://acme-emr/logs/"})
        );
    }

    #[test]
    fn import_reads_back_what_the_metadata_document_stores() {
        let cfg = Model {
            description: "nightly".into(),
            s3_read: PlannedList::of(["s3://a/".to_string(), "s3://b/x/".to_string()]),
            kms_key_arns: PlannedList::of(["arn:aws:kms:us-east-1:1:key/k".to_string()]),
            security_groups: Planned::Known(SecurityGroups {
                master: "sg-0123456789abcdef0".into(),
                ..SecurityGroups::default()
            }),
            ..declared_profile()
        };
        let stub = Model {
            namespace: cfg.namespace.clone(),
            name: cfg.name.clone(),
            ..Model::default()
        };
        let doc = crate::canonical::text(&metadata_document(&cfg));
        let back = import_state(&stub, &serde_json::from_str(&doc).unwrap());
        // The role ARNs are computed: import plans them again.
        let want = Model {
            service_role_arn: Planned::Null,
            instance_profile_arn: Planned::Null,
            instance_role_arn: Planned::Null,
            autoscaling_role_arn: Planned::Null,
            ..cfg
        };
        assert_eq!(back, want);
        let created = Model {
            roles: Planned::Null,
            ..declared_profile()
        };
        let doc = metadata_document(&created);
        assert_eq!(doc["RolesCreated"], json!(true));
        let back = import_state(&stub, &serde_json::from_value(doc).unwrap());
        assert!(back.roles.is_null());
    }
}
