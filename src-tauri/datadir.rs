//! One server per data directory: an exclusive advisory lock on `DIR/lanchat.lock`, taken before
//! the history is opened and held by whoever runs the server (`lanchat serve` for its whole run,
//! the window's host while it may host there), with the holder's pid written in it so a second
//! server can say who has the directory. Two servers on one database would hand out the same
//! seqs.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::store::{Store, StoreError};

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "lanchat.lock";

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error(
        "the data directory {} is in use by another lanchat server ({}); stop that one first, \
         or give this one another directory",
        dir.display(),
        holder(*pid)
    )]
    InUse {
        dir: PathBuf,
        /// The holder's pid as it wrote it in the lock file; `None` if it could not be read
        /// (the holder is between taking the lock and writing it, or the platform's locks are
        /// mandatory and forbid reading a locked file, as on Windows).
        pid: Option<u32>,
    },
    #[error("could not lock the data directory {}: {source}", dir.display())]
    Lock {
        dir: PathBuf,
        source: std::io::Error,
    },
}

fn holder(pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!("pid {pid}"),
        None => "pid unknown".to_owned(),
    }
}

/// The held lock; dropping it (closing the file) lets another server have the directory. The
/// file itself stays: removing it would race with a server that has just opened it.
#[derive(Debug)]
pub struct DirLock {
    // Only held, never read: the lock lives as long as this open file.
    _file: File,
}

/// Creates `dir` if needed, takes it, and opens its history: what a server runs on. Keep the
/// lock for as long as the server runs.
pub fn open_store(dir: &Path) -> Result<(Store, DirLock), StoreError> {
    std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
        path: dir.display().to_string(),
        source,
    })?;
    let lock = lock(dir)?;
    Ok((Store::open_dir(dir)?, lock))
}

/// Takes the directory `dir` (which must exist) for this process, or says who has it.
///
/// The lock is per open file (flock on Unix, LockFileEx on Windows), not per process, so a
/// second `lock` of the same directory in this process is refused too.
pub fn lock(dir: &Path) -> Result<DirLock, DataDirError> {
    let failed = |source| DataDirError::Lock {
        dir: dir.to_path_buf(),
        source,
    };
    // Not truncated on open: until we hold the lock, the pid in it is the holder's.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join(LOCK_FILE))
        .map_err(failed)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let pid = file
                .read_to_string(&mut text)
                .ok()
                .and_then(|_| text.trim().parse().ok());
            return Err(DataDirError::InUse {
                dir: dir.to_path_buf(),
                pid,
            });
        }
        Err(TryLockError::Error(e)) => return Err(failed(e)),
    }
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| writeln!(file, "{}", std::process::id()))
        .map_err(failed)?;
    Ok(DirLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second lock on a held directory is refused naming the directory and the holder's pid;
    /// once the first is dropped the directory can be taken again.
    #[test]
    fn a_held_directory_is_refused_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path()).unwrap();
        let err = lock(dir.path()).unwrap_err();
        match &err {
            DataDirError::InUse { dir: d, pid } => {
                assert_eq!(d, dir.path());
                assert_eq!(*pid, Some(std::process::id()));
            }
            other => panic!("expected InUse, got {other:?}"),
        }
        let text = err.to_string();
        assert!(text.contains(&dir.path().display().to_string()), "{text}");
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        drop(first);
        lock(dir.path()).expect("free again after the holder is dropped");
    }

    /// A stale pid left by a holder that died does not stop the next server.
    #[test]
    fn a_stale_lock_file_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LOCK_FILE), "999999999\n").unwrap();
        let _held = lock(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string());
    }
}
