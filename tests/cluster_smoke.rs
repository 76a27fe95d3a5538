//! Cluster mode at its smallest: two nodes on one Redis give their users one room — the same
//! messages with the same seqs, one member list — and a node that stops takes its people out.
//! (tests/cluster.rs has the whole suite: order under load, failover, Redis restarts, a soak.)

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::chat::User;
use common::{WAIT, start, test_config};
use lanchat::server::{ClusterConfig, Config, RunningServer};
use lanchat::store::Store;

/// A redis-server of this test's own on a free loopback port, in a temp dir.
struct Redis {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Redis {
    fn start() -> Redis {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (./dev.sh test installs it)");
        let deadline = std::time::Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "redis did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Redis {
            child,
            port,
            _dir: dir,
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn node_config(redis: &Redis) -> Config {
    Config {
        cluster: Some(ClusterConfig {
            redis_url: redis.url(),
            advertise: None,
        }),
        ..test_config()
    }
}

async fn node(redis: &Redis) -> RunningServer {
    start(node_config(redis), Store::memory().unwrap()).await
}

fn addr(s: &RunningServer) -> String {
    s.addr.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_share_one_room() {
    let redis = Redis::start();
    let (a, b) = (node(&redis).await, node(&redis).await);
    let mut ann = User::join(&addr(&a), "ann", "lobby").await;
    let mut bob = User::join(&addr(&b), "bob", "lobby").await;
    // One member list, whichever node you are on.
    for u in [&mut ann, &mut bob] {
        u.until(WAIT, |u| {
            u.members.get("lobby").is_some_and(|m| m.len() == 2)
        })
        .await;
    }
    for i in 0..20 {
        let (who, text) = if i % 2 == 0 {
            (&ann, format!("a{i}"))
        } else {
            (&bob, format!("b{i}"))
        };
        who.client.send("lobby", &text, None).unwrap();
    }
    ann.client.flush().await.unwrap();
    bob.client.flush().await.unwrap();
    for u in [&mut ann, &mut bob] {
        u.until(WAIT, |u| {
            u.shown
                .iter()
                .filter(|m| m.kind == lanchat::protocol::Kind::Chat)
                .count()
                == 20
        })
        .await;
    }
    let chat = |u: &User| -> Vec<(u64, String)> {
        u.shown
            .iter()
            .filter(|m| m.kind == lanchat::protocol::Kind::Chat)
            .map(|m| (m.seq, m.message.clone()))
            .collect()
    };
    assert_eq!(chat(&ann), chat(&bob), "one order, one numbering");
    // Both nodes list both nodes.
    assert_eq!(a.control.fingerprint(), b.control.fingerprint());
    let deadline = tokio::time::Instant::now() + WAIT;
    while a.control.nodes().len() < 2 || b.control.nodes().len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "nodes never listed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A node that stops takes its people out of the room at once.
    b.stop().await.unwrap();
    ann.until(WAIT, |u| u.members.get("lobby").map(Vec::len) == Some(1))
        .await;
    a.stop().await.unwrap();
}
