//! `joinRoom`: who may hold a nickname, taking your own stale connection's place, kick bans,
//! the room limit per connection, and which history a joiner is replayed.

use super::{Ban, Batch, Chat, ConnId, Ctx, Done, Effect, Member, Post, shown_name, wire_size};
use crate::protocol::{ErrorCode, JoinAck, JoinRequest, Kicked, Kind, Message, WireError};

impl Chat {
    pub(super) fn join(
        &mut self,
        conn: ConnId,
        req: JoinRequest,
        backlog: Option<Vec<Message>>,
        ctx: &Ctx,
        b: &mut Batch,
    ) -> Result<Done, WireError> {
        self.may_join(conn, &req.room)?;
        let peer = self.peers.get(&conn);
        let session = peer.and_then(|p| p.session.clone());
        let plain = peer.is_some_and(|p| p.plain);
        // A rejoin of a room this connection is in (a catch-up) keeps its nickname.
        let current = self.nick_in(conn, &req.room).cloned();
        if let Some(held) = &current
            && held != &req.nick
        {
            return Err(WireError::new(
                ErrorCode::NickTaken,
                format!("you are already in {} as {held}", req.room),
            ));
        }
        if current.is_none() && peer.is_some_and(|p| p.rooms.len() >= self.cfg.max_rooms_per_conn) {
            return Err(WireError::new(
                ErrorCode::TooManyRooms,
                format!(
                    "a connection can be in at most {} rooms",
                    self.cfg.max_rooms_per_conn
                ),
            ));
        }
        let Some(room) = self.rooms.get_mut(&req.room) else {
            // The caller loads the room first; not having it means the store failed.
            return Err(ErrorCode::StorageFailed.into());
        };
        let mut who = vec![Ban::Nick(req.nick.clone()), Ban::Conn(conn)];
        who.extend(session.clone().map(Ban::Session));
        if room.is_banned(&who, ctx.now) {
            return Err(WireError::new(
                ErrorCode::Kicked,
                "the host removed you from this room; try again later",
            ));
        }
        // Who holds the nickname now: nobody, this connection, or someone else. The same
        // client (same session) or a dead connection gives it up to the newcomer.
        let mut takeover = None;
        if current.is_none()
            && let Some(holder) = room.members.get(&req.nick)
        {
            let same_client = session.is_some() && holder.session == session;
            if (ctx.live)(holder.conn) && !same_client {
                return Err(WireError::new(
                    ErrorCode::NickTaken,
                    format!("{} is already in {}", req.nick, req.room),
                ));
            }
            takeover = Some(holder.conn);
        }
        let history = match req.since {
            None => room.last_n(self.cfg.history_on_join),
            Some(since) => match room.cached_since(since) {
                Some(h) => h,
                None => backlog
                    .ok_or_else(|| WireError::from(ErrorCode::StorageFailed))?
                    .iter()
                    .map(super::as_history)
                    .collect(),
            },
        };
        let room_last = room.last_seq;
        let (history, more) = self.bounded_replay(conn, &req, history, room_last, ctx, b)?;
        let room = self.rooms.get_mut(&req.room).expect("checked above");
        b.roster
            .entry(req.room.clone())
            .or_insert_with(|| room.member_names());
        if let Some(old) = takeover {
            // The same user's stale connection leaves quietly; the new one takes its place.
            room.members.remove(&req.nick);
            if let Some(p) = self.peers.get_mut(&old) {
                p.rooms.remove(&req.room);
            }
            // Told, in case it is still there (another tab of the same browser, a half-open
            // link): it no longer holds the name here.
            b.effects.push(Effect::Kicked {
                to: old,
                notice: Kicked {
                    room: req.room.clone(),
                    by: req.nick.clone(),
                    reason: "you joined this room again from another connection".into(),
                },
            });
            b.effects.push(Effect::Unsubscribe {
                conn: old,
                room: req.room.clone(),
            });
        }
        let room = self.rooms.get_mut(&req.room).expect("checked above");
        room.members.insert(
            req.nick.clone(),
            Member {
                conn,
                session,
                plain,
            },
        );
        self.peers
            .entry(conn)
            .or_default()
            .rooms
            .insert(req.room.clone(), req.nick.clone());
        b.effects.push(Effect::History {
            to: conn,
            messages: history,
        });
        // A cut catch-up leaves the connection out of the room's broadcasts until the catch-up
        // that finishes it: live messages arriving now would skip past the part still owed,
        // and the client would take them as the latest.
        b.effects.push(if more {
            Effect::Unsubscribe {
                conn,
                room: req.room.clone(),
            }
        } else {
            Effect::Subscribe {
                conn,
                room: req.room.clone(),
            }
        });
        if current.is_none() && takeover.is_none() {
            let text = format!("{} joined {}", req.nick, shown_name(&req.room));
            self.post(&req.room, Post::notice(Kind::Join, &req.nick, text), ctx, b)?;
        }
        Ok(Done::Joined(JoinAck {
            last_seq: self.rooms[&req.room].last_seq,
            room: req.room,
            nick_name: req.nick,
            members: Vec::new(),
            unencrypted: Vec::new(),
            more,
            user_id: self.peers.get(&conn).map(|p| p.user.clone()),
        }))
    }

    /// What of `history` this join may replay, and whether a catch-up was cut short (`more`).
    ///
    /// A repeat of a replay already queued in this batch for the same connection and room
    /// sends nothing (the same messages are on their way). A replay is cut at
    /// `max_replay_bytes` — a catch-up keeps its oldest messages and says `more`, a plain join
    /// keeps the newest — and costs the connection replay credit; with none left the join is
    /// refused as `rate_limited`.
    fn bounded_replay(
        &mut self,
        conn: ConnId,
        req: &JoinRequest,
        mut history: Vec<Message>,
        room_last: u64,
        ctx: &Ctx,
        b: &mut Batch,
    ) -> Result<(Vec<Message>, bool), WireError> {
        let key = (conn, req.room.clone(), req.since);
        if let Some(&more) = b.replayed.get(&key) {
            return Ok((Vec::new(), more));
        }
        let max = self.cfg.max_replay_bytes;
        let mut bytes = 0;
        let fits = |m: &Message, bytes: &mut usize| {
            *bytes += wire_size(m);
            *bytes <= max
        };
        if req.since.is_some() {
            let keep = history.iter().take_while(|m| fits(m, &mut bytes)).count();
            history.truncate(keep.max(1));
        } else {
            let keep = history
                .iter()
                .rev()
                .take_while(|m| fits(m, &mut bytes))
                .count();
            history.drain(..history.len() - keep.max(1).min(history.len()));
        }
        let more = req.since.is_some() && history.last().is_some_and(|m| m.seq < room_last);
        b.replayed.insert(key, more);
        let cost: usize = history.iter().map(wire_size).sum();
        if cost > 0
            && let Some(peer) = self.peers.get_mut(&conn)
        {
            let (rate, burst) = self.cfg.replay_rate;
            let credit = match peer.credit_at {
                None => burst,
                Some(t) => {
                    let elapsed = ctx.now.saturating_duration_since(t).as_secs_f64();
                    (peer.replay_credit + elapsed * rate).min(burst)
                }
            };
            if credit <= 0.0 {
                return Err(WireError::new(
                    ErrorCode::RateLimited,
                    "you are catching up on history too fast; try again in a moment",
                ));
            }
            peer.replay_credit = credit - cost as f64;
            peer.credit_at = Some(ctx.now);
        }
        Ok((history, more))
    }
}
