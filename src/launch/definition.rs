//! The Amazon States Language definition of a launch function (seeds
//! 000/001, "Launch Function"). Pure: everything is decided at plan from what
//! Terraform knows, so `definition_json` is reviewable before apply.
//!
//! Only JSONPath states, intrinsic functions and `aws-sdk:` / `lambda:invoke`
//! tasks are used (no `.sync`, no optimised EMR integration), so the same
//! definition runs on AWS and in the local emulator.
//!
//! Flow: read input → validate ClusterName, Tags and Overrides (every failure
//! ends the execution before anything is launched) → load the profile and
//! configuration metadata from SSM → build the RunJobFlow request (overrides
//! first, then the profile's roles, security and logs, the name and the tags,
//! so nothing an override names can replace what the profile governs) →
//! optionally refuse when a cluster of that name is active → launch (directly,
//! or through the launcher function when secrets are involved) → optionally
//! wait until the cluster is WAITING or RUNNING.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as J};

/// The tag every launched cluster carries: `<namespace>/<name>` of the
/// function. The IAM policies only allow launches that set it.
pub const FUNCTION_TAG: &str = "emr-launch:function";

/// Seconds between DescribeCluster polls while waiting for a cluster.
pub const POLL_SECONDS: u32 = 30;

/// What kind of value an override replaces (from the configuration's
/// RunJobFlow document).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    Number,
    String,
    Bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub name: String,
    /// Path inside the RunJobFlow request, e.g. `Instances.InstanceGroups[1].InstanceCount`.
    pub path: String,
    pub kind: ValueKind,
    pub minimum: Option<serde_json::Number>,
    pub maximum: Option<serde_json::Number>,
}

/// Which optional profile settings the profile has (its metadata keys).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfileKeys {
    pub autoscaling_role: bool,
    pub security_configuration: bool,
    pub logs_uri: bool,
    pub master_group: bool,
    pub workers_group: bool,
    pub service_group: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// `namespace/name` of the function.
    pub id: String,
    pub profile_parameter: String,
    pub configuration_parameter: String,
    pub cluster_name: String,
    /// The overrides a launching user may set (already checked against the
    /// configuration).
    pub overrides: Vec<Override>,
    /// Tags every cluster gets and the input may not change, FUNCTION_TAG included.
    pub governed_tags: BTreeMap<String, String>,
    pub profile: ProfileKeys,
    /// Top-level keys of the configuration's RunJobFlow request (the
    /// launch sends exactly these plus the profile's settings).
    pub request_keys: Vec<String>,
    /// The launcher function, when secrets are involved.
    pub launcher_arn: Option<String>,
    pub wait_for_cluster_start: bool,
    pub fail_if_cluster_running: bool,
}

const ACTIVE_STATES: [&str; 4] = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"];

fn sdk(service_action: &str) -> String {
    format!("arn:aws:states:::aws-sdk:{service_action}")
}

fn fail(error: &str, cause: &str) -> J {
    json!({"Type": "Fail", "Error": error, "Cause": cause})
}

/// A Fail state whose cause is built at run time with States.Format.
fn fail_format(error: &str, template: &str, args: &[&str]) -> J {
    let mut f = format!("States.Format('{}'", escape_literal(template));
    for a in args {
        f.push_str(", ");
        f.push_str(a);
    }
    f.push(')');
    json!({"Type": "Fail", "Error": error, "CausePath": f})
}

/// Escapes text for a single-quoted intrinsic-function string literal;
/// `{}` placeholders are kept.
fn escape_literal(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push_str("{}");
            }
            '\'' | '{' | '}' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// A JSONPath member access for a key (bracket notation when the key is not
/// a plain identifier).
fn member(base: &str, key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!("{base}.{key}")
    } else {
        format!("{base}['{key}']")
    }
}

fn number_text(n: &serde_json::Number) -> String {
    n.to_string()
}

/// The definition as a JSON value (object keys sorted by serde_json).
pub fn definition(s: &Spec) -> J {
    let mut st = Map::new();
    let mut add = |name: &str, v: J| {
        st.insert(name.to_string(), v);
    };
    let governed: Vec<J> = s
        .governed_tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();

    // ---- input ----
    add(
        "ReadInput",
        json!({"Type": "Pass", "Parameters": {"Input.$": "$", "GovernedTags": governed}, "Next": "CheckClusterName"}),
    );
    add(
        "CheckClusterName",
        json!({"Type": "Choice", "Choices": [
            {"Not": {"Variable": "$.Input.ClusterName", "IsPresent": true}, "Next": "UseDefaultClusterName"},
            {"Variable": "$.Input.ClusterName", "IsString": true, "Next": "UseInputClusterName"}
        ], "Default": "InvalidClusterName"}),
    );
    add(
        "UseDefaultClusterName",
        json!({"Type": "Pass", "Result": s.cluster_name, "ResultPath": "$.ClusterName", "Next": "CheckTags"}),
    );
    add(
        "UseInputClusterName",
        json!({"Type": "Pass", "InputPath": "$.Input.ClusterName", "ResultPath": "$.ClusterName", "Next": "CheckTags"}),
    );
    add(
        "InvalidClusterName",
        fail("InvalidInput", "ClusterName must be a string"),
    );

    // ---- tags: a list of {Key, Value}; governed keys cannot be changed ----
    add(
        "CheckTags",
        json!({"Type": "Choice", "Choices": [
            {"Not": {"Variable": "$.Input.Tags", "IsPresent": true}, "Next": "NoInputTags"}
        ], "Default": "ValidateTags"}),
    );
    add(
        "NoInputTags",
        json!({"Type": "Pass", "Result": [], "ResultPath": "$.InputTags", "Next": "CheckOverrides"}),
    );
    let governed_rules: Vec<J> = s
        .governed_tags
        .keys()
        .map(|k| json!({"Variable": "$.Key", "StringEquals": k}))
        .collect();
    let mut tag_states = Map::new();
    tag_states.insert(
        "CheckTagFields".into(),
        json!({"Type": "Choice", "Choices": [
            {"Not": {"Variable": "$.Key", "IsPresent": true}, "Next": "InvalidTag"},
            {"Not": {"Variable": "$.Value", "IsPresent": true}, "Next": "InvalidTag"}
        ], "Default": "CheckTagTypes"}),
    );
    tag_states.insert(
        "CheckTagTypes".into(),
        json!({"Type": "Choice", "Choices": [
            {"And": [{"Variable": "$.Key", "IsString": true}, {"Variable": "$.Value", "IsString": true}], "Next": "CheckTagGoverned"}
        ], "Default": "InvalidTag"}),
    );
    let check_governed = if governed_rules.is_empty() {
        json!({"Type": "Succeed"})
    } else {
        json!({"Type": "Choice", "Choices": [{"Or": governed_rules, "Next": "GovernedTag"}], "Default": "TagAccepted"})
    };
    tag_states.insert("CheckTagGoverned".into(), check_governed);
    tag_states.insert("TagAccepted".into(), json!({"Type": "Succeed"}));
    tag_states.insert(
        "InvalidTag".into(),
        fail(
            "InvalidInput",
            "each element of Tags must be {\"Key\": \"...\", \"Value\": \"...\"} with string values",
        ),
    );
    tag_states.insert(
        "GovernedTag".into(),
        fail_format(
            "GovernedTag",
            "tag {} is set by this launch function and cannot be changed at launch",
            &["$.Key"],
        ),
    );
    add(
        "ValidateTags",
        json!({
            "Type": "Map",
            "ItemsPath": "$.Input.Tags",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "CheckTagFields",
                "States": tag_states
            },
            "ResultPath": null,
            "Catch": [{"ErrorEquals": ["States.Runtime", "States.QueryEvaluationError"], "ResultPath": "$.Error", "Next": "TagsNotAList"}],
            "Next": "KeepInputTags"
        }),
    );
    add(
        "TagsNotAList",
        fail(
            "InvalidInput",
            "Tags must be a list of {\"Key\": \"...\", \"Value\": \"...\"} objects",
        ),
    );
    add(
        "KeepInputTags",
        json!({"Type": "Pass", "InputPath": "$.Input.Tags", "ResultPath": "$.InputTags", "Next": "CheckOverrides"}),
    );

    // ---- overrides: only allowed names, values of the right type within bounds ----
    let first_check = if s.overrides.is_empty() {
        "LoadProfile".to_string()
    } else {
        "Override0Given".to_string()
    };
    add(
        "CheckOverrides",
        json!({"Type": "Choice", "Choices": [
            {"Not": {"Variable": "$.Input.Overrides", "IsPresent": true}, "Next": "LoadProfile"}
        ], "Default": "CollectOverrides"}),
    );
    let known: Map<String, J> = s
        .overrides
        .iter()
        .map(|o| (o.name.clone(), J::Null))
        .collect();
    add(
        "CollectOverrides",
        json!({"Type": "Pass", "Parameters": {"Allowed": known, "Given.$": "$.Input.Overrides"}, "ResultPath": "$.OverrideCheck", "Next": "CompareOverrides"}),
    );
    // Merging the given overrides over the allowed names and the allowed names
    // back over that leaves exactly the allowed object (same keys, same order)
    // unless the input has a name that is not allowed.
    add(
        "CompareOverrides",
        json!({"Type": "Pass", "Parameters": {
            "Given.$": "States.JsonToString($.OverrideCheck.Given)",
            "Expected.$": "States.JsonToString($.OverrideCheck.Allowed)",
            "Merged.$": "States.JsonToString(States.JsonMerge(States.JsonMerge($.OverrideCheck.Allowed, $.OverrideCheck.Given, false), $.OverrideCheck.Allowed, false))"
        }, "ResultPath": "$.OverrideCheck", "Next": "OnlyAllowedOverrides"}),
    );
    add(
        "OnlyAllowedOverrides",
        json!({"Type": "Choice", "Choices": [
            {"Variable": "$.OverrideCheck.Merged", "StringEqualsPath": "$.OverrideCheck.Expected", "Next": first_check}
        ], "Default": "UnknownOverride"}),
    );
    let allowed_names = if s.overrides.is_empty() {
        "none".to_string()
    } else {
        s.overrides
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    add(
        "UnknownOverride",
        fail_format(
            "UnknownOverride",
            &format!("Overrides {{}} names an override this launch function does not allow (allowed: {allowed_names})"),
            &["$.OverrideCheck.Given"],
        ),
    );
    for (i, o) in s.overrides.iter().enumerate() {
        let next = if i + 1 < s.overrides.len() {
            format!("Override{}Given", i + 1)
        } else {
            "LoadProfile".to_string()
        };
        let var = member("$.Input.Overrides", &o.name);
        add(
            &format!("Override{i}Given"),
            json!({"Type": "Choice", "Choices": [
                {"Not": {"Variable": var, "IsPresent": true}, "Next": next}
            ], "Default": format!("Override{i}Check")}),
        );
        let (type_test, type_name) = match o.kind {
            ValueKind::Number => ("IsNumeric", "a number"),
            ValueKind::String => ("IsString", "a string"),
            ValueKind::Bool => ("IsBoolean", "true or false"),
        };
        let mut rules = vec![
            json!({"Not": {"Variable": var, type_test: true}, "Next": format!("Override{i}WrongType")}),
        ];
        add(
            &format!("Override{i}WrongType"),
            fail(
                "InvalidOverride",
                &format!("override {} must be {type_name}", o.name),
            ),
        );
        if let Some(min) = &o.minimum {
            rules.push(json!({"Variable": var, "NumericLessThan": min, "Next": format!("Override{i}BelowMinimum")}));
            add(
                &format!("Override{i}BelowMinimum"),
                fail_format(
                    "InvalidOverride",
                    &format!(
                        "override {} = {{}} is below its minimum {}",
                        o.name,
                        number_text(min)
                    ),
                    &[&var],
                ),
            );
        }
        if let Some(max) = &o.maximum {
            rules.push(json!({"Variable": var, "NumericGreaterThan": max, "Next": format!("Override{i}AboveMaximum")}));
            add(
                &format!("Override{i}AboveMaximum"),
                fail_format(
                    "InvalidOverride",
                    &format!(
                        "override {} = {{}} is above its maximum {}",
                        o.name,
                        number_text(max)
                    ),
                    &[&var],
                ),
            );
        }
        add(
            &format!("Override{i}Check"),
            json!({"Type": "Choice", "Choices": rules, "Default": next}),
        );
    }

    // ---- load the metadata ----
    let load = |param: &str, result: &str, next: &str| {
        json!({
            "Type": "Task",
            "Resource": sdk("ssm:getParameter"),
            "Parameters": {"Name": param},
            "ResultSelector": {"Doc.$": "States.StringToJson($.Parameter.Value)"},
            "ResultPath": result,
            "Next": next
        })
    };
    add(
        "LoadProfile",
        load(&s.profile_parameter, "$.Profile", "LoadConfiguration"),
    );
    add(
        "LoadConfiguration",
        load(
            &s.configuration_parameter,
            "$.Configuration",
            "StartRequest",
        ),
    );

    // ---- build the request ----
    let first_apply = if s.overrides.is_empty() {
        "CollectTags".to_string()
    } else {
        "Apply0Given".to_string()
    };
    add(
        "StartRequest",
        json!({"Type": "Pass", "InputPath": "$.Configuration.Doc.RunJobFlow", "ResultPath": "$.Request", "Next": first_apply}),
    );
    for (i, o) in s.overrides.iter().enumerate() {
        let next = if i + 1 < s.overrides.len() {
            format!("Apply{}Given", i + 1)
        } else {
            "CollectTags".to_string()
        };
        let var = member("$.Input.Overrides", &o.name);
        add(
            &format!("Apply{i}Given"),
            json!({"Type": "Choice", "Choices": [
                {"And": [{"Variable": "$.Input.Overrides", "IsPresent": true}, {"Variable": var, "IsPresent": true}], "Next": format!("Apply{i}")}
            ], "Default": next}),
        );
        add(
            &format!("Apply{i}"),
            json!({"Type": "Pass", "InputPath": var, "ResultPath": format!("$.Request.{}", o.path), "Next": next}),
        );
    }
    add(
        "CollectTags",
        json!({"Type": "Pass", "Parameters": {"Lists.$": "States.Array($.GovernedTags, $.InputTags)"}, "ResultPath": "$.TagLists", "Next": "ProfileSettings"}),
    );
    let mut settings = Map::new();
    settings.insert("Name.$".into(), J::from("$.ClusterName"));
    settings.insert("Tags.$".into(), J::from("$.TagLists.Lists[*][*]"));
    settings.insert("ServiceRole.$".into(), J::from("$.Profile.Doc.ServiceRole"));
    settings.insert(
        "JobFlowRole.$".into(),
        J::from("$.Profile.Doc.InstanceProfile"),
    );
    if s.profile.autoscaling_role {
        settings.insert(
            "AutoScalingRole.$".into(),
            J::from("$.Profile.Doc.AutoScalingRole"),
        );
    }
    if s.profile.security_configuration {
        settings.insert(
            "SecurityConfiguration.$".into(),
            J::from("$.Profile.Doc.SecurityConfiguration"),
        );
    }
    if s.profile.logs_uri {
        settings.insert("LogUri.$".into(), J::from("$.Profile.Doc.LogsUri"));
    }
    let groups: Vec<(&str, &str)> = [
        (
            s.profile.master_group,
            "EmrManagedMasterSecurityGroup",
            "MasterGroup",
        ),
        (
            s.profile.workers_group,
            "EmrManagedSlaveSecurityGroup",
            "WorkersGroup",
        ),
        (
            s.profile.service_group,
            "ServiceAccessSecurityGroup",
            "ServiceGroup",
        ),
    ]
    .into_iter()
    .filter(|(on, _, _)| *on)
    .map(|(_, k, v)| (k, v))
    .collect();
    let after_settings = if groups.is_empty() {
        "ApplyProfileSettings"
    } else {
        "SecurityGroupSettings"
    };
    add(
        "ProfileSettings",
        json!({"Type": "Pass", "Parameters": settings, "ResultPath": "$.Settings", "Next": after_settings}),
    );
    if !groups.is_empty() {
        // Parameters cannot reference their own siblings: resolve the group
        // ids first, then merge them into Instances.
        let g: Map<String, J> = groups
            .iter()
            .map(|(k, v)| {
                (
                    format!("{k}.$"),
                    J::from(format!("$.Profile.Doc.SecurityGroups.{v}")),
                )
            })
            .collect();
        add(
            "SecurityGroupSettings",
            json!({"Type": "Pass", "Parameters": g, "ResultPath": "$.GroupSettings", "Next": "ApplySecurityGroups"}),
        );
        add(
            "ApplySecurityGroups",
            json!({"Type": "Pass", "Parameters": {"Instances.$": "States.JsonMerge($.Request.Instances, $.GroupSettings, false)"}, "ResultPath": "$.GroupSettings", "Next": "StoreSecurityGroups"}),
        );
        add(
            "StoreSecurityGroups",
            json!({"Type": "Pass", "InputPath": "$.GroupSettings.Instances", "ResultPath": "$.Request.Instances", "Next": "ApplyProfileSettings"}),
        );
    }
    // The request the launch sends: every key the configuration has plus
    // the profile's settings, each taken from the built request.
    let mut keys: std::collections::BTreeSet<String> = s.request_keys.iter().cloned().collect();
    keys.extend(
        settings
            .keys()
            .map(|k| k.trim_end_matches(".$").to_string()),
    );
    let request: Map<String, J> = keys
        .iter()
        .map(|k| (format!("{k}.$"), J::from(member("$.Request", k))))
        .collect();
    let after_request = if s.fail_if_cluster_running {
        "ListActiveClusters"
    } else {
        "Launch"
    };
    add(
        "ApplyProfileSettings",
        json!({"Type": "Pass", "Parameters": {"Request.$": "States.JsonMerge($.Request, $.Settings, false)"}, "ResultPath": "$.Built", "Next": "StoreRequest"}),
    );
    add(
        "StoreRequest",
        json!({"Type": "Pass", "InputPath": "$.Built.Request", "ResultPath": "$.Request", "Next": after_request}),
    );

    // ---- refuse when a cluster of that name is active ----
    if s.fail_if_cluster_running {
        add(
            "ListActiveClusters",
            json!({"Type": "Task", "Resource": sdk("emr:listClusters"), "Parameters": {"ClusterStates": ACTIVE_STATES}, "ResultPath": "$.Listing", "Next": "AnyActiveClusters"}),
        );
        add(
            "ListMoreActiveClusters",
            json!({"Type": "Task", "Resource": sdk("emr:listClusters"), "Parameters": {"ClusterStates": ACTIVE_STATES, "Marker.$": "$.Listing.Marker"}, "ResultPath": "$.Listing", "Next": "AnyActiveClusters"}),
        );
        add(
            "AnyActiveClusters",
            json!({"Type": "Choice", "Choices": [
                {"Variable": "$.Listing.Clusters", "IsPresent": true, "Next": "CompareClusterNames"}
            ], "Default": "MoreActiveClusters"}),
        );
        let mut same = Map::new();
        same.insert(
            "SameName".into(),
            json!({"Type": "Choice", "Choices": [
                {"Variable": "$.Name", "StringEqualsPath": "$.Wanted", "Next": "ClusterAlreadyRunning"}
            ], "Default": "OtherName"}),
        );
        same.insert("OtherName".into(), json!({"Type": "Succeed"}));
        same.insert(
            "ClusterAlreadyRunning".into(),
            fail_format(
                "ClusterAlreadyRunning",
                "cluster {} ({}) is already active with this name",
                &["$.Name", "$.Id"],
            ),
        );
        add(
            "CompareClusterNames",
            json!({
                "Type": "Map",
                "ItemsPath": "$.Listing.Clusters",
                "ItemSelector": {"Name.$": "$$.Map.Item.Value.Name", "Id.$": "$$.Map.Item.Value.Id", "Wanted.$": "$.Request.Name"},
                "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "SameName", "States": same},
                "ResultPath": null,
                "Next": "MoreActiveClusters"
            }),
        );
        add(
            "MoreActiveClusters",
            json!({"Type": "Choice", "Choices": [
                {"Variable": "$.Listing.Marker", "IsPresent": true, "Next": "ListMoreActiveClusters"}
            ], "Default": "Launch"}),
        );
    }

    // ---- launch ----
    let after_launch = if s.wait_for_cluster_start {
        "DescribeCluster"
    } else {
        "Launched"
    };
    match &s.launcher_arn {
        None => add(
            "Launch",
            json!({
                "Type": "Task",
                "Resource": sdk("emr:runJobFlow"),
                "Parameters": request,
                "ResultSelector": {"ClusterId.$": "$.JobFlowId"},
                "ResultPath": "$.Cluster",
                "Next": after_launch
            }),
        ),
        // Secret values are read by the launcher only; the state machine
        // passes the request (ARNs, never values) and gets the cluster id.
        Some(arn) => add(
            "Launch",
            json!({
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": arn, "Payload": {"Request.$": "$.Request"}},
                "ResultSelector": {"ClusterId.$": "$.Payload.ClusterId"},
                "ResultPath": "$.Cluster",
                "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2}],
                "Next": after_launch
            }),
        ),
    }

    // ---- wait for the cluster ----
    if s.wait_for_cluster_start {
        add(
            "DescribeCluster",
            json!({
                "Type": "Task",
                "Resource": sdk("emr:describeCluster"),
                "Parameters": {"ClusterId.$": "$.Cluster.ClusterId"},
                "ResultSelector": {"State.$": "$.Cluster.Status.State", "Reason.$": "States.JsonToString($.Cluster.Status.StateChangeReason)"},
                "ResultPath": "$.ClusterStatus",
                "Next": "ClusterStarted"
            }),
        );
        add(
            "ClusterStarted",
            json!({"Type": "Choice", "Choices": [
                {"Or": [
                    {"Variable": "$.ClusterStatus.State", "StringEquals": "WAITING"},
                    {"Variable": "$.ClusterStatus.State", "StringEquals": "RUNNING"}
                ], "Next": "Launched"},
                {"Or": [
                    {"Variable": "$.ClusterStatus.State", "StringEquals": "TERMINATING"},
                    {"Variable": "$.ClusterStatus.State", "StringEquals": "TERMINATED"},
                    {"Variable": "$.ClusterStatus.State", "StringEquals": "TERMINATED_WITH_ERRORS"}
                ], "Next": "ClusterFailed"}
            ], "Default": "WaitForCluster"}),
        );
        add(
            "WaitForCluster",
            json!({"Type": "Wait", "Seconds": POLL_SECONDS, "Next": "DescribeCluster"}),
        );
        add(
            "ClusterFailed",
            fail_format(
                "ClusterFailed",
                "cluster {} did not start: {}",
                &["$.Cluster.ClusterId", "$.ClusterStatus.Reason"],
            ),
        );
    }
    add(
        "Launched",
        json!({"Type": "Pass", "Parameters": {"ClusterId.$": "$.Cluster.ClusterId", "ClusterName.$": "$.Request.Name"}, "End": true}),
    );

    json!({
        "Comment": format!("EMR launch function {} (emrlaunch/emr)", s.id),
        "StartAt": "ReadInput",
        "TimeoutSeconds": 7200,
        "States": st
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        Spec {
            id: "analytics/nightly".into(),
            profile_parameter: "/emr-launch/emr_profiles/analytics/p".into(),
            configuration_parameter: "/emr-launch/cluster_configurations/analytics/c".into(),
            cluster_name: "nightly-etl".into(),
            overrides: vec![Override {
                name: "CoreInstanceCount".into(),
                path: "Instances.InstanceGroups[1].InstanceCount".into(),
                kind: ValueKind::Number,
                minimum: Some(1.into()),
                maximum: Some(10.into()),
            }],
            governed_tags: BTreeMap::from([(
                FUNCTION_TAG.to_string(),
                "analytics/nightly".to_string(),
            )]),
            profile: ProfileKeys {
                security_configuration: true,
                master_group: true,
                ..Default::default()
            },
            request_keys: vec!["Instances".into(), "ReleaseLabel".into()],
            launcher_arn: None,
            wait_for_cluster_start: true,
            fail_if_cluster_running: true,
        }
    }

    /// Every Next / Default / Catch target names a state of its scope, and
    /// every state is reachable from StartAt.
    fn check_graph(machine: &J) {
        let states = machine["States"].as_object().unwrap();
        let mut reached = std::collections::BTreeSet::new();
        let mut todo = vec![machine["StartAt"].as_str().unwrap().to_string()];
        while let Some(n) = todo.pop() {
            if !reached.insert(n.clone()) {
                continue;
            }
            let s = states
                .get(&n)
                .unwrap_or_else(|| panic!("missing state {n}"));
            let mut targets = vec![];
            for k in ["Next", "Default"] {
                if let Some(t) = s[k].as_str() {
                    targets.push(t.to_string());
                }
            }
            for c in s["Choices"].as_array().into_iter().flatten() {
                targets.push(c["Next"].as_str().unwrap().to_string());
            }
            for c in s["Catch"].as_array().into_iter().flatten() {
                targets.push(c["Next"].as_str().unwrap().to_string());
            }
            if let Some(p) = s.get("ItemProcessor") {
                check_graph(p);
            }
            let terminal =
                s["End"] == json!(true) || matches!(s["Type"].as_str(), Some("Fail" | "Succeed"));
            assert!(terminal || !targets.is_empty(), "state {n} goes nowhere");
            todo.extend(targets);
        }
        let all: std::collections::BTreeSet<String> = states.keys().cloned().collect();
        assert_eq!(all, reached, "unreachable states");
    }

    #[test]
    fn definition_is_a_closed_graph_in_every_variant() {
        for wait in [false, true] {
            for running in [false, true] {
                for launcher in [
                    None,
                    Some("arn:aws:lambda:us-east-1:123456789012:function:f".to_string()),
                ] {
                    for with_overrides in [false, true] {
                        let mut s = spec();
                        s.wait_for_cluster_start = wait;
                        s.fail_if_cluster_running = running;
                        s.launcher_arn = launcher.clone();
                        if !with_overrides {
                            s.overrides.clear();
                        }
                        check_graph(&definition(&s));
                    }
                }
            }
        }
    }

    #[test]
    fn overrides_are_checked_before_anything_is_loaded_or_launched() {
        let d = definition(&spec());
        let st = &d["States"];
        let check = &st["Override0Check"]["Choices"];
        assert_eq!(check[1]["NumericLessThan"], json!(1));
        assert_eq!(check[2]["NumericGreaterThan"], json!(10));
        assert_eq!(
            st["Apply0"]["ResultPath"],
            json!("$.Request.Instances.InstanceGroups[1].InstanceCount")
        );
        assert_eq!(st["Override0Check"]["Default"], json!("LoadProfile"));
        assert_eq!(
            st["Override0AboveMaximum"]["CausePath"],
            json!("States.Format('override CoreInstanceCount = {} is above its maximum 10', $.Input.Overrides.CoreInstanceCount)")
        );
        assert!(st["UnknownOverride"]["CausePath"]
            .as_str()
            .unwrap()
            .contains("allowed: CoreInstanceCount"));
    }

    #[test]
    fn launch_uses_aws_sdk_tasks_or_the_launcher() {
        let d = definition(&spec());
        assert_eq!(
            d["States"]["Launch"]["Resource"],
            json!("arn:aws:states:::aws-sdk:emr:runJobFlow")
        );
        assert_eq!(
            d["States"]["LoadProfile"]["Parameters"]["Name"],
            json!("/emr-launch/emr_profiles/analytics/p")
        );
        let mut s = spec();
        s.launcher_arn = Some("arn:aws:lambda:us-east-1:123456789012:function:f".into());
        let d = definition(&s);
        assert_eq!(
            d["States"]["Launch"]["Resource"],
            json!("arn:aws:states:::lambda:invoke")
        );
        // Only the request travels to the launcher.
        assert_eq!(
            d["States"]["Launch"]["Parameters"]["Payload"],
            json!({"Request.$": "$.Request"})
        );
        let text = d.to_string();
        assert!(!text.contains(".sync"));
        assert!(!text.contains(":::elasticmapreduce:"));
    }

    #[test]
    fn literals_are_escaped_for_intrinsics() {
        assert_eq!(escape_literal("a {} b's {x}"), "a {} b\\'s \\{x\\}");
        assert_eq!(member("$.O", "Core_1"), "$.O.Core_1");
        assert_eq!(member("$.O", "1st"), "$.O['1st']");
    }
}
