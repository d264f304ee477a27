//! IAM role operations shared by every resource that owns roles: create with
//! trust + tags, read back (trust, inline policies, attachments, tags), put or
//! delete inline policies, reconcile managed attachments, delete completely.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::types::Tag;

use super::errors::{describe, is_not_found};
use crate::iam::policy::url_decode;

pub type IamResult<T> = Result<T, String>;

/// What IAM says about a role.
#[derive(Clone, Debug, Default)]
pub struct RemoteRole {
    pub name: String,
    pub arn: String,
    pub unique_id: String,
    pub path: String,
    pub max_session_duration: Option<i32>,
    pub permissions_boundary: Option<String>,
    pub trust_policy: String,
    pub tags: BTreeMap<String, String>,
}

/// IAM documents arrive URL-encoded from AWS (the emulator may send them raw).
pub fn decode_document(s: &str) -> String {
    if s.trim_start().starts_with('{') {
        s.to_string()
    } else {
        url_decode(s)
    }
}

/// The role name of a role ARN (the last path segment).
pub fn role_name_from_arn(arn: &str) -> Option<&str> {
    let res = arn.splitn(6, ':').nth(5)?;
    let rest = res.strip_prefix("role/")?;
    rest.rsplit('/').next().filter(|n| !n.is_empty())
}

#[derive(Clone, Copy)]
pub struct NewRole<'a> {
    pub name: &'a str,
    pub path: &'a str,
    pub trust_policy: &'a str,
    pub max_session_duration: Option<i32>,
    pub permissions_boundary: Option<&'a str>,
    pub description: Option<&'a str>,
    pub tags: &'a BTreeMap<String, String>,
}

fn tags(t: &BTreeMap<String, String>) -> IamResult<Vec<Tag>> {
    t.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| e.to_string())
        })
        .collect()
}

pub async fn create_role(iam: &aws_sdk_iam::Client, r: NewRole<'_>) -> IamResult<RemoteRole> {
    let out = iam
        .create_role()
        .role_name(r.name)
        .path(r.path)
        .assume_role_policy_document(r.trust_policy)
        .set_max_session_duration(r.max_session_duration)
        .set_permissions_boundary(r.permissions_boundary.map(str::to_string))
        .set_description(r.description.map(str::to_string))
        .set_tags(if r.tags.is_empty() {
            None
        } else {
            Some(tags(r.tags)?)
        })
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let role = out.role().ok_or("CreateRole returned no role")?;
    Ok(RemoteRole {
        name: role.role_name().to_string(),
        arn: role.arn().to_string(),
        unique_id: role.role_id().to_string(),
        path: role.path().to_string(),
        ..Default::default()
    })
}

/// Creates the role, or (when `existing_is_ours`, i.e. it is already in
/// state) brings its trust policy up to date. A role of that name that is not
/// ours is never taken over.
pub async fn ensure_role(
    iam: &aws_sdk_iam::Client,
    r: NewRole<'_>,
    existing_is_ours: bool,
) -> IamResult<()> {
    match get_role(iam, r.name).await? {
        None => create_role(iam, r).await.map(|_| ()).map_err(|e| format!("creating role {}: {e}", r.name)),
        Some(_) if !existing_is_ours => Err(format!(
            "role {} already exists and is not managed by this resource; choose another name or delete that role",
            r.name
        )),
        Some(_) => iam
            .update_assume_role_policy()
            .role_name(r.name)
            .policy_document(r.trust_policy)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("updating trust of {}: {}", r.name, describe(&e))),
    }
}

/// None when the role does not exist.
pub async fn get_role(iam: &aws_sdk_iam::Client, name: &str) -> IamResult<Option<RemoteRole>> {
    let out = match iam.get_role().role_name(name).send().await {
        Ok(o) => o,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(describe(&e)),
    };
    let Some(role) = out.role() else {
        return Ok(None);
    };
    let mut tags: BTreeMap<String, String> = role
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    if tags.is_empty() {
        // GetRole may omit tags; ListRoleTags is authoritative.
        if let Ok(t) = iam.list_role_tags().role_name(name).send().await {
            tags = t
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
        }
    }
    Ok(Some(RemoteRole {
        name: role.role_name().to_string(),
        arn: role.arn().to_string(),
        unique_id: role.role_id().to_string(),
        path: role.path().to_string(),
        max_session_duration: role.max_session_duration(),
        permissions_boundary: role
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_string),
        trust_policy: role
            .assume_role_policy_document()
            .map(decode_document)
            .unwrap_or_default(),
        tags,
    }))
}

/// An inline policy's document, None when absent (or the role is gone).
pub async fn get_inline(
    iam: &aws_sdk_iam::Client,
    role: &str,
    policy: &str,
) -> IamResult<Option<String>> {
    match iam
        .get_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .await
    {
        Ok(o) => Ok(Some(decode_document(o.policy_document()))),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(describe(&e)),
    }
}

pub async fn put_inline(
    iam: &aws_sdk_iam::Client,
    role: &str,
    policy: &str,
    doc: &str,
) -> IamResult<()> {
    iam.put_role_policy()
        .role_name(role)
        .policy_name(policy)
        .policy_document(doc)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| describe(&e))
}

/// Deletes an inline policy; absent is fine.
pub async fn delete_inline(iam: &aws_sdk_iam::Client, role: &str, policy: &str) -> IamResult<()> {
    match iam
        .delete_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(describe(&e)),
    }
}

pub async fn list_inline(iam: &aws_sdk_iam::Client, role: &str) -> IamResult<Vec<String>> {
    let mut names = Vec::new();
    let mut marker = None;
    loop {
        let out = iam
            .list_role_policies()
            .role_name(role)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        names.extend(out.policy_names().iter().cloned());
        if !out.is_truncated() {
            return Ok(names);
        }
        marker = out.marker().map(str::to_string);
    }
}

pub async fn list_attached(iam: &aws_sdk_iam::Client, role: &str) -> IamResult<BTreeSet<String>> {
    let mut arns = BTreeSet::new();
    let mut marker = None;
    loop {
        let out = iam
            .list_attached_role_policies()
            .role_name(role)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        arns.extend(
            out.attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string)),
        );
        if !out.is_truncated() {
            return Ok(arns);
        }
        marker = out.marker().map(str::to_string);
    }
}

/// Makes the attachments exactly `want`.
pub async fn sync_attached(
    iam: &aws_sdk_iam::Client,
    role: &str,
    want: &BTreeSet<String>,
) -> IamResult<()> {
    let have = list_attached(iam, role).await?;
    for arn in have.difference(want) {
        iam.detach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| format!("detaching {arn}: {}", describe(&e)))?;
    }
    for arn in want.difference(&have) {
        iam.attach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| format!("attaching {arn}: {}", describe(&e)))?;
    }
    Ok(())
}

pub async fn sync_tags(
    iam: &aws_sdk_iam::Client,
    role: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> IamResult<()> {
    let remove: Vec<String> = have
        .keys()
        .filter(|k| !want.contains_key(*k))
        .cloned()
        .collect();
    if !remove.is_empty() {
        iam.untag_role()
            .role_name(role)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| describe(&e))?;
    }
    let add: BTreeMap<String, String> = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !add.is_empty() {
        iam.tag_role()
            .role_name(role)
            .set_tags(Some(tags(&add)?))
            .send()
            .await
            .map_err(|e| describe(&e))?;
    }
    Ok(())
}

/// Deletes a role and everything IAM requires gone first (inline policies,
/// attachments). Absent is fine.
pub async fn delete_role(iam: &aws_sdk_iam::Client, role: &str) -> IamResult<()> {
    let inline = match list_inline(iam, role).await {
        Ok(v) => v,
        Err(_) if get_role(iam, role).await?.is_none() => return Ok(()),
        Err(e) => return Err(e),
    };
    for p in inline {
        delete_inline(iam, role, &p).await?;
    }
    sync_attached(iam, role, &BTreeSet::new()).await?;
    match iam.delete_role().role_name(role).send().await {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(describe(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_from_arns() {
        assert_eq!(
            role_name_from_arn("arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole"),
            Some("EMR_EC2_DefaultRole")
        );
        assert_eq!(
            role_name_from_arn("arn:aws:iam::123456789012:role/emr/teams/analyst"),
            Some("analyst")
        );
        assert_eq!(role_name_from_arn("arn:aws:iam::123456789012:user/x"), None);
    }

    #[test]
    fn documents_are_decoded_only_when_encoded() {
        assert_eq!(decode_document("%7B%22a%22%3A1%7D"), r#"{"a":1}"#);
        assert_eq!(decode_document(r#"{"a":"x+y"}"#), r#"{"a":"x+y"}"#);
    }
}
