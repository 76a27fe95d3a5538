//! Stable error codes on the wire and the `{code, message}` error every refusal carries.

use serde::{Deserialize, Serialize};

/// Stable error codes on the wire (snake_case). The `Display` text is the human sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    #[error("the request payload is malformed")]
    InvalidPayload,
    #[error("room names must be 1 to 64 characters with no control characters")]
    InvalidRoom,
    #[error("nicknames must be 1 to 32 characters with no control characters")]
    InvalidNick,
    #[error("messages cannot be empty or contain control characters")]
    InvalidMessage,
    #[error("the message is longer than this server allows")]
    MessageTooLong,
    #[error("clientId must be 1 to 64 characters")]
    InvalidClientId,
    #[error("someone in this room already uses that nickname")]
    NickTaken,
    #[error("you have not joined that room")]
    NotInRoom,
    #[error("you have joined too many rooms on this server")]
    TooManyRooms,
    #[error("you are sending too fast; slow down")]
    RateLimited,
    #[error("the host removed you from this room")]
    Kicked,
    #[error("the server does not know that event")]
    UnknownEvent,
    #[error("the server could not store the message; it was not sent")]
    StorageFailed,
    #[error("the server is shutting down")]
    ShuttingDown,
    #[error("this host does not accept files")]
    FilesDisabled,
    #[error("the file is larger than this host accepts")]
    FileTooLarge,
    #[error("the host has no room left for files")]
    QuotaExceeded,
    #[error("too many uploads are unfinished; finish or cancel one first")]
    TooManyUploads,
    #[error("there is no such upload or file (finished, cancelled, expired or never there)")]
    NotFound,
    #[error("the upload is not at that offset")]
    OffsetMismatch,
    #[error("this link is not valid")]
    Forbidden,
    #[error("the upload stopped sending")]
    UploadStalled,
    #[error("there is no such message in this room")]
    NoSuchMessage,
    #[error("only the author may do that to this message")]
    NotAuthor,
    #[error("only chat messages can be edited")]
    NotEditable,
    #[error("that message was deleted")]
    MessageDeleted,
    #[error("a reaction must be one emoji")]
    InvalidEmoji,
    #[error("this message already has as many different reactions as it may have")]
    TooManyReactions,
    #[error("you cannot talk privately with yourself")]
    PrivateToSelf,
    #[error("that is a private conversation between two other people")]
    PrivateRoom,
    #[error("this host accepts only encrypted connections: use https://")]
    TlsRequired,
    #[error(
        "the search must have a word to look for, at most 200 characters, no control characters"
    )]
    InvalidQuery,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidPayload => "invalid_payload",
            ErrorCode::InvalidRoom => "invalid_room",
            ErrorCode::InvalidNick => "invalid_nick",
            ErrorCode::InvalidMessage => "invalid_message",
            ErrorCode::MessageTooLong => "message_too_long",
            ErrorCode::InvalidClientId => "invalid_client_id",
            ErrorCode::NickTaken => "nick_taken",
            ErrorCode::NotInRoom => "not_in_room",
            ErrorCode::TooManyRooms => "too_many_rooms",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Kicked => "kicked",
            ErrorCode::UnknownEvent => "unknown_event",
            ErrorCode::StorageFailed => "storage_failed",
            ErrorCode::ShuttingDown => "shutting_down",
            ErrorCode::FilesDisabled => "files_disabled",
            ErrorCode::FileTooLarge => "file_too_large",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::TooManyUploads => "too_many_uploads",
            ErrorCode::NotFound => "not_found",
            ErrorCode::OffsetMismatch => "offset_mismatch",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::TlsRequired => "tls_required",
            ErrorCode::UploadStalled => "upload_stalled",
            ErrorCode::NoSuchMessage => "no_such_message",
            ErrorCode::NotAuthor => "not_author",
            ErrorCode::NotEditable => "not_editable",
            ErrorCode::MessageDeleted => "message_deleted",
            ErrorCode::InvalidEmoji => "invalid_emoji",
            ErrorCode::TooManyReactions => "too_many_reactions",
            ErrorCode::PrivateToSelf => "private_to_self",
            ErrorCode::PrivateRoom => "private_room",
            ErrorCode::InvalidQuery => "invalid_query",
        }
    }

    /// The HTTP status that goes with this code on the file routes (docs/protocol.md, "Files").
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::NotInRoom | ErrorCode::Kicked | ErrorCode::Forbidden => 403,
            ErrorCode::PrivateRoom => 403,
            ErrorCode::FilesDisabled | ErrorCode::TlsRequired => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::UploadStalled => 408,
            ErrorCode::OffsetMismatch => 409,
            ErrorCode::FileTooLarge => 413,
            ErrorCode::RateLimited | ErrorCode::TooManyUploads => 429,
            ErrorCode::StorageFailed => 500,
            ErrorCode::ShuttingDown => 503,
            ErrorCode::QuotaExceeded => 507,
            _ => 400,
        }
    }
}

/// The `error` object inside a failed ack, and every refusal inside lanchat: `{code, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[error("{message}")]
pub struct WireError {
    pub code: ErrorCode,
    pub message: String,
}

impl WireError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        WireError {
            code,
            message: message.into(),
        }
    }
}

impl From<ErrorCode> for WireError {
    fn from(code: ErrorCode) -> Self {
        WireError::new(code, code.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code serialises to the string `as_str` names (the wire and the docs agree).
    #[test]
    fn wire_names_match_serde() {
        use ErrorCode::*;
        for c in [
            InvalidPayload,
            InvalidRoom,
            InvalidNick,
            InvalidMessage,
            MessageTooLong,
            InvalidClientId,
            NickTaken,
            NotInRoom,
            TooManyRooms,
            RateLimited,
            Kicked,
            UnknownEvent,
            StorageFailed,
            ShuttingDown,
            FilesDisabled,
            FileTooLarge,
            QuotaExceeded,
            TooManyUploads,
            NotFound,
            OffsetMismatch,
            Forbidden,
            UploadStalled,
            NoSuchMessage,
            NotAuthor,
            NotEditable,
            MessageDeleted,
            InvalidEmoji,
            TooManyReactions,
            PrivateToSelf,
            PrivateRoom,
            TlsRequired,
            InvalidQuery,
        ] {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }
}
