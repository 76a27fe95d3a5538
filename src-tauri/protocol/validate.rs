//! Turns untrusted JSON payloads into validated requests. Every rule the server enforces on
//! names and text lives here, so the server, the clients and the fuzz target agree on them.

use serde_json::Value;

use super::{ErrorCode, JoinRequest, SendRequest, TypingRequest, WireError};

/// Longest room name, in characters.
pub const MAX_ROOM_CHARS: usize = 64;
/// Longest nickname, in characters.
pub const MAX_NICK_CHARS: usize = 32;
/// Longest clientId, in characters.
pub const MAX_CLIENT_ID_CHARS: usize = 64;
/// Default longest message, in characters.
pub const DEFAULT_MAX_MESSAGE_CHARS: usize = 4000;

/// The configurable part of validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest accepted message text, in characters (default 4000).
    pub max_message_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_chars: DEFAULT_MAX_MESSAGE_CHARS,
        }
    }
}

fn bad(code: ErrorCode, detail: impl Into<String>) -> WireError {
    WireError::new(code, detail)
}

/// Trims and checks a name (room or nickname): 1..=max chars, no control characters.
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
    if s.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
        return Err(bad(code, format!("the {what} has no visible characters")));
    }
    Ok(s.to_owned())
}

/// Format and default-ignorable characters that render as nothing (zero-width spaces and
/// joiners, word joiner, BOM, soft hyphen, variation selectors, …): a name made only of these
/// would show as blank.
pub(super) fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

pub fn clean_room(raw: &str) -> Result<String, WireError> {
    clean_name(raw, MAX_ROOM_CHARS, ErrorCode::InvalidRoom, "room name")
}

pub fn clean_nick(raw: &str) -> Result<String, WireError> {
    clean_name(raw, MAX_NICK_CHARS, ErrorCode::InvalidNick, "nickname")
}

/// Trims message text and checks it: not empty, no control characters but newline and tab,
/// no longer than the limit.
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
    let client_id = match map.get("clientId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(clean_client_id(s)?),
        Some(_) => {
            return Err(bad(
                ErrorCode::InvalidPayload,
                "`clientId` must be a string",
            ));
        }
    };
    Ok(SendRequest {
        room,
        text,
        client_id,
    })
}

/// `leaveRoom`: `{room}` (or `{roomName}`, or a bare string).
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
                client_id: None
            }
        );
    }
}
