//! Data source emr_launch_profile: a profile's computed attributes read from
//! its SSM metadata, so another workspace can bind to it.
//!
//! The role ARNs are what a launch passes to EMR, so they are not taken from
//! SSM on trust (seed 001 threat 2): with created roles they are derived from
//! namespace/name exactly as the resource names them, and the stored record
//! must agree; with declared roles the instance profile must hold the stored
//! instance role. A disagreement fails the read, naming both values.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value as J;

use crate::aws::managed_role;
use crate::configured::{env_of, ArnScope, Configured, ProviderData};
use crate::metadata::{self, Kind};
use crate::resources::launch_profile::{
    computed_attrs, instance_profile_arn, role_arn, role_names,
};
use crate::tfplugin::{
    Attribute, Block, Ctx, DataSource, Diagnostic, Diagnostics, Schema, Type, Value,
};

const TYPE_NAME: &str = "emr_launch_profile";

pub struct LaunchProfileData {
    data: Arc<ProviderData>,
}

impl LaunchProfileData {
    pub fn new(data: Arc<ProviderData>) -> Self {
        LaunchProfileData { data }
    }
}

pub fn data_schema() -> Schema {
    let b = Block::new()
        .desc("Reads an EMR Launch profile's metadata from SSM, e.g. from another workspace.")
        .attr(Attribute::computed("id", Type::String).desc("`namespace/name`."))
        .attr(Attribute::required("namespace", Type::String).desc("Namespace."))
        .attr(Attribute::required("name", Type::String).desc("Name."))
        .attr(Attribute::computed("description", Type::String).desc("Description."))
        .attr(
            Attribute::computed("security_configuration", Type::String)
                .desc("Security configuration name."),
        )
        .attr(Attribute::computed("logs_uri", Type::String).desc("Log location."))
        .attr(Attribute::computed("artifacts_uri", Type::String).desc("Artifacts location."))
        .attr(
            Attribute::computed("kerberos_attributes_secret_arn", Type::String)
                .desc("Kerberos attributes secret ARN."),
        );
    Schema::new(computed_attrs(b))
}

#[async_trait]
impl DataSource for LaunchProfileData {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }
    fn schema(&self) -> Schema {
        data_schema()
    }
    fn validate(&self, config: &Value) -> Diagnostics {
        metadata::check_namespace_and_name(config)
    }
    async fn read(&self, _ctx: &Ctx, config: &Value) -> Result<Value, Diagnostics> {
        let c = self.data.get()?;
        let (Some(ns), Some(n)) = (config.str_attr("namespace"), config.str_attr("name")) else {
            return Err(Diagnostic::error("Missing namespace or name", "").into());
        };
        let rec = metadata::read_record(&c, Kind::Profile, ns, n).await?;
        let d = &rec.json;
        let s = |k: &str| {
            d.get(k)
                .and_then(J::as_str)
                .map(Value::string)
                .unwrap_or(Value::Null)
        };
        let env = env_of(&c);
        let roles = checked_roles(&c, &env, ns, n, d)
            .await
            .map_err(|e| rec.error(format!("{e} (parameter {})", rec.parameter_name)))?;
        let mut st = data_schema().block.empty_value();
        rec.set_identity(&mut st);
        st.set_attr("description", s("Description"));
        st.set_attr("security_configuration", s("SecurityConfiguration"));
        st.set_attr("logs_uri", s("LogsUri"));
        st.set_attr("artifacts_uri", s("ArtifactsUri"));
        st.set_attr(
            "kerberos_attributes_secret_arn",
            s("KerberosAttributesSecretArn"),
        );
        st.set_attr("service_role_arn", Value::String(roles.service));
        st.set_attr("instance_role_arn", Value::String(roles.instance));
        st.set_attr(
            "instance_profile_arn",
            Value::String(roles.instance_profile),
        );
        st.set_attr("autoscaling_role_arn", Value::String(roles.autoscaling));
        Ok(st)
    }
}

/// The role ARNs a profile's metadata may be trusted with.
#[derive(Debug, PartialEq)]
pub struct Roles {
    pub service: String,
    pub instance: String,
    pub instance_profile: String,
    pub autoscaling: String,
}

fn stored<'a>(d: &'a J, key: &str) -> &'a str {
    d.get(key).and_then(J::as_str).unwrap_or_default()
}

const TAMPERED: &str = "the stored metadata was changed outside Terraform; re-apply the profile's workspace to restore it";

/// Why `arn` is not an ARN of the provider's partition and account, if it is not.
fn foreign(env: &ArnScope, arn: &str) -> Option<String> {
    match crate::validate::parse_arn(arn) {
        Some(a) if a.partition == env.partition && a.account == env.account => None,
        Some(a) => Some(format!(
            "it is in partition {} account {}, not the provider's {} account {}",
            a.partition, a.account, env.partition, env.account
        )),
        None => Some("it is not an ARN".to_string()),
    }
}

/// With created roles (RolesCreated = true): the ARNs the resource derives
/// from namespace/name, or why the stored record disagrees.
pub fn created_roles(env: &ArnScope, namespace: &str, name: &str, d: &J) -> Result<Roles, String> {
    let names = role_names(namespace, name);
    let want = Roles {
        service: role_arn(env, &names.service),
        instance: role_arn(env, &names.instance),
        instance_profile: instance_profile_arn(env, &names.instance),
        autoscaling: role_arn(env, &names.autoscaling),
    };
    for (key, expected) in [
        ("ServiceRole", &want.service),
        ("InstanceRole", &want.instance),
        ("InstanceProfile", &want.instance_profile),
        ("AutoScalingRole", &want.autoscaling),
    ] {
        let got = stored(d, key);
        if got != expected {
            let why = foreign(env, got)
                .map(|w| format!(" ({w})"))
                .unwrap_or_default();
            return Err(format!(
                "the profile {namespace}/{name} creates its roles, so {key} must be {expected:?}, but the stored record says {got:?}{why}; {TAMPERED}"
            ));
        }
    }
    Ok(want)
}

/// The stored role ARNs, checked against IAM and the profile's own names.
async fn checked_roles(
    c: &Configured,
    env: &ArnScope,
    namespace: &str,
    name: &str,
    d: &J,
) -> Result<Roles, String> {
    match d.get("RolesCreated").and_then(J::as_bool) {
        Some(true) => created_roles(env, namespace, name, d),
        Some(false) => declared_roles(c, env, namespace, name, d).await,
        None => Err(format!(
            "the stored record has no RolesCreated flag, so its roles cannot be checked; {TAMPERED}"
        )),
    }
}

/// With declared roles: the stored instance profile must exist and hold the
/// stored instance role; and the profile's created roles must not exist (a
/// record turned from created to declared roles would otherwise pass).
async fn declared_roles(
    c: &Configured,
    env: &ArnScope,
    namespace: &str,
    name: &str,
    d: &J,
) -> Result<Roles, String> {
    let iam = &c.aws.iam;
    let roles = Roles {
        service: stored(d, "ServiceRole").to_string(),
        instance: stored(d, "InstanceRole").to_string(),
        instance_profile: stored(d, "InstanceProfile").to_string(),
        autoscaling: stored(d, "AutoScalingRole").to_string(),
    };
    let names = role_names(namespace, name);
    if managed_role::find_arn(iam, &names.service).await?.is_some()
        && managed_role::find_arn(iam, &names.instance)
            .await?
            .is_some()
    {
        return Err(format!(
            "the stored record says the profile {namespace}/{name} uses declared roles (RolesCreated = false), but the roles it creates ({} and {}) exist; {TAMPERED}",
            names.service, names.instance
        ));
    }
    if let Some(why) = foreign(env, &roles.instance_profile) {
        return Err(format!(
            "the stored InstanceProfile {:?} cannot be checked: {why}; EMR uses instance profiles of the cluster's account",
            roles.instance_profile
        ));
    }
    let profile_name = roles
        .instance_profile
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let out = iam
        .get_instance_profile()
        .instance_profile_name(profile_name)
        .send()
        .await
        .map_err(|e| {
            format!(
                "reading the stored InstanceProfile {}: {}",
                roles.instance_profile,
                crate::aws::errors::describe(&e)
            )
        })?;
    let profile = out.instance_profile();
    let actual_profile = profile.map(|p| p.arn()).unwrap_or_default();
    if actual_profile != roles.instance_profile {
        return Err(format!(
            "the stored InstanceProfile is {:?}, but IAM's instance profile {profile_name} is {actual_profile:?}; {TAMPERED}",
            roles.instance_profile
        ));
    }
    let held: Vec<&str> = profile
        .map(|p| p.roles().iter().map(|r| r.arn()).collect())
        .unwrap_or_default();
    if held != [roles.instance.as_str()] {
        return Err(format!(
            "the stored InstanceRole is {:?}, but instance profile {} holds {}; {TAMPERED}",
            roles.instance,
            roles.instance_profile,
            if held.is_empty() {
                "no role".to_string()
            } else {
                format!("{held:?}")
            }
        ));
    }
    Ok(roles)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(partition: &str) -> ArnScope {
        ArnScope {
            partition: partition.into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
        }
    }

    fn record(partition: &str) -> J {
        let arn = |r: &str| format!("arn:{partition}:iam::123456789012:{r}");
        json!({
            "Namespace": "analytics", "Name": "default", "RolesCreated": true,
            "ServiceRole": arn("role/analytics-default-emr-service"),
            "InstanceRole": arn("role/analytics-default-emr-instance"),
            "InstanceProfile": arn("instance-profile/analytics-default-emr-instance"),
            "AutoScalingRole": arn("role/analytics-default-emr-autoscaling"),
        })
    }

    #[test]
    fn created_roles_are_derived_not_read() {
        for p in ["aws", "aws-cn", "aws-us-gov"] {
            let r = created_roles(&env(p), "analytics", "default", &record(p)).unwrap();
            assert_eq!(r.service, stored(&record(p), "ServiceRole"));
            assert_eq!(r.instance_profile, stored(&record(p), "InstanceProfile"));
        }
        let cases = [
            (
                "ServiceRole",
                "arn:aws:iam::123456789012:role/admin",
                "role/admin",
            ),
            (
                "InstanceRole",
                "arn:aws:iam::999988887777:role/analytics-default-emr-instance",
                "account 999988887777",
            ),
            (
                "InstanceProfile",
                "arn:aws-cn:iam::123456789012:instance-profile/analytics-default-emr-instance",
                "partition aws-cn",
            ),
            ("AutoScalingRole", "", "AutoScalingRole"),
        ];
        for (key, value, mention) in cases {
            let mut d = record("aws");
            d[key] = json!(value);
            let e = created_roles(&env("aws"), "analytics", "default", &d).unwrap_err();
            assert!(e.contains(key) && e.contains(mention), "{key}: {e}");
            assert!(e.contains("outside Terraform"), "{e}");
        }
        // Another profile's roles are not this one's.
        assert!(created_roles(&env("aws"), "analytics", "other", &record("aws")).is_err());
    }
}
