//! How a room is named on screen: `#name` for rooms, `@nick` for private conversations (whose
//! real names, `dm:<id>:<id>`, mean nothing to people). One place, so the sidebar, the header,
//! the composer and the drop zone agree.

import type { RoomView } from '../chat/store';
import type { Translate } from '../i18n';
import { isPrivateRoom } from '../protocol';

/** The sigil shown before a room's name. */
export function roomSigil(room: Pick<RoomView, 'name'>): '#' | '@' {
  return isPrivateRoom(room.name) ? '@' : '#';
}

/** The name shown for a room, without its sigil. */
export function roomName(room: Pick<RoomView, 'name' | 'peer'>, t: Translate): string {
  return isPrivateRoom(room.name) ? room.peer ?? t('pm.someone') : room.name;
}

/** Sigil and name: `#lobby`, `@ann`. */
export function roomLabel(room: Pick<RoomView, 'name' | 'peer'>, t: Translate): string {
  return `${roomSigil(room)}${roomName(room, t)}`;
}
