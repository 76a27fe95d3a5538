//! The transport side of the send budget ([`super::outflow`]): what actually reaches a client is
//! taken off its connection's count, and a connection cut off over its budget is closed.
//!
//! - WebSocket: the accept loop wraps every TCP connection in [`Metered`], which follows what
//!   the server writes after a `101 Switching Protocols` answer and counts the payload of the
//!   WebSocket data frames (engine.io text) as written. Once cut off, its reads and writes fail,
//!   so engine.io closes the session at once and drops what was queued for it.
//! - Long-polling: [`meter`], a middleware in front of Socket.IO, counts each poll's response body
//!   as written, and refuses every request of a session that was cut off (it cannot answer the
//!   heartbeat then, so engine.io closes it within `ping_interval + ping_timeout`).
//!
//! Each TCP connection's [`Tap`] travels with its requests (an extension): the middleware says
//! "an upgrade answer comes next", and whichever session the WebSocket carries is attached to it.

use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use socketioxide::TransportType;
use socketioxide::extract::SocketRef;
use socketioxide::socket::Sid;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::outflow::{Outflow, Outflows};

/// One TCP connection's link to the session its WebSocket carries. Shared by the connection's
/// [`Metered`] stream and the requests made on it.
#[derive(Default)]
pub struct Tap {
    /// The session, once the WebSocket's namespace connect (or a polling session's upgrade) has
    /// named it. A TCP connection carries at most one WebSocket.
    outflow: OnceLock<Arc<Outflow>>,
    /// Set when a WebSocket upgrade request passed: the `101` answer is among the next bytes.
    upgrading: AtomicBool,
}

impl Tap {
    /// Counts the WebSocket on this connection against `outflow`.
    pub fn attach(&self, outflow: Arc<Outflow>) {
        outflow.set_metered(true);
        if self.outflow.set(outflow).is_err() {
            tracing::debug!("a second session on one WebSocket connection");
        }
    }
}

/// A TCP stream (or any stream) whose writes are followed for WebSocket data frames, counted
/// against the attached session's outflow, and which fails once that session is cut off.
pub struct Metered<S> {
    inner: S,
    tap: Arc<Tap>,
    frames: Frames,
}

impl<S> Metered<S> {
    pub fn new(inner: S, tap: Arc<Tap>) -> Metered<S> {
        Metered {
            inner,
            tap,
            frames: Frames::default(),
        }
    }

    /// Whether the attached session was cut off; registers `waker` to be woken when it is.
    fn cut(&self, waker: &std::task::Waker, write: bool) -> bool {
        let Some(o) = self.tap.outflow.get() else {
            return false;
        };
        if write {
            o.write_waker.register(waker);
        } else {
            o.read_waker.register(waker);
        }
        o.is_cut()
    }

    /// `n` bytes of `bufs` were written.
    fn wrote<'a>(&mut self, bufs: impl IntoIterator<Item = &'a [u8]>, mut n: usize) {
        if self.frames.is_http() {
            if !self.tap.upgrading.swap(false, Ordering::AcqRel) {
                return;
            }
            self.frames.expect_upgrade();
        }
        let mut data = 0;
        for b in bufs {
            if n == 0 {
                break;
            }
            let take = n.min(b.len());
            data += self.frames.feed(&b[..take]);
            n -= take;
        }
        if let Some(o) = self.tap.outflow.get() {
            o.written(data);
        }
    }
}

fn cut_error() -> std::io::Error {
    std::io::Error::other("the connection went over its send budget")
}

impl<S: AsyncRead + Unpin> AsyncRead for Metered<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.cut(cx.waker(), false) {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Metered<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.cut(cx.waker(), true) {
            return Poll::Ready(Err(cut_error()));
        }
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            self.wrote([buf], n);
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        if self.cut(cx.waker(), true) {
            return Poll::Ready(Err(cut_error()));
        }
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = r {
            self.wrote(bufs.iter().map(|b| &**b), n);
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Follows the bytes a server writes on one connection and counts the payload of WebSocket
/// data frames (text, binary, continuation) once an upgrade's `101` answer has gone out.
/// Server frames are never masked, but the mask bit is honoured anyway.
#[derive(Debug, Default)]
struct Frames {
    state: FrameState,
}

#[derive(Debug, Default)]
enum FrameState {
    /// Plain HTTP: nothing counted.
    #[default]
    Http,
    /// An upgrade passed: looking for `HTTP/1.1 101 ` (`prefix` bytes matched), then for the
    /// blank line ending that head (`blank` bytes of `\r\n\r\n` matched).
    Upgrade { prefix: usize, blank: usize },
    /// A frame header, `have` bytes of it so far.
    Header { buf: [u8; 14], have: usize },
    /// A frame's payload: `left` bytes to go, counted if `data`.
    Payload { left: u64, data: bool },
}

const UPGRADE_ANSWER: &[u8] = b"HTTP/1.1 101 ";
const END_OF_HEAD: &[u8] = b"\r\n\r\n";

impl Frames {
    fn is_http(&self) -> bool {
        matches!(self.state, FrameState::Http)
    }

    fn expect_upgrade(&mut self) {
        if matches!(self.state, FrameState::Http) {
            self.state = FrameState::Upgrade {
                prefix: 0,
                blank: 0,
            };
        }
    }

    /// Follows `bytes`, returning how many of them were data-frame payload.
    fn feed(&mut self, mut bytes: &[u8]) -> usize {
        let mut data = 0;
        while !bytes.is_empty() {
            match &mut self.state {
                FrameState::Http => return data,
                FrameState::Upgrade { prefix, blank } => {
                    let b = bytes[0];
                    bytes = &bytes[1..];
                    if *prefix < UPGRADE_ANSWER.len() {
                        *prefix = if b == UPGRADE_ANSWER[*prefix] {
                            *prefix + 1
                        } else {
                            usize::from(b == UPGRADE_ANSWER[0])
                        };
                        continue;
                    }
                    *blank = if b == END_OF_HEAD[*blank] {
                        *blank + 1
                    } else {
                        usize::from(b == b'\r')
                    };
                    if *blank == END_OF_HEAD.len() {
                        self.state = FrameState::Header {
                            buf: [0; 14],
                            have: 0,
                        };
                    }
                }
                FrameState::Header { buf, have } => {
                    buf[*have] = bytes[0];
                    *have += 1;
                    bytes = &bytes[1..];
                    if *have < 2 {
                        continue;
                    }
                    let masked = buf[1] & 0x80 != 0;
                    let (ext, len7) = match buf[1] & 0x7f {
                        126 => (2, None),
                        127 => (8, None),
                        n => (0, Some(u64::from(n))),
                    };
                    if *have < 2 + ext + if masked { 4 } else { 0 } {
                        continue;
                    }
                    let left = len7.unwrap_or_else(|| {
                        buf[2..2 + ext]
                            .iter()
                            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
                    });
                    // 0: continuation (of a data frame: control frames are never fragmented).
                    let data = matches!(buf[0] & 0x0f, 0..=2);
                    self.state = if left == 0 {
                        FrameState::Header {
                            buf: [0; 14],
                            have: 0,
                        }
                    } else {
                        FrameState::Payload { left, data }
                    };
                }
                FrameState::Payload {
                    left,
                    data: counted,
                } => {
                    let take = (*left).min(bytes.len() as u64) as usize;
                    if *counted {
                        data += take;
                    }
                    bytes = &bytes[take..];
                    *left -= take as u64;
                    if *left == 0 {
                        self.state = FrameState::Header {
                            buf: [0; 14],
                            have: 0,
                        };
                    }
                }
            }
        }
        data
    }
}

/// Registers a connection's `outflow` and says what drains it: the TCP connection its WebSocket
/// was upgraded on (noted by [`meter`] if that came first), or the one its WebSocket handshake
/// came on (the [`Tap`] among the request's extensions, which engine.io keeps); long-polling
/// is drained by [`meter`], request by request. A WebSocket without a tap (a router served by
/// something other than `serve`) is not metered: nothing would take its writes off the count.
pub fn attach(socket: &SocketRef, outflow: &Arc<Outflow>, outflows: &Outflows) {
    outflows.insert(socket.id, outflow.clone());
    if let Some(tap) = outflows.take_upgrade(socket.id) {
        return tap.attach(outflow.clone());
    }
    match socket.transport_type() {
        TransportType::Websocket => match socket.req_parts().extensions.get::<Arc<Tap>>() {
            Some(tap) => tap.attach(outflow.clone()),
            None => outflow.set_metered(false),
        },
        TransportType::Polling => outflow.set_metered(true),
    }
}

/// The `sid` and `transport` of an engine.io request's query.
fn session_of(req: &Request) -> (Option<Sid>, Option<&str>) {
    let mut sid = None;
    let mut transport = None;
    for pair in req.uri().query().unwrap_or("").split('&') {
        match pair.split_once('=') {
            Some(("sid", v)) => sid = Sid::from_str(v).ok(),
            Some(("transport", v)) => transport = Some(v),
            _ => {}
        }
    }
    (sid, transport)
}

/// In front of Socket.IO: refuses requests of a session cut off over its send budget, tells a
/// connection's [`Tap`] that an upgrade answer is coming (and, for a polling session upgrading,
/// which session it carries), and counts each long-poll's response body as written.
pub async fn meter(State(outflows): State<Arc<Outflows>>, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/socket.io") {
        return next.run(req).await;
    }
    let (sid, transport) = session_of(&req);
    let outflow = sid.and_then(|sid| outflows.get(sid));
    if outflow.as_ref().is_some_and(|o| o.is_cut()) {
        return (StatusCode::FORBIDDEN, "over the send budget").into_response();
    }
    match transport {
        Some("websocket") => {
            let Some(tap) = req.extensions().get::<Arc<Tap>>().cloned() else {
                // Served without the accept loop's taps: nothing would drain the count.
                if let Some(o) = outflow {
                    o.set_metered(false);
                }
                return next.run(req).await;
            };
            tap.upgrading.store(true, Ordering::Release);
            let res = next.run(req).await;
            if res.status() == StatusCode::SWITCHING_PROTOCOLS
                && let Some(sid) = sid
            {
                // A polling session upgrading: its WebSocket is this connection's.
                match outflow {
                    Some(o) => tap.attach(o),
                    None => outflows.note_upgrade(sid, &tap),
                }
            }
            res
        }
        Some("polling") if req.method() == Method::GET => {
            let res = next.run(req).await;
            let Some(o) = outflow else { return res };
            // A poll's payload is built whole before it is answered (at most `max_payload`
            // and one packet): taking it in here costs no copy of note.
            let (parts, body) = res.into_parts();
            match axum::body::to_bytes(body, usize::MAX).await {
                Ok(bytes) => {
                    // Packets are separated by 0x1e, which JSON text never contains unescaped.
                    let separators = bytes.iter().filter(|b| **b == 0x1e).count();
                    o.written(bytes.len() - separators);
                    Response::from_parts(parts, axum::body::Body::from(bytes))
                }
                Err(e) => {
                    tracing::debug!("reading a poll's answer: {e}");
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                }
            }
        }
        _ => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0x80 | opcode];
        match payload.len() {
            n @ 0..=125 => f.push(n as u8),
            n @ 126..=0xffff => {
                f.push(126);
                f.extend((n as u16).to_be_bytes());
            }
            n => {
                f.push(127);
                f.extend((n as u64).to_be_bytes());
            }
        }
        f.extend(payload);
        f
    }

    fn stream() -> (Vec<u8>, usize) {
        let mut out = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".to_vec();
        out.extend(b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n");
        let text = "4".repeat(300);
        let long = "x".repeat(70_000);
        let mut data = 0;
        for (op, p) in [
            (1, "0{\"sid\":\"abc\"}"),
            (9, "ping"),
            (1, text.as_str()),
            (10, "pong"),
            (1, long.as_str()),
            (1, "2"),
            (1, ""),
        ] {
            out.extend(frame(op, p.as_bytes()));
            if op == 1 {
                data += p.len();
            }
        }
        (out, data)
    }

    #[test]
    fn counts_data_frame_payloads_after_the_upgrade_answer() {
        let (bytes, data) = stream();
        let mut f = Frames::default();
        f.expect_upgrade();
        assert_eq!(f.feed(&bytes), data);
    }

    #[test]
    fn counts_the_same_however_the_writes_are_cut() {
        let (bytes, data) = stream();
        for size in [1, 2, 3, 7, 13, 1000] {
            let mut f = Frames::default();
            f.expect_upgrade();
            let counted: usize = bytes.chunks(size).map(|c| f.feed(c)).sum();
            assert_eq!(counted, data, "writes of {size} bytes");
        }
    }

    #[test]
    fn plain_http_counts_nothing() {
        let (bytes, _) = stream();
        assert_eq!(Frames::default().feed(&bytes), 0);
    }
}
