// Compiles proto/ with protox (pure Rust): no system protoc needed.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/tfplugin6.proto",
        "proto/grpc_controller.proto",
        "proto/grpc_stdio.proto",
    ];
    for f in files {
        println!("cargo:rerun-if-changed={f}");
    }
    // Release builds on x86_64 Linux link with rust-lld (the default there
    // since Rust 1.90): fold identical code and read-only data, of which the
    // AWS SDK's generated code has much (15.19 MB -> 14.29 MB stripped).
    // Rust promises no distinct addresses for distinct functions (rustc's own
    // MergeFunctions pass folds them too). `--icf=safe` folded nothing: rustc
    // emits no address-significance tables.
    println!("cargo:rerun-if-env-changed=PROFILE");
    let release = std::env::var("PROFILE").as_deref() == Ok("release");
    let target = std::env::var("TARGET").unwrap_or_default();
    if release && target == "x86_64-unknown-linux-gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,--icf=all");
    }
    let fds = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
