// The browser's upload (transport/upload.ts) against a scripted host: it sends from the host's
// offset, continues after a cut instead of starting over, takes the host's refusals as final,
// cancels with a DELETE, and gives up when nothing moves.

import { describe, expect, it } from 'vitest';
import { type Http, type HttpAnswer, type HttpRequest, upload, type UploadIo, type UploadTiming } from '../src/transport/upload';
import type { FileUploadAck } from '../src/protocol';
import { type SendAck, TransportError } from '../src/transport/types';

const SIZE = 1000;
const file = new Blob([new Uint8Array(SIZE).fill(7)]);
const ACK: SendAck = { id: 'm1', seq: 4, ts: 1, duplicate: false };
const TICKET: FileUploadAck = { upload: { id: 'u1', url: '/api/uploads/u1', offset: 0, maxSize: 10_000 } };

interface Call {
  method: string;
  url: string;
  offset?: string;
  bodySize?: number;
}

type Handler = (req: HttpRequest) => HttpAnswer | Promise<HttpAnswer>;

function answer(status: number, headers: Record<string, string> = {}, body: unknown = null): HttpAnswer {
  return { status, header: (n) => headers[n] ?? headers[n.toLowerCase()] ?? null, body };
}

/** A host that answers requests in order from `script`, and records them. */
function host(script: Record<'HEAD' | 'PATCH' | 'DELETE', Handler[]>) {
  const calls: Call[] = [];
  const http: Http = {
    async request(method, url, req = {}) {
      calls.push({ method, url, offset: req.headers?.['Upload-Offset'], bodySize: req.body?.size });
      const next = script[method].shift();
      if (!next) throw new Error(`unexpected ${method}`);
      return next(req);
    },
  };
  return { http, calls };
}

/** A clock that moves only when the upload sleeps. */
function clock(extra: Partial<UploadTiming> = {}): UploadTiming {
  let t = 0;
  return {
    patienceMs: 30_000,
    silenceMs: 10_000,
    retryMs: [250, 500, 1000],
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
    ...extra,
  };
}

function io(http: Http, tickets: (() => Promise<Partial<FileUploadAck>>)[]): UploadIo & { asked: number } {
  const o = {
    asked: 0,
    http,
    base: 'http://host:7878',
    ticket: () => {
      o.asked += 1;
      const next = tickets.shift();
      if (!next) throw new Error('unexpected ticket request');
      return next();
    },
  };
  return o;
}

const progress = () => {
  const seen: number[] = [];
  return { seen, fn: (done: number) => seen.push(done) };
};

describe('browser upload', () => {
  it('sends the whole file in one PATCH from offset 0 and resolves with the ack', async () => {
    const { http, calls } = host({
      HEAD: [],
      DELETE: [],
      PATCH: [
        (req) => {
          req.onUpload?.(500);
          req.onUpload?.(1000);
          return answer(200, {}, { ok: true, ...ACK });
        },
      ],
    });
    const p = progress();
    await expect(upload(io(http, [async () => TICKET]), file, p.fn, new AbortController().signal, clock())).resolves.toMatchObject(ACK);
    expect(calls).toEqual([{ method: 'PATCH', url: 'http://host:7878/api/uploads/u1', offset: '0', bodySize: 1000 }]);
    expect(p.seen).toEqual([0, 500, 1000, 1000]);
  });

  it('after a cut asks the host where it is and continues from there', async () => {
    const { http, calls } = host({
      HEAD: [() => answer(200, { 'Upload-Offset': '600', 'Upload-Length': '1000' })],
      DELETE: [],
      PATCH: [
        (req) => {
          req.onUpload?.(700);
          throw new TransportError('network', 'reset');
        },
        () => answer(200, {}, { ok: true, ...ACK }),
      ],
    });
    await upload(io(http, [async () => TICKET]), file, () => undefined, new AbortController().signal, clock());
    expect(calls.map((c) => `${c.method} ${c.offset ?? ''} ${c.bodySize ?? ''}`.trim())).toEqual(['PATCH 0 1000', 'HEAD', 'PATCH 600 400']);
  });

  it('resumes a ticket the host already has bytes for (a reload, the same clientId)', async () => {
    const { http, calls } = host({ HEAD: [], DELETE: [], PATCH: [() => answer(200, {}, { ok: true, ...ACK })] });
    const resumed = { upload: { ...TICKET.upload!, offset: 900 } };
    await upload(io(http, [async () => resumed]), file, () => undefined, new AbortController().signal, clock());
    expect(calls[0]).toMatchObject({ offset: '900', bodySize: 100 });
  });

  it('follows the host’s offset on 409 and continues after 204', async () => {
    const { http, calls } = host({
      HEAD: [],
      DELETE: [],
      PATCH: [
        () => answer(409, { 'Upload-Offset': '300' }, { ok: false, error: { code: 'offset_mismatch', message: '' } }),
        () => answer(204, { 'Upload-Offset': '800' }),
        () => answer(200, {}, { ok: true, ...ACK }),
      ],
    });
    await upload(io(http, [async () => TICKET]), file, () => undefined, new AbortController().signal, clock());
    expect(calls.map((c) => c.offset)).toEqual(['0', '300', '800']);
  });

  it('asks again with the same clientId when the upload is gone, and takes the posted ack', async () => {
    const { http } = host({ HEAD: [], DELETE: [], PATCH: [() => answer(404, {}, { ok: false, error: { code: 'not_found', message: '' } })] });
    const o = io(http, [async () => TICKET, async () => ({ sent: { ...ACK, duplicate: true } })]);
    await expect(upload(o, file, () => undefined, new AbortController().signal, clock())).resolves.toMatchObject({ id: 'm1', duplicate: true });
    expect(o.asked).toBe(2);
  });

  it('takes the host’s refusals as final, with their codes', async () => {
    const { http } = host({
      HEAD: [],
      DELETE: [],
      PATCH: [() => answer(507, {}, { ok: false, error: { code: 'quota_exceeded', message: 'full' } })],
    });
    await expect(upload(io(http, [async () => TICKET]), file, () => undefined, new AbortController().signal, clock())).rejects.toMatchObject({
      code: 'quota_exceeded',
    });
    const refused = io(host({ HEAD: [], DELETE: [], PATCH: [] }).http, [
      async () => {
        throw new TransportError('file_too_large', 'over 2 GiB');
      },
    ]);
    await expect(upload(refused, file, () => undefined, new AbortController().signal, clock())).rejects.toMatchObject({ code: 'file_too_large' });
  });

  it('waits out a dropped socket before the ticket (reconnecting), then goes on', async () => {
    const { http } = host({ HEAD: [], DELETE: [], PATCH: [() => answer(200, {}, { ok: true, ...ACK })] });
    const o = io(http, [
      async () => {
        throw new TransportError('not_connected', '');
      },
      async () => TICKET,
    ]);
    await expect(upload(o, file, () => undefined, new AbortController().signal, clock())).resolves.toMatchObject(ACK);
  });

  it('retries a host error (500/503) from the host’s offset', async () => {
    const { http, calls } = host({
      HEAD: [() => answer(200, { 'Upload-Offset': '0' })],
      DELETE: [],
      PATCH: [() => answer(503, {}, { ok: false, error: { code: 'shutting_down', message: '' } }), () => answer(200, {}, { ok: true, ...ACK })],
    });
    await upload(io(http, [async () => TICKET]), file, () => undefined, new AbortController().signal, clock());
    expect(calls.map((c) => c.method)).toEqual(['PATCH', 'HEAD', 'PATCH']);
  });

  it('gives up with timeout when nothing moves for the patience', async () => {
    const fail = () => {
      throw new TransportError('network', 'refused');
    };
    const { http } = host({ HEAD: Array(50).fill(fail), DELETE: [], PATCH: Array(50).fill(fail) });
    await expect(
      upload(io(http, [async () => TICKET]), file, () => undefined, new AbortController().signal, clock({ patienceMs: 3000 })),
    ).rejects.toMatchObject({ code: 'timeout' });
  });

  it('cancels: aborts the request, DELETEs the upload and rejects with cancelled', async () => {
    const ctl = new AbortController();
    const { http, calls } = host({
      HEAD: [],
      DELETE: [() => answer(204)],
      PATCH: [
        (req) =>
          new Promise<HttpAnswer>((_, reject) => {
            req.signal?.addEventListener('abort', () => reject(new TransportError('cancelled', 'aborted')));
            queueMicrotask(() => ctl.abort());
          }),
      ],
    });
    await expect(upload(io(http, [async () => TICKET]), file, () => undefined, ctl.signal, clock())).rejects.toMatchObject({ code: 'cancelled' });
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['PATCH http://host:7878/api/uploads/u1', 'DELETE http://host:7878/api/uploads/u1']);
  });

  it('drops a PATCH that goes silent (a host gone without closing) and continues', async () => {
    const { http, calls } = host({
      HEAD: [() => answer(200, { 'Upload-Offset': '200' })],
      DELETE: [],
      PATCH: [
        (req) =>
          new Promise<HttpAnswer>((_, reject) => {
            req.onUpload?.(200);
            req.signal?.addEventListener('abort', () => reject(new TransportError('cancelled', 'aborted')));
          }),
        () => answer(200, {}, { ok: true, ...ACK }),
      ],
    });
    const timing: UploadTiming = { ...clock(), silenceMs: 30, now: () => Date.now(), sleep: async () => undefined };
    await expect(upload(io(http, [async () => TICKET]), file, () => undefined, new AbortController().signal, timing)).resolves.toMatchObject(ACK);
    expect(calls.map((c) => `${c.method} ${c.offset ?? ''}`.trim())).toEqual(['PATCH 0', 'HEAD', 'PATCH 200']);
  });
});
