//! StopProvider reaches every AWS request (issue #14, item 4).
//!
//! Terraform calls StopProvider on Ctrl-C. The provider's HTTP client is
//! wrapped so that a request in flight then fails at once, and a request
//! started later (a retry after its back-off, the next step of an apply)
//! fails before it is sent. The failure is an ordinary error of that call,
//! so every resource's partial-failure path returns what it made so far:
//! Terraform records it, and nothing is left untracked.
//!
//! The error is not a transient one (an I/O error or a timeout would be
//! retried), so the SDK does not retry it.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;
use tokio_util::sync::CancellationToken;

/// What a request cancelled by StopProvider fails with.
pub const STOPPED: &str =
    "Terraform asked the provider to stop (interrupt); the call was abandoned";

/// `inner`, with every request abandoned once `stop` is cancelled.
pub fn stoppable(inner: SharedHttpClient, stop: CancellationToken) -> SharedHttpClient {
    StoppableClient { inner, stop }.into_shared()
}

#[derive(Debug)]
struct StoppableClient {
    inner: SharedHttpClient,
    stop: CancellationToken,
}

impl HttpClient for StoppableClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        stoppable_connector(
            self.inner.http_connector(settings, components),
            self.stop.clone(),
        )
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

/// `inner`, with every request abandoned once `stop` is cancelled.
pub fn stoppable_connector(
    inner: SharedHttpConnector,
    stop: CancellationToken,
) -> SharedHttpConnector {
    StoppableConnector { inner, stop }.into_shared()
}

#[derive(Debug)]
struct StoppableConnector {
    inner: SharedHttpConnector,
    stop: CancellationToken,
}

impl HttpConnector for StoppableConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let stop = self.stop.clone();
        if stop.is_cancelled() {
            return HttpConnectorFuture::ready(Err(stopped()));
        }
        let call = self.inner.call(request);
        HttpConnectorFuture::new(async move {
            tokio::select! {
                answer = call => answer,
                _ = stop.cancelled() => Err(stopped()),
            }
        })
    }
}

fn stopped() -> ConnectorError {
    ConnectorError::other(STOPPED.into(), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::http::HttpConnectorFuture;
    use std::time::Duration;

    /// A connector that never answers.
    #[derive(Debug)]
    struct Silent;
    impl HttpConnector for Silent {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            HttpConnectorFuture::new(std::future::pending())
        }
    }

    fn request() -> HttpRequest {
        HttpRequest::get("http://127.0.0.1:9/").expect("a request")
    }

    #[tokio::test]
    async fn a_request_in_flight_fails_when_terraform_stops_and_a_later_one_is_not_sent() {
        let stop = CancellationToken::new();
        let c = stoppable_connector(Silent.into_shared(), stop.clone());
        let in_flight = tokio::spawn(c.call(request()));
        tokio::time::sleep(Duration::from_millis(20)).await;
        stop.cancel();
        let answer = tokio::time::timeout(Duration::from_secs(2), in_flight).await;
        let err = match answer {
            Ok(Ok(Err(e))) => e,
            other => panic!("the request must fail at once: {other:?}"),
        };
        assert!(!err.is_io() && !err.is_timeout(), "not retried: {err:?}");
        assert!(format!("{err:?}").contains("asked the provider to stop"));
        let later = tokio::time::timeout(Duration::from_millis(100), c.call(request())).await;
        assert!(matches!(later, Ok(Err(_))), "refused without waiting");
    }
}
