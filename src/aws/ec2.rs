//! The two EC2 reads the provider makes at plan time, DescribeSubnets and
//! DescribeSecurityGroups, over the EC2 query protocol. They are signed with
//! SigV4 from the SdkConfig's credentials (the same chain and assumed role as
//! every SDK client), sent by the same rustls-ring connector (proxy settings
//! from the environment, as the SDK's), and retried on throttling, 5xx and
//! transport errors up to the provider's `max_retries`. The endpoint follows
//! the SDK's precedence: the provider's `endpoints.ec2`, AWS_ENDPOINT_URL_EC2
//! or the profile's `ec2` services entry, AWS_ENDPOINT_URL, then the regional
//! endpoint (FIPS and dual-stack honoured).
//!
//! Why not aws-sdk-ec2: for these two calls it was 600 s of a 10-minute
//! release build (the critical path) and megabytes of binary.

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

/// The EC2 API version these requests are written against.
const VERSION: &str = "2016-11-15";

#[derive(Clone, Debug)]
pub struct Ec2 {
    endpoint: String,
    region: String,
    credentials: Option<SharedCredentialsProvider>,
    connector: SharedHttpConnector,
    max_attempts: u32,
}

/// An EC2 answer that was not a success.
#[derive(Debug, PartialEq)]
struct Failure {
    status: Option<u16>,
    code: Option<String>,
    text: String,
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

impl Ec2 {
    /// The client for this SdkConfig (region, credentials, sleep) and the
    /// provider's endpoint override.
    pub fn new(sdk: &SdkConfig, endpoint_override: Option<&str>, region: &str) -> Ec2 {
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
        Ec2 {
            endpoint: endpoint(sdk, endpoint_override, region),
            region: region.to_string(),
            credentials: sdk.credentials_provider(),
            connector: SharedHttpConnector::new(connector),
            max_attempts: sdk
                .retry_config()
                .map(|r| r.max_attempts())
                .unwrap_or(3)
                .max(1),
        }
    }

    /// Subnet id → availability zone, for each of `ids`. EC2 refuses the
    /// whole call (InvalidSubnetID.NotFound) when one of them does not exist.
    pub async fn describe_subnets(&self, ids: &[String]) -> Result<Vec<(String, String)>, String> {
        let params = numbered("SubnetId", ids);
        let body = self
            .call("DescribeSubnets", &params)
            .await
            .map_err(|f| f.text)?;
        subnet_zones(&body).map_err(|e| format!("reading the DescribeSubnets answer: {e}"))
    }

    /// Whether the security group exists.
    pub async fn security_group_exists(&self, id: &str) -> Result<bool, String> {
        let params = numbered("GroupId", &[id.to_string()]);
        match self.call("DescribeSecurityGroups", &params).await {
            Ok(body) => {
                let ids = group_ids(&body)
                    .map_err(|e| format!("reading the DescribeSecurityGroups answer: {e}"))?;
                Ok(ids.iter().any(|g| g == id))
            }
            Err(f) if f.code.as_deref() == Some("InvalidGroup.NotFound") => Ok(false),
            Err(f) => Err(f.text),
        }
    }

    /// One action with retries: the answer's body, or the last failure with
    /// the action named in its text.
    async fn call(&self, action: &str, params: &[(String, String)]) -> Result<String, Failure> {
        let mut attempt = 1;
        loop {
            match self.call_once(action, params).await {
                Ok(body) => return Ok(body),
                Err(f) if f.retryable() && attempt < self.max_attempts => {
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                Err(f) => {
                    let text = format!("calling ec2:{action}: {}", f.text);
                    return Err(Failure { text, ..f });
                }
            }
        }
    }

    async fn call_once(
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
        let body = form_body(action, params);
        let at = SystemTime::now();
        sign(&self.endpoint, &self.region, credentials.into(), at, body)
    }
}

/// The POST of a form `body` to `endpoint`, signed with SigV4 for ec2 in
/// `region` at time `at`.
fn sign(
    endpoint: &str,
    region: &str,
    identity: aws_smithy_runtime_api::client::identity::Identity,
    at: SystemTime,
    body: String,
) -> Result<HttpRequest, String> {
    let uri = format!("{}/", endpoint.trim_end_matches('/'));
    let host = host_of(&uri).ok_or_else(|| format!("the EC2 endpoint {uri} has no host"))?;
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let unsigned = [("content-type", content_type), ("host", host.as_str())];
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("ec2")
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
fn form_body(action: &str, params: &[(String, String)]) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("Action", action)
        .append_pair("Version", VERSION);
    form.extend_pairs(params);
    form.finish()
}

/// EC2's list parameters: `Name.1`, `Name.2`, …
fn numbered(name: &str, values: &[String]) -> Vec<(String, String)> {
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
fn endpoint(sdk: &SdkConfig, endpoint_override: Option<&str>, region: &str) -> String {
    if let Some(url) = endpoint_override {
        return url.to_string();
    }
    let key = ServiceConfigKey::builder()
        .service_id("EC2")
        .env("AWS_ENDPOINT_URL_EC2")
        .profile("ec2")
        .build()
        .ok();
    let service = key.and_then(|k| sdk.service_config()?.load_config(k));
    if let Some(url) = service.or_else(|| sdk.endpoint_url().map(str::to_string)) {
        return url;
    }
    let fips = sdk.use_fips().unwrap_or(false);
    let dual_stack = sdk.use_dual_stack().unwrap_or(false);
    regional_endpoint(region, fips, dual_stack)
}

/// `https://ec2[-fips].<region>.<dns suffix>` for the region's partition.
fn regional_endpoint(region: &str, fips: bool, dual_stack: bool) -> String {
    let host = if fips { "ec2-fips" } else { "ec2" };
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
    format!("https://{host}.{region}.{suffix}")
}

/// The code and message of an EC2 error answer
/// (`<Response><Errors><Error><Code>…<Message>…`); the status and the start
/// of the body when it is not one (a proxy's page, an emulator's error).
fn failure(status: u16, body: &str) -> Failure {
    let mut code = None;
    let mut message = None;
    let mut doc = Document::new(body);
    if let Ok(mut root) = doc.root_element() {
        while let Some(mut errors) = root.next_tag() {
            while let Some(mut error) = errors.next_tag() {
                while let Some(mut field) = error.next_tag() {
                    let name = field.start_el().local().to_string();
                    let text = try_data(&mut field).map(|t| t.to_string()).ok();
                    match name.as_str() {
                        "Code" => code = text,
                        "Message" => message = text,
                        _ => {}
                    }
                }
            }
        }
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

/// The children of `<set>` elements named `set` in the answer's root, each
/// read by `item`.
fn items<T>(
    body: &str,
    set: &str,
    mut item: impl FnMut(&mut ScopedDecoder) -> Result<Option<T>, String>,
) -> Result<Vec<T>, String> {
    let mut doc = Document::new(body);
    let mut root = doc.root_element().map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(mut child) = root.next_tag() {
        if !child.start_el().matches(set) {
            continue;
        }
        while let Some(mut entry) = child.next_tag() {
            if let Some(v) = item(&mut entry)? {
                out.push(v);
            }
        }
    }
    Ok(out)
}

/// The text of the named direct children of an element, in `names` order.
fn fields<const N: usize>(
    element: &mut ScopedDecoder,
    names: [&str; N],
) -> Result<[Option<String>; N], String> {
    let mut out: [Option<String>; N] = std::array::from_fn(|_| None);
    while let Some(mut field) = element.next_tag() {
        let at = names.iter().position(|n| field.start_el().matches(n));
        if let Some(i) = at {
            out[i] = Some(try_data(&mut field).map_err(|e| e.to_string())?.to_string());
        }
    }
    Ok(out)
}

fn subnet_zones(body: &str) -> Result<Vec<(String, String)>, String> {
    items(body, "subnetSet", |item| {
        let [id, zone] = fields(item, ["subnetId", "availabilityZone"])?;
        Ok(id.zip(zone))
    })
}

fn group_ids(body: &str) -> Result<Vec<String>, String> {
    items(body, "securityGroupInfo", |item| {
        let [id] = fields(item, ["groupId"])?;
        Ok(id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBNETS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>
  <subnetSet>
    <item>
      <subnetId>subnet-0a</subnetId>
      <state>available</state>
      <tagSet><item><key>availabilityZone</key><value>decoy</value></item></tagSet>
      <availabilityZone>us-east-1a</availabilityZone>
    </item>
    <item>
      <ipv6CidrBlockAssociationSet><item><ipv6CidrBlock>2001:db8::/64</ipv6CidrBlock></item></ipv6CidrBlockAssociationSet>
      <subnetId>subnet-0b</subnetId>
      <availabilityZone>us-east-1b</availabilityZone>
    </item>
  </subnetSet>
</DescribeSubnetsResponse>"#;

    #[test]
    fn subnets_are_read_with_their_zones_and_nested_sets_ignored() {
        assert_eq!(
            subnet_zones(SUBNETS).unwrap(),
            vec![
                ("subnet-0a".to_string(), "us-east-1a".to_string()),
                ("subnet-0b".to_string(), "us-east-1b".to_string()),
            ]
        );
        let empty = "<DescribeSubnetsResponse><subnetSet/></DescribeSubnetsResponse>";
        assert_eq!(subnet_zones(empty).unwrap(), vec![]);
    }

    #[test]
    fn security_groups_are_read_by_id() {
        let body = r#"<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>r</requestId>
  <securityGroupInfo>
    <item><ownerId>123456789012</ownerId><groupId>sg-1</groupId><groupName>g</groupName>
      <ipPermissions><item><groups><item><groupId>sg-peer</groupId></item></groups></item></ipPermissions>
    </item>
  </securityGroupInfo>
</DescribeSecurityGroupsResponse>"#;
        assert_eq!(group_ids(body).unwrap(), vec!["sg-1".to_string()]);
    }

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
        let body = form_body("DescribeSubnets", &numbered("SubnetId", &ids));
        let endpoint = "https://ec2.us-east-1.amazonaws.com";
        let request = sign(endpoint, "us-east-1", credentials.into(), at, body).unwrap();
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
            form_body("DescribeSecurityGroups", &params),
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
            assert_eq!(regional_endpoint(region, fips, dual), want, "{region}");
        }
    }

    #[test]
    fn the_override_wins_then_the_global_endpoint_url_then_the_region() {
        let sdk = SdkConfig::builder()
            .endpoint_url("http://127.0.0.1:5000")
            .build();
        assert_eq!(
            endpoint(&sdk, Some("http://ec2.local"), "us-east-1"),
            "http://ec2.local"
        );
        assert_eq!(endpoint(&sdk, None, "us-east-1"), "http://127.0.0.1:5000");
        let plain = SdkConfig::builder().build();
        assert_eq!(
            endpoint(&plain, None, "eu-west-1"),
            "https://ec2.eu-west-1.amazonaws.com"
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
}
