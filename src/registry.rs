//! The provider's resources and data sources: adding one is a new file under
//! `resources/` or `data_sources/` plus a line here.

use std::sync::Arc;

use crate::configured::ProviderData;
use crate::data_sources::{cluster_configuration, job_function, launch_function, launch_profile};
use crate::resources::{
    cluster_configuration::ClusterConfiguration, job_function::JobFunction,
    launch_function::LaunchFunction, launch_profile::LaunchProfile, runtime_role::RuntimeRole,
    security_configuration::SecurityConfiguration, serverless_application::ServerlessApplication,
    serverless_dataplane::ServerlessDataplane,
};
use crate::tfplugin::{DataSource, Resource};

pub fn resources(data: &Arc<ProviderData>) -> Vec<Arc<dyn Resource>> {
    let d = || Arc::clone(data);
    vec![
        Arc::new(SecurityConfiguration::new(d())),
        Arc::new(RuntimeRole::new(d())),
        Arc::new(LaunchProfile::new(d())),
        Arc::new(ClusterConfiguration::new(d())),
        Arc::new(LaunchFunction::new(d())),
        Arc::new(ServerlessDataplane::new(d())),
        Arc::new(ServerlessApplication::new(d())),
        Arc::new(JobFunction::new(d())),
    ]
}

pub fn data_sources(data: &Arc<ProviderData>) -> Vec<Arc<dyn DataSource>> {
    let d = || Arc::clone(data);
    vec![
        Arc::new(launch_profile::LaunchProfileData::new(d())),
        Arc::new(cluster_configuration::ClusterConfigurationData::new(d())),
        Arc::new(launch_function::LaunchFunctionData::new(d())),
        Arc::new(job_function::JobFunctionData::new(d())),
    ]
}
