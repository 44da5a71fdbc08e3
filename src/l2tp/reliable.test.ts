import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../core/rng.js';
import { parseL2tpHeader } from './header.js';
import { ReliableChannel, seqBefore, type ReliableOutput } from './reliable.js';

const body = (n: number): Uint8Array => Uint8Array.of(0x80, 0x08, 0, 0, 0, 0, 0, n);
const sends = (out: ReliableOutput[]): Uint8Array[] => out.flatMap((o) => (o.kind === 'send' ? [o.bytes] : []));
const delivered = (out: ReliableOutput[]): number[] => out.flatMap((o) => (o.kind === 'deliver' ? [o.body[7]!] : []));
function hdr(bytes: Uint8Array): { ns: number; nr: number; zlb: boolean } {
  const f = parseL2tpHeader(bytes);
  assert.ok(f.ok);
  return { ns: f.value.header.ns!, nr: f.value.header.nr!, zlb: f.value.payloadEnd === f.value.payloadStart };
}
/** Hands a sent frame to the other channel. */
function deliver(to: ReliableChannel, bytes: Uint8Array, now: number): ReliableOutput[] {
  const f = parseL2tpHeader(bytes);
  assert.ok(f.ok);
  return to.receive(f.value.header.ns!, f.value.header.nr!, f.value.header.sessionId, bytes.subarray(f.value.payloadStart, f.value.payloadEnd), now);
}

test('seqBefore: serial arithmetic across the wrap', () => {
  assert.ok(seqBefore(1, 2));
  assert.ok(!seqBefore(2, 1));
  assert.ok(seqBefore(0xffff, 0));
  assert.ok(!seqBefore(5, 5));
});

test('Idle: send → one frame with Ns 0 Nr 0 and a retransmit deadline 1 s later', () => {
  const ch = new ReliableChannel();
  const out = ch.send(body(1), 0, 100);
  assert.deepEqual(hdr(sends(out)[0]!), { ns: 0, nr: 0, zlb: false });
  assert.equal(ch.nextDeadline(), 1100);
});

test('Unacked: timeouts retransmit with backoff 1,2,4,8,8 s, then the channel fails', () => {
  const ch = new ReliableChannel();
  ch.send(body(1), 0, 0);
  const times: number[] = [];
  let failed = false;
  for (let i = 0; i < 10 && !failed; i++) {
    const t = ch.nextDeadline()!;
    const out = ch.timeout(t);
    if (out.some((o) => o.kind === 'failed')) failed = true;
    else times.push(t);
  }
  assert.deepEqual(times, [1000, 3000, 7000, 15000, 23000]);
  assert.ok(failed);
  assert.equal(ch.nextDeadline(), undefined);
});

test('Unacked: an ack (Nr past Ns) stops retransmission and resets the backoff', () => {
  const ch = new ReliableChannel();
  ch.send(body(1), 0, 0);
  ch.timeout(1000);
  ch.receive(0, 1, 0, new Uint8Array(), 1500); // ZLB acking Ns 0
  assert.equal(ch.nextDeadline(), undefined);
  assert.ok(ch.idle);
  ch.send(body(2), 0, 2000);
  assert.equal(ch.nextDeadline(), 3000, 'backoff back to 1 s');
});

test('Receiving: in-order delivery, ack owed as a ZLB after the ack delay, or piggybacked', () => {
  const ch = new ReliableChannel({ ackDelayMs: 200 });
  const out = ch.receive(0, 0, 0, body(7), 0);
  assert.deepEqual(delivered(out), [7]);
  assert.equal(sends(out).length, 0);
  assert.equal(ch.nextDeadline(), 200);
  const zlb = sends(ch.timeout(200));
  assert.deepEqual(hdr(zlb[0]!), { ns: 0, nr: 1, zlb: true });
  // piggyback: the next owed ack rides on a message we send
  ch.receive(1, 0, 0, body(8), 300);
  const s = sends(ch.send(body(9), 0, 310));
  assert.deepEqual(hdr(s[0]!), { ns: 0, nr: 2, zlb: false });
  assert.equal(ch.nextDeadline(), 1310, 'only the retransmit deadline is left');
});

test('Receiving: half the receive window delivered unacked → ZLB at once, not after the ack delay', () => {
  const ch = new ReliableChannel({ receiveWindow: 8, ackDelayMs: 200 });
  for (let i = 0; i < 3; i++) assert.equal(sends(ch.receive(i, 0, 0, body(i), 10 * i)).length, 0, `message ${i}: ack still delayed`);
  assert.equal(ch.nextDeadline(), 200, 'the delayed ack of the first message');
  const out = ch.receive(3, 0, 0, body(3), 30);
  assert.deepEqual(delivered(out), [3]);
  assert.deepEqual(sends(out).map(hdr), [{ ns: 0, nr: 4, zlb: true }]);
  assert.equal(ch.nextDeadline(), undefined, 'nothing owed after the ZLB');
  // the count starts again after the ack
  assert.equal(sends(ch.receive(4, 0, 0, body(4), 40)).length, 0);
  assert.equal(ch.nextDeadline(), 240);
});

test('Receiving: an ack riding on our message resets the count toward the early ZLB', () => {
  const ch = new ReliableChannel({ receiveWindow: 4, ackDelayMs: 200 });
  ch.receive(0, 0, 0, body(0), 0);
  assert.deepEqual(sends(ch.send(body(9), 0, 1)).map(hdr), [{ ns: 0, nr: 1, zlb: false }]);
  assert.equal(sends(ch.receive(1, 1, 0, body(1), 2)).length, 0, 'one delivered since the ack: below half of 4');
  assert.deepEqual(sends(ch.receive(2, 1, 0, body(2), 3)).map(hdr), [{ ns: 1, nr: 3, zlb: true }]);
});

test('Receiving: held messages released together reach half the window → ZLB at once', () => {
  const ch = new ReliableChannel({ receiveWindow: 4, ackDelayMs: 200 });
  assert.equal(sends(ch.receive(1, 0, 0, body(1), 0)).length, 0, 'held, not delivered: no early ack');
  const out = ch.receive(0, 0, 0, body(0), 5);
  assert.deepEqual(delivered(out), [0, 1]);
  assert.deepEqual(sends(out).map(hdr), [{ ns: 0, nr: 2, zlb: true }]);
});

test('Back-to-back: a sender with window 8 sending 40 reply-less messages never waits for the ack delay', () => {
  const a = new ReliableChannel({ peerReceiveWindow: 8 });
  const b = new ReliableChannel({ receiveWindow: 8, ackDelayMs: 200 });
  const queue: Uint8Array[] = [];
  for (let i = 0; i < 40; i++) queue.push(...sends(a.send(body(i), 0, 0)));
  let got = 0;
  while (queue.length > 0) {
    const toB = queue.splice(0);
    for (const f of toB) {
      const out = deliver(b, f, 0);
      got += delivered(out).length;
      for (const z of sends(out)) queue.push(...sends(deliver(a, z, 0)));
    }
  }
  assert.equal(got, 40, 'all 40 delivered at time 0, without any timeout');
  assert.equal(b.stats.zlbSent, 10);
});

test('Receiving: a duplicate is dropped and acked at once', () => {
  const ch = new ReliableChannel();
  ch.receive(0, 0, 0, body(1), 0);
  const out = ch.receive(0, 0, 0, body(1), 50);
  assert.equal(delivered(out).length, 0);
  assert.ok(out.some((o) => o.kind === 'drop' && o.reason === 'duplicate'));
  assert.deepEqual(hdr(sends(out)[0]!), { ns: 0, nr: 1, zlb: true });
});

test('Receiving: out-of-order messages are held and delivered in order; beyond the window dropped', () => {
  const ch = new ReliableChannel({ receiveWindow: 4 });
  assert.deepEqual(delivered(ch.receive(2, 0, 0, body(2), 0)), []);
  assert.deepEqual(delivered(ch.receive(1, 0, 0, body(1), 0)), []);
  const far = ch.receive(9, 0, 0, body(9), 0);
  assert.ok(far.some((o) => o.kind === 'drop' && o.reason === 'out-of-window'));
  assert.deepEqual(delivered(ch.receive(0, 0, 0, body(0), 0)), [0, 1, 2]);
  assert.equal(ch.expectedNs, 3);
});

test('Window: no more than the peer window in flight; acks release the rest', () => {
  const ch = new ReliableChannel({ peerReceiveWindow: 2 });
  let n = 0;
  for (let i = 0; i < 5; i++) n += sends(ch.send(body(i), 0, 0)).length;
  assert.equal(n, 2);
  const out = ch.receive(0, 2, 0, new Uint8Array(), 10);
  assert.deepEqual(sends(out).map((b) => hdr(b).ns), [2, 3]);
});

test('Wrap: Ns and Nr wrap from 65535 to 0', () => {
  const a = new ReliableChannel();
  const b = new ReliableChannel();
  let now = 0;
  for (let i = 0; i < 65540; i++) {
    const s = sends(a.send(body(i & 0xff), 0, now));
    const out = deliver(b, s[0]!, now);
    assert.equal(delivered(out).length, 1);
    now += 1;
    const ack = sends(b.timeout(now + 1000));
    deliver(a, ack[0]!, now);
  }
  assert.ok(a.idle);
  assert.equal(b.expectedNs, 65540 & 0xffff);
});

test('Lossy link: with seeded loss, duplication and reordering every message arrives once, in order', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const rng = seededRng(seed);
    const a = new ReliableChannel({ maxRetransmits: 50 });
    const b = new ReliableChannel({ maxRetransmits: 50 });
    const got: number[] = [];
    type Flight = { to: ReliableChannel; bytes: Uint8Array; at: number };
    let wire: Flight[] = [];
    /** Outputs of `from`: count what b delivers, put what `from` sends on the wire to the other. */
    const put = (from: ReliableChannel, out: ReliableOutput[], now: number): void => {
      if (from === b) for (const o of out) if (o.kind === 'deliver') got.push(o.body[7]!);
      for (const bytes of sends(out)) {
        const r = rng.bytes(2);
        if (r[0]! < 50) continue; // ~20% loss
        const copies = r[0]! > 230 ? 2 : 1; // some duplication
        for (let c = 0; c < copies; c++) wire.push({ to: from === a ? b : a, bytes, at: now + 5 + (r[1]! % 40) });
      }
    };
    let now = 0;
    for (let i = 0; i < 40; i++) put(a, a.send(body(i), 0, now), now);
    for (let step = 0; step < 20000 && (got.length < 40 || !a.idle); step++) {
      now += 5;
      const due = wire.filter((f) => f.at <= now);
      wire = wire.filter((f) => f.at > now);
      for (const f of due) put(f.to, deliver(f.to, f.bytes, now), now);
      put(a, a.timeout(now), now);
      put(b, b.timeout(now), now);
    }
    assert.deepEqual(got, Array.from({ length: 40 }, (_, i) => i), `seed ${seed}`);
    assert.ok(a.idle, `seed ${seed}: everything acked`);
  }
});

test('any state: a ZLB whose Nr acknowledges beyond our last sent Ns → bad-nr, nothing acked', () => {
  const ch = new ReliableChannel();
  assert.deepEqual(ch.receive(0, 1, 0, new Uint8Array(), 0).map((o) => o.kind === 'drop' && o.reason), ['bad-nr'], 'nothing sent yet: Nr must be 0');
  ch.send(body(1), 0, 0);
  ch.send(body(2), 0, 0);
  const out = ch.receive(0, 3, 0, new Uint8Array(), 10);
  assert.deepEqual(out.map((o) => o.kind === 'drop' && o.reason), ['bad-nr']);
  assert.equal(ch.idle, false);
  assert.equal(ch.stats.badNr, 2);
  assert.deepEqual(ch.receive(0, 2, 0, new Uint8Array(), 20), [], 'Nr 2 acks both');
  assert.ok(ch.idle);
});

test('any state: a message with a bad Nr is not delivered and not acked', () => {
  const ch = new ReliableChannel();
  const out = ch.receive(0, 5, 0, body(1), 0);
  assert.deepEqual(out.map((o) => o.kind), ['drop']);
  assert.equal(ch.expectedNs, 0);
  assert.equal(ch.nextDeadline(), undefined, 'no ack owed');
});

test('pending messages beyond the peer window are not "sent": an Nr covering them is bad', () => {
  const ch = new ReliableChannel({ peerReceiveWindow: 1 });
  ch.send(body(1), 0, 0);
  ch.send(body(2), 0, 0); // waits for window space
  assert.deepEqual(ch.receive(0, 2, 0, new Uint8Array(), 10).map((o) => o.kind === 'drop' && o.reason), ['bad-nr']);
  assert.deepEqual(sends(ch.receive(0, 1, 0, new Uint8Array(), 20)).map((b) => hdr(b).ns), [1], 'Nr 1 acks the first, the second goes out');
});

test('unproven peer (unprovenRetransmits 0): no timer retransmission; silent at 1, 3, 7 s; failed at 15 s', () => {
  const ch = new ReliableChannel({ unprovenRetransmits: 0 });
  ch.receive(0, 0, 0, body(1), 0); // the SCCRQ
  assert.equal(sends(ch.send(body(2), 0, 0)).length, 1); // the SCCRP
  const timeline: string[] = [];
  for (let i = 0; i < 10; i++) {
    const t = ch.nextDeadline();
    if (t === undefined) break;
    const out = ch.timeout(t);
    timeline.push(`${t}:${out.some((o) => o.kind === 'failed') ? 'failed' : sends(out).length}`);
  }
  assert.deepEqual(timeline, ['1000:0', '3000:0', '7000:0', '15000:failed']);
  assert.equal(ch.stats.retransmitted, 0);
});

test('unproven peer: each retransmission of its message is answered by one resend of ours (1:1), never more', () => {
  const ch = new ReliableChannel({ unprovenRetransmits: 0 });
  ch.receive(0, 0, 0, body(1), 0);
  ch.send(body(2), 0, 0);
  for (let i = 1; i <= 5; i++) {
    const out = ch.receive(0, 0, 0, body(1), i * 100);
    const s = sends(out);
    assert.equal(s.length, 1, `duplicate ${i}: one datagram out`);
    assert.deepEqual(hdr(s[0]!), { ns: 0, nr: 1, zlb: false }, 'our unacked message again, acking theirs');
  }
});

test('unproven → proven: once the peer acks, normal retransmission (5 tries) applies to later messages', () => {
  const ch = new ReliableChannel({ unprovenRetransmits: 0 });
  ch.receive(0, 0, 0, body(1), 0);
  ch.send(body(2), 0, 0);
  ch.receive(1, 1, 0, body(3), 500); // acks our Ns 0
  assert.ok(ch.peerProven);
  const dup = ch.receive(1, 1, 0, body(3), 550);
  assert.equal(sends(dup).length, 1);
  assert.ok(hdr(sends(dup)[0]!).zlb, 'a proven peer\'s duplicate gets a ZLB, not a resend');
  ch.send(body(4), 0, 600);
  let retransmits = 0;
  for (let i = 0; i < 10; i++) {
    const t = ch.nextDeadline();
    if (t === undefined) break;
    const out = ch.timeout(t);
    if (out.some((o) => o.kind === 'failed')) break;
    retransmits += sends(out).filter((b) => !hdr(b).zlb).length;
  }
  assert.equal(retransmits, 5);
});
