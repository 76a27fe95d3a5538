//! A chat user built on lanchat's own reconnecting client, recording what it is shown.

use std::collections::HashMap;
use std::time::Duration;

use lanchat::client::{Client, ClientConfig, ClientEvent, ConnState};
use lanchat::protocol::{Kind, Message};
use tokio::sync::mpsc;

use super::WAIT;

pub struct User {
    pub client: Client,
    events: mpsc::UnboundedReceiver<ClientEvent>,
    /// Every message shown to the user, in the order shown.
    pub shown: Vec<Message>,
    pub states: Vec<ConnState>,
    /// Each room's member list as the client last reported it.
    pub members: HashMap<String, Vec<String>>,
    /// Each room's members on an unencrypted link, as last reported.
    pub unencrypted: HashMap<String, Vec<String>>,
    /// (code, clientId) of every error event.
    pub errors: Vec<(String, Option<String>)>,
}

/// Fast failure detection so fault tests finish quickly.
pub fn fast(address: &str, nick: &str) -> ClientConfig {
    let mut cfg = ClientConfig::new(address, nick);
    cfg.idle_probe = Duration::from_millis(300);
    cfg.request_timeout = Duration::from_millis(1500);
    cfg.backoff_min = Duration::from_millis(50);
    cfg.backoff_max = Duration::from_millis(500);
    cfg
}

impl User {
    pub async fn connect(cfg: ClientConfig) -> User {
        let (tx, rx) = mpsc::unbounded_channel();
        let client = Client::connect(cfg, tx).await.expect("connect");
        User {
            client,
            events: rx,
            shown: Vec::new(),
            states: Vec::new(),
            members: HashMap::new(),
            unencrypted: HashMap::new(),
            errors: Vec::new(),
        }
    }

    pub async fn join(address: &str, nick: &str, room: &str) -> User {
        let u = User::connect(fast(address, nick)).await;
        u.client.join(room).await.expect("join");
        u
    }

    /// Handles events until `done` holds, within `limit`.
    pub async fn until(&mut self, limit: Duration, done: impl Fn(&User) -> bool) {
        let deadline = tokio::time::Instant::now() + limit;
        while !done(self) {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.events.recv()).await {
                Ok(Some(ClientEvent::Message(m))) => self.shown.push(m),
                Ok(Some(ClientEvent::State { state, .. })) => self.states.push(state),
                Ok(Some(ClientEvent::Members(m))) => {
                    self.unencrypted.insert(m.room.clone(), m.unencrypted);
                    self.members.insert(m.room, m.members);
                }
                Ok(Some(ClientEvent::Error {
                    code, client_id, ..
                })) => self.errors.push((code, client_id)),
                Ok(Some(_)) => {}
                Ok(None) => panic!("client stopped"),
                Err(_) => panic!(
                    "timed out; shown {} messages, states {:?}",
                    self.shown.len(),
                    self.states
                ),
            }
        }
    }

    pub async fn until_text(&mut self, text: &str) {
        self.until(WAIT * 3, |u| u.has(text)).await
    }

    pub fn has(&self, text: &str) -> bool {
        self.shown
            .iter()
            .any(|m| m.kind == Kind::Chat && m.message == text)
    }

    /// (seq, text) of the chat messages shown.
    pub fn chats(&self) -> Vec<(u64, String)> {
        self.shown
            .iter()
            .filter(|m| m.kind == Kind::Chat)
            .map(|m| (m.seq, m.message.clone()))
            .collect()
    }

    /// Seqs shown are strictly increasing with no gaps, and nothing is shown twice.
    pub fn assert_complete_and_ordered(&self) {
        let seqs: Vec<u64> = self.shown.iter().map(|m| m.seq).collect();
        for w in seqs.windows(2) {
            assert_eq!(w[1], w[0] + 1, "gap or duplicate in {seqs:?}");
        }
    }
}
