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
use serde_json::{json, Map, Value as J};

use crate::aws::iam_roles::role_name_from_arn;
use crate::aws::managed_role::{self, DesiredRole, ObservedRole, Ownership, Tolerated, OWNER_TAG};
use crate::configured::{Configured, ProviderData};
use crate::iam::{principals, PolicyDocument, Principal, Statement};
use crate::launch::secret_grant;
use crate::metadata::{self, Kind};
use crate::resources::runtime_role;
use crate::resources::{
    derived_name, env_of, import_parameter_stub, merged_tags, set_parameter_identity, strings,
    tags_map, Env,
};
use crate::tfplugin::{
    ApplyResult, AttrPath, Attribute, Block, Ctx, Diagnostic, Diagnostics, Import, NestedBlock,
    PlanRequest, Resource, Schema, Type, Value,
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
pub fn computed_attrs(b: Block) -> Block {
    b.attr(
        Attribute::computed("parameter_name", Type::String)
            .keep_state()
            .desc("The SSM parameter holding the metadata."),
    )
    .attr(
        Attribute::computed("parameter_arn", Type::String)
            .keep_state()
            .desc("ARN of that parameter."),
    )
    .attr(Attribute::computed("service_role_arn", Type::String).desc("The EMR service role."))
    .attr(
        Attribute::computed("instance_role_arn", Type::String)
            .desc("The EC2 instance role (inside the instance profile)."),
    )
    .attr(
        Attribute::computed("instance_profile_arn", Type::String).desc("The EC2 instance profile."),
    )
    .attr(
        Attribute::computed("autoscaling_role_arn", Type::String)
            .desc("The autoscaling role (`\"\"` when none)."),
    )
    .attr(
        Attribute::computed("metadata_json", Type::String)
            .desc("Exactly the document stored in SSM."),
    )
}

pub fn schema() -> Schema {
    let set = || Type::set(Type::String);
    let roles = Block::new()
        .desc("Use these existing roles instead of creating them. They are never modified.")
        .attr(Attribute::required("service_role_arn", Type::String).desc("EMR service role ARN."))
        .attr(
            Attribute::required("instance_profile_arn", Type::String)
                .desc("EC2 instance profile ARN; its role becomes `instance_role_arn`."),
        )
        .attr(
            Attribute::optional("autoscaling_role_arn", Type::String).desc("Autoscaling role ARN."),
        );
    let groups = Block::new()
        .desc("EMR-managed security groups.")
        .attr(Attribute::optional("master", Type::String).desc("Primary node group (`sg-...`)."))
        .attr(Attribute::optional("workers", Type::String).desc("Core and task node group."))
        .attr(
            Attribute::optional("service", Type::String)
                .desc("Service access group (private subnets)."),
        );
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

pub(crate) fn role_arn(env: &Env, name: &str) -> String {
    format!("arn:{}:iam::{}:role/{name}", env.partition, env.account)
}

pub(crate) fn instance_profile_arn(env: &Env, name: &str) -> String {
    format!(
        "arn:{}:iam::{}:instance-profile/{name}",
        env.partition, env.account
    )
}

fn managed(env: &Env, name: &str) -> String {
    format!("arn:{}:iam::aws:policy/service-role/{name}", env.partition)
}

/// Trust of these services (short names, e.g. "elasticmapreduce"), with
/// the principals of the provider's partition.
fn service_trust(env: &Env, services: &[&str]) -> PolicyDocument {
    PolicyDocument::new(vec![Statement::allow(["sts:AssumeRole"])
        .principal(Principal::Typed(BTreeMap::from([(
            "Service".to_string(),
            services
                .iter()
                .map(|s| principals::service(&env.partition, s))
                .collect(),
        )])))
        .condition("StringEquals", "aws:SourceAccount", [env.account.clone()])])
}

/// What the profile's inputs grant the created instance role.
pub struct InstanceGrants {
    pub logs_uri: Option<String>,
    pub artifacts_uri: Option<String>,
    pub s3_read: Vec<String>,
    pub s3_write: Vec<String>,
    pub kms_key_arns: Vec<String>,
}

fn s3_object_arn(env: &Env, uri: &str) -> Option<(String, String, String)> {
    let (b, k) = validate::s3_uri(uri).ok()?;
    Some((
        b.to_string(),
        format!("{k}*"),
        format!("arn:{}:s3:::{b}/{k}*", env.partition),
    ))
}

pub fn instance_policy(env: &Env, g: &InstanceGrants) -> Option<PolicyDocument> {
    let mut st = Vec::new();
    let mut list: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut add = |sid: &str, actions: &[&str], uris: &[String], st: &mut Vec<Statement>| {
        let objs: Vec<(String, String, String)> =
            uris.iter().filter_map(|u| s3_object_arn(env, u)).collect();
        if objs.is_empty() {
            return;
        }
        for (b, p, _) in &objs {
            list.entry(b.clone()).or_default().insert(p.clone());
        }
        st.push(
            Statement::allow(actions.iter().copied())
                .sid(sid)
                .resources(objs.into_iter().map(|(_, _, a)| a)),
        );
    };
    add(
        "WriteLogs",
        &["s3:PutObject"],
        g.logs_uri.as_slice(),
        &mut st,
    );
    add(
        "ReadArtifacts",
        &["s3:GetObject"],
        g.artifacts_uri.as_slice(),
        &mut st,
    );
    add(
        "S3Read",
        &["s3:GetObject", "s3:GetObjectVersion"],
        &g.s3_read,
        &mut st,
    );
    add(
        "S3Write",
        &[
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:PutObject",
            "s3:DeleteObject",
            "s3:AbortMultipartUpload",
        ],
        &g.s3_write,
        &mut st,
    );
    for (b, prefixes) in list {
        let mut s =
            Statement::allow(["s3:ListBucket"]).resource(format!("arn:{}:s3:::{b}", env.partition));
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
pub fn service_policy(env: &Env, instance_role: &str, autoscaling_role: &str) -> PolicyDocument {
    let service = |s: &str| principals::service(&env.partition, s);
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

/// The created roles as one reviewable JSON document.
pub fn created_roles(
    env: &Env,
    names: &RoleNames,
    grants: &InstanceGrants,
    instance_managed: &[String],
    boundary: Option<&str>,
) -> J {
    let instance_arn = role_arn(env, &names.instance);
    let autoscaling_arn = role_arn(env, &names.autoscaling);
    let ec2_trust = PolicyDocument::new(vec![Statement::allow(["sts:AssumeRole"]).principal(
        Principal::service(principals::service(&env.partition, "ec2")),
    )]);
    let mut instance_inline = Map::new();
    if let Some(p) = instance_policy(env, grants) {
        instance_inline.insert(INSTANCE_POLICY.into(), p.to_value());
    }
    let mut instance_managed: Vec<String> = instance_managed.to_vec();
    instance_managed.sort();
    json!({
        "service": {
            "name": names.service,
            "arn": role_arn(env, &names.service),
            "trust_policy": service_trust(env, &["elasticmapreduce"]).to_value(),
            "inline_policies": {SERVICE_POLICY: service_policy(env, &instance_arn, &autoscaling_arn).to_value()},
            "managed_policy_arns": [managed(env, "AmazonEMRServicePolicy_v2")],
            "permissions_boundary": boundary,
        },
        "instance": {
            "name": names.instance,
            "arn": instance_arn,
            "instance_profile_arn": instance_profile_arn(env, &names.instance),
            "trust_policy": ec2_trust.to_value(),
            "inline_policies": instance_inline,
            "managed_policy_arns": instance_managed,
            "permissions_boundary": boundary,
        },
        "autoscaling": {
            "name": names.autoscaling,
            "arn": autoscaling_arn,
            "trust_policy": service_trust(env, &["application-autoscaling", "elasticmapreduce"]).to_value(),
            "inline_policies": {},
            "managed_policy_arns": [managed(env, "AmazonElasticMapReduceforAutoScalingRole")],
            "permissions_boundary": boundary,
        },
    })
}

/// The role ARNs of a profile: (service, instance profile, instance role, autoscaling).
pub struct ProfileRoles {
    pub service_role_arn: String,
    pub instance_profile_arn: String,
    pub instance_role_arn: String,
    pub autoscaling_role_arn: String,
}

/// The metadata document stored in SSM. Keys with no value are left out.
pub fn metadata_document(cfg: &Value, roles: &ProfileRoles, created: bool) -> J {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<J>| {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    };
    let s = |k: &str| cfg.str_attr(k).map(|x| J::String(x.to_string()));
    let list = |k: &str| {
        let v = strings(cfg.get(k)).unwrap_or_default();
        (!v.is_empty()).then(|| J::Array(v.into_iter().map(J::String).collect()))
    };
    put("Namespace", s("namespace"));
    put("Name", s("name"));
    put("Description", s("description"));
    put(
        "ServiceRole",
        Some(J::String(roles.service_role_arn.clone())),
    );
    put(
        "InstanceProfile",
        Some(J::String(roles.instance_profile_arn.clone())),
    );
    put(
        "InstanceRole",
        Some(J::String(roles.instance_role_arn.clone())),
    );
    put(
        "AutoScalingRole",
        (!roles.autoscaling_role_arn.is_empty())
            .then(|| J::String(roles.autoscaling_role_arn.clone())),
    );
    put("RolesCreated", Some(J::Bool(created)));
    let sg = cfg.get("security_groups");
    let mut groups = Map::new();
    for (attr, key) in [
        ("master", "MasterGroup"),
        ("workers", "WorkersGroup"),
        ("service", "ServiceGroup"),
    ] {
        if let Some(v) = sg.str_attr(attr) {
            groups.insert(key.into(), J::String(v.into()));
        }
    }
    put(
        "SecurityGroups",
        (!groups.is_empty()).then_some(J::Object(groups)),
    );
    put("SecurityConfiguration", s("security_configuration"));
    put("LogsUri", s("logs_uri"));
    put("ArtifactsUri", s("artifacts_uri"));
    put("S3Read", list("s3_read"));
    put("S3Write", list("s3_write"));
    put("KmsKeyArns", list("kms_key_arns"));
    put(
        "KerberosAttributesSecretArn",
        s("kerberos_attributes_secret_arn"),
    );
    J::Object(m)
}

// ---------- validation ----------

fn sg_id(s: &str) -> Result<(), String> {
    let ok = s
        .strip_prefix("sg-")
        .is_some_and(|h| (8..=17).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a security group id; expected sg- followed by 8 or 17 hex digits."
        ))
    }
}

fn secret_arn(s: &str) -> Result<(), String> {
    match validate::parse_arn(s) {
        Some(a) if a.service == "secretsmanager" && a.resource.starts_with("secret:") && a.account.len() == 12 => Ok(()),
        _ => Err(format!("{s:?} is not a Secrets Manager secret ARN; expected arn:<partition>:secretsmanager:<region>:<account>:secret:<name>.")),
    }
}

fn s3_prefix(s: &str) -> Result<(), String> {
    let (_, key) = validate::s3_uri(s)?;
    if key.is_empty() || key.ends_with('/') {
        Ok(())
    } else {
        Err(format!(
            "{s:?} must be a bucket or a prefix ending in \"/\"."
        ))
    }
}

fn instance_profile_arn_ok(s: &str) -> Result<(), String> {
    match validate::parse_arn(s) {
        Some(a) if a.service == "iam" && a.region.is_empty() && a.account.len() == 12 && a.resource.starts_with("instance-profile/") => Ok(()),
        _ => Err(format!("{s:?} is not an instance profile ARN; expected arn:<partition>:iam::<account>:instance-profile/<name>.")),
    }
}

/// A check of string values: (dotted attribute path, check, summary).
pub(crate) type Check<'a> = (&'a str, &'a dyn Fn(&str) -> Result<(), String>, &'a str);

/// Runs each check on the value at its path: a string, or each string
/// element of a set or list. Errors point at that path.
pub(crate) fn check_all(d: &mut Diagnostics, cfg: &Value, checks: &[Check<'_>]) {
    for (path, f, summary) in checks {
        let v = path.split('.').fold(cfg, |v, k| v.get(k));
        let items: Vec<&Value> = match v {
            Value::List(e) | Value::Set(e) => e.iter().collect(),
            other => vec![other],
        };
        for s in items.into_iter().filter_map(Value::as_str) {
            if let Err(msg) = f(s) {
                d.attr_error(AttrPath::parse_dotted(path), *summary, msg);
            }
        }
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
    match s.trim().is_empty() {
        true => Err("security_configuration must name an EMR security configuration.".into()),
        false => Ok(()),
    }
}

pub fn validate_config(cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let segment = |attr: &'static str| move |s: &str| metadata::check_segment(attr, s);
    let (namespace, name) = (segment("namespace"), segment("name"));
    let s3 = "Invalid S3 location";
    check_all(
        &mut d,
        cfg,
        &[
            ("namespace", &namespace, "Invalid namespace"),
            ("name", &name, "Invalid name"),
            ("logs_uri", &s3_prefix, s3),
            ("artifacts_uri", &s3_prefix, s3),
            ("s3_read", &s3_prefix, s3),
            ("s3_write", &s3_prefix, s3),
            ("kms_key_arns", &validate::kms_key_arn, "Invalid KMS key"),
            (
                "kerberos_attributes_secret_arn",
                &secret_arn,
                "Invalid secret ARN",
            ),
            (
                "permissions_boundary",
                &iam_policy_arn,
                "Invalid permissions boundary",
            ),
            (
                "instance_role_managed_policy_arns",
                &managed_policy_arn,
                "Invalid managed policy",
            ),
            ("security_groups.master", &sg_id, "Invalid security group"),
            ("security_groups.workers", &sg_id, "Invalid security group"),
            ("security_groups.service", &sg_id, "Invalid security group"),
            (
                "security_configuration",
                &security_configuration,
                "Invalid security configuration",
            ),
            (
                "roles.service_role_arn",
                &validate::iam_role_arn,
                "Invalid role",
            ),
            (
                "roles.autoscaling_role_arn",
                &validate::iam_role_arn,
                "Invalid role",
            ),
            (
                "roles.instance_profile_arn",
                &instance_profile_arn_ok,
                "Invalid instance profile",
            ),
        ],
    );
    if !cfg.get("roles").is_null() {
        for attr in ["instance_role_managed_policy_arns", "permissions_boundary"] {
            if !cfg.get(attr).is_null() {
                d.attr_error(
                    AttrPath::attr(attr),
                    "Not used with declared roles",
                    format!("{attr} applies to the roles the profile creates; with a roles block nothing is created. Attach policies to your own roles instead."),
                );
            }
        }
    }
    for k in cfg
        .get("tags")
        .as_attrs()
        .into_iter()
        .flat_map(|m| m.keys())
    {
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

fn grants_of(cfg: &Value) -> Option<InstanceGrants> {
    Some(InstanceGrants {
        logs_uri: match cfg.get("logs_uri") {
            Value::Unknown => return None,
            v => v.as_str().map(str::to_string),
        },
        artifacts_uri: match cfg.get("artifacts_uri") {
            Value::Unknown => return None,
            v => v.as_str().map(str::to_string),
        },
        s3_read: strings(cfg.get("s3_read"))?,
        s3_write: strings(cfg.get("s3_write"))?,
        kms_key_arns: strings(cfg.get("kms_key_arns"))?,
    })
}

/// Sets roles_json, the role ARNs and metadata_json on a planned state.
/// `instance_role_of_profile` resolves a declared instance profile.
fn plan_documents(env: &Env, st: &mut Value, declared_instance_role: Option<String>) {
    let ns = st.str_attr("namespace").map(str::to_string);
    let nm = st.str_attr("name").map(str::to_string);
    let roles_block = st.get("roles").clone();
    let boundary = st.get("permissions_boundary").clone();
    let (roles_json, roles) = if roles_block.is_null() {
        match (
            &ns,
            &nm,
            grants_of(st),
            strings(st.get("instance_role_managed_policy_arns")),
            boundary.is_unknown(),
        ) {
            (Some(ns), Some(nm), Some(g), Some(managed), false) => {
                let names = role_names(ns, nm);
                let doc = created_roles(env, &names, &g, &managed, boundary.as_str());
                let r = ProfileRoles {
                    service_role_arn: role_arn(env, &names.service),
                    instance_profile_arn: instance_profile_arn(env, &names.instance),
                    instance_role_arn: role_arn(env, &names.instance),
                    autoscaling_role_arn: role_arn(env, &names.autoscaling),
                };
                (Value::String(crate::canonical::text(&doc)), Some(r))
            }
            _ => (Value::Unknown, None),
        }
    } else if roles_block.is_wholly_known() {
        let r = declared_instance_role.map(|instance_role_arn| ProfileRoles {
            service_role_arn: roles_block
                .str_attr("service_role_arn")
                .unwrap_or_default()
                .to_string(),
            instance_profile_arn: roles_block
                .str_attr("instance_profile_arn")
                .unwrap_or_default()
                .to_string(),
            instance_role_arn,
            autoscaling_role_arn: roles_block
                .str_attr("autoscaling_role_arn")
                .unwrap_or_default()
                .to_string(),
        });
        (Value::string("{}"), r)
    } else {
        (Value::string("{}"), None)
    };
    st.set_attr("roles_json", roles_json);
    match roles {
        Some(r) => {
            st.set_attr("service_role_arn", Value::string(&r.service_role_arn));
            st.set_attr(
                "instance_profile_arn",
                Value::string(&r.instance_profile_arn),
            );
            st.set_attr("instance_role_arn", Value::string(&r.instance_role_arn));
            st.set_attr(
                "autoscaling_role_arn",
                Value::string(&r.autoscaling_role_arn),
            );
            let known = [
                "namespace",
                "name",
                "description",
                "security_configuration",
                "logs_uri",
                "artifacts_uri",
                "s3_read",
                "s3_write",
                "kms_key_arns",
                "kerberos_attributes_secret_arn",
                "security_groups",
            ]
            .iter()
            .all(|k| st.get(k).is_wholly_known());
            let doc = if known {
                Value::String(crate::canonical::text(&metadata_document(
                    st,
                    &r,
                    roles_block.is_null(),
                )))
            } else {
                Value::Unknown
            };
            st.set_attr("metadata_json", doc);
        }
        None => {
            for k in [
                "service_role_arn",
                "instance_profile_arn",
                "instance_role_arn",
                "autoscaling_role_arn",
                "metadata_json",
            ] {
                st.set_attr(k, Value::Unknown);
            }
        }
    }
}

const KINDS: [&str; 3] = ["service", "instance", "autoscaling"];
const ROLE_DESCRIPTION: &str = "EMR Launch profile role managed by Terraform (emrlaunch/emr)";

/// The provenance tag value (`emr-launch:managed-by`) of the created roles.
fn owner(st: &Value) -> String {
    format!("{TYPE_NAME}/{}", id_of(st))
}

/// emr_runtime_role's grant on an instance role, exactly, under the name
/// emr_runtime_role gives it (whatever the account: see `is_tolerated_grant`).
fn runtime_role_grant(policy: &str, doc: &str) -> bool {
    let Ok(d) = PolicyDocument::parse(doc) else {
        return false;
    };
    runtime_role::is_instance_role_grant(&d)
        && runtime_role::instance_role_grant_target(&d)
            .and_then(role_name_from_arn)
            .is_some_and(|n| runtime_role::instance_grant_policy_name(n) == policy)
}

/// A launch function's GetSecretValue on exact secret ARNs, under its prefix.
fn launch_function_secret_grant(policy: &str, doc: &str) -> bool {
    policy.starts_with(secret_grant::POLICY_PREFIX)
        && PolicyDocument::parse(doc).is_ok_and(|d| secret_grant::is_secret_grant(&d))
}

/// What reconcile leaves in place on a created role of this kind.
/// The shape of the grant another resource writes on a created role of this kind.
fn grant_shape(kind: &str) -> Option<fn(&str, &str) -> bool> {
    match kind {
        "instance" => Some(runtime_role_grant),
        "service" => Some(launch_function_secret_grant),
        _ => None,
    }
}

/// What a created role of this kind leaves in place: exact provider grants.
fn tolerated(env: &Env, kind: &'static str) -> Tolerated {
    let env = env.clone();
    std::sync::Arc::new(move |policy: &str, doc: &str| is_tolerated_grant(&env, kind, policy, doc))
}

/// An inline policy on a created role that is not the profile's own but is
/// left alone (neither drift nor removed): exactly a grant another resource
/// of this provider writes there, recognised by its statements.
/// - instance role: emr_runtime_role's grant to assume one runtime role of
///   the provider's account, under the name emr_runtime_role gives it;
/// - service role: a launch function's GetSecretValue on exact secret ARNs.
pub fn is_tolerated_grant(env: &Env, kind: &str, policy: &str, doc: &str) -> bool {
    let in_account = || {
        let d = PolicyDocument::parse(doc).ok()?;
        let a = validate::parse_arn(runtime_role::instance_role_grant_target(&d)?)?;
        Some(a.partition == env.partition && a.account == env.account)
    };
    grant_shape(kind).is_some_and(|f| f(policy, doc))
        && (kind != "instance" || in_account() == Some(true))
}

/// The role inside a declared instance profile (a read-only lookup).
pub(crate) async fn instance_role_of(c: &Configured, profile_arn: &str) -> Result<String, String> {
    let name = profile_arn.rsplit('/').next().unwrap_or_default();
    let out = c
        .aws
        .iam
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .map_err(|e| {
            format!(
                "reading instance profile {name}: {}",
                crate::aws::errors::describe(&e)
            )
        })?;
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
fn desired_roles(env: &Env, st: &Value) -> Vec<Created> {
    let Some(doc) = st
        .str_attr("roles_json")
        .and_then(|s| serde_json::from_str::<J>(s).ok())
    else {
        return vec![];
    };
    let (owner, tags) = (owner(st), tags_map(st.get("tags_all")));
    let texts = |v: &J| -> BTreeSet<String> {
        let items = v.as_array().map(Vec::as_slice).unwrap_or_default();
        items
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect()
    };
    let mut out = Vec::new();
    for kind in KINDS {
        let Some((r, name)) = doc.get(kind).and_then(|r| Some((r, r["name"].as_str()?))) else {
            continue;
        };
        let mut role = DesiredRole::new(name, &owner, r["trust_policy"].to_string());
        role.description = Some(ROLE_DESCRIPTION.to_string());
        if let Some(m) = r["inline_policies"].as_object() {
            role.inline = m.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();
        }
        role.managed = texts(&r["managed_policy_arns"]);
        role.boundary = r["permissions_boundary"].as_str().map(str::to_string);
        role.tags = tags.clone();
        role.instance_profile = (kind == "instance").then(|| name.to_string());
        role.tolerated = Some(tolerated(env, kind));
        out.push(Created {
            kind,
            json: r.clone(),
            role,
        });
    }
    out
}

/// A created role as IAM holds it, in the shape of roles_json; another
/// resource's exact grant (`is_tolerated_grant`) is left out.
fn observed_json(env: &Env, kind: &str, expected: &J, role: &ObservedRole) -> J {
    let own = &expected["inline_policies"];
    let as_json = |doc: &str| {
        PolicyDocument::parse(doc).map_or_else(|_| J::String(doc.to_string()), |d| d.to_value())
    };
    let inline: Map<String, J> = role
        .inline
        .iter()
        .filter(|(p, d)| own.get(p.as_str()).is_some() || !is_tolerated_grant(env, kind, p, d))
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
    r
}

/// Reads the created roles back into roles_json (the recorded text stays
/// when IAM matches it). True when every one of them is gone.
async fn observe_roles(c: &Configured, st: &mut Value) -> Result<bool, String> {
    let expected = st
        .str_attr("roles_json")
        .and_then(|s| serde_json::from_str::<J>(s).ok())
        .unwrap_or(json!({}));
    if expected.as_object().is_none_or(|m| m.is_empty()) {
        return Ok(false);
    }
    let env = env_of(c);
    let mut remote = Map::new();
    for kind in KINDS {
        let Some(name) = expected[kind]["name"].as_str() else {
            continue;
        };
        let profile = (kind == "instance").then_some(name);
        if let Some(role) = managed_role::read(&c.aws.iam, name, profile).await? {
            let r = observed_json(&env, kind, &expected[kind], &role);
            remote.insert(kind.to_string(), r);
        }
    }
    let gone = remote.is_empty();
    let remote = J::Object(remote);
    if gone {
        // Drift that apply repairs (unless the parameter is gone too).
        st.set_attr("roles_json", Value::string("{}"));
    } else if remote != expected {
        st.set_attr("roles_json", Value::String(remote.to_string()));
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
/// what `prior` records (every one at create, when `prior` is Null).
async fn put_roles(c: &Configured, want: &[Created], prior: &Value) -> Result<(), String> {
    let iam = &c.aws.iam;
    let adopt = !prior.is_null();
    let recorded = prior
        .str_attr("roles_json")
        .and_then(|s| serde_json::from_str::<J>(s).ok());
    let prior_tags = tags_map(prior.get("tags_all"));
    for w in want {
        let have = recorded.as_ref().and_then(|r| r.get(w.kind));
        if adopt && have == Some(&w.json) && prior_tags == w.role.tags {
            continue;
        }
        managed_role::reconcile(iam, &w.role, adopt)
            .await
            .map_err(|e| e.message)?;
    }
    Ok(())
}

/// Deletes the created roles (and the instance profile) of a profile.
async fn delete_roles(c: &Configured, prior: &Value) -> Result<(), String> {
    let names = role_names(
        prior.str_attr("namespace").unwrap_or_default(),
        prior.str_attr("name").unwrap_or_default(),
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
    current: &Value,
    pname: &str,
    doc: &str,
) -> Result<Value, String> {
    let mut st = import_state(current, doc)?;
    if let Some(tags) = crate::resources::own_parameter_tags(c, pname).await {
        st.set_attr("tags", tags);
    }
    st.set_attr("tags_all", merged_tags(&c.default_tags, st.get("tags")));
    let env = env_of(c);
    let declared = st
        .get("roles")
        .get("instance_profile_arn")
        .as_str()
        .map(|_| {
            serde_json::from_str::<J>(doc)
                .ok()
                .and_then(|d| d["InstanceRole"].as_str().map(str::to_string))
                .unwrap_or_default()
        });
    plan_documents(&env, &mut st, declared);
    if !st.get("roles").is_null() {
        return Ok(st);
    }
    let instance = role_names(
        st.str_attr("namespace").unwrap_or_default(),
        st.str_attr("name").unwrap_or_default(),
    )
    .instance;
    if let Some(role) = managed_role::read(&c.aws.iam, &instance, None).await? {
        let managed: Vec<Value> = role.managed.into_iter().map(Value::String).collect();
        let managed = (!managed.is_empty()).then(|| Value::set(managed));
        st.set_attr(
            "instance_role_managed_policy_arns",
            managed.unwrap_or(Value::Null),
        );
        let boundary = role.boundary.map_or(Value::Null, Value::String);
        st.set_attr("permissions_boundary", boundary);
        plan_documents(&env, &mut st, None);
    }
    Ok(st)
}

fn id_of(st: &Value) -> String {
    format!(
        "{}/{}",
        st.str_attr("namespace").unwrap_or("?"),
        st.str_attr("name").unwrap_or("?")
    )
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
        let env = env_of(&c);
        set_parameter_identity(&c, Kind::Profile, planned);
        // A declared instance profile's role is looked up (read-only).
        let mut declared = None;
        if let Some(p) = planned
            .get("roles")
            .str_attr("instance_profile_arn")
            .map(str::to_string)
        {
            match instance_role_of(&c, &p).await {
                Ok(r) => declared = Some(r),
                Err(e) => diags.attr_error(
                    AttrPath::parse_dotted("roles.instance_profile_arn"),
                    "Instance profile not usable",
                    e,
                ),
            }
        }
        plan_documents(&env, planned, declared);
        if let Some(doc) = planned.str_attr("metadata_json") {
            if let Err(e) = metadata::tier_for(doc) {
                diags.error("Launch profile too large", e);
            }
        }
        for k in ["metadata_json", "roles_json"] {
            if let (Some(p), Some(n)) = (req.prior.str_attr(k), planned.str_attr(k)) {
                if metadata::same(p, n) {
                    planned.set_attr(k, Value::string(p));
                }
            }
        }
        planned.set_attr(
            "tags_all",
            merged_tags(&c.default_tags, planned.get("tags")),
        );
    }

    async fn create(&self, _ctx: &Ctx, planned: &Value, _config: &Value) -> ApplyResult {
        let c = match self.data.get() {
            Ok(c) => c,
            Err(d) => return ApplyResult::failed(Value::Null, d),
        };
        let id = id_of(planned);
        let st = planned.clone();
        let (Some(pname), Some(doc)) =
            (st.str_attr("parameter_name"), st.str_attr("metadata_json"))
        else {
            return ApplyResult::failed(
                Value::Null,
                err("creating", &id, "the metadata document is unknown at apply"),
            );
        };
        if let Ok(Some(_)) = metadata::get(&c.aws.ssm, pname).await {
            return ApplyResult::failed(
                Value::Null,
                err("creating", &id, format!("parameter {pname} already exists; import it with: terraform import <address> {id}")),
            );
        }
        crate::info!("creating EMR launch profile", "id" => id);
        let roles = desired_roles(&env_of(&c), &st);
        if let Err(e) = refuse_foreign(&c.aws.iam, &roles).await {
            return ApplyResult::failed(Value::Null, err("creating", &id, e));
        }
        if let Err(e) = put_roles(&c, &roles, &Value::Null).await {
            // Roles may exist now: record the profile so Terraform taints it
            // and destroy cleans up.
            return ApplyResult::failed(st.clone(), err("creating", &id, e));
        }
        let tags = tags_map(st.get("tags_all"));
        let desc = st.str_attr("description").unwrap_or("EMR Launch profile");
        if let Err(e) = metadata::put(&c.aws.ssm, pname, doc, desc, &tags).await {
            return ApplyResult::failed(
                st.clone(),
                err("creating", &id, format!("writing {pname}: {e}")),
            );
        }
        ApplyResult::ok(st)
    }

    async fn read(&self, _ctx: &Ctx, current: &Value) -> Result<Value, Diagnostics> {
        let c = self.data.get()?;
        let id = id_of(current);
        let Some(pname) = current.str_attr("parameter_name").map(str::to_string) else {
            return Ok(Value::Null);
        };
        let stored = metadata::get(&c.aws.ssm, &pname)
            .await
            .map_err(|e| err("reading", &id, e))?;
        let mut st = current.clone();
        if current.get("metadata_json").is_null() {
            let Some(doc) = &stored else {
                return Ok(Value::Null);
            };
            st = imported(&c, current, &pname, doc)
                .await
                .map_err(|e| err("importing", &id, e))?;
        }
        let roles_gone = observe_roles(&c, &mut st)
            .await
            .map_err(|e| err("reading", &id, e))?;
        match stored {
            None if roles_gone || st.get("roles").as_attrs().is_some() => {
                crate::warn!("EMR launch profile not found, removing from state", "id" => id);
                return Ok(Value::Null);
            }
            // The parameter vanished but roles remain: drift that apply repairs.
            None => st.set_attr("metadata_json", Value::string("")),
            Some(doc) => {
                let text = metadata::reconcile(current.str_attr("metadata_json"), &doc);
                st.set_attr("metadata_json", Value::String(text));
            }
        }
        Ok(st)
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        prior: &Value,
        planned: &Value,
        _config: &Value,
    ) -> ApplyResult {
        let c = match self.data.get() {
            Ok(c) => c,
            Err(d) => return ApplyResult::failed(prior.clone(), d),
        };
        let id = id_of(planned);
        let st = planned.clone();
        if let Err(e) = put_roles(&c, &desired_roles(&env_of(&c), &st), prior).await {
            return ApplyResult::failed(prior.clone(), err("updating", &id, e));
        }
        let (Some(pname), Some(doc)) =
            (st.str_attr("parameter_name"), st.str_attr("metadata_json"))
        else {
            return ApplyResult::failed(
                prior.clone(),
                err("updating", &id, "the metadata document is unknown at apply"),
            );
        };
        if prior.str_attr("metadata_json") != Some(doc)
            || prior.get("tags_all") != st.get("tags_all")
        {
            let desc = st.str_attr("description").unwrap_or("EMR Launch profile");
            if let Err(e) =
                metadata::put(&c.aws.ssm, pname, doc, desc, &tags_map(st.get("tags_all"))).await
            {
                return ApplyResult::failed(prior.clone(), err("updating", &id, e));
            }
        }
        ApplyResult::ok(st)
    }

    async fn delete(&self, _ctx: &Ctx, prior: &Value) -> Diagnostics {
        let c = match self.data.get() {
            Ok(c) => c,
            Err(d) => return d,
        };
        let id = id_of(prior);
        if let Some(p) = prior.str_attr("parameter_name") {
            if let Err(e) = metadata::delete(&c.aws.ssm, p).await {
                return err("deleting", &id, e);
            }
        }
        // Declared roles are the customer's: only created ones are removed.
        if prior.get("roles").is_null() {
            if let Err(e) = delete_roles(&c, prior).await {
                return err("deleting", &id, e);
            }
        }
        Diagnostics::new()
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

/// The configuration-side attributes from a stored metadata document.
fn import_state(current: &Value, doc: &str) -> Result<Value, String> {
    let d: J =
        serde_json::from_str(doc).map_err(|e| format!("the stored metadata is not JSON: {e}"))?;
    let mut st = schema().block.empty_value();
    for k in ["id", "namespace", "name", "parameter_name", "parameter_arn"] {
        st.set_attr(k, current.get(k).clone());
    }
    let s = |k: &str| {
        d.get(k)
            .and_then(J::as_str)
            .map(Value::string)
            .unwrap_or(Value::Null)
    };
    let list = |k: &str| match d.get(k).and_then(J::as_array) {
        Some(a) if !a.is_empty() => Value::set(
            a.iter()
                .filter_map(|x| x.as_str().map(Value::string))
                .collect(),
        ),
        _ => Value::Null,
    };
    st.set_attr("description", s("Description"));
    st.set_attr("security_configuration", s("SecurityConfiguration"));
    st.set_attr("logs_uri", s("LogsUri"));
    st.set_attr("artifacts_uri", s("ArtifactsUri"));
    st.set_attr("s3_read", list("S3Read"));
    st.set_attr("s3_write", list("S3Write"));
    st.set_attr("kms_key_arns", list("KmsKeyArns"));
    st.set_attr(
        "kerberos_attributes_secret_arn",
        s("KerberosAttributesSecretArn"),
    );
    if let Some(g) = d.get("SecurityGroups") {
        let gs = |k: &str| {
            g.get(k)
                .and_then(J::as_str)
                .map(Value::string)
                .unwrap_or(Value::Null)
        };
        st.set_attr(
            "security_groups",
            Value::object([
                ("master", gs("MasterGroup")),
                ("workers", gs("WorkersGroup")),
                ("service", gs("ServiceGroup")),
            ]),
        );
    }
    if d.get("RolesCreated").and_then(J::as_bool) == Some(false) {
        st.set_attr(
            "roles",
            Value::object([
                ("service_role_arn", s("ServiceRole")),
                ("instance_profile_arn", s("InstanceProfile")),
                ("autoscaling_role_arn", s("AutoScalingRole")),
            ]),
        );
    }
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::least_privilege::assert_least_privilege;

    fn env() -> Env {
        Env {
            partition: "aws".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
        }
    }

    #[test]
    fn derived_names_are_shortened_deterministically() {
        assert_eq!(
            derived_name("analytics", "default", "-emr-instance", 64),
            "analytics-default-emr-instance"
        );
        let long = derived_name(&"n".repeat(40), &"m".repeat(40), "-emr-autoscaling", 64);
        assert_eq!(long.len(), 64);
        assert!(long.ends_with("-emr-autoscaling"));
        assert_eq!(
            long,
            derived_name(&"n".repeat(40), &"m".repeat(40), "-emr-autoscaling", 64)
        );
        // different long names do not collide after shortening
        assert_ne!(
            long,
            derived_name(&"n".repeat(40), &"m".repeat(41), "-emr-autoscaling", 64)
        );
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
        let inst = instance_policy(&env(), &g).unwrap().to_value();
        let sids: Vec<&str> = inst["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["Sid"].as_str())
            .collect();
        assert_eq!(sids.len(), 4, "{inst}");
        assert!(inst.to_string().contains("arn:aws:s3:::acme-emr/logs/*"));
        let pass = service_policy(
            &env(),
            "arn:aws:iam::123456789012:role/i",
            "arn:aws:iam::123456789012:role/a",
        );
        assert_least_privilege(&pass);
    }

    fn no_grants() -> InstanceGrants {
        InstanceGrants {
            logs_uri: Some("s3://acme-emr/logs/".into()),
            artifacts_uri: None,
            s3_read: vec![],
            s3_write: vec![],
            kms_key_arns: vec![],
        }
    }

    #[test]
    fn created_roles_follow_the_partition() {
        let names = role_names("analytics", "default");
        for (partition, region, ec2, emr, autoscaling) in [
            (
                "aws",
                "us-east-1",
                "ec2.amazonaws.com",
                "elasticmapreduce.amazonaws.com",
                "application-autoscaling.amazonaws.com",
            ),
            (
                "aws-cn",
                "cn-north-1",
                "ec2.amazonaws.com.cn",
                "elasticmapreduce.amazonaws.com.cn",
                "application-autoscaling.amazonaws.com.cn",
            ),
            (
                "aws-us-gov",
                "us-gov-west-1",
                "ec2.amazonaws.com",
                "elasticmapreduce.amazonaws.com",
                "application-autoscaling.amazonaws.com",
            ),
        ] {
            let env = Env {
                partition: partition.into(),
                account: "123456789012".into(),
                region: region.into(),
            };
            let doc = created_roles(&env, &names, &no_grants(), &[], None);
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
        use crate::resources::runtime_role::{
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
        assert!(is_tolerated_grant(
            &env,
            "instance",
            &name,
            &grant(rt, false)
        ));
        assert!(is_tolerated_grant(
            &env,
            "instance",
            &name,
            &grant(rt, true)
        ));
        // Under another name (e.g. emr-runtime-role-evil), on another role kind,
        // for a role of another account: not a grant emr_runtime_role writes.
        assert!(!is_tolerated_grant(
            &env,
            "instance",
            "emr-runtime-role-evil",
            &grant(rt, false)
        ));
        assert!(!is_tolerated_grant(
            &env,
            "service",
            &name,
            &grant(rt, false)
        ));
        assert!(!is_tolerated_grant(
            &env,
            "autoscaling",
            &name,
            &grant(rt, false)
        ));
        let foreign = "arn:aws:iam::999988887777:role/emr-rt-analyst";
        assert!(!is_tolerated_grant(
            &env,
            "instance",
            &name,
            &grant(foreign, false)
        ));
        let admin = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        assert!(!is_tolerated_grant(
            &env,
            "instance",
            "emr-runtime-role-evil",
            admin
        ));
        assert!(!is_tolerated_grant(&env, "instance", &name, admin));
        assert!(!is_tolerated_grant(&env, "instance", &name, "not json"));
        let wider = grant(rt, false).replace("sts:TagSession", "sts:*");
        assert!(!is_tolerated_grant(&env, "instance", &name, &wider));

        let secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-AbCdEf";
        let sg = secret_grant::document(&[secret.to_string()]).canonical();
        let sname = secret_grant::policy_name("emr-launch-analytics-nightly");
        assert!(is_tolerated_grant(&env, "service", &sname, &sg));
        assert!(!is_tolerated_grant(&env, "service", "other-name", &sg));
        assert!(!is_tolerated_grant(&env, "instance", &sname, &sg));
        assert!(!is_tolerated_grant(&env, "service", &sname, admin));
        let star = secret_grant::document(&[
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:*".into(),
        ])
        .canonical();
        assert!(!is_tolerated_grant(&env, "service", &sname, &star));
    }

    #[test]
    fn metadata_document_has_role_arns_and_omits_empty_keys() {
        let mut cfg = schema().block.empty_value();
        cfg.set_attr("namespace", Value::string("analytics"));
        cfg.set_attr("name", Value::string("default"));
        cfg.set_attr("logs_uri", Value::string("s3://acme-emr/logs/"));
        let r = ProfileRoles {
            service_role_arn: "arn:s".into(),
            instance_profile_arn: "arn:ip".into(),
            instance_role_arn: "arn:i".into(),
            autoscaling_role_arn: String::new(),
        };
        let d = metadata_document(&cfg, &r, false);
        assert_eq!(
            d,
            json!({"Namespace":"analytics","Name":"default","ServiceRole":"arn:s","InstanceProfile":"arn:ip","InstanceRole":"arn:i","RolesCreated":false,"LogsUri":"s3://acme-emr/logs/"})
        );
    }
}
