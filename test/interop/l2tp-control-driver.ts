/**
 * A minimal UDP driver around tunppp's L2TP endpoint (L2tpEndpoint with its
 * tunnel and session machines), run by the interop tests inside a test
 * namespace (`ip netns exec`), like pptp-control-driver.ts.
 *
 *   node --import tsx l2tp-control-driver.ts lac HOST   open a tunnel to HOST:1701 and place a call
 *   node --import tsx l2tp-control-driver.ts lns ADDR   answer one tunnel and call on ADDR:1701
 *
 * When the session is up it is held for HOLD_MS (env, default 1500) so the
 * peer's pppd starts; PPP frames arriving on it are decoded with our L2TP
 * data path, PPP and LCP parsers and reported in pppd's notation. Then END
 * (env) says how to end: 'stop' sends StopCCN with the session up; 'clear'
 * sends CDN for the session and waits up to PEER_WAIT_MS (default 2000) for
 * the peer to end the tunnel before sending StopCCN ourselves. Output: one
 * JSON object per line, {"dir":"out"|"in","msg":{type,...}} per control
 * message (ZLB acks included), {"event":...}, {"drop":...},
 * {"data":{"sessionId":n,"ppp":"LCP ConfReq ..."}}, then
 * {"done":true,"ok":bool,"reason":<tunnel-down reason>}.
 */
import { createSocket } from 'node:dgram';
import { L2tpEndpoint, type L2tpEndpointOutput, type UdpPeer } from '../../src/l2tp/endpoint.js';
import { parseL2tpHeader } from '../../src/l2tp/header.js';
import { parseL2tpMessage } from '../../src/l2tp/message.js';
import { L2TP_PORT, messageName } from '../../src/l2tp/constants.js';
import { cryptoRng } from '../../src/io/rng.js';
import { monotonicClock } from '../../src/io/clock.js';
import { describePpp } from './ppp-text.js';

const [role, addr] = process.argv.slice(2);
if ((role !== 'lac' && role !== 'lns') || !addr) {
  process.stderr.write('usage: l2tp-control-driver.ts lac HOST | lns ADDR\n');
  process.exit(2);
}
const holdMs = Number(process.env['HOLD_MS'] ?? 1500);
const end = process.env['END'] === 'clear' ? 'clear' : 'stop';
const peerWaitMs = Number(process.env['PEER_WAIT_MS'] ?? 2000);
const limitMs = Number(process.env['LIMIT_MS'] ?? 20_000);
const t0 = monotonicClock.now();
const emit = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ t: Math.round(monotonicClock.now() - t0), ...o })}\n`);
};

/** A control datagram for the transcript: the message type name and its notable AVPs. */
function describe(bytes: Uint8Array): Record<string, unknown> {
  const f = parseL2tpHeader(bytes);
  if (!f.ok) return { type: '?', error: f.error.code };
  const h = f.value.header;
  const body = bytes.subarray(f.value.payloadStart, f.value.payloadEnd);
  if (body.length === 0) return { type: 'ZLB', tunnelId: h.tunnelId, ns: h.ns, nr: h.nr };
  const m = parseL2tpMessage(body);
  if (!m.ok) return { type: '?', tunnelId: h.tunnelId, error: `${m.error.code} ${m.error.field ?? ''}` };
  const v = m.value;
  return {
    type: messageName(v.messageType),
    tunnelId: h.tunnelId,
    sessionId: h.sessionId,
    ns: h.ns,
    nr: h.nr,
    hostName: v.hostName,
    vendorName: v.vendorName,
    protocolVersion: v.protocolVersion,
    assignedTunnelId: v.assignedTunnelId,
    assignedSessionId: v.assignedSessionId,
    resultCode: v.resultCode,
  };
}

const sock = createSocket('udp4');
const ep = new L2tpEndpoint({ tunnel: { role: role === 'lac' ? 'lac' : 'lns', hostName: 'tunppp-interop', vendorName: 'tunppp' }, maxTunnels: 1 }, cryptoRng);
let timer: NodeJS.Timeout | undefined;
let sawSessionUp = false;
let sawSessionDown = false;
let finished = false;

function finish(ok: boolean, reason?: string, error?: string): void {
  if (finished) return;
  finished = true;
  emit({ done: true, ok, reason, error });
  // Leave a moment for our last acks to go out.
  setTimeout(() => {
    sock.close();
    process.exit(ok ? 0 : 1);
  }, 300);
}

const overall = setTimeout(() => finish(false, undefined, `no end within ${limitMs} ms`), limitMs);
overall.unref();

function apply(outs: L2tpEndpointOutput[]): void {
  for (const o of outs) {
    switch (o.kind) {
      case 'send':
        emit({ dir: 'out', msg: describe(o.bytes) });
        sock.send(o.bytes, o.to.port, o.to.address);
        break;
      case 'ppp':
        emit({ data: { tunnelId: o.tunnelId, sessionId: o.sessionId, ...describePpp(o.bytes.subarray(o.start, o.end)) } });
        break;
      case 'drop':
        emit({ drop: o.reason, detail: o.detail });
        break;
      case 'event': {
        const e = o.event;
        emit({ event: e, tunnelId: o.tunnelId });
        const id = o.tunnelId;
        if (e.type === 'tunnel-up' && role === 'lac') queueMicrotask(() => apply(ep.command(id, { type: 'open-session' }, monotonicClock.now())));
        if (e.type === 'session-up') {
          sawSessionUp = true;
          const sid = e.sessionId;
          setTimeout(() => apply(ep.command(id, end === 'stop' ? { type: 'close' } : { type: 'close-session', sessionId: sid }, monotonicClock.now())), holdMs);
        }
        if (e.type === 'session-down') {
          sawSessionDown = true;
          if (end === 'clear') setTimeout(() => ep.tunnel(id)?.state === 'established' && apply(ep.command(id, { type: 'close' }, monotonicClock.now())), peerWaitMs);
        }
        if (e.type === 'tunnel-down') {
          const ok = sawSessionUp && sawSessionDown;
          // Wait for the peer's ack of a StopCCN we sent (or for its retransmissions of its own).
          setTimeout(() => finish(ok, e.reason, ok ? undefined : `tunnel-down ${e.reason}`), 700);
        }
        break;
      }
    }
  }
  if (timer) clearTimeout(timer);
  const d = ep.nextDeadline();
  if (d !== undefined) timer = setTimeout(() => apply(ep.timeout(monotonicClock.now())), Math.max(0, d - monotonicClock.now()));
}

sock.on('message', (msg, rinfo) => {
  const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.length);
  const f = parseL2tpHeader(bytes);
  if (f.ok && f.value.header.isControl) emit({ dir: 'in', msg: describe(bytes), from: `${rinfo.address}:${rinfo.port}` });
  const from: UdpPeer = { address: rinfo.address, port: rinfo.port };
  apply(ep.receive(from, bytes, monotonicClock.now()));
});
sock.on('error', (err) => finish(false, undefined, `udp: ${err.message}`));

if (role === 'lac') {
  sock.bind(L2TP_PORT, () => {
    emit({ bound: `0.0.0.0:${L2TP_PORT}` });
    const r = ep.connect({ address: addr, port: L2TP_PORT }, monotonicClock.now());
    apply(r.out);
  });
} else {
  sock.bind(L2TP_PORT, addr, () => emit({ listening: `${addr}:${L2TP_PORT}` }));
}
