import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GreEndpoint, type GreSocketLike } from './gre-endpoint.js';
import { RxBatch, type TxBatch } from '../io/packet-batch.js';
import { ManualClock } from '../io/clock.js';
import { encodeGre } from '../pptp/gre.js';
import { silentLogger } from '../log/logger.js';
import { Scheduler } from './scheduler.js';
import type { ServerContext } from './context.js';
import type { PppLink } from './link.js';

const PEER = 0x0a000002;

function setup(): { ep: GreEndpoint; receive: (bytes: Uint8Array, src?: number) => void; clock: ManualClock } {
  let onPackets: ((b: RxBatch) => void) | undefined;
  const sock: GreSocketLike = {
    send: (b: TxBatch) => b.count,
    onPackets: (cb) => void (onPackets = cb),
    onIcmpError: () => {},
    onSendError: () => {},
    onError: () => {},
  };
  const clock = new ManualClock();
  const timers = { set: () => 0, clear: () => {} };
  const ctx = { clock, scheduler: new Scheduler(clock, timers), tun: { flush: () => {} } } as unknown as ServerContext;
  const ep = new GreEndpoint(ctx, sock, silentLogger);
  const rx = new RxBatch(4, 2048);
  const receive = (bytes: Uint8Array, src = PEER): void => {
    rx.data.set(bytes, 0);
    rx.meta[0] = 0;
    rx.meta[1] = bytes.length;
    rx.meta[2] = src;
    rx.count = 1;
    onPackets!(rx);
  };
  return { ep, receive, clock };
}

function fakeLink(got: Uint8Array[]): PppLink {
  return { fromTransport: (f: Uint8Array) => got.push(f.slice()) } as unknown as PppLink;
}

const lcp = Uint8Array.of(0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4);

test('no call yet: GRE for its Call ID arrives first → delivered once the call opens and its link is attached', async () => {
  const { ep, receive } = setup();
  receive(encodeGre({ callId: 777, seq: 0, payload: lcp }));
  assert.equal(ep.stats.unknownCall, 1);
  const call = ep.open(PEER, 777, 4242, 64);
  const got: Uint8Array[] = [];
  call.link = fakeLink(got);
  assert.equal(got.length, 0, 'not before the owner has attached the link');
  await Promise.resolve();
  assert.deepEqual(got, [lcp]);
  // a later packet follows in sequence
  receive(encodeGre({ callId: 777, seq: 1, payload: lcp }));
  assert.equal(got.length, 2);
});

test('no call yet: early GRE from another address, or older than 2 s → not delivered', async () => {
  const { ep, receive, clock } = setup();
  receive(encodeGre({ callId: 778, seq: 0, payload: lcp }), PEER + 1);
  receive(encodeGre({ callId: 779, seq: 0, payload: lcp }));
  clock.advance(2500);
  const a = ep.open(PEER, 778, 1, 64);
  const b = ep.open(PEER, 779, 2, 64);
  const got: Uint8Array[] = [];
  a.link = fakeLink(got);
  b.link = fakeLink(got);
  await Promise.resolve();
  assert.equal(got.length, 0);
});
