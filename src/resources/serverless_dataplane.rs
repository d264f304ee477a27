//! emr_serverless_dataplane (seed 003): what a control plane needs to run
//! EMR Serverless jobs in a data plane — the job runtime role, the launch
//! permissions (a cross-account launch role in private mode, an inline policy
//! on an existing role in shared mode), checked networking, and the control
//! plane metadata message. Every policy is narrower than seed 003's examples:
//! no `*` resource where the seed had one.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{json, Map, Value as J};

use crate::aws::managed_role::{self, DesiredRole, ObservedRole, RoleGrant};
use crate::configured::{Configured, ProviderData};
use crate::iam::{PolicyDocument, Principal, Statement};
use crate::resources::{
    derived_name, env_of, merged_tags, random_external_id, strings, tags_map, Env,
};
use crate::tfplugin::{
    ApplyResult, AttrPath, Attribute, Block, Ctx, Diagnostic, Diagnostics, Import, NestedBlock,
    PlanRequest, Resource, Schema, Type, Value,
};
use crate::validate;

const TYPE_NAME: &str = "emr_serverless_dataplane";
pub const JOB_RUNTIME_POLICY: &str = "emr-serverless-job-runtime";
pub const LAUNCH_POLICY: &str = "emr-serverless-launch";
const SERVERLESS: &str = "emr-serverless.amazonaws.com";
const SERVERLESS_OPS: &str = "ops.emr-serverless.amazonaws.com";
const ROLE_DESCRIPTION: &str =
    "EMR Serverless data plane role managed by Terraform (emrlaunch/emr)";

pub struct ServerlessDataplane {
    data: Arc<ProviderData>,
}

impl ServerlessDataplane {
    pub fn new(data: Arc<ProviderData>) -> Self {
        ServerlessDataplane { data }
    }
}

pub fn schema() -> Schema {
    let set = || Type::set(Type::String);
    let cp = Block::new()
        .desc("Private mode: who launches jobs from the control plane account.")
        .attr(
            Attribute::required("principal_arn", Type::String)
                .desc("IAM principal of the control plane allowed to assume the launch role."),
        )
        .attr(
            Attribute::optional("external_id", Type::String)
                .sensitive()
                .desc("External id the launch role requires; generated when absent."),
        );
    Schema::new(
        Block::new()
            .desc("An EMR Serverless data plane (seed 003): job runtime role, launch permissions, networking and control-plane metadata.")
            .attr(Attribute::computed("id", Type::String).keep_state().desc("The name."))
            .attr(Attribute::required("name", Type::String).replace().desc("Prefix of the role names."))
            .attr(Attribute::required("mode", Type::String).replace().desc("`shared` (grant an existing launch role) or `private` (create a cross-account launch role)."))
            .attr(Attribute::required("resource_bucket", Type::String).desc("Existing bucket for logs and staging."))
            .attr(Attribute::optional("resource_prefix", Type::String).desc("Prefix in the bucket (ending in `/`); the whole bucket when absent."))
            .attr(Attribute::required("subnet_ids", Type::list(Type::String)).desc("At least two subnets in distinct availability zones."))
            .attr(Attribute::required("security_group_ids", Type::list(Type::String)).desc("Security groups of the job network interfaces."))
            .attr(Attribute::optional("kms_key_arns", set()).desc("Exactly these KMS keys (never `key/*`)."))
            .attr(Attribute::optional("read_bucket_names", set()).desc("Extra buckets jobs may read."))
            .attr(Attribute::optional("assumable_role_arns", set()).desc("Roles jobs may assume (never `*`)."))
            .attr(Attribute::optional("shared_launch_role_name", Type::String).desc("Shared mode: the existing role that gets the launch permissions as an inline policy."))
            .attr(Attribute::optional("trusted_identity_propagation", Type::Bool).default(Value::Bool(false)).desc("Let the job runtime role's trust allow `sts:SetContext` (seed 004)."))
            .attr(Attribute::optional("permissions_boundary", Type::String).desc("Permissions boundary of the created roles."))
            .attr(Attribute::optional("tags", Type::map(Type::String)).desc("Tags of the created roles."))
            .attr(Attribute::computed("tags_all", Type::map(Type::String)).desc("Tags including the provider's `default_tags`."))
            .attr(Attribute::computed("region", Type::String).desc("The data plane's region."))
            .attr(Attribute::computed("job_runtime_role_arn", Type::String).keep_state().desc("The job runtime role."))
            .attr(Attribute::computed("job_runtime_trust_policy_json", Type::String).desc("Its trust policy."))
            .attr(Attribute::computed("job_runtime_policy_json", Type::String).desc("Its permissions."))
            .attr(Attribute::computed("launch_role_arn", Type::String).desc("The role the control plane launches with (created in private mode, the shared role in shared mode)."))
            .attr(Attribute::computed("launch_trust_policy_json", Type::String).desc("Private mode: the launch role's trust policy (`\"\"` in shared mode)."))
            .attr(Attribute::computed("launch_policy_json", Type::String).desc("The launch permissions."))
            .attr(Attribute::computed("external_id", Type::String).sensitive().keep_state().desc("Private mode: the external id the launch role requires (`\"\"` in shared mode)."))
            .attr(Attribute::computed("unmanaged_policies", Type::set(Type::String)).desc("Policies found on the created roles that this data plane did not write (`<role>/<policy name or ARN>`); apply removes them."))
            .attr(Attribute::computed("control_plane_metadata", Type::String).sensitive().desc("The control plane configuration message of seed 003 (sensitive: it carries the external id)."))
            .block(NestedBlock::single("control_plane", cp)),
    )
}

// ---------- policies (pure) ----------

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inputs {
    pub bucket: String,
    pub prefix: String,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub kms_key_arns: Vec<String>,
    pub read_bucket_names: Vec<String>,
    pub assumable_role_arns: Vec<String>,
    pub tip: bool,
}

fn s3_statements(
    env: &Env,
    sid: &str,
    bucket: &str,
    prefix: &str,
    actions: &[&str],
) -> Vec<Statement> {
    let p = &env.partition;
    let mut list = Statement::allow(["s3:ListBucket"])
        .sid(&format!("{sid}List"))
        .resource(format!("arn:{p}:s3:::{bucket}"));
    if !prefix.is_empty() {
        list = list.condition("StringLike", "s3:prefix", [format!("{prefix}*")]);
    }
    vec![
        Statement::allow(actions.iter().copied())
            .sid(sid)
            .resource(format!("arn:{p}:s3:::{bucket}/{prefix}*")),
        list,
    ]
}

pub fn job_runtime_trust(env: &Env, tip: bool) -> PolicyDocument {
    let mut actions = vec!["sts:AssumeRole"];
    if tip {
        actions.push("sts:SetContext");
    }
    PolicyDocument::new(vec![Statement::allow(actions)
        .sid("EmrServerlessAssume")
        .principal(Principal::service(SERVERLESS))
        .condition("StringEquals", "aws:SourceAccount", [env.account.clone()])
        .condition(
            "ArnLike",
            "aws:SourceArn",
            [format!(
                "arn:{}:emr-serverless:{}:{}:/applications/*",
                env.partition, env.region, env.account
            )],
        )])
}

fn kms_statement(keys: &[String]) -> Option<Statement> {
    (!keys.is_empty()).then(|| {
        Statement::allow(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"])
            .sid("KmsKeys")
            .resources(keys.iter().cloned())
    })
}

pub fn job_runtime_policy(env: &Env, i: &Inputs) -> PolicyDocument {
    let mut st = s3_statements(
        env,
        "ResourceBucket",
        &i.bucket,
        &i.prefix,
        &["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
    );
    for (n, b) in i.read_bucket_names.iter().enumerate() {
        st.extend(s3_statements(
            env,
            &format!("ReadBucket{n}"),
            b,
            "",
            &["s3:GetObject"],
        ));
    }
    st.extend(kms_statement(&i.kms_key_arns));
    if !i.assumable_role_arns.is_empty() {
        st.push(
            Statement::allow(["sts:AssumeRole"])
                .sid("AssumeCustomerRoles")
                .resources(i.assumable_role_arns.iter().cloned()),
        );
    }
    PolicyDocument::new(st)
}

pub fn launch_policy(env: &Env, i: &Inputs, job_role_arn: &str) -> PolicyDocument {
    let (p, r, a) = (&env.partition, &env.region, &env.account);
    let mut st = vec![
        Statement::allow(["emr-serverless:CreateApplication", "emr-serverless:ListApplications"])
            .sid("EmrServerlessCreateAndList")
            .resource(format!("arn:{p}:emr-serverless:{r}:{a}:/*")),
        Statement::allow([
            "emr-serverless:CancelJobRun",
            "emr-serverless:DeleteApplication",
            "emr-serverless:GetApplication",
            "emr-serverless:GetJobRun",
            "emr-serverless:ListJobRuns",
            "emr-serverless:StartApplication",
            "emr-serverless:StartJobRun",
            "emr-serverless:StopApplication",
            "emr-serverless:UpdateApplication",
        ])
        .sid("EmrServerlessApplications")
        .resources([format!("arn:{p}:emr-serverless:{r}:{a}:/applications/*")]),
        Statement::allow(["ec2:CreateNetworkInterface"])
            .sid("NetworkInterfacesViaEmrServerless")
            .resource(format!("arn:{p}:ec2:{r}:{a}:network-interface/*"))
            .resources(i.subnet_ids.iter().map(|s| format!("arn:{p}:ec2:{r}:{a}:subnet/{s}")))
            .resources(i.security_group_ids.iter().map(|s| format!("arn:{p}:ec2:{r}:{a}:security-group/{s}")))
            .condition("StringEquals", "aws:CalledViaLast", [SERVERLESS_OPS]),
        Statement::allow(["iam:CreateServiceLinkedRole"])
            .sid("EmrServerlessServiceLinkedRole")
            .resource(format!("arn:{p}:iam::{a}:role/aws-service-role/{SERVERLESS_OPS}/AWSServiceRoleForAmazonEMRServerless"))
            .condition("StringEquals", "iam:AWSServiceName", [SERVERLESS_OPS]),
        Statement::allow(["iam:PassRole"])
            .sid("PassJobRuntimeRole")
            .resource(job_role_arn)
            .condition("StringEquals", "iam:PassedToService", [SERVERLESS]),
    ];
    st.extend(s3_statements(
        env,
        "ResourceBucket",
        &i.bucket,
        &i.prefix,
        &["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
    ));
    st.extend(kms_statement(&i.kms_key_arns));
    PolicyDocument::new(st)
}

pub fn launch_trust(principal_arn: &str, external_id: &str) -> PolicyDocument {
    PolicyDocument::new(vec![Statement::allow(["sts:AssumeRole"])
        .sid("ControlPlaneAssume")
        .principal(Principal::aws(principal_arn))
        .condition("StringEquals", "sts:ExternalId", [external_id])])
}

/// Seed 003 "Control plane configuration", with exactly its keys.
pub fn control_plane_metadata(
    env: &Env,
    i: &Inputs,
    job_role_arn: &str,
    private: Option<(&str, &str)>,
) -> J {
    let mut m = Map::new();
    m.insert("resourceBucket".into(), J::String(i.bucket.clone()));
    m.insert("subnetIds".into(), json!(i.subnet_ids));
    m.insert("securityGroups".into(), json!(i.security_group_ids));
    m.insert("region".into(), J::String(env.region.clone()));
    m.insert("jobRuntimeRoleArn".into(), J::String(job_role_arn.into()));
    if let Some((launch, ext)) = private {
        m.insert("jobLaunchArn".into(), J::String(launch.into()));
        m.insert("externalId".into(), J::String(ext.into()));
    }
    J::Object(m)
}

/// (job runtime role, launch role) names.
pub fn role_names(name: &str) -> (String, String) {
    (
        derived_name(name, "emr-serverless", "-job-runtime", 64),
        derived_name(name, "emr-serverless", "-launch", 64),
    )
}

fn inputs_of(st: &Value) -> Option<Inputs> {
    let known = [
        "resource_bucket",
        "resource_prefix",
        "subnet_ids",
        "security_group_ids",
        "kms_key_arns",
        "read_bucket_names",
        "assumable_role_arns",
        "trusted_identity_propagation",
    ]
    .iter()
    .all(|k| st.get(k).is_wholly_known());
    known.then(|| Inputs {
        bucket: st
            .str_attr("resource_bucket")
            .unwrap_or_default()
            .to_string(),
        prefix: st
            .str_attr("resource_prefix")
            .unwrap_or_default()
            .to_string(),
        subnet_ids: strings(st.get("subnet_ids")).unwrap_or_default(),
        security_group_ids: strings(st.get("security_group_ids")).unwrap_or_default(),
        kms_key_arns: strings(st.get("kms_key_arns")).unwrap_or_default(),
        read_bucket_names: strings(st.get("read_bucket_names")).unwrap_or_default(),
        assumable_role_arns: strings(st.get("assumable_role_arns")).unwrap_or_default(),
        tip: st
            .get("trusted_identity_propagation")
            .as_bool()
            .unwrap_or(false),
    })
}

/// Fills the computed documents of a planned (or applied) state. The launch
/// role ARN in shared mode comes from `shared_role_arn`.
fn compute(env: &Env, st: &mut Value, shared_role_arn: Option<&str>) {
    let private = st.str_attr("mode") == Some("private");
    let (job_name, launch_name) = match st.str_attr("name") {
        Some(n) => {
            let (j, l) = role_names(n);
            (Some(j), Some(l))
        }
        None => (None, None),
    };
    let job_arn = job_name.map(|n| format!("arn:{}:iam::{}:role/{n}", env.partition, env.account));
    let launch_arn = if private {
        launch_name.map(|n| format!("arn:{}:iam::{}:role/{n}", env.partition, env.account))
    } else {
        shared_role_arn.map(str::to_string)
    };
    st.set_attr("region", Value::string(&env.region));
    st.set_attr(
        "job_runtime_role_arn",
        job_arn.clone().map(Value::String).unwrap_or(Value::Unknown),
    );
    st.set_attr(
        "launch_role_arn",
        launch_arn
            .clone()
            .map(Value::String)
            .unwrap_or(Value::Unknown),
    );
    let tip = st.get("trusted_identity_propagation");
    st.set_attr(
        "job_runtime_trust_policy_json",
        tip.as_bool()
            .map(|t| Value::String(job_runtime_trust(env, t).canonical()))
            .unwrap_or(Value::Unknown),
    );
    let inputs = inputs_of(st);
    st.set_attr(
        "job_runtime_policy_json",
        inputs
            .as_ref()
            .map(|i| Value::String(job_runtime_policy(env, i).canonical()))
            .unwrap_or(Value::Unknown),
    );
    st.set_attr(
        "launch_policy_json",
        match (&inputs, &job_arn) {
            (Some(i), Some(j)) => Value::String(launch_policy(env, i, j).canonical()),
            _ => Value::Unknown,
        },
    );
    // The external id: given, generated at create (kept in state), or "" in shared mode.
    let given = st.get("control_plane").get("external_id").clone();
    let ext: Value = if !private {
        Value::string("")
    } else if given.is_unknown() || !given.is_null() {
        given
    } else {
        st.get("external_id").clone()
    };
    st.set_attr("external_id", ext.clone());
    let principal = st.get("control_plane").get("principal_arn").clone();
    st.set_attr(
        "launch_trust_policy_json",
        if !private {
            Value::string("")
        } else {
            match (principal.as_str(), ext.as_str()) {
                (Some(p), Some(e)) => Value::String(launch_trust(p, e).canonical()),
                _ => Value::Unknown,
            }
        },
    );
    let md = match (&inputs, &job_arn, &launch_arn, ext.as_str()) {
        (Some(i), Some(j), Some(l), Some(e)) => Value::String(crate::canonical::text(
            &control_plane_metadata(env, i, j, private.then_some((l.as_str(), e))),
        )),
        (Some(i), Some(j), _, _) if !private => Value::String(crate::canonical::text(
            &control_plane_metadata(env, i, j, None),
        )),
        _ => Value::Unknown,
    };
    st.set_attr("control_plane_metadata", md);
}

// ---------- validation ----------

pub fn validate_config(cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let p = AttrPath::parse_dotted;
    if let Some(n) = cfg.str_attr("name") {
        if n.is_empty()
            || n.len() > 32
            || !n
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
        {
            d.attr_error(p("name"), "Invalid name", "name must be 1 to 32 characters of letters, digits and +=,.@_- (it prefixes role names).");
        }
    }
    let mode = cfg.str_attr("mode");
    if let Some(m) = mode {
        if m != "shared" && m != "private" {
            d.attr_error(
                p("mode"),
                "Invalid mode",
                format!("mode must be \"shared\" or \"private\", got {m:?}."),
            );
        }
    }
    let cp = cfg.get("control_plane");
    let shared_role = cfg.get("shared_launch_role_name");
    match mode {
        Some("private") => {
            if cp.is_null() {
                d.attr_error(p("control_plane"), "Missing control_plane", "private mode needs a control_plane block with the principal_arn that launches jobs.");
            }
            if !shared_role.is_null() {
                d.attr_error(
                    p("shared_launch_role_name"),
                    "Not used in private mode",
                    "private mode creates its own launch role; remove shared_launch_role_name.",
                );
            }
        }
        Some("shared") => {
            if shared_role.is_null() {
                d.attr_error(p("shared_launch_role_name"), "Missing shared launch role", "shared mode grants the launch permissions to an existing role: set shared_launch_role_name.");
            }
            if !cp.is_null() {
                d.attr_error(
                    p("control_plane.principal_arn"),
                    "Not used in shared mode",
                    "shared mode creates no cross-account role; remove the control_plane block.",
                );
            }
        }
        _ => {}
    }
    if let Some(a) = cp.str_attr("principal_arn") {
        let ok = validate::parse_arn(a).is_some_and(|x| {
            x.service == "iam"
                && x.account.len() == 12
                && (x.resource.starts_with("role/")
                    || x.resource.starts_with("user/")
                    || x.resource == "root")
        });
        if !ok {
            d.attr_error(
                p("control_plane.principal_arn"),
                "Invalid principal",
                format!("{a:?} is not an IAM role, user or account root ARN."),
            );
        }
    }
    if let Some(x) = cp.str_attr("external_id") {
        if let Err(m) = validate::external_id(x) {
            d.attr_error(p("control_plane.external_id"), "Invalid external id", m);
        }
    }
    if let Some(r) = shared_role.as_str() {
        if r.is_empty() || r.len() > 64 || r.contains(':') || r.contains('/') {
            d.attr_error(
                p("shared_launch_role_name"),
                "Invalid role name",
                "shared_launch_role_name is a role name (not an ARN), at most 64 characters.",
            );
        }
    }
    if let Some(b) = cfg.str_attr("resource_bucket") {
        if !validate::s3_bucket_name(b) {
            d.attr_error(p("resource_bucket"), "Invalid bucket", format!("{b:?} is not a bucket name (3-63 lowercase letters, digits, . and -; not an ARN or s3:// URI)."));
        }
    }
    if let Some(pre) = cfg.str_attr("resource_prefix") {
        if pre.starts_with('/') || !pre.ends_with('/') || pre.contains('*') {
            d.attr_error(p("resource_prefix"), "Invalid prefix", "resource_prefix is a key prefix ending in \"/\", e.g. \"emr-serverless/\" (no leading \"/\", no wildcards).");
        }
    }
    for b in cfg.get("read_bucket_names").as_elems().unwrap_or_default() {
        if let Some(s) = b.as_str() {
            if !validate::s3_bucket_name(s) {
                d.attr_error(
                    p("read_bucket_names"),
                    "Invalid bucket",
                    format!("{s:?} is not a bucket name."),
                );
            }
        }
    }
    for k in cfg.get("kms_key_arns").as_elems().unwrap_or_default() {
        if let Some(s) = k.as_str() {
            if let Err(m) = validate::kms_key_arn(s).and_then(|_| {
                if s.contains(":alias/") {
                    Err(format!("{s:?} is an alias; grant key ARNs."))
                } else {
                    Ok(())
                }
            }) {
                d.attr_error(p("kms_key_arns"), "Invalid KMS key", m);
            }
        }
    }
    for r in cfg
        .get("assumable_role_arns")
        .as_elems()
        .unwrap_or_default()
    {
        if let Some(s) = r.as_str() {
            if let Err(m) = validate::iam_role_arn(s) {
                d.attr_error(p("assumable_role_arns"), "Invalid role", m);
            } else if s.contains('*') {
                d.attr_error(
                    p("assumable_role_arns"),
                    "Wildcard role",
                    "assumable_role_arns must name roles exactly.",
                );
            }
        }
    }
    let subnets = cfg.get("subnet_ids");
    if let Some(list) = subnets.as_elems() {
        if list.len() < 2 && subnets.is_wholly_known() {
            d.attr_error(
                p("subnet_ids"),
                "Too few subnets",
                "EMR Serverless needs at least two subnets in different availability zones.",
            );
        }
        for s in list {
            if let Some(x) = s.as_str() {
                if !x
                    .strip_prefix("subnet-")
                    .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
                {
                    d.attr_error(
                        p("subnet_ids"),
                        "Invalid subnet",
                        format!("{x:?} is not a subnet id (subnet-...)."),
                    );
                }
            }
        }
    }
    let sgs = cfg.get("security_group_ids");
    if let Some(list) = sgs.as_elems() {
        if list.is_empty() {
            d.attr_error(
                p("security_group_ids"),
                "Missing security group",
                "at least one security group is needed.",
            );
        }
        for s in list {
            if let Some(x) = s.as_str() {
                if !x
                    .strip_prefix("sg-")
                    .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
                {
                    d.attr_error(
                        p("security_group_ids"),
                        "Invalid security group",
                        format!("{x:?} is not a security group id (sg-...)."),
                    );
                }
            }
        }
    }
    if let Some(b) = cfg.str_attr("permissions_boundary") {
        if !validate::parse_arn(b)
            .is_some_and(|a| a.service == "iam" && a.resource.starts_with("policy/"))
        {
            d.attr_error(
                p("permissions_boundary"),
                "Invalid permissions boundary",
                format!("{b:?} is not an IAM policy ARN."),
            );
        }
    }
    d
}

/// Plan-time network checks against EC2 (read-only).
async fn check_network(c: &Configured, cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(subnets) = strings(cfg.get("subnet_ids")).filter(|s| !s.is_empty()) {
        match c
            .aws
            .ec2
            .describe_subnets()
            .set_subnet_ids(Some(subnets.clone()))
            .send()
            .await
        {
            Ok(out) => {
                let azs: BTreeMap<String, String> = out
                    .subnets()
                    .iter()
                    .filter_map(|s| {
                        Some((
                            s.subnet_id()?.to_string(),
                            s.availability_zone()?.to_string(),
                        ))
                    })
                    .collect();
                for s in &subnets {
                    if !azs.contains_key(s) {
                        d.attr_error(
                            AttrPath::attr("subnet_ids"),
                            "Subnet not found",
                            format!("subnet {s} does not exist in {}.", c.aws.region),
                        );
                    }
                }
                let distinct: std::collections::BTreeSet<&String> = azs.values().collect();
                if azs.len() == subnets.len() && distinct.len() < 2 {
                    d.attr_error(
                        AttrPath::attr("subnet_ids"),
                        "Subnets in one availability zone",
                        format!("all subnets are in {}; EMR Serverless needs subnets in at least two availability zones.", distinct.iter().next().map(|s| s.as_str()).unwrap_or("one zone")),
                    );
                }
            }
            Err(e) => d.attr_error(
                AttrPath::attr("subnet_ids"),
                "Subnets not usable",
                crate::aws::errors::describe(&e),
            ),
        }
    }
    if let Some(sgs) = strings(cfg.get("security_group_ids")).filter(|s| !s.is_empty()) {
        for sg in &sgs {
            match c
                .aws
                .ec2
                .describe_security_groups()
                .group_ids(sg)
                .send()
                .await
            {
                Ok(out) if !out.security_groups().is_empty() => {}
                Ok(_) => d.attr_error(
                    AttrPath::attr("security_group_ids"),
                    "Security group not found",
                    format!("security group {sg} does not exist."),
                ),
                Err(e) => d.attr_error(
                    AttrPath::attr("security_group_ids"),
                    "Security group not found",
                    format!("{sg}: {}", crate::aws::errors::describe(&e)),
                ),
            }
        }
    }
    d
}

// ---------- the resource ----------

fn err(verb: &str, name: &str, msg: impl Into<String>) -> Diagnostics {
    Diagnostic::error(
        format!("{verb} EMR Serverless data plane ({name})"),
        msg.into(),
    )
    .into()
}

async fn shared_role_arn(c: &Configured, role: &str) -> Result<String, String> {
    managed_role::find_arn(&c.aws.iam, role)
        .await?
        .ok_or_else(|| format!("role {role} does not exist; shared mode grants an existing role"))
}

fn shared_policy_name(name: &str) -> String {
    format!("{LAUNCH_POLICY}-{name}")
}

fn owner(name: &str) -> String {
    format!("{TYPE_NAME}/{name}")
}

/// The roles a data plane owns and the grant it writes on a shared role.
struct DataplaneRoles {
    job: DesiredRole,
    launch: Option<DesiredRole>,
    grant: Option<RoleGrant>,
}

/// What IAM must hold for a state whose documents are known.
fn desired_roles(st: &Value) -> DataplaneRoles {
    let name = st.str_attr("name").unwrap_or_default();
    let (job_name, launch_name) = role_names(name);
    let owner = owner(name);
    let text = |k: &str| st.str_attr(k).unwrap_or_default().to_string();
    let role = |role: &str, trust: String, policy: &str, doc: String| {
        let mut r = DesiredRole::new(role, &owner, trust);
        r.description = Some(ROLE_DESCRIPTION.to_string());
        r.boundary = st.str_attr("permissions_boundary").map(str::to_string);
        r.tags = tags_map(st.get("tags_all"));
        r.inline.insert(policy.to_string(), doc);
        r
    };
    let private = st.str_attr("mode") == Some("private");
    DataplaneRoles {
        job: role(
            &job_name,
            text("job_runtime_trust_policy_json"),
            JOB_RUNTIME_POLICY,
            text("job_runtime_policy_json"),
        ),
        launch: private.then(|| {
            role(
                &launch_name,
                text("launch_trust_policy_json"),
                LAUNCH_POLICY,
                text("launch_policy_json"),
            )
        }),
        grant: st
            .str_attr("shared_launch_role_name")
            .filter(|_| !private)
            .map(|r| RoleGrant::new(r, &shared_policy_name(name), text("launch_policy_json"))),
    }
}

/// Why an apply stopped: the message, and whether nothing of ours exists.
struct PutError {
    message: String,
    nothing_created: bool,
    /// The shared role that still holds the grant when a move failed half way.
    grant_left_on: Option<String>,
}

async fn put_all(c: &Configured, st: &Value, prior: &Value) -> Result<(), PutError> {
    let iam = &c.aws.iam;
    let want = desired_roles(st);
    let adopt = !prior.is_null();
    let role_failed = |e: managed_role::ReconcileError, first: bool| PutError {
        nothing_created: first && !(e.exists && !e.foreign),
        message: e.message,
        grant_left_on: None,
    };
    managed_role::reconcile(iam, &want.job, adopt)
        .await
        .map_err(|e| role_failed(e, true))?;
    if let Some(l) = &want.launch {
        managed_role::reconcile(iam, l, adopt)
            .await
            .map_err(|e| role_failed(e, false))?;
    }
    let prior_grant = if prior.is_null() {
        None
    } else {
        desired_roles(prior).grant
    };
    managed_role::reconcile_grant(iam, prior_grant.as_ref(), want.grant.as_ref())
        .await
        .map_err(|(in_place, e)| PutError {
            message: e,
            nothing_created: false,
            grant_left_on: in_place.map(|g| g.role),
        })?;
    Ok(())
}

/// Out-of-band policies on the roles the data plane owns, as `<role>/<policy>`.
fn unmanaged_policies(
    want: &DataplaneRoles,
    job: &ObservedRole,
    launch: Option<&ObservedRole>,
) -> Value {
    let mut found = job.unmanaged(&want.job);
    if let (Some(w), Some(l)) = (&want.launch, launch) {
        found.extend(l.unmanaged(w));
        if l.boundary != w.boundary {
            let b = l.boundary.as_deref().unwrap_or("none");
            found.push(format!("{}/permissions boundary {b}", l.name));
        }
    }
    Value::set(found.into_iter().map(Value::String).collect())
}

#[async_trait]
impl Resource for ServerlessDataplane {
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
        if diags.has_errors() {
            return;
        }
        let Ok(c) = self.data.get() else { return };
        let env = env_of(&c);
        diags.extend(check_network(&c, req.config).await);
        let shared_arn = match planned
            .str_attr("shared_launch_role_name")
            .filter(|_| planned.str_attr("mode") == Some("shared"))
        {
            Some(r) => match shared_role_arn(&c, r).await {
                Ok(a) => Some(a),
                Err(e) => {
                    diags.attr_error(
                        AttrPath::attr("shared_launch_role_name"),
                        "Shared launch role not found",
                        e,
                    );
                    None
                }
            },
            None => None,
        };
        if let Some(n) = planned.str_attr("name") {
            planned.set_attr("id", Value::string(n));
        }
        // Keep a generated external id across plans; a new data plane gets
        // one at apply.
        if req.prior.is_null() {
            planned.set_attr("external_id", Value::Unknown);
        } else {
            planned.set_attr("external_id", req.prior.get("external_id").clone());
        }
        planned.set_attr(
            "tags_all",
            merged_tags(&c.default_tags, planned.get("tags")),
        );
        // Apply removes whatever was attached or put out of band.
        planned.set_attr("unmanaged_policies", Value::set(vec![]));
        // Import rebuilds these lists from policy resources, which carry no
        // order: the same members in another order are no change.
        for k in ["subnet_ids", "security_group_ids"] {
            let (p, n) = (req.prior.get(k), planned.get(k));
            if p != n && p.is_wholly_known() && n.is_wholly_known() {
                let as_set = |v: &Value| Value::set(v.as_elems().unwrap_or_default().to_vec());
                if as_set(p) == as_set(n) {
                    planned.set_attr(k, p.clone());
                }
            }
        }
        compute(&env, planned, shared_arn.as_deref());
        for k in [
            "job_runtime_trust_policy_json",
            "job_runtime_policy_json",
            "launch_policy_json",
            "launch_trust_policy_json",
            "control_plane_metadata",
        ] {
            if let (Some(p), Some(n)) = (req.prior.str_attr(k), planned.str_attr(k)) {
                if !p.is_empty() && (crate::iam::equivalent(p, n) || crate::metadata::same(p, n)) {
                    planned.set_attr(k, Value::string(p));
                }
            }
        }
    }

    async fn create(&self, _ctx: &Ctx, planned: &Value, _config: &Value) -> ApplyResult {
        let c = match self.data.get() {
            Ok(c) => c,
            Err(d) => return ApplyResult::failed(Value::Null, d),
        };
        let env = env_of(&c);
        let name = planned.str_attr("name").unwrap_or_default().to_string();
        let mut st = planned.clone();
        if st.str_attr("mode") == Some("private")
            && st.get("control_plane").get("external_id").is_null()
        {
            match random_external_id() {
                Ok(id) => st.set_attr("external_id", Value::String(id)),
                Err(e) => return ApplyResult::failed(Value::Null, err("creating", &name, e)),
            }
        }
        let shared = st.str_attr("launch_role_arn").map(str::to_string);
        compute(&env, &mut st, shared.as_deref());
        crate::info!("creating EMR Serverless data plane", "name" => name, "mode" => st.str_attr("mode").unwrap_or_default());
        match put_all(&c, &st, &Value::Null).await {
            Ok(()) => ApplyResult::ok(st),
            // Nothing of ours exists (e.g. a foreign role of that name): no state.
            Err(e) if e.nothing_created => {
                ApplyResult::failed(Value::Null, err("creating", &name, e.message))
            }
            // Roles exist now: record the data plane (tainted) so destroy cleans up.
            Err(e) => ApplyResult::failed(st, err("creating", &name, e.message)),
        }
    }

    async fn read(&self, _ctx: &Ctx, current: &Value) -> Result<Value, Diagnostics> {
        let c = self.data.get()?;
        let Some(name) = current.str_attr("name").map(str::to_string) else {
            return Ok(Value::Null);
        };
        let e = |m: String| err("reading", &name, m);
        let iam = &c.aws.iam;
        let (job_name, launch_name) = role_names(&name);
        let Some(job) = managed_role::read(iam, &job_name, None).await.map_err(e)? else {
            crate::warn!("EMR Serverless data plane not found, removing from state", "name" => name);
            return Ok(Value::Null);
        };
        let launch = managed_role::read(iam, &launch_name, None)
            .await
            .map_err(e)?;
        let mut st = if current.get("job_runtime_policy_json").is_null() {
            import_state(current, &c, &job, launch.as_ref())
                .await
                .map_err(e)?
        } else {
            current.clone()
        };
        let recorded = |k: &str, remote: Option<&String>| -> Value {
            match remote {
                None => Value::string(""),
                Some(r) => match current.str_attr(k) {
                    Some(p) if crate::iam::equivalent(p, r) => Value::string(p),
                    _ => Value::String(crate::iam::canonicalize(r).unwrap_or(r.clone())),
                },
            }
        };
        st.set_attr("job_runtime_role_arn", Value::string(&job.arn));
        let trust = recorded("job_runtime_trust_policy_json", Some(&job.trust));
        st.set_attr("job_runtime_trust_policy_json", trust);
        let policy = recorded(
            "job_runtime_policy_json",
            job.inline.get(JOB_RUNTIME_POLICY),
        );
        st.set_attr("job_runtime_policy_json", policy);
        st.set_attr(
            "permissions_boundary",
            job.boundary
                .clone()
                .map(Value::String)
                .unwrap_or(Value::Null),
        );
        let private = st.str_attr("mode") == Some("private");
        let launch = launch.filter(|_| private);
        if private {
            let (trust, policy) = match &launch {
                Some(l) => (
                    recorded("launch_trust_policy_json", Some(&l.trust)),
                    recorded("launch_policy_json", l.inline.get(LAUNCH_POLICY)),
                ),
                None => (Value::string(""), Value::string("")),
            };
            st.set_attr("launch_trust_policy_json", trust);
            st.set_attr("launch_policy_json", policy);
        } else if let Some(shared) = st.str_attr("shared_launch_role_name").map(str::to_string) {
            let remote = managed_role::read_grant(iam, &shared, &shared_policy_name(&name))
                .await
                .map_err(e)?;
            st.set_attr(
                "launch_policy_json",
                recorded("launch_policy_json", remote.as_ref()),
            );
        }
        let unmanaged = unmanaged_policies(&desired_roles(&st), &job, launch.as_ref());
        st.set_attr("unmanaged_policies", unmanaged);
        let tags = job
            .user_tags()
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)));
        st.set_attr("tags_all", Value::Map(tags.collect()));
        Ok(st)
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        prior: &Value,
        planned: &Value,
        _config: &Value,
    ) -> ApplyResult {
        let c = match self.data.get() {
            Ok(c) => c,
            Err(d) => return ApplyResult::failed(prior.clone(), d),
        };
        let env = env_of(&c);
        let name = planned.str_attr("name").unwrap_or_default().to_string();
        let mut st = planned.clone();
        if st.get("external_id").is_unknown() {
            st.set_attr("external_id", prior.get("external_id").clone());
        }
        let shared = st.str_attr("launch_role_arn").map(str::to_string);
        compute(&env, &mut st, shared.as_deref());
        match put_all(&c, &st, prior).await {
            Ok(()) => ApplyResult::ok(st),
            Err(e) => {
                // State names where the grant really is, so the next apply
                // (or destroy) finds it; the rest is re-read on refresh.
                if let Some(left) = e.grant_left_on {
                    st.set_attr("shared_launch_role_name", Value::String(left));
                    st.set_attr("launch_role_arn", prior.get("launch_role_arn").clone());
                }
                ApplyResult::failed(st, err("updating", &name, e.message))
            }
        }
    }

    async fn delete(&self, _ctx: &Ctx, prior: &Value) -> Diagnostics {
        let c = match self.data.get() {
            Ok(c) => c,
            Err(d) => return d,
        };
        let name = prior.str_attr("name").unwrap_or_default().to_string();
        let iam = &c.aws.iam;
        let want = desired_roles(prior);
        // Shared mode: remove our grant, leave the customer's role alone.
        if let Err((_, e)) = managed_role::reconcile_grant(iam, want.grant.as_ref(), None).await {
            return err("deleting", &name, e);
        }
        let (job_name, launch_name) = role_names(&name);
        let owner = owner(&name);
        for (role, policy) in [(launch_name, LAUNCH_POLICY), (job_name, JOB_RUNTIME_POLICY)] {
            let legacy = match managed_role::read(iam, &role, None).await {
                Ok(Some(have)) => have.is_legacy_ours(&owner, policy),
                Ok(None) => continue,
                Err(e) => return err("deleting", &name, e),
            };
            if let Err(e) = managed_role::delete(iam, &role, &owner, None, legacy).await {
                return err("deleting", &name, e);
            }
        }
        Diagnostics::new()
    }

    fn importer(&self) -> Option<&dyn Import> {
        Some(self)
    }
}

#[async_trait]
impl Import for ServerlessDataplane {
    /// `name` (private) or `name:shared_launch_role_name` (shared).
    async fn import(&self, _ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        let (name, shared) = match id.split_once(':') {
            Some((n, r)) => (n, Some(r)),
            None => (id, None),
        };
        if name.is_empty() {
            return Err(Diagnostic::error(
                "Invalid import id",
                "expected <name> (private) or <name>:<shared_launch_role_name> (shared)",
            )
            .into());
        }
        let mut st = schema().block.empty_value();
        st.set_attr("id", Value::string(name));
        st.set_attr("name", Value::string(name));
        st.set_attr(
            "mode",
            Value::string(if shared.is_some() {
                "shared"
            } else {
                "private"
            }),
        );
        st.set_attr(
            "shared_launch_role_name",
            shared.map(Value::string).unwrap_or(Value::Null),
        );
        Ok(st)
    }
}

/// Rebuilds the configuration from the statements this provider writes.
async fn import_state(
    current: &Value,
    c: &Configured,
    job: &ObservedRole,
    launch: Option<&ObservedRole>,
) -> Result<Value, String> {
    let name = current.str_attr("name").unwrap_or_default().to_string();
    let mut st = schema().block.empty_value();
    for k in ["id", "name", "mode", "shared_launch_role_name"] {
        st.set_attr(k, current.get(k).clone());
    }
    let private = launch.is_some() && current.str_attr("mode") != Some("shared");
    st.set_attr(
        "mode",
        Value::string(if private { "private" } else { "shared" }),
    );
    let launch_doc = match (private, launch, current.str_attr("shared_launch_role_name")) {
        (true, Some(l), _) => l.inline.get(LAUNCH_POLICY).cloned(),
        (false, _, Some(shared)) => {
            managed_role::read_grant(&c.aws.iam, shared, &shared_policy_name(&name)).await?
        }
        _ => None,
    };
    let job_doc = job
        .inline
        .get(JOB_RUNTIME_POLICY)
        .cloned()
        .unwrap_or_default();
    let jd = PolicyDocument::parse(&job_doc)
        .map_err(|e| format!("the job runtime policy cannot be read: {e}"))?;
    let by_sid = |d: &PolicyDocument, sid: &str| {
        d.statements
            .iter()
            .find(|s| s.sid.as_deref() == Some(sid))
            .cloned()
    };
    let set = |v: Vec<String>| {
        if v.is_empty() {
            Value::Null
        } else {
            Value::set(v.into_iter().map(Value::String).collect())
        }
    };
    if let Some(s) = by_sid(&jd, "ResourceBucket") {
        if let Some(arn) = s.resources.iter().next() {
            let res = arn.splitn(6, ':').nth(5).unwrap_or_default();
            let (bucket, prefix) = res.split_once('/').unwrap_or((res, ""));
            st.set_attr("resource_bucket", Value::string(bucket));
            let prefix = prefix.trim_end_matches('*');
            st.set_attr(
                "resource_prefix",
                if prefix.is_empty() {
                    Value::Null
                } else {
                    Value::string(prefix)
                },
            );
        }
    }
    let mut reads = Vec::new();
    for s in &jd.statements {
        if s.sid
            .as_deref()
            .is_some_and(|x| x.starts_with("ReadBucket") && !x.ends_with("List"))
        {
            reads.extend(
                s.resources
                    .iter()
                    .filter_map(|a| a.splitn(6, ':').nth(5))
                    .map(|r| r.split('/').next().unwrap_or_default().to_string()),
            );
        }
    }
    st.set_attr("read_bucket_names", set(reads));
    st.set_attr(
        "kms_key_arns",
        set(by_sid(&jd, "KmsKeys")
            .map(|s| s.resources.into_iter().collect())
            .unwrap_or_default()),
    );
    st.set_attr(
        "assumable_role_arns",
        set(by_sid(&jd, "AssumeCustomerRoles")
            .map(|s| s.resources.into_iter().collect())
            .unwrap_or_default()),
    );
    let trust = PolicyDocument::parse(&job.trust).ok();
    let tip = trust
        .as_ref()
        .and_then(|t| by_sid(t, "EmrServerlessAssume"))
        .is_some_and(|s| s.actions.contains("sts:SetContext"));
    st.set_attr("trusted_identity_propagation", Value::Bool(tip));
    st.set_attr(
        "permissions_boundary",
        job.boundary
            .clone()
            .map(Value::String)
            .unwrap_or(Value::Null),
    );
    if let Some(ld) = launch_doc
        .as_deref()
        .and_then(|d| PolicyDocument::parse(d).ok())
    {
        if let Some(s) = by_sid(&ld, "NetworkInterfacesViaEmrServerless") {
            let pick = |kind: &str| -> Vec<Value> {
                s.resources
                    .iter()
                    .filter_map(|a| {
                        a.split_once(&format!(":{kind}/"))
                            .map(|(_, id)| Value::string(id))
                    })
                    .collect()
            };
            st.set_attr("subnet_ids", Value::List(pick("subnet")));
            st.set_attr("security_group_ids", Value::List(pick("security-group")));
        }
    }
    if let (true, Some(l)) = (private, launch) {
        if let Ok(t) = PolicyDocument::parse(&l.trust) {
            if let Some(s) = by_sid(&t, "ControlPlaneAssume") {
                let principal = match &s.principal {
                    Some(Principal::Typed(m)) => {
                        m.get("AWS").and_then(|v| v.iter().next()).cloned()
                    }
                    _ => None,
                };
                let ext = s
                    .conditions
                    .values()
                    .filter_map(|m| m.get("sts:ExternalId"))
                    .flat_map(|v| v.iter().cloned())
                    .next();
                st.set_attr(
                    "control_plane",
                    Value::object([
                        (
                            "principal_arn",
                            principal.map(Value::String).unwrap_or(Value::Null),
                        ),
                        ("external_id", Value::Null),
                    ]),
                );
                st.set_attr("external_id", ext.map(Value::String).unwrap_or(Value::Null));
            }
        }
    }
    let own: BTreeMap<String, Value> = job
        .user_tags()
        .iter()
        .filter(|(k, v)| c.default_tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), Value::string(v)))
        .collect();
    st.set_attr(
        "tags",
        if own.is_empty() {
            Value::Null
        } else {
            Value::Map(own)
        },
    );
    let env = env_of(c);
    let shared = if private {
        None
    } else {
        match current.str_attr("shared_launch_role_name") {
            Some(r) => shared_role_arn(c, r).await.ok(),
            None => None,
        }
    };
    st.set_attr("tags_all", merged_tags(&c.default_tags, st.get("tags")));
    compute(&env, &mut st, shared.as_deref());
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::least_privilege::assert_least_privilege;

    fn env() -> Env {
        Env {
            partition: "aws".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
        }
    }

    fn inputs() -> Inputs {
        Inputs {
            bucket: "acme-emr-serverless".into(),
            prefix: "emr-serverless/".into(),
            subnet_ids: vec!["subnet-0a".into(), "subnet-0b".into()],
            security_group_ids: vec!["sg-01".into()],
            kms_key_arns: vec!["arn:aws:kms:us-east-1:123456789012:key/k1".into()],
            read_bucket_names: vec!["public-datasets".into()],
            assumable_role_arns: vec!["arn:aws:iam::111122223333:role/data".into()],
            tip: true,
        }
    }

    /// Seed 003's examples use `*` for emr-serverless, kms key/*, sts:AssumeRole
    /// and s3:ListAllMyBuckets; ours name exact resources.
    #[test]
    fn policies_are_narrower_than_the_seed() {
        let job = "arn:aws:iam::123456789012:role/acme-emr-serverless-job-runtime";
        for d in [
            job_runtime_trust(&env(), true),
            job_runtime_policy(&env(), &inputs()),
            launch_policy(&env(), &inputs(), job),
            launch_trust("arn:aws:iam::999988887777:role/control-plane", "abc123"),
        ] {
            assert_least_privilege(&d);
            let text = d.canonical();
            assert!(!text.contains("\"*\""), "a * resource in {text}");
            assert!(!text.contains("key/*"), "{text}");
            assert!(!text.contains("ListAllMyBuckets"), "{text}");
        }
        let l = launch_policy(&env(), &inputs(), job).to_value();
        let eni = l["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == "NetworkInterfacesViaEmrServerless")
            .unwrap()
            .clone();
        assert_eq!(
            eni["Condition"]["StringEquals"]["aws:CalledViaLast"],
            json!(["ops.emr-serverless.amazonaws.com"])
        );
        assert!(eni["Resource"].as_array().unwrap().contains(&json!(
            "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0a"
        )));
        let t = job_runtime_trust(&env(), true).to_value();
        assert_eq!(
            t["Statement"][0]["Action"],
            json!(["sts:AssumeRole", "sts:SetContext"])
        );
    }

    #[test]
    fn control_plane_metadata_has_exactly_the_seed_keys() {
        let j = "arn:aws:iam::123456789012:role/j";
        let private = control_plane_metadata(
            &env(),
            &inputs(),
            j,
            Some(("arn:aws:iam::123456789012:role/l", "ext")),
        );
        let mut keys: Vec<&String> = private.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "externalId",
                "jobLaunchArn",
                "jobRuntimeRoleArn",
                "region",
                "resourceBucket",
                "securityGroups",
                "subnetIds"
            ]
        );
        let shared = control_plane_metadata(&env(), &inputs(), j, None);
        let mut keys: Vec<&String> = shared.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "jobRuntimeRoleArn",
                "region",
                "resourceBucket",
                "securityGroups",
                "subnetIds"
            ]
        );
    }

    #[test]
    fn role_names_fit_iam() {
        let (j, l) = role_names("acme");
        assert_eq!(
            (j.as_str(), l.as_str()),
            (
                "acme-emr-serverless-job-runtime",
                "acme-emr-serverless-launch"
            )
        );
        let (j, _) = role_names(&"x".repeat(32));
        assert!(j.len() <= 64);
    }
}
