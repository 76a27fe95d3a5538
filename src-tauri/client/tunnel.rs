//! The client's encrypted link to the host. rust_socketio 0.6 (through rust_engineio) takes only
//! a native-tls connector, which cannot check a pinned fingerprint inside the handshake; so each
//! client runs a tunnel: a listener on 127.0.0.1:0 that rust_socketio and the HTTP requests
//! (the `/api/info` probe, file uploads and downloads) talk plain HTTP to, and that opens, for
//! every connection it accepts, its own TLS connection to the host. The pinned verifier
//! (`tls::verify`) decides in that handshake, before one byte of the client's is forwarded; a
//! refused host gets nothing, and the refusal is kept for the client to report.
//!
//! The listener is on loopback, so only programs on this computer can use it, and they could
//! reach the host themselves anyway. It stops with the client (its owner drops it).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::net::{TcpListener, TcpStream};

use super::ClientError;
use crate::tls::{Pin, PinError, Verdict};

/// How long reaching the host and its TLS handshake may take, each.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Tunnel {
    /// `http://127.0.0.1:PORT`: where this client's requests go.
    url: String,
    /// The last refusal of the host's certificate (shared with the accept task).
    refused: Arc<Mutex<Option<PinError>>>,
    /// Why the last connection to the host failed otherwise (unreachable, no TLS there).
    failed: Arc<Mutex<Option<String>>>,
    /// The fingerprint the host showed in the last handshake that was accepted: what the other
    /// nodes of a cluster are pinned to (they share this identity).
    accepted: Arc<Mutex<Option<crate::tls::Fingerprint>>>,
    /// `host:port`, for messages.
    host: String,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Tunnel {
    /// Starts a tunnel to `pin.host` (`host:port`).
    pub async fn open(pin: Pin) -> Result<Tunnel, ClientError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| ClientError::Unreachable(pin.host.clone(), e.to_string()))?;
        let local = listener
            .local_addr()
            .map_err(|e| ClientError::Unreachable(pin.host.clone(), e.to_string()))?;
        let refused: Arc<Mutex<Option<PinError>>> = Arc::default();
        let failed: Arc<Mutex<Option<String>>> = Arc::default();
        let accepted: Arc<Mutex<Option<crate::tls::Fingerprint>>> = Arc::default();
        let host = pin.host.clone();
        let accept = tokio::spawn(accept_loop(
            listener,
            pin,
            refused.clone(),
            failed.clone(),
            accepted.clone(),
        ));
        Ok(Tunnel {
            url: format!("http://{local}"),
            refused,
            failed,
            accepted,
            host,
            accept,
        })
    }

    /// `http://127.0.0.1:PORT`, to put in front of a path.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Why the host's certificate was last refused, if it was.
    pub fn refusal(&self) -> Option<PinError> {
        self.refused
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The fingerprint of the host's certificate, once a handshake has accepted it.
    pub fn fingerprint(&self) -> Option<crate::tls::Fingerprint> {
        *self.accepted.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `err`, or the refused certificate behind it: a connection the tunnel dropped because
    /// of the host's fingerprint reaches its caller as a plain I/O error. An unreachable host
    /// is named by its own address (not the tunnel's), with the tunnel's reason when it has one.
    pub fn explain(&self, err: ClientError) -> ClientError {
        if let Some(p) = self.refusal() {
            return ClientError::Host(p);
        }
        match err {
            ClientError::Unreachable(_, why) => {
                let failed = self
                    .failed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                ClientError::Unreachable(self.host.clone(), failed.unwrap_or(why))
            }
            other => other,
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    pin: Pin,
    refused: Arc<Mutex<Option<PinError>>>,
    failed: Arc<Mutex<Option<String>>>,
    accepted: Arc<Mutex<Option<crate::tls::Fingerprint>>>,
) {
    loop {
        let (local, from) = match listener.accept().await {
            Ok(a) => a,
            Err(e) => {
                tracing::debug!("tunnel accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let (pin, refused, failed) = (pin.clone(), refused.clone(), failed.clone());
        let accepted = accepted.clone();
        tokio::spawn(async move {
            match carry(local, from, pin, refused, accepted).await {
                Err(Carry::Setup(why)) => {
                    tracing::debug!("tunnel connection: {why}");
                    *failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
                }
                Err(Carry::Io(e)) => tracing::debug!("tunnel connection: {e}"),
                Ok(()) => {}
            }
        });
    }
}

/// How a tunnelled connection ended badly: before the host was reached over TLS (kept, to
/// explain a failed connect), or afterwards.
enum Carry {
    Setup(String),
    Io(std::io::Error),
}

/// One connection: TLS to the host (the pin checked in the handshake), then bytes both ways.
async fn carry(
    local: TcpStream,
    from: SocketAddr,
    pin: Pin,
    refused: Arc<Mutex<Option<PinError>>>,
    accepted: Arc<Mutex<Option<crate::tls::Fingerprint>>>,
) -> Result<(), Carry> {
    if !from.ip().is_loopback() {
        return Ok(());
    }
    let host = pin.host.clone();
    let known = pin.known.clone();
    let name = server_name(&host);
    let (config, outcome) =
        crate::tls::client_config(pin).map_err(|e| Carry::Setup(e.to_string()))?;
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&host))
        .await
        .map_err(|_| Carry::Setup("connecting timed out".into()))?
        .map_err(|e| Carry::Setup(e.to_string()))?;
    let _ = tcp.set_nodelay(true);
    let _ = local.set_nodelay(true);
    let connector = tokio_rustls::TlsConnector::from(config);
    let handshake = tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(name, tcp)).await;
    let verdict = outcome.lock().unwrap_or_else(|p| p.into_inner()).take();
    let mut tls = match handshake {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            if let Some(Err(p)) = verdict {
                tracing::warn!("{p}");
                *refused.lock().unwrap_or_else(|p| p.into_inner()) = Some(p);
            }
            return Err(Carry::Setup(format!(
                "no TLS handshake with the host ({e}); a server that speaks no TLS (a \
                 tutorial-style one) needs --insecure-plain"
            )));
        }
        Err(_) => return Err(Carry::Setup("the TLS handshake timed out".into())),
    };
    if let Some(Ok(Verdict::New(fp) | Verdict::Known(fp))) = verdict {
        *accepted.lock().unwrap_or_else(|p| p.into_inner()) = Some(fp);
    }
    if let Some(Ok(Verdict::New(fp))) = verdict {
        tracing::info!("trusting {host} from now on: fingerprint {fp}");
        if let Err(e) = known.remember(&host, fp) {
            tracing::warn!("could not remember {host} in known_hosts: {e}");
        }
    }
    let mut local = local;
    tokio::io::copy_bidirectional(&mut local, &mut tls)
        .await
        .map_err(Carry::Io)?;
    Ok(())
}

/// What the handshake names the host (our verifier ignores it; it only picks the SNI).
fn server_name(host_port: &str) -> ServerName<'static> {
    let host = match host_port.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host_port,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_owned())
        .unwrap_or_else(|_| ServerName::try_from("lanchat").expect("a valid DNS name"))
}
