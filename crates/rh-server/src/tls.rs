//! TLS for `rh-server serve --tls-cert PEM --tls-key PEM`: rustls with the ring provider (the one the rest of
//! the workspace already uses), TLS 1.2 and 1.3.
//!
//! Each connection's handshake runs in that connection's own task (with [`HANDSHAKE_TIMEOUT`]), so a slow or
//! silent client never holds up the others; see [`crate::connections`].

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

use crate::{Error, Result};

/// How long a client may take to finish its handshake.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A loaded certificate chain and key, ready to accept connections.
#[derive(Clone)]
pub struct TlsConfig(Arc<ServerConfig>);

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfig(..)")
    }
}

impl TlsConfig {
    /// Reads a PEM certificate chain and a PEM private key (PKCS#8, PKCS#1 or SEC1). Errors name the file.
    pub fn load(cert: &Path, key: &Path) -> Result<Self> {
        let invalid = |path: &Path, what: &str| {
            Error::Setup(format!(
                "invalid TLS {what} file {}: {}",
                path.display(),
                if what == "certificate" {
                    "expected PEM 'CERTIFICATE' blocks"
                } else {
                    "expected one PEM private key"
                }
            ))
        };
        let readable = |path: &Path| {
            std::fs::metadata(path)
                .and_then(|_| std::fs::File::open(path).map(drop))
                .map_err(|source| Error::TlsFile {
                    path: path.to_path_buf(),
                    source,
                })
        };
        readable(cert)?;
        readable(key)?;
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .map_err(|_| invalid(cert, "certificate"))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| invalid(cert, "certificate"))?;
        if certs.is_empty() {
            return Err(invalid(cert, "certificate"));
        }
        let key_der = PrivateKeyDer::from_pem_file(key).map_err(|_| invalid(key, "key"))?;
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Setup(format!("cannot set up TLS: {e}")))?
            .with_no_client_auth()
            .with_single_cert(certs, key_der)
            .map_err(|e| {
                Error::Setup(format!(
                    "TLS key {} does not fit certificate {}: {e}",
                    key.display(),
                    cert.display()
                ))
            })?;
        let mut config = config;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self(Arc::new(config)))
    }

    /// An acceptor for this certificate.
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(Arc::clone(&self.0))
    }
}
