// Generated from the Rust types by `src-tauri/typescript.rs` (ts-rs). Do not edit:
// change the Rust type, then run `UPDATE_TS=1 cargo test --lib typescript`.

export type Kind = "chat" | "join" | "leave" | "kick" | "system";

export type Message = { id: string, room: string, seq: number, ts: number, kind: Kind, nickName: string, message: string, clientId?: string, history?: boolean, };

export type JoinAck = { room: string, nickName: string, lastSeq: number, members: Array<string>, 
/**
 * The history replayed before this ack was cut at the server's byte budget: rejoin with
 * `since` = the last seq received for the rest.
 */
more?: boolean, };

export type SendAck = { id: string, seq: number, ts: number, duplicate: boolean, };

export type Members = { room: string, members: Array<string>, };

export type Presence = { room: string, joined: Array<string>, left: Array<string>, };

export type Typing = { room: string, nickName: string, typing: boolean, };

export type Kicked = { room: string, by: string, reason: string, };

export type ServerClosing = { message: string, };

export type ErrorCode = "invalid_payload" | "invalid_room" | "invalid_nick" | "invalid_message" | "message_too_long" | "invalid_client_id" | "nick_taken" | "not_in_room" | "too_many_rooms" | "rate_limited" | "kicked" | "unknown_event" | "storage_failed" | "shutting_down";

export type WireError = { code: ErrorCode, message: string, };

export type RequestError = { event: string, code: ErrorCode, message: string, };

export type RoomInfo = { name: string, members: number, };

export type ServerInfo = { server: string, name: string, version: string, passwordRequired: boolean, rooms: Array<RoomInfo>, };

export type ConnState = "connecting" | "connected" | "reconnecting" | "disconnected";

export type ClientEvent = { "type": "message" } & Message | { "type": "members" } & Members | { "type": "typing" } & Typing | { "type": "state", state: ConnState, reason?: string, } | { "type": "kicked" } & Kicked | { "type": "serverClosing" } & ServerClosing | { "type": "error", code: string, message: string, room?: string, clientId?: string, };

export type ConnectInfo = { legacy: boolean, server: string, name: string, version: string, passwordRequired: boolean, rooms: Array<RoomInfo>, };

export type HostInfo = { port: number, 
/**
 * LAN IPv4 addresses others can use ("192.168.1.20"), best first; loopback and virtual
 * adapters are left out.
 */
addresses: Array<string>, passwordRequired: boolean, 
/**
 * The mDNS instance the server is announced as on the LAN
 * (`lanchat-1a2b3c4d5e6f._lanchat._tcp.local.`), or null when it is not announced.
 */
announcedAs: string | null, };

export type IpcError = { code: string, message: string, };

export type FoundHost = { 
/**
 * The DNS-SD instance (`lanchat-1a2b3c4d5e6f._lanchat._tcp.local.`): the same while the
 * host runs, a new one each time it starts.
 */
id: string, 
/**
 * The host's display name (its `--name`; by default the computer's name). Never empty: a
 * host that sends none is shown by its address.
 */
name: string, 
/**
 * `host:port` to join: the best of `addresses` (on one of our own subnets first).
 */
address: string, 
/**
 * Every IPv4 address the host was announced with, best first.
 */
addresses: Array<string>, port: number, 
/**
 * The host's lanchat version, as it says.
 */
version: string, passwordRequired: boolean, 
/**
 * Connections to the host right now (about the number of people; the host's own window
 * counts as one). Refreshed by the host every few seconds.
 */
people: number, };
