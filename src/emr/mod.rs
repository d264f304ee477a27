//! EMR documents: what a cluster configuration says, as the RunJobFlow
//! request and metadata it describes, and what a launch may override. Pure:
//! no AWS calls, everything is known at plan from Terraform's values.

pub mod cluster;
pub mod overrides;
pub mod runtime_configuration;
pub mod serverless_settings;
