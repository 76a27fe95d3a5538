//! Slows password guessing down per client address: attempts from one address are answered one
//! at a time, each failure doubles the wait before the next answer (up to a cap), and a success
//! forgets the failures. A wrong guess from one address cannot slow down anyone else.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::lock;

/// How fast one address may have its password attempts answered (docs/security.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Wait after the first failure (default 250 ms); each further failure doubles it…
    pub base: Duration,
    /// …up to this (default 30 s).
    pub max: Duration,
    /// Attempts from one address that may wait for their answer at once; more are refused
    /// with `too_many_attempts` without being checked (default 8).
    pub max_waiting: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(250),
            max: Duration::from_secs(30),
            max_waiting: 8,
        }
    }
}

/// Addresses tracked at most; beyond this, stale entries are dropped first.
const MAX_ADDRESSES: usize = 65_536;

#[derive(Debug)]
struct Tries {
    failures: u32,
    /// The earliest time the next attempt may be answered.
    next: Instant,
    waiting: u32,
}

pub struct Gate {
    cfg: Backoff,
    tries: Mutex<HashMap<IpAddr, Tries>>,
}

/// An attempt's place in its address's line; tell the gate how it went.
pub struct Turn<'a> {
    gate: &'a Gate,
    ip: IpAddr,
    at: Instant,
}

impl Gate {
    pub fn new(cfg: Backoff) -> Gate {
        Gate {
            cfg,
            tries: Mutex::new(HashMap::new()),
        }
    }

    /// Joins `ip`'s line; `None` when too many of its attempts are already waiting.
    pub fn enter(&self, ip: IpAddr) -> Option<Turn<'_>> {
        let now = Instant::now();
        let mut tries = lock(&self.tries);
        if tries.len() >= MAX_ADDRESSES && !tries.contains_key(&ip) {
            let max = self.cfg.max;
            tries.retain(|_, t| t.waiting > 0 || t.next + max > now);
            if tries.len() >= MAX_ADDRESSES {
                return None;
            }
        }
        let t = tries.entry(ip).or_insert(Tries {
            failures: 0,
            next: now,
            waiting: 0,
        });
        if t.waiting >= self.cfg.max_waiting {
            return None;
        }
        t.waiting += 1;
        let at = t.next.max(now);
        // The next attempt in line is answered no sooner than one wait after this one.
        t.next = at + self.delay(t.failures);
        Some(Turn { gate: self, ip, at })
    }

    fn delay(&self, failures: u32) -> Duration {
        if failures == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32 << (failures - 1).min(16);
        self.cfg.base.saturating_mul(factor).min(self.cfg.max)
    }
}

impl Turn<'_> {
    /// Waits until this attempt may be answered.
    pub async fn wait(&self) {
        tokio::time::sleep_until(self.at).await;
    }

    /// Records the outcome: a failure lengthens the wait for the next attempt, a success
    /// forgets this address.
    pub fn done(self, ok: bool) {
        let gate = self.gate;
        let mut tries = lock(&gate.tries);
        let Some(t) = tries.get_mut(&self.ip) else {
            return;
        };
        t.waiting = t.waiting.saturating_sub(1);
        if ok {
            tries.remove(&self.ip);
            return;
        }
        t.failures = t.failures.saturating_add(1);
        let wait = gate.delay(t.failures);
        t.next = t.next.max(Instant::now() + wait);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Failures from one address double the wait (to the cap), other addresses are unaffected,
    /// a success forgets them, and too many waiting attempts are refused.
    #[tokio::test(start_paused = true)]
    async fn failures_back_off_per_address() {
        let gate = Gate::new(Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_millis(400),
            max_waiting: 2,
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let start = Instant::now();
        let mut waits = Vec::new();
        for _ in 0..5 {
            let turn = gate.enter(a).unwrap();
            let before = Instant::now();
            turn.wait().await;
            waits.push((Instant::now() - before).as_millis());
            turn.done(false);
        }
        assert_eq!(waits, [0, 100, 200, 400, 400]);
        let other = gate.enter(b).unwrap();
        assert!(
            other.at <= Instant::now(),
            "another address waits for nobody"
        );
        other.done(true);
        let t1 = gate.enter(a).unwrap();
        let _t2 = gate.enter(a).unwrap();
        assert!(
            gate.enter(a).is_none(),
            "a third waiting attempt is refused"
        );
        t1.wait().await;
        t1.done(true);
        assert!(gate.enter(a).is_some(), "a success forgets the failures");
        assert!(Instant::now() - start >= Duration::from_millis(1100));
    }
}
