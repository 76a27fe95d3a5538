//! `editMessage`: only the author — the same user id, whatever nickname they have now — changes
//! the text of a chat message that is not deleted; the new text follows `sendMessage`'s rules
//! (checked when parsed) and its mentions are marked again.

use super::{Batch, Chat, ConnId, Ctx, Post, mention};
use crate::protocol::{EditRequest, ErrorCode, Kind, WireError};

impl Chat {
    /// The edit row's index in the batch.
    pub(super) fn edit(
        &mut self,
        conn: ConnId,
        req: EditRequest,
        ctx: &Ctx,
        b: &mut Batch,
    ) -> Result<Option<usize>, WireError> {
        let (nick, user) = self.actor(conn, &req.room, "editing in it")?;
        let t = self.target(&req.room, req.seq)?;
        if t.kind != Kind::Chat {
            return Err(ErrorCode::NotEditable.into());
        }
        if t.user_id.as_deref() != Some(user.as_str()) {
            return Err(WireError::new(
                ErrorCode::NotAuthor,
                "only the author may edit a message",
            ));
        }
        let mentions = mention::mentions(&req.text, &self.rooms[&req.room].members);
        let post = Post {
            kind: Kind::Edit,
            nick,
            text: req.text,
            user: Some(user),
            target: Some(req.seq),
            mentions,
            ..Post::default()
        };
        self.change(&req.room, req.seq, post, ctx, b).map(Some)
    }
}
