import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../core/rng.js';
import { encodeL2tp } from './header.js';
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

test('NAT: the LAC\'s source port changes mid-tunnel; the LNS answers to the new port', () => {
  const net = new Net();
  const a = net.addLac('a', { address: '192.0.2.1', port: 1701 });
  const t = a.connect(LNS, 0);
  net.emit(net.lacs.get('a')!.addr, t.out);
  net.run(2000);
  const [lnsId] = net.lns.tunnelIds();
  assert.ok(lnsId);
  net.lacs.get('a')!.addr = { address: '192.0.2.1', port: 50000 };
  net.emit({ address: '192.0.2.1', port: 50000 }, a.command(t.tunnelId!, { type: 'open-session' }, net.now));
  net.run(3000);
  assert.equal(net.lns.peerOf(lnsId)!.port, 50000);
  assert.equal(a.tunnel(t.tunnelId!)!.sessions.size, 1);
  assert.equal([...a.tunnel(t.tunnelId!)!.sessions.values()][0]!.state, 'established');
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
