//! Shapes that cross IPC besides the protocol's own types and [`IpcError`](super::error::IpcError);
//! docs/ipc.md describes them and `ui/src/generated/protocol.ts` is generated from them.

use serde::Serialize;

use crate::client::Client;
use crate::protocol::ServerInfo;

/// What `client_connect` returns: the server's `/api/info`, and whether the client talks to it
/// in legacy mode (a tutorial-style server: no history, member lists or delivery acks), as the
/// browser transport reports it too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ConnectInfo {
    #[serde(flatten)]
    pub server: ServerInfo,
    pub legacy: bool,
    /// Where the page loads file messages' links (`/files/…`, `/thumbs/…`) from: the client's
    /// tunnel, `http://127.0.0.1:PORT`, which reaches the host over pinned TLS (`client/tunnel.rs`).
    pub base_url: String,
}

impl ConnectInfo {
    pub fn of(client: &Client) -> ConnectInfo {
        ConnectInfo {
            server: client.server_info().clone(),
            legacy: client.is_legacy(),
            base_url: client.wire_url().to_owned(),
        }
    }
}

/// A file transfer's progress, on the `Channel` of `file_upload_send` or `file_download`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TransferProgress {
    /// Bytes the host has taken (upload) or that are on disk (download).
    pub done: u64,
    pub total: u64,
}
