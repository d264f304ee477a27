use std::collections::BTreeMap;

use aws_sdk_iam::operation::delete_role_policy::DeleteRolePolicyOutput;
use aws_sdk_iam::operation::get_role::{GetRoleError, GetRoleOutput};
use aws_sdk_iam::operation::get_role_policy::{GetRolePolicyError, GetRolePolicyOutput};
use aws_sdk_iam::operation::list_attached_role_policies::{
    ListAttachedRolePoliciesError, ListAttachedRolePoliciesOutput,
};
use aws_sdk_iam::operation::list_role_policies::{ListRolePoliciesError, ListRolePoliciesOutput};
use aws_sdk_iam::operation::put_role_permissions_boundary::PutRolePermissionsBoundaryOutput;
use aws_sdk_iam::operation::put_role_policy::{PutRolePolicyError, PutRolePolicyOutput};
use aws_sdk_iam::types::{AttachedPermissionsBoundary, AttachedPolicy, Role, Tag};
use aws_sdk_iam::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};

use super::*;

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"emr-serverless.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
const OWNER: &str = "emr_serverless_dataplane/analytics/shared";

fn desired() -> DesiredRole {
    let mut d = DesiredRole::new("job", OWNER, TRUST.to_string());
    d.inline.insert("permissions".into(), DOC.into());
    d.tags.insert("team".into(), "data".into());
    d
}

fn observed_like(d: &DesiredRole) -> ObservedRole {
    ObservedRole {
        name: d.name.clone(),
        arn: format!("arn:aws:iam::123456789012:role/{}", d.name),
        unique_id: "AROAEXAMPLE".into(),
        path: "/".into(),
        trust: d.trust.clone(),
        inline: d.inline.clone(),
        managed: d.managed.clone(),
        boundary: d.boundary.clone(),
        max_session: d.max_session,
        tags: d.all_tags(),
        ..Default::default()
    }
}

#[test]
fn nothing_to_do_when_iam_matches_even_with_other_whitespace() {
    let d = desired();
    let mut have = observed_like(&d);
    have.trust = serde_json::to_string_pretty(
        &serde_json::from_str::<serde_json::Value>(TRUST).unwrap_or_default(),
    )
    .unwrap_or_default();
    assert_eq!(diff(&d, Some(&have)), vec![]);
}

#[test]
fn a_missing_role_is_created_with_its_policies_and_profile() {
    let mut d = desired();
    d.managed
        .insert("arn:aws:iam::aws:policy/ReadOnlyAccess".into());
    d.instance_profile = Some("job".into());
    assert_eq!(
        diff(&d, None),
        vec![
            RoleChange::Create,
            RoleChange::PutInline("permissions".into()),
            RoleChange::Attach("arn:aws:iam::aws:policy/ReadOnlyAccess".into()),
            RoleChange::CreateInstanceProfile("job".into()),
        ]
    );
}

#[test]
fn boundary_changes_and_removals_are_writes() {
    let mut d = desired();
    let mut have = observed_like(&d);
    d.boundary = Some("arn:aws:iam::123456789012:policy/b2".into());
    have.boundary = Some("arn:aws:iam::123456789012:policy/b1".into());
    assert_eq!(
        diff(&d, Some(&have)),
        vec![RoleChange::SetBoundary(
            "arn:aws:iam::123456789012:policy/b2".into()
        )]
    );
    d.boundary = None;
    assert_eq!(diff(&d, Some(&have)), vec![RoleChange::RemoveBoundary]);
    // Removed out of band: put back.
    d.boundary = Some("arn:aws:iam::123456789012:policy/b1".into());
    have.boundary = None;
    assert_eq!(
        diff(&d, Some(&have)),
        vec![RoleChange::SetBoundary(
            "arn:aws:iam::123456789012:policy/b1".into()
        )]
    );
}

#[test]
fn out_of_band_policies_are_removed_but_tolerated_grants_stay() {
    let mut d = desired();
    let mut have = observed_like(&d);
    have.managed
        .insert("arn:aws:iam::aws:policy/AdministratorAccess".into());
    have.inline.insert("backdoor".into(), DOC.into());
    have.inline
        .insert("emr-launch-secrets-x".into(), DOC.into());
    d.tolerated = Some(std::sync::Arc::new(|name: &str, _: &str| {
        name.starts_with("emr-launch-secrets-")
    }));
    assert_eq!(
        diff(&d, Some(&have)),
        vec![
            RoleChange::DeleteInline("backdoor".into()),
            RoleChange::Detach("arn:aws:iam::aws:policy/AdministratorAccess".into()),
        ]
    );
}

#[test]
fn the_owner_tag_is_kept_and_user_tags_follow_the_configuration() {
    let mut d = desired();
    let mut have = observed_like(&d);
    have.tags.insert("extra".into(), "x".into());
    d.tags.insert("team".into(), "platform".into());
    let mut tag = BTreeMap::new();
    tag.insert("team".to_string(), "platform".to_string());
    assert_eq!(
        diff(&d, Some(&have)),
        vec![
            RoleChange::Untag(vec!["extra".into()]),
            RoleChange::Tag(tag)
        ]
    );
    assert!(!have.user_tags().contains_key(OWNER_TAG));
    assert_eq!(have.ownership(OWNER), Ownership::Ours);
    assert_eq!(
        have.ownership("emr_runtime_role/other"),
        Ownership::Foreign(Some(OWNER.into()))
    );
}

#[test]
fn an_untagged_role_is_adopted_by_writing_the_owner_tag() {
    let d = desired();
    let mut have = observed_like(&d);
    have.tags.remove(OWNER_TAG);
    let mut tag = BTreeMap::new();
    tag.insert(OWNER_TAG.to_string(), OWNER.to_string());
    assert_eq!(diff(&d, Some(&have)), vec![RoleChange::Tag(tag)]);
}

#[test]
fn a_foreign_member_of_the_instance_profile_is_replaced() {
    let mut d = desired();
    d.instance_profile = Some("job".into());
    let mut have = observed_like(&d);
    have.instance_profile_roles = Some(vec!["intruder".into()]);
    assert_eq!(
        diff(&d, Some(&have)),
        vec![
            RoleChange::RemoveFromInstanceProfile("job".into(), "intruder".into()),
            RoleChange::AddToInstanceProfile("job".into()),
        ]
    );
}

/// As IAM's wire error arrives: the code is in the metadata.
fn no_such_entity() -> aws_smithy_types::error::ErrorMetadata {
    aws_smithy_types::error::ErrorMetadata::builder()
        .code("NoSuchEntity")
        .message("absent")
        .build()
}

fn role(tags: &[(&str, &str)], boundary: Option<&str>) -> Role {
    let mut r = Role::builder()
        .role_name("job")
        .path("/")
        .arn("arn:aws:iam::123456789012:role/job")
        .role_id("AROAEXAMPLE")
        .create_date(aws_smithy_types::DateTime::from_secs(0))
        .assume_role_policy_document(TRUST)
        .max_session_duration(3600);
    for (k, v) in tags {
        r = r.tags(
            Tag::builder()
                .key(*k)
                .value(*v)
                .build()
                .expect("static tag"),
        );
    }
    if let Some(b) = boundary {
        r = r.permissions_boundary(
            AttachedPermissionsBoundary::builder()
                .permissions_boundary_arn(b)
                .build(),
        );
    }
    r.build().expect("static role")
}

macro_rules! role_with {
    ($tags:expr, $boundary:expr) => {
        mock!(Client::get_role).then_output(|| {
            GetRoleOutput::builder()
                .role(role($tags, $boundary))
                .build()
        })
    };
}

fn one_inline_permissions() -> [aws_smithy_mocks::Rule; 3] {
    [
        mock!(Client::list_role_policies).then_output(|| {
            ListRolePoliciesOutput::builder()
                .policy_names("permissions")
                .is_truncated(false)
                .build()
                .expect("static output")
        }),
        mock!(Client::get_role_policy).then_output(|| {
            GetRolePolicyOutput::builder()
                .role_name("job")
                .policy_name("permissions")
                .policy_document(DOC)
                .build()
                .expect("static output")
        }),
        mock!(Client::list_attached_role_policies).then_output(|| {
            ListAttachedRolePoliciesOutput::builder()
                .attached_policies(
                    AttachedPolicy::builder()
                        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
                        .build(),
                )
                .is_truncated(false)
                .build()
        }),
    ]
}

#[tokio::test]
async fn read_takes_tags_from_get_role_and_reads_every_policy() {
    let get = role_with!(
        &[(OWNER_TAG, OWNER), ("team", "data")],
        Some("arn:aws:iam::123456789012:policy/b1")
    );
    let [list, get_doc, attached] = one_inline_permissions();
    let tags = mock!(Client::list_role_tags).then_error(|| {
        aws_sdk_iam::operation::list_role_tags::ListRoleTagsError::unhandled("must not be called")
    });
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::MatchAny,
        [&get, &list, &get_doc, &attached, &tags]
    );
    let have = read(&iam, "job", None)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(have.tags.get("team").map(String::as_str), Some("data"));
    assert_eq!(have.ownership(OWNER), Ownership::Ours);
    assert_eq!(
        have.boundary.as_deref(),
        Some("arn:aws:iam::123456789012:policy/b1")
    );
    assert!(have
        .managed
        .contains("arn:aws:iam::aws:policy/AdministratorAccess"));
    assert_eq!(
        have.inline.get("permissions").map(String::as_str),
        Some(DOC)
    );
    assert_eq!(tags.num_calls(), 0);
}

#[tokio::test]
async fn a_boundary_change_reaches_the_role_and_the_admin_attachment_is_detached() {
    let get = role_with!(
        &[(OWNER_TAG, OWNER), ("team", "data")],
        Some("arn:aws:iam::123456789012:policy/b1")
    );
    let [list, get_doc, attached] = one_inline_permissions();
    let put_boundary = mock!(Client::put_role_permissions_boundary)
        .match_requests(|r| r.permissions_boundary() == Some("arn:aws:iam::123456789012:policy/b2"))
        .then_output(|| PutRolePermissionsBoundaryOutput::builder().build());
    let detach = mock!(Client::detach_role_policy)
        .match_requests(|r| r.policy_arn() == Some("arn:aws:iam::aws:policy/AdministratorAccess"))
        .then_output(|| {
            aws_sdk_iam::operation::detach_role_policy::DetachRolePolicyOutput::builder().build()
        });
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::MatchAny,
        [&get, &list, &get_doc, &attached, &put_boundary, &detach]
    );
    let mut d = desired();
    d.boundary = Some("arn:aws:iam::123456789012:policy/b2".into());
    let r = reconcile(&iam, &d, true).await.expect("reconciled");
    assert_eq!(r.outcome, Outcome::Updated);
    assert_eq!(put_boundary.num_calls(), 1);
    assert_eq!(detach.num_calls(), 1);
}

/// The writes a mocked IAM saw, in order.
#[derive(Clone, Default)]
struct Writes(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl Writes {
    /// Records `what`; true, so it can be a rule's request matcher.
    fn note(&self, what: &str) -> bool {
        if let Ok(mut o) = self.0.lock() {
            o.push(what.to_string());
        }
        true
    }

    fn list(&self) -> Vec<String> {
        self.0.lock().map(|o| o.clone()).unwrap_or_default()
    }

    /// PutRolePolicy, recording the policy name (and, for the revocation,
    /// its document right after).
    fn puts(&self) -> aws_smithy_mocks::Rule {
        let seen = self.clone();
        mock!(Client::put_role_policy)
            .match_requests(move |r| {
                seen.note(r.policy_name().unwrap_or_default());
                if r.policy_name() == Some(REVOKE_POLICY) {
                    seen.note(r.policy_document().unwrap_or_default());
                }
                true
            })
            .then_output(|| PutRolePolicyOutput::builder().build())
    }
}

/// A create that finds its role already there with its own owner tag (made
/// by whoever could tag it, or by an apply that stopped part way) first
/// denies every session issued before now, then makes the role what the
/// plan says: whoever made it cannot keep credentials that gain the grants.
#[tokio::test]
async fn a_create_that_adopts_its_tagged_role_first_revokes_older_sessions() {
    let get = role_with!(&[(OWNER_TAG, OWNER), ("team", "data")], None);
    let [list, get_doc, attached] = one_inline_permissions();
    let order = Writes::default();
    let put = order.puts();
    let seen = order.clone();
    let detach = mock!(Client::detach_role_policy)
        .match_requests(move |_| seen.note("detach"))
        .then_output(|| {
            aws_sdk_iam::operation::detach_role_policy::DetachRolePolicyOutput::builder().build()
        });
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::MatchAny,
        [&get, &list, &get_doc, &attached, &put, &detach]
    );
    let before = aws_smithy_types::DateTime::from(std::time::SystemTime::now());
    let mut d = desired();
    d.inline.insert("more".into(), DOC.into());
    reconcile(&iam, &d, false).await.expect("reconciled");
    let order = order.list();
    assert_eq!(
        order.first().map(String::as_str),
        Some(REVOKE_POLICY),
        "{order:?}"
    );
    assert!(order.contains(&"more".to_string()), "{order:?}");
    // Sessions issued before the adoption, and only those, are denied.
    let doc = order.get(1).cloned().unwrap_or_default();
    assert!(is_revocation(&doc), "{doc}");
    let parsed = serde_json::from_str::<serde_json::Value>(&doc).unwrap_or_default();
    let cut = &parsed["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"];
    let cut = cut.as_str().or(cut[0].as_str()).unwrap_or_default();
    let cut =
        aws_smithy_types::DateTime::from_str(cut, aws_smithy_types::date_time::Format::DateTime);
    assert!(
        cut.as_ref().is_ok_and(|c| *c >= before),
        "{cut:?} < {before:?}"
    );
    // The same reconcile as an update (state records the role) revokes nothing.
    let [list, get_doc, attached] = one_inline_permissions();
    let get = role_with!(&[(OWNER_TAG, OWNER), ("team", "data")], None);
    let put_update = mock!(Client::put_role_policy)
        .match_requests(|r| r.policy_name() == Some(REVOKE_POLICY))
        .then_output(|| PutRolePolicyOutput::builder().build());
    let put_other =
        mock!(Client::put_role_policy).then_output(|| PutRolePolicyOutput::builder().build());
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::MatchAny,
        [
            &get,
            &list,
            &get_doc,
            &attached,
            &put_update,
            &put_other,
            &detach
        ]
    );
    reconcile(&iam, &d, true).await.expect("reconciled");
    assert_eq!(put_update.num_calls(), 0);
    // The document: a deny of everything to tokens issued before now.
    let doc = revocation_document("2026-12-02T08:30:00Z");
    assert!(is_revocation(&doc));
    assert!(doc.contains(r#""Effect":"Deny""#) && doc.contains("aws:TokenIssueTime"));
    assert!(!is_revocation(&doc.replace("Deny", "Allow")));
    assert!(!is_revocation(DOC));
    // A cut far in the future would deny every new session: not ours, drift.
    assert!(!is_revocation(&revocation_document("2099-01-01T00:00:00Z")));
}

/// When the adopted role trusts someone else, the trust is replaced first:
/// the revocation's cut comes after it, so no session of the old trust
/// survives.
#[tokio::test]
async fn an_adopted_role_gets_its_trust_before_the_revocation() {
    let other = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:AssumeRole"}]}"#;
    let squatted = {
        let mut r = role(&[(OWNER_TAG, OWNER), ("team", "data")], None);
        r.assume_role_policy_document = Some(other.to_string());
        r
    };
    let get = mock!(Client::get_role)
        .then_output(move || GetRoleOutput::builder().role(squatted.clone()).build());
    let [list, get_doc, attached] = one_inline_permissions();
    let order = Writes::default();
    let seen = order.clone();
    let trust = mock!(Client::update_assume_role_policy)
        .match_requests(move |_| seen.note("trust"))
        .then_output(|| {
            aws_sdk_iam::operation::update_assume_role_policy::UpdateAssumeRolePolicyOutput::builder()
                .build()
        });
    let put = order.puts();
    let detach = mock!(Client::detach_role_policy).then_output(|| {
        aws_sdk_iam::operation::detach_role_policy::DetachRolePolicyOutput::builder().build()
    });
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::MatchAny,
        [&get, &list, &get_doc, &attached, &trust, &put, &detach]
    );
    let mut d = desired();
    d.inline.insert("more".into(), DOC.into());
    reconcile(&iam, &d, false).await.expect("reconciled");
    let order = order.list();
    assert_eq!(
        order.first().map(String::as_str),
        Some("trust"),
        "{order:?}"
    );
    assert_eq!(
        order.get(1).map(String::as_str),
        Some(REVOKE_POLICY),
        "{order:?}"
    );
}

/// Refresh keeps the revocation out of the role's inline policies (it is
/// neither the resource's policy nor drift); the same name with any other
/// document is an inline policy like any other (drift, removed).
#[tokio::test]
async fn read_keeps_the_revocation_apart() {
    let revocation = revocation_document("2026-12-02T08:30:00Z");
    for (doc, apart) in [(revocation.clone(), true), (DOC.to_string(), false)] {
        let get = role_with!(&[(OWNER_TAG, OWNER)], None);
        let list = mock!(Client::list_role_policies).then_output(|| {
            ListRolePoliciesOutput::builder()
                .policy_names(REVOKE_POLICY)
                .is_truncated(false)
                .build()
                .expect("static output")
        });
        let text = doc.clone();
        let get_doc = mock!(Client::get_role_policy).then_output(move || {
            GetRolePolicyOutput::builder()
                .role_name("job")
                .policy_name(REVOKE_POLICY)
                .policy_document(text.clone())
                .build()
                .expect("static output")
        });
        let attached = mock!(Client::list_attached_role_policies).then_output(|| {
            ListAttachedRolePoliciesOutput::builder()
                .is_truncated(false)
                .build()
        });
        let iam = mock_client!(
            aws_sdk_iam,
            RuleMode::MatchAny,
            [&get, &list, &get_doc, &attached]
        );
        let have = read(&iam, "job", None)
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(have.revocation.is_some(), apart, "{doc}");
        assert_eq!(have.inline.contains_key(REVOKE_POLICY), !apart, "{doc}");
    }
}

#[tokio::test]
async fn a_foreign_role_of_the_same_name_is_refused_without_a_write() {
    let get = role_with!(&[("team", "data")], None);
    let [list, get_doc, attached] = one_inline_permissions();
    let put = mock!(Client::put_role_policy).then_output(|| PutRolePolicyOutput::builder().build());
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::MatchAny,
        [&get, &list, &get_doc, &attached, &put]
    );
    let e = reconcile(&iam, &desired(), false)
        .await
        .expect_err("refused");
    assert!(
        e.message.contains("not managed by this resource"),
        "{}",
        e.message
    );
    assert!(e.done.is_empty());
    assert_eq!(put.num_calls(), 0);
    // Another owner's role is refused even when adopting.
    let get = role_with!(&[(OWNER_TAG, "emr_runtime_role/someone")], None);
    let [list, get_doc, attached] = one_inline_permissions();
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::MatchAny,
        [&get, &list, &get_doc, &attached, &put]
    );
    let e = reconcile(&iam, &desired(), true)
        .await
        .expect_err("refused");
    assert!(
        e.message.contains("emr_runtime_role/someone"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn a_grant_moves_old_target_first_then_new_target() {
    let delete_a = mock!(Client::delete_role_policy)
        .match_requests(|r| r.role_name() == Some("A") && r.policy_name() == Some("grant"))
        .then_output(|| DeleteRolePolicyOutput::builder().build());
    let get_b = mock!(Client::get_role_policy)
        .match_requests(|r| r.role_name() == Some("B"))
        .then_error(|| GetRolePolicyError::generic(no_such_entity()));
    let put_b = mock!(Client::put_role_policy)
        .match_requests(|r| r.role_name() == Some("B") && r.policy_document() == Some(DOC))
        .then_output(|| PutRolePolicyOutput::builder().build());
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::Sequential,
        [&delete_a, &get_b, &put_b]
    );
    let old = RoleGrant::new("A", "grant", DOC.into());
    let new = RoleGrant::new("B", "grant", DOC.into());
    let placed = reconcile_grant(&iam, Some(&old), Some(&new))
        .await
        .expect("moved");
    assert_eq!(placed, Some(new));
    assert_eq!((delete_a.num_calls(), put_b.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_failed_put_reports_no_grant_in_place_and_propagation_errors_are_retried() {
    let get_b =
        mock!(Client::get_role_policy).then_error(|| GetRolePolicyError::generic(no_such_entity()));
    let put_b = mock!(Client::put_role_policy)
        .sequence()
        .error(|| {
            PutRolePolicyError::generic(
                aws_smithy_types::error::ErrorMetadata::builder()
                    .code("ConcurrentModification")
                    .message("busy")
                    .build(),
            )
        })
        .output(|| PutRolePolicyOutput::builder().build())
        .build();
    let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&get_b, &put_b]);
    let new = RoleGrant::new("B", "grant", DOC.into());
    assert_eq!(
        reconcile_grant(&iam, None, Some(&new))
            .await
            .expect("granted after a retry"),
        Some(new.clone())
    );
    assert_eq!(put_b.num_calls(), 2);
    let put_denied =
        mock!(Client::put_role_policy).then_error(|| PutRolePolicyError::unhandled("AccessDenied"));
    let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&get_b, &put_denied]);
    let (in_place, e) = reconcile_grant(&iam, None, Some(&new))
        .await
        .expect_err("fails");
    assert_eq!(in_place, None);
    assert!(e.contains("granting grant on role B"), "{e}");
}

#[tokio::test]
async fn a_missing_role_is_none() {
    // The two lists go out beside GetRole, so they see the missing role too.
    let get = mock!(Client::get_role).then_error(|| GetRoleError::generic(no_such_entity()));
    let inline = mock!(Client::list_role_policies)
        .then_error(|| ListRolePoliciesError::generic(no_such_entity()));
    let attached = mock!(Client::list_attached_role_policies)
        .then_error(|| ListAttachedRolePoliciesError::generic(no_such_entity()));
    let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&get, &inline, &attached]);
    assert_eq!(read(&iam, "job", None).await.expect("read"), None);
    assert_eq!(get.num_calls(), 1);
}

#[tokio::test]
async fn a_failed_list_fails_the_read_of_an_existing_role() {
    let get = mock!(Client::get_role).then_output(|| {
        GetRoleOutput::builder()
            .role(
                Role::builder()
                    .role_name("job")
                    .path("/")
                    .role_id("AROAEXAMPLE")
                    .arn("arn:aws:iam::123456789012:role/job")
                    .create_date(aws_smithy_types::DateTime::from_secs(0))
                    .build()
                    .expect("role"),
            )
            .build()
    });
    let inline = mock!(Client::list_role_policies).then_output(|| {
        ListRolePoliciesOutput::builder()
            .set_policy_names(Some(Vec::new()))
            .build()
            .expect("output")
    });
    let attached = mock!(Client::list_attached_role_policies).then_error(|| {
        ListAttachedRolePoliciesError::generic(
            aws_smithy_types::error::ErrorMetadata::builder()
                .code("AccessDenied")
                .message("not allowed")
                .build(),
        )
    });
    let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&get, &inline, &attached]);
    let e = read(&iam, "job", None)
        .await
        .expect_err("the attachment list failed");
    assert!(e.contains("listing attached policies of job"), "{e}");
}

#[tokio::test]
async fn throttling_is_retried_by_the_sdk_then_the_write_succeeds() {
    let get_b =
        mock!(Client::get_role_policy).then_error(|| GetRolePolicyError::generic(no_such_entity()));
    let put_b = mock!(Client::put_role_policy)
        .sequence()
        .error(|| {
            PutRolePolicyError::generic(
                aws_smithy_types::error::ErrorMetadata::builder()
                    .code("Throttling")
                    .message("Rate exceeded")
                    .build(),
            )
        })
        .times(2)
        .output(|| PutRolePolicyOutput::builder().build())
        .build();
    let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&get_b, &put_b], |c| c
        .retry_config(
            aws_smithy_types::retry::RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(std::time::Duration::from_millis(1))
        ));
    let new = RoleGrant::new("B", "grant", DOC.into());
    assert_eq!(
        reconcile_grant(&iam, None, Some(&new))
            .await
            .expect("granted after throttling"),
        Some(new)
    );
    assert_eq!(put_b.num_calls(), 3);
}

#[test]
fn settings_drift_names_boundary_tags_and_session() {
    let d = desired();
    let mut have = observed_like(&d);
    assert!(have.settings_drift(&d).is_empty());
    have.boundary = Some("arn:aws:iam::aws:policy/PowerUserAccess".into());
    have.tags.insert("team".into(), "intruder".into());
    have.max_session = 43_200;
    assert_eq!(
        have.settings_drift(&d),
        [
            "job/permissions boundary arn:aws:iam::aws:policy/PowerUserAccess",
            "job/tags {team=intruder}",
            "job/max session 43200s",
        ]
    );
}
