/**
 * `tunppp doctor` throughput: for each size in TUNPPP_BENCH_DOCTOR_MB
 * (megabytes, comma-separated, default "200,1024") generates a syslog in a
 * temp file — many interleaved pptpd/pppd,
 * xl2tpd and charon sessions (healthy ones, MTU drops, LCP timeouts, auth
 * failures, echo timeouts) mixed with kernel/sshd/cron/systemd noise — runs
 * doctor over it in a child process (one core), reports MB/s (wall clock and
 * per CPU second) and peak RSS, and deletes the file. Same-run baseline: a
 * bare newline count over the same file, the floor for any line-based
 * reader; the ratio of CPU times is reported. Two sizes show whether memory
 * stays flat. One more log of TUNPPP_BENCH_DOCTOR_VPN_MB (default 200, 0
 * skips it) keeps only 5 % of the other programs' lines, so about 90 % of
 * its lines are pptpd/pppd/xl2tpd/charon's: a VPN box's own log, where every
 * line costs doctor the most.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCase, BenchRow } from '../types.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Deterministic PRNG (mulberry32) so every run writes the same log. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes a realistic VPN server syslog of about `bytes` bytes to `path`.
 * `noise` is the share of other programs' lines kept (1: a gateway's syslog,
 * 31 % VPN lines; 0.05: a dedicated VPN box or a daemon's own log, about
 * 90 % VPN lines — what a new user pasted).
 */
export function generateLog(path: string, bytes: number, noise = 1): { lines: number; sessions: number; vpnLines: number } {
  const rnd = prng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const fd = openSync(path, 'w');
  let buf: string[] = [];
  let bufLen = 0;
  let written = 0;
  let lines = 0;
  let sessions = 0;
  let sec = Date.UTC(2025, 0, 1) / 1000;
  let stampSec = -1;
  let stamp = '';
  let pid = 10_000;
  const host = 'vpn-gw1';
  const ts = (): string => {
    if (sec !== stampSec) {
      stampSec = sec;
      const d = new Date(sec * 1000);
      const day = String(d.getUTCDate()).padStart(2, ' ');
      stamp = `${MONTHS[d.getUTCMonth()]} ${day} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')} ${host} `;
    }
    return stamp;
  };
  let vpnLines = 0;
  const vpn = (prog: string, msg: string): void => {
    vpnLines++;
    out(prog, msg);
  };
  const out = (prog: string, msg: string): void => {
    const l = `${ts()}${prog}: ${msg}\n`;
    buf.push(l);
    bufLen += l.length;
    lines++;
    if (bufLen > 4 << 20) flush();
  };
  const flush = (): void => {
    const s = buf.join('');
    writeSync(fd, s, null, 'latin1');
    written += s.length;
    buf = [];
    bufLen = 0;
  };
  const ip = (): string => `${1 + Math.floor(rnd() * 223)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`;
  const keepNoise = noise;
  const noiseLine = (): void => {
    if (keepNoise < 1 && rnd() >= keepNoise) return;
    const r = rnd();
    if (r < 0.3) out(`kernel`, `[${(sec % 1e6).toFixed(6)}] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC=${ip()} DST=203.0.113.5 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=${pid % 65536} PROTO=TCP SPT=${40000 + (pid % 20000)} DPT=22 WINDOW=64240 SYN`);
    else if (r < 0.55) out(`sshd[${pid + 7}]`, `Failed password for invalid user ${pick(['admin', 'test', 'oracle', 'ubuntu', 'git'])} from ${ip()} port ${40000 + (pid % 20000)} ssh2`);
    else if (r < 0.7) out(`CRON[${pid + 3}]`, `(root) CMD (   cd / && run-parts --report /etc/cron.hourly)`);
    else if (r < 0.85) out(`systemd[1]`, `Started Session ${pid % 9000} of user ${pick(['root', 'deploy', 'backup'])}.`);
    else out(`dnsmasq[812]`, `query[A] ${pick(['example.com', 'updates.example.net', 'time.example.org'])} from 192.168.240.${10 + (pid % 200)}`);
  };
  const pptp = (kind: number): void => {
    const ctl = ++pid;
    const ppp = ++pid;
    const client = ip();
    const user = pick(['alice', 'bob', 'carol', 'dave', 'erin']);
    const unit = pid % 50;
    vpn(`pptpd[${ctl}]`, `CTRL: Client ${client} control connection started`);
    vpn(`pptpd[${ctl}]`, `CTRL: Starting call (launching pppd, opening GRE)`);
    vpn(`pppd[${ppp}]`, `Plugin /usr/lib/pptpd/pptpd-logwtmp.so loaded.`);
    vpn(`pppd[${ppp}]`, `pppd 2.4.9 started by root, uid 0`);
    vpn(`pppd[${ppp}]`, `Using interface ppp${unit}`);
    vpn(`pppd[${ppp}]`, `Connect: ppp${unit} <--> /dev/pts/${unit}`);
    vpn(`pptpd[${ctl}]`, `GRE: Bad checksum from pppd.`);
    noiseLine();
    if (kind === 1) {
      for (let i = 0; i < 3; i++) noiseLine();
      sec += 30;
      vpn(`pppd[${ppp}]`, `LCP: timeout sending Config-Requests`);
      vpn(`pppd[${ppp}]`, `Connection terminated.`);
      vpn(`pppd[${ppp}]`, `Modem hangup`);
      vpn(`pppd[${ppp}]`, `Exit.`);
      vpn(`pptpd[${ctl}]`, `CTRL: Reaping child PPP[${ppp}]`);
      vpn(`pptpd[${ctl}]`, `CTRL: Client ${client} control connection finished`);
      return;
    }
    if (kind === 2) {
      vpn(`pppd[${ppp}]`, `Peer ${user} failed CHAP authentication`);
      vpn(`pppd[${ppp}]`, `MS-CHAP authentication failed: E=691 Authentication failure`);
      vpn(`pppd[${ppp}]`, `Connection terminated.`);
      vpn(`pppd[${ppp}]`, `Exit.`);
      vpn(`pptpd[${ctl}]`, `CTRL: Client ${client} control connection finished`);
      return;
    }
    vpn(`pppd[${ppp}]`, `MPPE 128-bit stateless compression enabled`);
    vpn(`pppd[${ppp}]`, `Unsupported protocol 'IPv6 Control Protocol' (0x8057) received`);
    vpn(`pppd[${ppp}]`, `Cannot determine ethernet address for proxy ARP`);
    vpn(`pppd[${ppp}]`, `local  IP address 192.168.240.1`);
    vpn(`pppd[${ppp}]`, `remote IP address 192.168.240.${10 + (pid % 200)}`);
    vpn(`pppd[${ppp}]`, `pptpd-logwtmp.so ip-up ppp${unit} ${user} ${client}`);
    const busy = 5 + Math.floor(rnd() * 20);
    for (let i = 0; i < busy; i++) {
      noiseLine();
      sec += Math.floor(rnd() * 3);
    }
    if (kind === 3) {
      vpn(`pptpd[${ctl}]`, `GRE: read(fd=7,buffer=6097c0,len=8260) from network failed: status = -1 error = Message too long`);
      vpn(`pptpd[${ctl}]`, `CTRL: GRE read or PTY write failed (gre,pty)=(7,6)`);
      vpn(`pppd[${ppp}]`, `Modem hangup`);
    } else if (kind === 4) {
      vpn(`pppd[${ppp}]`, `No response to 5 echo-requests`);
      vpn(`pppd[${ppp}]`, `Serial link appears to be disconnected.`);
    } else vpn(`pppd[${ppp}]`, `LCP terminated by peer`);
    vpn(`pppd[${ppp}]`, `pptpd-logwtmp.so ip-down ppp${unit}`);
    vpn(`pppd[${ppp}]`, `Connect time ${(busy / 10).toFixed(1)} minutes.`);
    vpn(`pppd[${ppp}]`, `Sent ${Math.floor(rnd() * 1e7)} bytes, received ${Math.floor(rnd() * 1e6)} bytes.`);
    vpn(`pppd[${ppp}]`, `MPPE disabled`);
    vpn(`pppd[${ppp}]`, `Connection terminated.`);
    vpn(`pppd[${ppp}]`, `Exit.`);
    vpn(`pptpd[${ctl}]`, `CTRL: Client ${client} control connection finished`);
  };
  const l2tp = (): void => {
    const peer = ip();
    const tunnel = pid % 65536;
    const ppp = ++pid;
    vpn(`charon[1020]`, `09[IKE] ${peer} is initiating a Main Mode IKE_SA`);
    vpn(`charon[1020]`, `09[IKE] IKE_SA l2tp-psk[${tunnel}] established between 203.0.113.5[203.0.113.5]...${peer}[${peer}]`);
    vpn(`charon[1020]`, `10[IKE] CHILD_SA l2tp-psk{${tunnel}} established with SPIs c1a2b3c4_i 0d0e0f10_o and TS 203.0.113.5/32[udp/l2f] === ${peer}/32[udp]`);
    vpn(`xl2tpd[900]`, `Connection established to ${peer}, 1701.  Local: ${tunnel}, Remote: ${tunnel + 1} (ref=0/0).  LNS session is 'default'`);
    vpn(`xl2tpd[900]`, `Call established with ${peer}, Local: ${tunnel + 7}, Remote: 1, Serial: 1 (ref=0/0)`);
    vpn(`pppd[${ppp}]`, `pppd 2.4.9 started by root, uid 0`);
    vpn(`pppd[${ppp}]`, `Using interface ppp${ppp % 50}`);
    vpn(`pppd[${ppp}]`, `Connect: ppp${ppp % 50} <--> /dev/pts/${ppp % 50}`);
    vpn(`pppd[${ppp}]`, `local  IP address 192.168.241.1`);
    vpn(`pppd[${ppp}]`, `remote IP address 192.168.241.${10 + (ppp % 200)}`);
    for (let i = 0; i < 8; i++) noiseLine();
    sec += 20;
    vpn(`xl2tpd[900]`, `Maximum retries exceeded for tunnel ${tunnel}.  Closing.`);
    vpn(`xl2tpd[900]`, `Terminating pppd: sending TERM signal to pid ${ppp}`);
    vpn(`xl2tpd[900]`, `Connection ${tunnel} closed to ${peer}, port 1701 (Timeout)`);
  };
  while (written + bufLen < bytes) {
    sessions++;
    const r = rnd();
    if (r < 0.1) l2tp();
    else pptp(r < 0.55 ? 0 : r < 0.65 ? 1 : r < 0.75 ? 2 : r < 0.85 ? 3 : r < 0.95 ? 4 : 0);
    // A gateway's syslog is mostly other programs (firewall, sshd, cron).
    const gap = 10 + Math.floor(rnd() * 40);
    for (let i = 0; i < gap; i++) noiseLine();
    sec += 1 + Math.floor(rnd() * 5);
  }
  flush();
  closeSync(fd);
  return { lines, sessions, vpnLines };
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Child process body: run doctor over the file, print timings, CPU time, peak RSS and the result. */
const CHILD = `
import { runCli } from ${JSON.stringify(join(ROOT, 'src/cli/main.ts'))};
import { PassThrough, Readable } from 'node:stream';
const out = new PassThrough(); let json = ''; out.on('data', (c) => (json += c));
const err = new PassThrough(); err.resume();
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
const code = await runCli(['doctor', '--json', '--max-sessions', '100', process.env.DOCTOR_FILE], { stdin: Readable.from([]), stdout: out, stderr: err, env: {}, cwd: process.cwd() });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cu = process.cpuUsage(c0);
const r = JSON.parse(json);
process.stdout.write(JSON.stringify({ code, seconds, cpuSeconds: (cu.user + cu.system) / 1e6, maxRssKb: process.resourceUsage().maxRSS, sessions: r.summary.sessions, lines: r.stats.lines, findings: r.findings.map((f) => f.cause + ':' + f.sessionCount) }));
`;

/** Same-run floor for any line-based reader: stream the file and count newlines. */
const BASELINE = `
import { createReadStream } from 'node:fs';
const t0 = process.hrtime.bigint(); const c0 = process.cpuUsage(); let n = 0;
for await (const c of createReadStream(process.env.DOCTOR_FILE, { highWaterMark: 1 << 20 })) { let i = -1; while ((i = c.indexOf(10, i + 1)) >= 0) n++; }
const cu = process.cpuUsage(c0);
process.stdout.write(JSON.stringify({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpuSeconds: (cu.user + cu.system) / 1e6, lines: n }));
`;

function child(code: string, file: string): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, env: { ...process.env, DOCTOR_FILE: file }, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`doctor bench child failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** The 1-minute load average, so a reader can judge a shared machine's numbers. */
function load(): string {
  return loadavg()[0]!.toFixed(1);
}

/** Sizes in MB from TUNPPP_BENCH_DOCTOR_MB ("200,1024" by default; one number for a quick run). */
function sizes(): number[] {
  const v = (process.env.TUNPPP_BENCH_DOCTOR_MB ?? '200,1024').split(',').map((x) => Number(x.trim())).filter((x) => x > 0);
  return v.length ? v : [200, 1024];
}

/** Size in MB of the VPN-heavy log from TUNPPP_BENCH_DOCTOR_VPN_MB (default 200; 0 skips it). */
function vpnSize(): number {
  const v = Number(process.env.TUNPPP_BENCH_DOCTOR_VPN_MB ?? '200');
  return Number.isFinite(v) && v > 0 ? v : 0;
}

/** One generated log: its size, the share of other programs' lines kept, and the label in the rows. */
interface LogCase {
  mb: number;
  noise: number;
  label: string;
}

function cases(): LogCase[] {
  const all: LogCase[] = sizes().map((mb) => ({ mb, noise: 1, label: 'syslog' }));
  const v = vpnSize();
  // A VPN box's own log (most lines from pptpd/pppd/xl2tpd/charon), as a new user pasted one.
  if (v) all.push({ mb: v, noise: 0.05, label: 'VPN-heavy log' });
  return all;
}

export const benchmarks: BenchCase[] = [
  {
    name: 'doctor',
    async run(): Promise<BenchRow[]> {
      const rows: BenchRow[] = [];
      const dir = mkdtempSync(join(tmpdir(), 'tunppp-doctor-bench-'));
      try {
        // Same child on a 2-line log: what node, the loader and doctor's modules take by themselves.
        const tiny = join(dir, 'tiny.log');
        writeFileSync(tiny, 'Aug  1 14:05:34 h pppd[1]: Using interface ppp0\nAug  1 14:05:35 h pppd[1]: Exit.\n');
        const idle = child(CHILD, tiny);
        const rss: string[] = [];
        for (const { mb: mbWanted, noise, label } of cases()) {
          const file = join(dir, `syslog-${mbWanted}-${noise}`);
          const g0 = process.hrtime.bigint();
          const gen = generateLog(file, mbWanted * 1e6, noise);
          const genSeconds = Number(process.hrtime.bigint() - g0) / 1e9;
          const size = statSync(file).size;
          const mb = size / 1e6;
          const loadBefore = load();
          const base = child(BASELINE, file);
          const run = child(CHILD, file);
          rmSync(file, { force: true });
          const tag = noise === 1 ? `${mb.toFixed(0)} MB` : `${mb.toFixed(0)} MB ${label}`;
          const mbps = mb / (run.seconds as number);
          const cpuMbps = mb / (run.cpuSeconds as number);
          const baseCpuMbps = mb / (base.cpuSeconds as number);
          const share = ((gen.vpnLines / gen.lines) * 100).toFixed(0);
          const rssMb = (run.maxRssKb as number) / 1024;
          rss.push(`${tag}: ${rssMb.toFixed(0)} MB`);
          rows.push(
            { bench: 'doctor', metric: `throughput, wall clock, ${tag}${noise === 1 ? ' syslog' : ''}`, value: mbps, unit: 'MB/s', goal: '>= 200', note: `${gen.lines} lines, ${share}% from VPN daemons, ${gen.sessions} sessions; load average ${loadBefore}` },
            { bench: 'doctor', metric: `throughput per CPU second, ${tag}`, value: cpuMbps, unit: 'MB/s', goal: '>= 200', note: 'user+sys time of the doctor process (all its threads); robust when other jobs share the machine' },
            { bench: 'doctor', metric: `newline-count baseline per CPU second, ${tag}`, value: baseCpuMbps, unit: 'MB/s', note: `same file, same run; doctor takes ${((run.cpuSeconds as number) / (base.cpuSeconds as number)).toFixed(1)}x its CPU time (goal: at most 4x)` },
            { bench: 'doctor', metric: `peak RSS, ${tag}`, value: rssMb, unit: 'MB', note: `same process on a 2-line log: ${((idle.maxRssKb as number) / 1024).toFixed(0)} MB` },
            { bench: 'doctor', metric: `sessions rebuilt, ${tag}`, value: run.sessions as number, unit: '', note: `exit ${run.code}; ${(run.findings as string[]).slice(0, 4).join(' ')}` },
            { bench: 'doctor', metric: `log generation, ${tag} (not part of doctor)`, value: mb / genSeconds, unit: 'MB/s' },
          );
        }
        if (sizes().length > 1) rows.push({ bench: 'doctor', metric: 'peak RSS by input size', value: rss.join(', '), unit: '', note: 'flat: bounded by open sessions and fixed tables, not by input size' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      return rows;
    },
  },
];
