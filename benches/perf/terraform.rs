//! Terraform workspaces for the benchmark, with the environment the
//! acceptance tests use (tests/common/mod.rs `Workspace::run`): a
//! `dev_overrides` CLI configuration pointing at the release provider binary,
//! no `terraform init`, nothing of the caller's AWS or Terraform setup.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

const TIMEOUT: Duration = Duration::from_secs(600);

/// `EMR_BENCH_TERRAFORM`, else the first `terraform` on PATH.
pub fn terraform_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("EMR_BENCH_TERRAFORM").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join("terraform"))
        .find(|c| c.is_file())
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub struct Workspace {
    dir: TempDir,
    terraform: PathBuf,
    /// AWS_ENDPOINT_URL for the provider, when there is an emulator.
    endpoint: Option<String>,
    runs: u32,
}

impl Workspace {
    /// A workspace holding `main_tf`, whose CLI configuration loads the
    /// provider from the directory of `provider_binary`.
    pub fn new(
        terraform: &Path,
        provider_binary: &Path,
        endpoint: Option<String>,
        main_tf: &str,
    ) -> Workspace {
        let dir = tempfile::Builder::new()
            .prefix("emr-bench-tf-")
            .tempdir()
            .expect("temp dir");
        let provider_dir = provider_binary.parent().expect("binary has a directory");
        let rc = format!(
            "provider_installation {{\n  dev_overrides {{\n    \"emrlaunch/emr\" = {}\n  }}\n  direct {{}}\n}}\n",
            serde_json::Value::String(provider_dir.to_string_lossy().into_owned())
        );
        fs::write(dir.path().join("dev.tfrc"), rc).unwrap();
        fs::write(dir.path().join("main.tf"), main_tf).unwrap();
        Workspace {
            dir,
            terraform: terraform.to_path_buf(),
            endpoint,
            runs: 0,
        }
    }

    /// The workspace directory (main.tf, terraform.tfstate).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs Terraform and returns how long it took, from spawn to exit.
    pub fn run(&mut self, args: &[&str]) -> (Duration, Output) {
        self.runs += 1;
        let out_path = self.dir.path().join(format!(".run{}.stdout", self.runs));
        let err_path = self.dir.path().join(format!(".run{}.stderr", self.runs));
        let mut cmd = Command::new(&self.terraform);
        cmd.args(args).current_dir(self.dir.path());
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("AWS_") || key.starts_with("TF_") || key.starts_with("CHECKPOINT_") {
                cmd.env_remove(key.as_ref());
            }
        }
        let missing = self.dir.path().join("no-such-aws-file");
        cmd.env("TF_CLI_CONFIG_FILE", self.dir.path().join("dev.tfrc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", &missing)
            .env("AWS_SHARED_CREDENTIALS_FILE", &missing)
            .env("AWS_EC2_METADATA_DISABLED", "true");
        if let Some(endpoint) = &self.endpoint {
            cmd.env("AWS_ENDPOINT_URL", endpoint);
        }
        // Output to files: no reader threads in the timed interval.
        cmd.stdin(Stdio::null())
            .stdout(File::create(&out_path).unwrap())
            .stderr(File::create(&err_path).unwrap());
        let t0 = Instant::now();
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", self.terraform.display()));
        let status = wait(&mut child, TIMEOUT);
        let elapsed = t0.elapsed();
        let status = status.unwrap_or_else(|| {
            panic!(
                "terraform {} did not finish within {TIMEOUT:?}",
                args.join(" ")
            )
        });
        let out = Output {
            code: status.code().unwrap_or(-1),
            stdout: fs::read_to_string(&out_path).unwrap_or_default(),
            stderr: fs::read_to_string(&err_path).unwrap_or_default(),
        };
        (elapsed, out)
    }

    /// Runs Terraform; panics with its output unless it exits with `want`.
    pub fn run_expect(&mut self, args: &[&str], want: i32) -> Duration {
        let (elapsed, out) = self.run(args);
        if out.code != want {
            panic!(
                "terraform {} exited {} (want {want})\n--- stdout ---\n{}\n--- stderr ---\n{}",
                args.join(" "),
                out.code,
                out.stdout,
                out.stderr
            );
        }
        elapsed
    }
}

/// Waits for the child, polling every millisecond (the timing resolution);
/// past the deadline, SIGINT (Terraform then stops its providers), then kill.
fn wait(child: &mut std::process::Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() > deadline {
            let _ = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
            std::thread::sleep(Duration::from_secs(10));
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `terraform version` (first line), e.g. "Terraform v1.11.4".
pub fn version(terraform: &Path) -> String {
    Command::new(terraform)
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "terraform ?".into())
}
