//! Shared test helpers: a real server on 127.0.0.1:0 and a protocol-level peer built on
//! rust_socketio that records every event, so tests can wait on them with timeouts.
#![allow(dead_code)]

pub mod calm;
pub mod chat;
pub mod cluster;
pub mod files;
pub mod netns;
pub mod proxy;
pub mod raw;
pub mod redis;

use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use lanchat::server::{self, Config, RateLimit, RunningServer};
use lanchat::store::Store;
use rust_socketio::asynchronous::{Client, ClientBuilder};
use rust_socketio::{Payload, TransportType};
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc};

pub const WAIT: Duration = Duration::from_secs(10);

/// A config for tests: defaults, but a rate limit generous enough for bulk sends, and one
/// host identity for the whole test binary — like a real host's, the same across a restart
/// (tests/tls.rs gives servers identities of their own where that matters).
pub fn test_config() -> Config {
    static IDENTITY: std::sync::OnceLock<lanchat::tls::Identity> = std::sync::OnceLock::new();
    Config {
        rate: RateLimit {
            per_second: 10_000.0,
            burst: 10_000.0,
        },
        identity: Some(
            IDENTITY
                .get_or_init(|| lanchat::tls::Identity::generate().unwrap())
                .clone(),
        ),
        ..Config::default()
    }
}

pub async fn start(config: Config, store: Store) -> RunningServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    server::serve(listener, config, store).await.unwrap()
}

/// A store holding room `room` with `n` messages of 4,000 characters, 16,000 bytes of UTF-8
/// each (the longest the default limits allow): 1.6 MB of history per 100.
pub fn long_room(room: &str, n: u64) -> Store {
    let store = Store::memory().unwrap();
    let rows: Vec<lanchat::protocol::Message> = (1..=n)
        .map(|seq| lanchat::protocol::Message {
            id: format!("m{seq}"),
            room: room.into(),
            seq,
            ts: seq as i64,
            kind: lanchat::protocol::Kind::Chat,
            nick_name: "old".into(),
            message: format!("{seq:04}{}", "\u{1F600}".repeat(3996)),
            client_id: None,
            file: None,
            history: false,
            ..Default::default()
        })
        .collect();
    store.append(&rows).unwrap();
    store
}

pub async fn start_default() -> RunningServer {
    start(test_config(), Store::memory().unwrap()).await
}

pub fn url(s: &RunningServer) -> String {
    format!("http://{}", s.addr)
}

/// `GET /api/info` as JSON.
pub async fn api_info(s: &RunningServer) -> Value {
    reqwest::get(format!("{}/api/info", url(s)))
        .await
        .expect("GET /api/info")
        .json()
        .await
        .expect("/api/info is JSON")
}

/// One raw Socket.IO connection that records everything it receives.
pub struct Peer {
    pub client: Client,
    events: Mutex<mpsc::UnboundedReceiver<(String, Value)>>,
    /// Events set aside by `wait_for` while looking for another one, in arrival order.
    backlog: Mutex<Vec<(String, Value)>>,
}

fn first(p: Payload) -> Value {
    match p {
        Payload::Text(mut v) if !v.is_empty() => v.swap_remove(0),
        _ => Value::Null,
    }
}

#[derive(Debug)]
pub enum ConnectError {
    Refused(String),
    Io(String),
}

impl Peer {
    pub async fn connect(url: &str) -> Peer {
        Self::connect_with(url, json!({})).await.expect("connect")
    }

    pub async fn connect_with(url: &str, auth: Value) -> Result<Peer, ConnectError> {
        Self::connect_over(ClientBuilder::new(url), auth).await
    }

    /// A browser-style guest over `https://` that took the host's self-signed certificate (as
    /// a person clicking through the browser's warning does).
    pub async fn connect_https(
        addr: std::net::SocketAddr,
        auth: Value,
    ) -> Result<Peer, ConnectError> {
        let tls = native_tls::TlsConnector::builder()
            .danger_accept_invalid_certs(true)
            .danger_accept_invalid_hostnames(true)
            .build()
            .unwrap();
        let builder = ClientBuilder::new(format!("https://{addr}")).tls_config(tls);
        Self::connect_over(builder, auth).await
    }

    async fn connect_over(builder: ClientBuilder, auth: Value) -> Result<Peer, ConnectError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let (open_tx, mut open_rx) = mpsc::unbounded_channel::<Result<(), String>>();
        let (o1, o2) = (open_tx.clone(), open_tx);
        let client = builder
            .transport_type(TransportType::Websocket)
            .reconnect(false)
            .auth(auth)
            .on("open", move |_, _| {
                let _ = o1.send(Ok(()));
                async {}.boxed()
            })
            .on("error", move |p, _| {
                let text = format!("{p:?}");
                if text.contains("ConnectError") {
                    let _ = o2.send(Err(text));
                }
                async {}.boxed()
            })
            .on_any(move |ev, p, _| {
                let _ = tx.send((ev.to_string(), first(p)));
                async {}.boxed()
            })
            .connect()
            .await
            .map_err(|e| ConnectError::Io(e.to_string()))?;
        match tokio::time::timeout(WAIT, open_rx.recv()).await {
            Ok(Some(Ok(()))) => Ok(Peer {
                client,
                events: Mutex::new(rx),
                backlog: Mutex::new(Vec::new()),
            }),
            Ok(Some(Err(text))) => Err(ConnectError::Refused(text)),
            _ => Err(ConnectError::Io("no namespace connect".into())),
        }
    }

    pub async fn emit(&self, event: &str, data: Value) {
        self.client.emit(event, data).await.expect("emit");
    }

    /// Emits with an ack callback and waits for the ack body.
    pub async fn request(&self, event: &str, data: Value) -> Value {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let tx = Arc::new(tx);
        self.client
            .emit_with_ack(event, data, WAIT, move |p, _| {
                let body = match first(p) {
                    Value::Array(mut a) if !a.is_empty() => a.swap_remove(0),
                    other => other,
                };
                let _ = tx.send(body);
                async {}.boxed()
            })
            .await
            .expect("emit_with_ack");
        tokio::time::timeout(WAIT, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no ack for {event}"))
            .expect("ack channel")
    }

    pub async fn join(&self, room: &str, nick: &str) -> Value {
        let ack = self
            .request("joinRoom", json!({ "roomName": room, "nickName": nick }))
            .await;
        assert_eq!(ack["ok"], true, "join {room} as {nick}: {ack}");
        ack
    }

    pub async fn send(&self, room: &str, text: &str) -> Value {
        self.request("sendMessage", json!({ "room": room, "message": text }))
            .await
    }

    /// The next event of any name.
    pub async fn next(&self) -> (String, Value) {
        {
            let mut b = self.backlog.lock().await;
            if !b.is_empty() {
                return b.remove(0);
            }
        }
        tokio::time::timeout(WAIT, self.events.lock().await.recv())
            .await
            .expect("timed out waiting for an event")
            .expect("event channel closed")
    }

    /// Waits for an event `name` matching `pred`; other events are kept for later calls.
    pub async fn wait_for(&self, name: &str, pred: impl Fn(&Value) -> bool) -> Value {
        {
            let mut b = self.backlog.lock().await;
            if let Some(i) = b.iter().position(|(n, v)| n == name && pred(v)) {
                return b.remove(i).1;
            }
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut rx = self.events.lock().await;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let (n, v) = tokio::time::timeout(left, rx.recv())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {name}"))
                .expect("event channel closed");
            if n == name && pred(&v) {
                return v;
            }
            self.backlog.lock().await.push((n, v));
        }
    }

    /// All `message` events until (and including) the one matching `last`.
    pub async fn messages_until(&self, last: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let (n, v) = self.next().await;
            if n != "message" {
                continue;
            }
            let done = last(&v);
            out.push(v);
            if done {
                return out;
            }
        }
    }

    pub async fn close(self) {
        let _ = self.client.disconnect().await;
    }
}

/// Every peer (already in `room`) sends `per` messages `p{i}-{k}` at once with the others, then
/// `done-{i}`; returns each peer's view: the chat messages it was shown until every `done-`.
pub async fn send_all_at_once(peers: Vec<Peer>, room: &str, per: usize) -> Vec<Vec<Value>> {
    let peers = Arc::new(peers);
    let mut tasks = Vec::new();
    for i in 0..peers.len() {
        let (peers, room) = (peers.clone(), room.to_owned());
        tasks.push(tokio::spawn(async move {
            for k in 0..per {
                let text = format!("p{i}-{k}");
                peers[i]
                    .emit("sendMessage", json!({"room": room, "message": text}))
                    .await;
            }
            let done = format!("done-{i}");
            peers[i]
                .emit("sendMessage", json!({"room": room, "message": done}))
                .await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut views = Vec::new();
    for p in peers.iter() {
        let mut chats = Vec::new();
        let mut done = 0;
        while done < peers.len() {
            let (n, v) = p.next().await;
            if n == "message" && v["kind"] == "chat" {
                if v["message"].as_str().unwrap().starts_with("done-") {
                    done += 1;
                }
                chats.push(v);
            }
        }
        views.push(chats);
    }
    views
}

pub fn text_is(t: &str) -> impl Fn(&Value) -> bool + '_ {
    move |v: &Value| v["message"] == t
}

/// Reads the first line a spawned `lanchat serve` prints (`listening on http://HOST:PORT`) and
/// returns the port; the rest of its stdout is drained on a thread so a later line never hits a
/// closed pipe.
pub fn first_port(child: &mut std::process::Child) -> u16 {
    use std::io::BufRead;
    let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    line.trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in the first line: {line:?}"))
}
