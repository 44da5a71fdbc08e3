/**
 * One PPP link: the RFC 1661 §3.2 phases (Dead → Establish → Authenticate →
 * Network → Terminate) in the server or client role, tying together LCP,
 * the authentication machines (src/ppp/auth), IPCP, IPV6CP, CCP and the
 * MPPE data path (src/ppp/mppe). PPTP (GRE payload) and L2TP (data message
 * payload) both feed it PPP frames and send what it returns, identically.
 *
 * Theory of operation
 * -------------------
 * Control: `start` opens LCP on a connected transport. When LCP opens, the
 * negotiated Authentication-Protocol decides which auth machines run (we
 * authenticate the peer, the peer authenticates us, or both). The server's
 * machine asks for credentials to be checked through a `verify` event; the
 * answer comes back later through `verdict`. Request ids come from one
 * counter per session that never restarts, and a verdict given with its
 * request must match that exchange's user name and challenge: an answer for
 * an exchange that is gone (LCP renegotiated, a new Challenge went out) is
 * dropped, never applied to the current one. When LCP goes down with a
 * verification outstanding, `verify-cancelled` tells the owner to stop
 * waiting for it. When every authentication
 * succeeded the Network phase opens CCP (when MPPE is allowed), IPCP and
 * IPV6CP (when enabled). The link is "up" for data once one network
 * protocol is Opened and, when MPPE is required, CCP is Opened with keys
 * from MS-CHAP (RFC 3078 §3: no user data before that). Any fatal failure
 * closes LCP with a reason, which `link-down` reports.
 *
 * Data: `receiveFrame` parses the PPP header, decrypts protocol 0x00FD
 * into a per-session buffer, and hands the IP packet to `ipSink` (a view,
 * valid during the call: no copy, no allocation) or, without a sink, as an
 * `ip-packet` event (a copy). `sendIp` builds the frame — header with the
 * negotiated PFC/ACFC, MPPE when CCP is up — into a per-session buffer and
 * returns a view valid until the next `sendIp`. Everything the data path
 * refuses is counted in `counters.drops` by reason.
 *
 * Protocol-Reject (RFC 1661 §5.7) goes out for unknown protocols and for
 * disabled ones (IPV6CP with IPv6 off, CCP with MPPE off, Apple's 0x8235).
 * The MTU reported is min(local MTU, peer MRU), less the 4 octets MPPE adds
 * (2-octet MPPE header + 2-octet inner protocol) once MPPE is on.
 *
 * CHAP rechallenges during the Network phase are handled by the auth
 * machines; the session routes their packets in any phase after LCP opens.
 *
 * Left out: multilink, callback (CBCP), compression (VJ, MPPC), LQR.
 */
import type { Millis, Output } from '../core/machine.js';
import type { Rng } from '../core/rng.js';
import { LocalUsageError } from '../core/errors.js';
import { CP_CODE, PPP_PROTO, protocolName } from './protocols.js';
import { writePppHeader, pppHeaderLength, PPP_ADDRESS, PPP_CONTROL, type PppHeaderOptions } from './frame.js';
import { Lcp, DEFAULT_LCP_CONFIG, type LcpOutput, type LcpEvent } from './lcp/lcp.js';
import { Ipcp, type IpcpNegotiated } from './ipcp/ipcp.js';
import { Ipv6cp, type Ipv6cpNegotiated } from './ipv6cp/ipv6cp.js';
import { Ccp, PPTPD_MPPE_POLICY, type CcpEvent, type MppePolicy } from './ccp/ccp.js';
import type { CpOutput } from './fsm/protocol.js';
import type { FsmEvent, FsmOptions } from './fsm/fsm.js';
import { AuthServer } from './auth/server.js';
import { AuthClient } from './auth/client.js';
import type { AuthEvent, AuthOutput, AuthProtocol, AuthServerInput, AuthVerdict, VerifyRequest, MppeKeyMaterial } from './auth/types.js';
import { mppeStartKeys } from './mppe/keys.js';
import { MppeDecrypter, MppeEncrypter, isMppeDrop, type MppeDropReason, type MppeOptions } from './mppe/mppe.js';
import type { MppePrimitives } from './mppe/primitives.js';

/** RFC 1661 §3.2 link phases. */
export type SessionPhase = 'Dead' | 'Establish' | 'Authenticate' | 'Network' | 'Terminate';

/** Address pool callbacks for the server role. */
export interface AddressPool {
  /** An address for the peer, or undefined when the pool is exhausted. */
  allocate(): string | undefined;
  /** Gives an address back when the session dies. */
  release(address: string): void;
}

/** Authentication policy. */
export interface SessionAuthOptions {
  /** Server: protocols the peer must authenticate with, most preferred first (pptpd: ['mschap-v2']). */
  require?: readonly AuthProtocol[];
  /** Client: protocols we agree to authenticate with, most preferred first. */
  accept?: readonly AuthProtocol[];
  /** Server: the name in CHAP Challenges (pppd `name`). */
  name?: string;
  /** Client credentials. */
  username?: string;
  password?: string;
  /** MS-CHAP retries (both roles). */
  maxRetries?: number;
  /** Client: require MS-CHAPv2 mutual authentication (default true). */
  requireMutualAuth?: boolean;
}

/** Everything a transport needs to say about one PPP link. */
export interface SessionOptions {
  role: 'server' | 'client';
  auth?: SessionAuthOptions;
  /** MPPE policy; default pptpd's require-mppe-128, stateless. */
  mppe?: MppePolicy;
  /** RC4 and SHA-1 for the MPPE data path (default: TypeScript; the I/O edge passes native ones). */
  mppePrimitives?: MppePrimitives;
  /** Run IPCP (default true). */
  ipv4?: boolean;
  /** Run IPV6CP (default false): when off, IPV6CP is Protocol-Rejected. */
  ipv6?: boolean;
  /** Our MRU (default 1500). */
  mru?: number;
  /** Local MTU cap, e.g. the tunnel path MTU less overhead (default 1500). */
  mtu?: number;
  /** Request/accept Protocol-Field-Compression and Address-and-Control-Field-Compression (default true). */
  pfc?: boolean;
  acfc?: boolean;
  /** LCP keepalive (default 30 s / 4 failures; 0 disables). */
  echoIntervalMs?: number;
  echoFailures?: number;
  /** Server: our tunnel address (IPCP). Client: the address to request (default 0.0.0.0). */
  localAddress?: string;
  /** Server: the peer's address (fixed) — or use `addressPool`. */
  peerAddress?: string;
  addressPool?: AddressPool;
  /** Server: DNS and NBNS servers to hand out. */
  dns?: readonly string[];
  nbns?: readonly string[];
  /** Client: ask the server for DNS (default true) and NBNS (default false). */
  requestDns?: boolean;
  requestNbns?: boolean;
  /** IPV6CP interface identifier (16 hex digits); random by default. */
  interfaceIdentifier?: string;
  /** Restart timer and counters for every control protocol. */
  fsm?: Partial<FsmOptions>;
  /**
   * Zero-copy delivery of received IP packets: called with a view valid only
   * during the call. Without it, packets come out as `ip-packet` events.
   */
  ipSink?: (packet: Uint8Array, family: 4 | 6) => void;
}

/** Events a session reports. */
export type SessionEvent =
  | { type: 'phase'; phase: SessionPhase }
  /** Data can flow: a network protocol is Opened (and MPPE, when required). */
  | { type: 'link-up' }
  /** The session is Dead; `reason` says why. */
  | { type: 'link-down'; reason: string }
  /** Server: check these credentials and answer with `verdict`. */
  | { type: 'verify'; request: VerifyRequest }
  /** Server: the exchange of this `verify` is gone (LCP went down); its verdict will be dropped. */
  | { type: 'verify-cancelled'; requestId: number }
  /** `requestId` (direction 'peer'): the verify request whose verdict let the peer in. */
  | { type: 'auth-ok'; protocol: AuthProtocol; username: string; direction: 'peer' | 'self'; requestId?: number }
  /** `malformed` (direction 'peer'): the peer's answer broke the protocol and was refused without a backend. */
  | { type: 'auth-failed'; protocol: AuthProtocol; reason: string; final: boolean; direction: 'peer' | 'self'; code?: number; message?: string; username?: string; malformed?: string }
  | ({ type: 'ipv4-up' } & IpcpNegotiated)
  | ({ type: 'ipv6-up' } & Ipv6cpNegotiated)
  | { type: 'mppe-up'; strength: 40 | 56 | 128; stateless: boolean }
  /** The largest IP packet `sendIp` accepts; emitted when it changes. */
  | { type: 'mtu'; mtu: number }
  | { type: 'protocol-rejected'; protocol: number; name: string }
  /** Received IP packet, when no `ipSink` is set (a copy). */
  | { type: 'ip-packet'; family: 4 | 6; packet: Uint8Array }
  /** LCP Identification / Time-Remaining / Echo-Reply, passed through. */
  | { type: 'lcp'; event: LcpEvent };

/** Why a session dropped a frame or packet. */
export type SessionDropReason =
  /** PPP header invalid (bad address/control, even protocol, too short). */
  | 'frame-malformed'
  /** An MPPE frame longer than our MRU allows (a hostile or broken peer): dropped before decryption. */
  | 'frame-too-long'
  /** Unknown or disabled protocol; a Protocol-Reject went out when LCP was Opened. */
  | 'protocol-unknown'
  /** A known protocol outside its phase (NCP before Network, auth before LCP Opened). */
  | 'protocol-unexpected'
  /** IP received or sent while its network protocol is not Opened. */
  | 'network-not-open'
  /** Plain IP received while MPPE is required or running (RFC 3078 §3). */
  | 'unencrypted'
  /** MPPE frame while CCP/MPPE is not running. */
  | 'mppe-not-running'
  /** Decrypted datagram with a bad or non-IP inner protocol. */
  | 'inner-malformed'
  /** `sendIp` packet larger than the MTU or not IPv4/IPv6. */
  | 'tx-invalid'
  /** Drops by the control protocol automata (malformed, stale Identifier, …). */
  | 'control-malformed'
  | 'control-not-ready'
  | 'control-stale-identifier'
  | 'control-bad-answer'
  | 'control-invalid'
  /** Drops by the authentication machines. */
  | 'auth-dropped'
  /** MPPE decryption drops (see MppeDropReason). */
  | `mppe-${MppeDropReason}`;

/** Session outputs: `send` carries a complete PPP frame for the transport. */
export type SessionOutput = Output<SessionEvent, SessionDropReason>;

/** Inputs of the Machine form. */
export type SessionInput =
  | { type: 'start' }
  | { type: 'frame'; bytes: Uint8Array }
  | { type: 'timeout' }
  | { type: 'close'; reason: string }
  | { type: 'lower-down' }
  | { type: 'verdict'; requestId: number; verdict: AuthVerdict; request?: VerifyRequest };

/** Plain-number counters (read by the metrics layer). */
export interface SessionCounters {
  /** Every PPP frame received/sent, control and data. */
  framesIn: number;
  framesOut: number;
  /** IP packets delivered / sent and their IP octets. */
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Drops by reason. */
  drops: Partial<Record<SessionDropReason, number>>;
}

const NO_OUTPUTS: SessionOutput[] = [];
Object.freeze(NO_OUTPUTS);
/** MPPE header (2) + inner protocol field (2). */
const MPPE_OVERHEAD = 4;
/** Re-send a lost Reset-Request after this long while still discarding. */
const RESET_REQUEST_RETRY_MS = 1000;

/** A PPP link in one role. */
export class PppSession {
  /** Current RFC 1661 phase. */
  phase: SessionPhase = 'Dead';
  readonly counters: SessionCounters = { framesIn: 0, framesOut: 0, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, drops: {} };
  readonly lcp: Lcp;
  readonly ipcp: Ipcp | undefined;
  readonly ipv6cp: Ipv6cp | undefined;
  readonly ccp: Ccp | undefined;
  private readonly opts: SessionOptions;
  private readonly mppePolicy: MppePolicy;
  private authServer: AuthServer | undefined;
  private authClient: AuthClient | undefined;
  private peerAuthed = false;
  private selfAuthed = false;
  /** The last `VerifyRequest.requestId` handed out; never restarts while the session lives. */
  private verifyToken = 0;
  private keyMaterial: { material: MppeKeyMaterial; role: 'server' | 'client' } | undefined;
  private encrypter: MppeEncrypter | undefined;
  private decrypter: MppeDecrypter | undefined;
  private lastResetRequestAt = -Infinity;
  /** IPCP/IPV6CP whose Configure-Request the peer Terminate-Acked while our CCP was not up (see resendHeld). */
  private readonly heldByPeer = new Set<number>();
  /** IPCP/IPV6CP already resent early once (a peer that keeps Terminate-Acking waits for the restart timer). */
  private readonly resentEarly = new Set<number>();
  private tx: PppHeaderOptions = {};
  private mtu = 0;
  private up = false;
  private closeReason: string | undefined;
  private poolAddress: string | undefined;
  private rxBuf: Uint8Array;
  private txBuf: Uint8Array;
  private out: SessionOutput[] = [];

  constructor(options: SessionOptions, private readonly rng: Rng) {
    this.opts = options;
    const server = options.role === 'server';
    this.mppePolicy = options.mppe ?? PPTPD_MPPE_POLICY;
    const mru = options.mru ?? 1500;
    this.lcp = new Lcp(
      {
        mru,
        pfc: options.pfc ?? true,
        acfc: options.acfc ?? true,
        requireAuth: server ? (options.auth?.require ?? ['mschap-v2']) : (options.auth?.require ?? []),
        acceptAuth: options.auth?.accept ?? (server ? [] : DEFAULT_LCP_CONFIG.acceptAuth),
        echoIntervalMs: options.echoIntervalMs ?? DEFAULT_LCP_CONFIG.echoIntervalMs,
        echoFailures: options.echoFailures ?? DEFAULT_LCP_CONFIG.echoFailures,
        ...(options.fsm ? { fsm: options.fsm } : {}),
      },
      rng,
    );
    if (options.ipv4 ?? true) {
      const pool = options.addressPool;
      this.ipcp = new Ipcp({
        role: options.role,
        ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
        peerAddress: options.peerAddress ?? (() => {
          if (this.poolAddress === undefined) this.poolAddress = pool?.allocate();
          return this.poolAddress;
        }),
        ...(options.dns ? { dns: options.dns } : {}),
        ...(options.nbns ? { nbns: options.nbns } : {}),
        requestDns: options.requestDns ?? true,
        requestNbns: options.requestNbns ?? false,
        ...(options.fsm ? { fsm: options.fsm } : {}),
      });
    }
    if (options.ipv6) this.ipv6cp = new Ipv6cp({ ...(options.interfaceIdentifier ? { interfaceIdentifier: options.interfaceIdentifier } : {}), ...(options.fsm ? { fsm: options.fsm } : {}) }, rng);
    if (this.mppePolicy.strengths.length > 0) this.ccp = new Ccp({ mppe: this.mppePolicy, ...(options.fsm ? { fsm: options.fsm } : {}) });
    this.rxBuf = new Uint8Array(Math.max(mru, 1500) + 64);
    this.txBuf = new Uint8Array(Math.max(options.mtu ?? 1500, 1500) + 64);
  }

  /** True while IP can flow. */
  get isUp(): boolean {
    return this.up;
  }

  /** The current MTU for `sendIp` (0 before LCP opens). */
  get currentMtu(): number {
    return this.mtu;
  }

  // ---------------------------------------------------------------- Machine form

  /** Machine form of the control inputs. */
  handle(input: SessionInput, now: Millis): SessionOutput[] {
    switch (input.type) {
      case 'start': return this.start(now);
      case 'frame': return this.receiveFrame(input.bytes, now);
      case 'timeout': return this.timeout(now);
      case 'close': return this.close(input.reason, now);
      case 'lower-down': return this.lowerDown(now);
      case 'verdict': return this.verdict(input.request ?? input.requestId, input.verdict, now);
    }
  }

  /** The earliest deadline of every running timer. */
  nextDeadline(): Millis | undefined {
    let d: Millis | undefined;
    const take = (x: Millis | undefined): void => {
      if (x !== undefined && (d === undefined || x < d)) d = x;
    };
    take(this.lcp.nextDeadline());
    take(this.authServer?.nextDeadline());
    take(this.authClient?.nextDeadline());
    take(this.ccp?.nextDeadline());
    take(this.ipcp?.nextDeadline());
    take(this.ipv6cp?.nextDeadline());
    return d;
  }

  /** The transport is connected: open LCP (Dead → Establish). */
  start(now: Millis): SessionOutput[] {
    if (this.phase !== 'Dead') throw new LocalUsageError(`start() in phase ${this.phase}`);
    return this.run(now, () => {
      this.setPhase('Establish');
      const o: LcpOutput[] = [];
      this.lcp.open(now, o);
      this.lcp.lowerUp(now, o);
      this.lcpOutputs(o, now);
    });
  }

  /** Administrative close: LCP Terminate-Request, then Dead. */
  close(reason: string, now: Millis): SessionOutput[] {
    return this.run(now, () => this.closeLink(reason, now));
  }

  /** The transport went away (call cleared, tunnel lost): straight to Dead. */
  lowerDown(now: Millis): SessionOutput[] {
    return this.run(now, () => {
      this.closeReason ??= 'transport closed';
      const o: LcpOutput[] = [];
      this.lcp.lowerDown(now, o);
      this.lcp.close(this.closeReason, now, o);
      this.lcpOutputs(o, now);
      if (this.phase !== 'Dead') this.dead(now);
    });
  }

  /** Timers that are due. */
  timeout(now: Millis): SessionOutput[] {
    return this.run(now, () => {
      const o: LcpOutput[] = [];
      this.lcp.timeout(now, o);
      this.lcpOutputs(o, now);
      if (this.authServer && (this.authServer.nextDeadline() ?? Infinity) <= now) this.authOutputs(this.authServer.handle({ type: 'timeout' }, now), 'peer', now);
      if (this.authClient && (this.authClient.nextDeadline() ?? Infinity) <= now) this.authOutputs(this.authClient.handle({ type: 'timeout' }, now), 'self', now);
      for (const cp of [this.ccp, this.ipcp, this.ipv6cp]) {
        if (cp && (cp.nextDeadline() ?? Infinity) <= now) {
          const co: CpOutput<unknown>[] = [];
          cp.timeout(now, co as never);
          this.ncpOutputs(cp.fsm.protocol, co, now);
        }
      }
    });
  }

  /**
   * The backend's answer to a `verify` event, named by its request (checked
   * against the exchange in progress: id, user name, challenge) or by its
   * requestId alone.
   */
  verdict(answers: VerifyRequest | number, verdict: AuthVerdict, now: Millis): SessionOutput[] {
    return this.run(now, () => {
      if (!this.authServer) {
        this.drop('auth-dropped', `stale-verdict: request ${typeof answers === 'number' ? answers : answers.requestId} (no authentication in progress)`);
        return;
      }
      const input: AuthServerInput = typeof answers === 'number'
        ? { type: 'verdict', requestId: answers, verdict }
        : { type: 'verdict', requestId: answers.requestId, verdict, request: answers };
      this.authOutputs(this.authServer.handle(input, now), 'peer', now);
    });
  }

  // ---------------------------------------------------------------- data path

  /**
   * A PPP frame from the transport. IP packets go to `ipSink` (no copy) or
   * come out as `ip-packet` events; control packets produce sends and events.
   * Returns a shared empty array on the happy data path.
   */
  receiveFrame(bytes: Uint8Array, now: Millis): SessionOutput[] {
    this.counters.framesIn++;
    // RFC 1661 §2 / RFC 1662 §3.1, parsed inline (lengths checked before every read).
    const n = bytes.length;
    let off = 0;
    if (n >= 1 && bytes[0] === PPP_ADDRESS) {
      if (n < 2 || bytes[1] !== PPP_CONTROL) return this.dropNow('frame-malformed');
      off = 2;
    }
    if (off >= n) return this.dropNow('frame-malformed');
    let proto = bytes[off]!;
    if (proto & 1) off += 1;
    else {
      if (off + 1 >= n || (bytes[off + 1]! & 1) === 0) return this.dropNow('frame-malformed');
      proto = (proto << 8) | bytes[off + 1]!;
      off += 2;
    }
    switch (proto) {
      case PPP_PROTO.COMPRESSED: return this.receiveMppe(bytes, off, now);
      case PPP_PROTO.IPV4: case PPP_PROTO.IPV6: {
        if (this.decrypter !== undefined || (this.mppePolicy.required && this.ccp !== undefined)) return this.dropNow('unencrypted');
        return this.deliver(proto, bytes.subarray(off));
      }
      default: return this.run(now, () => this.receiveControl(proto, bytes.subarray(off), now));
    }
  }

  private receiveMppe(bytes: Uint8Array, off: number, now: Millis): SessionOutput[] {
    const dec = this.decrypter;
    if (dec === undefined) return this.dropNow('mppe-not-running');
    // RFC 1661 §6.1 lets us drop frames beyond the MRU; the decrypt buffer holds MRU + slack only.
    if (bytes.length - off - 2 > this.rxBuf.length) return this.dropNow('frame-too-long');
    const r = dec.decrypt(bytes.subarray(off), this.rxBuf, 0);
    if (isMppeDrop(r)) {
      this.count(`mppe-${r.reason}`);
      const resend = r.reason === 'awaiting-flush' && now - this.lastResetRequestAt >= RESET_REQUEST_RETRY_MS;
      if (dec.takeResetRequest() || resend) {
        return this.run(now, () => {
          this.out.push({ kind: 'drop', reason: `mppe-${r.reason}` });
          this.sendResetRequest(now);
        });
      }
      return [{ kind: 'drop', reason: `mppe-${r.reason}` }];
    }
    // Send resets the way the peer showed it handles them (see MppeDecrypter).
    const enc = this.encrypter;
    if (enc !== undefined && enc.resetMode !== dec.peerResetHandling) enc.resetMode = dec.peerResetHandling;
    // Inner protocol field, possibly PFC-compressed (odd first octet).
    const buf = this.rxBuf;
    if (r < 1) return this.dropNow('inner-malformed');
    let inner = buf[0]!;
    let start = 1;
    if ((inner & 1) === 0) {
      if (r < 2) return this.dropNow('inner-malformed');
      inner = (inner << 8) | buf[1]!;
      start = 2;
    }
    if (inner !== PPP_PROTO.IPV4 && inner !== PPP_PROTO.IPV6) {
      // A control protocol inside MPPE is not expected; refuse it like any unknown datagram.
      return this.dropNow('inner-malformed');
    }
    return this.deliver(inner, buf.subarray(start, r));
  }

  private deliver(proto: number, packet: Uint8Array): SessionOutput[] {
    const v4 = proto === PPP_PROTO.IPV4;
    if (!(v4 ? this.ipcp?.fsm.isOpened : this.ipv6cp?.fsm.isOpened)) return this.dropNow('network-not-open');
    this.lcp.peerAlive();
    this.counters.packetsIn++;
    this.counters.bytesIn += packet.length;
    const sink = this.opts.ipSink;
    if (sink) {
      sink(packet, v4 ? 4 : 6);
      return NO_OUTPUTS;
    }
    return [{ kind: 'event', event: { type: 'ip-packet', family: v4 ? 4 : 6, packet: packet.slice() } }];
  }

  /**
   * Frames an IP packet for the transport: PPP header (negotiated PFC/ACFC)
   * and MPPE when CCP is up. Returns a view into a per-session buffer, valid
   * until the next call, or undefined when the packet is dropped (counted).
   */
  sendIp(packet: Uint8Array, _now: Millis): Uint8Array | undefined {
    const version = packet.length > 0 ? packet[0]! >> 4 : 0;
    const proto = version === 4 ? PPP_PROTO.IPV4 : version === 6 ? PPP_PROTO.IPV6 : 0;
    if (proto === 0 || packet.length > this.mtu) return this.txDrop('tx-invalid');
    if (!(proto === PPP_PROTO.IPV4 ? this.ipcp?.fsm.isOpened : this.ipv6cp?.fsm.isOpened)) return this.txDrop('network-not-open');
    const enc = this.encrypter;
    const buf = this.txBuf;
    let n: number;
    if (enc !== undefined) {
      const hdr = writePppHeader(buf, 0, PPP_PROTO.COMPRESSED, this.tx);
      // Plaintext = inner protocol (2 octets, uncompressed like Linux ppp_mppe) + packet,
      // laid out right after the MPPE header and encrypted in place.
      const p = hdr + 2;
      buf[p] = proto >>> 8;
      buf[p + 1] = proto & 0xff;
      buf.set(packet, p + 2);
      n = hdr + enc.encrypt(buf.subarray(p, p + 2 + packet.length), buf, hdr);
    } else {
      if (this.mppePolicy.required && this.ccp !== undefined) return this.txDrop('unencrypted');
      const hdr = writePppHeader(buf, 0, proto, this.tx);
      buf.set(packet, hdr);
      n = hdr + packet.length;
    }
    this.counters.framesOut++;
    this.counters.packetsOut++;
    this.counters.bytesOut += packet.length;
    return buf.subarray(0, n);
  }

  // ---------------------------------------------------------------- control

  private receiveControl(proto: number, info: Uint8Array, now: Millis): void {
    this.lcp.peerAlive();
    if (proto === PPP_PROTO.LCP) {
      const o: LcpOutput[] = [];
      this.lcp.receive(info, now, o);
      this.lcpOutputs(o, now);
      return;
    }
    const lcpOpen = this.lcp.fsm.isOpened;
    if (proto === PPP_PROTO.PAP || proto === PPP_PROTO.CHAP) {
      const code = info[0];
      // PAP: 1 = Authenticate-Request (to the authenticator); CHAP: 2 = Response.
      const toServer = proto === PPP_PROTO.PAP ? code === 1 : code === 2;
      const m = toServer ? this.authServer : this.authClient;
      if (!lcpOpen || m === undefined || m.protocol === undefined || (proto === PPP_PROTO.PAP) !== (m.protocol === 'pap')) {
        this.drop('protocol-unexpected', `${protocolName(proto)} code ${code}`);
        return;
      }
      if (toServer) this.authOutputs(this.authServer!.handle({ type: 'packet', bytes: info }, now), 'peer', now);
      else this.authOutputs(this.authClient!.handle({ type: 'packet', bytes: info }, now), 'self', now);
      return;
    }
    // CCP without MS-CHAP keys is not run, so it is refused like a disabled protocol.
    const ccp = this.keyMaterial !== undefined || this.phase !== 'Network' ? this.ccp : undefined;
    const cp = proto === PPP_PROTO.IPCP ? this.ipcp : proto === PPP_PROTO.IPV6CP ? this.ipv6cp : proto === PPP_PROTO.CCP ? ccp : undefined;
    if (cp === undefined) {
      // Unknown or disabled: Protocol-Reject (RFC 1661 §5.7), only while LCP is Opened.
      const o: LcpOutput[] = [];
      const sent = this.lcp.protocolReject(proto, info, o);
      this.lcpOutputs(o, now);
      this.drop('protocol-unknown', `${protocolName(proto)}${sent ? ' (Protocol-Reject sent)' : ''}`);
      return;
    }
    if (this.phase !== 'Network') {
      // RFC 1661 §3.2: NCP packets before the Network phase are silently discarded.
      this.drop('protocol-unexpected', `${protocolName(proto)} in ${this.phase}`);
      return;
    }
    // pppd with require-mppe keeps IPCP/IPV6CP closed until its CCP is up and so answers our
    // request with Terminate-Ack (docs/interop.md): resend it once CCP is up, not after 3 s.
    const held = cp !== ccp && info[0] === CP_CODE.TERMINATE_ACK && this.mppePolicy.required && (cp.fsm.state === 'Req-Sent' || cp.fsm.state === 'Ack-Sent');
    const co: CpOutput<unknown>[] = [];
    cp.receive(info, now, co as never);
    this.ncpOutputs(proto, co, now);
    if (held) {
      this.heldByPeer.add(proto);
      if (this.encrypter !== undefined) this.resendHeld(now);
    }
  }

  /**
   * Our CCP is up: resend at once (once per protocol) the IPCP/IPV6CP requests
   * the peer discarded with Terminate-Ack, its own CCP not being up then (a
   * retransmission, RFC 1661 §4.6, brought forward). Only those: a duplicate
   * of a request the peer may already have acked could make an Opened peer
   * renegotiate.
   */
  private resendHeld(now: Millis): void {
    for (const proto of this.heldByPeer) {
      const cp = proto === PPP_PROTO.IPCP ? this.ipcp : this.ipv6cp;
      if (!cp || this.resentEarly.has(proto) || (cp.fsm.state !== 'Req-Sent' && cp.fsm.state !== 'Ack-Sent')) continue;
      this.resentEarly.add(proto);
      cp.fsm.restartAt = now;
      const co: CpOutput<unknown>[] = [];
      cp.timeout(now, co as never);
      this.ncpOutputs(proto, co, now);
    }
    this.heldByPeer.clear();
  }

  private lcpOutputs(o: LcpOutput[], now: Millis): void {
    for (const x of o) {
      if (x.kind === 'send') this.sendControl(x.proto, x.bytes);
      else if (x.kind === 'drop') this.drop(`control-${x.reason}`, `LCP: ${x.detail ?? ''}`);
      else this.lcpEvent(x.event, now);
    }
  }

  private lcpEvent(e: FsmEvent | LcpEvent, now: Millis): void {
    switch (e.type) {
      case 'layer-up': this.lcpUp(now); break;
      case 'layer-down': this.lcpDown(e.reason, now); break;
      case 'layer-started': break;
      case 'layer-finished': this.closeReason ??= e.reason; this.dead(now); break;
      case 'protocol-rejected': {
        this.emit({ type: 'protocol-rejected', protocol: e.protocol, name: e.name });
        this.ncpRejected(e.protocol, now);
        break;
      }
      default: this.emit({ type: 'lcp', event: e }); break;
    }
  }

  private lcpUp(now: Millis): void {
    const neg = this.lcp.negotiated!;
    this.tx = { pfc: neg.txPfc, acfc: neg.txAcfc };
    this.setMtu(Math.min(this.opts.mtu ?? 1500, neg.peerMru));
    this.setPhase('Authenticate');
    const auth = this.opts.auth ?? {};
    if (neg.authPeer) {
      this.authServer = new AuthServer(
        {
          protocol: neg.authPeer,
          name: auth.name ?? 'tunppp',
          nextRequestId: () => ++this.verifyToken,
          ...(auth.maxRetries !== undefined ? { maxRetries: auth.maxRetries } : {}),
          ...(this.opts.fsm?.restartMs !== undefined ? { restartTimerMs: this.opts.fsm.restartMs } : {}),
        },
        this.rng,
      );
    }
    if (neg.authSelf) {
      if (auth.username === undefined || auth.password === undefined) {
        this.closeLink(`peer requires ${neg.authSelf} authentication but no credentials are configured`, now);
        return;
      }
      this.authClient = new AuthClient(
        {
          protocol: neg.authSelf,
          username: auth.username,
          password: auth.password,
          policy: {
            accept: this.lcp.config.acceptAuth,
            ...(auth.requireMutualAuth !== undefined ? { requireMutualAuth: auth.requireMutualAuth } : {}),
            ...(auth.maxRetries !== undefined ? { maxRetries: auth.maxRetries } : {}),
          },
          ...(this.opts.fsm?.restartMs !== undefined ? { restartTimerMs: this.opts.fsm.restartMs } : {}),
        },
        this.rng,
      );
    }
    if (this.authServer) this.authOutputs(this.authServer.handle({ type: 'start' }, now), 'peer', now);
    if (this.authClient && this.phase === 'Authenticate') this.authOutputs(this.authClient.handle({ type: 'start' }, now), 'self', now);
    this.maybeNetwork(now);
  }

  private lcpDown(reason: string, now: Millis): void {
    // Leave the Network phase first, so the NCPs finishing below are not
    // judged as a network failure: LCP may be renegotiating (RFC 1661 §3.2).
    if (this.phase !== 'Dead') this.setPhase(this.lcp.fsm.state === 'Closing' || this.lcp.fsm.state === 'Stopping' ? 'Terminate' : 'Establish');
    if (this.phase === 'Terminate') this.closeReason ??= reason;
    this.cancelVerify();
    this.authServer = undefined;
    this.authClient = undefined;
    this.peerAuthed = this.selfAuthed = false;
    this.keyMaterial = undefined;
    for (const cp of [this.ccp, this.ipcp, this.ipv6cp]) {
      if (!cp) continue;
      const co: CpOutput<unknown>[] = [];
      cp.lowerDown(now, co as never);
      cp.close(reason, now, co as never);
      this.ncpOutputs(cp.fsm.protocol, co, now);
    }
    this.stopData();
    this.tx = {};
    this.checkUp();
  }

  /** The server machine is going away: its outstanding verification, if any, is cancelled. */
  private cancelVerify(): void {
    const id = this.authServer?.pendingRequestId;
    if (id !== undefined) this.emit({ type: 'verify-cancelled', requestId: id });
  }

  private authOutputs(o: AuthOutput[], direction: 'peer' | 'self', now: Millis): void {
    for (const x of o) {
      if (x.kind === 'send') this.sendControl(x.proto, x.bytes);
      else if (x.kind === 'drop') this.drop('auth-dropped', `${x.reason}${x.detail ? `: ${x.detail}` : ''}`);
      else this.authEvent(x.event, direction, now);
    }
  }

  private authEvent(e: AuthEvent, direction: 'peer' | 'self', now: Millis): void {
    switch (e.type) {
      case 'verify':
        this.emit({ type: 'verify', request: e.request });
        break;
      case 'success': {
        const first = direction === 'peer' ? !this.peerAuthed : !this.selfAuthed;
        if (direction === 'peer') this.peerAuthed = true;
        else this.selfAuthed = true;
        // With MS-CHAP in both directions both ends must pick the same exchange:
        // the one where the server (PPTP server / LNS) authenticates the client.
        const preferred = this.opts.role === 'server' ? 'peer' : 'self';
        if (e.keyMaterial && (this.keyMaterial === undefined || direction === preferred)) {
          this.keyMaterial = { material: e.keyMaterial, role: direction === 'peer' ? 'server' : 'client' };
        }
        if (first) this.emit({ type: 'auth-ok', protocol: e.protocol, username: e.username, direction, ...(e.requestId !== undefined ? { requestId: e.requestId } : {}) });
        this.maybeNetwork(now);
        break;
      }
      case 'failure': {
        const ev: SessionEvent = { type: 'auth-failed', protocol: e.protocol, reason: e.reason, final: e.final, direction };
        if (e.code !== undefined) ev.code = e.code;
        if (e.message !== undefined) ev.message = e.message;
        if (e.username !== undefined) ev.username = e.username;
        if (e.malformed !== undefined) ev.malformed = e.malformed;
        this.emit(ev);
        if (e.final) {
          const who = direction === 'peer' ? 'peer failed to authenticate' : 'we failed to authenticate';
          this.closeLink(`authentication failed (${e.protocol}): ${who}: ${e.reason}${e.code !== undefined ? ` E=${e.code}` : ''}${e.message ? ` ${e.message}` : ''}`, now);
        }
        break;
      }
    }
  }

  /** Authenticate → Network once every authentication in either direction succeeded. */
  private maybeNetwork(now: Millis): void {
    if (this.phase !== 'Authenticate') return;
    if (this.authServer && !this.peerAuthed) return;
    if (this.authClient && !this.selfAuthed) return;
    if (this.ccp && this.mppePolicy.required && this.keyMaterial === undefined) {
      const p = this.lcp.negotiated?.authPeer ?? this.lcp.negotiated?.authSelf ?? 'no authentication';
      this.closeLink(`MPPE is required but ${p} yields no MPPE keys (use MS-CHAP)`, now);
      return;
    }
    this.setPhase('Network');
    const start = (cp: { open(now: Millis, o: never): void; lowerUp(now: Millis, o: never): void; fsm: { protocol: number } } | undefined): void => {
      if (!cp) return;
      const co: CpOutput<unknown>[] = [];
      cp.open(now, co as never);
      cp.lowerUp(now, co as never);
      this.ncpOutputs(cp.fsm.protocol, co, now);
    };
    // CCP only makes sense with keys; without them (not required) it stays closed.
    if (this.keyMaterial !== undefined) start(this.ccp);
    start(this.ipcp);
    start(this.ipv6cp);
    if (!this.ipcp && !this.ipv6cp) this.closeLink('no network protocol enabled (IPv4 and IPv6 both off)', now);
  }

  private ncpOutputs(proto: number, o: CpOutput<unknown>[], now: Millis): void {
    for (const x of o) {
      if (x.kind === 'send') this.sendControl(x.proto, x.bytes);
      else if (x.kind === 'drop') this.drop(`control-${x.reason}`, `${protocolName(proto)}: ${x.detail ?? ''}`);
      else this.ncpEvent(proto, x.event as FsmEvent | CcpEvent | { type: 'ipcp-failed'; reason: string }, now);
    }
  }

  private ncpEvent(proto: number, e: FsmEvent | CcpEvent | { type: 'ipcp-failed'; reason: string }, now: Millis): void {
    switch (e.type) {
      case 'layer-up':
        if (proto === PPP_PROTO.CCP) this.ccpUp(now);
        else if (proto === PPP_PROTO.IPCP && this.ipcp?.negotiated) this.emit({ type: 'ipv4-up', ...this.ipcp.negotiated });
        else if (proto === PPP_PROTO.IPV6CP && this.ipv6cp?.negotiated) this.emit({ type: 'ipv6-up', ...this.ipv6cp.negotiated });
        this.checkUp();
        break;
      case 'layer-down':
        if (proto === PPP_PROTO.CCP) this.stopData();
        this.checkUp();
        break;
      case 'layer-finished':
        this.ncpFinished(proto, e.reason, now);
        break;
      case 'ccp-reset-request':
        this.encrypter?.onResetRequest();
        break;
      default:
        break; // layer-started, Reset-Ack, ipcp-failed (reported by its finish)
    }
  }

  private ncpRejected(proto: number, now: Millis): void {
    const cp = proto === PPP_PROTO.IPCP ? this.ipcp : proto === PPP_PROTO.IPV6CP ? this.ipv6cp : proto === PPP_PROTO.CCP ? this.ccp : undefined;
    if (!cp) return;
    // The peer does not run it: stop, and judge whether the link can go on.
    const co: CpOutput<unknown>[] = [];
    cp.lowerDown(now, co as never);
    this.ncpOutputs(proto, co, now);
    this.ncpFinished(proto, 'rejected by the peer (Protocol-Reject)', now);
  }

  private ncpFinished(proto: number, reason: string, now: Millis): void {
    if (this.phase !== 'Network') return;
    if (proto === PPP_PROTO.CCP) {
      this.stopData();
      if (this.mppePolicy.required) this.closeLink(`MPPE negotiation failed: ${reason}`, now);
      return;
    }
    const alive = (cp: Ipcp | Ipv6cp | undefined): boolean => cp !== undefined && cp.fsm.protocol !== proto && cp.fsm.state !== 'Stopped' && cp.fsm.state !== 'Closed' && cp.fsm.state !== 'Initial';
    if (!alive(this.ipcp) && !alive(this.ipv6cp)) this.closeLink(`no network protocol left: ${protocolName(proto)} ${reason}`, now);
    else this.checkUp();
  }

  private ccpUp(now: Millis): void {
    const neg = this.ccp?.negotiated;
    const km = this.keyMaterial;
    if (!neg || !km) return;
    let keys;
    try {
      keys = mppeStartKeys(km.material, neg.strength, km.role);
    } catch (err) {
      this.closeLink(`MPPE keys unavailable: ${(err as Error).message}`, now);
      return;
    }
    const mode: MppeOptions = { strength: neg.strength, stateless: neg.stateless };
    if (this.opts.mppePrimitives) mode.primitives = this.opts.mppePrimitives;
    this.encrypter = new MppeEncrypter(keys.send, mode);
    this.decrypter = new MppeDecrypter(keys.recv, mode);
    this.emit({ type: 'mppe-up', strength: neg.strength, stateless: neg.stateless });
    this.setMtu(Math.min(this.opts.mtu ?? 1500, this.lcp.negotiated?.peerMru ?? 1500) - MPPE_OVERHEAD);
    this.resendHeld(now);
  }

  private stopData(): void {
    this.encrypter = undefined;
    this.decrypter = undefined;
  }

  private checkUp(): void {
    const net = (this.ipcp?.fsm.isOpened ?? false) || (this.ipv6cp?.fsm.isOpened ?? false);
    const crypto = !this.mppePolicy.required || this.ccp === undefined || this.encrypter !== undefined;
    const up = this.phase === 'Network' && net && crypto;
    if (up && !this.up) {
      this.up = true;
      this.emit({ type: 'link-up' });
    } else if (!up && this.up) {
      this.up = false;
    }
  }

  private sendResetRequest(now: Millis): void {
    if (!this.ccp) return;
    const co: CpOutput<CcpEvent>[] = [];
    if (this.ccp.resetRequest(co)) this.lastResetRequestAt = now;
    this.ncpOutputs(PPP_PROTO.CCP, co, now);
  }

  private closeLink(reason: string, now: Millis): void {
    this.closeReason ??= reason;
    if (this.phase === 'Dead') return;
    const o: LcpOutput[] = [];
    this.lcp.close(reason, now, o);
    this.lcpOutputs(o, now);
    if (this.lcp.fsm.state === 'Closing') this.setPhase('Terminate');
    else if (this.lcp.fsm.state === 'Closed' || this.lcp.fsm.state === 'Initial') this.dead(now);
  }

  private dead(_now: Millis): void {
    if (this.phase === 'Dead') return;
    this.stopData();
    this.cancelVerify();
    this.authServer = undefined;
    this.authClient = undefined;
    this.up = false;
    this.setPhase('Dead');
    if (this.poolAddress !== undefined) {
      this.opts.addressPool?.release(this.poolAddress);
      this.poolAddress = undefined;
    }
    this.emit({ type: 'link-down', reason: this.closeReason ?? this.lcp.fsm.reason ?? 'closed' });
  }

  // ---------------------------------------------------------------- helpers

  private run(_now: Millis, fn: () => void): SessionOutput[] {
    const prev = this.out;
    const out: SessionOutput[] = [];
    this.out = out;
    try {
      fn();
    } finally {
      this.out = prev;
    }
    return out;
  }

  private setPhase(p: SessionPhase): void {
    if (this.phase === p) return;
    this.phase = p;
    this.emit({ type: 'phase', phase: p });
  }

  private setMtu(mtu: number): void {
    if (mtu === this.mtu) return;
    this.mtu = mtu;
    this.emit({ type: 'mtu', mtu });
  }

  private emit(event: SessionEvent): void {
    this.out.push({ kind: 'event', event });
  }

  private sendControl(proto: number, info: Uint8Array): void {
    // RFC 1661 §6.6: LCP packets always carry FF 03; others follow ACFC/PFC.
    const opts = proto === PPP_PROTO.LCP ? {} : this.tx;
    const frame = new Uint8Array(pppHeaderLength(proto, opts) + info.length);
    frame.set(info, writePppHeader(frame, 0, proto, opts));
    this.counters.framesOut++;
    this.out.push({ kind: 'send', proto, bytes: frame });
  }

  private count(reason: SessionDropReason): void {
    const d = this.counters.drops;
    d[reason] = (d[reason] ?? 0) + 1;
  }

  private drop(reason: SessionDropReason, detail?: string): void {
    this.count(reason);
    this.out.push(detail === undefined ? { kind: 'drop', reason } : { kind: 'drop', reason, detail });
  }

  private dropNow(reason: SessionDropReason): SessionOutput[] {
    this.count(reason);
    return [{ kind: 'drop', reason }];
  }

  private txDrop(reason: SessionDropReason): undefined {
    this.count(reason);
    return undefined;
  }
}
