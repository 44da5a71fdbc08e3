import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigInput } from '../config/schema.js';
import { ManualClock } from '../io/clock.js';
import { linkPair } from '../../test/helpers/link-pair.js';

const stops: (() => void)[] = [];
after(() => {
  for (const s of stops) s();
});

/** A server link up for alice with `config`, on a manual clock; what reaches the TUN and the client. */
function rig(config: ConfigInput) {
  const clock = new ManualClock(1000);
  const p = linkPair({ ipv6: false, config, clock });
  stops.push(() => p.stop());
  p.start();
  assert.equal(p.s.state, 'up');
  const toTun: Uint8Array[] = [];
  p.server.tun.write = (pkt: Uint8Array) => void toTun.push(pkt);
  const frames: Uint8Array[] = [];
  const send = p.s.transport.sendFrame.bind(p.s.transport);
  p.s.transport.sendFrame = (f, now) => {
    frames.push(f);
    send(f, now);
  };
  const peer = p.s.peerIp!.split('.').map(Number);
  const local = p.s.localIp!.split('.').map(Number);
  return { p, clock, toTun, frames, peer, local, stats: p.server.stats };
}

/** An IPv4 packet of `size` octets (protocol 253) from `src` to `dst`. */
function ipv4(src: number[], dst: number[], size: number): Uint8Array {
  const b = new Uint8Array(size);
  b[0] = 0x45;
  b[2] = size >> 8;
  b[3] = size & 0xff;
  b[6] = 0x40;
  b[8] = 64;
  b[9] = 253;
  b.set(src, 12);
  b.set(dst, 16);
  return b;
}

test('Network, rateLimits.users[alice] 80k both ways: a 3000-octet burst passes each way, the rest is dropped and counted until the clock refills it', () => {
  const r = rig({ rateLimits: { burstMs: 100, users: { alice: { up: '80k', down: '80k' } } } });
  assert.deepEqual(r.p.s.rateLimit, { upBps: 80_000, downBps: 80_000 });
  assert.equal(r.p.s.rateLimitSource, 'rateLimits.users["alice"]');
  // Toward the client (TUN → link): 80 kbit/s = 10 octets/ms, bucket at its 3000-octet floor.
  const now = r.clock.now();
  const before = r.frames.length;
  for (let i = 0; i < 5; i++) r.p.s.fromTun(ipv4(r.local, r.peer, 1000), now);
  assert.equal(r.frames.length - before, 3);
  assert.equal(r.stats.rateLimitedOut, 2);
  r.clock.advance(100);
  r.p.s.fromTun(ipv4(r.local, r.peer, 1000), r.clock.now());
  assert.equal(r.frames.length - before, 4, '100 ms later: 1000 octets more');
  // From the client (link → TUN).
  for (let i = 0; i < 5; i++) {
    r.p.c.fromTun(ipv4(r.peer, r.local, 1000), 0);
    r.p.pump();
  }
  assert.equal(r.toTun.length, 3);
  assert.equal(r.stats.rateLimitedIn, 2);
});

test('Network, only rateLimits.users[bob]: alice is not limited, nothing is counted', () => {
  const r = rig({ rateLimits: { users: { bob: { down: '8k' } } } });
  assert.equal(r.p.s.rateLimit, undefined);
  const before = r.frames.length;
  for (let i = 0; i < 50; i++) r.p.s.fromTun(ipv4(r.local, r.peer, 1400), r.clock.now());
  assert.equal(r.frames.length - before, 50);
  assert.equal(r.stats.rateLimitedOut + r.stats.rateLimitedIn, 0);
});

test('Network, rateLimits.default down only: upload unlimited; setRateLimit(undefined) lifts it live', () => {
  const r = rig({ rateLimits: { default: { down: '80k' } } });
  assert.deepEqual(r.p.s.rateLimit, { downBps: 80_000 });
  assert.equal(r.p.s.rateLimitSource, 'rateLimits.default');
  for (let i = 0; i < 10; i++) {
    r.p.c.fromTun(ipv4(r.peer, r.local, 1000), 0);
    r.p.pump();
  }
  assert.equal(r.toTun.length, 10);
  r.p.s.setRateLimit(undefined, 'test', r.clock.now());
  const before = r.frames.length;
  for (let i = 0; i < 10; i++) r.p.s.fromTun(ipv4(r.local, r.peer, 1000), r.clock.now());
  assert.equal(r.frames.length - before, 10);
  assert.equal(r.stats.rateLimitedOut, 0);
});
