//! The wire protocol in one place: event names, payload types and error codes shared by the
//! server, the Rust client and the UI (whose types are generated from these: `ui/src/generated/`,
//! checked by the `typescript` test). See docs/protocol.md.

mod conversation;
mod errors;
mod file;
mod history;
#[doc(hidden)]
pub mod invariants;
mod private;
mod request;
mod validate;

pub use conversation::{
    DeleteRequest, EditRequest, MAX_EMOJI_BYTES, MAX_REACTIONS, QUICK_EMOJI, QUOTE_CHARS, Quote,
    ReactRequest, Reaction, Reactor, UpdateAck,
};
pub use errors::{ErrorCode, WireError};
pub use file::{FileMeta, FileUploadAck, FileUploadRequest, UploadTicket, file_line, human_size};
pub use history::{
    DEFAULT_HITS, DEFAULT_PAGE, HIT_END, HIT_START, HistoryPage, HistoryRequest, MAX_HITS,
    MAX_PAGE, MAX_QUERY_CHARS, MAX_QUERY_TERMS, PageAt, SearchHit, SearchRequest, SearchResults,
};
pub use private::{
    OpenPrivateRequest, PRIVATE_PREFIX, PrivateInvite, PrivateOpened, is_private, private_pair,
    private_room,
};
pub use request::Request;
pub use validate::{
    DEFAULT_MAX_FILE_BYTES, Limits, MAX_FILE_NAME_BYTES, MAX_NICK_CHARS, clean_client_id,
    clean_emoji, clean_file_name, clean_message, clean_mime, clean_nick, clean_query, clean_room,
    fingerprint, parse_delete, parse_edit, parse_file_upload, parse_history, parse_join,
    parse_leave, parse_open_private, parse_react, parse_search, parse_send, parse_typing,
    query_terms,
};

use serde::{Deserialize, Serialize};

/// Event names, client → server and server → client.
pub mod events {
    pub const JOIN_ROOM: &str = "joinRoom";
    pub const SEND_MESSAGE: &str = "sendMessage";
    pub const LEAVE_ROOM: &str = "leaveRoom";
    pub const TYPING: &str = "typing";
    pub const PING: &str = "ping";
    /// Asks for an upload ticket; the file itself goes over HTTP (docs/protocol.md, "Files").
    pub const FILE_UPLOAD: &str = "fileUpload";
    /// Conversations (docs/protocol.md, "Conversations").
    pub const EDIT_MESSAGE: &str = "editMessage";
    pub const DELETE_MESSAGE: &str = "deleteMessage";
    pub const REACT: &str = "react";
    /// Private conversations (docs/protocol.md, "Private conversations").
    pub const OPEN_PRIVATE: &str = "openPrivate";
    /// A page of a room's older messages (scrollback, or around a seq).
    pub const HISTORY: &str = "history";
    /// Full-text search in a room.
    pub const SEARCH: &str = "search";

    /// Every client → server event, the one list handlers are registered from.
    pub const CLIENT: [&str; 12] = [
        JOIN_ROOM,
        SEND_MESSAGE,
        LEAVE_ROOM,
        TYPING,
        PING,
        FILE_UPLOAD,
        EDIT_MESSAGE,
        DELETE_MESSAGE,
        REACT,
        OPEN_PRIVATE,
        HISTORY,
        SEARCH,
    ];

    pub const MESSAGE: &str = "message";
    /// An event row (edit, delete, reaction): a separate event name, so the tutorial's clients
    /// (which print every `message`) never show one as a chat line.
    pub const MESSAGE_UPDATE: &str = "messageUpdate";
    pub const PRESENCE: &str = "presence";
    pub const PRIVATE_INVITE: &str = "privateInvite";
    pub const REQUEST_ERROR: &str = "requestError";
    pub const KICKED: &str = "kicked";
    pub const SERVER_CLOSING: &str = "serverClosing";
}

/// What a room message is: a chat line or a notice about the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Chat,
    Join,
    Leave,
    Kick,
    System,
    /// A file someone shared: the message carries [`FileMeta`] in `file`, and its text is a
    /// readable line ("📎 report.pdf (1.2 MB)") for clients that only show text.
    File,
    /// Event rows (sent as `messageUpdate`, with `target`): the author changed the text …
    Edit,
    /// … the author or the host deleted the message …
    Delete,
    /// … someone added (`react`) or took back (`unreact`) the emoji in `message`.
    React,
    Unreact,
    /// A notice that the host cleared the room's history: every message before it is gone
    /// (from the host's store, and clients drop what they hold of it).
    Clear,
}

impl Kind {
    /// An event row: it changes the message in `target` and is not shown as a line of its own.
    pub fn is_event(self) -> bool {
        matches!(
            self,
            Kind::Edit | Kind::Delete | Kind::React | Kind::Unreact
        )
    }

    /// The event a row of this kind goes out as.
    pub fn event_name(self) -> &'static str {
        if self.is_event() {
            events::MESSAGE_UPDATE
        } else {
            events::MESSAGE
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Chat => "chat",
            Kind::Join => "join",
            Kind::Leave => "leave",
            Kind::Kick => "kick",
            Kind::System => "system",
            Kind::File => "file",
            Kind::Edit => "edit",
            Kind::Delete => "delete",
            Kind::React => "react",
            Kind::Unreact => "unreact",
            Kind::Clear => "clear",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "chat" => Kind::Chat,
            "join" => Kind::Join,
            "leave" => Kind::Leave,
            "kick" => Kind::Kick,
            "system" => Kind::System,
            "file" => Kind::File,
            "edit" => Kind::Edit,
            "delete" => Kind::Delete,
            "react" => Kind::React,
            "unreact" => Kind::Unreact,
            "clear" => Kind::Clear,
            _ => return None,
        })
    }
}

/// A room message as stored and as sent in the `message` event (event rows: `messageUpdate`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
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
    #[cfg_attr(test, ts(optional))]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(test, ts(as = "Option<bool>", optional))]
    pub history: bool,
    /// The shared file, on `kind: "file"` messages only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub file: Option<FileMeta>,
    /// The author's public id (docs/security.md, "Identity"): who may edit it. Absent on
    /// notices and on messages stored before identities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub user_id: Option<String>,
    /// On event rows only: the seq of the message the row changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub target: Option<u64>,
    /// The message this one replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub reply: Option<Quote>,
    /// Nicknames `@mentioned` in the text that were members of the room when it was sent (or
    /// last edited).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(as = "Option<Vec<String>>", optional))]
    pub mentions: Vec<String>,
    /// Folded state: when the text was last edited (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub edited_ts: Option<i64>,
    /// Folded state: deleted (its text, file and reactions are gone).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(test, ts(as = "Option<bool>", optional))]
    pub deleted: bool,
    /// Folded state: reactions, in the order each emoji first appeared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(as = "Option<Vec<Reaction>>", optional))]
    pub reactions: Vec<Reaction>,
}

/// `joinRoom` request, after validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    pub room: String,
    pub nick: String,
    pub since: Option<u64>,
}

/// `sendMessage` request, after validation. The payload's `nickName` is deliberately dropped:
/// the server uses the nickname bound at join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRequest {
    pub room: String,
    pub text: String,
    pub client_id: Option<String>,
    /// The seq of the message (in the same room) this one replies to.
    pub reply_to: Option<u64>,
}

/// `typing` request, after validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingRequest {
    pub room: String,
    pub typing: bool,
}

/// Ack of a successful `joinRoom`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct JoinAck {
    pub room: String,
    pub nick_name: String,
    pub last_seq: u64,
    pub members: Vec<String>,
    /// Members connected over plain HTTP (unencrypted), sorted; absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(optional, as = "Option<Vec<String>>"))]
    pub unencrypted: Vec<String>,
    /// The history replayed before this ack was cut at the server's byte budget: rejoin with
    /// `since` = the last seq received for the rest.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(test, ts(as = "Option<bool>", optional))]
    pub more: bool,
    /// The joiner's own public user id (so it knows which messages are its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub user_id: Option<String>,
}

/// Ack of a successful `sendMessage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SendAck {
    pub id: String,
    pub seq: u64,
    pub ts: i64,
    pub duplicate: bool,
}

/// A room's whole member list: what clients keep, from the join ack plus `presence` deltas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Members {
    pub room: String,
    pub members: Vec<String>,
    /// Those of `members` on an unencrypted link (plain HTTP guests); absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(optional, as = "Option<Vec<String>>"))]
    pub unencrypted: Vec<String>,
}

/// `presence` event: who joined and who left a room since the last one (sorted lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Presence {
    pub room: String,
    pub joined: Vec<String>,
    pub left: Vec<String>,
    /// Those of `joined` on an unencrypted link; absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(optional, as = "Option<Vec<String>>"))]
    pub unencrypted: Vec<String>,
}

impl Members {
    /// Applies a `presence` delta, keeping the list sorted and free of repeats.
    pub fn apply(&mut self, p: &Presence) {
        self.members.retain(|n| !p.left.contains(n));
        self.unencrypted
            .retain(|n| !p.left.contains(n) && !p.joined.contains(n));
        for n in &p.unencrypted {
            if let Err(i) = self.unencrypted.binary_search(n) {
                self.unencrypted.insert(i, n.clone());
            }
        }
        for n in &p.joined {
            if let Err(i) = self.members.binary_search(n) {
                self.members.insert(i, n.clone());
            }
        }
    }
}

/// `typing` event, server → client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Typing {
    pub room: String,
    pub nick_name: String,
    pub typing: bool,
}

/// `kicked` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Kicked {
    pub room: String,
    pub by: String,
    pub reason: String,
}

/// `serverClosing` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ServerClosing {
    pub message: String,
}

/// `requestError` event: a request sent without an ack callback failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RequestError {
    pub event: String,
    pub code: ErrorCode,
    pub message: String,
}

/// `GET /api/info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    pub server: String,
    pub name: String,
    pub version: String,
    pub password_required: bool,
    pub rooms: Vec<RoomInfo>,
    /// The host's certificate fingerprint (64 hex digits): its identity. Read over plain HTTP
    /// it proves nothing (anyone on the path can change it); clients pin it from an invite,
    /// a discovery record or first use, and check it in the TLS handshake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub fingerprint: Option<String>,
    /// Cluster mode: every live node of the cluster, this one included (absent on a single
    /// host). A client whose node dies reconnects to another and resumes with `since`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(as = "Option<Vec<NodeInfo>>", optional))]
    pub nodes: Vec<NodeInfo>,
}

/// One node of a cluster, as `/api/info` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct NodeInfo {
    /// The node's number in the cluster (a restarted node gets a new one).
    pub id: u64,
    /// Where clients reach it, e.g. `http://192.168.1.20:7878`.
    pub url: String,
    /// Its connections, as of its last heartbeat.
    pub connections: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RoomInfo {
    pub name: String,
    pub members: usize,
}

/// A room as the host's moderation view shows it (`host_rooms`, docs/ipc.md): every room with
/// people in it, whether or not the host's own window joined it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RoomOverview {
    pub name: String,
    /// Nicknames, sorted.
    pub members: Vec<String>,
    /// Those of them on an unencrypted (plain HTTP) link.
    pub unencrypted: Vec<String>,
    /// The room's last seq: how many messages it has had.
    pub last_seq: u64,
}

impl From<&RoomOverview> for RoomInfo {
    fn from(r: &RoomOverview) -> RoomInfo {
        RoomInfo {
            name: r.name.clone(),
            members: r.members.len(),
        }
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
    /// Too many password attempts from this address are waiting; try again later.
    pub const TOO_MANY_ATTEMPTS: &str = "too_many_attempts";
    /// The connection is plain HTTP and the host accepts only encrypted ones.
    pub const TLS_REQUIRED: &str = "tls_required";
}
