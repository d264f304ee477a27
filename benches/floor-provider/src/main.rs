//! The floor provider of `make bench`: this provider's plugin stack (the same
//! `serve`, AutoMTLS with the pinned client certificate, the P-521 check,
//! tonic) and no AWS. Built only by `make bench`, never shipped. Two
//! resource types that do nothing:
//! - `emr_nothing`, three attributes: `terraform validate` of one is what any
//!   provider built this way adds to Terraform, whatever its resources;
//! - `emr_serverless_dataplane` with the real data plane's schema, whose read
//!   returns the state as it is: a plan of N of them, with the real
//!   provider's state, is what Terraform alone spends on planning them.

use std::sync::Arc;

use async_trait::async_trait;
use terraform_provider_emr::resources::serverless_dataplane;
use terraform_provider_emr::tfplugin::{
    serve, ApplyResult, Attribute, Block, Ctx, DataSource, Diagnostics, Provider, Resource, Schema,
    Type, Value,
};

fn nothing() -> Schema {
    Schema::new(
        Block::new()
            .attr(Attribute::optional("id", Type::String))
            .attr(Attribute::required("name", Type::String))
            .attr(Attribute::optional("note", Type::String)),
    )
}

/// A resource that keeps what Terraform plans and reads back what it has.
struct Echo {
    type_name: &'static str,
    schema: fn() -> Schema,
}

#[async_trait]
impl Resource for Echo {
    fn type_name(&self) -> &'static str {
        self.type_name
    }
    fn schema(&self) -> Schema {
        (self.schema)()
    }
    async fn create(&self, _ctx: &Ctx, planned: &Value, _config: &Value) -> ApplyResult {
        ApplyResult::ok(planned.clone())
    }
    async fn read(&self, _ctx: &Ctx, current: &Value) -> Result<Value, Diagnostics> {
        Ok(current.clone())
    }
    async fn update(&self, _ctx: &Ctx, _prior: &Value, planned: &Value, _c: &Value) -> ApplyResult {
        ApplyResult::ok(planned.clone())
    }
    async fn delete(&self, _ctx: &Ctx, _prior: &Value) -> Diagnostics {
        Diagnostics::new()
    }
}

struct Floor;

#[async_trait]
impl Provider for Floor {
    fn type_name(&self) -> &'static str {
        "emr"
    }
    fn schema(&self) -> Schema {
        Schema::new(Block::new().attr(Attribute::optional("region", Type::String)))
    }
    async fn configure(&self, _ctx: &Ctx, _config: &Value, _tf: &str) -> Diagnostics {
        Diagnostics::new()
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![
            Arc::new(Echo {
                type_name: "emr_nothing",
                schema: nothing,
            }),
            Arc::new(Echo {
                type_name: "emr_serverless_dataplane",
                schema: serverless_dataplane::schema,
            }),
        ]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
}

fn main() {
    let res = serve::run(
        "floor provider",
        || Arc::new(Floor),
        "registry.terraform.io/emrlaunch/emr",
        false,
    );
    if let Err(msg) = res {
        eprintln!("{msg}");
        std::process::exit(1);
    }
}
