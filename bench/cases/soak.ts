/**
 * `npm run bench -- soak`: 10,000 PPTP connect/disconnect cycles through the
 * real server code in one process (test/soak/soak-rig.ts: real TCP on
 * loopback, in-memory GRE, MS-CHAPv2 + MPPE-128), checking after every round
 * that no link, guard slot, call ID, address, timer or fd leaked, and heap/RSS
 * at the start and the end. `npm run bench -- load2000`: 2,000 concurrent
 * sessions on one server with an ICMP echo from each, reporting RSS, CPU and
 * setup latency p50/p99. TUNPPP_SOAK_CYCLES / TUNPPP_LOAD_SESSIONS override.
 */
import type { BenchCase, BenchRow } from '../types.js';
import { startSoak, forceGc } from '../../test/soak/soak-rig.js';

const CYCLES = Number(process.env.TUNPPP_SOAK_CYCLES ?? 10_000);
const LOAD = Number(process.env.TUNPPP_LOAD_SESSIONS ?? 2000);

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0;
}

async function soak(): Promise<BenchRow[]> {
  const rig = await startSoak(11);
  const perRound = 50;
  const rows: BenchRow[] = [];
  try {
    // Warm-up (1,000 cycles, not counted): JIT code and pools reach their steady size first.
    for (let i = 0; i < 20; i++) await rig.round(perRound, perRound);
    const base = rig.sample(0);
    const t0 = performance.now();
    const setup: number[] = [];
    let done = 0;
    let failed = 0;
    let leakyRounds = 0;
    let peakHeap = base.heapMB;
    while (done < CYCLES) {
      const r = await rig.round(Math.min(perRound, CYCLES - done), perRound);
      done += Math.min(perRound, CYCLES - done);
      failed += Math.min(perRound, CYCLES) - r.up;
      setup.push(...r.setupMs);
      const l = rig.leaks();
      if (Object.values(l).some((v) => v !== 0)) leakyRounds++;
      if (done % 2000 === 0) peakHeap = Math.max(peakHeap, rig.sample(done).heapMB);
    }
    const secs = (performance.now() - t0) / 1000;
    const end = rig.sample(done);
    setup.sort((a, b) => a - b);
    const leaks = rig.leaks();
    rows.push(
      { bench: 'soak', metric: `${done} connect/disconnect cycles`, value: Math.round(done / secs), unit: 'cycles/s', note: `${failed} failed; ${secs.toFixed(0)} s` },
      { bench: 'soak', metric: 'heap after GC, start → end', value: `${base.heapMB.toFixed(1)} → ${end.heapMB.toFixed(1)}`, unit: 'MB', goal: 'flat', note: `peak ${peakHeap.toFixed(1)} MB` },
      { bench: 'soak', metric: 'RSS start → end', value: `${base.rssMB.toFixed(0)} → ${end.rssMB.toFixed(0)}`, unit: 'MB' },
      { bench: 'soak', metric: 'fds start → end', value: `${base.fds} → ${end.fds}`, unit: 'fds', goal: 'equal' },
      { bench: 'soak', metric: 'leaked links/call IDs/addresses/timers/guard slots', value: `${leaks.links}/${leaks.callIds}/${leaks.addressesInUse}/${leaks.timers}/${leaks.guardOpen + leaks.guardStarting}`, unit: 'count', goal: '0', note: `${leakyRounds} rounds with a leak` },
      { bench: 'soak', metric: 'setup latency p50 / p99 (50 at once)', value: `${pct(setup, 0.5).toFixed(0)} / ${pct(setup, 0.99).toFixed(0)}`, unit: 'ms' },
    );
  } finally {
    await rig.stop();
  }
  return rows;
}

async function load(): Promise<BenchRow[]> {
  const rig = await startSoak(12);
  try {
    forceGc();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await rig.hold(LOAD, 200);
    const setupSecs = (performance.now() - t0) / 1000;
    const cpu1 = process.cpuUsage(cpu0);
    const traffic = await r.traffic(5);
    const mem = rig.sample(LOAD);
    const setup = [...r.setupMs].sort((a, b) => a - b);
    await r.stop();
    return [
      { bench: 'load', metric: `${LOAD} concurrent sessions up (200 in setup at once)`, value: r.up, unit: 'sessions', goal: String(LOAD), note: `${setupSecs.toFixed(1)} s, ${(r.up / setupSecs).toFixed(0)}/s; client and server in one process` },
      { bench: 'load', metric: 'setup latency p50 / p99', value: `${pct(setup, 0.5).toFixed(0)} / ${pct(setup, 0.99).toFixed(0)}`, unit: 'ms' },
      { bench: 'load', metric: 'CPU during setup (user+system)', value: ((cpu1.user + cpu1.system) / 1e6).toFixed(1), unit: 's', note: 'both sides' },
      { bench: 'load', metric: `traffic: ${traffic.rounds} ICMP echoes from every session`, value: traffic.deliveredToServer, unit: 'packets', goal: String(traffic.sent), note: `${traffic.pps.toFixed(0)} packets/s through MPPE + GRE; CPU ${traffic.cpuS.toFixed(1)} s` },
      { bench: 'load', metric: 'RSS with all sessions up (after GC)', value: mem.rssMB.toFixed(0), unit: 'MB', note: `heap ${mem.heapMB.toFixed(0)} MB, both sides in one process` },
    ];
  } finally {
    await rig.stop();
  }
}

/** The soak and load benchmarks. */
export const benchmarks: BenchCase[] = [
  { name: 'soak', run: soak },
  { name: 'load2000', run: load },
];
