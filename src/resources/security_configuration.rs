//! emr_security_configuration (seed 002 step 1): typed blocks or a JSON
//! document, compared semantically. EMR security configurations are
//! immutable, so every change replaces.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as J};

use crate::aws;
use crate::configured::ProviderData;
use crate::resources::{unique_name, UNIQUE_SUFFIX_LEN};
use crate::tfplugin::{
    model, ApplyResult, AttrPath, Attribute, Block, Ctx, Diagnostic, Diagnostics, Import,
    NestedBlock, PlanRequest, Planned, Resource, Schema, Type, Value,
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

/// Configuration, plan and state: every attribute may be null or unknown.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Model {
    pub id: Planned<String>,
    pub name: Planned<String>,
    pub name_prefix: Planned<String>,
    pub configuration_json: Planned<String>,
    pub external_id: Planned<String>,
    pub creation_date: Planned<String>,
    pub runtime_roles: Planned<RuntimeRoles>,
    pub encryption: Planned<Encryption>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct RuntimeRoles {
    pub propagate_source_identity: Planned<bool>,
    pub lake_formation_authorized_session_tag: Planned<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct Encryption {
    pub at_rest_s3: Planned<AtRestS3>,
    pub at_rest_local_disk: Planned<AtRestLocalDisk>,
    pub in_transit: Planned<InTransit>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct AtRestS3 {
    pub mode: Planned<String>,
    pub kms_key_arn: Planned<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct AtRestLocalDisk {
    pub kms_key_arn: Planned<String>,
    pub ebs_encryption: Planned<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct InTransit {
    pub pem_certificates_s3_uri: Planned<String>,
}

fn to_value(m: &Model) -> Result<Value, Diagnostics> {
    model::encode_block(m, &schema().block)
}

fn text(s: &Planned<String>) -> J {
    J::String(s.as_str().unwrap_or_default().into())
}

/// The document the blocks describe; None while any part is unknown.
pub fn document_from_blocks(rr: &Planned<RuntimeRoles>, enc: &Planned<Encryption>) -> Option<J> {
    if !model::wholly_known(rr) || !model::wholly_known(enc) {
        return None;
    }
    let mut doc = Map::new();
    if let Some(rr) = rr.known() {
        let mut iam = Map::new();
        iam.insert("EnableApplicationScopedIAMRole".into(), J::Bool(true));
        if rr.propagate_source_identity == Planned::Known(true) {
            iam.insert(
                "ApplicationScopedIAMRoleConfiguration".into(),
                json!({"PropagateSourceIdentity": true}),
            );
        }
        let mut authz = Map::new();
        authz.insert("IAMConfiguration".into(), J::Object(iam));
        if let Some(tag) = rr.lake_formation_authorized_session_tag.as_str() {
            authz.insert(
                "LakeFormationConfiguration".into(),
                json!({"AuthorizedSessionTagValue": tag}),
            );
        }
        doc.insert("AuthorizationConfiguration".into(), J::Object(authz));
    }
    if let Some(e) = enc.known() {
        let mut enc = Map::new();
        let (s3, disk) = (e.at_rest_s3.known(), e.at_rest_local_disk.known());
        let at_rest = s3.is_some() || disk.is_some();
        enc.insert("EnableAtRestEncryption".into(), J::Bool(at_rest));
        enc.insert(
            "EnableInTransitEncryption".into(),
            J::Bool(e.in_transit.is_known()),
        );
        if at_rest {
            let mut ar = Map::new();
            if let Some(s3) = s3 {
                let mut c = Map::new();
                c.insert("EncryptionMode".into(), text(&s3.mode));
                if let Some(k) = s3.kms_key_arn.as_str() {
                    c.insert("AwsKmsKey".into(), J::String(k.into()));
                }
                ar.insert("S3EncryptionConfiguration".into(), J::Object(c));
            }
            if let Some(disk) = disk {
                ar.insert(
                    "LocalDiskEncryptionConfiguration".into(),
                    json!({
                        "EncryptionKeyProviderType": "AwsKms",
                        "AwsKmsKey": text(&disk.kms_key_arn),
                        "EnableEbsEncryption": disk.ebs_encryption == Planned::Known(true),
                    }),
                );
            }
            enc.insert("AtRestEncryptionConfiguration".into(), J::Object(ar));
        }
        if let Some(t) = e.in_transit.known() {
            enc.insert(
                "InTransitEncryptionConfiguration".into(),
                json!({"TLSCertificateConfiguration": {
                    "CertificateProviderType": "PEM",
                    "S3Object": text(&t.pem_certificates_s3_uri),
                }}),
            );
        }
        doc.insert("EncryptionConfiguration".into(), J::Object(enc));
    }
    Some(J::Object(doc))
}

/// The blocks that produce exactly this document, when it is expressible.
pub fn blocks_from_document(doc: &J) -> Option<(Planned<RuntimeRoles>, Planned<Encryption>)> {
    let s = |v: Option<&J>| Planned::from(v.and_then(J::as_str).map(str::to_string));
    let flag = |v: Option<&J>| Planned::Known(v.and_then(J::as_bool).unwrap_or(false));
    let runtime_roles =
        Planned::from(doc.get("AuthorizationConfiguration").map(|a| RuntimeRoles {
            propagate_source_identity: flag(a.pointer(
                "/IAMConfiguration/ApplicationScopedIAMRoleConfiguration/PropagateSourceIdentity",
            )),
            lake_formation_authorized_session_tag: s(
                a.pointer("/LakeFormationConfiguration/AuthorizedSessionTagValue"),
            ),
        }));
    let encryption = doc.get("EncryptionConfiguration").map(|e| {
        let at_rest = |k: &str| e.pointer(&format!("/AtRestEncryptionConfiguration/{k}"));
        Encryption {
            at_rest_s3: at_rest("S3EncryptionConfiguration")
                .map(|c| AtRestS3 {
                    mode: s(c.get("EncryptionMode")),
                    kms_key_arn: s(c.get("AwsKmsKey")),
                })
                .into(),
            at_rest_local_disk: at_rest("LocalDiskEncryptionConfiguration")
                .map(|c| AtRestLocalDisk {
                    kms_key_arn: s(c.get("AwsKmsKey")),
                    ebs_encryption: flag(c.get("EnableEbsEncryption")),
                })
                .into(),
            in_transit: e
                .pointer("/InTransitEncryptionConfiguration/TLSCertificateConfiguration/S3Object")
                .map(|o| InTransit {
                    pem_certificates_s3_uri: s(Some(o)),
                })
                .into(),
        }
    });
    let encryption = Planned::from(encryption);
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
    current: &Model,
    name: &str,
    remote_json: &str,
    creation_date: Option<String>,
) -> Result<Model, String> {
    let doc: J = serde_json::from_str(remote_json)
        .map_err(|e| format!("EMR returned a document that is not JSON: {e}"))?;
    let (doc, external_id) = split_external_id(doc);
    let canonical = crate::canonical::text(&doc);
    let configuration_json = match current.configuration_json.as_str() {
        Some(cur) if same_document(cur, &canonical) => cur.to_string(),
        _ => canonical,
    };
    // Keep the form the user writes: blocks when the state has blocks (or
    // when importing), the JSON alone when the state has only the JSON.
    let uses_blocks = !current.runtime_roles.is_null()
        || !current.encryption.is_null()
        || current.configuration_json.is_null();
    let (runtime_roles, encryption) = if uses_blocks {
        blocks_from_document(&doc).unwrap_or_default()
    } else {
        Default::default()
    };
    Ok(Model {
        id: Planned::Known(name.into()),
        name: Planned::Known(name.into()),
        name_prefix: current.name_prefix.clone(),
        configuration_json: Planned::Known(configuration_json),
        external_id: Planned::Known(external_id),
        creation_date: creation_date.map_or_else(|| current.creation_date.clone(), Planned::Known),
        runtime_roles,
        encryption,
    })
}

fn check_name(d: &mut Diagnostics, attr: &str, v: &Planned<String>, max: usize) {
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
    model::decode(config).map_or_else(|d| d, |m| check(&m))
}

/// The document the blocks describe, when any block is set and all are known.
fn blocks_document(cfg: &Model) -> Option<J> {
    if cfg.runtime_roles.is_null() && cfg.encryption.is_null() {
        return None;
    }
    document_from_blocks(&cfg.runtime_roles, &cfg.encryption)
}

fn check(cfg: &Model) -> Diagnostics {
    let mut d = Diagnostics::new();
    let p = AttrPath::parse_dotted;
    if !cfg.name.is_null() && !cfg.name_prefix.is_null() {
        d.attr_error(
            p("name_prefix"),
            "Conflicting attributes",
            "Set either name or name_prefix, not both.",
        );
    }
    check_name(&mut d, "name", &cfg.name, MAX_NAME);
    check_name(
        &mut d,
        "name_prefix",
        &cfg.name_prefix,
        MAX_NAME - UNIQUE_SUFFIX_LEN,
    );
    let (cj, rr, enc) = (&cfg.configuration_json, &cfg.runtime_roles, &cfg.encryption);
    // Both forms (as generated configuration writes them) must agree.
    if let (Some(json), Some(doc)) = (cj.as_str(), blocks_document(cfg)) {
        if !same_document(json, &crate::canonical::text(&doc)) {
            d.attr_error(
                p("configuration_json"),
                "Conflicting attributes",
                "configuration_json and the runtime_roles / encryption blocks describe different documents: keep one form, or make them agree.",
            );
        }
    }
    if cj.is_null() && rr.is_null() && enc.is_null() {
        d.attr_error(
            p("configuration_json"),
            "Missing security configuration",
            "Add a runtime_roles block, an encryption block, or configuration_json.",
        );
    }
    if let Some(s) = cj.as_str() {
        match serde_json::from_str::<J>(s) {
            Err(e) => d.attr_error(p("configuration_json"), "Invalid JSON", format!("configuration_json is not valid JSON: {e}.")),
            Ok(J::Object(m)) if m.is_empty() => d.attr_error(
                p("configuration_json"),
                "Empty security configuration",
                "configuration_json must configure something, e.g. AuthorizationConfiguration or EncryptionConfiguration.",
            ),
            Ok(J::Object(_)) => {}
            Ok(_) => d.attr_error(p("configuration_json"), "Invalid security configuration", "configuration_json must be a JSON object."),
        }
    }
    let tag = rr
        .known()
        .and_then(|r| r.lake_formation_authorized_session_tag.as_str());
    if tag.is_some_and(|t| t.trim().is_empty()) {
        d.attr_error(
            p("runtime_roles.lake_formation_authorized_session_tag"),
            "Invalid session tag",
            "lake_formation_authorized_session_tag must not be empty; omit it to leave Lake Formation out.",
        );
    }
    if let Some(enc) = enc.known() {
        check_encryption(&mut d, enc);
    }
    d
}

fn check_encryption(d: &mut Diagnostics, enc: &Encryption) {
    let p = AttrPath::parse_dotted;
    let (s3, disk, transit) = (&enc.at_rest_s3, &enc.at_rest_local_disk, &enc.in_transit);
    if s3.is_null() && disk.is_null() && transit.is_null() {
        // A path into the block (not the block itself) makes Terraform
        // point at the `encryption {` line.
        d.attr_error(
            p("encryption.at_rest_s3"),
            "Empty encryption block",
            "encryption needs at least one of at_rest_s3, at_rest_local_disk, in_transit.",
        );
    }
    let kms = |d: &mut Diagnostics, path: &str, v: &Planned<String>| {
        if let Some(Err(msg)) = v.as_str().map(validate::kms_key_arn) {
            d.attr_error(p(path), "Invalid KMS key", msg);
        }
    };
    if let Some(s3) = s3.known() {
        let no_key = s3.kms_key_arn.is_null();
        match s3.mode.as_str() {
            Some(mode) if !S3_MODES.contains(&mode) => d.attr_error(
                p("encryption.at_rest_s3.mode"),
                "Invalid S3 encryption mode",
                format!("mode must be one of {}, got {mode:?}.", S3_MODES.join(", ")),
            ),
            Some("SSE-S3") if !no_key => d.attr_error(
                p("encryption.at_rest_s3.kms_key_arn"),
                "KMS key not allowed",
                "SSE-S3 uses S3-managed keys: remove kms_key_arn, or use SSE-KMS / CSE-KMS.",
            ),
            Some(mode) if mode != "SSE-S3" && no_key => d.attr_error(
                p("encryption.at_rest_s3.kms_key_arn"),
                "Missing KMS key",
                format!("{mode} needs kms_key_arn."),
            ),
            _ => {}
        }
        kms(d, "encryption.at_rest_s3.kms_key_arn", &s3.kms_key_arn);
    }
    if let Some(disk) = disk.known() {
        kms(
            d,
            "encryption.at_rest_local_disk.kms_key_arn",
            &disk.kms_key_arn,
        );
    }
    if let Some(uri) = transit
        .known()
        .and_then(|t| t.pem_certificates_s3_uri.as_str())
    {
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

/// The replace paths of a change without those of a form switch (blocks
/// to configuration_json or back) that keeps the same document.
fn replacing(paths: Vec<AttrPath>, prior: &Value, planned: &Value) -> Vec<AttrPath> {
    let doc = |v: &Value| {
        model::decode::<Model>(v)
            .ok()?
            .configuration_json
            .known()
            .cloned()
    };
    let same = match (doc(prior), doc(planned)) {
        (Some(a), Some(b)) => same_document(&a, &b),
        _ => false,
    };
    let form = ["runtime_roles", "encryption"].map(AttrPath::attr);
    paths
        .into_iter()
        .filter(|p| !(same && form.iter().any(|f| p.starts_with(f))))
        .collect()
}

fn emr_err(verb: &str, name: &str, e: String) -> Diagnostics {
    Diagnostic::error(format!("{verb} EMR security configuration ({name})"), e).into()
}

impl SecurityConfiguration {
    fn plan(req: &PlanRequest<'_>, planned: &mut Value) -> Result<Diagnostics, Diagnostics> {
        let cfg: Model = model::decode(req.config)?;
        let prior: Option<Model> = model::decode(req.prior)?;
        let mut plan: Model = model::decode(planned)?;
        let desired = if !cfg.configuration_json.is_null() {
            cfg.configuration_json.clone()
        } else {
            match document_from_blocks(&cfg.runtime_roles, &cfg.encryption) {
                Some(doc) => Planned::Known(crate::canonical::text(&doc)),
                None => Planned::Unknown,
            }
        };
        // Semantically equal to what exists: keep the recorded text.
        let have = prior.as_ref().and_then(|p| p.configuration_json.as_str());
        plan.configuration_json = match (desired.as_str(), have) {
            (Some(want), Some(have)) if same_document(want, have) => Planned::Known(have.into()),
            _ => desired,
        };
        if prior.is_none() && cfg.name.is_known() {
            plan.id = cfg.name.clone();
        }
        *planned = to_value(&plan)?;
        Ok(check(&cfg))
    }

    /// The configuration as EMR has it; None when it does not exist.
    async fn fetch(&self, current: &Model) -> Result<Option<Model>, Diagnostics> {
        let c = self.data.get()?;
        let Some(name) = current.name.as_str().or(current.id.as_str()) else {
            return Ok(None);
        };
        let req = c.aws.emr.describe_security_configuration().name(name);
        let out = match req.send().await {
            Ok(o) => o,
            Err(e) if aws::is_not_found(&e) => {
                crate::warn!("EMR security configuration not found, removing from state", "name" => name);
                return Ok(None);
            }
            Err(e) => return Err(emr_err("reading", name, aws::errors::describe(&e))),
        };
        let remote = out.security_configuration().unwrap_or("{}");
        let created = out
            .creation_date_time()
            .and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok());
        state_from_remote(current, out.name().unwrap_or(name), remote, created)
            .map(Some)
            .map_err(|e| emr_err("reading", name, e))
    }

    /// Whether the configuration `name` has the document `doc` (EMR's
    /// external id aside).
    async fn holds(&self, name: &str, doc: &str) -> bool {
        let Ok(c) = self.data.get() else { return false };
        let req = c.aws.emr.describe_security_configuration().name(name);
        match req.send().await {
            Ok(o) => same_document(o.security_configuration().unwrap_or("{}"), doc),
            Err(_) => false,
        }
    }
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
        diags.extend(Self::plan(&req, planned).unwrap_or_else(|d| d));
    }

    /// Switching between the blocks and configuration_json for the same
    /// document keeps the configuration: only the document replaces it.
    fn replace_paths(&self, paths: Vec<AttrPath>, prior: &Value, planned: &Value) -> Vec<AttrPath> {
        replacing(paths, prior, planned)
    }

    async fn create(&self, _ctx: &Ctx, planned: &Value, _config: &Value) -> ApplyResult {
        let decoded = self
            .data
            .get()
            .and_then(|c| Ok((c, model::decode::<Model>(planned)?)));
        let (c, plan) = match decoded {
            Ok(x) => x,
            Err(d) => return ApplyResult::failed(Value::Null, d),
        };
        let name = match (plan.name.as_str(), plan.name_prefix.as_str()) {
            (Some(n), _) => n.to_string(),
            (None, Some(p)) => unique_name(p),
            (None, None) => unique_name("terraform-"),
        };
        let Some(doc) = plan.configuration_json.as_str() else {
            let e = "the configuration document is unknown at apply".into();
            return ApplyResult::failed(Value::Null, emr_err("creating", &name, e));
        };
        crate::info!("creating EMR security configuration", "name" => name);
        let req = c.aws.emr.create_security_configuration().name(&name);
        let lost = aws::answer_lost::AnswerLost::default();
        let sent = req.security_configuration(doc).customize();
        if let Err(e) = sent.interceptor(lost.clone()).send().await {
            let exists = aws::error_message(&e)
                .unwrap_or_default()
                .contains("already exists");
            // A retry of our own create, whose first answer was lost, is
            // refused: the configuration is ours when an attempt went
            // unanswered and it holds our document.
            let ours = lost.happened() && self.holds(&name, doc).await;
            if !ours {
                let mut msg = aws::errors::describe(&e);
                if exists {
                    msg = format!("{msg}. Import it with: terraform import <address> {name}");
                }
                return ApplyResult::failed(Value::Null, emr_err("creating", &name, msg));
            }
        }
        // It exists now: from here on, state must record it whatever happens.
        let mut created = plan.clone();
        created.id = Planned::Known(name.clone());
        created.name = Planned::Known(name.clone());
        let (st, d) = match self.fetch(&created).await {
            Ok(Some(mut st)) => {
                // Keep the planned block form and document text.
                st.runtime_roles = plan.runtime_roles;
                st.encryption = plan.encryption;
                let p = plan.configuration_json;
                if let (Some(p), Some(s)) = (p.as_str(), st.configuration_json.as_str()) {
                    if same_document(p, s) {
                        st.configuration_json = p.into();
                    }
                }
                (st, Diagnostics::new())
            }
            Ok(None) => {
                let e = "not found right after creation".into();
                (created, emr_err("reading", &name, e))
            }
            Err(d) => (created, d),
        };
        match to_value(&st) {
            Ok(state) => ApplyResult { state, diags: d },
            Err(e) => ApplyResult::failed(Value::Null, e),
        }
    }

    async fn read(&self, _ctx: &Ctx, current: &Value) -> Result<Value, Diagnostics> {
        match self.fetch(&model::decode(current)?).await? {
            Some(st) => to_value(&st),
            None => Ok(Value::Null),
        }
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
        let models = model::decode::<Model>(prior).and_then(|p| Ok((p, model::decode(planned)?)));
        let (prior_m, mut st): (Model, Model) = match models {
            Ok(m) => m,
            Err(d) => return ApplyResult::failed(prior.clone(), d),
        };
        for (v, was) in [
            (&mut st.id, prior_m.id),
            (&mut st.name, prior_m.name),
            (&mut st.external_id, prior_m.external_id),
            (&mut st.creation_date, prior_m.creation_date),
            (&mut st.configuration_json, prior_m.configuration_json),
        ] {
            if v.is_unknown() {
                *v = was;
            }
        }
        match to_value(&st) {
            Ok(v) => ApplyResult::ok(v),
            Err(d) => ApplyResult::failed(prior.clone(), d),
        }
    }

    async fn delete(&self, _ctx: &Ctx, prior: &Value) -> Diagnostics {
        let (c, prior) = match self
            .data
            .get()
            .and_then(|c| Ok((c, model::decode::<Model>(prior)?)))
        {
            Ok(x) => x,
            Err(d) => return d,
        };
        let Some(name) = prior.name.as_str() else {
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
        to_value(&Model {
            id: Planned::Known(id.into()),
            name: Planned::Known(id.into()),
            ..Model::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_is_the_schema() {
        assert_eq!(
            model::model_paths::<Model>(),
            model::schema_paths(&schema().block)
        );
    }

    fn rr(propagate: bool, tag: Option<&str>) -> Planned<RuntimeRoles> {
        Planned::Known(RuntimeRoles {
            propagate_source_identity: Planned::Known(propagate),
            lake_formation_authorized_session_tag: tag.map(str::to_string).into(),
        })
    }

    fn named(name: &str) -> Model {
        Model {
            name: name.into(),
            ..Model::default()
        }
    }

    #[test]
    fn runtime_roles_block_is_seed_002_step_1() {
        let doc = document_from_blocks(&rr(false, None), &Planned::Null);
        assert_eq!(
            doc,
            Some(
                json!({"AuthorizationConfiguration":{"IAMConfiguration":{"EnableApplicationScopedIAMRole":true}}})
            )
        );
        let doc = document_from_blocks(&rr(true, Some("Amazon EMR")), &Planned::Null)
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
        let b = Planned::Known(RuntimeRoles {
            propagate_source_identity: Planned::Unknown,
            lake_formation_authorized_session_tag: Planned::Null,
        });
        assert_eq!(document_from_blocks(&b, &Planned::Null), None);
    }

    #[test]
    fn encryption_blocks_round_trip() {
        let key = "arn:aws:kms:us-east-1:123456789012:key/abc";
        let enc = Planned::Known(Encryption {
            at_rest_s3: Planned::Known(AtRestS3 {
                mode: "SSE-KMS".into(),
                kms_key_arn: key.into(),
            }),
            at_rest_local_disk: Planned::Known(AtRestLocalDisk {
                kms_key_arn: key.into(),
                ebs_encryption: Planned::Known(true),
            }),
            in_transit: Planned::Known(InTransit {
                pem_certificates_s3_uri: "s3://b/c.zip".into(),
            }),
        });
        let doc = document_from_blocks(&Planned::Null, &enc).unwrap();
        assert_eq!(
            doc.pointer("/EncryptionConfiguration/EnableAtRestEncryption"),
            Some(&J::Bool(true))
        );
        assert_eq!(doc.pointer("/EncryptionConfiguration/InTransitEncryptionConfiguration/TLSCertificateConfiguration/S3Object"), Some(&json!("s3://b/c.zip")));
        assert_eq!(blocks_from_document(&doc), Some((Planned::Null, enc)));
    }

    /// Real EMR stores an ExternalId inside the runtime-role configuration:
    /// Read must move it to external_id without a diff or replacement.
    #[test]
    fn read_moves_emr_external_id_out_of_the_document() {
        let planned_doc = document_from_blocks(&rr(true, Some("Amazon EMR")), &Planned::Null)
            .unwrap()
            .to_string();
        let current = Model {
            configuration_json: planned_doc.as_str().into(),
            runtime_roles: rr(true, Some("Amazon EMR")),
            ..named("iamconfig-with-lf")
        };
        let remote = r#"{"AuthorizationConfiguration":{"IAMConfiguration":{"EnableApplicationScopedIAMRole":true,"ApplicationScopedIAMRoleConfiguration":{"PropagateSourceIdentity":true,"ExternalId":"FXH5TSACFDWUCDSR3YQE2O7ETPUSM4OBCGLYWODSCUZDNZ4Y"}},"LakeFormationConfiguration":{"AuthorizedSessionTagValue":"Amazon EMR"}}}"#;
        let st = state_from_remote(
            &current,
            "iamconfig-with-lf",
            remote,
            Some("2022-06-03T19:52:35Z".into()),
        )
        .unwrap();
        assert_eq!(
            st.external_id.as_str(),
            Some("FXH5TSACFDWUCDSR3YQE2O7ETPUSM4OBCGLYWODSCUZDNZ4Y")
        );
        assert_eq!(st.configuration_json.as_str(), Some(planned_doc.as_str()));
        assert_eq!(st.runtime_roles, rr(true, Some("Amazon EMR")));

        // Without PropagateSourceIdentity the emptied container disappears too.
        let remote2 = r#"{"AuthorizationConfiguration":{"IAMConfiguration":{"EnableApplicationScopedIAMRole":true,"ApplicationScopedIAMRoleConfiguration":{"ExternalId":"X"}}}}"#;
        let st2 = state_from_remote(&named("n"), "n", remote2, None).unwrap();
        assert_eq!(st2.runtime_roles, rr(false, None));
        assert_eq!(st2.external_id.as_str(), Some("X"));

        // And the plan sees no change: the planned document equals the stored one.
        assert!(same_document(&planned_doc, remote));
    }

    #[test]
    fn import_of_a_json_only_document_keeps_it_as_json() {
        let remote = r#"{"AuthenticationConfiguration":{"KerberosConfiguration":{"Provider":"ClusterDedicatedKdc"}}}"#;
        let st = state_from_remote(&named("n"), "n", remote, None).unwrap();
        assert_eq!(st.runtime_roles, Planned::Null);
        assert_eq!(st.configuration_json.as_str(), Some(remote));
        assert_eq!(st.external_id.as_str(), Some(""));
    }

    #[test]
    fn invalid_configurations_name_their_attribute() {
        let base = || Model {
            runtime_roles: rr(false, None),
            ..Model::default()
        };
        let s3 = |mode: &str| AtRestS3 {
            mode: mode.into(),
            kms_key_arn: Planned::Null,
        };
        let disk = AtRestLocalDisk {
            kms_key_arn: "arn:aws:s3:::bucket".into(),
            ebs_encryption: Planned::Known(false),
        };
        let transit = InTransit {
            pem_certificates_s3_uri: "https://x/certs.zip".into(),
        };
        let enc = |e: Encryption| Model {
            encryption: Planned::Known(e),
            ..base()
        };
        let json_only = |cj: Planned<String>| Model {
            runtime_roles: Planned::Null,
            configuration_json: cj,
            ..base()
        };
        let cases: Vec<(&str, Model)> = vec![
            (
                "name_prefix",
                Model {
                    name: "a".into(),
                    name_prefix: "b".into(),
                    ..base()
                },
            ),
            (
                "name",
                Model {
                    name: "".into(),
                    ..base()
                },
            ),
            (
                "configuration_json",
                Model {
                    configuration_json: "{}".into(),
                    ..base()
                },
            ),
            ("configuration_json", json_only("not json".into())),
            ("configuration_json", json_only("[1]".into())),
            ("configuration_json", json_only(Planned::Null)),
            (
                "runtime_roles.lake_formation_authorized_session_tag",
                Model {
                    runtime_roles: rr(false, Some(" ")),
                    ..base()
                },
            ),
            ("encryption.at_rest_s3", enc(Encryption::default())),
            (
                "encryption.at_rest_s3.mode",
                enc(Encryption {
                    at_rest_s3: Planned::Known(s3("AES")),
                    ..Encryption::default()
                }),
            ),
            (
                "encryption.at_rest_s3.kms_key_arn",
                enc(Encryption {
                    at_rest_s3: Planned::Known(s3("SSE-KMS")),
                    ..Encryption::default()
                }),
            ),
            (
                "encryption.at_rest_local_disk.kms_key_arn",
                enc(Encryption {
                    at_rest_local_disk: Planned::Known(disk),
                    ..Encryption::default()
                }),
            ),
            (
                "encryption.in_transit.pem_certificates_s3_uri",
                enc(Encryption {
                    in_transit: Planned::Known(transit),
                    ..Encryption::default()
                }),
            ),
        ];
        assert!(!validate_config(&to_value(&base()).unwrap()).has_errors());
        for (path, m) in cases {
            let d = validate_config(&to_value(&m).unwrap());
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

    /// Generated configuration writes the document and the blocks that
    /// express it: accepted when they agree, refused when they differ.
    #[test]
    fn configuration_json_with_agreeing_blocks_is_valid() {
        let with = |cj: &str, blocks: Planned<RuntimeRoles>| Model {
            configuration_json: cj.into(),
            runtime_roles: blocks,
            ..Model::default()
        };
        let agreeing = r#"{"AuthorizationConfiguration": {"LakeFormationConfiguration":
            {"AuthorizedSessionTagValue": "Amazon EMR"}, "IAMConfiguration":
            {"EnableApplicationScopedIAMRole": true}}}"#;
        assert!(!check(&with(agreeing, rr(false, Some("Amazon EMR")))).has_errors());
        let other = check(&with(agreeing, rr(true, Some("Amazon EMR"))));
        let paths: Vec<String> = other
            .iter()
            .filter_map(|x| x.path.as_ref().map(|p| p.to_string()))
            .collect();
        assert_eq!(paths, ["configuration_json"], "{other}");
        // Unknown blocks cannot be compared yet.
        let unknown = with(
            agreeing,
            Planned::Known(RuntimeRoles {
                propagate_source_identity: Planned::Unknown,
                lake_formation_authorized_session_tag: Planned::Null,
            }),
        );
        assert!(!check(&unknown).has_errors());
    }

    /// Dropping the blocks that generated configuration wrote beside the
    /// same document changes state only; a different document replaces.
    #[test]
    fn a_form_switch_does_not_replace() {
        let doc = r#"{"AuthorizationConfiguration":{"IAMConfiguration":{"EnableApplicationScopedIAMRole":true}}}"#;
        let prior = Model {
            name: "rt".into(),
            configuration_json: doc.into(),
            runtime_roles: rr(false, None),
            ..Model::default()
        };
        let json_only = Model {
            runtime_roles: Planned::Null,
            ..prior.clone()
        };
        let (prior_v, json_v) = (to_value(&prior).unwrap(), to_value(&json_only).unwrap());
        let paths = crate::tfplugin::plan::replace_paths(&schema(), &prior_v, &json_v);
        assert!(!paths.is_empty(), "the schema alone replaces on the block");
        assert!(replacing(paths, &prior_v, &json_v).is_empty());
        let other = Model {
            configuration_json: r#"{"EncryptionConfiguration":{}}"#.into(),
            ..json_only
        };
        let other_v = to_value(&other).unwrap();
        let paths = crate::tfplugin::plan::replace_paths(&schema(), &prior_v, &other_v);
        assert_eq!(replacing(paths.clone(), &prior_v, &other_v), paths);
        assert!(paths.contains(&AttrPath::attr("configuration_json")));
    }
}
