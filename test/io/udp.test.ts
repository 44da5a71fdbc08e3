/**
 * The native UDP socket between real network namespaces: the path-MTU
 * signals for L2TP (ICMP fragmentation-needed from a router, EMSGSIZE on a
 * later send, both with DF set) arriving as events while the socket keeps
 * working; replies from the local address each peer used (IP_PKTINFO).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openUdpSocket, nativeUdpAvailable, type UdpIcmpErrorEvent, type UdpSendErrorEvent, type UdpSocket } from '../../src/io/udp-socket.js';
import { formatIpv4, parseIpv4 } from '../../src/config/ipv4.js';
import { netnsSkipReason, waitFor, withLab } from './netns.js';

const skip = netnsSkipReason() ?? (nativeUdpAvailable() ? undefined : 'the native addon has no UDP socket (npm rebuild)');

interface Got {
  src: string;
  port: number;
  local: string;
  bytes: number;
}

function collect(sock: UdpSocket, into: Got[]): void {
  sock.onPackets((b) => {
    for (let i = 0; i < b.count; i++) into.push({ src: formatIpv4(b.source(i)), port: b.port(i), local: formatIpv4(b.local(i)), bytes: b.length(i) });
  });
}

test('PMTU: router link toward the client at 1400, server sends 1500 with DF → frag-needed event (mtu 1400, dst port), then EMSGSIZE with the path MTU', { skip, timeout: 30_000 }, async () => {
  await withLab(async (lab) => {
    const { c, s } = lab.routed({ client: '10.79.1.2/24', routerClient: '10.79.1.1/24', routerServer: '10.79.2.1/24', server: '10.79.2.2/24' });
    const client = openUdpSocket({ netns: c, port: 1701 });
    const server = openUdpSocket({ netns: s, port: 1701 });
    try {
      const atClient: Got[] = [];
      const atServer: Got[] = [];
      collect(client, atClient);
      collect(server, atServer);
      const icmp: UdpIcmpErrorEvent[] = [];
      const sendErrors: UdpSendErrorEvent[] = [];
      server.onIcmpError((e) => icmp.push(e));
      server.onSendError((e) => sendErrors.push(e));

      // 1500-byte IP datagram: 20 IP + 8 UDP + 1472 payload (an L2TP data header first)
      const big = new Uint8Array(1472).fill(1);
      big.set([0x00, 0x02, 0x12, 0x34, 0x00, 0x05]);
      assert.equal(server.sendTo('10.79.1.2', 1701, big), true, 'fits the server link, so the kernel sends it');
      await waitFor(() => icmp.length >= 1, 'the ICMP fragmentation-needed event');
      const e = icmp[0]!;
      assert.equal(e.kind, 'frag-needed');
      assert.equal(e.mtu, 1400);
      assert.equal(e.errno, 'EMSGSIZE');
      assert.equal(e.dst, '10.79.1.2');
      assert.equal(e.dstPort, 1701);
      assert.equal(e.offender, '10.79.2.1');
      assert.deepEqual([...e.quoted.subarray(0, 6)], [...big.subarray(0, 6)], 'the quote starts with our L2TP header');
      assert.equal(atClient.length, 0, 'the big datagram never reached the client');

      assert.equal(client.sendTo('10.79.2.2', 1701, Uint8Array.of(1, 2)), true);
      await waitFor(() => atServer.length >= 1, 'a datagram at the server after the ICMP error');
      assert.deepEqual(atServer[0], { src: '10.79.1.2', port: 1701, local: '10.79.2.2', bytes: 2 });

      assert.equal(server.pathMtu('10.79.1.2'), 1400);
      assert.equal(server.sendTo('10.79.1.2', 1701, big), false, 'the learnt path MTU refuses it locally');
      assert.deepEqual({ ...sendErrors[0]! }, { errno: 'EMSGSIZE', dst: '10.79.1.2', dstAddr: parseIpv4('10.79.1.2'), bytes: 1472, mtu: 1400 });
      assert.equal(server.sendTo('10.79.1.2', 1701, new Uint8Array(1400 - 28)), true, 'a datagram at the path MTU goes');
      await waitFor(() => atClient.length >= 1, 'the 1400-byte datagram at the client');
      assert.equal(atClient[0]!.bytes, 1372);
      assert.equal(server.stats.rxErrors, 0);
    } finally {
      client.close();
      server.close();
    }
  });
});

test('two local addresses on a wildcard socket: each datagram reports the address it was sent to; replies leave from it', { skip, timeout: 15_000 }, async () => {
  await withLab(async (lab) => {
    const a = lab.ns();
    const b = lab.ns();
    lab.link(a, 'a0', '10.79.3.1/24', b, 'b0', '10.79.3.2/24');
    lab.ip(a, 'addr', 'add', '10.79.3.11/24', 'dev', 'a0');
    const server = openUdpSocket({ netns: a, port: 1701 });
    const client = openUdpSocket({ netns: b });
    try {
      const atServer: Got[] = [];
      const atClient: Got[] = [];
      collect(server, atServer);
      collect(client, atClient);
      client.sendTo('10.79.3.1', 1701, Uint8Array.of(1));
      client.sendTo('10.79.3.11', 1701, Uint8Array.of(2));
      await waitFor(() => atServer.length === 2, 'both datagrams');
      assert.deepEqual(atServer.map((g) => g.local).sort(), ['10.79.3.1', '10.79.3.11']);
      for (const g of atServer) server.sendTo(g.src, g.port, Uint8Array.of(3), g.local);
      await waitFor(() => atClient.length === 2, 'both replies');
      assert.deepEqual(atClient.map((g) => g.src).sort(), ['10.79.3.1', '10.79.3.11'], 'each reply from the address the client used');
      assert.ok(atClient.every((g) => g.port === 1701));
    } finally {
      server.close();
      client.close();
    }
  });
});
