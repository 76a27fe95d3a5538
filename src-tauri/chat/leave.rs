//! `leaveRoom` and a connection going away: the member leaves, the room is told.

use super::{Batch, Chat, ConnId, Ctx, Done, Effect, Post};
use crate::protocol::{ErrorCode, Kind, WireError};

impl Chat {
    pub(super) fn leave(
        &mut self,
        conn: ConnId,
        room: String,
        ctx: &Ctx,
        b: &mut Batch,
    ) -> Result<Done, WireError> {
        if self.nick_in(conn, &room).is_none() {
            return Err(ErrorCode::NotInRoom.into());
        }
        self.remove_member(conn, &room, Kind::Leave, None, ctx, b);
        b.effects.push(Effect::Unsubscribe {
            conn,
            room: room.clone(),
        });
        Ok(Done::Left { room })
    }

    pub(super) fn disconnect(&mut self, conn: ConnId, ctx: &Ctx, b: &mut Batch) {
        if let Some(p) = self.peers.remove(&conn) {
            let mut rooms: Vec<String> = p.rooms.into_keys().collect();
            rooms.sort();
            for room in rooms {
                self.remove_member(conn, &room, Kind::Leave, None, ctx, b);
            }
        }
    }

    /// Takes `conn` out of `room` (if it still holds its nickname there) and posts the notice.
    pub(super) fn remove_member(
        &mut self,
        conn: ConnId,
        room: &str,
        kind: Kind,
        notice: Option<String>,
        ctx: &Ctx,
        b: &mut Batch,
    ) {
        if let Some(p) = self.peers.get_mut(&conn) {
            p.rooms.remove(room);
        }
        let Some(nick) = self
            .rooms
            .get(room)
            .and_then(|r| r.nick_of(conn))
            .map(str::to_owned)
        else {
            return;
        };
        self.note_roster(room, b);
        if let Some(r) = self.rooms.get_mut(room) {
            r.members.remove(&nick);
        }
        let text = notice.unwrap_or_else(|| format!("{nick} left {}", super::shown_name(room)));
        if let Err(e) = self.post(room, Post::notice(kind, &nick, text), ctx, b) {
            tracing::warn!("could not post the leave notice in {room}: {}", e.message);
        }
    }
}
