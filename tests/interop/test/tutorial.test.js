'use strict';
// The NestJS tutorial's client flow, exactly as its page does it (connect, then emit
// `joinRoom {roomName, nickName}` and `sendMessage {room, nickName, message}` without acks),
// against the tutorial gateway fixture (which proves the test itself right) and against lanchat.
// Every flow runs with socket.io-client 4.3.2, the latest 4.x, and both mixed in one room, over
// the default transport (polling, then upgrade) and websocket only.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Cleanup, CLIENT_VERSIONS, connect, startFixture, startLanchat, uniq } = require('../lib/helpers');

const TARGETS = [
  { name: 'tutorial gateway fixture', start: startFixture, exactJoinText: true },
  { name: 'lanchat serve', start: () => startLanchat(), exactJoinText: false },
];

// [A1, A2, B1] client versions.
const MIXES = [
  ['4.3.2', '4.3.2', '4.3.2'],
  ['latest', 'latest', 'latest'],
  ['4.3.2', 'latest', 'latest'],
];
const TRANSPORTS = [
  { name: 'default transports', opts: {} },
  { name: 'websocket only', opts: { transports: ['websocket'] } },
];

/** The tutorial page: connect, joinRoom without ack; resolves once the own join notice arrives. */
async function tutorialJoin(version, url, roomName, nickName, opts, cleanup) {
  const c = cleanup.add(await connect(version, url, opts));
  c.emit('joinRoom', { roomName, nickName });
  const notice = await c.waitFor('message', (m) => m && m.nickName === nickName, {
    what: `own join notice for ${nickName} in ${roomName}`,
  });
  return { c, notice: notice.data, index: notice.index };
}

function assertJoinNotice(notice, nickName, roomName, exact) {
  assert.equal(typeof notice, 'object');
  assert.equal(notice.nickName, nickName);
  assert.equal(typeof notice.message, 'string');
  assert.ok(notice.message.trim().length > 0, 'join notice has a readable message');
  if (exact) assert.equal(notice.message, `${nickName} 加入了 ${roomName} 房间`);
}

for (const target of TARGETS) {
  describe(`tutorial flow vs ${target.name}`, () => {
    let server;
    before(async () => {
      server = await target.start();
    });
    after(async () => {
      if (server) await server.stop();
    });

    for (const mix of MIXES) {
      for (const tr of TRANSPORTS) {
        const label = `clients ${mix.map((v) => `${v}(${CLIENT_VERSIONS[v]})`).join('/')}, ${tr.name}`;
        it(`join notice, room broadcast incl. sender, room isolation — ${label}`, async () => {
          const cleanup = new Cleanup();
          try {
            const roomA = uniq('aaa');
            const roomB = uniq('bbb');

            // A1 joins A and sees its own join notice.
            const a1 = await tutorialJoin(mix[0], server.url, roomA, 'a1', tr.opts, cleanup);
            assertJoinNotice(a1.notice, 'a1', roomA, target.exactJoinText);

            // B1 joins B.
            const b1 = await tutorialJoin(mix[2], server.url, roomB, 'b1', tr.opts, cleanup);
            assertJoinNotice(b1.notice, 'b1', roomB, target.exactJoinText);

            // A2 joins A: both A members see A2's join notice.
            const a2 = await tutorialJoin(mix[1], server.url, roomA, 'a2', tr.opts, cleanup);
            assertJoinNotice(a2.notice, 'a2', roomA, target.exactJoinText);
            const a2SeenByA1 = await a1.c.waitFor('message', (m) => m.nickName === 'a2', {
              what: 'a2 join notice at a1',
            });
            assertJoinNotice(a2SeenByA1.data, 'a2', roomA, target.exactJoinText);

            // A1 sends (tutorial payload, no ack): A1 (the sender) and A2 get {nickName, message}.
            const text = `hello ${roomA} 你好`;
            a1.c.emit('sendMessage', { room: roomA, nickName: 'a1', message: text });
            for (const [who, c] of [['a1', a1.c], ['a2', a2.c]]) {
              const got = await c.waitFor('message', (m) => m.message === text, {
                what: `a1's message at ${who}`,
              });
              assert.equal(got.data.nickName, 'a1');
              assert.equal(got.data.message, text);
            }

            // Isolation: B1 then sends in its own room and receives that first; by then anything
            // wrongly routed from room A would already have been delivered to it.
            const textB = `hello ${roomB}`;
            b1.c.emit('sendMessage', { room: roomB, nickName: 'b1', message: textB });
            const own = await b1.c.waitFor('message', (m) => m.message === textB, { what: "b1's own message" });
            assert.equal(own.data.nickName, 'b1');
            const bMsgs = b1.c.messages();
            for (const m of bMsgs) {
              assert.equal(m.nickName, 'b1', `room B member got a foreign message: ${JSON.stringify(m)}`);
              assert.notEqual(m.message, text, 'room A message leaked into room B');
              if (m.room !== undefined) assert.equal(m.room, roomB);
            }
            // B1 got exactly its join notice and its message.
            assert.equal(bMsgs.length, 2, `room B member messages: ${JSON.stringify(bMsgs)}`);

            // And A members never see B's traffic: A2 sends once more, both A members get it,
            // and neither has anything from b1.
            const text2 = 'second A message';
            a2.c.emit('sendMessage', { room: roomA, nickName: 'a2', message: text2 });
            for (const c of [a1.c, a2.c]) {
              await c.waitFor('message', (m) => m.message === text2, { what: 'second A message' });
              for (const m of c.messages()) assert.notEqual(m.nickName, 'b1', 'room B message leaked into room A');
            }
          } finally {
            await cleanup.run();
          }
        });
      }
    }
  });
}
