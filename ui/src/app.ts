//! The app controller: owns the transport, the chat store and the session (nickname, server,
//! hosting, language), and turns user intents ("join this room", "send this") into transport
//! calls and store actions. Views read its snapshot and call its methods; it never touches the
//! DOM except `document.title`.

import { type ComposeTarget, hasReacted, quoteText } from './chat/conversation';
import { spanOf } from './chat/pages';
import { type Action, type ChatState, documentTitle, findRoom, initialState, mentionsMe, reduce, shouldNotify } from './chat/store';
import { TypingSignal } from './chat/typing';
import { FileTransfers } from './fileTransfers';
import { type Lang, pickLang, type Translate, translator } from './i18n';
import { randomId } from './ids';
import { isPrivateRoom } from './protocol';
import { connectAddress, formatHostPort } from './invite';
import type { Notifier } from './notify';
import { addRecent, prefs, type ThemeChoice } from './prefs';
import { applyTheme } from './theme';
import {
  type ClientEvent,
  type HostInfo,
  type Message,
  type PageAt,
  type RoomOverview,
  type SearchResults,
  type ServerInfo,
  type Transport,
  TransportError,
  toTransportError,
} from './transport/types';

export type Phase = 'nick' | 'setup' | 'chat';

export interface ServerSession {
  /** `http://host:port` (or the page origin for browser guests). */
  url: string;
  hostPort: string;
  info: ServerInfo;
  /** Kept to rejoin rooms after a kick without asking again. */
  password?: string;
  /** We are connected to the server this computer hosts. */
  own: boolean;
  /**
   * The node of a cluster the client moved to (`host:port`) when the one joined stopped answering;
   * shown in the header. `hostPort` stays the address joined (recent servers, last read).
   */
  node?: string;
}

export interface Session {
  phase: Phase;
  nickName: string | null;
  server: ServerSession | null;
  hosting: HostInfo | null;
  /** The room the host's invite link points to. */
  hostRoom: string;
  lang: Lang;
  theme: ThemeChoice;
}

export interface JoinRequest {
  url: string;
  hostPort: string;
  /** The host's fingerprint to pin (invite link, discovery record). */
  fingerprint?: string;
  room: string;
  password?: string;
  own?: boolean;
}

export class ChatApp {
  chat: ChatState;
  session: Session;
  t: Translate;
  readonly isDesktop: boolean;
  /** Our uploads and the window's downloads (fileTransfers.ts). */
  readonly files: FileTransfers;
  private listeners = new Set<() => void>();
  private typingSignals = new Map<string, TypingSignal>();
  private tickTimer: ReturnType<typeof setInterval> | null = null;
  /** The password this window started its server with, to join it without asking. */
  private hostPassword: string | null = null;
  /** Rooms with a history page on its way (one at a time per room). */
  private paging = new Set<string>();
  /** A message the list should scroll to and flash (a search result, once loaded). */
  focus: { room: string; seq: number; n: number } | null = null;
  private focusCount = 0;

  constructor(
    readonly transport: Transport,
    private readonly notifier: Notifier,
    opts: { languages?: readonly string[]; attention?: boolean } = {},
  ) {
    this.isDesktop = Boolean(transport.host);
    const lang = pickLang(prefs.lang(), opts.languages ?? []);
    const nickName = prefs.nick();
    this.session = {
      phase: nickName ? 'setup' : 'nick',
      nickName,
      server: null,
      hosting: null,
      hostRoom: prefs.hostRoom(),
      lang,
      theme: prefs.theme(),
    };
    this.t = translator(lang);
    this.chat = initialState(opts.attention ?? true);
    this.files = new FileTransfers(transport, (a) => this.dispatch(a));
    transport.onEvent((ev) => this.onEvent(ev));
  }

  // ---- observation ----

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit() {
    if (typeof document !== 'undefined') document.title = documentTitle(this.chat, this.t('app.name'));
    for (const fn of this.listeners) fn();
  }

  private dispatch(action: Action) {
    const next = reduce(this.chat, action);
    if (next === this.chat) return;
    this.chat = next;
    this.scheduleTick();
    this.emit();
  }

  private patch(p: Partial<Session>) {
    this.session = { ...this.session, ...p };
    this.emit();
  }

  /** Expires typing indicators while any are shown. */
  private scheduleTick() {
    const anyTyping = this.chat.rooms.some((r) => Object.keys(r.typing).length > 0);
    if (anyTyping && !this.tickTimer) {
      this.tickTimer = setInterval(() => this.dispatch({ type: 'tick', now: Date.now() }), 1000);
    } else if (!anyTyping && this.tickTimer) {
      clearInterval(this.tickTimer);
      this.tickTimer = null;
    }
  }

  private onEvent(ev: ClientEvent) {
    if (shouldNotify(this.chat, ev) && ev.type === 'message') {
      const body = ev.message.length > 200 ? `${ev.message.slice(0, 200)}…` : ev.message;
      const title = isPrivateRoom(ev.room) ? 'notify.private' : mentionsMe(this.chat, ev) ? 'notify.mention' : 'notify.title';
      this.notifier.show(this.t(title, { nick: ev.nickName, room: ev.room }), body);
    }
    this.dispatch({ type: 'event', ev, now: Date.now() });
    if (ev.type === 'privateInvite') this.acceptInvite(ev.room, ev.nickName, ev.lastSeq);
    if (ev.type === 'state' && ev.server && this.session.server) this.movedTo(ev.server);
  }

  /** Our node of a cluster went away and another took us in: the header names it. */
  private movedTo(url: string) {
    const server = this.session.server;
    let node: string;
    try {
      node = new URL(url).host;
    } catch {
      return;
    }
    if (server) this.patch({ server: { ...server, node: node === server.hostPort ? undefined : node } });
  }

  /**
   * Someone wrote privately: join the conversation (its history is the message), say so. At
   * connect the host offers conversations whose newest message is theirs (`lastSeq`): those
   * already read that far stay closed.
   */
  private acceptInvite(room: string, nickName: string, lastSeq?: number) {
    const r = findRoom(this.chat, room);
    if (r && (r.status === 'joined' || r.status === 'joining')) return;
    const read = this.lastRead(room);
    if (lastSeq !== undefined && read !== null && read >= lastSeq) return;
    this.notifier.show(this.t('notify.privateInvite', { nick: nickName }), '');
    this.joinRoom(room, nickName, true).then(
      () => this.dispatch({ type: 'markUnread', room }),
      (e) => this.report(e),
    );
  }

  // ---- session ----

  setLang(lang: Lang) {
    prefs.setLang(lang);
    this.t = translator(lang);
    if (typeof document !== 'undefined') document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    this.patch({ lang });
  }

  /** System, light or dark; remembered, and applied to the page at once. */
  setTheme(theme: ThemeChoice) {
    prefs.setTheme(theme);
    if (typeof document !== 'undefined') applyTheme(document, theme);
    this.patch({ theme });
  }

  setNick(nickName: string) {
    const nick = nickName.trim();
    prefs.setNick(nick);
    this.patch({ nickName: nick, phase: this.session.server ? 'chat' : 'setup' });
  }

  /** Shows the nickname prompt (prefilled with the remembered one) before anything else. */
  requireNick() {
    this.patch({ phase: 'nick' });
  }

  /** Shows a failure that belongs to no form as a toast. */
  report(e: unknown) {
    const err = toTransportError(e);
    this.dispatch({ type: 'toast', code: err.code, message: err.message });
  }

  /** Back to the nickname prompt (leaving the server: the nickname is per connection). */
  async changeNick() {
    await this.leaveServer();
    this.patch({ phase: 'nick' });
  }

  setAttention(value: boolean) {
    if (value !== this.chat.attention) this.dispatch({ type: 'attention', value });
  }

  askNotifications() {
    this.notifier.ask();
  }

  // ---- servers and rooms ----

  /** Connects (unless already connected there) and joins the first room; then shows the chat. */
  async joinServer(req: JoinRequest): Promise<void> {
    const nickName = this.session.nickName;
    if (!nickName) throw new TransportError('invalid_nick', 'no nickname');
    const cur = this.session.server;
    if (!cur || cur.url !== req.url || this.chat.connection === 'disconnected') {
      if (cur) await this.leaveServer();
      const address = connectAddress(req);
      const info = await this.transport.connect({ address, nickName, password: req.password });
      this.session = {
        ...this.session,
        server: { url: req.url, hostPort: req.hostPort, info, password: req.password, own: Boolean(req.own) },
      };
    }
    try {
      await this.joinRoom(req.room);
    } catch (e) {
      if (this.chat.rooms.length === 0) await this.leaveServer();
      throw e;
    }
    if (!req.own) {
      const name = this.session.server?.info.name || undefined;
      prefs.setRecent(addRecent(prefs.recent(), { address: req.hostPort, room: req.room, at: Date.now(), name }));
    }
    this.patch({ phase: 'chat' });
  }

  /**
   * Joins `room` and shows it; `peer` names the other person of a private conversation, and a
   * `background` join (someone else's private invite) leaves the active room as it is.
   */
  async joinRoom(room: string, peer?: string, background = false): Promise<void> {
    const name = room.trim();
    const nickName = this.session.nickName ?? '';
    this.dispatch({ type: 'joining', room: name, nickName, peer });
    try {
      const ack = await this.transport.join(name);
      this.dispatch({ type: 'joined', ack, background });
    } catch (e) {
      this.dispatch({ type: 'joinFailed', room: name });
      throw toTransportError(e);
    }
  }

  async leaveRoom(room: string): Promise<void> {
    this.typingSignals.get(room)?.stop();
    this.typingSignals.delete(room);
    this.files.abandon(room);
    const r = findRoom(this.chat, room);
    const live = r && (r.status === 'joined' || r.status === 'joining');
    this.dispatch({ type: 'left', room });
    if (live) {
      try {
        await this.transport.leave(room);
      } catch (e) {
        const err = toTransportError(e);
        if (err.code !== 'not_in_room' && err.code !== 'not_connected') throw err;
      }
    }
  }

  /** Opens (joining if needed) the private conversation with `nickName`, who is in `room`. */
  async openPrivate(room: string, nickName: string): Promise<void> {
    const opened = await this.transport.openPrivate(room, nickName);
    const r = findRoom(this.chat, opened.room);
    if (r?.status !== 'joined') await this.joinRoom(opened.room, opened.nickName);
    this.activate(opened.room);
  }

  activate(room: string) {
    const prev = this.chat.active;
    if (prev && prev !== room) this.typingSignals.get(prev)?.stop();
    this.dispatch({ type: 'activate', room });
  }

  /** Disconnects and returns to the setup screen. */
  async leaveServer(): Promise<void> {
    for (const s of this.typingSignals.values()) s.stop();
    this.typingSignals.clear();
    this.files.abandon();
    const had = this.session.server !== null;
    this.session = { ...this.session, server: null, phase: this.session.nickName ? 'setup' : 'nick' };
    this.dispatch({ type: 'reset' });
    if (had) {
      try {
        await this.transport.disconnect();
      } catch (e) {
        console.warn('lanchat: disconnect failed', e);
      }
    }
    this.emit();
  }

  // ---- messages ----

  /** Sends to the active room. Returns false when there is nothing to send or no live room. */
  send(text: string): boolean {
    const room = findRoom(this.chat, this.chat.active);
    if (!room || room.status !== 'joined' || text.trim() === '') return false;
    this.typingSignals.get(room.name)?.stop();
    const compose = room.compose;
    if (compose) this.dispatch({ type: 'compose', room: room.name, target: null });
    if (compose?.mode === 'edit') {
      if (text !== compose.text) this.transport.edit(room.name, compose.seq, text).catch((e) => this.report(e));
      return true;
    }
    const clientId = randomId();
    const replyTo = compose?.mode === 'reply' ? compose.seq : undefined;
    this.dispatch({ type: 'pending', room: room.name, clientId, message: text, ts: Date.now(), replyTo });
    this.deliver(room.name, text, clientId, replyTo);
    return true;
  }

  // ---- conversations: replies, edits, deletes, reactions ----

  /** The composer of the active room replies to (or edits) message `seq`. */
  startCompose(mode: ComposeTarget['mode'], seq: number) {
    const room = findRoom(this.chat, this.chat.active);
    const m = room?.messages.find((x) => x.seq === seq);
    if (!room || !m || m.deleted) return;
    if (mode === 'edit' && (!m.own || m.kind !== 'chat')) return;
    const text = mode === 'edit' ? m.message : quoteText(m.message || m.file?.name || '');
    this.dispatch({ type: 'compose', room: room.name, target: { mode, seq, nickName: m.nickName, text } });
  }

  cancelCompose() {
    const room = this.chat.active;
    if (room) this.dispatch({ type: 'compose', room, target: null });
  }

  /** Whether this window may delete anyone's message: it hosts the server it is in. */
  canModerate(): boolean {
    return Boolean(this.session.hosting && this.session.server?.own && this.transport.host);
  }

  /** Toggles our `emoji` on message `seq` of the active room. */
  react(seq: number, emoji: string) {
    const room = findRoom(this.chat, this.chat.active);
    const m = room?.messages.find((x) => x.seq === seq);
    if (!room || !m) return;
    const on = !hasReacted(m, room.userId, emoji);
    this.transport.react(room.name, seq, emoji, on).catch((e) => this.report(e));
  }

  /** Deletes message `seq` of the active room: ours, or anyone's when we host. */
  deleteMessage(seq: number) {
    const room = findRoom(this.chat, this.chat.active);
    const m = room?.messages.find((x) => x.seq === seq);
    if (!room || !m) return;
    const done = m.own
      ? this.transport.deleteMessage(room.name, seq)
      : (this.transport.host?.deleteMessage(room.name, seq) ?? Promise.resolve());
    done.catch((e) => this.report(e));
  }

  /** Sends files to the active room (picked, dropped or pasted). False when there is no live room. */
  sendFiles(files: Iterable<File>): boolean {
    const room = findRoom(this.chat, this.chat.active);
    const list = [...files];
    if (!room || room.status !== 'joined' || list.length === 0) return false;
    this.files.send(room.name, list);
    return true;
  }

  // ---- history and search ----

  /** Whether a page of `room` is on its way. */
  isPaging(room: string): boolean {
    return this.paging.has(room);
  }

  /**
   * Loads a page of `room`'s history (docs/protocol.md, `history`) into the store. One at a time
   * per room: resolves false at once while another is on its way. Rejects with the host's code.
   */
  async loadPage(room: string, at: PageAt, limit = 100): Promise<boolean> {
    if (this.paging.has(room)) return false;
    this.paging.add(room);
    this.emit();
    try {
      const page = await this.transport.history(room, at, limit);
      this.dispatch({ type: 'page', room, at, page });
      return true;
    } finally {
      this.paging.delete(room);
      this.emit();
    }
  }

  /** Scrolling up: the page before the oldest loaded message. */
  loadOlder(room: string): Promise<boolean> {
    const first = findRoom(this.chat, room)?.messages[0];
    return first ? this.loadPage(room, { before: first.seq }) : Promise.resolve(false);
  }

  /** Searches the room's history (plain words; the last one also as a prefix). */
  search(room: string, q: string): Promise<SearchResults> {
    return this.transport.search(room, q, 50);
  }

  /** Shows message `seq` of `room`: loads the page around it unless it is loaded, then asks the
   * list to scroll to it and flash it. */
  async jumpTo(room: string, seq: number): Promise<void> {
    const r = findRoom(this.chat, room);
    if (!r) return;
    if (!spanOf(r.spans, seq) || !r.messages.some((m) => m.seq === seq)) {
      // Wait for a page already on its way, then load the one around `seq`.
      for (let i = 0; i < 50 && this.paging.has(room); i++) await new Promise((ok) => setTimeout(ok, 100));
      await this.loadPage(room, { around: seq }, 50);
    }
    this.focus = { room, seq, n: ++this.focusCount };
    this.emit();
  }

  /** The list scrolled to the focused message. */
  focused(n: number) {
    if (this.focus?.n === n) this.focus = null;
  }

  /** The last message read in `room` on this server, remembered across runs. */
  lastRead(room: string): number | null {
    const server = this.session.server?.hostPort;
    return server ? prefs.lastRead(server, room) : null;
  }

  /** The user has seen `room` up to `seq` (its newest message, read at the bottom). */
  markRead(room: string, seq: number) {
    const server = this.session.server?.hostPort;
    if (server) prefs.setLastRead(server, room, seq);
  }

  /** A path from a file message as a URL the page can load (thumbnails, the viewer, links). */
  fileUrl(path: string): string | null {
    return this.transport.fileUrl(path);
  }

  retry(room: string, clientId: string) {
    const p = findRoom(this.chat, room)?.pending.find((x) => x.clientId === clientId);
    if (!p) return;
    this.dispatch({ type: 'retry', room, clientId });
    this.deliver(room, p.message, clientId, p.replyTo);
  }

  discard(room: string, clientId: string) {
    this.dispatch({ type: 'discard', room, clientId });
  }

  private deliver(room: string, text: string, clientId: string, replyTo?: number) {
    this.transport.send(room, text, clientId, replyTo).catch((e) => {
      const err = toTransportError(e);
      this.dispatch({ type: 'sendFailed', room, clientId, error: err.message || err.code });
    });
  }

  /** Called on every composer edit of the active room. */
  composing(empty: boolean) {
    const room = this.chat.active;
    if (!room || findRoom(this.chat, room)?.status !== 'joined') return;
    let sig = this.typingSignals.get(room);
    if (!sig) {
      sig = new TypingSignal((typing) => {
        this.transport.typing(room, typing).catch(() => undefined);
      });
      this.typingSignals.set(room, sig);
    }
    sig.input(empty);
  }

  dismissToast(id: number) {
    this.dispatch({ type: 'dismissToast', id });
  }

  dismissServerNotice() {
    this.dispatch({ type: 'dismissServerNotice' });
  }

  // ---- hosting (desktop only) ----

  async refreshHosting(): Promise<void> {
    const host = this.transport.host;
    if (!host) return;
    try {
      this.patch({ hosting: await host.status() });
    } catch (e) {
      console.warn('lanchat: host_status failed', e);
    }
  }

  setHostRoom(room: string) {
    prefs.setHostRoom(room);
    this.patch({ hostRoom: room });
  }

  /**
   * Starts the room server here (announced on the LAN when `announce`, remembered for next
   * time), then joins it like any peer would.
   */
  async startHosting(port: number, password: string | null, announce = prefs.hostAnnounce()): Promise<void> {
    const host = this.transport.host;
    if (!host) throw new TransportError('not_hosting', 'hosting needs the desktop app');
    prefs.setHostAnnounce(announce);
    const hosting = await host.start(port, password, announce);
    this.hostPassword = password;
    prefs.setHostPort(hosting.port);
    this.patch({ hosting });
    await this.joinOwnServer();
  }

  /** Whether joining our own server needs a password this window does not know (after a reload). */
  get needsHostPassword(): boolean {
    return Boolean(this.session.hosting?.passwordRequired) && !this.hostPassword;
  }

  /** Joins the server this computer hosts, over loopback, like any peer. */
  async joinOwnServer(password?: string): Promise<void> {
    const hosting = this.session.hosting;
    if (!hosting) throw new TransportError('not_hosting', 'not hosting');
    const pw = password ?? this.hostPassword ?? undefined;
    await this.joinServer({
      url: `http://127.0.0.1:${hosting.port}`,
      hostPort: formatHostPort('127.0.0.1', hosting.port),
      room: this.session.hostRoom.trim() || 'lobby',
      password: pw || undefined,
      own: true,
    });
    if (pw) this.hostPassword = pw;
  }

  async stopHosting(): Promise<void> {
    const host = this.transport.host;
    if (!host) return;
    const own = this.session.server?.own;
    await host.stop();
    this.hostPassword = null;
    this.patch({ hosting: null });
    if (own) await this.leaveServer();
  }

  async kick(room: string, nickName: string): Promise<void> {
    await this.transport.host?.kick(room, nickName);
  }

  /** A hosted room's newest messages (the moderation view). */
  async hostedMessages(room: string): Promise<Message[]> {
    return (await this.transport.host?.roomMessages(room)) ?? [];
  }

  /** Deletes anyone's message in a room this window hosts (the moderation view). */
  async hostDelete(room: string, seq: number): Promise<void> {
    await this.transport.host?.deleteMessage(room, seq);
  }

  /** Clears a hosted room's history for everyone (the moderation view). */
  async clearRoom(room: string): Promise<void> {
    await this.transport.host?.clearRoom(room);
  }

  /** Every occupied room on the server this window hosts, with its members (empty otherwise). */
  async hostedRooms(): Promise<RoomOverview[]> {
    return (await this.transport.host?.rooms()) ?? [];
  }

  /** Kick from the member list: failures become toasts. */
  kickQuietly(room: string, nickName: string) {
    this.kick(room, nickName).catch((e) => this.report(e));
  }

  /** The host panel's switch: announce the server on the LAN, or stop (remembered). */
  async setAnnounce(announce: boolean): Promise<void> {
    const host = this.transport.host;
    if (!host) return;
    const hosting = await host.setAnnounce(announce);
    prefs.setHostAnnounce(announce);
    this.patch({ hosting });
  }

  /** The host panel's switch: let browsers join over plain http://, or refuse new ones. */
  async setPlainGuests(allow: boolean): Promise<void> {
    const host = this.transport.host;
    if (!host) return;
    const hosting = await host.setPlainGuests(allow);
    this.patch({ hosting });
  }

  async setHostPassword(password: string | null): Promise<void> {
    const host = this.transport.host;
    if (!host) return;
    const hosting = await host.setPassword(password);
    this.hostPassword = password;
    const server = this.session.server;
    this.patch({
      hosting,
      server: server?.own ? { ...server, password: password ?? undefined } : server,
    });
  }
}
