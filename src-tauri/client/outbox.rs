//! The client's outbox: what the user asked of the server (joins, leaves, messages) and has not
//! had answered, in order, with at most one request on the wire. It outlives connections (what
//! was on the wire goes back to the front after a reconnect) and gives up on a request that has
//! waited too long while the server answered nothing. Pure: no socket and no clock of its own
//! (callers pass `now`), so the ordering and deadline rules are unit-tested here.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::ClientError;
use crate::protocol::{FileUploadAck, JoinAck, SendAck};

/// Where a request's outcome goes: the caller of `Client::join` and friends.
pub type Reply<T> = oneshot::Sender<Result<T, ClientError>>;

/// One request to the server.
pub enum Op {
    /// `reply` is `None` for the client's own rejoins (after a reconnect, or to catch up on a
    /// gap): nobody waits for those, and they are made again whenever needed.
    Join {
        room: String,
        reply: Option<Reply<JoinAck>>,
    },
    Leave {
        room: String,
        reply: Option<Reply<()>>,
    },
    Send(Outgoing),
    /// A ticket for a file upload (the bytes go over HTTP, `client/files.rs`).
    FileUpload(FileAsk),
    /// A request answered with its ack's body, sent once the room is joined: edits, deletes
    /// and reactions (`editMessage`, `deleteMessage`, `react`), scrollback pages and searches
    /// (`history`, `search`).
    Ask(Ask),
    /// A liveness probe: any answer proves the connection works.
    Ping,
}

/// A request about a room that is answered with the ack's body: the event, its payload, and who
/// waits for the ack (the `Client` method that asked turns the body into its type).
pub struct Ask {
    pub room: String,
    pub event: &'static str,
    pub payload: serde_json::Value,
    pub reply: Reply<serde_json::Value>,
}

/// `fileUpload`: a ticket to send a file's bytes to a room.
pub struct FileAsk {
    pub room: String,
    pub name: String,
    pub size: u64,
    /// Kept across asks: the server gives the same ticket back (or the posted message's ack).
    pub client_id: String,
    pub reply: Reply<FileUploadAck>,
}

/// A message to send until the server acknowledges (or refuses) it.
pub struct Outgoing {
    pub room: String,
    pub text: String,
    /// Kept across resends so the server stores and shows it once.
    pub client_id: String,
    /// The seq of the message (same room) this one replies to.
    pub reply_to: Option<u64>,
    pub reply: Option<Reply<SendAck>>,
}

/// A request and when it was asked for: its deadline counts from then, across reconnects.
pub struct Queued {
    pub op: Op,
    pub at: Instant,
}

impl Queued {
    /// Somebody waits for it, so it may be given up on (pings and our own rejoins are not).
    fn awaited(&self) -> bool {
        match &self.op {
            Op::Join { reply, .. } => reply.is_some(),
            Op::Leave { reply, .. } => reply.is_some(),
            Op::Send(_) | Op::FileUpload(_) | Op::Ask(_) => true,
            Op::Ping => false,
        }
    }
}

struct OnWire {
    /// Routes the ack back here (rust_socketio's own ack ids are random and may repeat).
    id: u64,
    queued: Queued,
    /// No ack by then means the connection is dead, whatever the socket says.
    deadline: Instant,
}

pub struct Outbox {
    /// Not yet on the wire on this connection, in order.
    queue: VecDeque<Queued>,
    /// Only one request at a time: it keeps a socket's order trivially and sidesteps
    /// rust_socketio's random ack ids.
    on_wire: Option<OnWire>,
    /// Legacy sends emitted and waiting for their echo (see legacy.rs).
    echoes: VecDeque<Queued>,
    /// `Client::flush` callers, waiting for every message to be answered.
    flushes: Vec<(Reply<()>, Instant)>,
    /// Set after a `rate_limited` answer: nothing goes out before then.
    paused_until: Option<Instant>,
    /// When the server last answered one of our requests. A request is given up on only
    /// when this, too, is older than `patience`: a long queue that drains slowly under the
    /// server's rate limit keeps going, while a host that is gone fails every request.
    last_answer: Instant,
    patience: Duration,
    next_id: u64,
}

impl Outbox {
    pub fn new(patience: Duration, now: Instant) -> Outbox {
        Outbox {
            queue: VecDeque::new(),
            on_wire: None,
            echoes: VecDeque::new(),
            flushes: Vec::new(),
            paused_until: None,
            last_answer: now,
            patience,
            next_id: 0,
        }
    }

    pub fn push(&mut self, op: Op, now: Instant) {
        self.queue.push_back(Queued { op, at: now });
    }

    /// Puts a request first in line: one that must wait (a send to a room not yet rejoined),
    /// a rejoin, or a rate-limited send to retry.
    pub fn push_front(&mut self, q: Queued) {
        self.queue.push_front(q);
    }

    /// The next request to put on the wire, if one may go now.
    pub fn next(&mut self, now: Instant) -> Option<Queued> {
        if self.on_wire.is_some() || self.paused_until.is_some_and(|t| now < t) {
            return None;
        }
        self.queue.pop_front()
    }

    /// The id to emit the next request with.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// `q` was emitted with `id` and waits for its ack until `deadline`.
    pub fn on_wire(&mut self, id: u64, q: Queued, deadline: Instant) {
        self.on_wire = Some(OnWire {
            id,
            queued: q,
            deadline,
        });
    }

    /// The ack `id` arrived: the request it answers (none if it is stale).
    pub fn answered(&mut self, id: u64, now: Instant) -> Option<Queued> {
        let w = self.on_wire.take_if(|w| w.id == id)?;
        self.last_answer = now;
        Some(w.queued)
    }

    /// The request on the wire, if its ack is overdue.
    pub fn overdue(&mut self, now: Instant) -> Option<Queued> {
        self.on_wire.take_if(|w| now > w.deadline).map(|w| w.queued)
    }

    /// Back to the front of the line, to go out again on the next connection. Pings and our
    /// own rejoins are dropped: the reconnect makes fresh ones.
    pub fn requeue(&mut self, q: Queued) {
        if q.awaited() {
            self.queue.push_front(q);
        }
    }

    /// The connection is gone: what was on the wire goes out again first, and legacy sends
    /// whose echo never came are sent again ahead of it (in their order).
    pub fn connection_lost(&mut self) {
        if let Some(w) = self.on_wire.take() {
            self.requeue(w.queued);
        }
        while let Some(q) = self.echoes.pop_back() {
            self.queue.push_front(q);
        }
    }

    pub fn pause(&mut self, until: Instant) {
        self.paused_until = Some(until);
    }

    pub fn resume(&mut self) {
        self.paused_until = None;
    }

    /// A join of `room` is waiting or on the wire.
    pub fn has_join(&self, room: &str) -> bool {
        let is_join = |q: &Queued| matches!(&q.op, Op::Join { room: r, .. } if r == room);
        self.queue.iter().any(is_join) || self.on_wire.as_ref().is_some_and(|w| is_join(&w.queued))
    }

    /// Takes every waiting message for `room` (it was left, or lost).
    pub fn take_sends_to(&mut self, room: &str) -> Vec<Outgoing> {
        let (taken, keep): (VecDeque<Queued>, _) = std::mem::take(&mut self.queue)
            .into_iter()
            .partition(|q| matches!(&q.op, Op::Send(o) if o.room == room));
        self.queue = keep;
        taken
            .into_iter()
            .filter_map(|q| match q.op {
                Op::Send(o) => Some(o),
                _ => None,
            })
            .collect()
    }

    /// A legacy send went out; it is delivered when its echo comes back.
    pub fn expect_echo(&mut self, q: Queued) {
        self.echoes.push_back(q);
    }

    /// A message from us arrived on a legacy server: the oldest send it is the echo of.
    pub fn echo_arrived(
        &mut self,
        is_echo: impl Fn(&Outgoing) -> bool,
        now: Instant,
    ) -> Option<Outgoing> {
        let i = self
            .echoes
            .iter()
            .position(|q| matches!(&q.op, Op::Send(o) if is_echo(o)))?;
        self.last_answer = now;
        match self.echoes.remove(i)?.op {
            Op::Send(o) => Some(o),
            _ => None,
        }
    }

    /// A request is waiting or on the wire (no room for a ping).
    pub fn busy(&self) -> bool {
        self.on_wire.is_some() || !self.queue.is_empty()
    }

    /// Some message is not yet answered.
    pub fn sends_pending(&self) -> bool {
        let is_send = |q: &Queued| matches!(q.op, Op::Send(_));
        self.queue.iter().any(is_send)
            || self.on_wire.as_ref().is_some_and(|w| is_send(&w.queued))
            || !self.echoes.is_empty()
    }

    pub fn flush(&mut self, reply: Reply<()>, now: Instant) {
        self.flushes.push((reply, now));
    }

    /// Answers the flushes once every message is answered.
    pub fn settle_flushes(&mut self) {
        if !self.sends_pending() {
            for (reply, _) in self.flushes.drain(..) {
                let _ = reply.send(Ok(()));
            }
        }
    }

    /// Takes every waiting request that has been waited on too long, for the caller to fail
    /// with [`ClientError::TimedOut`]; flushes waited on too long are failed here. What is on
    /// the wire is left alone: its own, shorter deadline (`overdue`) applies.
    pub fn expire(&mut self, now: Instant) -> Vec<Op> {
        let since = self.last_answer;
        let patience = self.patience;
        let late = |at: Instant| now >= at.max(since) + patience;
        let mut expired = Vec::new();
        for list in [&mut self.queue, &mut self.echoes] {
            let (gone, keep): (VecDeque<Queued>, _) = std::mem::take(list)
                .into_iter()
                .partition(|q| q.awaited() && late(q.at));
            *list = keep;
            expired.extend(gone.into_iter().map(|q| q.op));
        }
        let (gone, keep): (Vec<_>, _) = std::mem::take(&mut self.flushes)
            .into_iter()
            .partition(|(_, at)| late(*at));
        self.flushes = keep;
        for (reply, _) in gone {
            let _ = reply.send(Err(ClientError::TimedOut(patience)));
        }
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATIENCE: Duration = Duration::from_secs(30);

    fn send(text: &str) -> (Op, oneshot::Receiver<Result<SendAck, ClientError>>) {
        let (tx, rx) = oneshot::channel();
        let op = Op::Send(Outgoing {
            room: "r".into(),
            text: text.into(),
            client_id: text.into(),
            reply_to: None,
            reply: Some(tx),
        });
        (op, rx)
    }

    fn text(q: &Queued) -> &str {
        match &q.op {
            Op::Send(o) => &o.text,
            Op::Join { room, .. } | Op::Leave { room, .. } => room,
            Op::FileUpload(f) => &f.name,
            Op::Ask(a) => a.event,
            Op::Ping => "ping",
        }
    }

    fn texts(ops: &[Op]) -> Vec<&str> {
        ops.iter()
            .map(|op| match op {
                Op::Send(o) => o.text.as_str(),
                Op::Join { room, .. } | Op::Leave { room, .. } => room.as_str(),
                Op::FileUpload(f) => f.name.as_str(),
                Op::Ask(a) => a.event,
                Op::Ping => "ping",
            })
            .collect()
    }

    /// Requests go out one at a time, in the order asked; the next waits for the ack.
    #[test]
    fn one_request_on_the_wire_at_a_time() {
        let t0 = Instant::now();
        let mut ob = Outbox::new(PATIENCE, t0);
        for t in ["a", "b"] {
            ob.push(send(t).0, t0);
        }
        let a = ob.next(t0).unwrap();
        assert_eq!(text(&a), "a");
        let id = ob.next_id();
        ob.on_wire(id, a, t0 + Duration::from_secs(10));
        assert!(ob.next(t0).is_none(), "a second request went out");
        assert!(ob.answered(id + 1, t0).is_none(), "a stale ack was taken");
        assert_eq!(text(&ob.answered(id, t0).unwrap()), "a");
        assert_eq!(text(&ob.next(t0).unwrap()), "b");
    }

    /// After a lost connection, what was on the wire goes out first again, and pings and our
    /// own rejoins are not resent (the reconnect makes fresh ones).
    #[test]
    fn a_lost_connection_resends_in_order() {
        let t0 = Instant::now();
        let mut ob = Outbox::new(PATIENCE, t0);
        ob.push(send("a").0, t0);
        ob.push(send("b").0, t0);
        let a = ob.next(t0).unwrap();
        let id = ob.next_id();
        ob.on_wire(id, a, t0);
        ob.connection_lost();
        assert_eq!(text(&ob.next(t0).unwrap()), "a");

        let mut ob = Outbox::new(PATIENCE, t0);
        for op in [
            Op::Ping,
            Op::Join {
                room: "mine".into(),
                reply: None,
            },
        ] {
            ob.push(op, t0);
            let q = ob.next(t0).unwrap();
            ob.on_wire(1, q, t0);
            ob.connection_lost();
            assert!(ob.next(t0).is_none(), "an unawaited request was resent");
        }
    }

    /// A request nobody answers fails with `timed_out` once it has waited `patience`: the
    /// caller gets it back to fail, and a flush fails on its own.
    #[test]
    fn requests_give_up_after_patience() {
        let t0 = Instant::now();
        let mut ob = Outbox::new(PATIENCE, t0);
        let (op, _rx) = send("a");
        ob.push(op, t0);
        let (flush_tx, mut flush_rx) = oneshot::channel();
        ob.flush(flush_tx, t0);
        ob.push(
            Op::Join {
                room: "later".into(),
                reply: Some(oneshot::channel().0),
            },
            t0 + Duration::from_secs(10),
        );
        assert!(
            ob.expire(t0 + PATIENCE - Duration::from_millis(1))
                .is_empty()
        );
        assert!(flush_rx.try_recv().is_err(), "the flush gave up early");

        assert_eq!(texts(&ob.expire(t0 + PATIENCE)), ["a"]);
        assert_eq!(
            flush_rx.try_recv().unwrap(),
            Err(ClientError::TimedOut(PATIENCE))
        );
        assert_eq!(
            texts(&ob.expire(t0 + PATIENCE + Duration::from_secs(10))),
            ["later"]
        );
        assert!(!ob.sends_pending());
    }

    /// Our own rejoins and pings are never given up on: nobody waits for them.
    #[test]
    fn unawaited_requests_do_not_expire() {
        let t0 = Instant::now();
        let mut ob = Outbox::new(PATIENCE, t0);
        ob.push(
            Op::Join {
                room: "mine".into(),
                reply: None,
            },
            t0,
        );
        assert!(ob.expire(t0 + PATIENCE * 10).is_empty());
        assert!(ob.has_join("mine"));
    }

    /// While the server keeps answering, a long queue is not cut off: the deadline counts from
    /// the last answer (a queue draining at the server's rate limit).
    #[test]
    fn answers_push_the_deadline_back() {
        let t0 = Instant::now();
        let mut ob = Outbox::new(PATIENCE, t0);
        ob.push(send("first").0, t0);
        ob.push(send("waits").0, t0);
        let first = ob.next(t0).unwrap();
        ob.on_wire(1, first, t0 + PATIENCE * 2);
        let answered_at = t0 + PATIENCE - Duration::from_secs(1);
        ob.answered(1, answered_at).unwrap();
        assert!(
            ob.expire(t0 + PATIENCE).is_empty(),
            "cut off while answered"
        );
        assert_eq!(texts(&ob.expire(answered_at + PATIENCE)), ["waits"]);
    }

    /// The request on the wire has its own deadline: overdue means the connection is dead.
    #[test]
    fn an_unanswered_request_on_the_wire_is_overdue() {
        let t0 = Instant::now();
        let mut ob = Outbox::new(PATIENCE, t0);
        ob.push(send("a").0, t0);
        let a = ob.next(t0).unwrap();
        ob.on_wire(1, a, t0 + Duration::from_secs(10));
        assert!(ob.overdue(t0 + Duration::from_secs(10)).is_none());
        assert!(
            ob.expire(t0 + PATIENCE).is_empty(),
            "the wire has its own deadline"
        );
        assert_eq!(
            text(&ob.overdue(t0 + Duration::from_secs(11)).unwrap()),
            "a"
        );
    }

    /// After `rate_limited` nothing goes out until the pause is over.
    #[test]
    fn a_pause_holds_the_queue() {
        let t0 = Instant::now();
        let mut ob = Outbox::new(PATIENCE, t0);
        ob.push(send("a").0, t0);
        ob.pause(t0 + Duration::from_millis(300));
        assert!(ob.next(t0).is_none());
        assert!(ob.next(t0 + Duration::from_millis(300)).is_some());
    }

    /// Legacy sends wait for their echo, count as pending until then, go out again after a
    /// lost connection, and give up like any other request.
    #[test]
    fn legacy_echoes_settle_sends() {
        let t0 = Instant::now();
        let mut ob = Outbox::new(PATIENCE, t0);
        for t in ["a", "b"] {
            ob.push(send(t).0, t0);
            let q = ob.next(t0).unwrap();
            ob.expect_echo(q);
        }
        assert!(ob.sends_pending());
        let b = ob.echo_arrived(|o| o.text == "b", t0).unwrap();
        assert_eq!(b.text, "b");
        assert!(ob.echo_arrived(|o| o.text == "b", t0).is_none());
        ob.connection_lost();
        assert_eq!(text(&ob.next(t0).unwrap()), "a");

        ob.push(send("c").0, t0);
        let c = ob.next(t0).unwrap();
        ob.expect_echo(c);
        assert_eq!(texts(&ob.expire(t0 + PATIENCE)), ["c"]);
    }

    /// Leaving a room takes its waiting messages, and only those.
    #[test]
    fn sends_to_a_room_can_be_taken() {
        let t0 = Instant::now();
        let mut ob = Outbox::new(PATIENCE, t0);
        ob.push(send("a").0, t0);
        ob.push(
            Op::Leave {
                room: "r".into(),
                reply: None,
            },
            t0,
        );
        let taken = ob.take_sends_to("r");
        assert_eq!(taken.len(), 1);
        assert!(!ob.sends_pending());
        assert!(ob.next(t0).is_some(), "the leave was taken too");
    }
}
