/**
 * `npm run bench -- tunnel`: the PPTP data path and control plane, end to end,
 * in two network namespaces this case creates (and removes):
 *
 * - iperf3 TCP throughput (one stream, client → server and reverse) with no
 *   tunnel, through tunppp with MPPE-128 and without encryption, and through
 *   OpenVPN static-key tunnels (AES-128-CBC/SHA1, and no cipher/no auth) —
 *   the same namespaces, the same run, so the ratios mean something;
 * - session setup rate with the load generator (bench/loadgen/loadgen.ts), for
 *   PPTP and for L2TP (bench/loadgen/l2tp-loadgen.ts: one UDP socket, the
 *   sessions spread over SESSIONS / TUNPPP_BENCH_L2TP_PER_TUNNEL tunnels, by
 *   default 10 × 100, all started with the first batch);
 * - server RSS per idle session (RSS delta / sessions), for both.
 *
 * Each throughput row also gives the CPU time (user + system) both tunnel
 * processes spent per GB delivered, and the server's share with the Gbit/s
 * one core would carry at that cost: on shared cores Gbit/s moves by ±40 %
 * between runs, CPU per GB by far less. Kernel softirq work is not in it.
 *
 * Needs root; installs iperf3 and openvpn with apt-get when missing.
 * TUNPPP_BENCH_SECONDS sets the iperf3 duration (default 5);
 * TUNPPP_BENCH_SESSIONS the load size (default 1000); TUNPPP_BENCH_PARTS=throughput
 * or =sessions runs one part; TUNPPP_BENCH_PROFILE=DIR
 * writes a CPU profile of the server during the MPPE-128 transfer to DIR and
 * prints its summary.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetnsLab, netnsSkipReason } from '../../test/io/netns.js';
import { Proc, writeServerConfig } from '../../test/e2e/harness.js';
import { profileMarkdown, summariseCpuProfile } from '../lib/cpuprofile.js';
import type { BenchCase, BenchRow } from '../types.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SECONDS = Number(process.env.TUNPPP_BENCH_SECONDS ?? 5);
const SESSIONS = Number(process.env.TUNPPP_BENCH_SESSIONS ?? 1000);
const PROFILE_DIR = process.env.TUNPPP_BENCH_PROFILE;
/** L2TP sessions per tunnel in the sessions part (a LAC concentrator's shape). */
const L2TP_PER_TUNNEL = Number(process.env.TUNPPP_BENCH_L2TP_PER_TUNNEL ?? 100);
/** Which parts run: throughput, sessions (default both). */
const PARTS = (process.env.TUNPPP_BENCH_PARTS ?? 'throughput,sessions').split(',');
const SERVER = '10.206.0.1';
const CLIENT = '10.206.0.2';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Installs `pkg` with apt-get when `cmd` is missing; false when that fails. */
function ensureTool(cmd: string, pkg: string): boolean {
  const has = (): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { timeout: 5000 }).status === 0;
  if (has()) return true;
  process.stderr.write(`bench tunnel: installing ${pkg} ...\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-q', pkg], { timeout: 300_000, env, stdio: 'ignore' });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-q'], { timeout: 300_000, env, stdio: 'ignore' });
    r = spawnSync('apt-get', ['install', '-y', '-q', pkg], { timeout: 300_000, env, stdio: 'ignore' });
  }
  return has();
}

/** Starts a long-running command in `ns`; killed by the caller. */
function bg(ns: string, cmd: string, args: string[]): { child: ChildProcess; out: () => string } {
  let out = '';
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out };
}

async function waitText(get: () => string, re: RegExp, what: string, timeoutMs = 20_000): Promise<RegExpMatchArray> {
  const t0 = Date.now();
  for (;;) {
    const m = re.exec(get());
    if (m) return m;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}:\n${get().slice(-2000)}`);
    await sleep(50);
  }
}

/** Bytes the last `iperf` run delivered (for CPU per gigabyte). */
let lastIperfBytes = 0;

/** CPU time (user + system) of process `pid` so far, in ms (Linux: 100 clock ticks a second). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

/**
 * An iperf3 run's cost to the tunnel's own processes: CPU ms of `pids`
 * (both tunnel ends) per GB delivered. Unlike Gbit/s on shared cores, this
 * barely moves with other load, so it compares implementations fairly.
 */
async function iperfWithCpu(pids: (number | undefined)[], serverNs: string, clientNs: string, addr: string, reverse = false): Promise<{ gbps: number; cpuMsPerGB: number; perPid: number[] }> {
  const before = pids.map(cpuMs);
  const gbps = await iperf(serverNs, clientNs, addr, reverse);
  const gb = lastIperfBytes / 1e9;
  const perPid = pids.map((p, i) => (cpuMs(p) - before[i]!) / gb);
  return { gbps, cpuMsPerGB: perPid.reduce((a, v) => a + v, 0), perPid };
}

/** One iperf3 TCP run from `clientNs` to `addr` in `serverNs`; Gbit/s received. */
async function iperf(serverNs: string, clientNs: string, addr: string, reverse = false): Promise<number> {
  const port = String(5300 + Math.floor(Math.random() * 500));
  const srv = bg(serverNs, 'iperf3', ['-s', '-1', '--forceflush', '-B', addr, '-p', port]);
  try {
    await waitText(srv.out, /Server listening/, 'iperf3 -s', 10_000);
    const r = spawnSync('ip', ['netns', 'exec', clientNs, 'iperf3', '-c', addr, '-p', port, '-t', String(SECONDS), '-J', ...(reverse ? ['-R'] : [])], { encoding: 'utf8', timeout: (SECONDS + 30) * 1000 });
    const j = JSON.parse(r.stdout || '{}') as { end?: { sum_received?: { bits_per_second?: number; bytes?: number } }; error?: string };
    const bps = j.end?.sum_received?.bits_per_second;
    if (!bps) throw new Error(`iperf3 to ${addr}: ${j.error ?? r.stderr ?? 'no result'}`);
    lastIperfBytes = j.end?.sum_received?.bytes ?? (bps / 8) * SECONDS;
    return bps / 1e9;
  } finally {
    srv.child.kill('SIGKILL');
  }
}

/** UDP datagrams the kernel dropped for a full socket receive buffer in namespace `ns` (Udp RcvbufErrors). */
function udpRcvbufErrors(ns: string): number {
  const text = spawnSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/snmp'], { encoding: 'utf8', timeout: 5000 }).stdout ?? '';
  const [names, values] = text.split('\n').filter((l) => l.startsWith('Udp: '));
  const i = names?.split(/\s+/).indexOf('RcvbufErrors') ?? -1;
  return i > 0 ? Number(values?.split(/\s+/)[i]) : NaN;
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** tunppp serve + tunppp connect with the MPPE `mode`; throughput both ways. */
async function tunpppRun(s: string, c: string, mode: 'require' | 'refuse', profile: boolean, proto: 'pptp' | 'l2tp' = 'pptp'): Promise<{ up: number; down: number; cpuUp: number; cpuDown: number; serverCpuUp: number; serverCpuDown: number; profile?: string }> {
  const extra: Record<string, unknown> =
    proto === 'pptp'
      ? { ppp: { mppe: { mode } } }
      : { listen: { pptp: { enabled: false }, l2tp: { addresses: [SERVER] } }, ppp: { mppe: { mode, l2tpMode: mode } } };
  const cfg = writeServerConfig({ listen: SERVER, local: '192.168.90.1', ranges: ['192.168.90.10-192.168.90.20'], users: [['bench', 'pw-bench']], extra });
  const profDir = profile && PROFILE_DIR ? PROFILE_DIR : undefined;
  if (profDir) mkdirSync(profDir, { recursive: true });
  const server = new Proc(s, ['serve', '--config', cfg.config], {}, profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []);
  let client: Proc | undefined;
  try {
    await server.waitFor(new RegExp(`serving on ${proto} ${SERVER.replace(/\./g, '\\.')}:${proto === 'pptp' ? 1723 : 1701}`));
    client = new Proc(c, ['connect', `${proto}://bench@${SERVER}`, '--tun', 'tpb0', '--mppe', mode], { TUNPPP_PASSWORD: 'pw-bench' });
    const m = await client.waitFor(/connected: address (\S+) \(server (\S+)\)/);
    const before = profDir ? new Set(readdirSync(profDir)) : undefined;
    const pids = [server.child.pid, client.child.pid];
    const { gbps: up, cpuMsPerGB: cpuUp, perPid: pu } = await iperfWithCpu(pids, s, c, m[2]!);
    const { gbps: down, cpuMsPerGB: cpuDown, perPid: pd } = await iperfWithCpu(pids, s, c, m[2]!, true);
    const serverCpuUp = pu[0]!;
    const serverCpuDown = pd[0]!;
    await client.stop('SIGINT');
    await server.stop('SIGINT');
    let summary: string | undefined;
    if (profDir && before) {
      const f = readdirSync(profDir).find((n) => n.endsWith('.cpuprofile') && !before.has(n));
      if (f) summary = profileMarkdown(summariseCpuProfile(join(profDir, f), 25));
    }
    return { up, down, cpuUp, cpuDown, serverCpuUp, serverCpuDown, ...(summary ? { profile: summary } : {}) };
  } finally {
    await client?.stop('SIGTERM');
    await server.stop('SIGTERM');
    cfg.cleanup();
  }
}

/** An OpenVPN static-key point-to-point tunnel over UDP; throughput client → server. */
async function openvpnRun(s: string, c: string, dir: string, cipher: 'AES-128-CBC' | 'none'): Promise<{ gbps: number; cpuMsPerGB: number }> {
  const key = join(dir, 'static.key');
  spawnSync('openvpn', ['--genkey', 'secret', key], { timeout: 10_000 });
  const crypto = cipher === 'none' ? ['--cipher', 'none', '--auth', 'none'] : ['--cipher', 'AES-128-CBC', '--auth', 'SHA1'];
  const common = ['--dev', 'tpovpn', '--dev-type', 'tun', '--proto', 'udp', '--disable-dco', '--verb', '3', '--ping', '10', ...crypto];
  const srv = bg(s, 'openvpn', [...common, '--local', SERVER, '--lport', '1194', '--ifconfig', '10.207.0.1', '10.207.0.2', '--secret', key, '0']);
  const cli = bg(c, 'openvpn', [...common, '--remote', SERVER, '1194', '--nobind', '--ifconfig', '10.207.0.2', '10.207.0.1', '--secret', key, '1']);
  try {
    await waitText(srv.out, /Initialization Sequence Completed/, 'openvpn server');
    await waitText(cli.out, /Initialization Sequence Completed/, 'openvpn client');
    await sleep(500);
    return await iperfWithCpu([srv.child.pid, cli.child.pid], s, c, '10.207.0.1');
  } finally {
    srv.child.kill('SIGTERM');
    cli.child.kill('SIGTERM');
    await sleep(300);
    srv.child.kill('SIGKILL');
    cli.child.kill('SIGKILL');
  }
}

/** What one sessions run measured. */
interface SessionsResult {
  rate: number;
  rounds: number[];
  up: number;
  ms: number;
  p50: number;
  p99: number;
  rssPerSessionKiB: number;
  rssAllKiB: number;
  rssBaseKiB: number;
  mppe: string | undefined;
  /** L2TP: tunnels the load generator opened, its control retransmissions. */
  tunnels: number | undefined;
  retransmitted: number | undefined;
  /** UDP receive-buffer drops during the run: server namespace, load generator namespace. */
  udpDrops: [number, number];
}

/** Setup rate and idle RSS with the load generator, against a server of its own for `proto`. */
async function sessionsRun(s: string, c: string, proto: 'pptp' | 'l2tp'): Promise<SessionsResult> {
  const limits = { maxStarting: 10_000, maxStartingPerSource: 10_000, maxConnectionsPerSource: 10_000, connectRatePerSource: 100_000, maxSessionsPerTunnel: L2TP_PER_TUNNEL, maxUnauthenticatedPerSource: 10_000 }; // one source opens thousands
  const cfg = writeServerConfig({
    listen: SERVER,
    local: '10.250.0.1',
    ranges: ['10.250.0.10-10.250.7.250'],
    users: [['load', 'pw-load']],
    extra:
      proto === 'pptp'
        ? { connections: { max: 5000 }, limits }
        : { connections: { max: 5000 }, limits, listen: { pptp: { enabled: false }, l2tp: { addresses: [SERVER] } }, ppp: { mppe: { l2tpMode: 'require' } } },
  });
  const profDir = PROFILE_DIR ? join(PROFILE_DIR, proto === 'pptp' ? 'sessions' : 'sessions-l2tp') : undefined;
  if (profDir) mkdirSync(profDir, { recursive: true });
  const server = new Proc(s, ['serve', '--config', cfg.config], {}, profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []);
  let lg: ChildProcess | undefined;
  const drops0 = [udpRcvbufErrors(s), udpRcvbufErrors(c)] as const;
  try {
    await server.waitFor(new RegExp(`serving on ${proto} ${SERVER.replace(/\./g, '\\.')}:${proto === 'pptp' ? 1723 : 1701}`));
    await sleep(1000); // let the server settle (JIT, first GC) before the baseline
    const pid = server.child.pid!;
    // warm-up: 200 sessions up and down so the server's code paths are optimised, then the baseline
    await loadgen(c, proto, 200, 64, true);
    await sleep(1500);
    const base = rssKiB(pid);
    let out = '';
    lg = spawn('ip', ['netns', 'exec', c, process.execPath, '--import', 'tsx', join(root, 'bench/loadgen/loadgen.ts'), ...protoArgs(proto), '--host', SERVER, '--user', 'load', '--sessions', String(SESSIONS), '--concurrency', '64', '--timeout-ms', '60000', '--steps', '2', '--pause-ms', '5000'], {
      cwd: root,
      env: { ...process.env, TUNPPP_PASSWORD: 'pw-load' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    lg.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    lg.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    // half the sessions, idle, RSS; the other half, idle, RSS: the second half's delta is the
    // marginal cost of a session, free of one-off growth (young generation, code, pools)
    const step = await waitText(() => out, /^STEP 1 (.*)$/m, 'loadgen first half', 180_000);
    const half = (JSON.parse(step[1]!) as { up: number }).up;
    await sleep(3000);
    const mid = rssKiB(pid);
    const m = await waitText(() => out, /^RESULT (.*)$/m, 'loadgen result', 180_000);
    const r = JSON.parse(m[1]!) as { up: number; ms: number; rate: number; p50Ms: number; p99Ms: number; rounds: { rate: number }[]; mppe?: string; l2tp?: { tunnelsOpened: number; retransmitted: number } };
    await sleep(3000);
    const after = rssKiB(pid);
    return {
      rate: r.rate,
      rounds: r.rounds.map((x) => x.rate),
      up: r.up,
      ms: r.ms,
      p50: r.p50Ms,
      p99: r.p99Ms,
      rssPerSessionKiB: r.up > half ? (after - mid) / (r.up - half) : NaN,
      rssAllKiB: r.up ? (after - base) / r.up : NaN,
      rssBaseKiB: base,
      mppe: r.mppe,
      tunnels: r.l2tp?.tunnelsOpened,
      retransmitted: r.l2tp?.retransmitted,
      udpDrops: [udpRcvbufErrors(s) - drops0[0], udpRcvbufErrors(c) - drops0[1]],
    };
  } finally {
    lg?.kill('SIGKILL');
    await server.stop('SIGTERM', 15_000);
    cfg.cleanup();
    const f = profDir ? readdirSync(profDir).find((n) => n.endsWith('.cpuprofile')) : undefined;
    if (profDir && f) {
      const md = profileMarkdown(summariseCpuProfile(join(profDir, f), 25));
      writeFileSync(join(profDir, 'summary.md'), md);
      process.stderr.write(`\nserver profile during session setup:\n${md}\n`);
    }
  }
}

/**
 * A short load generator run to completion (graceful stop). Asynchronous on
 * purpose: the server's log goes to a pipe this process drains, and a
 * synchronous wait here would let the pipe fill and stall the server.
 */
async function loadgen(ns: string, proto: 'pptp' | 'l2tp', n: number, concurrency: number, stop: boolean): Promise<void> {
  const args = [join(root, 'bench/loadgen/loadgen.ts'), ...protoArgs(proto), '--host', SERVER, '--user', 'load', '--sessions', String(n), '--concurrency', String(concurrency), ...(stop ? ['--hold', '0'] : [])];
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', ...args], { cwd: root, env: { ...process.env, TUNPPP_PASSWORD: 'pw-load' }, stdio: 'ignore' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await new Promise((r) => child.on('exit', r));
  clearTimeout(timer);
}

/** The load generator's protocol flags. */
function protoArgs(proto: 'pptp' | 'l2tp'): string[] {
  // Every tunnel the full load needs is started with the first batch, so both halves spread over all of them.
  return proto === 'pptp' ? [] : ['--proto', 'l2tp', '--sessions-per-tunnel', String(L2TP_PER_TUNNEL), '--tunnels', String(Math.ceil(SESSIONS / L2TP_PER_TUNNEL))];
}

async function run(): Promise<BenchRow[]> {
  const skip = netnsSkipReason();
  if (skip) return [{ bench: 'tunnel', metric: 'skipped', value: skip, unit: '' }];
  const rows: BenchRow[] = [];
  const haveIperf = ensureTool('iperf3', 'iperf3');
  const haveOvpn = ensureTool('openvpn', 'openvpn');
  const lab = new NetnsLab();
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-bench-'));
  try {
    const s = lab.ns();
    const c = lab.ns();
    lab.link(s, 'veth-s', `${SERVER}/24`, c, 'veth-c', `${CLIENT}/24`);
    if (!PARTS.includes('throughput')) {
      // sessions only
    } else if (haveIperf) {
      const raw = await iperf(s, c, SERVER);
      const rawR = await iperf(s, c, SERVER, true);
      rows.push({ bench: 'tunnel', metric: 'TCP no tunnel (veth)', value: raw, unit: 'Gbit/s', note: `reverse ${rawR.toFixed(2)} Gbit/s; baseline` });
      const ratio = (g: number): string => `${((100 * g) / raw).toFixed(1)} % of no tunnel`;
      const cpu = (ms: number): string => `${ms.toFixed(0)} ms CPU/GB`;
      /** The server's own CPU per GB, and the Gbit/s one core would carry at that cost. */
      const srv = (ms: number): string => `server ${ms.toFixed(0)} ms/GB (one core: ${(8000 / ms).toFixed(2)} Gbit/s)`;
      const mppe = await tunpppRun(s, c, 'require', true);
      rows.push({ bench: 'tunnel', metric: 'TCP tunppp PPTP MPPE-128', value: mppe.up, unit: 'Gbit/s', goal: '>= 1', note: `${ratio(mppe.up)}; ${cpu(mppe.cpuUp)}, ${srv(mppe.serverCpuUp)}; server→client ${mppe.down.toFixed(3)} Gbit/s, ${cpu(mppe.cpuDown)}, ${srv(mppe.serverCpuDown)}` });
      const clear = await tunpppRun(s, c, 'refuse', false);
      rows.push({ bench: 'tunnel', metric: 'TCP tunppp PPTP no MPPE', value: clear.up, unit: 'Gbit/s', note: `${ratio(clear.up)}; ${cpu(clear.cpuUp)}, ${srv(clear.serverCpuUp)}; server→client ${clear.down.toFixed(3)} Gbit/s, ${cpu(clear.cpuDown)}, ${srv(clear.serverCpuDown)}` });
      const l2tpMppe = await tunpppRun(s, c, 'require', false, 'l2tp');
      rows.push({ bench: 'tunnel', metric: 'TCP tunppp L2TP MPPE-128', value: l2tpMppe.up, unit: 'Gbit/s', note: `${ratio(l2tpMppe.up)}; ${cpu(l2tpMppe.cpuUp)}, ${srv(l2tpMppe.serverCpuUp)}; server→client ${l2tpMppe.down.toFixed(3)} Gbit/s, ${cpu(l2tpMppe.cpuDown)}, ${srv(l2tpMppe.serverCpuDown)}` });
      const l2tpClear = await tunpppRun(s, c, 'refuse', false, 'l2tp');
      rows.push({ bench: 'tunnel', metric: 'TCP tunppp L2TP no MPPE', value: l2tpClear.up, unit: 'Gbit/s', note: `${ratio(l2tpClear.up)}; ${cpu(l2tpClear.cpuUp)}, ${srv(l2tpClear.serverCpuUp)}; server→client ${l2tpClear.down.toFixed(3)} Gbit/s, ${cpu(l2tpClear.cpuDown)}, ${srv(l2tpClear.serverCpuDown)}` });
      if (haveOvpn) {
        const aes = await openvpnRun(s, c, dir, 'AES-128-CBC');
        rows.push({ bench: 'tunnel', metric: 'TCP OpenVPN static AES-128-CBC/SHA1', value: aes.gbps, unit: 'Gbit/s', note: `${ratio(aes.gbps)}; ${cpu(aes.cpuMsPerGB)}; tunppp MPPE-128 is ${(mppe.up / aes.gbps).toFixed(2)}x, CPU/GB ${(mppe.cpuUp / aes.cpuMsPerGB).toFixed(2)}x` });
        const none = await openvpnRun(s, c, dir, 'none');
        rows.push({ bench: 'tunnel', metric: 'TCP OpenVPN static no cipher', value: none.gbps, unit: 'Gbit/s', note: `${ratio(none.gbps)}; ${cpu(none.cpuMsPerGB)}; tunppp no MPPE is ${(clear.up / none.gbps).toFixed(2)}x, CPU/GB ${(clear.cpuUp / none.cpuMsPerGB).toFixed(2)}x` });
      } else rows.push({ bench: 'tunnel', metric: 'OpenVPN', value: 'skipped', unit: '', note: 'openvpn not installable' });
      if (mppe.profile) {
        const f = join(PROFILE_DIR!, 'summary.md');
        writeFileSync(f, mppe.profile);
        process.stderr.write(`\n${mppe.profile}\n(written to ${f})\n`);
      }
    } else rows.push({ bench: 'tunnel', metric: 'iperf3', value: 'skipped', unit: '', note: 'iperf3 not installable' });
    if (!PARTS.includes('sessions')) return rows;
    const ss = await sessionsRun(s, c, 'pptp');
    rows.push({ bench: 'tunnel', metric: 'session setup rate (loadgen)', value: ss.rate, unit: 'sessions/s', goal: '>= 200', note: `${ss.up}/${SESSIONS} up in ${ss.ms.toFixed(0)} ms; rounds ${ss.rounds.map((x) => x.toFixed(0)).join(' and ')}/s; concurrency 64, p50 ${ss.p50.toFixed(0)} ms, p99 ${ss.p99.toFixed(0)} ms (second round)` });
    rows.push({ bench: 'tunnel', metric: 'server RSS per idle session', value: ss.rssPerSessionKiB, unit: 'KiB', goal: '<= 64', note: `marginal (second half of ${ss.up} sessions); all ${ss.up} over the ${(ss.rssBaseKiB / 1024).toFixed(0)} MiB baseline: ${ss.rssAllKiB.toFixed(1)} KiB each` });
    const ls = await sessionsRun(s, c, 'l2tp');
    rows.push({ bench: 'tunnel', metric: 'L2TP session setup rate (loadgen)', value: ls.rate, unit: 'sessions/s', goal: '>= 200', note: `${ls.up}/${SESSIONS} up in ${ls.ms.toFixed(0)} ms over ${ls.tunnels ?? '?'} tunnels (at most ${L2TP_PER_TUNNEL} sessions each); ${ls.mppe ?? 'no MPPE'}; rounds ${ls.rounds.map((x) => x.toFixed(0)).join(' and ')}/s; concurrency 64, p50 ${ls.p50.toFixed(0)} ms, p99 ${ls.p99.toFixed(0)} ms (second round); control retransmissions ${ls.retransmitted ?? '?'}, UDP receive-buffer drops server ${ls.udpDrops[0]}, loadgen ${ls.udpDrops[1]}` });
    rows.push({ bench: 'tunnel', metric: 'L2TP server RSS per idle session', value: ls.rssPerSessionKiB, unit: 'KiB', goal: '<= 64', note: `marginal (second half of ${ls.up} sessions, in the same tunnels); all ${ls.up} over the ${(ls.rssBaseKiB / 1024).toFixed(0)} MiB baseline: ${ls.rssAllKiB.toFixed(1)} KiB each` });
  } finally {
    lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export const benchmarks: BenchCase[] = [{ name: 'tunnel', run }];
