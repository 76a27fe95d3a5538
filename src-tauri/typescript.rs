//! The UI's protocol and IPC types are generated from the Rust ones (ts-rs), so the two cannot
//! drift: this test fails when `ui/src/generated/protocol.ts` is not what the Rust types say.
//! `UPDATE_TS=1 cargo test --lib typescript` rewrites it. The IPC types live in the window's
//! module, so the test is built with the `desktop` feature (the default).

use ts_rs::{Config, TS};

use crate::client::{ClientEvent, ConnState};
use crate::desktop::error::IpcError;
use crate::desktop::ipc::{ConnectInfo, TransferProgress};
use crate::discovery::FoundHost;
use crate::host::HostInfo;
use crate::protocol::*;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/src/generated/protocol.ts");

/// Declarations in dependency order, each exported.
fn generated() -> String {
    // Seqs and timestamps stay far below 2^53: plain numbers, as the UI has always used.
    let cfg = Config::new().with_large_int("number");
    let decls = [
        Kind::decl(&cfg),
        FileMeta::decl(&cfg),
        Quote::decl(&cfg),
        Reactor::decl(&cfg),
        Reaction::decl(&cfg),
        Message::decl(&cfg),
        JoinAck::decl(&cfg),
        SendAck::decl(&cfg),
        UpdateAck::decl(&cfg),
        UploadTicket::decl(&cfg),
        FileUploadAck::decl(&cfg),
        Members::decl(&cfg),
        Presence::decl(&cfg),
        Typing::decl(&cfg),
        Kicked::decl(&cfg),
        PrivateOpened::decl(&cfg),
        PrivateInvite::decl(&cfg),
        HistoryPage::decl(&cfg),
        SearchHit::decl(&cfg),
        SearchResults::decl(&cfg),
        ServerClosing::decl(&cfg),
        ErrorCode::decl(&cfg),
        WireError::decl(&cfg),
        RequestError::decl(&cfg),
        RoomInfo::decl(&cfg),
        NodeInfo::decl(&cfg),
        RoomOverview::decl(&cfg),
        ServerInfo::decl(&cfg),
        ConnState::decl(&cfg),
        ClientEvent::decl(&cfg),
        // IPC (docs/ipc.md)
        ConnectInfo::decl(&cfg),
        TransferProgress::decl(&cfg),
        HostInfo::decl(&cfg),
        IpcError::decl(&cfg),
        FoundHost::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust types by `src-tauri/typescript.rs` (ts-rs). Do not edit:\n\
         // change the Rust type, then run `UPDATE_TS=1 cargo test --lib typescript`.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// The UI's generated protocol types match the Rust types they come from.
#[test]
fn ui_protocol_types_match_rust() {
    let want = generated();
    if std::env::var_os("UPDATE_TS").is_some() {
        std::fs::create_dir_all(std::path::Path::new(PATH).parent().unwrap()).unwrap();
        std::fs::write(PATH, &want).unwrap();
    }
    let have = std::fs::read_to_string(PATH).unwrap_or_default();
    assert!(
        have == want,
        "{PATH} is out of date with the Rust types: run `UPDATE_TS=1 cargo test --lib typescript`"
    );
}
