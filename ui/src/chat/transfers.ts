//! File transfers as pure state: the sender's upload rows (queued → sending → gone once the
//! host's file message is in the room, or failed with a code), the window's downloads, and the
//! speed meter behind "3.4 MB/s". No transport or DOM here; store.ts keeps these per room and
//! app.ts feeds them.

export type UploadStatus = 'queued' | 'preparing' | 'sending' | 'done' | 'failed';

/** One of our uploads, as its row shows it. */
export interface UploadView {
  /** Local id (not the host's upload id): the row's key and the app's handle on the transfer. */
  id: string;
  name: string;
  size: number;
  mime: string;
  status: UploadStatus;
  /** Bytes the host has confirmed or the connection has taken. */
  sent: number;
  /** Bytes per second over the last few seconds; null until there is a measurement. */
  speed: number | null;
  /** `failed`: why, as an error code and the server's sentence. */
  error?: { code: string; message: string };
  /** `done`: the file message's id; the row goes when that message is in the room. */
  messageId?: string;
}

export function newUpload(id: string, file: { name: string; size: number; type: string }): UploadView {
  return { id, name: file.name, size: file.size, mime: file.type, status: 'queued', sent: 0, speed: null };
}

/** The fraction done, 0…1 (a zero-byte file is done when it is sent). */
export function fraction(u: Pick<UploadView, 'sent' | 'size'>): number {
  if (u.size <= 0) return 0;
  return Math.min(1, Math.max(0, u.sent / u.size));
}

/** Seconds left at the current speed, or null when unknown. */
export function secondsLeft(u: Pick<UploadView, 'sent' | 'size' | 'speed'>): number | null {
  if (!u.speed || u.speed <= 0) return null;
  return Math.max(0, (u.size - u.sent) / u.speed);
}

export type UploadChange =
  | { type: 'added'; upload: UploadView }
  | { type: 'progress'; id: string; sent: number; speed: number | null; status?: 'preparing' | 'sending' }
  | { type: 'done'; id: string; messageId: string }
  | { type: 'failed'; id: string; code: string; message: string }
  | { type: 'retry'; id: string }
  | { type: 'removed'; id: string };

/**
 * Applies one change to a room's upload rows. `posted` says whether a message id is already in
 * the room (a `done` upload whose message arrived first disappears at once). Returns the same
 * array when nothing changed.
 */
export function applyUpload(list: UploadView[], change: UploadChange, posted: (messageId: string) => boolean): UploadView[] {
  if (change.type === 'added') {
    return list.some((u) => u.id === change.upload.id) ? list : list.concat(change.upload);
  }
  const i = list.findIndex((u) => u.id === change.id);
  if (i < 0) return list;
  const u = list[i];
  let next: UploadView | null;
  switch (change.type) {
    case 'progress':
      // A late progress report cannot undo an end.
      if (u.status === 'done' || u.status === 'failed') return list;
      next = { ...u, sent: Math.max(0, Math.min(u.size, change.sent)), speed: change.speed, status: change.status ?? 'sending' };
      break;
    case 'done':
      next = posted(change.messageId) ? null : { ...u, status: 'done', sent: u.size, speed: null, messageId: change.messageId };
      break;
    case 'failed':
      next = { ...u, status: 'failed', speed: null, error: { code: change.code, message: change.message } };
      break;
    case 'retry':
      next = { ...u, status: 'queued', sent: 0, speed: null, error: undefined };
      break;
    case 'removed':
      next = null;
      break;
  }
  const out = list.slice();
  if (next) out[i] = next;
  else out.splice(i, 1);
  return out;
}

/** A file message arrived: the finished upload that posted it has nothing left to show. */
export function settleUploads(list: UploadView[], messageId: string): UploadView[] {
  return list.some((u) => u.messageId === messageId) ? list.filter((u) => u.messageId !== messageId) : list;
}

/**
 * Bytes per second over a sliding window of recent samples. Fed with the running total of
 * bytes sent; a restart from a lower total (a resumed upload) starts the measurement over.
 */
export class SpeedMeter {
  private samples: [number, number][] = [];

  constructor(private readonly windowMs = 3000) {}

  add(total: number, now: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && total < last[1]) this.samples = [];
    this.samples.push([now, total]);
    // Keep one sample older than the window so the rate spans all of it.
    while (this.samples.length > 2 && this.samples[1][0] <= now - this.windowMs) this.samples.shift();
  }

  /** Null until samples span at least a quarter of a second (a first burst is not a speed). */
  rate(): number | null {
    if (this.samples.length < 2) return null;
    const [t0, b0] = this.samples[0];
    const [t1, b1] = this.samples[this.samples.length - 1];
    if (t1 - t0 < 250) return null;
    return ((b1 - b0) * 1000) / (t1 - t0);
  }
}

/** A download into the window's Downloads folder, as the file card shows it. */
export interface DownloadView {
  status: 'saving' | 'saved' | 'failed';
  received: number;
  total: number;
  /** `saved`: where the file is, for "Open" and "Show in folder". */
  path?: string;
  error?: { code: string; message: string };
}

export type DownloadChange =
  | { type: 'progress'; key: string; received: number; total: number }
  | { type: 'saved'; key: string; path: string }
  | { type: 'failed'; key: string; code: string; message: string };

/** Downloads by message id. */
export function applyDownload(map: Record<string, DownloadView>, change: DownloadChange): Record<string, DownloadView> {
  const cur = map[change.key];
  let next: DownloadView;
  switch (change.type) {
    case 'progress':
      next = { status: 'saving', received: change.received, total: change.total };
      break;
    case 'saved':
      next = { status: 'saved', received: cur?.total ?? 0, total: cur?.total ?? 0, path: change.path };
      break;
    case 'failed':
      next = { status: 'failed', received: cur?.received ?? 0, total: cur?.total ?? 0, error: { code: change.code, message: change.message } };
      break;
  }
  return { ...map, [change.key]: next };
}
