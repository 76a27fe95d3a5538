//! The small slice of engine.io v4 / socket.io v5 text framing the generator needs, over
//! tokio-tungstenite: connect straight to the WebSocket transport, answer pings, emit events,
//! and classify incoming frames without a JSON parse on the hot path.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

pub type Ws = WebSocketStream<crate::tls::Stream>;
pub type Reader = SplitStream<Ws>;
/// Frames to write on one connection. Unbounded so a sender never waits (open loop).
pub type Outbox = mpsc::UnboundedSender<Message>;

/// One incoming socket.io frame, borrowed from the WebSocket text.
pub enum Packet<'a> {
    /// engine.io ping (`2`): the reader answers it with a pong itself.
    Ping,
    /// socket.io EVENT (`42[id]["name",...]`): `payload` is the JSON array text.
    Event {
        payload: &'a str,
    },
    /// socket.io ACK (`43id[...]`).
    Ack {
        id: u64,
        payload: &'a str,
    },
    /// socket.io CONNECT_ERROR (`44{...}`).
    ConnectError(&'a str),
    /// engine.io close or socket.io DISCONNECT.
    Closed,
    Other,
}

pub fn parse(frame: &str) -> Packet<'_> {
    let b = frame.as_bytes();
    match (b.first(), b.get(1)) {
        (Some(b'2'), _) => Packet::Ping,
        (Some(b'1'), _) => Packet::Closed,
        (Some(b'4'), Some(b'2')) => {
            let rest = &frame[2..];
            let start = rest.find('[').unwrap_or(rest.len());
            Packet::Event {
                payload: &rest[start..],
            }
        }
        (Some(b'4'), Some(b'3')) => {
            let rest = &frame[2..];
            let start = rest.find('[').unwrap_or(rest.len());
            let id = rest[..start].parse().unwrap_or(u64::MAX);
            Packet::Ack {
                id,
                payload: &rest[start..],
            }
        }
        (Some(b'4'), Some(b'4')) => Packet::ConnectError(&frame[2..]),
        (Some(b'4'), Some(b'1')) => Packet::Closed,
        _ => Packet::Other,
    }
}

/// `42[ack]["name",payload]`; `payload_json` must already be JSON.
pub fn event(name: &str, payload_json: &str, ack: Option<u64>) -> Message {
    let ack = ack.map(|a| a.to_string()).unwrap_or_default();
    Message::text(format!("42{ack}[\"{name}\",{payload_json}]"))
}

/// Minimal JSON string quoting for the generator's own ASCII names and texts.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Opens a WebSocket-only engine.io session and the socket.io default namespace.
/// Returns once the server has answered the namespace CONNECT.
pub async fn connect(
    addr: SocketAddr,
    auth_json: Option<&str>,
    read_buf: usize,
) -> anyhow::Result<Ws> {
    let tcp = TcpStream::connect(addr).await.context("tcp connect")?;
    tcp.set_nodelay(true)?;
    let tcp = crate::tls::wrap(tcp).await.context("TLS handshake")?;
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let config = WebSocketConfig::default().read_buffer_size(read_buf);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(url, tcp, Some(config))
        .await
        .context("websocket handshake")?;
    let open = next_text(&mut ws).await?;
    if !open.starts_with('0') {
        bail!("expected engine.io OPEN, got {open:?}");
    }
    let connect = match auth_json {
        Some(a) => format!("40{a}"),
        None => "40".to_string(),
    };
    ws.send(Message::text(connect)).await?;
    loop {
        let f = next_text(&mut ws).await?;
        match parse(&f) {
            Packet::Ping => ws.send(Message::text("3")).await?,
            Packet::ConnectError(e) => bail!("connect_error {e}"),
            _ if f.starts_with("40") => return Ok(ws),
            _ => {}
        }
    }
}

async fn next_text(ws: &mut Ws) -> anyhow::Result<String> {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .context("timed out waiting for the server")?
            .context("connection closed during handshake")??;
        match m {
            Message::Text(t) => return Ok(t.as_str().to_owned()),
            Message::Close(_) => bail!("closed during handshake"),
            _ => {}
        }
    }
}

/// Splits a connected socket into its reader and an outbox drained by a writer task that
/// batches whatever is queued into one flush.
pub fn split(ws: Ws) -> (Reader, Outbox) {
    let (sink, reader) = ws.split();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::task::spawn_local(write_loop(sink, rx));
    (reader, tx)
}

async fn write_loop(mut sink: SplitSink<Ws, Message>, mut rx: mpsc::UnboundedReceiver<Message>) {
    while let Some(m) = rx.recv().await {
        if sink.feed(m).await.is_err() {
            return;
        }
        while let Ok(m) = rx.try_recv() {
            if sink.feed(m).await.is_err() {
                return;
            }
        }
        if sink.flush().await.is_err() {
            return;
        }
    }
    let _ = sink.close().await;
}

/// Reads frames until the connection ends or `on_frame` returns false, answering pings; hands
/// every other text frame to `on_frame`. Returns true only when `on_frame` asked to stop.
pub async fn read_loop(
    mut reader: Reader,
    outbox: &Outbox,
    mut on_frame: impl FnMut(&str) -> bool,
) -> bool {
    while let Some(m) = reader.next().await {
        match m {
            Ok(Message::Text(t)) => {
                let s = t.as_str();
                if s.as_bytes().first() == Some(&b'2') {
                    let _ = outbox.send(Message::text("3"));
                } else if !on_frame(s) {
                    return true;
                }
            }
            Ok(Message::Close(_)) | Err(_) => return false,
            Ok(_) => {}
        }
    }
    false
}

/// Substring searchers built once: the receive path runs them on every frame.
pub struct Finders {
    pub seq: memchr::memmem::Finder<'static>,
    pub ts: memchr::memmem::Finder<'static>,
    pub history: memchr::memmem::Finder<'static>,
    pub marker: memchr::memmem::Finder<'static>,
    /// A replayed message's folded state (issue #14).
    pub edited: memchr::memmem::Finder<'static>,
    pub deleted: memchr::memmem::Finder<'static>,
    pub reactions: memchr::memmem::Finder<'static>,
}

impl Finders {
    pub fn new() -> Self {
        Self {
            seq: memchr::memmem::Finder::new(b"\"seq\":"),
            ts: memchr::memmem::Finder::new(b"\"ts\":"),
            history: memchr::memmem::Finder::new(b"\"history\":true"),
            marker: memchr::memmem::Finder::new(b"\"lg "),
            edited: memchr::memmem::Finder::new(b"\"editedTs\":"),
            deleted: memchr::memmem::Finder::new(b"\"deleted\":true"),
            reactions: memchr::memmem::Finder::new(b"\"reactions\":[{"),
        }
    }
}

/// Finds `key` (e.g. `"seq":`) in a JSON text and parses the unsigned integer after it.
pub fn find_u64(text: &str, key: &memchr::memmem::Finder<'_>) -> Option<u64> {
    let at = key.find(text.as_bytes())? + key.needle().len();
    parse_u64(&text.as_bytes()[at..]).map(|(v, _)| v)
}

/// Parses leading ASCII digits (after optional spaces); returns the value and bytes consumed.
pub fn parse_u64(b: &[u8]) -> Option<(u64, usize)> {
    let mut i = 0;
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    let start = i;
    let mut v: u64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        v = v * 10 + u64::from(b[i] - b'0');
        i += 1;
    }
    (i > start).then_some((v, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_event_ack_and_numbers() {
        match parse(r#"42["message",{"seq":7}]"#) {
            Packet::Event { payload } => assert_eq!(payload, r#"["message",{"seq":7}]"#),
            _ => panic!(),
        }
        match parse(r#"4312[{"ok":true}]"#) {
            Packet::Ack { id, payload } => {
                assert_eq!(id, 12);
                assert_eq!(payload, r#"[{"ok":true}]"#);
            }
            _ => panic!(),
        }
        assert_eq!(
            find_u64(r#"{"a":1,"seq":42,"b":2}"#, &Finders::new().seq),
            Some(42)
        );
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
    }
}
