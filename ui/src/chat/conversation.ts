//! Conversations in the chat state (issue #14), pure: folding an event row (edit, delete,
//! react, unreact — a `message` with `target`) into the message it changes, the TypeScript twin
//! of src-tauri/chat/fold.rs. Folding is idempotent, so rows replayed with `since` over messages
//! that already show them change nothing. Also: whether a message mentions us, whether we
//! reacted, and what the composer is doing (replying to or editing a message).

import type { Message, Reaction } from '../protocol';
import type { ChatMessage } from './store';

/** The picker's emoji (src-tauri/protocol/conversation.rs `QUICK_EMOJI`). */
export const QUICK_EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀', '🔥', '✅'] as const;

/** What the composer of a room is doing besides writing a new message. */
export interface ComposeTarget {
  mode: 'reply' | 'edit';
  seq: number;
  nickName: string;
  /** Reply: a short quote of the original. Edit: the text to start from. */
  text: string;
}

/** An event row: it changes the message `target` and is never shown as a line. */
export function isUpdate(m: Pick<Message, 'target'>): boolean {
  return typeof m.target === 'number';
}

/** `target` with the event row `ev` applied; the same object when nothing changes. */
export function foldUpdate(target: ChatMessage, ev: Pick<Message, 'kind' | 'message' | 'ts' | 'userId' | 'nickName' | 'mentions'>): ChatMessage {
  switch (ev.kind) {
    case 'edit':
      if (target.deleted || (target.message === ev.message && target.editedTs === ev.ts)) return target;
      return { ...target, message: ev.message, mentions: ev.mentions, editedTs: ev.ts };
    case 'delete': {
      if (target.deleted) return target;
      const { file: _file, reactions: _r, mentions: _m, ...rest } = target;
      return { ...rest, message: '', deleted: true };
    }
    case 'react': {
      if (target.deleted || !ev.userId) return target;
      const reactions = target.reactions ?? [];
      const i = reactions.findIndex((r) => r.emoji === ev.message);
      if (i >= 0 && reactions[i].by.some((x) => x.userId === ev.userId)) return target;
      const by = { userId: ev.userId, nickName: ev.nickName };
      const next: Reaction[] =
        i >= 0
          ? reactions.map((r, j) => (j === i ? { ...r, by: r.by.concat(by) } : r))
          : reactions.concat({ emoji: ev.message, by: [by] });
      return { ...target, reactions: next };
    }
    case 'unreact': {
      const reactions = target.reactions ?? [];
      if (!reactions.some((r) => r.emoji === ev.message && r.by.some((x) => x.userId === ev.userId))) return target;
      const next = reactions
        .map((r) => (r.emoji === ev.message ? { ...r, by: r.by.filter((x) => x.userId !== ev.userId) } : r))
        .filter((r) => r.by.length > 0);
      return { ...target, reactions: next };
    }
    default:
      return target;
  }
}

/** The list with `ev` folded into its target (kept in seq order); the same list when the target
 * is not loaded or nothing changes. */
export function applyUpdate(list: ChatMessage[], ev: Message): ChatMessage[] {
  const seq = ev.target;
  if (typeof seq !== 'number') return list;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].seq < seq) lo = mid + 1;
    else hi = mid;
  }
  const target = list[lo];
  if (!target || target.seq !== seq) return list;
  const next = foldUpdate(target, ev);
  if (next === target) return list;
  const out = list.slice();
  out[lo] = next;
  return out;
}

/** Whether `m` mentions `nick` (the host marks mentions of the room's members). */
export function mentions(m: Pick<Message, 'mentions'>, nick: string): boolean {
  return Boolean(m.mentions?.includes(nick));
}

/** Whether `userId` reacted to `m` with `emoji`. */
export function hasReacted(m: Pick<Message, 'reactions'>, userId: string | undefined, emoji: string): boolean {
  return Boolean(userId && m.reactions?.some((r) => r.emoji === emoji && r.by.some((x) => x.userId === userId)));
}

/** The quote a reply shows of its original, cut to about 140 characters. */
export function quoteText(text: string, max = 140): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : text;
}

/** `@`-completion: the room's members whose name starts with what follows the `@` before the
 * caret (case-insensitive), us excluded; null when the caret is not in an `@word`. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const at = before.lastIndexOf('@');
  if (at < 0) return null;
  if (at > 0 && !/\s/.test(before[at - 1])) return null;
  const query = before.slice(at + 1);
  if (query.length > 32 || /[\n@]/.test(query)) return null;
  return { start: at, query };
}

export function mentionCandidates(members: readonly string[], me: string, query: string, max = 6): string[] {
  const q = query.toLowerCase();
  return members.filter((n) => n !== me && n.toLowerCase().startsWith(q)).slice(0, max);
}
