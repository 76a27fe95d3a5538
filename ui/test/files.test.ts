// What the UI says about a file: sizes as the host writes them, which files show as pictures,
// type labels, screenshot names, and which links the page may load.

import { describe, expect, it } from 'vitest';
import {
  attachmentLink,
  formatSize,
  formatSpeed,
  isServerPath,
  pastedName,
  previewBox,
  screenshotName,
  showsInline,
  typeLabel,
} from '../src/chat/files';
import type { FileMeta } from '../src/generated/protocol';

const meta = (extra: Partial<FileMeta> = {}): FileMeta => ({
  name: 'cat.png',
  size: 48213,
  mime: 'image/png',
  sha256: 'ab'.repeat(32),
  url: '/files/ab/cat.png?room=lobby&sig=1',
  ...extra,
});

describe('file sizes', () => {
  it('reads like the host writes them (src-tauri/protocol/file.rs human_size)', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(999)).toBe('999 B');
    expect(formatSize(1000)).toBe('1.0 KB');
    expect(formatSize(48213)).toBe('48.2 KB');
    expect(formatSize(1_234_567)).toBe('1.2 MB');
    expect(formatSize(999_990)).toBe('1.0 MB');
    expect(formatSize(2 * 2 ** 30)).toBe('2.1 GB');
    expect(formatSize(-5)).toBe('0 B');
    expect(formatSize(Number.NaN)).toBe('0 B');
  });

  it('says speeds per second', () => {
    expect(formatSpeed(5_100_000)).toBe('5.1 MB/s');
  });
});

describe('pictures', () => {
  it('shows a file inline only when the host verified a raster image and made a preview', () => {
    const pic = meta({ width: 640, height: 480, thumbUrl: '/thumbs/ab?room=lobby&sig=1' });
    expect(showsInline(pic)).toBe(true);
    expect(showsInline({ ...pic, width: undefined })).toBe(false); // the host did not read a header
    expect(showsInline({ ...pic, thumbUrl: undefined })).toBe(false); // past the decoding limits
    expect(showsInline({ ...pic, mime: 'image/svg+xml' })).toBe(false); // never SVG
    expect(showsInline({ ...pic, mime: 'text/html' })).toBe(false);
    for (const mime of ['image/jpeg', 'image/gif', 'image/webp']) expect(showsInline({ ...pic, mime })).toBe(true);
  });

  it('draws a preview in the picture’s own shape, at most 320 px', () => {
    expect(previewBox(640, 480)).toEqual({ width: 320, height: 240 });
    expect(previewBox(100, 4000)).toEqual({ width: 8, height: 320 });
    expect(previewBox(200, 100)).toEqual({ width: 200, height: 100 });
    expect(previewBox(0, 0)).toEqual({ width: 320, height: 320 });
  });
});

describe('type labels', () => {
  it('uses the host’s type when it is specific, else the extension', () => {
    expect(typeLabel('application/pdf', 'x.bin')).toBe('PDF');
    expect(typeLabel('image/png', 'cat.png')).toBe('PNG');
    expect(typeLabel('image/jpeg', 'a.jpg')).toBe('JPEG');
    expect(typeLabel('application/octet-stream', 'build.tar.xz')).toBe('XZ');
    expect(typeLabel('application/octet-stream', 'README')).toBe('FILE');
    expect(typeLabel('application/x-msdownload', 'setup.exe')).toBe('EXE');
    expect(typeLabel('image/png', 'misnamed.jpg')).toBe('PNG');
    expect(typeLabel('application/wasm', 'noext')).toBe('WASM');
    expect(typeLabel('application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'a.docx')).toBe('DOCX');
  });
});

describe('pasted files', () => {
  const at = new Date(2026, 10, 30, 14, 5, 9);

  it('names a screenshot by the time it was pasted', () => {
    expect(screenshotName(at, 'image/png')).toBe('screenshot-2026-11-30-140509.png');
    expect(screenshotName(at, 'image/jpeg')).toBe('screenshot-2026-11-30-140509.jpg');
    expect(pastedName({ name: 'image.png', type: 'image/png' }, at)).toBe('screenshot-2026-11-30-140509.png');
    expect(pastedName({ name: '', type: 'image/webp' }, at)).toBe('screenshot-2026-11-30-140509.webp');
  });

  it('keeps the name of a file copied in a file manager', () => {
    expect(pastedName({ name: 'holiday.png', type: 'image/png' }, at)).toBe('holiday.png');
    expect(pastedName({ name: 'notes.txt', type: 'text/plain' }, at)).toBe('notes.txt');
    expect(pastedName({ name: '', type: 'application/pdf' }, at)).toBe('file');
  });
});

describe('links', () => {
  it('loads only paths on the server we talk to', () => {
    expect(isServerPath('/files/ab/cat.png?room=lobby&sig=1')).toBe(true);
    expect(isServerPath('/thumbs/ab?room=lobby&sig=1')).toBe(true);
    for (const bad of ['//evil.example/x', 'http://evil.example/x', 'javascript:alert(1)', '/\\evil', '/a b', '', 'files/x']) {
      expect(isServerPath(bad), bad).toBe(false);
    }
  });

  it('asks for an attachment with dl=1', () => {
    expect(attachmentLink('/files/ab/cat.png?room=r&sig=1')).toBe('/files/ab/cat.png?room=r&sig=1&dl=1');
    expect(attachmentLink('/files/ab/cat.png')).toBe('/files/ab/cat.png?dl=1');
  });
});
