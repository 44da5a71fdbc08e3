/**
 * The raw GRE socket between real network namespaces: batched send and
 * receive with correct source addresses, and the path-MTU signals (ICMP
 * fragmentation-needed from a router, EMSGSIZE on a later send) arriving as
 * events while the socket keeps working.
 */
import { test } from 'node:test';
import { existsSync, readdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { openGreSocket, type GreSocket, type IcmpErrorEvent, type SendErrorEvent } from '../../src/io/gre-socket.js';
import { formatIpv4, parseIpv4 } from '../../src/config/ipv4.js';
import { TxBatch } from '../../src/io/packet-batch.js';
import { netnsSkipReason, pptpGre, waitFor, withLab } from './netns.js';

const skip = netnsSkipReason();

interface Got {
  src: string;
  callId: number;
  seq: number;
  bytes: number;
}

function collect(sock: GreSocket, into: Got[], batches?: number[]): void {
  sock.onPackets((b) => {
    batches?.push(b.count);
    for (let i = 0; i < b.count; i++) {
      const o = b.offset(i);
      const v = new DataView(b.data.buffer, b.data.byteOffset + o, b.length(i));
      into.push({ src: formatIpv4(b.source(i)), callId: v.getUint16(6), seq: v.getUint32(8), bytes: b.length(i) });
    }
  });
}

test('two namespaces: a batch of 100 GRE packets each way → all arrive with the right source', { skip, timeout: 30_000 }, async () => {
  await withLab(async (lab) => {
    const a = lab.ns();
    const b = lab.ns();
    lab.link(a, 'va', '10.77.0.1/24', b, 'vb', '10.77.0.2/24');
    const sa = openGreSocket({ netns: a });
    const sb = openGreSocket({ netns: b });
    try {
      const atA: Got[] = [];
      const atB: Got[] = [];
      const batchesAtB: number[] = [];
      collect(sa, atA);
      collect(sb, atB, batchesAtB);
      const payload = new Uint8Array(200).fill(0x5a);
      const tx = new TxBatch(100, 100 * 256);
      for (let i = 0; i < 100; i++) assert.ok(tx.push(parseIpv4('10.77.0.2')!, pptpGre(7, i, payload)));
      assert.equal(sa.send(tx), 100);
      await waitFor(() => atB.length >= 100, '100 packets at b');
      assert.deepEqual(atB.map((g) => g.seq), [...Array(100).keys()], 'in order, none lost');
      assert.ok(atB.every((g) => g.src === '10.77.0.1' && g.callId === 7 && g.bytes === 212));
      assert.ok(batchesAtB.length < 100, `received in batches (${batchesAtB.join(',')})`);

      // b answers every packet in one batch, to the source it saw
      tx.clear();
      for (const g of atB) tx.push(parseIpv4(g.src)!, pptpGre(9, g.seq + 1000, payload.subarray(0, 20)));
      assert.equal(sb.send(tx), 100);
      await waitFor(() => atA.length >= 100, '100 packets back at a');
      assert.ok(atA.every((g) => g.src === '10.77.0.2' && g.callId === 9 && g.bytes === 32));
      assert.equal(new Set(atA.map((g) => g.seq)).size, 100);
      assert.equal(sa.stats.rxPackets, 100);
      assert.equal(sb.stats.txPackets, 100);
      assert.equal(sb.stats.rxMalformed + sb.stats.rxTruncated, 0);
    } finally {
      sa.close();
      sb.close();
    }
  });
});

test('send batch: one bad destination among good ones → only that one fails, as an event', { skip, timeout: 30_000 }, async () => {
  await withLab(async (lab) => {
    const a = lab.ns();
    const b = lab.ns();
    lab.link(a, 'va', '10.77.1.1/24', b, 'vb', '10.77.1.2/24');
    const sa = openGreSocket({ netns: a });
    const sb = openGreSocket({ netns: b });
    try {
      const atB: Got[] = [];
      collect(sb, atB);
      const errors: SendErrorEvent[] = [];
      sa.onSendError((e) => errors.push(e));
      const tx = new TxBatch(3);
      tx.push(parseIpv4('10.77.1.2')!, pptpGre(1, 1, new Uint8Array(4)));
      tx.push(parseIpv4('192.0.2.1')!, pptpGre(1, 2, new Uint8Array(4))); // no route in a
      tx.push(parseIpv4('10.77.1.2')!, pptpGre(1, 3, new Uint8Array(4)));
      assert.equal(sa.send(tx), 2);
      assert.equal(tx.status(0), 0);
      assert.notEqual(tx.status(1), 0);
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.errno, 'ENETUNREACH');
      assert.equal(errors[0]!.dst, '192.0.2.1');
      await waitFor(() => atB.length >= 2, 'the two good packets');
      assert.deepEqual(atB.map((g) => g.seq), [1, 3]);
      assert.equal(sa.pathMtu('192.0.2.1'), undefined);
      assert.equal(sa.pathMtu('10.77.1.2'), 1500);
    } finally {
      sa.close();
      sb.close();
    }
  });
});

test('PMTU: router link toward the client at 1400, server sends 1500 with DF → frag-needed event (mtu 1400), socket keeps working', { skip, timeout: 30_000 }, async () => {
  await withLab(async (lab) => {
    const { c, s } = lab.routed({ client: '10.78.1.2/24', routerClient: '10.78.1.1/24', routerServer: '10.78.2.1/24', server: '10.78.2.2/24' });
    const client = openGreSocket({ netns: c });
    const server = openGreSocket({ netns: s });
    try {
      const atClient: Got[] = [];
      const atServer: Got[] = [];
      collect(client, atClient);
      collect(server, atServer);
      const icmp: IcmpErrorEvent[] = [];
      const sendErrors: SendErrorEvent[] = [];
      const errors: Error[] = [];
      server.onIcmpError((e) => icmp.push(e));
      server.onSendError((e) => sendErrors.push(e));
      server.onError((e) => errors.push(e));

      // 1500-byte IP datagram: 20 IP + 12 GRE + 1468 payload
      const big = pptpGre(0x1234, 1, new Uint8Array(1468).fill(1));
      assert.equal(big.length + 20, 1500);
      assert.equal(server.sendTo('10.78.1.2', big), true, 'fits the server link, so the kernel sends it');
      await waitFor(() => icmp.length >= 1, 'the ICMP fragmentation-needed event');
      const e = icmp[0]!;
      assert.equal(e.kind, 'frag-needed');
      assert.equal(e.mtu, 1400);
      assert.equal(e.icmpType, 3);
      assert.equal(e.icmpCode, 4);
      assert.equal(e.errno, 'EMSGSIZE');
      assert.equal(e.dst, '10.78.1.2');
      assert.equal(e.offender, '10.78.2.1');
      assert.deepEqual([...e.quoted.subarray(0, 12)], [...big.subarray(0, 12)], 'the quote starts with our GRE header (call id 0x1234)');
      assert.equal(atClient.length, 0, 'the big packet never reached the client');

      // the socket still reads and writes, both ways
      assert.equal(client.sendTo('10.78.2.2', pptpGre(5, 2, new Uint8Array(10))), true);
      await waitFor(() => atServer.length >= 1, 'a small packet at the server after the ICMP error');
      assert.equal(atServer[0]!.src, '10.78.1.2');
      assert.equal(server.sendTo('10.78.1.2', pptpGre(0x1234, 3, new Uint8Array(10))), true);
      await waitFor(() => atClient.length >= 1, 'a small packet at the client');

      // the kernel learnt the path MTU: the next big send fails locally, as an event
      assert.equal(server.pathMtu('10.78.1.2'), 1400);
      assert.equal(server.sendTo('10.78.1.2', big), false);
      assert.equal(sendErrors.length, 1);
      assert.deepEqual({ ...sendErrors[0]! }, { errno: 'EMSGSIZE', dst: '10.78.1.2', dstAddr: parseIpv4('10.78.1.2'), bytes: 1480, mtu: 1400 });
      assert.equal(server.sendTo('10.78.1.2', pptpGre(0x1234, 4, new Uint8Array(1400 - 32))), true, 'a packet at the path MTU goes');
      await waitFor(() => atClient.length >= 2, 'the 1400-byte packet at the client');
      assert.equal(atClient[1]!.bytes, 1380);
      assert.deepEqual(errors, [], 'no read ever failed');
      assert.equal(server.stats.rxErrors, 0);
    } finally {
      client.close();
      server.close();
    }
  });
});

test("pmtuDiscovery 'probe': learnt path MTU ignored → the big packet is sent again and a second ICMP arrives", { skip, timeout: 30_000 }, async () => {
  await withLab(async (lab) => {
    const { r, s } = lab.routed({ client: '10.78.3.2/24', routerClient: '10.78.3.1/24', routerServer: '10.78.4.1/24', server: '10.78.4.2/24' });
    lab.exec(r, 'sysctl', '-q', '-w', 'net.ipv4.icmp_ratelimit=0');
    const server = openGreSocket({ netns: s, pmtuDiscovery: 'probe' });
    try {
      const icmp: IcmpErrorEvent[] = [];
      server.onIcmpError((e) => icmp.push(e));
      const big = pptpGre(1, 1, new Uint8Array(1468));
      assert.equal(server.sendTo('10.78.3.2', big), true);
      await waitFor(() => icmp.length >= 1, 'first ICMP');
      assert.equal(server.sendTo('10.78.3.2', big), true, 'probe mode sends past the learnt path MTU');
      await waitFor(() => icmp.length >= 2, 'second ICMP');
      assert.ok(icmp.every((e) => e.kind === 'frag-needed' && e.mtu === 1400));
    } finally {
      server.close();
    }
  });
});

test('close: idempotent, and a closed socket refuses to send', { skip, timeout: 10_000 }, async () => {
  await withLab(async (lab) => {
    const a = lab.ns();
    const s = openGreSocket({ netns: a });
    s.close();
    s.close();
    assert.equal(s.closed, true);
    assert.throws(() => s.sendTo('10.0.0.1', new Uint8Array(4)), { code: 'LOCAL_USAGE' });
    assert.equal(s.pathMtu('10.0.0.1'), undefined);
  });
});

const greModule = ['gre', 'ip_gre', 'pptp'].find((m) => existsSync(`/sys/module/${m}`));

test('peer without GRE: ICMP protocol-unreachable → an unreachable event (code 2) quoting our header', { skip: skip ?? (greModule ? `the kernel's ${greModule} module answers GRE itself` : undefined), timeout: 15_000 }, async () => {
  await withLab(async (lab) => {
    const a = lab.ns();
    const b = lab.ns();
    lab.link(a, 'va', '10.77.2.1/24', b, 'vb', '10.77.2.2/24');
    const sa = openGreSocket({ netns: a }); // nothing listens for protocol 47 in b
    try {
      const icmp: IcmpErrorEvent[] = [];
      sa.onIcmpError((e) => icmp.push(e));
      const pkt = pptpGre(0x4242, 1, new Uint8Array(8));
      assert.equal(sa.sendTo('10.77.2.2', pkt), true);
      await waitFor(() => icmp.length >= 1, 'protocol unreachable');
      const e = icmp[0]!;
      assert.equal(e.kind, 'unreachable');
      assert.deepEqual([e.icmpType, e.icmpCode, e.errno, e.dst, e.offender, e.mtu], [3, 2, 'ENOPROTOOPT', '10.77.2.2', '10.77.2.2', undefined]);
      assert.deepEqual([...e.quoted.subarray(0, pkt.length)], [...pkt]);
    } finally {
      sa.close();
    }
  });
});

test('datagram longer than maxDatagramBytes → counted as truncated and dropped; the next one arrives', { skip, timeout: 15_000 }, async () => {
  await withLab(async (lab) => {
    const a = lab.ns();
    const b = lab.ns();
    lab.link(a, 'va', '10.77.3.1/24', b, 'vb', '10.77.3.2/24');
    const sa = openGreSocket({ netns: a });
    const sb = openGreSocket({ netns: b, maxDatagramBytes: 128, batchSize: 4 });
    try {
      const got: Got[] = [];
      collect(sb, got);
      sa.sendTo('10.77.3.2', pptpGre(1, 1, new Uint8Array(200)));
      sa.sendTo('10.77.3.2', pptpGre(1, 2, new Uint8Array(8)));
      await waitFor(() => got.length >= 1, 'the small packet');
      assert.deepEqual(got.map((g) => g.seq), [2]);
      assert.equal(sb.stats.rxTruncated, 1);
    } finally {
      sa.close();
      sb.close();
    }
  });
});

test('open/close 300 times → no file descriptor left behind', { skip, timeout: 30_000 }, async () => {
  await withLab(async (lab) => {
    const a = lab.ns();
    const fds = (): number => readdirSync('/proc/self/fd').length;
    await new Promise((r) => setTimeout(r, 20)); // let earlier tests' closes finish
    const before = fds();
    for (let i = 0; i < 300; i++) openGreSocket({ netns: a, batchSize: 8 }).close();
    await new Promise((r) => setTimeout(r, 20)); // uv_close callbacks run on the next loop turn
    assert.equal(fds(), before);
  });
});

test('two local addresses: each datagram reports the address it was sent to; replies leave from it (IP_PKTINFO)', { skip, timeout: 15_000 }, async () => {
  await withLab(async (lab) => {
    const a = lab.ns();
    const b = lab.ns();
    lab.link(a, 'va', '10.84.0.1/24', b, 'vb', '10.84.0.2/24');
    lab.ip(a, 'addr', 'add', '10.84.0.11/24', 'dev', 'va');
    const server = openGreSocket({ netns: a });
    const client = openGreSocket({ netns: b });
    try {
      const atServer: { local: string; src: string; seq: number }[] = [];
      server.onPackets((p) => {
        for (let i = 0; i < p.count; i++) {
          const v = new DataView(p.data.buffer, p.data.byteOffset + p.offset(i), p.length(i));
          atServer.push({ local: formatIpv4(p.local(i)), src: formatIpv4(p.source(i)), seq: v.getUint32(8) });
        }
      });
      const atClient: Got[] = [];
      collect(client, atClient);
      client.sendTo('10.84.0.1', pptpGre(1, 1, new Uint8Array(4)));
      client.sendTo('10.84.0.11', pptpGre(1, 2, new Uint8Array(4)));
      await waitFor(() => atServer.length >= 2, 'both packets at the server');
      assert.deepEqual(atServer, [
        { local: '10.84.0.1', src: '10.84.0.2', seq: 1 },
        { local: '10.84.0.11', src: '10.84.0.2', seq: 2 },
      ]);
      const tx = new TxBatch(2);
      for (const g of atServer) tx.push(parseIpv4(g.src)!, pptpGre(2, g.seq, new Uint8Array(4)), parseIpv4(g.local)!);
      assert.equal(server.send(tx), 2);
      await waitFor(() => atClient.length >= 2, 'both replies');
      assert.deepEqual(atClient.map((g) => [g.seq, g.src]), [[1, '10.84.0.1'], [2, '10.84.0.11']]);

      const errors: SendErrorEvent[] = [];
      server.onSendError((e) => errors.push(e));
      assert.equal(server.sendTo('10.84.0.2', pptpGre(2, 3, new Uint8Array(4)), '192.0.2.99'), false, 'a source that is not ours is refused');
      assert.equal(errors.length, 1);
    } finally {
      server.close();
      client.close();
    }
  });
});
