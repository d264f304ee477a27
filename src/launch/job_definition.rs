//! The Amazon States Language definition of an EMR Serverless job function
//! (`emr_serverless_job_function`). Pure: everything a run may not change —
//! the application, the execution role, the allowed entry points, the fixed
//! spark-submit parameters, the log destination and the session-policy
//! ceiling — is a literal of the definition, fixed at plan.
//!
//! Execution input: `{"Name", "EntryPoint", "Arguments", "Overrides",
//! "TimeoutMinutes"}`, every key optional except EntryPoint when more than
//! one is allowed. Flow: only known keys → the name (a string) → the entry
//! point (one of the list) → the arguments (a list of strings) → the
//! overrides (named, numbers within bounds) → the timeout (whole minutes,
//! 1 to the maximum) → the spark-submit parameters (the fixed part, then
//! `--conf <conf>=<value>` per given override) → StartJobRun
//! (`aws-sdk:emrserverless:startJobRun`). Every refusal is a Fail state
//! before StartJobRun. The output is the job run's id, ARN and application.

use serde_json::{json, Map, Value as J};

use super::definition::{escape_literal, format_call, key_check, member, task_arn, KeyCheck};

/// The top-level keys an execution input may have.
pub const INPUT_KEYS: [&str; 5] = [
    "Name",
    "EntryPoint",
    "Arguments",
    "Overrides",
    "TimeoutMinutes",
];

/// A spark configuration a run may set, within bounds.
#[derive(Clone, Debug, PartialEq)]
pub struct JobOverride {
    /// The key in the execution input's `Overrides`.
    pub name: String,
    /// The Spark configuration it sets, e.g. `spark.executor.instances`.
    pub conf: String,
    pub minimum: serde_json::Number,
    pub maximum: serde_json::Number,
}

#[derive(Clone, Debug, PartialEq)]
pub struct JobSpec {
    pub partition: String,
    pub application_id: String,
    pub execution_role_arn: String,
    pub entry_points: Vec<String>,
    /// The fixed part of the spark-submit parameters.
    pub spark_submit_parameters: Option<String>,
    pub overrides: Vec<JobOverride>,
    pub max_timeout_minutes: i64,
    /// A session policy (JSON) every run's execution role is limited by.
    pub execution_iam_policy: Option<String>,
    pub log_uri: Option<String>,
    /// The job run name when the input has none.
    pub default_name: String,
}

struct Machine<'a> {
    s: &'a JobSpec,
    states: Map<String, J>,
}

fn fail(cause: &str) -> J {
    json!({"Type": "Fail", "Error": "InvalidInput", "Cause": cause})
}

fn fail_format(error: &str, template: &str, args: &[&str]) -> J {
    json!({"Type": "Fail", "Error": error, "CausePath": format_call(template, args)})
}

impl Machine<'_> {
    fn add(&mut self, name: &str, v: J) {
        self.states.insert(name.to_string(), v);
    }

    /// Merging the given object over the allowed keys and those back over
    /// the result leaves exactly the allowed object unless another key was
    /// given. `at` is the object's path, `what` prefixes the state names.
    fn only_known_keys(&mut self, what: &str, at: &str, keys: &[&str], next: &str, refuse: J) {
        let (collect, compare, choose) = (
            format!("Collect{what}Keys"),
            format!("Compare{what}Keys"),
            format!("Only{what}Keys"),
        );
        let (not_object, unknown) = (format!("{what}NotAnObject"), format!("Unknown{what}Key"));
        let check = KeyCheck {
            names: [&collect, &compare, &choose],
            given: at,
            result: "$.KeyCheck",
            allowed: keys,
            keep_given_text: true,
            next,
            not_object: &not_object,
            unknown: &unknown,
        };
        for (name, state) in key_check(&check) {
            self.add(&name, state);
        }
        self.add(&not_object, fail(&format!("{what} must be a JSON object")));
        self.add(&unknown, refuse);
    }

    fn input_and_name(&mut self) {
        self.add(
            "ReadInput",
            json!({"Type": "Pass", "Parameters": {"Input.$": "$"}, "Next": "CollectInputKeys"}),
        );
        let refuse = fail("the execution input may only have Name, EntryPoint, Arguments, Overrides and TimeoutMinutes");
        self.only_known_keys("Input", "$.Input", &INPUT_KEYS, "CheckName", refuse);
        self.add(
            "CheckName",
            json!({"Type": "Choice", "Choices": [
                {"Not": {"Variable": "$.Input.Name", "IsPresent": true}, "Next": "UseDefaultName"},
                {"Variable": "$.Input.Name", "IsString": true, "Next": "UseInputName"}
            ], "Default": "InvalidName"}),
        );
        self.add(
            "UseDefaultName",
            json!({"Type": "Pass", "Result": self.s.default_name, "ResultPath": "$.Name", "Next": "CheckEntryPoint"}),
        );
        self.add(
            "UseInputName",
            json!({"Type": "Pass", "InputPath": "$.Input.Name", "ResultPath": "$.Name", "Next": "CheckEntryPoint"}),
        );
        self.add("InvalidName", fail("Name must be a string"));
    }

    fn entry_point(&mut self) {
        let listed: Vec<J> = self
            .s
            .entry_points
            .iter()
            .map(|e| json!({"Variable": "$.Input.EntryPoint", "StringEquals": e}))
            .collect();
        let absent = match self.s.entry_points.as_slice() {
            [_] => "UseOnlyEntryPoint",
            _ => "MissingEntryPoint",
        };
        self.add(
            "CheckEntryPoint",
            json!({"Type": "Choice", "Choices": [
                {"Not": {"Variable": "$.Input.EntryPoint", "IsPresent": true}, "Next": absent},
                {"Or": listed, "Next": "UseInputEntryPoint"}
            ], "Default": "EntryPointNotAllowed"}),
        );
        if let [only] = self.s.entry_points.as_slice() {
            self.add(
                "UseOnlyEntryPoint",
                json!({"Type": "Pass", "Result": only, "ResultPath": "$.EntryPoint", "Next": "CheckArguments"}),
            );
        } else {
            self.add(
                "MissingEntryPoint",
                fail("EntryPoint is required: this job function allows more than one"),
            );
        }
        self.add(
            "UseInputEntryPoint",
            json!({"Type": "Pass", "InputPath": "$.Input.EntryPoint", "ResultPath": "$.EntryPoint", "Next": "CheckArguments"}),
        );
        let allowed = self.s.entry_points.join(", ");
        self.add(
            "EntryPointNotAllowed",
            fail_format(
                "EntryPointNotAllowed",
                &format!("EntryPoint {{}} is not one this job function allows ({allowed})"),
                &["$.Input.EntryPoint"],
            ),
        );
    }

    fn arguments(&mut self) {
        self.add(
            "CheckArguments",
            json!({"Type": "Choice", "Choices": [
                {"Not": {"Variable": "$.Input.Arguments", "IsPresent": true}, "Next": "NoArguments"}
            ], "Default": "ValidateArguments"}),
        );
        self.add(
            "NoArguments",
            json!({"Type": "Pass", "Result": [], "ResultPath": "$.Arguments", "Next": "CheckOverrides"}),
        );
        let item = json!({
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "IsString",
            "States": {
                "IsString": {"Type": "Choice", "Choices": [
                    {"Variable": "$", "IsString": true, "Next": "Accepted"}
                ], "Default": "NotAString"},
                "Accepted": {"Type": "Succeed"},
                "NotAString": fail("each element of Arguments must be a string")
            }
        });
        self.add(
            "ValidateArguments",
            json!({"Type": "Map", "ItemsPath": "$.Input.Arguments", "ItemProcessor": item,
                "ResultPath": null,
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.Caught", "Next": "InvalidArguments"}],
                "Next": "KeepArguments"}),
        );
        self.add(
            "InvalidArguments",
            fail("Arguments must be a list of strings"),
        );
        self.add(
            "KeepArguments",
            json!({"Type": "Pass", "InputPath": "$.Input.Arguments", "ResultPath": "$.Arguments", "Next": "CheckOverrides"}),
        );
    }

    fn overrides(&mut self) {
        let overrides = self.s.overrides.clone();
        let after = "CheckTimeout";
        let first = match overrides.is_empty() {
            true => after.to_string(),
            false => "Override0Given".to_string(),
        };
        self.add(
            "CheckOverrides",
            json!({"Type": "Choice", "Choices": [
                {"Not": {"Variable": "$.Input.Overrides", "IsPresent": true}, "Next": "NoOverrides"}
            ], "Default": "CollectOverridesKeys"}),
        );
        self.add(
            "NoOverrides",
            json!({"Type": "Pass", "Result": {}, "ResultPath": "$.Overrides", "Next": after}),
        );
        let names: Vec<&str> = overrides.iter().map(|o| o.name.as_str()).collect();
        let allowed = match names.is_empty() {
            true => "none".to_string(),
            false => names.join(", "),
        };
        let refuse = fail_format(
            "UnknownOverride",
            &format!("Overrides {{}} names an override this job function does not allow (allowed: {allowed})"),
            &["$.KeyCheck.Given"],
        );
        self.only_known_keys(
            "Overrides",
            "$.Input.Overrides",
            &names,
            "KeepOverrides",
            refuse,
        );
        self.add(
            "KeepOverrides",
            json!({"Type": "Pass", "InputPath": "$.Input.Overrides", "ResultPath": "$.Overrides", "Next": first}),
        );
        for (i, o) in overrides.iter().enumerate() {
            let next = match i + 1 < overrides.len() {
                true => format!("Override{}Given", i + 1),
                false => after.to_string(),
            };
            let var = member("$.Overrides", &o.name);
            self.add(
                &format!("Override{i}Given"),
                json!({"Type": "Choice", "Choices": [
                    {"Not": {"Variable": var, "IsPresent": true}, "Next": next}
                ], "Default": format!("Override{i}Check")}),
            );
            let (min, max) = (&o.minimum, &o.maximum);
            self.add(
                &format!("Override{i}Check"),
                json!({"Type": "Choice", "Choices": [
                    {"Not": {"Variable": var, "IsNumeric": true}, "Next": format!("Override{i}NotANumber")},
                    {"Variable": var, "NumericLessThan": min, "Next": format!("Override{i}OutOfBounds")},
                    {"Variable": var, "NumericGreaterThan": max, "Next": format!("Override{i}OutOfBounds")}
                ], "Default": next}),
            );
            self.add(
                &format!("Override{i}NotANumber"),
                json!({"Type": "Fail", "Error": "InvalidOverride", "Cause": format!("override {} must be a number", o.name)}),
            );
            self.add(
                &format!("Override{i}OutOfBounds"),
                fail_format(
                    "InvalidOverride",
                    &format!("override {} = {{}} is outside {min} to {max}", o.name),
                    &[&var],
                ),
            );
        }
    }

    fn timeout(&mut self) {
        let max = self.s.max_timeout_minutes;
        let v = "$.Input.TimeoutMinutes";
        self.add(
            "CheckTimeout",
            json!({"Type": "Choice", "Choices": [
                {"Not": {"Variable": v, "IsPresent": true}, "Next": "DefaultTimeout"},
                {"Not": {"Variable": v, "IsNumeric": true}, "Next": "InvalidTimeout"},
                {"Variable": v, "NumericLessThan": 1, "Next": "InvalidTimeout"},
                {"Variable": v, "NumericGreaterThan": max, "Next": "TimeoutTooLong"}
            ], "Default": "TimeoutText"}),
        );
        self.add(
            "DefaultTimeout",
            json!({"Type": "Pass", "Result": max, "ResultPath": "$.TimeoutMinutes", "Next": "StartSubmitParameters"}),
        );
        // Whole minutes: the number's text has no decimal point.
        self.add(
            "TimeoutText",
            json!({"Type": "Pass", "Parameters": {"Text.$": format_call("{}", &[v])}, "ResultPath": "$.TimeoutCheck", "Next": "WholeMinutes"}),
        );
        self.add(
            "WholeMinutes",
            json!({"Type": "Choice", "Choices": [
                {"Variable": "$.TimeoutCheck.Text", "StringMatches": "*.*", "Next": "InvalidTimeout"}
            ], "Default": "KeepTimeout"}),
        );
        self.add(
            "KeepTimeout",
            json!({"Type": "Pass", "InputPath": v, "ResultPath": "$.TimeoutMinutes", "Next": "StartSubmitParameters"}),
        );
        self.add(
            "InvalidTimeout",
            fail("TimeoutMinutes must be a whole number of minutes, at least 1"),
        );
        self.add(
            "TimeoutTooLong",
            fail_format(
                "TimeoutTooLong",
                &format!("TimeoutMinutes {{}} is above the maximum of this job function ({max})"),
                &[v],
            ),
        );
    }

    /// The fixed parameters, then `--conf <conf>=<value>` per given override.
    fn submit_parameters(&mut self) {
        let fixed = self.s.spark_submit_parameters.clone().unwrap_or_default();
        let overrides = self.s.overrides.clone();
        let first = match overrides.is_empty() {
            true => "HasSubmitParameters".to_string(),
            false => "Apply0Given".to_string(),
        };
        self.add(
            "StartSubmitParameters",
            json!({"Type": "Pass", "Result": {"Text": fixed}, "ResultPath": "$.Submit", "Next": first}),
        );
        for (i, o) in overrides.iter().enumerate() {
            let next = match i + 1 < overrides.len() {
                true => format!("Apply{}Given", i + 1),
                false => "HasSubmitParameters".to_string(),
            };
            let var = member("$.Overrides", &o.name);
            self.add(
                &format!("Apply{i}Given"),
                json!({"Type": "Choice", "Choices": [
                    {"Not": {"Variable": var, "IsPresent": true}, "Next": next}
                ], "Default": format!("Apply{i}")}),
            );
            let template = format!("{{}} --conf {}={{}}", escape_literal(&o.conf));
            let text = format!("States.Format('{template}', $.Submit.Text, {var})");
            self.add(
                &format!("Apply{i}"),
                json!({"Type": "Pass", "Parameters": {"Text.$": text}, "ResultPath": "$.Submit", "Next": next}),
            );
        }
        self.add(
            "HasSubmitParameters",
            json!({"Type": "Choice", "Choices": [
                {"Variable": "$.Submit.Text", "StringEquals": "", "Next": "StartJobRunPlain"}
            ], "Default": "StartJobRun"}),
        );
    }

    /// StartJobRun with everything fixed at plan; `with_parameters` adds the
    /// spark-submit parameters (EMR Serverless refuses an empty string).
    fn start(&mut self, state: &str, with_parameters: bool) {
        let s = self.s;
        let mut submit =
            json!({"EntryPoint.$": "$.EntryPoint", "EntryPointArguments.$": "$.Arguments"});
        if with_parameters {
            submit["SparkSubmitParameters.$"] = json!("$.Submit.Text");
        }
        let mut params = json!({
            "ApplicationId": s.application_id,
            "ExecutionRoleArn": s.execution_role_arn,
            "ClientToken.$": "States.UUID()",
            "Name.$": "$.Name",
            "ExecutionTimeoutMinutes.$": "$.TimeoutMinutes",
            "JobDriver": {"SparkSubmit": submit}
        });
        if let Some(uri) = &s.log_uri {
            params["ConfigurationOverrides"] = json!({"MonitoringConfiguration": {
                "S3MonitoringConfiguration": {"LogUri": uri}
            }});
        }
        if let Some(p) = &s.execution_iam_policy {
            params["ExecutionIamPolicy"] = json!({"Policy": p});
        }
        self.add(
            state,
            json!({"Type": "Task",
                "Resource": task_arn(&s.partition, "aws-sdk:emrserverless:startJobRun"),
                "Parameters": params,
                "ResultSelector": {"JobRunId.$": "$.JobRunId", "ApplicationId.$": "$.ApplicationId", "Arn.$": "$.Arn"},
                "End": true}),
        );
    }
}

/// The whole state machine.
pub fn definition(s: &JobSpec) -> J {
    let mut m = Machine {
        s,
        states: Map::new(),
    };
    m.input_and_name();
    m.entry_point();
    m.arguments();
    m.overrides();
    m.timeout();
    m.submit_parameters();
    m.start("StartJobRun", true);
    m.start("StartJobRunPlain", false);
    json!({
        "Comment": "EMR Serverless job function (terraform-provider-emr): checks the input, then starts one job run on the pinned application with the pinned role.",
        "StartAt": "ReadInput",
        "States": m.states
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launch::definition::tests::check_graph;

    pub fn spec() -> JobSpec {
        JobSpec {
            partition: "aws".into(),
            application_id: "00f1abcdef".into(),
            execution_role_arn: "arn:aws:iam::123456789012:role/acme-job".into(),
            entry_points: vec![
                "s3://acme/jobs/etl.py".into(),
                "s3://acme/jobs/backfill.py".into(),
            ],
            spark_submit_parameters: Some("--conf spark.executor.cores=4".into()),
            overrides: vec![JobOverride {
                name: "ExecutorInstances".into(),
                conf: "spark.executor.instances".into(),
                minimum: 1.into(),
                maximum: 50.into(),
            }],
            max_timeout_minutes: 240,
            execution_iam_policy: Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into()),
            log_uri: Some("s3://acme/logs/".into()),
            default_name: "acme-nightly-etl".into(),
        }
    }

    #[test]
    fn the_graph_is_closed_in_every_variant() {
        let mut one = spec();
        one.entry_points.truncate(1);
        one.overrides.clear();
        one.spark_submit_parameters = None;
        one.execution_iam_policy = None;
        one.log_uri = None;
        for s in [spec(), one] {
            check_graph(&definition(&s));
        }
    }

    #[test]
    fn the_request_pins_application_role_and_ceiling() {
        let d = definition(&spec());
        let p = &d["States"]["StartJobRun"]["Parameters"];
        assert_eq!(p["ApplicationId"], "00f1abcdef");
        assert_eq!(
            p["ExecutionRoleArn"],
            "arn:aws:iam::123456789012:role/acme-job"
        );
        assert_eq!(
            p["ExecutionIamPolicy"]["Policy"],
            r#"{"Version":"2012-10-17","Statement":[]}"#
        );
        assert_eq!(
            p["ConfigurationOverrides"]["MonitoringConfiguration"]["S3MonitoringConfiguration"]
                ["LogUri"],
            "s3://acme/logs/"
        );
        assert_eq!(
            d["States"]["StartJobRun"]["Resource"],
            "arn:aws:states:::aws-sdk:emrserverless:startJobRun"
        );
        // Nothing of the request comes from the input but the checked values.
        let text = p.to_string();
        assert!(!text.contains("$.Input"), "{text}");
        assert!(
            d["States"]["StartJobRunPlain"]["Parameters"]["JobDriver"]["SparkSubmit"]
                .get("SparkSubmitParameters.$")
                .is_none()
        );
    }

    #[test]
    fn entry_points_overrides_and_timeout_are_checked() {
        let d = definition(&spec());
        let st = &d["States"];
        let listed = st["CheckEntryPoint"]["Choices"][1]["Or"]
            .as_array()
            .unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(
            st["CheckEntryPoint"]["Choices"][0]["Next"],
            "MissingEntryPoint"
        );
        let bounds = st["Override0Check"]["Choices"].as_array().unwrap();
        assert_eq!(bounds[1]["NumericLessThan"], 1);
        assert_eq!(bounds[2]["NumericGreaterThan"], 50);
        assert_eq!(st["CheckTimeout"]["Choices"][3]["NumericGreaterThan"], 240);
        assert_eq!(
            st["Apply0"]["Parameters"]["Text.$"],
            "States.Format('{} --conf spark.executor.instances={}', $.Submit.Text, $.Overrides.ExecutorInstances)"
        );
        let mut one = spec();
        one.entry_points.truncate(1);
        let d = definition(&one);
        assert_eq!(
            d["States"]["CheckEntryPoint"]["Choices"][0]["Next"],
            "UseOnlyEntryPoint"
        );
    }
}
