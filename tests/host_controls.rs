//! The host's controls: kicking a user out of a room and changing the password so they cannot
//! simply come back.

mod common;

use common::*;
use lanchat::client::{Client, ClientConfig, ClientError};
use lanchat::server::Config;
use lanchat::store::Store;
use serde_json::json;

/// A kicked user is told, leaves the member list, everyone sees a notice, and the nickname
/// cannot rejoin that room for a while.
#[tokio::test(flavor = "multi_thread")]
async fn kick_removes_and_bans_from_the_room() {
    let s = start_default().await;
    let ann = Peer::connect(&url(&s)).await;
    let bob = Peer::connect(&url(&s)).await;
    ann.join("k", "ann").await;
    bob.join("k", "bob").await;
    s.control.kick("k", "bob", "the host").await.unwrap();
    let kicked = bob.wait_for("kicked", |_| true).await;
    assert_eq!(kicked["room"], "k");
    let notice = ann.wait_for("message", |v| v["kind"] == "kick").await;
    assert_eq!(notice["nickName"], "bob");
    ann.wait_for("presence", |v| v["left"] == json!(["bob"]))
        .await;
    assert_eq!(
        bob.send("k", "still here?").await["error"]["code"],
        "not_in_room"
    );
    let again = bob
        .request("joinRoom", json!({"roomName": "k", "nickName": "bob"}))
        .await;
    assert_eq!(again["error"]["code"], "kicked");
    assert!(s.control.kick("k", "nobody", "the host").await.is_err());
}

/// After the host changes the password, connections with the old one are refused.
#[tokio::test(flavor = "multi_thread")]
async fn changed_password_locks_out_the_old_one() {
    let cfg = Config {
        password: Some("old".into()),
        ..test_config()
    };
    let s = start(cfg, Store::memory().unwrap()).await;
    let mut c = ClientConfig::new(url(&s), "bob");
    c.password = Some("old".into());
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let first = Client::connect(c.clone(), tx.clone())
        .await
        .expect("old password works");
    first.disconnect().await;
    s.control.set_password(Some("new".into()));
    let err = Client::connect(c.clone(), tx.clone())
        .await
        .err()
        .expect("old password refused");
    assert_eq!(err, ClientError::BadPassword);
    c.password = Some("new".into());
    Client::connect(c, tx).await.expect("new password works");
}

/// The host sees every occupied room and who is in it — also rooms its own window never
/// joined — and the view follows people coming and going.
#[tokio::test(flavor = "multi_thread")]
async fn the_host_sees_every_room_and_its_members() {
    let s = start_default().await;
    let ann = Peer::connect(&url(&s)).await;
    let bob = Peer::connect(&url(&s)).await;
    ann.join("alpha", "ann").await;
    bob.join("alpha", "bob").await;
    bob.join("beta", "bobby").await;
    bob.send("beta", "hello").await;
    let rooms = s.control.rooms().await;
    let names: Vec<_> = rooms.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["alpha", "beta"]);
    assert_eq!(rooms[0].members, ["ann", "bob"]);
    assert_eq!(rooms[1].members, ["bobby"]);
    assert!(rooms[1].last_seq >= 2, "join notice + message: {rooms:?}");
    // The host kicks from the overview, in a room the host's window is not in.
    s.control.kick("beta", "bobby", "the host").await.unwrap();
    bob.wait_for("kicked", |v| v["room"] == "beta").await;
    let rooms = s.control.rooms().await;
    assert_eq!(
        rooms.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["alpha"],
        "an emptied room leaves the view"
    );
    // Guests only learn the counts, never the names.
    let info: serde_json::Value = reqwest::get(format!("{}/api/info", url(&s)))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["rooms"], json!([{"name": "alpha", "members": 2}]));
}

/// The host clears a room from the moderation view: everyone in it sees the `clear` notice, and
/// afterwards nothing before it exists — not for a newcomer's history, a catch-up from the
/// start, scrollback or search. Members stay, and the room goes on.
#[tokio::test(flavor = "multi_thread")]
async fn the_host_clears_a_rooms_history_for_everyone() {
    let s = start_default().await;
    let ann = Peer::connect(&url(&s)).await;
    ann.join("lobby", "ann").await;
    for i in 0..5 {
        ann.send("lobby", &format!("secret plan {i}")).await;
    }
    // The moderation view lists the newest messages (a room the host's window need not be in).
    let recent = s.control.recent_messages("lobby", 3).await.unwrap();
    let texts: Vec<&str> = recent.iter().map(|m| m.message.as_str()).collect();
    assert_eq!(texts, ["secret plan 2", "secret plan 3", "secret plan 4"]);
    s.control.clear_room("lobby", "the host").await.unwrap();
    let notice = ann.wait_for("message", |v| v["kind"] == "clear").await;
    let cleared_at = notice["seq"].as_u64().unwrap();
    assert!(cleared_at > 5, "{notice}");
    assert_eq!(notice["message"], "the host cleared the history of lobby");

    // A newcomer's history and a catch-up from the very start both begin at the notice.
    let bob = Peer::connect(&url(&s)).await;
    bob.join("lobby", "bob").await;
    let seen = bob
        .messages_until(|v| v["kind"] == "join" && v["nickName"] == "bob")
        .await;
    assert_eq!(seen[0]["kind"], "clear", "{seen:?}");
    assert!(
        seen.iter()
            .all(|m| m["seq"].as_u64().unwrap() >= cleared_at)
    );
    let carol = Peer::connect(&url(&s)).await;
    let ack = carol
        .request(
            "joinRoom",
            json!({"roomName": "lobby", "nickName": "carol", "since": 0}),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let seen = carol
        .messages_until(|v| v["kind"] == "join" && v["nickName"] == "carol")
        .await;
    assert!(
        seen.iter()
            .all(|m| m["seq"].as_u64().unwrap() >= cleared_at),
        "{seen:?}"
    );

    // Scrollback and search know nothing older either.
    let page = ann
        .request("history", json!({"room": "lobby", "before": cleared_at}))
        .await;
    assert_eq!(page["messages"], json!([]), "{page}");
    let found = ann
        .request("search", json!({"room": "lobby", "q": "secret"}))
        .await;
    assert_eq!(found["results"], json!([]), "{found}");

    // The room goes on, and clearing an empty room is refused clearly.
    let sent = ann.send("lobby", "fresh start").await;
    assert!(sent["seq"].as_u64().unwrap() > cleared_at, "{sent}");
    let err = s
        .control
        .clear_room("nowhere", "the host")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no history"), "{err}");
}
