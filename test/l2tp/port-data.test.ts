/**
 * The LNS port's data path and tunnel authentication, without sockets: an
 * in-memory LAC endpoint talks to the service's port through a fake socket.
 * Covers the data header we write (no Length, Ns/Nr only with sequencing),
 * what we accept (Length, Ns/Nr, Offset), and what we drop (wrong source,
 * stale sequence, unknown session), plus the shared tunnel secret.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../src/core/rng.js';
import { HDR } from '../../src/l2tp/constants.js';
import { L2tpEndpoint, type L2tpEndpointOutput, type UdpPeer } from '../../src/l2tp/endpoint.js';
import { encodeL2tp, parseL2tpHeader, type L2tpHeader } from '../../src/l2tp/header.js';
import { L2tpService } from '../../src/server/l2tp-service.js';
import { L2tpSessionTransport, type L2tpPort } from '../../src/server/l2tp-endpoint.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { testContext, type SkewClock } from './lns-harness.js';

const LAC_ADDR: UdpPeer = { address: '192.0.2.7', port: 1701 };
const LNS_ADDR: UdpPeer = { address: '192.0.2.1', port: 1701 };

const rigs: { ctx: { scheduler: { stop(): void } } }[] = [];
after(() => {
  for (const r of rigs) r.ctx.scheduler.stop();
});

/** A service port wired to an in-memory LAC endpoint. */
function rig(opts: { lnsSecret?: string; lacSecret?: string } = {}) {
  const ctx = testContext(
    {
      pools: [{ name: 't', local: '10.98.0.1', ranges: ['10.98.0.10-10.98.0.20'] }],
      listen: { pptp: { enabled: false }, l2tp: opts.lnsSecret !== undefined ? { secret: opts.lnsSecret } : {} },
    },
    { users: [['dave', 'pw']], rng: seededRng(3) },
  );
  const service = new L2tpService(ctx);
  const port = service.createPort();
  const toLac: Uint8Array[] = [];
  port.attach({ send: (b) => toLac.push(new Uint8Array(b)), close: () => {} });
  const lac = new L2tpEndpoint({ tunnel: { role: 'lac', hostName: 'lac', ...(opts.lacSecret !== undefined ? { secret: new TextEncoder().encode(opts.lacSecret) } : {}) } }, seededRng(4));
  const lacEvents: L2tpEndpointOutput[] = [];
  const lacData: Uint8Array[] = [];
  const fromLac = (outs: L2tpEndpointOutput[]): void => {
    for (const o of outs) {
      if (o.kind === 'send') port.receive(o.bytes, LAC_ADDR.address, LAC_ADDR.port);
      else lacEvents.push(o);
    }
  };
  /** Delivers what the LNS sent until both sides are quiet. */
  const pump = (): void => {
    for (let i = 0; i < 100 && toLac.length > 0; i++) {
      const b = toLac.shift()!;
      if ((b[0]! & 0x80) === 0) {
        lacData.push(b);
        continue;
      }
      fromLac(lac.receive(LNS_ADDR, b, (ctx.clock as SkewClock).now()));
    }
  };
  const r = { ctx, service, port, lac, toLac, lacEvents, lacData, fromLac, pump };
  rigs.push(r);
  return r;
}

function establish(r: ReturnType<typeof rig>): { lacTunnel: number; lnsTunnel: number; lacSession: number; lnsSession: number } {
  const c = r.lac.connect(LNS_ADDR, 0);
  r.fromLac(c.out);
  r.pump();
  r.fromLac(r.lac.command(c.tunnelId!, { type: 'open-session' }, 0));
  r.pump();
  const t = r.lac.tunnel(c.tunnelId!)!;
  const [s] = [...t.sessions.values()];
  assert.ok(s && s.state === 'established', 'LAC session established');
  const [lnsTunnel] = r.port.endpoint.tunnelIds();
  return { lacTunnel: c.tunnelId!, lnsTunnel: lnsTunnel!, lacSession: s.sessionId, lnsSession: s.peerSessionId };
}

const LCP_ECHO_REQ = Uint8Array.of(0xff, 0x03, 0xc0, 0x21, 0x09, 0x07, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00);

test('LNS session up: LCP goes out in data messages without Length or Ns/Nr, addressed to the LAC\'s IDs', () => {
  const r = rig();
  const ids = establish(r);
  assert.equal(r.service.linkCount, 1);
  assert.ok(r.lacData.length >= 1, 'the link sent LCP');
  const first = r.lacData[0]!;
  const flags = (first[0]! << 8) | first[1]!;
  assert.equal(flags, HDR.VERSION, 'T=0 L=0 S=0 O=0 P=0, version 2');
  const f = parseL2tpHeader(first);
  assert.ok(f.ok);
  assert.equal(f.value.header.tunnelId, ids.lacTunnel);
  assert.equal(f.value.header.sessionId, ids.lacSession);
  assert.deepEqual([...first.subarray(f.value.payloadStart, f.value.payloadStart + 4)], [0xff, 0x03, 0xc0, 0x21]);
});

test('LNS data in: Length, Ns/Nr and Offset fields are accepted; wrong source, stale Ns and unknown session are dropped and counted', () => {
  const r = rig();
  const ids = establish(r);
  const link = r.service.links()[0]!;
  const h = (extra: Partial<L2tpHeader>): L2tpHeader => ({ isControl: false, tunnelId: ids.lnsTunnel, sessionId: ids.lnsSession, priority: false, ...extra });
  const before = link.session.counters.framesIn;
  r.port.receive(encodeL2tp(h({}), LCP_ECHO_REQ), LAC_ADDR.address, LAC_ADDR.port);
  r.port.receive(encodeL2tp(h({ length: 0 }), LCP_ECHO_REQ), LAC_ADDR.address, LAC_ADDR.port);
  r.port.receive(encodeL2tp(h({ offsetSize: 3 }), LCP_ECHO_REQ), LAC_ADDR.address, LAC_ADDR.port);
  r.port.receive(encodeL2tp(h({ length: 0, ns: 5, nr: 0, offsetSize: 0 }), LCP_ECHO_REQ), LAC_ADDR.address, LAC_ADDR.port);
  assert.equal(link.session.counters.framesIn - before, 4);
  const p = r.port.stats;
  r.port.receive(encodeL2tp(h({ ns: 9, nr: 0 }), LCP_ECHO_REQ), LAC_ADDR.address, 40000); // the peer's address from another port: not the peer
  assert.equal(p.wrongSource, 1);
  assert.equal(r.ctx.stats['l2tpDrop:wrong-source'], 1);
  r.port.receive(encodeL2tp(h({ ns: 4, nr: 0 }), LCP_ECHO_REQ), LAC_ADDR.address, LAC_ADDR.port);
  assert.equal(p.staleSequence, 1, 'Ns 4 after Ns 5 is stale');
  r.port.receive(encodeL2tp(h({ ns: 6, nr: 0 }), LCP_ECHO_REQ), LAC_ADDR.address, LAC_ADDR.port);
  r.port.receive(encodeL2tp(h({ ns: 0x7000, nr: 0 }), LCP_ECHO_REQ), LAC_ADDR.address, LAC_ADDR.port);
  assert.equal(link.session.counters.framesIn - before, 6, 'Ns 6 and a jump ahead are taken');
  r.port.receive(encodeL2tp(h({}), LCP_ECHO_REQ), '198.51.100.9', 1701);
  assert.equal(p.wrongSource, 2);
  r.port.receive(encodeL2tp(h({ sessionId: (ids.lnsSession + 1) & 0xffff }), LCP_ECHO_REQ), LAC_ADDR.address, LAC_ADDR.port);
  r.port.receive(encodeL2tp(h({ tunnelId: (ids.lnsTunnel + 1) & 0xffff }), LCP_ECHO_REQ), LAC_ADDR.address, LAC_ADDR.port);
  assert.equal(p.unknownSession, 2);
  r.port.receive(Uint8Array.of(0x00, 0x03, 0, 1, 0, 1), LAC_ADDR.address, LAC_ADDR.port); // version 3
  r.port.receive(Uint8Array.of(0x00), LAC_ADDR.address, LAC_ADDR.port);
  assert.equal(p.malformed, 1, 'a version-3 header is malformed for us; a 1-byte datagram goes to the control path and is dropped there');
  assert.equal(link.session.counters.framesIn - before, 6);
});

test('sequenced session: our data messages carry Ns counting up and Nr = the next Ns we expect', () => {
  const r = rig();
  const ids = establish(r);
  const port: L2tpPort = r.port;
  const t = new L2tpSessionTransport(port, ids.lnsTunnel, 4242, ids.lacTunnel, ids.lacSession, true, LAC_ADDR.address);
  r.toLac.length = 0;
  t.nr = 9;
  t.sendFrame(LCP_ECHO_REQ, 0);
  t.sendFrame(LCP_ECHO_REQ, 0);
  assert.equal(r.toLac.length, 2);
  const a = parseL2tpHeader(r.toLac[0]!);
  const b = parseL2tpHeader(r.toLac[1]!);
  assert.ok(a.ok && b.ok);
  assert.equal(((r.toLac[0]![0]! << 8) | r.toLac[0]![1]!) & (HDR.S | HDR.L), HDR.S);
  assert.deepEqual([a.value.header.ns, a.value.header.nr, b.value.header.ns], [0, 9, 1]);
  assert.deepEqual([...r.toLac[1]!.subarray(b.value.payloadStart)], [...LCP_ECHO_REQ]);
  assert.deepEqual(t.tunnelOptions(), { proto: 'l2tp', mppe: true, l2tpLength: false, l2tpSequence: true });
});

test('peer CDN → the link goes down, its address and session are freed; the empty tunnel is closed later with StopCCN', () => {
  const r = rig();
  const ids = establish(r);
  assert.equal(r.service.linkCount, 1);
  r.fromLac(r.lac.command(ids.lacTunnel, { type: 'close-session', sessionId: ids.lacSession }, 0));
  r.pump();
  assert.equal(r.service.linkCount, 0);
  assert.equal(r.port.endpoint.tunnel(ids.lnsTunnel)!.sessions.size, 0);
  assert.equal(r.ctx.addresses.claimed, 0);
  assert.equal(r.port.endpoint.tunnel(ids.lnsTunnel)!.state, 'established');
  (r.ctx.clock as SkewClock).skewMs += r.service.emptyTunnelMs + 1000;
  r.ctx.scheduler.run();
  assert.equal(r.port.endpoint.tunnel(ids.lnsTunnel)!.state, 'closing', 'StopCCN sent after the idle time');
  r.pump();
  assert.ok(r.lacEvents.some((o) => o.kind === 'event' && o.event.type === 'tunnel-down'));
  r.ctx.scheduler.stop();
});

test('tunnel secret: matching secrets → tunnel up; wrong secret or none from the LAC → StopCCN "not authorized", no session', () => {
  const good = rig({ lnsSecret: 's3cret', lacSecret: 's3cret' });
  establish(good);
  assert.equal(good.service.linkCount, 1);
  good.ctx.scheduler.stop();
  for (const lacSecret of ['wrong', undefined]) {
    const bad = rig({ lnsSecret: 's3cret', ...(lacSecret !== undefined ? { lacSecret } : {}) });
    const c = bad.lac.connect(LNS_ADDR, 0);
    bad.fromLac(c.out);
    bad.pump();
    const down = bad.lacEvents.find((o) => o.kind === 'event' && o.event.type === 'tunnel-down');
    assert.ok(down && down.kind === 'event' && down.event.type === 'tunnel-down');
    assert.equal(down.event.result?.result, 4, `StopCCN result 4 (not authorized) for LAC secret ${String(lacSecret)}: ${down.event.reason}`);
    assert.equal(bad.service.linkCount, 0);
    bad.ctx.scheduler.stop();
  }
});

test('config: listen.l2tp.secret is optional, a non-empty string, and absent by default', () => {
  assert.equal(ConfigSchema.parse({}).listen.l2tp.secret, undefined);
  assert.equal(ConfigSchema.parse({ listen: { l2tp: { secret: 'abc' } } }).listen.l2tp.secret, 'abc');
  assert.equal(ConfigSchema.safeParse({ listen: { l2tp: { secret: '' } } }).success, false);
  assert.equal(ConfigSchema.safeParse({ listen: { l2tp: { secret: 5 } } }).success, false);
});

test('LNS in wait-connect: LCP that overtakes the ICCN is held, then delivered when the ICCN arrives', () => {
  const r = rig();
  const c = r.lac.connect(LNS_ADDR, 0);
  r.fromLac(c.out);
  r.pump();
  r.fromLac(r.lac.command(c.tunnelId!, { type: 'open-session' }, 0)); // ICRQ → the LNS answers ICRP
  const icrp = r.toLac.shift()!;
  const afterIcrp = r.lac.receive(LNS_ADDR, icrp, 0); // the LAC sends ICCN: hold it back
  const [s] = [...r.lac.tunnel(c.tunnelId!)!.sessions.values()];
  assert.ok(s && s.state === 'established');
  const [lnsTunnel] = r.port.endpoint.tunnelIds();
  const data = encodeL2tp({ isControl: false, tunnelId: lnsTunnel!, sessionId: s.peerSessionId, priority: false }, LCP_ECHO_REQ);
  r.port.receive(data, LAC_ADDR.address, LAC_ADDR.port);
  r.port.receive(data, '198.51.100.9', LAC_ADDR.port); // from elsewhere: not held
  assert.equal(r.port.stats.heldEarly, 1);
  assert.equal(r.port.stats.unknownSession, 1);
  assert.equal(r.service.linkCount, 0);
  r.fromLac(afterIcrp); // now the ICCN
  assert.equal(r.service.linkCount, 1);
  assert.equal(r.service.links()[0]!.session.counters.framesIn, 1, 'the held frame reached the new link');
  assert.deepEqual(r.port.takeEarly(lnsTunnel!, s.peerSessionId), []);
});

test('LNS port with a live session: random datagrams, and random bytes behind a valid data or control header, never throw and never bring a link or tunnel down', async () => {
  const fc = await import('fast-check');
  const r = rig();
  const ids = establish(r);
  const link = r.service.links()[0]!;
  // Control: a valid header whose Ns (3, the LAC's ICCN) the LNS already has, so the channel must drop and re-ack it.
  const expectedNs = r.port.endpoint.tunnel(ids.lnsTunnel)!.channel.expectedNs;
  const stale = (expectedNs - 1) & 0xffff;
  const hdr = (control: boolean, tailBytes: number): number[] =>
    control
      ? [0xc8, 0x02, (12 + tailBytes) >> 8, (12 + tailBytes) & 0xff, ids.lnsTunnel >> 8, ids.lnsTunnel & 0xff, 0, 0, stale >> 8, stale & 0xff, 0, 0]
      : [0x00, 0x02, ids.lnsTunnel >> 8, ids.lnsTunnel & 0xff, ids.lnsSession >> 8, ids.lnsSession & 0xff];
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 64 })).map(([c, tail]) => Uint8Array.from([...hdr(c, tail.length), ...tail]))), fc.boolean(), (bytes, fromPeer) => {
      r.port.receive(bytes, fromPeer ? LAC_ADDR.address : '203.0.113.5', 1701);
    }),
    { numRuns: 2000, seed: 42 },
  );
  assert.equal(r.service.linkCount, 1, 'the session survived');
  assert.notEqual(link.state, 'down');
  assert.equal(r.port.endpoint.tunnel(ids.lnsTunnel)?.state, 'established');
  assert.ok(r.port.stats.malformed > 0 && r.port.stats.wrongSource > 0, 'garbage data was counted');
  assert.ok(r.port.stats.controlDrops > 100, 'stale control messages and bad headers were dropped by the endpoint');
});
