/**
 * The native UDP socket on loopback (no privileges needed): batched receive
 * with source address, port and local address; batched send to several
 * ports; truncation; ICMP port-unreachable from the error queue; bind errors.
 * The path-MTU paths through a router are in test/io/udp.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { nativeUdpAvailable, openUdpSocket, type UdpIcmpErrorEvent, type UdpSocket } from './udp-socket.js';
import { TxBatch, type RxBatch } from './packet-batch.js';
import { UdpSocketError } from './errors.js';

const skip = process.platform !== 'linux' ? 'needs Linux' : nativeUdpAvailable() ? undefined : 'the native addon is not built with native/udp.c (npm rebuild)';
const LO = 0x7f000001;

interface Got {
  src: number;
  port: number;
  local: number;
  bytes: number[];
}

function collect(s: UdpSocket, into: Got[], batches?: number[]): void {
  s.onPackets((b: RxBatch) => {
    batches?.push(b.count);
    for (let i = 0; i < b.count; i++) into.push({ src: b.source(i), port: b.port(i), local: b.local(i), bytes: [...b.packet(i)] });
  });
}

function waitFor(pred: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (pred()) resolve();
      else if (Date.now() - t0 > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

test('loopback: a batch of 200 datagrams to two sockets → all arrive with source address, port and local address', { skip, timeout: 15_000 }, async () => {
  const a = openUdpSocket({ bind: '127.0.0.1' });
  const b = openUdpSocket({ bind: '127.0.0.1' });
  const c = openUdpSocket();
  try {
    assert.ok(a.port > 0 && b.port > 0 && c.port > 0 && a.port !== b.port);
    assert.equal(a.address, '127.0.0.1');
    assert.equal(c.address, '0.0.0.0');
    const atB: Got[] = [];
    const atC: Got[] = [];
    const batches: number[] = [];
    collect(b, atB, batches);
    collect(c, atC);
    const tx = new TxBatch(256);
    for (let i = 0; i < 200; i++) assert.ok(tx.push(LO, Uint8Array.of(i & 0xff, i >> 8, 0xc8), 0, i % 2 === 0 ? b.port : c.port));
    assert.equal(a.send(tx), 200);
    await waitFor(() => atB.length === 100 && atC.length === 100, '200 datagrams');
    assert.deepEqual(atB.map((g) => g.bytes[0]! | (g.bytes[1]! << 8)), Array.from({ length: 100 }, (_, i) => 2 * i), 'in order');
    assert.ok(atB.every((g) => g.src === LO && g.port === a.port && g.local === LO));
    assert.ok(atC.every((g) => g.src === LO && g.port === a.port && g.local === LO), 'IP_PKTINFO on the wildcard socket gives the address the datagram was sent to');
    assert.ok(batches.some((n) => n > 1), `recvmmsg delivered several per call (${batches.join(',')})`);
    assert.equal(a.stats.txPackets, 200);
    assert.equal(b.stats.rxPackets, 100);
  } finally {
    a.close();
    b.close();
    c.close();
  }
});

test('loopback: a node:dgram peer answering from another port → its port is reported; our reply reaches it', { skip, timeout: 10_000 }, async () => {
  const s = openUdpSocket({ bind: '127.0.0.1' });
  const peer = createSocket('udp4');
  try {
    peer.bind(0, '127.0.0.1');
    await once(peer, 'listening');
    const got: Got[] = [];
    collect(s, got);
    peer.send(Uint8Array.of(1, 2, 3), s.port, '127.0.0.1');
    await waitFor(() => got.length === 1, 'the peer datagram');
    assert.equal(got[0]!.port, peer.address().port);
    const reply = once(peer, 'message');
    assert.equal(s.sendTo('127.0.0.1', got[0]!.port, Uint8Array.of(9, 8), '127.0.0.1'), true);
    const [msg, rinfo] = (await reply) as [Buffer, { port: number }];
    assert.deepEqual([...msg], [9, 8]);
    assert.equal(rinfo.port, s.port);
  } finally {
    s.close();
    peer.close();
  }
});

test('loopback: datagram longer than maxDatagramBytes → counted as truncated and dropped; the next one arrives', { skip, timeout: 10_000 }, async () => {
  const a = openUdpSocket({ bind: '127.0.0.1' });
  const b = openUdpSocket({ bind: '127.0.0.1', maxDatagramBytes: 128, batchSize: 4 });
  try {
    const got: Got[] = [];
    collect(b, got);
    assert.equal(a.sendTo(LO, b.port, new Uint8Array(500)), true);
    assert.equal(a.sendTo(LO, b.port, Uint8Array.of(7)), true);
    await waitFor(() => got.length === 1, 'the short datagram');
    assert.deepEqual(got[0]!.bytes, [7]);
    assert.equal(b.stats.rxTruncated, 1);
  } finally {
    a.close();
    b.close();
  }
});

test('loopback: datagram to a closed port → ICMP port-unreachable event (IP_RECVERR) quoting our payload; socket keeps working', { skip, timeout: 10_000 }, async () => {
  const a = openUdpSocket({ bind: '127.0.0.1' });
  const closed = openUdpSocket({ bind: '127.0.0.1' });
  const deadPort = closed.port;
  closed.close();
  const b = openUdpSocket({ bind: '127.0.0.1' });
  try {
    const icmp: UdpIcmpErrorEvent[] = [];
    const errors: Error[] = [];
    a.onIcmpError((e) => icmp.push(e));
    a.onError((e) => errors.push(e));
    const got: Got[] = [];
    collect(a, got);
    assert.equal(a.sendTo(LO, deadPort, Uint8Array.of(0xc8, 2, 0, 12)), true);
    await waitFor(() => icmp.length === 1, 'the port-unreachable event');
    const e = icmp[0]!;
    assert.equal(e.kind, 'unreachable');
    assert.equal(e.icmpType, 3);
    assert.equal(e.icmpCode, 3);
    assert.equal(e.errno, 'ECONNREFUSED');
    assert.equal(e.dst, '127.0.0.1');
    assert.equal(e.dstPort, deadPort);
    assert.deepEqual([...e.quoted.subarray(0, 4)], [0xc8, 2, 0, 12]);
    assert.equal(b.sendTo(LO, a.port, Uint8Array.of(5)), true);
    await waitFor(() => got.length === 1, 'a datagram after the ICMP error');
    assert.deepEqual(errors, []);
  } finally {
    a.close();
    b.close();
  }
});

test('bind: a port in use → UdpSocketError EADDRINUSE with a hint; with a fixed port the socket reports it', { skip, timeout: 10_000 }, () => {
  const a = openUdpSocket({ bind: '127.0.0.1' });
  try {
    assert.throws(
      () => openUdpSocket({ bind: '127.0.0.1', port: a.port }),
      (err: unknown) => err instanceof UdpSocketError && err.code === 'UDP_SOCKET' && err.errno === 'EADDRINUSE' && err.syscall === 'bind' && err.hint !== undefined,
    );
    const fixed = a.port;
    a.close();
    const again = openUdpSocket({ bind: '127.0.0.1', port: fixed });
    assert.equal(again.port, fixed);
    again.close();
  } finally {
    a.close();
  }
});

test('send: a zero port or a closed socket → refused without reaching the kernel', { skip, timeout: 10_000 }, () => {
  const a = openUdpSocket({ bind: '127.0.0.1' });
  const tx = new TxBatch(2);
  tx.push(LO, Uint8Array.of(1)); // no port
  assert.equal(a.send(tx), 0);
  assert.notEqual(tx.status(0), 0, 'EINVAL status');
  assert.throws(() => a.sendTo(LO, 0, Uint8Array.of(1)), /port 0/);
  a.close();
  a.close();
  assert.equal(a.closed, true);
  assert.throws(() => a.send(tx), /after close/);
});

test('open/close 300 times → no file descriptor left behind', { skip, timeout: 20_000 }, async () => {
  const { readdirSync } = await import('node:fs');
  const before = readdirSync('/proc/self/fd').length;
  for (let i = 0; i < 300; i++) openUdpSocket({ bind: '127.0.0.1', batchSize: 4 }).close();
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(readdirSync('/proc/self/fd').length <= before + 2);
});
