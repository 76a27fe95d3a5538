//! Hostile identities and access: spoofed nicknames, acting in rooms not joined, wrong
//! passwords, stolen or malformed `sessionId`s, a kicked connection trying to come back. Each
//! is refused or ignored as docs/security.md records, and the calm pair carries on
//! (`common::calm`).

mod common;

use common::calm::*;
use common::raw::{self, RawSio};
use common::*;
use lanchat::server::Config;
use lanchat::store::Store;
use serde_json::json;

/// The sender is always the nickname bound at join: `nickName` in `sendMessage` or `typing` —
/// another member's, the host's, or not even a string — is ignored.
#[tokio::test(flavor = "multi_thread")]
async fn spoofed_nicknames_are_ignored() {
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
    let cfg = Config {
        password: Some("s3cret".into()),
        // Plain-HTTP clients with a password: the host allowed them explicitly (tests/tls.rs
        // has what happens otherwise).
        plain_guests: Some(true),
        // The backoff between guesses has its own test (hostile_doors.rs); here it is short so
        // 60 refusals fit in the test's time.
        password_backoff: lanchat::server::Backoff {
            base: std::time::Duration::from_millis(1),
            max: std::time::Duration::from_millis(5),
            max_waiting: 8,
        },
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
    // No lockout: 50 more wrong guesses are each refused (after their backoff), and the right
    // password still works.
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

/// A sessionId is a bearer secret: a connection presenting another live user's sessionId takes
/// over their nickname. Overlong or non-string sessionIds are ignored (no takeover).
#[tokio::test(flavor = "multi_thread")]
async fn session_ids_are_bearer_secrets() {
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
    let cfg = Config {
        password: Some("old".into()),
        // Plain-HTTP clients with a password: the host allowed them explicitly (tests/tls.rs
        // has what happens otherwise).
        plain_guests: Some(true),
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
