/**
 * Structure-aware targets that reach deep states: two of our own machines
 * talk to each other (PPTP PNS ↔ PAC, L2TP LAC ↔ LNS, PPP client ↔ server)
 * and the fuzz input is a short program of edits a man in the middle makes
 * to the messages in flight (structure.ts: AVPs, options and attributes
 * dropped, duplicated, borrowed from real captures, lengths that lie, fields
 * at edge values, PPTP messages retyped; whole messages dropped, repeated,
 * split or replaced by a mutated real packet). Because everything else in
 * the exchange stays valid, an edit lands in the middle of a call, a session
 * or an authentication instead of at the first length check. Also: RADIUS
 * replies edited and then correctly signed, so hostile content gets past the
 * authenticator check, and real logs edited line by line for the doctor.
 */
import { seededRng } from '../../src/core/rng.js';
import { PptpControl, type ControlOutput } from '../../src/pptp/control-fsm.js';
import { PPTP_MAX_MESSAGE_BYTES } from '../../src/pptp/control-codec.js';
import { L2tpEndpoint, type L2tpEndpointOutput, type UdpPeer } from '../../src/l2tp/endpoint.js';
import { PppSession, type SessionOutput } from '../../src/ppp/session.js';
import type { MppePolicy } from '../../src/ppp/ccp/ccp.js';
import { verifyWithSecret } from '../../src/ppp/auth/verify.js';
import type { AuthProtocol } from '../../src/ppp/auth/types.js';
import { RADIUS_CODE, parseRadiusPacket, signResponse, textAttr, ATTR } from '../../src/radius/codec.js';
import { accessRequest, authResultFromResponse } from '../../src/radius/auth.js';
import { analyzeTexts } from '../../src/doctor/analyze.js';
import { check, ikeSeeds, pptpControlSeeds, pppSeeds, utf8, type FuzzTarget } from './harness.js';
import { decodeEdits, itemPool, L2TP_LAYOUT, mutateLines, mutateStructure, PPP_LAYOUT, PPTP_LAYOUT, RADIUS_LAYOUT, STRUCTURE_OPS, type Edit, type Layout } from './structure.js';
import { l2tpDatagramSeeds } from './l2tp.targets.js';
import { CONFIG_PARSERS, configSeeds, logSeeds } from './text.targets.js';
import { ConfigError } from '../../src/core/errors.js';
import { closeToDead, negotiationSeeds, newPair } from './ppp.targets.js';
import { radiusClient, radiusFirstRequests, radiusReplySeeds, RADIUS_SECRET } from './radius.targets.js';

/** Message-level ops after the structural ones. */
const DROP = STRUCTURE_OPS;
const REPEAT = STRUCTURE_OPS + 1;
const REPLACE = STRUCTURE_OPS + 2;
const SPLIT = STRUCTURE_OPS + 3;
const REFLECT = STRUCTURE_OPS + 4;
const OPS = STRUCTURE_OPS + 5;

/** A message on its way: to the peer, or reflected back to its sender (loopback, our own words heard back). */
interface Passed {
  back: boolean;
  bytes: Uint8Array;
}

/**
 * The man in the middle: what arrives for message `index` of the flow. Most
 * messages pass unchanged; an edit whose `at` (mod `span`) hits the index
 * rewrites it. Several edits may hit one message.
 */
class Middle {
  private readonly byIndex = new Map<number, Edit[]>();
  private readonly pool: Uint8Array[];

  constructor(
    edits: readonly Edit[],
    span: number,
    private readonly layout: Layout,
    private readonly donors: readonly Uint8Array[],
  ) {
    for (const e of edits) {
      const k = e.at % span;
      this.byIndex.set(k, [...(this.byIndex.get(k) ?? []), e]);
    }
    this.pool = itemPool(donors, layout);
  }

  /** The messages delivered instead of `b` (none: dropped; two: repeated or split). */
  pass(index: number, b: Uint8Array): Passed[] {
    let out: Passed[] = [{ back: false, bytes: b }];
    for (const e of this.byIndex.get(index) ?? []) {
      const op = e.op % OPS;
      if (op === DROP) out = [];
      else if (op === REPEAT) out = [...out, ...out];
      else if (op === REFLECT) out = out.map((m) => ({ back: !m.back, bytes: m.bytes }));
      else if (op === SPLIT) {
        out = out.flatMap((m) => {
          const n = m.bytes.length;
          const at = n > 1 ? (e.x % (n - 1)) + 1 : n;
          return n > 1 ? [{ back: m.back, bytes: m.bytes.subarray(0, at) }, { back: m.back, bytes: m.bytes.subarray(at) }] : [m];
        });
      } else if (op === REPLACE && this.donors.length) out = [{ back: false, bytes: mutateStructure(this.donors[(e.x * 256 + e.y) % this.donors.length]!, this.layout, { op: e.y, x: e.x, y: e.y }, this.pool) }];
      else out = out.map((m) => ({ back: m.back, bytes: mutateStructure(m.bytes, this.layout, e, this.pool) }));
    }
    return out;
  }
}

function checkControl(outs: readonly ControlOutput[], what: string): void {
  check(outs.length <= 64, `${what}: ${outs.length} outputs for one input`);
  for (const o of outs) if (o.kind === 'send') check(o.bytes.length <= PPTP_MAX_MESSAGE_BYTES, `${what}: sent ${o.bytes.length} bytes`);
}

/** PPTP: a PNS and a PAC of ours, TCP in between edited by the fuzz input. */
function pptpMitm(input: Uint8Array[]): void {
  const edits = decodeEdits(input[0] ?? new Uint8Array(0));
  const seed = input[0]?.length ?? 0;
  const pns = new PptpControl({ role: 'client', rng: seededRng(seed + 1), maxCalls: 2 });
  const pac = new PptpControl({ role: 'server', rng: seededRng(seed + 2), maxCalls: 2, handshakeTimeoutMs: 5000 });
  const mid = new Middle(edits, 24, PPTP_LAYOUT, pptpControlSeeds());
  const wire: { to: PptpControl; bytes: Uint8Array }[] = [];
  let now = 0;
  let index = 0;
  let pnsCalls = 0;
  const apply = (from: PptpControl, outs: ControlOutput[]): void => {
    checkControl(outs, from === pns ? 'pns' : 'pac');
    for (const o of outs) {
      if (o.kind === 'send') {
        if (wire.length < 200) for (const m of mid.pass(index++, o.bytes)) wire.push({ to: (from === pns) !== m.back ? pac : pns, bytes: m.bytes });
      } else if (o.kind === 'event' && from === pns) {
        // The PNS places calls once up, and sets link info on each.
        if (o.event.type === 'control-up' || (o.event.type === 'call-down' && pnsCalls < 3)) {
          pnsCalls++;
          apply(pns, pns.handle({ type: 'open-call' }, now));
        } else if (o.event.type === 'call-up') apply(pns, pns.handle({ type: 'set-link-info', callId: o.event.callId, sendAccm: 0, receiveAccm: 0xffffffff }, now));
      } else if (o.kind === 'event' && from === pac && o.event.type === 'control-up' && seed % 3 === 0) apply(pac, pac.handle({ type: 'open-call' }, now));
    }
  };
  apply(pac, pac.handle({ type: 'tcp-open' }, now));
  apply(pns, pns.handle({ type: 'tcp-open' }, now));
  for (let step = 0; step < 200; step++) {
    const w = wire.shift();
    if (w) {
      now += 10;
      apply(w.to, w.to.handle({ type: 'data', bytes: w.bytes }, now));
      continue;
    }
    // Quiet: run the earliest timer (echo, handshake, call setup), a bounded number of times.
    const d = Math.min(pns.nextDeadline() ?? Infinity, pac.nextDeadline() ?? Infinity);
    if (d === Infinity || step > 150) break;
    now = Math.max(now, d);
    apply(pns, pns.handle({ type: 'timeout' }, now));
    apply(pac, pac.handle({ type: 'timeout' }, now));
  }
  // A stop from the PNS, then the TCP connection goes: both ends end closed with no timer left.
  apply(pns, pns.handle({ type: 'stop' }, now));
  for (const w of wire.splice(0)) apply(w.to, w.to.handle({ type: 'data', bytes: w.bytes }, now));
  for (const m of [pns, pac]) {
    apply(m, m.handle({ type: 'tcp-closed' }, now));
    check(m.nextDeadline() === undefined, `${m === pns ? 'pns' : 'pac'}: a timer survives the closed connection (state ${m.state})`);
  }
}

/** L2TP: a LAC and an LNS of ours, UDP in between edited by the fuzz input. */
function l2tpMitm(input: Uint8Array[]): void {
  const edits = decodeEdits(input[0] ?? new Uint8Array(0));
  const seed = input[0]?.length ?? 0;
  const secret = seed % 2 ? new TextEncoder().encode('tunnel-secret') : undefined;
  const lns = new L2tpEndpoint({ tunnel: { role: 'lns', hostName: 'lns', maxSessions: 4, ...(secret ? { secret } : {}) }, maxTunnels: 4 }, seededRng(seed + 1));
  const lac = new L2tpEndpoint({ tunnel: { role: 'lac', hostName: 'lac', maxSessions: 4, ...(secret ? { secret } : {}) }, maxTunnels: 4 }, seededRng(seed + 2));
  const lnsAddr: UdpPeer = { address: '10.0.0.1', port: 1701 };
  const lacAddr: UdpPeer = { address: '10.0.0.2', port: 1701 };
  const mid = new Middle(edits, 24, L2TP_LAYOUT, [...l2tpDatagramSeeds(), ...ikeSeeds()]);
  const wire: { to: L2tpEndpoint; bytes: Uint8Array }[] = [];
  let now = 0;
  let index = 0;
  let sessions = 0;
  const apply = (from: L2tpEndpoint, outs: L2tpEndpointOutput[]): void => {
    check(outs.length <= 32, `l2tp: ${outs.length} outputs for one input`);
    for (const o of outs) {
      if (o.kind === 'send') {
        check(o.bytes.length <= 1500, `l2tp: sent ${o.bytes.length} bytes`);
        if (wire.length < 200) for (const m of mid.pass(index++, o.bytes)) wire.push({ to: (from === lac) !== m.back ? lns : lac, bytes: m.bytes });
      } else if (o.kind === 'ppp') check(o.start <= o.end && o.end <= o.bytes.length, 'ppp view outside the datagram');
      else if (o.kind === 'event' && from === lac && o.event.type === 'tunnel-up' && sessions < 3) {
        sessions++;
        apply(lac, lac.command(o.tunnelId, { type: 'open-session' }, now));
      } else if (o.kind === 'event' && from === lns && o.event.type === 'tunnel-up' && seed % 3 === 0) apply(lns, lns.command(o.tunnelId, { type: 'open-session' }, now));
    }
  };
  const c = lac.connect(lnsAddr, now);
  apply(lac, c.out);
  for (let step = 0; step < 200; step++) {
    const w = wire.shift();
    if (w) {
      now += 20;
      apply(w.to, w.to.receive(w.to === lns ? lacAddr : lnsAddr, w.bytes, now));
      continue;
    }
    const d = Math.min(lac.nextDeadline() ?? Infinity, lns.nextDeadline() ?? Infinity);
    if (d === Infinity || step > 120) break;
    now = Math.max(now, d);
    apply(lac, lac.timeout(now));
    apply(lns, lns.timeout(now));
  }
  if (c.tunnelId !== undefined && seed % 4 === 0) apply(lac, lac.command(c.tunnelId, { type: 'close' }, now));
  // Then the network goes silent: every tunnel on both ends times out and is freed.
  for (let i = 0; i < 400 && (lac.size || lns.size); i++) {
    const d = Math.min(lac.nextDeadline() ?? Infinity, lns.nextDeadline() ?? Infinity);
    if (d === Infinity) break;
    now = Math.max(now, d);
    lac.timeout(now);
    lns.timeout(now);
  }
  check(lac.size === 0 && lns.size === 0, `tunnels left after silence: lac ${lac.size}, lns ${lns.size}`);
}

const PROTOCOLS: AuthProtocol[] = ['pap', 'chap-md5', 'mschap-v1', 'mschap-v2'];

function checkSession(outs: readonly SessionOutput[]): void {
  check(outs.length <= 64, `ppp: ${outs.length} outputs for one input`);
  for (const o of outs) if (o.kind === 'send') check(o.bytes.length <= 1600, `ppp: sent ${o.bytes.length} bytes`);
}

/** MPPE policies that agree, disagree on strength or mode, or leave MPPE out, so CCP Naks and Rejects happen. */
const MPPE_POLICIES: MppePolicy[] = [
  { strengths: [128], required: true, allowStateful: false },
  { strengths: [40, 56, 128], required: false, allowStateful: true },
  { strengths: [40], required: false, allowStateful: false },
  { strengths: [56, 128], required: true, allowStateful: true },
  { strengths: [], required: false, allowStateful: false },
];

/** A server/client pair whose options (auth protocol, MPPE policies, MRU, compression, IPv6) come from `seed` and `k`. */
function variedPair(seed: number, k: number): { s: PppSession; c: PppSession } {
  if (k % 3 === 0) return newPair(seed, PROTOCOLS[seed % 4]!, seed % 3 !== 0);
  const require = PROTOCOLS[seed % 4]!;
  const s = new PppSession(
    { role: 'server', auth: { require: [require] }, localAddress: '10.5.0.1', peerAddress: '10.5.0.2', echoIntervalMs: 0, ipv6: k % 2 === 0, mppe: MPPE_POLICIES[k % 5]!, mru: [1500, 1400, 576][k % 3]!, pfc: k % 4 !== 1 },
    seededRng(seed),
  );
  const c = new PppSession(
    { role: 'client', auth: { username: 'u', password: 'p', accept: PROTOCOLS }, echoIntervalMs: 0, ipv6: k % 3 !== 1, mppe: MPPE_POLICIES[(k >> 2) % 5]!, mru: [1400, 1500, 1280][(k >> 1) % 3]!, acfc: k % 5 !== 2 },
    seededRng(seed + 1),
  );
  return { s, c };
}

/** PPP: a client and a server session of ours, frames in between edited by the fuzz input. */
function pppMitm(input: Uint8Array[]): void {
  const edits = decodeEdits(input[0] ?? new Uint8Array(0));
  const seed = input[0]?.length ?? 0;
  const { s, c } = variedPair(seed, edits[0]?.x ?? 0);
  const mid = new Middle(edits, 40, PPP_LAYOUT, [...negotiationSeeds(), ...pppSeeds().slice(0, 300)]);
  const wire: { to: PppSession; bytes: Uint8Array }[] = [];
  let now = 0;
  let index = 0;
  const apply = (from: PppSession, outs: SessionOutput[]): void => {
    checkSession(outs);
    for (const o of outs) {
      if (o.kind === 'send') {
        if (wire.length < 300) for (const m of mid.pass(index++, o.bytes)) wire.push({ to: (from === s) !== m.back ? c : s, bytes: m.bytes });
      } else if (o.kind === 'event' && o.event.type === 'verify') apply(from, from.verdict(o.event.request.requestId, verifyWithSecret(o.event.request, 'p'), now));
    }
  };
  apply(s, s.start(now));
  apply(c, c.start(now));
  const ip = new Uint8Array(60);
  ip[0] = 0x45;
  for (let step = 0; step < 160; step++) {
    const w = wire.shift();
    if (w) {
      now += 5;
      apply(w.to, w.to.receiveFrame(w.bytes, now));
      continue;
    }
    // Quiet: data both ways once (through MPPE when it runs, edited like the rest), then timers.
    if (step % 16 === 0) {
      for (const [from, to] of [[s, c], [c, s]] as const) {
        const f = from.sendIp(ip, now);
        if (f) for (const m of mid.pass(index++, Uint8Array.from(f))) wire.push({ to: m.back ? from : to, bytes: m.bytes });
      }
      if (wire.length) continue;
    }
    const d = Math.min(s.nextDeadline() ?? Infinity, c.nextDeadline() ?? Infinity);
    if (d === Infinity) break;
    now = Math.max(now, d);
    apply(s, s.timeout(now));
    apply(c, c.timeout(now));
  }
  closeToDead(s, apply, now);
}

/** RADIUS: a signed reply edited attribute by attribute, then signed again, to a client waiting for it. */
function radiusSigned(input: Uint8Array[]): void {
  const edits = decodeEdits(input[0] ?? new Uint8Array(0));
  const reqs = radiusFirstRequests();
  const replies = radiusReplySeeds();
  if (reqs.length === 0 || replies.length === 0) throw new Error('radius seeds missing');
  const k = (input[0]?.length ?? 0) % replies.length;
  // Replies are made three per request, in request order.
  const which = reqs[Math.floor(k / 3) % reqs.length]!;
  const pool = itemPool(replies, RADIUS_LAYOUT);
  let reply = replies[k]!;
  for (const e of edits) reply = mutateStructure(reply, RADIUS_LAYOUT, e, pool);
  const signable = parseRadiusPacket(reply).ok && reply.length >= 20;
  if (signable && (edits[0]?.y ?? 0) % 8 !== 0) reply = signResponse(Uint8Array.from(reply), which.authenticator, RADIUS_SECRET);
  const cl = radiusClient();
  const parts = accessRequest(which.req, { nasIdentifier: 'tunppp' });
  const sent = cl.handle({ type: 'request', tag: 1, code: RADIUS_CODE.ACCESS_REQUEST, attributes: parts.attributes.length ? parts.attributes : [textAttr(ATTR.USER_NAME, 'u')] }, 0);
  const req = sent.find((o) => o.kind === 'send');
  // The client's identifier and authenticator are the recorded ones (same seed): the reply matches its request.
  check(req?.kind === 'send' && req.bytes[1] === which.bytes[1], 'radius client did not replay its first request');
  const outs = cl.handle({ type: 'response', server: 0, bytes: reply }, 10);
  check(outs.length <= 8, `radius client: ${outs.length} outputs`);
  for (const o of outs) {
    if (o.kind !== 'event' || o.event.type !== 'response') continue;
    const r = authResultFromResponse(which.req, o.event.packet, o.event.secret, o.event.requestAuthenticator);
    check(typeof r === 'object' && r !== null, 'no result');
  }
}

let linePool: string[] | undefined;
/** Doctor: real logs edited line by line (dropped, repeated, spliced, cut, grown, renumbered). */
function doctorLines(input: Uint8Array[]): void {
  const logs = logSeeds().map((b) => utf8.decode(b));
  linePool ??= logs.flatMap((t) => t.split('\n')).filter((l) => l.length > 0);
  const edits = decodeEdits(input[0] ?? new Uint8Array(0));
  const first = edits[0]?.at ?? 0;
  const files = [logs[first % logs.length]!, logs[(first * 7 + 3) % logs.length]!];
  for (const e of edits) files[e.at % 2] = mutateLines(files[e.at % 2]!, e, linePool);
  const r = analyzeTexts(files.map((text, i) => ({ name: `log${i}`, text })), { year: 2020 });
  const st = r.stats;
  check(st.eventLines + st.benignLines + st.unknownLines + st.otherLines === st.lines, 'a line counted twice or not at all');
  JSON.stringify(r);
}

/** Config files (the samples and the shipped example) edited line by line, to every reader: only ConfigError may come out. */
function configLines(input: Uint8Array[]): void {
  const seeds = configSeeds().map((b) => utf8.decode(b));
  const edits = decodeEdits(input[0] ?? new Uint8Array(0));
  let text = seeds[(edits[0]?.at ?? 0) % seeds.length]!;
  for (const e of edits) text = mutateLines(text, e, []);
  for (const [name, parse] of CONFIG_PARSERS) {
    try {
      parse(text);
    } catch (err) {
      check(err instanceof ConfigError, `${name} threw ${String(err)}`);
    }
  }
}

/** A target whose one input is an edit program (4 octets per edit, at most `maxEdits`). */
function editTarget(name: string, maxEdits: number, run: (input: Uint8Array[]) => void, weight = 1): FuzzTarget {
  return { name, seeds: () => [], maxPackets: 1, maxBytes: 4 * maxEdits, run, weight };
}

/** Every structure-aware target. */
export const structureTargets: FuzzTarget[] = [
  editTarget('pptp/mitm-pns-pac', 6, pptpMitm, 3),
  editTarget('l2tp/mitm-lac-lns', 6, l2tpMitm, 3),
  editTarget('ppp/mitm-client-server', 6, pppMitm, 4),
  editTarget('radius/signed-edited-reply', 4, radiusSigned),
  editTarget('doctor/edited-logs', 8, doctorLines),
  editTarget('config/edited-files', 6, configLines),
];
