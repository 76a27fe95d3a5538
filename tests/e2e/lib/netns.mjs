// A private LAN for the discovery suite, the JavaScript twin of tests/common/netns.rs: one network
// namespace per machine, each with a veth `lan0` whose other end sits on a bridge in a namespace of
// its own. Multicast sent inside crosses real (virtual) interfaces yet never reaches this
// computer's network: nothing is added to the root namespace. Needs root and `ip` (iproute2).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

function ip(args, { check = true } = {}) {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (check && r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r;
}

/** Why no LAN can be made here (not root, no `ip`), or null. */
export function lanUnavailable() {
  if (process.getuid?.() !== 0) return `not root (euid ${process.getuid?.()}): network namespaces need root`;
  const r = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (r.status !== 0) return 'no `ip` command (install iproute2)';
  return null;
}

/** Machines on one bridge, at 10.77.0.1, 10.77.0.2, … in the order they were named. */
export class Lan {
  constructor(machines) {
    this.prefix = `lce${process.pid}`;
    this.machines = machines;
    this.made = [];
    try {
      const sw = this.#ns('sw');
      ip(['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
      ip(['-n', sw, 'link', 'set', 'br0', 'up']);
      machines.forEach((m, i) => {
        const ns = this.#ns(m);
        const port = `p${i}`;
        ip(['link', 'add', 'lan0', 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', sw]);
        ip(['-n', sw, 'link', 'set', port, 'master', 'br0']);
        ip(['-n', sw, 'link', 'set', port, 'up']);
        ip(['-n', ns, 'addr', 'add', `${this.addr(m)}/24`, 'dev', 'lan0']);
        ip(['-n', ns, 'link', 'set', 'lan0', 'up']);
        ip(['-n', ns, 'link', 'set', 'lo', 'up']);
        ip(['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'lan0']);
      });
    } catch (e) {
      this.remove();
      throw e;
    }
  }

  #ns(name) {
    const ns = `${this.prefix}-${name}`;
    ip(['netns', 'add', ns]);
    this.made.push(ns);
    return ns;
  }

  /** The namespace of `machine`. */
  ns(machine) {
    if (!this.machines.includes(machine)) throw new Error(`no machine ${machine} on this LAN`);
    return `${this.prefix}-${machine}`;
  }

  /** A machine's address on the LAN. */
  addr(machine) {
    const i = this.machines.indexOf(machine);
    if (i < 0) throw new Error(`no machine ${machine} on this LAN`);
    return `10.77.0.${i + 1}`;
  }

  /** Deletes every namespace made (their interfaces go with them); safe to call twice. */
  remove() {
    for (const ns of this.made.splice(0).reverse()) {
      const r = ip(['netns', 'del', ns], { check: false });
      if (r.status !== 0 && fs.existsSync(`/run/netns/${ns}`)) console.error(`could not delete network namespace ${ns}: ${r.stderr}`);
    }
  }
}
