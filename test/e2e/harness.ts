/**
 * End-to-end harness: runs `tunppp serve` and `tunppp connect` from source as
 * real processes inside network namespaces made by the test, collects their
 * output, and kills them at the end. Traffic stays inside the namespaces.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiRequest, type ApiTarget } from '../../src/api/client.js';
import { readToken } from '../../src/api/token.js';
import { formatSecretLine } from '../../src/config/chap-secrets.js';
import { NetnsLab } from '../io/netns.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A running tunppp process and what it printed. */
export class Proc {
  out = '';
  err = '';
  exitCode: number | null | undefined;
  readonly child: ChildProcess;
  private exited: Promise<number | null>;

  /** `nodeArgs` go before the script (e.g. --cpu-prof, which NODE_OPTIONS does not allow). */
  constructor(ns: string, args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []) {
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...nodeArgs, '--import', 'tsx', join(root, 'src/cli/run.ts'), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.err += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve((this.exitCode = code))));
  }

  /** The command line and what it printed (the last `tail` characters of each stream if given), for a failure message. */
  describe(tail?: LogTail): string {
    const [out, err] = tail ? [this.out.slice(-tail.out), this.err.slice(-tail.err)] : [this.out, this.err];
    return `--- ${this.child.spawnargs.slice(5).join(' ')}\n${out}\n${err}`;
  }

  /** Resolves when stdout or stderr matches `re`; rejects on exit or timeout. */
  async waitFor(re: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const t0 = Date.now();
    for (;;) {
      const m = re.exec(this.out) ?? re.exec(this.err);
      if (m) return m;
      if (this.exitCode !== undefined) throw new Error(`process exited (${this.exitCode}) before ${re}:\n${this.out}\n${this.err}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${re}:\n--- stdout\n${this.out}\n--- stderr\n${this.err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends a signal and waits for the exit code (bounded). */
  async stop(signal: NodeJS.Signals = 'SIGINT', timeoutMs = 8000): Promise<number | null> {
    if (this.exitCode !== undefined) return this.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** How many characters of stdout and stderr a failure message keeps (for runs that log a lot). */
export interface LogTail {
  out: number;
  err: number;
}

/** The failure-message tail of the path-MTU runs, whose logs grow with the transfers. */
export const PMTU_LOG_TAIL: LogTail = { out: 4000, err: 8000 };

/** What `writeServerConfig` writes: the listen address, the pool, the users, and config keys to add or replace. */
export interface ServerConfigOpts {
  listen: string;
  local: string;
  ranges: string[];
  users: [string, string][];
  extra?: Record<string, unknown>;
}

/** A written server config: its directory, the tunppp.json path, and how to remove it. */
export interface ServerConfig {
  dir: string;
  config: string;
  cleanup: () => void;
}

/** A temporary directory with tunppp.json and chap-secrets. */
export function writeServerConfig(opts: ServerConfigOpts): ServerConfig {
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-e2e-'));
  const secrets = join(dir, 'chap-secrets');
  writeFileSync(secrets, opts.users.map(([u, p]) => formatSecretLine(u, '*', p, '*')).join('\n') + '\n', { mode: 0o600 });
  const config = join(dir, 'tunppp.json');
  writeFileSync(
    config,
    JSON.stringify({
      listen: { pptp: { addresses: [opts.listen] }, l2tp: { enabled: false } },
      pools: [{ name: 'test', local: opts.local, ranges: opts.ranges }],
      auth: { chapSecrets: secrets },
      tun: { name: `tps${process.pid % 10000}` },
      ...opts.extra,
    }),
  );
  return { dir, config, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A TCP transfer inside namespaces with node: a sink in `serverNs` on
 * `addr:port` counts bytes; a source in `clientNs` sends `bytes`. Resolves
 * with the count the sink saw.
 */
export async function tcpTransfer(serverNs: string, clientNs: string, addr: string, port: number, bytes: number, timeoutMs = 60_000): Promise<{ received: number; ms: number }> {
  const sinkJs = `const net=require('net');let n=0;const s=net.createServer(c=>{c.on('data',d=>n+=d.length);c.on('end',()=>{console.log('RECEIVED '+n);process.exit(0)})});s.listen(${port},'${addr}',()=>console.log('LISTENING'));setTimeout(()=>{console.log('RECEIVED '+n);process.exit(1)},${timeoutMs});`;
  const sink = spawn('ip', ['netns', 'exec', serverNs, process.execPath, '-e', sinkJs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  sink.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const t0 = Date.now();
  while (!out.includes('LISTENING')) {
    if (Date.now() - t0 > 10_000) throw new Error('sink did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
  const srcJs = `const net=require('net');const c=net.connect(${port},'${addr}',()=>{const chunk=Buffer.alloc(65536,7);let left=${bytes};const pump=()=>{while(left>0){const n=Math.min(left,chunk.length);left-=n;if(!c.write(n===chunk.length?chunk:chunk.subarray(0,n))){c.once('drain',pump);return}}c.end()};pump()});c.on('error',e=>{console.error(e.message);process.exit(1)});`;
  const t1 = Date.now();
  const src = spawn('ip', ['netns', 'exec', clientNs, process.execPath, '-e', srcJs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let srcErr = '';
  src.stderr.on('data', (d: Buffer) => (srcErr += d.toString()));
  const code = await new Promise<number | null>((r) => sink.on('exit', r));
  src.kill('SIGKILL');
  const m = /RECEIVED (\d+)/.exec(out);
  if (code !== 0 || !m) throw new Error(`transfer failed (sink exit ${code}): ${out} ${srcErr}`);
  return { received: Number(m[1]), ms: Date.now() - t1 };
}

/** Appends every process's command line and output to a failing test's error. */
export function appendProcLogs(err: unknown, procs: readonly Proc[], tail?: LogTail): void {
  if (err instanceof Error) for (const p of procs) err.message += `\n${p.describe(tail)}`;
}

/** A client's "connected:" line, parsed. */
export interface Connected {
  client: Proc;
  address: string;
  serverAddress: string;
  tun: string;
  mtu: number;
  /** The MPPE mode ("128-bit stateless"), absent without MPPE. */
  mppe: string | undefined;
}

/**
 * One end-to-end run: its namespaces, the server config, and every process
 * started through it. Made by `e2eRun`, which tears it all down.
 */
export class E2eRun {
  readonly lab = new NetnsLab();
  readonly procs: Proc[] = [];

  constructor(readonly cfg: ServerConfig) {}

  /** Starts `tunppp ARGS` in `ns`; the run stops it at the end. */
  start(ns: string, args: string[], env: Record<string, string> = {}): Proc {
    const p = new Proc(ns, args, env);
    this.procs.push(p);
    return p;
  }

  /** Starts `tunppp serve --config CFG ARGS` in `ns`. */
  serve(ns: string, args: string[] = []): Proc {
    return this.start(ns, ['serve', '--config', this.cfg.config, ...args]);
  }

  /** `serve` with the API on a unix socket in the config's directory; resolves once the API listens, with its address and token. */
  async serveWithApi(ns: string, args: string[] = []): Promise<{ server: Proc; api: ApiTarget }> {
    const path = join(this.cfg.dir, 'api.sock');
    const tokenFile = join(this.cfg.dir, 'api-token');
    const server = this.serve(ns, ['--api-listen', path, '--api-token-file', tokenFile, ...args]);
    await server.waitFor(/API listening on /);
    return { server, api: { listen: { kind: 'unix', path }, token: await readToken(tokenFile) } };
  }

  /** Starts `tunppp connect URL --tun TUN ARGS` in `ns` with `password`; resolves once it prints its connected line. */
  async connect(ns: string, url: string, tun: string, password: string, args: string[] = []): Promise<Connected> {
    return waitConnected(this.start(ns, ['connect', url, '--tun', tun, ...args], { TUNPPP_PASSWORD: password }));
  }
}

/** Resolves once a `tunppp connect` process prints its connected line, parsed. */
export async function waitConnected(client: Proc, timeoutMs?: number): Promise<Connected> {
  const m = await client.waitFor(/connected: address (\S+) \(server (\S+)\) on (\S+), MTU (\d+)(?:, MPPE ([^\n]+))?/, timeoutMs);
  return { client, address: m[1]!, serverAddress: m[2]!, tun: m[3]!, mtu: Number(m[4]), mppe: m[5] };
}

/**
 * Runs `fn` with a fresh `E2eRun` for a server config made from `cfg`. On
 * failure every process's output (or its `tail`) goes into the error; at the
 * end every process is stopped and the namespaces and config are removed.
 */
export async function e2eRun(cfg: ServerConfigOpts, fn: (r: E2eRun) => Promise<void>, tail?: LogTail): Promise<void> {
  const r = new E2eRun(writeServerConfig(cfg));
  try {
    await fn(r);
  } catch (err) {
    appendProcLogs(err, r.procs, tail);
    throw err;
  } finally {
    for (const p of r.procs) await p.stop('SIGTERM');
    r.lab.cleanup();
    r.cfg.cleanup();
  }
}

/** The server's /metrics as Prometheus text. */
export async function fetchMetrics(api: ApiTarget): Promise<string> {
  return (await apiRequest(api, 'GET', '/metrics')).body;
}

/** The value of one series in Prometheus text, `series` written as printed (`name{label="v"}`); NaN when absent. */
export function metricValue(metrics: string, series: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

/** `tcpTransfer` of `bytes` each way: client→server to `serverIp:port`, server→client to `clientIp:port+1`; asserts every byte arrived. */
export async function tcpBothWays(s: string, c: string, serverIp: string, clientIp: string, port: number, bytes: number, timeoutMs?: number): Promise<{ upMs: number; downMs: number }> {
  const up = await tcpTransfer(s, c, serverIp, port, bytes, timeoutMs);
  assert.equal(up.received, bytes);
  const down = await tcpTransfer(c, s, clientIp, port + 1, bytes, timeoutMs);
  assert.equal(down.received, bytes);
  return { upMs: up.ms, downMs: down.ms };
}

/** `ping -M do -s size` from `ns` (DF set, no fragmenting): the exit status and output (never throws). */
export function pingDf(ns: string, dst: string, size: number, count = 2): { ok: boolean; out: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'ping', '-M', 'do', '-s', String(size), '-c', String(count), '-i', '0.2', '-W', '2', dst], { encoding: 'utf8', timeout: 20_000 });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

/** How often `re` matches in `text`. */
export function countMatches(re: RegExp, text: string): number {
  return text.match(new RegExp(re.source, 'g'))?.length ?? 0;
}

/**
 * The server half of the path-MTU scenario behind a router whose link toward
 * the client is at MTU 1400: a full-size packet from the server (in
 * `serverNs`) to the client's tunnel address `clientIp` draws an ICMP
 * fragmentation-needed, the server logs path MTU 1400 toward `clientOuter`
 * (the client's underlay address) and lowers the link MTU from `mtu0`; then
 * pings up to the new tunnel MTU pass and one byte more is refused with it.
 * Returns the server's log line and the lowered MTU.
 */
export async function expectServerPmtu(server: Proc, serverNs: string, clientIp: string, clientOuter: string, mtu0: number): Promise<{ line: string; mtu: number }> {
  pingDf(serverNs, clientIp, mtu0 - 28, 3);
  const outer = clientOuter.replace(/\./g, '\\.');
  const ev = await server.waitFor(new RegExp(`path MTU to ${outer} is (\\d+) \\(([^)]*)\\); link MTU lowered from (\\d+) to (\\d+), TCP MSS clamped to (\\d+); call kept`), 10_000);
  const [pathMtu, mtu1] = [Number(ev[1]), Number(ev[4])];
  assert.equal(pathMtu, 1400);
  assert.ok(mtu1 < mtu0 && mtu1 >= 1400 - 60, `lowered to ${mtu1}`);
  for (const size of [56, 1000, 1300, mtu1 - 28]) {
    const ok = pingDf(serverNs, clientIp, size);
    assert.ok(ok.ok, ok.out);
  }
  const tooBig = pingDf(serverNs, clientIp, mtu1 - 27);
  assert.ok(!tooBig.ok);
  assert.match(tooBig.out, new RegExp(`mtu ?= ?${mtu1}`), tooBig.out);
  return { line: ev[0], mtu: mtu1 };
}

/**
 * The end of a path-MTU run: the server logged the PMTU event once, never
 * took the link down and saw one call (`callRe`); the client is still
 * connected, exits 0 on Ctrl-C, and the server logs the link down.
 */
export async function expectPmtuCallKept(server: Proc, client: Proc, callRe: RegExp): Promise<void> {
  assert.equal(countMatches(/event=pmtu/, server.err), 1, 'the PMTU event is logged once');
  assert.equal(countMatches(/link down/, server.err), 0);
  assert.equal(countMatches(callRe, server.err), 1);
  assert.equal(client.exitCode, undefined, 'the client is still connected');
  assert.equal(await client.stop('SIGINT'), 0);
  await server.waitFor(/link down: .*Connect time/);
}
