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
        ec2: &super::ec2::Ec2,
        ids: &[String],
    ) -> Result<Zones, String> {
        let mut key = ids.to_vec();
        key.sort();
        key.dedup();
        let cell = cell(&self.zones, key.clone());
        let zones = cell
            .get_or_try_init(|| async {
                let zones = ec2.describe_subnets(&key).await?;
                Ok::<_, String>(zones.into_iter().collect())
            })
            .await?;
        Ok(zones.clone())
    }

    /// Whether this security group exists.
    pub async fn security_group_exists(
        &self,
        ec2: &super::ec2::Ec2,
        id: &str,
    ) -> Result<bool, String> {
        let cell = cell(&self.groups, id.to_string());
        let found = cell
            .get_or_try_init(|| async { ec2.security_group_exists(id).await })
            .await?;
        Ok(*found)
    }
}
