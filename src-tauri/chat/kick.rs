//! The host removes a member: they leave with a notice, are told why, and may not come back —
//! under that nickname, from that connection or from that client — for the ban's length.

use super::{Ban, Batch, Chat, Ctx, Effect};
use crate::protocol::{ErrorCode, Kicked, Kind, WireError};

impl Chat {
    pub(super) fn kick(
        &mut self,
        room: &str,
        nick: &str,
        by: &str,
        ctx: &Ctx,
        b: &mut Batch,
    ) -> Result<(), WireError> {
        let Some(member) = self
            .rooms
            .get(room)
            .and_then(|r| r.members.get(nick))
            .cloned()
        else {
            return Err(WireError::new(
                ErrorCode::NotInRoom,
                format!("{nick} is not in {room}"),
            ));
        };
        let until = ctx.now + self.cfg.kick_ban;
        if let Some(r) = self.rooms.get_mut(room) {
            r.banned.insert(Ban::Nick(nick.to_owned()), until);
            r.banned.insert(Ban::Conn(member.conn), until);
            if let Some(session) = member.session {
                r.banned.insert(Ban::Session(session), until);
            }
        }
        let notice = format!("{nick} was removed by {by}");
        self.remove_member(member.conn, room, Kind::Kick, Some(notice), ctx, b);
        b.effects.push(Effect::Kicked {
            to: member.conn,
            notice: Kicked {
                room: room.to_owned(),
                by: by.to_owned(),
                reason: "removed by the host".into(),
            },
        });
        b.effects.push(Effect::Unsubscribe {
            conn: member.conn,
            room: room.to_owned(),
        });
        Ok(())
    }
}
