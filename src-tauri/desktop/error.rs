//! The one error type that crosses IPC: `{code, message}` with the stable codes of
//! docs/protocol.md and docs/ipc.md.

use serde::Serialize;

use crate::client::ClientError;
use crate::discovery::DiscoveryError;
use crate::host::HostError;
use crate::server::ControlError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[error("{message}")]
pub struct IpcError {
    pub code: String,
    pub message: String,
}

impl IpcError {
    pub fn new(code: &str, message: impl Into<String>) -> IpcError {
        IpcError {
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub fn not_connected() -> IpcError {
        IpcError::new("not_connected", "not connected to a server")
    }

    pub fn not_hosting() -> IpcError {
        IpcError::new("not_hosting", "this computer is not hosting a room")
    }
}

impl From<ClientError> for IpcError {
    fn from(e: ClientError) -> IpcError {
        IpcError::new(e.code(), e.to_string())
    }
}

impl From<HostError> for IpcError {
    fn from(e: HostError) -> IpcError {
        let code = match e {
            HostError::PortInUse(_) => "port_in_use",
            HostError::Listen(..) => "listen_failed",
            HostError::Store(_) | HostError::Identity(_) => "storage_failed",
            HostError::Announce(e) => return e.into(),
        };
        IpcError::new(code, e.to_string())
    }
}

impl From<DiscoveryError> for IpcError {
    fn from(e: DiscoveryError) -> IpcError {
        let code = match e {
            DiscoveryError::Off(_) => "discovery_off",
            DiscoveryError::Mdns(_) | DiscoveryError::Thread(_) => "discovery_failed",
        };
        IpcError::new(code, e.to_string())
    }
}

impl From<ControlError> for IpcError {
    fn from(e: ControlError) -> IpcError {
        match e {
            ControlError::Stopped => IpcError::not_hosting(),
            ControlError::Refused(w) => IpcError::new(w.code.as_str(), w.message),
        }
    }
}

pub type IpcResult<T> = Result<T, IpcError>;
