import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../core/rng.js';
import { toHex } from '../wire/hex.js';
import { encodeL2tp } from '../l2tp/header.js';
import { DH_GROUP, ESP_TRANSFORM, EXCHANGE, P1_ENCR, P1_HASH, P2_AUTH } from './constants.js';
import { EspInbound, EspOutbound } from './esp.js';
import { DEFAULT_ESP_POLICY } from './esp-proposals.js';
import { deletePayload, dpdPayload, openInformational, sealInformational } from './informational.js';
import { encodeIsakmpMessage, parseIsakmpMessage } from './isakmp.js';
import { MainModeInitiator } from './main-mode-initiator.js';
import { DEFAULT_PHASE1_POLICY, phase1Offer } from './phase1-proposals.js';
import { QuickModeInitiator } from './quick-mode-initiator.js';
import { IpsecResponderEndpoint, type IpsecEndpointOutput, type IpsecPeer, type IpsecResponderOptions } from './responder-endpoint.js';
import { classifyUdp4500, encodeIkeOverUdp4500 } from './udp-encap.js';

const SERVER = '203.0.113.1';
const NAT_PUBLIC = '198.51.100.7';
const ip = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));

function endpoint(extra: Partial<IpsecResponderOptions> = {}): IpsecResponderEndpoint {
  return new IpsecResponderEndpoint({ psk: new TextEncoder().encode('shared psk'), phase1: DEFAULT_PHASE1_POLICY, esp: DEFAULT_ESP_POLICY, localAddress: SERVER, ...extra }, seededRng(99));
}

/**
 * One client behind a NAT: our initiators, its private address, and the NAT
 * ports its 500 and 4500 traffic gets. Datagrams go through the endpoint
 * synchronously; what the endpoint sends back to this client's NAT ports is
 * delivered to it.
 */
class NattedClient {
  readonly mm: MainModeInitiator;
  qm: QuickModeInitiator | undefined;
  inbound: EspInbound | undefined;
  outbound: EspOutbound | undefined;
  l2tpFromServer: Uint8Array[] = [];
  constructor(
    readonly ep: IpsecResponderEndpoint,
    readonly privateAddress: string,
    readonly natPort500: number,
    readonly natPort4500: number,
    seed: number,
    readonly log: IpsecEndpointOutput[],
  ) {
    this.mm = new MainModeInitiator({ psk: new TextEncoder().encode('shared psk'), suites: [{ encryption: P1_ENCR.AES_CBC, keyLengthBits: 256, hash: P1_HASH.SHA1, group: DH_GROUP.ECP_384 }], lifetimeSeconds: 28800, local: { address: ip(privateAddress), port: 500 }, remote: { address: ip(SERVER), port: 500 } }, seededRng(seed));
  }

  /** The peer the server sees after the float. */
  get seenAs(): IpsecPeer {
    return { address: NAT_PUBLIC, port: this.natPort4500 };
  }

  /** Sends an IKE message the way the initiator's state says (4500 once floated) and processes the answers. */
  sendIke(bytes: Uint8Array, floated: boolean): void {
    this.sentIke.push(bytes);
    const outs = floated ? this.ep.datagram(4500, { address: NAT_PUBLIC, port: this.natPort4500 }, encodeIkeOverUdp4500(bytes), 0) : this.ep.datagram(500, { address: NAT_PUBLIC, port: this.natPort500 }, bytes, 0);
    this.deliver(outs);
  }

  deliver(outs: IpsecEndpointOutput[]): void {
    for (const o of outs) {
      this.log.push(o);
      if (o.kind !== 'send') continue;
      assert.equal(o.to.address, NAT_PUBLIC);
      assert.ok(o.to.port === this.natPort500 || o.to.port === this.natPort4500, `sent to port ${o.to.port}, not this client`);
      let bytes = o.bytes;
      if (o.localPort === 4500) {
        const c = classifyUdp4500(bytes);
        if (c.kind === 'esp') {
          const r = this.inbound!.open(c.esp);
          assert.ok(r.ok, JSON.stringify(r));
          this.l2tpFromServer.push(r.payload.subarray(8));
          continue;
        }
        assert.equal(c.kind, 'ike');
        bytes = (c as { ike: Uint8Array }).ike;
      }
      const m = parseIsakmpMessage(bytes);
      assert.ok(m.ok);
      if (m.value.header.exchangeType === EXCHANGE.IDENTITY_PROTECTION) this.answer(this.mm.handle({ type: 'packet', bytes }, 0), true);
      else if (m.value.header.exchangeType === EXCHANGE.QUICK_MODE) this.answer(this.qm!.handle({ type: 'packet', bytes }, 0), true);
      else this.informational.push(bytes);
    }
  }

  informational: Uint8Array[] = [];
  /** Every IKE message this client sent (what an eavesdropper could replay). */
  sentIke: Uint8Array[] = [];

  private answer(outs: { kind: string; bytes?: Uint8Array }[], floatedIfNat: boolean): void {
    for (const o of outs) if (o.kind === 'send') this.sendIke(o.bytes!, floatedIfNat && this.mm.floated);
  }

  connect(): void {
    const first = this.mm.handle({ type: 'start' }, 0);
    this.answer(first, false);
    assert.equal(this.mm.state, 'MAIN_I4');
    this.qm = new QuickModeInitiator({ p1: this.mm.sa!, suites: [{ transformId: ESP_TRANSFORM.AES_CBC, keyLengthBits: 128, auth: P2_AUTH.HMAC_SHA1 }], lifetimeSeconds: 3600, local: { address: ip(this.privateAddress), port: 500 }, remote: { address: ip(SERVER), port: 500 }, ourSpi: Uint8Array.of(0xc1, 0, 0, this.natPort500 & 0xff) }, seededRng(this.natPort500));
    this.answer(this.qm.handle({ type: 'start' }, 0), true);
    assert.equal(this.qm.state, 'QUICK_I2');
    this.inbound = new EspInbound(this.qm.child!.inbound);
    this.outbound = new EspOutbound(this.qm.child!.outbound, seededRng(3));
  }

  /** An L2TP datagram to the server, inner UDP 1701 → 1701, through ESP in UDP 4500. */
  sendL2tp(l2tp: Uint8Array, now = 0): IpsecEndpointOutput[] {
    const udp = new Uint8Array(8 + l2tp.length);
    udp.set([0x06, 0xa5, 0x06, 0xa5, (udp.length >> 8) & 0xff, udp.length & 0xff, 0, 0]);
    udp.set(l2tp, 8);
    return this.ep.datagram(4500, this.seenAs, this.outbound!.seal(udp, 17)!, now);
  }
}

const zlb = (tunnelId: number) => encodeL2tp({ isControl: true, tunnelId, sessionId: 0, ns: 0, nr: 0, priority: false }, new Uint8Array(0));

test('two clients behind one NAT: each its own IKE SA, ESP SAs and L2TP peer; L2TP flows both ways to the right one', () => {
  const ep = endpoint();
  const log: IpsecEndpointOutput[] = [];
  const a = new NattedClient(ep, '192.168.1.10', 31337, 40500, 1, log);
  const b = new NattedClient(ep, '192.168.1.11', 31338, 40501, 2, log);
  a.connect();
  b.connect();
  assert.equal(ep.ikeSaCount, 2);
  assert.equal(ep.espSaCount, 2);
  const fromA = a.sendL2tp(zlb(1));
  const fromB = b.sendL2tp(zlb(2));
  assert.deepEqual(fromA.map((o) => o.kind), ['l2tp']);
  const la = fromA[0] as Extract<IpsecEndpointOutput, { kind: 'l2tp' }>;
  const lb = fromB[0] as Extract<IpsecEndpointOutput, { kind: 'l2tp' }>;
  assert.deepEqual(la.peer, { address: NAT_PUBLIC, port: 40500 });
  assert.deepEqual(lb.peer, { address: NAT_PUBLIC, port: 40501 });
  assert.equal(toHex(la.bytes), toHex(zlb(1)));
  // Answers go through each client's own SA to its own NAT port.
  a.deliver(ep.sendL2tp(la.peer, zlb(101)));
  b.deliver(ep.sendL2tp(lb.peer, zlb(102)));
  assert.equal(toHex(a.l2tpFromServer[0]!), toHex(zlb(101)));
  assert.equal(toHex(b.l2tpFromServer[0]!), toHex(zlb(102)));
  // NAT detected and reported in the Phase 1 event.
  const p1 = log.filter((o) => o.kind === 'phase1');
  assert.equal(p1.length, 2);
  assert.ok(p1.every((o) => o.kind === 'phase1' && o.event.type === 'established' && o.event.sa.nat.peerBehindNat));
});

test('the same ESP packet twice → the second is dropped as a replay; unknown SPI, keepalive, junk → dropped or ignored', () => {
  const ep = endpoint();
  const a = new NattedClient(ep, '192.168.1.10', 31337, 40500, 1, []);
  a.connect();
  const udp = Uint8Array.of(0x06, 0xa5, 0x06, 0xa5, 0, 20, 0, 0, ...zlb(5));
  const pkt = a.outbound!.seal(udp, 17)!;
  assert.equal(ep.datagram(4500, a.seenAs, pkt, 0)[0]!.kind, 'l2tp');
  assert.deepEqual(ep.datagram(4500, a.seenAs, pkt, 0), [{ kind: 'drop', reason: 'esp-replay' }]);
  const unknown = pkt.slice();
  unknown[0]! ^= 0xff;
  assert.equal((ep.datagram(4500, a.seenAs, unknown, 0)[0] as { reason: string }).reason, 'esp-unknown-spi');
  assert.deepEqual(ep.datagram(4500, a.seenAs, Uint8Array.of(0xff), 0), []);
  assert.equal((ep.datagram(500, a.seenAs, Uint8Array.of(1, 2, 3), 0)[0] as { reason: string }).reason, 'ike-malformed');
  assert.equal((ep.sendL2tp({ address: '192.0.2.1', port: 1701 }, zlb(1))[0] as { reason: string }).reason, 'l2tp-no-sa');
});

test('a client whose NAT mapping changes keeps its SA: authenticated ESP from the new port moves the peer', () => {
  const ep = endpoint();
  const a = new NattedClient(ep, '192.168.1.10', 31337, 40500, 1, []);
  a.connect();
  const udp = Uint8Array.of(0x06, 0xa5, 0x06, 0xa5, 0, 20, 0, 0, ...zlb(5));
  const out = ep.datagram(4500, { address: NAT_PUBLIC, port: 50000 }, a.outbound!.seal(udp, 17)!, 0);
  assert.deepEqual((out[0] as { peer: IpsecPeer }).peer, { address: NAT_PUBLIC, port: 50000 });
  const back = ep.sendL2tp({ address: NAT_PUBLIC, port: 50000 }, zlb(9));
  assert.deepEqual((back[0] as { to: IpsecPeer }).to, { address: NAT_PUBLIC, port: 50000 });
});

test('DPD: R-U-THERE is answered with R-U-THERE-ACK carrying the same sequence number', () => {
  const ep = endpoint();
  const a = new NattedClient(ep, '192.168.1.10', 31337, 40500, 1, []);
  a.connect();
  a.sendIke(sealInformational(a.mm.sa!, 77, [dpdPayload(a.mm.sa!, false, 4242)]), true);
  assert.equal(a.informational.length, 1);
  const m = parseIsakmpMessage(a.informational[0]!);
  assert.ok(m.ok);
  const r = openInformational(a.mm.sa!, m.value);
  assert.ok(r.ok);
  const n = r.payloads[0]!;
  assert.ok(n.kind === 'notify' && n.notify.notifyType === 36137);
  assert.deepEqual(Array.from(n.notify.data), [0, 0, 0x10, 0x92]);
});

test('Delete: of the ESP SA removes the pair; of the ISAKMP SA removes everything of that client only', () => {
  const ep = endpoint();
  const log: IpsecEndpointOutput[] = [];
  const a = new NattedClient(ep, '192.168.1.10', 31337, 40500, 1, log);
  const b = new NattedClient(ep, '192.168.1.11', 31338, 40501, 2, log);
  a.connect();
  b.connect();
  const aSpi = a.qm!.child!.inbound.spi;
  a.sendIke(sealInformational(a.mm.sa!, 5, [deletePayload(a.mm.sa!, [Uint8Array.of(aSpi >>> 24, (aSpi >>> 16) & 0xff, (aSpi >>> 8) & 0xff, aSpi & 0xff)])]), true);
  assert.equal(ep.espSaCount, 1);
  assert.equal((ep.sendL2tp(a.seenAs, zlb(1))[0] as { reason: string }).reason, 'l2tp-no-sa');
  b.sendIke(sealInformational(b.mm.sa!, 6, [deletePayload(b.mm.sa!)]), true);
  assert.equal(ep.espSaCount, 0);
  assert.equal(ep.ikeSaCount, 1);
  assert.deepEqual(log.filter((o) => o.kind === 'deleted').map((o) => o.kind === 'deleted' && [o.peer.port, o.isakmp, o.cause]), [[40500, false, 'peer-delete'], [40501, true, 'peer-delete']]);
});

test('half-open limit per source: the 9th new negotiation from one address is dropped; others still served; timeouts reap them', () => {
  const ep = endpoint();
  const header = (i: number) => ({ initiatorCookie: Uint8Array.of(9, 9, 9, 9, 0, 0, 0, i), responderCookie: new Uint8Array(8), majorVersion: 1, minorVersion: 0, exchangeType: EXCHANGE.IDENTITY_PROTECTION, flags: 0, messageId: 0 });
  const mm1 = (i: number) => encodeIsakmpMessage({ header: header(i), payloads: [{ kind: 'sa', sa: phase1Offer(DEFAULT_PHASE1_POLICY.suites.slice(0, 1), 3600) }] });
  for (let i = 0; i < 8; i++) assert.equal(ep.datagram(500, { address: '192.0.2.66', port: 500 + i }, mm1(i), 0)[0]!.kind, 'send');
  assert.deepEqual(ep.datagram(500, { address: '192.0.2.66', port: 600 }, mm1(8), 0), [{ kind: 'drop', reason: 'ike-half-open-limit', detail: '192.0.2.66' }]);
  assert.equal(ep.datagram(500, { address: '192.0.2.67', port: 500 }, mm1(9), 0)[0]!.kind, 'send');
  // A repeat of a message 1 is answered by its machine, not counted as new.
  assert.equal(ep.datagram(500, { address: '192.0.2.66', port: 500 }, mm1(0), 0)[0]!.kind, 'send');
  assert.equal(ep.ikeSaCount, 9);
  const deadline = ep.nextDeadline()!;
  const reaped = ep.timeout(deadline);
  assert.equal(reaped.filter((o) => o.kind === 'phase1' && o.event.type === 'failed' && o.event.reason === 'timeout').length, 9);
  assert.equal(ep.ikeSaCount, 0);
  // Reaped negotiations no longer count against the source.
  assert.equal(ep.datagram(500, { address: '192.0.2.66', port: 700 }, mm1(10), deadline)[0]!.kind, 'send');
});

test('half-open counting: an established SA stops counting, so clients behind one NAT connect one after another under a limit of 1', () => {
  const ep = endpoint({ maxHalfOpenPerSource: 1 });
  const a = new NattedClient(ep, '192.168.1.10', 31337, 40500, 1, []);
  const b = new NattedClient(ep, '192.168.1.11', 31338, 40501, 2, []);
  a.connect();
  b.connect();
  assert.equal(ep.ikeSaCount, 2);
});

test('forged Quick Mode messages (right cookies, wrong keys) leave no machine behind', () => {
  // DPD far away, so the next deadline is the ESP lifetime (1 h) unless a Quick Mode machine (30 s) stayed.
  const ep = endpoint({ dpdDelayMs: 1e9, dpdTimeoutMs: 2e9 });
  const a = new NattedClient(ep, '192.168.1.10', 31337, 40500, 1, []);
  a.connect();
  const sa = a.mm.sa!;
  for (let mid = 1; mid <= 50; mid++) {
    const forged = encodeIsakmpMessage({ header: { initiatorCookie: sa.initiatorCookie, responderCookie: sa.responderCookie, majorVersion: 1, minorVersion: 0, exchangeType: EXCHANGE.QUICK_MODE, flags: 1, messageId: mid }, payloads: [{ kind: 'raw', type: 8, data: new Uint8Array(44).fill(mid) }] });
    const out = ep.datagram(4500, a.seenAs, encodeIkeOverUdp4500(forged), 0);
    assert.deepEqual(out.map((o) => o.kind), ['drop']);
  }
  assert.equal(ep.nextDeadline(), 3_600_000);
});

test('DPD: a silent client is probed with R-U-THERE after the delay and removed at the timeout; traffic keeps it alive', () => {
  const ep = endpoint({ dpdDelayMs: 10_000, dpdTimeoutMs: 35_000 });
  const log: IpsecEndpointOutput[] = [];
  const a = new NattedClient(ep, '192.168.1.10', 31337, 40500, 1, log);
  a.connect();
  assert.equal(ep.nextDeadline(), 10_000);
  const probe = ep.timeout(10_000);
  assert.equal(probe.length, 1);
  a.deliver(probe);
  const m = parseIsakmpMessage(a.informational.pop()!);
  assert.ok(m.ok);
  const r = openInformational(a.mm.sa!, m.value);
  assert.ok(r.ok && r.payloads[0]!.kind === 'notify' && r.payloads[0]!.notify.notifyType === 36136);
  // ESP from the client at 15 s counts as life: no probe at 20 s, the next one 10 s after it.
  assert.equal(a.sendL2tp(zlb(1), 15_000)[0]!.kind, 'l2tp');
  assert.deepEqual(ep.timeout(20_000), []);
  assert.equal(ep.timeout(25_000).length, 1);
  assert.equal(ep.timeout(35_000).length, 1);
  const gone = ep.timeout(50_000);
  assert.deepEqual(gone.map((o) => o.kind === 'deleted' && o.cause), ['dpd-timeout']);
  assert.equal(ep.ikeSaCount, 0);
  assert.equal(ep.espSaCount, 0);
});

test('lifetimes: the ESP pair ends at its lifetime with a Delete to the peer, the ISAKMP SA at its own', () => {
  const ep = endpoint({ dpdDelayMs: 1e12, dpdTimeoutMs: 2e12 });
  const a = new NattedClient(ep, '192.168.1.10', 31337, 40500, 1, []);
  a.connect();
  const atChild = ep.nextDeadline()!;
  assert.equal(atChild, 3_600_000);
  const out = ep.timeout(atChild);
  assert.deepEqual(out.map((o) => o.kind), ['send', 'deleted']);
  a.deliver([out[0]!]);
  const del = parseIsakmpMessage(a.informational.pop()!);
  assert.ok(del.ok);
  const r = openInformational(a.mm.sa!, del.value);
  assert.ok(r.ok && r.payloads[0]!.kind === 'delete' && r.payloads[0]!.delete.spis[0]![3] === (a.qm!.child!.outbound.spi & 0xff));
  assert.equal(ep.espSaCount, 0);
  assert.equal(ep.nextDeadline(), 28_800_000);
  assert.deepEqual(ep.timeout(28_800_000).map((o) => o.kind === 'deleted' ? o.cause : o.kind), ['send', 'lifetime']);
  assert.equal(ep.ikeSaCount, 0);
});

test('forceEncapsulation (default on): a client without NAT still floats and gets ESP in UDP 4500; off: raw ESP both ways', () => {
  const forced = endpoint();
  const c = new NattedClient(forced, NAT_PUBLIC, 500, 4500, 3, []);
  c.connect();
  assert.equal(c.mm.floated, true);
  assert.equal(c.qm!.child!.udpEncapsulated, true);
  const l = c.sendL2tp(zlb(1));
  assert.equal(l[0]!.kind, 'l2tp');
  assert.equal(forced.sendL2tp((l[0] as { peer: IpsecPeer }).peer, zlb(2))[0]!.kind, 'send');

  const raw = new IpsecResponderEndpoint({ psk: new TextEncoder().encode('shared psk'), phase1: DEFAULT_PHASE1_POLICY, esp: DEFAULT_ESP_POLICY, localAddress: SERVER, forceEncapsulation: false }, seededRng(99));
  const d = new NattedClient(raw, NAT_PUBLIC, 500, 4500, 4, []);
  d.connect();
  assert.equal(d.mm.floated, false);
  assert.equal(d.qm!.child!.udpEncapsulated, false);
  const udp = Uint8Array.of(0x06, 0xa5, 0x06, 0xa5, 0, 20, 0, 0, ...zlb(7));
  const got = raw.rawEsp(NAT_PUBLIC, d.outbound!.seal(udp, 17)!, 0);
  assert.deepEqual((got[0] as { peer: IpsecPeer }).peer, { address: NAT_PUBLIC, port: 1701 });
  const back = raw.sendL2tp({ address: NAT_PUBLIC, port: 1701 }, zlb(8));
  assert.equal(back[0]!.kind, 'send-esp');
  const opened = d.inbound!.open((back[0] as { bytes: Uint8Array }).bytes);
  assert.ok(opened.ok && toHex(opened.payload.subarray(8)) === toHex(zlb(8)));
});

test('PSK by peer address (ipsec.secrets style): the right key per client; an address without one is refused with ike-no-psk', () => {
  const keys = new Map([['198.51.100.7', new TextEncoder().encode('shared psk')]]);
  const ep = endpoint({ psk: (peer) => keys.get(peer.address) });
  const a = new NattedClient(ep, '192.168.1.10', 31337, 40500, 1, []);
  a.connect();
  assert.equal(ep.ikeSaCount, 1);
  const header = { initiatorCookie: Uint8Array.of(7, 7, 7, 7, 7, 7, 7, 7), responderCookie: new Uint8Array(8), majorVersion: 1, minorVersion: 0, exchangeType: EXCHANGE.IDENTITY_PROTECTION, flags: 0, messageId: 0 };
  const mm1 = encodeIsakmpMessage({ header, payloads: [{ kind: 'sa', sa: phase1Offer(DEFAULT_PHASE1_POLICY.suites.slice(0, 1), 3600) }] });
  assert.deepEqual(ep.datagram(500, { address: '192.0.2.200', port: 500 }, mm1, 0), [{ kind: 'drop', reason: 'ike-no-psk', detail: '192.0.2.200' }]);
  assert.equal(ep.ikeSaCount, 1);
});

test('a captured Quick Mode message 1 or Informational replayed from another address → dropped as ike-replay: no new child SA, the peer stays where it is', () => {
  const ep = endpoint();
  const a = new NattedClient(ep, '192.168.1.10', 31337, 40500, 1, []);
  a.connect();
  assert.equal(ep.espSaCount, 1);
  const qm1 = a.sentIke.find((b) => {
    const m = parseIsakmpMessage(b);
    return m.ok && m.value.header.exchangeType === EXCHANGE.QUICK_MODE;
  })!;
  assert.ok(qm1, 'the client sent a Quick Mode message');
  const attacker: IpsecPeer = { address: '192.0.2.66', port: 4500 };
  for (let i = 0; i < 5; i++) {
    const outs = ep.datagram(4500, attacker, encodeIkeOverUdp4500(qm1), 0);
    assert.deepEqual(outs.map((o) => (o.kind === 'drop' ? o.reason : o.kind)), ['ike-replay']);
  }
  assert.equal(ep.espSaCount, 1, 'no child SA added by the replays');
  const back = ep.sendL2tp(a.seenAs, zlb(9));
  assert.deepEqual((back[0] as { to: IpsecPeer }).to, a.seenAs, 'answers still go to the real client');
});
