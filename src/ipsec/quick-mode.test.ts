import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../core/rng.js';
import { toHex } from '../wire/hex.js';
import { BEHIND_NAT, DIRECT, ip, phase1Pair, type PairEndpoints } from '../../test/ipsec/phase1-pair.js';
import { ENCAPSULATION, ESP_TRANSFORM, ID_TYPE, NOTIFY, P2_AUTH } from './constants.js';
import { l2tpSelectorProblem } from './child-sa.js';
import { EspInbound, EspOutbound } from './esp.js';
import { DEFAULT_ESP_POLICY, type EspPolicy, type EspProposalSuite } from './esp-proposals.js';
import { findPayload, parseIsakmpMessage } from './isakmp.js';
import { openInformational } from './informational.js';
import { QuickModeInitiator } from './quick-mode-initiator.js';
import { QuickModeResponder, type Phase2Event, type QuickModeOutput } from './quick-mode-responder.js';

const GCM128: EspProposalSuite = { transformId: ESP_TRANSFORM.AES_GCM_16, keyLengthBits: 128 };
const CBC128_SHA1: EspProposalSuite = { transformId: ESP_TRANSFORM.AES_CBC, keyLengthBits: 128, auth: P2_AUTH.HMAC_SHA1 };
const CBC256_SHA256: EspProposalSuite = { transformId: ESP_TRANSFORM.AES_CBC, keyLengthBits: 256, auth: P2_AUTH.HMAC_SHA2_256 };
const DES3_SHA1: EspProposalSuite = { transformId: ESP_TRANSFORM['3DES'], auth: P2_AUTH.HMAC_SHA1 };

interface QmRun {
  ini: QuickModeInitiator;
  res: QuickModeResponder;
  events: { side: 'I' | 'R'; event: Phase2Event }[];
  drops: string[];
  toInitiator: Uint8Array[];
}

function quickMode(opts: { ends?: PairEndpoints; suites?: EspProposalSuite[]; pfsGroup?: number; policy?: EspPolicy; clientIdAddress?: Uint8Array; lose?: number[] } = {}): QmRun {
  const ends = opts.ends ?? DIRECT;
  const { client, server } = phase1Pair(ends);
  const ini = new QuickModeInitiator({ p1: client, suites: opts.suites ?? [CBC128_SHA1], ...(opts.pfsGroup !== undefined ? { pfsGroup: opts.pfsGroup } : {}), lifetimeSeconds: 3600, local: { ...ends.clientLocal, address: opts.clientIdAddress ?? ends.clientLocal.address }, remote: ends.server, ourSpi: Uint8Array.of(0xc1, 0, 0, 1) }, seededRng(5));
  const res = new QuickModeResponder({ p1: server, policy: opts.policy ?? DEFAULT_ESP_POLICY, local: ends.server, remote: ends.clientSeen, ourSpi: Uint8Array.of(0x5e, 0, 0, 2) }, seededRng(6));
  const run: QmRun = { ini, res, events: [], drops: [], toInitiator: [] };
  const queue: { toResponder: boolean; bytes: Uint8Array }[] = [];
  let n = 0;
  const take = (side: 'I' | 'R', outs: QuickModeOutput[]): void => {
    for (const o of outs) {
      if (o.kind === 'event') run.events.push({ side, event: o.event });
      else if (o.kind === 'drop') run.drops.push(`${side}:${o.reason}`);
      else {
        n++;
        if (side === 'R') run.toInitiator.push(o.bytes);
        if (!opts.lose?.includes(n)) queue.push({ toResponder: side === 'I', bytes: o.bytes });
      }
    }
  };
  let now = 0;
  take('I', ini.handle({ type: 'start' }, now));
  for (let guard = 0; guard < 50; guard++) {
    const q = queue.shift();
    if (q) {
      take(q.toResponder ? 'R' : 'I', q.toResponder ? res.handle({ type: 'packet', bytes: q.bytes }, now) : ini.handle({ type: 'packet', bytes: q.bytes }, now));
      continue;
    }
    const next = Math.min(ini.nextDeadline() ?? Infinity, res.nextDeadline() ?? Infinity);
    if (next === Infinity) break;
    now = next;
    take('I', ini.handle({ type: 'timeout' }, now));
    take('R', res.handle({ type: 'timeout' }, now));
  }
  return run;
}

/** ESP both ways through the negotiated SAs. */
function espBothWays(run: QmRun): void {
  const i = run.ini.child!;
  const r = run.res.child!;
  assert.equal(i.outbound.spi, r.inbound.spi);
  assert.equal(i.inbound.spi, r.outbound.spi);
  assert.equal(toHex(i.outbound.encKey), toHex(r.inbound.encKey));
  assert.notEqual(toHex(i.outbound.encKey), toHex(i.inbound.encKey));
  const payload = new TextEncoder().encode('UDP 1701 → L2TP');
  const up = new EspInbound(r.inbound).open(new EspOutbound(i.outbound, seededRng(1)).seal(payload, 17)!);
  const down = new EspInbound(i.inbound).open(new EspOutbound(r.outbound, seededRng(2)).seal(payload, 17)!);
  assert.ok(up.ok && down.ok);
  assert.equal(toHex(up.payload), toHex(payload));
}

for (const [name, suite] of [['aes128gcm16', GCM128], ['aes128-sha1', CBC128_SHA1], ['aes256-sha256', CBC256_SHA256], ['3des-sha1', DES3_SHA1]] as const) {
  for (const pfsGroup of [undefined, 14, 19]) {
    test(`QUICK_R0: ${name}${pfsGroup ? ` with PFS group ${pfsGroup}` : ''} → both established, ESP keys match crosswise, ESP flows both ways`, () => {
      const run = quickMode({ suites: [suite], ...(pfsGroup !== undefined ? { pfsGroup } : {}) });
      assert.deepEqual(run.events.map((e) => `${e.side}:${e.event.type}`), ['R:inbound-ready', 'I:established', 'R:established']);
      assert.equal(run.res.state, 'QUICK_R2');
      assert.equal(run.ini.state, 'QUICK_I2');
      assert.equal(run.res.child!.choice.pfsGroup, pfsGroup);
      assert.equal(run.res.child!.choice.encapsulation, ENCAPSULATION.TRANSPORT);
      assert.deepEqual(run.drops, []);
      espBothWays(run);
    });
  }
}

test('QUICK_R0: behind NAT → UDP-encapsulated transport (RFC 3947 mode 4), NAT-OA exchanged, the private address accepted as IDci', () => {
  const run = quickMode({ ends: BEHIND_NAT, suites: [GCM128] });
  const child = run.res.child!;
  assert.equal(child.udpEncapsulated, true);
  assert.equal(child.choice.encapsulation, ENCAPSULATION.UDP_TRANSPORT);
  assert.deepEqual(child.natOa.map((a) => Array.from(a).join('.')), ['192.168.1.10', '203.0.113.1']);
  assert.equal(Array.from(child.initiatorId.data).join('.'), '192.168.1.10');
  espBothWays(run);
});

test('QUICK_R0: a client claiming another address without a NAT → refused, INVALID-ID-INFORMATION sent encrypted', () => {
  const run = quickMode({ clientIdAddress: ip('10.9.9.9') });
  const r = run.events.find((e) => e.side === 'R')!.event;
  assert.ok(r.type === 'failed' && r.reason === 'ts-unacceptable' && /not the peer's address/.test(r.detail ?? ''), JSON.stringify(r));
  const info = parseIsakmpMessage(run.toInitiator[0]!);
  assert.ok(info.ok);
  const opened = openInformational(phase1Pair().client, info.value);
  assert.ok(opened.ok, JSON.stringify(opened));
  assert.equal(findPayload(opened.payloads, 'notify')!.notify.notifyType, NOTIFY.INVALID_ID_INFORMATION);
  assert.equal(run.ini.state, 'failed');
});

test('QUICK_R0: nothing acceptable (SHA2 CBC offered to a GCM-only policy; no PFS where required) → NO-PROPOSAL-CHOSEN with the offer', () => {
  const run = quickMode({ suites: [CBC256_SHA256], policy: { ...DEFAULT_ESP_POLICY, suites: [GCM128] } });
  const r = run.events.find((e) => e.side === 'R')!.event;
  assert.ok(r.type === 'failed' && r.reason === 'no-proposal-chosen' && r.detail === 'peer offered aes256-sha256', JSON.stringify(r));
  const pfs = quickMode({ suites: [GCM128], policy: { ...DEFAULT_ESP_POLICY, pfs: 'require' } });
  const p = pfs.events.find((e) => e.side === 'R')!.event;
  assert.ok(p.type === 'failed' && p.reason === 'no-proposal-chosen');
  const ok = quickMode({ suites: [GCM128], pfsGroup: 20, policy: { ...DEFAULT_ESP_POLICY, pfs: 'require' } });
  assert.equal(ok.res.state, 'QUICK_R2');
});

test('lost datagrams: message 1 or 2 lost once → retransmission and a repeated answer establish; 3 lost → inbound-ready keys still carry ESP', () => {
  for (const lost of [1, 2]) {
    const run = quickMode({ lose: [lost] });
    assert.equal(run.res.state, 'QUICK_R2', `lost ${lost}`);
    assert.equal(run.ini.state, 'QUICK_I2', `lost ${lost}`);
    espBothWays(run);
  }
  // Message 3 is never retransmitted: the responder's keys came with inbound-ready, so ESP still flows.
  const run = quickMode({ lose: [3] });
  assert.equal(run.ini.state, 'QUICK_I2');
  assert.deepEqual(run.events.filter((e) => e.side === 'R').map((e) => e.event.type), ['inbound-ready', 'failed']);
  espBothWays(run);
});

test('QUICK_R1: a damaged message (HASH or ciphertext) is dropped and changes nothing', () => {
  const { client, server } = phase1Pair();
  const ini = new QuickModeInitiator({ p1: client, suites: [GCM128], lifetimeSeconds: 3600, local: DIRECT.clientLocal, remote: DIRECT.server, ourSpi: Uint8Array.of(1, 2, 3, 4) }, seededRng(1));
  const res = new QuickModeResponder({ p1: server, policy: DEFAULT_ESP_POLICY, local: DIRECT.server, remote: DIRECT.clientSeen, ourSpi: Uint8Array.of(5, 6, 7, 8) }, seededRng(2));
  const m1 = (ini.handle({ type: 'start' }, 0)[0] as { bytes: Uint8Array }).bytes;
  for (let at = 28; at < m1.length; at += 7) {
    const bad = m1.slice();
    bad[at]! ^= 0x40;
    const out = res.handle({ type: 'packet', bytes: bad }, 0);
    assert.deepEqual(out.map((o) => o.kind), ['drop'], `byte ${at}`);
    assert.equal(res.state, 'QUICK_R0');
  }
  assert.equal(res.handle({ type: 'packet', bytes: m1 }, 0)[0]!.kind, 'send');
  assert.equal(res.state, 'QUICK_R1');
});

test('l2tpSelectorProblem: UDP 1701 on the server side, 1701 or any on the client side, addresses unless behind NAT', () => {
  const id = (addr: string, port: number, proto = 17) => ({ idType: ID_TYPE.IPV4_ADDR, protocolId: proto, port, data: ip(addr) });
  const ctx = { local: DIRECT.server, remote: DIRECT.clientSeen, localBehindNat: false, peerBehindNat: false, server: 'us' as const };
  assert.equal(l2tpSelectorProblem(id('203.0.113.1', 1701), id('198.51.100.7', 1701), ctx), undefined);
  assert.equal(l2tpSelectorProblem(id('203.0.113.1', 1701), id('198.51.100.7', 0), ctx), undefined);
  assert.match(l2tpSelectorProblem(id('203.0.113.1', 0), id('198.51.100.7', 1701), ctx)!, /server selector .* not port 1701/);
  assert.match(l2tpSelectorProblem(id('203.0.113.1', 1701), id('198.51.100.7', 4000), ctx)!, /client selector/);
  assert.match(l2tpSelectorProblem(id('203.0.113.1', 1701, 6), id('198.51.100.7', 1701), ctx)!, /not UDP/);
  assert.match(l2tpSelectorProblem(undefined, undefined, ctx)!, /no traffic selectors/);
  assert.match(l2tpSelectorProblem({ idType: ID_TYPE.IPV4_ADDR_SUBNET, protocolId: 17, port: 1701, data: new Uint8Array(8) }, id('198.51.100.7', 1701), ctx)!, /single IPv4/);
  assert.equal(l2tpSelectorProblem(id('203.0.113.1', 1701), id('192.168.1.10', 1701), { ...ctx, peerBehindNat: true }), undefined);
});
