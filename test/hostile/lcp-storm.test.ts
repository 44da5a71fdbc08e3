/**
 * LCP option storms against a real server link (PppLink over an in-memory
 * transport): huge and endless Configure-Requests get one bounded answer each,
 * never more, and a peer that keeps the link from coming up is closed after
 * limits.setupTimeoutS, leaving no timer behind.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { PppLink, serverSessionOptions, type LinkTransport } from '../../src/server/link.js';
import { testContext, type SkewClock } from '../l2tp/lns-harness.js';

const contexts: ReturnType<typeof testContext>[] = [];
after(() => {
  for (const c of contexts) c.scheduler.stop();
});

function rig() {
  const ctx = testContext(
    { pools: [{ name: 't', local: '10.95.0.1', ranges: ['10.95.0.10-10.95.0.20'] }], listen: { pptp: { enabled: false }, l2tp: { enabled: false } }, limits: { setupTimeoutS: 20 } },
    { users: [['alice', 'pw']] },
  );
  contexts.push(ctx);
  const sent: Uint8Array[] = [];
  let closedWith: string | undefined;
  const transport: LinkTransport = {
    proto: 'pptp',
    peerAddress: '203.0.113.9',
    sendFrame: (f) => void sent.push(f.slice()),
    close: (reason) => void (closedWith = reason),
    tunnelOptions: () => ({ proto: 'pptp' }),
  };
  const link = new PppLink(ctx, transport, serverSessionOptions(ctx, 'pptp'));
  link.start(ctx.clock.now());
  return { ctx, link, sent, closed: () => closedWith };
}

/** An LCP Configure-Request frame with `options` (raw option bytes). */
function lcpCr(id: number, options: Uint8Array): Uint8Array {
  const len = 4 + options.length;
  const f = new Uint8Array(4 + len);
  f.set([0xff, 0x03, 0xc0, 0x21, 1, id & 0xff, len >> 8, len & 0xff]);
  f.set(options, 8);
  return f;
}

test('Establish: a Configure-Request with 700 unknown options → one Configure-Reject no larger than the request', () => {
  const r = rig();
  const opts = new Uint8Array(1400);
  for (let i = 0; i < 700; i++) opts.set([200 + (i % 50), 2], i * 2);
  const before = r.sent.length;
  r.link.fromTransport(lcpCr(1, opts), r.ctx.clock.now());
  const answers = r.sent.slice(before).filter((f) => f[2] === 0xc0 && f[3] === 0x21 && f[4] !== 1);
  assert.equal(answers.length, 1);
  assert.equal(answers[0]![4], 4, 'Configure-Reject');
  assert.ok(answers[0]!.length <= 8 + 1400);
});

test('Establish: a storm of 2000 Configure-Requests with changing options → at most one answer each, link never up, closed by the setup timeout without leaks', () => {
  const r = rig();
  const clock = r.ctx.clock as SkewClock;
  let answers = 0;
  for (let i = 0; i < 2000; i++) {
    // MRU values the server Naks, Magic-Number 0 (invalid), Callback: a peer that never settles.
    const opts = Uint8Array.of(1, 4, (i >> 8) & 0xff, i & 0xff, 5, 6, 0, 0, 0, 0, 13, 3, 6);
    const before = r.sent.length;
    r.link.fromTransport(lcpCr(i, opts), clock.now());
    answers += r.sent.slice(before).filter((f) => f[2] === 0xc0 && f[3] === 0x21 && (f[4] === 2 || f[4] === 3 || f[4] === 4)).length;
  }
  assert.ok(answers <= 2000, `${answers} answers to 2000 requests`);
  assert.equal(r.link.state, 'starting');
  // The setup timeout (20 s) closes it; Terminate-Requests go unanswered and the link ends.
  const state = (): string => r.link.state;
  for (let step = 0; step < 20 && state() !== 'down'; step++) {
    clock.skewMs += 5000;
    r.ctx.scheduler.run();
  }
  assert.equal(state(), 'down');
  assert.match(r.link.endReason ?? '', /setup timeout/);
  assert.ok(r.closed(), 'the transport call was closed');
  assert.equal(r.ctx.scheduler.size, 0, 'no timers left');
});
