//! What the window's Rust side holds: at most one hosted server and one client session.

use tokio::sync::Mutex;

use crate::client::Client;
use crate::server::RunningServer;

/// Managed by Tauri. Both locks are tokio mutexes because starting/stopping a server and
/// connecting/disconnecting are awaited while holding them (so two clicks cannot start two
/// servers). Each command takes at most one of them, so they cannot deadlock.
#[derive(Default)]
pub struct AppState {
    pub host: Mutex<Option<RunningServer>>,
    pub client: Mutex<Option<Client>>,
}
