//! Idle memory: open N connections, join them to R rooms, and read the server's RSS after
//! each phase has settled.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{Semaphore, watch};
use tokio::time::sleep;

use crate::procfs::rss_kib;
use crate::sio::{self, Packet, event, quote};

#[derive(clap::Args, Clone, Debug)]
pub struct IdleArgs {
    #[arg(long, default_value_t = 10_000)]
    pub conns: usize,
    /// Rooms the connections join after the connected-only reading (0: never join).
    #[arg(long, default_value_t = 100)]
    pub rooms: usize,
    /// Seconds to wait after each phase before reading RSS.
    #[arg(long, default_value_t = 3.0)]
    pub settle: f64,
    /// Seconds to keep the connections open at the end (pings must keep them alive).
    #[arg(long, default_value_t = 0.0)]
    pub hold: f64,
}

#[derive(Default)]
struct Shared {
    connected: usize,
    connect_failed: usize,
    joined: usize,
    join_failed: usize,
    disconnects: usize,
    frames: u64,
    errors: Vec<String>,
}

#[derive(Serialize)]
pub struct IdleReport {
    pub conns: usize,
    pub connected: usize,
    pub connect_failed: usize,
    pub joined: usize,
    pub join_failed: usize,
    pub disconnects: usize,
    pub rss_kib_before: Option<u64>,
    pub rss_kib_connected: Option<u64>,
    pub rss_kib_joined: Option<u64>,
    pub rss_kib_end: Option<u64>,
    /// (connected - before) / connected, bytes.
    pub bytes_per_conn_connected: Option<f64>,
    /// (joined - before) / connected, bytes.
    pub bytes_per_conn_joined: Option<f64>,
    pub connect_s: f64,
    pub errors: Vec<String>,
}

pub async fn run(
    addr: SocketAddr,
    common: &crate::Common,
    a: IdleArgs,
) -> anyhow::Result<IdleReport> {
    let pid = common.server_pid.first().map(String::as_str);
    let rss_before = pid.and_then(rss_kib);
    let sh = Rc::new(RefCell::new(Shared::default()));
    let sem = Rc::new(Semaphore::new(common.connect_concurrency));
    let (go_tx, go_rx) = watch::channel(false);
    let t0 = Instant::now();
    for i in 0..a.conns {
        let (sh, sem, mut go) = (sh.clone(), sem.clone(), go_rx.clone());
        let room = (a.rooms > 0).then(|| format!("{}-r{}", common.prefix, i % a.rooms));
        let read_buf = common.read_buf;
        tokio::task::spawn_local(async move {
            let permit = sem.acquire().await;
            let ws = match sio::connect(addr, None, read_buf).await {
                Ok(ws) => ws,
                Err(e) => {
                    let mut s = sh.borrow_mut();
                    s.connect_failed += 1;
                    if s.errors.len() < 10 {
                        s.errors.push(format!("connect: {e:#}"));
                    }
                    return;
                }
            };
            drop(permit);
            sh.borrow_mut().connected += 1;
            let (reader, outbox) = sio::split(ws);
            if let Some(room) = room {
                let outbox = outbox.clone();
                tokio::task::spawn_local(async move {
                    if go.wait_for(|g| *g).await.is_ok() {
                        let join =
                            format!("{{\"roomName\":{},\"nickName\":\"u{i}\"}}", quote(&room));
                        let _ = outbox.send(event("joinRoom", &join, Some(1)));
                    }
                });
            }
            let sh2 = sh.clone();
            sio::read_loop(reader, &outbox, |f| {
                let mut s = sh2.borrow_mut();
                s.frames += 1;
                if let Packet::Ack { id: 1, payload } = sio::parse(f) {
                    if payload.contains("\"ok\":false") {
                        s.join_failed += 1;
                        if s.errors.len() < 10 {
                            s.errors.push(format!("join: {payload}"));
                        }
                    } else {
                        s.joined += 1;
                    }
                }
                true
            })
            .await;
            sh.borrow_mut().disconnects += 1;
        });
    }
    wait(|| {
        let s = sh.borrow();
        s.connected + s.connect_failed >= a.conns
    })
    .await;
    let connect_s = t0.elapsed().as_secs_f64();
    sleep(Duration::from_secs_f64(a.settle)).await;
    let rss_connected = pid.and_then(rss_kib);
    let mut rss_joined = None;
    if a.rooms > 0 {
        go_tx.send_replace(true);
        wait(|| {
            let s = sh.borrow();
            s.joined + s.join_failed + s.disconnects >= s.connected
        })
        .await;
        sleep(Duration::from_secs_f64(a.settle)).await;
        rss_joined = pid.and_then(rss_kib);
    }
    sleep(Duration::from_secs_f64(a.hold)).await;
    let s = sh.borrow();
    let per = |rss: Option<u64>| match (rss, rss_before) {
        (Some(r), Some(b)) if s.connected > 0 => {
            Some((r as f64 - b as f64) * 1024.0 / s.connected as f64)
        }
        _ => None,
    };
    Ok(IdleReport {
        conns: a.conns,
        connected: s.connected,
        connect_failed: s.connect_failed,
        joined: s.joined,
        join_failed: s.join_failed,
        disconnects: s.disconnects,
        rss_kib_before: rss_before,
        rss_kib_connected: rss_connected,
        rss_kib_joined: rss_joined,
        rss_kib_end: pid.and_then(rss_kib),
        bytes_per_conn_connected: per(rss_connected),
        bytes_per_conn_joined: per(rss_joined),
        connect_s,
        errors: s.errors.clone(),
    })
}

async fn wait(done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(180);
    while !done() && Instant::now() < deadline {
        sleep(Duration::from_millis(50)).await;
    }
}
