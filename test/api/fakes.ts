/** Fake links and a fake server for the API and metrics tests. */
import type { SessionCounters } from '../../src/ppp/session.js';
import type { LinkView } from '../../src/metrics/source.js';
import { newServerStats, type ServerStats } from '../../src/server/stats.js';
import type { OpsServer } from '../../src/api/ops.js';

/** A link whose counters and state the test sets. */
export class FakeLink implements LinkView {
  state: 'starting' | 'up' | 'down' = 'up';
  readonly transport: { proto: 'pptp' | 'l2tp'; peerAddress: string };
  readonly session: { counters: SessionCounters } = { counters: { framesIn: 0, framesOut: 0, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, drops: {} } };
  username: string | undefined;
  authProtocol: string | undefined = 'mschap-v2';
  peerIp: string | undefined;
  localIp: string | undefined = '192.168.99.1';
  mppe: string | undefined = '128-bit stateless';
  mtu = 1400;
  readonly startedAt: number;
  upAt: number | undefined;
  closes: string[] = [];
  rateLimit: { upBps?: number; downBps?: number } | undefined;
  rateLimitSource: string | undefined;
  framedAddress: string | undefined;
  acctSessionId: string | undefined;
  /** Whether close() ends the link at once (the peer acks the Terminate-Request). */
  endsOnClose = true;

  constructor(
    readonly id: number,
    opts: { proto?: 'pptp' | 'l2tp'; peer?: string; user?: string; ip?: string; startedAt?: number; upAfterMs?: number } = {},
  ) {
    this.transport = { proto: opts.proto ?? 'pptp', peerAddress: opts.peer ?? `203.0.113.${id}` };
    this.username = opts.user;
    this.peerIp = opts.ip;
    this.startedAt = opts.startedAt ?? Date.now() - 60_000;
    this.upAt = this.startedAt + (opts.upAfterMs ?? 800);
  }

  uptimeS(): number {
    return (Date.now() - (this.upAt ?? this.startedAt)) / 1000;
  }

  close(reason: string): void {
    this.closes.push(reason);
    if (this.endsOnClose) this.state = 'down';
  }
}

/** A server holding fake links. */
export class FakeServer implements OpsServer {
  readonly ctx: { stats: ServerStats; clock: { now(): number } } = { stats: newServerStats(), clock: { now: () => performance.now() } };
  readonly listening = [{ proto: 'pptp', address: '10.0.0.1', port: 1723 }];
  readonly tun = { name: 'tunppp0' };
  live: FakeLink[] = [];
  flushes = 0;

  links(): FakeLink[] {
    return this.live;
  }

  flush(): void {
    this.flushes++;
  }
}

export { captureContext } from '../helpers/cli-context.js';
