//! `sendMessage`: only members post, under the nickname they joined with and their user id; a
//! clientId seen before gets the original ack back instead of a second copy. A reply must
//! answer a chat or file message of the same room that is not deleted; `@nick` mentions of
//! the room's members are marked.

use super::fold::quote_of;
use super::{Batch, Chat, ConnId, Ctx, Post, mention};
use crate::protocol::{Kind, SendAck, SendRequest, WireError};

impl Chat {
    /// The ack, and the index of the stored message it depends on (none for a duplicate).
    pub(super) fn send(
        &mut self,
        conn: ConnId,
        req: SendRequest,
        ctx: &Ctx,
        b: &mut Batch,
    ) -> Result<(SendAck, Option<usize>), WireError> {
        let (nick, duplicate) =
            self.poster(conn, &req.room, req.client_id.as_deref(), "sending to it")?;
        if let Some(ack) = duplicate {
            return Ok((ack, None));
        }
        let (_, user) = self.actor(conn, &req.room, "sending to it")?;
        let reply = match req.reply_to {
            Some(seq) => Some(quote_of(self.target(&req.room, seq)?)),
            None => None,
        };
        let mentions = self
            .rooms
            .get(&req.room)
            .map(|r| mention::mentions(&req.text, &r.members))
            .unwrap_or_default();
        let post = Post {
            kind: Kind::Chat,
            nick,
            text: req.text,
            client_id: req.client_id,
            user: Some(user),
            reply,
            mentions,
            ..Post::default()
        };
        self.post_acked(&req.room, post, ctx, b)
    }
}
