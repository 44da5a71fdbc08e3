import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerDemux } from './peer-demux.js';

test('PeerDemux: (address, ID) keys; two clients behind one NAT stay apart', () => {
  const d = new PeerDemux<string>();
  d.set('203.0.113.5', 100, 'alice');
  d.set('203.0.113.5', 101, 'bob');
  d.set('198.51.100.7', 100, 'carol');
  assert.equal(d.get('203.0.113.5', 100), 'alice');
  assert.equal(d.get('203.0.113.5', 101), 'bob');
  assert.equal(d.get('198.51.100.7', 100), 'carol');
  assert.equal(d.get('198.51.100.7', 101), undefined);
  assert.equal(d.size, 3);
  d.set('203.0.113.5', 100, 'alice2');
  assert.equal(d.size, 3);
  assert.equal(d.delete('203.0.113.5', 100), true);
  assert.equal(d.delete('203.0.113.5', 100), false);
  assert.equal(d.deleteAddr('203.0.113.5'), 1);
  assert.equal(d.size, 1);
});

test('PeerDemux: ofPeer lists one address\'s entries (the path-MTU fan-out), numbers as addresses', () => {
  const d = new PeerDemux<string, number>();
  d.set(0x0a000001, 1, 'a');
  d.set(0x0a000001, 2, 'b');
  d.set(0xc0a80001, 1, 'c');
  assert.deepEqual(d.ofPeer(0x0a000001).sort(), ['a', 'b']);
  assert.deepEqual(d.ofPeer(0xc0a80001), ['c']);
  assert.deepEqual(d.ofPeer(0x0a000002), []);
  for (const v of d.ofPeer(0x0a000001)) d.delete(0x0a000001, v === 'a' ? 1 : 2);
  assert.deepEqual(d.ofPeer(0x0a000001), [], 'deleting while walking the list is safe');
  assert.deepEqual([...d.values()], ['c']);
});
