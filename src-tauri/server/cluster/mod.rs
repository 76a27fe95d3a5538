//! Cluster mode (issue #15): several nodes serve the same rooms, and Redis (or Valkey) holds the
//! one log they all follow — the single host's hub with its queue moved into Redis.
//!
//! Every hub job a node makes (a connection arriving or leaving, each client request, the host's
//! kicks and deletes) is appended to one Redis stream, [`LOG`], instead of the node's own queue
//! (`Log::append`, by a writer task, many entries per round trip). Every node — the one that
//! appended included — reads the stream from its start (the follower task) and applies each
//! entry, in stream order, to its own copy of the chat core, through the same hub as a single
//! host. The core is deterministic given its inputs and their times (an entry's time is its
//! stream id's), so every node hands out the same seqs and keeps the same members, bans,
//! clientIds and history; each node performs only the effects for its own sockets, and answers
//! its own clients' requests when it applies their entries. A node's SQLite store is its replica
//! of what the log made, rebuilt from the log when the node starts.
//!
//! What is appended is acknowledged only after Redis took it, so "acked" means "in Redis's log"
//! (with `appendfsync always`, on Redis's disk; docs/security.md). Nodes announce themselves with
//! heartbeat keys that expire after [`NODE_TTL`]; a node that finds another's key gone declares
//! it down in the log (`watch.rs`), and everyone connected through it leaves, alike everywhere.

mod entry;
mod watch;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::streams::StreamReadReply;
use socketioxide::SocketIo;
use socketioxide::extract::SocketRef;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::deliver::{Reply, respond};
use super::hub::{HubHandle, Job, Log};
use super::outflow::Outflow;
use super::{ClusterConfig, Config, Shared, lock};
use crate::chat::ConnId;
use crate::protocol::{ErrorCode, NodeInfo, WireError};
use crate::tls::Identity;
use entry::{Entry, Op, entry_ms};

/// The stream every node appends to and follows.
pub const LOG: &str = "lanchat:log";
/// The numbers of the nodes that announced themselves (a set).
const NODES: &str = "lanchat:nodes";
/// The counter that numbers nodes.
const NEXT_NODE: &str = "lanchat:nodes:next";
/// The cluster's one TLS identity (certificate and key, hex DER).
const IDENTITY: &str = "lanchat:identity";
/// The settings every node's rules must share (they decide alike only with the same limits).
const SETTINGS: &str = "lanchat:settings";

fn node_key(id: u64) -> String {
    format!("lanchat:node:{id}")
}

/// A node whose heartbeat key is this old is gone.
pub const NODE_TTL: Duration = Duration::from_secs(5);
/// How often a node renews its key and looks at the others.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// Entries read from the log at once.
const READ_BATCH: usize = 512;
/// Entries appended in one round trip (one MULTI/EXEC).
const WRITE_BATCH: usize = 256;
/// How long the follower's XREAD waits for new entries before asking again.
const BLOCK_MS: u64 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("{0:?} is not a Redis URL (redis://HOST:PORT): {1}")]
    BadUrl(String, redis::RedisError),
    #[error("cannot reach Redis at {0}: {1}")]
    Unreachable(String, redis::RedisError),
    #[error("the cluster's identity in Redis is damaged: {0}")]
    BadIdentity(String),
    #[error(
        "this node's settings differ from the cluster's; every node must run with the same.\n  cluster: {cluster}\n  this node: {node}"
    )]
    Settings { cluster: String, node: String },
}

/// What waits on this node for an entry it appended: a new connection's socket, a client's
/// ack, or the host's call.
enum Local {
    Socket(SocketRef, Arc<Outflow>),
    Client(Reply),
    Host(oneshot::Sender<Result<(), WireError>>),
}

impl Local {
    /// The entry never made it to the log.
    fn refuse(self) {
        match self {
            Local::Client(reply) => respond(reply, Err(ErrorCode::StorageFailed.into())),
            Local::Host(done) => {
                let _ = done.send(Err(ErrorCode::StorageFailed.into()));
            }
            Local::Socket(..) => {}
        }
    }
}

struct Outgoing {
    token: u64,
    op: Op,
}

/// One node of a cluster: its Redis connections, its number, and what waits for its entries.
pub struct Node {
    redis_url: String,
    client: redis::Client,
    redis: ConnectionManager,
    /// This node's number (a node declared down while it still runs takes a new one).
    id: AtomicU64,
    tokens: AtomicU64,
    locals: Mutex<HashMap<u64, Local>>,
    tx: mpsc::UnboundedSender<Outgoing>,
    rx: Mutex<Option<mpsc::UnboundedReceiver<Outgoing>>>,
    /// Requests appended and not yet in Redis, against `max_waiting`.
    waiting: AtomicUsize,
    max_waiting: usize,
    identity: Identity,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

/// The settings that decide what the rules do; nodes that disagree on them would diverge.
fn settings(config: &Config) -> String {
    format!(
        "history={} catchup={} replay_bytes={} replay_rate={:?} rooms_per_connection={} kick_ban_s={} max_message_chars={} max_file_bytes={}",
        config.history_on_join,
        config.catchup_limit,
        config.max_replay_bytes,
        config.replay_rate,
        config.max_rooms_per_socket,
        config.kick_ban.as_secs(),
        config.limits.max_message_chars,
        config.limits.max_file_bytes,
    )
}

impl Node {
    /// Connects to the cluster's Redis, takes a node number, and reads (or makes) the cluster's
    /// identity. Fails at once when Redis cannot be reached.
    pub async fn join(cluster: &ClusterConfig, config: &Config) -> Result<Arc<Node>, ClusterError> {
        let url = redacted(&cluster.redis_url);
        let client = redis::Client::open(cluster.redis_url.as_str())
            .map_err(|e| ClusterError::BadUrl(url.clone(), e))?;
        let unreachable = |e| ClusterError::Unreachable(url.clone(), e);
        let cfg = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(3)))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let mut redis = ConnectionManager::new_with_config(client.clone(), cfg)
            .await
            .map_err(unreachable)?;
        let mine = settings(config);
        let _: bool = redis.set_nx(SETTINGS, &mine).await.map_err(unreachable)?;
        let theirs: String = redis.get(SETTINGS).await.map_err(unreachable)?;
        if theirs != mine {
            return Err(ClusterError::Settings {
                cluster: theirs,
                node: mine,
            });
        }
        let identity = Self::shared_identity(&mut redis)
            .await
            .map_err(|e| match e {
                Ok(e) => unreachable(e),
                Err(bad) => ClusterError::BadIdentity(bad),
            })?;
        let id: u64 = redis.incr(NEXT_NODE, 1).await.map_err(unreachable)?;
        let (tx, rx) = mpsc::unbounded_channel();
        Ok(Arc::new(Node {
            redis_url: url,
            client,
            redis,
            id: AtomicU64::new(id),
            tokens: AtomicU64::new(0),
            locals: Mutex::new(HashMap::new()),
            tx,
            rx: Mutex::new(Some(rx)),
            waiting: AtomicUsize::new(0),
            max_waiting: config.queue_len,
            identity,
            tasks: Mutex::new(Vec::new()),
        }))
    }

    /// The cluster's identity: the first node makes it, the others read it.
    async fn shared_identity(
        redis: &mut ConnectionManager,
    ) -> Result<Identity, Result<redis::RedisError, String>> {
        let existing: Option<String> = redis.get(IDENTITY).await.map_err(Ok)?;
        let text = match existing {
            Some(t) => t,
            None => {
                let made = Identity::generate().map_err(|e| Err(e.to_string()))?;
                let (cert, key) = made.to_der();
                let text = format!("{}.{}", hex::encode(cert), hex::encode(key));
                let _: bool = redis.set_nx(IDENTITY, &text).await.map_err(Ok)?;
                redis.get(IDENTITY).await.map_err(Ok)?
            }
        };
        let (cert, key) = text.split_once('.').ok_or(Err("no separator".to_owned()))?;
        let (cert, key) = (
            hex::decode(cert).map_err(|e| Err(e.to_string()))?,
            hex::decode(key).map_err(|e| Err(e.to_string()))?,
        );
        Identity::from_der(cert, key).map_err(|e| Err(e.to_string()))
    }

    pub fn identity(&self) -> Identity {
        self.identity.clone()
    }

    pub fn id(&self) -> u64 {
        self.id.load(Ordering::Acquire)
    }

    /// Starts the writer, the follower and the heartbeat. `advertise`: where clients reach this
    /// node.
    pub(super) fn start(self: &Arc<Self>, shared: Arc<Shared>, io: SocketIo, advertise: String) {
        shared.node.store(self.id(), Ordering::Release);
        let rx = lock(&self.rx).take().expect("started once");
        let hub = shared.hub().clone();
        let tasks = vec![
            tokio::spawn(self.clone().write_loop(rx)),
            tokio::spawn(self.clone().follow_loop(hub, shared.clone(), io)),
            tokio::spawn(self.clone().heartbeat_loop(shared, advertise)),
        ];
        lock(&self.tasks).extend(tasks);
        tracing::info!(
            "cluster node {} on {} (the log: stream {LOG})",
            self.id(),
            self.redis_url
        );
    }

    /// A graceful stop: the cluster is told this node is gone (its members leave at once,
    /// rather than after the heartbeat lapses), then the tasks end.
    pub async fn leave(&self) {
        let id = self.id();
        let entry = Entry {
            n: id,
            t: 0,
            op: Op::NodeDown { node: id },
        };
        let mut conn = self.redis.clone();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("XADD")
            .arg(LOG)
            .arg("*")
            .arg("e")
            .arg(serde_json::to_string(&entry).unwrap_or_default())
            .ignore()
            .cmd("DEL")
            .arg(node_key(id))
            .ignore()
            .cmd("SREM")
            .arg(NODES)
            .arg(id)
            .ignore();
        let said = pipe.query_async::<()>(&mut conn);
        if let Err(e) = tokio::time::timeout(Duration::from_secs(2), said)
            .await
            .unwrap_or_else(|_| Err(redis::RedisError::from(std::io::Error::other("timed out"))))
        {
            tracing::warn!("could not tell the cluster this node stops: {e}");
        }
        for t in lock(&self.tasks).drain(..) {
            t.abort();
        }
    }

    /// Appends entries in order, many per round trip. When Redis is away, requests are refused
    /// (`storage_failed`) and connects and disconnects wait, in order, until it is back.
    async fn write_loop(self: Arc<Self>, mut rx: mpsc::UnboundedReceiver<Outgoing>) {
        let mut conn = self.redis.clone();
        let mut held: VecDeque<Outgoing> = VecDeque::new();
        let mut pause = Duration::from_millis(50);
        let mut warned = None::<Instant>;
        loop {
            if held.is_empty() {
                match rx.recv().await {
                    Some(o) => held.push_back(o),
                    None => return,
                }
            }
            while held.len() < WRITE_BATCH {
                match rx.try_recv() {
                    Ok(o) => held.push_back(o),
                    Err(_) => break,
                }
            }
            let n = self.id();
            let mut pipe = redis::pipe();
            pipe.atomic();
            for o in &held {
                let entry = Entry {
                    n,
                    t: o.token,
                    op: o.op.clone(),
                };
                let text = serde_json::to_string(&entry).expect("entries serialize");
                pipe.cmd("XADD")
                    .arg(LOG)
                    .arg("*")
                    .arg("e")
                    .arg(text)
                    .ignore();
            }
            match pipe.query_async::<()>(&mut conn).await {
                Ok(()) => {
                    let requests = held.iter().filter(|o| !o.op.must_land()).count();
                    self.waiting.fetch_sub(requests, Ordering::AcqRel);
                    held.clear();
                    pause = Duration::from_millis(50);
                }
                Err(e) => {
                    if warned.is_none_or(|t| t.elapsed() > Duration::from_secs(5)) {
                        tracing::warn!(
                            "cluster: cannot append to the log at {}: {e}; refusing requests until it is back",
                            self.redis_url
                        );
                        warned = Some(Instant::now());
                    }
                    held.retain(|o| {
                        if o.op.must_land() {
                            return true;
                        }
                        self.waiting.fetch_sub(1, Ordering::AcqRel);
                        if let Some(l) = lock(&self.locals).remove(&o.token) {
                            l.refuse();
                        }
                        false
                    });
                    if !held.is_empty() {
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_secs(1));
                    }
                }
            }
        }
    }

    /// A connection of its own for the blocking reads of the log.
    async fn follower_connection(&self) -> redis::RedisResult<MultiplexedConnection> {
        let cfg = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(
                Duration::from_millis(BLOCK_MS) + Duration::from_secs(3),
            ));
        self.client
            .get_multiplexed_async_connection_with_config(&cfg)
            .await
    }

    /// Reads the log from its start and hands every entry, in order, to this node's hub.
    async fn follow_loop(self: Arc<Self>, hub: HubHandle, shared: Arc<Shared>, io: SocketIo) {
        let mut conn: Option<MultiplexedConnection> = None;
        let mut last = "0-0".to_owned();
        let mut downed: HashSet<u64> = HashSet::new();
        let mut pause = Duration::from_millis(50);
        loop {
            let c = match &mut conn {
                Some(c) => c,
                None => match self.follower_connection().await {
                    Ok(c) => conn.insert(c),
                    Err(e) => {
                        tracing::debug!("cluster: following the log: {e}");
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_secs(1));
                        continue;
                    }
                },
            };
            let read: redis::RedisResult<Option<StreamReadReply>> = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(READ_BATCH)
                .arg("BLOCK")
                .arg(BLOCK_MS)
                .arg("STREAMS")
                .arg(LOG)
                .arg(&last)
                .query_async(c)
                .await;
            let reply = match read {
                Ok(Some(r)) => r,
                Ok(None) => continue,
                Err(e) => {
                    tracing::debug!("cluster: following the log: {e}");
                    conn = None;
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(1));
                    continue;
                }
            };
            pause = Duration::from_millis(50);
            let mut jobs = Vec::new();
            let mut reset = false;
            for item in reply.keys.into_iter().flat_map(|k| k.ids) {
                last = item.id.clone();
                let Some(text) = item.get::<String>("e") else {
                    continue;
                };
                let entry = match serde_json::from_str::<Entry>(&text) {
                    Ok(e) => e,
                    Err(e) => {
                        tracing::error!("cluster: log entry {} unreadable: {e}", item.id);
                        continue;
                    }
                };
                let at_ms = entry_ms(&item.id).unwrap_or_else(crate::clock::now_ms);
                if let Some(job) = self.job(entry, &mut downed, &mut reset) {
                    jobs.push(Job::Logged {
                        at_ms,
                        job: Box::new(job),
                    });
                }
            }
            hub.apply_logged(jobs);
            if reset {
                self.rejoin(&shared, &io).await;
            }
        }
    }

    /// A log entry as a hub job, with what waits for it on this node.
    fn job(&self, e: Entry, downed: &mut HashSet<u64>, reset: &mut bool) -> Option<Job> {
        let local = (e.n == self.id() && e.t != 0)
            .then(|| lock(&self.locals).remove(&e.t))
            .flatten();
        if downed.contains(&e.n) {
            // Written by a node after it was declared gone: its connections are gone too.
            if let Some(l) = local {
                l.refuse();
            }
            return None;
        }
        let host = |local: Option<Local>| match local {
            Some(Local::Host(done)) => Some(done),
            _ => None,
        };
        Some(match e.op {
            Op::Connect {
                conn,
                session,
                user,
                plain,
            } => Job::Connect {
                conn: ConnId(conn),
                local: match local {
                    Some(Local::Socket(s, o)) => Some((s, o)),
                    _ => None,
                },
                session,
                user,
                plain,
            },
            Op::Disconnect { conn } => Job::Disconnect { conn: ConnId(conn) },
            Op::Request { conn, req } => Job::Request {
                conn: ConnId(conn),
                req,
                reply: match local {
                    Some(Local::Client(r)) => Some(r),
                    _ => None,
                },
            },
            Op::Kick { room, nick, by } => Job::Kick {
                room,
                nick,
                by,
                done: host(local),
            },
            Op::HostDelete { room, seq, by } => Job::HostDelete {
                room,
                seq,
                by,
                done: host(local),
            },
            Op::HostClear { room, by } => Job::HostClear {
                room,
                by,
                done: host(local),
            },
            Op::NodeDown { node } => {
                if !downed.insert(node) {
                    return None;
                }
                if node == self.id() {
                    *reset = true;
                }
                Job::NodeDown { node }
            }
        })
    }

    /// The cluster declared this node gone while it still runs (it could not renew its
    /// heartbeat for a while): everyone it served has left the rooms, so their connections
    /// are closed (their clients reconnect and catch up), and the node joins again under a
    /// new number.
    async fn rejoin(&self, shared: &Arc<Shared>, io: &SocketIo) {
        tracing::warn!(
            "cluster: this node (#{}) was declared gone; closing its connections and joining again",
            self.id()
        );
        let mut redis = self.redis.clone();
        let id: u64 = loop {
            match redis.incr(NEXT_NODE, 1).await {
                Ok(id) => break id,
                Err(e) => {
                    tracing::debug!("cluster: taking a new node number: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        self.id.store(id, Ordering::Release);
        shared.node.store(id, Ordering::Release);
        let waiting: Vec<Local> = lock(&self.locals).drain().map(|(_, l)| l).collect();
        waiting.into_iter().for_each(Local::refuse);
        if let Err(e) = io.disconnect().await {
            tracing::debug!("cluster: closing connections: {e}");
        }
    }

    /// Renews this node's key every [`HEARTBEAT`], lists the live nodes for `/api/info`, and
    /// declares gone the nodes whose keys lapsed (`watch.rs`).
    async fn heartbeat_loop(self: Arc<Self>, shared: Arc<Shared>, advertise: String) {
        let mut conn = self.redis.clone();
        let mut watch = watch::Watch::new(NODE_TTL);
        let mut tick = tokio::time::interval(HEARTBEAT);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let me = NodeInfo {
                id: self.id(),
                url: advertise.clone(),
                connections: shared.connections.load(Ordering::Acquire),
            };
            match self.beat(&mut conn, &me).await {
                Ok((listed, mut alive)) => {
                    alive.sort_by_key(|n| n.id);
                    let ids: Vec<u64> = alive.iter().map(|n| n.id).collect();
                    *shared.nodes.write().unwrap_or_else(|p| p.into_inner()) = alive;
                    for node in watch.checked(&listed, &ids, Instant::now()) {
                        tracing::warn!("cluster: node {node} stopped answering; its people leave");
                        let _ = self.append(Job::NodeDown { node }, false);
                        let _: redis::RedisResult<()> = conn.srem(NODES, node).await;
                    }
                }
                Err(e) => {
                    tracing::debug!("cluster: heartbeat: {e}");
                    watch.failed();
                }
            }
        }
    }

    /// One heartbeat: renew this node's key, then read every listed node's.
    async fn beat(
        &self,
        conn: &mut ConnectionManager,
        me: &NodeInfo,
    ) -> redis::RedisResult<(Vec<u64>, Vec<NodeInfo>)> {
        let ttl = NODE_TTL.as_millis() as u64;
        let (listed,): (Vec<u64>,) = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(node_key(me.id))
            .arg(serde_json::to_string(me).unwrap_or_default())
            .arg("PX")
            .arg(ttl)
            .ignore()
            .cmd("SADD")
            .arg(NODES)
            .arg(me.id)
            .ignore()
            .cmd("SMEMBERS")
            .arg(NODES)
            .query_async(conn)
            .await?;
        let keys: Vec<String> = listed.iter().map(|&n| node_key(n)).collect();
        let found: Vec<Option<String>> = if keys.is_empty() {
            Vec::new()
        } else {
            redis::cmd("MGET").arg(&keys).query_async(conn).await?
        };
        let alive = found
            .into_iter()
            .flatten()
            .filter_map(|t| serde_json::from_str::<NodeInfo>(&t).ok())
            .collect();
        Ok((listed, alive))
    }
}

impl Log for Node {
    fn append(&self, job: Job, bounded: bool) -> Option<Job> {
        let (op, local) = match job {
            Job::Connect {
                conn,
                local,
                session,
                user,
                plain,
            } => (
                Op::Connect {
                    conn: conn.0,
                    session,
                    user,
                    plain,
                },
                local.map(|(s, o)| Local::Socket(s, o)),
            ),
            Job::Disconnect { conn } => (Op::Disconnect { conn: conn.0 }, None),
            Job::Request { conn, req, reply } => {
                if bounded && self.waiting.load(Ordering::Acquire) >= self.max_waiting {
                    return Some(Job::Request { conn, req, reply });
                }
                self.waiting.fetch_add(1, Ordering::AcqRel);
                (Op::Request { conn: conn.0, req }, reply.map(Local::Client))
            }
            Job::Kick {
                room,
                nick,
                by,
                done,
            } => {
                self.waiting.fetch_add(1, Ordering::AcqRel);
                (Op::Kick { room, nick, by }, done.map(Local::Host))
            }
            Job::HostDelete {
                room,
                seq,
                by,
                done,
            } => {
                self.waiting.fetch_add(1, Ordering::AcqRel);
                (Op::HostDelete { room, seq, by }, done.map(Local::Host))
            }
            Job::HostClear { room, by, done } => {
                self.waiting.fetch_add(1, Ordering::AcqRel);
                (Op::HostClear { room, by }, done.map(Local::Host))
            }
            Job::NodeDown { node } => (Op::NodeDown { node }, None),
            Job::PostFile { done, .. } => {
                // Files are off in cluster mode (a file would live on one node's disk).
                let _ = done.send(Err(ErrorCode::FilesDisabled.into()));
                return None;
            }
            Job::Rooms { .. } | Job::Logged { .. } => {
                tracing::error!("cluster: a local-only job reached the log; dropped");
                return None;
            }
        };
        let token = match local {
            Some(l) => {
                let t = self.tokens.fetch_add(1, Ordering::Relaxed) + 1;
                lock(&self.locals).insert(t, l);
                t
            }
            None => 0,
        };
        if self.tx.send(Outgoing { token, op }).is_err() {
            // The writer has stopped (the server is stopping).
            if let Some(l) = lock(&self.locals).remove(&token) {
                l.refuse();
            }
        }
        None
    }
}

/// A Redis URL fit to print: a password in it (`redis://:secret@host`) is hidden.
pub fn redacted(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Where clients reach a node bound to `addr`: the given `advertise`, else its address (or,
/// bound to every interface, its first LAN address).
pub fn advertise_url(advertise: Option<&str>, addr: std::net::SocketAddr) -> String {
    if let Some(a) = advertise {
        return a.trim_end_matches('/').to_owned();
    }
    let ip = if addr.ip().is_unspecified() {
        crate::net::lan_addresses()
            .into_iter()
            .next()
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
    } else {
        addr.ip()
    };
    match ip {
        std::net::IpAddr::V6(v6) => format!("http://[{v6}]:{}", addr.port()),
        v4 => format!("http://{v4}:{}", addr.port()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_passwords_are_not_printed() {
        assert_eq!(
            redacted("redis://:s3cret@10.0.0.5:6379/0"),
            "redis://***@10.0.0.5:6379/0"
        );
        assert_eq!(redacted("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }

    #[test]
    fn a_node_advertises_where_it_listens() {
        let addr: std::net::SocketAddr = "127.0.0.1:7878".parse().unwrap();
        assert_eq!(advertise_url(None, addr), "http://127.0.0.1:7878");
        assert_eq!(
            advertise_url(Some("http://chat.lan:80/"), addr),
            "http://chat.lan:80"
        );
    }
}
