//! terraform-provider-emr: govern how EMR clusters and EMR Serverless data
//! planes are launched. `tfplugin` speaks Terraform's protocol; `provider`,
//! `aws` and `resources` hold everything about AWS.

pub mod proto {
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}

#[macro_use]
pub mod tfplugin;
pub mod aws;
pub mod canonical;
pub mod configured;
pub mod data_sources;
pub mod emr;
pub mod iam;
pub mod launch;
pub mod metadata;
pub mod provider;
pub mod registry;
pub mod resources;
pub mod review;
pub mod validate;
