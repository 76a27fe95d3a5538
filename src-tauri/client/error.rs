//! What a client request can end in besides success, with the stable codes that the window
//! (docs/ipc.md) and the terminal show.

use std::time::Duration;

use serde_json::Value;

use super::BadAddress;
use crate::protocol::{ErrorCode, WireError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Address(#[from] BadAddress),
    /// The host's certificate is not the one trusted (or is new and may not be trusted
    /// silently). Nothing was sent to it.
    #[error(transparent)]
    Host(#[from] crate::tls::PinError),
    #[error("could not reach {0}: {1}")]
    Unreachable(String, String),
    #[error("this server needs a password")]
    PasswordRequired,
    #[error("wrong password")]
    BadPassword,
    #[error("the server is full")]
    ServerFull,
    #[error("too many password attempts from this computer; wait a little and try again")]
    TooManyAttempts,
    /// The server refused a request, with one of the protocol's error codes.
    #[error(transparent)]
    Refused(#[from] WireError),
    /// A queued request (join, leave, a message's ack, a flush) waited this long while the
    /// server answered nothing: it is unreachable or not answering, and we stopped waiting.
    #[error("the server did not answer for {} s; gave up", .0.as_secs())]
    TimedOut(Duration),
    #[error("the client has stopped")]
    Stopped,
    /// A local file could not be read or written (an upload's source, a download's target).
    #[error("{0}")]
    Io(String),
}

impl ClientError {
    /// Stable code for IPC and exit messages.
    pub fn code(&self) -> &str {
        match self {
            ClientError::Address(_) => "bad_address",
            ClientError::Host(p) => p.code(),
            ClientError::Unreachable(..) => "connect_failed",
            ClientError::PasswordRequired => "password_required",
            ClientError::BadPassword => "bad_password",
            ClientError::ServerFull => "server_full",
            ClientError::TooManyAttempts => "too_many_attempts",
            ClientError::Refused(e) => e.code.as_str(),
            ClientError::TimedOut(_) => "timed_out",
            ClientError::Stopped => "not_connected",
            ClientError::Io(_) => "file_error",
        }
    }

    /// The `error` of a failed ack. A code this version does not know (a newer server) still
    /// reaches the user, as a malformed-reply refusal carrying the server's words.
    pub(super) fn from_wire(body: &Value) -> ClientError {
        let e = body.get("error").cloned().unwrap_or(Value::Null);
        match serde_json::from_value::<WireError>(e.clone()) {
            Ok(w) => ClientError::Refused(w),
            Err(_) => ClientError::Refused(WireError::new(
                ErrorCode::InvalidPayload,
                e.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("the server refused the request")
                    .to_owned(),
            )),
        }
    }

    /// An `ok` ack whose body is not what the protocol says.
    pub(super) fn malformed(e: serde_json::Error) -> ClientError {
        ClientError::Refused(WireError::new(ErrorCode::InvalidPayload, e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A refusal with a known code keeps it; an unknown code still shows the server's words.
    #[test]
    fn failed_acks_keep_the_servers_code_and_words() {
        let known = json!({"ok": false, "error": {"code": "rate_limited", "message": "slow down"}});
        assert_eq!(ClientError::from_wire(&known).code(), "rate_limited");
        let unknown = json!({"ok": false, "error": {"code": "from_the_future", "message": "nope"}});
        let e = ClientError::from_wire(&unknown);
        assert_eq!(e.code(), "invalid_payload");
        assert_eq!(e.to_string(), "nope");
    }

    /// Giving up has its own code, so the window can say "no answer" rather than "refused".
    #[test]
    fn a_timeout_has_a_stable_code() {
        let e = ClientError::TimedOut(Duration::from_secs(30));
        assert_eq!(e.code(), "timed_out");
        assert_eq!(e.to_string(), "the server did not answer for 30 s; gave up");
    }
}
