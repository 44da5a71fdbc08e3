/**
 * A whole PPTP client assembled from tunppp's pieces, run by the interop
 * tests inside a test namespace: PptpControl (PNS) over TCP 1723, a
 * GreChannel per call over the native raw GRE socket, and PppSession
 * (client role: LCP, MS-CHAPv2, CCP/MPPE, IPCP) on top. No TUN: once the
 * link is up it pings the server's tunnel address with hand-made ICMP echo
 * requests through PppSession.sendIp (MPPE-encrypted) and reads the replies
 * from its ipSink. This is `tunppp connect` before the CLI exists.
 *
 *   node --import tsx pptp-ppp-driver.ts HOST
 *
 * Env: USER_NAME / PASSWORD (default interop / secret), PINGS answers wanted
 * (default 3) within MAX_PING_TRIES requests (default 40, 200 ms apart),
 * MPPE ('128' default, 'none' to run without), LIMIT_MS (default 25000).
 * Output: JSON lines like the other drivers — {"ctl":type} per control message, {"event":...}
 * for control and PPP events, {"drop":...}, {"ping":{seq,rttMs}}, then
 * {"done":true,"ok":bool,"error"?:string}. `ok` means the link came up,
 * every ping was answered and the link and the control connection then
 * closed cleanly.
 */
import { connect } from 'node:net';
import { PptpControl, type ControlInput } from '../../src/pptp/control-fsm.js';
import { PPTP_TCP_PORT, parseControlMessage } from '../../src/pptp/control-codec.js';
import { ControlStreamFramer } from '../../src/pptp/control-stream.js';
import { GreChannel, type GreChannelSink } from '../../src/pptp/gre-channel.js';
import { PppSession, type SessionOutput } from '../../src/ppp/session.js';
import { PPTPD_MPPE_POLICY } from '../../src/ppp/ccp/ccp.js';
import { internetChecksum } from '../../src/wire/checksum.js';
import { cryptoRng } from '../../src/io/rng.js';
import { monotonicClock } from '../../src/io/clock.js';
import { openGreSocket } from '../../src/io/gre-socket.js';
import { formatIpv4 } from '../../src/io/ipv4-addr.js';

const host = process.argv[2];
if (!host) {
  process.stderr.write('usage: pptp-ppp-driver.ts HOST\n');
  process.exit(2);
}
const username = process.env['USER_NAME'] ?? 'interop';
const password = process.env['PASSWORD'] ?? 'secret';
const pings = Number(process.env['PINGS'] ?? 3);
const mppe = process.env['MPPE'] === 'none' ? { strengths: [], required: false, allowStateful: false } : PPTPD_MPPE_POLICY;
const limitMs = Number(process.env['LIMIT_MS'] ?? 25_000);
const now = (): number => monotonicClock.now();
const t0 = now();
const emit = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ t: Math.round(now() - t0), ...o })}\n`, 'utf8');
};

let finished = false;
const gre = openGreSocket();
function finish(ok: boolean, error?: string): void {
  if (finished) return;
  finished = true;
  emit({ done: true, ok, error });
  gre.close();
  setTimeout(() => process.exit(ok ? 0 : 1), 50);
}
setTimeout(() => finish(false, `no end within ${limitMs} ms`), limitMs).unref();

const ctl = new PptpControl({ role: 'client', rng: cryptoRng, hostName: 'tunppp-interop', vendorName: 'tunppp' });
let channel: GreChannel | undefined;
let ppp: PppSession | undefined;
let localIp: string | undefined;
let peerIp: string | undefined;
let linkUp = false;
const pending = new Map<number, number>();
let answered = 0;
let timer: NodeJS.Timeout | undefined;

const sock = connect({ host, port: PPTP_TCP_PORT });
sock.setNoDelay(true);

const greSink: GreChannelSink = {
  deliver: (payload) => pppIn({ type: 'frame', bytes: payload }),
  transmit: (packet) => gre.sendTo(host, packet),
};

function ctlIn(input: ControlInput): void {
  for (const o of ctl.handle(input, now())) {
    if (o.kind === 'send') {
      const m = parseControlMessage(o.bytes);
      emit({ ctl: `→${m.ok ? m.value.type : '?'}` });
      sock.write(o.bytes);
    } else if (o.kind === 'drop') emit({ drop: `control ${o.reason}`, detail: o.detail });
    else {
      const e = o.event;
      emit({ event: e });
      if (e.type === 'control-up') queueMicrotask(() => ctlIn({ type: 'open-call' }));
      else if (e.type === 'call-up') {
        channel = new GreChannel({ callId: e.callId, peerCallId: e.peerCallId, peerRecvWindow: e.peerRecvWindow });
        ppp = new PppSession(
          {
            role: 'client',
            auth: { username, password, accept: ['mschap-v2'] },
            mppe,
            ipSink: (packet) => onIp(packet),
          },
          cryptoRng,
        );
        pppIn({ type: 'start' });
      } else if (e.type === 'control-down') {
        sock.end();
        const ok = linkUp && answered === pings && e.reason === 'local-stop';
        finish(ok, ok ? undefined : `control-down ${e.reason}; link up ${linkUp}, ${answered}/${pings} pings answered`);
      }
    }
  }
  schedule();
}

function pppIn(input: Parameters<PppSession['handle']>[0]): void {
  if (!ppp) return;
  pppOut(ppp.handle(input, now()));
}

function pppOut(outs: SessionOutput[]): void {
  for (const o of outs) {
    if (o.kind === 'send') {
      const pkt = channel!.send(o.bytes, now());
      if (typeof pkt === 'string') emit({ drop: `gre ${pkt}` });
      else gre.sendTo(host!, pkt);
    } else if (o.kind === 'drop') emit({ drop: `ppp ${o.reason}`, detail: o.detail });
    else {
      const e = o.event;
      emit({ event: e });
      if (e.type === 'ipv4-up') {
        localIp = e.localAddress;
        peerIp = e.peerAddress;
      }
      if (e.type === 'link-up') {
        linkUp = true;
        setTimeout(ping, 50);
      }
      if (e.type === 'link-down') setTimeout(() => ctlIn({ type: 'stop' }), 50);
    }
  }
  schedule();
}

/** An ICMP echo request from our tunnel address to the peer's. */
function echoRequest(n: number): Uint8Array {
  const payload = 56;
  const p = new Uint8Array(20 + 8 + payload);
  const v = new DataView(p.buffer);
  p[0] = 0x45;
  v.setUint16(2, p.length);
  v.setUint16(4, n);
  p[8] = 64;
  p[9] = 1;
  p.set(localIp!.split('.').map(Number), 12);
  p.set(peerIp!.split('.').map(Number), 16);
  v.setUint16(10, internetChecksum(p, 0, 20));
  p[20] = 8;
  v.setUint16(24, 0x7470); // identifier "tp"
  v.setUint16(26, n);
  for (let i = 0; i < payload; i++) p[28 + i] = i;
  v.setUint16(22, internetChecksum(p, 20, p.length));
  return p;
}

/**
 * Sends echo requests every 200 ms until PINGS of them are answered (the
 * peer's pppd configures its interface a moment after IPCP opens, in
 * ip-pre-up; requests before that go unanswered) or MAX_PING_TRIES went out.
 */
let seq = 0;
let closing = false;
const maxTries = Number(process.env['MAX_PING_TRIES'] ?? 40);
function ping(): void {
  if (!ppp || finished || closing) return;
  if (answered >= pings || seq >= maxTries) {
    closing = true;
    setTimeout(() => pppIn({ type: 'close', reason: 'interop done' }), 100);
    return;
  }
  seq++;
  pending.set(seq, now());
  const frame = ppp.sendIp(echoRequest(seq), now());
  if (!frame) emit({ drop: `sendIp refused ping ${seq}` });
  else {
    const pkt = channel!.send(frame, now());
    if (typeof pkt === 'string') emit({ drop: `gre ${pkt}` });
    else gre.sendTo(host!, pkt);
  }
  schedule();
  setTimeout(ping, 200);
}

function onIp(packet: Uint8Array): void {
  const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const ihl = (packet[0]! & 0x0f) * 4;
  if (packet[9] !== 1 || packet[ihl] !== 0 || v.getUint16(ihl + 4) !== 0x7470) {
    emit({ ip: `unexpected packet from ${formatIpv4(v.getUint32(12))}, protocol ${packet[9]}` });
    return;
  }
  const seq = v.getUint16(ihl + 6);
  const sent = pending.get(seq);
  if (sent === undefined) return;
  pending.delete(seq);
  answered++;
  emit({ ping: { seq, from: formatIpv4(v.getUint32(12)), rttMs: Math.round((now() - sent) * 10) / 10 } });
  if (answered >= pings) ping();
}

function schedule(): void {
  if (timer) clearTimeout(timer);
  const ds = [ctl.nextDeadline(), channel?.nextDeadline(), ppp?.nextDeadline()].filter((d): d is number => d !== undefined);
  if (ds.length === 0 || finished) return;
  timer = setTimeout(tick, Math.max(0, Math.min(...ds) - now()));
}

function tick(): void {
  const t = now();
  const c = ctl.nextDeadline();
  if (c !== undefined && c <= t) ctlIn({ type: 'timeout' });
  const g = channel?.nextDeadline();
  if (channel && g !== undefined && g <= t) channel.timeout(t, greSink);
  const p = ppp?.nextDeadline();
  if (ppp && p !== undefined && p <= t) pppIn({ type: 'timeout' });
  schedule();
}

gre.onPackets((b) => {
  for (let i = 0; i < b.count; i++) {
    if (formatIpv4(b.source(i)) !== host || !channel) continue;
    channel.receive(b.packet(i), now(), greSink);
  }
  schedule();
});
gre.onError((err) => emit({ greError: err.message }));

sock.once('connect', () => {
  emit({ connected: `${host}:${PPTP_TCP_PORT}` });
  ctlIn({ type: 'tcp-open' });
});
const inbound = new ControlStreamFramer();
sock.on('data', (chunk: Buffer) => {
  for (const f of inbound.push(chunk).frames) {
    const m = parseControlMessage(f);
    emit({ ctl: `←${m.ok ? m.value.type : '?'}` });
  }
  ctlIn({ type: 'data', bytes: chunk });
});
sock.on('close', () => ctlIn({ type: 'tcp-closed' }));
sock.on('error', (err) => finish(false, `tcp: ${err.message}`));
