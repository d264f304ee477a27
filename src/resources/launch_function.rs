//! emr_launch_function (seeds 000/001, "Launch Function"): a Step Functions
//! state machine that launches exactly one cluster definition (a profile plus
//! a cluster configuration), with an execution role that can do nothing
//! else, and — only when secrets are involved — a dedicated launcher Lambda
//! that alone reads them.
//!
//! Everything the function writes (definition, both roles' trust and
//! permission policies, the launcher's code hash and settings, the SSM
//! metadata) is computed at plan from what Terraform knows about the profile
//! and configuration, never from what is read back from SSM (seed 001,
//! threat 2: a tampered profile parameter cannot widen what is passed).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{json, Map, Value as Json};

use tokio_util::sync::CancellationToken;

use crate::aws::errors::{describe, error_code, error_message, is_not_found};
use crate::aws::managed_role::{
    self, DesiredRole, ObservedRole, Ownership, RoleChange, RoleGrant, OWNER_TAG,
};
use crate::configured::{Configured, ProviderData};
use crate::iam::consistency::{looks_like_propagation, retry_propagation, Backoff};
use crate::iam::principals;
use crate::iam::{policy, PolicyDocument, Principal, Statement};
use crate::launch::definition::{self, Notifications, Override, Spec, ValueKind, FUNCTION_TAG};
use crate::launch::{launcher, secret_grant};
use crate::metadata::{self, Kind};
use crate::resources::cluster_configuration::resolve;
use crate::resources::{
    derived_name, env_of, import_parameter_stub, merged_tags, set_parameter_identity, strings,
    tags_map, Env,
};
use crate::tfplugin::{
    ApplyResult, AttrPath, Attribute, Block, Ctx, Diagnostic, Diagnostics, Import, NestedBlock,
    PlanRequest, Resource, Schema, Type, Value,
};

const TYPE_NAME: &str = "emr_launch_function";
const MAX_ROLE_NAME: usize = 64;
const MAX_STATE_MACHINE_NAME: usize = 80;
const MAX_FUNCTION_NAME: usize = 64;
/// Inline policy names on the roles this resource creates.
pub const EXECUTION_POLICY: &str = "emr-launch-function";
pub const LAUNCHER_POLICY: &str = "emr-launch-launcher";

pub struct LaunchFunction {
    data: Arc<ProviderData>,
}

impl LaunchFunction {
    pub fn new(data: Arc<ProviderData>) -> Self {
        LaunchFunction { data }
    }
}

/// What is taken from an emr_launch_profile resource or data source object.
pub fn profile_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("parameter_arn", Type::String),
        ("service_role_arn", Type::String),
        ("instance_role_arn", Type::String),
        ("instance_profile_arn", Type::String),
        ("autoscaling_role_arn", Type::String),
        ("kerberos_attributes_secret_arn", Type::String),
        ("metadata_json", Type::String),
    ])
}

/// What is taken from an emr_cluster_configuration resource or data source object.
pub fn configuration_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("parameter_arn", Type::String),
        ("metadata_json", Type::String),
        ("secret_arns", Type::list(Type::String)),
    ])
}

/// Attributes shared with the data source.
pub fn identity_attrs(b: Block) -> Block {
    b.attr(
        Attribute::computed("parameter_name", Type::String)
            .keep_state()
            .desc("The SSM parameter holding the function's metadata."),
    )
    .attr(
        Attribute::computed("parameter_arn", Type::String)
            .keep_state()
            .desc("ARN of that parameter."),
    )
    .attr(
        Attribute::computed("metadata_json", Type::String)
            .desc("Exactly the document stored in SSM."),
    )
    .attr(
        Attribute::computed("state_machine_arn", Type::String)
            .desc("The Step Functions state machine users start."),
    )
    .attr(
        Attribute::computed("invoke_policy_json", Type::String)
            .desc("What an operator attaches to a user who may launch: states:StartExecution on this function only."),
    )
}

pub fn schema() -> Schema {
    let b = Block::new()
        .desc("A launch function (EMR Launch): a Step Functions state machine that launches one profile + cluster configuration, with IAM scoped to exactly that.")
        .attr(Attribute::computed("id", Type::String).keep_state().desc("`namespace/name`."))
        .attr(Attribute::required("namespace", Type::String).replace().desc("Namespace (SSM path segment)."))
        .attr(Attribute::required("name", Type::String).replace().desc("Name (SSM path segment)."))
        .attr(Attribute::required("profile", profile_type()).desc("The emr_launch_profile resource or data source object."))
        .attr(Attribute::required("cluster_configuration", configuration_type()).desc("The emr_cluster_configuration resource or data source object."))
        .attr(Attribute::required("cluster_name", Type::String).desc("Default cluster name (the execution input's ClusterName replaces it)."))
        .attr(Attribute::optional("allowed_overrides", Type::set(Type::String)).desc("Overrides of the configuration a launching user may set."))
        .attr(Attribute::optional_computed("wait_for_cluster_start", Type::Bool).default(Value::Bool(true)).desc("Wait until the cluster is WAITING or RUNNING (default true)."))
        .attr(Attribute::optional_computed("fail_if_cluster_running", Type::Bool).default(Value::Bool(false)).desc("Fail when an active cluster already has the name (default false)."))
        .attr(Attribute::optional("cluster_tags", Type::map(Type::String)).desc("Tags every launched cluster gets; the execution input cannot change them."))
        .attr(Attribute::optional("tags", Type::map(Type::String)).desc("Tags of the state machine, roles, launcher and parameter."))
        .attr(Attribute::computed("tags_all", Type::map(Type::String)).desc("Tags including the provider's `default_tags`."))
        .attr(Attribute::computed("state_machine_name", Type::String).keep_state().desc("Name of the state machine."))
        .attr(Attribute::computed("role_arn", Type::String).keep_state().desc("The state machine's execution role."))
        .attr(Attribute::computed("role_trust_policy_json", Type::String).desc("Trust policy of the execution role."))
        .attr(Attribute::computed("role_policy_json", Type::String).desc("The execution role's only policy."))
        .attr(Attribute::computed("role_managed_policy_arns", Type::set(Type::String)).desc("Managed policies attached to the execution role: none; one attached outside Terraform shows here and apply detaches it."))
        .attr(Attribute::computed("definition_json", Type::String).desc("The Amazon States Language definition."))
        .attr(Attribute::computed("launcher_function_arn", Type::String).desc("The launcher Lambda (only with secrets)."))
        .attr(Attribute::computed("launcher_role_arn", Type::String).desc("The launcher's role (only with secrets)."))
        .attr(Attribute::computed("launcher_role_trust_policy_json", Type::String).desc("Trust policy of the launcher's role (only with secrets)."))
        .attr(Attribute::computed("launcher_role_policy_json", Type::String).desc("The launcher role's only policy (only with secrets)."))
        .attr(Attribute::computed("launcher_role_managed_policy_arns", Type::set(Type::String)).desc("Managed policies attached to the launcher's role: none; one attached outside Terraform shows here and apply detaches it (only with secrets)."))
        .attr(Attribute::computed("launcher_configuration_json", Type::String).desc("The launcher's runtime, handler, role, limits and environment (secret ARNs only; only with secrets)."))
        .attr(Attribute::computed("launcher_source_code_hash", Type::String).desc("Base64 SHA-256 of the launcher package (its code and the pinned launch), built reproducibly (only with Kerberos attributes)."))
        .attr(Attribute::computed("launcher_launch_json", Type::String).desc("The launch the launcher may perform, fixed at plan and packaged with its code (only with Kerberos attributes)."))
        .attr(Attribute::computed("service_role_secret_policy_json", Type::String).desc("The grant put on the profile's service role so EMR can resolve the configuration's secrets: GetSecretValue on exactly their ARNs (only with secret configurations)."))
        .block(NestedBlock::single(
            "notifications",
            Block::new()
                .desc("Publish a JSON message about each launch to an SNS topic.")
                .attr(Attribute::required("topic_arn", Type::String).desc("The SNS topic (the execution role may publish to it only)."))
                .attr(Attribute::optional("on_success", Type::Bool).desc("Publish when a launch succeeds (default true)."))
                .attr(Attribute::optional("on_failure", Type::Bool).desc("Publish when a launch fails (default true).")),
        ));
    Schema::new(identity_attrs(b))
}

// ---------- names and ARNs (pure) ----------

/// Everything a function creates, named and addressed from its namespace
/// and name (and the provider's account, region and partition).
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionResources {
    pub state_machine: String,
    pub state_machine_arn: String,
    pub role: String,
    pub role_arn: String,
    pub launcher: String,
    pub launcher_arn: String,
    pub launcher_role: String,
    pub launcher_role_arn: String,
}

impl FunctionResources {
    pub fn derive(env: &Env, namespace: &str, name: &str) -> FunctionResources {
        let state_machine = derived_name(namespace, name, "-emr-launch", MAX_STATE_MACHINE_NAME);
        let role = derived_name(namespace, name, "-emr-launch-fn", MAX_ROLE_NAME);
        let launcher = derived_name(namespace, name, "-emr-launcher", MAX_FUNCTION_NAME);
        let launcher_role = derived_name(namespace, name, "-emr-launcher", MAX_ROLE_NAME);
        FunctionResources {
            state_machine_arn: state_machine_arn(env, &state_machine),
            role_arn: role_arn(env, &role),
            launcher_arn: function_arn(env, &launcher),
            launcher_role_arn: role_arn(env, &launcher_role),
            state_machine,
            role,
            launcher,
            launcher_role,
        }
    }
}

pub fn state_machine_arn(env: &Env, name: &str) -> String {
    format!(
        "arn:{}:states:{}:{}:stateMachine:{name}",
        env.partition, env.region, env.account
    )
}

fn role_arn(env: &Env, name: &str) -> String {
    format!("arn:{}:iam::{}:role/{name}", env.partition, env.account)
}

fn function_arn(env: &Env, name: &str) -> String {
    format!(
        "arn:{}:lambda:{}:{}:function:{name}",
        env.partition, env.region, env.account
    )
}

// ---------- inputs (pure) ----------

/// The profile as Terraform knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileRef {
    pub id: String,
    pub parameter_arn: String,
    pub service_role: String,
    pub instance_role: String,
    pub instance_profile: String,
    pub autoscaling_role: Option<String>,
    pub kerberos_secret: Option<String>,
    pub doc: Json,
}

/// The cluster configuration as Terraform knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigurationRef {
    pub id: String,
    pub parameter_arn: String,
    pub doc: Json,
    /// Secret ARNs EMR resolves on the cluster (`EMR.secret@` properties).
    pub secrets: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Inputs {
    pub id: String,
    pub resources: FunctionResources,
    pub profile: ProfileRef,
    pub configuration: ConfigurationRef,
    pub cluster_name: String,
    pub allowed: BTreeSet<String>,
    pub wait: bool,
    pub fail_if_running: bool,
    pub cluster_tags: BTreeMap<String, String>,
    pub notifications: Option<Notifications>,
    pub partition: String,
}

impl Inputs {
    /// Only Kerberos attributes need the launcher; configuration secrets
    /// are resolved by EMR itself.
    pub fn has_launcher(&self) -> bool {
        self.profile.kerberos_secret.is_some()
    }

    /// The configuration's secret ARNs (sorted, distinct).
    pub fn secret_arns(&self) -> Vec<String> {
        let v: BTreeSet<String> = self.configuration.secrets.iter().cloned().collect();
        v.into_iter().collect()
    }

    /// The roles a launch passes, with the service each is passed to.
    pub fn passed_roles(&self) -> Vec<(&str, String)> {
        let p = |s: &str| principals::service(&self.partition, s);
        let mut v = vec![
            (self.profile.service_role.as_str(), p("elasticmapreduce")),
            (self.profile.instance_role.as_str(), p("ec2")),
        ];
        if let Some(a) = &self.profile.autoscaling_role {
            v.push((a.as_str(), p("application-autoscaling")));
        }
        v
    }

    /// Every override the configuration defines, by name.
    pub fn defined_overrides(&self) -> BTreeMap<String, Override> {
        defined_overrides(&self.configuration.doc)
    }

    /// Configuration tags overlaid by cluster_tags, plus the function tag.
    pub fn governed_tags(&self) -> BTreeMap<String, String> {
        let mut t = configuration_tags(&self.configuration.doc);
        t.extend(self.cluster_tags.clone());
        t.insert(FUNCTION_TAG.to_string(), self.id.clone());
        t
    }

    /// The allowed overrides, as the configuration defines them.
    pub fn overrides(&self) -> Vec<Override> {
        let defined = self.defined_overrides();
        self.allowed
            .iter()
            .filter_map(|n| defined.get(n).cloned())
            .collect()
    }

    /// The RunJobFlow request without Name and Tags: the configuration's
    /// request with the profile's roles, security configuration, logs and
    /// EMR-managed security groups (as Terraform knows the profile), so an
    /// override can never replace what the profile governs.
    pub fn request(&self) -> Map<String, Json> {
        let mut r = self
            .configuration
            .doc
            .get("RunJobFlow")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        r.remove("Name");
        r.remove("Tags");
        let p = &self.profile;
        r.insert("ServiceRole".into(), Json::from(p.service_role.clone()));
        r.insert("JobFlowRole".into(), Json::from(p.instance_profile.clone()));
        match &p.autoscaling_role {
            Some(a) => r.insert("AutoScalingRole".into(), Json::from(a.clone())),
            None => r.remove("AutoScalingRole"),
        };
        for (doc_key, key) in [
            ("SecurityConfiguration", "SecurityConfiguration"),
            ("LogsUri", "LogUri"),
        ] {
            match p.doc.get(doc_key).and_then(Json::as_str) {
                Some(v) => r.insert(key.into(), Json::from(v)),
                None => r.remove(key),
            };
        }
        let mut instances = r
            .get("Instances")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        for (doc_key, key) in [
            ("MasterGroup", "EmrManagedMasterSecurityGroup"),
            ("WorkersGroup", "EmrManagedSlaveSecurityGroup"),
            ("ServiceGroup", "ServiceAccessSecurityGroup"),
        ] {
            if let Some(g) = p
                .doc
                .pointer(&format!("/SecurityGroups/{doc_key}"))
                .and_then(Json::as_str)
            {
                instances.insert(key.into(), Json::from(g));
            }
        }
        r.insert("Instances".into(), Json::Object(instances));
        r
    }

    pub fn spec(&self) -> Spec {
        Spec {
            id: self.id.clone(),
            partition: self.partition.clone(),
            cluster_name: self.cluster_name.clone(),
            overrides: self.overrides(),
            governed_tags: self.governed_tags(),
            request: self.request(),
            launcher_arn: self
                .has_launcher()
                .then(|| self.resources.launcher_arn.clone()),
            wait_for_cluster_start: self.wait,
            fail_if_cluster_running: self.fail_if_running,
            notifications: self.notifications.clone(),
        }
    }

    /// What the launcher may launch, packaged with its code.
    pub fn launcher_launch(&self) -> Json {
        let overrides: Vec<Json> = self
            .overrides()
            .iter()
            .map(|o| {
                let mut m = Map::new();
                m.insert("Name".into(), Json::from(o.name.clone()));
                m.insert("Path".into(), Json::from(o.path.clone()));
                if o.kind == ValueKind::String {
                    m.insert("AllowedValues".into(), json!(o.allowed_values));
                }
                if let Some(n) = &o.minimum {
                    m.insert("Minimum".into(), Json::Number(n.clone()));
                }
                if let Some(n) = &o.maximum {
                    m.insert("Maximum".into(), Json::Number(n.clone()));
                }
                Json::Object(m)
            })
            .collect();
        json!({
            "Function": self.id,
            "ClusterName": self.cluster_name,
            "Request": Json::Object(self.request()),
            "Overrides": overrides,
            "GovernedTags": self.governed_tags(),
            "KerberosAttributesSecretArn": self.profile.kerberos_secret,
            "FailIfClusterRunning": self.fail_if_running,
        })
    }
}

/// The configuration's cluster tags (its RunJobFlow Tags).
fn configuration_tags(doc: &Json) -> BTreeMap<String, String> {
    doc.pointer("/RunJobFlow/Tags")
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| {
                    Some((
                        x.get("Key")?.as_str()?.to_string(),
                        x.get("Value")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `arn:…:parameter/a/b` → `/a/b`.
pub fn parameter_name_of(arn: &str) -> String {
    match arn.split_once(":parameter") {
        Some((_, rest)) if rest.starts_with('/') => rest.to_string(),
        Some((_, rest)) => format!("/{rest}"),
        None => arn.to_string(),
    }
}

pub fn defined_overrides(config_doc: &Json) -> BTreeMap<String, Override> {
    let rjf = config_doc.get("RunJobFlow").cloned().unwrap_or(Json::Null);
    config_doc
        .get("Overrides")
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|o| {
                    let name = o.get("Name")?.as_str()?.to_string();
                    let path = o.get("Path")?.as_str()?.to_string();
                    let kind = match resolve(&rjf, &path) {
                        Some(Json::String(_)) => ValueKind::String,
                        Some(Json::Bool(_)) => ValueKind::Bool,
                        _ => ValueKind::Number,
                    };
                    let num = |k: &str| match o.get(k) {
                        Some(Json::Number(n)) => Some(n.clone()),
                        _ => None,
                    };
                    Some((
                        name.clone(),
                        Override {
                            name,
                            path,
                            kind,
                            minimum: num("Minimum"),
                            maximum: num("Maximum"),
                            allowed_values: o
                                .get("AllowedValues")
                                .and_then(Json::as_array)
                                .map(|a| {
                                    a.iter()
                                        .filter_map(|v| v.as_str().map(str::to_string))
                                        .collect()
                                })
                                .unwrap_or_default(),
                        },
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn ssm_parameter_arn_ok(s: &str) -> Result<(), String> {
    let a = crate::validate::parse_arn(s)
        .filter(|a| a.service == "ssm" && a.resource.starts_with("parameter/"))
        .ok_or_else(|| format!("{s:?} is not an SSM parameter ARN"))?;
    if a.region.is_empty() || a.account.len() != 12 {
        return Err(format!("{s:?} is not an SSM parameter ARN"));
    }
    Ok(())
}

fn secret_arn_ok(s: &str) -> Result<(), String> {
    match crate::validate::parse_arn(s) {
        Some(a) if a.service == "secretsmanager" && a.resource.starts_with("secret:") => Ok(()),
        _ => Err(format!("{s:?} is not a Secrets Manager secret ARN")),
    }
}

fn instance_profile_arn_ok(s: &str) -> Result<(), String> {
    match crate::validate::parse_arn(s) {
        Some(a) if a.service == "iam" && a.resource.starts_with("instance-profile/") => Ok(()),
        _ => Err(format!("{s:?} is not an IAM instance profile ARN")),
    }
}

fn tag_ok(k: &str, v: &str) -> Result<(), String> {
    if k.is_empty() || k.chars().count() > 128 {
        return Err(format!("tag key {k:?} must be 1 to 128 characters"));
    }
    if k.to_ascii_lowercase().starts_with("aws:") {
        return Err(format!("tag key {k:?}: the aws: prefix is reserved"));
    }
    if k.to_ascii_lowercase().starts_with("emr-launch:") {
        return Err(format!(
            "tag key {k:?}: the emr-launch: prefix (in any case) is reserved; {FUNCTION_TAG} is set by the provider to the function's id"
        ));
    }
    if v.chars().count() > 256 {
        return Err(format!(
            "the value of tag {k:?} is longer than 256 characters"
        ));
    }
    Ok(())
}

/// Static checks with attribute paths; unknown values are skipped.
pub fn validate_config(cfg: &Value, env: Option<&Env>) -> Diagnostics {
    let mut d = crate::resources::check_namespace_and_name(cfg);
    check_cluster_name_and_tags(cfg, &mut d);
    check_profile(cfg.get("profile"), &mut d);
    check_configuration(cfg.get("cluster_configuration"), &mut d);
    if let Some(env) = env {
        check_placement(cfg, env, &mut d);
    }
    check_notifications(cfg, &mut d);
    check_against_configuration(cfg, &mut d);
    d
}

fn check_cluster_name_and_tags(cfg: &Value, d: &mut Diagnostics) {
    if let Some(n) = cfg.str_attr("cluster_name") {
        let len = n.chars().count();
        if len == 0 || len > 256 || n.chars().any(char::is_control) {
            d.attr_error(
                AttrPath::attr("cluster_name"),
                "Invalid cluster name",
                "an EMR cluster name is 1 to 256 characters without control characters.",
            );
        }
    }
    if let Some(m) = cfg.get("cluster_tags").as_attrs() {
        for (k, v) in m {
            if let Err(e) = tag_ok(k, v.as_str().unwrap_or_default()) {
                d.attr_error(
                    AttrPath::attr("cluster_tags").push_key(k),
                    "Invalid cluster tag",
                    e,
                );
            }
        }
    }
    // The provider tags what the function creates with its provenance.
    if let Some(m) = cfg.get("tags").as_attrs() {
        for k in m.keys() {
            if k.to_ascii_lowercase().starts_with("emr-launch:") {
                d.attr_error(
                    AttrPath::attr("tags").push_key(k),
                    "Invalid tag",
                    format!("tag key {k:?}: the emr-launch: prefix (in any case) is reserved; {OWNER_TAG} is set by the provider on the roles, launcher and state machine it creates"),
                );
            }
        }
    }
}

type StringCheck = fn(&str) -> Result<(), String>;

/// One string attribute of the profile or configuration object. Terraform
/// cannot point inside an object-typed attribute, so the detail names the
/// attribute itself.
fn check_string(
    d: &mut Diagnostics,
    path: AttrPath,
    v: &Value,
    (f, required): (StringCheck, bool),
    summary: &str,
) {
    match v.as_str() {
        Some(s) if !s.is_empty() || required => {
            if let Err(e) = f(s) {
                let detail = format!("{path}: {e}");
                d.attr_error(path, summary, detail);
            }
        }
        None if required && v.is_null() => {
            let detail = format!("{path} must be set");
            d.attr_error(path, summary, detail)
        }
        _ => {}
    }
}

fn check_profile(p: &Value, d: &mut Diagnostics) {
    if p.as_attrs().is_none() {
        return;
    }
    let checks: [(&str, StringCheck, bool); 7] = [
        ("parameter_arn", ssm_parameter_arn_ok, true),
        ("service_role_arn", crate::validate::iam_role_arn, true),
        ("instance_role_arn", crate::validate::iam_role_arn, true),
        ("instance_profile_arn", instance_profile_arn_ok, true),
        ("autoscaling_role_arn", crate::validate::iam_role_arn, false),
        ("kerberos_attributes_secret_arn", secret_arn_ok, false),
        ("metadata_json", |s| json_object(s).map(|_| ()), true),
    ];
    for (attr, f, required) in checks {
        let path = AttrPath::attr("profile").push_attr(attr);
        check_string(d, path, p.get(attr), (f, required), "Invalid profile");
    }
}

fn check_configuration(c: &Value, d: &mut Diagnostics) {
    if c.as_attrs().is_none() {
        return;
    }
    let at = |a: &str| AttrPath::attr("cluster_configuration").push_attr(a);
    const SUMMARY: &str = "Invalid cluster configuration";
    let parameter = (ssm_parameter_arn_ok as StringCheck, true);
    check_string(
        d,
        at("parameter_arn"),
        c.get("parameter_arn"),
        parameter,
        SUMMARY,
    );
    let has_request: StringCheck = |s| {
        let d = json_object(s)?;
        d.get("RunJobFlow")
            .and_then(Json::as_object)
            .map(|_| ())
            .ok_or_else(|| {
                "the metadata has no RunJobFlow request; pass an emr_cluster_configuration"
                    .to_string()
            })
    };
    check_string(
        d,
        at("metadata_json"),
        c.get("metadata_json"),
        (has_request, true),
        SUMMARY,
    );
    let secrets = c.get("secret_arns").as_elems().unwrap_or_default();
    for (i, s) in secrets.iter().enumerate() {
        let path = at("secret_arns").push_index(i);
        check_string(d, path, s, (secret_arn_ok, true), SUMMARY);
    }
}

/// Parameters must be where the state machine runs, and a service role
/// granted the configuration's secrets must be in this account.
fn check_placement(cfg: &Value, env: &Env, d: &mut Diagnostics) {
    for (obj, label) in [
        ("profile", "profile"),
        ("cluster_configuration", "cluster configuration"),
    ] {
        if let Some(a) = cfg
            .get(obj)
            .str_attr("parameter_arn")
            .and_then(crate::validate::parse_arn)
        {
            if a.region != env.region || a.account != env.account {
                d.attr_error(
                    AttrPath::attr(obj).push_attr("parameter_arn"),
                    format!("The {label} is in another account or region"),
                    format!("{obj}.parameter_arn: the {label}'s parameter is in {}/{}, but this provider manages {}/{}; a launch function reads its metadata in its own account and region.", a.account, a.region, env.account, env.region),
                );
            }
        }
    }
    let Some(doc) = configuration_doc(cfg) else {
        return;
    };
    let has_secrets = doc
        .get("SecretConfigurations")
        .and_then(Json::as_array)
        .is_some_and(|a| !a.is_empty());
    if let Some(a) = cfg
        .get("profile")
        .str_attr("service_role_arn")
        .and_then(crate::validate::parse_arn)
    {
        if has_secrets && a.account != env.account {
            d.attr_error(
                AttrPath::attr("profile").push_attr("service_role_arn"),
                "Service role in another account",
                format!("profile.service_role_arn: the configuration has secrets, so this function grants the service role secretsmanager:GetSecretValue on them; the role is in account {}, this provider manages {}. Use a profile whose service role is in this account.", a.account, env.account),
            );
        }
    }
}

/// Notifications go to an SNS topic.
fn check_notifications(cfg: &Value, d: &mut Diagnostics) {
    let Some(t) = cfg.get("notifications").str_attr("topic_arn") else {
        return;
    };
    let ok = crate::validate::parse_arn(t).is_some_and(|a| {
        a.service == "sns"
            && !a.region.is_empty()
            && a.account.len() == 12
            && !a.resource.is_empty()
            && !a.resource.contains(['*', ':', '/'])
    });
    if !ok {
        d.attr_error(
            AttrPath::attr("notifications").push_attr("topic_arn"),
            "Invalid topic ARN",
            format!("notifications.topic_arn: {t:?} is not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<topic>)."),
        );
    }
}

/// The configuration object's metadata document, when it is a JSON object.
fn configuration_doc(cfg: &Value) -> Option<Json> {
    cfg.get("cluster_configuration")
        .str_attr("metadata_json")
        .and_then(|s| json_object(s).ok())
}

/// Cluster tags and allowed overrides against what the configuration defines.
fn check_against_configuration(cfg: &Value, d: &mut Diagnostics) {
    let Some(doc) = configuration_doc(cfg) else {
        return;
    };
    // Governed tag keys are compared case-insensitively: a cluster tag may
    // replace a configuration tag of the same key, never shadow it in
    // another case.
    if let Some(m) = cfg.get("cluster_tags").as_attrs() {
        let config_tags = configuration_tags(&doc);
        for k in m.keys() {
            if let Some(other) = config_tags
                .keys()
                .find(|c| c.eq_ignore_ascii_case(k) && *c != k)
            {
                d.attr_error(
                    AttrPath::attr("cluster_tags").push_key(k),
                    "Cluster tag differs only in case",
                    format!("{k:?} differs only in case from the configuration's tag {other:?}; use the same key to replace it."),
                );
            }
        }
    }
    // Allowed overrides must be defined by the configuration.
    let Some(allowed) = strings(cfg.get("allowed_overrides")) else {
        return;
    };
    if !doc.get("RunJobFlow").is_some_and(Json::is_object) {
        return;
    }
    let defined = defined_overrides(&doc);
    for a in allowed.iter().filter(|a| !defined.contains_key(*a)) {
        let have = if defined.is_empty() {
            "it defines none".to_string()
        } else {
            format!(
                "it defines {}",
                defined.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        };
        d.attr_error(
            AttrPath::attr("allowed_overrides"),
            "Override not defined by the configuration",
            format!("{a:?} is not an override of the cluster configuration ({have}); add an `override` block there first."),
        );
    }
}

fn json_object(s: &str) -> Result<Json, String> {
    match serde_json::from_str::<Json>(s) {
        Ok(v @ Json::Object(_)) => Ok(v),
        Ok(_) => Err("is not a JSON object".into()),
        Err(e) => Err(format!("is not JSON: {e}")),
    }
}

/// The inputs when everything is known (None otherwise).
pub fn inputs(env: &Env, st: &Value) -> Option<Inputs> {
    let ns = st.str_attr("namespace")?;
    let n = st.str_attr("name")?;
    let p = st.get("profile");
    let c = st.get("cluster_configuration");
    if !p.is_wholly_known()
        || !c.is_wholly_known()
        || !st.get("allowed_overrides").is_wholly_known()
        || !st.get("cluster_tags").is_wholly_known()
        || !st.get("notifications").is_wholly_known()
    {
        return None;
    }
    let opt = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let profile = ProfileRef {
        id: p.str_attr("id").unwrap_or_default().to_string(),
        parameter_arn: p.str_attr("parameter_arn")?.to_string(),
        service_role: p.str_attr("service_role_arn")?.to_string(),
        instance_role: p.str_attr("instance_role_arn")?.to_string(),
        instance_profile: p.str_attr("instance_profile_arn")?.to_string(),
        autoscaling_role: opt(p.get("autoscaling_role_arn")),
        kerberos_secret: opt(p.get("kerberos_attributes_secret_arn")),
        doc: json_object(p.str_attr("metadata_json")?).ok()?,
    };
    let cdoc = json_object(c.str_attr("metadata_json")?).ok()?;
    let secrets = cdoc
        .get("SecretConfigurations")
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| Some(s.get("SecretArn")?.as_str()?.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let configuration = ConfigurationRef {
        id: c.str_attr("id").unwrap_or_default().to_string(),
        parameter_arn: c.str_attr("parameter_arn")?.to_string(),
        doc: cdoc,
        secrets,
    };
    Some(Inputs {
        id: format!("{ns}/{n}"),
        resources: FunctionResources::derive(env, ns, n),
        profile,
        configuration,
        cluster_name: st.str_attr("cluster_name")?.to_string(),
        allowed: strings(st.get("allowed_overrides"))?.into_iter().collect(),
        wait: st.get("wait_for_cluster_start").as_bool().unwrap_or(true),
        fail_if_running: st.get("fail_if_cluster_running").as_bool().unwrap_or(false),
        cluster_tags: tags_map(st.get("cluster_tags")),
        notifications: notifications_of(st.get("notifications")),
        partition: env.partition.clone(),
    })
}

fn notifications_of(v: &Value) -> Option<Notifications> {
    let topic = v.str_attr("topic_arn")?;
    Some(Notifications {
        topic_arn: topic.to_string(),
        on_success: v.get("on_success").as_bool().unwrap_or(true),
        on_failure: v.get("on_failure").as_bool().unwrap_or(true),
    })
}

// ---------- policies (pure) ----------

fn service_trust(env: &Env, service: &str, source_arn: Option<&str>) -> PolicyDocument {
    let mut s = Statement::allow(["sts:AssumeRole"])
        .principal(Principal::service(principals::service(
            &env.partition,
            service,
        )))
        .condition("StringEquals", "aws:SourceAccount", [env.account.clone()]);
    if let Some(a) = source_arn {
        s = s.condition("ArnEquals", "aws:SourceArn", [a.to_string()]);
    }
    PolicyDocument::new(vec![s])
}

pub fn execution_trust(env: &Env, i: &Inputs) -> PolicyDocument {
    service_trust(env, "states", Some(&i.resources.state_machine_arn))
}

pub fn launcher_trust(env: &Env) -> PolicyDocument {
    service_trust(env, "lambda", None)
}

fn cluster_arn_pattern(env: &Env) -> String {
    format!(
        "arn:{}:elasticmapreduce:{}:{}:cluster/*",
        env.partition, env.region, env.account
    )
}

/// RunJobFlow (only with this function's tag), tagging on create, and
/// passing exactly the profile's roles to exactly their services.
fn launch_statements(env: &Env, i: &Inputs) -> Vec<Statement> {
    let tag_key = format!("aws:RequestTag/{FUNCTION_TAG}");
    let mut v = vec![
        Statement::allow(["elasticmapreduce:RunJobFlow"])
            .sid("LaunchTaggedClusters")
            .resource("*")
            .condition("StringEquals", &tag_key, [i.id.clone()]),
        Statement::allow(["elasticmapreduce:AddTags"])
            .sid("TagOnLaunch")
            .resource(cluster_arn_pattern(env))
            .condition("StringEquals", &tag_key, [i.id.clone()]),
    ];
    let mut by_service: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (role, service) in i.passed_roles() {
        by_service
            .entry(service)
            .or_default()
            .insert(role.to_string());
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
pub fn execution_policy(env: &Env, i: &Inputs) -> PolicyDocument {
    let mut v = Vec::new();
    if i.has_launcher() {
        v.push(
            Statement::allow(["lambda:InvokeFunction"])
                .sid("InvokeLauncher")
                .resource(i.resources.launcher_arn.clone()),
        );
    } else {
        v.extend(launch_statements(env, i));
    }
    if i.fail_if_running || i.wait {
        v.push(list_clusters_statement());
    }
    if let Some(n) = &i.notifications {
        if n.on_success || n.on_failure {
            v.push(
                Statement::allow(["sns:Publish"])
                    .sid("PublishNotifications")
                    .resource(n.topic_arn.clone()),
            );
        }
    }
    PolicyDocument::new(v)
}

pub fn launcher_policy(env: &Env, i: &Inputs) -> PolicyDocument {
    let group = format!(
        "arn:{}:logs:{}:{}:log-group:/aws/lambda/{}",
        env.partition, env.region, env.account, i.resources.launcher
    );
    let mut v = vec![Statement::allow(["secretsmanager:GetSecretValue"])
        .sid("ReadKerberosAttributes")
        .resources(i.profile.kerberos_secret.clone())];
    v.extend(launch_statements(env, i));
    if i.fail_if_running {
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

/// The grant on the profile's service role for the configuration's secrets.
pub fn service_role_secret_policy(i: &Inputs) -> Option<PolicyDocument> {
    let arns = i.secret_arns();
    (!arns.is_empty()).then(|| secret_grant::document(&arns))
}

/// What a user who may launch is granted: this state machine and its
/// executions, nothing else (seed 001, threat 1).
pub fn invoke_policy(env: &Env, sm_name: &str) -> PolicyDocument {
    let sm = state_machine_arn(env, sm_name);
    let executions = format!(
        "arn:{}:states:{}:{}:execution:{sm_name}:*",
        env.partition, env.region, env.account
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

/// The launcher's settings as one reviewable document (what Lambda reports
/// back). The launch itself is in its package (`launcher_launch_json`).
pub fn launcher_configuration(i: &Inputs) -> Json {
    json!({
        "Runtime": launcher::RUNTIME,
        "Handler": launcher::HANDLER,
        "Role": i.resources.launcher_role_arn,
        "Timeout": launcher::TIMEOUT_SECONDS,
        "MemorySize": launcher::MEMORY_MB,
        "Environment": {}
    })
}

/// The metadata document stored in SSM.
pub fn metadata_document(i: &Inputs) -> Json {
    let mut m = Map::new();
    let (ns, n) = i.id.split_once('/').unwrap_or((&i.id, ""));
    m.insert("Namespace".into(), Json::from(ns));
    m.insert("Name".into(), Json::from(n));
    m.insert(
        "StateMachineArn".into(),
        Json::from(i.resources.state_machine_arn.clone()),
    );
    m.insert("RoleArn".into(), Json::from(i.resources.role_arn.clone()));
    m.insert(
        "Profile".into(),
        json!({"Id": i.profile.id, "ParameterArn": i.profile.parameter_arn}),
    );
    m.insert(
        "ClusterConfiguration".into(),
        json!({"Id": i.configuration.id, "ParameterArn": i.configuration.parameter_arn}),
    );
    let mut roles = Map::new();
    roles.insert(
        "ServiceRole".into(),
        Json::from(i.profile.service_role.clone()),
    );
    roles.insert(
        "InstanceProfile".into(),
        Json::from(i.profile.instance_profile.clone()),
    );
    roles.insert(
        "InstanceRole".into(),
        Json::from(i.profile.instance_role.clone()),
    );
    if let Some(a) = &i.profile.autoscaling_role {
        roles.insert("AutoScalingRole".into(), Json::from(a.clone()));
    }
    m.insert("PassRoles".into(), Json::Object(roles));
    m.insert("ClusterName".into(), Json::from(i.cluster_name.clone()));
    m.insert(
        "AllowedOverrides".into(),
        Json::Array(i.allowed.iter().map(|s| Json::from(s.clone())).collect()),
    );
    m.insert("WaitForClusterStart".into(), Json::Bool(i.wait));
    m.insert("FailIfClusterRunning".into(), Json::Bool(i.fail_if_running));
    if !i.cluster_tags.is_empty() {
        m.insert("ClusterTags".into(), json!(i.cluster_tags));
    }
    if let Some(n) = &i.notifications {
        m.insert(
            "Notifications".into(),
            json!({"TopicArn": n.topic_arn, "OnSuccess": n.on_success, "OnFailure": n.on_failure}),
        );
    }
    if i.has_launcher() {
        m.insert(
            "LauncherFunctionArn".into(),
            Json::from(i.resources.launcher_arn.clone()),
        );
    }
    if i.has_launcher() || !i.configuration.secrets.is_empty() {
        let mut s = Map::new();
        if let Some(k) = &i.profile.kerberos_secret {
            s.insert("KerberosAttributesSecretArn".into(), Json::from(k.clone()));
        }
        s.insert("SecretArns".into(), json!(i.secret_arns()));
        m.insert("Secrets".into(), Json::Object(s));
    }
    Json::Object(m)
}

/// Known once the inputs are.
const FUNCTION_DOCS: [&str; 5] = [
    "role_trust_policy_json",
    "role_policy_json",
    "definition_json",
    "metadata_json",
    "service_role_secret_policy_json",
];

/// Only with a launcher (null otherwise); known once the inputs are.
const LAUNCHER_DOCS: [&str; 8] = [
    "launcher_function_arn",
    "launcher_role_arn",
    "launcher_role_trust_policy_json",
    "launcher_role_policy_json",
    "launcher_role_managed_policy_arns",
    "launcher_configuration_json",
    "launcher_source_code_hash",
    "launcher_launch_json",
];

/// Sets every computed attribute that can be known (all of them when the
/// inputs are known).
fn plan_documents(env: &Env, st: &mut Value) {
    if let (Some(ns), Some(n)) = (st.str_attr("namespace"), st.str_attr("name")) {
        let x = FunctionResources::derive(env, ns, n);
        st.set_attr("state_machine_name", Value::String(x.state_machine.clone()));
        st.set_attr("state_machine_arn", Value::String(x.state_machine_arn));
        st.set_attr("role_arn", Value::String(x.role_arn));
        st.set_attr(
            "invoke_policy_json",
            Value::String(invoke_policy(env, &x.state_machine).canonical()),
        );
    }
    // The roles never have managed policies: one attached out of band is a
    // change apply detaches.
    st.set_attr("role_managed_policy_arns", Value::set(vec![]));
    let Some(i) = inputs(env, st) else {
        for k in FUNCTION_DOCS.iter().chain(&LAUNCHER_DOCS) {
            st.set_attr(k, Value::Unknown);
        }
        return;
    };
    let text = |v: String| Value::String(v);
    st.set_attr(
        "role_trust_policy_json",
        text(execution_trust(env, &i).canonical()),
    );
    st.set_attr(
        "role_policy_json",
        text(execution_policy(env, &i).canonical()),
    );
    st.set_attr(
        "definition_json",
        text(crate::canonical::text(&definition::definition(&i.spec()))),
    );
    st.set_attr(
        "metadata_json",
        text(crate::canonical::text(&metadata_document(&i))),
    );
    st.set_attr(
        "service_role_secret_policy_json",
        service_role_secret_policy(&i)
            .map(|d| text(d.canonical()))
            .unwrap_or(Value::Null),
    );
    if i.has_launcher() {
        let launch = i.launcher_launch();
        st.set_attr(
            "launcher_function_arn",
            text(i.resources.launcher_arn.clone()),
        );
        st.set_attr(
            "launcher_role_arn",
            text(i.resources.launcher_role_arn.clone()),
        );
        st.set_attr(
            "launcher_role_trust_policy_json",
            text(launcher_trust(env).canonical()),
        );
        st.set_attr(
            "launcher_role_policy_json",
            text(launcher_policy(env, &i).canonical()),
        );
        st.set_attr(
            "launcher_configuration_json",
            text(launcher_configuration(&i).to_string()),
        );
        st.set_attr(
            "launcher_source_code_hash",
            text(launcher::code_sha256(&launcher::package(&launch))),
        );
        st.set_attr(
            "launcher_launch_json",
            text(crate::canonical::text(&launch)),
        );
        st.set_attr("launcher_role_managed_policy_arns", Value::set(vec![]));
    } else {
        for k in LAUNCHER_DOCS {
            st.set_attr(k, Value::Null);
        }
    }
}

pub fn err(verb: &str, id: &str, msg: impl Into<String>) -> Diagnostics {
    Diagnostic::error(format!("{verb} EMR launch function ({id})"), msg.into()).into()
}

fn id_of(st: &Value) -> String {
    format!(
        "{}/{}",
        st.str_attr("namespace").unwrap_or("?"),
        st.str_attr("name").unwrap_or("?")
    )
}

// ---------- AWS side ----------

/// An AWS step: the message says what failed.
type StepResult<T> = Result<T, String>;

const ROLE_DESCRIPTION: &str = "EMR launch function role managed by Terraform (emrlaunch/emr)";

/// The provenance every object the function creates carries as its
/// [`OWNER_TAG`] (roles, launcher, state machine): the next apply adopts
/// what a failed one made, and an object of the same name made by anything
/// else is refused. It never appears in `tags` or `tags_all`.
pub fn owner_of(id: &str) -> String {
    format!("{TYPE_NAME}/{id}")
}

/// The clients and facts applying, reading and deleting a function need: a
/// view of `Configured` (tests build it from mocked clients).
#[derive(Clone, Debug)]
pub struct FunctionAws {
    pub iam: aws_sdk_iam::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub sfn: aws_sdk_sfn::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub env: Env,
    pub backoff: Backoff,
}

impl FunctionAws {
    pub fn of(c: &Configured) -> FunctionAws {
        FunctionAws {
            iam: c.aws.iam.clone(),
            lambda: c.aws.lambda.clone(),
            sfn: c.aws.sfn.clone(),
            ssm: c.aws.ssm.clone(),
            env: env_of(c),
            backoff: Backoff::default(),
        }
    }
}

fn propagation<E, Resp>(e: &aws_smithy_runtime_api::client::result::SdkError<E, Resp>) -> bool
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    looks_like_propagation(
        error_code(e).unwrap_or_default(),
        error_message(e).unwrap_or_default(),
    )
}

// -- tags and ownership of the launcher and the state machine --

/// `tags_all` plus the owner tag: what the launcher and the state machine carry.
fn owned_tags(tags_all: &BTreeMap<String, String>, owner: &str) -> BTreeMap<String, String> {
    let mut t = tags_all.clone();
    t.insert(OWNER_TAG.to_string(), owner.to_string());
    t
}

/// The keys to remove and the tags to set that turn `have` into `want`
/// (AWS's own `aws:` tags stay).
fn tag_changes(
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> (Vec<String>, BTreeMap<String, String>) {
    let stale = have
        .keys()
        .filter(|k| !want.contains_key(*k) && !k.starts_with("aws:"))
        .cloned()
        .collect();
    let set = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (stale, set)
}

/// An existing launcher or state machine of the function's name is taken
/// over when it carries this function's owner tag, or no owner tag and the
/// state records it (made before the tag existed, or imported).
fn check_adoptable(
    what: &str,
    tags: &BTreeMap<String, String>,
    owner: &str,
    recorded: bool,
) -> StepResult<()> {
    match tags.get(OWNER_TAG) {
        Some(o) if o == owner => Ok(()),
        None if recorded => Ok(()),
        Some(o) => Err(format!(
            "{what} already exists and is managed by {o}; delete it or choose another name"
        )),
        None => Err(format!(
            "{what} already exists and is not managed by this launch function; delete it or choose another name"
        )),
    }
}

// -- roles --

/// One of the function's roles as the reconciler wants it: this trust, this
/// one inline policy, no managed policy, no boundary, the function's tags.
fn desired_role(
    name: &str,
    owner: &str,
    trust: String,
    (policy_name, policy): (&str, String),
    tags: &BTreeMap<String, String>,
) -> DesiredRole {
    let mut d = DesiredRole::new(name, owner, trust);
    d.description = Some(ROLE_DESCRIPTION.to_string());
    d.inline.insert(policy_name.to_string(), policy);
    d.tags = tags.clone();
    d.tags.remove(OWNER_TAG);
    d
}

/// The role's policy as IAM has it: our inline policy with the statements of
/// any other inline policy added (so the plan shows them; apply removes them).
fn combined_policy(role: &ObservedRole, ours: &str) -> StepResult<Option<String>> {
    let mut statements: Vec<Json> = Vec::new();
    for (n, doc) in &role.inline {
        let v: Json =
            serde_json::from_str(doc).map_err(|e| format!("policy {n} of {}: {e}", role.name))?;
        match v.get("Statement") {
            Some(Json::Array(a)) => statements.extend(a.iter().cloned()),
            Some(s) => statements.push(s.clone()),
            None => {}
        }
    }
    if !role.inline.contains_key(ours) && statements.is_empty() {
        return Ok(None);
    }
    let doc = json!({"Version": "2012-10-17", "Statement": statements});
    Ok(Some(
        policy::canonicalize(&doc.to_string()).unwrap_or_else(|_| doc.to_string()),
    ))
}

/// Records a role as IAM has it: `<prefix>_trust_policy_json` and
/// `<prefix>_policy_json` (`""` when the role is gone), and every attached
/// managed policy in `<prefix>_managed_policy_arns` (the plan wants none, so
/// one attached out of band shows as a change that apply detaches).
fn record_role(
    st: &mut Value,
    role: Option<&ObservedRole>,
    policy_name: &str,
    prefix: &str,
) -> StepResult<()> {
    let trust = role.map(|r| policy::canonicalize(&r.trust).unwrap_or_else(|_| r.trust.clone()));
    let (tk, pk) = (
        format!("{prefix}_trust_policy_json"),
        format!("{prefix}_policy_json"),
    );
    let recorded = reconcile_text(st.str_attr(&tk), trust, true);
    st.set_attr(&tk, recorded);
    let pol = match role {
        Some(r) => combined_policy(r, policy_name)?,
        None => None,
    };
    let recorded = reconcile_text(st.str_attr(&pk), pol, true);
    st.set_attr(&pk, recorded);
    let managed = role
        .map(|r| r.managed.iter().map(Value::string).collect())
        .unwrap_or_default();
    st.set_attr(
        &format!("{prefix}_managed_policy_arns"),
        Value::set(managed),
    );
    Ok(())
}

/// Deletes one of the function's roles when it is ours: tagged for this
/// function, or untagged and recorded in state. Any other role of that name
/// is someone else's and stays.
async fn delete_owned_role(
    iam: &aws_sdk_iam::Client,
    name: &str,
    owner: &str,
    recorded: bool,
) -> StepResult<()> {
    if !recorded {
        match managed_role::read(iam, name, None).await? {
            Some(r) if r.ownership(owner) == Ownership::Ours => {}
            _ => return Ok(()),
        }
    }
    managed_role::delete(iam, name, owner, None, recorded).await
}

// -- the state machine --

fn sfn_tags(t: &BTreeMap<String, String>) -> Vec<aws_sdk_sfn::types::Tag> {
    t.iter()
        .map(|(k, v)| aws_sdk_sfn::types::Tag::builder().key(k).value(v).build())
        .collect()
}

/// (definition, role ARN) of the state machine; None when it does not exist.
async fn describe_state_machine(
    sfn: &aws_sdk_sfn::Client,
    arn: &str,
) -> StepResult<Option<(String, String)>> {
    match sfn
        .describe_state_machine()
        .state_machine_arn(arn)
        .send()
        .await
    {
        Ok(o) => Ok(Some((o.definition().to_string(), o.role_arn().to_string()))),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(format!("reading state machine {arn}: {}", describe(&e))),
    }
}

async fn state_machine_tags(
    sfn: &aws_sdk_sfn::Client,
    arn: &str,
) -> StepResult<BTreeMap<String, String>> {
    let out = sfn
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| format!("reading the tags of {arn}: {}", describe(&e)))?;
    Ok(out
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect())
}

async fn sync_sfn_tags(
    sfn: &aws_sdk_sfn::Client,
    arn: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> StepResult<()> {
    let (stale, set) = tag_changes(have, want);
    if !stale.is_empty() {
        sfn.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(|e| format!("untagging {arn}: {}", describe(&e)))?;
    }
    if !set.is_empty() {
        sfn.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(sfn_tags(&set)))
            .send()
            .await
            .map_err(|e| format!("tagging {arn}: {}", describe(&e)))?;
    }
    Ok(())
}

async fn create_state_machine(
    aws: &FunctionAws,
    cancel: &CancellationToken,
    r: &FunctionResources,
    definition: &str,
    tags: &BTreeMap<String, String>,
) -> StepResult<()> {
    retry_propagation(
        "creating the state machine",
        &aws.backoff,
        cancel,
        propagation,
        || {
            aws.sfn
                .create_state_machine()
                .name(&r.state_machine)
                .definition(definition)
                .role_arn(&r.role_arn)
                .r#type(aws_sdk_sfn::types::StateMachineType::Standard)
                .set_tags(Some(sfn_tags(tags)))
                .send()
        },
    )
    .await
    .map(|_| ())
    .map_err(|e| {
        format!(
            "creating state machine {}: {}",
            r.state_machine,
            describe(&e)
        )
    })
}

async fn update_state_machine(
    aws: &FunctionAws,
    cancel: &CancellationToken,
    r: &FunctionResources,
    definition: &str,
) -> StepResult<()> {
    retry_propagation(
        "updating the state machine",
        &aws.backoff,
        cancel,
        propagation,
        || {
            aws.sfn
                .update_state_machine()
                .state_machine_arn(&r.state_machine_arn)
                .definition(definition)
                .role_arn(&r.role_arn)
                .send()
        },
    )
    .await
    .map(|_| ())
    .map_err(|e| format!("updating state machine: {}", describe(&e)))
}

/// Deletes the state machine when it is ours (tagged, or recorded in state).
async fn delete_state_machine(
    sfn: &aws_sdk_sfn::Client,
    r: &FunctionResources,
    owner: &str,
    recorded: bool,
) -> StepResult<()> {
    if !recorded {
        if describe_state_machine(sfn, &r.state_machine_arn)
            .await?
            .is_none()
        {
            return Ok(());
        }
        let tags = state_machine_tags(sfn, &r.state_machine_arn).await?;
        if tags.get(OWNER_TAG).map(String::as_str) != Some(owner) {
            return Ok(());
        }
    }
    match sfn
        .delete_state_machine()
        .state_machine_arn(&r.state_machine_arn)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(format!("deleting state machine: {}", describe(&e))),
    }
}

// -- the launcher --

struct RemoteLauncher {
    code_sha256: String,
    configuration: Json,
    tags: BTreeMap<String, String>,
}

async fn get_launcher(
    lambda: &aws_sdk_lambda::Client,
    name: &str,
) -> StepResult<Option<RemoteLauncher>> {
    let o = match lambda.get_function().function_name(name).send().await {
        Ok(o) => o,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(format!("reading launcher {name}: {}", describe(&e))),
    };
    let Some(cfg) = o.configuration() else {
        return Ok(None);
    };
    let vars: Map<String, Json> = cfg
        .environment()
        .and_then(|e| e.variables())
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(RemoteLauncher {
        code_sha256: cfg.code_sha256().unwrap_or_default().to_string(),
        configuration: json!({
            "Runtime": cfg.runtime().map(|r| r.as_str().to_string()).unwrap_or_default(),
            "Handler": cfg.handler().unwrap_or_default(),
            "Role": cfg.role().unwrap_or_default(),
            "Timeout": cfg.timeout().unwrap_or_default(),
            "MemorySize": cfg.memory_size().unwrap_or_default(),
            "Environment": vars
        }),
        tags: o
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    }))
}

fn lambda_environment(cfg: &Json) -> aws_sdk_lambda::types::Environment {
    let vars: HashMap<String, String> = cfg["Environment"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default();
    aws_sdk_lambda::types::Environment::builder()
        .set_variables(Some(vars))
        .build()
}

async fn create_launcher(
    aws: &FunctionAws,
    cancel: &CancellationToken,
    i: &Inputs,
    package: &[u8],
    tags: &BTreeMap<String, String>,
) -> StepResult<()> {
    let cfg = launcher_configuration(i);
    let tags: HashMap<String, String> = tags.clone().into_iter().collect();
    retry_propagation(
        "creating the launcher function",
        &aws.backoff,
        cancel,
        propagation,
        || {
            aws.lambda
                .create_function()
                .function_name(&i.resources.launcher)
                .runtime(aws_sdk_lambda::types::Runtime::from(launcher::RUNTIME))
                .role(&i.resources.launcher_role_arn)
                .handler(launcher::HANDLER)
                .timeout(launcher::TIMEOUT_SECONDS)
                .memory_size(launcher::MEMORY_MB)
                .description(format!(
                    "EMR launch function {} launcher (emrlaunch/emr)",
                    i.id
                ))
                .environment(lambda_environment(&cfg))
                .code(
                    aws_sdk_lambda::types::FunctionCode::builder()
                        .zip_file(aws_smithy_types::Blob::new(package.to_vec()))
                        .build(),
                )
                .set_tags(Some(tags.clone()))
                .send()
        },
    )
    .await
    .map(|_| ())
    .map_err(|e| {
        format!(
            "creating launcher {}: {}",
            i.resources.launcher,
            describe(&e)
        )
    })
}

/// Brings an existing launcher's code, settings and tags to the plan.
async fn update_launcher(
    aws: &FunctionAws,
    cancel: &CancellationToken,
    i: &Inputs,
    package: &[u8],
    remote: &RemoteLauncher,
    tags: &BTreeMap<String, String>,
) -> StepResult<()> {
    let name = &i.resources.launcher;
    if remote.code_sha256 != launcher::code_sha256(package) {
        aws.lambda
            .update_function_code()
            .function_name(name)
            .zip_file(aws_smithy_types::Blob::new(package.to_vec()))
            .send()
            .await
            .map_err(|e| format!("updating launcher code: {}", describe(&e)))?;
    }
    let cfg = launcher_configuration(i);
    if remote.configuration != cfg {
        retry_propagation(
            "updating the launcher function",
            &aws.backoff,
            cancel,
            propagation,
            || {
                aws.lambda
                    .update_function_configuration()
                    .function_name(name)
                    .runtime(aws_sdk_lambda::types::Runtime::from(launcher::RUNTIME))
                    .role(&i.resources.launcher_role_arn)
                    .handler(launcher::HANDLER)
                    .timeout(launcher::TIMEOUT_SECONDS)
                    .memory_size(launcher::MEMORY_MB)
                    .environment(lambda_environment(&cfg))
                    .send()
            },
        )
        .await
        .map_err(|e| format!("updating launcher configuration: {}", describe(&e)))?;
    }
    let arn = &i.resources.launcher_arn;
    let (stale, set) = tag_changes(&remote.tags, tags);
    if !stale.is_empty() {
        aws.lambda
            .untag_resource()
            .resource(arn)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(|e| format!("untagging launcher: {}", describe(&e)))?;
    }
    if !set.is_empty() {
        aws.lambda
            .tag_resource()
            .resource(arn)
            .set_tags(Some(set.into_iter().collect()))
            .send()
            .await
            .map_err(|e| format!("tagging launcher: {}", describe(&e)))?;
    }
    Ok(())
}

/// Deletes the launcher function when it is ours (tagged, or recorded in state).
async fn delete_launcher_function(
    lambda: &aws_sdk_lambda::Client,
    r: &FunctionResources,
    owner: &str,
    recorded: bool,
) -> StepResult<()> {
    if !recorded {
        match get_launcher(lambda, &r.launcher).await? {
            Some(l) if l.tags.get(OWNER_TAG).map(String::as_str) == Some(owner) => {}
            _ => return Ok(()),
        }
    }
    match lambda
        .delete_function()
        .function_name(&r.launcher)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(format!(
            "deleting launcher {}: {}",
            r.launcher,
            describe(&e)
        )),
    }
}

// -- the service role's secret grant --

/// The secret grant a function state records (on the profile's service role).
fn recorded_grant(st: &Value, function_role: &str) -> Option<RoleGrant> {
    let document = st.str_attr("service_role_secret_policy_json")?;
    let service_role = st.get("profile").str_attr("service_role_arn")?;
    Some(secret_grant::role_grant(
        service_role,
        function_role,
        document.to_string(),
    ))
}

// ---------- apply ----------

/// The attributes each apply step settles: copied from the plan into the
/// recorded state once the step is done. The first of each role's is the
/// one whose presence records that the role is the function's.
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
const EXECUTION_ROLE_ATTRS: [&str; 3] = [
    "role_trust_policy_json",
    "role_policy_json",
    "role_managed_policy_arns",
];
/// The grant's place is the profile's service role.
const GRANT_ATTRS: [&str; 2] = ["service_role_secret_policy_json", "profile"];
const DEFINITION: &str = "definition_json";

/// One create or update. `state` is what exists so far, and what a failure
/// records: the prior state (on create, the plan without any part made yet)
/// with each finished step's planned attributes copied in.
struct FunctionApply<'a> {
    aws: &'a FunctionAws,
    cancel: &'a CancellationToken,
    planned: &'a Value,
    creating: bool,
    inputs: Inputs,
    owner: String,
    tags: BTreeMap<String, String>,
    state: Value,
}

/// Brings everything to `planned`; `prior` is None on create. Ok: the new
/// state. Err: the state of what exists (never simply the prior state when
/// something was made) and what failed.
pub async fn apply_function(
    aws: &FunctionAws,
    cancel: &CancellationToken,
    planned: &Value,
    prior: Option<&Value>,
) -> Result<Value, (Value, String)> {
    let Some(inputs) = inputs(&aws.env, planned) else {
        let unchanged = prior.cloned().unwrap_or(Value::Null);
        return Err((unchanged, "the planned inputs are unknown at apply".into()));
    };
    let state = match prior {
        Some(p) => p.clone(),
        None => {
            let mut s = planned.clone();
            let made_by_steps = LAUNCHER_ROLE_ATTRS
                .iter()
                .chain(&LAUNCHER_FUNCTION_ATTRS)
                .chain(&EXECUTION_ROLE_ATTRS)
                .chain(&[GRANT_ATTRS[0], DEFINITION]);
            for k in made_by_steps {
                s.set_attr(k, Value::Null);
            }
            s
        }
    };
    let mut run = FunctionApply {
        aws,
        cancel,
        planned,
        creating: prior.is_none(),
        owner: owner_of(&inputs.id),
        tags: tags_map(planned.get("tags_all")),
        inputs,
        state,
    };
    match run.steps().await {
        Ok(()) => Ok(planned.clone()),
        Err(e) => Err((run.state, e)),
    }
}

impl FunctionApply<'_> {
    async fn steps(&mut self) -> StepResult<()> {
        // The launcher, only for Kerberos attributes, before the state
        // machine that invokes it.
        if self.inputs.has_launcher() {
            let name = self.inputs.resources.launcher_role.clone();
            self.role(
                &name,
                "launcher_role",
                LAUNCHER_POLICY,
                LAUNCHER_ROLE_ATTRS[0],
            )
            .await
            .map_err(|e| format!("launcher role: {e}"))?;
            self.launcher_function().await?;
        }
        let name = self.inputs.resources.role.clone();
        self.role(&name, "role", EXECUTION_POLICY, EXECUTION_ROLE_ATTRS[0])
            .await
            .map_err(|e| format!("execution role: {e}"))?;
        // The service role may resolve the configuration's secrets before
        // the first launch needs it; a grant left on a role the profile no
        // longer uses is removed.
        self.secret_grant().await?;
        self.state_machine().await?;
        // No launcher any more: removed once the state machine stopped using it.
        if !self.inputs.has_launcher() {
            self.retire_launcher().await?;
        }
        self.metadata().await
    }

    fn recorded(&self, attr: &str) -> bool {
        !self.state.get(attr).is_null()
    }

    /// The step made these planned attributes true.
    fn settle(&mut self, attrs: &[&str]) {
        for k in attrs {
            self.state.set_attr(k, self.planned.get(k).clone());
        }
    }

    fn planned_text(&self, k: &str) -> StepResult<String> {
        self.planned
            .str_attr(k)
            .map(str::to_string)
            .ok_or(format!("{k} is unknown at apply"))
    }

    /// Reconciles one of the function's roles from the attributes under
    /// `prefix`. An untagged role is adopted only when `marker` records it.
    async fn role(
        &mut self,
        name: &str,
        prefix: &str,
        policy_name: &str,
        marker: &str,
    ) -> StepResult<()> {
        let trust_attr = format!("{prefix}_trust_policy_json");
        let policy_attr = format!("{prefix}_policy_json");
        let managed_attr = format!("{prefix}_managed_policy_arns");
        let want = desired_role(
            name,
            &self.owner,
            self.planned_text(&trust_attr)?,
            (policy_name, self.planned_text(&policy_attr)?),
            &self.tags,
        );
        match managed_role::reconcile(&self.aws.iam, &want, self.recorded(marker)).await {
            Ok(_) => {
                self.settle(&[marker, &trust_attr, &policy_attr, &managed_attr]);
                Ok(())
            }
            Err(e) => {
                // Created before the failure: it is the function's now.
                if e.done.contains(&RoleChange::Create) {
                    self.settle(&[marker]);
                }
                Err(e.message)
            }
        }
    }

    async fn launcher_function(&mut self) -> StepResult<()> {
        let package = launcher::package(&self.inputs.launcher_launch());
        let tags = owned_tags(&self.tags, &self.owner);
        let name = self.inputs.resources.launcher.clone();
        match get_launcher(&self.aws.lambda, &name).await? {
            None => create_launcher(self.aws, self.cancel, &self.inputs, &package, &tags).await?,
            Some(remote) => {
                let recorded = self.recorded(LAUNCHER_FUNCTION_ATTRS[0]);
                let what = format!("Lambda function {name}");
                check_adoptable(&what, &remote.tags, &self.owner, recorded)?;
                self.settle(&LAUNCHER_FUNCTION_ATTRS[..1]);
                update_launcher(
                    self.aws,
                    self.cancel,
                    &self.inputs,
                    &package,
                    &remote,
                    &tags,
                )
                .await?;
            }
        }
        self.settle(&LAUNCHER_FUNCTION_ATTRS);
        Ok(())
    }

    /// Moves the grant (old role first), puts it, or removes it; a failure
    /// records the grant actually in place.
    async fn secret_grant(&mut self) -> StepResult<()> {
        let role = &self.inputs.resources.role;
        let prior = recorded_grant(&self.state, role);
        let want = recorded_grant(self.planned, role);
        match managed_role::reconcile_grant(&self.aws.iam, prior.as_ref(), want.as_ref()).await {
            Ok(_) => {
                self.settle(&GRANT_ATTRS);
                Ok(())
            }
            Err((in_place, e)) => {
                if in_place.is_none() {
                    self.state.set_attr(GRANT_ATTRS[0], Value::Null);
                }
                Err(format!("the service role's secret grant: {e}"))
            }
        }
    }

    async fn state_machine(&mut self) -> StepResult<()> {
        let def = self.planned_text(DEFINITION)?;
        let r = self.inputs.resources.clone();
        let tags = owned_tags(&self.tags, &self.owner);
        match describe_state_machine(&self.aws.sfn, &r.state_machine_arn).await? {
            None => create_state_machine(self.aws, self.cancel, &r, &def, &tags).await?,
            Some((have_def, have_role)) => {
                let have_tags = state_machine_tags(&self.aws.sfn, &r.state_machine_arn).await?;
                let what = format!("state machine {}", r.state_machine);
                check_adoptable(&what, &have_tags, &self.owner, self.recorded(DEFINITION))?;
                if !self.recorded(DEFINITION) {
                    // Ours, content not yet the plan's.
                    self.state.set_attr(DEFINITION, Value::string(""));
                }
                if !metadata::same(&have_def, &def) || have_role != r.role_arn {
                    update_state_machine(self.aws, self.cancel, &r, &def).await?;
                }
                sync_sfn_tags(&self.aws.sfn, &r.state_machine_arn, &have_tags, &tags).await?;
            }
        }
        self.settle(&[DEFINITION]);
        Ok(())
    }

    async fn retire_launcher(&mut self) -> StepResult<()> {
        let r = self.inputs.resources.clone();
        let recorded = self.recorded(LAUNCHER_FUNCTION_ATTRS[0]);
        delete_launcher_function(&self.aws.lambda, &r, &self.owner, recorded).await?;
        self.settle(&LAUNCHER_FUNCTION_ATTRS);
        let recorded = self.recorded(LAUNCHER_ROLE_ATTRS[0]);
        delete_owned_role(&self.aws.iam, &r.launcher_role, &self.owner, recorded)
            .await
            .map_err(|e| format!("launcher role: {e}"))?;
        self.settle(&LAUNCHER_ROLE_ATTRS);
        Ok(())
    }

    async fn metadata(&mut self) -> StepResult<()> {
        let pname = self.planned_text("parameter_name")?;
        let doc = self.planned_text("metadata_json")?;
        let recorded_tags = tags_map(self.state.get("tags_all"));
        if self.creating
            || self.state.str_attr("metadata_json") != Some(doc.as_str())
            || recorded_tags != self.tags
        {
            metadata::put(
                &self.aws.ssm,
                &pname,
                &doc,
                "EMR launch function",
                &self.tags,
            )
            .await
            .map_err(|e| format!("writing {pname}: {e}"))?;
        }
        self.settle(&["metadata_json", "tags", "tags_all"]);
        Ok(())
    }
}

// ---------- read and delete ----------

/// Records what AWS holds for every part the state records; whatever is
/// missing or changed shows as drift that apply repairs. None when nothing
/// of the function is left.
async fn refresh(
    aws: &FunctionAws,
    current: &Value,
    mut st: Value,
    stored: Option<String>,
) -> StepResult<Option<Value>> {
    let (ns, n) = (
        st.str_attr("namespace").unwrap_or_default(),
        st.str_attr("name").unwrap_or_default(),
    );
    let r = FunctionResources::derive(&aws.env, ns, n);
    let has = |a: &str| !st.get(a).is_null();
    let (has_sm, has_role) = (has(DEFINITION), has(EXECUTION_ROLE_ATTRS[0]));
    let (has_launcher, has_launcher_role) =
        (has(LAUNCHER_FUNCTION_ATTRS[0]), has(LAUNCHER_ROLE_ATTRS[0]));
    let sm = match has_sm {
        true => describe_state_machine(&aws.sfn, &r.state_machine_arn).await?,
        false => None,
    };
    let role = match has_role {
        true => managed_role::read(&aws.iam, &r.role, None).await?,
        false => None,
    };
    let launcher = match has_launcher {
        true => get_launcher(&aws.lambda, &r.launcher).await?,
        false => None,
    };
    let launcher_role = match has_launcher_role {
        true => managed_role::read(&aws.iam, &r.launcher_role, None).await?,
        false => None,
    };
    if stored.is_none()
        && sm.is_none()
        && role.is_none()
        && launcher.is_none()
        && launcher_role.is_none()
    {
        return Ok(None);
    }
    if has_sm {
        let (def, sm_role) = sm.unzip();
        let recorded = current.str_attr(DEFINITION).or(st.str_attr(DEFINITION));
        let recorded = reconcile_text(recorded, def, false);
        st.set_attr(DEFINITION, recorded);
        if let Some(role_arn) = sm_role {
            st.set_attr("role_arn", Value::String(role_arn));
        }
    }
    if has_role {
        record_role(&mut st, role.as_ref(), EXECUTION_POLICY, "role")?;
    }
    if let Some(g) = recorded_grant(&st, &r.role) {
        let remote = managed_role::read_grant(&aws.iam, &g.role, &g.policy)
            .await?
            .map(|d| policy::canonicalize(&d).unwrap_or(d));
        let recorded = reconcile_text(Some(&g.document), remote, true);
        st.set_attr(GRANT_ATTRS[0], recorded);
    }
    if has_launcher_role {
        record_role(
            &mut st,
            launcher_role.as_ref(),
            LAUNCHER_POLICY,
            "launcher_role",
        )?;
    }
    if has_launcher {
        record_launcher(&mut st, launcher);
    }
    let stored = match stored {
        None => String::new(),
        Some(doc) => metadata::reconcile(st.str_attr("metadata_json"), &doc),
    };
    st.set_attr("metadata_json", Value::String(stored));
    Ok(Some(st))
}

fn record_launcher(st: &mut Value, launcher: Option<RemoteLauncher>) {
    match launcher {
        Some(l) => {
            st.set_attr("launcher_source_code_hash", Value::String(l.code_sha256));
            let recorded = reconcile_text(
                st.str_attr("launcher_configuration_json"),
                Some(l.configuration.to_string()),
                false,
            );
            st.set_attr("launcher_configuration_json", recorded);
        }
        None => {
            st.set_attr("launcher_source_code_hash", Value::string(""));
            st.set_attr("launcher_configuration_json", Value::string(""));
        }
    }
}

/// Removes everything the state records, and anything of the function's
/// names tagged for it (left by a failed apply); other objects stay.
async fn delete_function(aws: &FunctionAws, prior: &Value) -> StepResult<()> {
    let (Some(ns), Some(n)) = (prior.str_attr("namespace"), prior.str_attr("name")) else {
        return Ok(());
    };
    let r = FunctionResources::derive(&aws.env, ns, n);
    let owner = owner_of(&format!("{ns}/{n}"));
    let has = |a: &str| !prior.get(a).is_null();
    delete_state_machine(&aws.sfn, &r, &owner, has(DEFINITION)).await?;
    delete_launcher_function(&aws.lambda, &r, &owner, has(LAUNCHER_FUNCTION_ATTRS[0])).await?;
    delete_owned_role(
        &aws.iam,
        &r.launcher_role,
        &owner,
        has(LAUNCHER_ROLE_ATTRS[0]),
    )
    .await
    .map_err(|e| format!("launcher role: {e}"))?;
    if let Some(g) = recorded_grant(prior, &r.role) {
        managed_role::reconcile_grant(&aws.iam, Some(&g), None)
            .await
            .map_err(|(_, e)| format!("removing the secret grant from {}: {e}", g.role))?;
    }
    delete_owned_role(&aws.iam, &r.role, &owner, has(EXECUTION_ROLE_ATTRS[0]))
        .await
        .map_err(|e| format!("execution role: {e}"))?;
    if let Some(p) = prior.str_attr("parameter_name") {
        metadata::delete(&aws.ssm, p).await?;
    }
    Ok(())
}

/// Keeps the prior text when the new one means the same.
fn keep_equivalent(prior: &Value, planned: &mut Value, k: &str) {
    if let (Some(p), Some(n)) = (prior.str_attr(k), planned.str_attr(k)) {
        if p != n && (metadata::same(p, n) || policy::equivalent(p, n)) {
            planned.set_attr(k, Value::string(p));
        }
    }
}

/// What read records for a remote document: the state's text when it means
/// the same, else the remote text (the plan then shows the drift).
fn reconcile_text(current: Option<&str>, remote: Option<String>, is_policy: bool) -> Value {
    match (current, remote) {
        (_, None) => Value::string(""),
        (Some(cur), Some(r))
            if cur == r
                || (if is_policy {
                    policy::equivalent(cur, &r)
                } else {
                    metadata::same(cur, &r)
                }) =>
        {
            Value::string(cur)
        }
        (_, Some(r)) => Value::String(r),
    }
}

#[async_trait]
impl Resource for LaunchFunction {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }
    fn schema(&self) -> Schema {
        schema()
    }
    fn validate(&self, config: &Value) -> Diagnostics {
        validate_config(config, None)
    }

    async fn modify_plan(
        &self,
        _ctx: &Ctx,
        req: PlanRequest<'_>,
        planned: &mut Value,
        diags: &mut Diagnostics,
    ) {
        let Ok(c) = self.data.get() else { return };
        let env = env_of(&c);
        diags.extend(validate_config(req.config, Some(&env)));
        if diags.has_errors() {
            return;
        }
        set_parameter_identity(&c, Kind::LaunchFunction, planned);
        plan_documents(&env, planned);
        if let Some(doc) = planned.str_attr("metadata_json") {
            if let Err(e) = metadata::tier_for(doc) {
                diags.error("Launch function metadata too large", e);
            }
        }
        if let Some(d) = planned.str_attr("definition_json") {
            // Step Functions accepts definitions up to 1 MiB.
            if d.len() > 1_048_576 {
                diags.error(
                    "State machine definition too large",
                    format!(
                        "the definition is {} bytes; Step Functions accepts 1 MiB",
                        d.len()
                    ),
                );
            }
        }
        for k in [
            "role_trust_policy_json",
            "role_policy_json",
            "definition_json",
            "metadata_json",
            "invoke_policy_json",
            "launcher_role_trust_policy_json",
            "launcher_role_policy_json",
            "launcher_configuration_json",
        ] {
            keep_equivalent(req.prior, planned, k);
        }
        planned.set_attr(
            "tags_all",
            merged_tags(&c.default_tags, planned.get("tags")),
        );
    }

    async fn create(&self, ctx: &Ctx, planned: &Value, _config: &Value) -> ApplyResult {
        let c = match self.data.get() {
            Ok(c) => c,
            Err(d) => return ApplyResult::failed(Value::Null, d),
        };
        let id = id_of(planned);
        if let Some(pname) = planned.str_attr("parameter_name") {
            if let Ok(Some(_)) = metadata::get(&c.aws.ssm, pname).await {
                return ApplyResult::failed(
                    Value::Null,
                    err("creating", &id, format!("parameter {pname} already exists; import it with: terraform import <address> {id}")),
                );
            }
        }
        crate::info!("creating EMR launch function", "id" => id);
        match apply_function(&FunctionAws::of(&c), &ctx.cancel, planned, None).await {
            Ok(st) => ApplyResult::ok(st),
            // What exists is recorded: Terraform taints the resource and
            // destroy removes it.
            Err((st, e)) => ApplyResult::failed(st, err("creating", &id, e)),
        }
    }

    async fn read(&self, _ctx: &Ctx, current: &Value) -> Result<Value, Diagnostics> {
        let c = self.data.get()?;
        let id = id_of(current);
        if current.str_attr("namespace").is_none() || current.str_attr("name").is_none() {
            return Ok(Value::Null);
        }
        let Some(pname) = current.str_attr("parameter_name").map(str::to_string) else {
            return Ok(Value::Null);
        };
        let stored = metadata::get(&c.aws.ssm, &pname)
            .await
            .map_err(|e| err("reading", &id, e))?;
        let mut st = current.clone();
        if current.get("metadata_json").is_null() {
            // Import: rebuild the configuration from the stored metadata.
            let Some(doc) = &stored else {
                return Ok(Value::Null);
            };
            st = import_state(&c, current, doc)
                .await
                .map_err(|e| err("importing", &id, e))?;
            plan_documents(&env_of(&c), &mut st);
        }
        match refresh(&FunctionAws::of(&c), current, st, stored).await {
            Ok(Some(st)) => Ok(st),
            Ok(None) => {
                crate::warn!("EMR launch function not found, removing from state", "id" => id);
                Ok(Value::Null)
            }
            Err(e) => Err(err("reading", &id, e)),
        }
    }

    async fn update(
        &self,
        ctx: &Ctx,
        prior: &Value,
        planned: &Value,
        _config: &Value,
    ) -> ApplyResult {
        let c = match self.data.get() {
            Ok(c) => c,
            Err(d) => return ApplyResult::failed(prior.clone(), d),
        };
        let id = id_of(planned);
        match apply_function(&FunctionAws::of(&c), &ctx.cancel, planned, Some(prior)).await {
            Ok(st) => ApplyResult::ok(st),
            // What was done is recorded; the next apply adopts it.
            Err((st, e)) => ApplyResult::failed(st, err("updating", &id, e)),
        }
    }

    async fn delete(&self, _ctx: &Ctx, prior: &Value) -> Diagnostics {
        let c = match self.data.get() {
            Ok(c) => c,
            Err(d) => return d,
        };
        match delete_function(&FunctionAws::of(&c), prior).await {
            Ok(()) => Diagnostics::new(),
            Err(e) => err("deleting", &id_of(prior), e),
        }
    }

    fn importer(&self) -> Option<&dyn Import> {
        Some(self)
    }
}

#[async_trait]
impl Import for LaunchFunction {
    async fn import(&self, _ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        let c = self.data.get()?;
        import_parameter_stub(&c, Kind::LaunchFunction, schema().block.empty_value(), id)
    }
}

/// true is the default: recorded as null, as a configuration omitting it says.
fn only_false(v: Option<&Json>) -> Value {
    match v.and_then(Json::as_bool) {
        Some(false) => Value::Bool(false),
        _ => Value::Null,
    }
}

/// The function's settings as its stored metadata records them.
fn set_imported_settings(st: &mut Value, d: &Json) {
    let cluster_name = d.get("ClusterName").and_then(Json::as_str);
    st.set_attr(
        "cluster_name",
        cluster_name.map(Value::string).unwrap_or(Value::Null),
    );
    let allowed: Vec<Value> = d
        .get("AllowedOverrides")
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(Value::string))
                .collect()
        })
        .unwrap_or_default();
    st.set_attr(
        "allowed_overrides",
        if allowed.is_empty() {
            Value::Null
        } else {
            Value::set(allowed)
        },
    );
    st.set_attr(
        "wait_for_cluster_start",
        Value::Bool(
            d.get("WaitForClusterStart")
                .and_then(Json::as_bool)
                .unwrap_or(true),
        ),
    );
    st.set_attr(
        "fail_if_cluster_running",
        Value::Bool(
            d.get("FailIfClusterRunning")
                .and_then(Json::as_bool)
                .unwrap_or(false),
        ),
    );
    let ct: BTreeMap<String, Value> = d
        .get("ClusterTags")
        .and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), Value::string(s))))
                .collect()
        })
        .unwrap_or_default();
    st.set_attr(
        "cluster_tags",
        if ct.is_empty() {
            Value::Null
        } else {
            Value::Map(ct)
        },
    );
    st.set_attr(
        "notifications",
        match d.get("Notifications") {
            Some(n) => Value::object([
                (
                    "topic_arn",
                    n.get("TopicArn")
                        .and_then(Json::as_str)
                        .map(Value::string)
                        .unwrap_or(Value::Null),
                ),
                ("on_success", only_false(n.get("OnSuccess"))),
                ("on_failure", only_false(n.get("OnFailure"))),
            ]),
            None => Value::Null,
        },
    );
}

/// The configuration of an imported function, rebuilt from its metadata and
/// the profile's and configuration's parameters.
async fn import_state(c: &Configured, current: &Value, doc: &str) -> StepResult<Value> {
    let d: Json =
        serde_json::from_str(doc).map_err(|e| format!("stored metadata is not JSON: {e}"))?;
    let s = |p: &str| d.pointer(p).and_then(Json::as_str).map(str::to_string);
    let mut st = current.clone();
    let read_doc = |arn: Option<String>| async move {
        let Some(arn) = arn else {
            return Ok::<_, String>(None);
        };
        metadata::get(&c.aws.ssm, &parameter_name_of(&arn))
            .await
            .map(|t| t.map(|t| (arn, t)))
    };
    let (parn, ptext) = read_doc(s("/Profile/ParameterArn"))
        .await?
        .ok_or("the profile's parameter is gone")?;
    let (carn, ctext) = read_doc(s("/ClusterConfiguration/ParameterArn"))
        .await?
        .ok_or("the cluster configuration's parameter is gone")?;
    let opt = |p: &str| s(p).map(Value::String).unwrap_or(Value::Null);
    st.set_attr(
        "profile",
        Value::object([
            ("id", opt("/Profile/Id")),
            ("parameter_arn", Value::String(parn)),
            ("service_role_arn", opt("/PassRoles/ServiceRole")),
            ("instance_role_arn", opt("/PassRoles/InstanceRole")),
            ("instance_profile_arn", opt("/PassRoles/InstanceProfile")),
            (
                "autoscaling_role_arn",
                Value::String(s("/PassRoles/AutoScalingRole").unwrap_or_default()),
            ),
            (
                "kerberos_attributes_secret_arn",
                opt("/Secrets/KerberosAttributesSecretArn"),
            ),
            ("metadata_json", Value::String(ptext)),
        ]),
    );
    let secrets: Vec<Value> = d
        .pointer("/Secrets/SecretArns")
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(Value::string))
                .collect()
        })
        .unwrap_or_default();
    st.set_attr(
        "cluster_configuration",
        Value::object([
            ("id", opt("/ClusterConfiguration/Id")),
            ("parameter_arn", Value::String(carn)),
            ("metadata_json", Value::String(ctext)),
            ("secret_arns", Value::List(secrets)),
        ]),
    );
    set_imported_settings(&mut st, &d);
    // Tags: the parameter's, minus the provider's defaults.
    let pname = st
        .str_attr("parameter_name")
        .unwrap_or_default()
        .to_string();
    if let Some(tags) = crate::resources::own_parameter_tags(c, &pname).await {
        st.set_attr("tags", tags);
    }
    st.set_attr("tags_all", merged_tags(&c.default_tags, st.get("tags")));
    Ok(st)
}

#[cfg(test)]
mod failed_update;
#[cfg(test)]
mod tests;
