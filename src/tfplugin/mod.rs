//! Terraform's side of the provider: handshake, AutoMTLS, gRPC services,
//! values and their codecs, schema, diagnostics, the plan pipeline, and the
//! traits a provider implements. Knows nothing about AWS.

pub mod diag;
pub mod json;
#[macro_use]
pub mod log;
pub mod model;
pub mod msgpack;
pub mod plan;
pub mod resource;
pub mod schema;
pub mod serve;
pub mod server;
pub mod tls;
pub mod value;

pub use diag::{AttrPath, Diagnostic, Diagnostics};
pub use model::{Planned, PlannedList, PlannedMap};
pub use resource::{
    ApplyResult, Ctx, DataSource, Import, PlanRequest, Provider, Resource, UpgradeState,
};
pub use schema::{Attribute, Block, NestedBlock, Nesting, Schema};
pub use value::{Number, Type, Value};
