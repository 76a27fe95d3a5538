//! One Socket.IO connection's way in: every event passes the rate limit, is parsed once into a
//! [`Request`], and is queued for the hub in the order the client sent it.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use socketioxide::adapter::LocalAdapter;
use socketioxide::extract::{AckSender, Event, SocketRef, TryData};
use socketioxide::handler::FromMessageParts;
use socketioxide::socket::{DisconnectReason, Socket};

use super::deliver::{Reply, respond};
use super::hub::Job;
use super::limits::TokenBucket;
use super::outflow::Outflow;
use super::reads::InFlight;
use super::sio_workarounds::until_connected;
use super::wire;
use super::{Shared, lock};
use crate::chat::ConnId;
use crate::protocol::{ErrorCode, Request, WireError, events};

/// The extractor through which every client event enters the server.
///
/// socketioxide 0.18 runs each event handler as its own task, so two events a client sends
/// back to back (`joinRoom` then `sendMessage`) could be handled in either order. Extractors,
/// however, run inline in the socket's receive loop, in arrival order — so this one validates
/// the event and queues it for the hub right there, and the handler itself does nothing.
pub struct Dispatched;

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
        match s.extensions.get::<Arc<Connection>>() {
            Some(conn) => conn.dispatch(socket, &name, data.unwrap_or(Value::Null), ack, *ack_id),
            None => tracing::warn!(sid = %s.id, "event {name:?} on a socket without state"),
        }
        Ok(Dispatched)
    }
}

/// Per-connection state, kept in the socket's extensions.
pub struct Connection {
    id: ConnId,
    shared: Arc<Shared>,
    /// Only touched from this socket's receive loop, so the lock is never contended.
    bucket: Mutex<TokenBucket>,
    /// Requests that arrived before socketioxide marked the socket connected, in order; `Some`
    /// while they wait (see `sio_workarounds::until_connected`).
    early: Mutex<Option<VecDeque<Job>>>,
    /// Its output queued and not yet written, against the send budget.
    outflow: Arc<Outflow>,
    /// Its `history` and `search` requests not yet answered (`reads.rs`).
    reads: InFlight,
}

impl Connection {
    fn dispatch(
        self: &Arc<Self>,
        socket: SocketRef,
        name: &str,
        data: Value,
        ack: AckSender,
        ack_id: Option<i64>,
    ) {
        if self.outflow.is_cut() {
            // Dropped over its send budget; its transport is closing.
            return;
        }
        let mut reply = Reply {
            socket: socket.clone(),
            outflow: self.outflow.clone(),
            ack,
            ack_id,
            event: name.chars().take(64).collect(),
            read_slot: None,
        };
        // Every event takes a token, pings and unknown ones included.
        if !lock(&self.bucket).try_take() {
            return respond(reply, Err(ErrorCode::RateLimited.into()));
        }
        let sid = socket.id.to_string();
        let guest = || format!("guest-{}", &sid[..sid.len().min(6)]);
        match Request::parse(name, &data, &self.shared.config.limits, guest) {
            Err(e) => {
                if e.code == ErrorCode::UnknownEvent {
                    tracing::debug!(sid = %socket.id, "unknown event {:?}", reply.event);
                }
                respond(reply, Err(e))
            }
            Ok(Request::FileUpload(_)) if self.shared.files.is_none() => {
                respond(reply, Err(ErrorCode::FilesDisabled.into()))
            }
            Ok(req @ (Request::History(_) | Request::Search(_))) => match self.reads.take() {
                Some(slot) => {
                    reply.read_slot = Some(slot);
                    self.submit(
                        &socket,
                        Job::Request {
                            conn: self.id,
                            req,
                            reply: Some(reply),
                        },
                    )
                }
                None => respond(
                    reply,
                    Err(WireError::new(
                        ErrorCode::RateLimited,
                        "too many history or search requests waiting; wait for their answers",
                    )),
                ),
            },
            Ok(Request::Ping) => respond(
                reply,
                Ok(serde_json::json!({ "ok": true, "ts": crate::clock::now_ms() })),
            ),
            Ok(req) => self.submit(
                &socket,
                Job::Request {
                    conn: self.id,
                    req,
                    reply: Some(reply),
                },
            ),
        }
    }

    /// Hands a request to the hub, or, while the socket is not yet marked connected (or earlier
    /// requests still wait for that), queues it behind them.
    fn submit(self: &Arc<Self>, socket: &SocketRef, job: Job) {
        let mut early = lock(&self.early);
        if let Some(waiting) = early.as_mut() {
            waiting.push_back(job);
            return;
        }
        if !socket.connected() {
            *early = Some(VecDeque::from([job]));
            let (conn, socket) = (self.clone(), socket.clone());
            tokio::spawn(async move { conn.release_when_connected(socket).await });
            return;
        }
        drop(early);
        self.try_submit(job);
    }

    async fn release_when_connected(&self, socket: SocketRef) {
        let connected = until_connected(&socket).await;
        // Submitted under the lock, so a request arriving meanwhile cannot overtake them.
        let mut early = lock(&self.early);
        let waiting = early.take().unwrap_or_default();
        if !connected {
            tracing::debug!(sid = %socket.id, "dropping {} requests: never connected", waiting.len());
            return;
        }
        for job in waiting {
            self.try_submit(job);
        }
    }

    fn try_submit(&self, job: Job) {
        if let Some(job) = self.shared.hub().try_submit(job) {
            // The hub is far behind: refuse rather than queue without bound.
            if let Some(reply) = job.into_reply() {
                respond(reply, Err(ErrorCode::RateLimited.into()));
            }
        }
    }
}

/// Gives an authenticated socket its state and handlers, and tells the hub it is here.
pub fn register(
    socket: &SocketRef,
    shared: Arc<Shared>,
    session: Option<String>,
    user: String,
    plain: bool,
) {
    let id = ConnId::on_node(
        shared.node.load(Ordering::Acquire),
        shared.next_conn.fetch_add(1, Ordering::Relaxed),
    );
    let outflow = Arc::new(Outflow::new(shared.config.send_budget));
    wire::attach(socket, &outflow, &shared.outflows);
    let conn = Arc::new(Connection {
        id,
        bucket: Mutex::new(TokenBucket::new(shared.config.rate)),
        shared: shared.clone(),
        early: Mutex::new(None),
        outflow: outflow.clone(),
        reads: InFlight::default(),
    });
    socket.extensions.insert(conn);
    for event in events::CLIENT {
        socket.on(event, async |_: Dispatched| {});
    }
    socket.on_fallback(async |_: Dispatched| {});
    shared.hub().enqueue(Job::Connect {
        conn: id,
        local: Some((socket.clone(), outflow)),
        session,
        user,
        plain,
    });
    socket.on_disconnect(async move |s: SocketRef, reason: DisconnectReason| {
        tracing::debug!(sid = %s.id, ?reason, "disconnected");
        shared.outflows.remove(s.id);
        shared.connections.fetch_sub(1, Ordering::AcqRel);
        // Must not be lost even when the queue is full: member lists depend on it.
        shared.hub().submit(Job::Disconnect { conn: id });
    });
}
