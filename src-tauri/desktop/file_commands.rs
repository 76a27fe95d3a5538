//! Thin Tauri commands for files (docs/ipc.md, "Files"): staging a page's file and uploading it
//! with the Rust client, cancelling, saving a file message's file to Downloads, and opening or
//! showing what was saved. The work is in `transfers.rs` and `client::files`.

use std::path::PathBuf;

use tauri::ipc::{Channel, InvokeBody, Request};
use tauri::{AppHandle, Manager, Runtime, State};

use super::commands::client;
use super::error::{IpcError, IpcResult};
use super::ipc::TransferProgress;
use super::state::AppState;
use super::transfers::{DownloadError, TransferError, throttled};
use crate::client::OnProgress;
use crate::protocol::SendAck;

impl From<TransferError> for IpcError {
    fn from(e: TransferError) -> IpcError {
        IpcError::new(e.code(), e.to_string())
    }
}

impl From<DownloadError> for IpcError {
    fn from(e: DownloadError) -> IpcError {
        match e {
            DownloadError::Transfer(e) => e.into(),
            DownloadError::Client(e) => e.into(),
        }
    }
}

fn reporter(ch: Channel<TransferProgress>) -> OnProgress {
    throttled(move |done, total| {
        if let Err(e) = ch.send(TransferProgress { done, total }) {
            tracing::debug!("the window stopped listening to a transfer: {e}");
        }
    })
}

/// Where staged uploads live: the app's cache directory, never the user's files.
fn staging<R: Runtime>(app: &AppHandle<R>) -> IpcResult<PathBuf> {
    let dir = app
        .path()
        .app_cache_dir()
        .map_err(|e| IpcError::new("file_error", e.to_string()))?;
    Ok(dir.join("uploads"))
}

/// The user's Downloads folder (XDG `DOWNLOAD`), or `~/Downloads` where none is configured.
fn downloads<R: Runtime>(app: &AppHandle<R>) -> IpcResult<PathBuf> {
    app.path()
        .download_dir()
        .or_else(|_| app.path().home_dir().map(|h| h.join("Downloads")))
        .map_err(|e| IpcError::new("file_error", e.to_string()))
}

/// Starts handing a file over: returns the transfer id its chunks and upload refer to.
#[tauri::command]
pub async fn file_upload_begin<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    room: String,
    name: String,
    size: u64,
) -> IpcResult<String> {
    client(&state)?;
    let dir = staging(&app)?;
    Ok(state.transfers.begin(&dir, &room, &name, size).await?)
}

/// One chunk of the file, as the raw body; headers `Transfer-Id` and `Upload-Offset`.
#[tauri::command]
pub async fn file_upload_chunk(state: State<'_, AppState>, request: Request<'_>) -> IpcResult<()> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| IpcError::new("invalid_payload", format!("no {name} header")))
    };
    let id = header("transfer-id")?;
    let offset: u64 = header("upload-offset")?
        .parse()
        .map_err(|_| IpcError::new("invalid_payload", "Upload-Offset is not a number"))?;
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(IpcError::new(
            "invalid_payload",
            "the chunk must be a raw body",
        ));
    };
    Ok(state.transfers.append(id, offset, bytes).await?)
}

/// Uploads the staged file with the Rust client (resumed after cuts); progress on `progress`.
/// Resolves with the file message's ack, or fails with `cancelled` when `file_upload_cancel`
/// came first. The staged copy is deleted either way.
#[tauri::command]
pub async fn file_upload_send(
    state: State<'_, AppState>,
    transfer_id: String,
    progress: Channel<TransferProgress>,
) -> IpcResult<SendAck> {
    let client = client(&state)?;
    let job = state.transfers.start_upload(&transfer_id)?;
    let result = tokio::select! {
        r = client.upload_file(&job.room, &job.path, reporter(progress)) => r.map_err(IpcError::from),
        _ = job.cancelled => Err(IpcError::new("cancelled", "the upload was cancelled")),
    };
    state.transfers.discard(&transfer_id).await;
    result
}

/// Cancels a transfer that is being handed over or uploaded.
#[tauri::command]
pub async fn file_upload_cancel(state: State<'_, AppState>, transfer_id: String) -> IpcResult<()> {
    Ok(state.transfers.cancel(&transfer_id).await?)
}

/// Saves a file message's file (`url` is its `/files/…` link on the connected server) to the
/// Downloads folder; resumes a download of the same content that broke off. Returns the path.
#[tauri::command]
pub async fn file_download<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    url: String,
    name: String,
    sha256: String,
    progress: Channel<TransferProgress>,
) -> IpcResult<String> {
    let client = client(&state)?;
    if !url.starts_with("/files/") {
        return Err(IpcError::new("invalid_payload", "not a file link"));
    }
    let dir = downloads(&app)?;
    let path = state
        .transfers
        .download(
            &dir,
            &client.file_url(&url),
            &name,
            &sha256,
            reporter(progress),
            client.trust(),
        )
        .await?;
    Ok(path.to_string_lossy().into_owned())
}

/// Opens a file this window saved with the system's default application.
#[tauri::command]
pub fn file_open(state: State<'_, AppState>, path: PathBuf) -> IpcResult<()> {
    state.transfers.check_saved(&path)?;
    tauri_plugin_opener::open_path(&path, None::<&str>)
        .map_err(|e| IpcError::new("file_error", e.to_string()))
}

/// Shows a file this window saved in the system's file manager.
#[tauri::command]
pub fn file_reveal(state: State<'_, AppState>, path: PathBuf) -> IpcResult<()> {
    state.transfers.check_saved(&path)?;
    tauri_plugin_opener::reveal_item_in_dir(&path)
        .map_err(|e| IpcError::new("file_error", e.to_string()))
}
