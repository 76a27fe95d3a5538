//! Hostile private conversations (issue #14): writing privately to yourself or to someone not
//! there, reading another pair's conversation by its name or by taking a nickname, opening
//! thousands of them. After each, the calm pair still talks (docs/security.md).

mod common;

use common::calm::{Calm, ROOM, accepted, refused, within};
use common::*;
use serde_json::json;

/// Eve tries every way into calm-a and calm-b's private room and gets none; the calm pair's own
/// conversation there goes on.
#[tokio::test(flavor = "multi_thread")]
async fn another_pairs_private_room_stays_closed() {
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let opened = accepted(
        &calm.a,
        "open private",
        "openPrivate",
        json!({"room": ROOM, "nickName": "calm-b"}),
    )
    .await;
    let dm = opened["room"].as_str().unwrap().to_owned();
    accepted(
        &calm.a,
        "join private",
        "joinRoom",
        json!({"roomName": dm, "nickName": "a"}),
    )
    .await;
    accepted(
        &calm.a,
        "write privately",
        "sendMessage",
        json!({"room": dm, "message": "secret"}),
    )
    .await;

    let eve = Peer::connect_with(&url(&s), json!({"userKey": "eve-user-key-0123456789"}))
        .await
        .unwrap();
    eve.join(ROOM, "eve").await;
    let join = |nick: &str| json!({"roomName": dm, "nickName": nick});
    refused(
        &eve,
        "join by name",
        "joinRoom",
        join("calm-b"),
        "private_room",
    )
    .await;
    // The tutorial's very first client joins with a bare room string.
    refused(
        &eve,
        "join by bare name",
        "joinRoom",
        json!(dm),
        "private_room",
    )
    .await;
    refused(
        &eve,
        "send without joining",
        "sendMessage",
        json!({"room": dm, "message": "hi"}),
        "not_in_room",
    )
    .await;
    refused(
        &eve,
        "react without joining",
        "react",
        json!({"room": dm, "seq": 1, "emoji": "👍"}),
        "not_in_room",
    )
    .await;
    refused(
        &eve,
        "to yourself",
        "openPrivate",
        json!({"room": ROOM, "nickName": "eve"}),
        "private_to_self",
    )
    .await;
    refused(
        &eve,
        "to someone absent",
        "openPrivate",
        json!({"room": ROOM, "nickName": "nobody"}),
        "not_in_room",
    )
    .await;
    refused(
        &eve,
        "from a room you are not in",
        "openPrivate",
        json!({"room": "elsewhere", "nickName": "calm-a"}),
        "not_in_room",
    )
    .await;
    calm.check("reading another pair's private room").await;

    // A key-less connection with calm-b's nickname in another room is not calm-b either.
    let thief = Peer::connect(&url(&s)).await;
    thief.join("other", "calm-b").await;
    refused(
        &thief,
        "taken nickname",
        "joinRoom",
        join("calm-b"),
        "private_room",
    )
    .await;
    calm.check("a taken nickname").await;
}

/// Opening private rooms with everyone in a big room, 2,000 times over, costs the server
/// nothing it keeps (an open stores nothing) and stays answered; the calm pair still talks.
#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_opens_is_harmless() {
    // The host's default rate limit (tests usually lift it).
    let s = start(
        lanchat::server::Config::default(),
        lanchat::store::Store::memory().unwrap(),
    )
    .await;
    let calm = Calm::join(&s).await;
    let eve = Peer::connect_with(&url(&s), json!({"userKey": "eve-user-key-0123456789"}))
        .await
        .unwrap();
    eve.join(ROOM, "eve").await;
    let mut refusals = 0;
    for i in 0..2000 {
        let nick = if i % 2 == 0 { "calm-a" } else { "calm-b" };
        let ack = within(
            "open flood",
            eve.request("openPrivate", json!({"room": ROOM, "nickName": nick})),
        )
        .await;
        match ack["error"]["code"].as_str() {
            None => assert!(ack["room"].as_str().unwrap().starts_with("dm:")),
            Some("rate_limited") => refusals += 1,
            Some(other) => panic!("unexpected refusal {other}: {ack}"),
        }
    }
    assert!(
        refusals > 0,
        "2,000 opens in a burst run into the rate limit"
    );
    calm.check("a flood of openPrivate").await;
}
