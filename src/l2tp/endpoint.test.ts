import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../core/rng.js';
import { MSG } from './constants.js';
import { encodeL2tp } from './header.js';
import { encodeL2tpMessage } from './message.js';
import { L2tpEndpoint, type L2tpEndpointOutput, type UdpPeer } from './endpoint.js';

const LNS: UdpPeer = { address: '10.0.0.1', port: 1701 };

/** An LNS endpoint and LAC endpoints exchanging datagrams in memory; `natPort` rewrites a LAC's source port. */
class Net {
  now = 0;
  lns = new L2tpEndpoint({ tunnel: { role: 'lns', hostName: 'lns' } }, seededRng(1));
  out: { from: UdpPeer; to: UdpPeer; bytes: Uint8Array }[] = [];
  seen: L2tpEndpointOutput[] = [];
  lacs = new Map<string, { ep: L2tpEndpoint; addr: UdpPeer }>();
  addLac(name: string, addr: UdpPeer): L2tpEndpoint {
    const ep = new L2tpEndpoint({ tunnel: { role: 'lac', hostName: name } }, seededRng(name.length * 7 + addr.port));
    this.lacs.set(name, { ep, addr });
    return ep;
  }
  emit(from: UdpPeer, outs: L2tpEndpointOutput[]): void {
    for (const o of outs) {
      this.seen.push(o);
      if (o.kind === 'send') this.out.push({ from, to: o.to, bytes: o.bytes });
    }
  }
  run(ms: number): void {
    const end = this.now + ms;
    for (let guard = 0; guard < 100_000 && this.now <= end; guard++) {
      const d = this.out.shift();
      if (d) {
        if (d.to.port === LNS.port && d.to.address === LNS.address) this.emit(LNS, this.lns.receive(d.from, d.bytes, this.now));
        else for (const { ep, addr } of this.lacs.values()) if (addr.address === d.to.address && addr.port === d.to.port) this.emit(addr, ep.receive(LNS, d.bytes, this.now));
        continue;
      }
      const ds = [this.lns.nextDeadline(), ...[...this.lacs.values()].map((l) => l.ep.nextDeadline())].filter((x): x is number => x !== undefined);
      const next = Math.min(...ds, end + 1);
      if (next > end) break;
      this.now = Math.max(this.now, next);
      this.emit(LNS, this.lns.timeout(this.now));
      for (const { ep, addr } of this.lacs.values()) this.emit(addr, ep.timeout(this.now));
    }
    this.now = end;
  }
}

test('LNS: two LACs behind one NAT address get separate tunnels; sessions come up; data reaches the right session', () => {
  const net = new Net();
  const a = net.addLac('a', { address: '192.0.2.9', port: 1701 });
  const b = net.addLac('b', { address: '192.0.2.9', port: 40000 });
  const ta = a.connect(LNS, 0);
  const tb = b.connect(LNS, 0);
  net.emit(net.lacs.get('a')!.addr, ta.out);
  net.emit(net.lacs.get('b')!.addr, tb.out);
  net.run(2000);
  assert.equal(net.lns.size, 2);
  net.emit(net.lacs.get('a')!.addr, a.command(ta.tunnelId!, { type: 'open-session' }, net.now));
  net.run(2000);
  const up = net.seen.filter((o) => o.kind === 'event' && o.event.type === 'session-up');
  assert.equal(up.length, 2, 'session up on the LAC and on the LNS');
  const lnsUp = up.find((o) => o.kind === 'event' && o.peer.address === '192.0.2.9');
  assert.ok(lnsUp && lnsUp.kind === 'event' && lnsUp.event.type === 'session-up');
  // a data message from LAC a for that session
  const lacTunnel = a.tunnel(ta.tunnelId!)!;
  const [lacSession] = [...lacTunnel.sessions.values()];
  const data = encodeL2tp({ isControl: false, tunnelId: lacTunnel.peerTunnelId, sessionId: lacSession!.peerSessionId, priority: false }, Uint8Array.of(0xff, 0x03, 0x00, 0x21, 0x45));
  const [ppp] = net.lns.receive({ address: '192.0.2.9', port: 1701 }, data, net.now);
  assert.ok(ppp && ppp.kind === 'ppp');
  assert.deepEqual([...data.subarray(ppp.start, ppp.end)], [0xff, 0x03, 0x00, 0x21, 0x45]);
  assert.equal(ppp.sessionId, lnsUp.event.sessionId);
});

test('LNS: a retransmitted SCCRQ does not create a second tunnel', () => {
  const net = new Net();
  const a = net.addLac('a', { address: '192.0.2.1', port: 1701 });
  const t = a.connect(LNS, 0);
  const sccrq = t.out.find((o) => o.kind === 'send');
  assert.ok(sccrq && sccrq.kind === 'send');
  net.lns.receive({ address: '192.0.2.1', port: 1701 }, sccrq.bytes, 0);
  net.lns.receive({ address: '192.0.2.1', port: 1701 }, sccrq.bytes, 1000);
  assert.equal(net.lns.size, 1);
});

test('established: the LAC\'s source port changes mid-tunnel → its messages are dropped as wrong-source; the peer stays fixed', () => {
  const net = new Net();
  const a = net.addLac('a', { address: '192.0.2.1', port: 1701 });
  const t = a.connect(LNS, 0);
  net.emit(net.lacs.get('a')!.addr, t.out);
  net.run(2000);
  const [lnsId] = net.lns.tunnelIds();
  assert.ok(lnsId);
  net.lacs.get('a')!.addr = { address: '192.0.2.1', port: 50000 };
  net.seen = [];
  net.emit({ address: '192.0.2.1', port: 50000 }, a.command(t.tunnelId!, { type: 'open-session' }, net.now));
  net.run(3000);
  assert.deepEqual(net.lns.peerOf(lnsId), { address: '192.0.2.1', port: 1701 });
  assert.equal(net.lns.tunnel(lnsId)!.sessions.size, 0);
  assert.ok(net.seen.some((o) => o.kind === 'drop' && o.reason === 'wrong-source'));
});

/** An LNS with one established tunnel and one session from LAC `lacAddr`. */
function established(lacAddr: UdpPeer = { address: '192.0.2.1', port: 1701 }) {
  const net = new Net();
  const lac = net.addLac('a', lacAddr);
  const t = lac.connect(LNS, 0);
  net.emit(lacAddr, t.out);
  net.run(2000);
  net.emit(lacAddr, lac.command(t.tunnelId!, { type: 'open-session' }, net.now));
  net.run(2000);
  const [lnsId] = net.lns.tunnelIds();
  assert.ok(lnsId !== undefined && net.lns.tunnel(lnsId)!.state === 'established');
  return { net, lac, lacTunnel: t.tunnelId!, lnsId };
}

const reasons = (o: L2tpEndpointOutput[]): string[] => o.flatMap((x) => (x.kind === 'drop' ? [x.reason] : []));
const zlb = (tunnelId: number, ns: number, nr: number): Uint8Array => encodeL2tp({ isControl: true, tunnelId, sessionId: 0, ns, nr, priority: false }, new Uint8Array());

test('established: ZLBs with every Tunnel ID from another host → all dropped (wrong-source for the live tunnel); peer, tunnel and session unchanged', () => {
  const { net, lac, lacTunnel, lnsId } = established();
  const attacker: UdpPeer = { address: '203.0.113.66', port: 1701 };
  const fsm = net.lns.tunnel(lnsId)!;
  const before = fsm.channel.expectedNs;
  const counts = new Map<string, number>();
  for (let id = 1; id <= 0xffff; id++) {
    for (const o of net.lns.receive(attacker, zlb(id, 0, 0), net.now)) {
      assert.notEqual(o.kind, 'send', 'nothing is sent for a forged ZLB');
      if (o.kind === 'drop') counts.set(o.reason, (counts.get(o.reason) ?? 0) + 1);
    }
  }
  assert.equal(counts.get('wrong-source'), 1, 'the one live tunnel: dropped as wrong-source');
  assert.equal(counts.get('unknown-tunnel'), 0xffff - 1);
  assert.deepEqual(net.lns.peerOf(lnsId), { address: '192.0.2.1', port: 1701 });
  assert.equal(fsm.channel.expectedNs, before);
  // The attacker's HELLO with the right Ns, and its data message, are dropped too.
  const hello = encodeL2tp({ isControl: true, tunnelId: lnsId, sessionId: 0, ns: before, nr: 0, priority: false }, Uint8Array.of(0x80, 0x08, 0, 0, 0, 0, 0, 6));
  assert.deepEqual(reasons(net.lns.receive(attacker, hello, net.now)), ['wrong-source']);
  const [session] = [...fsm.sessions.values()];
  assert.ok(session);
  const data = encodeL2tp({ isControl: false, tunnelId: lnsId, sessionId: session.sessionId, priority: false }, Uint8Array.of(0xff, 0x03, 0xc0, 0x21));
  assert.deepEqual(reasons(net.lns.receive(attacker, data, net.now)), ['wrong-source']);
  assert.deepEqual(reasons(net.lns.receive({ address: '192.0.2.1', port: 1702 }, data, net.now)), ['wrong-source'], 'same host, other port');
  assert.equal(net.lns.receive({ address: '192.0.2.1', port: 1701 }, data, net.now)[0]?.kind, 'ppp');
  // The real LAC still talks to its tunnel: a second call comes up.
  net.emit({ address: '192.0.2.1', port: 1701 }, lac.command(lacTunnel, { type: 'open-session' }, net.now));
  net.run(2000);
  assert.equal(fsm.sessions.size, 2);
});

test('established: a ZLB from the peer whose Nr acknowledges more than we sent → dropped as bad-nr; our unacked message is still retransmitted', () => {
  const { net, lnsId } = established();
  const fsm = net.lns.tunnel(lnsId)!;
  const out = net.lns.command(lnsId, { type: 'close-session', sessionId: [...fsm.sessions.keys()][0]! }, net.now); // a CDN, not yet acked
  assert.ok(out.some((o) => o.kind === 'send'));
  assert.equal(fsm.channel.idle, false);
  assert.deepEqual(reasons(net.lns.receive({ address: '192.0.2.1', port: 1701 }, zlb(lnsId, 0, 0x1234), net.now)), ['bad-nr']);
  assert.equal(fsm.channel.idle, false, 'the CDN is still unacked');
  const re = net.lns.timeout(fsm.nextDeadline()!);
  assert.ok(re.some((o) => o.kind === 'send'), 'and retransmitted');
});

test('LAC: the SCCRP may come from another LNS port (§8.1) and fixes the peer there; a ZLB from another port before it, or a later port change, is dropped', () => {
  const lac = new L2tpEndpoint({ tunnel: { role: 'lac', hostName: 'c' } }, seededRng(11));
  const lns = new L2tpEndpoint({ tunnel: { role: 'lns', hostName: 's' } }, seededRng(12));
  const me: UdpPeer = { address: '192.0.2.7', port: 1701 };
  const c = lac.connect(LNS, 0);
  const sccrq = c.out.find((o) => o.kind === 'send');
  assert.ok(sccrq?.kind === 'send');
  assert.deepEqual(reasons(lac.receive({ address: LNS.address, port: 40001 }, zlb(c.tunnelId!, 0, 1), 10)), ['wrong-source'], 'a ZLB cannot move the port');
  assert.deepEqual(reasons(lac.receive({ address: '203.0.113.9', port: 1701 }, zlb(c.tunnelId!, 0, 1), 10)), ['wrong-source']);
  const sccrp = lns.receive(me, sccrq.bytes, 20).find((o) => o.kind === 'send');
  assert.ok(sccrp?.kind === 'send');
  const moved: UdpPeer = { address: LNS.address, port: 40001 };
  const r = lac.receive(moved, sccrp.bytes, 30);
  assert.deepEqual(reasons(r), []);
  assert.ok(r.some((o) => o.kind === 'event' && o.event.type === 'tunnel-up'));
  assert.deepEqual(lac.peerOf(c.tunnelId!), moved);
  const scccn = r.find((o) => o.kind === 'send');
  assert.ok(scccn?.kind === 'send' && scccn.to.port === 40001, 'the SCCCN goes to the new port');
  assert.deepEqual(reasons(lac.receive(LNS, zlb(c.tunnelId!, 1, 2), 40)), ['wrong-source'], 'the old port is no longer the peer');
  assert.deepEqual(lac.peerOf(c.tunnelId!), moved);
});

test('LNS setup fairness: a new source may evict the oldest tunnel in setup of the source holding the most; that source itself may not', () => {
  const lns = new L2tpEndpoint({ tunnel: { role: 'lns', hostName: 's' } }, seededRng(13));
  const sccrq = (seed: number): Uint8Array => {
    const lac = new L2tpEndpoint({ tunnel: { role: 'lac', hostName: 'f' } }, seededRng(seed));
    const o = lac.connect(LNS, 0).out.find((x) => x.kind === 'send');
    assert.ok(o?.kind === 'send');
    return o.bytes;
  };
  const open = (address: string, n: number, seed: number): void => {
    for (let i = 0; i < n; i++) lns.receive({ address, port: 1701 + i }, sccrq(seed + i), 0);
  };
  open('198.51.100.1', 3, 100);
  open('198.51.100.2', 1, 200);
  const starting = lns.startingBySource();
  assert.deepEqual([...starting.keys()], ['198.51.100.1', '198.51.100.2']);
  const [oldest] = starting.get('198.51.100.1')!;
  assert.equal(lns.fairEviction('203.0.113.5', starting), oldest, 'a new source evicts the biggest source\'s oldest');
  assert.equal(lns.fairEviction('198.51.100.2', starting), oldest, 'a smaller source too');
  assert.equal(lns.fairEviction('198.51.100.1', starting), undefined, 'the biggest source cannot evict');
  assert.ok(lns.evict(oldest!));
  assert.equal(lns.size, 3);
  assert.equal(lns.fairEviction('198.51.100.1', lns.startingBySource()), undefined, 'it still holds the most (2 vs 1): none');
});

test('drops: garbage, unknown tunnel, data for an unknown session, non-SCCRQ on tunnel 0, tunnel limit', () => {
  const lns = new L2tpEndpoint({ tunnel: { role: 'lns', hostName: 'lns' }, maxTunnels: 1 }, seededRng(3));
  const p = { address: '192.0.2.1', port: 1701 };
  const reasons = (o: L2tpEndpointOutput[]): string[] => o.flatMap((x) => (x.kind === 'drop' ? [x.reason] : []));
  assert.deepEqual(reasons(lns.receive(p, Uint8Array.of(1, 2, 3), 0)), ['malformed-header']);
  assert.deepEqual(reasons(lns.receive(p, encodeL2tp({ isControl: false, tunnelId: 77, sessionId: 1, priority: false }, Uint8Array.of(1)), 0)), ['unknown-tunnel']);
  assert.deepEqual(reasons(lns.receive(p, encodeL2tp({ isControl: true, tunnelId: 0, sessionId: 0, ns: 0, nr: 0, priority: false }, new Uint8Array()), 0)), ['not-sccrq']);
  const lac1 = new L2tpEndpoint({ tunnel: { role: 'lac', hostName: 'x' } }, seededRng(4));
  const lac2 = new L2tpEndpoint({ tunnel: { role: 'lac', hostName: 'y' } }, seededRng(5));
  const s1 = lac1.connect(LNS, 0).out.find((o) => o.kind === 'send');
  const s2 = lac2.connect(LNS, 0).out.find((o) => o.kind === 'send');
  assert.ok(s1?.kind === 'send' && s2?.kind === 'send');
  lns.receive(p, s1.bytes, 0);
  assert.deepEqual(reasons(lns.receive({ address: '192.0.2.2', port: 1701 }, s2.bytes, 0)), ['tunnel-limit']);
  const [id] = lns.tunnelIds();
  assert.deepEqual(reasons(lns.receive(p, encodeL2tp({ isControl: false, tunnelId: id!, sessionId: 5, priority: false }, Uint8Array.of(1)), 0)), ['unknown-session']);
});

test('teardown: a closed tunnel is freed after the hold time, with every session', () => {
  const net = new Net();
  const a = net.addLac('a', { address: '192.0.2.1', port: 1701 });
  const t = a.connect(LNS, 0);
  net.emit(net.lacs.get('a')!.addr, t.out);
  net.run(2000);
  for (let i = 0; i < 5; i++) net.emit(net.lacs.get('a')!.addr, a.command(t.tunnelId!, { type: 'open-session' }, net.now));
  net.run(3000);
  assert.equal(net.lns.tunnel(net.lns.tunnelIds()[0]!)!.sessions.size, 5);
  net.emit(net.lacs.get('a')!.addr, a.command(t.tunnelId!, { type: 'close' }, net.now));
  net.run(40_000);
  assert.equal(net.lns.size, 0);
  assert.equal(a.size, 0);
});

test('LNS: an SCCRQ refused at once (protocol version 2.0) → its tunnel is freed at once, not held 31 s; the retransmitted SCCRQ is refused again, 1:1', () => {
  const lns = new L2tpEndpoint({ tunnel: { role: 'lns', hostName: 's' } }, seededRng(21));
  const body = encodeL2tpMessage({ messageType: MSG.SCCRQ, protocolVersion: { version: 2, revision: 0 }, framingCapabilities: 3, hostName: 'x', assignedTunnelId: 77 });
  const sccrq = encodeL2tp({ isControl: true, tunnelId: 0, sessionId: 0, ns: 0, nr: 0, priority: false }, body);
  const from: UdpPeer = { address: '203.0.113.7', port: 1701 };
  for (let i = 0; i < 3; i++) {
    const out = lns.receive(from, sccrq, i * 1000);
    assert.equal(out.filter((o) => o.kind === 'send').length, 1, 'one StopCCN per SCCRQ');
    assert.ok(out.some((o) => o.kind === 'event' && o.event.type === 'closed'));
    assert.equal(lns.size, 0);
  }
  assert.equal(lns.nextDeadline(), undefined);
});
