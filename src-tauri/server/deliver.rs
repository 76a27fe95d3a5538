//! Performs the chat core's effects through socketioxide: connection ids become sockets, room
//! broadcasts go through socketioxide's rooms, and outcomes become acks (or `requestError`).

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, SocketRef};
use tokio::sync::oneshot;

use super::files::Files;
use super::sio_workarounds::at_once;
use crate::chat::{ConnId, Done, Effect};
use crate::protocol::{
    ErrorCode, FileUploadAck, Message, RequestError, SendAck, WireError, err_ack, events, ok_ack,
};

/// History is replayed in chunks of this many messages, letting the socket's writer run between
/// them: a joiner's whole history at once would leave its WebSocket write buffer and send queue
/// at that high-water mark for the life of the connection (docs/benchmarks.md, idle memory).
pub const HISTORY_CHUNK: usize = 16;

/// How a client's request wants its outcome reported.
pub struct Reply {
    pub socket: SocketRef,
    pub ack: AckSender,
    /// The client passed an ack callback; without one, failures go out as `requestError`.
    pub wants_ack: bool,
    /// The event name, for `requestError` and logs.
    pub event: String,
}

/// Where a request's outcome goes: a client's ack, or the host's waiting control call.
pub enum Sink {
    Client(Reply),
    Host(oneshot::Sender<Result<(), WireError>>),
    /// The files service, waiting for its file message's ack.
    Posted(oneshot::Sender<Result<SendAck, WireError>>),
}

/// The sockets behind connection ids. Touched only by the hub's driver.
pub struct Deliver {
    io: SocketIo,
    sockets: HashMap<ConnId, SocketRef>,
    /// Issues the upload tickets the chat core allows (`None`: files are off).
    files: Option<Arc<Files>>,
}

impl Deliver {
    pub fn new(io: SocketIo, files: Option<Arc<Files>>) -> Deliver {
        Deliver {
            io,
            sockets: HashMap::new(),
            files,
        }
    }

    pub fn add(&mut self, conn: ConnId, socket: SocketRef) {
        self.sockets.insert(conn, socket);
    }

    pub fn remove(&mut self, conn: ConnId) {
        self.sockets.remove(&conn);
    }

    /// Whether `conn`'s transport is still up (its disconnect may not be applied yet).
    pub fn is_live(&self, conn: ConnId) -> bool {
        self.sockets.get(&conn).is_some_and(|s| s.connected())
    }

    /// Performs one effect. A history longer than a chunk sends one chunk and gives back the
    /// rest, to be sent once the socket's writer has run.
    pub fn perform(
        &self,
        effect: Effect,
        stored: &[Message],
        sinks: &mut [Option<Sink>],
    ) -> Option<Effect> {
        match effect {
            Effect::History { to, mut messages } => {
                let socket = self.sockets.get(&to)?;
                let rest = messages.split_off(messages.len().min(HISTORY_CHUNK));
                for m in &messages {
                    if let Err(e) = socket.emit(events::MESSAGE, m) {
                        tracing::debug!(sid = %socket.id, "history emit failed: {e}");
                        return None;
                    }
                }
                if !rest.is_empty() && socket.connected() {
                    return Some(Effect::History { to, messages: rest });
                }
            }
            Effect::Subscribe { conn, room } => {
                if let Some(s) = self.sockets.get(&conn) {
                    s.join(room);
                }
            }
            Effect::Unsubscribe { conn, room } => {
                if let Some(s) = self.sockets.get(&conn) {
                    s.leave(room);
                }
            }
            Effect::Broadcast(i) => {
                let m = stored.get(i)?;
                if let Err(e) = at_once(self.io.to(m.room.clone()).emit(events::MESSAGE, m)) {
                    // A connection whose send buffer is full (thousands of messages behind)
                    // misses this one. lanchat's clients notice the seq gap and catch up with
                    // `since`; a dead one is dropped by the heartbeat.
                    tracing::warn!("broadcast to {} incomplete: {e}", m.room);
                }
            }
            Effect::Presence(p) => {
                if let Err(e) = at_once(self.io.to(p.room.clone()).emit(events::PRESENCE, &p)) {
                    tracing::debug!("presence broadcast incomplete: {e}");
                }
            }
            Effect::Typing { from, notice } => {
                if let Some(s) = self.sockets.get(&from)
                    && let Err(e) = at_once(s.to(notice.room.clone()).emit(events::TYPING, &notice))
                {
                    tracing::debug!("typing broadcast incomplete: {e}");
                }
            }
            Effect::Kicked { to, notice } => {
                if let Some(s) = self.sockets.get(&to) {
                    emit_or_log(s, events::KICKED, &notice);
                }
            }
            Effect::Reply { id, result, .. } => match sinks.get_mut(id).and_then(Option::take) {
                Some(Sink::Client(reply)) => {
                    let body = result.and_then(|done| self.ack_body(done));
                    respond(reply, body)
                }
                Some(Sink::Host(done)) => {
                    let _ = done.send(result.map(|_| ()));
                }
                Some(Sink::Posted(done)) => {
                    let _ = done.send(result.and_then(|d| match d {
                        Done::Sent(ack) => Ok(ack),
                        _ => Err(ErrorCode::StorageFailed.into()),
                    }));
                }
                None => tracing::error!("a reply for request {id} has no sink"),
            },
        }
        None
    }
}

impl Deliver {
    /// The ack body of a successful request. An allowed upload gets its ticket here, from the
    /// files service (which may still refuse it: quota, limits).
    fn ack_body(&self, done: Done) -> Result<Value, WireError> {
        Ok(match done {
            Done::Joined(ack) => ok_ack(&ack),
            Done::Sent(ack) => ok_ack(&ack),
            Done::Left { room } => json!({ "ok": true, "room": room }),
            Done::Typing | Done::Kicked => json!({ "ok": true }),
            Done::UploadAllowed(grant) => match &self.files {
                Some(files) => ok_ack(&files.grant(grant)?),
                None => return Err(ErrorCode::FilesDisabled.into()),
            },
            Done::UploadPosted(ack) => ok_ack(&FileUploadAck {
                upload: None,
                sent: Some(SendAck {
                    duplicate: true,
                    ..ack
                }),
            }),
        })
    }
}

/// Sends a request's outcome: as its ack, or as `requestError` if it failed without one.
pub fn respond(reply: Reply, result: Result<Value, WireError>) {
    match (result, reply.wants_ack) {
        (Ok(body), true) => send_ack(reply.ack, &body, &reply.event),
        (Ok(_), false) => {}
        (Err(e), true) => send_ack(reply.ack, &err_ack(&e), &reply.event),
        (Err(e), false) => {
            let body = RequestError {
                event: reply.event,
                code: e.code,
                message: e.message,
            };
            emit_or_log(&reply.socket, events::REQUEST_ERROR, &body);
        }
    }
}

fn send_ack<T: Serialize>(ack: AckSender, body: &T, event: &str) {
    if let Err(e) = ack.send(body) {
        tracing::debug!("ack for {event} not delivered: {e}");
    }
}

pub fn emit_or_log<T: Serialize>(socket: &SocketRef, event: &str, body: &T) {
    if let Err(e) = socket.emit(event, body) {
        tracing::debug!(sid = %socket.id, "emit {event} failed: {e}");
    }
}
