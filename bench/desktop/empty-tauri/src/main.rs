//! An empty Tauri 2 window that reports when its page has loaded, like lanchat does with
//! LANCHAT_REPORT_LOADED, so both start-up times are measured the same way.
use tauri::webview::PageLoadEvent;

fn main() {
    tauri::Builder::default()
        .on_page_load(|_, payload| {
            if payload.event() == PageLoadEvent::Finished && std::env::var_os("LANCHAT_REPORT_LOADED").is_some() {
                println!("page loaded");
            }
        })
        .run(tauri::generate_context!())
        .expect("empty tauri app");
}
