//! Hostile input, history (issue #10 item 1): catch-ups that would make the hub replay a huge
//! history over and over. A replay is bounded in bytes, repeats are coalesced, and a connection
//! that keeps asking runs out of replay credit; the calm pair talks throughout.

mod common;

use common::calm::Calm;
use common::raw::RawSio;
use common::{start, test_config};
use lanchat::protocol::{Kind, Message};
use lanchat::store::Store;
use serde_json::json;

/// 16,000 bytes of UTF-8 in 4,000 characters: the longest message the default limits allow.
fn long_text(i: usize) -> String {
    format!("{i:04}{}", "\u{1F600}".repeat(3996))
}

/// A room of 2,500 such messages (40 MB), written straight into the store.
fn big_room() -> Store {
    let store = Store::memory().unwrap();
    let rows: Vec<Message> = (1..=2500u64)
        .map(|seq| Message {
            id: format!("m{seq}"),
            room: "big".into(),
            seq,
            ts: seq as i64,
            kind: Kind::Chat,
            nick_name: "old".into(),
            message: long_text(seq as usize),
            client_id: None,
            history: false,
            file: None,
            ..Default::default()
        })
        .collect();
    store.append(&rows).unwrap();
    store
}

/// Ten `joinRoom {since: 0}` pipelined on a 40 MB room replay at most the replay budget
/// (8 MiB burst + one 1 MiB catch-up over it, plus the first join's 1 MiB) — not 10 × 40 MB:
/// each is cut short with `more` (a repeat in the same batch replays nothing), or refused as
/// `rate_limited`; and other rooms keep talking.
///
/// Pipelined on a raw Socket.IO client: rust_socketio 0.6 picks each ack id at random below
/// 1,000, so ten of its requests in flight share an id now and then (and its ack handler then
/// answers both and may panic) — a test-client flake, not the server's.
#[tokio::test(flavor = "multi_thread")]
async fn pipelined_catch_ups_are_bounded_in_bytes() {
    let s = start(test_config(), big_room()).await;
    let calm = Calm::join(&s).await;
    let mut eve = RawSio::connect(s.addr).await;
    let join = |room: &str, since: Option<u64>| {
        let mut p = json!({"roomName": room, "nickName": "eve"});
        if let Some(n) = since {
            p["since"] = json!(n);
        }
        json!(["joinRoom", p]).to_string()
    };
    let ack = eve.request_raw(&join("big", None)).await.expect("join big");
    assert_eq!(ack["ok"], true, "{ack}");
    // Her own messages there mark the end of what came before (she is out of "big"'s
    // broadcasts while a catch-up is unfinished).
    let ack = eve
        .request_raw(&join("mark", None))
        .await
        .expect("join mark");
    assert_eq!(ack["ok"], true, "{ack}");
    let ids: Vec<u64> = (1..=10).map(|i| 9000 + i).collect();
    for id in &ids {
        eve.send(&format!("42{id}{}", join("big", Some(0))))
            .await
            .expect("pipelined join");
    }
    let mut cut = 0;
    for id in ids {
        let ack = eve.ack(id).await.expect("an answer to every catch-up");
        if ack["ok"] == true {
            assert_eq!(ack["more"], true, "a cut catch-up says so: {ack}");
            cut += 1;
        } else {
            assert_eq!(ack["error"]["code"], "rate_limited", "{ack}");
        }
    }
    assert!(cut >= 1, "no catch-up was served at all");
    let sent = eve
        .request_raw(
            &json!(["sendMessage", {"room": "mark", "nickName": "eve", "message": "done"}])
                .to_string(),
        )
        .await
        .expect("send done");
    assert_eq!(sent["ok"], true, "{sent}");
    let mut replayed = 0;
    loop {
        let m = eve.event("message").await.expect("messages until done");
        if m["message"] == "done" {
            break;
        }
        if m["history"] == true {
            replayed += m["message"].as_str().unwrap_or("").len();
        }
    }
    assert!(
        replayed <= 11 * (1 << 20),
        "{replayed} bytes of history replayed to one connection"
    );
    calm.check("pipelined catch-ups").await;
}
