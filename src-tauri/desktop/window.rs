//! How the window behaves as a desktop citizen: one instance per profile (a second launch
//! focuses the first), size and position remembered, a question before a close that would cut
//! other people off, and the unread count on the taskbar. The decisions are plain functions,
//! tested without a window; the Tauri wiring around them is thin.

use std::net::IpAddr;

use tauri::{Manager, Runtime, Window, WindowEvent};
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};
use tauri_plugin_window_state::StateFlags;

use super::state::AppState;

/// What the window-state plugin remembers. Not visibility (a window saved hidden would never
/// show again) nor decorations.
const REMEMBERED: StateFlags = StateFlags::SIZE
    .union(StateFlags::POSITION)
    .union(StateFlags::MAXIMIZED);

/// The plugins that make the window one instance with remembered geometry.
/// `single_instance` must be the first plugin: a second launch must hand over and exit before
/// anything else starts (the plugin says so).
pub fn plugins<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(instance_id(&data_dir()))
                .callback(|app, _argv, _cwd| {
                    if let Some(w) = app.get_webview_window("main") {
                        let _ = w.unminimize();
                        let _ = w.show();
                        if let Err(e) = w.set_focus() {
                            tracing::warn!("could not focus the running window: {e}");
                        }
                    }
                })
                .build(),
        )
        .plugin(
            tauri_plugin_window_state::Builder::new()
                .with_state_flags(REMEMBERED)
                .build(),
        )
        .plugin(tauri_plugin_dialog::init())
}

/// The user's data dir ($XDG_DATA_HOME), where each profile keeps its history.
fn data_dir() -> String {
    directories::BaseDirs::new()
        .map(|d| d.data_dir().to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The D-Bus name (Linux) that makes a second launch find the first. It includes a hash of the
/// data dir, so two profiles (e.g. the end-to-end test's two windows, each with its own
/// XDG_DATA_HOME) may run side by side, while the same profile never runs twice (two instances
/// would share one history database and one saved window state).
pub fn instance_id(data_dir: &str) -> String {
    // FNV-1a: stable across builds and Rust versions, unlike std's hasher.
    let hash = data_dir.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("app.lanchat.desktop.p{hash:016x}")
}

/// Closing the window asks first while we host and `others` are connected: closing stops the
/// server under them. Returns the question, or `None` to close at once.
pub fn close_question(others: usize, chinese: bool) -> Option<String> {
    match (others, chinese) {
        (0, _) => None,
        (n, true) => Some(format!(
            "有 {n} 人连在你的房间里，关闭窗口会停止服务器，他们的聊天也会中断。"
        )),
        (1, false) => Some(
            "1 person is connected to your rooms. Closing the window stops the server for them."
                .into(),
        ),
        (n, false) => Some(format!(
            "{n} people are connected to your rooms. Closing the window stops the server for them."
        )),
    }
}

/// People connected to the server we host, other than this window: the window joins its own
/// server like any peer, so its own connection is not someone to warn about.
pub fn others_connected(connections: usize, this_window_connected: bool) -> usize {
    connections.saturating_sub(usize::from(this_window_connected))
}

/// Whether a client at `base_url` (`http://host:port`) talks to the server we host on `port`:
/// over loopback, or to one of this machine's LAN addresses.
pub fn is_own_server(base_url: &str, port: u16, lan: &[IpAddr]) -> bool {
    let rest = base_url
        .strip_prefix("http://")
        .or_else(|| base_url.strip_prefix("https://"))
        .unwrap_or(base_url);
    let Some((host, p)) = rest.rsplit_once(':') else {
        return false;
    };
    if p.parse() != Ok(port) {
        return false;
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || lan.contains(&ip))
}

/// The taskbar badge for `count` unread messages: none at 0.
pub fn badge(count: u32) -> Option<i64> {
    (count > 0).then_some(i64::from(count))
}

/// The UI speaks Chinese when the system does (it follows the browser's language, which
/// WebKitGTK takes from these variables).
fn system_is_chinese() -> bool {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
        .is_some_and(|v| v.starts_with("zh"))
}

/// `CloseRequested`: while hosting with people connected, keep the window open and ask; close
/// for real only if the user says so.
pub fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    let state = window.state::<AppState>();
    // Busy means the server is being started this instant: nobody is on it yet.
    let Some(port_and_connections) = state.host.try_lock().ok().and_then(|h| {
        h.as_ref()
            .map(|h| (h.server.addr.port(), h.server.control.connections()))
    }) else {
        return;
    };
    let (port, connections) = port_and_connections;
    let this_window = state
        .client
        .get()
        .is_some_and(|c| is_own_server(c.base_url(), port, &crate::net::lan_addresses()));
    let chinese = system_is_chinese();
    let Some(question) = close_question(others_connected(connections, this_window), chinese) else {
        return;
    };
    api.prevent_close();
    let (title, close, keep) = if chinese {
        ("停止主持？", "关闭并停止", "保持打开")
    } else {
        ("Stop hosting?", "Close and stop", "Keep open")
    };
    let w = window.clone();
    window
        .dialog()
        .message(question)
        .title(title)
        .kind(MessageDialogKind::Warning)
        .parent(window)
        .buttons(MessageDialogButtons::OkCancelCustom(
            close.into(),
            keep.into(),
        ))
        .show(move |close| {
            // `destroy` closes without asking again; the exit handler then says goodbye.
            if close && let Err(e) = w.destroy() {
                tracing::warn!("could not close the window: {e}");
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nobody else connected: the window closes without a question.
    #[test]
    fn closing_asks_only_when_others_are_connected() {
        assert_eq!(close_question(others_connected(0, false), false), None);
        assert_eq!(
            close_question(others_connected(1, true), false),
            None,
            "only this window is connected"
        );
        let one = close_question(others_connected(2, true), false).unwrap();
        assert!(one.starts_with("1 person is"), "{one}");
        let many = close_question(others_connected(12, false), false).unwrap();
        assert!(many.starts_with("12 people are"), "{many}");
        assert!(close_question(3, true).unwrap().contains('3'));
    }

    /// The window's own connection is recognised over loopback or a LAN address of this
    /// machine, on the hosted port only.
    #[test]
    fn own_server_is_recognised() {
        let lan: Vec<IpAddr> = vec!["192.168.1.20".parse().unwrap()];
        assert!(is_own_server("http://127.0.0.1:7878", 7878, &lan));
        assert!(is_own_server("http://localhost:7878", 7878, &lan));
        assert!(is_own_server("http://[::1]:7878", 7878, &lan));
        assert!(is_own_server("http://192.168.1.20:7878", 7878, &lan));
        assert!(!is_own_server("http://127.0.0.1:7879", 7878, &lan));
        assert!(!is_own_server("http://192.168.1.21:7878", 7878, &lan));
    }

    /// One instance per profile: the same data dir gives the same name, another gives another,
    /// and the name is a valid D-Bus name element (no element starts with a digit).
    #[test]
    fn instance_ids_follow_the_profile() {
        let a = instance_id("/home/ann/.local/share");
        assert_eq!(a, instance_id("/home/ann/.local/share"));
        assert_ne!(a, instance_id("/tmp/e2e/bob/data"));
        assert!(
            a.split('.')
                .all(|e| !e.starts_with(|c: char| c.is_ascii_digit()))
        );
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'));
    }

    /// No unread messages clears the badge.
    #[test]
    fn the_badge_follows_the_count() {
        assert_eq!(badge(0), None);
        assert_eq!(badge(3), Some(3));
    }
}
