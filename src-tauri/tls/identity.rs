//! The host's long-lived identity: a key pair and a self-signed certificate, made on first run
//! in the data directory and reused afterwards, so its fingerprint stays the same across
//! restarts and people can pin it. The key file is readable by its owner only.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::Fingerprint;

/// The certificate, in PEM, inside the data directory.
pub const CERT_FILE: &str = "identity-cert.pem";
/// The private key (PKCS#8 PEM, mode 0600), inside the data directory.
pub const KEY_FILE: &str = "identity-key.pem";

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("could not make the host's certificate: {0}")]
    Generate(String),
    #[error("could not read or write {}: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{} is not a usable certificate or key ({why}); move both identity files away to make \
         a new identity (people who pinned the old one will see a warning)",
        path.display()
    )]
    Bad { path: PathBuf, why: String },
}

/// A host's certificate and key. Cloning copies a few hundred bytes.
pub struct Identity {
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
    fingerprint: Fingerprint,
}

impl Clone for Identity {
    fn clone(&self) -> Identity {
        Identity {
            cert: self.cert.clone(),
            key: self.key.clone_key(),
            fingerprint: self.fingerprint,
        }
    }
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identity({})", self.fingerprint.hex())
    }
}

impl Identity {
    /// A new identity (ECDSA P-256), kept in memory only: for servers without a data directory
    /// of their own (tests) — their fingerprint changes every start.
    pub fn generate() -> Result<Identity, IdentityError> {
        Identity::make().map(|(id, _, _)| id)
    }

    /// A new identity and its certificate and key in PEM.
    fn make() -> Result<(Identity, String, String), IdentityError> {
        let gen_err = |e: rcgen::Error| IdentityError::Generate(e.to_string());
        let key = rcgen::KeyPair::generate().map_err(gen_err)?;
        let mut params =
            rcgen::CertificateParams::new(vec!["lanchat".to_owned()]).map_err(gen_err)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "lanchat host");
        let cert = params.self_signed(&key).map_err(gen_err)?;
        let (cert_pem, key_pem) = (cert.pem(), key.serialize_pem());
        let cert = cert.der().clone();
        let key = PrivatePkcs8KeyDer::from(key.serialize_der());
        let id = Identity {
            fingerprint: Fingerprint::of(&cert),
            cert,
            key,
        };
        Ok((id, cert_pem, key_pem))
    }

    /// The identity kept in `dir`, made (and written, the key 0600) if there is none yet.
    pub fn load_or_create(dir: &Path) -> Result<Identity, IdentityError> {
        let (cert_path, key_path) = (dir.join(CERT_FILE), dir.join(KEY_FILE));
        if cert_path.exists() || key_path.exists() {
            return Identity::load(&cert_path, &key_path);
        }
        std::fs::create_dir_all(dir).map_err(|source| IdentityError::File {
            path: dir.to_owned(),
            source,
        })?;
        let (id, cert_pem, key_pem) = Identity::make()?;
        write_private(&key_path, &key_pem)?;
        write_file(&cert_path, &cert_pem)?;
        tracing::info!(
            "made this host's identity in {} (fingerprint {})",
            dir.display(),
            id.fingerprint
        );
        Ok(id)
    }

    fn load(cert_path: &Path, key_path: &Path) -> Result<Identity, IdentityError> {
        let bad = |path: &Path, why: String| IdentityError::Bad {
            path: path.to_owned(),
            why,
        };
        let cert =
            CertificateDer::from_pem_file(cert_path).map_err(|e| bad(cert_path, e.to_string()))?;
        let key = PrivatePkcs8KeyDer::from_pem_file(key_path)
            .map_err(|e| bad(key_path, e.to_string()))?;
        let id = Identity {
            fingerprint: Fingerprint::of(&cert),
            cert,
            key,
        };
        // A key that does not match the certificate fails here, not at the first handshake.
        id.server_config()
            .map_err(|e| bad(key_path, e.to_string()))?;
        Ok(id)
    }

    /// The certificate and the key (PKCS#8), DER: for a cluster, whose nodes share one
    /// identity kept in its Redis (`server/cluster/`).
    pub fn to_der(&self) -> (Vec<u8>, Vec<u8>) {
        (self.cert.to_vec(), self.key.secret_pkcs8_der().to_vec())
    }

    /// An identity from [`Identity::to_der`]'s parts; a key that does not match is an error.
    pub fn from_der(cert: Vec<u8>, key: Vec<u8>) -> Result<Identity, IdentityError> {
        let cert = CertificateDer::from(cert);
        let id = Identity {
            fingerprint: Fingerprint::of(&cert),
            cert,
            key: PrivatePkcs8KeyDer::from(key),
        };
        id.server_config()
            .map_err(|e| IdentityError::Generate(e.to_string()))?;
        Ok(id)
    }

    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// The certificate (DER), e.g. for a test's attacker to compare against.
    pub fn cert_der(&self) -> &[u8] {
        self.cert.as_ref()
    }

    /// The TLS server side of this identity (TLS 1.2 and 1.3, HTTP/1.1 only).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, IdentityError> {
        let err = |e: rustls::Error| IdentityError::Generate(e.to_string());
        let mut cfg = rustls::ServerConfig::builder_with_provider(super::provider())
            .with_safe_default_protocol_versions()
            .map_err(err)?
            .with_no_client_auth()
            .with_single_cert(
                vec![self.cert.clone()],
                PrivateKeyDer::Pkcs8(self.key.clone_key()),
            )
            .map_err(err)?;
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(cfg))
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), IdentityError> {
    std::fs::write(path, text).map_err(|source| IdentityError::File {
        path: path.to_owned(),
        source,
    })
}

/// Writes a file only its owner may read (created so: never briefly world-readable).
fn write_private(path: &Path, text: &str) -> Result<(), IdentityError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|source| IdentityError::File {
            path: path.to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The identity is made once, with a private key file, and the same one comes back after a
    /// restart (same fingerprint).
    #[test]
    fn made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = Identity::load_or_create(dir.path()).unwrap();
        let again = Identity::load_or_create(dir.path()).unwrap();
        assert_eq!(first.fingerprint(), again.fingerprint());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_ne!(
            Identity::generate().unwrap().fingerprint(),
            first.fingerprint()
        );
    }

    /// A damaged key file is a clear error naming the file, not a new identity.
    #[test]
    fn a_damaged_identity_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        Identity::load_or_create(dir.path()).unwrap();
        std::fs::write(dir.path().join(KEY_FILE), "junk").unwrap();
        let e = Identity::load_or_create(dir.path()).unwrap_err();
        assert!(e.to_string().contains(KEY_FILE), "{e}");
    }
}
