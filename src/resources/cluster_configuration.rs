//! emr_cluster_configuration (seeds 000/001, "Configuration"): what a
//! cluster is — release, applications, instances, configurations, bootstrap
//! actions, scaling — as the RunJobFlow request it describes, plus which
//! secrets a launch merges in and which values a launch may override, within
//! what bounds. Stored as metadata in SSM like the profile.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as J};

use crate::configured::Configured;
use crate::configured::ProviderData;
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

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Group {
    pub role: Planned<String>,
    pub instance_type: Planned<String>,
    pub instance_count: Planned<Number>,
    pub name: Planned<String>,
    pub market: Planned<String>,
    pub bid_price: Planned<String>,
    pub ebs: Planned<Vec<Ebs>>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Ebs {
    pub volume_type: Planned<String>,
    pub size_gb: Planned<Number>,
    pub volumes_per_instance: Planned<Number>,
    pub iops: Planned<Number>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Fleet {
    pub role: Planned<String>,
    pub name: Planned<String>,
    pub target_on_demand_capacity: Planned<Number>,
    pub target_spot_capacity: Planned<Number>,
    pub instance_type_config: Planned<Vec<TypeConfig>>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct TypeConfig {
    pub instance_type: Planned<String>,
    pub weighted_capacity: Planned<Number>,
    pub bid_price_as_percentage_of_on_demand_price: Planned<Number>,
    pub ebs: Planned<Vec<Ebs>>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Bootstrap {
    pub name: Planned<String>,
    pub path: Planned<String>,
    pub args: PlannedList<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Scaling {
    pub unit_type: Planned<String>,
    pub minimum_capacity_units: Planned<Number>,
    pub maximum_capacity_units: Planned<Number>,
    pub maximum_on_demand_capacity_units: Planned<Number>,
    pub maximum_core_capacity_units: Planned<Number>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Secret {
    pub classification: Planned<String>,
    pub property: Planned<String>,
    pub secret_arn: Planned<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Override {
    pub name: Planned<String>,
    pub path: Planned<String>,
    pub minimum: Planned<Number>,
    pub maximum: Planned<Number>,
    pub allowed_values: PlannedList<String>,
}

fn to_value(m: &Model) -> Result<Value, Diagnostics> {
    model::encode_block(m, &schema().block)
}

// ---------- the RunJobFlow document (pure) ----------

fn num(n: &Planned<Number>) -> Option<J> {
    n.known()
        .and_then(|n| serde_json::from_str::<J>(n.as_str()).ok())
}

fn text(s: &Planned<String>) -> J {
    J::String(s.as_str().unwrap_or_default().into())
}

/// Inserts `v` under `k` when there is one.
fn put(m: &mut Map<String, J>, k: &str, v: Option<J>) {
    if let Some(v) = v {
        m.insert(k.into(), v);
    }
}

fn ebs_json(ebs: &Planned<Vec<Ebs>>) -> Option<J> {
    let vols = ebs.known().filter(|e| !e.is_empty())?;
    let cfgs: Vec<J> = vols
        .iter()
        .map(|v| {
            let mut spec = Map::new();
            spec.insert("VolumeType".into(), text(&v.volume_type));
            put(&mut spec, "SizeInGB", num(&v.size_gb));
            put(&mut spec, "Iops", num(&v.iops));
            let per_instance = num(&v.volumes_per_instance).unwrap_or(json!(1));
            json!({"VolumeSpecification": spec, "VolumesPerInstance": per_instance})
        })
        .collect();
    Some(json!({"EbsBlockDeviceConfigs": cfgs}))
}

/// A `secret_configuration` block: EMR sets `property` of the top-level
/// configuration `classification` from the secret, on the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretProperty {
    pub classification: String,
    pub property: String,
    pub secret_arn: String,
}

impl SecretProperty {
    /// The Properties key that tells EMR to resolve the value from Secrets
    /// Manager.
    pub fn key(&self) -> String {
        secret_key(&self.property)
    }
}

pub const SECRET_PREFIX: &str = "EMR.secret@";

/// `EMR.secret@<property>`.
pub fn secret_key(property: &str) -> String {
    format!("{SECRET_PREFIX}{property}")
}

/// EMR's limit on an annotated property: key plus value, in characters.
pub const SECRET_ANNOTATION_MAX: usize = 1024;

fn secrets_of(cfg: &Model) -> Vec<SecretProperty> {
    let s = |v: &Planned<String>| v.as_str().unwrap_or_default().to_string();
    cfg.secret_configuration
        .elems()
        .iter()
        .map(|x| SecretProperty {
            classification: s(&x.classification),
            property: s(&x.property),
            secret_arn: s(&x.secret_arn),
        })
        .collect()
}

/// The Configurations of the request: `configurations_json` with each
/// secret's `"EMR.secret@<property>": "<secret_arn>"` in the Properties of
/// the first top-level entry of its classification (a new entry
/// `{Classification, Properties}` at the end when there is none).
pub fn with_secret_annotations(configurations: Option<J>, secrets: &[SecretProperty]) -> Option<J> {
    if secrets.is_empty() {
        return configurations;
    }
    let mut items = match configurations {
        None => Vec::new(),
        Some(J::Array(items)) => items,
        // Not a list: validation rejects it; leave it as written.
        Some(other) => return Some(other),
    };
    for s in secrets {
        let entry = items.iter_mut().find(|i| {
            i.get("Classification").and_then(J::as_str) == Some(s.classification.as_str())
        });
        let entry = match entry {
            Some(e) => e,
            None => {
                items.push(json!({"Classification": s.classification, "Properties": {}}));
                let last = items.len() - 1;
                &mut items[last]
            }
        };
        let Some(obj) = entry.as_object_mut() else {
            continue;
        };
        let props = obj
            .entry("Properties")
            .or_insert_with(|| J::Object(Map::new()));
        if !props.is_object() {
            *props = J::Object(Map::new());
        }
        if let Some(p) = props.as_object_mut() {
            p.insert(s.key(), J::String(s.secret_arn.clone()));
        }
    }
    Some(J::Array(items))
}

/// The inverse of [`with_secret_annotations`], for import: the request's
/// Configurations without the secrets' annotations (and without the entries
/// that held nothing else). None when nothing is left.
pub fn without_secret_annotations(configurations: &J, secrets: &[SecretProperty]) -> Option<J> {
    let J::Array(items) = configurations else {
        return Some(configurations.clone());
    };
    let mut out = Vec::new();
    for item in items {
        let mut item = item.clone();
        let class = item
            .get("Classification")
            .and_then(J::as_str)
            .map(str::to_string);
        let mine: Vec<&SecretProperty> = secrets
            .iter()
            .filter(|s| Some(&s.classification) == class.as_ref())
            .collect();
        if let (false, Some(obj)) = (mine.is_empty(), item.as_object_mut()) {
            let mut emptied = false;
            if let Some(props) = obj.get_mut("Properties").and_then(J::as_object_mut) {
                for s in &mine {
                    if props.get(&s.key()).and_then(J::as_str) == Some(s.secret_arn.as_str()) {
                        props.remove(&s.key());
                        emptied = props.is_empty();
                    }
                }
            }
            if emptied {
                obj.remove("Properties");
                if obj.len() == 1 {
                    continue;
                }
            }
        }
        out.push(item);
    }
    (!out.is_empty()).then_some(J::Array(out))
}

fn group_json(g: &Group) -> J {
    let mut m = Map::new();
    let role = g.role.as_str().unwrap_or_default();
    m.insert("Name".into(), json!(g.name.as_str().unwrap_or(role)));
    m.insert("InstanceRole".into(), json!(role));
    m.insert("InstanceType".into(), text(&g.instance_type));
    let count = num(&g.instance_count).unwrap_or(json!(0));
    m.insert("InstanceCount".into(), count);
    put(&mut m, "Market", g.market.known().map(|x| json!(x)));
    put(&mut m, "BidPrice", g.bid_price.known().map(|x| json!(x)));
    put(&mut m, "EbsConfiguration", ebs_json(&g.ebs));
    J::Object(m)
}

fn fleet_json(f: &Fleet) -> J {
    let mut m = Map::new();
    let role = f.role.as_str().unwrap_or_default();
    m.insert("Name".into(), json!(f.name.as_str().unwrap_or(role)));
    m.insert("InstanceFleetType".into(), json!(role));
    put(
        &mut m,
        "TargetOnDemandCapacity",
        num(&f.target_on_demand_capacity),
    );
    put(&mut m, "TargetSpotCapacity", num(&f.target_spot_capacity));
    let types: Vec<J> = f
        .instance_type_config
        .elems()
        .iter()
        .map(|t| {
            let mut c = Map::new();
            c.insert("InstanceType".into(), text(&t.instance_type));
            put(&mut c, "WeightedCapacity", num(&t.weighted_capacity));
            let bid = num(&t.bid_price_as_percentage_of_on_demand_price);
            put(&mut c, "BidPriceAsPercentageOfOnDemandPrice", bid);
            put(&mut c, "EbsConfiguration", ebs_json(&t.ebs));
            J::Object(c)
        })
        .collect();
    m.insert("InstanceTypeConfigs".into(), J::Array(types));
    J::Object(m)
}

/// The RunJobFlow request of a (wholly known) configuration.
pub fn run_job_flow(cfg: &Model, tags: &BTreeMap<String, String>) -> J {
    let mut rjf = Map::new();
    rjf.insert("ReleaseLabel".into(), text(&cfg.release_label));
    let apps = cfg.applications.all_known().unwrap_or_default();
    if !apps.is_empty() {
        let apps = apps.into_iter().map(|a| json!({"Name": a})).collect();
        rjf.insert("Applications".into(), J::Array(apps));
    }
    let configurations = cfg
        .configurations_json
        .as_str()
        .and_then(|s| serde_json::from_str::<J>(s).ok());
    put(
        &mut rjf,
        "Configurations",
        with_secret_annotations(configurations, &secrets_of(cfg)),
    );
    let mut inst = Map::new();
    let subnets = cfg.subnet_ids.all_known().unwrap_or_default();
    let groups = cfg.instance_group.elems();
    if !groups.is_empty() {
        let gs = groups.iter().map(group_json).collect();
        inst.insert("InstanceGroups".into(), J::Array(gs));
        put(&mut inst, "Ec2SubnetId", subnets.first().map(|s| json!(s)));
    }
    let fleets = cfg.instance_fleet.elems();
    if !fleets.is_empty() {
        let fs = fleets.iter().map(fleet_json).collect();
        inst.insert("InstanceFleets".into(), J::Array(fs));
        if !subnets.is_empty() {
            inst.insert("Ec2SubnetIds".into(), json!(subnets));
        }
    }
    inst.insert("KeepJobFlowAliveWhenNoSteps".into(), J::Bool(true));
    rjf.insert("Instances".into(), J::Object(inst));
    let ba = cfg.bootstrap_action.elems();
    if !ba.is_empty() {
        let v: Vec<J> = ba
            .iter()
            .map(|b| {
                json!({"Name": text(&b.name),
                       "ScriptBootstrapAction": {"Path": text(&b.path),
                                                 "Args": b.args.all_known().unwrap_or_default()}})
            })
            .collect();
        rjf.insert("BootstrapActions".into(), J::Array(v));
    }
    put(
        &mut rjf,
        "StepConcurrencyLevel",
        num(&cfg.step_concurrency_level),
    );
    if let Some(n) = num(&cfg.idle_timeout_seconds) {
        rjf.insert("AutoTerminationPolicy".into(), json!({"IdleTimeout": n}));
    }
    if let Some(ms) = cfg.managed_scaling.known() {
        let mut lim = Map::new();
        lim.insert("UnitType".into(), text(&ms.unit_type));
        put(
            &mut lim,
            "MinimumCapacityUnits",
            num(&ms.minimum_capacity_units),
        );
        put(
            &mut lim,
            "MaximumCapacityUnits",
            num(&ms.maximum_capacity_units),
        );
        let on_demand = num(&ms.maximum_on_demand_capacity_units);
        put(&mut lim, "MaximumOnDemandCapacityUnits", on_demand);
        put(
            &mut lim,
            "MaximumCoreCapacityUnits",
            num(&ms.maximum_core_capacity_units),
        );
        rjf.insert("ManagedScalingPolicy".into(), json!({"ComputeLimits": lim}));
    }
    if !tags.is_empty() {
        let tags = tags.iter().map(|(k, v)| json!({"Key": k, "Value": v}));
        rjf.insert("Tags".into(), J::Array(tags.collect()));
    }
    rjf.insert("VisibleToAllUsers".into(), J::Bool(true));
    J::Object(rjf)
}

/// One step of an override path: `Name` or `Name[i]`.
fn path_steps(path: &str) -> Option<Vec<(String, Vec<usize>)>> {
    path.split('.')
        .map(|seg| {
            let (name, rest) = seg
                .split_once('[')
                .map(|(n, r)| (n, format!("[{r}")))
                .unwrap_or((seg, String::new()));
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return None;
            }
            let mut idx = Vec::new();
            let mut r = rest.as_str();
            while let Some(x) = r.strip_prefix('[') {
                let (n, after) = x.split_once(']')?;
                idx.push(n.parse().ok()?);
                r = after;
            }
            r.is_empty().then(|| (name.to_string(), idx))
        })
        .collect()
}

/// The value an override path names in a RunJobFlow document.
pub fn resolve<'a>(doc: &'a J, path: &str) -> Option<&'a J> {
    let mut cur = doc;
    for (name, idx) in path_steps(path)? {
        cur = cur.get(&name)?;
        for i in idx {
            cur = cur.get(i)?;
        }
    }
    Some(cur)
}

/// The metadata document stored in SSM.
pub fn metadata_document(cfg: &Model, rjf: &J) -> J {
    let mut m = Map::new();
    m.insert("Namespace".into(), text(&cfg.namespace));
    m.insert("Name".into(), text(&cfg.name));
    put(
        &mut m,
        "Description",
        cfg.description.known().map(|d| json!(d)),
    );
    m.insert("RunJobFlow".into(), rjf.clone());
    let secrets: Vec<J> = secrets_of(cfg)
        .into_iter()
        .map(|s| {
            json!({"Classification": s.classification, "Property": s.property,
                   "SecretArn": s.secret_arn})
        })
        .collect();
    if !secrets.is_empty() {
        m.insert("SecretConfigurations".into(), J::Array(secrets));
    }
    let overrides: Vec<J> = cfg
        .overrides
        .elems()
        .iter()
        .map(|o| {
            let mut x = Map::new();
            x.insert("Name".into(), text(&o.name));
            x.insert("Path".into(), text(&o.path));
            put(&mut x, "Minimum", num(&o.minimum));
            put(&mut x, "Maximum", num(&o.maximum));
            let allowed = o
                .allowed_values
                .all_known()
                .filter(|_| !o.allowed_values.is_null());
            put(&mut x, "AllowedValues", allowed.map(|v| json!(v)));
            J::Object(x)
        })
        .collect();
    if !overrides.is_empty() {
        m.insert("Overrides".into(), J::Array(overrides));
    }
    J::Object(m)
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

fn instance_type_ok(s: &str) -> bool {
    match s.split_once('.') {
        Some((fam, size)) => {
            !fam.is_empty()
                && fam
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !size.is_empty()
                && size
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }
        None => false,
    }
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
    if let Some(t) = t.as_str().filter(|t| !instance_type_ok(t)) {
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
        if let Some(a) = arn {
            let ok = validate::parse_arn(a).is_some_and(|x| {
                x.service == "secretsmanager" && x.resource.starts_with("secret:")
            });
            if !ok {
                d.attr_error(at.push_attr("secret_arn"), "Invalid secret ARN", format!("{a:?} is not a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>)."));
            }
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

/// What kind of value an overridable request field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A whole number: overrides need `minimum` and `maximum`.
    Integer,
    /// An EC2 instance type: overrides need `allowed_values`.
    InstanceType,
}

/// The sizing and timing fields a launch may override: the path (indices as
/// `[i]`, `[j]`, `[k]` in order), its kind, and the range EMR accepts for an
/// integer (inclusive; None: no upper limit).
const OVERRIDABLE: [(&str, FieldKind, i64, Option<i64>); 16] = [
    ("Instances.InstanceGroups[i].InstanceCount", FieldKind::Integer, 0, Some(500)),
    ("Instances.InstanceGroups[i].InstanceType", FieldKind::InstanceType, 0, None),
    ("Instances.InstanceGroups[i].EbsConfiguration.EbsBlockDeviceConfigs[j].VolumeSpecification.SizeInGB", FieldKind::Integer, 1, Some(16384)),
    ("Instances.InstanceGroups[i].EbsConfiguration.EbsBlockDeviceConfigs[j].VolumesPerInstance", FieldKind::Integer, 1, None),
    ("Instances.InstanceFleets[i].TargetOnDemandCapacity", FieldKind::Integer, 0, None),
    ("Instances.InstanceFleets[i].TargetSpotCapacity", FieldKind::Integer, 0, None),
    ("Instances.InstanceFleets[i].InstanceTypeConfigs[j].InstanceType", FieldKind::InstanceType, 0, None),
    ("Instances.InstanceFleets[i].InstanceTypeConfigs[j].WeightedCapacity", FieldKind::Integer, 1, None),
    ("Instances.InstanceFleets[i].InstanceTypeConfigs[j].EbsConfiguration.EbsBlockDeviceConfigs[k].VolumeSpecification.SizeInGB", FieldKind::Integer, 1, Some(16384)),
    ("Instances.InstanceFleets[i].InstanceTypeConfigs[j].EbsConfiguration.EbsBlockDeviceConfigs[k].VolumesPerInstance", FieldKind::Integer, 1, None),
    ("ManagedScalingPolicy.ComputeLimits.MinimumCapacityUnits", FieldKind::Integer, 1, None),
    ("ManagedScalingPolicy.ComputeLimits.MaximumCapacityUnits", FieldKind::Integer, 1, None),
    ("ManagedScalingPolicy.ComputeLimits.MaximumOnDemandCapacityUnits", FieldKind::Integer, 0, None),
    ("ManagedScalingPolicy.ComputeLimits.MaximumCoreCapacityUnits", FieldKind::Integer, 0, None),
    ("StepConcurrencyLevel", FieldKind::Integer, 1, Some(256)),
    ("AutoTerminationPolicy.IdleTimeout", FieldKind::Integer, 60, Some(604_800)),
];

/// `path` with its indices replaced by `[i]`, `[j]`, `[k]` in order; None
/// when it is not a path or has more than three indices.
fn normalized_path(path: &str) -> Option<String> {
    let mut out = Vec::new();
    let mut letters = ['i', 'j', 'k'].into_iter();
    for (name, idx) in path_steps(path)? {
        let mut seg = name;
        for _ in idx {
            seg.push('[');
            seg.push(letters.next()?);
            seg.push(']');
        }
        out.push(seg);
    }
    Some(out.join("."))
}

fn overridable(path: &str) -> Option<&'static (&'static str, FieldKind, i64, Option<i64>)> {
    let n = normalized_path(path)?;
    OVERRIDABLE.iter().find(|o| o.0 == n)
}

/// The kind of a request field a launch may override, or None when the path
/// is not one of the sizing and timing fields.
pub fn override_field(path: &str) -> Option<FieldKind> {
    overridable(path).map(|o| o.1)
}

fn overridable_list() -> String {
    OVERRIDABLE
        .iter()
        .map(|o| o.0)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks overrides; against the RunJobFlow request they apply to when it is
/// known.
pub fn validate_overrides(cfg: &Model, rjf: Option<&J>) -> Diagnostics {
    let mut d = Diagnostics::new();
    let mut names = BTreeSet::new();
    for (i, o) in cfg.overrides.elems().iter().enumerate() {
        let at = AttrPath::attr("override").push_index(i);
        if let Some(n) = o.name.as_str() {
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                d.attr_error(
                    at.push_attr("name"),
                    "Invalid override name",
                    "override names are letters, digits and _ (they are keys of the launch input).",
                );
            } else if !names.insert(n.to_string()) {
                d.attr_error(
                    at.push_attr("name"),
                    "Duplicate override",
                    format!("override {n:?} is defined twice."),
                );
            }
        }
        let Some(path) = o.path.as_str() else {
            continue;
        };
        let leaf = rjf.and_then(|r| resolve(r, path));
        if let Some(J::Object(_) | J::Array(_)) = leaf {
            d.attr_error(
                at.push_attr("path"),
                "Override path names a structure",
                format!("{path:?} names a whole object or list; overrides replace single values."),
            );
            continue;
        }
        let Some(&(_, kind, floor, ceiling)) = overridable(path) else {
            d.attr_error(
                at.push_attr("path"),
                "Override path not allowed",
                format!("{path:?} is not a field a launch may override. Overrides may only change sizing and timing: {} (indices as numbers, e.g. Instances.InstanceGroups[1].InstanceCount).", overridable_list()),
            );
            continue;
        };
        if rjf.is_some() && leaf.is_none() {
            d.attr_error(
                at.push_attr("path"),
                "Override path not found",
                format!("{path:?} names nothing in this configuration's RunJobFlow request (see run_job_flow_json); use a path like Instances.InstanceGroups[1].InstanceCount."),
            );
        }
        match kind {
            FieldKind::Integer => check_bounds(&mut d, o, &at, path, (floor, ceiling)),
            FieldKind::InstanceType => check_allowed_types(&mut d, o, &at, path),
        }
    }
    d
}

/// An integer override: minimum and maximum, whole, within what EMR accepts.
fn check_bounds(
    d: &mut Diagnostics,
    o: &Override,
    at: &AttrPath,
    path: &str,
    range: (i64, Option<i64>),
) {
    let (floor, ceiling) = range;
    if !o.allowed_values.is_null() {
        d.attr_error(
            at.push_attr("allowed_values"),
            "Allowed values on a number",
            format!("{path:?} is a number; bound it with minimum and maximum, not allowed_values."),
        );
    }
    let mut bounds = Vec::new();
    for (attr, v) in [("minimum", &o.minimum), ("maximum", &o.maximum)] {
        if v.is_null() {
            d.attr_error(
                at.push_attr(attr),
                "Unbounded override",
                format!("{path:?} is a number: set both minimum and maximum (an override without {attr} would let a launch pick any value)."),
            );
        } else if let Some(n) = v.known() {
            match n.to_i64() {
                None => d.attr_error(
                    at.push_attr(attr),
                    "Invalid bound",
                    format!("{attr} must be a whole number ({path:?} is an integer in the EMR API), got {n}."),
                ),
                Some(x) if x < floor => d.attr_error(
                    at.push_attr(attr),
                    "Invalid bound",
                    format!("{attr} ({x}) is below {floor}, the smallest value EMR accepts for {path:?}."),
                ),
                Some(x) if ceiling.is_some_and(|c| x > c) => d.attr_error(
                    at.push_attr(attr),
                    "Invalid bound",
                    format!("{attr} ({x}) is above {}, the largest value EMR accepts for {path:?}.", ceiling.unwrap_or_default()),
                ),
                Some(x) => bounds.push(x),
            }
        }
    }
    let reversed = match (bounds.as_slice(), o.minimum.known(), o.maximum.known()) {
        ([a, b], _, _) => a > b,
        (_, Some(a), Some(b)) => num_lt(b, a),
        _ => false,
    };
    if let (true, Some(a), Some(b)) = (reversed, o.minimum.known(), o.maximum.known()) {
        d.attr_error(
            at.push_attr("minimum"),
            "Invalid bounds",
            format!("minimum ({a}) is greater than maximum ({b})."),
        );
    }
}

/// An instance type override: a list of distinct allowed instance types.
fn check_allowed_types(d: &mut Diagnostics, o: &Override, at: &AttrPath, path: &str) {
    for (attr, v) in [("minimum", &o.minimum), ("maximum", &o.maximum)] {
        if !v.is_null() {
            d.attr_error(
                at.push_attr(attr),
                "Bounds on a non-numeric value",
                format!("{path:?} is an instance type, not a number; list the choices in allowed_values instead of {attr}."),
            );
        }
    }
    let vals = match &o.allowed_values {
        Planned::Null => {
            return d.attr_error(
                at.push_attr("allowed_values"),
                "Missing allowed values",
                format!("{path:?} is an instance type: set allowed_values to the instance types a launch may choose."),
            )
        }
        Planned::Known(v) if v.is_empty() => {
            return d.attr_error(
                at.push_attr("allowed_values"),
                "Missing allowed values",
                "allowed_values must list at least one instance type.",
            )
        }
        Planned::Known(v) => v,
        Planned::Unknown => return,
    };
    let mut seen = BTreeSet::new();
    for (j, v) in vals.iter().enumerate() {
        let Some(t) = v.as_str() else { continue };
        if !instance_type_ok(t) {
            d.attr_error(
                at.push_attr("allowed_values").push_index(j),
                "Invalid instance type",
                format!("{t:?} is not an EC2 instance type like m5.xlarge."),
            );
        } else if !seen.insert(t) {
            d.attr_error(
                at.push_attr("allowed_values").push_index(j),
                "Duplicate allowed value",
                format!("{t:?} is listed twice in allowed_values."),
            );
        }
    }
}

fn num_lt(a: &Number, b: &Number) -> bool {
    match (a.as_str().parse::<f64>(), b.as_str().parse::<f64>()) {
        (Ok(x), Ok(y)) => x < y,
        _ => false,
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
    let rjf = run_job_flow(st, &st.tags_all.known_entries());
    st.run_job_flow_json = Planned::Known(crate::canonical::text(&rjf));
    st.metadata_json = Planned::Known(crate::canonical::text(&metadata_document(st, &rjf)));
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
        diags.extend(validate_overrides(&plan, rjf.as_ref()));
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

fn jnum(v: Option<&J>) -> Planned<Number> {
    match v {
        Some(J::Number(n)) => Number::parse(&n.to_string()).ok().into(),
        _ => Planned::Null,
    }
}

fn jstr(v: Option<&J>) -> Planned<String> {
    v.and_then(J::as_str).map(str::to_string).into()
}

fn list(v: Option<&J>) -> Option<&[J]> {
    v.and_then(J::as_array).map(Vec::as_slice)
}

fn jstrs(v: Option<&J>) -> Option<Vec<Planned<String>>> {
    v.and_then(J::as_array)
        .map(|a| a.iter().map(|x| jstr(Some(x))).collect())
}

fn ebs_value(e: Option<&J>) -> Planned<Vec<Ebs>> {
    let cfgs = e.and_then(|x| x.get("EbsBlockDeviceConfigs"));
    let cfgs = cfgs
        .and_then(J::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    Planned::Known(
        cfgs.iter()
            .map(|c| {
                let spec = |k: &str| c.get("VolumeSpecification").and_then(|s| s.get(k));
                Ebs {
                    volume_type: jstr(spec("VolumeType")),
                    size_gb: jnum(spec("SizeInGB")),
                    iops: jnum(spec("Iops")),
                    volumes_per_instance: jnum(c.get("VolumesPerInstance")),
                }
            })
            .collect(),
    )
}

/// A group's or fleet's name: null when it is the role (the default).
fn name_or_null(x: &J, role: &str) -> Planned<String> {
    match x.get("Name").and_then(J::as_str) {
        Some(n) if n != role => n.into(),
        _ => Planned::Null,
    }
}

fn group_of(g: &J) -> Group {
    let role = g
        .get("InstanceRole")
        .and_then(J::as_str)
        .unwrap_or_default();
    Group {
        role: role.into(),
        name: name_or_null(g, role),
        instance_type: jstr(g.get("InstanceType")),
        instance_count: jnum(g.get("InstanceCount")),
        market: jstr(g.get("Market")),
        bid_price: jstr(g.get("BidPrice")),
        ebs: ebs_value(g.get("EbsConfiguration")),
    }
}

fn fleet_of(f: &J) -> Fleet {
    let role = f
        .get("InstanceFleetType")
        .and_then(J::as_str)
        .unwrap_or_default();
    let types = f.get("InstanceTypeConfigs").and_then(J::as_array);
    let type_of = |t: &J| TypeConfig {
        instance_type: jstr(t.get("InstanceType")),
        weighted_capacity: jnum(t.get("WeightedCapacity")),
        bid_price_as_percentage_of_on_demand_price: jnum(
            t.get("BidPriceAsPercentageOfOnDemandPrice"),
        ),
        ebs: ebs_value(t.get("EbsConfiguration")),
    };
    Fleet {
        role: role.into(),
        name: name_or_null(f, role),
        target_on_demand_capacity: jnum(f.get("TargetOnDemandCapacity")),
        target_spot_capacity: jnum(f.get("TargetSpotCapacity")),
        instance_type_config: Planned::Known(types.into_iter().flatten().map(type_of).collect()),
    }
}

fn bootstrap_of(b: &J) -> Bootstrap {
    let args = jstrs(b.pointer("/ScriptBootstrapAction/Args")).unwrap_or_default();
    Bootstrap {
        name: jstr(b.get("Name")),
        path: jstr(b.pointer("/ScriptBootstrapAction/Path")),
        args: Some(args).filter(|a| !a.is_empty()).into(),
    }
}

fn override_of(x: &J) -> Override {
    Override {
        name: jstr(x.get("Name")),
        path: jstr(x.get("Path")),
        minimum: jnum(x.get("Minimum")),
        maximum: jnum(x.get("Maximum")),
        allowed_values: jstrs(x.get("AllowedValues")).into(),
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
        .map(|x| Secret {
            classification: jstr(x.get("Classification")),
            property: jstr(x.get("Property")),
            secret_arn: jstr(x.get("SecretArn")),
        })
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
    let props = secrets_of(&st);
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
        st.managed_scaling = Planned::Known(Scaling {
            unit_type: jstr(l.get("UnitType")),
            minimum_capacity_units: jnum(l.get("MinimumCapacityUnits")),
            maximum_capacity_units: jnum(l.get("MaximumCapacityUnits")),
            maximum_on_demand_capacity_units: jnum(l.get("MaximumOnDemandCapacityUnits")),
            maximum_core_capacity_units: jnum(l.get("MaximumCoreCapacityUnits")),
        });
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

    fn m(v: &Value) -> Model {
        model::decode(v).unwrap()
    }

    fn run_job_flow(cfg: &Value, tags: &BTreeMap<String, String>) -> J {
        super::run_job_flow(&m(cfg), tags)
    }

    fn metadata_document(cfg: &Value, rjf: &J) -> J {
        super::metadata_document(&m(cfg), rjf)
    }

    fn validate_overrides(cfg: &Value, rjf: Option<&J>) -> Diagnostics {
        super::validate_overrides(&m(cfg), rjf)
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
        super::secrets_of(&m(cfg))
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

    #[test]
    fn override_fields_are_sizing_and_timing_only() {
        use FieldKind::{InstanceType, Integer};
        for (path, kind) in [
            ("Instances.InstanceGroups[1].InstanceCount", Integer),
            ("Instances.InstanceGroups[12].InstanceType", InstanceType),
            ("Instances.InstanceGroups[1].EbsConfiguration.EbsBlockDeviceConfigs[0].VolumeSpecification.SizeInGB", Integer),
            ("Instances.InstanceGroups[1].EbsConfiguration.EbsBlockDeviceConfigs[0].VolumesPerInstance", Integer),
            ("Instances.InstanceFleets[0].TargetOnDemandCapacity", Integer),
            ("Instances.InstanceFleets[1].TargetSpotCapacity", Integer),
            ("Instances.InstanceFleets[1].InstanceTypeConfigs[2].InstanceType", InstanceType),
            ("Instances.InstanceFleets[1].InstanceTypeConfigs[2].WeightedCapacity", Integer),
            ("Instances.InstanceFleets[1].InstanceTypeConfigs[0].EbsConfiguration.EbsBlockDeviceConfigs[0].VolumeSpecification.SizeInGB", Integer),
            ("Instances.InstanceFleets[1].InstanceTypeConfigs[0].EbsConfiguration.EbsBlockDeviceConfigs[0].VolumesPerInstance", Integer),
            ("ManagedScalingPolicy.ComputeLimits.MinimumCapacityUnits", Integer),
            ("ManagedScalingPolicy.ComputeLimits.MaximumCapacityUnits", Integer),
            ("ManagedScalingPolicy.ComputeLimits.MaximumOnDemandCapacityUnits", Integer),
            ("ManagedScalingPolicy.ComputeLimits.MaximumCoreCapacityUnits", Integer),
            ("StepConcurrencyLevel", Integer),
            ("AutoTerminationPolicy.IdleTimeout", Integer),
        ] {
            assert_eq!(override_field(path), Some(kind), "{path}");
        }
        for path in [
            "ReleaseLabel",
            "Applications[0].Name",
            "BootstrapActions[0].ScriptBootstrapAction.Path",
            "BootstrapActions[0].ScriptBootstrapAction.Args[0]",
            "Steps[0].HadoopJarStep.Jar",
            "Configurations[0].Properties.x",
            "Instances.Ec2SubnetId",
            "Instances.Ec2SubnetIds[0]",
            "Instances.KeepJobFlowAliveWhenNoSteps",
            "Instances.InstanceGroups[0].Market",
            "Instances.InstanceGroups[0].BidPrice",
            "Instances.InstanceGroups[0].InstanceRole",
            "Instances.InstanceGroups[0].EbsConfiguration.EbsBlockDeviceConfigs[0].VolumeSpecification.VolumeType",
            "Instances.InstanceFleets[0].InstanceTypeConfigs[0].BidPriceAsPercentageOfOnDemandPrice",
            "ManagedScalingPolicy.ComputeLimits.UnitType",
            "ServiceRole",
            "JobFlowRole",
            "SecurityConfiguration",
            "LogUri",
            "Tags[0].Value",
            "VisibleToAllUsers",
            "Instances.InstanceGroups.InstanceCount",
            "Instances.InstanceGroups[0][1].InstanceCount",
            "Instances.InstanceGroups[x].InstanceCount",
            "Instances.InstanceGroups",
            "StepConcurrencyLevel[0]",
            "",
        ] {
            assert_eq!(override_field(path), None, "{path}");
        }
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
