//! emr_serverless_job_function: governed EMR Serverless job runs. A Step
//! Functions state machine starts job runs on exactly one application with
//! exactly one execution role, an entry point from a list, string arguments
//! and only named overrides within bounds (src/launch/job_definition.rs);
//! its execution role may do exactly that (src/iam/job_function.rs). The
//! metadata in SSM lets other workspaces find it (data source of the same
//! name); an out-of-band edit of it, of the definition or of the role shows
//! in the next plan and apply restores it.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

use crate::aws::managed_role::{self, DesiredRole, OWNER_TAG};
use crate::aws::state_machine::{
    check_adoptable, deleted, describe_state_machine, owned_tags, retried, sfn_tags,
    state_machine_tags, sync_sfn_tags,
};
use crate::configured::{Configured, ProviderData};
use crate::iam::consistency::Backoff;
use crate::iam::job_function::execution_policy;
use crate::iam::launch_function::{execution_trust, invoke_policy, state_machine_arn};
use crate::iam::{policy, PolicyDocument, Scope};
use crate::launch::job_definition::{definition, JobOverride, JobSpec};
use crate::metadata::{self, Kind};
use crate::resources::shared::or_unknown;
use crate::resources::{derived_name, env_of, split_id, ArnScope};
use crate::tfplugin::{
    model, ApplyResult, AttrPath, Attribute, Block, Ctx, Diagnostic, Diagnostics, Import,
    NestedBlock, Number, PlanRequest, Planned, PlannedList, PlannedMap, Resource, Schema, Type,
    Value,
};
use crate::validate;

pub const TYPE_NAME: &str = "emr_serverless_job_function";
const POLICY_NAME: &str = "emr-serverless-job-function";
const ROLE_DESCRIPTION: &str =
    "EMR Serverless job function role managed by Terraform (emrlaunch/emr)";
/// The longest a run may be allowed: a week.
const MAX_TIMEOUT: i64 = 10080;

pub struct JobFunction {
    data: Arc<ProviderData>,
}

impl JobFunction {
    pub fn new(data: Arc<ProviderData>) -> Self {
        JobFunction { data }
    }
}

pub fn schema() -> Schema {
    let o = Block::new()
        .desc("A Spark configuration a run may set, within bounds.")
        .attr(
            Attribute::required("name", Type::String)
                .desc("The key in the execution input's `Overrides`, e.g. `ExecutorInstances`."),
        )
        .attr(
            Attribute::required("conf", Type::String)
                .desc("The Spark configuration it sets, e.g. `spark.executor.instances`."),
        )
        .attr(Attribute::required("minimum", Type::Number).desc("Smallest value a run may give."))
        .attr(Attribute::required("maximum", Type::Number).desc("Largest value a run may give."));
    let b = Block::new()
        .desc("Governed EMR Serverless job runs: a state machine that starts runs on one application with one execution role, an allowed entry point and bounded overrides.")
        .attr(Attribute::computed("id", Type::String).keep_state().desc("`namespace/name`."))
        .attr(Attribute::required("namespace", Type::String).replace().desc("Namespace of the metadata."))
        .attr(Attribute::required("name", Type::String).replace().desc("Name of the function."))
        .attr(Attribute::required("application_id", Type::String).desc("The EMR Serverless application runs start on."))
        .attr(Attribute::required("execution_role_arn", Type::String).desc("The job runtime role every run uses."))
        .attr(Attribute::required("entry_points", Type::list(Type::String)).desc("The S3 scripts or jars a run may start."))
        .attr(Attribute::optional("spark_submit_parameters", Type::String).desc("The fixed part of every run's spark-submit parameters."))
        .attr(Attribute::optional("max_execution_timeout_minutes", Type::Number).default(Value::number(240)).desc("The longest a run may last (1 to 10080 minutes); also a run's default."))
        .attr(Attribute::optional("execution_iam_policy_json", Type::String).desc("A session policy that limits the execution role in every run."))
        .attr(Attribute::optional("log_uri", Type::String).desc("S3 prefix for every run's logs."))
        .attr(Attribute::optional("tags", Type::map(Type::String)).desc("Tags of the state machine, role and parameter."))
        .attr(Attribute::computed("tags_all", Type::map(Type::String)).desc("Tags including the provider's `default_tags`."))
        .attr(Attribute::computed("role_arn", Type::String).desc("The state machine's execution role."))
        .attr(Attribute::computed("role_trust_policy_json", Type::String).desc("Its trust: Step Functions, for this state machine only."))
        .attr(Attribute::computed("role_policy_json", Type::String).desc("Its permissions: StartJobRun on the application, PassRole of the execution role to EMR Serverless."))
        .attr(Attribute::computed("definition_json", Type::String).desc("The state machine definition."))
        .attr(Attribute::computed("unmanaged_policies", Type::set(Type::String)).desc("Policies and settings on the role this function did not write; apply removes them."))
        .block(NestedBlock::list("override", o));
    Schema::new(crate::resources::launch_function::identity_attrs(b))
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Model {
    pub id: Planned<String>,
    pub namespace: Planned<String>,
    pub name: Planned<String>,
    pub application_id: Planned<String>,
    pub execution_role_arn: Planned<String>,
    pub entry_points: PlannedList<String>,
    pub spark_submit_parameters: Planned<String>,
    pub max_execution_timeout_minutes: Planned<Number>,
    pub execution_iam_policy_json: Planned<String>,
    pub log_uri: Planned<String>,
    pub tags: PlannedMap<String>,
    pub tags_all: PlannedMap<String>,
    pub role_arn: Planned<String>,
    pub role_trust_policy_json: Planned<String>,
    pub role_policy_json: Planned<String>,
    pub definition_json: Planned<String>,
    pub unmanaged_policies: PlannedList<String>,
    pub parameter_name: Planned<String>,
    pub parameter_arn: Planned<String>,
    pub metadata_json: Planned<String>,
    pub state_machine_arn: Planned<String>,
    pub invoke_policy_json: Planned<String>,
    #[serde(rename = "override")]
    pub overrides: Planned<Vec<OverrideBlock>>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct OverrideBlock {
    pub name: Planned<String>,
    pub conf: Planned<String>,
    pub minimum: Planned<Number>,
    pub maximum: Planned<Number>,
}

fn to_value(m: &Model) -> Result<Value, Diagnostics> {
    model::encode_block(m, &schema().block)
}

/// The names and ARNs of what a function creates, from namespace and name.
#[derive(Clone, Debug, PartialEq)]
pub struct JobFunctionNames {
    pub state_machine: String,
    pub state_machine_arn: String,
    pub role: String,
    pub role_arn: String,
}

impl JobFunctionNames {
    pub fn derive(env: &ArnScope, namespace: &str, name: &str) -> JobFunctionNames {
        let state_machine = derived_name(namespace, name, "-emr-job", 80);
        let role = derived_name(namespace, name, "-emr-job-fn", 64);
        JobFunctionNames {
            state_machine_arn: state_machine_arn(&Scope::from(env), &state_machine),
            role_arn: format!("arn:{}:iam::{}:role/{role}", env.partition, env.account),
            state_machine,
            role,
        }
    }
}

pub fn owner_of(id: &str) -> String {
    format!("{TYPE_NAME}/{id}")
}

// ---------- validation ----------

fn application_id(s: &str) -> Result<(), String> {
    let ok = |b: u8| b.is_ascii_digit() || b.is_ascii_lowercase();
    match !s.is_empty() && s.len() <= 64 && s.bytes().all(ok) {
        true => Ok(()),
        false => Err(format!(
            "{s:?} is not an EMR Serverless application id (lower-case letters and digits)."
        )),
    }
}

fn entry_point(s: &str) -> Result<(), String> {
    validate::s3_object_uri(s)?;
    match s.contains('*') {
        true => Err(format!("{s:?} has a wildcard; list each entry point.")),
        false => Ok(()),
    }
}

fn override_name(s: &str) -> Result<(), String> {
    let first = s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    let rest = s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    match first && rest && s.len() <= 64 {
        true => Ok(()),
        false => Err(format!(
            "{s:?} is not an override name (a letter, then letters, digits or _; at most 64)."
        )),
    }
}

fn spark_conf(s: &str) -> Result<(), String> {
    let ok = |b: u8| b.is_ascii_alphanumeric() || b"._-".contains(&b);
    match s.starts_with("spark.") && s.len() <= 256 && s.bytes().all(ok) {
        true => Ok(()),
        false => Err(format!(
            "{s:?} is not a Spark configuration key (spark.<name>, letters, digits, . _ -)."
        )),
    }
}

fn session_policy(s: &str) -> Result<(), String> {
    PolicyDocument::parse(s).map_err(|e| format!("not an IAM policy document: {e}"))?;
    match s.len() <= 2048 {
        true => Ok(()),
        false => Err("a session policy is at most 2048 characters.".into()),
    }
}

fn check(cfg: &Model) -> Diagnostics {
    let mut d = Diagnostics::new();
    let p = AttrPath::parse_dotted;
    type Rule = fn(&str) -> Result<(), String>;
    let ns_rule: Rule = |s| metadata::check_segment("namespace", s);
    let name_rule: Rule = |s| metadata::check_segment("name", s);
    let log_rule: Rule = |s| validate::s3_uri(s).map(drop);
    let mut rules: Vec<(&str, Option<&str>, Rule)> = vec![
        ("namespace", cfg.namespace.as_str(), ns_rule),
        ("name", cfg.name.as_str(), name_rule),
        (
            "application_id",
            cfg.application_id.as_str(),
            application_id,
        ),
        (
            "execution_role_arn",
            cfg.execution_role_arn.as_str(),
            validate::iam_role_arn,
        ),
        (
            "execution_iam_policy_json",
            cfg.execution_iam_policy_json.as_str(),
            session_policy,
        ),
        ("log_uri", cfg.log_uri.as_str(), log_rule),
    ];
    for e in cfg.entry_points.known_elems() {
        rules.push(("entry_points", Some(e.as_str()), entry_point));
    }
    for o in cfg.overrides.elems() {
        rules.push(("override.name", o.name.as_str(), override_name));
        rules.push(("override.conf", o.conf.as_str(), spark_conf));
    }
    for (at, v, rule) in rules {
        if let Some(Err(msg)) = v.map(rule) {
            d.attr_error(p(at), "Invalid job function setting", msg);
        }
    }
    if cfg.entry_points.known().is_some_and(Vec::is_empty) {
        d.attr_error(
            p("entry_points"),
            "No entry point",
            "list at least one entry point.",
        );
    }
    let mut seen = BTreeSet::new();
    for e in cfg.entry_points.known_elems() {
        if !seen.insert(e) {
            d.attr_error(
                p("entry_points"),
                "Duplicate entry point",
                format!("{e:?} is listed twice."),
            );
        }
    }
    if cfg
        .spark_submit_parameters
        .as_str()
        .is_some_and(|s| s.trim().is_empty())
    {
        let msg = "spark_submit_parameters must not be blank; leave it out instead.";
        d.attr_error(p("spark_submit_parameters"), "Blank parameters", msg);
    }
    let timeout = cfg.max_execution_timeout_minutes.known();
    if timeout.is_some_and(|t| !t.to_i64().is_some_and(|i| (1..=MAX_TIMEOUT).contains(&i))) {
        let msg = "max_execution_timeout_minutes must be a whole number from 1 to 10080.";
        d.attr_error(p("max_execution_timeout_minutes"), "Invalid timeout", msg);
    }
    check_overrides(&mut d, cfg);
    let tags = cfg.tags.known().into_iter().flatten();
    for (k, _) in tags.filter(|(k, _)| k.to_ascii_lowercase().starts_with("emr-launch:")) {
        let msg =
            format!("tag {k:?}: the emr-launch: prefix is reserved for the provider's own tags.");
        d.attr_error(p("tags"), "Reserved tag key", msg);
    }
    d
}

fn check_overrides(d: &mut Diagnostics, cfg: &Model) {
    let p = AttrPath::parse_dotted;
    let (mut names, mut confs) = (BTreeSet::new(), BTreeSet::new());
    for o in cfg.overrides.elems() {
        if let Some(n) = o.name.as_str().filter(|n| !names.insert(n.to_string())) {
            d.attr_error(
                p("override.name"),
                "Duplicate override",
                format!("override {n:?} is defined twice."),
            );
        }
        if let Some(c) = o.conf.as_str().filter(|c| !confs.insert(c.to_string())) {
            d.attr_error(
                p("override.conf"),
                "Duplicate override",
                format!("{c:?} is set by two overrides."),
            );
        }
        let (min, max) = (o.minimum.known(), o.maximum.known());
        let num = |n: Option<&Number>| n.and_then(Number::to_f64_exact);
        if let (Some(lo), Some(hi)) = (num(min), num(max)) {
            if lo > hi {
                let msg = format!("minimum {lo} is above maximum {hi}.");
                d.attr_error(p("override.minimum"), "Empty bounds", msg);
            }
        }
        if let Some(c) = o.conf.as_str() {
            let fixed = cfg.spark_submit_parameters.as_str().unwrap_or_default();
            if fixed.contains(&format!("{c}=")) {
                let msg = format!(
                    "{c} is already set by spark_submit_parameters; a run could not change it."
                );
                d.attr_error(p("override.conf"), "Override of a fixed setting", msg);
            }
        }
    }
}

pub fn validate_config(cfg: &Value) -> Diagnostics {
    model::decode(cfg).map_or_else(|d| d, |m| check(&m))
}

// ---------- documents (pure) ----------

fn to_json_number(n: &Number) -> Option<serde_json::Number> {
    n.as_str().parse().ok()
}

/// The definition's inputs, when every one is known.
pub fn spec_of(st: &Model, env: &ArnScope) -> Option<JobSpec> {
    let text = |p: &Planned<String>| match p {
        Planned::Unknown => None,
        p => Some(p.as_str().map(str::to_string)),
    };
    let mut overrides = Vec::new();
    for o in st.overrides.known()? {
        overrides.push(JobOverride {
            name: o.name.as_str()?.to_string(),
            conf: o.conf.as_str()?.to_string(),
            minimum: to_json_number(o.minimum.known()?)?,
            maximum: to_json_number(o.maximum.known()?)?,
        });
    }
    let (ns, n) = (st.namespace.as_str()?, st.name.as_str()?);
    Some(JobSpec {
        partition: env.partition.clone(),
        application_id: st.application_id.as_str()?.to_string(),
        execution_role_arn: st.execution_role_arn.as_str()?.to_string(),
        entry_points: st.entry_points.all_known()?,
        spark_submit_parameters: text(&st.spark_submit_parameters)?,
        overrides,
        max_timeout_minutes: st.max_execution_timeout_minutes.known()?.to_i64()?,
        execution_iam_policy: text(&st.execution_iam_policy_json)?,
        log_uri: text(&st.log_uri)?,
        default_name: format!("{ns}-{n}"),
    })
}

/// The metadata document stored in SSM: everything the function is.
pub fn metadata_document(s: &JobSpec, names: &JobFunctionNames, ns: &str, n: &str) -> Json {
    let overrides: Vec<Json> = s
        .overrides
        .iter()
        .map(
            |o| json!({"Name": o.name, "Conf": o.conf, "Minimum": o.minimum, "Maximum": o.maximum}),
        )
        .collect();
    let mut m = json!({
        "Namespace": ns,
        "Name": n,
        "StateMachineArn": names.state_machine_arn,
        "RoleArn": names.role_arn,
        "ApplicationId": s.application_id,
        "ExecutionRoleArn": s.execution_role_arn,
        "EntryPoints": s.entry_points,
        "AllowedOverrides": overrides,
        "MaxExecutionTimeoutMinutes": s.max_timeout_minutes,
    });
    let optional = [
        ("SparkSubmitParameters", &s.spark_submit_parameters),
        ("ExecutionIamPolicy", &s.execution_iam_policy),
        ("LogUri", &s.log_uri),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            m[k] = json!(v);
        }
    }
    m
}

/// Every computed document, known where its inputs are.
fn plan_documents(c: &Configured, st: &mut Model) {
    let env = env_of(c);
    let scope = Scope::from(&env);
    let (Some(ns), Some(n)) = (st.namespace.as_str(), st.name.as_str()) else {
        return;
    };
    let (ns, n) = (ns.to_string(), n.to_string());
    let names = JobFunctionNames::derive(&env, &ns, &n);
    let pname = metadata::parameter_name(&c.metadata_prefix, Kind::ServerlessJobFunction, &ns, &n);
    st.id = Planned::Known(format!("{ns}/{n}"));
    st.parameter_arn = Planned::Known(metadata::parameter_arn(
        &env.partition,
        &env.region,
        &env.account,
        &pname,
    ));
    st.parameter_name = Planned::Known(pname);
    st.state_machine_arn = Planned::Known(names.state_machine_arn.clone());
    st.role_arn = Planned::Known(names.role_arn.clone());
    st.role_trust_policy_json =
        Planned::Known(execution_trust(&scope, &names.state_machine_arn).canonical());
    st.invoke_policy_json = Planned::Known(invoke_policy(&scope, &names.state_machine).canonical());
    let policy = st
        .application_id
        .as_str()
        .zip(st.execution_role_arn.as_str())
        .map(|(a, r)| execution_policy(&scope, a, r).canonical());
    st.role_policy_json = or_unknown(policy);
    let spec = spec_of(st, &env);
    st.definition_json = or_unknown(
        spec.as_ref()
            .map(|s| crate::canonical::text(&definition(s))),
    );
    let md = spec.map(|s| crate::canonical::text(&metadata_document(&s, &names, &ns, &n)));
    st.metadata_json = or_unknown(md);
    st.unmanaged_policies = Planned::Known(vec![]);
}

fn err(verb: &str, id: &str, msg: impl Into<String>) -> Diagnostics {
    Diagnostic::error(
        format!("{verb} EMR Serverless job function ({id})"),
        msg.into(),
    )
    .into()
}

// ---------- AWS ----------

fn desired_role(st: &Model, names: &JobFunctionNames, owner: &str) -> DesiredRole {
    let text = |p: &Planned<String>| p.get_or(String::new());
    let mut r = DesiredRole::new(&names.role, owner, text(&st.role_trust_policy_json));
    r.description = Some(ROLE_DESCRIPTION.to_string());
    r.inline
        .insert(POLICY_NAME.to_string(), text(&st.role_policy_json));
    r.tags = st.tags_all.known_entries();
    r
}

/// Why an apply stopped, and whether nothing of ours exists.
struct Stopped {
    message: String,
    nothing_created: bool,
}

impl From<String> for Stopped {
    fn from(message: String) -> Stopped {
        Stopped {
            message,
            nothing_created: false,
        }
    }
}

/// Role, then state machine, then metadata: each made to match `st`.
async fn put_all(c: &Configured, ctx: &Ctx, st: &Model, adopt: bool) -> Result<(), Stopped> {
    let env = env_of(c);
    let (ns, n) = (
        st.namespace.get_or(String::new()),
        st.name.get_or(String::new()),
    );
    let names = JobFunctionNames::derive(&env, &ns, &n);
    let owner = owner_of(&format!("{ns}/{n}"));
    let want = desired_role(st, &names, &owner);
    managed_role::reconcile(&c.aws.iam, &want, adopt)
        .await
        .map_err(|e| Stopped {
            nothing_created: !e.exists || e.foreign,
            message: e.message,
        })?;
    let def = st
        .definition_json
        .as_str()
        .ok_or("the definition is unknown at apply".to_string())?;
    let sfn = &c.aws.sfn;
    let backoff = Backoff::default();
    let tags = owned_tags(&st.tags_all.known_entries(), &owner);
    let arn = &names.state_machine_arn;
    match describe_state_machine(sfn, arn).await? {
        None => {
            let what = format!("creating state machine {}", names.state_machine);
            let create = || {
                sfn.create_state_machine()
                    .name(&names.state_machine)
                    .definition(def)
                    .role_arn(&names.role_arn)
                    .r#type(aws_sdk_sfn::types::StateMachineType::Standard)
                    .set_tags(Some(sfn_tags(&tags)))
                    .send()
            };
            retried(&backoff, &ctx.cancel, &what, create).await?;
        }
        Some((have_def, have_role)) => {
            let have_tags = state_machine_tags(sfn, arn).await?;
            let what = format!("state machine {}", names.state_machine);
            check_adoptable(&what, &have_tags, &owner, adopt, "job function")?;
            if !metadata::same(&have_def, def) || have_role != names.role_arn {
                let update = || {
                    sfn.update_state_machine()
                        .state_machine_arn(arn)
                        .definition(def)
                        .role_arn(&names.role_arn)
                        .send()
                };
                retried(&backoff, &ctx.cancel, "updating state machine", update).await?;
            }
            sync_sfn_tags(sfn, arn, &have_tags, &tags).await?;
        }
    }
    let pname = st.parameter_name.get_or(String::new());
    let md = st.metadata_json.get_or(String::new());
    let description = format!("EMR Serverless job function {ns}/{n} (managed by Terraform)");
    metadata::put(
        &c.aws.ssm,
        &pname,
        &md,
        &description,
        &st.tags_all.known_entries(),
    )
    .await
    .map_err(|e| format!("writing metadata {pname}: {e}"))?;
    Ok(())
}

/// The recorded text while the remote one means the same, else the remote
/// one ("" when it is gone), so the plan shows the drift.
fn observed_text(recorded: &Planned<String>, remote: Option<&str>) -> Planned<String> {
    match (remote, recorded.as_str()) {
        (None, _) => Planned::Known(String::new()),
        (Some(r), Some(p)) if metadata::same(p, r) || policy::equivalent(p, r) => p.into(),
        (Some(r), _) => Planned::Known(r.to_string()),
    }
}

/// The configuration an import takes from the stored metadata.
fn import_from_metadata(st: &mut Model, doc: &str) -> Result<(), String> {
    let m: Json =
        serde_json::from_str(doc).map_err(|e| format!("stored metadata is not JSON: {e}"))?;
    let s = |k: &str| Planned::from(m.get(k).and_then(Json::as_str).map(str::to_string));
    let number = |v: Option<&Json>| {
        v.map(|x| x.to_string())
            .and_then(|t| Number::parse(&t).ok())
            .map_or(Planned::Null, Planned::Known)
    };
    st.application_id = s("ApplicationId");
    st.execution_role_arn = s("ExecutionRoleArn");
    st.spark_submit_parameters = s("SparkSubmitParameters");
    st.execution_iam_policy_json = s("ExecutionIamPolicy");
    st.log_uri = s("LogUri");
    st.max_execution_timeout_minutes = number(m.get("MaxExecutionTimeoutMinutes"));
    let list = m
        .get("EntryPoints")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    st.entry_points = PlannedList::of(list.iter().filter_map(|e| e.as_str().map(str::to_string)));
    let overrides = m
        .get("AllowedOverrides")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let blocks: Vec<OverrideBlock> = overrides
        .iter()
        .map(|o| OverrideBlock {
            name: Planned::from(o.get("Name").and_then(Json::as_str).map(str::to_string)),
            conf: Planned::from(o.get("Conf").and_then(Json::as_str).map(str::to_string)),
            minimum: number(o.get("Minimum")),
            maximum: number(o.get("Maximum")),
        })
        .collect();
    st.overrides = match blocks.is_empty() {
        true => Planned::Null,
        false => Planned::Known(blocks),
    };
    Ok(())
}

async fn read_state(c: &Configured, current: Model) -> Result<Option<Model>, String> {
    let (Some(ns), Some(n)) = (current.namespace.as_str(), current.name.as_str()) else {
        return Ok(None);
    };
    let env = env_of(c);
    let names = JobFunctionNames::derive(&env, ns, n);
    let pname = metadata::parameter_name(&c.metadata_prefix, Kind::ServerlessJobFunction, ns, n);
    let (sm, role, md) = tokio::join!(
        describe_state_machine(&c.aws.sfn, &names.state_machine_arn),
        managed_role::read(&c.aws.iam, &names.role, None),
        metadata::get(&c.aws.ssm, &pname),
    );
    let (sm, role, md) = (sm?, role?, md?);
    if sm.is_none() && role.is_none() && md.is_none() {
        crate::warn!("EMR Serverless job function not found, removing from state", "id" => format!("{ns}/{n}"));
        return Ok(None);
    }
    let mut st = current.clone();
    if st.application_id.is_null() {
        let doc = md
            .as_deref()
            .ok_or_else(|| format!("no metadata at {pname} to import from"))?;
        import_from_metadata(&mut st, doc)?;
        st.parameter_name = Planned::Known(pname.clone());
        let tags = role.as_ref().map(|r| r.user_tags()).unwrap_or_default();
        let own = tags
            .iter()
            .filter(|(k, v)| c.default_tags.get(*k) != Some(*v));
        let own = PlannedMap::of(own.map(|(k, v)| (k.clone(), v.clone())));
        st.tags = match own.known().is_some_and(|m| m.is_empty()) {
            true => Planned::Null,
            false => own,
        };
        plan_documents(c, &mut st);
    }
    st.definition_json = observed_text(&st.definition_json, sm.as_ref().map(|(d, _)| d.as_str()));
    if let Some((_, have_role)) = &sm {
        st.role_arn = Planned::Known(have_role.clone());
    }
    st.metadata_json = observed_text(&st.metadata_json, md.as_deref());
    let policy = role
        .as_ref()
        .and_then(|r| r.inline.get(POLICY_NAME))
        .map(String::as_str);
    st.role_policy_json = observed_text(&st.role_policy_json, policy);
    st.role_trust_policy_json = observed_text(
        &st.role_trust_policy_json,
        role.as_ref().map(|r| r.trust.as_str()),
    );
    if let Some(r) = &role {
        let want = desired_role(&st, &names, &owner_of(&format!("{ns}/{n}")));
        let mut found = r.unmanaged(&want);
        found.extend(r.settings_drift(&want));
        st.unmanaged_policies = PlannedList::of(found);
        st.tags_all = PlannedMap::of(r.user_tags());
    }
    Ok(Some(st))
}

async fn delete_all(c: &Configured, prior: &Model) -> Result<(), String> {
    let (ns, n) = (
        prior.namespace.get_or(String::new()),
        prior.name.get_or(String::new()),
    );
    let env = env_of(c);
    let names = JobFunctionNames::derive(&env, &ns, &n);
    let owner = owner_of(&format!("{ns}/{n}"));
    let sfn = &c.aws.sfn;
    if describe_state_machine(sfn, &names.state_machine_arn)
        .await?
        .is_some()
    {
        // Only ours: one of this name made by anything else (a create that
        // failed on it records the function) is left alone.
        let tags = state_machine_tags(sfn, &names.state_machine_arn).await?;
        if tags.get(OWNER_TAG).map(String::as_str) == Some(owner.as_str()) {
            let r = sfn
                .delete_state_machine()
                .state_machine_arn(&names.state_machine_arn)
                .send()
                .await;
            deleted("deleting state machine", r)?;
        } else {
            crate::warn!("state machine of this name is not this job function's; left in place", "arn" => names.state_machine_arn.as_str());
        }
    }
    // The role is always tagged as ours: an untagged one is not adopted.
    managed_role::delete(&c.aws.iam, &names.role, &owner, None, false).await?;
    let pname = metadata::parameter_name(&c.metadata_prefix, Kind::ServerlessJobFunction, &ns, &n);
    metadata::delete(&c.aws.ssm, &pname).await
}

// ---------- the resource ----------

impl JobFunction {
    fn plan(
        c: &Configured,
        req: &PlanRequest<'_>,
        planned: &mut Value,
    ) -> Result<Diagnostics, Diagnostics> {
        let cfg: Model = model::decode(req.config)?;
        let d = check(&cfg);
        if d.has_errors() {
            return Ok(d);
        }
        let prior: Option<Model> = model::decode(req.prior)?;
        let mut plan: Model = model::decode(planned)?;
        plan.tags_all = plan.tags.overlaid_on(&c.default_tags);
        plan_documents(c, &mut plan);
        let mut d = d;
        if let Some(Err(e)) = plan.metadata_json.as_str().map(metadata::tier_for) {
            d.error("Job function metadata too large", e);
        }
        if let Some(p) = &prior {
            for (was, now) in [
                (&p.definition_json, &mut plan.definition_json),
                (&p.metadata_json, &mut plan.metadata_json),
                (&p.role_policy_json, &mut plan.role_policy_json),
                (&p.role_trust_policy_json, &mut plan.role_trust_policy_json),
                (&p.invoke_policy_json, &mut plan.invoke_policy_json),
            ] {
                if let (Some(a), Some(b)) = (was.as_str(), now.as_str()) {
                    if a != b && !a.is_empty() && (metadata::same(a, b) || policy::equivalent(a, b))
                    {
                        *now = was.clone();
                    }
                }
            }
        }
        *planned = to_value(&plan)?;
        Ok(d)
    }

    async fn apply(&self, ctx: &Ctx, planned: &Value, prior: Option<&Value>) -> ApplyResult {
        let unchanged = prior.cloned().unwrap_or(Value::Null);
        let verb = if prior.is_some() {
            "updating"
        } else {
            "creating"
        };
        let decoded = self
            .data
            .get()
            .and_then(|c| Ok((c, model::decode::<Model>(planned)?)));
        let (c, st) = match decoded {
            Ok(x) => x,
            Err(d) => return ApplyResult::failed(unchanged, d),
        };
        let id = st.id.get_or(String::new());
        crate::info!("applying EMR Serverless job function", "id" => id.as_str(), "verb" => verb);
        match put_all(&c, ctx, &st, prior.is_some()).await {
            Ok(()) => match to_value(&st) {
                Ok(v) => ApplyResult::ok(v),
                Err(d) => ApplyResult::failed(unchanged, d),
            },
            // A create that made nothing records nothing.
            Err(e) if prior.is_none() && e.nothing_created => {
                ApplyResult::failed(Value::Null, err(verb, &id, e.message))
            }
            // A failed create is recorded (tainted) so destroy cleans up; a
            // failed update keeps the prior state, and the next refresh
            // shows what AWS has.
            Err(e) => {
                let state = match prior {
                    Some(p) => p.clone(),
                    None => planned.clone(),
                };
                ApplyResult::failed(state, err(verb, &id, e.message))
            }
        }
    }
}

#[async_trait]
impl Resource for JobFunction {
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
        diags.extend(Self::plan(&c, &req, planned).unwrap_or_else(|d| d));
    }

    async fn create(&self, ctx: &Ctx, planned: &Value, _config: &Value) -> ApplyResult {
        self.apply(ctx, planned, None).await
    }

    async fn read(&self, _ctx: &Ctx, current: &Value) -> Result<Value, Diagnostics> {
        let c = self.data.get()?;
        let current: Model = model::decode(current)?;
        let id = current.id.get_or(String::new());
        match read_state(&c, current).await {
            Ok(Some(st)) => to_value(&st),
            Ok(None) => Ok(Value::Null),
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
        match delete_all(&c, &prior).await {
            Ok(()) => Diagnostics::new(),
            Err(e) => err("deleting", &prior.id.get_or(String::new()), e),
        }
    }

    fn importer(&self) -> Option<&dyn Import> {
        Some(self)
    }
}

#[async_trait]
impl Import for JobFunction {
    /// `namespace/name`; the rest comes from the stored metadata.
    async fn import(&self, _ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        let (ns, n) = split_id(id)?;
        to_value(&Model {
            id: id.into(),
            namespace: ns.into(),
            name: n.into(),
            ..Model::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_is_the_schema() {
        assert_eq!(
            model::model_paths::<Model>(),
            model::schema_paths(&schema().block)
        );
    }

    fn config() -> Model {
        Model {
            namespace: "acme".into(),
            name: "nightly-etl".into(),
            application_id: "00f1abcdef".into(),
            execution_role_arn: "arn:aws:iam::123456789012:role/acme-job".into(),
            entry_points: PlannedList::of(["s3://acme/jobs/etl.py".to_string()]),
            max_execution_timeout_minutes: Planned::Known(Number::from_i64(240)),
            overrides: Planned::Known(vec![OverrideBlock {
                name: "ExecutorInstances".into(),
                conf: "spark.executor.instances".into(),
                minimum: Planned::Known(Number::from_i64(1)),
                maximum: Planned::Known(Number::from_i64(50)),
            }]),
            ..Model::default()
        }
    }

    fn problems(f: impl FnOnce(&mut Model)) -> String {
        let mut m = config();
        f(&mut m);
        check(&m).to_string()
    }

    #[test]
    fn invalid_settings_name_their_attribute() {
        assert_eq!(problems(|_| {}), Diagnostics::new().to_string());
        type Case = (Box<dyn FnOnce(&mut Model)>, &'static str);
        let cases: Vec<Case> = vec![
            (
                Box::new(|m| m.application_id = "App-1".into()),
                "application id",
            ),
            (
                Box::new(|m| {
                    m.tags = PlannedMap::of([("EMR-Launch:owner".to_string(), "x".to_string())])
                }),
                "reserved",
            ),
            (
                Box::new(|m| m.execution_role_arn = "arn:aws:iam::123456789012:role/*".into()),
                "not an IAM role ARN",
            ),
            (
                Box::new(|m| m.entry_points = PlannedList::of(["s3://acme/jobs/*.py".to_string()])),
                "wildcard",
            ),
            (
                Box::new(|m| m.entry_points = PlannedList::of(Vec::<String>::new())),
                "at least one",
            ),
            (
                Box::new(|m| m.max_execution_timeout_minutes = Planned::Known(Number::from_i64(0))),
                "1 to 10080",
            ),
            (
                Box::new(|m| m.execution_iam_policy_json = "not json".into()),
                "policy",
            ),
            (
                Box::new(|m| {
                    m.spark_submit_parameters = "--conf spark.executor.instances=4".into()
                }),
                "already set",
            ),
            (
                Box::new(|m| {
                    if let Planned::Known(o) = &mut m.overrides {
                        o[0].minimum = Planned::Known(Number::from_i64(60));
                    }
                }),
                "above maximum",
            ),
            (
                Box::new(|m| {
                    if let Planned::Known(o) = &mut m.overrides {
                        o[0].conf = "executor.instances".into();
                    }
                }),
                "Spark configuration key",
            ),
        ];
        for (f, want) in cases {
            let got = problems(f);
            assert!(got.contains(want), "want {want:?} in {got}");
        }
    }

    #[test]
    fn names_are_derived_and_fit() {
        let env = ArnScope {
            partition: "aws".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
        };
        let n = JobFunctionNames::derive(&env, "acme", "nightly-etl");
        assert_eq!(n.state_machine, "acme-nightly-etl-emr-job");
        assert_eq!(n.role, "acme-nightly-etl-emr-job-fn");
        assert_eq!(
            n.state_machine_arn,
            "arn:aws:states:us-east-1:123456789012:stateMachine:acme-nightly-etl-emr-job"
        );
        let long = JobFunctionNames::derive(&env, &"n".repeat(60), &"x".repeat(60));
        assert!(long.role.len() <= 64 && long.state_machine.len() <= 80);
    }

    #[test]
    fn import_reads_back_what_the_metadata_says() {
        let env = ArnScope {
            partition: "aws".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
        };
        let cfg = config();
        let spec = spec_of(&cfg, &env).unwrap();
        let names = JobFunctionNames::derive(&env, "acme", "nightly-etl");
        let doc = metadata_document(&spec, &names, "acme", "nightly-etl").to_string();
        let mut st = Model {
            namespace: "acme".into(),
            name: "nightly-etl".into(),
            ..Model::default()
        };
        import_from_metadata(&mut st, &doc).unwrap();
        assert_eq!(spec_of(&st, &env), Some(spec));
    }
}
