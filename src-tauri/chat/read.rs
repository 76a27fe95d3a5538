//! `history` and `search`: reading a room's past is for its members only. The rule is all that
//! runs on the hub; the read itself (SQLite, maybe milliseconds) is the server's, off the hub
//! (`server/reads.rs`), so a flood of reads cannot hold up anyone's messages.

use super::{Chat, ConnId, Done};
use crate::protocol::{ErrorCode, HistoryRequest, SearchRequest, WireError};

/// A read a member may make, for the server to perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    History(HistoryRequest),
    Search(SearchRequest),
}

impl Read {
    pub fn room(&self) -> &str {
        match self {
            Read::History(h) => &h.room,
            Read::Search(s) => &s.room,
        }
    }
}

impl Chat {
    /// Members only: a connection that has not joined the room (or left it, or was kicked) is
    /// refused `not_in_room`, so a password or a kick applies to the past as to the present.
    pub(super) fn read(&self, conn: ConnId, read: Read) -> Result<Done, WireError> {
        if self.nick_in(conn, read.room()).is_none() {
            return Err(WireError::new(
                ErrorCode::NotInRoom,
                format!("join {} before reading its history", read.room()),
            ));
        }
        Ok(Done::Read(read))
    }
}
