//! HTTPS served by the server itself (`--tls-cert` / `--tls-key`, PEM files), for a hall
//! without a reverse proxy: rustls with the `ring` provider, HTTP/2 and HTTP/1.1 (the live
//! sockets go over HTTP/1.1 as `wss://`).
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The server's TLS configuration from a certificate chain and its private key, both PEM.
/// Every failure names the file and says what was expected in it.
pub fn server_config(cert_file: &Path, key_file: &Path) -> anyhow::Result<rustls::ServerConfig> {
    let certs = read_certs(cert_file)?;
    let key = read_key(key_file)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("cannot set up TLS")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            anyhow!(
                "the TLS key {} does not fit the certificate {}: {e} (--tls-key must be the private key of --tls-cert)",
                key_file.display(),
                cert_file.display()
            )
        })?;
    Ok(config)
}

fn read(file: &Path, what: &str, flag: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(file).map_err(|e| anyhow!("cannot read the TLS {what} {} ({flag}): {e}", file.display()))
}

fn read_certs(file: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let bytes = read(file, "certificate", "--tls-cert")?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, pem::Error>>()
        .map_err(|e| anyhow!("the TLS certificate {} (--tls-cert) is not valid PEM: {e}", file.display()))?;
    if certs.is_empty() {
        return Err(anyhow!(
            "the TLS certificate {} (--tls-cert) holds no certificate (a PEM file with \
             -----BEGIN CERTIFICATE----- is expected, the server's own first, then the chain)",
            file.display()
        ));
    }
    Ok(certs)
}

fn read_key(file: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    let bytes = read(file, "key", "--tls-key")?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => anyhow!(
            "the TLS key {} (--tls-key) holds no private key (a PEM file with -----BEGIN PRIVATE KEY----- \
             or an RSA or EC private key is expected)",
            file.display()
        ),
        e => anyhow!("the TLS key {} (--tls-key) is not valid PEM: {e}", file.display()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_wrong_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = server_config(&missing, &missing).unwrap_err().to_string();
        assert!(e.contains("missing.pem") && e.contains("--tls-cert"), "{e}");
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let e = server_config(&junk, &junk).unwrap_err().to_string();
        assert!(e.contains("junk.pem") && e.contains("no certificate"), "{e}");
    }
}
