//! Private conversations over real sockets (issue #14): two users open the same private room
//! from a room they share, the other one is invited by the first message, only those two users
//! can ever join it (not someone who later takes a nickname), and it survives reconnects and a
//! host restart like any room.

mod common;

use common::*;
use lanchat::store::Store;
use serde_json::{Value, json};

fn key(name: &str) -> Value {
    json!({ "userKey": format!("{name}-private-key-0123456789") })
}

async fn user(url: &str, name: &str, room: &str) -> Peer {
    let p = Peer::connect_with(url, key(name)).await.unwrap();
    assert_eq!(p.join(room, name).await["ok"], true);
    p
}

/// A join that may be refused: its whole ack.
async fn try_join(p: &Peer, room: &str, nick: &str) -> Value {
    p.request("joinRoom", json!({"roomName": room, "nickName": nick}))
        .await
}

async fn open(p: &Peer, room: &str, nick: &str) -> Value {
    p.request("openPrivate", json!({"room": room, "nickName": nick}))
        .await
}

/// Ann writes to Bob privately: Bob is invited by her first message, joins, reads it, answers;
/// nobody else in the lobby sees any of it.
#[tokio::test(flavor = "multi_thread")]
async fn two_people_talk_privately_and_the_room_sees_nothing() {
    let s = start_default().await;
    let ann = user(&url(&s), "ann", "lobby").await;
    let bob = user(&url(&s), "bob", "lobby").await;
    let carol = user(&url(&s), "carol", "lobby").await;
    let opened = open(&ann, "lobby", "bob").await;
    assert_eq!(opened["ok"], true, "{opened}");
    assert_eq!(opened["nickName"], "bob");
    let dm = opened["room"].as_str().unwrap().to_owned();
    assert!(dm.starts_with("dm:"));
    assert_eq!(ann.join(&dm, "ann").await["ok"], true);
    assert_eq!(ann.send(&dm, "lunch at noon?").await["ok"], true);

    let invite = bob.wait_for("privateInvite", |_| true).await;
    assert_eq!(invite, json!({"room": dm, "nickName": "ann"}));
    assert_eq!(bob.join(&dm, "bob").await["ok"], true);
    bob.wait_for("message", |v| {
        v["room"] == dm.as_str() && v["message"] == "lunch at noon?"
    })
    .await;
    assert_eq!(bob.send(&dm, "sure").await["ok"], true);
    ann.wait_for("message", |v| v["message"] == "sure").await;

    // Carol hears nothing of it and cannot get in.
    assert_eq!(
        try_join(&carol, &dm, "carol").await["error"]["code"],
        "private_room"
    );
    assert_eq!(carol.send("lobby", "anyone?").await["ok"], true);
    let (event, v) = carol.next().await;
    assert!(!v.to_string().contains("lunch"), "carol got {event} {v}");
}

/// Someone who takes Bob's nickname after he left cannot read Bob's private conversation, while
/// Bob — back with his own key, under any nickname — can, with its history.
#[tokio::test(flavor = "multi_thread")]
async fn a_taken_nickname_does_not_open_someone_elses_private_room() {
    let s = start_default().await;
    let ann = user(&url(&s), "ann", "lobby").await;
    let bob = user(&url(&s), "bob", "lobby").await;
    let dm = open(&bob, "lobby", "ann").await["room"]
        .as_str()
        .unwrap()
        .to_owned();
    bob.join(&dm, "bob").await;
    bob.send(&dm, "the wifi password is hunter2").await;
    bob.close().await;
    ann.wait_for("presence", |v| v["left"] == json!(["bob"]))
        .await;

    let eve = Peer::connect_with(&url(&s), key("eve")).await.unwrap();
    assert_eq!(eve.join("lobby", "bob").await["ok"], true);
    let refused = try_join(&eve, &dm, "bob").await;
    assert_eq!(refused["error"]["code"], "private_room", "{refused}");
    assert_eq!(
        open(&eve, "lobby", "bob").await["error"]["code"],
        "private_to_self"
    );

    let bob_again = Peer::connect_with(&url(&s), key("bob")).await.unwrap();
    assert_eq!(bob_again.join(&dm, "robert").await["ok"], true);
    bob_again
        .wait_for("message", |v| {
            v["message"] == "the wifi password is hunter2" && v["history"] == true
        })
        .await;
}

/// Opening a private conversation with yourself, with someone not there, or from a room you are
/// not in gets a clear error, and the server carries on for everyone.
#[tokio::test(flavor = "multi_thread")]
async fn bad_private_requests_are_refused_clearly() {
    let s = start_default().await;
    let ann = user(&url(&s), "ann", "lobby").await;
    let _bob = user(&url(&s), "bob", "lobby").await;
    assert_eq!(
        open(&ann, "lobby", "ann").await["error"]["code"],
        "private_to_self"
    );
    assert_eq!(
        open(&ann, "lobby", "nobody").await["error"]["code"],
        "not_in_room"
    );
    assert_eq!(
        open(&ann, "elsewhere", "bob").await["error"]["code"],
        "not_in_room"
    );
    let forged = try_join(&ann, "dm:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBB", "ann").await;
    assert_eq!(forged["error"]["code"], "private_room");
    assert_eq!(
        try_join(&ann, "dm:nonsense", "ann").await["error"]["code"],
        "invalid_room"
    );
    let bad = ann.request("openPrivate", json!({"room": "lobby"})).await;
    assert_eq!(bad["error"]["code"], "invalid_payload", "{bad}");
    assert_eq!(ann.send("lobby", "still here").await["ok"], true);
}

/// A private conversation is stored like any room: after the host restarts, both users read it
/// back, and still nobody else.
#[tokio::test(flavor = "multi_thread")]
async fn private_history_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(test_config(), Store::open_dir(dir.path()).unwrap()).await;
    let ann = user(&url(&s), "ann", "lobby").await;
    let _bob = user(&url(&s), "bob", "lobby").await;
    let dm = open(&ann, "lobby", "bob").await["room"]
        .as_str()
        .unwrap()
        .to_owned();
    ann.join(&dm, "ann").await;
    assert_eq!(ann.send(&dm, "remember this").await["ok"], true);
    ann.close().await;
    s.stop().await.unwrap();

    let s = start(test_config(), Store::open_dir(dir.path()).unwrap()).await;
    let bob = Peer::connect_with(&url(&s), key("bob")).await.unwrap();
    assert_eq!(bob.join(&dm, "bob").await["ok"], true);
    bob.wait_for("message", |v| v["message"] == "remember this")
        .await;
    let eve = Peer::connect_with(&url(&s), key("eve")).await.unwrap();
    assert_eq!(
        try_join(&eve, &dm, "ann").await["error"]["code"],
        "private_room"
    );
}

/// Ann writes to Bob while he is away: when he connects again he is offered the conversation
/// (`privateInvite` with the seq of her newest message), though nobody wrote while he was on.
/// A conversation whose newest message is his own is not offered: nothing waits for him there.
#[tokio::test(flavor = "multi_thread")]
async fn a_private_message_written_while_away_is_offered_at_connect() {
    let s = start_default().await;
    let ann = user(&url(&s), "ann", "lobby").await;
    let bob = user(&url(&s), "bob", "lobby").await;
    let dm = open(&ann, "lobby", "bob").await["room"]
        .as_str()
        .unwrap()
        .to_owned();
    bob.close().await;
    ann.join(&dm, "ann").await;
    let sent = ann.send(&dm, "call me when you are back").await;
    assert_eq!(sent["ok"], true, "{sent}");

    let bob = Peer::connect_with(&url(&s), key("bob")).await.unwrap();
    let invite = bob.wait_for("privateInvite", |_| true).await;
    assert_eq!(
        invite,
        json!({"room": dm, "nickName": "ann", "lastSeq": sent["seq"]})
    );
    // Bob answers: the newest message is his now, so Ann is offered it at her next connect
    // (and Bob is not: `store::tests::private_rooms_wait_for_whoever_did_not_write_last`).
    bob.join(&dm, "bob").await;
    let back = bob.send(&dm, "back!").await;
    ann.close().await;
    let ann = Peer::connect_with(&url(&s), key("ann")).await.unwrap();
    let invite = ann.wait_for("privateInvite", |_| true).await;
    assert_eq!(invite["lastSeq"], back["seq"], "{invite}");
}
