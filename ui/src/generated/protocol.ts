// Generated from the Rust types by `src-tauri/typescript.rs` (ts-rs). Do not edit:
// change the Rust type, then run `UPDATE_TS=1 cargo test --lib typescript`.

export type Kind = "chat" | "join" | "leave" | "kick" | "system" | "file" | "edit" | "delete" | "react" | "unreact" | "clear";

export type FileMeta = { 
/**
 * The file's name, cleaned by the host (no path, no control or bidi characters, at most
 * 255 bytes).
 */
name: string, 
/**
 * Size in bytes.
 */
size: number, 
/**
 * The type the host found in the file's first bytes (`image/png`, `application/pdf`, …);
 * otherwise the sender's claim, never an image type the bytes do not back, or
 * `application/octet-stream`. Show a preview only when `width` and `height` are present.
 */
mime: string, 
/**
 * SHA-256 of the content, lower-case hex.
 */
sha256: string, 
/**
 * Pixel size, present only for a verified PNG, JPEG, GIF or WebP image.
 */
width?: number, height?: number, 
/**
 * Download link relative to the server (`/files/<sha256>/<name>?room=…&sig=…`): a
 * capability — whoever has the message has the link.
 */
url: string, 
/**
 * A small preview (at most 320 × 320, JPEG or PNG), when the host could make one.
 */
thumbUrl?: string, };

export type Quote = { 
/**
 * The original's seq, in the same room.
 */
seq: number, nickName: string, 
/**
 * Its first [`QUOTE_CHARS`] characters (current text: edits show, a delete empties it).
 */
text: string, deleted?: boolean, };

export type Reactor = { userId: string, nickName: string, };

export type Reaction = { emoji: string, by: Array<Reactor>, };

export type Message = { id: string, room: string, seq: number, ts: number, kind: Kind, nickName: string, message: string, clientId?: string, history?: boolean, 
/**
 * The shared file, on `kind: "file"` messages only.
 */
file?: FileMeta, 
/**
 * The author's public id (docs/security.md, "Identity"): who may edit it. Absent on
 * notices and on messages stored before identities.
 */
userId?: string, 
/**
 * On event rows only: the seq of the message the row changes.
 */
target?: number, 
/**
 * The message this one replies to.
 */
reply?: Quote, 
/**
 * Nicknames `@mentioned` in the text that were members of the room when it was sent (or
 * last edited).
 */
mentions?: Array<string>, 
/**
 * Folded state: when the text was last edited (ms since the epoch).
 */
editedTs?: number, 
/**
 * Folded state: deleted (its text, file and reactions are gone).
 */
deleted?: boolean, 
/**
 * Folded state: reactions, in the order each emoji first appeared.
 */
reactions?: Array<Reaction>, };

export type JoinAck = { room: string, nickName: string, lastSeq: number, members: Array<string>, 
/**
 * Members connected over plain HTTP (unencrypted), sorted; absent when none.
 */
unencrypted?: Array<string>, 
/**
 * The history replayed before this ack was cut at the server's byte budget: rejoin with
 * `since` = the last seq received for the rest.
 */
more?: boolean, 
/**
 * The joiner's own public user id (so it knows which messages are its own).
 */
userId?: string, };

export type SendAck = { id: string, seq: number, ts: number, duplicate: boolean, };

export type UpdateAck = { seq?: number, };

export type UploadTicket = { 
/**
 * The upload's id (128 random bits, hex): whoever has it may send this file's bytes.
 */
id: string, 
/**
 * `/api/uploads/<id>`, relative to the server.
 */
url: string, 
/**
 * Bytes the host already has (non-zero when resuming the same `clientId`).
 */
offset: number, 
/**
 * The host's largest accepted file, in bytes.
 */
maxSize: number, };

export type FileUploadAck = { upload?: UploadTicket, sent?: SendAck, };

export type Members = { room: string, members: Array<string>, 
/**
 * Those of `members` on an unencrypted link (plain HTTP guests); absent when none.
 */
unencrypted?: Array<string>, };

export type Presence = { room: string, joined: Array<string>, left: Array<string>, 
/**
 * Those of `joined` on an unencrypted link; absent when none.
 */
unencrypted?: Array<string>, };

export type Typing = { room: string, nickName: string, typing: boolean, };

export type Kicked = { room: string, by: string, reason: string, };

export type PrivateOpened = { room: string, 
/**
 * The other person's nickname when it was opened.
 */
nickName: string, };

export type PrivateInvite = { room: string, 
/**
 * Who wrote, with the nickname they have in the private room.
 */
nickName: string, 
/**
 * At connect: the seq of their newest message there.
 */
lastSeq?: number, };

export type HistoryPage = { room: string, messages: Array<Message>, 
/**
 * Older messages exist before the first one here (or, on an empty page, before the anchor).
 */
more: boolean, 
/**
 * Newer messages exist after the last one here (always false for `before` pages, which end
 * at the anchor: the client has what follows).
 */
moreAfter: boolean, };

export type SearchHit = { seq: number, ts: number, nickName: string, 
/**
 * Up to about 16 words of the message around what matched, the matched words between
 * [`HIT_START`] and [`HIT_END`]. Those two are control characters, which no stored message
 * or file name can contain, so a client splits on them and shows the parts as text.
 */
snippet: string, };

export type SearchResults = { room: string, results: Array<SearchHit>, 
/**
 * More (older) messages matched than `limit`.
 */
more: boolean, };

export type ServerClosing = { message: string, };

export type ErrorCode = "invalid_payload" | "invalid_room" | "invalid_nick" | "invalid_message" | "message_too_long" | "invalid_client_id" | "nick_taken" | "not_in_room" | "too_many_rooms" | "rate_limited" | "kicked" | "unknown_event" | "storage_failed" | "shutting_down" | "files_disabled" | "file_too_large" | "quota_exceeded" | "too_many_uploads" | "not_found" | "offset_mismatch" | "forbidden" | "upload_stalled" | "no_such_message" | "not_author" | "not_editable" | "message_deleted" | "invalid_emoji" | "too_many_reactions" | "private_to_self" | "private_room" | "tls_required" | "invalid_query";

export type WireError = { code: ErrorCode, message: string, };

export type RequestError = { event: string, code: ErrorCode, message: string, };

export type RoomInfo = { name: string, members: number, };

export type NodeInfo = { 
/**
 * The node's number in the cluster (a restarted node gets a new one).
 */
id: number, 
/**
 * Where clients reach it, e.g. `http://192.168.1.20:7878`.
 */
url: string, 
/**
 * Its connections, as of its last heartbeat.
 */
connections: number, };

export type RoomOverview = { name: string, 
/**
 * Nicknames, sorted.
 */
members: Array<string>, 
/**
 * Those of them on an unencrypted (plain HTTP) link.
 */
unencrypted: Array<string>, 
/**
 * The room's last seq: how many messages it has had.
 */
lastSeq: number, };

export type ServerInfo = { server: string, name: string, version: string, passwordRequired: boolean, rooms: Array<RoomInfo>, 
/**
 * The host's certificate fingerprint (64 hex digits): its identity. Read over plain HTTP
 * it proves nothing (anyone on the path can change it); clients pin it from an invite,
 * a discovery record or first use, and check it in the TLS handshake.
 */
fingerprint?: string, 
/**
 * Cluster mode: every live node of the cluster, this one included (absent on a single
 * host). A client whose node dies reconnects to another and resumes with `since`.
 */
nodes?: Array<NodeInfo>, };

export type ConnState = "connecting" | "connected" | "reconnecting" | "disconnected";

export type ClientEvent = { "type": "message" } & Message | { "type": "members" } & Members | { "type": "typing" } & Typing | { "type": "state", state: ConnState, reason?: string, 
/**
 * On `connected`, when the client moved to another node of a cluster (its own node
 * stopped answering): that node's address, `https://host:port`.
 */
server?: string, } | { "type": "kicked" } & Kicked | { "type": "privateInvite" } & PrivateInvite | { "type": "serverClosing" } & ServerClosing | { "type": "error", code: string, message: string, room?: string, clientId?: string, };

export type ConnectInfo = { legacy: boolean, 
/**
 * Where the page loads file messages' links (`/files/…`, `/thumbs/…`) from: the client's
 * tunnel, `http://127.0.0.1:PORT`, which reaches the host over pinned TLS (`client/tunnel.rs`).
 */
baseUrl: string, server: string, name: string, version: string, passwordRequired: boolean, rooms: Array<RoomInfo>, 
/**
 * The host's certificate fingerprint (64 hex digits): its identity. Read over plain HTTP
 * it proves nothing (anyone on the path can change it); clients pin it from an invite,
 * a discovery record or first use, and check it in the TLS handshake.
 */
fingerprint?: string, 
/**
 * Cluster mode: every live node of the cluster, this one included (absent on a single
 * host). A client whose node dies reconnects to another and resumes with `since`.
 */
nodes?: Array<NodeInfo>, };

export type TransferProgress = { 
/**
 * Bytes the host has taken (upload) or that are on disk (download).
 */
done: number, total: number, };

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
announcedAs: string | null, 
/**
 * The host's certificate fingerprint, 64 hex digits (shown in groups of four).
 */
fingerprint: string, 
/**
 * Whether browsers may use plain http:// now: by default only while no password is set,
 * or as the host panel's switch says (`host_set_plain_guests`).
 */
plainGuests: boolean, };

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
people: number, 
/**
 * The host's certificate fingerprint (64 hex digits) from its record, if it sent one:
 * joining from this entry pins it (docs/security.md).
 */
fingerprint?: string, };
