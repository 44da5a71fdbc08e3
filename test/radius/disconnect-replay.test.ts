/**
 * RFC 5176 §6.3 replay protection on the Disconnect listener
 * (RadiusService over loopback UDP, wall clock set by the test): a request
 * without Event-Timestamp gets NAK 402; a stale one is dropped; the same
 * request again within the window gets the first answer without a second
 * action; after the window it is stale. CoA-Requests go through the same
 * checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { cryptoRng } from '../../src/io/rng.js';
import { silentLogger } from '../../src/log/logger.js';
import { defaultConfig, type Config } from '../../src/config/schema.js';
import { ATTR, ERROR_CAUSE, RADIUS_CODE, attrInt, encodeRadiusPacket, encodeVendorSpecific, findAttr, intAttr, messageAuthenticatorPlaceholder, parseRadiusPacket, signRequest, textAttr, type RadiusAttribute } from '../../src/radius/codec.js';
import { RadiusService } from '../../src/server/radius/index.js';
import type { PppLink } from '../../src/server/link.js';
import { MIKROTIK_RATE_LIMIT, VENDOR_MIKROTIK } from '../../src/radius/rate-limit-attrs.js';
import { fakeLink } from './fake-link.js';

const SECRET = 'dae-secret';
const T = 1_700_000_000;

async function service(): Promise<RadiusService> {
  const d = defaultConfig();
  // The listener only needs a configured client address and secret; no auth or accounting traffic.
  const config: Config = { ...d, radius: { ...d.radius, servers: [{ address: '127.0.0.1', port: 9, acctPort: 9, secret: SECRET }], disconnect: { enabled: true, address: '127.0.0.1', port: 0, requireEventTimestamp: true, windowS: 300 } } };
  const svc = new RadiusService(config, [], [{ address: '127.0.0.1', port: 9, acctPort: 9, secret: SECRET }], { now: () => performance.now() }, cryptoRng, silentLogger);
  svc.pollIntervalMs = 0;
  await svc.start();
  return svc;
}

function carol(closed: string[]): PppLink {
  const link = fakeLink(3, { username: 'carol', peerIp: '10.0.0.3', proto: 'l2tp', peerAddress: '198.51.100.3' });
  link.closed = closed;
  return link as unknown as PppLink;
}

/** Sends `bytes` from one socket (the same source port each time) and returns each answer (or undefined after 300 ms). */
async function client(): Promise<{ send(bytes: Uint8Array, port: number): Promise<Uint8Array | undefined>; close(): void }> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return {
    send: (bytes, port) => new Promise((resolve) => {
      const t = setTimeout(() => {
        sock.removeAllListeners('message');
        resolve(undefined);
      }, 300);
      sock.once('message', (m) => {
        clearTimeout(t);
        resolve(new Uint8Array(m));
      });
      sock.send(bytes, port, '127.0.0.1');
    }),
    close: () => sock.close(),
  };
}

function request(identifier: number, attrs: RadiusAttribute[]): Uint8Array {
  return signRequest(encodeRadiusPacket({ code: RADIUS_CODE.DISCONNECT_REQUEST, identifier, authenticator: new Uint8Array(16), attributes: [...attrs, messageAuthenticatorPlaceholder()] }), SECRET);
}

test('Disconnect-Request: no Event-Timestamp → NAK 402, nothing closed; stale by 301 s → dropped; current → ACK once, the same bytes again → the same ACK, not a second close; after the window → dropped', async () => {
  const svc = await service();
  const c = await client();
  let now = T;
  svc.wallClockS = () => now;
  const closed: string[] = [];
  svc.linkUp(carol(closed), 0);
  const port = svc.disconnectPort!;
  try {
    const missing = await c.send(request(1, [textAttr(ATTR.USER_NAME, 'carol')]), port);
    assert.ok(missing);
    const nak = parseRadiusPacket(missing);
    assert.ok(nak.ok);
    assert.equal(nak.value.code, RADIUS_CODE.DISCONNECT_NAK);
    assert.equal(attrInt(findAttr(nak.value, ATTR.ERROR_CAUSE)), ERROR_CAUSE.MISSING_ATTRIBUTE);
    assert.deepEqual(closed, []);

    assert.equal(await c.send(request(2, [textAttr(ATTR.USER_NAME, 'carol'), intAttr(ATTR.EVENT_TIMESTAMP, T - 301)]), port), undefined, 'stale: silently discarded');
    assert.deepEqual(closed, []);

    const good = request(3, [textAttr(ATTR.USER_NAME, 'carol'), intAttr(ATTR.EVENT_TIMESTAMP, T - 5)]);
    const ack = await c.send(good, port);
    assert.equal(ack?.[0], RADIUS_CODE.DISCONNECT_ACK);
    assert.deepEqual(closed, ['Disconnect-Request (admin reset)']);
    now = T + 100;
    const again = await c.send(good, port);
    assert.deepEqual(again, ack, 'a duplicate gets the first answer again');
    assert.equal(closed.length, 1, 'and is not acted on twice');
    now = T + 400;
    assert.equal(await c.send(good, port), undefined, 'replayed after the window: stale');
    assert.equal(closed.length, 1);
    const d = svc.stats.disconnect;
    assert.deepEqual([d.ack, d.nakMissingAttribute, d.staleTimestamp, d.duplicate, d.sessionsClosed], [1, 1, 2, 1, 1]);
  } finally {
    c.close();
    await svc.stop();
  }
});

test('CoA-Request with Mikrotik-Rate-Limit: stale → dropped; current → CoA-ACK and the limit applied once; the same bytes again → the same ACK, not applied again', async () => {
  const svc = await service();
  const c = await client();
  let now = T;
  svc.wallClockS = () => now;
  const limits: unknown[] = [];
  const link = Object.assign(carol([]), { setRateLimit: (limit: unknown) => void limits.push(limit) });
  svc.linkUp(link, 0);
  const port = svc.disconnectPort!;
  const coa = (identifier: number, ts: number): Uint8Array =>
    signRequest(
      encodeRadiusPacket({
        code: RADIUS_CODE.COA_REQUEST,
        identifier,
        authenticator: new Uint8Array(16),
        attributes: [textAttr(ATTR.USER_NAME, 'carol'), encodeVendorSpecific({ vendorId: VENDOR_MIKROTIK, vendorType: MIKROTIK_RATE_LIMIT, value: new TextEncoder().encode('1M/1M') }), intAttr(ATTR.EVENT_TIMESTAMP, ts), messageAuthenticatorPlaceholder()],
      }),
      SECRET,
    );
  try {
    assert.equal(await c.send(coa(1, T - 301), port), undefined, 'stale: silently discarded');
    assert.deepEqual(limits, []);
    const good = coa(2, T - 5);
    const ack = await c.send(good, port);
    assert.equal(ack?.[0], RADIUS_CODE.COA_ACK);
    assert.deepEqual(limits, [{ upBps: 1_000_000, downBps: 1_000_000 }]);
    now = T + 100;
    assert.deepEqual(await c.send(good, port), ack, 'a duplicate gets the first answer again');
    assert.equal(limits.length, 1, 'and is not applied twice');
    const d = svc.stats.disconnect;
    assert.deepEqual([d.coaAck, d.coaNak, d.staleTimestamp, d.duplicate], [1, 0, 1, 1]);
  } finally {
    c.close();
    await svc.stop();
  }
});
