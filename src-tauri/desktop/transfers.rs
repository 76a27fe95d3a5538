//! The window's file transfers, with no Tauri inside. A file the page picked, dropped or pasted
//! has no path the Rust client could read, so the page hands its bytes over in chunks and they
//! are staged in the app's cache directory; the client uploads from there (and resumes from
//! there after a cut). Downloads go to a free name in the Downloads folder, through a hidden
//! partial file named after the content's hash, so resuming one never mixes two files; only the
//! files this session saved may be opened or shown.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::sync::oneshot;

use crate::client::{self, ClientError, OnProgress};
use crate::protocol::clean_file_name;

/// How long a download may make no progress before it fails (the client's `queue_timeout`).
pub const DOWNLOAD_PATIENCE: Duration = Duration::from_secs(30);
/// Progress reaches the page at most this often per transfer (the client reports every 256 KiB,
/// thousands of times a second on loopback).
pub const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// Largest chunk the page may hand over at once (it sends 8 MiB).
pub const MAX_CHUNK: usize = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TransferError {
    #[error("no such transfer (finished or cancelled)")]
    NotFound,
    #[error("the chunk starts at {got}, the staged file is at {want}")]
    OutOfStep { got: u64, want: u64 },
    #[error("more bytes than the file's announced size")]
    TooLong,
    #[error("the file is not fully handed over yet ({have} of {size} bytes)")]
    Incomplete { have: u64, size: u64 },
    #[error("{0}")]
    BadRequest(String),
    #[error("this file is already being saved")]
    AlreadySaving,
    #[error("only files saved by this window can be opened from it")]
    NotSaved,
    #[error("{0}")]
    Io(String),
}

impl TransferError {
    /// The stable code the page sees (docs/ipc.md).
    pub fn code(&self) -> &'static str {
        match self {
            TransferError::NotFound => "not_found",
            TransferError::OutOfStep { .. } => "offset_mismatch",
            TransferError::TooLong => "file_too_large",
            TransferError::Incomplete { .. } | TransferError::BadRequest(_) => "invalid_payload",
            TransferError::AlreadySaving => "already_saving",
            TransferError::NotSaved => "forbidden",
            TransferError::Io(_) => "file_error",
        }
    }
}

fn io(what: &Path, e: std::io::Error) -> TransferError {
    TransferError::Io(format!("{}: {e}", what.display()))
}

/// One staged upload.
struct Staged {
    room: String,
    /// `<staging>/<id>/<cleaned name>`: the client sends the file under its file name.
    path: PathBuf,
    size: u64,
    /// Bytes written so far; the next chunk must start here.
    written: u64,
    /// Set while the client uploads it: firing it stops the upload.
    cancel: Option<oneshot::Sender<()>>,
}

/// What the window is moving, shared by the commands (Tauri state).
#[derive(Default)]
pub struct Transfers {
    inner: Mutex<Inner>,
    /// Staging is emptied once per run, before the first upload: what a crash left behind.
    swept: AtomicBool,
}

#[derive(Default)]
struct Inner {
    staged: HashMap<String, Staged>,
    /// Content hashes being downloaded now (their partial file is shared by name).
    downloading: HashSet<String>,
    /// Files this session saved: the only paths `open`/`reveal` accept.
    saved: HashSet<PathBuf>,
}

/// What `start_upload` hands the command.
pub struct UploadJob {
    pub room: String,
    pub path: PathBuf,
    /// Resolves when the page cancels.
    pub cancelled: oneshot::Receiver<()>,
}

impl Transfers {
    // Every critical section below is a lookup or an insert, never held across an await: a
    // panic cannot leave one half done, and no lock is taken inside another.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts staging a file of `size` bytes for `room`; returns its transfer id.
    pub async fn begin(
        &self,
        staging: &Path,
        room: &str,
        name: &str,
        size: u64,
    ) -> Result<String, TransferError> {
        if !self.swept.swap(true, Ordering::AcqRel) {
            // Single instance per profile: nothing else uses these.
            let _ = tokio::fs::remove_dir_all(staging).await;
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = staging.join(&id);
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| io(&dir, e))?;
        let path = dir.join(clean_file_name(name));
        tokio::fs::File::create(&path)
            .await
            .map_err(|e| io(&path, e))?;
        self.lock().staged.insert(
            id.clone(),
            Staged {
                room: room.to_owned(),
                path,
                size,
                written: 0,
                cancel: None,
            },
        );
        Ok(id)
    }

    /// Appends a chunk that must start where the staged file ends.
    pub async fn append(&self, id: &str, offset: u64, bytes: &[u8]) -> Result<(), TransferError> {
        if bytes.len() > MAX_CHUNK {
            return Err(TransferError::BadRequest(format!(
                "chunks are at most {MAX_CHUNK} bytes"
            )));
        }
        let path = {
            let mut g = self.lock();
            let s = g.staged.get_mut(id).ok_or(TransferError::NotFound)?;
            if offset != s.written || s.cancel.is_some() {
                return Err(TransferError::OutOfStep {
                    got: offset,
                    want: s.written,
                });
            }
            let end = offset + bytes.len() as u64;
            if end > s.size {
                return Err(TransferError::TooLong);
            }
            // Claimed before writing: a second chunk for the same offset is out of step.
            s.written = end;
            s.path.clone()
        };
        let written = async {
            let mut f = tokio::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .await?;
            f.write_all(bytes).await?;
            f.flush().await
        }
        .await;
        if let Err(e) = written {
            // The staged file is in an unknown state: this transfer is over.
            self.discard(id).await;
            return Err(io(&path, e));
        }
        Ok(())
    }

    /// The staged file is complete: hands it to the uploader, with a way to cancel it.
    pub fn start_upload(&self, id: &str) -> Result<UploadJob, TransferError> {
        let mut g = self.lock();
        let s = g.staged.get_mut(id).ok_or(TransferError::NotFound)?;
        if s.written != s.size {
            return Err(TransferError::Incomplete {
                have: s.written,
                size: s.size,
            });
        }
        if s.cancel.is_some() {
            return Err(TransferError::BadRequest("already uploading".into()));
        }
        let (tx, rx) = oneshot::channel();
        s.cancel = Some(tx);
        Ok(UploadJob {
            room: s.room.clone(),
            path: s.path.clone(),
            cancelled: rx,
        })
    }

    /// Cancels a transfer (staging or uploading) and deletes what was staged.
    pub async fn cancel(&self, id: &str) -> Result<(), TransferError> {
        if !self.discard(id).await {
            return Err(TransferError::NotFound);
        }
        Ok(())
    }

    /// Forgets a transfer and deletes its staged file; whether there was one.
    pub async fn discard(&self, id: &str) -> bool {
        let Some(mut s) = self.lock().staged.remove(id) else {
            return false;
        };
        if let Some(cancel) = s.cancel.take() {
            let _ = cancel.send(());
        }
        if let Some(dir) = s.path.parent()
            && let Err(e) = tokio::fs::remove_dir_all(dir).await
        {
            tracing::warn!("could not remove the staged upload {}: {e}", dir.display());
        }
        true
    }

    /// Downloads `url` into `dir` under (a free variant of) `name` and returns the path. The
    /// bytes go to `.<sha256>.lanchat-download.part` first, so a broken download of this content
    /// resumes where it stopped, even after a restart.
    pub async fn download(
        &self,
        dir: &Path,
        url: &str,
        name: &str,
        sha256: &str,
        progress: OnProgress,
        trust: &client::Trust,
    ) -> Result<PathBuf, DownloadError> {
        if !is_sha256(sha256) {
            return Err(TransferError::BadRequest("not a content hash".into()).into());
        }
        if !self.lock().downloading.insert(sha256.to_owned()) {
            return Err(TransferError::AlreadySaving.into());
        }
        let result = async {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| io(dir, e))?;
            let hidden = dir.join(format!(".{sha256}.lanchat-download"));
            client::download(url, &hidden, DOWNLOAD_PATIENCE, progress, trust).await?;
            let dest = settle(&hidden, dir, &clean_file_name(name)).map_err(|e| io(dir, e))?;
            Ok::<_, DownloadError>(dest)
        }
        .await;
        let mut g = self.lock();
        g.downloading.remove(sha256);
        if let Ok(dest) = &result {
            g.saved.insert(dest.clone());
        }
        result
    }

    /// Whether `path` is a file this session saved (and so may be opened or shown).
    pub fn check_saved(&self, path: &Path) -> Result<(), TransferError> {
        if self.lock().saved.contains(path) {
            Ok(())
        } else {
            Err(TransferError::NotSaved)
        }
    }
}

/// Why a download failed: ours, or the client's.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error(transparent)]
    Transfer(#[from] TransferError),
    #[error(transparent)]
    Client(#[from] ClientError),
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `report.pdf`, then `report (1).pdf`, `report (2).pdf`, …
pub fn numbered(name: &str, n: u32) -> String {
    if n == 0 {
        return name.to_owned();
    }
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({n}).{ext}"),
        _ => format!("{name} ({n})"),
    }
}

/// Moves the finished download to the first free name; never over an existing file.
fn settle(from: &Path, dir: &Path, name: &str) -> std::io::Result<PathBuf> {
    for n in 0..10_000 {
        let dest = dir.join(numbered(name, n));
        // A hard link fails if the name is taken, where a rename would replace the file.
        match std::fs::hard_link(from, &dest) {
            Ok(()) => {
                std::fs::remove_file(from)?;
                return Ok(dest);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            // No hard links here (some USB sticks' file systems): check, then rename.
            Err(_) if !dest.exists() => {
                std::fs::rename(from, &dest)?;
                return Ok(dest);
            }
            Err(_) => continue,
        }
    }
    Err(std::io::Error::other("no free file name"))
}

/// A progress callback that forwards at most every [`PROGRESS_EVERY`], and always the last.
pub fn throttled(send: impl Fn(u64, u64) + Send + Sync + 'static) -> OnProgress {
    let last = Mutex::new(None::<Instant>);
    Arc::new(move |done, total| {
        let now = Instant::now();
        {
            let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
            if done < total && last.is_some_and(|t| now.duration_since(t) < PROGRESS_EVERY) {
                return;
            }
            *last = Some(now);
        }
        send(done, total);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Staging takes chunks in order, up to the announced size, and hands over a complete file.
    #[tokio::test]
    async fn staging_takes_chunks_in_order_and_hands_over_whole_files() {
        let tmp = tempfile::tempdir().unwrap();
        let t = Transfers::default();
        let id = t
            .begin(tmp.path(), "lobby", "../../etc/passwd", 6)
            .await
            .unwrap();
        assert!(matches!(
            t.start_upload(&id),
            Err(TransferError::Incomplete { have: 0, size: 6 })
        ));
        t.append(&id, 0, b"abc").await.unwrap();
        assert_eq!(
            t.append(&id, 0, b"abc").await,
            Err(TransferError::OutOfStep { got: 0, want: 3 })
        );
        assert_eq!(t.append(&id, 3, b"defg").await, Err(TransferError::TooLong));
        t.append(&id, 3, b"def").await.unwrap();
        let job = t.start_upload(&id).unwrap();
        assert_eq!(job.room, "lobby");
        // The page's name cannot leave the staging directory.
        assert_eq!(job.path.file_name().unwrap(), "passwd");
        assert!(job.path.starts_with(tmp.path().join(&id)));
        assert_eq!(std::fs::read(&job.path).unwrap(), b"abcdef");
        assert_eq!(
            t.append(&id, 6, b"").await,
            Err(TransferError::OutOfStep { got: 6, want: 6 })
        );
    }

    /// Cancelling stops an upload in flight and deletes what was staged.
    #[tokio::test]
    async fn cancel_stops_the_upload_and_deletes_the_staged_file() {
        let tmp = tempfile::tempdir().unwrap();
        let t = Transfers::default();
        let id = t.begin(tmp.path(), "r", "a.bin", 1).await.unwrap();
        t.append(&id, 0, b"x").await.unwrap();
        let job = t.start_upload(&id).unwrap();
        t.cancel(&id).await.unwrap();
        assert!(job.cancelled.await.is_ok());
        assert!(!job.path.exists());
        assert_eq!(t.cancel(&id).await, Err(TransferError::NotFound));
        assert_eq!(t.append(&id, 1, b"").await, Err(TransferError::NotFound));
    }

    /// A run starts by clearing what an earlier run (a crash) left in staging.
    #[tokio::test]
    async fn the_first_upload_clears_old_staging() {
        let tmp = tempfile::tempdir().unwrap();
        let stale = tmp.path().join("old");
        std::fs::create_dir_all(&stale).unwrap();
        let t = Transfers::default();
        t.begin(tmp.path(), "r", "a", 0).await.unwrap();
        assert!(!stale.exists());
    }

    /// A saved file never replaces another: `name (1).ext` and so on.
    #[test]
    fn saving_picks_a_free_name() {
        assert_eq!(numbered("report.pdf", 0), "report.pdf");
        assert_eq!(numbered("report.pdf", 2), "report (2).pdf");
        assert_eq!(numbered("README", 1), "README (1)");
        assert_eq!(numbered(".bashrc", 1), ".bashrc (1)");
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("a.txt"), b"mine").unwrap();
        let part = tmp.path().join(".x");
        std::fs::write(&part, b"theirs").unwrap();
        let dest = settle(&part, tmp.path(), "a.txt").unwrap();
        assert_eq!(dest, tmp.path().join("a (1).txt"));
        assert_eq!(std::fs::read(tmp.path().join("a.txt")).unwrap(), b"mine");
        assert_eq!(std::fs::read(&dest).unwrap(), b"theirs");
        assert!(!part.exists());
    }

    /// Only files this session saved may be opened.
    #[test]
    fn only_saved_files_may_be_opened() {
        let t = Transfers::default();
        assert_eq!(
            t.check_saved(Path::new("/etc/passwd")),
            Err(TransferError::NotSaved)
        );
        t.lock().saved.insert(PathBuf::from("/tmp/x"));
        assert!(t.check_saved(Path::new("/tmp/x")).is_ok());
    }

    /// Progress is forwarded a few times a second, and the end always.
    #[test]
    fn progress_is_throttled_but_ends() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let report = throttled(move |d, t| s.lock().unwrap().push((d, t)));
        for d in 0..=1000 {
            report(d, 1000);
        }
        let seen = seen.lock().unwrap();
        assert!(seen.len() < 10, "{} reports", seen.len());
        assert_eq!(seen.first(), Some(&(0, 1000)));
        assert_eq!(seen.last(), Some(&(1000, 1000)));
    }
}
