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
//! - `address.rs`: what people paste as an address; `error.rs`: [`ClientError`];
//! - `files.rs`: uploading a file (ticket over the socket, bytes over HTTP, resumed after cuts)
//!   and downloading a file link (resumed with byte ranges).

mod address;
mod error;
mod files;
mod history;
mod legacy;
mod link;
mod outbox;
mod rooms;
mod supervisor;

pub use address::{BadAddress, DEFAULT_PORT, Target, parse_target};
pub use error::ClientError;
pub use files::{OnProgress, download, partial_path};

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::protocol::{
    JoinAck, Kicked, Members, Message, SendAck, ServerClosing, ServerInfo, Typing, UpdateAck,
    events,
};
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
    },
    Kicked(Kicked),
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
    /// `http://host:port` of the server.
    base_url: Arc<str>,
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
        let info = link::probe(&target.base_url).await?;
        let state = |state| ClientEvent::State {
            state,
            reason: None,
        };
        let _ = events.send(state(ConnState::Connecting));
        let (inc_tx, inc_rx) = mpsc::unbounded_channel();
        let first = Link::open(&target.base_url, &cfg, 0, inc_tx.clone()).await?;
        let _ = events.send(state(ConnState::Connected));
        let legacy = legacy::is_legacy(&info);
        let (orders, order_rx) = mpsc::unbounded_channel();
        let base_url = Arc::from(target.base_url.as_str());
        let (patience, request_timeout) = (cfg.queue_timeout, cfg.request_timeout);
        let sup = Supervisor::new(target.base_url, cfg, legacy, events, first, inc_tx);
        tokio::spawn(sup.run(order_rx, inc_rx));
        Ok(Client {
            orders,
            info: Arc::new(info),
            base_url,
            patience,
            request_timeout,
        })
    }

    /// What `/api/info` said at connect (`server` is not `lanchat` for a tutorial-only server).
    pub fn server_info(&self) -> &ServerInfo {
        &self.info
    }

    /// `http://host:port` of the server.
    pub fn base_url(&self) -> &str {
        &self.base_url
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
