//! The hub: the ordering argument, and nothing else. Every request goes through one queue and
//! one driver at a time: queue → [`Chat`] (the rules) → store → [`Deliver`] (the effects).
//!
//! Socket.IO handlers validate and queue each request inline, in the socket's receive loop, so
//! a socket's requests enter the queue in the order it sent them. Whoever queues a request while
//! nobody is driving the hub becomes its driver and applies the queue right there, in batches
//! (flat combining): the core updates rooms and hands out seqs in memory, the batch's new
//! messages are stored in one SQLite transaction, and only then are broadcasts and acks sent,
//! in order. Requests queued meanwhile (from other threads) are taken by the same driver. One
//! driver at a time is what gives every member the same order; driving inline rather than on a
//! hub task saves a trip through the run queue per request — with a thousand socket writers
//! queued on the core, that trip halved the fan-out (docs/benchmarks.md).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use socketioxide::extract::SocketRef;
use tokio::sync::oneshot;

use super::deliver::{Deliver, Reply, Sink};
use super::lock;
use super::outflow::Outflow;
use crate::chat::{Batch, Chat, ConnId, Ctx, Effect, FilePost, Input};
use crate::protocol::{ErrorCode, Message, Request, RoomOverview, SendAck, WireError};
use crate::store::Store;

/// One unit of work for the hub.
pub enum Job {
    /// A connection passed the handshake.
    Connect {
        conn: ConnId,
        /// Its socket and queued output (charged by `deliver`); `None` for a connection on
        /// another node of a cluster.
        local: Option<(SocketRef, Arc<Outflow>)>,
        session: Option<String>,
        /// Its public user id (from `auth.userKey`).
        user: String,
        /// Came over plain HTTP, not TLS.
        plain: bool,
    },
    Disconnect {
        conn: ConnId,
    },
    Request {
        conn: ConnId,
        req: Request,
        /// `None` for a request made on another node of a cluster.
        reply: Option<Reply>,
    },
    /// The files service announces a stored file.
    PostFile {
        post: FilePost,
        done: oneshot::Sender<Result<SendAck, WireError>>,
    },
    /// The host's controls.
    Kick {
        room: String,
        nick: String,
        by: String,
        /// `None` when another node's host asked.
        done: Option<oneshot::Sender<Result<(), WireError>>>,
    },
    /// The host deletes a message.
    HostDelete {
        room: String,
        seq: u64,
        by: String,
        done: Option<oneshot::Sender<Result<(), WireError>>>,
    },
    /// The host clears a room's history.
    HostClear {
        room: String,
        by: String,
        done: Option<oneshot::Sender<Result<(), WireError>>>,
    },
    /// Cluster mode: a node is gone (its heartbeat stopped, or it stopped): everyone connected
    /// through it leaves.
    NodeDown {
        node: u64,
    },
    /// Cluster mode: a job as the log has it, applied at the time the log gave it (ms since the
    /// epoch, from its entry id), so that every node applies it alike.
    Logged {
        at_ms: i64,
        job: Box<Job>,
    },
    /// Occupied rooms and their members (`/api/info`, the host's moderation view).
    Rooms {
        done: oneshot::Sender<Vec<RoomOverview>>,
    },
}

impl Job {
    /// The client's reply handle, to refuse the job when the queue is full.
    pub fn into_reply(self) -> Option<Reply> {
        match self {
            Job::Request { reply, .. } => reply,
            Job::Logged { job, .. } => job.into_reply(),
            _ => None,
        }
    }
}

/// A stored batch's effects still to perform.
struct Pending {
    effects: VecDeque<Effect>,
    stored: Vec<Message>,
    /// Where each request's outcome goes, by `ReqId`.
    sinks: Vec<Option<Sink>>,
    /// Connections gone in this batch: forgotten once its effects are performed.
    gone: Vec<ConnId>,
}

enum Step {
    Done,
    /// Let other tasks (the sockets' writers) run, then continue.
    Yield,
}

/// Requests waiting for the hub, and whether someone is driving it.
struct Queue {
    items: VecDeque<Job>,
    driving: bool,
    /// When the last batch was taken, and how many requests it had.
    last_batch: Option<(Instant, usize)>,
}

/// A request arriving this soon after the previous batch (or while batches still gather more
/// than one request) is left to a driver task that first yields, so that the requests arriving
/// meanwhile share one batch — one SQLite commit — instead of a commit each. Spaced further
/// apart (a big room's fan-out), requests are applied at once.
const BATCH_WINDOW: Duration = Duration::from_micros(250);

/// Batches one driver applies before it yields: under sustained load from other threads the queue
/// may never empty, and a receive loop should not be kept from its own socket for long.
const TURNS_PER_DRIVE: usize = 8;

/// Most requests applied in one batch (one SQLite transaction).
const MAX_BATCH: usize = 256;

struct HubState {
    queue: Mutex<Queue>,
    /// Locked only by the current driver, so never contended. `None` once the server stopped:
    /// the store (and its database file) is closed then, though sockets may still hold handles.
    hub: Mutex<Option<Hub>>,
    max_queue: usize,
}

/// Cluster mode: where jobs go instead of the hub's own queue — the shared log, which every node
/// (this one included) follows and hands back through [`HubHandle::apply_logged`].
pub trait Log: Send + Sync {
    /// Appends `job` to the log, or gives it back when too many wait (`bounded`).
    fn append(&self, job: Job, bounded: bool) -> Option<Job>;
}

/// Where requests go: a cheap handle to the hub, shared by every socket and the host's controls.
#[derive(Clone)]
pub struct HubHandle {
    state: Arc<HubState>,
    /// Cluster mode: the log every job but `Rooms` goes through first.
    log: Option<Arc<dyn Log>>,
}

impl HubHandle {
    /// `max_queue`: requests that may wait before `try_submit` refuses more.
    pub fn new(hub: Hub, max_queue: usize, log: Option<Arc<dyn Log>>) -> HubHandle {
        HubHandle {
            log,
            state: Arc::new(HubState {
                queue: Mutex::new(Queue {
                    items: VecDeque::new(),
                    driving: false,
                    last_batch: None,
                }),
                hub: Mutex::new(Some(hub)),
                max_queue,
            }),
        }
    }

    /// Queues a job and, if nobody is driving the hub, applies the queue now. Gives the job
    /// back, refused, when `max_queue` jobs are already waiting.
    #[must_use]
    pub fn try_submit(&self, job: Job) -> Option<Job> {
        match &self.log {
            Some(log) if !matches!(job, Job::Rooms { .. }) => log.append(job, true),
            _ => self.push(job, true),
        }
    }

    /// Like `try_submit`, but never refused: disconnects and the host's own requests.
    pub fn submit(&self, job: Job) {
        match &self.log {
            Some(log) if !matches!(job, Job::Rooms { .. }) => {
                let _ = log.append(job, false);
            }
            _ => {
                let _ = self.push(job, false);
            }
        }
    }

    /// Cluster mode: jobs read back from the log, in its order, for this node's hub to apply.
    pub fn apply_logged(&self, jobs: Vec<Job>) {
        let Some(last) = jobs.len().checked_sub(1) else {
            return;
        };
        let mut jobs = jobs.into_iter();
        {
            let mut q = lock(&self.state.queue);
            q.items.extend(jobs.by_ref().take(last));
        }
        let _ = self.push(jobs.next().expect("one left"), false);
    }

    /// Queues a job without driving: for the connect middleware, which runs inside
    /// socketioxide's connect path, where broadcasting (as a driver may) would deadlock on the
    /// namespace's locks. The next request — the connection's own first one at the latest —
    /// drives it, in order.
    pub fn enqueue(&self, job: Job) {
        match &self.log {
            // Appending only queues for the log's writer: no driving, so no broadcast here.
            Some(log) => {
                let _ = log.append(job, false);
            }
            None => lock(&self.state.queue).items.push_back(job),
        }
    }

    /// Drops the core, the store and the sockets' map (the server has stopped). Jobs that
    /// arrive later are dropped unanswered.
    pub fn close(&self) {
        let hub = lock(&self.state.hub).take();
        drop(hub);
    }

    fn push(&self, job: Job, bounded: bool) -> Option<Job> {
        let busy = {
            let mut q = lock(&self.state.queue);
            if bounded && q.items.len() >= self.state.max_queue {
                return Some(job);
            }
            q.items.push_back(job);
            if q.driving {
                return None;
            }
            q.driving = true;
            q.last_batch
                .is_some_and(|(t, n)| n > 1 || t.elapsed() < BATCH_WINDOW)
        };
        let mut pending = None;
        if busy || matches!(self.drive(&mut pending), Step::Yield) {
            // Drive from a task of its own: after a yield, so that the requests arriving
            // meanwhile share a batch, or between history chunks, so the joiner's writer runs.
            let me = self.clone();
            tokio::spawn(async move {
                loop {
                    tokio::task::yield_now().await;
                    if let Step::Done = me.drive(&mut pending) {
                        break;
                    }
                }
            });
        }
        None
    }

    /// Applies queued jobs until the queue is empty (then stops driving) or an effect needs to
    /// yield. Only the driver calls this.
    fn drive(&self, pending: &mut Option<Pending>) -> Step {
        // A bug that panics here loses the batch in hand, not the hub: whoever submits next
        // drives again.
        let _unwinding = ReleaseOnPanic(&self.state);
        let mut turns = 0;
        loop {
            if let Some(p) = pending {
                let mut hub = lock(&self.state.hub);
                if let Some(hub) = hub.as_mut() {
                    if let Step::Yield = hub.perform_some(p) {
                        return Step::Yield;
                    }
                    for conn in p.gone.drain(..) {
                        hub.deliver.remove(conn);
                    }
                }
                drop(hub);
                *pending = None;
            }
            if turns == TURNS_PER_DRIVE {
                // Busy for a while: let the socket (or task) that drives get on with its own
                // work, and finish from a task of its own.
                return Step::Yield;
            }
            let batch: Vec<Job> = {
                let mut q = lock(&self.state.queue);
                if q.items.is_empty() {
                    q.driving = false;
                    return Step::Done;
                }
                let n = q.items.len().min(MAX_BATCH);
                q.last_batch = Some((Instant::now(), n));
                q.items.drain(..n).collect()
            };
            *pending = lock(&self.state.hub).as_mut().map(|hub| hub.process(batch));
            turns += 1;
        }
    }
}

struct ReleaseOnPanic<'a>(&'a HubState);

impl Drop for ReleaseOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(&self.0.queue).driving = false;
        }
    }
}

/// The core, the store and the sockets, owned by whoever drives.
pub struct Hub {
    chat: Chat,
    store: Store,
    deliver: Deliver,
    /// Sizes of what a room keeps in memory: `(cache_len, dedupe_len)`.
    room_sizes: (usize, usize),
    /// Cluster mode: every node must decide alike, so no rule may look at whether a socket of
    /// this node is still up (a connection is live until its logged disconnect), and the store
    /// is this node's replica of what the log made.
    clustered: bool,
}

/// Maps a log entry's time (ms since the epoch) to an `Instant` that keeps the distances
/// between entries, so durations the rules measure (bans, replay credit) agree on every node.
fn instant_at(at_ms: i64, now: Instant, now_ms: i64) -> Instant {
    let ahead = at_ms.saturating_sub(now_ms);
    if ahead >= 0 {
        now + Duration::from_millis(ahead as u64)
    } else {
        now.checked_sub(Duration::from_millis(ahead.unsigned_abs()))
            .unwrap_or(now)
    }
}

impl Hub {
    pub fn new(
        chat: Chat,
        store: Store,
        deliver: Deliver,
        room_sizes: (usize, usize),
        clustered: bool,
    ) -> Hub {
        Hub {
            chat,
            store,
            deliver,
            room_sizes,
            clustered,
        }
    }

    /// Applies a batch and stores its messages; what remains to do is in the returned effects.
    fn process(&mut self, batch: Vec<Job>) -> Pending {
        let mut b = Batch::default();
        let mut sinks = Vec::new();
        let mut gone = Vec::new();
        let now = Instant::now();
        let now_ms = crate::clock::now_ms();
        for job in batch {
            let (job, now, now_ms) = match job {
                Job::Logged { at_ms, job } => (*job, instant_at(at_ms, now, now_ms), at_ms),
                job => (job, now, now_ms),
            };
            let input = match job {
                Job::Connect {
                    conn,
                    local,
                    session,
                    user,
                    plain,
                } => {
                    if let Some((socket, outflow)) = local {
                        self.deliver.add(conn, socket, outflow);
                    }
                    Input::Connect {
                        conn,
                        session,
                        user,
                        plain,
                    }
                }
                Job::Disconnect { conn } => {
                    gone.push(conn);
                    Input::Disconnect { conn }
                }
                Job::Request { conn, req, reply } => {
                    let id = sinks.len();
                    sinks.push(reply.map(Sink::Client));
                    let input = Input::Request {
                        conn,
                        id,
                        req,
                        backlog: None,
                    };
                    match self.read_or_refuse(input, id, &mut b) {
                        Some(input) => input,
                        None => continue,
                    }
                }
                Job::PostFile { post, done } => {
                    let id = sinks.len();
                    sinks.push(Some(Sink::Posted(done)));
                    match self.read_or_refuse(Input::PostFile { id, post }, id, &mut b) {
                        Some(input) => input,
                        None => continue,
                    }
                }
                Job::Kick {
                    room,
                    nick,
                    by,
                    done,
                } => {
                    let id = sinks.len();
                    sinks.push(done.map(Sink::Host));
                    Input::Kick { id, room, nick, by }
                }
                Job::HostDelete {
                    room,
                    seq,
                    by,
                    done,
                } => {
                    let id = sinks.len();
                    sinks.push(done.map(Sink::Host));
                    let input = Input::HostDelete { id, room, seq, by };
                    match self.read_or_refuse(input, id, &mut b) {
                        Some(input) => input,
                        None => continue,
                    }
                }
                Job::HostClear { room, by, done } => {
                    let id = sinks.len();
                    sinks.push(done.map(Sink::Host));
                    let input = Input::HostClear { id, room, by };
                    match self.read_or_refuse(input, id, &mut b) {
                        Some(input) => input,
                        None => continue,
                    }
                }
                Job::Rooms { done } => {
                    let _ = done.send(self.chat.rooms_overview());
                    continue;
                }
                Job::NodeDown { node } => {
                    let ctx = Ctx {
                        now,
                        now_ms,
                        live: &|_| true,
                    };
                    for conn in self.chat.conns_of_node(node) {
                        gone.push(conn);
                        self.chat.apply(Input::Disconnect { conn }, &ctx, &mut b);
                    }
                    continue;
                }
                Job::Logged { .. } => {
                    tracing::error!("a logged job inside a logged job: dropped");
                    continue;
                }
            };
            let deliver = &self.deliver;
            let clustered = self.clustered;
            let live = |c| clustered || deliver.is_live(c);
            let ctx = Ctx {
                now,
                now_ms,
                live: &live,
            };
            self.chat.apply(input, &ctx, &mut b);
        }
        self.chat.finish(&mut b);
        let mut ok = true;
        if !b.stored.is_empty() {
            // Inline: a batch insert into the WAL takes tens of microseconds (checkpoints run
            // on their own thread).
            if let Err(e) = self.store.commit(&b.stored, &b.updated) {
                tracing::error!("storing {} messages failed: {e}", b.stored.len());
                if self.clustered {
                    // The log has them: this node's replica no longer matches the others'.
                    tracing::error!("this node's replica is behind the cluster's log");
                }
                ok = false;
            }
        }
        self.chat.settle(&mut b, ok, now);
        Pending {
            effects: b.effects.into(),
            stored: b.stored,
            sinks,
            gone,
        }
    }

    /// [`Hub::read_for`], or request `id` refused in `b` when the store failed.
    fn read_or_refuse(&mut self, input: Input, id: usize, b: &mut Batch) -> Option<Input> {
        match self.read_for(input) {
            Ok(input) => Some(input),
            Err(e) => {
                b.effects.push(Effect::Reply {
                    id,
                    result: Err(e),
                    stored: None,
                });
                None
            }
        }
    }

    /// Reads what the core needs from the store before it applies `input`: the room, when it
    /// is not in memory, and a catch-up older than the room's cache.
    fn read_for(&mut self, mut input: Input) -> Result<Input, WireError> {
        let storage_failed = |what: &str, e: crate::store::StoreError| {
            tracing::error!("{what}: {e}");
            WireError::from(ErrorCode::StorageFailed)
        };
        if let Some(room) = self.chat.room_to_load(&input) {
            let (cache, dedupe) = self.room_sizes;
            let snap = self
                .store
                .load_room(room, cache, dedupe)
                .map_err(|e| storage_failed(&format!("loading room {room}"), e))?;
            self.chat.load_room(room, snap);
        }
        if let Some((room, seq)) = self.chat.target_needed(&input) {
            let msg = self
                .store
                .message(&room, seq)
                .map_err(|e| storage_failed(&format!("reading {room} #{seq}"), e))?;
            self.chat.load_target(&room, seq, msg);
        }
        if let Some(need) = self.chat.backlog_needed(&input) {
            let messages = self
                .store
                .since(&need.room, need.after, need.limit, need.max_bytes)
                .map_err(|e| storage_failed(&format!("history for {}", need.room), e))?;
            if let Input::Request { backlog, .. } = &mut input {
                *backlog = Some(messages);
            }
        }
        Ok(input)
    }

    /// Performs effects in order until done, or until a history replay needs the socket's
    /// writer to run before its next chunk (then the rest stays in `p`).
    fn perform_some(&mut self, p: &mut Pending) -> Step {
        while let Some(effect) = p.effects.pop_front() {
            if let Some(rest) = self.deliver.perform(effect, &p.stored, &mut p.sinks) {
                p.effects.push_front(rest);
                return Step::Yield;
            }
        }
        Step::Done
    }
}
