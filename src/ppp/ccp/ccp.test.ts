import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ccp, PPTPD_MPPE_POLICY, encodeCcpOptions, parseCcpOptions, ccpOptionsLength, type MppePolicy, type CcpEvent } from './ccp.js';
import { runPair } from '../fsm/pair.test-helper.js';
import { encodeCpPacket, parseCpPacket } from '../fsm/packet.js';
import { CP_CODE } from '../protocols.js';
import { fromHex, toHex } from '../../wire/hex.js';
import type { CpOutput } from '../fsm/protocol.js';

const ALL: MppePolicy = { strengths: [128, 56, 40], required: false, allowStateful: true };

function negotiate(a: MppePolicy, b: MppePolicy) {
  const A = new Ccp({ mppe: a });
  const B = new Ccp({ mppe: b });
  runPair(A, B);
  return { A, B };
}

test('Req-Sent: pptpd default vs accept-all → 128-bit stateless both ways', () => {
  const { A, B } = negotiate(PPTPD_MPPE_POLICY, ALL);
  assert.deepEqual(A.negotiated, { strength: 128, stateless: true });
  assert.deepEqual(B.negotiated, { strength: 128, stateless: true });
});

test('Req-Sent: both allow stateful → stateful; one refuses → stateless', () => {
  assert.deepEqual(negotiate(ALL, ALL).A.negotiated, { strength: 128, stateless: false });
  assert.deepEqual(negotiate(ALL, { ...ALL, allowStateful: false }).B.negotiated, { strength: 128, stateless: true });
});

test('Req-Sent: 40-bit only vs 56/40 → strongest common 40', () => {
  const { A, B } = negotiate({ ...ALL, strengths: [40] }, { ...ALL, strengths: [56, 40] });
  assert.deepEqual(A.negotiated, { strength: 40, stateless: false });
  assert.deepEqual(B.negotiated, A.negotiated);
});

test('Req-Sent: 128 required vs 40 only → closes with a strength mismatch reason', () => {
  const { A, B } = negotiate(PPTPD_MPPE_POLICY, { ...ALL, strengths: [40] });
  assert.notEqual(A.fsm.state, 'Opened');
  assert.notEqual(B.fsm.state, 'Opened');
  assert.match(A.fsm.reason + B.fsm.reason, /MPPE strength mismatch/);
});

test('Req-Sent: Stac LZS (17) → Reject; MPPE with MPPC and obsolete D bits → Nak with the clean strongest option', () => {
  const c = new Ccp({ mppe: ALL });
  const o: CpOutput<CcpEvent>[] = [];
  c.lowerUp(0, o); c.open(0, o);
  const o2: CpOutput<CcpEvent>[] = [];
  c.receive(encodeCpPacket({ code: CP_CODE.CONFIGURE_REQUEST, identifier: 3, data: fromHex('110600010000') }), 0, o2);
  const r = o2.find((x) => x.kind === 'send');
  assert.ok(r?.kind === 'send');
  assert.equal(toHex(r.bytes), '0403000a' + '110600010000');
  const o3: CpOutput<CcpEvent>[] = [];
  c.receive(encodeCpPacket({ code: CP_CODE.CONFIGURE_REQUEST, identifier: 4, data: fromHex('120601000071') }), 0, o3);
  const n = o3.find((x) => x.kind === 'send');
  assert.ok(n?.kind === 'send');
  const p = parseCpPacket(n.bytes);
  assert.ok(p.ok);
  assert.equal(p.value.code, CP_CODE.CONFIGURE_NAK);
  // ALL allows stateful, so our request is stateful and the Nak asks the peer for the same mode.
  assert.equal(toHex(p.value.data), '120600000040');
});

test('Opened: Reset-Request → event and a Reset-Ack with its Identifier (Linux needs it to decompress again); resetRequest() sends one', () => {
  const { A } = negotiate(ALL, ALL);
  const o: CpOutput<CcpEvent>[] = [];
  A.receive(encodeCpPacket({ code: CP_CODE.RESET_REQUEST, identifier: 7, data: new Uint8Array(0) }), 0, o);
  assert.deepEqual(o.filter((x) => x.kind === 'event'), [{ kind: 'event', event: { type: 'ccp-reset-request', identifier: 7 } }]);
  const acks = o.filter((x) => x.kind === 'send');
  assert.equal(acks.length, 1);
  assert.ok(acks[0]?.kind === 'send');
  // Code 15 (Reset-Ack), Identifier 7, Length 4, no data (RFC 1962 §2.2).
  assert.equal(toHex(acks[0].bytes), '0f070004');
  const o2: CpOutput<CcpEvent>[] = [];
  assert.ok(A.resetRequest(o2));
  assert.ok(o2[0]?.kind === 'send' && o2[0].bytes[0] === CP_CODE.RESET_REQUEST);
});

test('options: parse(encode(x)) = x', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 6 }), (bits, raw) => {
    const opts = [{ kind: 'mppe' as const, bits }, { kind: 'raw' as const, type: 21, data: raw }];
    const b = encodeCcpOptions(opts);
    assert.equal(b.length, ccpOptionsLength(opts));
    const p = parseCcpOptions(b);
    assert.ok(p.ok);
    assert.deepEqual(JSON.stringify(p.value, (_k, v) => (v instanceof Uint8Array ? toHex(v) : v)), JSON.stringify(opts, (_k, v) => (v instanceof Uint8Array ? toHex(v) : v)));
  }));
});
