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
        ] {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }
}
