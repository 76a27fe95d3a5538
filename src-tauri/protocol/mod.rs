//! The wire protocol in one place: event names, payload types and error codes shared by the
//! server, the Rust client and (mirrored in `ui/src/protocol.ts`) the UI. See docs/protocol.md.

mod validate;

pub use validate::{
    Limits, clean_client_id, clean_message, clean_nick, clean_room, parse_join, parse_leave,
    parse_send, parse_typing,
};

use serde::{Deserialize, Serialize};

/// Event names, client → server and server → client.
pub mod events {
    pub const JOIN_ROOM: &str = "joinRoom";
    pub const SEND_MESSAGE: &str = "sendMessage";
    pub const LEAVE_ROOM: &str = "leaveRoom";
    pub const TYPING: &str = "typing";
    pub const PING: &str = "ping";

    pub const MESSAGE: &str = "message";
    pub const PRESENCE: &str = "presence";
    pub const REQUEST_ERROR: &str = "requestError";
    pub const KICKED: &str = "kicked";
    pub const SERVER_CLOSING: &str = "serverClosing";
}

/// What a room message is: a chat line or a notice about the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Chat,
    Join,
    Leave,
    Kick,
    System,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Chat => "chat",
            Kind::Join => "join",
            Kind::Leave => "leave",
            Kind::Kick => "kick",
            Kind::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "chat" => Kind::Chat,
            "join" => Kind::Join,
            "leave" => Kind::Leave,
            "kick" => Kind::Kick,
            "system" => Kind::System,
            _ => return None,
        })
    }
}

/// A room message as stored and as sent in the `message` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    pub room: String,
    pub seq: u64,
    pub ts: i64,
    pub kind: Kind,
    pub nick_name: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub history: bool,
}

/// `joinRoom` request, after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    pub room: String,
    pub nick: String,
    pub since: Option<u64>,
}

/// `sendMessage` request, after validation. The payload's `nickName` is deliberately dropped:
/// the server uses the nickname bound at join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRequest {
    pub room: String,
    pub text: String,
    pub client_id: Option<String>,
}

/// `typing` request, after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypingRequest {
    pub room: String,
    pub typing: bool,
}

/// Ack of a successful `joinRoom`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinAck {
    pub room: String,
    pub nick_name: String,
    pub last_seq: u64,
    pub members: Vec<String>,
}

/// Ack of a successful `sendMessage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendAck {
    pub id: String,
    pub seq: u64,
    pub ts: i64,
    pub duplicate: bool,
}

/// A room's whole member list: what clients keep, from the join ack plus `presence` deltas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Members {
    pub room: String,
    pub members: Vec<String>,
}

/// `presence` event: who joined and who left a room since the last one (sorted lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Presence {
    pub room: String,
    pub joined: Vec<String>,
    pub left: Vec<String>,
}

impl Members {
    /// Applies a `presence` delta, keeping the list sorted and free of repeats.
    pub fn apply(&mut self, p: &Presence) {
        self.members.retain(|n| !p.left.contains(n));
        for n in &p.joined {
            if let Err(i) = self.members.binary_search(n) {
                self.members.insert(i, n.clone());
            }
        }
    }
}

/// `typing` event, server → client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Typing {
    pub room: String,
    pub nick_name: String,
    pub typing: bool,
}

/// `kicked` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Kicked {
    pub room: String,
    pub by: String,
    pub reason: String,
}

/// `serverClosing` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerClosing {
    pub message: String,
}

/// `requestError` event: a request sent without an ack callback failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestError {
    pub event: String,
    pub code: String,
    pub message: String,
}

/// `GET /api/info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    pub server: String,
    pub name: String,
    pub version: String,
    pub password_required: bool,
    pub rooms: Vec<RoomInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomInfo {
    pub name: String,
    pub members: usize,
}

/// Stable error codes on the wire. The `Display` text is the human sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
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

/// The `error` object inside a failed ack: `{code, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    pub code: String,
    pub message: String,
}

impl WireError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        WireError {
            code: code.as_str().to_owned(),
            message: message.into(),
        }
    }
}

impl From<ErrorCode> for WireError {
    fn from(code: ErrorCode) -> Self {
        WireError::new(code, code.to_string())
    }
}

/// Builds the ack body `{ok: true, ...fields}`.
pub fn ok_ack<T: Serialize>(body: &T) -> serde_json::Value {
    let mut v = serde_json::to_value(body).unwrap_or(serde_json::Value::Null);
    match v.as_object_mut() {
        Some(map) => {
            map.insert("ok".into(), serde_json::Value::Bool(true));
            v
        }
        None => serde_json::json!({ "ok": true }),
    }
}

/// Builds the ack body `{ok: false, error: {code, message}}`.
pub fn err_ack(err: &WireError) -> serde_json::Value {
    serde_json::json!({ "ok": false, "error": err })
}

/// Refusal reasons sent in `connect_error.message`.
pub mod connect_errors {
    pub const PASSWORD_REQUIRED: &str = "password_required";
    pub const BAD_PASSWORD: &str = "bad_password";
    pub const SERVER_FULL: &str = "server_full";
}
