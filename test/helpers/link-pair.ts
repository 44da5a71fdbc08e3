/**
 * A client PppLink and a server PppLink back to back in one process, both
 * with CHAP-MD5 and no MPPE (IPV6CP when asked): frames go through in-memory
 * queues, `pump()` moves them until both sides are quiet. For tests of what a
 * link does once up (source checks, MTU) without sockets.
 */
import { PppLink, serverSessionOptions, type LinkTransport } from '../../src/server/link.js';
import { clientRuntime, clientSessionOptions, type ClientRuntime } from '../../src/client/common.js';
import { seededRng } from '../../src/core/rng.js';
import type { Clock } from '../../src/io/clock.js';
import { silentLogger, type Logger } from '../../src/log/logger.js';
import type { ServerContext } from '../../src/server/context.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { testContext } from '../l2tp/lns-harness.js';

/** The PPP protocol of a frame, with or without address/control and protocol-field compression. */
export function protoOf(f: Uint8Array): number {
  const o = f[0] === 0xff && f[1] === 0x03 ? 2 : 0;
  return (f[o]! & 1) === 1 ? f[o]! : (f[o]! << 8) | f[o + 1]!;
}

export interface LinkPair {
  /** The server's link, its context, and the client's. */
  s: PppLink;
  server: ServerContext;
  c: PppLink;
  client: ClientRuntime;
  /** Starts both links and pumps until quiet. */
  start(): void;
  /** Moves queued frames until both sides are quiet. */
  pump(): void;
  /** Delivers frames the server held back (see `hold`), then pumps. */
  release(): void;
  /** Stops both schedulers. */
  stop(): void;
}

export interface LinkPairOptions {
  /** Frames from the server for which this is true wait until `release()`. */
  hold?: (proto: number) => boolean;
  /** IPV6CP on both sides (default true). */
  ipv6?: boolean;
  /** Server configuration on top of the pair's (a 10.96.0.0 pool, CHAP, no MPPE). */
  config?: ConfigInput;
  /** The server's clock (a ManualClock for timer tests; the scheduler's Node timer then rarely fires). */
  clock?: Clock;
  proto?: 'pptp' | 'l2tp';
  /** IPV6CP on the client only when this is true (default: as `ipv6`). */
  clientIpv6?: boolean;
  /** The server's logger (default silent). */
  serverLog?: Logger;
}

/** A client link and a server link back to back; `start()` brings them up. */
export function linkPair(opts: LinkPairOptions = {}): LinkPair {
  const ipv6 = opts.ipv6 ?? true;
  const proto = opts.proto ?? 'pptp';
  const hold = opts.hold ?? (() => false);
  const server = testContext(
    {
      pools: [{ name: 't', local: '10.96.0.1', ranges: ['10.96.0.10-10.96.0.20'] }],
      listen: { pptp: { enabled: false }, l2tp: { enabled: false } },
      ...opts.config,
      ppp: { authProtocols: ['chap'], mppe: { mode: 'refuse' }, ipv6, ...opts.config?.ppp },
    },
    { users: [['alice', 'pw']], rng: seededRng(1), ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.serverLog ? { log: opts.serverLog } : {}) },
  );
  const client = clientRuntime({ log: silentLogger, rng: seededRng(2) });
  const toClient: Uint8Array[] = [];
  const toServer: Uint8Array[] = [];
  const held: Uint8Array[] = [];
  let released = false;
  const transport = (q: Uint8Array[]): LinkTransport => ({ proto, peerAddress: '203.0.113.7', sendFrame: (f) => void q.push(f.slice()), close: () => {}, tunnelOptions: () => ({ proto }) });
  const s = new PppLink(server, transport(toClient), serverSessionOptions(server, proto));
  const c = new PppLink(client.ctx, transport(toServer), clientSessionOptions({ host: 'x', username: 'alice', password: 'pw', accept: ['chap-md5'], ipv6: opts.clientIpv6 ?? ipv6, log: silentLogger }, 'refuse', proto));
  client.link = c;
  const sNow = (): number => server.clock.now();
  const pump = (): void => {
    for (let n = 0; n < 200 && (toClient.length > 0 || toServer.length > 0); n++) {
      const f = toClient.shift();
      if (f) {
        if (!released && hold(protoOf(f))) held.push(f);
        else c.fromTransport(f, 0);
      }
      const g = toServer.shift();
      if (g) s.fromTransport(g, sNow());
    }
  };
  return {
    s,
    server,
    c,
    client,
    pump,
    start(): void {
      s.start(sNow());
      c.start(0);
      pump();
    },
    release(): void {
      released = true;
      for (const f of held.splice(0)) c.fromTransport(f, 0);
      pump();
    },
    stop(): void {
      server.scheduler.stop();
      client.scheduler.stop();
    },
  };
}
