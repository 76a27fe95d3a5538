//! Which node of a cluster a client tries next when the one it is on stops answering. Pure: the
//! supervisor tells it what `/api/info` listed and how each attempt went, and connects where it
//! says. On a single host the list is that host alone, so every retry goes back to it, as before.
//!
//! The order differs per client (a hash of the client's seed and each node's address), so the
//! people of a node that dies spread over the others instead of all landing on the same one.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::parse_target;

/// The most nodes a client keeps from a list: far above any real cluster, and a bound on what a
/// broken (or hostile) node's list can make the client do.
pub const MAX_NODES: usize = 64;

#[derive(Debug, Clone)]
pub struct Nodes {
    /// `host:port` (lower case) of every node, in this client's own order; the node it is on
    /// (or trying) is always among them, listed or not.
    order: Vec<String>,
    /// Index in `order` of the node connected to, or being tried.
    current: usize,
    /// Nodes whose attempt failed since the last successful connect: skipped while another
    /// node has not failed yet.
    failed: HashSet<String>,
    /// Orders the nodes for this client.
    seed: u64,
}

impl Nodes {
    /// A client that joined `home` (`host:port`).
    pub fn new(home: &str, seed: u64) -> Nodes {
        Nodes {
            order: vec![home.to_ascii_lowercase()],
            current: 0,
            failed: HashSet::new(),
            seed,
        }
    }

    /// `host:port` of the node to connect to.
    pub fn current(&self) -> &str {
        &self.order[self.current]
    }

    /// Every node known, in this client's order.
    #[cfg(test)]
    pub fn all(&self) -> &[String] {
        &self.order
    }

    /// The node list of the latest `/api/info` (its `nodes[].url`s; empty on a single host).
    /// Addresses that do not parse are skipped; the current node stays even when unlisted (an
    /// address the user typed may not be the one the node advertises).
    pub fn learn<'a>(&mut self, urls: impl IntoIterator<Item = &'a str>) {
        let current = self.current().to_owned();
        let mut order: Vec<String> = urls
            .into_iter()
            .filter_map(|u| parse_target(u).ok().map(|t| t.authority))
            .take(MAX_NODES - 1)
            .collect();
        if !order.contains(&current) {
            order.push(current.clone());
        }
        order.sort_by_key(|a| (self.rank(a), a.clone()));
        order.dedup();
        self.current = order.iter().position(|a| *a == current).unwrap_or(0);
        self.failed.retain(|a| order.contains(a));
        self.order = order;
    }

    /// The attempt on the current node failed: moves to the next node in this client's order
    /// that has not failed since the last connect, or, when every node has, starts a new round
    /// with the next one. Returns the node to try next (the same one when it is alone).
    pub fn failed(&mut self) -> &str {
        let n = self.order.len();
        self.failed.insert(self.current().to_owned());
        if self.failed.len() >= n {
            self.failed.clear();
        }
        let next = (1..=n)
            .map(|step| (self.current + step) % n)
            .find(|&i| !self.failed.contains(&self.order[i]))
            .unwrap_or(self.current);
        self.current = next;
        self.current()
    }

    /// Connected to the current node: earlier failures no longer count.
    pub fn connected(&mut self) {
        self.failed.clear();
    }

    fn rank(&self, authority: &str) -> u64 {
        let mut h = DefaultHasher::new();
        self.seed.hash(&mut h);
        authority.hash(&mut h);
        h.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREE: [&str; 3] = [
        "http://10.0.0.1:7878",
        "http://10.0.0.2:7878",
        "http://10.0.0.3:7878",
    ];

    /// A single host (no `nodes` in `/api/info`): every retry goes back to it.
    #[test]
    fn a_single_host_is_retried() {
        let mut n = Nodes::new("10.0.0.1:7878", 7);
        n.learn([]);
        assert_eq!(n.all(), ["10.0.0.1:7878"]);
        for _ in 0..3 {
            assert_eq!(n.failed(), "10.0.0.1:7878");
        }
    }

    /// When the node fails, the client tries each other node once before coming back to it,
    /// and does not retry one that just failed while another is untried.
    #[test]
    fn failures_rotate_over_every_node_skipping_those_that_failed() {
        let mut n = Nodes::new("10.0.0.1:7878", 7);
        n.learn(THREE);
        assert_eq!(n.current(), "10.0.0.1:7878");
        let second = n.failed().to_owned();
        let third = n.failed().to_owned();
        let mut round: Vec<&str> = vec!["10.0.0.1:7878", &second, &third];
        round.sort();
        assert_eq!(round, ["10.0.0.1:7878", "10.0.0.2:7878", "10.0.0.3:7878"]);
        // Every node failed: a new round, from the next one on.
        assert_eq!(n.failed(), "10.0.0.1:7878");
        assert_eq!(n.failed(), second);
    }

    /// A node that failed is skipped even when a refreshed list puts it next, until a connect
    /// succeeds somewhere.
    #[test]
    fn a_failed_node_is_skipped_until_a_connect_succeeds() {
        let mut n = Nodes::new("10.0.0.1:7878", 3);
        n.learn(THREE);
        let b = n.failed().to_owned(); // 1 failed, try b
        n.learn(THREE); // a refresh changes nothing
        assert_eq!(n.current(), b);
        let c = n.failed().to_owned(); // b failed too
        assert_ne!(c, b);
        assert_ne!(c, "10.0.0.1:7878");
        n.connected();
        // On c now; c dies: the others are tried again.
        let next = n.failed().to_owned();
        assert_ne!(next, c);
    }

    /// The current node stays in the list even when `/api/info` names it otherwise, and
    /// duplicates and junk are dropped.
    #[test]
    fn the_list_keeps_the_current_node_and_drops_junk() {
        let mut n = Nodes::new("LOCALHOST:7878", 1);
        n.learn([
            "http://10.0.0.2:7878",
            "not a url",
            "https://10.0.0.2:7878/",
            "http://10.0.0.3",
        ]);
        let mut all = n.all().to_vec();
        all.sort();
        assert_eq!(all, ["10.0.0.2:7878", "10.0.0.3:7878", "localhost:7878"]);
        assert_eq!(n.current(), "localhost:7878");
        // A node that left the list is forgotten (unless it is the current one).
        n.learn(["http://10.0.0.3:7878"]);
        let mut all = n.all().to_vec();
        all.sort();
        assert_eq!(all, ["10.0.0.3:7878", "localhost:7878"]);
    }

    /// A list of thousands of nodes is cut to [`MAX_NODES`], the current one kept.
    #[test]
    fn a_huge_list_is_cut() {
        let mut n = Nodes::new("10.0.0.1:7878", 5);
        let urls: Vec<String> = (0..5000)
            .map(|i| format!("http://10.1.{}.{}:7878", i / 250, i % 250))
            .collect();
        n.learn(urls.iter().map(String::as_str));
        assert_eq!(n.all().len(), MAX_NODES);
        assert_eq!(n.current(), "10.0.0.1:7878");
    }

    /// The clients of a node that dies spread over the other nodes rather than all moving to
    /// the same one.
    #[test]
    fn clients_of_a_dead_node_spread_over_the_others() {
        let mut landed = std::collections::HashMap::<String, usize>::new();
        for seed in 0..300 {
            let mut n = Nodes::new("10.0.0.1:7878", seed);
            n.learn(THREE);
            *landed.entry(n.failed().to_owned()).or_default() += 1;
        }
        assert_eq!(landed.len(), 2, "{landed:?}");
        assert!(landed.values().all(|&c| c > 100), "{landed:?}");
    }
}
