//! A cluster configuration's documents: the RunJobFlow request, the secret
//! annotations EMR resolves on the cluster, the metadata document, and the
//! blocks read back from a stored document on import.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as J};

use crate::tfplugin::{Number, Planned, PlannedList};

// ---------- the blocks ----------

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

/// A cluster configuration as written: the resource's inputs, borrowed.
pub struct Configuration<'a> {
    pub namespace: &'a Planned<String>,
    pub name: &'a Planned<String>,
    pub description: &'a Planned<String>,
    pub release_label: &'a Planned<String>,
    pub applications: &'a PlannedList<String>,
    pub subnet_ids: &'a PlannedList<String>,
    pub configurations_json: &'a Planned<String>,
    pub step_concurrency_level: &'a Planned<Number>,
    pub idle_timeout_seconds: &'a Planned<Number>,
    pub instance_group: &'a Planned<Vec<Group>>,
    pub instance_fleet: &'a Planned<Vec<Fleet>>,
    pub bootstrap_action: &'a Planned<Vec<Bootstrap>>,
    pub managed_scaling: &'a Planned<Scaling>,
    pub secret_configuration: &'a Planned<Vec<Secret>>,
    pub overrides: &'a Planned<Vec<Override>>,
}

// ---------- the RunJobFlow document ----------

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

/// The `secret_configuration` blocks as written (unknown parts empty).
pub fn secrets_of(blocks: &Planned<Vec<Secret>>) -> Vec<SecretProperty> {
    let s = |v: &Planned<String>| v.as_str().unwrap_or_default().to_string();
    blocks
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
pub fn run_job_flow(cfg: &Configuration, tags: &BTreeMap<String, String>) -> J {
    let mut rjf = Map::new();
    rjf.insert("ReleaseLabel".into(), text(cfg.release_label));
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
        with_secret_annotations(configurations, &secrets_of(cfg.secret_configuration)),
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
        num(cfg.step_concurrency_level),
    );
    if let Some(n) = num(cfg.idle_timeout_seconds) {
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
pub(super) fn path_steps(path: &str) -> Option<Vec<(String, Vec<usize>)>> {
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
pub fn metadata_document(cfg: &Configuration, rjf: &J) -> J {
    let mut m = Map::new();
    m.insert("Namespace".into(), text(cfg.namespace));
    m.insert("Name".into(), text(cfg.name));
    put(
        &mut m,
        "Description",
        cfg.description.known().map(|d| json!(d)),
    );
    m.insert("RunJobFlow".into(), rjf.clone());
    let secrets: Vec<J> = secrets_of(cfg.secret_configuration)
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

// ---------- import: blocks from a stored document ----------

pub fn jnum(v: Option<&J>) -> Planned<Number> {
    match v {
        Some(J::Number(n)) => Number::parse(&n.to_string()).ok().into(),
        _ => Planned::Null,
    }
}

pub fn jstr(v: Option<&J>) -> Planned<String> {
    v.and_then(J::as_str).map(str::to_string).into()
}

pub fn list(v: Option<&J>) -> Option<&[J]> {
    v.and_then(J::as_array).map(Vec::as_slice)
}

pub fn jstrs(v: Option<&J>) -> Option<Vec<Planned<String>>> {
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

pub fn group_of(g: &J) -> Group {
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

pub fn fleet_of(f: &J) -> Fleet {
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

pub fn bootstrap_of(b: &J) -> Bootstrap {
    let args = jstrs(b.pointer("/ScriptBootstrapAction/Args")).unwrap_or_default();
    Bootstrap {
        name: jstr(b.get("Name")),
        path: jstr(b.pointer("/ScriptBootstrapAction/Path")),
        args: Some(args).filter(|a| !a.is_empty()).into(),
    }
}

pub fn override_of(x: &J) -> Override {
    Override {
        name: jstr(x.get("Name")),
        path: jstr(x.get("Path")),
        minimum: jnum(x.get("Minimum")),
        maximum: jnum(x.get("Maximum")),
        allowed_values: jstrs(x.get("AllowedValues")).into(),
    }
}

pub fn secret_of(x: &J) -> Secret {
    Secret {
        classification: jstr(x.get("Classification")),
        property: jstr(x.get("Property")),
        secret_arn: jstr(x.get("SecretArn")),
    }
}

/// ManagedScalingPolicy.ComputeLimits.
pub fn scaling_of(l: &J) -> Scaling {
    Scaling {
        unit_type: jstr(l.get("UnitType")),
        minimum_capacity_units: jnum(l.get("MinimumCapacityUnits")),
        maximum_capacity_units: jnum(l.get("MaximumCapacityUnits")),
        maximum_on_demand_capacity_units: jnum(l.get("MaximumOnDemandCapacityUnits")),
        maximum_core_capacity_units: jnum(l.get("MaximumCoreCapacityUnits")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-AbCd";

    fn n(s: &str) -> Planned<Number> {
        Planned::Known(Number::parse(s).unwrap())
    }

    #[test]
    fn paths_resolve_names_and_indices_only() {
        let doc =
            json!({"Instances": {"InstanceGroups": [{"InstanceCount": 1}, {"InstanceCount": 2}]}});
        let at = |p: &str| resolve(&doc, p);
        assert_eq!(
            at("Instances.InstanceGroups[1].InstanceCount"),
            Some(&json!(2))
        );
        assert_eq!(at("Instances.InstanceGroups[2].InstanceCount"), None);
        for bad in [
            "",
            "Instances..X",
            "Instances.InstanceGroups[x]",
            "A-B",
            "A[0",
        ] {
            assert_eq!(path_steps(bad), None, "{bad:?}");
        }
        assert_eq!(
            path_steps("A[0][1].B"),
            Some(vec![
                ("A".to_string(), vec![0, 1]),
                ("B".to_string(), vec![])
            ])
        );
    }

    #[test]
    fn secret_annotations_merge_into_their_classification_and_come_out_again() {
        let secret = |class: &str, property: &str| SecretProperty {
            classification: class.into(),
            property: property.into(),
            secret_arn: ARN.into(),
        };
        let secrets = [secret("hive-site", "p"), secret("core-site", "q")];
        let written = json!([{"Classification": "hive-site", "Properties": {"a": "b"}}]);
        let merged = with_secret_annotations(Some(written.clone()), &secrets).unwrap();
        assert_eq!(
            merged,
            json!([
                {"Classification": "hive-site", "Properties": {"a": "b", "EMR.secret@p": ARN}},
                {"Classification": "core-site", "Properties": {"EMR.secret@q": ARN}},
            ])
        );
        assert_eq!(without_secret_annotations(&merged, &secrets), Some(written));
        assert_eq!(with_secret_annotations(None, &[]), None);
        assert_eq!(
            with_secret_annotations(Some(json!({})), &secrets),
            Some(json!({}))
        );
    }

    #[test]
    fn groups_and_fleets_read_back_as_written() {
        let ebs = Planned::Known(vec![Ebs {
            volume_type: "gp3".into(),
            size_gb: n("64"),
            volumes_per_instance: n("2"),
            iops: Planned::Null,
        }]);
        let group = Group {
            role: "CORE".into(),
            instance_type: "m5.xlarge".into(),
            instance_count: n("2"),
            name: Planned::Null,
            market: "SPOT".into(),
            bid_price: Planned::Null,
            ebs: ebs.clone(),
        };
        let j = group_json(&group);
        assert_eq!(j["Name"], json!("CORE"));
        assert_eq!(group_of(&j), group);
        let fleet = Fleet {
            role: "TASK".into(),
            name: "spot-pool".into(),
            target_on_demand_capacity: Planned::Null,
            target_spot_capacity: n("4"),
            instance_type_config: Planned::Known(vec![TypeConfig {
                instance_type: "r5.xlarge".into(),
                weighted_capacity: n("2"),
                bid_price_as_percentage_of_on_demand_price: n("50"),
                ebs,
            }]),
        };
        assert_eq!(fleet_of(&fleet_json(&fleet)), fleet);
    }
}
