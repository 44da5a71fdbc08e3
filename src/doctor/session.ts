/**
 * One VPN session being rebuilt from events: the control connection
 * (pptpd pid / xl2tpd tunnel / IKE SA) and the pppd it launched, merged into
 * one event list, plus the fields read along the way.
 */
import type { Ev, EvKind } from './types.js';

/** Events a session stores at most; later ones only update fields and flags. */
const MAX_EVENTS = 600;

/** Kinds that only set a flag (too frequent to keep). */
const FLAG_ONLY = new Set<EvKind>(['rcvd-lcp']);

/** Bit index of each event kind seen so far (process-wide; there are about 90 kinds). */
const KIND_BIT = new Map<EvKind, number>();

function kindBit(kind: EvKind): number {
  let i = KIND_BIT.get(kind);
  if (i === undefined) KIND_BIT.set(kind, (i = KIND_BIT.size));
  return i;
}

/** A session under construction. */
export class Session {
  readonly seq: number;
  kind: 'pptp' | 'l2tp' | 'ppp' | 'ipsec';
  role: 'server' | 'client' | 'unknown' = 'unknown';
  readonly file: number;
  host: string | null;
  events: Ev[] = [];
  /**
   * Kinds seen, as bits (indices from KIND_BIT): four words, no per-session
   * set to grow (a Set per session was 7 % of all allocation); kinds past
   * the 128th go to `moreKinds`.
   */
  private k0 = 0;
  private k1 = 0;
  private k2 = 0;
  private k3 = 0;
  private moreKinds: Set<EvKind> | null = null;
  controlPid: number | null = null;
  pppdPid: number | null = null;
  peer: string | null = null;
  iface: string | null = null;
  user: string | null = null;
  auth: string | null = null;
  mppe: string | null = null;
  localIp: string | null = null;
  remoteIp: string | null = null;
  firstTs = NaN;
  lastTs = NaN;
  firstLine = 0;
  lastLine = 0;
  firstFile = 0;
  lastFile = 0;
  connectMinutes: number | null = null;
  bytesSent: number | null = null;
  bytesReceived: number | null = null;
  /** pppd said Exit (or its parent reported its exit). */
  pppClosed = false;
  /** The session is over; finalised after a grace period of lines. */
  closed = false;
  closedAt = 0;
  /** A controller launched pppd and waits for its first line. */
  awaitingPpp = false;
  launchTs = NaN;
  launchLine = 0;
  /** Builder's event counter at the last event (idle expiry). */
  lastSeen = 0;
  /** Map keys that point to this session (removed when it is finalised). */
  keys: string[] = [];
  /** Set by a merge: this session's events now live in another one. */
  mergedInto: Session | null = null;

  constructor(seq: number, kind: Session['kind'], file: number, host: string | null) {
    this.seq = seq;
    this.kind = kind;
    this.file = file;
    this.host = host;
    this.firstFile = file;
    this.lastFile = file;
  }

  /** True if an event of this kind was seen. */
  has(kind: EvKind): boolean {
    const i = KIND_BIT.get(kind);
    if (i === undefined) return false;
    const bit = 1 << (i & 31);
    switch (i >> 5) {
      case 0: return (this.k0 & bit) !== 0;
      case 1: return (this.k1 & bit) !== 0;
      case 2: return (this.k2 & bit) !== 0;
      case 3: return (this.k3 & bit) !== 0;
      default: return this.moreKinds !== null && this.moreKinds.has(kind);
    }
  }

  /** The first stored event of this kind. */
  find(kind: EvKind, pred?: (e: Ev) => boolean): Ev | undefined {
    // Every stored event went through add(), so a kind not seen has none
    // (rules ask for many kinds a session never had: no walk for those).
    if (!this.has(kind)) return undefined;
    return this.events.find((e) => e.kind === kind && (!pred || pred(e)));
  }

  /** All stored events of these kinds. */
  all(...kinds: EvKind[]): Ev[] {
    let seen = 0;
    for (let i = 0; i < kinds.length; i++) if (this.has(kinds[i]!)) seen++;
    if (seen === 0) return [];
    if (kinds.length === 1) {
      const k = kinds[0];
      return this.events.filter((e) => e.kind === k);
    }
    return this.events.filter((e) => kinds.includes(e.kind));
  }

  /** Records an event and the fields it carries. */
  add(ev: Ev): void {
    this.addKind(ev.kind);
    // Files are read in order, so (file, line) orders the lines of a session.
    if (!this.firstLine || ev.file < this.firstFile || (ev.file === this.firstFile && ev.line < this.firstLine)) {
      this.firstFile = ev.file;
      this.firstLine = ev.line;
    }
    if (ev.file > this.lastFile || (ev.file === this.lastFile && ev.line > this.lastLine)) {
      this.lastFile = ev.file;
      this.lastLine = ev.line;
    }
    if (Number.isFinite(ev.tsMs)) {
      if (!(this.firstTs <= ev.tsMs)) this.firstTs = ev.tsMs;
      if (!(this.lastTs >= ev.tsMs)) this.lastTs = ev.tsMs;
    }
    this.learn(ev);
    if (!FLAG_ONLY.has(ev.kind) && this.events.length < MAX_EVENTS) this.events.push(ev);
  }

  private addKind(kind: EvKind): void {
    const i = kindBit(kind);
    const bit = 1 << (i & 31);
    switch (i >> 5) {
      case 0: this.k0 |= bit; break;
      case 1: this.k1 |= bit; break;
      case 2: this.k2 |= bit; break;
      case 3: this.k3 |= bit; break;
      default: (this.moreKinds ??= new Set()).add(kind);
    }
  }

  private learn(ev: Ev): void {
    if (ev.transport === 'pptp' || ev.transport === 'l2tp') {
      if (this.kind === 'ppp') this.kind = ev.transport;
    }
    switch (ev.kind) {
      case 'iface':
      case 'connect':
        this.iface ??= ev.iface ?? null;
        break;
      case 'peer':
        this.peer ??= ev.peer ?? null;
        this.user ??= ev.user ?? null;
        this.iface ??= ev.iface ?? null;
        if (this.role === 'unknown') this.role = 'server';
        break;
      case 'user':
        this.user ??= ev.user ?? null;
        break;
      case 'ctrl-start':
      case 'ctrl-end':
        this.peer ??= ev.peer ?? null;
        this.role = 'server';
        break;
      case 'connecting':
      case 'call-up':
      case 'ctrl-connect-fail':
        this.peer ??= ev.peer ?? null;
        this.role = 'client';
        break;
      case 'auth-ok':
      case 'auth-fail':
        if (ev.method) this.auth ??= ev.method;
        if (ev.user) this.user ??= ev.user;
        if (this.role === 'unknown') this.role = ev.dir === 'peer' ? 'server' : 'client';
        break;
      case 'mppe-up':
        this.mppe ??= ev.reason ?? 'MPPE';
        break;
      case 'ip-local':
        this.localIp ??= ev.ip ?? null;
        this.remoteIp ??= ev.ip2 ?? null;
        this.user ??= ev.user ?? null;
        break;
      case 'link-down':
        this.connectMinutes = ev.n ?? this.connectMinutes;
        this.bytesSent = ev.n2 ?? this.bytesSent;
        this.bytesReceived = ev.n3 ?? this.bytesReceived;
        break;
      case 'ip-remote':
        this.remoteIp ??= ev.ip ?? null;
        break;
      case 'connect-time':
        this.connectMinutes = ev.n ?? null;
        break;
      case 'bytes':
        this.bytesSent = ev.n ?? null;
        this.bytesReceived = ev.n2 ?? null;
        break;
      case 'l2tp-tunnel-up':
      case 'l2tp-call-up':
      case 'l2tp-tunnel-closed':
      case 'l2tp-call-closed':
      case 'l2tp-denied':
        this.peer ??= ev.peer ?? null;
        break;
      case 'l2tp-msg':
        // The message types a peer sends tell which end we are (RFC 2661 §6):
        // SCCRQ/ICRQ arrive at the LNS, SCCRP/ICRP/SLI arrive at the LAC.
        if (this.role === 'unknown') {
          if (ev.n === 1 || ev.n === 10) this.role = 'server';
          else if (ev.n === 2 || ev.n === 11 || ev.n === 16) this.role = 'client';
        }
        break;
      case 'lcp-confreq':
        if (ev.dir === 'rcvd' && this.role === 'unknown') this.role = 'client';
        break;
      default:
        if (ev.peer && this.kind === 'ipsec') this.peer ??= ev.peer.includes('|') ? null : ev.peer;
    }
  }

  /** Moves every event and field of `other` into this session. */
  absorb(other: Session): void {
    for (const e of other.events) this.add(e);
    this.k0 |= other.k0;
    this.k1 |= other.k1;
    this.k2 |= other.k2;
    this.k3 |= other.k3;
    if (other.moreKinds) for (const k of other.moreKinds) this.addKind(k);
    this.events.sort((a, b) => a.file - b.file || a.line - b.line);
    this.pppClosed ||= other.pppClosed;
    other.mergedInto = this;
  }
}
