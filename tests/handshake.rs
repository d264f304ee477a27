//! The binary as Terraform sees it: magic cookie, protocol negotiation, the
//! handshake line, AutoMTLS, health, stdio, interrupts and shutdown.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::mtls::{self, COOKIE};
use terraform_provider_emr::proto::plugin::grpc_controller_client::GrpcControllerClient;
use terraform_provider_emr::proto::plugin::grpc_stdio_client::GrpcStdioClient;
use terraform_provider_emr::proto::plugin::Empty;
use terraform_provider_emr::proto::tfplugin6 as pb;
use terraform_provider_emr::proto::tfplugin6::provider_client::ProviderClient;

#[test]
fn without_the_magic_cookie_it_explains_and_exits_1() {
    let out = Command::new(mtls::binary())
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("plugin") && err.contains("not meant to be executed directly"),
        "{err}"
    );
}

#[test]
fn refuses_a_terraform_that_does_not_speak_protocol_6() {
    let out = Command::new(mtls::binary())
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "4,5")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("protocol 6"));
}

#[tokio::test]
async fn serves_over_mutual_tls_and_shuts_down_promptly() {
    let cert = mtls::client_cert();
    let (mut child, line) = mtls::start_plugin(&cert);
    let hs = mtls::parse_handshake(&line);
    assert_eq!(
        (
            hs.core_version.as_str(),
            hs.protocol.as_str(),
            hs.network.as_str(),
            hs.kind.as_str()
        ),
        ("1", "6", "tcp", "grpc")
    );
    assert!(
        hs.addr.starts_with("127.0.0.1:"),
        "loopback only: {}",
        hs.addr
    );
    assert!(!hs.server_cert_der.is_empty());

    let channel = mtls::connect(&hs, &cert)
        .await
        .expect("mTLS connection with the right client certificate");
    let mut provider = ProviderClient::new(channel.clone());
    let schema = provider
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(schema
        .resource_schemas
        .contains_key("emr_security_configuration"));

    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let h = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        h.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    let mut stdio = GrpcStdioClient::new(channel.clone());
    let _stream = stdio
        .stream_stdio(Empty {})
        .await
        .expect("stdio stream opens");

    // SIGINT belongs to Terraform: the provider keeps serving.
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "provider must ignore SIGINT"
    );
    provider
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("still serving after SIGINT");

    // StopProvider cancels work, not the server.
    provider
        .stop_provider(pb::stop_provider::Request {})
        .await
        .unwrap();
    provider
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("still serving after StopProvider");

    // A client without Terraform's certificate is refused.
    let stranger = mtls::client_cert();
    let refused = match mtls::connect(&hs, &stranger).await {
        Err(_) => true,
        Ok(ch) => ProviderClient::new(ch)
            .get_metadata(pb::get_metadata::Request {})
            .await
            .is_err(),
    };
    assert!(refused, "a different client certificate must not be served");

    let started = Instant::now();
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .unwrap();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "clean exit: {status:?}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "shutdown must exit promptly"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut rest = String::new();
    use std::io::Read;
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut rest).unwrap();
    }
    assert!(
        rest.is_empty(),
        "nothing on stdout after the handshake: {rest:?}"
    );
}

#[test]
fn debug_mode_prints_reattach_configuration() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(mtls::binary())
        .arg("--debug")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut text = String::new();
    for _ in 0..4 {
        let mut l = String::new();
        stderr.read_line(&mut l).unwrap();
        text.push_str(&l);
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(text.contains("TF_REATTACH_PROVIDERS="), "{text}");
    let json = text
        .split("TF_REATTACH_PROVIDERS='")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let p = &v["registry.terraform.io/emrlaunch/emr"];
    assert_eq!(p["ProtocolVersion"], 6);
    assert!(p["Addr"]["String"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
}
