// Which node of a cluster a browser guest moves to (transport/nodes.ts): the same promises as the
// Rust client's failover.rs.

import { describe, expect, it } from 'vitest';
import { authorityOf, MAX_NODES, NodeRing } from '../src/transport/nodes';

const THREE = ['http://10.0.0.1:7878', 'http://10.0.0.2:7878', 'http://10.0.0.3:7878'];

describe('NodeRing', () => {
  it('retries a single host (no nodes in /api/info): nothing moves', () => {
    const r = new NodeRing('http://10.0.0.1:7878', 7);
    r.learn([]);
    expect(r.all()).toEqual(['10.0.0.1:7878']);
    for (let i = 0; i < 3; i += 1) expect(r.failed()).toBe('http://10.0.0.1:7878');
  });

  it('tries every other node once before coming back, skipping those that just failed', () => {
    const r = new NodeRing('http://10.0.0.1:7878', 7);
    r.learn(THREE);
    const second = r.failed();
    const third = r.failed();
    expect(new Set(['http://10.0.0.1:7878', second, third]).size).toBe(3);
    // Every node failed: a new round, from the next one on.
    expect(r.failed()).toBe('http://10.0.0.1:7878');
    expect(r.failed()).toBe(second);
  });

  it('skips a failed node after a refresh, until a connect succeeds', () => {
    const r = new NodeRing('http://10.0.0.1:7878', 3);
    r.learn(THREE);
    const b = r.failed();
    r.learn(THREE);
    expect(r.current()).toBe(b);
    const c = r.failed();
    expect([b, 'http://10.0.0.1:7878']).not.toContain(c);
    r.connected();
    expect(r.failed()).not.toBe(c);
  });

  it('keeps the current node and the scheme joined with; drops junk and duplicates', () => {
    const r = new NodeRing('https://LOCALHOST:7878/', 1);
    r.learn(['http://10.0.0.2:7878', 'not a url', 'ftp://10.0.0.9:21', 'https://10.0.0.2:7878/', 'http://10.0.0.3:80']);
    expect([...r.all()].sort()).toEqual(['10.0.0.2:7878', '10.0.0.3:80', 'localhost:7878']);
    expect(r.current()).toBe('https://localhost:7878');
    r.learn(['http://10.0.0.3:80']);
    expect([...r.all()].sort()).toEqual(['10.0.0.3:80', 'localhost:7878']);
    while (r.current() !== 'https://10.0.0.3:80') r.failed();
  });

  it('cuts a huge list to MAX_NODES, keeping the current node', () => {
    const r = new NodeRing('http://10.0.0.1:7878', 5);
    r.learn(Array.from({ length: 5000 }, (_, i) => `http://10.1.${Math.floor(i / 250)}.${i % 250}:7878`));
    expect(r.all()).toHaveLength(MAX_NODES);
    expect(r.current()).toBe('http://10.0.0.1:7878');
  });

  it('spreads the guests of a dead node over the other nodes', () => {
    const landed = new Map<string, number>();
    for (let seed = 0; seed < 300; seed += 1) {
      const r = new NodeRing('http://10.0.0.1:7878', seed);
      r.learn(THREE);
      const to = r.failed();
      landed.set(to, (landed.get(to) ?? 0) + 1);
    }
    expect(landed.size).toBe(2);
    for (const n of landed.values()) expect(n).toBeGreaterThan(100);
  });

  it('reads host:port from an address, with the default port spelled out', () => {
    expect(authorityOf('http://Example.lan:7878/x?y')).toBe('example.lan:7878');
    expect(authorityOf('http://[::1]:7878')).toBe('[::1]:7878');
    expect(authorityOf('https://h')).toBe('h:443');
    expect(authorityOf('javascript:alert(1)')).toBeNull();
  });
});
