//! The Rust chat client used by `lanchat join` and the desktop window.
//!
//! A [`Client`] is a cheap handle to a supervisor task that owns the connection and everything
//! that must survive a reconnect. By job:
//! - `supervisor.rs`: the connection's lifecycle (reconnect with capped backoff, rejoin, ping
//!   when silent because rust_socketio may not notice a dead connection) and the server's events;
//! - `outbox.rs`: requests in order, one on the wire, resent after reconnects with their
//!   clientId (the server dedupes), and given up on with `timed_out` when the server is gone;
//! - `rooms.rs`: per room, the last seq seen: replays dropped, gaps caught up with `since`;
//! - `legacy.rs`: the guesses made for a tutorial-style server (no acks, no seqs);
//! - `link.rs`: one rust_socketio connection, and the `/api/info` probe;
//! - `failover.rs`: which node of a cluster to try next when the client's own node is gone;
//! - `address.rs`: what people paste as an address; `error.rs`: [`ClientError`];
//! - `tunnel.rs`: the encrypted, pinned link every request above goes through ([`Trust`] says
//!   which host certificate is accepted);
//! - `files.rs`: uploading a file (ticket over the socket, bytes over HTTP, resumed after cuts)
//!   and downloading a file link (resumed with byte ranges).

mod address;
mod error;
mod failover;
mod files;
mod history;
mod legacy;
mod link;
mod outbox;
mod rooms;
mod supervisor;
mod tunnel;

pub use crate::tls::{Fingerprint, KnownHosts, PinError};
pub use address::{BadAddress, DEFAULT_PORT, Target, parse_target};
pub use error::ClientError;
pub use files::{OnProgress, download, partial_path};

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::protocol::{
    JoinAck, Kicked, Members, Message, PrivateInvite, SendAck, ServerClosing, ServerInfo, Typing,
    UpdateAck, events,
};
use crate::tls::Pin;
use link::Link;
use outbox::{Op, Outgoing};
use supervisor::{Order, Supervisor};

/// What the client tells its user (the terminal, or the window through IPC).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "camelCase")]
// A message is most events by far and moves once, through a channel: boxing it would cost an
// allocation per message to shrink the rare ones.
#[allow(clippy::large_enum_variant)]
pub enum ClientEvent {
    Message(Message),
    Members(Members),
    Typing(Typing),
    State {
        state: ConnState,
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        reason: Option<String>,
        /// On `connected`, when the client moved to another node of a cluster (its own node
        /// stopped answering): that node's address, `https://host:port`.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        server: Option<String>,
    },
    Kicked(Kicked),
    /// Someone wrote to us in a private room we are not in: join it to read it.
    PrivateInvite(PrivateInvite),
    ServerClosing(ServerClosing),
    /// A refusal the user should see. `room` and `clientId` say which room or which queued
    /// message it concerns, when it concerns one.
    #[serde(rename_all = "camelCase")]
    Error {
        code: String,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        room: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        client_id: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ConnState {
    Connecting,
    Connected,
    Reconnecting,
    Disconnected,
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `host:port` or an invite link.
    pub address: String,
    pub nick: String,
    pub password: Option<String>,
    /// Kept for the client's lifetime so the server lets us take over our own stale nickname.
    pub session_id: String,
    /// The user's secret key (`identity.rs`), sent as `auth.userKey`: the host derives the
    /// public user id that owns this user's messages. `None`: an id for this connection only.
    pub user_key: Option<String>,
    /// Probe the server after this much silence (default 5 s)…
    pub idle_probe: Duration,
    /// …and give up on a request on the wire (and the connection) after this long (default
    /// 10 s).
    pub request_timeout: Duration,
    /// A request the user is waiting for (join, leave, a message's ack, a flush) fails with
    /// `timed_out` once it has waited this long, across reconnects, with no answer from the
    /// server meanwhile (default 30 s; keep it above `request_timeout`).
    pub queue_timeout: Duration,
    /// Reconnect backoff bounds (default 250 ms to 5 s).
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// On a cluster, how often the node list is asked for again while connected, besides after
    /// every connect, so that a node that joins later is known before ours dies (default 30 s).
    pub nodes_refresh: Duration,
    /// Which host certificate to accept (default: a fingerprint from the link if it has one,
    /// else trust on first use, remembered in memory only).
    pub trust: Trust,
}

/// Which certificate a client accepts from the host (docs/security.md, "Encryption").
#[derive(Debug, Clone)]
pub struct Trust {
    /// The fingerprint the user was given (`--fingerprint`, a discovery record). One in the
    /// address's invite link counts the same; this one wins if both are there.
    pub fingerprint: Option<Fingerprint>,
    /// Trust a host seen for the first time without a given fingerprint (and remember it).
    pub accept_new_host: bool,
    /// The hosts trusted before, by `host:port`.
    pub known_hosts: Arc<KnownHosts>,
    /// No TLS at all: only for tutorial-style servers that cannot speak it. Everything,
    /// password included, crosses the network readable (`lanchat join --insecure-plain`).
    pub plain: bool,
}

impl Default for Trust {
    fn default() -> Trust {
        Trust {
            fingerprint: None,
            accept_new_host: true,
            known_hosts: Arc::new(KnownHosts::in_memory()),
            plain: false,
        }
    }
}

impl Trust {
    /// The pin for `authority` (`host:port`), given `from_link` (an invite's `fp=`).
    pub fn pin(&self, authority: &str, from_link: Option<Fingerprint>) -> Pin {
        Pin {
            host: authority.to_owned(),
            expected: self.fingerprint.or(from_link),
            accept_new: self.accept_new_host,
            known: self.known_hosts.clone(),
        }
    }
}

/// Where a client's requests go: the tunnel (TLS, pinned), or the host itself in plain. One
/// per node of a cluster the client has connected to.
struct Route {
    /// `host:port` of the node, lower case.
    authority: String,
    /// `http://127.0.0.1:PORT` (the tunnel) or `http://host:port` (plain).
    wire: String,
    /// `https://host:port` or, in plain, `http://host:port`: what links are shown with.
    public: String,
    tunnel: Option<Arc<tunnel::Tunnel>>,
}

impl Route {
    async fn open(target: &Target, trust: &Trust) -> Result<Route, ClientError> {
        Route::to(
            &target.authority,
            trust.pin(&target.authority, target.fingerprint),
            trust.plain,
        )
        .await
    }

    /// A route to another node of the cluster `home` is a node of: pinned to exactly the
    /// certificate `home` showed (every node shares that identity), never trusted on first use.
    async fn to_node(authority: &str, home: &Route, trust: &Trust) -> Result<Route, ClientError> {
        let pin = crate::tls::Pin {
            host: authority.to_owned(),
            expected: home.fingerprint().or(trust.fingerprint),
            accept_new: false,
            known: trust.known_hosts.clone(),
        };
        Route::to(authority, pin, trust.plain).await
    }

    async fn to(authority: &str, pin: crate::tls::Pin, plain: bool) -> Result<Route, ClientError> {
        let authority = authority.to_ascii_lowercase();
        if plain {
            let url = format!("http://{authority}");
            return Ok(Route {
                authority,
                wire: url.clone(),
                public: url,
                tunnel: None,
            });
        }
        let t = tunnel::Tunnel::open(pin).await?;
        Ok(Route {
            wire: t.url().to_owned(),
            public: format!("https://{authority}"),
            authority,
            tunnel: Some(Arc::new(t)),
        })
    }

    /// The certificate fingerprint this route's host was accepted with (none in plain).
    fn fingerprint(&self) -> Option<Fingerprint> {
        self.tunnel.as_ref().and_then(|t| t.fingerprint())
    }

    /// `err`, or the refused host certificate behind it.
    fn explain(&self, err: ClientError) -> ClientError {
        match &self.tunnel {
            Some(t) => t.explain(err),
            None => err,
        }
    }
}

impl ClientConfig {
    pub fn new(address: impl Into<String>, nick: impl Into<String>) -> ClientConfig {
        ClientConfig {
            address: address.into(),
            nick: nick.into(),
            password: None,
            user_key: None,
            session_id: uuid::Uuid::new_v4().to_string(),
            idle_probe: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            queue_timeout: Duration::from_secs(30),
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(5),
            nodes_refresh: Duration::from_secs(30),
            trust: Trust::default(),
        }
    }
}

/// How long `disconnect` waits for the supervisor's goodbye: it answers at once unless it is
/// in the middle of an emit to a peer that stopped reading, and quitting must not wait on that.
const STOP_WAIT: Duration = Duration::from_secs(2);

/// Handle to a running client. Cheap to clone: every clone drives the same session, so a caller
/// can take one out of shared state and await on it without holding that state's lock. The
/// session ends on [`Client::disconnect`] (from any clone) or when the last clone is dropped.
#[derive(Clone)]
pub struct Client {
    orders: mpsc::UnboundedSender<Order>,
    /// Fixed at connect; shared so a clone is a few pointer copies.
    info: Arc<ServerInfo>,
    /// `https://host:port` of the server (`http://` for a plain one), for links.
    base_url: Arc<str>,
    /// Where requests go (the tunnel's `http://127.0.0.1:PORT`; the supervisor keeps the
    /// tunnel open while the session lives).
    wire_url: Arc<str>,
    /// What this host was trusted as, for downloads of its file links (shared: a clone of
    /// the handle stays a few pointers).
    trust: Arc<Trust>,
    /// How long a file transfer may make no progress before it fails (`queue_timeout`).
    patience: Duration,
    /// A `PATCH` that hands nothing to the connection for this long is retried
    /// (`request_timeout`).
    request_timeout: Duration,
}

impl Client {
    /// Connects (the first attempt must succeed) and starts the supervisor.
    pub async fn connect(
        cfg: ClientConfig,
        events: mpsc::UnboundedSender<ClientEvent>,
    ) -> Result<Client, ClientError> {
        let target = parse_target(&cfg.address)?;
        let route = Arc::new(Route::open(&target, &cfg.trust).await?);
        let info = link::probe(&route.wire)
            .await
            .map_err(|e| route.explain(e))?;
        let state = |state| ClientEvent::State {
            state,
            reason: None,
            server: None,
        };
        let _ = events.send(state(ConnState::Connecting));
        let (inc_tx, inc_rx) = mpsc::unbounded_channel();
        let first = Link::open(&route.wire, &cfg, 0, inc_tx.clone())
            .await
            .map_err(|e| route.explain(e))?;
        let _ = events.send(state(ConnState::Connected));
        let legacy = legacy::is_legacy(&info);
        let (orders, order_rx) = mpsc::unbounded_channel();
        let trust = Arc::new(Trust {
            fingerprint: cfg.trust.fingerprint.or(target.fingerprint),
            ..cfg.trust.clone()
        });
        let base_url = Arc::from(route.public.as_str());
        let wire_url = Arc::from(route.wire.as_str());
        let (patience, request_timeout) = (cfg.queue_timeout, cfg.request_timeout);
        let mut sup = Supervisor::new(route.clone(), cfg, legacy, events, first, inc_tx);
        sup.learn_nodes(&info.nodes);
        tokio::spawn(sup.run(order_rx, inc_rx));
        Ok(Client {
            orders,
            info: Arc::new(info),
            base_url,
            wire_url,
            trust,
            patience,
            request_timeout,
        })
    }

    /// What `/api/info` said at connect (`server` is not `lanchat` for a tutorial-only server).
    pub fn server_info(&self) -> &ServerInfo {
        &self.info
    }

    /// `https://host:port` of the server (`http://` when joined with `Trust::plain`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Where this process reaches the host: the tunnel's `http://127.0.0.1:PORT`, pinned TLS
    /// beyond it (or the host itself, in plain). The window's page loads previews from here:
    /// its webview would refuse the host's self-signed certificate, and must not be the one to
    /// decide whether to trust it. Valid while the client lives.
    pub fn wire_url(&self) -> &str {
        &self.wire_url
    }

    /// What this client trusts its host as: pass it to [`download`] for the host's file links.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// A link from a file message (`/files/…`) as an absolute URL on this server.
    pub fn file_url(&self, link: &str) -> String {
        format!("{}{link}", self.base_url)
    }

    /// Whether the server only speaks the tutorial's events (no acks, no history, no seqs).
    pub fn is_legacy(&self) -> bool {
        legacy::is_legacy(&self.info)
    }

    /// Joins `room`; fails with `timed_out` if the server does not answer in time.
    pub async fn join(&self, room: &str) -> Result<JoinAck, ClientError> {
        let room = crate::protocol::clean_room(room)?;
        let (tx, rx) = oneshot::channel();
        self.queue(Op::Join {
            room,
            reply: Some(tx),
        })?;
        rx.await.map_err(|_| ClientError::Stopped)?
    }

    pub async fn leave(&self, room: &str) -> Result<(), ClientError> {
        let (tx, rx) = oneshot::channel();
        self.queue(Op::Leave {
            room: room.to_owned(),
            reply: Some(tx),
        })?;
        rx.await.map_err(|_| ClientError::Stopped)?
    }

    /// Queues a message; it is sent (again after reconnects) until the server acks it, or
    /// until it has waited `queue_timeout` for a server that answers nothing. The returned
    /// receiver resolves with the ack or a refusal.
    pub fn send(
        &self,
        room: &str,
        text: &str,
        client_id: Option<String>,
    ) -> Result<oneshot::Receiver<Result<SendAck, ClientError>>, ClientError> {
        self.send_reply(room, text, client_id, None)
    }

    /// [`Client::send`], as a reply to message `reply_to` of the room when given.
    pub fn send_reply(
        &self,
        room: &str,
        text: &str,
        client_id: Option<String>,
        reply_to: Option<u64>,
    ) -> Result<oneshot::Receiver<Result<SendAck, ClientError>>, ClientError> {
        let (tx, rx) = oneshot::channel();
        self.queue(Op::Send(Outgoing {
            room: room.to_owned(),
            text: text.to_owned(),
            client_id: client_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            reply_to,
            reply: Some(tx),
        }))?;
        Ok(rx)
    }

    /// Changes the text of our message `seq` in `room`.
    pub async fn edit(&self, room: &str, seq: u64, text: &str) -> Result<UpdateAck, ClientError> {
        let payload = serde_json::json!({ "room": room, "seq": seq, "message": text });
        self.ask(room, events::EDIT_MESSAGE, payload).await
    }

    /// Deletes our message `seq` in `room`.
    pub async fn delete(&self, room: &str, seq: u64) -> Result<UpdateAck, ClientError> {
        let payload = serde_json::json!({ "room": room, "seq": seq });
        self.ask(room, events::DELETE_MESSAGE, payload).await
    }

    /// Adds (`on`) or takes back our `emoji` on message `seq` in `room`.
    pub async fn react(
        &self,
        room: &str,
        seq: u64,
        emoji: &str,
        on: bool,
    ) -> Result<UpdateAck, ClientError> {
        let payload = serde_json::json!({ "room": room, "seq": seq, "emoji": emoji, "on": on });
        self.ask(room, events::REACT, payload).await
    }

    /// The private room with `nick`, who is in `room` with us (join it next).
    pub async fn open_private(
        &self,
        room: &str,
        nick: &str,
    ) -> Result<crate::protocol::PrivateOpened, ClientError> {
        let payload = serde_json::json!({ "room": room, "nickName": nick });
        self.ask(room, events::OPEN_PRIVATE, payload).await
    }

    /// Asks the server something about `room` and reads the ack's body as `T` (edits,
    /// deletes, reactions, history pages, searches): in order with the client's other requests,
    /// after the room's join, retried after a `rate_limited` pause.
    async fn ask<T: serde::de::DeserializeOwned>(
        &self,
        room: &str,
        event: &'static str,
        payload: serde_json::Value,
    ) -> Result<T, ClientError> {
        let (tx, rx) = oneshot::channel();
        self.queue(Op::Ask(outbox::Ask {
            room: room.to_owned(),
            event,
            payload,
            reply: tx,
        }))?;
        let body = rx.await.map_err(|_| ClientError::Stopped)??;
        T::deserialize(&body).map_err(ClientError::malformed)
    }

    /// Tells the room we are (not) typing; dropped while disconnected.
    pub fn typing(&self, room: &str, typing: bool) {
        let _ = self.orders.send(Order::Typing {
            room: room.to_owned(),
            typing,
        });
    }

    /// Waits until every queued message has been acknowledged (or refused, or given up on).
    pub async fn flush(&self) -> Result<(), ClientError> {
        let (tx, rx) = oneshot::channel();
        self.orders
            .send(Order::Flush(tx))
            .map_err(|_| ClientError::Stopped)?;
        rx.await.map_err(|_| ClientError::Stopped)?
    }

    /// Says goodbye and stops the session for every clone; requests still waiting end with
    /// `not_connected`.
    pub async fn disconnect(self) {
        let (tx, rx) = oneshot::channel();
        if self.orders.send(Order::Stop(tx)).is_ok()
            && tokio::time::timeout(STOP_WAIT, rx).await.is_err()
        {
            tracing::warn!(
                "the client did not stop within {STOP_WAIT:?}; it stops when its current step ends"
            );
        }
    }

    fn queue(&self, op: Op) -> Result<(), ClientError> {
        self.orders
            .send(Order::Queue(op))
            .map_err(|_| ClientError::Stopped)
    }
}
