/**
 * What every link of a running server shares: configuration, clock, timers,
 * randomness, logging, authentication, addresses, and the TUN side of the
 * data plane. Built once by server.ts; transports (PPTP, L2TP) and links
 * receive it instead of reaching for globals.
 */
import type { Clock } from '../io/clock.js';
import type { Rng } from '../core/rng.js';
import type { MppePrimitives } from '../ppp/mppe/primitives.js';
import type { Config } from '../config/schema.js';
import type { ChapSecret } from '../config/chap-secrets.js';
import type { AuthBackend } from '../ppp/auth/types.js';
import type { Logger } from '../log/logger.js';
import type { Scheduler } from './scheduler.js';
import type { AddressBook } from './addresses.js';
import type { TunSide } from './tun-side.js';
import type { ServerStats } from './stats.js';
import type { LinkObserver } from './link.js';

/** Shared state of one server (or client) process. */
export interface ServerContext {
  config: Config;
  secrets: readonly ChapSecret[];
  clock: Clock;
  rng: Rng;
  log: Logger;
  scheduler: Scheduler;
  backend: AuthBackend;
  addresses: AddressBook;
  tun: TunSide;
  stats: ServerStats;
  /** Next link number (for logs and the API). */
  nextLinkId(): number;
  /** RC4/SHA-1 for every link's MPPE (native when the addon has them; TypeScript otherwise). */
  mppePrimitives?: MppePrimitives;
  /** Watchers of every link's lifecycle (RADIUS accounting). */
  observers?: LinkObserver[];
}
