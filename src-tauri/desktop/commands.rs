//! Thin Tauri commands: take state and arguments, call one domain function, return a result.
//! The contract is docs/ipc.md.

use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State, Window};
use tokio::sync::mpsc;

use super::error::{IpcError, IpcResult};
use super::ipc::ConnectInfo;
use super::state::AppState;
use crate::client::{Client, ClientConfig, ClientEvent, Trust};
use crate::discovery::{Browser, FoundHost};
use crate::host::{self, HostInfo};
use crate::protocol::{JoinAck, PrivateOpened, RoomOverview, UpdateAck};
use crate::server::Control;

#[tauri::command]
pub fn suggest_port() -> u16 {
    host::suggest_port()
}

#[tauri::command]
pub async fn host_start<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    port: u16,
    password: Option<String>,
    announce: bool,
) -> IpcResult<HostInfo> {
    let mut slot = state.host.lock().await;
    if let Some(running) = slot.as_ref() {
        return Ok(host::info(running));
    }
    let dir = app
        .path()
        .app_data_dir()
        .map_err(|e| IpcError::new("storage_failed", e.to_string()))?;
    let running = host::start(port, password.filter(|p| !p.is_empty()), &dir, announce).await?;
    let info = host::info(&running);
    *slot = Some(running);
    Ok(info)
}

#[tauri::command]
pub async fn host_stop(state: State<'_, AppState>) -> IpcResult<()> {
    let running = state
        .host
        .lock()
        .await
        .take()
        .ok_or_else(IpcError::not_hosting)?;
    running
        .stop()
        .await
        .map_err(|e| IpcError::new("stop_failed", e.to_string()))
}

#[tauri::command]
pub async fn host_status(state: State<'_, AppState>) -> IpcResult<Option<HostInfo>> {
    Ok(state.host.lock().await.as_ref().map(host::info))
}

/// Every room on the server the window hosts, with its members: the host's moderation view.
#[tauri::command]
pub async fn host_rooms(state: State<'_, AppState>) -> IpcResult<Vec<RoomOverview>> {
    Ok(hosted(&state).await?.rooms().await)
}

#[tauri::command]
pub async fn host_kick(
    state: State<'_, AppState>,
    room: String,
    nick_name: String,
) -> IpcResult<()> {
    Ok(hosted(&state)
        .await?
        .kick(&room, &nick_name, "the host")
        .await?)
}

/// The controls of the server this window hosts.
async fn hosted(state: &AppState) -> IpcResult<Control> {
    state
        .host
        .lock()
        .await
        .as_ref()
        .map(|r| r.server.control.clone())
        .ok_or_else(IpcError::not_hosting)
}

/// The host deletes anyone's message in a room it serves (moderation, like a kick: only the
/// window that runs the server can ask).
#[tauri::command]
pub async fn host_delete_message(
    state: State<'_, AppState>,
    room: String,
    seq: u64,
) -> IpcResult<()> {
    Ok(hosted(&state)
        .await?
        .delete_message(&room, seq, "the host")
        .await?)
}

/// The newest messages of a room on the server the window hosts (the moderation view lists
/// them with Delete, also for rooms the window never joined).
#[tauri::command]
pub async fn host_room_messages(
    state: State<'_, AppState>,
    room: String,
) -> IpcResult<Vec<crate::protocol::Message>> {
    Ok(hosted(&state).await?.recent_messages(&room, 30).await?)
}

/// The host clears a room's history for everyone (moderation).
#[tauri::command]
pub async fn host_clear_room(state: State<'_, AppState>, room: String) -> IpcResult<()> {
    Ok(hosted(&state).await?.clear_room(&room, "the host").await?)
}

#[tauri::command]
pub async fn host_set_password(
    state: State<'_, AppState>,
    password: Option<String>,
) -> IpcResult<HostInfo> {
    let slot = state.host.lock().await;
    let running = slot.as_ref().ok_or_else(IpcError::not_hosting)?;
    running.server.control.set_password(password);
    running.refresh_announcement();
    Ok(host::info(running))
}

/// The host panel's switch: announce the hosted server on the LAN, or stop.
#[tauri::command]
pub async fn host_set_announce(state: State<'_, AppState>, announce: bool) -> IpcResult<HostInfo> {
    let mut slot = state.host.lock().await;
    let running = slot.as_mut().ok_or_else(IpcError::not_hosting)?;
    running.set_announce(announce).await?;
    Ok(host::info(running))
}

/// The host panel's switch for browsers on plain http://: allowed or refused from now on,
/// whatever the password (guests already connected stay).
#[tauri::command]
pub async fn host_set_plain_guests(state: State<'_, AppState>, allow: bool) -> IpcResult<HostInfo> {
    let slot = state.host.lock().await;
    let running = slot.as_ref().ok_or_else(IpcError::not_hosting)?;
    running.server.control.set_plain_guests(Some(allow));
    Ok(host::info(running))
}

/// Starts looking for hosts on the LAN (replacing an earlier look): the whole list goes to
/// `events` now and after every change, until `discovery_stop` or the window stops listening.
/// Returns the look's number, for `discovery_stop`.
#[tauri::command]
pub fn discovery_start(
    state: State<'_, AppState>,
    events: Channel<Vec<FoundHost>>,
) -> IpcResult<u64> {
    let browser = Browser::start()?;
    let task = tauri::async_runtime::spawn(browser.watch(move |hosts| match events.send(hosts) {
        Ok(()) => true,
        Err(e) => {
            tracing::debug!("the window stopped listening for hosts: {e}");
            false
        }
    }));
    Ok(state.set_discovery(task))
}

/// Stops look `id` (from `discovery_start`) if it is still the current one; without `id`,
/// whichever runs.
#[tauri::command]
pub fn discovery_stop(state: State<'_, AppState>, id: Option<u64>) -> IpcResult<()> {
    state.stop_discovery(id);
    Ok(())
}

#[tauri::command]
pub async fn client_connect<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    address: String,
    nick_name: String,
    password: Option<String>,
    events: Channel<ClientEvent>,
) -> IpcResult<ConnectInfo> {
    let (ticket, old) = state.client.begin_connect();
    if let Some(old) = old {
        old.disconnect().await;
    }
    let mut cfg = ClientConfig::new(address, nick_name);
    cfg.password = password.filter(|p| !p.is_empty());
    // Who this user is across restarts (edits and deletes of their messages follow it). Without
    // a data dir, this session gets an id of its own.
    cfg.user_key = match app.path().app_data_dir() {
        Ok(dir) => crate::identity::load_or_create(&dir)
            .inspect_err(|e| tracing::warn!("no user key in {}: {e}", dir.display()))
            .ok(),
        Err(_) => None,
    };
    cfg.trust = trust(&app, &state, &cfg.address).await?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let client = Client::connect(cfg, tx).await?;
    tauri::async_runtime::spawn(async move {
        while let Some(ev) = rx.recv().await {
            if let Err(e) = events.send(ev) {
                tracing::warn!("the window stopped listening: {e}");
                break;
            }
        }
    });
    let info = ConnectInfo::of(&client);
    if let Err(superseded) = state.client.finish_connect(ticket, client) {
        // Disconnect (or another connect) came while this one was under way: it wins.
        superseded.disconnect().await;
        return Err(IpcError::not_connected());
    }
    Ok(info)
}

/// The window's trust: hosts remembered in `known_hosts` in the app's data dir, a new host
/// trusted on first use (its fingerprint is on the Join screen's warning if it ever changes),
/// and the window's own server pinned to its own fingerprint.
async fn trust<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    address: &str,
) -> IpcResult<Trust> {
    let dir = app
        .path()
        .app_data_dir()
        .map_err(|e| IpcError::new("storage_failed", e.to_string()))?;
    let own = state.host.lock().await.as_ref().and_then(|h| {
        let port = h.server.addr.port();
        let target = crate::client::parse_target(address).ok()?;
        super::window::is_own_server(&target.base_url, port, &crate::net::lan_addresses())
            .then(|| h.server.control.fingerprint())
    });
    Ok(Trust {
        fingerprint: own,
        accept_new_host: true,
        known_hosts: state.known_hosts(&dir.join(crate::tls::known_hosts::FILE)),
        plain: false,
    })
}

/// The current session's handle, cloned out so the slot's lock is not held while it works.
pub(super) fn client(state: &AppState) -> IpcResult<Client> {
    state.client.get().ok_or_else(IpcError::not_connected)
}

#[tauri::command]
pub async fn client_join(state: State<'_, AppState>, room: String) -> IpcResult<JoinAck> {
    Ok(client(&state)?.join(&room).await?)
}

#[tauri::command]
pub async fn client_leave(state: State<'_, AppState>, room: String) -> IpcResult<()> {
    Ok(client(&state)?.leave(&room).await?)
}

#[tauri::command]
pub async fn client_send(
    state: State<'_, AppState>,
    room: String,
    message: String,
    client_id: String,
    reply_to: Option<u64>,
) -> IpcResult<()> {
    // Queued: the server's copy comes back as a `message` event with this clientId, and a
    // refusal (or giving up) as an `error` event with it.
    client(&state)?.send_reply(&room, &message, Some(client_id), reply_to)?;
    Ok(())
}

#[tauri::command]
pub async fn client_edit(
    state: State<'_, AppState>,
    room: String,
    seq: u64,
    message: String,
) -> IpcResult<UpdateAck> {
    Ok(client(&state)?.edit(&room, seq, &message).await?)
}

#[tauri::command]
pub async fn client_delete(
    state: State<'_, AppState>,
    room: String,
    seq: u64,
) -> IpcResult<UpdateAck> {
    Ok(client(&state)?.delete(&room, seq).await?)
}

#[tauri::command]
pub async fn client_react(
    state: State<'_, AppState>,
    room: String,
    seq: u64,
    emoji: String,
    on: bool,
) -> IpcResult<UpdateAck> {
    Ok(client(&state)?.react(&room, seq, &emoji, on).await?)
}

#[tauri::command]
pub async fn client_open_private(
    state: State<'_, AppState>,
    room: String,
    nick_name: String,
) -> IpcResult<PrivateOpened> {
    Ok(client(&state)?.open_private(&room, &nick_name).await?)
}

#[tauri::command]
pub async fn client_typing(
    state: State<'_, AppState>,
    room: String,
    typing: bool,
) -> IpcResult<()> {
    client(&state)?.typing(&room, typing);
    Ok(())
}

#[tauri::command]
pub async fn client_disconnect(state: State<'_, AppState>) -> IpcResult<()> {
    if let Some(c) = state.client.take() {
        c.disconnect().await;
    }
    Ok(())
}

/// Shows `count` unread messages on the taskbar icon where the desktop supports a badge. Best
/// effort: where it does not (Windows, most Linux panels), the window title, which the UI keeps
/// as "(3) lanchat", already shows it.
#[tauri::command]
pub fn set_unread<R: Runtime>(window: Window<R>, count: u32) -> IpcResult<()> {
    if let Err(e) = window.set_badge_count(super::window::badge(count)) {
        tracing::debug!("no taskbar badge here: {e}");
    }
    Ok(())
}
