//! What a launch may override in a cluster configuration's request: the
//! sizing and timing fields, with the bounds EMR accepts for each, and the
//! checks of a configuration's `override` blocks against them.

use std::collections::BTreeSet;

use serde_json::Value as J;

use super::cluster::{path_steps, resolve, Override};
use crate::tfplugin::{AttrPath, Diagnostics, Number, Planned};
use crate::validate;

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
pub fn validate_overrides(overrides: &Planned<Vec<Override>>, rjf: Option<&J>) -> Diagnostics {
    let mut d = Diagnostics::new();
    let mut names = BTreeSet::new();
    for (i, o) in overrides.elems().iter().enumerate() {
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
        if !validate::instance_type(t) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
