//! emr_security_configuration (seed 002 step 1): typed blocks or a JSON
//! document, compared semantically. EMR security configurations are
//! immutable, so every change replaces.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{json, Map, Value as J};

use crate::aws;
use crate::configured::ProviderData;
use crate::resources::{unique_name, UNIQUE_SUFFIX_LEN};
use crate::tfplugin::{
    ApplyResult, AttrPath, Attribute, Block, Ctx, Diagnostic, Diagnostics, Import, NestedBlock,
    PlanRequest, Resource, Schema, Type, Value,
};
use crate::validate;

const TYPE_NAME: &str = "emr_security_configuration";
const MAX_NAME: usize = 10280;
const S3_MODES: [&str; 3] = ["SSE-S3", "SSE-KMS", "CSE-KMS"];

pub struct SecurityConfiguration {
    data: Arc<ProviderData>,
}

impl SecurityConfiguration {
    pub fn new(data: Arc<ProviderData>) -> Self {
        SecurityConfiguration { data }
    }
}

pub fn schema() -> Schema {
    let runtime_roles = Block::new()
        .desc("Runtime roles for EMR steps: `AuthorizationConfiguration.IAMConfiguration.EnableApplicationScopedIAMRole`.")
        .attr(
            Attribute::optional("propagate_source_identity", Type::Bool)
                .default(Value::Bool(false))
                .desc("Apply the caller's source identity to the runtime-role session (seed 002, Audit)."),
        )
        .attr(
            Attribute::optional("lake_formation_authorized_session_tag", Type::String)
                .desc("Session tag value Lake Formation trusts, e.g. `Amazon EMR`."),
        );
    let at_rest_s3 = Block::new()
        .attr(Attribute::required("mode", Type::String).desc("`SSE-S3`, `SSE-KMS` or `CSE-KMS`."))
        .attr(
            Attribute::optional("kms_key_arn", Type::String)
                .desc("KMS key ARN; required for SSE-KMS and CSE-KMS."),
        );
    let at_rest_local_disk = Block::new()
        .attr(Attribute::required("kms_key_arn", Type::String).desc("KMS key ARN for local disks."))
        .attr(
            Attribute::optional("ebs_encryption", Type::Bool)
                .default(Value::Bool(false))
                .desc("Also encrypt EBS volumes."),
        );
    let in_transit = Block::new().attr(
        Attribute::required("pem_certificates_s3_uri", Type::String)
            .desc("`s3://` URI of a zip of PEM certificates."),
    );
    let encryption = Block::new()
        .desc("Encryption at rest and in transit: `EncryptionConfiguration`.")
        .block(NestedBlock::single("at_rest_s3", at_rest_s3).max(1))
        .block(NestedBlock::single("at_rest_local_disk", at_rest_local_disk).max(1))
        .block(NestedBlock::single("in_transit", in_transit).max(1));
    Schema::new(
        Block::new()
            .desc("An EMR security configuration. Immutable: every change replaces it.")
            .attr(Attribute::computed("id", Type::String).keep_state().desc("The name."))
            .attr(
                Attribute::optional_computed("name", Type::String)
                    .replace()
                    .keep_state()
                    .desc("Name. Generated (`terraform-...`) when neither `name` nor `name_prefix` is set."),
            )
            .attr(Attribute::optional("name_prefix", Type::String).replace().desc("Unique name starting with this prefix."))
            .attr(
                Attribute::optional_computed("configuration_json", Type::String)
                    .replace()
                    .desc("The security configuration document. Set it instead of the blocks, or read the canonical document they produce."),
            )
            .attr(
                Attribute::computed("external_id", Type::String)
                    .keep_state()
                    .desc("The ExternalId EMR generates for runtime-role configurations (`\"\"` when none)."),
            )
            .attr(Attribute::computed("creation_date", Type::String).keep_state().desc("Creation time (RFC 3339)."))
            .block(NestedBlock::single("runtime_roles", runtime_roles).max(1).replace())
            .block(NestedBlock::single("encryption", encryption).max(1).replace()),
    )
}

/// The document the blocks describe; None while any part is unknown.
pub fn document_from_blocks(runtime_roles: &Value, encryption: &Value) -> Option<J> {
    if !runtime_roles.is_wholly_known() || !encryption.is_wholly_known() {
        return None;
    }
    let mut doc = Map::new();
    if !runtime_roles.is_null() {
        let mut iam = Map::new();
        iam.insert("EnableApplicationScopedIAMRole".into(), J::Bool(true));
        if runtime_roles.get("propagate_source_identity").as_bool() == Some(true) {
            iam.insert(
                "ApplicationScopedIAMRoleConfiguration".into(),
                json!({"PropagateSourceIdentity": true}),
            );
        }
        let mut authz = Map::new();
        authz.insert("IAMConfiguration".into(), J::Object(iam));
        if let Some(tag) = runtime_roles.str_attr("lake_formation_authorized_session_tag") {
            authz.insert(
                "LakeFormationConfiguration".into(),
                json!({"AuthorizedSessionTagValue": tag}),
            );
        }
        doc.insert("AuthorizationConfiguration".into(), J::Object(authz));
    }
    if !encryption.is_null() {
        let mut enc = Map::new();
        let s3 = encryption.get("at_rest_s3");
        let disk = encryption.get("at_rest_local_disk");
        let transit = encryption.get("in_transit");
        let at_rest = !s3.is_null() || !disk.is_null();
        enc.insert("EnableAtRestEncryption".into(), J::Bool(at_rest));
        enc.insert(
            "EnableInTransitEncryption".into(),
            J::Bool(!transit.is_null()),
        );
        if at_rest {
            let mut ar = Map::new();
            if !s3.is_null() {
                let mut c = Map::new();
                c.insert(
                    "EncryptionMode".into(),
                    J::String(s3.str_attr("mode").unwrap_or_default().into()),
                );
                if let Some(k) = s3.str_attr("kms_key_arn") {
                    c.insert("AwsKmsKey".into(), J::String(k.into()));
                }
                ar.insert("S3EncryptionConfiguration".into(), J::Object(c));
            }
            if !disk.is_null() {
                ar.insert(
                    "LocalDiskEncryptionConfiguration".into(),
                    json!({
                        "EncryptionKeyProviderType": "AwsKms",
                        "AwsKmsKey": disk.str_attr("kms_key_arn").unwrap_or_default(),
                        "EnableEbsEncryption": disk.get("ebs_encryption").as_bool().unwrap_or(false),
                    }),
                );
            }
            enc.insert("AtRestEncryptionConfiguration".into(), J::Object(ar));
        }
        if !transit.is_null() {
            enc.insert(
                "InTransitEncryptionConfiguration".into(),
                json!({"TLSCertificateConfiguration": {
                    "CertificateProviderType": "PEM",
                    "S3Object": transit.str_attr("pem_certificates_s3_uri").unwrap_or_default(),
                }}),
            );
        }
        doc.insert("EncryptionConfiguration".into(), J::Object(enc));
    }
    Some(J::Object(doc))
}

/// The blocks that produce exactly this document, when it is expressible.
pub fn blocks_from_document(doc: &J) -> Option<(Value, Value)> {
    let s = |v: Option<&J>| {
        v.and_then(J::as_str)
            .map(Value::string)
            .unwrap_or(Value::Null)
    };
    let authz = doc.get("AuthorizationConfiguration");
    let runtime_roles = match authz {
        None => Value::Null,
        Some(a) => Value::object([
            (
                "propagate_source_identity",
                Value::Bool(
                    a.pointer("/IAMConfiguration/ApplicationScopedIAMRoleConfiguration/PropagateSourceIdentity")
                        .and_then(J::as_bool)
                        .unwrap_or(false),
                ),
            ),
            ("lake_formation_authorized_session_tag", s(a.pointer("/LakeFormationConfiguration/AuthorizedSessionTagValue"))),
        ]),
    };
    let encryption = match doc.get("EncryptionConfiguration") {
        None => Value::Null,
        Some(e) => {
            let s3 = match e.pointer("/AtRestEncryptionConfiguration/S3EncryptionConfiguration") {
                None => Value::Null,
                Some(c) => Value::object([
                    ("mode", s(c.get("EncryptionMode"))),
                    ("kms_key_arn", s(c.get("AwsKmsKey"))),
                ]),
            };
            let disk = match e
                .pointer("/AtRestEncryptionConfiguration/LocalDiskEncryptionConfiguration")
            {
                None => Value::Null,
                Some(c) => Value::object([
                    ("kms_key_arn", s(c.get("AwsKmsKey"))),
                    (
                        "ebs_encryption",
                        Value::Bool(
                            c.get("EnableEbsEncryption")
                                .and_then(J::as_bool)
                                .unwrap_or(false),
                        ),
                    ),
                ]),
            };
            let transit = match e
                .pointer("/InTransitEncryptionConfiguration/TLSCertificateConfiguration/S3Object")
            {
                None => Value::Null,
                Some(o) => Value::object([("pem_certificates_s3_uri", s(Some(o)))]),
            };
            Value::object([
                ("at_rest_s3", s3),
                ("at_rest_local_disk", disk),
                ("in_transit", transit),
            ])
        }
    };
    // Only when the blocks reproduce the document exactly.
    (document_from_blocks(&runtime_roles, &encryption).as_ref() == Some(doc))
        .then_some((runtime_roles, encryption))
}

/// Splits EMR's generated ExternalId out of a stored document. Real EMR adds
/// it under ApplicationScopedIAMRoleConfiguration; it is not the user's input.
pub fn split_external_id(mut doc: J) -> (J, String) {
    let mut external_id = String::new();
    if let Some(iam) = doc
        .pointer_mut("/AuthorizationConfiguration/IAMConfiguration")
        .and_then(J::as_object_mut)
    {
        if let Some(scoped) = iam
            .get_mut("ApplicationScopedIAMRoleConfiguration")
            .and_then(J::as_object_mut)
        {
            if let Some(J::String(id)) = scoped.remove("ExternalId") {
                external_id = id;
            }
            if scoped.is_empty() {
                iam.remove("ApplicationScopedIAMRoleConfiguration");
            }
        }
    }
    (doc, external_id)
}

fn parse_doc(s: &str) -> Option<J> {
    serde_json::from_str(s).ok()
}

/// Same document, ignoring key order, whitespace and EMR's ExternalId.
pub fn same_document(a: &str, b: &str) -> bool {
    match (parse_doc(a), parse_doc(b)) {
        (Some(x), Some(y)) => split_external_id(x).0 == split_external_id(y).0,
        _ => false,
    }
}

/// The state Read records for a stored configuration. `current` is the
/// state being refreshed (possibly an import stub).
pub fn state_from_remote(
    current: &Value,
    name: &str,
    remote_json: &str,
    creation_date: Option<String>,
) -> Result<Value, String> {
    let doc: J = serde_json::from_str(remote_json)
        .map_err(|e| format!("EMR returned a document that is not JSON: {e}"))?;
    let (doc, external_id) = split_external_id(doc);
    let canonical = doc.to_string();
    let configuration_json = match current.str_attr("configuration_json") {
        Some(cur) if same_document(cur, &canonical) => cur.to_string(),
        _ => canonical,
    };
    // Keep the form the user writes: blocks when the state has blocks (or
    // when importing), the JSON alone when the state has only the JSON.
    let uses_blocks = !current.get("runtime_roles").is_null()
        || !current.get("encryption").is_null()
        || current.get("configuration_json").is_null();
    let (runtime_roles, encryption) = if uses_blocks {
        blocks_from_document(&doc).unwrap_or((Value::Null, Value::Null))
    } else {
        (Value::Null, Value::Null)
    };
    let mut st = schema().block.empty_value();
    st.set_attr("id", Value::string(name));
    st.set_attr("name", Value::string(name));
    st.set_attr("name_prefix", current.get("name_prefix").clone());
    st.set_attr("configuration_json", Value::String(configuration_json));
    st.set_attr("external_id", Value::String(external_id));
    st.set_attr(
        "creation_date",
        creation_date
            .map(Value::String)
            .unwrap_or_else(|| current.get("creation_date").clone()),
    );
    st.set_attr("runtime_roles", runtime_roles);
    st.set_attr("encryption", encryption);
    Ok(st)
}

fn check_name(d: &mut Diagnostics, attr: &str, v: &Value, max: usize) {
    let Some(s) = v.as_str() else { return };
    if s.is_empty() || s.len() > max || s.chars().any(char::is_control) || s.trim() != s {
        d.attr_error(
            AttrPath::attr(attr),
            "Invalid security configuration name",
            format!("{attr} must be 1 to {max} characters without control characters or leading/trailing spaces."),
        );
    }
}

pub fn validate_config(config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let name = config.get("name");
    let prefix = config.get("name_prefix");
    if !name.is_null() && !prefix.is_null() {
        d.attr_error(
            AttrPath::attr("name_prefix"),
            "Conflicting attributes",
            "Set either name or name_prefix, not both.",
        );
    }
    check_name(&mut d, "name", name, MAX_NAME);
    check_name(&mut d, "name_prefix", prefix, MAX_NAME - UNIQUE_SUFFIX_LEN);

    let cj = config.get("configuration_json");
    let rr = config.get("runtime_roles");
    let enc = config.get("encryption");
    if !cj.is_null() && (!rr.is_null() || !enc.is_null()) {
        d.attr_error(
            AttrPath::attr("configuration_json"),
            "Conflicting attributes",
            "configuration_json is the whole document: use it or the runtime_roles / encryption blocks, not both.",
        );
    }
    if cj.is_null() && rr.is_null() && enc.is_null() {
        d.attr_error(
            AttrPath::attr("configuration_json"),
            "Missing security configuration",
            "Add a runtime_roles block, an encryption block, or configuration_json.",
        );
    }
    if let Some(s) = cj.as_str() {
        match serde_json::from_str::<J>(s) {
            Err(e) => d.attr_error(AttrPath::attr("configuration_json"), "Invalid JSON", format!("configuration_json is not valid JSON: {e}.")),
            Ok(J::Object(m)) if m.is_empty() => d.attr_error(
                AttrPath::attr("configuration_json"),
                "Empty security configuration",
                "configuration_json must configure something, e.g. AuthorizationConfiguration or EncryptionConfiguration.",
            ),
            Ok(J::Object(_)) => {}
            Ok(_) => d.attr_error(AttrPath::attr("configuration_json"), "Invalid security configuration", "configuration_json must be a JSON object."),
        }
    }
    if let Some(tag) = rr.get("lake_formation_authorized_session_tag").as_str() {
        if tag.trim().is_empty() {
            d.attr_error(
                AttrPath::parse_dotted("runtime_roles.lake_formation_authorized_session_tag"),
                "Invalid session tag",
                "lake_formation_authorized_session_tag must not be empty; omit it to leave Lake Formation out.",
            );
        }
    }
    if enc.as_attrs().is_some() {
        let s3 = enc.get("at_rest_s3");
        let disk = enc.get("at_rest_local_disk");
        let transit = enc.get("in_transit");
        if s3.is_null() && disk.is_null() && transit.is_null() {
            // A path into the block (not the block itself) makes Terraform
            // point at the `encryption {` line.
            d.attr_error(
                AttrPath::parse_dotted("encryption.at_rest_s3"),
                "Empty encryption block",
                "encryption needs at least one of at_rest_s3, at_rest_local_disk, in_transit.",
            );
        }
        let p = |s: &str| AttrPath::parse_dotted(s);
        let kms = |d: &mut Diagnostics, path: &str, v: &Value| {
            if let Some(k) = v.as_str() {
                if let Err(msg) = validate::kms_key_arn(k) {
                    d.attr_error(p(path), "Invalid KMS key", msg);
                }
            }
        };
        if let Some(mode) = s3.get("mode").as_str() {
            if !S3_MODES.contains(&mode) {
                d.attr_error(
                    p("encryption.at_rest_s3.mode"),
                    "Invalid S3 encryption mode",
                    format!("mode must be one of {}, got {mode:?}.", S3_MODES.join(", ")),
                );
            } else if mode == "SSE-S3" && !s3.get("kms_key_arn").is_null() {
                d.attr_error(
                    p("encryption.at_rest_s3.kms_key_arn"),
                    "KMS key not allowed",
                    "SSE-S3 uses S3-managed keys: remove kms_key_arn, or use SSE-KMS / CSE-KMS.",
                );
            } else if mode != "SSE-S3" && s3.get("kms_key_arn").is_null() {
                d.attr_error(
                    p("encryption.at_rest_s3.kms_key_arn"),
                    "Missing KMS key",
                    format!("{mode} needs kms_key_arn."),
                );
            }
        }
        kms(
            &mut d,
            "encryption.at_rest_s3.kms_key_arn",
            s3.get("kms_key_arn"),
        );
        kms(
            &mut d,
            "encryption.at_rest_local_disk.kms_key_arn",
            disk.get("kms_key_arn"),
        );
        if let Some(uri) = transit.get("pem_certificates_s3_uri").as_str() {
            let r = validate::s3_object_uri(uri).and_then(|_| {
                if uri.ends_with(".zip") {
                    Ok(())
                } else {
                    Err(format!(
                        "{uri:?} must name a .zip file of PEM certificates."
                    ))
                }
            });
            if let Err(msg) = r {
                d.attr_error(
                    p("encryption.in_transit.pem_certificates_s3_uri"),
                    "Invalid certificate location",
                    msg,
                );
            }
        }
    }
    d
}

fn emr_err(verb: &str, name: &str, e: String) -> Diagnostics {
    Diagnostic::error(format!("{verb} EMR security configuration ({name})"), e).into()
}

#[async_trait]
impl Resource for SecurityConfiguration {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate_config(config)
    }

    async fn modify_plan(
        &self,
        _ctx: &Ctx,
        req: PlanRequest<'_>,
        planned: &mut Value,
        diags: &mut Diagnostics,
    ) {
        diags.extend(validate_config(req.config));
        let prior_json = req.prior.str_attr("configuration_json");
        let cfg_json = req.config.get("configuration_json");
        let desired: Value = if !cfg_json.is_null() {
            cfg_json.clone()
        } else {
            match document_from_blocks(
                req.config.get("runtime_roles"),
                req.config.get("encryption"),
            ) {
                Some(doc) => Value::String(crate::canonical::text(&doc)),
                None => Value::Unknown,
            }
        };
        // Semantically equal to what exists: keep the recorded text.
        let planned_json = match (desired.as_str(), prior_json) {
            (Some(want), Some(have)) if same_document(want, have) => Value::string(have),
            _ => desired,
        };
        planned.set_attr("configuration_json", planned_json);
        if req.prior.is_null() {
            if let Some(n) = req.config.str_attr("name") {
                planned.set_attr("id", Value::string(n));
            }
        }
    }

    async fn create(&self, _ctx: &Ctx, planned: &Value, _config: &Value) -> ApplyResult {
        let c = match self.data.get() {
            Ok(c) => c,
            Err(d) => return ApplyResult::failed(Value::Null, d),
        };
        let name = match (planned.str_attr("name"), planned.str_attr("name_prefix")) {
            (Some(n), _) => n.to_string(),
            (None, Some(p)) => unique_name(p),
            (None, None) => unique_name("terraform-"),
        };
        let Some(doc) = planned.str_attr("configuration_json") else {
            return ApplyResult::failed(
                Value::Null,
                emr_err(
                    "creating",
                    &name,
                    "the configuration document is unknown at apply".into(),
                ),
            );
        };
        crate::info!("creating EMR security configuration", "name" => name);
        let out = c
            .aws
            .emr
            .create_security_configuration()
            .name(&name)
            .security_configuration(doc)
            .send()
            .await;
        if let Err(e) = out {
            let msg = if aws::error_message(&e)
                .unwrap_or_default()
                .contains("already exists")
            {
                format!(
                    "{}. Import it with: terraform import <address> {name}",
                    aws::errors::describe(&e)
                )
            } else {
                aws::errors::describe(&e)
            };
            return ApplyResult::failed(Value::Null, emr_err("creating", &name, msg));
        }
        // It exists now: from here on, state must record it whatever happens.
        let mut created = planned.clone();
        created.set_attr("id", Value::string(&name));
        created.set_attr("name", Value::string(&name));
        match self.read(_ctx, &created).await {
            Ok(st) if !st.is_null() => {
                // Keep the planned block form and document text.
                let mut st = st;
                st.set_attr("runtime_roles", planned.get("runtime_roles").clone());
                st.set_attr("encryption", planned.get("encryption").clone());
                if let (Some(p), Some(s)) = (
                    planned.str_attr("configuration_json"),
                    st.str_attr("configuration_json"),
                ) {
                    if same_document(p, s) {
                        st.set_attr("configuration_json", Value::string(p));
                    }
                }
                ApplyResult::ok(st)
            }
            Ok(_) => ApplyResult::failed(
                created,
                emr_err("reading", &name, "not found right after creation".into()),
            ),
            Err(d) => ApplyResult::failed(created, d),
        }
    }

    async fn read(&self, _ctx: &Ctx, current: &Value) -> Result<Value, Diagnostics> {
        let c = self.data.get()?;
        let Some(name) = current.str_attr("name").or_else(|| current.str_attr("id")) else {
            return Ok(Value::Null);
        };
        let out = match c
            .aws
            .emr
            .describe_security_configuration()
            .name(name)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if aws::is_not_found(&e) => {
                crate::warn!("EMR security configuration not found, removing from state", "name" => name);
                return Ok(Value::Null);
            }
            Err(e) => return Err(emr_err("reading", name, aws::errors::describe(&e))),
        };
        let remote = out.security_configuration().unwrap_or("{}");
        let created = out
            .creation_date_time()
            .and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok());
        state_from_remote(current, out.name().unwrap_or(name), remote, created)
            .map_err(|e| emr_err("reading", name, e))
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        prior: &Value,
        planned: &Value,
        _config: &Value,
    ) -> ApplyResult {
        // Every real change replaces; an update only rewrites state (e.g. the
        // block form after an import), keeping what AWS computed.
        let mut st = planned.clone();
        for k in [
            "id",
            "name",
            "external_id",
            "creation_date",
            "configuration_json",
        ] {
            if st.get(k).is_unknown() {
                st.set_attr(k, prior.get(k).clone());
            }
        }
        ApplyResult::ok(st)
    }

    async fn delete(&self, _ctx: &Ctx, prior: &Value) -> Diagnostics {
        let c = match self.data.get() {
            Ok(c) => c,
            Err(d) => return d,
        };
        let Some(name) = prior.str_attr("name") else {
            return Diagnostics::new();
        };
        crate::info!("deleting EMR security configuration", "name" => name);
        match c
            .aws
            .emr
            .delete_security_configuration()
            .name(name)
            .send()
            .await
        {
            Ok(_) => Diagnostics::new(),
            Err(e) if aws::is_not_found(&e) => Diagnostics::new(),
            Err(e) => emr_err("deleting", name, aws::errors::describe(&e)),
        }
    }

    fn importer(&self) -> Option<&dyn Import> {
        Some(self)
    }
}

#[async_trait]
impl Import for SecurityConfiguration {
    async fn import(&self, _ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        if id.trim().is_empty() {
            return Err(Diagnostic::error(
                "Invalid import id",
                "Import an EMR security configuration by its name.",
            )
            .into());
        }
        let mut st = schema().block.empty_value();
        st.set_attr("id", Value::string(id));
        st.set_attr("name", Value::string(id));
        Ok(st)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rr(propagate: bool, tag: Option<&str>) -> Value {
        Value::object([
            ("propagate_source_identity", Value::Bool(propagate)),
            (
                "lake_formation_authorized_session_tag",
                tag.map(Value::string).unwrap_or(Value::Null),
            ),
        ])
    }

    #[test]
    fn runtime_roles_block_is_seed_002_step_1() {
        let doc = document_from_blocks(&rr(false, None), &Value::Null);
        assert_eq!(
            doc,
            Some(
                json!({"AuthorizationConfiguration":{"IAMConfiguration":{"EnableApplicationScopedIAMRole":true}}})
            )
        );
        let doc = document_from_blocks(&rr(true, Some("Amazon EMR")), &Value::Null)
            .map(|d| crate::canonical::text(&d));
        assert_eq!(
            doc.as_deref(),
            Some(
                r#"{"AuthorizationConfiguration":{"IAMConfiguration":{"ApplicationScopedIAMRoleConfiguration":{"PropagateSourceIdentity":true},"EnableApplicationScopedIAMRole":true},"LakeFormationConfiguration":{"AuthorizedSessionTagValue":"Amazon EMR"}}}"#
            )
        );
    }

    #[test]
    fn unknown_inside_blocks_leaves_document_unknown() {
        let b = Value::object([
            ("propagate_source_identity", Value::Unknown),
            ("lake_formation_authorized_session_tag", Value::Null),
        ]);
        assert_eq!(document_from_blocks(&b, &Value::Null), None);
    }

    #[test]
    fn encryption_blocks_round_trip() {
        let key = "arn:aws:kms:us-east-1:123456789012:key/abc";
        let enc = Value::object([
            (
                "at_rest_s3",
                Value::object([
                    ("mode", Value::string("SSE-KMS")),
                    ("kms_key_arn", Value::string(key)),
                ]),
            ),
            (
                "at_rest_local_disk",
                Value::object([
                    ("kms_key_arn", Value::string(key)),
                    ("ebs_encryption", Value::Bool(true)),
                ]),
            ),
            (
                "in_transit",
                Value::object([("pem_certificates_s3_uri", Value::string("s3://b/c.zip"))]),
            ),
        ]);
        let doc = document_from_blocks(&Value::Null, &enc).unwrap();
        assert_eq!(
            doc.pointer("/EncryptionConfiguration/EnableAtRestEncryption"),
            Some(&J::Bool(true))
        );
        assert_eq!(doc.pointer("/EncryptionConfiguration/InTransitEncryptionConfiguration/TLSCertificateConfiguration/S3Object"), Some(&json!("s3://b/c.zip")));
        assert_eq!(blocks_from_document(&doc), Some((Value::Null, enc)));
    }

    /// Real EMR stores an ExternalId inside the runtime-role configuration:
    /// Read must move it to external_id without a diff or replacement.
    #[test]
    fn read_moves_emr_external_id_out_of_the_document() {
        let planned_doc = document_from_blocks(&rr(true, Some("Amazon EMR")), &Value::Null)
            .unwrap()
            .to_string();
        let mut current = schema().block.empty_value();
        current.set_attr("name", Value::string("iamconfig-with-lf"));
        current.set_attr("configuration_json", Value::string(&planned_doc));
        current.set_attr("runtime_roles", rr(true, Some("Amazon EMR")));
        let remote = r#"{"AuthorizationConfiguration":{"IAMConfiguration":{"EnableApplicationScopedIAMRole":true,"ApplicationScopedIAMRoleConfiguration":{"PropagateSourceIdentity":true,"ExternalId":"FXH5TSACFDWUCDSR3YQE2O7ETPUSM4OBCGLYWODSCUZDNZ4Y"}},"LakeFormationConfiguration":{"AuthorizedSessionTagValue":"Amazon EMR"}}}"#;
        let st = state_from_remote(
            &current,
            "iamconfig-with-lf",
            remote,
            Some("2022-06-03T19:52:35Z".into()),
        )
        .unwrap();
        assert_eq!(
            st.str_attr("external_id"),
            Some("FXH5TSACFDWUCDSR3YQE2O7ETPUSM4OBCGLYWODSCUZDNZ4Y")
        );
        assert_eq!(
            st.str_attr("configuration_json"),
            Some(planned_doc.as_str())
        );
        assert_eq!(st.get("runtime_roles"), &rr(true, Some("Amazon EMR")));

        // Without PropagateSourceIdentity the emptied container disappears too.
        let remote2 = r#"{"AuthorizationConfiguration":{"IAMConfiguration":{"EnableApplicationScopedIAMRole":true,"ApplicationScopedIAMRoleConfiguration":{"ExternalId":"X"}}}}"#;
        let mut cur2 = schema().block.empty_value();
        cur2.set_attr("name", Value::string("n"));
        let st2 = state_from_remote(&cur2, "n", remote2, None).unwrap();
        assert_eq!(st2.get("runtime_roles"), &rr(false, None));
        assert_eq!(st2.str_attr("external_id"), Some("X"));

        // And the plan sees no change: the planned document equals the stored one.
        assert!(same_document(&planned_doc, remote));
    }

    #[test]
    fn import_of_a_json_only_document_keeps_it_as_json() {
        let mut cur = schema().block.empty_value();
        cur.set_attr("name", Value::string("n"));
        let remote = r#"{"AuthenticationConfiguration":{"KerberosConfiguration":{"Provider":"ClusterDedicatedKdc"}}}"#;
        let st = state_from_remote(&cur, "n", remote, None).unwrap();
        assert_eq!(st.get("runtime_roles"), &Value::Null);
        assert_eq!(st.str_attr("configuration_json"), Some(remote));
        assert_eq!(st.str_attr("external_id"), Some(""));
    }

    #[test]
    fn invalid_configurations_name_their_attribute() {
        let base = || {
            let mut v = schema().block.empty_value();
            v.set_attr("runtime_roles", rr(false, None));
            v
        };
        type Mutation = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(&str, Mutation)> = vec![
            (
                "name_prefix",
                Box::new(|v| {
                    v.set_attr("name", Value::string("a"));
                    v.set_attr("name_prefix", Value::string("b"));
                }),
            ),
            ("name", Box::new(|v| v.set_attr("name", Value::string("")))),
            (
                "configuration_json",
                Box::new(|v| v.set_attr("configuration_json", Value::string("{}"))),
            ),
            (
                "configuration_json",
                Box::new(|v| {
                    v.set_attr("runtime_roles", Value::Null);
                    v.set_attr("configuration_json", Value::string("not json"));
                }),
            ),
            (
                "configuration_json",
                Box::new(|v| {
                    v.set_attr("runtime_roles", Value::Null);
                    v.set_attr("configuration_json", Value::string("[1]"));
                }),
            ),
            (
                "configuration_json",
                Box::new(|v| v.set_attr("runtime_roles", Value::Null)),
            ),
            (
                "runtime_roles.lake_formation_authorized_session_tag",
                Box::new(|v| v.set_attr("runtime_roles", rr(false, Some(" ")))),
            ),
            (
                "encryption.at_rest_s3",
                Box::new(|v| {
                    v.set_attr(
                        "encryption",
                        Value::object([
                            ("at_rest_s3", Value::Null),
                            ("at_rest_local_disk", Value::Null),
                            ("in_transit", Value::Null),
                        ]),
                    )
                }),
            ),
            (
                "encryption.at_rest_s3.mode",
                Box::new(|v| {
                    v.set_attr(
                        "encryption",
                        Value::object([
                            (
                                "at_rest_s3",
                                Value::object([
                                    ("mode", Value::string("AES")),
                                    ("kms_key_arn", Value::Null),
                                ]),
                            ),
                            ("at_rest_local_disk", Value::Null),
                            ("in_transit", Value::Null),
                        ]),
                    )
                }),
            ),
            (
                "encryption.at_rest_s3.kms_key_arn",
                Box::new(|v| {
                    v.set_attr(
                        "encryption",
                        Value::object([
                            (
                                "at_rest_s3",
                                Value::object([
                                    ("mode", Value::string("SSE-KMS")),
                                    ("kms_key_arn", Value::Null),
                                ]),
                            ),
                            ("at_rest_local_disk", Value::Null),
                            ("in_transit", Value::Null),
                        ]),
                    )
                }),
            ),
            (
                "encryption.at_rest_local_disk.kms_key_arn",
                Box::new(|v| {
                    v.set_attr(
                        "encryption",
                        Value::object([
                            ("at_rest_s3", Value::Null),
                            (
                                "at_rest_local_disk",
                                Value::object([
                                    ("kms_key_arn", Value::string("arn:aws:s3:::bucket")),
                                    ("ebs_encryption", Value::Bool(false)),
                                ]),
                            ),
                            ("in_transit", Value::Null),
                        ]),
                    )
                }),
            ),
            (
                "encryption.in_transit.pem_certificates_s3_uri",
                Box::new(|v| {
                    v.set_attr(
                        "encryption",
                        Value::object([
                            ("at_rest_s3", Value::Null),
                            ("at_rest_local_disk", Value::Null),
                            (
                                "in_transit",
                                Value::object([(
                                    "pem_certificates_s3_uri",
                                    Value::string("https://x/certs.zip"),
                                )]),
                            ),
                        ]),
                    )
                }),
            ),
        ];
        assert!(!validate_config(&base()).has_errors());
        for (path, mutate) in cases {
            let mut v = base();
            mutate(&mut v);
            let d = validate_config(&v);
            assert!(
                d.iter()
                    .any(|x| x.path.as_ref().map(|p| p.to_string()).as_deref() == Some(path)),
                "expected an error at {path}, got {d}"
            );
        }
    }

    #[test]
    fn unknown_values_are_not_errors() {
        let mut v = schema().block.empty_value();
        v.set_attr("name", Value::Unknown);
        v.set_attr("configuration_json", Value::Unknown);
        assert!(!validate_config(&v).has_errors());
    }
}
