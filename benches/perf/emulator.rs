//! The local AWS emulator (moto) for the refresh benchmark, started as
//! tests/common/mod.rs `Emulator` does: a free loopback port, its own temp
//! directory (for the recorder file), stopped by PID when dropped.
//!
//! Unlike the test harness, recorded requests are returned with their
//! service (from the SigV4 credential scope) and their form parameters, so
//! the benchmark can tell IAM reads from STS or EC2 calls and replay them.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "../../tests/support/moto_http.rs"]
mod moto_http;
use tempfile::TempDir;

const START_TIMEOUT: Duration = Duration::from_secs(90);

pub struct Emulator {
    child: Child,
    port: u16,
    dir: TempDir,
}

/// One request the emulator received.
#[derive(Clone, Debug)]
pub struct Call {
    /// SigV4 service name, e.g. "iam", "sts", "ec2"; "?" when unsigned.
    pub service: String,
    /// e.g. "GetRole" (query protocol), "ElasticMapReduce.ListClusters"
    /// (JSON protocol), "GET /path" (REST).
    pub action: String,
    /// Form parameters of a query-protocol request, e.g. RoleName.
    pub params: BTreeMap<String, String>,
}

/// `EMR_TEST_MOTO_SERVER`, else .tools/venv/bin/moto_server (`make tools`).
pub fn moto_server_path() -> Option<PathBuf> {
    let path = match std::env::var_os("EMR_TEST_MOTO_SERVER") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/venv/bin/moto_server"),
    };
    path.is_file().then_some(path)
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().unwrap().port()
}

impl Emulator {
    pub fn start(moto: &Path) -> Emulator {
        let mut last_err = String::new();
        for _attempt in 0..3 {
            match Self::try_start(moto) {
                Ok(emulator) => return emulator,
                Err(e) => last_err = e,
            }
        }
        panic!("could not start {}:\n{last_err}", moto.display());
    }

    fn try_start(moto: &Path) -> Result<Emulator, String> {
        let dir = tempfile::Builder::new()
            .prefix("emr-bench-moto-")
            .tempdir()
            .expect("temp dir");
        let port = free_port();
        let log = File::create(dir.path().join("moto.log")).unwrap();
        let child = Command::new(moto)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .current_dir(dir.path())
            .env("MOTO_PORT", port.to_string())
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env("MOTO_RECORDER_FILEPATH", dir.path().join("recording.jsonl"))
            .env_remove("MOTO_ENABLE_RECORDING")
            // Whole-line recordings (the hook's docstring says why).
            .env(
                "PYTHONPATH",
                Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/moto"),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", moto.display()))?;
        let mut emulator = Emulator { child, port, dir };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = emulator.child.try_wait().unwrap() {
                return Err(format!("moto exited with {status}:\n{}", emulator.log()));
            }
            // Any answer means moto is up; stopping the (idle) recorder is cheap.
            if emulator
                .http("POST", "/moto-api/recorder/stop-recording", b"")
                .is_ok()
            {
                return Ok(emulator);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "moto did not answer within {START_TIMEOUT:?}:\n{}",
                    emulator.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("moto.log")).unwrap_or_default()
    }

    /// Forget every resource in every service.
    pub fn reset(&self) {
        self.moto_api("POST", "/moto-api/reset");
    }

    /// Clear the recording and record every request from now on.
    pub fn start_recording(&self) {
        self.moto_api("POST", "/moto-api/recorder/reset-recording");
        self.moto_api("POST", "/moto-api/recorder/start-recording");
    }

    pub fn stop_recording(&self) {
        self.moto_api("POST", "/moto-api/recorder/stop-recording");
    }

    /// The AWS requests received since `start_recording`, in order (moto's
    /// own API excluded).
    pub fn recorded_calls(&self) -> Vec<Call> {
        let text = self.moto_api("POST", "/moto-api/recorder/download-recording");
        let entries = moto_http::parse_recording(&text);
        entries.iter().filter_map(recorded_call).collect()
    }

    fn moto_api(&self, method: &str, path: &str) -> String {
        match self.http(method, path, b"") {
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

/// "iam" from `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/iam/aws4_request, …`.
fn signed_service(entry: &Value) -> String {
    moto_http::header(entry, "authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("?")
        .to_owned()
}

fn recorded_call(entry: &Value) -> Option<Call> {
    Some(Call {
        action: moto_http::action(entry)?,
        service: signed_service(entry),
        params: moto_http::action_form(entry).unwrap_or_default(),
    })
}
