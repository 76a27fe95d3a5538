//! The conversation part of the protocol (issue #14): edits, deletes, reactions, replies and
//! mentions. Each change to a message is a room row of its own (an *event row*, with a seq and
//! a `target`), sent as `messageUpdate`; the message it targets carries the folded result
//! (`editedTs`, `deleted`, `reactions`). See docs/protocol.md, "Conversations".

use serde::{Deserialize, Serialize};

/// Most distinct emoji on one message.
pub const MAX_REACTIONS: usize = 20;
/// Most bytes of one reaction emoji (one grapheme cluster).
pub const MAX_EMOJI_BYTES: usize = 32;
/// Characters of the original kept in a reply's quote.
pub const QUOTE_CHARS: usize = 140;
/// The picker's set (any other single emoji grapheme is accepted too).
pub const QUICK_EMOJI: [&str; 10] = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀", "🔥", "✅"];

/// The message a reply answers, as the reply shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// The original's seq, in the same room.
    pub seq: u64,
    pub nick_name: String,
    /// Its first [`QUOTE_CHARS`] characters (current text: edits show, a delete empties it).
    pub text: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(test, ts(as = "Option<bool>", optional))]
    pub deleted: bool,
}

/// One emoji on a message and who put it there (in the order they did).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Reaction {
    pub emoji: String,
    pub by: Vec<Reactor>,
}

/// Who reacted: the public user id (toggling follows it) and the nickname they had then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Reactor {
    pub user_id: String,
    pub nick_name: String,
}

/// `editMessage`, after validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditRequest {
    pub room: String,
    pub seq: u64,
    pub text: String,
}

/// `deleteMessage`, after validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteRequest {
    pub room: String,
    pub seq: u64,
}

/// `react`, after validation: `on` adds this user's `emoji`, `!on` takes it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactRequest {
    pub room: String,
    pub seq: u64,
    pub emoji: String,
    pub on: bool,
}

/// Ack of `editMessage`, `deleteMessage` and `react`: the event row's seq, absent when nothing
/// changed (a reaction that was already on, or already off).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct UpdateAck {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub seq: Option<u64>,
}
