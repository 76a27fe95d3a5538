//! Who may open a Socket.IO session: the host's password (compared in constant time, its length
//! hidden, guesses slowed per address by `backoff`) and the connection limit, checked before the
//! client is told it is connected.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::ConnectInfo;
use serde_json::Value;
use socketioxide::extract::{SocketRef, State, TryData};
use subtle::ConstantTimeEq;

use super::{Shared, connection, read};
use crate::protocol::connect_errors;

/// Why a connection was refused; the text is the `connect_error` message.
#[derive(Debug)]
pub struct Refusal(&'static str);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// Checks the password and registers the socket's handlers. This runs *before* the client is
/// told it is connected (socketioxide spawns the connect handler itself, so events a client
/// sends right after connecting could otherwise arrive before any handler exists).
pub async fn authenticate(
    socket: SocketRef,
    TryData(auth): TryData<Value>,
    State(shared): State<Arc<Shared>>,
) -> Result<(), Refusal> {
    let auth = auth.unwrap_or(Value::Null);
    // Before the password: a plain guest the host does not allow is refused without it being
    // looked at (the HTTP gate in `plain` normally refuses such a handshake earlier still).
    if !secure(&socket) && !shared.plain_allowed() {
        return Err(Refusal(connect_errors::TLS_REQUIRED));
    }
    if let Some(expected) = read(&shared.password) {
        let given = auth.get("password").and_then(Value::as_str);
        match given {
            None | Some("") => return Err(Refusal(connect_errors::PASSWORD_REQUIRED)),
            Some(p) => {
                // One address's guesses are answered one at a time, slower after each failure.
                let Some(turn) = shared.gate.enter(client_ip(&socket)) else {
                    return Err(Refusal(connect_errors::TOO_MANY_ATTEMPTS));
                };
                turn.wait().await;
                let ok = same_secret(p.as_bytes(), expected.as_bytes());
                turn.done(ok);
                if !ok {
                    return Err(Refusal(connect_errors::BAD_PASSWORD));
                }
            }
        }
    }
    let count = shared.connections.fetch_add(1, Ordering::AcqRel) + 1;
    if count > shared.config.max_connections {
        shared.connections.fetch_sub(1, Ordering::AcqRel);
        return Err(Refusal(connect_errors::SERVER_FULL));
    }
    let session = auth
        .get("sessionId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 128)
        .map(str::to_owned);
    // The key itself goes no further than this line: only its one-way id is kept.
    let user = crate::identity::user_id_for(auth.get("userKey").and_then(Value::as_str));
    connection::register(&socket, shared, session, user, !secure(&socket));
    Ok(())
}

/// Whether the connection came over TLS (from the accept loop; requests built elsewhere, as in
/// in-process tests, count as secure).
fn secure(socket: &SocketRef) -> bool {
    socket
        .req_parts()
        .extensions
        .get::<super::listen::Secure>()
        .is_none_or(|s| s.0)
}

/// The client's address (from the accept loop), or "unspecified" if it is unknown.
fn client_ip(socket: &SocketRef) -> IpAddr {
    socket
        .req_parts()
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip())
}

/// Constant-time comparison that also hides the password's length: both sides are padded to
/// the longer one, so the time depends only on what the caller sent.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let n = given.len().max(expected.len());
    let pad = |s: &[u8]| {
        let mut v = s.to_vec();
        v.resize(n, 0);
        v
    };
    let same_len = (given.len() as u64).ct_eq(&(expected.len() as u64));
    bool::from(pad(given).ct_eq(&pad(expected)) & same_len)
}
