//! What edits, deletes, reactions and replies share: who is acting, finding the message a
//! request targets in its room (the cache, or a row the caller read from the store), and
//! posting the event row that changes it — folded into the message at once, in memory and (by
//! the caller, in the batch's transaction) in its stored row.

use super::fold::{fold, quote_of};
use super::{Batch, Chat, ConnId, Ctx, Post};
use crate::protocol::{ErrorCode, Kind, Message, WireError};

impl Chat {
    /// The member acting for `conn` in `room`: its nickname there and its user id.
    pub(super) fn actor(
        &self,
        conn: ConnId,
        room: &str,
        doing: &str,
    ) -> Result<(String, String), WireError> {
        let peer = self.peers.get(&conn);
        match (peer.and_then(|p| p.rooms.get(room)), peer) {
            (Some(nick), Some(p)) => Ok((nick.clone(), p.user.clone())),
            _ => Err(WireError::new(
                ErrorCode::NotInRoom,
                format!("join {room} before {doing}"),
            )),
        }
    }

    /// Message `seq` of `room`, if it is a chat or file message there that is not deleted:
    /// `no_such_message` otherwise (a notice, an event row, a seq never handed out, another
    /// room's), `message_deleted` for a deleted one.
    pub(super) fn target(&self, room: &str, seq: u64) -> Result<&Message, WireError> {
        let none = || {
            WireError::new(
                ErrorCode::NoSuchMessage,
                format!("{room} has no message #{seq}"),
            )
        };
        let m = self
            .rooms
            .get(room)
            .and_then(|r| r.find(seq))
            .ok_or_else(none)?;
        if !matches!(m.kind, Kind::Chat | Kind::File) {
            return Err(none());
        }
        if m.deleted {
            return Err(ErrorCode::MessageDeleted.into());
        }
        Ok(m)
    }

    /// Posts `post`, an event row for message `seq` of `room`, and folds it into that message.
    /// Returns the row's index in the batch.
    pub(super) fn change(
        &mut self,
        room: &str,
        seq: u64,
        post: Post,
        ctx: &Ctx,
        b: &mut Batch,
    ) -> Result<usize, WireError> {
        let i = self.post(room, post, ctx, b)?;
        let event = b.stored[i].clone();
        let r = self.rooms.get_mut(room).ok_or(ErrorCode::NoSuchMessage)?;
        let target = r.find_mut(seq).ok_or(ErrorCode::NoSuchMessage)?;
        b.originals
            .entry((room.to_owned(), seq))
            .or_insert_with(|| target.clone());
        fold(target, &event);
        let folded = target.clone();
        if matches!(event.kind, Kind::Edit | Kind::Delete) {
            r.requote(seq, &quote_of(&folded));
        }
        if event.kind == Kind::Delete {
            r.scrub_edits(seq);
        }
        b.updated.push(folded);
        Ok(i)
    }
}
