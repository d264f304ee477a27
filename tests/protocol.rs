//! Protocol tests: a real tfplugin6 gRPC client talks to the provider server
//! in this process over loopback. A small in-memory test resource exercises
//! every value type and plan rule; the real provider's schema, validation and
//! plan logic are checked without AWS.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use terraform_provider_emr::proto::tfplugin6 as pb;
use terraform_provider_emr::proto::tfplugin6::provider_client::ProviderClient;
use terraform_provider_emr::proto::tfplugin6::provider_server::ProviderServer as ProviderGrpc;
use terraform_provider_emr::provider::EmrProvider;
use terraform_provider_emr::tfplugin::server::ProviderServer;
use terraform_provider_emr::tfplugin::{
    msgpack, ApplyResult, AttrPath, Attribute, Block, Ctx, DataSource, Diagnostics, Import,
    NestedBlock, Number, Provider, Resource, Schema, Type, Value,
};
use tonic::transport::{Channel, Server};

// ---------- an in-memory provider covering every type ----------

fn thing_schema() -> Schema {
    Schema::new(
        Block::new()
            .attr(Attribute::computed("id", Type::String).keep_state())
            .attr(Attribute::required("name", Type::String).replace())
            .attr(Attribute::optional("count", Type::Number))
            .attr(Attribute::optional("flag", Type::Bool).default(Value::Bool(false)))
            .attr(Attribute::optional("tags", Type::map(Type::String)))
            .attr(Attribute::optional("list", Type::list(Type::String)))
            .attr(Attribute::optional("set", Type::set(Type::String)))
            .attr(Attribute::optional(
                "obj",
                Type::object([("a", Type::String), ("b", Type::Number)]),
            ))
            .attr(Attribute::optional(
                "tup",
                Type::Tuple(vec![Type::String, Type::Bool]),
            ))
            .attr(Attribute::optional("dyn", Type::Dynamic))
            .attr(Attribute::optional("secret", Type::String).sensitive())
            .attr(Attribute::computed("derived", Type::String))
            .block(NestedBlock::list(
                "item",
                Block::new().attr(Attribute::optional("v", Type::String)),
            ))
            .block(NestedBlock::set(
                "member",
                Block::new().attr(Attribute::required("k", Type::String)),
            ))
            .block(NestedBlock::single(
                "single",
                Block::new()
                    .attr(Attribute::optional("s", Type::String))
                    .attr(Attribute::optional("t", Type::Bool).default(Value::Bool(true))),
            )),
    )
    .version(1)
}

#[derive(Default)]
struct Thing {
    store: Mutex<HashMap<String, Value>>,
}

#[async_trait]
impl Resource for Thing {
    fn type_name(&self) -> &'static str {
        "test_thing"
    }
    fn schema(&self) -> Schema {
        thing_schema()
    }
    async fn create(&self, _ctx: &Ctx, planned: &Value, _config: &Value) -> ApplyResult {
        let mut st = planned.clone();
        let name = planned.str_attr("name").unwrap_or_default().to_string();
        st.set_attr("id", Value::string(format!("id-{name}")));
        st.set_attr("derived", Value::string(name.to_uppercase()));
        self.store
            .lock()
            .unwrap()
            .insert(format!("id-{name}"), st.clone());
        ApplyResult::ok(st)
    }
    async fn read(&self, _ctx: &Ctx, current: &Value) -> Result<Value, Diagnostics> {
        let id = current.str_attr("id").unwrap_or_default();
        Ok(self
            .store
            .lock()
            .unwrap()
            .get(id)
            .cloned()
            .unwrap_or(Value::Null))
    }
    async fn update(
        &self,
        _ctx: &Ctx,
        _prior: &Value,
        planned: &Value,
        _config: &Value,
    ) -> ApplyResult {
        let mut st = planned.clone();
        st.set_attr(
            "derived",
            Value::string(format!(
                "updated-{}",
                planned.str_attr("name").unwrap_or_default()
            )),
        );
        self.store.lock().unwrap().insert(
            st.str_attr("id").unwrap_or_default().to_string(),
            st.clone(),
        );
        ApplyResult::ok(st)
    }
    async fn delete(&self, _ctx: &Ctx, prior: &Value) -> Diagnostics {
        self.store
            .lock()
            .unwrap()
            .remove(prior.str_attr("id").unwrap_or_default());
        Diagnostics::new()
    }
    fn importer(&self) -> Option<&dyn Import> {
        Some(self)
    }
}

#[async_trait]
impl Import for Thing {
    async fn import(&self, _ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        let mut v = thing_schema().block.empty_value();
        v.set_attr("id", Value::string(id));
        Ok(v)
    }
}

struct TestProvider {
    thing: Arc<Thing>,
}

#[async_trait]
impl Provider for TestProvider {
    fn type_name(&self) -> &'static str {
        "test"
    }
    fn schema(&self) -> Schema {
        Schema::new(Block::new().attr(Attribute::optional("endpoint", Type::String)))
    }
    async fn configure(&self, _ctx: &Ctx, _config: &Value, _v: &str) -> Diagnostics {
        Diagnostics::new()
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![self.thing.clone()]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![]
    }
}

async fn connect(provider: Arc<dyn Provider>) -> ProviderClient<Channel> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let svc = ProviderGrpc::new(ProviderServer::new(provider));
    tokio::spawn(
        Server::builder()
            .add_service(svc)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    ProviderClient::connect(format!("http://{addr}"))
        .await
        .unwrap()
}

fn dv(v: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: msgpack::encode(v, ty),
        json: vec![],
    })
}

fn undv(d: Option<pb::DynamicValue>, ty: &Type) -> Value {
    msgpack::decode(&d.expect("a value").msgpack, ty).expect("decodes")
}

fn errors(d: &[pb::Diagnostic]) -> Vec<String> {
    d.iter()
        .filter(|x| x.severity == pb::diagnostic::Severity::Error as i32)
        .map(|x| format!("{}: {}", x.summary, x.detail))
        .collect()
}

fn path_of(d: &pb::Diagnostic) -> String {
    d.attribute
        .as_ref()
        .map(|p| AttrPath::from_proto(p).to_string())
        .unwrap_or_default()
}

fn thing_config(name: Value) -> Value {
    let mut v = thing_schema().block.empty_value();
    v.set_attr("name", name);
    v
}

async fn plan(
    c: &mut ProviderClient<Channel>,
    prior: &Value,
    config: &Value,
    proposed: &Value,
) -> pb::plan_resource_change::Response {
    let ty = thing_schema().ty();
    c.plan_resource_change(pb::plan_resource_change::Request {
        type_name: "test_thing".into(),
        prior_state: dv(prior, &ty),
        proposed_new_state: dv(proposed, &ty),
        config: dv(config, &ty),
        prior_private: vec![],
        provider_meta: None,
    })
    .await
    .unwrap()
    .into_inner()
}

async fn apply(
    c: &mut ProviderClient<Channel>,
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> pb::apply_resource_change::Response {
    let ty = thing_schema().ty();
    c.apply_resource_change(pb::apply_resource_change::Request {
        type_name: "test_thing".into(),
        prior_state: dv(prior, &ty),
        planned_state: dv(planned, &ty),
        config: dv(config, &ty),
        planned_private: vec![],
        provider_meta: None,
    })
    .await
    .unwrap()
    .into_inner()
}

fn test_client_provider() -> Arc<TestProvider> {
    Arc::new(TestProvider {
        thing: Arc::new(Thing::default()),
    })
}

// ---------- tests ----------

#[tokio::test]
async fn schema_lists_resources_with_types_and_flags() {
    let mut c = connect(Arc::new(EmrProvider::new())).await;
    let s = c
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(s.diagnostics.is_empty());
    let prov = s.provider.unwrap().block.unwrap();
    let names: Vec<_> = prov.attributes.iter().map(|a| a.name.as_str()).collect();
    for want in [
        "region",
        "profile",
        "default_tags",
        "metadata_prefix",
        "max_retries",
    ] {
        assert!(
            names.contains(&want),
            "provider attribute {want} missing: {names:?}"
        );
    }
    let blocks: Vec<_> = prov
        .block_types
        .iter()
        .map(|b| b.type_name.as_str())
        .collect();
    assert_eq!(blocks, ["assume_role", "endpoints"]);
    let ext = prov.block_types[0]
        .block
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .find(|a| a.name == "external_id")
        .unwrap();
    assert!(ext.sensitive, "assume_role.external_id must be sensitive");

    let sc = s
        .resource_schemas
        .get("emr_security_configuration")
        .expect("resource schema")
        .block
        .as_ref()
        .unwrap();
    let attr = |n: &str| {
        sc.attributes
            .iter()
            .find(|a| a.name == n)
            .unwrap_or_else(|| panic!("attribute {n}"))
    };
    assert!(attr("configuration_json").optional && attr("configuration_json").computed);
    assert!(attr("external_id").computed && !attr("external_id").optional);
    assert_eq!(attr("name").r#type, br#""string""#);
    let rr = sc
        .block_types
        .iter()
        .find(|b| b.type_name == "runtime_roles")
        .unwrap();
    assert_eq!(
        rr.nesting,
        pb::schema::nested_block::NestingMode::Single as i32
    );

    let md = c
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    let mut names: Vec<_> = md.resources.iter().map(|r| r.type_name.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "emr_cluster_configuration",
            "emr_launch_function",
            "emr_launch_profile",
            "emr_runtime_role",
            "emr_security_configuration",
            "emr_serverless_application",
            "emr_serverless_dataplane",
            "emr_serverless_job_function"
        ]
    );
    let ds: Vec<_> = md
        .data_sources
        .iter()
        .map(|d| d.type_name.as_str())
        .collect();
    let mut ds = ds;
    ds.sort();
    assert_eq!(
        ds,
        [
            "emr_cluster_configuration",
            "emr_launch_function",
            "emr_launch_profile",
            "emr_serverless_job_function"
        ]
    );

    // The test provider: composite types in cty JSON syntax.
    let mut t = connect(test_client_provider()).await;
    let s = t
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let thing = s.resource_schemas.get("test_thing").unwrap();
    assert_eq!(thing.version, 1);
    let obj = thing
        .block
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .find(|a| a.name == "obj")
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&obj.r#type),
        r#"["object",{"a":"string","b":"number"}]"#
    );
}

/// The type and an all-null configuration of emr_security_configuration.
fn security_configuration_empty() -> (Type, Value) {
    let schema = terraform_provider_emr::resources::security_configuration::schema();
    (schema.ty(), schema.block.empty_value())
}

/// ValidateResourceConfig of an emr_security_configuration: its diagnostics.
async fn validate_security_configuration(
    c: &mut ProviderClient<Channel>,
    cfg: &Value,
) -> Vec<pb::Diagnostic> {
    let (ty, _) = security_configuration_empty();
    c.validate_resource_config(pb::validate_resource_config::Request {
        type_name: "emr_security_configuration".into(),
        config: dv(cfg, &ty),
    })
    .await
    .unwrap()
    .into_inner()
    .diagnostics
}

#[tokio::test]
async fn schema_is_optional_and_no_call_needs_it_first() {
    let mut c = connect(Arc::new(EmrProvider::new())).await;
    // The first call of this connection: no GetProviderSchema before it.
    let (_, mut cfg) = security_configuration_empty();
    cfg.set_attr("name", Value::string("rt"));
    cfg.set_attr(
        "runtime_roles",
        Value::object([
            ("propagate_source_identity", Value::Bool(true)),
            ("lake_formation_authorized_session_tag", Value::Null),
        ]),
    );
    let diagnostics = validate_security_configuration(&mut c, &cfg).await;
    assert_eq!(errors(&diagnostics), Vec::<String>::new());

    let meta = c
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    let schema = c
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    for caps in [meta.server_capabilities, schema.server_capabilities] {
        assert!(caps.is_some_and(|c| c.get_provider_schema_optional));
    }
}

#[tokio::test]
async fn validate_reports_attribute_paths() {
    let mut c = connect(Arc::new(EmrProvider::new())).await;
    let (ty, mut cfg) = security_configuration_empty();
    cfg.set_attr(
        "encryption",
        Value::object([
            (
                "at_rest_s3",
                Value::object([("mode", Value::string("AES")), ("kms_key_arn", Value::Null)]),
            ),
            ("at_rest_local_disk", Value::Null),
            ("in_transit", Value::Null),
        ]),
    );
    let r = pb::validate_resource_config::Response {
        diagnostics: validate_security_configuration(&mut c, &cfg).await,
    };
    assert_eq!(r.diagnostics.len(), 1, "{:?}", r.diagnostics);
    assert_eq!(path_of(&r.diagnostics[0]), "encryption.at_rest_s3.mode");
    assert!(r.diagnostics[0].detail.contains("SSE-S3, SSE-KMS, CSE-KMS"));

    // An unknown resource type is a diagnostic, not a transport error.
    let r = c
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "emr_nope".into(),
            config: dv(&cfg, &ty),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(errors(&r.diagnostics).len(), 1);

    // Garbage bytes are a diagnostic too.
    let r = c
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "emr_security_configuration".into(),
            config: Some(pb::DynamicValue {
                msgpack: vec![0xc1, 0x00],
                json: vec![],
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&r.diagnostics)[0].contains("Could not decode"));
}

#[tokio::test]
async fn unknown_provider_configuration_gives_a_diagnostic_with_its_path() {
    let mut c = connect(Arc::new(EmrProvider::new())).await;
    let ty = terraform_provider_emr::provider::provider_schema().ty();
    let mut cfg = terraform_provider_emr::provider::provider_schema()
        .block
        .empty_value();
    cfg.set_attr("region", Value::string("us-east-1"));
    cfg.set_attr(
        "assume_role",
        Value::object([
            ("role_arn", Value::Unknown),
            ("external_id", Value::Null),
            ("session_name", Value::Null),
            ("source_identity", Value::Null),
        ]),
    );
    cfg.set_attr(
        "default_tags",
        Value::Map(BTreeMap::from([("team".to_string(), Value::Unknown)])),
    );
    // Validation tolerates unknowns...
    let v = c
        .validate_provider_config(pb::validate_provider_config::Request {
            config: dv(&cfg, &ty),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(v.diagnostics.is_empty(), "{:?}", v.diagnostics);
    // ...configure explains which value it cannot work with.
    let r = c
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: dv(&cfg, &ty),
        })
        .await
        .unwrap()
        .into_inner();
    let paths: Vec<String> = r.diagnostics.iter().map(path_of).collect();
    assert_eq!(paths, ["assume_role.role_arn", "default_tags[\"team\"]"]);
    assert!(r.diagnostics[0].detail.contains("-target"));
    // A wholly unknown block as well.
    cfg.set_attr("endpoints", Value::Unknown);
    let r = c
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.0.3".into(),
            config: dv(&cfg, &ty),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.iter().any(|d| path_of(d) == "endpoints"));
}

/// Unknowns in every position of the configuration survive planning intact,
/// and computed values are unknown only when something changes.
#[tokio::test]
async fn plan_with_unknowns_in_every_position() {
    let mut c = connect(test_client_provider()).await;
    let ty = thing_schema().ty();
    let positions: Vec<(&str, Value)> = vec![
        ("count", Value::Unknown),
        ("flag", Value::Unknown),
        ("tags", Value::Unknown),
        (
            "tags",
            Value::Map(BTreeMap::from([
                ("a".into(), Value::Unknown),
                ("b".into(), Value::string("x")),
            ])),
        ),
        (
            "list",
            Value::List(vec![Value::string("a"), Value::Unknown]),
        ),
        ("set", Value::set(vec![Value::string("a"), Value::Unknown])),
        (
            "obj",
            Value::object([("a", Value::Unknown), ("b", Value::number(2))]),
        ),
        ("obj", Value::Unknown),
        ("tup", Value::Tuple(vec![Value::Unknown, Value::Bool(true)])),
        ("dyn", Value::Unknown),
        (
            "dyn",
            Value::Dynamic(
                Type::list(Type::String),
                Box::new(Value::List(vec![Value::Unknown])),
            ),
        ),
        ("secret", Value::Unknown),
        (
            "item",
            Value::List(vec![Value::object([("v", Value::Unknown)])]),
        ),
        (
            "member",
            Value::set(vec![Value::object([("k", Value::Unknown)])]),
        ),
        (
            "single",
            Value::object([("s", Value::Unknown), ("t", Value::Null)]),
        ),
    ];
    for (attr, v) in positions {
        let mut cfg = thing_config(Value::string("n"));
        cfg.set_attr(attr, v.clone());
        let r = plan(&mut c, &Value::Null, &cfg, &cfg).await;
        assert!(r.diagnostics.is_empty(), "{attr}: {:?}", r.diagnostics);
        let planned = undv(r.planned_state, &ty);
        match attr {
            // defaults fill nulls inside, unknowns stay
            "single" => assert_eq!(
                planned.get("single"),
                &Value::object([("s", Value::Unknown), ("t", Value::Bool(true))])
            ),
            _ => assert_eq!(planned.get(attr), &v, "{attr}"),
        }
        assert_eq!(planned.get("id"), &Value::Unknown);
        assert_eq!(planned.get("derived"), &Value::Unknown);
        if attr != "flag" {
            assert_eq!(planned.get("flag"), &Value::Bool(false), "default applied");
        }
    }
    // The required name itself unknown.
    let cfg = thing_config(Value::Unknown);
    let r = plan(&mut c, &Value::Null, &cfg, &cfg).await;
    assert!(r.diagnostics.is_empty());
    assert_eq!(undv(r.planned_state, &ty).get("name"), &Value::Unknown);
    // The whole config unknown: Terraform never sends that for a resource,
    // but it must not crash the provider.
    let r = plan(&mut c, &Value::Null, &Value::Unknown, &Value::Unknown).await;
    let _ = r.planned_state;
}

#[tokio::test]
async fn apply_update_replace_and_delete_round_trip() {
    let mut c = connect(test_client_provider()).await;
    let ty = thing_schema().ty();
    let mut cfg = thing_config(Value::string("n"));
    cfg.set_attr(
        "count",
        Value::Number(Number::parse("12345678901234567890.125").unwrap()),
    );
    cfg.set_attr("secret", Value::string("s3cr3t"));
    let planned = undv(
        plan(&mut c, &Value::Null, &cfg, &cfg).await.planned_state,
        &ty,
    );
    let created = apply(&mut c, &Value::Null, &planned, &cfg).await;
    assert!(created.diagnostics.is_empty());
    let state = undv(created.new_state, &ty);
    assert_eq!(state.str_attr("id"), Some("id-n"));
    assert_eq!(state.str_attr("derived"), Some("N"));
    assert_eq!(
        state.get("count"),
        cfg.get("count"),
        "arbitrary precision survives the wire"
    );
    assert!(state.is_wholly_known());

    // No change: plan equals state exactly, nothing is unknown.
    let mut proposed = state.clone();
    proposed.set_attr("flag", Value::Bool(false));
    let r = plan(&mut c, &state, &cfg, &state).await;
    assert_eq!(undv(r.planned_state, &ty), state);
    assert!(r.requires_replace.is_empty());

    // In-place change: derived becomes unknown, id keeps its value.
    let mut cfg2 = cfg.clone();
    cfg2.set_attr("count", Value::number(3));
    let mut proposed = state.clone();
    proposed.set_attr("count", Value::number(3));
    let r = plan(&mut c, &state, &cfg2, &proposed).await;
    let planned = undv(r.planned_state, &ty);
    assert!(r.requires_replace.is_empty());
    assert_eq!(planned.str_attr("id"), Some("id-n"));
    assert_eq!(planned.get("derived"), &Value::Unknown);
    let updated = undv(apply(&mut c, &state, &planned, &cfg2).await.new_state, &ty);
    assert_eq!(updated.str_attr("derived"), Some("updated-n"));

    // Changing a requires-replace attribute names its path.
    let mut cfg3 = cfg2.clone();
    cfg3.set_attr("name", Value::string("m"));
    let mut proposed = updated.clone();
    proposed.set_attr("name", Value::string("m"));
    let r = plan(&mut c, &updated, &cfg3, &proposed).await;
    let paths: Vec<String> = r
        .requires_replace
        .iter()
        .map(|p| AttrPath::from_proto(p).to_string())
        .collect();
    assert_eq!(paths, ["name"]);

    // Delete.
    let del = apply(&mut c, &updated, &Value::Null, &Value::Null).await;
    assert!(del.diagnostics.is_empty());
    assert_eq!(undv(del.new_state, &ty), Value::Null);
    let read = c
        .read_resource(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: dv(&updated, &ty),
            private: vec![],
            provider_meta: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        undv(read.new_state, &ty),
        Value::Null,
        "gone after delete: Terraform plans a create"
    );
}

#[tokio::test]
async fn upgrade_state_drops_attributes_the_schema_no_longer_has() {
    let mut c = connect(test_client_provider()).await;
    let ty = thing_schema().ty();
    let raw = br#"{"id":"id-x","name":"x","old_attribute":"gone","count":1.5,"tags":{"a":"b"},"item":[{"v":"1","old":true}],"member":[],"single":null,"dyn":{"value":["a"],"type":["list","string"]}}"#;
    let r = c
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "test_thing".into(),
            version: 1,
            raw_state: Some(pb::RawState {
                json: raw.to_vec(),
                flatmap: HashMap::new(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let v = undv(r.upgraded_state, &ty);
    assert_eq!(v.str_attr("name"), Some("x"));
    assert_eq!(
        v.get("count"),
        &Value::Number(Number::parse("1.5").unwrap())
    );
    assert_eq!(
        v.get("item"),
        &Value::List(vec![Value::object([("v", Value::string("1"))])])
    );
    assert_eq!(
        v.get("dyn"),
        &Value::Dynamic(
            Type::list(Type::String),
            Box::new(Value::List(vec![Value::string("a")]))
        )
    );
    assert_eq!(v.get("flag"), &Value::Null);

    // A state from a newer provider is refused with a clear message.
    let r = c
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "test_thing".into(),
            version: 7,
            raw_state: Some(pb::RawState {
                json: raw.to_vec(),
                flatmap: HashMap::new(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&r.diagnostics)[0].contains("newer"));
}

#[tokio::test]
async fn import_returns_a_state_for_read() {
    let mut c = connect(test_client_provider()).await;
    let r = c
        .import_resource_state(pb::import_resource_state::Request {
            type_name: "test_thing".into(),
            id: "id-abc".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.imported_resources.len(), 1);
    let st = undv(r.imported_resources[0].state.clone(), &thing_schema().ty());
    assert_eq!(st.str_attr("id"), Some("id-abc"));
    assert_eq!(r.imported_resources[0].type_name, "test_thing");
}

/// The security configuration's document is known at plan from the blocks,
/// unknown when a block value is, and replacement names the block attribute.
#[tokio::test]
async fn security_configuration_plan() {
    use terraform_provider_emr::resources::security_configuration::schema;
    let mut c = connect(Arc::new(EmrProvider::new())).await;
    let ty = schema().ty();
    let plan_sc = |prior: Value, cfg: Value, proposed: Value| {
        let ty = ty.clone();
        pb::plan_resource_change::Request {
            type_name: "emr_security_configuration".into(),
            prior_state: dv(&prior, &ty),
            proposed_new_state: dv(&proposed, &ty),
            config: dv(&cfg, &ty),
            prior_private: vec![],
            provider_meta: None,
        }
    };
    let rr = |p: Value| {
        Value::object([
            ("propagate_source_identity", p),
            ("lake_formation_authorized_session_tag", Value::Null),
        ])
    };
    let mut cfg = schema().block.empty_value();
    cfg.set_attr("name", Value::string("rt"));
    cfg.set_attr("runtime_roles", rr(Value::Bool(true)));
    let r = c
        .plan_resource_change(plan_sc(Value::Null, cfg.clone(), cfg.clone()))
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let planned = undv(r.planned_state, &ty);
    assert_eq!(
        planned.str_attr("configuration_json"),
        Some(
            r#"{"AuthorizationConfiguration":{"IAMConfiguration":{"ApplicationScopedIAMRoleConfiguration":{"PropagateSourceIdentity":true},"EnableApplicationScopedIAMRole":true}}}"#
        )
    );
    assert_eq!(planned.str_attr("id"), Some("rt"), "id known at plan");
    assert_eq!(planned.get("external_id"), &Value::Unknown);

    // Unknown inside the block → unknown document, no error.
    let mut cfg_u = cfg.clone();
    cfg_u.set_attr("runtime_roles", rr(Value::Unknown));
    let r = c
        .plan_resource_change(plan_sc(Value::Null, cfg_u.clone(), cfg_u))
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty());
    assert_eq!(
        undv(r.planned_state, &ty).get("configuration_json"),
        &Value::Unknown
    );

    // From a recorded state, flipping the flag replaces and says why.
    let mut state = planned.clone();
    state.set_attr("external_id", Value::string(""));
    state.set_attr("creation_date", Value::string("2026-11-23T00:00:00Z"));
    let mut cfg2 = cfg.clone();
    cfg2.set_attr("runtime_roles", rr(Value::Bool(false)));
    let mut proposed = state.clone();
    proposed.set_attr("runtime_roles", rr(Value::Bool(false)));
    let r = c
        .plan_resource_change(plan_sc(state.clone(), cfg2, proposed))
        .await
        .unwrap()
        .into_inner();
    let mut paths: Vec<String> = r
        .requires_replace
        .iter()
        .map(|p| AttrPath::from_proto(p).to_string())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "configuration_json",
            "runtime_roles.propagate_source_identity"
        ]
    );

    // The same document written differently is no change at all.
    let mut cfg3 = schema().block.empty_value();
    cfg3.set_attr("name", Value::string("rt"));
    cfg3.set_attr(
        "configuration_json",
        Value::string(r#"{ "AuthorizationConfiguration": { "IAMConfiguration": { "EnableApplicationScopedIAMRole": true, "ApplicationScopedIAMRoleConfiguration": {"PropagateSourceIdentity": true} } } }"#),
    );
    let mut state_json = state.clone();
    state_json.set_attr("runtime_roles", Value::Null);
    let mut proposed = state_json.clone();
    proposed.set_attr("configuration_json", cfg3.get("configuration_json").clone());
    let r = c
        .plan_resource_change(plan_sc(state_json.clone(), cfg3, proposed))
        .await
        .unwrap()
        .into_inner();
    assert!(r.requires_replace.is_empty());
    assert_eq!(undv(r.planned_state, &ty), state_json);
}
