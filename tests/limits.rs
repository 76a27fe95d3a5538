//! Limits and refusals: every bad input gets a clear error code and the server keeps serving.

mod common;

use common::*;
use lanchat::server::{Config, RateLimit};
use lanchat::store::Store;
use serde_json::json;

/// Names and messages outside the limits are refused with their codes.
#[tokio::test(flavor = "multi_thread")]
async fn names_and_messages_are_validated() {
    let s = start_default().await;
    let p = Peer::connect(&url(&s)).await;
    let cases = [
        (
            "joinRoom",
            json!({"roomName": "", "nickName": "n"}),
            "invalid_room",
        ),
        (
            "joinRoom",
            json!({"roomName": "r".repeat(65), "nickName": "n"}),
            "invalid_room",
        ),
        (
            "joinRoom",
            json!({"roomName": "r", "nickName": "n".repeat(33)}),
            "invalid_nick",
        ),
        (
            "joinRoom",
            json!({"roomName": "r", "nickName": "a\u{1b}[31m"}),
            "invalid_nick",
        ),
        ("joinRoom", json!({"roomName": "r"}), "invalid_payload"),
        ("joinRoom", json!(17), "invalid_payload"),
        ("sendMessage", json!([1, 2]), "invalid_payload"),
        (
            "sendMessage",
            json!({"room": "r", "message": 5}),
            "invalid_payload",
        ),
        ("frobnicate", json!({}), "unknown_event"),
    ];
    for (event, payload, code) in cases {
        let ack = p.request(event, payload.clone()).await;
        assert_eq!(ack["ok"], false, "{event} {payload}");
        assert_eq!(ack["error"]["code"], code, "{event} {payload}: {ack}");
        assert!(!ack["error"]["message"].as_str().unwrap().is_empty());
    }
    p.join("r", "n").await;
    for (text, code) in [
        ("   ", "invalid_message"),
        ("bell\u{7}", "invalid_message"),
        (&*"x".repeat(4001), "message_too_long"),
    ] {
        let ack = p.send("r", text).await;
        assert_eq!(ack["error"]["code"], code);
    }
    assert_eq!(p.send("r", &"x".repeat(4000)).await["ok"], true);
    assert_eq!(p.send("r", "  multi\nline  ").await["ok"], true);
    let m = p.wait_for("message", text_is("multi\nline")).await;
    assert_eq!(m["kind"], "chat");
}

/// The message limit is configurable.
#[tokio::test(flavor = "multi_thread")]
async fn message_limit_is_configurable() {
    let mut cfg = test_config();
    cfg.limits.max_message_chars = 10;
    let s = start(cfg, Store::memory().unwrap()).await;
    let p = Peer::connect(&url(&s)).await;
    p.join("r", "n").await;
    assert_eq!(p.send("r", "0123456789").await["ok"], true);
    assert_eq!(
        p.send("r", "0123456789a").await["error"]["code"],
        "message_too_long"
    );
}

/// One connection cannot join unlimited rooms.
#[tokio::test(flavor = "multi_thread")]
async fn rooms_per_connection_are_capped() {
    let cfg = Config {
        max_rooms_per_socket: 3,
        ..test_config()
    };
    let s = start(cfg, Store::memory().unwrap()).await;
    let p = Peer::connect(&url(&s)).await;
    for i in 0..3 {
        p.join(&format!("r{i}"), "n").await;
    }
    let ack = p
        .request("joinRoom", json!({"roomName": "r3", "nickName": "n"}))
        .await;
    assert_eq!(ack["error"]["code"], "too_many_rooms");
    // Rejoining a room you are in is not a new room.
    p.join("r1", "n").await;
}

/// A flood from one connection is slowed with `rate_limited`; others are unaffected.
#[tokio::test(flavor = "multi_thread")]
async fn floods_are_rate_limited_per_connection() {
    let cfg = Config {
        rate: RateLimit {
            per_second: 5.0,
            burst: 10.0,
        },
        ..test_config()
    };
    let s = start(cfg, Store::memory().unwrap()).await;
    let flooder = Peer::connect(&url(&s)).await;
    let calm = Peer::connect(&url(&s)).await;
    flooder.join("r", "flood").await;
    calm.join("r", "calm").await;
    let mut limited = 0;
    for i in 0..30 {
        let ack = flooder.send("r", &format!("f{i}")).await;
        if ack["error"]["code"] == "rate_limited" {
            limited += 1;
        }
    }
    assert!(limited >= 15, "only {limited} of 30 were limited");
    assert_eq!(calm.send("r", "still here").await["ok"], true);
}

/// A password protects the server: missing or wrong ones are refused at connect with a reason.
#[tokio::test(flavor = "multi_thread")]
async fn password_is_checked_at_connect() {
    let cfg = Config {
        password: Some("s3cret".into()),
        // Plain-HTTP clients with a password: the host allowed them explicitly (tests/tls.rs
        // has what happens otherwise).
        plain_guests: Some(true),
        ..test_config()
    };
    let s = start(cfg, Store::memory().unwrap()).await;
    for (auth, reason) in [
        (json!({}), "password_required"),
        (json!({"password": "nope"}), "bad_password"),
    ] {
        match Peer::connect_with(&url(&s), auth).await {
            Err(ConnectError::Refused(text)) => assert!(text.contains(reason), "{text}"),
            Err(other) => panic!("expected a refusal, got {other:?}"),
            Ok(_) => panic!("connected without the right password"),
        }
    }
    let p = Peer::connect_with(&url(&s), json!({"password": "s3cret"}))
        .await
        .unwrap();
    p.join("r", "n").await;
    let info = api_info(&s).await;
    assert_eq!(info["passwordRequired"], true);
    assert_eq!(
        info["rooms"],
        json!([]),
        "room names leak without the password"
    );
}

/// `/api/info` tells clients what they are talking to.
#[tokio::test(flavor = "multi_thread")]
async fn api_info_lists_rooms() {
    let s = start_default().await;
    let p = Peer::connect(&url(&s)).await;
    p.join("lobby", "n").await;
    let info = api_info(&s).await;
    assert_eq!(info["server"], "lanchat");
    assert_eq!(info["passwordRequired"], false);
    assert_eq!(info["rooms"], json!([{"name": "lobby", "members": 1}]));
    assert!(info["version"].is_string() && info["name"].is_string());
}

/// Browser guests get the chat UI at `/` (and at any app path, e.g. an invite link), with a
/// strict Content-Security-Policy; unknown assets are 404.
#[tokio::test(flavor = "multi_thread")]
async fn the_ui_is_served_with_a_strict_csp() {
    let s = start_default().await;
    for path in ["/", "/?room=lobby&nick=x", "/some/app/path"] {
        let r = reqwest::get(format!("{}{path}", url(&s))).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert!(r.text().await.unwrap().contains("<div id=\"app\""));
    }
    let missing = reqwest::get(format!("{}/assets/nope.js", url(&s)))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// How a client of [`the_send_budget_spares_clients_that_read`] reaches the server.
enum Reader {
    WebSocket(common::raw::RawSio),
    Polling(common::raw::RawPolling),
}

impl Reader {
    async fn connect(how: &str, addr: std::net::SocketAddr) -> Reader {
        use common::raw::{RawPolling, RawSio};
        match how {
            "websocket" => Reader::WebSocket(RawSio::connect(addr).await),
            "long-polling" => {
                let p = RawPolling::open(addr).await;
                assert!(p.post("40").await.is_success());
                while !p.poll().await.iter().any(|m| m.starts_with("40")) {}
                Reader::Polling(p)
            }
            "upgraded after connect" => {
                let p = RawPolling::open(addr).await;
                assert!(p.post("40").await.is_success());
                while !p.poll().await.iter().any(|m| m.starts_with("40")) {}
                Reader::WebSocket(p.upgrade().await)
            }
            "upgraded before connect" => {
                let mut s = RawPolling::open(addr).await.upgrade().await;
                s.connect_ns(None).await.expect("namespace connect");
                Reader::WebSocket(s)
            }
            other => unreachable!("{other}"),
        }
    }

    /// Rejoins `room` from the start and reads everything up to the join's ack.
    async fn catch_up(&mut self, room: &str, id: u64) {
        let join =
            format!(r#"42{id}["joinRoom",{{"roomName":"{room}","nickName":"reader","since":0}}]"#);
        let ack = format!("43{id}[");
        match self {
            Reader::WebSocket(s) => {
                s.send(&join).await.unwrap();
                let got = s.ack(id).await.expect("connection open");
                assert_eq!(got["ok"], true, "{got}");
            }
            Reader::Polling(p) => {
                assert!(p.post(&join).await.is_success(), "refused");
                loop {
                    let packets = p.poll().await;
                    assert!(!packets.is_empty(), "the session is gone");
                    if packets.iter().any(|m| m.starts_with(&ack)) {
                        break;
                    }
                }
            }
        }
    }
}

/// The send budget drops only clients that do not read. Over each transport — WebSocket,
/// long-polling, and long-polling upgraded to a WebSocket after or before its namespace
/// connect — a client that reads is sent ten times its budget, stays connected, and has
/// nothing left counted against it.
#[tokio::test(flavor = "multi_thread")]
async fn the_send_budget_spares_clients_that_read() {
    const BUDGET: usize = 2 << 20;
    let config = Config {
        send_budget: BUDGET,
        // Each catch-up replays 1 MiB; here as often as asked.
        replay_rate: (1e12, 1e12),
        ..test_config()
    };
    let s = start(config, long_room("long", 100)).await;
    for how in [
        "websocket",
        "long-polling",
        "upgraded after connect",
        "upgraded before connect",
    ] {
        let mut reader = Reader::connect(how, s.addr).await;
        for i in 0..20 {
            reader.catch_up("long", 100 + i).await;
        }
        assert_eq!(s.control.connections(), 1, "[{how}] dropped");
        common::raw::eventually(&format!("[{how}] nothing is left queued"), || {
            s.control.queued_bytes() == 0
        })
        .await;
        if let Reader::Polling(p) = &reader {
            // engine.io close: long-polling has no connection to drop.
            p.post("1").await;
        }
        drop(reader);
        common::raw::eventually(&format!("[{how}] gone"), || s.control.connections() == 0).await;
    }
}
