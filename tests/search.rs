//! Search over real sockets: words and prefixes found in the asker's room only, newest first,
//! with the match marked in a snippet; members only; the index survives a restart.

mod common;

use common::{Peer, start, test_config, url};
use lanchat::store::Store;
use serde_json::{Value, json};

fn seqs(ack: &Value) -> Vec<u64> {
    ack["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {ack}"))
        .iter()
        .map(|h| h["seq"].as_u64().unwrap())
        .collect()
}

async fn search(p: &Peer, room: &str, q: &str) -> Value {
    let ack = p.request("search", json!({"room": room, "q": q})).await;
    assert_eq!(ack["ok"], true, "{q:?}: {ack}");
    ack
}

/// Messages sent a moment ago are found by a word and by the start of a word, newest first,
/// with the words marked; another room's messages with the same words never appear.
#[tokio::test(flavor = "multi_thread")]
async fn finds_words_and_prefixes_in_its_own_room() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(test_config(), Store::open_dir(dir.path()).unwrap()).await;
    let ann = Peer::connect(&url(&s)).await;
    let bob = Peer::connect(&url(&s)).await;
    ann.join("lab", "ann").await;
    bob.join("kitchen", "bob").await;
    let first = ann.send("lab", "The deployment finished at noon").await["seq"].clone();
    ann.send("lab", "nothing to see").await;
    let second = ann
        .send("lab", "Another deployment tomorrow, café at 9")
        .await["seq"]
        .clone();
    bob.send("kitchen", "deployment of the coffee machine")
        .await;

    let ack = search(&ann, "lab", "deployment").await;
    assert_eq!(
        seqs(&ack),
        [second.as_u64().unwrap(), first.as_u64().unwrap()]
    );
    let hit = &ack["results"][0];
    assert_eq!(hit["nickName"], "ann");
    assert_eq!(
        hit["snippet"],
        "Another \u{2}deployment\u{3} tomorrow, café at 9"
    );
    assert!(hit["ts"].as_i64().unwrap() > 0);
    assert_eq!(ack["more"], false);

    assert_eq!(
        seqs(&search(&ann, "lab", "deploy").await).len(),
        2,
        "a prefix"
    );
    assert_eq!(
        seqs(&search(&ann, "lab", "CAFE").await),
        [second.as_u64().unwrap()]
    );
    assert_eq!(
        seqs(&search(&ann, "lab", "deployment noon").await),
        [first.as_u64().unwrap()]
    );
    assert!(
        seqs(&search(&ann, "lab", "coffee").await).is_empty(),
        "another room's"
    );
    assert_eq!(seqs(&search(&bob, "kitchen", "deployment").await).len(), 1);

    let ack = ann
        .request(
            "search",
            json!({"room": "lab", "q": "deployment", "limit": 1}),
        )
        .await;
    assert_eq!((seqs(&ack).len(), ack["more"].clone()), (1, json!(true)));
}

/// Searching is for members; a query with nothing to look for is `invalid_query`.
#[tokio::test(flavor = "multi_thread")]
async fn members_only_and_clear_refusals() {
    let s = start(test_config(), Store::memory().unwrap()).await;
    let ann = Peer::connect(&url(&s)).await;
    ann.join("lab", "ann").await;
    ann.send("lab", "secret plans").await;
    let eve = Peer::connect(&url(&s)).await;
    let ack = eve
        .request("search", json!({"room": "lab", "q": "secret"}))
        .await;
    assert_eq!(ack["error"]["code"], "not_in_room", "{ack}");
    for q in ["", "  ", "*** ---", &"x".repeat(201)] {
        let ack = ann.request("search", json!({"room": "lab", "q": q})).await;
        assert_eq!(ack["error"]["code"], "invalid_query", "{q:?}: {ack}");
    }
    let ack = ann.request("search", json!({"room": "lab"})).await;
    assert_eq!(ack["error"]["code"], "invalid_payload", "{ack}");
}

/// What was searchable stays searchable after the host restarts, and new messages join it.
#[tokio::test(flavor = "multi_thread")]
async fn the_index_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(test_config(), Store::open_dir(dir.path()).unwrap()).await;
    let ann = Peer::connect(&url(&s)).await;
    ann.join("lab", "ann").await;
    ann.send("lab", "remember the milk").await;
    ann.close().await;
    s.stop().await.unwrap();

    let s = start(test_config(), Store::open_dir(dir.path()).unwrap()).await;
    let ann = Peer::connect(&url(&s)).await;
    ann.join("lab", "ann").await;
    ann.send("lab", "milk bought").await;
    let ack = search(&ann, "lab", "milk").await;
    assert_eq!(ack["results"].as_array().unwrap().len(), 2);
    assert_eq!(ack["results"][1]["snippet"], "remember the \u{2}milk\u{3}");
}

/// Edits and deletes reach the index and the pages (issue #14 parts A and B together): an edited
/// message is found by its new text only, a deleted one not at all; a page shows both folded
/// (new text and `editedTs`, `deleted`, reactions) and lists none of the event rows.
#[tokio::test(flavor = "multi_thread")]
async fn edits_and_deletes_reach_search_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(test_config(), Store::open_dir(dir.path()).unwrap()).await;
    let ann = Peer::connect(&url(&s)).await;
    ann.join("lab", "ann").await;
    let first = ann.send("lab", "quarterly forecast draft").await["seq"]
        .as_u64()
        .unwrap();
    let second = ann.send("lab", "obsolete memo").await["seq"]
        .as_u64()
        .unwrap();
    let edit = json!({"room": "lab", "seq": first, "message": "annual budget final"});
    assert_eq!(ann.request("editMessage", edit).await["ok"], true);
    let react = json!({"room": "lab", "seq": first, "emoji": "👍"});
    assert_eq!(ann.request("react", react).await["ok"], true);
    let delete = json!({"room": "lab", "seq": second});
    assert_eq!(ann.request("deleteMessage", delete).await["ok"], true);

    assert_eq!(seqs(&search(&ann, "lab", "budget").await), [first]);
    for gone in ["forecast", "quarterly", "obsolete", "memo"] {
        assert!(seqs(&search(&ann, "lab", gone).await).is_empty(), "{gone}");
    }

    let page = ann
        .request("history", json!({"room": "lab", "before": 1000}))
        .await;
    assert_eq!(page["ok"], true, "{page}");
    let messages = page["messages"].as_array().unwrap();
    let shown: Vec<(u64, &str)> = messages
        .iter()
        .map(|m| (m["seq"].as_u64().unwrap(), m["kind"].as_str().unwrap()))
        .collect();
    assert!(
        shown.iter().all(|(_, k)| ["chat", "join"].contains(k)),
        "no event rows: {shown:?}"
    );
    let m = |seq: u64| messages.iter().find(|m| m["seq"] == seq).unwrap();
    assert_eq!(m(first)["message"], "annual budget final");
    assert!(m(first)["editedTs"].as_i64().is_some(), "{}", m(first));
    assert_eq!(m(first)["reactions"][0]["emoji"], "👍");
    assert_eq!(m(second)["deleted"], true);
    assert_eq!(m(second)["message"], "");
    s.stop().await.unwrap();
}
