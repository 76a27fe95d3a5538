//! Nodes of a cluster for the cluster tests (issue #15): in-process nodes (`server::serve` with
//! `Config.cluster` and a fresh in-memory replica each) and `lanchat serve --cluster` processes
//! that can be SIGKILLed, all following one Redis ([`super::redis::Redis`]).

use std::future::Future;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lanchat::client::{ClientConfig, Fingerprint};
use lanchat::server::{ClusterConfig, Config, RunningServer};
use lanchat::store::Store;
use serde_json::Value;

use super::{WAIT, test_config};

/// History a joining member is shown in these tests: enough for a whole test's messages, so a
/// checker joining at the end sees everything that was stored.
pub const HISTORY: usize = 5000;

/// How long a dead node's heartbeat may take to expire and its members to be let go: the
/// design's ~10 s TTL, with room for a node that checks once a second and a busy machine.
pub const NODE_TTL_WAIT: Duration = Duration::from_secs(30);

/// The test config (generous rate limit, the binary's one identity) as a node of the cluster
/// on `redis_url`, replaying up to [`HISTORY`] messages on join.
pub fn node_config(redis_url: &str) -> Config {
    Config {
        cluster: Some(ClusterConfig {
            redis_url: redis_url.to_owned(),
            advertise: None,
        }),
        history_on_join: HISTORY,
        catchup_limit: HISTORY,
        ..test_config()
    }
}

/// An in-process node with `config` and a fresh in-memory replica.
pub async fn start_node_with(config: Config) -> RunningServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    lanchat::server::serve(listener, config, Store::memory().unwrap())
        .await
        .expect("a cluster node starts")
}

/// `n` in-process nodes on `redis_url`, each seeing all `n` in its node list before this returns.
pub async fn start_nodes(redis_url: &str, n: usize) -> Vec<RunningServer> {
    let mut nodes = Vec::new();
    for _ in 0..n {
        nodes.push(start_node_with(node_config(redis_url)).await);
    }
    for node in &nodes {
        let control = node.control.clone();
        until_sync(&format!("a node lists all {n} nodes"), WAIT * 2, || {
            control.nodes().len() == n
        })
        .await;
    }
    nodes
}

/// `lanchat serve --cluster` in its own process, so a test can SIGKILL it. Killed on drop.
pub struct ProcessNode {
    child: Child,
    pub addr: SocketAddr,
    /// Its stderr, kept for failure messages.
    log: tempfile::NamedTempFile,
}

impl ProcessNode {
    /// Starts `lanchat serve --bind 127.0.0.1 --port 0 --memory --no-announce --cluster URL`
    /// and reads its address from the `listening on` line it prints.
    pub fn start(redis_url: &str) -> ProcessNode {
        Self::start_with(redis_url, &[])
    }

    /// [`ProcessNode::start`] with more `serve` arguments.
    pub fn start_with(redis_url: &str, extra: &[&str]) -> ProcessNode {
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut child = serve_command(redis_url)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log.reopen().unwrap()))
            .spawn()
            .expect("spawn lanchat serve --cluster");
        let port = match listening_port(&mut child) {
            Some(p) => p,
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "lanchat serve --cluster printed no `listening on` line; stderr:\n{}",
                    std::fs::read_to_string(log.path()).unwrap_or_default()
                );
            }
        };
        ProcessNode {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What the node wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// SIGKILL, waited for: the node gets no chance to say goodbye to anyone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ProcessNode {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `lanchat serve` as a cluster node on loopback, history in memory, not announced, and none of
/// the caller's `LANCHAT_*` settings.
pub fn serve_command(redis_url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lanchat"));
    c.args([
        "serve",
        "--bind",
        "127.0.0.1",
        "--port",
        "0",
        "--memory",
        "--no-announce",
        "--history",
        &HISTORY.to_string(),
        "--cluster",
        redis_url,
    ])
    .env_remove("LANCHAT_PASSWORD")
    .env_remove("LANCHAT_CLUSTER")
    .env_remove("LANCHAT_ADVERTISE");
    c
}

/// The port in the first `listening on http://HOST:PORT` line of the child's stdout (lines
/// before it are skipped); the rest of stdout is drained on a thread. `None` if stdout ends
/// first (the node exited).
fn listening_port(child: &mut Child) -> Option<u16> {
    use std::io::BufRead;
    let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut line = String::new();
    loop {
        line.clear();
        if out.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line.contains("listening on") {
            break;
        }
    }
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    line.trim().rsplit(':').next()?.parse().ok()
}

/// `GET /api/info` of the node at `addr`, as JSON.
pub async fn info_at(addr: SocketAddr) -> Value {
    reqwest::get(format!("http://{addr}/api/info"))
        .await
        .expect("GET /api/info")
        .json()
        .await
        .expect("/api/info is JSON")
}

/// The cluster's certificate fingerprint, as the node at `addr` states it.
pub async fn fingerprint_at(addr: SocketAddr) -> Fingerprint {
    let info = info_at(addr).await;
    info["fingerprint"]
        .as_str()
        .and_then(Fingerprint::parse)
        .unwrap_or_else(|| panic!("no fingerprint in /api/info: {info}"))
}

/// A fast-failing client config for the node at `addr` that accepts only the certificate
/// `fp`, on whichever node it ends up.
pub fn pinned(addr: SocketAddr, nick: &str, fp: Fingerprint) -> ClientConfig {
    let mut cfg = super::chat::fast(&addr.to_string(), nick);
    cfg.trust.fingerprint = Some(fp);
    cfg.trust.accept_new_host = false;
    cfg
}

/// Polls `cond` every 20 ms until it holds, for at most `limit`; panics naming `what`. For
/// state only visible by asking (heartbeats, `/api/info`), never as a fixed sleep.
pub async fn until<F, Fut>(what: &str, limit: Duration, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !cond().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// [`until`] for a condition that needs no waiting to check.
pub async fn until_sync(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    until(what, limit, || std::future::ready(cond())).await
}
