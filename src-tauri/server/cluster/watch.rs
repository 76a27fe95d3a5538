//! Deciding when another node is gone, without sockets: a node's heartbeat key expires after
//! [`super::NODE_TTL`]; a node that has itself been talking to Redis without a break for that
//! long and finds a listed node's key gone declares that node down. The "without a break" is
//! what keeps a Redis restart from looking like every node died: after any failure, a node
//! waits one TTL (in which every live node renews its key) before it judges the others.

use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Watch {
    ttl: Duration,
    /// Since when every check succeeded (`None`: the last one failed, or none ran yet).
    healthy_since: Option<Instant>,
}

impl Watch {
    pub fn new(ttl: Duration) -> Watch {
        Watch {
            ttl,
            healthy_since: None,
        }
    }

    /// A check at `now` found the nodes `listed` as members and those of them in `alive` with
    /// a live key: the nodes to declare down.
    pub fn checked(&mut self, listed: &[u64], alive: &[u64], now: Instant) -> Vec<u64> {
        let since = *self.healthy_since.get_or_insert(now);
        if now.duration_since(since) < self.ttl {
            return Vec::new();
        }
        listed
            .iter()
            .copied()
            .filter(|n| !alive.contains(n))
            .collect()
    }

    /// A check could not reach Redis.
    pub fn failed(&mut self) {
        self.healthy_since = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_node_is_down_only_after_a_whole_ttl_of_healthy_checks() {
        let ttl = Duration::from_secs(5);
        let t0 = Instant::now();
        let mut w = Watch::new(ttl);
        assert!(w.checked(&[1, 2], &[1], t0).is_empty(), "just started");
        assert!(w.checked(&[1, 2], &[1], t0 + ttl / 2).is_empty());
        assert_eq!(w.checked(&[1, 2], &[1], t0 + ttl), vec![2]);
        // Redis was away: everyone's key may have lapsed meanwhile; wait a TTL again.
        w.failed();
        let t1 = t0 + ttl * 3;
        assert!(w.checked(&[1, 2, 3], &[1], t1).is_empty());
        assert_eq!(w.checked(&[1, 2, 3], &[1, 3], t1 + ttl), vec![2]);
        assert!(w.checked(&[1, 3], &[1, 3], t1 + ttl * 2).is_empty());
    }
}
