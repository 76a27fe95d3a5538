import { afterEach, describe, expect, it, vi } from 'vitest';
import { onLinkClick, setExternalOpener } from '../src/external';

function click() {
  return { preventDefault: vi.fn() } as unknown as MouseEvent;
}

describe('external links', () => {
  afterEach(() => setExternalOpener(null));

  it('leaves links alone in a browser page (no opener)', () => {
    const e = click();
    onLinkClick(e, 'https://example.com');
    expect(e.preventDefault).not.toHaveBeenCalled();
  });

  it('hands http(s) links to the system browser in the window', () => {
    const open = vi.fn(async () => {});
    setExternalOpener(open);
    const e = click();
    onLinkClick(e, 'https://example.com/a');
    expect(e.preventDefault).toHaveBeenCalled();
    expect(open).toHaveBeenCalledWith('https://example.com/a');
  });

  it('never opens other schemes', () => {
    const open = vi.fn(async () => {});
    setExternalOpener(open);
    onLinkClick(click(), 'javascript:alert(1)');
    expect(open).not.toHaveBeenCalled();
  });
});
