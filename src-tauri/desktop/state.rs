//! What the window's Rust side holds: at most one hosted server, one client session, one
//! browse for hosts on the LAN, and the file transfers under way.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::transfers::Transfers;
use crate::client::{Client, KnownHosts};
use crate::host::Hosting;

/// Managed by Tauri. Each command takes at most one lock at a time (`client_connect` reads the
/// host slot, then the known_hosts slot, never both at once), so they cannot deadlock.
#[derive(Default)]
pub struct AppState {
    /// A tokio mutex, held across starting and stopping the server on purpose: two clicks on
    /// Host must not start two servers. Both are local work (bind, open the store, announce or
    /// withdraw, say goodbye with a bounded wait), never a wait on another machine.
    pub host: tokio::sync::Mutex<Option<Hosting>>,
    pub client: ClientSlot,
    /// Staged uploads and downloads; its own lock, never held across an await (transfers.rs).
    pub transfers: Transfers,
    /// The Join screen's browse: its number and the task that streams the list to the window.
    /// Aborting the task drops the browse, which stops its mDNS daemon. A std mutex, held only
    /// to swap.
    pub discovery: Mutex<Option<(u64, tauri::async_runtime::JoinHandle<()>)>>,
    /// The last browse's number: a `discovery_stop` for an older look (a late one from a Join
    /// screen that has since come back) leaves the newer one running.
    pub discovery_looks: AtomicU64,
    /// The window's known_hosts, one table for every connection (loaded on first use).
    known_hosts: Mutex<Option<Arc<KnownHosts>>>,
}

impl AppState {
    /// The known_hosts table backed by `path` (the first path asked for wins; it is always
    /// the app's data dir).
    pub fn known_hosts(&self, path: &std::path::Path) -> Arc<KnownHosts> {
        self.known_hosts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(|| Arc::new(KnownHosts::file(path)))
            .clone()
    }

    /// Stops the Join screen's browse: look `id`, or whichever runs when `id` is `None`.
    pub fn stop_discovery(&self, id: Option<u64>) {
        let mut slot = self.discovery.lock().unwrap_or_else(|p| p.into_inner());
        if (id.is_none() || slot.as_ref().map(|(n, _)| *n) == id)
            && let Some((_, task)) = slot.take()
        {
            task.abort();
        }
    }

    /// Makes `task` the browse, stopping any earlier one; returns its number.
    pub fn set_discovery(&self, task: tauri::async_runtime::JoinHandle<()>) -> u64 {
        let id = self.discovery_looks.fetch_add(1, Ordering::Relaxed) + 1;
        let old = self
            .discovery
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace((id, task));
        if let Some((_, old)) = old {
            old.abort();
        }
        id
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn idle() -> tauri::async_runtime::JoinHandle<()> {
        tauri::async_runtime::spawn(std::future::pending())
    }

    /// A Join screen that comes back starts a new look; the old screen's late stop leaves it
    /// running, its own stop ends it.
    #[test]
    fn a_late_stop_leaves_the_new_look_running() {
        let state = AppState::default();
        let first = state.set_discovery(idle());
        let second = state.set_discovery(idle());
        assert_ne!(first, second);
        state.stop_discovery(Some(first));
        assert!(state.discovery.lock().unwrap().is_some());
        state.stop_discovery(Some(second));
        assert!(state.discovery.lock().unwrap().is_none());
        state.set_discovery(idle());
        state.stop_discovery(None);
        assert!(state.discovery.lock().unwrap().is_none());
    }
}
