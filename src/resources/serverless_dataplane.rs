//! emr_serverless_dataplane (seed 003): what a control plane needs to run
//! EMR Serverless jobs in a data plane — the job runtime role, the launch
//! permissions (a cross-account launch role in private mode, an inline policy
//! on an existing role in shared mode), checked networking, and the control
//! plane metadata message. Every policy is narrower than seed 003's examples:
//! no `*` resource where the seed had one.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as J};

use crate::aws::managed_role::{self, DesiredRole, ObservedRole, RoleGrant};
use crate::aws::notify::{self, Destination, Message};
use crate::configured::{Configured, ProviderData};
pub use crate::iam::dataplane::Inputs;
use crate::iam::dataplane::{job_runtime_policy, job_runtime_trust, launch_policy, launch_trust};
use crate::iam::{PolicyDocument, Scope};
use crate::resources::shared::{
    aws_principal, by_sid, cond, each, ensure, map_of, one, or_unknown, recorded_or_remote,
    run_rules, set_of, Rule,
};
use crate::resources::{derived_name, env_of, random_external_id, ArnScope};
use crate::tfplugin::{
    model, ApplyResult, AttrPath, Attribute, Block, Ctx, Diagnostic, Diagnostics, Import,
    NestedBlock, PlanRequest, Planned, PlannedList, PlannedMap, Resource, Schema, Type, Value,
};
use crate::validate;

const TYPE_NAME: &str = "emr_serverless_dataplane";
pub const JOB_RUNTIME_POLICY: &str = "emr-serverless-job-runtime";
pub const LAUNCH_POLICY: &str = "emr-serverless-launch";
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
    let message = Block::new()
        .desc("Push the control plane metadata message (seed 003) to the control plane: exactly one of an SNS topic or an SQS queue.")
        .attr(Attribute::optional("sns_topic_arn", Type::String).desc("The SNS topic to publish to."))
        .attr(Attribute::optional("sqs_queue_url", Type::String).desc("The SQS queue to send to."));
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
            .attr(Attribute::computed("unmanaged_policies", Type::set(Type::String)).desc("What is on the created roles that this data plane did not write: policies (`<role>/<policy name or ARN>`) and settings (`<role>/permissions boundary <arn>`, `<role>/tags {…}`, `<role>/max session <n>s`); apply removes or restores them."))
            .attr(Attribute::computed("control_plane_metadata", Type::String).sensitive().desc("The control plane configuration message of seed 003 (sensitive: it carries the external id)."))
            .attr(Attribute::computed("control_plane_message_digest", Type::String).desc("SHA-256 of the destination and the message last delivered there (null until one is). Apply publishes whenever the plan's value differs: a new message or destination, or a publish that failed."))
            .block(NestedBlock::single("control_plane", cp))
            .block(NestedBlock::single("control_plane_message", message)),
    )
}

// ---------- documents (pure) ----------

/// Seed 003 "Control plane configuration", with exactly its keys.
pub fn control_plane_metadata(
    env: &ArnScope,
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

// ---------- the typed model ----------

#[derive(Clone, Default, Deserialize, Serialize)]
struct Model {
    id: Planned<String>,
    name: Planned<String>,
    mode: Planned<String>,
    resource_bucket: Planned<String>,
    resource_prefix: Planned<String>,
    subnet_ids: PlannedList<String>,
    security_group_ids: PlannedList<String>,
    kms_key_arns: PlannedList<String>,
    read_bucket_names: PlannedList<String>,
    assumable_role_arns: PlannedList<String>,
    shared_launch_role_name: Planned<String>,
    trusted_identity_propagation: Planned<bool>,
    permissions_boundary: Planned<String>,
    tags: PlannedMap<String>,
    tags_all: PlannedMap<String>,
    region: Planned<String>,
    job_runtime_role_arn: Planned<String>,
    job_runtime_trust_policy_json: Planned<String>,
    job_runtime_policy_json: Planned<String>,
    launch_role_arn: Planned<String>,
    launch_trust_policy_json: Planned<String>,
    launch_policy_json: Planned<String>,
    external_id: Planned<String>,
    unmanaged_policies: PlannedList<String>,
    control_plane_metadata: Planned<String>,
    control_plane_message_digest: Planned<String>,
    control_plane: Planned<ControlPlane>,
    control_plane_message: Planned<MessageDestination>,
}

#[derive(Clone, Default, Deserialize, Serialize)]
struct MessageDestination {
    sns_topic_arn: Planned<String>,
    sqs_queue_url: Planned<String>,
}

#[derive(Clone, Default, Deserialize, Serialize)]
struct ControlPlane {
    principal_arn: Planned<String>,
    external_id: Planned<String>,
}

impl Model {
    fn private(&self) -> bool {
        self.mode.as_str() == Some("private")
    }
    fn control_plane(&self) -> Option<&ControlPlane> {
        self.control_plane.known()
    }
    /// The shared role that gets the grant (shared mode only).
    fn shared_role(&self) -> Option<&str> {
        self.shared_launch_role_name
            .as_str()
            .filter(|_| !self.private())
    }
}

fn to_value(m: &Model) -> Result<Value, Diagnostics> {
    model::encode_block(m, &schema().block)
}

/// An apply result whose state is `st` (null for None).
fn applied(st: Option<&Model>, diags: Diagnostics) -> ApplyResult {
    match st.map(to_value).transpose() {
        Ok(state) => ApplyResult::failed(state.unwrap_or(Value::Null), diags),
        Err(d) => ApplyResult::failed(Value::Null, d),
    }
}

fn inputs_of(st: &Model) -> Option<Inputs> {
    let text = |p: &Planned<String>| (!p.is_unknown()).then(|| p.get_or(String::new()));
    let tip = &st.trusted_identity_propagation;
    Some(Inputs {
        bucket: text(&st.resource_bucket)?,
        prefix: text(&st.resource_prefix)?,
        subnet_ids: st.subnet_ids.all_known()?,
        security_group_ids: st.security_group_ids.all_known()?,
        kms_key_arns: st.kms_key_arns.all_known()?,
        read_bucket_names: st.read_bucket_names.all_known()?,
        assumable_role_arns: st.assumable_role_arns.all_known()?,
        tip: (!tip.is_unknown()).then(|| tip.get_or(false))?,
    })
}

/// Fills the computed documents of a planned (or applied) state. The launch
/// role ARN in shared mode comes from `shared_role_arn`.
fn compute(env: &ArnScope, st: &mut Model, shared_role_arn: Option<&str>) {
    let private = st.private();
    let arn = |n: &str| format!("arn:{}:iam::{}:role/{n}", env.partition, env.account);
    let names = st.name.as_str().map(role_names);
    let job_arn = names.as_ref().map(|(j, _)| arn(j));
    let launch_arn = match private {
        true => names.as_ref().map(|(_, l)| arn(l)),
        false => shared_role_arn.map(str::to_string),
    };
    st.region = env.region.as_str().into();
    st.job_runtime_role_arn = or_unknown(job_arn.clone());
    st.launch_role_arn = or_unknown(launch_arn.clone());
    let tip = st.trusted_identity_propagation.known();
    let scope = Scope::from(env);
    st.job_runtime_trust_policy_json =
        or_unknown(tip.map(|t| job_runtime_trust(&scope, *t).canonical()));
    let inputs = inputs_of(st);
    let job = inputs
        .as_ref()
        .map(|i| job_runtime_policy(&scope, i).canonical());
    st.job_runtime_policy_json = or_unknown(job);
    let launch = inputs.as_ref().zip(job_arn.as_ref());
    st.launch_policy_json =
        or_unknown(launch.map(|(i, j)| launch_policy(&scope, i, j).canonical()));
    // The external id: given, generated at create (kept in state), or "" in shared mode.
    let given = st
        .control_plane()
        .map_or(Planned::Null, |c| c.external_id.clone());
    st.external_id = match (private, given) {
        (false, _) => "".into(),
        (true, Planned::Null) => st.external_id.clone(),
        (true, given) => given,
    };
    let ext = st.external_id.as_str();
    let principal = st
        .control_plane
        .known()
        .and_then(|c| c.principal_arn.as_str());
    st.launch_trust_policy_json = match (private, principal, ext) {
        (false, _, _) => "".into(),
        (true, Some(p), Some(e)) => Planned::Known(launch_trust(p, e).canonical()),
        _ => Planned::Unknown,
    };
    let md = match (&inputs, &job_arn, &launch_arn, st.external_id.as_str()) {
        (Some(i), Some(j), Some(l), Some(e)) => Some((i, j, private.then_some((l.as_str(), e)))),
        (Some(i), Some(j), _, _) if !private => Some((i, j, None)),
        _ => None,
    };
    let md = md.map(|(i, j, p)| crate::canonical::text(&control_plane_metadata(env, i, j, p)));
    st.control_plane_metadata = or_unknown(md);
}

// ---------- validation ----------

pub fn validate_config(cfg: &Value) -> Diagnostics {
    model::decode(cfg).map_or_else(
        |d| d,
        |m| {
            let mut d = check(&m);
            d.extend(root_warning(&m));
            d
        },
    )
}

/// An account root as the control plane's principal trusts every principal
/// of that account whose own IAM policies allow it (with the external id):
/// legal, but not the one principal the docs describe.
fn root_warning(cfg: &Model) -> Diagnostics {
    let mut d = Diagnostics::new();
    let root = cfg.control_plane().and_then(|c| c.principal_arn.as_str());
    let Some(arn) = root.filter(|a| principal(a).is_ok() && a.ends_with(":root")) else {
        return d;
    };
    let account = arn.split(':').nth(4).unwrap_or_default();
    d.push(
        Diagnostic::warning(
            "The launch role trusts a whole account",
            format!(
                "{arn} is the root of account {account}: any principal there whose own IAM policies allow sts:AssumeRole on the launch role, and who has the external id, can assume it. Name the control plane's role (arn:aws:iam::{account}:role/<name>) to trust exactly one principal."
            ),
        )
        .at(AttrPath::parse_dotted("control_plane.principal_arn")),
    );
    d
}

fn name(n: &str) -> Result<(), String> {
    let chars = n
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    ensure((1..=32).contains(&n.len()) && chars, || {
        "name must be 1 to 32 characters of letters, digits and +=,.@_- (it prefixes role names)."
            .into()
    })
}

fn mode(m: &str) -> Result<(), String> {
    ensure(m == "shared" || m == "private", || {
        format!("mode must be \"shared\" or \"private\", got {m:?}.")
    })
}

fn principal(a: &str) -> Result<(), String> {
    let ok = validate::parse_arn(a).is_some_and(|x| {
        let r = &x.resource;
        x.service == "iam"
            && x.account.len() == 12
            && (r.starts_with("role/") || r.starts_with("user/") || *r == "root")
    });
    ensure(ok, || {
        format!("{a:?} is not an IAM role, user or account root ARN.")
    })
}

fn shared_role_name(r: &str) -> Result<(), String> {
    let ok = !r.is_empty() && r.len() <= 64 && !r.contains(':') && !r.contains('/');
    ensure(ok, || {
        "shared_launch_role_name is a role name (not an ARN), at most 64 characters.".into()
    })
}

fn resource_bucket(b: &str) -> Result<(), String> {
    ensure(validate::s3_bucket_name(b), || {
        format!("{b:?} is not a bucket name (3-63 lowercase letters, digits, . and -; not an ARN or s3:// URI).")
    })
}

fn resource_prefix(p: &str) -> Result<(), String> {
    let ok = !p.starts_with('/') && p.ends_with('/') && !p.contains('*');
    ensure(ok, || {
        "resource_prefix is a key prefix ending in \"/\", e.g. \"emr-serverless/\" (no leading \"/\", no wildcards).".into()
    })
}

fn read_bucket(s: &str) -> Result<(), String> {
    ensure(validate::s3_bucket_name(s), || {
        format!("{s:?} is not a bucket name.")
    })
}

fn kms_key(s: &str) -> Result<(), String> {
    validate::kms_key_arn(s)?;
    ensure(!s.contains(":alias/"), || {
        format!("{s:?} is an alias; grant key ARNs.")
    })
}

/// An EC2 id: the prefix and hex digits.
fn ec2_id(s: &str, prefix: &str, what: &str) -> Result<(), String> {
    let hex = |h: &str| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit());
    ensure(s.strip_prefix(prefix).is_some_and(hex), || {
        format!("{s:?} is not a {what} id ({prefix}...).")
    })
}

fn subnet(s: &str) -> Result<(), String> {
    ec2_id(s, "subnet-", "subnet")
}

fn security_group(s: &str) -> Result<(), String> {
    ec2_id(s, "sg-", "security group")
}

fn boundary(b: &str) -> Result<(), String> {
    let ok = validate::parse_arn(b)
        .is_some_and(|a| a.service == "iam" && a.resource.starts_with("policy/"));
    ensure(ok, || format!("{b:?} is not an IAM policy ARN."))
}

fn check(cfg: &Model) -> Diagnostics {
    let mut d = Diagnostics::new();
    let cp = cfg.control_plane();
    let msg = cfg.control_plane_message.known();
    #[rustfmt::skip]
    let rules: Vec<(&str, Vec<&str>, Rule, &str)> = vec![
        ("name", one(&cfg.name), name, "Invalid name"),
        ("mode", one(&cfg.mode), mode, "Invalid mode"),
        ("control_plane.principal_arn", cp.map_or(vec![], |c| one(&c.principal_arn)), principal, "Invalid principal"),
        ("control_plane.external_id", cp.map_or(vec![], |c| one(&c.external_id)), validate::external_id, "Invalid external id"),
        ("shared_launch_role_name", one(&cfg.shared_launch_role_name), shared_role_name, "Invalid role name"),
        ("resource_bucket", one(&cfg.resource_bucket), resource_bucket, "Invalid bucket"),
        ("resource_prefix", one(&cfg.resource_prefix), resource_prefix, "Invalid prefix"),
        ("read_bucket_names", each(&cfg.read_bucket_names), read_bucket, "Invalid bucket"),
        ("kms_key_arns", each(&cfg.kms_key_arns), kms_key, "Invalid KMS key"),
        ("assumable_role_arns", each(&cfg.assumable_role_arns), validate::iam_role_arn, "Invalid role"),
        ("subnet_ids", each(&cfg.subnet_ids), subnet, "Invalid subnet"),
        ("security_group_ids", each(&cfg.security_group_ids), security_group, "Invalid security group"),
        ("permissions_boundary", one(&cfg.permissions_boundary), boundary, "Invalid permissions boundary"),
        ("control_plane_message.sns_topic_arn", msg.map_or(vec![], |m| one(&m.sns_topic_arn)), |t| notify::topic(t).map(drop), "Invalid SNS topic"),
        ("control_plane_message.sqs_queue_url", msg.map_or(vec![], |m| one(&m.sqs_queue_url)), |q| notify::queue(q, "us-east-1").map(drop), "Invalid SQS queue"),
    ];
    run_rules(&mut d, rules);
    check_mode(&mut d, cfg);
    if let Some(m) = msg {
        let (t, q) = (&m.sns_topic_arn, &m.sqs_queue_url);
        if !t.is_unknown() && !q.is_unknown() && t.is_null() == q.is_null() {
            // Terraform points at the attribute, or at the block when unset.
            let at = if t.is_null() {
                "sns_topic_arn"
            } else {
                "sqs_queue_url"
            };
            d.attr_error(
                AttrPath::parse_dotted(&format!("control_plane_message.{at}")),
                "One destination",
                "set exactly one of sns_topic_arn and sqs_queue_url.",
            );
        }
    }
    let p = AttrPath::attr;
    if cfg.subnet_ids.all_known().is_some_and(|s| s.len() < 2) && cfg.subnet_ids.is_known() {
        d.attr_error(
            p("subnet_ids"),
            "Too few subnets",
            "EMR Serverless needs at least two subnets in different availability zones.",
        );
    }
    if cfg.security_group_ids.known().is_some_and(Vec::is_empty) {
        d.attr_error(
            p("security_group_ids"),
            "Missing security group",
            "at least one security group is needed.",
        );
    }
    d
}

/// What each mode needs and refuses.
fn check_mode(d: &mut Diagnostics, cfg: &Model) {
    let p = AttrPath::parse_dotted;
    let (cp, shared) = (&cfg.control_plane, &cfg.shared_launch_role_name);
    match cfg.mode.as_str() {
        Some("private") => {
            if cp.is_null() {
                d.attr_error(p("control_plane"), "Missing control_plane", "private mode needs a control_plane block with the principal_arn that launches jobs.");
            }
            if !shared.is_null() {
                d.attr_error(
                    p("shared_launch_role_name"),
                    "Not used in private mode",
                    "private mode creates its own launch role; remove shared_launch_role_name.",
                );
            }
        }
        Some("shared") => {
            if shared.is_null() {
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
}

/// Plan-time network checks against EC2 (read-only), made only when the
/// subnets or security groups differ from the prior state's.
async fn check_network(c: &Configured, cfg: &Model, prior: Option<&Model>) -> Diagnostics {
    let mut d = Diagnostics::new();
    let unchanged = prior.is_some_and(|p| {
        let same = |a: &PlannedList<String>, b: &PlannedList<String>| {
            a.all_known().is_some_and(|x| Some(x) == b.all_known())
        };
        same(&cfg.subnet_ids, &p.subnet_ids) && same(&cfg.security_group_ids, &p.security_group_ids)
    });
    if unchanged {
        return d;
    }
    let net = &c.aws.network;
    let p = || AttrPath::attr("subnet_ids");
    if let Some(subnets) = cfg.subnet_ids.all_known().filter(|s| !s.is_empty()) {
        match net.subnet_zones(&c.aws.ec2, &subnets).await {
            Ok(zones) => {
                for s in subnets.iter().filter(|s| !zones.contains_key(s.as_str())) {
                    let msg = format!("subnet {s} does not exist in {}.", c.aws.region);
                    d.attr_error(p(), "Subnet not found", msg);
                }
                let distinct: BTreeSet<&str> = zones.values().map(String::as_str).collect();
                let all_found = subnets.iter().all(|s| zones.contains_key(s.as_str()));
                if all_found && distinct.len() < 2 {
                    let zone = distinct.iter().next().copied().unwrap_or("one zone");
                    d.attr_error(p(), "Subnets in one availability zone", format!("all subnets are in {zone}; EMR Serverless needs subnets in at least two availability zones."));
                }
            }
            Err(e) => d.attr_error(p(), "Subnets not usable", e),
        }
    }
    for sg in cfg.security_group_ids.all_known().unwrap_or_default() {
        let msg = match net.security_group_exists(&c.aws.ec2, &sg).await {
            Ok(true) => continue,
            Ok(false) => format!("security group {sg} does not exist."),
            Err(e) => format!("{sg}: {e}"),
        };
        d.attr_error(
            AttrPath::attr("security_group_ids"),
            "Security group not found",
            msg,
        );
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
fn desired_roles(st: &Model) -> DataplaneRoles {
    let name = st.name.as_str().unwrap_or_default();
    let (job_name, launch_name) = role_names(name);
    let owner = owner(name);
    let text = |p: &Planned<String>| p.get_or(String::new());
    let role = |role: &str, trust: &Planned<String>, policy: &str, doc: &Planned<String>| {
        let mut r = DesiredRole::new(role, &owner, text(trust));
        r.description = Some(ROLE_DESCRIPTION.to_string());
        r.boundary = st.permissions_boundary.known().cloned();
        r.tags = st.tags_all.known_entries();
        r.inline.insert(policy.to_string(), text(doc));
        r
    };
    let launch_doc = &st.launch_policy_json;
    DataplaneRoles {
        job: role(
            &job_name,
            &st.job_runtime_trust_policy_json,
            JOB_RUNTIME_POLICY,
            &st.job_runtime_policy_json,
        ),
        launch: st.private().then(|| {
            role(
                &launch_name,
                &st.launch_trust_policy_json,
                LAUNCH_POLICY,
                launch_doc,
            )
        }),
        grant: st
            .shared_role()
            .map(|r| RoleGrant::new(r, &shared_policy_name(name), text(launch_doc))),
    }
}

/// Why an apply stopped: the message, and whether nothing of ours exists.
struct PutError {
    message: String,
    nothing_created: bool,
    /// The shared role that still holds the grant when a move failed half way.
    grant_left_on: Option<String>,
}

async fn put_all(c: &Configured, st: &Model, prior: Option<&Model>) -> Result<(), PutError> {
    let iam = &c.aws.iam;
    let want = desired_roles(st);
    let adopt = prior.is_some();
    let role_failed = |e: managed_role::ReconcileError, first: bool| PutError {
        nothing_created: first && (!e.exists || e.foreign),
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
    let prior_grant = prior.and_then(|p| desired_roles(p).grant);
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
) -> PlannedList<String> {
    let mut found = job.unmanaged(&want.job);
    // The job role's boundary and tags are attributes of their own.
    if job.max_session != want.job.max_session {
        found.push(format!("{}/max session {}s", job.name, job.max_session));
    }
    if let (Some(w), Some(l)) = (&want.launch, launch) {
        found.extend(l.unmanaged(w));
        found.extend(l.settings_drift(w));
    }
    PlannedList::of(found)
}

// ---------- the control-plane message ----------

/// Where the message goes, when the block is set and its values known.
fn destination(st: &Model, region: &str) -> Option<Result<Destination, String>> {
    let b = st.control_plane_message.known()?;
    let (topic, queue) = (&b.sns_topic_arn, &b.sqs_queue_url);
    if topic.is_unknown() || queue.is_unknown() {
        return None;
    }
    Some(Destination::of(topic.as_str(), queue.as_str(), region))
}

/// What the plan says will have been delivered: null without the block,
/// unknown until the destination and the message are known.
fn planned_digest(st: &Model, region: &str) -> Planned<String> {
    if st.control_plane_message.is_null() {
        return Planned::Null;
    }
    match (destination(st, region), st.control_plane_metadata.as_str()) {
        (Some(Ok(d)), Some(body)) => Planned::Known(notify::digest(d.address(), body)),
        _ => Planned::Unknown,
    }
}

/// Publishes the message unless the prior state says this very message was
/// delivered to this destination: `created` the first time a destination
/// hears of the data plane, `updated` after that. The digest is set only
/// when it was delivered.
async fn deliver(c: &Configured, st: &mut Model, prior: Option<&Model>) -> Result<(), String> {
    let region = c.aws.region.as_str();
    let Some(dest) = destination(st, region).transpose()? else {
        st.control_plane_message_digest = Planned::Null;
        return Ok(());
    };
    let body = st.control_plane_metadata.get_or(String::new());
    let want = notify::digest(dest.address(), &body);
    let had = prior.and_then(|p| p.control_plane_message_digest.as_str());
    if had != Some(want.as_str()) {
        let prior_dest = prior.and_then(|p| destination(p, region)?.ok());
        let event = match had.is_some() && prior_dest.as_ref() == Some(&dest) {
            true => "updated",
            false => "created",
        };
        let dataplane = st.name.get_or(String::new());
        let m = Message {
            event,
            dataplane: &dataplane,
            body: &body,
        };
        crate::info!("publishing the control-plane message", "name" => dataplane.as_str(), "event" => event, "to" => dest.address());
        dest.send(&c.aws, &m).await.map_err(|e| {
            format!("the data plane is in place, but its control-plane message was not delivered (the next apply sends it again): {e}")
        })?;
    }
    st.control_plane_message_digest = Planned::Known(want);
    Ok(())
}

/// The message of a destroy: the event, and what identifies the data plane
/// (no external id).
fn deleted_message(st: &Model) -> J {
    let mut m = Map::new();
    m.insert("event".into(), J::String("deleted".into()));
    m.insert("dataplane".into(), st.name.get_or(String::new()).into());
    m.insert("region".into(), st.region.get_or(String::new()).into());
    let job = st.job_runtime_role_arn.get_or(String::new());
    m.insert("jobRuntimeRoleArn".into(), job.into());
    if st.private() {
        let launch = st.launch_role_arn.get_or(String::new());
        m.insert("jobLaunchArn".into(), launch.into());
    }
    J::Object(m)
}

/// Tells the destination that heard of the data plane that it is going.
async fn announce_deleted(c: &Configured, st: &Model) -> Result<(), String> {
    if st.control_plane_message_digest.is_null() {
        return Ok(());
    }
    let Some(Ok(dest)) = destination(st, &c.aws.region) else {
        return Ok(());
    };
    let body = crate::canonical::text(&deleted_message(st));
    let dataplane = st.name.get_or(String::new());
    let m = Message {
        event: "deleted",
        dataplane: &dataplane,
        body: &body,
    };
    dest.send(&c.aws, &m).await.map_err(|e| {
        format!("the control-plane message of the destroy was not delivered, so nothing was deleted (destroy again to retry): {e}")
    })
}

/// The planned state; the diagnostics of the plan-time checks.
async fn plan(
    c: &Configured,
    req: &PlanRequest<'_>,
    planned: &mut Value,
) -> Result<Diagnostics, Diagnostics> {
    let cfg: Model = model::decode(req.config)?;
    let mut d = check(&cfg);
    if d.has_errors() {
        return Ok(d);
    }
    let prior: Option<Model> = model::decode(req.prior)?;
    let mut plan: Model = model::decode(planned)?;
    d.extend(check_network(c, &cfg, prior.as_ref()).await);
    let shared_arn = match plan
        .shared_launch_role_name
        .as_str()
        .filter(|_| plan.mode.as_str() == Some("shared"))
    {
        Some(r) => shared_role_arn(c, r)
            .await
            .map_err(|e| {
                d.attr_error(
                    AttrPath::attr("shared_launch_role_name"),
                    "Shared launch role not found",
                    e,
                )
            })
            .ok(),
        None => None,
    };
    if let Some(n) = plan.name.known() {
        plan.id = n.as_str().into();
    }
    // Keep a generated external id across plans; a new data plane gets
    // one at apply.
    plan.external_id = prior
        .as_ref()
        .map_or(Planned::Unknown, |p| p.external_id.clone());
    let mut prior = prior.unwrap_or_default();
    plan.tags_all = plan.tags.overlaid_on(&c.default_tags);
    // Apply removes whatever was attached or put out of band.
    plan.unmanaged_policies = Planned::Known(vec![]);
    // Import rebuilds these lists from policy resources, which carry no
    // order: the same members in another order are no change.
    for (p, n) in [
        (&prior.subnet_ids, &mut plan.subnet_ids),
        (&prior.security_group_ids, &mut plan.security_group_ids),
    ] {
        if let (Some(mut a), Some(mut b)) = (p.all_known(), n.all_known()) {
            a.sort();
            b.sort();
            if a == b && p.is_known() == n.is_known() {
                *n = p.clone();
            }
        }
    }
    compute(&env_of(c), &mut plan, shared_arn.as_deref());
    for field in DOCUMENTS {
        let (p, n) = (field(&mut prior).clone(), field(&mut plan));
        if let (Some(was), Some(now)) = (p.as_str(), n.as_str()) {
            if !was.is_empty()
                && (crate::iam::equivalent(was, now) || crate::metadata::same(was, now))
            {
                *n = p;
            }
        }
    }
    plan.control_plane_message_digest = planned_digest(&plan, &c.aws.region);
    *planned = to_value(&plan)?;
    Ok(d)
}

/// The documents whose recorded text is kept while equivalent.
const DOCUMENTS: [fn(&mut Model) -> &mut Planned<String>; 5] = [
    |m| &mut m.job_runtime_trust_policy_json,
    |m| &mut m.job_runtime_policy_json,
    |m| &mut m.launch_policy_json,
    |m| &mut m.launch_trust_policy_json,
    |m| &mut m.control_plane_metadata,
];

/// The state of a data plane as IAM holds it, from the recorded (or
/// imported) one.
async fn observed(
    c: &Configured,
    current: &Model,
    mut st: Model,
    job: &ObservedRole,
    launch: Option<ObservedRole>,
) -> Result<Model, String> {
    let name = st.name.get_or(String::new());
    st.job_runtime_role_arn = job.arn.as_str().into();
    st.job_runtime_trust_policy_json =
        recorded_or_remote(&current.job_runtime_trust_policy_json, Some(&job.trust));
    let policy = job.inline.get(JOB_RUNTIME_POLICY);
    st.job_runtime_policy_json = recorded_or_remote(&current.job_runtime_policy_json, policy);
    st.permissions_boundary = job.boundary.clone().into();
    let launch = launch.filter(|_| st.private());
    if st.private() {
        let l = launch.as_ref();
        st.launch_trust_policy_json =
            recorded_or_remote(&current.launch_trust_policy_json, l.map(|l| &l.trust));
        let doc = l.and_then(|l| l.inline.get(LAUNCH_POLICY));
        st.launch_policy_json = recorded_or_remote(&current.launch_policy_json, doc);
    } else if let Some(shared) = st.shared_launch_role_name.known() {
        let remote =
            managed_role::read_grant(&c.aws.iam, shared, &shared_policy_name(&name)).await?;
        st.launch_policy_json = recorded_or_remote(&current.launch_policy_json, remote.as_ref());
    }
    st.unmanaged_policies = unmanaged_policies(&desired_roles(&st), job, launch.as_ref());
    st.tags_all = PlannedMap::of(job.user_tags());
    Ok(st)
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
        let Ok(c) = self.data.get() else {
            return diags.extend(validate_config(req.config));
        };
        diags.extend(plan(&c, &req, planned).await.unwrap_or_else(|d| d));
    }

    async fn create(&self, _ctx: &Ctx, planned: &Value, _config: &Value) -> ApplyResult {
        let (c, mut st) = match self
            .data
            .get()
            .and_then(|c| Ok((c, model::decode::<Model>(planned)?)))
        {
            Ok(x) => x,
            Err(d) => return ApplyResult::failed(Value::Null, d),
        };
        let name = st.name.get_or(String::new());
        let given = st.control_plane().is_some_and(|c| !c.external_id.is_null());
        if st.private() && !given {
            match random_external_id() {
                Ok(id) => st.external_id = Planned::Known(id),
                Err(e) => return ApplyResult::failed(Value::Null, err("creating", &name, e)),
            }
        }
        let shared = st.launch_role_arn.known().cloned();
        compute(&env_of(&c), &mut st, shared.as_deref());
        crate::info!("creating EMR Serverless data plane", "name" => name, "mode" => st.mode.as_str().unwrap_or_default());
        match put_all(&c, &st, None).await {
            Ok(()) => match deliver(&c, &mut st, None).await {
                Ok(()) => applied(Some(&st), Diagnostics::new()),
                Err(e) => {
                    st.control_plane_message_digest = Planned::Null;
                    applied(Some(&st), err("creating", &name, e))
                }
            },
            // Nothing of ours exists (e.g. a foreign role of that name): no state.
            Err(e) if e.nothing_created => applied(None, err("creating", &name, e.message)),
            // Roles exist now: record the data plane (tainted) so destroy cleans up.
            Err(e) => applied(Some(&st), err("creating", &name, e.message)),
        }
    }

    async fn read(&self, _ctx: &Ctx, current: &Value) -> Result<Value, Diagnostics> {
        let c = self.data.get()?;
        let current: Model = model::decode(current)?;
        let Some(name) = current.name.as_str() else {
            return Ok(Value::Null);
        };
        let e = |m: String| err("reading", name, m);
        let iam = &c.aws.iam;
        let (job_name, launch_name) = role_names(name);
        let (job, launch) = tokio::join!(
            managed_role::read(iam, &job_name, None),
            managed_role::read(iam, &launch_name, None),
        );
        let Some(job) = job.map_err(e)? else {
            crate::warn!("EMR Serverless data plane not found, removing from state", "name" => name);
            return Ok(Value::Null);
        };
        let launch = launch.map_err(e)?;
        let st = match current.job_runtime_policy_json.is_null() {
            true => import_state(&current, &c, &job, launch.as_ref())
                .await
                .map_err(e)?,
            false => current.clone(),
        };
        to_value(&observed(&c, &current, st, &job, launch).await.map_err(e)?)
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        prior_v: &Value,
        planned: &Value,
        _config: &Value,
    ) -> ApplyResult {
        let decoded = self.data.get().and_then(|c| {
            let prior: Model = model::decode(prior_v)?;
            Ok((c, prior, model::decode::<Model>(planned)?))
        });
        let (c, prior, mut st) = match decoded {
            Ok(x) => x,
            Err(d) => return ApplyResult::failed(prior_v.clone(), d),
        };
        let name = st.name.get_or(String::new());
        if st.external_id.is_unknown() {
            st.external_id = prior.external_id.clone();
        }
        let shared = st.launch_role_arn.known().cloned();
        compute(&env_of(&c), &mut st, shared.as_deref());
        match put_all(&c, &st, Some(&prior)).await {
            Ok(()) => match deliver(&c, &mut st, Some(&prior)).await {
                Ok(()) => applied(Some(&st), Diagnostics::new()),
                Err(e) => {
                    // State says what was delivered where, so the next plan
                    // shows the message (and a new destination) as pending.
                    st.control_plane_message_digest = prior.control_plane_message_digest.clone();
                    st.control_plane_message = prior.control_plane_message.clone();
                    applied(Some(&st), err("updating", &name, e))
                }
            },
            Err(e) => {
                // State names where the grant really is, so the next apply
                // (or destroy) finds it; the rest is re-read on refresh.
                if let Some(left) = e.grant_left_on {
                    st.shared_launch_role_name = Planned::Known(left);
                    st.launch_role_arn = prior.launch_role_arn.clone();
                }
                applied(Some(&st), err("updating", &name, e.message))
            }
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
        let name = prior.name.get_or(String::new());
        let iam = &c.aws.iam;
        if let Err(e) = announce_deleted(&c, &prior).await {
            return err("deleting", &name, e);
        }
        let want = desired_roles(&prior);
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
        to_value(&Model {
            id: name.into(),
            name: name.into(),
            mode: if shared.is_some() {
                "shared"
            } else {
                "private"
            }
            .into(),
            shared_launch_role_name: shared.map(str::to_string).into(),
            ..Model::default()
        })
    }
}

/// The resources of the statement with this sid, as a set attribute.
fn resources_of(d: &PolicyDocument, sid: &str) -> PlannedList<String> {
    set_of(
        by_sid(d, sid)
            .map(|s| s.resources.iter().cloned().collect())
            .unwrap_or_default(),
    )
}

/// The resource part of an ARN (after the fifth colon).
fn arn_resource(arn: &str) -> &str {
    arn.splitn(6, ':').nth(5).unwrap_or_default()
}

/// The configuration a job runtime policy's statements show.
fn import_job_policy(st: &mut Model, jd: &PolicyDocument) {
    if let Some(arn) = by_sid(jd, "ResourceBucket").and_then(|s| s.resources.iter().next()) {
        let res = arn_resource(arn);
        let (bucket, prefix) = res.split_once('/').unwrap_or((res, ""));
        st.resource_bucket = bucket.into();
        let prefix = prefix.trim_end_matches('*');
        st.resource_prefix = (!prefix.is_empty()).then(|| prefix.to_string()).into();
    }
    let reads: Vec<String> = jd
        .statements
        .iter()
        .filter(|s| {
            s.sid
                .as_deref()
                .is_some_and(|x| x.starts_with("ReadBucket") && !x.ends_with("List"))
        })
        .flat_map(|s| s.resources.iter())
        .map(|a| {
            arn_resource(a)
                .split('/')
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    st.read_bucket_names = set_of(reads);
    st.kms_key_arns = resources_of(jd, "KmsKeys");
    st.assumable_role_arns = resources_of(jd, "AssumeCustomerRoles");
}

/// The networking a launch policy's statements show.
fn import_launch_policy(st: &mut Model, ld: &PolicyDocument) {
    let Some(s) = by_sid(ld, "NetworkInterfacesViaEmrServerless") else {
        return;
    };
    let pick = |kind: &str| {
        let ids = s
            .resources
            .iter()
            .filter_map(|a| a.split_once(&format!(":{kind}/")));
        PlannedList::of(ids.map(|(_, id)| id.to_string()))
    };
    st.subnet_ids = pick("subnet");
    st.security_group_ids = pick("security-group");
}

/// The control plane a launch role's trust shows.
fn import_launch_trust(st: &mut Model, trust: &str) {
    let Some(t) = PolicyDocument::parse(trust).ok() else {
        return;
    };
    let Some(s) = by_sid(&t, "ControlPlaneAssume") else {
        return;
    };
    st.external_id = cond(s, "sts:ExternalId").into_iter().next().into();
    st.control_plane = Planned::Known(ControlPlane {
        principal_arn: aws_principal(s).into(),
        external_id: Planned::Null,
    });
}

/// Rebuilds the configuration from the statements this provider writes.
async fn import_state(
    current: &Model,
    c: &Configured,
    job: &ObservedRole,
    launch: Option<&ObservedRole>,
) -> Result<Model, String> {
    let name = current.name.get_or(String::new());
    let private = launch.is_some() && current.mode.as_str() != Some("shared");
    let mut st = Model {
        id: current.id.clone(),
        name: current.name.clone(),
        mode: if private { "private" } else { "shared" }.into(),
        shared_launch_role_name: current.shared_launch_role_name.clone(),
        ..Model::default()
    };
    let shared = st.shared_role().map(str::to_string);
    let launch_doc = match (private, launch, &shared) {
        (true, Some(l), _) => l.inline.get(LAUNCH_POLICY).cloned(),
        (false, _, Some(r)) => {
            managed_role::read_grant(&c.aws.iam, r, &shared_policy_name(&name)).await?
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
    import_job_policy(&mut st, &jd);
    let trust = PolicyDocument::parse(&job.trust).ok();
    let tip = trust
        .as_ref()
        .and_then(|t| by_sid(t, "EmrServerlessAssume"));
    st.trusted_identity_propagation =
        Planned::Known(tip.is_some_and(|s| s.actions.contains("sts:SetContext")));
    st.permissions_boundary = job.boundary.clone().into();
    if let Some(ld) = launch_doc
        .as_deref()
        .and_then(|d| PolicyDocument::parse(d).ok())
    {
        import_launch_policy(&mut st, &ld);
    }
    if let (true, Some(l)) = (private, launch) {
        import_launch_trust(&mut st, &l.trust);
    }
    let own = job
        .user_tags()
        .into_iter()
        .filter(|(k, v)| c.default_tags.get(k) != Some(v));
    st.tags = map_of(own.collect());
    st.tags_all = st.tags.overlaid_on(&c.default_tags);
    let shared_arn = match shared {
        Some(r) if !private => shared_role_arn(c, &r).await.ok(),
        _ => None,
    };
    compute(&env_of(c), &mut st, shared_arn.as_deref());
    Ok(st)
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

    fn env() -> ArnScope {
        ArnScope {
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
    fn an_account_root_control_plane_is_warned_about() {
        let with = |arn: &str| {
            let m = Model {
                mode: "private".into(),
                control_plane: Planned::Known(ControlPlane {
                    principal_arn: arn.into(),
                    external_id: Planned::Null,
                }),
                ..Model::default()
            };
            root_warning(&m)
        };
        let d = with("arn:aws:iam::999988887777:root");
        let w: Vec<_> = d.iter().collect();
        assert_eq!(w.len(), 1);
        assert!(!d.has_errors());
        assert_eq!(
            w[0].path.as_ref().map(|p| p.to_string()).as_deref(),
            Some("control_plane.principal_arn")
        );
        assert!(
            w[0].detail.contains("arn:aws:iam::999988887777:role/"),
            "{}",
            w[0].detail
        );
        assert!(with("arn:aws:iam::999988887777:role/control-plane").is_empty());
        assert!(with("arn:aws:iam::999988887777:user/root").is_empty());
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
