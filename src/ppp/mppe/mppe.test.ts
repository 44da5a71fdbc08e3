import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MppeDecrypter, MppeEncrypter, flagPacketsBetween, isFlagPacket, isMppeDrop, type MppeDrop, type MppeOptions } from './mppe.js';
import { mppeStartKeys, type MppeKeyMaterial } from './keys.js';
import { fromHex, toHex } from '../../wire/hex.js';
import { loadVector, type MppePacketVectors, type PcapMppeHeaders } from '../../../test/fixtures/vectors/vectors.js';
import { LocalUsageError } from '../../core/errors.js';

const material: MppeKeyMaterial = { kind: 'mschap-v2', masterKey: fromHex('FDECE3717A8C838CB388E527AE3CDD31') };
const modes: MppeOptions[] = [];
for (const strength of [40, 56, 128] as const) for (const stateless of [false, true]) modes.push({ strength, stateless });
const label = (m: MppeOptions): string => `MPPE-${m.strength} ${m.stateless ? 'stateless' : 'stateful'}`;

/** A server encrypter and the client decrypter that matches it. */
function pair(m: MppeOptions): { enc: MppeEncrypter; dec: MppeDecrypter } {
  const s = mppeStartKeys(material, m.strength, 'server');
  const c = mppeStartKeys(material, m.strength, 'client');
  return { enc: new MppeEncrypter(s.send, m), dec: new MppeDecrypter(c.recv, m) };
}

function payload(n: number, len = 100): Uint8Array {
  const p = new Uint8Array(len);
  p[0] = 0x00;
  p[1] = 0x21;
  p[2] = 0x45; // an IPv4 header follows, as in real traffic (the FLUSHED resync checks for it)
  for (let k = 3; k < len; k++) p[k] = (n * 31 + k) & 0xff;
  return p;
}

function seal(enc: MppeEncrypter, p: Uint8Array): Uint8Array {
  const out = new Uint8Array(p.length + 2);
  assert.equal(enc.encrypt(p, out, 0), p.length + 2);
  return out;
}

function open(dec: MppeDecrypter, pkt: Uint8Array): Uint8Array | MppeDrop {
  const out = new Uint8Array(pkt.length);
  const r = dec.decrypt(pkt, out, 0);
  return isMppeDrop(r) ? r : out.subarray(0, r);
}

for (const m of modes) {
  test(`${label(m)}: 600 packets encrypt → decrypt → identical payloads, counts 0..599`, () => {
    const { enc, dec } = pair(m);
    for (let n = 0; n < 600; n++) {
      const p = payload(n, 1 + (n % 97) + 2);
      const pkt = seal(enc, p);
      const count = ((pkt[0]! & 0x0f) << 8) | pkt[1]!;
      assert.equal(count, n);
      assert.ok(pkt[0]! & 0x10, 'D bit');
      const flushed = (pkt[0]! & 0x80) !== 0;
      assert.equal(flushed, m.stateless || isFlagPacket(n), `FLUSHED on ${n}`);
      assert.deepEqual(open(dec, pkt), p);
    }
  });
}

test('stateful: 5000 packets → the 12-bit count wraps at 4095 and decryption continues', () => {
  const { enc, dec } = pair({ strength: 128, stateless: false });
  for (let n = 0; n < 5000; n++) {
    const pkt = seal(enc, payload(n, 8));
    assert.equal(((pkt[0]! & 0x0f) << 8) | pkt[1]!, n & 0xfff);
    assert.deepEqual(open(dec, pkt), payload(n, 8));
  }
});

test('stateful: flag packet at count 255 → both sides change key; session key differs before and after', () => {
  const { enc, dec } = pair({ strength: 128, stateless: false });
  let before: Uint8Array | undefined;
  for (let n = 0; n <= 256; n++) {
    if (n === 255) before = enc.sessionKey;
    assert.deepEqual(open(dec, seal(enc, payload(n))), payload(n));
  }
  assert.notDeepEqual(enc.sessionKey, before);
  assert.deepEqual(enc.sessionKey, dec.sessionKey);
});

for (const strength of [40, 128] as const) {
  test(`stateful MPPE-${strength}: lose 3 packets → coherency-gap, Reset-Request, discard, FLUSHED resync`, () => {
    const { enc, dec } = pair({ strength, stateless: false });
    for (let n = 0; n < 10; n++) open(dec, seal(enc, payload(n)));
    for (let n = 10; n < 13; n++) seal(enc, payload(n)); // lost
    const gap = open(dec, seal(enc, payload(13)));
    assert.deepEqual(gap, { kind: 'drop', reason: 'coherency-gap' });
    assert.equal(dec.takeResetRequest(), true);
    assert.equal(dec.takeResetRequest(), false, 'once per loss');
    assert.equal(dec.discarding, true);
    assert.deepEqual(open(dec, seal(enc, payload(14))), { kind: 'drop', reason: 'awaiting-flush' });
    enc.onResetRequest();
    enc.onResetRequest(); // a repeated Reset-Request before the next packet counts once
    const flushed = seal(enc, payload(15));
    assert.ok(flushed[0]! & 0x80);
    assert.deepEqual(open(dec, flushed), payload(15));
    assert.equal(dec.discarding, false);
    for (let n = 16; n < 300; n++) assert.deepEqual(open(dec, seal(enc, payload(n))), payload(n));
    // one key change for the flag packet 255 and one for the reset (the Linux ppp_mppe way)
    assert.deepEqual(enc.stats, { packets: 300, octets: 300 * 100, keyChanges: 2, resyncs: 1 });
    assert.deepEqual(dec.stats, { packets: 10 + 285, octets: 295 * 100, keyChanges: 2, resyncs: 1 });
  });
}

test('stateful: a sender that only re-initialises RC4 on reset (RFC 3078 §8.2) is recognised and followed', () => {
  const key = new Uint8Array(16).fill(3);
  const enc = new MppeEncrypter(key, { strength: 128, stateless: false, resetMode: 'rfc' });
  const dec = new MppeDecrypter(key, { strength: 128, stateless: false });
  for (let n = 0; n < 5; n++) open(dec, seal(enc, payload(n)));
  seal(enc, payload(5)); // lost
  assert.deepEqual(open(dec, seal(enc, payload(6))), { kind: 'drop', reason: 'coherency-gap' });
  enc.onResetRequest();
  assert.deepEqual(open(dec, seal(enc, payload(7))), payload(7));
  assert.equal(dec.peerResetHandling, 'rfc');
  for (let n = 8; n < 600; n++) assert.deepEqual(open(dec, seal(enc, payload(n))), payload(n));
});

test('stateful: the FLUSHED packet after a reset is lost and a second reset follows → the receiver catches up the extra key change', () => {
  const { enc, dec } = pair({ strength: 128, stateless: false });
  for (let n = 0; n < 5; n++) open(dec, seal(enc, payload(n)));
  seal(enc, payload(5)); // lost
  open(dec, seal(enc, payload(6)));
  assert.equal(dec.takeResetRequest(), true);
  enc.onResetRequest();
  seal(enc, payload(7)); // the FLUSHED packet is lost too: the sender already changed key
  assert.deepEqual(open(dec, seal(enc, payload(8))), { kind: 'drop', reason: 'awaiting-flush' });
  enc.onResetRequest(); // CCP retransmits the Reset-Request
  assert.deepEqual(open(dec, seal(enc, payload(9))), payload(9));
  for (let n = 10; n < 300; n++) assert.deepEqual(open(dec, seal(enc, payload(n))), payload(n));
});

test('stateful: loss across flag packets (700 lost) → resync performs the missed key changes', () => {
  const { enc, dec } = pair({ strength: 128, stateless: false });
  for (let n = 0; n < 100; n++) open(dec, seal(enc, payload(n)));
  for (let n = 100; n < 800; n++) seal(enc, payload(n)); // lost, includes flags 255, 511, 767
  assert.equal(isMppeDrop(open(dec, seal(enc, payload(800)))), true);
  assert.equal(dec.takeResetRequest(), true);
  enc.onResetRequest();
  assert.deepEqual(open(dec, seal(enc, payload(801))), payload(801));
  for (let n = 802; n < 1100; n++) assert.deepEqual(open(dec, seal(enc, payload(n))), payload(n));
});

test('stateful: the lost packet is the flag packet and the next flag packet arrives → resync without a reset', () => {
  const { enc, dec } = pair({ strength: 56, stateless: false });
  for (let n = 0; n < 250; n++) open(dec, seal(enc, payload(n)));
  for (let n = 250; n < 300; n++) seal(enc, payload(n));
  const r = open(dec, seal(enc, payload(300)));
  assert.deepEqual(r, { kind: 'drop', reason: 'coherency-gap' });
  for (let n = 301; n < 511; n++) assert.equal(isMppeDrop(open(dec, seal(enc, payload(n)))), true);
  // Count 511 is a flag packet: FLUSHED, and two key changes (255, 511) catch up.
  assert.deepEqual(open(dec, seal(enc, payload(511))), payload(511));
  assert.deepEqual(open(dec, seal(enc, payload(512))), payload(512));
});

test('stateful: Reset-Requests whose FLUSHED packets are lost → each answer jumps to the next flag packet, so key changes = flag packets sent (what a Linux ppp_mppe receiver counts in its discard state)', () => {
  // drivers/net/ppp/ppp_mppe.c (mppe_decompress, discard state): one key change per flag-packet block
  // passed, plus one for the FLUSHED packet. A reset answered with an extra key change whose packet is
  // lost leaves such a receiver one key behind for good (pppd kept asking for resets, TCP toward it
  // stalled: the pptpd stateful case of test/interop/tunppp.test.ts).
  const { enc, dec } = pair({ strength: 128, stateless: false });
  const counts: number[] = [];
  const send = (n: number): Uint8Array => {
    const pkt = seal(enc, payload(n));
    counts.push(((pkt[0]! & 0x0f) << 8) | pkt[1]!);
    return pkt;
  };
  for (let n = 0; n < 20; n++) open(dec, send(n));
  send(20); // lost
  assert.deepEqual(open(dec, send(21)), { kind: 'drop', reason: 'coherency-gap' });
  enc.onResetRequest();
  const first = send(22); // the answer, lost
  assert.equal(counts.at(-1), 0x0ff, 'the next flag packet');
  assert.ok(first[0]! & 0x80, 'FLUSHED');
  enc.onResetRequest(); // the receiver asks again
  const second = send(23);
  assert.equal(counts.at(-1), 0x1ff);
  const flags = counts.filter((c) => (c & 0xff) === 0xff).length;
  assert.equal(enc.stats.keyChanges, flags, 'one key change per flag packet, none besides');
  assert.deepEqual(open(dec, second), payload(23));
  for (let n = 24; n < 600; n++) assert.deepEqual(open(dec, send(n)), payload(n));
  assert.equal(enc.stats.keyChanges, counts.filter((c) => (c & 0xff) === 0xff).length);
  assert.deepEqual(dec.stats.keyChanges, enc.stats.keyChanges);
});

test('stateful: Reset-Request with no loss → next packet FLUSHED and still decrypts', () => {
  const { enc, dec } = pair({ strength: 128, stateless: false });
  open(dec, seal(enc, payload(0)));
  enc.onResetRequest();
  const p = seal(enc, payload(1));
  assert.ok(p[0]! & 0x80);
  assert.deepEqual(open(dec, p), payload(1));
  assert.ok(!(seal(enc, payload(2))[0]! & 0x80), 'only the next packet');
});

for (const strength of [40, 56, 128] as const) {
  test(`stateless MPPE-${strength}: random loss → every delivered packet decrypts, no Reset-Request`, () => {
    const { enc, dec } = pair({ strength, stateless: true });
    let delivered = 0;
    for (let n = 0; n < 1500; n++) {
      const pkt = seal(enc, payload(n));
      if ((n * 7919) % 10 < 3) continue; // 30 % loss, including runs
      assert.deepEqual(open(dec, pkt), payload(n));
      delivered++;
    }
    assert.ok(delivered > 1000);
    assert.equal(dec.takeResetRequest(), false);
  });
}

test('stateless: reordered packet → the late one is dropped as stale, later ones decrypt', () => {
  const { enc, dec } = pair({ strength: 128, stateless: true });
  const pkts = Array.from({ length: 6 }, (_, n) => seal(enc, payload(n)));
  assert.deepEqual(open(dec, pkts[0]!), payload(0));
  assert.deepEqual(open(dec, pkts[2]!), payload(2));
  assert.deepEqual(open(dec, pkts[1]!), { kind: 'drop', reason: 'stale' });
  assert.deepEqual(open(dec, pkts[2]!), { kind: 'drop', reason: 'stale' }, 'duplicate');
  assert.deepEqual(open(dec, pkts[3]!), payload(3));
  assert.deepEqual(open(dec, pkts[5]!), payload(5));
});

test('decrypt: not encrypted, MPPC-compressed or truncated → dropped with the reason', () => {
  const { dec } = pair({ strength: 128, stateless: true });
  assert.deepEqual(open(dec, Uint8Array.of(0x80, 0x00, 1, 2)), { kind: 'drop', reason: 'not-encrypted' });
  assert.deepEqual(open(dec, Uint8Array.of(0xb0, 0x00, 1, 2)), { kind: 'drop', reason: 'compressed' });
  assert.deepEqual(open(dec, Uint8Array.of(0x90, 0x00)), { kind: 'drop', reason: 'truncated' });
});

test('encrypt/decrypt in place: payload at out+2, plaintext back over the ciphertext', () => {
  const { enc, dec } = pair({ strength: 128, stateless: false });
  const buf = new Uint8Array(1500);
  const p = payload(1, 1400);
  buf.set(p, 10);
  const n = enc.encrypt(buf.subarray(10, 1410), buf, 8);
  assert.equal(n, 1402);
  const m = dec.decrypt(buf.subarray(8, 8 + n), buf, 8);
  assert.equal(m, 1400);
  assert.deepEqual(buf.subarray(8, 1408), p);
});

test('encrypt/decrypt: output buffer too small → LocalUsageError (API misuse, not network input)', () => {
  const { enc, dec } = pair({ strength: 128, stateless: false });
  assert.throws(() => enc.encrypt(new Uint8Array(10), new Uint8Array(11), 0), LocalUsageError);
  assert.throws(() => dec.decrypt(Uint8Array.of(0x90, 0, 1, 2, 3, 4, 5, 6, 7, 8), new Uint8Array(7), 0), LocalUsageError);
});

test('flagPacketsBetween: any two counts → same as counting flag counts one by one', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 4095 }), (a, b) => {
    let n = 0;
    for (let c = (a + 1) & 0xfff, steps = (b - a) & 0xfff; steps > 0; c = (c + 1) & 0xfff, steps--) if (isFlagPacket(c)) n++;
    assert.equal(flagPacketsBetween(a, b), n);
  }));
});

test('decrypt: random bytes in either mode → a length or a drop, never a throw', () => {
  fc.assert(fc.property(fc.boolean(), fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (stateless, pkts) => {
    const { dec } = pair({ strength: 40, stateless });
    for (const p of pkts) {
      const r = dec.decrypt(p, new Uint8Array(64), 0);
      assert.ok(typeof r === 'number' ? r === p.length - 2 : typeof r.reason === 'string');
    }
  }));
});

test('all 6 modes: packets 0..299 → byte-identical to an independent Python RFC 3078 implementation', () => {
  const v = loadVector<MppePacketVectors>('mppe-packets-computed.json');
  assert.equal(v.cases.length, 6);
  for (const c of v.cases) {
    const enc = new MppeEncrypter(fromHex(c.start_key), { strength: c.strength, stateless: c.stateless });
    for (let n = 0; n < 300; n++) {
      const p = new Uint8Array(16);
      p[1] = 0x21;
      for (let k = 0; k < 14; k++) p[2 + k] = (n * 7 + k) & 0xff;
      const pkt = seal(enc, p);
      const want = c.packets[String(n)];
      if (want !== undefined) assert.equal(toHex(pkt), want, `MPPE-${c.strength} ${c.stateless ? 'stateless' : 'stateful'} #${n}`);
    }
  }
});

test('real captures (Windows client, pptpd): negotiated stateless 128-bit, and our encrypter emits the same header sequence', () => {
  const v = loadVector<PcapMppeHeaders>('pcap-mppe-headers.json');
  let checked = 0;
  for (const cap of v.captures) {
    // Every CCP Configure-Ack (code 2) in the capture carries MPPE H + S: 0x01000040.
    const acks = Object.values(cap.directions).flatMap((o) => o.ccp).filter((c) => c.hex.startsWith('02'));
    assert.equal(acks.length, 2, cap.file);
    for (const c of acks) assert.ok(c.hex.endsWith('120601000040'), c.hex);
    for (const [who, d] of Object.entries(cap.directions)) {
      const enc = new MppeEncrypter(new Uint8Array(16).fill(9), { strength: 128, stateless: true });
      const dec = new MppeDecrypter(new Uint8Array(16).fill(9), { strength: 128, stateless: true });
      for (const [hdr, len] of d.mppe) {
        const pkt = seal(enc, new Uint8Array(len));
        assert.equal(toHex(pkt.subarray(0, 2)), hdr, `${cap.file} ${who}`);
        assert.equal(typeof dec.decrypt(fromHex(hdr + '00'.repeat(len)), new Uint8Array(len), 0), 'number');
        checked++;
      }
    }
  }
  assert.ok(checked > 300);
});

test('stateful: random loss, delayed and lost Reset-Requests → never a wrong plaintext, and traffic recovers', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(99), { minLength: 50, maxLength: 1200 }), fc.nat(5), fc.boolean(), (rolls, delay, loseFirstReset) => {
      const { enc, dec } = pair({ strength: 40, stateless: false });
      const resetAt: number[] = [];
      let resetsAsked = 0;
      const n = rolls.length + 300; // 300 loss-free packets at the end
      let deliveredTail = 0;
      for (let k = 0; k < n; k++) {
        if (resetAt.length && resetAt[0]! <= k) {
          resetAt.shift();
          enc.onResetRequest();
        }
        const p = payload(k, 20);
        const pkt = seal(enc, p);
        const lost = k < rolls.length && rolls[k]! < 10;
        if (lost) continue;
        const r = open(dec, pkt);
        if (!isMppeDrop(r)) {
          assert.deepEqual(r, p, `packet ${k} decrypted to garbage`);
          if (k >= rolls.length + 50) deliveredTail++;
        }
        if (dec.takeResetRequest()) {
          resetsAsked++;
          if (!(loseFirstReset && resetsAsked === 1)) resetAt.push(k + 1 + delay);
        }
        // CCP's restart timer: while still discarding, ask again every 20 packets.
        if (dec.discarding && k % 20 === 0) resetAt.push(k + 1 + delay);
      }
      assert.equal(deliveredTail, 250, 'all packets after the lossy stretch decrypt');
    }),
    { numRuns: 60 },
  );
});

test('stateless: random loss, duplication and reordering → never a wrong plaintext, in-order packets always decrypt', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(99), fc.nat(3)), { minLength: 10, maxLength: 600 }), (plan) => {
      const { enc, dec } = pair({ strength: 128, stateless: true });
      const sent = plan.map((_, k) => ({ k, pkt: seal(enc, payload(k, 24)) }));
      // Build a delivery order: drop (roll < 10), duplicate (roll < 15), then swap neighbours where the second roll is 3.
      const order: { k: number; pkt: Uint8Array }[] = [];
      for (let k = 0; k < sent.length; k++) {
        const [roll] = plan[k]!;
        if (roll < 10) continue;
        order.push(sent[k]!);
        if (roll < 15) order.push(sent[k]!);
      }
      for (let k = 0; k + 1 < order.length; k++) {
        const roll = plan[k % plan.length]![1];
        if (roll === 3) [order[k], order[k + 1]] = [order[k + 1]!, order[k]!];
      }
      let newest = -1;
      for (const { k, pkt } of order) {
        const r = open(dec, pkt.slice());
        if (isMppeDrop(r)) {
          assert.ok(k <= newest, `packet ${k} newer than ${newest} was dropped: ${r.reason}`);
        } else {
          assert.deepEqual(r, payload(k, 24));
          newest = k;
        }
      }
    }),
    { numRuns: 40 },
  );
});
