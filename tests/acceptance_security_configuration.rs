//! Acceptance tests for `emr_security_configuration`: real Terraform (every
//! binary from `common::terraform_binaries()`) drives the built provider
//! against moto. Each step checks both Terraform's state and what the emulator
//! holds, read back independently through aws-sdk-emr.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{
    blocking_sdk, resource_change, sdk_config, terraform_binaries, Emulator, Output, Workspace,
};
use serde_json::{json, Value};

const HEADER: &str = r#"terraform {
  required_providers {
    emr = { source = "emrlaunch/emr" }
  }
}

provider "emr" {
  region = "us-east-1"
}
"#;

const RT: &str = "emr_security_configuration.rt";

/// What `runtime_roles { propagate_source_identity = true,
/// lake_formation_authorized_session_tag = "Amazon EMR" }` must become:
/// canonical JSON (keys sorted, compact).
const RUNTIME_ROLES_JSON: &str = r#"{"AuthorizationConfiguration":{"IAMConfiguration":{"ApplicationScopedIAMRoleConfiguration":{"PropagateSourceIdentity":true},"EnableApplicationScopedIAMRole":true},"LakeFormationConfiguration":{"AuthorizedSessionTagValue":"Amazon EMR"}}}"#;

fn runtime_roles_hcl(propagate: bool) -> String {
    format!(
        r#"{HEADER}
resource "emr_security_configuration" "rt" {{
  name = "runtime-roles"

  runtime_roles {{
    propagate_source_identity             = {propagate}
    lake_formation_authorized_session_tag = "Amazon EMR"
  }}
}}
"#
    )
}

/// The emulator as seen through aws-sdk-emr.
struct Emr {
    rt: tokio::runtime::Runtime,
    client: aws_sdk_emr::Client,
}

/// A security configuration as the emulator holds it.
struct Stored {
    json: Value,
    created_unix: i64,
}

impl Emr {
    fn new(emulator: &Emulator) -> Emr {
        let (rt, config) = blocking_sdk(emulator);
        let client = aws_sdk_emr::Client::new(&config);
        Emr { rt, client }
    }

    /// `None` when EMR says it does not exist.
    fn describe(&self, name: &str) -> Option<Stored> {
        let result = self.rt.block_on(
            self.client
                .describe_security_configuration()
                .name(name)
                .send(),
        );
        match result {
            Ok(out) => {
                let text = out.security_configuration().unwrap_or_default();
                let json = serde_json::from_str(text).unwrap_or_else(|e| {
                    panic!("emulator holds non-JSON configuration for {name} ({e}): {text}")
                });
                let created_unix = out.creation_date_time().map(|d| d.secs()).unwrap_or(0);
                Some(Stored { json, created_unix })
            }
            Err(e) => {
                let service = e.as_service_error();
                if service.is_some_and(|s| s.is_invalid_request_exception()) {
                    None
                } else {
                    panic!("DescribeSecurityConfiguration({name}): {e:?}")
                }
            }
        }
    }

    fn create(&self, name: &str, document: &Value) {
        self.rt
            .block_on(
                self.client
                    .create_security_configuration()
                    .name(name)
                    .security_configuration(document.to_string())
                    .send(),
            )
            .unwrap_or_else(|e| panic!("CreateSecurityConfiguration({name}): {e:?}"));
    }

    fn delete(&self, name: &str) {
        self.rt
            .block_on(
                self.client
                    .delete_security_configuration()
                    .name(name)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("DeleteSecurityConfiguration({name}): {e:?}"));
    }

    /// Names of the security configurations that exist now. moto 5.2 does not
    /// implement ListSecurityConfigurations (it answers HTTP 500,
    /// NotImplementedError), so: every configuration ever created since the
    /// last reset comes from moto's model dump, and DescribeSecurityConfiguration
    /// says which of those still exist.
    fn existing(&self, emulator: &Emulator) -> Vec<String> {
        let data = emulator.model_data();
        let names: BTreeSet<String> = data["emr"]["SecurityConfiguration"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        names
            .into_iter()
            .filter(|n| self.describe(n).is_some())
            .collect()
    }
}

fn parse_json(text: &Value, what: &str) -> Value {
    let s = text
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {text}"));
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{what} is not JSON ({e}): {s}"))
}

fn rfc3339_unix(text: &Value, what: &str) -> i64 {
    let s = text
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {text}"));
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("{what} is not RFC 3339 ({e}): {s}"))
        .unix_timestamp()
}

fn actions(change: &Value) -> BTreeSet<String> {
    change["change"]["actions"]
        .as_array()
        .unwrap_or_else(|| panic!("no actions in {change:#}"))
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Does the human plan output say that `attr` forces a replacement? Terraform
/// puts "# forces replacement" on the attribute's line, or, for a value it
/// renders over several lines (jsonencode(...)), on one of the lines below it
/// that are indented deeper than the attribute.
fn says_forces_replacement(out: &Output, attr: &str) -> bool {
    let lines: Vec<&str> = out.stdout.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    lines.iter().enumerate().any(|(i, line)| {
        let body = line
            .trim_start()
            .trim_start_matches(['~', '+', '-', '/'])
            .trim_start();
        if !(body.starts_with(attr) && body[attr.len()..].trim_start().starts_with('=')) {
            return false;
        }
        std::iter::once(*line)
            .chain(
                lines[i + 1..]
                    .iter()
                    .copied()
                    .take_while(|l| indent(l) > indent(line)),
            )
            .any(|l| l.contains("# forces replacement"))
    })
}

// ---------------------------------------------------------------------------

#[test]
fn security_configuration_lifecycle() {
    let emulator = Emulator::start();
    let emr = Emr::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        lifecycle(&terraform, &emulator, &emr);
    }
}

fn lifecycle(terraform: &Path, emulator: &Emulator, emr: &Emr) {
    let ws = Workspace::new(terraform, emulator, &runtime_roles_hcl(true));
    let v = ws.version().to_owned();
    let expected: Value = serde_json::from_str(RUNTIME_ROLES_JSON).unwrap();

    // Step 1a: the configuration JSON is known, and canonical, at plan time.
    let (plan, _) = ws.plan_json();
    let rc = resource_change(&plan, RT);
    assert_eq!(actions(rc), set(&["create"]), "[tf {v}] first plan: {rc:#}");
    assert_eq!(
        rc["change"]["after"]["configuration_json"],
        json!(RUNTIME_ROLES_JSON),
        "[tf {v}] configuration_json at plan time must be known and canonical: {rc:#}"
    );

    // Step 1b: apply creates it; state and emulator agree.
    ws.apply();
    let state = ws.resource_values(RT);
    assert_eq!(
        state["id"],
        json!("runtime-roles"),
        "[tf {v}] id == name: {state:#}"
    );
    assert_eq!(state["name"], json!("runtime-roles"), "[tf {v}] {state:#}");
    assert_eq!(
        state["configuration_json"],
        json!(RUNTIME_ROLES_JSON),
        "[tf {v}] state holds the canonical JSON"
    );
    assert_eq!(
        state["external_id"],
        json!(""),
        "[tf {v}] moto stores no ExternalId"
    );
    let stored = emr.describe("runtime-roles").unwrap_or_else(|| {
        panic!("[tf {v}] apply succeeded but the emulator has no runtime-roles")
    });
    assert_eq!(stored.json, expected, "[tf {v}] what EMR holds");
    assert_eq!(
        stored.json,
        parse_json(&state["configuration_json"], "state configuration_json"),
        "[tf {v}] state and emulator agree"
    );
    let created = rfc3339_unix(&state["creation_date"], "creation_date");
    assert!(
        (created - stored.created_unix).abs() <= 1,
        "[tf {v}] creation_date {} vs emulator's {}",
        state["creation_date"],
        stored.created_unix
    );

    // Step 2: nothing to do right after apply.
    ws.assert_plan_empty();

    // Step 3: import by name restores the same state, including the blocks.
    ws.state_rm(RT);
    assert!(
        ws.state_json()["values"]["root_module"]["resources"]
            .as_array()
            .is_none_or(|r| r.is_empty()),
        "[tf {v}] state rm left the resource in state"
    );
    ws.import(RT, "runtime-roles");
    let imported = ws.resource_values(RT);
    for key in [
        "id",
        "name",
        "configuration_json",
        "external_id",
        "creation_date",
    ] {
        assert_eq!(imported[key], state[key], "[tf {v}] imported {key}");
    }
    ws.assert_plan_empty();

    // Step 3b: real EMR adds an ExternalId inside
    // ApplicationScopedIAMRoleConfiguration when it stores a runtime-role
    // configuration; moto does not. Put such a document in place behind
    // Terraform's back: it must surface as external_id, never as a diff or a
    // replacement (the AWS provider's issue #37526).
    let mut with_external_id = expected.clone();
    with_external_id["AuthorizationConfiguration"]["IAMConfiguration"]
        ["ApplicationScopedIAMRoleConfiguration"]["ExternalId"] = json!("ext-7f3a9c");
    emr.delete("runtime-roles");
    emr.create("runtime-roles", &with_external_id);
    ws.assert_plan_empty();
    ws.run_ok(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ]);
    let refreshed = ws.resource_values(RT);
    assert_eq!(
        refreshed["external_id"],
        json!("ext-7f3a9c"),
        "[tf {v}] Read moves EMR's ExternalId into external_id: {refreshed:#}"
    );
    assert_eq!(
        refreshed["configuration_json"],
        json!(RUNTIME_ROLES_JSON),
        "[tf {v}] configuration_json stays what the user configured"
    );
    ws.assert_plan_empty();

    // Step 4: security configurations are immutable: a change replaces, and
    // the plan says which attribute forces it.
    ws.write(&runtime_roles_hcl(false));
    let (plan, human) = ws.plan_json();
    let rc = resource_change(&plan, RT);
    assert_eq!(
        actions(rc),
        set(&["delete", "create"]),
        "[tf {v}] changing propagate_source_identity must replace: {rc:#}"
    );
    // replace_paths is documented from Terraform 1.2 on (1.0.3 already
    // writes it); where present it must name the attribute.
    let replace_paths = rc["change"]["replace_paths"].as_array();
    assert!(
        replace_paths.is_some() || !ws.version_at_least(1, 2),
        "[tf {v}] no replace_paths: {rc:#}"
    );
    if let Some(paths) = replace_paths {
        assert!(
            paths.iter().any(|p| {
                p.get(0) == Some(&json!("runtime_roles"))
                    && p.as_array()
                        .unwrap()
                        .contains(&json!("propagate_source_identity"))
            }),
            "[tf {v}] replace_paths must name runtime_roles.propagate_source_identity: {paths:?}"
        );
    }
    assert!(
        says_forces_replacement(&human, "propagate_source_identity"),
        "[tf {v}] the plan must say propagate_source_identity forces replacement:\n{}",
        human.stdout
    );
    let planned = &rc["change"]["after"]["configuration_json"];
    assert!(
        planned.is_string(),
        "[tf {v}] configuration_json must be known at plan: {rc:#}"
    );
    ws.apply();
    let state = ws.resource_values(RT);
    let stored = emr
        .describe("runtime-roles")
        .unwrap_or_else(|| panic!("[tf {v}] replaced configuration missing in the emulator"));
    assert_eq!(
        stored.json,
        parse_json(&state["configuration_json"], "state configuration_json"),
        "[tf {v}] state and emulator agree after replacement"
    );
    assert_eq!(
        &state["configuration_json"], planned,
        "[tf {v}] applied JSON is what the plan showed"
    );
    let iam = &stored.json["AuthorizationConfiguration"]["IAMConfiguration"];
    assert_eq!(
        iam["EnableApplicationScopedIAMRole"],
        json!(true),
        "[tf {v}] {}",
        stored.json
    );
    assert_ne!(
        iam["ApplicationScopedIAMRoleConfiguration"]["PropagateSourceIdentity"],
        json!(true),
        "[tf {v}] source identity propagation must now be off: {}",
        stored.json
    );
    assert_eq!(
        stored.json["AuthorizationConfiguration"]["LakeFormationConfiguration"],
        json!({"AuthorizedSessionTagValue": "Amazon EMR"}),
        "[tf {v}] {}",
        stored.json
    );
    ws.assert_plan_empty();

    // Step 5: deleted behind Terraform's back -> planned again as a create.
    emr.delete("runtime-roles");
    let (code, out) = ws.plan_exit_code();
    assert_eq!(
        code,
        2,
        "[tf {v}] out-of-band delete must plan a create\n{}",
        ws.describe_failure(&["plan", "-detailed-exitcode"], &out)
    );
    let (plan, _) = ws.plan_json();
    assert_eq!(
        actions(resource_change(&plan, RT)),
        set(&["create"]),
        "[tf {v}] after out-of-band delete"
    );
    ws.apply();
    assert!(
        emr.describe("runtime-roles").is_some(),
        "[tf {v}] re-created"
    );

    // Step 6: destroy leaves nothing behind.
    ws.destroy();
    assert_eq!(
        emr.existing(emulator),
        Vec::<String>::new(),
        "[tf {v}] security configurations left after destroy"
    );
    assert!(
        ws.state_json()["values"]["root_module"]["resources"]
            .as_array()
            .is_none_or(|r| r.is_empty()),
        "[tf {v}] state not empty after destroy"
    );
}

// ---------------------------------------------------------------------------

fn json_form_hcl(document: &str) -> String {
    format!(
        r#"{HEADER}
resource "emr_security_configuration" "doc" {{
  name               = "json-form"
  configuration_json = {document}
}}
"#
    )
}

/// Keys deliberately out of order in the HCL source.
const JSONENCODED: &str = r#"jsonencode({
    EncryptionConfiguration = {
      EnableInTransitEncryption = false
      EnableAtRestEncryption    = true
      AtRestEncryptionConfiguration = {
        S3EncryptionConfiguration = { EncryptionMode = "SSE-S3" }
      }
    }
  })"#;

/// The same document, as literal text with different key order and spacing.
const HEREDOC_EQUIVALENT: &str = r#"<<-JSON
    {
      "EncryptionConfiguration": {
        "EnableAtRestEncryption": true,
        "AtRestEncryptionConfiguration": {"S3EncryptionConfiguration": {"EncryptionMode": "SSE-S3"}},
        "EnableInTransitEncryption": false
      }
    }
  JSON"#;

#[test]
fn security_configuration_json_form() {
    let emulator = Emulator::start();
    let emr = Emr::new(&emulator);
    let expected = json!({"EncryptionConfiguration": {
        "AtRestEncryptionConfiguration": {"S3EncryptionConfiguration": {"EncryptionMode": "SSE-S3"}},
        "EnableAtRestEncryption": true,
        "EnableInTransitEncryption": false
    }});
    let addr = "emr_security_configuration.doc";
    for terraform in terraform_binaries() {
        emulator.reset();
        let ws = Workspace::new(&terraform, &emulator, &json_form_hcl(JSONENCODED));
        let v = ws.version().to_owned();

        ws.apply();
        let state = ws.resource_values(addr);
        assert_eq!(state["id"], json!("json-form"), "[tf {v}]");
        let stored = emr
            .describe("json-form")
            .unwrap_or_else(|| panic!("[tf {v}] emulator has no json-form"));
        assert_eq!(stored.json, expected, "[tf {v}] what EMR holds");
        assert_eq!(
            parse_json(&state["configuration_json"], "configuration_json"),
            expected,
            "[tf {v}] state"
        );
        ws.assert_plan_empty();

        // Semantically equal text: key order and whitespace never make a diff.
        ws.write(&json_form_hcl(HEREDOC_EQUIVALENT));
        ws.assert_plan_empty();

        // A different document does: it replaces, because of configuration_json.
        ws.write(&json_form_hcl(&format!("jsonencode({RUNTIME_ROLES_JSON})")));
        let (plan, human) = ws.plan_json();
        let rc = resource_change(&plan, addr);
        assert_eq!(actions(rc), set(&["delete", "create"]), "[tf {v}] {rc:#}");
        if let Some(paths) = rc["change"]["replace_paths"].as_array() {
            assert!(
                paths.contains(&json!(["configuration_json"])),
                "[tf {v}] replace_paths must name configuration_json: {paths:?}"
            );
        }
        assert!(
            says_forces_replacement(&human, "configuration_json"),
            "[tf {v}] the plan must say configuration_json forces replacement:\n{}",
            human.stdout
        );
        ws.apply();
        let stored = emr.describe("json-form").expect("replaced");
        assert_eq!(
            stored.json,
            serde_json::from_str::<Value>(RUNTIME_ROLES_JSON).unwrap(),
            "[tf {v}] replaced document"
        );

        ws.destroy();
        assert_eq!(emr.existing(&emulator), Vec::<String>::new(), "[tf {v}]");
    }
}

// ---------------------------------------------------------------------------

/// An invalid configuration, and how the diagnostic must point at it.
struct Invalid {
    what: &'static str,
    body: &'static str,
    /// Terraform prints the source line of the attribute a diagnostic's path
    /// points to (`  12:     mode = "AES"`). One of these lines must appear
    /// that way; empty when the error is about the resource as a whole.
    snippet_any_of: &'static [&'static str],
    /// Words the output must contain (the attribute names, what is allowed).
    mentions: &'static [&'static str],
}

const INVALID: &[Invalid] = &[
    Invalid {
        what: "name and name_prefix both set",
        body: r#"
  name        = "bad-1"
  name_prefix = "bad-"
  runtime_roles {
    propagate_source_identity = true
  }"#,
        snippet_any_of: &[r#"name        = "bad-1""#, r#"name_prefix = "bad-""#],
        mentions: &["name_prefix"],
    },
    Invalid {
        what: "neither blocks nor configuration_json",
        body: r#"
  name = "bad-2""#,
        snippet_any_of: &[],
        mentions: &["runtime_roles", "configuration_json"],
    },
    Invalid {
        what: "configuration_json together with runtime_roles",
        body: r#"
  name               = "bad-3"
  configuration_json = jsonencode({ A = 1 })
  runtime_roles {
    propagate_source_identity = true
  }"#,
        snippet_any_of: &[
            r#"configuration_json = jsonencode({ A = 1 })"#,
            "runtime_roles {",
        ],
        mentions: &["configuration_json", "runtime_roles"],
    },
    Invalid {
        what: "configuration_json is not JSON",
        body: r#"
  name               = "bad-4"
  configuration_json = "not json""#,
        snippet_any_of: &[r#"configuration_json = "not json""#],
        mentions: &["configuration_json"],
    },
    Invalid {
        what: "configuration_json is not an object",
        body: r#"
  name               = "bad-5"
  configuration_json = "[1]""#,
        snippet_any_of: &[r#"configuration_json = "[1]""#],
        mentions: &["configuration_json"],
    },
    Invalid {
        what: "at_rest_s3 mode AES",
        body: r#"
  name = "bad-6"
  encryption {
    at_rest_s3 {
      mode = "AES"
    }
  }"#,
        snippet_any_of: &[r#"mode = "AES""#],
        mentions: &["SSE-S3", "SSE-KMS", "CSE-KMS"],
    },
    Invalid {
        what: "SSE-KMS without kms_key_arn",
        body: r#"
  name = "bad-7"
  encryption {
    at_rest_s3 {
      mode = "SSE-KMS"
    }
  }"#,
        snippet_any_of: &["at_rest_s3 {", r#"mode = "SSE-KMS""#],
        mentions: &["kms_key_arn"],
    },
    Invalid {
        what: "SSE-S3 with kms_key_arn",
        body: r#"
  name = "bad-8"
  encryption {
    at_rest_s3 {
      mode        = "SSE-S3"
      kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    }
  }"#,
        snippet_any_of: &[
            r#"kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab""#,
            r#"mode        = "SSE-S3""#,
        ],
        mentions: &["kms_key_arn"],
    },
    Invalid {
        what: "kms_key_arn is not a KMS key ARN",
        body: r#"
  name = "bad-9"
  encryption {
    at_rest_local_disk {
      kms_key_arn = "arn:aws:s3:::bucket"
    }
  }"#,
        snippet_any_of: &[r#"kms_key_arn = "arn:aws:s3:::bucket""#],
        mentions: &["kms_key_arn"],
    },
    Invalid {
        what: "pem_certificates_s3_uri is not an s3:// URI",
        body: r#"
  name = "bad-10"
  encryption {
    in_transit {
      pem_certificates_s3_uri = "https://x/certs.zip"
    }
  }"#,
        snippet_any_of: &[r#"pem_certificates_s3_uri = "https://x/certs.zip""#],
        mentions: &["s3://"],
    },
    Invalid {
        what: "empty encryption block",
        body: r#"
  name = "bad-11"
  encryption {
  }"#,
        snippet_any_of: &["encryption {"],
        mentions: &["at_rest_s3"],
    },
    Invalid {
        what: "empty lake_formation_authorized_session_tag",
        body: r#"
  name = "bad-12"
  runtime_roles {
    propagate_source_identity             = true
    lake_formation_authorized_session_tag = ""
  }"#,
        snippet_any_of: &[r#"lake_formation_authorized_session_tag = """#],
        mentions: &["lake_formation_authorized_session_tag"],
    },
];

fn invalid_hcl(body: &str) -> String {
    format!("{HEADER}\nresource \"emr_security_configuration\" \"bad\" {{{body}\n}}\n")
}

/// Does the output show `source` as a diagnostic snippet line ("NN: source")?
fn shows_snippet(output: &str, source: &str) -> bool {
    output.lines().any(|line| {
        let line = line.trim_start_matches(|c: char| c == '│' || c.is_whitespace());
        let digits = line.chars().take_while(|c| c.is_ascii_digit()).count();
        digits > 0
            && line[digits..]
                .strip_prefix(':')
                .is_some_and(|rest| rest.trim_start().starts_with(source))
    })
}

#[test]
fn security_configuration_invalid_configs_fail_at_plan() {
    let emulator = Emulator::start();
    let emr = Emr::new(&emulator);
    for terraform in terraform_binaries() {
        emulator.reset();
        // Control: a valid configuration plans a create through the same path,
        // so the failures below are about the input, not the setup.
        let valid = invalid_hcl(
            r#"
  name = "good"
  encryption {
    at_rest_s3 {
      mode        = "SSE-KMS"
      kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    }
    at_rest_local_disk {
      kms_key_arn    = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
      ebs_encryption = true
    }
    in_transit {
      pem_certificates_s3_uri = "s3://bucket/certs.zip"
    }
  }"#,
        );
        let ws = Workspace::new(&terraform, &emulator, &valid);
        let v = ws.version().to_owned();
        emulator.start_recording();
        let (code, out) = ws.plan_exit_code();
        assert_eq!(
            code,
            2,
            "[tf {v}] the valid control configuration must plan a create\n{}",
            ws.describe_failure(&["plan", "-detailed-exitcode"], &out)
        );
        // The provider looks up its account at configure, so the recorder
        // must have seen that; otherwise "no mutating call" below proves nothing.
        let recorded = emulator.recorded_actions();
        assert!(
            !recorded.is_empty(),
            "[tf {v}] the recorder saw no call from the provider's plan"
        );
        assert_eq!(
            emulator.mutating_actions(),
            Vec::<String>::new(),
            "[tf {v}] planning must not change anything; recorded {recorded:?}"
        );

        let mut failures = Vec::new();
        for case in INVALID {
            ws.write(&invalid_hcl(case.body));
            emulator.start_recording();
            let args = ["plan", "-input=false", "-no-color"];
            let out = ws.run(&args);
            let all = out.all();
            let mut problems = Vec::new();
            if out.code != 1 {
                problems.push(format!("exit code {} (want 1)", out.code));
            }
            if !case.snippet_any_of.is_empty()
                && !case.snippet_any_of.iter().any(|s| shows_snippet(&all, s))
            {
                problems.push(format!(
                    "no diagnostic points at any of {:?}",
                    case.snippet_any_of
                ));
            }
            for word in case.mentions {
                if !all.contains(word) {
                    problems.push(format!("output does not mention {word:?}"));
                }
            }
            let mutating = emulator.mutating_actions();
            if !mutating.is_empty() {
                problems.push(format!("emulator received mutating calls {mutating:?}"));
            }
            if !problems.is_empty() {
                failures.push(format!(
                    "== {}: {}\n{}",
                    case.what,
                    problems.join("; "),
                    ws.describe_failure(&args, &out)
                ));
            }
        }
        emulator.stop_recording();
        assert!(
            failures.is_empty(),
            "[tf {v}] {} of {} invalid configurations were not rejected properly:\n{}",
            failures.len(),
            INVALID.len(),
            failures.join("\n\n")
        );
        assert_eq!(emr.existing(&emulator), Vec::<String>::new(), "[tf {v}]");
    }
}

// ---------------------------------------------------------------------------

/// The harness itself: emulator, recorder, SDK wiring, and every Terraform
/// binary running in a hermetic workspace. Needs no provider.
#[test]
fn harness_self_check() {
    let emulator = Emulator::start();
    let emr = Emr::new(&emulator);

    emulator.start_recording();
    emr.rt
        .block_on(
            emr.client
                .create_security_configuration()
                .name("probe")
                .security_configuration("{}")
                .send(),
        )
        .expect("create through the SDK");
    assert!(emr.describe("probe").is_some());
    assert!(emr.describe("absent").is_none());
    let sts = aws_sdk_sts::Client::new(&sdk_config(&emulator));
    emr.rt
        .block_on(sts.get_caller_identity().send())
        .expect("sts");
    assert_eq!(
        emulator.recorded_actions(),
        [
            "ElasticMapReduce.CreateSecurityConfiguration",
            "ElasticMapReduce.DescribeSecurityConfiguration",
            "ElasticMapReduce.DescribeSecurityConfiguration",
            "GetCallerIdentity",
        ]
    );
    assert_eq!(
        emulator.mutating_actions(),
        ["ElasticMapReduce.CreateSecurityConfiguration"]
    );
    emulator.start_recording();
    assert_eq!(emulator.recorded_actions(), Vec::<String>::new());
    assert_eq!(emr.existing(&emulator), ["probe"]);
    emr.delete("probe");
    assert_eq!(emr.existing(&emulator), Vec::<String>::new());
    emulator.reset();
    assert!(emr.describe("probe").is_none());

    for terraform in terraform_binaries() {
        let ws = Workspace::new(&terraform, &emulator, "");
        assert!(!ws.version().is_empty() && ws.version() != "?");
        ws.assert_plan_empty();
        let out = ws.run(&["plan", "-no-color", "-detailed-exitcode"]);
        assert_eq!(out.code, 0, "{}", ws.describe_failure(&["plan"], &out));
    }
}
