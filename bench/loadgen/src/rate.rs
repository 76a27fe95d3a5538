//! The open-loop rate scenario: N members over R rooms, one (or a few) senders per room
//! emitting `sendMessage` on a fixed schedule, every member checking what it receives.
//! With `--joiners`, extra clients join a loaded room during the window and time how long
//! it takes to hold the room's history (lanchat only).
//! With `--events-share`, a share of the senders' requests are edits, reactions and deletes on
//! recent messages instead (lanchat only, issue #14), each acked and checked (see [`EventKind`]).
//! Given several server addresses (a cluster's nodes), members are spread over them
//! ([`node_of`]) and every delivery is also counted as same-node or cross-node.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::time::sleep;

use crate::procfs::{CpuLoadMeter, CpuMeter, WaitMeter, rss_kib};
use crate::sio::{self, Finders, Outbox, Packet, event, find_u64, parse_u64, quote};
use crate::stats::{Summary, summarize};

#[derive(clap::Args, Clone, Debug)]
pub struct RateArgs {
    /// Total member connections (senders included).
    #[arg(long, default_value_t = 1000)]
    pub conns: usize,
    /// Rooms the members are spread over (member i joins room i % rooms).
    #[arg(long, default_value_t = 1)]
    pub rooms: usize,
    /// Messages per second sent into EACH room (split over its senders).
    #[arg(long)]
    pub rate: f64,
    /// Sender connections per room (the first members of each room).
    #[arg(long, default_value_t = 1)]
    pub senders_per_room: usize,
    /// Seconds of sending before the measured window.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Seconds in the measured window.
    #[arg(long, default_value_t = 4.0)]
    pub duration: f64,
    /// Seconds to wait after the last send for outstanding deliveries before calling them lost.
    #[arg(long, default_value_t = 3.0)]
    pub drain: f64,
    /// Pad each message text with 'x' up to this many characters.
    #[arg(long, default_value_t = 64)]
    pub msg_len: usize,
    /// Clients that join a loaded room during the window and time the history replay.
    #[arg(long, default_value_t = 0)]
    pub joiners: usize,
    /// History messages a joiner expects (the server's history limit).
    #[arg(long, default_value_t = 100)]
    pub history: usize,
    /// Joiners catch up with `since` instead: `since` = the room's newest seq (as its first
    /// member saw it) minus this many rows, so the replay is every row after it — messages and,
    /// with `--events-share`, the edits, reactions and deletes as `messageUpdate`. Timed to the
    /// ack (the catch-up is complete then). 0 = a plain join (the last `--history` messages).
    #[arg(long, default_value_t = 0)]
    pub since_back: u64,
    /// Share (0-1) of each sender's scheduled requests that are events on recent messages
    /// instead of messages (lanchat only): `editMessage` on one of its own last 5, `react` on
    /// and off on one of the room's last 100, `deleteMessage` on one of its own last 5, weighted
    /// by `--events-mix`. Every event is acked and
    /// checked. 0 = plain messages only.
    #[arg(long, default_value_t = 0.0)]
    pub events_share: f64,
    /// Relative weights of edits, reactions and deletes among the events.
    #[arg(long, value_delimiter = ',', default_values_t = [4.0, 5.0, 1.0])]
    pub events_mix: Vec<f64>,
}

/// Recent seqs kept per room (for reactions). The joiners replay the last 100, so targets among
/// the last 100 show up folded in their replays.
const RECENT: usize = 100;
/// Recent seqs kept per sender (own messages, for edits and deletes): about its share of the
/// room's last 100 with the suite's 20 senders, so its edits land in what a joiner replays.
const OWN_RECENT: usize = 5;
/// The reactions used (the picker's set): a sender toggles its own, so each is a real change.
const EMOJI: [&str; 10] = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀", "🔥", "✅"];

/// One kind of event request of the mix.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum EventKind {
    Edit,
    ReactOn,
    ReactOff,
    Delete,
}

/// What the mix actually achieved: per kind, requests sent and acked `ok`, and the refusals.
#[derive(Serialize, Default, Clone)]
pub struct EventsReport {
    pub edits_sent: u64,
    pub edits_acked: u64,
    pub reacts_on_sent: u64,
    pub reacts_on_acked: u64,
    pub reacts_off_sent: u64,
    pub reacts_off_acked: u64,
    pub deletes_sent: u64,
    pub deletes_acked: u64,
    /// Reactions acked without a seq: they changed nothing (should stay 0: a sender toggles
    /// its own reactions).
    pub reacts_noop: u64,
    /// Refusals the mix provokes by design and counts: a reaction on a message another sender
    /// deleted meanwhile (`message_deleted`).
    pub expected_refusals: HashMap<String, u64>,
    /// Any other refusal (a failure of the run), and acks that never came.
    pub unexpected_refusals: u64,
    pub unanswered: u64,
    /// Scheduled events sent as plain messages because the sender had no target yet.
    pub fell_back_to_message: u64,
    /// `messageUpdate` rows the members received, and how many the acked events should have
    /// delivered (acked with a seq × members of the room).
    pub updates_received: u64,
    pub updates_expected: u64,
    /// Send to ack of the events.
    pub ack_ms: Summary,
}

/// What one member connection sees from one sender.
struct Track {
    sender: u32,
    last: i64,
    seen: Vec<u64>,
}

#[derive(Default)]
struct Shared {
    frames: u64,
    bytes: u64,
    connected: usize,
    connect_failed: usize,
    joined: Vec<u32>,
    join_failed: usize,
    errors: Vec<String>,
    disconnects: usize,
    shutting_down: bool,
    /// Measured window, microseconds since the epoch.
    window: (u64, u64),
    lat_us: Vec<u32>,
    /// With several nodes: the same samples split by whether the sender's node is the receiver's.
    lat_cross_us: Vec<u32>,
    lat_local_us: Vec<u32>,
    /// Messages sent during the measured window (the denominator of per-message costs).
    sent_in_window: u64,
    /// With a server-stamped `ts` (lanchat): send to stamp, and stamp to delivery, in µs of
    /// wall-clock time (the stamp has 1 ms resolution).
    to_stamp_us: Vec<u32>,
    from_stamp_us: Vec<u32>,
    in_window: u64,
    unique: u64,
    dup: u64,
    out_of_order: u64,
    seq_out_of_order: u64,
    seq_seen: bool,
    request_errors: u64,
    sent: Vec<u64>,
    send_lag_us: Vec<u32>,
    senders: Vec<(usize, u32, Outbox, String)>,
    hist_us: Vec<u32>,
    hist_ack_us: Vec<u32>,
    hist_incomplete: u64,
    hist_out_of_order: u64,
    hist_failed: u64,
    /// Over all joiners' replays: messages shown edited, deleted, with reactions; bytes.
    hist_edited: u64,
    hist_deleted: u64,
    hist_reacted: u64,
    hist_bytes: u64,
    /// `since` catch-ups: rows replayed (messages and updates).
    hist_rows: u64,
    /// Per room: the newest seq its first member has seen.
    room_last: Vec<u64>,
    /// With events: per room, the seqs of its newest chat messages (as its first member got
    /// them); per sender, its own newest.
    room_recent: Vec<VecDeque<u64>>,
    own_recent: HashMap<u32, VecDeque<u64>>,
    /// Events awaiting their ack, by (sender, ack id).
    pending: HashMap<(u32, u64), (EventKind, Instant)>,
    ev: EventsReport,
    ev_ack_us: Vec<u32>,
}

impl Shared {
    fn error(&mut self, e: String) {
        if self.errors.len() < 10 {
            self.errors.push(e);
        }
    }
}

#[derive(Serialize)]
pub struct RateReport {
    pub conns: usize,
    pub rooms: usize,
    pub rate_per_room: f64,
    pub offered_msgs_per_s: f64,
    pub expected_deliveries_per_s: f64,
    pub deliveries_per_s: f64,
    pub latency_ms: Summary,
    /// Server nodes the members were spread over (1 for a single server).
    pub nodes: usize,
    /// With several nodes: latency of deliveries whose sender was on another node than the
    /// receiver, and of those on the same node.
    pub cross_node_latency_ms: Option<Summary>,
    pub same_node_latency_ms: Option<Summary>,
    /// Members connected to each node.
    pub conns_per_node: Vec<usize>,
    /// Messages sent during the measured window.
    pub sent_in_window: u64,
    /// lanchat only: the latency split at the server's `ts` stamp (taken when the hub orders
    /// the message): before it (inbound + queue to the hub) and after it (store + fan-out).
    pub until_server_stamp_ms: Option<Summary>,
    pub after_server_stamp_ms: Option<Summary>,
    pub sent: u64,
    pub expected: u64,
    pub received: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub out_of_order: u64,
    pub seq_checked: bool,
    pub seq_out_of_order: u64,
    pub request_errors: u64,
    pub connect_failed: usize,
    pub join_failed: usize,
    pub disconnects: usize,
    pub errors: Vec<String>,
    pub setup_s: f64,
    pub send_lag_ms: Summary,
    pub gen_cpu_pct: Option<f64>,
    /// Summed over the nodes (each node's in `node_cpu_pct`).
    pub server_cpu_pct: Option<f64>,
    pub node_cpu_pct: Vec<Option<f64>>,
    /// The cluster's Redis over the measured window (`--redis`).
    pub redis: Option<crate::redis_info::RedisWindow>,
    /// Time runnable but not running (another process on the pinned core), % of the window.
    pub gen_runq_wait_pct: Option<f64>,
    pub server_runq_wait_pct: Option<f64>,
    /// Each CPU's time running any task, % of the window (see procfs::CpuLoadMeter).
    pub cpu_task_pct: Vec<f64>,
    pub server_rss_kib_before: Option<u64>,
    pub server_rss_kib_after: Option<u64>,
    pub frames: u64,
    pub bytes: u64,
    pub history: Option<HistoryReport>,
    /// With `--events-share`: the mix achieved.
    pub events: Option<EventsReport>,
}

#[derive(Serialize)]
pub struct HistoryReport {
    pub joiners: usize,
    /// Connect start to holding the last `history` messages.
    pub to_history_ms: Summary,
    /// Connect start to the joinRoom ack.
    pub to_ack_ms: Summary,
    pub incomplete: u64,
    pub out_of_order: u64,
    pub failed: u64,
    /// Over all replays: messages that came edited, deleted, with reactions (folded state).
    pub replayed_edited: u64,
    pub replayed_deleted: u64,
    pub replayed_reacted: u64,
    /// Mean bytes of a replay (its `message` frames).
    pub replay_bytes_mean: f64,
    /// `--since-back`: the rows behind the room's newest seq each joiner asked for, and the
    /// mean rows (messages and updates) a catch-up replayed.
    pub since_back: u64,
    pub replay_rows_mean: f64,
}

/// The node member `i` connects to: round-robin over the nodes within each room (its k-th member
/// on node k mod N), rotated by the room's number, so every room of more than N members has
/// members on every node and the rooms' first members (the senders) are spread over the nodes
/// too. With one room this is plain round-robin over the connections (i mod N).
pub fn node_of(i: usize, rooms: usize, nodes: usize) -> usize {
    (i / rooms + i % rooms) % nodes
}

pub async fn run(common: &crate::Common, a: RateArgs) -> anyhow::Result<RateReport> {
    let addrs = &common.addr;
    let nodes = addrs.len();
    let epoch = Instant::now();
    let wall0_us = wall_us();
    let sh = Rc::new(RefCell::new(Shared {
        joined: vec![0; a.rooms],
        sent: vec![0; a.rooms],
        room_recent: vec![VecDeque::new(); a.rooms],
        room_last: vec![0; a.rooms],
        ..Default::default()
    }));
    let pids = &common.server_pid;
    let rss_all = || -> Option<u64> {
        if pids.is_empty() {
            None
        } else {
            pids.iter().map(|p| rss_kib(p)).sum()
        }
    };
    anyhow::ensure!(
        (0.0..=1.0).contains(&a.events_share),
        "--events-share must be within 0-1"
    );
    anyhow::ensure!(
        a.events_mix.len() == 3
            && a.events_mix.iter().all(|w| *w >= 0.0)
            && a.events_mix.iter().sum::<f64>() > 0.0,
        "--events-mix takes three weights: edits,reactions,deletes"
    );
    let events = a.events_share > 0.0;
    let rss_before = rss_all();
    let mut conns_per_node = vec![0usize; nodes];
    let sem = Rc::new(Semaphore::new(common.connect_concurrency));
    for i in 0..a.conns {
        let room = i % a.rooms;
        let member = Member {
            idx: i as u32,
            room,
            room_name: format!("{}-r{room}", common.prefix),
            nick: format!("u{i}"),
            sender: i / a.rooms < a.senders_per_room,
            node: node_of(i, a.rooms, nodes),
            rooms: a.rooms,
            nodes,
            events,
        };
        conns_per_node[member.node] += 1;
        let addr = addrs[member.node];
        tokio::task::spawn_local(member.run(
            addr,
            common.read_buf,
            sh.clone(),
            sem.clone(),
            epoch,
            wall0_us,
        ));
    }

    // Setup: everyone connected and joined, then the join traffic has died down.
    let setup_deadline = Instant::now() + Duration::from_secs(180);
    loop {
        {
            let s = sh.borrow();
            let joined: u32 = s.joined.iter().sum();
            if s.connected + s.connect_failed == a.conns
                && joined as usize + s.join_failed + s.disconnects >= s.connected
            {
                break;
            }
        }
        anyhow::ensure!(
            Instant::now() < setup_deadline,
            "setup did not finish in 180 s"
        );
        sleep(Duration::from_millis(20)).await;
    }
    settle(&sh, Duration::from_millis(300), Duration::from_secs(60)).await;
    let setup_s = epoch.elapsed().as_secs_f64();

    // Sending: every room's senders on one schedule each, staggered across the period.
    let start = Instant::now() + Duration::from_millis(50);
    let win_start = start + Duration::from_secs_f64(a.warmup);
    let end = win_start + Duration::from_secs_f64(a.duration);
    sh.borrow_mut().window = (us(epoch, win_start), us(epoch, end));
    let senders = std::mem::take(&mut sh.borrow_mut().senders);
    let mut per_room = vec![0usize; a.rooms];
    for (room, ..) in &senders {
        per_room[*room] += 1;
    }
    let n_senders = senders.len().max(1);
    for (n, (room, idx, outbox, room_name)) in senders.into_iter().enumerate() {
        // The room's rate is split over the senders that actually joined it.
        let per_sender = a.rate / per_room[room] as f64;
        let offset = Duration::from_secs_f64(n as f64 / n_senders as f64 / per_sender);
        let s = Sender {
            room,
            idx,
            outbox,
            room_name,
            nick: format!("u{idx}"),
            msg_len: a.msg_len,
            events_share: a.events_share,
            events_mix: a.events_mix.clone(),
        };
        tokio::task::spawn_local(s.run(per_sender, start + offset, end, epoch, sh.clone()));
    }
    for j in 0..a.joiners {
        let at = win_start + Duration::from_secs_f64(a.duration * j as f64 / a.joiners as f64);
        let room_name = format!("{}-r{}", common.prefix, j % a.rooms);
        let nick = format!("j{j}");
        tokio::task::spawn_local(joiner(
            addrs[j % nodes],
            common.read_buf,
            at,
            JoinerSpec {
                room_name,
                nick,
                want: a.history,
                room: j % a.rooms,
                since_back: a.since_back,
            },
            sh.clone(),
        ));
    }

    tokio::time::sleep_until(win_start.into()).await;
    let redis0 = match common.redis {
        Some(r) => Some(crate::redis_info::snapshot(r).await?),
        None => None,
    };
    let gen_cpu = CpuMeter::start("self");
    let srv_cpu: Vec<CpuMeter> = pids.iter().map(|p| CpuMeter::start(p)).collect();
    let gen_wait = WaitMeter::start("self");
    let srv_wait: Vec<WaitMeter> = pids.iter().map(|p| WaitMeter::start(p)).collect();
    let cpus = CpuLoadMeter::start();
    tokio::time::sleep_until(end.into()).await;
    let cpu_task_pct = cpus.percent();
    let gen_cpu_pct = gen_cpu.percent();
    let node_cpu_pct: Vec<Option<f64>> = srv_cpu.iter().map(CpuMeter::percent).collect();
    let server_cpu_pct = if pids.is_empty() {
        None
    } else {
        node_cpu_pct.iter().copied().sum()
    };
    let gen_runq_wait_pct = gen_wait.percent();
    let server_runq_wait_pct = if pids.is_empty() {
        None
    } else {
        srv_wait.iter().map(WaitMeter::percent).sum()
    };
    let redis = match (common.redis, redis0) {
        (Some(r), Some(before)) => Some(before.until(&crate::redis_info::snapshot(r).await?)),
        _ => None,
    };

    // Drain: wait for every expected delivery, up to the drain time.
    let drain_end = end + Duration::from_secs_f64(a.drain);
    loop {
        let done = {
            let s = sh.borrow();
            s.unique >= expected(&s)
                && s.pending.is_empty()
                && s.ev.updates_received >= s.ev.updates_expected
                && s.hist_us.len() + s.hist_incomplete as usize + s.hist_failed as usize
                    >= a.joiners
        };
        if done || Instant::now() >= drain_end {
            break;
        }
        sleep(Duration::from_millis(10)).await;
    }
    let mut s = sh.borrow_mut();
    s.shutting_down = true;
    let exp = expected(&s);
    let sent: u64 = s.sent.iter().sum();
    let replays = s.hist_us.len() as u64 + s.hist_incomplete;
    let history = (a.joiners > 0).then(|| HistoryReport {
        replayed_edited: s.hist_edited,
        replayed_deleted: s.hist_deleted,
        replayed_reacted: s.hist_reacted,
        replay_bytes_mean: s.hist_bytes as f64 / replays.max(1) as f64,
        since_back: a.since_back,
        replay_rows_mean: s.hist_rows as f64 / replays.max(1) as f64,
        joiners: a.joiners,
        to_history_ms: summarize(&mut s.hist_us),
        to_ack_ms: summarize(&mut s.hist_ack_us),
        incomplete: s.hist_incomplete,
        out_of_order: s.hist_out_of_order,
        failed: s.hist_failed,
    });
    let events = events.then(|| {
        let mut ev = s.ev.clone();
        ev.unanswered = s.pending.len() as u64;
        ev.ack_ms = summarize(&mut s.ev_ack_us);
        ev
    });
    Ok(RateReport {
        conns: a.conns,
        rooms: a.rooms,
        rate_per_room: a.rate,
        offered_msgs_per_s: a.rate * a.rooms as f64,
        expected_deliveries_per_s: a.rate * a.conns as f64,
        deliveries_per_s: s.in_window as f64 / a.duration,
        latency_ms: summarize(&mut s.lat_us),
        nodes,
        cross_node_latency_ms: (nodes > 1).then(|| summarize(&mut s.lat_cross_us)),
        same_node_latency_ms: (nodes > 1).then(|| summarize(&mut s.lat_local_us)),
        conns_per_node,
        sent_in_window: s.sent_in_window,
        until_server_stamp_ms: (!s.to_stamp_us.is_empty()).then(|| summarize(&mut s.to_stamp_us)),
        after_server_stamp_ms: (!s.from_stamp_us.is_empty())
            .then(|| summarize(&mut s.from_stamp_us)),
        sent,
        expected: exp,
        received: s.unique,
        lost: exp.saturating_sub(s.unique),
        duplicated: s.dup,
        out_of_order: s.out_of_order,
        seq_checked: s.seq_seen,
        seq_out_of_order: s.seq_out_of_order,
        request_errors: s.request_errors,
        connect_failed: s.connect_failed,
        join_failed: s.join_failed,
        disconnects: s.disconnects,
        errors: s.errors.clone(),
        setup_s,
        send_lag_ms: summarize(&mut s.send_lag_us),
        gen_cpu_pct,
        server_cpu_pct,
        node_cpu_pct,
        redis,
        gen_runq_wait_pct,
        server_runq_wait_pct,
        cpu_task_pct,
        server_rss_kib_before: rss_before,
        server_rss_kib_after: rss_all(),
        frames: s.frames,
        bytes: s.bytes,
        history,
        events,
    })
}

/// Keeps the newest `cap` seqs.
fn push_recent(q: &mut VecDeque<u64>, seq: u64, cap: usize) {
    if q.len() >= cap {
        q.pop_front();
    }
    q.push_back(seq);
}

/// The `code` of a refusal ack, `{"ok":false,"error":{"code":"...",...}}`.
fn error_code(payload: &str) -> String {
    payload
        .split_once("\"code\":\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map_or_else(|| "?".to_owned(), |(code, _)| code.to_owned())
}

fn expected(s: &Shared) -> u64 {
    s.sent
        .iter()
        .zip(&s.joined)
        .map(|(&n, &m)| n * u64::from(m))
        .sum()
}

/// Wall-clock microseconds since the Unix epoch.
fn wall_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

fn us(epoch: Instant, t: Instant) -> u64 {
    t.saturating_duration_since(epoch).as_micros() as u64
}

/// Waits until no frame has arrived for `quiet`, or `max` has passed.
async fn settle(sh: &Rc<RefCell<Shared>>, quiet: Duration, max: Duration) {
    let deadline = Instant::now() + max;
    let mut last = sh.borrow().frames;
    let mut still_since = Instant::now();
    while Instant::now() < deadline {
        sleep(Duration::from_millis(50)).await;
        let now = sh.borrow().frames;
        if now != last {
            last = now;
            still_since = Instant::now();
        } else if still_since.elapsed() >= quiet {
            return;
        }
    }
}

struct Member {
    idx: u32,
    room: usize,
    room_name: String,
    nick: String,
    sender: bool,
    /// The node this member is connected to, and how the others' nodes are found.
    node: usize,
    rooms: usize,
    nodes: usize,
    /// The mix is on: keep recent seqs (own, and the room's for its first member) and check
    /// event acks.
    events: bool,
}

impl Member {
    async fn run(
        self,
        addr: SocketAddr,
        read_buf: usize,
        sh: Rc<RefCell<Shared>>,
        sem: Rc<Semaphore>,
        epoch: Instant,
        wall0_us: u64,
    ) {
        let permit = sem.acquire().await;
        let ws = match sio::connect(addr, None, read_buf).await {
            Ok(ws) => ws,
            Err(e) => {
                let mut s = sh.borrow_mut();
                s.connect_failed += 1;
                s.error(format!("connect: {e:#}"));
                return;
            }
        };
        drop(permit);
        sh.borrow_mut().connected += 1;
        let (reader, outbox) = sio::split(ws);
        let join = format!(
            "{{\"roomName\":{},\"nickName\":{}}}",
            quote(&self.room_name),
            quote(&self.nick)
        );
        let _ = outbox.send(event("joinRoom", &join, Some(1)));
        let mut tracks: Vec<Track> = Vec::new();
        let mut last_seq = 0u64;
        let mut joined = false;
        let find = Finders::new();
        let sh2 = sh.clone();
        let outbox2 = outbox.clone();
        sio::read_loop(reader, &outbox, |frame| {
            let now = us(epoch, Instant::now());
            let mut s = sh2.borrow_mut();
            s.frames += 1;
            s.bytes += frame.len() as u64;
            match sio::parse(frame) {
                Packet::Ack { id: 1, payload } if !joined => {
                    joined = true;
                    if payload.contains("\"ok\":false") {
                        s.join_failed += 1;
                        s.error(format!("join: {payload}"));
                    } else {
                        s.joined[self.room] += 1;
                        if self.sender {
                            s.senders.push((
                                self.room,
                                self.idx,
                                outbox2.clone(),
                                self.room_name.clone(),
                            ));
                        }
                    }
                }
                Packet::Event { payload } if payload.starts_with("[\"message\"") => {
                    if find.history.find(payload.as_bytes()).is_some() {
                        return true;
                    }
                    let seq = find_u64(payload, &find.seq);
                    if let Some(seq) = seq {
                        if self.idx as usize == self.room {
                            s.room_last[self.room] = s.room_last[self.room].max(seq);
                        }
                        s.seq_seen = true;
                        if seq <= last_seq {
                            s.seq_out_of_order += 1;
                        }
                        last_seq = last_seq.max(seq);
                    }
                    let Some(at) = find.marker.find(payload.as_bytes()) else {
                        return true;
                    };
                    let b = &payload.as_bytes()[at + 4..];
                    let Some((sender, n1)) = parse_u64(b) else {
                        return true;
                    };
                    let Some((k, n2)) = parse_u64(&b[n1..]) else {
                        return true;
                    };
                    let Some((t, _)) = parse_u64(&b[n1 + n2..]) else {
                        return true;
                    };
                    if let (true, Some(seq)) = (self.events, seq) {
                        if sender == u64::from(self.idx) {
                            push_recent(s.own_recent.entry(self.idx).or_default(), seq, OWN_RECENT);
                        }
                        if self.idx as usize == self.room {
                            push_recent(&mut s.room_recent[self.room], seq, RECENT);
                        }
                    }
                    let track = match tracks.iter_mut().position(|t| t.sender == sender as u32) {
                        Some(p) => &mut tracks[p],
                        None => {
                            tracks.push(Track {
                                sender: sender as u32,
                                last: -1,
                                seen: Vec::new(),
                            });
                            tracks.last_mut().unwrap()
                        }
                    };
                    let (word, bit) = ((k / 64) as usize, k % 64);
                    if track.seen.len() <= word {
                        track.seen.resize(word + 1, 0);
                    }
                    if track.seen[word] & (1 << bit) != 0 {
                        s.dup += 1;
                        return true;
                    }
                    track.seen[word] |= 1 << bit;
                    s.unique += 1;
                    if (k as i64) < track.last {
                        s.out_of_order += 1;
                    }
                    track.last = track.last.max(k as i64);
                    let (w0, w1) = s.window;
                    if t >= w0 && t < w1 {
                        let lat = now.saturating_sub(t).min(u64::from(u32::MAX)) as u32;
                        s.lat_us.push(lat);
                        if self.nodes > 1 {
                            if node_of(sender as usize, self.rooms, self.nodes) == self.node {
                                s.lat_local_us.push(lat);
                            } else {
                                s.lat_cross_us.push(lat);
                            }
                        }
                        if let Some(ts_ms) = find_u64(payload, &find.ts) {
                            // Both sides in wall-clock µs; the stamp is whole ms.
                            let stamp = ts_ms * 1000;
                            let (sent, got) = (wall0_us + t, wall0_us + now);
                            s.to_stamp_us
                                .push(stamp.saturating_sub(sent).min(u64::from(u32::MAX)) as u32);
                            s.from_stamp_us
                                .push(got.saturating_sub(stamp).min(u64::from(u32::MAX)) as u32);
                        }
                    }
                    if now >= w0 && now < w1 {
                        s.in_window += 1;
                    }
                }
                Packet::Event { payload } if payload.starts_with("[\"messageUpdate\"") => {
                    s.ev.updates_received += 1;
                    if let Some(seq) = find_u64(payload, &find.seq) {
                        if self.idx as usize == self.room {
                            s.room_last[self.room] = s.room_last[self.room].max(seq);
                        }
                        if seq <= last_seq {
                            s.seq_out_of_order += 1;
                        }
                        last_seq = last_seq.max(seq);
                    }
                }
                Packet::Ack { id, payload } if id >= 2 => {
                    let Some((kind, t0)) = s.pending.remove(&(self.idx, id)) else {
                        s.error(format!("unexpected ack {id}: {payload}"));
                        return true;
                    };
                    s.ev_ack_us
                        .push(t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    let stored = find.seq.find(payload.as_bytes()).is_some();
                    if payload.contains("\"ok\":true") {
                        let ev = &mut s.ev;
                        match kind {
                            EventKind::Edit => ev.edits_acked += 1,
                            EventKind::ReactOn => ev.reacts_on_acked += 1,
                            EventKind::ReactOff => ev.reacts_off_acked += 1,
                            EventKind::Delete => ev.deletes_acked += 1,
                        }
                        if stored {
                            let members = u64::from(s.joined[self.room]);
                            s.ev.updates_expected += members;
                        } else if matches!(kind, EventKind::ReactOn | EventKind::ReactOff) {
                            s.ev.reacts_noop += 1;
                        } else {
                            s.ev.unexpected_refusals += 1;
                            s.error(format!("{kind:?} acked without a seq: {payload}"));
                        }
                    } else {
                        let code = error_code(payload);
                        // Another sender may delete a message between our pick and the
                        // reaction: the one refusal the mix provokes on purpose.
                        let expected = matches!(kind, EventKind::ReactOn | EventKind::ReactOff)
                            && code == "message_deleted";
                        if expected {
                            *s.ev.expected_refusals.entry(code).or_default() += 1;
                        } else {
                            s.ev.unexpected_refusals += 1;
                            s.error(format!("{kind:?}: {payload}"));
                        }
                    }
                }
                Packet::Event { payload } if payload.starts_with("[\"requestError\"") => {
                    s.request_errors += 1;
                    s.error(format!("requestError: {payload}"));
                }
                Packet::ConnectError(e) => s.error(format!("connect_error: {e}")),
                _ => {}
            }
            true
        })
        .await;
        let mut s = sh.borrow_mut();
        if !s.shutting_down {
            s.disconnects += 1;
            s.error(format!("member {} disconnected", self.idx));
        }
    }
}

struct Sender {
    room: usize,
    idx: u32,
    outbox: Outbox,
    room_name: String,
    nick: String,
    msg_len: usize,
    events_share: f64,
    events_mix: Vec<f64>,
}

/// A sender's own side of the mix: its reactions that are on (seq, emoji), its ack ids, its dice.
struct Mix {
    on: Vec<(u64, usize)>,
    next_id: u64,
    rng: u64,
    n: u64,
}

impl Mix {
    fn unit(&mut self) -> f64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl Sender {
    /// The event this due request becomes, if the dice say so and there is a target: its name,
    /// payload and ack id (registered as pending).
    fn event(
        &self,
        mix: &mut Mix,
        s: &mut Shared,
        room: &str,
    ) -> Option<(&'static str, String, u64)> {
        if self.events_share <= 0.0 || mix.unit() >= self.events_share {
            return None;
        }
        let [we, wr, wd] = [self.events_mix[0], self.events_mix[1], self.events_mix[2]];
        let pick = mix.unit() * (we + wr + wd);
        let r = mix.unit();
        let own = s.own_recent.entry(self.idx).or_default();
        let (kind, name, payload) = if pick < we || pick >= we + wr {
            // Edit or delete one of its own recent messages (a delete takes it off the list,
            // so it is never edited again).
            if own.is_empty() {
                s.ev.fell_back_to_message += 1;
                return None;
            }
            let i = ((r * own.len() as f64) as usize).min(own.len() - 1);
            if pick < we {
                let seq = own[i];
                mix.n += 1;
                let mut text = format!("edit {} {}", self.idx, mix.n);
                while text.len() < self.msg_len {
                    text.push('y');
                }
                s.ev.edits_sent += 1;
                let p = format!(
                    "{{\"room\":{room},\"seq\":{seq},\"message\":{}}}",
                    quote(&text)
                );
                (EventKind::Edit, "editMessage", p)
            } else {
                let seq = own.remove(i).unwrap_or_default();
                s.ev.deletes_sent += 1;
                (
                    EventKind::Delete,
                    "deleteMessage",
                    format!("{{\"room\":{room},\"seq\":{seq}}}"),
                )
            }
        } else {
            // Toggle one of its reactions on one of the room's recent messages.
            let recent = &s.room_recent[self.room];
            if recent.is_empty() {
                s.ev.fell_back_to_message += 1;
                return None;
            }
            // Forget reactions on messages that left the window.
            let oldest = recent[0];
            mix.on.retain(|(q, _)| *q >= oldest);
            // Half the time take back one of its reactions, else add one (or take it back if
            // it is already on).
            let (seq, e, on) = if !mix.on.is_empty() && mix.unit() < 0.5 {
                let i = ((r * mix.on.len() as f64) as usize).min(mix.on.len() - 1);
                let (seq, e) = mix.on.swap_remove(i);
                (seq, e, false)
            } else {
                let seq = recent[((r * recent.len() as f64) as usize).min(recent.len() - 1)];
                let e = ((mix.unit() * EMOJI.len() as f64) as usize).min(EMOJI.len() - 1);
                match mix.on.iter().position(|x| *x == (seq, e)) {
                    Some(i) => {
                        mix.on.swap_remove(i);
                        (seq, e, false)
                    }
                    None => {
                        mix.on.push((seq, e));
                        (seq, e, true)
                    }
                }
            };
            let kind = if on {
                s.ev.reacts_on_sent += 1;
                EventKind::ReactOn
            } else {
                s.ev.reacts_off_sent += 1;
                EventKind::ReactOff
            };
            let p = format!(
                "{{\"room\":{room},\"seq\":{seq},\"emoji\":{},\"on\":{}}}",
                quote(EMOJI[e]),
                on
            );
            (kind, "react", p)
        };
        let id = mix.next_id;
        mix.next_id += 1;
        s.pending.insert((self.idx, id), (kind, Instant::now()));
        Some((name, payload, id))
    }

    /// Open loop: message k is due at `start + k / rate` whatever happens to earlier messages;
    /// a late wake-up sends everything that is due at once.
    async fn run(
        self,
        rate: f64,
        start: Instant,
        end: Instant,
        epoch: Instant,
        sh: Rc<RefCell<Shared>>,
    ) {
        let period = 1.0 / rate;
        let room = quote(&self.room_name);
        let nick = quote(&self.nick);
        let mut k: u64 = 0;
        let mut mix = Mix {
            on: Vec::new(),
            next_id: 2,
            rng: 0x9E37_79B9_7F4A_7C15
                ^ (u64::from(self.idx) + 1).wrapping_mul(0x2545_F491_4F6C_DD1D),
            n: 0,
        };
        loop {
            let due = start + Duration::from_secs_f64(k as f64 * period);
            if due >= end {
                return;
            }
            tokio::time::sleep_until(due.into()).await;
            let now = Instant::now();
            let mut s = sh.borrow_mut();
            s.send_lag_us.push(
                now.saturating_duration_since(due)
                    .as_micros()
                    .min(u32::MAX as u128) as u32,
            );
            loop {
                let due = start + Duration::from_secs_f64(k as f64 * period);
                if due > now || due >= end {
                    break;
                }
                if let Some((name, payload, id)) = self.event(&mut mix, &mut s, &room) {
                    if self.outbox.send(event(name, &payload, Some(id))).is_err() {
                        return;
                    }
                    k += 1;
                    continue;
                }
                // The send instant, not the due one: tokio's 1 ms timer wheel would otherwise add
                // up to 1 ms to every sample. Schedule slip is reported as send_lag instead.
                let mut text = format!("lg {} {} {}", self.idx, k, us(epoch, now));
                if text.len() < self.msg_len {
                    text.push(' ');
                    while text.len() < self.msg_len {
                        text.push('x');
                    }
                }
                let payload =
                    format!("{{\"room\":{room},\"nickName\":{nick},\"message\":\"{text}\"}}");
                if self
                    .outbox
                    .send(event("sendMessage", &payload, None))
                    .is_err()
                {
                    return;
                }
                s.sent[self.room] += 1;
                let at = us(epoch, now);
                if at >= s.window.0 && at < s.window.1 {
                    s.sent_in_window += 1;
                }
                k += 1;
            }
        }
    }
}

/// Who a joiner is and what replay it waits for (see `RateArgs::since_back`).
struct JoinerSpec {
    room_name: String,
    nick: String,
    want: usize,
    room: usize,
    since_back: u64,
}

/// Joins `room_name` at `at` and records how long the history replay takes.
async fn joiner(
    addr: SocketAddr,
    read_buf: usize,
    at: Instant,
    spec: JoinerSpec,
    sh: Rc<RefCell<Shared>>,
) {
    let JoinerSpec {
        room_name,
        nick,
        want,
        room,
        since_back,
    } = spec;
    tokio::time::sleep_until(at.into()).await;
    let t0 = Instant::now();
    let ws = match sio::connect(addr, None, read_buf).await {
        Ok(ws) => ws,
        Err(e) => {
            let mut s = sh.borrow_mut();
            s.hist_failed += 1;
            s.error(format!("joiner connect: {e:#}"));
            return;
        }
    };
    let (reader, outbox) = sio::split(ws);
    let since = if since_back > 0 {
        let since = sh.borrow().room_last[room].saturating_sub(since_back);
        format!(",\"since\":{since}")
    } else {
        String::new()
    };
    let join = format!(
        "{{\"roomName\":{},\"nickName\":{}{since}}}",
        quote(&room_name),
        quote(&nick)
    );
    let _ = outbox.send(event("joinRoom", &join, Some(1)));
    let mut count = 0usize;
    let mut last_seq = 0u64;
    let mut got_hist = false;
    let mut got_ack = false;
    let find = Finders::new();
    let sh2 = sh.clone();
    let stopped = sio::read_loop(reader, &outbox, |frame| {
        let mut s = sh2.borrow_mut();
        match sio::parse(frame) {
            Packet::Event { payload }
                if since_back > 0 && !got_ack && payload.starts_with("[\"messageUpdate\"") =>
            {
                s.hist_rows += 1;
                s.hist_bytes += frame.len() as u64;
                if let Some(seq) = find_u64(payload, &find.seq) {
                    if seq <= last_seq {
                        s.hist_out_of_order += 1;
                    }
                    last_seq = seq;
                }
            }
            Packet::Event { payload }
                if payload.starts_with("[\"message\"")
                    && find.history.find(payload.as_bytes()).is_some() =>
            {
                count += 1;
                s.hist_rows += 1;
                s.hist_bytes += frame.len() as u64;
                let b = payload.as_bytes();
                if find.edited.find(b).is_some() {
                    s.hist_edited += 1;
                }
                if find.deleted.find(b).is_some() {
                    s.hist_deleted += 1;
                }
                if find.reactions.find(b).is_some() {
                    s.hist_reacted += 1;
                }
                if let Some(seq) = find_u64(payload, &find.seq) {
                    if seq <= last_seq {
                        s.hist_out_of_order += 1;
                    }
                    last_seq = seq;
                }
                if count == want && since_back == 0 {
                    got_hist = true;
                    s.hist_us.push(t0.elapsed().as_micros() as u32);
                }
            }
            Packet::Ack { id: 1, payload } => {
                got_ack = true;
                s.hist_ack_us.push(t0.elapsed().as_micros() as u32);
                if payload.contains("\"ok\":false") {
                    s.hist_failed += 1;
                    s.error(format!("joiner join: {payload}"));
                    return false;
                }
                if since_back > 0 {
                    // A catch-up is complete at its ack, unless the ack says it was cut.
                    if payload.contains("\"more\":true") {
                        s.hist_incomplete += 1;
                        s.error(format!("joiner's catch-up was cut ({count} messages)"));
                    } else {
                        s.hist_us.push(t0.elapsed().as_micros() as u32);
                    }
                } else if !got_hist {
                    s.hist_incomplete += 1;
                    s.error(format!(
                        "joiner got {count} history messages before the ack"
                    ));
                }
            }
            _ => {}
        }
        !(got_ack)
    })
    .await;
    if !stopped {
        let mut s = sh.borrow_mut();
        s.hist_failed += 1;
        s.error("joiner disconnected".into());
    }
}

#[cfg(test)]
mod tests {
    use super::{error_code, node_of};

    #[test]
    fn reads_a_refusal_code() {
        assert_eq!(
            error_code(r#"[{"ok":false,"error":{"code":"message_deleted","message":"x"}}]"#),
            "message_deleted"
        );
        assert_eq!(error_code(r#"[{"ok":false}]"#), "?");
    }

    #[test]
    fn members_of_every_room_land_on_every_node() {
        // One room: plain round-robin.
        assert_eq!(
            (0..6).map(|i| node_of(i, 1, 3)).collect::<Vec<_>>(),
            [0, 1, 2, 0, 1, 2]
        );
        // 100 rooms of 10 over 2 nodes: i mod 2 would put each room on one node (100 is even).
        for nodes in 2..=3 {
            for room in 0..100 {
                let on: std::collections::HashSet<_> = (0..10)
                    .map(|k| node_of(room + 100 * k, 100, nodes))
                    .collect();
                assert_eq!(on.len(), nodes, "room {room} over {nodes} nodes");
            }
            let first: std::collections::HashSet<_> =
                (0..100).map(|room| node_of(room, 100, nodes)).collect();
            assert_eq!(first.len(), nodes, "the rooms' senders are spread too");
        }
    }
}
