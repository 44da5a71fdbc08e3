/**
 * Attack script (runs in the attacker namespace): random bytes at the
 * server's L2TP port and its PPTP control port, `count` of each. Prints
 * `SENT udp=N tcp=N`.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';

const [server = '10.201.0.1', countArg = '200'] = process.argv.slice(2);
const count = Number(countArg);

const udp = createSocket('udp4');
let udpSent = 0;
for (let i = 0; i < count; i++) {
  udp.send(randomBytes(1 + (i % 200)), 1701, server, () => {
    if (++udpSent === count) udp.close();
  });
}

let tcpSent = 0;
await new Promise<void>((resolve) => {
  const sock = connect(1723, server, () => {
    for (let i = 0; i < count; i++) {
      sock.write(randomBytes(1 + (i % 200)));
      tcpSent++;
    }
    sock.end();
  });
  sock.on('error', () => resolve());
  sock.on('close', () => resolve());
  setTimeout(() => {
    sock.destroy();
    resolve();
  }, 5000).unref();
});
console.log(`SENT udp=${count} tcp=${tcpSent}`);
