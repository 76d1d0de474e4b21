//! HTTPS served by the server itself (`--tls-cert`/`--tls-key`): the API and the phones'
//! live socket (`wss://`) with a self-signed certificate made by the test, and clear start
//! errors for missing, wrong or mismatched files.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;
use tokio_tungstenite::Connector;

use crate::fixtures::world;
use crate::helpers::{ADMIN_PASSWORD, ADMIN_USER, spawn_app_with, test_settings, ws_send, ws_until};

/// A self-signed certificate for localhost and 127.0.0.1, written as PEM files.
struct SelfSigned {
    cert_pem: String,
    cert: PathBuf,
    key: PathBuf,
}

fn self_signed(dir: &Path, name: &str) -> SelfSigned {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let cert_pem = ck.cert.pem();
    let cert = dir.join(format!("{name}-cert.pem"));
    let key = dir.join(format!("{name}-key.pem"));
    std::fs::write(&cert, &cert_pem).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    SelfSigned { cert_pem, cert, key }
}

#[tokio::test]
async fn https_and_wss_work_with_the_given_certificate() {
    let certs = tempfile::tempdir().unwrap();
    let c = self_signed(certs.path(), "hall");
    let mut settings = test_settings();
    settings.tls_cert = Some(c.cert.clone());
    settings.tls_key = Some(c.key.clone());
    let mut app = spawn_app_with(settings).await;

    // A client that trusts this certificate only.
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(c.cert_pem.as_bytes()).unwrap())
        .https_only(true)
        .build()
        .unwrap();
    let base = format!("https://localhost:{}", app.port);
    let res = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": ADMIN_USER, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // The pages carry their security headers over HTTPS too.
    let res = client.get(format!("{base}/play")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");

    // Plain HTTP on the HTTPS port gets no answer.
    let plain = reqwest::Client::new().get(format!("http://127.0.0.1:{}/healthz", app.port)).send().await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success(), "plain HTTP was served on the TLS port");

    // A phone's live socket over wss://: the first message is the state, pings are answered.
    // (The contest is set up over HTTPS too.)
    app.addr = base.clone();
    app.client = client.clone();
    let w = world(&app).await;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from(c_der(&c.cert_pem))).unwrap();
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let url = format!("wss://localhost:{}/api/live?token={}", app.port, w.token_a);
    let (mut ws, _) =
        tokio_tungstenite::connect_async_tls_with_config(url, None, false, Some(Connector::Rustls(Arc::new(tls))))
            .await
            .expect("wss connect");
    ws_until(&mut ws, 10, |v| v["type"] == "state").await;
    ws_send(&mut ws, json!({"type": "ping"})).await;
    ws_until(&mut ws, 10, |v| v["type"] == "pong").await;
    app.handle.stop(false).await;
}

/// The DER of the first certificate of a PEM text.
fn c_der(pem: &str) -> Vec<u8> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap().to_vec()
}

/// Starts a server with these TLS files and returns the start error.
async fn start_error(cert: Option<&Path>, key: Option<&Path>) -> String {
    let mut settings = test_settings();
    settings.tls_cert = cert.map(Path::to_owned);
    settings.tls_key = key.map(Path::to_owned);
    let db = hoithi::db::connect_url("sqlite::memory:", None).await.unwrap();
    match hoithi::startup::Application::build_with_db(db, settings).await {
        Ok(_) => panic!("the server started with cert {cert:?} and key {key:?}"),
        Err(e) => format!("{e:#}"),
    }
}

#[tokio::test]
async fn bad_certificate_or_key_files_stop_the_start_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = self_signed(dir.path(), "a");
    let b = self_signed(dir.path(), "b");
    let missing = dir.path().join("nothing-here.pem");
    let e = start_error(Some(&missing), Some(&a.key)).await;
    assert!(e.contains("nothing-here.pem") && e.contains("--tls-cert"), "{e}");
    let e = start_error(Some(&a.cert), Some(&missing)).await;
    assert!(e.contains("nothing-here.pem") && e.contains("--tls-key"), "{e}");
    // The key given as the certificate, and the certificate given as the key.
    let e = start_error(Some(&a.key), Some(&a.key)).await;
    assert!(e.contains("a-key.pem") && e.contains("no certificate"), "{e}");
    let e = start_error(Some(&a.cert), Some(&a.cert)).await;
    assert!(e.contains("a-cert.pem") && e.contains("no private key"), "{e}");
    // Another certificate's key.
    let e = start_error(Some(&a.cert), Some(&b.key)).await;
    assert!(e.contains("b-key.pem") && e.contains("a-cert.pem") && e.contains("does not fit"), "{e}");
    // One without the other.
    let e = start_error(Some(&a.cert), None).await;
    assert!(e.contains("--tls-cert and --tls-key"), "{e}");
}
