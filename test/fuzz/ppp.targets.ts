/**
 * PPP fuzz targets: frame and HDLC codecs, every control-protocol option
 * parser, CHAP/PAP packets and MS-CHAP messages, the authentication machines
 * in both roles, the MPPE decrypter, and whole PppSessions fed hostile frames
 * in every phase of a real negotiation.
 */
import { seededRng } from '../../src/core/rng.js';
import type { Output } from '../../src/core/machine.js';
import { parsePppFrame, encodePppFrame } from '../../src/ppp/frame.js';
import { HdlcDecoder, encodeHdlcFrame, parseHdlcFrame } from '../../src/ppp/hdlc.js';
import { parseCpPacket, parseOptions } from '../../src/ppp/fsm/packet.js';
import { parseLcpOptions } from '../../src/ppp/lcp/options.js';
import { parseIpcpOptions } from '../../src/ppp/ipcp/options.js';
import { parseIpv6cpOptions } from '../../src/ppp/ipv6cp/ipv6cp.js';
import { parseCcpOptions } from '../../src/ppp/ccp/ccp.js';
import { parseChapPacket, parsePapPacket } from '../../src/ppp/auth/packets.js';
import { messageText, parseMsChapFailure, parseMsChapV2Success } from '../../src/ppp/auth/mschap-message.js';
import { AuthServer } from '../../src/ppp/auth/server.js';
import { AuthClient } from '../../src/ppp/auth/client.js';
import { verifyWithSecret } from '../../src/ppp/auth/verify.js';
import type { AuthOutput, AuthProtocol, VerifyRequest } from '../../src/ppp/auth/types.js';
import { MppeDecrypter, MppeEncrypter, isMppeDrop } from '../../src/ppp/mppe/mppe.js';
import { PppSession, type SessionOutput } from '../../src/ppp/session.js';
import type { Parsed } from '../../src/wire/parsed.js';
import { PPP_CP_LAYOUT, PPP_LAYOUT, PPP_OPTIONS_LAYOUT, type Layout } from './structure.js';
import { check, pppSeeds, type FuzzTarget } from './harness.js';

const WIRE_CODES = new Set(['TRUNCATED', 'BAD_LENGTH', 'BAD_VALUE', 'UNSUPPORTED']);

function parsedOk<T>(r: Parsed<T>, input: Uint8Array, what: string): r is Parsed<T> & { ok: true } {
  if (!r.ok) {
    check(WIRE_CODES.has(r.error.code), `${what}: unknown error code ${r.error.code}`);
    check(r.error.offset >= 0 && r.error.offset <= input.length + 4, `${what}: error offset ${r.error.offset} outside the input`);
    return false;
  }
  check(r.bytesRead <= input.length, `${what}: bytesRead past the input`);
  return true;
}

function parserTarget(name: string, seeds: () => Uint8Array[], parse: (b: Uint8Array) => Parsed<unknown>, layout: Layout): FuzzTarget {
  return {
    name,
    seeds,
    layout,
    maxPackets: 1,
    run([b]) {
      parsedOk(parse(b!), b!, name);
    },
  };
}

// Real control packets of every kind: a clean server/client negotiation with MPPE, recorded once.
let negotiation: Uint8Array[] | undefined;
const requests: VerifyRequest[] = [];

/** The VerifyRequests of the clean negotiations, one per authentication protocol. */
export function verifyRequests(): VerifyRequest[] {
  negotiationSeeds();
  return requests;
}
const PROTOCOLS: AuthProtocol[] = ['pap', 'chap-md5', 'mschap-v1', 'mschap-v2'];

/** A server/client pair with the server requiring `require` (and MPPE unless told not to). */
export function newPair(seed: number, require: AuthProtocol = 'mschap-v2', mppe = true): { s: PppSession; c: PppSession } {
  const s = new PppSession(
    {
      role: 'server',
      auth: { require: [require] },
      localAddress: '10.5.0.1',
      peerAddress: '10.5.0.2',
      echoIntervalMs: 0,
      ipv6: seed % 2 === 0,
      ...(mppe ? {} : { mppe: { strengths: [], required: false, allowStateful: false } }),
    },
    seededRng(seed),
  );
  const c = new PppSession({ role: 'client', auth: { username: 'u', password: 'p', accept: PROTOCOLS }, echoIntervalMs: 0, ipv6: seed % 2 === 0 }, seededRng(seed + 1));
  return { s, c };
}

/** Frames of a whole clean negotiation (both directions). */
/** Closes `s` and runs its timers: whatever happened before, it must end in Dead within 20 deadlines. */
export function closeToDead(s: PppSession, apply: (from: PppSession, outs: SessionOutput[]) => void, now: number): void {
  apply(s, s.close('fuzz', now));
  for (let i = 0; i < 20 && s.phase !== 'Dead'; i++) {
    const d = s.nextDeadline();
    if (d === undefined) break;
    now = Math.max(now, d);
    apply(s, s.timeout(now));
  }
  check(s.phase === 'Dead', `server still in ${s.phase} after close and its timers`);
}

export function negotiationSeeds(): Uint8Array[] {
  if (negotiation) return negotiation;
  const frames: Uint8Array[] = [];
  for (const proto of PROTOCOLS) {
    const { s, c } = newPair(2, proto, proto.startsWith('mschap'));
    const queue: { to: PppSession; bytes: Uint8Array }[] = [];
    const apply = (from: PppSession, outs: SessionOutput[]): void => {
      for (const o of outs) {
        if (o.kind === 'send') {
          frames.push(o.bytes);
          queue.push({ to: from === s ? c : s, bytes: o.bytes });
        } else if (o.kind === 'event' && o.event.type === 'verify') {
          requests.push(o.event.request);
          apply(from, from.verdict(o.event.request.requestId, verifyWithSecret(o.event.request, 'p'), 0));
        }
      }
    };
    apply(s, s.start(0));
    apply(c, c.start(0));
    for (let i = 0; i < 200 && queue.length; i++) {
      const q = queue.shift()!;
      apply(q.to, q.to.receiveFrame(q.bytes, 0));
    }
    // A few data packets each way, encrypted when MPPE runs.
    const ip = new Uint8Array(60);
    ip[0] = 0x45;
    for (let i = 0; i < 3; i++) {
      const a = s.sendIp(ip, 0);
      const b = c.sendIp(ip, 0);
      if (a) frames.push(Uint8Array.from(a));
      if (b) frames.push(Uint8Array.from(b));
    }
  }
  negotiation = frames;
  return frames;
}

function allPppSeeds(): Uint8Array[] {
  return [...negotiationSeeds(), ...pppSeeds().slice(0, 500)];
}

/** The information field of each seed frame (after an FF 03 + 2-octet protocol header when present). */
function infoSeeds(): Uint8Array[] {
  return allPppSeeds().map((f) => {
    const r = parsePppFrame(f);
    return r.ok ? r.value.information : f;
  });
}

/** Configure-Request options lists (the data after the 4-octet CP header). */
function optionSeeds(): Uint8Array[] {
  return infoSeeds()
    .filter((p) => p.length > 4 && p[0]! >= 1 && p[0]! <= 4)
    .map((p) => p.subarray(4));
}

function checkSessionOutputs(outs: readonly SessionOutput[], what: string): void {
  check(outs.length <= 24, `${what}: ${outs.length} outputs for one input`);
  for (const o of outs) if (o.kind === 'send') check(o.bytes.length <= 1600, `${what}: sent a ${o.bytes.length}-byte frame`);
}

function checkAuthOutputs(outs: readonly AuthOutput[]): void {
  check(outs.length <= 8, `auth: ${outs.length} outputs for one input`);
  for (const o of outs) if (o.kind === 'send') check(o.bytes.length <= 1500, `auth: sent ${o.bytes.length} bytes`);
}

const mppeKey = new Uint8Array(16).fill(7);
let mppeSeedCache: Uint8Array[] | undefined;
function mppeSeeds(): Uint8Array[] {
  if (mppeSeedCache) return mppeSeedCache;
  const out: Uint8Array[] = [];
  for (const stateless of [true, false]) {
    const enc = new MppeEncrypter(mppeKey, { strength: 128, stateless });
    for (let i = 0; i < 20; i++) {
      const p = new Uint8Array(40 + i).fill(i);
      p[0] = 0x00;
      p[1] = 0x21;
      const buf = new Uint8Array(p.length + 4);
      const n = enc.encrypt(p, buf, 0);
      out.push(buf.subarray(0, n));
    }
  }
  mppeSeedCache = out;
  return out;
}

/** Every PPP target. */
export const pppTargets: FuzzTarget[] = [
  {
    name: 'ppp/frame',
    seeds: allPppSeeds,
    layout: PPP_LAYOUT,
    maxPackets: 1,
    run([b]) {
      const r = parsePppFrame(b!);
      if (!parsedOk(r, b!, 'ppp frame')) return;
      check(r.value.information.length <= b!.length, 'payload longer than the frame');
      check(encodePppFrame(r.value).length <= b!.length + 4, 're-encoded frame grew');
    },
  },
  {
    name: 'ppp/hdlc',
    seeds: () => allPppSeeds().map((f) => encodeHdlcFrame(f)),
    maxPackets: 12,
    maxBytes: 1200,
    run(chunks) {
      const d = new HdlcDecoder({ maxFrameBytes: 256 });
      for (const c of chunks) {
        parsedOk(parseHdlcFrame(c), c, 'hdlc');
        for (const r of d.push(c)) if (r.ok) check(r.frame.length <= 256, 'HDLC frame beyond maxFrameBytes');
      }
    },
  },
  parserTarget('ppp/cp-packet', infoSeeds, parseCpPacket, PPP_CP_LAYOUT),
  parserTarget('ppp/cp-options', optionSeeds, parseOptions, PPP_OPTIONS_LAYOUT),
  parserTarget('ppp/lcp-options', optionSeeds, parseLcpOptions, PPP_OPTIONS_LAYOUT),
  parserTarget('ppp/ipcp-options', optionSeeds, parseIpcpOptions, PPP_OPTIONS_LAYOUT),
  parserTarget('ppp/ipv6cp-options', optionSeeds, parseIpv6cpOptions, PPP_OPTIONS_LAYOUT),
  parserTarget('ppp/ccp-options', optionSeeds, parseCcpOptions, PPP_OPTIONS_LAYOUT),
  {
    name: 'ppp/auth-packets',
    seeds: infoSeeds,
    layout: PPP_CP_LAYOUT,
    maxPackets: 1,
    run([b]) {
      const c = parseChapPacket(b!);
      parsedOk(c, b!, 'chap');
      parsedOk(parsePapPacket(b!), b!, 'pap');
      // MS-CHAP Failure/Success text (RFC 2759 §6, §5) arrives in the message field.
      const text = messageText(b!);
      const f = parseMsChapFailure(text);
      check(f.code === undefined || Number.isSafeInteger(f.code), `failure code ${f.code} is not an integer`);
      check(f.version === undefined || Number.isSafeInteger(f.version), `version ${f.version} is not an integer`);
      if (f.challenge) check(f.challenge.length <= b!.length, 'challenge larger than the message');
      parseMsChapV2Success(text);
    },
  },
  ...PROTOCOLS.map(
    (protocol): FuzzTarget => ({
      name: `ppp/auth-server-${protocol}`,
      seeds: infoSeeds,
      layout: PPP_CP_LAYOUT,
      maxPackets: 12,
      run(packets) {
        const m = new AuthServer({ protocol, name: 'tunppp', maxRetries: 2 }, seededRng(packets.length));
        let now = 0;
        const feed = (outs: AuthOutput[]): void => {
          checkAuthOutputs(outs);
          for (const o of outs) {
            if (o.kind === 'event' && o.event.type === 'verify') feed(m.handle({ type: 'verdict', requestId: o.event.request.requestId, verdict: verifyWithSecret(o.event.request, 'p') }, now));
          }
        };
        feed(m.handle({ type: 'start' }, now));
        for (const p of packets) {
          now += 100;
          feed(m.handle({ type: 'packet', bytes: p }, now));
          const d = m.nextDeadline();
          if (p.length % 7 === 0 && d !== undefined) feed(m.handle({ type: 'timeout' }, (now = Math.max(now, d))));
        }
      },
    }),
  ),
  ...PROTOCOLS.map(
    (protocol): FuzzTarget => ({
      name: `ppp/auth-client-${protocol}`,
      seeds: infoSeeds,
      layout: PPP_CP_LAYOUT,
      maxPackets: 12,
      run(packets) {
        const m = new AuthClient({ protocol, username: 'u', password: 'p', policy: { accept: PROTOCOLS } }, seededRng(packets.length));
        let now = 0;
        checkAuthOutputs(m.handle({ type: 'start' }, now));
        for (const p of packets) {
          now += 100;
          checkAuthOutputs(m.handle({ type: 'packet', bytes: p }, now));
          const d = m.nextDeadline();
          if (p.length % 7 === 0 && d !== undefined) checkAuthOutputs(m.handle({ type: 'timeout' }, (now = Math.max(now, d))));
        }
      },
    }),
  ),
  {
    name: 'ppp/mppe-decrypter',
    seeds: mppeSeeds,
    maxPackets: 16,
    maxBytes: 1600,
    run(packets) {
      const stateless = packets[0]!.length % 2 === 0;
      const d = new MppeDecrypter(mppeKey, { strength: 128, stateless });
      const out = new Uint8Array(1600);
      for (const p of packets) {
        const r = d.decrypt(p, out, 0);
        if (isMppeDrop(r)) check(typeof r.reason === 'string', 'drop without a reason');
        else check(r >= 0 && r <= p.length, `plaintext of ${r} bytes from a ${p.length}-byte packet`);
        d.takeResetRequest();
      }
    },
  },
  {
    name: 'ppp/session',
    weight: 2,
    seeds: allPppSeeds,
    layout: PPP_LAYOUT,
    maxPackets: 16,
    maxBytes: 1600,
    run(hostile) {
      // A real negotiation; hostile frames go to either side at the step their first octet picks,
      // so they land in Establish, Authenticate, Network and after link-up alike.
      const seed = hostile.length;
      const { s, c } = newPair(seed, PROTOCOLS[seed % 4]!, seed % 3 !== 0);
      const queue: { to: PppSession; bytes: Uint8Array }[] = [];
      let now = 0;
      const apply = (from: PppSession, outs: SessionOutput[]): void => {
        checkSessionOutputs(outs, from === s ? 'server' : 'client');
        for (const o of outs) {
          if (o.kind === 'send') {
            if (queue.length < 500) queue.push({ to: from === s ? c : s, bytes: o.bytes });
          } else if (o.kind === 'event' && o.event.type === 'verify') apply(from, from.verdict(o.event.request.requestId, verifyWithSecret(o.event.request, 'p'), now));
        }
      };
      apply(s, s.start(now));
      apply(c, c.start(now));
      const at = new Map<number, Uint8Array[]>();
      for (const h of hostile) {
        const step = (h[0] ?? 0) % 40;
        at.set(step, [...(at.get(step) ?? []), h]);
      }
      for (let step = 0; step < 120; step++) {
        for (const h of at.get(step) ?? []) {
          const to = h.length % 2 ? s : c;
          const before = to.counters.framesIn;
          apply(to, to.receiveFrame(h, now));
          check(to.counters.framesIn >= before, 'framesIn went backwards');
        }
        const q = queue.shift();
        if (q) apply(q.to, q.to.receiveFrame(q.bytes, now));
        else {
          // Idle: let timers run so restart counters and Max-Failure are exercised.
          const d = Math.min(s.nextDeadline() ?? Infinity, c.nextDeadline() ?? Infinity);
          if (d === Infinity) {
            if (step > 40) break;
            continue;
          }
          now = Math.max(now, d);
          apply(s, s.timeout(now));
          apply(c, c.timeout(now));
        }
      }
      // Whatever happened, closing ends in Dead in bounded time.
      closeToDead(s, apply, now);
    },
  },
];

export type { Output };
