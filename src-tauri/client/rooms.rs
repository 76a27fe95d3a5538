//! The rooms a client wants to be in and what it has seen of each: the last seq shown, whether
//! the current connection has (re)joined it, and its member list. Pure: the supervisor feeds it
//! what arrives and does what it answers, so the seq rules are tested here without a server.

use std::collections::BTreeMap;

use crate::protocol::{Members, Message, Presence};

/// What to do with an arriving room message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// New, and next in line: show it.
    Show,
    /// Already shown (a replay after a rejoin with `since`): drop it, so each message shows
    /// exactly once.
    Duplicate,
    /// A live message that skips seqs: some were lost on the way (the server drops messages
    /// for a connection that cannot keep up). Drop it and rejoin with `since`; the replay
    /// brings the missing ones and this one, in order.
    Gap,
    /// For a room we are not in (left or removed while it was on its way): drop it.
    NotOurs,
}

/// A room we want to be in.
struct Room {
    /// The highest seq shown; 0 before the first message. Sent as `since` on a rejoin.
    last_seq: u64,
    /// Confirmed by the server on the current connection.
    joined: bool,
    /// From the join ack, kept current by `presence` deltas.
    members: Members,
}

#[derive(Default)]
pub struct Rooms {
    rooms: BTreeMap<String, Room>,
}

impl Rooms {
    /// A join of `room` is going on the wire: returns the `since` to send (0: none). From now
    /// on the room is known, so its history (which arrives before the join's ack) is kept.
    pub fn joining(&mut self, room: &str) -> u64 {
        self.entry(room).last_seq
    }

    /// The server confirmed a join; returns the whole member list it sent, for the app (after
    /// a reconnect this refreshes it too).
    pub fn joined(
        &mut self,
        room: &str,
        members: Vec<String>,
        unencrypted: Vec<String>,
    ) -> Members {
        let r = self.entry(room);
        r.joined = true;
        r.members.members = members;
        r.members.unencrypted = unencrypted;
        r.members.clone()
    }

    /// A join's ack without `more`: everything up to `last_seq` was replayed or deliberately
    /// left out (a plain join replays the newest shown messages, not the edits and reactions
    /// folded into them), so the next live row after it is not a gap.
    pub fn caught_up_to(&mut self, room: &str, last_seq: u64) {
        if let Some(r) = self.rooms.get_mut(room) {
            r.last_seq = r.last_seq.max(last_seq);
        }
    }

    /// Joined without a confirmation (a legacy server never sends one).
    pub fn assume_joined(&mut self, room: &str) {
        self.entry(room).joined = true;
    }

    /// Stops tracking `room` (left, removed, or its join failed): it is not rejoined after a
    /// reconnect and its messages are dropped.
    pub fn forget(&mut self, room: &str) {
        self.rooms.remove(room);
    }

    /// Whether we are in `room` or (re)joining it.
    pub fn is_wanted(&self, room: &str) -> bool {
        self.rooms.contains_key(room)
    }

    pub fn is_joined(&self, room: &str) -> bool {
        self.rooms.get(room).is_some_and(|r| r.joined)
    }

    /// The connection is gone: every room must be joined again on the next one.
    pub fn connection_lost(&mut self) {
        for r in self.rooms.values_mut() {
            r.joined = false;
        }
    }

    /// Every room to be in, in name order.
    pub fn names(&self) -> impl DoubleEndedIterator<Item = &str> {
        self.rooms.keys().map(String::as_str)
    }

    /// Applies a `presence` delta; the new whole list, or `None` for a room we are not in.
    pub fn presence(&mut self, p: &Presence) -> Option<Members> {
        let r = self.rooms.get_mut(&p.room)?;
        r.members.apply(p);
        Some(r.members.clone())
    }

    /// Decides whether `m` is shown, and remembers its seq if it is.
    pub fn seen(&mut self, m: &Message) -> Seen {
        let Some(r) = self.rooms.get_mut(&m.room) else {
            return Seen::NotOurs;
        };
        if m.seq <= r.last_seq {
            return Seen::Duplicate;
        }
        // Only live messages on a confirmed connection can show a gap: replayed history is
        // authoritative (a failed store can leave seqs unused), and before the first message
        // there is nothing to compare with.
        if !m.history && r.joined && r.last_seq > 0 && m.seq > r.last_seq + 1 {
            return Seen::Gap;
        }
        r.last_seq = m.seq;
        Seen::Show
    }

    fn entry(&mut self, room: &str) -> &mut Room {
        self.rooms.entry(room.to_owned()).or_insert_with(|| Room {
            last_seq: 0,
            joined: false,
            members: Members {
                room: room.to_owned(),
                members: Vec::new(),
                unencrypted: Vec::new(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Kind;

    fn msg(room: &str, seq: u64, history: bool) -> Message {
        Message {
            id: format!("id{seq}"),
            room: room.into(),
            seq,
            ts: 0,
            kind: Kind::Chat,
            nick_name: "ann".into(),
            message: format!("m{seq}"),
            client_id: None,
            history,
            file: None,
            ..Default::default()
        }
    }

    fn joined(room: &str) -> Rooms {
        let mut rooms = Rooms::default();
        rooms.joining(room);
        rooms.joined(room, vec!["ann".into()], Vec::new());
        rooms
    }

    /// Messages in order are shown, and the last seq becomes the next rejoin's `since`.
    #[test]
    fn in_order_messages_show_and_move_since() {
        let mut rooms = joined("g");
        for seq in 1..=3 {
            assert_eq!(rooms.seen(&msg("g", seq, false)), Seen::Show);
        }
        assert_eq!(rooms.joining("g"), 3);
    }

    /// A replay after a rejoin repeats what was already shown: each message shows once.
    #[test]
    fn replayed_messages_are_dropped() {
        let mut rooms = joined("g");
        for seq in 1..=3 {
            rooms.seen(&msg("g", seq, false));
        }
        rooms.connection_lost();
        rooms.joined("g", Vec::new(), Vec::new());
        let shown: Vec<Seen> = (1..=4).map(|s| rooms.seen(&msg("g", s, true))).collect();
        assert_eq!(
            shown,
            [
                Seen::Duplicate,
                Seen::Duplicate,
                Seen::Duplicate,
                Seen::Show
            ]
        );
    }

    /// A live message that skips seqs asks for a catch-up and is not shown yet; the replay
    /// then fills the gap in order, the held-back message included.
    #[test]
    fn a_live_gap_asks_for_a_catch_up() {
        let mut rooms = joined("g");
        rooms.seen(&msg("g", 1, false));
        rooms.seen(&msg("g", 2, false));
        assert_eq!(rooms.seen(&msg("g", 5, false)), Seen::Gap);
        assert_eq!(rooms.joining("g"), 2, "the gap did not move `since`");
        let replay: Vec<Seen> = (3..=5).map(|s| rooms.seen(&msg("g", s, true))).collect();
        assert_eq!(replay, [Seen::Show; 3]);
    }

    /// History may skip seqs (a failed store leaves one unused), and so may the very first
    /// message or one arriving before the join is confirmed: none of these is a gap.
    #[test]
    fn history_and_first_messages_are_never_gaps() {
        let mut rooms = joined("g");
        assert_eq!(rooms.seen(&msg("g", 7, false)), Seen::Show, "first message");
        assert_eq!(rooms.seen(&msg("g", 9, true)), Seen::Show, "history");
        rooms.connection_lost();
        assert_eq!(rooms.seen(&msg("g", 12, false)), Seen::Show, "not joined");
    }

    /// Messages for a room we left (or never joined) are dropped, and a forgotten room is not
    /// rejoined.
    #[test]
    fn forgotten_rooms_drop_their_messages() {
        let mut rooms = joined("g");
        rooms.joining("h");
        rooms.forget("g");
        assert_eq!(rooms.seen(&msg("g", 1, false)), Seen::NotOurs);
        assert_eq!(rooms.names().collect::<Vec<_>>(), ["h"]);
        assert!(!rooms.is_joined("g"));
    }

    /// The member list starts whole from the join ack and follows `presence` deltas.
    #[test]
    fn presence_deltas_update_the_member_list() {
        let mut rooms = joined("g");
        let p = Presence {
            room: "g".into(),
            joined: vec!["bob".into()],
            left: vec!["ann".into()],
            unencrypted: vec!["bob".into()],
        };
        let m = rooms.presence(&p).unwrap();
        assert_eq!(
            (m.members, m.unencrypted),
            (vec!["bob".to_owned()], vec!["bob".to_owned()])
        );
        let elsewhere = Presence {
            room: "x".into(),
            ..p
        };
        assert_eq!(rooms.presence(&elsewhere), None);
    }

    /// After a plain join whose history ends before the room's last row (event rows are not
    /// replayed), the ack's `lastSeq` keeps the next live row from looking like a gap.
    #[test]
    fn a_join_ack_moves_past_rows_left_out_of_history() {
        let mut rooms = Rooms::default();
        rooms.joining("r");
        assert_eq!(rooms.seen(&msg("r", 5, true)), Seen::Show);
        rooms.joined("r", vec![], vec![]);
        rooms.caught_up_to("r", 9);
        assert_eq!(rooms.seen(&msg("r", 10, false)), Seen::Show);
        rooms.caught_up_to("r", 3);
        assert_eq!(rooms.seen(&msg("r", 10, false)), Seen::Duplicate);
    }
}
