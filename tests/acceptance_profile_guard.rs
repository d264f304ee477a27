//! Acceptance tests (every Terraform from `common::terraform_binaries()`,
//! against moto) for what guards a launch profile's roles (issue #10):
//!
//! - an inline policy on a created role is left alone only when it is
//!   exactly a grant the provider writes there (emr_runtime_role's grant on
//!   the instance role, a launch function's secret grant on the service
//!   role); anything else, whatever its name, is drift that apply removes;
//! - the emr_launch_profile data source does not hand out role ARNs that a
//!   tampered SSM record points elsewhere.

mod common;

use common::{blocking_sdk, is_no_such_entity, plan_code, terraform_binaries, Emulator, Workspace};

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{json, Value};

use common::PROVIDER;

const PROFILE_PARAM: &str = "/emr_launch/emr_profiles/analytics/guarded";
const INSTANCE_ROLE: &str = "analytics-guarded-emr-instance";
const SERVICE_ROLE: &str = "analytics-guarded-emr-service";
const RUNTIME_GRANT: &str = "emr-runtime-role-emr-rt-guarded";
const EVIL: &str = "emr-runtime-role-evil";
/// A launch function `analytics/nightly`'s secret grant: named for its
/// execution role, which carries the function's owner tag.
const SECRET_GRANT: &str = "emr-launch-secrets-analytics-nightly-emr-launch-fn";
const FUNCTION_ROLE: &str = "analytics-nightly-emr-launch-fn";
/// The same exact grant, named for a role no launch function owns.
const UNOWNED_SECRET_GRANT: &str = "emr-launch-secrets-analytics-nightly-sfn";
const WIDE_SECRET_GRANT: &str = "emr-launch-secrets-wide";
const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hive-metastore-AbCdEf";
const ADMIN_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
/// emr_runtime_role's grant name for a runtime role `emr-rt-foreign`, here
/// naming a role of another account.
const FOREIGN_ACCOUNT_GRANT: &str = "emr-runtime-role-emr-rt-foreign";

/// A profile with created roles and a runtime role whose grant goes on the
/// profile's instance role.
const PROFILE_AND_RUNTIME_ROLE: &str = r#"
resource "emr_launch_profile" "guarded" {
  namespace = "analytics"
  name      = "guarded"
  logs_uri  = "s3://acme-emr/logs/"
}

resource "emr_runtime_role" "rt" {
  name = "emr-rt-guarded"
  emr_on_ec2 {
    instance_role_arn         = emr_launch_profile.guarded.instance_role_arn
    propagate_source_identity = true
  }
  s3_read = ["s3://datalake/curated/"]
}
"#;

const READER: &str = r#"
data "emr_launch_profile" "p" {
  namespace = "analytics"
  name      = "guarded"
}

output "service_role_arn" {
  value = data.emr_launch_profile.p.service_role_arn
}
"#;

struct Aws {
    rt: tokio::runtime::Runtime,
    iam: aws_sdk_iam::Client,
    ssm: aws_sdk_ssm::Client,
}

impl Aws {
    fn new(emulator: &Emulator) -> Aws {
        let (rt, config) = blocking_sdk(emulator);
        Aws {
            rt,
            iam: aws_sdk_iam::Client::new(&config),
            ssm: aws_sdk_ssm::Client::new(&config),
        }
    }

    fn put_inline(&self, role: &str, policy: &str, doc: &Value) {
        self.rt
            .block_on(
                self.iam
                    .put_role_policy()
                    .role_name(role)
                    .policy_name(policy)
                    .policy_document(doc.to_string())
                    .send(),
            )
            .unwrap_or_else(|e| panic!("PutRolePolicy({role}, {policy}): {e:?}"));
    }

    fn attach(&self, role: &str, arn: &str) {
        self.rt
            .block_on(
                self.iam
                    .attach_role_policy()
                    .role_name(role)
                    .policy_arn(arn)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("AttachRolePolicy({role}, {arn}): {e:?}"));
    }

    fn attached(&self, role: &str) -> BTreeSet<String> {
        common::role_attached(&self.rt, &self.iam, role)
    }

    fn inline_names(&self, role: &str) -> BTreeSet<String> {
        self.rt
            .block_on(self.iam.list_role_policies().role_name(role).send())
            .unwrap_or_else(|e| panic!("ListRolePolicies({role}): {e:?}"))
            .policy_names()
            .iter()
            .cloned()
            .collect()
    }

    fn create_role(&self, name: &str) {
        self.create_tagged_role(name, None);
    }

    /// A role, with the provider's owner tag when `owner` is given.
    fn create_tagged_role(&self, name: &str, owner: Option<&str>) {
        let trust = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]});
        let tags = owner.map(|o| {
            vec![aws_sdk_iam::types::Tag::builder()
                .key("emr-launch:managed-by")
                .value(o)
                .build()
                .expect("tag")]
        });
        self.rt
            .block_on(
                self.iam
                    .create_role()
                    .role_name(name)
                    .assume_role_policy_document(trust.to_string())
                    .set_tags(tags)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("CreateRole({name}): {e:?}"));
    }

    fn role_exists(&self, name: &str) -> bool {
        match self.rt.block_on(self.iam.get_role().role_name(name).send()) {
            Ok(_) => true,
            Err(e) if is_no_such_entity(&e) => false,
            Err(e) => panic!("GetRole({name}): {e:?}"),
        }
    }

    fn delete_role(&self, name: &str) {
        self.rt
            .block_on(self.iam.delete_role().role_name(name).send())
            .unwrap_or_else(|e| panic!("DeleteRole({name}): {e:?}"));
    }

    fn parameter_exists(&self, name: &str) -> bool {
        self.rt
            .block_on(self.ssm.get_parameter().name(name).send())
            .is_ok()
    }

    fn stored(&self, name: &str) -> Value {
        let out = self
            .rt
            .block_on(self.ssm.get_parameter().name(name).send())
            .unwrap_or_else(|e| panic!("GetParameter({name}): {e:?}"));
        let text = out
            .parameter()
            .and_then(|p| p.value())
            .unwrap_or_default()
            .to_owned();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON ({e}): {text}"))
    }

    fn put_parameter(&self, name: &str, value: &Value) {
        self.rt
            .block_on(
                self.ssm
                    .put_parameter()
                    .name(name)
                    .value(value.to_string())
                    .r#type(aws_sdk_ssm::types::ParameterType::String)
                    .overwrite(true)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("PutParameter({name}): {e:?}"));
    }
}

fn admin_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}
    ]})
}

/// Exactly what a launch function writes on the service role.
fn secret_grant() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "ResolveConfigurationSecrets",
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": SECRET
    }]})
}

/// The same shape, widened.
fn wide_secret_grant() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "ResolveConfigurationSecrets",
        "Effect": "Allow",
        "Action": "secretsmanager:*",
        "Resource": SECRET
    }]})
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------
// 1. Inline policies on created roles: exact provider grants only
// ---------------------------------------------------------------------------

#[test]
fn profile_keeps_only_exact_provider_grants() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        exact_grants(&terraform, &emulator, &aws);
    }
}

fn exact_grants(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    let ws = Workspace::new(
        terraform,
        emulator,
        &format!("{PROVIDER}{PROFILE_AND_RUNTIME_ROLE}"),
    );
    let v = ws.version().to_owned();
    ws.apply();
    assert_eq!(
        aws.inline_names(INSTANCE_ROLE),
        set(&["emr-launch-instance", RUNTIME_GRANT]),
        "[tf {v}] the instance role carries the profile's policy and the runtime role's grant"
    );
    // The runtime role's grant on the profile's role is no drift.
    plan_code(
        &ws,
        0,
        "the runtime role's grant is not drift of the profile",
    );

    // A real secret grant on the service role is left alone too: the
    // execution role it is named for is a launch function's.
    aws.create_tagged_role(FUNCTION_ROLE, Some("emr_launch_function/analytics/nightly"));
    aws.put_inline(SERVICE_ROLE, SECRET_GRANT, &secret_grant());
    plan_code(
        &ws,
        0,
        "a launch function's exact secret grant is not drift",
    );

    // The same shapes, written by no resource of this provider: a secret
    // grant named for a role no launch function owns, and the runtime-role
    // grant for a role that is not an emr_runtime_role (here one any
    // principal of the account may be trusted into): both drift.
    const ADMIN_ROLE: &str = "Admin";
    const ADMIN_GRANT: &str = "emr-runtime-role-Admin";
    aws.create_role(ADMIN_ROLE);
    aws.put_inline(
        INSTANCE_ROLE,
        ADMIN_GRANT,
        &json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "AssumeRuntimeRole",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Resource": "arn:aws:iam::123456789012:role/Admin"
        }]}),
    );
    aws.put_inline(SERVICE_ROLE, UNOWNED_SECRET_GRANT, &secret_grant());
    let out = plan_code(&ws, 2, "grant shapes written by no resource are drift");
    for word in [ADMIN_GRANT, UNOWNED_SECRET_GRANT] {
        assert!(
            out.all().contains(word),
            "[tf {v}] the plan does not show {word:?}:\n{}",
            out.all()
        );
    }
    ws.apply();
    assert_eq!(
        aws.inline_names(INSTANCE_ROLE),
        set(&["emr-launch-instance", RUNTIME_GRANT]),
        "[tf {v}] apply removes {ADMIN_GRANT} and keeps the runtime role's grant"
    );
    assert_eq!(
        aws.inline_names(SERVICE_ROLE),
        set(&["emr-launch-pass-roles", SECRET_GRANT]),
        "[tf {v}] apply removes {UNOWNED_SECRET_GRANT} and keeps the function's grant"
    );
    plan_code(&ws, 0, "after removing the unowned grants");
    aws.delete_role(ADMIN_ROLE);

    // An admin grant hidden under the runtime-role grant name, and a widened
    // secret grant under the secret-grant name: both drift.
    aws.put_inline(INSTANCE_ROLE, EVIL, &admin_policy());
    aws.put_inline(SERVICE_ROLE, WIDE_SECRET_GRANT, &wide_secret_grant());
    let out = plan_code(&ws, 2, "foreign inline policies must show as drift");
    let all = out.all();
    for word in [EVIL, WIDE_SECRET_GRANT, "emr_launch_profile.guarded"] {
        assert!(
            all.contains(word),
            "[tf {v}] the plan does not show {word:?}:\n{all}"
        );
    }
    assert!(
        !all.contains("emr_runtime_role.rt will be"),
        "[tf {v}] the runtime role is unchanged:\n{all}"
    );

    ws.apply();
    assert_eq!(
        aws.inline_names(INSTANCE_ROLE),
        set(&["emr-launch-instance", RUNTIME_GRANT]),
        "[tf {v}] apply removes {EVIL} and keeps the runtime role's grant"
    );
    assert_eq!(
        aws.inline_names(SERVICE_ROLE),
        set(&["emr-launch-pass-roles", SECRET_GRANT]),
        "[tf {v}] apply removes the widened secret grant and keeps the exact one"
    );
    plan_code(&ws, 0, "after the repair the plan is empty");

    // The exact runtime-role grant under a name that is not its own is drift.
    let grant = aws.rt.block_on(
        aws.iam
            .get_role_policy()
            .role_name(INSTANCE_ROLE)
            .policy_name(RUNTIME_GRANT)
            .send(),
    );
    let doc = common::document(
        grant
            .expect("GetRolePolicy runtime grant")
            .policy_document(),
        "runtime grant",
    );
    aws.put_inline(INSTANCE_ROLE, "emr-runtime-role-copy", &doc);
    plan_code(&ws, 2, "a copied grant under another name is drift");
    ws.apply();
    assert!(
        !aws.inline_names(INSTANCE_ROLE)
            .contains("emr-runtime-role-copy"),
        "[tf {v}] apply removes the copy"
    );

    // Exactly the runtime-role grant's shape under its own name, but for a
    // role of another account: not a grant emr_runtime_role writes here.
    aws.put_inline(
        INSTANCE_ROLE,
        FOREIGN_ACCOUNT_GRANT,
        &json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "AssumeRuntimeRole",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Resource": "arn:aws:iam::999988887777:role/emr-rt-foreign"
        }]}),
    );
    let out = plan_code(&ws, 2, "a grant for another account's role is drift");
    assert!(
        out.all().contains(FOREIGN_ACCOUNT_GRANT),
        "[tf {v}] the plan shows {FOREIGN_ACCOUNT_GRANT}:\n{}",
        out.all()
    );
    ws.apply();
    assert_eq!(
        aws.inline_names(INSTANCE_ROLE),
        set(&["emr-launch-instance", RUNTIME_GRANT]),
        "[tf {v}] apply removes {FOREIGN_ACCOUNT_GRANT} and keeps the runtime role's grant"
    );
    plan_code(&ws, 0, "after removing the other account's grant");

    // A managed policy attached out of band to a created role is drift too.
    let before = aws.attached(INSTANCE_ROLE);
    aws.attach(INSTANCE_ROLE, ADMIN_ACCESS);
    let out = plan_code(&ws, 2, "AdministratorAccess on the instance role is drift");
    assert!(
        out.all().contains("AdministratorAccess"),
        "[tf {v}] the plan shows the attachment:\n{}",
        out.all()
    );
    ws.apply();
    assert_eq!(
        aws.attached(INSTANCE_ROLE),
        before,
        "[tf {v}] apply detaches AdministratorAccess, and only it"
    );
    assert!(!before.contains(ADMIN_ACCESS), "[tf {v}] {before:?}");
    plan_code(&ws, 0, "after detaching AdministratorAccess");

    // Tags changed out of band on a created role are drift; apply restores them.
    aws.rt
        .block_on(
            aws.iam
                .tag_role()
                .role_name(INSTANCE_ROLE)
                .tags(
                    aws_sdk_iam::types::Tag::builder()
                        .key("cost-center")
                        .value("stolen")
                        .build()
                        .expect("tag"),
                )
                .send(),
        )
        .expect("TagRole");
    let out = plan_code(&ws, 2, "a tag added to the instance role is drift");
    assert!(
        out.all().contains("cost-center"),
        "[tf {v}] the plan shows the tag:\n{}",
        out.all()
    );
    ws.apply();
    let tags = aws
        .rt
        .block_on(aws.iam.list_role_tags().role_name(INSTANCE_ROLE).send())
        .expect("ListRoleTags");
    assert!(
        !tags.tags().iter().any(|t| t.key() == "cost-center"),
        "[tf {v}] apply removes the tag: {:?}",
        tags.tags()
    );
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == "emr-launch:managed-by"),
        "[tf {v}] the owner tag stays: {:?}",
        tags.tags()
    );
    plan_code(&ws, 0, "after restoring the tags");

    // Cleanup: the secret grant is not the profile's, remove it so destroy
    // can delete the service role.
    aws.rt
        .block_on(
            aws.iam
                .delete_role_policy()
                .role_name(SERVICE_ROLE)
                .policy_name(SECRET_GRANT)
                .send(),
        )
        .expect("DeleteRolePolicy secret grant");
    aws.delete_role(FUNCTION_ROLE);
    ws.destroy();
}

// ---------------------------------------------------------------------------
// 1b. A role of a created role's name made elsewhere is refused at create,
//     before anything is written
// ---------------------------------------------------------------------------

#[test]
fn profile_refuses_a_role_it_did_not_create() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        squatted_name(&terraform, &emulator, &aws);
    }
}

fn squatted_name(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    // The autoscaling role is created last: a refusal only there would
    // leave the other two behind if names were not checked up front.
    let squatter = "analytics-guarded-emr-autoscaling";
    aws.create_role(squatter);
    let ws = Workspace::new(
        terraform,
        emulator,
        &format!(
            "{PROVIDER}{}",
            r#"
resource "emr_launch_profile" "guarded" {
  namespace = "analytics"
  name      = "guarded"
}
"#
        ),
    );
    let v = ws.version().to_owned();
    let args = ["apply", "-auto-approve", "-input=false", "-no-color"];
    let out = ws.run(&args);
    let all = out
        .all()
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let want = format!("role {squatter} already exists and is not managed by this profile");
    assert!(
        out.code == 1 && all.contains(&want),
        "[tf {v}] the create must be refused with {want:?}\n{}",
        ws.describe_failure(&args, &out)
    );
    for role in [SERVICE_ROLE, INSTANCE_ROLE] {
        assert!(
            !aws.role_exists(role),
            "[tf {v}] {role} was created although the profile was refused"
        );
    }
    assert!(
        !aws.parameter_exists(PROFILE_PARAM),
        "[tf {v}] the refused profile wrote its parameter"
    );
    assert!(
        aws.inline_names(squatter).is_empty() && aws.attached(squatter).is_empty(),
        "[tf {v}] the refused role was modified"
    );
    let state = ws.state_json();
    assert!(
        state["values"]["root_module"]["resources"]
            .as_array()
            .is_none_or(|r| r.is_empty()),
        "[tf {v}] the refused profile is in state: {state:#}"
    );

    // Once the name is free, the same configuration applies and destroys.
    aws.delete_role(squatter);
    ws.apply();
    plan_code(&ws, 0, "re-plan after the create");
    ws.destroy();
    assert!(!aws.role_exists(squatter), "[tf {v}] destroy");
}

// ---------------------------------------------------------------------------
// 2. The data source cannot be redirected by a tampered record
// ---------------------------------------------------------------------------

#[test]
fn profile_data_source_refuses_a_tampered_record() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        tampered_record(&terraform, &emulator, &aws);
    }
}

fn reader_fails(reader: &Workspace, mentions: &[&str], why: &str) {
    let v = reader.version();
    let args = ["plan", "-input=false", "-no-color"];
    let out = reader.run(&args);
    let all = out.all();
    let missing: Vec<&&str> = mentions.iter().filter(|m| !all.contains(**m)).collect();
    assert!(
        out.code == 1 && missing.is_empty(),
        "[tf {v}] {why}: want exit 1 mentioning {mentions:?} (missing {missing:?})\n{}",
        reader.describe_failure(&args, &out)
    );
}

fn tampered_record(terraform: &Path, emulator: &Emulator, aws: &Aws) {
    let ws = Workspace::new(
        terraform,
        emulator,
        &format!(
            "{PROVIDER}{}",
            r#"
resource "emr_launch_profile" "guarded" {
  namespace = "analytics"
  name      = "guarded"
}
"#
        ),
    );
    let v = ws.version().to_owned();
    ws.apply();
    let reader = Workspace::new(terraform, emulator, &format!("{PROVIDER}{READER}"));
    reader.apply();
    plan_code(&reader, 0, "an intact record reads cleanly");

    let good = aws.stored(PROFILE_PARAM);
    let admin = "arn:aws:iam::123456789012:role/admin";
    let mut bad = good.clone();
    bad["ServiceRole"] = json!(admin);
    aws.put_parameter(PROFILE_PARAM, &bad);
    reader_fails(
        &reader,
        &["ServiceRole", admin, SERVICE_ROLE, "outside Terraform"],
        "a ServiceRole pointed at role/admin",
    );

    let mut bad = good.clone();
    bad["InstanceRole"] = json!(format!("arn:aws:iam::999988887777:role/{INSTANCE_ROLE}"));
    aws.put_parameter(PROFILE_PARAM, &bad);
    reader_fails(
        &reader,
        &["InstanceRole", "999988887777"],
        "an InstanceRole in another account",
    );

    // Flipped to "declared roles" while the created roles exist.
    let mut bad = good.clone();
    bad["RolesCreated"] = json!(false);
    bad["ServiceRole"] = json!(admin);
    aws.put_parameter(PROFILE_PARAM, &bad);
    reader_fails(
        &reader,
        &["RolesCreated", SERVICE_ROLE],
        "a record flipped to declared roles",
    );

    // Restored: the reader works again, the profile re-plans empty.
    aws.put_parameter(PROFILE_PARAM, &good);
    plan_code(&reader, 0, "the restored record reads cleanly");
    plan_code(&ws, 0, "the restored record is no drift");
    ws.destroy();

    // Declared roles: the instance profile must hold the stored instance role.
    aws.create_role("acme-emr-ec2");
    aws.create_role("acme-emr-other");
    aws.create_role("acme-emr-service");
    aws.rt.block_on(async {
        aws.iam
            .create_instance_profile()
            .instance_profile_name("acme-emr-ec2-profile")
            .send()
            .await
            .expect("CreateInstanceProfile");
        aws.iam
            .add_role_to_instance_profile()
            .instance_profile_name("acme-emr-ec2-profile")
            .role_name("acme-emr-ec2")
            .send()
            .await
            .expect("AddRoleToInstanceProfile");
    });
    ws.write(&format!(
        "{PROVIDER}{}",
        r#"
resource "emr_launch_profile" "guarded" {
  namespace = "analytics"
  name      = "guarded"
  roles {
    service_role_arn     = "arn:aws:iam::123456789012:role/acme-emr-service"
    instance_profile_arn = "arn:aws:iam::123456789012:instance-profile/acme-emr-ec2-profile"
  }
}
"#
    ));
    ws.apply();
    reader.apply();
    plan_code(&reader, 0, "a declared profile reads cleanly");
    let good = aws.stored(PROFILE_PARAM);
    let mut bad = good.clone();
    let other = "arn:aws:iam::123456789012:role/acme-emr-other";
    bad["InstanceRole"] = json!(other);
    aws.put_parameter(PROFILE_PARAM, &bad);
    reader_fails(
        &reader,
        &["InstanceRole", other, "acme-emr-ec2"],
        "a declared InstanceRole that is not in the instance profile",
    );
    aws.put_parameter(PROFILE_PARAM, &good);
    plan_code(&reader, 0, "the restored declared record reads cleanly");
    ws.destroy();
    let _ = v;
}
