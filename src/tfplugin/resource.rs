//! The traits a provider implements. A small core (schema + CRUD) with
//! opt-in capabilities (import, state upgrade) the server asks for.

use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::diag::{AttrPath, Diagnostics};
use super::schema::Schema;
use super::value::Value;

/// Per-call context: the cancellation that StopProvider triggers.
#[derive(Clone, Debug, Default)]
pub struct Ctx {
    pub cancel: CancellationToken,
}

/// What a plan step sees.
pub struct PlanRequest<'a> {
    /// Null when the resource is being created.
    pub prior: &'a Value,
    pub config: &'a Value,
}

/// The outcome of create / update: the state to record (Null only when
/// nothing exists) and diagnostics. On a partial failure the state holds what
/// was created so Terraform taints it instead of forgetting it.
pub struct ApplyResult {
    pub state: Value,
    pub diags: Diagnostics,
}

impl ApplyResult {
    pub fn ok(state: Value) -> ApplyResult {
        ApplyResult {
            state,
            diags: Diagnostics::new(),
        }
    }
    pub fn failed(state: Value, diags: Diagnostics) -> ApplyResult {
        ApplyResult { state, diags }
    }
}

#[async_trait]
pub trait Resource: Send + Sync {
    /// Full type name, e.g. `emr_security_configuration`.
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// Static checks of configuration; values may be unknown.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Adjusts the pipeline's planned state (computed values known at plan,
    /// semantic equality) and reports plan-time errors. Not called for destroy.
    async fn modify_plan(
        &self,
        _ctx: &Ctx,
        _req: PlanRequest<'_>,
        _planned: &mut Value,
        _diags: &mut Diagnostics,
    ) {
    }

    async fn create(&self, ctx: &Ctx, planned: &Value, config: &Value) -> ApplyResult;

    /// Refreshes state from the remote side. Returns Null when the object is gone.
    async fn read(&self, ctx: &Ctx, current: &Value) -> Result<Value, Diagnostics>;

    /// Read, with warnings shown beside the refreshed state (e.g. what an
    /// imported object holds that the resource will not keep).
    async fn read_with_warnings(
        &self,
        ctx: &Ctx,
        current: &Value,
    ) -> Result<(Value, Diagnostics), Diagnostics> {
        Ok((self.read(ctx, current).await?, Diagnostics::new()))
    }

    /// Of the paths the schema's replace flags name for a planned change,
    /// those that really force a replacement (all of them by default).
    fn replace_paths(
        &self,
        paths: Vec<AttrPath>,
        _prior: &Value,
        _planned: &Value,
    ) -> Vec<AttrPath> {
        paths
    }

    async fn update(
        &self,
        ctx: &Ctx,
        prior: &Value,
        planned: &Value,
        config: &Value,
    ) -> ApplyResult;

    /// Deletes; succeeds when the object is already gone.
    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Diagnostics;

    fn importer(&self) -> Option<&dyn Import> {
        None
    }

    fn upgrader(&self) -> Option<&dyn UpgradeState> {
        None
    }
}

/// `terraform import`: turns an id into a state that Read can refresh.
#[async_trait]
pub trait Import: Send + Sync {
    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Value, Diagnostics>;
}

/// State written by an older schema version, already decoded with the
/// current schema's type (unknown attributes dropped).
pub trait UpgradeState: Send + Sync {
    fn upgrade(&self, from_version: i64, state: Value) -> Result<Value, Diagnostics>;
}

#[async_trait]
pub trait DataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn read(&self, ctx: &Ctx, config: &Value) -> Result<Value, Diagnostics>;
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The provider type name, e.g. `emr`.
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn configure(&self, ctx: &Ctx, config: &Value, terraform_version: &str) -> Diagnostics;
    fn resources(&self) -> Vec<Arc<dyn Resource>>;
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>>;
}
