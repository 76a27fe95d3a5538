//! `react`: a member adds or takes back one emoji on a chat or file message. Each user counts
//! once per emoji (a second "on" changes nothing and posts no row); a message holds at most
//! `MAX_REACTIONS` different emoji. The emoji itself was checked when parsed (`clean_emoji`).

use super::fold::has_reacted;
use super::{Batch, Chat, ConnId, Ctx, Post};
use crate::protocol::{ErrorCode, Kind, MAX_REACTIONS, ReactRequest, WireError};

impl Chat {
    /// The reaction row's index in the batch, or `None` when it changed nothing.
    pub(super) fn react(
        &mut self,
        conn: ConnId,
        req: ReactRequest,
        ctx: &Ctx,
        b: &mut Batch,
    ) -> Result<Option<usize>, WireError> {
        let (nick, user) = self.actor(conn, &req.room, "reacting in it")?;
        let t = self.target(&req.room, req.seq)?;
        if has_reacted(t, &user, &req.emoji) == req.on {
            return Ok(None);
        }
        if req.on
            && t.reactions.len() >= MAX_REACTIONS
            && !t.reactions.iter().any(|r| r.emoji == req.emoji)
        {
            return Err(WireError::new(
                ErrorCode::TooManyReactions,
                format!("a message can have at most {MAX_REACTIONS} different reactions"),
            ));
        }
        let post = Post {
            kind: if req.on { Kind::React } else { Kind::Unreact },
            nick,
            text: req.emoji,
            user: Some(user),
            target: Some(req.seq),
            ..Post::default()
        };
        self.change(&req.room, req.seq, post, ctx, b).map(Some)
    }
}
