import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { PppLink, serverSessionOptions, type LinkTransport } from './link.js';
import { clientRuntime, clientSessionOptions } from '../client/common.js';
import { seededRng } from '../core/rng.js';
import { createLogger, silentLogger, type Logger } from '../log/logger.js';
import { PassThrough } from 'node:stream';
import { PPP_PROTO } from '../ppp/protocols.js';
import type { TunRoute } from './tun-side.js';
import { testContext } from '../../test/l2tp/lns-harness.js';
import { linkPair, protoOf } from '../../test/helpers/link-pair.js';

const stops: (() => void)[] = [];
after(() => {
  for (const s of stops) s();
});

/** A client link and a server link back to back (test/helpers/link-pair.ts), stopped after the tests. */
function pair(hold: (proto: number) => boolean, opts: { clientIpv6?: boolean; serverLog?: Logger } = {}) {
  const p = linkPair({ hold, ...opts });
  stops.push(() => p.stop());
  return p;
}

test('client link, IPV6CP opens before IPCP: link-up → onUp waits for the IPv4 addresses (it opened the TUN with none)', () => {
  const p = pair((proto) => proto === PPP_PROTO.IPCP);
  const seen: (string | undefined)[] = [];
  p.c.onUp = () => void seen.push(p.c.localIp);
  p.start();
  assert.equal(p.c.state, 'up', 'IPV6CP alone brings the link up');
  assert.ok(p.c.peerIp6?.startsWith('fe80::'));
  assert.deepEqual(seen, [], 'no onUp without IPCP');
  p.release();
  assert.deepEqual(seen, ['10.96.0.10'], 'onUp once, with the address');
});

test('client link, IPCP opens first: onUp once, with the address', () => {
  const p = pair(() => false);
  const seen: (string | undefined)[] = [];
  p.c.onUp = () => void seen.push(p.c.localIp);
  p.start();
  assert.deepEqual(seen, ['10.96.0.10']);
});

test('Network, IPV6CP up: fe80::<peer identifier> from the TUN → that link, other identifiers and global addresses → no route; our address on the device while claimed', () => {
  const p = pair(() => false);
  const ops: string[] = [];
  p.client.tunSide.onLinkLocal = (op, address, dev) => void ops.push(`${op} ${address} ${dev}`);
  p.start();
  const routed: Uint8Array[] = [];
  const tun = { name: 'tun-test', write: () => 0, onPackets: () => {} };
  p.client.tunSide.attach(tun);
  assert.deepEqual(ops, [`add ${p.c.localIp6} tun-test`], 'the address claimed before the TUN existed is added on attach');
  // The link's own claim routes to the link; a spy owner takes it over to observe the routing.
  const peerId = p.c.peerIp6!.replace(/^fe80::/, '').split(':').map((h) => h.padStart(4, '0')).join('');
  p.client.tunSide.releaseLinkLocal(p.c);
  assert.equal(ops.at(-1), `del ${p.c.localIp6} tun-test`, 'the link gone: its address comes off');
  const spy: TunRoute = { fromTun: (pkt) => void routed.push(pkt.slice()) };
  p.client.tunSide.claimLinkLocal(p.c.localIp6!, peerId, spy);
  assert.equal(ops.at(-1), `add ${p.c.localIp6} tun-test`);
  const v6 = (dst: number[]): Uint8Array => {
    const b = new Uint8Array(48);
    b[0] = 0x60;
    b[5] = 8;
    b[6] = 59;
    b.set(dst, 24);
    return b;
  };
  const idBytes = peerId.match(/../g)!.map((h) => parseInt(h, 16));
  const batch = (pkts: Uint8Array[]) => {
    const data = new Uint8Array(pkts.length * 64);
    pkts.forEach((q, i) => data.set(q, i * 64));
    return { count: pkts.length, data, offset: (i: number) => i * 64, length: (i: number) => pkts[i]!.length };
  };
  const before = p.client.tunSide.stats.noRoute;
  p.client.tunSide.onBatch(batch([v6([0xfe, 0x80, 0, 0, 0, 0, 0, 0, ...idBytes]), v6([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]), v6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, ...idBytes])]) as never);
  assert.equal(routed.length, 1, 'only the packet for fe80::<peer identifier>');
  assert.equal(p.client.tunSide.stats.noRoute - before, 2, 'another identifier and a global address have no route');
  p.client.tunSide.releaseLinkLocal(spy);
  assert.equal(ops.at(-1), `del ${p.c.localIp6} tun-test`);
  p.client.tunSide.onBatch(batch([v6([0xfe, 0x80, 0, 0, 0, 0, 0, 0, ...idBytes])]) as never);
  assert.equal(routed.length, 1, 'released: no longer routed');
});

test('client link started with waitForPeerMs: sends nothing until the peer speaks, then answers and requests at once', () => {
  const server = testContext(
    { pools: [{ name: 't', local: '10.96.0.1', ranges: ['10.96.0.10-10.96.0.20'] }], listen: { pptp: { enabled: false }, l2tp: { enabled: false } }, ppp: { authProtocols: ['chap'], mppe: { mode: 'refuse' } } },
    { users: [['alice', 'pw']], rng: seededRng(3) },
  );
  const client = clientRuntime({ log: silentLogger, rng: seededRng(4) });
  stops.push(() => server.scheduler.stop(), () => client.scheduler.stop());
  const toClient: Uint8Array[] = [];
  const toServer: Uint8Array[] = [];
  const transport = (q: Uint8Array[]): LinkTransport => ({ proto: 'l2tp', peerAddress: '203.0.113.7', sendFrame: (f) => void q.push(f.slice()), close: () => {}, tunnelOptions: () => ({ proto: 'l2tp' }) });
  const s = new PppLink(server, transport(toClient), serverSessionOptions(server, 'l2tp'));
  const c = new PppLink(client.ctx, transport(toServer), clientSessionOptions({ host: 'x', username: 'alice', password: 'pw', accept: ['chap-md5'], log: silentLogger }, 'refuse', 'l2tp'));
  client.link = c;
  c.start(0, { waitForPeerMs: 1000 });
  assert.equal(toServer.length, 0, 'no Configure-Request before the peer speaks');
  s.start(0);
  assert.ok(toClient.length > 0);
  c.fromTransport(toClient.shift()!, 10);
  assert.equal(toServer.length, 2, 'the peer’s request answered and ours sent in the same turn');
  for (let n = 0; n < 200 && (toClient.length > 0 || toServer.length > 0); n++) {
    const f = toClient.shift();
    if (f) c.fromTransport(f, 20);
    const g = toServer.shift();
    if (g) s.fromTransport(g, 20);
  }
  assert.equal(c.state, 'up');
  assert.equal(s.state, 'up');
});

test('client link started with waitForPeerMs and a silent peer: its own Configure-Request goes out when the wait ends', async () => {
  const client = clientRuntime({ log: silentLogger, rng: seededRng(5) });
  stops.push(() => client.scheduler.stop());
  const sent: Uint8Array[] = [];
  const c = new PppLink(client.ctx, { proto: 'l2tp', peerAddress: '203.0.113.8', sendFrame: (f) => void sent.push(f.slice()), close: () => {}, tunnelOptions: () => ({ proto: 'l2tp' }) }, clientSessionOptions({ host: 'x', username: 'a', password: 'b', log: silentLogger }, 'refuse', 'l2tp'));
  client.link = c;
  c.start(client.ctx.clock.now(), { waitForPeerMs: 50 });
  assert.equal(sent.length, 0);
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(sent.length, 1, 'one Configure-Request after the wait');
  assert.equal(protoOf(sent[0]!), PPP_PROTO.LCP);
  c.close('test over', client.ctx.clock.now());
});

test('server link, the peer Protocol-Rejects IPV6CP → the debug line says the Protocol-Reject was received, not sent', () => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  const p = pair(() => false, { clientIpv6: false, serverLog: createLogger({ format: 'text', level: 'debug', stream }) });
  p.start();
  assert.equal(p.s.state, 'up');
  assert.match(text, /Protocol-Reject received for IPV6CP \(0x8057\)/);
  assert.doesNotMatch(text, /Protocol-Reject sent/);
});

test('server link, framedPool set by the backend (RADIUS Framed-Pool) → IPCP gives an address from that pool; a pool that does not exist → no address, the link does not come up', () => {
  const pools = [
    { name: 't', local: '10.96.0.1', ranges: ['10.96.0.10-10.96.0.20'] },
    { name: 'vip', local: '10.97.0.1', ranges: ['10.97.0.50-10.97.0.60'] },
  ];
  const p = linkPair({ ipv6: false, config: { pools } });
  stops.push(() => p.stop());
  p.s.framedPool = 'vip';
  p.start();
  assert.equal(p.s.peerIp, '10.97.0.50');
  const q = linkPair({ ipv6: false, config: { pools } });
  stops.push(() => q.stop());
  q.s.framedPool = 'nope';
  q.start();
  assert.equal(q.s.peerIp, undefined);
  assert.notEqual(q.s.state, 'up');
});
