//! The room server: Socket.IO (socketioxide) and a little HTTP on one axum router.
//!
//! `serve(listener, config, store)` runs it on a listener the caller bound (tests bind
//! `127.0.0.1:0`) and returns a [`RunningServer`] that stops it gracefully. Nothing here knows
//! about Tauri.

mod http;
mod hub;
mod limits;
mod rooms;

pub use limits::RateLimit;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use axum::Router;
use axum::serve::ListenerExt;
use serde_json::Value;
use socketioxide::adapter::LocalAdapter;
use socketioxide::extract::{AckSender, Event, SocketRef, State, TryData};
use socketioxide::handler::{ConnectHandler, FromMessageParts};
use socketioxide::socket::{DisconnectReason, Socket};
use socketioxide::{ParserConfig, SocketIo};
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::protocol::{
    self, ErrorCode, Limits, ServerClosing, ServerInfo, WireError, connect_errors, events,
};
use crate::store::Store;
use hub::{Command, Hub, HubConfig, HubHandle, Reply};
use limits::TokenBucket;

/// Everything a host can tune. `Default` is what `lanchat serve` uses; docs/security.md lists
/// each default.
#[derive(Debug, Clone)]
pub struct Config {
    /// Shown to clients in `/api/info` (default: this computer's hostname).
    pub name: String,
    /// Required in the handshake `auth.password` when set.
    pub password: Option<String>,
    pub limits: Limits,
    /// Messages replayed to a socket joining without `since` (default 100).
    pub history_on_join: usize,
    /// Most messages replayed to a socket rejoining with `since` (default 5000).
    pub catchup_limit: usize,
    /// Rooms one connection may be in at once (default 32).
    pub max_rooms_per_socket: usize,
    /// Most simultaneous connections (default 20,000).
    pub max_connections: usize,
    /// Largest Socket.IO packet accepted, over WebSocket or HTTP long-polling (default 64 KiB).
    pub max_payload_bytes: usize,
    pub rate: RateLimit,
    /// How long a kicked nickname may not rejoin the room (default 10 min).
    pub kick_ban: Duration,
    /// Engine.IO heartbeat; a silent peer is dropped after interval + timeout (default 10 s + 10 s).
    pub ping_interval: Duration,
    pub ping_timeout: Duration,
    /// Requests waiting for the hub before new ones are refused as `rate_limited` (default 65,536).
    pub queue_len: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            name: default_name(),
            password: None,
            limits: Limits::default(),
            history_on_join: 100,
            catchup_limit: 5000,
            max_rooms_per_socket: 32,
            max_connections: 20_000,
            max_payload_bytes: 64 * 1024,
            rate: RateLimit::default(),
            kick_ban: Duration::from_secs(600),
            ping_interval: Duration::from_secs(10),
            ping_timeout: Duration::from_secs(10),
            queue_len: 65_536,
        }
    }
}

fn default_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "lanchat".to_owned())
}

/// Shared by the socket handlers, the HTTP routes and the host's controls.
struct Shared {
    config: Config,
    /// The current password. A lock rather than the config field because the host can change
    /// it while running; held only to clone or replace, never across an await.
    password: RwLock<Option<String>>,
    /// Set once in `build`, right after the Socket.IO layer the hub broadcasts through.
    hub: OnceLock<HubHandle>,
    connections: AtomicUsize,
}

impl Shared {
    fn hub(&self) -> &HubHandle {
        self.hub.get().expect("the hub is set in build()")
    }
}

/// A cheap, cloneable handle to a running server's controls.
#[derive(Clone)]
pub struct Control {
    shared: Arc<Shared>,
    io: SocketIo,
}

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("the server has stopped")]
    Stopped,
    #[error("{}", .0.message)]
    Refused(WireError),
}

impl Control {
    pub async fn info(&self) -> ServerInfo {
        let password_required = self.password_required();
        let rooms = if password_required {
            Vec::new()
        } else {
            let (tx, rx) = oneshot::channel();
            self.shared.hub().submit(Command::Info { done: tx });
            rx.await.unwrap_or_default()
        };
        ServerInfo {
            server: "lanchat".into(),
            name: self.shared.config.name.clone(),
            version: env!("CARGO_PKG_VERSION").into(),
            password_required,
            rooms,
        }
    }

    pub fn password_required(&self) -> bool {
        read(&self.shared.password).is_some()
    }

    /// Changes (or clears) the password. Connected users stay; new connections need the new one.
    pub fn set_password(&self, password: Option<String>) {
        *self
            .shared
            .password
            .write()
            .unwrap_or_else(|p| p.into_inner()) = password.filter(|p| !p.is_empty());
    }

    /// Removes `nick` from `room`; they may not rejoin it for `kick_ban`.
    pub async fn kick(&self, room: &str, nick: &str, by: &str) -> Result<(), ControlError> {
        let (tx, rx) = oneshot::channel();
        self.shared.hub().submit(Command::Kick {
            room: room.to_owned(),
            nick: nick.to_owned(),
            by: by.to_owned(),
            done: tx,
        });
        rx.await
            .map_err(|_| ControlError::Stopped)?
            .map_err(ControlError::Refused)
    }

    /// Number of live Socket.IO connections.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::Relaxed)
    }
}

fn read(lock: &RwLock<Option<String>>) -> Option<String> {
    lock.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Builds the router (Socket.IO + HTTP) and the hub that serves it. Must run inside a Tokio
/// runtime: the hub runs in the tasks that submit requests (and, for long history replays, on
/// short-lived tasks of its own).
pub fn build(config: Config, store: Store) -> (Router, Control) {
    let shared = Arc::new(Shared {
        password: RwLock::new(config.password.clone().filter(|p| !p.is_empty())),
        config,
        hub: OnceLock::new(),
        connections: AtomicUsize::new(0),
    });
    let cfg = &shared.config;
    let (layer, io) = SocketIo::builder()
        .ping_interval(cfg.ping_interval)
        .ping_timeout(cfg.ping_timeout)
        .max_payload(cfg.max_payload_bytes as u64)
        .ws_max_message_size(cfg.max_payload_bytes)
        .ws_max_frame_size(cfg.max_payload_bytes)
        // Packets queued per connection before sends to it fail (see hub: seq gaps).
        .max_buffer_size(16_384)
        // Chat requests are small; a larger frame still grows the buffer as needed. The 4 KiB
        // default is a quarter of an idle connection's memory (docs/benchmarks.md).
        .ws_read_buffer_size(WS_READ_BUFFER)
        // lanchat never uses binary attachments: keep what a client can park in them small.
        .with_parser(
            ParserConfig::common()
                .max_incoming_binary_buf_size(cfg.max_payload_bytes)
                .packet_completion_timeout(Duration::from_secs(10)),
        )
        .with_state(shared.clone())
        .build_layer();
    io.ns("/", on_connect.with(authenticate));

    let hub = Hub::new(
        HubConfig {
            history_on_join: cfg.history_on_join,
            catchup_limit: cfg.catchup_limit,
            cache_len: cfg.history_on_join.max(1000),
            dedupe_len: 10_000,
            max_rooms_per_socket: cfg.max_rooms_per_socket,
            kick_ban: cfg.kick_ban,
            max_batch: 256,
        },
        io.clone(),
        store,
    );
    let _ = shared.hub.set(HubHandle::new(hub, cfg.queue_len));

    let control = Control { shared, io };
    let router = http::routes(control.clone())
        .layer(layer)
        .layer(axum::middleware::map_request(detach_head));
    (router, control)
}

/// Read size of each connection's WebSocket buffer (bytes).
const WS_READ_BUFFER: usize = 1024;

/// Request headers the Socket.IO layer reads: the WebSocket key (for the handshake's accept
/// header) and a long-polling POST's content type. Nothing of lanchat's reads headers.
const KEPT_HEADERS: [axum::http::HeaderName; 2] = [
    axum::http::header::SEC_WEBSOCKET_KEY,
    axum::http::header::CONTENT_TYPE,
];

/// Gives a Socket.IO request head its own small allocations.
///
/// hyper parses the URI and headers as slices of the connection's read buffer, and engine.io
/// keeps the request head for the whole life of the session, which pins that buffer (~16 KB per
/// idle connection, measured with heaptrack). Copying what the handshake needs — and nothing
/// else — frees it once the connection is upgraded.
async fn detach_head(req: axum::extract::Request) -> axum::extract::Request {
    if !req.uri().path().starts_with("/socket.io") {
        return req;
    }
    let (mut parts, body) = req.into_parts();
    let mut headers = axum::http::HeaderMap::with_capacity(KEPT_HEADERS.len());
    for name in KEPT_HEADERS {
        if let Some(value) = parts.headers.get(&name)
            && let Ok(copy) = axum::http::HeaderValue::from_bytes(value.as_bytes())
        {
            headers.insert(name, copy);
        }
    }
    parts.headers = headers;
    if let Some(pq) = parts.uri.path_and_query()
        && let Ok(uri) = axum::http::Uri::try_from(pq.as_str().to_owned())
    {
        parts.uri = uri;
    }
    axum::extract::Request::from_parts(parts, body)
}

/// A server running on its own task.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub control: Control,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Tells every client the host is going away, closes their connections and waits for the
    /// server to finish.
    pub async fn stop(mut self) -> std::io::Result<()> {
        let io = &self.control.io;
        let bye = ServerClosing {
            message: "The host stopped the server.".into(),
        };
        if let Err(e) = io.emit(events::SERVER_CLOSING, &bye).await {
            tracing::debug!("serverClosing broadcast incomplete: {e}");
        }
        if let Err(e) = io.disconnect().await {
            tracing::debug!("disconnecting clients: {e}");
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// Serves on `listener` until stopped.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    store: Store,
) -> std::io::Result<RunningServer> {
    let addr = listener.local_addr()?;
    let (router, control) = build(config, store);
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        // Chat packets are small and latency matters more than packing: no Nagle delay.
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!("TCP_NODELAY: {e}");
            }
        });
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            })
            .await
    });
    Ok(RunningServer {
        addr,
        control,
        stop: Some(stop_tx),
        task,
    })
}

/// Why a connection was refused; the text is the `connect_error` message.
#[derive(Debug)]
struct Refusal(&'static str);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// The extractor through which every client event enters the server.
///
/// socketioxide 0.18 runs each event handler as its own task, so two events a client sends
/// back to back (`joinRoom` then `sendMessage`) could be handled in either order. Extractors,
/// however, run inline in the socket's receive loop, in arrival order — so this one validates
/// the event and queues it for the hub right there, and the handler itself does nothing.
struct Dispatched;

impl FromMessageParts<LocalAdapter> for Dispatched {
    type Error = std::convert::Infallible;
    fn from_message_parts(
        s: &Arc<Socket>,
        v: &mut socketioxide::handler::Value,
        ack_id: &Option<i64>,
    ) -> Result<Self, Self::Error> {
        let name = match Event::from_message_parts(s, v, ack_id) {
            Ok(Event(name)) => name,
            Err(_) => String::new(),
        };
        let Ok(TryData(data)) = TryData::<Value>::from_message_parts(s, v, ack_id);
        let Ok(ack) = AckSender::from_message_parts(s, v, ack_id);
        let Ok(socket) = SocketRef::from_message_parts(s, v, ack_id);
        match s.extensions.get::<Arc<Conn>>() {
            Some(conn) => conn.dispatch(
                socket,
                &name,
                data.unwrap_or(Value::Null),
                ack,
                ack_id.is_some(),
            ),
            None => tracing::warn!(sid = %s.id, "event {name:?} on a socket without state"),
        }
        Ok(Dispatched)
    }
}

/// Checks the password and registers the socket's handlers. This runs *before* the client is
/// told it is connected (socketioxide spawns the connect handler itself, so events a client
/// sends right after connecting could otherwise arrive before any handler exists).
async fn authenticate(
    socket: SocketRef,
    TryData(auth): TryData<Value>,
    State(shared): State<Arc<Shared>>,
) -> Result<(), Refusal> {
    let auth = auth.unwrap_or(Value::Null);
    if let Some(expected) = read(&shared.password) {
        let given = auth.get("password").and_then(Value::as_str);
        match given {
            None | Some("") => return Err(Refusal(connect_errors::PASSWORD_REQUIRED)),
            Some(p) => {
                if !same_secret(p.as_bytes(), expected.as_bytes()) {
                    return Err(Refusal(connect_errors::BAD_PASSWORD));
                }
            }
        }
    }
    let count = shared.connections.fetch_add(1, Ordering::AcqRel) + 1;
    if count > shared.config.max_connections {
        shared.connections.fetch_sub(1, Ordering::AcqRel);
        return Err(Refusal(connect_errors::SERVER_FULL));
    }
    let session = auth
        .get("sessionId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 128)
        .map(str::to_owned);
    register(&socket, shared, session);
    Ok(())
}

/// Constant-time comparison that also hides the password's length: both sides are padded to
/// the longer one, so the time depends only on what the caller sent.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let n = given.len().max(expected.len());
    let pad = |s: &[u8]| {
        let mut v = s.to_vec();
        v.resize(n, 0);
        v
    };
    let same_len = (given.len() as u64).ct_eq(&(expected.len() as u64));
    bool::from(pad(given).ct_eq(&pad(expected)) & same_len)
}

async fn on_connect(socket: SocketRef) {
    tracing::debug!(sid = %socket.id, "connected");
}

/// Per-connection state, kept in the socket's extensions.
struct Conn {
    shared: Arc<Shared>,
    session: Option<String>,
    /// Only touched from this socket's receive loop, so the lock is never contended.
    bucket: Mutex<TokenBucket>,
    /// Requests that arrived before socketioxide marked the socket connected, in order; `Some`
    /// while they wait. (socketioxide sends the client its CONNECT answer a moment before it
    /// marks the socket connected, and refuses emits to it until then, so a `joinRoom` sent
    /// straight away and applied at once would have its history, notices and later events
    /// dropped — seen under load in the hostile suite.)
    early: Mutex<Option<VecDeque<Command>>>,
}

/// How long requests wait for socketioxide to finish a connect before they are dropped.
const CONNECT_WAIT: Duration = Duration::from_secs(10);

impl Conn {
    fn dispatch(
        self: &Arc<Self>,
        socket: SocketRef,
        name: &str,
        data: Value,
        ack: AckSender,
        wants_ack: bool,
    ) {
        let event = match name {
            events::JOIN_ROOM => events::JOIN_ROOM,
            events::SEND_MESSAGE => events::SEND_MESSAGE,
            events::LEAVE_ROOM => events::LEAVE_ROOM,
            events::TYPING => events::TYPING,
            events::PING => events::PING,
            _ => "unknown",
        };
        let own = socket.clone();
        let reply = Reply {
            socket: socket.clone(),
            ack,
            wants_ack,
            event: truncate(name, 64),
        };
        if event == events::PING {
            return hub::respond(
                reply,
                Ok(serde_json::json!({ "ok": true, "ts": crate::clock::now_ms() })),
            );
        }
        if event == "unknown" {
            tracing::debug!(sid = %socket.id, "unknown event {name:?}");
            let msg = format!(
                "the server does not know the event {:?}",
                truncate(name, 64)
            );
            return hub::respond(reply, Err(WireError::new(ErrorCode::UnknownEvent, msg)));
        }
        let allowed = lock(&self.bucket).try_take();
        if !allowed {
            return hub::respond(reply, Err(ErrorCode::RateLimited.into()));
        }
        let limits = &self.shared.config.limits;
        let command = match event {
            events::JOIN_ROOM => {
                let sid = socket.id.to_string();
                protocol::parse_join(&data, || format!("guest-{}", &sid[..sid.len().min(6)]))
                    .map(|req| {
                        let session = self.session.clone();
                        move |reply| Command::Join {
                            socket,
                            session,
                            req,
                            reply,
                        }
                    })
                    .map(boxed)
            }
            events::SEND_MESSAGE => protocol::parse_send(&data, limits)
                .map(|req| move |reply| Command::Send { socket, req, reply })
                .map(boxed),
            events::LEAVE_ROOM => protocol::parse_leave(&data)
                .map(|room| {
                    move |reply| Command::Leave {
                        socket,
                        room,
                        reply,
                    }
                })
                .map(boxed),
            _ => protocol::parse_typing(&data)
                .map(|req| move |reply| Command::Typing { socket, req, reply })
                .map(boxed),
        };
        match command {
            Err(e) => hub::respond(reply, Err(e)),
            Ok(make) => self.submit(&own, make(reply)),
        }
    }

    /// Hands a request to the hub, or, while the socket is not yet marked connected (or earlier
    /// requests still wait for that), queues it behind them.
    fn submit(self: &Arc<Self>, socket: &SocketRef, cmd: Command) {
        let mut early = lock(&self.early);
        if let Some(waiting) = early.as_mut() {
            waiting.push_back(cmd);
            return;
        }
        if !socket.connected() {
            *early = Some(VecDeque::from([cmd]));
            let (conn, socket) = (self.clone(), socket.clone());
            tokio::spawn(async move { conn.release_when_connected(socket).await });
            return;
        }
        drop(early);
        self.try_submit(cmd);
    }

    async fn release_when_connected(&self, socket: SocketRef) {
        let deadline = tokio::time::Instant::now() + CONNECT_WAIT;
        while !socket.connected() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // Submitted under the lock, so a request arriving meanwhile cannot overtake them.
        let mut early = lock(&self.early);
        let waiting = early.take().unwrap_or_default();
        if !socket.connected() {
            tracing::debug!(sid = %socket.id, "dropping {} requests: never connected", waiting.len());
            return;
        }
        for cmd in waiting {
            self.try_submit(cmd);
        }
    }

    fn try_submit(&self, cmd: Command) {
        if let Some(c) = self.shared.hub().try_submit(cmd) {
            // The hub is far behind: refuse rather than queue without bound.
            if let Some(reply) = command_reply(c) {
                hub::respond(reply, Err(ErrorCode::RateLimited.into()));
            }
        }
    }
}

/// Locks a mutex whose data stays valid even if a holder panicked (every critical section here
/// leaves it consistent), so one panic cannot wedge the server.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

type MakeCommand = Box<dyn FnOnce(Reply) -> Command + Send>;

fn boxed(f: impl FnOnce(Reply) -> Command + Send + 'static) -> MakeCommand {
    Box::new(f)
}

fn command_reply(c: Command) -> Option<Reply> {
    match c {
        Command::Join { reply, .. }
        | Command::Send { reply, .. }
        | Command::Leave { reply, .. }
        | Command::Typing { reply, .. } => Some(reply),
        _ => None,
    }
}

fn register(socket: &SocketRef, shared: Arc<Shared>, session: Option<String>) {
    let conn = Arc::new(Conn {
        bucket: Mutex::new(TokenBucket::new(shared.config.rate)),
        shared: shared.clone(),
        session,
        early: Mutex::new(None),
    });
    socket.extensions.insert(conn);
    for event in [
        events::JOIN_ROOM,
        events::SEND_MESSAGE,
        events::LEAVE_ROOM,
        events::TYPING,
        events::PING,
    ] {
        socket.on(event, async |_: Dispatched| {});
    }
    socket.on_fallback(async |_: Dispatched| {});
    socket.on_disconnect(async move |s: SocketRef, reason: DisconnectReason| {
        tracing::debug!(sid = %s.id, ?reason, "disconnected");
        shared.connections.fetch_sub(1, Ordering::AcqRel);
        // Must not be lost even when the queue is full: member lists depend on it.
        shared.hub().submit(Command::Disconnected { sid: s.id });
    });
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}
