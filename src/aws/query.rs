//! AWS's query protocol (form-encoded POST, XML answers), for the few
//! actions the provider makes without an SDK crate: EC2's two plan-time
//! reads, SNS Publish and SQS SendMessage. Requests are signed with SigV4
//! from the SdkConfig's credentials (the same chain and assumed role as every
//! SDK client), sent by the same rustls-ring connector (proxy settings from
//! the environment, as the SDK's), and retried on throttling, 5xx and
//! transport errors up to the provider's `max_retries`. The endpoint follows
//! the SDK's precedence: the provider's `endpoints.<service>`,
//! AWS_ENDPOINT_URL_<SERVICE> or the profile's services entry,
//! AWS_ENDPOINT_URL, then the regional endpoint (FIPS and dual-stack
//! honoured).
//!
//! Why not the SDK crates: for EC2's two calls aws-sdk-ec2 was 600 s of a
//! 10-minute release build and megabytes of binary; SNS and SQS would each
//! add a crate for one action.

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_xml::decode::{try_data, Document, ScopedDecoder};
use aws_types::service_config::ServiceConfigKey;

/// What tells one query service from another.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Service {
    /// SigV4 signing name (also the error text's prefix).
    pub signing_name: &'static str,
    /// The SDK's service id, for the profile's `services` section.
    pub service_id: &'static str,
    /// The service's endpoint variable.
    pub env: &'static str,
    /// The key in the profile's `services` section.
    pub profile: &'static str,
    /// The first label of the regional endpoint.
    pub host: &'static str,
    /// The API version the requests are written against.
    pub version: &'static str,
}

pub const EC2: Service = Service {
    signing_name: "ec2",
    service_id: "EC2",
    env: "AWS_ENDPOINT_URL_EC2",
    profile: "ec2",
    host: "ec2",
    version: "2016-11-15",
};

pub const SNS: Service = Service {
    signing_name: "sns",
    service_id: "SNS",
    env: "AWS_ENDPOINT_URL_SNS",
    profile: "sns",
    host: "sns",
    version: "2010-03-31",
};

pub const SQS: Service = Service {
    signing_name: "sqs",
    service_id: "SQS",
    env: "AWS_ENDPOINT_URL_SQS",
    profile: "sqs",
    host: "sqs",
    version: "2012-11-05",
};

/// A signed query-protocol client for one service in one region.
#[derive(Clone, Debug)]
pub struct QueryClient {
    service: Service,
    endpoint: String,
    region: String,
    credentials: Option<SharedCredentialsProvider>,
    connector: SharedHttpConnector,
    max_attempts: u32,
    /// Each request's time limit (the SdkConfig's operation attempt timeout).
    attempt_timeout: Duration,
    /// Each call's, retries included (the SdkConfig's operation timeout).
    operation_timeout: Duration,
    /// StopProvider: no retry once cancelled.
    stop: tokio_util::sync::CancellationToken,
}

/// An answer that was not a success.
#[derive(Debug, PartialEq)]
pub struct Failure {
    pub status: Option<u16>,
    pub code: Option<String>,
    /// The action, code and message, for a diagnostic.
    pub text: String,
}

impl Failure {
    /// Throttling, a server error or no answer at all: worth another try.
    fn retryable(&self) -> bool {
        const THROTTLING: [&str; 4] = [
            "Throttling",
            "ThrottlingException",
            "RequestLimitExceeded",
            "RequestThrottled",
        ];
        match (self.status, self.code.as_deref()) {
            (None, _) => true,
            (_, Some(c)) if THROTTLING.contains(&c) => true,
            (Some(s), _) => s == 429 || s >= 500,
        }
    }
}

impl QueryClient {
    /// The client for this SdkConfig (credentials, sleep, retries), the
    /// provider's endpoint override and the region requests are signed for.
    pub fn new(
        sdk: &SdkConfig,
        service: Service,
        endpoint_override: Option<&str>,
        region: &str,
    ) -> QueryClient {
        let mut settings = HttpConnectorSettings::builder()
            .connect_timeout(Duration::from_millis(3100))
            .read_timeout(Duration::from_secs(60));
        if let Some(t) = sdk.timeout_config().and_then(|t| t.connect_timeout()) {
            settings = settings.connect_timeout(t);
        }
        let mut connector =
            aws_smithy_http_client::Connector::builder().connector_settings(settings.build());
        if let Some(sleep) = sdk.sleep_impl() {
            connector = connector.sleep_impl(sleep);
        }
        let connector = connector
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build();
        QueryClient {
            service,
            endpoint: endpoint(sdk, &service, endpoint_override, region),
            region: region.to_string(),
            credentials: sdk.credentials_provider(),
            connector: SharedHttpConnector::new(connector),
            max_attempts: sdk
                .retry_config()
                .map(|r| r.max_attempts())
                .unwrap_or(3)
                .max(1),
            attempt_timeout: sdk
                .timeout_config()
                .and_then(|t| t.operation_attempt_timeout())
                .unwrap_or(super::timeouts::DEFAULT_ATTEMPT_TIMEOUT),
            operation_timeout: sdk
                .timeout_config()
                .and_then(|t| t.operation_timeout())
                .unwrap_or(super::timeouts::DEFAULT_OPERATION_TIMEOUT),
            stop: Default::default(),
        }
    }

    /// Requests abandoned once `stop` is cancelled (StopProvider).
    pub fn stoppable(self, stop: &tokio_util::sync::CancellationToken) -> QueryClient {
        QueryClient {
            connector: super::cancel::stoppable_connector(self.connector, stop.clone()),
            stop: stop.clone(),
            ..self
        }
    }

    /// One action with retries: the answer's body, or the last failure with
    /// the action named in its text.
    pub async fn call(&self, action: &str, params: &[(String, String)]) -> Result<String, Failure> {
        let limit = self.operation_timeout;
        let failed = match tokio::time::timeout(limit, self.call_retrying(action, params)).await {
            Ok(Ok(body)) => return Ok(body),
            Ok(Err(f)) => f,
            Err(_) => Failure {
                status: None,
                code: None,
                text: format!("no answer within {limit:?} (api_operation_timeout)"),
            },
        };
        let text = format!(
            "calling {}:{action}: {}",
            self.service.signing_name, failed.text
        );
        Err(Failure { text, ..failed })
    }

    async fn call_retrying(
        &self,
        action: &str,
        params: &[(String, String)],
    ) -> Result<String, Failure> {
        let mut attempt = 1;
        loop {
            match self.call_once(action, params).await {
                Err(f)
                    if f.retryable()
                        && attempt < self.max_attempts
                        && !self.stop.is_cancelled() =>
                {
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                answer => return answer,
            }
        }
    }

    /// One request, within the attempt timeout.
    async fn call_once(
        &self,
        action: &str,
        params: &[(String, String)],
    ) -> Result<String, Failure> {
        let limit = self.attempt_timeout;
        match tokio::time::timeout(limit, self.request_once(action, params)).await {
            Ok(r) => r,
            Err(_) => Err(Failure {
                status: None,
                code: None,
                text: format!("no answer within {limit:?} (api_attempt_timeout)"),
            }),
        }
    }

    async fn request_once(
        &self,
        action: &str,
        params: &[(String, String)],
    ) -> Result<String, Failure> {
        let no_answer = |text: String| Failure {
            status: None,
            code: None,
            text,
        };
        let request = self.signed(action, params).await.map_err(no_answer)?;
        let response = self
            .connector
            .call(request)
            .await
            .map_err(|e| no_answer(super::errors::source_chain(&e)))?;
        let status = response.status().as_u16();
        let bytes = ByteStream::new(response.into_body())
            .collect()
            .await
            .map_err(|e| no_answer(super::errors::source_chain(&e)))?
            .into_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if (200..300).contains(&status) {
            return Ok(body);
        }
        Err(failure(status, &body))
    }

    /// The POST of `Action=…&Version=…&params`, signed with SigV4.
    async fn signed(
        &self,
        action: &str,
        params: &[(String, String)],
    ) -> Result<HttpRequest, String> {
        let provider = self
            .credentials
            .as_ref()
            .ok_or("no AWS credentials are configured")?;
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|e| super::errors::source_chain(&e))?;
        let body = form_body(action, self.service.version, params);
        let at = SystemTime::now();
        let to = Target {
            endpoint: &self.endpoint,
            region: &self.region,
            service: self.service.signing_name,
        };
        sign(&to, credentials.into(), at, body)
    }
}

/// Where a request goes, and for which region and service it is signed.
struct Target<'a> {
    endpoint: &'a str,
    region: &'a str,
    service: &'a str,
}

/// The POST of a form `body` to the target, signed with SigV4 at time `at`.
fn sign(
    to: &Target,
    identity: aws_smithy_runtime_api::client::identity::Identity,
    at: SystemTime,
    body: String,
) -> Result<HttpRequest, String> {
    let uri = format!("{}/", to.endpoint.trim_end_matches('/'));
    let host = host_of(&uri).ok_or_else(|| format!("the endpoint {uri} has no host"))?;
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let unsigned = [("content-type", content_type), ("host", host.as_str())];
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(to.region)
        .name(to.service)
        .time(at)
        .settings(aws_sigv4::http_request::SigningSettings::default())
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let signable = aws_sigv4::http_request::SignableRequest::new(
        "POST",
        uri.as_str(),
        unsigned.iter().copied(),
        aws_sigv4::http_request::SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _signature) = aws_sigv4::http_request::sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();

    let mut request = HttpRequest::new(SdkBody::from(body));
    request.set_method("POST").map_err(|e| e.to_string())?;
    request.set_uri(uri.as_str()).map_err(|e| e.to_string())?;
    let headers = request.headers_mut();
    for (k, v) in unsigned.iter().copied().chain(instructions.headers()) {
        let added = headers.try_insert(k.to_string(), v.to_string());
        added.map_err(|e| format!("header {k}: {e}"))?;
    }
    Ok(request)
}

/// `Action=…&Version=…&k=v…`, form-encoded.
fn form_body(action: &str, version: &str, params: &[(String, String)]) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("Action", action)
        .append_pair("Version", version);
    form.extend_pairs(params);
    form.finish()
}

/// The query protocol's list parameters: `Name.1`, `Name.2`, …
pub fn numbered(name: &str, values: &[String]) -> Vec<(String, String)> {
    let numbered = values.iter().enumerate();
    numbered
        .map(|(i, v)| (format!("{name}.{}", i + 1), v.clone()))
        .collect()
}

/// Exponential backoff with full jitter: up to 1 s, 2 s, 4 s, … capped at 20 s.
fn backoff(attempt: u32) -> Duration {
    let ceiling = 1000u64
        .saturating_mul(1 << attempt.saturating_sub(1).min(5))
        .min(20_000);
    use ring::rand::SecureRandom;
    let mut b = [0u8; 8];
    // No jitter rather than no retry if the system's randomness fails.
    let _ = ring::rand::SystemRandom::new().fill(&mut b);
    Duration::from_millis(u64::from_le_bytes(b) % ceiling.max(1))
}

/// The host (and port) of an endpoint URL.
fn host_of(uri: &str) -> Option<String> {
    let rest = uri.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let authority = authority.rsplit('@').next()?;
    (!authority.is_empty()).then(|| authority.to_string())
}

/// The endpoint, in the SDK's order of precedence.
fn endpoint(
    sdk: &SdkConfig,
    service: &Service,
    endpoint_override: Option<&str>,
    region: &str,
) -> String {
    if let Some(url) = endpoint_override {
        return url.to_string();
    }
    let key = ServiceConfigKey::builder()
        .service_id(service.service_id)
        .env(service.env)
        .profile(service.profile)
        .build()
        .ok();
    let configured = key.and_then(|k| sdk.service_config()?.load_config(k));
    if let Some(url) = configured.or_else(|| sdk.endpoint_url().map(str::to_string)) {
        return url;
    }
    let fips = sdk.use_fips().unwrap_or(false);
    let dual_stack = sdk.use_dual_stack().unwrap_or(false);
    regional_endpoint(service.host, region, fips, dual_stack)
}

/// `https://<host>[-fips].<region>.<dns suffix>` for the region's partition.
fn regional_endpoint(host: &str, region: &str, fips: bool, dual_stack: bool) -> String {
    let fips = if fips { "-fips" } else { "" };
    let suffix = if region.starts_with("cn-") {
        if dual_stack {
            "api.amazonwebservices.com.cn"
        } else {
            "amazonaws.com.cn"
        }
    } else if region.starts_with("us-isob-") {
        "sc2s.sgov.gov"
    } else if region.starts_with("us-iso-") {
        "c2s.ic.gov"
    } else if dual_stack {
        "api.aws"
    } else {
        "amazonaws.com"
    };
    format!("https://{host}{fips}.{region}.{suffix}")
}

/// The code and message of an error answer, EC2's
/// (`<Response><Errors><Error><Code>…<Message>…`) or SNS's and SQS's
/// (`<ErrorResponse><Error><Code>…`); the status and the start of the body
/// when it is neither (a proxy's page, an emulator's error).
fn failure(status: u16, body: &str) -> Failure {
    let (mut code, mut message) = (None, None);
    let mut doc = Document::new(body);
    if let Ok(mut root) = doc.root_element() {
        error_fields(&mut root, 3, &mut code, &mut message);
    }
    let text = match (&code, message) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.clone(),
        _ => {
            let line = body.split_whitespace().collect::<Vec<_>>().join(" ");
            let excerpt: String = line.chars().take(400).collect();
            format!("HTTP {status}: {excerpt}")
        }
    };
    Failure {
        status: Some(status),
        code,
        text,
    }
}

/// `Code` and `Message` anywhere within `depth` levels of `element`.
fn error_fields(
    element: &mut ScopedDecoder,
    depth: u32,
    code: &mut Option<String>,
    message: &mut Option<String>,
) {
    while let Some(mut child) = element.next_tag() {
        let name = child.start_el().local().to_string();
        match name.as_str() {
            "Code" => *code = try_data(&mut child).map(|t| t.to_string()).ok(),
            "Message" => *message = try_data(&mut child).map(|t| t.to_string()).ok(),
            _ if depth > 1 => error_fields(&mut child, depth - 1, code, message),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_give_code_and_message_or_the_raw_answer() {
        let body = "<Response><Errors><Error><Code>InvalidSubnetID.NotFound</Code>\
            <Message>The subnet ID 'subnet-9' does not exist</Message></Error></Errors>\
            <RequestID>r</RequestID></Response>";
        let f = failure(400, body);
        assert_eq!(f.code.as_deref(), Some("InvalidSubnetID.NotFound"));
        assert_eq!(
            f.text,
            "InvalidSubnetID.NotFound: The subnet ID 'subnet-9' does not exist"
        );
        assert!(!f.retryable());

        let throttled = failure(
            503,
            "<Response><Errors><Error><Code>RequestLimitExceeded</Code></Error></Errors></Response>",
        );
        assert_eq!(throttled.text, "RequestLimitExceeded");
        assert!(throttled.retryable());
        assert!(failure(
            400,
            "<Response><Errors><Error><Code>Throttling</Code></Error></Errors></Response>"
        )
        .retryable());

        let page = failure(502, "<html>\n<body>Bad   gateway</body></html>");
        assert_eq!(page.code, None);
        assert_eq!(
            page.text,
            "HTTP 502: <html> <body>Bad gateway</body></html>"
        );
        assert!(page.retryable());
        assert!(!failure(403, "denied").retryable());

        let sns = failure(
            404,
            "<ErrorResponse xmlns=\"https://sns.amazonaws.com/doc/2010-03-31/\"><Error>\
             <Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message>\
             </Error><RequestId>r</RequestId></ErrorResponse>",
        );
        assert_eq!(sns.code.as_deref(), Some("NotFound"));
        assert_eq!(sns.text, "NotFound: Topic does not exist");
    }

    /// The expected values are botocore's (SigV4Auth, the same request,
    /// credentials and time), so a request signed here is one AWS accepts.
    #[test]
    fn requests_are_signed_as_botocore_signs_them() {
        let credentials = aws_credential_types::Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "test",
        );
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160); // 2015-08-30T12:36:00Z
        let ids = ["subnet-0a".to_string(), "subnet-0b".to_string()];
        let body = form_body("DescribeSubnets", EC2.version, &numbered("SubnetId", &ids));
        let to = Target {
            endpoint: "https://ec2.us-east-1.amazonaws.com",
            region: "us-east-1",
            service: "ec2",
        };
        let request = sign(&to, credentials.into(), at, body).unwrap();
        assert_eq!(request.method(), "POST");
        assert_eq!(request.uri(), "https://ec2.us-east-1.amazonaws.com/");
        let h = request.headers();
        assert_eq!(h.get("x-amz-date"), Some("20150830T123600Z"));
        assert_eq!(h.get("host"), Some("ec2.us-east-1.amazonaws.com"));
        assert_eq!(
            h.get("authorization"),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ec2/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, \
                 Signature=a8e2852eb0104f22e492f801f1d2eec5c218bb16b2a3393cd9636540e7d8ee35"
            )
        );
        let sent = request.body().bytes().unwrap_or_default();
        assert_eq!(
            sent,
            b"Action=DescribeSubnets&Version=2016-11-15&SubnetId.1=subnet-0a&SubnetId.2=subnet-0b"
        );
    }

    #[test]
    fn the_body_is_form_encoded() {
        let params = numbered("GroupId", &["sg-1".to_string(), "a b&c".to_string()]);
        assert_eq!(
            form_body("DescribeSecurityGroups", EC2.version, &params),
            "Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1=sg-1&GroupId.2=a+b%26c"
        );
    }

    #[test]
    fn list_parameters_are_numbered_from_one() {
        let ids = ["subnet-a".to_string(), "subnet-b".to_string()];
        assert_eq!(
            numbered("SubnetId", &ids),
            vec![
                ("SubnetId.1".to_string(), "subnet-a".to_string()),
                ("SubnetId.2".to_string(), "subnet-b".to_string()),
            ]
        );
    }

    #[test]
    fn regional_endpoints_follow_the_partition_fips_and_dual_stack() {
        let cases = [
            (
                "us-east-1",
                false,
                false,
                "https://ec2.us-east-1.amazonaws.com",
            ),
            (
                "us-east-1",
                true,
                false,
                "https://ec2-fips.us-east-1.amazonaws.com",
            ),
            ("eu-west-1", false, true, "https://ec2.eu-west-1.api.aws"),
            (
                "cn-north-1",
                false,
                false,
                "https://ec2.cn-north-1.amazonaws.com.cn",
            ),
            (
                "us-iso-east-1",
                false,
                false,
                "https://ec2.us-iso-east-1.c2s.ic.gov",
            ),
            (
                "us-isob-east-1",
                false,
                false,
                "https://ec2.us-isob-east-1.sc2s.sgov.gov",
            ),
        ];
        for (region, fips, dual, want) in cases {
            assert_eq!(
                regional_endpoint("ec2", region, fips, dual),
                want,
                "{region}"
            );
        }
    }

    #[test]
    fn the_override_wins_then_the_global_endpoint_url_then_the_region() {
        let sdk = SdkConfig::builder()
            .endpoint_url("http://127.0.0.1:5000")
            .build();
        assert_eq!(
            endpoint(&sdk, &EC2, Some("http://ec2.local"), "us-east-1"),
            "http://ec2.local"
        );
        assert_eq!(
            endpoint(&sdk, &EC2, None, "us-east-1"),
            "http://127.0.0.1:5000"
        );
        let plain = SdkConfig::builder().build();
        assert_eq!(
            endpoint(&plain, &EC2, None, "eu-west-1"),
            "https://ec2.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            endpoint(&plain, &SQS, None, "eu-west-1"),
            "https://sqs.eu-west-1.amazonaws.com"
        );
    }

    #[test]
    fn hosts_keep_their_port() {
        assert_eq!(
            host_of("http://127.0.0.1:5000/").as_deref(),
            Some("127.0.0.1:5000")
        );
        assert_eq!(
            host_of("https://ec2.us-east-1.amazonaws.com/").as_deref(),
            Some("ec2.us-east-1.amazonaws.com")
        );
        assert_eq!(host_of("no-scheme"), None);
    }

    #[test]
    fn backoff_stays_under_its_ceiling() {
        for attempt in 1..10 {
            let cap = Duration::from_millis((1000u64 << (attempt - 1).min(5)).min(20_000));
            assert!(backoff(attempt) < cap, "attempt {attempt}");
        }
    }

    /// A silent endpoint: each attempt ends at the attempt timeout and the
    /// last failure names the service and the action.
    #[tokio::test]
    async fn a_silent_endpoint_times_out_naming_the_call() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for s in listener.incoming().flatten() {
                held.push(s);
            }
        });
        let credentials = aws_credential_types::Credentials::new("AKID", "SECRET", None, None, "t");
        let sdk = SdkConfig::builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .operation_attempt_timeout(Duration::from_millis(300))
                    .build(),
            )
            .build();
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = QueryClient::new(&sdk, SQS, Some(&endpoint), "us-east-1");
        let started = std::time::Instant::now();
        let f = client.call("SendMessage", &[]).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(
            f.text,
            "calling sqs:SendMessage: no answer within 300ms (api_attempt_timeout)"
        );
        assert!(f.retryable());
    }
}
