/**
 * What the PPTP and L2TP load generators (loadgen.ts, l2tp-loadgen.ts) share:
 * the per-session record, the bounded worker pool that opens sessions and
 * summarises their setup times, and the sessions' IP side — a small
 * in-process responder in place of a TUN that answers ICMP echo requests
 * sent to a session's address and counts the replies to our own pings —
 * and the server-side context their links run in.
 */
import { parseIpv4 } from '../../src/config/ipv4.js';
import { defaultConfig } from '../../src/config/schema.js';
import type { Rng } from '../../src/core/rng.js';
import type { Clock } from '../../src/io/clock.js';
import type { Logger } from '../../src/log/logger.js';
import { AddressBook } from '../../src/server/addresses.js';
import type { ServerContext } from '../../src/server/context.js';
import { Scheduler } from '../../src/server/scheduler.js';
import { newServerStats } from '../../src/server/stats.js';
import { internetChecksum } from '../../src/wire/checksum.js';
import { ipv4Dst, ipv4Src, ipVersion } from '../../src/wire/ip.js';
import type { PppLink } from '../../src/server/link.js';
import { TunSide } from '../../src/server/tun-side.js';

/** One load session. */
export interface LoadSession {
  readonly index: number;
  state: 'connecting' | 'up' | 'failed' | 'down';
  /** Our tunnel address (from IPCP). */
  localIp?: string;
  /** The server's tunnel address. */
  peerIp?: string;
  mppe?: string;
  /** Milliseconds from the start of this session's setup to link up. */
  setupMs?: number;
  /** Why it failed or went down. */
  reason?: string;
  link?: PppLink;
  /** L2TP: our Tunnel ID of the tunnel carrying the session. */
  tunnelId?: number;
}

/** How many of `sessions` have their link up. */
export function countUp(sessions: readonly LoadSession[]): number {
  let n = 0;
  for (const s of sessions) if (s.state === 'up') n++;
  return n;
}

/** What `open` reports. */
export interface OpenResult {
  requested: number;
  up: number;
  failed: number;
  ms: number;
  /** Sessions per second (up / seconds). */
  rate: number;
  /** Median and 99th percentile of per-session setup time. */
  p50Ms: number;
  p99Ms: number;
  /** The first few failure reasons. */
  errors: string[];
}

/** Counters of the IP side. */
export interface LoadgenStats {
  echoRequestsAnswered: number;
  pingsSent: number;
  pingReplies: number;
  ipPacketsIn: number;
}

/** A fresh set of IP-side counters. */
export function newLoadgenStats(): LoadgenStats {
  return { echoRequestsAnswered: 0, pingsSent: 0, pingReplies: 0, ipPacketsIn: 0 };
}

const ICMP_ECHO_REPLY = 0;
const ICMP_ECHO_REQUEST = 8;

/** An ICMP echo (request or reply) IPv4 packet. */
export function icmpEcho(type: 0 | 8, src: number, dst: number, id: number, seq: number, payloadBytes: number, payload?: Uint8Array): Uint8Array {
  const len = 20 + 8 + payloadBytes;
  const p = new Uint8Array(len);
  const v = new DataView(p.buffer);
  p[0] = 0x45;
  v.setUint16(2, len);
  v.setUint16(6, 0x4000); // DF
  p[8] = 64;
  p[9] = 1;
  v.setUint32(12, src);
  v.setUint32(16, dst);
  v.setUint16(10, internetChecksum(p, 0, 20));
  p[20] = type;
  v.setUint16(24, id);
  v.setUint16(26, seq);
  if (payload) p.set(payload.subarray(0, payloadBytes), 28);
  else for (let i = 0; i < payloadBytes; i++) p[28 + i] = i & 0xff;
  v.setUint16(22, internetChecksum(p, 20, len));
  return p;
}

/**
 * The sessions' IP side: packets the links deliver land here instead of a
 * TUN. Echo requests to a session's address are answered through that
 * session's link after the current batch (never from inside the receive path).
 */
export class LoadgenIpSide extends TunSide {
  /** Up sessions by their tunnel address (host-order u32). */
  readonly byAddr = new Map<number, PppLink>();
  private readonly replies: { link: PppLink; packet: Uint8Array }[] = [];

  constructor(
    private readonly ipClock: Clock,
    private readonly counters: LoadgenStats,
    /** Sends what the replies queued in the transport (the GRE batch); a no-op for L2TP. */
    private readonly afterReplies: () => void,
  ) {
    super({ ownerOf: () => undefined }, ipClock);
  }

  override write(packet: Uint8Array): void {
    this.counters.ipPacketsIn++;
    if (ipVersion(packet) !== 4 || packet.length < 28 || packet[9] !== 1) return;
    const ihl = (packet[0]! & 0x0f) * 4;
    if (packet.length < ihl + 8) return;
    const dst = ipv4Dst(packet);
    const link = this.byAddr.get(dst);
    if (!link) return;
    const type = packet[ihl];
    if (type === ICMP_ECHO_REPLY) this.counters.pingReplies++;
    else if (type === ICMP_ECHO_REQUEST) {
      const v = new DataView(packet.buffer, packet.byteOffset, packet.length);
      const payload = packet.subarray(ihl + 8);
      this.replies.push({ link, packet: icmpEcho(0, dst, ipv4Src(packet), v.getUint16(ihl + 4), v.getUint16(ihl + 6), payload.length, payload) });
    }
  }

  override flush(): void {
    if (this.replies.length === 0) return;
    const now = this.ipClock.now();
    for (const r of this.replies.splice(0)) {
      r.link.fromTun(r.packet, now);
      this.counters.echoRequestsAnswered++;
    }
    this.afterReplies();
  }
}

/**
 * The server-side context a load generator's links run in: default config
 * without client isolation, no secrets or authenticator (we are the client),
 * a fresh scheduler, `tun` as the IP side.
 */
export function loadgenContext(o: { clock: Clock; rng: Rng; log: Logger; tun: LoadgenIpSide }): ServerContext {
  const config = defaultConfig();
  config.clientIsolation = false;
  let ids = 0;
  return {
    config,
    secrets: [],
    clock: o.clock,
    rng: o.rng,
    log: o.log,
    scheduler: new Scheduler(o.clock),
    backend: { verify: () => ({ ok: false }) },
    addresses: new AddressBook(config, [], 'loadgen'),
    tun: o.tun,
    stats: newServerStats(),
    nextLinkId: () => ++ids,
  };
}

/**
 * Appends `count` sessions to `sessions` and sets each up with `startOne`, at
 * most `concurrency` at once; resolves with the summary once every one is up
 * or failed. `startOne` resolves when its session is up or has failed.
 */
export async function openInPool(
  sessions: LoadSession[],
  count: number,
  o: { concurrency?: number; timeoutMs?: number },
  startOne: (s: LoadSession, timeoutMs: number) => Promise<void>,
  stopped: () => boolean,
): Promise<OpenResult> {
  const concurrency = Math.max(1, o.concurrency ?? 64);
  const timeoutMs = o.timeoutMs ?? 30_000;
  const first = sessions.length;
  for (let i = 0; i < count; i++) sessions.push({ index: first + i, state: 'connecting' });
  let next = first;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < first + count && !stopped()) {
      const s = sessions[next++]!;
      await startOne(s, timeoutMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const ms = performance.now() - t0;
  const mine = sessions.slice(first);
  for (const s of mine) {
    // Sessions the pool never reached (stopped first) count as failed.
    if (s.state === 'connecting' && s.link === undefined && s.setupMs === undefined && stopped()) {
      s.state = 'failed';
      s.reason ??= 'load generator stopped';
    }
  }
  const up = mine.filter((s) => s.state === 'up');
  const times = up.map((s) => s.setupMs!).sort((a, b) => a - b);
  const pct = (p: number): number => (times.length ? times[Math.min(times.length - 1, Math.floor(p * times.length))]! : 0);
  return {
    requested: count,
    up: up.length,
    failed: count - up.length,
    ms,
    rate: up.length / (ms / 1000),
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    errors: [...new Set(mine.filter((s) => s.state !== 'up').map((s) => s.reason ?? '?'))].slice(0, 5),
  };
}

/**
 * Sends `count` ICMP echo requests (DF set, `payloadBytes` of data) from
 * every up session to the server's tunnel address; resolves with the replies
 * that came back within `waitMs`. `flush` sends what the links queued.
 */
export async function pingSessions(
  sessions: readonly LoadSession[],
  ip: { clock: Clock; stats: LoadgenStats; flush: () => void },
  payloadBytes: number,
  count: number,
  waitMs: number,
): Promise<{ sent: number; replies: number }> {
  const before = ip.stats.pingReplies;
  let sent = 0;
  for (let seq = 0; seq < count; seq++) {
    const now = ip.clock.now();
    for (const s of sessions) {
      if (s.state !== 'up' || !s.link || !s.localIp || !s.peerIp) continue;
      s.link.fromTun(icmpEcho(8, parseIpv4(s.localIp)!, parseIpv4(s.peerIp)!, s.index & 0xffff, seq, payloadBytes), now);
      sent++;
    }
    ip.flush();
    if (seq + 1 < count) await sleep(10);
  }
  ip.stats.pingsSent += sent;
  const t0 = Date.now();
  while (ip.stats.pingReplies - before < sent && Date.now() - t0 < waitMs) await sleep(20);
  return { sent, replies: ip.stats.pingReplies - before };
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
