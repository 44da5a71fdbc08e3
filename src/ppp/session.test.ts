/**
 * PppSession API behaviour: data path guards, drops by reason, Protocol-
 * Reject, MTU, events without a sink. Full negotiations live in test/ppp/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PppSession } from './session.js';
import { seededRng } from '../core/rng.js';
import { LocalUsageError } from '../core/errors.js';
// Two sessions over a perfect link, returned after the link is up.
import { linkAtTimeZero as up } from '../../test/ppp/harness.js';

const NO_MPPE = { strengths: [], required: false, allowStateful: false } as const;

const ip4 = (len: number): Uint8Array => {
  const p = new Uint8Array(len);
  p[0] = 0x45;
  return p;
};

test('Dead: start twice → LocalUsageError', () => {
  const s = new PppSession({ role: 'server' }, seededRng(1));
  s.start(0);
  assert.throws(() => s.start(0), LocalUsageError);
});

test('Establish: sendIp before the link is up → undefined, counted network-not-open', () => {
  const s = new PppSession({ role: 'server' }, seededRng(1));
  s.start(0);
  assert.equal(s.sendIp(ip4(100), 0), undefined);
  assert.equal(s.counters.drops['tx-invalid'], 1, 'MTU is 0 before LCP opens');
});

test('Establish: Apple 0x8235 before LCP Opened → dropped, no Protocol-Reject', () => {
  const s = new PppSession({ role: 'server' }, seededRng(1));
  s.start(0);
  const out = s.receiveFrame(Uint8Array.from([0xff, 0x03, 0x82, 0x35, 1, 1, 0, 4]), 0);
  assert.ok(!out.some((o) => o.kind === 'send'));
  assert.equal(s.counters.drops['protocol-unknown'], 1);
});

test('any phase: malformed headers → frame-malformed, never throws', () => {
  const s = new PppSession({ role: 'server' }, seededRng(1));
  s.start(0);
  for (const b of [[], [0xff], [0xff, 0x04, 0xc0, 0x21], [0xff, 0x03], [0xc0], [0x02, 0x02]]) s.receiveFrame(Uint8Array.from(b), 0);
  assert.equal(s.counters.drops['frame-malformed'], 6);
});

test('Network: no MPPE, no sink → ip-packet events carry a copy; counters move', () => {
  const { s, c } = up({ mppe: NO_MPPE }, { mppe: NO_MPPE });
  assert.ok(s.isUp && c.isUp);
  const f = c.sendIp(ip4(64), 0)!;
  const out = s.receiveFrame(f, 0);
  const ev = out.find((o) => o.kind === 'event' && o.event.type === 'ip-packet');
  assert.ok(ev?.kind === 'event' && ev.event.type === 'ip-packet');
  assert.equal(ev.event.family, 4);
  assert.equal(ev.event.packet.length, 64);
  assert.notEqual(ev.event.packet.buffer, f.buffer, 'a copy, not a view of the frame');
  assert.deepEqual([s.counters.packetsIn, s.counters.bytesIn, c.counters.packetsOut, c.counters.bytesOut], [1, 64, 1, 64]);
});

test('Network: MPPE running → plain IP refused as unencrypted; oversize sendIp refused', () => {
  const { s } = up();
  assert.ok(s.isUp);
  const out = s.receiveFrame(Uint8Array.from([0x21, ...ip4(40)]), 0);
  assert.deepEqual(out, [{ kind: 'drop', reason: 'unencrypted' }]);
  assert.equal(s.sendIp(ip4(1497), 0), undefined);
  assert.equal(s.counters.drops['tx-invalid'], 1);
  assert.ok(s.sendIp(ip4(1496), 0));
});

test('Network: MTU = min(local MTU, peer MRU) less 4 for MPPE', () => {
  const { s, c, events } = up({ mtu: 1450 }, { mru: 1400 });
  assert.equal(s.currentMtu, 1396);
  assert.equal(c.currentMtu, 1496);
  const mtus = events.s.flatMap((o) => (o.kind === 'event' && o.event.type === 'mtu' ? [o.event.mtu] : []));
  assert.deepEqual(mtus, [1400, 1396]);
});

test('Network: Apple 0x8235 and IPV6CP (IPv6 off) → Protocol-Reject, link stays up', () => {
  const { s } = up();
  for (const frame of [[0xff, 0x03, 0x82, 0x35, 1, 1, 0, 4], [0x80, 0x57, 1, 1, 0, 4]]) {
    const out = s.receiveFrame(Uint8Array.from(frame), 0);
    const pr = out.find((o) => o.kind === 'send');
    assert.ok(pr?.kind === 'send');
    assert.deepEqual([...pr.bytes.subarray(0, 4)], [0xff, 0x03, 0xc0, 0x21], 'LCP keeps FF 03 even with ACFC');
    assert.equal(pr.bytes[4], 8);
    assert.deepEqual([...pr.bytes.subarray(8, 10)], frame.slice(frame[0] === 0xff ? 2 : 0, frame[0] === 0xff ? 4 : 2));
  }
  assert.ok(s.isUp);
});

test('Network: ipSink gets a zero-copy view and receiveFrame allocates no outputs', () => {
  const got: Uint8Array[] = [];
  const { s, c } = up({ mppe: NO_MPPE, ipSink: (p) => got.push(p) }, { mppe: NO_MPPE });
  const f = c.sendIp(ip4(80), 0)!;
  const r1 = s.receiveFrame(f, 0);
  const r2 = s.receiveFrame(c.sendIp(ip4(90), 0)!, 0);
  assert.equal(r1.length, 0);
  assert.equal(r1, r2, 'the same shared empty array');
  assert.equal(got[0]!.length, 80);
});

test('Network: close → Terminate phase → Dead after Terminate-Ack with our reason', () => {
  const { s, c, apply } = up();
  const out = s.close('admin shutdown', 0);
  assert.equal(s.phase, 'Terminate');
  const term = out.find((o) => o.kind === 'send')!;
  assert.ok(term.kind === 'send');
  const back = c.receiveFrame(term.bytes, 0);
  const ack = back.find((o) => o.kind === 'send');
  assert.ok(ack?.kind === 'send');
  const fin = s.receiveFrame(ack.bytes, 0);
  apply(s, fin);
  assert.equal(s.phase, 'Dead');
  assert.ok(fin.some((o) => o.kind === 'event' && o.event.type === 'link-down' && o.event.reason === 'admin shutdown'));
});

test('Network: MPPE allowed but PAP gives no keys → CCP not run; a peer CCP request is Protocol-Rejected', () => {
  const optional = { strengths: [128], required: false, allowStateful: false } as const;
  const { s } = up({ auth: { require: ['pap'] }, mppe: optional }, { mppe: NO_MPPE });
  assert.ok(s.isUp);
  const out = s.receiveFrame(Uint8Array.from([0x80, 0xfd, 1, 1, 0, 10, 18, 6, 1, 0, 0, 0x40]), 0);
  const pr = out.find((o) => o.kind === 'send');
  assert.ok(pr?.kind === 'send');
  assert.deepEqual([...pr.bytes.subarray(2, 5)], [0xc0, 0x21, 8]);
  assert.ok(s.isUp);
});

test('any phase: random frames never throw; every output is a send, event or counted drop', async () => {
  const fc = (await import('fast-check')).default;
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 60 }), { maxLength: 30 }), fc.boolean(), (frames, established) => {
      const { s } = established ? up() : { s: new PppSession({ role: 'server' }, seededRng(9)) };
      if (!established) s.start(0);
      for (const f of frames) {
        // Bias towards real protocol numbers so the control paths are reached.
        const framed = f.length > 2 && f[0]! < 0x60 ? Uint8Array.from([0xff, 0x03, [0xc0, 0x80, 0x80, 0xc2, 0x82][f[1]! % 5]!, [0x21, 0x21, 0xfd, 0x23, 0x35][f[1]! % 5]!, ...f.subarray(2)]) : f;
        for (const o of s.receiveFrame(framed, 0)) assert.ok(o.kind === 'send' || o.kind === 'event' || o.kind === 'drop');
      }
    }),
    { numRuns: 150 },
  );
});

test('Machine form: handle() dispatches like the methods', () => {
  const s = new PppSession({ role: 'server', fsm: { restartMs: 500 } }, seededRng(1));
  const out = s.handle({ type: 'start' }, 0);
  assert.ok(out.some((o) => o.kind === 'send'));
  assert.equal(s.nextDeadline(), 500);
  assert.ok(s.handle({ type: 'timeout' }, 500).some((o) => o.kind === 'send'));
  const closed = s.handle({ type: 'close', reason: 'bye' }, 600);
  assert.equal(s.phase, 'Terminate');
  assert.ok(closed.some((o) => o.kind === 'send' && o.bytes[4] === 5), 'Terminate-Request');
  const dead = s.handle({ type: 'lower-down' }, 700);
  assert.equal(s.phase, 'Dead');
  assert.ok(dead.some((o) => o.kind === 'event' && o.event.type === 'link-down' && o.event.reason === 'bye'));
});
