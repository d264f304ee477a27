//! `make bench`: time from process start to a GetProviderSchema answer over
//! mutual TLS (what Terraform waits for on every command), and msgpack
//! decode throughput of a large planned state. Prints medians; no thresholds
//! here (timed assertions belong in benchmarks, read by people).

#[path = "../tests/support/mtls.rs"]
mod mtls;

use std::time::{Duration, Instant};

use terraform_provider_emr::proto::plugin::grpc_controller_client::GrpcControllerClient;
use terraform_provider_emr::proto::plugin::Empty;
use terraform_provider_emr::proto::tfplugin6 as pb;
use terraform_provider_emr::proto::tfplugin6::provider_client::ProviderClient;
use terraform_provider_emr::tfplugin::{msgpack, Type, Value};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn startup_once() -> Duration {
    let cert = mtls::client_cert();
    let t0 = Instant::now();
    let (mut child, line) = mtls::start_plugin(&cert);
    let hs = mtls::parse_handshake(&line);
    let channel = mtls::connect(&hs, &cert).await.expect("connect");
    let schema = ProviderClient::new(channel.clone())
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("schema");
    let elapsed = t0.elapsed();
    assert!(!schema.into_inner().resource_schemas.is_empty());
    let _ = GrpcControllerClient::new(channel).shutdown(Empty {}).await;
    let _ = child.wait();
    elapsed
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let runs = 20;
    let mut times: Vec<Duration> = (0..runs).map(|_| rt.block_on(startup_once())).collect();
    times.sort();
    println!(
        "startup → GetProviderSchema ({runs} runs, {}): median {:?}, p95 {:?}, min {:?}",
        if cfg!(debug_assertions) {
            "debug build"
        } else {
            "release build"
        },
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times[0]
    );

    // A planned state with 10 000 list elements and nested unknowns.
    let ty = Type::object([(
        "items",
        Type::list(Type::object([
            ("k", Type::String),
            ("v", Type::Number),
            ("u", Type::String),
        ])),
    )]);
    let items: Vec<Value> = (0..10_000)
        .map(|i| {
            Value::object([
                ("k", Value::string(format!("key-{i}"))),
                ("v", Value::number(i)),
                ("u", Value::Unknown),
            ])
        })
        .collect();
    let v = Value::object([("items", Value::List(items))]);
    let bytes = msgpack::encode(&v, &ty);
    let reps = 50;
    let t0 = Instant::now();
    for _ in 0..reps {
        let d = msgpack::decode(&bytes, &ty).expect("decode");
        std::hint::black_box(d);
    }
    let per = t0.elapsed() / reps;
    println!(
        "msgpack decode: {} bytes in {:?} ({:.1} MB/s)",
        bytes.len(),
        per,
        bytes.len() as f64 / per.as_secs_f64() / 1e6
    );
}
