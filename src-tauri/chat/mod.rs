//! The chat's rules, with no sockets, tasks or database inside: the Rust twin of the UI's
//! `chat/store.ts`. The server feeds it [`Input`]s in order and performs the [`Effect`]s it
//! returns; tests feed it tables.
//!
//! One file per rule: [`join`] (nicknames, takeover, bans, history), [`send`] (seqs, clientId
//! dedupe), [`leave`] (leaving and disconnecting), [`typing`], [`kick`], [`presence`] (one
//! member-list delta per room per batch), [`file`] (upload tickets for members, posting a
//! finished file), [`edit`], [`delete`] (the author's, or the host's), [`react`], with
//! [`target`] (finding the message they change and posting the event row), [`fold`] (how an
//! event row changes its message) and [`mention`] (`@nick`), [`private`] (private
//! conversations), [`read`] (who may read a room's past). [`room`] is one room's state.
//!
//! A batch is applied in three steps, so the caller can store between them:
//! [`Chat::apply`] each input → [`Chat::finish`] → store `batch.stored` → [`Chat::settle`].

mod clear;
mod delete;
mod edit;
mod effect;
mod file;
pub mod fold;
mod join;
mod kick;
mod leave;
pub mod mention;
mod presence;
mod private;
use private::shown_name;
mod react;
mod read;
mod room;
mod send;
mod target;
mod typing;

#[cfg(test)]
mod tests;

pub use effect::{Done, Effect, ReqId};
pub use file::{FilePost, UploadGrant};
pub use read::Read;
pub use room::{Ban, Member, Room, RoomSnapshot, as_history};

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::protocol::{Kind, Message, Request, RoomOverview, WireError, is_private};

/// History a join needs from the store: messages of `room` after seq `after`, oldest first, at
/// most `limit` of them and (about) `max_bytes` — the first one always.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    pub room: String,
    pub after: u64,
    pub limit: usize,
    pub max_bytes: usize,
}

/// About how many bytes a message costs to send: its text and names plus the JSON envelope
/// (id, seq, ts, field names).
pub fn wire_size(m: &Message) -> usize {
    let file = m.file.as_ref().map_or(0, |f| {
        // The name appears percent-encoded in the url; the sig and hash are 64 hex each.
        f.name.len() * 4 + f.mime.len() + f.url.len() + f.thumb_url.as_ref().map_or(0, String::len)
    });
    // Conversations: ids, a quote, mentions, and per reactor its id, nickname and envelope.
    let extra = m.user_id.as_ref().map_or(0, |u| u.len() + 12)
        + m.reply
            .as_ref()
            .map_or(0, |q| q.text.len() + q.nick_name.len() + 60)
        + m.mentions.iter().map(|n| n.len() + 3).sum::<usize>()
        + m.reactions
            .iter()
            .map(|r| {
                r.emoji.len() + 20 + r.by.iter().map(|x| x.nick_name.len() + 48).sum::<usize>()
            })
            .sum::<usize>();
    m.message.len() + m.nick_name.len() + m.room.len() + 120 + file + extra
}

/// A connection, as the core knows it: a number the server hands out at connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

impl ConnId {
    /// In a cluster, a connection id is its node's number above the node's own count.
    const NODE_SHIFT: u32 = 40;

    /// Connection `n` of cluster node `node`.
    pub fn on_node(node: u64, n: u64) -> ConnId {
        ConnId(node << Self::NODE_SHIFT | (n & ((1 << Self::NODE_SHIFT) - 1)))
    }

    /// The cluster node this connection came through (0 on a single host).
    pub fn node(self) -> u64 {
        self.0 >> Self::NODE_SHIFT
    }
}

/// Tunables of the rules (a slice of the server's `Config`).
#[derive(Debug, Clone)]
pub struct ChatConfig {
    /// Messages replayed on a join without `since`.
    pub history_on_join: usize,
    /// Most messages replayed on a join with `since`.
    pub catchup_limit: usize,
    /// Newest messages kept in memory per room (joins and short catch-ups need no database).
    pub cache_len: usize,
    /// clientIds remembered per room for dedupe.
    pub dedupe_len: usize,
    /// Rooms one connection may be in at once.
    pub max_rooms_per_conn: usize,
    /// How long a kicked member may not rejoin.
    pub kick_ban: Duration,
    /// Most history replayed by one join, in bytes (about: text, names and envelope). A catch-up
    /// with more after `since` stops there and says `more` in its ack.
    pub max_replay_bytes: usize,
    /// History one connection may be replayed: `(bytes per second, burst)`. Past it, joins are
    /// refused as `rate_limited` until it refills — a loop of catch-ups cannot occupy the hub.
    pub replay_rate: (f64, f64),
}

/// Everything the rules ask of the world, passed in so a table test can choose it.
pub struct Ctx<'a> {
    pub now: Instant,
    /// Wall clock for message timestamps (ms since the epoch).
    pub now_ms: i64,
    /// Whether a connection's transport is still up. A member whose connection died but whose
    /// disconnect has not been applied yet may have its nickname taken over.
    pub live: &'a dyn Fn(ConnId) -> bool,
}

/// What arrives at the core, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A connection passed the handshake. `session` is its `auth.sessionId`, `user` the public
    /// user id derived from its `auth.userKey` (or made for this connection alone); `plain`: it
    /// came over plain HTTP, not TLS.
    Connect {
        conn: ConnId,
        session: Option<String>,
        user: String,
        plain: bool,
    },
    /// A connection is gone: it leaves every room it was in.
    Disconnect { conn: ConnId },
    /// A client's request. A `since` join whose history is older than the room's cache carries
    /// it in `backlog` (read from the store by the caller; see [`Chat::backlog_needed`]).
    Request {
        conn: ConnId,
        id: ReqId,
        req: Request,
        backlog: Option<Vec<Message>>,
    },
    /// The files service posts a stored file (the reply goes to `id`).
    PostFile { id: ReqId, post: FilePost },
    /// The host removes `nick` from `room`.
    Kick {
        id: ReqId,
        room: String,
        nick: String,
        by: String,
    },
    /// The host deletes message `seq` of `room` (anyone's).
    HostDelete {
        id: ReqId,
        room: String,
        seq: u64,
        by: String,
    },
    /// The host clears `room`'s history.
    HostClear { id: ReqId, room: String, by: String },
}

/// A message about to be posted in a room.
#[derive(Default)]
struct Post {
    kind: Kind,
    nick: String,
    text: String,
    client_id: Option<String>,
    file: Option<crate::protocol::FileMeta>,
    /// The author's public user id (none on notices).
    user: Option<String>,
    /// Event rows: the message they change.
    target: Option<u64>,
    reply: Option<crate::protocol::Quote>,
    mentions: Vec<String>,
}

impl Post {
    /// A notice about the room (join, leave, kick) under `nick`.
    fn notice(kind: Kind, nick: &str, text: String) -> Post {
        Post {
            kind,
            nick: nick.to_owned(),
            text,
            ..Post::default()
        }
    }
}

/// What a connection holds: its session, per room its nickname there, and its replay credit.
#[derive(Debug, Default)]
struct Peer {
    session: Option<String>,
    /// Its public user id: whose messages it may edit and delete.
    user: String,
    /// Connected over plain HTTP.
    plain: bool,
    rooms: HashMap<String, String>,
    /// Bytes of history it may still be replayed, and when that was last topped up (`None`:
    /// never used, a full burst).
    replay_credit: f64,
    credit_at: Option<Instant>,
}

/// What one batch of inputs produced.
#[derive(Debug, Default)]
pub struct Batch {
    /// New messages to store, in one transaction, before any effect is performed.
    pub stored: Vec<Message>,
    pub effects: Vec<Effect>,
    /// Each touched room's last seq before the batch, to forget the batch if storing fails.
    before: HashMap<String, u64>,
    /// Member names of each room whose membership changed, as they were before the batch.
    roster: HashMap<String, Vec<String>>,
    /// Replays already queued in this batch, by connection, room and `since`, and whether they
    /// were cut: a repeat would send the same messages again, so it sends none (and says the
    /// same `more`).
    replayed: HashMap<(ConnId, String, Option<u64>), bool>,
    /// Messages changed by this batch's event rows, folded, to write back to their rows in the
    /// same transaction (the last copy of a message wins).
    pub updated: Vec<Message>,
    /// Those messages as they were before the batch, to put back if storing fails.
    originals: HashMap<(String, u64), Message>,
    /// Rooms the host cleared in this batch, with their `clear` notice's seq: what is older
    /// leaves the cache once the batch is stored.
    cleared: Vec<(String, u64)>,
}

pub struct Chat {
    cfg: ChatConfig,
    rooms: HashMap<String, Room>,
    peers: HashMap<ConnId, Peer>,
    /// Rooms holding messages read for this batch (`Room::older`), cleared when it settles.
    with_older: Vec<String>,
}

impl Chat {
    pub fn new(cfg: ChatConfig) -> Chat {
        Chat {
            cfg,
            rooms: HashMap::new(),
            peers: HashMap::new(),
            with_older: Vec::new(),
        }
    }

    /// Every connection that came through cluster node `node`, in order (a node is gone: they
    /// all disconnect, alike on every node).
    pub fn conns_of_node(&self, node: u64) -> Vec<ConnId> {
        let mut conns: Vec<ConnId> = self
            .peers
            .keys()
            .copied()
            .filter(|c| c.node() == node)
            .collect();
        conns.sort();
        conns
    }

    /// The room an input needs in memory that is not loaded yet (load it with
    /// [`Chat::load_room`] before applying the input).
    pub fn room_to_load<'a>(&self, input: &'a Input) -> Option<&'a str> {
        let room = match input {
            Input::Request {
                req: Request::Join(j),
                ..
            } => &j.room,
            Input::PostFile { post, .. } => &post.room,
            Input::HostDelete { room, .. } | Input::HostClear { room, .. } => room,
            _ => return None,
        };
        (!self.rooms.contains_key(room)).then_some(room.as_str())
    }

    /// Puts a room read from the store into memory.
    pub fn load_room(&mut self, name: &str, snap: RoomSnapshot) {
        let room = Room::from_snapshot(snap, self.cfg.cache_len, self.cfg.dedupe_len);
        self.rooms.insert(name.to_owned(), room);
    }

    /// For a `since` join: what to read from the store into `backlog` when the room's cache no
    /// longer holds everything after `since`.
    pub fn backlog_needed(&self, input: &Input) -> Option<Backlog> {
        let Input::Request {
            req: Request::Join(j),
            backlog: None,
            ..
        } = input
        else {
            return None;
        };
        let since = j.since?;
        let room = self.rooms.get(&j.room)?;
        room.cached_since(since).is_none().then(|| Backlog {
            room: j.room.clone(),
            after: since,
            limit: self.cfg.catchup_limit,
            max_bytes: self.cfg.max_replay_bytes,
        })
    }

    /// The message an input targets (an edit, delete, reaction or reply) when it is older than
    /// the room's cache: read it from the store and hand it over with [`Chat::load_target`]
    /// before applying the input.
    pub fn target_needed(&self, input: &Input) -> Option<(String, u64)> {
        let (room, seq) = match input {
            Input::Request { req, .. } => match req {
                Request::Edit(e) => (&e.room, e.seq),
                Request::Delete(d) => (&d.room, d.seq),
                Request::React(r) => (&r.room, r.seq),
                Request::Send(s) => (&s.room, s.reply_to?),
                _ => return None,
            },
            Input::HostDelete { room, seq, .. } => (room, *seq),
            _ => return None,
        };
        let r = self.rooms.get(room)?;
        r.needs_read(seq).then(|| (room.clone(), seq))
    }

    /// Hands over a message read for [`Chat::target_needed`] (`None`: the store has no such
    /// row). Kept until the batch settles.
    pub fn load_target(&mut self, room: &str, seq: u64, msg: Option<Message>) {
        if let Some(r) = self.rooms.get_mut(room) {
            r.older.insert(seq, msg.filter(|m| !m.kind.is_event()));
            self.with_older.push(room.to_owned());
        }
    }

    /// Applies one input, adding what it stores and does to `b`.
    pub fn apply(&mut self, input: Input, ctx: &Ctx, b: &mut Batch) {
        match input {
            Input::Connect {
                conn,
                session,
                user,
                plain,
            } => {
                // A connect seen twice (a cluster's log may hold one twice after a failed
                // append was retried) changes nothing.
                self.peers.entry(conn).or_insert_with(|| Peer {
                    session,
                    user,
                    plain,
                    ..Peer::default()
                });
            }
            Input::Disconnect { conn } => self.disconnect(conn, ctx, b),
            Input::Request {
                conn,
                id,
                req,
                backlog,
            } => {
                let (result, stored) = match req {
                    Request::Join(j) => (self.join(conn, j, backlog, ctx, b), None),
                    Request::Send(s) => match self.send(conn, s, ctx, b) {
                        Ok((ack, stored)) => (Ok(Done::Sent(ack)), stored),
                        Err(e) => (Err(e), None),
                    },
                    Request::Leave { room } => (self.leave(conn, room, ctx, b), None),
                    Request::Typing(t) => (self.typing(conn, t, b), None),
                    Request::FileUpload(f) => (self.file_upload(conn, f), None),
                    Request::Edit(e) => {
                        let r = self.edit(conn, e, ctx, b);
                        Self::updated(r, b)
                    }
                    Request::Delete(d) => {
                        let r = self.delete(conn, d, ctx, b);
                        Self::updated(r, b)
                    }
                    Request::React(r) => {
                        let r = self.react(conn, r, ctx, b);
                        Self::updated(r, b)
                    }
                    Request::OpenPrivate(o) => (self.open_private(conn, o), None),
                    Request::History(h) => (self.read(conn, Read::History(h)), None),
                    Request::Search(q) => (self.read(conn, Read::Search(q)), None),
                    // Answered by the transport without queueing; harmless here.
                    Request::Ping => (Ok(Done::Typing), None),
                };
                b.effects.push(Effect::Reply { id, result, stored });
            }
            Input::PostFile { id, post } => {
                let (result, stored) = match self.post_file(post, ctx, b) {
                    Ok((ack, stored)) => (Ok(Done::Sent(ack)), stored),
                    Err(e) => (Err(e), None),
                };
                b.effects.push(Effect::Reply { id, result, stored });
            }
            Input::HostDelete { id, room, seq, by } => {
                let r = self.host_delete(&room, seq, &by, ctx, b);
                let (result, stored) = Self::updated(r, b);
                b.effects.push(Effect::Reply { id, result, stored });
            }
            Input::HostClear { id, room, by } => {
                let (result, stored) = match self.host_clear(&room, &by, ctx, b) {
                    Ok(i) => (Ok(Done::Kicked), Some(i)),
                    Err(e) => (Err(e), None),
                };
                b.effects.push(Effect::Reply { id, result, stored });
            }
            Input::Kick { id, room, nick, by } => {
                let result = self.kick(&room, &nick, &by, ctx, b).map(|()| Done::Kicked);
                b.effects.push(Effect::Reply {
                    id,
                    result,
                    stored: None,
                });
            }
        }
    }

    /// An edit, delete or reaction's outcome: the ack with its event row's seq (none when
    /// nothing changed), and that row's index in the batch.
    fn updated(
        r: Result<Option<usize>, WireError>,
        b: &Batch,
    ) -> (Result<Done, WireError>, Option<usize>) {
        match r {
            Ok(i) => {
                let seq = i.map(|i| b.stored[i].seq);
                (Ok(Done::Updated(crate::protocol::UpdateAck { seq })), i)
            }
            Err(e) => (Err(e), None),
        }
    }

    /// Ends a batch: one presence delta per room whose members changed, and join acks get the
    /// member list as of the batch's end (so the delta that follows applies cleanly on top).
    pub fn finish(&self, b: &mut Batch) {
        let roster = std::mem::take(&mut b.roster);
        let deltas = self.presence(roster);
        for e in &mut b.effects {
            if let Effect::Reply {
                result: Ok(Done::Joined(ack)),
                ..
            } = e
                && let Some(r) = self.rooms.get(&ack.room)
            {
                ack.members = r.member_names();
                ack.unencrypted = r.unencrypted_names();
            }
        }
        b.effects.extend(deltas);
    }

    /// After the caller tried to store `b.stored`: if that failed, the batch's messages are
    /// forgotten, their broadcasts dropped and the sends that made them refused. Then rooms
    /// nobody is in leave memory — only now, with the batch stored: reloading a room while its
    /// messages were still pending would hand out their seqs again.
    pub fn settle(&mut self, b: &mut Batch, stored_ok: bool, now: Instant) {
        if !stored_ok && !b.stored.is_empty() {
            for (room, seq) in &b.before {
                if let Some(r) = self.rooms.get_mut(room) {
                    r.forget_after(*seq);
                }
            }
            b.effects.retain(|e| !matches!(e, Effect::Broadcast(_)));
            for ((room, seq), m) in b.originals.drain() {
                if let Some(slot) = self.rooms.get_mut(&room).and_then(|r| r.find_mut(seq)) {
                    *slot = m;
                }
            }
            for e in &mut b.effects {
                if let Effect::Reply {
                    result,
                    stored: Some(_),
                    ..
                } = e
                {
                    *result = Err(crate::protocol::ErrorCode::StorageFailed.into());
                }
            }
        }
        if stored_ok {
            for (room, seq) in b.cleared.drain(..) {
                if let Some(r) = self.rooms.get_mut(&room) {
                    r.clear_before(seq);
                }
            }
        }
        for room in self.with_older.drain(..) {
            if let Some(r) = self.rooms.get_mut(&room) {
                r.older.clear();
            }
        }
        for room in b.before.keys() {
            if self.rooms.get_mut(room).is_some_and(|r| r.is_idle(now)) {
                self.rooms.remove(room);
            }
        }
    }

    /// Rooms with people in them, by name, with who is in each (`/api/info` counts them; the
    /// host's moderation view lists them).
    pub fn rooms_overview(&self) -> Vec<RoomOverview> {
        let mut rooms: Vec<RoomOverview> = self
            .rooms
            .iter()
            // Private conversations are the pair's business: not listed, not even to the host.
            .filter(|(name, r)| !r.members.is_empty() && !is_private(name))
            .map(|(name, r)| RoomOverview {
                name: name.clone(),
                members: r.members.keys().cloned().collect(),
                unencrypted: r.unencrypted_names(),
                last_seq: r.last_seq,
            })
            .collect();
        rooms.sort_by(|a, b| a.name.cmp(&b.name));
        rooms
    }

    /// A loaded room (for tests and the host's views).
    pub fn room(&self, name: &str) -> Option<&Room> {
        self.rooms.get(name)
    }

    /// The nickname `conn` holds in `room`.
    fn nick_in(&self, conn: ConnId, room: &str) -> Option<&String> {
        self.peers.get(&conn).and_then(|p| p.rooms.get(room))
    }

    /// Who posts for `conn` in `room` (`not_in_room` if nobody: "join ROOM before `doing`"),
    /// and the ack of what this member already posted there with `client_id`, if anything.
    fn poster(
        &self,
        conn: ConnId,
        room: &str,
        client_id: Option<&str>,
        doing: &str,
    ) -> Result<(String, Option<crate::protocol::SendAck>), WireError> {
        let nick = self.nick_in(conn, room).cloned().ok_or_else(|| {
            WireError::new(
                crate::protocol::ErrorCode::NotInRoom,
                format!("join {room} before {doing}"),
            )
        })?;
        let r = self
            .rooms
            .get(room)
            .ok_or(crate::protocol::ErrorCode::NotInRoom)?;
        let duplicate = client_id
            .and_then(|cid| r.duplicate_of(&nick, cid))
            .cloned();
        Ok((nick, duplicate))
    }

    /// Creates a message with the room's next seq and queues it for storing and broadcast;
    /// returns its index in the batch.
    fn post(
        &mut self,
        room: &str,
        post: Post,
        ctx: &Ctx,
        b: &mut Batch,
    ) -> Result<usize, WireError> {
        let Post {
            kind,
            nick,
            text,
            client_id,
            file,
            user,
            target,
            reply,
            mentions,
        } = post;
        let r = self
            .rooms
            .get_mut(room)
            .ok_or(crate::protocol::ErrorCode::NotInRoom)?;
        b.before.entry(room.to_owned()).or_insert(r.last_seq);
        let msg = Message {
            id: uuid::Uuid::new_v4().to_string(),
            room: room.to_owned(),
            seq: r.next_seq(),
            ts: ctx.now_ms,
            kind,
            nick_name: nick,
            message: text,
            client_id,
            history: false,
            file,
            user_id: user,
            target,
            reply,
            mentions,
            ..Message::default()
        };
        r.push(&msg);
        if matches!(msg.kind, Kind::Chat | Kind::File)
            && let Some(author) = &msg.user_id
        {
            self.invite_other(room, &msg.nick_name, author, b);
        }
        b.stored.push(msg);
        b.effects.push(Effect::Broadcast(b.stored.len() - 1));
        Ok(b.stored.len() - 1)
    }

    /// [`Chat::post`], answered with the send ack of the stored message and its index.
    fn post_acked(
        &mut self,
        room: &str,
        post: Post,
        ctx: &Ctx,
        b: &mut Batch,
    ) -> Result<(crate::protocol::SendAck, Option<usize>), WireError> {
        let i = self.post(room, post, ctx, b)?;
        let m = &b.stored[i];
        let ack = crate::protocol::SendAck {
            id: m.id.clone(),
            seq: m.seq,
            ts: m.ts,
            duplicate: false,
        };
        Ok((ack, Some(i)))
    }

    /// Notes a room's members before the batch first changes them (for the presence delta).
    fn note_roster(&mut self, room: &str, b: &mut Batch) {
        if let Some(r) = self.rooms.get(room) {
            b.roster
                .entry(room.to_owned())
                .or_insert_with(|| r.member_names());
        }
    }
}
