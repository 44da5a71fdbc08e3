import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { seededRng } from '../core/rng.js';
import { toHex } from '../wire/hex.js';
import { ESP_TRANSFORM, P2_AUTH } from './constants.js';
import { EspInbound, EspOutbound, espKeymatBytes, espKeysFromKeymat, espSpi, espSuite, type EspSuite } from './esp.js';

const SUITES: [string, EspSuite][] = [
  ['aes128-sha1', espSuite(ESP_TRANSFORM.AES_CBC, 128, P2_AUTH.HMAC_SHA1)!],
  ['aes256-sha1', espSuite(ESP_TRANSFORM.AES_CBC, 256, P2_AUTH.HMAC_SHA1)!],
  ['aes128-sha256', espSuite(ESP_TRANSFORM.AES_CBC, 128, P2_AUTH.HMAC_SHA2_256)!],
  ['aes256-sha256_96', espSuite(ESP_TRANSFORM.AES_CBC, 256, P2_AUTH.HMAC_SHA2_256, { sha256Truncated96: true })!],
  ['aes256-sha384', espSuite(ESP_TRANSFORM.AES_CBC, 256, P2_AUTH.HMAC_SHA2_384)!],
  ['aes256-sha512', espSuite(ESP_TRANSFORM.AES_CBC, 256, P2_AUTH.HMAC_SHA2_512)!],
  ['aes128gcm16', espSuite(ESP_TRANSFORM.AES_GCM_16, 128, undefined)!],
  ['aes256gcm16', espSuite(ESP_TRANSFORM.AES_GCM_16, 256, undefined)!],
  ['3des-sha1', espSuite(ESP_TRANSFORM['3DES'], undefined, P2_AUTH.HMAC_SHA1)!],
];

function pair(suite: EspSuite, spi = 0xc0ffee01): { out: EspOutbound; inb: EspInbound } {
  const keymat = seededRng(spi).bytes(espKeymatBytes(suite));
  const keys = espKeysFromKeymat(spi, suite, keymat);
  return { out: new EspOutbound(keys, seededRng(5)), inb: new EspInbound(keys, 64) };
}

test('espSuite: names, ICV sizes, and refusals (GCM with an auth algorithm, AES-192, unknown transforms)', () => {
  assert.deepEqual(SUITES.map(([n, s]) => [n, s.name]), SUITES.map(([n]) => [n, n]));
  assert.equal(SUITES[0]![1].icvBytes, 12);
  assert.equal(SUITES[2]![1].icvBytes, 16);
  assert.equal(SUITES[3]![1].icvBytes, 12);
  assert.equal(SUITES[4]![1].icvBytes, 24);
  assert.equal(SUITES[5]![1].icvBytes, 32);
  assert.equal(espKeymatBytes(SUITES[6]![1]), 20);
  assert.equal(espSuite(ESP_TRANSFORM.AES_GCM_16, 128, P2_AUTH.HMAC_SHA1), undefined);
  assert.equal(espSuite(ESP_TRANSFORM.AES_CBC, 192, P2_AUTH.HMAC_SHA1), undefined);
  assert.equal(espSuite(ESP_TRANSFORM.AES_CBC, 128, P2_AUTH.HMAC_MD5), undefined);
  assert.equal(espSuite(ESP_TRANSFORM.NULL, undefined, P2_AUTH.HMAC_SHA1), undefined);
});

for (const [name, suite] of SUITES) {
  test(`${name}: round trip of any payload, sequence numbers 1, 2, 3 ..., length as predicted`, () => {
    const { out, inb } = pair(suite);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (payload) => {
        const pkt = out.seal(payload, 17)!;
        assert.equal(pkt.length, out.packetLength(payload.length));
        assert.equal(espSpi(pkt), 0xc0ffee01);
        const r = inb.open(pkt);
        assert.ok(r.ok, JSON.stringify(r));
        assert.equal(r.seq, out.seq);
        assert.equal(r.nextHeader, 17);
        assert.equal(toHex(r.payload), toHex(payload));
      }),
      { numRuns: 50 },
    );
  });

  test(`${name}: any single flipped bit → dropped as bad ICV (or replay/SPI/length for header bits), never delivered`, () => {
    const { out, inb } = pair(suite);
    const pkt = out.seal(new TextEncoder().encode('L2TP over ESP'), 17)!;
    for (let i = 0; i < pkt.length * 8; i += 3) {
      const bad = pkt.slice();
      bad[i >> 3]! ^= 1 << (i & 7);
      const r = inb.open(bad);
      assert.ok(!r.ok, `bit ${i} delivered`);
      if (i >= 64) assert.equal(r.reason, 'esp-bad-icv', `bit ${i}`);
    }
    assert.ok(inb.open(pkt).ok);
  });
}

test('replay: the same packet twice → esp-replay; out-of-order inside the window ok; left of it → esp-stale', () => {
  const { out, inb } = pair(SUITES[0]![1]);
  const pkts = Array.from({ length: 100 }, (_, i) => out.seal(Uint8Array.of(i), 17)!);
  assert.ok(inb.open(pkts[0]!).ok);
  assert.deepEqual(inb.open(pkts[0]!), { ok: false, reason: 'esp-replay' });
  assert.ok(inb.open(pkts[99]!).ok); // seq 100: the window (64) now covers 37..100
  assert.ok(inb.open(pkts[50]!).ok);
  assert.deepEqual(inb.open(pkts[50]!), { ok: false, reason: 'esp-replay' });
  assert.deepEqual(inb.open(pkts[10]!), { ok: false, reason: 'esp-stale' });
});

test('a forged packet with a huge sequence number does not slide the window', () => {
  const { out, inb } = pair(SUITES.find(([n]) => n === 'aes128gcm16')![1]);
  const p1 = out.seal(Uint8Array.of(1), 17)!;
  const forged = p1.slice();
  forged.set([0xff, 0xff, 0xff, 0x00], 4);
  assert.deepEqual(inb.open(forged), { ok: false, reason: 'esp-bad-icv' });
  assert.equal(inb.window.top, 0);
  assert.ok(inb.open(p1).ok);
});

test('wrong SPI, short packets, ciphertext not whole blocks, bad padding → dropped with the reason', () => {
  const suite = SUITES[0]![1];
  const { out, inb } = pair(suite);
  const pkt = out.seal(Uint8Array.of(1, 2, 3), 17)!;
  const otherSpi = pkt.slice();
  otherSpi[0] = 0;
  assert.deepEqual(inb.open(otherSpi), { ok: false, reason: 'esp-spi-mismatch' });
  assert.deepEqual(inb.open(pkt.subarray(0, 20)), { ok: false, reason: 'esp-bad-length' });
  assert.deepEqual(inb.open(pkt.subarray(0, pkt.length - 1)), { ok: false, reason: 'esp-bad-length' });
  assert.deepEqual(inb.open(new Uint8Array(0)), { ok: false, reason: 'esp-bad-length' });
  assert.ok(inb.open(pkt).ok);
  // A correctly authenticated packet whose padding is not 1, 2, 3 ... (built by hand with the same keys).
  const keys = inb.keys;
  const plain = new Uint8Array(16);
  plain.set([9, 9, 9]);
  plain.set([7, 7, 7], 3); // padding should be 1..11
  plain[14] = 11;
  plain[15] = 17;
  const iv = new Uint8Array(16);
  const c = createCipheriv('aes-128-cbc', keys.encKey, iv).setAutoPadding(false);
  const body = Buffer.concat([Buffer.from([0xc0, 0xff, 0xee, 0x01, 0, 0, 0, 9]), iv, c.update(plain), c.final()]);
  const mac = createHmac('sha1', keys.authKey).update(body).digest().subarray(0, 12);
  assert.deepEqual(inb.open(new Uint8Array(Buffer.concat([body, mac]))), { ok: false, reason: 'esp-bad-padding' });
  assert.equal(inb.window.top, 1); // the bad-padding packet did not move the window
});

test('outbound sequence numbers never wrap: at 2^32-1 seal refuses (rekey)', () => {
  const { out } = pair(SUITES[0]![1]);
  out.seq = 0xfffffffe;
  assert.ok(out.seal(Uint8Array.of(1), 17));
  assert.equal(out.seq, 0xffffffff);
  assert.equal(out.seal(Uint8Array.of(1), 17), undefined);
});

test('property: random bytes through open never throw and are never delivered', () => {
  for (const [, suite] of SUITES) {
    const { inb } = pair(suite);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        const b = bytes.slice();
        if (b.length >= 4) b.set([0xc0, 0xff, 0xee, 0x01]);
        assert.equal(inb.open(b).ok, false);
      }),
      { numRuns: 300 },
    );
  }
});
