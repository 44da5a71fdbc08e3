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
import { formatSecretLine } from '../../src/config/chap-secrets.js';

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

  /** The command line and everything it printed, for a failure message. */
  describe(): string {
    return `--- ${this.child.spawnargs.slice(5).join(' ')}\n${this.out}\n${this.err}`;
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

/** A temporary directory with tunppp.json and chap-secrets. */
export function writeServerConfig(opts: { listen: string; local: string; ranges: string[]; users: [string, string][]; extra?: Record<string, unknown> }): { dir: string; config: string; cleanup: () => void } {
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
export function appendProcLogs(err: unknown, procs: readonly Proc[]): void {
  if (err instanceof Error) for (const p of procs) err.message += `\n${p.describe()}`;
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
