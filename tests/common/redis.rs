//! A real Redis for the cluster tests (issue #15): Debian's `redis-server` on a free loopback
//! port, in a temporary directory of its own, with the append-only file fsynced on every write
//! (`appendfsync always`: what Redis acknowledged is on disk, so a SIGKILLed Redis that comes
//! back has it) and no RDB snapshots. Tests stop it, kill it and restart it on the same port
//! and data; dropping it kills it and removes the directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::WAIT;

/// Where Debian's package puts it; `redis-server` on the PATH is tried too.
const DEBIAN_BINARY: &str = "/usr/bin/redis-server";

/// Ports tried before giving up when another process takes the picked one first.
const PORT_ATTEMPTS: usize = 5;

pub struct Redis {
    /// `None` between a `stop`/`kill` and the next `restart`.
    child: Option<Child>,
    port: u16,
    /// Holds the append-only directory and `redis.log`; removed on drop, after the process.
    dir: tempfile::TempDir,
}

impl Redis {
    /// Starts a fresh Redis and waits until it answers PING.
    pub async fn start() -> Redis {
        let mut dir = tempfile::Builder::new()
            .prefix("lanchat-redis-")
            .tempdir()
            .expect("temp dir for redis");
        let mut last = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port();
            let mut r = Redis {
                child: Some(spawn(dir.path(), port)),
                port,
                dir,
            };
            match r.wait_ready().await {
                Ok(()) => return r,
                Err(e) => {
                    last = e;
                    r.kill();
                    // Take the directory back for the next port.
                    dir = std::mem::replace(&mut r.dir, tempfile::tempdir().unwrap());
                    // A retry writes a new log; the old one explains nothing about it.
                    let _ = std::fs::remove_file(dir.path().join("redis.log"));
                }
            }
        }
        panic!("redis-server did not start after {PORT_ATTEMPTS} ports: {last}");
    }

    /// `redis://127.0.0.1:PORT`, for `ClusterConfig::redis_url` and `--cluster`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What Redis logged so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("redis.log")
    }

    /// Whether it answers PING now.
    pub async fn is_up(&self) -> bool {
        matches!(ping(self.port).await, Ok(true))
    }

    /// A clean shutdown: SIGTERM (Redis flushes the append-only file and exits), waited for.
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("run kill -TERM");
        assert!(status.success(), "kill -TERM redis-server failed");
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if child.try_wait().expect("wait for redis-server").is_some() {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "redis-server did not stop within {WAIT:?} of SIGTERM; log:\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// SIGKILL: Redis gets no chance to flush anything (with `appendfsync always` there is
    /// nothing acknowledged left to flush).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and directory (the append-only file is reloaded),
    /// stopping it first if it runs; returns once it answers PING with the data loaded.
    pub async fn restart(&mut self) {
        self.stop().await;
        // Redis sets SO_REUSEADDR, so the port is free again at once; should another process
        // have taken it meanwhile, the start fails and says so.
        self.child = Some(spawn(self.dir.path(), self.port));
        if let Err(e) = self.wait_ready().await {
            panic!("redis-server did not restart on port {}: {e}", self.port);
        }
    }

    /// Polls PING until `+PONG` (a Redis loading its append-only file answers `-LOADING`), the
    /// process exits, or [`WAIT`] passes.
    async fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Ok(true) = ping(self.port).await {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(format!(
                    "redis-server exited ({status}); log:\n{}",
                    self.log()
                ));
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "no PONG within {WAIT:?} on port {}; log:\n{}",
                    self.port,
                    self.log()
                ));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port free right now on loopback (the OS picks it; Redis binds it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

fn binary() -> &'static str {
    if Path::new(DEBIAN_BINARY).exists() {
        DEBIAN_BINARY
    } else {
        "redis-server"
    }
}

fn spawn(dir: &Path, port: u16) -> Child {
    let log = dir.join("redis.log");
    Command::new(binary())
        .arg("--port")
        .arg(port.to_string())
        .args(["--bind", "127.0.0.1"])
        .arg("--dir")
        .arg(dir)
        .args(["--appendonly", "yes"])
        .args(["--appendfsync", "always"])
        .args(["--save", ""])
        .args(["--daemonize", "no"])
        .arg("--logfile")
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start redis-server ({e}): the cluster tests need Debian's redis-server; \
                 run ./dev.sh test (it installs it) or apt-get install redis-server"
            )
        })
}

/// One PING over a fresh connection: `Ok(true)` on `+PONG`, `Ok(false)` on anything else (such
/// as `-LOADING`), `Err` when nothing listens.
async fn ping(port: u16) -> std::io::Result<bool> {
    let answer = tokio::time::timeout(Duration::from_secs(1), async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        s.write_all(b"PING\r\n").await?;
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).await?;
        Ok::<_, std::io::Error>(buf[..n].starts_with(b"+PONG"))
    })
    .await;
    answer.unwrap_or(Ok(false))
}
