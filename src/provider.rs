//! The provider block: schema, validation, configure → AWS clients
//! ([`Configured`]), and the resources and data sources of the [`registry`].

use std::sync::Arc;

use async_trait::async_trait;

use crate::aws::{self, AssumeRole, Settings, ENDPOINT_SERVICES};
use crate::configured::{Configured, ProviderData};
use crate::registry;
use crate::tfplugin::{
    AttrPath, Attribute, Block, Ctx, DataSource, Diagnostic, Diagnostics, NestedBlock, Provider,
    Resource, Schema, Type, Value,
};
use crate::validate;

pub const DEFAULT_METADATA_PREFIX: &str = "/emr_launch";
pub const DEFAULT_MAX_RETRIES: u32 = 25;

pub struct EmrProvider {
    data: Arc<ProviderData>,
}

impl Default for EmrProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl EmrProvider {
    pub fn new() -> EmrProvider {
        EmrProvider {
            data: Arc::new(ProviderData::default()),
        }
    }
}

pub fn provider_schema() -> Schema {
    let mut endpoints =
        Block::new().desc("Per-service endpoint URLs, overriding AWS_ENDPOINT_URL[_SERVICE].");
    for s in ENDPOINT_SERVICES {
        endpoints = endpoints.attr(
            Attribute::optional(s, Type::String).desc(&format!("Endpoint URL for the {s} API.")),
        );
    }
    Schema::new(
        Block::new()
            .desc("Governs how EMR clusters and EMR Serverless data planes are launched.")
            .attr(Attribute::optional("region", Type::String).desc("AWS region. Else AWS_REGION / AWS_DEFAULT_REGION / the profile's region."))
            .attr(Attribute::optional("profile", Type::String).desc("Shared config / credentials profile."))
            .attr(
                Attribute::optional("default_tags", Type::map(Type::String))
                    .desc("Tags merged into the `tags` of every taggable resource (the resource's own tags win)."),
            )
            .attr(
                Attribute::optional("metadata_prefix", Type::String)
                    .desc(&format!("SSM Parameter Store root for launch metadata. Defaults to `{DEFAULT_METADATA_PREFIX}`.")),
            )
            .attr(
                Attribute::optional("api_attempt_timeout", Type::String)
                    .desc("How long one request to AWS may take before it is abandoned and retried (like any transient error, up to `max_retries`), as a duration like `30s` or `2m`, from 1s to 1h. Defaults to `60s`."),
            )
            .attr(
                Attribute::optional("api_operation_timeout", Type::String)
                    .desc("How long one AWS call may take in all, its retries and their back-off included, as a duration like `5m`, from 1s to 1h. Defaults to `15m`."),
            )
            .attr(
                Attribute::optional("max_retries", Type::Number)
                    .desc(&format!("How many times a throttled or transient AWS call is retried. Defaults to {DEFAULT_MAX_RETRIES}.")),
            )
            .block(
                NestedBlock::single(
                    "assume_role",
                    Block::new()
                        .desc("Assume this role for every AWS call (e.g. to deploy into a customer account).")
                        .attr(Attribute::required("role_arn", Type::String).desc("ARN of the role to assume."))
                        .attr(Attribute::optional("external_id", Type::String).sensitive().desc("External id the role's trust policy requires."))
                        .attr(Attribute::optional("session_name", Type::String).desc("Session name. Defaults to `terraform-provider-emr`."))
                        .attr(Attribute::optional("source_identity", Type::String).desc("Source identity set on the session.")),
                )
                .max(1),
            )
            .block(NestedBlock::single("endpoints", endpoints).max(1)),
    )
}

/// Rejects unknown values with a diagnostic naming the attribute, and checks
/// known ones. Used by both validate and configure.
fn check_config(config: &Value, require_known: bool) -> Diagnostics {
    let mut d = Diagnostics::new();
    let mut check = |path: AttrPath, v: &Value, f: &dyn Fn(&str) -> Result<(), String>| {
        if v.is_unknown() {
            if require_known {
                d.attr_error(
                    path,
                    "Provider configuration value is unknown",
                    "This value depends on a resource that is not created yet, and the provider needs it to configure itself (to reach AWS and to compute plan-time values). \
Apply that resource first (terraform apply -target=<address>), or configure this provider with a known value.",
                );
            }
            return;
        }
        if let Some(s) = v.as_str() {
            if let Err(msg) = f(s) {
                d.attr_error(path, "Invalid provider configuration", msg);
            }
        }
    };
    let any = |_: &str| Ok(());
    check(
        AttrPath::attr("region"),
        config.get("region"),
        &validate::aws_region,
    );
    check(AttrPath::attr("profile"), config.get("profile"), &any);
    check(
        AttrPath::attr("metadata_prefix"),
        config.get("metadata_prefix"),
        &validate::ssm_prefix,
    );
    let ar = config.get("assume_role");
    if ar.is_unknown() {
        check(AttrPath::attr("assume_role"), ar, &any);
    }
    check(
        AttrPath::parse_dotted("assume_role.role_arn"),
        ar.get("role_arn"),
        &validate::iam_role_arn,
    );
    check(
        AttrPath::parse_dotted("assume_role.external_id"),
        ar.get("external_id"),
        &validate::external_id,
    );
    check(
        AttrPath::parse_dotted("assume_role.session_name"),
        ar.get("session_name"),
        &validate::sts_name,
    );
    check(
        AttrPath::parse_dotted("assume_role.source_identity"),
        ar.get("source_identity"),
        &validate::sts_name,
    );
    let ep = config.get("endpoints");
    if ep.is_unknown() {
        check(AttrPath::attr("endpoints"), ep, &any);
    }
    for s in ENDPOINT_SERVICES {
        check(
            AttrPath::attr("endpoints").push_attr(s),
            ep.get(s),
            &validate::endpoint_url,
        );
    }
    let tags = config.get("default_tags");
    match tags {
        Value::Map(m) => {
            for (k, v) in m {
                check(AttrPath::attr("default_tags").push_key(k), v, &any);
            }
        }
        other => check(AttrPath::attr("default_tags"), other, &any),
    }
    check(
        AttrPath::attr("api_attempt_timeout"),
        config.get("api_attempt_timeout"),
        &|t| match attempt_timeout(t) {
            Some(_) => Ok(()),
            None => Err(format!(
                "api_attempt_timeout must be a duration from 1s to 1h, like 30s or 2m; got {t:?}."
            )),
        },
    );
    check(
        AttrPath::attr("api_operation_timeout"),
        config.get("api_operation_timeout"),
        &|t| match attempt_timeout(t) {
            Some(_) => Ok(()),
            None => Err(format!(
                "api_operation_timeout must be a duration from 1s to 1h, like 5m or 90s; got {t:?}."
            )),
        },
    );
    let retries = config.get("max_retries");
    if retries.is_unknown() {
        check(AttrPath::attr("max_retries"), retries, &any);
    } else if let Some(n) = retries.as_number() {
        if !n.to_i64().is_some_and(|i| (0..=100).contains(&i)) {
            d.attr_error(
                AttrPath::attr("max_retries"),
                "Invalid provider configuration",
                format!("max_retries must be a whole number from 0 to 100, got {n}."),
            );
        }
    }
    d
}

/// A request time limit: a duration from 1 s to 1 h.
fn attempt_timeout(s: &str) -> Option<std::time::Duration> {
    let d = crate::validate::parse_duration(s)?;
    let range = std::time::Duration::from_secs(1)..=std::time::Duration::from_secs(3600);
    range.contains(&d).then_some(d)
}

fn opt_string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

#[async_trait]
impl Provider for EmrProvider {
    fn type_name(&self) -> &'static str {
        "emr"
    }

    fn schema(&self) -> Schema {
        provider_schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        check_config(config, false)
    }

    async fn configure(&self, ctx: &Ctx, config: &Value, _terraform_version: &str) -> Diagnostics {
        let d = check_config(config, true);
        if d.has_errors() {
            return d;
        }
        let ar = config.get("assume_role");
        let settings = Settings {
            region: opt_string(config.get("region")),
            profile: opt_string(config.get("profile")),
            assume_role: ar.str_attr("role_arn").map(|arn| AssumeRole {
                role_arn: arn.to_string(),
                external_id: opt_string(ar.get("external_id")),
                session_name: opt_string(ar.get("session_name")),
                source_identity: opt_string(ar.get("source_identity")),
            }),
            endpoints: ENDPOINT_SERVICES
                .iter()
                .filter_map(|s| {
                    config
                        .get("endpoints")
                        .str_attr(s)
                        .map(|u| (s.to_string(), u.to_string()))
                })
                .collect(),
            max_retries: config
                .get("max_retries")
                .as_i64()
                .and_then(|i| u32::try_from(i).ok())
                .unwrap_or(DEFAULT_MAX_RETRIES),
            attempt_timeout: config
                .get("api_attempt_timeout")
                .as_str()
                .and_then(attempt_timeout),
            operation_timeout: config
                .get("api_operation_timeout")
                .as_str()
                .and_then(attempt_timeout),
            stop: ctx.cancel.clone(),
        };
        let aws = match aws::connect(&settings).await {
            Ok(a) => a,
            Err(msg) => {
                return Diagnostic::error("Could not configure the emr provider", msg).into()
            }
        };
        crate::info!("configured", "account" => aws.account_id, "region" => aws.region, "partition" => aws.partition);
        let default_tags = config
            .get("default_tags")
            .as_attrs()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        self.data.set(Configured {
            aws,
            default_tags,
            metadata_prefix: opt_string(config.get("metadata_prefix"))
                .unwrap_or_else(|| DEFAULT_METADATA_PREFIX.to_string()),
        });
        Diagnostics::new()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        registry::resources(&self.data)
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        registry::data_sources(&self.data)
    }
}
