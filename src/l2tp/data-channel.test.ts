import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HDR } from './constants.js';
import { L2tpDataChannel, l2tpSessionKey } from './data-channel.js';
import { parseL2tpHeader } from './header.js';

const FRAME = Uint8Array.of(0xff, 0x03, 0xc0, 0x21, 0x09);

function write(ch: L2tpDataChannel, frame = FRAME): Uint8Array {
  const out = new Uint8Array(ch.headerBytes + frame.length);
  ch.writeDatagram(frame, out, 0);
  return out;
}

test('unsequenced: a 6-byte header (no Length, no Ns/Nr) with the peer\'s IDs, then the frame', () => {
  const ch = new L2tpDataChannel(0x1234, 0x5678, false);
  assert.equal(ch.headerBytes, 6);
  const d = write(ch);
  assert.equal((d[0]! << 8) | d[1]!, HDR.VERSION);
  const f = parseL2tpHeader(d);
  assert.ok(f.ok);
  assert.deepEqual([f.value.header.tunnelId, f.value.header.sessionId, f.value.header.ns], [0x1234, 0x5678, undefined]);
  assert.deepEqual([...d.subarray(f.value.payloadStart)], [...FRAME]);
});

test('sequenced: Ns counts up from 0 and wraps; Nr is the next Ns expected from the peer', () => {
  const ch = new L2tpDataChannel(1, 2, true);
  assert.equal(ch.headerBytes, 10);
  const seen: [number | undefined, number | undefined][] = [];
  for (let i = 0; i < 3; i++) {
    const f = parseL2tpHeader(write(ch));
    assert.ok(f.ok);
    seen.push([f.value.header.ns, f.value.header.nr]);
    assert.ok(ch.accept(40 + i));
  }
  assert.deepEqual(seen, [[0, 0], [1, 41], [2, 42]]);
  for (let i = 3; i < 0x10000; i++) write(ch);
  const wrapped = parseL2tpHeader(write(ch));
  assert.ok(wrapped.ok);
  assert.equal(wrapped.value.header.ns, 0, 'Ns wraps at 16 bits');
});

test('§5.4 receive: older than the newest is refused, a jump ahead taken, across the 16-bit wrap; no Ns is always taken', () => {
  const ch = new L2tpDataChannel(1, 2, false);
  assert.ok(ch.accept(undefined));
  assert.equal(ch.sawSequence, false);
  assert.ok(ch.accept(5), 'the first Ns is taken whatever it is');
  assert.equal(ch.nr, 6);
  assert.equal(ch.accept(4), false, 'stale');
  assert.equal(ch.accept(5), false, 'duplicate');
  assert.equal(ch.nr, 6, 'a refused message moves nothing');
  assert.ok(ch.accept(0x7000), 'a jump ahead');
  assert.ok(ch.accept(0xe000));
  assert.equal(ch.accept(0xa000), false, 'less than half the space behind is behind');
  assert.ok(ch.accept(0xffff));
  assert.ok(ch.accept(0), 'wrap: 0 follows 0xffff');
  assert.equal(ch.accept(0xfffe), false, 'and 0xfffe is now behind');
  assert.ok(ch.accept(undefined), 'an unsequenced message between sequenced ones');
});

test('l2tpSessionKey: one number per (tunnel, session)', () => {
  assert.notEqual(l2tpSessionKey(1, 2), l2tpSessionKey(2, 1));
  assert.equal(l2tpSessionKey(0xffff, 0xffff), 0xffff * 65536 + 0xffff);
});
