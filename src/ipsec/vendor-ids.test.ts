import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { fromHex, toHex } from '../wire/hex.js';
import { DPD_VENDOR_ID, KNOWN_VENDOR_IDS, describeVendorId, natTraversalVariant, recognizeVendorId, usesDraftNumbers } from './vendor-ids.js';

test('table: every MD5-derived vendor ID is the MD5 of its string', () => {
  for (const k of KNOWN_VENDOR_IDS) {
    if (!k.md5Of) continue;
    const md5 = createHash('md5').update(k.md5Of, 'latin1').digest();
    assert.equal(toHex(k.bytes), toHex(md5.subarray(0, k.bytes.length)), k.name);
  }
});

test('recognizeVendorId: exact entries need the exact length; prefix entries return the version suffix', () => {
  assert.equal(recognizeVendorId(fromHex('4a131c81070358455c5728f20e95452f'))?.known.name, 'rfc3947');
  assert.equal(recognizeVendorId(fromHex('4a131c81070358455c5728f20e95452f00')), undefined);
  const win = recognizeVendorId(fromHex('1e2b516905991c7d7c96fcbfb587e46100000009'));
  assert.equal(win?.known.name, 'ms-nt5-isakmpoakley');
  assert.equal(toHex(win!.suffix), '00000009');
  assert.equal(recognizeVendorId(DPD_VENDOR_ID)?.known.name, 'dpd');
  assert.equal(recognizeVendorId(fromHex('4048b7d56ebce88525e7de7f00d6c2d380000000'))?.known.name, 'fragmentation');
  assert.equal(recognizeVendorId(new Uint8Array(16)), undefined);
  assert.equal(recognizeVendorId(new Uint8Array(0)), undefined);
});

test('natTraversalVariant: RFC 3947 beats draft-03 beats draft-02; the reply echoes the peer bytes', () => {
  const d02n = fromHex('90cb80913ebb696e086381b5ec427b1f');
  const d03 = fromHex('7d9419a65310ca6f2c179d9215529d56');
  const rfc = fromHex('4a131c81070358455c5728f20e95452f');
  assert.equal(natTraversalVariant([]), undefined);
  assert.equal(natTraversalVariant([DPD_VENDOR_ID]), undefined);
  assert.deepEqual(natTraversalVariant([d02n]), { variant: 'draft-02', vendorId: d02n });
  assert.equal(natTraversalVariant([d02n, d03])?.variant, 'draft-03');
  assert.equal(natTraversalVariant([d02n, rfc, d03])?.variant, 'rfc3947');
  assert.equal(usesDraftNumbers('draft-02'), true);
  assert.equal(usesDraftNumbers('rfc3947'), false);
});

test('describeVendorId: labels with versions; unknown ones as bounded hex', () => {
  assert.equal(describeVendorId(fromHex('1e2b516905991c7d7c96fcbfb587e46100000009')), 'MS NT5 ISAKMPOAKLEY version 9');
  assert.equal(describeVendorId(DPD_VENDOR_ID), 'RFC 3706 DPD 1.0');
  assert.equal(describeVendorId(new Uint8Array(100)), `unknown ${'00'.repeat(32)}…`);
});
