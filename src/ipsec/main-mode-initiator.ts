/**
 * IKEv1 Main Mode initiator with pre-shared keys (RFC 2409 §5), for
 * `tunppp connect` and as the known-good peer of the responder's tests.
 *
 * Theory of operation. The initiator sends and waits:
 *
 *   start   --1: SA (our suites), VIDs (NAT-T RFC 3947 + drafts, DPD)--> MAIN_I1
 *   MAIN_I1 <-2: SA (one transform, one of ours) --3: KE, Ni, NAT-D*--> MAIN_I2
 *   MAIN_I2 <-4: KE, Nr, NAT-D* (keys, NAT detection; float to 4500 when
 *                a NAT is seen, RFC 3947 §4) --5*: IDii, HASH_I-------> MAIN_I3
 *   MAIN_I3 <-6*: IDir, HASH_R (checked) --------------------------------> MAIN_I4
 *
 * Each request is retransmitted with doubling timeouts until the answer or
 * `maxRetransmits`, then the negotiation fails with `timeout`. A responder
 * transform that is not one we offered fails with no-proposal-chosen, a bad
 * HASH_R with psk-mismatch. Drops never change state.
 */
import type { Rng } from '../core/rng.js';
import type { Millis } from '../core/machine.js';
import { EXCHANGE, FLAG, ID_TYPE, NOTIFY, P1_ATTR } from './constants.js';
import { dhGenerate, dhGroup, dhSharedSecret, type DhKeyPair } from './dh.js';
import { ikeCipher, openIkeMessage, sealIkeMessage } from './ikev1-cipher.js';
import { hashI, hashR, ikeHashFromAttribute } from './ikev1-keys.js';
import { encodeIsakmpMessage, encodePayloadBody, findPayload, findPayloads, parseIsakmpMessage, type IsakmpHeaderFields, type IsakmpMessage, type IsakmpPayload } from './isakmp.js';
import type { MainModeOutput, Phase1DropReason, Phase1Failure } from './main-mode-responder.js';
import { detectNat, mainModeKeys, natDPayloads, sameBytes, sameHash, type Endpoint, type MainModeKeys, type NatDetection, type Phase1Sa } from './phase1-sa.js';
import { phase1Offer, phase1SuiteName, type Phase1Choice, type Phase1Suite } from './phase1-proposals.js';
import { encodeSaPayload, findAttribute } from './sa-payload.js';
import { DPD_VENDOR_ID, KNOWN_VENDOR_IDS, natTraversalVariant, recognizeVendorId, type NatTraversalChoice } from './vendor-ids.js';

/** Initiator states, in pluto's names. */
export type MainModeInitiatorState = 'idle' | 'MAIN_I1' | 'MAIN_I2' | 'MAIN_I3' | 'MAIN_I4' | 'failed';

/** What drives the initiator. */
export type MainModeInitiatorInput = { type: 'start' } | { type: 'packet'; bytes: Uint8Array } | { type: 'timeout' };

/** Configuration of one initiator. */
export interface MainModeInitiatorConfig {
  psk: Uint8Array;
  /** What we offer, in our order of preference. */
  suites: readonly Phase1Suite[];
  lifetimeSeconds: number;
  local: Endpoint;
  remote: Endpoint;
  retransmitBaseMs?: number;
  maxRetransmits?: number;
  /** Make the responder see a NAT so IKE and ESP use UDP 4500 (see natDPayloads). */
  forceEncapsulation?: boolean;
}

const NAT_T_VIDS = ['rfc3947', 'nat-t-draft-03', 'nat-t-draft-02n', 'nat-t-draft-02'].map((n) => KNOWN_VENDOR_IDS.find((k) => k.name === n)!.bytes);

/** The initiator machine. Its `send` outputs go to `remote` (port 4500 once `floated`). */
export class MainModeInitiator {
  state: MainModeInitiatorState = 'idle';
  readonly initiatorCookie: Uint8Array;
  responderCookie = new Uint8Array(8);
  /** True once NAT was detected: messages 5 on go to UDP 4500 with the non-ESP marker. */
  floated = false;
  sa: Phase1Sa | undefined;
  private lastSent: Uint8Array | undefined;
  private retransmitAt: Millis | undefined;
  private retransmits = 0;
  private saiB: Uint8Array | undefined;
  private choice: Phase1Choice | undefined;
  private natT: NatTraversalChoice | undefined;
  private dpd = false;
  private dh: DhKeyPair | undefined;
  private ni: Uint8Array | undefined;
  private gxr: Uint8Array | undefined;
  private nr: Uint8Array | undefined;
  private keys: MainModeKeys | undefined;
  private nat: NatDetection = { localBehindNat: false, peerBehindNat: false };
  private idiiB: Uint8Array | undefined;

  constructor(
    private readonly cfg: MainModeInitiatorConfig,
    private readonly rng: Rng,
  ) {
    this.initiatorCookie = rng.bytes(8);
  }

  /** The next retransmission, while waiting for an answer. */
  nextDeadline(): Millis | undefined {
    return this.state === 'MAIN_I1' || this.state === 'MAIN_I2' || this.state === 'MAIN_I3' ? this.retransmitAt : undefined;
  }

  /** Starts, handles an answer, or retransmits on timeout. */
  handle(input: MainModeInitiatorInput, now: Millis): MainModeOutput[] {
    if (input.type === 'start') return this.state === 'idle' ? this.sendMessage1(now) : [];
    if (input.type === 'timeout') return this.onTimeout(now);
    if (this.state === 'failed') return [drop('ike-after-failure')];
    const parsed = parseIsakmpMessage(input.bytes);
    if (!parsed.ok) return [drop('ike-malformed', `${parsed.error.code} at ${parsed.error.offset}`)];
    const m = parsed.value;
    if (!sameBytes(this.initiatorCookie, m.header.initiatorCookie)) return [drop('ike-not-this-exchange', 'initiator cookie')];
    if (m.header.exchangeType === EXCHANGE.INFORMATIONAL && !(m.header.flags & FLAG.ENCRYPTION) && this.state === 'MAIN_I1') {
      // An unencrypted NO-PROPOSAL-CHOSEN before keys exist (RFC 2408 §5.4): unauthenticated, but the only answer we will get.
      const n = findPayload(m.payloads, 'notify');
      if (n && n.notify.notifyType === NOTIFY.NO_PROPOSAL_CHOSEN) return this.fail('no-proposal-chosen', 'responder sent NO-PROPOSAL-CHOSEN');
    }
    if (m.header.exchangeType !== EXCHANGE.IDENTITY_PROTECTION || m.header.messageId !== 0) return [drop('ike-not-this-exchange', `exchange ${m.header.exchangeType}`)];
    if (this.state !== 'MAIN_I1' && !sameBytes(this.responderCookie, m.header.responderCookie)) return [drop('ike-not-this-exchange', 'responder cookie')];
    switch (this.state) {
      case 'MAIN_I1': return this.onMessage2(m, now);
      case 'MAIN_I2': return this.onMessage4(m, now);
      case 'MAIN_I3': return this.onMessage6(m);
      default: return [drop('ike-wrong-state', `message in ${this.state}`)];
    }
  }

  private header(): IsakmpHeaderFields {
    return { initiatorCookie: this.initiatorCookie, responderCookie: this.responderCookie, majorVersion: 1, minorVersion: 0, exchangeType: EXCHANGE.IDENTITY_PROTECTION, flags: 0, messageId: 0 };
  }

  private transmit(bytes: Uint8Array, now: Millis): MainModeOutput[] {
    this.lastSent = bytes;
    this.retransmits = 0;
    this.retransmitAt = now + (this.cfg.retransmitBaseMs ?? 2000);
    return [{ kind: 'send', proto: 17, bytes }];
  }

  private onTimeout(now: Millis): MainModeOutput[] {
    const at = this.nextDeadline();
    if (at === undefined || now < at || !this.lastSent) return [];
    if (this.retransmits >= (this.cfg.maxRetransmits ?? 5)) return this.fail('timeout', `no answer in ${this.state}`);
    this.retransmits++;
    this.retransmitAt = now + (this.cfg.retransmitBaseMs ?? 2000) * 2 ** this.retransmits;
    return [{ kind: 'send', proto: 17, bytes: this.lastSent }];
  }

  private fail(reason: Phase1Failure, detail?: string): MainModeOutput[] {
    const state = this.state;
    this.state = 'failed';
    return [{ kind: 'event', event: { type: 'failed', reason, state, ...(detail !== undefined ? { detail } : {}) } }];
  }

  private sendMessage1(now: Millis): MainModeOutput[] {
    const sa = phase1Offer(this.cfg.suites, this.cfg.lifetimeSeconds);
    this.saiB = encodeSaPayload(sa);
    const payloads: IsakmpPayload[] = [{ kind: 'sa', sa }, ...NAT_T_VIDS.map((data) => ({ kind: 'vendor-id' as const, data })), { kind: 'vendor-id', data: DPD_VENDOR_ID }];
    this.state = 'MAIN_I1';
    return this.transmit(encodeIsakmpMessage({ header: this.header(), payloads }), now);
  }

  private onMessage2(m: IsakmpMessage, now: Millis): MainModeOutput[] {
    const sa = findPayload(m.payloads, 'sa');
    if (!sa || m.header.flags & FLAG.ENCRYPTION) return [drop('ike-missing-payload', 'SA')];
    // The answer must be exactly one of our transforms (RFC 2408 §4.2: one proposal, one transform).
    const t = sa.sa.proposals.length === 1 && sa.sa.proposals[0]!.transforms.length === 1 ? sa.sa.proposals[0]!.transforms[0]! : undefined;
    const ours = t ? phase1Offer(this.cfg.suites, this.cfg.lifetimeSeconds).proposals[0]!.transforms.find((o) => o.transformNumber === t.transformNumber) : undefined;
    if (!t || !ours || !sameBytes(encodeSaPayload({ ...sa.sa, proposals: [{ ...sa.sa.proposals[0]!, transforms: [ours] }] }), encodeSaPayload(sa.sa))) {
      return this.fail('no-proposal-chosen', 'responder chose a transform we did not offer');
    }
    const suite = this.cfg.suites[t.transformNumber - 1]!;
    const cipher = ikeCipher(suite.encryption, suite.keyLengthBits)!;
    const hash = ikeHashFromAttribute(suite.hash)!;
    this.choice = { suite, cipher, hash, group: suite.group, lifetimeSeconds: findAttribute(t.attributes, P1_ATTR.LIFE_DURATION) ?? this.cfg.lifetimeSeconds, proposalNumber: 1, transform: t, weak: cipher.weak || dhGroup(suite.group)!.weak || hash === 'md5' };
    this.responderCookie = m.header.responderCookie.slice();
    const vids = findPayloads(m.payloads, 'vendor-id').map((v) => v.data);
    this.natT = natTraversalVariant(vids);
    this.dpd = vids.some((v) => recognizeVendorId(v)?.known.name === 'dpd');
    this.dh = dhGenerate(suite.group, this.rng);
    this.ni = this.rng.bytes(32);
    const payloads: IsakmpPayload[] = [{ kind: 'ke', data: this.dh.publicKey }, { kind: 'nonce', data: this.ni }];
    if (this.natT) payloads.push(...natDPayloads(hash, this.natT, this.initiatorCookie, this.responderCookie, this.cfg.local, this.cfg.remote, this.cfg.forceEncapsulation));
    this.state = 'MAIN_I2';
    return this.transmit(encodeIsakmpMessage({ header: this.header(), payloads }), now);
  }

  private onMessage4(m: IsakmpMessage, now: Millis): MainModeOutput[] {
    const ke = findPayload(m.payloads, 'ke');
    const nonce = findPayload(m.payloads, 'nonce');
    if (!ke || !nonce || m.header.flags & FLAG.ENCRYPTION) return [drop('ike-missing-payload', 'KE and nonce expected')];
    if (nonce.data.length < 8 || nonce.data.length > 256) return [drop('ike-bad-nonce', `${nonce.data.length} bytes`)];
    const choice = this.choice!;
    const gxy = dhSharedSecret(this.dh!, ke.data);
    if (!gxy) return this.fail('invalid-ke', `responder KE is not a valid ${dhGroup(choice.group)!.name} value`);
    this.gxr = ke.data.slice();
    this.nr = nonce.data.slice();
    this.keys = mainModeKeys(choice.hash, choice.cipher, this.cfg.psk, this.ni!, this.nr, this.dh!.publicKey, this.gxr, gxy, this.initiatorCookie, this.responderCookie);
    if (this.natT) {
      const nat = detectNat(choice.hash, m.payloads, this.initiatorCookie, this.responderCookie, this.cfg.local, this.cfg.remote);
      if (nat) this.nat = this.cfg.forceEncapsulation ? { ...nat, localBehindNat: true } : nat;
      else this.natT = undefined;
    }
    // RFC 3947 §4: with a NAT on the path, move to port 4500 from message 5 on.
    this.floated = this.natT !== undefined && (this.nat.localBehindNat || this.nat.peerBehindNat);
    const idI: IsakmpPayload = { kind: 'id', id: { idType: ID_TYPE.IPV4_ADDR, protocolId: 17, port: 500, data: this.cfg.local.address } };
    this.idiiB = encodePayloadBody(idI);
    const hi = hashI(choice.hash, this.keys.keys.skeyid, this.dh!.publicKey, this.gxr, this.initiatorCookie, this.responderCookie, this.saiB!, this.idiiB);
    const payloads: IsakmpPayload[] = [idI, { kind: 'hash', data: hi }, { kind: 'notify', notify: { doi: 1, protocolId: 1, spi: new Uint8Array([...this.initiatorCookie, ...this.responderCookie]), notifyType: NOTIFY.INITIAL_CONTACT, data: new Uint8Array(0) } }];
    const sealed = sealIkeMessage(this.header(), payloads, choice.cipher, this.keys.encKey, this.keys.iv);
    this.keys.iv = sealed.nextIv;
    this.state = 'MAIN_I3';
    return this.transmit(sealed.bytes, now);
  }

  private onMessage6(m: IsakmpMessage): MainModeOutput[] {
    if (!(m.header.flags & FLAG.ENCRYPTION)) return [drop('ike-wrong-state', 'message 6 must be encrypted')];
    const choice = this.choice!;
    const keys = this.keys!;
    const opened = openIkeMessage(m, choice.cipher, keys.encKey, keys.iv);
    const idIndex = opened ? opened.chain.payloads.findIndex((p) => p.kind === 'id') : -1;
    const hash = opened ? findPayload(opened.chain.payloads, 'hash') : undefined;
    if (!opened || idIndex < 0 || !hash) return this.fail('psk-mismatch', 'message 6 does not decrypt to ID and HASH');
    const expected = hashR(choice.hash, keys.keys.skeyid, this.dh!.publicKey, this.gxr!, this.initiatorCookie, this.responderCookie, this.saiB!, opened.chain.bodies[idIndex]!);
    if (!sameHash(hash.data, expected)) return this.fail('psk-mismatch', 'HASH_R does not verify');
    const peerId = (opened.chain.payloads[idIndex] as Extract<IsakmpPayload, { kind: 'id' }>).id;
    this.sa = {
      role: 'initiator',
      initiatorCookie: this.initiatorCookie,
      responderCookie: this.responderCookie,
      choice,
      keys: keys.keys,
      encKey: keys.encKey,
      lastPhase1Block: opened.nextIv,
      initiatorNonce: this.ni!,
      responderNonce: this.nr!,
      peerId: { ...peerId, data: peerId.data.slice() },
      natT: this.natT,
      nat: this.nat,
      dpd: this.dpd,
      initialContact: findPayloads(opened.chain.payloads, 'notify').some((n) => n.notify.notifyType === NOTIFY.INITIAL_CONTACT),
    };
    this.state = 'MAIN_I4';
    return [{ kind: 'event', event: { type: 'established', sa: this.sa } }];
  }

  /** The suite names we offer, for logs. */
  offeredNames(): string[] {
    return this.cfg.suites.map(phase1SuiteName);
  }
}

function drop(reason: Phase1DropReason, detail?: string): MainModeOutput {
  return detail === undefined ? { kind: 'drop', reason } : { kind: 'drop', reason, detail };
}
