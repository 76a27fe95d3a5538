//! Hostile conversations (issue #14): changing other people's messages, reacting from outside a
//! room, forged seqs, a reaction flood, a key-less client trying to edit. After each, the calm
//! pair still talks (docs/security.md, "Hostile-input cases").

mod common;

use common::calm::{Calm, ROOM, accepted, refused, within};
use common::*;
use serde_json::json;

/// Eve cannot edit or delete calm-a's message, even after taking calm-a's nickname; the host
/// can delete it.
#[tokio::test(flavor = "multi_thread")]
async fn others_messages_are_not_yours() {
    let s = start_default().await;
    let calm = Calm::join_with(&s, json!({"userKey": "calm-user-key-0123456789"})).await;
    let m = calm.a.send(ROOM, "mine").await["seq"].as_u64().unwrap();
    let eve = Peer::connect_with(&url(&s), json!({"userKey": "eve-user-key-0123456789"}))
        .await
        .unwrap();
    eve.join(ROOM, "eve").await;
    let edit = json!({"room": ROOM, "seq": m, "message": "pwned"});
    refused(
        &eve,
        "edit another's",
        "editMessage",
        edit.clone(),
        "not_author",
    )
    .await;
    refused(
        &eve,
        "delete another's",
        "deleteMessage",
        json!({"room": ROOM, "seq": m}),
        "not_author",
    )
    .await;
    // Both calm users share a key here: the same user on two connections may edit.
    accepted(
        &calm.b,
        "same user, other connection",
        "editMessage",
        json!({"room": ROOM, "seq": m, "message": "mine, edited"}),
    )
    .await;
    calm.check("editing another's message").await;
    // Eve takes a nickname the author used, in another room: still not the author.
    let thief = Peer::connect(&url(&s)).await;
    thief.join(ROOM, "calm-a-2").await;
    refused(&thief, "nickname thief", "editMessage", edit, "not_author").await;
    s.control
        .delete_message(ROOM, m, "the host")
        .await
        .expect("the host deletes anyone's message");
    let up = within(
        "host delete",
        calm.b.wait_for("messageUpdate", |v| v["kind"] == "delete"),
    )
    .await;
    assert_eq!(
        (&up["target"], &up["nickName"]),
        (&json!(m), &json!("the host"))
    );
    calm.check("host delete").await;
}

/// Reacting, editing or deleting in a room you left (or never joined) is `not_in_room`; made
/// up, negative, huge, fractional or string seqs, notices, other rooms' seqs and bad emoji are
/// refused with their own codes.
#[tokio::test(flavor = "multi_thread")]
async fn forged_targets_and_rooms_you_left() {
    let (s, calm, eve) = common::calm::server_with_eve().await;
    let m = calm.a.send(ROOM, "target").await["seq"].as_u64().unwrap();
    accepted(&eve, "leave", "leaveRoom", json!({"room": ROOM})).await;
    refused(
        &eve,
        "react after leaving",
        "react",
        json!({"room": ROOM, "seq": m, "emoji": "👍"}),
        "not_in_room",
    )
    .await;
    refused(
        &eve,
        "delete after leaving",
        "deleteMessage",
        json!({"room": ROOM, "seq": m}),
        "not_in_room",
    )
    .await;
    eve.join("elsewhere", "eve").await;
    let other = eve.send("elsewhere", "x").await["seq"].as_u64().unwrap();
    eve.join(ROOM, "eve").await;
    for (case, seq, code) in [
        ("never handed out", json!(1_000_000), "no_such_message"),
        ("u64 max", json!(u64::MAX), "no_such_message"),
        ("a join notice", json!(1), "no_such_message"),
        ("zero", json!(0), "invalid_payload"),
        ("negative", json!(-3), "invalid_payload"),
        ("fraction", json!(1.5), "invalid_payload"),
        ("string", json!("1"), "invalid_payload"),
    ] {
        refused(
            &eve,
            case,
            "deleteMessage",
            json!({"room": ROOM, "seq": seq}),
            code,
        )
        .await;
        refused(
            &eve,
            case,
            "react",
            json!({"room": ROOM, "seq": seq, "emoji": "👍"}),
            code,
        )
        .await;
    }
    // A seq of another room names nothing here (or something else: never that message).
    let r = eve
        .request(
            "react",
            json!({"room": ROOM, "seq": other + 1_000, "emoji": "👍"}),
        )
        .await;
    assert_eq!(r["error"]["code"], "no_such_message");
    for emoji in ["", "abc", "👍👍", "<script>", &"🎉".repeat(20), " 👍"] {
        refused(
            &eve,
            "bad emoji",
            "react",
            json!({"room": ROOM, "seq": m, "emoji": emoji}),
            "invalid_emoji",
        )
        .await;
    }
    refused(
        &eve,
        "reply to nothing",
        "sendMessage",
        json!({"room": ROOM, "message": "x", "replyTo": 999_999}),
        "no_such_message",
    )
    .await;
    calm.check("forged targets").await;
    drop(s);
}

/// 10,000 reactions from one connection: the rate limit refuses most; what gets through
/// toggles one user's emoji and at most 20 kinds; the room's plain history still shows the
/// conversation, not reaction rows.
#[tokio::test(flavor = "multi_thread")]
async fn ten_thousand_reactions() {
    let (s, calm, eve) = common::calm::server_with_eve().await;
    let m = calm.a.send(ROOM, "react to me").await["seq"]
        .as_u64()
        .unwrap();
    for i in 0..10_000u32 {
        let emoji = char::from_u32(0x1F600 + (i % 40)).unwrap().to_string();
        eve.emit(
            "react",
            json!({"room": ROOM, "seq": m, "emoji": emoji, "on": i % 80 < 40}),
        )
        .await;
    }
    // Wait until the flood has been answered: a ping after it comes back after it.
    let pong = within("flood", eve.request("ping", serde_json::Value::Null)).await;
    assert_eq!(pong["ok"], true);
    calm.check("10,000 reactions").await;
    let fresh = Peer::connect(&url(&s)).await;
    fresh.join(ROOM, "fresh").await;
    let h = fresh
        .messages_until(|v| v["kind"] == "join" && v["nickName"] == "fresh")
        .await;
    let target = h
        .iter()
        .find(|v| v["seq"] == m)
        .expect("the message is still in the last 100");
    let kinds = target["reactions"].as_array().map_or(0, Vec::len);
    assert!(kinds <= 20, "{kinds} kinds");
    for r in target["reactions"].as_array().into_iter().flatten() {
        assert_eq!(
            r["by"].as_array().unwrap().len(),
            1,
            "one user, one toggle: {r}"
        );
    }
}

/// A key-less tutorial client gets a user id for its connection only: it can edit what it sent
/// on that connection, and after reconnecting under the same nickname it cannot.
#[tokio::test(flavor = "multi_thread")]
async fn keyless_clients_own_only_this_connections_messages() {
    let (s, calm, _eve) = common::calm::server_with_eve().await;
    let tut = Peer::connect(&url(&s)).await;
    tut.join(ROOM, "tutorial").await;
    let m = tut.send(ROOM, "typo").await["seq"].as_u64().unwrap();
    accepted(
        &tut,
        "own edit",
        "editMessage",
        json!({"room": ROOM, "seq": m, "message": "fixed"}),
    )
    .await;
    tut.close().await;
    let again = Peer::connect(&url(&s)).await;
    again.join(ROOM, "tutorial").await;
    refused(
        &again,
        "key-less, reconnected",
        "editMessage",
        json!({"room": ROOM, "seq": m, "message": "x"}),
        "not_author",
    )
    .await;
    refused(
        &again,
        "calm-a's message",
        "deleteMessage",
        json!({"room": ROOM, "seq": 1}),
        "no_such_message",
    )
    .await;
    calm.check("key-less edit").await;
}
