//! Oversized input is never buffered: a 10 MB WebSocket frame, a 10 MB long-polling POST and
//! megabytes of binary attachments are refused without the server's memory (this process's
//! RSS) growing by the payload; output for a client that stops reading is held only up to its
//! send budget; and the calm pair carries on (`common::calm`).
//!
//! Its own test binary because it measures the whole process: no other suite's servers may
//! allocate beside it. Its own tests take turns too (see [`MEASURING`]).

mod common;

use common::calm::*;
use common::raw::{self, Fate, HttpReply, RawSio};
use common::*;
use lanchat::server::Config;
use serde_json::Value;
use tokio::sync::{Mutex, MutexGuard};

/// cargo runs a test binary's tests on parallel threads, and RSS belongs to the whole process:
/// each test here measures alone, or it would count the others' servers.
static MEASURING: Mutex<()> = Mutex::const_new(());

async fn measuring_alone() -> MutexGuard<'static, ()> {
    MEASURING.lock().await
}

/// Allowed growth of this process's RSS while one oversized request is refused. The server
/// must not buffer the 10 MB; what remains is allocator and socket-buffer noise (a few MB at
/// most on a quiet process), so 20 MB is loose enough never to flake and still half the
/// payload — buffering it once would show.
const RSS_BOUND: u64 = 20 * 1024 * 1024;
const TEN_MB: u64 = 10 * 1024 * 1024;

/// A single 10 MB WebSocket frame (`42["sendMessage",{... 10 MB ...`) is refused from its
/// header: the connection is dropped and the server's memory does not grow by the payload.
#[tokio::test(flavor = "multi_thread")]
async fn ten_megabyte_websocket_frame_is_refused() {
    let _alone = measuring_alone().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    calm.check("warm-up").await;
    let mut raw = RawSio::connect(s.addr).await;
    let before = raw::rss_bytes();
    let prefix = r#"42["sendMessage",{"room":"calm","message":""#;
    // The server closes the connection after the frame header; writing the rest then fails
    // (or lands in the socket buffers). Either way it must not hang.
    let sent = within(
        "10 MB frame",
        raw.ws.send_text_streamed(prefix, b'x', TEN_MB),
    )
    .await;
    assert_eq!(
        within("10 MB frame", raw.fate()).await,
        Fate::Dropped,
        "sent: {sent:?}"
    );
    let grew = raw::rss_bytes().saturating_sub(before);
    eprintln!("10 MB WebSocket frame: RSS grew by {} KiB", grew / 1024);
    assert!(grew < RSS_BOUND, "RSS grew by {} KiB", grew / 1024);
    calm.check("10 MB WebSocket frame").await;
}

/// A 10 MB HTTP long-polling POST (with Content-Length, and chunked) is refused with 413 (or
/// the connection is closed), the session ends, and memory does not grow by the body.
#[tokio::test(flavor = "multi_thread")]
async fn ten_megabyte_polling_post_is_refused() {
    let _alone = measuring_alone().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    calm.check("warm-up").await;
    let base = format!("http://{}/socket.io/?EIO=4&transport=polling", s.addr);
    for (case, chunked) in [("10 MB POST", false), ("10 MB chunked POST", true)] {
        let open = reqwest::get(&base).await.unwrap().text().await.unwrap();
        let open: Value = serde_json::from_str(open.strip_prefix('0').unwrap()).unwrap();
        let sid = open["sid"].as_str().unwrap().to_owned();
        let with_sid = format!("{base}&sid={sid}");
        let post = reqwest::Client::new()
            .post(&with_sid)
            .body("40")
            .send()
            .await
            .unwrap();
        assert!(
            post.status().is_success(),
            "[{case}] namespace connect over polling"
        );
        let before = raw::rss_bytes();
        let head = format!(
            "POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: {}\r\n\
             Content-Type: text/plain;charset=UTF-8",
            s.addr
        );
        let reply = raw::http_streamed(
            s.addr,
            &head,
            "42[\"sendMessage\",\"",
            b'x',
            TEN_MB,
            chunked,
        )
        .await;
        match &reply {
            HttpReply::Status(413, _) | HttpReply::Closed(_) => {}
            other => panic!("[{case}] expected 413 or a closed connection, got {other:?}"),
        }
        let grew = raw::rss_bytes().saturating_sub(before);
        eprintln!("{case}: {reply:?}, RSS grew by {} KiB", grew / 1024);
        assert!(grew < RSS_BOUND, "[{case}] RSS grew by {} KiB", grew / 1024);
        // The session is over: polling it again is an unknown session.
        let poll = reqwest::get(&with_sid).await.unwrap();
        assert_eq!(
            poll.status(),
            400,
            "[{case}] session still open after {reply:?}"
        );
        calm.check(case).await;
    }
}

/// Binary attachments wait in memory until their packet is complete. A connection that
/// announces 200 of them and sends 8 MB should be dropped once they pass the 64 KiB packet
/// limit — not buffered. (socketioxide's defaults allow 10 MB per connection, and its one-minute
/// completion timeout is only checked when the next attachment arrives.)
#[tokio::test(flavor = "multi_thread")]
async fn binary_attachments_are_bounded_by_the_packet_limit() {
    let _alone = measuring_alone().await;
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    calm.check("warm-up").await;
    const CONNECTIONS: usize = 8;
    let attachment = vec![0xa5u8; 64_000];
    let before = raw::rss_bytes();
    // Kept open: closing a connection frees what the server buffered for it.
    let mut hoarders = Vec::new();
    for c in 0..CONNECTIONS {
        let case = format!("8 MB of attachments on connection {c}");
        let mut raw = RawSio::connect(s.addr).await;
        raw.send(r#"45200-["sendMessage",{"_placeholder":true,"num":0}]"#)
            .await
            .unwrap();
        for _ in 0..125 {
            if raw.ws.send_binary(&attachment).await.is_err() {
                break;
            }
        }
        // The pong comes after the server has taken in every attachment sent before the ping.
        let open = within(&case, raw.ws.alive()).await;
        hoarders.push((c, open, raw));
        calm.check_pair(&case).await;
    }
    let grew = raw::rss_bytes().saturating_sub(before);
    let open: Vec<usize> = hoarders.iter().filter(|h| h.1).map(|h| h.0).collect();
    eprintln!(
        "binary attachments: {} of {CONNECTIONS} connections still open, RSS grew by {} KiB",
        open.len(),
        grew / 1024
    );
    assert!(
        open.is_empty(),
        "connections {open:?} still hold 8 MB of attachments each (RSS grew by {} MiB)",
        grew / (1024 * 1024)
    );
    assert!(grew < RSS_BOUND, "RSS grew by {} KiB", grew / 1024);
    calm.check("binary attachment hoarding").await;
}

/// Issue #10 item 2: clients that answer pings but never read, and keep rejoining a room of
/// 100 long messages, had the host queue everything for them (16,384 packets each, ~270 MB).
/// Now each is dropped once its queued output would pass its send budget, the host's memory
/// grows by about connections × budget, and the calm pair carries on.
#[tokio::test(flavor = "multi_thread")]
async fn clients_that_stop_reading_are_dropped_at_their_send_budget() {
    let _alone = measuring_alone().await;
    const BUDGET: usize = 2 << 20;
    const HOARDERS: usize = 4;
    let config = Config {
        send_budget: BUDGET,
        ..test_config()
    };
    let s = start(config, long_room("long", 100)).await;
    let calm = Calm::join(&s).await;
    calm.check("warm-up").await;
    // The pair, once the warm-up's new user has gone.
    let calm_connections = 2;
    raw::eventually("the warm-up's new user has gone", || {
        s.control.connections() == calm_connections
    })
    .await;
    let before = raw::rss_bytes();
    let mut hoarders = Vec::new();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    for h in 0..HOARDERS {
        // A 4 KiB receive window: the kernel holds next to nothing for it, so what it does
        // not read stays in the server.
        let mut raw = RawSio::open_with(s.addr, Some(4096)).await;
        raw.connect_ns(None).await.expect("namespace connect");
        let mut stopped = stopped.clone();
        hoarders.push(tokio::spawn(async move {
            // From here on it only writes: a pong, unasked, and a rejoin (a different `since`
            // each time, so that no two are coalesced into one replay), 20 times a second,
            // until the test is over or the server has closed the connection.
            let mut ticks = tokio::time::interval(std::time::Duration::from_millis(50));
            for i in 0.. {
                let stop = tokio::select! {
                    r = stopped.wait_for(|s| *s) => r.is_ok(),
                    _ = ticks.tick() => false,
                };
                let join = format!(
                    r#"42{}["joinRoom",{{"roomName":"long","nickName":"hoarder-{h}","since":{}}}]"#,
                    100 + i,
                    i % 36
                );
                if stop || raw.send("3").await.is_err() || raw.send(&join).await.is_err() {
                    return i;
                }
            }
            unreachable!()
        }));
    }
    // Dropped, or still connected after WAIT: the RSS is measured either way.
    let deadline = tokio::time::Instant::now() + WAIT;
    while s.control.connections() > calm_connections && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let grew = raw::rss_bytes().saturating_sub(before);
    let left = s.control.connections() - calm_connections;
    let queued = s.control.queued_bytes();
    stop.send_replace(true);
    let mut sent = Vec::new();
    for h in hoarders {
        sent.push(within("hoarder", h).await.unwrap());
    }
    // What is queued for them (their budgets) and the history being replayed to them, which
    // the replay credit bounds (`replay_rate`: 8 MiB at once), and the usual noise.
    let replaying = Config::default().replay_rate.1 as usize;
    let bound = (HOARDERS * (BUDGET + replaying)) as u64 + RSS_BOUND;
    eprintln!(
        "{HOARDERS} clients that stop reading (budget {} KiB): {left} still connected, rejoins \
         sent {sent:?}, RSS grew by {} KiB (bound {} KiB), {} KiB queued",
        BUDGET / 1024,
        grew / 1024,
        bound / 1024,
        queued / 1024
    );
    assert_eq!(
        left,
        0,
        "{left} clients that stopped reading are still connected; RSS grew by {} MiB",
        grew >> 20
    );
    assert!(grew < bound, "RSS grew by {} KiB", grew / 1024);
    calm.check("clients that stop reading").await;
    // And for those who read, the count comes back to nothing: it is exact, not drifting.
    raw::eventually("nothing is left queued for the calm pair", || {
        s.control.queued_bytes() == 0
    })
    .await;
}

/// The same over long-polling: a session that keeps posting rejoins (and pongs) but never
/// polls is cut off at its budget; its requests are refused from then on, so it cannot answer
/// the heartbeat and engine.io closes it.
#[tokio::test(flavor = "multi_thread")]
async fn long_polling_sessions_that_never_poll_are_dropped_at_their_send_budget() {
    let _alone = measuring_alone().await;
    const BUDGET: usize = 2 << 20;
    let config = Config {
        send_budget: BUDGET,
        ping_interval: std::time::Duration::from_secs(1),
        ping_timeout: std::time::Duration::from_secs(1),
        ..test_config()
    };
    let s = start(config, long_room("long", 100)).await;
    let calm = Calm::join(&s).await;
    raw::eventually("the calm pair is in", || s.control.connections() == 2).await;
    let base = format!("http://{}/socket.io/?EIO=4&transport=polling", s.addr);
    let open = reqwest::get(&base).await.unwrap().text().await.unwrap();
    let open: Value = serde_json::from_str(open.strip_prefix('0').unwrap()).unwrap();
    let session = format!("{base}&sid={}", open["sid"].as_str().unwrap());
    let http = reqwest::Client::new();
    let post = |body: String| http.post(&session).body(body).send();
    assert!(post("40".into()).await.unwrap().status().is_success());
    raw::eventually("the poller is in", || s.control.connections() == 3).await;
    // Posts until refused: 20 a second, as the WebSocket hoarders do.
    let mut ticks = tokio::time::interval(std::time::Duration::from_millis(50));
    let mut refused = None;
    for i in 0..200 {
        ticks.tick().await;
        let join = format!(
            "3\u{1e}42{}[\"joinRoom\",{{\"roomName\":\"long\",\"nickName\":\"poller\",\"since\":{}}}]",
            100 + i,
            i % 36
        );
        let status = post(join).await.unwrap().status();
        if !status.is_success() {
            refused = Some((i, status));
            break;
        }
    }
    let (posts, status) = refused.expect("the poller was never cut off");
    assert_eq!(status, 403, "refused after {posts} posts");
    eprintln!("a session that never polls: refused ({status}) after {posts} posts");
    raw::eventually("the poller's session is closed", || {
        s.control.connections() == 2
    })
    .await;
    assert_eq!(reqwest::get(&session).await.unwrap().status(), 400);
    calm.check("a session that never polls").await;
}

/// A 128 MB upload streams to disk: the host holds one chunk of it at a time, so this
/// process's RSS (host and uploading client both) grows by far less than the file.
#[tokio::test(flavor = "multi_thread")]
async fn a_large_upload_streams_to_disk() {
    use futures_util::StreamExt;
    let _alone = measuring_alone().await;
    let (s, _dir) = common::files::start_files().await;
    let calm = Calm::join(&s).await;
    calm.check("warm-up").await;
    const SIZE: usize = 128 << 20;
    const CHUNK: usize = 64 * 1024;
    let up = common::files::ticket(&calm.a, ROOM, "big.bin", SIZE).await;
    let before = raw::rss_bytes();
    let chunks = futures_util::stream::iter(0..SIZE / CHUNK)
        .map(|i| Ok::<_, std::io::Error>(vec![i as u8; CHUNK]));
    let resp = reqwest::Client::new()
        .patch(format!("{}{up}", url(&s)))
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Content-Length", SIZE.to_string())
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let grew = raw::rss_bytes().saturating_sub(before);
    eprintln!("128 MB upload: RSS grew by {} KiB", grew / 1024);
    assert!(grew < RSS_BOUND, "RSS grew by {} KiB", grew / 1024);
    calm.check("128 MB upload").await;
}
