//! The window's Tauri commands, driven through Tauri's mock runtime (no window, no WebKit):
//! they parse their arguments, reach the real server and client, and fail with stable codes.
#![cfg(feature = "desktop")]

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
/// stop; a second stop says we are not hosting.
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
