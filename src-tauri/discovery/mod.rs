//! Finding hosts without typing an address: a host announces itself with DNS-SD over mDNS
//! (`_lanchat._tcp`), and the window's Join screen and `lanchat discover` browse for it.
//! Plain Rust (mdns-sd runs its own thread); no server, socket or window code is inside.
//!
//! - `record`: what a host says about itself (the TXT record) and its random instance name.
//! - `scope`: which interfaces are announced on and browsed, and which found address to offer.
//! - `announce`: [`Announcer`], one host's announcement, kept current and withdrawn on stop.
//! - `browse`: [`Browser`], the live list of hosts, and [`discover`], one look for the CLI.
//!
//! docs/protocol.md ("Discovery") describes the record; docs/security.md what it reveals.

mod announce;
mod browse;
mod record;
mod scope;

pub use announce::{Announcer, Live};
pub use browse::{Browser, Change, Hosts, Seen, discover};
pub use record::{Record, keys};
pub use scope::Scope;

use serde::Serialize;

/// The DNS-SD service type lanchat hosts are announced as.
pub const SERVICE_TYPE: &str = "_lanchat._tcp.local.";

/// Set (to anything but `0`, `false`, `no`, `off` or nothing): hosts on this computer do not
/// announce themselves. `lanchat serve --no-announce` reads it too.
pub const ENV_NO_ANNOUNCE: &str = "LANCHAT_NO_ANNOUNCE";

/// Set: no mDNS at all from this process — no announcing and no browsing. For tests and
/// benchmarks, which must never multicast on the machine's real network.
pub const ENV_NO_DISCOVERY: &str = "LANCHAT_NO_DISCOVERY";

/// A host found on the LAN, as the Join screen and `lanchat discover --json` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FoundHost {
    /// The DNS-SD instance (`lanchat-1a2b3c4d5e6f._lanchat._tcp.local.`): the same while the
    /// host runs, a new one each time it starts.
    pub id: String,
    /// The host's display name (its `--name`; by default the computer's name). Never empty: a
    /// host that sends none is shown by its address.
    pub name: String,
    /// `host:port` to join: the best of `addresses` (on one of our own subnets first).
    pub address: String,
    /// Every IPv4 address the host was announced with, best first.
    pub addresses: Vec<String>,
    pub port: u16,
    /// The host's lanchat version, as it says.
    pub version: String,
    pub password_required: bool,
    /// Connections to the host right now (about the number of people; the host's own window
    /// counts as one). Refreshed by the host every few seconds.
    pub people: u32,
    /// The host's certificate fingerprint (64 hex digits) from its record, if it sent one:
    /// joining from this entry pins it (docs/security.md).
    #[cfg_attr(test, ts(optional))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// Why discovery could not start.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// An environment variable turned it off (named in the message).
    #[error("discovery is turned off on this computer ({0} is set)")]
    Off(&'static str),
    #[error("mDNS is not available here: {0}")]
    Mdns(#[from] mdns_sd::Error),
    #[error("cannot start the announcement's thread: {0}")]
    Thread(std::io::Error),
}

/// Whether hosts on this computer may announce themselves: neither [`ENV_NO_ANNOUNCE`] nor
/// [`ENV_NO_DISCOVERY`] is set. `Err` names the variable that forbids it.
pub fn announce_allowed() -> Result<(), DiscoveryError> {
    if env_flag(ENV_NO_DISCOVERY) {
        return Err(DiscoveryError::Off(ENV_NO_DISCOVERY));
    }
    if env_flag(ENV_NO_ANNOUNCE) {
        return Err(DiscoveryError::Off(ENV_NO_ANNOUNCE));
    }
    Ok(())
}

/// Whether this process may browse: [`ENV_NO_DISCOVERY`] is not set.
pub fn browse_allowed() -> Result<(), DiscoveryError> {
    if env_flag(ENV_NO_DISCOVERY) {
        return Err(DiscoveryError::Off(ENV_NO_DISCOVERY));
    }
    Ok(())
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| truthy(&v))
}

/// The same reading of a flag's value as clap's for `serve --no-announce`'s variable.
fn truthy(v: &str) -> bool {
    let v = v.trim().to_ascii_lowercase();
    !matches!(v.as_str(), "" | "0" | "false" | "no" | "off" | "n" | "f")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `LANCHAT_NO_ANNOUNCE=0` means announce; `=1`, `=yes`, `=true` mean don't.
    #[test]
    fn env_flags_read_like_clap_flags() {
        for off in ["", "0", "false", "No", "off", " f "] {
            assert!(!truthy(off), "{off:?}");
        }
        for on in ["1", "true", "yes", "on", "whatever"] {
            assert!(truthy(on), "{on:?}");
        }
    }
}
