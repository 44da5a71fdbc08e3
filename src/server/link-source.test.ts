import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigInput } from '../config/schema.js';
import type { TunRoute } from './tun-side.js';
import { linkPair } from '../../test/helpers/link-pair.js';

/**
 * A server link up with IPv4 and IPv6 (IPV6CP), a client link that sends
 * whatever the test builds through the tunnel, and the packets the server
 * writes to its TUN.
 */
function rig(config: ConfigInput = {}) {
  const p = linkPair({ ipv6: true, config });
  p.start();
  assert.equal(p.s.state, 'up');
  assert.ok(p.s.peerIp6 !== undefined && p.s.peerIp !== undefined, 'IPCP and IPV6CP up');
  const written: Uint8Array[] = [];
  p.server.tun.write = (pkt: Uint8Array) => void written.push(pkt.slice());
  const send = (pkt: Uint8Array): void => {
    p.c.fromTun(pkt, 0);
    p.pump();
  };
  return { p, written, send, stats: p.server.stats };
}

/** 16 octets of an IPv6 address in the text form fe80::a:b:c:d (no other forms needed here). */
function v6Bytes(text: string): number[] {
  const [head, tail] = text.split('::') as [string, string?];
  const words = (s: string | undefined): number[] => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const h = words(head);
  const t = words(tail);
  const all = [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((w) => [w >> 8, w & 0xff]);
}

/** An IPv6 packet with no next header and 8 octets of payload. */
function ipv6(src: string, dst: string): Uint8Array {
  const b = new Uint8Array(48);
  b[0] = 0x60;
  b[5] = 8;
  b[6] = 59;
  b[7] = 64;
  b.set(v6Bytes(src), 8);
  b.set(v6Bytes(dst), 24);
  return b;
}

/** An IPv4 UDP-less packet (protocol 253) from `src` to `dst`. */
function ipv4(src: number[], dst: number[]): Uint8Array {
  const b = new Uint8Array(28);
  b[0] = 0x45;
  b[3] = 28;
  b[8] = 64;
  b[9] = 253;
  b.set(src, 12);
  b.set(dst, 16);
  return b;
}

test('Network, IPV6CP up: IPv6 from the peer’s link-local address → to the TUN; any other source → dropped and counted as spoofed', (t) => {
  const { p, written, send, stats } = rig();
  t.after(() => p.stop());
  send(ipv6(p.s.peerIp6!, p.s.localIp6!));
  assert.equal(written.length, 1, 'the peer’s own link-local source passes');
  const before = stats.spoofedSource;
  send(ipv6('fe80::1234', p.s.localIp6!));
  send(ipv6('2001:db8::1', '2001:db8::2'));
  send(ipv6('::', 'ff02::1'));
  assert.equal(written.length, 1, 'nothing else reaches the TUN');
  assert.equal(stats.spoofedSource - before, 3);
});

test('Network: IPv4 from another source than the IPCP address → dropped and counted', (t) => {
  const { p, written, send, stats } = rig();
  t.after(() => p.stop());
  send(ipv4([10, 96, 0, 10], [8, 8, 8, 8]));
  assert.equal(p.s.peerIp, '10.96.0.10');
  assert.equal(written.length, 1);
  send(ipv4([10, 96, 0, 11], [8, 8, 8, 8]));
  assert.equal(written.length, 1);
  assert.equal(stats.spoofedSource, 1);
});

test('Network, client isolation: IPv6 to another link’s peer → dropped and counted; without isolation → to the TUN', (t) => {
  for (const clientIsolation of [true, false]) {
    const { p, written, send, stats } = rig({ clientIsolation });
    t.after(() => p.stop());
    const other: TunRoute = { fromTun: () => {} };
    p.server.tun.claimLinkLocal('fe80::1', '0a0b0c0d01020304', other);
    send(ipv6(p.s.peerIp6!, 'fe80::a0b:c0d:102:304'));
    assert.equal(written.length, clientIsolation ? 0 : 1, `clientIsolation ${clientIsolation}`);
    assert.equal(stats.isolated, clientIsolation ? 1 : 0);
    // To the server's own address: never isolated.
    send(ipv6(p.s.peerIp6!, p.s.localIp6!));
    assert.equal(written.length, clientIsolation ? 1 : 2);
  }
});
