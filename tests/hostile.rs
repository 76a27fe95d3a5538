//! Hostile and malformed input: every case gets a clear refusal (an error ack, a `requestError`,
//! a `connect_error`, an HTTP error) or a dropped connection where that is right — and after
//! each one the server is still up and two calm users in a room still talk. docs/security.md
//! lists every case with its expected outcome.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::raw::{self, Fate, HttpReply, RawSio};
use common::*;
use futures_util::future::join_all;
use lanchat::protocol::{Limits, parse_join, parse_leave, parse_send, parse_typing};
use lanchat::server::{Config, RunningServer};
use lanchat::store::Store;
use serde_json::{Value, json};
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The calm users' room.
const ROOM: &str = "calm";

/// Tests that measure this process's memory run alone; every other test holds a read guard.
static GATE: RwLock<()> = RwLock::const_new(());

async fn shared() -> RwLockReadGuard<'static, ()> {
    GATE.read().await
}

async fn exclusive() -> RwLockWriteGuard<'static, ()> {
    GATE.write().await
}

/// Awaits `fut`, failing the named case if it takes longer than [`WAIT`]. (The helpers in
/// `common` have their own timeouts of the same length; whichever fires first fails the test.)
async fn within<T>(case: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, fut)
        .await
        .unwrap_or_else(|_| panic!("[{case}] timed out"))
}

/// Two well-behaved users in [`ROOM`] who check, after each hostile act, that the server still
/// carries their conversation.
struct Calm {
    a: Peer,
    b: Peer,
    url: String,
    auth: Value,
    checks: AtomicUsize,
}

impl Calm {
    async fn join(s: &RunningServer) -> Calm {
        Calm::join_with(s, json!({})).await
    }

    async fn join_with(s: &RunningServer, auth: Value) -> Calm {
        let url = url(s);
        let a = Peer::connect_with(&url, auth.clone())
            .await
            .expect("calm-a");
        let b = Peer::connect_with(&url, auth.clone())
            .await
            .expect("calm-b");
        a.join(ROOM, "calm-a").await;
        b.join(ROOM, "calm-b").await;
        Calm {
            a,
            b,
            url,
            auth,
            checks: AtomicUsize::new(0),
        }
    }

    /// The server is up and unaffected by `case`: calm-a's message reaches calm-b under
    /// calm-a's name, `/api/info` answers, and a new user can connect and get a `ping` answer.
    async fn check(&self, case: &str) {
        self.check_pair(case).await;
        let fresh = within(case, Peer::connect_with(&self.url, self.auth.clone()))
            .await
            .unwrap_or_else(|e| panic!("[{case}] a new user cannot connect: {e:?}"));
        let pong = within(case, fresh.request("ping", Value::Null)).await;
        assert_eq!(pong["ok"], true, "[{case}] ping: {pong}");
        fresh.close().await;
    }

    /// [`Calm::check`] without the new connection (for servers at their connection cap).
    async fn check_pair(&self, case: &str) {
        let n = self.checks.fetch_add(1, Ordering::Relaxed);
        let text = format!("calm check {n} after: {case}");
        let ack = within(case, self.a.send(ROOM, &text)).await;
        assert_eq!(
            ack["ok"], true,
            "[{case}] the calm user could not send: {ack}"
        );
        let got = within(case, self.b.wait_for("message", text_is(&text))).await;
        assert_eq!(got["nickName"], "calm-a", "[{case}] {got}");
        let info = within(case, reqwest::get(format!("{}/api/info", self.url)))
            .await
            .unwrap_or_else(|e| panic!("[{case}] /api/info: {e}"));
        assert!(
            info.status().is_success(),
            "[{case}] /api/info: {}",
            info.status()
        );
    }
}

/// Sends `event` with an ack callback and asserts the refusal `{ok: false, error: {code,
/// message}}`.
async fn refused(p: &Peer, case: &str, event: &str, payload: Value, code: &str) {
    let ack = within(case, p.request(event, payload)).await;
    assert_eq!(ack["ok"], false, "[{case}] accepted: {ack}");
    assert_eq!(ack["error"]["code"], code, "[{case}] {ack}");
    let msg = ack["error"]["message"].as_str().unwrap_or_default();
    assert!(
        !msg.trim().is_empty(),
        "[{case}] no readable message: {ack}"
    );
}

/// Sends `event` without an ack callback and asserts the `requestError` event.
async fn refused_quietly(p: &Peer, case: &str, event: &str, payload: Value, code: &str) {
    within(case, p.emit(event, payload)).await;
    let e = within(case, p.wait_for("requestError", |_| true)).await;
    assert_eq!(e["code"], code, "[{case}] {e}");
    assert_eq!(e["event"].as_str(), Some(event), "[{case}] {e}");
    assert!(
        !e["message"].as_str().unwrap_or_default().trim().is_empty(),
        "[{case}] no readable message: {e}"
    );
}

/// Sends `event` with an ack callback and asserts success; returns the ack.
async fn accepted(p: &Peer, case: &str, event: &str, payload: Value) -> Value {
    let ack = within(case, p.request(event, payload)).await;
    assert_eq!(ack["ok"], true, "[{case}] refused: {ack}");
    ack
}

/// A test server, the calm pair, and `eve`, a hostile user who has joined their room.
async fn server_with_eve() -> (RunningServer, Calm, Peer) {
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let eve = Peer::connect(&url(&s)).await;
    eve.join(ROOM, "eve").await;
    (s, calm, eve)
}

// ---------------------------------------------------------------------------------------------
// Payload shapes

/// A payload that is not an object (number, string, array, null, bool) is `invalid_payload`,
/// with an ack or as a `requestError`.
#[tokio::test(flavor = "multi_thread")]
async fn non_object_payloads_are_refused() {
    let _g = shared().await;
    let (_s, calm, eve) = server_with_eve().await;
    let cases = [
        ("sendMessage number", "sendMessage", json!(42)),
        ("sendMessage string", "sendMessage", json!("hello")),
        ("sendMessage array", "sendMessage", json!([ROOM, "hello"])),
        ("sendMessage null", "sendMessage", Value::Null),
        ("sendMessage bool", "sendMessage", json!(true)),
        ("joinRoom array", "joinRoom", json!(["r", "n"])),
        ("joinRoom null", "joinRoom", Value::Null),
        ("joinRoom bool", "joinRoom", json!(false)),
        ("joinRoom float", "joinRoom", json!(3.5)),
        ("leaveRoom number", "leaveRoom", json!(7)),
        ("leaveRoom null", "leaveRoom", Value::Null),
        ("typing bare string", "typing", json!(ROOM)),
        ("typing array", "typing", json!([ROOM, true])),
    ];
    for (case, event, payload) in cases {
        refused(&eve, case, event, payload.clone(), "invalid_payload").await;
        let quiet = format!("{case} (no ack)");
        refused_quietly(&eve, &quiet, event, payload, "invalid_payload").await;
        calm.check_pair(case).await;
    }
    calm.check("non-object payloads").await;
}

/// Fields of the wrong JSON type are `invalid_payload`, never a crash or a coerced value.
#[tokio::test(flavor = "multi_thread")]
async fn wrong_typed_fields_are_refused() {
    let _g = shared().await;
    let (_s, calm, eve) = server_with_eve().await;
    let cases = [
        (
            "roomName number",
            "joinRoom",
            json!({"roomName": 5, "nickName": "n"}),
        ),
        (
            "roomName null",
            "joinRoom",
            json!({"roomName": null, "nickName": "n"}),
        ),
        (
            "nickName array",
            "joinRoom",
            json!({"roomName": "r", "nickName": ["n"]}),
        ),
        (
            "nickName object",
            "joinRoom",
            json!({"roomName": "r", "nickName": {"n": 1}}),
        ),
        (
            "since string",
            "joinRoom",
            json!({"roomName": "r", "nickName": "n", "since": "3"}),
        ),
        (
            "since bool",
            "joinRoom",
            json!({"roomName": "r", "nickName": "n", "since": true}),
        ),
        (
            "room number",
            "sendMessage",
            json!({"room": 1, "message": "x"}),
        ),
        (
            "message object",
            "sendMessage",
            json!({"room": ROOM, "message": {"text": "x"}}),
        ),
        (
            "message null",
            "sendMessage",
            json!({"room": ROOM, "message": null}),
        ),
        (
            "clientId bool",
            "sendMessage",
            json!({"room": ROOM, "message": "x", "clientId": true}),
        ),
        ("leave room number", "leaveRoom", json!({"room": 5})),
        (
            "typing string",
            "typing",
            json!({"room": ROOM, "typing": "yes"}),
        ),
        (
            "typing number",
            "typing",
            json!({"room": ROOM, "typing": 1}),
        ),
        (
            "typing room bool",
            "typing",
            json!({"room": false, "typing": true}),
        ),
    ];
    for (case, event, payload) in cases {
        refused(&eve, case, event, payload, "invalid_payload").await;
        calm.check_pair(case).await;
    }
    calm.check("wrong-typed fields").await;
}

/// Required fields that are missing are `invalid_payload`.
#[tokio::test(flavor = "multi_thread")]
async fn missing_fields_are_refused() {
    let _g = shared().await;
    let (_s, calm, eve) = server_with_eve().await;
    let cases = [
        ("joinRoom {}", "joinRoom", json!({})),
        ("joinRoom no roomName", "joinRoom", json!({"nickName": "n"})),
        ("sendMessage {}", "sendMessage", json!({})),
        (
            "sendMessage no message",
            "sendMessage",
            json!({"room": ROOM}),
        ),
        (
            "sendMessage no room",
            "sendMessage",
            json!({"message": "hi"}),
        ),
        ("leaveRoom {}", "leaveRoom", json!({})),
        ("typing {}", "typing", json!({})),
    ];
    for (case, event, payload) in cases {
        refused(&eve, case, event, payload, "invalid_payload").await;
        calm.check_pair(case).await;
    }
    calm.check("missing fields").await;
}

/// Unknown extra fields are ignored, not refused — and never relayed: a client cannot forge a
/// message's `kind`, `seq`, `id`, `ts`, `history` or sender by adding them to its payload.
#[tokio::test(flavor = "multi_thread")]
async fn unknown_fields_are_ignored_and_not_relayed() {
    let _g = shared().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let eve = Peer::connect(&url(&s)).await;
    let join = accepted(
        &eve,
        "joinRoom with extra fields",
        "joinRoom",
        json!({"roomName": ROOM, "nickName": "eve", "admin": true, "role": "host",
               "__proto__": {"isAdmin": true}, "constructor": {"prototype": {}},
               "since": null, "history": false}),
    )
    .await;
    assert_eq!(join["nickName"], "eve");
    let ack = accepted(
        &eve,
        "sendMessage with forged fields",
        "sendMessage",
        json!({"room": ROOM, "message": "forged?", "nickName": "calm-a", "kind": "system",
               "seq": 1, "id": "forged-id", "ts": 0, "history": true, "extra": {"a": [1, 2]}}),
    )
    .await;
    let m = calm.b.wait_for("message", text_is("forged?")).await;
    let mut keys: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["id", "kind", "message", "nickName", "room", "seq", "ts"],
        "{m}"
    );
    assert_eq!(
        (&m["kind"], &m["nickName"], &m["id"], &m["seq"]),
        (&json!("chat"), &json!("eve"), &ack["id"], &ack["seq"]),
        "{m}"
    );
    assert_ne!(m["ts"], 0);
    accepted(
        &eve,
        "typing with extra fields",
        "typing",
        json!({"room": ROOM, "typing": true, "nickName": "calm-a"}),
    )
    .await;
    let t = calm.b.wait_for("typing", |_| true).await;
    assert_eq!(t, json!({"room": ROOM, "nickName": "eve", "typing": true}));
    accepted(
        &eve,
        "leaveRoom with extra fields",
        "leaveRoom",
        json!({"room": ROOM, "everyone": true}),
    )
    .await;
    calm.check("unknown fields").await;
}

/// Unknown event names (even ones the server itself emits, or huge ones) get `unknown_event`;
/// the echoed name is cut to 64 characters.
#[tokio::test(flavor = "multi_thread")]
async fn unknown_events_are_refused() {
    let _g = shared().await;
    let (_s, calm, eve) = server_with_eve().await;
    let long = "e".repeat(10_000);
    let cases = [
        ("empty event name", ""),
        ("__proto__", "__proto__"),
        ("server event message", "message"),
        ("server event requestError", "requestError"),
        ("server event kicked", "kicked"),
        ("server event serverClosing", "serverClosing"),
        ("wrong case JOINROOM", "JOINROOM"),
        ("trailing space", "joinRoom "),
        ("10,000-char name", long.as_str()),
    ];
    for (case, event) in cases {
        refused(&eve, case, event, json!({"room": ROOM}), "unknown_event").await;
        within(case, eve.emit(event, json!({"room": ROOM}))).await;
        let e = within(case, eve.wait_for("requestError", |_| true)).await;
        assert_eq!(e["code"], "unknown_event", "[{case}] {e}");
        let echoed = e["event"].as_str().unwrap();
        assert_eq!(echoed, &event[..event.len().min(64)], "[{case}]");
        assert!(e["message"].as_str().unwrap().len() < 200, "[{case}] {e}");
        calm.check_pair(case).await;
    }
    calm.check("unknown events").await;
}

/// Events with no payload at all: requests that need one are `invalid_payload`, `ping` works.
#[tokio::test(flavor = "multi_thread")]
async fn events_without_a_payload() {
    let _g = shared().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let mut raw = RawSio::connect(s.addr).await;
    for (case, packet, code) in [
        (
            "sendMessage without payload",
            r#"["sendMessage"]"#,
            Some("invalid_payload"),
        ),
        (
            "joinRoom without payload",
            r#"["joinRoom"]"#,
            Some("invalid_payload"),
        ),
        (
            "leaveRoom without payload",
            r#"["leaveRoom"]"#,
            Some("invalid_payload"),
        ),
        (
            "typing without payload",
            r#"["typing"]"#,
            Some("invalid_payload"),
        ),
        (
            "unknown event without payload",
            r#"["frobnicate"]"#,
            Some("unknown_event"),
        ),
        ("ping without payload", r#"["ping"]"#, None),
    ] {
        let ack = within(case, raw.request_raw(packet))
            .await
            .unwrap_or_else(|| panic!("[{case}] connection dropped"));
        match code {
            Some(code) => assert_eq!(ack["error"]["code"], code, "[{case}] {ack}"),
            None => assert_eq!(ack["ok"], true, "[{case}] {ack}"),
        }
        calm.check_pair(case).await;
    }
    calm.check("events without payload").await;
}

/// Deeply nested JSON is refused as a whole (serde_json's recursion limit, 128 levels) without
/// a stack overflow; moderate nesting in an ignored field is fine.
#[tokio::test(flavor = "multi_thread")]
async fn deeply_nested_json_is_refused() {
    let _g = shared().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let mut raw = RawSio::connect(s.addr).await;
    let join = raw
        .request_raw(r#"["joinRoom",{"roomName":"calm","nickName":"deep"}]"#)
        .await
        .unwrap();
    assert_eq!(join["ok"], true, "{join}");
    let arrays = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let objects = |n: usize| format!("{}1{}", r#"{"a":"#.repeat(n), "}".repeat(n));
    let cases = [
        (
            "10,000 nested arrays as payload",
            format!(r#"["sendMessage",{}]"#, arrays(10_000)),
        ),
        (
            "10,000 nested arrays in an extra field",
            format!(
                r#"["sendMessage",{{"room":"calm","message":"deep","x":{}}}]"#,
                arrays(10_000)
            ),
        ),
        (
            "8,000 nested objects in an extra field",
            format!(
                r#"["sendMessage",{{"room":"calm","message":"deep","x":{}}}]"#,
                objects(8_000)
            ),
        ),
        (
            "10,000 nested arrays as room",
            format!(r#"["leaveRoom",{{"room":{}}}]"#, arrays(10_000)),
        ),
    ];
    for (case, packet) in &cases {
        assert!(
            packet.len() < 64 * 1024,
            "[{case}] must fit the packet limit"
        );
        let ack = within(case, raw.request_raw(packet))
            .await
            .unwrap_or_else(|| panic!("[{case}] connection dropped"));
        assert_eq!(ack["error"]["code"], "invalid_payload", "[{case}] {ack}");
        calm.check_pair(case).await;
    }
    let case = "100 nested arrays in an extra field";
    let packet = format!(
        r#"["sendMessage",{{"room":"calm","message":"moderate","x":{}}}]"#,
        arrays(100)
    );
    let ack = within(case, raw.request_raw(&packet)).await.unwrap();
    assert_eq!(ack["ok"], true, "[{case}] {ack}");
    calm.b.wait_for("message", text_is("moderate")).await;
    calm.check("deeply nested JSON").await;
}

/// `since` must be a non-negative integer that fits in 64 bits; anything else is
/// `invalid_payload`. Huge valid values join with no history.
#[tokio::test(flavor = "multi_thread")]
async fn since_edge_values() {
    let _g = shared().await;
    let (s, calm, eve) = server_with_eve().await;
    let two_pow_64: Value = serde_json::from_str("18446744073709551616").unwrap();
    for (case, since) in [
        ("since -1", json!(-1)),
        ("since -0.5", json!(-0.5)),
        ("since 1.5", json!(1.5)),
        ("since 1e30", json!(1e30)),
        ("since 2^64", two_pow_64),
    ] {
        refused(
            &eve,
            case,
            "joinRoom",
            json!({"roomName": "s", "nickName": "eve", "since": since}),
            "invalid_payload",
        )
        .await;
        calm.check_pair(case).await;
    }
    // A valid but huge `since` means "I have everything": no history, a normal join.
    let p = Peer::connect(&url(&s)).await;
    for (case, since) in [
        ("since 2^63", 1u64 << 63),
        ("since u64::MAX - 1", u64::MAX - 1),
    ] {
        let ack = accepted(
            &p,
            case,
            "joinRoom",
            json!({"roomName": ROOM, "nickName": "huge", "since": since}),
        )
        .await;
        assert_eq!(ack["nickName"], "huge");
        let (name, first) = within(case, p.next()).await;
        assert!(
            !(name == "message" && first["history"] == true),
            "[{case}] history was replayed: {first}"
        );
        accepted(&p, case, "leaveRoom", json!({"room": ROOM})).await;
        calm.check_pair(case).await;
    }
    calm.check("since edge values").await;
}

/// `since: u64::MAX` (18446744073709551615, valid JSON for a u64) must join with no history.
#[tokio::test(flavor = "multi_thread")]
async fn since_u64_max_joins_with_no_history() {
    let _g = shared().await;
    let (_s, calm, eve) = server_with_eve().await;
    let case = "since u64::MAX";
    let ack = within(
        case,
        eve.request(
            "joinRoom",
            json!({"roomName": "s", "nickName": "eve", "since": u64::MAX}),
        ),
    )
    .await;
    assert_eq!(ack["ok"], true, "[{case}] {ack}");
    calm.check(case).await;
}

// ---------------------------------------------------------------------------------------------
// Names and text

/// Names and messages that are empty after trimming (spaces, tabs, newlines, NBSP, ideographic
/// space, line separator) are refused with their field's code.
#[tokio::test(flavor = "multi_thread")]
async fn empty_and_whitespace_names_and_messages() {
    let _g = shared().await;
    let (_s, calm, eve) = server_with_eve().await;
    let join = |room: &str, nick: &str| json!({"roomName": room, "nickName": nick});
    let send = |text: &str| json!({"room": ROOM, "message": text});
    let cases = [
        (
            "room whitespace",
            "joinRoom",
            join("   ", "n"),
            "invalid_room",
        ),
        (
            "room tab newline",
            "joinRoom",
            join("\t\n", "n"),
            "invalid_room",
        ),
        (
            "room ideographic space",
            "joinRoom",
            join("\u{3000}", "n"),
            "invalid_room",
        ),
        ("nick empty", "joinRoom", join("r", ""), "invalid_nick"),
        (
            "nick whitespace",
            "joinRoom",
            join("r", "  "),
            "invalid_nick",
        ),
        ("nick NBSP", "joinRoom", join("r", "\u{a0}"), "invalid_nick"),
        ("message empty", "sendMessage", send(""), "invalid_message"),
        (
            "message whitespace",
            "sendMessage",
            send(" \n\t "),
            "invalid_message",
        ),
        (
            "message line separator",
            "sendMessage",
            send("\u{2028}"),
            "invalid_message",
        ),
        (
            "bare room string blank",
            "joinRoom",
            json!("   "),
            "invalid_room",
        ),
        (
            "clientId empty",
            "sendMessage",
            json!({"room": ROOM, "message": "x", "clientId": ""}),
            "invalid_client_id",
        ),
    ];
    for (case, event, payload, code) in cases {
        refused(&eve, case, event, payload, code).await;
        calm.check_pair(case).await;
    }
    calm.check("empty and whitespace").await;
}

/// Length limits count characters, not bytes: 64-emoji rooms, 32-char nicks and 4000-emoji
/// messages pass; one more is refused. A 30,000-char message (still under the 64 KiB packet
/// limit) is `message_too_long`, not a dropped connection.
#[tokio::test(flavor = "multi_thread")]
async fn oversized_names_and_messages() {
    let _g = shared().await;
    let (_s, calm, eve) = server_with_eve().await;
    let emoji = |n: usize| "\u{1f600}".repeat(n);
    let join = |room: &str, nick: &str| json!({"roomName": room, "nickName": nick});
    let send = |text: &str| json!({"room": ROOM, "message": text});
    let refusals = [
        (
            "room 65 emoji",
            "joinRoom",
            join(&emoji(65), "n"),
            "invalid_room",
        ),
        (
            "nick 33 emoji",
            "joinRoom",
            join("r", &emoji(33)),
            "invalid_nick",
        ),
        (
            "nick 34 chars with combining marks",
            "joinRoom",
            join("r", &"e\u{301}".repeat(17)),
            "invalid_nick",
        ),
        (
            "message 4001 emoji",
            "sendMessage",
            send(&emoji(4001)),
            "message_too_long",
        ),
        (
            "message 30,000 chars",
            "sendMessage",
            send(&"x".repeat(30_000)),
            "message_too_long",
        ),
        (
            "clientId 65 chars",
            "sendMessage",
            json!({"room": ROOM, "message": "x", "clientId": "c".repeat(65)}),
            "invalid_client_id",
        ),
    ];
    for (case, event, payload, code) in refusals {
        refused(&eve, case, event, payload, code).await;
        calm.check_pair(case).await;
    }
    let p = Peer::connect(&calm.url).await;
    let ack = accepted(
        &p,
        "room 64 emoji",
        "joinRoom",
        join(&emoji(64), &emoji(32)),
    )
    .await;
    assert_eq!(ack["nickName"], emoji(32));
    let ack = accepted(
        &eve,
        "message 4000 emoji",
        "sendMessage",
        send(&emoji(4000)),
    )
    .await;
    let m = calm.b.wait_for("message", |v| v["seq"] == ack["seq"]).await;
    assert_eq!(m["message"], emoji(4000));
    accepted(
        &eve,
        "clientId 64 chars",
        "sendMessage",
        json!({"room": ROOM, "message": "x", "clientId": "c".repeat(64)}),
    )
    .await;
    calm.check("oversized").await;
}

/// A packet over the 64 KiB limit (a 70,000-char message) drops that connection: the server
/// never parses it. Everyone else carries on.
#[tokio::test(flavor = "multi_thread")]
async fn packets_over_the_size_limit_drop_the_connection() {
    let _g = shared().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let mut raw = RawSio::connect(s.addr).await;
    let case = "70,000-char message";
    let packet = format!(
        r#"["sendMessage",{{"room":"calm","message":"{}"}}]"#,
        "x".repeat(70_000)
    );
    assert_eq!(
        within(case, raw.request_raw(&packet)).await,
        None,
        "[{case}]"
    );
    assert_eq!(within(case, raw.fate()).await, Fate::Dropped, "[{case}]");
    calm.check(case).await;
}

/// Control characters are refused in names (all of them) and messages (all but newline and
/// tab): C0, DEL, C1 and terminal escape sequences.
#[tokio::test(flavor = "multi_thread")]
async fn control_characters_are_refused() {
    let _g = shared().await;
    let (_s, calm, eve) = server_with_eve().await;
    let join = |room: &str, nick: &str| json!({"roomName": room, "nickName": nick});
    let send = |text: &str| json!({"room": ROOM, "message": text});
    let cases = [
        ("nick NUL", "joinRoom", join("r", "a\0b"), "invalid_nick"),
        (
            "nick newline",
            "joinRoom",
            join("r", "a\nb"),
            "invalid_nick",
        ),
        (
            "nick DEL",
            "joinRoom",
            join("r", "a\u{7f}b"),
            "invalid_nick",
        ),
        (
            "nick C1 NEL",
            "joinRoom",
            join("r", "a\u{85}b"),
            "invalid_nick",
        ),
        (
            "nick C1 CSI",
            "joinRoom",
            join("r", "a\u{9b}2J"),
            "invalid_nick",
        ),
        (
            "nick ANSI clear screen",
            "joinRoom",
            join("r", "\u{1b}[2J"),
            "invalid_nick",
        ),
        (
            "room carriage return",
            "joinRoom",
            join("a\rb", "n"),
            "invalid_room",
        ),
        (
            "room tab inside",
            "joinRoom",
            join("tab\there", "n"),
            "invalid_room",
        ),
        (
            "message NUL",
            "sendMessage",
            send("a\0b"),
            "invalid_message",
        ),
        (
            "message carriage return",
            "sendMessage",
            send("a\rb"),
            "invalid_message",
        ),
        (
            "message ANSI colour",
            "sendMessage",
            send("\u{1b}[31mred"),
            "invalid_message",
        ),
        (
            "message DEL",
            "sendMessage",
            send("a\u{7f}"),
            "invalid_message",
        ),
        (
            "message C1 CSI",
            "sendMessage",
            send("a\u{9b}31m"),
            "invalid_message",
        ),
        (
            "message bell",
            "sendMessage",
            send("ding\u{7}"),
            "invalid_message",
        ),
        (
            "clientId newline",
            "sendMessage",
            json!({"room": ROOM, "message": "x", "clientId": "a\nb"}),
            "invalid_client_id",
        ),
    ];
    for (case, event, payload, code) in cases {
        refused(&eve, case, event, payload, code).await;
        calm.check_pair(case).await;
    }
    let ack = accepted(&eve, "newline and tab", "sendMessage", send("a\tb\nc")).await;
    let m = calm.b.wait_for("message", |v| v["seq"] == ack["seq"]).await;
    assert_eq!(m["message"], "a\tb\nc");
    calm.check("control characters").await;
}

/// Bidi overrides (U+202E) and isolates are not control characters: the server accepts them in
/// names and messages and passes them on byte for byte. Making them harmless on screen is the
/// UI's job (it isolates user text); docs/security.md records the decision.
#[tokio::test(flavor = "multi_thread")]
async fn bidi_overrides_are_kept_verbatim() {
    let _g = shared().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let eve = Peer::connect(&url(&s)).await;
    let nick = "\u{202e}nimda"; // displays as "admin"
    let text = "invoice\u{202e}fdp.exe \u{2066}isolated\u{2069}";
    let ack = accepted(
        &eve,
        "bidi nickname",
        "joinRoom",
        json!({"roomName": ROOM, "nickName": nick}),
    )
    .await;
    assert_eq!(ack["nickName"], nick);
    let ack = accepted(
        &eve,
        "bidi message",
        "sendMessage",
        json!({"room": ROOM, "message": text}),
    )
    .await;
    let m = calm.b.wait_for("message", |v| v["seq"] == ack["seq"]).await;
    assert_eq!(
        (m["nickName"].as_str(), m["message"].as_str()),
        (Some(nick), Some(text))
    );
    let room = "\u{202e}moor";
    accepted(
        &eve,
        "bidi room",
        "joinRoom",
        json!({"roomName": room, "nickName": "x"}),
    )
    .await;
    // A newcomer's history has the same bytes.
    let late = Peer::connect(&url(&s)).await;
    late.join(ROOM, "late").await;
    let h = late.wait_for("message", |v| v["seq"] == ack["seq"]).await;
    assert_eq!(
        (h["nickName"].as_str(), h["message"].as_str()),
        (Some(nick), Some(text))
    );
    calm.check("bidi overrides").await;
}

/// Invisible characters make look-alike nicknames: `ann` + U+200B is a different nickname from
/// `ann`, accepted next to her. Nicknames are not identities (docs/security.md).
#[tokio::test(flavor = "multi_thread")]
async fn lookalike_nicknames_are_distinct() {
    let _g = shared().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let eve = Peer::connect(&url(&s)).await;
    let ack = accepted(
        &eve,
        "calm-a plus zero-width space",
        "joinRoom",
        json!({"roomName": ROOM, "nickName": "calm-a\u{200b}"}),
    )
    .await;
    assert_eq!(ack["nickName"], "calm-a\u{200b}");
    calm.check("look-alike nickname").await;
}

/// A nickname of only zero-width characters shows as nothing: it should be refused like an
/// empty one.
#[tokio::test(flavor = "multi_thread")]
async fn zero_width_only_nickname_is_refused() {
    let _g = shared().await;
    let (_s, calm, eve) = server_with_eve().await;
    for (case, nick) in [
        ("zero-width space", "\u{200b}"),
        ("zero-width mix", "\u{200b}\u{200c}\u{200d}\u{2060}\u{feff}"),
    ] {
        refused(
            &eve,
            case,
            "joinRoom",
            json!({"roomName": "zw", "nickName": nick}),
            "invalid_nick",
        )
        .await;
        calm.check_pair(case).await;
    }
    calm.check("zero-width nickname").await;
}

/// HTML and script are text: stored and echoed byte for byte in messages, nicknames and room
/// names, never escaped or altered by the server (rendering safely is the UI's job).
#[tokio::test(flavor = "multi_thread")]
async fn html_and_script_are_echoed_byte_for_byte() {
    let _g = shared().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let eve = Peer::connect(&url(&s)).await;
    let nick = "<b>eve</b>";
    eve.join(ROOM, nick).await;
    let texts = [
        "<img src=x onerror=alert(1)>",
        "<script>alert(document.cookie)</script>",
        "\"><svg/onload=alert(1)>",
        "&lt;b&gt; &amp; &#60;script&#62;",
        "javascript:alert(1)",
        "{{constructor.constructor('alert(1)')()}}",
        "<a href=\"javascript:alert(1)\">click</a>\n<iframe src=//evil>",
    ];
    let mut seqs = Vec::new();
    for t in texts {
        let ack = accepted(&eve, t, "sendMessage", json!({"room": ROOM, "message": t})).await;
        let m = calm.b.wait_for("message", |v| v["seq"] == ack["seq"]).await;
        assert_eq!(
            (m["message"].as_str(), m["nickName"].as_str()),
            (Some(t), Some(nick)),
            "[{t}]"
        );
        seqs.push(ack["seq"].clone());
    }
    let late = Peer::connect(&url(&s)).await;
    late.join(ROOM, "late").await;
    for (t, seq) in texts.iter().zip(&seqs) {
        let h = late.wait_for("message", |v| &v["seq"] == seq).await;
        assert_eq!(h["message"].as_str(), Some(*t), "history of [{t}]");
    }
    let room = "<script>alert(1)</script>";
    eve.join(room, nick).await;
    let info = api_info(&s).await;
    assert!(
        info["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == room),
        "{info}"
    );
    calm.check("HTML and script").await;
}

/// SQL-looking text is stored verbatim (the store uses bound parameters) and history still
/// works — also read back from the database by a restarted server.
#[tokio::test(flavor = "multi_thread")]
async fn sql_injection_text_is_stored_verbatim() {
    let _g = shared().await;
    let dir = tempfile::tempdir().unwrap();
    let s = start(test_config(), Store::open_dir(dir.path()).unwrap()).await;
    let calm = Calm::join(&s).await;
    let eve = Peer::connect(&url(&s)).await;
    let nick = "x' OR 1=1--";
    let room = "lobby'; DROP TABLE messages;--";
    eve.join(ROOM, nick).await;
    eve.join(room, nick).await;
    let texts = [
        "'); DROP TABLE messages; --",
        "' OR '1'='1",
        "Robert'); DROP TABLE students;--",
        "%' AND 1=1 --",
        "\\'; SELECT * FROM sqlite_master; --",
        "1; ATTACH DATABASE '/tmp/x.db' AS x; --",
    ];
    for t in texts {
        for r in [ROOM, room] {
            accepted(&eve, t, "sendMessage", json!({"room": r, "message": t})).await;
        }
        calm.b.wait_for("message", text_is(t)).await;
    }
    calm.check("SQL-looking text").await;
    drop(calm);
    eve.close().await;
    s.stop().await.unwrap();

    // A new server on the same data: history comes from SQLite, `since` included.
    let s = start(test_config(), Store::open_dir(dir.path()).unwrap()).await;
    let late = Peer::connect(&url(&s)).await;
    let ack = late
        .request(
            "joinRoom",
            json!({"roomName": room, "nickName": "late", "since": 0}),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let got: Vec<Value> = late
        .messages_until(|v| v["kind"] == "join" && v["nickName"] == "late")
        .await;
    let chats: Vec<&str> = got
        .iter()
        .filter(|m| m["kind"] == "chat")
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(chats, texts);
    assert!(
        got.iter()
            .filter(|m| m["kind"] == "chat")
            .all(|m| m["nickName"] == nick)
    );
    let seqs: Vec<u64> = got.iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    let calm = Calm::join(&s).await;
    calm.check("SQL-looking text after a restart").await;
}

// ---------------------------------------------------------------------------------------------
// Rooms, rates and identities

/// Thousands of joins from one connection: the first 32 (the default cap) succeed, the rest
/// are `too_many_rooms`; leaving one frees a place.
#[tokio::test(flavor = "multi_thread")]
async fn thousands_of_room_joins_hit_the_cap() {
    let _g = shared().await;
    let s = start_default().await;
    let cap = Config::default().max_rooms_per_socket;
    assert_eq!(cap, 32, "docs/security.md states the default");
    let calm = Calm::join(&s).await;
    let eve = Peer::connect(&url(&s)).await;
    let mut ok = 0;
    for i in 0..2000 {
        let ack = eve
            .request(
                "joinRoom",
                json!({"roomName": format!("r{i}"), "nickName": "eve"}),
            )
            .await;
        if ack["ok"] == true {
            ok += 1;
        } else {
            assert_eq!(ack["error"]["code"], "too_many_rooms", "join {i}: {ack}");
            assert!(
                ack["error"]["message"].as_str().unwrap().contains("32"),
                "{ack}"
            );
        }
    }
    assert_eq!(ok, cap);
    accepted(&eve, "leave one", "leaveRoom", json!({"room": "r0"})).await;
    accepted(
        &eve,
        "join after leaving",
        "joinRoom",
        json!({"roomName": "new", "nickName": "eve"}),
    )
    .await;
    refused(
        &eve,
        "one over the cap again",
        "joinRoom",
        json!({"roomName": "another", "nickName": "eve"}),
        "too_many_rooms",
    )
    .await;
    calm.check("thousands of room joins").await;
}

/// A flood of messages from one connection under the default rate limit (20/s, burst 40):
/// the excess gets `rate_limited` errors the client can show, the accepted ones stay within
/// the bucket, the calm users are unaffected, and the flooder can send again once it slows.
#[tokio::test(flavor = "multi_thread")]
async fn message_flood_is_rate_limited() {
    let _g = shared().await;
    let cfg = Config::default();
    let (burst, per_second) = (cfg.rate.burst, cfg.rate.per_second);
    assert_eq!(
        (burst, per_second),
        (40.0, 20.0),
        "docs/security.md states the defaults"
    );
    let s = start(cfg, Store::memory().unwrap()).await;
    let calm = Calm::join(&s).await;
    let flooder = Peer::connect(&url(&s)).await;
    flooder.join(ROOM, "flood").await;
    const N: usize = 300;
    let started = Instant::now();
    for i in 0..N {
        flooder
            .emit(
                "sendMessage",
                json!({"room": ROOM, "message": format!("flood {i}")}),
            )
            .await;
    }
    // Each request is answered exactly once: its echo or a requestError.
    let (mut echoed, mut limited) = (0, 0);
    while echoed + limited < N {
        match flooder.next().await {
            (n, v) if n == "message" && v["nickName"] == "flood" && v["kind"] == "chat" => {
                echoed += 1
            }
            (n, v) if n == "requestError" => {
                assert_eq!(
                    (v["code"].as_str(), v["event"].as_str()),
                    (Some("rate_limited"), Some("sendMessage")),
                    "{v}"
                );
                assert!(v["message"].as_str().unwrap().contains("slow down"), "{v}");
                limited += 1;
            }
            _ => {}
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let most = (burst + per_second * elapsed).floor() as usize + 1;
    assert!(
        echoed <= most,
        "{echoed} accepted in {elapsed:.2}s (at most {most})"
    );
    // The join took one token from the burst.
    assert!(
        echoed >= burst as usize - 1,
        "the burst of {burst} should pass, {echoed} did"
    );
    assert!(limited >= 1, "nothing was limited in {elapsed:.2}s");
    calm.check("message flood").await;
    // Rate limiting is per connection and temporary: 250 ms refills a few tokens.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let ack = flooder.send(ROOM, "calmer now").await;
    assert_eq!(ack["ok"], true, "{ack}");
}

/// A typing flood is limited with the rest, and the others get exactly the accepted notices.
#[tokio::test(flavor = "multi_thread")]
async fn typing_flood_is_rate_limited() {
    let _g = shared().await;
    let s = start(Config::default(), Store::memory().unwrap()).await;
    let calm = Calm::join(&s).await;
    let flooder = Peer::connect(&url(&s)).await;
    flooder.join(ROOM, "typist").await;
    let (mut ok, mut limited) = (0, 0);
    for i in 0..200 {
        let ack = flooder
            .request("typing", json!({"room": ROOM, "typing": i % 2 == 0}))
            .await;
        match ack["ok"].as_bool() {
            Some(true) => ok += 1,
            _ => {
                assert_eq!(ack["error"]["code"], "rate_limited", "{ack}");
                limited += 1;
            }
        }
    }
    assert!(limited > 0 && ok >= 39, "ok {ok}, limited {limited}");
    // Everything the hub accepted was relayed before calm-a's next message.
    let marker = "after the typing flood";
    calm.a.send(ROOM, marker).await;
    let mut relayed = 0;
    loop {
        match calm.b.next().await {
            (n, v) if n == "typing" && v["nickName"] == "typist" => relayed += 1,
            (n, v) if n == "message" && v["message"] == marker => break,
            _ => {}
        }
    }
    assert_eq!(relayed, ok);
    calm.check("typing flood").await;
}

/// The sender is always the nickname bound at join: `nickName` in `sendMessage` or `typing` —
/// another member's, the host's, or not even a string — is ignored.
#[tokio::test(flavor = "multi_thread")]
async fn spoofed_nicknames_are_ignored() {
    let _g = shared().await;
    let (_s, calm, eve) = server_with_eve().await;
    for (case, spoof) in [
        ("another member's nickname", json!("calm-b")),
        ("the host's nickname", json!("host")),
        ("a number", json!(42)),
        ("an object", json!({"nickName": "calm-a"})),
    ] {
        let text = format!("spoof: {case}");
        let ack = accepted(
            &eve,
            case,
            "sendMessage",
            json!({"room": ROOM, "nickName": spoof, "message": text}),
        )
        .await;
        let m = calm.b.wait_for("message", |v| v["seq"] == ack["seq"]).await;
        assert_eq!(m["nickName"], "eve", "[{case}] {m}");
        calm.check_pair(case).await;
    }
    calm.check("spoofed nicknames").await;
}

/// Sending, typing and leaving in rooms this connection has not joined (or has left) are
/// `not_in_room`; nothing reaches that room's members.
#[tokio::test(flavor = "multi_thread")]
async fn acting_in_rooms_not_joined() {
    let _g = shared().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let eve = Peer::connect(&url(&s)).await;
    let send = json!({"room": ROOM, "message": "sneak"});
    let typing = json!({"room": ROOM, "typing": true});
    let leave = json!({"room": ROOM});
    refused(
        &eve,
        "typing not joined",
        "typing",
        typing.clone(),
        "not_in_room",
    )
    .await;
    refused_quietly(
        &eve,
        "typing not joined (no ack)",
        "typing",
        typing.clone(),
        "not_in_room",
    )
    .await;
    refused(
        &eve,
        "leave not joined",
        "leaveRoom",
        leave.clone(),
        "not_in_room",
    )
    .await;
    refused_quietly(
        &eve,
        "leave not joined (no ack)",
        "leaveRoom",
        leave.clone(),
        "not_in_room",
    )
    .await;
    refused(
        &eve,
        "send to a room never created",
        "sendMessage",
        json!({"room": "nowhere", "message": "x"}),
        "not_in_room",
    )
    .await;
    eve.join(ROOM, "eve").await;
    refused(
        &eve,
        "rejoin under another nickname",
        "joinRoom",
        json!({"roomName": ROOM, "nickName": "eve2"}),
        "nick_taken",
    )
    .await;
    accepted(&eve, "leave", "leaveRoom", leave.clone()).await;
    refused(&eve, "leave twice", "leaveRoom", leave, "not_in_room").await;
    refused(
        &eve,
        "send after leaving",
        "sendMessage",
        send,
        "not_in_room",
    )
    .await;
    refused(
        &eve,
        "typing after leaving",
        "typing",
        typing,
        "not_in_room",
    )
    .await;
    // calm-b saw eve come and go, and nothing else from her.
    let marker = "after eve's attempts";
    calm.a.send(ROOM, marker).await;
    loop {
        let (n, v) = calm.b.next().await;
        assert!(n != "typing", "a refused typing notice was relayed: {v}");
        assert!(
            v["message"] != "sneak",
            "a refused message was relayed: {v}"
        );
        if n == "message" && v["message"] == marker {
            break;
        }
    }
    calm.check("acting in rooms not joined").await;
}

/// A password server refuses missing, empty, non-string and wrong passwords with a reason, as
/// often as they are tried, while its users carry on; the right one still works afterwards.
#[tokio::test(flavor = "multi_thread")]
async fn wrong_or_missing_passwords_are_refused() {
    let _g = shared().await;
    let cfg = Config {
        password: Some("s3cret".into()),
        ..test_config()
    };
    let s = start(cfg, Store::memory().unwrap()).await;
    let good = json!({"password": "s3cret"});
    let calm = Calm::join_with(&s, good.clone()).await;
    let cases = [
        (
            "empty password",
            json!({"password": ""}),
            "password_required",
        ),
        (
            "null password",
            json!({"password": null}),
            "password_required",
        ),
        (
            "number password",
            json!({"password": 12345}),
            "password_required",
        ),
        (
            "array password",
            json!({"password": ["s3cret"]}),
            "password_required",
        ),
        (
            "auth is a bare string",
            json!("s3cret"),
            "password_required",
        ),
        (
            "other field",
            json!({"pass": "s3cret"}),
            "password_required",
        ),
        ("wrong case", json!({"password": "S3CRET"}), "bad_password"),
        ("prefix", json!({"password": "s3cre"}), "bad_password"),
        (
            "trailing space",
            json!({"password": "s3cret "}),
            "bad_password",
        ),
        (
            "trailing NUL",
            json!({"password": "s3cret\0"}),
            "bad_password",
        ),
        (
            "very long",
            json!({"password": "s3cret".repeat(5000)}),
            "bad_password",
        ),
    ];
    for (case, auth, reason) in cases {
        match within(case, Peer::connect_with(&url(&s), auth)).await {
            Err(ConnectError::Refused(text)) => assert!(text.contains(reason), "[{case}] {text}"),
            Err(other) => panic!("[{case}] expected a refusal, got {other:?}"),
            Ok(_) => panic!("[{case}] connected without the password"),
        }
        calm.check(case).await;
    }
    // Raw: a namespace connect with no auth payload at all.
    let mut raw = RawSio::open(s.addr).await;
    let err = raw.connect_ns(None).await.unwrap_err();
    assert_eq!(err["message"], "password_required", "{err}");
    // No lockout: 50 more wrong guesses are each refused, and the right password still works.
    for i in 0..50 {
        let r = Peer::connect_with(&url(&s), json!({"password": format!("guess{i}")})).await;
        assert!(matches!(r, Err(ConnectError::Refused(ref t)) if t.contains("bad_password")));
    }
    raw::eventually("only the calm users are connected", || {
        s.control.connections() == 2
    })
    .await;
    calm.check("50 wrong guesses").await;
}

/// 300 connection attempts at once: with room to spare all connect; at a cap of 50 exactly
/// the free places are filled and every other attempt is refused with `server_full`.
#[tokio::test(flavor = "multi_thread")]
async fn many_simultaneous_connections() {
    let _g = shared().await;
    for (case, cap) in [
        ("default cap", Config::default().max_connections),
        ("cap 50", 50),
    ] {
        let s = start(
            Config {
                max_connections: cap,
                ..test_config()
            },
            Store::memory().unwrap(),
        )
        .await;
        let calm = Calm::join(&s).await;
        let u = url(&s);
        let attempts = join_all((0..300).map(|_| Peer::connect_with(&u, json!({})))).await;
        let (mut ok, mut full) = (Vec::new(), 0);
        for a in attempts {
            match a {
                Ok(p) => ok.push(p),
                Err(ConnectError::Refused(t)) if t.contains("server_full") => full += 1,
                Err(e) => panic!("[{case}] neither connected nor clearly refused: {e:?}"),
            }
        }
        let expected_ok = 300.min(cap - 2);
        assert_eq!(
            (ok.len(), full),
            (expected_ok, 300 - expected_ok),
            "[{case}]"
        );
        assert_eq!(s.control.connections(), expected_ok + 2, "[{case}]");
        calm.check_pair(case).await;
        join_all(ok.into_iter().map(Peer::close)).await;
        raw::eventually("the connections are counted out", || {
            s.control.connections() == 2
        })
        .await;
        calm.check(case).await;
    }
}

/// At the connection cap (5 here) the next connection gets `server_full`, also 50 at once;
/// when someone leaves, a place frees up.
#[tokio::test(flavor = "multi_thread")]
async fn connection_cap_refuses_with_server_full() {
    let _g = shared().await;
    let s = start(
        Config {
            max_connections: 5,
            ..test_config()
        },
        Store::memory().unwrap(),
    )
    .await;
    let calm = Calm::join(&s).await;
    let mut others = Vec::new();
    for _ in 0..3 {
        others.push(Peer::connect(&url(&s)).await);
    }
    let case = "6th connection";
    match Peer::connect_with(&url(&s), json!({})).await {
        Err(ConnectError::Refused(t)) => assert!(t.contains("server_full"), "[{case}] {t}"),
        other => panic!(
            "[{case}] expected server_full, got {:?}",
            other.map(|_| "a connection")
        ),
    }
    let u = url(&s);
    let burst = join_all((0..50).map(|_| Peer::connect_with(&u, json!({})))).await;
    assert!(
        burst
            .iter()
            .all(|r| matches!(r, Err(ConnectError::Refused(t)) if t.contains("server_full"))),
        "50 at once over the cap"
    );
    calm.check_pair(case).await;
    others.pop().unwrap().close().await;
    raw::eventually("a place frees up", || s.control.connections() == 4).await;
    let again = Peer::connect(&url(&s)).await;
    accepted(&again, "after a place freed up", "ping", Value::Null).await;
    calm.check_pair("connection cap").await;
}

/// A binary attachment where text is expected is `invalid_payload`; a binary packet whose
/// attachments never come, followed by a text packet, drops the connection.
#[tokio::test(flavor = "multi_thread")]
async fn binary_attachments_are_refused() {
    let _g = shared().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let mut raw = RawSio::connect(s.addr).await;
    let join = raw
        .request_raw(r#"["joinRoom",{"roomName":"calm","nickName":"bin"}]"#)
        .await
        .unwrap();
    assert_eq!(join["ok"], true);
    for (case, packet) in [
        (
            "binary payload",
            r#"451-7["sendMessage",{"_placeholder":true,"num":0}]"#,
        ),
        (
            "binary message field",
            r#"451-8["sendMessage",{"room":"calm","message":{"_placeholder":true,"num":0}}]"#,
        ),
        (
            "binary room field",
            r#"451-9["joinRoom",{"roomName":{"_placeholder":true,"num":0},"nickName":"b"}]"#,
        ),
    ] {
        raw.send(packet).await.unwrap();
        raw.ws.send_binary(b"\x00\x01\xffbinary").await.unwrap();
        let id = packet[4..].split('[').next().unwrap().parse().unwrap();
        let ack = within(case, raw.ack(id))
            .await
            .unwrap_or_else(|| panic!("[{case}] dropped"));
        assert_eq!(ack["error"]["code"], "invalid_payload", "[{case}] {ack}");
        calm.check_pair(case).await;
    }
    let case = "attachment never sent";
    raw.send(r#"451-10["sendMessage",{"_placeholder":true,"num":0}]"#)
        .await
        .unwrap();
    assert_eq!(within(case, raw.fate()).await, Fate::Dropped, "[{case}]");
    calm.check("binary attachments").await;
}

/// Malformed Socket.IO/engine.io packets on a raw WebSocket: anything the server cannot parse
/// (bad packet types, invalid or truncated JSON, a non-string event name, engine.io packets
/// that make no sense on a WebSocket) drops that connection; well-formed but pointless packets
/// (an ack nobody asked for, another namespace, a second connect, a pong) are ignored. Either
/// way everyone else carries on.
#[tokio::test(flavor = "multi_thread")]
async fn malformed_packets_are_dropped_or_ignored() {
    let _g = shared().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    use Fate::{Alive, Dropped};
    let cases: &[(&str, &str, Fate)] = &[
        ("42garbage", "42garbage", Dropped),
        ("4 (empty socket.io packet)", "4", Dropped),
        ("99 (unknown engine.io type)", "99", Dropped),
        ("empty text frame", "", Dropped),
        ("49 (unknown socket.io type)", "49", Dropped),
        ("42[] (no event name)", "42[]", Dropped),
        ("42[1,2] (numeric event name)", "42[1,2]", Dropped),
        ("42{} (object, not array)", r#"42{"a":1}"#, Dropped),
        ("escaped event name", r#"42["\u0070ing"]"#, Dropped),
        ("truncated JSON", r#"42["sendMessage",{"room":"#, Dropped),
        (
            "invalid JSON after the name",
            r#"42["sendMessage",{room:calm}]"#,
            Dropped,
        ),
        ("ack for an unknown id", "43999[{}]", Alive),
        (
            "event for an unjoined namespace",
            r#"42/admin,["joinRoom",{}]"#,
            Alive,
        ),
        ("connect to an unknown namespace", "40/admin,", Alive),
        ("second connect to /", "40", Alive),
        ("engine.io pong without ping", "3", Alive),
        ("engine.io upgrade packet on a websocket", "5", Dropped),
        ("engine.io noop on a websocket", "6", Dropped),
    ];
    let mut wrong = Vec::new();
    for (case, packet, expected) in cases {
        let mut raw = RawSio::connect(s.addr).await;
        within(case, raw.send(packet)).await.unwrap();
        let fate = within(case, raw.fate()).await;
        if fate != *expected {
            wrong.push(format!(
                "[{case}] {packet:?}: {fate:?}, expected {expected:?}"
            ));
        }
        calm.check_pair(case).await;
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // Invalid UTF-8 in a text frame and a stray binary frame.
    let mut raw = RawSio::connect(s.addr).await;
    raw.ws.send_binary(b"\x04garbage").await.unwrap();
    assert_eq!(within("stray binary frame", raw.fate()).await, Dropped);
    calm.check("malformed packets").await;
}

/// Events before the namespace connect are not handled: the connection is dropped.
#[tokio::test(flavor = "multi_thread")]
async fn events_before_connect_are_not_handled() {
    let _g = shared().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let mut raw = RawSio::open(s.addr).await;
    raw.send(r#"421["sendMessage",{"room":"calm","message":"early"}]"#)
        .await
        .unwrap();
    assert_eq!(
        within("event before connect", raw.fate()).await,
        Fate::Dropped
    );
    calm.check("events before connect").await;
}

// ---------------------------------------------------------------------------------------------
// Size and memory

/// Allowed growth of this process's RSS while one oversized request is refused. The server
/// must not buffer the 10 MB; what remains is allocator and socket-buffer noise (a few MB at
/// most on a quiet process), so 20 MB is loose enough never to flake and still half the
/// payload — buffering it once would show.
const RSS_BOUND: u64 = 20 * 1024 * 1024;
const TEN_MB: u64 = 10 * 1024 * 1024;

/// A single 10 MB WebSocket frame (`42["sendMessage",{... 10 MB ...`) is refused from its
/// header: the connection is dropped and the server's memory does not grow by the payload.
#[tokio::test(flavor = "multi_thread")]
async fn ten_megabyte_websocket_frame_is_refused() {
    let _g = exclusive().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    calm.check("warm-up").await;
    let mut raw = RawSio::connect(s.addr).await;
    let before = raw::rss_bytes();
    let prefix = r#"42["sendMessage",{"room":"calm","message":""#;
    // The server closes the connection after the frame header; writing the rest then fails
    // (or lands in the socket buffers). Either way it must not hang.
    let sent = within(
        "10 MB frame",
        raw.ws.send_text_streamed(prefix, b'x', TEN_MB),
    )
    .await;
    assert_eq!(
        within("10 MB frame", raw.fate()).await,
        Fate::Dropped,
        "sent: {sent:?}"
    );
    let grew = raw::rss_bytes().saturating_sub(before);
    eprintln!("10 MB WebSocket frame: RSS grew by {} KiB", grew / 1024);
    assert!(grew < RSS_BOUND, "RSS grew by {} KiB", grew / 1024);
    calm.check("10 MB WebSocket frame").await;
}

/// A 10 MB HTTP long-polling POST (with Content-Length, and chunked) is refused with 413 (or
/// the connection is closed), the session ends, and memory does not grow by the body.
#[tokio::test(flavor = "multi_thread")]
async fn ten_megabyte_polling_post_is_refused() {
    let _g = exclusive().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    calm.check("warm-up").await;
    let base = format!("http://{}/socket.io/?EIO=4&transport=polling", s.addr);
    for (case, chunked) in [("10 MB POST", false), ("10 MB chunked POST", true)] {
        let open = reqwest::get(&base).await.unwrap().text().await.unwrap();
        let open: Value = serde_json::from_str(open.strip_prefix('0').unwrap()).unwrap();
        let sid = open["sid"].as_str().unwrap().to_owned();
        let with_sid = format!("{base}&sid={sid}");
        let post = reqwest::Client::new()
            .post(&with_sid)
            .body("40")
            .send()
            .await
            .unwrap();
        assert!(
            post.status().is_success(),
            "[{case}] namespace connect over polling"
        );
        let before = raw::rss_bytes();
        let head = format!(
            "POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: {}\r\n\
             Content-Type: text/plain;charset=UTF-8",
            s.addr
        );
        let reply = raw::http_streamed(
            s.addr,
            &head,
            "42[\"sendMessage\",\"",
            b'x',
            TEN_MB,
            chunked,
        )
        .await;
        match &reply {
            HttpReply::Status(413, _) | HttpReply::Closed(_) => {}
            other => panic!("[{case}] expected 413 or a closed connection, got {other:?}"),
        }
        let grew = raw::rss_bytes().saturating_sub(before);
        eprintln!("{case}: {reply:?}, RSS grew by {} KiB", grew / 1024);
        assert!(grew < RSS_BOUND, "[{case}] RSS grew by {} KiB", grew / 1024);
        // The session is over: polling it again is an unknown session.
        let poll = reqwest::get(&with_sid).await.unwrap();
        assert_eq!(
            poll.status(),
            400,
            "[{case}] session still open after {reply:?}"
        );
        calm.check(case).await;
    }
}

/// Binary attachments wait in memory until their packet is complete. A connection that
/// announces 200 of them and sends 8 MB should be dropped once they pass the 64 KiB packet
/// limit — not buffered. (socketioxide's defaults allow 10 MB per connection, and its one-minute
/// completion timeout is only checked when the next attachment arrives.)
#[tokio::test(flavor = "multi_thread")]
async fn binary_attachments_are_bounded_by_the_packet_limit() {
    let _g = exclusive().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    calm.check("warm-up").await;
    const CONNECTIONS: usize = 8;
    let attachment = vec![0xa5u8; 64_000];
    let before = raw::rss_bytes();
    // Kept open: closing a connection frees what the server buffered for it.
    let mut hoarders = Vec::new();
    for c in 0..CONNECTIONS {
        let case = format!("8 MB of attachments on connection {c}");
        let mut raw = RawSio::connect(s.addr).await;
        raw.send(r#"45200-["sendMessage",{"_placeholder":true,"num":0}]"#)
            .await
            .unwrap();
        for _ in 0..125 {
            if raw.ws.send_binary(&attachment).await.is_err() {
                break;
            }
        }
        // The pong comes after the server has taken in every attachment sent before the ping.
        let open = within(&case, raw.ws.alive()).await;
        hoarders.push((c, open, raw));
        calm.check_pair(&case).await;
    }
    let grew = raw::rss_bytes().saturating_sub(before);
    let open: Vec<usize> = hoarders.iter().filter(|h| h.1).map(|h| h.0).collect();
    eprintln!(
        "binary attachments: {} of {CONNECTIONS} connections still open, RSS grew by {} KiB",
        open.len(),
        grew / 1024
    );
    assert!(
        open.is_empty(),
        "connections {open:?} still hold 8 MB of attachments each (RSS grew by {} MiB)",
        grew / (1024 * 1024)
    );
    assert!(grew < RSS_BOUND, "RSS grew by {} KiB", grew / 1024);
    calm.check("binary attachment hoarding").await;
}

/// Oversized HTTP headers are refused before any handler runs.
#[tokio::test(flavor = "multi_thread")]
async fn oversized_http_headers_are_refused() {
    let _g = shared().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let head = format!(
        "GET /api/info HTTP/1.1\r\nHost: x\r\nX-Big: {}",
        "a".repeat(1024 * 1024)
    );
    let reply = raw::http_raw(s.addr, &head).await;
    eprintln!("1 MB header: {reply:?}");
    match reply {
        HttpReply::Status(code, _) => assert!(code == 431 || code == 400, "status {code}"),
        HttpReply::Closed(_) => {}
    }
    calm.check("1 MB header").await;
}

// ---------------------------------------------------------------------------------------------
// HTTP surface

/// Path traversal on the UI route never serves files from disk: only embedded assets exist.
#[tokio::test(flavor = "multi_thread")]
async fn path_traversal_serves_no_files() {
    let _g = shared().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    for path in [
        "/../../../../etc/passwd",
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/%2e%2e/%2e%2e/Cargo.toml",
        "/assets/../../Cargo.toml",
        "//etc/passwd",
        "/src-tauri/server/mod.rs",
        "/.git/config",
    ] {
        let reply = raw::http_raw(s.addr, &format!("GET {path} HTTP/1.1\r\nHost: x")).await;
        let HttpReply::Status(code, body) = &reply else {
            panic!("[{path}] no answer: {reply:?}")
        };
        assert!(
            matches!(code, 200 | 400 | 404 | 503),
            "[{path}] status {code}"
        );
        for secret in ["root:", "[package]", "[core]", "pub struct Config"] {
            assert!(
                !body.contains(secret),
                "[{path}] served a file: {body:.200}"
            );
        }
        calm.check_pair(path).await;
    }
    calm.check("path traversal").await;
}

/// Bad engine.io handshakes get HTTP errors, not sessions.
#[tokio::test(flavor = "multi_thread")]
async fn bad_engine_io_handshakes_are_refused() {
    let _g = shared().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    for (case, target) in [
        (
            "unknown session id",
            "/socket.io/?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAA",
        ),
        (
            "unknown transport",
            "/socket.io/?EIO=4&transport=carrier-pigeon",
        ),
        (
            "unsupported protocol version",
            "/socket.io/?EIO=9&transport=polling",
        ),
        ("no query", "/socket.io/"),
    ] {
        let reply = raw::http_raw(s.addr, &format!("GET {target} HTTP/1.1\r\nHost: x")).await;
        match reply {
            HttpReply::Status(code, _) => assert_eq!(code, 400, "[{case}]"),
            HttpReply::Closed(e) => panic!("[{case}] no answer: {e}"),
        }
        calm.check_pair(case).await;
    }
    let case = "websocket upgrade without a key";
    let reply = raw::http_raw(
        s.addr,
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Version: 13",
    )
    .await;
    assert!(
        matches!(reply, HttpReply::Status(c, _) if c == 400),
        "[{case}] {reply:?}"
    );
    calm.check("bad handshakes").await;
}

// ---------------------------------------------------------------------------------------------
// Identity

/// A sessionId is a bearer secret: a connection presenting another live user's sessionId takes
/// over their nickname. Overlong or non-string sessionIds are ignored (no takeover).
#[tokio::test(flavor = "multi_thread")]
async fn session_ids_are_bearer_secrets() {
    let _g = shared().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let victim = Peer::connect_with(&url(&s), json!({"sessionId": "x".repeat(129)}))
        .await
        .unwrap();
    victim.join(ROOM, "vic").await;
    for (case, sid) in [
        ("overlong sessionId", json!("x".repeat(129))),
        ("numeric sessionId", json!(7)),
        ("empty sessionId", json!("")),
    ] {
        let thief = Peer::connect_with(&url(&s), json!({"sessionId": sid}))
            .await
            .unwrap();
        refused(
            &thief,
            case,
            "joinRoom",
            json!({"roomName": ROOM, "nickName": "vic"}),
            "nick_taken",
        )
        .await;
        calm.check_pair(case).await;
    }
    let secret = json!({"sessionId": "ann-session-0001"});
    let ann = Peer::connect_with(&url(&s), secret.clone()).await.unwrap();
    ann.join(ROOM, "ann").await;
    let thief = Peer::connect_with(&url(&s), secret).await.unwrap();
    accepted(
        &thief,
        "stolen sessionId",
        "joinRoom",
        json!({"roomName": ROOM, "nickName": "ann"}),
    )
    .await;
    assert_eq!(
        ann.send(ROOM, "am I still ann?").await["error"]["code"],
        "not_in_room"
    );
    calm.check("session ids").await;
}

/// After a kick and a password change, the kicked user's still-open connection should not be
/// able to walk straight back in under another nickname: the rejoin is refused as `kicked`, or
/// the server has closed that connection.
#[tokio::test(flavor = "multi_thread")]
async fn kicked_connection_cannot_rejoin_under_another_nickname() {
    let _g = shared().await;
    let cfg = Config {
        password: Some("old".into()),
        ..test_config()
    };
    let s = start(cfg, Store::memory().unwrap()).await;
    let auth = json!({"password": "old"});
    let calm = Calm::join_with(&s, auth.clone()).await;
    let mut bob = RawSio::open(s.addr).await;
    bob.connect_ns(Some(&auth)).await.expect("bob connects");
    let join = bob
        .request_raw(r#"["joinRoom",{"roomName":"calm","nickName":"bob"}]"#)
        .await;
    assert_eq!(join.map(|a| a["ok"].clone()), Some(json!(true)));
    s.control.kick(ROOM, "bob", "host").await.unwrap();
    s.control.set_password(Some("new".into()));
    let case = "rejoin as bob2 after a kick";
    let kicked = within(case, bob.event("kicked")).await;
    if let Some(k) = kicked {
        assert_eq!(k["room"], ROOM, "[{case}] {k}");
        let again = within(
            case,
            bob.request_raw(r#"["joinRoom",{"roomName":"calm","nickName":"bob2"}]"#),
        )
        .await;
        if let Some(ack) = again {
            assert_eq!(ack["error"]["code"], "kicked", "[{case}] {ack}");
        }
    }
    calm.check_pair("kicked connection").await;
}

// ---------------------------------------------------------------------------------------------
// Fuzz regressions and the fuzz target's invariants, run deterministically

/// Inputs kept from fuzzing (fuzz/seeds/payloads and any crash found) replayed through every
/// parser with the fuzz target's invariants.
#[test]
fn fuzz_seeds_replay_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/payloads");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/seeds/payloads") {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        check_payload(&bytes);
        n += 1;
    }
    assert!(n >= 5, "only {n} seeds");
}

/// The fuzz target's invariants over a deterministic stream of generated payloads, so `cargo
/// test` exercises them even where cargo-fuzz cannot run.
#[test]
fn generated_payloads_keep_the_invariants() {
    let atoms = [
        "",
        " ",
        "a",
        "lobby",
        " x ",
        "\t",
        "\n",
        "\r",
        "\0",
        "\u{7f}",
        "\u{85}",
        "\u{9b}",
        "\u{200b}",
        "\u{202e}",
        "\u{a0}",
        "\u{3000}",
        "\u{2028}",
        "\u{1f600}",
        "e\u{301}",
        "é",
        "\"",
        "\\",
        "<script>",
        "'--",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..20_000 {
        let mut text = String::new();
        let parts = next() % 6;
        for _ in 0..parts {
            let atom = atoms[(next() % atoms.len() as u64) as usize];
            let times = [1, 1, 2, 31, 32, 33, 63, 64, 65, 4000, 4001][(next() % 11) as usize];
            if text.len() + atom.len() * times < 20_000 {
                text.push_str(&atom.repeat(times));
            }
        }
        let field = |r: u64| match r % 7 {
            0 => Value::String(text.clone()),
            1 => Value::Null,
            2 => json!(r),
            3 => json!(-1),
            4 => json!(true),
            5 => json!([text.clone()]),
            _ => json!({"x": text.clone()}),
        };
        let mut map = serde_json::Map::new();
        for key in [
            "roomName", "room", "nickName", "message", "clientId", "since", "typing",
        ] {
            if next() % 3 != 0 {
                map.insert(key.into(), field(next()));
            }
        }
        check_payload(
            serde_json::to_string(&Value::Object(map))
                .unwrap()
                .as_bytes(),
        );
        check_payload(serde_json::to_string(&text).unwrap().as_bytes());
    }
}

/// The fuzz target's checks (fuzz/fuzz_targets/payloads.rs), shared here for the replay tests.
fn check_payload(bytes: &[u8]) {
    let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
        return;
    };
    let limits = Limits::default();
    let clean = |s: &str, max: usize| {
        assert!(
            !s.is_empty() && s == s.trim() && s.chars().count() <= max,
            "{s:?}"
        );
        assert!(!s.chars().any(char::is_control), "{s:?}");
    };
    let error = |code: &str, message: &str| {
        assert!(
            [
                "invalid_payload",
                "invalid_room",
                "invalid_nick",
                "invalid_message",
                "message_too_long",
                "invalid_client_id"
            ]
            .contains(&code),
            "{code}"
        );
        assert!(!message.trim().is_empty(), "{code} without a message");
    };
    match parse_join(&v, || "guest-abcdef".into()) {
        Ok(j) => {
            clean(&j.room, 64);
            clean(&j.nick, 32);
        }
        Err(e) => error(e.code.as_str(), &e.message),
    }
    match parse_send(&v, &limits) {
        Ok(m) => {
            clean(&m.room, 64);
            assert!(!m.text.is_empty() && m.text == m.text.trim());
            assert!(m.text.chars().count() <= limits.max_message_chars);
            assert!(
                !m.text
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t')
            );
            if let Some(id) = &m.client_id {
                assert!(!id.is_empty() && id.chars().count() <= 64);
            }
        }
        Err(e) => error(e.code.as_str(), &e.message),
    }
    match parse_leave(&v) {
        Ok(r) => clean(&r, 64),
        Err(e) => error(e.code.as_str(), &e.message),
    }
    match parse_typing(&v) {
        Ok(t) => clean(&t.room, 64),
        Err(e) => error(e.code.as_str(), &e.message),
    }
}
