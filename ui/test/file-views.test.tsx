// @vitest-environment jsdom
// The file views: a card previews only host-verified pictures and links only to the connected
// server; hostile names stay text; an upload row's progress bar carries its values; a refusal
// reads in words.

import { render } from 'preact';
import { beforeEach, describe, expect, it } from 'vitest';
import { ChatApp } from '../src/app';
import type { FileMeta } from '../src/generated/protocol';
import type { Transport } from '../src/transport/types';
import { AppContext } from '../src/views/context';
import { FileCard } from '../src/views/FileCard';
import { UploadRow } from '../src/views/UploadRow';
import { newUpload } from '../src/chat/transfers';

const transport = {
  kind: 'browser',
  onEvent: () => () => undefined,
  fileUrl: (p: string) => (p.startsWith('/') && !p.startsWith('//') ? `http://host:7878${p}` : null),
} as unknown as Transport;

let app: ChatApp;
beforeEach(() => {
  localStorage.clear();
  app = new ChatApp(transport, { ask() {}, show() {} });
});

function mount(node: preact.ComponentChild): HTMLElement {
  const el = document.createElement('div');
  render(<AppContext.Provider value={app}>{node}</AppContext.Provider>, el);
  return el;
}

const pic: FileMeta = {
  name: 'cat.png',
  size: 48213,
  mime: 'image/png',
  sha256: 'ab'.repeat(32),
  width: 640,
  height: 480,
  url: '/files/ab/cat.png?room=r&sig=1',
  thumbUrl: '/thumbs/ab?room=r&sig=1',
};

describe('file cards', () => {
  it('preview a verified picture at its shape and link the download to the same server', () => {
    const el = mount(<FileCard messageId="m1" file={pic} onView={() => undefined} />);
    const img = el.querySelector('[data-testid="file-thumb"] img')!;
    expect(img.getAttribute('src')).toBe('http://host:7878/thumbs/ab?room=r&sig=1');
    expect([img.getAttribute('width'), img.getAttribute('height')]).toEqual(['320', '240']);
    const a = el.querySelector('a[data-testid="file-download"]')!;
    expect(a.getAttribute('href')).toBe('http://host:7878/files/ab/cat.png?room=r&sig=1&dl=1');
    expect(a.getAttribute('download')).toBe('cat.png');
    expect(el.querySelector('[data-testid="file-meta"]')!.textContent).toBe('PNG · 48.2 KB · 640 x 480');
  });

  it('show anything else as a file, names as text, and no link to another host', () => {
    const svg = { ...pic, name: '<img src=x onerror=alert(1)>.svg', mime: 'image/svg+xml', width: undefined, height: undefined, thumbUrl: undefined };
    let el = mount(<FileCard messageId="m2" file={svg} onView={() => undefined} />);
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('[data-testid="file-name"]')!.textContent).toBe(svg.name);
    expect(el.querySelector('[data-testid="file-name"] *')).toBeNull();
    el = mount(<FileCard messageId="m3" file={{ ...pic, url: '//evil.example/x', thumbUrl: 'http://evil.example/t' }} onView={() => undefined} />);
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('a')).toBeNull();
  });
});

describe('upload rows', () => {
  const file = { name: 'big.zip', size: 2_000_000, type: 'application/zip' };

  it('carry the progress as role=progressbar values, with speed and time left', () => {
    const u = { ...newUpload('u1', file), status: 'sending' as const, sent: 500_000, speed: 100_000 };
    const el = mount(<UploadRow u={u} room="r" nickName="me" />);
    const bar = el.querySelector('[role="progressbar"]')!;
    expect(bar.getAttribute('aria-valuenow')).toBe('25');
    expect(bar.getAttribute('aria-label')).toBe('Uploading big.zip');
    expect(el.querySelector('[data-testid="upload-detail"]')!.textContent).toBe('500.0 KB of 2.0 MB · 100.0 KB/s · 15 s left');
    expect(el.querySelector('[data-testid="upload-cancel"]')!.getAttribute('aria-label')).toBe('Cancel sending big.zip');
  });

  it('have no value before the first byte (indeterminate)', () => {
    const el = mount(<UploadRow u={{ ...newUpload('u1', file), status: 'preparing' }} room="r" nickName="me" />);
    expect(el.querySelector('[role="progressbar"]')!.hasAttribute('aria-valuenow')).toBe(false);
  });

  it('say a refusal in words, in both languages, with Retry only where it can help', () => {
    const failed = (code: string) => ({ ...newUpload('u1', file), status: 'failed' as const, error: { code, message: 'server words' } });
    let el = mount(<UploadRow u={failed('file_too_large')} room="r" nickName="me" />);
    expect(el.querySelector('[data-testid="upload-error"]')!.textContent).toBe('That file is larger than this host accepts.');
    expect(el.querySelector('[data-testid="upload-retry"]')).toBeNull();
    app.setLang('zh');
    el = mount(<UploadRow u={failed('quota_exceeded')} room="r" nickName="me" />);
    expect(el.querySelector('[data-testid="upload-error"]')!.textContent).toBe('主持人的文件存储空间已满。');
    expect(el.querySelector('[data-testid="upload-retry"]')).not.toBeNull();
    el = mount(<UploadRow u={failed('brand_new_code')} room="r" nickName="me" />);
    expect(el.querySelector('[data-testid="upload-error"]')!.textContent).toBe('server words');
  });
});
