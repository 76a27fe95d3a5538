//! Files in rooms against a real server: upload over HTTP, the room sees the file message
//! (live, in history and with `since`), downloads are byte-identical and resume with ranges,
//! uploads resume after a cut and after a host restart, and the limits refuse clearly.

mod common;

use common::files::*;
use common::*;
use serde_json::{Value, json};

fn is_file(v: &Value) -> bool {
    v["kind"] == "file"
}

/// A member uploads; the other member gets a `kind: "file"` message whose link downloads the
/// same bytes, with a readable text line for text-only clients.
#[tokio::test]
async fn an_upload_reaches_the_room_and_downloads_byte_identical() {
    let (s, _dir) = start_files().await;
    let (a, b) = (Peer::connect(&url(&s)).await, Peer::connect(&url(&s)).await);
    a.join("r", "ann").await;
    b.join("r", "bob").await;
    let bytes = pattern(3_000_000);
    let ack = upload(&a, &s, "r", "report.pdf", &bytes).await;
    let m = b.wait_for("message", is_file).await;
    assert_eq!(m["seq"], ack["seq"]);
    assert_eq!(m["nickName"], "ann");
    assert_eq!(m["message"], "📎 report.pdf (3.0 MB)");
    let f = &m["file"];
    assert_eq!(f["name"], "report.pdf");
    assert_eq!(f["size"], 3_000_000);
    assert_eq!(f["mime"], "application/octet-stream");
    assert!(
        f.get("width").is_none() && f.get("thumbUrl").is_none(),
        "{f}"
    );
    let (status, h, got) = get(&format!("{}{}", url(&s), f["url"].as_str().unwrap()), None).await;
    assert_eq!(status, 200);
    assert!(got == bytes, "downloaded bytes differ");
    assert_eq!(header(&h, "content-type"), "application/octet-stream");
    assert!(
        header(&h, "content-disposition").starts_with("attachment;"),
        "{h:?}"
    );
    assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&h, "content-security-policy"),
        "sandbox; default-src 'none'"
    );
    use sha2::Digest;
    assert_eq!(f["sha256"], hex::encode(sha2::Sha256::digest(&bytes)));
    s.stop().await.unwrap();
}
