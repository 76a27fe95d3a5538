//! One room's state: its seq counter, recent history, clientId dedupe window, members and bans.
//! Plain data owned by [`super::Chat`]; connections appear only as [`ConnId`]s.
//!
//! Recent history is two caches: the messages people see (chat, files, notices — folded: edited
//! text, deleted, reactions) and the event rows that changed them (edits, deletes, reactions).
//! A plain join replays the last N of the first, so a burst of reactions does not push the
//! conversation out; a `since` catch-up replays both, merged in seq order.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Instant;

use super::ConnId;
use crate::protocol::{Message, SendAck};

/// What the core needs of a room when it first touches it: read from the store by the server.
#[derive(Debug, Default, Clone)]
pub struct RoomSnapshot {
    /// Highest seq ever stored for the room (0 if none), so seq never goes back after a restart.
    pub last_seq: u64,
    /// The newest shown messages (not event rows), folded, oldest first (at most the
    /// requested count).
    pub recent: Vec<Message>,
    /// The newest event rows, oldest first (at most the requested count).
    pub events: Vec<Message>,
    /// `(sender, clientId, id, seq, ts)` of those of the room's newest `dedupe_len` messages
    /// that had a clientId, oldest first.
    pub client_ids: Vec<(String, String, String, u64, i64)>,
}

/// Whose message a clientId belongs to: (sender's nickname, clientId).
type DedupeKey = (String, String);

/// A live member of a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub conn: ConnId,
    /// The client's `auth.sessionId`, if it sent one: lets the same client take its nickname
    /// back from its own stale connection.
    pub session: Option<String>,
    /// Connected over plain HTTP (unencrypted): shown to the room (`unencrypted` in member lists).
    pub plain: bool,
}

/// What a kick bans from a room.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ban {
    Nick(String),
    Session(String),
    Conn(ConnId),
}

#[derive(Debug)]
pub struct Room {
    /// Last seq handed out (stored, or in the batch being stored).
    pub last_seq: u64,
    /// Newest shown messages (folded), oldest first, at most `cache_len`: joins and short
    /// catch-ups are served from here without touching the database.
    pub recent: VecDeque<Message>,
    /// Newest event rows, oldest first, at most `cache_len`.
    pub events: VecDeque<Message>,
    /// Every row with a seq above this is in `recent` or `events` (a catch-up from here or
    /// later needs no database).
    floor: u64,
    /// Older messages read from the store for this batch's edits, deletes, reactions and
    /// replies (`None`: no such row). Forgotten when the batch settles.
    pub(super) older: HashMap<u64, Option<Message>>,
    cache_len: usize,
    /// (sender, clientId) → ack of the message it produced, for the newest `dedupe_len` chat
    /// messages. Per sender, so someone who guesses another member's clientId cannot make the
    /// server swallow that member's message.
    client_ids: HashMap<DedupeKey, SendAck>,
    client_id_order: VecDeque<DedupeKey>,
    dedupe_len: usize,
    /// Nickname → member. BTreeMap so the member list is sorted for free.
    pub members: BTreeMap<String, Member>,
    /// Who the host kicked, until when they may not rejoin: the nickname, and the kicked
    /// client's session and connection, so another nickname does not get them back in.
    pub banned: HashMap<Ban, Instant>,
}

impl Room {
    pub fn from_snapshot(snap: RoomSnapshot, cache_len: usize, dedupe_len: usize) -> Room {
        // A cache loaded full may have had older rows of its kind left in the store.
        let floor_of = |rows: &[Message]| match rows.first() {
            Some(m) if rows.len() >= cache_len => m.seq.saturating_sub(1),
            _ => 0,
        };
        let floor = floor_of(&snap.recent).max(floor_of(&snap.events));
        let mut room = Room {
            last_seq: snap.last_seq,
            recent: snap.recent.into(),
            events: snap.events.into(),
            floor,
            older: HashMap::new(),
            cache_len,
            client_ids: HashMap::new(),
            client_id_order: VecDeque::new(),
            dedupe_len,
            members: BTreeMap::new(),
            banned: HashMap::new(),
        };
        for (nick, cid, id, seq, ts) in snap.client_ids {
            room.remember_client_id(
                (nick, cid),
                SendAck {
                    id,
                    seq,
                    ts,
                    duplicate: true,
                },
            );
        }
        room
    }

    pub fn next_seq(&mut self) -> u64 {
        self.last_seq += 1;
        self.last_seq
    }

    /// Adds a message that is about to be stored.
    pub fn push(&mut self, msg: &Message) {
        if let Some(cid) = &msg.client_id {
            self.remember_client_id(
                (msg.nick_name.clone(), cid.clone()),
                SendAck {
                    id: msg.id.clone(),
                    seq: msg.seq,
                    ts: msg.ts,
                    duplicate: true,
                },
            );
        }
        let cache = if msg.kind.is_event() {
            &mut self.events
        } else {
            &mut self.recent
        };
        cache.push_back(msg.clone());
        while cache.len() > self.cache_len {
            if let Some(old) = cache.pop_front() {
                self.floor = self.floor.max(old.seq);
            }
        }
    }

    /// The shown message `seq` of this room, if it is in memory (the cache or this batch's
    /// reads from the store). `None` also when it may be in the store: see
    /// [`Room::needs_read`].
    pub fn find(&self, seq: u64) -> Option<&Message> {
        match self.recent.binary_search_by_key(&seq, |m| m.seq) {
            Ok(i) => self.recent.get(i),
            Err(_) => self.older.get(&seq).and_then(Option::as_ref),
        }
    }

    pub fn find_mut(&mut self, seq: u64) -> Option<&mut Message> {
        match self.recent.binary_search_by_key(&seq, |m| m.seq) {
            Ok(i) => self.recent.get_mut(i),
            Err(_) => self.older.get_mut(&seq).and_then(Option::as_mut),
        }
    }

    /// Whether message `seq` has to be read from the store before a rule can look at it: it is
    /// older than the cache and was not read in this batch yet.
    pub fn needs_read(&self, seq: u64) -> bool {
        let oldest = self.recent.front().map_or(self.last_seq + 1, |m| m.seq);
        seq < oldest && seq <= self.last_seq && !self.older.contains_key(&seq)
    }

    /// Cached replies to `seq` get its current quote (after an edit or a delete).
    pub fn requote(&mut self, seq: u64, quote: &crate::protocol::Quote) {
        for m in self.recent.iter_mut() {
            if m.reply.as_ref().is_some_and(|q| q.seq == seq) {
                m.reply = Some(quote.clone());
            }
        }
    }

    /// A deleted message's edits lose their text (in the cache; the store does the same).
    pub fn scrub_edits(&mut self, seq: u64) {
        for e in self.events.iter_mut() {
            if e.kind == crate::protocol::Kind::Edit && e.target == Some(seq) {
                e.message.clear();
                e.mentions.clear();
            }
        }
    }

    /// Forgets messages with `seq > keep_up_to` after their batch failed to store. Their seqs
    /// stay used (never reused), so `last_seq` does not move back.
    pub fn forget_after(&mut self, keep_up_to: u64) {
        while self.recent.back().is_some_and(|m| m.seq > keep_up_to) {
            self.recent.pop_back();
        }
        while self.events.back().is_some_and(|m| m.seq > keep_up_to) {
            self.events.pop_back();
        }
        self.client_ids.retain(|_, ack| ack.seq <= keep_up_to);
        let ids = &self.client_ids;
        self.client_id_order.retain(|c| ids.contains_key(c));
    }

    /// The host cleared the history: cached rows before `seq` go (clientIds stay, so a late
    /// resend of a cleared message is still answered with its ack, not posted again).
    pub fn clear_before(&mut self, seq: u64) {
        self.recent.retain(|m| m.seq >= seq);
        self.events.retain(|m| m.seq >= seq);
    }

    fn remember_client_id(&mut self, cid: DedupeKey, ack: SendAck) {
        if self.client_ids.insert(cid.clone(), ack).is_none() {
            self.client_id_order.push_back(cid);
        }
        while self.client_id_order.len() > self.dedupe_len {
            if let Some(old) = self.client_id_order.pop_front() {
                self.client_ids.remove(&old);
            }
        }
    }

    /// The original ack of an earlier message `sender` sent with this clientId, if it is in
    /// the window.
    pub fn duplicate_of(&self, sender: &str, cid: &str) -> Option<&SendAck> {
        self.client_ids.get(&(sender.to_owned(), cid.to_owned()))
    }

    /// The newest `n` shown messages (folded; no event rows), oldest first, marked as history.
    pub fn last_n(&self, n: usize) -> Vec<Message> {
        let skip = self.recent.len().saturating_sub(n);
        self.recent.iter().skip(skip).map(as_history).collect()
    }

    /// Messages after `since` if the cache still holds all of them; `None` means ask the store.
    /// Every row after `since` — shown messages and event rows, in seq order — if the cache
    /// still holds all of them; `None` means ask the store.
    pub fn cached_since(&self, since: u64) -> Option<Vec<Message>> {
        if since < self.floor && since < self.last_seq {
            return None;
        }
        let mut out: Vec<Message> = self
            .recent
            .iter()
            .chain(self.events.iter())
            .filter(|m| m.seq > since)
            .map(as_history)
            .collect();
        out.sort_by_key(|m| m.seq);
        Some(out)
    }

    pub fn member_names(&self) -> Vec<String> {
        self.members.keys().cloned().collect()
    }

    /// Members on an unencrypted link, sorted.
    pub fn unencrypted_names(&self) -> Vec<String> {
        self.members
            .iter()
            .filter(|(_, m)| m.plain)
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The nickname `conn` holds in this room, if any.
    pub fn nick_of(&self, conn: ConnId) -> Option<&str> {
        self.members
            .iter()
            .find(|(_, m)| m.conn == conn)
            .map(|(n, _)| n.as_str())
    }

    /// Whether any of these is still banned at `now` (expired bans are forgotten here).
    pub fn is_banned(&mut self, who: &[Ban], now: Instant) -> bool {
        self.banned.retain(|_, until| *until > now);
        who.iter().any(|b| self.banned.contains_key(b))
    }

    /// Nobody is in it and nobody is banned from it: it can leave memory (it is reloaded from
    /// the store when used again).
    pub fn is_idle(&mut self, now: Instant) -> bool {
        self.banned.retain(|_, until| *until > now);
        self.members.is_empty() && self.banned.is_empty()
    }
}

/// A copy of `m` marked as replayed history.
pub fn as_history(m: &Message) -> Message {
    Message {
        history: true,
        ..m.clone()
    }
}
