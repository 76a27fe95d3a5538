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

/// Search queries written as full-text or SQL injections — quotes, stars, `NEAR(`, `OR`,
/// column filters, `%`, `'`, 10 KB of text — get ordinary results or `invalid_query` with a
/// plain sentence, never a database error or its text; the calm pair talks throughout.
#[tokio::test(flavor = "multi_thread")]
async fn search_injections_are_plain_words() {
    use common::calm::{ROOM, server_with_eve};
    let (_s, calm, eve) = server_with_eve().await;
    calm.a.send(ROOM, "the secret word is swordfish").await;
    calm.a.send(ROOM, "100% sure it's \"quoted\"").await;
    let ten_kb = "swordfish ".repeat(1024);
    let queries = [
        "\"",
        "\"\"\"",
        "*",
        "swordfish*",
        "sword*fish",
        "NEAR(",
        "NEAR(swordfish secret, 2)",
        "OR",
        "swordfish OR",
        "AND NOT",
        "NOT swordfish",
        "body:x",
        "message_text:swordfish",
        "{body}: swordfish",
        "^swordfish",
        "%",
        "%swordfish%",
        "'",
        "' OR 1=1 --",
        "'); DROP TABLE messages; --",
        "\\",
        "(swordfish",
        "swordfish)",
        "-swordfish",
        "+",
        "secret + word",
        "\u{0}",
        "a\u{7}b",
        "💥",
        "x:y:z",
        "\"swordfish\" \"secret\"",
        "rowid",
        "rank:",
        "bm25(",
        &ten_kb,
    ];
    for q in queries {
        let ack =
            common::calm::within(q, eve.request("search", json!({"room": ROOM, "q": q}))).await;
        let case: String = q.chars().take(40).collect();
        if ack["ok"] == true {
            assert!(ack["results"].is_array(), "[{case}] {ack}");
        } else {
            assert_eq!(ack["error"]["code"], "invalid_query", "[{case}] {ack}");
            let text = ack["error"]["message"].as_str().unwrap().to_lowercase();
            for leak in ["fts", "sql", "syntax", "sqlite", "match"] {
                assert!(!text.contains(leak), "[{case}] leaks {leak}: {text}");
            }
        }
    }
    // The injections were words like any others: the real word is still found.
    let ack = eve
        .request("search", json!({"room": ROOM, "q": "NEAR(swordfish"}))
        .await;
    assert_eq!(
        ack["results"].as_array().map(Vec::len),
        Some(0),
        "NEAR is a word: {ack}"
    );
    let ack = eve
        .request("search", json!({"room": ROOM, "q": "swordf"}))
        .await;
    assert_eq!(ack["results"].as_array().map(Vec::len), Some(1), "{ack}");
    calm.check("search injections").await;
}

/// One connection pipelining hundreds of `history` and `search` requests on a 40 MB room gets
/// each answered or refused (`rate_limited` past its reads in flight), while the calm pair in
/// another room keeps talking: the reads run off the hub.
#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_reads_does_not_stall_other_rooms() {
    let s = start(test_config(), big_room()).await;
    let calm = Calm::join(&s).await;
    let mut eve = RawSio::connect(s.addr).await;
    let ack = eve
        .request_raw(&json!(["joinRoom", {"roomName": "big", "nickName": "eve"}]).to_string())
        .await
        .expect("join big");
    assert_eq!(ack["ok"], true, "{ack}");
    let ids: Vec<u64> = (1..=300).map(|i| 20_000 + i).collect();
    for id in &ids {
        let req = if id % 2 == 0 {
            json!(["history", {"room": "big", "around": id % 2500, "limit": 100}])
        } else {
            json!(["search", {"room": "big", "q": format!("{:04}", id % 2500)}])
        };
        eve.send(&format!("42{id}{req}"))
            .await
            .expect("pipelined read");
    }
    let started = std::time::Instant::now();
    calm.check("during a flood of reads").await;
    let calm_took = started.elapsed();
    let (mut served, mut refused) = (0, 0);
    for id in ids {
        let ack = eve.ack(id).await.expect("an answer to every read");
        if ack["ok"] == true {
            served += 1;
        } else {
            assert_eq!(ack["error"]["code"], "rate_limited", "{ack}");
            refused += 1;
        }
    }
    assert!(served >= 4, "served {served}, refused {refused}");
    assert!(
        calm_took < std::time::Duration::from_secs(2),
        "the calm pair waited {calm_took:?}"
    );
    calm.check("after a flood of reads").await;
}
