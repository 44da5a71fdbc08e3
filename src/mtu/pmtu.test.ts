import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestTunnelMtu } from './overhead.js';
import { applyPathMtu, pathMtuFromIcmp, plateauBelow } from './pmtu.js';

test('plateauBelow: RFC 1191 Table 7-1', () => {
  assert.equal(plateauBelow(1500), 1492);
  assert.equal(plateauBelow(1492), 1006);
  assert.equal(plateauBelow(9000), 8166);
  assert.equal(plateauBelow(69), 68);
  assert.equal(plateauBelow(68), 68);
});

test('frag-needed with Next-Hop MTU 1400 at estimate 1500 → 1400', () => {
  assert.equal(pathMtuFromIcmp(1500, { nextHopMtu: 1400, quotedTotalLength: 1500, quotedHeaderBytes: 20 }), 1400);
});

test('frag-needed with Next-Hop MTU 0 (pre-RFC 1191 router) → plateau below the quoted length', () => {
  // Quoted 1500 is not below the estimate 1500: subtract 4 × 20 (§5 note) → 1420 → plateau 1006.
  assert.equal(pathMtuFromIcmp(1500, { nextHopMtu: 0, quotedTotalLength: 1500, quotedHeaderBytes: 20 }), 1006);
  // Quoted 1400 below estimate 1500 → plateau below 1400 = 1006.
  assert.equal(pathMtuFromIcmp(1500, { nextHopMtu: 0, quotedTotalLength: 1400, quotedHeaderBytes: 20 }), 1006);
});

test('frag-needed that would raise or not change the estimate, or is below the floor → ignored', () => {
  assert.equal(pathMtuFromIcmp(1400, { nextHopMtu: 1500, quotedTotalLength: 1400, quotedHeaderBytes: 20 }), undefined);
  assert.equal(pathMtuFromIcmp(1400, { nextHopMtu: 1400, quotedTotalLength: 1400, quotedHeaderBytes: 20 }), undefined);
  assert.equal(pathMtuFromIcmp(1500, { nextHopMtu: 300, quotedTotalLength: 1500, quotedHeaderBytes: 20 }, 576), undefined);
});

test('applyPathMtu: PPTP tunnel, path drops 1500 → 1400: IP MTU 1456 → 1356, MSS 1316', () => {
  // 1400 − 20 − 16 − 4 = 1360 MRU; − 4 MPPE = 1356; MSS 1356 − 40 = 1316.
  const before = bestTunnelMtu(1500, { proto: 'pptp' });
  const ch = applyPathMtu(before, 1400, { proto: 'pptp' });
  assert.equal(ch.lowered, true);
  assert.equal(ch.after.ipMtu, 1356);
  assert.equal(ch.after.mssIpv4, 1316);
  assert.equal(applyPathMtu(ch.after, 1400, { proto: 'pptp' }).lowered, false);
});
