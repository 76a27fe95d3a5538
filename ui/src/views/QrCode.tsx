//! The invite link as a QR code, encoded locally by the `qrcode` package and drawn as one SVG
//! path (no network, no innerHTML, no inline style). The encoder is loaded on first use: only
//! hosts see QR codes, so browser guests never download it.

import { useEffect, useState } from 'preact/hooks';

const QUIET = 4; // modules of white border scanners need around the code
/** Target width in px; each module gets a whole number of pixels so edges stay crisp. */
const TARGET_PX = 152;

interface Drawn {
  text: string;
  size: number;
  path: string;
}

async function draw(text: string): Promise<Drawn> {
  const { create } = await import('qrcode');
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  let path = '';
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (modules.get(row, col)) path += `M${col} ${row}h1v1h-1z`;
    }
  }
  return { text, size: modules.size, path };
}

export function QrCode({ text, label }: { text: string; label: string }) {
  const [drawn, setDrawn] = useState<Drawn | null>(null);
  useEffect(() => {
    let live = true;
    draw(text)
      .then((d) => live && setDrawn(d))
      .catch((e) => console.warn('lanchat: QR code failed', e));
    return () => {
      live = false;
    };
  }, [text]);

  const size = drawn?.size ?? 21;
  const box = size + QUIET * 2;
  const px = box * Math.max(3, Math.floor(TARGET_PX / box));
  return (
    <svg
      class="qr-code"
      data-testid="invite-qr"
      data-text={drawn?.text ?? ''}
      role="img"
      aria-label={label}
      width={px}
      height={px}
      viewBox={`${-QUIET} ${-QUIET} ${box} ${box}`}
      shape-rendering="crispEdges"
    >
      <rect x={-QUIET} y={-QUIET} width={box} height={box} fill="#ffffff" />
      {drawn && <path d={drawn.path} fill="#111827" />}
    </svg>
  );
}
