//! Floods and caps: thousands of joins, message and typing floods, hundreds of simultaneous
//! connections. The excess is refused (`too_many_rooms`, `rate_limited`, `server_full`) and the
//! calm pair carries on (`common::calm`; docs/security.md lists every case).

mod common;

use std::time::{Duration, Instant};

use common::calm::*;
use common::raw;
use common::*;
use futures_util::future::join_all;
use lanchat::server::Config;
use lanchat::store::Store;
use serde_json::{Value, json};

/// Thousands of joins from one connection: the first 32 (the default cap) succeed, the rest
/// are `too_many_rooms`; leaving one frees a place.
#[tokio::test(flavor = "multi_thread")]
async fn thousands_of_room_joins_hit_the_cap() {
    let s = start_default().await;
    let cap = Config::default().max_rooms_per_socket;
    assert_eq!(cap, 32, "docs/security.md states the default");
    let calm = Calm::join(&s).await;
    let eve = Peer::connect(&url(&s)).await;
    let mut ok = 0;
    for i in 0..2000 {
        let ack = eve
            .request(
                "joinRoom",
                json!({"roomName": format!("r{i}"), "nickName": "eve"}),
            )
            .await;
        if ack["ok"] == true {
            ok += 1;
        } else {
            assert_eq!(ack["error"]["code"], "too_many_rooms", "join {i}: {ack}");
            assert!(
                ack["error"]["message"].as_str().unwrap().contains("32"),
                "{ack}"
            );
        }
    }
    assert_eq!(ok, cap);
    accepted(&eve, "leave one", "leaveRoom", json!({"room": "r0"})).await;
    accepted(
        &eve,
        "join after leaving",
        "joinRoom",
        json!({"roomName": "new", "nickName": "eve"}),
    )
    .await;
    refused(
        &eve,
        "one over the cap again",
        "joinRoom",
        json!({"roomName": "another", "nickName": "eve"}),
        "too_many_rooms",
    )
    .await;
    calm.check("thousands of room joins").await;
}

/// A flood of messages from one connection under the default rate limit (20/s, burst 40):
/// the excess gets `rate_limited` errors the client can show, the accepted ones stay within
/// the bucket, the calm users are unaffected, and the flooder can send again once it slows.
#[tokio::test(flavor = "multi_thread")]
async fn message_flood_is_rate_limited() {
    let cfg = Config::default();
    let (burst, per_second) = (cfg.rate.burst, cfg.rate.per_second);
    assert_eq!(
        (burst, per_second),
        (40.0, 20.0),
        "docs/security.md states the defaults"
    );
    let s = start(cfg, Store::memory().unwrap()).await;
    let calm = Calm::join(&s).await;
    let flooder = Peer::connect(&url(&s)).await;
    flooder.join(ROOM, "flood").await;
    const N: usize = 300;
    let started = Instant::now();
    for i in 0..N {
        flooder
            .emit(
                "sendMessage",
                json!({"room": ROOM, "message": format!("flood {i}")}),
            )
            .await;
    }
    // Each request is answered exactly once: its echo or a requestError.
    let (mut echoed, mut limited) = (0, 0);
    while echoed + limited < N {
        match flooder.next().await {
            (n, v) if n == "message" && v["nickName"] == "flood" && v["kind"] == "chat" => {
                echoed += 1
            }
            (n, v) if n == "requestError" => {
                assert_eq!(
                    (v["code"].as_str(), v["event"].as_str()),
                    (Some("rate_limited"), Some("sendMessage")),
                    "{v}"
                );
                assert!(v["message"].as_str().unwrap().contains("slow down"), "{v}");
                limited += 1;
            }
            _ => {}
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let most = (burst + per_second * elapsed).floor() as usize + 1;
    assert!(
        echoed <= most,
        "{echoed} accepted in {elapsed:.2}s (at most {most})"
    );
    // The join took one token from the burst.
    assert!(
        echoed >= burst as usize - 1,
        "the burst of {burst} should pass, {echoed} did"
    );
    assert!(limited >= 1, "nothing was limited in {elapsed:.2}s");
    calm.check("message flood").await;
    // Rate limiting is per connection and temporary: 250 ms refills a few tokens.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let ack = flooder.send(ROOM, "calmer now").await;
    assert_eq!(ack["ok"], true, "{ack}");
}

/// A typing flood is limited with the rest, and the others get exactly the accepted notices.
#[tokio::test(flavor = "multi_thread")]
async fn typing_flood_is_rate_limited() {
    let s = start(Config::default(), Store::memory().unwrap()).await;
    let calm = Calm::join(&s).await;
    let flooder = Peer::connect(&url(&s)).await;
    flooder.join(ROOM, "typist").await;
    let (mut ok, mut limited) = (0, 0);
    for i in 0..200 {
        let ack = flooder
            .request("typing", json!({"room": ROOM, "typing": i % 2 == 0}))
            .await;
        match ack["ok"].as_bool() {
            Some(true) => ok += 1,
            _ => {
                assert_eq!(ack["error"]["code"], "rate_limited", "{ack}");
                limited += 1;
            }
        }
    }
    assert!(limited > 0 && ok >= 39, "ok {ok}, limited {limited}");
    // Everything the hub accepted was relayed before calm-a's next message.
    let marker = "after the typing flood";
    calm.a.send(ROOM, marker).await;
    let mut relayed = 0;
    loop {
        match calm.b.next().await {
            (n, v) if n == "typing" && v["nickName"] == "typist" => relayed += 1,
            (n, v) if n == "message" && v["message"] == marker => break,
            _ => {}
        }
    }
    assert_eq!(relayed, ok);
    calm.check("typing flood").await;
}

/// 300 connection attempts at once: with room to spare all connect; at a cap of 50 exactly
/// the free places are filled and every other attempt is refused with `server_full`.
#[tokio::test(flavor = "multi_thread")]
async fn many_simultaneous_connections() {
    for (case, cap) in [
        ("default cap", Config::default().max_connections),
        ("cap 50", 50),
    ] {
        let s = start(
            Config {
                max_connections: cap,
                ..test_config()
            },
            Store::memory().unwrap(),
        )
        .await;
        let calm = Calm::join(&s).await;
        let u = url(&s);
        let attempts = join_all((0..300).map(|_| Peer::connect_with(&u, json!({})))).await;
        let (mut ok, mut full) = (Vec::new(), 0);
        for a in attempts {
            match a {
                Ok(p) => ok.push(p),
                Err(ConnectError::Refused(t)) if t.contains("server_full") => full += 1,
                Err(e) => panic!("[{case}] neither connected nor clearly refused: {e:?}"),
            }
        }
        let expected_ok = 300.min(cap - 2);
        assert_eq!(
            (ok.len(), full),
            (expected_ok, 300 - expected_ok),
            "[{case}]"
        );
        assert_eq!(s.control.connections(), expected_ok + 2, "[{case}]");
        calm.check_pair(case).await;
        join_all(ok.into_iter().map(Peer::close)).await;
        raw::eventually("the connections are counted out", || {
            s.control.connections() == 2
        })
        .await;
        calm.check(case).await;
    }
}

/// At the connection cap (5 here) the next connection gets `server_full`, also 50 at once;
/// when someone leaves, a place frees up.
#[tokio::test(flavor = "multi_thread")]
async fn connection_cap_refuses_with_server_full() {
    let s = start(
        Config {
            max_connections: 5,
            ..test_config()
        },
        Store::memory().unwrap(),
    )
    .await;
    let calm = Calm::join(&s).await;
    let mut others = Vec::new();
    for _ in 0..3 {
        others.push(Peer::connect(&url(&s)).await);
    }
    let case = "6th connection";
    match Peer::connect_with(&url(&s), json!({})).await {
        Err(ConnectError::Refused(t)) => assert!(t.contains("server_full"), "[{case}] {t}"),
        other => panic!(
            "[{case}] expected server_full, got {:?}",
            other.map(|_| "a connection")
        ),
    }
    let u = url(&s);
    let burst = join_all((0..50).map(|_| Peer::connect_with(&u, json!({})))).await;
    assert!(
        burst
            .iter()
            .all(|r| matches!(r, Err(ConnectError::Refused(t)) if t.contains("server_full"))),
        "50 at once over the cap"
    );
    calm.check_pair(case).await;
    others.pop().unwrap().close().await;
    raw::eventually("a place frees up", || s.control.connections() == 4).await;
    let again = Peer::connect(&url(&s)).await;
    accepted(&again, "after a place freed up", "ping", Value::Null).await;
    calm.check_pair("connection cap").await;
}
