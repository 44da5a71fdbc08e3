/**
 * `tunppp connect pptp://…` as a library: one PPTP control connection, one
 * call, one PppLink in the client role, and a TUN device configured once IPCP
 * gives us an address. Uses the same GRE endpoint, link and TUN side as the
 * server, so both ends share one data path; what PPTP and L2TP clients share
 * is in common.ts.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import type { Millis } from '../core/machine.js';
import { IoError } from '../core/errors.js';
import { parseIpv4 } from '../config/ipv4.js';
import { openGreSocket, type GreSocket } from '../io/gre-socket.js';
import type { Tun } from '../io/tun.js';
import { PptpControl, type ControlInput } from '../pptp/control-fsm.js';
import { GreEndpoint } from '../server/gre-endpoint.js';
import { PppLink } from '../server/link.js';
import { bringUpTun, clientRuntime, clientSessionOptions, resolveServer, waitAtMost, type ClientInfo, type CommonClientOptions, type RunningClient } from './common.js';
import type { RouteHandle } from './routes.js';

export type { ClientInfo, RunningClient } from './common.js';

/** What to connect to and how. */
export interface PptpClientOptions extends CommonClientOptions {
  port?: number;
  /** MPPE: require (default), allow, refuse. */
  mppe?: 'require' | 'allow' | 'refuse';
}

/** Connects; resolves once the link is up (or rejects with the reason it failed). */
export async function connectPptp(opts: PptpClientOptions): Promise<RunningClient> {
  const log = opts.log.child({ proto: 'pptp' });
  const serverAddr = await resolveServer(opts.host);
  const serverU32 = parseIpv4(serverAddr)!;
  // The endpoint needs the runtime's context, and the runtime flushes the endpoint.
  const holder: { gre?: GreEndpoint } = {};
  const rt = clientRuntime({ ...opts, log }, () => holder.gre?.flush());
  const { ctx, scheduler } = rt;
  const clock = ctx.clock;
  const socket = openGreSocket({ pmtuDiscovery: 'do' });
  const endpoint = new GreEndpoint(ctx, socket as GreSocket, log);
  holder.gre = endpoint;
  const control = new PptpControl({ role: 'client', rng: ctx.rng, hostName: 'tunppp', vendorName: 'tunppp' });
  // Connects on the next tick; the handlers are attached below, before any event can fire.
  const tcp: Socket = tcpConnect({ host: serverAddr, port: opts.port ?? 1723 });
  let tun: Tun | undefined;
  let routes: RouteHandle | undefined;
  let resolveUp!: (c: ClientInfo) => void;
  let rejectUp!: (e: Error) => void;
  const up = new Promise<ClientInfo>((res, rej) => ((resolveUp = res), (rejectUp = rej)));
  let resolveClosed!: (r: string) => void;
  const closed = new Promise<string>((res) => (resolveClosed = res));
  let finished = false;
  /** The first reason the link or the connection ended: what the user is told. */
  let endReason: string | undefined;

  const cleanup = async (why: string): Promise<void> => {
    if (finished) return;
    finished = true;
    const reason = endReason ?? why;
    scheduler.stop();
    await routes?.remove().catch(() => {});
    tun?.close();
    socket.close();
    if (!tcp.destroyed) tcp.destroy();
    rejectUp(new IoError('CONNECT_FAILED', reason));
    resolveClosed(reason);
  };

  const handle = (input: ControlInput, now: Millis): void => {
    for (const o of control.handle(input, now)) {
      if (o.kind === 'send') {
        if (!tcp.destroyed) tcp.write(o.bytes);
      } else if (o.kind === 'drop') log.debug('pptp-drop', `control message dropped: ${o.reason}`);
      else {
        const e = o.event;
        if (e.type === 'control-up') {
          log.info('control-up', `control connection to ${serverAddr} up (server ${e.peer.hostName || '?'} / ${e.peer.vendorName || '?'})`);
          handle({ type: 'open-call' }, now);
        } else if (e.type === 'call-up') {
          const call = endpoint.open(serverU32, e.callId, e.peerCallId, e.peerRecvWindow);
          call.onClose = (t) => handle({ type: 'close-call', callId: e.callId }, t);
          const l = new PppLink(ctx, call, clientSessionOptions(opts, opts.mppe ?? 'require', 'pptp'));
          call.link = l;
          rt.link = l;
          l.onUp = () => void onLinkUp(l);
          l.onEnded = (reason) => {
            endReason ??= reason;
            handle({ type: 'stop' }, clock.now());
            setTimeout(() => void cleanup(reason), 200);
          };
          l.start(now);
        } else if (e.type === 'call-down') {
          const why = `${e.reason}${e.resultCode !== undefined ? `, result ${e.resultCode}` : ''}`;
          rt.link?.lowerDown(`call cleared by the server (${why})`, now);
          if (!rt.link) void cleanup(`call refused by the server (${why})`);
        } else if (e.type === 'control-down') {
          rt.link?.lowerDown(`control connection closed (${e.reason})`, now);
          void cleanup(`control connection closed (${e.reason}${e.detail ? `: ${e.detail}` : ''})`);
        }
      }
    }
    scheduler.set(control, finished ? undefined : control.nextDeadline(), (t) => handle({ type: 'timeout' }, t));
    endpoint.flush();
  };

  const onLinkUp = async (l: PppLink): Promise<void> => {
    try {
      const r = await bringUpTun(l, rt, opts, serverAddr);
      tun = r.tun;
      routes = r.routes;
      resolveUp(r.info);
    } catch (err) {
      l.close(`client setup failed: ${(err as Error).message}`, clock.now());
      rejectUp(err as Error);
    }
  };

  tcp.setNoDelay(true);
  tcp.on('connect', () => handle({ type: 'tcp-open' }, clock.now()));
  tcp.on('data', (b: Buffer) => handle({ type: 'data', bytes: b }, clock.now()));
  tcp.on('error', (err) => {
    log.warn('tcp-error', `control connection to ${serverAddr}:${opts.port ?? 1723}: ${err.message}`);
    void cleanup(`cannot reach ${serverAddr}:${opts.port ?? 1723}: ${err.message}`);
  });
  tcp.on('close', () => handle({ type: 'tcp-closed' }, clock.now()));

  const info = await up;
  return {
    info,
    link: rt.link!,
    closed,
    async stop(reason = 'user request') {
      if (finished) return;
      rt.link?.close(reason, clock.now());
      endpoint.flush();
      await waitAtMost(closed, 3000);
      await cleanup(reason);
    },
  };
}
