//! What the UI says about a file, as pure functions: sizes as people read them (the host's
//! `human_size` rules, so a message's text line and its card agree), which files show as an
//! inline picture, a short type label, the name a pasted screenshot gets, and whether a link
//! from the server is one the page may load.

import type { FileMeta } from '../generated/protocol';

/** `512 B`, `1.2 KB`, `3.4 MB`, `2.0 GB`: powers of 1000, one decimal (src-tauri/protocol/file.rs). */
export function formatSize(bytes: number): string {
  const units = ['KB', 'MB', 'GB', 'TB', 'PB'];
  if (!Number.isFinite(bytes) || bytes < 1000) return `${Math.max(0, Math.floor(bytes || 0))} B`;
  let v = bytes / 1000;
  let unit = 0;
  while (v >= 999.95 && unit + 1 < units.length) {
    v /= 1000;
    unit += 1;
  }
  return `${v.toFixed(1)} ${units[unit]}`;
}

/** Bytes per second as `1.2 MB/s`. */
export function formatSpeed(bytesPerSecond: number): string {
  return `${formatSize(bytesPerSecond)}/s`;
}

/** The four raster formats the host verifies and thumbnails (docs/protocol.md, "Files"). */
export const INLINE_IMAGE_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

/**
 * Whether a file shows as a picture: only when the host read a real PNG, JPEG, GIF or WebP
 * header (it then sets `width` and `height`) and made a preview. Anything else is a file card
 * with a download button, whatever its name or claimed type says.
 */
export function showsInline(f: FileMeta): boolean {
  return Boolean(f.width && f.height && f.thumbUrl && INLINE_IMAGE_TYPES.includes(f.mime));
}

/** The size a preview is drawn at: the image's own shape, at most `max` px either way. */
export function previewBox(width: number, height: number, max = 320): { width: number; height: number } {
  if (!(width > 0) || !(height > 0)) return { width: max, height: max };
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

const MIME_LABELS: Record<string, string> = {
  'application/pdf': 'PDF',
  'application/zip': 'ZIP',
  'application/gzip': 'GZIP',
  'application/x-7z-compressed': '7Z',
  'application/x-tar': 'TAR',
  'application/json': 'JSON',
  'text/plain': 'TXT',
  'image/jpeg': 'JPEG',
  'image/svg+xml': 'SVG',
};

/**
 * A short type for the card: `PDF`, `PNG`, `ZIP`… What the host found in the bytes when it is a
 * plain type (`image/png`), else the name's extension, else `FILE`.
 */
export function typeLabel(mime: string, name: string): string {
  const known = MIME_LABELS[mime];
  if (known) return known;
  const [top, sub = ''] = mime.split('/');
  const plain = /^[a-z0-9]{1,8}$/.test(sub);
  if (plain && (top === 'image' || top === 'audio' || top === 'video')) return sub.toUpperCase();
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(name)?.[1];
  if (ext) return ext.toUpperCase();
  return plain && mime !== 'application/octet-stream' ? sub.toUpperCase() : 'FILE';
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `screenshot-2026-11-30-142501.png`, in local time; the extension follows the image type. */
export function screenshotName(at: Date, mime: string): string {
  const ext = { 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp' }[mime] ?? 'png';
  const day = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
  const time = `${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`;
  return `screenshot-${day}-${time}.${ext}`;
}

/**
 * The name a pasted file is sent under. Browsers call a bitmap from the clipboard (a screenshot)
 * `image.png` (or give it no name); a file copied in a file manager keeps its own name.
 */
export function pastedName(file: { name: string; type: string }, at: Date): string {
  const generic = file.name === '' || /^image\.(png|jpe?g|gif|webp)$/i.test(file.name);
  return generic && file.type.startsWith('image/') ? screenshotName(at, file.type) : file.name || 'file';
}

/**
 * Whether `link` is a path on the server we talk to (`/files/…`, `/thumbs/…`), as the host
 * writes them: never another host (`//evil/`, `http://…`) or a script (`javascript:`).
 */
export function isServerPath(link: string): boolean {
  return link.startsWith('/') && !link.startsWith('//') && !link.includes('\\') && !/[\s\u0000-\u001f]/.test(link);
}

/** The link with `dl=1`: the host then sends even an image as an attachment (a download). */
export function attachmentLink(link: string): string {
  return `${link}${link.includes('?') ? '&' : '?'}dl=1`;
}
