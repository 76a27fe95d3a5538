//! The room server: Socket.IO (socketioxide) and a little HTTP on one axum router.
//!
//! `serve(listener, config, store)` runs it on a listener the caller bound (tests bind
//! `127.0.0.1:0`) and returns a [`RunningServer`] that stops it gracefully. Nothing here knows
//! about Tauri, and no chat rule lives here: those are in [`crate::chat`].
//!
//! - `auth`: who may open a session; `connection`: each event's way in (rate limit, parse,
//!   queue); `hub`: the ordering (queue → core → store → deliver); `deliver`: effects through
//!   socketioxide; `reads`: `history` and `search`, read off the hub; `outflow` and `wire`: each connection's queued output against its send
//!   budget; `sio_workarounds`: where we lean on socketioxide's behaviour; `head`, `http`,
//!   `limits`; `files`: uploads, the file store and downloads (HTTP, not Socket.IO);
//!   `listen`: the accept loop (TLS and plain HTTP on one port); `plain`: what a guest on an
//!   unencrypted link may do.

mod auth;
mod backoff;
pub mod cluster;
mod connection;
mod deliver;
mod files;
mod head;
mod http;
mod hub;
mod limits;
mod listen;
mod origin;
mod outflow;
mod plain;
mod reads;
mod sio_workarounds;
mod wire;

pub use backoff::Backoff;
pub use files::{FilesConfig, FilesError};
pub use limits::RateLimit;
pub use listen::raise_fd_limit;
pub use origin::OriginPolicy;
/// What the send budget charges for a packet (for the test that holds it to the wire).
#[doc(hidden)]
pub use outflow::{ack_len, event_len};

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use axum::Router;
use socketioxide::extract::SocketRef;
use socketioxide::handler::ConnectHandler;
use socketioxide::{ParserConfig, SocketIo};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::chat::{Chat, ChatConfig};
use crate::protocol::{
    Limits, NodeInfo, RoomInfo, RoomOverview, ServerClosing, ServerInfo, WireError, events,
};
use crate::store::Store;
use hub::{Hub, HubHandle, Job};

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
    /// Most history one join replays, in bytes (default 1 MiB); a catch-up cut there says
    /// `more` in its ack and the client asks for the rest.
    pub max_replay_bytes: usize,
    /// History replayed to one connection: bytes per second and burst (default 4 MiB/s, 8 MiB).
    pub replay_rate: (f64, f64),
    /// Rooms one connection may be in at once (default 32).
    pub max_rooms_per_socket: usize,
    /// Most simultaneous connections (default 20,000).
    pub max_connections: usize,
    /// Largest Socket.IO packet accepted, over WebSocket or HTTP long-polling (default 64 KiB).
    pub max_payload_bytes: usize,
    /// Output one connection may have queued and not yet written to it, in bytes (default
    /// 16 MiB). A connection that would go past it is dropped; its client reconnects and
    /// catches up with `since`. What the host holds for clients is at most connections × this.
    /// Twice the replay burst, because the budget must hold what the hub itself may send a
    /// reader at once: 8 MiB of history (and a 1 MiB catch-up over it), with room for live
    /// traffic. A client reading at 1 MB/s that rejoined 32 rooms of long messages at once
    /// peaked at 2.9 MiB queued on loopback, the kernel's socket buffers holding the rest; over
    /// a link whose buffers take less, up to the whole burst waits here.
    pub send_budget: usize,
    pub rate: RateLimit,
    /// How long a kicked nickname may not rejoin the room (default 10 min).
    pub kick_ban: Duration,
    /// Engine.IO heartbeat; a silent peer is dropped after interval + timeout (default 10 s + 10 s).
    pub ping_interval: Duration,
    pub ping_timeout: Duration,
    /// Requests waiting for the hub before new ones are refused as `rate_limited` (default 65,536).
    pub queue_len: usize,
    /// Which pages and host names may use the server (default: its own only).
    pub origins: OriginPolicy,
    /// Password guesses per client address (default: 250 ms after a failure, doubling to 30 s).
    pub password_backoff: Backoff,
    /// A request head must arrive within this (default 10 s).
    pub head_timeout: Duration,
    /// A connection whose client sends nothing for this long is closed (default 45 s).
    pub idle_timeout: Duration,
    /// Files in rooms: where they are kept (default: nowhere, files off), the quota and the
    /// upload limits. The largest file is `limits.max_file_bytes`.
    pub files: FilesConfig,
    /// The host's certificate and key (default: a new one for this run only; `lanchat serve`
    /// and the window keep one in their data directory so its fingerprint stays the same).
    pub identity: Option<crate::tls::Identity>,
    /// Whether guests may use plain HTTP (default `None`: only while no password is set, so a
    /// password never crosses the network unencrypted unless the host said so).
    pub plain_guests: Option<bool>,
    /// Cluster mode (default: off, one host with its SQLite history): the Redis that holds the
    /// log every node follows (`server/cluster/`, docs/architecture.md "Cluster").
    pub cluster: Option<ClusterConfig>,
}

/// How a node joins a cluster.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// `redis://HOST:PORT` (or `rediss://`, `redis://:password@HOST:PORT/DB`).
    pub redis_url: String,
    /// Where clients reach this node, listed in `/api/info` for the others to fail over to
    /// (default: `http://<bound address>:<port>`, or this computer's LAN address when bound
    /// to every interface).
    pub advertise: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            name: default_name(),
            password: None,
            limits: Limits::default(),
            history_on_join: 100,
            catchup_limit: 5000,
            max_replay_bytes: 1 << 20,
            replay_rate: (4.0 * (1 << 20) as f64, 8.0 * (1 << 20) as f64),
            max_rooms_per_socket: 32,
            max_connections: 20_000,
            max_payload_bytes: 64 * 1024,
            send_budget: 16 << 20,
            rate: RateLimit::default(),
            kick_ban: Duration::from_secs(600),
            ping_interval: Duration::from_secs(10),
            ping_timeout: Duration::from_secs(10),
            queue_len: 65_536,
            origins: OriginPolicy::default(),
            password_backoff: Backoff::default(),
            head_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(45),
            files: FilesConfig::default(),
            identity: None,
            plain_guests: None,
            cluster: None,
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
    /// The next connection's id for the chat core.
    next_conn: AtomicU64,
    /// Cluster mode: this node's number, the top bits of its connection ids (0 on a single host).
    node: AtomicU64,
    /// Password attempts per client address.
    gate: backoff::Gate,
    /// Each connection's queued output, by session id (also read by the `wire::meter` layer).
    outflows: Arc<outflow::Outflows>,
    /// The files service; `None` when files are off.
    files: Option<Arc<files::Files>>,
    /// The history (for reads made off the hub at connect).
    store: Store,
    /// This run's identity (from the config, or made at build).
    identity: crate::tls::Identity,
    /// The plain-guest setting (`Config::plain_guests`); a lock because the host can change it
    /// while running. Held only to copy or replace.
    plain_guests: RwLock<Option<bool>>,
    /// Cluster mode: the live nodes, this one included, as of the last heartbeat (empty on a
    /// single host). Held only to clone or replace.
    nodes: RwLock<Vec<NodeInfo>>,
}

impl Shared {
    /// Whether a request over plain HTTP may use the chat now.
    fn plain_allowed(&self) -> bool {
        let setting = *self.plain_guests.read().unwrap_or_else(|p| p.into_inner());
        setting.unwrap_or_else(|| read(&self.password).is_none())
    }
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
            self.rooms().await.iter().map(RoomInfo::from).collect()
        };
        ServerInfo {
            server: "lanchat".into(),
            name: self.shared.config.name.clone(),
            version: env!("CARGO_PKG_VERSION").into(),
            password_required,
            rooms,
            fingerprint: Some(self.shared.identity.fingerprint().hex()),
            nodes: self.nodes(),
        }
    }

    /// Cluster mode: this node's number (`None` on a single host).
    pub fn node_id(&self) -> Option<u64> {
        let id = self.shared.node.load(std::sync::atomic::Ordering::Acquire);
        (id != 0).then_some(id)
    }

    /// Cluster mode: the live nodes, this one included (empty on a single host).
    pub fn nodes(&self) -> Vec<NodeInfo> {
        read(&self.shared.nodes)
    }

    /// Every room with people in it and who they are, for the host (never sent to guests:
    /// `/api/info` only counts them).
    pub async fn rooms(&self) -> Vec<RoomOverview> {
        let (tx, rx) = oneshot::channel();
        self.shared.hub().submit(Job::Rooms { done: tx });
        rx.await.unwrap_or_default()
    }

    /// The host's certificate fingerprint: its identity, for people to compare.
    pub fn fingerprint(&self) -> crate::tls::Fingerprint {
        self.shared.identity.fingerprint()
    }

    /// Whether guests may use plain HTTP right now (the setting, or "while no password is set").
    pub fn plain_guests_allowed(&self) -> bool {
        self.shared.plain_allowed()
    }

    /// `Some(on)` allows or refuses plain guests from now on; `None` goes back to "only while
    /// no password is set". Guests already connected in plain stay.
    pub fn set_plain_guests(&self, setting: Option<bool>) {
        *self
            .shared
            .plain_guests
            .write()
            .unwrap_or_else(|p| p.into_inner()) = setting;
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
        self.shared.hub().submit(Job::Kick {
            room: room.to_owned(),
            nick: nick.to_owned(),
            by: by.to_owned(),
            done: Some(tx),
        });
        rx.await
            .map_err(|_| ControlError::Stopped)?
            .map_err(ControlError::Refused)
    }

    /// Deletes message `seq` of `room`, whoever wrote it (the host's moderation).
    pub async fn delete_message(&self, room: &str, seq: u64, by: &str) -> Result<(), ControlError> {
        let (tx, rx) = oneshot::channel();
        self.shared.hub().submit(Job::HostDelete {
            room: room.to_owned(),
            seq,
            by: by.to_owned(),
            done: Some(tx),
        });
        rx.await
            .map_err(|_| ControlError::Stopped)?
            .map_err(ControlError::Refused)
    }

    /// The newest `limit` messages of `room` as a join would show them (edits, deletes and
    /// reactions folded in), for the host's moderation view; read off the hub.
    pub async fn recent_messages(
        &self,
        room: &str,
        limit: usize,
    ) -> Result<Vec<crate::protocol::Message>, ControlError> {
        let (store, room) = (self.shared.store.clone(), room.to_owned());
        let max = self.shared.config.max_replay_bytes;
        let page = tokio::task::spawn_blocking(move || {
            store.page(&room, crate::protocol::PageAt::Before(u64::MAX), limit, max)
        })
        .await
        .map_err(|_| ControlError::Stopped)?;
        page.map(|p| p.messages).map_err(|e| {
            tracing::error!("reading messages for the host: {e}");
            ControlError::Refused(crate::protocol::ErrorCode::StorageFailed.into())
        })
    }

    /// Clears `room`'s history: a `clear` notice is posted and everything before it goes, for
    /// everyone (the host's moderation).
    pub async fn clear_room(&self, room: &str, by: &str) -> Result<(), ControlError> {
        let (tx, rx) = oneshot::channel();
        self.shared.hub().submit(Job::HostClear {
            room: room.to_owned(),
            by: by.to_owned(),
            done: Some(tx),
        });
        rx.await
            .map_err(|_| ControlError::Stopped)?
            .map_err(ControlError::Refused)
    }

    /// Number of live Socket.IO connections.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Bytes queued for all connections and not yet written to them (each connection's is
    /// bounded by `send_budget`).
    pub fn queued_bytes(&self) -> usize {
        self.shared.outflows.queued()
    }
}

fn read<T: Clone>(lock: &RwLock<T>) -> T {
    lock.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Builds the router (Socket.IO + HTTP) and the hub that serves it. Must run inside a Tokio
/// runtime: the hub runs in the tasks that submit requests (and, for long history replays, on
/// short-lived tasks of its own). Fails only if the files directory cannot be used or no
/// identity could be made.
pub fn build(config: Config, store: Store) -> std::io::Result<(Router, Control)> {
    build_with(config, store, None)
}

/// [`build`], with the log of a cluster (`Some` in cluster mode: the hub's jobs go through it).
fn build_with(
    config: Config,
    store: Store,
    log: Option<Arc<dyn hub::Log>>,
) -> std::io::Result<(Router, Control)> {
    let identity = match &config.identity {
        Some(id) => id.clone(),
        None => crate::tls::Identity::generate().map_err(std::io::Error::other)?,
    };
    let files = files::Files::open(
        config.files.clone(),
        config.limits.max_file_bytes,
        store.clone(),
    )
    .map_err(std::io::Error::other)?;
    let shared = Arc::new(Shared {
        files: files.clone(),
        store: store.clone(),
        password: RwLock::new(config.password.clone().filter(|p| !p.is_empty())),
        hub: OnceLock::new(),
        connections: AtomicUsize::new(0),
        next_conn: AtomicU64::new(1),
        node: AtomicU64::new(0),
        gate: backoff::Gate::new(config.password_backoff),
        outflows: Arc::default(),
        identity,
        plain_guests: RwLock::new(config.plain_guests),
        nodes: RwLock::new(Vec::new()),
        config,
    });
    let cfg = &shared.config;
    let (layer, io) = SocketIo::builder()
        .ping_interval(cfg.ping_interval)
        .ping_timeout(cfg.ping_timeout)
        .max_payload(cfg.max_payload_bytes as u64)
        .ws_max_message_size(cfg.max_payload_bytes)
        .ws_max_frame_size(cfg.max_payload_bytes)
        // Packets queued per connection before sends to it fail; in bytes, the send budget
        // (`outflow`) is what bounds it.
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
    io.ns("/", on_connect.with(auth::authenticate));

    let chat = ChatConfig {
        history_on_join: cfg.history_on_join,
        catchup_limit: cfg.catchup_limit,
        cache_len: cfg.history_on_join.max(1000),
        dedupe_len: 10_000,
        max_rooms_per_conn: cfg.max_rooms_per_socket,
        kick_ban: cfg.kick_ban,
        max_replay_bytes: cfg.max_replay_bytes,
        replay_rate: cfg.replay_rate,
    };
    let sizes = (chat.cache_len, chat.dedupe_len);
    let reads = Arc::new(reads::Reads::new(store.clone(), cfg.max_replay_bytes));
    let hub = Hub::new(
        if log.is_some() {
            Chat::new(chat).derive_ids()
        } else {
            Chat::new(chat)
        },
        store,
        deliver::Deliver::new(io.clone(), files, reads),
        sizes,
        log.is_some(),
    );
    let _ = shared.hub.set(HubHandle::new(hub, cfg.queue_len, log));

    let checker = origin::Checker::new(cfg.origins.clone(), &default_name());
    let control = Control { shared, io };
    // A cluster's other nodes serve pages that may use this node (a guest failing over).
    let nodes = control.clone();
    let checker = Arc::new(checker.with_peers(Arc::new(move || {
        nodes.nodes().into_iter().map(|n| n.url).collect()
    })));
    let outflows = control.shared.outflows.clone();
    let router = http::routes(control.clone())
        .layer(layer)
        .layer(axum::middleware::from_fn_with_state(outflows, wire::meter))
        .layer(axum::middleware::from_fn_with_state(
            control.shared.clone(),
            plain::gate,
        ))
        .layer(axum::middleware::map_request(head::detach_head))
        .layer(axum::middleware::from_fn_with_state(checker, origin::check));
    Ok((router, control))
}

/// Read size of each connection's WebSocket buffer (bytes).
const WS_READ_BUFFER: usize = 1024;

/// A server running on its own task.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub control: Control,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Cluster mode: this node.
    node: Option<Arc<cluster::Node>>,
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
        if let Some(node) = self.node.take() {
            // Before the sockets close: the cluster learns at once that their people left.
            node.leave().await;
        }
        if let Err(e) = io.disconnect().await {
            tracing::debug!("disconnecting clients: {e}");
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let ended = match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        };
        // Sockets and the hub point at each other (socket state → `Shared` → hub → sockets), so
        // nothing would drop the store: close it here, so the database file is let go.
        self.control.shared.hub().close();
        ended
    }
}

/// Serves on `listener` until stopped.
pub async fn serve(
    listener: TcpListener,
    mut config: Config,
    store: Store,
) -> std::io::Result<RunningServer> {
    let addr = listener.local_addr()?;
    let limits = listen::ConnLimits {
        head_timeout: config.head_timeout,
        idle_timeout: config.idle_timeout,
        max_tcp: config.max_connections.saturating_add(1000),
    };
    let node = match config.cluster.clone() {
        Some(c) => {
            let node = cluster::Node::join(&c, &config)
                .await
                .map_err(std::io::Error::other)?;
            config.identity = Some(node.identity());
            if config.files.dir.take().is_some() {
                tracing::info!("files are off in cluster mode (a file would live on one node)");
            }
            Some((node, cluster::advertise_url(c.advertise.as_deref(), addr)))
        }
        None => None,
    };
    let log = node.as_ref().map(|(n, _)| n.clone() as Arc<dyn hub::Log>);
    let (router, control) = build_with(config, store, log)?;
    if let Some((node, url)) = &node {
        node.start(control.shared.clone(), control.io.clone(), url.clone());
    }
    let tls = control
        .shared
        .identity
        .server_config()
        .map_err(std::io::Error::other)?;
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(listen::serve(listener, router, limits, tls, stop_rx));
    Ok(RunningServer {
        addr,
        control,
        stop: Some(stop_tx),
        task,
        node: node.map(|(n, _)| n),
    })
}

async fn on_connect(socket: SocketRef) {
    tracing::debug!(sid = %socket.id, "connected");
}

/// Locks a mutex whose data stays valid even if a holder panicked (every critical section here
/// leaves it consistent), so one panic cannot wedge the server.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
