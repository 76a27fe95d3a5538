//! Turns untrusted JSON payloads into validated requests. Every rule the server enforces on
//! names and text lives here, so the server, the clients and the fuzz target agree on them.

use serde_json::Value;

use super::history::{
    DEFAULT_HITS, DEFAULT_PAGE, HistoryRequest, MAX_HITS, MAX_PAGE, MAX_QUERY_CHARS,
    MAX_QUERY_TERMS, PageAt, SearchRequest,
};
use super::{
    DeleteRequest, EditRequest, ErrorCode, FileUploadRequest, JoinRequest, MAX_EMOJI_BYTES,
    OpenPrivateRequest, QUICK_EMOJI, ReactRequest, SendRequest, TypingRequest, WireError,
};

/// Longest room name, in characters.
pub const MAX_ROOM_CHARS: usize = 64;
/// Longest nickname, in characters.
pub const MAX_NICK_CHARS: usize = 32;
/// Longest clientId, in characters.
pub const MAX_CLIENT_ID_CHARS: usize = 64;
/// Default longest message, in characters.
pub const DEFAULT_MAX_MESSAGE_CHARS: usize = 4000;
/// Default largest file, in bytes (2 GiB: a build or a video, generous for a LAN).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 2 << 30;
/// Longest file name after cleaning, in bytes of UTF-8 (what most file systems take).
pub const MAX_FILE_NAME_BYTES: usize = 255;
/// Longest `type/subtype` kept from a sender's claimed MIME type.
const MAX_MIME_CHARS: usize = 127;

/// The configurable part of validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest accepted message text, in characters (default 4000).
    pub max_message_chars: usize,
    /// Largest file a `fileUpload` may announce, in bytes (default 2 GiB).
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_chars: DEFAULT_MAX_MESSAGE_CHARS,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

fn bad(code: ErrorCode, detail: impl Into<String>) -> WireError {
    WireError::new(code, detail)
}

/// Trims and checks a name (room or nickname): 1..=max chars, no control characters, not
/// made only of invisible characters.
fn clean_name(raw: &str, max: usize, code: ErrorCode, what: &str) -> Result<String, WireError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(bad(code, format!("the {what} is empty")));
    }
    if s.chars().count() > max {
        return Err(bad(
            code,
            format!("the {what} is longer than {max} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(bad(code, format!("the {what} contains control characters")));
    }
    if shows_nothing(s) {
        return Err(bad(code, format!("the {what} has no visible characters")));
    }
    Ok(s.to_owned())
}

/// True if `s` would show as a blank: every character is whitespace or [`is_invisible`].
fn shows_nothing(s: &str) -> bool {
    s.chars().all(|c| c.is_whitespace() || is_invisible(c))
}

/// Characters that draw nothing on their own, so a name or message made only of them (and
/// whitespace) would show as a blank:
/// - format characters (general category Cf): zero-width space and joiners, word joiner, BOM,
///   soft hyphen, bidi controls, invisible operators, tags, …;
/// - nonspacing marks (Mn): combining accents, variation selectors, the grapheme joiner. They
///   draw on the character before them; with none they show as nothing (or a dotted circle);
/// - letters and symbols that are blank by design, which no category says: the Hangul fillers
///   (Lo) and the braille pattern blank (So), the usual "invisible name" tricks in chat apps;
/// - reserved default-ignorable code points, which fonts already draw as nothing.
///
/// A visible name may contain any of these (`e` + U+0301 is é); only names and messages with
/// nothing else are refused.
pub(super) fn is_invisible(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    matches!(
        c.general_category(),
        GeneralCategory::Format | GeneralCategory::NonspacingMark
    ) || matches!(c,
        '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers
        | '\u{2800}' // braille pattern blank
        | '\u{2065}' | '\u{FFF0}'..='\u{FFF8}' | '\u{E0000}'..='\u{E0FFF}') // reserved ignorables
}

pub fn clean_room(raw: &str) -> Result<String, WireError> {
    clean_name(raw, MAX_ROOM_CHARS, ErrorCode::InvalidRoom, "room name")
}

pub fn clean_nick(raw: &str) -> Result<String, WireError> {
    clean_name(raw, MAX_NICK_CHARS, ErrorCode::InvalidNick, "nickname")
}

/// Trims message text and checks it: not empty, something visible in it, no control characters
/// but newline and tab, no longer than the limit.
pub fn clean_message(raw: &str, limits: &Limits) -> Result<String, WireError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(bad(ErrorCode::InvalidMessage, "the message is empty"));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(bad(
            ErrorCode::InvalidMessage,
            "the message contains control characters",
        ));
    }
    if shows_nothing(s) {
        return Err(bad(
            ErrorCode::InvalidMessage,
            "the message is empty: nothing in it is visible",
        ));
    }
    let max = limits.max_message_chars;
    if s.chars().count() > max {
        return Err(bad(
            ErrorCode::MessageTooLong,
            format!("the message is longer than {max} characters"),
        ));
    }
    Ok(s.to_owned())
}

pub fn clean_client_id(raw: &str) -> Result<String, WireError> {
    if raw.is_empty()
        || raw.chars().count() > MAX_CLIENT_ID_CHARS
        || raw.chars().any(char::is_control)
    {
        return Err(bad(
            ErrorCode::InvalidClientId,
            format!("clientId must be 1 to {MAX_CLIENT_ID_CHARS} printable characters"),
        ));
    }
    Ok(raw.to_owned())
}

fn object(v: &Value) -> Result<&serde_json::Map<String, Value>, WireError> {
    v.as_object().ok_or_else(|| {
        bad(
            ErrorCode::InvalidPayload,
            "the payload must be a JSON object",
        )
    })
}

/// A required string field. A missing or non-string field is a malformed payload; the
/// field's own code (`invalid_room`, …) is for a string with a bad value.
fn string_field<'a>(
    map: &'a serde_json::Map<String, Value>,
    key: &str,
) -> Result<&'a str, WireError> {
    match map.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(bad(
            ErrorCode::InvalidPayload,
            format!("`{key}` must be a string"),
        )),
        None => Err(bad(
            ErrorCode::InvalidPayload,
            format!("`{key}` is missing"),
        )),
    }
}

/// The first present of several field names (the tutorial and our UI differ on a few).
fn string_field_any<'a>(
    map: &'a serde_json::Map<String, Value>,
    keys: &[&str],
) -> Result<&'a str, WireError> {
    let key = keys
        .iter()
        .find(|k| map.contains_key(**k))
        .unwrap_or(&keys[0]);
    string_field(map, key)
}

/// `joinRoom`: `{roomName, nickName, since?}`. The tutorial's first version sent the room name
/// as a bare string; that is accepted with `fallback_nick` as the nickname.
pub fn parse_join(
    v: &Value,
    fallback_nick: impl FnOnce() -> String,
) -> Result<JoinRequest, WireError> {
    if let Value::String(room) = v {
        return Ok(JoinRequest {
            room: clean_room(room)?,
            nick: clean_nick(&fallback_nick())?,
            since: None,
        });
    }
    let map = object(v)?;
    let room = clean_room(string_field_any(map, &["roomName", "room"])?)?;
    let nick = clean_nick(string_field(map, "nickName")?)?;
    let since = match map.get("since") {
        None | Some(Value::Null) => None,
        Some(n) => Some(n.as_u64().ok_or_else(|| {
            bad(
                ErrorCode::InvalidPayload,
                "`since` must be a non-negative integer",
            )
        })?),
    };
    Ok(JoinRequest { room, nick, since })
}

/// `sendMessage`: `{room, message, clientId?}`; any `nickName` is ignored.
pub fn parse_send(v: &Value, limits: &Limits) -> Result<SendRequest, WireError> {
    let map = object(v)?;
    let room = clean_room(string_field_any(map, &["room", "roomName"])?)?;
    let text = clean_message(string_field(map, "message")?, limits)?;
    let client_id = optional_client_id(map)?;
    let reply_to = match map.get("replyTo") {
        None | Some(Value::Null) => None,
        Some(_) => Some(seq_field(map, "replyTo")?),
    };
    Ok(SendRequest {
        room,
        text,
        client_id,
        reply_to,
    })
}

/// A required message seq: a JSON integer ≥ 1 (seqs start at 1).
fn seq_field(map: &serde_json::Map<String, Value>, key: &str) -> Result<u64, WireError> {
    match map.get(key).and_then(Value::as_u64) {
        Some(n) if n >= 1 => Ok(n),
        _ => Err(bad(
            ErrorCode::InvalidPayload,
            format!("`{key}` must be a message's seq (a positive integer)"),
        )),
    }
}

/// `editMessage`: `{room, seq, message}` (`text` is accepted for `message`); the new text
/// follows `sendMessage`'s rules.
pub fn parse_edit(v: &Value, limits: &Limits) -> Result<EditRequest, WireError> {
    let map = object(v)?;
    let room = clean_room(string_field_any(map, &["room", "roomName"])?)?;
    let seq = seq_field(map, "seq")?;
    let text = clean_message(string_field_any(map, &["message", "text"])?, limits)?;
    Ok(EditRequest { room, seq, text })
}

/// `deleteMessage`: `{room, seq}`.
pub fn parse_delete(v: &Value) -> Result<DeleteRequest, WireError> {
    let map = object(v)?;
    let room = clean_room(string_field_any(map, &["room", "roomName"])?)?;
    let seq = seq_field(map, "seq")?;
    Ok(DeleteRequest { room, seq })
}

/// `openPrivate`: `{room, nickName}` — someone in `room` to talk to privately.
pub fn parse_open_private(v: &Value) -> Result<OpenPrivateRequest, WireError> {
    let map = object(v)?;
    Ok(OpenPrivateRequest {
        room: clean_room(string_field_any(map, &["room", "roomName"])?)?,
        nick: clean_nick(string_field(map, "nickName")?)?,
    })
}

/// `react`: `{room, seq, emoji, on?}` (`on` defaults to true).
pub fn parse_react(v: &Value) -> Result<ReactRequest, WireError> {
    let map = object(v)?;
    let room = clean_room(string_field_any(map, &["room", "roomName"])?)?;
    let seq = seq_field(map, "seq")?;
    let emoji = clean_emoji(string_field(map, "emoji")?)?;
    let on = match map.get("on") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad(ErrorCode::InvalidPayload, "`on` must be true or false")),
    };
    Ok(ReactRequest {
        room,
        seq,
        emoji,
        on,
    })
}

/// A reaction: one of the picker's emoji, or any single grapheme cluster of at most
/// [`MAX_EMOJI_BYTES`] bytes that is an emoji — it has a pictographic character (or is a flag
/// or a keycap) and no letters, digits, controls or whitespace. Not trimmed: `" 👍"` is refused.
pub fn clean_emoji(raw: &str) -> Result<String, WireError> {
    use unicode_segmentation::UnicodeSegmentation;
    let refuse = || bad(ErrorCode::InvalidEmoji, "a reaction must be one emoji");
    if QUICK_EMOJI.contains(&raw) {
        return Ok(raw.to_owned());
    }
    if raw.is_empty() || raw.len() > MAX_EMOJI_BYTES || raw.graphemes(true).count() != 1 {
        return Err(refuse());
    }
    let pictographic = |c: char| {
        matches!(c as u32,
            0x1F000..=0x1FAFF   // emoticons, symbols and pictographs, transport, supplemental
            | 0x2600..=0x27BF   // miscellaneous symbols, dingbats
            | 0x2B00..=0x2BFF   // arrows, stars (⭐ ⬆)
            | 0x2300..=0x23FF   // technical (⌚ ⏰)
            | 0x2190..=0x21FF   // arrows
            | 0x3030 | 0x303D | 0x3297 | 0x3299 | 0x00A9 | 0x00AE | 0x203C | 0x2049 | 0x2122
            | 0x2139)
    };
    let keycap = raw.contains('\u{20E3}');
    let mut has_pict = keycap;
    for c in raw.chars() {
        // Letters are refused even inside the pictograph blocks (the squared Latin capitals of
        // U+1F130..U+1F189 are letters: "🆀" is an A, not an emoji; found by the fuzzer).
        if c.is_control() || c.is_whitespace() || c.is_alphabetic() {
            return Err(refuse());
        }
        if pictographic(c) {
            has_pict = true;
        } else if c.is_alphanumeric() && !(keycap && (c.is_ascii_digit())) {
            return Err(refuse());
        }
    }
    if !has_pict {
        return Err(refuse());
    }
    Ok(raw.to_owned())
}

/// A file name as the host keeps and serves it. Names are cleaned, never refused (a sender's
/// operating system chose them, not the sender):
/// - only the last path component stays (`../../etc/passwd` → `passwd`, `C:\x\a.txt` → `a.txt`);
/// - control characters (NUL included), bidi controls and other format characters are removed
///   (the zero-width joiner stays, for emoji), as are line and paragraph separators;
/// - characters Windows refuses in names (`<>:"|?*`) become `_`;
/// - leading dots and spaces go (no hidden files, no `.`/`..`), as do trailing ones;
/// - a Windows device name (`CON`, `NUL.txt`, `com1`…) gets a leading `_`;
/// - longer than 255 bytes, the stem is cut at a character boundary and the extension kept;
/// - nothing visible left: `file`.
///
/// Cleaning a cleaned name changes nothing.
pub fn clean_file_name(raw: &str) -> String {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let kept: String = last
        .chars()
        .filter(|&c| {
            !(c.is_control()
                || matches!(
                    c.general_category(),
                    GeneralCategory::Format
                        | GeneralCategory::LineSeparator
                        | GeneralCategory::ParagraphSeparator
                ) && c != '\u{200D}')
        })
        .map(|c| if "<>:\"|?*".contains(c) { '_' } else { c })
        .collect();
    let mut name = trim_name(&kept).to_owned();
    if name.len() > MAX_FILE_NAME_BYTES {
        let ext = name
            .rfind('.')
            .map(|i| &name[i..])
            .filter(|e| e.len() <= 16 && e.len() > 1)
            .unwrap_or("")
            .to_owned();
        let mut cut = MAX_FILE_NAME_BYTES - ext.len();
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name = format!("{}{ext}", trim_name(&name[..cut]));
    }
    if shows_nothing(&name) || name.starts_with('.') {
        return "file".to_owned();
    }
    let stem = name.split('.').next().unwrap_or("").to_ascii_uppercase();
    let device = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit());
    if device {
        name.insert(0, '_');
        if name.len() > MAX_FILE_NAME_BYTES {
            return clean_file_name(&name[..name.floor_char_boundary(MAX_FILE_NAME_BYTES)]);
        }
    }
    name
}

/// Without leading dots and whitespace and trailing dots and whitespace.
fn trim_name(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '.')
}

/// A sender's claimed MIME type, kept only when it is a plain `type/subtype` (lower-cased,
/// parameters dropped); anything else is no claim.
pub fn clean_mime(raw: &str) -> Option<String> {
    let m = raw.split(';').next()?.trim().to_ascii_lowercase();
    let token = |t: &str| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    let (a, b) = m.split_once('/')?;
    (m.len() <= MAX_MIME_CHARS && token(a) && token(b)).then_some(m)
}

/// `fileUpload`: `{room, name, size, mime?, clientId?}`. The name is cleaned (never refused);
/// a size over the limit is `file_too_large`.
pub fn parse_file_upload(v: &Value, limits: &Limits) -> Result<FileUploadRequest, WireError> {
    let map = object(v)?;
    let room = clean_room(string_field_any(map, &["room", "roomName"])?)?;
    let name = clean_file_name(string_field(map, "name")?);
    let size = match map.get("size") {
        Some(n) => n.as_u64().ok_or_else(|| {
            bad(
                ErrorCode::InvalidPayload,
                "`size` must be a non-negative integer (bytes)",
            )
        })?,
        None => return Err(bad(ErrorCode::InvalidPayload, "`size` is missing")),
    };
    if size > limits.max_file_bytes {
        return Err(bad(
            ErrorCode::FileTooLarge,
            format!(
                "the file is {}; this host accepts files up to {}",
                super::human_size(size),
                super::human_size(limits.max_file_bytes)
            ),
        ));
    }
    let mime = match map.get("mime") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => clean_mime(s),
        Some(_) => return Err(bad(ErrorCode::InvalidPayload, "`mime` must be a string")),
    };
    let client_id = optional_client_id(map)?;
    Ok(FileUploadRequest {
        room,
        name,
        size,
        mime,
        client_id,
    })
}

fn optional_client_id(map: &serde_json::Map<String, Value>) -> Result<Option<String>, WireError> {
    match map.get("clientId") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(clean_client_id(s)?)),
        Some(_) => Err(bad(
            ErrorCode::InvalidPayload,
            "`clientId` must be a string",
        )),
    }
}

/// `leaveRoom`: `{room}` (or `{roomName}`, or a bare string).
/// A certificate fingerprint as someone may write or send it (invite link `fp=`, TXT `fp`,
/// `--fingerprint`, known_hosts): 64 hex digits in any case, optionally `sha256:`-prefixed and
/// broken up by spaces, colons or dashes. Anything else, including a longer input, is `None`.
pub fn fingerprint(raw: &str) -> Option<[u8; 32]> {
    if raw.len() > 200 {
        return None;
    }
    let raw = raw.trim();
    let raw = raw
        .strip_prefix("sha256:")
        .or_else(|| raw.strip_prefix("SHA256:"))
        .unwrap_or(raw);
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | ':' | '-'))
        .collect();
    if digits.len() != 64 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(&digits, &mut out).ok()?;
    Some(out)
}

pub fn parse_leave(v: &Value) -> Result<String, WireError> {
    if let Value::String(room) = v {
        return clean_room(room);
    }
    let map = object(v)?;
    clean_room(string_field_any(map, &["room", "roomName"])?)
}

/// `typing`: `{room, typing}`.
pub fn parse_typing(v: &Value) -> Result<TypingRequest, WireError> {
    let map = object(v)?;
    let room = clean_room(string_field_any(map, &["room", "roomName"])?)?;
    let typing = match map.get("typing") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(bad(
                ErrorCode::InvalidPayload,
                "`typing` must be true or false",
            ));
        }
    };
    Ok(TypingRequest { room, typing })
}

/// `history`: `{room, before | after | around, limit?}` — exactly one anchor, a seq.
pub fn parse_history(v: &Value) -> Result<HistoryRequest, WireError> {
    let map = object(v)?;
    let room = clean_room(string_field_any(map, &["room", "roomName"])?)?;
    let mut at = None;
    for (key, make) in [
        ("before", PageAt::Before as fn(u64) -> PageAt),
        ("after", PageAt::After),
        ("around", PageAt::Around),
    ] {
        let Some(n) = optional_u64(map, key)? else {
            continue;
        };
        if at.is_some() {
            return Err(bad(
                ErrorCode::InvalidPayload,
                "give one of `before`, `after` and `around`",
            ));
        }
        at = Some(make(n));
    }
    let at = at.ok_or_else(|| {
        bad(
            ErrorCode::InvalidPayload,
            "`before`, `after` or `around` is missing",
        )
    })?;
    let limit = optional_limit(map, DEFAULT_PAGE, MAX_PAGE)?;
    Ok(HistoryRequest { room, at, limit })
}

/// `search`: `{room, q, limit?}`.
pub fn parse_search(v: &Value) -> Result<SearchRequest, WireError> {
    let map = object(v)?;
    let room = clean_room(string_field_any(map, &["room", "roomName"])?)?;
    let q = clean_query(string_field(map, "q")?)?;
    let limit = optional_limit(map, DEFAULT_HITS, MAX_HITS)?;
    Ok(SearchRequest { room, q, limit })
}

/// A search query: trimmed, at most [`MAX_QUERY_CHARS`], no control characters, and at least
/// one word in it (a letter or digit) — punctuation alone searches for nothing.
pub fn clean_query(raw: &str) -> Result<String, WireError> {
    let s = raw.trim();
    if s.chars().count() > MAX_QUERY_CHARS {
        return Err(bad(
            ErrorCode::InvalidQuery,
            format!("the search is longer than {MAX_QUERY_CHARS} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(bad(
            ErrorCode::InvalidQuery,
            "the search contains control characters",
        ));
    }
    if query_terms(s).is_empty() {
        return Err(bad(
            ErrorCode::InvalidQuery,
            "the search has no words to look for",
        ));
    }
    Ok(s.to_owned())
}

/// The words of a query, as the search looks for them: runs of letters and digits (everything
/// else separates words, so no quote, star, colon, parenthesis or operator of the full-text
/// syntax survives), at most [`MAX_QUERY_TERMS`] of them, repeats dropped.
pub fn query_terms(q: &str) -> Vec<&str> {
    let mut terms: Vec<&str> = Vec::new();
    for t in q.split(|c: char| !c.is_alphanumeric()) {
        if !t.is_empty() && !terms.contains(&t) {
            terms.push(t);
            if terms.len() == MAX_QUERY_TERMS {
                break;
            }
        }
    }
    terms
}

/// An optional non-negative integer field (`null` counts as absent).
fn optional_u64(map: &serde_json::Map<String, Value>, key: &str) -> Result<Option<u64>, WireError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(n) => n.as_u64().map(Some).ok_or_else(|| {
            bad(
                ErrorCode::InvalidPayload,
                format!("`{key}` must be a non-negative integer"),
            )
        }),
    }
}

/// `limit`: absent means `default`; otherwise 1 or more, and more than `max` counts as `max`.
fn optional_limit(
    map: &serde_json::Map<String, Value>,
    default: usize,
    max: usize,
) -> Result<usize, WireError> {
    match optional_u64(map, "limit")? {
        None => Ok(default),
        Some(0) => Err(bad(ErrorCode::InvalidPayload, "`limit` must be at least 1")),
        Some(n) => Ok((n.min(max as u64)) as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(e: WireError) -> &'static str {
        e.code.as_str()
    }

    #[test]
    fn join_accepts_the_tutorial_payload_and_trims() {
        let j = parse_join(&json!({"roomName": "  aaa ", "nickName": "bob"}), || {
            "x".into()
        })
        .unwrap();
        assert_eq!(
            (j.room.as_str(), j.nick.as_str(), j.since),
            ("aaa", "bob", None)
        );
    }

    #[test]
    fn join_accepts_a_bare_room_string_with_a_guest_nick() {
        let j = parse_join(&json!("room666"), || "guest-1".into()).unwrap();
        assert_eq!((j.room.as_str(), j.nick.as_str()), ("room666", "guest-1"));
    }

    #[test]
    fn names_are_bounded_and_printable() {
        assert_eq!(code(clean_room("").unwrap_err()), "invalid_room");
        assert_eq!(
            code(clean_room(&"r".repeat(65)).unwrap_err()),
            "invalid_room"
        );
        assert!(clean_room(&"é".repeat(64)).is_ok());
        assert_eq!(
            code(clean_nick(&"n".repeat(33)).unwrap_err()),
            "invalid_nick"
        );
        assert_eq!(code(clean_nick("a\u{7}b").unwrap_err()), "invalid_nick");
        assert_eq!(
            code(clean_nick("\u{200B}\u{2060}\u{FEFF}").unwrap_err()),
            "invalid_nick"
        );
        assert!(clean_nick("a\u{200D}b").is_ok());
    }

    /// Characters that render as nothing, alone or together: a name or message of only these
    /// would show as a blank (issue #10).
    const INVISIBLE: &[&str] = &[
        "\u{2800}",                   // braille pattern blank (So)
        "\u{2800}\u{2800}\u{2800}",   // … three of them
        "\u{301}",                    // a lone combining acute accent (Mn)
        "\u{301}\u{302}\u{20D0}",     // only combining marks
        "\u{3164}",                   // Hangul filler (Lo)
        "\u{FFA0}",                   // halfwidth Hangul filler (Lo)
        "\u{115F}\u{1160}",           // Hangul choseong and jungseong fillers (Lo)
        "\u{180E}",                   // Mongolian vowel separator (Cf)
        "\u{2062}\u{2063}",           // invisible times and separator (Cf)
        "\u{E0041}\u{E007F}",         // tag characters (Cf)
        "\u{FE0F}\u{E0100}",          // variation selectors (Mn)
        "\u{34F}",                    // combining grapheme joiner (Mn)
        "\u{AD}",                     // soft hyphen (Cf)
        "\u{1D173}",                  // musical symbol begin beam (Cf)
        "\u{2065}",                   // reserved default-ignorable
        "\u{200B} \u{2800} \u{3164}", // a mix, with spaces between
    ];

    /// Looks blank-adjacent but shows something: each must stay allowed.
    const VISIBLE: &[&str] = &[
        "e\u{301}",           // é as e + combining accent
        "\u{3164}a",          // a filler before a letter
        "\u{2801}",           // braille dot 1
        "a\u{200D}b",         // a joiner inside a word
        "\u{2764}\u{FE0F}",   // ❤️
        "\u{D55C}",           // 한
        "\u{E01}\u{E34}",     // Thai consonant + vowel mark
        "\u{915}\u{93F}",     // Devanagari कि
        "\u{1F1EB}\u{1F1F7}", // a flag
    ];

    #[test]
    fn names_with_nothing_visible_are_refused() {
        for s in INVISIBLE {
            assert_eq!(clean_nick(s).map_err(code), Err("invalid_nick"), "{s:?}");
            assert_eq!(clean_room(s).map_err(code), Err("invalid_room"), "{s:?}");
        }
        for s in VISIBLE {
            assert_eq!(clean_nick(s).as_deref(), Ok(*s), "{s:?}");
            assert_eq!(clean_room(s).as_deref(), Ok(*s), "{s:?}");
        }
    }

    #[test]
    fn messages_with_nothing_visible_are_refused_as_empty() {
        let l = Limits::default();
        for s in INVISIBLE
            .iter()
            .chain(&["\u{200B}\n\u{2060}", "\u{FEFF}\t\u{2800}"])
        {
            let e = clean_message(s, &l).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidMessage, "{s:?}");
            assert!(e.message.contains("empty"), "{s:?}: {}", e.message);
        }
        for s in VISIBLE {
            assert_eq!(clean_message(s, &l).as_deref(), Ok(*s), "{s:?}");
        }
    }

    #[test]
    fn messages_allow_newlines_but_not_other_controls() {
        let l = Limits::default();
        assert_eq!(clean_message(" a\nb\t ", &l).unwrap(), "a\nb");
        assert_eq!(
            code(clean_message("a\u{0}b", &l).unwrap_err()),
            "invalid_message"
        );
        assert_eq!(
            code(clean_message("   ", &l).unwrap_err()),
            "invalid_message"
        );
        assert_eq!(
            code(clean_message(&"x".repeat(4001), &l).unwrap_err()),
            "message_too_long"
        );
        assert!(clean_message(&"x".repeat(4000), &l).is_ok());
    }

    #[test]
    fn wrong_types_are_invalid_payloads_or_field_errors() {
        let l = Limits::default();
        assert_eq!(
            code(parse_send(&json!(42), &l).unwrap_err()),
            "invalid_payload"
        );
        assert_eq!(
            code(parse_send(&json!({"room": 1, "message": "x"}), &l).unwrap_err()),
            "invalid_payload"
        );
        assert_eq!(
            code(parse_send(&json!({"room": "r"}), &l).unwrap_err()),
            "invalid_payload"
        );
        assert_eq!(
            code(parse_send(&json!({"room": "r", "message": "m", "clientId": 5}), &l).unwrap_err()),
            "invalid_payload"
        );
        assert_eq!(
            code(
                parse_send(&json!({"room": "r", "message": "m", "clientId": ""}), &l).unwrap_err()
            ),
            "invalid_client_id"
        );
        assert_eq!(
            code(
                parse_join(
                    &json!({"roomName": "r", "nickName": "n", "since": -1}),
                    || "x".into()
                )
                .unwrap_err()
            ),
            "invalid_payload"
        );
        assert_eq!(
            code(parse_typing(&json!({"room": "r", "typing": "yes"})).unwrap_err()),
            "invalid_payload"
        );
    }

    /// Hostile file names are cleaned to something safe to save anywhere, never refused.
    #[test]
    fn file_names_are_cleaned_not_refused() {
        let cases = [
            ("report.pdf", "report.pdf"),
            ("../../etc/passwd", "passwd"),
            ("/etc/shadow", "shadow"),
            ("C:\\Windows\\win.ini", "win.ini"),
            ("..", "file"),
            ("...", "file"),
            ("", "file"),
            ("  .bashrc ", "bashrc"),
            ("a\u{0}b.txt", "ab.txt"),
            ("a\nb\r\u{7}.txt", "ab.txt"),
            ("evil\u{202E}fdp.exe", "evilfdp.exe"),
            ("\u{2066}x\u{2069}.png", "x.png"),
            ("a<b>:c|d?e*f\".txt", "a_b__c_d_e_f_.txt"),
            ("CON", "_CON"),
            ("nul.txt", "_nul.txt"),
            ("com1.log", "_com1.log"),
            ("console.log", "console.log"),
            ("\u{200B}\u{2800}", "file"),
            ("👨\u{200D}👩.png", "👨\u{200D}👩.png"),
            ("trailing. . ", "trailing"),
        ];
        for (raw, want) in cases {
            assert_eq!(clean_file_name(raw), want, "{raw:?}");
            assert_eq!(clean_file_name(want), want, "cleaning {want:?} again");
        }
        let long = format!("{}.tar.gz", "é".repeat(10_000));
        let c = clean_file_name(&long);
        assert!(c.len() <= MAX_FILE_NAME_BYTES && c.ends_with(".gz"), "{c}");
        assert_eq!(clean_file_name(&c), c);
        let plain = clean_file_name(&"x".repeat(10_000));
        assert_eq!(plain.len(), MAX_FILE_NAME_BYTES);
    }

    #[test]
    fn mime_claims_are_kept_only_when_well_formed() {
        assert_eq!(
            clean_mime("Image/PNG; charset=x").as_deref(),
            Some("image/png")
        );
        assert_eq!(clean_mime("text/html").as_deref(), Some("text/html"));
        for bad in [
            "",
            "png",
            "image/",
            "/png",
            "a/b/c",
            "text/html\u{0}",
            "a b/c",
        ] {
            assert_eq!(clean_mime(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn file_uploads_parse_with_their_limits() {
        let l = Limits {
            max_file_bytes: 100,
            ..Limits::default()
        };
        let ok = parse_file_upload(
            &json!({"room": "r", "name": "../a.png", "size": 100, "mime": "image/png", "clientId": "c"}),
            &l,
        )
        .unwrap();
        assert_eq!(
            ok,
            FileUploadRequest {
                room: "r".into(),
                name: "a.png".into(),
                size: 100,
                mime: Some("image/png".into()),
                client_id: Some("c".into()),
            }
        );
        let too_big = parse_file_upload(&json!({"room": "r", "name": "a", "size": 101}), &l);
        assert_eq!(too_big.map_err(code), Err("file_too_large"));
        for bad in [
            json!({"room": "r", "name": "a"}),
            json!({"room": "r", "name": "a", "size": -1}),
            json!({"room": "r", "name": "a", "size": 1.5}),
            json!({"room": "r", "name": 5, "size": 1}),
            json!({"room": "r", "name": "a", "size": 1, "mime": 7}),
        ] {
            assert_eq!(
                parse_file_upload(&bad, &l).map_err(code),
                Err("invalid_payload"),
                "{bad}"
            );
        }
    }

    #[test]
    fn send_ignores_the_payload_nickname() {
        let s = parse_send(
            &json!({"room": "r", "nickName": "mallory", "message": "hi"}),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(
            s,
            SendRequest {
                room: "r".into(),
                text: "hi".into(),
                client_id: None,
                reply_to: None
            }
        );
    }

    /// Reactions are one emoji: the picker's set, flags, keycaps, skin tones and ZWJ families
    /// pass; text, two emoji, whitespace around one, and a 40-byte cluster do not.
    #[test]
    fn reactions_are_one_emoji() {
        for ok in ["👍", "❤️", "🇫🇷", "1️⃣", "👍🏽", "👩‍👩‍👧", "⭐", "🦀"]
        {
            assert_eq!(clean_emoji(ok).as_deref(), Ok(ok), "{ok:?}");
        }
        let long = format!("👩{}", "\u{200D}👩".repeat(6));
        for bad in [
            "", "a", "ok", "👍👍", " 👍", "👍\n", "1", "é", "\u{200D}", "🆀", &long,
        ] {
            let e = clean_emoji(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidEmoji, "{bad:?}");
        }
    }

    /// Edits, deletes and reactions name a message by its seq, a positive integer.
    #[test]
    fn conversation_requests_need_a_seq() {
        let l = Limits::default();
        for seq in [json!(0), json!(-1), json!(1.5), json!("3"), json!(null)] {
            let e = parse_delete(&json!({"room": "r", "seq": seq})).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidPayload);
        }
        let e = parse_edit(&json!({"room": "r", "seq": 2, "message": " "}), &l).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidMessage);
        let r = parse_react(&json!({"room": "r", "seq": 2, "emoji": "🎉", "on": false})).unwrap();
        assert!(!r.on);
        let s = parse_send(&json!({"room": "r", "message": "hi", "replyTo": 4}), &l).unwrap();
        assert_eq!(s.reply_to, Some(4));
    }

    /// A history request names one anchor; the page size defaults, and is capped, not refused.
    #[test]
    fn history_takes_one_anchor_and_a_capped_limit() {
        let h = parse_history(&json!({"room": "r", "before": 10})).unwrap();
        assert_eq!((h.at, h.limit), (PageAt::Before(10), DEFAULT_PAGE));
        let h = parse_history(&json!({"room": "r", "around": 5, "limit": 5000})).unwrap();
        assert_eq!((h.at, h.limit), (PageAt::Around(5), MAX_PAGE));
        for bad in [
            json!({"room": "r"}),
            json!({"room": "r", "before": 1, "after": 2}),
            json!({"room": "r", "before": -1}),
            json!({"room": "r", "before": "1"}),
            json!({"room": "r", "after": 1, "limit": 0}),
        ] {
            assert_eq!(
                code(parse_history(&bad).unwrap_err()),
                "invalid_payload",
                "{bad}"
            );
        }
    }

    /// A query is plain words: the full-text syntax's operators are separators, and what is
    /// left is bounded; a query with no word, too long or with control characters is refused.
    #[test]
    fn queries_become_plain_words() {
        assert_eq!(query_terms("  hello, World!  "), ["hello", "World"]);
        assert_eq!(
            query_terms(r#"a" OR body:x NEAR(y z) * % ' - ^ hello hello"#),
            ["a", "OR", "body", "x", "NEAR", "y", "z", "hello"]
        );
        assert_eq!(query_terms("你好 café").len(), 2);
        assert_eq!(query_terms(&"w ".repeat(100)).len(), 1);
        assert_eq!(query_terms("a b c d e f g h i j k").len(), MAX_QUERY_TERMS);
        for q in ["", "   ", "\"*%'--", "a\u{7}b"] {
            assert_eq!(code(clean_query(q).unwrap_err()), "invalid_query", "{q:?}");
        }
        assert_eq!(
            code(clean_query(&"x".repeat(MAX_QUERY_CHARS + 1)).unwrap_err()),
            "invalid_query"
        );
        let s = parse_search(&json!({"room": "r", "q": " hi "})).unwrap();
        assert_eq!((s.q.as_str(), s.limit), ("hi", DEFAULT_HITS));
    }
}
