/**
 * IPsec fuzz targets: the ISAKMP codec (parse, and re-encode whatever
 * parses), UDP 4500 classification, ESP inbound processing for every suite,
 * and the Main Mode responder and initiator fed hostile datagrams between
 * the real messages of a good exchange.
 */
import { seededRng } from '../../src/core/rng.js';
import { ESP_TRANSFORM, P2_AUTH } from '../../src/ipsec/constants.js';
import { EspInbound, EspOutbound, espKeymatBytes, espKeysFromKeymat, espSuite } from '../../src/ipsec/esp.js';
import { encodeIsakmpMessage, parseIsakmpMessage, parsePayloads } from '../../src/ipsec/isakmp.js';
import { MainModeInitiator } from '../../src/ipsec/main-mode-initiator.js';
import { MainModeResponder, type MainModeOutput } from '../../src/ipsec/main-mode-responder.js';
import { DEFAULT_PHASE1_POLICY } from '../../src/ipsec/phase1-proposals.js';
import { parseSaPayload } from '../../src/ipsec/sa-payload.js';
import { classifyUdp4500 } from '../../src/ipsec/udp-encap.js';
import { DEFAULT_ESP_POLICY } from '../../src/ipsec/esp-proposals.js';
import { QuickModeInitiator } from '../../src/ipsec/quick-mode-initiator.js';
import { QuickModeResponder } from '../../src/ipsec/quick-mode-responder.js';
import { IpsecResponderEndpoint, type IpsecEndpointOutput } from '../../src/ipsec/responder-endpoint.js';
import { IpsecInitiatorEndpoint, type IpsecInitiatorOutput } from '../../src/ipsec/initiator-endpoint.js';
import { captureUdp } from '../ipsec/capture-udp.js';
import { DIRECT, phase1Pair } from '../ipsec/phase1-pair.js';
import { check, type FuzzTarget } from './harness.js';

const WIRE_CODES = new Set(['TRUNCATED', 'BAD_LENGTH', 'BAD_VALUE', 'UNSUPPORTED']);
const PSK = new TextEncoder().encode('fuzz psk');
const ep = (a: number, port: number) => ({ address: Uint8Array.of(10, 0, 0, a), port });

let capCache: Uint8Array[] | undefined;
/** UDP 500/4500 payloads of the IPsec captures (marker and all). */
function captureSeeds(): Uint8Array[] {
  if (!capCache) {
    capCache = [];
    for (const f of ['tcpdump-ISAKMP_sa_setup.pcap', 'tcpdump-isakmp4500.pcap', 'flowcontainer-l2tp-ipsec-natt-first600.pcap']) {
      try {
        for (const d of captureUdp(f)) if ([500, 4500].includes(d.srcPort) || [500, 4500].includes(d.dstPort)) capCache.push(d.payload);
      } catch {
        // fixtures absent: random input only
      }
    }
    capCache = capCache.slice(0, 300);
  }
  return capCache;
}

let exchangeCache: { requests: Uint8Array[]; replies: Uint8Array[] } | undefined;
/** The datagrams of a good Main Mode between our machines. */
function exchange(): { requests: Uint8Array[]; replies: Uint8Array[] } {
  if (exchangeCache) return exchangeCache;
  const ini = new MainModeInitiator({ psk: PSK, suites: DEFAULT_PHASE1_POLICY.suites.slice(0, 3), lifetimeSeconds: 3600, local: ep(2, 500), remote: ep(1, 500) }, seededRng(1));
  const res = new MainModeResponder({ psk: PSK, policy: DEFAULT_PHASE1_POLICY, local: ep(1, 500), remote: ep(2, 500) }, seededRng(2));
  const requests: Uint8Array[] = [];
  const replies: Uint8Array[] = [];
  let out = ini.handle({ type: 'start' }, 0);
  for (let i = 0; i < 3; i++) {
    const req = out.find((o) => o.kind === 'send');
    if (!req || req.kind !== 'send') break;
    requests.push(req.bytes);
    const rep = res.handle({ type: 'packet', bytes: req.bytes }, i).find((o) => o.kind === 'send');
    if (!rep || rep.kind !== 'send') break;
    replies.push(rep.bytes);
    out = ini.handle({ type: 'packet', bytes: rep.bytes }, i);
  }
  exchangeCache = { requests, replies };
  return exchangeCache;
}

function checkOutputs(outs: MainModeOutput[], what: string): void {
  check(outs.filter((o) => o.kind === 'send').length <= 1, `${what}: more than one datagram for one input`);
  for (const o of outs) if (o.kind === 'send') check(o.bytes.length <= 2048, `${what}: oversized datagram`);
}

const ESP_SUITES = [
  espSuite(ESP_TRANSFORM.AES_CBC, 128, P2_AUTH.HMAC_SHA1)!,
  espSuite(ESP_TRANSFORM.AES_CBC, 256, P2_AUTH.HMAC_SHA2_256)!,
  espSuite(ESP_TRANSFORM.AES_GCM_16, 128, undefined)!,
  espSuite(ESP_TRANSFORM['3DES'], undefined, P2_AUTH.HMAC_SHA1)!,
];
const espKeys = ESP_SUITES.map((s, i) => espKeysFromKeymat(0x1000 + i, s, seededRng(i).bytes(espKeymatBytes(s))));
let espCache: Uint8Array[] | undefined;
/** Valid ESP packets of every suite. */
function espSeeds(): Uint8Array[] {
  if (!espCache) {
    espCache = [];
    espKeys.forEach((k, i) => {
      const out = new EspOutbound(k, seededRng(i + 10));
      for (let n = 0; n < 4; n++) espCache!.push(out.seal(new Uint8Array(n * 13).fill(n), 17)!);
    });
  }
  return espCache;
}

let qmCache: { pair: ReturnType<typeof phase1Pair>; requests: Uint8Array[] } | undefined;
/** A Phase 1 pair and the initiator's Quick Mode messages 1 and 3 of a good exchange. */
function quickModeExchange(): { pair: ReturnType<typeof phase1Pair>; requests: Uint8Array[] } {
  if (qmCache) return qmCache;
  const pair = phase1Pair();
  const ini = new QuickModeInitiator({ p1: pair.client, suites: DEFAULT_ESP_POLICY.suites, pfsGroup: 19, lifetimeSeconds: 3600, local: DIRECT.clientLocal, remote: DIRECT.server, ourSpi: Uint8Array.of(1, 2, 3, 4) }, seededRng(1));
  const res = newQuickModeResponder(pair);
  const m1 = ini.handle({ type: 'start' }, 0).find((o) => o.kind === 'send');
  const requests: Uint8Array[] = [];
  if (m1 && m1.kind === 'send') {
    requests.push(m1.bytes);
    const m2 = res.handle({ type: 'packet', bytes: m1.bytes }, 0).find((o) => o.kind === 'send');
    const m3 = m2 && m2.kind === 'send' ? ini.handle({ type: 'packet', bytes: m2.bytes }, 0).find((o) => o.kind === 'send') : undefined;
    if (m3 && m3.kind === 'send') requests.push(m3.bytes);
  }
  qmCache = { pair, requests };
  return qmCache;
}

function newQuickModeResponder(pair: ReturnType<typeof phase1Pair>): QuickModeResponder {
  return new QuickModeResponder({ p1: pair.server, policy: DEFAULT_ESP_POLICY, local: DIRECT.server, remote: DIRECT.clientSeen, ourSpi: Uint8Array.of(5, 6, 7, 8) }, seededRng(2));
}

export const ipsecTargets: FuzzTarget[] = [
  {
    name: 'ipsec/isakmp-codec',
    seeds: () => [...captureSeeds().map((p) => (p.length > 4 && p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 ? p.subarray(4) : p)), ...exchange().requests, ...exchange().replies],
    maxBytes: 1200,
    maxPackets: 2,
    run(packets) {
      for (const b of packets) {
        const m = parseIsakmpMessage(b);
        if (!m.ok) check(WIRE_CODES.has(m.error.code), `unknown error code ${m.error.code}`);
        else if (!m.value.encrypted) {
          const again = parseIsakmpMessage(encodeIsakmpMessage(m.value));
          check(again.ok && again.value.payloads.length === m.value.payloads.length, 're-encoded message does not parse back');
        }
        for (const first of [1, 5, 11, 12, 20, 21, 130, 131]) {
          const r = parsePayloads(first, b);
          if (!r.ok) check(WIRE_CODES.has(r.error.code), 'payload error code');
        }
        const sa = parseSaPayload(b);
        if (!sa.ok) check(WIRE_CODES.has(sa.error.code), 'SA error code');
      }
    },
  },
  {
    name: 'ipsec/udp4500-esp',
    seeds: () => [...captureSeeds(), ...espSeeds()],
    maxBytes: 700,
    run(packets) {
      const inbound = espKeys.map((k) => new EspInbound(k, 64));
      const seeds = new Set(espSeeds().map((s) => Buffer.from(s).toString('hex')));
      const delivered = inbound.map(() => new Set<string>());
      // Every datagram arrives twice: the second copy is a replay.
      for (const b of packets.flatMap((p) => [p, p])) {
        const c = classifyUdp4500(b);
        if (c.kind !== 'esp') continue;
        inbound.forEach((inb, i) => {
          const r = inb.open(c.esp);
          if (!r.ok) return;
          // Only a packet we sealed ourselves can be delivered, and only once.
          const hex = Buffer.from(c.esp).toString('hex');
          check(seeds.has(hex), 'a forged ESP packet was delivered');
          check(!delivered[i]!.has(hex), 'a replayed ESP packet was delivered');
          delivered[i]!.add(hex);
        });
      }
    },
  },
  {
    name: 'ipsec/main-mode-responder',
    seeds: () => [...exchange().requests, ...captureSeeds()],
    maxBytes: 1200,
    maxPackets: 8,
    run(packets) {
      const res = new MainModeResponder({ psk: PSK, policy: DEFAULT_PHASE1_POLICY, local: ep(1, 500), remote: ep(2, 500) }, seededRng(2));
      const good = exchange().requests;
      packets.forEach((b, i) => {
        checkOutputs(res.handle({ type: 'packet', bytes: b }, i * 100), 'responder');
        // Interleave the real next request, so hostile input meets every state.
        const real = good[i];
        if (real) checkOutputs(res.handle({ type: 'packet', bytes: real }, i * 100 + 1), 'responder');
      });
      checkOutputs(res.handle({ type: 'timeout' }, 1e9), 'responder timeout');
      // Nothing half-open outlives the negotiation deadline.
      check(res.state === 'MAIN_R3' || res.state === 'failed' || (res.state === 'MAIN_R0' && res.initiatorCookie === undefined), `half-open responder in ${res.state} after its deadline`);
    },
  },
  {
    name: 'ipsec/main-mode-initiator',
    seeds: () => [...exchange().replies, ...captureSeeds()],
    maxBytes: 1200,
    maxPackets: 8,
    run(packets) {
      const ini = new MainModeInitiator({ psk: PSK, suites: DEFAULT_PHASE1_POLICY.suites.slice(0, 3), lifetimeSeconds: 3600, local: ep(2, 500), remote: ep(1, 500) }, seededRng(1));
      checkOutputs(ini.handle({ type: 'start' }, 0), 'initiator');
      const good = exchange().replies;
      packets.forEach((b, i) => {
        checkOutputs(ini.handle({ type: 'packet', bytes: b }, i * 100), 'initiator');
        const real = good[i];
        if (real) checkOutputs(ini.handle({ type: 'packet', bytes: real }, i * 100 + 1), 'initiator');
      });
      for (let t = 0; t < 10; t++) checkOutputs(ini.handle({ type: 'timeout' }, 1e6 * (t + 1)), 'initiator timeout');
    },
  },
  {
    name: 'ipsec/quick-mode-responder',
    seeds: () => quickModeExchange().requests,
    maxBytes: 1200,
    maxPackets: 6,
    run(packets) {
      const x = quickModeExchange();
      const res = newQuickModeResponder(x.pair);
      packets.forEach((b, i) => {
        const outs = res.handle({ type: 'packet', bytes: b }, i);
        check(outs.filter((o) => o.kind === 'send').length <= 1, 'more than one datagram for one input');
        const real = x.requests[i];
        if (real) res.handle({ type: 'packet', bytes: real }, i);
      });
      res.handle({ type: 'timeout' }, 1e9);
      check(res.state === 'QUICK_R2' || res.state === 'failed' || (res.state === 'QUICK_R0' && res.messageId === undefined), `quick mode left in ${res.state} after its deadline`);
    },
  },
  {
    name: 'ipsec/responder-endpoint',
    seeds: () => [...exchange().requests, ...captureSeeds(), ...espSeeds()],
    maxBytes: 1200,
    maxPackets: 12,
    run(packets) {
      const ep = new IpsecResponderEndpoint({ psk: PSK, phase1: DEFAULT_PHASE1_POLICY, esp: DEFAULT_ESP_POLICY, localAddress: '10.0.0.1', maxHalfOpenPerSource: 3, maxHalfOpen: 5 }, seededRng(3));
      packets.forEach((b, i) => {
        // Four sources, both ports; the byte count picks them so mutations move packets around.
        const from = { address: `10.0.0.${2 + (b.length % 4)}`, port: 500 + (i % 3) };
        const outs = ep.datagram(i % 2 === 0 ? 500 : 4500, from, b, i);
        check(outs.filter((o) => o.kind === 'send' || o.kind === 'send-esp').length <= 2, 'more than two datagrams for one input');
        // No PSK-authenticated exchange can complete here (other cookies), so every IKE SA is half-open: at most maxHalfOpen.
        check(ep.ikeSaCount <= 5, `${ep.ikeSaCount} IKE SAs beyond the half-open limit`);
      });
      ep.timeout(1e9);
      check(ep.ikeSaCount === 0 || ep.nextDeadline() === undefined, 'half-open SAs outlive their deadline');
    },
  },
  {
    name: 'ipsec/established-pair',
    seeds: () => [...exchange().requests, ...exchange().replies, ...captureSeeds(), ...espSeeds()],
    maxBytes: 1200,
    maxPackets: 10,
    run(packets) {
      // Our client and server endpoints connect, then hostile datagrams hit both on both ports; the session must survive.
      const server = new IpsecResponderEndpoint({ psk: PSK, phase1: DEFAULT_PHASE1_POLICY, esp: DEFAULT_ESP_POLICY, localAddress: '10.0.0.1' }, seededRng(4));
      const client = new IpsecInitiatorEndpoint({ psk: PSK, local: ep(2, 500), server: ep(1, 500), ikeSuites: DEFAULT_PHASE1_POLICY.suites.slice(0, 2), espSuites: DEFAULT_ESP_POLICY.suites.slice(0, 2) }, seededRng(5));
      const peerOf = (port: 500 | 4500) => ({ address: '10.0.0.2', port });
      const l2tpAtServer: { address: string; port: number }[] = [];
      let l2tpAtClient = 0;
      const toServer = (outs: IpsecInitiatorOutput[]): void => {
        for (const o of outs) {
          if (o.kind === 'send') toClient(server.datagram(o.localPort, peerOf(o.localPort), o.bytes, 0));
          else if (o.kind === 'l2tp') l2tpAtClient++;
        }
      };
      const toClient = (outs: IpsecEndpointOutput[]): void => {
        for (const o of outs) {
          if (o.kind === 'send') toServer(client.datagram(o.localPort, o.bytes, 0));
          else if (o.kind === 'l2tp') l2tpAtServer.push(o.peer);
        }
      };
      toServer(client.start(0));
      check(client.state === 'up', `clean handshake did not come up: ${client.state}`);
      packets.forEach((b, i) => {
        const port: 500 | 4500 = i % 2 === 0 ? 4500 : 500;
        const c = client.datagram(port, b, 1);
        const sv = server.datagram(port, { address: i % 3 === 0 ? '10.0.0.2' : '10.0.0.9', port }, b, 1);
        check(c.filter((o) => o.kind === 'send').length <= 1 && sv.filter((o) => o.kind === 'send').length <= 1, 'amplification');
        check(!c.some((o) => o.kind === 'l2tp') && !sv.some((o) => o.kind === 'l2tp' && o.peer.address !== '10.0.0.2'), 'a forged datagram reached L2TP');
      });
      check(client.state === 'up', `hostile input brought the client down: ${client.state}`);
      toServer(client.sendL2tp(Uint8Array.of(0xc8, 2, 0, 12, 0, 1, 0, 0, 0, 0, 0, 0)));
      check(l2tpAtServer.length >= 1, 'L2TP from the client no longer arrives');
      toClient(server.sendL2tp(l2tpAtServer[l2tpAtServer.length - 1]!, Uint8Array.of(0xc8, 2, 0, 12, 0, 2, 0, 0, 0, 0, 0, 0)));
      check(l2tpAtClient >= 1, 'L2TP from the server no longer arrives');
    },
  },
];
