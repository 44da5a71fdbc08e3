/**
 * Black-box hostile-peer lab: `tunppp serve` (with its API) in a server
 * namespace, a legitimate `tunppp connect` in a client namespace, and an
 * attacker namespace that runs attack scripts from its own addresses. The
 * three sit on one bridge (10.201.0.0/24, the bridge in the server
 * namespace), so the attacker is off the legitimate client's path: it can
 * send to the server from its own addresses, never as the client.
 *
 * A liveness watch started with each legitimate session pings the server's
 * tunnel address every 200 ms and asks the API for /sessions every 500 ms;
 * `assertAlive()` checks both kept answering while the attack ran.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiRequest, type ApiTarget } from '../../../src/api/client.js';
import { E2eRun, e2eRun, type Connected, type Proc } from '../../e2e/harness.js';
import { run } from '../../io/netns.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** The lab's outer addresses. */
export const SERVER_IP = '10.201.0.1';
export const CLIENT_IP = '10.201.0.2';
export const ATTACKER_IP = '10.201.0.3';

export type Protocol = 'pptp' | 'l2tp';

export interface HostileOpts {
  /** Which listeners the server runs (both by default). */
  protocols?: Protocol[];
  /** chap-secrets users; alice/alice-pw and mallory/mallory-pw by default. */
  users?: [string, string][];
  /** tunppp.json keys to add or replace (top level). */
  extra?: Record<string, unknown>;
  /** More `tunppp serve` arguments. */
  serverArgs?: string[];
}

/** What an attack script did. */
export interface AttackResult {
  code: number | null;
  out: string;
  err: string;
}

/** Pings through one legitimate tunnel and polls the API while an attack runs. */
export class Liveness {
  private readonly ping: ChildProcess;
  private pingOut = '';
  private readonly apiTimer: NodeJS.Timeout;
  private apiBusy = false;
  /** API calls made, failed (error or non-200), and the slowest in ms. */
  apiCalls = 0;
  apiFailures: string[] = [];
  apiSlowestMs = 0;

  constructor(ns: string, target: string, private readonly api: ApiTarget) {
    // -O: report every request left unanswered, so losses are counted, not inferred.
    this.ping = spawn('ip', ['netns', 'exec', ns, 'ping', '-n', '-O', '-i', '0.2', '-W', '1', target], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.ping.stdout!.on('data', (d: Buffer) => (this.pingOut += d.toString()));
    this.apiTimer = setInterval(() => void this.pollApi(), 500);
  }

  private async pollApi(): Promise<void> {
    if (this.apiBusy) return;
    this.apiBusy = true;
    const t0 = Date.now();
    try {
      const r = await Promise.race([
        apiRequest(this.api, 'GET', '/sessions'),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer in 2 s')), 2000)),
      ]);
      if (r.status !== 200) this.apiFailures.push(`status ${r.status}`);
    } catch (err) {
      this.apiFailures.push((err as Error).message);
    } finally {
      this.apiCalls++;
      this.apiSlowestMs = Math.max(this.apiSlowestMs, Date.now() - t0);
      this.apiBusy = false;
    }
  }

  /** Ping replies and requests left unanswered so far. */
  counts(): { replies: number; lost: number } {
    let replies = 0;
    let lost = 0;
    for (const line of this.pingOut.split('\n')) {
      if (line.includes(' bytes from ')) replies++;
      else if (line.startsWith('no answer yet')) lost++;
    }
    return { replies, lost };
  }

  /**
   * Asserts that at least 90 % of the pings were answered (and at least
   * `minReplies` of them), and that every API call was answered with 200
   * within 2 s.
   */
  async assertAlive(minReplies = 5): Promise<void> {
    // One more second, so a stall right at the end shows too.
    await new Promise((r) => setTimeout(r, 1000));
    const { replies, lost } = this.counts();
    assert.ok(replies >= minReplies, `only ${replies} ping replies through the legitimate tunnel (${lost} lost)`);
    assert.ok(replies / (replies + lost) >= 0.9, `legitimate tunnel lost ${lost} of ${replies + lost} pings`);
    assert.ok(this.apiCalls >= 1, 'the API was never polled');
    assert.deepEqual(this.apiFailures, [], `API calls failed (${this.apiFailures.length} of ${this.apiCalls})`);
  }

  stop(): void {
    clearInterval(this.apiTimer);
    this.ping.kill('SIGKILL');
  }
}

/** One hostile lab, made by `hostileRun`. */
export class HostileLab {
  s = '';
  c = '';
  a = '';
  server!: Proc;
  api!: ApiTarget;
  private readonly watches: Liveness[] = [];
  private tunSeq = 0;
  private extraAddrs = 0;

  constructor(readonly run: E2eRun) {}

  /** Builds the namespaces and the bridge. */
  build(): void {
    const lab = this.run.lab;
    this.s = lab.ns();
    this.c = lab.ns();
    this.a = lab.ns();
    lab.ip(this.s, 'link', 'add', 'br0', 'type', 'bridge');
    lab.ip(this.s, 'addr', 'add', `${SERVER_IP}/24`, 'dev', 'br0');
    lab.ip(this.s, 'link', 'set', 'br0', 'up');
    for (const [ns, addr, port] of [
      [this.c, CLIENT_IP, 'pc'],
      [this.a, ATTACKER_IP, 'pa'],
    ] as const) {
      run('ip', ['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', this.s]);
      lab.ip(ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
      lab.ip(ns, 'link', 'set', 'eth0', 'up');
      lab.ip(this.s, 'link', 'set', port, 'master', 'br0');
      lab.ip(this.s, 'link', 'set', port, 'up');
    }
  }

  /** Adds `n` more addresses (10.201.0.100 onwards) to the attacker's interface and returns them. */
  attackerAddrs(n: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const addr = `10.201.0.${100 + this.extraAddrs++}`;
      assert.ok(this.extraAddrs <= 150, 'too many attacker addresses');
      this.run.lab.ip(this.a, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
      out.push(addr);
    }
    return out;
  }

  /**
   * Connects a legitimate client from the client namespace (alice by
   * default) and starts its liveness watch.
   */
  async legit(kind: Protocol, args: string[] = [], user: [string, string] = ['alice', 'alice-pw']): Promise<Connected & { watch: Liveness }> {
    const conn = await this.run.connect(this.c, `${kind}://${user[0]}@${SERVER_IP}`, `hl${++this.tunSeq}`, user[1], args);
    const watch = new Liveness(this.c, conn.serverAddress, this.api);
    this.watches.push(watch);
    return { ...conn, watch };
  }

  /** Runs `node --import tsx SCRIPT ARGS` (path from the repo root) in the attacker namespace; killed after `timeoutMs`. */
  attack(script: string, args: string[] = [], timeoutMs = 30_000): Promise<AttackResult> {
    return new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', this.a, process.execPath, '--import', 'tsx', join(root, script), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const timer = setTimeout(() => {
        err += `\n(attack killed after ${timeoutMs} ms)`;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, out, err });
      });
    });
  }

  stopWatches(): void {
    for (const w of this.watches.splice(0)) w.stop();
  }
}

/**
 * Runs `fn` in a fresh hostile lab: the server listens on 10.201.0.1 with
 * the API, pool 192.168.201.10–200 (server 192.168.201.1). Everything is
 * torn down at the end, and process output is added to a failure.
 */
export async function hostileRun(opts: HostileOpts, fn: (h: HostileLab) => Promise<void>): Promise<void> {
  const protocols = opts.protocols ?? ['pptp', 'l2tp'];
  const users = opts.users ?? [
    ['alice', 'alice-pw'],
    ['mallory', 'mallory-pw'],
  ];
  await e2eRun(
    {
      listen: SERVER_IP,
      local: '192.168.201.1',
      ranges: ['192.168.201.10-192.168.201.200'],
      users,
      extra: {
        listen: {
          pptp: protocols.includes('pptp') ? { addresses: [SERVER_IP] } : { enabled: false },
          l2tp: protocols.includes('l2tp') ? { addresses: [SERVER_IP] } : { enabled: false },
        },
        ...opts.extra,
      },
    },
    async (e2e) => {
      const h = new HostileLab(e2e);
      try {
        h.build();
        const { server, api } = await e2e.serveWithApi(h.s, opts.serverArgs ?? []);
        h.server = server;
        h.api = api;
        for (const p of protocols) await server.waitFor(new RegExp(`serving on [^\\n]*\\b${p} ${SERVER_IP.replaceAll('.', '\\.')}:`));
        await fn(h);
      } finally {
        h.stopWatches();
      }
    },
    { out: 6000, err: 12000 },
  );
}
