//! `deleteMessage`: the author (same user id) deletes their chat or file message; the host
//! deletes anyone's, from the window's controls (`Input::HostDelete`, authorised like a kick:
//! only the process that runs the server can send it). A deleted message stays as a
//! placeholder — its seq, author and time — without its text, file, reactions or edits' text.

use super::{Batch, Chat, ConnId, Ctx, Post};
use crate::protocol::{DeleteRequest, ErrorCode, Kind, WireError};

impl Chat {
    /// The delete row's index in the batch.
    pub(super) fn delete(
        &mut self,
        conn: ConnId,
        req: DeleteRequest,
        ctx: &Ctx,
        b: &mut Batch,
    ) -> Result<Option<usize>, WireError> {
        let (nick, user) = self.actor(conn, &req.room, "deleting in it")?;
        let t = self.target(&req.room, req.seq)?;
        if t.user_id.as_deref() != Some(user.as_str()) {
            return Err(WireError::new(
                ErrorCode::NotAuthor,
                "only the author (or the host) may delete a message",
            ));
        }
        let post = Post {
            kind: Kind::Delete,
            nick,
            user: Some(user),
            target: Some(req.seq),
            ..Post::default()
        };
        self.change(&req.room, req.seq, post, ctx, b).map(Some)
    }

    /// The host deletes message `seq` of `room`, whoever wrote it.
    pub(super) fn host_delete(
        &mut self,
        room: &str,
        seq: u64,
        by: &str,
        ctx: &Ctx,
        b: &mut Batch,
    ) -> Result<Option<usize>, WireError> {
        self.target(room, seq)?;
        let post = Post {
            kind: Kind::Delete,
            nick: by.to_owned(),
            target: Some(seq),
            ..Post::default()
        };
        self.change(room, seq, post, ctx, b).map(Some)
    }
}
