//! AWS client construction: one SdkConfig from aws-config (standard
//! credential chain, AWS_ENDPOINT_URL[_SERVICE], standard retries), optional
//! role assumption, per-service endpoint overrides, and the caller's account
//! and partition for plan-time ARNs.

pub mod answer_lost;
mod assume_role;
pub mod cancel;
pub mod ec2;
pub mod errors;
pub mod iam_roles;
pub mod managed_role;
pub mod network;
pub mod notify;
pub mod query;
pub mod state_machine;
pub mod timeouts;

use std::collections::BTreeMap;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};

pub use errors::{error_code, error_message, is_not_found};

/// The service keys of the provider's `endpoints` block.
pub const ENDPOINT_SERVICES: [&str; 13] = [
    "iam",
    "sts",
    "ssm",
    "emr",
    "emrserverless",
    "sfn",
    "lambda",
    "secretsmanager",
    "kms",
    "s3",
    "ec2",
    "sns",
    "sqs",
];

#[derive(Clone, Debug, Default)]
pub struct AssumeRole {
    pub role_arn: String,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
    pub source_identity: Option<String>,
}

/// What the provider block says about reaching AWS.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub assume_role: Option<AssumeRole>,
    pub endpoints: BTreeMap<String, String>,
    pub max_retries: u32,
    /// Each request's time limit (None: the default).
    pub attempt_timeout: Option<std::time::Duration>,
    /// Each call's time limit, retries included (None: the default).
    pub operation_timeout: Option<std::time::Duration>,
    /// StopProvider: every request in flight or later is abandoned.
    pub stop: tokio_util::sync::CancellationToken,
}

/// Configured clients and the facts every resource needs at plan time.
#[derive(Clone, Debug)]
pub struct AwsClients {
    pub sdk: SdkConfig,
    pub region: String,
    pub account_id: String,
    pub partition: String,
    /// The ARN of the identity Terraform runs as.
    pub caller_arn: String,
    endpoints: BTreeMap<String, String>,
    pub emr: aws_sdk_emr::Client,
    pub iam: aws_sdk_iam::Client,
    pub ssm: aws_sdk_ssm::Client,
    /// DescribeSubnets / DescribeSecurityGroups (src/aws/ec2.rs says why not the SDK).
    pub ec2: ec2::Ec2,
    pub emrserverless: aws_sdk_emrserverless::Client,
    pub sfn: aws_sdk_sfn::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub secretsmanager: aws_sdk_secretsmanager::Client,
    /// Plan-time subnet and security group lookups, once per process.
    pub network: std::sync::Arc<network::NetworkLookups>,
    /// StopProvider (clients made later, e.g. for SNS and SQS, honour it too).
    pub stop: tokio_util::sync::CancellationToken,
}

impl AwsClients {
    pub fn endpoint(&self, service: &str) -> Option<&str> {
        self.endpoints.get(service).map(String::as_str)
    }

    /// An ARN in this account and partition.
    pub fn arn(&self, service: &str, region: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{region}:{}:{resource}",
            self.partition, self.account_id
        )
    }
}

/// A service client from the shared SdkConfig, with the provider's endpoint
/// override for that service when one is set.
macro_rules! service_client {
    ($krate:ident, $key:literal, $sdk:expr, $endpoints:expr) => {{
        let mut b = $krate::config::Builder::from($sdk).interceptor(timeouts::NameTimeouts);
        if let Some(url) = $endpoints.get($key) {
            b = b.endpoint_url(url);
        }
        $krate::Client::from_conf(b.build())
    }};
}

fn sts_client(sdk: &SdkConfig, endpoints: &BTreeMap<String, String>) -> aws_sdk_sts::Client {
    service_client!(aws_sdk_sts, "sts", sdk, endpoints)
}

const CREDENTIAL_SOURCES: &str =
    "environment variables (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), \
the shared config and credentials files (AWS_PROFILE or the provider's profile), SSO, web identity \
(AWS_WEB_IDENTITY_TOKEN_FILE), the ECS container endpoint and EC2 instance metadata";

/// The SDK's HTTPS client on rustls with ring, the crypto the plugin's own
/// TLS uses: one provider, and no aws-lc entropy seeding at start-up.
fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// Builds the clients and asks STS who we are.
pub async fn connect(settings: &Settings) -> Result<AwsClients, String> {
    let attempt = settings
        .attempt_timeout
        .unwrap_or(timeouts::DEFAULT_ATTEMPT_TIMEOUT);
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(cancel::stoppable(https_client(), settings.stop.clone()))
        // Adaptive: after throttling, the client also slows its own rate.
        .retry_config(
            RetryConfig::adaptive().with_max_attempts(settings.max_retries.saturating_add(1)),
        )
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .operation_attempt_timeout(attempt)
                .operation_timeout(
                    settings
                        .operation_timeout
                        .unwrap_or(timeouts::DEFAULT_OPERATION_TIMEOUT),
                )
                .build(),
        );
    if let Some(r) = &settings.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(p) = &settings.profile {
        loader = loader.profile_name(p);
    }
    let mut sdk = loader.load().await;
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .ok_or("No AWS region is configured: set `region` in the provider block, or AWS_REGION / AWS_DEFAULT_REGION, or a region in the shared config profile.")?;

    let base_creds = sdk
        .credentials_provider()
        .ok_or_else(|| format!("No AWS credentials found. Tried {CREDENTIAL_SOURCES}."))?;
    if let Err(e) = base_creds.provide_credentials().await {
        return Err(format!(
            "No AWS credentials found. Tried {CREDENTIAL_SOURCES}. Configure one of them, or set `profile`. ({})",
            errors::source_chain(&e)
        ));
    }

    if let Some(ar) = &settings.assume_role {
        let provider = assume_role::AssumeRoleCredentials::new(
            sts_client(&sdk, &settings.endpoints),
            ar.clone(),
        );
        if let Err(e) = provider.provide_credentials().await {
            return Err(format!(
                "assuming role {} (assume_role.role_arn): {}",
                ar.role_arn,
                errors::source_chain(&e)
            ));
        }
        sdk = sdk
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
    }

    let who = sts_client(&sdk, &settings.endpoints)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| {
            format!(
                "calling sts:GetCallerIdentity to learn the account: {}",
                errors::describe(&e)
            )
        })?;
    let caller_arn = who.arn().unwrap_or_default().to_string();
    let account_id = who.account().unwrap_or_default().to_string();
    let partition = crate::validate::parse_arn(&caller_arn)
        .map(|a| a.partition.to_string())
        .unwrap_or_else(|| "aws".into());
    if account_id.is_empty() {
        return Err("sts:GetCallerIdentity returned no account id".into());
    }
    Ok(AwsClients {
        emr: service_client!(aws_sdk_emr, "emr", &sdk, &settings.endpoints),
        iam: service_client!(aws_sdk_iam, "iam", &sdk, &settings.endpoints),
        ssm: service_client!(aws_sdk_ssm, "ssm", &sdk, &settings.endpoints),
        ec2: ec2::Ec2::new(
            &sdk,
            settings.endpoints.get("ec2").map(String::as_str),
            &region,
            &settings.stop,
        ),
        emrserverless: service_client!(
            aws_sdk_emrserverless,
            "emrserverless",
            &sdk,
            &settings.endpoints
        ),
        sfn: service_client!(aws_sdk_sfn, "sfn", &sdk, &settings.endpoints),
        lambda: service_client!(aws_sdk_lambda, "lambda", &sdk, &settings.endpoints),
        secretsmanager: service_client!(
            aws_sdk_secretsmanager,
            "secretsmanager",
            &sdk,
            &settings.endpoints
        ),
        sdk,
        region,
        account_id,
        partition,
        caller_arn,
        endpoints: settings.endpoints.clone(),
        network: Default::default(),
        stop: settings.stop.clone(),
    })
}
