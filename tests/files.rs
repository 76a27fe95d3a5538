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

/// A download asked from an offset gets `206` with exactly the rest (a broken download resumes).
#[tokio::test]
async fn downloads_resume_with_byte_ranges() {
    let (s, _dir) = start_files().await;
    let a = Peer::connect(&url(&s)).await;
    a.join("r", "ann").await;
    let bytes = pattern(1_000_000);
    upload(&a, &s, "r", "data.bin", &bytes).await;
    let m = a.wait_for("message", is_file).await;
    let link = format!("{}{}", url(&s), m["file"]["url"].as_str().unwrap());
    let (status, h, got) = get(&link, Some("bytes=600000-")).await;
    assert_eq!(status, 206);
    assert_eq!(header(&h, "content-range"), "bytes 600000-999999/1000000");
    assert!(got == bytes[600_000..], "the range's bytes differ");
    assert_eq!(header(&h, "accept-ranges"), "bytes");
    s.stop().await.unwrap();
}

/// An image gets its size and a preview: the preview and the original load inline (they are
/// verified PNGs), `dl=1` makes the original an attachment.
#[tokio::test]
async fn images_get_a_preview_and_show_inline() {
    let (s, _dir) = start_files().await;
    let a = Peer::connect(&url(&s)).await;
    a.join("r", "ann").await;
    let png = png(800, 600);
    upload(&a, &s, "r", "cat.png", &png).await;
    let m = a.wait_for("message", is_file).await;
    let f = &m["file"];
    assert_eq!(
        (&f["mime"], &f["width"], &f["height"]),
        (&json!("image/png"), &json!(800), &json!(600))
    );
    let base = url(&s);
    let (status, h, thumb) = get(&format!("{base}{}", f["thumbUrl"].as_str().unwrap()), None).await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "image/jpeg");
    let t = image::load_from_memory(&thumb).unwrap();
    assert_eq!((t.width(), t.height()), (320, 240));
    let link = format!("{base}{}", f["url"].as_str().unwrap());
    let (_, h, got) = get(&link, None).await;
    assert!(got == png);
    assert_eq!(header(&h, "content-type"), "image/png");
    assert!(
        header(&h, "content-disposition").starts_with("inline;"),
        "{h:?}"
    );
    let (_, h, _) = get(&format!("{link}&dl=1"), None).await;
    assert!(header(&h, "content-disposition").starts_with("attachment;"));
    s.stop().await.unwrap();
}

/// File messages replay with history and with `since`, meta and all; a tutorial-style client
/// (bare room string, reads only nickName and message) sees a readable line.
#[tokio::test]
async fn file_messages_replay_and_read_as_text_to_old_clients() {
    let (s, _dir) = start_files().await;
    let a = Peer::connect(&url(&s)).await;
    a.join("r", "ann").await;
    let ack = upload(&a, &s, "r", "notes.txt", b"hello files").await;
    let seq = ack["seq"].as_u64().unwrap();
    a.send("r", "after").await;

    let late = Peer::connect(&url(&s)).await;
    late.join("r", "late").await;
    let h = late.wait_for("message", |v| v["seq"] == seq).await;
    assert_eq!(h["history"], true);
    assert_eq!(h["kind"], "file");
    assert_eq!(h["file"]["name"], "notes.txt");
    assert_eq!(h["file"]["size"], 11);
    assert!(h["file"]["url"].as_str().unwrap().starts_with("/files/"));

    let catch = Peer::connect(&url(&s)).await;
    let ack = catch
        .request(
            "joinRoom",
            json!({"roomName": "r", "nickName": "catch", "since": seq - 1}),
        )
        .await;
    assert_eq!(ack["ok"], true);
    let first = catch.wait_for("message", |v| v["history"] == true).await;
    assert_eq!(
        (&first["seq"], &first["file"]["name"]),
        (&json!(seq), &json!("notes.txt"))
    );

    let tutorial = Peer::connect(&url(&s)).await;
    tutorial.emit("joinRoom", json!("r")).await;
    let line = tutorial.wait_for("message", |v| v["seq"] == seq).await;
    assert_eq!(line["nickName"], "ann");
    assert_eq!(line["message"], "📎 notes.txt (11 B)");
    s.stop().await.unwrap();
}

/// The next live `message` a peer gets is `text`: nothing (no file message) came before it.
async fn next_message_is(p: &Peer, text: &str) {
    let m = p.wait_for("message", |v| v["history"] != true).await;
    assert_eq!(
        m["message"], text,
        "something else reached the room first: {m}"
    );
}

/// Limits refuse clearly and post nothing: a file over the size limit, over the quota, and on
/// a host with files off.
#[tokio::test]
async fn limits_refuse_with_clear_errors_and_post_nothing() {
    let mut cfg = test_config();
    cfg.limits.max_file_bytes = 1000;
    cfg.files.quota_bytes = 1500;
    let (s, _dir) = start_files_with(cfg).await;
    let (a, b) = (Peer::connect(&url(&s)).await, Peer::connect(&url(&s)).await);
    a.join("r", "ann").await;
    b.join("r", "bob").await;
    let _ = b.wait_for("message", |v| v["nickName"] == "bob").await;

    let big = ask(&a, "r", "big.iso", 1001, None).await;
    assert_eq!(big["error"]["code"], "file_too_large", "{big}");
    assert!(
        big["error"]["message"].as_str().unwrap().contains("1.0 KB"),
        "{big}"
    );

    upload(&a, &s, "r", "one.bin", &pattern(1000)).await;
    let _ = b.wait_for("message", is_file).await;
    let over = ask(&a, "r", "two.bin", 600, None).await;
    assert_eq!(over["error"]["code"], "quota_exceeded", "{over}");
    // The same content again costs nothing, but the quota counts what is announced.
    let small = ask(&a, "r", "tiny.bin", 400, None).await;
    assert_eq!(small["ok"], true, "{small}");
    a.send("r", "still here").await;
    next_message_is(&b, "still here").await;
    s.stop().await.unwrap();

    let off = start_default().await;
    let a = Peer::connect(&url(&off)).await;
    a.join("r", "ann").await;
    let refused = ask(&a, "r", "x.txt", 1, None).await;
    assert_eq!(refused["error"]["code"], "files_disabled", "{refused}");
    let (status, _, body) = patch(&url(&off), "/api/uploads/00", 0, vec![1]).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (403, &json!("files_disabled"))
    );
    off.stop().await.unwrap();
}

/// An upload that stops halfway never shows in the room; `HEAD` says where it is, a `PATCH` at
/// the wrong offset is `409` with the right one, and the rest completes it.
#[tokio::test]
async fn a_truncated_upload_stays_out_of_the_room_until_it_completes() {
    let (s, _dir) = start_files().await;
    let (a, b) = (Peer::connect(&url(&s)).await, Peer::connect(&url(&s)).await);
    a.join("r", "ann").await;
    b.join("r", "bob").await;
    let _ = b.wait_for("message", |v| v["nickName"] == "bob").await;
    let bytes = pattern(500_000);
    let up = ticket(&a, "r", "half.bin", bytes.len()).await;
    let base = url(&s);
    let (status, h, _) = patch(&base, &up, 0, bytes[..200_000].to_vec()).await;
    assert_eq!((status, header(&h, "upload-offset")), (204, "200000"));
    assert_eq!(head(&base, &up).await, (200, Some(200_000)));
    a.send("r", "meanwhile").await;
    next_message_is(&b, "meanwhile").await;

    let (status, h, body) = patch(&base, &up, 100, bytes[100..].to_vec()).await;
    assert_eq!((status, header(&h, "upload-offset")), (409, "200000"));
    assert_eq!(body["error"]["code"], "offset_mismatch");
    let (status, _, ack) = patch(&base, &up, 200_000, bytes[200_000..].to_vec()).await;
    assert_eq!(status, 200, "{ack}");
    let m = b.wait_for("message", is_file).await;
    let (_, _, got) = get(
        &format!("{base}{}", m["file"]["url"].as_str().unwrap()),
        None,
    )
    .await;
    assert!(got == bytes);
    s.stop().await.unwrap();
}

/// An upload cut midway through the fault proxy continues from the host's offset and arrives
/// whole; the Rust client does the asking and continuing on its own.
#[tokio::test(flavor = "multi_thread")]
async fn an_upload_resumes_after_a_cut() {
    use common::proxy::FaultProxy;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let (s, dir) = start_files().await;
    let proxy = FaultProxy::start(s.addr).await;
    let watcher = Peer::connect(&url(&s)).await;
    watcher.join("r", "watch").await;
    let u = common::chat::User::join(&proxy.url(), "ann", "r").await;
    let bytes = pattern(24_000_000);
    let path = dir.path().join("big.bin");
    std::fs::write(&path, &bytes).unwrap();
    let cut_once = Arc::new(AtomicBool::new(false));
    // The lowest progress reported after the cut: a restart from zero would show here.
    let resumed_from = Arc::new(std::sync::atomic::AtomicU64::new(u64::MAX));
    let (c, p, r) = (cut_once.clone(), Arc::new(proxy), resumed_from.clone());
    let proxy = p.clone();
    let progress: lanchat::client::OnProgress = Arc::new(move |done, _| {
        if c.load(Ordering::SeqCst) {
            r.fetch_min(done, Ordering::SeqCst);
        }
        if done > 8_000_000 && !c.swap(true, Ordering::SeqCst) {
            p.cut();
            let p = p.clone();
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                p.restore();
            });
        }
    });
    let ack = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        u.client.upload_file("r", &path, progress),
    )
    .await
    .expect("upload finished")
    .expect("upload posted");
    assert!(cut_once.load(Ordering::SeqCst), "the cut never happened");
    let from = resumed_from.load(Ordering::SeqCst);
    assert!(from > 1_000_000, "the upload started over: {from}");
    let m = watcher.wait_for("message", is_file).await;
    assert_eq!(m["seq"], ack.seq);
    let (_, _, got) = get(
        &format!("{}{}", url(&s), m["file"]["url"].as_str().unwrap()),
        None,
    )
    .await;
    assert!(got == bytes, "the resumed upload differs");
    drop(proxy);
    s.stop().await.unwrap();
}

/// The host stops halfway through an upload; the restarted host (same data) still has the
/// ticket and the bytes, rebuilds the hash from disk, and the rest completes a file equal to
/// the original. Its link still works after another restart.
#[tokio::test(flavor = "multi_thread")]
async fn an_upload_resumes_after_a_host_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        let mut c = test_config();
        c.files.dir = Some(dir.path().join("files"));
        c
    };
    let store = || lanchat::store::Store::open_dir(dir.path()).unwrap();
    let s = start(config(), store()).await;
    let addr = s.addr;
    let a = Peer::connect(&url(&s)).await;
    a.join("r", "ann").await;
    let bytes = pattern(2_000_000);
    let up = ticket(&a, "r", "restart.bin", bytes.len()).await;
    let (status, _, _) = patch(&url(&s), &up, 0, bytes[..700_000].to_vec()).await;
    assert_eq!(status, 204);
    a.close().await;
    s.stop().await.unwrap();

    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let s = lanchat::server::serve(listener, config(), store())
        .await
        .unwrap();
    let base = url(&s);
    assert_eq!(head(&base, &up).await, (200, Some(700_000)));
    let (status, _, ack) = patch(&base, &up, 700_000, bytes[700_000..].to_vec()).await;
    assert_eq!(status, 200, "{ack}");
    let b = Peer::connect(&base).await;
    b.join("r", "bob").await;
    let m = b.wait_for("message", is_file).await;
    assert_eq!((&m["nickName"], &m["seq"]), (&json!("ann"), &ack["seq"]));
    use sha2::Digest;
    assert_eq!(
        m["file"]["sha256"],
        hex::encode(sha2::Sha256::digest(&bytes))
    );
    let link = m["file"]["url"].as_str().unwrap().to_owned();
    b.close().await;
    s.stop().await.unwrap();

    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let s = lanchat::server::serve(listener, config(), store())
        .await
        .unwrap();
    let (status, _, got) = get(&format!("{}{link}", url(&s)), None).await;
    assert_eq!(status, 200);
    assert!(got == bytes);
    assert_eq!(
        head(&url(&s), &up).await.0,
        404,
        "a finished upload is forgotten"
    );
    s.stop().await.unwrap();
}

/// Asking again with the same clientId: the same ticket while unfinished (a reload resumes),
/// the posted message's ack once it is in the room. `DELETE` cancels.
#[tokio::test]
async fn client_ids_resume_or_dedupe_and_delete_cancels() {
    let (s, _dir) = start_files().await;
    let a = Peer::connect(&url(&s)).await;
    a.join("r", "ann").await;
    let base = url(&s);
    let first = ask(&a, "r", "a.bin", 10, Some("c-1")).await;
    let up = first["upload"]["url"].as_str().unwrap().to_owned();
    patch(&base, &up, 0, vec![7; 4]).await;
    let again = ask(&a, "r", "a.bin", 10, Some("c-1")).await;
    assert_eq!(again["upload"]["url"], first["upload"]["url"]);
    assert_eq!(again["upload"]["offset"], 4);
    let (status, _, ack) = patch(&base, &up, 4, vec![7; 6]).await;
    assert_eq!(status, 200);
    let posted = ask(&a, "r", "a.bin", 10, Some("c-1")).await;
    assert!(posted.get("upload").is_none(), "{posted}");
    assert_eq!(posted["sent"]["seq"], ack["seq"]);
    assert_eq!(posted["sent"]["duplicate"], true);

    let other = ask(&a, "r", "b.bin", 10, Some("c-2")).await;
    let up = other["upload"]["url"].as_str().unwrap();
    let r = http().delete(format!("{base}{up}")).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(head(&base, up).await.0, 404);
    s.stop().await.unwrap();
}
