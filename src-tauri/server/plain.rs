//! Guests on an unencrypted link. Plain HTTP is served on the same port as TLS for browsers
//! that cannot pin a self-signed certificate, but only while the host allows it (by default:
//! while no password is set). When it does not, a plain request never reaches the chat: a page
//! gets a short explanation with the `https://` link, everything else `403 tls_required` — so a
//! browser never sends the password (in the Socket.IO handshake that comes after) in plain.
//! `/api/info` stays open: it says nothing secret and tells clients how to connect.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Shared;
use super::listen::Secure;
use crate::protocol::{ErrorCode, WireError, err_ack};

pub async fn gate(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let secure = req.extensions().get::<Secure>().is_none_or(|s| s.0);
    if secure || req.uri().path() == "/api/info" || shared.plain_allowed() {
        return next.run(req).await;
    }
    let path = req.uri().path();
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let page = matches!(*req.method(), Method::GET | Method::HEAD)
        && !matches!(first, "socket.io" | "files" | "thumbs" | "api");
    if page {
        return https_page(&req);
    }
    tracing::debug!(
        "refused a plain {} {}: plain guests are off",
        req.method(),
        path
    );
    let e = WireError::from(ErrorCode::TlsRequired);
    (StatusCode::FORBIDDEN, Json(err_ack(&e))).into_response()
}

/// "Use https://", with the link to this same page over TLS.
fn https_page(req: &Request) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("");
    let tail = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "/?&=%._-~+".contains(*c))
        .collect::<String>();
    let url = format!("https://{host}{tail}");
    let html = format!(
        "<!doctype html><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
         <title>lanchat: use https</title><h1>This chat is encrypted</h1>\
         <p>The host accepts only encrypted connections, so your password and messages cannot \
         be read by others on this network.</p>\
         <p>Continue at <a href=\"{url}\">{url}</a>. Your browser will warn that the certificate \
         is not trusted: lanchat hosts make their own. Ask the host for its fingerprint if you \
         want to check it.</p>"
    );
    let mut r = (StatusCode::FORBIDDEN, html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&url) {
        h.insert("x-lanchat-https", v);
    }
    r
}
