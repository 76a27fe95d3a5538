//! Raw wire access for hostile tests: a minimal WebSocket client on a plain `TcpStream` that can
//! send any frame — including a 10 MB one, streamed in small chunks so the test process itself
//! stays small and its memory reflects the server's — the engine.io/Socket.IO handshake on top
//! of it, and raw HTTP requests (streamed bodies, paths no URL library would leave alone).
//!
//! Hand-rolled rather than tokio-tungstenite on purpose: a WebSocket library builds whole frames
//! in memory and refuses to send malformed ones, which is exactly what these tests need to do.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use super::WAIT;

/// Socket.IO's engine.io endpoint for a WebSocket-only client.
pub const WS_PATH: &str = "/socket.io/?EIO=4&transport=websocket";

/// A frame received from the server, or the end of the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
    /// A close frame with its status code, if it had one.
    Close(Option<u16>),
    /// The TCP connection ended (FIN, reset, or any read error).
    Gone(String),
}

const OP_CONT: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;
/// Client frames must be masked; any key will do.
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
/// Streamed payloads are written in chunks of this size (a multiple of 4, so one masked chunk
/// serves for all of them).
const CHUNK: usize = 64 * 1024;

pub struct RawWs {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl RawWs {
    /// Opens a TCP connection and performs the WebSocket upgrade on `path`.
    pub async fn connect(addr: SocketAddr, path: &str) -> std::io::Result<RawWs> {
        Self::connect_with(addr, path, None).await
    }

    /// [`RawWs::connect`] with the TCP receive buffer set to `receive_buffer` bytes first (the
    /// kernel may round it up): a client that stops reading then closes its window after a few
    /// KiB, instead of letting the kernel take in megabytes for it.
    pub async fn connect_with(
        addr: SocketAddr,
        path: &str,
        receive_buffer: Option<u32>,
    ) -> std::io::Result<RawWs> {
        tokio::time::timeout(WAIT, Self::upgrade(addr, path, receive_buffer))
            .await
            .unwrap_or_else(|_| Err(std::io::Error::other("no upgrade answer")))
    }

    async fn upgrade(
        addr: SocketAddr,
        path: &str,
        receive_buffer: Option<u32>,
    ) -> std::io::Result<RawWs> {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        if let Some(size) = receive_buffer {
            socket.set_recv_buffer_size(size)?;
        }
        let stream = socket.connect(addr).await?;
        stream.set_nodelay(true)?;
        let (r, mut writer) = stream.into_split();
        let mut reader = BufReader::new(r);
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        writer.write_all(request.as_bytes()).await?;
        let head = read_head(&mut reader).await?;
        if !head.starts_with("HTTP/1.1 101") {
            return Err(std::io::Error::other(format!("upgrade refused: {head}")));
        }
        Ok(RawWs { reader, writer })
    }

    pub async fn send_text(&mut self, text: &str) -> std::io::Result<()> {
        self.send_frame(OP_TEXT, text.as_bytes()).await
    }

    pub async fn send_binary(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.send_frame(OP_BINARY, data).await
    }

    async fn send_frame(&mut self, opcode: u8, payload: &[u8]) -> std::io::Result<()> {
        let mut frame = header(opcode, payload.len() as u64);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
        self.writer.write_all(&frame).await?;
        self.writer.flush().await
    }

    /// Sends one text frame of `len` bytes: `prefix` and then `fill` repeated, written in
    /// 64 KiB chunks so that nothing of that size is ever held in memory here.
    pub async fn send_text_streamed(
        &mut self,
        prefix: &str,
        fill: u8,
        len: u64,
    ) -> std::io::Result<()> {
        assert!(fill.is_ascii() && (prefix.len() as u64) < len);
        let mut start = header(OP_TEXT, len);
        start.extend(prefix.bytes().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
        self.writer.write_all(&start).await?;
        // Every chunk is a multiple of 4 long, so they all start at the same mask offset.
        let off = prefix.len();
        let chunk: Vec<u8> = (0..CHUNK).map(|i| fill ^ MASK[(off + i) % 4]).collect();
        let mut left = len - prefix.len() as u64;
        while left > 0 {
            let n = left.min(CHUNK as u64) as usize;
            self.writer.write_all(&chunk[..n]).await?;
            left -= n as u64;
        }
        self.writer.flush().await
    }

    /// Whether the connection is still open, asked with a WebSocket ping — a probe the server
    /// answers at the WebSocket layer without parsing anything (useful while it waits for the
    /// rest of a packet). An engine.io close packet, a close frame or EOF mean no.
    pub async fn alive(&mut self) -> bool {
        if self.send_frame(OP_PING, b"alive?").await.is_err() {
            return false;
        }
        loop {
            match self.read_frame().await {
                Ok((_, OP_PONG, _)) => return true,
                Ok((_, OP_CLOSE, _)) | Err(_) => return false,
                Ok((_, OP_TEXT, p)) if p == b"1" => return false,
                Ok(_) => continue,
            }
        }
    }

    /// The next data or close frame. Pings are answered, pongs skipped, fragments joined.
    pub async fn recv(&mut self) -> Frame {
        let mut partial: Option<(u8, Vec<u8>)> = None;
        loop {
            let (fin, opcode, payload) = match self.read_frame().await {
                Ok(f) => f,
                Err(e) => return Frame::Gone(e.to_string()),
            };
            match opcode {
                OP_PING => {
                    if let Err(e) = self.send_frame(OP_PONG, &payload).await {
                        return Frame::Gone(e.to_string());
                    }
                    continue;
                }
                OP_PONG => continue,
                OP_CLOSE => {
                    let code =
                        (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
                    return Frame::Close(code);
                }
                _ => {}
            }
            let (op, data) = match (opcode, partial.take()) {
                (OP_CONT, Some((op, mut data))) => {
                    data.extend(payload);
                    (op, data)
                }
                (OP_CONT, None) => return Frame::Gone("continuation without a start".into()),
                (op, _) => (op, payload),
            };
            if !fin {
                partial = Some((op, data));
                continue;
            }
            return match op {
                OP_TEXT => match String::from_utf8(data) {
                    Ok(s) => Frame::Text(s),
                    Err(_) => Frame::Gone("the server sent invalid UTF-8".into()),
                },
                OP_BINARY => Frame::Binary(data),
                other => Frame::Gone(format!("unknown opcode {other}")),
            };
        }
    }

    async fn read_frame(&mut self) -> std::io::Result<(bool, u8, Vec<u8>)> {
        let mut h = [0u8; 2];
        self.reader.read_exact(&mut h).await?;
        let fin = h[0] & 0x80 != 0;
        let opcode = h[0] & 0x0f;
        let masked = h[1] & 0x80 != 0;
        let len = match h[1] & 0x7f {
            126 => self.reader.read_u16().await? as u64,
            127 => self.reader.read_u64().await?,
            n => n as u64,
        };
        if len > 16 * 1024 * 1024 {
            return Err(std::io::Error::other(format!(
                "frame of {len} bytes from the server"
            )));
        }
        let mut key = [0u8; 4];
        if masked {
            self.reader.read_exact(&mut key).await?;
        }
        let mut payload = vec![0u8; len as usize];
        self.reader.read_exact(&mut payload).await?;
        if masked {
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= key[i % 4];
            }
        }
        Ok((fin, opcode, payload))
    }
}

fn header(opcode: u8, len: u64) -> Vec<u8> {
    let mut h = vec![0x80 | opcode];
    match len {
        0..=125 => h.push(0x80 | len as u8),
        126..=0xffff => {
            h.push(0x80 | 126);
            h.extend((len as u16).to_be_bytes());
        }
        _ => {
            h.push(0x80 | 127);
            h.extend(len.to_be_bytes());
        }
    }
    h.extend(MASK);
    h
}

/// Reads an HTTP response head (status line and headers) up to the blank line.
async fn read_head(reader: &mut BufReader<OwnedReadHalf>) -> std::io::Result<String> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == "\r\n" {
            return Ok(head);
        }
        head.push_str(&line);
    }
}

/// What became of a connection after something hostile was sent on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// It still answers a `ping` request.
    Alive,
    /// The server closed it.
    Dropped,
}

/// A Socket.IO connection spoken by hand: engine.io v4 over [`RawWs`].
pub struct RawSio {
    pub ws: RawWs,
    /// Packets set aside while waiting for something else.
    backlog: Vec<String>,
    next_ack: u64,
}

impl RawSio {
    /// The WebSocket upgrade and the engine.io open packet; not yet in any namespace.
    pub async fn open(addr: SocketAddr) -> RawSio {
        RawSio::open_with(addr, None).await
    }

    /// [`RawSio::open`] on a TCP connection with a small receive buffer (see
    /// [`RawWs::connect_with`]).
    pub async fn open_with(addr: SocketAddr, receive_buffer: Option<u32>) -> RawSio {
        let mut ws = RawWs::connect_with(addr, WS_PATH, receive_buffer)
            .await
            .expect("websocket upgrade");
        match tokio::time::timeout(WAIT, ws.recv()).await {
            Ok(Frame::Text(t)) if t.starts_with("0{") => {}
            other => panic!("no engine.io open packet: {other:?}"),
        }
        RawSio {
            ws,
            backlog: Vec::new(),
            next_ack: 100,
        }
    }

    /// Connects to the default namespace: `Ok(payload of "40")` or `Err(payload of "44")`.
    pub async fn connect_ns(&mut self, auth: Option<&Value>) -> Result<Value, Value> {
        let packet = match auth {
            Some(a) => format!("40{a}"),
            None => "40".to_owned(),
        };
        self.ws.send_text(&packet).await.expect("send connect");
        let answer = tokio::time::timeout(WAIT, async {
            loop {
                match self.packet().await {
                    Some(p) if p.starts_with('0') => return Ok(json_or_null(&p[1..])),
                    Some(p) if p.starts_with('4') => return Err(json_or_null(&p[1..])),
                    Some(p) => self.backlog.push(p),
                    None => panic!("connection closed during the namespace connect"),
                }
            }
        })
        .await;
        answer.unwrap_or_else(|_| panic!("no answer to the namespace connect within {WAIT:?}"))
    }

    /// A session already open on `ws` (one upgraded from long-polling, say).
    pub fn from_ws(ws: RawWs) -> RawSio {
        RawSio {
            ws,
            backlog: Vec::new(),
            next_ack: 100,
        }
    }

    /// Open and connect to the default namespace without auth.
    pub async fn connect(addr: SocketAddr) -> RawSio {
        let mut s = RawSio::open(addr).await;
        s.connect_ns(None).await.expect("namespace connect");
        s
    }

    /// Sends one engine.io text packet exactly as given.
    pub async fn send(&mut self, packet: &str) -> std::io::Result<()> {
        self.ws.send_text(packet).await
    }

    /// The next engine.io message, without its leading `4`: a Socket.IO packet such as
    /// `0{"sid":…}` or `3101[…]`. Engine.io pings are answered and skipped. `None` once the
    /// server sends an engine.io close packet or the connection ends.
    async fn packet(&mut self) -> Option<String> {
        loop {
            match self.ws.recv().await {
                Frame::Text(t) if t == "2" => {
                    self.ws.send_text("3").await.ok()?;
                }
                Frame::Text(t) if t.starts_with('4') => return Some(t[1..].to_owned()),
                // engine.io close: the server is ending the session; whatever it still answers
                // after this does not count.
                Frame::Text(t) if t == "1" => return None,
                Frame::Text(_) | Frame::Binary(_) => continue,
                Frame::Close(_) | Frame::Gone(_) => return None,
            }
        }
    }

    /// The next Socket.IO packet as it came (without the engine.io `4`): one set aside earlier,
    /// or the next from the wire. `None` once the connection ends.
    pub async fn next_packet(&mut self) -> Option<String> {
        if !self.backlog.is_empty() {
            return Some(self.backlog.remove(0));
        }
        tokio::time::timeout(WAIT, self.packet())
            .await
            .unwrap_or_else(|_| panic!("no packet within {WAIT:?}"))
    }

    /// Emits `["event", ...]` given as raw JSON text with a fresh ack id, and waits for the
    /// ack's first argument. `None` if the connection closes first.
    pub async fn request_raw(&mut self, args_json: &str) -> Option<Value> {
        self.next_ack += 1;
        let id = self.next_ack;
        self.send(&format!("42{id}{args_json}")).await.ok()?;
        self.ack(id).await
    }

    /// Waits for the ack `id` (a `3<id>[...]` socket.io packet).
    pub async fn ack(&mut self, id: u64) -> Option<Value> {
        let prefix = format!("3{id}[");
        if let Some(i) = self.backlog.iter().position(|p| p.starts_with(&prefix)) {
            return Some(first_arg(&self.backlog.remove(i)[prefix.len() - 1..]));
        }
        let found = tokio::time::timeout(WAIT, async {
            loop {
                let p = self.packet().await?;
                if p.starts_with(&prefix) {
                    return Some(first_arg(&p[prefix.len() - 1..]));
                }
                self.backlog.push(p);
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("no ack {id} within {WAIT:?}"))
    }

    /// The next event `name` (a `2["name", body]` packet) that was received, waiting for it.
    pub async fn event(&mut self, name: &str) -> Option<Value> {
        let prefix = format!("2[\"{name}\",");
        if let Some(i) = self.backlog.iter().position(|p| p.starts_with(&prefix)) {
            return Some(nth_arg(&self.backlog.remove(i)[1..], 1));
        }
        let found = tokio::time::timeout(WAIT, async {
            loop {
                let p = self.packet().await?;
                if p.starts_with(&prefix) {
                    return Some(nth_arg(&p[1..], 1));
                }
                self.backlog.push(p);
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("no {name} event within {WAIT:?}"))
    }

    /// Whether the connection survived: a `ping` request is either answered or the connection
    /// turns out to be closed. Bounded by [`WAIT`].
    pub async fn fate(&mut self) -> Fate {
        match self.request_raw(r#"["ping"]"#).await {
            Some(ack) if ack["ok"] == true => Fate::Alive,
            Some(other) => panic!("unexpected answer to ping: {other}"),
            None => Fate::Dropped,
        }
    }
}

fn json_or_null(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or(Value::Null)
}

fn first_arg(array_json: &str) -> Value {
    nth_arg(array_json, 0)
}

fn nth_arg(array_json: &str, n: usize) -> Value {
    match serde_json::from_str::<Value>(array_json) {
        Ok(Value::Array(mut a)) if a.len() > n => a.swap_remove(n),
        _ => Value::Null,
    }
}

/// An engine.io v4 long-polling session spoken by hand.
pub struct RawPolling {
    http: reqwest::Client,
    addr: SocketAddr,
    pub sid: String,
}

impl RawPolling {
    /// The long-polling handshake; not yet in any namespace.
    pub async fn open(addr: SocketAddr) -> RawPolling {
        let http = reqwest::Client::new();
        let open = http
            .get(format!("http://{addr}/socket.io/?EIO=4&transport=polling"))
            .send()
            .await
            .expect("polling handshake")
            .text()
            .await
            .unwrap();
        let open: Value = serde_json::from_str(open.strip_prefix('0').expect("open packet"))
            .expect("open packet JSON");
        let sid = open["sid"].as_str().expect("sid").to_owned();
        RawPolling { http, addr, sid }
    }

    fn url(&self) -> String {
        format!(
            "http://{}/socket.io/?EIO=4&transport=polling&sid={}",
            self.addr, self.sid
        )
    }

    /// Posts engine.io packets (joined with 0x1e); the HTTP status.
    pub async fn post(&self, body: &str) -> reqwest::StatusCode {
        self.http
            .post(self.url())
            .body(body.to_owned())
            .send()
            .await
            .expect("POST")
            .status()
    }

    /// One poll: the engine.io packets it brought (a ping is answered and left out). Empty if
    /// the session is gone.
    pub async fn poll(&self) -> Vec<String> {
        let reply = tokio::time::timeout(WAIT, self.http.get(self.url()).send())
            .await
            .unwrap_or_else(|_| panic!("no poll answer within {WAIT:?}"))
            .expect("GET");
        if !reply.status().is_success() {
            return Vec::new();
        }
        let body = reply.text().await.unwrap();
        let mut packets = Vec::new();
        for p in body.split('\u{1e}') {
            if p == "2" {
                self.post("3").await;
            } else if !p.is_empty() {
                packets.push(p.to_owned());
            }
        }
        packets
    }

    /// Upgrades the session to a WebSocket (probe, then the upgrade packet), as socket.io
    /// clients do after starting on long-polling.
    pub async fn upgrade(self) -> RawSio {
        let path = format!("/socket.io/?EIO=4&transport=websocket&sid={}", self.sid);
        let mut ws = RawWs::connect(self.addr, &path)
            .await
            .expect("websocket upgrade");
        ws.send_text("2probe").await.unwrap();
        match tokio::time::timeout(WAIT, ws.recv()).await {
            Ok(Frame::Text(t)) if t == "3probe" => {}
            other => panic!("no probe answer: {other:?}"),
        }
        ws.send_text("5").await.unwrap();
        RawSio::from_ws(ws)
    }
}

/// How the server answered an HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpReply {
    /// Status code and body (the body only when the server sent one before closing).
    Status(u16, String),
    /// The connection ended before a status line arrived.
    Closed(String),
}

/// Sends `head` (request line and headers, without the blank line) and then a body of
/// `body_len` bytes of `fill`, streamed in chunks — as `Content-Length` or, with `chunked`,
/// chunked transfer encoding. The response is read concurrently, so a server that answers
/// early (413) is heard even while the body is still being written.
pub async fn http_streamed(
    addr: SocketAddr,
    head: &str,
    body_prefix: &str,
    fill: u8,
    body_len: u64,
    chunked: bool,
) -> HttpReply {
    let stream = TcpStream::connect(addr).await.expect("tcp connect");
    let (r, mut w) = stream.into_split();
    let head = if chunked {
        format!("{head}\r\nTransfer-Encoding: chunked\r\n\r\n")
    } else {
        format!("{head}\r\nContent-Length: {body_len}\r\n\r\n")
    };
    let prefix = body_prefix.as_bytes().to_vec();
    let writer = tokio::spawn(async move {
        w.write_all(head.as_bytes()).await?;
        let chunk = vec![fill; CHUNK];
        let mut sent = 0u64;
        let mut first = Some(prefix);
        while sent < body_len {
            let mut piece = first.take().unwrap_or_default();
            let room = (body_len - sent - piece.len() as u64).min(CHUNK as u64) as usize;
            piece.extend_from_slice(&chunk[..room]);
            if chunked {
                w.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                    .await?;
                w.write_all(&piece).await?;
                w.write_all(b"\r\n").await?;
            } else {
                w.write_all(&piece).await?;
            }
            sent += piece.len() as u64;
        }
        if chunked {
            w.write_all(b"0\r\n\r\n").await?;
        }
        w.flush().await?;
        // Keep the write half open until the response is read.
        Ok::<_, std::io::Error>(w)
    });
    let reply = read_reply(BufReader::new(r)).await;
    writer.abort();
    reply
}

/// Sends a complete raw request (`Connection: close` is added) and reads the reply.
pub async fn http_raw(addr: SocketAddr, head: &str) -> HttpReply {
    let stream = TcpStream::connect(addr).await.expect("tcp connect");
    let (r, mut w) = stream.into_split();
    let request = format!("{head}\r\nConnection: close\r\n\r\n");
    if let Err(e) = w.write_all(request.as_bytes()).await {
        return HttpReply::Closed(e.to_string());
    }
    let reply = read_reply(BufReader::new(r)).await;
    drop(w);
    reply
}

async fn read_reply(mut reader: BufReader<OwnedReadHalf>) -> HttpReply {
    let read = async {
        let head = match read_head(&mut reader).await {
            Ok(h) => h,
            Err(e) => return HttpReply::Closed(e.to_string()),
        };
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let len = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0)
            .min(1 << 20);
        let mut body = vec![0u8; len];
        let got = reader.read_exact(&mut body).await.map(|_| len).unwrap_or(0);
        body.truncate(got);
        HttpReply::Status(status, String::from_utf8_lossy(&body).into_owned())
    };
    tokio::time::timeout(WAIT, read)
        .await
        .unwrap_or_else(|_| HttpReply::Closed(format!("no reply within {WAIT:?}")))
}

/// Resident memory of this process, in bytes (the servers under test run in it).
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("VmRSS in /proc/self/status")
}

/// Waits until `cond` holds, checking every few milliseconds, for at most [`WAIT`]. For state
/// the server only exposes by polling (its connection count); never a fixed sleep.
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
