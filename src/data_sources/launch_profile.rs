//! Data source emr_launch_profile: a profile's computed attributes read from
//! its SSM metadata, so another workspace can bind to it.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value as J;

use crate::metadata::{self, Kind};
use crate::provider::ProviderData;
use crate::resources::env_of;
use crate::resources::launch_profile::{computed_attrs, err};
use crate::tfplugin::{
    Attribute, Block, Ctx, DataSource, Diagnostic, Diagnostics, Schema, Type, Value,
};

const TYPE_NAME: &str = "emr_launch_profile";

pub struct LaunchProfileData {
    data: Arc<ProviderData>,
}

impl LaunchProfileData {
    pub fn new(data: Arc<ProviderData>) -> Self {
        LaunchProfileData { data }
    }
}

pub fn data_schema() -> Schema {
    let b = Block::new()
        .desc("Reads an EMR Launch profile's metadata from SSM, e.g. from another workspace.")
        .attr(Attribute::computed("id", Type::String).desc("`namespace/name`."))
        .attr(Attribute::required("namespace", Type::String).desc("Namespace."))
        .attr(Attribute::required("name", Type::String).desc("Name."))
        .attr(Attribute::computed("description", Type::String).desc("Description."))
        .attr(
            Attribute::computed("security_configuration", Type::String)
                .desc("Security configuration name."),
        )
        .attr(Attribute::computed("logs_uri", Type::String).desc("Log location."))
        .attr(Attribute::computed("artifacts_uri", Type::String).desc("Artifacts location."))
        .attr(
            Attribute::computed("kerberos_attributes_secret_arn", Type::String)
                .desc("Kerberos attributes secret ARN."),
        );
    Schema::new(computed_attrs(b))
}

#[async_trait]
impl DataSource for LaunchProfileData {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }
    fn schema(&self) -> Schema {
        data_schema()
    }
    fn validate(&self, config: &Value) -> Diagnostics {
        crate::resources::check_namespace_and_name(config)
    }
    async fn read(&self, _ctx: &Ctx, config: &Value) -> Result<Value, Diagnostics> {
        let c = self.data.get()?;
        let (Some(ns), Some(n)) = (config.str_attr("namespace"), config.str_attr("name")) else {
            return Err(Diagnostic::error("Missing namespace or name", "").into());
        };
        let id = format!("{ns}/{n}");
        let pname = metadata::parameter_name(&c.metadata_prefix, Kind::Profile, ns, n);
        let doc = metadata::get(&c.aws.ssm, &pname)
            .await
            .map_err(|e| err("reading", &id, e))?
            .ok_or_else(|| err("reading", &id, format!("no launch profile at {pname}")))?;
        let d: J = serde_json::from_str(&doc)
            .map_err(|e| err("reading", &id, format!("stored metadata is not JSON: {e}")))?;
        let s = |k: &str| {
            d.get(k)
                .and_then(J::as_str)
                .map(Value::string)
                .unwrap_or(Value::Null)
        };
        let env = env_of(&c);
        let mut st = data_schema().block.empty_value();
        st.set_attr("id", Value::String(id));
        st.set_attr("namespace", Value::string(ns));
        st.set_attr("name", Value::string(n));
        st.set_attr(
            "parameter_arn",
            Value::String(metadata::parameter_arn(
                &env.partition,
                &env.region,
                &env.account,
                &pname,
            )),
        );
        st.set_attr("parameter_name", Value::String(pname));
        st.set_attr("description", s("Description"));
        st.set_attr("security_configuration", s("SecurityConfiguration"));
        st.set_attr("logs_uri", s("LogsUri"));
        st.set_attr("artifacts_uri", s("ArtifactsUri"));
        st.set_attr(
            "kerberos_attributes_secret_arn",
            s("KerberosAttributesSecretArn"),
        );
        st.set_attr("service_role_arn", s("ServiceRole"));
        st.set_attr("instance_role_arn", s("InstanceRole"));
        st.set_attr("instance_profile_arn", s("InstanceProfile"));
        st.set_attr(
            "autoscaling_role_arn",
            d.get("AutoScalingRole")
                .and_then(J::as_str)
                .map(Value::string)
                .unwrap_or(Value::string("")),
        );
        st.set_attr("metadata_json", Value::String(doc));
        Ok(st)
    }
}
