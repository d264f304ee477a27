//! emr_serverless_application (seed 004, and applications for seed 003).
//! find → status → wait: one `find` maps NotFound and TERMINATED to "gone";
//! waiters poll with honest timeouts and report the API's state details. A
//! STARTED application is stopped, updated and started again.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_emrserverless::types::{
    Application, ApplicationState, Architecture, AutoStartConfig, AutoStopConfig,
    IdentityCenterConfigurationInput, InitialCapacityConfig, InteractiveConfiguration,
    MaximumAllowedResources, NetworkConfiguration, WorkerResourceConfig,
};

use crate::configured::{Configured, ProviderData};
use crate::resources::{merged_tags, strings, tags_map};
use crate::tfplugin::{
    ApplyResult, AttrPath, Attribute, Block, Ctx, Diagnostic, Diagnostics, Import, NestedBlock,
    PlanRequest, Resource, Schema, Type, Value,
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
    let interactive = Block::new()
        .attr(
            Attribute::optional("livy_endpoint_enabled", Type::Bool)
                .default(Value::Bool(false))
                .desc("Apache Livy endpoint."),
        )
        .attr(
            Attribute::optional("studio_enabled", Type::Bool)
                .default(Value::Bool(false))
                .desc("EMR Studio access."),
        );
    let identity = Block::new()
        .desc("Trusted identity propagation through IAM Identity Center (seed 004): SPARK, emr-7.8.0 or later, Livy endpoint enabled.")
        .attr(Attribute::required("instance_arn", Type::String).desc("Identity Center instance ARN."))
        .attr(Attribute::optional("user_background_sessions_enabled", Type::Bool).default(Value::Bool(false)).desc("Let sessions continue after the user signs out."));
    let timeouts = Block::new()
        .desc("How long to wait for the application (durations like `30s`, `10m`, `1h`).")
        .attr(Attribute::optional("create", Type::String).desc("Defaults to 10m."))
        .attr(
            Attribute::optional("update", Type::String)
                .desc("Defaults to 10m (stop, update and start)."),
        )
        .attr(Attribute::optional("delete", Type::String).desc("Defaults to 10m."));
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
            .attr(Attribute::optional("tags", Type::map(Type::String)).desc("Tags."))
            .attr(
                Attribute::computed("tags_all", Type::map(Type::String))
                    .desc("Tags including the provider's `default_tags`."),
            )
            .block(NestedBlock::set("initial_capacity", capacity))
            .block(NestedBlock::single("maximum_capacity", maximum))
            .block(NestedBlock::single("network", network))
            .block(NestedBlock::single("interactive", interactive))
            .block(NestedBlock::single("identity_center", identity))
            .block(NestedBlock::single("timeouts", timeouts)),
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

pub fn validate_config(cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let p = AttrPath::parse_dotted;
    if let Some(n) = cfg.str_attr("name") {
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
    let ty = cfg.str_attr("type").map(str::to_ascii_uppercase);
    if let Some(t) = &ty {
        if t != "SPARK" && t != "HIVE" {
            d.attr_error(
                p("type"),
                "Invalid type",
                format!("type must be SPARK or HIVE, got {t:?}."),
            );
        }
    }
    let rel = cfg.str_attr("release_label");
    if let Some(r) = rel {
        if release(r).is_none() {
            d.attr_error(
                p("release_label"),
                "Invalid release label",
                format!("{r:?} is not an EMR release label like emr-7.8.0."),
            );
        }
    }
    if let Some(a) = cfg.str_attr("architecture") {
        if a != "X86_64" && a != "ARM64" {
            d.attr_error(
                p("architecture"),
                "Invalid architecture",
                "architecture must be X86_64 or ARM64.",
            );
        }
    }
    if let Some(n) = cfg.get("auto_stop_idle_timeout_minutes").as_number() {
        if !n.to_i64().is_some_and(|i| (1..=10080).contains(&i)) {
            d.attr_error(
                p("auto_stop_idle_timeout_minutes"),
                "Invalid idle timeout",
                "auto_stop_idle_timeout_minutes must be a whole number from 1 to 10080.",
            );
        }
    }
    for c in cfg.get("initial_capacity").as_elems().unwrap_or_default() {
        if let Some(w) = c.str_attr("worker_type") {
            let allowed: &[&str] = match ty.as_deref() {
                Some("HIVE") => &["HIVE_DRIVER", "TEZ_TASK"],
                _ => &["DRIVER", "EXECUTOR"],
            };
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
        if c.get("worker_count")
            .as_i64()
            .is_some_and(|n| !(1..=1_000_000).contains(&n))
        {
            d.attr_error(
                p("initial_capacity.worker_count"),
                "Invalid worker count",
                "worker_count must be at least 1.",
            );
        }
        for (k, unit) in [("cpu", "vCPU"), ("memory", "GB"), ("disk", "GB")] {
            if let Some(s) = c.str_attr(k) {
                if !quantity_ok(s, unit) {
                    d.attr_error(
                        p(&format!("initial_capacity.{k}")),
                        "Invalid quantity",
                        format!(
                            "{k} is a positive number of {unit}, e.g. \"4 {unit}\"; got {s:?}."
                        ),
                    );
                }
            }
        }
    }
    let max = cfg.get("maximum_capacity");
    for (k, unit) in [("cpu", "vCPU"), ("memory", "GB"), ("disk", "GB")] {
        if let Some(s) = max.str_attr(k) {
            if !quantity_ok(s, unit) {
                d.attr_error(
                    p(&format!("maximum_capacity.{k}")),
                    "Invalid quantity",
                    format!("{k} is a positive number of {unit}, e.g. \"200 {unit}\"; got {s:?}."),
                );
            }
        }
    }
    let net = cfg.get("network");
    for s in net.get("subnet_ids").as_elems().unwrap_or_default() {
        if let Some(x) = s.as_str() {
            if !x.starts_with("subnet-") {
                d.attr_error(
                    p("network.subnet_ids"),
                    "Invalid subnet",
                    format!("{x:?} is not a subnet id."),
                );
            }
        }
    }
    for s in net.get("security_group_ids").as_elems().unwrap_or_default() {
        if let Some(x) = s.as_str() {
            if !x.starts_with("sg-") {
                d.attr_error(
                    p("network.security_group_ids"),
                    "Invalid security group",
                    format!("{x:?} is not a security group id."),
                );
            }
        }
    }
    let ic = cfg.get("identity_center");
    if let Some(a) = ic.str_attr("instance_arn") {
        let ok = crate::validate::parse_arn(a)
            .is_some_and(|x| x.service == "sso" && x.resource.starts_with("instance/ssoins-"));
        if !ok {
            d.attr_error(p("identity_center.instance_arn"), "Invalid Identity Center instance", format!("{a:?} is not an Identity Center instance ARN (arn:aws:sso:::instance/ssoins-...)."));
        }
    }
    if !ic.is_null() {
        // Seed 004: TIP is for Spark, emr-7.8.0+, through the Livy endpoint only.
        if ty.as_deref().is_some_and(|t| t != "SPARK") {
            d.attr_error(
                p("type"),
                "Trusted identity propagation needs SPARK",
                "identity_center is supported for SPARK applications only.",
            );
        }
        if let Some(v) = rel.and_then(release) {
            if v < TIP_MIN_RELEASE {
                d.attr_error(
                    p("release_label"),
                    "Release too old for trusted identity propagation",
                    "identity_center needs emr-7.8.0 or later.",
                );
            }
        }
        let livy = cfg.get("interactive").get("livy_endpoint_enabled");
        if !livy.is_unknown() && livy.as_bool() != Some(true) {
            d.attr_error(p("interactive.livy_endpoint_enabled"), "Livy endpoint required", "identity_center works through the Apache Livy endpoint: set interactive { livy_endpoint_enabled = true }.");
        }
    }
    let to = cfg.get("timeouts");
    for k in ["create", "update", "delete"] {
        if let Some(s) = to.str_attr(k) {
            if parse_duration(s).is_none() {
                d.attr_error(
                    p(&format!("timeouts.{k}")),
                    "Invalid duration",
                    format!("{s:?} is not a duration like 30s, 10m or 1h."),
                );
            }
        }
    }
    d
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
pub async fn find(c: &Configured, id: &str) -> Result<Option<Application>, String> {
    match c
        .aws
        .emrserverless
        .get_application()
        .application_id(id)
        .send()
        .await
    {
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
    c: &Configured,
    ctx: &Ctx,
    id: &str,
    want: &[ApplicationState],
    gone_ok: bool,
    timeout: Duration,
) -> Result<Option<Application>, String> {
    let start = tokio::time::Instant::now();
    let mut delay = Duration::from_millis(500);
    loop {
        let app = find(c, id).await?;
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

fn timeout_of(st: &Value, which: &str) -> Duration {
    st.get("timeouts")
        .str_attr(which)
        .and_then(parse_duration)
        .unwrap_or(Duration::from_secs(600))
}

fn client_token() -> String {
    let mut b = [0u8; 16];
    let _ = aws_lc_rs::rand::fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
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
}

fn desired(st: &Value) -> Result<Desired, String> {
    let mut initial = HashMap::new();
    for c in st.get("initial_capacity").as_elems().unwrap_or_default() {
        let mut w = WorkerResourceConfig::builder()
            .cpu(c.str_attr("cpu").unwrap_or_default())
            .memory(c.str_attr("memory").unwrap_or_default());
        if let Some(d) = c.str_attr("disk") {
            w = w.disk(d);
        }
        let cfg = InitialCapacityConfig::builder()
            .worker_count(c.get("worker_count").as_i64().unwrap_or(1))
            .worker_configuration(w.build().map_err(|e| e.to_string())?)
            .build()
            .map_err(|e| e.to_string())?;
        initial.insert(
            api_worker_type(c.str_attr("worker_type").unwrap_or_default()),
            cfg,
        );
    }
    let m = st.get("maximum_capacity");
    let maximum = if m.is_null() {
        None
    } else {
        let mut b = MaximumAllowedResources::builder()
            .cpu(m.str_attr("cpu").unwrap_or_default())
            .memory(m.str_attr("memory").unwrap_or_default());
        if let Some(d) = m.str_attr("disk") {
            b = b.disk(d);
        }
        Some(b.build().map_err(|e| e.to_string())?)
    };
    let n = st.get("network");
    let network = (!n.is_null()).then(|| {
        NetworkConfiguration::builder()
            .set_subnet_ids(strings(n.get("subnet_ids")))
            .set_security_group_ids(strings(n.get("security_group_ids")))
            .build()
    });
    let i = st.get("interactive");
    let interactive = (!i.is_null()).then(|| {
        InteractiveConfiguration::builder()
            .livy_endpoint_enabled(i.get("livy_endpoint_enabled").as_bool().unwrap_or(false))
            .studio_enabled(i.get("studio_enabled").as_bool().unwrap_or(false))
            .build()
    });
    let ic = st.get("identity_center");
    let identity = (!ic.is_null()).then(|| {
        IdentityCenterConfigurationInput::builder()
            .identity_center_instance_arn(ic.str_attr("instance_arn").unwrap_or_default())
            .user_background_sessions_enabled(
                ic.get("user_background_sessions_enabled")
                    .as_bool()
                    .unwrap_or(false),
            )
            .build()
    });
    Ok(Desired {
        initial,
        maximum,
        auto_start: AutoStartConfig::builder()
            .enabled(st.get("auto_start").as_bool().unwrap_or(true))
            .build(),
        auto_stop: AutoStopConfig::builder()
            .enabled(true)
            .idle_timeout_minutes(
                st.get("auto_stop_idle_timeout_minutes")
                    .as_i64()
                    .and_then(|x| i32::try_from(x).ok())
                    .unwrap_or(15),
            )
            .build(),
        network,
        interactive,
        identity,
        architecture: Architecture::from(st.str_attr("architecture").unwrap_or("X86_64")),
    })
}

/// State from what the API returns. Settings the API leaves out (the
/// emulator stores no architecture, interactive or Identity Center settings)
/// keep their recorded value rather than showing as drift.
fn state_of(current: &Value, a: &Application, default_tags: &BTreeMap<String, String>) -> Value {
    let mut st = current.clone();
    st.set_attr("id", Value::string(a.application_id()));
    st.set_attr("arn", Value::string(a.arn()));
    st.set_attr("state", Value::string(a.state().as_str()));
    if let Some(n) = a.name() {
        st.set_attr("name", Value::string(n));
    }
    let ty = match current.str_attr("type") {
        Some(t) if t.eq_ignore_ascii_case(a.r#type()) => t.to_string(),
        _ => a.r#type().to_ascii_uppercase(),
    };
    st.set_attr("type", Value::String(ty));
    st.set_attr("release_label", Value::string(a.release_label()));
    if let Some(arch) = a.architecture() {
        st.set_attr("architecture", Value::string(arch.as_str()));
    }
    if let Some(caps) = a.initial_capacity() {
        let elems: Vec<Value> = caps
            .iter()
            .map(|(k, v)| {
                let w = v.worker_configuration();
                Value::object([
                    ("worker_type", Value::String(our_worker_type(k))),
                    ("worker_count", Value::number(v.worker_count())),
                    (
                        "cpu",
                        w.map(|x| Value::string(x.cpu())).unwrap_or(Value::Null),
                    ),
                    (
                        "memory",
                        w.map(|x| Value::string(x.memory())).unwrap_or(Value::Null),
                    ),
                    (
                        "disk",
                        w.and_then(|x| x.disk())
                            .map(Value::string)
                            .unwrap_or(Value::Null),
                    ),
                ])
            })
            .collect();
        st.set_attr("initial_capacity", Value::set(elems));
    }
    if let Some(m) = a.maximum_capacity() {
        st.set_attr(
            "maximum_capacity",
            Value::object([
                ("cpu", Value::string(m.cpu())),
                ("memory", Value::string(m.memory())),
                ("disk", m.disk().map(Value::string).unwrap_or(Value::Null)),
            ]),
        );
    }
    if let Some(s) = a.auto_start_configuration().and_then(|s| s.enabled()) {
        st.set_attr("auto_start", Value::Bool(s));
    }
    if let Some(t) = a
        .auto_stop_configuration()
        .and_then(|s| s.idle_timeout_minutes())
    {
        st.set_attr(
            "auto_stop_idle_timeout_minutes",
            Value::number(i64::from(t)),
        );
    }
    if let Some(n) = a.network_configuration() {
        if !n.subnet_ids().is_empty() || !n.security_group_ids().is_empty() {
            st.set_attr(
                "network",
                Value::object([
                    (
                        "subnet_ids",
                        Value::List(n.subnet_ids().iter().map(Value::string).collect()),
                    ),
                    (
                        "security_group_ids",
                        Value::List(n.security_group_ids().iter().map(Value::string).collect()),
                    ),
                ]),
            );
        }
    }
    if let Some(i) = a.interactive_configuration() {
        st.set_attr(
            "interactive",
            Value::object([
                (
                    "livy_endpoint_enabled",
                    Value::Bool(i.livy_endpoint_enabled().unwrap_or(false)),
                ),
                (
                    "studio_enabled",
                    Value::Bool(i.studio_enabled().unwrap_or(false)),
                ),
            ]),
        );
    }
    if let Some(ic) = a.identity_center_configuration() {
        if let Some(arn) = ic.identity_center_instance_arn() {
            st.set_attr(
                "identity_center",
                Value::object([
                    ("instance_arn", Value::string(arn)),
                    (
                        "user_background_sessions_enabled",
                        Value::Bool(ic.user_background_sessions_enabled().unwrap_or(false)),
                    ),
                ]),
            );
        }
    }
    if let Some(t) = a.tags() {
        let all: BTreeMap<String, Value> = t
            .iter()
            .map(|(k, v)| (k.clone(), Value::string(v)))
            .collect();
        if current.get("tags").is_null() && current.get("tags_all").is_null() {
            // importing: the user's tags are those not from default_tags
            let own: BTreeMap<String, Value> = t
                .iter()
                .filter(|(k, v)| default_tags.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), Value::string(v)))
                .collect();
            st.set_attr(
                "tags",
                if own.is_empty() {
                    Value::Null
                } else {
                    Value::Map(own)
                },
            );
        }
        st.set_attr("tags_all", Value::Map(all));
    }
    st
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
        diags.extend(validate_config(req.config));
        let Ok(c) = self.data.get() else { return };
        planned.set_attr(
            "tags_all",
            merged_tags(&c.default_tags, planned.get("tags")),
        );
        // The type's case is not significant to EMR Serverless.
        if let (Some(p), Some(n)) = (req.prior.str_attr("type"), req.config.str_attr("type")) {
            if p.eq_ignore_ascii_case(n) {
                planned.set_attr("type", Value::string(p));
            }
        }
    }

    async fn create(&self, ctx: &Ctx, planned: &Value, _config: &Value) -> ApplyResult {
        let c = match self.data.get() {
            Ok(c) => c,
            Err(d) => return ApplyResult::failed(Value::Null, d),
        };
        let name = planned.str_attr("name").unwrap_or_default().to_string();
        let d = match desired(planned) {
            Ok(d) => d,
            Err(e) => return ApplyResult::failed(Value::Null, err("creating", &name, e)),
        };
        crate::info!("creating EMR Serverless application", "name" => name);
        let out = c
            .aws
            .emrserverless
            .create_application()
            .name(&name)
            .r#type(planned.str_attr("type").unwrap_or("SPARK"))
            .release_label(planned.str_attr("release_label").unwrap_or_default())
            .client_token(client_token())
            .set_initial_capacity(if d.initial.is_empty() {
                None
            } else {
                Some(d.initial)
            })
            .set_maximum_capacity(d.maximum)
            .auto_start_configuration(d.auto_start)
            .auto_stop_configuration(d.auto_stop)
            .set_network_configuration(d.network)
            .set_interactive_configuration(d.interactive)
            .set_identity_center_configuration(d.identity)
            .architecture(d.architecture)
            .set_tags(Some(
                tags_map(planned.get("tags_all")).into_iter().collect(),
            ))
            .send()
            .await;
        let id = match out {
            Ok(o) => o.application_id().to_string(),
            Err(e) => {
                return ApplyResult::failed(
                    Value::Null,
                    err("creating", &name, crate::aws::errors::describe(&e)),
                )
            }
        };
        let mut st = planned.clone();
        st.set_attr("id", Value::string(&id));
        let ready = [
            ApplicationState::Created,
            ApplicationState::Started,
            ApplicationState::Stopped,
        ];
        match wait_for(&c, ctx, &id, &ready, false, timeout_of(planned, "create")).await {
            Ok(Some(a)) => {
                let mut s = state_of(&st, &a, &c.default_tags);
                // Keep the planned configuration text where the API agrees.
                s.set_attr("tags", planned.get("tags").clone());
                ApplyResult::ok(s)
            }
            Ok(None) => ApplyResult::failed(
                st,
                err("creating", &id, "the application vanished after creation"),
            ),
            Err(e) => ApplyResult::failed(st, err("waiting for", &id, e)),
        }
    }

    async fn read(&self, _ctx: &Ctx, current: &Value) -> Result<Value, Diagnostics> {
        let c = self.data.get()?;
        let Some(id) = current.str_attr("id").map(str::to_string) else {
            return Ok(Value::Null);
        };
        match find(&c, &id).await.map_err(|e| err("reading", &id, e))? {
            None => {
                crate::warn!("EMR Serverless application not found, removing from state", "id" => id);
                Ok(Value::Null)
            }
            Some(a) => Ok(state_of(current, &a, &c.default_tags)),
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
        let id = prior.str_attr("id").unwrap_or_default().to_string();
        let timeout = timeout_of(planned, "update");
        let d = match desired(planned) {
            Ok(d) => d,
            Err(e) => return ApplyResult::failed(prior.clone(), err("updating", &id, e)),
        };
        let fail = |m: String| ApplyResult::failed(prior.clone(), err("updating", &id, m));
        let es = &c.aws.emrserverless;
        // Only CREATED or STOPPED applications can be updated.
        let current = match find(&c, &id).await {
            Ok(Some(a)) => a,
            Ok(None) => return fail("the application no longer exists".into()),
            Err(e) => return fail(e),
        };
        let was_started = matches!(
            current.state(),
            ApplicationState::Started | ApplicationState::Starting
        );
        if was_started {
            crate::info!("stopping EMR Serverless application to update it", "id" => id);
            if let Err(e) = es.stop_application().application_id(&id).send().await {
                return fail(format!("stopping: {}", crate::aws::errors::describe(&e)));
            }
            if let Err(e) =
                wait_for(&c, ctx, &id, &[ApplicationState::Stopped], false, timeout).await
            {
                return fail(format!("waiting for STOPPED: {e}"));
            }
        }
        let out = es
            .update_application()
            .application_id(&id)
            .client_token(client_token())
            .release_label(planned.str_attr("release_label").unwrap_or_default())
            .set_initial_capacity(Some(d.initial))
            .set_maximum_capacity(d.maximum)
            .auto_start_configuration(d.auto_start)
            .auto_stop_configuration(d.auto_stop)
            .set_network_configuration(d.network)
            .set_interactive_configuration(d.interactive)
            .set_identity_center_configuration(d.identity)
            .architecture(d.architecture)
            .send()
            .await;
        if let Err(e) = out {
            return fail(crate::aws::errors::describe(&e));
        }
        let tags_have = tags_map(prior.get("tags_all"));
        let tags_want = tags_map(planned.get("tags_all"));
        if tags_have != tags_want {
            let arn = prior.str_attr("arn").unwrap_or_default();
            let remove: Vec<String> = tags_have
                .keys()
                .filter(|k| !tags_want.contains_key(*k))
                .cloned()
                .collect();
            if !remove.is_empty() {
                if let Err(e) = es
                    .untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(remove))
                    .send()
                    .await
                {
                    return fail(format!("untagging: {}", crate::aws::errors::describe(&e)));
                }
            }
            if let Err(e) = es
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(tags_want.into_iter().collect()))
                .send()
                .await
            {
                return fail(format!("tagging: {}", crate::aws::errors::describe(&e)));
            }
        }
        if was_started {
            crate::info!("starting EMR Serverless application again", "id" => id);
            if let Err(e) = es.start_application().application_id(&id).send().await {
                return fail(format!(
                    "starting again: {}",
                    crate::aws::errors::describe(&e)
                ));
            }
            if let Err(e) =
                wait_for(&c, ctx, &id, &[ApplicationState::Started], false, timeout).await
            {
                return fail(format!("waiting for STARTED: {e}"));
            }
        }
        match find(&c, &id).await {
            Ok(Some(a)) => {
                let mut s = state_of(planned, &a, &c.default_tags);
                s.set_attr("tags", planned.get("tags").clone());
                ApplyResult::ok(s)
            }
            Ok(None) => fail("the application vanished during the update".into()),
            Err(e) => fail(e),
        }
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Diagnostics {
        let c = match self.data.get() {
            Ok(c) => c,
            Err(d) => return d,
        };
        let Some(id) = prior.str_attr("id").map(str::to_string) else {
            return Diagnostics::new();
        };
        let timeout = timeout_of(prior, "delete");
        let es = &c.aws.emrserverless;
        let app = match find(&c, &id).await {
            Ok(Some(a)) => a,
            Ok(None) => return Diagnostics::new(),
            Err(e) => return err("deleting", &id, e),
        };
        if matches!(
            app.state(),
            ApplicationState::Started | ApplicationState::Starting
        ) {
            if let Err(e) = es.stop_application().application_id(&id).send().await {
                return err("stopping", &id, crate::aws::errors::describe(&e));
            }
            if let Err(e) =
                wait_for(&c, ctx, &id, &[ApplicationState::Stopped], true, timeout).await
            {
                return err("waiting to delete", &id, e);
            }
        }
        crate::info!("deleting EMR Serverless application", "id" => id);
        match es.delete_application().application_id(&id).send().await {
            Ok(_) => {}
            Err(e) if crate::aws::is_not_found(&e) => return Diagnostics::new(),
            Err(e) => return err("deleting", &id, crate::aws::errors::describe(&e)),
        }
        match wait_for(&c, ctx, &id, &[], true, timeout).await {
            Ok(_) => Diagnostics::new(),
            Err(e) => err("waiting for deletion of", &id, e),
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
        let mut st = schema().block.empty_value();
        st.set_attr("id", Value::string(id));
        // Defaults the API may not echo (emulator); Read overwrites what it returns.
        st.set_attr("architecture", Value::string("X86_64"));
        Ok(st)
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
        ];
        assert!(!validate_config(&base()).has_errors());
        for (path, cfg) in cases {
            let d = validate_config(&cfg);
            assert!(
                d.iter()
                    .any(|x| x.path.as_ref().map(|p| p.to_string()).as_deref() == Some(path)),
                "expected an error at {path}, got {d}"
            );
        }
    }

    #[test]
    fn worker_type_names_map_both_ways() {
        assert_eq!(api_worker_type("DRIVER"), "Driver");
        assert_eq!(our_worker_type("TezTask"), "TEZ_TASK");
        assert_eq!(our_worker_type("EXECUTOR"), "EXECUTOR");
    }
}
