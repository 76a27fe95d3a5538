//! The file side of the controller: the sender's upload queue (a few at a time, in the order
//! they were picked, each cancellable and retryable) and the window's downloads. It turns
//! transport progress into store actions at a few per second, so a fast upload does not
//! re-render the room hundreds of times a second. app.ts owns one and hands it the dispatch.

import type { Action } from './chat/store';
import { newUpload, SpeedMeter } from './chat/transfers';
import { randomId } from './ids';
import { CANCELLED, type FileMeta, type Transport, toTransportError } from './transport/types';

/** Uploads on the wire at once; the rest wait their turn (the host allows 8 unfinished each). */
export const PARALLEL_UPLOADS = 2;
/** Progress reaches the store at most this often per transfer. */
const PAINT_MS = 200;

interface Job {
  room: string;
  file: File;
  /** Waiting for a turn, on the wire, or failed (waiting for Retry or Dismiss). */
  state: 'waiting' | 'running' | 'failed';
  /** While running: aborting it cancels the transfer. */
  ctl: AbortController | null;
}

export class FileTransfers {
  /** Our uploads by local id, in the order they were queued (Map keeps insertion order). */
  private jobs = new Map<string, Job>();

  constructor(
    private readonly transport: Transport,
    private readonly dispatch: (a: Action) => void,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Queues files for `room`; returns their local ids. */
  send(room: string, files: Iterable<File>): string[] {
    const ids: string[] = [];
    for (const file of files) {
      const id = randomId(8);
      this.jobs.set(id, { room, file, state: 'waiting', ctl: null });
      this.dispatch({ type: 'upload', room, change: { type: 'added', upload: newUpload(id, file) } });
      ids.push(id);
    }
    this.pump();
    return ids;
  }

  /** Stops an upload (the host deletes what arrived), or dismisses a failed one: the row goes. */
  cancel(room: string, id: string): void {
    const job = this.jobs.get(id);
    this.jobs.delete(id);
    job?.ctl?.abort();
    this.dispatch({ type: 'upload', room, change: { type: 'removed', id } });
    this.pump();
  }

  /** A failed upload goes back in the queue. */
  retry(room: string, id: string): void {
    const job = this.jobs.get(id);
    if (!job || job.state !== 'failed') return;
    job.state = 'waiting';
    this.dispatch({ type: 'upload', room, change: { type: 'retry', id } });
    this.pump();
  }

  /** Every upload to `room` (or to any room) stops: we left it, or the server. */
  abandon(room?: string): void {
    for (const [id, job] of this.jobs) {
      if (room !== undefined && job.room !== room) continue;
      this.jobs.delete(id);
      job.ctl?.abort();
    }
  }

  private pump(): void {
    let running = [...this.jobs.values()].filter((j) => j.state === 'running').length;
    for (const [id, job] of this.jobs) {
      if (running >= PARALLEL_UPLOADS) break;
      if (job.state !== 'waiting') continue;
      running += 1;
      void this.run(id, job);
    }
  }

  private async run(id: string, job: Job): Promise<void> {
    const ctl = new AbortController();
    job.state = 'running';
    job.ctl = ctl;
    const { room, file } = job;
    const meter = new SpeedMeter();
    let painted = 0;
    this.dispatch({ type: 'upload', room, change: { type: 'progress', id, sent: 0, speed: null, status: 'preparing' } });
    let phase: 'preparing' | undefined;
    const onProgress = (done: number, total: number, now?: 'preparing') => {
      if (ctl.signal.aborted) return;
      const t = this.now();
      // A new phase measures its own speed (the meter restarts when the total goes back).
      if (now !== phase) meter.add(0, t);
      phase = now;
      meter.add(done, t);
      if (t - painted < PAINT_MS && done < total) return;
      painted = t;
      const status = phase ?? 'sending';
      this.dispatch({ type: 'upload', room, change: { type: 'progress', id, sent: done, speed: meter.rate(), status } });
    };
    try {
      const ack = await this.transport.uploadFile(room, file, onProgress, ctl.signal);
      if (this.jobs.get(id) !== job) return;
      this.jobs.delete(id);
      this.dispatch({ type: 'upload', room, change: { type: 'done', id, messageId: ack.id } });
    } catch (e) {
      const err = toTransportError(e);
      if (this.jobs.get(id) !== job || err.code === CANCELLED) return;
      job.state = 'failed';
      this.dispatch({ type: 'upload', room, change: { type: 'failed', id, code: err.code, message: err.message } });
    } finally {
      job.ctl = null;
      this.pump();
    }
  }

  // ---- downloads (the window) ----

  /** Saves a file message's file to Downloads; progress and the result go to the store. */
  async download(messageId: string, file: FileMeta): Promise<void> {
    const dl = this.transport.downloads;
    if (!dl) return;
    let painted = 0;
    this.dispatch({ type: 'download', change: { type: 'progress', key: messageId, received: 0, total: file.size } });
    try {
      const path = await dl.save(file, (received, total) => {
        const t = this.now();
        if (t - painted < PAINT_MS && received < total) return;
        painted = t;
        this.dispatch({ type: 'download', change: { type: 'progress', key: messageId, received, total } });
      });
      this.dispatch({ type: 'download', change: { type: 'saved', key: messageId, path } });
    } catch (e) {
      const err = toTransportError(e);
      this.dispatch({ type: 'download', change: { type: 'failed', key: messageId, code: err.code, message: err.message } });
    }
  }
}
