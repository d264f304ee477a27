//! The go-plugin handshake and the gRPC server process.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;
use tonic::{Request, Response, Status};

use crate::proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use crate::proto::plugin::grpc_stdio_server::{GrpcStdio, GrpcStdioServer};
use crate::proto::plugin::{Empty, StdioData};
use crate::proto::tfplugin6::provider_server::ProviderServer as ProviderGrpc;

use super::resource::Provider;
use super::server::ProviderServer;
use super::tls;

pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
pub const PROTOCOL_VERSION: u32 = 6;
const MAX_MESSAGE: usize = 256 << 20;

/// Checks the environment go-plugin sets. Err is the sentence for the user.
/// A provider binary's whole start-up after its flags: the handshake
/// environment (unless `debug`), logging, the runtime, `provider()` and
/// [`serve`], then a shutdown that does not wait for background tasks
/// (signal listener, idle connections). `Err` is the line to print before
/// exiting with 1; `name` prefixes it.
pub fn run(
    name: &str,
    provider: impl FnOnce() -> Arc<dyn Provider>,
    provider_address: &str,
    debug: bool,
) -> Result<(), String> {
    if !debug {
        check_handshake_env()?;
    }
    super::log::init_from_env();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("{name}: starting the async runtime: {e}"))?;
    let res = rt.block_on(serve(provider(), provider_address, debug));
    rt.shutdown_timeout(Duration::from_millis(200));
    res.map_err(|e| format!("{name}: {e}"))
}

pub fn check_handshake_env() -> Result<(), String> {
    if std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(
            "This binary is a plugin. These are not meant to be executed directly. \
Please execute the program that consumes these plugins, which will load any plugins automatically \
(terraform-provider-emr is run by Terraform; see its README)."
                .to_string(),
        );
    }
    if let Ok(versions) = std::env::var("PLUGIN_PROTOCOL_VERSIONS") {
        let speaks = versions
            .split(',')
            .any(|v| v.trim().parse::<u32>().ok() == Some(PROTOCOL_VERSION));
        if !versions.trim().is_empty() && !speaks {
            return Err(format!(
                "terraform-provider-emr speaks plugin protocol {PROTOCOL_VERSION}, but this Terraform offers only {versions}. \
Use Terraform 1.0 or newer."
            ));
        }
    }
    Ok(())
}

async fn bind_listener() -> std::io::Result<TcpListener> {
    let min = std::env::var("PLUGIN_MIN_PORT")
        .ok()
        .and_then(|v| v.parse::<u16>().ok());
    let max = std::env::var("PLUGIN_MAX_PORT")
        .ok()
        .and_then(|v| v.parse::<u16>().ok());
    if let (Some(min), Some(max)) = (min, max) {
        for port in min..=max {
            if let Ok(l) = TcpListener::bind(("127.0.0.1", port)).await {
                return Ok(l);
            }
        }
        return Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            format!("no free port between PLUGIN_MIN_PORT={min} and PLUGIN_MAX_PORT={max}"),
        ));
    }
    TcpListener::bind(("127.0.0.1", 0)).await
}

struct Controller {
    shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _req: Request<Empty>) -> Result<Response<Empty>, Status> {
        info!("shutdown requested by Terraform");
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}

struct Stdio {
    shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    type StreamStdioStream =
        std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<StdioData, Status>> + Send>>;

    async fn stream_stdio(
        &self,
        _req: Request<Empty>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        // We never write to stdout after the handshake and log to stderr
        // ourselves: the stream stays open and empty until shutdown.
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<StdioData, Status>>(1);
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            shutdown.cancelled().await;
            drop(tx);
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
}

/// Runs the plugin: handshake line on stdout, then serve until Terraform
/// calls Shutdown. `debug` serves without TLS and prints TF_REATTACH_PROVIDERS.
pub async fn serve(
    provider: Arc<dyn Provider>,
    provider_address: &str,
    debug_mode: bool,
) -> Result<(), String> {
    let listener = bind_listener()
        .await
        .map_err(|e| format!("listening on 127.0.0.1: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("listener address: {e}"))?;
    let shutdown = CancellationToken::new();

    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let provider_svc = ProviderGrpc::new(ProviderServer::new(provider))
        .max_decoding_message_size(MAX_MESSAGE)
        .max_encoding_message_size(MAX_MESSAGE);
    let router = Server::builder()
        .add_service(health_service)
        .add_service(GrpcControllerServer::new(Controller {
            shutdown: shutdown.clone(),
        }))
        .add_service(GrpcStdioServer::new(Stdio {
            shutdown: shutdown.clone(),
        }))
        .add_service(provider_svc);

    // Terraform owns interrupts: it asks us to stop through StopProvider.
    tokio::spawn(async {
        loop {
            if tokio::signal::ctrl_c().await.is_err() {
                break;
            }
            debug!("ignoring interrupt signal; Terraform stops the provider through the protocol");
        }
    });

    let stop = {
        let shutdown = shutdown.clone();
        async move {
            shutdown.cancelled().await;
            // Exit promptly even if a client keeps a stream open.
            tokio::spawn(async {
                tokio::time::sleep(Duration::from_secs(2)).await;
                std::process::exit(0);
            });
        }
    };

    if debug_mode {
        let reattach = serde_json::json!({
            provider_address: {
                "Protocol": "grpc",
                "ProtocolVersion": PROTOCOL_VERSION,
                "Pid": std::process::id(),
                "Test": true,
                "Addr": {"Network": "tcp", "String": addr.to_string()}
            }
        });
        eprintln!("Provider started in debug mode. To attach Terraform, set:\n\n\tTF_REATTACH_PROVIDERS='{reattach}'\n");
        router
            .serve_with_incoming_shutdown(connections(listener), stop)
            .await
            .map_err(|e| format!("serving: {e}"))?;
        return Ok(());
    }

    let client_pem = std::env::var("PLUGIN_CLIENT_CERT").unwrap_or_default();
    let cert_field;
    if client_pem.trim().is_empty() {
        // go-plugin without AutoMTLS: plaintext, empty certificate field.
        cert_field = String::new();
        print_handshake(&addr, &cert_field)?;
        router
            .serve_with_incoming_shutdown(connections(listener), stop)
            .await
            .map_err(|e| format!("serving: {e}"))?;
    } else {
        let client_der = tls::pem_to_der(&client_pem)?;
        let identity = tls::generate_server_identity()?;
        let acceptor = tokio_rustls::TlsAcceptor::from(tls::server_config(&identity, client_der)?);
        use base64::Engine;
        cert_field = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&identity.cert_der);
        let incoming = connections(listener)
            .filter_map(|conn| conn.ok())
            .then(move |tcp| {
                let acceptor = acceptor.clone();
                async move {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
                    {
                        Ok(Ok(s)) => Some(Ok::<_, std::io::Error>(s)),
                        Ok(Err(e)) => {
                            debug!("TLS handshake failed", "error" => e);
                            None
                        }
                        Err(_) => {
                            debug!("TLS handshake timed out");
                            None
                        }
                    }
                }
            });
        let incoming = incoming.filter_map(|x| x);
        print_handshake(&addr, &cert_field)?;
        router
            .serve_with_incoming_shutdown(incoming, stop)
            .await
            .map_err(|e| format!("serving: {e}"))?;
    }
    Ok(())
}

/// Accepted connections with TCP_NODELAY set, as Go's net package does for
/// Terraform's end. Without it, a response written in more than one segment
/// waits for the client's delayed ACK: about 40 ms per gRPC call on Linux.
fn connections(
    listener: TcpListener,
) -> impl tokio_stream::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    TcpListenerStream::new(listener).map(|conn| {
        let tcp = conn?;
        // Only latency depends on it: a connection without it still works.
        let _ = tcp.set_nodelay(true);
        Ok(tcp)
    })
}

fn print_handshake(addr: &std::net::SocketAddr, cert: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "1|{PROTOCOL_VERSION}|tcp|{addr}|grpc|{cert}")
        .map_err(|e| format!("writing handshake: {e}"))?;
    out.flush().map_err(|e| format!("writing handshake: {e}"))
}
