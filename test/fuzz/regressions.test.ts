/**
 * Crashers and property failures the fuzz targets found, kept as plain
 * regression tests (scripts/fuzz.mjs prints each new counterexample).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyRequest, verifyResponse } from '../../src/radius/codec.js';
import { parseMsChapFailure } from '../../src/ppp/auth/mschap-message.js';
import { analyzeTexts } from '../../src/doctor/analyze.js';

test('radius/codec: verifyResponse on an empty or short datagram → bad-authenticator, no RangeError', () => {
  const auth = new Uint8Array(16);
  for (const b of [new Uint8Array(0), new Uint8Array(3), Uint8Array.of(2, 1, 0, 20)]) {
    assert.deepEqual(verifyResponse(b, auth, 's'), { ok: false, reason: 'bad-authenticator' });
    assert.deepEqual(verifyRequest(b, 's'), { ok: false, reason: 'bad-authenticator' });
  }
});

test('radius/codec: verifyResponse with Length beyond the datagram → bad-authenticator', () => {
  const b = new Uint8Array(20);
  b[0] = 2;
  b[2] = 0x10; // Length 4096 in a 20-byte datagram
  assert.deepEqual(verifyResponse(b, new Uint8Array(16), 's'), { ok: false, reason: 'bad-authenticator' });
});

test('ppp/auth: MS-CHAP Failure with E=/V= of 400 digits → code and version undefined, not Infinity', () => {
  const f = parseMsChapFailure(`E=${'9'.repeat(400)} R=1 V=${'1'.repeat(30)} M=x`);
  assert.equal(f.code, undefined);
  assert.equal(f.version, undefined);
  assert.equal(f.retry, true);
  assert.equal(parseMsChapFailure('E=691 R=0 V=3').code, 691);
});

test('l2tp/endpoint: SCCRQ with an out-of-window Ns → dropped and its tunnel freed at once (no timer-less leak)', async () => {
  const { L2tpEndpoint } = await import('../../src/l2tp/endpoint.js');
  const { seededRng } = await import('../../src/core/rng.js');
  const ep = new L2tpEndpoint({ tunnel: { role: 'lns', hostName: 'lns' }, maxTunnels: 8 }, seededRng(1));
  // The fuzz counterexample: an SCCRQ with Ns 256 from a fresh peer.
  const b = Uint8Array.from([200, 2, 0, 93, 0, 0, 0, 0, 1, 0, 0, 0, 128, 8, 0, 0, 0, 0, 0, 1, 128, 8, 0, 0, 0, 2, 1, 0, 128, 10, 0, 0, 0, 3, 0, 0, 0, 3, 128, 10, 0, 0, 0, 4, 0, 0, 0, 0, 0, 8, 0, 0, 0, 6, 1, 0, 128, 9, 0, 0, 0, 7, 108, 97, 99, 0, 12, 0, 0, 0, 8, 116, 117, 110, 112, 112, 112, 128, 8, 0, 0, 0, 9, 180, 66, 128, 8, 0, 0, 0, 10, 0, 8]);
  for (let port = 1; port <= 20; port++) {
    const out = ep.receive({ address: '192.0.2.1', port }, b, 0);
    assert.ok(out.some((o) => o.kind === 'drop'));
    assert.ok(!out.some((o) => o.kind === 'drop' && o.reason === 'tunnel-limit'), `port ${port}: tunnel table filled up`);
  }
  assert.equal(ep.size, 0);
  assert.equal(ep.nextDeadline(), undefined);
});

test('config/pptpd.conf: a line starting with a vertical tab or U+00A0 → warning, no TypeError', async () => {
  const { parsePptpdConf } = await import('../../src/config/pptpd-conf.js');
  for (const lead of ['\v', '\f', '\u00a0']) {
    const c = parsePptpdConf(`${lead}localip 10.0.0.1\nlocalip 10.0.0.2\n`, 'pptpd.conf');
    assert.ok(c.warnings.some((w) => w.line === 1 && /white space/.test(w.message)), JSON.stringify(c.warnings));
  }
});

test('ppp/session: MPPE up, a 1590-octet compressed-protocol frame → dropped as frame-too-long, no LocalUsageError', async () => {
  const { newPair } = await import('./ppp.targets.js');
  const { verifyWithSecret } = await import('../../src/ppp/auth/verify.js');
  type Out = ReturnType<import('../../src/ppp/session.js').PppSession['start']>;
  const { s, c } = newPair(3, 'mschap-v2', true);
  const queue: { to: typeof s; bytes: Uint8Array }[] = [];
  const apply = (from: typeof s, outs: Out): void => {
    for (const o of outs) {
      if (o.kind === 'send') queue.push({ to: from === s ? c : s, bytes: o.bytes });
      else if (o.kind === 'event' && o.event.type === 'verify') apply(from, from.verdict(o.event.request.requestId, verifyWithSecret(o.event.request, 'p'), 0));
    }
  };
  apply(s, s.start(0));
  apply(c, c.start(0));
  for (let i = 0; i < 200 && queue.length; i++) {
    const q = queue.shift()!;
    apply(q.to, q.to.receiveFrame(q.bytes, 0));
  }
  assert.equal(s.phase, 'Network');
  const big = new Uint8Array(1590);
  big.set([0xff, 0x03, 0x00, 0xfd, 0x90, 0x01]);
  assert.doesNotThrow(() => s.receiveFrame(big, 0));
  assert.equal(s.counters.drops['frame-too-long'], 1);
});

test('ppp/mppe: stateless peer jumping the coherency count by ~2000 per packet → dropped as rekey-budget once the budget is spent; CPU per packet bounded', async () => {
  const { MppeDecrypter } = await import('../../src/ppp/mppe/mppe.js');
  const d = new MppeDecrypter(new Uint8Array(16).fill(7), { strength: 128, stateless: true });
  const out = new Uint8Array(200);
  const p = new Uint8Array(100);
  let c = 0;
  let budgetDrops = 0;
  let decrypted = 0;
  const t0 = performance.now();
  for (let i = 0; i < 400; i++) {
    c = (c + 2047) & 0xfff;
    p[0] = 0x90 | (c >> 8);
    p[1] = c & 0xff;
    const r = d.decrypt(p, out, 0);
    if (typeof r !== 'number' && r.reason === 'rekey-budget') budgetDrops++;
    if (typeof r === 'number') decrypted++;
  }
  const msPerPacket = (performance.now() - t0) / 400;
  // The rest are 'stale' (a jump of 4094 from the last good count is behind, mod 4096).
  assert.ok(budgetDrops > 200, `${budgetDrops} budget drops`);
  assert.ok(decrypted < 10, `${decrypted} packets made us re-key ~2000 times each`);
  assert.ok(msPerPacket < 1, `${msPerPacket.toFixed(2)} ms per packet`);
});

test('ppp/mppe: stateless with 75% loss, and a burst of 3000 lost packets → every delivered packet still decrypts', async () => {
  const { MppeDecrypter, MppeEncrypter } = await import('../../src/ppp/mppe/mppe.js');
  const key = new Uint8Array(16).fill(9);
  const enc = new MppeEncrypter(key, { strength: 128, stateless: true });
  const dec = new MppeDecrypter(key, { strength: 128, stateless: true });
  const buf = new Uint8Array(200);
  const out = new Uint8Array(200);
  const plain = Uint8Array.of(0x00, 0x21, 0x45, 0, 0, 20);
  let delivered = 0;
  let ok = 0;
  for (let i = 0; i < 12_000; i++) {
    const n = enc.encrypt(plain, buf, 0);
    const lost = i < 2000 ? i % 4 !== 0 : i < 5000; // 75% loss, then a 3000-packet burst (a 12-bit count covers < 4096)
    if (lost) continue;
    delivered++;
    const r = dec.decrypt(buf.subarray(0, n), out, 0);
    if (typeof r === 'number' && out[0] === 0x00 && out[1] === 0x21 && out[2] === 0x45) ok++;
  }
  assert.equal(ok, delivered);
});

test('doctor: a JSON log line whose "time" is past the Date range → no timestamp, no RangeError (doctor/edited-logs)', () => {
  const line = (time: string, event: string): string => `{"level":30,"time":${time},"name":"tunppp","pid":4242,"event":"${event}","peer":"198.51.100.7","link":1,"msg":"CTRL: Starting call (call ID 1, peer call ID 7, link 1)"}`;
  for (const time of ['99999999999999999999', '8640000000000001', '-8640000000000001', '1e300']) {
    const r = analyzeTexts([{ name: 'tunppp.json', text: [line(time, 'call-start'), line('1795543204000', 'link-down')].join('\n') }]);
    assert.equal(r.stats.lines, 2);
    JSON.stringify(r);
  }
});
