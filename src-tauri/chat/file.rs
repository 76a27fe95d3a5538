//! Files in rooms, the rules only: who may get an upload ticket (a member, under the nickname
//! they joined with) and how a finished file is posted (like a send: a seq, history, clientId
//! dedupe; refused to a nickname the host kicked). The bytes, the disk and the quota are the
//! server's files service; nothing here does I/O.

use super::{Ban, Batch, Chat, ConnId, Ctx, Done, Post};
use crate::protocol::{
    ErrorCode, FileMeta, FileUploadRequest, Kind, SendAck, WireError, file_line,
};

/// A member may upload this file to this room: what the files service needs to issue a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadGrant {
    /// Whose ticket it is, for the per-connection limit.
    pub conn: ConnId,
    /// The nickname the connection joined the room with: the file is posted under it.
    pub nick: String,
    /// Its public user id: the file message is theirs to delete.
    pub user: String,
    pub req: FileUploadRequest,
}

/// A stored file to announce in its room, on behalf of the ticket's holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePost {
    pub room: String,
    pub nick: String,
    /// The sender's clientId, or one the host made for the upload: posting twice (a retried
    /// last `PATCH`, a restart between storing and posting) gives the first message's ack.
    pub client_id: String,
    pub file: FileMeta,
    /// The uploader's public user id, when the ticket knows it (tickets from before
    /// identities do not): who may delete the file message.
    pub user: Option<String>,
}

impl Chat {
    /// `fileUpload`: members only. A clientId this member already posted in the room answers
    /// with that message's ack instead of a new ticket.
    pub(super) fn file_upload(
        &mut self,
        conn: ConnId,
        req: FileUploadRequest,
    ) -> Result<Done, WireError> {
        let (nick, duplicate) = self.poster(
            conn,
            &req.room,
            req.client_id.as_deref(),
            "sharing files in it",
        )?;
        if let Some(ack) = duplicate {
            return Ok(Done::UploadPosted(ack));
        }
        let user = self
            .peers
            .get(&conn)
            .map(|p| p.user.clone())
            .unwrap_or_default();
        Ok(Done::UploadAllowed(UploadGrant {
            conn,
            nick,
            user,
            req,
        }))
    }

    /// Posts a finished file. The ticket is the authority — its holder may have disconnected
    /// while the bytes were sent over HTTP, or the host restarted — but a nickname the host
    /// kicked from the room meanwhile does not get it posted.
    pub(super) fn post_file(
        &mut self,
        post: FilePost,
        ctx: &Ctx,
        b: &mut Batch,
    ) -> Result<(SendAck, Option<usize>), WireError> {
        let room = self
            .rooms
            .get_mut(&post.room)
            .ok_or(ErrorCode::StorageFailed)?;
        if let Some(ack) = room.duplicate_of(&post.nick, &post.client_id) {
            return Ok((ack.clone(), None));
        }
        if room.is_banned(&[Ban::Nick(post.nick.clone())], ctx.now) {
            return Err(WireError::new(
                ErrorCode::Kicked,
                "the host removed you from this room; the file was not posted",
            ));
        }
        let p = Post {
            kind: Kind::File,
            nick: post.nick,
            text: file_line(&post.file.name, post.file.size),
            client_id: Some(post.client_id),
            file: Some(post.file),
            user: post.user,
            ..Post::default()
        };
        self.post_acked(&post.room, p, ctx, b)
    }
}
