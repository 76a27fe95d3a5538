//! One connection to the server (a rust_socketio client), reduced to what the supervisor needs:
//! open (waiting for the namespace connect, since an emit before it can be lost), emit, emit with
//! an ack routed back as an [`Incoming::Ack`], and close; and the `/api/info` probe that tells a
//! lanchat server from a tutorial one. Callbacks run inside rust_socketio's receive loop, so
//! they only forward into the supervisor's channel.

use std::time::Duration;

use futures_util::FutureExt;
use rust_socketio::asynchronous::{Client as SioClient, ClientBuilder};
use rust_socketio::{Payload, TransportType};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use std::sync::Arc;

use super::{ClientConfig, ClientError, Route, legacy};
use crate::protocol::{NodeInfo, ServerInfo, connect_errors};

/// What reaches the supervisor from a connection, tagged with the connection's generation so
/// that news from a connection already replaced is ignored.
pub enum Incoming {
    Open,
    Event(String, Value),
    /// The ack of the request emitted with this id.
    Ack(u64, Value),
    Closed(Option<String>),
    /// A reconnect attempt (run off the supervisor's loop) finished, through this route (none
    /// when the route itself could not be opened).
    Opened(Result<Link, ClientError>, Option<Arc<Route>>),
    /// The cluster's nodes, as the node just connected to lists them in `/api/info`.
    Nodes(Vec<NodeInfo>),
}

pub type Tx = mpsc::UnboundedSender<(u64, Incoming)>;

pub struct Link {
    client: SioClient,
    /// Tags everything this connection reports.
    generation: u64,
    /// The supervisor's channel, for acks and for a failed emit (which means the socket died).
    tx: Tx,
}

fn first(p: Payload) -> Value {
    match p {
        Payload::Text(mut v) if !v.is_empty() => v.swap_remove(0),
        _ => Value::Null,
    }
}

/// Maps a `connect_error` reason to our error.
fn refusal(text: &str) -> ClientError {
    if text.contains(connect_errors::BAD_PASSWORD) {
        ClientError::BadPassword
    } else if text.contains(connect_errors::PASSWORD_REQUIRED) {
        ClientError::PasswordRequired
    } else if text.contains(connect_errors::SERVER_FULL) {
        ClientError::ServerFull
    } else if text.contains(connect_errors::TOO_MANY_ATTEMPTS) {
        ClientError::TooManyAttempts
    } else {
        ClientError::Unreachable("the server".into(), text.to_owned())
    }
}

impl Link {
    /// Connects and waits for the namespace connect, each step bounded by the request timeout.
    pub async fn open(
        base_url: &str,
        cfg: &ClientConfig,
        generation: u64,
        tx: Tx,
    ) -> Result<Link, ClientError> {
        let (ready_tx, ready_rx) = oneshot::channel::<Result<(), String>>();
        let ready = std::sync::Arc::new(std::sync::Mutex::new(Some(ready_tx)));
        let settle = move |r: Result<(), String>| {
            if let Some(t) = ready.lock().unwrap_or_else(|p| p.into_inner()).take() {
                let _ = t.send(r);
            }
        };
        let (s1, s2) = (settle.clone(), settle);
        let (t1, t2, t3) = (tx.clone(), tx.clone(), tx.clone());
        let mut auth = json!({ "sessionId": cfg.session_id });
        if let Some(p) = &cfg.password {
            auth["password"] = json!(p);
        }
        if let Some(k) = &cfg.user_key {
            auth["userKey"] = json!(k);
        }
        let builder = ClientBuilder::new(base_url)
            .transport_type(TransportType::Websocket)
            .reconnect(false)
            .auth(auth)
            .on("open", move |_, _| {
                s1(Ok(()));
                let _ = t1.send((generation, Incoming::Open));
                async {}.boxed()
            })
            .on("error", move |p, _| {
                let text = match p {
                    Payload::Text(v) => v
                        .iter()
                        .map(|x| x.to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                    #[allow(deprecated)]
                    Payload::String(s) => s,
                    Payload::Binary(_) => String::new(),
                };
                if text.contains("ConnectError") {
                    s2(Err(text));
                } else {
                    tracing::debug!("socket error: {text}");
                }
                async {}.boxed()
            })
            .on("close", move |_, _| {
                let _ = t2.send((
                    generation,
                    Incoming::Closed(Some("the connection closed".into())),
                ));
                async {}.boxed()
            })
            .on_any(move |event, payload, _| {
                let _ = t3.send((
                    generation,
                    Incoming::Event(event.to_string(), first(payload)),
                ));
                async {}.boxed()
            });
        let client = tokio::time::timeout(cfg.request_timeout, builder.connect())
            .await
            .map_err(|_| ClientError::Unreachable(base_url.into(), "timed out".into()))?
            .map_err(|e| ClientError::Unreachable(base_url.into(), e.to_string()))?;
        let outcome = tokio::time::timeout(cfg.request_timeout, ready_rx).await;
        let fail = |e: ClientError| {
            let c = client.clone();
            tokio::spawn(async move {
                let _ = c.disconnect().await;
            });
            Err(e)
        };
        match outcome {
            Ok(Ok(Ok(()))) => Ok(Link {
                client,
                generation,
                tx,
            }),
            Ok(Ok(Err(text))) => fail(refusal(&text)),
            _ => fail(ClientError::Unreachable(
                base_url.into(),
                "no answer to the Socket.IO handshake".into(),
            )),
        }
    }

    pub async fn emit(&self, event: &str, payload: Value) {
        if let Err(e) = self.client.emit(event, payload).await {
            tracing::debug!("emit {event}: {e}");
            let _ = self
                .tx
                .send((self.generation, Incoming::Closed(Some(e.to_string()))));
        }
    }

    pub async fn emit_with_ack(
        &self,
        event: &str,
        payload: Value,
        id: u64,
        timeout: Duration,
    ) -> Result<(), String> {
        let tx = self.tx.clone();
        let generation = self.generation;
        self.client
            .emit_with_ack(event, payload, timeout, move |p: Payload, _| {
                // Ack data arrives as the packet's JSON array: `[body]`.
                let body = match first(p) {
                    Value::Array(mut a) if !a.is_empty() => a.swap_remove(0),
                    other => other,
                };
                let _ = tx.send((generation, Incoming::Ack(id, body)));
                async {}.boxed()
            })
            .await
            .map_err(|e| e.to_string())
    }

    pub async fn close(self) {
        // Bounded: a dead peer must not hold up the reconnect.
        let _ = tokio::time::timeout(Duration::from_secs(1), self.client.disconnect()).await;
    }
}

/// Asks `/api/info` what the server is. A server that does not answer it is a tutorial-style
/// Socket.IO server ("legacy"); one that cannot be reached at all is an error.
pub async fn probe(base_url: &str) -> Result<ServerInfo, ClientError> {
    // One HTTP client for the process: building one loads the system's TLS roots, tens of
    // milliseconds of CPU each time (thirty users connecting at once felt it).
    static HTTP: std::sync::OnceLock<Result<reqwest::Client, String>> = std::sync::OnceLock::new();
    let http = HTTP
        .get_or_init(|| {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .no_proxy()
                // No kept connections: a probe is one request, and a pooled connection would
                // belong to the runtime that opened it (tests run one runtime each).
                .pool_max_idle_per_host(0)
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| ClientError::Unreachable(base_url.into(), e.clone()))?;
    let resp = http
        .get(format!("{base_url}/api/info"))
        .send()
        .await
        .map_err(|e| ClientError::Unreachable(base_url.into(), plain(&e)))?;
    let info = match resp.json::<ServerInfo>().await {
        Ok(info) if !legacy::is_legacy(&info) => info,
        _ => legacy::unknown_server(base_url),
    };
    Ok(info)
}

/// reqwest's error with its causes, e.g. "error sending request: connection refused".
pub(super) fn plain(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(cause) = src {
        s = format!("{s}: {cause}");
        src = cause.source();
    }
    s
}
