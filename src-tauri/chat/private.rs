//! Private conversations: `openPrivate` names the room two users talk in (from the user id of
//! someone in a room you share), only those two users may join it, and a message there invites
//! the other user's connections that are not in it yet. Nicknames never grant access: the room
//! is named after user ids (`protocol::private_room`).

use super::{Batch, Chat, ConnId, Done, Effect};
use crate::protocol::{
    ErrorCode, OpenPrivateRequest, PrivateInvite, PrivateOpened, WireError, is_private,
    private_pair, private_room,
};

/// A room's name in notices: a private room's `dm:<id>:<id>` means nothing to people.
pub(super) fn shown_name(room: &str) -> &str {
    if is_private(room) {
        "the private conversation"
    } else {
        room
    }
}

impl Chat {
    pub(super) fn open_private(
        &self,
        conn: ConnId,
        req: OpenPrivateRequest,
    ) -> Result<Done, WireError> {
        let (_, me) = self.actor(conn, &req.room, "talking to its members")?;
        let them = self
            .rooms
            .get(&req.room)
            .and_then(|r| r.members.get(&req.nick))
            .and_then(|m| self.peers.get(&m.conn))
            .map(|p| p.user.clone())
            .ok_or_else(|| {
                WireError::new(
                    ErrorCode::NotInRoom,
                    format!("{} is not in {}", req.nick, req.room),
                )
            })?;
        if them == me {
            return Err(ErrorCode::PrivateToSelf.into());
        }
        Ok(Done::PrivateOpened(PrivateOpened {
            room: private_room(&me, &them),
            nick_name: req.nick,
        }))
    }

    /// May `conn` join `room`? Ordinary rooms: yes. Private rooms: only their two users; a
    /// malformed private name is no room at all.
    pub(super) fn may_join(&self, conn: ConnId, room: &str) -> Result<(), WireError> {
        if !is_private(room) {
            return Ok(());
        }
        let Some((a, b)) = private_pair(room) else {
            return Err(WireError::new(
                ErrorCode::InvalidRoom,
                "room names starting with \"dm:\" are private conversations: open one with openPrivate",
            ));
        };
        match self.peers.get(&conn) {
            Some(p) if p.user == a || p.user == b => Ok(()),
            _ => Err(ErrorCode::PrivateRoom.into()),
        }
    }

    /// After a message from `nick` in private `room`: every connection of the other user that is
    /// not in the room is invited to it. A scan of the connections — private messages are rare
    /// next to room traffic, and a LAN host has thousands of connections at most.
    pub(super) fn invite_other(&self, room: &str, nick: &str, author: &str, b: &mut Batch) {
        let Some((x, y)) = private_pair(room) else {
            return;
        };
        let other = if author == x { y } else { x };
        let mut to: Vec<ConnId> = self
            .peers
            .iter()
            .filter(|(_, p)| p.user == other && !p.rooms.contains_key(room))
            .map(|(c, _)| *c)
            .collect();
        to.sort_unstable();
        for conn in to {
            b.effects.push(Effect::PrivateInvite {
                to: conn,
                invite: PrivateInvite {
                    room: room.to_owned(),
                    nick_name: nick.to_owned(),
                    last_seq: None,
                },
            });
        }
    }
}
