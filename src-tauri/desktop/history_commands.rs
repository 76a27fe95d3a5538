//! Thin Tauri commands for scrollback and search (docs/ipc.md, "History and search"): each
//! asks the Rust client, which sends `history` / `search` in order after the room's join.

use tauri::State;

use super::commands::client;
use super::error::{IpcError, IpcResult};
use super::state::AppState;
use crate::protocol::{HistoryPage, PageAt, SearchResults};

/// A page of `room` before, after or around a seq: exactly one of the three.
#[tauri::command]
pub async fn client_history(
    state: State<'_, AppState>,
    room: String,
    before: Option<u64>,
    after: Option<u64>,
    around: Option<u64>,
    limit: Option<usize>,
) -> IpcResult<HistoryPage> {
    let at = match (before, after, around) {
        (Some(n), None, None) => PageAt::Before(n),
        (None, Some(n), None) => PageAt::After(n),
        (None, None, Some(n)) => PageAt::Around(n),
        _ => {
            return Err(IpcError::new(
                "invalid_payload",
                "give one of before, after and around",
            ));
        }
    };
    Ok(client(&state)?.history(&room, at, limit).await?)
}

#[tauri::command]
pub async fn client_search(
    state: State<'_, AppState>,
    room: String,
    q: String,
    limit: Option<usize>,
) -> IpcResult<SearchResults> {
    Ok(client(&state)?.search(&room, &q, limit).await?)
}
