//! Nothing acknowledged is lost: connections cut or frozen mid-conversation, and a host
//! restarted on the same data. Loopback only; every wait is bounded.

mod common;

use std::time::Duration;

use common::chat::User;
use common::proxy::FaultProxy;
use common::*;
use lanchat::client::ConnState;
use lanchat::store::Store;

/// Cut every connection for a few seconds while others keep talking and a cut-off user keeps
/// typing: afterwards everyone has the same complete, ordered history, and the messages typed
/// offline arrive exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn cut_connections_lose_nothing() {
    let s = start_default().await;
    let proxy = FaultProxy::start(s.addr).await;
    let mut u1 = User::join(&proxy.url(), "u1", "lan").await;
    let mut u2 = User::join(&proxy.url(), "u2", "lan").await;
    let mut u3 = User::join(&url(&s), "u3", "lan").await;

    for i in 0..10 {
        u3.client
            .send("lan", &format!("before {i}"), None)
            .unwrap()
            .await
            .unwrap()
            .unwrap();
    }
    u1.until_text("before 9").await;
    proxy.cut();
    let mut offline = Vec::new();
    for i in 0..5 {
        offline.push(
            u1.client
                .send("lan", &format!("offline {i}"), None)
                .unwrap(),
        );
    }
    for i in 0..10 {
        u3.client
            .send("lan", &format!("during {i}"), None)
            .unwrap()
            .await
            .unwrap()
            .unwrap();
    }
    // The outage itself lasts a while; this sleep is the fault, not a synchronisation.
    tokio::time::sleep(Duration::from_secs(2)).await;
    proxy.restore();
    for ack in offline {
        ack.await
            .unwrap()
            .expect("offline message acked after reconnect");
    }
    u3.client
        .send("lan", "end", None)
        .unwrap()
        .await
        .unwrap()
        .unwrap();

    for u in [&mut u1, &mut u2, &mut u3] {
        u.until(WAIT * 3, |u| {
            u.has("end") && (0..5).all(|i| u.has(&format!("offline {i}")))
        })
        .await;
    }
    assert!(u1.states.contains(&ConnState::Reconnecting));
    let reference = u3.chats();
    for u in [&u1, &u2] {
        let mine: Vec<_> = u
            .chats()
            .into_iter()
            .filter(|(seq, _)| *seq >= reference[0].0)
            .collect();
        assert_eq!(mine, reference, "histories differ");
    }
    for u in [&u1, &u2, &u3] {
        let texts: Vec<String> = u.chats().into_iter().map(|(_, t)| t).collect();
        for i in 0..5 {
            let t = format!("offline {i}");
            assert_eq!(
                texts.iter().filter(|x| **x == t).count(),
                1,
                "{t} not exactly once"
            );
        }
    }
}

/// A connection that goes silent without closing (rust_socketio would wait forever) is
/// detected by the client's own probe, and the user catches up after the network returns.
#[tokio::test(flavor = "multi_thread")]
async fn silent_dead_connection_is_detected() {
    let s = start_default().await;
    let proxy = FaultProxy::start(s.addr).await;
    let mut u1 = User::join(&proxy.url(), "u1", "quiet").await;
    let u2 = User::join(&url(&s), "u2", "quiet").await;
    proxy.freeze();
    for i in 0..5 {
        u2.client
            .send("quiet", &format!("missed {i}"), None)
            .unwrap()
            .await
            .unwrap()
            .unwrap();
    }
    u1.until(WAIT * 2, |u| u.states.contains(&ConnState::Reconnecting))
        .await;
    proxy.restore();
    u1.until(WAIT * 3, |u| (0..5).all(|i| u.has(&format!("missed {i}"))))
        .await;
    u1.assert_complete_and_ordered();
}

/// The host stops and starts again on the same port and data: clients reconnect by
/// themselves and continue where they were, without duplicates or gaps.
#[tokio::test(flavor = "multi_thread")]
async fn host_restart_is_survived() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(test_config(), Store::open_dir(dir.path()).unwrap()).await;
    let addr = s.addr;
    let mut a = User::join(&url(&s), "ann", "r").await;
    let mut b = User::join(&url(&s), "bob", "r").await;
    for i in 0..5 {
        a.client
            .send("r", &format!("one {i}"), None)
            .unwrap()
            .await
            .unwrap()
            .unwrap();
    }
    b.until_text("one 4").await;
    s.stop().await.unwrap();
    let pending = a.client.send("r", "while down", None).unwrap();
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let s2 = lanchat::server::serve(
        listener,
        test_config(),
        Store::open_dir(dir.path()).unwrap(),
    )
    .await
    .unwrap();
    pending
        .await
        .unwrap()
        .expect("queued message sent after the restart");
    b.until_text("while down").await;
    a.until_text("while down").await;
    for u in [&a, &b] {
        u.assert_complete_and_ordered();
        assert_eq!(
            u.chats().iter().filter(|(_, t)| t == "while down").count(),
            1
        );
    }
    s2.stop().await.unwrap();
}

/// The host goes away for good: a join and a message asked for meanwhile do not wait forever,
/// they fail with `timed_out` (the message also as an error event naming it) once the client
/// has waited `queue_timeout` with no answer.
#[tokio::test(flavor = "multi_thread")]
async fn requests_to_a_vanished_host_time_out() {
    let s = start_default().await;
    let mut cfg = common::chat::fast(&url(&s), "ann");
    cfg.queue_timeout = Duration::from_millis(800);
    let mut u = User::connect(cfg).await;
    u.client.join("r").await.unwrap();
    s.stop().await.unwrap();
    u.until(WAIT, |u| u.states.contains(&ConnState::Reconnecting))
        .await;

    let started = tokio::time::Instant::now();
    let pending = u.client.send("r", "anyone?", Some("c1".into())).unwrap();
    let join = tokio::time::timeout(WAIT, u.client.join("elsewhere"))
        .await
        .expect("the join waited forever");
    assert_eq!(join.unwrap_err().code(), "timed_out");
    let sent = tokio::time::timeout(WAIT, pending).await.unwrap().unwrap();
    assert_eq!(sent.unwrap_err().code(), "timed_out");
    assert!(
        started.elapsed() >= Duration::from_millis(800),
        "gave up early"
    );
    u.until(WAIT, |u| {
        u.errors
            .contains(&("timed_out".to_owned(), Some("c1".to_owned())))
    })
    .await;
    let flush = tokio::time::timeout(WAIT, u.client.flush()).await.unwrap();
    assert_eq!(flush, Ok(()), "nothing is left to flush");
    u.client.disconnect().await;
}

/// A catch-up larger than the server's replay budget arrives whole: the server cuts each replay
/// and says `more`, the client asks again from where it got to, and every missed message shows
/// exactly once, in order.
#[tokio::test(flavor = "multi_thread")]
async fn a_catch_up_past_the_replay_budget_arrives_whole() {
    let config = lanchat::server::Config {
        max_replay_bytes: 64 * 1024,
        ..common::test_config()
    };
    let s = common::start(config, lanchat::store::Store::memory().unwrap()).await;
    let proxy = FaultProxy::start(s.addr).await;
    let mut u1 = User::join(&proxy.url(), "u1", "lan").await;
    let u3 = User::join(&url(&s), "u3", "lan").await;
    u1.until(WAIT, |u| u.members.get("lan").is_some_and(|m| m.len() == 2))
        .await;
    proxy.cut();
    for i in 0..200 {
        let text = format!("missed {i:03} {}", "y".repeat(1000));
        u3.client
            .send("lan", &text, None)
            .unwrap()
            .await
            .unwrap()
            .unwrap();
    }
    // The outage itself; this sleep is the fault, not a synchronisation.
    tokio::time::sleep(Duration::from_secs(2)).await;
    proxy.restore();
    u1.until(Duration::from_secs(30), |u| {
        u.chats().iter().any(|(_, t)| t.starts_with("missed 199"))
    })
    .await;
    u1.assert_complete_and_ordered();
    let missed = u1
        .chats()
        .iter()
        .filter(|(_, t)| t.starts_with("missed "))
        .count();
    assert_eq!(missed, 200);
}
