//! Scrollback and search load (lanchat only, issue #14): `--readers` connections join a big room
//! and send `search` (queries from `--queries`, round robin) and `history` (a page before a
//! random seq) requests open-loop at `--rate` each per second; meanwhile `--joiners` fresh
//! connections join the room one after another and time `joinRoom` → ack (the last 100
//! messages are replayed before it). Reports round-trip percentiles per kind.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::Common;
use crate::sio::{self, Packet, event, quote};
use crate::stats::{Summary, summarize};

#[derive(clap::Args)]
pub struct ReadsArgs {
    /// The room to read (it must hold `--max-seq` messages).
    #[arg(long, default_value = "big")]
    room: String,
    /// Connections sending reads.
    #[arg(long, default_value_t = 4)]
    readers: usize,
    /// Requests per second per reader (lanchat's rate limit is 20 a second).
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
    /// Share of requests that are searches (the rest are history pages).
    #[arg(long, default_value_t = 0.5)]
    search_share: f64,
    /// Search queries, one per line.
    #[arg(long)]
    queries: std::path::PathBuf,
    /// Highest seq of the room, for random `before` anchors.
    #[arg(long, default_value_t = 1_000_000)]
    max_seq: u64,
    /// Joins timed during the window, evenly spaced.
    #[arg(long, default_value_t = 0)]
    joiners: usize,
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
}

#[derive(Serialize)]
pub struct ReadsReport {
    pub search_ms: Summary,
    pub history_ms: Summary,
    pub join_ms: Summary,
    /// Per query kind (the first word of its line in the queries file): search round trips.
    pub search_by_kind_ms: HashMap<String, Summary>,
    pub errors: usize,
    pub first_errors: Vec<String>,
    pub sent: usize,
    pub unanswered: usize,
}

/// A reader's requests awaiting their ack: ack id → (sent at, search kind or `None` for a page).
type Pending = HashMap<u64, (Instant, Option<String>)>;

#[derive(Default)]
struct Shared {
    search: Vec<u32>,
    history: Vec<u32>,
    join: Vec<u32>,
    by_kind: HashMap<String, Vec<u32>>,
    errors: usize,
    first_errors: Vec<String>,
    sent: usize,
    answered: usize,
    joins_done: usize,
}

impl Shared {
    fn error(&mut self, e: String) {
        self.errors += 1;
        if self.first_errors.len() < 5 {
            self.first_errors.push(e);
        }
    }
}

pub async fn run(addr: SocketAddr, common: &Common, a: ReadsArgs) -> anyhow::Result<ReadsReport> {
    // Lines: "<kind>\t<query>".
    let queries: Vec<(String, String)> = std::fs::read_to_string(&a.queries)?
        .lines()
        .filter_map(|l| {
            l.split_once('\t')
                .map(|(k, q)| (k.to_owned(), q.to_owned()))
        })
        .collect();
    anyhow::ensure!(!queries.is_empty(), "no queries");
    let queries = Rc::new(queries);
    let sh = Rc::new(RefCell::new(Shared::default()));
    let start = Instant::now() + Duration::from_millis(500);
    let end = start + Duration::from_secs_f64(a.duration);
    let mut tasks = Vec::new();
    for r in 0..a.readers {
        let ws = sio::connect(addr, None, common.read_buf).await?;
        let (reader, outbox) = sio::split(ws);
        let join = format!(
            "{{\"roomName\":{},\"nickName\":\"reader{r}\"}}",
            quote(&a.room)
        );
        let _ = outbox.send(event("joinRoom", &join, Some(0)));
        let pending: Rc<RefCell<Pending>> = Rc::default();
        // Sender: open loop, evenly spaced, offset per reader.
        {
            let (outbox, pending, queries, sh) =
                (outbox.clone(), pending.clone(), queries.clone(), sh.clone());
            let room = a.room.clone();
            let period = Duration::from_secs_f64(1.0 / a.rate);
            let offset = period.mul_f64(r as f64 / a.readers as f64);
            let (share, max_seq) = (a.search_share, a.max_seq);
            tasks.push(tokio::task::spawn_local(async move {
                let mut next = start + offset;
                let mut id = 1u64;
                let mut rng = 0x2545_F491_4F6C_DD1Du64 ^ (r as u64 + 1);
                while next < end {
                    tokio::time::sleep_until(next.into()).await;
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let unit = (rng >> 11) as f64 / (1u64 << 53) as f64;
                    let (name, payload, kind) = if unit < share {
                        let (kind, q) = &queries[(id as usize * 7 + r) % queries.len()];
                        (
                            "search",
                            format!("{{\"room\":{},\"q\":{}}}", quote(&room), quote(q)),
                            Some(kind.clone()),
                        )
                    } else {
                        let before = 1 + rng % max_seq;
                        (
                            "history",
                            format!(
                                "{{\"room\":{},\"before\":{before},\"limit\":100}}",
                                quote(&room)
                            ),
                            None,
                        )
                    };
                    pending.borrow_mut().insert(id, (Instant::now(), kind));
                    let _ = outbox.send(event(name, &payload, Some(id)));
                    sh.borrow_mut().sent += 1;
                    id += 1;
                    next += period;
                }
            }));
        }
        // Reader: acks.
        let sh2 = sh.clone();
        tokio::task::spawn_local(async move {
            sio::read_loop(reader, &outbox, move |frame| {
                if let Packet::Ack { id, payload } = sio::parse(frame) {
                    if id == 0 {
                        return true;
                    }
                    let Some((t0, kind)) = pending.borrow_mut().remove(&id) else {
                        return true;
                    };
                    let us = t0.elapsed().as_micros() as u32;
                    let mut s = sh2.borrow_mut();
                    s.answered += 1;
                    if payload.contains("\"ok\":false") {
                        s.error(payload.chars().take(200).collect());
                        return true;
                    }
                    match kind {
                        Some(k) => {
                            s.search.push(us);
                            s.by_kind.entry(k).or_default().push(us);
                        }
                        None => s.history.push(us),
                    }
                }
                true
            })
            .await;
        });
    }
    for j in 0..a.joiners {
        let at = start + Duration::from_secs_f64(a.duration * (j as f64 + 0.5) / a.joiners as f64);
        let (sh, room, read_buf) = (sh.clone(), a.room.clone(), common.read_buf);
        tokio::task::spawn_local(async move {
            tokio::time::sleep_until(at.into()).await;
            let ws = match sio::connect(addr, None, read_buf).await {
                Ok(ws) => ws,
                Err(e) => {
                    let mut s = sh.borrow_mut();
                    s.joins_done += 1;
                    return s.error(format!("joiner connect: {e:#}"));
                }
            };
            let (reader, outbox) = sio::split(ws);
            let join = format!(
                "{{\"roomName\":{},\"nickName\":\"joiner{j}\"}}",
                quote(&room)
            );
            let t0 = Instant::now();
            let _ = outbox.send(event("joinRoom", &join, Some(1)));
            let sh2 = sh.clone();
            sio::read_loop(reader, &outbox, move |frame| match sio::parse(frame) {
                Packet::Ack { id: 1, payload } => {
                    let mut s = sh2.borrow_mut();
                    s.joins_done += 1;
                    if payload.contains("\"ok\":false") {
                        s.error(format!("join: {payload}"));
                    } else {
                        s.join.push(t0.elapsed().as_micros() as u32);
                    }
                    false
                }
                _ => true,
            })
            .await;
        });
    }
    for t in tasks {
        let _ = t.await;
    }
    // Let the last answers arrive.
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let done = {
            let s = sh.borrow();
            s.answered >= s.sent && s.joins_done >= a.joiners
        };
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut s = sh.borrow_mut();
    let by_kind = std::mem::take(&mut s.by_kind)
        .into_iter()
        .map(|(k, mut v)| (k, summarize(&mut v)))
        .collect();
    Ok(ReadsReport {
        search_ms: summarize(&mut s.search),
        history_ms: summarize(&mut s.history),
        join_ms: summarize(&mut s.join),
        search_by_kind_ms: by_kind,
        errors: s.errors,
        first_errors: s.first_errors.clone(),
        sent: s.sent,
        unanswered: s.sent - s.answered,
    })
}
