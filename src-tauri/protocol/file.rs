//! The file-sharing part of the protocol: the `fileUpload` request and its ack (a ticket for the
//! HTTP upload), and the [`FileMeta`] a `kind: "file"` message carries. The bytes themselves go
//! over HTTP, never through Socket.IO frames (docs/protocol.md, "Files").

use serde::{Deserialize, Serialize};

use super::SendAck;

/// A shared file, as it appears in a `kind: "file"` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FileMeta {
    /// The file's name, cleaned by the host (no path, no control or bidi characters, at most
    /// 255 bytes).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// The type the host found in the file's first bytes (`image/png`, `application/pdf`, …);
    /// otherwise the sender's claim, never an image type the bytes do not back, or
    /// `application/octet-stream`. Show a preview only when `width` and `height` are present.
    pub mime: String,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// Pixel size, present only for a verified PNG, JPEG, GIF or WebP image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub height: Option<u32>,
    /// Download link relative to the server (`/files/<sha256>/<name>?room=…&sig=…`): a
    /// capability — whoever has the message has the link.
    pub url: String,
    /// A small preview (at most 320 × 320, JPEG or PNG), when the host could make one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub thumb_url: Option<String>,
}

/// `fileUpload` request, after validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileUploadRequest {
    pub room: String,
    /// Already cleaned ([`super::clean_file_name`]).
    pub name: String,
    pub size: u64,
    /// The sender's claimed type, if it was a well-formed `type/subtype`.
    pub mime: Option<String>,
    pub client_id: Option<String>,
}

/// Where and how to send the bytes: `PATCH url` from `offset` (tus-style).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct UploadTicket {
    /// The upload's id (128 random bits, hex): whoever has it may send this file's bytes.
    pub id: String,
    /// `/api/uploads/<id>`, relative to the server.
    pub url: String,
    /// Bytes the host already has (non-zero when resuming the same `clientId`).
    pub offset: u64,
    /// The host's largest accepted file, in bytes.
    pub max_size: u64,
}

/// Ack of a successful `fileUpload`: a ticket, or — when this sender's `clientId` was already
/// posted in the room — the original message's ack and no ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FileUploadAck {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub upload: Option<UploadTicket>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub sent: Option<SendAck>,
}

/// A size as people read it: `512 B`, `1.2 KB`, `3.4 MB`, `2.0 GB` (powers of 1000).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1000.0;
    let mut unit = 0;
    while v >= 999.95 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// The text line of a file message, for clients that read only `nickName` and `message`.
pub fn file_line(name: &str, size: u64) -> String {
    format!("📎 {name} ({})", human_size(size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1000), "1.0 KB");
        assert_eq!(human_size(1_234_567), "1.2 MB");
        assert_eq!(human_size(999_990), "1.0 MB");
        assert_eq!(human_size(2 << 30), "2.1 GB");
        assert_eq!(file_line("a.pdf", 1_200_000), "📎 a.pdf (1.2 MB)");
    }
}
