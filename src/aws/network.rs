//! Plan-time network lookups: the availability zones of subnets and whether
//! security groups exist. Terraform plans many data planes at once, usually
//! on the same network, so each set of ids is looked up once per provider
//! process (concurrent plans wait for the one lookup); failures are not kept,
//! so the next plan asks again.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

type Cell<T> = Arc<OnceCell<T>>;

/// Subnet id → availability zone, for the subnets that exist.
pub type Zones = BTreeMap<String, String>;

#[derive(Debug, Default)]
pub struct NetworkLookups {
    zones: Mutex<HashMap<Vec<String>, Cell<Zones>>>,
    groups: Mutex<HashMap<String, Cell<bool>>>,
}

/// The cell for `key`, made on first use.
fn cell<K: std::hash::Hash + Eq, T>(map: &Mutex<HashMap<K, Cell<T>>>, key: K) -> Cell<T> {
    let mut m = match map.lock() {
        Ok(m) => m,
        Err(poisoned) => poisoned.into_inner(),
    };
    m.entry(key).or_default().clone()
}

impl NetworkLookups {
    /// The zones of these subnets (those that exist).
    pub async fn subnet_zones(
        &self,
        ec2: &aws_sdk_ec2::Client,
        ids: &[String],
    ) -> Result<Zones, String> {
        let mut key = ids.to_vec();
        key.sort();
        key.dedup();
        let cell = cell(&self.zones, key.clone());
        let zones = cell
            .get_or_try_init(|| async {
                let out = ec2
                    .describe_subnets()
                    .set_subnet_ids(Some(key))
                    .send()
                    .await;
                let out = out.map_err(|e| super::errors::describe(&e))?;
                let zones = out.subnets().iter().filter_map(|s| {
                    Some((
                        s.subnet_id()?.to_string(),
                        s.availability_zone()?.to_string(),
                    ))
                });
                Ok::<_, String>(zones.collect())
            })
            .await?;
        Ok(zones.clone())
    }

    /// Whether this security group exists.
    pub async fn security_group_exists(
        &self,
        ec2: &aws_sdk_ec2::Client,
        id: &str,
    ) -> Result<bool, String> {
        let cell = cell(&self.groups, id.to_string());
        let found = cell
            .get_or_try_init(|| async {
                let out = ec2.describe_security_groups().group_ids(id).send().await;
                let out = out.map_err(|e| super::errors::describe(&e))?;
                Ok::<_, String>(!out.security_groups().is_empty())
            })
            .await?;
        Ok(*found)
    }
}
