import { test } from 'node:test';
import assert from 'node:assert/strict';
import { phase1Pair } from '../../test/ipsec/phase1-pair.js';
import { NOTIFY, PROTO } from './constants.js';
import { parseIsakmpMessage } from './isakmp.js';
import { deletePayload, dpdPayload, notifyPayload, openInformational, sealInformational } from './informational.js';

test('DPD R-U-THERE from the server opens on the client with the cookies as SPI and the sequence number', () => {
  const { client, server } = phase1Pair();
  const bytes = sealInformational(server, 0x1234, [dpdPayload(server, false, 77)]);
  const m = parseIsakmpMessage(bytes);
  assert.ok(m.ok);
  const r = openInformational(client, m.value);
  assert.ok(r.ok, JSON.stringify(r));
  const n = r.payloads[0]!;
  assert.ok(n.kind === 'notify');
  assert.equal(n.notify.notifyType, NOTIFY.R_U_THERE);
  assert.deepEqual(Array.from(n.notify.spi), [...client.initiatorCookie, ...client.responderCookie]);
  assert.deepEqual(Array.from(n.notify.data), [0, 0, 0, 77]);
});

test('Delete of ESP SPIs and of the ISAKMP SA; notifications round trip', () => {
  const { client, server } = phase1Pair();
  for (const p of [deletePayload(client, [Uint8Array.of(1, 2, 3, 4)]), deletePayload(client), notifyPayload(NOTIFY.INITIAL_CONTACT)]) {
    const m = parseIsakmpMessage(sealInformational(client, 9, [p]));
    assert.ok(m.ok);
    const r = openInformational(server, m.value);
    assert.ok(r.ok);
    assert.deepEqual(r.payloads, [p]);
  }
  const d = deletePayload(client);
  assert.ok(d.kind === 'delete' && d.delete.protocolId === PROTO.ISAKMP && d.delete.spiSize === 16);
});

test('tampered, unencrypted or message-ID-0 informationals are refused with the problem named', () => {
  const { client, server } = phase1Pair();
  const bytes = sealInformational(client, 9, [dpdPayload(client, true, 1)]);
  for (let at = 28; at < bytes.length; at += 5) {
    const bad = bytes.slice();
    bad[at]! ^= 1;
    const m = parseIsakmpMessage(bad);
    assert.ok(m.ok);
    const r = openInformational(server, m.value);
    assert.ok(!r.ok, `byte ${at}`);
  }
  const zero = parseIsakmpMessage(sealInformational(client, 0, [dpdPayload(client, true, 1)]));
  assert.ok(zero.ok);
  assert.deepEqual(openInformational(server, zero.value), { ok: false, problem: 'not-informational' });
  // A different ISAKMP SA's keys: the hash (or the decryption) fails.
  const other = phase1Pair(undefined, undefined, 9);
  const m = parseIsakmpMessage(bytes);
  assert.ok(m.ok);
  assert.equal(openInformational(other.server, m.value).ok, false);
});
