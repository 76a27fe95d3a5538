//! Each connection's queued output, in bytes, against its send budget (issue #10 item 2).
//!
//! socketioxide queues what we emit to a socket in a channel bounded in packets (16,384), not
//! bytes, and does not say how much of it is still waiting: a client that stops reading (and
//! keeps answering pings) could park 16,384 long messages, ~270 MB, in the host. So lanchat
//! keeps its own count, per connection: every packet it hands to socketioxide for the
//! connection is charged its exact length on the wire (the engine.io text, as socketioxide's
//! parser writes it: [`event_len`], [`ack_len`]), and every byte of engine.io text the
//! transport actually writes to the client is taken off again ([`super::wire`]: WebSocket frames
//! written to the TCP connection, long-polling response bodies). What remains is what waits in
//! socketioxide's channel and the WebSocket write buffer. A packet that would take that past
//! the budget is not queued; the connection is cut off instead (its transport closed, see
//! `wire`), and its user's client reconnects and catches up with `since`.
//!
//! The count is a lower bound of what is queued: packets lanchat does not send itself
//! (engine.io pings, the namespace `CONNECT` answer, a few bytes each) are written without
//! having been charged, so the count stops at zero rather than going below it.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use futures_util::task::AtomicWaker;
use serde::Serialize;
use socketioxide::socket::Sid;

use super::lock;
use super::wire::Tap;

/// One connection's output that socketioxide holds and the client has not been sent yet.
/// Shared by the hub's driver and the connection's handlers (which charge it) and the
/// connection's transport (which drains it); every field is atomic, so nothing here locks.
pub struct Outflow {
    /// Bytes charged and not yet written.
    queued: AtomicUsize,
    budget: usize,
    /// Whether something drains the count (a metered WebSocket, or long-polling through the
    /// metering middleware). An undrained count would only grow, so it is not enforced.
    metered: AtomicBool,
    /// Set once the connection went over its budget: nothing more is queued for it, and its
    /// transport fails from then on.
    cut: AtomicBool,
    /// The tasks reading and writing the connection's WebSocket, woken to fail when it is cut.
    pub(super) read_waker: AtomicWaker,
    pub(super) write_waker: AtomicWaker,
}

/// What [`Outflow::charge`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charge {
    /// Within the budget: queue the packet.
    Queue,
    /// Over it, or cut off before: do not queue. `newly` is true for the charge that cut it.
    Refuse { newly: bool },
}

impl Outflow {
    pub fn new(budget: usize) -> Outflow {
        Outflow {
            queued: AtomicUsize::new(0),
            budget,
            metered: AtomicBool::new(false),
            cut: AtomicBool::new(false),
            read_waker: AtomicWaker::new(),
            write_waker: AtomicWaker::new(),
        }
    }

    /// Counts a packet of `bytes` about to be queued for the connection, unless that would take
    /// it over its budget: then the connection is cut off.
    pub fn charge(&self, bytes: usize) -> Charge {
        if self.is_cut() {
            return Charge::Refuse { newly: false };
        }
        let before = self.queued.fetch_add(bytes, Ordering::AcqRel);
        if before + bytes <= self.budget || !self.metered.load(Ordering::Acquire) {
            return Charge::Queue;
        }
        self.queued.fetch_sub(bytes, Ordering::AcqRel);
        Charge::Refuse {
            newly: self.cut_off(),
        }
    }

    /// `bytes` of engine.io text were written to the client.
    pub fn written(&self, bytes: usize) {
        if bytes == 0 {
            return;
        }
        let _ = self
            .queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |q| {
                Some(q.saturating_sub(bytes))
            });
    }

    /// Something now drains this count, so the budget applies.
    pub fn set_metered(&self, metered: bool) {
        self.metered.store(metered, Ordering::Release);
    }

    /// Cuts the connection off: nothing more is queued and its transport fails. True for the
    /// call that did it.
    pub fn cut_off(&self) -> bool {
        let newly = !self.cut.swap(true, Ordering::AcqRel);
        if newly {
            self.read_waker.wake();
            self.write_waker.wake();
        }
        newly
    }

    pub fn is_cut(&self) -> bool {
        self.cut.load(Ordering::Acquire)
    }

    /// Bytes charged and not yet written.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    pub fn budget(&self) -> usize {
        self.budget
    }
}

/// Every live connection's [`Outflow`] by session id, for the transport side: a long-polling
/// request or a WebSocket upgrade names its session only by id.
#[derive(Default)]
pub struct Outflows {
    /// Locked briefly to insert, remove or look up; never held across an await or another lock.
    by_sid: Mutex<HashMap<Sid, Arc<Outflow>>>,
    /// Long-polling sessions upgraded to a WebSocket before their namespace connect: the TCP
    /// connection that carries each, until the connect picks it up. Weak, so a session that
    /// never connects holds nothing once its TCP connection is gone. Locked like `by_sid`.
    upgrades: Mutex<HashMap<Sid, Weak<Tap>>>,
}

/// Entries in `upgrades` before dead ones are swept out.
const UPGRADES_SWEEP_AT: usize = 1024;

impl Outflows {
    /// A WebSocket upgrade of `sid` was answered on the TCP connection of `tap`.
    pub fn note_upgrade(&self, sid: Sid, tap: &Arc<Tap>) {
        let mut upgrades = lock(&self.upgrades);
        if upgrades.len() >= UPGRADES_SWEEP_AT {
            upgrades.retain(|_, t| t.strong_count() > 0);
        }
        upgrades.insert(sid, Arc::downgrade(tap));
    }

    /// The TCP connection `sid` was upgraded on, if that happened before its namespace connect.
    pub fn take_upgrade(&self, sid: Sid) -> Option<Arc<Tap>> {
        lock(&self.upgrades).remove(&sid)?.upgrade()
    }

    pub fn insert(&self, sid: Sid, outflow: Arc<Outflow>) {
        lock(&self.by_sid).insert(sid, outflow);
    }

    pub fn remove(&self, sid: Sid) {
        lock(&self.by_sid).remove(&sid);
    }

    pub fn get(&self, sid: Sid) -> Option<Arc<Outflow>> {
        lock(&self.by_sid).get(&sid).cloned()
    }

    /// Bytes queued for all connections together.
    pub fn queued(&self) -> usize {
        lock(&self.by_sid).values().map(|o| o.queued()).sum()
    }
}

/// Length on the wire of the engine.io text socketioxide 0.18 writes for an event on the
/// default namespace, without an ack id: `42["event",data]` (`4` engine.io message, `2`
/// Socket.IO event).
pub fn event_len<T: Serialize + ?Sized>(event: &str, data: &T) -> usize {
    // `42[` `,` `]`
    5 + json_len(event) + json_len(data)
}

/// Length on the wire of the ack `43<id>[body]` (`3`: Socket.IO ack).
pub fn ack_len<T: Serialize + ?Sized>(id: i64, body: &T) -> usize {
    // `43` `[` `]`
    4 + digits(id) + json_len(body)
}

/// Bytes of compact JSON, as serde_json writes them, without keeping them.
fn json_len<T: Serialize + ?Sized>(v: &T) -> usize {
    struct Count(usize);
    impl Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut n = Count(0);
    // Our payloads are plain structs and JSON values: serialising them cannot fail.
    let _ = serde_json::to_writer(&mut n, v);
    n.0
}

fn digits(id: i64) -> usize {
    id.unsigned_abs()
        .checked_ilog10()
        .map_or(1, |d| d as usize + 1)
        + usize::from(id < 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lengths_count_the_packet_framing() {
        let body = json!({"ok": true, "room": "caf\u{e9} \"quoted\"\n"});
        let event = format!("42[\"message\",{body}]");
        assert_eq!(event_len("message", &body), event.len());
        let ack = format!("43{}[{body}]", 1234);
        assert_eq!(ack_len(1234, &body), ack.len());
        assert_eq!(ack_len(0, &body), format!("430[{body}]").len());
        assert_eq!(digits(9), 1);
        assert_eq!(digits(10), 2);
        assert_eq!(digits(i64::MAX), 19);
    }

    #[test]
    fn a_charge_past_the_budget_cuts_the_connection_off() {
        let o = Outflow::new(100);
        o.set_metered(true);
        assert_eq!(o.charge(60), Charge::Queue);
        assert_eq!(o.charge(40), Charge::Queue);
        o.written(30);
        assert_eq!(o.queued(), 70);
        assert_eq!(o.charge(31), Charge::Refuse { newly: true });
        assert!(o.is_cut());
        assert_eq!(o.queued(), 70, "a refused packet is not counted");
        assert_eq!(o.charge(1), Charge::Refuse { newly: false });
    }

    #[test]
    fn uncharged_writes_stop_the_count_at_zero() {
        let o = Outflow::new(100);
        o.set_metered(true);
        assert_eq!(o.charge(10), Charge::Queue);
        o.written(25);
        assert_eq!(o.queued(), 0);
        assert_eq!(o.charge(100), Charge::Queue);
    }

    #[test]
    fn an_undrained_count_is_not_enforced() {
        let o = Outflow::new(100);
        assert_eq!(o.charge(1000), Charge::Queue);
        assert!(!o.is_cut());
    }
}
