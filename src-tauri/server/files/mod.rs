//! The files service: upload tickets, the quota, the content-addressed store on disk, and
//! announcing a finished file through the hub. The chat core decides who may upload
//! ([`crate::chat::UploadGrant`]); everything here is I/O.
//!
//! On disk, in the files directory (`<datadir>/files`): `<sha256>` per distinct content,
//! `thumbs/<sha256>.jpg|png` previews, `partial/<upload id>` unfinished uploads, and `secret`
//! (the download links' key). Upload records live in SQLite, so an upload resumes after a
//! restart. `upload.rs` is the `PATCH` that streams bytes in; `routes.rs` the HTTP side;
//! `preview.rs` types and thumbnails; `sign.rs` download links.

mod preview;
mod routes;
mod sign;
mod upload;

pub use routes::routes;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, watch};

use super::lock;
use crate::chat::{ConnId, UploadGrant};
use crate::protocol::{ErrorCode, FileMeta, FileUploadAck, UploadTicket, WireError, human_size};
use crate::store::{Store, UploadRecord};
use sign::Signer;

/// The content hash of uploads (SHA-256, the files' names in the store). ring's, not `sha2`'s:
/// 1,448 against 1,208 MB/s on this project's benchmark machine (SHA-NI both), and the upload
/// hashes every byte on the host's receiving core (docs/benchmarks.md, *Files*).
type Hasher = ring::digest::Context;

fn new_hasher() -> Hasher {
    ring::digest::Context::new(&ring::digest::SHA256)
}

/// What a host can tune about files. `Default` is `lanchat serve`'s (docs/security.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesConfig {
    /// Where files are kept; `None`: files are off (`files_disabled`).
    pub dir: Option<PathBuf>,
    /// Most bytes the files directory may hold: stored files, previews and the announced size
    /// of every unfinished upload (default 20 GiB).
    pub quota_bytes: u64,
    /// Unfinished uploads one connection may have at once (default 8).
    pub max_uploads_per_conn: usize,
    /// Unfinished uploads on the host at once (default 256).
    pub max_uploads: usize,
    /// A `PATCH` body that sends nothing for this long is dropped; what arrived is kept
    /// (default 30 s).
    pub idle_timeout: Duration,
    /// An unfinished upload with no progress for this long is deleted (default 24 h).
    pub upload_ttl: Duration,
}

impl Default for FilesConfig {
    fn default() -> Self {
        FilesConfig {
            dir: None,
            quota_bytes: 20 << 30,
            max_uploads_per_conn: 8,
            max_uploads: 256,
            idle_timeout: Duration::from_secs(30),
            upload_ttl: Duration::from_secs(24 * 3600),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot use the files directory {}: {source}", dir.display())]
pub struct FilesError {
    dir: PathBuf,
    source: std::io::Error,
}

/// One unfinished upload, shared by the requests that touch it.
pub struct Upload {
    rec: UploadRecord,
    /// The connection that got the ticket (none after a restart), for its limit.
    conn: Option<ConnId>,
    /// Bytes on disk, for `HEAD` without waiting for a running `PATCH`.
    offset: AtomicU64,
    /// Last progress, ms since the epoch (expiry).
    touched: AtomicI64,
    /// The content's hash once it is in the store (posting is all that is left).
    stored: Mutex<Option<String>>,
    /// Held by the `PATCH` writing, with the hash of the bytes so far; `None` until it has been
    /// rebuilt from the partial file (after a restart or a failed write).
    writer: tokio::sync::Mutex<Option<Hasher>>,
    /// Bumped by every `PATCH` and `DELETE`: a running `PATCH` that sees it stops, so the
    /// latest request wins over one whose connection died without closing.
    turn: watch::Sender<u64>,
    /// Cancelled or finished: a request that waited for the writer finds it gone.
    gone: AtomicBool,
}

/// The books, under one lock (never held across an await).
#[derive(Default)]
struct Books {
    uploads: HashMap<String, Arc<Upload>>,
    /// Bytes of stored files and previews.
    used: u64,
    /// Announced sizes of unfinished uploads whose content is not stored yet.
    reserved: u64,
    last_sweep: Option<Instant>,
}

pub struct Files {
    dir: PathBuf,
    cfg: FilesConfig,
    max_file_bytes: u64,
    signer: Signer,
    store: Store,
    books: Mutex<Books>,
    /// Held while content moves into the store, so two uploads of the same bytes finishing at
    /// once agree on which one stored it (and the quota counts it once).
    storing: Mutex<()>,
    /// One preview decode at a time: each may take up to 256 MiB, and a burst of image uploads
    /// must not take the host's memory (or both cores) with it.
    decoding: Semaphore,
}

/// How often expired uploads are looked for (on the next `fileUpload`).
const SWEEP_EVERY: Duration = Duration::from_secs(60);

impl Files {
    /// Opens (creating) the files directory and loads unfinished uploads from the store,
    /// deleting expired ones and partial files nothing refers to.
    pub fn open(
        cfg: FilesConfig,
        max_file_bytes: u64,
        store: Store,
    ) -> Result<Option<Arc<Files>>, FilesError> {
        let Some(dir) = cfg.dir.clone() else {
            return Ok(None);
        };
        let failed = |source| FilesError {
            dir: dir.clone(),
            source,
        };
        std::fs::create_dir_all(dir.join("partial")).map_err(failed)?;
        std::fs::create_dir_all(dir.join("thumbs")).map_err(failed)?;
        let signer = Signer::load_or_create(&dir).map_err(failed)?;
        let files = Files {
            dir: dir.clone(),
            cfg,
            max_file_bytes,
            signer,
            store,
            books: Mutex::new(Books::default()),
            storing: Mutex::new(()),
            decoding: Semaphore::new(1),
        };
        files.load().map_err(failed)?;
        Ok(Some(Arc::new(files)))
    }

    fn load(&self) -> std::io::Result<()> {
        let mut used = 0;
        for sub in [self.dir.clone(), self.dir.join("thumbs")] {
            for e in std::fs::read_dir(&sub)? {
                let e = e?;
                if e.file_type()?.is_file() && e.file_name() != "secret" {
                    used += e.metadata()?.len();
                }
            }
        }
        let records = self.store.uploads().map_err(std::io::Error::other)?;
        let now = crate::clock::now_ms();
        let mut books = lock(&self.books);
        books.used = used;
        for rec in records {
            let partial = self.partial_path(&rec.id);
            if now - rec.touched > self.cfg.upload_ttl.as_millis() as i64 {
                let _ = std::fs::remove_file(&partial);
                let _ = self.store.remove_upload(&rec.id);
                continue;
            }
            let offset = match &rec.sha256 {
                Some(_) => rec.size,
                None => std::fs::metadata(&partial).map_or(0, |m| m.len()),
            };
            if rec.sha256.is_none() {
                books.reserved += rec.size;
            }
            let up = Upload::new(rec, None, offset);
            books.uploads.insert(up.rec.id.clone(), Arc::new(up));
        }
        for e in std::fs::read_dir(self.dir.join("partial"))? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            if !books.uploads.contains_key(&name) {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(())
    }

    fn partial_path(&self, id: &str) -> PathBuf {
        self.dir.join("partial").join(id)
    }

    fn content_path(&self, sha256: &str) -> PathBuf {
        self.dir.join(sha256)
    }

    fn thumbs_dir(&self) -> PathBuf {
        self.dir.join("thumbs")
    }

    /// An unfinished upload by its ticket.
    fn get(&self, id: &str) -> Result<Arc<Upload>, WireError> {
        lock(&self.books)
            .uploads
            .get(id)
            .cloned()
            .ok_or_else(|| ErrorCode::NotFound.into())
    }

    /// Issues a ticket to a member the chat core allowed: the same one again for the same
    /// sender, room, clientId and size (a page reload resumes), else a new one within the
    /// limits and the quota.
    pub fn grant(&self, g: UploadGrant) -> Result<FileUploadAck, WireError> {
        self.sweep();
        let req = &g.req;
        let mut books = lock(&self.books);
        if let Some(cid) = &req.client_id
            && let Some(up) = books.uploads.values().find(|u| {
                u.rec.room == req.room
                    && u.rec.nick == g.nick
                    && &u.rec.client_id == cid
                    && u.rec.size == req.size
            })
        {
            return Ok(self.ticket(up));
        }
        let mine = books
            .uploads
            .values()
            .filter(|u| u.conn == Some(g.conn))
            .count();
        if mine >= self.cfg.max_uploads_per_conn {
            return Err(WireError::new(
                ErrorCode::TooManyUploads,
                format!("you have {mine} unfinished uploads; finish or cancel one first"),
            ));
        }
        if books.uploads.len() >= self.cfg.max_uploads {
            return Err(WireError::new(
                ErrorCode::TooManyUploads,
                "the host has too many unfinished uploads; try again later",
            ));
        }
        let taken = books.used + books.reserved;
        if taken.saturating_add(req.size) > self.cfg.quota_bytes {
            return Err(WireError::new(
                ErrorCode::QuotaExceeded,
                format!(
                    "the host has {} left for files; this one is {}",
                    human_size(self.cfg.quota_bytes.saturating_sub(taken)),
                    human_size(req.size)
                ),
            ));
        }
        let mut raw = [0u8; 16];
        getrandom::fill(&mut raw).map_err(|e| {
            tracing::error!("no randomness for an upload id: {e}");
            WireError::from(ErrorCode::StorageFailed)
        })?;
        let id = hex::encode(raw);
        let rec = UploadRecord {
            client_id: req.client_id.clone().unwrap_or_else(|| format!("up-{id}")),
            id: id.clone(),
            room: req.room.clone(),
            nick: g.nick.clone(),
            name: req.name.clone(),
            size: req.size,
            mime: req.mime.clone(),
            touched: crate::clock::now_ms(),
            sha256: None,
            user_id: Some(g.user.clone()),
        };
        if let Err(e) = self.store.add_upload(&rec) {
            tracing::error!("recording upload {id}: {e}");
            return Err(ErrorCode::StorageFailed.into());
        }
        let up = Arc::new(Upload::new(rec, Some(g.conn), 0));
        books.reserved += req.size;
        books.uploads.insert(id, up.clone());
        Ok(self.ticket(&up))
    }

    fn ticket(&self, up: &Upload) -> FileUploadAck {
        FileUploadAck {
            upload: Some(UploadTicket {
                id: up.rec.id.clone(),
                url: format!("/api/uploads/{}", up.rec.id),
                offset: up.offset.load(Ordering::Acquire),
                max_size: self.max_file_bytes,
            }),
            sent: None,
        }
    }

    /// Deletes unfinished uploads without progress for `upload_ttl` (at most once a minute;
    /// one being written is left alone).
    fn sweep(&self) {
        let expired: Vec<Arc<Upload>> = {
            let mut books = lock(&self.books);
            if books.last_sweep.is_some_and(|t| t.elapsed() < SWEEP_EVERY) {
                return;
            }
            books.last_sweep = Some(Instant::now());
            let cutoff = crate::clock::now_ms() - self.cfg.upload_ttl.as_millis() as i64;
            books
                .uploads
                .values()
                .filter(|u| u.touched.load(Ordering::Acquire) < cutoff)
                .cloned()
                .collect()
        };
        for up in expired {
            if let Ok(w) = up.writer.try_lock() {
                tracing::info!("upload {} expired", up.rec.id);
                self.forget(&up, true);
                drop(w);
            }
        }
    }

    /// Drops an upload from the books and the store; `delete_partial` also removes its bytes.
    fn forget(&self, up: &Upload, delete_partial: bool) {
        if up.gone.swap(true, Ordering::AcqRel) {
            return;
        }
        {
            let mut books = lock(&self.books);
            books.uploads.remove(&up.rec.id);
            if lock(&up.stored).is_none() {
                books.reserved = books.reserved.saturating_sub(up.rec.size);
            }
        }
        if delete_partial {
            let _ = std::fs::remove_file(self.partial_path(&up.rec.id));
        }
        if let Err(e) = self.store.remove_upload(&up.rec.id) {
            tracing::warn!("forgetting upload {}: {e}", up.rec.id);
        }
    }

    /// `DELETE`: stops a running `PATCH`, then deletes the upload and its bytes.
    pub async fn cancel(&self, id: &str) -> Result<(), WireError> {
        let up = self.get(id)?;
        up.turn.send_modify(|t| *t += 1);
        let _w = up.writer.lock().await;
        if up.gone.load(Ordering::Acquire) {
            return Err(ErrorCode::NotFound.into());
        }
        self.forget(&up, true);
        Ok(())
    }

    /// `HEAD`: `(offset, length)`.
    pub fn progress(&self, id: &str) -> Result<(u64, u64), WireError> {
        let up = self.get(id)?;
        Ok((up.offset.load(Ordering::Acquire), up.rec.size))
    }

    /// Moves a complete upload's bytes into the content store (or drops them when the same
    /// content is there already) and notes it in the record.
    fn store_content(&self, up: &Upload, sha256: &str) -> Result<(), WireError> {
        let failed = |what: &str, e: &dyn std::fmt::Display| {
            tracing::error!("upload {}: {what}: {e}", up.rec.id);
            WireError::from(ErrorCode::StorageFailed)
        };
        let dest = self.content_path(sha256);
        let partial = self.partial_path(&up.rec.id);
        let storing = lock(&self.storing);
        let new = !dest.exists();
        if new {
            std::fs::rename(&partial, &dest).map_err(|e| failed("storing", &e))?;
        } else {
            let _ = std::fs::remove_file(&partial);
        }
        drop(storing);
        {
            let mut books = lock(&self.books);
            books.reserved = books.reserved.saturating_sub(up.rec.size);
            if new {
                books.used += up.rec.size;
            }
            *lock(&up.stored) = Some(sha256.to_owned());
        }
        let now = crate::clock::now_ms();
        self.store
            .touch_upload(&up.rec.id, now, Some(sha256))
            .map_err(|e| failed("recording", &e))
    }

    /// The message's meta for stored content: the type from its bytes, and for a raster image
    /// that decodes within the limits, its size and a preview.
    async fn describe(&self, up: &Upload, sha256: &str) -> FileMeta {
        let rec = &up.rec;
        let content = self.content_path(sha256);
        let head = {
            let content = content.clone();
            tokio::task::spawn_blocking(move || preview::head_of(&content))
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default()
        };
        let sniffed = preview::sniff(&head);
        let mut meta = FileMeta {
            name: rec.name.clone(),
            size: rec.size,
            mime: preview::announced_mime(&sniffed, rec.mime.as_deref()),
            sha256: sha256.to_owned(),
            width: None,
            height: None,
            url: self.signer.file_url(&rec.room, sha256, &rec.name),
            thumb_url: None,
        };
        if let Some(format) = sniffed.raster {
            let _turn = self.decoding.acquire().await;
            let (thumbs, sha) = (self.thumbs_dir(), sha256.to_owned());
            let had = preview::existing_thumb(&thumbs, &sha).is_some();
            let made = tokio::task::spawn_blocking(move || {
                preview::preview(&content, format, &thumbs, &sha)
            })
            .await
            .ok()
            .flatten();
            if let Some(p) = made {
                if !had {
                    let size = std::fs::metadata(&p.thumb).map_or(0, |m| m.len());
                    lock(&self.books).used += size;
                }
                meta.width = Some(p.width);
                meta.height = Some(p.height);
                meta.thumb_url = Some(self.signer.thumb_url(&rec.room, sha256));
            }
        }
        meta
    }
}

impl Upload {
    fn new(rec: UploadRecord, conn: Option<ConnId>, offset: u64) -> Upload {
        Upload {
            touched: AtomicI64::new(rec.touched),
            stored: Mutex::new(rec.sha256.clone()),
            rec,
            conn,
            offset: AtomicU64::new(offset),
            writer: tokio::sync::Mutex::new(None),
            turn: watch::channel(0).0,
            gone: AtomicBool::new(false),
        }
    }
}

/// Whether `s` is a content hash as the store names files (64 lower-case hex digits).
fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `path` is a regular file (not a directory or a link someone planted).
fn regular_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
}
