/**
 * Connect/disconnect soak of the real PPTP server code, in one process and
 * without privileges: PptpService on 127.0.0.1 (real TCP), the load generator
 * (bench/loadgen/loadgen.ts, real PptpControl + PppLink with MS-CHAPv2 and
 * MPPE-128), and an in-memory GRE wire between their GRE endpoints.
 *
 * After every round it checks that nothing leaked: links, guard slots, call
 * IDs, pool addresses, timers (scheduler entries) and file descriptors
 * (/proc/self/fd), and samples heap and RSS after a forced GC. Used by
 * test/soak/soak.test.ts (short) and `npm run bench -- soak` (10,000 cycles).
 */
import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { seededRng } from '../../src/core/rng.js';
import type { GreSocket } from '../../src/io/gre-socket.js';
import { RxBatch, type TxBatch } from '../../src/io/packet-batch.js';
import { META_FIELDS } from '../../src/io/native.js';
import { silentLogger } from '../../src/log/logger.js';
import { PptpLoadgen } from '../../bench/loadgen/loadgen.js';
import { PptpService } from '../../src/server/pptp-service.js';
import { guardOf } from '../../src/server/guard.js';
import { testContext } from '../l2tp/lns-harness.js';

const LOOPBACK = 0x7f000001;

/** One end of an in-memory GRE wire: what one side sends, the other receives (from LOOPBACK), a turn later. */
/** Faults of the GRE wire, in percent of packets (seeded). */
export interface WireFaults {
  lossPct: number;
  dupPct: number;
  /** Packets held back and delivered after the next ones. */
  reorderPct: number;
  seed: number;
}

class WireEnd {
  peer: WireEnd | undefined;
  faults: WireFaults | undefined;
  private rngState = 1;
  private late: Uint8Array[] = [];
  private cb: ((b: RxBatch) => void) | undefined;
  private queue: Uint8Array[] = [];
  private scheduled = false;
  private readonly rx = new RxBatch(64, 2048);
  closed = false;
  sent = 0;

  socket(): GreSocket {
    return {
      onPackets: (cb: (b: RxBatch) => void) => void (this.cb = cb),
      onIcmpError: () => {},
      onSendError: () => {},
      onError: () => {},
      send: (batch: TxBatch): number => {
        this.deliver(batch);
        return batch.count;
      },
      sendTo: () => true,
      pathMtu: () => undefined,
      close: () => void (this.closed = true),
    } as unknown as GreSocket;
  }

  private deliver(batch: TxBatch): void {
    const p = this.peer;
    if (!p || p.closed || this.closed) return;
    for (let i = 0; i < batch.count; i++) {
      const len = batch.length(i);
      // TxBatch meta: offset, length, destination, status, source (see packet-batch.ts).
      const off = batch.meta[i * META_FIELDS]!;
      const bytes = batch.data.slice(off, off + len);
      this.sent++;
      const f = this.faults;
      if (f) {
        const r = this.random() * 100;
        if (r < f.lossPct) continue;
        if (r < f.lossPct + f.dupPct) p.queue.push(bytes);
        else if (r < f.lossPct + f.dupPct + f.reorderPct) {
          p.late.push(bytes);
          continue;
        }
      }
      p.queue.push(bytes);
    }
    if (!p.scheduled) {
      p.scheduled = true;
      setImmediate(() => p.flush());
    }
  }

  /** xorshift32, seeded from faults.seed: the same faults on every run. */
  private random(): number {
    if (this.rngState === 1 && this.faults) this.rngState = this.faults.seed | 1;
    let x = this.rngState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rngState = x >>> 0;
    return this.rngState / 2 ** 32;
  }

  private flush(): void {
    this.scheduled = false;
    // Held-back packets go after this turn's packets: reordered, not lost.
    if (this.late.length > 0) {
      this.queue.push(...this.late);
      this.late = [];
    }
    while (this.queue.length > 0 && !this.closed) {
      const n = Math.min(64, this.queue.length);
      const rx = this.rx;
      let used = 0;
      const fields = META_FIELDS;
      for (let i = 0; i < n; i++) {
        const b = this.queue[i]!;
        rx.data.set(b, used);
        rx.meta[i * fields] = used;
        rx.meta[i * fields + 1] = b.length;
        rx.meta[i * fields + 2] = LOOPBACK;
        rx.meta[i * fields + 4] = LOOPBACK;
        used += 2048;
      }
      rx.count = n;
      this.queue.splice(0, n);
      this.cb?.(rx);
    }
  }
}

/** What a round measured. */
export interface SoakSample {
  cycles: number;
  heapMB: number;
  rssMB: number;
  fds: number;
}

/** Leak counters that must be back to their idle values after every round. */
export interface SoakLeaks {
  links: number;
  guardOpen: number;
  guardStarting: number;
  callIds: number;
  addressesInUse: number;
  timers: number;
}

function fdCount(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

let gcFn: (() => void) | undefined;
/** A forced full GC (v8 --expose-gc set at run time). */
export function forceGc(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
}

/** How a round runs. */
export interface RoundOptions {
  /** Loss, duplication and reordering on the GRE wire, both directions. */
  faults?: WireFaults;
  /** End the round by closing every client socket at once (clients vanish, no goodbyes). */
  vanish?: boolean;
}

/** Sessions held open by `SoakRig.hold`. */
export interface HeldLoad {
  up: number;
  setupMs: number[];
  /** Sends `rounds` ICMP echoes from every session (MPPE + GRE to the server); counts what the server received. */
  traffic(rounds: number): Promise<{ rounds: number; sent: number; deliveredToServer: number; pps: number; cpuS: number }>;
  /** Sessions up now (from the client side). */
  upNow(): number;
  stop(): Promise<void>;
}

/** A running soak rig. */
export interface SoakRig {
  /** Opens `perRound` sessions through the load generator, then stops them; resolves with setup latencies. */
  round(perRound: number, concurrency: number, opts?: RoundOptions): Promise<{ up: number; setupMs: number[]; errors: string[] }>;
  /** Opens `count` sessions and keeps them, for load measurements. */
  hold(count: number, concurrency: number): Promise<HeldLoad>;
  leaks(): SoakLeaks;
  sample(cycles: number): SoakSample;
  /** Stops the server gracefully and starts a new one on the same port. */
  restart(): Promise<void>;
  /** The server objects, for diagnosing a leak. */
  internals(): { service: PptpService; ctx: ReturnType<typeof testContext> };
  stop(): Promise<void>;
}

/** Starts the server side; every round uses a fresh load generator on a fresh wire end. */
export async function startSoak(seed = 1): Promise<SoakRig> {
  const ctx = testContext(
    {
      pools: [{ name: 'soak', local: '10.93.0.1', ranges: ['10.93.0.10-10.93.15.250'] }],
      listen: { pptp: { addresses: ['127.0.0.1'] }, l2tp: { enabled: false } },
      connections: { max: 5000 },
      limits: { maxStarting: 10_000, maxStartingPerSource: 10_000, maxConnectionsPerSource: 10_000, connectRatePerSource: 100_000, maxUnauthenticatedPerSource: 10_000 },
      ppp: { keepalive: { intervalS: 0 } },
    },
    { users: [['soak', 'pw-soak']], rng: seededRng(seed) },
  );
  ctx.config.listen.pptp.port = 0;
  let serverEnd = new WireEnd();
  let service = new PptpService(ctx, serverEnd.socket());
  const [bound] = await service.listen();
  const poolSize = ctx.addresses.available('pptp');
  let round = 0;
  const newLoadgen = (faults?: WireFaults): PptpLoadgen => {
    const clientEnd = new WireEnd();
    clientEnd.peer = serverEnd;
    serverEnd.peer = clientEnd;
    clientEnd.faults = faults;
    serverEnd.faults = faults ? { ...faults, seed: faults.seed * 7 + 1 } : undefined;
    return new PptpLoadgen({
      host: '127.0.0.1',
      port: bound!.port,
      username: 'soak',
      password: 'pw-soak',
      log: silentLogger,
      rng: seededRng(seed * 1000 + ++round),
      callIdBase: 1 + ((round * 4096) % 60_000),
      greSocket: clientEnd.socket(),
      keepaliveS: 0,
    });
  };
  const serverPacketsIn = (): number => service.links().reduce((a, l) => a + l.session.counters.packetsIn, 0);
  return {
    async hold(count, concurrency) {
      const lg = newLoadgen();
      const r = await lg.open(count, { concurrency, timeoutMs: 60_000 });
      return {
        up: r.up,
        setupMs: lg.sessions.filter((x) => x.state === 'up').map((x) => x.setupMs!),
        async traffic(rounds) {
          const before = serverPacketsIn();
          const cpu0 = process.cpuUsage();
          const t0 = performance.now();
          const p = await lg.pingAll(56, rounds, 0);
          // No TUN on this server: the echoes end in its TUN side; count what the links delivered.
          const t1 = Date.now();
          while (serverPacketsIn() - before < p.sent && Date.now() - t1 < 3000) await new Promise((res) => setTimeout(res, 20));
          const secs = (performance.now() - t0) / 1000;
          const cpu = process.cpuUsage(cpu0);
          const got = serverPacketsIn() - before;
          return { rounds, sent: p.sent, deliveredToServer: got, pps: got / secs, cpuS: (cpu.user + cpu.system) / 1e6 };
        },
        upNow: () => lg.upCount,
        stop: () => lg.stop(10_000),
      };
    },
    async round(perRound, concurrency, opts = {}) {
      const lg = newLoadgen(opts.faults);
      const r = await lg.open(perRound, { concurrency, timeoutMs: 30_000 });
      const setupMs = lg.sessions.filter((s) => s.state === 'up').map((s) => s.setupMs!);
      if (opts.vanish) lg.destroy();
      else await lg.stop(5000);
      // The server sees TCP close / Stop-Control-Connection and reaps; wait until it has.
      const t0 = Date.now();
      while ((service.linkCount > 0 || guardOf(ctx).openCount > 0) && Date.now() - t0 < 5000) await new Promise((res) => setTimeout(res, 10));
      return { up: r.up, setupMs, errors: r.errors };
    },
    leaks() {
      const g = guardOf(ctx);
      return {
        links: service.linkCount,
        guardOpen: g.openCount,
        guardStarting: g.startingCount,
        callIds: (service as unknown as { callIds: { size: number } }).callIds.size,
        addressesInUse: poolSize - ctx.addresses.available('pptp'),
        timers: ctx.scheduler.size,
      };
    },
    sample(cycles) {
      forceGc();
      const m = process.memoryUsage();
      return { cycles, heapMB: m.heapUsed / 2 ** 20, rssMB: m.rss / 2 ** 20, fds: fdCount() };
    },
    internals: () => ({ service, ctx }),
    async restart() {
      // A new server process on the same port: the old one says goodbye, the new one knows nobody.
      await service.stop(500);
      serverEnd.closed = true;
      serverEnd = new WireEnd();
      service = new PptpService(ctx, serverEnd.socket());
      ctx.config.listen.pptp.port = bound!.port;
      await service.listen();
    },
    async stop() {
      await service.stop(100);
      ctx.scheduler.stop();
    },
  };
}
