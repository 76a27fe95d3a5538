//! Hostile payload shapes: requests whose JSON is the wrong shape (not an object, wrong types,
//! missing or extra fields, no payload, deep nesting, odd `since` values) or whose event the
//! server does not know. Each gets a clear refusal, and the calm pair carries on
//! (`common::calm`; docs/security.md lists every case).

mod common;

use common::calm::*;
use common::raw::RawSio;
use common::*;
use serde_json::{Value, json};

/// A payload that is not an object (number, string, array, null, bool) is `invalid_payload`,
/// with an ack or as a `requestError`.
#[tokio::test(flavor = "multi_thread")]
async fn non_object_payloads_are_refused() {
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
               "seq": 1, "id": "forged-id", "ts": 0, "history": true, "extra": {"a": [1, 2]},
               "userId": "forged-user", "target": 1, "deleted": true, "editedTs": 5,
               "reactions": [{"emoji": "👍", "by": []}], "mentions": ["calm-b"]}),
    )
    .await;
    let m = calm.b.wait_for("message", text_is("forged?")).await;
    let mut keys: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "id", "kind", "message", "nickName", "room", "seq", "ts", "userId"
        ],
        "{m}"
    );
    assert_eq!(
        (&m["kind"], &m["nickName"], &m["id"], &m["seq"]),
        (&json!("chat"), &json!("eve"), &ack["id"], &ack["seq"]),
        "{m}"
    );
    assert_ne!(m["ts"], 0);
    assert_ne!(
        m["userId"], "forged-user",
        "the author's id is the server's to say"
    );
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
