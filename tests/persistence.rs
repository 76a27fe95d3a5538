//! History is durable: a restarted server keeps every room's messages and seq.

mod common;

use common::*;
use lanchat::store::Store;
use serde_json::json;

/// Stop the server, start a new one on the same data: history and seq carry on.
#[tokio::test(flavor = "multi_thread")]
async fn history_and_seq_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(test_config(), Store::open_dir(dir.path()).unwrap()).await;
    let p = Peer::connect(&url(&s)).await;
    p.join("keep", "ann").await;
    let mut last = 0;
    for i in 0..5 {
        last = p.send("keep", &format!("before {i}")).await["seq"]
            .as_u64()
            .unwrap();
    }
    p.close().await;
    s.stop().await.unwrap();

    let s = start(test_config(), Store::open_dir(dir.path()).unwrap()).await;
    let q = Peer::connect(&url(&s)).await;
    let ack = q
        .request("joinRoom", json!({"roomName": "keep", "nickName": "bob"}))
        .await;
    let got = q
        .messages_until(|v| v["kind"] == "join" && v["nickName"] == "bob")
        .await;
    let texts: Vec<&str> = got
        .iter()
        .filter(|m| m["kind"] == "chat")
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        ["before 0", "before 1", "before 2", "before 3", "before 4"]
    );
    let after = q.send("keep", "after").await["seq"].as_u64().unwrap();
    assert!(after > last, "seq went back: {after} <= {last}");
    assert!(ack["lastSeq"].as_u64().unwrap() > last);
}
