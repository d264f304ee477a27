//! One file per data source; adding one is a new file plus a line in
//! [`crate::registry`].

pub mod cluster_configuration;
pub mod job_function;
pub mod launch_function;
pub mod launch_profile;
