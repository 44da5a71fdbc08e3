import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Lcp, type LcpConfig, type LcpOutput } from './lcp.js';
import { encodeLcpOptions, lcpOptionsLength, parseLcpOptions, type LcpOption } from './options.js';
import { seededRng } from '../../core/rng.js';
import { CP_CODE, PPP_PROTO } from '../protocols.js';
import { encodeCpPacket, parseCpPacket } from '../fsm/packet.js';
import { fromHex, toHex } from '../../wire/hex.js';

/** Runs two LCPs against each other until quiet; returns every output per side. */
function pair(a: Partial<LcpConfig>, b: Partial<LcpConfig>) {
  const A = new Lcp(a, seededRng(1));
  const B = new Lcp(b, seededRng(2));
  const log: { a: LcpOutput[]; b: LcpOutput[] } = { a: [], b: [] };
  const pump = (now: number, outA: LcpOutput[], outB: LcpOutput[]): void => {
    for (let i = 0; i < 200 && (outA.length || outB.length); i++) {
      const nextA: LcpOutput[] = [];
      const nextB: LcpOutput[] = [];
      for (const o of outA) if (o.kind === 'send') B.receive(o.bytes, now, nextB);
      for (const o of outB) if (o.kind === 'send') A.receive(o.bytes, now, nextA);
      log.a.push(...outA);
      log.b.push(...outB);
      outA = nextA;
      outB = nextB;
    }
  };
  const oa: LcpOutput[] = [];
  const ob: LcpOutput[] = [];
  A.open(0, oa); A.lowerUp(0, oa);
  B.open(0, ob); B.lowerUp(0, ob);
  pump(0, oa, ob);
  return { A, B, log, pump };
}

const events = (outs: LcpOutput[]) => outs.flatMap((o) => (o.kind === 'event' ? [o.event] : []));

test('Req-Sent: server requires MS-CHAPv2, client accepts → both Opened with auth agreed', () => {
  const { A, B } = pair({ requireAuth: ['mschap-v2'], acceptAuth: [] }, {});
  assert.equal(A.fsm.state, 'Opened');
  assert.equal(B.fsm.state, 'Opened');
  assert.equal(A.negotiated?.authPeer, 'mschap-v2');
  assert.equal(B.negotiated?.authSelf, 'mschap-v2');
  assert.equal(A.negotiated?.txPfc, true);
  assert.equal(B.negotiated?.txAcfc, true);
  assert.notEqual(A.negotiated?.localMagic, A.negotiated?.peerMagic);
  assert.equal(A.negotiated?.peerMagic, B.negotiated?.localMagic);
});

test('Req-Sent: client only does PAP → Nak → server falls back to PAP from its list', () => {
  const { A, B } = pair({ requireAuth: ['mschap-v2', 'chap-md5', 'pap'], acceptAuth: [] }, { acceptAuth: ['pap'] });
  assert.equal(A.negotiated?.authPeer, 'pap');
  assert.equal(B.negotiated?.authSelf, 'pap');
});

test('Req-Sent: client only does CHAP-MD5, server only MS-CHAPv2 → server closes with a reason', () => {
  const { A, log } = pair({ requireAuth: ['mschap-v2'], acceptAuth: [] }, { acceptAuth: ['chap-md5'] });
  assert.notEqual(A.fsm.state, 'Opened');
  assert.match(A.fsm.reason, /authentication refused: peer wants chap-md5, policy allows mschap-v2/);
  assert.ok(events(log.a).some((e) => e.type === 'layer-finished'));
});

test('Req-Sent: client refuses to authenticate → Reject → server closes', () => {
  const { A } = pair({ requireAuth: ['pap'], acceptAuth: [] }, { acceptAuth: [] });
  assert.match(A.fsm.reason, /refuses to authenticate/);
});

test('Req-Sent: PFC/ACFC off on one side → the other never compresses', () => {
  const { A, B } = pair({ pfc: false, acfc: false }, {});
  assert.equal(A.fsm.state, 'Opened');
  assert.equal(B.negotiated?.txPfc, false);
  assert.equal(B.negotiated?.txAcfc, false);
  assert.equal(A.negotiated?.txPfc, false, 'A did not request, and B’s request was rejected');
});

test('Req-Sent: MRU 1400 requested → peer learns peerMru 1400', () => {
  const { A, B } = pair({ mru: 1400 }, {});
  assert.equal(A.negotiated?.localMru, 1400);
  assert.equal(B.negotiated?.peerMru, 1400);
});

function openedLcp(cfg: Partial<LcpConfig> = {}): { lcp: Lcp; peerMagic: number } {
  const lcp = new Lcp(cfg, seededRng(7));
  const out: LcpOutput[] = [];
  lcp.lowerUp(0, out);
  lcp.open(0, out);
  const req = out.find((o) => o.kind === 'send');
  assert.ok(req?.kind === 'send');
  const p = parseCpPacket(req.bytes);
  assert.ok(p.ok);
  lcp.receive(encodeCpPacket({ code: CP_CODE.CONFIGURE_ACK, identifier: p.value.identifier, data: p.value.data }), 0, out);
  const peerReq = encodeLcpOptions([{ kind: 'magic', magicNumber: 0x11223344 }]);
  lcp.receive(encodeCpPacket({ code: CP_CODE.CONFIGURE_REQUEST, identifier: 1, data: peerReq }), 0, out);
  assert.equal(lcp.fsm.state, 'Opened');
  return { lcp, peerMagic: 0x11223344 };
}

test('Req-Sent: Windows-style request with Callback and MRRU → Configure-Reject of exactly those', () => {
  const lcp = new Lcp({}, seededRng(3));
  const out: LcpOutput[] = [];
  lcp.lowerUp(0, out);
  lcp.open(0, out);
  // MRU 1400 | Magic | PFC | ACFC | Callback op 6 | MRRU 1614 | Endpoint-Discriminator class 1
  const req = fromHex('010405780506 1a2b3c4d 0702 0802 0d0306 11040646 1307 01 01020304');
  const o2: LcpOutput[] = [];
  lcp.receive(encodeCpPacket({ code: CP_CODE.CONFIGURE_REQUEST, identifier: 9, data: req }), 0, o2);
  const s = o2.find((o) => o.kind === 'send');
  assert.ok(s?.kind === 'send');
  const p = parseCpPacket(s.bytes);
  assert.ok(p.ok);
  assert.equal(p.value.code, CP_CODE.CONFIGURE_REJECT);
  assert.equal(toHex(p.value.data), '0d0306110406461307010102' + '0304');
});

test('Req-Sent: Magic-Number equal to ours → Nak with another; repeated → loopback close', () => {
  const lcp = new Lcp({ loopbackLimit: 3 }, seededRng(3));
  const out: LcpOutput[] = [];
  lcp.lowerUp(0, out);
  lcp.open(0, out);
  // A looped link: feed our own Configure-Requests back to us.
  let pending: LcpOutput[] = out.filter((o) => o.kind === 'send');
  for (let i = 0; i < 20 && lcp.fsm.state !== 'Closing'; i++) {
    const next: LcpOutput[] = [];
    for (const o of pending) if (o.kind === 'send') lcp.receive(o.bytes, 0, next);
    pending = next.filter((o) => o.kind === 'send' && parseCpPacket(o.bytes).ok && o.bytes[0] === CP_CODE.CONFIGURE_REQUEST);
    if (!pending.length) pending = next.filter((o) => o.kind === 'send');
  }
  assert.equal(lcp.fsm.state, 'Closing');
  assert.match(lcp.fsm.reason, /loopback/);
});

test('Opened: Echo-Request → Echo-Reply with our magic and the same data', () => {
  const { lcp } = openedLcp();
  const out: LcpOutput[] = [];
  lcp.receive(encodeCpPacket({ code: CP_CODE.ECHO_REQUEST, identifier: 5, data: fromHex('11223344 cafe') }), 0, out);
  const s = out.find((o) => o.kind === 'send');
  assert.ok(s?.kind === 'send');
  const p = parseCpPacket(s.bytes);
  assert.ok(p.ok);
  assert.equal(p.value.code, CP_CODE.ECHO_REPLY);
  assert.equal(p.value.identifier, 5);
  assert.equal(toHex(p.value.data.subarray(4)), 'cafe');
  assert.equal((p.value.data[0]! << 24 | p.value.data[1]! << 16 | p.value.data[2]! << 8 | p.value.data[3]!) >>> 0, lcp.negotiated?.localMagic);
});

test('Opened: keepalive unanswered echoFailures times → close with reason', () => {
  const { lcp } = openedLcp({ echoIntervalMs: 1000, echoFailures: 3 });
  const out: LcpOutput[] = [];
  for (let t = 1000; t <= 10_000 && lcp.fsm.state === 'Opened'; t += 1000) lcp.timeout(t, out);
  assert.equal(out.filter((o) => o.kind === 'send' && o.bytes[0] === CP_CODE.ECHO_REQUEST).length, 3);
  assert.equal(lcp.fsm.state, 'Closing');
  assert.match(lcp.fsm.reason, /3 Echo-Requests unanswered/);
});

test('Opened: Echo-Reply resets the failure count', () => {
  const { lcp } = openedLcp({ echoIntervalMs: 1000, echoFailures: 2 });
  for (let t = 1000; t <= 20_000; t += 1000) {
    const out: LcpOutput[] = [];
    lcp.timeout(t, out);
    const req = out.find((o) => o.kind === 'send');
    assert.ok(req?.kind === 'send');
    const back: LcpOutput[] = [];
    lcp.receive(encodeCpPacket({ code: CP_CODE.ECHO_REPLY, identifier: req.bytes[1]!, data: fromHex('11223344') }), t + 5, back);
    assert.deepEqual(events(back), [{ type: 'echo-reply', rttMs: 5 }]);
  }
  assert.equal(lcp.fsm.state, 'Opened');
});

test('Opened: Protocol-Reject of IPV6CP → event, link stays up; of LCP → link finishes', () => {
  const { lcp } = openedLcp();
  const out: LcpOutput[] = [];
  lcp.receive(encodeCpPacket({ code: CP_CODE.PROTOCOL_REJECT, identifier: 1, data: fromHex('8057 01010004') }), 0, out);
  assert.deepEqual(events(out), [{ type: 'protocol-rejected', protocol: PPP_PROTO.IPV6CP, name: 'IPV6CP' }]);
  assert.equal(lcp.fsm.state, 'Opened');
  const o2: LcpOutput[] = [];
  lcp.receive(encodeCpPacket({ code: CP_CODE.PROTOCOL_REJECT, identifier: 2, data: fromHex('c021 01010004') }), 0, o2);
  assert.equal(lcp.fsm.state, 'Stopping');
});

test('Opened: we Protocol-Reject Apple 0x8235 with the rejected information', () => {
  const { lcp } = openedLcp();
  const out: LcpOutput[] = [];
  assert.ok(lcp.protocolReject(PPP_PROTO.ACSCP, fromHex('0101000a'), out));
  const s = out[0];
  assert.ok(s?.kind === 'send');
  const p = parseCpPacket(s.bytes);
  assert.ok(p.ok);
  assert.equal(p.value.code, CP_CODE.PROTOCOL_REJECT);
  assert.equal(toHex(p.value.data), '82350101000a');
});

test('Opened: Identification, Time-Remaining and Discard-Request → events, no reply', () => {
  const { lcp } = openedLcp();
  const out: LcpOutput[] = [];
  lcp.receive(encodeCpPacket({ code: CP_CODE.IDENTIFICATION, identifier: 1, data: fromHex('11223344 4d535241535635') }), 0, out);
  lcp.receive(encodeCpPacket({ code: CP_CODE.TIME_REMAINING, identifier: 2, data: fromHex('11223344 00000e10') }), 0, out);
  lcp.receive(encodeCpPacket({ code: CP_CODE.DISCARD_REQUEST, identifier: 3, data: fromHex('11223344 00') }), 0, out);
  assert.deepEqual(events(out), [
    { type: 'identification', magicNumber: 0x11223344, message: 'MSRASV5' },
    { type: 'time-remaining', magicNumber: 0x11223344, seconds: 3600, message: '' },
  ]);
  assert.equal(out.filter((o) => o.kind === 'send').length, 0);
});

test('Opened: unknown code 0x40 → Code-Reject, link stays up', () => {
  const { lcp } = openedLcp();
  const out: LcpOutput[] = [];
  lcp.receive(encodeCpPacket({ code: 0x40, identifier: 1, data: fromHex('00') }), 0, out);
  const s = out[0];
  assert.ok(s?.kind === 'send');
  assert.equal(s.bytes[0], CP_CODE.CODE_REJECT);
  assert.equal(toHex(s.bytes.subarray(4)), '40010005' + '00');
  assert.equal(lcp.fsm.state, 'Opened');
});

const lcpOption: fc.Arbitrary<LcpOption> = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((mru) => ({ kind: 'mru' as const, mru })),
  fc.integer({ min: 0, max: 0xffffffff }).map((accm) => ({ kind: 'accm' as const, accm })),
  fc.record({ protocol: fc.integer({ min: 0, max: 0xffff }), data: fc.uint8Array({ maxLength: 3 }) }).map((r) => ({ kind: 'auth' as const, ...r })),
  fc.integer({ min: 0, max: 0xffffffff }).map((magicNumber) => ({ kind: 'magic' as const, magicNumber })),
  fc.constant({ kind: 'pfc' as const }),
  fc.constant({ kind: 'acfc' as const }),
  fc.record({ operation: fc.integer({ min: 0, max: 255 }), message: fc.uint8Array({ maxLength: 8 }) }).map((r) => ({ kind: 'callback' as const, ...r })),
  fc.integer({ min: 0, max: 0xffff }).map((mrru) => ({ kind: 'mrru' as const, mrru })),
  fc.record({ type: fc.constantFrom(0, 6, 9, 20, 30, 200), data: fc.uint8Array({ maxLength: 8 }) }).map((r) => ({ kind: 'raw' as const, ...r })),
);

test('options: parse(encode(x)) = x and length agrees', () => {
  fc.assert(fc.property(fc.array(lcpOption, { maxLength: 8 }), (opts) => {
    const bytes = encodeLcpOptions(opts);
    assert.equal(bytes.length, lcpOptionsLength(opts));
    const p = parseLcpOptions(bytes);
    assert.ok(p.ok);
    assert.deepEqual(p.value.map(norm), opts.map(norm));
  }));
});

const norm = (o: LcpOption) => JSON.parse(JSON.stringify(o, (_k, v) => (v instanceof Uint8Array ? toHex(v) : v)));

test('any state: random packets never throw and never take the link down silently', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 20 }), (pkts) => {
    const { lcp } = openedLcp();
    for (const p of pkts) {
      const out: LcpOutput[] = [];
      lcp.receive(p, 0, out);
      for (const o of out) assert.ok(o.kind === 'send' || o.kind === 'event' || o.kind === 'drop');
    }
  }));
});

test('Opened: Code-Reject of Echo-Request → keepalive stops, link stays up', () => {
  const { lcp } = openedLcp({ echoIntervalMs: 1000, echoFailures: 2 });
  const out: LcpOutput[] = [];
  lcp.timeout(1000, out);
  const req = out.find((o) => o.kind === 'send');
  assert.ok(req?.kind === 'send');
  const o2: LcpOutput[] = [];
  lcp.receive(encodeCpPacket({ code: CP_CODE.CODE_REJECT, identifier: 1, data: req.bytes }), 1001, o2);
  assert.equal(lcp.nextDeadline(), undefined);
  for (let t = 2000; t < 10_000; t += 1000) lcp.timeout(t, o2);
  assert.equal(lcp.fsm.state, 'Opened');
  assert.equal(o2.filter((o) => o.kind === 'send').length, 0);
});
