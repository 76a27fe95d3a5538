//! Which node of a cluster the browser guest moves to when its own stops answering: the same
//! rules as the Rust client's `client/failover.rs`. Pure: the transport tells it what `/api/info`
//! listed and how each attempt went, and connects where it says. On a single host the list is
//! that host alone, so nothing moves.
//!
//! The order differs per guest (a hash of a per-tab seed and each node's address), so the guests
//! of a node that dies spread over the others instead of all landing on the same one.

/** The most nodes a guest keeps from a list: a bound on what a broken node's list can cause. */
export const MAX_NODES = 64;

/** `host:port` of an `http(s)://host:port/…` address, lower case; null if it is not one. */
export function authorityOf(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  // `URL.host` drops a default port; lanchat addresses always carry theirs.
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return `${u.hostname.toLowerCase()}:${port}`;
}

/** FNV-1a over the seed and the address: a stable, per-guest order. */
function rank(seed: number, authority: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < authority.length; i += 1) {
    h ^= authority.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export class NodeRing {
  /** `scheme:` of the address joined: every node is reached the same way. */
  private readonly scheme: string;
  /** `host:port` of every node in this guest's order; the current one is always there. */
  private order: string[];
  /** Index in `order` of the node connected to, or being tried. */
  private at = 0;
  /** Nodes whose attempt failed since the last successful connect. */
  private readonly down = new Set<string>();

  /** A guest that joined `home` (`http(s)://host:port`). */
  constructor(
    home: string,
    private readonly seed: number = Math.floor(Math.random() * 2 ** 32),
  ) {
    this.scheme = new URL(home).protocol;
    this.order = [authorityOf(home) ?? new URL(home).host];
  }

  /** The address to connect to: `http(s)://host:port`. */
  current(): string {
    return `${this.scheme}//${this.order[this.at]}`;
  }

  /** Every node, in this guest's order (`host:port`). */
  all(): readonly string[] {
    return this.order;
  }

  /**
   * The `nodes[].url`s of the latest `/api/info` (none on a single host). Junk is skipped; the
   * current node stays even when unlisted (the address typed may not be the one advertised).
   */
  learn(urls: readonly string[]): void {
    const current = this.order[this.at];
    const set = new Set(urls.map(authorityOf).filter((a): a is string => a !== null).slice(0, MAX_NODES - 1));
    set.add(current);
    this.order = [...set].sort((a, b) => rank(this.seed, a) - rank(this.seed, b) || (a < b ? -1 : 1));
    this.at = this.order.indexOf(current);
    for (const d of [...this.down]) if (!set.has(d)) this.down.delete(d);
  }

  /**
   * The attempt on the current node failed: moves on to the next node in this guest's order that
   * has not failed since the last connect (a new round once every one has). Returns the address
   * to try next: the same one when the node is alone.
   */
  failed(): string {
    const n = this.order.length;
    this.down.add(this.order[this.at]);
    if (this.down.size >= n) this.down.clear();
    for (let step = 1; step <= n; step += 1) {
      const i = (this.at + step) % n;
      if (!this.down.has(this.order[i])) {
        this.at = i;
        break;
      }
    }
    return this.current();
  }

  /** Connected to the current node: earlier failures no longer count. */
  connected(): void {
    this.down.clear();
  }
}
