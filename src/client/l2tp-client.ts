/**
 * `tunppp connect l2tp://…` as a library (a LAC): one UDP socket, one tunnel
 * (SCCRQ/SCCRP/SCCCN), one incoming call (ICRQ/ICRP/ICCN), one PppLink in the
 * client role, and a TUN device configured once IPCP gives us an address.
 * Uses the same UDP port code, link and TUN side as the server.
 *
 * Disconnect: LCP Terminate, then CDN for the call and StopCCN for the
 * tunnel, the way Windows and macOS end an L2TP connection.
 *
 * MPPE defaults to "allow": most L2TP servers run under IPsec and do not
 * offer MPPE, while some (RouterOS, accel-ppp) do.
 */
import { lookup } from 'node:dns/promises';
import { IoError, UsageError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { defaultConfig } from '../config/schema.js';
import { parseIpv4 } from '../config/ipv4.js';
import { STOPCCN_RESULT } from '../l2tp/constants.js';
import { monotonicClock, type Clock } from '../io/clock.js';
import { cryptoRng } from '../io/rng.js';
import { openTun, type Tun } from '../io/tun.js';
import type { Logger } from '../log/logger.js';
import type { AuthProtocol } from '../ppp/auth/types.js';
import type { MppeStrength } from '../ppp/mppe/options.js';
import { AddressBook } from '../server/addresses.js';
import type { ServerContext } from '../server/context.js';
import { L2tpPort } from '../server/l2tp-service.js';
import { PppLink } from '../server/link.js';
import { Scheduler } from '../server/scheduler.js';
import { newServerStats } from '../server/stats.js';
import { TunSide } from '../server/tun-side.js';
import type { ClientInfo, RunningClient } from './pptp-client.js';
import { addRoutes, type RouteHandle } from './routes.js';

/** What to connect to and how. */
export interface L2tpClientOptions {
  host: string;
  /** The LNS's UDP port (default 1701). */
  port?: number;
  /** Our UDP port: default 1701 (what IPsec policies for L2TP expect), an ephemeral one when 1701 is taken. */
  localPort?: number;
  username: string;
  password: string;
  /** MPPE: allow (default for L2TP), require, refuse. */
  mppe?: 'require' | 'allow' | 'refuse';
  mppeStrengths?: MppeStrength[];
  mppeStateful?: boolean;
  /** Auth protocols we agree to, most preferred first. */
  accept?: AuthProtocol[];
  /** Shared tunnel secret, when the LNS demands tunnel authentication. */
  secret?: string;
  defaultRoute?: boolean;
  routes?: string[];
  mtu?: number;
  tunName?: string;
  /** Open a TUN device and routes (default true; tests without TUN pass false). */
  tun?: boolean;
  keepaliveS?: number;
  log: Logger;
  clock?: Clock;
  rng?: Rng;
  /** Seconds to wait for the link to come up (default 60). */
  connectTimeoutS?: number;
}

/** Connects; resolves once the link is up (or rejects with the reason it failed). */
export async function connectL2tp(opts: L2tpClientOptions): Promise<RunningClient> {
  const clock = opts.clock ?? monotonicClock;
  const rng = opts.rng ?? cryptoRng;
  const log = opts.log.child({ proto: 'l2tp' });
  let serverAddr = opts.host.replace(/^\[|\]$/g, '');
  if (parseIpv4(serverAddr) === undefined) {
    try {
      serverAddr = (await lookup(serverAddr, { family: 4 })).address;
    } catch (err) {
      throw new UsageError(`cannot resolve '${opts.host}': ${(err as Error).message}`, 'give the server as an IPv4 address or a resolvable name');
    }
  }
  const serverPort = opts.port ?? 1701;
  const config = defaultConfig();
  config.clientIsolation = false;
  const scheduler = new Scheduler(clock);
  let link: PppLink | undefined;
  const tunSide = new TunSide({ ownerOf: () => link }, clock);
  const ctx: ServerContext = {
    config,
    secrets: [],
    clock,
    rng,
    log,
    scheduler,
    backend: { verify: () => ({ ok: false }) },
    addresses: new AddressBook(config, [], 'client'),
    tun: tunSide,
    stats: newServerStats(),
    nextLinkId: () => 1,
  };
  scheduler.afterFire = () => tunSide.flush();
  const mppeMode = opts.mppe ?? 'allow';

  let tun: Tun | undefined;
  let routes: RouteHandle | undefined;
  let resolveUp!: (c: ClientInfo) => void;
  let rejectUp!: (e: Error) => void;
  const up = new Promise<ClientInfo>((res, rej) => ((resolveUp = res), (rejectUp = rej)));
  let resolveClosed!: (r: string) => void;
  const closed = new Promise<string>((res) => (resolveClosed = res));
  let finished = false;
  let endReason: string | undefined;
  const timers: { connect?: NodeJS.Timeout } = {};

  const port: L2tpPort = new L2tpPort(
    ctx,
    {
      tunnel: {
        role: 'lac',
        hostName: 'tunppp',
        vendorName: 'tunppp',
        ...(opts.secret !== undefined ? { secret: new TextEncoder().encode(opts.secret), challengePeer: true } : {}),
      },
      maxTunnels: 4,
    },
    {
      onTunnelEvent(p, id, peer, e, now) {
        switch (e.type) {
          case 'tunnel-up':
            log.info('tunnel-up', `tunnel to ${peer.address}:${peer.port} up (local ${id}, remote ${e.peerTunnelId}, server ${e.peerHostName || '?'})`);
            p.command(id, { type: 'open-session' }, now);
            break;
          case 'session-up': {
            const t = p.openSession(id, peer, e);
            const strengths = mppeMode === 'refuse' ? [] : (opts.mppeStrengths ?? [128, 56, 40]);
            const l = new PppLink(ctx, t, {
              role: 'client',
              auth: { accept: opts.accept ?? ['mschap-v2', 'mschap-v1', 'chap-md5'], username: opts.username, password: opts.password },
              mppe: { strengths, required: mppeMode === 'require', allowStateful: opts.mppeStateful ?? false },
              ipv4: true,
              ipv6: false,
              requestDns: true,
              echoIntervalMs: (opts.keepaliveS ?? 30) * 1000,
              ...(opts.mtu ? { mtu: opts.mtu, mru: opts.mtu } : {}),
            });
            t.link = l;
            link = l;
            l.onUp = () => void onLinkUp(l);
            l.onEnded = (reason) => {
              endReason ??= reason;
              // CDN went out from the transport; end the tunnel too (StopCCN), then clean up once it is acked.
              p.command(id, { type: 'close', result: { result: STOPCCN_RESULT.GENERAL_REQUEST, message: reason.slice(0, 200) }, reason });
              void waitIdle(id).then(() => cleanup(reason));
            };
            log.info('call-up', `call up (session ${e.sessionId}, remote session ${e.peerSessionId}${e.sequencingRequired ? ', sequencing' : ''})`);
            l.start(now);
            break;
          }
          case 'session-down':
            if (!link) void cleanup(`call refused by the server (${e.reason})`);
            break;
          case 'tunnel-down':
            endReason ??= `tunnel closed (${e.reason})`;
            link?.lowerDown(`tunnel closed (${e.reason})`, now);
            void cleanup(`tunnel closed (${e.reason})`);
            break;
          default:
            break;
        }
      },
    },
    log,
    mppeMode !== 'refuse',
  );

  /** Resolves when our StopCCN is acked (or after 3 s). */
  const waitIdle = async (id: number): Promise<void> => {
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline && port.endpoint.tunnel(id)?.channel.idle === false) await new Promise((r) => setTimeout(r, 25));
  };

  const cleanup = async (why: string): Promise<void> => {
    if (finished) return;
    finished = true;
    const reason = endReason ?? why;
    clearTimeout(timers.connect);
    scheduler.stop();
    await routes?.remove().catch(() => {});
    tun?.close();
    port.close();
    rejectUp(new IoError('CONNECT_FAILED', reason));
    resolveClosed(reason);
  };

  const onLinkUp = async (l: PppLink): Promise<void> => {
    try {
      let tunName = '(none)';
      if (opts.tun !== false) {
        tun = openTun({ name: opts.tunName ?? 'tunppp-c%d', mtu: l.mtu, address: l.localIp!, peer: l.peerIp! });
        tunSide.attach(tun);
        tunName = tun.name;
        routes = await addRoutes({ tun: tun.name, server: serverAddr, defaultRoute: opts.defaultRoute ?? false, prefixes: opts.routes ?? [] });
      }
      const info: ClientInfo = { localAddress: l.localIp!, peerAddress: l.peerIp!, dns: l.dns, mtu: l.mtu, tun: tunName, mppe: l.mppe };
      log.info('connected', `connected: local IP address ${info.localAddress}, remote IP address ${info.peerAddress}, DNS ${info.dns.join(' ') || 'none'}, MTU ${info.mtu}, ${tunName}`);
      clearTimeout(timers.connect);
      resolveUp(info);
    } catch (err) {
      l.close(`client setup failed: ${(err as Error).message}`, clock.now());
      rejectUp(err as Error);
    }
  };

  const wanted = opts.localPort ?? 1701;
  try {
    await port.bind('0.0.0.0', wanted);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || opts.localPort !== undefined) {
      port.close();
      throw new IoError('CONNECT_FAILED', `cannot bind UDP port ${wanted}: ${(err as Error).message}`, 'pick another --local-port or stop what holds it');
    }
    log.info('udp-port', `UDP port ${wanted} is in use (xl2tpd?); using an ephemeral port (IPsec policies for 17/1701 on this side will not match)`);
    await port.bind('0.0.0.0', 0);
  }
  const tunnelId = port.connect({ address: serverAddr, port: serverPort });
  if (tunnelId === undefined) {
    await cleanup('could not create a tunnel');
  }
  const timeoutS = opts.connectTimeoutS ?? 60;
  timers.connect = setTimeout(() => {
    endReason ??= `no answer from ${serverAddr}:${serverPort} within ${timeoutS} s`;
    if (link) link.close(endReason, clock.now());
    else if (tunnelId !== undefined) port.command(tunnelId, { type: 'close', reason: endReason });
    setTimeout(() => void cleanup(endReason!), 500);
  }, timeoutS * 1000);

  const info = await up;
  return {
    info,
    link: link!,
    closed,
    async stop(reason = 'user request') {
      if (finished) return;
      endReason ??= reason;
      link?.close(reason, clock.now());
      await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
      await cleanup(reason);
    },
  };
}
