//! Message text with its http(s) URLs as links. Text goes in as text nodes and links as `<a>`
//! elements (Preact sets `href` as a property): no HTML is ever parsed from a message.

import { linkify } from '../chat/linkify';
import { onLinkClick } from '../external';

export function MessageText({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((seg, i) =>
        seg.type === 'link' ? (
          <a
            key={i}
            href={seg.href}
            target="_blank"
            rel="noopener noreferrer"
            onClick={(e) => onLinkClick(e, seg.href)}
          >
            {seg.text}
          </a>
        ) : (
          seg.text
        ),
      )}
    </>
  );
}
