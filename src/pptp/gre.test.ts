import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../wire/hex.js';
import { describeGreError, encodeGre, type GrePacket, greLength, newGreHeader, parseGre, readGreHeader, writeGreHeader } from './gre.js';

const goldens: { name: string; hex: string; pkt: GrePacket }[] = [
  {
    name: 'data, sequence only (tcpdump-pptp.pcap frame 16, LCP Configure-Request start)',
    hex: `
      30 01         // C0 R0 K1 S1 s0 Recur0 | A0 Flags0 Ver1
      880b          // Protocol Type: PPP
      0004 0000     // Key: Payload Length 4, Call ID 0
      00000000      // Sequence Number 0
      ff03 c021     // payload (PPP address/control + LCP)`,
    pkt: { callId: 0, seq: 0, payload: fromHex('ff03c021') },
  },
  {
    name: 'data with piggybacked acknowledgment',
    hex: `
      30 81         // K1 S1 | A1 Ver1
      880b          // Protocol Type: PPP
      0002 44cb     // Key: Payload Length 2, Call ID 17611
      00000007      // Sequence Number 7
      00000005      // Acknowledgment Number 5
      0021          // payload`,
    pkt: { callId: 17611, seq: 7, ack: 5, payload: fromHex('0021') },
  },
  {
    name: 'acknowledgment only (S = 0, no payload)',
    hex: `
      20 81         // K1 S0 | A1 Ver1
      880b          // Protocol Type: PPP
      0000 0001     // Key: Payload Length 0, Call ID 1
      fffffffe      // Acknowledgment Number 2^32-2`,
    pkt: { callId: 1, ack: 0xfffffffe, payload: new Uint8Array(0) },
  },
];

for (const g of goldens) {
  test(`golden GRE ${g.name}: both directions`, () => {
    const b = fromHex(g.hex);
    const r = parseGre(b);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
    assert.deepEqual({ ...r.value, payload: toHex(r.value.payload) }, { ...g.pkt, payload: toHex(g.pkt.payload) });
    assert.equal(toHex(encodeGre(g.pkt)), toHex(b));
    assert.equal(greLength(g.pkt), b.length);
  });
}

test('parse: GRE version 0 (RFC 2784 keepalive) → UNSUPPORTED version with a clear reason', () => {
  const r = parseGre(fromHex('0000 0800 45000014'));
  assert.ok(!r.ok);
  assert.deepEqual(r.error, { code: 'UNSUPPORTED', offset: 1, field: 'version' });
  assert.match(describeGreError(r.error), /plain GRE \(RFC 2784\)/);
});

test('parse: version 1 with another protocol type → UNSUPPORTED protocolType', () => {
  const r = parseGre(fromHex('3001 0800 0000 0000 00000000'));
  assert.ok(!r.ok);
  assert.equal(r.error.field, 'protocolType');
});

test('parse: checksum, routing, strict-route, recursion or flag bits set → BAD_VALUE flags', () => {
  for (const flags of ['b001', '7001', '3801', '3101', '3009', '3041']) {
    const r = parseGre(fromHex(`${flags} 880b 0000 0000 00000000`));
    assert.ok(!r.ok, flags);
    assert.deepEqual(r.error, { code: 'BAD_VALUE', offset: 0, field: 'flags' }, flags);
  }
});

test('parse: key bit clear → BAD_VALUE key', () => {
  const r = parseGre(fromHex('1001 880b 0000 0000 00000000'));
  assert.ok(!r.ok);
  assert.equal(r.error.field, 'key');
});

test('parse: payload length beyond the packet → TRUNCATED payload; padding after it is ignored', () => {
  const short = parseGre(fromHex('3001 880b 0005 0000 00000000 0102'));
  assert.ok(!short.ok);
  assert.deepEqual(short.error, { code: 'TRUNCATED', offset: 14, field: 'payload' });
  const padded = parseGre(fromHex('3001 880b 0001 0000 00000000 01 0000'));
  assert.ok(padded.ok);
  assert.equal(padded.bytesRead, 13);
  assert.equal(toHex(padded.value.payload), '01');
});

test('parse: every truncation of a full header → TRUNCATED', () => {
  const b = fromHex(goldens[1]!.hex);
  for (let n = 0; n < b.length; n++) {
    const r = parseGre(b.subarray(0, n));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'TRUNCATED', `cut at ${n}`);
  }
});

test('writeGreHeader at an offset matches encodeGre', () => {
  const buf = new Uint8Array(40);
  const h = writeGreHeader(buf, 10, 0xabcd, 3, 0xffffffff, 0);
  assert.equal(h, 16);
  buf.set([1, 2, 3], 26);
  assert.equal(toHex(buf.subarray(10, 29)), toHex(encodeGre({ callId: 0xabcd, seq: 0xffffffff, ack: 0, payload: Uint8Array.of(1, 2, 3) })));
});

const arbGre: fc.Arbitrary<GrePacket> = fc
  .record({
    callId: fc.integer({ min: 0, max: 0xffff }),
    seq: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
    ack: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
    payload: fc.uint8Array({ maxLength: 100 }),
  })
  .map((r) => {
    const p: GrePacket = { callId: r.callId, payload: r.payload };
    if (r.seq !== undefined) p.seq = r.seq;
    if (r.ack !== undefined) p.ack = r.ack;
    return p;
  });

test('property: parse(encode(p)) ≡ p, length = greLength(p)', () => {
  fc.assert(
    fc.property(arbGre, (p) => {
      const b = encodeGre(p);
      assert.equal(b.length, greLength(p));
      const r = parseGre(b);
      assert.ok(r.ok);
      assert.deepEqual({ ...r.value, payload: [...r.value.payload] }, { ...p, payload: [...p.payload] });
    }),
    { numRuns: 1000 },
  );
});

test('property: random bytes never throw; readGreHeader agrees with parseGre', () => {
  const h = newGreHeader();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      const r = parseGre(b);
      const err = readGreHeader(b, h);
      assert.equal(r.ok, err === undefined);
      if (!r.ok) assert.equal(typeof describeGreError(r.error), 'string');
    }),
    { numRuns: 3000 },
  );
});
