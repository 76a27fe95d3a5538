//! `sendMessage`: only members post, under the nickname they joined with; a clientId seen
//! before gets the original ack back instead of a second copy.

use super::{Batch, Chat, ConnId, Ctx, Post};
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
        let post = Post {
            kind: Kind::Chat,
            nick,
            text: req.text,
            client_id: req.client_id,
            file: None,
        };
        self.post_acked(&req.room, post, ctx, b)
    }
}
