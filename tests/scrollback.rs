//! Scrollback over real sockets: `history` pages before, after and around a seq, for members
//! only, from a store on disk (the read connections) that survives a restart.

mod common;

use common::{Peer, start, test_config, url};
use lanchat::protocol::{Kind, Message};
use lanchat::store::Store;
use serde_json::{Value, json};

fn row(room: &str, seq: u64, text: String) -> Message {
    Message {
        id: format!("{room}-{seq}"),
        room: room.into(),
        seq,
        ts: 1_700_000_000_000 + seq as i64,
        kind: Kind::Chat,
        nick_name: "old".into(),
        message: text,
        client_id: None,
        history: false,
        file: None,
        ..Default::default()
    }
}

/// A data directory whose room `big` holds 1,000 messages ("line 1" … "line 1000") and room
/// `other` a few.
fn thousand(dir: &std::path::Path) -> Store {
    let store = Store::open_dir(dir).unwrap();
    let rows: Vec<Message> = (1..=1000)
        .map(|seq| row("big", seq, format!("line {seq}")))
        .collect();
    store.append(&rows).unwrap();
    store
        .append(&[row("other", 1, "elsewhere".into())])
        .unwrap();
    store
}

fn seqs(page: &Value) -> Vec<u64> {
    page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect()
}

async fn history(p: &Peer, payload: Value) -> Value {
    let ack = p.request("history", payload).await;
    assert_eq!(ack["ok"], true, "{ack}");
    ack
}

/// Scrolling up from what the join replayed reaches the room's first message, page by page,
/// with every message exactly once and in order, and the last page says there is no more.
#[tokio::test(flavor = "multi_thread")]
async fn paging_back_reaches_the_beginning_without_gaps_or_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(test_config(), thousand(dir.path())).await;
    let ann = Peer::connect(&url(&s)).await;
    ann.join("big", "ann").await;
    let replayed = ann.messages_until(|m| m["kind"] == "join").await;
    let mut have: Vec<u64> = replayed
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(have.len(), 101, "100 replayed and the join notice");
    let mut pages = 0;
    loop {
        let page = history(
            &ann,
            json!({"room": "big", "before": have[0], "limit": 100}),
        )
        .await;
        pages += 1;
        assert_eq!(page["room"], "big");
        assert_eq!(page["moreAfter"], false);
        assert!(
            page["messages"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["history"] == true)
        );
        let mut older = seqs(&page);
        older.extend(have);
        have = older;
        if page["more"] == false {
            break;
        }
        assert!(pages < 20, "paging never ended");
    }
    assert_eq!(pages, 9);
    let mut want: Vec<u64> = (1..=1000).collect();
    want.push(1001);
    assert_eq!(have, want);
    // Before the first message there is nothing, and saying so is not an error.
    let page = history(&ann, json!({"room": "big", "before": 1})).await;
    assert_eq!((seqs(&page).len(), page["more"].clone()), (0, json!(false)));
}

/// A page around a seq (jumping to a search result) has it in the middle, says what lies on
/// either side, and `after` pages walk forward from there to the newest message.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_around_a_seq_and_onwards() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(test_config(), thousand(dir.path())).await;
    let ann = Peer::connect(&url(&s)).await;
    ann.join("big", "ann").await;
    let page = history(&ann, json!({"room": "big", "around": 500, "limit": 20})).await;
    assert_eq!(seqs(&page), (490..=509).collect::<Vec<_>>());
    assert_eq!(
        (page["more"].clone(), page["moreAfter"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(page["messages"][10]["message"], "line 500");
    let mut last = 509;
    let mut n = 0;
    loop {
        let page = history(&ann, json!({"room": "big", "after": last})).await;
        let got = seqs(&page);
        assert_eq!(got[0], last + 1);
        last = *got.last().unwrap();
        n += 1;
        if page["moreAfter"] == false {
            break;
        }
        assert!(n < 20);
    }
    assert_eq!(last, 1001, "the join notice is the newest");
}

/// Only members read a room's past: before joining, in another room, or after leaving, it is
/// `not_in_room`; a bad anchor is `invalid_payload`.
#[tokio::test(flavor = "multi_thread")]
async fn non_members_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(test_config(), thousand(dir.path())).await;
    let eve = Peer::connect(&url(&s)).await;
    let refused = |ack: Value, code: &str| {
        assert_eq!(ack["ok"], false, "{ack}");
        assert_eq!(ack["error"]["code"], code, "{ack}");
    };
    refused(
        eve.request("history", json!({"room": "big", "before": 500}))
            .await,
        "not_in_room",
    );
    eve.join("other", "eve").await;
    refused(
        eve.request("history", json!({"room": "big", "around": 5}))
            .await,
        "not_in_room",
    );
    refused(
        eve.request("search", json!({"room": "big", "q": "line"}))
            .await,
        "not_in_room",
    );
    eve.join("big", "eve").await;
    history(&eve, json!({"room": "big", "before": 500})).await;
    eve.request("leaveRoom", json!({"room": "big"})).await;
    refused(
        eve.request("history", json!({"room": "big", "before": 500}))
            .await,
        "not_in_room",
    );
    refused(
        eve.request("history", json!({"room": "other"})).await,
        "invalid_payload",
    );
}

/// A message acknowledged a moment ago is on the next page already (the read connections see
/// every commit), and the pages come back the same after the host restarts.
#[tokio::test(flavor = "multi_thread")]
async fn pages_see_new_messages_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(test_config(), thousand(dir.path())).await;
    let ann = Peer::connect(&url(&s)).await;
    ann.join("big", "ann").await;
    let sent = ann.send("big", "fresh words").await;
    let seq = sent["seq"].as_u64().unwrap();
    let page = history(&ann, json!({"room": "big", "before": seq + 1, "limit": 3})).await;
    assert_eq!(page["messages"][2]["message"], "fresh words");
    let before = history(&ann, json!({"room": "big", "around": 300})).await;
    ann.close().await;
    s.stop().await.unwrap();

    let store = Store::open_dir(dir.path()).unwrap();
    let s = start(test_config(), store).await;
    let ann = Peer::connect(&url(&s)).await;
    ann.join("big", "ann").await;
    let after = history(&ann, json!({"room": "big", "around": 300})).await;
    assert_eq!(before["messages"], after["messages"]);
    let page = history(&ann, json!({"room": "big", "before": seq + 1, "limit": 1})).await;
    assert_eq!(page["messages"][0]["message"], "fresh words");
}

/// lanchat's own client (the window's) pages and searches with `Client::history` and
/// `Client::search`; a refusal comes back as the host's code.
#[tokio::test(flavor = "multi_thread")]
async fn the_rust_client_pages_and_searches() {
    use lanchat::client::ClientError;
    use lanchat::protocol::PageAt;
    let dir = tempfile::tempdir().unwrap();
    let s = start(test_config(), thousand(dir.path())).await;
    let ann = common::chat::User::join(&s.addr.to_string(), "ann", "big").await;
    let page = ann
        .client
        .history("big", PageAt::Before(101), Some(100))
        .await
        .unwrap();
    assert_eq!(page.messages.len(), 100);
    assert_eq!((page.messages[0].seq, page.more), (1, false));
    let page = ann
        .client
        .history("big", PageAt::Around(700), None)
        .await
        .unwrap();
    assert_eq!(page.messages.len(), 50);
    // A last word shorter than four characters is a word, not a prefix: 77 only, not 770-779.
    let found = ann.client.search("big", "line 77", None).await.unwrap();
    let seqs: Vec<u64> = found.results.iter().map(|h| h.seq).collect();
    assert_eq!(seqs, [77]);
    match ann.client.search("other", "elsewhere", None).await {
        Err(ClientError::Refused(w)) => assert_eq!(w.code.as_str(), "not_in_room"),
        other => panic!("{other:?}"),
    }
}
