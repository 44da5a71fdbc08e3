import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { toHex } from '../wire/hex.js';
import { type ControlMessage, encodeControlMessage, PPTP_MAX_MESSAGE_BYTES } from './control-codec.js';
import { ControlStreamFramer } from './control-stream.js';

const msgs: ControlMessage[] = [
  { type: 'SCCRQ', protocolVersion: 0x100, framingCapabilities: 1, bearerCapabilities: 1, maximumChannels: 0, firmwareRevision: 0, hostName: 'h', vendorName: 'v' },
  { type: 'ECHORQ', identifier: 9 },
  { type: 'OCRP', callId: 1, peerCallId: 2, resultCode: 1, errorCode: 0, causeCode: 0, connectSpeed: 1, packetRecvWindowSize: 64, packetProcessingDelay: 0, physicalChannelId: 0 },
  { type: 'SLI', peerCallId: 1, sendAccm: 0, receiveAccm: 0xffffffff },
  { type: 'ICRQ', callId: 3, callSerialNumber: 0, callBearerType: 1, physicalChannelId: 0, dialedNumberLength: 0, dialingNumberLength: 0, dialedNumber: '', dialingNumber: '', subaddress: '' },
];

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const stream = concat(msgs.map(encodeControlMessage));
const expected = msgs.map((m) => toHex(encodeControlMessage(m)));

function feed(chunks: Uint8Array[]): { frames: string[]; error: unknown; maxBuffered: number } {
  const f = new ControlStreamFramer();
  const frames: string[] = [];
  let error: unknown;
  let maxBuffered = 0;
  for (const c of chunks) {
    const r = f.push(c);
    frames.push(...r.frames.map(toHex));
    if (r.error) error = r.error;
    maxBuffered = Math.max(maxBuffered, f.buffered);
  }
  return { frames, error, maxBuffered };
}

test('framer: every single split point of a 5-message stream → the same 5 messages', () => {
  for (let i = 0; i <= stream.length; i++) {
    const r = feed([stream.subarray(0, i), stream.subarray(i)]);
    assert.deepEqual(r.frames, expected, `split at ${i}`);
    assert.equal(r.error, undefined);
  }
});

test('framer: every pair of split points → the same messages', () => {
  for (let i = 0; i <= stream.length; i += 3) {
    for (let j = i; j <= stream.length; j += 5) {
      const r = feed([stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)]);
      assert.deepEqual(r.frames, expected, `split at ${i},${j}`);
    }
  }
});

test('framer: one byte at a time → the same messages, buffer never above the largest message', () => {
  const r = feed(Array.from(stream, (b) => Uint8Array.of(b)));
  assert.deepEqual(r.frames, expected);
  assert.ok(r.maxBuffered <= PPTP_MAX_MESSAGE_BYTES);
});

test('property: random segmentation → the same messages', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 20 }), (cuts) => {
      const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
      const chunks = points.slice(1).map((p, k) => stream.subarray(points[k]!, p));
      assert.deepEqual(feed(chunks).frames, expected);
    }),
  );
});

test('framer: wrong Magic Cookie → BAD_VALUE at its stream offset, sticky', () => {
  const bad = stream.slice();
  bad[156 + 4] = 0; // the second message's cookie
  const f = new ControlStreamFramer();
  const r = f.push(bad);
  assert.equal(r.frames.length, 1);
  assert.deepEqual(r.error, { code: 'BAD_VALUE', offset: 160, field: 'magicCookie' });
  const again = f.push(encodeControlMessage({ type: 'ECHORQ', identifier: 1 }));
  assert.equal(again.frames.length, 0);
  assert.deepEqual(again.error, r.error);
});

test('framer: wrong cookie is caught split across pushes too', () => {
  const bad = encodeControlMessage({ type: 'ECHORQ', identifier: 1 });
  bad[6] = 0xff;
  for (let i = 1; i < bad.length; i++) {
    const r = feed([bad.subarray(0, i), bad.subarray(i)]);
    assert.deepEqual(r.error, { code: 'BAD_VALUE', offset: 4, field: 'magicCookie' }, `split at ${i}`);
    assert.deepEqual(r.frames, []);
  }
});

test('framer: oversized Length → BAD_LENGTH after two bytes, nothing buffered', () => {
  const f = new ControlStreamFramer();
  const r = f.push(Uint8Array.of(0xff));
  assert.equal(r.error, undefined);
  const r2 = f.push(Uint8Array.of(0xff, 0, 1));
  assert.deepEqual(r2.error, { code: 'BAD_LENGTH', offset: 0, field: 'length' });
  assert.equal(f.buffered, 0);
});

test('framer: Length below the header size → BAD_LENGTH', () => {
  const r = feed([Uint8Array.of(0, 11, 0, 1, 0x1a, 0x2b, 0x3c, 0x4d, 0, 5, 0, 0)]);
  assert.deepEqual(r.error, { code: 'BAD_LENGTH', offset: 0, field: 'length' });
});

test('framer: a PPTP Message Type that is neither control nor management → BAD_VALUE', () => {
  const r = feed([Uint8Array.of(0, 16, 0x41, 0x42)]);
  assert.deepEqual(r.error, { code: 'BAD_VALUE', offset: 2, field: 'pptpMessageType' });
});

test('property: random garbage never throws and never buffers more than the largest message', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (chunks) => {
      const r = feed(chunks);
      assert.ok(r.maxBuffered <= PPTP_MAX_MESSAGE_BYTES);
      for (const fr of r.frames) assert.ok(fr.length >= 24 && fr.length <= PPTP_MAX_MESSAGE_BYTES * 2);
    }),
    { numRuns: 1000 },
  );
});

test('framer: frames inside one chunk are views, frames across chunks are copies', () => {
  const f = new ControlStreamFramer();
  const r = f.push(stream);
  assert.equal(r.frames[0]!.buffer, stream.buffer);
  const f2 = new ControlStreamFramer();
  f2.push(stream.subarray(0, 100));
  const r2 = f2.push(stream.subarray(100, 156));
  assert.notEqual(r2.frames[0]!.buffer, stream.buffer);
  assert.equal(toHex(r2.frames[0]!), expected[0]);
});
