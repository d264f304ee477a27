//! How long the provider waits for AWS: every request (attempt) has a time
//! limit, so an endpoint that never answers fails the call instead of
//! hanging `terraform apply`; the attempt is retried like any transient
//! error (`max_retries`). A timeout's message names the service and the
//! action, which the SDK's own message does not.

use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{Metadata, OrchestratorError};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Each request's limit unless the provider block sets `api_attempt_timeout`.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);

/// Each call's limit, retries and back-off included, unless the provider
/// block sets `api_operation_timeout`.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Rewrites a timed-out call's error to say which call it was.
#[derive(Debug)]
pub struct NameTimeouts;

/// "<service> <action>: no answer from AWS in time (<the SDK's words>)".
pub fn timeout_text(service: &str, action: &str, cause: &str) -> String {
    format!("{service} {action} got no answer in time ({cause}); see api_attempt_timeout, api_operation_timeout and max_retries")
}

impl Intercept for NameTimeouts {
    fn name(&self) -> &'static str {
        "NameTimeouts"
    }

    fn modify_before_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(md) = cfg.load::<Metadata>() else {
            return Ok(());
        };
        let (service, action) = (md.service().to_string(), md.name().to_string());
        if let Some(Err(e)) = context.output_or_error_mut() {
            if e.is_timeout_error() {
                let cause = super::errors::source_chain(&*e);
                let text = timeout_text(&service, &action, &cause);
                *e = OrchestratorError::timeout(text.into());
            }
        }
        Ok(())
    }
}
