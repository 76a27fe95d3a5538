//! The window's Tauri commands, driven through Tauri's mock runtime (no window, no WebKit):
//! they parse their arguments, reach the real server and client, and fail with stable codes.
#![cfg(feature = "desktop")]

mod common;

use common::Peer;
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

fn app() -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let data = tempfile::tempdir().unwrap().keep();
    // Hosting keeps history in the app data dir; point it at a scratch dir.
    unsafe { std::env::set_var("XDG_DATA_HOME", &data) };
    // Hosting binds 0.0.0.0: these tests must never announce (or browse) on the real network.
    unsafe { std::env::set_var("LANCHAT_NO_DISCOVERY", "1") };
    let app = lanchat::desktop::builder(mock_builder())
        // The real config and capabilities, so the ACL that guards the window guards the test.
        .build(tauri::generate_context!(test = true))
        .expect("mock app");
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("mock window");
    (app, window)
}

fn invoke(w: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        w,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            // The window's own origin on Linux; anything else is refused by the ACL.
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().unwrap())
}

/// Hosting from the window: start on a free port, see it in the status, change the password,
/// switch plain guests, stop; a second stop (or switch) says we are not hosting.
#[test]
fn host_start_status_password_stop() {
    let (_app, w) = app();
    let port = invoke(&w, "suggest_port", json!({})).unwrap();
    assert!(port.as_u64().unwrap() > 0);
    let info = invoke(
        &w,
        "host_start",
        json!({"port": 0, "password": null, "announce": false}),
    )
    .unwrap();
    let port = info["port"].as_u64().unwrap();
    assert!(port > 0);
    assert_eq!(info["passwordRequired"], false);
    assert_eq!(info["announcedAs"], Value::Null, "asked not to announce");
    assert!(
        info["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a != "127.0.0.1")
    );
    assert_eq!(invoke(&w, "host_status", json!({})).unwrap()["port"], port);
    let changed = invoke(&w, "host_set_password", json!({"password": "pw"})).unwrap();
    assert_eq!(changed["passwordRequired"], true);
    assert_eq!(
        changed["plainGuests"], false,
        "a password refuses plain guests"
    );
    let plain = invoke(&w, "host_set_plain_guests", json!({"allow": true})).unwrap();
    assert_eq!(
        plain["plainGuests"], true,
        "the switch wins over the password"
    );
    let plain = invoke(&w, "host_set_plain_guests", json!({"allow": false})).unwrap();
    assert_eq!(plain["plainGuests"], false);
    let off = invoke(&w, "host_set_announce", json!({"announce": true})).unwrap_err();
    assert_eq!(off["code"], "discovery_off", "{off}");
    assert!(
        off["message"]
            .as_str()
            .unwrap()
            .contains("LANCHAT_NO_DISCOVERY")
    );
    let quiet = invoke(&w, "host_set_announce", json!({"announce": false})).unwrap();
    assert_eq!(quiet["announcedAs"], Value::Null);
    let kick = invoke(&w, "host_kick", json!({"room": "r", "nickName": "nobody"})).unwrap_err();
    assert_eq!(kick["code"], "not_in_room");
    invoke(&w, "host_stop", json!({})).unwrap();
    assert_eq!(invoke(&w, "host_status", json!({})).unwrap(), Value::Null);
    assert_eq!(
        invoke(&w, "host_stop", json!({})).unwrap_err()["code"],
        "not_hosting"
    );
    assert_eq!(
        invoke(&w, "host_set_plain_guests", json!({"allow": true})).unwrap_err()["code"],
        "not_hosting"
    );
}

/// With discovery turned off for the process, the Join screen's browse says so (the window
/// then shows the fallback: address, invite link, QR) and stopping it is harmless.
#[test]
fn discovery_can_be_turned_off() {
    let (_app, w) = app();
    let err = invoke(&w, "discovery_start", json!({"events": "__CHANNEL__:7"})).unwrap_err();
    assert_eq!(err["code"], "discovery_off", "{err}");
    assert_eq!(
        invoke(&w, "discovery_stop", json!({"id": 3})).unwrap(),
        Value::Null
    );
    assert_eq!(
        invoke(&w, "discovery_stop", json!({})).unwrap(),
        Value::Null
    );
}

/// Client commands without a connection fail with `not_connected`; a refused connection
/// reports `connect_failed`.
#[test]
fn client_commands_report_clear_errors() {
    let (_app, w) = app();
    let err = invoke(&w, "client_join", json!({"room": "r"})).unwrap_err();
    assert_eq!(err["code"], "not_connected");
    let err = invoke(
        &w,
        "client_send",
        json!({"room": "r", "message": "m", "clientId": "c"}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "not_connected");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let err = invoke(
        &w,
        "client_connect",
        json!({"address": closed.to_string(), "nickName": "n", "password": null, "events": "__CHANNEL__:7"}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "connect_failed", "{err}");
}

/// Only the window's own page may call our commands: a request claiming another origin (a
/// remote page loaded into the webview) is refused by the capability file.
#[test]
fn commands_are_refused_to_other_origins() {
    let (_app, w) = app();
    let res = get_ipc_response(
        &w,
        InvokeRequest {
            cmd: "host_start".into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "http://192.168.1.66:7878/".parse().unwrap(),
            body: InvokeBody::Json(json!({"port": 0, "password": null, "announce": false})),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    );
    let err = res.expect_err("a remote origin started a server");
    assert!(err.to_string().contains("not allowed"), "{err}");
}

/// Runs `invoke` on its own thread and gives up waiting after `limit`: a command that is stuck
/// shows up as `None` instead of hanging the test.
fn invoke_within(
    w: &WebviewWindow<MockRuntime>,
    limit: std::time::Duration,
    cmd: &'static str,
    args: Value,
) -> Option<Result<Value, Value>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let w = w.clone();
    std::thread::spawn(move || {
        let _ = tx.send(invoke(&w, cmd, args));
    });
    rx.recv_timeout(limit).ok()
}

/// When the host goes away while a join is waiting for it, the window stays usable: sending,
/// typing and Disconnect answer at once instead of queueing behind that join, and the join
/// itself ends (with `not_connected`, because the user disconnected).
#[test]
fn a_join_waiting_for_a_lost_host_blocks_nothing() {
    let (_app, w) = app();
    let info = invoke(
        &w,
        "host_start",
        json!({"port": 0, "password": null, "announce": false}),
    )
    .unwrap();
    let address = format!("127.0.0.1:{}", info["port"]);
    invoke(
        &w,
        "client_connect",
        json!({"address": address, "nickName": "n", "password": null, "events": "__CHANNEL__:7"}),
    )
    .unwrap();
    invoke(&w, "client_join", json!({"room": "here"})).unwrap();
    invoke(&w, "host_stop", json!({})).unwrap();

    // Waits for a host that is not coming back.
    let (join_tx, join_rx) = std::sync::mpsc::channel();
    let w2 = w.clone();
    std::thread::spawn(move || {
        let _ = join_tx.send(invoke(&w2, "client_join", json!({"room": "there"})));
    });
    // Give the join time to be taken up (this sleep is the scenario, not a synchronisation).
    std::thread::sleep(std::time::Duration::from_millis(300));

    let quick = std::time::Duration::from_secs(2);
    let typing = invoke_within(
        &w,
        quick,
        "client_typing",
        json!({"room": "here", "typing": true}),
    );
    assert_eq!(
        typing,
        Some(Ok(Value::Null)),
        "typing waited behind the pending join"
    );
    let send = invoke_within(
        &w,
        quick,
        "client_send",
        json!({"room": "here", "message": "hello?", "clientId": "c1"}),
    );
    assert_eq!(
        send,
        Some(Ok(Value::Null)),
        "a send waited behind the pending join"
    );
    let disconnect = invoke_within(&w, quick, "client_disconnect", json!({}));
    assert_eq!(
        disconnect,
        Some(Ok(Value::Null)),
        "Disconnect waited behind the pending join"
    );
    let join = join_rx
        .recv_timeout(quick)
        .expect("the pending join did not end after Disconnect");
    assert_eq!(join.unwrap_err()["code"], "not_connected");
}

/// The UI can show the unread count on the taskbar: the command is allowed to the window and
/// succeeds at any count, also where the desktop has no badges; a count that is not a count is
/// refused.
#[test]
fn set_unread_is_allowed_and_best_effort() {
    let (_app, w) = app();
    for count in [3, 0, u32::MAX] {
        assert_eq!(
            invoke(&w, "set_unread", json!({ "count": count })),
            Ok(Value::Null)
        );
    }
    assert!(invoke(&w, "set_unread", json!({"count": -1})).is_err());
}

/// Sends one raw-body chunk of a staged upload, as the page does.
fn chunk(
    w: &WebviewWindow<MockRuntime>,
    id: &str,
    offset: usize,
    bytes: &[u8],
) -> Result<Value, Value> {
    let mut headers = tauri::http::HeaderMap::new();
    headers.insert("Transfer-Id", id.parse().unwrap());
    headers.insert("Upload-Offset", offset.to_string().parse().unwrap());
    get_ipc_response(
        w,
        InvokeRequest {
            cmd: "file_upload_chunk".into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Raw(bytes.to_vec()),
            headers,
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().unwrap())
}

/// The window sends a file the page handed over in chunks (a picked, dropped or pasted file has
/// no path): another member gets the file message and the same bytes; then the window saves
/// that file into the Downloads folder (never over a file already there) and may open only
/// what it saved. Cancelling a staged upload deletes it.
#[test]
fn the_window_uploads_a_staged_file_and_saves_one_to_downloads() {
    let (_app, w) = app();
    let home = tempfile::tempdir().unwrap();
    let downloads = home.path().join("Downloads here");
    std::fs::write(
        home.path().join("user-dirs.dirs"),
        format!("XDG_DOWNLOAD_DIR=\"{}\"\n", downloads.display()),
    )
    .unwrap();
    // Where `download_dir()` looks (dirs reads $XDG_CONFIG_HOME/user-dirs.dirs).
    unsafe { std::env::set_var("XDG_CONFIG_HOME", home.path()) };

    let info = invoke(
        &w,
        "host_start",
        json!({"port": 0, "password": null, "announce": false}),
    )
    .unwrap();
    let base = format!("http://127.0.0.1:{}", info["port"]);
    let connected = invoke(
        &w,
        "client_connect",
        json!({"address": format!("127.0.0.1:{}", info["port"]), "nickName": "win", "password": null, "events": "__CHANNEL__:7"}),
    )
    .unwrap();
    // The window's client reaches its own host over TLS, through its loopback tunnel (the
    // page's previews load from there); `base` is for a plain browser guest.
    let page_base = connected["baseUrl"].as_str().unwrap();
    assert!(
        page_base.starts_with("http://127.0.0.1:") && page_base != base,
        "{page_base}"
    );
    invoke(&w, "client_join", json!({"room": "r"})).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let bob = rt.block_on(async {
        let p = Peer::connect(&base).await;
        p.join("r", "bob").await;
        p
    });

    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let id = invoke(
        &w,
        "file_upload_begin",
        json!({"room": "r", "name": "../report.pdf", "size": bytes.len()}),
    )
    .unwrap();
    let id = id.as_str().unwrap();
    let err = invoke(
        &w,
        "file_upload_send",
        json!({"transferId": id, "progress": "__CHANNEL__:8"}),
    )
    .unwrap_err();
    assert_eq!(
        err["code"], "invalid_payload",
        "sent before the bytes were all there"
    );
    for (i, part) in bytes.chunks(1 << 20).enumerate() {
        chunk(&w, id, i << 20, part).unwrap();
    }
    assert_eq!(
        chunk(&w, id, 5, b"x").unwrap_err()["code"],
        "offset_mismatch"
    );
    let ack = invoke(
        &w,
        "file_upload_send",
        json!({"transferId": id, "progress": "__CHANNEL__:8"}),
    )
    .unwrap();
    assert!(ack["seq"].as_u64().unwrap() > 0, "{ack}");

    let m = rt.block_on(bob.wait_for("message", |v| v["kind"] == "file"));
    assert_eq!(m["nickName"], "win");
    assert_eq!(m["id"], ack["id"]);
    let f = m["file"].clone();
    assert_eq!(f["name"], "report.pdf");
    let (status, _, got) = rt.block_on(common::files::get(
        &format!("{base}{}", f["url"].as_str().unwrap()),
        None,
    ));
    assert_eq!(status, 200);
    assert!(got == bytes, "the uploaded bytes differ");

    // Saving it twice: the second copy gets a free name.
    std::fs::create_dir_all(&downloads).unwrap();
    std::fs::write(downloads.join("report.pdf"), b"mine").unwrap();
    let save = || {
        invoke(
            &w,
            "file_download",
            json!({"url": f["url"], "name": f["name"], "sha256": f["sha256"], "progress": "__CHANNEL__:9"}),
        )
        .unwrap()
    };
    let saved = save();
    assert_eq!(
        saved,
        json!(downloads.join("report (1).pdf").display().to_string())
    );
    assert!(std::fs::read(downloads.join("report (1).pdf")).unwrap() == bytes);
    assert_eq!(
        std::fs::read(downloads.join("report.pdf")).unwrap(),
        b"mine"
    );
    assert_eq!(
        save(),
        json!(downloads.join("report (2).pdf").display().to_string())
    );
    let leftovers: Vec<_> = std::fs::read_dir(&downloads)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "partial files left: {leftovers:?}");

    // Only what it saved may be opened or shown; other links and hashes are refused.
    for cmd in ["file_open", "file_reveal"] {
        let err = invoke(&w, cmd, json!({"path": "/etc/passwd"})).unwrap_err();
        assert_eq!(err["code"], "forbidden", "{cmd}");
    }
    let err = invoke(
        &w,
        "file_download",
        json!({"url": "/api/info", "name": "x", "sha256": f["sha256"], "progress": "__CHANNEL__:9"}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "invalid_payload");
    let err = invoke(
        &w,
        "file_download",
        json!({"url": f["url"], "name": "x", "sha256": "../../etc", "progress": "__CHANNEL__:9"}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "invalid_payload");

    // A cancelled staging is gone.
    let id = invoke(
        &w,
        "file_upload_begin",
        json!({"room": "r", "name": "b.bin", "size": 10}),
    )
    .unwrap();
    let id = id.as_str().unwrap();
    chunk(&w, id, 0, b"12345").unwrap();
    invoke(&w, "file_upload_cancel", json!({"transferId": id})).unwrap();
    assert_eq!(chunk(&w, id, 5, b"67890").unwrap_err()["code"], "not_found");
    invoke(&w, "host_stop", json!({})).unwrap();
}

/// Polls `cond` every 5 ms for up to 20 s.
fn eventually(what: &str, cond: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Cancel in the window stops an upload under way and the host deletes what arrived, so a
/// cancelled upload holds neither the host's disk nor its quota until it expires.
#[test]
fn cancelling_an_upload_frees_it_on_the_host() {
    let (_app, w) = app();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (server, dir) = rt.block_on(common::files::start_files());
    let partial = dir.path().join("files").join("partial");
    let arrived = || {
        std::fs::read_dir(&partial)
            .map(|d| {
                d.filter_map(Result::ok)
                    .any(|e| e.metadata().is_ok_and(|m| m.len() > 0))
            })
            .unwrap_or(false)
    };
    invoke(
        &w,
        "client_connect",
        json!({"address": common::url(&server), "nickName": "win", "password": null, "events": "__CHANNEL__:7"}),
    )
    .unwrap();
    invoke(&w, "client_join", json!({"room": "r"})).unwrap();

    // Big enough that it is still under way when the first bytes are on the host's disk.
    const SIZE: usize = 64 << 20;
    let id = invoke(
        &w,
        "file_upload_begin",
        json!({"room": "r", "name": "big.bin", "size": SIZE}),
    )
    .unwrap();
    let id = id.as_str().unwrap().to_owned();
    let part = vec![7u8; 16 << 20];
    for i in 0..SIZE / part.len() {
        chunk(&w, &id, i * part.len(), &part).unwrap();
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let (w2, id2) = (w.clone(), id.clone());
    std::thread::spawn(move || {
        let _ = tx.send(invoke(
            &w2,
            "file_upload_send",
            json!({"transferId": id2, "progress": "__CHANNEL__:8"}),
        ));
    });
    eventually("the first bytes on the host", arrived);
    invoke(&w, "file_upload_cancel", json!({"transferId": id})).unwrap();
    let sent = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    assert_eq!(sent.unwrap_err()["code"], "cancelled");
    eventually("the host to delete the cancelled upload", || !arrived());
    rt.block_on(server.stop()).unwrap();
}
