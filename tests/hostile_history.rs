//! Hostile input, history (issue #10 item 1): catch-ups that would make the hub replay a huge
//! history over and over. A replay is bounded in bytes, repeats are coalesced, and a connection
//! that keeps asking runs out of replay credit; the calm pair talks throughout.

mod common;

use common::calm::Calm;
use common::{Peer, start, test_config, text_is, url};
use lanchat::protocol::{Kind, Message};
use lanchat::store::Store;
use serde_json::{Value, json};

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
        })
        .collect();
    store.append(&rows).unwrap();
    store
}

/// Ten `joinRoom {since: 0}` pipelined on a 40 MB room replay at most the replay budget
/// (8 MiB burst + one 1 MiB catch-up over it, plus the first join's 1 MiB) — not 10 × 40 MB:
/// each is cut short with `more` (a repeat in the same batch replays nothing), or refused as
/// `rate_limited`; and other rooms keep talking.
#[tokio::test(flavor = "multi_thread")]
async fn pipelined_catch_ups_are_bounded_in_bytes() {
    let s = start(test_config(), big_room()).await;
    let calm = Calm::join(&s).await;
    let eve = Peer::connect(&url(&s)).await;
    eve.join("big", "eve").await;
    // Her own messages there mark the end of what came before (she is out of "big"'s
    // broadcasts while a catch-up is unfinished).
    eve.join("mark", "eve").await;
    let again = json!({"roomName": "big", "nickName": "eve", "since": 0});
    let acks: Vec<Value> =
        futures_util::future::join_all((0..10).map(|_| eve.request("joinRoom", again.clone())))
            .await;
    let mut cut = 0;
    for ack in &acks {
        if ack["ok"] == true {
            assert_eq!(ack["more"], true, "a cut catch-up says so: {ack}");
            cut += 1;
        } else {
            assert_eq!(ack["error"]["code"], "rate_limited", "{ack}");
        }
    }
    assert!(cut >= 1, "no catch-up was served at all");
    assert!(eve.send("mark", "done").await["ok"] == true);
    let replayed: usize = eve
        .messages_until(text_is("done"))
        .await
        .iter()
        .filter(|m| m["history"] == true)
        .map(|m| m["message"].as_str().unwrap_or("").len())
        .sum();
    assert!(
        replayed <= 11 * (1 << 20),
        "{replayed} bytes of history replayed to one connection"
    );
    calm.check("pipelined catch-ups").await;
}
