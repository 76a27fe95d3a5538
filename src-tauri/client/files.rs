//! Files from the Rust client: [`Client::upload_file`] asks for a ticket over the socket and
//! streams the file over HTTP, continuing from the host's offset after a cut or a host restart;
//! [`download`] fetches a file link, resuming a partial download with a byte range. No Tauri
//! here: the window and `lanchat join` both call these.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::link::plain;
use super::outbox::{FileAsk, Op};
use super::{Client, ClientError};
use crate::protocol::{ErrorCode, FileUploadAck, SendAck, UploadTicket, WireError};

/// Bytes read from the file per chunk of the request body.
const READ_CHUNK: usize = 256 * 1024;
/// Waits between attempts after a failure (doubling up to the last).
const RETRY_WAITS: [u64; 6] = [250, 500, 1000, 2000, 4000, 5000];

/// Progress of a transfer: `(bytes done, total)`. Called often; throttle before printing.
pub type OnProgress = Arc<dyn Fn(u64, u64) + Send + Sync>;

fn io_error(path: &Path, e: std::io::Error) -> ClientError {
    ClientError::Io(format!("{}: {e}", path.display()))
}

/// One HTTP client for every transfer: building one loads the system's TLS roots, tens of
/// milliseconds of CPU each time. No kept connections: a pooled connection would belong to the
/// runtime that opened it, and transfers are long anyway.
fn http() -> Result<reqwest::Client, ClientError> {
    static HTTP: std::sync::OnceLock<Result<reqwest::Client, String>> = std::sync::OnceLock::new();
    HTTP.get_or_init(|| {
        reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| e.to_string())
    })
    .clone()
    .map_err(|e| ClientError::Unreachable("the server".into(), e))
}

/// The `{ok: false, error}` body of a refused HTTP request, or a sentence from its status.
async fn refusal(resp: reqwest::Response) -> ClientError {
    let status = resp.status();
    match resp.json::<serde_json::Value>().await {
        Ok(body) if body.get("error").is_some() => ClientError::from_wire(&body),
        _ => ClientError::Refused(WireError::new(
            ErrorCode::InvalidPayload,
            format!("the server answered {status}"),
        )),
    }
}

fn offset_of(resp: &reqwest::Response) -> Option<u64> {
    resp.headers()
        .get("upload-offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

impl Client {
    /// Uploads `path` to `room` (joined first) and returns the file message's ack. A dropped
    /// connection or a host restart costs a retry from the host's offset, not a restart from
    /// zero; the whole thing fails with `timed_out` once nothing has moved for `queue_timeout`.
    /// Dropping the future (the window's Cancel) or failing cancels the host's upload.
    pub async fn upload_file(
        &self,
        room: &str,
        path: &Path,
        progress: OnProgress,
    ) -> Result<SendAck, ClientError> {
        let size = tokio::fs::metadata(path)
            .await
            .map_err(|e| io_error(path, e))?
            .len();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".into());
        let client_id = uuid::Uuid::new_v4().to_string();
        let http = http()?;
        let patience = self.patience;
        let mut last_move = Instant::now();
        let mut attempt = 0;
        let mut ticket = match self.ask_upload(room, &name, size, &client_id).await? {
            Asked::Ticket(t) => t,
            Asked::Posted(ack) => return Ok(ack),
        };
        let mut cancel = CancelOnDrop {
            http: http.clone(),
            url: None,
        };
        let mut offset = ticket.offset;
        loop {
            // Through the tunnel: the file crosses the network encrypted, like the chat.
            let url = format!("{}{}", self.wire_url, ticket.url);
            cancel.url = Some(url.clone());
            let before = offset;
            match self
                .patch_from(&http, &url, path, offset, size, &progress)
                .await
            {
                Sent::Posted(ack) => {
                    cancel.url = None;
                    return Ok(ack);
                }
                Sent::At(at) => offset = at,
                Sent::Refused(e) => return Err(e),
                Sent::Gone => {
                    // Finished (and its answer lost), expired or cancelled: ask again with the
                    // same clientId — the host says whether it was posted.
                    cancel.url = None;
                    match self.ask_upload(room, &name, size, &client_id).await? {
                        Asked::Posted(ack) => return Ok(ack),
                        Asked::Ticket(t) => {
                            offset = t.offset;
                            ticket = t;
                        }
                    }
                }
                Sent::Failed(why) => {
                    tracing::debug!("upload of {name} interrupted at {offset}: {why}");
                    // Continue only from where the host says it is: until it answers, sending
                    // from a guess would only be refused.
                    loop {
                        let wait = RETRY_WAITS[attempt.min(RETRY_WAITS.len() - 1)];
                        attempt += 1;
                        tokio::time::sleep(Duration::from_millis(wait)).await;
                        match head(&http, &url).await {
                            Head::At(at) => {
                                offset = at;
                                break;
                            }
                            Head::Gone => break,
                            Head::NoAnswer if last_move.elapsed() > patience => {
                                return Err(ClientError::TimedOut(patience));
                            }
                            Head::NoAnswer => {}
                        }
                    }
                }
            }
            if offset > before {
                last_move = Instant::now();
                attempt = 0;
            } else if last_move.elapsed() > patience {
                return Err(ClientError::TimedOut(patience));
            }
        }
    }

    async fn ask_upload(
        &self,
        room: &str,
        name: &str,
        size: u64,
        client_id: &str,
    ) -> Result<Asked, ClientError> {
        let (tx, rx) = oneshot::channel();
        self.queue(Op::FileUpload(FileAsk {
            room: room.to_owned(),
            name: name.to_owned(),
            size,
            client_id: client_id.to_owned(),
            reply: tx,
        }))?;
        let ack: FileUploadAck = rx.await.map_err(|_| ClientError::Stopped)??;
        match (ack.upload, ack.sent) {
            (_, Some(sent)) => Ok(Asked::Posted(sent)),
            (Some(t), None) => Ok(Asked::Ticket(t)),
            (None, None) => Err(ClientError::Refused(WireError::new(
                ErrorCode::InvalidPayload,
                "the server's fileUpload ack has no ticket",
            ))),
        }
    }

    /// One `PATCH` of the file from `offset` to its end.
    async fn patch_from(
        &self,
        http: &reqwest::Client,
        url: &str,
        path: &Path,
        offset: u64,
        size: u64,
        progress: &OnProgress,
    ) -> Sent {
        let mut file = match tokio::fs::File::open(path).await {
            Ok(f) => f,
            Err(e) => return Sent::Refused(io_error(path, e)),
        };
        if let Err(e) = file.seek(std::io::SeekFrom::Start(offset)).await {
            return Sent::Refused(io_error(path, e));
        }
        // Bytes handed to the connection; a watchdog stops a request that hands over nothing
        // for `request_timeout` (a peer gone without closing: writes would block forever).
        let pulled = Arc::new(AtomicU64::new(offset));
        let (p, report) = (pulled.clone(), progress.clone());
        let body =
            tokio_util::io::ReaderStream::with_capacity(file, READ_CHUNK).map(move |chunk| {
                if let Ok(c) = &chunk {
                    let at = p.fetch_add(c.len() as u64, Ordering::AcqRel) + c.len() as u64;
                    report(at.min(size), size);
                }
                chunk
            });
        let send = http
            .patch(url)
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .header("Content-Length", (size - offset).to_string())
            .body(reqwest::Body::wrap_stream(body))
            .send();
        let idle = self.request_timeout;
        let watchdog = async {
            let mut seen = pulled.load(Ordering::Acquire);
            loop {
                tokio::time::sleep(idle).await;
                let now = pulled.load(Ordering::Acquire);
                if now == seen {
                    return;
                }
                seen = now;
            }
        };
        let resp = tokio::select! {
            r = send => r,
            () = watchdog => return Sent::Failed("nothing moved; the connection seems dead".into()),
        };
        let resp = match resp {
            Ok(r) => r,
            Err(e) => return Sent::Failed(plain(&e)),
        };
        match resp.status().as_u16() {
            200 => match resp.json::<serde_json::Value>().await {
                Ok(body) => match serde::Deserialize::deserialize(&body) {
                    Ok(ack) => Sent::Posted(ack),
                    Err(e) => Sent::Refused(ClientError::malformed(e)),
                },
                Err(e) => Sent::Failed(plain(&e)),
            },
            204 => Sent::At(offset_of(&resp).unwrap_or(offset)),
            404 => Sent::Gone,
            // Out of step, stalled, or a newer request took over: continue from the host's
            // offset (or ask it).
            408 | 409 => match offset_of(&resp) {
                Some(at) => Sent::At(at),
                None => Sent::Failed("the host did not say its offset".into()),
            },
            // A storage hiccup or a host on its way down: try again.
            500 | 503 => Sent::Failed(refusal(resp).await.to_string()),
            _ => Sent::Refused(refusal(resp).await),
        }
    }
}

/// `DELETE`s the host's upload unless disarmed (`url: None`): an upload given up on — its
/// future dropped by a Cancel, or failed — would otherwise hold its quota reservation and one
/// of the connection's unfinished-upload slots until it expires a day later.
struct CancelOnDrop {
    http: reqwest::Client,
    url: Option<String>,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(url) = self.url.take() else { return };
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let http = self.http.clone();
        rt.spawn(async move {
            let sent = http.delete(&url).timeout(Duration::from_secs(10)).send();
            if let Err(e) = sent.await {
                tracing::debug!("could not cancel the upload at {url}: {}", plain(&e));
            }
        });
    }
}

enum Asked {
    Ticket(UploadTicket),
    Posted(SendAck),
}

/// How one `PATCH` ended.
enum Sent {
    Posted(SendAck),
    /// The host has this many bytes; more are due.
    At(u64),
    /// The upload is not there (any more).
    Gone,
    /// The host refused for good.
    Refused(ClientError),
    /// The connection failed; ask the host where it is, then continue.
    Failed(String),
}

/// What `HEAD` says about an upload.
enum Head {
    At(u64),
    /// Not there: the next `PATCH` finds out why (`404`, then ask again).
    Gone,
    NoAnswer,
}

async fn head(http: &reqwest::Client, url: &str) -> Head {
    let resp = match http.head(url).timeout(Duration::from_secs(10)).send().await {
        Ok(r) => r,
        Err(_) => return Head::NoAnswer,
    };
    match (resp.status().as_u16(), offset_of(&resp)) {
        (200, Some(at)) => Head::At(at),
        (404, _) => Head::Gone,
        _ => Head::NoAnswer,
    }
}

/// Where [`download`] writes until the file is complete: `<dest>.part`.
pub fn partial_path(dest: &Path) -> PathBuf {
    let mut p = dest.as_os_str().to_owned();
    p.push(".part");
    PathBuf::from(p)
}

/// Downloads `url` (an absolute file link) to `dest`, through `<dest>.part`: a partial file
/// left by an earlier attempt, or by a cut during this one, is continued with a byte range.
/// Returns the file's size. Gives up once nothing has arrived for `patience`. The link's host
/// is reached over TLS and must pass `trust` (usually: it is in known_hosts from joining it).
pub async fn download(
    url: &str,
    dest: &Path,
    patience: Duration,
    progress: OnProgress,
    trust: &super::Trust,
) -> Result<u64, ClientError> {
    let target = super::parse_target(url)?;
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    let route = super::Route::open(&target, trust).await?;
    let url = format!("{}{path}", route.wire);
    let url = url.as_str();
    let http = http()?;
    let part = partial_path(dest);
    let mut last_move = Instant::now();
    let mut attempt = 0;
    loop {
        let have = tokio::fs::metadata(&part).await.map_or(0, |m| m.len());
        match fetch(&http, url, &part, have, &progress).await {
            Ok(Some(total)) => {
                tokio::fs::rename(&part, dest)
                    .await
                    .map_err(|e| io_error(dest, e))?;
                return Ok(total);
            }
            Ok(None) => {}
            Err(Fetch::Refused(e)) => return Err(e),
            Err(Fetch::Failed(why)) => {
                // A host whose certificate is refused will not change its mind.
                if let e @ ClientError::Host(_) = route.explain(ClientError::Stopped) {
                    return Err(e);
                }
                tracing::debug!("download interrupted: {why}");
            }
        }
        let now_have = tokio::fs::metadata(&part).await.map_or(0, |m| m.len());
        if now_have > have {
            last_move = Instant::now();
            attempt = 0;
        } else if last_move.elapsed() > patience {
            return Err(ClientError::TimedOut(patience));
        }
        let wait = RETRY_WAITS[attempt.min(RETRY_WAITS.len() - 1)];
        attempt += 1;
        tokio::time::sleep(Duration::from_millis(wait)).await;
    }
}

enum Fetch {
    Refused(ClientError),
    Failed(String),
}

/// One `GET` from `have`: `Some(total)` once `part` holds the whole file.
async fn fetch(
    http: &reqwest::Client,
    url: &str,
    part: &Path,
    have: u64,
    progress: &OnProgress,
) -> Result<Option<u64>, Fetch> {
    let mut req = http.get(url);
    if have > 0 {
        req = req.header("Range", format!("bytes={have}-"));
    }
    let resp = req.send().await.map_err(|e| Fetch::Failed(plain(&e)))?;
    let (mut file, mut at, total) = match resp.status().as_u16() {
        206 => {
            let total = content_range_total(&resp)
                .ok_or_else(|| Fetch::Failed("a partial answer without its total size".into()))?;
            let f = tokio::fs::OpenOptions::new()
                .append(true)
                .open(part)
                .await
                .map_err(|e| Fetch::Refused(io_error(part, e)))?;
            (f, have, total)
        }
        200 => {
            let total = resp.content_length().unwrap_or(0);
            let f = tokio::fs::File::create(part)
                .await
                .map_err(|e| Fetch::Refused(io_error(part, e)))?;
            (f, 0, total)
        }
        // Asked for bytes past the end: the partial file is already whole.
        416 if content_range_total(&resp) == Some(have) => return Ok(Some(have)),
        500 | 503 => return Err(Fetch::Failed(refusal(resp).await.to_string())),
        _ => return Err(Fetch::Refused(refusal(resp).await)),
    };
    let mut body = resp.bytes_stream();
    let idle = Duration::from_secs(30);
    loop {
        let chunk = match tokio::time::timeout(idle, body.next()).await {
            Err(_) => return Err(Fetch::Failed("nothing arrived for 30 s".into())),
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                let _ = file.flush().await;
                return Err(Fetch::Failed(plain(&e)));
            }
            Ok(Some(Ok(c))) => c,
        };
        file.write_all(&chunk)
            .await
            .map_err(|e| Fetch::Refused(io_error(part, e)))?;
        at += chunk.len() as u64;
        progress(at, total);
    }
    file.flush()
        .await
        .map_err(|e| Fetch::Refused(io_error(part, e)))?;
    Ok((at >= total).then_some(at))
}

/// The total of `Content-Range: bytes a-b/total` (or `bytes */total`).
fn content_range_total(resp: &reqwest::Response) -> Option<u64> {
    resp.headers()
        .get("content-range")?
        .to_str()
        .ok()?
        .rsplit('/')
        .next()?
        .parse()
        .ok()
}
