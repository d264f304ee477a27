//! The Amazon States Language definition of a launch function (seeds
//! 000/001, "Launch Function"). Pure: everything is decided at plan from what
//! Terraform knows, so `definition_json` is reviewable before apply.
//!
//! Only JSONPath states, intrinsic functions and `aws-sdk:` / `lambda:invoke`
//! tasks are used (no `.sync`, no optimised EMR integration), so the same
//! definition runs on AWS and in the local emulator.
//!
//! The launch reads nothing at run time that someone could tamper with: the
//! whole RunJobFlow request (the configuration's request with the profile's
//! roles, security and logs) is a literal of the definition, fixed at plan.
//!
//! Flow: `validate_input` (only ClusterName, Overrides and Tags; every
//! failure ends the execution before anything is launched) →
//! `build_request` (overrides into the literal request, then name and tags)
//! → optional `refuse_if_running` → `launch` (RunJobFlow, or the pinned
//! launcher when Kerberos attributes come from a secret) → optional `wait`
//! (ListClusters only: DescribeCluster output would put configurations and
//! Kerberos attributes into the execution history) → optional `notify`.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as J};

/// The tag every launched cluster carries: `<namespace>/<name>` of the
/// function. The IAM policies only allow launches that set it.
pub const FUNCTION_TAG: &str = "emr-launch:function";

/// Seconds between ListClusters polls while waiting for a cluster.
pub const POLL_SECONDS: u32 = 30;

/// The top-level keys an execution input may have.
pub const INPUT_KEYS: [&str; 3] = ["ClusterName", "Overrides", "Tags"];

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
    /// For strings: the values a launch may choose from.
    pub allowed_values: Vec<String>,
}

/// Where launch notifications go.
#[derive(Clone, Debug, PartialEq)]
pub struct Notifications {
    pub topic_arn: String,
    pub on_success: bool,
    pub on_failure: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// `namespace/name` of the function.
    pub id: String,
    pub partition: String,
    pub cluster_name: String,
    /// The overrides a launching user may set (already checked against the
    /// configuration).
    pub overrides: Vec<Override>,
    /// Tags every cluster gets and the input may not change, FUNCTION_TAG included.
    pub governed_tags: BTreeMap<String, String>,
    /// The RunJobFlow request without Name and Tags: the configuration's
    /// request with the profile's settings, as Terraform knows them.
    pub request: Map<String, J>,
    /// The launcher function, when the profile has Kerberos attributes.
    pub launcher_arn: Option<String>,
    pub wait_for_cluster_start: bool,
    pub fail_if_cluster_running: bool,
    pub notifications: Option<Notifications>,
}

const ACTIVE_STATES: [&str; 4] = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"];

pub(crate) fn task_arn(partition: &str, service_action: &str) -> String {
    format!("arn:{partition}:states:::{service_action}")
}

/// Escapes text for a single-quoted intrinsic-function string literal;
/// `{}` placeholders are kept.
pub(crate) fn escape_literal(s: &str) -> String {
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
pub(crate) fn member(base: &str, key: &str) -> String {
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

/// A Fail state inside a Map's item processor (the Map's Catch turns it
/// into the execution's failure).
fn inner_fail(error: &str, cause: &str) -> J {
    json!({"Type": "Fail", "Error": error, "Cause": cause})
}

fn inner_fail_format(error: &str, template: &str, args: &[&str]) -> J {
    json!({"Type": "Fail", "Error": error, "CausePath": format_call(template, args)})
}

pub(crate) fn format_call(template: &str, args: &[&str]) -> String {
    let mut f = format!("States.Format('{}'", escape_literal(template));
    for a in args {
        f.push_str(", ");
        f.push_str(a);
    }
    f.push(')');
    f
}

/// The three states that let only known keys of an object through: the
/// given object beside the allowed keys (all null); the allowed object
/// compared with the given one merged over it and back, which are equal
/// unless another key was given; the choice. A value that is not an object
/// goes to `not_object`, another key to `unknown`.
pub(crate) struct KeyCheck<'a> {
    /// Names of the collect, compare and choice states.
    pub names: [&'a str; 3],
    /// Where the object is.
    pub given: &'a str,
    /// Where the check keeps its values.
    pub result: &'a str,
    pub allowed: &'a [&'a str],
    /// Keep the given object as text too (for a refusal's cause).
    pub keep_given_text: bool,
    pub next: &'a str,
    pub not_object: &'a str,
    pub unknown: &'a str,
}

pub(crate) fn key_check(k: &KeyCheck) -> Vec<(String, J)> {
    let [collect, compare, choose] = k.names;
    let r = k.result;
    let allowed: Map<String, J> = k.allowed.iter().map(|a| (a.to_string(), J::Null)).collect();
    let mut compared = json!({
        "Expected.$": format!("States.JsonToString({r}.Allowed)"),
        "Merged.$": format!("States.JsonToString(States.JsonMerge(States.JsonMerge({r}.Allowed, {r}.Given, false), {r}.Allowed, false))")
    });
    if k.keep_given_text {
        compared["Given.$"] = json!(format!("States.JsonToString({r}.Given)"));
    }
    vec![
        (
            collect.to_string(),
            json!({"Type": "Pass", "Parameters": {"Allowed": allowed, "Given.$": k.given}, "ResultPath": r, "Next": compare}),
        ),
        (
            compare.to_string(),
            json!({"Type": "Pass", "Parameters": compared, "ResultPath": r,
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.Caught", "Next": k.not_object}],
                "Next": choose}),
        ),
        (
            choose.to_string(),
            json!({"Type": "Choice", "Choices": [
                {"Variable": format!("{r}.Merged"), "StringEqualsPath": format!("{r}.Expected"), "Next": k.next}
            ], "Default": k.unknown}),
        ),
    ]
}

/// The states being built; failures all go through one place so that a
/// failure notification sees every one of them.
struct Machine<'a> {
    s: &'a Spec,
    states: Map<String, J>,
}

impl Machine<'_> {
    fn add(&mut self, name: &str, v: J) {
        self.states.insert(name.to_string(), v);
    }

    fn failure_target(&self) -> &'static str {
        match &self.s.notifications {
            Some(n) if n.on_failure => "NotifyFailure",
            _ => "Failed",
        }
    }

    /// A state that records `{Error, Cause}` and ends the execution as failed.
    fn fail(&mut self, name: &str, error: &str, cause: &str) {
        let next = self.failure_target();
        self.add(
            name,
            json!({"Type": "Pass", "Parameters": {"Error": error, "Cause": cause}, "ResultPath": "$.Failure", "Next": next}),
        );
    }

    /// As `fail`, with the cause built at run time by States.Format.
    fn fail_format(&mut self, name: &str, error: &str, template: &str, args: &[&str]) {
        let next = self.failure_target();
        self.add(
            name,
            json!({"Type": "Pass", "Parameters": {"Error": error, "Cause.$": format_call(template, args)}, "ResultPath": "$.Failure", "Next": next}),
        );
    }

    /// Catch clause turning any error of a Task or Map into the failure.
    fn catch_all() -> J {
        json!({"ErrorEquals": ["States.ALL"], "ResultPath": "$.Caught", "Next": "CaughtFailure"})
    }

    fn validate_input(&mut self) {
        let governed: Vec<J> = self
            .s
            .governed_tags
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect();
        self.add(
            "ReadInput",
            json!({"Type": "Pass", "Parameters": {"Input.$": "$", "GovernedTags": governed, "Started.$": "$$.Execution.StartTime"}, "Next": "CollectInputKeys"}),
        );
        // Only ClusterName, Overrides and Tags.
        let check = KeyCheck {
            names: ["CollectInputKeys", "CompareInputKeys", "OnlyKnownInputKeys"],
            given: "$.Input",
            result: "$.KeyCheck",
            allowed: &INPUT_KEYS,
            keep_given_text: false,
            next: "CheckClusterName",
            not_object: "InputNotAnObject",
            unknown: "UnknownInputKey",
        };
        for (name, state) in key_check(&check) {
            self.add(&name, state);
        }
        self.fail(
            "InputNotAnObject",
            "InvalidInput",
            "the execution input must be a JSON object with ClusterName, Overrides and Tags",
        );
        self.fail(
            "UnknownInputKey",
            "InvalidInput",
            "the execution input may only have ClusterName, Overrides and Tags",
        );
        self.add(
            "CheckClusterName",
            json!({"Type": "Choice", "Choices": [
                {"Not": {"Variable": "$.Input.ClusterName", "IsPresent": true}, "Next": "UseDefaultClusterName"},
                {"Variable": "$.Input.ClusterName", "IsString": true, "Next": "UseInputClusterName"}
            ], "Default": "InvalidClusterName"}),
        );
        self.add(
            "UseDefaultClusterName",
            json!({"Type": "Pass", "Result": self.s.cluster_name, "ResultPath": "$.ClusterName", "Next": "CheckTags"}),
        );
        self.add(
            "UseInputClusterName",
            json!({"Type": "Pass", "InputPath": "$.Input.ClusterName", "ResultPath": "$.ClusterName", "Next": "CheckTags"}),
        );
        self.fail(
            "InvalidClusterName",
            "InvalidInput",
            "ClusterName must be a string",
        );
        self.validate_tags();
        self.validate_overrides();
    }

    /// Tags: a list of {Key, Value}; governed keys cannot be set.
    fn validate_tags(&mut self) {
        self.add(
            "CheckTags",
            json!({"Type": "Choice", "Choices": [
                {"Not": {"Variable": "$.Input.Tags", "IsPresent": true}, "Next": "NoInputTags"}
            ], "Default": "ValidateTags"}),
        );
        self.add(
            "NoInputTags",
            json!({"Type": "Pass", "Result": [], "ResultPath": "$.InputTags", "Next": "CheckOverrides"}),
        );
        let governed_rules: Vec<J> = self
            .s
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
            inner_fail(
                "InvalidInput",
                "each element of Tags must be {\"Key\": \"...\", \"Value\": \"...\"} with string values",
            ),
        );
        tag_states.insert(
            "GovernedTag".into(),
            inner_fail_format(
                "GovernedTag",
                "tag {} is set by this launch function and cannot be changed at launch",
                &["$.Key"],
            ),
        );
        self.add(
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
                "Catch": [
                    {"ErrorEquals": ["States.Runtime", "States.QueryEvaluationError"], "ResultPath": "$.Caught", "Next": "TagsNotAList"},
                    Self::catch_all()
                ],
                "Next": "KeepInputTags"
            }),
        );
        self.fail(
            "TagsNotAList",
            "InvalidInput",
            "Tags must be a list of {\"Key\": \"...\", \"Value\": \"...\"} objects",
        );
        self.add(
            "KeepInputTags",
            json!({"Type": "Pass", "InputPath": "$.Input.Tags", "ResultPath": "$.InputTags", "Next": "CheckOverrides"}),
        );
    }

    /// Overrides: only allowed names, values of the right type within
    /// bounds or among the allowed values.
    fn validate_overrides(&mut self) {
        let overrides = self.s.overrides.clone();
        let after = "BuildRequest";
        let first_check = if overrides.is_empty() {
            after.to_string()
        } else {
            "Override0Given".to_string()
        };
        self.add(
            "CheckOverrides",
            json!({"Type": "Choice", "Choices": [
                {"Not": {"Variable": "$.Input.Overrides", "IsPresent": true}, "Next": "NoOverrides"}
            ], "Default": "CollectOverrides"}),
        );
        self.add(
            "NoOverrides",
            json!({"Type": "Pass", "Result": {}, "ResultPath": "$.Overrides", "Next": after}),
        );
        let names: Vec<&str> = overrides.iter().map(|o| o.name.as_str()).collect();
        let check = KeyCheck {
            names: [
                "CollectOverrides",
                "CompareOverrides",
                "OnlyAllowedOverrides",
            ],
            given: "$.Input.Overrides",
            result: "$.OverrideCheck",
            allowed: &names,
            keep_given_text: true,
            next: "KeepOverrides",
            not_object: "OverridesNotAnObject",
            unknown: "UnknownOverride",
        };
        for (name, state) in key_check(&check) {
            self.add(&name, state);
        }
        self.fail(
            "OverridesNotAnObject",
            "InvalidInput",
            "Overrides must be an object of override names to values",
        );
        self.add(
            "KeepOverrides",
            json!({"Type": "Pass", "InputPath": "$.Input.Overrides", "ResultPath": "$.Overrides", "Next": first_check}),
        );
        let allowed_names = if overrides.is_empty() {
            "none".to_string()
        } else {
            overrides
                .iter()
                .map(|o| o.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        self.fail_format(
            "UnknownOverride",
            "UnknownOverride",
            &format!("Overrides {{}} names an override this launch function does not allow (allowed: {allowed_names})"),
            &["$.OverrideCheck.Given"],
        );
        for (i, o) in overrides.iter().enumerate() {
            let next = if i + 1 < overrides.len() {
                format!("Override{}Given", i + 1)
            } else {
                after.to_string()
            };
            self.check_override(i, o, &next);
        }
    }

    /// One given override: of its type, within its bounds, among its values.
    fn check_override(&mut self, i: usize, o: &Override, next: &str) {
        let var = member("$.Overrides", &o.name);
        self.add(
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
        self.fail(
            &format!("Override{i}WrongType"),
            "InvalidOverride",
            &format!("override {} must be {type_name}", o.name),
        );
        if let Some(min) = &o.minimum {
            rules.push(json!({"Variable": var, "NumericLessThan": min, "Next": format!("Override{i}BelowMinimum")}));
            self.fail_format(
                &format!("Override{i}BelowMinimum"),
                "InvalidOverride",
                &format!("override {} = {{}} is below its minimum {min}", o.name),
                &[&var],
            );
        }
        if let Some(max) = &o.maximum {
            rules.push(json!({"Variable": var, "NumericGreaterThan": max, "Next": format!("Override{i}AboveMaximum")}));
            self.fail_format(
                &format!("Override{i}AboveMaximum"),
                "InvalidOverride",
                &format!("override {} = {{}} is above its maximum {max}", o.name),
                &[&var],
            );
        }
        if o.kind == ValueKind::String {
            let any: Vec<J> = o
                .allowed_values
                .iter()
                .map(|v| json!({"Variable": var, "StringEquals": v}))
                .collect();
            // No allowed value means nothing may be chosen.
            let rule = if any.is_empty() {
                json!({"Variable": var, "IsString": true, "Next": format!("Override{i}NotAllowed")})
            } else {
                json!({"Not": {"Or": any}, "Next": format!("Override{i}NotAllowed")})
            };
            rules.push(rule);
            self.fail_format(
                &format!("Override{i}NotAllowed"),
                "InvalidOverride",
                &format!(
                    "override {} = {{}} is not one of its allowed values ({})",
                    o.name,
                    o.allowed_values.join(", ")
                ),
                &[&var],
            );
        }
        self.add(
            &format!("Override{i}Check"),
            json!({"Type": "Choice", "Choices": rules, "Default": next}),
        );
    }

    /// The literal request, the overrides, then the name and the tags.
    fn build_request(&mut self) {
        let overrides = self.s.overrides.clone();
        let after_overrides = "NameAndTags";
        let first_apply = if overrides.is_empty() {
            after_overrides.to_string()
        } else {
            "Apply0Given".to_string()
        };
        if self.s.launcher_arn.is_some() {
            // The launcher builds the request from its own pinned copy.
            self.add(
                "BuildRequest",
                json!({"Type": "Pass", "Parameters": {"Name.$": "$.ClusterName"}, "ResultPath": "$.Request", "Next": self.after_request()}),
            );
            return;
        }
        self.add(
            "BuildRequest",
            json!({"Type": "Pass", "Result": J::Object(self.s.request.clone()), "ResultPath": "$.Request", "Next": first_apply}),
        );
        for (i, o) in overrides.iter().enumerate() {
            let next = if i + 1 < overrides.len() {
                format!("Apply{}Given", i + 1)
            } else {
                after_overrides.to_string()
            };
            let var = member("$.Overrides", &o.name);
            self.add(
                &format!("Apply{i}Given"),
                json!({"Type": "Choice", "Choices": [
                    {"Variable": var, "IsPresent": true, "Next": format!("Apply{i}")}
                ], "Default": next}),
            );
            self.add(
                &format!("Apply{i}"),
                json!({"Type": "Pass", "InputPath": var, "ResultPath": format!("$.Request.{}", o.path), "Next": next}),
            );
        }
        self.add(
            "NameAndTags",
            json!({"Type": "Pass", "Parameters": {"Name.$": "$.ClusterName", "Tags.$": "States.Array($.GovernedTags, $.InputTags)"}, "ResultPath": "$.Settings", "Next": "FlattenTags"}),
        );
        self.add(
            "FlattenTags",
            json!({"Type": "Pass", "Parameters": {"Name.$": "$.Settings.Name", "Tags.$": "$.Settings.Tags[*][*]"}, "ResultPath": "$.Settings", "Next": "ApplyNameAndTags"}),
        );
        self.add(
            "ApplyNameAndTags",
            json!({"Type": "Pass", "Parameters": {"Request.$": "States.JsonMerge($.Request, $.Settings, false)"}, "ResultPath": "$.Built", "Next": "StoreRequest"}),
        );
        let next = self.after_request();
        self.add(
            "StoreRequest",
            json!({"Type": "Pass", "InputPath": "$.Built.Request", "ResultPath": "$.Request", "Next": next}),
        );
    }

    fn after_request(&self) -> &'static str {
        if self.s.fail_if_cluster_running {
            "ListActiveClusters"
        } else {
            "Launch"
        }
    }

    fn refuse_if_running(&mut self) {
        let sdk = |a: &str| task_arn(&self.s.partition, &format!("aws-sdk:{a}"));
        let list = sdk("emr:listClusters");
        self.add(
            "ListActiveClusters",
            json!({"Type": "Task", "Resource": list, "Parameters": {"ClusterStates": ACTIVE_STATES}, "ResultPath": "$.Listing", "Catch": [Self::catch_all()], "Next": "AnyActiveClusters"}),
        );
        self.add(
            "ListMoreActiveClusters",
            json!({"Type": "Task", "Resource": list, "Parameters": {"ClusterStates": ACTIVE_STATES, "Marker.$": "$.Listing.Marker"}, "ResultPath": "$.Listing", "Catch": [Self::catch_all()], "Next": "AnyActiveClusters"}),
        );
        self.add(
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
            inner_fail_format(
                "ClusterAlreadyRunning",
                "cluster {} ({}) is already active with this name",
                &["$.Name", "$.Id"],
            ),
        );
        self.add(
            "CompareClusterNames",
            json!({
                "Type": "Map",
                "ItemsPath": "$.Listing.Clusters",
                "ItemSelector": {"Name.$": "$$.Map.Item.Value.Name", "Id.$": "$$.Map.Item.Value.Id", "Wanted.$": "$.ClusterName"},
                "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "SameName", "States": same},
                "ResultPath": null,
                "Catch": [Self::catch_all()],
                "Next": "MoreActiveClusters"
            }),
        );
        self.add(
            "MoreActiveClusters",
            json!({"Type": "Choice", "Choices": [
                {"Variable": "$.Listing.Marker", "IsPresent": true, "Next": "ListMoreActiveClusters"}
            ], "Default": "Launch"}),
        );
    }

    fn launch(&mut self) {
        let after = if self.s.wait_for_cluster_start {
            "ListLaunchedClusters"
        } else {
            "Launched"
        };
        let p = self.s.partition.clone();
        let state = match &self.s.launcher_arn {
            None => {
                // Exactly the keys of the built request.
                let mut keys: Vec<String> = self.s.request.keys().cloned().collect();
                keys.extend(["Name".to_string(), "Tags".to_string()]);
                keys.sort();
                keys.dedup();
                let params: Map<String, J> = keys
                    .iter()
                    .map(|k| (format!("{k}.$"), J::from(member("$.Request", k))))
                    .collect();
                json!({
                    "Type": "Task",
                    "Resource": task_arn(&p, "aws-sdk:emr:runJobFlow"),
                    "Parameters": params,
                    "ResultSelector": {"ClusterId.$": "$.JobFlowId"},
                    "ResultPath": "$.Cluster",
                    "Catch": [Self::catch_all()],
                    "Next": after
                })
            }
            // The launcher gets only what a user may choose and builds the
            // request from what was fixed at plan; it returns the id only.
            Some(arn) => json!({
                "Type": "Task",
                "Resource": task_arn(&p, "lambda:invoke"),
                "Parameters": {"FunctionName": arn, "Payload": {
                    "ClusterName.$": "$.ClusterName",
                    "Overrides.$": "$.Overrides",
                    "Tags.$": "$.InputTags"
                }},
                "ResultSelector": {"ClusterId.$": "$.Payload.ClusterId"},
                "ResultPath": "$.Cluster",
                "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2}],
                "Catch": [Self::catch_all()],
                "Next": after
            }),
        };
        self.add("Launch", state);
    }

    /// Polls ListClusters (created since the execution started) until the
    /// launched cluster is WAITING or RUNNING, or has ended.
    fn wait(&mut self) {
        let list = task_arn(&self.s.partition, "aws-sdk:emr:listClusters");
        self.add(
            "ListLaunchedClusters",
            json!({"Type": "Task", "Resource": list, "Parameters": {"CreatedAfter.$": "$.Started"}, "ResultPath": "$.Listing", "Catch": [Self::catch_all()], "Next": "FindLaunchedCluster"}),
        );
        self.add(
            "ListMoreLaunchedClusters",
            json!({"Type": "Task", "Resource": list, "Parameters": {"CreatedAfter.$": "$.Started", "Marker.$": "$.Listing.Marker"}, "ResultPath": "$.Listing", "Catch": [Self::catch_all()], "Next": "FindLaunchedCluster"}),
        );
        let mut item = Map::new();
        item.insert(
            "IsLaunched".into(),
            json!({"Type": "Choice", "Choices": [
                {"Variable": "$.Id", "StringEqualsPath": "$.Wanted", "Next": "LaunchedState"}
            ], "Default": "Other"}),
        );
        item.insert(
            "LaunchedState".into(),
            json!({"Type": "Choice", "Choices": [
                {"Or": [
                    {"Variable": "$.State", "StringEquals": "WAITING"},
                    {"Variable": "$.State", "StringEquals": "RUNNING"}
                ], "Next": "Started"},
                {"Or": [
                    {"Variable": "$.State", "StringEquals": "TERMINATING"},
                    {"Variable": "$.State", "StringEquals": "TERMINATED"},
                    {"Variable": "$.State", "StringEquals": "TERMINATED_WITH_ERRORS"}
                ], "Next": "Ended"}
            ], "Default": "Pending"}),
        );
        for (n, r) in [
            ("Started", "STARTED"),
            ("Ended", "ENDED"),
            ("Pending", "PENDING"),
            ("Other", ""),
        ] {
            item.insert(n.into(), json!({"Type": "Pass", "Result": r, "End": true}));
        }
        self.add(
            "FindLaunchedCluster",
            json!({
                "Type": "Map",
                "ItemsPath": "$.Listing.Clusters",
                "ItemSelector": {"Id.$": "$$.Map.Item.Value.Id", "State.$": "$$.Map.Item.Value.Status.State", "Wanted.$": "$.Cluster.ClusterId"},
                "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "IsLaunched", "States": item},
                "ResultPath": "$.Found",
                "Catch": [Self::catch_all()],
                "Next": "SummarizeLaunchedCluster"
            }),
        );
        self.add(
            "SummarizeLaunchedCluster",
            json!({"Type": "Pass", "Parameters": {
                "Started.$": "States.ArrayContains($.Found, 'STARTED')",
                "Ended.$": "States.ArrayContains($.Found, 'ENDED')",
                "Seen.$": "States.ArrayContains($.Found, 'PENDING')"
            }, "ResultPath": "$.Progress", "Next": "ClusterStarted"}),
        );
        self.add(
            "ClusterStarted",
            json!({"Type": "Choice", "Choices": [
                {"Variable": "$.Progress.Started", "BooleanEquals": true, "Next": "Launched"},
                {"Variable": "$.Progress.Ended", "BooleanEquals": true, "Next": "ClusterFailed"},
                {"And": [
                    {"Variable": "$.Progress.Seen", "BooleanEquals": false},
                    {"Variable": "$.Listing.Marker", "IsPresent": true}
                ], "Next": "ListMoreLaunchedClusters"}
            ], "Default": "WaitForCluster"}),
        );
        self.add(
            "WaitForCluster",
            json!({"Type": "Wait", "Seconds": POLL_SECONDS, "Next": "ListLaunchedClusters"}),
        );
        self.fail_format(
            "ClusterFailed",
            "ClusterFailed",
            "cluster {} ended before it started (see its status in EMR)",
            &["$.Cluster.ClusterId"],
        );
    }

    /// The result, the notifications and the shared failure ending.
    fn finish(&mut self) {
        let notify = self.s.notifications.clone();
        let success = notify.as_ref().filter(|n| n.on_success);
        self.add(
            "Launched",
            json!({"Type": "Pass", "Parameters": {"ClusterId.$": "$.Cluster.ClusterId", "ClusterName.$": "$.ClusterName"}, "ResultPath": "$.Result",
                   "Next": if success.is_some() { "NotifySuccess" } else { "Output" }}),
        );
        self.add(
            "Output",
            json!({"Type": "Pass", "InputPath": "$.Result", "End": true}),
        );
        self.add(
            "CaughtFailure",
            json!({"Type": "Pass", "Parameters": {"Error.$": "$.Caught.Error", "Cause.$": "$.Caught.Cause"}, "ResultPath": "$.Failure", "Next": self.failure_target()}),
        );
        self.add(
            "Failed",
            json!({"Type": "Fail", "ErrorPath": "$.Failure.Error", "CausePath": "$.Failure.Cause"}),
        );
        let Some(n) = notify else { return };
        let publish = task_arn(&self.s.partition, "aws-sdk:sns:publish");
        let id = self.s.id.clone();
        let message = |status: &str, fields: J| {
            let mut m = Map::new();
            m.insert("Function".into(), J::from(id.clone()));
            m.insert("Status".into(), J::from(status));
            m.insert("ExecutionArn.$".into(), J::from("$$.Execution.Id"));
            if let J::Object(f) = fields {
                m.extend(f);
            }
            J::Object(m)
        };
        if n.on_success {
            self.add(
                "NotifySuccess",
                json!({"Type": "Pass", "Parameters": message("SUCCEEDED", json!({
                    "ClusterName.$": "$.Result.ClusterName",
                    "ClusterId.$": "$.Result.ClusterId",
                    "Overrides.$": "$.Overrides"
                })), "ResultPath": "$.Notification", "Next": "PublishSuccess"}),
            );
            self.add(
                "PublishSuccess",
                json!({"Type": "Task", "Resource": publish, "Parameters": {
                    "TopicArn": n.topic_arn, "Message.$": "States.JsonToString($.Notification)"
                }, "ResultPath": null, "Catch": [Self::catch_all()], "Next": "Output"}),
            );
        }
        if n.on_failure {
            self.add(
                "NotifyFailure",
                json!({"Type": "Pass", "Parameters": message("FAILED", json!({
                    "Error.$": "$.Failure.Error",
                    "Cause.$": "$.Failure.Cause",
                    "Input.$": "$.Input"
                })), "ResultPath": "$.Notification", "Next": "PublishFailure"}),
            );
            // A failed publish still ends in the launch's own failure.
            self.add(
                "PublishFailure",
                json!({"Type": "Task", "Resource": publish, "Parameters": {
                    "TopicArn": n.topic_arn, "Message.$": "States.JsonToString($.Notification)"
                }, "ResultPath": null,
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": null, "Next": "Failed"}],
                "Next": "Failed"}),
            );
        }
    }
}

/// The definition as a JSON value (object keys sorted by serde_json).
pub fn definition(s: &Spec) -> J {
    let mut m = Machine {
        s,
        states: Map::new(),
    };
    m.validate_input();
    m.build_request();
    if s.fail_if_cluster_running {
        m.refuse_if_running();
    }
    m.launch();
    if s.wait_for_cluster_start {
        m.wait();
    }
    m.finish();
    json!({
        "Comment": format!("EMR launch function {} (emrlaunch/emr)", s.id),
        "StartAt": "ReadInput",
        "TimeoutSeconds": 7200,
        "States": m.states
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn spec() -> Spec {
        let request = json!({
            "ReleaseLabel": "emr-7.8.0",
            "Instances": {"InstanceGroups": [
                {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1},
                {"InstanceRole": "CORE", "InstanceType": "m5.xlarge", "InstanceCount": 2}
            ]},
            "ServiceRole": "arn:aws:iam::123456789012:role/svc",
            "JobFlowRole": "arn:aws:iam::123456789012:instance-profile/inst",
            "SecurityConfiguration": "rt"
        });
        Spec {
            id: "analytics/nightly".into(),
            partition: "aws".into(),
            cluster_name: "nightly-etl".into(),
            overrides: vec![
                Override {
                    name: "CoreInstanceCount".into(),
                    path: "Instances.InstanceGroups[1].InstanceCount".into(),
                    kind: ValueKind::Number,
                    minimum: Some(1.into()),
                    maximum: Some(10.into()),
                    allowed_values: vec![],
                },
                Override {
                    name: "CoreInstanceType".into(),
                    path: "Instances.InstanceGroups[1].InstanceType".into(),
                    kind: ValueKind::String,
                    minimum: None,
                    maximum: None,
                    allowed_values: vec!["m5.xlarge".into(), "m5.2xlarge".into()],
                },
            ],
            governed_tags: BTreeMap::from([(
                FUNCTION_TAG.to_string(),
                "analytics/nightly".to_string(),
            )]),
            request: request.as_object().cloned().unwrap(),
            launcher_arn: None,
            wait_for_cluster_start: true,
            fail_if_cluster_running: true,
            notifications: Some(Notifications {
                topic_arn: "arn:aws:sns:us-east-1:123456789012:launches".into(),
                on_success: true,
                on_failure: true,
            }),
        }
    }

    /// Every Next / Default / Catch target names a state of its scope, and
    /// every state is reachable from StartAt.
    pub(crate) fn check_graph(machine: &J) {
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

    fn variants() -> Vec<Spec> {
        let mut out = vec![];
        for wait in [false, true] {
            for running in [false, true] {
                for launcher in [
                    None,
                    Some("arn:aws:lambda:us-east-1:123456789012:function:f".to_string()),
                ] {
                    for with_overrides in [false, true] {
                        for notify in [
                            None,
                            Some((true, false)),
                            Some((false, true)),
                            Some((true, true)),
                        ] {
                            let mut s = spec();
                            s.wait_for_cluster_start = wait;
                            s.fail_if_cluster_running = running;
                            s.launcher_arn = launcher.clone();
                            if !with_overrides {
                                s.overrides.clear();
                            }
                            s.notifications = notify.map(|(ok, bad)| Notifications {
                                topic_arn: "arn:aws:sns:us-east-1:123456789012:t".into(),
                                on_success: ok,
                                on_failure: bad,
                            });
                            out.push(s);
                        }
                    }
                }
            }
        }
        out
    }

    #[test]
    fn definition_is_a_closed_graph_in_every_variant() {
        for s in variants() {
            check_graph(&definition(&s));
        }
    }

    #[test]
    fn nothing_tamperable_is_read_and_no_history_holds_configurations() {
        for s in variants() {
            let text = definition(&s).to_string();
            assert!(!text.contains("ssm:"), "the launch reads SSM");
            assert!(
                !text.contains("describeCluster"),
                "DescribeCluster output lands in history"
            );
            assert!(!text.contains(".sync"));
            assert!(!text.contains(":::elasticmapreduce:"));
        }
    }

    #[test]
    fn the_request_is_a_literal_fixed_at_plan() {
        let s = spec();
        let d = definition(&s);
        let st = &d["States"];
        assert_eq!(st["BuildRequest"]["Result"], J::Object(s.request.clone()));
        let params = st["Launch"]["Parameters"].as_object().unwrap();
        let mut keys: Vec<&str> = params.keys().map(|k| k.trim_end_matches(".$")).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "Instances",
                "JobFlowRole",
                "Name",
                "ReleaseLabel",
                "SecurityConfiguration",
                "ServiceRole",
                "Tags"
            ]
        );
        assert_eq!(
            st["Launch"]["Resource"],
            json!("arn:aws:states:::aws-sdk:emr:runJobFlow")
        );
    }

    #[test]
    fn only_known_input_keys_pass() {
        let d = definition(&spec());
        let st = &d["States"];
        assert_eq!(
            st["CollectInputKeys"]["Parameters"]["Allowed"],
            json!({"ClusterName": null, "Overrides": null, "Tags": null})
        );
        assert_eq!(
            st["OnlyKnownInputKeys"]["Default"],
            json!("UnknownInputKey")
        );
        assert_eq!(
            st["UnknownInputKey"]["Parameters"]["Error"],
            json!("InvalidInput")
        );
    }

    #[test]
    fn overrides_are_checked_before_the_request_is_built() {
        let d = definition(&spec());
        let st = &d["States"];
        let check = &st["Override0Check"]["Choices"];
        assert_eq!(check[1]["NumericLessThan"], json!(1));
        assert_eq!(check[2]["NumericGreaterThan"], json!(10));
        assert_eq!(st["Override0Check"]["Default"], json!("Override1Given"));
        assert_eq!(st["Override1Check"]["Default"], json!("BuildRequest"));
        assert_eq!(
            st["Apply0"]["ResultPath"],
            json!("$.Request.Instances.InstanceGroups[1].InstanceCount")
        );
        assert_eq!(
            st["Override0AboveMaximum"]["Parameters"]["Cause.$"],
            json!("States.Format('override CoreInstanceCount = {} is above its maximum 10', $.Overrides.CoreInstanceCount)")
        );
        // Strings: anything but the allowed values fails.
        assert_eq!(
            st["Override1Check"]["Choices"][1],
            json!({"Not": {"Or": [
                {"Variable": "$.Overrides.CoreInstanceType", "StringEquals": "m5.xlarge"},
                {"Variable": "$.Overrides.CoreInstanceType", "StringEquals": "m5.2xlarge"}
            ]}, "Next": "Override1NotAllowed"})
        );
        assert!(st["UnknownOverride"]["Parameters"]["Cause.$"]
            .as_str()
            .unwrap()
            .contains("allowed: CoreInstanceCount, CoreInstanceType"));
    }

    #[test]
    fn the_launcher_gets_only_what_a_user_may_choose() {
        let mut s = spec();
        s.launcher_arn = Some("arn:aws:lambda:us-east-1:123456789012:function:f".into());
        let d = definition(&s);
        let st = &d["States"];
        assert_eq!(
            st["Launch"]["Resource"],
            json!("arn:aws:states:::lambda:invoke")
        );
        assert_eq!(
            st["Launch"]["Parameters"]["Payload"],
            json!({"ClusterName.$": "$.ClusterName", "Overrides.$": "$.Overrides", "Tags.$": "$.InputTags"})
        );
        assert!(st.get("StoreRequest").is_none());
    }

    #[test]
    fn failures_are_notified_and_end_failed() {
        let d = definition(&spec());
        let st = &d["States"];
        assert_eq!(st["UnknownOverride"]["Next"], json!("NotifyFailure"));
        assert_eq!(st["CaughtFailure"]["Next"], json!("NotifyFailure"));
        assert_eq!(st["PublishFailure"]["Next"], json!("Failed"));
        assert_eq!(
            st["PublishSuccess"]["Parameters"]["TopicArn"],
            json!("arn:aws:sns:us-east-1:123456789012:launches")
        );
        assert_eq!(
            st["NotifySuccess"]["Parameters"]["Status"],
            json!("SUCCEEDED")
        );
        let mut quiet = spec();
        quiet.notifications = None;
        let d = definition(&quiet);
        assert_eq!(d["States"]["UnknownOverride"]["Next"], json!("Failed"));
        assert!(!d.to_string().contains("sns:"));
    }

    #[test]
    fn task_arns_follow_the_partition() {
        let mut s = spec();
        s.partition = "aws-cn".into();
        let d = definition(&s);
        assert_eq!(
            d["States"]["Launch"]["Resource"],
            json!("arn:aws-cn:states:::aws-sdk:emr:runJobFlow")
        );
        s.partition = "aws-us-gov".into();
        let d = definition(&s);
        assert_eq!(
            d["States"]["ListLaunchedClusters"]["Resource"],
            json!("arn:aws-us-gov:states:::aws-sdk:emr:listClusters")
        );
    }

    #[test]
    fn literals_are_escaped_for_intrinsics() {
        assert_eq!(escape_literal("a {} b's {x}"), "a {} b\\'s \\{x\\}");
        assert_eq!(member("$.O", "Core_1"), "$.O.Core_1");
        assert_eq!(member("$.O", "1st"), "$.O['1st']");
    }
}
