//! Fuzzes the validation of untrusted event payloads (`lanchat::protocol::parse_*`): whatever a
//! client sends, parsing never panics, every accepted request is clean (trimmed, non-empty,
//! bounded, free of control characters), every refusal carries a validation code and a
//! sentence, and cleaning is idempotent (a cleaned request is accepted again unchanged).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

use lanchat::protocol::{
    JoinRequest, Limits, SendRequest, TypingRequest, WireError, clean_client_id, clean_message,
    clean_nick, clean_room, parse_join, parse_leave, parse_send, parse_typing,
};

const MAX_ROOM: usize = 64;
const MAX_NICK: usize = 32;
const MAX_CLIENT_ID: usize = 64;
const FALLBACK_NICK: &str = "guest-abcdef";

/// The only codes validation may produce; anything else (say `rate_limited`) is a bug.
const VALIDATION_CODES: &[&str] = &[
    "invalid_payload",
    "invalid_room",
    "invalid_nick",
    "invalid_message",
    "message_too_long",
    "invalid_client_id",
];

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    match serde_json::from_slice::<Value>(data) {
        Ok(v) => check_all(&v, &limits),
        // Not JSON: still worth feeding the text to the field validators, as a bare string
        // and inside every payload shape.
        Err(_) => {
            if let Ok(s) = std::str::from_utf8(data) {
                check_text(s, &limits);
                check_all(&Value::String(s.to_owned()), &limits);
                check_all(
                    &json!({"roomName": s, "room": s, "nickName": s, "message": s, "clientId": s}),
                    &limits,
                );
            }
        }
    }
});

fn check_all(v: &Value, limits: &Limits) {
    let join = parse_join(v, || FALLBACK_NICK.to_owned());
    assert_eq!(
        join,
        parse_join(v, || FALLBACK_NICK.to_owned()),
        "deterministic"
    );
    match join {
        Ok(j) => check_join(v, &j),
        Err(e) => check_error(&e),
    }
    match parse_send(v, limits) {
        Ok(s) => check_send(&s, limits),
        Err(e) => check_error(&e),
    }
    match parse_leave(v) {
        Ok(room) => {
            check_room(&room);
            assert_eq!(parse_leave(&Value::String(room.clone())), Ok(room));
        }
        Err(e) => check_error(&e),
    }
    match parse_typing(v) {
        Ok(t) => check_typing(v, &t),
        Err(e) => check_error(&e),
    }
    if let Value::String(s) = v {
        check_text(s, limits);
    }
}

/// The field validators on their own.
fn check_text(s: &str, limits: &Limits) {
    for (r, max) in [(clean_room(s), MAX_ROOM), (clean_nick(s), MAX_NICK)] {
        match r {
            Ok(name) => check_name(&name, max),
            Err(e) => check_error(&e),
        }
    }
    match clean_message(s, limits) {
        Ok(text) => check_text_clean(&text, limits),
        Err(e) => check_error(&e),
    }
    match clean_client_id(s) {
        Ok(id) => check_client_id(&id),
        Err(e) => check_error(&e),
    }
}

fn check_join(v: &Value, j: &JoinRequest) {
    check_room(&j.room);
    check_name(&j.nick, MAX_NICK);
    match v {
        Value::String(_) => {
            assert_eq!(j.nick, FALLBACK_NICK, "a bare room string joins as a guest");
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
    check_room(&s.room);
    check_text_clean(&s.text, limits);
    if let Some(id) = &s.client_id {
        check_client_id(id);
    }
    // The payload's nickName never reaches the request, whatever it is.
    let again = json!({"room": s.room, "message": s.text, "clientId": s.client_id,
                       "nickName": ["not", "a", "string"]});
    assert_eq!(
        parse_send(&again, limits).as_ref(),
        Ok(s),
        "a cleaned send is accepted unchanged"
    );
}

fn check_typing(v: &Value, t: &TypingRequest) {
    check_room(&t.room);
    let expected = v.get("typing").map_or(Some(true), Value::as_bool);
    assert_eq!(Some(t.typing), expected);
}

fn check_room(room: &str) {
    check_name(room, MAX_ROOM);
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
}

fn check_text_clean(text: &str, limits: &Limits) {
    assert!(!text.is_empty(), "empty message accepted");
    assert_eq!(text, text.trim(), "untrimmed message accepted");
    assert!(text.chars().count() <= limits.max_message_chars);
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "control character in message: {text:?}"
    );
}

fn check_client_id(id: &str) {
    assert!(!id.is_empty());
    assert!(id.chars().count() <= MAX_CLIENT_ID);
    assert!(!id.chars().any(char::is_control));
}

fn check_error(e: &WireError) {
    assert!(
        VALIDATION_CODES.contains(&e.code.as_str()),
        "unexpected code {:?}",
        e.code
    );
    assert!(
        !e.message.trim().is_empty(),
        "error {:?} has no message",
        e.code
    );
}
