//! The task behind a [`Client`](super::Client): it owns the connection and its lifecycle
//! (connected → lost → reconnecting with capped backoff → rejoined), turns the server's events
//! into [`ClientEvent`]s, and drives the outbox (outbox.rs) and the rooms' seq tracking
//! (rooms.rs), which hold the rules. Nothing it awaits is unbounded: a reconnect attempt runs
//! on its own task and reports back, so `Stop` is handled at once even while the host is gone.
//! In a cluster, a reconnect that fails moves on to another node (failover.rs says which), and
//! the rejoin with `since` there is the same as after any reconnect.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::failover::Nodes;
use super::link::{Incoming, Link, Tx};
use super::outbox::{Op, Outbox, Outgoing, Queued, Reply};
use super::rooms::{Rooms, Seen};
use super::{ClientConfig, ClientError, ClientEvent, ConnState, Route, legacy};
use crate::protocol::{
    ErrorCode, FileUploadAck, JoinAck, Kicked, Message, NodeInfo, Presence, SendAck, WireError,
    events,
};

/// What a [`Client`](super::Client) handle asks of its supervisor.
pub enum Order {
    Queue(Op),
    Typing { room: String, typing: bool },
    Flush(Reply<()>),
    Stop(oneshot::Sender<()>),
}

/// How often deadlines, liveness and reconnects are checked.
const TICK: Duration = Duration::from_millis(200);
/// How long to hold sends after a `rate_limited` answer.
const RATE_LIMIT_PAUSE: Duration = Duration::from_millis(300);

pub struct Supervisor {
    /// Where connections go (the tunnel to the node connected to last), and how a failure is
    /// explained.
    route: Arc<Route>,
    /// Every route opened, by node (`host:port`): reused when the client comes back to a node,
    /// and kept while the session lives (the handle's `wire_url` is the first one's; a route is
    /// a loopback listener, and a cluster has a handful of addresses).
    routes: HashMap<String, Arc<Route>>,
    /// The cluster's nodes and which to try next (a single host: just that one).
    nodes: Nodes,
    cfg: ClientConfig,
    /// The server only speaks the tutorial's events (legacy.rs): no acks, no seqs.
    legacy: bool,
    events: mpsc::UnboundedSender<ClientEvent>,
    rooms: Rooms,
    outbox: Outbox,
    link: Option<Link>,
    /// Bumped on every (re)connect attempt so events of a dead connection are ignored.
    generation: u64,
    /// Handed to each new connection (and reconnect attempt) to report back on.
    inc_tx: Tx,
    /// A reconnect attempt is running.
    connecting: bool,
    /// The attempt running now saw its socket close before it reported success.
    closed_while_opening: Option<Option<String>>,
    /// No reconnect attempt before this (backoff).
    retry_at: Option<Instant>,
    failures: u32,
    /// Last time the server said anything; silence beyond `idle_probe` sends a ping.
    last_heard: Instant,
    /// The server is a node of a cluster (its `/api/info` listed nodes): the list is refreshed
    /// after every connect and every `cfg.nodes_refresh` (one small GET each).
    clustered: bool,
    /// The next periodic refresh of the node list.
    refresh_at: Instant,
}

impl Supervisor {
    pub fn new(
        route: Arc<Route>,
        cfg: ClientConfig,
        legacy: bool,
        events: mpsc::UnboundedSender<ClientEvent>,
        link: Link,
        inc_tx: Tx,
    ) -> Supervisor {
        let now = Instant::now();
        // Any number that differs between clients: it spreads them over the nodes.
        let seed = uuid::Uuid::new_v4().as_u64_pair().0;
        let refresh_at = now + cfg.nodes_refresh;
        Supervisor {
            nodes: Nodes::new(&route.authority, seed),
            routes: HashMap::from([(route.authority.clone(), route.clone())]),
            route,
            legacy,
            events,
            rooms: Rooms::default(),
            outbox: Outbox::new(cfg.queue_timeout, now),
            cfg,
            link: Some(link),
            generation: 0,
            inc_tx,
            connecting: false,
            closed_while_opening: None,
            retry_at: None,
            failures: 0,
            last_heard: now,
            clustered: false,
            refresh_at,
        }
    }

    /// The cluster's nodes as `/api/info` listed them (empty on a single host).
    pub fn learn_nodes(&mut self, nodes: &[NodeInfo]) {
        self.clustered |= !nodes.is_empty();
        self.nodes.learn(nodes.iter().map(|n| n.url.as_str()));
    }

    /// Asks the node we are on for the cluster's node list, off the loop (answered as
    /// [`Incoming::Nodes`]). Nothing to ask on a single host or a tutorial server.
    fn refresh_nodes(&mut self) {
        self.refresh_at = Instant::now() + self.cfg.nodes_refresh;
        if !self.clustered || self.legacy || self.link.is_none() {
            return;
        }
        let (route, generation, tx) = (self.route.clone(), self.generation, self.inc_tx.clone());
        tokio::spawn(async move {
            match super::link::probe(&route.wire).await {
                Ok(info) => {
                    let _ = tx.send((generation, Incoming::Nodes(info.nodes)));
                }
                Err(e) => tracing::debug!("no node list from {}: {e}", route.public),
            }
        });
    }

    pub async fn run(
        mut self,
        mut orders: mpsc::UnboundedReceiver<Order>,
        mut inc: mpsc::UnboundedReceiver<(u64, Incoming)>,
    ) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            self.pump().await;
            tokio::select! {
                order = orders.recv() => match order {
                    // Every handle is gone.
                    None => break,
                    Some(Order::Stop(done)) => {
                        self.close().await;
                        self.emit_state(ConnState::Disconnected, Some("left".into()));
                        let _ = done.send(());
                        return;
                    }
                    Some(order) => self.order(order).await,
                },
                Some((generation, event)) = inc.recv() => {
                    if generation == self.generation {
                        self.incoming(event).await;
                    }
                }
                _ = tick.tick() => self.tick().await,
            }
        }
        self.close().await;
    }

    async fn order(&mut self, order: Order) {
        let now = Instant::now();
        match order {
            Order::Queue(op) => self.outbox.push(op, now),
            Order::Typing { room, typing } => {
                // Dropped rather than queued: a typing notice is stale by the time we reconnect.
                if let Some(link) = &self.link
                    && self.rooms.is_joined(&room)
                    && !self.legacy
                {
                    link.emit(events::TYPING, json!({ "room": room, "typing": typing }))
                        .await;
                }
            }
            Order::Flush(reply) => self.outbox.flush(reply, now),
            // Handled by `run` itself, ahead of anything else.
            Order::Stop(_) => {}
        }
    }

    /// Puts queued requests on the wire while the connection is up and the outbox allows.
    async fn pump(&mut self) {
        self.outbox.settle_flushes();
        while self.link.is_some() {
            let Some(q) = self.outbox.next(Instant::now()) else {
                return;
            };
            if !self.start(q).await {
                return;
            }
        }
    }

    /// Emits one request. Returns false when the outbox must wait.
    async fn start(&mut self, q: Queued) -> bool {
        let nick = &self.cfg.nick;
        let (event, payload) = match &q.op {
            Op::Join { room, .. } => {
                let since = self.rooms.joining(room);
                let mut p = json!({ "roomName": room, "nickName": nick });
                if since > 0 {
                    p["since"] = json!(since);
                }
                (events::JOIN_ROOM, p)
            }
            Op::Leave { room, .. } => (events::LEAVE_ROOM, json!({ "room": room })),
            Op::Send(o) => {
                if !self.rooms.is_joined(&o.room) {
                    // Not (re)joined yet on this connection: hold it until the rejoin is done.
                    self.outbox.push_front(q);
                    return false;
                }
                let mut p = json!({ "room": o.room, "nickName": nick, "message": o.text, "clientId": o.client_id });
                if let Some(to) = o.reply_to {
                    p["replyTo"] = json!(to);
                }
                (events::SEND_MESSAGE, p)
            }
            Op::FileUpload(f) => {
                if !self.rooms.is_joined(&f.room) && !self.legacy {
                    self.outbox.push_front(q);
                    return false;
                }
                let p = json!({ "room": f.room, "name": f.name, "size": f.size, "clientId": f.client_id });
                (events::FILE_UPLOAD, p)
            }
            Op::Ask(a) => {
                if !self.legacy && self.rooms.is_wanted(&a.room) && !self.rooms.is_joined(&a.room) {
                    // Members only: wait for the (re)join on this connection. (A room we are
                    // not in is asked anyway: the host answers `not_in_room`.)
                    self.outbox.push_front(q);
                    return false;
                }
                (a.event, a.payload.clone())
            }
            Op::Ping => (events::PING, json!({})),
        };
        let link = self.link.as_ref().expect("pump checked the link");
        if self.legacy {
            link.emit(event, payload).await;
            self.finish_legacy(q);
            return true;
        }
        let id = self.outbox.next_id();
        if let Err(e) = link
            .emit_with_ack(event, payload, id, self.cfg.request_timeout)
            .await
        {
            tracing::debug!("emit {event} failed: {e}");
            self.outbox.requeue(q);
            self.connection_lost(Some(e)).await;
            return false;
        }
        let deadline = Instant::now() + self.cfg.request_timeout;
        self.outbox.on_wire(id, q, deadline);
        true
    }

    /// A legacy server never answers: a join or leave is done once emitted, a send waits for
    /// its echo (legacy.rs).
    fn finish_legacy(&mut self, q: Queued) {
        match q.op {
            Op::Join { room, reply } => {
                self.rooms.assume_joined(&room);
                if let Some(r) = reply {
                    let _ = r.send(Ok(legacy::assumed_join(room, &self.cfg.nick)));
                }
            }
            Op::Leave { room, reply } => {
                self.rooms.forget(&room);
                if let Some(r) = reply {
                    let _ = r.send(Ok(()));
                }
            }
            Op::Send(_) => self.outbox.expect_echo(q),
            Op::FileUpload(f) => {
                let _ = f.reply.send(Err(ClientError::Refused(WireError::new(
                    ErrorCode::FilesDisabled,
                    "this server only speaks the tutorial's events: no files",
                ))));
            }
            Op::Ask(a) => {
                let _ = a.reply.send(Err(ClientError::Refused(WireError::new(
                    ErrorCode::UnknownEvent,
                    format!(
                        "this server only speaks the tutorial's events: no {}",
                        a.event
                    ),
                ))));
            }
            Op::Ping => {}
        }
    }

    async fn incoming(&mut self, event: Incoming) {
        self.last_heard = Instant::now();
        match event {
            Incoming::Ack(id, body) => self.ack(id, body),
            Incoming::Event(name, data) => self.event(&name, data),
            Incoming::Closed(reason) if self.link.is_none() && self.connecting => {
                // The attempt's socket closed before the attempt reported back: act on it
                // when it does.
                self.closed_while_opening = Some(reason);
            }
            Incoming::Closed(reason) => self.connection_lost(reason).await,
            Incoming::Opened(result, route) => self.opened(result, route).await,
            Incoming::Nodes(nodes) => self.learn_nodes(&nodes),
            Incoming::Open => {}
        }
    }

    fn ack(&mut self, id: u64, body: Value) {
        let Some(q) = self.outbox.answered(id, Instant::now()) else {
            return;
        };
        let ok = body.get("ok").and_then(Value::as_bool) == Some(true);
        match q.op {
            Op::Join { room, reply } => {
                let result = if ok {
                    JoinAck::deserialize(&body).map_err(ClientError::malformed)
                } else {
                    Err(ClientError::from_wire(&body))
                };
                match &result {
                    Ok(ack) => {
                        // The list is whole here; `presence` deltas follow.
                        let members =
                            self.rooms
                                .joined(&room, ack.members.clone(), ack.unencrypted.clone());
                        self.tell(ClientEvent::Members(members));
                        // The server cut the replay at its byte budget: ask for the rest from
                        // the last seq received.
                        if ack.more {
                            self.catch_up(room.clone());
                        } else {
                            self.rooms.caught_up_to(&room, ack.last_seq);
                        }
                    }
                    Err(e) => {
                        if reply.is_none() {
                            self.report(e, Some(&room), None);
                        }
                        self.drop_room(&room, e);
                    }
                }
                if let Some(r) = reply {
                    let _ = r.send(result);
                }
            }
            Op::Leave { room, reply } => {
                self.rooms.forget(&room);
                if let Some(r) = reply {
                    let _ = r.send(if ok {
                        Ok(())
                    } else {
                        Err(ClientError::from_wire(&body))
                    });
                }
            }
            Op::Send(o) => {
                if ok {
                    if let Some(r) = o.reply {
                        let _ = r.send(SendAck::deserialize(&body).map_err(ClientError::malformed));
                    }
                    return;
                }
                let err = ClientError::from_wire(&body);
                if matches!(&err, ClientError::Refused(w) if w.code == ErrorCode::RateLimited) {
                    self.outbox.pause(Instant::now() + RATE_LIMIT_PAUSE);
                    self.outbox.push_front(Queued {
                        op: Op::Send(o),
                        at: q.at,
                    });
                } else {
                    self.fail_send(o, &err);
                }
            }
            Op::FileUpload(f) => {
                if ok {
                    let _ = f
                        .reply
                        .send(FileUploadAck::deserialize(&body).map_err(ClientError::malformed));
                    return;
                }
                let err = ClientError::from_wire(&body);
                if matches!(&err, ClientError::Refused(w) if w.code == ErrorCode::RateLimited) {
                    self.outbox.pause(Instant::now() + RATE_LIMIT_PAUSE);
                    self.outbox.push_front(Queued {
                        op: Op::FileUpload(f),
                        at: q.at,
                    });
                } else {
                    let _ = f.reply.send(Err(err));
                }
            }
            Op::Ask(a) => {
                let err = if ok {
                    None
                } else {
                    Some(ClientError::from_wire(&body))
                };
                if matches!(&err, Some(ClientError::Refused(w)) if w.code == ErrorCode::RateLimited)
                {
                    self.outbox.pause(Instant::now() + RATE_LIMIT_PAUSE);
                    self.outbox.push_front(Queued {
                        op: Op::Ask(a),
                        at: q.at,
                    });
                    return;
                }
                let _ = a.reply.send(match err {
                    None => Ok(body),
                    Some(e) => Err(e),
                });
            }
            Op::Ping => {}
        }
    }

    /// A room is lost (its join failed or timed out, or we were removed): stop tracking it
    /// and refuse its waiting messages.
    fn drop_room(&mut self, room: &str, err: &ClientError) {
        self.rooms.forget(room);
        for o in self.outbox.take_sends_to(room) {
            self.fail_send(o, err);
        }
    }

    /// Tells both the sender (its ack receiver) and the user (an error event) that a message
    /// was refused.
    fn fail_send(&self, o: Outgoing, err: &ClientError) {
        self.report(err, Some(&o.room), Some(&o.client_id));
        if let Some(r) = o.reply {
            let _ = r.send(Err(err.clone()));
        }
    }

    fn report(&self, err: &ClientError, room: Option<&str>, client_id: Option<&str>) {
        self.tell(ClientEvent::Error {
            code: err.code().to_owned(),
            message: err.to_string(),
            room: room.map(str::to_owned),
            client_id: client_id.map(str::to_owned),
        });
    }

    fn event(&mut self, name: &str, data: Value) {
        let ev = match name {
            // Event rows (edits, deletes, reactions) carry seqs like messages: the same tracker
            // orders them and notices gaps; the app tells them apart by `target`.
            events::MESSAGE | events::MESSAGE_UPDATE => match self.message(data) {
                Some(m) => ClientEvent::Message(m),
                None => return,
            },
            events::PRESENCE => match Presence::deserialize(&data)
                .ok()
                .and_then(|p| self.rooms.presence(&p))
            {
                Some(members) => ClientEvent::Members(members),
                None => return,
            },
            events::TYPING => match Deserialize::deserialize(&data) {
                Ok(t) => ClientEvent::Typing(t),
                Err(_) => return,
            },
            events::KICKED => match Kicked::deserialize(&data) {
                Ok(k) => {
                    let err = ClientError::Refused(WireError::new(
                        ErrorCode::Kicked,
                        format!("removed from {}", k.room),
                    ));
                    self.drop_room(&k.room, &err);
                    ClientEvent::Kicked(k)
                }
                Err(_) => return,
            },
            events::PRIVATE_INVITE => match Deserialize::deserialize(&data) {
                Ok(i) => ClientEvent::PrivateInvite(i),
                Err(_) => return,
            },
            events::SERVER_CLOSING => match Deserialize::deserialize(&data) {
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
        self.tell(ev);
    }

    /// A `message` payload to show, or `None` to drop it (a replay, a gap being caught up,
    /// another room's). A payload that is not a lanchat message is read the tutorial's way.
    fn message(&mut self, data: Value) -> Option<Message> {
        let Ok(m) = Message::deserialize(&data) else {
            return self.legacy_message(&data);
        };
        match self.rooms.seen(&m) {
            Seen::Show => Some(m),
            Seen::Duplicate | Seen::NotOurs => None,
            Seen::Gap => {
                self.catch_up(m.room);
                None
            }
        }
    }

    fn legacy_message(&mut self, data: &Value) -> Option<Message> {
        let room = self.rooms.names().next().unwrap_or_default();
        let m = legacy::message(data, room, crate::clock::now_ms())?;
        let nick = &self.cfg.nick;
        if let Some(o) = self
            .outbox
            .echo_arrived(|o| legacy::is_echo(o, &m, nick), Instant::now())
            && let Some(r) = o.reply
        {
            let _ = r.send(Ok(legacy::delivered()));
        }
        Some(m)
    }

    /// Rejoins `room` with `since`, first in line, unless a join is already on its way.
    fn catch_up(&mut self, room: String) {
        if self.outbox.has_join(&room) {
            return;
        }
        tracing::info!("missed messages in {room}; catching up");
        self.outbox.push_front(Queued {
            op: Op::Join { room, reply: None },
            at: Instant::now(),
        });
    }

    async fn tick(&mut self) {
        let now = Instant::now();
        self.give_up(now);
        if let Some(q) = self.outbox.overdue(now) {
            tracing::info!(
                "no answer from the server in {:?}; reconnecting",
                self.cfg.request_timeout
            );
            self.outbox.requeue(q);
            self.connection_lost(Some("the server stopped answering".into()))
                .await;
            return;
        }
        if self.link.is_none() {
            self.reconnect(now);
            return;
        }
        if now >= self.refresh_at {
            self.refresh_nodes();
        }
        if !self.legacy
            && !self.outbox.busy()
            && now.duration_since(self.last_heard) > self.cfg.idle_probe
        {
            self.outbox.push(Op::Ping, now);
            self.last_heard = now;
        }
    }

    /// Fails the requests that waited too long (outbox.rs says when).
    fn give_up(&mut self, now: Instant) {
        let err = ClientError::TimedOut(self.cfg.queue_timeout);
        for op in self.outbox.expire(now) {
            match op {
                // Like a refused join: the room is not ours, and nothing is sent to it.
                Op::Join { room, reply } => {
                    self.drop_room(&room, &err);
                    if let Some(r) = reply {
                        let _ = r.send(Err(err.clone()));
                    }
                }
                // The server was not told, but we will not rejoin the room either.
                Op::Leave { room, reply } => {
                    self.rooms.forget(&room);
                    if let Some(r) = reply {
                        let _ = r.send(Err(err.clone()));
                    }
                }
                Op::Send(o) => self.fail_send(o, &err),
                Op::FileUpload(f) => {
                    let _ = f.reply.send(Err(err.clone()));
                }
                Op::Ask(a) => {
                    let _ = a.reply.send(Err(err.clone()));
                }
                Op::Ping => {}
            }
        }
    }

    async fn connection_lost(&mut self, reason: Option<String>) {
        if self.link.is_none() {
            return;
        }
        self.close().await;
        self.outbox.connection_lost();
        self.rooms.connection_lost();
        self.failures = 0;
        self.retry_at = Some(Instant::now() + self.cfg.backoff_min);
        self.emit_state(ConnState::Reconnecting, reason);
    }

    /// Starts a reconnect attempt on its own task, unless one runs or the backoff says wait.
    fn reconnect(&mut self, now: Instant) {
        if self.connecting || self.retry_at.is_some_and(|t| now < t) {
            return;
        }
        self.generation += 1;
        self.connecting = true;
        self.closed_while_opening = None;
        let node = self.nodes.current().to_owned();
        let known = self.routes.get(&node).cloned();
        let (home, cfg, generation, tx) = (
            self.route.clone(),
            self.cfg.clone(),
            self.generation,
            self.inc_tx.clone(),
        );
        tokio::spawn(async move {
            let route = match known {
                Some(r) => r,
                None => match Route::to_node(&node, &home, &cfg.trust).await {
                    Ok(r) => Arc::new(r),
                    Err(e) => {
                        let _ = tx.send((generation, Incoming::Opened(Err(e), None)));
                        return;
                    }
                },
            };
            let result = Link::open(&route.wire, &cfg, generation, tx.clone())
                .await
                .map_err(|e| route.explain(e));
            // The supervisor stopped meanwhile: hang up the connection nobody will use.
            if let Err(mpsc::error::SendError((_, Incoming::Opened(Ok(link), _)))) =
                tx.send((generation, Incoming::Opened(result, Some(route))))
            {
                link.close().await;
            }
        });
    }

    async fn opened(&mut self, result: Result<Link, ClientError>, route: Option<Arc<Route>>) {
        self.connecting = false;
        let moved = match &route {
            Some(r) => {
                self.routes.insert(r.authority.clone(), r.clone());
                r.authority != self.route.authority
            }
            None => false,
        };
        match result {
            Ok(link) => {
                let mut server = None;
                if let Some(r) = route
                    && moved
                {
                    tracing::info!("moved to {}, another node of the cluster", r.public);
                    server = Some(r.public.clone());
                    self.route = r;
                }
                self.nodes.connected();
                self.link = Some(link);
                self.failures = 0;
                self.retry_at = None;
                self.outbox.resume();
                self.last_heard = Instant::now();
                // Rejoin every room first, with the last seq seen, before any queued send.
                let now = Instant::now();
                let rooms: Vec<String> = self.rooms.names().rev().map(str::to_owned).collect();
                for room in rooms {
                    if !self.outbox.has_join(&room) {
                        self.outbox.push_front(Queued {
                            op: Op::Join { room, reply: None },
                            at: now,
                        });
                    }
                }
                self.tell(ClientEvent::State {
                    state: ConnState::Connected,
                    reason: None,
                    server,
                });
                // The node we are on now says which nodes there are.
                self.refresh_nodes();
                if let Some(reason) = self.closed_while_opening.take() {
                    self.connection_lost(reason).await;
                }
            }
            Err(e) => {
                self.failures += 1;
                let backoff = self
                    .cfg
                    .backoff_min
                    .saturating_mul(1 << self.failures.min(6))
                    .min(self.cfg.backoff_max);
                self.retry_at = Some(Instant::now() + backoff);
                let fatal = matches!(e, ClientError::BadPassword | ClientError::PasswordRequired);
                let state = if fatal {
                    ConnState::Disconnected
                } else {
                    ConnState::Reconnecting
                };
                self.emit_state(state, Some(e.to_string()));
                if fatal {
                    // The host changed the password: retrying cannot help.
                    self.retry_at = Some(Instant::now() + Duration::from_secs(3600));
                } else {
                    // Its node did not take us back: the next attempt goes to the next node
                    // (the same one on a single host).
                    let tried = self.nodes.current().to_owned();
                    let next = self.nodes.failed();
                    if next != tried {
                        tracing::info!("{tried} is not answering; trying {next} next");
                    }
                }
            }
        }
    }

    async fn close(&mut self) {
        if let Some(link) = self.link.take() {
            link.close().await;
        }
    }

    fn emit_state(&self, state: ConnState, reason: Option<String>) {
        self.tell(ClientEvent::State {
            state,
            reason,
            server: None,
        });
    }

    /// Hands an event to the user. A closed receiver means the user stopped listening (the
    /// window went away, `join` is exiting); the session itself goes on until it is stopped.
    fn tell(&self, ev: ClientEvent) {
        if self.events.send(ev).is_err() {
            tracing::debug!("nobody is listening to client events any more");
        }
    }
}
