//! The tfplugin6.Provider gRPC service: decodes values with the schema, runs
//! the plan pipeline and the provider's resources, encodes the answers.

use std::collections::HashMap;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider as ProviderService;

use super::diag::{AttrPath, Diagnostic, Diagnostics};
use super::plan;
use super::resource::{Ctx, DataSource, PlanRequest, Provider, Resource};
use super::schema::Schema;
use super::value::{Type, Value};
use super::{json, msgpack};

pub struct ProviderServer {
    provider: Arc<dyn Provider>,
    provider_schema: Schema,
    resources: HashMap<String, (Arc<dyn Resource>, Schema)>,
    data_sources: HashMap<String, (Arc<dyn DataSource>, Schema)>,
    /// Cancelled by StopProvider, for good: Terraform sends it on an
    /// interrupt and starts no new work in this process afterwards.
    cancel: CancellationToken,
}

/// With the `capture` feature only (never in a release): writes the first
/// request of each RPC and type to `EMR_TFPLUGIN_CAPTURE_DIR`, the corpus of
/// `tests/protocol_corpus.rs`. Requests carry configuration values, which
/// is why it is not in the provider Terraform runs.
#[cfg(feature = "capture")]
fn capture<M: prost::Message>(rpc: &str, type_name: Option<&str>, req: &M) {
    let Some(dir) = std::env::var_os("EMR_TFPLUGIN_CAPTURE_DIR") else {
        return;
    };
    let name = format!("{rpc}.{}.pb", type_name.unwrap_or("provider"));
    let path = std::path::Path::new(&dir).join(name);
    if !path.exists() {
        let _ = std::fs::write(path, req.encode_to_vec());
    }
}

#[cfg(not(feature = "capture"))]
fn capture<M>(_rpc: &str, _type_name: Option<&str>, _req: &M) {}

impl ProviderServer {
    pub fn new(provider: Arc<dyn Provider>) -> ProviderServer {
        let provider_schema = provider.schema();
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| {
                let s = r.schema();
                (r.type_name().to_string(), (r, s))
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| {
                let s = d.schema();
                (d.type_name().to_string(), (d, s))
            })
            .collect();
        ProviderServer {
            provider,
            provider_schema,
            resources,
            data_sources,
            cancel: CancellationToken::new(),
        }
    }

    fn ctx(&self) -> Ctx {
        Ctx {
            cancel: self.cancel.clone(),
        }
    }

    fn resource(&self, name: &str) -> Result<&(Arc<dyn Resource>, Schema), Diagnostics> {
        self.resources.get(name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown resource type",
                format!("This provider has no resource type {name:?}."),
            )
            .into()
        })
    }

    fn data_source(&self, name: &str) -> Result<&(Arc<dyn DataSource>, Schema), Diagnostics> {
        self.data_sources.get(name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown data source",
                format!("This provider has no data source {name:?}."),
            )
            .into()
        })
    }

    fn capabilities() -> pb::ServerCapabilities {
        pb::ServerCapabilities {
            plan_destroy: false,
            // Every schema is built when the server is, and no call depends
            // on GetProviderSchema having been made: Terraform may reuse the
            // schema it already has instead of asking each new instance.
            get_provider_schema_optional: true,
            move_resource_state: false,
        }
    }
}

/// Decodes an optional DynamicValue (absent = null).
pub fn decode_dv(
    dv: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostics> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    let res = if !dv.msgpack.is_empty() {
        msgpack::decode(&dv.msgpack, ty).map_err(|e| e.to_string())
    } else if !dv.json.is_empty() {
        json::decode(&dv.json, ty)
    } else {
        Ok(Value::Null)
    };
    res.map_err(|e| {
        Diagnostic::error(
            format!("Could not decode {what}"),
            format!("Terraform sent a value this provider cannot read ({e}). This is a bug in the provider or a Terraform version mismatch."),
        )
        .into()
    })
}

pub fn encode_dv(v: &Value, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: msgpack::encode(v, ty),
        json: Vec::new(),
    }
}

/// Unknown values are never valid in applied state: anything the resource
/// left unknown becomes null.
fn resolve_unknowns(v: Value) -> Value {
    match v {
        Value::Unknown => Value::Null,
        Value::List(e) => Value::List(e.into_iter().map(resolve_unknowns).collect()),
        Value::Set(e) => Value::set(e.into_iter().map(resolve_unknowns).collect()),
        Value::Tuple(e) => Value::Tuple(e.into_iter().map(resolve_unknowns).collect()),
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, x)| (k, resolve_unknowns(x)))
                .collect(),
        ),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, x)| (k, resolve_unknowns(x)))
                .collect(),
        ),
        Value::Dynamic(t, x) => Value::Dynamic(t, Box::new(resolve_unknowns(*x))),
        other => other,
    }
}

macro_rules! try_diags {
    ($e:expr, $resp:expr) => {
        match $e {
            Ok(v) => v,
            Err(d) => return Ok(Response::new($resp(d))),
        }
    };
}

#[tonic::async_trait]
impl ProviderService for ProviderServer {
    async fn get_metadata(
        &self,
        _req: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(Self::capabilities()),
            diagnostics: vec![],
            data_sources: self
                .data_sources
                .keys()
                .map(|k| pb::get_metadata::DataSourceMetadata {
                    type_name: k.clone(),
                })
                .collect(),
            resources: self
                .resources
                .keys()
                .map(|k| pb::get_metadata::ResourceMetadata {
                    type_name: k.clone(),
                })
                .collect(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _req: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        debug!("GetProviderSchema");
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(self.provider_schema.to_proto()),
            resource_schemas: self
                .resources
                .iter()
                .map(|(k, (_, s))| (k.clone(), s.to_proto()))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(k, (_, s))| (k.clone(), s.to_proto()))
                .collect(),
            diagnostics: vec![],
            provider_meta: None,
            server_capabilities: Some(Self::capabilities()),
        }))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let resp = |d: Diagnostics| pb::validate_provider_config::Response {
            diagnostics: d.to_proto(),
        };
        let req = req.into_inner();
        capture("validate_provider_config", None, &req);
        let config = try_diags!(
            decode_dv(
                req.config.as_ref(),
                &self.provider_schema.ty(),
                "provider configuration"
            ),
            resp
        );
        Ok(Response::new(resp(self.provider.validate(&config))))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let resp = |d: Diagnostics| pb::validate_resource_config::Response {
            diagnostics: d.to_proto(),
        };
        let req = req.into_inner();
        capture("validate_resource_config", Some(&req.type_name), &req);
        let (r, schema) = try_diags!(self.resource(&req.type_name), resp);
        let config = try_diags!(
            decode_dv(req.config.as_ref(), &schema.ty(), "resource configuration"),
            resp
        );
        Ok(Response::new(resp(r.validate(&config))))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let resp = |d: Diagnostics| pb::validate_data_resource_config::Response {
            diagnostics: d.to_proto(),
        };
        let req = req.into_inner();
        capture("validate_data_resource_config", Some(&req.type_name), &req);
        let (d, schema) = try_diags!(self.data_source(&req.type_name), resp);
        let config = try_diags!(
            decode_dv(
                req.config.as_ref(),
                &schema.ty(),
                "data source configuration"
            ),
            resp
        );
        Ok(Response::new(resp(d.validate(&config))))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let resp = |d: Diagnostics| pb::upgrade_resource_state::Response {
            upgraded_state: None,
            diagnostics: d.to_proto(),
        };
        let req = req.into_inner();
        capture("upgrade_resource_state", Some(&req.type_name), &req);
        let (r, schema) = try_diags!(self.resource(&req.type_name), resp);
        let ty = schema.ty();
        let raw = req.raw_state.unwrap_or_default();
        if raw.json.is_empty() {
            let d = if raw.flatmap.is_empty() {
                Diagnostics::new()
            } else {
                Diagnostic::error(
                    "Unsupported state format",
                    "This state was written in the pre-0.12 flatmap format, which this provider never wrote.",
                )
                .into()
            };
            return Ok(Response::new(pb::upgrade_resource_state::Response {
                upgraded_state: Some(encode_dv(&Value::Null, &ty)),
                diagnostics: d.to_proto(),
            }));
        }
        let state = try_diags!(
            json::decode(&raw.json, &ty).map_err(|e| Diagnostics::from(Diagnostic::error(
                "Could not read stored state",
                format!(
                    "The stored state of this {} does not match its schema: {e}",
                    req.type_name
                )
            ))),
            resp
        );
        let state = if req.version < schema.version {
            match r.upgrader() {
                Some(u) => try_diags!(u.upgrade(req.version, state), resp),
                None => state,
            }
        } else if req.version > schema.version {
            return Ok(Response::new(resp(
                Diagnostic::error(
                    "State written by a newer provider",
                    format!(
                        "The state of this {} has schema version {}, newer than this provider's {}. Upgrade the provider.",
                        req.type_name, req.version, schema.version
                    ),
                )
                .into(),
            )));
        } else {
            state
        };
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state: Some(encode_dv(&state, &ty)),
            diagnostics: vec![],
        }))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let resp = |d: Diagnostics| pb::configure_provider::Response {
            diagnostics: d.to_proto(),
        };
        let req = req.into_inner();
        capture("configure_provider", None, &req);
        let config = try_diags!(
            decode_dv(
                req.config.as_ref(),
                &self.provider_schema.ty(),
                "provider configuration"
            ),
            resp
        );
        debug!("ConfigureProvider", "terraform_version" => req.terraform_version);
        let diags = self
            .provider
            .configure(&self.ctx(), &config, &req.terraform_version)
            .await;
        Ok(Response::new(resp(diags)))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let req = req.into_inner();
        capture("read_resource", Some(&req.type_name), &req);
        let private = req.private.clone();
        let resp = |d: Diagnostics| pb::read_resource::Response {
            new_state: None,
            diagnostics: d.to_proto(),
            private: vec![],
        };
        let (r, schema) = try_diags!(self.resource(&req.type_name), resp);
        let ty = schema.ty();
        let current = try_diags!(
            decode_dv(req.current_state.as_ref(), &ty, "current state"),
            resp
        );
        if current.is_null() {
            return Ok(Response::new(pb::read_resource::Response {
                new_state: Some(encode_dv(&Value::Null, &ty)),
                diagnostics: vec![],
                private,
            }));
        }
        debug!("ReadResource", "type" => req.type_name);
        let (state, diags) = match r.read_with_warnings(&self.ctx(), &current).await {
            Ok((v, warnings)) => (resolve_unknowns(v), warnings),
            // Keep what we had: a failed refresh must not lose the resource.
            Err(d) => (current, d),
        };
        Ok(Response::new(pb::read_resource::Response {
            new_state: Some(encode_dv(&state, &ty)),
            diagnostics: diags.to_proto(),
            private,
        }))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let req = req.into_inner();
        capture("plan_resource_change", Some(&req.type_name), &req);
        let resp = |d: Diagnostics| pb::plan_resource_change::Response {
            planned_state: None,
            requires_replace: vec![],
            planned_private: vec![],
            diagnostics: d.to_proto(),
            legacy_type_system: false,
        };
        let (r, schema) = try_diags!(self.resource(&req.type_name), resp);
        let ty = schema.ty();
        let prior = try_diags!(
            decode_dv(req.prior_state.as_ref(), &ty, "prior state"),
            resp
        );
        let proposed = try_diags!(
            decode_dv(req.proposed_new_state.as_ref(), &ty, "proposed new state"),
            resp
        );
        let config = try_diags!(decode_dv(req.config.as_ref(), &ty, "configuration"), resp);
        let mut diags = Diagnostics::new();
        let mut requires_replace = Vec::new();
        let planned = if proposed.is_null() {
            Value::Null
        } else {
            let mut planned = plan::initial_plan(schema, &prior, &proposed, &config);
            r.modify_plan(
                &self.ctx(),
                PlanRequest {
                    prior: &prior,
                    config: &config,
                },
                &mut planned,
                &mut diags,
            )
            .await;
            let paths = plan::replace_paths(schema, &prior, &planned);
            requires_replace = r.replace_paths(paths, &prior, &planned);
            planned
        };
        debug!("PlanResourceChange", "type" => req.type_name, "replace" => requires_replace.len());
        Ok(Response::new(pb::plan_resource_change::Response {
            planned_state: Some(encode_dv(&planned, &ty)),
            requires_replace: requires_replace.iter().map(AttrPath::to_proto).collect(),
            planned_private: req.prior_private,
            diagnostics: diags.to_proto(),
            legacy_type_system: false,
        }))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let req = req.into_inner();
        capture("apply_resource_change", Some(&req.type_name), &req);
        let resp = |d: Diagnostics| pb::apply_resource_change::Response {
            new_state: None,
            private: vec![],
            diagnostics: d.to_proto(),
            legacy_type_system: false,
        };
        let (r, schema) = try_diags!(self.resource(&req.type_name), resp);
        let ty = schema.ty();
        let prior = try_diags!(
            decode_dv(req.prior_state.as_ref(), &ty, "prior state"),
            resp
        );
        let planned = try_diags!(
            decode_dv(req.planned_state.as_ref(), &ty, "planned state"),
            resp
        );
        let config = try_diags!(decode_dv(req.config.as_ref(), &ty, "configuration"), resp);
        let ctx = self.ctx();
        let (state, diags) = if planned.is_null() {
            debug!("ApplyResourceChange: delete", "type" => req.type_name);
            let d = r.delete(&ctx, &prior).await;
            // A failed delete keeps the resource in state.
            (if d.has_errors() { prior } else { Value::Null }, d)
        } else if prior.is_null() {
            debug!("ApplyResourceChange: create", "type" => req.type_name);
            let res = r.create(&ctx, &planned, &config).await;
            (resolve_unknowns(res.state), res.diags)
        } else {
            debug!("ApplyResourceChange: update", "type" => req.type_name);
            let res = r.update(&ctx, &prior, &planned, &config).await;
            (resolve_unknowns(res.state), res.diags)
        };
        if diags.has_errors() {
            warn!("apply finished with errors", "type" => req.type_name, "errors" => diags);
        }
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state: Some(encode_dv(&state, &ty)),
            private: req.planned_private,
            diagnostics: diags.to_proto(),
            legacy_type_system: false,
        }))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let req = req.into_inner();
        capture("import_resource_state", Some(&req.type_name), &req);
        let resp = |d: Diagnostics| pb::import_resource_state::Response {
            imported_resources: vec![],
            diagnostics: d.to_proto(),
        };
        let (r, schema) = try_diags!(self.resource(&req.type_name), resp);
        let Some(importer) = r.importer() else {
            return Ok(Response::new(resp(
                Diagnostic::error(
                    "Import not supported",
                    format!("{} cannot be imported.", req.type_name),
                )
                .into(),
            )));
        };
        let state = try_diags!(importer.import(&self.ctx(), &req.id).await, resp);
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources: vec![pb::import_resource_state::ImportedResource {
                type_name: req.type_name.clone(),
                state: Some(encode_dv(&resolve_unknowns(state), &schema.ty())),
                private: vec![],
            }],
            diagnostics: vec![],
        }))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let req = req.into_inner();
        capture("read_data_source", Some(&req.type_name), &req);
        let resp = |d: Diagnostics| pb::read_data_source::Response {
            state: None,
            diagnostics: d.to_proto(),
        };
        let (d, schema) = try_diags!(self.data_source(&req.type_name), resp);
        let ty = schema.ty();
        let config = try_diags!(
            decode_dv(req.config.as_ref(), &ty, "data source configuration"),
            resp
        );
        let state = try_diags!(d.read(&self.ctx(), &config).await, resp);
        Ok(Response::new(pb::read_data_source::Response {
            state: Some(encode_dv(&resolve_unknowns(state), &ty)),
            diagnostics: vec![],
        }))
    }

    async fn stop_provider(
        &self,
        _req: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        // In-flight work ends with what it has made; the server still answers.
        self.cancel.cancel();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}
