/**
 * `tunppp connect --reconnect`: a loop around connectPptp/connectL2tp that
 * connects again, with exponential backoff, when an established link goes
 * down (server restart, keepalive failure, call cleared, tunnel closed) or
 * the first attempt fails at the network level. Authentication and other
 * configuration failures are not retried: trying again cannot fix them and
 * would only lock the account. Each attempt's own stop/cleanup removes its
 * TUN device and routes, so nothing carries over between attempts.
 */
import { randomU32, type Rng } from '../core/rng.js';
import type { ClientInfo, RunningClient } from './common.js';

/** First retry delay. */
export const BACKOFF_INITIAL_MS = 1000;
/** The delay stops doubling here. */
export const BACKOFF_MAX_MS = 30_000;
/** ± this fraction of random jitter on each delay. */
export const BACKOFF_JITTER = 0.2;
/** A link that stayed up this long resets the backoff (a flapping server does not). */
export const STABLE_LINK_MS = 30_000;

/** Failures that another attempt cannot fix: wrong credentials, incompatible settings, local setup. */
const FATAL = [
  /authentication failed/i,
  /\bE=(691|646|647|648|649|709)\b/,
  /requires \S+ authentication but no credentials/i,
  /MPPE is required/i,
  /MPPE negotiation failed/i,
  /MPPE keys unavailable/i,
  /no network protocol/i,
  /client setup failed/i,
  /mismatch of preshared secrets/i,
  /NO_PROPOSAL_CHOSEN/,
  /cannot bind UDP port/i,
  /cannot open TUN|\bEACCES\b|\bEPERM\b/i,
];

/** Failures of the path to the server, or of a server going away: worth retrying even on the first attempt. */
const NETWORK = [
  /cannot reach/i,
  /no answer from/i,
  /control connection closed/i,
  /tunnel closed/i,
  /call cleared/i,
  /keepalive|echo/i,
  /timed? ?out/i,
  /\b(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENETDOWN|ETIMEDOUT|EPIPE|EAI_AGAIN)\b/,
];

/** True when `reason` (a connect error or link end reason) must not be retried. */
export function isFatalReason(reason: string): boolean {
  return FATAL.some((re) => re.test(reason));
}

/** True when `reason` is a network-level failure. */
export function isNetworkReason(reason: string): boolean {
  return NETWORK.some((re) => re.test(reason));
}

/**
 * Whether to connect again after `reason`. `everConnected`: some attempt of
 * this run reached "connected" — after that any drop except a fatal one is
 * retried; before it only network-level failures are (a server that refuses
 * the call on the very first try is more likely misconfigured than restarting).
 */
export function shouldRetry(reason: string, everConnected: boolean): boolean {
  if (isFatalReason(reason)) return false;
  return everConnected || isNetworkReason(reason);
}

/** A uniform number in [0, 1) from an Rng. */
export function unitFromRng(rng: Rng): number {
  return randomU32(rng) / 2 ** 32;
}

/**
 * The wait before retry `n` (1-based): 1 s doubling to 30 s, times a factor
 * in [0.8, 1.2) from `u` (uniform in [0, 1)).
 */
export function backoffDelayMs(n: number, u: number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** Math.max(0, Math.min(n - 1, 30)));
  return Math.round(base * (1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * u));
}

/** How a reconnect loop ended. */
export type ReconnectOutcome =
  | { kind: 'stopped' }
  | { kind: 'fatal'; reason: string }
  | { kind: 'gave-up'; reason: string; retries: number }
  /** Without --reconnect: the first failure or drop ends the run. */
  | { kind: 'failed'; reason: string };

export interface ReconnectOptions {
  /** One connection attempt with the same options each time. */
  connect: () => Promise<RunningClient>;
  /** Retry at all (false: one attempt, like plain `tunppp connect`). */
  reconnect: boolean;
  /** Retries after the last successful connection (undefined: unlimited). */
  maxRetries?: number;
  /** Uniform in [0, 1): jitter. */
  random: () => number;
  /** Milliseconds, monotonic. */
  now: () => number;
  /** Waits `ms`; resolves early when `cancel` resolves. */
  sleep?: (ms: number, cancel: Promise<void>) => Promise<void>;
  onConnected(info: ClientInfo, attempt: number): void;
  onDisconnected(reason: string): void;
  /** The connect attempt failed before the link came up. */
  onConnectFailed(reason: string): void;
  /** One line per retry: when and why. */
  onRetry(retry: number, delayMs: number, reason: string, maxRetries: number | undefined): void;
}

function defaultSleep(ms: number, cancel: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void cancel.then(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Connects, and reconnects per the policy above, until stopped or a failure ends it. */
export class ReconnectLoop {
  private stopped = false;
  private current: RunningClient | undefined;
  private resolveStop!: () => void;
  private readonly stopSignal = new Promise<void>((r) => (this.resolveStop = r));

  constructor(private readonly opts: ReconnectOptions) {}

  /** The user asked to stop (Ctrl-C): ends the wait or the link; run() then resolves 'stopped'. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.resolveStop();
    void this.current?.stop('user request');
  }

  async run(): Promise<ReconnectOutcome> {
    const o = this.opts;
    const sleep = o.sleep ?? defaultSleep;
    let everConnected = false;
    /** Retries since the last successful connection. */
    let retries = 0;
    /** Backoff step: reset only by a link that stayed up STABLE_LINK_MS. */
    let step = 0;
    let attempt = 0;
    for (;;) {
      if (this.stopped) return { kind: 'stopped' };
      attempt++;
      let reason = '';
      let client: RunningClient | undefined;
      try {
        client = await o.connect();
      } catch (err) {
        reason = (err as Error).message;
        if (this.stopped) return { kind: 'stopped' };
        o.onConnectFailed(reason);
      }
      if (client) {
        if (this.stopped) {
          await client.stop('user request');
          return { kind: 'stopped' };
        }
        this.current = client;
        everConnected = true;
        retries = 0;
        const upAt = o.now();
        o.onConnected(client.info, attempt);
        reason = await client.closed;
        this.current = undefined;
        o.onDisconnected(reason);
        if (this.stopped) return { kind: 'stopped' };
        if (o.now() - upAt >= STABLE_LINK_MS) step = 0;
      }
      if (!o.reconnect) return { kind: 'failed', reason };
      if (!shouldRetry(reason, everConnected)) return { kind: 'fatal', reason };
      if (o.maxRetries !== undefined && retries >= o.maxRetries) return { kind: 'gave-up', reason, retries };
      retries++;
      step++;
      const delay = backoffDelayMs(step, o.random());
      o.onRetry(retries, delay, reason, o.maxRetries);
      await sleep(delay, this.stopSignal);
    }
  }
}
