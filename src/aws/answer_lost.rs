//! Whether a call may have been carried out though its answer never came.
//!
//! The SDK retries an attempt whose connection dropped or timed out. If AWS
//! had carried out the first attempt, a create's retry is told the thing
//! exists. For objects without an owner tag to recognise them by (an EMR
//! security configuration), this says whether that "exists" may be our own
//! first attempt: only then, and only if its content is ours, is it adopted.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Set when an attempt of the call it is attached to got no answer.
#[derive(Clone, Debug, Default)]
pub struct AnswerLost(Arc<AtomicBool>);

impl AnswerLost {
    pub fn happened(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl Intercept for AnswerLost {
    fn name(&self) -> &'static str {
        "AnswerLost"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if context.response().is_none() {
            self.0.store(true, Ordering::SeqCst);
        }
        Ok(())
    }
}
