import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseEspSuite } from './esp.js';
import { bestTunnelMtu, encapsulatedSize, mssFor, tunnelOverhead, typicalOptions, type TunnelOptions } from './overhead.js';

const suite = (n: string) => {
  const s = parseEspSuite(n);
  assert.ok(s, n);
  return s;
};

// Hand-computed cases. Each comment is the arithmetic done by hand from the
// RFC field sizes; the test checks the library agrees.

test('pptp over 1500, worst case: 1500 − 20 − 16 − 4 = 1460 MRU; − 4 MPPE = 1456', () => {
  // IPv4 20; GRE 8 (flags/ver 2 + proto 2 + key 4) + seq 4 + ack 4 = 16 (RFC 2637 §4.1);
  // PPP FF03 2 + protocol 0x00FD 2 = 4 (RFC 1662, RFC 1661);
  // PPP Information field = 1500 − 20 − 16 − 4 = 1460 = LCP MRU;
  // MPPE header 2 + encrypted inner protocol 2 (RFC 3078 §3) → IP MTU 1456;
  // MSS 1456 − 20 − 20 = 1416, IPv6 1456 − 40 − 20 = 1396.
  const r = bestTunnelMtu(1500, { proto: 'pptp' });
  assert.equal(r.pppMru, 1460);
  assert.equal(r.ipMtu, 1456);
  assert.equal(r.mssIpv4, 1416);
  assert.equal(r.mssIpv6, 1396);
  assert.equal(r.overheadBytes, 44);
});

test('pptp over 1500, typical (ACFC+PFC, no ack): 1500 − 20 − 12 − 1 = 1467 MRU; IP 1463', () => {
  // GRE without ack 12; PPP protocol 0x00FD compressed to 1 byte (PFC), no FF03 (ACFC);
  // 1500 − 20 − 12 − 1 = 1467; − 4 MPPE = 1463; MSS 1423.
  const r = bestTunnelMtu(1500, typicalOptions({ proto: 'pptp' }));
  assert.equal(r.pppMru, 1467);
  assert.equal(r.ipMtu, 1463);
  assert.equal(r.mssIpv4, 1423);
});

test('pptp over PPPoE: 1500 − 8 = 1492; 1492 − 20 − 16 − 4 = 1452 MRU; IP 1448', () => {
  const r = bestTunnelMtu(1500, { proto: 'pptp', pppoe: true });
  assert.equal(r.linkMtu, 1492);
  assert.equal(r.pppMru, 1452);
  assert.equal(r.ipMtu, 1448);
  assert.equal(r.mssIpv4, 1408);
});

test('pptp over an IPv6 path: 1500 − 40 − 16 − 4 = 1440 MRU; IP 1436', () => {
  const r = bestTunnelMtu(1500, { proto: 'pptp', outerIpv6: true });
  assert.equal(r.pppMru, 1440);
  assert.equal(r.ipMtu, 1436);
});

test('l2tp over 1500, worst case: 1500 − 20 − 8 − 12 − 4 = 1456', () => {
  // IPv4 20, UDP 8, L2TP 6 + Length 2 + Ns/Nr 4 = 12 (RFC 2661 §3.1), PPP 4; no MPPE.
  const r = bestTunnelMtu(1500, { proto: 'l2tp' });
  assert.equal(r.pppMru, 1456);
  assert.equal(r.ipMtu, 1456);
  assert.equal(r.mssIpv4, 1416);
});

test('l2tp over 1500, typical: 1500 − 20 − 8 − 6 − 1 = 1465', () => {
  const r = bestTunnelMtu(1500, typicalOptions({ proto: 'l2tp' }));
  assert.equal(r.ipMtu, 1465);
});

test('l2tp with offset field of 4 pad bytes: 1500 − 20 − 8 − (12 + 2 + 4) − 4 = 1450', () => {
  const r = bestTunnelMtu(1500, { proto: 'l2tp', l2tpOffsetPadBytes: 4 });
  assert.equal(r.ipMtu, 1450);
});

test('l2tp-ipsec aes-cbc-sha1 over 1500: ciphertext 1440, IP MTU 1414', () => {
  // room for ciphertext = 1500 − 20 IP − 8 (SPI+seq) − 16 IV − 12 ICV = 1444;
  // round down to AES block 16: 1440 (4 bytes unusable);
  // ESP payload = 1440 − 2 (pad length + next header) = 1438, padding 0;
  // PPP frame = 1438 − 8 UDP − 12 L2TP = 1418; MRU = 1418 − 4 PPP = 1414.
  const r = bestTunnelMtu(1500, { proto: 'l2tp-ipsec', esp: suite('aes-cbc-sha1') });
  assert.equal(r.ipMtu, 1414);
  assert.equal(r.rows.find((h) => h.name.startsWith('ESP block alignment'))!.bytes, 4);
});

test('l2tp-ipsec aes-cbc-sha1 with NAT-T over 1500: IP MTU 1398 (below Windows\' 1400)', () => {
  // room = 1500 − 20 − 8 NAT-T − 8 − 16 − 12 = 1436 → 1424 (89 × 16), 12 unusable;
  // payload 1422; frame 1422 − 8 − 12 = 1402; MRU 1398.
  const r = bestTunnelMtu(1500, { proto: 'l2tp-ipsec', natT: true, esp: suite('aes-cbc-sha1') });
  assert.equal(r.ipMtu, 1398);
  assert.equal(r.mssIpv4, 1358);
  // Typical headers: frame 1422 − 8 − 6 = 1408, PPP 1 → 1407.
  assert.equal(bestTunnelMtu(1500, typicalOptions({ proto: 'l2tp-ipsec', natT: true })).ipMtu, 1407);
});

test('l2tp-ipsec NAT-T over PPPoE: the 8 PPPoE bytes vanish into AES block slack → still 1398', () => {
  // room = 1492 − 20 − 8 − 8 − 16 − 12 = 1428 → 1424 (4 unusable): same ciphertext as without PPPoE.
  const r = bestTunnelMtu(1500, { proto: 'l2tp-ipsec', natT: true, pppoe: true });
  assert.equal(r.ipMtu, 1398);
});

test('l2tp-ipsec aes-gcm with NAT-T: IV 8, align 4, ICV 16 → 1414', () => {
  // room = 1500 − 20 − 8 − 8 − 8 IV − 16 ICV = 1440 (multiple of 4); payload 1438;
  // frame 1438 − 8 − 12 = 1418; MRU 1414.
  const r = bestTunnelMtu(1500, { proto: 'l2tp-ipsec', natT: true, esp: suite('aes-gcm') });
  assert.equal(r.ipMtu, 1414);
});

test('l2tp-ipsec 3des-sha1: IV 8, block 8 → 1422', () => {
  // room = 1500 − 20 − 8 − 8 − 12 = 1452 → 1448 (181 × 8); payload 1446; frame 1426; MRU 1422.
  assert.equal(bestTunnelMtu(1500, { proto: 'l2tp-ipsec', esp: suite('3des-sha1') }).ipMtu, 1422);
});

test('l2tp-ipsec null-sha256: no IV, 4-byte alignment, ICV 16 → 1430', () => {
  // room = 1500 − 20 − 8 − 0 − 16 = 1456 (multiple of 4); payload 1454; frame 1434; MRU 1430.
  assert.equal(bestTunnelMtu(1500, { proto: 'l2tp-ipsec', esp: suite('null-sha256') }).ipMtu, 1430);
});

test('l2tp-ipsec aes256-sha256 over an IPv6 path of 1280: IP MTU 1174 and an IPv6 warning', () => {
  // room = 1280 − 40 − 8 − 16 − 16 = 1200 → 1200 (75 × 16); payload 1198; frame 1178; MRU 1174.
  const r = bestTunnelMtu(1280, { proto: 'l2tp-ipsec', outerIpv6: true, esp: suite('aes256-sha256') });
  assert.equal(r.ipMtu, 1174);
  assert.match(r.warnings.join('\n'), /below 1280/);
});

test('every case: the rows and the IP MTU add up to the path MTU', () => {
  const r = bestTunnelMtu(1500, { proto: 'l2tp-ipsec', natT: true });
  assert.equal(r.rows.reduce((s, h) => s + h.bytes, 0) + r.ipMtu, 1500);
});

test('mssFor: IPv4 subtracts 40, IPv6 60', () => {
  assert.equal(mssFor(1500, false), 1460);
  assert.equal(mssFor(1500, true), 1440);
  assert.equal(mssFor(1400, false), 1360);
});

test('tunnelOverhead: fixed headers plus the worst ESP padding', () => {
  assert.deepEqual(tunnelOverhead({ proto: 'pptp' }), { fixedBytes: 44, maxPaddingBytes: 0, worstCaseBytes: 44 });
  // 20 + 8 + 16 + 8 + 12 + 4 + 2 + 12 = 82 fixed; AES pads up to 15 more.
  assert.deepEqual(tunnelOverhead({ proto: 'l2tp-ipsec' }), { fixedBytes: 82, maxPaddingBytes: 15, worstCaseBytes: 97 });
});

test('bestTunnelMtu: a path MTU too small for the headers → LocalUsageError', () => {
  assert.throws(() => bestTunnelMtu(100, { proto: 'l2tp-ipsec' }), /leaves .* bytes for IP/);
  assert.throws(() => bestTunnelMtu(1000, { proto: 'pptp', outerIpv6: true }), /1280\.\.65535/);
  assert.throws(() => bestTunnelMtu(1500, { proto: 'pptp', natT: true }), /NAT-T applies only/);
});

test('l2tp-ipsec in ESP tunnel mode → 20 more bytes (inner IPv4 header) than transport mode, up to ESP block rounding', () => {
  const transport = bestTunnelMtu(1500, { proto: 'l2tp-ipsec', natT: true, esp: parseEspSuite('aes256-sha256')! });
  const tunnel = bestTunnelMtu(1500, { proto: 'l2tp-ipsec', natT: true, esp: parseEspSuite('aes256-sha256')!, espTunnel: true });
  // 1500 − 20 − 8 (NAT-T) − 8 − 16 (IV) − 16 (ICV) = 1432 → 1424 of ciphertext → 1422 of payload.
  assert.equal(transport.pppFrameBytes, 1422 - 8 - 12);
  // Tunnel mode: 20 of those 1422 go to the inner IPv4 header.
  assert.equal(tunnel.pppFrameBytes, 1422 - 20 - 8 - 12);
  assert.ok(tunnel.rows.some((r) => r.name === 'ESP tunnel-mode IPv4 header' && r.bytes === 20));
  const opts = { proto: 'l2tp-ipsec' as const, natT: true, esp: parseEspSuite('aes256-sha256')!, espTunnel: true };
  assert.ok(encapsulatedSize(tunnel.ipMtu, opts) <= 1500);
  assert.ok(encapsulatedSize(tunnel.ipMtu + 1, opts) > 1500);
  assert.throws(() => bestTunnelMtu(1500, { proto: 'l2tp', espTunnel: true }), /tunnel mode applies only/);
});

const optionsArb: fc.Arbitrary<TunnelOptions> = fc.record({
  proto: fc.constantFrom('pptp' as const, 'l2tp' as const, 'l2tp-ipsec' as const),
  outerIpv6: fc.boolean(),
  pppoe: fc.boolean(),
  natT: fc.boolean(),
  espTunnel: fc.boolean(),
  cipher: fc.constantFrom('aes-cbc-sha1', 'aes256-sha256', 'aes-gcm', '3des-md5', 'null-sha512', 'chacha20-poly1305'),
  greAck: fc.boolean(),
  l2tpLength: fc.boolean(),
  l2tpSequence: fc.boolean(),
  offset: fc.option(fc.integer({ min: 0, max: 16 }), { nil: undefined }),
  acfc: fc.boolean(),
  pfc: fc.boolean(),
  mppe: fc.boolean(),
}).map((r) => {
  const ipsec = r.proto === 'l2tp-ipsec';
  const o: TunnelOptions = {
    proto: r.proto, outerIpv6: r.outerIpv6, pppoe: r.pppoe, natT: ipsec && r.natT, greAck: r.greAck,
    l2tpLength: r.l2tpLength, l2tpSequence: r.l2tpSequence, acfc: r.acfc, pfc: r.pfc, mppe: r.mppe,
  };
  if (ipsec) o.esp = parseEspSuite(r.cipher)!;
  if (ipsec && r.espTunnel) o.espTunnel = true;
  if (r.offset !== undefined && r.proto !== 'pptp') o.l2tpOffsetPadBytes = r.offset;
  return o;
});

test('property: ipMtu is the largest IP packet whose encapsulation fits the path', () => {
  fc.assert(fc.property(optionsArb, fc.integer({ min: 1280, max: 9000 }), (opts, pathMtu) => {
    const r = bestTunnelMtu(pathMtu, opts);
    assert.ok(encapsulatedSize(r.ipMtu, opts) <= pathMtu, 'ipMtu fits');
    assert.ok(encapsulatedSize(r.ipMtu + 1, opts) > pathMtu, 'ipMtu + 1 does not fit');
    assert.equal(r.rows.reduce((s, h) => s + h.bytes, 0) + r.ipMtu, pathMtu);
    assert.equal(r.pppMru - r.ipMtu, opts.mppe ? 4 : 0);
  }), { numRuns: 500 });
});

test('property: the typical case never has a smaller MTU than the worst case', () => {
  fc.assert(fc.property(optionsArb, fc.integer({ min: 1280, max: 9000 }), (opts, pathMtu) => {
    const worst = { ...opts, acfc: false, pfc: false, greAck: true, l2tpLength: true, l2tpSequence: true };
    assert.ok(bestTunnelMtu(pathMtu, typicalOptions(opts)).ipMtu >= bestTunnelMtu(pathMtu, worst).ipMtu);
  }), { numRuns: 200 });
});

test('parseEspSuite: strongSwan spellings, defaults and refusals', () => {
  assert.equal(suite('aes256-sha256').icvBytes, 16);
  assert.equal(suite('aes-cbc-sha1').cipher.ivBytes, 16);
  assert.equal(suite('3des').icvBytes, 12); // integrity defaults to sha1-96
  assert.equal(suite('aes128gcm16').cipher.name, 'aes-gcm');
  assert.equal(suite('AES-GCM').icvBytes, 16);
  assert.equal(parseEspSuite('aes-gcm-sha1'), undefined); // AEAD takes no integrity
  assert.equal(parseEspSuite('blowfish'), undefined);
  assert.equal(parseEspSuite('aes-sha3'), undefined);
  assert.equal(parseEspSuite(''), undefined);
});

test('property: the tunppp.json lines printed by tunppp mtu are valid tunppp.json', async () => {
  const { configLines } = await import('./config-lines.js');
  const { parseTunpppJson } = await import('../config/schema.js');
  fc.assert(fc.property(optionsArb, fc.integer({ min: 1280, max: 9000 }), (opts, pathMtu) => {
    const r = bestTunnelMtu(pathMtu, opts);
    const block = configLines(r).find((b) => b.target === 'tunppp')!;
    const c = parseTunpppJson(`{ ${block.lines.join(', ')} }`, 'tunppp.json');
    assert.equal(c.ppp.mtu, r.pppMru);
  }), { numRuns: 200 });
});

test('typical-case assumptions → each one is named in the warnings', () => {
  const w = bestTunnelMtu(1500, typicalOptions({ proto: 'l2tp-ipsec' })).warnings.join('\n');
  assert.match(w, /assumes ACFC and PFC negotiated: a peer that refuses them sends 3 more bytes/);
  assert.match(w, /assumes L2TP data without Length and Ns\/Nr: a peer that sets them adds 6 bytes/);
  assert.match(bestTunnelMtu(1500, { proto: 'pptp', greAck: false }).warnings.join('\n'), /GRE acknowledgment .* adds 4 bytes/);
  assert.deepEqual(bestTunnelMtu(1500, { proto: 'pptp' }).warnings, []);
});
