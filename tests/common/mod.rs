//! Acceptance-test harness: an AWS emulator (moto) per test, and Terraform
//! workspaces that load the provider binary built by Cargo through a
//! `dev_overrides` CLI configuration.
//!
//! Nothing here depends on the provider's library code: the tests drive the
//! real binary through real Terraform, and check the emulator independently
//! through aws-sdk-emr and moto's own API.
#![allow(dead_code)] // each test binary uses a different subset

use std::fs::{self, File};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "../support/moto_http.rs"]
pub mod moto_http;
use tempfile::TempDir;

/// How long the emulator may take to answer after it was spawned. moto imports
/// a lot of Python on start; on a loaded 2-core CI machine that can take a while.
const EMULATOR_START_TIMEOUT: Duration = Duration::from_secs(90);
/// Upper bound for one Terraform command, so a hung provider fails the test
/// instead of hanging CI.
const TERRAFORM_TIMEOUT: Duration = Duration::from_secs(300);

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The provider binary Cargo built for this test run.
pub fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-emr"))
}

// ---------------------------------------------------------------------------
// Emulator
// ---------------------------------------------------------------------------

/// A moto server on a free loopback port, owned by this test. Dropping it kills
/// the process (by PID, via `Child`) and reaps it.
pub struct Emulator {
    child: Child,
    port: u16,
    /// Holds moto's stderr log and the recorder file: moto writes recordings to
    /// `MOTO_RECORDER_FILEPATH` (default `./moto_recording`), so each emulator
    /// needs its own, or parallel test binaries would read each other's calls.
    dir: TempDir,
}

fn moto_server_path() -> PathBuf {
    let path = match std::env::var_os("EMR_TEST_MOTO_SERVER") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => manifest_dir().join(".tools/venv/bin/moto_server"),
    };
    assert!(
        path.is_file(),
        "moto_server not found at {} (set EMR_TEST_MOTO_SERVER, or run `make tools`)",
        path.display()
    );
    path
}

/// The directory of the harness's moto start-up hook (sitecustomize.py).
pub fn moto_hooks_dir() -> PathBuf {
    manifest_dir().join("tests/support/moto")
}

fn free_port() -> u16 {
    // The OS picks a free port; we release it and hand it to moto. Another
    // process could grab it in between, so `start` retries on a failed bind.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().unwrap().port()
}

impl Emulator {
    pub fn start() -> Emulator {
        Self::start_with_env(&[])
    }

    /// `start` with extra environment for moto, e.g.
    /// `("INITIAL_NO_AUTH_ACTION_COUNT", "3")`: the first 3 requests are
    /// served unauthenticated, every later one must be signed by an IAM
    /// user's access key whose policies allow the action.
    pub fn start_with_env(env: &[(&str, &str)]) -> Emulator {
        let moto = moto_server_path();
        let mut last_err = String::new();
        for _attempt in 0..3 {
            match Self::try_start(&moto, env) {
                Ok(emulator) => return emulator,
                Err(e) => last_err = e,
            }
        }
        panic!(
            "could not start the emulator ({}):\n{last_err}",
            moto.display()
        );
    }

    fn try_start(moto: &Path, env: &[(&str, &str)]) -> Result<Emulator, String> {
        let dir = tempfile::Builder::new()
            .prefix("emr-moto-")
            .tempdir()
            .expect("temp dir");
        let port = free_port();
        let log = File::create(dir.path().join("moto.log")).unwrap();
        let child = Command::new(moto)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .current_dir(dir.path())
            // moto builds URLs it returns (e.g. queue URLs) from MOTO_PORT; it
            // must match the port it listens on.
            .env("MOTO_PORT", port.to_string())
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env("MOTO_RECORDER_FILEPATH", dir.path().join("recording.jsonl"))
            .env_remove("MOTO_ENABLE_RECORDING")
            // tests/support/moto/sitecustomize.py: whole-line recordings.
            .env("PYTHONPATH", moto_hooks_dir())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", moto.display()))?;
        let mut emulator = Emulator { child, port, dir };

        let deadline = Instant::now() + EMULATOR_START_TIMEOUT;
        loop {
            if let Some(status) = emulator.child.try_wait().unwrap() {
                return Err(format!(
                    "moto_server exited with {status} before answering; its log:\n{}",
                    emulator.log()
                ));
            }
            // Posting the config doubles as the readiness probe.
            if emulator.configure().is_ok() {
                // Python reports a failing start-up hook and goes on without
                // the rest of it: the emulator would then be a different one.
                let log = emulator.log();
                assert!(
                    !log.contains("Error in sitecustomize"),
                    "tests/support/moto/sitecustomize.py failed:\n{log}"
                );
                return Ok(emulator);
            }
            if Instant::now() > deadline {
                let log = emulator.log();
                drop(emulator);
                panic!(
                    "moto_server did not answer on 127.0.0.1:{port} within {:?}; its log:\n{log}",
                    EMULATOR_START_TIMEOUT
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Let Step Functions executions actually run their states.
    fn configure(&self) -> Result<(), String> {
        let (status, body) = self.http(
            "POST",
            "/moto-api/config",
            br#"{"stepfunctions":{"execute_state_machine":true}}"#,
        )?;
        if status / 100 == 2 {
            Ok(())
        } else {
            Err(format!("moto-api/config answered {status}: {body}"))
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// moto's own log (stdout and stderr), for failure messages.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("moto.log")).unwrap_or_default()
    }

    /// Forget every resource in every service.
    pub fn reset(&self) {
        self.moto_api("POST", "/moto-api/reset", b"");
        // The Step Functions switch lives in moto's config, not in a backend,
        // so reset keeps it; setting it again costs nothing and is certain.
        self.configure().unwrap();
    }

    /// Every model instance moto created since the last reset, per service,
    /// from `/moto-api/data.json`. Instances stay listed after their resource
    /// is deleted, so this answers "what was ever created", not "what exists".
    pub fn model_data(&self) -> Value {
        let body = self.moto_api("GET", "/moto-api/data.json", b"");
        serde_json::from_str(&body).expect("moto data.json is JSON")
    }

    // -- request recording ---------------------------------------------------
    //
    // moto 5.2's recorder (found by trying it): `POST /moto-api/recorder/
    // start-recording | stop-recording | reset-recording | download-recording`
    // (there is no `clear-recording`; `reset-recording` truncates the file).
    // Every request that reaches a service is appended, as one JSON line
    // `{"headers", "method", "url", "body", "body_encoded"}`, to the file at
    // MOTO_RECORDER_FILEPATH, before the request is handled (so failed and
    // retried calls are recorded too). Bodies are base64 when `body_encoded`.
    // Requests to /moto-api/recorder/ are not recorded; other /moto-api/ calls
    // are, and are skipped below. Download fails (HTTP 500) until the file
    // exists, hence the reset before starting.

    /// Clear the recording and record every request from now on.
    pub fn start_recording(&self) {
        self.moto_api("POST", "/moto-api/recorder/reset-recording", b"");
        self.moto_api("POST", "/moto-api/recorder/start-recording", b"");
    }

    pub fn stop_recording(&self) {
        self.moto_api("POST", "/moto-api/recorder/stop-recording", b"");
    }

    /// The AWS actions received since `start_recording`, in order: the
    /// `X-Amz-Target` header for JSON-protocol services (e.g.
    /// "ElasticMapReduce.DescribeSecurityConfiguration"), `Action=` of the form
    /// body or query for query-protocol services (e.g. "GetCallerIdentity"),
    /// else "<METHOD> <path>" for REST services.
    pub fn recorded_actions(&self) -> Vec<String> {
        let text = self.moto_api("POST", "/moto-api/recorder/download-recording", b"");
        let entries = moto_http::parse_recording(&text);
        entries.iter().filter_map(moto_http::action).collect()
    }

    /// Every request recorded since `start_recording`, as moto wrote it
    /// (`headers`, `method`, `url`, `body`, `body_encoded`), the harness's own
    /// /moto-api/ calls left out.
    pub fn recorded_requests(&self) -> Vec<Value> {
        let text = self.moto_api("POST", "/moto-api/recorder/download-recording", b"");
        let mut entries = moto_http::parse_recording(&text);
        entries.retain(|entry| !moto_http::is_moto_api(entry));
        entries
    }

    /// Recorded actions that may change something: all but Describe*/Get*/
    /// List* (and GET/HEAD for REST services).
    pub fn mutating_actions(&self) -> Vec<String> {
        self.recorded_actions()
            .into_iter()
            .filter(|a| is_mutating(a))
            .collect()
    }

    // -- plain HTTP to moto's API ---------------------------------------------

    fn moto_api(&self, method: &str, path: &str, body: &[u8]) -> String {
        match self.http(method, path, body) {
            Ok((status, body)) if status / 100 == 2 => body,
            Ok((status, body)) => panic!("{method} {path} answered {status}: {body}"),
            Err(e) => panic!("{method} {path}: {e}\nmoto log:\n{}", self.log()),
        }
    }

    fn http(&self, method: &str, path: &str, body: &[u8]) -> Result<(u16, String), String> {
        moto_http::request(self.port, method, path, body)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_mutating(action: &str) -> bool {
    if let Some((method, _path)) = action.split_once(' ') {
        return !matches!(method, "GET" | "HEAD");
    }
    let name = action.rsplit('.').next().unwrap_or(action);
    !["Describe", "Get", "List"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// AWS SDK configuration that talks to the emulator with static test
/// credentials. Built by hand rather than loaded, so no profile file or
/// environment variable of the machine running the tests can leak in.
/// A current-thread runtime and the SDK configuration for the emulator: what
/// every suite's blocking AWS helper is built from.
pub fn blocking_sdk(emulator: &Emulator) -> (tokio::runtime::Runtime, aws_config::SdkConfig) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    (rt, sdk_config(emulator))
}

pub fn sdk_config(emulator: &Emulator) -> aws_config::SdkConfig {
    sdk_config_as(emulator, "testing", "testing")
}

/// `sdk_config` signing with the given access key (e.g. an IAM user's, when
/// the emulator enforces IAM).
pub fn sdk_config_as(emulator: &Emulator, access_key: &str, secret: &str) -> aws_config::SdkConfig {
    use aws_config::{BehaviorVersion, Region};
    use aws_credential_types::provider::SharedCredentialsProvider;
    use aws_credential_types::Credentials;
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .region(Region::new("us-east-1"))
        .endpoint_url(emulator.endpoint())
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            access_key,
            secret,
            None,
            None,
            "emr-tests",
        )))
        .build()
}

// ---------------------------------------------------------------------------
// Terraform
// ---------------------------------------------------------------------------

/// The provider requirement and block (us-east-1) most workspaces start with.
pub const PROVIDER: &str = r#"terraform {
  required_providers {
    emr = { source = "emrlaunch/emr" }
  }
}

provider "emr" {
  region = "us-east-1"
}
"#;

/// The Terraform binaries every acceptance test runs against:
/// `EMR_TEST_TERRAFORM` (colon-separated), else `.tools/terraform-1.0.3/
/// terraform` and `terraform` on PATH.
pub fn terraform_binaries() -> Vec<PathBuf> {
    if let Some(list) = std::env::var_os("EMR_TEST_TERRAFORM").filter(|v| !v.is_empty()) {
        let list = list.to_string_lossy().into_owned();
        // Empty entries come from an unset part, e.g. `$(command -v terraform)`
        // printing nothing; they are not binaries.
        let bins: Vec<PathBuf> = list
            .split(':')
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect();
        assert!(
            !bins.is_empty(),
            "EMR_TEST_TERRAFORM={list:?} names no binary"
        );
        for b in &bins {
            assert!(
                b.is_file(),
                "EMR_TEST_TERRAFORM lists {}, which does not exist",
                b.display()
            );
        }
        return bins;
    }
    let old = manifest_dir().join(".tools/terraform-1.0.3/terraform");
    assert!(
        old.is_file(),
        "{} not found: run `make tools`, or set EMR_TEST_TERRAFORM",
        old.display()
    );
    let on_path = std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("terraform"))
                .find(|c| c.is_file())
        })
        .unwrap_or_else(|| panic!("no `terraform` on PATH; set EMR_TEST_TERRAFORM"));
    vec![old, on_path]
}

/// What one Terraform command did.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// stdout and stderr together, for searching diagnostics.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A temporary Terraform working directory wired to the provider binary and
/// an emulator.
/// A Terraform command started by `Workspace::spawn`.
pub struct Running {
    child: Child,
    what: String,
    out_path: PathBuf,
    err_path: PathBuf,
}

impl Running {
    /// Ctrl-C as a terminal sends it: SIGINT to the whole process group.
    pub fn interrupt(&self) {
        signal_group(self.child.id(), "-INT");
    }

    /// What it has printed to stdout so far.
    pub fn stdout_so_far(&self) -> String {
        fs::read_to_string(&self.out_path).unwrap_or_default()
    }

    /// Wait (at most the harness's Terraform time limit) for its output.
    pub fn wait(mut self) -> Output {
        let status = wait_with_deadline(&mut self.child, TERRAFORM_TIMEOUT).unwrap_or_else(|| {
            panic!(
                "{} did not finish within {:?}\nstdout:\n{}\nstderr:\n{}",
                self.what,
                TERRAFORM_TIMEOUT,
                fs::read_to_string(&self.out_path).unwrap_or_default(),
                fs::read_to_string(&self.err_path).unwrap_or_default()
            )
        });
        Output {
            code: status.code().unwrap_or(-1),
            stdout: fs::read_to_string(&self.out_path).unwrap_or_default(),
            stderr: fs::read_to_string(&self.err_path).unwrap_or_default(),
        }
    }
}

pub struct Workspace {
    dir: TempDir,
    terraform: PathBuf,
    version: String,
    endpoint: String,
    runs: std::sync::atomic::AtomicU32,
    /// (access key id, secret) Terraform runs with.
    credentials: std::sync::Mutex<(String, String)>,
    /// More environment for Terraform (and so for its provider).
    env: std::sync::Mutex<Vec<(String, String)>>,
}

impl Workspace {
    pub fn new(terraform: &Path, emulator: &Emulator, hcl: &str) -> Workspace {
        Self::via(terraform, &emulator.endpoint(), hcl)
    }

    /// A workspace whose AWS calls go to `endpoint` (e.g. a fault proxy in
    /// front of the emulator) instead of the emulator itself.
    pub fn via(terraform: &Path, endpoint: &str, hcl: &str) -> Workspace {
        let dir = tempfile::Builder::new()
            .prefix("emr-tf-")
            .tempdir()
            .expect("temp dir");
        let provider_dir = provider_binary()
            .parent()
            .expect("provider binary has a directory")
            .to_path_buf();
        // dev_overrides makes Terraform use the freshly built binary without a
        // registry. `terraform init` refuses to work offline for such a
        // provider, and plan/apply/import/destroy/show do not need it, so the
        // harness never runs init.
        let rc = format!(
            "provider_installation {{\n  dev_overrides {{\n    \"emrlaunch/emr\" = {}\n  }}\n  direct {{}}\n}}\n",
            Value::String(provider_dir.to_string_lossy().into_owned())
        );
        fs::write(dir.path().join("dev.tfrc"), rc).unwrap();
        let mut ws = Workspace {
            dir,
            terraform: terraform.to_path_buf(),
            version: String::new(),
            endpoint: endpoint.to_owned(),
            runs: std::sync::atomic::AtomicU32::new(0),
            credentials: std::sync::Mutex::new(("testing".into(), "testing".into())),
            env: Default::default(),
        };
        ws.write(hcl);
        let out = ws.run(&["version", "-json"]);
        let v: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "`{} version -json` ({e}):\n{}",
                terraform.display(),
                out.all()
            )
        });
        ws.version = v["terraform_version"].as_str().unwrap_or("?").to_owned();
        ws
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// e.g. "1.0.3"
    pub fn version(&self) -> &str {
        &self.version
    }

    /// (major, minor) of the Terraform version, for version-dependent checks.
    pub fn version_at_least(&self, major: u32, minor: u32) -> bool {
        let mut it = self
            .version
            .split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0));
        let v = (it.next().unwrap_or(0), it.next().unwrap_or(0));
        v >= (major, minor)
    }

    /// Run Terraform from now on as this access key (default: the static
    /// test key `testing`, which any emulator without IAM enforcement takes).
    pub fn use_credentials(&self, access_key: &str, secret: &str) {
        *self.credentials.lock().unwrap_or_else(|e| e.into_inner()) =
            (access_key.to_owned(), secret.to_owned());
    }

    /// Run Terraform from now on with `key=value` in its environment.
    pub fn set_env(&self, key: &str, value: &str) {
        let mut env = self.env.lock().unwrap_or_else(|e| e.into_inner());
        env.push((key.to_owned(), value.to_owned()));
    }

    /// Replace main.tf.
    pub fn write(&self, hcl: &str) {
        fs::write(self.dir.path().join("main.tf"), hcl).unwrap();
    }

    /// Run Terraform in the workspace with a hermetic environment.
    pub fn run(&self, args: &[&str]) -> Output {
        self.spawn(args).wait()
    }

    /// Start Terraform in the workspace (as `run`) without waiting for it.
    pub fn spawn(&self, args: &[&str]) -> Running {
        let n = self.runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let out_path = self.dir.path().join(format!(".run{n}.stdout"));
        let err_path = self.dir.path().join(format!(".run{n}.stderr"));
        let mut cmd = Command::new(&self.terraform);
        cmd.args(args).current_dir(self.dir.path());
        // Nothing of the caller's AWS or Terraform setup may leak in: the
        // machine's TF_CLI_CONFIG_FILE points at a missing file, and a real
        // AWS profile must never be used by a test.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("AWS_") || key.starts_with("TF_") || key.starts_with("CHECKPOINT_") {
                cmd.env_remove(key.as_ref());
            }
        }
        let missing = self.dir.path().join("no-such-aws-file");
        let (access_key, secret) = self
            .credentials
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        cmd.env("TF_CLI_CONFIG_FILE", self.dir.path().join("dev.tfrc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("AWS_ACCESS_KEY_ID", &access_key)
            .env("AWS_SECRET_ACCESS_KEY", &secret)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_CONFIG_FILE", &missing)
            .env("AWS_SHARED_CREDENTIALS_FILE", &missing)
            .env("AWS_EC2_METADATA_DISABLED", "true");
        for (key, value) in self.env.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            cmd.env(key, value);
        }
        if let Some(level) = std::env::var_os("EMR_TEST_TF_LOG").filter(|v| !v.is_empty()) {
            cmd.env("TF_LOG", level);
        }
        // Output goes to files, not pipes: no reader threads, no deadlock on a
        // full pipe, and the command can be waited on with a deadline.
        cmd.stdin(Stdio::null())
            .stdout(File::create(&out_path).unwrap())
            .stderr(File::create(&err_path).unwrap());
        // Its own process group, as a shell job: `Running::interrupt` and the
        // time limit signal everything Terraform started.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", self.terraform.display()));
        Running {
            child,
            what: format!("terraform {} `{}`", self.version, args.join(" ")),
            out_path,
            err_path,
        }
    }

    /// Run and panic with everything Terraform said unless it exits 0.
    pub fn run_ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        if out.code != 0 {
            panic!("{}", self.describe_failure(args, &out));
        }
        out
    }

    /// A failure report: Terraform version, command, exit code, full output.
    pub fn describe_failure(&self, args: &[&str], out: &Output) -> String {
        format!(
            "terraform {} ({}) `{}` exited {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.version,
            self.terraform.display(),
            args.join(" "),
            out.code,
            out.stdout,
            out.stderr
        )
    }

    pub fn apply(&self) -> Output {
        self.run_ok(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `plan -detailed-exitcode`: 0 no changes, 1 error, 2 changes.
    pub fn plan_exit_code(&self) -> (i32, Output) {
        let out = self.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
        (out.code, out)
    }

    pub fn assert_plan_empty(&self) {
        let (code, out) = self.plan_exit_code();
        if code != 0 {
            panic!(
                "expected an empty plan (exit 0)\n{}",
                self.describe_failure(&["plan", "-detailed-exitcode"], &out)
            );
        }
    }

    /// Save a plan and return `show -json` of it, plus the human plan output
    /// (which is where Terraform < 1.2 says "forces replacement").
    pub fn plan_json(&self) -> (Value, Output) {
        let out = self.run_ok(&["plan", "-out=tfplan", "-input=false", "-no-color"]);
        let shown = self.run_ok(&["show", "-json", "tfplan"]);
        let json = serde_json::from_str(&shown.stdout)
            .unwrap_or_else(|e| panic!("plan JSON ({e}):\n{}", shown.stdout));
        (json, out)
    }

    pub fn import(&self, addr: &str, id: &str) -> Output {
        self.run_ok(&["import", "-input=false", "-no-color", addr, id])
    }

    pub fn destroy(&self) -> Output {
        self.run_ok(&["destroy", "-auto-approve", "-input=false", "-no-color"])
    }

    pub fn state_rm(&self, addr: &str) -> Output {
        self.run_ok(&["state", "rm", addr])
    }

    /// `show -json` of the current state.
    pub fn state_json(&self) -> Value {
        let out = self.run_ok(&["show", "-json"]);
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("state JSON ({e}):\n{}", out.stdout))
    }

    /// The attribute values of one resource in state; panics if it is absent.
    pub fn resource_values(&self, addr: &str) -> Value {
        let state = self.state_json();
        find_resource(&state["values"]["root_module"], addr)
            .map(|r| r["values"].clone())
            .unwrap_or_else(|| {
                panic!(
                    "terraform {}: {addr} is not in state:\n{:#}",
                    self.version, state
                )
            })
    }
}

fn find_resource<'a>(module: &'a Value, addr: &str) -> Option<&'a Value> {
    let here = module["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == addr));
    here.or_else(|| {
        module["child_modules"]
            .as_array()?
            .iter()
            .find_map(|m| find_resource(m, addr))
    })
}

/// The `resource_changes` entry of a saved plan for one address.
/// What is wrong with a plan that had to be rejected: it must exit 1, its
/// diagnostics must mention every word, and the emulator (recording since
/// the plan started) must have received no mutating call.
pub fn rejection_problems(
    emulator: &Emulator,
    out: &Output,
    diagnostics: &str,
    mentions: &[&str],
) -> Vec<String> {
    let mut problems = Vec::new();
    if out.code != 1 {
        problems.push(format!("exit code {} (want 1)", out.code));
    }
    for word in mentions {
        if !diagnostics.contains(word) {
            problems.push(format!("the diagnostics do not mention {word:?}"));
        }
    }
    let mutating = emulator.mutating_actions();
    if !mutating.is_empty() {
        problems.push(format!("emulator received mutating calls {mutating:?}"));
    }
    problems
}

/// `terraform plan -detailed-exitcode` must exit `want`.
pub fn plan_code(ws: &Workspace, want: i32, why: &str) -> Output {
    let (code, out) = ws.plan_exit_code();
    if code != want {
        panic!(
            "[tf {}] {why}: plan -detailed-exitcode = {code}, want {want}\n{}",
            ws.version(),
            ws.describe_failure(&["plan", "-detailed-exitcode"], &out)
        );
    }
    out
}

/// Apply the plan saved by `Workspace::plan_json`, so what is applied is
/// exactly what was reviewed (Terraform then also checks that every value
/// known at plan comes back unchanged from apply).
pub fn apply_saved_plan(ws: &Workspace) {
    ws.run_ok(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "tfplan",
    ]);
}

/// Attributes that must be known (not in `after_unknown`) in a planned change.
pub fn assert_known_at_plan(plan: &Value, addr: &str, attrs: &[&str], v: &str) {
    let change = &resource_change(plan, addr)["change"];
    for attr in attrs {
        let unknown = &change["after_unknown"][attr];
        assert!(
            unknown.is_null() || unknown == &serde_json::json!(false),
            "[tf {v}] {addr}.{attr} is unknown at plan: {change:#}"
        );
        assert!(
            change["after"][attr].is_string() || change["after"][attr].is_array(),
            "[tf {v}] {addr}.{attr} has no planned value: {change:#}"
        );
    }
}

pub fn resource_change<'a>(plan: &'a Value, addr: &str) -> &'a Value {
    plan["resource_changes"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["address"] == addr))
        .unwrap_or_else(|| panic!("no resource_changes entry for {addr} in plan:\n{plan:#}"))
}

/// Sends `signal` to the process group `pgid` (Terraform started by
/// `Workspace::spawn` leads its own group, with its providers and, for
/// Terraform 1.0's panic wrapper, the child process that does the work).
fn signal_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", &format!("-{pgid}")])
        .status();
}

fn wait_with_deadline(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    let mut interrupted = false;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() > deadline {
            if !interrupted {
                // SIGINT first: Terraform then stops its provider processes,
                // which a SIGKILL would leave running.
                signal_group(child.id(), "-INT");
                interrupted = true;
                std::thread::sleep(Duration::from_secs(10));
                continue;
            }
            signal_group(child.id(), "-KILL");
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------- IAM documents in assertions ----------

pub fn is_no_such_entity<E, R>(e: &aws_sdk_iam::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_iam::error::ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(|s| s.code())
        .is_some_and(|c| c == "NoSuchEntity" || c == "NoSuchEntityException")
}

/// IAM returns documents URL-encoded (RFC 3986 percent-encoding).
pub fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("URL-decoded document is UTF-8")
}

pub fn document(text: &str, what: &str) -> Value {
    let decoded = if text.trim_start().starts_with('{') {
        text.to_owned()
    } else {
        url_decode(text)
    };
    serde_json::from_str(&decoded).unwrap_or_else(|e| panic!("{what} is not JSON ({e}): {decoded}"))
}

/// IAM semantics for comparison: every list is unordered, and a one-element
/// list means the same as its element ("Action": "x" == "Action": ["x"],
/// a single Statement object == a list of one).
pub fn normalize(v: &Value) -> Value {
    match v {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(normalize).collect();
            items.sort_by_key(sorted_text);
            items.dedup();
            if items.len() == 1 {
                items.pop().unwrap()
            } else {
                Value::Array(items)
            }
        }
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        other => other.clone(),
    }
}

pub fn assert_same_policy(actual: &Value, expected: &Value, what: &str) {
    assert_eq!(
        normalize(actual),
        normalize(expected),
        "{what}: policies differ\n actual: {actual:#}\n expected: {expected:#}"
    );
}

/// A `*_json` attribute of state or plan, parsed.
pub fn json_attr(values: &Value, attr: &str) -> Value {
    let text = values[attr]
        .as_str()
        .unwrap_or_else(|| panic!("{attr} is not a string: {values:#}"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{attr} is not JSON ({e}): {text}"))
}

/// JSON text with object keys sorted at every level, whatever order
/// serde_json's map keeps (test builds enable its `preserve_order`).
pub fn sorted_text(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&m[k.as_str()])))
                        .collect(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(v).to_string()
}

// -- reads of one IAM role, for assertions ------------------------------------

/// The managed policies attached to a role.
pub fn role_attached(
    rt: &tokio::runtime::Runtime,
    iam: &aws_sdk_iam::Client,
    role: &str,
) -> std::collections::BTreeSet<String> {
    rt.block_on(iam.list_attached_role_policies().role_name(role).send())
        .unwrap_or_else(|e| panic!("ListAttachedRolePolicies({role}): {e:?}"))
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect()
}

/// Every tag of a role, the provider's owner tag included.
pub fn role_tags(
    rt: &tokio::runtime::Runtime,
    iam: &aws_sdk_iam::Client,
    role: &str,
) -> std::collections::BTreeMap<String, String> {
    rt.block_on(iam.list_role_tags().role_name(role).send())
        .unwrap_or_else(|e| panic!("ListRoleTags({role}): {e:?}"))
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}
