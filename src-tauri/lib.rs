//! lanchat: group chat for one local network, from one binary.
//!
//! Layout (the layers are the modules; only `desktop` knows Tauri):
//! - [`protocol`]: event names, payload types, requests, validation, error codes (docs/protocol.md).
//! - [`clock`]: the protocol's time (ms since the epoch).
//! - [`chat`]: the chat's rules (rooms, members, seqs, dedupe, kicks, presence) with no I/O.
//! - [`identity`]: the user key and the public user id derived from it.
//! - [`store`]: SQLite history.
//! - [`datadir`]: one server per data directory (the lock beside the history).
//! - [`server`]: the Socket.IO room server (`serve(listener, config, store)`): transport around
//!   the chat core.
//! - [`client`]: the Rust client with reconnects, used by `lanchat join` and the window.
//! - [`host`]: hosting from the window (start/stop, addresses to share).
//! - [`net`]: which LAN addresses to show people.
//! - [`discovery`]: announcing a host on the LAN (mDNS, `_lanchat._tcp`) and finding hosts.
//! - [`tls`]: encryption with a pinned identity (the host's certificate, fingerprints,
//!   known_hosts, the pinning verifier).
//! - [`cli`]: the command line.
//! - `desktop` (feature `desktop`): the Tauri window, commands and state.

pub mod chat;
pub mod cli;
pub mod client;
pub mod clock;
pub mod datadir;
pub mod discovery;
pub mod host;
pub mod identity;
pub mod net;
pub mod protocol;
pub mod server;
pub mod store;
pub mod tls;

#[cfg(all(test, feature = "desktop"))]
mod typescript;

#[cfg(feature = "desktop")]
pub mod desktop;
