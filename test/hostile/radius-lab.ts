/**
 * In-process server links with the real RADIUS backend (RadiusService on a
 * loopback socket) against the fake RADIUS server, and a scripted PPP peer
 * per login: what the hostile auth tests need to attack the server's auth
 * path exactly as a network peer would, minus the transport.
 */
import { performance } from 'node:perf_hooks';
import type { ConfigInput } from '../../src/config/schema.js';
import { seededRng } from '../../src/core/rng.js';
import { silentLogger } from '../../src/log/logger.js';
import { PppLink, serverSessionOptions, type LinkTransport } from '../../src/server/link.js';
import { RadiusService } from '../../src/server/radius/index.js';
import { startFakeRadius, type FakeRadius, type FakeRadiusUser } from '../radius/fake-radius.js';
import { testContext } from '../l2tp/lns-harness.js';
import { ScriptedPppPeer, type ChallengeAnswer, type SeenChallenge } from './ppp-peer.js';

/** A server context whose backend is RADIUS only, talking to a fake server. */
export interface RadiusLab {
  ctx: ReturnType<typeof testContext>;
  radius: RadiusService;
  fake: FakeRadius;
  /** One login: a server link and the scripted peer on the other end (LCP started). */
  login(peerAddress: string, answer: (c: SeenChallenge, n: number) => ChallengeAnswer): { link: PppLink; peer: ScriptedPppPeer; pump(): void };
  stop(): Promise<void>;
}

/** Waits until `cond` holds (polling every 5 ms), or throws after `ms`. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Starts the fake RADIUS server and a context using it (CHAP-MD5, no MPPE). */
export async function radiusLab(users: Record<string, FakeRadiusUser>, opts: { hold?: boolean; limits?: ConfigInput['limits']; timeoutMs?: number } = {}): Promise<RadiusLab> {
  const fake = await startFakeRadius(users, opts.hold !== undefined ? { hold: opts.hold } : {});
  const ctx = testContext(
    {
      pools: [{ name: 't', local: '10.96.0.1', ranges: ['10.96.0.10-10.96.0.200'] }],
      listen: { pptp: { enabled: false }, l2tp: { enabled: false } },
      ppp: { authProtocols: ['chap'], mppe: { mode: 'refuse', l2tpMode: 'refuse' } },
      auth: { backends: ['radius'] },
      radius: { servers: [{ address: '127.0.0.1', port: fake.port, acctPort: fake.port, secret: fake.secret }], timeoutMs: opts.timeoutMs ?? 1000, retries: 0 },
      ...(opts.limits ? { limits: opts.limits } : {}),
    },
    { rng: seededRng(11) },
  );
  const radius = new RadiusService(ctx.config, [], [{ address: '127.0.0.1', port: fake.port, acctPort: fake.port, secret: fake.secret }], ctx.clock, seededRng(12), silentLogger);
  radius.pollIntervalMs = 0;
  await radius.start();
  ctx.backend = radius;
  ctx.observers = [radius];
  const links: PppLink[] = [];
  return {
    ctx,
    radius,
    fake,
    login(peerAddress, answer) {
      const toPeer: Uint8Array[] = [];
      const toServer: Uint8Array[] = [];
      const transport: LinkTransport = { proto: 'l2tp', peerAddress, sendFrame: (f) => void toPeer.push(f.slice()), close: () => {}, tunnelOptions: () => ({ proto: 'l2tp' }) };
      const link = new PppLink(ctx, transport, { ...serverSessionOptions(ctx, 'l2tp'), echoIntervalMs: 0 });
      links.push(link);
      const peer = new ScriptedPppPeer((f) => void toServer.push(f), answer);
      const pump = (): void => {
        for (let i = 0; i < 200 && (toPeer.length > 0 || toServer.length > 0); i++) {
          const a = toServer.shift();
          if (a) link.fromTransport(a, ctx.clock.now());
          const b = toPeer.shift();
          if (b) peer.receive(b);
        }
      };
      link.start(ctx.clock.now());
      peer.configureRequest();
      pump();
      return { link, peer, pump };
    },
    async stop() {
      for (const l of links) l.lowerDown('test done', ctx.clock.now());
      await radius.stop();
      ctx.scheduler.stop();
      fake.close();
    },
  };
}
