//! `typing`: members tell the rest of the room they are typing; nothing is stored.

use super::{Batch, Chat, ConnId, Done, Effect};
use crate::protocol::{ErrorCode, Typing, TypingRequest, WireError};

impl Chat {
    pub(super) fn typing(
        &mut self,
        conn: ConnId,
        req: TypingRequest,
        b: &mut Batch,
    ) -> Result<Done, WireError> {
        let nick = self
            .nick_in(conn, &req.room)
            .cloned()
            .ok_or(ErrorCode::NotInRoom)?;
        b.effects.push(Effect::Typing {
            from: conn,
            notice: Typing {
                room: req.room,
                nick_name: nick,
                typing: req.typing,
            },
        });
        Ok(Done::Typing)
    }
}
