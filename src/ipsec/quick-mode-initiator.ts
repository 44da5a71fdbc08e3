/**
 * IKEv1 Quick Mode initiator (RFC 2409 §5.5) for `tunppp connect` and as the
 * responder's test peer: offers ESP in transport mode (UDP-encapsulated when
 * Phase 1 found a NAT) for UDP 1701 between the two hosts, with PFS when a
 * group is configured.
 *
 *   QUICK_I0 --start--> 1*: HASH(1), SA, Ni [, KE], IDci, IDcr [, NAT-OA*] --> QUICK_I1
 *   QUICK_I1 <--2*: HASH(2), SA, Nr [, KE], IDci, IDcr-- check, keys --3*: HASH(3)--> QUICK_I2
 *
 * Message 1 is retransmitted with doubling timeouts; the answer must carry
 * one of our transforms unchanged and our selectors back.
 */
import type { Rng } from '../core/rng.js';
import type { Millis } from '../core/machine.js';
import { randomU32 } from '../core/rng.js';
import { ENCAPSULATION, EXCHANGE, FLAG, ID_TYPE, P2_ATTR } from './constants.js';
import { childSaKeys, L2TP_PORT, type ChildSa } from './child-sa.js';
import { dhGenerate, dhSharedSecret, type DhKeyPair } from './dh.js';
import { espChoiceName, espOffer, type EspChoice, type EspProposalSuite } from './esp-proposals.js';
import { espSuite } from './esp.js';
import { openIkeMessage, sealIkeMessage } from './ikev1-cipher.js';
import { phase2Iv, quickModeHash1, quickModeHash2, quickModeHash3 } from './ikev1-keys.js';
import { encodePayloadBody, encodePayloads, findPayload, findPayloads, parseIsakmpMessage, type IdPayload, type IsakmpHeaderFields, type IsakmpPayload } from './isakmp.js';
import { sameBytes, sameHash, type Endpoint, type Phase1Sa } from './phase1-sa.js';
import type { Phase2DropReason, Phase2Failure, QuickModeOutput } from './quick-mode-responder.js';
import { udpEncapsulated } from './quick-mode-responder.js';
import { encodeSaPayload, findAttribute, type SaPayload } from './sa-payload.js';
import { usesDraftNumbers } from './vendor-ids.js';

/** Initiator states, in pluto's names. */
export type QuickModeInitiatorState = 'QUICK_I0' | 'QUICK_I1' | 'QUICK_I2' | 'failed';

/** Configuration of one Quick Mode initiator. */
export interface QuickModeInitiatorConfig {
  p1: Phase1Sa;
  suites: readonly EspProposalSuite[];
  /** DH group for PFS, or undefined for none. */
  pfsGroup?: number;
  lifetimeSeconds: number;
  local: Endpoint;
  remote: Endpoint;
  /** The SPI the peer will send to, 4 bytes. */
  ourSpi: Uint8Array;
  retransmitBaseMs?: number;
  maxRetransmits?: number;
}

/** The initiator machine. */
export class QuickModeInitiator {
  state: QuickModeInitiatorState = 'QUICK_I0';
  readonly messageId: number;
  child: ChildSa | undefined;
  private iv: Uint8Array;
  private sent: Uint8Array | undefined;
  private retransmitAt: Millis | undefined;
  private retransmits = 0;
  private ni: Uint8Array | undefined;
  private dh: DhKeyPair | undefined;
  private offer: SaPayload | undefined;
  private idci: IdPayload;
  private idcr: IdPayload;

  constructor(
    private readonly cfg: QuickModeInitiatorConfig,
    private readonly rng: Rng,
  ) {
    this.messageId = randomU32(rng) || 1;
    const c = cfg.p1.choice;
    this.iv = phase2Iv(c.hash, cfg.p1.lastPhase1Block, this.messageId, c.cipher.blockBytes);
    // Selectors: our original address and the server's, UDP 1701 both (behind a NAT the local address is the private one).
    this.idci = { idType: ID_TYPE.IPV4_ADDR, protocolId: 17, port: L2TP_PORT, data: cfg.local.address };
    this.idcr = { idType: ID_TYPE.IPV4_ADDR, protocolId: 17, port: L2TP_PORT, data: cfg.remote.address };
  }

  /** The next retransmission while waiting for message 2. */
  nextDeadline(): Millis | undefined {
    return this.state === 'QUICK_I1' ? this.retransmitAt : undefined;
  }

  private header(): IsakmpHeaderFields {
    const p1 = this.cfg.p1;
    return { initiatorCookie: p1.initiatorCookie, responderCookie: p1.responderCookie, majorVersion: 1, minorVersion: 0, exchangeType: EXCHANGE.QUICK_MODE, flags: FLAG.ENCRYPTION, messageId: this.messageId };
  }

  /** Starts the exchange, handles message 2, or retransmits. */
  handle(input: { type: 'start' } | { type: 'packet'; bytes: Uint8Array } | { type: 'timeout' }, now: Millis): QuickModeOutput[] {
    if (input.type === 'start') return this.state === 'QUICK_I0' ? this.start(now) : [];
    if (input.type === 'timeout') {
      if (this.state !== 'QUICK_I1' || this.retransmitAt === undefined || now < this.retransmitAt) return [];
      if (this.retransmits >= (this.cfg.maxRetransmits ?? 5)) return this.fail('timeout', 'no message 2');
      this.retransmits++;
      this.retransmitAt = now + (this.cfg.retransmitBaseMs ?? 2000) * 2 ** this.retransmits;
      return [{ kind: 'send', proto: 17, bytes: this.sent! }];
    }
    if (this.state !== 'QUICK_I1') return [drop(this.state === 'failed' ? 'ike-after-failure' : 'ike-wrong-state')];
    const parsed = parseIsakmpMessage(input.bytes);
    if (!parsed.ok) return [drop('ike-malformed')];
    const m = parsed.value;
    const p1 = this.cfg.p1;
    const c = p1.choice;
    if (m.header.exchangeType !== EXCHANGE.QUICK_MODE || m.header.messageId !== this.messageId || !m.encrypted || !sameBytes(p1.initiatorCookie, m.header.initiatorCookie) || !sameBytes(p1.responderCookie, m.header.responderCookie)) {
      return [drop('ike-not-this-exchange')];
    }
    const opened = openIkeMessage(m, c.cipher, p1.encKey, this.iv);
    if (!opened) return [drop('ike-undecryptable')];
    const first = opened.chain.payloads[0];
    if (!first || first.kind !== 'hash' || !sameHash(first.data, quickModeHash2(c.hash, p1.keys.a, this.messageId, this.ni!, opened.plain.subarray(4 + first.data.length)))) return [drop('ike-bad-hash', 'HASH(2)')];
    const payloads = opened.chain.payloads;
    const sa = findPayload(payloads, 'sa');
    const nonce = findPayload(payloads, 'nonce');
    if (!sa || !nonce || nonce.data.length < 8 || nonce.data.length > 256) return [drop('ike-missing-payload')];
    const choice = this.answerChoice(sa.sa);
    if (!choice) return this.fail('no-proposal-chosen', 'responder chose a transform we did not offer');
    const ids = findPayloads(payloads, 'id').map((p) => p.id);
    if (ids.length !== 2 || !sameBytes(encodePayloadBody({ kind: 'id', id: ids[0]! }), encodePayloadBody({ kind: 'id', id: this.idci })) || !sameBytes(encodePayloadBody({ kind: 'id', id: ids[1]! }), encodePayloadBody({ kind: 'id', id: this.idcr }))) {
      return this.fail('ts-unacceptable', 'responder changed the traffic selectors');
    }
    let gqmxy: Uint8Array | undefined;
    if (this.dh) {
      const ke = findPayload(payloads, 'ke');
      gqmxy = ke ? dhSharedSecret(this.dh, ke.data) : undefined;
      if (!gqmxy) return this.fail('invalid-ke', 'responder KE missing or invalid');
    }
    const nr = nonce.data.slice();
    const h3 = quickModeHash3(c.hash, p1.keys.a, this.messageId, this.ni!, nr);
    const sealed = sealIkeMessage(this.header(), [{ kind: 'hash', data: h3 }], c.cipher, p1.encKey, opened.nextIv);
    const keys = childSaKeys(p1, choice, this.cfg.ourSpi, this.ni!, nr, gqmxy);
    this.child = { choice, ...keys, initiatorId: this.idci, responderId: this.idcr, natOa: findPayloads(payloads, 'nat-oa').map((p) => p.address.slice()), udpEncapsulated: udpEncapsulated(p1) };
    this.state = 'QUICK_I2';
    return [{ kind: 'send', proto: 17, bytes: sealed.bytes }, { kind: 'event', event: { type: 'established', child: this.child, name: espChoiceName(choice) } }];
  }

  private start(now: Millis): QuickModeOutput[] {
    const p1 = this.cfg.p1;
    const c = p1.choice;
    const encap = udpEncapsulated(p1);
    const draft = encap && usesDraftNumbers(p1.natT!.variant);
    const mode = !encap ? ENCAPSULATION.TRANSPORT : draft ? ENCAPSULATION.UDP_TRANSPORT_DRAFT : ENCAPSULATION.UDP_TRANSPORT;
    const sa = espOffer(this.cfg.suites, this.cfg.ourSpi, mode, this.cfg.lifetimeSeconds, this.cfg.pfsGroup);
    this.offer = sa;
    this.ni = this.rng.bytes(32);
    const rest: IsakmpPayload[] = [{ kind: 'sa', sa }, { kind: 'nonce', data: this.ni }];
    if (this.cfg.pfsGroup !== undefined) {
      this.dh = dhGenerate(this.cfg.pfsGroup, this.rng);
      rest.push({ kind: 'ke', data: this.dh.publicKey });
    }
    rest.push({ kind: 'id', id: this.idci }, { kind: 'id', id: this.idcr });
    if (encap) rest.push({ kind: 'nat-oa', draft, idType: ID_TYPE.IPV4_ADDR, address: this.cfg.local.address }, { kind: 'nat-oa', draft, idType: ID_TYPE.IPV4_ADDR, address: this.cfg.remote.address });
    const h1 = quickModeHash1(c.hash, p1.keys.a, this.messageId, encodePayloads(rest));
    const sealed = sealIkeMessage(this.header(), [{ kind: 'hash', data: h1 }, ...rest], c.cipher, p1.encKey, this.iv);
    this.iv = sealed.nextIv;
    this.sent = sealed.bytes;
    this.retransmitAt = now + (this.cfg.retransmitBaseMs ?? 2000);
    this.state = 'QUICK_I1';
    return [{ kind: 'send', proto: 17, bytes: sealed.bytes }];
  }

  /** The responder's SA read back: one proposal, one of our transforms unchanged (mode included), its SPI. */
  private answerChoice(sa: SaPayload): EspChoice | undefined {
    const p = sa.proposals.length === 1 ? sa.proposals[0]! : undefined;
    const t = p && p.transforms.length === 1 && p.spi.length === 4 ? p.transforms[0]! : undefined;
    const ours = t ? this.cfg.suites[t.transformNumber - 1] : undefined;
    const offered = t ? this.offer?.proposals[0]!.transforms[t.transformNumber - 1] : undefined;
    if (!p || !t || !ours || !offered) return undefined;
    if (!sameBytes(encodeSaPayload({ ...sa, proposals: [{ ...p, transforms: [offered] }] }), encodeSaPayload(sa))) return undefined;
    return {
      suite: espSuite(ours.transformId, ours.keyLengthBits, ours.auth)!,
      peerSpi: p.spi.slice(),
      encapsulation: findAttribute(t.attributes, P2_ATTR.ENCAPSULATION_MODE)!,
      pfsGroup: this.cfg.pfsGroup,
      lifetimeSeconds: findAttribute(t.attributes, P2_ATTR.SA_LIFE_DURATION) ?? this.cfg.lifetimeSeconds,
      lifetimeKilobytes: undefined,
      proposalNumber: p.proposalNumber,
      transform: t,
    };
  }

  private fail(reason: Phase2Failure, detail?: string): QuickModeOutput[] {
    const state = this.state;
    this.state = 'failed';
    return [{ kind: 'event', event: { type: 'failed', reason, state, ...(detail !== undefined ? { detail } : {}) } }];
  }
}

function drop(reason: Phase2DropReason, detail?: string): QuickModeOutput {
  return detail === undefined ? { kind: 'drop', reason } : { kind: 'drop', reason, detail };
}
