import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIKROTIK_RATE_LIMIT, VENDOR_MIKROTIK, parseFilterIdRate, parseMikrotikRateLimit, rateLimitFromAccept } from './rate-limit-attrs.js';
import { ATTR, RADIUS_CODE, encodeVendorSpecific, textAttr, type RadiusAttribute, type RadiusPacket } from './codec.js';

const accept = (attributes: RadiusAttribute[]): RadiusPacket => ({ code: RADIUS_CODE.ACCESS_ACCEPT, identifier: 1, authenticator: new Uint8Array(16), attributes });
const mikrotik = (text: string): RadiusAttribute => encodeVendorSpecific({ vendorId: VENDOR_MIKROTIK, vendorType: MIKROTIK_RATE_LIMIT, value: new TextEncoder().encode(text) });

test('Mikrotik-Rate-Limit "rx/tx": rx is the user\'s upload, tx its download', () => {
  assert.deepEqual(parseMikrotikRateLimit('2M/4M').limit, { upBps: 2_000_000, downBps: 4_000_000 });
  assert.deepEqual(parseMikrotikRateLimit('512k').limit, { upBps: 512_000, downBps: 512_000 }, 'no tx-rate: the same both ways');
  assert.deepEqual(parseMikrotikRateLimit('0/1M').limit, { downBps: 1_000_000 }, '0 is no limit');
  assert.equal(parseMikrotikRateLimit('2M/4M').problem, undefined);
});

test('Mikrotik-Rate-Limit with burst fields: base rates applied, the rest named as not applied', () => {
  const r = parseMikrotikRateLimit('1M/2M 2M/4M 512k/1M 10/10 8');
  assert.deepEqual(r.limit, { upBps: 1_000_000, downBps: 2_000_000 });
  assert.match(r.problem ?? '', /burst fields "2M\/4M 512k\/1M 10\/10 8" not applied/);
});

test('Mikrotik-Rate-Limit malformed → no limit, a reason (printable, bounded)', () => {
  for (const bad of ['', 'fast', '2M/', '/2M', '2M/4M/8M', '2Mbps', '-1']) {
    const r = parseMikrotikRateLimit(bad);
    assert.equal(r.limit, undefined, bad);
    assert.match(r.problem ?? '', /expected rx-rate\[\/tx-rate\]/, bad);
  }
  const r = parseMikrotikRateLimit(`\u0000\u001b[31m${'x'.repeat(500)}`);
  assert.ok(!/[\u0000-\u001f]/.test(r.problem!), 'control characters do not reach the log');
  assert.ok(r.problem!.length < 200);
});

test('Filter-Id, accel-ppp form: kbit/s, "down/up" (also ":" or "\\\\"), one number for both', () => {
  assert.deepEqual(parseFilterIdRate('2000/1000').limit, { upBps: 1_000_000, downBps: 2_000_000 });
  assert.deepEqual(parseFilterIdRate('2000:1000').limit, { upBps: 1_000_000, downBps: 2_000_000 });
  assert.deepEqual(parseFilterIdRate('2000\\1000').limit, { upBps: 1_000_000, downBps: 2_000_000 });
  assert.deepEqual(parseFilterIdRate('1000').limit, { upBps: 1_000_000, downBps: 1_000_000 });
  const f = parseFilterIdRate('std.acl');
  assert.equal(f.limit, undefined);
  assert.match(f.problem ?? '', /not an accel-ppp rate/);
});

test('Access-Accept: Mikrotik-Rate-Limit wins over Filter-Id; Filter-Id alone applies; neither → nothing', () => {
  assert.deepEqual(rateLimitFromAccept(accept([mikrotik('2M/4M'), textAttr(ATTR.FILTER_ID, '100/100')])).limit, { upBps: 2_000_000, downBps: 4_000_000 });
  const f = rateLimitFromAccept(accept([textAttr(ATTR.FILTER_ID, '4000/2000')]));
  assert.deepEqual(f.limit, { upBps: 2_000_000, downBps: 4_000_000 });
  assert.match(f.source ?? '', /^Filter-Id "4000\/2000"$/);
  assert.deepEqual(rateLimitFromAccept(accept([textAttr(ATTR.REPLY_MESSAGE, 'hi')])), {});
});

test('Access-Accept: a malformed Mikrotik-Rate-Limit falls back to a Filter-Id rate, both reasons kept', () => {
  const r = rateLimitFromAccept(accept([mikrotik('lots'), textAttr(ATTR.FILTER_ID, '1000')]));
  assert.deepEqual(r.limit, { upBps: 1_000_000, downBps: 1_000_000 });
  assert.match(r.problem ?? '', /Mikrotik-Rate-Limit "lots" ignored/);
});
