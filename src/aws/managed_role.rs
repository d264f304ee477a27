//! One IAM role the provider owns, as desired state: `read` what IAM has,
//! `diff` it against what the resource wants, `reconcile` (create / update)
//! and `delete`. Ownership is a tag the provider writes at creation
//! ([`OWNER_TAG`]), so a half-created role is adopted by the next apply and a
//! foreign role of the same name is refused, whatever the prior state says.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use aws_sdk_iam::types::Tag;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::errors::{describe, error_code, error_message, is_not_found};
use super::iam_roles::decode_document;

pub type IamResult<T> = Result<T, String>;

/// The provenance tag: `<resource type>/<id>` of the resource that made the role.
pub const OWNER_TAG: &str = "emr-launch:managed-by";

pub const DEFAULT_PATH: &str = "/";
pub const DEFAULT_MAX_SESSION: i32 = 3600;

/// Inline policies on an owned role that another resource of this provider
/// wrote (name, document) and that the owner must leave in place.
pub type Tolerated = std::sync::Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

/// What one owned role must look like. Built from known values only.
#[derive(Clone)]
pub struct DesiredRole {
    pub name: String,
    pub path: String,
    pub description: Option<String>,
    pub trust: String,
    /// Inline policies the role owns: name → document. Others are removed
    /// unless `tolerated` accepts them.
    pub inline: BTreeMap<String, String>,
    /// The exact set of attached managed policies.
    pub managed: BTreeSet<String>,
    pub boundary: Option<String>,
    pub max_session: i32,
    /// Tags without the owner tag.
    pub tags: BTreeMap<String, String>,
    /// `<resource type>/<id>`, written as [`OWNER_TAG`].
    pub owner: String,
    /// An instance profile of this name holding exactly this role.
    pub instance_profile: Option<String>,
    pub tolerated: Option<Tolerated>,
}

impl DesiredRole {
    pub fn new(name: &str, owner: &str, trust: String) -> DesiredRole {
        DesiredRole {
            name: name.to_string(),
            path: DEFAULT_PATH.to_string(),
            description: None,
            trust,
            inline: BTreeMap::new(),
            managed: BTreeSet::new(),
            boundary: None,
            max_session: DEFAULT_MAX_SESSION,
            tags: BTreeMap::new(),
            owner: owner.to_string(),
            instance_profile: None,
            tolerated: None,
        }
    }

    fn all_tags(&self) -> BTreeMap<String, String> {
        let mut t = self.tags.clone();
        t.insert(OWNER_TAG.to_string(), self.owner.clone());
        t
    }

    fn tolerates(&self, name: &str, doc: &str) -> bool {
        self.tolerated.as_ref().is_some_and(|f| f(name, doc))
    }
}

impl std::fmt::Debug for DesiredRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DesiredRole")
            .field("name", &self.name)
            .field("owner", &self.owner)
            .field("inline", &self.inline.keys())
            .field("managed", &self.managed)
            .field("boundary", &self.boundary)
            .field("tolerated", &self.tolerated.is_some())
            .finish_non_exhaustive()
    }
}

/// What IAM holds for a role.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedRole {
    pub name: String,
    pub arn: String,
    pub unique_id: String,
    pub path: String,
    pub description: Option<String>,
    pub trust: String,
    pub inline: BTreeMap<String, String>,
    pub managed: BTreeSet<String>,
    pub boundary: Option<String>,
    pub max_session: i32,
    /// Every tag, the owner tag included.
    pub tags: BTreeMap<String, String>,
    /// The roles in the desired instance profile; None when it does not exist
    /// or none was asked for.
    pub instance_profile_roles: Option<Vec<String>>,
    /// The provider's [`REVOKE_POLICY`], when the role has it (kept out of
    /// `inline`: it is neither the resource's policy nor drift).
    pub revocation: Option<String>,
}

/// The inline policy written when a create adopts a role that already
/// existed with the resource's owner tag: it denies every session issued
/// before the adoption. Whoever made the role may have trusted themselves
/// and assumed it; changing the trust policy does not end those sessions,
/// and they would otherwise gain what the provider grants the role. It
/// grants nothing, stays (refresh neither shows nor removes it) and goes
/// with the role.
pub const REVOKE_POLICY: &str = "emr-launch-revoke-older-sessions";

/// How far after the trust update the revocation's cut lies: sessions
/// issued while the new trust policy propagates are denied too.
const REVOKE_MARGIN: std::time::Duration = std::time::Duration::from_secs(30);

/// [`REVOKE_POLICY`]'s document: deny everything to sessions issued before
/// `before` (ISO 8601, UTC), as IAM's "revoke active sessions" does.
pub fn revocation_document(before: &str) -> String {
    let mut st = crate::iam::Statement::allow(["*"])
        .sid("RevokeOlderSessions")
        .resource("*")
        .condition("DateLessThan", "aws:TokenIssueTime", [before]);
    st.effect = crate::iam::Effect::Deny;
    crate::iam::PolicyDocument::new(vec![st]).canonical()
}

/// True for exactly a [`revocation_document`] whose cut is not later than a
/// few minutes from now: one Deny of everything, conditioned only on the
/// token's issue time. A cut in the future would deny every new session
/// too; such a document is an inline policy like any other (drift).
pub fn is_revocation(doc: &str) -> bool {
    let Ok(d) = crate::iam::PolicyDocument::parse(doc) else {
        return false;
    };
    let [st] = d.statements.as_slice() else {
        return false;
    };
    let before = st
        .conditions
        .get("DateLessThan")
        .and_then(|kv| kv.get("aws:TokenIssueTime"))
        .filter(|_| st.conditions.len() == 1 && st.conditions["DateLessThan"].len() == 1)
        .and_then(|v| v.iter().next().filter(|_| v.len() == 1));
    let latest =
        aws_smithy_types::DateTime::from(std::time::SystemTime::now() + 10 * REVOKE_MARGIN);
    let past = |b: &str| {
        aws_smithy_types::DateTime::from_str(b, aws_smithy_types::date_time::Format::DateTime)
            .is_ok_and(|t| t <= latest)
    };
    st.effect == crate::iam::Effect::Deny
        && before.is_some_and(|b| past(b) && revocation_document(b) == d.canonical())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ownership {
    Ours,
    /// No owner tag, or another owner's.
    Foreign(Option<String>),
}

impl ObservedRole {
    pub fn ownership(&self, owner: &str) -> Ownership {
        match self.tags.get(OWNER_TAG) {
            Some(o) if o == owner => Ownership::Ours,
            other => Ownership::Foreign(other.cloned()),
        }
    }

    /// The tags a user sees (`tags_all`): the owner tag left out.
    pub fn user_tags(&self) -> BTreeMap<String, String> {
        let mut t = self.tags.clone();
        t.remove(OWNER_TAG);
        t
    }

    /// What is on the role that `want` does not have: foreign inline policies
    /// by name, attachments by ARN, as `<role>/<policy>`. Empty when in sync.
    pub fn unmanaged(&self, want: &DesiredRole) -> Vec<String> {
        self.foreign_inline(want)
            .into_iter()
            .map(str::to_string)
            .chain(self.managed.difference(&want.managed).cloned())
            .map(|p| format!("{}/{p}", self.name))
            .collect()
    }

    /// Settings that differ from `want`, described for a plan: the
    /// permissions boundary, the tags (owner tag aside) and the max session.
    /// Empty when in sync.
    pub fn settings_drift(&self, want: &DesiredRole) -> Vec<String> {
        let mut out = Vec::new();
        if self.boundary != want.boundary {
            let b = self.boundary.as_deref().unwrap_or("none");
            out.push(format!("{}/permissions boundary {b}", self.name));
        }
        if self.user_tags() != want.tags {
            let tags: Vec<String> = self
                .user_tags()
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            out.push(format!("{}/tags {{{}}}", self.name, tags.join(", ")));
        }
        if self.max_session != want.max_session {
            out.push(format!("{}/max session {}s", self.name, self.max_session));
        }
        out
    }

    /// An untagged role written by a provider version before owner tags:
    /// it holds the inline policy only this provider names so.
    pub fn is_legacy_ours(&self, owner: &str, policy: &str) -> bool {
        self.ownership(owner) == Ownership::Foreign(None) && self.inline.contains_key(policy)
    }

    /// Inline policies that are not the role's own and not tolerated.
    pub fn foreign_inline<'a>(&'a self, want: &'a DesiredRole) -> Vec<&'a str> {
        self.inline
            .iter()
            .filter(|(n, d)| !want.inline.contains_key(*n) && !want.tolerates(n, d))
            .map(|(n, _)| n.as_str())
            .collect()
    }
}

/// One write that brings a role closer to its desired state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleChange {
    Create,
    Trust,
    /// Max session duration and/or description.
    Settings,
    SetBoundary(String),
    RemoveBoundary,
    PutInline(String),
    DeleteInline(String),
    Attach(String),
    Detach(String),
    Tag(BTreeMap<String, String>),
    Untag(Vec<String>),
    /// Create the instance profile, then put the role in it.
    CreateInstanceProfile(String),
    AddToInstanceProfile(String),
    RemoveFromInstanceProfile(String, String),
    /// Deny the sessions issued before now ([`REVOKE_POLICY`]).
    RevokeOlderSessions,
}

/// The writes that turn `have` into `want`; pure.
pub fn diff(want: &DesiredRole, have: Option<&ObservedRole>) -> Vec<RoleChange> {
    let Some(have) = have else {
        // CreateRole sets path, trust, settings, boundary and tags at once.
        let mut out = vec![RoleChange::Create];
        out.extend(want.inline.keys().cloned().map(RoleChange::PutInline));
        out.extend(want.managed.iter().cloned().map(RoleChange::Attach));
        if let Some(p) = &want.instance_profile {
            out.push(RoleChange::CreateInstanceProfile(p.clone()));
        }
        return out;
    };
    let mut out = Vec::new();
    if !crate::iam::equivalent(&want.trust, &have.trust) {
        out.push(RoleChange::Trust);
    }
    let desc_differs = want.description.is_some() && want.description != have.description;
    if want.max_session != have.max_session || desc_differs {
        out.push(RoleChange::Settings);
    }
    match (&want.boundary, &have.boundary) {
        (Some(w), h) if Some(w) != h.as_ref() => out.push(RoleChange::SetBoundary(w.clone())),
        (None, Some(_)) => out.push(RoleChange::RemoveBoundary),
        _ => {}
    }
    for (name, doc) in &want.inline {
        match have.inline.get(name) {
            Some(h) if crate::iam::equivalent(doc, h) => {}
            _ => out.push(RoleChange::PutInline(name.clone())),
        }
    }
    out.extend(
        have.foreign_inline(want)
            .into_iter()
            .map(|n| RoleChange::DeleteInline(n.to_string())),
    );
    out.extend(
        have.managed
            .difference(&want.managed)
            .cloned()
            .map(RoleChange::Detach),
    );
    out.extend(
        want.managed
            .difference(&have.managed)
            .cloned()
            .map(RoleChange::Attach),
    );
    let want_tags = want.all_tags();
    let untag: Vec<String> = have
        .tags
        .keys()
        .filter(|k| !want_tags.contains_key(*k))
        .cloned()
        .collect();
    if !untag.is_empty() {
        out.push(RoleChange::Untag(untag));
    }
    let tag: BTreeMap<String, String> = want_tags
        .into_iter()
        .filter(|(k, v)| have.tags.get(k) != Some(v))
        .collect();
    if !tag.is_empty() {
        out.push(RoleChange::Tag(tag));
    }
    if let Some(p) = &want.instance_profile {
        match &have.instance_profile_roles {
            None => out.push(RoleChange::CreateInstanceProfile(p.clone())),
            Some(roles) => {
                for r in roles.iter().filter(|r| **r != want.name) {
                    out.push(RoleChange::RemoveFromInstanceProfile(p.clone(), r.clone()));
                }
                if !roles.contains(&want.name) {
                    out.push(RoleChange::AddToInstanceProfile(p.clone()));
                }
            }
        }
    }
    out
}

/// The result of a reconcile that succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Unchanged,
    Created,
    Updated,
}

#[derive(Clone, Debug)]
pub struct Reconciled {
    pub outcome: Outcome,
    pub arn: String,
    pub unique_id: String,
}

/// A reconcile that stopped part way: what was done before the failure.
#[derive(Clone, Debug)]
pub struct ReconcileError {
    /// The role exists (it did before, or it was created before the failure).
    pub exists: bool,
    /// Refused: the role of that name belongs to someone else; nothing was written.
    pub foreign: bool,
    pub arn: Option<String>,
    pub unique_id: Option<String>,
    pub done: Vec<RoleChange>,
    pub message: String,
}

impl std::fmt::Display for ReconcileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// IAM's eventual consistency: errors worth a retry right after a related write.
fn transient<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>, not_found_too: bool) -> bool {
    let code = error_code(e).unwrap_or_default();
    let msg = error_message(e).unwrap_or_default();
    code == "ConcurrentModification"
        || (code == "MalformedPolicyDocument" && msg.contains("Invalid principal"))
        || (not_found_too && is_not_found(e))
}

/// Runs `op`, retrying only IAM propagation errors, with backoff (~15 s in all).
async fn retrying<T, E, R, F, Fut>(what: &str, not_found_too: bool, op: F) -> IamResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Debug + 'static,
{
    retrying_unless(what, not_found_too, "", op)
        .await?
        .ok_or_else(|| format!("{what}: no answer"))
}

/// `retrying`, where the error code `already` says that what was asked is
/// in place: None. The SDK retries a call whose answer was lost (a dropped
/// connection after IAM carried it out); the retry then gets that error.
async fn retrying_unless<T, E, R, F, Fut>(
    what: &str,
    not_found_too: bool,
    already: &str,
    mut op: F,
) -> IamResult<Option<T>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Debug + 'static,
{
    let mut delay = Duration::from_millis(250);
    let mut attempt = 0;
    loop {
        match op().await {
            Ok(v) => return Ok(Some(v)),
            Err(e) if attempt < 6 && transient(&e, not_found_too) => {
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
                attempt += 1;
            }
            Err(e) if !already.is_empty() && error_code(&e) == Some(already) => return Ok(None),
            Err(e) => return Err(format!("{what}: {}", describe(&e))),
        }
    }
}

fn iam_tags(t: &BTreeMap<String, String>) -> IamResult<Vec<Tag>> {
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

/// The ARN of a role, None when it does not exist: one GetRole, nothing more
/// (for roles the provider only refers to).
/// The owner tag ([`OWNER_TAG`]) of a role: None when the role does not
/// exist or has no such tag (one GetRole, which carries the tags).
pub async fn role_owner(iam: &aws_sdk_iam::Client, name: &str) -> IamResult<Option<String>> {
    match iam.get_role().role_name(name).send().await {
        Ok(o) => Ok(o
            .role()
            .and_then(|r| r.tags().iter().find(|t| t.key() == OWNER_TAG))
            .map(|t| t.value().to_string())),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(format!("reading role {name}: {}", describe(&e))),
    }
}

pub async fn find_arn(iam: &aws_sdk_iam::Client, name: &str) -> IamResult<Option<String>> {
    match iam.get_role().role_name(name).send().await {
        Ok(o) => Ok(o.role().map(|r| r.arn().to_string())),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(format!("reading role {name}: {}", describe(&e))),
    }
}

/// The single finder: what IAM has for the role (None when it does not exist).
/// GetRole carries the tags; inline documents and attachments are paginated.
/// GetRole and the two lists go out together, then the inline documents in
/// turn (a role has few; reading them concurrently cost 360 KB of binary).
pub async fn read(
    iam: &aws_sdk_iam::Client,
    name: &str,
    instance_profile: Option<&str>,
) -> IamResult<Option<ObservedRole>> {
    // The three reads are independent: one round trip instead of three.
    let (out, inline, managed) = tokio::join!(
        iam.get_role().role_name(name).send(),
        list_inline(iam, name),
        list_attached(iam, name),
    );
    let out = match out {
        Ok(o) => o,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(format!("reading role {name}: {}", describe(&e))),
    };
    let Some(role) = out.role() else {
        return Ok(None);
    };
    let mut observed = ObservedRole {
        name: role.role_name().to_string(),
        arn: role.arn().to_string(),
        unique_id: role.role_id().to_string(),
        path: role.path().to_string(),
        description: role.description().map(str::to_string),
        trust: role
            .assume_role_policy_document()
            .map(decode_document)
            .unwrap_or_default(),
        boundary: role
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_string),
        max_session: role.max_session_duration().unwrap_or(DEFAULT_MAX_SESSION),
        tags: role
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect(),
        ..Default::default()
    };
    let inline = inline?;
    for policy in inline {
        if let Some(doc) = get_inline(iam, name, &policy).await? {
            if policy == REVOKE_POLICY && is_revocation(&doc) {
                observed.revocation = Some(doc);
            } else {
                observed.inline.insert(policy, doc);
            }
        }
    }
    observed.managed = managed?;
    if let Some(p) = instance_profile {
        observed.instance_profile_roles = instance_profile_roles(iam, p).await?;
    }
    Ok(Some(observed))
}

async fn list_inline(iam: &aws_sdk_iam::Client, role: &str) -> IamResult<Vec<String>> {
    let pages = iam.list_role_policies().role_name(role).into_paginator();
    match pages.items().send().try_collect().await {
        Ok(names) => Ok(names),
        Err(e) if is_not_found(&e) => Ok(Vec::new()),
        Err(e) => Err(format!(
            "listing inline policies of {role}: {}",
            describe(&e)
        )),
    }
}

/// An inline policy's document; None when it (or the role) is gone.
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
        Err(e) => Err(format!(
            "reading inline policy {policy} of {role}: {}",
            describe(&e)
        )),
    }
}

async fn list_attached(iam: &aws_sdk_iam::Client, role: &str) -> IamResult<BTreeSet<String>> {
    let pages = iam
        .list_attached_role_policies()
        .role_name(role)
        .into_paginator();
    match pages.items().send().try_collect().await {
        Ok(attached) => Ok(attached
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect()),
        Err(e) if is_not_found(&e) => Ok(BTreeSet::new()),
        Err(e) => Err(format!(
            "listing attached policies of {role}: {}",
            describe(&e)
        )),
    }
}

async fn instance_profile_roles(
    iam: &aws_sdk_iam::Client,
    profile: &str,
) -> IamResult<Option<Vec<String>>> {
    match iam
        .get_instance_profile()
        .instance_profile_name(profile)
        .send()
        .await
    {
        Ok(o) => Ok(Some(
            o.instance_profile()
                .map(|p| {
                    p.roles()
                        .iter()
                        .map(|r| r.role_name().to_string())
                        .collect()
                })
                .unwrap_or_default(),
        )),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(format!(
            "reading instance profile {profile}: {}",
            describe(&e)
        )),
    }
}

/// Makes the role look like `want`. `adopt` lets an existing untagged role
/// be taken over (it is recorded in Terraform state, or being imported);
/// a role tagged for another owner is always refused.
pub async fn reconcile(
    iam: &aws_sdk_iam::Client,
    want: &DesiredRole,
    adopt: bool,
) -> Result<Reconciled, ReconcileError> {
    let fail =
        |exists: bool, have: Option<&ObservedRole>, done: Vec<RoleChange>, message: String| {
            ReconcileError {
                exists,
                foreign: false,
                arn: have.map(|h| h.arn.clone()),
                unique_id: have.map(|h| h.unique_id.clone()),
                done,
                message,
            }
        };
    let have = read(iam, &want.name, want.instance_profile.as_deref())
        .await
        .map_err(|m| fail(false, None, vec![], m))?;
    if let Some(h) = &have {
        if let Ownership::Foreign(owner) = h.ownership(&want.owner) {
            if owner.is_some() || !adopt {
                let who = owner.map_or("not managed by this resource".to_string(), |o| {
                    format!("managed by {o}")
                });
                let mut e = fail(
                    true,
                    have.as_ref(),
                    vec![],
                    format!(
                        "role {} already exists and is {who}; choose another name or delete that role",
                        want.name
                    ),
                );
                e.foreign = true;
                return Err(e);
            }
        }
    }
    let mut changes = diff(want, have.as_ref());
    if !adopt && have.is_some() {
        // A create that finds its role already there, with its own tag:
        // first the trust (no new session for whoever made it), then end
        // the sessions issued until just after that, then the rest.
        let at = usize::from(changes.first() == Some(&RoleChange::Trust));
        changes.insert(at, RoleChange::RevokeOlderSessions);
    }
    if changes.is_empty() {
        let h = have.unwrap_or_default();
        return Ok(Reconciled {
            outcome: Outcome::Unchanged,
            arn: h.arn,
            unique_id: h.unique_id,
        });
    }
    let mut ids = have.as_ref().map(|h| (h.arn.clone(), h.unique_id.clone()));
    let created = have.is_none();
    let mut done = Vec::new();
    for change in changes {
        match apply(iam, want, &change, created).await {
            Ok(Some(new_ids)) => ids = Some(new_ids),
            Ok(None) => {}
            Err(message) => {
                return Err(ReconcileError {
                    exists: ids.is_some(),
                    foreign: false,
                    arn: ids.as_ref().map(|i| i.0.clone()),
                    unique_id: ids.map(|i| i.1),
                    done,
                    message,
                })
            }
        }
        done.push(change);
    }
    let (arn, unique_id) = ids.unwrap_or_default();
    Ok(Reconciled {
        outcome: if created {
            Outcome::Created
        } else {
            Outcome::Updated
        },
        arn,
        unique_id,
    })
}

/// One change; returns (arn, unique id) when it created the role.
async fn apply(
    iam: &aws_sdk_iam::Client,
    want: &DesiredRole,
    change: &RoleChange,
    just_created: bool,
) -> IamResult<Option<(String, String)>> {
    let role = want.name.as_str();
    match change {
        RoleChange::Create => return create(iam, want).await.map(Some),
        RoleChange::PutInline(_)
        | RoleChange::DeleteInline(_)
        | RoleChange::Attach(_)
        | RoleChange::Detach(_) => apply_policy(iam, want, change, just_created).await?,
        RoleChange::CreateInstanceProfile(p) => {
            let tags = iam_tags(&want.all_tags())?;
            let what = format!("creating instance profile {p}");
            let made = retrying_unless(&what, false, "EntityAlreadyExists", || {
                iam.create_instance_profile()
                    .instance_profile_name(p)
                    .path(&want.path)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
            if made.is_none() && !profile_is_ours(iam, p, &want.owner).await? {
                return Err(format!(
                    "{what}: one of that name appeared meanwhile, not made by this resource"
                ));
            }
            add_to_profile(iam, p, role).await?;
        }
        RoleChange::AddToInstanceProfile(p) => add_to_profile(iam, p, role).await?,
        RoleChange::RevokeOlderSessions => {
            // A margin for the new trust policy to reach every IAM endpoint.
            let cut = std::time::SystemTime::now() + REVOKE_MARGIN;
            let now = aws_smithy_types::DateTime::from(cut);
            let now = now
                .fmt(aws_smithy_types::date_time::Format::DateTime)
                .map_err(|e| format!("formatting the time: {e}"))?;
            let what = format!("revoking the sessions of {role} issued before {now}");
            let doc = revocation_document(&now);
            retrying(&what, false, || {
                iam.put_role_policy()
                    .role_name(role)
                    .policy_name(REVOKE_POLICY)
                    .policy_document(&doc)
                    .send()
            })
            .await?;
        }
        RoleChange::RemoveFromInstanceProfile(p, other) => {
            remove_from_profile(iam, p, other).await?
        }
        _ => apply_setting(iam, want, change, just_created).await?,
    }
    Ok(None)
}

async fn create(iam: &aws_sdk_iam::Client, want: &DesiredRole) -> IamResult<(String, String)> {
    let tags = iam_tags(&want.all_tags())?;
    let what = format!("creating role {}", want.name);
    let out = retrying_unless(&what, false, "EntityAlreadyExists", || {
        iam.create_role()
            .role_name(&want.name)
            .path(&want.path)
            .assume_role_policy_document(&want.trust)
            .max_session_duration(want.max_session)
            .set_permissions_boundary(want.boundary.clone())
            .set_description(want.description.clone())
            .set_tags(Some(tags.clone()))
            .send()
    })
    .await?;
    let Some(out) = out else {
        // Made by this very request (its answer lost) if it carries our tag.
        return match read(iam, &want.name, None).await? {
            Some(h) if h.ownership(&want.owner) == Ownership::Ours => Ok((h.arn, h.unique_id)),
            _ => Err(format!(
                "{what}: a role of that name appeared meanwhile, not made by this resource"
            )),
        };
    };
    let r = out.role();
    Ok((
        r.map(|r| r.arn().to_string()).unwrap_or_default(),
        r.map(|r| r.role_id().to_string()).unwrap_or_default(),
    ))
}

/// Trust, settings, boundary and tags.
async fn apply_setting(
    iam: &aws_sdk_iam::Client,
    want: &DesiredRole,
    change: &RoleChange,
    fresh: bool,
) -> IamResult<()> {
    let role = want.name.as_str();
    let what = |w: &str| format!("{w} of {role}");
    match change {
        RoleChange::Trust => retrying(&what("updating the trust policy"), fresh, || {
            iam.update_assume_role_policy()
                .role_name(role)
                .policy_document(&want.trust)
                .send()
        })
        .await
        .map(drop),
        RoleChange::Settings => retrying(&what("updating the settings"), fresh, || {
            iam.update_role()
                .role_name(role)
                .max_session_duration(want.max_session)
                .set_description(want.description.clone())
                .send()
        })
        .await
        .map(drop),
        RoleChange::SetBoundary(b) => {
            retrying(&what("setting the permissions boundary"), fresh, || {
                iam.put_role_permissions_boundary()
                    .role_name(role)
                    .permissions_boundary(b)
                    .send()
            })
            .await
            .map(drop)
        }
        RoleChange::RemoveBoundary => {
            retrying(&what("removing the permissions boundary"), false, || {
                iam.delete_role_permissions_boundary()
                    .role_name(role)
                    .send()
            })
            .await
            .map(drop)
        }
        RoleChange::Tag(t) => {
            let tags = iam_tags(t)?;
            retrying(&what("tagging"), fresh, || {
                iam.tag_role()
                    .role_name(role)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await
            .map(drop)
        }
        RoleChange::Untag(keys) => retrying(&what("untagging"), false, || {
            iam.untag_role()
                .role_name(role)
                .set_tag_keys(Some(keys.clone()))
                .send()
        })
        .await
        .map(drop),
        _ => Ok(()),
    }
}

/// Inline policies and attachments.
async fn apply_policy(
    iam: &aws_sdk_iam::Client,
    want: &DesiredRole,
    change: &RoleChange,
    fresh: bool,
) -> IamResult<()> {
    let role = want.name.as_str();
    match change {
        RoleChange::PutInline(p) => {
            let doc = want.inline.get(p).map(String::as_str).unwrap_or_default();
            retrying(
                &format!("putting inline policy {p} on {role}"),
                fresh,
                || {
                    iam.put_role_policy()
                        .role_name(role)
                        .policy_name(p)
                        .policy_document(doc)
                        .send()
                },
            )
            .await
            .map(drop)
        }
        RoleChange::DeleteInline(p) => delete_inline(iam, role, p).await,
        RoleChange::Attach(arn) => retrying(&format!("attaching {arn} to {role}"), fresh, || {
            iam.attach_role_policy()
                .role_name(role)
                .policy_arn(arn)
                .send()
        })
        .await
        .map(drop),
        RoleChange::Detach(arn) => detach(iam, role, arn).await,
        _ => Ok(()),
    }
}

async fn add_to_profile(iam: &aws_sdk_iam::Client, profile: &str, role: &str) -> IamResult<()> {
    let what = format!("adding {role} to instance profile {profile}");
    // A profile holds one role: LimitExceeded when one is in it already.
    let added = retrying_unless(&what, true, "LimitExceeded", || {
        iam.add_role_to_instance_profile()
            .instance_profile_name(profile)
            .role_name(role)
            .send()
    })
    .await?;
    if added.is_none() {
        let roles = instance_profile_roles(iam, profile)
            .await?
            .unwrap_or_default();
        if roles.iter().all(|r| r != role) {
            return Err(format!("{what}: it holds {} already", roles.join(", ")));
        }
    }
    Ok(())
}

/// Whether the instance profile carries this resource's provenance tag.
async fn profile_is_ours(iam: &aws_sdk_iam::Client, profile: &str, owner: &str) -> IamResult<bool> {
    let out = iam
        .get_instance_profile()
        .instance_profile_name(profile)
        .send()
        .await
        .map_err(|e| format!("reading instance profile {profile}: {}", describe(&e)))?;
    Ok(out.instance_profile().is_some_and(|p| {
        p.tags()
            .iter()
            .any(|t| t.key() == OWNER_TAG && t.value() == owner)
    }))
}

async fn remove_from_profile(
    iam: &aws_sdk_iam::Client,
    profile: &str,
    role: &str,
) -> IamResult<()> {
    match iam
        .remove_role_from_instance_profile()
        .instance_profile_name(profile)
        .role_name(role)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(format!(
            "removing {role} from instance profile {profile}: {}",
            describe(&e)
        )),
    }
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
        Err(e) => Err(format!(
            "removing inline policy {policy} from {role}: {}",
            describe(&e)
        )),
    }
}

async fn detach(iam: &aws_sdk_iam::Client, role: &str, arn: &str) -> IamResult<()> {
    match iam
        .detach_role_policy()
        .role_name(role)
        .policy_arn(arn)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(format!("detaching {arn} from {role}: {}", describe(&e))),
    }
}

/// Deletes the role if it is ours (or untagged and `adopt`), with everything
/// IAM wants gone first; absent is success. A role owned by someone else is
/// left alone and reported.
pub async fn delete(
    iam: &aws_sdk_iam::Client,
    name: &str,
    owner: &str,
    instance_profile: Option<&str>,
    adopt: bool,
) -> IamResult<()> {
    let Some(have) = read(iam, name, instance_profile).await? else {
        if let Some(p) = instance_profile {
            delete_instance_profile(iam, p).await?;
        }
        return Ok(());
    };
    if let Ownership::Foreign(o) = have.ownership(owner) {
        if o.is_some() || !adopt {
            return Err(format!(
                "role {name} is not managed by {owner} (owner tag: {}); left in place",
                o.as_deref().unwrap_or("none")
            ));
        }
    }
    if let (Some(p), Some(roles)) = (instance_profile, &have.instance_profile_roles) {
        for r in roles {
            remove_from_profile(iam, p, r).await?;
        }
        delete_instance_profile(iam, p).await?;
    }
    for p in have.inline.keys() {
        delete_inline(iam, name, p).await?;
    }
    if have.revocation.is_some() {
        delete_inline(iam, name, REVOKE_POLICY).await?;
    }
    for arn in &have.managed {
        detach(iam, name, arn).await?;
    }
    match iam.delete_role().role_name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(format!("deleting role {name}: {}", describe(&e))),
    }
}

async fn delete_instance_profile(iam: &aws_sdk_iam::Client, profile: &str) -> IamResult<()> {
    match iam
        .delete_instance_profile()
        .instance_profile_name(profile)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(format!(
            "deleting instance profile {profile}: {}",
            describe(&e)
        )),
    }
}

/// An inline policy the provider writes on a role it does not own (the
/// instance-role grant, the shared launch role's grant, the service role's
/// secret grant). Its identity is (role, policy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleGrant {
    pub role: String,
    pub policy: String,
    pub document: String,
}

impl RoleGrant {
    pub fn new(role: &str, policy: &str, document: String) -> RoleGrant {
        RoleGrant {
            role: role.to_string(),
            policy: policy.to_string(),
            document,
        }
    }

    fn same_target(&self, other: &RoleGrant) -> bool {
        self.role == other.role && self.policy == other.policy
    }
}

/// The grant's document as IAM has it; None when absent.
pub async fn read_grant(
    iam: &aws_sdk_iam::Client,
    role: &str,
    policy: &str,
) -> IamResult<Option<String>> {
    get_inline(iam, role, policy).await
}

/// Moves a grant from where it was (`prior`) to where it should be (`want`):
/// the old target loses it first, then the new one gets it (only written when
/// its document differs). Never touches anything else on either role.
/// Returns the grant in place afterwards; on failure, with the error, the
/// grant in place at that moment, so state stays true.
pub async fn reconcile_grant(
    iam: &aws_sdk_iam::Client,
    prior: Option<&RoleGrant>,
    want: Option<&RoleGrant>,
) -> Result<Option<RoleGrant>, (Option<RoleGrant>, String)> {
    if let Some(old) = prior {
        if !want.is_some_and(|w| w.same_target(old)) {
            delete_inline(iam, &old.role, &old.policy)
                .await
                .map_err(|e| (Some(old.clone()), e))?;
        }
    }
    let Some(w) = want else {
        return Ok(None);
    };
    let in_place = prior.filter(|p| p.same_target(w)).cloned();
    let current = get_inline(iam, &w.role, &w.policy)
        .await
        .map_err(|e| (in_place.clone(), e))?;
    if current.is_some_and(|c| crate::iam::equivalent(&c, &w.document)) {
        return Ok(Some(w.clone()));
    }
    retrying(
        &format!("granting {} on role {}", w.policy, w.role),
        true,
        || {
            iam.put_role_policy()
                .role_name(&w.role)
                .policy_name(&w.policy)
                .policy_document(&w.document)
                .send()
        },
    )
    .await
    .map_err(|e| (in_place, e))?;
    Ok(Some(w.clone()))
}

#[cfg(test)]
mod tests;
