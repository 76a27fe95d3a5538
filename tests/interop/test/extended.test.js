'use strict';
// lanchat's additions to the tutorial protocol (docs/protocol.md), with socket.io-client 4.3.2
// and the latest 4.x: acks, seq, history replay, clientId dedupe, nickname spoofing, errors,
// unknown events, GET /api/info, and the server password.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Cleanup, CLIENT_VERSIONS, connect, Client, startLanchat, uniq } = require('../lib/helpers');

const VERSIONS = ['4.3.2', 'latest'];

function assertOkAck(ack, what) {
  assert.ok(ack && typeof ack === 'object', `${what}: ack is an object, got ${JSON.stringify(ack)}`);
  assert.equal(ack.ok, true, `${what}: expected ok:true, got ${JSON.stringify(ack)}`);
}

function assertErrAck(ack, code, what) {
  assert.ok(ack && typeof ack === 'object', `${what}: ack is an object, got ${JSON.stringify(ack)}`);
  assert.equal(ack.ok, false, `${what}: expected ok:false, got ${JSON.stringify(ack)}`);
  assert.ok(ack.error && typeof ack.error === 'object', `${what}: error object, got ${JSON.stringify(ack)}`);
  assert.equal(ack.error.code, code, `${what}: expected code ${code}, got ${JSON.stringify(ack)}`);
  assert.equal(typeof ack.error.message, 'string', `${what}: error.message is a string`);
}

/** Non-throwing checks: collect every mismatch of a table-driven test, then assert none. */
function checkErr(problems, ack, code, what) {
  const got = ack && ack.ok === false && ack.error ? ack.error.code : undefined;
  if (got !== code || typeof ack.error.message !== 'string') {
    problems.push(`${what}: expected {ok:false, error:{code:'${code}', message}}, got ${JSON.stringify(ack).slice(0, 200)}`);
  }
}

function checkOk(problems, ack, what) {
  if (!ack || ack.ok !== true) problems.push(`${what}: expected ok:true, got ${JSON.stringify(ack).slice(0, 200)}`);
}

function assertSendAck(ack, what) {
  assertOkAck(ack, what);
  assert.equal(typeof ack.id, 'string', `${what}: id`);
  assert.ok(ack.id.length > 0);
  assert.ok(Number.isInteger(ack.seq) && ack.seq >= 1, `${what}: seq ${ack.seq}`);
  assert.ok(Number.isInteger(ack.ts) && ack.ts > 1.6e12, `${what}: ts ${ack.ts}`);
  assert.equal(typeof ack.duplicate, 'boolean', `${what}: duplicate is a boolean`);
}

/** Connects and joins with an ack; returns {c, ack}. */
async function joinWithAck(version, url, roomName, nickName, cleanup, extra = {}) {
  const c = cleanup.add(await connect(version, url));
  const ack = await c.request('joinRoom', { roomName, nickName, ...extra });
  assertOkAck(ack, `joinRoom ${roomName} as ${nickName}`);
  return { c, ack };
}

describe('lanchat extended protocol', () => {
  let server;
  before(async () => {
    server = await startLanchat();
  });
  after(async () => {
    if (server) await server.stop();
  });

  for (const v of VERSIONS) {
    const cv = `socket.io-client ${v} (${CLIENT_VERSIONS[v]})`;

    it(`join ack, then send acks {ok, id, seq, ts, duplicate} with increasing seq — ${cv}`, async () => {
      const cleanup = new Cleanup();
      try {
        const room = uniq('acks');
        const { c, ack } = await joinWithAck(v, server.url, room, 'alice', cleanup);
        assert.equal(ack.room, room);
        assert.equal(ack.nickName, 'alice');
        assert.ok(Number.isInteger(ack.lastSeq), `lastSeq ${ack.lastSeq}`);
        assert.deepEqual(ack.members, ['alice']);
        // The own join notice came before the ack, with kind "join".
        const notice = await c.waitFor('message', (m) => m.nickName === 'alice' && m.kind === 'join');
        const ackIdx = c.log.findIndex((e) => e.event === '@ack:joinRoom');
        assert.ok(notice.index < ackIdx, `join notice before the ack:\n${c.dump()}`);
        assert.equal(notice.data.room, room);
        assert.equal(notice.data.history, undefined, 'a live join notice has no history flag');

        const seqs = [];
        for (const text of ['one', 'two', 'three']) {
          const a = await c.request('sendMessage', { room, nickName: 'alice', message: text });
          assertSendAck(a, `send ${text}`);
          assert.equal(a.duplicate, false);
          seqs.push(a.seq);
          // The sender gets its own message, with the ack's id and seq.
          const m = await c.waitFor('message', (x) => x.id === a.id, { what: `own message ${text}` });
          assert.equal(m.data.seq, a.seq);
          assert.equal(m.data.message, text);
          assert.equal(m.data.nickName, 'alice');
          assert.equal(m.data.kind, 'chat');
          assert.equal(m.data.room, room);
          assert.equal(typeof m.data.ts, 'number');
        }
        assert.ok(seqs[0] > notice.data.seq, `chat seq ${seqs[0]} after join notice seq ${notice.data.seq}`);
        assert.ok(seqs[0] < seqs[1] && seqs[1] < seqs[2], `seq strictly increasing: ${seqs}`);

        // ping
        const p = await c.requestNoPayload('ping');
        assertOkAck(p, 'ping');
        assert.equal(typeof p.ts, 'number');
      } finally {
        await cleanup.run();
      }
    });

    it(`history replay on join (oldest first, then join notice, then ack) and since — ${cv}`, async () => {
      const cleanup = new Cleanup();
      try {
        const room = uniq('hist');
        const { c: x } = await joinWithAck(v, server.url, room, 'xavier', cleanup);
        const sent = [];
        for (const text of ['m1', 'm2', 'm3']) {
          const a = await x.request('sendMessage', { room, message: text });
          assertSendAck(a, `send ${text}`);
          sent.push({ text, seq: a.seq, id: a.id });
        }

        // Y joins: history (history:true, seq ascending, includes m1..m3 in order), then its
        // join notice, then the ack.
        const y = cleanup.add(await connect(v, server.url));
        const yAck = await y.request('joinRoom', { roomName: room, nickName: 'yvonne' });
        assertOkAck(yAck, 'join yvonne');
        assert.ok(yAck.lastSeq >= sent[2].seq, `lastSeq ${yAck.lastSeq} >= ${sent[2].seq}`);
        assert.deepEqual(yAck.members, ['xavier', 'yvonne']);
        const ackIdx = y.log.findIndex((e) => e.event === '@ack:joinRoom');
        const before = y.log.slice(0, ackIdx).filter((e) => e.event === 'message').map((e) => e.data);
        const joinIdx = before.findIndex((m) => m.kind === 'join' && m.nickName === 'yvonne' && !m.history);
        assert.ok(joinIdx >= 0, `own join notice before the ack:\n${y.dump()}`);
        const history = before.slice(0, joinIdx);
        assert.ok(history.length >= 3, `history replayed:\n${y.dump()}`);
        for (const m of history) {
          assert.equal(m.history, true, `replayed message flagged history: ${JSON.stringify(m)}`);
          assert.equal(m.room, room);
        }
        for (let i = 1; i < history.length; i++) {
          assert.ok(history[i - 1].seq < history[i].seq, 'history oldest first');
        }
        assert.deepEqual(
          history.filter((m) => m.kind === 'chat').map((m) => [m.message, m.seq, m.id, m.nickName]),
          sent.map((s) => [s.text, s.seq, s.id, 'xavier']),
        );
        assert.ok(before[joinIdx].seq > sent[2].seq, 'join notice seq after history');
        assert.equal(before.length, joinIdx + 1, 'nothing between the join notice and the ack');

        // Z joins with since = m1's seq: only seq > since.
        const z = cleanup.add(await connect(v, server.url));
        const zAck = await z.request('joinRoom', { roomName: room, nickName: 'zoe', since: sent[0].seq });
        assertOkAck(zAck, 'join zoe since');
        const zIdx = z.log.findIndex((e) => e.event === '@ack:joinRoom');
        const zHist = z.log.slice(0, zIdx).filter((e) => e.event === 'message' && e.data.history).map((e) => e.data);
        for (const m of zHist) assert.ok(m.seq > sent[0].seq, `since: seq ${m.seq} > ${sent[0].seq}`);
        assert.deepEqual(
          zHist.filter((m) => m.kind === 'chat').map((m) => m.message),
          ['m2', 'm3'],
        );
        // since = the newest seq seen (zoe's join notice): no history at all.
        const zJoin = await z.waitFor('message', (m) => m.kind === 'join' && m.nickName === 'zoe' && !m.history);
        assert.ok(zAck.lastSeq >= sent[2].seq, `lastSeq ${zAck.lastSeq} >= ${sent[2].seq}`);
        const w = cleanup.add(await connect(v, server.url));
        const wAck = await w.request('joinRoom', { roomName: room, nickName: 'walt', since: zJoin.data.seq });
        assertOkAck(wAck, 'join walt since newest seq');
        assert.deepEqual(w.messages().filter((m) => m.history), [], `no history:\n${w.dump()}`);
      } finally {
        await cleanup.run();
      }
    });

    it(`clientId dedupe: same clientId twice -> one broadcast, duplicate ack with same id/seq — ${cv}`, async () => {
      const cleanup = new Cleanup();
      try {
        const room = uniq('dedupe');
        const { c: s } = await joinWithAck(v, server.url, room, 'sender', cleanup);
        const { c: o } = await joinWithAck(v, server.url, room, 'observer', cleanup);
        const clientId = `c-${uniq('id')}`;
        const a1 = await s.request('sendMessage', { room, message: 'once', clientId });
        assertSendAck(a1, 'first send');
        assert.equal(a1.duplicate, false);
        const a2 = await s.request('sendMessage', { room, message: 'once', clientId });
        assertSendAck(a2, 'resend');
        assert.equal(a2.duplicate, true);
        assert.equal(a2.seq, a1.seq);
        assert.equal(a2.id, a1.id);
        // A later message proves the resend was not broadcast (in-order delivery per room).
        const a3 = await s.request('sendMessage', { room, message: 'after', clientId: `${clientId}-2` });
        assertSendAck(a3, 'third send');
        assert.ok(a3.seq > a1.seq);
        for (const c of [s, o]) {
          await c.waitFor('message', (m) => m.message === 'after');
          const onces = c.messages().filter((m) => m.message === 'once');
          assert.equal(onces.length, 1, `exactly one broadcast of the deduped message:\n${c.dump()}`);
          assert.equal(onces[0].clientId, clientId, 'chat message carries its clientId');
          assert.equal(onces[0].seq, a1.seq);
        }
      } finally {
        await cleanup.run();
      }
    });

    it(`spoofed nickName in sendMessage is ignored — ${cv}`, async () => {
      const cleanup = new Cleanup();
      try {
        const room = uniq('spoof');
        const { c: r } = await joinWithAck(v, server.url, room, 'real', cleanup);
        const { c: o } = await joinWithAck(v, server.url, room, 'other', cleanup);
        const a = await r.request('sendMessage', { room, nickName: 'other', message: 'who am i' });
        assertSendAck(a, 'spoofed send');
        for (const c of [r, o]) {
          const m = await c.waitFor('message', (x) => x.message === 'who am i');
          assert.equal(m.data.nickName, 'real');
        }
        // Same without an ack (tutorial style).
        r.emit('sendMessage', { room, nickName: 'mallory', message: 'spoof 2' });
        const m2 = await o.waitFor('message', (x) => x.message === 'spoof 2');
        assert.equal(m2.data.nickName, 'real');
      } finally {
        await cleanup.run();
      }
    });

    it(`sendMessage to a room not joined: ack not_in_room; without ack requestError — ${cv}`, async () => {
      const cleanup = new Cleanup();
      try {
        const room = uniq('mine');
        const other = uniq('notmine');
        const { c } = await joinWithAck(v, server.url, room, 'nia', cleanup);
        // Someone is in the other room: it must get nothing.
        const { c: insider } = await joinWithAck(v, server.url, other, 'ivan', cleanup);
        const ack = await c.request('sendMessage', { room: other, message: 'sneak' });
        assertErrAck(ack, 'not_in_room', 'send to a room not joined');

        c.emit('sendMessage', { room: other, nickName: 'nia', message: 'sneak 2' });
        const err = await c.waitFor('requestError', () => true);
        assert.equal(err.data.event, 'sendMessage');
        assert.equal(err.data.code, 'not_in_room');
        assert.equal(typeof err.data.message, 'string');

        // The insider got neither (its own later message arrives first).
        await insider.request('sendMessage', { room: other, message: 'inside' });
        await insider.waitFor('message', (m) => m.message === 'inside');
        assert.deepEqual(
          insider.messages().filter((m) => /sneak/.test(m.message)),
          [],
          'rejected messages were not broadcast',
        );
      } finally {
        await cleanup.run();
      }
    });

    it(`validation errors carry their codes — ${cv}`, async () => {
      const cleanup = new Cleanup();
      try {
        const c = cleanup.add(await connect(v, server.url));
        const room = uniq('valid');
        // Every case is checked and all mismatches are reported together.
        const problems = [];
        const cases = [
          ['joinRoom', { roomName: '', nickName: 'n' }, 'invalid_room', 'empty room'],
          ['joinRoom', { roomName: '   ', nickName: 'n' }, 'invalid_room', 'blank room'],
          ['joinRoom', { roomName: 'r'.repeat(65), nickName: 'n' }, 'invalid_room', '65-char room'],
          ['joinRoom', { roomName: 'a\u0001b', nickName: 'n' }, 'invalid_room', 'control char in room'],
          ['joinRoom', { roomName: room, nickName: '' }, 'invalid_nick', 'empty nick'],
          ['joinRoom', { roomName: room, nickName: 'n'.repeat(33) }, 'invalid_nick', '33-char nick'],
          ['joinRoom', { roomName: room, nickName: 'bad\u0007nick' }, 'invalid_nick', 'control char in nick'],
        ];
        for (const [ev, payload, code, what] of cases) {
          checkErr(problems, await c.request(ev, payload), code, what);
        }

        // Boundaries are accepted: 64-char room, 32-char nick (also in CJK: chars, not bytes).
        for (const [roomName, nickName] of [
          [`${room}-`.padEnd(64, 'r'), 'n'.repeat(32)],
          [`房${uniq('')}`.padEnd(64, '房'), '昵'.repeat(32)],
        ]) {
          const c2 = cleanup.add(await connect(v, server.url));
          checkOk(problems, await c2.request('joinRoom', { roomName, nickName }), `join ${roomName.length}-char room`);
        }

        assertOkAck(await c.request('joinRoom', { roomName: room, nickName: 'valerie' }), 'valid join');
        const msgCases = [
          [{ room, message: '' }, 'invalid_message', 'empty message'],
          [{ room, message: '  \n\t ' }, 'invalid_message', 'blank message'],
          [{ room, message: 'bell\u0007' }, 'invalid_message', 'control char in message'],
          [{ room, message: 'nul\u0000' }, 'invalid_message', 'NUL in message'],
          [{ room, message: 'x'.repeat(4001) }, 'message_too_long', '4001-char message'],
          [{ room, message: '字'.repeat(4001) }, 'message_too_long', '4001-char CJK message'],
          [{ room, message: 'ok', clientId: '' }, 'invalid_client_id', 'empty clientId'],
          [{ room, message: 'ok', clientId: 'c'.repeat(65) }, 'invalid_client_id', '65-char clientId'],
        ];
        for (const [payload, code, what] of msgCases) {
          checkErr(problems, await c.request('sendMessage', payload), code, what);
        }
        // Accepted: exactly 4000 chars (also CJK), newline and tab inside, 64-char clientId.
        for (const [payload, what] of [
          [{ room, message: 'y'.repeat(4000) }, '4000-char message'],
          [{ room, message: '字'.repeat(4000) }, '4000-char CJK message'],
          [{ room, message: 'line1\nline2\tend' }, 'newline/tab in message'],
          [{ room, message: 'ok', clientId: 'k'.repeat(64) }, '64-char clientId'],
        ]) {
          checkOk(problems, await c.request('sendMessage', payload), what);
        }

        // Without an ack, a validation failure comes back as requestError.
        const from = c.log.length;
        c.emit('sendMessage', { room, nickName: 'valerie', message: 'z'.repeat(4001) });
        const e1 = await c.waitFor('requestError', () => true, { from });
        if (e1.data.event !== 'sendMessage' || e1.data.code !== 'message_too_long') {
          problems.push(`requestError for a 4001-char message without ack: ${JSON.stringify(e1.data)}`);
        }
        const from2 = c.log.length;
        c.emit('joinRoom', { roomName: 'r'.repeat(65), nickName: 'n' });
        const e2 = await c.waitFor('requestError', () => true, { from: from2 });
        if (e2.data.event !== 'joinRoom' || e2.data.code !== 'invalid_room') {
          problems.push(`requestError for a 65-char room without ack: ${JSON.stringify(e2.data)}`);
        }
        assert.deepEqual(problems, []);
      } finally {
        await cleanup.run();
      }
    });

    it(`invalid_payload: not an object, or a field missing / of the wrong type — ${cv}`, async () => {
      const cleanup = new Cleanup();
      try {
        const c = cleanup.add(await connect(v, server.url));
        const room = uniq('payload');
        const problems = [];
        const cases = [
          ['joinRoom', 42, 'not an object: a number'],
          ['joinRoom', ['r', 'n'], 'not an object: an array'],
          ['joinRoom', { roomName: 42, nickName: 'n' }, 'roomName is a number'],
          ['joinRoom', { roomName: room, nickName: true }, 'nickName is a boolean'],
          ['joinRoom', { nickName: 'n' }, 'roomName missing'],
          ['joinRoom', { roomName: room }, 'nickName missing'],
          ['joinRoom', { roomName: room, nickName: 'n', since: 'x' }, 'since is a string'],
        ];
        for (const [ev, payload, what] of cases) {
          checkErr(problems, await c.request(ev, payload), 'invalid_payload', `${ev}: ${what}`);
        }
        assertOkAck(await c.request('joinRoom', { roomName: room, nickName: 'pia' }), 'valid join');
        // The tutorial's very first client sent the room as a bare string: accepted, with a guest nickname.
        const bare = await c.request('joinRoom', uniq('bare'));
        assertOkAck(bare, 'bare-string join');
        assert.match(bare.nickName, /^guest-/);
        for (const [payload, what] of [
          ['hello', 'not an object: a string'],
          [{ room, message: 42 }, 'message is a number'],
          [{ room }, 'message missing'],
          [{ message: 'hi' }, 'room missing'],
          [{ room, message: 'hi', clientId: 7 }, 'clientId is a number'],
        ]) {
          checkErr(problems, await c.request('sendMessage', payload), 'invalid_payload', `sendMessage: ${what}`);
        }
        assert.deepEqual(problems, []);
      } finally {
        await cleanup.run();
      }
    });

    it(`unknown event -> requestError unknown_event — ${cv}`, async () => {
      const cleanup = new Cleanup();
      try {
        const c = cleanup.add(await connect(v, server.url));
        c.emit('findAllChatroom', {});
        const e = await c.waitFor('requestError', () => true);
        assert.equal(e.data.event, 'findAllChatroom');
        assert.equal(e.data.code, 'unknown_event');
        assert.equal(typeof e.data.message, 'string');
        // The connection stays usable.
        assertOkAck(await c.request('joinRoom', { roomName: uniq('after-unknown'), nickName: 'u' }), 'join after');
      } finally {
        await cleanup.run();
      }
    });
  }

  it('GET /api/info shape, rooms with member counts', async () => {
    const cleanup = new Cleanup();
    try {
      const room = uniq('info');
      await joinWithAck('latest', server.url, room, 'ina', cleanup);
      await joinWithAck('4.3.2', server.url, room, 'ingo', cleanup);
      const res = await fetch(`${server.url}/api/info`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') || '', /application\/json/);
      const info = await res.json();
      assert.equal(info.server, 'lanchat');
      assert.equal(typeof info.name, 'string');
      assert.equal(typeof info.version, 'string');
      assert.match(info.version, /^\d+\.\d+\.\d+/);
      assert.equal(info.passwordRequired, false);
      assert.ok(Array.isArray(info.rooms));
      for (const r of info.rooms) {
        assert.equal(typeof r.name, 'string');
        assert.ok(Number.isInteger(r.members));
      }
      const mine = info.rooms.find((r) => r.name === room);
      assert.deepEqual(mine, { name: room, members: 2 });
    } finally {
      await cleanup.run();
    }
  });
});

describe('lanchat with --password', () => {
  let server;
  before(async () => {
    // Plain socket.io clients with the password: the host allows them explicitly (without
    // --plain-guests on, a host with a password refuses plain HTTP before the password).
    server = await startLanchat(['--password', 's3cret', '--plain-guests', 'on']);
  });
  after(async () => {
    if (server) await server.stop();
  });

  for (const v of VERSIONS) {
    const cv = `socket.io-client ${v} (${CLIENT_VERSIONS[v]})`;
    it(`no password -> password_required, wrong -> bad_password, right -> works — ${cv}`, async () => {
      const cleanup = new Cleanup();
      try {
        const none = cleanup.add(new Client(v, server.url));
        assert.equal((await none.refused()).message, 'password_required');
        const wrong = cleanup.add(new Client(v, server.url, { auth: { password: 'nope' } }));
        assert.equal((await wrong.refused()).message, 'bad_password');

        const room = uniq('locked');
        const ok = cleanup.add(await connect(v, server.url, { auth: { password: 's3cret' } }));
        assertOkAck(await ok.request('joinRoom', { roomName: room, nickName: 'pat' }), 'join with password');
        const a = await ok.request('sendMessage', { room, message: 'inside' });
        assertSendAck(a, 'send with password');
        await ok.waitFor('message', (m) => m.message === 'inside' && m.nickName === 'pat');
        // Tutorial style works too once authenticated.
        const t = cleanup.add(await connect(v, server.url, { auth: { password: 's3cret' } }));
        t.emit('joinRoom', { roomName: room, nickName: 'tut' });
        await t.waitFor('message', (m) => m.nickName === 'tut' && m.kind === 'join');
      } finally {
        await cleanup.run();
      }
    });
  }

  it('GET /api/info reports passwordRequired and hides rooms', async () => {
    const cleanup = new Cleanup();
    try {
      const c = cleanup.add(await connect('latest', server.url, { auth: { password: 's3cret' } }));
      assertOkAck(await c.request('joinRoom', { roomName: uniq('hidden'), nickName: 'h' }), 'join');
      const info = await (await fetch(`${server.url}/api/info`)).json();
      assert.equal(info.server, 'lanchat');
      assert.equal(info.passwordRequired, true);
      assert.deepEqual(info.rooms, []);
    } finally {
      await cleanup.run();
    }
  });
});
