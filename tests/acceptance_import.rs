//! Onboarding (issue #16): `import` blocks with `-generate-config-out`.
//! Every resource type the provider created imports into a second workspace
//! with generated configuration and plans nothing after the import; objects
//! made by hand (a runtime role, a security configuration with a setting the
//! blocks do not model, an EMR Serverless application with auto-stop off)
//! import too, and the first plan shows exactly the tightening as in-place
//! updates. Terraform 1.5 added import blocks: older binaries are skipped.

mod common;

use std::collections::BTreeMap;

use common::{blocking_sdk, plan_code, terraform_binaries, Emulator, Output, Workspace};
use serde_json::{json, Value};

use common::PROVIDER;

/// One object of every resource type, as a platform team writes them.
fn every_resource(subnets: &[String; 2], sg: &str) -> String {
    let [a, b] = subnets;
    format!(
        r#"
resource "emr_security_configuration" "sc" {{
  name = "onboard-sc"
  runtime_roles {{
    lake_formation_authorized_session_tag = "Amazon EMR"
  }}
}}

resource "emr_launch_profile" "p" {{
  namespace              = "analytics"
  name                   = "p"
  security_configuration = emr_security_configuration.sc.name
  logs_uri               = "s3://logs-bucket/emr/"
}}

resource "emr_runtime_role" "rt" {{
  name    = "onboard-rt"
  s3_read = ["s3://datalake/curated/"]
  emr_on_ec2 {{
    instance_role_arn         = emr_launch_profile.p.instance_role_arn
    propagate_source_identity = true
    lake_formation            = true
  }}
  emr_serverless {{}}
  tags = {{ team = "analysts" }}
}}

resource "emr_cluster_configuration" "c" {{
  namespace     = "analytics"
  name          = "c"
  release_label = "emr-7.8.0"
  applications  = ["Spark"]
  subnet_ids    = ["subnet-12345678"]
  instance_group {{
    role           = "MASTER"
    instance_type  = "m5.xlarge"
    instance_count = 1
  }}
  instance_group {{
    role           = "CORE"
    instance_type  = "m5.xlarge"
    instance_count = 2
  }}
  override {{
    name    = "CoreInstanceCount"
    path    = "Instances.InstanceGroups[1].InstanceCount"
    minimum = 1
    maximum = 10
  }}
}}

resource "emr_launch_function" "f" {{
  namespace             = "analytics"
  name                  = "nightly"
  profile               = emr_launch_profile.p
  cluster_configuration = emr_cluster_configuration.c
  cluster_name          = "nightly-etl"
  allowed_overrides     = ["CoreInstanceCount"]
}}

resource "emr_serverless_dataplane" "acme" {{
  name               = "acme"
  mode               = "private"
  resource_bucket    = "acme-emr-serverless"
  subnet_ids         = ["{a}", "{b}"]
  security_group_ids = ["{sg}"]
  control_plane {{
    principal_arn = "arn:aws:iam::999988887777:role/control-plane"
  }}
}}

resource "emr_serverless_application" "app" {{
  name          = "onboard-app"
  type          = "SPARK"
  release_label = "emr-7.8.0"
  maximum_capacity {{
    cpu    = "200 vCPU"
    memory = "800 GB"
  }}
  network {{
    subnet_ids         = ["{a}", "{b}"]
    security_group_ids = ["{sg}"]
  }}
}}

resource "emr_serverless_job_function" "j" {{
  namespace          = "acme"
  name               = "nightly-etl"
  application_id     = emr_serverless_application.app.id
  execution_role_arn = emr_serverless_dataplane.acme.job_runtime_role_arn
  entry_points       = ["s3://acme/jobs/etl.py", "s3://acme/jobs/backfill.py"]
  override {{
    name    = "ExecutorInstances"
    conf    = "spark.executor.instances"
    minimum = 1
    maximum = 50
  }}
}}
"#
    )
}

fn import_block(to: &str, id: &str) -> String {
    format!("import {{\n  to = {to}\n  id = {}\n}}\n", json!(id))
}

/// The plan summary line, e.g. "Plan: 7 to import, 0 to add, 0 to change, 0 to destroy."
fn summary(out: &Output) -> String {
    let line = out.stdout.lines().find(|l| l.starts_with("Plan: "));
    line.unwrap_or("(no plan summary)").to_string()
}

/// `plan -generate-config-out`: the configuration Terraform writes for the
/// import blocks, and that plan's output.
fn generate(ws: &Workspace) -> (String, Output) {
    let args = [
        "plan",
        "-input=false",
        "-no-color",
        "-generate-config-out=generated.tf",
    ];
    let out = ws.run_ok(&args);
    let generated = std::fs::read_to_string(ws.dir().join("generated.tf"))
        .unwrap_or_else(|e| panic!("generated.tf ({e}):\n{}", out.all()));
    (generated, out)
}

struct Aws {
    rt: tokio::runtime::Runtime,
    ec2: aws_sdk_ec2::Client,
    iam: aws_sdk_iam::Client,
    emr: aws_sdk_emr::Client,
    sls: aws_sdk_emrserverless::Client,
}

impl Aws {
    fn new(emulator: &Emulator) -> Aws {
        let (rt, conf) = blocking_sdk(emulator);
        Aws {
            rt,
            ec2: aws_sdk_ec2::Client::new(&conf),
            iam: aws_sdk_iam::Client::new(&conf),
            emr: aws_sdk_emr::Client::new(&conf),
            sls: aws_sdk_emrserverless::Client::new(&conf),
        }
    }

    /// Two subnets and a security group of a new VPC.
    fn network(&self) -> ([String; 2], String) {
        self.rt.block_on(async {
            let vpc = self
                .ec2
                .create_vpc()
                .cidr_block("10.30.0.0/16")
                .send()
                .await;
            let vpc = vpc
                .expect("CreateVpc")
                .vpc()
                .unwrap()
                .vpc_id()
                .unwrap()
                .to_owned();
            let mut subnets = Vec::new();
            for (cidr, az) in [
                ("10.30.1.0/24", "us-east-1a"),
                ("10.30.2.0/24", "us-east-1b"),
            ] {
                let s = self.ec2.create_subnet().vpc_id(&vpc).cidr_block(cidr);
                let s = s.availability_zone(az).send().await.expect("CreateSubnet");
                subnets.push(s.subnet().unwrap().subnet_id().unwrap().to_owned());
            }
            let sg = self.ec2.create_security_group().vpc_id(&vpc);
            let sg = sg.group_name("onboard").description("onboard").send().await;
            let sg = sg
                .expect("CreateSecurityGroup")
                .group_id()
                .unwrap()
                .to_owned();
            ([subnets[0].clone(), subnets[1].clone()], sg)
        })
    }

    fn trust(&self, role: &str) -> Value {
        let out = self.rt.block_on(self.iam.get_role().role_name(role).send());
        let doc = out
            .expect("GetRole")
            .role()
            .unwrap()
            .assume_role_policy_document()
            .unwrap_or("{}")
            .to_owned();
        common::document(&doc, "trust")
    }

    fn inline_names(&self, role: &str) -> Vec<String> {
        let out = self
            .rt
            .block_on(self.iam.list_role_policies().role_name(role).send());
        out.expect("ListRolePolicies").policy_names().to_vec()
    }

    fn tags(&self, role: &str) -> BTreeMap<String, String> {
        common::role_tags(&self.rt, &self.iam, role)
    }

    fn application(&self, id: &str) -> aws_sdk_emrserverless::types::Application {
        let out = self
            .rt
            .block_on(self.sls.get_application().application_id(id).send());
        out.expect("GetApplication").application().unwrap().clone()
    }
}

// ---------------------------------------------------------------------------
// 1. Every resource type, created by the provider, imported with generated
//    configuration
// ---------------------------------------------------------------------------

#[test]
fn every_resource_imports_with_generated_configuration() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        let platform = Workspace::new(&terraform, &emulator, PROVIDER);
        if !platform.version_at_least(1, 5) {
            eprintln!(
                "[tf {}] no import blocks before 1.5: skipped",
                platform.version()
            );
            continue;
        }
        let (subnets, sg) = aws.network();
        let v = platform.version().to_owned();
        platform.write(&format!("{PROVIDER}{}", every_resource(&subnets, &sg)));
        platform.apply();
        let app_id = platform.resource_values("emr_serverless_application.app")["id"]
            .as_str()
            .expect("application id")
            .to_owned();
        let imports = [
            ("emr_security_configuration.sc", "onboard-sc"),
            ("emr_launch_profile.p", "analytics/p"),
            ("emr_runtime_role.rt", "onboard-rt"),
            ("emr_cluster_configuration.c", "analytics/c"),
            ("emr_launch_function.f", "analytics/nightly"),
            ("emr_serverless_dataplane.acme", "acme"),
            ("emr_serverless_application.app", app_id.as_str()),
            ("emr_serverless_job_function.j", "acme/nightly-etl"),
        ];
        let blocks: String = imports
            .iter()
            .map(|(to, id)| import_block(to, id))
            .collect();
        let second = Workspace::new(&terraform, &emulator, &format!("{PROVIDER}{blocks}"));
        let (generated, out) = generate(&second);
        for (to, _) in imports {
            let (ty, label) = to.split_once('.').unwrap();
            assert!(
                generated.contains(&format!("resource \"{ty}\" \"{label}\"")),
                "[tf {v}] no configuration generated for {to}:\n{generated}"
            );
        }
        assert_eq!(
            summary(&out),
            "Plan: 8 to import, 0 to add, 0 to change, 0 to destroy.",
            "[tf {v}] the first plan imports and changes nothing:\n{}\n{generated}",
            out.all()
        );
        let applied = second.apply();
        assert!(
            applied
                .stdout
                .contains("8 imported, 0 added, 0 changed, 0 destroyed"),
            "[tf {v}] apply imports all eight:\n{}",
            applied.all()
        );
        plan_code(&second, 0, "re-plan after the import");
        // Keeping one form of the security configuration's document (here
        // configuration_json) rewrites state and replaces nothing.
        let created =
            second.resource_values("emr_security_configuration.sc")["creation_date"].clone();
        let start = generated
            .find("  runtime_roles {")
            .expect("runtime_roles block generated");
        let end = start
            + generated[start..]
                .find("\n  }\n")
                .expect("end of the block")
            + 5;
        let one_form = format!("{}{}", &generated[..start], &generated[end..]);
        std::fs::write(second.dir().join("generated.tf"), &one_form).unwrap();
        let out = plan_code(&second, 2, "the blocks removed");
        assert!(
            out.stdout
                .contains("emr_security_configuration.sc will be updated in-place")
                && summary(&out) == "Plan: 0 to add, 1 to change, 0 to destroy.",
            "[tf {v}] a form switch is an in-place update:\n{}",
            out.all()
        );
        second.apply();
        plan_code(&second, 0, "re-plan after the form switch");
        let after =
            second.resource_values("emr_security_configuration.sc")["creation_date"].clone();
        assert_eq!(
            created, after,
            "[tf {v}] the security configuration was not replaced"
        );
        // The imported state names the same objects the platform created.
        for (to, _) in imports {
            let (a, b) = (platform.resource_values(to), second.resource_values(to));
            assert_eq!(a["id"], b["id"], "[tf {v}] {to} id");
        }
        // The platform keeps its records; the second workspace lets go.
        for (to, _) in imports {
            second.state_rm(to);
        }
        platform.destroy();
    }
}

// ---------------------------------------------------------------------------
// 2. Objects made by hand: import, the tightening shows as updates, apply
//    converges
// ---------------------------------------------------------------------------

const HAND_ROLE: &str = "handmade-rt";
const HAND_SC: &str = "handmade-sc";
const LEGACY_POLICY: &str = "legacy-s3";

/// A role, a security configuration and an application, made outside
/// Terraform; returns the application id.
fn make_by_hand(aws: &Aws) -> String {
    let trust = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "emr-serverless.amazonaws.com"},
        "Action": "sts:AssumeRole"
    }]});
    let legacy = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:*", "Resource": "*"
    }]});
    let document = json!({
        "EncryptionConfiguration": {"EnableAtRestEncryption": false, "EnableInTransitEncryption": false},
        "InstanceMetadataServiceConfiguration": {
            "MinimumInstanceMetadataServiceVersion": 2, "HttpPutResponseHopLimit": 1
        }
    });
    aws.rt.block_on(async {
        let r = aws.iam.create_role().role_name(HAND_ROLE);
        r.assume_role_policy_document(trust.to_string())
            .send()
            .await
            .expect("CreateRole");
        let p = aws
            .iam
            .put_role_policy()
            .role_name(HAND_ROLE)
            .policy_name(LEGACY_POLICY);
        p.policy_document(legacy.to_string())
            .send()
            .await
            .expect("PutRolePolicy");
        let sc = aws.emr.create_security_configuration().name(HAND_SC);
        sc.security_configuration(document.to_string())
            .send()
            .await
            .expect("CreateSecurityConfiguration");
        use aws_sdk_emrserverless::types::AutoStopConfig;
        let app = aws
            .sls
            .create_application()
            .name("handmade-app")
            .r#type("SPARK");
        let app = app.release_label("emr-7.8.0").client_token("handmade");
        let off = AutoStopConfig::builder().enabled(false).build();
        let app = app
            .auto_stop_configuration(off)
            .send()
            .await
            .expect("CreateApplication");
        app.application_id().to_owned()
    })
}

#[test]
fn hand_made_objects_import_and_tighten_in_place() {
    let emulator = Emulator::start();
    let aws = Aws::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        let app_id = make_by_hand(&aws);
        let blocks = [
            import_block("emr_runtime_role.hand", HAND_ROLE),
            import_block("emr_security_configuration.hand", HAND_SC),
            import_block("emr_serverless_application.hand", &app_id),
        ]
        .concat();
        let ws = Workspace::new(&terraform, &emulator, &format!("{PROVIDER}{blocks}"));
        if !ws.version_at_least(1, 5) {
            eprintln!("[tf {}] no import blocks before 1.5: skipped", ws.version());
            continue;
        }
        let v = ws.version().to_owned();
        let (generated, out) = generate(&ws);
        assert!(
            generated.contains("emr_serverless {"),
            "[tf {v}] trust by principal:\n{generated}"
        );
        assert!(!generated.contains("emr_on_ec2"), "[tf {v}]:\n{generated}");
        // The first plan: valid, the two tightenings as updates, and why.
        assert_eq!(
            summary(&out),
            "Plan: 3 to import, 0 to add, 2 to change, 0 to destroy.",
            "[tf {v}]:\n{}\n{generated}",
            out.all()
        );
        let text = out.all();
        for says in [
            "emr_runtime_role.hand will be updated in-place",
            "emr_serverless_application.hand will be updated in-place",
            "aws:SourceAccount",
            LEGACY_POLICY,
            "Auto-stop is off",
        ] {
            assert!(
                text.contains(says),
                "[tf {v}] the plan shows {says:?}:\n{text}"
            );
        }
        for other in ["updated", "replaced", "destroyed"] {
            let says = format!("emr_security_configuration.hand will be {other}");
            assert!(
                !text.contains(&says),
                "[tf {v}] the security configuration only imports:\n{text}"
            );
        }
        // Nothing changed yet: the plan only showed it.
        assert_eq!(aws.inline_names(HAND_ROLE), [LEGACY_POLICY], "[tf {v}]");

        let applied = ws.apply();
        assert!(
            applied
                .stdout
                .contains("3 imported, 0 added, 2 changed, 0 destroyed"),
            "[tf {v}]:\n{}",
            applied.all()
        );
        plan_code(&ws, 0, "re-plan after the tightening");

        let trust = aws.trust(HAND_ROLE);
        let statement = &trust["Statement"][0];
        assert_eq!(
            statement["Condition"]["StringEquals"]["aws:SourceAccount"],
            json!(["123456789012"]),
            "[tf {v}] the trust is narrowed to this account: {trust:#}"
        );
        assert!(
            aws.inline_names(HAND_ROLE).is_empty(),
            "[tf {v}] the foreign policy is gone"
        );
        assert_eq!(
            aws.tags(HAND_ROLE)
                .get("emr-launch:managed-by")
                .map(String::as_str),
            Some("emr_runtime_role/handmade-rt"),
            "[tf {v}] the role is marked as the provider's"
        );
        let app = aws.application(&app_id);
        let stop = app.auto_stop_configuration().expect("auto-stop");
        assert_eq!(
            (stop.enabled(), stop.idle_timeout_minutes()),
            (Some(true), Some(15)),
            "[tf {v}] auto-stop is on"
        );
        ws.destroy();
    }
}
