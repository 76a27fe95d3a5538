//! Build script: lets tauri-build read `tauri.conf.json` and the capability files when the
//! desktop window is compiled in; the headless build needs nothing.
fn main() {
    #[cfg(feature = "desktop")]
    {
        // Declaring our commands makes Tauri deny any command not granted in a capability.
        let manifest = tauri_build::AppManifest::new().commands(&[
            "suggest_port",
            "host_start",
            "host_stop",
            "host_status",
            "host_kick",
            "host_rooms",
            "host_delete_message",
            "host_clear_room",
            "host_room_messages",
            "host_set_password",
            "host_set_announce",
            "host_set_plain_guests",
            "discovery_start",
            "discovery_stop",
            "client_connect",
            "client_join",
            "client_leave",
            "client_send",
            "client_edit",
            "client_delete",
            "client_react",
            "client_open_private",
            "client_typing",
            "client_disconnect",
            "set_unread",
            "file_upload_begin",
            "file_upload_chunk",
            "file_upload_send",
            "file_upload_cancel",
            "file_download",
            "file_open",
            "file_reveal",
            "client_history",
            "client_search",
        ]);
        let attrs = tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(manifest);
        tauri_build::try_build(attrs).expect("tauri-build failed");
    }
}
