//! A TCP fault proxy for tests: forwards 127.0.0.1:<port> to a target, and can cut every
//! connection (and refuse new ones) or freeze them (keep sockets open, forward nothing) — the
//! "Wi-Fi dropped" and "cable pulled" cases.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

const PASS: u8 = 0;
const CUT: u8 = 1;
const FREEZE: u8 = 2;

pub struct FaultProxy {
    pub addr: SocketAddr,
    mode: Arc<AtomicU8>,
    /// Bumped on every cut so live connections drop.
    epoch: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    pub async fn start(target: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(AtomicU8::new(PASS));
        let (epoch, _) = watch::channel(0u64);
        let (m, e) = (mode.clone(), epoch.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    return;
                };
                if m.load(Ordering::SeqCst) == CUT {
                    drop(inbound);
                    continue;
                }
                let (m, rx) = (m.clone(), e.subscribe());
                tokio::spawn(async move {
                    if let Ok(outbound) = TcpStream::connect(target).await {
                        pipe(inbound, outbound, m, rx).await;
                    }
                });
            }
        });
        FaultProxy {
            addr,
            mode,
            epoch,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Drops every connection and refuses new ones until `restore`.
    pub fn cut(&self) {
        self.mode.store(CUT, Ordering::SeqCst);
        self.epoch.send_modify(|e| *e += 1);
    }

    /// Keeps connections open but forwards nothing: a peer that vanished without a FIN.
    pub fn freeze(&self) {
        self.mode.store(FREEZE, Ordering::SeqCst);
    }

    pub fn restore(&self) {
        // Frozen connections are dead for good, like after a real outage.
        if self.mode.swap(PASS, Ordering::SeqCst) == FREEZE {
            self.epoch.send_modify(|e| *e += 1);
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
        self.epoch.send_modify(|e| *e += 1);
    }
}

async fn pipe(a: TcpStream, b: TcpStream, mode: Arc<AtomicU8>, mut epoch: watch::Receiver<u64>) {
    let (mut ar, mut aw) = a.into_split();
    let (mut br, mut bw) = b.into_split();
    let m2 = mode.clone();
    let up = async move { copy(&mut ar, &mut bw, &mode).await };
    let down = async move { copy(&mut br, &mut aw, &m2).await };
    tokio::select! {
        _ = up => {}
        _ = down => {}
        _ = epoch.changed() => {}
    }
}

async fn copy(
    r: &mut tokio::net::tcp::OwnedReadHalf,
    w: &mut tokio::net::tcp::OwnedWriteHalf,
    mode: &AtomicU8,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if mode.load(Ordering::SeqCst) != PASS {
            continue; // frozen: swallow
        }
        if w.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
