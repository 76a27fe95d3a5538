//! Hostile file sharing: uploads without joining or into another room, forged and borrowed
//! download links, hostile file names, HTML and SVG dressed as PNG, a decompression bomb, bytes
//! past the announced size, 200 uploads at once and a slow drip. After each, the calm pair
//! (`common::calm`) must still talk. docs/security.md lists every case.

mod common;

use std::time::Duration;

use common::calm::*;
use common::files::*;
use common::*;
use serde_json::{Value, json};

fn is_file(v: &Value) -> bool {
    v["kind"] == "file"
}

/// A server with files, the calm pair, and eve, a member of the calm room.
async fn files_with_eve(
    config: lanchat::server::Config,
) -> (
    lanchat::server::RunningServer,
    tempfile::TempDir,
    Calm,
    Peer,
) {
    let (s, dir) = start_files_with(config).await;
    let calm = Calm::join(&s).await;
    let eve = Peer::connect(&url(&s)).await;
    eve.join(ROOM, "eve").await;
    (s, dir, calm, eve)
}

/// Only a connection that joined a room gets a ticket for it; a ticket posts only into its own
/// room under its holder's name; an id nobody issued is `404`, whatever its shape.
#[tokio::test]
async fn tickets_need_membership_and_stay_in_their_room() {
    let (s, _dir, calm, eve) = files_with_eve(test_config()).await;
    let stranger = Peer::connect(&url(&s)).await;
    refused(
        &stranger,
        "ticket without joining",
        "fileUpload",
        json!({"room": ROOM, "name": "x.bin", "size": 1}),
        "not_in_room",
    )
    .await;
    stranger.join("elsewhere", "stranger").await;
    refused(
        &stranger,
        "ticket for a room joined by nobody here",
        "fileUpload",
        json!({"room": ROOM, "name": "x.bin", "size": 1}),
        "not_in_room",
    )
    .await;
    // A ticket from another room posts there, never here, even when used by calm's member.
    let up = ticket(&stranger, "elsewhere", "mine.bin", 3).await;
    let (status, _, ack) = patch(&url(&s), &up, 0, vec![1, 2, 3]).await;
    assert_eq!(status, 200, "{ack}");
    let m = stranger.wait_for("message", is_file).await;
    assert_eq!(
        (&m["room"], &m["nickName"]),
        (&json!("elsewhere"), &json!("stranger"))
    );
    for id in ["0", &"f".repeat(32), "../../etc/passwd", &"é".repeat(40)] {
        let bogus = format!("/api/uploads/{}", percent(id));
        assert_eq!(head(&url(&s), &bogus).await.0, 404, "{id}");
        let (status, _, body) = patch(&url(&s), &bogus, 0, vec![0; 10]).await;
        assert_eq!(status, 404, "{id}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    calm.check("tickets and membership").await;
    // The calm room saw no file.
    let text = "after the tickets";
    calm.a.send(ROOM, text).await;
    let next = calm
        .b
        .wait_for("message", |v| {
            v["history"] != true && v["nickName"] != "eve"
        })
        .await;
    assert!(next["kind"] != "file", "{next}");
    drop(eve);
    s.stop().await.unwrap();
}

fn percent(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A download link opens only with its own signature: none, a wrong one, another room's or
/// another file's is `403`; a hash that is not one is `404`; nothing lists files.
#[tokio::test]
async fn download_links_need_their_signature() {
    let (s, _dir, calm, eve) = files_with_eve(test_config()).await;
    upload(&eve, &s, ROOM, "secret.png", &png(64, 64)).await;
    let m = calm.a.wait_for("message", is_file).await;
    let f = &m["file"];
    let base = url(&s);
    let sha = f["sha256"].as_str().unwrap();
    let link = f["url"].as_str().unwrap();
    let (status, _, _) = get(&format!("{base}{link}"), None).await;
    assert_eq!(status, 200);
    let sig = link.rsplit("sig=").next().unwrap();
    let other_room = Peer::connect(&base).await;
    other_room.join("other", "o").await;
    upload(&other_room, &s, "other", "o.txt", b"other").await;
    let o = other_room.wait_for("message", is_file).await;
    let other_sig = o["file"]["url"]
        .as_str()
        .unwrap()
        .rsplit("sig=")
        .next()
        .unwrap()
        .to_owned();
    let forged = [
        format!("/files/{sha}/secret.png"),
        format!("/files/{sha}/secret.png?room={ROOM}"),
        format!("/files/{sha}/secret.png?room={ROOM}&sig="),
        format!("/files/{sha}/secret.png?room={ROOM}&sig={}", "0".repeat(64)),
        format!("/files/{sha}/secret.png?room=other&sig={sig}"),
        format!("/files/{sha}/secret.png?room={ROOM}&sig={other_sig}"),
        format!("/files/{sha}/secret.png?room=other&sig={other_sig}"),
        format!("/thumbs/{sha}?room={ROOM}&sig={}", "ab".repeat(32)),
        format!("/thumbs/{sha}?room={ROOM}"),
    ];
    for path in &forged {
        let (status, _, body) = get(&format!("{base}{path}"), None).await;
        assert_eq!(status, 403, "{path}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "forbidden", "{path}");
    }
    for path in [
        format!("/files/{}/x?room={ROOM}&sig={sig}", &sha[..63]),
        format!("/files/{}/x?room={ROOM}&sig={sig}", sha.to_uppercase()),
        format!("/files/..%2F..%2Fetc%2Fpasswd/x?room={ROOM}&sig={sig}"),
        format!("/files/{sha}?room={ROOM}&sig={sig}"),
    ] {
        let (status, _, body) = get(&format!("{base}{path}"), None).await;
        assert!(status == 404 || status == 403, "{path}: {status}");
        assert!(
            !String::from_utf8_lossy(&body).contains(sha),
            "{path} leaks the hash"
        );
    }
    for listing in ["/files", "/files/", "/thumbs/", "/api/uploads/"] {
        let (_, _, body) = get(&format!("{base}{listing}"), None).await;
        assert!(
            !String::from_utf8_lossy(&body).contains(sha),
            "{listing} lists files"
        );
    }
    calm.check("forged download links").await;
    s.stop().await.unwrap();
}

/// Hostile names — `../`, absolute paths, NUL, control and bidi characters, 10,000 characters —
/// arrive cleaned in the message and in `Content-Disposition`.
#[tokio::test]
async fn hostile_file_names_are_cleaned() {
    let (s, _dir, calm, eve) = files_with_eve(test_config()).await;
    let long = "n".repeat(10_000) + ".txt";
    let cases: [(&str, &str); 7] = [
        ("../../../etc/passwd", "passwd"),
        ("/etc/shadow", "shadow"),
        ("C:\\Windows\\System32\\evil.dll", "evil.dll"),
        ("nul\u{0}byte.txt", "nulbyte.txt"),
        ("bell\u{7}\r\n.txt", "bell.txt"),
        ("invoice\u{202E}fdp.exe", "invoicefdp.exe"),
        (&long, ""),
    ];
    for (raw, want) in cases {
        let case = format!("name {:?}", raw.chars().take(40).collect::<String>());
        let ack = within(&case, ask(&eve, ROOM, raw, 2, None)).await;
        assert_eq!(ack["ok"], true, "[{case}] {ack}");
        let up = ack["upload"]["url"].as_str().unwrap();
        let (status, _, _) = patch(&url(&s), up, 0, b"hi".to_vec()).await;
        assert_eq!(status, 200, "[{case}]");
        let m = calm.a.wait_for("message", is_file).await;
        let name = m["file"]["name"].as_str().unwrap();
        if want.is_empty() {
            assert!(
                name.len() <= 255 && name.ends_with(".txt"),
                "[{case}] {name}"
            );
        } else {
            assert_eq!(name, want, "[{case}]");
        }
        assert!(
            !name.contains(['/', '\\', '\0', '\u{202E}']),
            "[{case}] {name:?}"
        );
        let (_, h, _) = get(
            &format!("{}{}", url(&s), m["file"]["url"].as_str().unwrap()),
            None,
        )
        .await;
        let cd = header(&h, "content-disposition");
        assert!(cd.starts_with("attachment; filename=\""), "[{case}] {cd}");
        assert!(
            cd.is_ascii() && !cd.contains(['\r', '\n', '/']),
            "[{case}] {cd}"
        );
        calm.check(&case).await;
    }
    s.stop().await.unwrap();
}

/// An HTML page and an SVG with script, uploaded as `image/png` named `.png`/`.svg`, are
/// announced as no image and served as an attachment a browser will not run or sniff.
#[tokio::test]
async fn html_and_svg_dressed_as_png_are_never_served_as_anything_runnable() {
    let (s, _dir, calm, eve) = files_with_eve(test_config()).await;
    let html = b"<!doctype html><script>alert(document.cookie)</script>".to_vec();
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>"#.to_vec();
    for (name, bytes) in [("cute.png", html), ("logo.svg", svg)] {
        let ack = eve
            .request(
                "fileUpload",
                json!({"room": ROOM, "name": name, "size": bytes.len(), "mime": "image/png"}),
            )
            .await;
        let up = ack["upload"]["url"].as_str().unwrap();
        let (status, _, _) = patch(&url(&s), up, 0, bytes).await;
        assert_eq!(status, 200);
        let m = calm.a.wait_for("message", is_file).await;
        let f = &m["file"];
        assert_eq!(f["mime"], "application/octet-stream", "[{name}] {f}");
        assert!(
            f.get("width").is_none() && f.get("thumbUrl").is_none(),
            "[{name}] {f}"
        );
        let (status, h, _) = get(&format!("{}{}", url(&s), f["url"].as_str().unwrap()), None).await;
        assert_eq!(status, 200);
        assert_eq!(
            header(&h, "content-type"),
            "application/octet-stream",
            "[{name}]"
        );
        assert!(
            header(&h, "content-disposition").starts_with("attachment;"),
            "[{name}]"
        );
        assert_eq!(header(&h, "x-content-type-options"), "nosniff", "[{name}]");
        assert_eq!(
            header(&h, "content-security-policy"),
            "sandbox; default-src 'none'",
            "[{name}]"
        );
        calm.check(name).await;
    }
    s.stop().await.unwrap();
}

/// A PNG whose header claims 50,000 × 50,000 pixels (10 GB decoded) is posted as a plain
/// download without a preview, served as an attachment; the host stays up.
#[tokio::test]
async fn a_decompression_bomb_gets_no_preview() {
    let (s, _dir, calm, eve) = files_with_eve(test_config()).await;
    let mut bomb = png_header(50_000, 50_000);
    bomb.extend(vec![0u8; 4096]);
    let t0 = std::time::Instant::now();
    upload(&eve, &s, ROOM, "bomb.png", &bomb).await;
    let m = calm.a.wait_for("message", is_file).await;
    let f = &m["file"];
    assert!(
        f.get("thumbUrl").is_none() && f.get("width").is_none(),
        "{f}"
    );
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    let (_, h, _) = get(&format!("{}{}", url(&s), f["url"].as_str().unwrap()), None).await;
    assert!(header(&h, "content-disposition").starts_with("attachment;"));
    assert_eq!(header(&h, "content-type"), "application/octet-stream");
    calm.check("decompression bomb").await;
    s.stop().await.unwrap();
}

/// Bytes past the announced size are refused (`413`) and not stored; the wrong body type is
/// `415`, a missing offset `400`; none of it posts anything.
#[tokio::test]
async fn malformed_patches_are_refused() {
    let (s, _dir, calm, eve) = files_with_eve(test_config()).await;
    let base = url(&s);
    let up = ticket(&eve, ROOM, "exact.bin", 10).await;
    let (status, h, body) = patch(&base, &up, 0, vec![1; 50]).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (413, &json!("file_too_large"))
    );
    assert_eq!(header(&h, "upload-offset"), "10");
    let http = http();
    let wrong_type = http
        .patch(format!("{base}{up}"))
        .header("Upload-Offset", "10")
        .header("Content-Type", "text/html")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415);
    let no_offset = http
        .patch(format!("{base}{up}"))
        .header("Content-Type", "application/offset+octet-stream")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(no_offset.status(), 400);
    calm.check("malformed PATCHes").await;
    // An empty PATCH at the end finishes it, with exactly the announced bytes.
    let (status, _, _) = patch(&base, &up, 10, Vec::new()).await;
    assert_eq!(status, 200);
    let m = calm.a.wait_for("message", is_file).await;
    assert_eq!(m["file"]["size"], 10);
    s.stop().await.unwrap();
}

/// 200 uploads at once (25 connections × 8, the per-connection limit; a 9th is refused) all
/// arrive, while the calm pair keeps talking (a calm message mid-burst: ~0.4 s with this test
/// alone, debug build, the 200 uploaders sharing the host's two cores).
#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_uploads_at_once_while_the_room_talks() {
    let (s, _dir, calm, eve) = files_with_eve(test_config()).await;
    let base = url(&s);
    let mut tickets = Vec::new();
    let mut peers = Vec::new();
    for c in 0..25 {
        let p = Peer::connect(&base).await;
        p.join(ROOM, &format!("up{c}")).await;
        for i in 0..8 {
            tickets.push(ticket(&p, ROOM, &format!("f{c}-{i}.bin"), 65_536).await);
        }
        if c == 0 {
            refused(
                &p,
                "a ninth unfinished upload",
                "fileUpload",
                json!({"room": ROOM, "name": "ninth.bin", "size": 1}),
                "too_many_uploads",
            )
            .await;
        }
        peers.push(p);
    }
    let all: Vec<_> = tickets
        .into_iter()
        .enumerate()
        .map(|(i, up)| {
            let base = base.clone();
            tokio::spawn(async move {
                let mut bytes = pattern(65_536);
                bytes[0] = i as u8;
                bytes[1] = (i >> 8) as u8;
                patch(&base, &up, 0, bytes).await.0
            })
        })
        .collect();
    let t0 = std::time::Instant::now();
    calm.check_pair("during 200 uploads").await;
    eprintln!("a calm message during 200 uploads: {:?}", t0.elapsed());
    for h in all {
        assert_eq!(within("200 uploads", h).await.unwrap(), 200);
    }
    let mut files = 0;
    while files < 200 {
        calm.b.wait_for("message", is_file).await;
        files += 1;
    }
    calm.check("200 uploads at once").await;
    drop((peers, eve));
    s.stop().await.unwrap();
}

/// A body that drips a byte at a time holds nothing but its connection while the calm pair
/// talks, and is dropped after the idle timeout (`408`, what arrived kept).
#[tokio::test(flavor = "multi_thread")]
async fn a_slow_drip_upload_is_dropped_when_it_stops() {
    let mut cfg = test_config();
    cfg.files.idle_timeout = Duration::from_millis(800);
    let (s, _dir, calm, eve) = files_with_eve(cfg).await;
    let base = url(&s);
    let up = ticket(&eve, ROOM, "drip.bin", 1_000).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let body = reqwest::Body::wrap_stream(tokio_stream(rx));
    let req = http()
        .patch(format!("{base}{up}"))
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(body)
        .send();
    let sent = tokio::spawn(req);
    for i in 0..20 {
        tx.send(Ok(vec![i])).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        if i % 5 == 0 {
            calm.check_pair(&format!("drip byte {i}")).await;
        }
    }
    // Now it stops sending, without closing.
    let resp = within("the stalled drip", sent).await.unwrap().unwrap();
    assert_eq!(resp.status(), 408);
    assert_eq!(
        resp.headers()
            .get("upload-offset")
            .unwrap()
            .to_str()
            .unwrap(),
        "20"
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "upload_stalled");
    drop(tx);
    assert_eq!(head(&base, &up).await, (200, Some(20)));
    calm.check("slow drip").await;
    s.stop().await.unwrap();
}

/// A channel as a body stream.
fn tokio_stream(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// A PNG signature and IHDR claiming `w` × `h` RGBA pixels.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    let mut crc = 0xFFFF_FFFFu32;
    for &b in &ihdr {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                0xEDB8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(13u32.to_be_bytes());
    out.extend(&ihdr);
    out.extend((!crc).to_be_bytes());
    out
}
