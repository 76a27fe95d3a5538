//! The accept loop, ours rather than `axum::serve` so connections that never become sessions
//! cannot pile up: a deadline on each request head (a trickled half request), a limit on waiting
//! for a client that sends nothing, a cap on open TCP connections, and a log line whenever a
//! connection is refused (the open-file limit included).
//!
//! One port speaks both TLS and plain HTTP: the first byte a client sends tells them apart (a TLS
//! ClientHello starts with 0x16, an HTTP request with a letter). A TLS handshake gets the same
//! deadline as a request head. Each request carries [`Secure`], which says which it came over.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, oneshot};
use tower::ServiceExt;

use super::wire::{Metered, Tap};

/// Limits on connections before and around the Socket.IO layer (docs/security.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    /// A request head (request line and headers) must arrive within this (default 10 s).
    pub head_timeout: Duration,
    /// A connection waiting this long for a client that sends nothing is closed (default 45 s;
    /// an open Socket.IO session answers the heartbeat every 10 s, so it never waits that long).
    pub idle_timeout: Duration,
    /// Most TCP connections open at once (default: `max_connections` + 1,000 for page loads and
    /// handshakes).
    pub max_tcp: usize,
}

/// Whether a request came over TLS (a request extension set by the accept loop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Secure(pub bool);

/// The first byte of a TLS record carrying a handshake (RFC 8446 §5.1, content type 22).
const TLS_HANDSHAKE: u8 = 0x16;

/// Serves `router` on `listener` until `stop` fires, then lets open connections finish
/// (at most 5 s).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    tls: Arc<rustls::ServerConfig>,
    mut stop: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let slots = Arc::new(Semaphore::new(limits.max_tcp));
    // Tells open connections to finish their current request and close.
    let (closing_tx, closing) = tokio::sync::watch::channel(false);
    let mut refusals = Refusals::default();
    loop {
        let (tcp, peer) = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE and friends: nothing to accept with until a descriptor frees up.
                    refusals.note(&format!("accepting failed: {e} (is the open-file limit too low?)"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            refusals.note(&format!(
                "refusing a connection from {peer}: {} TCP connections are open",
                limits.max_tcp
            ));
            continue;
        };
        // Chat packets are small and latency matters more than packing: no Nagle delay.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY: {e}");
        }
        let router = router.clone();
        let acceptor = acceptor.clone();
        let closing = closing.clone();
        tokio::spawn(async move {
            let quiet = Quiet::new(tcp, limits.idle_timeout);
            let mut first = [0u8; 1];
            // The head deadline covers the wait for the first byte and the TLS handshake.
            let deadline = tokio::time::Instant::now() + limits.head_timeout;
            let peeked = tokio::time::timeout_at(deadline, quiet.tcp.peek(&mut first)).await;
            match peeked {
                Ok(Ok(1..)) if first[0] == TLS_HANDSHAKE => {
                    match tokio::time::timeout_at(deadline, acceptor.accept(quiet)).await {
                        Ok(Ok(tls)) => {
                            serve_conn(tls, peer, Secure(true), router, limits, closing).await
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
                Ok(Ok(1..)) => {
                    serve_conn(quiet, peer, Secure(false), router, limits, closing).await
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::debug!(%peer, "connection failed: {e}"),
                Err(_) => tracing::debug!(%peer, "the client sent nothing"),
            }
            drop(slot);
        });
    }
    drop(listener);
    let _ = closing_tx.send(true);
    // Every connection holds a slot until it ends: wait for them all (at most 5 s).
    let all = u32::try_from(limits.max_tcp).unwrap_or(u32::MAX);
    if tokio::time::timeout(Duration::from_secs(5), slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::debug!("some connections were still open after 5 s");
    }
    Ok(())
}

/// Serves HTTP (and WebSocket upgrades) on one accepted connection, plain or TLS, until it
/// ends or the server is closing.
async fn serve_conn<S>(
    io: S,
    peer: std::net::SocketAddr,
    secure: Secure,
    router: Router,
    limits: ConnLimits,
    mut closing: tokio::sync::watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // What the server writes on this connection is followed for its WebSocket's send budget
    // (`wire`); its requests carry the tap there.
    let tap = Arc::new(Tap::default());
    let for_requests = tap.clone();
    let app = router.map_request(
        move |mut req: axum::extract::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req.extensions_mut().insert(for_requests.clone());
            req.extensions_mut().insert(secure);
            req
        },
    );
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.head_timeout)
        .serve_connection(
            TokioIo::new(Metered::new(io, tap)),
            TowerToHyperService::new(app),
        )
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let ended = tokio::select! {
        r = conn.as_mut() => r,
        _ = async { closing.wait_for(|c| *c).await.map(|_| ()) } => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = ended {
        tracing::debug!(%peer, "connection ended: {e}");
    }
}

/// Logs refusals at most once a second, with how many there were.
#[derive(Default)]
struct Refusals {
    last: Option<Instant>,
    since: usize,
}

impl Refusals {
    fn note(&mut self, why: &str) {
        self.since += 1;
        if self
            .last
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(1))
        {
            tracing::warn!("{why} ({} refused in the last second)", self.since);
            self.last = Some(Instant::now());
            self.since = 0;
        }
    }
}

/// A TCP stream whose reads fail with `TimedOut` after `limit` of waiting for a client that
/// sends nothing. The clock runs only while a read is actually waiting, so a long-poll the
/// server itself holds open does not count against the client.
struct Quiet {
    tcp: TcpStream,
    limit: Duration,
    waiting: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Quiet {
    fn new(tcp: TcpStream, limit: Duration) -> Quiet {
        Quiet {
            tcp,
            limit,
            waiting: None,
        }
    }
}

impl AsyncRead for Quiet {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.tcp).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before || r.is_err() {
                    self.waiting = None;
                }
                Poll::Ready(r)
            }
            Poll::Pending => {
                let limit = self.limit;
                let sleep = self
                    .waiting
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the client sent nothing for too long",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncWrite for Quiet {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }
}

/// Raises this process's soft open-file limit to what `connections` need (two descriptors each,
/// plus room for the database and page loads), up to the hard limit. Returns the limit now in
/// force, and warns if it is still short.
pub fn raise_fd_limit(connections: usize) -> u64 {
    let want = (connections as u64).saturating_mul(2).saturating_add(1024);
    match rlimit::increase_nofile_limit(want) {
        Ok(got) => {
            if got < want {
                tracing::warn!(
                    "the open-file limit is {got}, below the {want} that {connections} connections \
                     need: raise it (ulimit -n) or lower --max-connections"
                );
            }
            got
        }
        Err(e) => {
            tracing::warn!("could not read or raise the open-file limit: {e}");
            0
        }
    }
}
