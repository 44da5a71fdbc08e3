/**
 * Admission limits against hostile or broken peers, shared by every service
 * of one server (config `limits`):
 *
 * - control connections still in their handshake, server-wide and per
 *   source address (accel-ppp's max-starting);
 * - open PPTP control connections per source address (connlimit);
 * - new control connections (PPTP accepts, L2TP SCCRQs) per source address
 *   within a window;
 * - PPP sessions not yet authenticated per source address, and fairness at
 *   the connection limit: a new session takes the place of the oldest
 *   unauthenticated session of the source holding the most of them, when
 *   that source would still hold more than the newcomer's source;
 * - authentication failures per user name and per source address: after N
 *   failures within the window the user or address is locked out for a
 *   cooling period, during which every login fails at once without reaching
 *   the backend. User names count by `lockoutKey` (case, `DOMAIN\` and
 *   `@realm` ignored), so spellings a case-insensitive backend treats as one
 *   account share one count.
 *
 * Every refusal is counted (GuardStats, exported as tunppp_refusals_total and
 * tunppp_auth_lockouts_total). Tables are bounded: the oldest entries go
 * first when a table is full, so a flood of fresh addresses or user names
 * costs memory proportional to the cap, never more.
 */
import type { Millis } from '../core/machine.js';
import { defaultConfig, type Config } from '../config/schema.js';
import type { ServerContext } from './context.js';
import type { ServerStats } from './stats.js';

/** Entries kept at most per table (per-address and per-user state). */
export const GUARD_TABLE_MAX = 16_384;

/** Why an admission was refused. */
export type GuardRefusal =
  /** Server-wide handshakes in progress reached limits.maxStarting. */
  | 'too-many-starting'
  /** This address has limits.maxStartingPerSource handshakes in progress. */
  | 'too-many-starting-from-source'
  /** This address has limits.maxConnectionsPerSource control connections open. */
  | 'too-many-from-source'
  /** This address opened limits.connectRatePerSource connections within limits.rateWindowS. */
  | 'connect-rate'
  /** This address has limits.maxUnauthenticatedPerSource sessions not yet authenticated. */
  | 'too-many-unauthenticated-from-source'
  /** connections.max sessions, and no source holds more unauthenticated ones than the newcomer's. */
  | 'connection-limit';

/** The counters the guard keeps (fields of ServerStats, so the metrics layer exports them). */
export type GuardStats = Pick<
  ServerStats,
  | 'refusedStarting'
  | 'refusedStartingPerSource'
  | 'refusedPerSource'
  | 'refusedConnectRate'
  | 'refusedUnauthenticatedPerSource'
  | 'refusedAtLimit'
  | 'evictedUnauthenticated'
  | 'authLockoutsUser'
  | 'authLockoutsSource'
  | 'authRefusedLocked'
>;

/** The ServerStats field each refusal counts in. */
const REFUSAL_FIELD: Record<GuardRefusal, keyof GuardStats> = {
  'too-many-starting': 'refusedStarting',
  'too-many-starting-from-source': 'refusedStartingPerSource',
  'too-many-from-source': 'refusedPerSource',
  'connect-rate': 'refusedConnectRate',
  'too-many-unauthenticated-from-source': 'refusedUnauthenticatedPerSource',
  'connection-limit': 'refusedAtLimit',
};

/** A PPP session as the guard sees it (PppLink fits). */
export interface GuardedSession {
  readonly state: 'starting' | 'up' | 'down';
  /** Set once the peer authenticated. */
  readonly authProtocol: string | undefined;
  readonly transport: { readonly peerAddress: string };
  /** Ends the session at once (its call is cleared). */
  lowerDown(reason: string, now: Millis): void;
}

/** Authenticated: the peer passed authentication, or the link is up (no authentication configured). */
function authenticated(s: GuardedSession): boolean {
  return s.state === 'up' || s.authProtocol !== undefined;
}

interface Window {
  /** Event times inside the window, oldest first (at most the limit + 1). */
  times: Millis[];
}

interface Failures {
  times: Millis[];
  lockedUntil: Millis;
}

/** Drops times older than `windowMs` and keeps at most `keep` of the newest. */
function prune(times: Millis[], now: Millis, windowMs: Millis, keep: number): void {
  let i = 0;
  while (i < times.length && times[i]! <= now - windowMs) i++;
  if (i > 0) times.splice(0, i);
  if (times.length > keep) times.splice(0, times.length - keep);
}

/** Inserts or refreshes `key` as the newest entry, evicting the oldest beyond the cap. */
function touch<V>(m: Map<string, V>, key: string, v: V): void {
  m.delete(key);
  m.set(key, v);
  if (m.size > GUARD_TABLE_MAX) {
    const oldest = m.keys().next();
    if (!oldest.done) m.delete(oldest.value);
  }
}

/**
 * The name a login counts under for the lockout: Unicode NFKC, lower case,
 * without a `DOMAIN\` prefix or an `@realm` suffix. Backends that compare
 * names case-insensitively or strip domains (Active Directory behind RADIUS,
 * for one) treat `Alice`, `CORP\alice` and `alice@corp` as one account; the
 * lockout must not give each spelling its own allowance of guesses. A name
 * that is nothing but a prefix or a suffix counts as the whole of it.
 */
export function lockoutKey(user: string): string {
  const full = user.normalize('NFKC').trim().toLowerCase();
  let name = full.slice(full.lastIndexOf('\\') + 1);
  const at = name.indexOf('@');
  if (at > 0) name = name.slice(0, at);
  return name === '' ? full : name;
}

/** Fresh zeroed guard counters (a guard without a server). */
export function newGuardStats(): GuardStats {
  return {
    refusedStarting: 0, refusedStartingPerSource: 0, refusedPerSource: 0, refusedConnectRate: 0, refusedUnauthenticatedPerSource: 0, refusedAtLimit: 0,
    evictedUnauthenticated: 0, authLockoutsUser: 0, authLockoutsSource: 0, authRefusedLocked: 0,
  };
}

/** The limits of one server. */
export class ConnectionGuard {
  private startingTotal = 0;
  private readonly starting = new Map<string, number>();
  private readonly open = new Map<string, number>();
  private readonly rate = new Map<string, Window>();
  private readonly userFailures = new Map<string, Failures>();
  private readonly sourceFailures = new Map<string, Failures>();

  /** `limits` may be a function so a configuration reload takes effect at once. */
  constructor(
    private readonly limitsSource: Config['limits'] | (() => Config['limits']),
    readonly stats: GuardStats = newGuardStats(),
  ) {}

  /** The limits in force. */
  get limits(): Config['limits'] {
    return typeof this.limitsSource === 'function' ? this.limitsSource() : this.limitsSource;
  }

  /** Handshakes in progress (for tests and the API). */
  get startingCount(): number {
    return this.startingTotal;
  }

  /** Open connections counted per source (for tests: zero when nothing leaks). */
  get openCount(): number {
    let n = 0;
    for (const v of this.open.values()) n += v;
    return n;
  }

  /**
   * A new control connection from `source`: counts it against the rate and
   * returns why it must be refused, if it must. On success the caller owns one
   * "starting" and one "open" slot and gives them back with `handshakeDone`
   * and `closed`.
   */
  admit(source: string, now: Millis, opts: { perSourceOpen?: boolean } = {}): GuardRefusal | undefined {
    const l = this.limits;
    const perSourceOpen = opts.perSourceOpen !== false;
    const why = this.check(source, now, this.startingTotal, this.starting.get(source) ?? 0, () => perSourceOpen && (this.open.get(source) ?? 0) >= l.maxConnectionsPerSource);
    if (why) return why;
    this.startingTotal++;
    this.starting.set(source, (this.starting.get(source) ?? 0) + 1);
    if (perSourceOpen) this.open.set(source, (this.open.get(source) ?? 0) + 1);
    return undefined;
  }

  /**
   * A new L2TP tunnel (an SCCRQ from `source`): the caller counts the tunnels
   * still in setup, server-wide and from this address, as the endpoint holds
   * them. Counts the SCCRQ against the rate; returns why to drop it, if so.
   */
  admitTunnel(source: string, now: Millis, startingTotal: number, startingFromSource: number): GuardRefusal | undefined {
    return this.check(source, now, startingTotal, startingFromSource, () => false);
  }

  /**
   * A new PPP session (PPTP call, L2TP session) from `source`, among the live
   * `sessions` of its service, which holds at most `max`. Refused when
   * `source` already has limits.maxUnauthenticatedPerSource sessions not yet
   * authenticated. At `max`, the oldest unauthenticated session of the source
   * holding the most of them is ended to make room, when that source holds
   * more than the newcomer's will (so unauthenticated sessions of a few
   * sources cannot keep others out); otherwise refused. Counts refusals and
   * evictions; returns why to refuse, if so.
   */
  admitSession(source: string, sessions: Iterable<GuardedSession>, max: number, now: Millis): GuardRefusal | undefined {
    const unauth = new Map<string, GuardedSession[]>();
    let live = 0;
    for (const s of sessions) {
      if (s.state === 'down') continue;
      live++;
      if (authenticated(s)) continue;
      const list = unauth.get(s.transport.peerAddress);
      if (list) list.push(s);
      else unauth.set(s.transport.peerAddress, [s]);
    }
    const mine = unauth.get(source)?.length ?? 0;
    let why: GuardRefusal | undefined;
    if (mine >= this.limits.maxUnauthenticatedPerSource) why = 'too-many-unauthenticated-from-source';
    else if (live >= max) {
      // The newcomer will hold mine + 1; evict only from a source holding more than that.
      let victims: GuardedSession[] | undefined;
      for (const list of unauth.values()) if (list.length > (victims?.length ?? mine + 1)) victims = list;
      const victim = victims?.[0];
      if (victim) {
        this.stats.evictedUnauthenticated++;
        victim.lowerDown(`evicted at the connection limit: ${victims!.length} unauthenticated sessions from ${victim.transport.peerAddress}, a session from ${source} needs the slot`, now);
      } else why = 'connection-limit';
    }
    if (why) this.stats[REFUSAL_FIELD[why]]++;
    return why;
  }

  /** Counts a new attempt from `source` against the rate, then the starting limits; counts and returns a refusal. */
  private check(source: string, now: Millis, startingTotal: number, startingFromSource: number, tooManyOpen: () => boolean): GuardRefusal | undefined {
    const l = this.limits;
    const w = this.rate.get(source) ?? { times: [] };
    prune(w.times, now, l.rateWindowS * 1000, l.connectRatePerSource);
    w.times.push(now);
    touch(this.rate, source, w);
    let why: GuardRefusal | undefined;
    if (w.times.length > l.connectRatePerSource) why = 'connect-rate';
    else if (startingTotal >= l.maxStarting) why = 'too-many-starting';
    else if (startingFromSource >= l.maxStartingPerSource) why = 'too-many-starting-from-source';
    else if (tooManyOpen()) why = 'too-many-from-source';
    if (why) this.stats[REFUSAL_FIELD[why]]++;
    return why;
  }

  /** The handshake of an admitted connection ended (success or not). Call once. */
  handshakeDone(source: string): void {
    const n = this.starting.get(source) ?? 0;
    if (n <= 0) return;
    this.startingTotal--;
    if (n === 1) this.starting.delete(source);
    else this.starting.set(source, n - 1);
  }

  /** An admitted connection closed. Call once (after or instead of handshakeDone). */
  closed(source: string): void {
    const n = this.open.get(source) ?? 0;
    if (n <= 1) this.open.delete(source);
    else this.open.set(source, n - 1);
  }

  /**
   * Before checking credentials: true when `user` (by its lockout key) or
   * `source` is locked out. Counts the refusal.
   */
  authLocked(user: string, source: string, now: Millis): boolean {
    const u = this.userFailures.get(lockoutKey(user));
    const s = this.sourceFailures.get(source);
    if ((u && u.lockedUntil > now) || (s && s.lockedUntil > now)) {
      this.stats.authRefusedLocked++;
      return true;
    }
    return false;
  }

  /**
   * The outcome of one credential check. A failure may start a lockout
   * (returned so the caller can log it). A success clears the user's count,
   * not the address's: one good account must not reset guessing from a source.
   */
  authResult(user: string, source: string, ok: boolean, now: Millis): { lockedUser: boolean; lockedSource: boolean } {
    const a = this.limits.authFailures;
    const userKey = lockoutKey(user);
    if (ok) {
      this.userFailures.delete(userKey);
      return { lockedUser: false, lockedSource: false };
    }
    const windowMs = a.windowS * 1000;
    const lock = (m: Map<string, Failures>, key: string, limit: number): boolean => {
      const f = m.get(key) ?? { times: [], lockedUntil: 0 };
      prune(f.times, now, windowMs, limit);
      f.times.push(now);
      let started = false;
      if (f.times.length >= limit && f.lockedUntil <= now) {
        f.lockedUntil = now + a.lockoutS * 1000;
        f.times = [];
        started = true;
      }
      touch(m, key, f);
      return started;
    };
    const lockedUser = lock(this.userFailures, userKey, a.perUser);
    const lockedSource = lock(this.sourceFailures, source, a.perSource);
    if (lockedUser) this.stats.authLockoutsUser++;
    if (lockedSource) this.stats.authLockoutsSource++;
    return { lockedUser, lockedSource };
  }

  /** Users (by lockout key) and addresses locked out at `now` (for the API and tests). */
  lockedOut(now: Millis): { users: string[]; sources: string[] } {
    const live = (m: Map<string, Failures>): string[] => [...m].filter(([, f]) => f.lockedUntil > now).map(([k]) => k);
    return { users: live(this.userFailures), sources: live(this.sourceFailures) };
  }
}

const guards = new WeakMap<ServerContext, ConnectionGuard>();

/**
 * The guard of a server context, made on first use from `ctx.config.limits`
 * (a context built without `limits`, as some tests do, gets the defaults).
 */
export function guardOf(ctx: ServerContext): ConnectionGuard {
  let g = guards.get(ctx);
  if (!g) {
    // The counters live in ctx.stats so the metrics layer exports them with the others.
    let schemaDefaults: Config['limits'] | undefined;
    g = new ConnectionGuard(() => ctx.config.limits ?? (schemaDefaults ??= defaultConfig().limits), ctx.stats);
    guards.set(ctx, g);
  }
  return g;
}

