//! Opening links outside the app. In the desktop window a link must go to the system browser
//! (the opener plugin), not replace the chat; in a browser page `<a target="_blank">` already
//! does the right thing, so no opener is set there.

type Opener = (href: string) => Promise<void>;

let opener: Opener | null = null;

export function setExternalOpener(fn: Opener | null): void {
  opener = fn;
}

/** Click handler for message links: hands http(s) links to the opener when there is one. */
export function onLinkClick(e: MouseEvent, href: string): void {
  if (!opener || !/^https?:\/\//i.test(href)) return;
  e.preventDefault();
  opener(href).catch((err) => console.warn('lanchat: could not open link', err));
}
