/**
 * Our PPP frames, as the session emits them for PPTP/L2TP, written to a
 * LINKTYPE_PPP pcap (with FF 03 in front when ACFC left it out) and
 * dissected by tshark: no malformed packets, no expert info at warning or
 * error level, and the decoded fields say what we meant (STYLE.md §7.6).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pair, ipv4, ipv6 } from './harness.js';
import { dissect, fields, tsharkSkipReason } from '../helpers/tshark.js';
import { LINKTYPE } from '../../src/wire/pcap.js';
import type { SessionOptions } from '../../src/ppp/session.js';

type Opts = Omit<SessionOptions, 'role' | 'ipSink'>;

function capture(server: Opts, client: Opts): { timeMs: number; bytes: Uint8Array }[] {
  const pair = new Pair(server, client, {}, 5);
  pair.start();
  assert.ok(pair.run(() => pair.ready(), 60_000));
  pair.sendIp(0, ipv4(100, 1));
  pair.sendIp(1, ipv4(120, 2));
  if (server.ipv6) pair.sendIp(1, ipv6(80, 3));
  pair.flush();
  // LCP extras: Echo-Request/Reply and a Protocol-Reject of Apple's 0x8235.
  pair.run(() => false, 31_000);
  pair.apply(0, pair.server.session.receiveFrame(Uint8Array.from([0xff, 0x03, 0x82, 0x35, 0x01, 0x01, 0x00, 0x04]), pair.now));
  // An unknown LCP code provokes a Code-Reject.
  pair.apply(0, pair.server.session.receiveFrame(Uint8Array.from([0xff, 0x03, 0xc0, 0x21, 0x40, 0x07, 0x00, 0x05, 0x00]), pair.now));
  pair.flush();
  pair.apply(1, pair.client.session.close('user hung up', pair.now));
  assert.ok(pair.run(() => pair.bothDead(), 30_000));
  return [...pair.server.sent, ...pair.client.sent]
    .sort((a, b) => a.timeMs - b.timeMs)
    .map((f) => ({ timeMs: 1_700_000_000_000 + f.timeMs, bytes: f.bytes[0] === 0xff ? f.bytes : Uint8Array.from([0xff, 0x03, ...f.bytes]) }));
}

const hexProto = (v: unknown): number => Number(v);

for (const comp of [false, true]) {
  test(`tshark: full session, MS-CHAPv2 + MPPE-128, IPv4+IPv6, ${comp ? 'PFC/ACFC' : 'no compression'} → clean dissection`, { skip: tsharkSkipReason() }, () => {
    const records = capture(
      { auth: { require: ['mschap-v2'], name: 'pptpd' }, localAddress: '10.3.0.1', peerAddress: '10.3.0.2', dns: ['10.3.0.53', '10.3.0.54'], ipv6: true, pfc: comp, acfc: comp },
      { auth: { username: 'alice', password: 'correct horse' }, ipv6: true, pfc: comp, acfc: comp, requestNbns: true },
    );
    const { frames, problems } = dissect(LINKTYPE.PPP, records);
    assert.deepEqual(problems, []);
    assert.equal(frames.length, records.length);
    const protos = new Set(frames.flatMap((f) => fields(f, 'ppp.protocol').map(hexProto)));
    for (const p of [0xc021, 0xc223, 0x80fd, 0x8021, 0x8057, 0x00fd]) assert.ok(protos.has(p), `protocol 0x${p.toString(16)} in ${[...protos].map((x) => x.toString(16))}`);
    const all = (name: string): string[] => frames.flatMap((f) => fields(f, name).map(String));
    assert.ok(all('ipcp.opt.ip_address').includes('10.3.0.2'));
    assert.ok(all('ipcp.opt.pri_dns_address').includes('10.3.0.53'));
    assert.ok(all('chap.name').includes('alice'));
    assert.ok(all('chap.name').includes('pptpd'));
    assert.ok(all('lcp.opt.magic_number').length >= 2);
    // Echo, Protocol-Reject and Terminate codes were all decoded.
    const codes = new Set(all('ppp.code').map(Number));
    for (const c of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) assert.ok(codes.has(c), `code ${c} in ${[...codes]}`);
  });
}
