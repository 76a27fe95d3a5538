//! Helpers for the file tests: a server with a files directory, tickets over Socket.IO, and
//! the HTTP side (PATCH, HEAD, downloads) with reqwest.

use lanchat::server::{Config, FilesConfig, RunningServer};
use lanchat::store::Store;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use super::{Peer, start, test_config, url};

/// A server whose files live in a temporary directory (kept as long as the returned guard).
pub async fn start_files() -> (RunningServer, tempfile::TempDir) {
    start_files_with(test_config()).await
}

/// [`start_files`] with a config of the caller's (its `files.dir` is set here).
pub async fn start_files_with(mut config: Config) -> (RunningServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    config.files = FilesConfig {
        dir: Some(dir.path().join("files")),
        ..config.files
    };
    (start(config, Store::memory().unwrap()).await, dir)
}

/// Asks for an upload ticket; returns the whole ack.
pub async fn ask(p: &Peer, room: &str, name: &str, size: usize, cid: Option<&str>) -> Value {
    let mut req = json!({ "room": room, "name": name, "size": size });
    if let Some(c) = cid {
        req["clientId"] = json!(c);
    }
    p.request("fileUpload", req).await
}

/// Asks for a ticket and expects one; returns its `url` (relative).
pub async fn ticket(p: &Peer, room: &str, name: &str, size: usize) -> String {
    let ack = ask(p, room, name, size, None).await;
    assert_eq!(ack["ok"], true, "fileUpload: {ack}");
    ack["upload"]["url"].as_str().unwrap().to_owned()
}

/// One HTTP client for every request here: building one loads the system's TLS roots (tens of
/// milliseconds of CPU on the runtime's threads), which 200 uploads at once would pay 200 times.
/// No kept connections: each test runs its own runtime.
pub fn http() -> reqwest::Client {
    static HTTP: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    HTTP.get_or_init(|| {
        reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
    })
    .clone()
}

/// One `PATCH` of `bytes` at `offset`: status, headers and the JSON body (Null when empty).
pub async fn patch(
    base: &str,
    upload: &str,
    offset: u64,
    bytes: Vec<u8>,
) -> (u16, HeaderMap, Value) {
    let r = http()
        .patch(format!("{base}{upload}"))
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes)
        .send()
        .await
        .expect("PATCH");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.bytes().await.unwrap_or_default();
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, headers, json)
}

/// `HEAD` an upload: (status, Upload-Offset).
pub async fn head(base: &str, upload: &str) -> (u16, Option<u64>) {
    let r = http()
        .head(format!("{base}{upload}"))
        .send()
        .await
        .expect("HEAD");
    let off = r
        .headers()
        .get("upload-offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (r.status().as_u16(), off)
}

/// Uploads `bytes` in one `PATCH` and returns the send ack.
pub async fn upload(p: &Peer, s: &RunningServer, room: &str, name: &str, bytes: &[u8]) -> Value {
    let up = ticket(p, room, name, bytes.len()).await;
    let (status, _, ack) = patch(&url(s), &up, 0, bytes.to_vec()).await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!(ack["ok"], true, "{ack}");
    ack
}

/// `GET` with optional extra headers: status, headers, body.
pub async fn get(full_url: &str, range: Option<&str>) -> (u16, HeaderMap, Vec<u8>) {
    let mut req = http().get(full_url);
    if let Some(r) = range {
        req = req.header("Range", r);
    }
    let r = req.send().await.expect("GET");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.unwrap().to_vec())
}

/// Some bytes that are not all the same (so a shifted or repeated chunk shows).
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| (i * 31 % 251) as u8 ^ (i >> 12) as u8)
        .collect()
}

/// A small real PNG, `w` × `h`.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 99]));
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

pub fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}
