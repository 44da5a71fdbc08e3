/**
 * Link Control Protocol (RFC 1661 §5–§6, RFC 1570 §2 Identification and
 * Time-Remaining, RFC 1994 §3 CHAP algorithms incl. Microsoft 0x80/0x81).
 * Read RFC 1661 §6 before editing the option rules.
 *
 * `Lcp` runs one `Fsm` with the LCP negotiation handler, plus what only LCP
 * has: the Echo-Request keepalive (interval and failure count, like pppd's
 * lcp-echo-interval / lcp-echo-failure), Magic-Number loopback detection,
 * Protocol-Reject in both directions, Discard-Request, Identification and
 * Time-Remaining.
 *
 * Negotiated options: MRU, ACCM, Authentication-Protocol (PAP, CHAP-MD5,
 * MS-CHAPv1, MS-CHAPv2), Magic-Number, PFC, ACFC. Deliberately refused
 * with Configure-Reject: Quality-Protocol (LQR), Callback (Windows asks for
 * CBCP with option 13; test/ppp/capture-replay.test.ts), Multilink MRRU,
 * Short-Sequence and Endpoint-Discriminator, and every unknown type.
 */
import { CP_CODE, PPP_PROTO, protocolName } from '../protocols.js';
import type { Millis } from '../../core/machine.js';
import { randomU32, type Rng } from '../../core/rng.js';
import { Fsm, type CiResult, type ExtResult, type FsmOptions, type FsmOutput, type FsmState, type NegotiationHandler, type ReqciResult } from '../fsm/fsm.js';
import { bytesEqual, encodeCpPacket, readU16, readU32, type CpPacket } from '../fsm/packet.js';
import { encodeLcpOptions, parseLcpOptions, type LcpOption } from './options.js';
import { authProtocolFromLcp, lcpAuthOption, type AuthProtocol } from '../auth/types.js';

/** RFC 1661 §6.1 default MRU. */
export const DEFAULT_MRU = 1500;
/** Smallest MRU we agree to (pppd PPP_MINMRU). */
export const MIN_MRU = 128;

/** LCP policy for one end. */
export interface LcpConfig {
  /** Our MRU (what we can receive); requested when not 1500. */
  mru: number;
  /** ACCM we ask for (RFC 1662 §7.1); undefined: do not request. PPTP/L2TP peers ask for 0. */
  accm?: number;
  /** Request and accept Protocol-Field-Compression. */
  pfc: boolean;
  /** Request and accept Address-and-Control-Field-Compression. */
  acfc: boolean;
  /** Protocols we make the peer authenticate with, most preferred first (server). Empty: no auth. */
  requireAuth: readonly AuthProtocol[];
  /** Protocols we agree to authenticate ourselves with, most preferred first (client). */
  acceptAuth: readonly AuthProtocol[];
  /** Echo-Request period in ms; 0 turns keepalive off (pppd lcp-echo-interval). */
  echoIntervalMs: number;
  /** Unanswered Echo-Requests before the link is declared dead (pppd lcp-echo-failure). */
  echoFailures: number;
  /** Magic-Number collisions in a row taken as a looped-back link. */
  loopbackLimit: number;
  /** Restart timer and counters. */
  fsm?: Partial<FsmOptions>;
}

/** Defaults matching pppd/pptpd. */
export const DEFAULT_LCP_CONFIG: LcpConfig = {
  mru: DEFAULT_MRU,
  accm: 0,
  pfc: true,
  acfc: true,
  requireAuth: [],
  acceptAuth: ['mschap-v2', 'mschap-v1', 'chap-md5', 'pap'],
  echoIntervalMs: 30_000,
  echoFailures: 4,
  loopbackLimit: 5,
};

/** What LCP agreed, valid while Opened. */
export interface LcpNegotiated {
  /** The MRU the peer acked for us (how big the peer may send to us). */
  localMru: number;
  /** The peer's MRU (the largest frame we may send). */
  peerMru: number;
  localMagic: number;
  peerMagic: number;
  /** How we authenticate the peer (our acked Authentication-Protocol). */
  authPeer: AuthProtocol | undefined;
  /** How the peer authenticates us (its Authentication-Protocol we acked). */
  authSelf: AuthProtocol | undefined;
  /** We may send compressed protocol fields (the peer asked for PFC, we acked). */
  txPfc: boolean;
  /** We may omit FF 03 (the peer asked for ACFC, we acked). */
  txAcfc: boolean;
  /** ACCM the peer asked us to use when sending (HDLC links only). */
  txAccm: number;
}

/** LCP-specific events beyond the automaton's. */
export type LcpEvent =
  | { type: 'echo-reply'; rttMs: number }
  | { type: 'protocol-rejected'; protocol: number; name: string }
  | { type: 'identification'; magicNumber: number; message: string }
  | { type: 'time-remaining'; magicNumber: number; seconds: number; message: string };

/** Outputs of `Lcp`: automaton outputs plus LCP events. */
export type LcpOutput = FsmOutput | { kind: 'event'; event: LcpEvent };

interface Wants {
  mru: number | undefined;
  accm: number | undefined;
  authIndex: number;
  magic: number | undefined;
  pfc: boolean;
  acfc: boolean;
}

/** LCP: negotiation handler, keepalive and LCP-only packets. */
export class Lcp implements NegotiationHandler {
  readonly fsm: Fsm;
  readonly config: LcpConfig;
  /** Set when Opened. */
  negotiated: LcpNegotiated | undefined;
  private want: Wants;
  private lastRequest: Uint8Array = new Uint8Array(0);
  private his: Omit<LcpNegotiated, 'localMru' | 'localMagic' | 'authPeer'> = LcpNegotiatedPeerDefaults();
  private loopbacks = 0;
  private loopbackPending = false;
  private out: LcpOutput[] = [];
  private echoAt: Millis | undefined;
  private echoPending = 0;
  private echoId = 0;
  private echoSentAt = 0;
  private nextId = 0x80;

  constructor(config: Partial<LcpConfig>, private readonly rng: Rng) {
    this.config = { ...DEFAULT_LCP_CONFIG, ...config };
    this.fsm = new Fsm(PPP_PROTO.LCP, this, this.config.fsm);
    this.want = this.initialWants();
  }

  /** Machine-style deadline: restart timer or next echo. */
  nextDeadline(): Millis | undefined {
    const a = this.fsm.nextDeadline();
    const b = this.echoAt;
    if (a === undefined) return b;
    if (b === undefined) return a;
    return Math.min(a, b);
  }

  /** Lower layer up (the transport call is connected). */
  lowerUp(now: Millis, out: LcpOutput[]): void { this.run(out, () => this.fsm.lowerUp(now, out as FsmOutput[])); }
  /** Lower layer gone. */
  lowerDown(now: Millis, out: LcpOutput[]): void { this.run(out, () => this.fsm.lowerDown(now, out as FsmOutput[])); }
  /** Administrative Open. */
  open(now: Millis, out: LcpOutput[]): void {
    this.keepaliveFailed = false;
    this.run(out, () => this.fsm.open(now, out as FsmOutput[]));
  }
  /** Administrative Close with a reason (sends Terminate-Request when negotiating or open). */
  close(reason: string, now: Millis, out: LcpOutput[]): void { this.run(out, () => this.fsm.close(reason, now, out as FsmOutput[])); }

  /** True once the keepalive gave up on the peer (Echo-Requests unanswered): no Terminate-Ack will come. */
  keepaliveFailed = false;

  /** Restart timer and keepalive. */
  timeout(now: Millis, out: LcpOutput[]): void {
    this.run(out, () => {
      this.fsm.timeout(now, out as FsmOutput[]);
      if (this.echoAt !== undefined && now >= this.echoAt && this.fsm.isOpened) {
        if (this.echoPending >= this.config.echoFailures) {
          this.keepaliveFailed = true;
          this.fsm.close(`peer not responding: ${this.echoPending} Echo-Requests unanswered`, now, out as FsmOutput[]);
          return;
        }
        this.echoPending++;
        this.echoId = this.takeId();
        this.echoSentAt = now;
        out.push({ kind: 'send', proto: PPP_PROTO.LCP, bytes: encodeCpPacket({ code: CP_CODE.ECHO_REQUEST, identifier: this.echoId, data: u32(this.want.magic ?? 0) }) });
        this.echoAt = now + this.config.echoIntervalMs;
      }
    });
  }

  /** A received LCP packet. */
  receive(bytes: Uint8Array, now: Millis, out: LcpOutput[]): void {
    this.run(out, () => {
      this.now = now;
      this.fsm.receive(bytes, now, out as FsmOutput[]);
      if (this.loopbackPending) {
        this.loopbackPending = false;
        this.fsm.close('loopback detected (peer echoes our Magic-Number)', now, out as FsmOutput[]);
      }
    });
  }

  /**
   * Protocol-Reject for a frame of an unknown or disabled protocol (RFC 1661
   * §5.7): only while Opened; the rejected information is truncated to fit
   * the peer's MRU.
   */
  protocolReject(protocol: number, information: Uint8Array, out: LcpOutput[]): boolean {
    if (!this.fsm.isOpened) return false;
    const max = Math.max(0, (this.negotiated?.peerMru ?? DEFAULT_MRU) - 6);
    const info = information.subarray(0, max);
    const data = new Uint8Array(2 + info.length);
    data[0] = protocol >>> 8;
    data[1] = protocol & 0xff;
    data.set(info, 2);
    out.push({ kind: 'send', proto: PPP_PROTO.LCP, bytes: encodeCpPacket({ code: CP_CODE.PROTOCOL_REJECT, identifier: this.takeId(), data }) });
    return true;
  }

  private now = 0;

  private run(out: LcpOutput[], fn: () => void): void {
    const prev = this.out;
    this.out = out;
    try {
      fn();
    } finally {
      this.out = prev;
    }
  }

  private takeId(): number {
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0xff;
    return id;
  }

  private initialWants(): Wants {
    return {
      mru: this.config.mru !== DEFAULT_MRU ? this.config.mru : undefined,
      accm: this.config.accm,
      authIndex: this.config.requireAuth.length > 0 ? 0 : -1,
      magic: this.newMagic(),
      pfc: this.config.pfc,
      acfc: this.config.acfc,
    };
  }

  private newMagic(): number {
    // RFC 1661 §6.4: zero is not a valid Magic-Number.
    let m = 0;
    while (m === 0) m = randomU32(this.rng);
    return m;
  }

  private wantedOptions(): LcpOption[] {
    const w = this.want;
    const o: LcpOption[] = [];
    if (w.mru !== undefined) o.push({ kind: 'mru', mru: w.mru });
    if (w.accm !== undefined) o.push({ kind: 'accm', accm: w.accm });
    const auth = this.config.requireAuth[w.authIndex];
    if (auth !== undefined) o.push(authOption(auth));
    if (w.magic !== undefined) o.push({ kind: 'magic', magicNumber: w.magic });
    if (w.pfc) o.push({ kind: 'pfc' });
    if (w.acfc) o.push({ kind: 'acfc' });
    return o;
  }

  // ---- NegotiationHandler ----

  /** @inheritdoc */
  resetci(): void {
    this.want = this.initialWants();
    this.loopbacks = 0;
  }

  /** @inheritdoc */
  addci(): Uint8Array {
    this.lastRequest = encodeLcpOptions(this.wantedOptions());
    return this.lastRequest;
  }

  /** @inheritdoc */
  ackci(options: Uint8Array): boolean {
    return bytesEqual(options, this.lastRequest);
  }

  /** @inheritdoc */
  nakci(options: Uint8Array): CiResult {
    const p = parseLcpOptions(options);
    if (!p.ok) return false;
    for (const o of p.value) {
      switch (o.kind) {
        case 'mru':
          // Take a smaller MRU the peer suggests down to the minimum; a larger one means "default".
          this.want.mru = o.mru >= MIN_MRU && o.mru < DEFAULT_MRU ? o.mru : undefined;
          break;
        case 'accm':
          if (this.want.accm !== undefined) this.want.accm = (this.want.accm | o.accm) >>> 0;
          break;
        case 'auth': {
          if (this.want.authIndex < 0) break; // a hint for an option we did not send
          const suggested = authProtocolFromLcp(o.protocol, o.data[0]);
          const list = this.config.requireAuth;
          const idx = suggested === undefined ? -1 : list.indexOf(suggested);
          // RFC 1661 §6.2: the Nak names the protocol the peer prefers. Take it when our
          // policy allows it and it comes later in our list; otherwise try our next
          // preference. Moving forward only bounds the loop by the list length.
          const next = idx > this.want.authIndex ? idx : this.want.authIndex + 1;
          if (next >= list.length) {
            const name = suggested ?? `${protocolName(o.protocol)}${o.data.length ? ` 0x${o.data[0]!.toString(16)}` : ''}`;
            return { close: `authentication refused: peer wants ${name}, policy allows ${list.join(', ')}` };
          }
          this.want.authIndex = next;
          break;
        }
        case 'magic':
          // The peer saw its own number: pick another, and count for loopback.
          if (++this.loopbacks >= this.config.loopbackLimit) return { close: 'loopback detected (Magic-Number Nak loop)' };
          this.want.magic = this.newMagic();
          break;
        default:
          break; // PFC/ACFC cannot be Nak'd; unknown hints are ignored.
      }
    }
    return true;
  }

  /** @inheritdoc */
  rejci(options: Uint8Array): CiResult {
    const p = parseLcpOptions(options);
    if (!p.ok) return false;
    const sent = parseLcpOptions(this.lastRequest);
    if (!sent.ok) return false;
    for (const o of p.value) {
      // RFC 1661 §5.4: a Reject lists options of our request, unmodified.
      const type = o.kind === 'raw' ? o.type : kindType(o.kind);
      if (!sent.value.some((s) => (s.kind === 'raw' ? s.type : kindType(s.kind)) === type)) return false;
      switch (o.kind) {
        case 'mru': this.want.mru = undefined; break;
        case 'accm': this.want.accm = undefined; break;
        case 'auth': return { close: 'peer refuses to authenticate (Authentication-Protocol rejected)' };
        case 'magic': this.want.magic = undefined; break;
        case 'pfc': this.want.pfc = false; break;
        case 'acfc': this.want.acfc = false; break;
        default: break;
      }
    }
    return true;
  }

  /** @inheritdoc */
  reqci(options: Uint8Array, rejectIfDisagree: boolean): ReqciResult {
    const p = parseLcpOptions(options);
    if (!p.ok) return { code: CP_CODE.CONFIGURE_REJECT, options };
    const rej: LcpOption[] = [];
    const nak: LcpOption[] = [];
    const his = LcpNegotiatedPeerDefaults();
    const disagree = (orig: LcpOption, suggestion: LcpOption): void => {
      if (rejectIfDisagree) rej.push(orig);
      else nak.push(suggestion);
    };
    for (const o of p.value) {
      switch (o.kind) {
        case 'mru':
          if (o.mru < MIN_MRU) disagree(o, { kind: 'mru', mru: MIN_MRU });
          else his.peerMru = o.mru;
          break;
        case 'accm':
          his.txAccm = o.accm;
          break;
        case 'auth': {
          const proto = authProtocolFromLcp(o.protocol, o.data[0]);
          const ok = proto !== undefined && this.config.acceptAuth.includes(proto) && authOptionMatches(o, proto);
          if (ok) his.authSelf = proto;
          else if (this.config.acceptAuth.length === 0) rej.push(o);
          else disagree(o, authOption(this.config.acceptAuth[0]!));
          break;
        }
        case 'magic':
          if (o.magicNumber === 0) disagree(o, { kind: 'magic', magicNumber: this.newMagic() });
          else if (this.want.magic !== undefined && o.magicNumber === this.want.magic) {
            // RFC 1661 §6.4: the same number as ours suggests a looped-back link.
            if (++this.loopbacks >= this.config.loopbackLimit) this.loopbackPending = true;
            disagree(o, { kind: 'magic', magicNumber: this.newMagic() });
          } else his.peerMagic = o.magicNumber;
          break;
        case 'pfc':
          if (this.config.pfc) his.txPfc = true;
          else rej.push(o);
          break;
        case 'acfc':
          if (this.config.acfc) his.txAcfc = true;
          else rej.push(o);
          break;
        default:
          // Callback (CBCP), MRRU/Short-Sequence/Endpoint-Discriminator (multilink),
          // Quality-Protocol, malformed known options and unknown types.
          rej.push(o);
          break;
      }
    }
    if (rej.length) return { code: CP_CODE.CONFIGURE_REJECT, options: encodeLcpOptions(rej) };
    if (nak.length) return { code: CP_CODE.CONFIGURE_NAK, options: encodeLcpOptions(nak) };
    this.his = his;
    return { code: CP_CODE.CONFIGURE_ACK, options };
  }

  /** @inheritdoc */
  up(): void {
    this.negotiated = {
      ...this.his,
      localMru: this.want.mru ?? DEFAULT_MRU,
      localMagic: this.want.magic ?? 0,
      authPeer: this.config.requireAuth[this.want.authIndex],
    };
    this.echoPending = 0;
    this.echoAt = this.config.echoIntervalMs > 0 ? this.now + this.config.echoIntervalMs : undefined;
  }

  /** @inheritdoc */
  down(): void {
    this.negotiated = undefined;
    this.echoAt = undefined;
  }

  /** @inheritdoc */
  starting(): void {}

  /** @inheritdoc */
  finished(): void {
    this.echoAt = undefined;
  }

  /** The peer does not know Echo-Request: keepalive stops rather than failing the link. */
  codeRejected(code: number): void {
    if (code === CP_CODE.ECHO_REQUEST) {
      this.echoAt = undefined;
      this.echoPending = 0;
    }
  }

  /** LCP codes 8–13. */
  extcode(pkt: CpPacket, state: FsmState): ExtResult {
    const opened = state === 'Opened';
    switch (pkt.code) {
      case CP_CODE.PROTOCOL_REJECT: {
        if (pkt.data.length < 2) return { kind: 'drop', detail: 'short Protocol-Reject' };
        // RFC 1661 §5.7: only meaningful in Opened.
        if (!opened) return { kind: 'drop', detail: `Protocol-Reject in ${state}` };
        const protocol = readU16(pkt.data);
        if (protocol === PPP_PROTO.LCP) return { kind: 'rxj-', reason: 'peer rejected LCP' };
        this.out.push({ kind: 'event', event: { type: 'protocol-rejected', protocol, name: protocolName(protocol) } });
        return { kind: 'rxj+' };
      }
      case CP_CODE.ECHO_REQUEST:
      case CP_CODE.ECHO_REPLY:
      case CP_CODE.DISCARD_REQUEST: {
        if (pkt.data.length < 4) return { kind: 'drop', detail: 'short echo/discard packet' };
        if (!opened) return { kind: 'rxr' };
        const magic = readU32(pkt.data);
        // RFC 1661 §5.8: our own Magic-Number coming back means a loop.
        if (this.want.magic !== undefined && magic === this.want.magic && magic !== 0) return { kind: 'drop', detail: 'looped-back echo (our Magic-Number)' };
        if (pkt.code === CP_CODE.ECHO_REQUEST) {
          const data = new Uint8Array(pkt.data.length);
          data.set(pkt.data);
          data.set(u32(this.want.magic ?? 0), 0);
          return { kind: 'rxr', reply: { code: CP_CODE.ECHO_REPLY, identifier: pkt.identifier, data } };
        }
        if (pkt.code === CP_CODE.ECHO_REPLY && pkt.identifier === this.echoId && this.echoPending > 0) {
          this.echoPending = 0;
          this.out.push({ kind: 'event', event: { type: 'echo-reply', rttMs: this.now - this.echoSentAt } });
        }
        return { kind: 'rxr' };
      }
      case CP_CODE.IDENTIFICATION: {
        if (pkt.data.length < 4) return { kind: 'drop', detail: 'short Identification' };
        this.out.push({ kind: 'event', event: { type: 'identification', magicNumber: readU32(pkt.data), message: latin1(pkt.data.subarray(4)) } });
        return { kind: 'handled' };
      }
      case CP_CODE.TIME_REMAINING: {
        if (pkt.data.length < 8) return { kind: 'drop', detail: 'short Time-Remaining' };
        this.out.push({ kind: 'event', event: { type: 'time-remaining', magicNumber: readU32(pkt.data), seconds: readU32(pkt.data, 4), message: latin1(pkt.data.subarray(8)) } });
        return { kind: 'handled' };
      }
      default:
        return { kind: 'unknown' };
    }
  }

  /** Traffic from the peer proves it alive, as an Echo-Reply would (pppd lcp-echo-adaptive). */
  peerAlive(): void {
    this.echoPending = 0;
  }
}

function LcpNegotiatedPeerDefaults(): Omit<LcpNegotiated, 'localMru' | 'localMagic' | 'authPeer'> {
  return { peerMru: DEFAULT_MRU, peerMagic: 0, authSelf: undefined, txPfc: false, txAcfc: false, txAccm: 0xffffffff };
}

function authOption(p: AuthProtocol): LcpOption {
  const a = lcpAuthOption(p);
  return { kind: 'auth', protocol: a.proto, data: a.algorithm === undefined ? new Uint8Array(0) : Uint8Array.of(a.algorithm) };
}

/** PAP carries no data; CHAP exactly one algorithm octet. */
function authOptionMatches(o: Extract<LcpOption, { kind: 'auth' }>, p: AuthProtocol): boolean {
  return p === 'pap' ? o.data.length === 0 : o.data.length === 1;
}

function kindType(kind: Exclude<LcpOption['kind'], 'raw'>): number {
  switch (kind) {
    case 'mru': return 1;
    case 'accm': return 2;
    case 'auth': return 3;
    case 'magic': return 5;
    case 'pfc': return 7;
    case 'acfc': return 8;
    case 'callback': return 13;
    case 'mrru': return 17;
  }
}

function u32(v: number): Uint8Array {
  return Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}
