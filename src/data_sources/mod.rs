//! One file per data source; adding one is a new file plus a line in `all`.

pub mod cluster_configuration;
pub mod launch_function;
pub mod launch_profile;

use std::sync::Arc;

use crate::provider::ProviderData;
use crate::tfplugin::DataSource;

pub fn all(data: &Arc<ProviderData>) -> Vec<Arc<dyn DataSource>> {
    vec![
        Arc::new(launch_profile::LaunchProfileData::new(Arc::clone(data))),
        Arc::new(cluster_configuration::ClusterConfigurationData::new(
            Arc::clone(data),
        )),
        Arc::new(launch_function::LaunchFunctionData::new(Arc::clone(data))),
    ]
}
