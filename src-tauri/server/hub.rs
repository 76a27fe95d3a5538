//! The hub: the one owner of every room, applying requests strictly in arrival order.
//!
//! Socket.IO handlers validate and queue each request inline, in the socket's receive loop, so
//! a socket's requests enter the queue in the order it sent them. Whoever queues a request while
//! nobody is driving the hub becomes its driver and applies the queue right there, in batches
//! (flat combining): it updates rooms and hands out seqs in memory, stores the batch's new
//! messages in one SQLite transaction, and only then broadcasts and acks, in order. Requests
//! queued meanwhile (from other threads) are taken by the same driver. One driver at a time is
//! what gives every member the same order; driving inline rather than on a hub task saves a
//! trip through the run queue per request — with a thousand socket writers queued on the core,
//! that trip halved the fan-out (docs/benchmarks.md).

use std::collections::{HashMap, VecDeque};
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use serde::Serialize;
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, SocketRef};
use socketioxide::socket::Sid;
use tokio::sync::oneshot;

use super::lock;
use super::rooms::{Ban, Member, Room};
use crate::protocol::{
    ErrorCode, JoinAck, JoinRequest, Kicked, Kind, Message, Presence, RequestError, RoomInfo,
    SendRequest, TypingRequest, WireError, err_ack, events, ok_ack,
};
use crate::store::Store;

/// History is replayed in chunks of this many messages, letting the socket's writer run between
/// them: a joiner's whole history at once would leave its WebSocket write buffer and send queue
/// at that high-water mark for the life of the connection (docs/benchmarks.md, idle memory).
const HISTORY_CHUNK: usize = 16;

/// How a request wants its outcome reported.
pub struct Reply {
    pub socket: SocketRef,
    pub ack: AckSender,
    /// The client passed an ack callback; without one, failures go out as `requestError`.
    pub wants_ack: bool,
    pub event: String,
}

pub enum Command {
    Join {
        socket: SocketRef,
        session: Option<String>,
        req: JoinRequest,
        reply: Reply,
    },
    Send {
        socket: SocketRef,
        req: SendRequest,
        reply: Reply,
    },
    Leave {
        socket: SocketRef,
        room: String,
        reply: Reply,
    },
    Typing {
        socket: SocketRef,
        req: TypingRequest,
        reply: Reply,
    },
    Disconnected {
        sid: Sid,
    },
    Kick {
        room: String,
        nick: String,
        by: String,
        done: oneshot::Sender<Result<(), WireError>>,
    },
    Info {
        done: oneshot::Sender<Vec<RoomInfo>>,
    },
}

/// Tunables the hub needs (a slice of the server's `Config`).
#[derive(Debug, Clone)]
pub struct HubConfig {
    pub history_on_join: usize,
    pub catchup_limit: usize,
    pub cache_len: usize,
    pub dedupe_len: usize,
    pub max_rooms_per_socket: usize,
    pub kick_ban: Duration,
    pub max_batch: usize,
}

/// Something to do once the batch's messages are stored, in order.
enum Effect {
    Emit {
        socket: SocketRef,
        event: &'static str,
        body: serde_json::Value,
    },
    History {
        socket: SocketRef,
        messages: Vec<Message>,
    },
    Join {
        socket: SocketRef,
        room: String,
    },
    Leave {
        socket: SocketRef,
        room: String,
    },
    /// Index into the batch's stored messages.
    Broadcast(usize),
    Presence(Presence),
    /// A successful join's ack; its member list is read when it is sent, after the whole batch
    /// was applied, so that the batch's `presence` delta applies cleanly on top of it.
    JoinAck {
        reply: Reply,
        ack: JoinAck,
    },
    Typing {
        socket: SocketRef,
        room: String,
        body: serde_json::Value,
    },
    Ack {
        reply: Reply,
        result: Result<serde_json::Value, WireError>,
        /// Set when the outcome depends on the message at this index being stored.
        stored: Option<usize>,
    },
}

/// What one batch of requests produced, in order.
#[derive(Default)]
struct Batch {
    /// New messages to store in one transaction before any effect runs.
    stored: Vec<Message>,
    effects: Vec<Effect>,
    /// Each touched room's last seq before the batch, to forget the batch if storing fails.
    before: HashMap<String, u64>,
    /// Member names of each room whose membership changed, as they were before the batch.
    roster: HashMap<String, Vec<String>>,
}

/// A stored batch's effects still to perform.
struct Pending {
    effects: VecDeque<Effect>,
    stored: Vec<Message>,
    ok: bool,
}

enum Step {
    Done,
    /// Let other tasks (the sockets' writers) run, then continue.
    Yield,
}

/// Runs a broadcast to completion now. socketioxide's local adapter only queues packets on the
/// sockets, so its broadcast future is ready at the first poll; it is async for remote adapters,
/// which lanchat does not use.
fn at_once<F: std::future::Future<Output = Result<(), socketioxide::BroadcastError>>>(
    fut: F,
) -> Result<(), socketioxide::BroadcastError> {
    match pin!(fut).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(r) => r,
        Poll::Pending => {
            tracing::error!("a broadcast did not complete at once; dropped");
            Ok(())
        }
    }
}

/// Requests waiting for the hub, and whether someone is driving it.
struct Queue {
    items: VecDeque<Command>,
    driving: bool,
    /// When the last batch was taken, and how many requests it had.
    last_batch: Option<(Instant, usize)>,
}

/// A request arriving this soon after the previous batch (or while batches still gather more
/// than one request) is left to a driver task that first yields, so that the requests arriving
/// meanwhile share one batch — one SQLite commit — instead of a commit each. Spaced further
/// apart (a big room's fan-out), requests are applied at once.
const BATCH_WINDOW: Duration = Duration::from_micros(250);

/// Batches one driver applies before it yields: under sustained load from other threads the queue
/// may never empty, and a receive loop should not be kept from its own socket for long.
const TURNS_PER_DRIVE: usize = 8;

struct Shared {
    queue: Mutex<Queue>,
    /// Locked only by the current driver, so never contended.
    hub: Mutex<Hub>,
    max_queue: usize,
    max_batch: usize,
}

/// Where requests go: a cheap handle to the hub, shared by every socket and the host's controls.
#[derive(Clone)]
pub struct HubHandle {
    shared: Arc<Shared>,
}

impl HubHandle {
    /// `max_queue`: requests that may wait before `try_submit` refuses more.
    pub fn new(hub: Hub, max_queue: usize) -> HubHandle {
        let max_batch = hub.cfg.max_batch;
        HubHandle {
            shared: Arc::new(Shared {
                queue: Mutex::new(Queue {
                    items: VecDeque::new(),
                    driving: false,
                    last_batch: None,
                }),
                hub: Mutex::new(hub),
                max_queue,
                max_batch,
            }),
        }
    }

    /// Queues a request and, if nobody is driving the hub, applies the queue now. Gives the
    /// request back, refused, when `max_queue` requests are already waiting.
    #[must_use]
    pub fn try_submit(&self, cmd: Command) -> Option<Command> {
        self.push(cmd, true)
    }

    /// Like `try_submit`, but never refused: disconnects and the host's own requests.
    pub fn submit(&self, cmd: Command) {
        let _ = self.push(cmd, false);
    }

    fn push(&self, cmd: Command, bounded: bool) -> Option<Command> {
        let busy = {
            let mut q = lock(&self.shared.queue);
            if bounded && q.items.len() >= self.shared.max_queue {
                return Some(cmd);
            }
            q.items.push_back(cmd);
            if q.driving {
                return None;
            }
            q.driving = true;
            q.last_batch
                .is_some_and(|(t, n)| n > 1 || t.elapsed() < BATCH_WINDOW)
        };
        let mut pending = None;
        if busy || matches!(self.drive(&mut pending), Step::Yield) {
            // Drive from a task of its own: after a yield, so that the requests arriving
            // meanwhile share a batch, or between history chunks, so the joiner's writer runs.
            let me = self.clone();
            tokio::spawn(async move {
                loop {
                    tokio::task::yield_now().await;
                    if let Step::Done = me.drive(&mut pending) {
                        break;
                    }
                }
            });
        }
        None
    }

    /// Applies queued requests until the queue is empty (then stops driving) or an effect
    /// needs to yield. Only the driver calls this.
    fn drive(&self, pending: &mut Option<Pending>) -> Step {
        // A bug that panics here loses the batch in hand, not the hub: whoever submits next
        // drives again.
        let _unwinding = ReleaseOnPanic(&self.shared);
        let mut turns = 0;
        loop {
            if let Some(p) = pending {
                let hub = lock(&self.shared.hub);
                if let Step::Yield = hub.perform_some(p) {
                    return Step::Yield;
                }
                *pending = None;
            }
            if turns == TURNS_PER_DRIVE {
                // Busy for a while: let the socket (or task) that drives get on with its own
                // work, and finish from a task of its own.
                return Step::Yield;
            }
            let batch: Vec<Command> = {
                let mut q = lock(&self.shared.queue);
                if q.items.is_empty() {
                    q.driving = false;
                    return Step::Done;
                }
                let n = q.items.len().min(self.shared.max_batch);
                q.last_batch = Some((Instant::now(), n));
                q.items.drain(..n).collect()
            };
            *pending = Some(lock(&self.shared.hub).process(batch));
            turns += 1;
        }
    }
}

struct ReleaseOnPanic<'a>(&'a Shared);

impl Drop for ReleaseOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(&self.0.queue).driving = false;
        }
    }
}

/// A socket's rooms and the nickname it holds in each.
#[derive(Default)]
struct SocketRooms {
    rooms: HashMap<String, String>,
}

pub struct Hub {
    cfg: HubConfig,
    io: SocketIo,
    store: Store,
    rooms: HashMap<String, Room>,
    sockets: HashMap<Sid, SocketRooms>,
}

impl Hub {
    pub fn new(cfg: HubConfig, io: SocketIo, store: Store) -> Hub {
        Hub {
            cfg,
            io,
            store,
            rooms: HashMap::new(),
            sockets: HashMap::new(),
        }
    }

    /// Applies a batch and stores its messages; what remains to do is in the returned effects.
    fn process(&mut self, batch: Vec<Command>) -> Pending {
        let mut b = Batch::default();
        for cmd in batch {
            self.apply(cmd, &mut b);
        }
        let Batch {
            stored,
            mut effects,
            before,
            roster,
        } = b;
        effects.extend(self.presence_effects(roster));
        let mut ok = true;
        if !stored.is_empty() {
            // Inline, like the hub's other SQLite calls: a batch insert into the WAL takes tens
            // of microseconds (checkpoints run on their own thread).
            if let Err(e) = self.store.append(&stored) {
                tracing::error!("storing {} messages failed: {e}", stored.len());
                ok = false;
            }
            if !ok {
                for (room, seq) in &before {
                    if let Some(r) = self.rooms.get_mut(room) {
                        r.forget_after(*seq);
                    }
                }
            }
        }
        // Rooms nobody is in leave memory, so cycling through room names cannot grow it. Only
        // now, with the batch stored: reloading a room while its messages were still pending
        // would hand out their seqs again.
        for room in before.keys() {
            if self.rooms.get_mut(room).is_some_and(Room::is_idle) {
                self.rooms.remove(room);
            }
        }
        Pending {
            effects: effects.into(),
            stored,
            ok,
        }
    }

    /// Performs effects in order until done, or until a history replay needs the socket's
    /// writer to run before its next chunk (then the rest stays in `p`).
    fn perform_some(&self, p: &mut Pending) -> Step {
        while let Some(effect) = p.effects.pop_front() {
            if let Some(rest) = self.perform(effect, &p.stored, p.ok) {
                p.effects.push_front(rest);
                return Step::Yield;
            }
        }
        Step::Done
    }

    /// Performs one effect. A history longer than a chunk sends one chunk and gives back the
    /// rest, to be sent once the socket's writer has run.
    fn perform(&self, effect: Effect, stored: &[Message], ok: bool) -> Option<Effect> {
        match effect {
            Effect::Emit {
                socket,
                event,
                body,
            } => {
                if let Err(e) = socket.emit(event, &body) {
                    tracing::debug!(sid = %socket.id, "emit {event} failed: {e}");
                }
            }
            Effect::History {
                socket,
                mut messages,
            } => {
                let rest = messages.split_off(messages.len().min(HISTORY_CHUNK));
                for m in &messages {
                    if let Err(e) = socket.emit(events::MESSAGE, m) {
                        tracing::debug!(sid = %socket.id, "history emit failed: {e}");
                        return None;
                    }
                }
                if !rest.is_empty() && socket.connected() {
                    return Some(Effect::History {
                        socket,
                        messages: rest,
                    });
                }
            }
            Effect::Join { socket, room } => socket.join(room),
            Effect::Leave { socket, room } => socket.leave(room),
            Effect::Broadcast(i) => {
                if !ok {
                    return None;
                }
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
            Effect::JoinAck { reply, mut ack } => {
                ack.members = self
                    .rooms
                    .get(&ack.room)
                    .map(Room::member_names)
                    .unwrap_or_default();
                respond(reply, Ok(ok_ack(&ack)));
            }
            Effect::Typing { socket, room, body } => {
                if let Err(e) = at_once(socket.to(room).emit(events::TYPING, &body)) {
                    tracing::debug!("typing broadcast incomplete: {e}");
                }
            }
            Effect::Ack {
                reply,
                result,
                stored: depends,
            } => {
                let result = match (depends, ok) {
                    (Some(_), false) => Err(WireError::from(ErrorCode::StorageFailed)),
                    _ => result,
                };
                respond(reply, result);
            }
        }
        None
    }

    /// Loads a room into memory on first use.
    fn room(&mut self, name: &str) -> Result<&mut Room, WireError> {
        if !self.rooms.contains_key(name) {
            let snap = self
                .store
                .load_room(name, self.cfg.cache_len, self.cfg.dedupe_len)
                .map_err(|e| {
                    tracing::error!("loading room {name}: {e}");
                    WireError::from(ErrorCode::StorageFailed)
                })?;
            let room = Room::from_snapshot(snap, self.cfg.cache_len, self.cfg.dedupe_len);
            self.rooms.insert(name.to_owned(), room);
        }
        Ok(self.rooms.get_mut(name).expect("inserted above"))
    }

    /// Creates a message with the room's next seq and queues it for storing and broadcast.
    fn post(
        &mut self,
        room: &str,
        kind: Kind,
        nick: &str,
        text: String,
        client_id: Option<String>,
        b: &mut Batch,
    ) -> Result<usize, WireError> {
        let r = self.room(room)?;
        b.before.entry(room.to_owned()).or_insert(r.last_seq);
        let msg = Message {
            id: uuid::Uuid::new_v4().to_string(),
            room: room.to_owned(),
            seq: r.next_seq(),
            ts: crate::clock::now_ms(),
            kind,
            nick_name: nick.to_owned(),
            message: text,
            client_id,
            history: false,
        };
        r.push(&msg);
        b.stored.push(msg);
        b.effects.push(Effect::Broadcast(b.stored.len() - 1));
        Ok(b.stored.len() - 1)
    }

    /// One `presence` delta per room whose members changed in the batch, sent after everything
    /// else in it. Whole lists after every join would cost O(n²) when a class arrives at once.
    fn presence_effects(&self, roster: HashMap<String, Vec<String>>) -> Vec<Effect> {
        let mut out = Vec::new();
        for (room, before) in roster {
            let after = self
                .rooms
                .get(&room)
                .map(Room::member_names)
                .unwrap_or_default();
            let (joined, left) = roster_delta(&before, &after);
            if after.is_empty() || (joined.is_empty() && left.is_empty()) {
                continue;
            }
            out.push(Effect::Presence(Presence { room, joined, left }));
        }
        out
    }

    fn apply(&mut self, cmd: Command, b: &mut Batch) {
        match cmd {
            Command::Join {
                socket,
                session,
                req,
                reply,
            } => {
                if let Err(e) = self.join(&socket, session, &req, b) {
                    b.effects.push(Effect::Ack {
                        reply,
                        result: Err(e),
                        stored: None,
                    });
                    return;
                }
                let ack = JoinAck {
                    room: req.room.clone(),
                    nick_name: req.nick.clone(),
                    last_seq: self.rooms[&req.room].last_seq,
                    members: Vec::new(),
                };
                b.effects.push(Effect::JoinAck { reply, ack });
            }
            Command::Send { socket, req, reply } => {
                let result = self.send(&socket, req, b);
                let depends = result.as_ref().ok().and_then(|(_, i)| *i);
                b.effects.push(Effect::Ack {
                    reply,
                    result: result.map(|(v, _)| v),
                    stored: depends,
                });
            }
            Command::Leave {
                socket,
                room,
                reply,
            } => {
                let result = match self
                    .sockets
                    .get(&socket.id)
                    .and_then(|s| s.rooms.get(&room))
                {
                    None => Err(WireError::from(ErrorCode::NotInRoom)),
                    Some(_) => {
                        self.remove_member(socket.id, &room, Kind::Leave, None, b);
                        b.effects.push(Effect::Leave {
                            socket: socket.clone(),
                            room: room.clone(),
                        });
                        Ok(serde_json::json!({ "ok": true, "room": room }))
                    }
                };
                b.effects.push(Effect::Ack {
                    reply,
                    result,
                    stored: None,
                });
            }
            Command::Typing { socket, req, reply } => {
                match self
                    .sockets
                    .get(&socket.id)
                    .and_then(|s| s.rooms.get(&req.room))
                {
                    None => b.effects.push(Effect::Ack {
                        reply,
                        result: Err(ErrorCode::NotInRoom.into()),
                        stored: None,
                    }),
                    Some(nick) => {
                        let body = serde_json::to_value(crate::protocol::Typing {
                            room: req.room.clone(),
                            nick_name: nick.clone(),
                            typing: req.typing,
                        })
                        .unwrap_or_default();
                        b.effects.push(Effect::Typing {
                            socket,
                            room: req.room,
                            body,
                        });
                        b.effects.push(Effect::Ack {
                            reply,
                            result: Ok(serde_json::json!({ "ok": true })),
                            stored: None,
                        });
                    }
                }
            }
            Command::Disconnected { sid } => {
                if let Some(s) = self.sockets.remove(&sid) {
                    for room in s.rooms.keys() {
                        self.remove_member(sid, room, Kind::Leave, None, b);
                    }
                }
            }
            Command::Kick {
                room,
                nick,
                by,
                done,
            } => {
                let sid = self
                    .rooms
                    .get(&room)
                    .and_then(|r| r.members.get(&nick))
                    .map(|m| m.socket.clone());
                let result = match sid {
                    None => Err(WireError::new(
                        ErrorCode::NotInRoom,
                        format!("{nick} is not in {room}"),
                    )),
                    Some(socket) => {
                        let until = Instant::now() + self.cfg.kick_ban;
                        let session = self.rooms[&room].members[&nick].session.clone();
                        if let Some(r) = self.rooms.get_mut(&room) {
                            r.banned.insert(Ban::Nick(nick.clone()), until);
                            r.banned.insert(Ban::Connection(socket.id), until);
                            if let Some(session) = session {
                                r.banned.insert(Ban::Session(session), until);
                            }
                        }
                        let notice = format!("{nick} was removed by {by}");
                        self.remove_member(socket.id, &room, Kind::Kick, Some(notice), b);
                        b.effects.push(Effect::Emit {
                            socket: socket.clone(),
                            event: events::KICKED,
                            body: serde_json::to_value(Kicked {
                                room: room.clone(),
                                by,
                                reason: "removed by the host".into(),
                            })
                            .unwrap_or_default(),
                        });
                        b.effects.push(Effect::Leave { socket, room });
                        Ok(())
                    }
                };
                let _ = done.send(result);
            }
            Command::Info { done } => {
                let mut rooms: Vec<RoomInfo> = self
                    .rooms
                    .iter()
                    .filter(|(_, r)| !r.members.is_empty())
                    .map(|(name, r)| RoomInfo {
                        name: name.clone(),
                        members: r.members.len(),
                    })
                    .collect();
                rooms.sort_by(|a, b| a.name.cmp(&b.name));
                let _ = done.send(rooms);
            }
        }
    }

    fn join(
        &mut self,
        socket: &SocketRef,
        session: Option<String>,
        req: &JoinRequest,
        b: &mut Batch,
    ) -> Result<(), WireError> {
        let sid = socket.id;
        let mine = self.sockets.get(&sid);
        let current = mine.and_then(|s| s.rooms.get(&req.room)).cloned();
        if let Some(held) = &current
            && held != &req.nick
        {
            return Err(WireError::new(
                ErrorCode::NickTaken,
                format!("you are already in {} as {held}", req.room),
            ));
        }
        if current.is_none() && mine.is_some_and(|s| s.rooms.len() >= self.cfg.max_rooms_per_socket)
        {
            return Err(WireError::new(
                ErrorCode::TooManyRooms,
                format!(
                    "a connection can be in at most {} rooms",
                    self.cfg.max_rooms_per_socket
                ),
            ));
        }
        let history_on_join = self.cfg.history_on_join;
        let catchup_limit = self.cfg.catchup_limit;
        let store = self.store.clone();
        let room = self.room(&req.room)?;
        b.roster
            .entry(req.room.clone())
            .or_insert_with(|| room.member_names());
        let mut who = vec![Ban::Nick(req.nick.clone()), Ban::Connection(sid)];
        who.extend(session.clone().map(Ban::Session));
        if room.is_banned(&who) {
            return Err(WireError::new(
                ErrorCode::Kicked,
                "the host removed you from this room; try again later",
            ));
        }
        // Who holds the nickname now: nobody, this socket, or someone else.
        let mut takeover = false;
        if current.is_none()
            && let Some(holder) = room.members.get(&req.nick)
        {
            let same_client = session.is_some() && holder.session == session;
            if holder.socket.connected() && !same_client {
                return Err(WireError::new(
                    ErrorCode::NickTaken,
                    format!("{} is already in {}", req.nick, req.room),
                ));
            }
            takeover = true;
        }
        let history = match req.since {
            None => room.last_n(history_on_join),
            Some(since) => match room.cached_since(since) {
                Some(h) => h,
                None => store
                    .since(&req.room, since, catchup_limit)
                    .map_err(|e| {
                        tracing::error!("history for {}: {e}", req.room);
                        WireError::from(ErrorCode::StorageFailed)
                    })?
                    .iter()
                    .map(super::rooms::as_history)
                    .collect(),
            },
        };
        if takeover && let Some(old) = room.members.remove(&req.nick) {
            // The same user's stale connection: it leaves quietly, the new one takes its place.
            if let Some(s) = self.sockets.get_mut(&old.socket.id) {
                s.rooms.remove(&req.room);
            }
            b.effects.push(Effect::Leave {
                socket: old.socket,
                room: req.room.clone(),
            });
        }
        let room = self.rooms.get_mut(&req.room).expect("loaded above");
        room.members.insert(
            req.nick.clone(),
            Member {
                socket: socket.clone(),
                session,
            },
        );
        self.sockets
            .entry(sid)
            .or_default()
            .rooms
            .insert(req.room.clone(), req.nick.clone());
        b.effects.push(Effect::History {
            socket: socket.clone(),
            messages: history,
        });
        b.effects.push(Effect::Join {
            socket: socket.clone(),
            room: req.room.clone(),
        });
        if current.is_none() && !takeover {
            let text = format!("{} joined {}", req.nick, req.room);
            self.post(&req.room, Kind::Join, &req.nick, text, None, b)?;
        }
        Ok(())
    }

    fn send(
        &mut self,
        socket: &SocketRef,
        req: SendRequest,
        b: &mut Batch,
    ) -> Result<(serde_json::Value, Option<usize>), WireError> {
        let nick = self
            .sockets
            .get(&socket.id)
            .and_then(|s| s.rooms.get(&req.room))
            .cloned()
            .ok_or_else(|| {
                WireError::new(
                    ErrorCode::NotInRoom,
                    format!("join {} before sending to it", req.room),
                )
            })?;
        let room = self.room(&req.room)?;
        if let Some(cid) = &req.client_id
            && let Some(ack) = room.duplicate_of(cid)
        {
            return Ok((ok_ack(ack), None));
        }
        let i = self.post(&req.room, Kind::Chat, &nick, req.text, req.client_id, b)?;
        let m = &b.stored[i];
        let ack = crate::protocol::SendAck {
            id: m.id.clone(),
            seq: m.seq,
            ts: m.ts,
            duplicate: false,
        };
        Ok((ok_ack(&ack), Some(i)))
    }

    /// Takes `sid` out of `room` (if it is still the holder of its nickname there) and posts
    /// the notice.
    fn remove_member(
        &mut self,
        sid: Sid,
        room: &str,
        kind: Kind,
        notice: Option<String>,
        b: &mut Batch,
    ) {
        if let Some(s) = self.sockets.get_mut(&sid) {
            s.rooms.remove(room);
        }
        let Some(r) = self.rooms.get_mut(room) else {
            return;
        };
        let Some(nick) = r.nick_of(sid).map(str::to_owned) else {
            return;
        };
        b.roster
            .entry(room.to_owned())
            .or_insert_with(|| r.member_names());
        r.members.remove(&nick);
        let text = notice.unwrap_or_else(|| format!("{nick} left {room}"));
        if let Err(e) = self.post(room, kind, &nick, text, None, b) {
            tracing::warn!("could not post the leave notice in {room}: {}", e.message);
        }
    }
}

/// Who joined and who left, between two sorted member lists.
fn roster_delta(before: &[String], after: &[String]) -> (Vec<String>, Vec<String>) {
    let joined = after
        .iter()
        .filter(|n| before.binary_search(n).is_err())
        .cloned()
        .collect();
    let left = before
        .iter()
        .filter(|n| after.binary_search(n).is_err())
        .cloned()
        .collect();
    (joined, left)
}

/// Sends a request's outcome: as its ack, or as `requestError` if it failed without one.
pub fn respond(reply: Reply, result: Result<serde_json::Value, WireError>) {
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
