//! Data source emr_launch_function: a launch function's metadata read from
//! SSM, so another workspace can find its state machine and grant users the
//! right to launch it.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value as Json;

use crate::configured::{env_of, ProviderData};
use crate::metadata::{self, Kind};
use crate::resources::launch_function::{identity_attrs, invoke_policy, FunctionResources};
use crate::tfplugin::{
    Attribute, Block, Ctx, DataSource, Diagnostic, Diagnostics, Schema, Type, Value,
};

const TYPE_NAME: &str = "emr_launch_function";

pub struct LaunchFunctionData {
    data: Arc<ProviderData>,
}

impl LaunchFunctionData {
    pub fn new(data: Arc<ProviderData>) -> Self {
        LaunchFunctionData { data }
    }
}

pub fn data_schema() -> Schema {
    let b = Block::new()
        .desc("Reads an EMR launch function's metadata from SSM, e.g. from another workspace.")
        .attr(Attribute::computed("id", Type::String).desc("`namespace/name`."))
        .attr(Attribute::required("namespace", Type::String).desc("Namespace."))
        .attr(Attribute::required("name", Type::String).desc("Name."))
        .attr(Attribute::computed("role_arn", Type::String).desc("The execution role."))
        .attr(Attribute::computed("cluster_name", Type::String).desc("Default cluster name."))
        .attr(
            Attribute::computed("allowed_overrides", Type::set(Type::String))
                .desc("Overrides a launching user may set."),
        )
        .attr(
            Attribute::computed("launcher_function_arn", Type::String)
                .desc("The launcher Lambda (null without secrets)."),
        );
    Schema::new(identity_attrs(b))
}

#[async_trait]
impl DataSource for LaunchFunctionData {
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
        let rec = metadata::read_record(&c, Kind::LaunchFunction, ns, n).await?;
        let d = &rec.json;
        let s = |k: &str| {
            d.get(k)
                .and_then(Json::as_str)
                .map(Value::string)
                .unwrap_or(Value::Null)
        };
        let env = env_of(&c);
        // Everything that grants access is derived from namespace/name and
        // the provider's account, region and partition; the stored record
        // only has to agree (a tampered record must not redirect grants).
        let x = FunctionResources::derive(&env, ns, n);
        let mut expected = vec![
            ("StateMachineArn", Some(x.state_machine_arn.clone())),
            ("RoleArn", Some(x.role_arn.clone())),
            ("Namespace", Some(ns.to_string())),
            ("Name", Some(n.to_string())),
        ];
        if d.get("LauncherFunctionArn").is_some() {
            expected.push(("LauncherFunctionArn", Some(x.launcher_arn.clone())));
        }
        for (key, want) in expected {
            let have = d.get(key).and_then(Json::as_str).map(str::to_string);
            if have != want {
                return Err(rec.error(format!(
                    "the stored record at {pname} says {key} = {}, but the launch function {id} is {}; the parameter was changed outside Terraform. Re-apply the workspace that manages the function.",
                    have.as_deref().unwrap_or("(nothing)"),
                    want.as_deref().unwrap_or("(nothing)"),
                    pname = rec.parameter_name,
                    id = rec.id,
                )));
            }
        }
        let owner = crate::resources::launch_function::owner_of(&rec.id);
        crate::aws::state_machine::check_not_anothers(&c.aws.sfn, &x.state_machine_arn, &owner)
            .await
            .map_err(|e| rec.error(e))?;
        let sm_name = x.state_machine.clone();
        let mut st = data_schema().block.empty_value();
        rec.set_identity(&mut st);
        st.set_attr("state_machine_arn", Value::String(x.state_machine_arn));
        st.set_attr("role_arn", Value::String(x.role_arn));
        st.set_attr("cluster_name", s("ClusterName"));
        st.set_attr("launcher_function_arn", s("LauncherFunctionArn"));
        st.set_attr(
            "allowed_overrides",
            Value::set(
                d.get("AllowedOverrides")
                    .and_then(Json::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(Value::string))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
        );
        st.set_attr(
            "invoke_policy_json",
            Value::String(invoke_policy(&env, &sm_name).canonical()),
        );
        Ok(st)
    }
}
