//! Data source emr_cluster_configuration: a configuration's computed
//! attributes read from its SSM metadata, so another workspace (or a launch
//! function) can bind to it.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value as J;

use crate::configured::ProviderData;
use crate::metadata::{self, Kind};
use crate::resources::cluster_configuration::computed_attrs;
use crate::tfplugin::{
    Attribute, Block, Ctx, DataSource, Diagnostic, Diagnostics, Schema, Type, Value,
};

const TYPE_NAME: &str = "emr_cluster_configuration";

pub struct ClusterConfigurationData {
    data: Arc<ProviderData>,
}

impl ClusterConfigurationData {
    pub fn new(data: Arc<ProviderData>) -> Self {
        ClusterConfigurationData { data }
    }
}

pub fn data_schema() -> Schema {
    let b = Block::new()
        .desc("Reads an EMR Launch cluster configuration's metadata from SSM, e.g. from another workspace.")
        .attr(Attribute::computed("id", Type::String).desc("`namespace/name`."))
        .attr(Attribute::required("namespace", Type::String).desc("Namespace."))
        .attr(Attribute::required("name", Type::String).desc("Name."))
        .attr(Attribute::computed("description", Type::String).desc("Description."))
        .attr(Attribute::computed("release_label", Type::String).desc("EMR release."));
    Schema::new(computed_attrs(b))
}

#[async_trait]
impl DataSource for ClusterConfigurationData {
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
        let rec = metadata::read_record(&c, Kind::ClusterConfiguration, ns, n).await?;
        let d = &rec.json;
        let mut st = data_schema().block.empty_value();
        rec.set_identity(&mut st);
        st.set_attr(
            "description",
            d.get("Description")
                .and_then(J::as_str)
                .map(Value::string)
                .unwrap_or(Value::Null),
        );
        st.set_attr(
            "release_label",
            d.pointer("/RunJobFlow/ReleaseLabel")
                .and_then(J::as_str)
                .map(Value::string)
                .unwrap_or(Value::Null),
        );
        st.set_attr(
            "run_job_flow_json",
            d.get("RunJobFlow")
                .map(|r| Value::String(r.to_string()))
                .unwrap_or(Value::Null),
        );
        // Distinct and sorted, as the resource computes them.
        let secrets: BTreeSet<&str> = d
            .get("SecretConfigurations")
            .and_then(J::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.get("SecretArn").and_then(J::as_str))
                    .collect()
            })
            .unwrap_or_default();
        st.set_attr(
            "secret_arns",
            Value::List(secrets.into_iter().map(Value::string).collect()),
        );
        Ok(st)
    }
}
