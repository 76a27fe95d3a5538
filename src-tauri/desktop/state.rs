//! What the window's Rust side holds: at most one hosted server, one client session, and the
//! file transfers under way.

use std::sync::{Mutex, MutexGuard};

use super::transfers::Transfers;
use crate::client::Client;
use crate::server::RunningServer;

/// Managed by Tauri. Each command takes at most one of the two locks, so they cannot deadlock.
#[derive(Default)]
pub struct AppState {
    /// A tokio mutex, held across starting and stopping the server on purpose: two clicks on
    /// Host must not start two servers. Both are local work (bind, open the store, say goodbye
    /// with a bounded wait), never a wait on another machine.
    pub host: tokio::sync::Mutex<Option<RunningServer>>,
    pub client: ClientSlot,
    /// Staged uploads and downloads; its own lock, never held across an await (transfers.rs).
    pub transfers: Transfers,
}

/// The client session, if any. Commands clone the [`Client`] handle out and await on the clone,
/// so nothing waits on this lock across network I/O: a join waiting for a host that is gone
/// cannot hold up sending, typing, Disconnect or quitting. Hence a plain std mutex, only ever
/// held for a swap or a clone.
#[derive(Default)]
pub struct ClientSlot {
    inner: Mutex<Slot>,
}

#[derive(Default)]
struct Slot {
    client: Option<Client>,
    /// Bumped by every connect and disconnect, so a connect that finishes after a newer one
    /// (or after Disconnect) knows it lost and does not install its client.
    epoch: u64,
}

impl ClientSlot {
    /// A handle to the current session.
    pub fn get(&self) -> Option<Client> {
        self.lock().client.clone()
    }

    /// Empties the slot (Disconnect, quitting); a connect still under way will not install
    /// its client.
    pub fn take(&self) -> Option<Client> {
        let mut slot = self.lock();
        slot.epoch += 1;
        slot.client.take()
    }

    /// A connect begins: empties the slot and returns the ticket to install its client with,
    /// and the session it replaces (to be disconnected by the caller, outside the lock).
    pub fn begin_connect(&self) -> (u64, Option<Client>) {
        let mut slot = self.lock();
        slot.epoch += 1;
        (slot.epoch, slot.client.take())
    }

    /// Installs `client` if nothing happened to the slot since `begin_connect` gave `ticket`;
    /// otherwise hands it back, to be disconnected.
    pub fn finish_connect(&self, ticket: u64, client: Client) -> Result<(), Client> {
        let mut slot = self.lock();
        if slot.epoch != ticket {
            return Err(client);
        }
        slot.client = Some(client);
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        // Every critical section is a swap or a clone: a panic cannot leave it half done.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}
