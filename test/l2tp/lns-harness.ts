/**
 * An in-process LNS for tests: the real L2tpService on a loopback UDP port,
 * with a server context that has no TUN device (packets for the TUN are
 * counted and dropped), and a clock the test can move forward to expire
 * hold timers without waiting.
 */
import { performance } from 'node:perf_hooks';
import { parseChapSecrets } from '../../src/config/chap-secrets.js';
import { formatSecretLine, lookupSecret } from '../../src/config/chap-secrets.js';
import { ConfigSchema, type ConfigInput } from '../../src/config/schema.js';
import { seededRng, type Rng } from '../../src/core/rng.js';
import type { Clock } from '../../src/io/clock.js';
import { silentLogger, type Logger } from '../../src/log/logger.js';
import { secretBackend } from '../../src/ppp/auth/verify.js';
import { AddressBook } from '../../src/server/addresses.js';
import type { ServerContext } from '../../src/server/context.js';
import { L2tpService } from '../../src/server/l2tp-service.js';
import type { PppLink } from '../../src/server/link.js';
import { Scheduler } from '../../src/server/scheduler.js';
import { newServerStats } from '../../src/server/stats.js';
import { TunSide } from '../../src/server/tun-side.js';

/** Real time plus a jump the test controls. */
export class SkewClock implements Clock {
  skewMs = 0;
  now(): number {
    return performance.now() + this.skewMs;
  }
}

/** A context with no TUN: what a transport test needs of a server or a client. */
export function testContext(config: ConfigInput, opts: { users?: [string, string][]; clock?: Clock; rng?: Rng; log?: Logger } = {}): ServerContext {
  const c = ConfigSchema.parse(config);
  const secrets = parseChapSecrets((opts.users ?? []).map(([u, p]) => formatSecretLine(u, '*', p, '*')).join('\n') + '\n', 'chap-secrets').entries;
  const clock = opts.clock ?? new SkewClock();
  const addresses = new AddressBook<PppLink>(c, secrets, c.ppp.name);
  let ids = 0;
  const scheduler = new Scheduler(clock);
  const tun = new TunSide(addresses, clock);
  scheduler.afterFire = () => tun.flush();
  return {
    config: c,
    secrets,
    clock,
    rng: opts.rng ?? seededRng(1),
    log: opts.log ?? silentLogger,
    scheduler,
    backend: secretBackend((user, server) => lookupSecret(secrets, user, server)?.secret),
    addresses,
    tun,
    stats: newServerStats(),
    nextLinkId: () => ++ids,
  };
}

/** A running in-process LNS. */
export interface TestLns {
  ctx: ServerContext;
  service: L2tpService;
  clock: SkewClock;
  port: number;
  stop(): Promise<void>;
}

/** Starts the L2TP service on 127.0.0.1, an ephemeral port. */
export async function startTestLns(opts: { users: [string, string][]; config?: ConfigInput; seed?: number; log?: Logger }): Promise<TestLns> {
  const clock = new SkewClock();
  const ctx = testContext(
    {
      pools: [{ name: 'test', local: '10.99.0.1', ranges: ['10.99.0.10-10.99.0.250'] }],
      connections: { max: 500 },
      ...opts.config,
      listen: { pptp: { enabled: false }, l2tp: { addresses: ['127.0.0.1'], ...opts.config?.listen?.l2tp } },
    },
    { users: opts.users, clock, rng: seededRng(opts.seed ?? 7), ...(opts.log ? { log: opts.log } : {}) },
  );
  ctx.config.listen.l2tp.port = 0; // ephemeral (the schema allows 1..65535 for users)
  const service = new L2tpService(ctx);
  const [bound] = await service.listen();
  return {
    ctx,
    service,
    clock,
    port: bound!.port,
    async stop() {
      await service.stop(200);
      ctx.scheduler.stop();
    },
  };
}
