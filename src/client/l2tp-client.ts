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
import { IoError } from '../core/errors.js';
import { STOPCCN_RESULT } from '../l2tp/constants.js';
import type { Tun } from '../io/tun.js';
import { L2tpPort } from '../server/l2tp-endpoint.js';
import { PppLink } from '../server/link.js';
import { bringUpTun, clientRuntime, clientSessionOptions, resolveServer, waitAtMost, type ClientInfo, type CommonClientOptions, type RunningClient } from './common.js';
import type { RouteHandle } from './routes.js';

/** How long the LAC waits for the LNS's first LCP frame before sending its own (see PppLink.start). */
export const L2TP_LCP_WAIT_MS = 1000;

/** What to connect to and how. */
export interface L2tpClientOptions extends CommonClientOptions {
  /** The LNS's UDP port (default 1701). */
  port?: number;
  /** Our UDP port: default 1701 (what IPsec policies for L2TP expect), an ephemeral one when 1701 is taken. */
  localPort?: number;
  /** MPPE: allow (default for L2TP), require, refuse. */
  mppe?: 'require' | 'allow' | 'refuse';
  /** Shared tunnel secret, when the LNS demands tunnel authentication. */
  secret?: string;
  /** Open a TUN device and routes (default true; tests without TUN pass false). */
  tun?: boolean;
  /** Seconds to wait for the link to come up (default 60). */
  connectTimeoutS?: number;
}

/** Connects; resolves once the link is up (or rejects with the reason it failed). */
export async function connectL2tp(opts: L2tpClientOptions): Promise<RunningClient> {
  const log = opts.log.child({ proto: 'l2tp' });
  const serverAddr = await resolveServer(opts.host);
  const serverPort = opts.port ?? 1701;
  const rt = clientRuntime({ ...opts, log });
  const { ctx, scheduler } = rt;
  const clock = ctx.clock;
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
            const l = new PppLink(ctx, t, clientSessionOptions(opts, mppeMode, 'l2tp'));
            t.link = l;
            rt.link = l;
            l.onUp = () => void onLinkUp(l);
            l.onEnded = (reason) => {
              endReason ??= reason;
              // CDN went out from the transport; end the tunnel too (StopCCN), then clean up once it is acked.
              p.command(id, { type: 'close', result: { result: STOPCCN_RESULT.GENERAL_REQUEST, message: reason.slice(0, 200) }, reason });
              void waitIdle(id).then(() => cleanup(reason));
            };
            log.info('call-up', `call up (session ${e.sessionId}, remote session ${e.peerSessionId}${e.sequencingRequired ? ', sequencing' : ''})`);
            // xl2tpd starts pppd only now: let its first Configure-Request come to us (1 s at most).
            l.start(now, { waitForPeerMs: L2TP_LCP_WAIT_MS });
            break;
          }
          case 'session-down':
            if (!rt.link) void cleanup(`call refused by the server (${e.reason})`);
            break;
          case 'tunnel-down':
            endReason ??= `tunnel closed (${e.reason})`;
            rt.link?.lowerDown(`tunnel closed (${e.reason})`, now);
            // Our StopCCN acked, or our ack of theirs sent, before the port goes away.
            void waitIdle(id).then(() => cleanup(`tunnel closed (${e.reason})`));
            break;
          default:
            break;
        }
      },
    },
    log,
    mppeMode !== 'refuse',
  );

  /**
   * Resolves when the tunnel's control channel has settled — our StopCCN (and
   * CDN) acked and any ack we owe sent — or after 3 s, or once cleaned up.
   */
  const waitIdle = async (id: number): Promise<void> => {
    const deadline = Date.now() + 3000;
    while (!finished && Date.now() < deadline && port.endpoint.tunnel(id)?.channel.settled === false) await new Promise((r) => setTimeout(r, 25));
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
      const r = await bringUpTun(l, rt, opts, serverAddr, opts.tun !== false);
      tun = r.tun;
      routes = r.routes;
      clearTimeout(timers.connect);
      resolveUp(r.info);
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
    if (rt.link) rt.link.close(endReason, clock.now());
    else if (tunnelId !== undefined) port.command(tunnelId, { type: 'close', reason: endReason });
    setTimeout(() => void cleanup(endReason!), 500);
  }, timeoutS * 1000);

  const info = await up;
  return {
    info,
    link: rt.link!,
    closed,
    async stop(reason = 'user request') {
      if (finished) return;
      endReason ??= reason;
      rt.link?.close(reason, clock.now());
      await waitAtMost(closed, 5000);
      await cleanup(reason);
    },
  };
}
