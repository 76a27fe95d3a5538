//! Every string the UI shows, in English and Simplified Chinese, in one table. English is the
//! reference: a key missing from another language falls back to it. Server notices (join/leave
//! sentences) come from the server in English and are shown as they are.

import type { AnyErrorCode } from './protocol';

const en = {
  'app.name': 'lanchat',
  'lang.label': 'Language',
  'theme.label': 'Theme',
  'settings.label': 'Language and theme',
  'theme.system': 'System',
  'theme.light': 'Light',
  'theme.dark': 'Dark',
  'state.connecting': 'Connecting…',
  'state.connected': 'Connected',
  'state.reconnecting': 'Reconnecting…',
  'state.disconnected': 'Offline',
  'nick.title': 'Welcome to lanchat',
  'nick.subtitle': 'Chat with everyone on your local network. What should others call you?',
  'nick.label': 'Nickname',
  'nick.placeholder': 'e.g. Alice',
  'nick.continue': 'Continue',
  'nick.change': 'Change nickname',
  'setup.hello': 'Hi, {nick}',
  'host.title': 'Host on this computer',
  'host.subtitle': 'Start a room server that others on your network can join.',
  'host.port': 'Port',
  'host.password': 'Password (optional)',
  'host.passwordHint': 'Guests will need it to connect.',
  'host.badPort': 'A port is a number from 1 to 65535.',
  'host.start': 'Start hosting',
  'host.starting': 'Starting…',
  'host.stop': 'Stop server',
  'host.running': 'Hosting on port {port}',
  'host.protected': 'Password protected',
  'host.open': 'No password',
  'host.addresses': 'Your addresses on this network',
  'host.noAddresses': 'No LAN address found. Are you connected to a network?',
  'host.inviteRoom': 'Room to invite to',
  'host.invite': 'Invite link',
  'host.copy': 'Copy',
  'host.copied': 'Copied!',
  'host.qr': 'Scan with a phone on the same network',
  'host.qrAlt': 'QR code of the invite link',
  'host.openChat': 'Open chat',
  'host.panel': 'Hosting',
  'host.people': 'People in {room}',
  'host.kick': 'Kick',
  'host.kickLabel': 'Kick {nick} from {room}',
  'host.newPassword': 'New password (empty: none)',
  'host.setPassword': 'Update',
  'join.title': 'Join a room',
  'join.subtitle': "Enter the host's address, or paste an invite link.",
  'join.address': 'Server address or invite link',
  'join.addressPlaceholder': '192.168.1.20:7878',
  'join.room': 'Room',
  'join.password': 'Password',
  'join.button': 'Join',
  'join.joining': 'Joining…',
  'join.recent': 'Recent servers',
  'join.forget': 'Forget {server}',
  'join.badAddress': "That doesn't look like an address. Try 192.168.1.20:7878.",
  'guest.title': 'Join {room}',
  'guest.titleNoRoom': 'Join a room',
  'guest.subtitle': 'on {server}',
  'guest.rooms': 'Rooms on this server',
  'chat.rooms': 'Rooms',
  'chat.joinPlaceholder': '+ Join a room',
  'chat.memberCount': '{n} members',
  'chat.memberCountOne': '1 member',
  'chat.join': 'Join',
  'chat.leave': 'Leave {room}',
  'chat.unread': '{n} unread',
  'chat.members': 'Members',
  'chat.roomsUnread': 'Rooms, {n} unread',
  'chat.you': 'you',
  'chat.composer': 'Message #{room}',
  'chat.send': 'Send',
  'chat.hint': 'Enter to send · Shift+Enter for a new line',
  'chat.sending': 'Sending…',
  'chat.failed': 'Not sent: {reason}',
  'chat.retry': 'Retry',
  'chat.discard': 'Discard',
  'chat.empty': 'No messages yet. Say hi!',
  'chat.noRoom': 'You are not in any room. Join one from the room list.',
  'chat.kicked': 'You were removed from #{room} by {by}.',
  'chat.lost': 'You are no longer in #{room}: {reason}',
  'chat.rejoin': 'Join again',
  'chat.serverClosing': 'The server is closing: {message}',
  'chat.disconnect': 'Leave server',
  'chat.messages': 'Messages in #{room}',
  'chat.today': 'Today',
  'common.close': 'Close',
  'common.dismiss': 'Dismiss',
  'typing.one': '{a} is typing…',
  'typing.two': '{a} and {b} are typing…',
  'typing.three': '{a}, {b} and {c} are typing…',
  'typing.many': '{n} people are typing…',
  'notify.title': '{nick} in #{room}',
  'err.password_required': 'This server needs a password.',
  'err.bad_password': 'Wrong password.',
  'err.server_full': 'The server is full. Try again later.',
  'err.connect_failed': 'Could not reach the server. Check the address and that you are on the same network.',
  'err.not_connected': 'Not connected to a server.',
  'err.timeout': 'The server did not answer in time.',
  'err.nick_taken': 'Someone in this room already uses that nickname.',
  'err.invalid_room': 'Room names are 1–64 characters, without control characters.',
  'err.invalid_nick': 'Nicknames are 1–32 characters, without control characters.',
  'err.invalid_message': 'That message is empty or has invalid characters.',
  'err.message_too_long': 'That message is too long.',
  'err.rate_limited': 'You are sending too fast. Slow down a little.',
  'err.kicked': 'The host removed you from this room. Wait a bit or ask the host.',
  'err.too_many_rooms': 'You are in too many rooms. Leave one first.',
  'err.not_in_room': 'You are not in that room.',
  'err.storage_failed': 'The server could not store the message.',
  'err.invalid_payload': 'The server did not understand that request.',
  'err.invalid_client_id': 'The server did not accept that message id.',
  'err.unknown_event': 'The server does not know that request.',
  'err.shutting_down': 'The server is shutting down.',
  'err.files_disabled': 'This host does not accept files.',
  'err.file_too_large': 'That file is larger than this host accepts.',
  'err.quota_exceeded': 'The host has no room left for files.',
  'err.too_many_uploads': 'Too many uploads are unfinished. Finish or cancel one first.',
  'err.not_found': 'That upload or file is not there any more.',
  'err.offset_mismatch': 'The upload got out of step; it will continue from where the host is.',
  'err.forbidden': 'That link is not valid.',
  'err.upload_stalled': 'The upload stopped sending; it can continue from where it stopped.',
  'err.port_in_use': 'That port is already in use. Pick another one.',
  'err.not_hosting': 'This computer is not hosting a server.',
  'err.unknown': 'Something went wrong.',
} as const;

export type MessageKey = keyof typeof en;
/** Every key (English has them all). */
export const MESSAGE_KEYS = Object.keys(en) as MessageKey[];

// Every error code the server, the IPC layer or a refused connection can send has a sentence: a
// new Rust `ErrorCode` (generated into generated/protocol.ts) fails the type check here.
type UntranslatedError = Exclude<`err.${AnyErrorCode}`, MessageKey>;
const everyErrorHasText: [UntranslatedError] extends [never] ? true : UntranslatedError = true;
void everyErrorHasText;

const zh: Partial<Record<MessageKey, string>> = {
  'lang.label': '语言',
  'theme.label': '主题',
  'settings.label': '语言和主题',
  'theme.system': '跟随系统',
  'theme.light': '浅色',
  'theme.dark': '深色',
  'state.connecting': '正在连接…',
  'state.connected': '已连接',
  'state.reconnecting': '正在重新连接…',
  'state.disconnected': '离线',
  'nick.title': '欢迎使用 lanchat',
  'nick.subtitle': '和同一局域网里的所有人聊天。大家该怎么称呼你？',
  'nick.label': '昵称',
  'nick.placeholder': '例如：小明',
  'nick.continue': '继续',
  'nick.change': '修改昵称',
  'setup.hello': '你好，{nick}',
  'host.title': '在本机创建聊天室',
  'host.subtitle': '启动一个聊天服务器，同一网络中的其他人都可以加入。',
  'host.port': '端口',
  'host.password': '密码（可选）',
  'host.passwordHint': '访客需要输入密码才能连接。',
  'host.badPort': '端口须为 1 到 65535 之间的数字。',
  'host.start': '开始创建',
  'host.starting': '正在启动…',
  'host.stop': '停止服务器',
  'host.running': '正在端口 {port} 上运行',
  'host.protected': '已设密码',
  'host.open': '无密码',
  'host.addresses': '本机在此网络中的地址',
  'host.noAddresses': '没有找到局域网地址。你连上网络了吗？',
  'host.inviteRoom': '邀请加入的房间',
  'host.invite': '邀请链接',
  'host.copy': '复制',
  'host.copied': '已复制！',
  'host.qr': '用同一网络中的手机扫码加入',
  'host.qrAlt': '邀请链接的二维码',
  'host.openChat': '进入聊天',
  'host.panel': '主持',
  'host.people': '{room} 中的成员',
  'host.kick': '移出',
  'host.kickLabel': '将 {nick} 移出 {room}',
  'host.newPassword': '新密码（留空表示无密码）',
  'host.setPassword': '更新',
  'join.title': '加入聊天室',
  'join.subtitle': '输入主持人的地址，或粘贴邀请链接。',
  'join.address': '服务器地址或邀请链接',
  'join.room': '房间',
  'join.password': '密码',
  'join.button': '加入',
  'join.joining': '正在加入…',
  'join.recent': '最近的服务器',
  'join.forget': '忘记 {server}',
  'join.badAddress': '这看起来不像地址。试试 192.168.1.20:7878。',
  'guest.title': '加入 {room}',
  'guest.titleNoRoom': '加入聊天室',
  'guest.subtitle': '服务器：{server}',
  'guest.rooms': '此服务器上的房间',
  'chat.rooms': '房间',
  'chat.joinPlaceholder': '+ 加入房间',
  'chat.memberCount': '{n} 位成员',
  'chat.memberCountOne': '1 位成员',
  'chat.join': '加入',
  'chat.leave': '离开 {room}',
  'chat.unread': '{n} 条未读',
  'chat.members': '成员',
  'chat.roomsUnread': '房间，{n} 条未读',
  'chat.you': '你',
  'chat.composer': '发消息到 #{room}',
  'chat.send': '发送',
  'chat.hint': 'Enter 发送 · Shift+Enter 换行',
  'chat.sending': '发送中…',
  'chat.failed': '未发送：{reason}',
  'chat.retry': '重试',
  'chat.discard': '丢弃',
  'chat.empty': '还没有消息，打个招呼吧！',
  'chat.noRoom': '你还没有加入任何房间。请从房间列表中加入一个。',
  'chat.kicked': '你已被 {by} 移出 #{room}。',
  'chat.lost': '你已不在 #{room} 中：{reason}',
  'chat.rejoin': '重新加入',
  'chat.serverClosing': '服务器即将关闭：{message}',
  'chat.disconnect': '离开服务器',
  'chat.messages': '#{room} 中的消息',
  'chat.today': '今天',
  'common.close': '关闭',
  'common.dismiss': '关闭提示',
  'typing.one': '{a} 正在输入…',
  'typing.two': '{a} 和 {b} 正在输入…',
  'typing.three': '{a}、{b} 和 {c} 正在输入…',
  'typing.many': '{n} 人正在输入…',
  'notify.title': '{nick}（#{room}）',
  'err.password_required': '此服务器需要密码。',
  'err.bad_password': '密码错误。',
  'err.server_full': '服务器已满，请稍后再试。',
  'err.connect_failed': '无法连接到服务器。请检查地址，并确认你们在同一网络中。',
  'err.not_connected': '尚未连接到服务器。',
  'err.timeout': '服务器没有及时响应。',
  'err.nick_taken': '这个房间里已经有人使用该昵称。',
  'err.invalid_room': '房间名须为 1–64 个字符，且不含控制字符。',
  'err.invalid_nick': '昵称须为 1–32 个字符，且不含控制字符。',
  'err.invalid_message': '消息为空或包含无效字符。',
  'err.message_too_long': '消息太长了。',
  'err.rate_limited': '发送太快了，请稍等一下。',
  'err.kicked': '主持人已将你移出此房间。请稍后再试或联系主持人。',
  'err.too_many_rooms': '你加入的房间太多了，请先离开一个。',
  'err.not_in_room': '你不在那个房间里。',
  'err.storage_failed': '服务器无法保存该消息。',
  'err.invalid_payload': '服务器无法理解该请求。',
  'err.invalid_client_id': '服务器不接受该消息编号。',
  'err.unknown_event': '服务器不认识该请求。',
  'err.shutting_down': '服务器正在关闭。',
  'err.port_in_use': '该端口已被占用，请换一个。',
  'err.not_hosting': '本机没有在运行服务器。',
  'err.unknown': '出了点问题。',
};

export type Lang = 'en' | 'zh';
export const LANGS: { id: Lang; label: string }[] = [
  { id: 'en', label: 'English' },
  { id: 'zh', label: '简体中文' },
];

const tables: Record<Lang, Partial<Record<MessageKey, string>>> = { en, zh };

export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;

/** Looks `key` up in `lang`, falling back to English, then to the key itself. */
export function translate(lang: Lang, key: MessageKey, params?: Params): string {
  const text = tables[lang]?.[key] ?? en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** The saved choice if there is one, else the first browser language we have. */
export function pickLang(saved: string | null, preferred: readonly string[]): Lang {
  if (saved === 'en' || saved === 'zh') return saved;
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'zh') return 'zh';
    if (base === 'en') return 'en';
  }
  return 'en';
}

/** A server/IPC error code as a sentence for the user; unknown codes show the server's text. */
export function errorText(t: Translate, code: string, fallback?: string): string {
  const key = `err.${code}` as MessageKey;
  if (key in en) return t(key);
  return fallback || t('err.unknown');
}

export function translator(lang: Lang): Translate {
  return (key, params) => translate(lang, key, params);
}
