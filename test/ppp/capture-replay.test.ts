/**
 * Real PPTP captures (see test/fixtures/pcaps/SOURCES.md): a Windows
 * client against pptpd (jamesmackerel-pptp-windows-session.pcapng) and a
 * Linux client against pptpd (chapcrack-sample.dump.pcap). The PPP frames
 * ride in enhanced GRE; we skip Ethernet, IPv4 and GRE headers by their
 * lengths. Every LCP/IPCP/IPV6CP/CCP/CHAP packet must decode and re-encode
 * byte-identically through our codecs, and the Windows client's requests
 * fed to our server-side protocols must get the answers pptpd gave (or
 * equally sensible ones).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseCapture } from '../../src/wire/pcap.js';
import { encodePppFrame, parsePppFrame } from '../../src/ppp/frame.js';
import { encodeCpPacket, parseCpPacket } from '../../src/ppp/fsm/packet.js';
import { encodeLcpOptions, parseLcpOptions } from '../../src/ppp/lcp/options.js';
import { encodeIpcpOptions, parseIpcpOptions } from '../../src/ppp/ipcp/options.js';
import { encodeIpv6cpOptions, parseIpv6cpOptions } from '../../src/ppp/ipv6cp/ipv6cp.js';
import { Ccp, PPTPD_MPPE_POLICY, encodeCcpOptions, parseCcpOptions, type CcpEvent } from '../../src/ppp/ccp/ccp.js';
import { encodeChapPacket, parseChapPacket } from '../../src/ppp/auth/packets.js';
import { Lcp, type LcpOutput } from '../../src/ppp/lcp/lcp.js';
import { Ipcp, type IpcpEvent } from '../../src/ppp/ipcp/ipcp.js';
import { PPP_PROTO, CP_CODE } from '../../src/ppp/protocols.js';
import { seededRng } from '../../src/core/rng.js';
import { toHex } from '../../src/wire/hex.js';
import type { CpOutput } from '../../src/ppp/fsm/protocol.js';
import { PppSession } from '../../src/ppp/session.js';
import { fixturePath, PCAPS_DIR } from '../helpers/fixtures.js';

const WINDOWS = fixturePath(PCAPS_DIR, 'jamesmackerel-pptp-windows-session.pcapng');
const CHAPCRACK = fixturePath(PCAPS_DIR, 'chapcrack-sample.dump.pcap');

interface GreFrame { frame: number; src: string; ppp: Uint8Array }

/** PPP frames carried in enhanced GRE (RFC 2637 §4.1) over IPv4 over Ethernet. */
function pppFrames(file: string): GreFrame[] {
  const pkts = parseCapture(new Uint8Array(readFileSync(file)));
  assert.ok(pkts);
  const out: GreFrame[] = [];
  pkts.forEach((p, i) => {
    const b = p.bytes;
    if (p.linkType !== 1 || b.length < 14 + 20 || b[12] !== 0x08 || b[13] !== 0x00) return;
    const ip = 14;
    const ihl = (b[ip]! & 0x0f) * 4;
    if (b[ip + 9] !== 47 || b.length < ip + ihl + 8) return;
    const g = ip + ihl;
    const flags = b[g]!;
    const version = b[g + 1]! & 0x07;
    if (version !== 1 || b[g + 2] !== 0x88 || b[g + 3] !== 0x0b) return;
    const payloadLength = (b[g + 4]! << 8) | b[g + 5]!;
    let off = g + 8;
    if (flags & 0x10) off += 4; // S: sequence number
    if (b[g + 1]! & 0x80) off += 4; // A: acknowledgment number
    if (payloadLength === 0 || off + payloadLength > b.length) return;
    out.push({ frame: i + 1, src: `${b[ip + 12]}.${b[ip + 13]}.${b[ip + 14]}.${b[ip + 15]}`, ppp: b.subarray(off, off + payloadLength) });
  });
  return out;
}


function roundTripAll(file: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of pppFrames(file)) {
    const fr = parsePppFrame(f.ppp);
    assert.ok(fr.ok, `frame ${f.frame}`);
    const { protocol, information } = fr.value;
    // The header re-encodes identically with the compression this frame used.
    const acfc = f.ppp[0] !== 0xff;
    const pfc = f.ppp[acfc ? 0 : 2]! & 1 ? true : false;
    assert.equal(toHex(encodePppFrame(fr.value, { acfc, pfc })), toHex(f.ppp), `frame ${f.frame} header`);
    const codec = {
      [PPP_PROTO.LCP]: [parseLcpOptions, encodeLcpOptions],
      [PPP_PROTO.IPCP]: [parseIpcpOptions, encodeIpcpOptions],
      [PPP_PROTO.IPV6CP]: [parseIpv6cpOptions, encodeIpv6cpOptions],
      [PPP_PROTO.CCP]: [parseCcpOptions, encodeCcpOptions],
    }[protocol] as [(b: Uint8Array) => { ok: boolean; value?: unknown }, (x: never) => Uint8Array] | undefined;
    if (codec) {
      const cp = parseCpPacket(information);
      assert.ok(cp.ok, `frame ${f.frame} control packet`);
      assert.equal(toHex(encodeCpPacket(cp.value)), toHex(information.subarray(0, cp.bytesRead)), `frame ${f.frame}`);
      if (cp.value.code >= CP_CODE.CONFIGURE_REQUEST && cp.value.code <= CP_CODE.CONFIGURE_REJECT) {
        const opts = codec[0](cp.value.data);
        assert.ok(opts.ok, `frame ${f.frame} options`);
        assert.equal(toHex(codec[1](opts.value as never)), toHex(cp.value.data), `frame ${f.frame} options re-encode`);
      }
      const key = `0x${protocol.toString(16)}/${cp.value.code}`;
      counts[key] = (counts[key] ?? 0) + 1;
    } else if (protocol === PPP_PROTO.CHAP) {
      const c = parseChapPacket(information);
      assert.ok(c.ok, `frame ${f.frame} CHAP`);
      assert.equal(toHex(encodeChapPacket(c.value)), toHex(information.subarray(0, c.bytesRead)), `frame ${f.frame} CHAP re-encode`);
      counts[`chap/${information[0]}`] = (counts[`chap/${information[0]}`] ?? 0) + 1;
    }
  }
  return counts;
}

test('capture: Windows↔pptpd control frames decode and re-encode byte-identically', () => {
  const counts = roundTripAll(WINDOWS);
  // LCP requests, acks, rejects, echo, identification; CHAP 1/2/3; CCP, IPCP, IPV6CP.
  for (const k of ['0xc021/1', '0xc021/2', '0xc021/4', '0xc021/8', '0xc021/9', '0xc021/12', 'chap/1', 'chap/2', 'chap/3', '0x80fd/1', '0x80fd/3', '0x8021/1', '0x8021/3', '0x8021/4', '0x8057/1']) {
    assert.ok((counts[k] ?? 0) > 0, `${k} seen: ${JSON.stringify(counts)}`);
  }
});

test('capture: Linux pptp client↔pptpd (chapcrack) control frames decode and re-encode byte-identically', () => {
  const counts = roundTripAll(CHAPCRACK);
  for (const k of ['0xc021/1', '0xc021/2', 'chap/1', 'chap/2', 'chap/3', '0x80fd/1', '0x8021/1', '0xc021/5', '0xc021/6']) {
    assert.ok((counts[k] ?? 0) > 0, `${k} seen: ${JSON.stringify(counts)}`);
  }
});

/** The control packets of one protocol from one source, in capture order. */
function packets(frames: GreFrame[], src: string, proto: number, code?: number): { frame: number; info: Uint8Array }[] {
  return frames.flatMap((f) => {
    const p = parsePppFrame(f.ppp);
    if (!p.ok || p.value.protocol !== proto || f.src !== src) return [];
    if (code !== undefined && p.value.information[0] !== code) return [];
    return [{ frame: f.frame, info: p.value.information }];
  });
}

const WIN_CLIENT = '192.168.142.1';
const PPTPD = '192.168.142.128';

test('capture: Windows LCP Configure-Requests → our server LCP Rejects Callback exactly as pptpd did, then Acks', () => {
  const frames = pppFrames(WINDOWS);
  const reqs = packets(frames, WIN_CLIENT, PPP_PROTO.LCP, CP_CODE.CONFIGURE_REQUEST);
  const pptpdReject = packets(frames, PPTPD, PPP_PROTO.LCP, CP_CODE.CONFIGURE_REJECT)[0]!;
  const lcp = new Lcp({ requireAuth: ['mschap-v2'], acceptAuth: [] }, seededRng(1));
  const out: LcpOutput[] = [];
  lcp.lowerUp(0, out);
  lcp.open(0, out);
  const first: LcpOutput[] = [];
  lcp.receive(reqs[0]!.info, 0, first);
  const rej = first.find((o) => o.kind === 'send');
  assert.ok(rej?.kind === 'send');
  assert.equal(toHex(rej.bytes), toHex(pptpdReject.info), 'Configure-Reject of Callback (CBCP, option 13)');
  const second: LcpOutput[] = [];
  lcp.receive(reqs[1]!.info, 0, second);
  const ack = second.find((o) => o.kind === 'send');
  assert.ok(ack?.kind === 'send');
  assert.equal(ack.bytes[0], CP_CODE.CONFIGURE_ACK);
  assert.equal(toHex(ack.bytes.subarray(4)), toHex(reqs[1]!.info.subarray(4, (reqs[1]!.info[2]! << 8) | reqs[1]!.info[3]!)));
});

test('capture: Windows CCP request (H only) → our pptpd-policy CCP Naks 128-bit stateless like pptpd', () => {
  const frames = pppFrames(WINDOWS);
  const req = packets(frames, WIN_CLIENT, PPP_PROTO.CCP, CP_CODE.CONFIGURE_REQUEST)[0]!;
  const pptpdNak = packets(frames, PPTPD, PPP_PROTO.CCP, CP_CODE.CONFIGURE_NAK)[0]!;
  const ccp = new Ccp({ mppe: PPTPD_MPPE_POLICY });
  const o: CpOutput<CcpEvent>[] = [];
  ccp.lowerUp(0, o);
  ccp.open(0, o);
  const o2: CpOutput<CcpEvent>[] = [];
  ccp.receive(req.info, 0, o2);
  const nak = o2.find((x) => x.kind === 'send');
  assert.ok(nak?.kind === 'send');
  assert.equal(toHex(nak.bytes), toHex(pptpdNak.info));
  // pptpd's own request, as Windows acked it, is what we send too.
  const pptpdReq = packets(frames, PPTPD, PPP_PROTO.CCP, CP_CODE.CONFIGURE_REQUEST)[0]!;
  const ours = o.find((x) => x.kind === 'send');
  assert.ok(ours?.kind === 'send');
  assert.equal(toHex(ours.bytes.subarray(4)), toHex(pptpdReq.info.subarray(4, 10)));
});

test('capture: Windows IPCP requests → our server rejects NBNS, then Naks address and DNS', () => {
  const frames = pppFrames(WINDOWS);
  const reqs = packets(frames, WIN_CLIENT, PPP_PROTO.IPCP, CP_CODE.CONFIGURE_REQUEST);
  const ipcp = new Ipcp({ role: 'server', localAddress: '192.168.0.1', peerAddress: '192.168.0.234', dns: ['8.8.8.8', '8.8.4.4'] });
  const o: CpOutput<IpcpEvent>[] = [];
  ipcp.lowerUp(0, o);
  ipcp.open(0, o);
  // The first request (with NBNS, retransmitted once) and the first one without NBNS.
  const chosen = [reqs[0]!, reqs.find((r) => r.info.length < reqs[0]!.info.length)!];
  const answers = chosen.map((r) => {
    const x: CpOutput<IpcpEvent>[] = [];
    ipcp.receive(r.info, 0, x);
    const s = x.find((y) => y.kind === 'send');
    assert.ok(s?.kind === 'send');
    return parseCpPacket(s.bytes);
  });
  assert.ok(answers[0]!.ok && answers[1]!.ok);
  assert.equal(answers[0]!.value.code, CP_CODE.CONFIGURE_REJECT);
  assert.deepEqual(parseIpcpOptions(answers[0]!.value.data).ok && (parseIpcpOptions(answers[0]!.value.data) as { value: { kind: string }[] }).value.map((x) => x.kind), ['nbns1', 'nbns2']);
  // The later request no longer has NBNS.
  assert.equal(answers[1]!.value.code, CP_CODE.CONFIGURE_NAK);
  const nak = parseIpcpOptions(answers[1]!.value.data);
  assert.ok(nak.ok);
  assert.deepEqual(nak.value.map((x) => x.kind), ['address', 'dns1', 'dns2']);
});

test('capture: Windows IPV6CP with IPv6 off → our session Protocol-Rejects it like pptpd, link unharmed', () => {
  const frames = pppFrames(WINDOWS);
  const v6 = frames.find((f) => {
    const p = parsePppFrame(f.ppp);
    return p.ok && p.value.protocol === PPP_PROTO.IPV6CP && f.src === WIN_CLIENT;
  })!;
  const pptpdPr = packets(frames, PPTPD, PPP_PROTO.LCP, CP_CODE.PROTOCOL_REJECT)[0]!;
  // Bring a server session's LCP to Opened with the capture's own LCP exchange.
  const s = new PppSession({ role: 'server', ipv6: false, echoIntervalMs: 0 }, seededRng(3));
  const sent: Uint8Array[] = [];
  const take = (outs: ReturnType<PppSession['start']>): void => { for (const o of outs) if (o.kind === 'send') sent.push(o.bytes); };
  take(s.start(0));
  const ourReq = parseCpPacket(parsePppFrame(sent[0]!).ok ? (parsePppFrame(sent[0]!) as { value: { information: Uint8Array } }).value.information : new Uint8Array(0));
  assert.ok(ourReq.ok);
  const lcpFrame = (info: Uint8Array): Uint8Array => Uint8Array.from([0xff, 0x03, 0xc0, 0x21, ...info]);
  take(s.receiveFrame(lcpFrame(encodeCpPacket({ code: CP_CODE.CONFIGURE_ACK, identifier: ourReq.value.identifier, data: ourReq.value.data })), 1));
  const winReqs = packets(frames, WIN_CLIENT, PPP_PROTO.LCP, CP_CODE.CONFIGURE_REQUEST);
  take(s.receiveFrame(lcpFrame(winReqs[1]!.info), 2));
  assert.equal(s.lcp.fsm.state, 'Opened');
  sent.length = 0;
  take(s.receiveFrame(v6.ppp, 3));
  assert.equal(sent.length, 1);
  const pr = parsePppFrame(sent[0]!);
  assert.ok(pr.ok);
  assert.equal(pr.value.protocol, PPP_PROTO.LCP);
  // Same data as pptpd's Protocol-Reject: rejected protocol 0x8057 and the rejected packet.
  assert.equal(toHex(pr.value.information.subarray(4)), toHex(pptpdPr.info.subarray(4)));
  assert.equal(s.lcp.fsm.state, 'Opened');
  assert.equal(s.counters.drops['protocol-unknown'], 1);
});

test('capture: Linux pppd client requests (chapcrack) → our server answers with the codes pptpd used', () => {
  const frames = pppFrames(CHAPCRACK);
  const CLIENT = '192.168.1.102';
  const SERVER = '198.252.153.26';
  const answerOf = (proto: number, req: Uint8Array, handler: { receive(b: Uint8Array, now: number, out: never[]): void }): Uint8Array => {
    const out: { kind: string; bytes?: Uint8Array }[] = [];
    handler.receive(req, 0, out as never[]);
    const s = out.find((o) => o.kind === 'send');
    assert.ok(s?.bytes, `answer to ${proto.toString(16)}`);
    return s.bytes;
  };
  // LCP: pptpd Acked the client's request as it was; so do we.
  const lcp = new Lcp({ requireAuth: ['mschap-v2'], acceptAuth: [] }, seededRng(1));
  lcp.lowerUp(0, []);
  lcp.open(0, []);
  const lcpReq = packets(frames, CLIENT, PPP_PROTO.LCP, CP_CODE.CONFIGURE_REQUEST)[0]!;
  const pptpdLcpAck = packets(frames, SERVER, PPP_PROTO.LCP, CP_CODE.CONFIGURE_ACK)[0]!;
  assert.equal(toHex(answerOf(PPP_PROTO.LCP, lcpReq.info, lcp)), toHex(pptpdLcpAck.info));
  // CCP: the client's first request is Nak'd to 128-bit stateless, byte for byte like pptpd.
  const ccp = new Ccp({ mppe: PPTPD_MPPE_POLICY });
  ccp.lowerUp(0, []);
  ccp.open(0, []);
  const ccpReq = packets(frames, CLIENT, PPP_PROTO.CCP, CP_CODE.CONFIGURE_REQUEST)[0]!;
  const pptpdCcpNak = packets(frames, SERVER, PPP_PROTO.CCP, CP_CODE.CONFIGURE_NAK)[0]!;
  assert.equal(toHex(answerOf(PPP_PROTO.CCP, ccpReq.info, ccp)), toHex(pptpdCcpNak.info));
  // The client's second CCP request (after the Nak) is Acked.
  const ccpReq2 = packets(frames, CLIENT, PPP_PROTO.CCP, CP_CODE.CONFIGURE_REQUEST)[1]!;
  assert.equal(answerOf(PPP_PROTO.CCP, ccpReq2.info, ccp)[0], CP_CODE.CONFIGURE_ACK);
  // IPCP: pptpd Nak'd the address request; we Nak too (with our pool's address).
  const ipcp = new Ipcp({ role: 'server', localAddress: '10.0.0.1', peerAddress: '10.0.0.2', dns: ['10.0.0.53', '10.0.0.54'] });
  ipcp.lowerUp(0, []);
  ipcp.open(0, []);
  const ipcpReq = packets(frames, CLIENT, PPP_PROTO.IPCP, CP_CODE.CONFIGURE_REQUEST)[0]!;
  const pptpdIpcp = packets(frames, SERVER, PPP_PROTO.IPCP).find((p) => p.info[1] === ipcpReq.info[1] && p.info[0] !== CP_CODE.CONFIGURE_REQUEST)!;
  assert.equal(answerOf(PPP_PROTO.IPCP, ipcpReq.info, ipcp)[0], pptpdIpcp.info[0]);
});
