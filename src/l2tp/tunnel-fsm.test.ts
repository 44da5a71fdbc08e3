import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng, type Rng } from '../core/rng.js';
import { AVP, MSG, STOPCCN_RESULT } from './constants.js';
import { encodeAvps } from './avp.js';
import { parseL2tpHeader } from './header.js';
import { encodeL2tpMessage, parseL2tpMessage } from './message.js';
import { L2tpTunnelFsm, tunnelChallengeResponse, type L2tpTunnelEvent, type L2tpTunnelInput, type L2tpTunnelOptions, type L2tpTunnelOutput } from './tunnel-fsm.js';

const enc = new TextEncoder();

/** Two tunnels joined by an in-memory link with optional seeded loss/duplication/delay. */
class Link {
  now = 0;
  events = new Map<L2tpTunnelFsm, L2tpTunnelEvent[]>();
  sent = new Map<L2tpTunnelFsm, number[]>();
  private wire: { to: L2tpTunnelFsm; bytes: Uint8Array; at: number }[] = [];
  constructor(
    readonly lac: L2tpTunnelFsm,
    readonly lns: L2tpTunnelFsm,
    private readonly chaos?: { rng: Rng; lossPct: number },
  ) {
    this.events.set(lac, []);
    this.events.set(lns, []);
    this.sent.set(lac, []);
    this.sent.set(lns, []);
  }
  input(t: L2tpTunnelFsm, input: L2tpTunnelInput): void {
    this.collect(t, t.handle(input, this.now));
  }
  private collect(from: L2tpTunnelFsm, outs: L2tpTunnelOutput[]): void {
    const to = from === this.lac ? this.lns : this.lac;
    for (const o of outs) {
      if (o.kind === 'event') this.events.get(from)!.push(o.event);
      if (o.kind !== 'send') continue;
      const f = parseL2tpHeader(o.bytes);
      assert.ok(f.ok);
      const body = o.bytes.subarray(f.value.payloadStart, f.value.payloadEnd);
      this.sent.get(from)!.push(body.length ? (body[6]! << 8) | body[7]! : 0);
      let copies = 1;
      let delay = 10;
      if (this.chaos) {
        const r = this.chaos.rng.bytes(3);
        if ((r[0]! * 100) / 256 < this.chaos.lossPct) copies = 0;
        else if (r[1]! > 235) copies = 2;
        delay = 5 + (r[2]! % 60);
      }
      for (let c = 0; c < copies; c++) this.wire.push({ to, bytes: o.bytes, at: this.now + delay + c });
    }
  }
  /** Runs until nothing is in flight and no deadline is due before `until`. */
  run(until: number): void {
    while (this.now <= until) {
      const next = Math.min(
        ...this.wire.map((w) => w.at),
        this.lac.nextDeadline() ?? Infinity,
        this.lns.nextDeadline() ?? Infinity,
      );
      if (!Number.isFinite(next) || next > until) break;
      this.now = Math.max(this.now, next);
      const due = this.wire.filter((w) => w.at <= this.now);
      this.wire = this.wire.filter((w) => w.at > this.now);
      for (const w of due) {
        const f = parseL2tpHeader(w.bytes);
        assert.ok(f.ok);
        const h = f.value.header;
        assert.equal(h.tunnelId === 0 || h.tunnelId === w.to.localTunnelId, true, 'header carries the receiver\'s tunnel ID');
        this.collect(w.to, w.to.handle({ type: 'packet', ns: h.ns!, nr: h.nr!, sessionId: h.sessionId, body: w.bytes.subarray(f.value.payloadStart, f.value.payloadEnd) }, this.now));
      }
      for (const t of [this.lac, this.lns]) {
        const d = t.nextDeadline();
        if (d !== undefined && d <= this.now) this.collect(t, t.handle({ type: 'timeout' }, this.now));
      }
    }
    this.now = Math.max(this.now, until);
  }
  types(t: L2tpTunnelFsm): string[] {
    return this.events.get(t)!.map((e) => e.type);
  }
}

function pair(lacOpts: Partial<L2tpTunnelOptions> = {}, lnsOpts: Partial<L2tpTunnelOptions> = {}, chaos?: { rng: Rng; lossPct: number }): Link {
  const lac = new L2tpTunnelFsm({ role: 'lac', localTunnelId: 11, hostName: 'client', ...lacOpts }, seededRng(1));
  const lns = new L2tpTunnelFsm({ role: 'lns', localTunnelId: 22, hostName: 'server', ...lnsOpts }, seededRng(2));
  return new Link(lac, lns, chaos);
}

test('idle: open → SCCRQ/SCCRP/SCCCN → both established, ZLB acks the SCCCN', () => {
  const l = pair();
  l.input(l.lac, { type: 'open' });
  l.run(1000);
  assert.equal(l.lac.state, 'established');
  assert.equal(l.lns.state, 'established');
  assert.deepEqual(l.sent.get(l.lac), [MSG.SCCRQ, MSG.SCCCN]);
  assert.deepEqual(l.sent.get(l.lns), [MSG.SCCRP, MSG.ZLB]);
  assert.deepEqual(l.types(l.lns), ['tunnel-up']);
  assert.equal(l.lns.peerTunnelId, 11);
  assert.equal(l.lac.peerTunnelId, 22);
  assert.equal(l.lns.peerHostName, 'client');
});

test('established: LAC closes → StopCCN; the LNS acks it at once (ZLB), not after its 200 ms ack delay', () => {
  const l = pair();
  l.input(l.lac, { type: 'open' });
  l.run(1000);
  l.input(l.lac, { type: 'close' });
  const sentAt = l.now;
  l.run(sentAt + 30); // one 10 ms hop each way, well under the ack delay
  assert.deepEqual(l.types(l.lns), ['tunnel-up', 'tunnel-down']);
  assert.equal(l.sent.get(l.lns)!.at(-1), MSG.ZLB, 'the LNS answered the StopCCN with a ZLB');
  assert.equal(l.lac.channel.settled, true, 'the LAC has its ack within one round trip');
});

test('tunnel auth: same secret on both sides → up; a wrong secret → StopCCN result 4 and both down', () => {
  const ok = pair({ secret: enc.encode('s3cret') }, { secret: enc.encode('s3cret') });
  ok.input(ok.lac, { type: 'open' });
  ok.run(1000);
  assert.equal(ok.lns.state, 'established');
  assert.equal(ok.lac.state, 'established');

  const bad = pair({ secret: enc.encode('one') }, { secret: enc.encode('two') });
  bad.input(bad.lac, { type: 'open' });
  bad.run(1000);
  const down = bad.events.get(bad.lac)!.find((e) => e.type === 'tunnel-down');
  assert.ok(down && down.type === 'tunnel-down');
  assert.equal(down.result?.result, STOPCCN_RESULT.NOT_AUTHORIZED);
  assert.match(down.reason, /tunnel authentication failed/);
  assert.ok(bad.types(bad.lns).includes('tunnel-down'), 'the LNS learns it by StopCCN');
  bad.run(40_000);
  assert.equal(bad.lac.state, 'closed');
  assert.equal(bad.lns.state, 'closed');
});

test('tunnel auth: a peer that challenges an LNS without a secret is refused with result 4', () => {
  const l = pair({ secret: enc.encode('x') }, {});
  l.input(l.lac, { type: 'open' });
  l.run(1000);
  const down = l.events.get(l.lns)!.find((e) => e.type === 'tunnel-down');
  assert.ok(down && down.type === 'tunnel-down' && down.result?.result === STOPCCN_RESULT.NOT_AUTHORIZED);
});

/** An LNS that picks the secret by the peer's Host Name (xl2tpd l2tp-secrets) and must challenge. */
function perPeerLns(table: Record<string, string>): Partial<L2tpTunnelOptions> {
  return { secretFor: (name) => (table[name] !== undefined ? enc.encode(table[name]) : undefined), challengePeer: true };
}

/** The StopCCN bodies an FSM sent, decoded. */
function stopccns(outs: L2tpTunnelOutput[]): { result: number; message?: string | undefined }[] {
  const r: { result: number; message?: string | undefined }[] = [];
  for (const o of outs) {
    if (o.kind !== 'send') continue;
    const f = parseL2tpHeader(o.bytes);
    assert.ok(f.ok);
    const m = parseL2tpMessage(o.bytes.subarray(f.value.payloadStart, f.value.payloadEnd));
    if (m.ok && m.value.messageType === MSG.STOPCCN) r.push({ result: m.value.resultCode!.result, message: m.value.resultCode!.message });
  }
  return r;
}

test('wait-ctl-conn: per-peer secret (secretFor by Host Name) and the right answer → up', () => {
  const l = pair({ hostName: 'lac-1', secret: enc.encode('k1'), challengePeer: false }, perPeerLns({ 'lac-1': 'k1', 'lac-2': 'k2' }));
  l.input(l.lac, { type: 'open' });
  l.run(1000);
  assert.equal(l.lns.state, 'established');
  assert.equal(l.lac.state, 'established');
});

test('wait-ctl-conn: per-peer secret, SCCCN with a wrong Challenge Response → StopCCN result 4 from the LNS', () => {
  const l = pair({ hostName: 'lac-1', secret: enc.encode('k2'), challengePeer: false }, perPeerLns({ 'lac-1': 'k1', 'lac-2': 'k2' }));
  l.input(l.lac, { type: 'open' });
  l.run(1000);
  const down = l.events.get(l.lns)!.find((e) => e.type === 'tunnel-down');
  assert.ok(down && down.type === 'tunnel-down');
  assert.equal(down.result?.result, STOPCCN_RESULT.NOT_AUTHORIZED);
  assert.match(down.reason, /wrong Challenge Response/);
  const lacDown = l.events.get(l.lac)!.find((e) => e.type === 'tunnel-down');
  assert.ok(lacDown && lacDown.type === 'tunnel-down' && lacDown.result?.result === STOPCCN_RESULT.NOT_AUTHORIZED, 'the LAC reads result 4 in the StopCCN');
});

test('wait-ctl-conn: SCCCN without a Challenge Response → StopCCN result 4', () => {
  const lns = new L2tpTunnelFsm({ role: 'lns', localTunnelId: 22, hostName: 'server', ...perPeerLns({ 'lac-1': 'k1' }) }, seededRng(2));
  const sccrq = encodeL2tpMessage({ messageType: MSG.SCCRQ, protocolVersion: { version: 1, revision: 0 }, framingCapabilities: 3, hostName: 'lac-1', assignedTunnelId: 11 });
  const first = lns.handle({ type: 'packet', ns: 0, nr: 0, sessionId: 0, body: sccrq }, 0);
  assert.equal(lns.state, 'wait-ctl-conn');
  assert.deepEqual(stopccns(first), []);
  const out = lns.handle({ type: 'packet', ns: 1, nr: 1, sessionId: 0, body: encodeL2tpMessage({ messageType: MSG.SCCCN }) }, 10);
  assert.deepEqual(stopccns(out).map((x) => x.result), [STOPCCN_RESULT.NOT_AUTHORIZED]);
  assert.match(stopccns(out)[0]!.message ?? '', /no Challenge Response/);
  assert.equal(lns.state, 'closing');
});

test('idle: SCCRQ from a host name with no secret while challenge is required → StopCCN result 4, no SCCRP', () => {
  const lns = new L2tpTunnelFsm({ role: 'lns', localTunnelId: 22, hostName: 'server', ...perPeerLns({ 'lac-1': 'k1' }) }, seededRng(2));
  const sccrq = encodeL2tpMessage({ messageType: MSG.SCCRQ, protocolVersion: { version: 1, revision: 0 }, framingCapabilities: 3, hostName: 'stranger', assignedTunnelId: 11 });
  const out = lns.handle({ type: 'packet', ns: 0, nr: 0, sessionId: 0, body: sccrq }, 0);
  assert.deepEqual(stopccns(out).map((x) => x.result), [STOPCCN_RESULT.NOT_AUTHORIZED]);
  const down = out.find((o) => o.kind === 'event' && o.event.type === 'tunnel-down');
  assert.ok(down && down.kind === 'event' && down.event.type === 'tunnel-down');
  assert.match(down.event.reason, /no tunnel secret for host name 'stranger'/);
});

test('idle: per-peer secrets without challenge → unlisted peers up unchallenged; a listed peer that challenges gets its answer', () => {
  const table = { 'lac-1': 'k1' };
  const open = pair({ hostName: 'stranger' }, { secretFor: perPeerLns(table).secretFor! });
  open.input(open.lac, { type: 'open' });
  open.run(1000);
  assert.equal(open.lns.state, 'established');
  const asks = pair({ hostName: 'lac-1', secret: enc.encode('k1') }, { secretFor: perPeerLns(table).secretFor! });
  asks.input(asks.lac, { type: 'open' });
  asks.run(1000);
  assert.equal(asks.lac.state, 'established', 'the LAC checked our Challenge Response');
  assert.equal(asks.lns.state, 'established');
});

test('challenge response: MD5(type ‖ secret ‖ challenge) per RFC 2661 §4.4.3', () => {
  const r = tunnelChallengeResponse(2, enc.encode('secret'), Uint8Array.of(1, 2, 3));
  assert.equal(r.length, 16);
  assert.notDeepEqual(r, tunnelChallengeResponse(3, enc.encode('secret'), Uint8Array.of(1, 2, 3)));
});

test('established: open-session → ICRQ/ICRP/ICCN → session up on both sides; CDN → down on both', () => {
  const l = pair();
  l.input(l.lac, { type: 'open' });
  l.run(1000);
  l.input(l.lac, { type: 'open-session' });
  l.run(2000);
  const upLac = l.events.get(l.lac)!.find((e) => e.type === 'session-up');
  const upLns = l.events.get(l.lns)!.find((e) => e.type === 'session-up');
  assert.ok(upLac && upLac.type === 'session-up' && upLns && upLns.type === 'session-up');
  assert.equal(upLac.peerSessionId, upLns.sessionId);
  assert.equal(upLns.peerSessionId, upLac.sessionId);
  l.input(l.lns, { type: 'close-session', sessionId: upLns.sessionId });
  l.run(3000);
  assert.ok(l.types(l.lac).includes('session-down'));
  assert.equal(l.lac.sessions.size, 0);
  assert.equal(l.lns.sessions.size, 0);
});

test('established: StopCCN from the LAC → tunnel and sessions down on both; closed after the hold time', () => {
  const l = pair();
  l.input(l.lac, { type: 'open' });
  l.run(1000);
  l.input(l.lac, { type: 'open-session' });
  l.input(l.lac, { type: 'open-session' });
  l.run(2000);
  assert.equal(l.lns.sessions.size, 2);
  l.input(l.lac, { type: 'close' });
  l.run(3000);
  assert.equal(l.types(l.lns).filter((t) => t === 'session-down').length, 2);
  assert.ok(l.types(l.lns).includes('tunnel-down'));
  assert.equal(l.lns.state, 'closing');
  l.run(40_000);
  assert.equal(l.lns.state, 'closed');
  assert.equal(l.lac.state, 'closed');
  assert.ok(l.types(l.lns).includes('closed'));
});

test('established: peer silence → HELLO after the interval; unacked HELLO → tunnel down after retransmissions', () => {
  const l = pair({}, { helloIntervalMs: 10_000 });
  l.input(l.lac, { type: 'open' });
  l.run(1000);
  l.run(12_000);
  assert.ok(l.sent.get(l.lns)!.includes(MSG.HELLO), 'the LNS sends HELLO after 10 s of quiet');
  assert.equal(l.lns.state, 'established', 'the LAC acked it');
  // now the LAC vanishes: only the LNS runs
  const lns = l.lns;
  let now = l.now;
  const events: string[] = [];
  for (let i = 0; i < 100 && lns.state !== 'closed'; i++) {
    now = Math.max(now, lns.nextDeadline() ?? now + 1000);
    for (const o of lns.handle({ type: 'timeout' }, now)) if (o.kind === 'event') events.push(o.event.type);
  }
  assert.deepEqual(events, ['tunnel-down', 'closed']);
  assert.ok(now - l.now < 60_000, `down within a bounded time (${now - l.now} ms)`);
});

test('established: an unknown mandatory AVP in a tunnel message → StopCCN result 2 error 8', () => {
  const l = pair();
  l.input(l.lac, { type: 'open' });
  l.run(1000);
  const body = encodeAvps([
    { mandatory: true, hidden: false, vendorId: 0, type: AVP.MESSAGE_TYPE, value: Uint8Array.of(0, MSG.HELLO) },
    { mandatory: true, hidden: false, vendorId: 9, type: 1, value: Uint8Array.of(1) },
  ]);
  const out = l.lns.handle({ type: 'packet', ns: 2, nr: 1, sessionId: 0, body }, l.now);
  const down = out.find((o) => o.kind === 'event' && o.event.type === 'tunnel-down');
  assert.ok(down && down.kind === 'event' && down.event.type === 'tunnel-down');
  assert.deepEqual([down.event.result?.result, down.event.result?.error], [2, 8]);
  const stop = out.find((o) => o.kind === 'send' && o.bytes.length > 12);
  assert.ok(stop && stop.kind === 'send');
  const m = parseL2tpMessage(stop.bytes.subarray(12));
  assert.ok(m.ok && m.value.messageType === MSG.STOPCCN && m.value.resultCode?.error === 8);
});

test('setup: an SCCRQ with protocol version 2.0 is refused with result 5', () => {
  const lns = new L2tpTunnelFsm({ role: 'lns', localTunnelId: 5, hostName: 's' }, seededRng(3));
  const body = encodeAvps([
    { mandatory: true, hidden: false, vendorId: 0, type: AVP.MESSAGE_TYPE, value: Uint8Array.of(0, MSG.SCCRQ) },
    { mandatory: true, hidden: false, vendorId: 0, type: AVP.PROTOCOL_VERSION, value: Uint8Array.of(2, 0) },
    { mandatory: true, hidden: false, vendorId: 0, type: AVP.ASSIGNED_TUNNEL_ID, value: Uint8Array.of(0, 9) },
  ]);
  const out = lns.handle({ type: 'packet', ns: 0, nr: 0, sessionId: 0, body }, 0);
  const down = out.find((o) => o.kind === 'event' && o.event.type === 'tunnel-down');
  assert.ok(down && down.kind === 'event' && down.event.type === 'tunnel-down' && down.event.result?.result === STOPCCN_RESULT.BAD_PROTOCOL_VERSION);
});

test('session limit: an ICRQ beyond maxSessions is answered with a CDN, the tunnel stays up', () => {
  const l = pair({}, { maxSessions: 1 });
  l.input(l.lac, { type: 'open' });
  l.run(1000);
  l.input(l.lac, { type: 'open-session' });
  l.input(l.lac, { type: 'open-session' });
  l.run(3000);
  assert.equal(l.lns.sessions.size, 1);
  assert.equal(l.lac.sessions.size, 1, 'the refused call was torn down on the LAC by the CDN');
  assert.equal(l.lns.state, 'established');
});

test('lossy link: with seeded loss, duplication and reordering, 10 tunnels × 10 sessions come up and tear down cleanly', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const rng = seededRng(100 + seed);
    const l = new Link(
      new L2tpTunnelFsm({ role: 'lac', localTunnelId: seed, hostName: 'c', secret: enc.encode('k') }, seededRng(seed)),
      new L2tpTunnelFsm({ role: 'lns', localTunnelId: 1000 + seed, hostName: 's', secret: enc.encode('k') }, seededRng(seed + 50)),
      { rng, lossPct: 15 },
    );
    l.input(l.lac, { type: 'open' });
    l.run(20_000);
    assert.equal(l.lac.state, 'established', `seed ${seed}`);
    for (let i = 0; i < 10; i++) l.input(l.lac, { type: 'open-session' });
    l.run(60_000);
    assert.equal(l.types(l.lns).filter((t) => t === 'session-up').length, 10, `seed ${seed}: sessions up on the LNS`);
    assert.equal(l.lns.sessions.size, 10);
    l.input(l.lac, { type: 'close' });
    l.run(200_000);
    assert.equal(l.lns.sessions.size, 0, `seed ${seed}: every session freed`);
    assert.equal(l.lns.state, 'closed');
    assert.equal(l.lac.state, 'closed');
  }
});

test('property: random bodies at any state never throw', () => {
  const rng = seededRng(9);
  const l = pair();
  l.input(l.lac, { type: 'open' });
  l.run(1000);
  for (let i = 0; i < 2000; i++) {
    const len = rng.bytes(1)[0]! % 64;
    const body = rng.bytes(len);
    const hdr = rng.bytes(4);
    l.lns.handle({ type: 'packet', ns: (hdr[0]! << 8) | hdr[1]!, nr: (hdr[2]! << 8) | hdr[3]!, sessionId: hdr[0]!, body }, l.now + i);
  }
});
