//! Cluster mode (issue #15): several nodes share every room through one Redis. Every test
//! starts its own `redis-server` (tests/common/redis.rs: loopback, own port and directory, AOF
//! fsynced on every write) and its own nodes, in process or as `lanchat serve --cluster`
//! processes that can be SIGKILLed (tests/common/cluster.rs). Needs Debian's `redis-server`
//! (./dev.sh test installs it).

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::chat::User;
use common::cluster::*;
use common::proxy::FaultProxy;
use common::raw::RawSio;
use common::redis::Redis;
use common::*;
use lanchat::client::ConnState;
use lanchat::protocol::Kind;
use lanchat::server::Config;
use serde_json::{Value, json};

/// (seq, text) of the chat messages among `msgs`.
fn chats(msgs: &[Value]) -> Vec<(u64, String)> {
    msgs.iter()
        .filter(|m| m["kind"] == "chat")
        .map(|m| {
            (
                m["seq"].as_u64().expect("seq"),
                m["message"].as_str().expect("text").to_owned(),
            )
        })
        .collect()
}

/// Everything `room` holds, as a newcomer `nick` joining on `node` is shown it (history up to
/// [`HISTORY`], then its own join notice).
async fn history_on(node: &str, room: &str, nick: &str) -> Vec<Value> {
    let p = Peer::connect(node).await;
    p.join(room, nick).await;
    let got = p
        .messages_until(|v| v["kind"] == "join" && v["nickName"] == nick)
        .await;
    p.close().await;
    got
}

/// Every text of `acked` is in `stored` exactly once, and `stored` is in strictly increasing
/// seq order with no text twice.
fn assert_all_acked_stored_once(acked: &[String], stored: &[(u64, String)]) {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for (_, t) in stored {
        *count.entry(t.as_str()).or_default() += 1;
    }
    for t in acked {
        assert_eq!(
            count.get(t.as_str()).copied().unwrap_or(0),
            1,
            "acked message {t:?} lost or duplicated"
        );
    }
    let dups: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dups.is_empty(), "stored twice: {dups:?}");
    assert!(
        stored.windows(2).all(|w| w[0].0 < w[1].0),
        "history out of seq order"
    );
}

/// The harness itself: what Redis acknowledged survives a SIGKILL and a clean restart, on the
/// same port (the AOF is fsynced on every write and reloaded on start).
#[tokio::test(flavor = "multi_thread")]
async fn redis_harness_keeps_acknowledged_writes_across_kill_and_restart() {
    let mut redis = Redis::start().await;
    let port = redis.port();
    let xlen = |url: String| async move {
        let client = ::redis::Client::open(url).unwrap();
        let mut con = client.get_multiplexed_async_connection().await.unwrap();
        ::redis::cmd("XLEN")
            .arg("harness")
            .query_async::<u64>(&mut con)
            .await
            .unwrap()
    };
    {
        let client = ::redis::Client::open(redis.url()).unwrap();
        let mut con = client.get_multiplexed_async_connection().await.unwrap();
        for i in 0..100 {
            let _: String = ::redis::cmd("XADD")
                .arg("harness")
                .arg("*")
                .arg("i")
                .arg(i)
                .query_async(&mut con)
                .await
                .unwrap();
        }
    }
    redis.kill();
    assert!(!redis.is_up().await, "redis still answers after SIGKILL");
    redis.restart().await;
    assert_eq!(redis.port(), port);
    assert_eq!(xlen(redis.url()).await, 100, "acked writes lost by SIGKILL");
    redis.stop().await;
    assert!(!redis.is_up().await, "redis still answers after stop");
    redis.restart().await;
    assert_eq!(
        xlen(redis.url()).await,
        100,
        "writes lost by a clean restart"
    );
}

/// Clients spread over three nodes, all sending at once, are all shown the same messages with
/// the same seqs in the same order, without gaps, each sender's own order kept.
#[tokio::test(flavor = "multi_thread")]
async fn three_nodes_show_everyone_one_order() {
    let redis = Redis::start().await;
    let nodes = start_nodes(&redis.url(), 3).await;
    let mut peers = Vec::new();
    for i in 0..6 {
        let p = Peer::connect(&url(&nodes[i % 3])).await;
        p.join("order", &format!("p{i}")).await;
        peers.push(p);
    }
    // Everyone has seen the last join before anyone sends, so the chats below are contiguous.
    for p in &peers {
        p.wait_for("message", |v| v["kind"] == "join" && v["nickName"] == "p5")
            .await;
    }
    let per = 30;
    let views = send_all_at_once(peers, "order", per).await;
    // The same message has the same id on every node, too.
    let ids: Vec<Vec<(u64, String)>> = views
        .iter()
        .map(|v| {
            v.iter()
                .map(|m| {
                    (
                        m["seq"].as_u64().unwrap(),
                        m["id"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .collect();
    let views: Vec<Vec<(u64, String)>> = views.iter().map(|v| chats(v)).collect();
    let first = &views[0];
    assert_eq!(first.len(), views.len() * (per + 1));
    assert!(
        first.windows(2).all(|w| w[1].0 == w[0].0 + 1),
        "seq gaps or disorder: {first:?}"
    );
    for (i, v) in views.iter().enumerate().skip(1) {
        assert_eq!(v, first, "p{i} (node {}) disagrees with p0", i % 3);
    }
    for (i, v) in ids.iter().enumerate().skip(1) {
        assert_eq!(
            v,
            &ids[0],
            "p{i} (node {}) is shown other message ids than p0",
            i % 3
        );
    }
    for i in 0..views.len() {
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

/// The room's history is one log: sent on node A, a newcomer on node C is shown it; someone who
/// left and comes back on node B with `since` is shown exactly what they missed.
#[tokio::test(flavor = "multi_thread")]
async fn history_and_since_across_nodes() {
    let redis = Redis::start().await;
    let nodes = start_nodes(&redis.url(), 3).await;
    let ann = Peer::connect(&url(&nodes[0])).await;
    ann.join("h", "ann").await;
    for i in 1..=30 {
        assert_eq!(ann.send("h", &format!("m{i}")).await["ok"], true);
    }
    let bob = Peer::connect(&url(&nodes[2])).await;
    let ack = bob
        .request("joinRoom", json!({"roomName": "h", "nickName": "bob"}))
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let got = bob
        .messages_until(|v| v["kind"] == "join" && v["nickName"] == "bob")
        .await;
    let texts: Vec<String> = chats(&got).into_iter().map(|(_, t)| t).collect();
    assert_eq!(texts, (1..=30).map(|i| format!("m{i}")).collect::<Vec<_>>());
    assert!(got[..got.len() - 1].iter().all(|m| m["history"] == true));
    let last = ack["lastSeq"].as_u64().expect("lastSeq in the join ack");
    assert_eq!(got.last().unwrap()["seq"].as_u64(), Some(last));
    bob.close().await;
    ann.wait_for("message", |v| {
        v["kind"] == "leave" && v["nickName"] == "bob"
    })
    .await;

    for i in 31..=35 {
        assert_eq!(ann.send("h", &format!("m{i}")).await["ok"], true);
    }
    let bob = Peer::connect(&url(&nodes[1])).await;
    let ack = bob
        .request(
            "joinRoom",
            json!({"roomName": "h", "nickName": "bob", "since": last}),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let got = bob
        .messages_until(|v| v["kind"] == "join" && v["nickName"] == "bob")
        .await;
    let missed = chats(&got);
    assert_eq!(
        missed.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(),
        ["m31", "m32", "m33", "m34", "m35"]
    );
    let seqs: Vec<u64> = got.iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    assert!(seqs[0] > last, "replayed what bob had seen: {seqs:?}");
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
}

/// The member list is the room's, not the node's: a member joining on node C is told everyone on
/// A and B, and those on A and C see someone on B come and go.
#[tokio::test(flavor = "multi_thread")]
async fn member_list_spans_nodes() {
    let redis = Redis::start().await;
    let nodes = start_nodes(&redis.url(), 3).await;
    let ann = Peer::connect(&url(&nodes[0])).await;
    let bob = Peer::connect(&url(&nodes[1])).await;
    let cat = Peer::connect(&url(&nodes[2])).await;
    ann.join("m", "ann").await;
    bob.join("m", "bob").await;
    let ack = cat.join("m", "cat").await;
    assert_eq!(ack["members"], json!(["ann", "bob", "cat"]), "{ack}");
    ann.wait_for("presence", |v| v["joined"] == json!(["cat"]))
        .await;
    bob.close().await;
    for p in [&ann, &cat] {
        p.wait_for("presence", |v| {
            v["room"] == "m" && v["left"] == json!(["bob"])
        })
        .await;
        p.wait_for("message", |v| {
            v["kind"] == "leave" && v["nickName"] == "bob"
        })
        .await;
    }
    let rooms = nodes[0].control.rooms().await;
    let m = rooms.iter().find(|r| r.name == "m").expect("room m");
    assert_eq!(m.members, ["ann", "cat"]);
}

/// Typing on node A is shown to a member on node C.
#[tokio::test(flavor = "multi_thread")]
async fn typing_crosses_nodes() {
    let redis = Redis::start().await;
    let nodes = start_nodes(&redis.url(), 3).await;
    let ann = Peer::connect(&url(&nodes[0])).await;
    let bob = Peer::connect(&url(&nodes[2])).await;
    ann.join("ty", "ann").await;
    bob.join("ty", "bob").await;
    ann.emit("typing", json!({"room": "ty", "typing": true}))
        .await;
    let t = bob.wait_for("typing", |_| true).await;
    assert_eq!(t, json!({"room": "ty", "nickName": "ann", "typing": true}));
}

/// The host's kick on node A removes a user connected to node C, everyone sees it, and the ban
/// holds on every node.
#[tokio::test(flavor = "multi_thread")]
async fn kick_on_one_node_removes_a_user_on_another() {
    let redis = Redis::start().await;
    let nodes = start_nodes(&redis.url(), 3).await;
    let ann = Peer::connect(&url(&nodes[1])).await;
    let bob = Peer::connect(&url(&nodes[2])).await;
    ann.join("k", "ann").await;
    bob.join("k", "bob").await;
    ann.wait_for("presence", |v| v["joined"] == json!(["bob"]))
        .await;
    nodes[0]
        .control
        .kick("k", "bob", "the host")
        .await
        .expect("kick a member of another node");
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
    assert_eq!(
        again["error"]["code"], "kicked",
        "rejoin on node C: {again}"
    );
    let elsewhere = Peer::connect(&url(&nodes[0])).await;
    let again = elsewhere
        .request("joinRoom", json!({"roomName": "k", "nickName": "bob"}))
        .await;
    assert_eq!(
        again["error"]["code"], "kicked",
        "rejoin on node A: {again}"
    );
    assert!(
        nodes[1]
            .control
            .kick("k", "nobody", "the host")
            .await
            .is_err()
    );
}

/// A message resent with the same clientId through another node — the client moved, its first
/// node still holding the nickname — is stored and shown once, and the resend's ack repeats the
/// original's seq. Requests are pipelined on raw sockets, as a client resending after a
/// reconnect does.
#[tokio::test(flavor = "multi_thread")]
async fn client_id_dedupe_across_nodes() {
    let redis = Redis::start().await;
    let nodes = start_nodes(&redis.url(), 3).await;
    let watcher = Peer::connect(&url(&nodes[1])).await;
    watcher.join("d", "watcher").await;
    let auth = json!({"sessionId": "ann-session"});
    let join = r#"["joinRoom",{"roomName":"d","nickName":"ann"}]"#;
    let send = r#"["sendMessage",{"room":"d","message":"once","clientId":"c-1"}]"#;

    let mut a = RawSio::open(nodes[0].addr).await;
    a.connect_ns(Some(&auth)).await.expect("connect on node A");
    a.send(&format!("42101{join}")).await.unwrap();
    a.send(&format!("42102{send}")).await.unwrap();
    assert_eq!(a.ack(101).await.expect("join ack")["ok"], true);
    let first = a.ack(102).await.expect("send ack");
    assert_eq!(
        (first["ok"].clone(), first["duplicate"].clone()),
        (json!(true), json!(false)),
        "{first}"
    );

    let mut c = RawSio::open(nodes[2].addr).await;
    c.connect_ns(Some(&auth)).await.expect("connect on node C");
    c.send(&format!("42201{join}")).await.unwrap();
    c.send(&format!("42202{send}")).await.unwrap();
    c.send(r#"42203["sendMessage",{"room":"d","message":"after","clientId":"c-2"}]"#)
        .await
        .unwrap();
    let rejoin = c.ack(201).await.expect("join ack on C");
    assert_eq!(
        rejoin["ok"], true,
        "the same session takes its nickname over: {rejoin}"
    );
    let again = c.ack(202).await.expect("resend ack");
    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(
        (again["id"].clone(), again["seq"].clone()),
        (first["id"].clone(), first["seq"].clone())
    );
    assert_eq!(c.ack(203).await.expect("after ack")["ok"], true);

    let seen = watcher.messages_until(text_is("after")).await;
    assert_eq!(seen.iter().filter(|m| m["message"] == "once").count(), 1);
    let stored = chats(&history_on(&url(&nodes[0]), "d", "checker").await);
    assert_eq!(
        stored.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(),
        ["once", "after"]
    );
}

/// A password-protected cluster asks for the password on every node: without it each node
/// refuses, with it each node lets the user in and they talk across nodes.
#[tokio::test(flavor = "multi_thread")]
async fn password_is_required_on_every_node() {
    let redis = Redis::start().await;
    let mut nodes = Vec::new();
    for _ in 0..3 {
        let cfg = Config {
            password: Some("sesame".into()),
            // Raw peers speak plain HTTP; the password is what this test is about.
            plain_guests: Some(true),
            ..node_config(&redis.url())
        };
        nodes.push(start_node_with(cfg).await);
    }
    let mut peers = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        assert_eq!(info_at(n.addr).await["passwordRequired"], true, "node {i}");
        let p = Peer::connect_with(&url(n), json!({"password": "sesame"}))
            .await
            .unwrap_or_else(|e| panic!("node {i} refused the password: {e:?}"));
        p.join("pw", &format!("u{i}")).await;
        peers.push(p);
    }
    // Refusals last: a failed attempt slows the next ones from this address down.
    for (i, n) in nodes.iter().enumerate() {
        match Peer::connect_with(&url(n), json!({})).await {
            Err(ConnectError::Refused(_)) => {}
            Err(e) => panic!("node {i}: expected a refusal, got {e:?}"),
            Ok(_) => panic!("node {i} let a user in without the password"),
        }
    }
    assert_eq!(peers[0].send("pw", "hi all").await["ok"], true);
    for p in &peers[1..] {
        p.wait_for("message", text_is("hi all")).await;
    }
}

/// `/api/info` on any node lists every node with its address and connection count.
#[tokio::test(flavor = "multi_thread")]
async fn api_info_on_any_node_lists_every_node() {
    let redis = Redis::start().await;
    let nodes = start_nodes(&redis.url(), 3).await;
    let _a = Peer::connect(&url(&nodes[0])).await;
    let _b1 = Peer::connect(&url(&nodes[1])).await;
    let _b2 = Peer::connect(&url(&nodes[1])).await;
    let want: HashMap<String, u64> = [
        (url(&nodes[0]), 1),
        (url(&nodes[1]), 2),
        (url(&nodes[2]), 0),
    ]
    .into_iter()
    .collect();
    for n in &nodes {
        let addr = n.addr;
        let want = want.clone();
        until(
            &format!("/api/info on {addr} lists the three nodes and their connections"),
            WAIT * 2,
            move || {
                let want = want.clone();
                async move {
                    let info = info_at(addr).await;
                    let got: HashMap<String, u64> = info["nodes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|n| {
                            (
                                n["url"].as_str().unwrap_or_default().to_owned(),
                                n["connections"].as_u64().unwrap_or(u64::MAX),
                            )
                        })
                        .collect();
                    got == want
                }
            },
        )
        .await;
    }
    let info = info_at(nodes[2].addr).await;
    let ids: Vec<u64> = info["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_u64().expect("node id"))
        .collect();
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "node ids not distinct: {ids:?}");
    assert_eq!(nodes[0].control.nodes().len(), 3);
}

/// Edits, reactions and deletes span nodes: the author edits through another node under another
/// nickname (rights follow the user key, on every node), someone else's edit is refused there
/// too, the host deletes from a third node's controls, and members on two nodes get every
/// change once, with the same seqs, in the same order.
#[tokio::test(flavor = "multi_thread")]
async fn conversations_span_nodes() {
    let redis = Redis::start().await;
    let nodes = start_nodes(&redis.url(), 3).await;
    let key = |name: &str| json!({"userKey": format!("{name}-key-0123456789abcdef")});
    let ann = Peer::connect_with(&url(&nodes[0]), key("ann"))
        .await
        .unwrap();
    let bob = Peer::connect_with(&url(&nodes[2]), key("bob"))
        .await
        .unwrap();
    ann.join("c", "ann").await;
    bob.join("c", "bob").await;
    let seq = |ack: &Value| {
        assert_eq!(ack["ok"], true, "{ack}");
        ack["seq"].as_u64().unwrap()
    };
    let m = seq(&ann.send("c", "hello").await);
    bob.wait_for("message", |v| v["seq"] == m).await;
    let r = seq(&bob
        .request("react", json!({"room": "c", "seq": m, "emoji": "👍"}))
        .await);
    // Ann again, from node B, as "ann-phone": the same key, so still the author.
    let phone = Peer::connect_with(&url(&nodes[1]), key("ann"))
        .await
        .unwrap();
    phone.join("c", "ann-phone").await;
    let e = seq(&phone
        .request(
            "editMessage",
            json!({"room": "c", "seq": m, "message": "hello, all"}),
        )
        .await);
    let theft = bob
        .request(
            "editMessage",
            json!({"room": "c", "seq": m, "message": "mine now"}),
        )
        .await;
    assert_eq!(theft["error"]["code"], "not_author", "{theft}");
    nodes[2]
        .control
        .delete_message("c", m, "the host")
        .await
        .expect("the host deletes from another node");
    let mut views = Vec::new();
    for p in [&ann, &bob] {
        let mut got = Vec::new();
        while got.len() < 3 {
            let v = p.wait_for("messageUpdate", |_| true).await;
            got.push((
                v["kind"].as_str().unwrap().to_owned(),
                v["seq"].as_u64().unwrap(),
                v["target"].as_u64().unwrap(),
            ));
        }
        views.push(got);
    }
    assert_eq!(views[0], views[1], "members on two nodes disagree");
    let kinds: Vec<&str> = views[0].iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(kinds, ["react", "edit", "delete"]);
    assert_eq!((views[0][0].1, views[0][1].1), (r, e));
    assert!(views[0].iter().all(|(_, _, t)| *t == m));
}

/// A node started after the room had a history follows the log from its start: a member
/// joining on it is shown the same messages with the same seqs as on the first node.
#[tokio::test(flavor = "multi_thread")]
async fn a_node_started_later_replays_the_log() {
    let redis = Redis::start().await;
    let first = start_node_with(node_config(&redis.url())).await;
    let ann = Peer::connect(&url(&first)).await;
    ann.join("late", "ann").await;
    for i in 0..40 {
        assert_eq!(ann.send("late", &format!("m{i}")).await["ok"], true);
    }
    let before = chats(&history_on(&url(&first), "late", "early").await);
    let later = start_node_with(node_config(&redis.url())).await;
    let after = chats(&history_on(&url(&later), "late", "newcomer").await);
    assert_eq!(after, before, "the new node's replica differs");
    assert_eq!(after.len(), 40);
    // And it takes part at once: a message sent on it reaches the first node's member.
    let cat = Peer::connect(&url(&later)).await;
    cat.join("late", "cat").await;
    assert_eq!(cat.send("late", "from the new node").await["ok"], true);
    ann.wait_for("message", text_is("from the new node")).await;
}

/// A node whose rules would decide differently (here: another history length) is refused at
/// start, saying so, and the cluster goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_node_with_other_settings_is_refused() {
    let redis = Redis::start().await;
    let nodes = start_nodes(&redis.url(), 1).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let odd = Config {
        history_on_join: 7,
        ..node_config(&redis.url())
    };
    let err = lanchat::server::serve(listener, odd, lanchat::store::Store::memory().unwrap())
        .await
        .err()
        .expect("a node with other settings must not join");
    assert!(err.to_string().contains("settings"), "{err}");
    let p = Peer::connect(&url(&nodes[0])).await;
    p.join("ok", "ann").await;
    assert_eq!(p.send("ok", "still fine").await["ok"], true);
}

/// What one sender on a raw connection saw while Redis went away and came back.
#[derive(Default)]
struct Progress {
    acked: AtomicUsize,
    refused: AtomicUsize,
}

/// `peer.request`, waiting up to `limit` for the ack instead of [`WAIT`]: `None` if none came.
async fn request_within(peer: &Peer, event: &str, data: Value, limit: Duration) -> Option<Value> {
    use futures_util::FutureExt;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    peer.client
        .emit_with_ack(event, data, limit, move |p, _| {
            let body = match p {
                rust_socketio::Payload::Text(mut v) if !v.is_empty() => match v.swap_remove(0) {
                    Value::Array(mut a) if !a.is_empty() => a.swap_remove(0),
                    other => other,
                },
                _ => Value::Null,
            };
            let _ = tx.send(body);
            async {}.boxed()
        })
        .await
        .expect("emit_with_ack");
    tokio::time::timeout(limit, rx.recv()).await.ok().flatten()
}

/// How long a request sent just before Redis went away may wait for its ack: one whose entry
/// reached the log is answered once the node has read it back, after Redis returns.
const IN_FLIGHT_WAIT: Duration = Duration::from_secs(40);

/// Redis stopped (`hard`: SIGKILLed) and restarted while three senders on three nodes send as
/// fast as acks come: while it is down a new send on any node is refused at once with
/// `storage_failed` and the connections stay; once it is back the same connections are accepted
/// again, by themselves; every acked message is in the history once, in order.
async fn redis_restart_under_load(hard: bool) {
    let mut redis = Redis::start().await;
    let nodes = start_nodes(&redis.url(), 3).await;
    let stop = Arc::new(AtomicBool::new(false));
    let progress: Arc<Vec<Progress>> = Arc::new((0..3).map(|_| Progress::default()).collect());
    let mut senders = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        let (stop, progress, url) = (stop.clone(), progress.clone(), url(node));
        senders.push(tokio::spawn(async move {
            let p = Peer::connect(&url).await;
            p.join("load", &format!("s{n}")).await;
            let mut acked = Vec::new();
            let mut slowest = Duration::ZERO;
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let text = format!("s{n} {i}");
                let sent = Instant::now();
                let body =
                    json!({"room": "load", "message": text, "clientId": format!("s{n}-{i}")});
                let ack = request_within(&p, "sendMessage", body, IN_FLIGHT_WAIT)
                    .await
                    .unwrap_or_else(|| panic!("s{n}: no answer to {text:?} in {IN_FLIGHT_WAIT:?}"));
                slowest = slowest.max(sent.elapsed());
                if ack["ok"] == true {
                    acked.push(text);
                    progress[n].acked.fetch_add(1, Ordering::Relaxed);
                } else {
                    assert_eq!(ack["error"]["code"], "storage_failed", "s{n}: {ack}");
                    progress[n].refused.fetch_add(1, Ordering::Relaxed);
                    // A person would not resend in a tight loop either.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                i += 1;
            }
            (p, acked, slowest)
        }));
    }
    // One more member per node who sends only while Redis is away: a new send, refused.
    let mut probes = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        let p = Peer::connect(&url(node)).await;
        p.join("load", &format!("probe{n}")).await;
        probes.push(p);
    }
    let acked = |n: usize| progress[n].acked.load(Ordering::Relaxed);
    let patience = WAIT * 3;
    until_sync("every sender has 20 acks", patience, || {
        (0..3).all(|n| acked(n) >= 20)
    })
    .await;
    if hard {
        redis.kill();
    } else {
        redis.stop().await;
    }
    let down = Instant::now();
    for (n, p) in probes.iter().enumerate() {
        let body = json!({"room": "load", "message": format!("probe{n} while down")});
        let ack = request_within(p, "sendMessage", body, WAIT)
            .await
            .unwrap_or_else(|| {
                panic!("node {n} did not answer a send within {WAIT:?} while Redis was down")
            });
        assert_eq!(ack["error"]["code"], "storage_failed", "node {n}: {ack}");
    }
    let refused_in = down.elapsed();
    let before: Vec<usize> = (0..3).map(acked).collect();
    redis.restart().await;
    let back = Instant::now();
    until_sync(
        "every sender has 20 more acks after Redis came back",
        patience,
        || (0..3).all(|n| acked(n) >= before[n] + 20),
    )
    .await;
    let recovered = back.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut all_acked = Vec::new();
    let mut peers = Vec::new();
    let mut slowest = Vec::new();
    for s in senders {
        let (p, acked, slow) = s.await.unwrap();
        // The connection that was refused is the one that is accepted again.
        let n = peers.len();
        let ack = p.send("load", &format!("s{n} still connected")).await;
        assert_eq!(ack["ok"], true, "{ack}");
        all_acked.extend(acked);
        peers.push(p);
        slowest.push(slow);
    }
    for (n, p) in probes.iter().enumerate() {
        let ack = p.send("load", &format!("probe{n} after")).await;
        assert_eq!(
            ack["ok"], true,
            "probe{n} refused after Redis came back: {ack}"
        );
    }
    eprintln!(
        "Redis {}: every node refused a new send within {refused_in:?}; senders refused {:?} \
         times, slowest ack {slowest:?}; all accepting again {recovered:?} after the restart",
        if hard { "SIGKILLed" } else { "stopped" },
        progress
            .iter()
            .map(|p| p.refused.load(Ordering::Relaxed))
            .collect::<Vec<_>>(),
    );
    for (i, n) in nodes.iter().enumerate() {
        assert_eq!(n.control.connections(), 2, "node {i} dropped a connection");
    }
    let stored = chats(&history_on(&url(&nodes[2]), "load", "checker").await);
    assert_all_acked_stored_once(&all_acked, &stored);
    assert!(
        !stored.iter().any(|(_, t)| t.ends_with("while down")),
        "a refused send was stored"
    );
}

/// Redis stopped and restarted under load: refusals, then recovery, nothing acked lost.
#[tokio::test(flavor = "multi_thread")]
async fn redis_restarted_under_load_refuses_then_recovers() {
    redis_restart_under_load(false).await;
}

/// Redis SIGKILLed and restarted under load: with `appendfsync always` nothing acked is lost.
#[tokio::test(flavor = "multi_thread")]
async fn redis_killed_under_load_loses_nothing_acked() {
    redis_restart_under_load(true).await;
}

/// SIGKILL a node while two users on it send as fast as acks allow: their clients, pinned to the
/// cluster's fingerprint, move to another node on their own and resend; every acked message is
/// stored and shown once, each sender's order kept, and once the dead node is declared down the
/// movers are still members.
#[tokio::test(flavor = "multi_thread")]
async fn sigkill_a_node_under_load_its_clients_move_and_nothing_acked_is_lost() {
    let redis = Redis::start().await;
    let nodes = start_nodes(&redis.url(), 2).await;
    let mut victim = ProcessNode::start(&redis.url());
    let control = nodes[0].control.clone();
    until_sync("the process node is listed", WAIT * 2, || {
        control.nodes().len() == 3
    })
    .await;
    let fp = fingerprint_at(victim.addr).await;
    for n in &nodes {
        assert_eq!(
            fingerprint_at(n.addr).await,
            fp,
            "the nodes' TLS identities differ"
        );
    }

    let mut watchers = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let w = User::connect(pinned(n.addr, &format!("w{i}"), fp)).await;
        w.client.join("load").await.expect("watcher joins");
        watchers.push(w);
    }
    let per = 200;
    let senders: Vec<_> = ["ann", "bob"]
        .into_iter()
        .map(|nick| {
            let addr = victim.addr;
            tokio::spawn(async move {
                let u = User::connect(pinned(addr, nick, fp)).await;
                u.client.join("load").await.expect("join on the victim");
                let mut acked = Vec::new();
                let mut pending = Vec::new();
                for i in 0..per {
                    let text = format!("{nick} {i}");
                    let rx = u.client.send("load", &text, None).unwrap();
                    pending.push((text, rx));
                    if pending.len() >= 20 {
                        let (t, rx) = pending.remove(0);
                        rx.await.unwrap().unwrap_or_else(|e| panic!("{t}: {e}"));
                        acked.push(t);
                    }
                }
                for (t, rx) in pending {
                    rx.await
                        .unwrap()
                        .unwrap_or_else(|e| panic!("{t} after the node died: {e}"));
                    acked.push(t);
                }
                (u, acked)
            })
        })
        .collect();

    // Kill once some messages are stored (a peer on a survivor was shown them), mid-load.
    let probe = Peer::connect(&url(&nodes[0])).await;
    probe.join("load", "probe").await;
    probe.wait_for("message", text_is("ann 50")).await;
    victim.kill();
    let killed = Instant::now();

    let mut all_acked = Vec::new();
    let mut movers = Vec::new();
    for s in senders {
        let (u, acked) = s.await.unwrap();
        assert_eq!(acked.len(), per);
        all_acked.extend(acked);
        movers.push(u);
    }
    eprintln!("senders done {:?} after the kill", killed.elapsed());
    let stored = chats(&history_on(&url(&nodes[1]), "load", "checker").await);
    assert_all_acked_stored_once(&all_acked, &stored);

    let last: Vec<String> = ["ann", "bob"]
        .iter()
        .map(|n| format!("{n} {}", per - 1))
        .collect();
    for w in watchers.iter_mut() {
        w.until(WAIT * 3, |u| last.iter().all(|t| u.has(t))).await;
        let shown = w.chats();
        let texts: Vec<&String> = shown.iter().map(|(_, t)| t).collect();
        for nick in ["ann", "bob"] {
            let mine: Vec<usize> = texts
                .iter()
                .filter_map(|t| t.strip_prefix(&format!("{nick} ")))
                .map(|k| k.parse().unwrap())
                .collect();
            assert_eq!(
                mine,
                (0..per).collect::<Vec<_>>(),
                "{nick}'s messages lost, duplicated or reordered on a watcher"
            );
        }
        assert!(
            shown.windows(2).all(|w| w[0].0 < w[1].0),
            "seq order broken"
        );
    }
    for u in movers.iter_mut() {
        u.until(WAIT, |u| u.states.contains(&ConnState::Reconnecting))
            .await;
    }

    // Once the dead node is declared down and its connections let go, the movers (now on
    // another node with the same session) are still in the room.
    until_sync(
        "the dead node is dropped from the node list",
        NODE_TTL_WAIT,
        || control.nodes().len() == 2,
    )
    .await;
    eprintln!("node declared down {:?} after the kill", killed.elapsed());
    let check = Peer::connect(&url(&nodes[1])).await;
    let ack = check.join("load", "late").await;
    let members: Vec<&str> = ack["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for nick in ["ann", "bob"] {
        assert!(members.contains(&nick), "{nick} lost its seat: {members:?}");
    }
    let rooms = nodes[0].control.rooms().await;
    assert!(rooms.iter().any(|r| r.name == "load"));
    drop(movers);
}

/// A node that dies without a word (SIGKILL) takes its members out of the member lists within
/// the heartbeat TTL, the room sees them leave, and `/api/info` stops listing it.
#[tokio::test(flavor = "multi_thread")]
async fn a_dead_nodes_members_leave_within_the_heartbeat_ttl() {
    let redis = Redis::start().await;
    let nodes = start_nodes(&redis.url(), 2).await;
    let mut victim = ProcessNode::start(&redis.url());
    let control = nodes[0].control.clone();
    until_sync("the process node is listed", WAIT * 2, || {
        control.nodes().len() == 3
    })
    .await;
    let mut watcher = User::join(&url(&nodes[0]), "watcher", "r").await;
    // Plain and without reconnects: gone for good with its node.
    let doomed = Peer::connect(&victim.url()).await;
    doomed.join("r", "doomed").await;
    watcher
        .until(WAIT, |u| {
            u.members
                .get("r")
                .is_some_and(|m| m.iter().any(|n| n == "doomed"))
        })
        .await;
    victim.kill();
    let killed = Instant::now();
    watcher
        .until(NODE_TTL_WAIT, |u| {
            u.members.get("r").map(Vec::as_slice) == Some(&["watcher".to_owned()][..])
        })
        .await;
    eprintln!(
        "the dead node's member left {:?} after SIGKILL",
        killed.elapsed()
    );
    assert!(
        watcher
            .shown
            .iter()
            .any(|m| m.kind == Kind::Leave && m.nick_name == "doomed"),
        "no leave notice for the dead node's member"
    );
    let addr = nodes[1].addr;
    let victim_url = victim.url();
    until("/api/info stops listing the dead node", WAIT, move || {
        let victim_url = victim_url.clone();
        async move {
            let info = info_at(addr).await;
            let urls: Vec<String> = info["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|n| n["url"].as_str().map(str::to_owned))
                .collect();
            urls.len() == 2 && !urls.contains(&victim_url)
        }
    })
    .await;
    // The nickname is free again.
    let newcomer = Peer::connect(&url(&nodes[1])).await;
    newcomer.join("r", "doomed").await;
}

/// `lanchat serve --cluster` with nobody at the Redis address exits non-zero naming Redis, and
/// never listens; `server::serve` refuses the same way.
#[tokio::test(flavor = "multi_thread")]
async fn startup_with_an_unreachable_redis_fails_naming_redis() {
    let unreachable = "redis://127.0.0.1:1";
    let mut cmd = tokio::process::Command::from(serve_command(unreachable));
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn lanchat serve");
    let out = tokio::time::timeout(WAIT * 3, child.wait_with_output())
        .await
        .expect("serve should exit when Redis cannot be reached, not serve")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "exited 0: {stderr}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("listening"),
        "it listened"
    );
    assert!(
        stderr.to_lowercase().contains("redis"),
        "the error does not name Redis: {stderr}"
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = tokio::time::timeout(
        WAIT * 3,
        lanchat::server::serve(
            listener,
            node_config(unreachable),
            lanchat::store::Store::memory().unwrap(),
        ),
    )
    .await
    .expect("serve should fail when Redis cannot be reached")
    .err()
    .expect("a node without its Redis must not start");
    assert!(
        err.to_string().to_lowercase().contains("redis"),
        "the error does not name Redis: {err}"
    );
}

/// Files are off in cluster mode, even on a `lanchat serve` that would keep them (a file would
/// live on one node's disk): an upload is refused with `files_disabled`, and chat goes on.
#[tokio::test(flavor = "multi_thread")]
async fn files_are_off_in_cluster_mode() {
    let redis = Redis::start().await;
    let node = ProcessNode::start(&redis.url());
    let p = Peer::connect(&node.url()).await;
    p.join("f", "ann").await;
    let refused = p
        .request(
            "fileUpload",
            json!({"room": "f", "name": "a.txt", "size": 3}),
        )
        .await;
    assert_eq!(refused["error"]["code"], "files_disabled", "{refused}");
    assert_eq!(p.send("f", "text still works").await["ok"], true);
}

/// Scale with LANCHAT_SOAK_SCALE (default 1: 300 clients, 10 rooms, 1,000 messages).
fn scale() -> usize {
    std::env::var("LANCHAT_SOAK_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

/// Soak: 300 clients spread over three nodes in ten rooms, a third of them behind proxies that
/// keep cutting them off, a sender per room on yet another node; every client is shown every
/// message of its room exactly once, in seq order, and the members of a room all see the same
/// log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_300_clients_over_3_nodes_and_10_rooms() {
    let rooms = 10;
    let per_room = 30 * scale();
    let messages = 100 * scale();
    let redis = Redis::start().await;
    let nodes = start_nodes(&redis.url(), 3).await;
    let urls: Vec<String> = nodes.iter().map(url).collect();
    let mut flaky = Vec::new();
    for n in &nodes {
        flaky.push(FaultProxy::start(n.addr).await);
    }
    let flaky_urls: Vec<String> = flaky.iter().map(FaultProxy::url).collect();
    let started = Instant::now();

    // Each room's clients connect concurrently with the other rooms'.
    let joining: Vec<_> = (0..rooms)
        .map(|r| {
            let (urls, flaky_urls) = (urls.clone(), flaky_urls.clone());
            tokio::spawn(async move {
                let mut users = Vec::new();
                for i in 0..per_room {
                    // Every third client goes through its node's flaky link.
                    let address = if i % 3 == 0 { &flaky_urls } else { &urls };
                    let u = User::join(
                        &address[(r + i) % 3],
                        &format!("u{r}-{i}"),
                        &format!("room{r}"),
                    )
                    .await;
                    users.push(u);
                }
                users
            })
        })
        .collect();
    let mut users = Vec::new();
    for (r, j) in joining.into_iter().enumerate() {
        users.push((r, j.await.unwrap()));
    }
    eprintln!(
        "{} clients joined in {:?}",
        rooms * per_room,
        started.elapsed()
    );

    let senders: Vec<_> = (0..rooms)
        .map(|r| {
            let addr = urls[(r + 1) % 3].clone();
            tokio::spawn(async move {
                let u = User::join(&addr, &format!("sender{r}"), &format!("room{r}")).await;
                let mut acks = Vec::new();
                for k in 0..messages {
                    acks.push(
                        u.client
                            .send(&format!("room{r}"), &format!("r{r} m{k}"), None)
                            .unwrap(),
                    );
                }
                for a in acks {
                    a.await.unwrap().expect("acked");
                }
                u
            })
        })
        .collect();
    // Cut the flaky links a few times while the rooms are busy.
    let chaos = tokio::spawn(async move {
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(400)).await;
            flaky.iter().for_each(FaultProxy::cut);
            tokio::time::sleep(Duration::from_millis(200)).await;
            flaky.iter().for_each(FaultProxy::restore);
        }
        flaky
    });
    let mut done_senders = Vec::new();
    for s in senders {
        done_senders.push(s.await.unwrap());
    }
    let _flaky = chaos.await.unwrap();
    eprintln!(
        "{} messages acked after {:?}",
        rooms * messages,
        started.elapsed()
    );

    let last = format!("m{}", messages - 1);
    for (r, room_users) in users.iter_mut() {
        let want = format!("r{r} {last}");
        let expected: Vec<String> = (0..messages).map(|k| format!("r{r} m{k}")).collect();
        let mut first: Option<Vec<(u64, String)>> = None;
        for u in room_users.iter_mut() {
            u.until(Duration::from_secs(60), |u| u.has(&want)).await;
            let chats: Vec<(u64, String)> = u
                .chats()
                .into_iter()
                .filter(|(_, t)| t.starts_with(&format!("r{r} m")))
                .collect();
            let texts: Vec<String> = chats.iter().map(|(_, t)| t.clone()).collect();
            assert_eq!(texts, expected, "room{r}: missing, duplicated or reordered");
            match &first {
                None => first = Some(chats),
                Some(f) => assert_eq!(&chats, f, "room{r}: members disagree on seqs"),
            }
        }
    }
    eprintln!("all shown after {:?}", started.elapsed());
    let reconnected = users
        .iter()
        .flat_map(|(_, us)| us)
        .filter(|u| u.states.contains(&ConnState::Reconnecting))
        .count();
    assert!(
        reconnected >= rooms * per_room / 3 / 2,
        "only {reconnected} clients were cut off"
    );
}
