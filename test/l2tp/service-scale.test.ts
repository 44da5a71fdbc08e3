/**
 * The real LNS (L2tpService over loopback UDP, no TUN) against LACs built
 * from the same L2tpPort: 100 sessions across 10 tunnels reach PPP link-up
 * (MS-CHAPv2, MPPE where offered), then every tunnel is torn down — half by
 * the LAC (StopCCN), half by the LNS — and every session, Tunnel ID, Session
 * ID, address and timer is freed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../src/core/rng.js';
import { L2tpPort } from '../../src/server/l2tp-endpoint.js';
import { PppLink } from '../../src/server/link.js';
import type { ServerContext } from '../../src/server/context.js';
import { startTestLns, testContext, type TestLns } from './lns-harness.js';
import { waitFor } from '../io/netns.js';

const TUNNELS = 10;
const SESSIONS_PER_TUNNEL = 10;

/** A LAC with many tunnels and sessions, PPP in the client role on each. */
class TestLac {
  readonly ctx: ServerContext;
  readonly port: L2tpPort;
  readonly links: PppLink[] = [];
  up = 0;
  down = 0;
  readonly tunnelsUp = new Set<number>();
  readonly tunnelsDown = new Set<number>();

  constructor(seed: number, mppe: 'allow' | 'refuse') {
    this.ctx = testContext({ pools: [] }, { rng: seededRng(seed) });
    this.port = new L2tpPort(
      this.ctx,
      { tunnel: { role: 'lac', hostName: `lac-${seed}` }, maxTunnels: 64 },
      {
        onTunnelEvent: (p, id, peer, e, now) => {
          if (e.type === 'tunnel-up') {
            this.tunnelsUp.add(id);
            for (let i = 0; i < SESSIONS_PER_TUNNEL; i++) p.command(id, { type: 'open-session' }, now);
          } else if (e.type === 'tunnel-down') this.tunnelsDown.add(id);
          else if (e.type === 'session-up') {
            const t = p.openSession(id, peer, e);
            const l = new PppLink(this.ctx, t, {
              role: 'client',
              auth: { accept: ['mschap-v2'], username: 'bob', password: 'pw-bob' },
              mppe: { strengths: mppe === 'refuse' ? [] : [128], required: false, allowStateful: false },
              ipv4: true,
              ipv6: false,
              requestDns: true,
              echoIntervalMs: 0,
            });
            t.link = l;
            l.onUp = () => this.up++;
            l.onEnded = () => this.down++;
            this.links.push(l);
            l.start(now);
          }
        },
      },
      this.ctx.log,
      mppe !== 'refuse',
    );
  }
}

test('LNS: 100 sessions across 10 tunnels → all links up; teardown by either side frees every session, ID, address and timer', { timeout: 90_000 }, async () => {
  let lns: TestLns | undefined;
  const lac = new TestLac(11, 'allow');
  try {
    lns = await startTestLns({ users: [['bob', 'pw-bob']], config: { limits: { maxUnauthenticatedPerSource: 1000 } } }); // one source sets up 100 at once
    const poolSize = lns.ctx.addresses.available('l2tp');
    await lac.port.bind('127.0.0.1', 0);
    const t0 = Date.now();
    const ids: number[] = [];
    for (let i = 0; i < TUNNELS; i++) ids.push(lac.port.connect({ address: '127.0.0.1', port: lns.port })!);
    await waitFor(() => lac.up === TUNNELS * SESSIONS_PER_TUNNEL, `${TUNNELS * SESSIONS_PER_TUNNEL} links up (now ${lac.up})`, 60_000);
    const setupMs = Date.now() - t0;
    console.log(`# ${TUNNELS * SESSIONS_PER_TUNNEL} sessions over ${TUNNELS} tunnels up in ${setupMs} ms`);
    const svc = lns.service;
    const ctx = lns.ctx;
    assert.equal(svc.tunnelCount, TUNNELS);
    assert.equal(svc.linkCount, TUNNELS * SESSIONS_PER_TUNNEL);
    await waitFor(() => svc.links().every((l) => l.state === 'up'), 'server links up', 10_000);
    assert.equal(ctx.addresses.claimed, TUNNELS * SESSIONS_PER_TUNNEL);
    assert.equal(ctx.addresses.available('l2tp'), poolSize - TUNNELS * SESSIONS_PER_TUNNEL);
    const peerIps = new Set(lac.links.map((l) => l.localIp));
    assert.equal(peerIps.size, TUNNELS * SESSIONS_PER_TUNNEL, 'every session got its own address');
    const mppeLinks = svc.links().filter((l) => l.mppe !== undefined).length;
    assert.equal(mppeLinks, TUNNELS * SESSIONS_PER_TUNNEL, 'MPPE negotiated where the LAC offered it (l2tpMode allow)');

    // Half the tunnels end from the LAC (StopCCN), half from the LNS.
    const serverPort = svc.ports[0]!;
    const serverIds = serverPort.endpoint.tunnelIds();
    for (const id of ids.slice(0, TUNNELS / 2)) lac.port.command(id, { type: 'close' });
    const lacByServer = new Map(serverIds.map((sid) => [serverPort.endpoint.tunnel(sid)!.peerTunnelId, sid]));
    for (const id of ids.slice(TUNNELS / 2)) serverPort.command(lacByServer.get(id)!, { type: 'close' });
    await waitFor(() => svc.linkCount === 0 && ctx.addresses.claimed === 0 && lac.tunnelsDown.size === TUNNELS, `teardown (links ${svc.linkCount}, claimed ${ctx.addresses.claimed}, LAC tunnels down ${lac.tunnelsDown.size})`, 20_000);
    assert.equal(ctx.addresses.available('l2tp'), poolSize, 'every address back in the pool');
    assert.equal(lac.down, TUNNELS * SESSIONS_PER_TUNNEL, 'every LAC link saw its end');
    assert.ok(svc.links().length === 0);
    // StopCCNs are acked: every tunnel is in its hold state with nothing outstanding.
    await waitFor(() => serverIds.every((id) => serverPort.endpoint.tunnel(id)?.channel.idle !== false), 'StopCCN acked', 10_000);
    for (const id of serverIds) assert.equal(serverPort.endpoint.tunnel(id)?.sessions.size ?? 0, 0, `tunnel ${id} has no session left`);
    // §5.7 hold time (31 s) passes: Tunnel IDs are freed and no timer is left.
    lns.clock.skewMs += 32_000;
    ctx.scheduler.run();
    assert.equal(svc.tunnelCount, 0, 'every Tunnel ID freed');
    assert.equal(ctx.scheduler.size, 0, 'no timer left on the server');
    assert.equal(svc.stats.sessionsUp, TUNNELS * SESSIONS_PER_TUNNEL);
    assert.equal(ctx.stats.linksEnded, TUNNELS * SESSIONS_PER_TUNNEL);
  } finally {
    lac.port.close();
    lac.ctx.scheduler.stop();
    await lns?.stop();
  }
});

test('LNS at its connection limit: more calls → CDN for each call over the limit, the others stay up', { timeout: 30_000 }, async () => {
  let lns: TestLns | undefined;
  const lac = new TestLac(12, 'refuse');
  try {
    lns = await startTestLns({ users: [['bob', 'pw-bob']], config: { connections: { max: 7 }, limits: { maxUnauthenticatedPerSource: 1000 } } }); // the connection limit, not the per-source one
    await lac.port.bind('127.0.0.1', 0);
    // Two tunnels of 10 calls: the tunnel FSM refuses calls beyond the limit in one tunnel, the service beyond it across tunnels.
    lac.port.connect({ address: '127.0.0.1', port: lns.port });
    lac.port.connect({ address: '127.0.0.1', port: lns.port });
    await waitFor(() => lac.up === 7 && lac.tunnelsUp.size === 2, `7 links up (now ${lac.up})`, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(lac.up, 7);
    assert.equal(lns.service.linkCount, 7);
    assert.ok(lns.ctx.stats.refusedAtLimit > 0, 'the service refused calls at the limit');
    assert.equal(lac.down, lns.ctx.stats.refusedAtLimit, 'each call refused after ICCN was cleared with a CDN');
    assert.equal(lac.port.sessions.size, 7);
  } finally {
    lac.port.close();
    lac.ctx.scheduler.stop();
    await lns?.stop();
  }
});
