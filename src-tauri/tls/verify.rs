//! The client's side of the pinned identity: a rustls verifier that accepts exactly one
//! certificate fingerprint, decided inside the handshake — before the client sends a single
//! application byte — from, in order: the fingerprint the user was given (invite link,
//! discovery record, `--fingerprint`), the one remembered for the host (known_hosts), or, on
//! first use and only if allowed, whatever the host shows (then remembered).
//!
//! No certificate authority is involved: a lanchat host's certificate is self-signed, and what
//! makes it the host is that it is the same certificate as before (or as the invite said). The
//! handshake signature is still checked against the certificate's key, so a proxy that replays
//! the host's certificate without its key fails too.

use std::sync::{Arc, Mutex};

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

use super::{Fingerprint, KnownHosts};

/// What a client trusts for one host.
#[derive(Debug, Clone)]
pub struct Pin {
    /// `host:port`, as known_hosts keys it.
    pub host: String,
    /// The fingerprint the user was given; overrides (and then replaces) a remembered one.
    pub expected: Option<Fingerprint>,
    /// Trust a host seen for the first time (with no `expected`), and remember it.
    pub accept_new: bool,
    pub known: Arc<KnownHosts>,
}

/// Why a host was not trusted. Every variant names the fingerprint the host showed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error(
        "{host} is not the host this computer knew: it used to show fingerprint {old}, now it \
         shows {new}. Someone on the network may be pretending to be it, or the host was \
         reinstalled. Nothing was sent. Ask the host to read you its fingerprint; if it is the \
         new one, join with --fingerprint (or remove the line from known_hosts)"
    )]
    Changed {
        host: String,
        old: Fingerprint,
        new: Fingerprint,
    },
    #[error(
        "{host} shows fingerprint {seen}, not the {expected} you were given. Someone on the \
         network may be pretending to be it. Nothing was sent"
    )]
    Mismatch {
        host: String,
        expected: Fingerprint,
        seen: Fingerprint,
    },
    #[error(
        "{host} is new to this computer; it shows fingerprint {seen}. Compare it with the one \
         the host shows, then join again with --accept-new-host or --fingerprint"
    )]
    Unknown { host: String, seen: Fingerprint },
}

impl PinError {
    /// Stable code for IPC and exit messages (docs/protocol.md).
    pub fn code(&self) -> &'static str {
        match self {
            PinError::Changed { .. } | PinError::Mismatch { .. } => "host_changed",
            PinError::Unknown { .. } => "host_unknown",
        }
    }

    /// The fingerprint the host showed.
    pub fn seen(&self) -> Fingerprint {
        match self {
            PinError::Changed { new, .. } => *new,
            PinError::Mismatch { seen, .. } | PinError::Unknown { seen, .. } => *seen,
        }
    }
}

/// How the host's certificate was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It was the one expected or remembered.
    Known(Fingerprint),
    /// First use (or a given fingerprint not yet remembered): remember it once the handshake
    /// has completed.
    New(Fingerprint),
}

/// One connection's verifier: it records what it decided, for the caller to turn a refused
/// handshake into a [`PinError`] and a first use into a known_hosts line.
#[derive(Debug)]
struct Pinned {
    pin: Pin,
    provider: Arc<CryptoProvider>,
    outcome: Arc<Mutex<Option<Result<Verdict, PinError>>>>,
}

impl Pinned {
    fn decide(&self, seen: Fingerprint) -> Result<Verdict, PinError> {
        let host = self.pin.host.clone();
        let known = self.pin.known.get(&host);
        match (self.pin.expected, known) {
            (Some(e), _) if e != seen => Err(PinError::Mismatch {
                host,
                expected: e,
                seen,
            }),
            (Some(_), k) if k == Some(seen) => Ok(Verdict::Known(seen)),
            (Some(_), _) => Ok(Verdict::New(seen)),
            (None, Some(old)) if old == seen => Ok(Verdict::Known(seen)),
            (None, Some(old)) => Err(PinError::Changed {
                host,
                old,
                new: seen,
            }),
            (None, None) if self.pin.accept_new => Ok(Verdict::New(seen)),
            (None, None) => Err(PinError::Unknown { host, seen }),
        }
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.decide(Fingerprint::of(end_entity));
        let ok = verdict.is_ok();
        *self.outcome.lock().unwrap_or_else(|p| p.into_inner()) = Some(verdict);
        if ok {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// What one handshake decided; read after it ends (successfully or not).
pub type Outcome = Arc<Mutex<Option<Result<Verdict, PinError>>>>;

/// A client config for one connection to `pin.host`: its own verifier (so its outcome is this
/// connection's), no session resumption (every connection shows its certificate), HTTP/1.1.
pub fn client_config(pin: Pin) -> Result<(Arc<rustls::ClientConfig>, Outcome), rustls::Error> {
    let provider = super::provider();
    let outcome: Outcome = Arc::default();
    let verifier = Arc::new(Pinned {
        pin,
        provider: provider.clone(),
        outcome: outcome.clone(),
    });
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    cfg.resumption = rustls::client::Resumption::disabled();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(cfg), outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pinned(
        expected: Option<Fingerprint>,
        known: Option<Fingerprint>,
        accept_new: bool,
    ) -> Pinned {
        let k = Arc::new(KnownHosts::in_memory());
        if let Some(f) = known {
            k.remember("h:1", f).unwrap();
        }
        Pinned {
            pin: Pin {
                host: "h:1".into(),
                expected,
                accept_new,
                known: k,
            },
            provider: super::super::provider(),
            outcome: Arc::default(),
        }
    }

    /// The table of trust: given beats remembered, remembered beats first use, and a change is
    /// never taken silently.
    #[test]
    fn who_is_trusted() {
        let (a, b) = (Fingerprint::of(b"a"), Fingerprint::of(b"b"));
        assert_eq!(pinned(None, None, true).decide(a), Ok(Verdict::New(a)));
        assert!(matches!(
            pinned(None, None, false).decide(a),
            Err(PinError::Unknown { .. })
        ));
        assert_eq!(
            pinned(None, Some(a), false).decide(a),
            Ok(Verdict::Known(a))
        );
        assert_eq!(
            pinned(None, Some(a), true).decide(b),
            Err(PinError::Changed {
                host: "h:1".into(),
                old: a,
                new: b
            })
        );
        assert_eq!(pinned(Some(a), None, false).decide(a), Ok(Verdict::New(a)));
        assert_eq!(
            pinned(Some(b), Some(a), false).decide(b),
            Ok(Verdict::New(b))
        );
        assert!(matches!(
            pinned(Some(a), None, true).decide(b),
            Err(PinError::Mismatch { .. })
        ));
        assert!(matches!(
            pinned(Some(a), Some(b), true).decide(b),
            Err(PinError::Mismatch { .. })
        ));
    }
}
