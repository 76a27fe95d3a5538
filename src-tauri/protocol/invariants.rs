//! What every parse of untrusted input must satisfy, whatever a client sends: checked by the fuzz
//! target (fuzz/fuzz_targets/payloads.rs) and, deterministically, by `tests/hostile_parser.rs`,
//! so both hold the parsers to the same promises. A broken invariant panics: that is how
//! libFuzzer and the test harness see it. Not part of the API (`#[doc(hidden)]`).
//!
//! The promises: parsing never panics and is deterministic; an accepted request is clean
//! (trimmed, non-empty, with a visible character, bounded, free of control characters) and
//! cleaning is idempotent (a cleaned request is accepted again unchanged); a refusal carries a
//! validation code and a sentence; [`Request::parse`] agrees with the field parsers for every
//! event in [`events::CLIENT`] and refuses any other name as `unknown_event`.

use serde_json::{Value, json};

use super::validate::MAX_FILE_NAME_BYTES;
use super::validate::{MAX_CLIENT_ID_CHARS, MAX_NICK_CHARS, MAX_ROOM_CHARS, is_invisible};
use super::{
    ErrorCode, FileUploadRequest, JoinRequest, Limits, MAX_EMOJI_BYTES, QUICK_EMOJI, Request,
    SendRequest, TypingRequest, WireError, clean_client_id, clean_emoji, clean_file_name,
    clean_message, clean_mime, clean_nick, clean_room, events, parse_delete, parse_edit,
    parse_file_upload, parse_history, parse_join, parse_leave, parse_open_private, parse_react,
    parse_search, parse_send, parse_typing,
};

/// The nickname a bare-string `joinRoom` gets here (the server makes up a `guest-…` one).
const GUEST_NICK: &str = "guest-abcdef";

/// An event name no lanchat version uses.
const UNKNOWN_EVENT: &str = "frobnicate";

/// The only codes validation may produce; anything else (say `rate_limited`) is a bug.
const VALIDATION_CODES: [ErrorCode; 9] = [
    ErrorCode::InvalidEmoji,
    ErrorCode::InvalidQuery,
    ErrorCode::FileTooLarge,
    ErrorCode::InvalidPayload,
    ErrorCode::InvalidRoom,
    ErrorCode::InvalidNick,
    ErrorCode::InvalidMessage,
    ErrorCode::MessageTooLong,
    ErrorCode::InvalidClientId,
];

/// Longest `unknown_event` sentence, in bytes: the name is cut to 64 characters and quoted with
/// `{:?}`, which writes one character as at most 10 bytes (`\u{10ffff}`); the rest of the
/// sentence is under 60.
const MAX_UNKNOWN_EVENT_MESSAGE: usize = 60 + 2 + 64 * 10;

/// The fuzz target's whole check: `data` as JSON, or, if it is not JSON but is UTF-8, as text
/// given to every field validator, as a bare string and inside every payload shape.
pub fn check_bytes(data: &[u8]) {
    let limits = Limits::default();
    match serde_json::from_slice::<Value>(data) {
        Ok(v) => check_payload(&v, &limits),
        Err(_) => {
            if let Ok(s) = std::str::from_utf8(data) {
                check_payload(&Value::String(s.to_owned()), &limits);
                check_payload(
                    &json!({"roomName": s, "room": s, "nickName": s, "message": s, "clientId": s,
                            "name": s, "mime": s, "size": s.len(), "seq": s.len(), "emoji": s,
                            "replyTo": s.len(), "q": s, "before": s.len()}),
                    &limits,
                );
            }
        }
    }
}

/// Every parser on one payload: the field parsers, then `Request::parse` under each client
/// event name and under unknown ones.
pub fn check_payload(v: &Value, limits: &Limits) {
    let join = parse_join(v, guest);
    assert_eq!(join, parse_join(v, guest), "parsing is deterministic");
    match &join {
        Ok(j) => check_join(v, j),
        Err(e) => check_refusal(e),
    }
    let send = parse_send(v, limits);
    match &send {
        Ok(s) => check_send(s, limits),
        Err(e) => check_refusal(e),
    }
    let leave = parse_leave(v);
    match &leave {
        Ok(room) => {
            check_name(room, MAX_ROOM_CHARS);
            assert_eq!(
                parse_leave(&Value::String(room.clone())).as_ref(),
                Ok(room),
                "a cleaned leave is accepted unchanged"
            );
        }
        Err(e) => check_refusal(e),
    }
    let typing = parse_typing(v);
    match &typing {
        Ok(t) => check_typing(v, t),
        Err(e) => check_refusal(e),
    }

    let upload = parse_file_upload(v, limits);
    match &upload {
        Ok(u) => check_upload(u, limits),
        Err(e) => check_refusal(e),
    }

    let edit = parse_edit(v, limits);
    match &edit {
        Ok(e) => {
            check_name(&e.room, MAX_ROOM_CHARS);
            check_message(&e.text, limits);
            assert!(e.seq >= 1, "seq 0 names no message");
        }
        Err(e) => check_refusal(e),
    }
    let delete = parse_delete(v);
    match &delete {
        Ok(d) => {
            check_name(&d.room, MAX_ROOM_CHARS);
            assert!(d.seq >= 1);
        }
        Err(e) => check_refusal(e),
    }
    let react = parse_react(v);
    match &react {
        Ok(r) => {
            check_name(&r.room, MAX_ROOM_CHARS);
            check_emoji(&r.emoji);
        }
        Err(e) => check_refusal(e),
    }
    let private = parse_open_private(v);
    match &private {
        Ok(p) => {
            check_name(&p.room, MAX_ROOM_CHARS);
            check_name(&p.nick, MAX_NICK_CHARS);
        }
        Err(e) => check_refusal(e),
    }
    let history = parse_history(v);
    match &history {
        Ok(h) => {
            check_name(&h.room, MAX_ROOM_CHARS);
            assert!(
                (1..=super::MAX_PAGE).contains(&h.limit),
                "page size {}",
                h.limit
            );
        }
        Err(e) => check_refusal(e),
    }
    let search = parse_search(v);
    match &search {
        Ok(q) => {
            check_name(&q.room, MAX_ROOM_CHARS);
            assert!((1..=super::MAX_HITS).contains(&q.limit), "hits {}", q.limit);
            assert!(q.q.chars().count() <= super::MAX_QUERY_CHARS);
            assert_eq!(q.q.trim(), q.q, "a query is trimmed");
            let terms = super::query_terms(&q.q);
            assert!(!terms.is_empty() && terms.len() <= super::MAX_QUERY_TERMS);
            for t in terms {
                assert!(t.chars().all(char::is_alphanumeric), "term {t:?}");
            }
        }
        Err(e) => check_refusal(e),
    }

    // `Request::parse` is the server's one entry: it must say exactly what the parsers say.
    for event in events::CLIENT {
        let expected = match event {
            events::JOIN_ROOM => join.clone().map(Request::Join),
            events::SEND_MESSAGE => send.clone().map(Request::Send),
            events::LEAVE_ROOM => leave.clone().map(|room| Request::Leave { room }),
            events::TYPING => typing.clone().map(Request::Typing),
            events::PING => Ok(Request::Ping),
            events::FILE_UPLOAD => upload.clone().map(Request::FileUpload),
            events::EDIT_MESSAGE => edit.clone().map(Request::Edit),
            events::DELETE_MESSAGE => delete.clone().map(Request::Delete),
            events::REACT => react.clone().map(Request::React),
            events::OPEN_PRIVATE => private.clone().map(Request::OpenPrivate),
            events::HISTORY => history.clone().map(Request::History),
            events::SEARCH => search.clone().map(Request::Search),
            other => panic!("events::CLIENT has {other:?}, which this check does not know"),
        };
        let got = Request::parse(event, v, limits, guest);
        assert_eq!(got, expected, "Request::parse({event:?}) disagrees");
        if let Ok(r) = &got {
            assert_eq!(r.event(), event, "a request reports the event it came as");
        }
    }
    check_unknown_event(UNKNOWN_EVENT, v, limits);
    if let Value::String(s) = v {
        if !events::CLIENT.contains(&s.as_str()) {
            check_unknown_event(s, v, limits);
        }
        check_text(s, limits);
    }
}

/// The field validators on their own.
pub fn check_text(s: &str, limits: &Limits) {
    for (r, max) in [
        (clean_room(s), MAX_ROOM_CHARS),
        (clean_nick(s), MAX_NICK_CHARS),
    ] {
        match r {
            Ok(name) => check_name(&name, max),
            Err(e) => check_refusal(&e),
        }
    }
    match clean_message(s, limits) {
        Ok(text) => check_message(&text, limits),
        Err(e) => check_refusal(&e),
    }
    match clean_client_id(s) {
        Ok(id) => check_client_id(&id),
        Err(e) => check_refusal(&e),
    }
    check_file_name(&clean_file_name(s));
    match clean_emoji(s) {
        Ok(e) => check_emoji(&e),
        Err(e) => check_refusal(&e),
    }
    if let Some(m) = clean_mime(s) {
        assert_eq!(
            clean_mime(&m).as_ref(),
            Some(&m),
            "a cleaned MIME type changes again"
        );
        assert!(m.is_ascii() && !m.contains([' ', ';']), "{m:?}");
    }
}

/// A cleaned file name is safe to save anywhere and to put in a header: a single, bounded,
/// visible component, free of control and bidi characters; cleaning it again changes nothing.
fn check_file_name(name: &str) {
    assert!(!name.is_empty(), "empty file name");
    assert!(name.len() <= MAX_FILE_NAME_BYTES, "{} bytes", name.len());
    assert!(!name.contains(['/', '\\', '\0']), "a path in {name:?}");
    assert!(!name.starts_with('.'), "hidden or dot name {name:?}");
    assert!(
        !name.chars().any(|c| c.is_control()
            || ('\u{202A}'..='\u{202E}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)),
        "control or bidi character in {name:?}"
    );
    assert!(has_visible(name), "invisible file name {name:?}");
    assert_eq!(clean_file_name(name), name, "cleaning is not idempotent");
}

/// An accepted reaction is one of the picker's, or a short single grapheme with nothing that
/// draws text or moves the line: no control characters, no whitespace, no letters.
fn check_emoji(e: &str) {
    if QUICK_EMOJI.contains(&e) {
        return;
    }
    assert!(!e.is_empty() && e.len() <= MAX_EMOJI_BYTES, "{e:?}");
    assert!(
        !e.chars()
            .any(|c| c.is_control() || c.is_whitespace() || c.is_alphabetic()),
        "{e:?}"
    );
    assert_eq!(
        clean_emoji(e).as_deref(),
        Ok(e),
        "an accepted emoji is accepted again"
    );
}

fn check_upload(u: &FileUploadRequest, limits: &Limits) {
    check_name(&u.room, MAX_ROOM_CHARS);
    check_file_name(&u.name);
    assert!(u.size <= limits.max_file_bytes);
    if let Some(id) = &u.client_id {
        check_client_id(id);
    }
}

fn guest() -> String {
    GUEST_NICK.to_owned()
}

fn check_unknown_event(event: &str, v: &Value, limits: &Limits) {
    let e = Request::parse(event, v, limits, guest).expect_err("an unknown event is refused");
    assert_eq!(e.code, ErrorCode::UnknownEvent, "{event:?}: {e:?}");
    assert!(
        !e.message.trim().is_empty(),
        "unknown_event without a sentence"
    );
    assert!(
        e.message.len() <= MAX_UNKNOWN_EVENT_MESSAGE,
        "the echoed name is not cut: {} bytes",
        e.message.len()
    );
}

fn check_join(v: &Value, j: &JoinRequest) {
    check_name(&j.room, MAX_ROOM_CHARS);
    check_name(&j.nick, MAX_NICK_CHARS);
    match v {
        Value::String(_) => {
            assert_eq!(j.nick, GUEST_NICK, "a bare room string joins as a guest");
            assert_eq!(j.since, None);
        }
        _ => match j.since {
            Some(n) => assert_eq!(v.get("since").and_then(Value::as_u64), Some(n)),
            None => assert!(v.get("since").is_none_or(Value::is_null)),
        },
    }
    let again = json!({"roomName": j.room, "nickName": j.nick, "since": j.since});
    assert_eq!(
        parse_join(&again, || unreachable!("an object never uses the fallback")).as_ref(),
        Ok(j),
        "a cleaned join is accepted unchanged"
    );
}

fn check_send(s: &SendRequest, limits: &Limits) {
    check_name(&s.room, MAX_ROOM_CHARS);
    check_message(&s.text, limits);
    if let Some(id) = &s.client_id {
        check_client_id(id);
    }
    // The payload's nickName never reaches the request, whatever it is.
    let again = json!({"room": s.room, "message": s.text, "clientId": s.client_id,
                       "replyTo": s.reply_to, "nickName": ["not", "a", "string"]});
    assert_eq!(
        parse_send(&again, limits).as_ref(),
        Ok(s),
        "a cleaned send is accepted unchanged"
    );
}

fn check_typing(v: &Value, t: &TypingRequest) {
    check_name(&t.room, MAX_ROOM_CHARS);
    let expected = v.get("typing").map_or(Some(true), Value::as_bool);
    assert_eq!(Some(t.typing), expected);
}

fn check_name(name: &str, max: usize) {
    assert!(!name.is_empty(), "empty name accepted");
    assert_eq!(name, name.trim(), "untrimmed name accepted: {name:?}");
    assert!(
        name.chars().count() <= max,
        "name over {max} chars: {name:?}"
    );
    assert!(
        !name.chars().any(char::is_control),
        "control character in name: {name:?}"
    );
    assert!(
        has_visible(name),
        "name with nothing visible accepted: {name:?}"
    );
}

fn check_message(text: &str, limits: &Limits) {
    assert!(!text.is_empty(), "empty message accepted");
    assert_eq!(text, text.trim(), "untrimmed message accepted");
    assert!(text.chars().count() <= limits.max_message_chars);
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "control character in message: {text:?}"
    );
    assert!(
        has_visible(text),
        "message with nothing visible accepted: {text:?}"
    );
}

fn check_client_id(id: &str) {
    assert!(!id.is_empty());
    assert!(id.chars().count() <= MAX_CLIENT_ID_CHARS);
    assert!(!id.chars().any(char::is_control));
}

fn check_refusal(e: &WireError) {
    assert!(
        VALIDATION_CODES.contains(&e.code),
        "unexpected code {:?}",
        e.code
    );
    assert!(
        !e.message.trim().is_empty(),
        "error {:?} has no message",
        e.code
    );
}

fn has_visible(s: &str) -> bool {
    s.chars().any(|c| !c.is_whitespace() && !is_invisible(c))
}
