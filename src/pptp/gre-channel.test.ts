import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRng, randomU32 } from '../core/rng.js';
import { encodeGre, newGreHeader, parseGre, readGreHeader } from './gre.js';
import { GreChannel, type GreChannelOptions, type GreChannelSink } from './gre-channel.js';

/** A sink that records deliveries (first payload byte pair as a number) and transmissions. */
function recorder(): GreChannelSink & { got: number[]; sent: Uint8Array[] } {
  const got: number[] = [];
  const sent: Uint8Array[] = [];
  return { got, sent, deliver: (p) => got.push((p[0]! << 8) | p[1]!), transmit: (b) => sent.push(b) };
}
const payload = (n: number): Uint8Array => Uint8Array.of((n >> 8) & 0xff, n & 0xff, 0x21);
/** A data packet as the peer would send it. */
const data = (seq: number, callId = 7, ack?: number): Uint8Array =>
  encodeGre(ack === undefined ? { callId, seq, payload: payload(seq & 0xffff) } : { callId, seq, ack, payload: payload(seq & 0xffff) });
const opts = (o: Partial<GreChannelOptions> = {}): GreChannelOptions => ({ callId: 7, peerCallId: 9, peerRecvWindow: 64, ...o });

test('receive: in order → delivered in order, nothing dropped', () => {
  const ch = new GreChannel(opts());
  const s = recorder();
  for (let i = 0; i < 5; i++) ch.receive(data(i), i, s);
  assert.deepEqual(s.got, [0, 1, 2, 3, 4]);
  assert.equal(ch.stats.rxDelivered, 5);
  assert.deepEqual(Object.values(ch.stats.drops).reduce((a, b) => a + b), 0);
});

test('send: sequence numbers from 0, peer Call ID in the key, owed ack piggybacked once', () => {
  const ch = new GreChannel(opts());
  const s = recorder();
  const p0 = ch.send(Uint8Array.of(1), 0);
  assert.ok(typeof p0 !== 'string');
  const g0 = parseGre(p0);
  assert.ok(g0.ok);
  assert.deepEqual({ callId: g0.value.callId, seq: g0.value.seq, ack: g0.value.ack }, { callId: 9, seq: 0, ack: undefined });
  ch.receive(data(0), 1, s);
  ch.receive(data(1), 1, s);
  const p1 = ch.send(Uint8Array.of(2), 2);
  assert.ok(typeof p1 !== 'string');
  const g1 = parseGre(p1);
  assert.ok(g1.ok);
  assert.equal(g1.value.seq, 1);
  assert.equal(g1.value.ack, 1, 'acknowledges the highest received');
  const p2 = ch.send(Uint8Array.of(3), 3);
  assert.ok(typeof p2 !== 'string');
  const g2 = parseGre(p2);
  assert.ok(g2.ok);
  assert.equal(g2.value.ack, undefined, 'nothing owed any more');
  assert.equal(ch.nextDeadline(), undefined);
});

test('ack owed, nothing to send: ackDelayMs later → acknowledgment-only packet', () => {
  const ch = new GreChannel(opts({ ackDelayMs: 20 }));
  const s = recorder();
  ch.receive(data(0), 100, s);
  assert.equal(ch.nextDeadline(), 120);
  ch.timeout(119, s);
  assert.equal(s.sent.length, 0);
  ch.timeout(120, s);
  assert.equal(s.sent.length, 1);
  const g = parseGre(s.sent[0]!);
  assert.ok(g.ok);
  assert.deepEqual({ ...g.value, payload: g.value.payload.length }, { callId: 9, ack: 0, payload: 0 });
  assert.equal(ch.stats.txAckOnly, 1);
  assert.equal(ch.nextDeadline(), undefined);
});

test('half our window received unacknowledged → acknowledgment at once', () => {
  const ch = new GreChannel(opts({ recvWindow: 8, ackDelayMs: 1000 }));
  const s = recorder();
  for (let i = 0; i < 4; i++) ch.receive(data(i), 0, s);
  assert.equal(s.sent.length, 1);
  const g = parseGre(s.sent[0]!);
  assert.ok(g.ok);
  assert.equal(g.value.ack, 3);
});

test('reorder: 0, 2, 1 → delivered 0, 1, 2', () => {
  const ch = new GreChannel(opts());
  const s = recorder();
  for (const q of [0, 2, 1]) ch.receive(data(q), 0, s);
  assert.deepEqual(s.got, [0, 1, 2]);
  assert.equal(ch.stats.rxReordered, 1);
  assert.equal(ch.stats.rxLost, 0);
});

test('gap: 0, 2 then reorderTimeoutMs → 2 delivered, 1 lost; 1 arriving later → late', () => {
  const ch = new GreChannel(opts({ reorderTimeoutMs: 50 }));
  const s = recorder();
  ch.receive(data(0), 0, s);
  ch.receive(data(2), 10, s);
  assert.deepEqual(s.got, [0]);
  assert.equal(ch.nextDeadline(), 20, 'the delayed ack comes first');
  ch.timeout(20, s);
  assert.equal(ch.nextDeadline(), 60);
  ch.timeout(60, s);
  assert.deepEqual(s.got, [0, 2]);
  assert.equal(ch.stats.rxLost, 1);
  ch.receive(data(1), 70, s);
  assert.equal(ch.stats.drops.late, 1);
  assert.deepEqual(s.got, [0, 2]);
});

test('reorder buffer full: 0, 3, 4, 5 with room for 2 → gap given up at once', () => {
  const ch = new GreChannel(opts({ reorderMaxPackets: 2 }));
  const s = recorder();
  for (const q of [0, 3, 4, 5]) ch.receive(data(q), 0, s);
  assert.deepEqual(s.got, [0, 3, 4, 5]);
  assert.equal(ch.stats.rxLost, 2);
  assert.equal(ch.heldPackets, 0);
});

test('reorderMaxPackets 0: a packet ahead is delivered at once and the gap skipped', () => {
  const ch = new GreChannel(opts({ reorderMaxPackets: 0 }));
  const s = recorder();
  for (const q of [0, 2, 1, 3]) ch.receive(data(q), 0, s);
  assert.deepEqual(s.got, [0, 2, 3]);
  assert.equal(ch.stats.drops.late, 1);
});

test('duplicates: delivered and buffered ones → duplicate', () => {
  const ch = new GreChannel(opts());
  const s = recorder();
  for (const q of [0, 0, 2, 2]) ch.receive(data(q), 0, s);
  assert.equal(ch.stats.drops.duplicate, 2);
  assert.deepEqual(s.got, [0]);
});

test('receive: wrong Call ID, malformed header, data without sequence → dropped by reason', () => {
  const ch = new GreChannel(opts());
  const s = recorder();
  ch.receive(data(0, 8), 0, s);
  ch.receive(Uint8Array.of(0, 0, 8, 0), 0, s);
  ch.receive(encodeGre({ callId: 7, payload: Uint8Array.of(1) }), 0, s);
  assert.equal(ch.stats.drops['wrong-call-id'], 1);
  assert.equal(ch.stats.drops.malformed, 1);
  assert.equal(ch.stats.drops['no-sequence'], 1);
  assert.deepEqual(s.got, []);
});

test('first packet 2 → held for 0 and 1, which the RFC says come first', () => {
  const ch = new GreChannel(opts());
  const s = recorder();
  for (const q of [2, 0, 1]) ch.receive(data(q), 0, s);
  assert.deepEqual(s.got, [0, 1, 2]);
});

test('sequence numbers wrap past 2^32 - 1 in order', () => {
  const ch = new GreChannel(opts());
  const s = recorder();
  for (const q of [0xfffffffe, 0, 0xffffffff, 1]) ch.receive(data(q), 0, s);
  assert.deepEqual(s.got, [0xfffe, 0xffff, 0, 1]);
  assert.equal(ch.stats.rxReordered, 1);
});

test('Receiving: a stray number beyond seqWindow (a spoofed packet) → dropped as out-of-window, never delivered; the stream goes on', () => {
  const ch = new GreChannel(opts({ seqWindow: 100 }));
  const s = recorder();
  for (const q of [0, 1, 5000, 2, 0xfffff000, 3]) ch.receive(data(q), 0, s);
  assert.deepEqual(s.got, [0, 1, 2, 3]);
  assert.equal(ch.stats.drops['out-of-window'], 2);
  assert.equal(ch.stats.rxResyncs, 0);
});

test('Receiving: the same stray number many times → still dropped (a run needs consecutive numbers)', () => {
  const ch = new GreChannel(opts({ seqWindow: 100 }));
  const s = recorder();
  ch.receive(data(0), 0, s);
  for (let i = 0; i < 50; i++) ch.receive(data(5000), 0, s);
  ch.receive(data(1), 0, s);
  assert.deepEqual(s.got, [0, 1]);
  assert.equal(ch.stats.drops['out-of-window'], 50);
});

test('Receiving: the peer lost more than a window (or restarted its numbering) → after resyncPackets consecutive numbers out of window, the window moves and the stream continues', () => {
  for (const [from, to] of [[0, 5000], [7000, 3]] as const) {
    const ch = new GreChannel(opts({ seqWindow: 100, resyncPackets: 4 }));
    const s = recorder();
    for (let q = from; q < from + 3; q++) ch.receive(data(q), 0, s);
    for (let q = to; q < to + 10; q++) ch.receive(data(q), 1, s);
    assert.deepEqual(s.got, [from, from + 1, from + 2, ...Array.from({ length: 7 }, (_, i) => to + 3 + i)], `from ${from} to ${to}`);
    assert.equal(ch.stats.rxResyncs, 1);
    assert.equal(ch.stats.drops['out-of-window'], 3);
  }
});

test('Receiving, a spoofer sends a run out of window: the live peer’s in-window packets between them reset it → no resync', () => {
  const ch = new GreChannel(opts({ seqWindow: 100, resyncPackets: 4 }));
  const s = recorder();
  let legit = 0;
  ch.receive(data(legit++), 0, s);
  for (let q = 90_000; q < 90_040; q++) {
    ch.receive(data(q), 0, s);
    if (q % 3 === 0) ch.receive(data(legit++), 0, s);
  }
  assert.deepEqual(s.got, Array.from({ length: legit }, (_, i) => i));
  assert.equal(ch.stats.rxResyncs, 0);
  assert.equal(ch.stats.drops['out-of-window'], 40);
});

test('Receiving: a run out of window whose packets acknowledge numbers we never sent → no resync, acks ignored', () => {
  const ch = new GreChannel(opts({ seqWindow: 100, resyncPackets: 4 }));
  const s = recorder();
  ch.send(Uint8Array.of(1), 0);
  ch.receive(data(0), 0, s);
  for (let q = 5000; q < 5010; q++) ch.receive(data(q, 7, 123), 0, s);
  assert.deepEqual(s.got, [0]);
  assert.equal(ch.stats.rxResyncs, 0);
  assert.equal(ch.stats.badAcks, 0, 'acks of out-of-window packets are not even looked at');
  assert.equal(ch.inFlight, 1);
});

test('Receiving, seeded link: an outage longer than the window, with loss and reordering around it → delivery resumes in order within resyncPackets + reorder', () => {
  for (const seed of [1, 2, 3]) {
    const rng = seededRng(seed);
    const rnd = (): number => randomU32(rng) / 2 ** 32;
    const tx = new GreChannel({ callId: 9, peerCallId: 7, peerRecvWindow: 64 });
    const rx = new GreChannel({ callId: 7, peerCallId: 9, peerRecvWindow: 64, reorderMaxPackets: 16, reorderTimeoutMs: 30, seqWindow: 300, resyncPackets: 8 });
    const s = recorder();
    const arrivals: { at: number; bytes: Uint8Array; seq: number }[] = [];
    for (let i = 0; i < 3000; i++) {
      const pkt = tx.send(payload(i), i);
      assert.ok(typeof pkt !== 'string');
      const outage = i >= 1000 && i < 2000; // 1000 packets lost: beyond the 300 window
      if (!outage && rnd() >= 0.05) arrivals.push({ at: i + rnd() * 8, bytes: pkt, seq: i });
    }
    arrivals.sort((a, b) => a.at - b.at);
    for (const p of arrivals) {
      const d = rx.nextDeadline();
      if (d !== undefined && d <= p.at) rx.timeout(d, s);
      rx.receive(p.bytes, p.at, s);
    }
    rx.timeout(1e9, s);
    for (let i = 1; i < s.got.length; i++) assert.ok(s.got[i]! > s.got[i - 1]!, `order at ${i}`);
    assert.equal(rx.stats.rxResyncs, 1, `seed ${seed}`);
    const after = s.got.filter((q) => q >= 2000);
    assert.ok(after.length > 900, `seed ${seed}: ${after.length} of ~950 delivered after the outage (from ${after[0]}, lost ${rx.stats.rxLost}, oow ${rx.stats.drops['out-of-window']}, late ${rx.stats.drops.late})`);
    assert.ok(after[0]! < 2040, `seed ${seed}: resumed at ${after[0]}`);
  }
});

test('advisory window: sending beyond the peer window goes out and is counted', () => {
  const ch = new GreChannel(opts({ peerRecvWindow: 2 }));
  for (let i = 0; i < 4; i++) assert.equal(typeof ch.send(Uint8Array.of(i), 0), 'object');
  assert.equal(ch.stats.overWindow, 2);
  assert.equal(ch.inFlight, 4);
});

test('sliding window: starts at half, full → tx-window-full, ack frees, full window acked → grows', () => {
  const ch = new GreChannel(opts({ peerRecvWindow: 4, windowMode: 'sliding' }));
  const s = recorder();
  assert.equal(ch.txWindow, 2);
  assert.equal(typeof ch.send(Uint8Array.of(0), 0), 'object');
  assert.equal(typeof ch.send(Uint8Array.of(1), 0), 'object');
  assert.equal(ch.send(Uint8Array.of(2), 0), 'tx-window-full');
  ch.receive(encodeGre({ callId: 7, ack: 1, payload: new Uint8Array(0) }), 5, s);
  assert.equal(ch.inFlight, 0);
  assert.equal(ch.txWindow, 3, '§4.2.3: +1 after a whole window is acknowledged');
  for (let i = 0; i < 3; i++) assert.equal(typeof ch.send(Uint8Array.of(i), 6), 'object');
  assert.equal(ch.send(Uint8Array.of(9), 6), 'tx-window-full');
  assert.equal(ch.stats.drops['tx-window-full'], 2);
});

test('sliding window: a peer that never acknowledges → write-off after ackTimeoutMs, window halves, never stalls', () => {
  const ch = new GreChannel(opts({ peerRecvWindow: 8, windowMode: 'sliding', ackTimeoutMs: 100 }));
  let sent = 0;
  for (let t = 0; t < 1000; t += 10) if (typeof ch.send(Uint8Array.of(1), t) !== 'string') sent++;
  assert.ok(sent >= 10, `sent ${sent}`);
  assert.ok(ch.stats.ackTimeouts >= 5);
  assert.equal(ch.txWindow, 1);
});

test('acks: for never-sent numbers → badAcks; stale acks ignored', () => {
  const ch = new GreChannel(opts());
  const s = recorder();
  ch.send(Uint8Array.of(1), 0);
  ch.send(Uint8Array.of(1), 0);
  ch.receive(encodeGre({ callId: 7, ack: 5, payload: new Uint8Array(0) }), 0, s);
  assert.equal(ch.stats.badAcks, 1);
  ch.receive(encodeGre({ callId: 7, ack: 1, payload: new Uint8Array(0) }), 0, s);
  assert.equal(ch.inFlight, 0);
  ch.receive(encodeGre({ callId: 7, ack: 0, payload: new Uint8Array(0) }), 0, s);
  assert.equal(ch.inFlight, 0);
  assert.equal(ch.stats.badAcks, 1);
});

test('sendInPlace: header written right before the payload, same bytes as send; too little headroom throws', () => {
  const a = new GreChannel(opts());
  const b = new GreChannel(opts());
  const s = recorder();
  a.receive(data(0), 0, s);
  b.receive(data(0), 0, s);
  const buf = new Uint8Array(40);
  buf.set([7, 8, 9], 20);
  const start = a.sendInPlace(buf, 20, 3, 1);
  assert.equal(start, 4, '16-octet header with seq and ack');
  const viaSend = b.send(Uint8Array.of(7, 8, 9), 1);
  assert.ok(typeof start === 'number' && typeof viaSend !== 'string');
  assert.deepEqual([...buf.subarray(start, 23)], [...viaSend]);
  assert.throws(() => a.sendInPlace(new Uint8Array(20), 8, 3, 1), /headroom/);
});

test('receiveHeader: a header read once by the demux is not parsed again', () => {
  const ch = new GreChannel(opts());
  const s = recorder();
  const h = newGreHeader();
  const pkt = data(0);
  assert.equal(readGreHeader(pkt, h), undefined);
  ch.receiveHeader(h, pkt, 0, s);
  assert.deepEqual(s.got, [0]);
});

test('send: payload over 65535 octets → payload-too-large', () => {
  const ch = new GreChannel(opts());
  assert.equal(ch.send(new Uint8Array(65536), 0), 'payload-too-large');
});

/**
 * A seeded lossy link: each packet is lost, duplicated or delayed at random.
 * Whatever happens, delivery is strictly increasing, nothing is delivered
 * twice, and every packet that arrives is either delivered or counted.
 */
function simulate(seed: number, n: number, loss: number, dup: number, maxDelayMs: number) {
  const rng = seededRng(seed);
  const rnd = (): number => randomU32(rng) / 2 ** 32;
  const tx = new GreChannel({ callId: 9, peerCallId: 7, peerRecvWindow: 64 });
  const rx = new GreChannel({ callId: 7, peerCallId: 9, peerRecvWindow: 64, reorderMaxPackets: 16, reorderTimeoutMs: 30 });
  const s = recorder();
  const inflight: { at: number; bytes: Uint8Array }[] = [];
  let arrivals = 0;
  for (let i = 0; i < n; i++) {
    const t = i; // one packet per ms
    const pkt = tx.send(payload(i), t);
    assert.ok(typeof pkt !== 'string');
    if (rnd() >= loss) inflight.push({ at: t + rnd() * maxDelayMs, bytes: pkt });
    if (rnd() < dup) inflight.push({ at: t + rnd() * maxDelayMs, bytes: pkt });
  }
  inflight.sort((a, b) => a.at - b.at);
  for (const p of inflight) {
    const d = rx.nextDeadline();
    if (d !== undefined && d <= p.at) rx.timeout(d, s);
    rx.receive(p.bytes, p.at, s);
    arrivals++;
  }
  rx.timeout(1e9, s);
  return { got: s.got, rx, arrivals };
}

test('seeded link with loss, duplication and reordering → in order, no duplicates, every arrival accounted for', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1e6 }), fc.constantFrom(0, 0.05, 0.2), fc.constantFrom(0, 0.05, 0.2), fc.constantFrom(0, 5, 40), (seed, loss, dup, delay) => {
      const { got, rx, arrivals } = simulate(seed, 400, loss, dup, delay);
      for (let i = 1; i < got.length; i++) assert.ok(got[i]! > got[i - 1]!, `order at ${i}: ${got[i - 1]} then ${got[i]}`);
      const st = rx.stats;
      assert.equal(st.rxDelivered, got.length);
      assert.equal(arrivals, st.rxDelivered + st.drops.duplicate + st.drops.late + st.drops['out-of-window']);
      if (loss === 0 && dup === 0 && delay === 0) assert.equal(got.length, 400);
      // Counting from 0 (or from a first arrival beyond the reorder buffer), every number up to the last delivered is delivered or lost.
      const base = got[0]! <= 16 ? 0 : got[0]!;
      assert.equal(got.at(-1)! - base + 1, st.rxDelivered + st.rxLost);
    }),
    { numRuns: 60 },
  );
});

test('seeded link with reordering only (delay < hold time) → every packet delivered in order', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const { got, rx } = simulate(seed, 500, 0, 0, 12);
    assert.equal(got.length, 500, `seed ${seed}`);
    assert.ok(rx.stats.rxReordered > 0, 'the link did reorder');
    assert.equal(rx.stats.rxLost, 0);
  }
});

test('property: random bytes and random valid packets never throw; counters add up', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.uint8Array({ maxLength: 30 }), fc.record({ seq: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }), ack: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }), n: fc.integer({ min: 0, max: 4 }) })), { maxLength: 60 }),
      (inputs) => {
        const ch = new GreChannel(opts({ reorderMaxPackets: 4 }));
        const s = recorder();
        let t = 0;
        for (const x of inputs) {
          t += 3;
          if (x instanceof Uint8Array) ch.receive(x, t, s);
          else {
            const p: { callId: number; seq?: number; ack?: number; payload: Uint8Array } = { callId: 7, payload: new Uint8Array(x.n) };
            if (x.seq !== undefined) p.seq = x.seq;
            if (x.ack !== undefined) p.ack = x.ack;
            ch.receive(encodeGre(p), t, s);
          }
          if (t % 9 === 0) ch.send(Uint8Array.of(1), t);
          const d = ch.nextDeadline();
          if (d !== undefined && d <= t) ch.timeout(t, s);
        }
        ch.timeout(1e9, s);
        assert.equal(ch.heldPackets, 0);
        assert.equal(ch.stats.rxDelivered, s.got.length);
      },
    ),
    { numRuns: 500 },
  );
});
