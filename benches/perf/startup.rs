//! Provider start-up as Terraform sees it: spawn → handshake line, spawn →
//! GetProviderSchema answered over mutual TLS (the client presents a P-521
//! certificate, as Terraform's AutoMTLS does), go-plugin's Shutdown call →
//! process exited, and the provider's resident memory right after the
//! handshake line.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use terraform_provider_emr::proto::plugin::grpc_controller_client::GrpcControllerClient;
use terraform_provider_emr::proto::plugin::Empty;
use terraform_provider_emr::proto::tfplugin6 as pb;
use terraform_provider_emr::proto::tfplugin6::provider_client::ProviderClient;

use crate::mtls;
use crate::stats::{mb, Stats};

struct Sample {
    handshake: Duration,
    schema: Duration,
    /// Shutdown call (go-plugin's controller) until the process has exited.
    exit: Duration,
    rss_kib: u64,
}

/// VmRSS of a process, in KiB.
fn vm_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Starts the provider as Terraform does (tests/support/mtls.rs
/// `start_plugin`, for a given binary) and reads its handshake line.
fn start_plugin(binary: &Path, cert: &mtls::ClientCert) -> (Child, String) {
    let mut child = Command::new(binary)
        .env("TF_PLUGIN_MAGIC_COOKIE", mtls::COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", &cert.pem)
        .env_remove("TF_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("provider binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    (child, line)
}

async fn once(binary: &Path, cert: &mtls::ClientCert) -> Sample {
    let t0 = Instant::now();
    let (mut child, line) = start_plugin(binary, cert);
    let handshake = t0.elapsed();
    let rss_kib = vm_rss_kib(child.id());
    let hs = mtls::parse_handshake(&line);
    let channel = mtls::connect(&hs, cert).await.expect("connect");
    let answer = ProviderClient::new(channel.clone())
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema");
    let schema = t0.elapsed();
    assert!(!answer.into_inner().resource_schemas.is_empty());
    let t1 = Instant::now();
    let _ = GrpcControllerClient::new(channel).shutdown(Empty {}).await;
    let _ = child.wait();
    Sample {
        handshake,
        schema,
        exit: t1.elapsed(),
        rss_kib,
    }
}

pub fn run(runs: usize) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let binary = crate::provider_binary();
    let cert = mtls::client_cert();
    // One untimed start: page cache, and the bench's own crypto library.
    rt.block_on(once(&binary, &cert));
    let samples: Vec<Sample> = (0..runs)
        .map(|_| rt.block_on(once(&binary, &cert)))
        .collect();
    let handshake = Stats::of(samples.iter().map(|s| s.handshake));
    let schema = Stats::of(samples.iter().map(|s| s.schema));
    let exit = Stats::of(samples.iter().map(|s| s.exit));
    let mut rss: Vec<u64> = samples.iter().map(|s| s.rss_kib).collect();
    rss.sort_unstable();
    println!("startup, AutoMTLS with a P-521 client certificate ({runs} runs after 1 warm-up)");
    println!("  spawn → handshake line           {}", handshake.line());
    println!("  spawn → GetProviderSchema answer {}", schema.line());
    println!("  Shutdown → process exited        {}", exit.line());
    println!(
        "  RSS right after the handshake    median {}, max {}",
        mb(rss[rss.len() / 2]),
        mb(rss[rss.len() - 1])
    );
}
