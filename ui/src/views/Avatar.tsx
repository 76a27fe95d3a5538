//! A round initial for a nickname; its colour (one of eight CSS classes) follows from the name,
//! so each person keeps the same colour everywhere without inline styles.

export function avatarHue(nick: string): number {
  let h = 0;
  for (let i = 0; i < nick.length; i++) h = (h * 31 + nick.charCodeAt(i)) >>> 0;
  return h % 8;
}

export function Avatar({ nick }: { nick: string }) {
  const initial = [...nick.trim()][0]?.toUpperCase() ?? '?';
  return (
    <span class={`avatar av-${avatarHue(nick)}`} aria-hidden="true">
      {initial}
    </span>
  );
}
