'use strict';
// `lanchat join HOST:PORT --room R --nick N` as a line-based client: against the tutorial gateway
// fixture (a plain socket.io server with no acks and no /api/info) and against `lanchat serve`,
// with a socket.io-client peer in the same room. Plus its failures: closed port, wrong password.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { Cleanup, CLIENT_VERSIONS, closedPort, connect, spawnLanchat, startFixture, startLanchat } = require('../lib/helpers');

const JOIN_EXIT_MS = Number(process.env.INTEROP_JOIN_EXIT_MS || 30000);

// `lanchat join` always uses TLS and pins the host: a tutorial server speaks no TLS (so
// --insecure-plain), and a lanchat host seen for the first time needs --accept-new-host when
// there is no terminal to ask on.
const TARGETS = [
  { name: 'tutorial gateway fixture', start: () => startFixture(), trust: ['--insecure-plain'] },
  { name: 'lanchat serve', start: () => startLanchat(), trust: ['--accept-new-host'] },
];

for (const target of TARGETS) {
  describe(`lanchat join vs ${target.name}`, () => {
    for (const v of ['4.3.2', 'latest']) {
      it(`two stdin lines reach the peer, the peer's line is printed, exit 0 on EOF — peer socket.io-client ${CLIENT_VERSIONS[v]}`, async () => {
        const cleanup = new Cleanup();
        try {
          const server = cleanup.add(await target.start());

          // The peer: the tutorial page's way of joining.
          const alice = cleanup.add(await connect(v, server.url));
          alice.emit('joinRoom', { roomName: 'r', nickName: 'alice' });
          await alice.waitFor('message', (m) => m.nickName === 'alice', { what: "alice's join notice" });

          const lines = ['hello from bob', 'second line 第二行'];
          const bob = cleanup.add(spawnLanchat(['join', `127.0.0.1:${server.port}`, '--room', 'r', '--nick', 'bob', ...target.trust]));
          // bob's join notice tells the peer that bob is in the room.
          await alice.waitFor('message', (m) => m.nickName === 'bob' && !lines.includes(m.message), {
            what: `bob's join notice (lanchat join)\n${bob.describe()}`,
          });

          // The peer speaks; lanchat join prints it as "alice: hi".
          alice.emit('sendMessage', { room: 'r', nickName: 'alice', message: 'hi' });
          await bob.waitForLine(/^alice: hi$/, undefined, '"alice: hi"');

          // Two lines on stdin, then EOF: both must still be delivered, then a clean exit.
          bob.child.stdin.write(`${lines[0]}\n`);
          bob.child.stdin.write(`${lines[1]}\n`);
          bob.child.stdin.end();
          const got = [];
          for (const text of lines) {
            const m = await alice.waitFor('message', (x) => x.message === text, {
              what: `"${text}" from lanchat join\n${bob.describe()}`,
            });
            assert.equal(m.data.nickName, 'bob');
            got.push(m.index);
          }
          assert.ok(got[0] < got[1], 'stdin lines arrive in order');
          const { code, signal } = await bob.waitExit(JOIN_EXIT_MS);
          assert.equal(signal, null, `lanchat join killed by ${signal}\n${bob.describe()}`);
          assert.equal(code, 0, `lanchat join exit code\n${bob.describe()}`);
          // Each stdin line was sent exactly once.
          for (const text of lines) {
            assert.equal(alice.messages().filter((m) => m.message === text).length, 1, `"${text}" sent once`);
          }
        } finally {
          await cleanup.run();
        }
      });
    }
  });
}

describe('lanchat join failures', () => {
  it('closed port: exits non-zero with a clear message on stderr', async () => {
    const cleanup = new Cleanup();
    try {
      const port = await closedPort();
      const bob = cleanup.add(spawnLanchat(['join', `127.0.0.1:${port}`, '--room', 'r', '--nick', 'bob']));
      // stdin stays open: it must give up because of the connection, not because of EOF.
      const { code } = await bob.waitExit(JOIN_EXIT_MS);
      assert.notEqual(code, 0, `exit code\n${bob.describe()}`);
      assert.ok(bob.stderr.trim().length > 0, 'something on stderr');
      assert.match(bob.stderr, /connect|refused|reach/i, `stderr explains the connection failure\n${bob.describe()}`);
      assert.ok(bob.stderr.length < 4000, `a message, not a dump (${bob.stderr.length} chars)`);
    } finally {
      await cleanup.run();
    }
  });

  it('wrong or missing password: exits non-zero mentioning the password', async () => {
    const cleanup = new Cleanup();
    try {
      // The peer below is a plain socket.io client with the password: the host allows it.
      const server = cleanup.add(await startLanchat(['--password', 's3cret', '--plain-guests', 'on']));
      const addr = `127.0.0.1:${server.port}`;
      const wrong = cleanup.add(spawnLanchat(['join', addr, '--room', 'r', '--nick', 'bob', '--password', 'wrong', '--accept-new-host']));
      const missing = cleanup.add(spawnLanchat(['join', addr, '--room', 'r', '--nick', 'bob', '--accept-new-host']));
      for (const [what, p] of [['wrong', wrong], ['missing', missing]]) {
        const { code } = await p.waitExit(JOIN_EXIT_MS);
        assert.notEqual(code, 0, `${what} password: exit code\n${p.describe()}`);
        assert.match(p.stderr, /password/i, `${what} password: stderr mentions the password\n${p.describe()}`);
      }
      // And the right one gets in.
      const peer = cleanup.add(await connect('latest', server.url, { auth: { password: 's3cret' } }));
      peer.emit('joinRoom', { roomName: 'r', nickName: 'alice' });
      await peer.waitFor('message', (m) => m.nickName === 'alice');
      const ok = cleanup.add(spawnLanchat(['join', addr, '--room', 'r', '--nick', 'bob', '--password', 's3cret', '--accept-new-host']));
      await peer.waitFor('message', (m) => m.nickName === 'bob' && m.kind === 'join', { what: `bob's join\n${ok.describe()}` });
      ok.child.stdin.end('with password\n');
      const m = await peer.waitFor('message', (x) => x.message === 'with password', { what: `bob's line\n${ok.describe()}` });
      assert.equal(m.data.nickName, 'bob');
      const { code } = await ok.waitExit(JOIN_EXIT_MS);
      assert.equal(code, 0, `right password: exit code\n${ok.describe()}`);
    } finally {
      await cleanup.run();
    }
  });
});
