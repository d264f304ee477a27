//! Data source emr_serverless_job_function: an EMR Serverless job function's
//! metadata read from SSM, so another workspace can find its state machine
//! and grant users the right to start runs. What grants access (the state
//! machine, its role, the invoke policy) is derived from namespace and name;
//! the stored record only has to agree.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value as Json;

use crate::configured::{env_of, ProviderData};
use crate::iam::launch_function::invoke_policy;
use crate::iam::Scope;
use crate::metadata::{self, Kind};
use crate::resources::job_function::JobFunctionNames;
use crate::resources::launch_function::identity_attrs;
use crate::tfplugin::{
    Attribute, Block, Ctx, DataSource, Diagnostic, Diagnostics, Schema, Type, Value,
};

const TYPE_NAME: &str = "emr_serverless_job_function";

pub struct JobFunctionData {
    data: Arc<ProviderData>,
}

impl JobFunctionData {
    pub fn new(data: Arc<ProviderData>) -> Self {
        JobFunctionData { data }
    }
}

pub fn data_schema() -> Schema {
    let b = Block::new()
        .desc("Reads an EMR Serverless job function's metadata from SSM, e.g. from another workspace.")
        .attr(Attribute::computed("id", Type::String).desc("`namespace/name`."))
        .attr(Attribute::required("namespace", Type::String).desc("Namespace."))
        .attr(Attribute::required("name", Type::String).desc("Name."))
        .attr(Attribute::computed("role_arn", Type::String).desc("The state machine's execution role."))
        .attr(Attribute::computed("application_id", Type::String).desc("The application runs start on."))
        .attr(Attribute::computed("execution_role_arn", Type::String).desc("The job runtime role of every run."))
        .attr(Attribute::computed("entry_points", Type::list(Type::String)).desc("The entry points a run may start."))
        .attr(Attribute::computed("allowed_overrides", Type::set(Type::String)).desc("The overrides a run may set."))
        .attr(Attribute::computed("max_execution_timeout_minutes", Type::Number).desc("The longest a run may last."));
    Schema::new(identity_attrs(b))
}

fn strings(v: Option<&Json>, key: Option<&str>) -> Vec<Value> {
    let items = v.and_then(Json::as_array).cloned().unwrap_or_default();
    items
        .iter()
        .filter_map(|x| match key {
            Some(k) => x.get(k).and_then(Json::as_str).map(Value::string),
            None => x.as_str().map(Value::string),
        })
        .collect()
}

#[async_trait]
impl DataSource for JobFunctionData {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }
    fn schema(&self) -> Schema {
        data_schema()
    }
    fn validate(&self, config: &Value) -> Diagnostics {
        metadata::check_namespace_and_name(config)
    }
    async fn read(&self, _ctx: &Ctx, config: &Value) -> Result<Value, Diagnostics> {
        let c = self.data.get()?;
        let (Some(ns), Some(n)) = (config.str_attr("namespace"), config.str_attr("name")) else {
            return Err(Diagnostic::error("Missing namespace or name", "").into());
        };
        let rec = metadata::read_record(&c, Kind::ServerlessJobFunction, ns, n).await?;
        let d = &rec.json;
        let env = env_of(&c);
        let x = JobFunctionNames::derive(&env, ns, n);
        for (key, want) in [
            ("StateMachineArn", x.state_machine_arn.as_str()),
            ("RoleArn", x.role_arn.as_str()),
            ("Namespace", ns),
            ("Name", n),
        ] {
            let have = d.get(key).and_then(Json::as_str);
            if have != Some(want) {
                return Err(rec.error(format!(
                    "the stored record at {pname} says {key} = {}, but the job function {id} is {want}; the parameter was changed outside Terraform. Re-apply the workspace that manages the function.",
                    have.unwrap_or("(nothing)"),
                    pname = rec.parameter_name,
                    id = rec.id,
                )));
            }
        }
        let owner = crate::resources::job_function::owner_of(&rec.id);
        crate::aws::state_machine::check_not_anothers(&c.aws.sfn, &x.state_machine_arn, &owner)
            .await
            .map_err(|e| rec.error(e))?;
        let s = |k: &str| {
            d.get(k)
                .and_then(Json::as_str)
                .map_or(Value::Null, Value::string)
        };
        let mut st = data_schema().block.empty_value();
        rec.set_identity(&mut st);
        st.set_attr(
            "state_machine_arn",
            Value::String(x.state_machine_arn.clone()),
        );
        st.set_attr("role_arn", Value::String(x.role_arn.clone()));
        st.set_attr("application_id", s("ApplicationId"));
        st.set_attr("execution_role_arn", s("ExecutionRoleArn"));
        st.set_attr(
            "entry_points",
            Value::List(strings(d.get("EntryPoints"), None)),
        );
        let names = strings(d.get("AllowedOverrides"), Some("Name"));
        st.set_attr("allowed_overrides", Value::set(names));
        let max = d.get("MaxExecutionTimeoutMinutes").and_then(Json::as_i64);
        st.set_attr(
            "max_execution_timeout_minutes",
            max.map_or(Value::Null, Value::number),
        );
        let policy = invoke_policy(&Scope::from(&env), &x.state_machine).canonical();
        st.set_attr("invoke_policy_json", Value::String(policy));
        Ok(st)
    }
}
