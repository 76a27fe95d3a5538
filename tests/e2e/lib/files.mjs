// Files for the file-sharing checks: real PNGs made here (no fixtures to keep in git), a
// PDF-looking blob, their SHA-256, and the in-page ways a file reaches the chat — a drop on the
// room, the paperclip's file input, a paste — built from bytes passed in as base64, so the
// same code paths run as when a person drags, picks or pastes.

import crypto from 'node:crypto';
import zlib from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** An RGB PNG of `width`×`height`: a diagonal gradient in the hue of `hue` (0–360), with noise. */
export function png(width, height, hue = 220) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  const [r0, g0, b0] = [Math.cos((hue * Math.PI) / 180), Math.cos(((hue - 120) * Math.PI) / 180), Math.cos(((hue + 120) * Math.PI) / 180)];
  let seed = hue * 7919 + width;
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const t = (x / width + y / height) / 2;
      const noise = (seed % 9) - 4;
      const px = row + 1 + x * 3;
      raw[px] = Math.max(0, Math.min(255, Math.round(128 + 110 * r0 * (1 - t) + 60 * t + noise)));
      raw[px + 1] = Math.max(0, Math.min(255, Math.round(128 + 110 * g0 * (1 - t) - 30 * t + noise)));
      raw[px + 2] = Math.max(0, Math.min(255, Math.round(128 + 110 * b0 * t + noise)));
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** `size` bytes starting like a PDF (the host recognises it), the rest a repeatable pattern. */
export function pdf(size) {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + 7) % 251;
  b.write('%PDF-1.4\n', 0, 'ascii');
  return b;
}

export const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

/**
 * Runs in the page: builds a File from base64 and hands it to the chat the way `how` says —
 * `drop` (a drop event on the room), `input` (the paperclip's file input), or `paste` (a paste
 * event on the composer). Returns whether the page took it (the event's default was prevented,
 * or the input had a change listener run).
 */
export function giveFileInPage(how, name, type, base64) {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const file = new File([bytes], name, { type });
  const dt = new DataTransfer();
  dt.items.add(file);
  if (how === 'input') {
    const input = document.querySelector('[data-testid="file-input"]');
    input.files = dt.files;
    input.dispatchEvent(new Event('change', { bubbles: true }));
    return true;
  }
  if (how === 'paste') {
    const composer = document.querySelector('[data-testid="composer"]');
    composer.focus();
    const ev = new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true });
    composer.dispatchEvent(ev);
    return ev.defaultPrevented;
  }
  const pane = document.querySelector('.room-pane');
  const fire = (type) => {
    const ev = new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true });
    pane.dispatchEvent(ev);
    return ev;
  };
  fire('dragenter');
  fire('dragover');
  return fire('drop').defaultPrevented;
}
