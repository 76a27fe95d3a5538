//! The desktop window: Tauri setup around the plain-Rust server and client. Only this module
//! imports `tauri`.

pub mod commands;
pub mod error;
pub mod file_commands;
pub mod history_commands;
pub mod ipc;
pub mod state;
pub mod transfers;
pub mod window;

use tauri::webview::PageLoadEvent;
use tauri::{Manager, RunEvent};

/// Every command the UI may call; `build.rs` grants exactly these to the window.
macro_rules! app_commands {
    () => {
        tauri::generate_handler![
            commands::suggest_port,
            commands::host_start,
            commands::host_stop,
            commands::host_status,
            commands::host_kick,
            commands::host_rooms,
            commands::host_delete_message,
            commands::host_clear_room,
            commands::host_room_messages,
            commands::host_set_password,
            commands::host_set_announce,
            commands::host_set_plain_guests,
            commands::discovery_start,
            commands::discovery_stop,
            commands::client_connect,
            commands::client_join,
            commands::client_leave,
            commands::client_send,
            commands::client_edit,
            commands::client_delete,
            commands::client_react,
            commands::client_open_private,
            commands::client_typing,
            commands::client_disconnect,
            commands::set_unread,
            file_commands::file_upload_begin,
            file_commands::file_upload_chunk,
            file_commands::file_upload_send,
            file_commands::file_upload_cancel,
            file_commands::file_download,
            file_commands::file_open,
            file_commands::file_reveal,
            history_commands::client_history,
            history_commands::client_search,
        ]
    };
}

/// Adds lanchat's state and commands to `base` (`tauri::Builder::default()` for the app,
/// `tauri::test::mock_builder()` in tests).
pub fn builder<R: tauri::Runtime>(base: tauri::Builder<R>) -> tauri::Builder<R> {
    base.manage(state::AppState::default())
        .invoke_handler(app_commands!())
}

/// Opens the window and runs until it is closed.
pub fn run() -> anyhow::Result<()> {
    let app = window::plugins(builder(tauri::Builder::default()))
        .plugin(tauri_plugin_notification::init())
        // Links in messages open in the system browser, never inside the chat window.
        .plugin(tauri_plugin_opener::init())
        .on_window_event(window::on_window_event)
        // For bench/desktop.sh: say when the page has loaded (start-up time).
        .on_page_load(|_, payload| {
            if payload.event() == PageLoadEvent::Finished
                && std::env::var_os("LANCHAT_REPORT_LOADED").is_some()
            {
                println!("page loaded");
            }
        })
        .build(tauri::generate_context!())?;
    app.run(|handle, event| {
        if let RunEvent::ExitRequested { .. } = event {
            // Say goodbye properly: members see us leave, guests hear the host is going.
            let state = handle.state::<state::AppState>();
            state.stop_discovery(None);
            tauri::async_runtime::block_on(async {
                if let Some(c) = state.client.take() {
                    c.disconnect().await;
                }
                if let Some(h) = state.host.lock().await.take() {
                    let _ = h.stop().await;
                }
            });
        }
    });
    Ok(())
}
