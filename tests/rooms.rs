//! Room semantics over real Socket.IO connections: the tutorial's flow, isolation, notices,
//! ordering, history, dedupe and nickname binding.

mod common;

use common::*;
use serde_json::json;

/// The tutorial's client works unchanged: join without an ack, get the join notice, send and
/// receive `{nickName, message}` — and another room hears nothing of it.
#[tokio::test(flavor = "multi_thread")]
async fn tutorial_flow_and_room_isolation() {
    let s = start_default().await;
    let a1 = Peer::connect(&url(&s)).await;
    let a2 = Peer::connect(&url(&s)).await;
    let b = Peer::connect(&url(&s)).await;
    a1.emit("joinRoom", json!({"roomName": "aaa", "nickName": "ann"}))
        .await;
    let notice = a1.wait_for("message", |v| v["kind"] == "join").await;
    assert_eq!(notice["nickName"], "ann");
    assert!(notice["message"].as_str().unwrap().contains("ann"));
    a2.join("aaa", "al").await;
    b.join("bbb", "bea").await;

    a1.emit(
        "sendMessage",
        json!({"room": "aaa", "nickName": "ann", "message": "Hello, everyone!"}),
    )
    .await;
    for p in [&a1, &a2] {
        let m = p.wait_for("message", text_is("Hello, everyone!")).await;
        assert_eq!(m["nickName"], "ann");
        assert_eq!(m["room"], "aaa");
    }
    b.send("bbb", "only bbb").await;
    let seen = b.messages_until(text_is("only bbb")).await;
    assert!(
        seen.iter().all(|m| m["room"] == "bbb"),
        "bbb saw another room: {seen:?}"
    );
    s.stop().await.unwrap();
}

/// Events sent back to back are handled in the order sent: a send right after a join (no
/// waiting for the join's ack) is never refused as "not in room".
#[tokio::test(flavor = "multi_thread")]
async fn join_then_send_back_to_back_keeps_order() {
    let s = start_default().await;
    for i in 0..20 {
        let p = Peer::connect(&url(&s)).await;
        let room = format!("r{i}");
        p.emit("joinRoom", json!({"roomName": room, "nickName": "n"}))
            .await;
        p.emit("sendMessage", json!({"room": room, "message": "first"}))
            .await;
        let m = p.wait_for("message", text_is("first")).await;
        assert_eq!(m["kind"], "chat");
        p.close().await;
    }
    s.stop().await.unwrap();
}

/// Members see joins and leaves (explicit leave and disconnect), and the member list.
#[tokio::test(flavor = "multi_thread")]
async fn join_and_leave_notices_and_members() {
    let s = start_default().await;
    let a = Peer::connect(&url(&s)).await;
    let b = Peer::connect(&url(&s)).await;
    let c = Peer::connect(&url(&s)).await;
    a.join("r", "ann").await;
    b.join("r", "bob").await;
    a.wait_for("message", |v| v["kind"] == "join" && v["nickName"] == "bob")
        .await;
    a.wait_for("presence", |v| {
        v["room"] == "r" && v["joined"] == json!(["bob"]) && v["left"] == json!([])
    })
    .await;
    let ack = c.join("r", "cat").await;
    assert_eq!(ack["members"], json!(["ann", "bob", "cat"]), "{ack}");
    let ack = b.request("leaveRoom", json!({"room": "r"})).await;
    assert_eq!(ack["ok"], true);
    a.wait_for("message", |v| {
        v["kind"] == "leave" && v["nickName"] == "bob"
    })
    .await;
    c.close().await;
    a.wait_for("message", |v| {
        v["kind"] == "leave" && v["nickName"] == "cat"
    })
    .await;
    a.wait_for("presence", |v| v["left"] == json!(["cat"]))
        .await;
    s.stop().await.unwrap();
}

/// With several people sending at once, everyone sees the same messages in the same order,
/// seqs strictly increasing without gaps, and each sender's own order kept.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_senders_total_order() {
    let s = start_default().await;
    let mut peers = Vec::new();
    for i in 0..5 {
        let p = Peer::connect(&url(&s)).await;
        p.join("order", &format!("p{i}")).await;
        peers.push(p);
    }
    let per = 40;
    let views = send_all_at_once(peers, "order", per).await;
    let first: Vec<(u64, String)> = views[0]
        .iter()
        .map(|v| {
            (
                v["seq"].as_u64().unwrap(),
                v["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(first.len(), 5 * (per + 1));
    assert!(
        first.windows(2).all(|w| w[1].0 == w[0].0 + 1),
        "seq gaps or disorder"
    );
    for v in &views[1..] {
        let other: Vec<(u64, String)> = v
            .iter()
            .map(|v| {
                (
                    v["seq"].as_u64().unwrap(),
                    v["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(other, first, "members disagree on order");
    }
    for i in 0..5 {
        let mine: Vec<usize> = first
            .iter()
            .filter_map(|(_, t)| {
                t.strip_prefix(&format!("p{i}-"))
                    .map(|k| k.parse().unwrap())
            })
            .collect();
        assert_eq!(mine, (0..per).collect::<Vec<_>>(), "sender {i} reordered");
    }
}

/// A newcomer gets the last 100 messages oldest first, marked as history, then its join
/// notice; `since` limits the replay to what was missed.
#[tokio::test(flavor = "multi_thread")]
async fn history_on_join_and_since() {
    let s = start_default().await;
    let a = Peer::connect(&url(&s)).await;
    a.join("h", "ann").await;
    for i in 1..=120 {
        let ack = a.send("h", &format!("m{i}")).await;
        assert_eq!(ack["ok"], true);
    }
    let b = Peer::connect(&url(&s)).await;
    let ack = b
        .request("joinRoom", json!({"roomName": "h", "nickName": "bob"}))
        .await;
    let got = b
        .messages_until(|v| v["kind"] == "join" && v["nickName"] == "bob")
        .await;
    assert_eq!(got.len(), 101);
    let history = &got[..100];
    assert!(history.iter().all(|m| m["history"] == true));
    assert_eq!(history[0]["message"], "m21");
    assert_eq!(history[99]["message"], "m120");
    assert!(
        history
            .windows(2)
            .all(|w| w[0]["seq"].as_u64() < w[1]["seq"].as_u64())
    );
    assert!(got[100].get("history").is_none());
    assert_eq!(ack["lastSeq"], got[100]["seq"]);

    let c = Peer::connect(&url(&s)).await;
    let since = history[97]["seq"].as_u64().unwrap();
    c.request(
        "joinRoom",
        json!({"roomName": "h", "nickName": "cat", "since": since}),
    )
    .await;
    let got = c
        .messages_until(|v| v["kind"] == "join" && v["nickName"] == "cat")
        .await;
    let texts: Vec<&str> = got.iter().map(|m| m["message"].as_str().unwrap()).collect();
    assert_eq!(&texts[..3], &["m119", "m120", "bob joined h"]);
    assert_eq!(got.len(), 4);
}

/// A resend with the same clientId is stored and broadcast once; its ack repeats the original.
#[tokio::test(flavor = "multi_thread")]
async fn client_id_dedupe() {
    let s = start_default().await;
    let a = Peer::connect(&url(&s)).await;
    let b = Peer::connect(&url(&s)).await;
    a.join("d", "ann").await;
    b.join("d", "bob").await;
    let payload = json!({"room": "d", "message": "once", "clientId": "c-1"});
    let first = a.request("sendMessage", payload.clone()).await;
    let again = a.request("sendMessage", payload).await;
    assert_eq!(first["duplicate"], false);
    assert_eq!(again["duplicate"], true);
    assert_eq!(
        (first["id"].clone(), first["seq"].clone()),
        (again["id"].clone(), again["seq"].clone())
    );
    a.send("d", "after").await;
    let seen = b.messages_until(text_is("after")).await;
    assert_eq!(seen.iter().filter(|m| m["message"] == "once").count(), 1);
    assert_eq!(
        seen.iter().find(|m| m["message"] == "once").unwrap()["clientId"],
        "c-1"
    );
}

/// The server uses the nickname bound at join: a spoofed `nickName` is ignored, a taken
/// nickname is refused, and a room you have not joined cannot be written to.
#[tokio::test(flavor = "multi_thread")]
async fn nicknames_are_bound_at_join() {
    let s = start_default().await;
    let a = Peer::connect(&url(&s)).await;
    let b = Peer::connect(&url(&s)).await;
    a.join("n", "ann").await;
    a.request(
        "sendMessage",
        json!({"room": "n", "nickName": "admin", "message": "spoof"}),
    )
    .await;
    let m = a.wait_for("message", text_is("spoof")).await;
    assert_eq!(m["nickName"], "ann");
    let taken = b
        .request("joinRoom", json!({"roomName": "n", "nickName": "ann"}))
        .await;
    assert_eq!(taken["error"]["code"], "nick_taken");
    let ack = b.send("n", "sneak").await;
    assert_eq!(ack["error"]["code"], "not_in_room");
    // Without an ack callback the refusal still arrives, as an event.
    b.emit("sendMessage", json!({"room": "n", "message": "sneak"}))
        .await;
    let e = b.wait_for("requestError", |_| true).await;
    assert_eq!(
        (e["code"].as_str(), e["event"].as_str()),
        (Some("not_in_room"), Some("sendMessage"))
    );
}

/// A user whose old connection is still lingering (same sessionId) gets their nickname back.
#[tokio::test(flavor = "multi_thread")]
async fn reconnecting_user_takes_over_their_stale_nickname() {
    let s = start_default().await;
    let auth = json!({"sessionId": "session-ann"});
    let old = Peer::connect_with(&url(&s), auth.clone()).await.unwrap();
    old.join("t", "ann").await;
    let watcher = Peer::connect(&url(&s)).await;
    watcher.join("t", "wes").await;
    let new = Peer::connect_with(&url(&s), auth).await.unwrap();
    let ack = new
        .request(
            "joinRoom",
            json!({"roomName": "t", "nickName": "ann", "since": 1}),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    new.send("t", "back again").await;
    let m = watcher.wait_for("message", text_is("back again")).await;
    assert_eq!(m["nickName"], "ann");
    // The stale connection no longer speaks for ann in that room.
    let stale = old.send("t", "ghost").await;
    assert_eq!(stale["error"]["code"], "not_in_room");
}

/// Typing notices reach the others, not the typist.
#[tokio::test(flavor = "multi_thread")]
async fn typing_is_relayed_to_others() {
    let s = start_default().await;
    let a = Peer::connect(&url(&s)).await;
    let b = Peer::connect(&url(&s)).await;
    a.join("ty", "ann").await;
    b.join("ty", "bob").await;
    a.emit("typing", json!({"room": "ty", "typing": true}))
        .await;
    let t = b.wait_for("typing", |_| true).await;
    assert_eq!(t, json!({"room": "ty", "nickName": "ann", "typing": true}));
    a.send("ty", "x").await;
    let mut names = Vec::new();
    loop {
        let (n, v) = a.next().await;
        if n == "message" && v["message"] == "x" {
            break;
        }
        names.push(n);
    }
    assert!(
        !names.iter().any(|n| n == "typing"),
        "the typist got its own notice: {names:?}"
    );
}

/// The last member leaving and someone joining right behind them (often in the same server
/// batch) keeps the room's history and seq intact.
#[tokio::test(flavor = "multi_thread")]
async fn leave_and_rejoin_back_to_back_keeps_seq() {
    let s = start_default().await;
    for i in 0..20 {
        let a = Peer::connect(&url(&s)).await;
        a.join("churn", &format!("a{i}")).await;
        let seq = a.send("churn", &format!("m{i}")).await["seq"]
            .as_u64()
            .unwrap();
        a.emit("leaveRoom", json!({"room": "churn"})).await;
        let b = Peer::connect(&url(&s)).await;
        b.emit(
            "joinRoom",
            json!({"roomName": "churn", "nickName": format!("b{i}")}),
        )
        .await;
        b.emit(
            "sendMessage",
            json!({"room": "churn", "message": format!("after {i}")}),
        )
        .await;
        let m = b.wait_for("message", text_is(&format!("after {i}"))).await;
        assert!(m["seq"].as_u64().unwrap() > seq, "seq went back");
        b.emit("leaveRoom", json!({"room": "churn"})).await;
        a.close().await;
        b.close().await;
    }
}

/// A class arriving at once (many joins in one hub batch): every client ends with the same,
/// complete member list — built from its join ack plus `presence` deltas — and sees people
/// leave the same way.
#[tokio::test(flavor = "multi_thread")]
async fn a_class_arriving_at_once_agrees_on_the_member_list() {
    use common::chat::User;
    let s = start_default().await;
    let addr = s.addr.to_string();
    let nicks: Vec<String> = (0..30).map(|i| format!("s{i:02}")).collect();
    let mut users: Vec<User> =
        futures_util::future::join_all(nicks.iter().map(|n| User::join(&addr, n, "class"))).await;
    for u in &mut users {
        u.until(WAIT, |u| u.members.get("class") == Some(&nicks))
            .await;
    }
    let leaver = users.pop().expect("30 users");
    leaver.client.leave("class").await.expect("leave");
    let rest = &nicks[..29];
    for u in &mut users {
        u.until(WAIT, |u| {
            u.members.get("class").map(Vec::as_slice) == Some(rest)
        })
        .await;
    }
    s.stop().await.unwrap();
}

/// A long history is replayed in chunks (the joiner's writer drains between them) while the
/// room keeps talking: the joiner still sees one unbroken run of seqs — history, its own join
/// notice, then the live messages — with nothing missing, repeated or out of order.
#[tokio::test(flavor = "multi_thread")]
async fn history_replay_under_live_traffic_is_seamless() {
    let s = start_default().await;
    let ann = Peer::connect(&url(&s)).await;
    ann.join("busy", "ann").await;
    for i in 0..100 {
        assert_eq!(ann.send("busy", &format!("old {i}")).await["ok"], true);
    }
    let bob = Peer::connect(&url(&s)).await;
    let (joined_tx, joined) = tokio::sync::oneshot::channel::<()>();
    let talker = tokio::spawn(async move {
        let say = |i: usize| json!({"room": "busy", "message": format!("live {i}")});
        for i in 0..199 {
            ann.emit("sendMessage", say(i)).await;
        }
        // The last one only once bob is in, so it surely reaches him live.
        joined.await.unwrap();
        ann.emit("sendMessage", say(199)).await;
        ann
    });
    let ack = bob
        .request("joinRoom", json!({"roomName": "busy", "nickName": "bob"}))
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    joined_tx.send(()).unwrap();
    let got = bob.messages_until(text_is("live 199")).await;
    let _ann = talker.await.unwrap();
    let seqs: Vec<u64> = got.iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "not one unbroken run: {seqs:?}"
    );
    let joins: Vec<usize> = (0..got.len())
        .filter(|&i| got[i]["kind"] == "join" && got[i]["nickName"] == "bob")
        .collect();
    assert_eq!(joins.len(), 1, "bob's join notice once");
    let j = joins[0];
    assert!(got[..j].iter().all(|m| m["history"] == true));
    assert!(got[j..].iter().all(|m| m.get("history").is_none()));
    assert_eq!(j, 100, "the last 100 messages as history");
}
