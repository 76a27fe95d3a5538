//! Plain HTTP next to Socket.IO: `GET /api/info` for clients deciding how to connect, the file
//! routes (`files/routes.rs`), and the embedded chat UI at `/` for browser guests.

use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rust_embed::RustEmbed;

use super::Control;
use crate::protocol::ServerInfo;

/// The built UI (`ui/dist`, relative to Cargo.toml), compiled into the binary — debug builds
/// too (`debug-embed`) — so guests need nothing installed. Build the UI before the crate.
#[derive(RustEmbed)]
#[folder = "ui/dist"]
struct Assets;

/// Strict by default: the page may only talk to this server.
const CSP: &str = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; \
style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

pub fn routes(control: Control) -> Router {
    Router::new()
        .route("/api/info", get(info))
        .merge(super::files::routes())
        .fallback(get(asset))
        .with_state(control)
}

async fn info(State(control): State<Control>) -> Json<ServerInfo> {
    Json(control.info().await)
}

async fn asset(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    // The app's own prefixes never fall back to the page: a mistyped file link is a 404.
    let first = path.split('/').next().unwrap_or("");
    if matches!(first, "api" | "files" | "thumbs") {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let path = if path.is_empty() { "index.html" } else { path };
    let file = match Assets::get(path) {
        Some(f) => f,
        None if path == "index.html" => return not_built(),
        // Unknown paths get the app (it reads `?room=` itself); missing assets stay 404.
        None if !path.contains('.') => match Assets::get("index.html") {
            Some(f) => f,
            None => return not_built(),
        },
        None => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    let mime = file.metadata.mimetype().to_owned();
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CONTENT_SECURITY_POLICY, CSP.to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        file.data.into_owned(),
    )
        .into_response()
}

fn not_built() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "This lanchat build has no web UI (ui/dist was not built). Socket.IO clients can still connect.",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ui_is_embedded() {
        let index = Assets::get("index.html").expect("ui/dist/index.html is embedded");
        assert!(
            std::str::from_utf8(&index.data)
                .unwrap()
                .contains("<div id=\"app\"")
        );
    }
}
