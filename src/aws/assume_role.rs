//! Credentials from sts:AssumeRole with the provider's external id, session
//! name and source identity (aws-config's provider has no source identity).
//! Clients cache the identity, so this runs once per expiry.

use aws_credential_types::provider::{self, error::CredentialsError, future, ProvideCredentials};
use aws_credential_types::Credentials;

use super::AssumeRole;

#[derive(Debug)]
pub struct AssumeRoleCredentials {
    sts: aws_sdk_sts::Client,
    role: AssumeRole,
}

impl AssumeRoleCredentials {
    pub fn new(sts: aws_sdk_sts::Client, role: AssumeRole) -> Self {
        AssumeRoleCredentials { sts, role }
    }

    async fn assume(&self) -> provider::Result {
        let r = &self.role;
        let out = self
            .sts
            .assume_role()
            .role_arn(&r.role_arn)
            .role_session_name(
                r.session_name
                    .clone()
                    .unwrap_or_else(|| "terraform-provider-emr".into()),
            )
            .set_external_id(r.external_id.clone())
            .set_source_identity(r.source_identity.clone())
            .send()
            .await
            .map_err(|e| CredentialsError::provider_error(super::errors::describe(&e)))?;
        let c = out.credentials().ok_or_else(|| {
            CredentialsError::provider_error("sts:AssumeRole returned no credentials")
        })?;
        let expiry = std::time::SystemTime::try_from(*c.expiration()).ok();
        Ok(Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            expiry,
            "AssumeRole",
        ))
    }
}

impl ProvideCredentials for AssumeRoleCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.assume())
    }
}
