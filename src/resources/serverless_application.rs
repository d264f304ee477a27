//! emr_serverless_application (seed 004, and applications for seed 003).
//! find → status → wait: one `find` maps NotFound and TERMINATED to "gone";
//! waiters poll with honest timeouts and report the API's state details. A
//! STARTED application is stopped, updated and started again.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_emrserverless::types::{
    Application, ApplicationState, Architecture, AutoStartConfig, AutoStopConfig,
    IdentityCenterConfigurationInput, ImageConfigurationInput, InitialCapacityConfig,
    InteractiveConfiguration, JobLevelCostAllocationConfiguration, MaximumAllowedResources,
    NetworkConfiguration, WorkerResourceConfig, WorkerTypeSpecificationInput,
};
use aws_sdk_emrserverless::Client as EmrServerless;
use serde::{Deserialize, Serialize};

use crate::aws::errors::describe;
use crate::configured::{Configured, ProviderData};
use crate::emr::runtime_configuration;
use crate::emr::serverless_settings::{self as settings, Monitoring, Scheduler, SchedulerChange};
use crate::tfplugin::{
    model, ApplyResult, AttrPath, Attribute, Block, Ctx, Diagnostic, Diagnostics, Import,
    NestedBlock, Number, PlanRequest, Planned, PlannedList, PlannedMap, Resource, Schema, Type,
    Value,
};
use crate::validate::parse_duration;

const TYPE_NAME: &str = "emr_serverless_application";
/// Trusted identity propagation needs this release or later (seed 004).
const TIP_MIN_RELEASE: (u32, u32, u32) = (7, 8, 0);
const WORKER_TYPES: [(&str, &str); 4] = [
    ("DRIVER", "Driver"),
    ("EXECUTOR", "Executor"),
    ("HIVE_DRIVER", "HiveDriver"),
    ("TEZ_TASK", "TezTask"),
];

pub struct ServerlessApplication {
    data: Arc<ProviderData>,
}

impl ServerlessApplication {
    pub fn new(data: Arc<ProviderData>) -> Self {
        ServerlessApplication { data }
    }
}

fn interactive_block() -> Block {
    Block::new()
        .attr(
            Attribute::optional("livy_endpoint_enabled", Type::Bool)
                .default(Value::Bool(false))
                .desc("Apache Livy endpoint."),
        )
        .attr(
            Attribute::optional("studio_enabled", Type::Bool)
                .default(Value::Bool(false))
                .desc("EMR Studio access."),
        )
        .attr(
            Attribute::optional("session_enabled", Type::Bool)
                .default(Value::Bool(false))
                .desc("Interactive sessions through the StartSession API."),
        )
}

fn timeouts_block() -> Block {
    Block::new()
        .desc("How long to wait for the application (durations like `30s`, `10m`, `1h`).")
        .attr(Attribute::optional("create", Type::String).desc("Defaults to 10m."))
        .attr(
            Attribute::optional("update", Type::String)
                .desc("Defaults to 10m (stop, update and start)."),
        )
        .attr(Attribute::optional("delete", Type::String).desc("Defaults to 10m."))
}

pub fn schema() -> Schema {
    let capacity = Block::new()
        .attr(
            Attribute::required("worker_type", Type::String)
                .desc("DRIVER or EXECUTOR (Spark); HIVE_DRIVER or TEZ_TASK (Hive)."),
        )
        .attr(Attribute::required("worker_count", Type::Number).desc("Workers kept initialised."))
        .attr(Attribute::required("cpu", Type::String).desc("Per worker, e.g. `4 vCPU`."))
        .attr(Attribute::required("memory", Type::String).desc("Per worker, e.g. `16 GB`."))
        .attr(Attribute::optional("disk", Type::String).desc("Per worker, e.g. `20 GB`."));
    let maximum = Block::new()
        .attr(Attribute::required("cpu", Type::String).desc("Total, e.g. `200 vCPU`."))
        .attr(Attribute::required("memory", Type::String).desc("Total, e.g. `800 GB`."))
        .attr(Attribute::optional("disk", Type::String).desc("Total, e.g. `1000 GB`."));
    let network = Block::new()
        .attr(
            Attribute::required("subnet_ids", Type::list(Type::String))
                .desc("Subnets of the workers."),
        )
        .attr(
            Attribute::required("security_group_ids", Type::list(Type::String))
                .desc("Security groups of the workers."),
        );
    let identity = Block::new()
        .desc("Trusted identity propagation through IAM Identity Center (seed 004): SPARK, emr-7.8.0 or later, Livy endpoint enabled.")
        .attr(Attribute::required("instance_arn", Type::String).desc("Identity Center instance ARN."))
        .attr(Attribute::optional("user_background_sessions_enabled", Type::Bool).default(Value::Bool(false)).desc("Let sessions continue after the user signs out."));
    let worker_image = Block::new()
        .attr(
            Attribute::required("worker_type", Type::String)
                .desc("DRIVER or EXECUTOR (Spark); HIVE_DRIVER or TEZ_TASK (Hive)."),
        )
        .attr(
            Attribute::required("image_uri", Type::String)
                .desc("Amazon ECR image for this worker type."),
        );
    Schema::new(
        Block::new()
            .desc("An EMR Serverless application.")
            .attr(
                Attribute::computed("id", Type::String)
                    .keep_state()
                    .desc("The application id."),
            )
            .attr(
                Attribute::computed("arn", Type::String)
                    .keep_state()
                    .desc("The application ARN."),
            )
            .attr(Attribute::computed("state", Type::String).desc("CREATED, STARTED, STOPPED, ..."))
            .attr(
                Attribute::required("name", Type::String)
                    .replace()
                    .desc("Application name."),
            )
            .attr(
                Attribute::required("type", Type::String)
                    .replace()
                    .desc("SPARK or HIVE."),
            )
            .attr(
                Attribute::required("release_label", Type::String)
                    .desc("EMR release, e.g. `emr-7.8.0`."),
            )
            .attr(
                Attribute::optional("architecture", Type::String)
                    .default(Value::string("X86_64"))
                    .desc("X86_64 or ARM64."),
            )
            .attr(
                Attribute::optional("auto_start", Type::Bool)
                    .default(Value::Bool(true))
                    .desc("Start automatically when a job is submitted."),
            )
            .attr(
                Attribute::optional("auto_stop_idle_timeout_minutes", Type::Number)
                    .default(Value::number(15))
                    .desc("Stop after this idle time (1-10080 minutes)."),
            )
            .attr(
                Attribute::optional("runtime_configuration", Type::String)
                    .desc("JSON list of configuration classifications for every job (`runtimeConfiguration`), e.g. `jsonencode([{ classification = \"spark-defaults\", properties = { ... } }])`. Compared semantically. A property value may be an `EMR.secret@<secret>` reference, which EMR Serverless resolves; the provider never reads secrets."),
            )
            .attr(
                Attribute::computed("identity_center_application_arn", Type::String)
                    .desc("The IAM Identity Center application EMR Serverless made for trusted identity propagation (null without `identity_center`)."),
            )
            .attr(
                Attribute::optional("image_uri", Type::String)
                    .desc("Amazon ECR image for every worker (emr-6.9.0 or later); changed without stopping a running application."),
            )
            .attr(
                Attribute::optional("job_level_cost_allocation", Type::Bool)
                    .default(Value::Bool(false))
                    .desc("Report each job run's cost with the job run's own tags (`jobLevelCostAllocationConfiguration`)."),
            )
            .attr(Attribute::optional("tags", Type::map(Type::String)).desc("Tags."))
            .attr(
                Attribute::computed("tags_all", Type::map(Type::String))
                    .desc("Tags including the provider's `default_tags`."),
            )
            .block(NestedBlock::set("initial_capacity", capacity))
            .block(NestedBlock::single("maximum_capacity", maximum))
            .block(NestedBlock::single("network", network))
            .block(NestedBlock::single("interactive", interactive_block()))
            .block(NestedBlock::single("identity_center", identity))
            .block(NestedBlock::set("worker_type_image", worker_image))
            .block(NestedBlock::single("monitoring", settings::monitoring_block()))
            .block(NestedBlock::single("scheduler", settings::scheduler_block()))
            .block(NestedBlock::single("timeouts", timeouts_block())),
    )
}

// ---------- validation ----------

fn release(s: &str) -> Option<(u32, u32, u32)> {
    let v: Vec<u32> = s
        .strip_prefix("emr-")?
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    (v.len() == 3).then(|| (v[0], v[1], v[2]))
}

fn quantity_ok(s: &str, unit: &str) -> bool {
    let t = s.trim();
    let n = t.strip_suffix(unit).map(str::trim).unwrap_or(t);
    !n.is_empty() && n.parse::<f64>().is_ok_and(|x| x > 0.0)
}

/// Configuration, plan and state: every attribute may be null or unknown.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Model {
    pub id: Planned<String>,
    pub arn: Planned<String>,
    pub state: Planned<String>,
    pub name: Planned<String>,
    #[serde(rename = "type")]
    pub kind: Planned<String>,
    pub release_label: Planned<String>,
    pub architecture: Planned<String>,
    pub auto_start: Planned<bool>,
    pub auto_stop_idle_timeout_minutes: Planned<Number>,
    pub image_uri: Planned<String>,
    pub runtime_configuration: Planned<String>,
    pub identity_center_application_arn: Planned<String>,
    pub job_level_cost_allocation: Planned<bool>,
    pub tags: PlannedMap<String>,
    pub tags_all: PlannedMap<String>,
    pub initial_capacity: Planned<Vec<Capacity>>,
    pub maximum_capacity: Planned<Maximum>,
    pub network: Planned<Network>,
    pub interactive: Planned<Interactive>,
    pub identity_center: Planned<IdentityCenter>,
    pub worker_type_image: Planned<Vec<WorkerImage>>,
    pub monitoring: Planned<Monitoring>,
    pub scheduler: Planned<Scheduler>,
    pub timeouts: Planned<Timeouts>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct WorkerImage {
    pub worker_type: Planned<String>,
    pub image_uri: Planned<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Capacity {
    pub worker_type: Planned<String>,
    pub worker_count: Planned<Number>,
    pub cpu: Planned<String>,
    pub memory: Planned<String>,
    pub disk: Planned<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Maximum {
    pub cpu: Planned<String>,
    pub memory: Planned<String>,
    pub disk: Planned<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Network {
    pub subnet_ids: PlannedList<String>,
    pub security_group_ids: PlannedList<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Interactive {
    pub livy_endpoint_enabled: Planned<bool>,
    pub studio_enabled: Planned<bool>,
    pub session_enabled: Planned<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct IdentityCenter {
    pub instance_arn: Planned<String>,
    pub user_background_sessions_enabled: Planned<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Timeouts {
    pub create: Planned<String>,
    pub update: Planned<String>,
    pub delete: Planned<String>,
}

fn to_value(m: &Model) -> Result<Value, Diagnostics> {
    model::encode_block(m, &schema().block)
}

pub fn validate_config(cfg: &Value) -> Diagnostics {
    model::decode(cfg).map_or_else(|d| d, |m| check(&m))
}

fn check(cfg: &Model) -> Diagnostics {
    let mut d = Diagnostics::new();
    let p = AttrPath::parse_dotted;
    if let Some(n) = cfg.name.as_str() {
        if n.is_empty()
            || n.len() > 64
            || !n
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._/#-".contains(&b))
        {
            d.attr_error(
                p("name"),
                "Invalid name",
                "name must be 1 to 64 characters of letters, digits and ._/#-.",
            );
        }
    }
    let ty = cfg.kind.as_str().map(str::to_ascii_uppercase);
    if let Some(t) = ty.as_deref().filter(|t| *t != "SPARK" && *t != "HIVE") {
        d.attr_error(
            p("type"),
            "Invalid type",
            format!("type must be SPARK or HIVE, got {t:?}."),
        );
    }
    let rel = cfg.release_label.as_str();
    if let Some(r) = rel.filter(|r| release(r).is_none()) {
        d.attr_error(
            p("release_label"),
            "Invalid release label",
            format!("{r:?} is not an EMR release label like emr-7.8.0."),
        );
    }
    if cfg
        .architecture
        .as_str()
        .is_some_and(|a| a != "X86_64" && a != "ARM64")
    {
        d.attr_error(
            p("architecture"),
            "Invalid architecture",
            "architecture must be X86_64 or ARM64.",
        );
    }
    if let Some(n) = cfg.auto_stop_idle_timeout_minutes.known() {
        if !n.to_i64().is_some_and(|i| (1..=10080).contains(&i)) {
            d.attr_error(
                p("auto_stop_idle_timeout_minutes"),
                "Invalid idle timeout",
                "auto_stop_idle_timeout_minutes must be a whole number from 1 to 10080.",
            );
        }
    }
    check_capacity(&mut d, cfg, ty.as_deref());
    check_network_and_identity(&mut d, cfg, ty.as_deref(), rel);
    check_images(&mut d, cfg, ty.as_deref(), rel);
    let (monitoring, scheduler) = (&cfg.monitoring, &cfg.scheduler);
    settings::check(
        &mut d,
        monitoring,
        scheduler,
        ty.as_deref(),
        rel.and_then(release),
    );
    if let Some(Err(msg)) = cfg
        .runtime_configuration
        .as_str()
        .map(runtime_configuration::check)
    {
        d.attr_error(
            p("runtime_configuration"),
            "Invalid runtime configuration",
            msg,
        );
    }
    if let Some(t) = cfg.timeouts.known() {
        for (k, v) in [
            ("create", &t.create),
            ("update", &t.update),
            ("delete", &t.delete),
        ] {
            if let Some(s) = v.as_str() {
                if parse_duration(s).is_none() {
                    d.attr_error(
                        p(&format!("timeouts.{k}")),
                        "Invalid duration",
                        format!("{s:?} is not a duration like 30s, 10m or 1h."),
                    );
                }
            }
        }
    }
    d
}

fn check_quantities(d: &mut Diagnostics, block: &str, example: &str, q: [&Planned<String>; 3]) {
    for ((k, unit), v) in [("cpu", "vCPU"), ("memory", "GB"), ("disk", "GB")]
        .into_iter()
        .zip(q)
    {
        if let Some(s) = v.as_str().filter(|s| !quantity_ok(s, unit)) {
            d.attr_error(
                AttrPath::parse_dotted(&format!("{block}.{k}")),
                "Invalid quantity",
                format!(
                    "{k} is a positive number of {unit}, e.g. \"{example} {unit}\"; got {s:?}."
                ),
            );
        }
    }
}

/// The worker types of an application type.
fn worker_types(ty: Option<&str>) -> &'static [&'static str] {
    match ty {
        Some("HIVE") => &["HIVE_DRIVER", "TEZ_TASK"],
        _ => &["DRIVER", "EXECUTOR"],
    }
}

/// Custom images need emr-6.9.0 or later (EMR Serverless user guide).
const IMAGE_MIN_RELEASE: (u32, u32, u32) = (6, 9, 0);

/// An Amazon ECR image URI:
/// `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:<tag>|@sha256:<digest>]`.
pub fn ecr_image_uri(u: &str) -> Result<(), String> {
    let host_ok = |host: &str| {
        let Some((account, rest)) = host.split_once(".dkr.ecr.") else {
            return false;
        };
        let region = rest
            .strip_suffix(".amazonaws.com")
            .or_else(|| rest.strip_suffix(".amazonaws.com.cn"));
        account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && region.is_some_and(|r| {
                !r.is_empty()
                    && r.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
    };
    let reference_ok = |path: &str| {
        let (repo, reference) = match path.split_once('@') {
            Some((repo, digest)) => {
                let hex = digest.strip_prefix("sha256:").unwrap_or_default();
                let ok = hex.len() == 64
                    && hex
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
                (repo, ok)
            }
            None => match path.rsplit_once(':') {
                Some((repo, tag)) => {
                    let ok = (1..=128).contains(&tag.len())
                        && !tag.starts_with(['.', '-'])
                        && tag
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
                    (repo, ok)
                }
                None => (path, true),
            },
        };
        let repo_ok = !repo.is_empty()
            && !repo.starts_with('/')
            && !repo.ends_with('/')
            && repo
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/".contains(&b));
        repo_ok && reference
    };
    match u.split_once('/') {
        Some((host, path)) if host_ok(host) && reference_ok(path) => Ok(()),
        _ => Err(format!(
            "{u:?} is not an Amazon ECR image URI like \
             123456789012.dkr.ecr.us-east-1.amazonaws.com/spark:7.8 (or @sha256:<digest>)."
        )),
    }
}

/// Custom images: ECR URIs, a release that supports them, one image per
/// worker type of the application's type.
fn check_images(d: &mut Diagnostics, cfg: &Model, ty: Option<&str>, rel: Option<&str>) {
    let p = AttrPath::parse_dotted;
    let mut uris = vec![("image_uri", cfg.image_uri.as_str())];
    let mut seen = BTreeSet::new();
    for w in cfg.worker_type_image.elems() {
        uris.push(("worker_type_image.image_uri", w.image_uri.as_str()));
        let Some(t) = w.worker_type.as_str() else {
            continue;
        };
        let allowed = worker_types(ty);
        if !allowed.contains(&t) {
            d.attr_error(
                p("worker_type_image.worker_type"),
                "Invalid worker type",
                format!(
                    "worker_type must be one of {} for this type, got {t:?}.",
                    allowed.join(", ")
                ),
            );
        }
        if !seen.insert(t) {
            d.attr_error(
                p("worker_type_image.worker_type"),
                "Duplicate worker type",
                format!("worker_type {t:?} has more than one worker_type_image block."),
            );
        }
    }
    for (path, uri) in &uris {
        if let Some(Err(msg)) = uri.map(ecr_image_uri) {
            d.attr_error(p(path), "Invalid image URI", msg);
        }
    }
    let old = rel.and_then(release).filter(|r| *r < IMAGE_MIN_RELEASE);
    if let (Some(_), true) = (old, uris.iter().any(|(_, u)| u.is_some())) {
        d.attr_error(
            p("release_label"),
            "Release too old for custom images",
            "Custom images (image_uri, worker_type_image) need emr-6.9.0 or later.",
        );
    }
}

fn check_capacity(d: &mut Diagnostics, cfg: &Model, ty: Option<&str>) {
    let p = AttrPath::parse_dotted;
    for c in cfg.initial_capacity.elems() {
        if let Some(w) = c.worker_type.as_str() {
            let allowed = worker_types(ty);
            if !allowed.contains(&w) {
                d.attr_error(
                    p("initial_capacity.worker_type"),
                    "Invalid worker type",
                    format!(
                        "worker_type must be one of {} for this type, got {w:?}.",
                        allowed.join(", ")
                    ),
                );
            }
        }
        let count = c.worker_count.known().and_then(Number::to_i64);
        if count.is_some_and(|n| !(1..=1_000_000).contains(&n)) {
            d.attr_error(
                p("initial_capacity.worker_count"),
                "Invalid worker count",
                "worker_count must be at least 1.",
            );
        }
        check_quantities(d, "initial_capacity", "4", [&c.cpu, &c.memory, &c.disk]);
    }
    if let Some(m) = cfg.maximum_capacity.known() {
        check_quantities(d, "maximum_capacity", "200", [&m.cpu, &m.memory, &m.disk]);
    }
}

fn check_network_and_identity(
    d: &mut Diagnostics,
    cfg: &Model,
    ty: Option<&str>,
    rel: Option<&str>,
) {
    let p = AttrPath::parse_dotted;
    if let Some(net) = cfg.network.known() {
        for x in net
            .subnet_ids
            .known_elems()
            .filter(|x| !x.starts_with("subnet-"))
        {
            d.attr_error(
                p("network.subnet_ids"),
                "Invalid subnet",
                format!("{x:?} is not a subnet id."),
            );
        }
        for x in net
            .security_group_ids
            .known_elems()
            .filter(|x| !x.starts_with("sg-"))
        {
            d.attr_error(
                p("network.security_group_ids"),
                "Invalid security group",
                format!("{x:?} is not a security group id."),
            );
        }
    }
    if let Some(a) = cfg
        .identity_center
        .known()
        .and_then(|i| i.instance_arn.as_str())
    {
        let ok = crate::validate::parse_arn(a)
            .is_some_and(|x| x.service == "sso" && x.resource.starts_with("instance/ssoins-"));
        if !ok {
            d.attr_error(p("identity_center.instance_arn"), "Invalid Identity Center instance", format!("{a:?} is not an Identity Center instance ARN (arn:aws:sso:::instance/ssoins-...)."));
        }
    }
    if cfg.identity_center.is_null() {
        return;
    }
    // Seed 004: TIP is for Spark, emr-7.8.0+, through the Livy endpoint only.
    if ty.is_some_and(|t| t != "SPARK") {
        d.attr_error(
            p("type"),
            "Trusted identity propagation needs SPARK",
            "identity_center is supported for SPARK applications only.",
        );
    }
    if rel.and_then(release).is_some_and(|v| v < TIP_MIN_RELEASE) {
        d.attr_error(
            p("release_label"),
            "Release too old for trusted identity propagation",
            "identity_center needs emr-7.8.0 or later.",
        );
    }
    let livy = cfg.interactive.known().map(|i| &i.livy_endpoint_enabled);
    if !livy.is_some_and(Planned::is_unknown) && livy.and_then(Planned::known) != Some(&true) {
        d.attr_error(p("interactive.livy_endpoint_enabled"), "Livy endpoint required", "identity_center works through the Apache Livy endpoint: set interactive { livy_endpoint_enabled = true }.");
    }
}

// ---------- find → status → wait ----------

fn err(verb: &str, id: &str, msg: impl Into<String>) -> Diagnostics {
    Diagnostic::error(
        format!("{verb} EMR Serverless application ({id})"),
        msg.into(),
    )
    .into()
}

/// The application, or None when it does not exist or is TERMINATED.
pub async fn find(es: &EmrServerless, id: &str) -> Result<Option<Application>, String> {
    match es.get_application().application_id(id).send().await {
        Ok(o) => Ok(o
            .application()
            .filter(|a| *a.state() != ApplicationState::Terminated)
            .cloned()),
        Err(e) if crate::aws::is_not_found(&e) => Ok(None),
        Err(e) => Err(crate::aws::errors::describe(&e)),
    }
}

/// Polls until the application reaches one of `want` (or is gone when
/// `gone_ok`). Fails on TERMINATED (unless deleting) and on timeout, with
/// the API's state details.
async fn wait_for(
    es: &EmrServerless,
    ctx: &Ctx,
    id: &str,
    want: &[ApplicationState],
    gone_ok: bool,
    timeout: Duration,
) -> Result<Option<Application>, String> {
    let start = tokio::time::Instant::now();
    let mut delay = Duration::from_millis(500);
    loop {
        let app = find(es, id).await?;
        match &app {
            None if gone_ok => return Ok(None),
            None => return Err("the application disappeared (deleted or TERMINATED)".into()),
            Some(a) if want.contains(a.state()) => return Ok(app),
            Some(a) => {
                if start.elapsed() >= timeout {
                    return Err(format!(
                        "timed out after {:?} waiting for {:?}; state is {} ({})",
                        timeout,
                        want.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                        a.state().as_str(),
                        a.state_details().unwrap_or("no details")
                    ));
                }
                crate::info!("waiting for EMR Serverless application", "id" => id, "state" => a.state().as_str(), "want" => want.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("|"));
            }
        }
        if ctx.cancel.is_cancelled() {
            return Err("cancelled while waiting".into());
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = ctx.cancel.cancelled() => {}
        }
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

/// States an application rests in; an update waits for one of them.
const SETTLED: [ApplicationState; 3] = [
    ApplicationState::Created,
    ApplicationState::Started,
    ApplicationState::Stopped,
];

/// How an update reaches the application. EMR Serverless accepts a change of
/// maximum_capacity, image_uri and worker_type_image on a STARTED application
/// (of the settings this resource manages; AWS's list also has the scheduler's
/// maxConcurrentRuns) and refuses any other change until the application is
/// stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum UpdateKind {
    /// Only tags or timeouts change: no UpdateApplication.
    NoSettings,
    /// Only settings a STARTED application accepts: sent without a stop.
    WhileStarted,
    /// Settings that need a stopped application, by schema name: a STARTED
    /// application is stopped, updated and started again.
    Restart(Vec<&'static str>),
}

/// An image configuration for an update: the URI, or none, which removes
/// the image (EMR Serverless: a blank URI in an update removes it).
fn image_input(uri: Option<&str>) -> ImageConfigurationInput {
    ImageConfigurationInput::builder()
        .set_image_uri(uri.map(str::to_string))
        .build()
}

/// The images a create sends: the application's and each worker type's.
fn planned_images(
    plan: &Model,
) -> (
    Option<ImageConfigurationInput>,
    Option<HashMap<String, WorkerTypeSpecificationInput>>,
) {
    let image = plan.image_uri.as_str().map(|u| image_input(Some(u)));
    let workers = worker_images(plan);
    let specs: HashMap<String, WorkerTypeSpecificationInput> = workers
        .iter()
        .map(|(t, u)| (api_worker_type(t), worker_spec(Some(u))))
        .collect();
    (image, Some(specs).filter(|m| !m.is_empty()))
}

fn worker_spec(uri: Option<&str>) -> WorkerTypeSpecificationInput {
    WorkerTypeSpecificationInput::builder()
        .image_configuration(image_input(uri))
        .build()
}

/// worker type -> image URI, of the known blocks.
fn worker_images(m: &Model) -> BTreeMap<String, String> {
    let known = m.worker_type_image.elems().iter().filter_map(|w| {
        Some((
            w.worker_type.as_str()?.to_string(),
            w.image_uri.as_str()?.to_string(),
        ))
    });
    known.collect()
}

/// The image changes an update sends: a changed application image (or its
/// removal), and every worker type whose image changed (removed ones with
/// no URI).
fn image_changes(
    prior: &Model,
    plan: &Model,
) -> (
    Option<ImageConfigurationInput>,
    Option<HashMap<String, WorkerTypeSpecificationInput>>,
) {
    let image = (prior.image_uri != plan.image_uri).then(|| image_input(plan.image_uri.as_str()));
    let (had, want) = (worker_images(prior), worker_images(plan));
    let types: BTreeSet<&String> = had.keys().chain(want.keys()).collect();
    let specs: HashMap<String, WorkerTypeSpecificationInput> = types
        .into_iter()
        .filter(|t| had.get(*t) != want.get(*t))
        .map(|t| {
            (
                api_worker_type(t),
                worker_spec(want.get(t).map(String::as_str)),
            )
        })
        .collect();
    (image, Some(specs).filter(|m| !m.is_empty()))
}

/// The same runtime configuration, compared semantically.
fn same_runtime(prior: &Model, plan: &Model) -> bool {
    match (
        prior.runtime_configuration.as_str(),
        plan.runtime_configuration.as_str(),
    ) {
        (Some(a), Some(b)) => runtime_configuration::same(a, b),
        _ => prior.runtime_configuration == plan.runtime_configuration,
    }
}

/// Two set blocks with the same elements in any order.
fn same_set<T: PartialEq>(a: &Planned<Vec<T>>, b: &Planned<Vec<T>>) -> bool {
    match (a, b) {
        (Planned::Known(x), Planned::Known(y)) => {
            x.len() == y.len() && x.iter().all(|c| y.contains(c)) && y.iter().all(|c| x.contains(c))
        }
        _ => a == b,
    }
}

/// The update path from the prior state to the plan. An unknown planned
/// value counts as a change.
pub fn update_kind(prior: &Model, plan: &Model) -> UpdateKind {
    let changed = [
        ("release_label", prior.release_label != plan.release_label),
        ("architecture", prior.architecture != plan.architecture),
        ("auto_start", prior.auto_start != plan.auto_start),
        (
            "auto_stop_idle_timeout_minutes",
            prior.auto_stop_idle_timeout_minutes != plan.auto_stop_idle_timeout_minutes,
        ),
        (
            "initial_capacity",
            !same_set(&prior.initial_capacity, &plan.initial_capacity),
        ),
        ("network", prior.network != plan.network),
        ("interactive", prior.interactive != plan.interactive),
        (
            "identity_center",
            prior.identity_center != plan.identity_center,
        ),
        (
            "job_level_cost_allocation",
            prior.job_level_cost_allocation != plan.job_level_cost_allocation,
        ),
        ("runtime_configuration", !same_runtime(prior, plan)),
        ("monitoring", prior.monitoring != plan.monitoring),
    ];
    let mut restart: Vec<&'static str> = changed.iter().filter(|c| c.1).map(|c| c.0).collect();
    let scheduler = settings::scheduler_change(&prior.scheduler, &plan.scheduler);
    if scheduler == SchedulerChange::Restart {
        restart.push("scheduler");
    }
    if !restart.is_empty() {
        UpdateKind::Restart(restart)
    } else if prior.maximum_capacity != plan.maximum_capacity
        || prior.image_uri != plan.image_uri
        || !same_set(&prior.worker_type_image, &plan.worker_type_image)
        || scheduler == SchedulerChange::WhileStarted
    {
        UpdateKind::WhileStarted
    } else {
        UpdateKind::NoSettings
    }
}

/// The plan's warning for an update that stops a running application.
fn restart_warning(prior: &Model, plan: &Model) -> Diagnostics {
    let UpdateKind::Restart(fields) = update_kind(prior, plan) else {
        return Diagnostics::new();
    };
    let state = prior.state.as_str().unwrap_or("in an unknown state");
    Diagnostic::warning(
        "This update stops the application if it is running",
        format!(
            "EMR Serverless changes {} only on a stopped application. The application is {state} now: \
             if it is running when the change is applied, apply stops it, updates it and starts it again. \
             EMR Serverless refuses to stop an application while jobs run; the apply then fails and changes nothing. \
             maximum_capacity, images, scheduler.max_concurrent_runs and tags change without a stop.",
            fields.join(", "),
        ),
    )
    .at(AttrPath::attr(fields[0]))
    .into()
}

/// Runs `update` on a stopped application: a STARTED one is stopped first
/// and started again afterwards, also when the update failed, so that a
/// failed update leaves the application as it was found.
async fn with_application_stopped(
    es: &EmrServerless,
    ctx: &Ctx,
    id: &str,
    timeout: Duration,
    update: impl std::future::Future<Output = Result<(), String>>,
) -> Result<(), String> {
    let found = wait_for(es, ctx, id, &SETTLED, false, timeout).await?;
    if found.is_none_or(|a| *a.state() != ApplicationState::Started) {
        return update.await;
    }
    crate::info!("stopping EMR Serverless application to update it", "id" => id);
    if let Err(e) = es.stop_application().application_id(id).send().await {
        return Err(format!("stopping: {}", describe(&e)));
    }
    let stopped = [ApplicationState::Stopped];
    let updated = match wait_for(es, ctx, id, &stopped, false, timeout).await {
        Ok(_) => update.await,
        Err(e) => Err(format!("waiting for STOPPED: {e}")),
    };
    crate::info!("starting EMR Serverless application again", "id" => id);
    let started = [ApplicationState::Started];
    let restarted = match es.start_application().application_id(id).send().await {
        Ok(_) => wait_for(es, ctx, id, &started, false, timeout)
            .await
            .map(drop)
            .map_err(|e| format!("waiting for STARTED: {e}")),
        Err(e) => Err(format!("starting again: {}", describe(&e))),
    };
    match (updated, restarted) {
        (Ok(()), r) => r,
        (Err(u), Ok(())) => Err(u),
        (Err(u), Err(r)) => Err(format!("{u}; then {r}")),
    }
}

fn timeout_of(st: &Model, which: fn(&Timeouts) -> &Planned<String>) -> Duration {
    st.timeouts
        .known()
        .and_then(|t| which(t).as_str())
        .and_then(parse_duration)
        .unwrap_or(Duration::from_secs(600))
}

/// A fresh idempotency token (a failed random source fails the call rather
/// than reusing a token).
fn client_token() -> Result<String, String> {
    let b: [u8; 16] = crate::resources::random_bytes()?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

fn api_worker_type(w: &str) -> String {
    WORKER_TYPES
        .iter()
        .find(|(ours, _)| *ours == w)
        .map(|(_, api)| api.to_string())
        .unwrap_or_else(|| w.to_string())
}

fn our_worker_type(w: &str) -> String {
    WORKER_TYPES
        .iter()
        .find(|(_, api)| api.eq_ignore_ascii_case(w))
        .map(|(ours, _)| ours.to_string())
        .unwrap_or_else(|| w.to_string())
}

/// The pieces of the desired configuration, as API types.
struct Desired {
    initial: HashMap<String, InitialCapacityConfig>,
    maximum: Option<MaximumAllowedResources>,
    auto_start: AutoStartConfig,
    auto_stop: AutoStopConfig,
    network: Option<NetworkConfiguration>,
    interactive: Option<InteractiveConfiguration>,
    identity: Option<IdentityCenterConfigurationInput>,
    architecture: Architecture,
    /// Sent when on, or (on update) when it was on before.
    cost_allocation: JobLevelCostAllocationConfiguration,
    /// The runtime configuration; empty when none.
    runtime: Vec<aws_sdk_emrserverless::types::Configuration>,
}

fn desired(st: &Model) -> Result<Desired, String> {
    let mut initial = HashMap::new();
    for c in st.initial_capacity.elems() {
        let mut w = WorkerResourceConfig::builder()
            .cpu(c.cpu.as_str().unwrap_or_default())
            .memory(c.memory.as_str().unwrap_or_default());
        if let Some(d) = c.disk.as_str() {
            w = w.disk(d);
        }
        let cfg = InitialCapacityConfig::builder()
            .worker_count(c.worker_count.known().and_then(Number::to_i64).unwrap_or(1))
            .worker_configuration(w.build().map_err(|e| e.to_string())?)
            .build()
            .map_err(|e| e.to_string())?;
        initial.insert(
            api_worker_type(c.worker_type.as_str().unwrap_or_default()),
            cfg,
        );
    }
    let maximum = match st.maximum_capacity.known() {
        None => None,
        Some(m) => {
            let b = MaximumAllowedResources::builder()
                .cpu(m.cpu.as_str().unwrap_or_default())
                .memory(m.memory.as_str().unwrap_or_default())
                .set_disk(m.disk.known().cloned());
            Some(b.build().map_err(|e| e.to_string())?)
        }
    };
    let network = st.network.known().map(|n| {
        NetworkConfiguration::builder()
            .set_subnet_ids(n.subnet_ids.all_known())
            .set_security_group_ids(n.security_group_ids.all_known())
            .build()
    });
    let interactive = st.interactive.known().map(|i| {
        InteractiveConfiguration::builder()
            .livy_endpoint_enabled(i.livy_endpoint_enabled.get_or(false))
            .studio_enabled(i.studio_enabled.get_or(false))
            .session_enabled(i.session_enabled.get_or(false))
            .build()
    });
    let identity = st.identity_center.known().map(|ic| {
        IdentityCenterConfigurationInput::builder()
            .identity_center_instance_arn(ic.instance_arn.as_str().unwrap_or_default())
            .user_background_sessions_enabled(ic.user_background_sessions_enabled.get_or(false))
            .build()
    });
    let idle = st
        .auto_stop_idle_timeout_minutes
        .known()
        .and_then(Number::to_i64);
    Ok(Desired {
        initial,
        maximum,
        auto_start: AutoStartConfig::builder()
            .enabled(st.auto_start.get_or(true))
            .build(),
        auto_stop: AutoStopConfig::builder()
            .enabled(true)
            .idle_timeout_minutes(idle.and_then(|x| i32::try_from(x).ok()).unwrap_or(15))
            .build(),
        network,
        interactive,
        identity,
        architecture: Architecture::from(st.architecture.as_str().unwrap_or("X86_64")),
        cost_allocation: JobLevelCostAllocationConfiguration::builder()
            .enabled(st.job_level_cost_allocation.get_or(false))
            .build(),
        runtime: match st.runtime_configuration.as_str() {
            Some(t) => runtime_configuration::to_sdk(t)?,
            None => Vec::new(),
        },
    })
}

fn capacity_of(worker_type: &str, v: &InitialCapacityConfig) -> Capacity {
    let w = v.worker_configuration();
    Capacity {
        worker_type: Planned::Known(our_worker_type(worker_type)),
        worker_count: Planned::Known(Number::from_i64(v.worker_count())),
        cpu: w.map(|x| x.cpu().to_string()).into(),
        memory: w.map(|x| x.memory().to_string()).into(),
        disk: w.and_then(|x| x.disk()).map(str::to_string).into(),
    }
}

/// State from what the API returns. Settings the API leaves out (the
/// emulator stores no architecture, interactive or Identity Center settings)
/// keep their recorded value rather than showing as drift.
fn state_of(current: &Model, a: &Application, default_tags: &BTreeMap<String, String>) -> Model {
    let mut st = current.clone();
    st.id = a.application_id().into();
    st.arn = a.arn().into();
    st.state = a.state().as_str().into();
    if let Some(n) = a.name() {
        st.name = n.into();
    }
    st.kind = match current.kind.as_str() {
        Some(t) if t.eq_ignore_ascii_case(a.r#type()) => t.into(),
        _ => Planned::Known(a.r#type().to_ascii_uppercase()),
    };
    st.release_label = a.release_label().into();
    if let Some(arch) = a.architecture() {
        st.architecture = arch.as_str().into();
    }
    if let Some(caps) = a.initial_capacity() {
        st.initial_capacity = Planned::Known(caps.iter().map(|(k, v)| capacity_of(k, v)).collect());
    }
    if let Some(m) = a.maximum_capacity() {
        st.maximum_capacity = Planned::Known(Maximum {
            cpu: m.cpu().into(),
            memory: m.memory().into(),
            disk: m.disk().map(str::to_string).into(),
        });
    }
    if let Some(s) = a.auto_start_configuration().and_then(|s| s.enabled()) {
        st.auto_start = Planned::Known(s);
    }
    match a.auto_stop_configuration() {
        // Auto-stop off has no configuration: the plan turns it back on.
        Some(s) if s.enabled() == Some(false) => st.auto_stop_idle_timeout_minutes = Planned::Null,
        Some(s) => {
            if let Some(t) = s.idle_timeout_minutes() {
                st.auto_stop_idle_timeout_minutes = Planned::Known(Number::from_i64(i64::from(t)));
            }
        }
        None => {}
    }
    if let Some(n) = a.network_configuration() {
        if !n.subnet_ids().is_empty() || !n.security_group_ids().is_empty() {
            st.network = Planned::Known(Network {
                subnet_ids: PlannedList::of(n.subnet_ids().iter().cloned()),
                security_group_ids: PlannedList::of(n.security_group_ids().iter().cloned()),
            });
        }
    }
    if let Some(i) = a.interactive_configuration() {
        st.interactive = Planned::Known(Interactive {
            livy_endpoint_enabled: Planned::Known(i.livy_endpoint_enabled().unwrap_or(false)),
            studio_enabled: Planned::Known(i.studio_enabled().unwrap_or(false)),
            session_enabled: Planned::Known(i.session_enabled().unwrap_or(false)),
        });
    }
    match a
        .job_level_cost_allocation_configuration()
        .and_then(|c| c.enabled())
    {
        Some(on) => st.job_level_cost_allocation = Planned::Known(on),
        // Importing: no configuration means off.
        None if current.job_level_cost_allocation.is_null() => {
            st.job_level_cost_allocation = Planned::Known(false);
        }
        None => {}
    }
    if let Some(i) = a.image_configuration() {
        st.image_uri = Planned::Known(i.image_uri().to_string());
    }
    st.runtime_configuration = runtime_of(current, a);
    let tip_app = a
        .identity_center_configuration()
        .and_then(|ic| ic.identity_center_application_arn());
    st.identity_center_application_arn = match tip_app {
        Some(arn) => arn.into(),
        None if current.identity_center_application_arn.is_unknown() => Planned::Null,
        None => current.identity_center_application_arn.clone(),
    };
    if let Some(specs) = a.worker_type_specifications().filter(|w| !w.is_empty()) {
        st.worker_type_image = worker_images_of(current, specs, st.image_uri.as_str());
    }
    if let Some(ic) = a.identity_center_configuration() {
        if let Some(arn) = ic.identity_center_instance_arn() {
            let background = ic.user_background_sessions_enabled().unwrap_or(false);
            st.identity_center = Planned::Known(IdentityCenter {
                instance_arn: arn.into(),
                user_background_sessions_enabled: Planned::Known(background),
            });
        }
    }
    let importing = current.tags_all.is_null();
    st.monitoring =
        settings::monitoring_from(&current.monitoring, a.monitoring_configuration(), importing);
    st.scheduler =
        settings::scheduler_from(&current.scheduler, a.scheduler_configuration(), importing);
    if let Some(t) = a.tags() {
        if current.tags.is_null() && current.tags_all.is_null() {
            // importing: the user's tags are those not from default_tags
            let own = t.iter().filter(|(k, v)| default_tags.get(*k) != Some(*v));
            let own = PlannedMap::of(own.map(|(k, v)| (k.clone(), v.clone())));
            st.tags = match own.known() {
                Some(m) if m.is_empty() => Planned::Null,
                _ => own,
            };
        }
        st.tags_all = PlannedMap::of(t.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    st
}

/// The runtime configuration to record: none in AWS is null (one removed
/// outside Terraform shows in the plan), except an empty list as
/// configured ("[]", sent as nothing); the recorded text when equivalent.
fn runtime_of(current: &Model, a: &Application) -> Planned<String> {
    if a.runtime_configuration().is_empty() {
        // None in AWS: one removed outside Terraform shows in the plan; an
        // empty list as configured ("[]", sent as nothing) stays.
        match current.runtime_configuration.as_str() {
            Some(recorded) if runtime_configuration::same(recorded, "[]") => recorded.into(),
            _ => Planned::Null,
        }
    } else {
        let remote = runtime_configuration::from_sdk(a.runtime_configuration());
        match current.runtime_configuration.as_str() {
            Some(recorded) if runtime_configuration::same(recorded, &remote) => recorded.into(),
            _ => Planned::Known(remote),
        }
    }
}

/// The per-worker-type images to record from what EMR Serverless returns:
/// the worker types the state has, and any whose image is not the
/// application's own (EMR Serverless may list every worker type with the
/// application's image). An image set on another worker type outside
/// Terraform therefore shows in the plan, which removes it.
fn worker_images_of(
    current: &Model,
    specs: &HashMap<String, aws_sdk_emrserverless::types::WorkerTypeSpecification>,
    app_image: Option<&str>,
) -> Planned<Vec<WorkerImage>> {
    let importing = current.tags_all.is_null();
    let ours: BTreeSet<String> = worker_images(current).into_keys().collect();
    let mut images: Vec<WorkerImage> = specs
        .iter()
        .filter_map(|(t, spec)| {
            let uri = spec.image_configuration()?.image_uri();
            let t = our_worker_type(t);
            let keep = Some(uri) != app_image || (!importing && ours.contains(&t));
            keep.then(|| WorkerImage {
                worker_type: Planned::Known(t),
                image_uri: Planned::Known(uri.to_string()),
            })
        })
        .collect();
    images.sort_by(|a, b| a.worker_type.as_str().cmp(&b.worker_type.as_str()));
    match (images.is_empty(), importing) {
        (true, false) => current.worker_type_image.clone(),
        (true, true) => Planned::Null,
        (false, _) => Planned::Known(images),
    }
}

/// Settings of an application this resource does not manage, by API name.
fn unmanaged_settings(a: &Application) -> Vec<&'static str> {
    [(
        a.disk_encryption_configuration().is_some(),
        "diskEncryptionConfiguration",
    )]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
    .collect()
}

/// What an imported application holds that plans do not show, and the
/// auto-stop the next apply turns on.
fn import_warnings(a: &Application) -> Diagnostics {
    let mut d = Diagnostics::new();
    let id = a.application_id();
    let unmanaged = unmanaged_settings(a);
    if !unmanaged.is_empty() {
        d.warning(
            format!("Settings of EMR Serverless application {id} this resource does not manage"),
            format!(
                "{} are left as they are by every apply and are not shown in plans.",
                unmanaged.join(", ")
            ),
        );
    }
    if a.auto_stop_configuration().and_then(|s| s.enabled()) == Some(false) {
        d.warning(
            format!("Auto-stop is off on EMR Serverless application {id}"),
            "This resource always stops idle applications: the next apply turns auto-stop on (auto_stop_idle_timeout_minutes, 15 minutes unless set).",
        );
    }
    d
}

impl ServerlessApplication {
    fn plan(
        c: &Configured,
        req: &PlanRequest<'_>,
        cfg: &Model,
        planned: &mut Value,
    ) -> Result<Diagnostics, Diagnostics> {
        let prior: Option<Model> = model::decode(req.prior)?;
        let mut plan: Model = model::decode(planned)?;
        plan.tags_all = plan.tags.overlaid_on(&c.default_tags);
        // The type's case is not significant to EMR Serverless.
        let prior_kind = prior.as_ref().and_then(|p| p.kind.as_str());
        if let (Some(p), Some(n)) = (prior_kind, cfg.kind.as_str()) {
            if p.eq_ignore_ascii_case(n) {
                plan.kind = p.into();
            }
        }
        // Known at plan where it can be: none without identity_center, the
        // recorded one while identity_center stays the same.
        plan.identity_center_application_arn = match &prior {
            _ if plan.identity_center.is_null() => Planned::Null,
            Some(p) if p.identity_center == plan.identity_center => {
                p.identity_center_application_arn.clone()
            }
            _ => Planned::Unknown,
        };
        *planned = to_value(&plan)?;
        Ok(prior.map_or_else(Diagnostics::new, |p| restart_warning(&p, &plan)))
    }
}

/// Brings the application's tags from the prior `tags_all` to the planned one.
async fn retag(c: &Configured, prior: &Model, plan: &Model) -> Result<(), String> {
    let tags_have = prior.tags_all.known_entries();
    let tags_want = plan.tags_all.known_entries();
    if tags_have == tags_want {
        return Ok(());
    }
    let es = &c.aws.emrserverless;
    let arn = prior.arn.as_str().unwrap_or_default();
    let remove: Vec<String> = tags_have
        .keys()
        .filter(|k| !tags_want.contains_key(*k))
        .cloned()
        .collect();
    if !remove.is_empty() {
        let req = es
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove));
        if let Err(e) = req.send().await {
            return Err(format!("untagging: {}", crate::aws::errors::describe(&e)));
        }
    }
    let req = es.tag_resource().resource_arn(arn);
    match req
        .set_tags(Some(tags_want.into_iter().collect()))
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("tagging: {}", crate::aws::errors::describe(&e))),
    }
}

#[async_trait]
impl Resource for ServerlessApplication {
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
        let cfg: Model = match model::decode(req.config) {
            Ok(m) => m,
            Err(d) => return diags.extend(d),
        };
        diags.extend(check(&cfg));
        let Ok(c) = self.data.get() else { return };
        diags.extend(Self::plan(&c, &req, &cfg, planned).unwrap_or_else(|d| d));
    }

    async fn create(&self, ctx: &Ctx, planned: &Value, _config: &Value) -> ApplyResult {
        let (c, plan) = match self
            .data
            .get()
            .and_then(|c| Ok((c, model::decode::<Model>(planned)?)))
        {
            Ok(x) => x,
            Err(d) => return ApplyResult::failed(Value::Null, d),
        };
        let name = plan.name.as_str().unwrap_or_default().to_string();
        let (d, token) = match desired(&plan).and_then(|d| Ok((d, client_token()?))) {
            Ok(x) => x,
            Err(e) => return ApplyResult::failed(Value::Null, err("creating", &name, e)),
        };
        let images = planned_images(&plan);
        crate::info!("creating EMR Serverless application", "name" => name);
        let out = c
            .aws
            .emrserverless
            .create_application()
            .name(&name)
            .r#type(plan.kind.as_str().unwrap_or("SPARK"))
            .release_label(plan.release_label.as_str().unwrap_or_default())
            .client_token(token)
            .set_initial_capacity(Some(d.initial).filter(|i| !i.is_empty()))
            .set_maximum_capacity(d.maximum)
            .auto_start_configuration(d.auto_start)
            .auto_stop_configuration(d.auto_stop)
            .set_network_configuration(d.network)
            .set_interactive_configuration(d.interactive)
            .set_identity_center_configuration(d.identity)
            .architecture(d.architecture)
            .set_job_level_cost_allocation_configuration(
                Some(d.cost_allocation).filter(|c| c.enabled() == Some(true)),
            )
            .set_image_configuration(images.0)
            .set_worker_type_specifications(images.1)
            .set_runtime_configuration(Some(d.runtime).filter(|r| !r.is_empty()))
            .set_monitoring_configuration(
                plan.monitoring
                    .known()
                    .map(|m| settings::monitoring_to_sdk(Some(m))),
            )
            .set_scheduler_configuration(plan.scheduler.known().map(settings::scheduler_to_sdk))
            .set_tags(Some(plan.tags_all.known_entries().into_iter().collect()))
            .send()
            .await;
        let id = match out {
            Ok(o) => o.application_id().to_string(),
            Err(e) => {
                let e = crate::aws::errors::describe(&e);
                return ApplyResult::failed(Value::Null, err("creating", &name, e));
            }
        };
        let mut st = plan.clone();
        st.id = id.as_str().into();
        let ready = [
            ApplicationState::Created,
            ApplicationState::Started,
            ApplicationState::Stopped,
        ];
        let timeout = timeout_of(&plan, |t| &t.create);
        let (st, d) = match wait_for(&c.aws.emrserverless, ctx, &id, &ready, false, timeout).await {
            Ok(Some(a)) => {
                let mut s = state_of(&st, &a, &c.default_tags);
                // Keep the planned configuration text where the API agrees.
                s.tags = plan.tags;
                (s, Diagnostics::new())
            }
            Ok(None) => {
                let e = "the application vanished after creation";
                (st, err("creating", &id, e))
            }
            Err(e) => (st, err("waiting for", &id, e)),
        };
        match to_value(&st) {
            Ok(state) => ApplyResult { state, diags: d },
            Err(e) => ApplyResult::failed(Value::Null, e),
        }
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
        let Some(id) = current.id.as_str() else {
            return Ok((Value::Null, Diagnostics::new()));
        };
        match find(&c.aws.emrserverless, id)
            .await
            .map_err(|e| err("reading", id, e))?
        {
            None => {
                crate::warn!("EMR Serverless application not found, removing from state", "id" => id);
                Ok((Value::Null, Diagnostics::new()))
            }
            Some(a) => {
                // The import stub is the only state without a name.
                let warnings = match current.name.is_null() {
                    true => import_warnings(&a),
                    false => Diagnostics::new(),
                };
                Ok((
                    to_value(&state_of(&current, &a, &c.default_tags))?,
                    warnings,
                ))
            }
        }
    }

    async fn update(
        &self,
        ctx: &Ctx,
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
        let id = prior.id.as_str().unwrap_or_default().to_string();
        let timeout = timeout_of(&plan, |t| &t.update);
        let fail = |m: String| ApplyResult::failed(prior_v.clone(), err("updating", &id, m));
        let d = match desired(&plan) {
            Ok(d) => d,
            Err(e) => return fail(e),
        };
        let es = &c.aws.emrserverless;
        let token = match client_token() {
            Ok(t) => t,
            Err(e) => return fail(e),
        };
        let update = es
            .update_application()
            .application_id(&id)
            .client_token(token);
        let images = image_changes(&prior, &plan);
        // A changed scheduler, sent whole; a removed one is left as it is.
        let scheduler = match settings::scheduler_change(&prior.scheduler, &plan.scheduler) {
            SchedulerChange::None => None,
            _ => plan.scheduler.known().map(settings::scheduler_to_sdk),
        };
        let updated = match update_kind(&prior, &plan) {
            UpdateKind::NoSettings => Ok(()),
            UpdateKind::WhileStarted => {
                let settled = wait_for(es, ctx, &id, &SETTLED, false, timeout).await;
                let send = update
                    .set_maximum_capacity(d.maximum)
                    .set_image_configuration(images.0)
                    .set_worker_type_specifications(images.1)
                    .set_scheduler_configuration(scheduler)
                    .send();
                match settled {
                    Ok(_) => send.await.map(drop).map_err(|e| describe(&e)),
                    Err(e) => Err(e),
                }
            }
            UpdateKind::Restart(_) => {
                let send = update
                    .release_label(plan.release_label.as_str().unwrap_or_default())
                    .set_initial_capacity(Some(d.initial))
                    .set_maximum_capacity(d.maximum)
                    .auto_start_configuration(d.auto_start)
                    .auto_stop_configuration(d.auto_stop)
                    .set_network_configuration(d.network)
                    .set_interactive_configuration(d.interactive)
                    .set_identity_center_configuration(d.identity)
                    .architecture(d.architecture)
                    .set_job_level_cost_allocation_configuration(
                        (d.cost_allocation.enabled() == Some(true)
                            || prior.job_level_cost_allocation == Planned::Known(true))
                        .then_some(d.cost_allocation),
                    )
                    .set_image_configuration(images.0)
                    .set_worker_type_specifications(images.1)
                    // An empty list removes it.
                    .set_runtime_configuration((!same_runtime(&prior, &plan)).then_some(d.runtime))
                    // An empty configuration removes it.
                    .set_monitoring_configuration(
                        (prior.monitoring != plan.monitoring)
                            .then(|| settings::monitoring_to_sdk(plan.monitoring.known())),
                    )
                    .set_scheduler_configuration(scheduler)
                    .send();
                let send = async { send.await.map(drop).map_err(|e| describe(&e)) };
                with_application_stopped(es, ctx, &id, timeout, send).await
            }
        };
        if let Err(e) = updated {
            return fail(e);
        }
        if let Err(e) = retag(&c, &prior, &plan).await {
            return fail(e);
        }
        match find(&c.aws.emrserverless, &id).await {
            Ok(Some(a)) => {
                let mut s = state_of(&plan, &a, &c.default_tags);
                s.tags = plan.tags.clone();
                to_value(&s)
                    .map_or_else(|d| ApplyResult::failed(prior_v.clone(), d), ApplyResult::ok)
            }
            Ok(None) => fail("the application vanished during the update".into()),
            Err(e) => fail(e),
        }
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Diagnostics {
        let (c, prior) = match self
            .data
            .get()
            .and_then(|c| Ok((c, model::decode::<Model>(prior)?)))
        {
            Ok(x) => x,
            Err(d) => return d,
        };
        let Some(id) = prior.id.as_str() else {
            return Diagnostics::new();
        };
        let timeout = timeout_of(&prior, |t| &t.delete);
        let es = &c.aws.emrserverless;
        let app = match find(&c.aws.emrserverless, id).await {
            Ok(Some(a)) => a,
            Ok(None) => return Diagnostics::new(),
            Err(e) => return err("deleting", id, e),
        };
        if matches!(
            app.state(),
            ApplicationState::Started | ApplicationState::Starting
        ) {
            if let Err(e) = es.stop_application().application_id(id).send().await {
                // A retry of a stop whose answer was lost finds it stopping.
                let now = find(es, id).await.ok().flatten();
                let stopping = [ApplicationState::Stopping, ApplicationState::Stopped];
                if !now.is_some_and(|a| stopping.contains(a.state())) {
                    return err("stopping", id, crate::aws::errors::describe(&e));
                }
            }
            if let Err(e) = wait_for(
                &c.aws.emrserverless,
                ctx,
                id,
                &[ApplicationState::Stopped],
                true,
                timeout,
            )
            .await
            {
                return err("waiting to delete", id, e);
            }
        }
        crate::info!("deleting EMR Serverless application", "id" => id);
        match es.delete_application().application_id(id).send().await {
            Ok(_) => {}
            Err(e) if crate::aws::is_not_found(&e) => return Diagnostics::new(),
            // A retry of a delete whose answer was lost finds it terminated.
            Err(e) => match find(es, id).await {
                Ok(None) => return Diagnostics::new(),
                _ => return err("deleting", id, crate::aws::errors::describe(&e)),
            },
        }
        match wait_for(&c.aws.emrserverless, ctx, id, &[], true, timeout).await {
            Ok(_) => Diagnostics::new(),
            Err(e) => err("waiting for deletion of", id, e),
        }
    }

    fn importer(&self) -> Option<&dyn Import> {
        Some(self)
    }
}

#[async_trait]
impl Import for ServerlessApplication {
    async fn import(&self, _ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Diagnostic::error(
                "Invalid import id",
                "Import an EMR Serverless application by its application id.",
            )
            .into());
        }
        to_value(&Model {
            id: id.into(),
            // Defaults the API may not echo (emulator); Read overwrites what it returns.
            architecture: "X86_64".into(),
            ..Model::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Value {
        let mut v = schema().block.empty_value();
        v.set_attr("name", Value::string("acme-interactive"));
        v.set_attr("type", Value::string("SPARK"));
        v.set_attr("release_label", Value::string("emr-7.8.0"));
        v
    }

    #[test]
    fn model_is_the_schema() {
        assert_eq!(
            model::model_paths::<Model>(),
            model::schema_paths(&schema().block)
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("5d"), None);
    }

    #[test]
    fn trusted_identity_propagation_rules_of_seed_004() {
        let tip = |ty: &str, rel: &str, livy: bool| {
            let mut v = base();
            v.set_attr("type", Value::string(ty));
            v.set_attr("release_label", Value::string(rel));
            v.set_attr(
                "identity_center",
                Value::object([
                    (
                        "instance_arn",
                        Value::string("arn:aws:sso:::instance/ssoins-123"),
                    ),
                    ("user_background_sessions_enabled", Value::Bool(false)),
                ]),
            );
            v.set_attr(
                "interactive",
                Value::object([
                    ("livy_endpoint_enabled", Value::Bool(livy)),
                    ("studio_enabled", Value::Bool(false)),
                ]),
            );
            validate_config(&v)
                .iter()
                .filter_map(|d| d.path.as_ref().map(|p| p.to_string()))
                .collect::<Vec<_>>()
        };
        assert!(tip("SPARK", "emr-7.8.0", true).is_empty());
        assert!(tip("SPARK", "emr-7.10.0", true).is_empty());
        assert_eq!(tip("HIVE", "emr-7.8.0", true), ["type"]);
        assert_eq!(tip("SPARK", "emr-7.7.0", true), ["release_label"]);
        assert_eq!(tip("SPARK", "emr-6.15.0", true), ["release_label"]);
        assert_eq!(
            tip("SPARK", "emr-7.8.0", false),
            ["interactive.livy_endpoint_enabled"]
        );
    }

    #[test]
    fn invalid_configurations_name_their_attribute() {
        let with = |k: &str, x: Value| {
            let mut b = base();
            b.set_attr(k, x);
            b
        };
        let cap = |w: &str, cpu: &str| {
            Value::set(vec![Value::object([
                ("worker_type", Value::string(w)),
                ("worker_count", Value::number(1)),
                ("cpu", Value::string(cpu)),
                ("memory", Value::string("16 GB")),
                ("disk", Value::Null),
            ])])
        };
        let cases: Vec<(&str, Value)> = vec![
            ("name", with("name", Value::string("bad name"))),
            ("type", with("type", Value::string("FLINK"))),
            ("release_label", with("release_label", Value::string("7.8"))),
            ("architecture", with("architecture", Value::string("SPARC"))),
            (
                "auto_stop_idle_timeout_minutes",
                with("auto_stop_idle_timeout_minutes", Value::number(0)),
            ),
            (
                "initial_capacity.worker_type",
                with("initial_capacity", cap("TEZ_TASK", "4 vCPU")),
            ),
            (
                "initial_capacity.cpu",
                with("initial_capacity", cap("DRIVER", "four")),
            ),
            (
                "network.subnet_ids",
                with(
                    "network",
                    Value::object([
                        ("subnet_ids", Value::List(vec![Value::string("sn-1")])),
                        (
                            "security_group_ids",
                            Value::List(vec![Value::string("sg-1")]),
                        ),
                    ]),
                ),
            ),
            (
                "timeouts.create",
                with(
                    "timeouts",
                    Value::object([
                        ("create", Value::string("soon")),
                        ("update", Value::Null),
                        ("delete", Value::Null),
                    ]),
                ),
            ),
            (
                "identity_center.instance_arn",
                with(
                    "identity_center",
                    Value::object([
                        ("instance_arn", Value::string("ssoins-1")),
                        ("user_background_sessions_enabled", Value::Null),
                    ]),
                ),
            ),
            (
                "image_uri",
                with("image_uri", Value::string("docker.io/spark:7.8")),
            ),
            (
                "worker_type_image.worker_type",
                with("worker_type_image", image("TEZ_TASK", ECR)),
            ),
            (
                "worker_type_image.image_uri",
                with("worker_type_image", image("DRIVER", "spark:latest")),
            ),
            ("release_label", {
                let mut b = with("image_uri", Value::string(ECR));
                b.set_attr("release_label", Value::string("emr-6.8.0"));
                b
            }),
        ];
        assert!(!validate_config(&base()).has_errors());
        let mut images = with("image_uri", Value::string(ECR));
        images.set_attr("worker_type_image", image("EXECUTOR", ECR));
        assert!(
            !validate_config(&images).has_errors(),
            "{}",
            validate_config(&images)
        );
        let twice = Value::set(vec![
            Value::object([
                ("worker_type", Value::string("DRIVER")),
                ("image_uri", Value::string(ECR)),
            ]),
            Value::object([
                ("worker_type", Value::string("DRIVER")),
                ("image_uri", Value::string(format!("{ECR}-b"))),
            ]),
        ]);
        let d = validate_config(&with("worker_type_image", twice));
        assert!(
            d.iter().any(|x| x.summary == "Duplicate worker type"),
            "{d}"
        );
        for (path, cfg) in cases {
            let d = validate_config(&cfg);
            assert!(
                d.iter()
                    .any(|x| x.path.as_ref().map(|p| p.to_string()).as_deref() == Some(path)),
                "expected an error at {path}, got {d}"
            );
        }
    }

    const ECR: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/spark:7.8";

    fn image(worker_type: &str, uri: &str) -> Value {
        Value::set(vec![Value::object([
            ("worker_type", Value::string(worker_type)),
            ("image_uri", Value::string(uri)),
        ])])
    }

    #[test]
    fn image_uris_are_amazon_ecr_references() {
        let digest = format!("@sha256:{}", "0a".repeat(32));
        for ok in [
            ECR.to_string(),
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/spark".into(),
            format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/spark{digest}"),
        ] {
            assert_eq!(ecr_image_uri(&ok), Ok(()), "{ok}");
        }
        for bad in [
            "docker.io/library/spark:7.8",
            "12345.dkr.ecr.us-east-1.amazonaws.com/spark:7.8",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/Spark:7.8",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/spark:",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/spark@sha256:abc",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/",
            "123456789012.dkr.ecr.US-EAST-1.amazonaws.com/spark",
        ] {
            assert!(ecr_image_uri(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn images_change_without_a_stop_and_removal_sends_no_uri() {
        let prior = started_app(|m| {
            m.image_uri = ECR.into();
            m.worker_type_image = Planned::Known(vec![WorkerImage {
                worker_type: "DRIVER".into(),
                image_uri: ECR.into(),
            }]);
        });
        assert_eq!(image_changes(&prior, &prior.clone()), (None, None));
        let other = format!("{ECR}-next");
        let next = started_app(|m| {
            m.image_uri = other.as_str().into();
            m.worker_type_image = Planned::Known(vec![WorkerImage {
                worker_type: "EXECUTOR".into(),
                image_uri: other.as_str().into(),
            }]);
        });
        assert_eq!(update_kind(&prior, &next), UpdateKind::WhileStarted);
        let (image, specs) = image_changes(&prior, &next);
        assert_eq!(
            image.and_then(|i| i.image_uri().map(str::to_string)),
            Some(other.clone())
        );
        let specs = specs.expect("worker images changed");
        let uri = |t: &str| {
            specs
                .get(t)
                .and_then(|s| s.image_configuration())
                .map(|i| i.image_uri())
        };
        assert_eq!(uri("Executor"), Some(Some(other.as_str())));
        // The DRIVER image is gone: an image configuration without a URI.
        assert_eq!(uri("Driver"), Some(None));
        let removed = started_app(|_| {});
        let (image, specs) = image_changes(&prior, &removed);
        assert_eq!(image.map(|i| i.image_uri().is_none()), Some(true));
        assert_eq!(specs.map(|s| s.len()), Some(1));
    }

    #[test]
    fn worker_type_names_map_both_ways() {
        assert_eq!(api_worker_type("DRIVER"), "Driver");
        assert_eq!(our_worker_type("TezTask"), "TEZ_TASK");
        assert_eq!(our_worker_type("EXECUTOR"), "EXECUTOR");
    }

    fn application(
        auto_stop: AutoStopConfig,
    ) -> aws_sdk_emrserverless::types::builders::ApplicationBuilder {
        let now = aws_smithy_types::DateTime::from_secs(0);
        Application::builder()
            .application_id("00f1")
            .arn("arn:aws:emr-serverless:us-east-1:123456789012:/applications/00f1")
            .release_label("emr-7.8.0")
            .r#type("Spark")
            .state(ApplicationState::Created)
            .created_at(now)
            .updated_at(now)
            .auto_stop_configuration(auto_stop)
    }

    /// Imported: settings the resource does not manage are named, and
    /// auto-stop that is off is recorded as unset so the plan turns it on.
    #[test]
    fn import_names_unmanaged_settings_and_auto_stop_off() {
        use aws_sdk_emrserverless::types::{
            Configuration, DiskEncryptionConfiguration, MonitoringConfiguration,
        };
        let off = AutoStopConfig::builder()
            .enabled(false)
            .idle_timeout_minutes(15)
            .build();
        let a = application(off)
            .runtime_configuration(
                Configuration::builder()
                    .classification("spark-defaults")
                    .build()
                    .unwrap(),
            )
            .monitoring_configuration(MonitoringConfiguration::builder().build())
            .disk_encryption_configuration(DiskEncryptionConfiguration::builder().build())
            .build()
            .unwrap();
        let d = import_warnings(&a);
        let text = d.to_string();
        assert_eq!(d.iter().count(), 2, "{text}");
        assert!(!d.has_errors(), "{text}");
        // The runtime and monitoring configurations are managed now:
        // imported, not named.
        assert!(
            text.contains("diskEncryptionConfiguration")
                && !text.contains("runtimeConfiguration")
                && !text.contains("monitoringConfiguration"),
            "{text}"
        );
        assert!(text.contains("Auto-stop is off"), "{text}");
        let mut current: Model = model::decode(&base()).unwrap();
        current.auto_stop_idle_timeout_minutes = Planned::Known(Number::from_i64(15));
        let st = state_of(&current, &a, &BTreeMap::new());
        assert!(st.auto_stop_idle_timeout_minutes.is_null());
        assert_eq!(
            st.runtime_configuration,
            Planned::Known(r#"[{"classification":"spark-defaults"}]"#.to_string())
        );

        let on = AutoStopConfig::builder()
            .enabled(true)
            .idle_timeout_minutes(30)
            .build();
        let a = application(on).build().unwrap();
        assert!(import_warnings(&a).is_empty());
        let st = state_of(&current, &a, &BTreeMap::new());
        assert_eq!(
            st.auto_stop_idle_timeout_minutes,
            Planned::Known(Number::from_i64(30))
        );
    }

    /// Changes made outside Terraform that a plan must show: an image put on
    /// a worker type the configuration leaves alone, and a runtime
    /// configuration removed. The application's own image listed for every
    /// worker type is not a change.
    #[test]
    fn refresh_shows_foreign_worker_images_and_a_removed_runtime_configuration() {
        use aws_sdk_emrserverless::types::{
            Configuration, ImageConfiguration, WorkerTypeSpecification,
        };
        let ours = "123456789012.dkr.ecr.us-east-1.amazonaws.com/spark:ours";
        let theirs = "123456789012.dkr.ecr.us-east-1.amazonaws.com/spark:theirs";
        let image = |uri: &str| {
            WorkerTypeSpecification::builder()
                .image_configuration(
                    ImageConfiguration::builder()
                        .image_uri(uri)
                        .build()
                        .unwrap(),
                )
                .build()
        };
        let mut current: Model = model::decode(&base()).unwrap();
        current.image_uri = Planned::Known(ours.to_string());
        current.runtime_configuration =
            Planned::Known(r#"[{"classification":"spark-defaults"}]"#.to_string());
        current.tags_all = PlannedMap::of(std::iter::empty());
        let on = || {
            AutoStopConfig::builder()
                .enabled(true)
                .idle_timeout_minutes(15)
                .build()
        };
        let app = |specs: &[(&str, &str)], runtime: bool| {
            let mut b = application(on()).image_configuration(
                ImageConfiguration::builder()
                    .image_uri(ours)
                    .build()
                    .unwrap(),
            );
            for (t, uri) in specs {
                b = b.worker_type_specifications(*t, image(uri));
            }
            if runtime {
                b = b.runtime_configuration(
                    Configuration::builder()
                        .classification("spark-defaults")
                        .build()
                        .unwrap(),
                );
            }
            b.build().unwrap()
        };
        // As applied: every worker type listed with the application's image.
        let st = state_of(
            &current,
            &app(&[("Driver", ours), ("Executor", ours)], true),
            &BTreeMap::new(),
        );
        assert_eq!(st.worker_type_image, current.worker_type_image);
        assert_eq!(st.runtime_configuration, current.runtime_configuration);
        // Someone sets the executors' image and removes the runtime configuration.
        let st = state_of(
            &current,
            &app(&[("Driver", ours), ("Executor", theirs)], false),
            &BTreeMap::new(),
        );
        let images: Vec<(Option<&str>, Option<&str>)> = st
            .worker_type_image
            .elems()
            .iter()
            .map(|w| (w.worker_type.as_str(), w.image_uri.as_str()))
            .collect();
        assert_eq!(images, [(Some("EXECUTOR"), Some(theirs))]);
        assert!(st.runtime_configuration.is_null());
        assert_ne!(st.runtime_configuration, current.runtime_configuration);
        // An empty list as configured is what AWS's nothing means.
        current.runtime_configuration = Planned::Known("[]".to_string());
        let st = state_of(&current, &app(&[], false), &BTreeMap::new());
        assert_eq!(st.runtime_configuration, current.runtime_configuration);
    }

    fn started_app(f: impl FnOnce(&mut Model)) -> Model {
        let mut m: Model = model::decode(&base()).expect("model");
        m.state = "STARTED".into();
        m.maximum_capacity = Planned::Known(Maximum {
            cpu: "200 vCPU".into(),
            memory: "800 GB".into(),
            disk: Planned::Null,
        });
        m.initial_capacity = Planned::Known(vec![
            Capacity {
                worker_type: "DRIVER".into(),
                worker_count: Planned::Known(Number::from_i64(1)),
                ..Capacity::default()
            },
            Capacity {
                worker_type: "EXECUTOR".into(),
                worker_count: Planned::Known(Number::from_i64(2)),
                ..Capacity::default()
            },
        ]);
        f(&mut m);
        m
    }

    #[test]
    fn only_settings_a_started_application_accepts_skip_the_stop() {
        let prior = started_app(|_| {});
        let kind = |f: fn(&mut Model)| update_kind(&prior, &started_app(f));
        assert_eq!(kind(|_| {}), UpdateKind::NoSettings);
        assert_eq!(
            kind(|m| m.tags = PlannedMap::of([("team".to_string(), "a".to_string())])),
            UpdateKind::NoSettings
        );
        // The set of initial capacities in another order is the same set.
        assert_eq!(
            kind(|m| {
                if let Planned::Known(c) = &mut m.initial_capacity {
                    c.reverse();
                }
            }),
            UpdateKind::NoSettings
        );
        let capacity = |m: &mut Model| {
            if let Planned::Known(max) = &mut m.maximum_capacity {
                max.cpu = "100 vCPU".into();
            }
        };
        assert_eq!(kind(capacity), UpdateKind::WhileStarted);
        assert_eq!(
            kind(|m| {
                if let Planned::Known(max) = &mut m.maximum_capacity {
                    max.cpu = "100 vCPU".into();
                }
                m.network = Planned::Known(Network {
                    subnet_ids: PlannedList::of(["subnet-a".to_string()]),
                    security_group_ids: PlannedList::of(["sg-a".to_string()]),
                });
            }),
            UpdateKind::Restart(vec!["network"])
        );
        assert_eq!(
            kind(|m| {
                m.release_label = Planned::Unknown;
                m.auto_stop_idle_timeout_minutes = Planned::Known(Number::from_i64(30));
            }),
            UpdateKind::Restart(vec!["release_label", "auto_stop_idle_timeout_minutes"])
        );
        assert_eq!(
            kind(|m| {
                if let Planned::Known(c) = &mut m.initial_capacity {
                    c.pop();
                }
            }),
            UpdateKind::Restart(vec!["initial_capacity"])
        );
    }

    #[test]
    fn scheduler_concurrency_alone_skips_the_stop_and_monitoring_needs_it() {
        let scheduler = |max: i64, queue: i64| {
            Planned::Known(Scheduler {
                max_concurrent_runs: Planned::Known(Number::from_i64(max)),
                queue_timeout_minutes: Planned::Known(Number::from_i64(queue)),
            })
        };
        let prior = started_app(|m| m.scheduler = scheduler(15, 360));
        let with = |s: Planned<Scheduler>| {
            let mut plan = prior.clone();
            plan.scheduler = s;
            update_kind(&prior, &plan)
        };
        assert_eq!(with(scheduler(30, 360)), UpdateKind::WhileStarted);
        assert_eq!(
            with(scheduler(30, 60)),
            UpdateKind::Restart(vec!["scheduler"])
        );
        // Removing the block stops managing it: nothing is sent.
        assert_eq!(with(Planned::Null), UpdateKind::NoSettings);
        let mut plan = prior.clone();
        plan.monitoring = Planned::Known(Monitoring::default());
        assert_eq!(
            update_kind(&prior, &plan),
            UpdateKind::Restart(vec!["monitoring"])
        );
    }

    #[test]
    fn a_runtime_configuration_is_compared_semantically_and_needs_a_stop() {
        let doc = r#"[{"classification":"spark-defaults","properties":{"a":"1","b":"2"}}]"#;
        let prior = started_app(|m| m.runtime_configuration = doc.into());
        let spaced =
            r#"[ { "properties": { "b": "2", "a": "1" }, "classification": "spark-defaults" } ]"#;
        let same = started_app(|m| m.runtime_configuration = spaced.into());
        assert_eq!(update_kind(&prior, &same), UpdateKind::NoSettings);
        let changed = started_app(|m| {
            m.runtime_configuration = Planned::Known(doc.replace("\"2\"", "\"3\""))
        });
        assert_eq!(
            update_kind(&prior, &changed),
            UpdateKind::Restart(vec!["runtime_configuration"])
        );
        let removed = started_app(|_| {});
        assert_eq!(
            update_kind(&prior, &removed),
            UpdateKind::Restart(vec!["runtime_configuration"])
        );
        let d = validate_config(&{
            let mut v = base();
            v.set_attr(
                "runtime_configuration",
                Value::string(r#"[{"Classification":"x"}]"#),
            );
            v
        });
        let paths: Vec<String> = d
            .iter()
            .filter_map(|x| x.path.as_ref().map(|p| p.to_string()))
            .collect();
        assert_eq!(paths, ["runtime_configuration"], "{d}");
    }

    #[test]
    fn the_plan_warns_when_an_update_stops_the_application() {
        let prior = started_app(|_| {});
        let plan = started_app(|m| m.release_label = "emr-7.9.0".into());
        let d = restart_warning(&prior, &plan);
        let w: Vec<&Diagnostic> = d.iter().collect();
        assert_eq!(w.len(), 1, "{d:?}");
        assert!(!d.has_errors());
        assert_eq!(w[0].path, Some(AttrPath::attr("release_label")));
        assert!(
            w[0].summary.contains("stops the application"),
            "{}",
            w[0].summary
        );
        assert!(w[0]
            .detail
            .contains("changes release_label only on a stopped application"));
        assert!(w[0].detail.contains("is STARTED now"), "{}", w[0].detail);
        let capacity_only = started_app(|m| {
            if let Planned::Known(max) = &mut m.maximum_capacity {
                max.memory = "400 GB".into();
            }
        });
        assert!(restart_warning(&prior, &capacity_only).is_empty());
    }

    mod lifecycle {
        use std::sync::atomic::{AtomicBool, Ordering};

        use aws_sdk_emrserverless::operation::get_application::GetApplicationOutput;
        use aws_sdk_emrserverless::operation::start_application::StartApplicationOutput;
        use aws_sdk_emrserverless::operation::stop_application::{
            StopApplicationError, StopApplicationOutput,
        };
        use aws_sdk_emrserverless::types::Application;
        use aws_sdk_emrserverless::Client;
        use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
        use aws_smithy_types::DateTime;
        use tokio_util::sync::CancellationToken;

        use super::super::*;

        fn app(state: ApplicationState) -> GetApplicationOutput {
            let a = Application::builder()
                .application_id("00fapp")
                .name("acme")
                .arn("arn:aws:emr-serverless:us-east-1:123456789012:/applications/00fapp")
                .release_label("emr-7.8.0")
                .r#type("SPARK")
                .state(state)
                .created_at(DateTime::from_secs(0))
                .updated_at(DateTime::from_secs(0))
                .build()
                .expect("application");
            GetApplicationOutput::builder().application(a).build()
        }

        fn states(s: &'static [ApplicationState]) -> Rule {
            let mut r = mock!(Client::get_application).sequence();
            for st in s {
                r = r.output(move || app(st.clone()));
            }
            r.build()
        }

        struct Calls {
            stop: Rule,
            start: Rule,
            get: Rule,
        }

        async fn run(
            get: Rule,
            stop: Rule,
            update: Result<(), String>,
        ) -> (Result<(), String>, Calls, bool) {
            let start = mock!(Client::start_application)
                .then_output(|| StartApplicationOutput::builder().build());
            let es = mock_client!(
                aws_sdk_emrserverless,
                RuleMode::MatchAny,
                [&get, &stop, &start]
            );
            let ctx = Ctx {
                cancel: CancellationToken::new(),
            };
            let ran = AtomicBool::new(false);
            let update = async {
                ran.store(true, Ordering::SeqCst);
                update
            };
            let r =
                with_application_stopped(&es, &ctx, "00fapp", Duration::from_secs(5), update).await;
            (r, Calls { stop, start, get }, ran.load(Ordering::SeqCst))
        }

        fn stop_ok() -> Rule {
            mock!(Client::stop_application).then_output(|| StopApplicationOutput::builder().build())
        }

        #[tokio::test]
        async fn a_failed_update_of_a_started_application_starts_it_again() {
            use ApplicationState::{Started, Stopped};
            let get = states(&[Started, Stopped, Started]);
            let (r, calls, ran) = run(get, stop_ok(), Err("ValidationException: no".into())).await;
            assert_eq!(r, Err("ValidationException: no".to_string()));
            assert!(ran);
            let n = (
                calls.stop.num_calls(),
                calls.start.num_calls(),
                calls.get.num_calls(),
            );
            assert_eq!(n, (1, 1, 3), "stop, update, start again");
        }

        #[tokio::test]
        async fn a_stopped_application_is_updated_without_a_stop_or_start() {
            let get = states(&[ApplicationState::Stopped]);
            let (r, calls, ran) = run(get, stop_ok(), Ok(())).await;
            assert_eq!(r, Ok(()));
            assert!(ran);
            assert_eq!((calls.stop.num_calls(), calls.start.num_calls()), (0, 0));
        }

        #[tokio::test]
        async fn a_refused_stop_sends_no_update_and_no_start() {
            let get = states(&[ApplicationState::Started]);
            let stop = mock!(Client::stop_application).then_error(|| {
                StopApplicationError::generic(
                    aws_smithy_types::error::ErrorMetadata::builder()
                        .code("ValidationException")
                        .message("jobs are running")
                        .build(),
                )
            });
            let (r, calls, ran) = run(get, stop, Ok(())).await;
            let e = r.expect_err("the stop was refused");
            assert!(
                e.starts_with("stopping: ") && e.contains("jobs are running"),
                "{e}"
            );
            assert!(!ran, "no update after a refused stop");
            assert_eq!(calls.start.num_calls(), 0);
        }
    }
}
