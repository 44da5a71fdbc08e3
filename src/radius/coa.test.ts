import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coaSelects, parseCoaRequest } from './coa.js';
import { ATTR, ERROR_CAUSE, RADIUS_CODE, encodeVendorSpecific, intAttr, ipv4Attr, textAttr, type RadiusAttribute, type RadiusPacket } from './codec.js';
import { MIKROTIK_RATE_LIMIT, VENDOR_MIKROTIK } from './rate-limit-attrs.js';

const coa = (attributes: RadiusAttribute[]): RadiusPacket => ({ code: RADIUS_CODE.COA_REQUEST, identifier: 7, authenticator: new Uint8Array(16), attributes });
const NAS = { nasIdentifier: 'tunppp-a', nasIpAddress: '10.210.1.1' };
const mikrotik = (text: string): RadiusAttribute => encodeVendorSpecific({ vendorId: VENDOR_MIKROTIK, vendorType: MIKROTIK_RATE_LIMIT, value: new TextEncoder().encode(text) });
const cause = (r: ReturnType<typeof parseCoaRequest>): number | undefined => (r.ok ? undefined : r.errorCause);

test('CoA-Request naming a session by Acct-Session-Id with Session-Timeout, Idle-Timeout and Mikrotik-Rate-Limit → all three changes', () => {
  const r = parseCoaRequest(coa([textAttr(ATTR.ACCT_SESSION_ID, 'AB-00000001'), intAttr(ATTR.SESSION_TIMEOUT, 600), intAttr(ATTR.IDLE_TIMEOUT, 60), mikrotik('2M/2M'), intAttr(ATTR.EVENT_TIMESTAMP, 1)]), NAS);
  assert.deepEqual(r, {
    ok: true,
    selector: { acctSessionId: 'AB-00000001' },
    changes: { sessionTimeoutS: 600, idleTimeoutS: 60, rate: { limit: { upBps: 2_000_000, downBps: 2_000_000 }, source: 'Mikrotik-Rate-Limit "2M/2M"' } },
  });
});

test('CoA-Request: 0 removes a timeout; "0/0" lifts the rate; User-Name + Framed-IP-Address select together', () => {
  const r = parseCoaRequest(coa([textAttr(ATTR.USER_NAME, 'alice'), ipv4Attr(ATTR.FRAMED_IP_ADDRESS, '10.99.0.10'), intAttr(ATTR.SESSION_TIMEOUT, 0), intAttr(ATTR.IDLE_TIMEOUT, 0), mikrotik('0/0')]), NAS);
  assert.ok(r.ok);
  assert.deepEqual(r.changes, { sessionTimeoutS: null, idleTimeoutS: null, rate: { limit: {}, source: 'Mikrotik-Rate-Limit "0/0"' } });
  assert.equal(coaSelects(r.selector, { acctSessionId: 'x', userName: 'alice', framedIpAddress: '10.99.0.10' }), true);
  assert.equal(coaSelects(r.selector, { acctSessionId: 'x', userName: 'alice', framedIpAddress: '10.99.0.11' }), false, 'every given identifier must match');
  assert.equal(coaSelects(r.selector, { acctSessionId: 'x', userName: 'bob', framedIpAddress: '10.99.0.10' }), false);
});

test('CoA-Request refused with the RFC 5176 §3.5 Error-Cause, nothing applied', () => {
  const sid = textAttr(ATTR.ACCT_SESSION_ID, 's');
  assert.equal(cause(parseCoaRequest(coa([intAttr(ATTR.SESSION_TIMEOUT, 5)]), NAS)), ERROR_CAUSE.MISSING_ATTRIBUTE, 'no session named');
  assert.equal(cause(parseCoaRequest(coa([sid, textAttr(ATTR.NAS_IDENTIFIER, 'tunppp-b')]), NAS)), ERROR_CAUSE.NAS_IDENTIFICATION_MISMATCH);
  assert.equal(cause(parseCoaRequest(coa([sid, ipv4Attr(ATTR.NAS_IP_ADDRESS, '10.210.2.1')]), NAS)), ERROR_CAUSE.NAS_IDENTIFICATION_MISMATCH);
  assert.equal(cause(parseCoaRequest(coa([sid, ipv4Attr(ATTR.NAS_IP_ADDRESS, '10.210.1.1'), textAttr(ATTR.NAS_IDENTIFIER, 'tunppp-a')]), NAS)), undefined, 'our own identity is fine');
  assert.equal(cause(parseCoaRequest(coa([sid, intAttr(ATTR.SERVICE_TYPE, 17)]), NAS)), ERROR_CAUSE.UNSUPPORTED_SERVICE, 'Authorize-Only');
  assert.equal(cause(parseCoaRequest(coa([sid, intAttr(ATTR.FRAMED_MTU, 1400)]), NAS)), ERROR_CAUSE.UNSUPPORTED_ATTRIBUTE, 'a change we cannot make');
  assert.equal(cause(parseCoaRequest(coa([sid, encodeVendorSpecific({ vendorId: 9, vendorType: 1, value: new Uint8Array([1]) })]), NAS)), ERROR_CAUSE.UNSUPPORTED_ATTRIBUTE);
  assert.equal(cause(parseCoaRequest(coa([sid, { type: ATTR.SESSION_TIMEOUT, value: new Uint8Array(3) }]), NAS)), ERROR_CAUSE.INVALID_ATTRIBUTE_VALUE);
  assert.equal(cause(parseCoaRequest(coa([sid, intAttr(ATTR.IDLE_TIMEOUT, 1), intAttr(ATTR.IDLE_TIMEOUT, 2)]), NAS)), ERROR_CAUSE.INVALID_ATTRIBUTE_VALUE, 'twice');
  assert.equal(cause(parseCoaRequest(coa([sid, mikrotik('fast')]), NAS)), ERROR_CAUSE.INVALID_ATTRIBUTE_VALUE);
  assert.equal(cause(parseCoaRequest(coa([sid, textAttr(ATTR.FILTER_ID, 'web-only')]), NAS)), ERROR_CAUSE.INVALID_ATTRIBUTE_VALUE, 'a filter name');
  assert.equal(cause(parseCoaRequest(coa([sid, { type: ATTR.FRAMED_IP_ADDRESS, value: new Uint8Array(5) }]), NAS)), ERROR_CAUSE.INVALID_ATTRIBUTE_VALUE);
  assert.equal(cause(parseCoaRequest(coa([sid, ipv4Attr(ATTR.NAS_IP_ADDRESS, '10.210.1.1')]), { nasIdentifier: 'tunppp-a' })), ERROR_CAUSE.NAS_IDENTIFICATION_MISMATCH, 'no NAS-IP-Address configured');
});
