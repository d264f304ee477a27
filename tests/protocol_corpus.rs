//! Decoding what Terraform really sends (issue #14, item 6): a corpus of
//! requests captured from Terraform 1.0.3 and 1.11 applying, refreshing,
//! importing and destroying every resource type and reading every data
//! source (`tests/fixtures/tfplugin-captures/<version>/<rpc>.<type>.pb`,
//! made by `make corpus`, the ignored test below). Every request decodes as its
//! protobuf message, every DynamicValue in it decodes with the schema's type,
//! and our encoding of the decoded value is the bytes Terraform sent.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use prost::Message;
use terraform_provider_emr::proto::tfplugin6 as pb;
use terraform_provider_emr::provider::EmrProvider;
use terraform_provider_emr::tfplugin::resource::Provider;
use terraform_provider_emr::tfplugin::{msgpack, Type};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tfplugin-captures")
}

/// Schema type by "resource/<type>", "data/<type>" and "provider".
fn types() -> BTreeMap<String, Type> {
    let p = EmrProvider::new();
    let mut t = BTreeMap::new();
    t.insert("provider".to_owned(), p.schema().ty());
    for r in p.resources() {
        t.insert(format!("resource/{}", r.type_name()), r.schema().ty());
    }
    for d in p.data_sources() {
        t.insert(format!("data/{}", d.type_name()), d.schema().ty());
    }
    t
}

/// The key of `types` for a capture's RPC and type name.
fn schema_key(rpc: &str, type_name: &str) -> String {
    match rpc {
        _ if type_name == "provider" => "provider".to_owned(),
        "read_data_source" | "validate_data_resource_config" => format!("data/{type_name}"),
        _ => format!("resource/{type_name}"),
    }
}

/// The DynamicValues of a request, by field name.
fn dynamic_values(
    rpc: &str,
    bytes: &[u8],
) -> Result<Vec<(&'static str, pb::DynamicValue)>, String> {
    let e = |e: prost::DecodeError| format!("{rpc}: {e}");
    let some = |v: Vec<(&'static str, Option<pb::DynamicValue>)>| {
        v.into_iter()
            .filter_map(|(k, d)| d.map(|d| (k, d)))
            .collect::<Vec<_>>()
    };
    Ok(match rpc {
        "validate_provider_config" => {
            let r = pb::validate_provider_config::Request::decode(bytes).map_err(e)?;
            some(vec![("config", r.config)])
        }
        "configure_provider" => {
            let r = pb::configure_provider::Request::decode(bytes).map_err(e)?;
            some(vec![("config", r.config)])
        }
        "validate_resource_config" => {
            let r = pb::validate_resource_config::Request::decode(bytes).map_err(e)?;
            some(vec![("config", r.config)])
        }
        "validate_data_resource_config" => {
            let r = pb::validate_data_resource_config::Request::decode(bytes).map_err(e)?;
            some(vec![("config", r.config)])
        }
        "read_resource" => {
            let r = pb::read_resource::Request::decode(bytes).map_err(e)?;
            some(vec![("current_state", r.current_state)])
        }
        "plan_resource_change" => {
            let r = pb::plan_resource_change::Request::decode(bytes).map_err(e)?;
            some(vec![
                ("prior_state", r.prior_state),
                ("proposed_new_state", r.proposed_new_state),
                ("config", r.config),
            ])
        }
        "apply_resource_change" => {
            let r = pb::apply_resource_change::Request::decode(bytes).map_err(e)?;
            some(vec![
                ("prior_state", r.prior_state),
                ("planned_state", r.planned_state),
                ("config", r.config),
            ])
        }
        "read_data_source" => {
            let r = pb::read_data_source::Request::decode(bytes).map_err(e)?;
            some(vec![("config", r.config)])
        }
        "upgrade_resource_state" => {
            pb::upgrade_resource_state::Request::decode(bytes).map_err(e)?;
            vec![]
        }
        "import_resource_state" => {
            pb::import_resource_state::Request::decode(bytes).map_err(e)?;
            vec![]
        }
        other => return Err(format!("unexpected capture {other}")),
    })
}

#[test]
fn every_captured_request_decodes_and_reencodes_to_the_same_bytes() {
    let types = types();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut kinds = std::collections::BTreeSet::new();
    for version in ["1.0.3", "1.11"] {
        let dir = corpus().join(version);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        files.sort();
        for path in files {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let Some((rpc, rest)) = name.split_once('.') else {
                continue;
            };
            let type_name = rest.trim_end_matches(".pb");
            let bytes = std::fs::read(&path).expect("a capture");
            let key = schema_key(rpc, type_name);
            let ty = types
                .get(&key)
                .unwrap_or_else(|| panic!("{name}: no schema for {key}"));
            let values = dynamic_values(rpc, &bytes).unwrap_or_else(|e| panic!("{version}/{e}"));
            for (field, dv) in values {
                if dv.msgpack.is_empty() {
                    continue;
                }
                let value = msgpack::decode(&dv.msgpack, ty)
                    .unwrap_or_else(|e| panic!("{version}/{name} {field}: {e:?}"));
                assert_eq!(
                    msgpack::encode(&value, ty),
                    dv.msgpack,
                    "{version}/{name} {field}: our encoding differs from Terraform's \
                     (after a schema change, `make corpus` captures the corpus again)"
                );
                *seen.entry(version.to_owned()).or_default() += 1;
            }
            kinds.insert(format!("{rpc}/{key}"));
        }
    }
    // Every resource type and data source is in the corpus, and the RPCs
    // that carry values, from both versions.
    for version in ["1.0.3", "1.11"] {
        assert!(seen.get(version).copied().unwrap_or(0) > 40, "{seen:?}");
    }
    for key in types.keys() {
        assert!(
            kinds.iter().any(|k| k.ends_with(&format!("/{key}"))),
            "{key} is not in the corpus"
        );
    }
    for rpc in [
        "configure_provider",
        "validate_resource_config",
        "plan_resource_change",
        "apply_resource_change",
        "read_resource",
        "read_data_source",
        "import_resource_state",
    ] {
        assert!(
            kinds.iter().any(|k| k.starts_with(&format!("{rpc}/"))),
            "no {rpc} in the corpus"
        );
    }
}

/// Makes the corpus (`make corpus`: this test, with the provider built with
/// the `capture` feature). Every resource type is applied, refreshed,
/// imported and destroyed, and every data source read, by each Terraform.
#[test]
#[ignore]
fn capture_the_corpus() {
    let emulator = common::Emulator::start();
    let (rt, sdk) = common::blocking_sdk(&emulator);
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let (subnets, sg) = rt.block_on(async {
        let vpc = ec2.create_vpc().cidr_block("10.50.0.0/16").send().await;
        let vpc = vpc
            .expect("CreateVpc")
            .vpc()
            .and_then(|v| v.vpc_id())
            .map(str::to_owned);
        let vpc = vpc.expect("a VPC id");
        let mut subnets = Vec::new();
        for (cidr, az) in [
            ("10.50.1.0/24", "us-east-1a"),
            ("10.50.2.0/24", "us-east-1b"),
        ] {
            let s = ec2
                .create_subnet()
                .vpc_id(&vpc)
                .cidr_block(cidr)
                .availability_zone(az);
            let s = s.send().await.expect("CreateSubnet");
            subnets.push(
                s.subnet()
                    .and_then(|s| s.subnet_id())
                    .expect("id")
                    .to_owned(),
            );
        }
        let sg = ec2
            .create_security_group()
            .vpc_id(&vpc)
            .group_name("c")
            .description("c");
        let sg = sg.send().await.expect("CreateSecurityGroup");
        (subnets, sg.group_id().expect("a group id").to_owned())
    });
    let hcl = format!(
        r#"{provider}
resource "emr_security_configuration" "sc" {{
  name = "corpus-sc"
  runtime_roles {{
    propagate_source_identity = true
  }}
}}

resource "emr_launch_profile" "p" {{
  namespace              = "corpus"
  name                   = "p"
  security_configuration = emr_security_configuration.sc.name
  logs_uri               = "s3://logs-bucket/emr/"
}}

resource "emr_runtime_role" "rt" {{
  name    = "corpus-rt"
  s3_read = ["s3://datalake/curated/"]
  emr_on_ec2 {{
    instance_role_arn = emr_launch_profile.p.instance_role_arn
  }}
  tags = {{ team = "analysts" }}
}}

resource "emr_cluster_configuration" "c" {{
  namespace     = "corpus"
  name          = "c"
  release_label = "emr-7.8.0"
  applications  = ["Spark"]
  subnet_ids    = ["{a}"]
  instance_group {{
    role           = "MASTER"
    instance_type  = "m5.xlarge"
    instance_count = 1
  }}
  override {{
    name    = "MasterCount"
    path    = "Instances.InstanceGroups[0].InstanceCount"
    minimum = 1
    maximum = 1
  }}
}}

resource "emr_launch_function" "f" {{
  namespace             = "corpus"
  name                  = "f"
  profile               = emr_launch_profile.p
  cluster_configuration = emr_cluster_configuration.c
  cluster_name          = "corpus"
}}

resource "emr_serverless_dataplane" "d" {{
  name               = "corpus"
  mode               = "private"
  resource_bucket    = "corpus-emr-serverless"
  subnet_ids         = ["{a}", "{b}"]
  security_group_ids = ["{sg}"]
  control_plane {{
    principal_arn = "arn:aws:iam::999988887777:role/control-plane"
  }}
}}

resource "emr_serverless_application" "app" {{
  name          = "corpus-app"
  type          = "SPARK"
  release_label = "emr-7.8.0"
}}

resource "emr_serverless_job_function" "j" {{
  namespace          = "corpus"
  name               = "j"
  application_id     = emr_serverless_application.app.id
  execution_role_arn = emr_serverless_dataplane.d.job_runtime_role_arn
  entry_points       = ["s3://corpus/etl.py"]
}}

data "emr_launch_profile" "p" {{
  namespace  = "corpus"
  name       = "p"
  depends_on = [emr_launch_profile.p]
}}

data "emr_cluster_configuration" "c" {{
  namespace  = "corpus"
  name       = "c"
  depends_on = [emr_cluster_configuration.c]
}}

data "emr_launch_function" "f" {{
  namespace  = "corpus"
  name       = "f"
  depends_on = [emr_launch_function.f]
}}

data "emr_serverless_job_function" "j" {{
  namespace  = "corpus"
  name       = "j"
  depends_on = [emr_serverless_job_function.j]
}}
"#,
        provider = common::PROVIDER,
        a = subnets[0],
        b = subnets[1],
    );
    for terraform in common::terraform_binaries() {
        let ws = common::Workspace::new(&terraform, &emulator, &hcl);
        let version = if ws.version().starts_with("1.0.") {
            "1.0.3"
        } else {
            "1.11"
        };
        let dir = corpus().join(version);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the corpus directory");
        ws.set_env("EMR_TFPLUGIN_CAPTURE_DIR", &dir.to_string_lossy());
        ws.apply();
        ws.assert_plan_empty();
        ws.state_rm("emr_security_configuration.sc");
        ws.import("emr_security_configuration.sc", "corpus-sc");
        ws.destroy();
    }
}
