//! emr_cluster_configuration (seeds 000/001, "Configuration"): what a
//! cluster is — release, applications, instances, configurations, bootstrap
//! actions, scaling — as the RunJobFlow request it describes, plus which
//! secrets a launch merges in and which values a launch may override, within
//! what bounds. Stored as metadata in SSM like the profile.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as J};

use crate::configured::Configured;
use crate::configured::ProviderData;
use crate::emr::cluster::{
    bootstrap_of, fleet_of, group_of, jnum, jstr, jstrs, list, metadata_document, override_of,
    run_job_flow, scaling_of, secret_key, secret_of, secrets_of, without_secret_annotations,
    Bootstrap, Configuration, Ebs, Fleet, Group, Override, Scaling, Secret, SECRET_ANNOTATION_MAX,
    SECRET_PREFIX,
};
use crate::emr::overrides::validate_overrides;
use crate::metadata::{self, Kind};
use crate::resources::{import_parameter_stub, set_parameter_identity};
use crate::tfplugin::{
    model, ApplyResult, AttrPath, Attribute, Block, Ctx, Diagnostic, Diagnostics, Import,
    NestedBlock, Number, PlanRequest, Planned, PlannedList, PlannedMap, Resource, Schema, Type,
    Value,
};
use crate::validate;

const TYPE_NAME: &str = "emr_cluster_configuration";

/// Application names EMR accepts in RunJobFlow.
pub const APPLICATIONS: [&str; 27] = [
    "Flink",
    "Ganglia",
    "HBase",
    "HCatalog",
    "Hadoop",
    "Hive",
    "Hudi",
    "Hue",
    "Iceberg",
    "JupyterEnterpriseGateway",
    "JupyterHub",
    "Livy",
    "MXNet",
    "Mahout",
    "Oozie",
    "Phoenix",
    "Pig",
    "Presto",
    "Spark",
    "Sqoop",
    "TensorFlow",
    "Tez",
    "Trino",
    "Zeppelin",
    "ZooKeeper",
    "Delta",
    "CloudWatchAgent",
];
const ROLES: [&str; 3] = ["MASTER", "CORE", "TASK"];
const VOLUME_TYPES: [&str; 7] = ["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"];
const UNIT_TYPES: [&str; 3] = ["Instances", "InstanceFleetUnits", "VCPU"];

pub struct ClusterConfiguration {
    data: Arc<ProviderData>,
}

impl ClusterConfiguration {
    pub fn new(data: Arc<ProviderData>) -> Self {
        ClusterConfiguration { data }
    }
}

fn ebs_block() -> Block {
    Block::new()
        .desc("EBS volumes per instance.")
        .attr(
            Attribute::required("volume_type", Type::String)
                .desc("gp2, gp3, io1, io2, st1, sc1 or standard."),
        )
        .attr(Attribute::required("size_gb", Type::Number).desc("Size of each volume in GiB."))
        .attr(
            Attribute::optional("volumes_per_instance", Type::Number)
                .default(Value::number(1))
                .desc("Volumes per instance."),
        )
        .attr(Attribute::optional("iops", Type::Number).desc("Provisioned IOPS (io1, io2, gp3)."))
}

/// Computed attributes shared with the data source.
pub fn computed_attrs(b: Block) -> Block {
    b.attr(Attribute::computed("parameter_name", Type::String).keep_state().desc("The SSM parameter holding the metadata."))
        .attr(Attribute::computed("parameter_arn", Type::String).keep_state().desc("ARN of that parameter."))
        .attr(Attribute::computed("metadata_json", Type::String).desc("Exactly the document stored in SSM."))
        .attr(Attribute::computed("run_job_flow_json", Type::String).desc("The RunJobFlow request this configuration describes (without the profile's roles, network security and logs, which a launch adds)."))
        .attr(Attribute::computed("secret_arns", Type::list(Type::String)).desc("Secrets a launch merges in (ARNs only)."))
}

pub fn schema() -> Schema {
    let group = Block::new()
        .attr(Attribute::required("role", Type::String).desc("MASTER, CORE or TASK."))
        .attr(
            Attribute::required("instance_type", Type::String)
                .desc("EC2 instance type, e.g. `m5.xlarge`."),
        )
        .attr(Attribute::required("instance_count", Type::Number).desc("Number of instances."))
        .attr(Attribute::optional("name", Type::String).desc("Group name (defaults to the role)."))
        .attr(Attribute::optional("market", Type::String).desc("ON_DEMAND or SPOT."))
        .attr(Attribute::optional("bid_price", Type::String).desc("Spot bid price in USD."))
        .block(NestedBlock::list("ebs", ebs_block()));
    let type_config = Block::new()
        .attr(Attribute::required("instance_type", Type::String).desc("EC2 instance type."))
        .attr(
            Attribute::optional("weighted_capacity", Type::Number)
                .desc("Capacity units this type counts for."),
        )
        .attr(
            Attribute::optional("bid_price_as_percentage_of_on_demand_price", Type::Number)
                .desc("Spot bid as a percentage of the on-demand price."),
        )
        .block(NestedBlock::list("ebs", ebs_block()));
    let fleet = Block::new()
        .attr(Attribute::required("role", Type::String).desc("MASTER, CORE or TASK."))
        .attr(Attribute::optional("name", Type::String).desc("Fleet name (defaults to the role)."))
        .attr(
            Attribute::optional("target_on_demand_capacity", Type::Number)
                .desc("On-demand capacity units."),
        )
        .attr(
            Attribute::optional("target_spot_capacity", Type::Number).desc("Spot capacity units."),
        )
        .block(NestedBlock::list("instance_type_config", type_config).min(1));
    let bootstrap = Block::new()
        .attr(Attribute::required("name", Type::String).desc("Action name."))
        .attr(Attribute::required("path", Type::String).desc("`s3://` location of the script."))
        .attr(Attribute::optional("args", Type::list(Type::String)).desc("Arguments."));
    let scaling = Block::new()
        .attr(
            Attribute::required("unit_type", Type::String)
                .desc("Instances, InstanceFleetUnits or VCPU."),
        )
        .attr(Attribute::required("minimum_capacity_units", Type::Number).desc("Lower bound."))
        .attr(Attribute::required("maximum_capacity_units", Type::Number).desc("Upper bound."))
        .attr(
            Attribute::optional("maximum_on_demand_capacity_units", Type::Number)
                .desc("Upper bound of on-demand units."),
        )
        .attr(
            Attribute::optional("maximum_core_capacity_units", Type::Number)
                .desc("Upper bound of core node units."),
        );
    let secret = Block::new()
        .desc("One configuration property whose value EMR reads from Secrets Manager on the cluster: the request carries `\"EMR.secret@<property>\": \"<secret_arn>\"` in the classification's Properties.")
        .attr(Attribute::required("classification", Type::String).desc("Top-level configuration classification of the property, e.g. `hive-site`."))
        .attr(Attribute::required("property", Type::String).desc("The property EMR sets from the secret, e.g. `javax.jdo.option.ConnectionPassword`."))
        .attr(Attribute::required("secret_arn", Type::String).desc("ARN of a plaintext Secrets Manager secret (only the ARN is ever handled)."));
    let ovr = Block::new()
        .attr(Attribute::required("name", Type::String).desc("Name a launch uses in `Overrides`."))
        .attr(Attribute::required("path", Type::String).desc(
            "Path in the RunJobFlow request, e.g. `Instances.InstanceGroups[1].InstanceCount`.",
        ))
        .attr(
            Attribute::optional("minimum", Type::Number)
                .desc("Smallest value allowed (numeric fields: required, a whole number)."),
        )
        .attr(
            Attribute::optional("maximum", Type::Number)
                .desc("Largest value allowed (numeric fields: required, a whole number)."),
        )
        .attr(
            Attribute::optional("allowed_values", Type::list(Type::String))
                .desc("The values a launch may choose (instance types: required)."),
        );
    let b = Block::new()
        .desc("An EMR Launch cluster configuration, stored in SSM Parameter Store.")
        .attr(Attribute::computed("id", Type::String).keep_state().desc("`namespace/name`."))
        .attr(Attribute::required("namespace", Type::String).replace().desc("Namespace (SSM path segment)."))
        .attr(Attribute::required("name", Type::String).replace().desc("Name (SSM path segment)."))
        .attr(Attribute::optional("description", Type::String).desc("Description."))
        .attr(Attribute::required("release_label", Type::String).desc("EMR release, e.g. `emr-7.8.0`."))
        .attr(Attribute::optional("applications", Type::set(Type::String)).desc("Applications, e.g. `[\"Spark\", \"Hive\"]`."))
        .attr(Attribute::optional("subnet_ids", Type::list(Type::String)).desc("Subnets (one for instance groups; several for fleets)."))
        .attr(Attribute::optional("configurations_json", Type::String).desc("EMR configurations: a JSON list of `{Classification, Properties, Configurations}`."))
        .attr(Attribute::optional("step_concurrency_level", Type::Number).desc("Steps that may run at once (1-256)."))
        .attr(Attribute::optional("idle_timeout_seconds", Type::Number).desc("Auto-termination after this idle time (60-604800 s)."))
        .attr(Attribute::optional("tags", Type::map(Type::String)).desc("Cluster tags (also set on the parameter)."))
        .attr(Attribute::computed("tags_all", Type::map(Type::String)).desc("Tags including the provider's `default_tags`."))
        .block(NestedBlock::list("instance_group", group))
        .block(NestedBlock::list("instance_fleet", fleet))
        .block(NestedBlock::list("bootstrap_action", bootstrap))
        .block(NestedBlock::single("managed_scaling", scaling))
        .block(NestedBlock::list("secret_configuration", secret))
        .block(NestedBlock::list("override", ovr));
    Schema::new(computed_attrs(b))
}

// ---------- the model ----------

/// Configuration, plan and state: every attribute may be null or unknown.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Model {
    pub id: Planned<String>,
    pub namespace: Planned<String>,
    pub name: Planned<String>,
    pub description: Planned<String>,
    pub release_label: Planned<String>,
    pub applications: PlannedList<String>,
    pub subnet_ids: PlannedList<String>,
    pub configurations_json: Planned<String>,
    pub step_concurrency_level: Planned<Number>,
    pub idle_timeout_seconds: Planned<Number>,
    pub tags: PlannedMap<String>,
    pub tags_all: PlannedMap<String>,
    pub instance_group: Planned<Vec<Group>>,
    pub instance_fleet: Planned<Vec<Fleet>>,
    pub bootstrap_action: Planned<Vec<Bootstrap>>,
    pub managed_scaling: Planned<Scaling>,
    pub secret_configuration: Planned<Vec<Secret>>,
    #[serde(rename = "override")]
    pub overrides: Planned<Vec<Override>>,
    pub parameter_name: Planned<String>,
    pub parameter_arn: Planned<String>,
    pub metadata_json: Planned<String>,
    pub run_job_flow_json: Planned<String>,
    pub secret_arns: PlannedList<String>,
}

impl Model {
    fn configuration(&self) -> Configuration<'_> {
        Configuration {
            namespace: &self.namespace,
            name: &self.name,
            description: &self.description,
            release_label: &self.release_label,
            applications: &self.applications,
            subnet_ids: &self.subnet_ids,
            configurations_json: &self.configurations_json,
            step_concurrency_level: &self.step_concurrency_level,
            idle_timeout_seconds: &self.idle_timeout_seconds,
            instance_group: &self.instance_group,
            instance_fleet: &self.instance_fleet,
            bootstrap_action: &self.bootstrap_action,
            managed_scaling: &self.managed_scaling,
            secret_configuration: &self.secret_configuration,
            overrides: &self.overrides,
        }
    }
}

fn to_value(m: &Model) -> Result<Value, Diagnostics> {
    model::encode_block(m, &schema().block)
}

// ---------- validation ----------

fn release_label_ok(s: &str) -> bool {
    let Some(v) = s.strip_prefix("emr-") else {
        return false;
    };
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn int_in(v: &Planned<Number>, lo: i64, hi: i64) -> Option<bool> {
    v.known()
        .map(|n| n.to_i64().is_some_and(|i| (lo..=hi).contains(&i)))
}

pub fn validate_config(cfg: &Value) -> Diagnostics {
    model::decode(cfg).map_or_else(|d| d, |m| check(&m))
}

fn check(cfg: &Model) -> Diagnostics {
    let mut d = Diagnostics::new();
    check_top(&mut d, cfg);
    check_instances(&mut d, cfg);
    check_actions_and_scaling(&mut d, cfg);
    check_secrets(&mut d, cfg);
    d
}

fn check_top(d: &mut Diagnostics, cfg: &Model) {
    let p = AttrPath::parse_dotted;
    for (k, v) in [("namespace", &cfg.namespace), ("name", &cfg.name)] {
        if let Some(Err(m)) = v.as_str().map(|s| metadata::check_segment(k, s)) {
            d.attr_error(p(k), format!("Invalid {k}"), m);
        }
    }
    if let Some(r) = cfg.release_label.as_str().filter(|r| !release_label_ok(r)) {
        d.attr_error(p("release_label"), "Invalid release label", format!("{r:?} is not an EMR release label; expected emr-<major>.<minor>.<patch>, e.g. emr-7.8.0."));
    }
    for s in cfg
        .applications
        .known_elems()
        .filter(|s| !APPLICATIONS.contains(&s.as_str()))
    {
        d.attr_error(
            p("applications"),
            "Unknown application",
            format!(
                "{s:?} is not an EMR application; allowed: {}.",
                APPLICATIONS.join(", ")
            ),
        );
    }
    for x in cfg.subnet_ids.known_elems() {
        if !x
            .strip_prefix("subnet-")
            .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            d.attr_error(
                p("subnet_ids"),
                "Invalid subnet",
                format!("{x:?} is not a subnet id (subnet-...)."),
            );
        }
    }
    if let Some(c) = cfg.configurations_json.as_str() {
        match serde_json::from_str::<J>(c) {
            Err(e) => d.attr_error(
                p("configurations_json"),
                "Invalid JSON",
                format!("configurations_json is not valid JSON: {e}."),
            ),
            Ok(J::Array(items)) => {
                if items
                    .iter()
                    .any(|i| i.get("Classification").and_then(J::as_str).is_none())
                {
                    d.attr_error(
                        p("configurations_json"),
                        "Invalid configurations",
                        "every configuration needs a string Classification.",
                    );
                }
            }
            Ok(_) => d.attr_error(
                p("configurations_json"),
                "Invalid configurations",
                "configurations_json must be a JSON list of {Classification, Properties}.",
            ),
        }
    }
}

fn check_ebs(d: &mut Diagnostics, ebs: &Planned<Vec<Ebs>>, at: &AttrPath) {
    for (j, e) in ebs.elems().iter().enumerate() {
        let ea = at.push_attr("ebs").push_index(j);
        if e.volume_type
            .as_str()
            .is_some_and(|t| !VOLUME_TYPES.contains(&t))
        {
            d.attr_error(
                ea.push_attr("volume_type"),
                "Invalid volume type",
                format!("volume_type must be one of {}.", VOLUME_TYPES.join(", ")),
            );
        }
        if int_in(&e.size_gb, 1, 16384) == Some(false) {
            d.attr_error(
                ea.push_attr("size_gb"),
                "Invalid volume size",
                "size_gb must be a whole number from 1 to 16384.",
            );
        }
    }
}

fn check_instance_type(d: &mut Diagnostics, t: &Planned<String>, at: AttrPath) {
    if let Some(t) = t.as_str().filter(|t| !validate::instance_type(t)) {
        d.attr_error(
            at,
            "Invalid instance type",
            format!("{t:?} is not an EC2 instance type like m5.xlarge."),
        );
    }
}

fn check_group(d: &mut Diagnostics, g: &Group, at: &AttrPath) {
    check_instance_type(d, &g.instance_type, at.push_attr("instance_type"));
    let role = g.role.as_str();
    let floor = if role == Some("TASK") { 0 } else { 1 };
    if int_in(&g.instance_count, floor, 500) == Some(false) {
        d.attr_error(
            at.push_attr("instance_count"),
            "Invalid instance count",
            "instance_count must be a whole number from 1 to 500 (0 allowed for TASK).",
        );
    } else if role == Some("MASTER")
        && !matches!(
            g.instance_count.known().and_then(Number::to_i64),
            Some(1 | 3) | None
        )
    {
        d.attr_error(
            at.push_attr("instance_count"),
            "Invalid instance count",
            "MASTER needs 1 (or 3 for high availability) instances.",
        );
    }
    if g.market
        .as_str()
        .is_some_and(|m| m != "ON_DEMAND" && m != "SPOT")
    {
        d.attr_error(
            at.push_attr("market"),
            "Invalid market",
            "market must be ON_DEMAND or SPOT.",
        );
    }
    check_ebs(d, &g.ebs, at);
}

fn check_instances(d: &mut Diagnostics, cfg: &Model) {
    let (groups, fleets) = (&cfg.instance_group, &cfg.instance_fleet);
    let (n_groups, n_fleets) = (groups.elems().len(), fleets.elems().len());
    let known = model::wholly_known(groups) && model::wholly_known(fleets);
    if known && n_groups > 0 && n_fleets > 0 {
        d.attr_error(
            AttrPath::attr("instance_fleet"),
            "Conflicting blocks",
            "Use instance_group blocks or instance_fleet blocks, not both.",
        );
    } else if known && n_groups == 0 && n_fleets == 0 {
        d.attr_error(
            AttrPath::attr("instance_group"),
            "Missing instances",
            "Add instance_group blocks (or instance_fleet blocks), with one MASTER.",
        );
    }
    let mut roles_seen = BTreeMap::new();
    let mut check_role = |d: &mut Diagnostics, kind: &str, i: usize, role: &Planned<String>| {
        let Some(r) = role.as_str() else { return };
        let at = AttrPath::attr(kind).push_index(i).push_attr("role");
        if !ROLES.contains(&r) {
            d.attr_error(
                at,
                "Invalid role",
                format!("role must be MASTER, CORE or TASK, got {r:?}."),
            );
        } else if r != "TASK" {
            if let Some(first) = roles_seen.insert(r.to_string(), i) {
                d.attr_error(
                    at,
                    "Duplicate role",
                    format!("{kind} {first} already has role {r}; only TASK may repeat."),
                );
            }
        }
    };
    for (i, g) in groups.elems().iter().enumerate() {
        check_role(d, "instance_group", i, &g.role);
        check_group(d, g, &AttrPath::attr("instance_group").push_index(i));
    }
    for (i, f) in fleets.elems().iter().enumerate() {
        check_role(d, "instance_fleet", i, &f.role);
        let at = AttrPath::attr("instance_fleet").push_index(i);
        for (j, t) in f.instance_type_config.elems().iter().enumerate() {
            let ta = at.push_attr("instance_type_config").push_index(j);
            check_instance_type(d, &t.instance_type, ta.push_attr("instance_type"));
            check_ebs(d, &t.ebs, &ta);
        }
    }
    if known && (n_groups + n_fleets) > 0 && !roles_seen.contains_key("MASTER") {
        let kind = if n_groups > 0 {
            "instance_group"
        } else {
            "instance_fleet"
        };
        // A path into the first block makes Terraform point at it.
        d.attr_error(
            AttrPath::attr(kind).push_index(0).push_attr("role"),
            "Missing MASTER",
            format!("One {kind} block must have role = \"MASTER\"."),
        );
    }
    if n_groups > 0 && cfg.subnet_ids.elems().len() > 1 {
        d.attr_error(AttrPath::attr("subnet_ids"), "Too many subnets", "Instance groups launch into one subnet; use instance_fleet blocks to let EMR choose among several.");
    }
}

fn check_actions_and_scaling(d: &mut Diagnostics, cfg: &Model) {
    let p = AttrPath::parse_dotted;
    for (i, b) in cfg.bootstrap_action.elems().iter().enumerate() {
        if let Some(Err(m)) = b.path.as_str().map(validate::s3_object_uri) {
            d.attr_error(
                AttrPath::attr("bootstrap_action")
                    .push_index(i)
                    .push_attr("path"),
                "Invalid bootstrap script",
                m,
            );
        }
    }
    if int_in(&cfg.step_concurrency_level, 1, 256) == Some(false) {
        d.attr_error(
            p("step_concurrency_level"),
            "Invalid step concurrency",
            "step_concurrency_level must be a whole number from 1 to 256.",
        );
    }
    if int_in(&cfg.idle_timeout_seconds, 60, 604_800) == Some(false) {
        d.attr_error(
            p("idle_timeout_seconds"),
            "Invalid idle timeout",
            "idle_timeout_seconds must be a whole number from 60 (1 minute) to 604800 (7 days).",
        );
    }
    let Some(ms) = cfg.managed_scaling.known() else {
        return;
    };
    if ms
        .unit_type
        .as_str()
        .is_some_and(|u| !UNIT_TYPES.contains(&u))
    {
        d.attr_error(
            p("managed_scaling.unit_type"),
            "Invalid unit type",
            format!("unit_type must be one of {}.", UNIT_TYPES.join(", ")),
        );
    }
    let int = |n: &Planned<Number>| n.known().and_then(Number::to_i64);
    if let (Some(lo), Some(hi)) = (
        int(&ms.minimum_capacity_units),
        int(&ms.maximum_capacity_units),
    ) {
        if lo > hi || lo < 1 {
            d.attr_error(p("managed_scaling.minimum_capacity_units"), "Invalid capacity bounds", format!("minimum_capacity_units ({lo}) must be at least 1 and at most maximum_capacity_units ({hi})."));
        }
    }
}

/// Properties configurations_json already sets, per top-level classification.
fn written_properties(cfg: &Model) -> Option<BTreeMap<String, BTreeSet<String>>> {
    let items = serde_json::from_str::<J>(cfg.configurations_json.as_str()?).ok()?;
    let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for i in items.as_array()? {
        if let Some(c) = i.get("Classification").and_then(J::as_str) {
            let keys = i.get("Properties").and_then(J::as_object);
            m.entry(c.to_string())
                .or_default()
                .extend(keys.into_iter().flat_map(|p| p.keys().cloned()));
        }
    }
    Some(m)
}

fn check_secrets(d: &mut Diagnostics, cfg: &Model) {
    let written = written_properties(cfg);
    let mut pairs: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (i, s) in cfg.secret_configuration.elems().iter().enumerate() {
        let at = AttrPath::attr("secret_configuration").push_index(i);
        let arn = s.secret_arn.as_str();
        if let Some(Err(e)) = arn.map(validate::secret_arn) {
            d.attr_error(at.push_attr("secret_arn"), "Invalid secret ARN", e);
        }
        let class = s.classification.as_str();
        if class.is_some_and(|c| c.trim().is_empty()) {
            d.attr_error(
                at.push_attr("classification"),
                "Invalid classification",
                "classification must be a configuration classification such as hive-site.",
            );
        }
        let Some(prop) = s.property.as_str() else {
            continue;
        };
        if prop.is_empty() || prop.chars().any(|c| c.is_whitespace() || c.is_control()) {
            d.attr_error(
                at.push_attr("property"),
                "Invalid property",
                format!("property must be a non-empty configuration property name without spaces or control characters, got {prop:?}."),
            );
            continue;
        }
        if let Some(a) = arn {
            let len = secret_key(prop).chars().count() + a.chars().count();
            if len > SECRET_ANNOTATION_MAX {
                d.attr_error(
                    at.push_attr("property"),
                    "Secret annotation too long",
                    format!("EMR allows at most {SECRET_ANNOTATION_MAX} characters for the key \"{SECRET_PREFIX}<property>\" plus the secret ARN; \"{}\" and this secret_arn make {len}.", secret_key(prop)),
                );
            }
        }
        let Some(c) = class.filter(|c| !c.trim().is_empty()) else {
            continue;
        };
        if let Some(first) = pairs.insert((c.to_string(), prop.to_string()), i) {
            d.attr_error(
                at.push_attr("property"),
                "Duplicate secret property",
                format!("secret_configuration {first} already sets {prop:?} of {c:?}; a property can come from one secret only."),
            );
        }
        if let Some(keys) = written.as_ref().and_then(|w| w.get(c)) {
            if keys.contains(prop) || keys.contains(&secret_key(prop)) {
                d.attr_error(
                    at.push_attr("property"),
                    "Conflicting secret property",
                    format!("configurations_json already sets {prop:?} in {c:?}; set it either there or from the secret, not both."),
                );
            }
        }
    }
}

// ---------- the resource ----------

fn err(verb: &str, id: &str, msg: impl Into<String>) -> Diagnostics {
    Diagnostic::error(
        format!("{verb} EMR cluster configuration ({id})"),
        msg.into(),
    )
    .into()
}

fn id_of(st: &Model) -> String {
    format!(
        "{}/{}",
        st.namespace.as_str().unwrap_or("?"),
        st.name.as_str().unwrap_or("?")
    )
}

/// Sets run_job_flow_json, metadata_json and secret_arns; Unknown while any
/// input is.
fn plan_documents(st: &mut Model) -> Option<J> {
    let inputs = Model {
        id: Planned::Null,
        parameter_name: Planned::Null,
        parameter_arn: Planned::Null,
        metadata_json: Planned::Null,
        run_job_flow_json: Planned::Null,
        secret_arns: Planned::Null,
        ..st.clone()
    };
    st.secret_arns = if model::wholly_known(&st.secret_configuration) {
        let secrets = st.secret_configuration.elems().iter();
        let arns: BTreeSet<&str> = secrets.filter_map(|s| s.secret_arn.as_str()).collect();
        PlannedList::of(arns.into_iter().map(str::to_string))
    } else {
        Planned::Unknown
    };
    if !model::wholly_known(&inputs) {
        st.run_job_flow_json = Planned::Unknown;
        st.metadata_json = Planned::Unknown;
        return None;
    }
    let rjf = run_job_flow(&st.configuration(), &st.tags_all.known_entries());
    st.run_job_flow_json = Planned::Known(crate::canonical::text(&rjf));
    st.metadata_json = Planned::Known(crate::canonical::text(&metadata_document(
        &st.configuration(),
        &rjf,
    )));
    Some(rjf)
}

/// `now` becomes `before` when both are the same document.
fn keep_same(before: Option<&Planned<String>>, now: &mut Planned<String>) {
    if let (Some(p), Some(n)) = (before.and_then(Planned::as_str), now.as_str()) {
        if metadata::same(p, n) {
            *now = p.into();
        }
    }
}

impl ClusterConfiguration {
    fn plan(
        c: &Configured,
        req: &PlanRequest<'_>,
        planned: &mut Value,
        diags: &mut Diagnostics,
    ) -> Result<(), Diagnostics> {
        set_parameter_identity(c, Kind::ClusterConfiguration, planned);
        let prior: Option<Model> = model::decode(req.prior)?;
        let mut plan: Model = model::decode(planned)?;
        // configurations_json: semantically equal text keeps the recorded one.
        let prior = prior.as_ref();
        keep_same(
            prior.map(|p| &p.configurations_json),
            &mut plan.configurations_json,
        );
        plan.tags_all = plan.tags.overlaid_on(&c.default_tags);
        let rjf = plan_documents(&mut plan);
        diags.extend(validate_overrides(&plan.overrides, rjf.as_ref()));
        if let Some(Err(e)) = plan.metadata_json.as_str().map(metadata::tier_for) {
            diags.attr_error(
                AttrPath::attr("configurations_json"),
                "Configuration too large",
                e,
            );
        }
        keep_same(prior.map(|p| &p.metadata_json), &mut plan.metadata_json);
        keep_same(
            prior.map(|p| &p.run_job_flow_json),
            &mut plan.run_job_flow_json,
        );
        *planned = to_value(&plan)?;
        Ok(())
    }

    /// Writes the planned metadata document; `creating` refuses to overwrite.
    async fn put(&self, plan: &Model, creating: bool) -> Result<(), (bool, Diagnostics)> {
        let c = self.data.get().map_err(|d| (false, d))?;
        let id = id_of(plan);
        let verb = if creating { "creating" } else { "updating" };
        let (Some(pname), Some(doc)) = (plan.parameter_name.as_str(), plan.metadata_json.as_str())
        else {
            return Err((
                false,
                err(verb, &id, "the metadata document is unknown at apply"),
            ));
        };
        if creating {
            if let Ok(Some(_)) = metadata::get(&c.aws.ssm, pname).await {
                return Err((false, err("creating", &id, format!("parameter {pname} already exists; import it with: terraform import <address> {id}"))));
            }
            crate::info!("creating EMR cluster configuration", "id" => id);
        }
        let desc = plan
            .description
            .as_str()
            .unwrap_or("EMR Launch cluster configuration");
        let tags = plan.tags_all.known_entries();
        match metadata::put(&c.aws.ssm, pname, doc, desc, &tags).await {
            Ok(()) => Ok(()),
            // The parameter may exist without its tags: keep it in state.
            Err(e) => Err((creating && e.starts_with("tagging"), err(verb, &id, e))),
        }
    }

    async fn refresh(&self, current: &Value) -> Result<Value, Diagnostics> {
        let c = self.data.get()?;
        let current: Model = model::decode(current)?;
        let id = id_of(&current);
        let Some(pname) = current.parameter_name.as_str() else {
            return Ok(Value::Null);
        };
        let Some(stored) = metadata::get(&c.aws.ssm, pname)
            .await
            .map_err(|e| err("reading", &id, e))?
        else {
            crate::warn!("EMR cluster configuration not found, removing from state", "id" => id);
            return Ok(Value::Null);
        };
        let mut st = current.clone();
        if current.metadata_json.is_null() {
            st = import_state(&current, &stored).map_err(|e| err("importing", &id, e))?;
            let own = st.tags.known_entries().into_iter();
            let own = PlannedMap::of(own.filter(|(k, v)| c.default_tags.get(k) != Some(v)));
            st.tags = own.known().filter(|m| !m.is_empty()).cloned().into();
            st.tags_all = st.tags.overlaid_on(&c.default_tags);
            plan_documents(&mut st);
        }
        let reconciled = metadata::reconcile(st.metadata_json.as_str(), &stored);
        st.metadata_json = Planned::Known(reconciled);
        to_value(&st)
    }
}

#[async_trait]
impl Resource for ClusterConfiguration {
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
        if let Err(d) = Self::plan(&c, &req, planned, diags) {
            diags.extend(d);
        }
    }

    async fn create(&self, _ctx: &Ctx, planned: &Value, _config: &Value) -> ApplyResult {
        let r = match model::decode(planned) {
            Ok(plan) => self.put(&plan, true).await,
            Err(d) => Err((false, d)),
        };
        match r {
            Ok(()) => ApplyResult::ok(planned.clone()),
            Err((true, d)) => ApplyResult::failed(planned.clone(), d),
            Err((false, d)) => ApplyResult::failed(Value::Null, d),
        }
    }

    async fn read(&self, _ctx: &Ctx, current: &Value) -> Result<Value, Diagnostics> {
        self.refresh(current).await
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        prior: &Value,
        planned: &Value,
        _config: &Value,
    ) -> ApplyResult {
        let r = match model::decode(planned) {
            Ok(plan) => self.put(&plan, false).await,
            Err(d) => Err((false, d)),
        };
        match r {
            Ok(()) => ApplyResult::ok(planned.clone()),
            Err((_, d)) => ApplyResult::failed(prior.clone(), d),
        }
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
        match prior.parameter_name.as_str() {
            Some(p) => metadata::delete(&c.aws.ssm, p)
                .await
                .err()
                .map(|e| err("deleting", &id_of(&prior), e))
                .unwrap_or_default(),
            None => Diagnostics::new(),
        }
    }

    fn importer(&self) -> Option<&dyn Import> {
        Some(self)
    }
}

#[async_trait]
impl Import for ClusterConfiguration {
    async fn import(&self, _ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        let c = self.data.get()?;
        import_parameter_stub(
            &c,
            Kind::ClusterConfiguration,
            schema().block.empty_value(),
            id,
        )
    }
}

/// The configuration-side attributes from a stored metadata document.
fn import_state(current: &Model, doc: &str) -> Result<Model, String> {
    let d: J =
        serde_json::from_str(doc).map_err(|e| format!("the stored metadata is not JSON: {e}"))?;
    let rjf = d
        .get("RunJobFlow")
        .ok_or("the stored metadata has no RunJobFlow")?;
    let secrets: Vec<Secret> = list(d.get("SecretConfigurations"))
        .unwrap_or_default()
        .iter()
        .map(secret_of)
        .collect();
    let mut st = Model {
        id: current.id.clone(),
        namespace: current.namespace.clone(),
        name: current.name.clone(),
        parameter_name: current.parameter_name.clone(),
        parameter_arn: current.parameter_arn.clone(),
        description: jstr(d.get("Description")),
        release_label: jstr(rjf.get("ReleaseLabel")),
        applications: list(rjf.get("Applications"))
            .map(|a| a.iter().map(|x| jstr(x.get("Name"))).collect())
            .into(),
        secret_configuration: Planned::Known(secrets),
        ..Model::default()
    };
    let props = secrets_of(&st.secret_configuration);
    st.configurations_json = rjf
        .get("Configurations")
        .and_then(|c| without_secret_annotations(c, &props))
        .map(|c| crate::canonical::text(&c))
        .into();
    let inst = rjf.get("Instances").cloned().unwrap_or(json!({}));
    if let Some(gs) = list(inst.get("InstanceGroups")) {
        st.instance_group = Planned::Known(gs.iter().map(group_of).collect());
        if let Some(s) = inst.get("Ec2SubnetId").and_then(J::as_str) {
            st.subnet_ids = PlannedList::of([s.to_string()]);
        }
    }
    if let Some(fs) = list(inst.get("InstanceFleets")) {
        st.instance_fleet = Planned::Known(fs.iter().map(fleet_of).collect());
        if let Some(s) = jstrs(inst.get("Ec2SubnetIds")) {
            st.subnet_ids = Planned::Known(s);
        }
    }
    if let Some(ba) = list(rjf.get("BootstrapActions")) {
        st.bootstrap_action = Planned::Known(ba.iter().map(bootstrap_of).collect());
    }
    st.step_concurrency_level = jnum(rjf.get("StepConcurrencyLevel"));
    st.idle_timeout_seconds = jnum(rjf.pointer("/AutoTerminationPolicy/IdleTimeout"));
    if let Some(l) = rjf.pointer("/ManagedScalingPolicy/ComputeLimits") {
        st.managed_scaling = Planned::Known(scaling_of(l));
    }
    if let Some(tags) = list(rjf.get("Tags")) {
        let tag = |t: &J| Some((t.get("Key")?.as_str()?.to_string(), jstr(t.get("Value"))));
        st.tags = Planned::Known(tags.iter().filter_map(tag).collect());
    }
    st.overrides = list(d.get("Overrides"))
        .map(|o| o.iter().map(override_of).collect())
        .into();
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emr::cluster::{resolve, with_secret_annotations, SecretProperty};

    fn m(v: &Value) -> Model {
        model::decode(v).unwrap()
    }

    fn run_job_flow(cfg: &Value, tags: &BTreeMap<String, String>) -> J {
        super::run_job_flow(&m(cfg).configuration(), tags)
    }

    fn metadata_document(cfg: &Value, rjf: &J) -> J {
        super::metadata_document(&m(cfg).configuration(), rjf)
    }

    fn validate_overrides(cfg: &Value, rjf: Option<&J>) -> Diagnostics {
        super::validate_overrides(&m(cfg).overrides, rjf)
    }

    fn plan_documents(st: &mut Value) -> Option<J> {
        let mut typed = m(st);
        let rjf = super::plan_documents(&mut typed);
        *st = to_value(&typed).unwrap();
        rjf
    }

    fn import_state(current: &Value, doc: &str) -> Result<Value, String> {
        super::import_state(&m(current), doc).map(|st| to_value(&st).unwrap())
    }

    fn secrets_of(cfg: &Value) -> Vec<SecretProperty> {
        super::secrets_of(&m(cfg).secret_configuration)
    }

    #[test]
    fn model_is_the_schema() {
        assert_eq!(
            model::model_paths::<Model>(),
            model::schema_paths(&schema().block)
        );
    }

    fn group(role: &str, count: i64) -> Value {
        Value::object([
            ("role", Value::string(role)),
            ("name", Value::Null),
            ("instance_type", Value::string("m5.xlarge")),
            ("instance_count", Value::number(count)),
            ("market", Value::Null),
            ("bid_price", Value::Null),
            ("ebs", Value::List(vec![])),
        ])
    }

    fn base() -> Value {
        let mut v = schema().block.empty_value();
        v.set_attr("namespace", Value::string("analytics"));
        v.set_attr("name", Value::string("small-spark"));
        v.set_attr("release_label", Value::string("emr-7.8.0"));
        v.set_attr(
            "applications",
            Value::set(vec![Value::string("Spark"), Value::string("Hive")]),
        );
        v.set_attr(
            "instance_group",
            Value::List(vec![group("MASTER", 1), group("CORE", 2)]),
        );
        v
    }

    fn ovr(name: &str, path: &str, lo: Value, hi: Value) -> Value {
        Value::object([
            ("name", Value::string(name)),
            ("path", Value::string(path)),
            ("minimum", lo),
            ("maximum", hi),
            ("allowed_values", Value::Null),
        ])
    }

    fn ovr_values(name: &str, path: &str, values: &[&str]) -> Value {
        Value::object([
            ("name", Value::string(name)),
            ("path", Value::string(path)),
            ("minimum", Value::Null),
            ("maximum", Value::Null),
            (
                "allowed_values",
                Value::List(values.iter().map(|v| Value::string(*v)).collect()),
            ),
        ])
    }

    /// A bounded count and an instance type with allowed values, on CORE.
    fn core_overrides() -> Value {
        Value::List(vec![
            ovr(
                "CoreInstanceCount",
                "Instances.InstanceGroups[1].InstanceCount",
                Value::number(1),
                Value::number(10),
            ),
            ovr_values(
                "CoreInstanceType",
                "Instances.InstanceGroups[1].InstanceType",
                &["m5.xlarge", "m5.2xlarge"],
            ),
        ])
    }

    const ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-AbCd";

    fn secret(class: &str, prop: &str, arn: &str) -> Value {
        Value::object([
            ("classification", Value::string(class)),
            ("property", Value::string(prop)),
            ("secret_arn", Value::string(arn)),
        ])
    }

    fn errors_at(d: &Diagnostics) -> Vec<String> {
        d.iter()
            .filter_map(|x| x.path.as_ref().map(|p| p.to_string()))
            .collect()
    }

    #[test]
    fn run_job_flow_request_and_override_paths() {
        let rjf = run_job_flow(
            &base(),
            &BTreeMap::from([("team".to_string(), "data".to_string())]),
        );
        assert_eq!(
            rjf.pointer("/Instances/InstanceGroups/1/InstanceCount"),
            Some(&json!(2))
        );
        assert_eq!(
            rjf["Applications"],
            json!([{"Name": "Hive"}, {"Name": "Spark"}])
        );
        assert_eq!(rjf["Tags"], json!([{"Key": "team", "Value": "data"}]));
        assert_eq!(
            resolve(&rjf, "Instances.InstanceGroups[1].InstanceCount"),
            Some(&json!(2))
        );
        assert_eq!(
            resolve(&rjf, "Instances.InstanceGroups[5].InstanceCount"),
            None
        );
        assert_eq!(resolve(&rjf, "Instances..X"), None);
        let mut cfg = base();
        cfg.set_attr(
            "override",
            Value::List(vec![ovr(
                "CoreInstanceCount",
                "Instances.InstanceGroups[1].InstanceCount",
                Value::number(1),
                Value::number(10),
            )]),
        );
        assert!(validate_overrides(&cfg, Some(&rjf)).is_empty());
    }

    #[test]
    fn import_round_trips_every_block() {
        let mut cfg = base();
        cfg.set_attr(
            "subnet_ids",
            Value::List(vec![Value::string("subnet-0abc")]),
        );
        cfg.set_attr(
            "configurations_json",
            Value::string(r#"[{"Classification":"spark-defaults","Properties":{"a":"b"}}]"#),
        );
        cfg.set_attr("step_concurrency_level", Value::number(2));
        cfg.set_attr("idle_timeout_seconds", Value::number(3600));
        cfg.set_attr(
            "bootstrap_action",
            Value::List(vec![Value::object([
                ("name", Value::string("setup")),
                ("path", Value::string("s3://acme/b.sh")),
                ("args", Value::List(vec![Value::string("x")])),
            ])]),
        );
        cfg.set_attr(
            "managed_scaling",
            Value::object([
                ("unit_type", Value::string("Instances")),
                ("minimum_capacity_units", Value::number(2)),
                ("maximum_capacity_units", Value::number(10)),
                ("maximum_on_demand_capacity_units", Value::Null),
                ("maximum_core_capacity_units", Value::Null),
            ]),
        );
        cfg.set_attr(
            "secret_configuration",
            Value::List(vec![
                secret("hive-site", "javax.jdo.option.ConnectionPassword", ARN),
                secret("spark-defaults", "spark.authenticate.secret", ARN),
            ]),
        );
        cfg.set_attr("override", core_overrides());
        cfg.set_attr(
            "tags",
            Value::Map(BTreeMap::from([(
                "team".to_string(),
                Value::string("data"),
            )])),
        );
        cfg.set_attr("tags_all", cfg.get("tags").clone());
        let mut planned = cfg.clone();
        let rjf = plan_documents(&mut planned).unwrap();
        let doc = crate::canonical::text(&metadata_document(&planned, &rjf));
        assert_eq!(
            rjf["Configurations"],
            json!([
                {"Classification": "spark-defaults",
                 "Properties": {"a": "b", "EMR.secret@spark.authenticate.secret": ARN}},
                {"Classification": "hive-site",
                 "Properties": {"EMR.secret@javax.jdo.option.ConnectionPassword": ARN}},
            ])
        );
        assert_eq!(
            planned.get("secret_arns"),
            &Value::List(vec![Value::string(ARN)])
        );
        let back = import_state(&planned, &doc).unwrap();
        for k in [
            "release_label",
            "applications",
            "subnet_ids",
            "configurations_json",
            "instance_group",
            "bootstrap_action",
            "step_concurrency_level",
            "idle_timeout_seconds",
            "managed_scaling",
            "secret_configuration",
            "override",
            "tags",
        ] {
            assert_eq!(back.get(k), cfg.get(k), "{k}");
        }
    }

    #[test]
    fn invalid_configurations_name_their_attribute() {
        let with = |k: &str, v: Value| {
            let mut b = base();
            b.set_attr(k, v);
            b
        };
        let cases: Vec<(&str, Value)> = vec![
            ("namespace", with("namespace", Value::string("ana lytics"))),
            (
                "release_label",
                with("release_label", Value::string("7.8.0")),
            ),
            (
                "applications",
                with("applications", Value::set(vec![Value::string("Sparkle")])),
            ),
            (
                "subnet_ids",
                with("subnet_ids", Value::List(vec![Value::string("sub-1")])),
            ),
            (
                "configurations_json",
                with("configurations_json", Value::string("{}")),
            ),
            (
                "instance_group[1].role",
                with(
                    "instance_group",
                    Value::List(vec![group("MASTER", 1), group("MASTER", 1)]),
                ),
            ),
            (
                "instance_group[0].role",
                with("instance_group", Value::List(vec![group("LEADER", 1)])),
            ),
            (
                "instance_group[0].role",
                with("instance_group", Value::List(vec![group("CORE", 2)])),
            ),
            (
                "instance_group[0].instance_count",
                with("instance_group", Value::List(vec![group("MASTER", 2)])),
            ),
            (
                "step_concurrency_level",
                with("step_concurrency_level", Value::number(0)),
            ),
            (
                "idle_timeout_seconds",
                with("idle_timeout_seconds", Value::number(10)),
            ),
            (
                "bootstrap_action[0].path",
                with(
                    "bootstrap_action",
                    Value::List(vec![Value::object([
                        ("name", Value::string("x")),
                        ("path", Value::string("/tmp/x.sh")),
                        ("args", Value::Null),
                    ])]),
                ),
            ),
            (
                "secret_configuration[0].secret_arn",
                with(
                    "secret_configuration",
                    Value::List(vec![secret("hive-site", "p", "arn:aws:s3:::b")]),
                ),
            ),
        ];
        assert!(
            !validate_config(&base()).has_errors(),
            "{}",
            validate_config(&base())
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

    #[test]
    fn invalid_overrides_name_their_attribute() {
        let with = |k: &str, v: Value| {
            let mut b = base();
            b.set_attr(k, v);
            b
        };
        let rjf = run_job_flow(&base(), &BTreeMap::new());
        let ocases: Vec<(&str, Value)> = vec![
            (
                "override[0].path",
                ovr(
                    "X",
                    "Instances.InstanceGroups[7].InstanceCount",
                    Value::number(1),
                    Value::number(10),
                ),
            ),
            (
                "override[0].minimum",
                ovr(
                    "X",
                    "Instances.InstanceGroups[1].InstanceCount",
                    Value::number(5),
                    Value::number(2),
                ),
            ),
            (
                "override[0].minimum",
                ovr(
                    "X",
                    "Instances.InstanceGroups[1].InstanceType",
                    Value::number(1),
                    Value::Null,
                ),
            ),
            (
                "override[0].path",
                ovr("X", "Instances.InstanceGroups", Value::Null, Value::Null),
            ),
            (
                "override[0].name",
                ovr(
                    "bad name",
                    "StepConcurrencyLevel",
                    Value::number(1),
                    Value::number(2),
                ),
            ),
        ];
        for (path, o) in ocases {
            let cfg = with("override", Value::List(vec![o]));
            let d = validate_overrides(&cfg, Some(&rjf));
            assert!(
                d.iter()
                    .any(|x| x.path.as_ref().map(|p| p.to_string()).as_deref() == Some(path)),
                "expected an error at {path}, got {d}"
            );
        }
        let dup = with(
            "override",
            Value::List(vec![
                ovr(
                    "A",
                    "Instances.InstanceGroups[0].InstanceCount",
                    Value::number(1),
                    Value::number(1),
                ),
                ovr(
                    "A",
                    "Instances.InstanceGroups[1].InstanceCount",
                    Value::number(1),
                    Value::number(3),
                ),
            ]),
        );
        assert!(validate_overrides(&dup, Some(&rjf))
            .iter()
            .any(|x| x.summary == "Duplicate override"));
    }

    #[test]
    fn secrets_render_as_emr_secret_annotations() {
        // No configurations_json: a new entry for the classification.
        let mut cfg = base();
        cfg.set_attr(
            "secret_configuration",
            Value::List(vec![
                secret("hive-site", "javax.jdo.option.ConnectionPassword", ARN),
                secret("hive-site", "hive.metastore.password", ARN),
            ]),
        );
        let rjf = run_job_flow(&cfg, &BTreeMap::new());
        assert_eq!(
            rjf["Configurations"],
            json!([{"Classification": "hive-site", "Properties": {
                "EMR.secret@javax.jdo.option.ConnectionPassword": ARN,
                "EMR.secret@hive.metastore.password": ARN}}])
        );
        // An existing entry of that classification: merged, everything else kept.
        cfg.set_attr(
            "configurations_json",
            Value::string(
                r#"[{"Classification":"spark-defaults","Properties":{"x":"1"}},
                    {"Classification":"hive-site","Properties":{"hive.a":"b"},
                     "Configurations":[{"Classification":"export","Properties":{}}]}]"#,
            ),
        );
        cfg.set_attr(
            "secret_configuration",
            Value::List(vec![secret(
                "hive-site",
                "javax.jdo.option.ConnectionPassword",
                ARN,
            )]),
        );
        let rjf = run_job_flow(&cfg, &BTreeMap::new());
        assert_eq!(
            rjf["Configurations"],
            json!([
                {"Classification": "spark-defaults", "Properties": {"x": "1"}},
                {"Classification": "hive-site",
                 "Properties": {"hive.a": "b",
                                "EMR.secret@javax.jdo.option.ConnectionPassword": ARN},
                 "Configurations": [{"Classification": "export", "Properties": {}}]},
            ])
        );
        // Import takes the annotations out again.
        let secrets = secrets_of(&cfg);
        assert_eq!(
            without_secret_annotations(&rjf["Configurations"], &secrets),
            serde_json::from_str::<J>(cfg.str_attr("configurations_json").unwrap()).ok()
        );
        assert_eq!(
            without_secret_annotations(&with_secret_annotations(None, &secrets).unwrap(), &secrets),
            None
        );
        // The metadata lists each secret with its property.
        let doc = metadata_document(&cfg, &rjf);
        assert_eq!(
            doc["SecretConfigurations"],
            json!([{"Classification": "hive-site",
                    "Property": "javax.jdo.option.ConnectionPassword", "SecretArn": ARN}])
        );
        assert!(
            !validate_config(&cfg).has_errors(),
            "{}",
            validate_config(&cfg)
        );
    }

    #[test]
    fn secret_arns_are_distinct_and_sorted() {
        let other = "arn:aws:secretsmanager:us-east-1:123456789012:secret:aaa-XyZw";
        let mut cfg = base();
        cfg.set_attr(
            "secret_configuration",
            Value::List(vec![
                secret("hive-site", "a", ARN),
                secret("hive-site", "b", other),
                secret("spark-defaults", "c", ARN),
            ]),
        );
        cfg.set_attr("tags_all", Value::Null);
        plan_documents(&mut cfg);
        assert_eq!(
            cfg.get("secret_arns"),
            &Value::List(vec![Value::string(other), Value::string(ARN)])
        );
    }

    #[test]
    fn secret_configuration_rules() {
        let check = |secrets: Vec<Value>, conf: Option<&str>| {
            let mut cfg = base();
            cfg.set_attr("secret_configuration", Value::List(secrets));
            if let Some(c) = conf {
                cfg.set_attr("configurations_json", Value::string(c));
            }
            errors_at(&validate_config(&cfg))
        };
        // Several properties of one classification are fine.
        assert!(check(
            vec![secret("hive-site", "a", ARN), secret("hive-site", "b", ARN)],
            None
        )
        .is_empty());
        // The same property of another classification too.
        assert!(check(
            vec![secret("hive-site", "a", ARN), secret("core-site", "a", ARN)],
            None
        )
        .is_empty());
        // Duplicate (classification, property).
        assert_eq!(
            check(
                vec![secret("hive-site", "a", ARN), secret("hive-site", "a", ARN)],
                None
            ),
            ["secret_configuration[1].property"]
        );
        // Whitespace, control characters, empty.
        for bad in ["", "a b", "a\tb", "a\u{7}b"] {
            assert_eq!(
                check(vec![secret("hive-site", bad, ARN)], None),
                ["secret_configuration[0].property"],
                "{bad:?}"
            );
        }
        assert_eq!(
            check(vec![secret(" ", "a", ARN)], None),
            ["secret_configuration[0].classification"]
        );
        assert_eq!(
            check(vec![secret("hive-site", "a", "arn:aws:s3:::b")], None),
            ["secret_configuration[0].secret_arn"]
        );
        // Set by configurations_json as well (plain or already annotated).
        let conf = r#"[{"Classification":"hive-site","Properties":{"a":"x","EMR.secret@b":"y"}}]"#;
        assert_eq!(
            check(vec![secret("hive-site", "a", ARN)], Some(conf)),
            ["secret_configuration[0].property"]
        );
        assert_eq!(
            check(vec![secret("hive-site", "b", ARN)], Some(conf)),
            ["secret_configuration[0].property"]
        );
        assert!(check(vec![secret("hive-site", "c", ARN)], Some(conf)).is_empty());
        assert!(check(vec![secret("core-site", "a", ARN)], Some(conf)).is_empty());
        // EMR's 1024-character limit on "EMR.secret@<property>" + ARN.
        let room = SECRET_ANNOTATION_MAX - SECRET_PREFIX.len() - ARN.len();
        assert!(check(vec![secret("hive-site", &"p".repeat(room), ARN)], None).is_empty());
        let mut cfg = base();
        cfg.set_attr(
            "secret_configuration",
            Value::List(vec![secret("hive-site", &"p".repeat(room + 1), ARN)]),
        );
        let d = validate_config(&cfg);
        assert_eq!(errors_at(&d), ["secret_configuration[0].property"]);
        assert!(
            d.iter()
                .any(|x| x.detail.contains("1024") && x.detail.contains("1025")),
            "{d}"
        );
    }

    /// Rejected overrides: (override, the attribute path, the summary).
    fn override_rule_cases() -> Vec<(Value, &'static str, &'static str)> {
        let count = "Instances.InstanceGroups[1].InstanceCount";
        let itype = "Instances.InstanceGroups[1].InstanceType";
        let n = Value::number;
        let dec = |s: &str| Value::Number(Number::parse(s).unwrap());
        vec![
            (
                ovr("A", count, n(1), Value::Null),
                "override[0].maximum",
                "Unbounded override",
            ),
            (
                ovr("A", count, Value::Null, n(5)),
                "override[0].minimum",
                "Unbounded override",
            ),
            (
                ovr("A", count, n(1), dec("2.5")),
                "override[0].maximum",
                "Invalid bound",
            ),
            (
                ovr("A", count, n(5), n(2)),
                "override[0].minimum",
                "Invalid bounds",
            ),
            (
                ovr("A", count, n(-1), n(2)),
                "override[0].minimum",
                "Invalid bound",
            ),
            (
                ovr("A", count, n(1), n(501)),
                "override[0].maximum",
                "Invalid bound",
            ),
            (
                ovr("A", "StepConcurrencyLevel", n(0), n(2)),
                "override[0].minimum",
                "Invalid bound",
            ),
            (
                ovr("A", "StepConcurrencyLevel", n(1), n(257)),
                "override[0].maximum",
                "Invalid bound",
            ),
            (
                ovr("A", "AutoTerminationPolicy.IdleTimeout", n(59), n(600)),
                "override[0].minimum",
                "Invalid bound",
            ),
            (
                ovr("A", "AutoTerminationPolicy.IdleTimeout", n(60), n(604_801)),
                "override[0].maximum",
                "Invalid bound",
            ),
            (
                {
                    let mut o = ovr("A", count, n(1), n(2));
                    o.set_attr("allowed_values", Value::List(vec![Value::string("3")]));
                    o
                },
                "override[0].allowed_values",
                "Allowed values on a number",
            ),
            (
                ovr("A", itype, Value::Null, Value::Null),
                "override[0].allowed_values",
                "Missing allowed values",
            ),
            (
                ovr_values("A", itype, &[]),
                "override[0].allowed_values",
                "Missing allowed values",
            ),
            (
                ovr_values("A", itype, &["m5.xlarge", "m5.xlarge"]),
                "override[0].allowed_values[1]",
                "Duplicate allowed value",
            ),
            (
                ovr_values("A", itype, &["m5.xlarge", "huge"]),
                "override[0].allowed_values[1]",
                "Invalid instance type",
            ),
            (
                {
                    let mut o = ovr_values("A", itype, &["m5.xlarge"]);
                    o.set_attr("maximum", n(3));
                    o
                },
                "override[0].maximum",
                "Bounds on a non-numeric value",
            ),
        ]
        .into_iter()
        .chain(override_path_cases())
        .collect()
    }

    /// Overrides of paths that may not be overridden or do not exist.
    fn override_path_cases() -> Vec<(Value, &'static str, &'static str)> {
        let n = Value::number;
        vec![
            (
                ovr(
                    "A",
                    "BootstrapActions[0].ScriptBootstrapAction.Path",
                    n(1),
                    n(2),
                ),
                "override[0].path",
                "Override path not allowed",
            ),
            (
                ovr("A", "Configurations[0].Properties.x", n(1), n(2)),
                "override[0].path",
                "Override path not allowed",
            ),
            (
                ovr("A", "Steps[0].ActionOnFailure", n(1), n(2)),
                "override[0].path",
                "Override path not allowed",
            ),
            (
                ovr("A", "Instances.Ec2SubnetId", n(1), n(2)),
                "override[0].path",
                "Override path not allowed",
            ),
            (
                ovr("A", "Instances.KeepJobFlowAliveWhenNoSteps", n(1), n(2)),
                "override[0].path",
                "Override path not allowed",
            ),
            (
                ovr("A", "ReleaseLabel", n(1), n(2)),
                "override[0].path",
                "Override path not allowed",
            ),
            (
                ovr("A", "Instances.InstanceGroups[0].Market", n(1), n(2)),
                "override[0].path",
                "Override path not allowed",
            ),
            (
                ovr("A", "Instances.InstanceGroups[2].InstanceCount", n(1), n(2)),
                "override[0].path",
                "Override path not found",
            ),
            (
                ovr(
                    "A",
                    "ManagedScalingPolicy.ComputeLimits.MaximumCapacityUnits",
                    n(1),
                    n(2),
                ),
                "override[0].path",
                "Override path not found",
            ),
            (
                ovr("A", "Instances.InstanceGroups[1]", n(1), n(2)),
                "override[0].path",
                "Override path names a structure",
            ),
        ]
    }

    #[test]
    fn override_rules() {
        let mut cfg = base();
        cfg.set_attr("step_concurrency_level", Value::number(1));
        cfg.set_attr("idle_timeout_seconds", Value::number(3600));
        let rjf = run_job_flow(&cfg, &BTreeMap::new());
        let check = |o: Value| {
            let mut c = cfg.clone();
            c.set_attr("override", Value::List(vec![o]));
            let d = validate_overrides(&c, Some(&rjf));
            (errors_at(&d), d)
        };
        let count = "Instances.InstanceGroups[1].InstanceCount";
        let itype = "Instances.InstanceGroups[1].InstanceType";
        let n = Value::number;
        let dec = |s: &str| Value::Number(Number::parse(s).unwrap());
        // Accepted.
        for o in [
            ovr("A", count, n(1), n(10)),
            ovr("A", count, n(3), n(3)),
            ovr("A", count, dec("2.0"), n(4)),
            ovr("A", "StepConcurrencyLevel", n(1), n(256)),
            ovr("A", "AutoTerminationPolicy.IdleTimeout", n(60), n(604_800)),
            ovr_values("A", itype, &["m5.xlarge", "r5.2xlarge"]),
        ] {
            let (at, d) = check(o.clone());
            assert!(at.is_empty(), "{o:?}: {d}");
        }
        // Rejected, at the attribute that is wrong.
        let cases = override_rule_cases();
        for (o, at, summary) in cases {
            let (paths, d) = check(o.clone());
            assert!(
                d.iter().any(|x| x.summary == summary
                    && x.path.as_ref().map(|p| p.to_string()).as_deref() == Some(at)),
                "{o:?}: expected {summary:?} at {at}, got {d}"
            );
            assert!(
                paths.iter().all(|p| p.starts_with("override[0].")),
                "{paths:?}"
            );
        }
        // The message lists what may be overridden.
        let (_, d) = check(ovr("A", "Instances.Ec2SubnetId", n(1), n(2)));
        assert!(
            d.iter()
                .any(|x| x.detail.contains("AutoTerminationPolicy.IdleTimeout")
                    && x.detail
                        .contains("Instances.InstanceGroups[i].InstanceCount")),
            "{d}"
        );
        // Without the request (unknown at plan), the rules that need no
        // request still apply.
        let mut c = cfg.clone();
        c.set_attr(
            "override",
            Value::List(vec![ovr("A", count, n(1), Value::Null)]),
        );
        assert_eq!(
            errors_at(&validate_overrides(&c, None)),
            ["override[0].maximum"]
        );
    }

    #[test]
    fn metadata_overrides_carry_bounds_or_allowed_values() {
        let mut cfg = base();
        cfg.set_attr("override", core_overrides());
        let rjf = run_job_flow(&cfg, &BTreeMap::new());
        assert_eq!(
            metadata_document(&cfg, &rjf)["Overrides"],
            json!([
                {"Name": "CoreInstanceCount", "Path": "Instances.InstanceGroups[1].InstanceCount",
                 "Minimum": 1, "Maximum": 10},
                {"Name": "CoreInstanceType", "Path": "Instances.InstanceGroups[1].InstanceType",
                 "AllowedValues": ["m5.xlarge", "m5.2xlarge"]},
            ])
        );
    }
}
