//! Performs the chat core's effects through socketioxide: connection ids become sockets, room
//! broadcasts go through socketioxide's rooms, and outcomes become acks (or `requestError`).
//! Everything queued for a connection is charged to its send budget first (`outflow`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};
use socketioxide::extract::{AckSender, SocketRef};
use socketioxide::{SendError, SocketError, SocketIo};
use tokio::sync::oneshot;

use super::files::Files;
use super::outflow::{Charge, Outflow, ack_len, event_len};
use super::reads::{Reads, Slot};
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
    /// The connection's queued output, charged for the answer.
    pub outflow: Arc<Outflow>,
    pub ack: AckSender,
    /// The client's ack id. Without one, failures go out as `requestError`.
    pub ack_id: Option<i64>,
    /// The event name, for `requestError` and logs.
    pub event: String,
    /// A read (`history`, `search`) holds its place among the connection's reads in flight
    /// until it is answered.
    pub read_slot: Option<Slot>,
}

/// Where a request's outcome goes: a client's ack, or the host's waiting control call.
pub enum Sink {
    Client(Reply),
    Host(oneshot::Sender<Result<(), WireError>>),
    /// The files service, waiting for its file message's ack.
    Posted(oneshot::Sender<Result<SendAck, WireError>>),
}

/// One connection as delivery sees it.
struct Peer {
    socket: SocketRef,
    outflow: Arc<Outflow>,
    /// Rooms whose broadcasts it gets (as in `Deliver::rooms`).
    rooms: HashSet<String>,
}

/// The sockets behind connection ids. Touched only by the hub's driver.
pub struct Deliver {
    io: SocketIo,
    peers: HashMap<ConnId, Peer>,
    /// Who gets each room's broadcasts — the connections socketioxide's room holds — with their
    /// outflows, so that a broadcast is charged to each of them.
    rooms: HashMap<String, HashMap<ConnId, Arc<Outflow>>>,
    /// Issues the upload tickets the chat core allows (`None`: files are off).
    files: Option<Arc<Files>>,
    /// Performs the reads the chat core allows, off the hub.
    reads: Arc<Reads>,
}

impl Deliver {
    pub fn new(io: SocketIo, files: Option<Arc<Files>>, reads: Arc<Reads>) -> Deliver {
        Deliver {
            io,
            peers: HashMap::new(),
            rooms: HashMap::new(),
            files,
            reads,
        }
    }

    pub fn add(&mut self, conn: ConnId, socket: SocketRef, outflow: Arc<Outflow>) {
        let peer = Peer {
            socket,
            outflow,
            rooms: HashSet::new(),
        };
        self.peers.insert(conn, peer);
    }

    pub fn remove(&mut self, conn: ConnId) {
        if let Some(peer) = self.peers.remove(&conn) {
            for room in peer.rooms {
                self.unlist(conn, &room);
            }
        }
    }

    fn unlist(&mut self, conn: ConnId, room: &str) {
        if let Some(members) = self.rooms.get_mut(room) {
            members.remove(&conn);
            if members.is_empty() {
                self.rooms.remove(room);
            }
        }
    }

    /// Whether `conn`'s transport is still up (its disconnect may not be applied yet).
    pub fn is_live(&self, conn: ConnId) -> bool {
        self.peers.get(&conn).is_some_and(|p| p.socket.connected())
    }

    /// Performs one effect. A history longer than a chunk sends one chunk and gives back the
    /// rest, to be sent once the socket's writer has run.
    pub fn perform(
        &mut self,
        effect: Effect,
        stored: &[Message],
        sinks: &mut [Option<Sink>],
    ) -> Option<Effect> {
        match effect {
            Effect::History { to, mut messages } => {
                let peer = self.peers.get(&to)?;
                let rest = messages.split_off(messages.len().min(HISTORY_CHUNK));
                for m in &messages {
                    if !emit(&peer.socket, &peer.outflow, m.kind.event_name(), m) {
                        return None;
                    }
                }
                if !rest.is_empty() && peer.socket.connected() {
                    return Some(Effect::History { to, messages: rest });
                }
            }
            Effect::Subscribe { conn, room } => {
                // A connection cut off over its budget left its rooms for good.
                if let Some(peer) = self.peers.get_mut(&conn)
                    && !peer.outflow.is_cut()
                {
                    peer.socket.join(room.clone());
                    self.rooms
                        .entry(room.clone())
                        .or_default()
                        .insert(conn, peer.outflow.clone());
                    peer.rooms.insert(room);
                }
            }
            Effect::Unsubscribe { conn, room } => {
                if let Some(peer) = self.peers.get_mut(&conn) {
                    peer.socket.leave(room.clone());
                    peer.rooms.remove(&room);
                    self.unlist(conn, &room);
                }
            }
            Effect::Broadcast(i) => {
                let m = stored.get(i)?;
                // Event rows go out as `messageUpdate`: the tutorial's clients print every
                // `message` they get, and must not show an edit or a reaction as a chat line.
                let event = m.kind.event_name();
                self.charge_room(&m.room, None, event_len(event, m));
                if let Err(e) = at_once(self.io.to(m.room.clone()).emit(event, m)) {
                    // A member whose send queue is full (16,384 packets behind) misses this one;
                    // the heartbeat drops it, since its ping cannot be queued either. lanchat's
                    // clients notice the seq gap and catch up with `since`.
                    tracing::warn!("broadcast to {} incomplete: {e}", m.room);
                }
            }
            Effect::Presence(p) => {
                self.charge_room(&p.room, None, event_len(events::PRESENCE, &p));
                if let Err(e) = at_once(self.io.to(p.room.clone()).emit(events::PRESENCE, &p)) {
                    tracing::debug!("presence broadcast incomplete: {e}");
                }
            }
            Effect::Typing { from, notice } => {
                self.charge_room(&notice.room, Some(from), event_len(events::TYPING, &notice));
                // The typist's own socket is left out; in a cluster it may be on another node.
                let sent = match self.peers.get(&from) {
                    Some(p) => at_once(
                        p.socket
                            .to(notice.room.clone())
                            .emit(events::TYPING, &notice),
                    ),
                    None => at_once(
                        self.io
                            .to(notice.room.clone())
                            .emit(events::TYPING, &notice),
                    ),
                };
                if let Err(e) = sent {
                    tracing::debug!("typing broadcast incomplete: {e}");
                }
            }
            Effect::Kicked { to, notice } => {
                if let Some(peer) = self.peers.get(&to) {
                    emit(&peer.socket, &peer.outflow, events::KICKED, &notice);
                }
            }
            Effect::PrivateInvite { to, invite } => {
                if let Some(peer) = self.peers.get(&to) {
                    emit(&peer.socket, &peer.outflow, events::PRIVATE_INVITE, &invite);
                }
            }
            Effect::Reply { id, result, .. } => match sinks.get_mut(id).and_then(Option::take) {
                Some(Sink::Client(reply)) => match result {
                    // Answered when the read is done, off the hub.
                    Ok(Done::Read(read)) => self.reads.start(read, reply),
                    result => {
                        let body = result.and_then(|done| self.ack_body(done));
                        respond(reply, body)
                    }
                },
                Some(Sink::Host(done)) => {
                    // Nobody waiting any more (the host's caller gave up) is fine.
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

    /// Charges a broadcast of `bytes` to every member of `room` but `except`. A member it takes
    /// over its send budget is cut off first, so the broadcast is not queued for it.
    fn charge_room(&self, room: &str, except: Option<ConnId>, bytes: usize) {
        let Some(members) = self.rooms.get(room) else {
            return;
        };
        for (conn, outflow) in members {
            if Some(*conn) == except {
                continue;
            }
            if let Charge::Refuse { newly: true } = outflow.charge(bytes)
                && let Some(peer) = self.peers.get(conn)
            {
                cut_off(&peer.socket, outflow);
            }
        }
    }
}

/// Stops sending to a connection that went over its send budget: it leaves every room (no more
/// broadcasts are queued for it) and its transport is closed (`wire`). Its client reconnects
/// and catches up with `since`.
fn cut_off(socket: &SocketRef, outflow: &Outflow) {
    outflow.cut_off();
    socket.leave_all();
    tracing::warn!(
        sid = %socket.id,
        "dropping a connection that stopped reading: {} bytes queued for it, budget {}",
        outflow.queued(),
        outflow.budget()
    );
}

/// Charges a packet of `bytes` for one socket: whether to queue it. A charge that takes the
/// connection over its budget cuts it off.
fn admit(socket: &SocketRef, outflow: &Outflow, bytes: usize) -> bool {
    match outflow.charge(bytes) {
        Charge::Queue => true,
        Charge::Refuse { newly } => {
            if newly {
                cut_off(socket, outflow);
            }
            false
        }
    }
}

/// After a send to one socket failed: a full queue (16,384 packets behind) cuts it off too.
fn failed(socket: &SocketRef, outflow: &Outflow, what: &str, e: &SendError) {
    tracing::debug!(sid = %socket.id, "{what} failed: {e}");
    if matches!(e, SendError::Socket(SocketError::InternalChannelFull)) && !outflow.is_cut() {
        cut_off(socket, outflow);
    }
}

/// Charges and queues one event for one socket. False if it was not queued: the connection is
/// over its send budget, or its queue is full (then it is cut off too), or it is gone.
fn emit<T: Serialize + ?Sized>(
    socket: &SocketRef,
    outflow: &Outflow,
    event: &str,
    body: &T,
) -> bool {
    if !admit(socket, outflow, event_len(event, body)) {
        return false;
    }
    match socket.emit(event, body) {
        Ok(()) => true,
        Err(e) => {
            failed(socket, outflow, &format!("emit {event}"), &e);
            false
        }
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
            Done::Updated(ack) => ok_ack(&ack),
            Done::PrivateOpened(opened) => ok_ack(&opened),
            Done::UploadAllowed(grant) => match &self.files {
                Some(files) => ok_ack(&files.grant(grant)?),
                None => return Err(ErrorCode::FilesDisabled.into()),
            },
            // Performed by `reads` (see `perform`); a host's sink never asks for one.
            Done::Read(_) => return Err(ErrorCode::StorageFailed.into()),
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
    match (result, reply.ack_id) {
        (Ok(body), Some(id)) => send_ack(reply, id, &body),
        (Ok(_), None) => {}
        (Err(e), Some(id)) => send_ack(reply, id, &err_ack(&e)),
        (Err(e), None) => {
            let body = RequestError {
                event: reply.event,
                code: e.code,
                message: e.message,
            };
            emit(&reply.socket, &reply.outflow, events::REQUEST_ERROR, &body);
        }
    }
}

fn send_ack(reply: Reply, id: i64, body: &Value) {
    let Reply {
        socket,
        outflow,
        ack,
        event,
        ..
    } = reply;
    if !admit(&socket, &outflow, ack_len(id, body)) {
        return;
    }
    if let Err(e) = ack.send(body) {
        failed(&socket, &outflow, &format!("ack for {event}"), &e);
    }
}
