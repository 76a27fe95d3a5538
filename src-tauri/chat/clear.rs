//! The host clears a room's history (`Input::HostClear`, from the host's moderation view,
//! authorised like a kick): a `clear` notice is posted, and every message before it goes — from
//! the room's cache once the batch is stored, from the store in the same transaction
//! (`Store::commit`), and from every client that sees the notice (live, in a join's history or
//! in a `since` catch-up alike). Members stay; seqs go on from the notice.

use super::{Batch, Chat, Ctx, Post};
use crate::protocol::{ErrorCode, Kind, WireError};

impl Chat {
    pub(super) fn host_clear(
        &mut self,
        room: &str,
        by: &str,
        ctx: &Ctx,
        b: &mut Batch,
    ) -> Result<usize, WireError> {
        if self.rooms.get(room).is_none_or(|r| r.last_seq == 0) {
            return Err(WireError::new(
                ErrorCode::NoSuchMessage,
                format!("{room} has no history to clear"),
            ));
        }
        let post = Post::notice(
            Kind::Clear,
            by,
            format!("{by} cleared the history of {}", super::shown_name(room)),
        );
        let i = self.post(room, post, ctx, b)?;
        b.cleared.push((room.to_owned(), b.stored[i].seq));
        Ok(i)
    }
}
