//! Step Functions state machines the provider creates (a launch function's,
//! a job function's): AWS calls as steps whose error says what failed,
//! retries while IAM propagates a new role, tags with the provider's owner
//! tag, and adoption of an existing state machine only when it is ours.

use std::collections::BTreeMap;

use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use tokio_util::sync::CancellationToken;

use crate::aws::errors::{describe, error_code, error_message, is_not_found};
use crate::aws::managed_role::OWNER_TAG;
use crate::iam::consistency::{looks_like_propagation, retry_propagation, Backoff};

/// An AWS step: the message says what failed.
pub type StepResult<T> = Result<T, String>;

// -- tags and ownership --

/// `tags_all` plus the owner tag: what the launcher and the state machine carry.
pub fn owned_tags(tags_all: &BTreeMap<String, String>, owner: &str) -> BTreeMap<String, String> {
    let mut t = tags_all.clone();
    t.insert(OWNER_TAG.to_string(), owner.to_string());
    t
}

/// The keys to remove and the tags to set that turn `have` into `want`
/// (AWS's own `aws:` tags stay).
pub fn tag_changes(
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> (Vec<String>, BTreeMap<String, String>) {
    let stale = have
        .keys()
        .filter(|k| !want.contains_key(*k) && !k.starts_with("aws:"))
        .cloned()
        .collect();
    let set = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (stale, set)
}

/// An existing launcher or state machine of the function's name is taken
/// over when it carries this function's owner tag, or no owner tag and the
/// state records it (made before the tag existed, or imported).
pub fn check_adoptable(
    what: &str,
    tags: &BTreeMap<String, String>,
    owner: &str,
    recorded: bool,
    by: &str,
) -> StepResult<()> {
    match tags.get(OWNER_TAG) {
        Some(o) if o == owner => Ok(()),
        None if recorded => Ok(()),
        Some(o) => Err(format!(
            "{what} already exists and is managed by {o}; delete it or choose another name"
        )),
        None => Err(format!(
            "{what} already exists and is not managed by this {by}; delete it or choose another name"
        )),
    }
}

// -- AWS calls as steps --

type SdkError<E, R> = aws_smithy_runtime_api::client::result::SdkError<E, R>;

/// An AWS call's result as a step's: the error says what failed.
pub fn step<T, E, R>(what: impl std::fmt::Display, r: Result<T, SdkError<E, R>>) -> StepResult<T>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    r.map_err(|e| format!("{what}: {}", describe(&e)))
}

/// A delete's result as a step's: already gone is done.
pub fn deleted<T, E, R>(
    what: impl std::fmt::Display,
    r: Result<T, SdkError<E, R>>,
) -> StepResult<()>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match r {
        Err(e) if is_not_found(&e) => Ok(()),
        r => step(what, r).map(|_| ()),
    }
}

/// Whether the error says IAM has not yet propagated a role just made.
fn is_propagation<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    let (code, message) = (error_code(e), error_message(e));
    looks_like_propagation(code.unwrap_or_default(), message.unwrap_or_default())
}

/// A create retried while IAM propagates, where the error code `exists`
/// means it was made already: false then. The SDK retries a call whose
/// answer was lost (the connection dropped after AWS carried it out), and
/// that retry is told the thing exists; the caller adopts it by its owner tag.
pub async fn created<T, E, R, F, Fut>(
    backoff: &Backoff,
    cancel: &CancellationToken,
    what: &str,
    exists: &str,
    op: F,
) -> StepResult<bool>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, SdkError<E, R>>>,
{
    match retry_propagation(what, backoff, cancel, is_propagation, op).await {
        Ok(_) => Ok(true),
        Err(e) if error_code(&e) == Some(exists) => Ok(false),
        Err(e) => step(what, Err::<bool, _>(e)),
    }
}

/// An AWS call retried while IAM propagates (a role just made or changed).
pub async fn retried<T, E, R, F, Fut>(
    backoff: &Backoff,
    cancel: &CancellationToken,
    what: &str,
    op: F,
) -> StepResult<T>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, SdkError<E, R>>>,
{
    step(
        what,
        retry_propagation(what, backoff, cancel, is_propagation, op).await,
    )
}

// -- the state machine --

pub fn sfn_tags(t: &BTreeMap<String, String>) -> Vec<aws_sdk_sfn::types::Tag> {
    t.iter()
        .map(|(k, v)| aws_sdk_sfn::types::Tag::builder().key(k).value(v).build())
        .collect()
}

/// (definition, role ARN) of the state machine; None when it does not exist.
pub async fn describe_state_machine(
    sfn: &aws_sdk_sfn::Client,
    arn: &str,
) -> StepResult<Option<(String, String)>> {
    match sfn
        .describe_state_machine()
        .state_machine_arn(arn)
        .send()
        .await
    {
        Ok(o) => Ok(Some((o.definition().to_string(), o.role_arn().to_string()))),
        Err(e) if is_not_found(&e) => Ok(None),
        r => step(format!("reading state machine {arn}"), r).map(|_| None),
    }
}

pub async fn state_machine_tags(
    sfn: &aws_sdk_sfn::Client,
    arn: &str,
) -> StepResult<BTreeMap<String, String>> {
    let r = sfn.list_tags_for_resource().resource_arn(arn).send().await;
    let out = step(format!("reading the tags of {arn}"), r)?;
    let tags = out.tags().iter();
    Ok(tags
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect())
}

/// For a data source: the state machine at a function's derived ARN is not
/// another resource's. Namespace and name are joined with `-`, so `a-b`/`c`
/// and `a`/`b-c` derive the same names; a record written for the second
/// must not hand out the first one's state machine. A state machine without
/// the owner tag (made before the tag existed) or missing is not refused.
pub async fn check_not_anothers(
    sfn: &aws_sdk_sfn::Client,
    arn: &str,
    owner: &str,
) -> StepResult<()> {
    let r = sfn.list_tags_for_resource().resource_arn(arn).send().await;
    let tags = match r {
        Err(e) if is_not_found(&e) => return Ok(()),
        r => step(format!("reading the tags of {arn}"), r)?,
    };
    let theirs = tags
        .tags()
        .iter()
        .find(|t| t.key() == Some(OWNER_TAG))
        .and_then(|t| t.value())
        .filter(|o| *o != owner);
    match theirs {
        Some(o) => Err(format!(
            "the state machine {arn} belongs to {o}, not to {owner}: their namespace and name derive the same names. This record does not describe that state machine."
        )),
        None => Ok(()),
    }
}

pub async fn sync_sfn_tags(
    sfn: &aws_sdk_sfn::Client,
    arn: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> StepResult<()> {
    let (stale, set) = tag_changes(have, want);
    if !stale.is_empty() {
        let r = sfn
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(stale));
        step(format!("untagging {arn}"), r.send().await)?;
    }
    if !set.is_empty() {
        let r = sfn
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(sfn_tags(&set)));
        step(format!("tagging {arn}"), r.send().await)?;
    }
    Ok(())
}
