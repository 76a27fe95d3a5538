//! Conversations over real sockets (issue #14): edits, deletes, reactions, replies and
//! mentions reach everyone in seq order as `messageUpdate`s; a client that was away catches up
//! with `since` to exactly what the others see; a plain join (also after a restart) shows the
//! folded messages; the tutorial's clients only ever see chat as `message`.

mod common;

use common::*;
use lanchat::store::Store;
use serde_json::{Value, json};

fn key(name: &str) -> Value {
    json!({ "userKey": format!("{name}-key-0123456789abcdef") })
}

async fn user(s: &lanchat::server::RunningServer, name: &str, room: &str) -> (Peer, Value) {
    let p = Peer::connect_with(&url(s), key(name)).await.unwrap();
    let ack = p.join(room, name).await;
    (p, ack)
}

fn seq(ack: &Value) -> u64 {
    assert_eq!(ack["ok"], true, "{ack}");
    ack["seq"].as_u64().unwrap()
}

/// The `messageUpdate` events until (and including) the one with `last` seq, in arrival order.
async fn updates_until(p: &Peer, last: u64) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let v = p.wait_for("messageUpdate", |_| true).await;
        let done = v["seq"].as_u64() == Some(last);
        out.push(v);
        if done {
            return out;
        }
    }
}

/// Edit, react, reply and delete: every member gets each change once, as `messageUpdate` with
/// its own seq and the target's, in the order they were made; the author's user id is on the
/// message and the join ack tells each user theirs.
#[tokio::test(flavor = "multi_thread")]
async fn changes_reach_everyone_in_order() {
    let s = start_default().await;
    let (ann, ann_ack) = user(&s, "ann", "r").await;
    let (bob, bob_ack) = user(&s, "bob", "r").await;
    let ann_id = ann_ack["userId"].as_str().unwrap().to_owned();
    assert_ne!(ann_id, bob_ack["userId"].as_str().unwrap());
    assert_eq!(ann_id.len(), 16);

    let m = seq(&ann.send("r", "hello @bob").await);
    let got = bob.wait_for("message", |v| v["seq"] == m).await;
    assert_eq!(got["userId"], ann_id.as_str());
    assert_eq!(got["mentions"], json!(["bob"]));

    let e = seq(&ann
        .request(
            "editMessage",
            json!({"room": "r", "seq": m, "message": "hello, @bob"}),
        )
        .await);
    let r = seq(&bob
        .request("react", json!({"room": "r", "seq": m, "emoji": "👍"}))
        .await);
    let reply = bob
        .request(
            "sendMessage",
            json!({"room": "r", "message": "hi!", "replyTo": m}),
        )
        .await;
    let reply = seq(&reply);
    let d = seq(&ann
        .request("deleteMessage", json!({"room": "r", "seq": m}))
        .await);
    assert!(m < e && e < r && r < reply && reply < d);

    for p in [&ann, &bob] {
        let ups = updates_until(p, d).await;
        let got: Vec<(&str, u64, u64)> = ups
            .iter()
            .map(|v| {
                (
                    v["kind"].as_str().unwrap(),
                    v["seq"].as_u64().unwrap(),
                    v["target"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, [("edit", e, m), ("react", r, m), ("delete", d, m)]);
        assert_eq!(ups[0]["message"], "hello, @bob");
        assert_eq!(ups[1]["message"], "👍");
        assert_eq!(ups[1]["nickName"], "bob");
        let rep = p.wait_for("message", |v| v["seq"] == reply).await;
        assert_eq!(
            (
                &rep["reply"]["seq"],
                &rep["reply"]["nickName"],
                &rep["reply"]["text"]
            ),
            (&json!(m), &json!("ann"), &json!("hello, @bob"))
        );
    }
}

/// A member who was away while a message was edited, reacted to and another deleted catches
/// up with `since` to the same folded state as a plain joiner — and every row in seq order.
#[tokio::test(flavor = "multi_thread")]
async fn a_returning_member_catches_up_to_the_same_state() {
    let s = start_default().await;
    let (ann, _) = user(&s, "ann", "r").await;
    let (cat, _) = user(&s, "cat", "r").await;
    let a = seq(&ann.send("r", "first").await);
    let b = seq(&ann.send("r", "second").await);
    cat.wait_for("message", |v| v["seq"] == b).await;
    cat.close().await;

    seq(&ann
        .request(
            "editMessage",
            json!({"room": "r", "seq": a, "message": "first!"}),
        )
        .await);
    seq(&ann
        .request("react", json!({"room": "r", "seq": a, "emoji": "🎉"}))
        .await);
    seq(&ann
        .request("deleteMessage", json!({"room": "r", "seq": b}))
        .await);
    let last = seq(&ann.send("r", "third").await);

    let cat = Peer::connect_with(&url(&s), key("cat")).await.unwrap();
    let ack = cat
        .request(
            "joinRoom",
            json!({"roomName": "r", "nickName": "cat", "since": b}),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    // Everything after `since`, messages and updates, in seq order.
    let mut rows = Vec::new();
    while rows.last().map(|v: &Value| v["seq"].as_u64()) != Some(Some(last)) {
        let (name, v) = cat.next().await;
        if name == "message" || name == "messageUpdate" {
            assert_eq!(name == "messageUpdate", v.get("target").is_some(), "{v}");
            rows.push(v);
        }
    }
    let seqs: Vec<u64> = rows.iter().map(|v| v["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let kinds: Vec<&str> = rows
        .iter()
        .map(|v| v["kind"].as_str().unwrap())
        .filter(|k| *k != "leave")
        .collect();
    assert_eq!(kinds, ["edit", "react", "delete", "chat"]);

    // A plain joiner sees the folded messages and no update rows at all.
    let (dan, _) = user(&s, "dan", "r").await;
    let h = dan
        .messages_until(|v| v["kind"] == "join" && v["nickName"] == "dan")
        .await;
    let one = h.iter().find(|v| v["seq"] == a).unwrap();
    assert_eq!(one["message"], "first!");
    assert!(one["editedTs"].as_i64().is_some());
    assert_eq!(one["reactions"][0]["emoji"], "🎉");
    assert_eq!(one["reactions"][0]["by"][0]["nickName"], "ann");
    let two = h.iter().find(|v| v["seq"] == b).unwrap();
    assert_eq!(
        (&two["deleted"], &two["message"]),
        (&json!(true), &json!(""))
    );
}

/// After the host restarts, a plain join still shows edits, deletes and reactions folded, and
/// rights survive: the author (same key) edits again under another nickname; someone who took
/// the author's nickname cannot.
#[tokio::test(flavor = "multi_thread")]
async fn folded_state_and_rights_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(test_config(), Store::open_dir(dir.path()).unwrap()).await;
    let (ann, _) = user(&s, "ann", "keep").await;
    let m = seq(&ann.send("keep", "draft").await);
    seq(&ann
        .request(
            "editMessage",
            json!({"room": "keep", "seq": m, "message": "final"}),
        )
        .await);
    seq(&ann
        .request("react", json!({"room": "keep", "seq": m, "emoji": "❤️"}))
        .await);
    let gone = seq(&ann.send("keep", "oops").await);
    seq(&ann
        .request("deleteMessage", json!({"room": "keep", "seq": gone}))
        .await);
    ann.close().await;
    s.stop().await.unwrap();

    let s = start(test_config(), Store::open_dir(dir.path()).unwrap()).await;
    let thief = Peer::connect(&url(&s)).await;
    thief.join("keep", "ann").await;
    let h = thief
        .messages_until(|v| v["kind"] == "join" && v["nickName"] == "ann" && v["history"] != true)
        .await;
    let kept = h.iter().find(|v| v["seq"] == m).unwrap();
    assert_eq!(kept["message"], "final");
    assert_eq!(kept["reactions"][0]["emoji"], "❤️");
    assert!(h.iter().any(|v| v["seq"] == gone && v["deleted"] == true));
    let no = thief
        .request(
            "editMessage",
            json!({"room": "keep", "seq": m, "message": "mine now"}),
        )
        .await;
    assert_eq!(no["error"]["code"], "not_author", "{no}");
    let back = Peer::connect_with(&url(&s), key("ann")).await.unwrap();
    back.join("keep", "ann again").await;
    seq(&back
        .request(
            "editMessage",
            json!({"room": "keep", "seq": m, "message": "final v2"}),
        )
        .await);
}

/// A tutorial client (`{roomName, nickName}`, no key, reads only `message`) sees chat lines and
/// notices as before — never an edit, delete or reaction — and cannot edit anyone's message.
#[tokio::test(flavor = "multi_thread")]
async fn tutorial_clients_see_only_chat_as_message() {
    let s = start_default().await;
    let tut = Peer::connect(&url(&s)).await;
    tut.join("r", "tutorial").await;
    let (ann, _) = user(&s, "ann", "r").await;
    let m = seq(&ann.send("r", "hello").await);
    seq(&ann
        .request(
            "editMessage",
            json!({"room": "r", "seq": m, "message": "hello!"}),
        )
        .await);
    seq(&ann
        .request("react", json!({"room": "r", "seq": m, "emoji": "👍"}))
        .await);
    let last = seq(&ann.send("r", "bye").await);
    let msgs = tut.messages_until(|v| v["seq"] == last).await;
    let lines: Vec<(&str, &str)> = msgs
        .iter()
        .map(|v| {
            (
                v["nickName"].as_str().unwrap(),
                v["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("tutorial", "tutorial joined r"),
            ("ann", "ann joined r"),
            ("ann", "hello"),
            ("ann", "bye")
        ]
    );
    assert!(msgs.iter().all(|v| v.get("target").is_none()));
    let no = tut
        .request(
            "editMessage",
            json!({"room": "r", "seq": m, "message": "x"}),
        )
        .await;
    assert_eq!(no["error"]["code"], "not_author");
}
