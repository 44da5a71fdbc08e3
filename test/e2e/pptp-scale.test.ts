/**
 * PPTP at scale: `tunppp serve` in one namespace, the load generator
 * (bench/loadgen/loadgen.ts) in another opening 200 concurrent sessions
 * (MS-CHAPv2 + MPPE-128) over one GRE socket. Then the two ways a client
 * vanishes: a frozen client (SIGSTOP: TCP stays open, LCP echoes go
 * unanswered) is reaped by the server's keepalive within intervalS ×
 * failures, and a `kill -9`ed one (the kernel closes its TCP connections) at
 * once; every address returns to the pool, shown by a new client getting the
 * whole pool again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetnsLab, netnsSkipReason, run } from '../io/netns.js';
import { Proc, countMatches as count, writeServerConfig } from './harness.js';
import type { OpenResult } from '../../bench/loadgen/loadgen-common.js';

const skip = netnsSkipReason();
const root = fileURLToPath(new URL('../..', import.meta.url));

/** What the load generator prints on its RESULT line. */
interface LoadResult extends OpenResult {
  addresses: string[];
  mppe?: string;
  ping?: { sent: number; replies: number };
}

/** The load generator as a process in `ns`. */
class Loadgen {
  out = '';
  err = '';
  exitCode: number | null | undefined;
  readonly child: ChildProcess;

  constructor(ns: string, args: string[]) {
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(root, 'bench/loadgen/loadgen.ts'), ...args], {
      cwd: root,
      env: { ...process.env, TUNPPP_PASSWORD: 'pw-scale' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.err += d.toString()));
    this.child.on('exit', (code) => (this.exitCode = code));
  }

  async result(timeoutMs: number): Promise<LoadResult> {
    const t0 = Date.now();
    for (;;) {
      const m = /^RESULT (.*)$/m.exec(this.out);
      if (m) return JSON.parse(m[1]!) as LoadResult;
      if (this.exitCode !== undefined) throw new Error(`loadgen exited (${this.exitCode}):\n${this.out}\n${this.err}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`loadgen: no result after ${timeoutMs} ms:\n${this.out}\n${this.err}`);
      await sleep(50);
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.exitCode === undefined) this.child.kill(signal);
  }

  async gone(timeoutMs = 5000): Promise<void> {
    const t0 = Date.now();
    while (this.exitCode === undefined && Date.now() - t0 < timeoutMs) await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(pred: () => boolean, what: string, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
  return Date.now() - t0;
}

test('pptp scale: 200 concurrent sessions from one namespace; frozen client reaped by keepalive, kill -9 reaped at once; every address back in the pool', { skip, timeout: 180_000 }, async (t) => {
  const lab = new NetnsLab();
  const POOL = 205;
  const intervalS = 2;
  const failures = 3;
  const cfg = writeServerConfig({
    listen: '10.203.0.1',
    local: '192.168.70.1',
    ranges: [`192.168.70.10-192.168.70.${10 + POOL - 1}`],
    users: [['scale', 'pw-scale']],
    extra: { connections: { max: 1000 }, ppp: { keepalive: { intervalS, failures } }, limits: { maxStarting: 10_000, maxStartingPerSource: 10_000, maxConnectionsPerSource: 10_000, connectRatePerSource: 100_000, maxUnauthenticatedPerSource: 10_000 } }, // one source opens hundreds at once
  });
  const procs: Proc[] = [];
  const gens: Loadgen[] = [];
  try {
    const s = lab.ns();
    const c = lab.ns();
    lab.link(s, 'veth-s', '10.203.0.1/24', c, 'veth-c', '10.203.0.2/24');
    const server = new Proc(s, ['serve', '--config', cfg.config]);
    procs.push(server);
    await server.waitFor(/serving on pptp 10\.203\.0\.1:1723/);
    const lgArgs = ['--host', '10.203.0.1', '--user', 'scale', '--keepalive', '30', '--timeout-ms', '30000'];

    // 200 sessions at once, then one echo through each
    const big = new Loadgen(c, [...lgArgs, '--sessions', '200', '--concurrency', '200', '--ping', '64', '--call-id-base', '1000']);
    gens.push(big);
    const r = await big.result(90_000);
    t.diagnostic(`200 sessions up in ${r.ms.toFixed(0)} ms (${r.rate.toFixed(0)} sessions/s, p50 ${r.p50Ms.toFixed(0)} ms, p99 ${r.p99Ms.toFixed(0)} ms)`);
    assert.equal(r.up, 200, `failures: ${r.errors.join('; ')}`);
    assert.equal(r.mppe, '128-bit stateless');
    assert.equal(new Set(r.addresses).size, 200);
    assert.deepEqual(r.ping, { sent: 200, replies: 200 });
    await until(() => count(/link up: user scale/, server.err) === 200, 'the server to log 200 links up', 10_000);
    // the server reaches a session's address (the load generator answers echoes)
    run('ip', ['netns', 'exec', s, 'ping', '-c', '2', '-i', '0.2', '-W', '2', r.addresses[199]!], 15_000);

    // a frozen client: TCP stays open, echoes go unanswered → keepalive reaps it
    const frozen = new Loadgen(c, [...lgArgs, '--sessions', '5', '--call-id-base', '20000']);
    gens.push(frozen);
    const fr = await frozen.result(30_000);
    assert.equal(fr.up, 5, `failures: ${fr.errors.join('; ')}`);
    const downBefore = count(/link down: /, server.err);
    frozen.kill('SIGSTOP');
    const reapMs = await until(() => count(/link down: /, server.err) >= downBefore + 5, 'keepalive to reap the 5 frozen sessions', 30_000);
    t.diagnostic(`frozen client reaped after ${reapMs} ms (keepalive ${intervalS} s × ${failures})`);
    // the last answered echo was at most one interval before SIGSTOP; failures more intervals, then the check
    assert.ok(reapMs <= intervalS * (failures + 1) * 1000 + 2000, `reaped after ${reapMs} ms`);
    assert.equal(count(/link down: peer not responding: 3 Echo-Requests unanswered\. Connect time/, server.err), 5);
    frozen.kill('SIGKILL');
    await frozen.gone();

    // kill -9 of the 200-session client: its control connections close, the server reaps at once
    const downBeforeKill = count(/link down: /, server.err);
    big.kill('SIGKILL');
    await big.gone();
    const killMs = await until(() => count(/link down: /, server.err) >= downBeforeKill + 200, 'the server to reap 200 killed sessions', 15_000);
    t.diagnostic(`kill -9: 200 sessions reaped in ${killMs} ms`);
    assert.equal(count(/link down: .*Connect time/, server.err), 205);

    // every address is back: a new client gets the whole pool
    const again = new Loadgen(c, [...lgArgs, '--sessions', String(POOL), '--concurrency', '100', '--call-id-base', '30000']);
    gens.push(again);
    const ra = await again.result(90_000);
    assert.equal(ra.up, POOL, `failures: ${ra.errors.join('; ')}`);
    assert.equal(new Set(ra.addresses).size, POOL);
    // the pool is exhausted now: one more session is refused
    const extra = new Loadgen(c, [...lgArgs, '--sessions', '1', '--timeout-ms', '15000', '--call-id-base', '40000']);
    gens.push(extra);
    const rx = await extra.result(30_000);
    assert.equal(rx.up, 0);
    again.kill('SIGTERM');
    await until(() => again.exitCode !== undefined, 'the load generator to stop gracefully', 15_000);
    assert.match(again.out, /loadgen: stopped/);
  } catch (err) {
    for (const p of procs) (err as Error).message += `\n--- server (tail)\n${p.out.slice(-3000)}\n${p.err.slice(-6000)}`;
    for (const g of gens) (err as Error).message += `\n--- loadgen\n${g.out.slice(-2000)}\n${g.err.slice(-2000)}`;
    throw err;
  } finally {
    for (const g of gens) {
      g.kill('SIGKILL');
      await g.gone();
    }
    for (const p of procs) await p.stop('SIGTERM');
    lab.cleanup();
    cfg.cleanup();
  }
});
