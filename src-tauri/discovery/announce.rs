//! One host's announcement: registers `lanchat-…._lanchat._tcp.local.` on the host's scope,
//! keeps its TXT record current (people, password) and withdraws it — goodbye packets, so
//! browsers drop the host within about a second — when stopped or dropped.

use std::net::IpAddr;
use std::sync::mpsc;
use std::time::Duration;

use mdns_sd::{ServiceDaemon, ServiceInfo};
use tokio::sync::oneshot;

use super::record::{Record, instance_name};
use super::{DiscoveryError, SERVICE_TYPE, Scope};

/// Reads the host's current state (name, version, password, people) for the TXT record.
pub type Live = Box<dyn Fn() -> Record + Send>;

/// How often the announcer reads [`Live`]; it re-announces only when the record changed. A
/// busy room where people come and go all the time so costs at most one announcement (two
/// packets per interface) every 3 s, and a count is at most 3 s old — [`Announcer::refresh`]
/// is at once, for changes the host makes itself (the password).
pub const REFRESH: Duration = Duration::from_secs(3);

/// How long `stop` waits for the goodbye to be sent and the daemon to end.
const STOP_WAIT: Duration = Duration::from_secs(2);

/// A running announcement. Its thread owns the mDNS daemon; this handle only talks to it.
pub struct Announcer {
    /// `<instance>._lanchat._tcp.local.`, what browsers see as [`super::FoundHost::id`].
    fullname: String,
    /// To the thread: refresh now, or withdraw and stop.
    tx: mpsc::Sender<Msg>,
    /// Fires when the thread has withdrawn the announcement and stopped the daemon.
    done: Option<oneshot::Receiver<()>>,
}

enum Msg {
    Refresh,
    Stop,
}

impl Announcer {
    /// Announces a host on `port` within `scope`, with the record `live` reads now, and keeps
    /// it current. Fails when the environment forbids announcing or mDNS cannot start.
    pub fn start(scope: Scope, port: u16, live: Live) -> Result<Announcer, DiscoveryError> {
        super::announce_allowed()?;
        let daemon = ServiceDaemon::new()?;
        let label = instance_name();
        let first = live();
        let registered = scope
            .apply(&daemon)
            .and_then(|()| service(&label, scope, port, &first))
            .and_then(|info| {
                let fullname = info.get_fullname().to_owned();
                daemon.register(info).map(|()| fullname)
            });
        let fullname = match registered {
            Ok(f) => f,
            Err(e) => {
                let _ = daemon.shutdown();
                return Err(e.into());
            }
        };
        let (tx, rx) = mpsc::channel();
        let (done_tx, done) = oneshot::channel();
        let name = fullname.clone();
        let handle = daemon.clone();
        let spawned = std::thread::Builder::new()
            .name("lanchat-announce".into())
            .spawn(move || {
                let mut last = first;
                loop {
                    match rx.recv_timeout(REFRESH) {
                        Ok(Msg::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
                        Ok(Msg::Refresh) | Err(mpsc::RecvTimeoutError::Timeout) => {
                            let now = live();
                            if now != last {
                                // Registering the same name again announces the new TXT; its
                                // cache-flush bit makes browsers replace the old one.
                                match service(&label, scope, port, &now)
                                    .and_then(|info| daemon.register(info))
                                {
                                    Ok(()) => last = now,
                                    Err(e) => tracing::warn!("re-announcing {name}: {e}"),
                                }
                            }
                        }
                    }
                }
                withdraw(&daemon, &name);
                let _ = done_tx.send(());
            });
        if let Err(e) = spawned {
            withdraw(&handle, &fullname);
            return Err(DiscoveryError::Thread(e));
        }
        tracing::debug!("announced on the LAN as {fullname}");
        Ok(Announcer {
            fullname,
            tx,
            done: Some(done),
        })
    }

    /// `<instance>._lanchat._tcp.local.`
    pub fn fullname(&self) -> &str {
        &self.fullname
    }

    /// Reads the host's state now instead of at the next tick (after the host changed it).
    pub fn refresh(&self) {
        let _ = self.tx.send(Msg::Refresh);
    }

    /// Withdraws the announcement (browsers see the host go at once) and waits, briefly, until
    /// the goodbye is out.
    pub async fn stop(mut self) {
        let _ = self.tx.send(Msg::Stop);
        if let Some(done) = self.done.take()
            && tokio::time::timeout(STOP_WAIT + STOP_WAIT, done)
                .await
                .is_err()
        {
            tracing::warn!("the announcement of {} did not stop in time", self.fullname);
        }
    }
}

impl Drop for Announcer {
    /// A dropped announcement is withdrawn too, without waiting.
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Stop);
    }
}

/// The service record for `record`. On the whole LAN the addresses follow the interfaces (each
/// interface announces its own); on one address, that address.
fn service(label: &str, scope: Scope, port: u16, record: &Record) -> mdns_sd::Result<ServiceInfo> {
    let txt = record.to_txt();
    // The SRV target is `<instance>.local.`: like the instance, never the computer's name.
    let host = format!("{label}.local.");
    match scope {
        Scope::Lan => Ok(
            ServiceInfo::new(SERVICE_TYPE, label, &host, (), port, &txt[..])?.enable_addr_auto(),
        ),
        Scope::Address(a) => {
            ServiceInfo::new(SERVICE_TYPE, label, &host, IpAddr::V4(a), port, &txt[..])
        }
    }
}

/// Goodbye (TTL 0) for `fullname`, which mdns-sd repeats once 120 ms later; then the daemon
/// stops, which closes its sockets and leaves the multicast group.
fn withdraw(daemon: &ServiceDaemon, fullname: &str) {
    match daemon.unregister(fullname) {
        Ok(status) => {
            let _ = status.recv_timeout(STOP_WAIT);
            // Let the repeat go out: shutting down drops pending repeats.
            std::thread::sleep(Duration::from_millis(200));
        }
        Err(e) => tracing::debug!("withdrawing {fullname}: {e}"),
    }
    match daemon.shutdown() {
        Ok(status) => {
            let _ = status.recv_timeout(STOP_WAIT);
        }
        Err(e) => tracing::debug!("stopping the mDNS daemon: {e}"),
    }
}
