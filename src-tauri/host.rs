//! Hosting from the window: start the room server on the LAN with history in the user's data
//! dir, report the addresses to share, stop it. Plain Rust; the desktop layer wraps it.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::client::DEFAULT_PORT;
use crate::datadir::{self, DirLock};
use crate::server::{self, Config, RunningServer};
use crate::store::Store;

/// What the window shows about the server it hosts (IPC: `host_start`, `host_status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct HostInfo {
    pub port: u16,
    /// LAN IPv4 addresses others can use ("192.168.1.20"), best first; loopback and virtual
    /// adapters are left out.
    pub addresses: Vec<String>,
    pub password_required: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("port {0} is already in use; pick another")]
    PortInUse(u16),
    #[error("cannot listen on port {0}: {1}")]
    Listen(u16, std::io::Error),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The default port if it is free, else any free port.
pub fn suggest_port() -> u16 {
    let free = |p: u16| std::net::TcpListener::bind((Ipv4Addr::UNSPECIFIED, p)).ok();
    free(DEFAULT_PORT)
        .or_else(|| free(0))
        .and_then(|l| l.local_addr().ok())
        .map_or(DEFAULT_PORT, |a| a.port())
}

/// Starts hosting on all interfaces (the user chose to host on the LAN).
pub async fn start(
    port: u16,
    password: Option<String>,
    data_dir: &Path,
) -> Result<RunningServer, HostError> {
    let store = open_store(data_dir)?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)))
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => HostError::PortInUse(port),
            _ => HostError::Listen(port, e),
        })?;
    let config = Config {
        password,
        files: server::FilesConfig {
            dir: Some(data_dir.join("files")),
            ..server::FilesConfig::default()
        },
        ..Config::default()
    };
    server::raise_fd_limit(config.max_connections);
    server::serve(listener, config, store)
        .await
        .map_err(|e| HostError::Listen(port, e))
}

/// The directory the window last hosted in, with its lock. The window hosts one server at a
/// time and the desktop layer stops it with `RunningServer::stop`, which this module never
/// sees; and a stopped server keeps its store (and SQLite connection) until the process exits,
/// because the server's state and hub refer to each other. So the directory stays the window's
/// until it hosts in another one or quits, and hosting there again reuses the lock. The lock
/// is only taken around opening (no `.await` under it), so it cannot deadlock.
static HOSTED_DIR: Mutex<Option<(PathBuf, DirLock)>> = Mutex::new(None);

/// Opens `dir`'s history for hosting, taking the directory unless the window already has it.
/// Another process there (`lanchat serve`) is refused naming the directory and its pid.
fn open_store(dir: &Path) -> Result<Store, HostError> {
    let mut slot = HOSTED_DIR.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((held, _)) = slot.as_ref()
        && held == dir
    {
        return Ok(Store::open_dir(dir)?);
    }
    let (store, lock) = datadir::open_store(dir)?;
    *slot = Some((dir.to_path_buf(), lock));
    Ok(store)
}

pub fn info(running: &RunningServer) -> HostInfo {
    HostInfo {
        port: running.addr.port(),
        addresses: crate::net::lan_addresses()
            .iter()
            .map(ToString::to_string)
            .collect(),
        password_required: running.control.password_required(),
    }
}
