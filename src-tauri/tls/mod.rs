//! Encryption with a pinned identity (issue #13; docs/security.md, "Encryption"). No Tauri, no
//! sockets: the host's long-lived certificate ([`identity`]), its SHA-256 [`Fingerprint`], the
//! clients' remembered hosts ([`known_hosts`]) and the verifier that pins a fingerprint inside
//! the TLS handshake ([`verify`]). The server's accept loop (`server/listen.rs`) and the
//! client's tunnel (`client/tunnel.rs`) put them on the wire.

mod fingerprint;
mod identity;
pub mod known_hosts;
mod verify;

pub use fingerprint::Fingerprint;
pub use identity::{Identity, IdentityError};
pub use known_hosts::KnownHosts;
pub use verify::{Pin, PinError, Verdict, client_config};

use std::sync::Arc;

/// The one crypto provider both sides use (ring: no C toolchain beyond what ring needs).
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}
