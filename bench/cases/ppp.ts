/**
 * PPP data path cost per packet for 1400-byte IP packets: frame parse,
 * MPPE and counters, through `PppSession.sendIp` / `receiveFrame` with a
 * zero-copy `ipSink`. Two sessions are negotiated back to back first
 * (MS-CHAPv2, verifyWithSecret) so the numbers include the real session
 * code. Stateful MPPE needs packets in order, so the receive figure is
 * measured as a send+receive round and the send cost is subtracted.
 */
import { PppSession, type SessionOptions, type SessionOutput } from '../../src/ppp/session.js';
import { seededRng } from '../../src/core/rng.js';
import { verifyWithSecret } from '../../src/ppp/auth/verify.js';
import type { MppePolicy } from '../../src/ppp/ccp/ccp.js';
import { opsPerSecond, type BenchCase, type BenchRow } from '../types.js';

function connected(mppe: MppePolicy): { server: PppSession; client: PppSession } {
  const sink = (): void => {};
  const server = new PppSession({ role: 'server', mppe, auth: { require: ['mschap-v2'] }, localAddress: '10.0.0.1', peerAddress: '10.0.0.2', echoIntervalMs: 0, ipSink: sink }, seededRng(1));
  const client = new PppSession({ role: 'client', mppe, auth: { username: 'u', password: 'p' }, echoIntervalMs: 0, ipSink: sink } as SessionOptions, seededRng(2));
  const queue: { to: PppSession; bytes: Uint8Array }[] = [];
  const apply = (from: PppSession, outs: SessionOutput[]): void => {
    const to = from === server ? client : server;
    for (const o of outs) {
      if (o.kind === 'send') queue.push({ to, bytes: o.bytes });
      else if (o.kind === 'event' && o.event.type === 'verify') {
        apply(from, from.verdict(o.event.request.requestId, verifyWithSecret(o.event.request, 'p'), 0));
      }
    }
  };
  apply(server, server.start(0));
  apply(client, client.start(0));
  for (let i = 0; i < 1000 && queue.length; i++) {
    const q = queue.shift()!;
    apply(q.to, q.to.receiveFrame(q.bytes, 0));
  }
  if (!server.isUp || !client.isUp || !server.ipcp?.fsm.isOpened || !client.ipcp?.fsm.isOpened) throw new Error('bench sessions did not come up');
  return { server, client };
}

function ipPacket(len: number): Uint8Array {
  const p = new Uint8Array(len).fill(0xab);
  p[0] = 0x45;
  p[2] = len >>> 8;
  p[3] = len & 0xff;
  return p;
}

function measure(label: string, mppe: MppePolicy): BenchRow[] {
  const { server } = connected(mppe);
  const pkt = ipPacket(1400);
  const sendOps = opsPerSecond(() => {
    if (!server.sendIp(pkt, 0)) throw new Error('sendIp dropped');
  });
  // A fresh pair for the round trip so the receiver sees consecutive counts.
  const pair = connected(mppe);
  const before = pair.client.counters.packetsIn;
  const roundOps = opsPerSecond(() => {
    const f = pair.server.sendIp(pkt, 0)!;
    pair.client.receiveFrame(f, 0);
  });
  const delivered = pair.client.counters.packetsIn - before;
  if (delivered === 0) throw new Error('receiver delivered nothing');
  const sendNs = 1e9 / sendOps;
  const roundNs = 1e9 / roundOps;
  const drops = Object.values(pair.client.counters.drops).reduce((a, b) => a + (b ?? 0), 0);
  return [
    { bench: 'ppp', metric: `sendIp 1400 B, ${label}`, value: sendNs, unit: 'ns/packet', note: `${((sendOps * 1400 * 8) / 1e9).toFixed(2)} Gbit/s on one core` },
    { bench: 'ppp', metric: `receiveFrame 1400 B, ${label}`, value: roundNs - sendNs, unit: 'ns/packet', note: `round ${roundNs.toFixed(0)} ns minus send; ${drops} drops` },
  ];
}

export const benchmarks: BenchCase[] = [
  {
    name: 'ppp',
    async run() {
      return [
        ...measure('no MPPE', { strengths: [], required: false, allowStateful: false }),
        ...measure('MPPE-128 stateful', { strengths: [128], required: true, allowStateful: true }),
        ...measure('MPPE-128 stateless', { strengths: [128], required: true, allowStateful: false }),
      ];
    },
  },
];
