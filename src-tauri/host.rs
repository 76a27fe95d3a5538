//! Hosting from the window: start the room server on the LAN with history in the user's data
//! dir, announce it (unless told not to), report the addresses to share, stop it. Plain Rust;
//! the desktop layer wraps it. [`announce`] is also how `lanchat serve` announces.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::client::DEFAULT_PORT;
use crate::datadir::{self, DirLock};
use crate::discovery::{Announcer, DiscoveryError, Record, Scope};
use crate::server::{self, Config, Control, RunningServer};
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
    /// The mDNS instance the server is announced as on the LAN
    /// (`lanchat-1a2b3c4d5e6f._lanchat._tcp.local.`), or null when it is not announced.
    pub announced_as: Option<String>,
    /// The host's certificate fingerprint, 64 hex digits (shown in groups of four).
    pub fingerprint: String,
    /// Whether browsers may use plain http:// now: by default only while no password is set,
    /// or as the host panel's switch says (`host_set_plain_guests`).
    pub plain_guests: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("port {0} is already in use; pick another")]
    PortInUse(u16),
    #[error("cannot listen on port {0}: {1}")]
    Listen(u16, std::io::Error),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Announce(#[from] DiscoveryError),
    #[error(transparent)]
    Identity(#[from] crate::tls::IdentityError),
}

/// A server the window hosts, and its announcement on the LAN while it has one.
pub struct Hosting {
    pub server: RunningServer,
    /// Shown in the announcement; the server's own copy is inside its config.
    name: String,
    announcer: Option<Announcer>,
}

impl Hosting {
    /// Starts or stops announcing. Turning it on fails when the environment forbids it
    /// (`LANCHAT_NO_ANNOUNCE`, `LANCHAT_NO_DISCOVERY`) or mDNS cannot start.
    pub async fn set_announce(&mut self, on: bool) -> Result<(), HostError> {
        match (on, self.announcer.take()) {
            (true, Some(a)) => self.announcer = Some(a),
            (true, None) => {
                let a = announcer(&self.server, Ipv4Addr::UNSPECIFIED.into(), &self.name)?;
                self.announcer = a;
            }
            (false, Some(a)) => a.stop().await,
            (false, None) => {}
        }
        Ok(())
    }

    /// Tells the announcement the host changed something it shows (the password).
    pub fn refresh_announcement(&self) {
        if let Some(a) = &self.announcer {
            a.refresh();
        }
    }

    /// Withdraws the announcement, then stops the server (goodbye to clients, graceful end).
    pub async fn stop(self) -> std::io::Result<()> {
        if let Some(a) = self.announcer {
            a.stop().await;
        }
        self.server.stop().await
    }
}

/// Announces `running` on the LAN, bound to `bind`, as `name`: `None` when the bind address is
/// not reachable from the LAN (loopback), and when announcing is turned off or fails (said in
/// the log — a host that cannot announce still hosts). `lanchat serve` and the window use it.
pub fn announce(running: &RunningServer, bind: IpAddr, name: &str) -> Option<Announcer> {
    match announcer(running, bind, name) {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!("not announcing on the LAN: {e}");
            None
        }
    }
}

fn announcer(
    running: &RunningServer,
    bind: IpAddr,
    name: &str,
) -> Result<Option<Announcer>, DiscoveryError> {
    let Some(scope) = Scope::for_bind(bind) else {
        return Ok(None);
    };
    let control = running.control.clone();
    let name = name.to_owned();
    let live = Box::new(move || record(&control, &name));
    Announcer::start(scope, running.addr.port(), live).map(Some)
}

/// What the announcement says about the server now.
fn record(control: &Control, name: &str) -> Record {
    Record {
        name: name.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        password_required: control.password_required(),
        people: u32::try_from(control.connections()).unwrap_or(u32::MAX),
        fingerprint: Some(control.fingerprint().hex()),
    }
}

/// The default port if it is free, else any free port.
pub fn suggest_port() -> u16 {
    let free = |p: u16| std::net::TcpListener::bind((Ipv4Addr::UNSPECIFIED, p)).ok();
    free(DEFAULT_PORT)
        .or_else(|| free(0))
        .and_then(|l| l.local_addr().ok())
        .map_or(DEFAULT_PORT, |a| a.port())
}

/// Starts hosting on all interfaces (the user chose to host on the LAN), announced there when
/// `announce` is set and nothing forbids it.
pub async fn start(
    port: u16,
    password: Option<String>,
    data_dir: &Path,
    announce: bool,
) -> Result<Hosting, HostError> {
    let store = open_store(data_dir)?;
    let identity = crate::tls::Identity::load_or_create(data_dir)?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)))
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => HostError::PortInUse(port),
            _ => HostError::Listen(port, e),
        })?;
    let config = Config {
        password,
        identity: Some(identity),
        files: server::FilesConfig {
            dir: Some(data_dir.join("files")),
            ..server::FilesConfig::default()
        },
        ..Config::default()
    };
    server::raise_fd_limit(config.max_connections);
    let name = config.name.clone();
    let server = server::serve(listener, config, store)
        .await
        .map_err(|e| HostError::Listen(port, e))?;
    let announcer = if announce {
        self::announce(&server, Ipv4Addr::UNSPECIFIED.into(), &name)
    } else {
        None
    };
    Ok(Hosting {
        server,
        name,
        announcer,
    })
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

pub fn info(hosting: &Hosting) -> HostInfo {
    let running = &hosting.server;
    HostInfo {
        port: running.addr.port(),
        addresses: crate::net::lan_addresses()
            .iter()
            .map(ToString::to_string)
            .collect(),
        password_required: running.control.password_required(),
        announced_as: hosting.announcer.as_ref().map(|a| a.fullname().to_owned()),
        fingerprint: running.control.fingerprint().hex(),
        plain_guests: running.control.plain_guests_allowed(),
    }
}
