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

/// A passive observer: forwards 127.0.0.1:<port> to a target and keeps every byte that crosses
/// it, both ways, as someone sniffing the Wi-Fi would see them.
pub struct RecordingProxy {
    pub addr: SocketAddr,
    seen: Arc<std::sync::Mutex<Vec<u8>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RecordingProxy {
    pub async fn start(target: SocketAddr) -> RecordingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen: Arc<std::sync::Mutex<Vec<u8>>> = Arc::default();
        let s = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (ri, wi) = inbound.into_split();
                    let (ro, wo) = outbound.into_split();
                    tokio::join!(record(ri, wo, s.clone()), record(ro, wi, s));
                });
            }
        });
        RecordingProxy { addr, seen, task }
    }

    /// Everything seen so far.
    pub fn capture(&self) -> Vec<u8> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    seen: Arc<std::sync::Mutex<Vec<u8>>>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                seen.lock().unwrap().extend_from_slice(&buf[..n]);
                if to.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}

/// An active attacker: answers TLS on 127.0.0.1:<port> with a certificate of its own, and keeps
/// whatever application data a client sends it once the handshake is through (none, if the
/// client refuses the certificate). It never reaches the real host.
pub struct ImpostorHost {
    pub addr: SocketAddr,
    pub identity: lanchat::tls::Identity,
    /// Decrypted bytes clients sent, and raw bytes seen (handshakes included).
    got: Arc<std::sync::Mutex<(Vec<u8>, Vec<u8>)>>,
    task: tokio::task::JoinHandle<()>,
}

impl ImpostorHost {
    pub async fn start() -> ImpostorHost {
        let identity = lanchat::tls::Identity::generate().unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(identity.server_config().unwrap());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let got: Arc<std::sync::Mutex<(Vec<u8>, Vec<u8>)>> = Arc::default();
        let g = got.clone();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, g) = (acceptor.clone(), g.clone());
                tokio::spawn(async move {
                    let mut first = [0u8; 4096];
                    if let Ok(n) = tcp.peek(&mut first).await {
                        g.lock().unwrap().1.extend_from_slice(&first[..n]);
                    }
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut buf = vec![0u8; 16 * 1024];
                    while let Ok(n @ 1..) = tls.read(&mut buf).await {
                        g.lock().unwrap().0.extend_from_slice(&buf[..n]);
                    }
                });
            }
        });
        ImpostorHost {
            addr,
            identity,
            got,
            task,
        }
    }

    /// Application data the impostor decrypted.
    pub fn plaintext(&self) -> Vec<u8> {
        self.got.lock().unwrap().0.clone()
    }

    /// Raw bytes it saw (the first read of each connection: the ClientHello).
    pub fn raw(&self) -> Vec<u8> {
        self.got.lock().unwrap().1.clone()
    }
}

impl Drop for ImpostorHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}
