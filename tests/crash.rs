//! `lanchat serve` killed with SIGKILL mid-load and restarted on the same data keeps every
//! message it acknowledged, once; clients resume without duplicates or gaps.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::chat::User;
use common::*;
use serde_json::json;

fn serve(data: &std::path::Path, port: u16) -> (Child, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lanchat"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--history",
            "100000",
        ])
        .arg("--data")
        .arg(data)
        .env_remove("LANCHAT_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn lanchat serve");
    let port = common::first_port(&mut child);
    (child, port)
}

/// Kill -9 the host while two users send as fast as acks allow; every acked message is in the
/// restarted host's history exactly once, and the clients' queued messages arrive once.
#[tokio::test(flavor = "multi_thread")]
async fn sigkill_loses_no_acknowledged_message() {
    let dir = tempfile::tempdir().unwrap();
    let (mut host, port) = serve(dir.path(), 0);
    let addr = format!("127.0.0.1:{port}");
    let senders: Vec<_> = ["ann", "bob"]
        .into_iter()
        .map(|nick| {
            let addr = addr.clone();
            tokio::spawn(async move {
                let u = User::join(&addr, nick, "load").await;
                let mut acked = Vec::new();
                let mut pending = Vec::new();
                for i in 0..300 {
                    let text = format!("{nick} {i}");
                    let rx = u.client.send("load", &text, None).unwrap();
                    pending.push((text, rx));
                    if pending.len() >= 20 {
                        let (t, rx) = pending.remove(0);
                        rx.await.unwrap().expect("ack");
                        acked.push(t);
                    }
                }
                for (t, rx) in pending {
                    rx.await.unwrap().expect("ack after restart");
                    acked.push(t);
                }
                (u, acked)
            })
        })
        .collect();

    // Kill once some messages are stored (the history shows them), mid-load.
    let probe = Peer::connect(&format!("http://{addr}")).await;
    probe.join("load", "probe").await;
    probe
        .wait_for("message", |v| v["message"] == "ann 50")
        .await;
    host.kill().unwrap(); // SIGKILL
    host.wait().unwrap();
    let (mut host, _) = serve(dir.path(), port);

    let mut all_acked = Vec::new();
    for s in senders {
        let (u, acked) = s.await.unwrap();
        assert_eq!(acked.len(), 300);
        all_acked.extend(acked);
        drop(u);
    }
    let check = Peer::connect(&format!("http://{addr}")).await;
    let ack = check
        .request(
            "joinRoom",
            json!({"roomName": "load", "nickName": "checker"}),
        )
        .await;
    assert_eq!(ack["ok"], true);
    let history = check
        .messages_until(|v| v["nickName"] == "checker" && v["kind"] == "join")
        .await;
    let chats: Vec<&str> = history
        .iter()
        .filter(|m| m["kind"] == "chat")
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    for t in &all_acked {
        assert_eq!(
            chats.iter().filter(|c| **c == t).count(),
            1,
            "{t} lost or duplicated"
        );
    }
    let seqs: Vec<u64> = history.iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "seq not increasing after the crash"
    );
    let _ = host.kill();
    let _ = host.wait();
    tokio::time::sleep(Duration::ZERO).await;
}
