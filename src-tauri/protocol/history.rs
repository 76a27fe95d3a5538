//! Reading a room's past: `history` (scrollback pages before, after or around a seq) and
//! `search` (full-text, newest first). Requests, their limits and the answers' shapes; the
//! parsing is in `validate.rs` with the rest of the untrusted input.

use serde::{Deserialize, Serialize};

use super::Message;

/// Messages a `history` page holds when the request does not say.
pub const DEFAULT_PAGE: usize = 50;
/// Most messages one `history` page holds.
pub const MAX_PAGE: usize = 100;
/// Results a `search` answers when the request does not say.
pub const DEFAULT_HITS: usize = 20;
/// Most results one `search` answers.
pub const MAX_HITS: usize = 50;
/// Longest search query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most words of a query that are searched for (the rest are ignored).
pub const MAX_QUERY_TERMS: usize = 8;

/// Where a `history` page is anchored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageAt {
    /// The newest messages with `seq < n` (scrolling up).
    Before(u64),
    /// The oldest messages with `seq > n` (scrolling down a page loaded with `Around`).
    After(u64),
    /// About half older than `n`, `n` itself if it exists, and the rest newer (jumping to a
    /// search result or a reply's original).
    Around(u64),
}

/// `history {room, before | after | around, limit?}`, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRequest {
    pub room: String,
    pub at: PageAt,
    /// 1..=[`MAX_PAGE`].
    pub limit: usize,
}

/// `search {room, q, limit?}`, validated: `q` is trimmed, has something to search for and is at
/// most [`MAX_QUERY_CHARS`]. It is plain words; the store turns it into an FTS query itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchRequest {
    pub room: String,
    pub q: String,
    /// 1..=[`MAX_HITS`].
    pub limit: usize,
}

/// The ack of `history`: messages oldest first, every displayable kind, as a join replays them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    pub room: String,
    pub messages: Vec<Message>,
    /// Older messages exist before the first one here (or, on an empty page, before the anchor).
    pub more: bool,
    /// Newer messages exist after the last one here (always false for `before` pages, which end
    /// at the anchor: the client has what follows).
    pub more_after: bool,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub seq: u64,
    pub ts: i64,
    pub nick_name: String,
    /// Up to about 16 words of the message around what matched, the matched words between
    /// [`HIT_START`] and [`HIT_END`]. Those two are control characters, which no stored message
    /// or file name can contain, so a client splits on them and shows the parts as text.
    pub snippet: String,
}

/// Marks the start of a matched word in [`SearchHit::snippet`] (U+0002).
pub const HIT_START: char = '\u{2}';
/// Marks the end of a matched word in [`SearchHit::snippet`] (U+0003).
pub const HIT_END: char = '\u{3}';

/// The ack of `search`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    pub room: String,
    pub results: Vec<SearchHit>,
    /// More (older) messages matched than `limit`.
    pub more: bool,
}
