//! The browser's side of an upload (docs/protocol.md, "Uploading"): a ticket over the socket,
//! then the bytes by XMLHttpRequest — the one browser API that reports upload progress — from
//! the host's offset. A network error, a silent connection or a host restart costs a `HEAD`
//! ("where are you?") and a `PATCH` from there, never a start from zero; Cancel aborts the
//! request and `DELETE`s the upload. The socket and HTTP are reached through `UploadIo`, so this
//! is plain logic, tested without either.

import type { FileUploadAck, SendAck, UploadTicket } from '../protocol';
import { ackError } from './delivery';
import { CANCELLED, type OnProgress, TransportError } from './types';

/** One HTTP answer: the status, a header, and the body parsed as JSON (null if it is not JSON). */
export interface HttpAnswer {
  status: number;
  header(name: string): string | null;
  body: unknown;
}

export interface HttpRequest {
  headers?: Record<string, string>;
  body?: Blob;
  /** Bytes of `body` handed to the network so far. */
  onUpload?: (loaded: number) => void;
  signal?: AbortSignal;
}

/**
 * HTTP as this module needs it. `request` rejects with a `TransportError` whose code is
 * `network` when the connection fails, and `cancelled` when `signal` aborts it.
 */
export interface Http {
  request(method: 'HEAD' | 'PATCH' | 'DELETE', url: string, req?: HttpRequest): Promise<HttpAnswer>;
}

export interface UploadIo {
  /** Asks the host for a ticket (`fileUpload`), with the same `clientId` every time. */
  ticket(): Promise<Partial<FileUploadAck>>;
  http: Http;
  /** `http://host:port`: what the ticket's `url` is relative to. */
  base: string;
}

export interface UploadTiming {
  /** The upload fails with `timeout` once nothing has moved for this long. */
  patienceMs: number;
  /** A `PATCH` whose body stops moving for this long is dropped and continued (a dead peer). */
  silenceMs: number;
  /** Pauses between attempts after a failure, the last one repeated. */
  retryMs: readonly number[];
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

function abortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new TransportError(CANCELLED, 'cancelled'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(new TransportError(CANCELLED, 'cancelled'));
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}

export const DEFAULT_TIMING: UploadTiming = {
  // As the Rust client: `queue_timeout` of no progress, `request_timeout` of silence.
  patienceMs: 30_000,
  silenceMs: 10_000,
  retryMs: [250, 500, 1000, 2000, 4000, 5000],
  now: () => Date.now(),
  sleep: abortable,
};

/** Ticket refusals that last a moment: the connection is coming back, or the host is restarting. */
const TRANSIENT_TICKET = new Set(['not_connected', 'timeout', 'rate_limited', 'shutting_down']);
/** HTTP answers worth another try: a storage hiccup, a host on its way down or up. */
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

const OFFSET = 'Upload-Offset';

function offsetOf(a: HttpAnswer): number | null {
  const v = a.header(OFFSET);
  const n = v === null ? NaN : Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** The `{ok: false, error}` body of a refused request, or a sentence from its status. */
function refusal(a: HttpAnswer): TransportError {
  return ackError(a.body) ?? new TransportError('unknown', `the server answered ${a.status}`);
}

const isCancel = (e: unknown) => e instanceof TransportError && e.code === CANCELLED;

/**
 * Sends `file` through the host's upload API and resolves with the file message's ack. Rejects
 * with the host's refusal (`file_too_large`, `quota_exceeded`, …), `timeout` when nothing moved
 * for `patienceMs`, or `cancelled` when `signal` aborts.
 */
export async function upload(
  io: UploadIo,
  file: Blob,
  onProgress: OnProgress,
  signal: AbortSignal,
  timing: UploadTiming = DEFAULT_TIMING,
): Promise<SendAck> {
  const size = file.size;
  let lastMove = timing.now();
  let attempt = 0;
  let ticket: UploadTicket | null = null;
  let offset = 0;

  const cancelled = () => new TransportError(CANCELLED, 'cancelled');
  const moved = () => {
    lastMove = timing.now();
    attempt = 0;
  };
  /** Waits before the next attempt; gives up once nothing has moved for too long. */
  const pause = async () => {
    if (timing.now() - lastMove > timing.patienceMs) throw new TransportError('timeout', 'the upload made no progress');
    await timing.sleep(timing.retryMs[Math.min(attempt, timing.retryMs.length - 1)], signal);
    attempt += 1;
  };
  const at = (n: number) => {
    if (n > offset) moved();
    offset = Math.min(n, size);
    onProgress(offset, size);
  };

  /** A ticket, or the ack when this clientId was posted already (an answer lost on the way). */
  const ask = async (): Promise<SendAck | null> => {
    for (;;) {
      if (signal.aborted) throw cancelled();
      try {
        const ack = await io.ticket();
        if (ack.sent) return ack.sent;
        if (!ack.upload) throw new TransportError('invalid_payload', 'the host sent no upload ticket');
        ticket = ack.upload;
        at(ticket.offset);
        return null;
      } catch (e) {
        if (!(e instanceof TransportError) || !TRANSIENT_TICKET.has(e.code)) throw e;
        await pause();
      }
    }
  };

  /** Where the host is, after a failure; null when it does not answer. */
  const head = async (url: string): Promise<number | null> => {
    try {
      const a = await io.http.request('HEAD', url, { signal });
      return a.status >= 200 && a.status < 300 ? offsetOf(a) : null;
    } catch (e) {
      if (isCancel(e)) throw e;
      return null;
    }
  };

  /** One `PATCH` from `offset` to the end; a body that stops moving is dropped as a failure. */
  const patch = async (url: string): Promise<HttpAnswer> => {
    const ctl = new AbortController();
    const stop = () => ctl.abort();
    signal.addEventListener('abort', stop, { once: true });
    const start = offset;
    let loaded = 0;
    let lastByte = timing.now();
    const watchdog = setInterval(() => {
      if (start + loaded < size && timing.now() - lastByte > timing.silenceMs) ctl.abort();
    }, Math.min(1000, timing.silenceMs));
    try {
      return await io.http.request('PATCH', url, {
        headers: { [OFFSET]: String(start), 'Content-Type': 'application/offset+octet-stream' },
        body: file.slice(start),
        signal: ctl.signal,
        onUpload: (n) => {
          if (n <= loaded) return;
          loaded = n;
          lastByte = timing.now();
          moved();
          onProgress(Math.min(size, start + n), size);
        },
      });
    } catch (e) {
      if (signal.aborted) throw cancelled();
      // Our watchdog's abort is a failed connection, not the user's cancel.
      if (isCancel(e)) throw new TransportError('network', 'the connection went silent');
      throw e;
    } finally {
      clearInterval(watchdog);
      signal.removeEventListener('abort', stop);
    }
  };

  try {
    const posted = await ask();
    if (posted) {
      onProgress(size, size);
      return posted;
    }
    for (;;) {
      if (signal.aborted) throw cancelled();
      const url = io.base + ticket!.url;
      let a: HttpAnswer;
      try {
        a = await patch(url);
      } catch (e) {
        if (isCancel(e) || !(e instanceof TransportError) || e.code !== 'network') throw e;
        await pause();
        const n = await head(url);
        if (n !== null) at(n);
        continue;
      }
      if (a.status === 200) {
        const err = ackError(a.body);
        if (err) throw err;
        onProgress(size, size);
        return a.body as SendAck;
      }
      if (a.status === 204) {
        at(offsetOf(a) ?? offset);
      } else if (a.status === 404) {
        // Finished with its answer lost, expired, or cancelled: ask again with the same clientId.
        const done = await ask();
        if (done) {
          onProgress(size, size);
          return done;
        }
      } else if (a.status === 408 || a.status === 409) {
        // Stalled, out of step, or a newer request took over: continue from the host's offset.
        const n = offsetOf(a);
        if (n === null || n === offset) await pause();
        if (n !== null) at(n);
      } else if (TRANSIENT_STATUS.has(a.status)) {
        await pause();
        const n = await head(url);
        if (n !== null) at(n);
      } else {
        throw refusal(a);
      }
    }
  } catch (e) {
    if (isCancel(e) || signal.aborted) {
      const t = ticket as UploadTicket | null;
      // Best effort: the host deletes what arrived (it would expire in a day anyway).
      if (t) io.http.request('DELETE', io.base + t.url).catch(() => undefined);
      throw cancelled();
    }
    throw e;
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** `Http` over XMLHttpRequest (fetch cannot report upload progress). */
export const xhrHttp: Http = {
  request(method, url, req = {}) {
    return new Promise<HttpAnswer>((resolve, reject) => {
      if (req.signal?.aborted) return reject(new TransportError(CANCELLED, 'cancelled'));
      const x = new XMLHttpRequest();
      x.open(method, url);
      for (const [k, v] of Object.entries(req.headers ?? {})) x.setRequestHeader(k, v);
      if (req.onUpload) {
        const report = req.onUpload;
        x.upload.onprogress = (e) => report(e.loaded);
      }
      const abort = () => x.abort();
      const done = () => req.signal?.removeEventListener('abort', abort);
      x.onload = () => {
        done();
        resolve({ status: x.status, header: (n) => x.getResponseHeader(n), body: parseJson(x.responseText) });
      };
      x.onerror = () => {
        done();
        reject(new TransportError('network', `${method} failed`));
      };
      x.onabort = () => {
        done();
        reject(new TransportError(CANCELLED, 'cancelled'));
      };
      req.signal?.addEventListener('abort', abort, { once: true });
      x.send(req.body ?? null);
    });
  },
};
