//! A bare socketioxide relay of the tutorial gateway: `joinRoom {roomName, nickName}` joins the
//! room, `sendMessage {room, nickName, message}` is emitted as `message {nickName, message}` to
//! everyone in the room, sender included. No validation, storage or limits: it is the ceiling
//! lanchat's stack (axum + socketioxide + tokio) can reach here.
//!
//! Events are relayed inline, in the socket's receive loop, like lanchat dispatches them:
//! socketioxide 0.18 spawns every async handler as its own task, and tokio's LIFO slot then runs
//! the later of two back-to-back messages first, so a plain async handler reorders a sender's
//! messages under load.
//!
//! Usage: lanchat-bare-relay [--port N] [--bind ADDR] [--max-buffer-size N]
//!        [--ws-read-buffer-size N] [--detach-head] [--nodelay] [--hub] [--pad N]
//!        (the last five: experiments; with `--hub`, the environment variable HUB_NOBLOCK=1
//!        skips the hub's no-op `spawn_blocking`)
//! Prints `listening on http://ADDR:PORT` once bound.

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::serve::ListenerExt;
use serde::{Deserialize, Serialize};
use socketioxide::SocketIo;
use socketioxide::adapter::LocalAdapter;
use socketioxide::extract::{AckSender, Event, SocketRef, TryData};
use socketioxide::handler::{FromMessageParts, Value};
use socketioxide::socket::Socket;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JoinRoom {
    room_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendMessage {
    room: String,
    nick_name: String,
    message: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Message {
    nick_name: String,
    message: String,
    /// `--pad N`: N extra bytes per message (the experiment of lanchat's larger frames).
    #[serde(skip_serializing_if = "String::is_empty")]
    pad: String,
}

static PAD: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn pad() -> String {
    PAD.get().cloned().unwrap_or_default()
}

#[derive(Serialize)]
struct Ack {
    ok: bool,
}

/// Deliveries socketioxide refused because a socket's send buffer was full.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Does the relaying while the event is extracted (inline, in arrival order); the handler
/// itself is empty.
struct Relayed;

impl FromMessageParts<LocalAdapter> for Relayed {
    type Error = std::convert::Infallible;

    fn from_message_parts(
        s: &Arc<Socket>,
        v: &mut Value,
        ack_id: &Option<i64>,
    ) -> Result<Self, Self::Error> {
        let Ok(Event(name)) = Event::from_message_parts(s, v, ack_id) else {
            return Ok(Relayed);
        };
        let Ok(socket) = SocketRef::from_message_parts(s, v, ack_id);
        match name.as_str() {
            "joinRoom" => {
                if let Ok(TryData(Ok(j))) = TryData::<JoinRoom>::from_message_parts(s, v, ack_id) {
                    socket.join(j.room_name);
                    let Ok(ack) = AckSender::from_message_parts(s, v, ack_id);
                    if let Err(e) = ack.send(&Ack { ok: true }) {
                        eprintln!("joinRoom ack failed: {e}");
                    }
                }
            }
            "sendMessage" => {
                if let Ok(TryData(Ok(m))) = TryData::<SendMessage>::from_message_parts(s, v, ack_id)
                {
                    if let Some(hub) = HUB.get() {
                        let _ = hub.send((socket, m));
                        return Ok(Relayed);
                    }
                    let msg = Message {
                        nick_name: m.nick_name,
                        message: m.message,
                        pad: pad(),
                    };
                    let emit = socket.within(m.room).emit("message", &msg);
                    // The local adapter finishes at the first poll (it only queues packets).
                    match pin!(emit).poll(&mut Context::from_waker(Waker::noop())) {
                        Poll::Ready(r) => count_drops(r),
                        Poll::Pending => eprintln!("broadcast did not complete at once; dropped"),
                    }
                }
            }
            _ => {}
        }
        Ok(Relayed)
    }
}

/// `--hub`: the experiment of routing messages like lanchat does — through one task that takes
/// them in batches and awaits a (no-op) `spawn_blocking` before broadcasting.
static HUB: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<(SocketRef, SendMessage)>> =
    std::sync::OnceLock::new();

async fn hub(mut rx: tokio::sync::mpsc::UnboundedReceiver<(SocketRef, SendMessage)>) {
    let mut batch = Vec::with_capacity(256);
    while rx.recv_many(&mut batch, 256).await > 0 {
        if std::env::var_os("HUB_NOBLOCK").is_none() {
            let _ = tokio::task::spawn_blocking(|| ()).await;
        }
        for (socket, m) in batch.drain(..) {
            let msg = Message {
                nick_name: m.nick_name,
                message: m.message,
                pad: pad(),
            };
            count_drops(socket.within(m.room).emit("message", &msg).await);
        }
    }
}

fn count_drops(r: Result<(), socketioxide::BroadcastError>) {
    if let Err(e) = r {
        let n = match &e {
            socketioxide::BroadcastError::Socket(v) => v.len(),
            _ => 1,
        };
        DROPPED.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// Copies the request's URI and headers into allocations of their own. hyper parses them as
/// slices of its connection read buffer (8-16 KiB), and engine.io keeps the request parts for the
/// socket's whole life, which would keep that whole buffer alive per connection.
/// (An experiment: `--detach-head`.)
async fn detach_head(req: axum::extract::Request) -> axum::extract::Request {
    use axum::http::{HeaderMap, HeaderName, HeaderValue, Uri};
    let (mut parts, body) = req.into_parts();
    let mut headers = HeaderMap::with_capacity(parts.headers.len());
    for (k, v) in &parts.headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_str().as_bytes()),
            HeaderValue::from_bytes(v.as_bytes()),
        ) {
            headers.append(k, v);
        }
    }
    parts.headers = headers;
    if let Ok(uri) = Uri::try_from(parts.uri.to_string()) {
        parts.uri = uri;
    }
    axum::extract::Request::from_parts(parts, body)
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> std::io::Result<()> {
    let port: u16 = arg("--port").and_then(|p| p.parse().ok()).unwrap_or(0);
    let bind = arg("--bind").unwrap_or_else(|| "127.0.0.1".into());
    let _ = PAD.set("x".repeat(arg("--pad").and_then(|p| p.parse().ok()).unwrap_or(0)));
    let mut builder = SocketIo::builder();
    if let Some(n) = arg("--max-buffer-size").and_then(|p| p.parse().ok()) {
        builder = builder.max_buffer_size(n);
    }
    if let Some(n) = arg("--ws-read-buffer-size").and_then(|p| p.parse().ok()) {
        builder = builder.ws_read_buffer_size(n);
    }
    // The runtime lanchat uses: multi-threaded, one worker per CPU it may run on.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let (layer, io) = builder.build_layer();
        if std::env::args().any(|a| a == "--hub") {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let _ = HUB.set(tx);
            tokio::spawn(hub(rx));
        }
        io.ns("/", async |s: SocketRef| {
            for event in ["joinRoom", "sendMessage"] {
                s.on(event, async |_: Relayed| {});
            }
        });
        let mut app = axum::Router::new().layer(layer);
        if std::env::args().any(|a| a == "--detach-head") {
            app = app.layer(axum::middleware::map_request(detach_head));
        }
        let listener = tokio::net::TcpListener::bind((bind.as_str(), port)).await?;
        println!("listening on http://{}", listener.local_addr()?);
        // axum::serve leaves Nagle on; `--nodelay` is the experiment of turning it off.
        let nodelay = std::env::args().any(|a| a == "--nodelay");
        let listener = listener.tap_io(move |tcp| {
            if nodelay && let Err(e) = tcp.set_nodelay(true) {
                eprintln!("TCP_NODELAY: {e}");
            }
        });
        tokio::spawn(async {
            let mut reported = 0;
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let n = DROPPED.load(Ordering::Relaxed);
                if n != reported {
                    eprintln!("dropped deliveries (socket buffer full): {n}");
                    reported = n;
                }
            }
        });
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    })
}
