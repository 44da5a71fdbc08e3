/**
 * A minimal TCP driver around tunppp's PPTP control machine (PptpControl),
 * run by the interop tests inside a test namespace (`ip netns exec`), since
 * a Node process cannot move its sockets into another namespace.
 *
 *   node --import tsx pptp-control-driver.ts client HOST   connect to HOST:1723 as PNS
 *   node --import tsx pptp-control-driver.ts server ADDR   accept one connection on ADDR:1723 as PAC
 *
 * Both place (client) or accept (server) one call and hold it for HOLD_MS
 * (env, default 1500) so the peer's pppd starts. Then END (env) says how to
 * end: 'stop' sends Stop-Control-Connection-Request with the call up (which
 * clears it, RFC 2637 §2.3); 'clear' clears the call (CCRQ as PNS, CDN as
 * PAC) and then waits up to PEER_WAIT_MS (default 2000) for the peer to end
 * the control connection before stopping it ourselves. Every message and
 * event goes to stdout as one JSON object per line:
 * {"t":ms,"dir":"out"|"in","msg":{...}} for messages, {"t":ms,"event":{...}}
 * for machine events, {"t":ms,"drop":...} for drops, then
 * {"done":true,"ok":bool,"reason":<control-down reason>,"error"?:string}.
 * `ok` means the call came up, went down and the control connection ended;
 * the test judges whether `reason` is what that peer does.
 *
 * A raw GRE socket listens meanwhile: without one the kernel answers the
 * peer's GRE with ICMP protocol-unreachable, and both pptpd and pptp-linux
 * take that as the end of the call. The PPP frames the peer's pppd sends are
 * decoded with our GRE, PPP and LCP parsers and reported as
 * {"gre":{"callId":n,"ppp":"LCP ConfReq id=0x1 <...>"}} in pppd's own
 * notation, so the test can compare them with pppd's debug log.
 */
import { createServer, connect, type Socket } from 'node:net';
import { PptpControl, type ControlInput, type PptpEvent } from '../../src/pptp/control-fsm.js';
import { ControlStreamFramer } from '../../src/pptp/control-stream.js';
import { parseControlMessage, PPTP_TCP_PORT } from '../../src/pptp/control-codec.js';
import { cryptoRng } from '../../src/io/rng.js';
import { monotonicClock } from '../../src/io/clock.js';
import { openGreSocket, type GreSocket } from '../../src/io/gre-socket.js';
import { parseGre } from '../../src/pptp/gre.js';
import { describePpp } from './ppp-text.js';

const [role, addr] = process.argv.slice(2);
if ((role !== 'client' && role !== 'server') || !addr) {
  process.stderr.write('usage: pptp-control-driver.ts client HOST | server ADDR\n');
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

/** Decodes a whole control message for the transcript (the machine has its own framer). */
function describe(bytes: Uint8Array): unknown {
  const p = parseControlMessage(bytes);
  return p.ok ? p.value : { unparsed: p.error };
}

/** Decodes one GRE datagram down to LCP, or says where it stopped. */
function describeGre(bytes: Uint8Array): Record<string, unknown> {
  const g = parseGre(bytes);
  if (!g.ok) return { error: `GRE: ${g.error.code} at ${g.error.offset}` };
  return { callId: g.value.callId, seq: g.value.seq, ...describePpp(g.value.payload) };
}

let gre: GreSocket | undefined;
try {
  gre = openGreSocket();
  gre.onPackets((b) => {
    for (let i = 0; i < b.count; i++) emit({ gre: describeGre(b.packet(i)) });
  });
  gre.onError((err) => emit({ greError: err.message }));
} catch (err) {
  emit({ greUnavailable: (err as Error).message });
}

function finish(ok: boolean, reason?: string, error?: string): never {
  gre?.close();
  emit({ done: true, ok, reason, error });
  process.exit(ok ? 0 : 1);
}

const overall = setTimeout(() => finish(false, undefined, `no end within ${limitMs} ms`), limitMs);
overall.unref();

function drive(sock: Socket): void {
  const fsm = new PptpControl({ role: role === 'client' ? 'client' : 'server', rng: cryptoRng, hostName: 'tunppp-interop', vendorName: 'tunppp' });
  const inbound = new ControlStreamFramer();
  let timer: NodeJS.Timeout | undefined;
  let callId: number | undefined;
  let sawCallUp = false;
  let sawCallDown = false;

  const feed = (input: ControlInput): void => {
    for (const o of fsm.handle(input, monotonicClock.now())) {
      if (o.kind === 'send') {
        emit({ dir: 'out', msg: describe(o.bytes) });
        sock.write(o.bytes);
      } else if (o.kind === 'drop') emit({ drop: o.reason, detail: o.detail });
      else onEvent(o.event);
    }
    if (timer) clearTimeout(timer);
    const d = fsm.nextDeadline();
    if (d !== undefined) timer = setTimeout(() => feed({ type: 'timeout' }), Math.max(0, d - monotonicClock.now()));
  };

  const onEvent = (e: PptpEvent): void => {
    emit({ event: e });
    switch (e.type) {
      case 'control-up':
        if (role === 'client') queueMicrotask(() => feed({ type: 'open-call' }));
        break;
      case 'call-up':
        sawCallUp = true;
        callId = e.callId;
        setTimeout(() => feed(end === 'stop' ? { type: 'stop' } : { type: 'close-call', callId: callId! }), holdMs);
        break;
      case 'call-down':
        sawCallDown = true;
        if (end === 'clear') setTimeout(() => fsm.state === 'established' && feed({ type: 'stop' }), peerWaitMs);
        break;
      case 'control-down': {
        if (timer) clearTimeout(timer);
        sock.end();
        const ok = sawCallUp && sawCallDown;
        const why = `control-down ${e.reason}${e.detail ? ` (${e.detail})` : ''}`;
        setTimeout(() => finish(ok, e.reason, ok ? undefined : why), 50);
        break;
      }
      default:
        break;
    }
  };

  sock.setNoDelay(true);
  sock.on('data', (chunk: Buffer) => {
    const r = inbound.push(chunk);
    for (const f of r.frames) emit({ dir: 'in', msg: describe(f) });
    if (r.error) emit({ framing: r.error });
    feed({ type: 'data', bytes: chunk });
  });
  sock.on('close', () => feed({ type: 'tcp-closed' }));
  sock.on('error', (err) => emit({ socketError: err.message }));
  feed({ type: 'tcp-open' });
}

if (role === 'client') {
  const sock = connect({ host: addr, port: PPTP_TCP_PORT });
  sock.once('connect', () => {
    emit({ connected: `${addr}:${PPTP_TCP_PORT}` });
    drive(sock);
  });
  sock.once('error', (err) => finish(false, undefined, `connect ${addr}:${PPTP_TCP_PORT}: ${err.message}`));
} else {
  const server = createServer((sock) => {
    server.close();
    emit({ accepted: `${sock.remoteAddress}:${sock.remotePort}` });
    drive(sock);
  });
  server.once('error', (err) => finish(false, undefined, `listen ${addr}:${PPTP_TCP_PORT}: ${err.message}`));
  server.listen(PPTP_TCP_PORT, addr, () => emit({ listening: `${addr}:${PPTP_TCP_PORT}` }));
}
