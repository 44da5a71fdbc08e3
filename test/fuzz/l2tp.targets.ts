/**
 * L2TP fuzz targets: the header, AVP and message codecs (plain and hidden
 * AVPs), the tunnel machine fed arbitrary control bodies, and the endpoint
 * demultiplexer fed arbitrary datagrams from several peers.
 */
import { seededRng } from '../../src/core/rng.js';
import { parseL2tpHeader } from '../../src/l2tp/header.js';
import { encodeAvps, parseAvps, type RawAvp } from '../../src/l2tp/avp.js';
import { AVP, MSG } from '../../src/l2tp/constants.js';
import { parseL2tpMessage } from '../../src/l2tp/message.js';
import { L2tpTunnelFsm, type L2tpTunnelOutput } from '../../src/l2tp/tunnel-fsm.js';
import { L2tpEndpoint, type L2tpEndpointOutput, type UdpPeer } from '../../src/l2tp/endpoint.js';
import { L2TP_AVPS_LAYOUT, L2TP_LAYOUT } from './structure.js';
import { check, l2tpSeeds, type FuzzTarget } from './harness.js';

const WIRE_CODES = new Set(['TRUNCATED', 'BAD_LENGTH', 'BAD_VALUE', 'UNSUPPORTED']);
const SECRET = new TextEncoder().encode('tunnel-secret');

let exchange: Uint8Array[] | undefined;
/** Datagrams of a clean LAC↔LNS tunnel and session setup (with and without a secret), plus the captures. */
export function l2tpDatagramSeeds(): Uint8Array[] {
  if (exchange) return exchange;
  const out: Uint8Array[] = [];
  for (const secret of [undefined, SECRET]) {
    const lns = new L2tpEndpoint({ tunnel: { role: 'lns', hostName: 'lns', ...(secret ? { secret } : {}) } }, seededRng(1));
    const lac = new L2tpEndpoint({ tunnel: { role: 'lac', hostName: 'lac', ...(secret ? { secret } : {}) } }, seededRng(2));
    const lnsAddr: UdpPeer = { address: '10.0.0.1', port: 1701 };
    const lacAddr: UdpPeer = { address: '10.0.0.2', port: 1701 };
    const queue: { to: 'lns' | 'lac'; bytes: Uint8Array }[] = [];
    const push = (from: 'lns' | 'lac', outs: L2tpEndpointOutput[]): void => {
      for (const o of outs) {
        if (o.kind === 'send') {
          out.push(o.bytes);
          queue.push({ to: from === 'lns' ? 'lac' : 'lns', bytes: o.bytes });
        }
        if (o.kind === 'event' && o.event.type === 'tunnel-up' && from === 'lac') push('lac', lac.command(o.tunnelId, { type: 'open-session' }, 0));
      }
    };
    const c = lac.connect(lnsAddr, 0);
    push('lac', c.out);
    for (let i = 0; i < 40 && queue.length; i++) {
      const q = queue.shift()!;
      push(q.to, q.to === 'lns' ? lns.receive(lacAddr, q.bytes, 0) : lac.receive(lnsAddr, q.bytes, 0));
    }
  }
  exchange = [...out, ...l2tpSeeds().slice(0, 500)];
  return exchange;
}

/**
 * Bodies with hidden AVPs (RFC 2661 §4.3), hidden with SECRET after a Random
 * Vector: none of the captures or our own exchange hides any, so the
 * un-hiding paths need seeds of their own.
 */
function hiddenBodies(): Uint8Array[] {
  const u16 = (v: number): Uint8Array => Uint8Array.of(v >> 8, v & 0xff);
  const avp = (type: number, value: Uint8Array, hidden = false): RawAvp => ({ mandatory: true, hidden, vendorId: 0, type, value });
  const rv = avp(AVP.RANDOM_VECTOR, Uint8Array.from({ length: 16 }, (_, i) => i * 17));
  const host = new TextEncoder().encode('lac.example');
  return [
    [avp(AVP.MESSAGE_TYPE, u16(MSG.SCCRQ)), rv, avp(AVP.HOST_NAME, host, true), avp(AVP.ASSIGNED_TUNNEL_ID, u16(9), true)],
    [avp(AVP.MESSAGE_TYPE, u16(MSG.ICRQ)), rv, avp(AVP.ASSIGNED_SESSION_ID, u16(3), true), avp(AVP.CALL_SERIAL_NUMBER, Uint8Array.of(0, 0, 0, 1), true), rv, avp(AVP.HOST_NAME, host, true)],
  ].map((avps, i) => encodeAvps(avps, { secret: SECRET, padding: new Uint8Array(i * 5) }));
}

/** Control message bodies (after the L2TP header) of the seed datagrams, and bodies with hidden AVPs. */
function bodySeeds(): Uint8Array[] {
  return l2tpDatagramSeeds().flatMap((d) => {
    const f = parseL2tpHeader(d);
    return f.ok ? [d.subarray(f.value.payloadStart, f.value.payloadEnd)] : [];
  }).concat(hiddenBodies());
}

function checkTunnelOutputs(outs: readonly L2tpTunnelOutput[]): void {
  check(outs.length <= 16, `tunnel: ${outs.length} outputs for one input`);
  for (const o of outs) if (o.kind === 'send') check(o.bytes.length <= 1500, `tunnel: sent ${o.bytes.length} bytes`);
}

/** Every L2TP target. */
export const l2tpTargets: FuzzTarget[] = [
  {
    name: 'l2tp/header',
    seeds: l2tpDatagramSeeds,
    layout: L2TP_LAYOUT,
    maxPackets: 1,
    run([b]) {
      const r = parseL2tpHeader(b!);
      if (!r.ok) {
        check(WIRE_CODES.has(r.error.code), 'bad error code');
        return;
      }
      check(r.value.payloadStart <= r.value.payloadEnd && r.value.payloadEnd <= b!.length, 'payload outside the datagram');
    },
  },
  {
    name: 'l2tp/avp-message',
    seeds: bodySeeds,
    layout: L2TP_AVPS_LAYOUT,
    maxPackets: 1,
    run([b]) {
      for (const secret of [undefined, SECRET]) {
        const a = parseAvps(b!, secret);
        if (a.ok) for (const avp of a.value) check(avp.value.length <= b!.length, 'AVP value longer than the body');
        else check(WIRE_CODES.has(a.error.code), 'bad error code');
        const m = parseL2tpMessage(b!, secret);
        if (!m.ok) check(WIRE_CODES.has(m.error.code), 'bad error code');
      }
    },
  },
  {
    name: 'l2tp/tunnel-fsm',
    seeds: bodySeeds,
    layout: L2TP_AVPS_LAYOUT,
    maxPackets: 24,
    run(bodies) {
      const secret = bodies.length % 2 === 0 ? SECRET : undefined;
      const t = new L2tpTunnelFsm({ role: 'lns', localTunnelId: 5, hostName: 'lns', maxSessions: 4, ...(secret ? { secret } : {}) }, seededRng(bodies.length));
      let now = 0;
      let ns = 0;
      for (const body of bodies) {
        now += 50;
        // Mostly in-order Ns so hostile content reaches the message handlers, sometimes a jump.
        const jump = body.length % 11 === 0 ? (body[0] ?? 0) * 256 : 0;
        checkTunnelOutputs(t.handle({ type: 'packet', ns: (ns + jump) & 0xffff, nr: 0, sessionId: body.length % 3, body }, now));
        ns = (ns + 1) & 0xffff;
        check(t.sessions.size <= 4, `tunnel holds ${t.sessions.size} sessions over maxSessions`);
        const d = t.nextDeadline();
        if (d !== undefined && d <= now) checkTunnelOutputs(t.handle({ type: 'timeout' }, now));
      }
      for (let i = 0; i < 40; i++) {
        const d = t.nextDeadline();
        if (d === undefined) break;
        now = Math.max(now, d);
        checkTunnelOutputs(t.handle({ type: 'timeout' }, now));
      }
      check(t.nextDeadline() === undefined || t.state !== 'closed' || t.sessions.size === 0, 'closed tunnel keeps sessions');
    },
  },
  {
    name: 'l2tp/endpoint',
    seeds: l2tpDatagramSeeds,
    layout: L2TP_LAYOUT,
    maxPackets: 24,
    run(datagrams) {
      const ep = new L2tpEndpoint({ tunnel: { role: 'lns', hostName: 'lns', maxSessions: 4 }, maxTunnels: 8 }, seededRng(datagrams.length));
      let now = 0;
      for (const d of datagrams) {
        now += 20;
        const from: UdpPeer = { address: `192.0.2.${d.length % 4}`, port: 1701 };
        const outs = ep.receive(from, d, now);
        check(outs.length <= 24, `endpoint: ${outs.length} outputs`);
        for (const o of outs) if (o.kind === 'ppp') check(o.start <= o.end && o.end <= o.bytes.length, 'ppp view outside the datagram');
        check(ep.size <= 8, 'endpoint over maxTunnels');
      }
      for (let i = 0; i < 60; i++) {
        const d = ep.nextDeadline();
        if (d === undefined) break;
        now = Math.max(now, d);
        ep.timeout(now);
      }
      // Every tunnel times out (setup timeout, hello failure, close hold) and is freed: nothing leaks.
      check(ep.size === 0, `${ep.size} tunnels left after every timer ran`);
    },
  },
];
