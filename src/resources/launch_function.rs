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

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as Json};

use crate::aws::managed_role::OWNER_TAG;
use crate::aws::state_machine::StepResult;
use crate::configured::{Configured, ProviderData};
use crate::emr::cluster::resolve;
use crate::iam::launch_function::{
    self, execution_policy, execution_trust, launcher_policy, launcher_trust, Function,
};
use crate::iam::principals;
use crate::iam::{policy, PolicyDocument, Scope};
use crate::launch::definition::{self, Notifications, Override, Spec, ValueKind, FUNCTION_TAG};
use crate::launch::{launcher, secret_grant};
use crate::metadata::{self, Kind};
use crate::resources::{derived_name, env_of, import_parameter_stub, ArnScope};
use crate::tfplugin::{
    model, ApplyResult, AttrPath, Attribute, Block, Ctx, Diagnostic, Diagnostics, Import,
    NestedBlock, PlanRequest, Planned, PlannedList, PlannedMap, Resource, Schema, Type, Value,
};

mod aws;
use aws::*;
pub use aws::{apply_function, owner_of, FunctionAws};

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

// ---------- the model ----------

/// The resource's configuration, plan and state, one field per attribute.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Model {
    pub id: Planned<String>,
    pub namespace: Planned<String>,
    pub name: Planned<String>,
    pub profile: Planned<ProfileAttr>,
    pub cluster_configuration: Planned<ConfigurationAttr>,
    pub cluster_name: Planned<String>,
    pub allowed_overrides: PlannedList<String>,
    pub wait_for_cluster_start: Planned<bool>,
    pub fail_if_cluster_running: Planned<bool>,
    pub cluster_tags: PlannedMap<String>,
    pub tags: PlannedMap<String>,
    pub tags_all: PlannedMap<String>,
    pub state_machine_name: Planned<String>,
    pub role_arn: Planned<String>,
    pub role_trust_policy_json: Planned<String>,
    pub role_policy_json: Planned<String>,
    pub role_managed_policy_arns: PlannedList<String>,
    pub definition_json: Planned<String>,
    pub launcher_function_arn: Planned<String>,
    pub launcher_role_arn: Planned<String>,
    pub launcher_role_trust_policy_json: Planned<String>,
    pub launcher_role_policy_json: Planned<String>,
    pub launcher_role_managed_policy_arns: PlannedList<String>,
    pub launcher_configuration_json: Planned<String>,
    pub launcher_source_code_hash: Planned<String>,
    pub launcher_launch_json: Planned<String>,
    pub service_role_secret_policy_json: Planned<String>,
    pub notifications: Planned<NotificationsBlock>,
    pub parameter_name: Planned<String>,
    pub parameter_arn: Planned<String>,
    pub metadata_json: Planned<String>,
    pub state_machine_arn: Planned<String>,
    pub invoke_policy_json: Planned<String>,
}

/// The `profile` object ([`profile_type`]).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct ProfileAttr {
    pub id: Planned<String>,
    pub parameter_arn: Planned<String>,
    pub service_role_arn: Planned<String>,
    pub instance_role_arn: Planned<String>,
    pub instance_profile_arn: Planned<String>,
    pub autoscaling_role_arn: Planned<String>,
    pub kerberos_attributes_secret_arn: Planned<String>,
    pub metadata_json: Planned<String>,
}

/// The `cluster_configuration` object ([`configuration_type`]).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct ConfigurationAttr {
    pub id: Planned<String>,
    pub parameter_arn: Planned<String>,
    pub metadata_json: Planned<String>,
    pub secret_arns: PlannedList<String>,
}

/// The `notifications` block.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct NotificationsBlock {
    pub topic_arn: Planned<String>,
    pub on_success: Planned<bool>,
    pub on_failure: Planned<bool>,
}

/// Sets each named field of a model to a value.
macro_rules! set_all {
    ($m:expr, $v:expr; $($f:ident),+ $(,)?) => {$( $m.$f = $v; )+};
}

fn to_value(m: &Model) -> Result<Value, Diagnostics> {
    model::encode_block(m, &schema().block)
}

fn known(s: impl Into<String>) -> Planned<String> {
    Planned::Known(s.into())
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
    pub fn derive(env: &ArnScope, namespace: &str, name: &str) -> FunctionResources {
        let state_machine = derived_name(namespace, name, "-emr-launch", MAX_STATE_MACHINE_NAME);
        let role = derived_name(namespace, name, "-emr-launch-fn", MAX_ROLE_NAME);
        let launcher = derived_name(namespace, name, "-emr-launcher", MAX_FUNCTION_NAME);
        let launcher_role = derived_name(namespace, name, "-emr-launcher", MAX_ROLE_NAME);
        FunctionResources {
            state_machine_arn: launch_function::state_machine_arn(
                &Scope::from(env),
                &state_machine,
            ),
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

fn role_arn(env: &ArnScope, name: &str) -> String {
    format!("arn:{}:iam::{}:role/{name}", env.partition, env.account)
}

fn function_arn(env: &ArnScope, name: &str) -> String {
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
        let overrides = self.overrides().into_iter().map(|o| {
            let mut m = json!({"Name": o.name, "Path": o.path});
            if o.kind == ValueKind::String {
                m["AllowedValues"] = json!(o.allowed_values);
            }
            for (k, n) in [("Minimum", o.minimum), ("Maximum", o.maximum)] {
                if let Some(n) = n {
                    m[k] = Json::Number(n);
                }
            }
            m
        });
        let overrides: Vec<Json> = overrides.collect();
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
    let tags = doc.pointer("/RunJobFlow/Tags").and_then(Json::as_array);
    let text = |x: &Json, k: &str| Some(x.get(k)?.as_str()?.to_string());
    let tags = tags.into_iter().flatten();
    tags.filter_map(|x| Some((text(x, "Key")?, text(x, "Value")?)))
        .collect()
}

/// The strings of a JSON array (none when it is not one).
fn json_strings(v: Option<&Json>) -> impl Iterator<Item = String> + '_ {
    let items = v.and_then(Json::as_array).into_iter().flatten();
    items.filter_map(|x| x.as_str().map(str::to_string))
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
    let rjf = config_doc.get("RunJobFlow").unwrap_or(&Json::Null);
    let defined = config_doc.get("Overrides").and_then(Json::as_array);
    let of = |o: &Json| {
        let name = o.get("Name")?.as_str()?.to_string();
        let path = o.get("Path")?.as_str()?.to_string();
        let kind = match resolve(rjf, &path) {
            Some(Json::String(_)) => ValueKind::String,
            Some(Json::Bool(_)) => ValueKind::Bool,
            _ => ValueKind::Number,
        };
        let num = |k: &str| match o.get(k) {
            Some(Json::Number(n)) => Some(n.clone()),
            _ => None,
        };
        let o = Override {
            name: name.clone(),
            path,
            kind,
            minimum: num("Minimum"),
            maximum: num("Maximum"),
            allowed_values: json_strings(o.get("AllowedValues")).collect(),
        };
        Some((name, o))
    };
    defined.into_iter().flatten().filter_map(of).collect()
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
pub fn validate_config(cfg: &Model, env: Option<&ArnScope>) -> Diagnostics {
    let mut d = Diagnostics::new();
    for (k, v) in [("namespace", &cfg.namespace), ("name", &cfg.name)] {
        if let Some(Err(m)) = v.as_str().map(|s| metadata::check_segment(k, s)) {
            d.attr_error(AttrPath::attr(k), format!("Invalid {k}"), m);
        }
    }
    check_cluster_name_and_tags(cfg, &mut d);
    if let Some(p) = cfg.profile.known() {
        check_profile(p, &mut d);
    }
    if let Some(c) = cfg.cluster_configuration.known() {
        check_configuration(c, &mut d);
    }
    if let Some(env) = env {
        check_placement(cfg, env, &mut d);
    }
    check_notifications(cfg, &mut d);
    check_against_configuration(cfg, &mut d);
    d
}

fn check_cluster_name_and_tags(cfg: &Model, d: &mut Diagnostics) {
    if let Some(n) = cfg.cluster_name.as_str() {
        let len = n.chars().count();
        if len == 0 || len > 256 || n.chars().any(char::is_control) {
            d.attr_error(
                AttrPath::attr("cluster_name"),
                "Invalid cluster name",
                "an EMR cluster name is 1 to 256 characters without control characters.",
            );
        }
    }
    for (k, v) in cfg.cluster_tags.known().into_iter().flatten() {
        if let Err(e) = tag_ok(k, v.as_str().unwrap_or_default()) {
            let at = AttrPath::attr("cluster_tags").push_key(k);
            d.attr_error(at, "Invalid cluster tag", e);
        }
    }
    // The provider tags what the function creates with its provenance.
    for k in cfg.tags.known().into_iter().flat_map(BTreeMap::keys) {
        if k.to_ascii_lowercase().starts_with("emr-launch:") {
            d.attr_error(
                AttrPath::attr("tags").push_key(k),
                "Invalid tag",
                format!("tag key {k:?}: the emr-launch: prefix (in any case) is reserved; {OWNER_TAG} is set by the provider on the roles, launcher and state machine it creates"),
            );
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
    v: &Planned<String>,
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

fn check_profile(p: &ProfileAttr, d: &mut Diagnostics) {
    let (role, object): (StringCheck, StringCheck) = (crate::validate::iam_role_arn, |s| {
        json_object(s).map(|_| ())
    });
    let checks: [(&str, &Planned<String>, StringCheck, bool); 7] = [
        (
            "parameter_arn",
            &p.parameter_arn,
            ssm_parameter_arn_ok,
            true,
        ),
        ("service_role_arn", &p.service_role_arn, role, true),
        ("instance_role_arn", &p.instance_role_arn, role, true),
        (
            "instance_profile_arn",
            &p.instance_profile_arn,
            instance_profile_arn_ok,
            true,
        ),
        ("autoscaling_role_arn", &p.autoscaling_role_arn, role, false),
        (
            "kerberos_attributes_secret_arn",
            &p.kerberos_attributes_secret_arn,
            crate::validate::secret_arn,
            false,
        ),
        ("metadata_json", &p.metadata_json, object, true),
    ];
    for (attr, v, f, required) in checks {
        let path = AttrPath::attr("profile").push_attr(attr);
        check_string(d, path, v, (f, required), "Invalid profile");
    }
}

fn check_configuration(c: &ConfigurationAttr, d: &mut Diagnostics) {
    let at = |a: &str| AttrPath::attr("cluster_configuration").push_attr(a);
    const SUMMARY: &str = "Invalid cluster configuration";
    let parameter = (ssm_parameter_arn_ok as StringCheck, true);
    check_string(d, at("parameter_arn"), &c.parameter_arn, parameter, SUMMARY);
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
    let request = (has_request, true);
    check_string(d, at("metadata_json"), &c.metadata_json, request, SUMMARY);
    if let Some(doc) = c.metadata_json.as_str().and_then(|s| json_object(s).ok()) {
        check_metadata_overrides(d, at("metadata_json"), &doc);
        check_metadata_secrets(d, at("metadata_json"), &doc);
    }
    for (i, s) in c.secret_arns.elems().iter().enumerate() {
        let path = at("secret_arns").push_index(i);
        check_string(d, path, s, (crate::validate::secret_arn, true), SUMMARY);
    }
}

/// The configuration's `Overrides`, checked again as `emr_cluster_configuration`
/// checks its `override` blocks: the metadata may come from a data source or
/// a literal, and whoever can write it must not gain an unbounded override
/// or one that reaches a role, the network or a bootstrap script.
fn check_metadata_overrides(d: &mut Diagnostics, path: AttrPath, doc: &Json) {
    let Some(list) = doc.get("Overrides") else {
        return;
    };
    let Some(list) = list.as_array() else {
        let detail = format!("{path}: Overrides must be a list");
        return d.attr_error(path, "Invalid cluster configuration", detail);
    };
    let overrides = Planned::Known(list.iter().map(crate::emr::cluster::override_of).collect());
    let found = crate::emr::overrides::validate_overrides(&overrides, doc.get("RunJobFlow"));
    for e in found
        .iter()
        .filter(|e| e.severity == crate::tfplugin::diag::Severity::Error)
    {
        let at = e.path.as_ref().map(|p| p.to_string()).unwrap_or_default();
        let at = at.replacen("override[", "Overrides[", 1);
        let detail = format!("{path}: {at}: {} ({})", e.summary, e.detail);
        d.attr_error(path.clone(), "Invalid cluster configuration", detail);
    }
}

/// The configuration's `SecretConfigurations[].SecretArn`, from which the
/// service role's grant is built: one secret each, no wildcard.
fn check_metadata_secrets(d: &mut Diagnostics, path: AttrPath, doc: &Json) {
    let secrets = doc.get("SecretConfigurations").and_then(Json::as_array);
    for (i, s) in secrets.into_iter().flatten().enumerate() {
        let arn = s
            .get("SecretArn")
            .and_then(Json::as_str)
            .unwrap_or_default();
        if let Err(e) = crate::validate::secret_arn(arn) {
            let detail = format!("{path}: SecretConfigurations[{i}].SecretArn: {e}");
            d.attr_error(path.clone(), "Invalid cluster configuration", detail);
        }
    }
}

/// Parameters must be where the state machine runs, and a service role
/// granted the configuration's secrets must be in this account.
fn check_placement(cfg: &Model, env: &ArnScope, d: &mut Diagnostics) {
    let arns = [
        (
            "profile",
            "profile",
            cfg.profile.known().map(|p| &p.parameter_arn),
        ),
        (
            "cluster_configuration",
            "cluster configuration",
            cfg.cluster_configuration.known().map(|c| &c.parameter_arn),
        ),
    ];
    for (obj, label, arn) in arns {
        let Some(a) = arn
            .and_then(Planned::as_str)
            .and_then(crate::validate::parse_arn)
        else {
            continue;
        };
        if a.region != env.region || a.account != env.account {
            d.attr_error(
                AttrPath::attr(obj).push_attr("parameter_arn"),
                format!("The {label} is in another account or region"),
                format!("{obj}.parameter_arn: the {label}'s parameter is in {}/{}, but this provider manages {}/{}; a launch function reads its metadata in its own account and region.", a.account, a.region, env.account, env.region),
            );
        }
    }
    let Some(doc) = configuration_doc(cfg) else {
        return;
    };
    let has_secrets = doc
        .get("SecretConfigurations")
        .and_then(Json::as_array)
        .is_some_and(|a| !a.is_empty());
    let service_role = cfg
        .profile
        .known()
        .and_then(|p| p.service_role_arn.as_str());
    if let Some(a) = service_role.and_then(crate::validate::parse_arn) {
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
fn check_notifications(cfg: &Model, d: &mut Diagnostics) {
    let Some(t) = cfg.notifications.known().and_then(|n| n.topic_arn.as_str()) else {
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
fn configuration_doc(cfg: &Model) -> Option<Json> {
    let c = cfg.cluster_configuration.known()?;
    json_object(c.metadata_json.as_str()?).ok()
}

/// Cluster tags and allowed overrides against what the configuration defines.
fn check_against_configuration(cfg: &Model, d: &mut Diagnostics) {
    let Some(doc) = configuration_doc(cfg) else {
        return;
    };
    // Governed tag keys are compared case-insensitively: a cluster tag may
    // replace a configuration tag of the same key, never shadow it in
    // another case.
    let config_tags = configuration_tags(&doc);
    for k in cfg
        .cluster_tags
        .known()
        .into_iter()
        .flat_map(BTreeMap::keys)
    {
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
    // Allowed overrides must be defined by the configuration.
    let Some(allowed) = cfg.allowed_overrides.all_known() else {
        return;
    };
    if !doc.get("RunJobFlow").is_some_and(Json::is_object) {
        return;
    }
    let defined = defined_overrides(&doc);
    let have = if defined.is_empty() {
        "it defines none".to_string()
    } else {
        let names: Vec<&str> = defined.keys().map(String::as_str).collect();
        format!("it defines {}", names.join(", "))
    };
    for a in allowed.iter().filter(|a| !defined.contains_key(*a)) {
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
pub fn inputs(env: &ArnScope, st: &Model) -> Option<Inputs> {
    let (ns, n) = (st.namespace.as_str()?, st.name.as_str()?);
    let known = model::wholly_known(&st.profile)
        && model::wholly_known(&st.cluster_configuration)
        && model::wholly_known(&st.cluster_tags)
        && model::wholly_known(&st.notifications);
    let (p, c) = (st.profile.known()?, st.cluster_configuration.known()?);
    if !known {
        return None;
    }
    let text = |v: &Planned<String>| v.as_str().map(str::to_string);
    let opt = |v: &Planned<String>| text(v).filter(|s| !s.is_empty());
    let profile = ProfileRef {
        id: text(&p.id).unwrap_or_default(),
        parameter_arn: text(&p.parameter_arn)?,
        service_role: text(&p.service_role_arn)?,
        instance_role: text(&p.instance_role_arn)?,
        instance_profile: text(&p.instance_profile_arn)?,
        autoscaling_role: opt(&p.autoscaling_role_arn),
        kerberos_secret: opt(&p.kerberos_attributes_secret_arn),
        doc: json_object(p.metadata_json.as_str()?).ok()?,
    };
    let cdoc = json_object(c.metadata_json.as_str()?).ok()?;
    let secrets = cdoc.get("SecretConfigurations").and_then(Json::as_array);
    let secrets = secrets.into_iter().flatten();
    let configuration = ConfigurationRef {
        id: text(&c.id).unwrap_or_default(),
        parameter_arn: text(&c.parameter_arn)?,
        secrets: secrets
            .filter_map(|s| Some(s.get("SecretArn")?.as_str()?.to_string()))
            .collect(),
        doc: cdoc,
    };
    let notifications = st.notifications.known().and_then(|n| {
        Some(Notifications {
            topic_arn: text(&n.topic_arn)?,
            on_success: n.on_success.get_or(true),
            on_failure: n.on_failure.get_or(true),
        })
    });
    Some(Inputs {
        id: format!("{ns}/{n}"),
        resources: FunctionResources::derive(env, ns, n),
        profile,
        configuration,
        cluster_name: text(&st.cluster_name)?,
        allowed: st.allowed_overrides.all_known()?.into_iter().collect(),
        wait: st.wait_for_cluster_start.get_or(true),
        fail_if_running: st.fail_if_cluster_running.get_or(false),
        cluster_tags: st.cluster_tags.known_entries(),
        notifications,
        partition: env.partition.clone(),
    })
}

// ---------- policies (pure) ----------

impl Inputs {
    /// What the function's policies are built from.
    fn policy_subject(&self) -> Function<'_> {
        Function {
            id: &self.id,
            tag_key: FUNCTION_TAG,
            passed_roles: self.passed_roles(),
            launcher: &self.resources.launcher,
            launcher_arn: &self.resources.launcher_arn,
            has_launcher: self.has_launcher(),
            kerberos_secret: self.profile.kerberos_secret.as_deref(),
            wait: self.wait,
            fail_if_running: self.fail_if_running,
            notify_topic: self
                .notifications
                .as_ref()
                .filter(|n| n.on_success || n.on_failure)
                .map(|n| n.topic_arn.as_str()),
        }
    }
}

/// The grant on the profile's service role for the configuration's secrets.
pub fn service_role_secret_policy(i: &Inputs) -> Option<PolicyDocument> {
    let arns = i.secret_arns();
    (!arns.is_empty()).then(|| secret_grant::document(&arns))
}

/// What a user who may launch is granted (see [`launch_function::invoke_policy`]).
pub fn invoke_policy(env: &ArnScope, sm_name: &str) -> PolicyDocument {
    launch_function::invoke_policy(&Scope::from(env), sm_name)
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
    let (ns, n) = i.id.split_once('/').unwrap_or((&i.id, ""));
    let p = &i.profile;
    let mut roles = json!({
        "ServiceRole": p.service_role,
        "InstanceProfile": p.instance_profile,
        "InstanceRole": p.instance_role,
    });
    if let Some(a) = &p.autoscaling_role {
        roles["AutoScalingRole"] = json!(a);
    }
    let mut m = json!({
        "Namespace": ns,
        "Name": n,
        "StateMachineArn": i.resources.state_machine_arn,
        "RoleArn": i.resources.role_arn,
        "Profile": {"Id": p.id, "ParameterArn": p.parameter_arn},
        "ClusterConfiguration": {"Id": i.configuration.id, "ParameterArn": i.configuration.parameter_arn},
        "PassRoles": roles,
        "ClusterName": i.cluster_name,
        "AllowedOverrides": i.allowed,
        "WaitForClusterStart": i.wait,
        "FailIfClusterRunning": i.fail_if_running,
    });
    if !i.cluster_tags.is_empty() {
        m["ClusterTags"] = json!(i.cluster_tags);
    }
    if let Some(n) = &i.notifications {
        m["Notifications"] =
            json!({"TopicArn": n.topic_arn, "OnSuccess": n.on_success, "OnFailure": n.on_failure});
    }
    if i.has_launcher() {
        m["LauncherFunctionArn"] = json!(i.resources.launcher_arn);
    }
    if i.has_launcher() || !i.configuration.secrets.is_empty() {
        let mut s = json!({"SecretArns": i.secret_arns()});
        if let Some(k) = &p.kerberos_secret {
            s["KerberosAttributesSecretArn"] = json!(k);
        }
        m["Secrets"] = s;
    }
    m
}

/// Sets every computed attribute that can be known (all of them when the
/// inputs are known).
fn plan_documents(env: &ArnScope, st: &mut Model) {
    if let (Some(ns), Some(n)) = (st.namespace.as_str(), st.name.as_str()) {
        let x = FunctionResources::derive(env, ns, n);
        st.invoke_policy_json = known(invoke_policy(env, &x.state_machine).canonical());
        st.state_machine_name = known(x.state_machine);
        st.state_machine_arn = known(x.state_machine_arn);
        st.role_arn = known(x.role_arn);
    }
    // The roles never have managed policies: one attached out of band is a
    // change apply detaches.
    st.role_managed_policy_arns = PlannedList::of([]);
    let Some(i) = inputs(env, st) else {
        set_all!(st, Planned::Unknown; role_trust_policy_json, role_policy_json, definition_json,
            metadata_json, service_role_secret_policy_json);
        set_all!(st, Planned::Unknown; launcher_function_arn, launcher_role_arn,
            launcher_role_trust_policy_json, launcher_role_policy_json,
            launcher_role_managed_policy_arns, launcher_configuration_json,
            launcher_source_code_hash, launcher_launch_json);
        return;
    };
    let canonical = |j: &Json| known(crate::canonical::text(j));
    let (scope, subject) = (Scope::from(env), i.policy_subject());
    let trust = execution_trust(&scope, &i.resources.state_machine_arn);
    st.role_trust_policy_json = known(trust.canonical());
    st.role_policy_json = known(execution_policy(&scope, &subject).canonical());
    st.definition_json = canonical(&definition::definition(&i.spec()));
    st.metadata_json = canonical(&metadata_document(&i));
    st.service_role_secret_policy_json =
        service_role_secret_policy(&i).map(|d| d.canonical()).into();
    if !i.has_launcher() {
        set_all!(st, Planned::Null; launcher_function_arn, launcher_role_arn,
            launcher_role_trust_policy_json, launcher_role_policy_json,
            launcher_role_managed_policy_arns, launcher_configuration_json,
            launcher_source_code_hash, launcher_launch_json);
        return;
    }
    let launch = i.launcher_launch();
    st.launcher_function_arn = known(i.resources.launcher_arn.clone());
    st.launcher_role_arn = known(i.resources.launcher_role_arn.clone());
    st.launcher_role_trust_policy_json = known(launcher_trust(&scope).canonical());
    st.launcher_role_policy_json = known(launcher_policy(&scope, &subject).canonical());
    st.launcher_role_managed_policy_arns = PlannedList::of([]);
    st.launcher_configuration_json = canonical(&launcher_configuration(&i));
    st.launcher_source_code_hash = known(launcher::code_sha256(&launcher::package(&launch)));
    st.launcher_launch_json = canonical(&launch);
}

pub fn err(verb: &str, id: &str, msg: impl Into<String>) -> Diagnostics {
    Diagnostic::error(format!("{verb} EMR launch function ({id})"), msg.into()).into()
}

fn id_of(st: &Model) -> String {
    let part = |p: &Planned<String>| p.as_str().unwrap_or("?").to_string();
    format!("{}/{}", part(&st.namespace), part(&st.name))
}

/// Keeps the prior text when the new one means the same.
fn keep_equivalent(prior: &Planned<String>, planned: &mut Planned<String>) {
    if let (Some(p), Some(n)) = (prior.as_str(), planned.as_str()) {
        if p != n && (metadata::same(p, n) || policy::equivalent(p, n)) {
            *planned = known(p);
        }
    }
}

/// `id`, `parameter_name` and `parameter_arn` once namespace and name are known.
fn set_identity(c: &Configured, st: &mut Model) {
    let (Some(ns), Some(n)) = (st.namespace.as_str(), st.name.as_str()) else {
        return;
    };
    let env = env_of(c);
    let pname = metadata::parameter_name(&c.metadata_prefix, Kind::LaunchFunction, ns, n);
    let arn = metadata::parameter_arn(&env.partition, &env.region, &env.account, &pname);
    st.id = known(format!("{ns}/{n}"));
    st.parameter_arn = known(arn);
    st.parameter_name = known(pname);
}

/// The sizes AWS accepts: SSM's for the metadata, Step Functions' 1 MiB
/// for the definition.
fn check_sizes(plan: &Model, diags: &mut Diagnostics) {
    if let Some(Err(e)) = plan.metadata_json.as_str().map(metadata::tier_for) {
        diags.error("Launch function metadata too large", e);
    }
    if let Some(d) = plan
        .definition_json
        .as_str()
        .filter(|d| d.len() > 1_048_576)
    {
        diags.error(
            "State machine definition too large",
            format!(
                "the definition is {} bytes; Step Functions accepts 1 MiB",
                d.len()
            ),
        );
    }
}

impl LaunchFunction {
    fn plan(
        c: &Configured,
        req: &PlanRequest<'_>,
        planned: &mut Value,
        diags: &mut Diagnostics,
    ) -> Result<(), Diagnostics> {
        let env = env_of(c);
        diags.extend(validate_config(&model::decode(req.config)?, Some(&env)));
        if diags.has_errors() {
            return Ok(());
        }
        let prior: Option<Model> = model::decode(req.prior)?;
        let mut plan: Model = model::decode(planned)?;
        set_identity(c, &mut plan);
        plan_documents(&env, &mut plan);
        check_sizes(&plan, diags);
        if let Some(p) = &prior {
            macro_rules! keep {
                ($($f:ident),+) => {$( keep_equivalent(&p.$f, &mut plan.$f); )+};
            }
            keep!(
                role_trust_policy_json,
                role_policy_json,
                definition_json,
                metadata_json,
                invoke_policy_json,
                launcher_role_trust_policy_json,
                launcher_role_policy_json,
                launcher_configuration_json
            );
        }
        plan.tags_all = plan.tags.overlaid_on(&c.default_tags);
        *planned = to_value(&plan)?;
        Ok(())
    }

    /// Creates (`prior` None) or updates the function.
    async fn apply(&self, ctx: &Ctx, planned: &Value, prior: Option<&Value>) -> ApplyResult {
        let unchanged = prior.cloned().unwrap_or(Value::Null);
        let verb = if prior.is_some() {
            "updating"
        } else {
            "creating"
        };
        let decoded = self.data.get().and_then(|c| {
            let prior: Option<Model> = prior.map(model::decode).transpose()?;
            Ok((c, model::decode::<Model>(planned)?, prior))
        });
        let (c, plan, prior) = match decoded {
            Ok(x) => x,
            Err(d) => return ApplyResult::failed(unchanged, d),
        };
        let id = id_of(&plan);
        if let (None, Some(pname)) = (&prior, plan.parameter_name.as_str()) {
            if let Ok(Some(_)) = metadata::get(&c.aws.ssm, pname).await {
                let e = format!("parameter {pname} already exists; import it with: terraform import <address> {id}");
                return ApplyResult::failed(Value::Null, err(verb, &id, e));
            }
            crate::info!("creating EMR launch function", "id" => id);
        }
        let aws = FunctionAws::of(&c);
        match apply_function(&aws, &ctx.cancel, &plan, prior.as_ref()).await {
            Ok(_) => ApplyResult::ok(planned.clone()),
            // What exists is recorded: on create Terraform taints the
            // resource and destroy removes it; the next update adopts it.
            Err((st, e)) => {
                let st = st.map_or(Ok(Value::Null), |s| to_value(&s));
                ApplyResult::failed(st.unwrap_or(unchanged), err(verb, &id, e))
            }
        }
    }

    async fn refresh(&self, current: &Value) -> Result<Value, Diagnostics> {
        let c = self.data.get()?;
        let current: Model = model::decode(current)?;
        let id = id_of(&current);
        let (Some(_), Some(_), Some(pname)) = (
            current.namespace.as_str(),
            current.name.as_str(),
            current.parameter_name.as_str(),
        ) else {
            return Ok(Value::Null);
        };
        let stored = metadata::get(&c.aws.ssm, pname)
            .await
            .map_err(|e| err("reading", &id, e))?;
        let mut st = current.clone();
        if current.metadata_json.is_null() {
            // Import: rebuild the configuration from the stored metadata.
            let Some(doc) = &stored else {
                return Ok(Value::Null);
            };
            st = import_state(&c, &current, doc)
                .await
                .map_err(|e| err("importing", &id, e))?;
            plan_documents(&env_of(&c), &mut st);
        }
        match refresh(&FunctionAws::of(&c), &current, st, stored).await {
            Ok(Some(st)) => to_value(&st),
            Ok(None) => {
                crate::warn!("EMR launch function not found, removing from state", "id" => id);
                Ok(Value::Null)
            }
            Err(e) => Err(err("reading", &id, e)),
        }
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
        model::decode(config).map_or_else(|d| d, |m| validate_config(&m, None))
    }

    async fn modify_plan(
        &self,
        _ctx: &Ctx,
        req: PlanRequest<'_>,
        planned: &mut Value,
        diags: &mut Diagnostics,
    ) {
        let Ok(c) = self.data.get() else { return };
        if let Err(d) = Self::plan(&c, &req, planned, diags) {
            diags.extend(d);
        }
    }

    async fn create(&self, ctx: &Ctx, planned: &Value, _config: &Value) -> ApplyResult {
        self.apply(ctx, planned, None).await
    }

    async fn read(&self, _ctx: &Ctx, current: &Value) -> Result<Value, Diagnostics> {
        self.refresh(current).await
    }

    async fn update(
        &self,
        ctx: &Ctx,
        prior: &Value,
        planned: &Value,
        _config: &Value,
    ) -> ApplyResult {
        self.apply(ctx, planned, Some(prior)).await
    }

    async fn delete(&self, _ctx: &Ctx, prior: &Value) -> Diagnostics {
        let decoded = self
            .data
            .get()
            .and_then(|c| Ok((c, model::decode::<Model>(prior)?)));
        let (c, prior) = match decoded {
            Ok(x) => x,
            Err(d) => return d,
        };
        match delete_function(&FunctionAws::of(&c), &prior).await {
            Ok(()) => Diagnostics::new(),
            Err(e) => err("deleting", &id_of(&prior), e),
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

/// The function's settings as its stored metadata records them.
fn set_imported_settings(st: &mut Model, d: &Json) {
    let text = |v: Option<&Json>| v.and_then(Json::as_str).map(str::to_string);
    st.cluster_name = text(d.get("ClusterName")).into();
    let allowed: Vec<String> = json_strings(d.get("AllowedOverrides")).collect();
    st.allowed_overrides = match allowed.is_empty() {
        true => Planned::Null,
        false => PlannedList::of(allowed),
    };
    let flag = |k: &str, default: bool| d.get(k).and_then(Json::as_bool).unwrap_or(default);
    st.wait_for_cluster_start = Planned::Known(flag("WaitForClusterStart", true));
    st.fail_if_cluster_running = Planned::Known(flag("FailIfClusterRunning", false));
    let tags = d
        .get("ClusterTags")
        .and_then(Json::as_object)
        .into_iter()
        .flatten();
    let tags: BTreeMap<String, String> = tags
        .filter_map(|(k, v)| Some((k.clone(), text(Some(v))?)))
        .collect();
    st.cluster_tags = match tags.is_empty() {
        true => Planned::Null,
        false => PlannedMap::of(tags),
    };
    // true is the default: recorded as null, as a configuration omitting it says.
    let only_false = |v: Option<&Json>| match v.and_then(Json::as_bool) {
        Some(false) => Planned::Known(false),
        _ => Planned::Null,
    };
    st.notifications = d
        .get("Notifications")
        .map(|n| NotificationsBlock {
            topic_arn: text(n.get("TopicArn")).into(),
            on_success: only_false(n.get("OnSuccess")),
            on_failure: only_false(n.get("OnFailure")),
        })
        .into();
}

/// The configuration of an imported function, rebuilt from its metadata and
/// the profile's and configuration's parameters.
async fn import_state(c: &Configured, current: &Model, doc: &str) -> StepResult<Model> {
    let d: Json =
        serde_json::from_str(doc).map_err(|e| format!("stored metadata is not JSON: {e}"))?;
    let s = |p: &str| d.pointer(p).and_then(Json::as_str).map(str::to_string);
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
    let opt = |p: &str| Planned::from(s(p));
    let mut st = current.clone();
    st.profile = Planned::Known(ProfileAttr {
        id: opt("/Profile/Id"),
        parameter_arn: known(parn),
        service_role_arn: opt("/PassRoles/ServiceRole"),
        instance_role_arn: opt("/PassRoles/InstanceRole"),
        instance_profile_arn: opt("/PassRoles/InstanceProfile"),
        autoscaling_role_arn: known(s("/PassRoles/AutoScalingRole").unwrap_or_default()),
        kerberos_attributes_secret_arn: opt("/Secrets/KerberosAttributesSecretArn"),
        metadata_json: known(ptext),
    });
    let secrets = json_strings(d.pointer("/Secrets/SecretArns"));
    st.cluster_configuration = Planned::Known(ConfigurationAttr {
        id: opt("/ClusterConfiguration/Id"),
        parameter_arn: known(carn),
        metadata_json: known(ctext),
        secret_arns: PlannedList::of(secrets),
    });
    set_imported_settings(&mut st, &d);
    // Tags: the parameter's, minus the provider's defaults.
    let pname = st.parameter_name.as_str().unwrap_or_default().to_string();
    if let Some(tags) = crate::resources::own_parameter_tags(c, &pname).await {
        st.tags = model::decode(&tags).map_err(|d| d.to_string())?;
    }
    st.tags_all = st.tags.overlaid_on(&c.default_tags);
    Ok(st)
}

#[cfg(test)]
mod failed_update;
#[cfg(test)]
mod tests;
