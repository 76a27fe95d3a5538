//! Hostile input, the doors around the chat (issue #10): pages from other sites, names a DNS
//! rebinding attack would use, password guessing, connections that never become sessions, and
//! events that tried to skip the rate limit. After each, the calm pair still talks.

mod common;

use std::time::{Duration, Instant};

use common::calm::Calm;
use common::raw::{HttpReply, http_raw};
use common::{ConnectError, Peer, start, test_config, url};
use lanchat::server::{Backoff, Config, RateLimit};
use lanchat::store::Store;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn status(r: HttpReply) -> u16 {
    match r {
        HttpReply::Status(code, _) => code,
        HttpReply::Closed(why) => panic!("no reply: {why}"),
    }
}

/// A page on another site cannot open a Socket.IO session (browsers send its `Origin`), and a
/// request under a name that is not this host's (DNS rebinding) cannot read `/api/info`; the
/// host's own page, and clients that send no `Origin`, still can.
#[tokio::test(flavor = "multi_thread")]
async fn other_sites_and_rebinding_names_are_refused() {
    let s = start(test_config(), Store::memory().unwrap()).await;
    let calm = Calm::join(&s).await;
    let addr = s.addr;
    let poll = "GET /socket.io/?EIO=4&transport=polling HTTP/1.1";
    let cases = [
        (
            format!("{poll}\r\nHost: {addr}\r\nOrigin: https://evil.example"),
            403,
        ),
        (format!("{poll}\r\nHost: {addr}\r\nOrigin: null"), 403),
        (
            format!(
                "GET /api/info HTTP/1.1\r\nHost: evil.example:{}",
                addr.port()
            ),
            403,
        ),
        ("GET / HTTP/1.1\r\nHost: attacker.example".to_owned(), 403),
        (
            format!("{poll}\r\nHost: {addr}\r\nOrigin: http://{addr}"),
            200,
        ),
        (format!("{poll}\r\nHost: {addr}"), 200),
        (format!("GET /api/info HTTP/1.1\r\nHost: {addr}"), 200),
    ];
    for (i, (head, want)) in cases.into_iter().enumerate() {
        assert_eq!(status(http_raw(addr, &head).await), want, "{head}");
        calm.check_pair(&format!("origin case {i}")).await;
    }
    calm.check("origins").await;
}

/// Password guesses from one address are answered one at a time, each failure doubling the wait,
/// so a guesser gets a few tries per second at first and then one per `max`; a pile of parallel
/// attempts is refused unchecked. The right password still gets in afterwards.
#[tokio::test(flavor = "multi_thread")]
async fn password_guesses_are_slowed_per_address() {
    let config = Config {
        password: Some("correct horse battery staple".into()),
        // Plain-HTTP clients with a password: the host allowed them explicitly (tests/tls.rs
        // has what happens otherwise).
        plain_guests: Some(true),
        password_backoff: Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_millis(400),
            max_waiting: 3,
        },
        ..test_config()
    };
    let s = start(config, Store::memory().unwrap()).await;
    let u = url(&s);
    let started = Instant::now();
    for i in 0..8 {
        let r = Peer::connect_with(&u, json!({"password": format!("guess {i}")})).await;
        assert!(
            matches!(&r, Err(ConnectError::Refused(t)) if t.contains("bad_password")),
            "guess {i}: {:?}",
            r.err()
        );
    }
    // Answers waited 0, 100, 200, 400, 400, 400, 400, 400 ms after the one before.
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(2200), "8 guesses in {took:?}");
    let parallel = futures_util::future::join_all(
        (0..8).map(|i| Peer::connect_with(&u, json!({"password": format!("p{i}")}))),
    )
    .await;
    let turned_away = parallel
        .iter()
        .filter(|r| matches!(r, Err(ConnectError::Refused(t)) if t.contains("too_many_attempts")))
        .count();
    assert!(
        turned_away >= 4,
        "only {turned_away} of 8 parallel guesses turned away"
    );
    let calm = Calm::join_with(&s, json!({"password": "correct horse battery staple"})).await;
    calm.check("after guessing").await;
}

/// Reads until the server closes the connection; how long that took.
async fn closed_within(tcp: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((start + limit).into(), tcp.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

/// A connection that sends nothing, and one that trickles a request head a byte at a time, are
/// closed after the documented limits instead of holding a descriptor forever.
#[tokio::test(flavor = "multi_thread")]
async fn silent_and_trickling_connections_are_closed() {
    let config = Config {
        head_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(2),
        ..test_config()
    };
    let s = start(config, Store::memory().unwrap()).await;
    let calm = Calm::join(&s).await;
    let mut silent = TcpStream::connect(s.addr).await.unwrap();
    let mut trickle = TcpStream::connect(s.addr).await.unwrap();
    trickle
        .write_all(b"GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let dripping = tokio::spawn(async move {
        for _ in 0..40 {
            if trickle.write_all(b"X").await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    });
    let quiet = closed_within(&mut silent, Duration::from_secs(8)).await;
    assert!(quiet.is_some(), "a silent connection stayed open for 8 s");
    assert!(
        dripping.await.unwrap(),
        "a trickled request head was still accepted after 4 s"
    );
    // An idle Socket.IO session (answering the heartbeat) is not a silent connection.
    calm.check("silent connections").await;
}

/// `ping` and unknown events take a rate-limit token like every other event.
#[tokio::test(flavor = "multi_thread")]
async fn ping_and_unknown_events_are_rate_limited() {
    let config = Config {
        rate: RateLimit {
            per_second: 1.0,
            burst: 5.0,
        },
        ..Config::default()
    };
    let s = start(config, Store::memory().unwrap()).await;
    let eve = Peer::connect(&url(&s)).await;
    let mut limited = 0;
    for i in 0..20 {
        let event = if i % 2 == 0 { "ping" } else { "whatever" };
        let r: Value = eve.request(event, Value::Null).await;
        if r["error"]["code"] == "rate_limited" {
            limited += 1;
        }
    }
    assert!(limited >= 10, "only {limited} of 20 were rate limited");
    let calm = Calm::join(&s).await;
    calm.check("ping flood").await;
}

/// `RUST_LOG=trace` never prints the handshake's password (the Socket.IO and WebSocket crates
/// log whole packets at debug and trace).
#[tokio::test(flavor = "multi_thread")]
async fn trace_logging_never_prints_the_password() {
    use tokio::io::AsyncBufReadExt;
    let secret = "tr0ub4dor-and-3-more-words";
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_lanchat"))
        .args(["serve", "--port", "0", "--bind", "127.0.0.1", "--memory"])
        .args(["--password", secret, "--plain-guests", "on"])
        .env("RUST_LOG", "trace")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("lanchat serve starts");
    let mut out = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(common::WAIT, async {
        while let Ok(Some(line)) = out.next_line().await {
            if let Some(rest) = line.split("listening on ").nth(1) {
                return rest.trim().to_owned();
            }
        }
        panic!("serve printed no address")
    })
    .await
    .expect("serve prints its address");
    let p = Peer::connect_with(&url, json!({"password": secret}))
        .await
        .expect("the right password connects");
    p.join("r", "n").await;
    p.close().await;
    child.start_kill().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .await
        .unwrap();
    assert!(
        err.lines().count() > 10,
        "trace logging produced little: {err}"
    );
    assert!(!err.contains(secret), "the password was logged");
}
