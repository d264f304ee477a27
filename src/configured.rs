//! What the provider's configuration produces and every resource and data
//! source reads: the AWS clients and provider-wide settings, behind the
//! shared handle that ConfigureProvider fills.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crate::aws::AwsClients;
use crate::tfplugin::{Diagnostic, Diagnostics};

/// What every resource gets once the provider is configured.
#[derive(Debug)]
pub struct Configured {
    pub aws: AwsClients,
    pub default_tags: BTreeMap<String, String>,
    pub metadata_prefix: String,
}

/// Shared between the provider and its resources; filled by ConfigureProvider.
#[derive(Debug, Default)]
pub struct ProviderData(RwLock<Option<Arc<Configured>>>);

impl ProviderData {
    pub fn get(&self) -> Result<Arc<Configured>, Diagnostics> {
        let g = match self.0.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.clone().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "The emr provider was not configured before use; this is a bug in Terraform or the provider.",
            )
            .into()
        })
    }
    pub fn set(&self, c: Configured) {
        let mut g = match self.0.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        *g = Some(Arc::new(c));
    }
}

/// Where plan-time ARNs point: the configured partition, account and region.
#[derive(Clone, Debug, Default)]
pub struct ArnScope {
    pub partition: String,
    pub account: String,
    pub region: String,
}

pub fn env_of(c: &Configured) -> ArnScope {
    ArnScope {
        partition: c.aws.partition.clone(),
        account: c.aws.account_id.clone(),
        region: c.aws.region.clone(),
    }
}

/// The IAM builders' view of the same scope.
impl<'a> From<&'a ArnScope> for crate::iam::Scope<'a> {
    fn from(env: &'a ArnScope) -> crate::iam::Scope<'a> {
        crate::iam::Scope {
            partition: &env.partition,
            account: &env.account,
            region: &env.region,
        }
    }
}
