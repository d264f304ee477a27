//! The AWS side of a launch function: its roles, launcher Lambda, state
//! machine and metadata parameter, applied, read and deleted from the
//! typed [`Model`].

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value as Json};
use tokio_util::sync::CancellationToken;

use super::*;
use crate::aws::errors::is_not_found;
use crate::aws::managed_role::{
    self, DesiredRole, ObservedRole, Ownership, RoleChange, RoleGrant, OWNER_TAG,
};
use crate::aws::state_machine::{
    check_adoptable, created, deleted, describe_state_machine, owned_tags, retried, sfn_tags,
    state_machine_tags, step, sync_sfn_tags, tag_changes, StepResult,
};
use crate::iam::consistency::Backoff;

pub(super) const ROLE_DESCRIPTION: &str =
    "EMR launch function role managed by Terraform (emrlaunch/emr)";

/// The provenance every object the function creates carries as its
/// [`OWNER_TAG`] (roles, launcher, state machine): the next apply adopts
/// what a failed one made, and an object of the same name made by anything
/// else is refused. It never appears in `tags` or `tags_all`.
pub fn owner_of(id: &str) -> String {
    format!("{TYPE_NAME}/{id}")
}

/// The clients and facts applying, reading and deleting a function need: a
/// view of `Configured` (tests build it from mocked clients).
#[derive(Clone, Debug)]
pub struct FunctionAws {
    pub iam: aws_sdk_iam::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub sfn: aws_sdk_sfn::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub env: ArnScope,
    pub backoff: Backoff,
}

impl FunctionAws {
    pub fn of(c: &Configured) -> FunctionAws {
        FunctionAws {
            iam: c.aws.iam.clone(),
            lambda: c.aws.lambda.clone(),
            sfn: c.aws.sfn.clone(),
            ssm: c.aws.ssm.clone(),
            env: env_of(c),
            backoff: Backoff::default(),
        }
    }
}

// -- roles --

/// One of the function's roles as the reconciler wants it: this trust, this
/// one inline policy, no managed policy, no boundary, the function's tags.
fn desired_role(
    name: &str,
    owner: &str,
    trust: String,
    (policy_name, policy): (&str, String),
    tags: &BTreeMap<String, String>,
) -> DesiredRole {
    let mut d = DesiredRole::new(name, owner, trust);
    d.description = Some(ROLE_DESCRIPTION.to_string());
    d.inline.insert(policy_name.to_string(), policy);
    d.tags = tags.clone();
    d.tags.remove(OWNER_TAG);
    d
}

/// The role's policy as IAM has it: our inline policy with the statements of
/// any other inline policy added (so the plan shows them; apply removes them).
fn combined_policy(role: &ObservedRole, ours: &str) -> StepResult<Option<String>> {
    let mut statements: Vec<Json> = Vec::new();
    for (n, doc) in &role.inline {
        let v: Json =
            serde_json::from_str(doc).map_err(|e| format!("policy {n} of {}: {e}", role.name))?;
        match v.get("Statement") {
            Some(Json::Array(a)) => statements.extend(a.iter().cloned()),
            Some(s) => statements.push(s.clone()),
            None => {}
        }
    }
    if !role.inline.contains_key(ours) && statements.is_empty() {
        return Ok(None);
    }
    let doc = json!({"Version": "2012-10-17", "Statement": statements});
    let text = crate::canonical::text(&doc);
    Ok(Some(policy::canonicalize(&text).unwrap_or(text)))
}

/// Records a role as IAM has it: its trust policy and policy (`""` when
/// the role is gone), and every attached managed policy (the plan wants
/// none, so one attached out of band shows as a change that apply detaches).
pub(super) fn record_role(
    st: &mut Model,
    role: Option<&ObservedRole>,
    which: FnRole,
) -> StepResult<()> {
    let trust = role.map(|r| policy::canonicalize(&r.trust).unwrap_or_else(|_| r.trust.clone()));
    let pol = match role {
        Some(r) => combined_policy(r, which.policy_name())?,
        None => None,
    };
    let (t, p, managed) = which.docs_mut(st);
    *t = reconcile_text(t.as_str(), trust, true);
    *p = reconcile_text(p.as_str(), pol, true);
    *managed = PlannedList::of(role.map(|r| r.managed.clone()).unwrap_or_default());
    Ok(())
}

/// Deletes one of the function's roles when it is ours: tagged for this
/// function, or untagged and recorded in state. Any other role of that name
/// is someone else's and stays.
async fn delete_owned_role(
    iam: &aws_sdk_iam::Client,
    name: &str,
    owner: &str,
    recorded: bool,
) -> StepResult<()> {
    if !recorded {
        match managed_role::read(iam, name, None).await? {
            Some(r) if r.ownership(owner) == Ownership::Ours => {}
            _ => return Ok(()),
        }
    }
    managed_role::delete(iam, name, owner, None, recorded).await
}

/// Deletes the state machine when it is ours (tagged, or recorded in state).
async fn delete_state_machine(
    sfn: &aws_sdk_sfn::Client,
    r: &FunctionResources,
    owner: &str,
    recorded: bool,
) -> StepResult<()> {
    let arn = &r.state_machine_arn;
    if !recorded {
        if describe_state_machine(sfn, arn).await?.is_none() {
            return Ok(());
        }
        let tags = state_machine_tags(sfn, arn).await?;
        if tags.get(OWNER_TAG).map(String::as_str) != Some(owner) {
            return Ok(());
        }
    }
    let r = sfn
        .delete_state_machine()
        .state_machine_arn(arn)
        .send()
        .await;
    deleted("deleting state machine", r)
}

// -- the launcher --

struct RemoteLauncher {
    code_sha256: String,
    configuration: Json,
    tags: BTreeMap<String, String>,
}

async fn get_launcher(
    lambda: &aws_sdk_lambda::Client,
    name: &str,
) -> StepResult<Option<RemoteLauncher>> {
    let o = match lambda.get_function().function_name(name).send().await {
        Ok(o) => o,
        Err(e) if is_not_found(&e) => return Ok(None),
        r => return step(format!("reading launcher {name}"), r).map(|_| None),
    };
    let Some(cfg) = o.configuration() else {
        return Ok(None);
    };
    let vars = cfg.environment().and_then(|e| e.variables());
    let vars: Map<String, Json> = vars
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), Json::String(v.clone())))
        .collect();
    let mut configuration = json!({
        "Runtime": cfg.runtime().map(|r| r.as_str().to_string()).unwrap_or_default(),
        "Handler": cfg.handler().unwrap_or_default(),
        "Role": cfg.role().unwrap_or_default(),
        "Timeout": cfg.timeout().unwrap_or_default(),
        "MemorySize": cfg.memory_size().unwrap_or_default(),
        "Environment": vars
    });
    // A layer's code is imported before the launcher's own (a patched boto3,
    // say) and runs as the launcher role: the launcher has none, so one put
    // on outside Terraform is drift, shown in launcher_configuration_json.
    let layers: Vec<&str> = cfg.layers().iter().filter_map(|l| l.arn()).collect();
    if !layers.is_empty() {
        configuration["Layers"] = json!(layers);
    }
    Ok(Some(RemoteLauncher {
        code_sha256: cfg.code_sha256().unwrap_or_default().to_string(),
        configuration,
        tags: o
            .tags()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }))
}

/// The launcher's environment: none ([`launcher_configuration`]).
fn lambda_environment() -> aws_sdk_lambda::types::Environment {
    aws_sdk_lambda::types::Environment::builder()
        .set_variables(Some(HashMap::new()))
        .build()
}

async fn create_launcher(
    aws: &FunctionAws,
    cancel: &CancellationToken,
    i: &Inputs,
    package: &[u8],
    tags: &BTreeMap<String, String>,
) -> StepResult<bool> {
    let tags: HashMap<String, String> = tags.clone().into_iter().collect();
    let description = format!("EMR launch function {} launcher (emrlaunch/emr)", i.id);
    let code = aws_sdk_lambda::types::FunctionCode::builder()
        .zip_file(aws_smithy_types::Blob::new(package.to_vec()))
        .build();
    let what = format!("creating launcher {}", i.resources.launcher);
    let create = || {
        aws.lambda
            .create_function()
            .function_name(&i.resources.launcher)
            .runtime(aws_sdk_lambda::types::Runtime::from(launcher::RUNTIME))
            .role(&i.resources.launcher_role_arn)
            .handler(launcher::HANDLER)
            .timeout(launcher::TIMEOUT_SECONDS)
            .memory_size(launcher::MEMORY_MB)
            .description(&description)
            .environment(lambda_environment())
            .code(code.clone())
            .set_tags(Some(tags.clone()))
            .send()
    };
    created(
        &aws.backoff,
        cancel,
        &what,
        "ResourceConflictException",
        create,
    )
    .await
}

/// Brings an existing launcher's code, settings and tags to the plan.
async fn update_launcher(
    aws: &FunctionAws,
    cancel: &CancellationToken,
    i: &Inputs,
    package: &[u8],
    remote: &RemoteLauncher,
    tags: &BTreeMap<String, String>,
) -> StepResult<()> {
    let (name, lambda) = (&i.resources.launcher, &aws.lambda);
    if remote.code_sha256 != launcher::code_sha256(package) {
        let zip = aws_smithy_types::Blob::new(package.to_vec());
        let r = lambda
            .update_function_code()
            .function_name(name)
            .zip_file(zip);
        step("updating launcher code", r.send().await)?;
    }
    if remote.configuration != launcher_configuration(i) {
        // An empty list removes every layer.
        let layers = remote.configuration.get("Layers").map(|_| Vec::new());
        let update = || {
            lambda
                .update_function_configuration()
                .function_name(name)
                .runtime(aws_sdk_lambda::types::Runtime::from(launcher::RUNTIME))
                .role(&i.resources.launcher_role_arn)
                .handler(launcher::HANDLER)
                .timeout(launcher::TIMEOUT_SECONDS)
                .memory_size(launcher::MEMORY_MB)
                .environment(lambda_environment())
                .set_layers(layers.clone())
                .send()
        };
        retried(
            &aws.backoff,
            cancel,
            "updating launcher configuration",
            update,
        )
        .await?;
    }
    let arn = &i.resources.launcher_arn;
    let (stale, set) = tag_changes(&remote.tags, tags);
    if !stale.is_empty() {
        let r = lambda
            .untag_resource()
            .resource(arn)
            .set_tag_keys(Some(stale));
        step("untagging launcher", r.send().await)?;
    }
    if !set.is_empty() {
        let r = lambda
            .tag_resource()
            .resource(arn)
            .set_tags(Some(set.into_iter().collect()));
        step("tagging launcher", r.send().await)?;
    }
    Ok(())
}

/// Deletes the launcher function when it is ours (tagged, or recorded in state).
async fn delete_launcher_function(
    lambda: &aws_sdk_lambda::Client,
    r: &FunctionResources,
    owner: &str,
    recorded: bool,
) -> StepResult<()> {
    if !recorded {
        match get_launcher(lambda, &r.launcher).await? {
            Some(l) if l.tags.get(OWNER_TAG).map(String::as_str) == Some(owner) => {}
            _ => return Ok(()),
        }
    }
    let d = lambda
        .delete_function()
        .function_name(&r.launcher)
        .send()
        .await;
    deleted(format!("deleting launcher {}", r.launcher), d)
}

// -- the service role's secret grant --

/// The secret grant a function state records (on the profile's service role).
fn recorded_grant(st: &Model, function_role: &str) -> Option<RoleGrant> {
    let document = st.service_role_secret_policy_json.as_str()?;
    let service_role = st.profile.known()?.service_role_arn.as_str()?;
    Some(secret_grant::role_grant(
        service_role,
        function_role,
        document.to_string(),
    ))
}

// ---------- apply ----------

/// One of the function's two roles.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum FnRole {
    Execution,
    Launcher,
}

impl FnRole {
    fn part(self) -> Part {
        match self {
            FnRole::Execution => Part::ExecutionRole,
            FnRole::Launcher => Part::LauncherRole,
        }
    }
    pub(super) fn prefix(self) -> &'static str {
        match self {
            FnRole::Execution => "role",
            FnRole::Launcher => "launcher_role",
        }
    }
    pub(super) fn policy_name(self) -> &'static str {
        match self {
            FnRole::Execution => EXECUTION_POLICY,
            FnRole::Launcher => LAUNCHER_POLICY,
        }
    }
    fn name(self, r: &FunctionResources) -> &str {
        match self {
            FnRole::Execution => &r.role,
            FnRole::Launcher => &r.launcher_role,
        }
    }
    /// (trust policy, policy) of the role in a model.
    fn docs(self, m: &Model) -> (&Planned<String>, &Planned<String>) {
        match self {
            FnRole::Execution => (&m.role_trust_policy_json, &m.role_policy_json),
            FnRole::Launcher => (
                &m.launcher_role_trust_policy_json,
                &m.launcher_role_policy_json,
            ),
        }
    }
    /// (trust policy, policy, managed policy ARNs) of the role in a model.
    fn docs_mut(
        self,
        m: &mut Model,
    ) -> (
        &mut Planned<String>,
        &mut Planned<String>,
        &mut PlannedList<String>,
    ) {
        match self {
            FnRole::Execution => (
                &mut m.role_trust_policy_json,
                &mut m.role_policy_json,
                &mut m.role_managed_policy_arns,
            ),
            FnRole::Launcher => (
                &mut m.launcher_role_trust_policy_json,
                &mut m.launcher_role_policy_json,
                &mut m.launcher_role_managed_policy_arns,
            ),
        }
    }
}

/// What each apply step settles: its attributes are copied from the plan
/// into the recorded state once the step is done. The marker's presence
/// records that the part is the function's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Part {
    LauncherRole,
    Launcher,
    ExecutionRole,
    /// The grant's place is the profile's service role.
    Grant,
    Definition,
}

impl Part {
    const MADE_BY_STEPS: [Part; 5] = [
        Part::LauncherRole,
        Part::Launcher,
        Part::ExecutionRole,
        Part::Grant,
        Part::Definition,
    ];

    fn marker(self, m: &Model) -> &Planned<String> {
        match self {
            Part::LauncherRole => &m.launcher_role_arn,
            Part::Launcher => &m.launcher_function_arn,
            Part::ExecutionRole => &m.role_trust_policy_json,
            Part::Grant => &m.service_role_secret_policy_json,
            Part::Definition => &m.definition_json,
        }
    }

    pub(super) fn recorded(self, m: &Model) -> bool {
        !self.marker(m).is_null()
    }

    /// Copies the part's attributes (or only its marker, the first) from
    /// `from` to `to`.
    pub(super) fn copy(self, from: &Model, to: &mut Model, marker_only: bool) {
        macro_rules! copy {
            ($m:ident $(, $f:ident)*) => {{
                to.$m = from.$m.clone();
                if !marker_only {
                    $( to.$f = from.$f.clone(); )*
                }
            }};
        }
        match self {
            Part::LauncherRole => copy!(
                launcher_role_arn,
                launcher_role_trust_policy_json,
                launcher_role_policy_json,
                launcher_role_managed_policy_arns
            ),
            Part::Launcher => copy!(
                launcher_function_arn,
                launcher_configuration_json,
                launcher_source_code_hash,
                launcher_launch_json
            ),
            Part::ExecutionRole => copy!(
                role_trust_policy_json,
                role_policy_json,
                role_managed_policy_arns
            ),
            Part::Grant => copy!(service_role_secret_policy_json, profile),
            Part::Definition => copy!(definition_json),
        }
    }
}

/// One create or update. `state` is what exists so far, and what a failure
/// records: the prior state (on create, the plan without any part made yet)
/// with each finished step's planned attributes copied in.
struct FunctionApply<'a> {
    aws: &'a FunctionAws,
    cancel: &'a CancellationToken,
    planned: &'a Model,
    creating: bool,
    inputs: Inputs,
    owner: String,
    tags: BTreeMap<String, String>,
    state: Model,
}

/// Brings everything to `planned`; `prior` is None on create. Ok: the new
/// state. Err: the state of what exists (never simply the prior state when
/// something was made; None when nothing exists) and what failed.
pub async fn apply_function(
    aws: &FunctionAws,
    cancel: &CancellationToken,
    planned: &Model,
    prior: Option<&Model>,
) -> Result<Model, (Option<Model>, String)> {
    let Some(inputs) = inputs(&aws.env, planned) else {
        let msg = "the planned inputs are unknown at apply";
        return Err((prior.cloned(), msg.into()));
    };
    let state = match prior {
        Some(p) => p.clone(),
        None => {
            let mut s = planned.clone();
            let nothing = Model::default();
            for part in Part::MADE_BY_STEPS {
                // The grant's place (the profile) is the plan's already.
                part.copy(&nothing, &mut s, part == Part::Grant);
            }
            s
        }
    };
    let mut run = FunctionApply {
        aws,
        cancel,
        planned,
        creating: prior.is_none(),
        owner: owner_of(&inputs.id),
        tags: planned.tags_all.known_entries(),
        inputs,
        state,
    };
    match run.steps().await {
        Ok(()) => Ok(planned.clone()),
        Err(e) => Err((Some(run.state), e)),
    }
}

impl FunctionApply<'_> {
    async fn steps(&mut self) -> StepResult<()> {
        // The launcher, only for Kerberos attributes, before the state
        // machine that invokes it.
        if self.inputs.has_launcher() {
            self.role(FnRole::Launcher).await?;
            self.launcher_function().await?;
        }
        self.role(FnRole::Execution).await?;
        // The service role may resolve the configuration's secrets before
        // the first launch needs it; a grant left on a role the profile no
        // longer uses is removed.
        self.secret_grant().await?;
        self.state_machine().await?;
        // No launcher any more: removed once the state machine stopped using it.
        if !self.inputs.has_launcher() {
            self.retire_launcher().await?;
        }
        self.metadata().await
    }

    fn recorded(&self, part: Part) -> bool {
        part.recorded(&self.state)
    }

    /// The step made the part's planned attributes true.
    fn settle(&mut self, part: Part) {
        part.copy(self.planned, &mut self.state, false);
    }

    /// The step made the part the function's.
    fn settle_marker(&mut self, part: Part) {
        part.copy(self.planned, &mut self.state, true);
    }

    /// Reconciles one of the function's roles with its planned documents.
    /// An untagged role is adopted only when the state records it.
    async fn role(&mut self, which: FnRole) -> StepResult<()> {
        let what = match which {
            FnRole::Execution => "execution role",
            FnRole::Launcher => "launcher role",
        };
        let (trust, policy) = which.docs(self.planned);
        let text = |v: &Planned<String>, k: &str| {
            let unknown = || format!("{what}: {}_{k} is unknown at apply", which.prefix());
            v.as_str().map(str::to_string).ok_or_else(unknown)
        };
        let want = desired_role(
            which.name(&self.inputs.resources),
            &self.owner,
            text(trust, "trust_policy_json")?,
            (which.policy_name(), text(policy, "policy_json")?),
            &self.tags,
        );
        let part = which.part();
        match managed_role::reconcile(&self.aws.iam, &want, self.recorded(part)).await {
            Ok(_) => {
                self.settle(part);
                Ok(())
            }
            Err(e) => {
                // Created before the failure: it is the function's now.
                if e.done.contains(&RoleChange::Create) {
                    self.settle_marker(part);
                }
                Err(format!("{what}: {}", e.message))
            }
        }
    }

    async fn launcher_function(&mut self) -> StepResult<()> {
        let package = launcher::package(&self.inputs.launcher_launch());
        let tags = owned_tags(&self.tags, &self.owner);
        let name = self.inputs.resources.launcher.clone();
        let mut remote = get_launcher(&self.aws.lambda, &name).await?;
        if remote.is_none() {
            let i = &self.inputs;
            if create_launcher(self.aws, self.cancel, i, &package, &tags).await? {
                self.settle(Part::Launcher);
                return Ok(());
            }
            // Made by a create whose answer was lost: ours if it has our tag.
            remote = get_launcher(&self.aws.lambda, &name).await?;
        }
        let Some(remote) = remote else {
            return Err(format!(
                "creating launcher {name}: it exists, yet cannot be read"
            ));
        };
        let recorded = self.recorded(Part::Launcher);
        let what = format!("Lambda function {name}");
        check_adoptable(
            &what,
            &remote.tags,
            &self.owner,
            recorded,
            "launch function",
        )?;
        self.settle_marker(Part::Launcher);
        let i = &self.inputs;
        update_launcher(self.aws, self.cancel, i, &package, &remote, &tags).await?;
        self.settle(Part::Launcher);
        Ok(())
    }

    /// Moves the grant (old role first), puts it, or removes it; a failure
    /// records the grant actually in place.
    async fn secret_grant(&mut self) -> StepResult<()> {
        let role = &self.inputs.resources.role;
        let prior = recorded_grant(&self.state, role);
        let want = recorded_grant(self.planned, role);
        match managed_role::reconcile_grant(&self.aws.iam, prior.as_ref(), want.as_ref()).await {
            Ok(_) => {
                self.settle(Part::Grant);
                Ok(())
            }
            Err((in_place, e)) => {
                if in_place.is_none() {
                    self.state.service_role_secret_policy_json = Planned::Null;
                }
                Err(format!("the service role's secret grant: {e}"))
            }
        }
    }

    async fn state_machine(&mut self) -> StepResult<()> {
        let def = self.planned.definition_json.as_str();
        let def = def
            .ok_or("definition_json is unknown at apply")?
            .to_string();
        let r = self.inputs.resources.clone();
        let (aws, sfn) = (self.aws, &self.aws.sfn);
        let tags = owned_tags(&self.tags, &self.owner);
        let Some((have_def, have_role)) = describe_state_machine(sfn, &r.state_machine_arn).await?
        else {
            let what = format!("creating state machine {}", r.state_machine);
            let create = || {
                sfn.create_state_machine()
                    .name(&r.state_machine)
                    .definition(&def)
                    .role_arn(&r.role_arn)
                    .r#type(aws_sdk_sfn::types::StateMachineType::Standard)
                    .set_tags(Some(sfn_tags(&tags)))
                    .send()
            };
            retried(&aws.backoff, self.cancel, &what, create).await?;
            self.settle(Part::Definition);
            return Ok(());
        };
        let have_tags = state_machine_tags(sfn, &r.state_machine_arn).await?;
        let what = format!("state machine {}", r.state_machine);
        let recorded = self.recorded(Part::Definition);
        check_adoptable(&what, &have_tags, &self.owner, recorded, "launch function")?;
        if !recorded {
            // Ours, content not yet the plan's.
            self.state.definition_json = known("");
        }
        if !metadata::same(&have_def, &def) || have_role != r.role_arn {
            let update = || {
                sfn.update_state_machine()
                    .state_machine_arn(&r.state_machine_arn)
                    .definition(&def)
                    .role_arn(&r.role_arn)
                    .send()
            };
            retried(&aws.backoff, self.cancel, "updating state machine", update).await?;
        }
        sync_sfn_tags(sfn, &r.state_machine_arn, &have_tags, &tags).await?;
        self.settle(Part::Definition);
        Ok(())
    }

    async fn retire_launcher(&mut self) -> StepResult<()> {
        let r = self.inputs.resources.clone();
        let recorded = self.recorded(Part::Launcher);
        delete_launcher_function(&self.aws.lambda, &r, &self.owner, recorded).await?;
        self.settle(Part::Launcher);
        let recorded = self.recorded(Part::LauncherRole);
        delete_owned_role(&self.aws.iam, &r.launcher_role, &self.owner, recorded)
            .await
            .map_err(|e| format!("launcher role: {e}"))?;
        self.settle(Part::LauncherRole);
        Ok(())
    }

    async fn metadata(&mut self) -> StepResult<()> {
        let (Some(pname), Some(doc)) = (
            self.planned.parameter_name.as_str(),
            self.planned.metadata_json.as_str(),
        ) else {
            return Err("the metadata parameter is unknown at apply".into());
        };
        if self.creating
            || self.state.metadata_json.as_str() != Some(doc)
            || self.state.tags_all.known_entries() != self.tags
        {
            metadata::put(&self.aws.ssm, pname, doc, "EMR launch function", &self.tags)
                .await
                .map_err(|e| format!("writing {pname}: {e}"))?;
        }
        self.state.metadata_json = self.planned.metadata_json.clone();
        self.state.tags = self.planned.tags.clone();
        self.state.tags_all = self.planned.tags_all.clone();
        Ok(())
    }
}

// ---------- read and delete ----------

/// Records what AWS holds for every part the state records; whatever is
/// missing or changed shows as drift that apply repairs. None when nothing
/// of the function is left.
pub(super) async fn refresh(
    aws: &FunctionAws,
    current: &Model,
    mut st: Model,
    stored: Option<String>,
) -> StepResult<Option<Model>> {
    let (ns, n) = (
        st.namespace.as_str().unwrap_or_default(),
        st.name.as_str().unwrap_or_default(),
    );
    let r = FunctionResources::derive(&aws.env, ns, n);
    let [has_sm, has_role, has_launcher_role, has_launcher] = [
        Part::Definition,
        Part::ExecutionRole,
        Part::LauncherRole,
        Part::Launcher,
    ]
    .map(|p| p.recorded(&st));
    let sm = read_if(
        has_sm,
        describe_state_machine(&aws.sfn, &r.state_machine_arn),
    )
    .await?;
    let role = read_if(has_role, managed_role::read(&aws.iam, &r.role, None)).await?;
    let launcher = read_if(has_launcher, get_launcher(&aws.lambda, &r.launcher)).await?;
    let launcher_role = read_if(
        has_launcher_role,
        managed_role::read(&aws.iam, &r.launcher_role, None),
    )
    .await?;
    if stored.is_none()
        && sm.is_none()
        && role.is_none()
        && launcher.is_none()
        && launcher_role.is_none()
    {
        return Ok(None);
    }
    if has_sm {
        let (def, sm_role) = sm.unzip();
        let recorded = current.definition_json.as_str();
        let recorded = recorded.or(st.definition_json.as_str());
        st.definition_json = reconcile_text(recorded, def, false);
        if let Some(role_arn) = sm_role {
            st.role_arn = known(role_arn);
        }
    }
    let roles = [
        (FnRole::Execution, has_role, role),
        (FnRole::Launcher, has_launcher_role, launcher_role),
    ];
    for (which, recorded, observed) in roles {
        if recorded {
            record_role(&mut st, observed.as_ref(), which)?;
        }
    }
    if let Some(g) = recorded_grant(&st, &r.role) {
        let remote = managed_role::read_grant(&aws.iam, &g.role, &g.policy)
            .await?
            .map(|d| policy::canonicalize(&d).unwrap_or(d));
        st.service_role_secret_policy_json = reconcile_text(Some(&g.document), remote, true);
    }
    if has_launcher {
        record_launcher(&mut st, launcher);
    }
    st.metadata_json = match stored {
        None => known(""),
        Some(doc) => known(metadata::reconcile(st.metadata_json.as_str(), &doc)),
    };
    Ok(Some(st))
}

/// The read's answer when `recorded`, else None without calling AWS.
async fn read_if<T>(
    recorded: bool,
    read: impl std::future::Future<Output = StepResult<Option<T>>>,
) -> StepResult<Option<T>> {
    match recorded {
        true => read.await,
        false => Ok(None),
    }
}

fn record_launcher(st: &mut Model, launcher: Option<RemoteLauncher>) {
    let Some(l) = launcher else {
        st.launcher_source_code_hash = known("");
        st.launcher_configuration_json = known("");
        return;
    };
    st.launcher_source_code_hash = known(l.code_sha256);
    let remote = crate::canonical::text(&l.configuration);
    let current = st.launcher_configuration_json.as_str();
    st.launcher_configuration_json = reconcile_text(current, Some(remote), false);
}

/// Removes everything the state records, and anything of the function's
/// names tagged for it (left by a failed apply); other objects stay.
pub(super) async fn delete_function(aws: &FunctionAws, prior: &Model) -> StepResult<()> {
    let (Some(ns), Some(n)) = (prior.namespace.as_str(), prior.name.as_str()) else {
        return Ok(());
    };
    let r = FunctionResources::derive(&aws.env, ns, n);
    let owner = owner_of(&format!("{ns}/{n}"));
    let has = |p: Part| p.recorded(prior);
    delete_state_machine(&aws.sfn, &r, &owner, has(Part::Definition)).await?;
    delete_launcher_function(&aws.lambda, &r, &owner, has(Part::Launcher)).await?;
    delete_owned_role(&aws.iam, &r.launcher_role, &owner, has(Part::LauncherRole))
        .await
        .map_err(|e| format!("launcher role: {e}"))?;
    if let Some(g) = recorded_grant(prior, &r.role) {
        managed_role::reconcile_grant(&aws.iam, Some(&g), None)
            .await
            .map_err(|(_, e)| format!("removing the secret grant from {}: {e}", g.role))?;
    }
    delete_owned_role(&aws.iam, &r.role, &owner, has(Part::ExecutionRole))
        .await
        .map_err(|e| format!("execution role: {e}"))?;
    if let Some(p) = prior.parameter_name.as_str() {
        metadata::delete(&aws.ssm, p).await?;
    }
    Ok(())
}

/// What read records for a remote document: the state's text when it means
/// the same, else the remote text (the plan then shows the drift).
fn reconcile_text(
    current: Option<&str>,
    remote: Option<String>,
    is_policy: bool,
) -> Planned<String> {
    let same = |a: &str, b: &str| match is_policy {
        true => policy::equivalent(a, b),
        false => metadata::same(a, b),
    };
    match (current, remote) {
        (_, None) => known(""),
        (Some(cur), Some(r)) if cur == r || same(cur, &r) => known(cur),
        (_, Some(r)) => known(r),
    }
}
