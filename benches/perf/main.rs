//! `make bench`: the figures of the README's "Performance" section, in one
//! run, from the release provider binary (the bench profile inherits
//! release):
//!
//! 1. provider start-up: spawn → handshake line, spawn → GetProviderSchema
//!    answered over mutual TLS, Shutdown → exit, RSS after the handshake
//!    (startup.rs);
//! 2. msgpack decode throughput of a large planned state;
//! 3. `terraform validate` of a one-resource workspace against an empty one
//!    and against the floor provider (validate.rs, benches/floor-provider);
//! 4. refresh (`terraform plan`) of N private EMR Serverless data planes
//!    against the local emulator: time, AWS calls per data plane, and the
//!    "emulator floor", and the same plan with no AWS at all (refresh.rs).
//!
//! Read by people: prints figures, asserts no thresholds. Under `cargo test`
//! (no `--bench` argument) only a short smoke run of 1 and 2.

#[path = "../../tests/support/mtls.rs"]
mod mtls;

mod emulator;
mod refresh;
mod startup;
mod terraform;
mod validate;

use std::path::PathBuf;
use std::time::Instant;

use terraform_provider_emr::tfplugin::{msgpack, Type, Value};

pub mod stats {
    use std::time::Duration;

    pub fn ms(d: Duration) -> String {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    }

    pub fn mb(kib: u64) -> String {
        format!("{:.1} MB", kib as f64 * 1024.0 / 1e6)
    }

    /// Order statistics of a set of timings.
    pub struct Stats {
        pub sorted: Vec<Duration>,
    }

    impl Stats {
        pub fn of(times: impl IntoIterator<Item = Duration>) -> Stats {
            let mut sorted: Vec<Duration> = times.into_iter().collect();
            assert!(!sorted.is_empty());
            sorted.sort();
            Stats { sorted }
        }

        /// Nearest-rank percentile, p in 0..=1.
        pub fn percentile(&self, p: f64) -> Duration {
            let rank = (p * self.sorted.len() as f64).ceil() as usize;
            self.sorted[rank.clamp(1, self.sorted.len()) - 1]
        }

        pub fn median(&self) -> Duration {
            let n = self.sorted.len();
            if n % 2 == 1 {
                self.sorted[n / 2]
            } else {
                (self.sorted[n / 2 - 1] + self.sorted[n / 2]) / 2
            }
        }

        /// "median …, p95 … (min …, max …)"
        pub fn line(&self) -> String {
            format!(
                "median {:>9}, p95 {:>9}  (min {}, max {})",
                ms(self.median()),
                ms(self.percentile(0.95)),
                ms(self.sorted[0]),
                ms(*self.sorted.last().unwrap())
            )
        }
    }
}

fn msgpack_decode(reps: u32) {
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
    let t0 = Instant::now();
    for _ in 0..reps {
        let d = msgpack::decode(&bytes, &ty).expect("decode");
        std::hint::black_box(d);
    }
    let per = t0.elapsed() / reps;
    println!(
        "msgpack decode of a 10 000-element planned state: {} bytes in {} ({:.1} MB/s)",
        bytes.len(),
        stats::ms(per),
        bytes.len() as f64 / per.as_secs_f64() / 1e6
    );
}

/// The provider binary measured: `EMR_BENCH_PROVIDER` (what `make bench`
/// sets: the binary of `cargo build --release`), else the one Cargo built for
/// this bench. The latter is not what ships: building a bench enables the
/// dev-dependencies' features in the provider's dependencies too, and those
/// put rcgen on aws-lc (tests sign with P-521, which ring cannot).
fn provider_binary() -> PathBuf {
    match std::env::var_os("EMR_BENCH_PROVIDER").filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(mtls::binary()),
    }
}

/// The floor provider (benches/floor-provider), when `make bench` built it.
fn floor_provider_binary() -> Option<PathBuf> {
    std::env::var_os("EMR_BENCH_FLOOR_PROVIDER")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!("{cores} cores, load average {}", load.join(" "))
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    if !full {
        // `cargo test --all-targets` runs this binary too: a smoke run only.
        println!("perf bench smoke run ({profile} build; `make bench` for the figures)");
        startup::run(2);
        msgpack_decode(1);
        return;
    }
    let t0 = Instant::now();
    println!("make bench: {profile} build, {}", machine());
    println!("provider binary: {}", provider_binary().display());
    match floor_provider_binary() {
        Some(p) => println!("floor provider: {}", p.display()),
        None => println!("floor provider: not set (EMR_BENCH_FLOOR_PROVIDER); its figures skipped"),
    }
    if std::env::var_os("EMR_BENCH_PROVIDER").is_none() {
        println!(
            "  WARNING: EMR_BENCH_PROVIDER is not set; this is the bench's own build of the \
             provider, with dev-dependency features (rcgen on aws-lc), not the shipped binary"
        );
    }
    println!();
    startup::run(30);
    msgpack_decode(50);
    println!();

    let Some(tf) = terraform::terraform_path() else {
        println!("terraform not found (PATH or EMR_BENCH_TERRAFORM): validate and refresh skipped");
        return;
    };
    println!("{} ({})", terraform::version(&tf), tf.display());
    validate::run(&tf, 15);
    println!();

    match emulator::moto_server_path() {
        Some(moto) => refresh::run(&tf, &moto, &[10, 50]),
        None => println!("moto_server not found (`make tools`): refresh skipped"),
    }
    println!();
    println!(
        "make bench: done in {:.0} s ({})",
        t0.elapsed().as_secs_f64(),
        machine()
    );
}
