//! A stand-in for a socket.io-client Socket: records what the transport emits and lets a test
//! play the server (connect, drop, refuse, push events, answer acks).

import type { SocketLike } from '../src/transport/browser';

export interface Emitted {
  event: string;
  payload: any;
  ack?: (res: unknown) => void;
}

export class FakeSocket implements SocketLike {
  connected = false;
  active = true;
  emitted: Emitted[] = [];
  private handlers = new Map<string, ((...args: any[]) => void)[]>();

  on(event: string, fn: (...args: any[]) => void) {
    const list = this.handlers.get(event) ?? [];
    list.push(fn);
    this.handlers.set(event, list);
    return this;
  }

  emit(event: string, payload?: unknown, ack?: (res: unknown) => void) {
    this.emitted.push({ event, payload, ack });
    return this;
  }

  connectCalls = 0;

  connect() {
    this.connectCalls += 1;
    this.active = true;
    return this;
  }

  disconnect() {
    const was = this.connected;
    this.connected = false;
    this.active = false;
    if (was) this.fire('disconnect', 'io client disconnect');
    return this;
  }

  // ---- the server's side ----

  fire(event: string, ...args: unknown[]) {
    for (const fn of this.handlers.get(event) ?? []) fn(...args);
  }

  serverConnect() {
    this.connected = true;
    this.active = true;
    this.fire('connect');
  }

  /** The network drops; socket.io keeps retrying. */
  drop() {
    this.connected = false;
    this.fire('disconnect', 'transport close');
  }

  /** The server closes the connection itself (stopping, or dropping a lagging client). */
  serverDisconnect() {
    this.connected = false;
    this.active = false;
    this.fire('disconnect', 'io server disconnect');
  }

  /** The server middleware refuses the handshake; socket.io stops retrying. */
  refuse(message: string) {
    this.active = false;
    this.fire('connect_error', new Error(message));
  }

  /** Removes and returns what was emitted with this event name, oldest first. */
  take(event: string): Emitted[] {
    const hit = this.emitted.filter((e) => e.event === event);
    this.emitted = this.emitted.filter((e) => e.event !== event);
    return hit;
  }
}
