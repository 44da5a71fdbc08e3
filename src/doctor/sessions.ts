/**
 * Session builder: routes each event to the session it belongs to.
 *
 * Theory of operation. A PPTP server session is one pptpd process (pid P)
 * plus the pppd it launches (pid Q); the pair is linked when pppd's first line
 * follows pptpd's "Starting call" on the same host (first launched, first
 * linked), or explicitly by "Reaping child PPP[Q]". xl2tpd runs one process
 * for many tunnels: its lines are routed by peer address or tunnel id, and
 * "Call established" links the next new pppd the same way. The pptp client
 * logs under its own pids; its lines join the host's most recent pppd.
 * IKE daemons are keyed by charon's IKE_SA id, pluto's connection instance or
 * the peer address. Lines without a pid (pppd's own log file, macOS ppp.log)
 * form one session per file until pppd exits and a new one starts.
 *
 * A session closes on its end line (pppd "Exit.", pptpd "control connection
 * finished", xl2tpd "Connection ... closed") and is finalised a few thousand
 * lines later, so stragglers still join it; memory stays flat because only
 * open sessions are held.
 */
import { Session } from './session.js';
import type { Ev, EvKind, Family } from './types.js';

/** Lines to wait after a session's end line before finalising it. */
const GRACE_LINES = 256;
/**
 * A session with no new line for this many lines is finalised as still open
 * (an IKE SA or tunnel whose end never reached the log), so memory stays flat.
 */
const IDLE_LINES = 200_000;
/** Session keys remembered by SessionBuilder.key. */
const MEMO_KEYS = 4;
/** A pppd is linked to a launcher only if it starts within this time (ms). */
const LAUNCH_WINDOW_MS = 120_000;

const PPP_START = new Set<EvKind>(['ppp-start', 'iface', 'connect', 'plugin', 'connecting']);

/** Builds sessions from events and hands each finished one to `onFinal`. */
export class SessionBuilder {
  private readonly byKey = new Map<string, Session>();
  private readonly current = new Map<string, Session>();
  private pending: Session[] = [];
  private closedQueue: Session[] = [];
  private seq = 0;
  private lineCounter = 0;

  constructor(private readonly onFinal: (s: Session) => void) {}

  private create(kind: Session['kind'], file: number, host: string | null): Session {
    return new Session(++this.seq, kind, file, host);
  }

  private bind(key: string, s: Session): void {
    const old = this.byKey.get(key);
    if (old === s) return;
    this.byKey.set(key, s);
    s.keys.push(key);
  }

  private close(s: Session): void {
    if (s.closed) return;
    s.closed = true;
    s.closedAt = this.lineCounter;
    this.closedQueue.push(s);
  }

  /** Moves `b` into `a` and repoints b's keys. */
  private merge(a: Session, b: Session): void {
    if (a === b) return;
    a.absorb(b);
    // b is dead now; see finalise for why its events are dropped.
    b.events = [];
    for (const k of b.keys) this.bind(k, a);
    b.keys = [];
    this.pending = this.pending.filter((x) => x !== b);
    for (const [k, v] of this.current) if (v === b) this.current.set(k, a);
  }

  private readonly bases: Map<string | null, string>[] = [];
  /** Per file: the one host its lines named so far (undefined: none yet; null: more than one). */
  private readonly soleHost: (string | null | undefined)[] = [];

  /**
   * The routing scope of a line: its host when the line names one (so a
   * session continues across rotated files given in order), else its file
   * (pid-less excerpts from different files never mix). Built once per host
   * string (the analyzer reuses host strings).
   */
  private base(file: number, host: string | null): string {
    // A line without a host in a file whose lines name one host only (a
    // container's syslog lines and its daemons' own stderr lines, mixed by
    // `docker logs`) belongs to that host: its pid or content places it.
    const sole = this.soleHost[file];
    if (host === null) {
      if (typeof sole === 'string') host = sole;
    } else if (sole === undefined) this.soleHost[file] = host;
    else if (sole !== null && sole !== host) this.soleHost[file] = null;
    let m = this.bases[file];
    if (!m) this.bases[file] = m = new Map();
    let b = m.get(host);
    if (b === undefined) {
      b = host === null ? `f${file}|` : `h|${host}`;
      if (m.size < 10_000) m.set(host, b);
    }
    return b;
  }

  /**
   * `prefix|tag|id`. The last few keys asked for are remembered (a PPTP call
   * interleaves pptpd and pppd lines, which ask for the same three keys, and
   * map lookups then hash a string object that already has its hash). No cache beyond that: a cache
   * of every pid or peer seen grows with the input and keeps its strings
   * alive long enough to be promoted to the old generation.
   */
  private key(prefix: string, tag: string, id: number | string): string {
    const m = this.memo;
    for (let i = 0; i < MEMO_KEYS * 4; i += 4) if (m[i + 1] === tag && m[i + 2] === id && m[i] === prefix) return m[i + 3] as string;
    const k = `${prefix}|${tag}|${id}`;
    // Oldest out: shift the entries down by one.
    for (let i = MEMO_KEYS * 4 - 1; i >= 4; i--) m[i] = m[i - 4]!;
    m[0] = prefix;
    m[1] = tag;
    m[2] = id;
    m[3] = k;
    return k;
  }

  private readonly memo: (string | number | null)[] = new Array<string | number | null>(MEMO_KEYS * 4).fill(null);

  /** Routes one event. */
  add(ev: Ev, family: Family, host: string | null, pid: number, sub?: string): void {
    this.lineCounter++;
    const base = this.base(ev.file, host);
    let s: Session;
    switch (family) {
      case 'pppd':
      case 'tunppp':
        s = this.pppd(ev, base, pid, host, sub);
        break;
      case 'pptpd':
        s = this.pptpd(ev, base, pid, host);
        break;
      case 'pptp':
        s = this.current.get(this.key(base, 'cur', 'pppd')) ?? this.keyed(this.key(base, 'pptp', pid), 'pptp', ev, host);
        s.role = 'client';
        if (s.kind === 'ppp') s.kind = 'pptp';
        break;
      case 'xl2tpd':
        s = this.xl2tpd(ev, base, pid, host);
        break;
      case 'ipsec':
        s = this.ipsec(ev, base, host);
        break;
    }
    s.add(ev);
    s.lastSeen = this.lineCounter;
    if ((this.lineCounter & 255) === 0) this.sweep(false);
    if ((this.lineCounter & 0xffff) === 0) this.expireIdle();
  }

  /** Finalises open sessions that have been silent for IDLE_LINES events (lines that became events). */
  private expireIdle(): void {
    const idle = new Set<Session>();
    for (const s of this.byKey.values()) if (!s.closed && this.lineCounter - s.lastSeen > IDLE_LINES) idle.add(s);
    for (const s of idle) this.finalise(s);
  }

  private keyed(key: string, kind: Session['kind'], ev: Ev, host: string | null): Session {
    let s = this.byKey.get(key);
    if (!s) {
      s = this.create(kind, ev.file, host);
      this.bind(key, s);
    }
    return s;
  }

  private pppd(ev: Ev, base: string, pid: number, host: string | null, sub?: string): Session {
    const key = this.key(base, 'pppd', sub ?? pid);
    let s = this.byKey.get(key);
    if (s && sub !== undefined && ev.kind === 'ctrl-start' && (s.closed || s.has('ctrl-start'))) s.pppClosed = true;
    if (s && s.pppClosed && (PPP_START.has(ev.kind) || ev.kind === 'ctrl-start')) {
      // pid reused, or a new pppd in a pid-less log after "Exit."
      this.byKey.delete(key);
      s.keys = s.keys.filter((k) => k !== key);
      s = undefined;
    }
    if (!s) {
      s = this.takeLauncher(ev, base) ?? this.create('ppp', ev.file, host);
      if (pid >= 0 && sub === undefined) s.pppdPid = pid;
      else if (pid >= 0) s.controlPid ??= pid;
      this.bind(key, s);
    }
    this.current.set(this.key(base, 'cur', 'pppd'), s);
    if (sub !== undefined && ev.kind === 'ctrl-end') {
      // tunppp: the control connection (PPTP) or tunnel (L2TP) is over.
      s.pppClosed = true;
      this.close(s);
    }
    if (ev.kind === 'exit') {
      s.pppClosed = true;
      if (s.controlPid === null && s.kind !== 'l2tp') this.close(s);
    }
    return s;
  }

  /** The oldest launcher on this host still waiting for its pppd. */
  private takeLauncher(ev: Ev, base: string): Session | undefined {
    for (let i = 0; i < this.pending.length; i++) {
      const l = this.pending[i]!;
      if (this.base(l.file, l.host) !== base) continue;
      if (Number.isFinite(l.launchTs) && Number.isFinite(ev.tsMs) && ev.tsMs - l.launchTs > LAUNCH_WINDOW_MS) continue;
      this.pending.splice(i, 1);
      l.awaitingPpp = false;
      return l;
    }
    return undefined;
  }

  private launch(s: Session, ev: Ev): void {
    if (s.awaitingPpp) return;
    s.awaitingPpp = true;
    s.launchTs = ev.tsMs;
    s.launchLine = ev.line;
    this.pending.push(s);
    // Launchers that never got a pppd do not pile up.
    if (this.pending.length > 1000) this.pending.shift();
  }

  private linkChild(s: Session, base: string, pid: number): void {
    const key = this.key(base, 'pppd', pid);
    const other = this.byKey.get(key);
    if (other && other !== s) this.merge(s, other);
    else if (!other) this.bind(key, s);
    s.pppdPid = pid;
    this.pending = this.pending.filter((x) => x !== s);
    s.awaitingPpp = false;
  }

  private pptpd(ev: Ev, base: string, pid: number, host: string | null): Session {
    const key = this.key(base, 'pptpd', pid);
    let s = this.byKey.get(key);
    if (s && ev.kind === 'ctrl-start' && (s.closed || s.has('ctrl-start'))) {
      this.close(s);
      this.byKey.delete(key);
      s = undefined;
    }
    if (!s) {
      s = this.create('pptp', ev.file, host);
      s.controlPid = pid >= 0 ? pid : null;
      s.role = 'server';
      this.bind(key, s);
    }
    if (ev.kind === 'call-start') this.launch(s, ev);
    else if (ev.kind === 'child-reaped' && ev.pid !== undefined) this.linkChild(s, base, ev.pid);
    else if (ev.kind === 'ctrl-end') this.close(s);
    return s;
  }

  private xl2tpd(ev: Ev, base: string, pid: number, host: string | null): Session {
    const cur = this.key(base, 'xl2tpd', pid);
    let s: Session | undefined;
    if (ev.peer) {
      const key = this.key(cur, 'peer', ev.peer);
      s = this.byKey.get(key);
      if (s && s.closed && ev.kind === 'l2tp-tunnel-up') {
        this.byKey.delete(key);
        s = undefined;
      }
      if (!s) {
        // A tunnel first seen by id (e.g. "Maximum retries") may learn its peer later.
        const byTunnel = ev.tunnel !== undefined ? this.byKey.get(this.key(cur, 'tunnel', ev.tunnel)) : undefined;
        const c = this.current.get(cur);
        // Lines before the first one naming the peer went to the daemon's current session.
        const adopt = c && !c.closed && !c.mergedInto && c.peer === null ? c : undefined;
        s = byTunnel && !byTunnel.closed ? byTunnel : adopt ?? this.create('l2tp', ev.file, host);
        this.bind(key, s);
        // L2TP/IPsec: the IKE exchange with the same peer just before is part of this session.
        const ike = this.byKey.get(this.key(this.key(base, 'cur', 'ipsec'), 'p', ev.peer));
        if (ike && ike !== s && !ike.closed && !ike.mergedInto) {
          this.merge(s, ike);
          if (s.kind === 'ipsec') s.kind = 'l2tp';
        }
      }
    } else if (ev.tunnel !== undefined && this.byKey.has(this.key(cur, 'tunnel', ev.tunnel))) {
      s = this.byKey.get(this.key(cur, 'tunnel', ev.tunnel))!;
    } else {
      s = this.current.get(cur);
      if (!s || s.mergedInto) {
        s = this.create('l2tp', ev.file, host);
        this.bind(`${cur}|anon|${s.seq}`, s);
      }
    }
    if (ev.tunnel !== undefined) this.bind(this.key(cur, 'tunnel', ev.tunnel), s);
    s.controlPid ??= pid >= 0 ? pid : null;
    if (s.kind === 'ppp') s.kind = 'l2tp';
    this.current.set(cur, s);
    if (ev.kind === 'l2tp-call-up') this.launch(s, ev);
    else if (ev.kind === 'l2tp-kill-ppp' && ev.pid !== undefined) this.linkChild(s, base, ev.pid);
    else if (ev.kind === 'l2tp-tunnel-closed') this.close(s);
    return s;
  }

  private ipsec(ev: Ev, base: string, host: string | null): Session {
    const cur = this.key(base, 'cur', 'ipsec');
    let s: Session | undefined;
    if (ev.peer) {
      const key = this.key(cur, 'p', ev.peer);
      s = this.byKey.get(key);
      if (s && s.closed) {
        this.byKey.delete(key);
        s = undefined;
      }
      if (!s) {
        s = this.create('ipsec', ev.file, host);
        this.bind(key, s);
      }
    } else {
      s = this.current.get(cur);
      if (!s || s.closed) {
        s = this.create('ipsec', ev.file, host);
        this.bind(`${cur}|anon|${s.seq}`, s);
      }
    }
    this.current.set(cur, s);
    if (ev.kind === 'ike-deleted') this.close(s);
    return s;
  }

  /** Finalises closed sessions whose grace period is over (all of them when `all`). */
  sweep(all: boolean): void {
    if (!this.closedQueue.length) return;
    const keep: Session[] = [];
    for (const s of this.closedQueue) {
      if (all || this.lineCounter - s.closedAt > GRACE_LINES) this.finalise(s);
      else keep.push(s);
    }
    this.closedQueue = keep;
  }

  private finalise(s: Session): void {
    if (s.mergedInto) return;
    for (const k of s.keys) if (this.byKey.get(k) === s) this.byKey.delete(k);
    // Runs once per session: no entry arrays, no copy of the (usually empty) launcher list.
    for (const k of this.current.keys()) if (this.current.get(k) === s) this.current.delete(k);
    if (this.pending.length && this.pending.includes(s)) this.pending = this.pending.filter((x) => x !== s);
    s.keys = [];
    this.onFinal(s);
    // Nothing reads a finalised session again. A session that lived through
    // two scavenges sits dead in the old generation until the next full
    // collection, and every young event it still points to survives each
    // scavenge and is promoted in turn (the events of the sessions after it
    // too): 116 MB promoted on 100 MB of VPN lines instead of 13 MB.
    s.events = [];
  }

  /** End of all input: finalises every session still held. */
  finish(): void {
    this.sweep(true);
    const open = new Set<Session>(this.byKey.values());
    for (const s of this.current.values()) open.add(s);
    for (const s of [...open].sort((a, b) => a.seq - b.seq)) if (!s.mergedInto) this.finalise(s);
    this.byKey.clear();
    this.current.clear();
    this.pending = [];
  }
}
