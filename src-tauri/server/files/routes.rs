//! The HTTP side of files: the tus-style upload routes (`HEAD`/`PATCH`/`DELETE
//! /api/uploads/<id>`) and downloads by capability link (`/files/<sha256>/<name>`,
//! `/thumbs/<sha256>`), served with byte ranges by tower-http and with headers that keep a
//! browser from running anything it downloads. Errors have the acks' shape
//! `{ok: false, error: {code, message}}` with a matching HTTP status.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, head};
use axum::{Json, Router};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use std::sync::Arc;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::upload::{PatchError, Patched};
use super::{is_sha256, preview, regular_file};
use crate::protocol::{ErrorCode, WireError, clean_file_name, err_ack, ok_ack};
use crate::server::Control;

const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
/// The only body type a `PATCH` takes (tus's).
const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";
/// Bytes read from a file per response frame (tower-http's default is 64 KiB): fewer, larger
/// writes to the socket for big downloads.
const DOWNLOAD_CHUNK: usize = 256 * 1024;
/// On every downloaded file: run nothing, load nothing, even if a browser renders it.
const FILE_CSP: &str = "sandbox; default-src 'none'";

pub fn routes() -> Router<Control> {
    Router::new()
        .route(
            "/api/uploads/{id}",
            head(progress).patch(append).delete(cancel),
        )
        .route("/files/{sha256}/{name}", get(download))
        .route("/thumbs/{sha256}", get(thumb))
}

/// A refusal as an HTTP response; `offset` becomes `Upload-Offset`.
fn refuse(error: WireError, offset: Option<u64>) -> Response {
    let status = StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut r = (status, Json(err_ack(&error))).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(at) = offset {
        h.insert(UPLOAD_OFFSET, at.into());
    }
    r
}

fn files(c: &Control) -> Result<Arc<super::Files>, WireError> {
    c.shared
        .files
        .clone()
        .ok_or_else(|| ErrorCode::FilesDisabled.into())
}

/// `HEAD /api/uploads/<id>`: where the upload is.
async fn progress(State(c): State<Control>, Path(id): Path<String>) -> Response {
    let files = match files(&c) {
        Ok(f) => f,
        Err(e) => return refuse(e, None),
    };
    match files.progress(&id) {
        Ok((offset, length)) => (
            StatusCode::OK,
            [
                (UPLOAD_OFFSET, HeaderValue::from(offset)),
                (UPLOAD_LENGTH, HeaderValue::from(length)),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(e) => refuse(e, None),
    }
}

/// `PATCH /api/uploads/<id>`: appends the body at `Upload-Offset`.
async fn append(
    State(c): State<Control>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let files = match files(&c) {
        Ok(f) => f,
        Err(e) => return refuse(e, None),
    };
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ctype.eq_ignore_ascii_case(OFFSET_OCTET_STREAM) {
        let e = WireError::new(
            ErrorCode::InvalidPayload,
            format!("send the bytes as Content-Type: {OFFSET_OCTET_STREAM}"),
        );
        let mut r = refuse(e, None);
        *r.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
        return r;
    }
    let Some(offset) = headers
        .get(&UPLOAD_OFFSET)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    else {
        let e = WireError::new(
            ErrorCode::InvalidPayload,
            "Upload-Offset must be the number of bytes the host has (ask with HEAD)",
        );
        return refuse(e, None);
    };
    match files.patch(c.shared.hub(), &id, offset, body).await {
        Ok(Patched::Partial(at)) => (
            StatusCode::NO_CONTENT,
            [
                (UPLOAD_OFFSET, HeaderValue::from(at)),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Ok(Patched::Posted(ack)) => (
            StatusCode::OK,
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            Json(ok_ack(&ack)),
        )
            .into_response(),
        Err(PatchError { error, offset }) => refuse(error, offset),
    }
}

/// `DELETE /api/uploads/<id>`: cancels.
async fn cancel(State(c): State<Control>, Path(id): Path<String>) -> Response {
    let files = match files(&c) {
        Ok(f) => f,
        Err(e) => return refuse(e, None),
    };
    match files.cancel(&id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => refuse(e, None),
    }
}

/// A download link's query.
#[derive(Debug, Deserialize)]
struct Link {
    room: Option<String>,
    sig: Option<String>,
    /// `1`: as an attachment even if it is an image.
    dl: Option<String>,
}

/// Checks a link: a stored content hash, signed for the room it names.
fn checked(
    c: &Control,
    sha256: &str,
    link: Result<Query<Link>, QueryRejection>,
) -> Result<Arc<super::Files>, WireError> {
    let files = files(c)?;
    let Ok(Query(link)) = link else {
        return Err(ErrorCode::Forbidden.into());
    };
    if !is_sha256(sha256) {
        return Err(ErrorCode::NotFound.into());
    }
    match (&link.room, &link.sig) {
        (Some(room), Some(sig)) if files.signer.verify(room, sha256, sig) => Ok(files),
        _ => Err(ErrorCode::Forbidden.into()),
    }
}

/// `GET /files/<sha256>/<name>?room=…&sig=…`
async fn download(
    State(c): State<Control>,
    path: Result<Path<(String, String)>, PathRejection>,
    link: Result<Query<Link>, QueryRejection>,
    req: Request,
) -> Response {
    let Ok(Path((sha256, name))) = path else {
        return refuse(ErrorCode::NotFound.into(), None);
    };
    let as_attachment = link
        .as_ref()
        .is_ok_and(|Query(l)| l.dl.as_deref() == Some("1"));
    let files = match checked(&c, &sha256, link) {
        Ok(f) => f,
        Err(e) => return refuse(e, None),
    };
    let path = files.content_path(&sha256);
    let (thumbs, p) = (files.thumbs_dir(), path.clone());
    let sha = sha256.clone();
    // The type from the bytes; "verified" means the host decoded it (it has a preview).
    let looked = tokio::task::spawn_blocking(move || {
        if !regular_file(&p) {
            return None;
        }
        let sniffed = preview::sniff(&preview::head_of(&p).unwrap_or_default());
        let verified = sniffed.raster.is_some() && preview::existing_thumb(&thumbs, &sha).is_some();
        Some((sniffed, verified))
    })
    .await
    .ok()
    .flatten();
    let Some((sniffed, verified)) = looked else {
        return refuse(ErrorCode::NotFound.into(), None);
    };
    let (ctype, inline) = match sniffed.mime {
        Some(m) if verified => (m, !as_attachment),
        _ => ("application/octet-stream", false),
    };
    let name = clean_file_name(&name);
    serve(req, &path, ctype, &disposition(inline, &name)).await
}

/// `GET /thumbs/<sha256>?room=…&sig=…`
async fn thumb(
    State(c): State<Control>,
    path: Result<Path<String>, PathRejection>,
    link: Result<Query<Link>, QueryRejection>,
    req: Request,
) -> Response {
    let Ok(Path(sha256)) = path else {
        return refuse(ErrorCode::NotFound.into(), None);
    };
    let files = match checked(&c, &sha256, link) {
        Ok(f) => f,
        Err(e) => return refuse(e, None),
    };
    let Some(thumb) = preview::existing_thumb(&files.thumbs_dir(), &sha256) else {
        return refuse(ErrorCode::NotFound.into(), None);
    };
    let (ctype, name) = match thumb.extension().and_then(|e| e.to_str()) {
        Some("png") => ("image/png", "preview.png"),
        _ => ("image/jpeg", "preview.jpg"),
    };
    serve(req, &thumb, ctype, &disposition(true, name)).await
}

/// Serves a file with ranges and conditional requests (tower-http), then the headers that
/// decide what a browser may do with it.
async fn serve(req: Request, path: &std::path::Path, ctype: &str, disposition: &str) -> Response {
    let file = ServeFile::new(path).with_buf_chunk_size(DOWNLOAD_CHUNK);
    let served = match file.oneshot(req).await {
        Ok(r) => r.map(axum::body::Body::new),
        Err(e) => {
            tracing::error!("serving {}: {e}", path.display());
            return refuse(ErrorCode::StorageFailed.into(), None);
        }
    };
    let mut r = served;
    let ok = r.status().is_success() || r.status() == StatusCode::NOT_MODIFIED;
    let h = r.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(FILE_CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if ok {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(ctype)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
        );
        if let Ok(v) = HeaderValue::from_str(disposition) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        // Content-addressed: a link's bytes never change.
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=31536000, immutable"),
        );
    }
    r
}

/// `attachment` (or `inline`) with the name twice: plain ASCII for old clients, and UTF-8
/// percent-encoded (RFC 6266) for everyone else.
fn disposition(inline: bool, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() || c == ' ') && c != '"' && c != '\\' && c != '%' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{}; filename=\"{ascii}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        utf8_percent_encode(name, NON_ALPHANUMERIC)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_carry_safe_names() {
        assert_eq!(
            disposition(false, "a \"b\".pdf"),
            "attachment; filename=\"a _b_.pdf\"; filename*=UTF-8''a%20%22b%22%2Epdf"
        );
        assert!(disposition(true, "été.png").starts_with("inline; filename=\"_t_.png\""));
    }
}
