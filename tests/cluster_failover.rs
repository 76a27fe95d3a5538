//! Clients fail over between the nodes of a cluster: a client learns the nodes from the one it
//! joined, and when that node goes away it moves to another and resumes with `since` — every
//! acknowledged message kept, none shown twice, the order intact. Real nodes on one real Redis.

mod common;

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::WAIT;
use common::chat::{User, fast};
use common::redis::Redis;
use lanchat::client::{Client, ClientEvent, ConnState};
use lanchat::protocol::{Kind, Message, SendAck};
use lanchat::server::{ClusterConfig, Config, RunningServer};
use lanchat::store::Store;
use tokio::sync::{mpsc, oneshot};

async fn node(redis: &Redis) -> RunningServer {
    let config = Config {
        cluster: Some(ClusterConfig {
            redis_url: redis.url(),
            advertise: None,
        }),
        ..common::test_config()
    };
    common::start(config, Store::memory().unwrap()).await
}

/// Waits until every node lists `n` nodes in `/api/info`.
async fn listed(nodes: &[&RunningServer], n: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while nodes.iter().any(|s| s.control.nodes().len() < n) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the nodes never listed each other"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A client that keeps every event, to see where it says it moved.
struct Watched {
    client: Client,
    events: mpsc::UnboundedReceiver<ClientEvent>,
    shown: Vec<Message>,
    /// `server` of every `connected` state: the nodes it moved to.
    moved_to: Vec<String>,
}

impl Watched {
    async fn join(address: &str, nick: &str, room: &str) -> Watched {
        let (tx, rx) = mpsc::unbounded_channel();
        let client = Client::connect(fast(address, nick), tx).await.unwrap();
        client.join(room).await.unwrap();
        Watched {
            client,
            events: rx,
            shown: Vec::new(),
            moved_to: Vec::new(),
        }
    }

    async fn until(&mut self, done: impl Fn(&Watched) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT * 3;
        while !done(self) {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.events.recv()).await {
                Ok(Some(ClientEvent::Message(m))) => self.shown.push(m),
                Ok(Some(ClientEvent::State {
                    state: ConnState::Connected,
                    server: Some(s),
                    ..
                })) => self.moved_to.push(s),
                Ok(Some(_)) => {}
                Ok(None) => panic!("client stopped"),
                Err(_) => panic!(
                    "timed out; shown {}, moved to {:?}",
                    self.shown.len(),
                    self.moved_to
                ),
            }
        }
    }
}

/// Waits for every ack; each must be a success.
async fn all_acked(
    acks: Vec<oneshot::Receiver<Result<SendAck, lanchat::client::ClientError>>>,
) -> Vec<u64> {
    let mut seqs = Vec::new();
    for (i, rx) in acks.into_iter().enumerate() {
        let ack = tokio::time::timeout(WAIT * 4, rx)
            .await
            .unwrap_or_else(|_| panic!("message {i} was never acked"))
            .expect("client alive")
            .unwrap_or_else(|e| panic!("message {i} refused: {e}"));
        seqs.push(ack.seq);
    }
    seqs
}

/// `(seq, text)` of the chat rows by `nick`.
fn by(shown: &[Message], nick: &str) -> Vec<(u64, String)> {
    shown
        .iter()
        .filter(|m| m.kind == Kind::Chat && m.nick_name == nick)
        .map(|m| (m.seq, m.message.clone()))
        .collect()
}

/// Ann sends `SENT` messages `{prefix}000`…: the first is acked, then `node_goes` runs (her
/// node stops or dies) while the rest are on the wire or queued, and every one is acked. The
/// `(seq, text)` of each, in the order sent, with seqs that rise. `what` names the event in
/// the report of how long the last acks waited.
async fn send_across(
    ann: &Watched,
    prefix: char,
    what: &str,
    node_goes: impl AsyncFnOnce(),
) -> Vec<(u64, String)> {
    let text = |i: usize| format!("{prefix}{i:03}");
    let first = ann.client.send("lobby", &text(0), None).unwrap();
    let mut acks = Vec::new();
    for i in 1..SENT / 2 {
        acks.push(ann.client.send("lobby", &text(i), None).unwrap());
    }
    let mut seqs = all_acked(vec![first]).await;
    node_goes().await;
    let gone = std::time::Instant::now();
    for i in SENT / 2..SENT {
        acks.push(ann.client.send("lobby", &text(i), None).unwrap());
    }
    seqs.extend(all_acked(acks).await);
    // For the report: how long Ann's messages waited for her client to move.
    eprintln!("all acked {:?} after the {what}", gone.elapsed());
    let want: Vec<(u64, String)> = seqs.iter().copied().zip((0..SENT).map(text)).collect();
    assert!(
        want.windows(2).all(|w| w[0].0 < w[1].0),
        "acked out of order: {seqs:?}"
    );
    want
}

/// Ann, after her move, shows exactly `want` of her own, each once and in order.
async fn ann_shows(ann: &mut Watched, want: &[(u64, String)]) {
    ann.until(|w| by(&w.shown, "ann").len() >= SENT).await;
    assert_eq!(by(&ann.shown, "ann"), want);
    let seen: Vec<u64> = ann.shown.iter().map(|m| m.seq).collect();
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "shown twice or out of order: {seen:?}"
    );
}

/// Messages Ann sends across her node's end in the failover tests.
const SENT: usize = 80;

/// Ann's node stops while she is sending: her client moves to another node, says which, and
/// every message she was acked for is in the room once, in order, for everyone — her included.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_moves_to_another_node_when_its_node_stops() {
    let redis = Redis::start().await;
    let (a, b, c) = (node(&redis).await, node(&redis).await, node(&redis).await);
    listed(&[&a, &b, &c], 3).await;
    let mut bob = User::join(&b.addr.to_string(), "bob", "lobby").await;
    let mut carol = User::join(&c.addr.to_string(), "carol", "lobby").await;
    let mut ann = Watched::join(&a.addr.to_string(), "ann", "lobby").await;

    let want = send_across(&ann, 'm', "stop", async || a.stop().await.unwrap()).await;

    // Every acked message, once, in the order sent, with the seq its ack gave: for Bob and
    // Carol on the other nodes, and for Ann after the move.
    for u in [&mut bob, &mut carol] {
        u.until(WAIT * 3, |u| by(&u.shown, "ann").len() >= SENT)
            .await;
        assert_eq!(by(&u.shown, "ann"), want);
        u.assert_complete_and_ordered();
    }
    assert_eq!(bob.chats(), carol.chats(), "one room, one order");
    ann_shows(&mut ann, &want).await;

    // She says where she went: one of the other nodes.
    let others: BTreeSet<String> = [&b, &c]
        .iter()
        .map(|s| format!("https://{}", s.addr))
        .collect();
    assert_eq!(ann.moved_to.len(), 1, "{:?}", ann.moved_to);
    assert!(
        others.contains(&ann.moved_to[0]),
        "{:?} not in {others:?}",
        ann.moved_to
    );

    // And she is still in the room there: a new message reaches the others.
    ann.client
        .send("lobby", "after the move", None)
        .unwrap()
        .await
        .unwrap()
        .unwrap();
    bob.until_text("after the move").await;
    carol.until_text("after the move").await;
    for s in [b, c] {
        s.stop().await.unwrap();
    }
}

/// On a single host (no `nodes` in `/api/info`) a client that loses its host keeps retrying
/// that host, and resumes there when it is back — as before clusters.
#[tokio::test(flavor = "multi_thread")]
async fn a_single_host_client_waits_for_its_host() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (config, store) = (common::test_config(), Store::memory().unwrap());
    let s = lanchat::server::serve(listener, config.clone(), store.clone())
        .await
        .unwrap();
    assert!(s.control.nodes().is_empty());
    let mut ann = Watched::join(&addr.to_string(), "ann", "lobby").await;
    ann.client
        .send("lobby", "one", None)
        .unwrap()
        .await
        .unwrap()
        .unwrap();
    s.stop().await.unwrap();
    let pending = ann.client.send("lobby", "two", None).unwrap();
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let s = lanchat::server::serve(listener, config, store)
        .await
        .unwrap();
    tokio::time::timeout(WAIT * 2, pending)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    ann.until(|w| by(&w.shown, "ann").iter().any(|(_, t)| t == "two"))
        .await;
    assert!(ann.moved_to.is_empty(), "{:?}", ann.moved_to);
    s.stop().await.unwrap();
}

/// A `lanchat serve --cluster` process, from a copy of the binary (a parallel build may
/// replace target/debug/lanchat while the test runs).
struct NodeProcess {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl NodeProcess {
    fn start(redis: &Redis) -> NodeProcess {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("lanchat");
        std::fs::copy(env!("CARGO_BIN_EXE_lanchat"), &bin).unwrap();
        let mut child = Command::new(&bin)
            .args(["serve", "--memory", "--bind", "127.0.0.1", "--port", "0"])
            .args(["--no-announce", "--cluster", &redis.url()])
            .env_remove("LANCHAT_PASSWORD")
            .env_remove("LANCHAT_ADVERTISE")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn lanchat serve --cluster");
        let port = common::first_port(&mut child);
        NodeProcess {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How many nodes `/api/info` at `port` lists.
async fn nodes_listed_at(port: u16) -> usize {
    let info: serde_json::Value =
        match reqwest::get(format!("http://127.0.0.1:{port}/api/info")).await {
            Ok(r) => r.json().await.unwrap_or_default(),
            Err(_) => return 0,
        };
    info["nodes"].as_array().map_or(0, Vec::len)
}

/// Ann's node is killed (SIGKILL: no goodbye, its heartbeat just stops) while she is sending:
/// her client moves to the other node and every message she was acked for is there once, in
/// order; the ones the dead node never answered are resent and stored once.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_moves_on_when_its_node_is_killed() {
    let redis = Redis::start().await;
    let mut a = NodeProcess::start(&redis);
    let b = node(&redis).await;
    listed(&[&b], 2).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while nodes_listed_at(a.port).await < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "node A never listed B"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut bob = User::join(&b.addr.to_string(), "bob", "lobby").await;
    let mut ann = Watched::join(&format!("127.0.0.1:{}", a.port), "ann", "lobby").await;

    let want = send_across(&ann, 'k', "kill", async || {
        a.child.kill().unwrap();
        a.child.wait().unwrap();
    })
    .await;
    bob.until(WAIT * 3, |u| by(&u.shown, "ann").len() >= SENT)
        .await;
    assert_eq!(by(&bob.shown, "ann"), want);
    bob.assert_complete_and_ordered();
    ann_shows(&mut ann, &want).await;
    assert_eq!(ann.moved_to, [format!("https://{}", b.addr)]);
    b.stop().await.unwrap();
}

/// A node that joins the cluster after the client did is learned while the client is
/// connected (the list is asked for again now and then), so the client can move there when the
/// only node it knew at first dies.
#[tokio::test(flavor = "multi_thread")]
async fn a_node_that_joins_later_is_learned_in_time() {
    let redis = Redis::start().await;
    let a = node(&redis).await;
    listed(&[&a], 1).await;
    let (tx, rx) = mpsc::unbounded_channel();
    let mut cfg = fast(&a.addr.to_string(), "ann");
    cfg.nodes_refresh = Duration::from_millis(200);
    let client = Client::connect(cfg, tx).await.unwrap();
    assert_eq!(client.server_info().nodes.len(), 1);
    client.join("lobby").await.unwrap();
    let mut ann = Watched {
        client,
        events: rx,
        shown: Vec::new(),
        moved_to: Vec::new(),
    };
    let b = node(&redis).await;
    listed(&[&a, &b], 2).await;
    let mut bob = User::join(&b.addr.to_string(), "bob", "lobby").await;
    ann.client
        .send("lobby", "before", None)
        .unwrap()
        .await
        .unwrap()
        .unwrap();
    bob.until_text("before").await;
    // The refresh is a timer (every 200 ms here): let five of them pass, then A goes.
    tokio::time::sleep(Duration::from_secs(1)).await;
    a.stop().await.unwrap();
    ann.client
        .send("lobby", "after", None)
        .unwrap()
        .await
        .unwrap()
        .unwrap();
    bob.until_text("after").await;
    ann.until(|w| !w.moved_to.is_empty()).await;
    assert_eq!(ann.moved_to, [format!("https://{}", b.addr)]);
    b.stop().await.unwrap();
}
