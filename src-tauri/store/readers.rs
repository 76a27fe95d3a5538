//! Read connections for scrollback and search, so those reads never wait on (or hold) the
//! writer's lock: SQLite's WAL lets readers run beside the one writer, each seeing the last
//! commit. The server bounds how many reads run at once (`server/reads.rs`); this pool keeps
//! that many connections open for reuse.

use std::path::PathBuf;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use super::StoreError;

/// Idle read connections kept open; more may be open while reads run.
const KEEP_IDLE: usize = 8;

pub(super) struct Readers {
    path: PathBuf,
    /// Connections not in use. Held only to push or pop one.
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(super) fn new(path: PathBuf) -> Readers {
        Readers {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` on an idle read connection (a new one if none is idle), then keeps it.
    pub(super) fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match conn {
            Some(c) => c,
            None => self.open()?,
        };
        let out = f(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < KEEP_IDLE {
            idle.push(conn);
        }
        out
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Open {
            path: self.path.display().to_string(),
            source,
        })?;
        // Read-write only so that it may use the WAL's shared memory; it never writes.
        conn.pragma_update(None, "query_only", true)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(conn)
    }
}
