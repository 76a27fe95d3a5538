//! `PATCH /api/uploads/<id>`: the body is appended to the partial file while it is hashed, a
//! chunk at a time on the blocking pool (so neither the file nor the hashing sits on the
//! runtime's threads, and memory per upload is one chunk). The last byte stores the content,
//! makes the preview and posts the file message through the hub, like a send.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::oneshot;

use super::{Files, Hasher, Upload, new_hasher};
use crate::chat::FilePost;
use crate::protocol::{ErrorCode, SendAck, WireError, human_size};
use crate::server::hub::{HubHandle, Job};

/// Bytes gathered before one write (and hash) on the blocking pool: large enough that the
/// trip there is cheap next to the copy, small enough that 256 uploads at once stay flat.
const CHUNK: usize = 256 * 1024;

/// How a `PATCH` ended.
pub enum Patched {
    /// More bytes are due; the upload is at this offset.
    Partial(u64),
    /// Every byte arrived and the file message is posted.
    Posted(SendAck),
}

/// A refusal, with the upload's offset when the client should continue from there.
pub struct PatchError {
    pub error: WireError,
    pub offset: Option<u64>,
}

impl From<WireError> for PatchError {
    fn from(error: WireError) -> Self {
        PatchError {
            error,
            offset: None,
        }
    }
}

impl From<ErrorCode> for PatchError {
    fn from(code: ErrorCode) -> Self {
        WireError::from(code).into()
    }
}

/// Why the body stopped.
enum End {
    /// The client sent all of it.
    Done,
    /// A newer request for this upload took over.
    Superseded,
    /// Nothing arrived for the idle timeout.
    Stalled,
    /// The connection broke.
    Broken,
    /// More bytes than the announced size.
    TooMuch,
}

impl Files {
    /// Appends `body` at `offset` (which must be the upload's) and finishes the upload when it
    /// is complete.
    pub async fn patch(
        self: &Arc<Self>,
        hub: &HubHandle,
        id: &str,
        offset: u64,
        body: axum::body::Body,
    ) -> Result<Patched, PatchError> {
        let up = self.get(id)?;
        up.turn.send_modify(|t| *t += 1);
        let mut stop = up.turn.subscribe();
        let mut slot = up.writer.lock().await;
        if up.gone.load(Ordering::Acquire) {
            return Err(ErrorCode::NotFound.into());
        }
        let size = up.rec.size;
        let stored = super::lock(&up.stored).clone();
        if let Some(sha) = stored {
            // Every byte arrived before; posting is what is left (a restart came between).
            if offset != size {
                return Err(mismatch(offset, size));
            }
            return self.post(hub, &up, sha).await.map(Patched::Posted);
        }
        let hasher = match slot.take() {
            Some(h) => h,
            None => self.rehash(&up).await?,
        };
        let at = up.offset.load(Ordering::Acquire);
        if offset != at {
            *slot = Some(hasher);
            return Err(mismatch(offset, at));
        }
        let (end, hasher) = self.append(&up, hasher, body, &mut stop).await;
        let at = up.offset.load(Ordering::Acquire);
        let now = crate::clock::now_ms();
        up.touched.store(now, Ordering::Release);
        if let Err(e) = self.store.touch_upload(&up.rec.id, now, None) {
            tracing::warn!("upload {}: {e}", up.rec.id);
        }
        let Some(hasher) = hasher else {
            // A write failed: the disk is full or broken. What is on disk is rehashed on the
            // next attempt.
            return Err(WireError::new(
                ErrorCode::StorageFailed,
                "the host could not write the file; try again later",
            )
            .into());
        };
        let at_offset = |error: WireError| PatchError {
            error,
            offset: Some(at),
        };
        match end {
            End::Done if at == size => {
                // The writer stays held while the file is stored and posted: a second `PATCH`
                // waits, then finds the upload gone (or stored, and posts it once more, which
                // the clientId dedupes).
                let sha = hex::encode(hasher.finish());
                self.store_content(&up, &sha)?;
                self.post(hub, &up, sha).await.map(Patched::Posted)
            }
            End::Done => {
                *slot = Some(hasher);
                Ok(Patched::Partial(at))
            }
            End::Superseded | End::Broken => {
                *slot = Some(hasher);
                Err(at_offset(WireError::new(
                    ErrorCode::OffsetMismatch,
                    "another request for this upload took over",
                )))
            }
            End::Stalled => {
                *slot = Some(hasher);
                Err(at_offset(WireError::new(
                    ErrorCode::UploadStalled,
                    format!(
                        "nothing arrived for {} s; continue from offset {at}",
                        self.cfg.idle_timeout.as_secs()
                    ),
                )))
            }
            End::TooMuch => {
                *slot = Some(hasher);
                Err(at_offset(WireError::new(
                    ErrorCode::FileTooLarge,
                    format!(
                        "the upload was announced as {}; the bytes past it were dropped",
                        human_size(size)
                    ),
                )))
            }
        }
    }

    /// Streams `body` onto the partial file. Returns why it stopped and the hash so far (`None`
    /// if a write failed: the partial file then has to be rehashed).
    async fn append(
        &self,
        up: &Upload,
        hasher: Hasher,
        body: axum::body::Body,
        stop: &mut tokio::sync::watch::Receiver<u64>,
    ) -> (End, Option<Hasher>) {
        let path = self.partial_path(&up.rec.id);
        let opened = tokio::task::spawn_blocking(move || {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
        })
        .await;
        let mut file = match opened {
            Ok(Ok(f)) => f,
            Ok(Err(e)) => {
                tracing::error!("upload {}: opening its file: {e}", up.rec.id);
                return (End::Broken, None);
            }
            Err(_) => return (End::Broken, None),
        };
        let mut hasher = hasher;
        // The body's frames as they came (no copy), until a chunk's worth is written at once.
        let mut buf = Chunk::default();
        let mut stream = body.into_data_stream();
        let size = up.rec.size;
        let mut at = up.offset.load(Ordering::Acquire);
        let idle = self.cfg.idle_timeout;
        let end = loop {
            let next = tokio::select! {
                biased;
                _ = stop.changed() => break End::Superseded,
                next = tokio::time::timeout(idle, stream.next()) => next,
            };
            let bytes = match next {
                Err(_) => break End::Stalled,
                Ok(None) => break End::Done,
                Ok(Some(Err(e))) => {
                    tracing::debug!("upload {}: body broke: {e}", up.rec.id);
                    break End::Broken;
                }
                Ok(Some(Ok(b))) => b,
            };
            let room = (size - at) as usize - buf.len;
            let too_much = bytes.len() > room;
            buf.push(if too_much { bytes.slice(..room) } else { bytes });
            if buf.len >= CHUNK || too_much {
                match write(hasher, file, buf).await {
                    Some((h, f, b)) => (hasher, file, buf) = (h, f, b),
                    None => return (End::Broken, None),
                }
                at = self.sync_offset(up, at, &file);
            }
            if too_much {
                break End::TooMuch;
            }
        };
        if buf.len > 0 {
            match write(hasher, file, buf).await {
                Some((h, f, _)) => {
                    hasher = h;
                    self.sync_offset(up, at, &f);
                }
                None => return (end, None),
            }
        }
        (end, Some(hasher))
    }

    /// Publishes the partial file's length as the upload's offset.
    fn sync_offset(&self, up: &Upload, fallback: u64, file: &std::fs::File) -> u64 {
        let at = file.metadata().map_or(fallback, |m| m.len());
        up.offset.store(at, Ordering::Release);
        at
    }

    /// Rebuilds the hash of what is on disk (a restart, or a failed write, lost it).
    async fn rehash(&self, up: &Upload) -> Result<Hasher, PatchError> {
        let path = self.partial_path(&up.rec.id);
        let size = up.rec.size;
        let hashed = tokio::task::spawn_blocking(move || -> std::io::Result<(Hasher, u64)> {
            let mut h = new_hasher();
            let f = match std::fs::File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((h, 0)),
                Err(e) => return Err(e),
            };
            // Bytes past the announced size cannot be there; if they are, they are cut.
            let mut rest = std::io::Read::take(f, size);
            let mut buf = vec![0u8; CHUNK];
            let mut n = 0u64;
            loop {
                let got = std::io::Read::read(&mut rest, &mut buf)?;
                if got == 0 {
                    break;
                }
                h.update(&buf[..got]);
                n += got as u64;
            }
            let len = std::fs::metadata(&path)?.len();
            if len > n {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)?
                    .set_len(n)?;
            }
            Ok((h, n))
        })
        .await;
        match hashed {
            Ok(Ok((h, n))) => {
                up.offset.store(n, Ordering::Release);
                Ok(h)
            }
            Ok(Err(e)) => {
                tracing::error!("upload {}: reading its file: {e}", up.rec.id);
                Err(ErrorCode::StorageFailed.into())
            }
            Err(_) => Err(ErrorCode::StorageFailed.into()),
        }
    }

    /// Posts the stored file in its room and, once the hub answers, forgets the upload (unless
    /// storing the message failed: then a retried `PATCH` posts it again).
    async fn post(
        &self,
        hub: &HubHandle,
        up: &Arc<Upload>,
        sha256: String,
    ) -> Result<SendAck, PatchError> {
        let file = self.describe(up, &sha256).await;
        let (tx, rx) = oneshot::channel();
        hub.submit(Job::PostFile {
            post: FilePost {
                room: up.rec.room.clone(),
                nick: up.rec.nick.clone(),
                client_id: up.rec.client_id.clone(),
                file,
                user: up.rec.user_id.clone(),
            },
            done: tx,
        });
        let result = rx
            .await
            .unwrap_or_else(|_| Err(ErrorCode::ShuttingDown.into()));
        match &result {
            Err(e) if matches!(e.code, ErrorCode::StorageFailed | ErrorCode::ShuttingDown) => {}
            _ => self.forget(up, false),
        }
        Ok(result?)
    }
}

fn mismatch(given: u64, at: u64) -> PatchError {
    PatchError {
        error: WireError::new(
            ErrorCode::OffsetMismatch,
            format!("the upload is at offset {at}, not {given}"),
        ),
        offset: Some(at),
    }
}

/// Frames of a body gathered for one write.
#[derive(Default)]
struct Chunk {
    frames: Vec<Bytes>,
    len: usize,
}

impl Chunk {
    fn push(&mut self, b: Bytes) {
        self.len += b.len();
        self.frames.push(b);
    }
}

/// Hashes and writes one chunk on the blocking pool, handing everything back for the next one.
async fn write(
    mut hasher: Hasher,
    mut file: std::fs::File,
    mut buf: Chunk,
) -> Option<(Hasher, std::fs::File, Chunk)> {
    let done = tokio::task::spawn_blocking(move || {
        let mut r = Ok(());
        for f in &buf.frames {
            hasher.update(f);
            r = r.and_then(|()| file.write_all(f));
        }
        buf.frames.clear();
        buf.len = 0;
        r.map(|()| (hasher, file, buf))
    })
    .await;
    match done {
        Ok(Ok(t)) => Some(t),
        Ok(Err(e)) => {
            tracing::error!("writing an upload: {e}");
            None
        }
        Err(_) => None,
    }
}
