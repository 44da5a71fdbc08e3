/**
 * `npm run bench -- l2tp`: the L2TP transport in-process (no namespaces, no
 * TUN):
 *
 * - data path per datagram: a PPP frame into an L2TP data message (header
 *   written in place, one copy) and a received data message to its link
 *   (header parse, one map lookup, source check), against a bare
 *   allocate-and-copy of the same frame as the baseline;
 * - session setup: LACs built on the same L2tpPort bring up N sessions over
 *   10 tunnels (SCCRQ…ICCN, LCP, MS-CHAPv2, MPPE, IPCP) against the real
 *   L2tpService over loopback UDP; sessions per second.
 *
 * TUNPPP_BENCH_L2TP_SESSIONS sets N (default 200, at most 240: the pool).
 */
import { seededRng } from '../../src/core/rng.js';
import { L2tpPort, L2tpSessionTransport } from '../../src/server/l2tp-endpoint.js';
import { PppLink } from '../../src/server/link.js';
import { encodeL2tp } from '../../src/l2tp/header.js';
import { startTestLns, testContext } from '../../test/l2tp/lns-harness.js';
import { opsPerSecond, type BenchCase, type BenchRow } from '../types.js';

// The test LNS pool has 241 addresses.
const SESSIONS = Math.min(240, Number(process.env.TUNPPP_BENCH_L2TP_SESSIONS ?? 200));
const TUNNELS = 10;

async function dataPath(): Promise<BenchRow[]> {
  const ctx = testContext({ pools: [] });
  const lacCtx = testContext({ pools: [] }, { rng: seededRng(2) });
  let sent = 0;
  let delivered = 0;
  const port = new L2tpPort(ctx, { tunnel: { role: 'lns', hostName: 'bench' } }, { onTunnelEvent: () => {} }, ctx.log, false);
  // One established tunnel is needed for the peer lookup: a LAC port against ours, in memory.
  const lac = new L2tpPort(lacCtx, { tunnel: { role: 'lac', hostName: 'lac' } }, { onTunnelEvent: () => {} }, ctx.log, false);
  const toLns: Uint8Array[] = [];
  const toLac: Uint8Array[] = [];
  lac.attach({ send: (b) => void toLns.push(b), close: () => {} });
  port.attach({ send: (b) => void toLac.push(b), close: () => {} });
  const lacTunnel = lac.connect({ address: '192.0.2.1', port: 1701 })!;
  for (let i = 0; i < 20 && toLac.length + toLns.length > 0; i++) {
    for (const b of toLns.splice(0)) port.receive(b, '192.0.2.2', 1701);
    for (const b of toLac.splice(0)) lac.receive(b, '192.0.2.1', 1701);
  }
  if (lac.endpoint.tunnel(lacTunnel)?.state !== 'established') throw new Error('bench l2tp: tunnel did not come up');
  port.attach({ send: () => void sent++, close: () => {} });
  const [lnsTunnel] = port.endpoint.tunnelIds();
  const t = new L2tpSessionTransport(port, lnsTunnel!, 77, lacTunnel, 88, false, '192.0.2.2');
  t.link = { fromTransport: () => void delivered++ } as unknown as PppLink;
  port.sessions.set(lnsTunnel! * 65536 + 77, t);
  const frame = new Uint8Array(1404).fill(0x45);
  frame.set([0xff, 0x03, 0x00, 0x21]);
  const datagram = encodeL2tp({ isControl: false, tunnelId: lnsTunnel!, sessionId: 77, priority: false }, frame);
  const encap = opsPerSecond(() => t.sendFrame(frame, 0));
  const decap = opsPerSecond(() => port.receive(datagram, '192.0.2.2', 1701));
  const copy = opsPerSecond(() => {
    const b = Buffer.allocUnsafe(6 + frame.length);
    b.set(frame, 6);
    sent += b[0]! & 0;
  });
  ctx.scheduler.stop();
  lacCtx.scheduler.stop();
  if (delivered === 0 || sent === 0) throw new Error('bench l2tp: the data path did nothing');
  return [
    { bench: 'l2tp data', metric: 'encapsulate 1404-byte PPP frame', value: Math.round(encap), unit: 'ops/s', note: `baseline alloc+copy ${Math.round(copy)} ops/s (${(encap / copy).toFixed(2)}x); excludes the UDP send` },
    { bench: 'l2tp data', metric: 'receive data message → link', value: Math.round(decap), unit: 'ops/s', note: 'header parse, session lookup, source check; excludes PPP/MPPE' },
  ];
}

async function setup(): Promise<BenchRow[]> {
  const lns = await startTestLns({ users: [['bob', 'pw-bob']], config: { connections: { max: SESSIONS }, limits: { maxStartingPerSource: 1000, maxSessionsPerTunnel: 1000, maxUnauthenticatedPerSource: 1000 } } }); // 10 tunnels from one source at once, 20 sessions each
  const ctx = testContext({ pools: [] }, { rng: seededRng(9) });
  let up = 0;
  const perTunnel = Math.ceil(SESSIONS / TUNNELS);
  const port = new L2tpPort(
    ctx,
    { tunnel: { role: 'lac', hostName: 'bench-lac', maxSessions: perTunnel }, maxTunnels: TUNNELS },
    {
      onTunnelEvent: (p, id, peer, e, now) => {
        if (e.type === 'tunnel-up') for (let i = 0; i < perTunnel; i++) p.command(id, { type: 'open-session' }, now);
        else if (e.type === 'session-up') {
          const tr = p.openSession(id, peer, e);
          const l = new PppLink(ctx, tr, { role: 'client', auth: { accept: ['mschap-v2'], username: 'bob', password: 'pw-bob' }, mppe: { strengths: [128], required: false, allowStateful: false }, ipv4: true, ipv6: false, echoIntervalMs: 0 });
          tr.link = l;
          l.onUp = () => void up++;
          l.start(now);
        }
      },
    },
    ctx.log,
    true,
  );
  try {
    await port.bind('127.0.0.1', 0);
    const t0 = performance.now();
    for (let i = 0; i < TUNNELS; i++) port.connect({ address: '127.0.0.1', port: lns.port });
    const want = perTunnel * TUNNELS;
    while (up < want && performance.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 5));
    const ms = performance.now() - t0;
    return [{ bench: 'l2tp setup', metric: `${want} sessions over ${TUNNELS} tunnels (MS-CHAPv2, MPPE-128)`, value: Math.round((up * 1000) / ms), unit: 'sessions/s', note: `${up}/${want} up in ${Math.round(ms)} ms, loopback UDP, one process for both ends` }];
  } finally {
    port.close();
    ctx.scheduler.stop();
    await lns.stop();
  }
}

export const benchmarks: BenchCase[] = [
  { name: 'l2tp-data', run: dataPath },
  { name: 'l2tp-setup', run: setup },
];
