//! Join, leave, removal and clear notices in the reader's language. The host sends them as English
//! sentences (tutorial clients show the text as it is); they also carry their kind and the
//! member's nickname, so the UI says them again in its own words. Anything else — a system
//! notice, or a removal in words that are not the host's own — is shown as sent.

import type { Translate } from '../i18n';
import type { ChatMessage } from './store';

/** The text a notice row shows. */
export function noticeText(msg: Pick<ChatMessage, 'kind' | 'nickName' | 'message'>, t: Translate): string {
  const nick = msg.nickName;
  switch (msg.kind) {
    case 'join':
      return t('notice.joined', { nick });
    case 'leave':
      return t('notice.left', { nick });
    case 'clear':
      return t('notice.cleared', { nick });
    case 'kick': {
      // The host's sentence is "NICK was removed by BY" (chat/kick.rs): BY is the rest.
      const lead = `${nick} was removed by `;
      return msg.message.startsWith(lead) ? t('notice.removed', { nick, by: msg.message.slice(lead.length) }) : msg.message;
    }
    default:
      return msg.message;
  }
}
