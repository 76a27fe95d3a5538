//! Gives a Socket.IO request head its own small allocations, so an idle connection does not
//! pin hyper's read buffer for the life of its session.

/// Request headers the Socket.IO layer reads: the WebSocket key (for the handshake's accept
/// header) and a long-polling POST's content type. Nothing of lanchat's reads headers.
const KEPT_HEADERS: [axum::http::HeaderName; 2] = [
    axum::http::header::SEC_WEBSOCKET_KEY,
    axum::http::header::CONTENT_TYPE,
];

/// hyper parses the URI and headers as slices of the connection's read buffer, and engine.io
/// keeps the request head for the whole life of the session, which pins that buffer (~16 KB per
/// idle connection, measured with heaptrack). Copying what the handshake needs — and nothing
/// else — frees it once the connection is upgraded.
pub async fn detach_head(req: axum::extract::Request) -> axum::extract::Request {
    if !req.uri().path().starts_with("/socket.io") {
        return req;
    }
    let (mut parts, body) = req.into_parts();
    let mut headers = axum::http::HeaderMap::with_capacity(KEPT_HEADERS.len());
    for name in KEPT_HEADERS {
        if let Some(value) = parts.headers.get(&name)
            && let Ok(copy) = axum::http::HeaderValue::from_bytes(value.as_bytes())
        {
            headers.insert(name, copy);
        }
    }
    parts.headers = headers;
    if let Some(pq) = parts.uri.path_and_query()
        && let Ok(uri) = axum::http::Uri::try_from(pq.as_str().to_owned())
    {
        parts.uri = uri;
    }
    axum::extract::Request::from_parts(parts, body)
}
