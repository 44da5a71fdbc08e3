/**
 * A load generator for the PPTP server: many control connections and calls
 * in one process, sharing one raw GRE socket (one GreEndpoint, one
 * scheduler, one Call ID pool, as the server does), each call carrying a
 * client-role PppLink brought up with MS-CHAPv2 and (by default) MPPE-128.
 * No TUN: the sessions' IP side is a small in-process responder that answers
 * ICMP echo requests sent to a session's address, and `pingAll` sends echo
 * requests from every session to the server's tunnel address.
 *
 * Used by test/e2e/pptp-scale.test.ts and `npm run bench -- tunnel`; runnable
 * on its own:
 *
 *   TUNPPP_PASSWORD=pw node --import tsx bench/loadgen/loadgen.ts --host 10.0.0.1 --user u --sessions 200
 *
 * `--proto l2tp` runs the L2TP load generator (l2tp-loadgen.ts) with the same
 * options and output instead: one UDP socket, at most `--sessions-per-tunnel N`
 * (default 100) sessions per tunnel, at least `--tunnels M` tunnels.
 *
 * It prints `loadgen: up N/M in T ms (R sessions/s)` and a `RESULT {json}`
 * line, then holds the sessions until SIGTERM/SIGINT (graceful stop) or
 * `--hold S` seconds.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Millis } from '../../src/core/machine.js';
import type { Rng } from '../../src/core/rng.js';
import { parseIpv4 } from '../../src/config/ipv4.js';
import { monotonicClock, type Clock } from '../../src/io/clock.js';
import { openGreSocket, type GreSocket } from '../../src/io/gre-socket.js';
import { cryptoRng } from '../../src/io/rng.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { PptpControl, type ControlInput } from '../../src/pptp/control-fsm.js';
import { CallIdPool } from '../../src/pptp/call-fsm.js';
import type { ServerContext } from '../../src/server/context.js';
import { GreEndpoint } from '../../src/server/gre-endpoint.js';
import { PppLink } from '../../src/server/link.js';
import { L2tpLoadgen } from './l2tp-loadgen.js';
import { countUp, LoadgenIpSide, loadgenContext, newLoadgenStats, openInPool, pingSessions, sleep, type LoadSession, type LoadgenStats, type OpenResult } from './loadgen-common.js';

/** What to connect to and how. */
export interface LoadgenOptions {
  /** Server IPv4 address. */
  host: string;
  port?: number;
  username: string;
  password: string;
  /** MPPE policy of every session: require (default), allow, refuse. */
  mppe?: 'require' | 'allow' | 'refuse';
  /** LCP echo interval of our side (default 30 s; the server's keepalive is what reaps). */
  keepaliveS?: number;
  log: Logger;
  clock?: Clock;
  rng?: Rng;
  /**
   * First Call ID to hand out (default random). Several load generators in one
   * namespace each see all GRE (raw sockets); distinct ranges keep their calls apart.
   */
  callIdBase?: number;
  /** Opens the GRE socket (tests may pass a fake); default a raw socket with PMTU discovery on. */
  greSocket?: GreSocket;
}

export { icmpEcho, type LoadSession, type LoadgenStats, type OpenResult } from './loadgen-common.js';

/** Many PPTP client sessions over one GRE socket. */
export class PptpLoadgen {
  readonly sessions: LoadSession[] = [];
  readonly stats: LoadgenStats = newLoadgenStats();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly ctx: ServerContext;
  private readonly gre: GreEndpoint;
  private readonly socket: GreSocket;
  private readonly ipSide: LoadgenIpSide;
  private readonly callIds: CallIdPool;
  private readonly serverU32: number;
  private readonly live = new Set<{ tcp: Socket; finish: (reason: string) => void }>();
  private closed = false;

  constructor(private readonly opts: LoadgenOptions) {
    const u32 = parseIpv4(opts.host);
    if (u32 === undefined) throw new Error(`loadgen: host must be an IPv4 address, got '${opts.host}'`);
    this.serverU32 = u32;
    this.clock = opts.clock ?? monotonicClock;
    const rng = opts.rng ?? cryptoRng;
    this.log = opts.log.child({ proto: 'pptp' });
    const base = opts.callIdBase;
    this.callIds = new CallIdPool(rng, base === undefined ? {} : { sequentialFrom: base });
    this.ipSide = new LoadgenIpSide(this.clock, this.stats, () => this.gre.flush());
    this.ctx = loadgenContext({ clock: this.clock, rng, log: this.log, tun: this.ipSide });
    this.socket = opts.greSocket ?? openGreSocket({ pmtuDiscovery: 'do' });
    this.gre = new GreEndpoint(this.ctx, this.socket, this.log);
    this.ctx.scheduler.afterFire = () => {
      this.gre.flush();
      this.ipSide.flush();
    };
  }

  /** The shared GRE endpoint's counters. */
  get greStats(): GreEndpoint['stats'] {
    return this.gre.stats;
  }

  /** Sessions whose link is up. */
  get upCount(): number {
    return countUp(this.sessions);
  }

  /**
   * Opens `count` sessions, at most `concurrency` in setup at once, each
   * bounded by `timeoutMs`; resolves when every one is up or failed.
   */
  open(count: number, o: { concurrency?: number; timeoutMs?: number } = {}): Promise<OpenResult> {
    return openInPool(this.sessions, count, o, (s, timeoutMs) => this.startOne(s, timeoutMs), () => this.closed);
  }

  /**
   * Sends `count` ICMP echo requests (DF set, `payloadBytes` of data) from
   * every up session to the server's tunnel address; resolves with the replies
   * that came back within `waitMs`.
   */
  pingAll(payloadBytes = 56, count = 1, waitMs = 2000): Promise<{ sent: number; replies: number }> {
    return pingSessions(this.sessions, { clock: this.clock, stats: this.stats, flush: () => this.gre.flush() }, payloadBytes, count, waitMs);
  }

  /** Graceful stop: LCP Terminate, Call-Clear, Stop-Control-Connection on every session (bounded). */
  async stop(graceMs = 3000): Promise<void> {
    const now = this.clock.now();
    for (const s of this.sessions) if (s.state === 'up' || s.state === 'connecting') s.link?.close('loadgen stop', now);
    this.gre.flush();
    const t0 = Date.now();
    while (this.live.size > 0 && Date.now() - t0 < graceMs) await sleep(50);
    this.destroy();
  }

  /** Closes every socket at once (no goodbyes). */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of [...this.live]) l.finish('loadgen destroyed');
    this.ctx.scheduler.stop();
    this.socket.close();
  }

  private startOne(s: LoadSession, timeoutMs: number): Promise<void> {
    return new Promise<void>((settle) => {
      const opts = this.opts;
      const clock = this.clock;
      const control = new PptpControl({ role: 'client', rng: this.ctx.rng, hostName: 'tunppp-loadgen', vendorName: 'tunppp', callIds: this.callIds });
      const tcp = tcpConnect({ host: opts.host, port: opts.port ?? 1723 });
      const t0 = performance.now();
      let settled = false;
      let finished = false;
      let link: PppLink | undefined;
      const done = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        settle();
      };
      const entry = {
        tcp,
        finish: (reason: string): void => {
          if (finished) return;
          finished = true;
          this.live.delete(entry);
          this.ctx.scheduler.delete(control);
          if (s.localIp !== undefined) {
            const a = parseIpv4(s.localIp)!;
            if (this.ipSide.byAddr.get(a) === link) this.ipSide.byAddr.delete(a);
          }
          s.state = s.state === 'up' ? 'down' : 'failed';
          s.reason ??= reason;
          if (!tcp.destroyed) tcp.destroy();
          done();
        },
      };
      this.live.add(entry);
      const timer = setTimeout(() => {
        if (s.state !== 'connecting') return;
        s.reason = `no link after ${timeoutMs} ms`;
        link?.lowerDown(s.reason, clock.now());
        entry.finish(s.reason);
      }, timeoutMs);

      const handle = (input: ControlInput, now: Millis): void => {
        for (const o of control.handle(input, now)) {
          if (o.kind === 'send') {
            if (!tcp.destroyed) tcp.write(o.bytes);
          } else if (o.kind === 'drop') this.log.debug('pptp-drop', `control message dropped: ${o.reason}`);
          else {
            const e = o.event;
            if (e.type === 'control-up') handle({ type: 'open-call' }, now);
            else if (e.type === 'call-up') {
              const call = this.gre.open(this.serverU32, e.callId, e.peerCallId, e.peerRecvWindow);
              call.onClose = (t) => handle({ type: 'close-call', callId: e.callId }, t);
              const strengths = opts.mppe === 'refuse' ? [] : [128 as const];
              const l = new PppLink(this.ctx, call, {
                role: 'client',
                auth: { accept: ['mschap-v2'], username: opts.username, password: opts.password },
                mppe: { strengths, required: (opts.mppe ?? 'require') === 'require', allowStateful: false },
                ipv4: true,
                ipv6: false,
                requestDns: false,
                echoIntervalMs: (opts.keepaliveS ?? 30) * 1000,
              });
              call.link = l;
              link = l;
              s.link = l;
              l.onUp = () => {
                s.state = 'up';
                s.setupMs = performance.now() - t0;
                s.localIp = l.localIp;
                s.peerIp = l.peerIp;
                if (l.mppe !== undefined) s.mppe = l.mppe;
                if (l.localIp !== undefined) this.ipSide.byAddr.set(parseIpv4(l.localIp)!, l);
                done();
              };
              l.onEnded = (reason) => {
                s.reason ??= reason;
                handle({ type: 'stop' }, clock.now());
                if (s.state === 'connecting') entry.finish(reason);
              };
              l.start(now);
            } else if (e.type === 'call-down') {
              link?.lowerDown(`call cleared by the server (${e.reason})`, now);
              if (!link) entry.finish(`call refused by the server (${e.reason}${e.resultCode !== undefined ? `, result ${e.resultCode}` : ''})`);
            } else if (e.type === 'control-down') {
              link?.lowerDown(`control connection closed (${e.reason})`, now);
              entry.finish(`control connection closed (${e.reason}${e.detail ? `: ${e.detail}` : ''})`);
            }
          }
        }
        this.ctx.scheduler.set(control, finished ? undefined : control.nextDeadline(), (t) => handle({ type: 'timeout' }, t));
        this.gre.flush();
      };

      tcp.setNoDelay(true);
      tcp.on('connect', () => handle({ type: 'tcp-open' }, clock.now()));
      tcp.on('data', (b: Buffer) => handle({ type: 'data', bytes: b }, clock.now()));
      tcp.on('error', (err) => {
        s.reason ??= `control connection: ${err.message}`;
      });
      tcp.on('close', () => {
        if (!finished) handle({ type: 'tcp-closed' }, clock.now());
        entry.finish(s.reason ?? 'control connection closed');
      });
    });
  }
}

/** Command line: see the file comment. */
async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      user: { type: 'string' },
      sessions: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '64' },
      mppe: { type: 'string', default: 'require' },
      keepalive: { type: 'string', default: '30' },
      hold: { type: 'string' },
      ping: { type: 'string' },
      steps: { type: 'string', default: '1' },
      'call-id-base': { type: 'string' },
      proto: { type: 'string', default: 'pptp' },
      'sessions-per-tunnel': { type: 'string', default: '100' },
      tunnels: { type: 'string', default: '0' },
      'local-port': { type: 'string' },
      'pause-ms': { type: 'string', default: '3000' },
      'timeout-ms': { type: 'string', default: '30000' },
      'log-level': { type: 'string', default: 'warn' },
    },
  });
  const password = process.env.TUNPPP_PASSWORD;
  if (!values.host || !values.user || password === undefined || (values.proto !== 'pptp' && values.proto !== 'l2tp')) {
    process.stderr.write(
      'usage: TUNPPP_PASSWORD=pw loadgen --host IPV4 --user NAME [--proto pptp|l2tp] [--sessions N] [--concurrency N] [--mppe require|allow|refuse] [--keepalive S] [--ping BYTES] [--hold S] [--steps K --pause-ms MS] [--call-id-base N (pptp)] [--sessions-per-tunnel N --tunnels MIN --local-port P (l2tp)]\n',
    );
    return 2;
  }
  const mppe = values.mppe as 'require' | 'allow' | 'refuse';
  const log = createLogger({ format: 'text', level: values['log-level'] as 'warn', stream: process.stderr });
  const common = { host: values.host, ...(values.port ? { port: Number(values.port) } : {}), username: values.user, password, mppe, keepaliveS: Number(values.keepalive), log };
  const lg =
    values.proto === 'l2tp'
      ? new L2tpLoadgen({ ...common, sessionsPerTunnel: Number(values['sessions-per-tunnel']), minTunnels: Number(values.tunnels), ...(values['local-port'] ? { localPort: Number(values['local-port']) } : {}) })
      : new PptpLoadgen({ ...common, ...(values['call-id-base'] ? { callIdBase: Number(values['call-id-base']) } : {}) });
  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`loadgen: stopping (${why})\n`);
    await lg.stop();
    process.stdout.write(`loadgen: stopped\n`);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // --steps K: K equal rounds with --pause-ms between them (STEP lines), e.g. for marginal memory per session
  const steps = Math.max(1, Number(values.steps));
  const total = Number(values.sessions);
  const openOpts = { concurrency: Number(values.concurrency), timeoutMs: Number(values['timeout-ms']) };
  let r = await lg.open(Math.ceil(total / steps), openOpts);
  const rounds = [{ up: r.up, ms: r.ms, rate: r.rate }];
  for (let k = 1; k < steps; k++) {
    process.stdout.write(`STEP ${k} ${JSON.stringify({ up: lg.upCount })}\n`);
    await sleep(Number(values['pause-ms']));
    const n = Math.ceil(total / steps);
    const rk = await lg.open(Math.min(n, total - k * n), openOpts);
    rounds.push({ up: rk.up, ms: rk.ms, rate: rk.rate });
    const ms = r.ms + rk.ms;
    r = { ...rk, requested: r.requested + rk.requested, up: r.up + rk.up, failed: r.failed + rk.failed, ms, rate: (r.up + rk.up) / (ms / 1000), errors: [...r.errors, ...rk.errors].slice(0, 5) };
  }
  process.stdout.write(`loadgen: up ${r.up}/${r.requested} in ${r.ms.toFixed(0)} ms (${r.rate.toFixed(1)} sessions/s, p50 ${r.p50Ms.toFixed(0)} ms, p99 ${r.p99Ms.toFixed(0)} ms)\n`);
  const addrs = lg.sessions.filter((s) => s.state === 'up').map((s) => s.localIp!);
  let ping: { sent: number; replies: number } | undefined;
  if (values.ping !== undefined) ping = await lg.pingAll(Number(values.ping), 1, 5000);
  process.stdout.write(`RESULT ${JSON.stringify({ ...r, rounds, addresses: addrs, mppe: lg.sessions.find((s) => s.mppe)?.mppe, ping, ...(lg instanceof L2tpLoadgen ? { l2tp: lg.counters } : { gre: lg.greStats }) })}\n`);
  if (values.hold !== undefined) {
    await sleep(Number(values.hold) * 1000);
    await stop('hold elapsed');
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== 0) process.exit(code);
    },
    (err: Error) => {
      process.stderr.write(`loadgen: ${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}
