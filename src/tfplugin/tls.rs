//! AutoMTLS as go-plugin does it: Terraform passes its client certificate in
//! PLUGIN_CLIENT_CERT, we generate a self-signed server certificate for
//! "localhost" and announce it in the handshake line, and only the exact
//! client certificate Terraform gave us may connect.
//!
//! go-plugin's certificates are self-signed CAs, which webpki refuses as
//! end-entity certificates, so the client is verified by pinning its DER
//! bytes and checking the handshake signature against its key.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{
    verify_tls12_signature, verify_tls13_signature, CryptoProvider, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::{
    alg_id, AlgorithmIdentifier, CertificateDer, InvalidSignature, PrivateKeyDer,
    PrivatePkcs8KeyDer, SignatureVerificationAlgorithm, UnixTime,
};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use rustls_pki_types::pem::{self, PemObject};

pub struct ServerIdentity {
    pub cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

/// A fresh self-signed certificate for this process.
pub fn generate_server_identity() -> Result<ServerIdentity, String> {
    let key = rcgen::KeyPair::generate().map_err(|e| format!("generating server key: {e}"))?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .map_err(|e| format!("certificate parameters: {e}"))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "terraform-provider-emr");
    params
        .subject_alt_names
        .push(rcgen::SanType::IpAddress(std::net::IpAddr::from([
            127, 0, 0, 1,
        ])));
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::seconds(30);
    params.not_after = now + time::Duration::days(365 * 30);
    let cert = params
        .self_signed(&key)
        .map_err(|e| format!("self-signing server certificate: {e}"))?;
    Ok(ServerIdentity {
        cert_der: cert.der().to_vec(),
        key_der: key.serialize_der(),
    })
}

/// The first certificate of a PEM bundle, as DER (other sections, such as
/// keys, are skipped).
pub fn pem_to_der(pem: &str) -> Result<Vec<u8>, String> {
    match CertificateDer::from_pem_slice(pem.as_bytes()) {
        Ok(der) => Ok(der.as_ref().to_vec()),
        Err(pem::Error::NoItemsFound) => Err("no CERTIFICATE block in PLUGIN_CLIENT_CERT".into()),
        Err(e) => Err(format!("PLUGIN_CLIENT_CERT is not valid PEM: {e}")),
    }
}

/// ECDSA P-521 with SHA-512, the signature of go-plugin's client key,
/// verified with RustCrypto's p521 (ring has no P-521).
#[derive(Debug)]
struct P521Sha512;

impl SignatureVerificationAlgorithm for P521Sha512 {
    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_P521
    }
    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_SHA512
    }
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        use p521::ecdsa::signature::Verifier;
        use p521::ecdsa::{Signature, VerifyingKey};
        let key = VerifyingKey::from_sec1_bytes(public_key).map_err(|_| InvalidSignature)?;
        let sig = Signature::from_der(signature).map_err(|_| InvalidSignature)?;
        key.verify(message, &sig).map_err(|_| InvalidSignature)
    }
}

static P521_SHA512: [&dyn SignatureVerificationAlgorithm; 1] = [&P521Sha512];

/// `base` plus ECDSA P-521 / SHA-512 (made once per process).
fn with_p521(base: WebPkiSupportedAlgorithms) -> WebPkiSupportedAlgorithms {
    let mut all = base.all.to_vec();
    all.push(&P521Sha512);
    let mut mapping = base.mapping.to_vec();
    mapping.insert(
        0,
        (SignatureScheme::ECDSA_NISTP521_SHA512, &P521_SHA512[..]),
    );
    WebPkiSupportedAlgorithms {
        all: Box::leak(all.into_boxed_slice()),
        mapping: Box::leak(mapping.into_boxed_slice()),
    }
}

#[derive(Debug)]
struct PinnedClient {
    der: Vec<u8>,
    algs: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClient {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.der.as_slice() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algs)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algs)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// The rustls server configuration: our identity, the pinned client, ALPN h2
/// (gRPC clients require it).
pub fn server_config(
    identity: &ServerIdentity,
    client_cert_der: Vec<u8>,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(PinnedClient {
        der: client_cert_der,
        algs: with_p521(provider.signature_verification_algorithms),
    });
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_der.clone()));
    let mut cfg =
        rustls::ServerConfig::builder_with_provider(Arc::clone(&provider) as Arc<CryptoProvider>)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS versions: {e}"))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![CertificateDer::from(identity.cert_der.clone())], key)
            .map_err(|e| format!("TLS server certificate: {e}"))?;
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(cfg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_cert() -> rcgen::Certificate {
        let key = rcgen::KeyPair::generate().unwrap();
        rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap()
    }

    #[test]
    fn pem_certificate_decodes_to_its_der() {
        let cert = client_cert();
        let der = cert.der().to_vec();
        assert_eq!(pem_to_der(&cert.pem()), Ok(der.clone()));
        // CRLF line ends, surrounding whitespace, and a key before it.
        let crlf = cert.pem().replace('\n', "\r\n");
        assert_eq!(pem_to_der(&format!("\n\n{crlf}\n")), Ok(der.clone()));
        let key = rcgen::KeyPair::generate().unwrap().serialize_pem();
        assert_eq!(pem_to_der(&format!("{key}{}", cert.pem())), Ok(der.clone()));
        // A bundle gives its first certificate.
        let other = client_cert();
        assert_eq!(
            pem_to_der(&format!("{}{}", cert.pem(), other.pem())),
            Ok(der)
        );
    }

    #[test]
    fn bad_pem_is_an_error_naming_the_variable() {
        for bad in [
            "",
            "not pem",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            let e = pem_to_der(bad).unwrap_err();
            assert!(
                e.contains("no CERTIFICATE block in PLUGIN_CLIENT_CERT"),
                "{bad:?}: {e}"
            );
        }
        for bad in [
            "-----BEGIN CERTIFICATE-----\n!!not base64!!\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nMIIB\n",
        ] {
            let e = pem_to_der(bad).unwrap_err();
            assert!(
                e.starts_with("PLUGIN_CLIENT_CERT is not valid PEM"),
                "{bad:?}: {e}"
            );
        }
    }

    /// go-plugin's client signs with P-521: signatures made by another
    /// implementation (aws-lc, as Go's would be) verify, and only for the
    /// signed message and the signing key.
    #[test]
    fn p521_handshake_signatures_are_checked() {
        use aws_lc_rs::rand::SystemRandom;
        use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P521_SHA512_ASN1_SIGNING};
        let rng = SystemRandom::new();
        let key = |rng: &SystemRandom| {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P521_SHA512_ASN1_SIGNING, rng).unwrap();
            EcdsaKeyPair::from_pkcs8(&ECDSA_P521_SHA512_ASN1_SIGNING, pkcs8.as_ref()).unwrap()
        };
        let (ours, other) = (key(&rng), key(&rng));
        let msg = b"TLS 1.3, client CertificateVerify";
        let sig = ours.sign(&rng, msg).unwrap();
        let verify = |public: &[u8], m: &[u8]| P521Sha512.verify_signature(public, m, sig.as_ref());
        assert!(verify(ours.public_key().as_ref(), msg).is_ok());
        assert!(verify(ours.public_key().as_ref(), b"another message").is_err());
        assert!(verify(other.public_key().as_ref(), msg).is_err());
        assert!(P521Sha512
            .verify_signature(ours.public_key().as_ref(), msg, b"not a DER signature")
            .is_err());
        // The scheme Terraform's client offers is one the verifier accepts.
        let algs =
            with_p521(rustls::crypto::ring::default_provider().signature_verification_algorithms);
        assert!(algs
            .supported_schemes()
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }
}
