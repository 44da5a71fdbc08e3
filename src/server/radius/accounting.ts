/**
 * RADIUS accounting and the session limits of an Access-Accept: the table of
 * links RADIUS follows (Acct-Session-Id, what the accepting answer granted),
 * Start / Interim-Update / Stop records driven by link events (RFC 2866),
 * Accounting-On/Off, and Session-Timeout, Idle-Timeout and
 * Acct-Interim-Interval checked by `poll`.
 */
import type { Config } from '../../config/schema.js';
import type { Millis } from '../../core/machine.js';
import type { Clock } from '../../io/clock.js';
import type { Logger } from '../../log/logger.js';
import { accountingAttributes, accountingOnOffAttributes, terminateCauseFor, type AcctSession } from '../../radius/accounting.js';
import type { AcceptInfo, NasInfo } from '../../radius/auth.js';
import { RADIUS_CODE, type RadiusAttribute } from '../../radius/codec.js';
import type { PppLink } from '../link.js';
import type { RadiusUdpClient } from './transport.js';

/** A link's RADIUS state, from Access-Accept to Stop. */
export interface TrackedSession {
  link: PppLink;
  sessionId: string;
  accept: AcceptInfo | undefined;
  authentic: 'radius' | 'local';
  upAt: Millis | undefined;
  nextInterimAt: Millis | undefined;
  interimMs: number;
  lastActivityAt: Millis;
  lastPackets: number;
  stopSent: boolean;
  /**
   * What each backend answer granted, by requestId, until the session says
   * which one let the peer in (`linkAuthenticated`): a late answer for an
   * exchange that is gone never changes the link.
   */
  offers: Map<number, { authentic: 'radius' | 'local'; accept: AcceptInfo | undefined }>;
}

/** The links RADIUS follows, and their accounting. */
export class RadiusAccounting {
  /** The accounting client; undefined when radius.accounting is off (no records are sent). */
  client: RadiusUdpClient | undefined;
  readonly tracked = new Map<PppLink, TrackedSession>();
  private readonly pending = new Set<Promise<unknown>>();
  private sessionSeq = 0;

  constructor(
    private readonly radius: Config['radius'],
    /** Unique per process start: the prefix of every Acct-Session-Id and the Accounting-On/Off session. */
    private readonly bootId: string,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** The link's state, created on first use. */
  track(link: PppLink): TrackedSession {
    let t = this.tracked.get(link);
    if (!t) {
      // Acct-Session-Id: boot id and a counter, unique across restarts (RFC 2866 §5.5).
      t = {
        link,
        sessionId: `${this.bootId}-${(++this.sessionSeq).toString(16).toUpperCase().padStart(8, '0')}`,
        accept: undefined,
        authentic: 'local',
        upAt: undefined,
        nextInterimAt: undefined,
        interimMs: 0,
        lastActivityAt: this.clock.now(),
        lastPackets: 0,
        stopSent: false,
        offers: new Map(),
      };
      this.tracked.set(link, t);
      link.acctSessionId = t.sessionId;
    }
    return t;
  }

  /** The NAS attributes of a request, for a link (NAS-Port, Calling-Station-Id) or for the NAS as a whole. */
  nasInfo(link: PppLink | undefined, sessionId: string | undefined): NasInfo {
    const nas: NasInfo = { nasIdentifier: this.radius.nasIdentifier };
    if (this.radius.nasIpAddress !== undefined) nas.nasIpAddress = this.radius.nasIpAddress;
    if (link) {
      nas.nasPort = link.id;
      nas.nasPortId = link.transport.proto;
      nas.callingStationId = link.transport.peerAddress;
    }
    if (sessionId !== undefined) nas.acctSessionId = sessionId;
    return nas;
  }

  /** Accounting-On (at start) or Accounting-Off (at stop). */
  onOff(on: boolean): void {
    this.send(accountingOnOffAttributes(on, this.nasInfo(undefined, undefined), this.bootId), on ? 'Accounting-On' : 'Accounting-Off');
  }

  /** Waits for the records in flight (each bounded by the retransmission budget). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private acctSession(t: TrackedSession): AcctSession {
    const s: AcctSession = {
      sessionId: t.sessionId,
      username: t.link.username ?? '',
      nas: this.nasInfo(t.link, undefined),
      classes: t.accept?.classes ?? [],
      authentic: t.authentic,
      multiSessionId: t.sessionId,
    };
    if (t.link.peerIp !== undefined) s.framedIpAddress = t.link.peerIp;
    return s;
  }

  private counters(t: TrackedSession, now: Millis): { inputOctets: number; outputOctets: number; inputPackets: number; outputPackets: number; sessionTimeS: number } {
    const c = t.link.session.counters;
    return { inputOctets: c.bytesIn, outputOctets: c.bytesOut, inputPackets: c.packetsIn, outputPackets: c.packetsOut, sessionTimeS: t.upAt === undefined ? 0 : (now - t.upAt) / 1000 };
  }

  private send(attrs: RadiusAttribute[], what: string): void {
    const client = this.client;
    if (!client) return;
    const p = client.request(RADIUS_CODE.ACCOUNTING_REQUEST, attrs).then(
      (a) => {
        if (!a) this.log.warn('radius-acct', `no RADIUS server acknowledged accounting ${what}`);
      },
      (err: Error) => this.log.warn('radius-acct', `accounting ${what} not sent: ${err.message}`),
    );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Link observer: IPCP is up. */
  linkUp(link: PppLink, now: Millis): void {
    const t = this.track(link);
    t.upAt = now;
    t.lastActivityAt = now;
    const interimS = t.accept?.acctInterimIntervalS ?? this.radius.interimS;
    // RFC 2869 §5.16: not more often than every 60 s.
    t.interimMs = interimS > 0 ? Math.max(60, interimS) * 1000 : 0;
    if (t.interimMs > 0) t.nextInterimAt = now + t.interimMs;
    if (this.client) this.send(accountingAttributes('start', this.acctSession(t)), `Start for ${link.username ?? '?'}`);
  }

  /** Link observer: the link is down and gone. */
  linkEnded(link: PppLink, reason: string, now: Millis): void {
    const t = this.tracked.get(link);
    if (!t) return;
    this.tracked.delete(link);
    if (t.upAt === undefined || t.stopSent || !this.client) return;
    t.stopSent = true;
    this.send(accountingAttributes('stop', this.acctSession(t), this.counters(t, now), terminateCauseFor(reason)), `Stop for ${link.username ?? '?'}`);
  }

  /** Session-Timeout, Idle-Timeout and Interim-Update at `now`. */
  poll(now: Millis): void {
    for (const t of [...this.tracked.values()]) {
      if (t.upAt === undefined) continue;
      const a = t.accept;
      if (a?.sessionTimeoutS !== undefined && now - t.upAt >= a.sessionTimeoutS * 1000) {
        t.link.close(`Session-Timeout (${a.sessionTimeoutS} s)`, now);
        continue;
      }
      const c = t.link.session.counters;
      const packets = c.packetsIn + c.packetsOut;
      if (packets !== t.lastPackets) {
        t.lastPackets = packets;
        t.lastActivityAt = now;
      }
      if (a?.idleTimeoutS !== undefined && now - t.lastActivityAt >= a.idleTimeoutS * 1000) {
        t.link.close(`Idle-Timeout (${a.idleTimeoutS} s)`, now);
        continue;
      }
      if (t.nextInterimAt !== undefined && now >= t.nextInterimAt && this.client) {
        t.nextInterimAt = now + t.interimMs;
        this.send(accountingAttributes('interim-update', this.acctSession(t), this.counters(t, now)), `Interim-Update for ${t.link.username ?? '?'}`);
      }
    }
  }
}
