import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRng } from '../core/rng.js';
import { toHex } from '../wire/hex.js';
import { DH_GROUP, EXCHANGE, P1_ENCR, P1_HASH } from './constants.js';
import { encodeIsakmpMessage, parseIsakmpMessage } from './isakmp.js';
import { MainModeInitiator, type MainModeInitiatorConfig } from './main-mode-initiator.js';
import { MainModeResponder, type MainModeOutput, type MainModeResponderConfig, type Phase1Event } from './main-mode-responder.js';
import { DEFAULT_PHASE1_POLICY, phase1Offer, type Phase1Suite } from './phase1-proposals.js';
import type { Endpoint, Phase1Sa } from './phase1-sa.js';
import { KNOWN_VENDOR_IDS } from './vendor-ids.js';

const PSK = new TextEncoder().encode('correct horse battery staple 42');
const ip = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));
const SERVER: Endpoint = { address: ip('203.0.113.1'), port: 500 };
const CLIENT: Endpoint = { address: ip('198.51.100.7'), port: 500 };

/** Proposal sets the OS families send (issue 14), first suite first. */
const FAMILIES: [string, Phase1Suite[]][] = [
  ['Windows', [{ encryption: P1_ENCR.AES_CBC, keyLengthBits: 256, hash: P1_HASH.SHA1, group: DH_GROUP.ECP_384 }, { encryption: P1_ENCR.AES_CBC, keyLengthBits: 128, hash: P1_HASH.SHA1, group: DH_GROUP.ECP_256 }, { encryption: P1_ENCR.AES_CBC, keyLengthBits: 256, hash: P1_HASH.SHA1, group: DH_GROUP.MODP_2048 }]],
  ['macOS/iOS', [{ encryption: P1_ENCR.AES_CBC, keyLengthBits: 256, hash: P1_HASH.SHA2_256, group: DH_GROUP.MODP_2048 }, { encryption: P1_ENCR.AES_CBC, keyLengthBits: 128, hash: P1_HASH.SHA1, group: DH_GROUP.MODP_2048 }, { encryption: P1_ENCR['3DES_CBC'], hash: P1_HASH.SHA1, group: DH_GROUP.MODP_1024 }]],
  ['Android', [{ encryption: P1_ENCR.AES_CBC, keyLengthBits: 128, hash: P1_HASH.SHA1, group: DH_GROUP.MODP_1024 }, { encryption: P1_ENCR['3DES_CBC'], hash: P1_HASH.SHA1, group: DH_GROUP.MODP_1024 }]],
  ['ChromeOS', [{ encryption: P1_ENCR.AES_CBC, keyLengthBits: 128, hash: P1_HASH.SHA2_256, group: DH_GROUP.MODP_2048 }]],
];

interface Run {
  ini: MainModeInitiator;
  res: MainModeResponder;
  events: { side: 'I' | 'R'; event: Phase1Event }[];
  drops: { side: 'I' | 'R'; reason: string }[];
  wire: { fromInitiator: boolean; bytes: Uint8Array }[];
}

/**
 * Connects our initiator to our responder through an in-memory link. `drop`
 * loses the n-th datagram; `rewrite` may change one in flight. Time advances
 * to each machine's deadline when the link is idle.
 */
function connect(opts: { suites?: Phase1Suite[]; iniPsk?: Uint8Array; resCfg?: Partial<MainModeResponderConfig>; iniCfg?: Partial<MainModeInitiatorConfig>; lose?: number[]; seed?: number; clientSeenAs?: Endpoint; clientLocal?: Endpoint } = {}): Run {
  const seed = opts.seed ?? 1;
  const ini = new MainModeInitiator({ psk: opts.iniPsk ?? PSK, suites: opts.suites ?? FAMILIES[0]![1], lifetimeSeconds: 28800, local: opts.clientLocal ?? CLIENT, remote: SERVER, ...opts.iniCfg }, seededRng(seed));
  const res = new MainModeResponder({ psk: PSK, policy: DEFAULT_PHASE1_POLICY, local: SERVER, remote: opts.clientSeenAs ?? CLIENT, ...opts.resCfg }, seededRng(seed + 7));
  const run: Run = { ini, res, events: [], drops: [], wire: [] };
  const queue: { toResponder: boolean; bytes: Uint8Array }[] = [];
  let n = 0;
  const take = (side: 'I' | 'R', outs: MainModeOutput[]): void => {
    for (const o of outs) {
      if (o.kind === 'event') run.events.push({ side, event: o.event });
      else if (o.kind === 'drop') run.drops.push({ side, reason: o.reason });
      else {
        n++;
        run.wire.push({ fromInitiator: side === 'I', bytes: o.bytes });
        if (!opts.lose?.includes(n)) queue.push({ toResponder: side === 'I', bytes: o.bytes });
      }
    }
  };
  let now = 0;
  take('I', ini.handle({ type: 'start' }, now));
  for (let guard = 0; guard < 100; guard++) {
    const q = queue.shift();
    if (q) {
      if (q.toResponder) take('R', res.handle({ type: 'packet', bytes: q.bytes }, now));
      else take('I', ini.handle({ type: 'packet', bytes: q.bytes }, now));
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

function established(run: Run, side: 'I' | 'R'): Phase1Sa | undefined {
  const e = run.events.find((x) => x.side === side && x.event.type === 'established');
  return e && e.event.type === 'established' ? e.event.sa : undefined;
}

function assertSameSa(a: Phase1Sa, b: Phase1Sa): void {
  assert.equal(toHex(a.initiatorCookie), toHex(b.initiatorCookie));
  assert.equal(toHex(a.responderCookie), toHex(b.responderCookie));
  assert.equal(toHex(a.encKey), toHex(b.encKey));
  assert.equal(toHex(a.keys.d), toHex(b.keys.d));
  assert.equal(toHex(a.keys.a), toHex(b.keys.a));
  assert.equal(toHex(a.lastPhase1Block), toHex(b.lastPhase1Block));
  assert.equal(toHex(a.initiatorNonce), toHex(b.initiatorNonce));
}

for (const [family, suites] of FAMILIES) {
  test(`MAIN_R0: ${family} proposals → both sides established with the same keys, first offered suite chosen`, () => {
    const run = connect({ suites });
    const i = established(run, 'I');
    const r = established(run, 'R');
    assert.ok(i && r, JSON.stringify(run.events));
    assertSameSa(i, r);
    assert.deepEqual(r.choice.suite, suites[0]);
    assert.equal(r.choice.weak, suites[0]!.group === DH_GROUP.MODP_1024 || suites[0]!.encryption === P1_ENCR['3DES_CBC']);
    assert.equal(run.res.state, 'MAIN_R3');
    assert.equal(run.ini.state, 'MAIN_I4');
    assert.deepEqual(run.drops, []);
    assert.equal(toHex(r.peerId.data), toHex(CLIENT.address));
    assert.equal(r.dpd, true);
    assert.equal(r.initialContact, true);
    assert.equal(r.natT?.variant, 'rfc3947');
    assert.deepEqual(r.nat, { localBehindNat: false, peerBehindNat: false });
    assert.equal(run.ini.floated, false);
    assert.equal(run.res.nextDeadline(), undefined);
  });
}

test('MAIN_R1: client behind NAT → both detect it, the initiator floats to 4500', () => {
  const run = connect({ clientLocal: { address: ip('192.168.1.10'), port: 500 }, clientSeenAs: { address: ip('198.51.100.7'), port: 31337 } });
  const r = established(run, 'R')!;
  const i = established(run, 'I')!;
  assert.deepEqual(r.nat, { localBehindNat: false, peerBehindNat: true });
  assert.deepEqual(i.nat, { localBehindNat: true, peerBehindNat: false });
  assert.equal(run.ini.floated, true);
});

test('MAIN_R0: a draft-02 only peer gets draft-02 echoed and NAT-D under payload number 130', () => {
  const draft02n = KNOWN_VENDOR_IDS.find((k) => k.name === 'nat-t-draft-02n')!.bytes;
  const res = new MainModeResponder({ psk: PSK, policy: DEFAULT_PHASE1_POLICY, local: SERVER, remote: CLIENT }, seededRng(3));
  const header = { initiatorCookie: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), responderCookie: new Uint8Array(8), majorVersion: 1, minorVersion: 0, exchangeType: EXCHANGE.IDENTITY_PROTECTION, flags: 0, messageId: 0 };
  const out = res.handle({ type: 'packet', bytes: encodeIsakmpMessage({ header, payloads: [{ kind: 'sa', sa: phase1Offer(FAMILIES[3]![1], 3600) }, { kind: 'vendor-id', data: draft02n }] }) }, 0);
  const m2 = parseIsakmpMessage((out[0] as { bytes: Uint8Array }).bytes);
  assert.ok(m2.ok);
  assert.ok(m2.value.payloads.some((p) => p.kind === 'vendor-id' && toHex(p.data) === toHex(draft02n)));
  // Message 3 with draft NAT-D (130) is understood, and message 4 answers with 130 too.
  const ke = new Uint8Array(256);
  ke[255] = 5;
  const nd = (b: number) => ({ kind: 'nat-d' as const, draft: true, hash: new Uint8Array(32).fill(b) });
  const m3 = encodeIsakmpMessage({ header: { ...header, responderCookie: res.responderCookie }, payloads: [{ kind: 'ke', data: ke }, { kind: 'nonce', data: new Uint8Array(16) }, nd(1), nd(2)] });
  const out4 = res.handle({ type: 'packet', bytes: m3 }, 1);
  const m4 = parseIsakmpMessage((out4[0] as { bytes: Uint8Array }).bytes);
  assert.ok(m4.ok);
  assert.deepEqual(m4.value.payloads.filter((p) => p.kind === 'nat-d').map((p) => p.kind === 'nat-d' && p.draft), [true, true]);
  assert.equal(res.state, 'MAIN_R2');
});

test('MAIN_R2: wrong PSK → responder fails with psk-mismatch, the initiator times out retransmitting', () => {
  const run = connect({ iniPsk: new TextEncoder().encode('wrong key') });
  const r = run.events.find((e) => e.side === 'R')!.event;
  assert.deepEqual(r.type === 'failed' && [r.reason, r.state], ['psk-mismatch', 'MAIN_R2']);
  const i = run.events.find((e) => e.side === 'I')!.event;
  assert.deepEqual(i.type === 'failed' && [i.reason, i.state], ['timeout', 'MAIN_I3']);
  assert.ok(run.drops.every((d) => d.side === 'R' && d.reason === 'ike-after-failure'));
  assert.equal(established(run, 'R'), undefined);
});

test('MAIN_R0: nothing acceptable (MD5, or XAUTH) → NO-PROPOSAL-CHOSEN sent, the offer in the event, initiator fails', () => {
  const run = connect({ suites: [{ encryption: P1_ENCR.AES_CBC, keyLengthBits: 128, hash: P1_HASH.MD5, group: DH_GROUP.MODP_2048 }] });
  const r = run.events.find((e) => e.side === 'R')!.event;
  assert.ok(r.type === 'failed' && r.reason === 'no-proposal-chosen' && r.detail === 'peer offered aes128-md5-modp2048', JSON.stringify(r));
  const i = run.events.find((e) => e.side === 'I')!.event;
  assert.ok(i.type === 'failed' && i.reason === 'no-proposal-chosen');
  // With MD5 configured, the same offer is accepted.
  const ok = connect({ suites: [{ encryption: P1_ENCR.AES_CBC, keyLengthBits: 128, hash: P1_HASH.MD5, group: DH_GROUP.MODP_2048 }], resCfg: { policy: { ...DEFAULT_PHASE1_POLICY, suites: [{ encryption: P1_ENCR.AES_CBC, keyLengthBits: 128, hash: P1_HASH.MD5, group: DH_GROUP.MODP_2048 }] } } });
  assert.equal(established(ok, 'R')?.choice.weak, true);
});

test('MAIN_R0: Aggressive Mode → refused, nothing sent', () => {
  const res = new MainModeResponder({ psk: PSK, policy: DEFAULT_PHASE1_POLICY, local: SERVER, remote: CLIENT }, seededRng(3));
  const header = { initiatorCookie: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), responderCookie: new Uint8Array(8), majorVersion: 1, minorVersion: 0, exchangeType: EXCHANGE.AGGRESSIVE, flags: 0, messageId: 0 };
  const out = res.handle({ type: 'packet', bytes: encodeIsakmpMessage({ header, payloads: [{ kind: 'sa', sa: phase1Offer(FAMILIES[3]![1], 3600) }] }) }, 0);
  assert.deepEqual(out.map((o) => o.kind), ['event']);
  assert.ok(out[0]!.kind === 'event' && out[0]!.event.type === 'failed' && out[0]!.event.reason === 'aggressive-mode');
});

test('lost datagrams: each of the six lost once → retransmission, the responder answers a repeat with its last reply', () => {
  for (let lost = 1; lost <= 6; lost++) {
    const run = connect({ lose: [lost] });
    const i = established(run, 'I');
    const r = established(run, 'R');
    assert.ok(i && r, `lost ${lost}: ${JSON.stringify(run.events)}`);
    assertSameSa(i, r);
  }
});

test('MAIN_R1: a half-open negotiation is reaped at the timeout', () => {
  // Every datagram after message 2 is lost: the responder waits in MAIN_R1 for a message 3 that never comes.
  const run = connect({ lose: Array.from({ length: 30 }, (_, i) => i + 3), resCfg: { negotiationTimeoutMs: 10_000 } });
  const r = run.events.find((e) => e.side === 'R')!.event;
  assert.deepEqual(r.type === 'failed' && [r.reason, r.state], ['timeout', 'MAIN_R1']);
});

test('hostile: random and mutated datagrams in every state never throw; the state moves only with an answer or an event', () => {
  const good = connect();
  const requests = good.wire.filter((w) => w.fromInitiator).map((w) => w.bytes);
  fc.assert(
    fc.property(fc.nat(3), fc.nat(requests.length - 1), fc.nat(400), fc.nat(255), fc.uint8Array({ maxLength: 80 }), (stage, which, at, v, junk) => {
      // Bring a fresh responder to `stage` (0..3 requests answered), then feed a mutated or random datagram.
      const res = new MainModeResponder({ psk: PSK, policy: DEFAULT_PHASE1_POLICY, local: SERVER, remote: CLIENT }, seededRng(8));
      for (let s = 0; s < stage; s++) res.handle({ type: 'packet', bytes: requests[s]! }, s);
      const base = requests[which]!.slice();
      if (base.length > 0) base[at % base.length] = v;
      for (const bytes of [base, junk]) {
        const before = res.state;
        const out = res.handle({ type: 'packet', bytes }, 10);
        if (res.state !== before) {
          // Only a well-formed next message may move the machine; a change of a byte that leaves it valid can fail it (psk-mismatch on a tampered message 5).
          assert.ok(out.some((o) => o.kind === 'send' || o.kind === 'event'), `state moved silently: ${before} → ${res.state}`);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('forceEncapsulation (responder): without any NAT the client still floats to 4500 and both sides use UDP-encapsulated ESP', () => {
  const run = connect({ resCfg: { forceEncapsulation: true } });
  const r = established(run, 'R')!;
  const i = established(run, 'I')!;
  assert.deepEqual(r.nat, { localBehindNat: true, peerBehindNat: false });
  assert.deepEqual(i.nat, { localBehindNat: false, peerBehindNat: true });
  assert.equal(run.ini.floated, true);
  const plain = connect();
  assert.equal(plain.ini.floated, false);
});

test('forceEncapsulation (initiator): the responder sees the client behind a NAT', () => {
  const run = connect({ iniCfg: { forceEncapsulation: true } });
  assert.deepEqual(established(run, 'R')!.nat, { localBehindNat: false, peerBehindNat: true });
  assert.equal(run.ini.floated, true);
});
