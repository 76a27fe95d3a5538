//! Table tests for the chat rules: (state, input) → (effects, new state), no server, no runtime.

use std::time::{Duration, Instant};

use super::*;
use crate::protocol::{ErrorCode, JoinRequest, SendAck, SendRequest, TypingRequest};

fn cfg() -> ChatConfig {
    ChatConfig {
        history_on_join: 3,
        catchup_limit: 100,
        cache_len: 5,
        dedupe_len: 100,
        max_rooms_per_conn: 2,
        kick_ban: Duration::from_secs(600),
        max_replay_bytes: 1 << 20,
        replay_rate: (1e9, 1e9),
    }
}

/// A chat with a clock and a store, applying one batch per call like the hub does.
struct World {
    chat: Chat,
    now: Instant,
    dead: Vec<ConnId>,
    next_req: ReqId,
    /// Every message stored, as the database would hold them.
    db: Vec<Message>,
}

impl World {
    fn new() -> World {
        World {
            chat: Chat::new(cfg()),
            now: Instant::now(),
            dead: Vec::new(),
            next_req: 0,
            db: Vec::new(),
        }
    }

    /// What the store would load for a room.
    fn snapshot(&self, room: &str) -> RoomSnapshot {
        let rows: Vec<&Message> = self.db.iter().filter(|m| m.room == room).collect();
        let c = cfg();
        let last = |rows: Vec<&Message>| {
            rows[rows.len().saturating_sub(c.cache_len)..]
                .iter()
                .map(|m| (*m).clone())
                .collect::<Vec<_>>()
        };
        RoomSnapshot {
            last_seq: rows.last().map_or(0, |m| m.seq),
            recent: last(
                rows.iter()
                    .copied()
                    .filter(|m| m.target.is_none())
                    .collect(),
            ),
            events: last(
                rows.iter()
                    .copied()
                    .filter(|m| m.target.is_some())
                    .collect(),
            ),
            client_ids: rows
                .iter()
                .filter_map(|m| {
                    let cid = m.client_id.clone()?;
                    Some((m.nick_name.clone(), cid, m.id.clone(), m.seq, m.ts))
                })
                .collect(),
        }
    }

    /// Applies a batch of inputs (loading empty rooms as the store would) and settles it.
    fn batch(&mut self, inputs: Vec<Input>) -> Batch {
        let mut b = Batch::default();
        for mut input in inputs {
            if let Some(room) = self.chat.room_to_load(&input) {
                let room = room.to_owned();
                let snap = self.snapshot(&room);
                self.chat.load_room(&room, snap);
            }
            if let Some(need) = self.chat.backlog_needed(&input)
                && let Input::Request { backlog, .. } = &mut input
            {
                let rows = self
                    .db
                    .iter()
                    .filter(|m| m.room == need.room && m.seq > need.after);
                *backlog = Some(rows.take(need.limit).cloned().collect());
            }
            if let Some((room, seq)) = self.chat.target_needed(&input) {
                let row = self.db.iter().find(|m| m.room == room && m.seq == seq);
                self.chat.load_target(&room, seq, row.cloned());
            }
            let dead = self.dead.clone();
            let live = move |c: ConnId| !dead.contains(&c);
            let ctx = Ctx {
                now: self.now,
                now_ms: 1_000,
                live: &live,
            };
            self.chat.apply(input, &ctx, &mut b);
        }
        self.chat.finish(&mut b);
        self.db.extend(b.stored.iter().cloned());
        // What `Store::commit` does with the folded messages.
        for u in &b.updated {
            for m in self.db.iter_mut().filter(|m| m.room == u.room) {
                if m.seq == u.seq {
                    *m = u.clone();
                } else if u.deleted && m.kind == Kind::Edit && m.target == Some(u.seq) {
                    m.message.clear();
                }
            }
        }
        self.chat.settle(&mut b, true, self.now);
        b
    }

    /// A context where every connection is live.
    fn ctx(&self) -> Ctx<'static> {
        Ctx {
            now: self.now,
            now_ms: 1,
            live: &|_| true,
        }
    }

    fn one(&mut self, input: Input) -> Batch {
        self.batch(vec![input])
    }

    fn connect(&mut self, conn: u64, session: Option<&str>) {
        self.connect_as(conn, session, &format!("user-{conn}"));
    }

    /// A connection whose `auth.userKey` gives the public id `user`.
    fn connect_as(&mut self, conn: u64, session: Option<&str>, user: &str) {
        self.one(Input::Connect {
            conn: ConnId(conn),
            session: session.map(Into::into),
            user: user.into(),
            plain: false,
        });
    }

    /// A connection over plain HTTP (a browser guest on `http://`).
    fn connect_plain(&mut self, conn: u64) {
        self.one(Input::Connect {
            conn: ConnId(conn),
            session: None,
            user: format!("user-{conn}"),
            plain: true,
        });
    }

    fn req(&mut self, conn: u64, req: Request) -> Input {
        self.next_req += 1;
        Input::Request {
            conn: ConnId(conn),
            id: self.next_req,
            req,
            backlog: None,
        }
    }

    fn join(&mut self, conn: u64, room: &str, nick: &str) -> Result<Done, WireError> {
        let input = self.req(conn, join(room, nick, None));
        reply(&self.one(input))
    }

    fn send(&mut self, conn: u64, room: &str, text: &str, cid: Option<&str>) -> Batch {
        let input = self.req(
            conn,
            Request::Send(SendRequest {
                room: room.into(),
                text: text.into(),
                client_id: cid.map(Into::into),
                reply_to: None,
            }),
        );
        self.one(input)
    }

    fn members(&self, room: &str) -> Vec<String> {
        self.chat
            .room(room)
            .map(Room::member_names)
            .unwrap_or_default()
    }
}

fn join(room: &str, nick: &str, since: Option<u64>) -> Request {
    Request::Join(JoinRequest {
        room: room.into(),
        nick: nick.into(),
        since,
    })
}

/// The (last) reply in a batch.
fn reply(b: &Batch) -> Result<Done, WireError> {
    b.effects
        .iter()
        .rev()
        .find_map(|e| match e {
            Effect::Reply { result, .. } => Some(result.clone()),
            _ => None,
        })
        .expect("a reply")
}

fn code(r: Result<Done, WireError>) -> Option<ErrorCode> {
    r.err().map(|e| e.code)
}

fn history_of(b: &Batch) -> Vec<u64> {
    b.effects
        .iter()
        .find_map(|e| match e {
            Effect::History { messages, .. } => Some(messages.iter().map(|m| m.seq).collect()),
            _ => None,
        })
        .unwrap_or_default()
}

fn presences(b: &Batch) -> Vec<Presence> {
    b.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Presence(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

use crate::protocol::Presence;

/// A nickname is one person's: another client gets `nick_taken`, the same client (same session)
/// on a new connection takes it over quietly, and so does anyone once the holder's connection died.
#[test]
fn takeover_of_your_own_stale_connection_but_not_of_someone_else() {
    let cases = [
        // (holder session, newcomer session, holder dead?, expected)
        (Some("s1"), Some("s1"), false, None),
        (Some("s1"), Some("s2"), false, Some(ErrorCode::NickTaken)),
        (None, None, false, Some(ErrorCode::NickTaken)),
        (Some("s1"), Some("s2"), true, None),
    ];
    for (i, (held, new, dead, want)) in cases.into_iter().enumerate() {
        let mut w = World::new();
        w.connect(1, held);
        w.connect(2, new);
        w.join(1, "r", "ann").unwrap();
        if dead {
            w.dead.push(ConnId(1));
        }
        let input = w.req(2, join("r", "ann", Some(1)));
        let b = w.one(input);
        assert_eq!(code(reply(&b)), want, "case {i}");
        if want.is_none() {
            assert_eq!(w.chat.room("r").unwrap().members["ann"].conn, ConnId(2));
            // Quiet: no "joined" notice is stored, and the old connection is unsubscribed.
            assert!(b.stored.is_empty(), "case {i}");
            assert!(b.effects.contains(&Effect::Unsubscribe {
                conn: ConnId(1),
                room: "r".into()
            }));
            // The old connection is told it no longer holds the name.
            assert!(b.effects.iter().any(
                |e| matches!(e, Effect::Kicked { to, notice } if *to == ConnId(1) && notice.reason.contains("another connection"))
            ));
        }
    }
}

/// A kicked member cannot come back under another nickname, nor from the same client on a new
/// connection, until the ban expires.
#[test]
fn kick_bans_the_nick_the_connection_and_the_client() {
    let mut w = World::new();
    w.connect(1, Some("s1"));
    w.connect(9, None);
    w.join(1, "r", "bob").unwrap();
    w.join(9, "r", "calm").unwrap();
    let b = w.one(Input::Kick {
        id: 0,
        room: "r".into(),
        nick: "bob".into(),
        by: "host".into(),
    });
    assert_eq!(reply(&b), Ok(Done::Kicked));
    assert!(
        b.effects
            .iter()
            .any(|e| matches!(e, Effect::Kicked { to, .. } if *to == ConnId(1)))
    );
    assert_eq!(b.stored[0].kind, Kind::Kick);
    assert_eq!(w.members("r"), ["calm"]);
    assert_eq!(code(w.join(1, "r", "bobby")), Some(ErrorCode::Kicked));
    w.connect(2, Some("s1"));
    assert_eq!(code(w.join(2, "r", "robert")), Some(ErrorCode::Kicked));
    w.connect(3, None);
    assert_eq!(code(w.join(3, "r", "bob")), Some(ErrorCode::Kicked));
    assert!(w.join(3, "r", "carol").is_ok(), "someone else may join");
    w.now += Duration::from_secs(601);
    assert!(w.join(1, "r", "bob").is_ok(), "the ban expires");
}

/// A message resent with the same clientId after a reconnect is acked with the original's seq
/// and stored once.
#[test]
fn client_id_dedupe_across_reconnect() {
    let mut w = World::new();
    w.connect(1, Some("s"));
    w.join(1, "r", "ann").unwrap();
    let first = w.send(1, "r", "hello", Some("c1"));
    let Ok(Done::Sent(ack1)) = reply(&first) else {
        panic!("sent")
    };
    assert_eq!(first.stored.len(), 1);
    w.one(Input::Disconnect { conn: ConnId(1) });
    w.connect(2, Some("s"));
    w.join(2, "r", "ann").unwrap();
    let again = w.send(2, "r", "hello", Some("c1"));
    let Ok(Done::Sent(ack2)) = reply(&again) else {
        panic!("sent")
    };
    assert!(again.stored.is_empty());
    assert_eq!((ack2.seq, ack2.duplicate), (ack1.seq, true));
}

/// A clientId counts per sender: another member reusing it (a guess, or a collision) is not
/// taken for a resend and cannot make the server swallow the first sender's message.
#[test]
fn client_id_dedupe_is_per_sender() {
    let mut w = World::new();
    w.connect(1, None);
    w.connect(2, None);
    w.join(1, "r", "ann").unwrap();
    w.join(2, "r", "eve").unwrap();
    assert_eq!(w.send(2, "r", "first!", Some("c1")).stored.len(), 1);
    let b = w.send(1, "r", "my real message", Some("c1"));
    assert_eq!(b.stored.len(), 1, "ann's message is stored");
    assert!(matches!(reply(&b), Ok(Done::Sent(a)) if !a.duplicate));
}

/// A member on a plain-HTTP link is named as unencrypted in join acks and in the presence delta
/// that announces them; members on TLS never are, and one who leaves is not any more.
#[test]
fn plain_members_are_flagged_unencrypted() {
    let mut w = World::new();
    w.connect(1, None);
    w.connect_plain(2);
    w.join(1, "r", "ann").unwrap();
    let input = w.req(2, join("r", "guest", None));
    let b = w.batch(vec![input]);
    let p = presences(&b);
    assert_eq!(
        (p[0].joined.clone(), p[0].unencrypted.clone()),
        (vec!["guest".to_owned()], vec!["guest".to_owned()])
    );
    assert!(matches!(reply(&b), Ok(Done::Joined(a)) if a.unencrypted == ["guest"]));
    w.connect(3, None);
    let input = w.req(3, join("r", "cat", None));
    let b = w.batch(vec![input]);
    assert!(
        presences(&b)[0].unencrypted.is_empty(),
        "a TLS member is not flagged"
    );
    assert!(matches!(reply(&b), Ok(Done::Joined(a)) if a.unencrypted == ["guest"]));
    w.one(Input::Disconnect { conn: ConnId(2) });
    let input = w.req(3, join("r", "cat", None));
    assert!(
        matches!(reply(&w.batch(vec![input])), Ok(Done::Joined(a)) if a.unencrypted.is_empty())
    );
}

/// Thirty people joining in one batch make one presence delta naming all of them, and each join
/// ack carries the whole list as of the batch's end.
#[test]
fn presence_delta_for_a_class_of_30() {
    let mut w = World::new();
    for c in 1..=30 {
        w.connect(c, None);
    }
    let inputs: Vec<Input> = (1..=30)
        .map(|c| w.req(c, join("class", &format!("kid{c:02}"), None)))
        .collect();
    let b = w.batch(inputs);
    let p = presences(&b);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].joined.len(), 30);
    assert!(p[0].left.is_empty());
    let acks: Vec<&JoinAck> = b
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Reply {
                result: Ok(Done::Joined(a)),
                ..
            } => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(acks.len(), 30);
    assert!(acks.iter().all(|a| a.members.len() == 30));
    // Presence is sent after everything else in the batch.
    assert!(matches!(b.effects.last(), Some(Effect::Presence(_))));
    // One leaves, one joins in the next batch: one delta with both.
    w.connect(31, None);
    let inputs = vec![
        Input::Disconnect { conn: ConnId(1) },
        w.req(31, join("class", "late", None)),
    ];
    let p = presences(&w.batch(inputs));
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].joined.clone(), p[0].left.clone()),
        (vec!["late".to_owned()], vec!["kid01".to_owned()])
    );
}

use crate::protocol::JoinAck;

/// An empty room leaves memory once its batch is settled, but not if someone rejoined it in
/// the same batch (reloading it then would reuse seqs).
#[test]
fn empty_rooms_are_evicted_but_not_after_a_same_batch_rejoin() {
    let mut w = World::new();
    w.connect(1, None);
    w.connect(2, None);
    w.join(1, "r", "ann").unwrap();
    w.one(Input::Disconnect { conn: ConnId(1) });
    assert!(w.chat.room("r").is_none(), "evicted when empty");
    w.join(2, "r", "bob").unwrap();
    let before = w.chat.room("r").unwrap().last_seq;
    let inputs = vec![
        w.req(2, Request::Leave { room: "r".into() }),
        w.req(2, join("r", "bob", None)),
    ];
    let b = w.batch(inputs);
    assert_eq!(b.stored.len(), 2, "a leave and a join notice");
    let room = w.chat.room("r").expect("still in memory");
    assert_eq!(room.last_seq, before + 2);
    assert_eq!(w.members("r"), ["bob"]);
}

/// A join without `since` gets the last `history_on_join` messages; a catch-up with `since`
/// gets everything after it from the cache, or from the store when the cache no longer reaches
/// back that far.
#[test]
fn history_window_and_since_edges() {
    let mut w = World::new();
    w.connect(1, None);
    w.join(1, "r", "ann").unwrap(); // seq 1: the join notice
    for i in 0..6 {
        w.send(1, "r", &format!("m{i}"), None); // seqs 2..=7
    }
    w.connect(2, None);
    // (since, needs the store, replayed seqs). The first join posts seq 8; the rest are
    // catch-ups of the same connection (no new notice). The cache holds the newest 5 (4..=8).
    let cases: [(Option<u64>, bool, Vec<u64>); 6] = [
        (None, false, vec![5, 6, 7]),
        (Some(8), false, vec![]),
        (Some(99), false, vec![]),
        (Some(3), false, vec![4, 5, 6, 7, 8]),
        (Some(2), true, vec![3, 4, 5, 6, 7, 8]),
        (Some(0), true, (1..=8).collect()),
    ];
    for (since, needs_store, want) in cases {
        let input = w.req(2, join("r", "bea", since));
        assert_eq!(
            w.chat.backlog_needed(&input).is_some(),
            needs_store,
            "since {since:?}"
        );
        let b = w.one(input);
        assert!(reply(&b).is_ok(), "since {since:?}");
        assert_eq!(history_of(&b), want, "since {since:?}");
        assert!(b.effects.iter().all(|e| match e {
            Effect::History { messages, .. } => messages.iter().all(|m| m.history),
            _ => true,
        }));
    }
    // Without the backlog it needs, a catch-up fails rather than replaying a hole.
    let input = Input::Request {
        conn: ConnId(2),
        id: 99,
        req: join("r", "bea", Some(1)),
        backlog: None,
    };
    let mut b = Batch::default();
    let ctx = w.ctx();
    w.chat.apply(input, &ctx, &mut b);
    assert_eq!(code(reply(&b)), Some(ErrorCode::StorageFailed));
}

/// A batch that fails to store is forgotten: its sends are refused as `storage_failed`, nothing
/// is broadcast, and the next message does not reuse a refused clientId's ack.
#[test]
fn a_batch_that_fails_to_store_is_refused_and_forgotten() {
    let mut w = World::new();
    w.connect(1, None);
    w.join(1, "r", "ann").unwrap();
    let input = w.req(
        1,
        Request::Send(SendRequest {
            reply_to: None,
            room: "r".into(),
            text: "lost".into(),
            client_id: Some("c9".into()),
        }),
    );
    let mut b = Batch::default();
    let ctx = w.ctx();
    w.chat.apply(input, &ctx, &mut b);
    w.chat.finish(&mut b);
    w.chat.settle(&mut b, false, w.now);
    assert_eq!(code(reply(&b)), Some(ErrorCode::StorageFailed));
    assert!(!b.effects.iter().any(|e| matches!(e, Effect::Broadcast(_))));
    let again = w.send(1, "r", "lost", Some("c9"));
    let Ok(Done::Sent(ack)) = reply(&again) else {
        panic!("sent")
    };
    assert!(!ack.duplicate);
    assert_eq!(ack.seq, 3, "seq 2 stays used, never reused");
}

/// Only members may send, type or leave, and a connection may be in a limited number of rooms.
#[test]
fn membership_rules() {
    let mut w = World::new();
    w.connect(1, None);
    let b = w.send(1, "r", "hi", None);
    assert_eq!(code(reply(&b)), Some(ErrorCode::NotInRoom));
    let typing = w.req(
        1,
        Request::Typing(TypingRequest {
            room: "r".into(),
            typing: true,
        }),
    );
    assert_eq!(code(reply(&w.one(typing))), Some(ErrorCode::NotInRoom));
    let leave = w.req(1, Request::Leave { room: "r".into() });
    assert_eq!(code(reply(&w.one(leave))), Some(ErrorCode::NotInRoom));
    w.join(1, "a", "ann").unwrap();
    w.join(1, "b", "ann").unwrap();
    assert_eq!(code(w.join(1, "c", "ann")), Some(ErrorCode::TooManyRooms));
    assert_eq!(code(w.join(1, "a", "other")), Some(ErrorCode::NickTaken));
    assert!(w.join(1, "a", "ann").is_ok(), "a rejoin (catch-up) is fine");
    let typing = w.req(
        1,
        Request::Typing(TypingRequest {
            room: "a".into(),
            typing: true,
        }),
    );
    let b = w.one(typing);
    assert!(b.effects.iter().any(
        |e| matches!(e, Effect::Typing { from, notice } if *from == ConnId(1) && notice.nick_name == "ann")
    ));
}

/// A replay is bounded in bytes: a catch-up keeps its oldest messages and says `more`, a plain
/// join keeps the newest; the same catch-up repeated in one batch sends nothing again; and a
/// connection that keeps catching up runs out of replay credit and is told to slow down.
#[test]
fn replays_are_bounded_in_bytes_and_credit() {
    let mut w = World::new();
    // Each message costs 1,000 bytes of text + names + envelope.
    w.chat.cfg.max_replay_bytes = 3_600;
    w.chat.cfg.cache_len = 100;
    w.chat.cfg.history_on_join = 100;
    w.chat.cfg.replay_rate = (0.0, 10_000.0);
    w.connect(1, None);
    w.join(1, "r", "ann").unwrap(); // seq 1
    for i in 0..10 {
        let text = format!("{i}{}", "x".repeat(999));
        w.send(1, "r", &text, None); // seqs 2..=11
    }
    w.connect(2, None);
    let input = w.req(2, join("r", "bob", None));
    let b = w.one(input);
    assert_eq!(history_of(&b), vec![9, 10, 11], "the newest that fit");
    assert!(matches!(reply(&b), Ok(Done::Joined(a)) if !a.more));
    let input = w.req(2, join("r", "bob", Some(0)));
    let b = w.one(input);
    assert_eq!(
        history_of(&b),
        vec![1, 2, 3, 4],
        "the oldest that fit (seq 1 is short)"
    );
    assert!(matches!(reply(&b), Ok(Done::Joined(a)) if a.more && a.last_seq == 12));
    // Until the rest is caught up, no live messages: they would skip past the part still owed.
    assert!(
        b.effects
            .iter()
            .any(|e| matches!(e, Effect::Unsubscribe { conn, .. } if *conn == ConnId(2)))
    );
    assert!(
        !b.effects
            .iter()
            .any(|e| matches!(e, Effect::Subscribe { .. }))
    );
    // Ten identical catch-ups pipelined into one batch: one replay.
    let inputs: Vec<Input> = (0..10)
        .map(|_| w.req(2, join("r", "bob", Some(4))))
        .collect();
    let b = w.batch(inputs);
    let replays: Vec<usize> = b
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::History { messages, .. } if !messages.is_empty() => Some(messages.len()),
            _ => None,
        })
        .collect();
    assert_eq!(replays, vec![3]);
    // Credit: 10,000 bytes with no refill; about 3.4 KB went to each of the joins above.
    let input = w.req(2, join("r", "bob", Some(0)));
    assert_eq!(code(reply(&w.one(input))), Some(ErrorCode::RateLimited));
    w.connect(3, None);
    assert!(
        w.join(3, "r", "cy").is_ok(),
        "another connection has its own credit"
    );
}

fn upload_req(room: &str, cid: Option<&str>) -> Request {
    Request::FileUpload(crate::protocol::FileUploadRequest {
        room: room.into(),
        name: "a.png".into(),
        size: 10,
        mime: None,
        client_id: cid.map(Into::into),
    })
}

fn file_post(room: &str, nick: &str, cid: &str) -> FilePost {
    FilePost {
        room: room.into(),
        nick: nick.into(),
        client_id: cid.into(),
        file: crate::protocol::FileMeta {
            name: "a.png".into(),
            size: 10,
            mime: "image/png".into(),
            sha256: "ab".repeat(32),
            width: Some(1),
            height: Some(1),
            url: "/files/x".into(),
            thumb_url: None,
        },
        user: None,
    }
}

/// Tickets go to members only, under their joined nickname; a finished file is posted like a
/// send (a seq, stored, clientId dedupe — also across a room that left memory), even after its
/// sender disconnected, but not under a nickname the host kicked.
#[test]
fn files_are_for_members_and_post_like_sends() {
    let mut w = World::new();
    w.connect(1, None);
    let ask = w.req(1, upload_req("r", None));
    assert_eq!(code(reply(&w.one(ask))), Some(ErrorCode::NotInRoom));
    w.join(1, "r", "ann").unwrap();
    let ask = w.req(1, upload_req("r", None));
    match reply(&w.one(ask)) {
        Ok(Done::UploadAllowed(g)) => {
            assert_eq!((g.nick.as_str(), g.conn), ("ann", ConnId(1)));
        }
        other => panic!("{other:?}"),
    }
    // The sender goes away; the room leaves memory; the file is still posted under "ann".
    w.one(Input::Disconnect { conn: ConnId(1) });
    assert!(w.chat.room("r").is_none(), "an empty room leaves memory");
    let b = w.one(Input::PostFile {
        id: 50,
        post: file_post("r", "ann", "up-1"),
    });
    let Ok(Done::Sent(first)) = reply(&b) else {
        panic!("{:?}", reply(&b))
    };
    assert_eq!(b.stored.len(), 1);
    let m = &b.stored[0];
    assert_eq!((m.kind, m.nick_name.as_str()), (Kind::File, "ann"));
    assert_eq!(m.message, "📎 a.png (10 B)");
    assert_eq!(m.file.as_ref().unwrap().sha256, "ab".repeat(32));
    // Posting again (a retried last PATCH) gives the first ack and stores nothing.
    let again = w.one(Input::PostFile {
        id: 51,
        post: file_post("r", "ann", "up-1"),
    });
    assert!(again.stored.is_empty());
    let dup = SendAck {
        duplicate: true,
        ..first
    };
    assert_eq!(reply(&again), Ok(Done::Sent(dup.clone())));
    // Asking for a ticket with a clientId already posted answers with that message.
    w.connect(2, None);
    w.join(2, "r", "ann").unwrap();
    let ask = w.req(2, upload_req("r", Some("up-1")));
    assert_eq!(reply(&w.one(ask)), Ok(Done::UploadPosted(dup)));
    // A kicked nickname's finished file is not posted.
    w.one(Input::Kick {
        id: 60,
        room: "r".into(),
        nick: "ann".into(),
        by: "host".into(),
    });
    let b = w.one(Input::PostFile {
        id: 61,
        post: file_post("r", "ann", "up-2"),
    });
    assert_eq!(code(reply(&b)), Some(ErrorCode::Kicked));
    assert!(b.stored.is_empty());
}

/// Reading a room's past (`history`, `search`) is for its members: before joining, after
/// leaving and after a kick it is `not_in_room`; a member gets the read handed to the server.
#[test]
fn only_members_read_a_rooms_past() {
    use crate::protocol::{HistoryRequest, PageAt, SearchRequest};
    let history = || {
        Request::History(HistoryRequest {
            room: "r".into(),
            at: PageAt::Before(10),
            limit: 5,
        })
    };
    let search = || {
        Request::Search(SearchRequest {
            room: "r".into(),
            q: "hi".into(),
            limit: 5,
        })
    };
    let mut w = World::new();
    w.connect(1, None);
    w.connect(2, None);
    for req in [history(), search()] {
        let input = w.req(1, req);
        assert_eq!(code(reply(&w.one(input))), Some(ErrorCode::NotInRoom));
    }
    w.join(1, "r", "ann").unwrap();
    w.join(2, "other", "bob").unwrap();
    let input = w.req(1, history());
    assert!(matches!(
        reply(&w.one(input)),
        Ok(Done::Read(Read::History(_)))
    ));
    let input = w.req(1, search());
    assert!(matches!(
        reply(&w.one(input)),
        Ok(Done::Read(Read::Search(_)))
    ));
    let input = w.req(2, search());
    assert_eq!(
        code(reply(&w.one(input))),
        Some(ErrorCode::NotInRoom),
        "another room's member"
    );
    let leave = w.req(1, Request::Leave { room: "r".into() });
    w.one(leave);
    let input = w.req(1, history());
    assert_eq!(
        code(reply(&w.one(input))),
        Some(ErrorCode::NotInRoom),
        "after leaving"
    );
}

// ---- Conversations (issue #14): edits, deletes, reactions, replies, mentions ----

fn edit(room: &str, seq: u64, text: &str) -> Request {
    Request::Edit(crate::protocol::EditRequest {
        room: room.into(),
        seq,
        text: text.into(),
    })
}

fn delete(room: &str, seq: u64) -> Request {
    Request::Delete(crate::protocol::DeleteRequest {
        room: room.into(),
        seq,
    })
}

fn react(room: &str, seq: u64, emoji: &str, on: bool) -> Request {
    Request::React(crate::protocol::ReactRequest {
        room: room.into(),
        seq,
        emoji: emoji.into(),
        on,
    })
}

impl World {
    fn ask(&mut self, conn: u64, req: Request) -> Result<Done, WireError> {
        let input = self.req(conn, req);
        reply(&self.one(input))
    }

    /// The seq of a chat message `conn` sends to `room`.
    fn said(&mut self, conn: u64, room: &str, text: &str) -> u64 {
        match reply(&self.send(conn, room, text, None)) {
            Ok(Done::Sent(ack)) => ack.seq,
            other => panic!("{other:?}"),
        }
    }

    /// Message `seq` of `room` as the store holds it.
    fn row(&self, room: &str, seq: u64) -> Message {
        self.db
            .iter()
            .find(|m| m.room == room && m.seq == seq)
            .cloned()
            .unwrap()
    }

    /// A plain join's history for a new member.
    fn plain_history(&mut self, conn: u64, room: &str, nick: &str) -> Vec<Message> {
        self.connect(conn, None);
        let input = self.req(conn, join(room, nick, None));
        messages_of(&self.one(input))
    }
}

fn messages_of(b: &Batch) -> Vec<Message> {
    b.effects
        .iter()
        .find_map(|e| match e {
            Effect::History { messages, .. } => Some(messages.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn updated_seq(r: Result<Done, WireError>) -> Option<u64> {
    match r {
        Ok(Done::Updated(a)) => a.seq,
        other => panic!("{other:?}"),
    }
}

/// Who may change a message: edits by the author only (by user id), deletes by the author or
/// the host, nobody outside the room; targets must be live chat or file messages of the room.
#[test]
fn edit_and_delete_rules() {
    let mut w = World::new();
    w.connect_as(1, None, "ann-id");
    w.connect_as(2, None, "bob-id");
    w.connect_as(3, None, "eve-id");
    w.join(1, "r", "ann").unwrap();
    w.join(2, "r", "bob").unwrap();
    w.join(3, "other", "eve").unwrap();
    let s = w.said(1, "r", "hello");
    let join_seq = 1;
    let cases: Vec<(u64, Request, Option<ErrorCode>)> = vec![
        (2, edit("r", s, "hacked"), Some(ErrorCode::NotAuthor)),
        (2, delete("r", s), Some(ErrorCode::NotAuthor)),
        (3, edit("r", s, "x"), Some(ErrorCode::NotInRoom)),
        (3, react("r", s, "👍", true), Some(ErrorCode::NotInRoom)),
        (1, edit("r", 999, "x"), Some(ErrorCode::NoSuchMessage)),
        (1, edit("other", s, "x"), Some(ErrorCode::NotInRoom)),
        (1, edit("r", join_seq, "x"), Some(ErrorCode::NoSuchMessage)),
        (
            1,
            react("r", join_seq, "👍", true),
            Some(ErrorCode::NoSuchMessage),
        ),
        (1, edit("r", s, "hello again"), None),
    ];
    for (conn, req, want) in cases {
        let got = w.ask(conn, req.clone());
        assert_eq!(code(got), want, "{conn} {req:?}");
    }
    let row = w.row("r", s);
    assert_eq!(row.message, "hello again");
    assert!(row.edited_ts.is_some());
    // The edit row itself is a target's event, not a message: edits of it are refused.
    let edit_seq = w.chat.room("r").unwrap().last_seq;
    assert_eq!(
        code(w.ask(1, edit("r", edit_seq, "x"))),
        Some(ErrorCode::NoSuchMessage)
    );
    assert!(updated_seq(w.ask(1, delete("r", s))).is_some());
    assert!(w.row("r", s).deleted && w.row("r", s).message.is_empty());
    for req in [
        edit("r", s, "back"),
        delete("r", s),
        react("r", s, "👍", true),
    ] {
        assert_eq!(code(w.ask(1, req)), Some(ErrorCode::MessageDeleted));
    }
    // The deleted message's edit row lost its text too.
    let e = w.row("r", edit_seq);
    assert_eq!((e.kind, e.message.as_str()), (Kind::Edit, ""));
}

/// Rights follow the user id, not the nickname: someone who takes "ann" after she left cannot
/// edit her messages; ann, back under another nickname with her key, still can.
#[test]
fn nickname_takeover_does_not_grant_edit_rights() {
    let mut w = World::new();
    w.connect_as(1, None, "ann-id");
    w.join(1, "r", "ann").unwrap();
    let s = w.said(1, "r", "mine");
    w.one(Input::Disconnect { conn: ConnId(1) });
    w.connect_as(2, None, "mallory-id");
    w.join(2, "r", "ann").unwrap();
    assert_eq!(
        code(w.ask(2, edit("r", s, "pwned"))),
        Some(ErrorCode::NotAuthor)
    );
    assert_eq!(code(w.ask(2, delete("r", s))), Some(ErrorCode::NotAuthor));
    w.connect_as(3, None, "ann-id");
    w.join(3, "r", "ann2").unwrap();
    assert!(updated_seq(w.ask(3, edit("r", s, "still mine"))).is_some());
    assert_eq!(w.row("r", s).message, "still mine");
}

/// The host deletes anyone's message; a file message is deleted by its uploader but never
/// edited.
#[test]
fn host_deletes_and_files_are_not_edited() {
    let mut w = World::new();
    w.connect_as(1, None, "ann-id");
    w.join(1, "r", "ann").unwrap();
    let s = w.said(1, "r", "rude");
    let b = w.one(Input::HostDelete {
        id: 70,
        room: "r".into(),
        seq: s,
        by: "the host".into(),
    });
    assert!(matches!(reply(&b), Ok(Done::Updated(_))));
    let row = w.row("r", s);
    assert!(row.deleted);
    let del = b.stored.last().unwrap();
    assert_eq!(
        (del.kind, del.target, del.nick_name.as_str()),
        (Kind::Delete, Some(s), "the host")
    );
    let mut post = file_post("r", "ann", "f1");
    post.user = Some("ann-id".into());
    let b = w.one(Input::PostFile { id: 71, post });
    let f = match reply(&b) {
        Ok(Done::Sent(a)) => a.seq,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        code(w.ask(1, edit("r", f, "x"))),
        Some(ErrorCode::NotEditable)
    );
    assert!(updated_seq(w.ask(1, delete("r", f))).is_some());
    assert!(w.row("r", f).file.is_none());
}

/// Reactions toggle once per user per emoji (a repeat changes nothing and stores nothing), at
/// most 20 different emoji per message, and fold who reacted into the message.
#[test]
fn reactions_toggle_and_are_limited() {
    let mut w = World::new();
    w.connect_as(1, None, "ann-id");
    w.connect_as(2, None, "bob-id");
    w.join(1, "r", "ann").unwrap();
    w.join(2, "r", "bob").unwrap();
    let s = w.said(1, "r", "party?");
    assert!(updated_seq(w.ask(2, react("r", s, "🎉", true))).is_some());
    assert_eq!(
        updated_seq(w.ask(2, react("r", s, "🎉", true))),
        None,
        "already on"
    );
    assert!(updated_seq(w.ask(1, react("r", s, "🎉", true))).is_some());
    let r = &w.row("r", s).reactions;
    assert_eq!(r.len(), 1);
    let who: Vec<&str> = r[0].by.iter().map(|x| x.nick_name.as_str()).collect();
    assert_eq!(who, ["bob", "ann"]);
    assert!(updated_seq(w.ask(2, react("r", s, "🎉", false))).is_some());
    assert_eq!(
        updated_seq(w.ask(2, react("r", s, "🎉", false))),
        None,
        "already off"
    );
    assert_eq!(w.row("r", s).reactions[0].by.len(), 1);
    // 20 different emoji fit; a 21st is refused, a known one still toggles.
    let emoji: Vec<String> = (0..19)
        .map(|i| char::from_u32(0x1F600 + i).unwrap().to_string())
        .collect();
    for e in &emoji {
        assert!(updated_seq(w.ask(2, react("r", s, e, true))).is_some());
    }
    assert_eq!(
        code(w.ask(2, react("r", s, "🦀", true))),
        Some(ErrorCode::TooManyReactions)
    );
    assert!(updated_seq(w.ask(2, react("r", s, "🎉", true))).is_some());
    assert_eq!(w.row("r", s).reactions.len(), 20);
}

/// A plain join shows the last messages folded (edited, deleted, reactions), never event
/// rows, even after a run of reactions longer than the cache; a `since` catch-up replays
/// every row in seq order.
#[test]
fn plain_history_is_folded_and_since_replays_events() {
    let mut w = World::new();
    w.connect_as(1, None, "ann-id");
    w.join(1, "r", "ann").unwrap();
    let a = w.said(1, "r", "one");
    let b2 = w.said(1, "r", "two");
    let since = w.chat.room("r").unwrap().last_seq;
    w.ask(1, edit("r", a, "uno")).unwrap();
    w.ask(1, delete("r", b2)).unwrap();
    for i in 0..12 {
        w.ask(1, react("r", a, "👍", i % 2 == 0)).unwrap();
    }
    let h = w.plain_history(2, "r", "bob");
    assert!(h.iter().all(|m| !m.kind.is_event()), "{h:?}");
    let one = h.iter().find(|m| m.seq == a).expect("still in the last 3");
    assert_eq!(one.message, "uno");
    assert!(one.reactions.is_empty(), "12 toggles end off");
    assert!(h.iter().any(|m| m.seq == b2 && m.deleted));
    // Catch-up from before the changes: every event row, in order, after the room reloads.
    w.one(Input::Disconnect { conn: ConnId(1) });
    w.one(Input::Disconnect { conn: ConnId(2) });
    w.connect(3, None);
    let input = w.req(3, join("r", "cat", Some(since)));
    let h = messages_of(&w.one(input));
    let kinds: Vec<Kind> = h.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds.iter().filter(|k| k.is_event()).count(),
        14,
        "{kinds:?}"
    );
    assert!(h.windows(2).all(|p| p[0].seq < p[1].seq));
}

/// Targets older than the cache are read from the store: editing and reacting to them works,
/// and a seq that was never handed out is `no_such_message`.
#[test]
fn old_targets_are_read_from_the_store() {
    let mut w = World::new();
    w.connect_as(1, None, "ann-id");
    w.join(1, "r", "ann").unwrap();
    let old = w.said(1, "r", "ancient");
    for i in 0..10 {
        w.said(1, "r", &format!("filler {i}"));
    }
    assert!(
        w.chat.room("r").unwrap().find(old).is_none(),
        "out of the cache"
    );
    assert!(updated_seq(w.ask(1, edit("r", old, "ancient, edited"))).is_some());
    assert!(updated_seq(w.ask(1, react("r", old, "👀", true))).is_some());
    let row = w.row("r", old);
    assert_eq!(
        (row.message.as_str(), row.reactions.len()),
        ("ancient, edited", 1)
    );
    assert_eq!(
        code(w.ask(1, react("r", 9_999, "👀", true))),
        Some(ErrorCode::NoSuchMessage)
    );
}

/// A reply carries a quote of its original (same room, live chat message); mentions mark the
/// room's members named after an `@`, longest name first and only at a word's end.
#[test]
fn replies_quote_and_mentions_mark_members() {
    let mut w = World::new();
    w.connect_as(1, None, "ann-id");
    w.connect_as(2, None, "bob-id");
    w.join(1, "r", "ann").unwrap();
    w.join(2, "r", "Ann Lee").unwrap();
    let s = w.said(1, "r", "question?");
    let send = |to: Option<u64>, text: &str| {
        Request::Send(SendRequest {
            room: "r".into(),
            text: text.into(),
            client_id: None,
            reply_to: to,
        })
    };
    let input = w.req(2, send(Some(s), "answer @ann and @Ann Lee, not @annie"));
    let b = w.one(input);
    let m = b.stored.last().unwrap();
    let q = m.reply.as_ref().unwrap();
    assert_eq!(
        (q.seq, q.nick_name.as_str(), q.text.as_str()),
        (s, "ann", "question?")
    );
    assert_eq!(m.mentions, ["ann", "Ann Lee"]);
    assert_eq!(
        code(w.ask(2, send(Some(1), "to a notice"))),
        Some(ErrorCode::NoSuchMessage)
    );
    assert_eq!(
        code(w.ask(2, send(Some(999), "to nothing"))),
        Some(ErrorCode::NoSuchMessage)
    );
    // Editing the original updates the quote shown by cached replies.
    w.ask(1, edit("r", s, "better question?")).unwrap();
    let reply_seq = m.seq;
    let h = w.plain_history(3, "r", "cat");
    let r = h.iter().find(|m| m.seq == reply_seq).unwrap();
    assert_eq!(r.reply.as_ref().unwrap().text, "better question?");
}

/// A batch that fails to store leaves the targets as they were.
#[test]
fn a_failed_batch_unfolds_its_changes() {
    let mut w = World::new();
    w.connect_as(1, None, "ann-id");
    w.join(1, "r", "ann").unwrap();
    let s = w.said(1, "r", "keep me");
    let input = w.req(1, edit("r", s, "lost"));
    let mut b = Batch::default();
    let ctx = w.ctx();
    w.chat.apply(input, &ctx, &mut b);
    w.chat.finish(&mut b);
    w.chat.settle(&mut b, false, w.now);
    assert_eq!(code(reply(&b)), Some(ErrorCode::StorageFailed));
    assert_eq!(
        w.chat.room("r").unwrap().find(s).unwrap().message,
        "keep me"
    );
}

fn open_private(w: &mut World, conn: u64, room: &str, nick: &str) -> Result<Done, WireError> {
    let input = w.req(
        conn,
        Request::OpenPrivate(crate::protocol::OpenPrivateRequest {
            room: room.into(),
            nick: nick.into(),
        }),
    );
    reply(&w.one(input))
}

fn private_of(r: Result<Done, WireError>) -> String {
    match r {
        Ok(Done::PrivateOpened(o)) => o.room,
        other => panic!("expected a private room, got {other:?}"),
    }
}

fn invites(b: &Batch) -> Vec<(ConnId, String)> {
    b.effects
        .iter()
        .filter_map(|e| match e {
            Effect::PrivateInvite { to, invite } => Some((*to, invite.nick_name.clone())),
            _ => None,
        })
        .collect()
}

/// Two people in a room get the same private room whoever opens it; the first message there
/// invites the other one's connection, and only once they are in it do invites stop.
#[test]
fn a_private_room_is_shared_by_its_two_users_and_invites_the_other() {
    let mut w = World::new();
    w.connect_as(1, None, "ann-id");
    w.connect_as(2, None, "bob-id");
    w.join(1, "lobby", "ann").unwrap();
    w.join(2, "lobby", "bob").unwrap();
    let dm = private_of(open_private(&mut w, 1, "lobby", "bob"));
    assert_eq!(dm, private_of(open_private(&mut w, 2, "lobby", "ann")));
    assert_eq!(dm, "dm:ann-id:bob-id");
    w.join(1, &dm, "ann").unwrap();
    let b = w.send(1, &dm, "psst", None);
    assert_eq!(invites(&b), [(ConnId(2), "ann".to_owned())]);
    let input = w.req(2, join(&dm, "bob", None));
    let b = w.one(input);
    let notice = b.stored.iter().find(|m| m.kind == Kind::Join).unwrap();
    assert_eq!(notice.message, "bob joined the private conversation");
    let b = w.send(1, &dm, "still there?", None);
    assert!(invites(&b).is_empty(), "bob is in the room now");
    assert_eq!(w.members(&dm), ["ann", "bob"]);
}

/// Nobody else may join a pair's private room — not a third user, not someone who took one of
/// the two nicknames later, not a tutorial client — and a malformed private name is refused.
#[test]
fn only_the_two_users_may_join_their_private_room() {
    let mut w = World::new();
    w.connect_as(1, None, "ann-id");
    w.connect_as(2, None, "bob-id");
    w.join(1, "lobby", "ann").unwrap();
    w.join(2, "lobby", "bob").unwrap();
    let dm = private_of(open_private(&mut w, 1, "lobby", "bob"));
    w.one(Input::Disconnect { conn: ConnId(2) });
    // Eve takes the nickname bob after bob left.
    w.connect_as(3, None, "eve-id");
    w.join(3, "lobby", "bob").unwrap();
    assert_eq!(code(w.join(3, &dm, "bob")), Some(ErrorCode::PrivateRoom));
    assert_eq!(
        code(w.join(3, "dm:zzz:yyy", "bob")),
        Some(ErrorCode::InvalidRoom)
    );
    assert_eq!(code(w.join(3, "dm:", "bob")), Some(ErrorCode::InvalidRoom));
    // Bob comes back with his key from another connection and may.
    w.connect_as(4, None, "bob-id");
    assert!(w.join(4, &dm, "bob").is_ok());
}

/// Talking privately needs a shared room, someone in it, and someone other than yourself —
/// also when "someone else" is your own second connection.
#[test]
fn open_private_refuses_yourself_absent_people_and_rooms_you_are_not_in() {
    let mut w = World::new();
    w.connect_as(1, None, "ann-id");
    w.connect_as(2, None, "ann-id");
    w.connect_as(3, None, "bob-id");
    w.join(1, "lobby", "ann").unwrap();
    w.join(2, "lobby", "ann-phone").unwrap();
    assert_eq!(
        code(open_private(&mut w, 1, "lobby", "ann")),
        Some(ErrorCode::PrivateToSelf)
    );
    assert_eq!(
        code(open_private(&mut w, 1, "lobby", "ann-phone")),
        Some(ErrorCode::PrivateToSelf)
    );
    assert_eq!(
        code(open_private(&mut w, 1, "lobby", "carol")),
        Some(ErrorCode::NotInRoom)
    );
    assert_eq!(
        code(open_private(&mut w, 3, "lobby", "ann")),
        Some(ErrorCode::NotInRoom)
    );
}

/// In a cluster every node applies the same inputs: a message's id must come out the same on
/// each (derived from room, seq and time), while a single host keeps drawing random ones.
#[test]
fn cluster_nodes_give_a_message_the_same_id() {
    let id = |derived, seq| super::message_id(derived, "lobby", seq, 1_000);
    assert_eq!(id(true, 7), id(true, 7));
    assert_ne!(id(true, 7), id(true, 8));
    assert_eq!(id(true, 7).len(), 36, "shaped like a UUID");
    assert_ne!(id(false, 7), id(false, 7));
}
