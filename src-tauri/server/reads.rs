//! Reads of a room's past (`history`, `search`), off the hub. The hub only checks that the
//! reader is a member (`chat/read.rs`), in order with its joins and leaves; the SQLite work
//! then runs on the blocking pool, on a read connection, and its answer is acked from there.
//! So a flood of reads costs the hub a membership check each, never a query.
//!
//! Bounds: each connection has at most [`PER_CONNECTION`] reads waiting or running (more are
//! refused `rate_limited` before they reach the hub, on top of the request rate limit), and
//! at most [`AT_ONCE`] reads run at a time on the host, the rest waiting their turn.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use tokio::sync::Semaphore;

use super::deliver::{Reply, respond};
use crate::chat::Read;
use crate::protocol::{ErrorCode, HistoryPage, SearchResults, WireError, ok_ack};
use crate::store::Store;

/// Reads one connection may have waiting or running.
pub const PER_CONNECTION: usize = 4;
/// Reads running at once on the host (each holds a read connection and a blocking thread).
pub const AT_ONCE: usize = 4;

/// The host's reader: the store and the turn-taking.
pub struct Reads {
    store: Store,
    turns: Semaphore,
    /// Most bytes of messages in one page (the join replay's bound).
    max_bytes: usize,
}

/// One connection's count of reads in flight; a [`Slot`] holds one of them.
#[derive(Default)]
pub struct InFlight(Arc<AtomicUsize>);

/// A read in flight, counted until it is dropped (answered, or refused on the way).
pub struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl InFlight {
    /// A slot, unless the connection already has [`PER_CONNECTION`] reads in flight.
    pub fn take(&self) -> Option<Slot> {
        let n = self.0.fetch_add(1, Ordering::AcqRel);
        let slot = Slot(self.0.clone());
        (n < PER_CONNECTION).then_some(slot)
    }
}

impl Reads {
    pub fn new(store: Store, max_bytes: usize) -> Reads {
        Reads {
            store,
            turns: Semaphore::new(AT_ONCE),
            max_bytes,
        }
    }

    /// Performs an allowed read and answers `reply` when it is done.
    pub fn start(self: &Arc<Self>, read: Read, reply: Reply) {
        let me = self.clone();
        tokio::spawn(async move {
            let result = match me.turns.acquire().await {
                Ok(_turn) => {
                    let reader = me.clone();
                    tokio::task::spawn_blocking(move || reader.run(read))
                        .await
                        .unwrap_or_else(|e| {
                            tracing::error!("a history read failed: {e}");
                            Err(ErrorCode::StorageFailed.into())
                        })
                }
                Err(_) => Err(ErrorCode::ShuttingDown.into()),
            };
            respond(reply, result);
        });
    }

    fn run(&self, read: Read) -> Result<Value, WireError> {
        let failed = |e: crate::store::StoreError| {
            tracing::error!("reading history: {e}");
            WireError::from(ErrorCode::StorageFailed)
        };
        match read {
            Read::History(h) => {
                let mut page = self
                    .store
                    .page(&h.room, h.at, h.limit, self.max_bytes)
                    .map_err(failed)?;
                for m in &mut page.messages {
                    m.history = true;
                }
                Ok(ok_ack(&HistoryPage {
                    room: h.room,
                    messages: page.messages,
                    more: page.more,
                    more_after: page.more_after,
                }))
            }
            Read::Search(q) => {
                let (results, more) = self.store.search(&q.room, &q.q, q.limit).map_err(failed)?;
                Ok(ok_ack(&SearchResults {
                    room: q.room,
                    results,
                    more,
                }))
            }
        }
    }
}
