//! The Rust chat client used by `lanchat join` and the desktop window.
//!
//! One supervisor task owns the connection (rust_socketio) and everything that must survive a
//! reconnect: the rooms to be in with the last seq seen in each, and the outbox of messages not
//! yet acknowledged. It reconnects with capped backoff, rejoins with `since`, resends unacked
//! messages with their clientId (the server dedupes), drops replayed duplicates by seq, and
//! pings the server because rust_socketio may not notice a dead connection.

mod address;
mod conn;

pub use address::{BadAddress, DEFAULT_PORT, Target, parse_target};

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::protocol::{
    ErrorCode, JoinAck, Kicked, Kind, Members, Message, Presence, SendAck, ServerClosing,
    ServerInfo, Typing, WireError, events,
};
use conn::{Conn, Incoming};

/// What the client tells its user (the terminal, or the window through IPC).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ClientEvent {
    Message(Message),
    Members(Members),
    Typing(Typing),
    State {
        state: ConnState,
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        reason: Option<String>,
    },
    Kicked(Kicked),
    ServerClosing(ServerClosing),
    /// A refusal the user should see. `room` and `clientId` say which room or which queued
    /// message it concerns, when it concerns one.
    #[serde(rename_all = "camelCase")]
    Error {
        code: String,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        room: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        client_id: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ConnState {
    Connecting,
    Connected,
    Reconnecting,
    Disconnected,
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `host:port` or an invite link.
    pub address: String,
    pub nick: String,
    pub password: Option<String>,
    /// Kept for the client's lifetime so the server lets us take over our own stale nickname.
    pub session_id: String,
    /// Probe the server after this much silence (default 5 s)…
    pub idle_probe: Duration,
    /// …and give up on a request (and the connection) after this long (default 10 s).
    pub request_timeout: Duration,
    /// Reconnect backoff bounds (default 250 ms to 5 s).
    pub backoff_min: Duration,
    pub backoff_max: Duration,
}

impl ClientConfig {
    pub fn new(address: impl Into<String>, nick: impl Into<String>) -> ClientConfig {
        ClientConfig {
            address: address.into(),
            nick: nick.into(),
            password: None,
            session_id: uuid::Uuid::new_v4().to_string(),
            idle_probe: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Address(#[from] BadAddress),
    #[error("could not reach {0}: {1}")]
    Unreachable(String, String),
    #[error("this server needs a password")]
    PasswordRequired,
    #[error("wrong password")]
    BadPassword,
    #[error("the server is full")]
    ServerFull,
    /// The server refused a request, with one of the protocol's error codes.
    #[error(transparent)]
    Refused(#[from] WireError),
    #[error("the client has stopped")]
    Stopped,
}

impl ClientError {
    /// Stable code for IPC and exit messages.
    pub fn code(&self) -> &str {
        match self {
            ClientError::Address(_) => "bad_address",
            ClientError::Unreachable(..) => "connect_failed",
            ClientError::PasswordRequired => "password_required",
            ClientError::BadPassword => "bad_password",
            ClientError::ServerFull => "server_full",
            ClientError::Refused(e) => e.code.as_str(),
            ClientError::Stopped => "not_connected",
        }
    }

    /// The `error` of a failed ack. A code this version does not know (a newer server) still
    /// reaches the user, as a malformed-reply refusal carrying the server's words.
    fn from_wire(v: &Value) -> ClientError {
        let e = v.get("error").cloned().unwrap_or(Value::Null);
        match serde_json::from_value::<WireError>(e.clone()) {
            Ok(w) => ClientError::Refused(w),
            Err(_) => ClientError::Refused(WireError::new(
                ErrorCode::InvalidPayload,
                e.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("the server refused the request")
                    .to_owned(),
            )),
        }
    }
}

enum Request {
    Join {
        room: String,
        done: Option<oneshot::Sender<Result<JoinAck, ClientError>>>,
    },
    Leave {
        room: String,
        done: Option<oneshot::Sender<Result<(), ClientError>>>,
    },
    Send(Outgoing),
    Ping,
}

struct Outgoing {
    room: String,
    text: String,
    client_id: String,
    done: Option<oneshot::Sender<Result<SendAck, ClientError>>>,
}

enum Cmd {
    Request(Request),
    Typing { room: String, typing: bool },
    Flush(oneshot::Sender<()>),
    Stop(oneshot::Sender<()>),
}

/// Handle to a running client. Dropping it stops the client.
pub struct Client {
    cmds: mpsc::UnboundedSender<Cmd>,
    info: ServerInfo,
}

impl Client {
    /// Connects (the first attempt must succeed) and starts the supervisor.
    pub async fn connect(
        cfg: ClientConfig,
        events: mpsc::UnboundedSender<ClientEvent>,
    ) -> Result<Client, ClientError> {
        let target = parse_target(&cfg.address)?;
        let info = conn::probe(&target.base_url).await?;
        let legacy = info.server != "lanchat";
        let (inc_tx, inc_rx) = mpsc::unbounded_channel();
        let _ = events.send(ClientEvent::State {
            state: ConnState::Connecting,
            reason: None,
        });
        let c = Conn::open(&target.base_url, &cfg, 0, inc_tx.clone()).await?;
        let (cmds, cmd_rx) = mpsc::unbounded_channel();
        let sup = Supervisor {
            base_url: target.base_url,
            cfg,
            legacy,
            events,
            rooms: BTreeMap::new(),
            queue: VecDeque::new(),
            inflight: None,
            echo_wait: VecDeque::new(),
            conn: Some(c),
            generation: 0,
            inc_tx,
            last_heard: Instant::now(),
            pause_until: None,
            failures: 0,
            flush_waiters: Vec::new(),
            next_req: 0,
        };
        sup.emit_state(ConnState::Connected, None);
        tokio::spawn(sup.run(cmd_rx, inc_rx));
        Ok(Client { cmds, info })
    }

    /// What `/api/info` said at connect (`server` is not `lanchat` for a tutorial-only server).
    pub fn server_info(&self) -> &ServerInfo {
        &self.info
    }

    pub async fn join(&self, room: &str) -> Result<JoinAck, ClientError> {
        let room = crate::protocol::clean_room(room)?;
        let (tx, rx) = oneshot::channel();
        self.request(Request::Join {
            room,
            done: Some(tx),
        })?;
        rx.await.map_err(|_| ClientError::Stopped)?
    }

    pub async fn leave(&self, room: &str) -> Result<(), ClientError> {
        let (tx, rx) = oneshot::channel();
        self.request(Request::Leave {
            room: room.to_owned(),
            done: Some(tx),
        })?;
        rx.await.map_err(|_| ClientError::Stopped)?
    }

    /// Queues a message; it is sent (again after reconnects) until the server acks it. The
    /// returned receiver resolves with the ack or a refusal.
    pub fn send(
        &self,
        room: &str,
        text: &str,
        client_id: Option<String>,
    ) -> Result<oneshot::Receiver<Result<SendAck, ClientError>>, ClientError> {
        let (tx, rx) = oneshot::channel();
        self.request(Request::Send(Outgoing {
            room: room.to_owned(),
            text: text.to_owned(),
            client_id: client_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            done: Some(tx),
        }))?;
        Ok(rx)
    }

    pub fn typing(&self, room: &str, typing: bool) {
        let _ = self.cmds.send(Cmd::Typing {
            room: room.to_owned(),
            typing,
        });
    }

    /// Waits until every queued message has been acknowledged (or refused).
    pub async fn flush(&self) -> Result<(), ClientError> {
        let (tx, rx) = oneshot::channel();
        self.cmds
            .send(Cmd::Flush(tx))
            .map_err(|_| ClientError::Stopped)?;
        rx.await.map_err(|_| ClientError::Stopped)
    }

    pub async fn disconnect(self) {
        let (tx, rx) = oneshot::channel();
        if self.cmds.send(Cmd::Stop(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    fn request(&self, r: Request) -> Result<(), ClientError> {
        self.cmds
            .send(Cmd::Request(r))
            .map_err(|_| ClientError::Stopped)
    }
}

/// A room we want to be in.
struct RoomState {
    last_seq: u64,
    /// Confirmed by the server on the current connection.
    joined: bool,
    /// From the join ack, kept current by `presence` deltas.
    members: Members,
}

impl RoomState {
    fn new(room: &str) -> RoomState {
        RoomState {
            last_seq: 0,
            joined: false,
            members: Members {
                room: room.to_owned(),
                members: Vec::new(),
            },
        }
    }
}

struct InFlight {
    id: u64,
    request: Request,
    deadline: Instant,
}

struct Supervisor {
    base_url: String,
    cfg: ClientConfig,
    /// The server only speaks the tutorial's events: no acks, no seq.
    legacy: bool,
    events: mpsc::UnboundedSender<ClientEvent>,
    rooms: BTreeMap<String, RoomState>,
    /// Requests not yet sent on this connection, in order. Only one request is in flight at a
    /// time: it keeps a socket's order trivially and sidesteps rust_socketio's random ack ids.
    queue: VecDeque<Request>,
    inflight: Option<InFlight>,
    /// Legacy servers do not ack: a message counts as delivered when its echo comes back.
    echo_wait: VecDeque<Outgoing>,
    conn: Option<Conn>,
    /// Bumped on every (re)connect so events of a dead connection are ignored.
    generation: u64,
    inc_tx: mpsc::UnboundedSender<(u64, Incoming)>,
    last_heard: Instant,
    /// Set after a `rate_limited` answer: wait before sending again.
    pause_until: Option<Instant>,
    failures: u32,
    flush_waiters: Vec<oneshot::Sender<()>>,
    next_req: u64,
}

impl Supervisor {
    async fn run(
        mut self,
        mut cmds: mpsc::UnboundedReceiver<Cmd>,
        mut inc: mpsc::UnboundedReceiver<(u64, Incoming)>,
    ) {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            self.pump().await;
            tokio::select! {
                cmd = cmds.recv() => match cmd {
                    None => break,
                    Some(Cmd::Stop(done)) => {
                        self.close().await;
                        self.emit_state(ConnState::Disconnected, Some("left".into()));
                        let _ = done.send(());
                        return;
                    }
                    Some(cmd) => self.command(cmd).await,
                },
                Some((generation, event)) = inc.recv() => {
                    if generation == self.generation {
                        self.incoming(event).await;
                    }
                }
                _ = tick.tick() => self.check_liveness().await,
            }
        }
        self.close().await;
    }

    async fn command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Request(r) => self.queue.push_back(r),
            Cmd::Typing { room, typing } => {
                if let Some(c) = &self.conn
                    && self.rooms.get(&room).is_some_and(|r| r.joined)
                    && !self.legacy
                {
                    c.emit(events::TYPING, json!({ "room": room, "typing": typing }))
                        .await;
                }
            }
            Cmd::Flush(done) => self.flush_waiters.push(done),
            Cmd::Stop(_) => {}
        }
    }

    fn outbox_empty(&self) -> bool {
        let pending_send = |r: &Request| matches!(r, Request::Send(_));
        !self.queue.iter().any(pending_send)
            && !self
                .inflight
                .as_ref()
                .is_some_and(|f| pending_send(&f.request))
            && self.echo_wait.is_empty()
    }

    /// Sends the next queued request if the connection is up and nothing is in flight.
    async fn pump(&mut self) {
        if self.outbox_empty() {
            for w in self.flush_waiters.drain(..) {
                let _ = w.send(());
            }
        }
        loop {
            if self.inflight.is_some() || self.conn.is_none() {
                return;
            }
            if self.pause_until.is_some_and(|t| Instant::now() < t) {
                return;
            }
            let Some(req) = self.queue.pop_front() else {
                return;
            };
            if !self.start(req).await {
                return;
            }
        }
    }

    /// Puts one request on the wire. Returns false when it must wait.
    async fn start(&mut self, req: Request) -> bool {
        let nick = self.cfg.nick.clone();
        let (event, payload) = match &req {
            Request::Join { room, .. } => {
                // Known from now on, so its history (sent before the ack) is not dropped.
                let since = self
                    .rooms
                    .entry(room.clone())
                    .or_insert_with(|| RoomState::new(room))
                    .last_seq;
                let mut p = json!({ "roomName": room, "nickName": nick });
                if since > 0 {
                    p["since"] = json!(since);
                }
                (events::JOIN_ROOM, p)
            }
            Request::Leave { room, .. } => (events::LEAVE_ROOM, json!({ "room": room })),
            Request::Send(o) => {
                if !self.rooms.get(&o.room).is_some_and(|r| r.joined) {
                    // Not (re)joined yet on this connection: keep it until the rejoin is done.
                    self.queue.push_front(req);
                    return false;
                }
                (
                    events::SEND_MESSAGE,
                    json!({ "room": o.room, "nickName": nick, "message": o.text, "clientId": o.client_id }),
                )
            }
            Request::Ping => (events::PING, json!({})),
        };
        let conn = self.conn.as_ref().expect("checked by pump");
        if self.legacy {
            conn.emit(event, payload).await;
            self.finish_legacy(req);
            return true;
        }
        self.next_req += 1;
        let id = self.next_req;
        if let Err(e) = conn
            .emit_with_ack(event, payload, id, self.cfg.request_timeout)
            .await
        {
            tracing::debug!("emit {event} failed: {e}");
            self.requeue(req);
            self.connection_lost(Some(e)).await;
            return false;
        }
        self.inflight = Some(InFlight {
            id,
            request: req,
            deadline: Instant::now() + self.cfg.request_timeout,
        });
        true
    }

    /// The tutorial server never answers; assume success except for sends, which wait for
    /// their echo.
    fn finish_legacy(&mut self, req: Request) {
        match req {
            Request::Join { room, done } => {
                self.rooms
                    .entry(room.clone())
                    .or_insert_with(|| RoomState::new(&room))
                    .joined = true;
                if let Some(d) = done {
                    let _ = d.send(Ok(JoinAck {
                        room,
                        nick_name: self.cfg.nick.clone(),
                        last_seq: 0,
                        members: Vec::new(),
                    }));
                }
            }
            Request::Leave { room, done } => {
                self.rooms.remove(&room);
                if let Some(d) = done {
                    let _ = d.send(Ok(()));
                }
            }
            Request::Send(o) => self.echo_wait.push_back(o),
            Request::Ping => {}
        }
    }

    fn requeue(&mut self, req: Request) {
        match req {
            Request::Ping => {}
            // Rejoins are regenerated from `rooms` on reconnect; a user's join is retried.
            Request::Join { done: None, .. } => {}
            other => self.queue.push_front(other),
        }
    }

    async fn incoming(&mut self, event: Incoming) {
        self.last_heard = Instant::now();
        match event {
            Incoming::Ack(id, body) => self.ack(id, body),
            Incoming::Event(name, data) => self.event(&name, data),
            Incoming::Closed(reason) => self.connection_lost(reason).await,
            Incoming::Open => {}
        }
    }

    fn ack(&mut self, id: u64, body: Value) {
        let Some(f) = self.inflight.take_if(|f| f.id == id) else {
            return;
        };
        let ok = body.get("ok").and_then(Value::as_bool) == Some(true);
        match f.request {
            Request::Join { room, done } => {
                let result = if ok {
                    serde_json::from_value::<JoinAck>(body).map_err(|e| {
                        ClientError::Refused(WireError::new(
                            ErrorCode::InvalidPayload,
                            e.to_string(),
                        ))
                    })
                } else {
                    Err(ClientError::from_wire(&body))
                };
                match &result {
                    Ok(ack) => {
                        let state = self
                            .rooms
                            .entry(room)
                            .or_insert_with_key(|room| RoomState::new(room));
                        state.joined = true;
                        // The list is whole here; `presence` deltas follow. A rejoin after a
                        // reconnect refreshes it for the app, too.
                        state.members.members = ack.members.clone();
                        let _ = self
                            .events
                            .send(ClientEvent::Members(state.members.clone()));
                    }
                    Err(e) => {
                        // A join that fails (kicked, nickname taken) drops the room.
                        self.rooms.remove(&room);
                        if done.is_none() {
                            self.report(e, Some(&room), None);
                        }
                        self.fail_sends_to(&room, e);
                    }
                }
                if let Some(d) = done {
                    let _ = d.send(result);
                }
            }
            Request::Leave { room, done } => {
                let result = if ok {
                    Ok(())
                } else {
                    Err(ClientError::from_wire(&body))
                };
                self.rooms.remove(&room);
                if let Some(d) = done {
                    let _ = d.send(result);
                }
            }
            Request::Send(o) => {
                if ok {
                    let result = serde_json::from_value::<SendAck>(body).map_err(|e| {
                        ClientError::Refused(WireError::new(
                            ErrorCode::InvalidPayload,
                            e.to_string(),
                        ))
                    });
                    if let Some(d) = o.done {
                        let _ = d.send(result);
                    }
                } else {
                    let err = ClientError::from_wire(&body);
                    if matches!(&err, ClientError::Refused(w) if w.code == ErrorCode::RateLimited) {
                        self.pause_until = Some(Instant::now() + Duration::from_millis(300));
                        self.queue.push_front(Request::Send(o));
                    } else {
                        self.fail_send(o, &err);
                    }
                }
            }
            Request::Ping => {}
        }
    }

    /// Refuses every queued message for `room` (after a kick or a failed rejoin).
    /// Queues a rejoin with `since` for `room` unless one is already on its way.
    fn resync(&mut self, room: String) {
        let is_join = |r: &Request| matches!(r, Request::Join { room: q, .. } if *q == room);
        if self.queue.iter().any(is_join)
            || self.inflight.as_ref().is_some_and(|f| is_join(&f.request))
        {
            return;
        }
        tracing::info!("missed messages in {room}; catching up");
        self.queue.push_front(Request::Join { room, done: None });
    }

    fn fail_sends_to(&mut self, room: &str, err: &ClientError) {
        let (failed, keep) = std::mem::take(&mut self.queue)
            .into_iter()
            .partition(|r| matches!(r, Request::Send(o) if o.room == room));
        self.queue = keep;
        for r in failed {
            if let Request::Send(o) = r {
                self.fail_send(o, err);
            }
        }
    }

    /// Tells both the sender (its ack receiver) and the user (an error event) that a message
    /// was refused.
    fn fail_send(&self, o: Outgoing, err: &ClientError) {
        self.report(err, Some(&o.room), Some(&o.client_id));
        if let Some(d) = o.done {
            let _ = d.send(Err(err.clone()));
        }
    }

    fn report(&self, err: &ClientError, room: Option<&str>, client_id: Option<&str>) {
        let _ = self.events.send(ClientEvent::Error {
            code: err.code().to_owned(),
            message: err.to_string(),
            room: room.map(str::to_owned),
            client_id: client_id.map(str::to_owned),
        });
    }

    fn event(&mut self, name: &str, data: Value) {
        let ev = match name {
            events::MESSAGE => {
                let Some(m) = self.accept_message(data) else {
                    return;
                };
                ClientEvent::Message(m)
            }
            events::PRESENCE => match serde_json::from_value::<Presence>(data) {
                Ok(p) => match self.rooms.get_mut(&p.room) {
                    Some(state) => {
                        state.members.apply(&p);
                        ClientEvent::Members(state.members.clone())
                    }
                    None => return,
                },
                Err(_) => return,
            },
            events::TYPING => match serde_json::from_value(data) {
                Ok(t) => ClientEvent::Typing(t),
                Err(_) => return,
            },
            events::KICKED => match serde_json::from_value::<Kicked>(data) {
                Ok(k) => {
                    self.rooms.remove(&k.room);
                    let err = ClientError::Refused(WireError::new(
                        ErrorCode::Kicked,
                        format!("removed from {}", k.room),
                    ));
                    self.fail_sends_to(&k.room.clone(), &err);
                    ClientEvent::Kicked(k)
                }
                Err(_) => return,
            },
            events::SERVER_CLOSING => match serde_json::from_value(data) {
                Ok(s) => ClientEvent::ServerClosing(s),
                Err(_) => return,
            },
            events::REQUEST_ERROR => ClientEvent::Error {
                code: data
                    .get("code")
                    .and_then(Value::as_str)
                    .unwrap_or("error")
                    .to_owned(),
                message: data
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                room: None,
                client_id: None,
            },
            _ => return,
        };
        let _ = self.events.send(ev);
    }

    /// Turns a `message` payload into a [`Message`], dropping replays already seen. Tutorial
    /// servers send only `{nickName, message}`; those get seq 0 and are never dropped.
    fn accept_message(&mut self, data: Value) -> Option<Message> {
        if let Ok(m) = serde_json::from_value::<Message>(data.clone()) {
            let room = self.rooms.get_mut(&m.room)?;
            if m.seq <= room.last_seq {
                return None;
            }
            // A live message that skips seqs means some were lost on the way (the server drops
            // messages for a connection that cannot keep up). Hold it back and rejoin with
            // `since`: the replay brings the missing ones and this one, in order. Replayed
            // history is authoritative (a failed store can leave seqs unused).
            if !m.history && room.joined && room.last_seq > 0 && m.seq > room.last_seq + 1 {
                let room = m.room.clone();
                self.resync(room);
                return None;
            }
            room.last_seq = m.seq;
            return Some(m);
        }
        let nick = data.get("nickName").and_then(Value::as_str)?.to_owned();
        let text = match data.get("message") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => return None,
        };
        let room = self.rooms.keys().next().cloned().unwrap_or_default();
        if nick == self.cfg.nick
            && let Some(i) = self.echo_wait.iter().position(|o| o.text == text)
            && let Some(o) = self.echo_wait.remove(i)
            && let Some(d) = o.done
        {
            let _ = d.send(Ok(SendAck {
                id: String::new(),
                seq: 0,
                ts: 0,
                duplicate: false,
            }));
        }
        let kind = if text.contains(" 加入了 ") || text.ends_with(" joined") {
            Kind::Join
        } else {
            Kind::Chat
        };
        Some(Message {
            id: String::new(),
            room,
            seq: 0,
            ts: crate::clock::now_ms(),
            kind,
            nick_name: nick,
            message: text,
            client_id: None,
            history: false,
        })
    }

    async fn check_liveness(&mut self) {
        let now = Instant::now();
        if let Some(f) = &self.inflight
            && now > f.deadline
        {
            tracing::info!(
                "no answer from the server in {:?}; reconnecting",
                self.cfg.request_timeout
            );
            let f = self.inflight.take().expect("checked");
            self.requeue(f.request);
            self.connection_lost(Some("the server stopped answering".into()))
                .await;
            return;
        }
        if self.conn.is_none() {
            self.try_reconnect().await;
            return;
        }
        if !self.legacy
            && self.inflight.is_none()
            && self.queue.is_empty()
            && now.duration_since(self.last_heard) > self.cfg.idle_probe
        {
            self.queue.push_back(Request::Ping);
            self.last_heard = now;
        }
    }

    async fn connection_lost(&mut self, reason: Option<String>) {
        if self.conn.is_none() {
            return;
        }
        self.close().await;
        if let Some(f) = self.inflight.take() {
            self.requeue(f.request);
        }
        // Legacy sends whose echo never came: send again (the tutorial server cannot dedupe).
        while let Some(o) = self.echo_wait.pop_back() {
            self.queue.push_front(Request::Send(o));
        }
        for r in self.rooms.values_mut() {
            r.joined = false;
        }
        self.failures = 0;
        self.pause_until = Some(Instant::now() + self.cfg.backoff_min);
        self.emit_state(ConnState::Reconnecting, reason);
    }

    async fn try_reconnect(&mut self) {
        if self.pause_until.is_some_and(|t| Instant::now() < t) {
            return;
        }
        self.generation += 1;
        match Conn::open(
            &self.base_url,
            &self.cfg,
            self.generation,
            self.inc_tx.clone(),
        )
        .await
        {
            Ok(c) => {
                self.conn = Some(c);
                self.failures = 0;
                self.pause_until = None;
                self.last_heard = Instant::now();
                // Rejoin every room first, with the last seq seen, before any queued send.
                let rooms: Vec<String> = self.rooms.keys().rev().cloned().collect();
                for room in rooms {
                    let queued = self
                        .queue
                        .iter()
                        .any(|r| matches!(r, Request::Join { room: q, .. } if *q == room));
                    if !queued {
                        self.queue.push_front(Request::Join { room, done: None });
                    }
                }
                self.emit_state(ConnState::Connected, None);
            }
            Err(e) => {
                self.failures += 1;
                let backoff = self
                    .cfg
                    .backoff_min
                    .saturating_mul(1 << self.failures.min(6))
                    .min(self.cfg.backoff_max);
                self.pause_until = Some(Instant::now() + backoff);
                let fatal = matches!(e, ClientError::BadPassword | ClientError::PasswordRequired);
                self.emit_state(
                    if fatal {
                        ConnState::Disconnected
                    } else {
                        ConnState::Reconnecting
                    },
                    Some(e.to_string()),
                );
                if fatal {
                    // The host changed the password: retrying cannot help.
                    self.pause_until = Some(Instant::now() + Duration::from_secs(3600));
                }
            }
        }
    }

    async fn close(&mut self) {
        if let Some(c) = self.conn.take() {
            c.close().await;
        }
    }

    fn emit_state(&self, state: ConnState, reason: Option<String>) {
        let _ = self.events.send(ClientEvent::State { state, reason });
    }
}
