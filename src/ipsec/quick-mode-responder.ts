/**
 * IKEv1 Quick Mode responder (RFC 2409 §5.5) for L2TP/IPsec: one machine
 * per (ISAKMP SA, message ID), with and without PFS.
 *
 * Theory of operation:
 *
 *   QUICK_R0 --1*: HASH(1), SA, Ni [, KE] [, IDci, IDcr] [, NAT-OA*]--> check HASH(1), choose ESP,
 *              check the L2TP selectors --2*: HASH(2), SA, Nr [, KE], IDci, IDcr [, NAT-OA*]--> QUICK_R1
 *   QUICK_R1 --3*: HASH(3)--> `established` --> QUICK_R2
 *
 * The ESP keys are known once message 2 is sent, so `inbound-ready` carries
 * them at QUICK_R1: a driver installs the inbound SA then and treats the
 * first authenticated ESP packet on it as proof that message 3 was sent.
 *
 * Every message is encrypted with the Phase 1 key; the IV starts from
 * hash(last Phase 1 block | M-ID) and chains through the exchange. A
 * message whose HASH does not verify is dropped without effect (it is forged
 * or damaged; the Phase 1 keys are already authenticated). A refusal (no
 * acceptable ESP transform, selectors other than UDP 1701 between the two
 * hosts, a bad PFS KE) is told to the peer in an encrypted Informational
 * (NO-PROPOSAL-CHOSEN, INVALID-ID-INFORMATION, INVALID-KEY-INFORMATION) and
 * ends the machine with the reason. A repeated message 1 gets message 2
 * again. Read RFC 2409 §5.5 and RFC 3947 §5 before editing.
 */
import type { Rng } from '../core/rng.js';
import type { Millis, Output } from '../core/machine.js';
import { randomU32 } from '../core/rng.js';
import { ENCAPSULATION, EXCHANGE, FLAG, ID_TYPE, NOTIFY } from './constants.js';
import { childSaKeys, l2tpSelectorProblem, type ChildSa } from './child-sa.js';
import { dhGenerate, dhGroup, dhSharedSecret } from './dh.js';
import { espAnswer, espChoiceName, selectEsp, type EspPolicy } from './esp-proposals.js';
import { openIkeMessage, sealIkeMessage, type OpenedIkeMessage } from './ikev1-cipher.js';
import { phase2Iv, quickModeHash1, quickModeHash2, quickModeHash3 } from './ikev1-keys.js';
import { encodePayloads, findPayload, findPayloads, parseIsakmpMessage, type IdPayload, type IsakmpHeaderFields, type IsakmpPayload } from './isakmp.js';
import { notifyPayload, sealInformational } from './informational.js';
import { sameBytes, sameHash, type Endpoint, type Phase1Sa } from './phase1-sa.js';
import { usesDraftNumbers } from './vendor-ids.js';

/** Responder states, in pluto's names. */
export type QuickModeResponderState = 'QUICK_R0' | 'QUICK_R1' | 'QUICK_R2' | 'failed';

/** Why Quick Mode failed. */
export type Phase2Failure = 'no-proposal-chosen' | 'ts-unacceptable' | 'invalid-ke' | 'timeout';

/** Events of Quick Mode. */
export type Phase2Event =
  /**
   * The responder answered message 1: the SA pair is keyed and the inbound
   * side can be installed now (as pluto does), because the initiator sends
   * ESP right after message 3 and a lost message 3 is never retransmitted.
   */
  | { type: 'inbound-ready'; child: ChildSa; name: string }
  | { type: 'established'; child: ChildSa; name: string }
  | { type: 'failed'; reason: Phase2Failure; state: string; detail?: string };

/** Why a Quick Mode datagram was dropped without effect. */
export type Phase2DropReason =
  /** Not a valid ISAKMP message. */
  | 'ike-malformed'
  /** Not this ISAKMP SA, not Quick Mode, not this message ID, or not encrypted. */
  | 'ike-not-this-exchange'
  /** The body does not decrypt to a payload chain. */
  | 'ike-undecryptable'
  /** HASH(1)/(2)/(3) missing or wrong: forged or damaged. */
  | 'ike-bad-hash'
  /** SA or nonce missing, or a nonce outside 8..256 bytes. */
  | 'ike-missing-payload'
  /** Valid, but not expected in this state. */
  | 'ike-wrong-state'
  /** A retransmission answered too often already. */
  | 'ike-resend-limit'
  /** The machine already ended. */
  | 'ike-after-failure';

/** Output of the Quick Mode machines. */
export type QuickModeOutput = Output<Phase2Event, Phase2DropReason>;

/** Configuration of one Quick Mode responder. */
export interface QuickModeResponderConfig {
  p1: Phase1Sa;
  policy: EspPolicy;
  /** Our address/port and the peer's as the IKE packets use them now (after any float). */
  local: Endpoint;
  remote: Endpoint;
  /** The SPI the peer will send to (unique in the caller's SA table), 4 bytes. */
  ourSpi: Uint8Array;
  timeoutMs?: number;
  maxResends?: number;
}

/** True when ESP goes in UDP (NAT-T in use and a NAT on the path, RFC 3947 §5). */
export function udpEncapsulated(p1: Phase1Sa): boolean {
  return p1.natT !== undefined && (p1.nat.localBehindNat || p1.nat.peerBehindNat);
}

/** The responder machine. */
export class QuickModeResponder {
  state: QuickModeResponderState = 'QUICK_R0';
  messageId: number | undefined;
  child: ChildSa | undefined;
  private iv: Uint8Array | undefined;
  private deadline: Millis | undefined;
  private lastRequest: Uint8Array | undefined;
  private lastReply: Uint8Array | undefined;
  private resends = 0;
  private pending: { ni: Uint8Array; nr: Uint8Array } | undefined;

  constructor(
    private readonly cfg: QuickModeResponderConfig,
    private readonly rng: Rng,
  ) {}

  /** When the exchange times out, while under way. */
  nextDeadline(): Millis | undefined {
    return this.state === 'QUICK_R0' || this.state === 'QUICK_R1' ? this.deadline : undefined;
  }

  /** Handles a Quick Mode datagram of this exchange, or a timeout. */
  handle(input: { type: 'packet'; bytes: Uint8Array } | { type: 'timeout' }, now: Millis): QuickModeOutput[] {
    if (input.type === 'timeout') {
      if (this.deadline === undefined || now < this.deadline || (this.state !== 'QUICK_R0' && this.state !== 'QUICK_R1')) return [];
      return this.fail('timeout', `no message ${this.state === 'QUICK_R0' ? 1 : 3}`);
    }
    if (this.state === 'failed') return [drop('ike-after-failure')];
    const parsed = parseIsakmpMessage(input.bytes);
    if (!parsed.ok) return [drop('ike-malformed', `${parsed.error.code} at ${parsed.error.offset}`)];
    const m = parsed.value;
    const p1 = this.cfg.p1;
    if (m.header.exchangeType !== EXCHANGE.QUICK_MODE || !m.encrypted || m.header.messageId === 0 || !sameBytes(p1.initiatorCookie, m.header.initiatorCookie) || !sameBytes(p1.responderCookie, m.header.responderCookie)) {
      return [drop('ike-not-this-exchange')];
    }
    if (this.messageId !== undefined && m.header.messageId !== this.messageId) return [drop('ike-not-this-exchange', 'message ID')];
    if (sameBytes(this.lastRequest, input.bytes) && this.lastReply) {
      if (this.resends >= (this.cfg.maxResends ?? 5)) return [drop('ike-resend-limit')];
      this.resends++;
      return [send(this.lastReply)];
    }
    if (this.state === 'QUICK_R2') return [drop('ike-wrong-state')];
    const c = p1.choice;
    if (this.state === 'QUICK_R0') {
      this.deadline ??= now + (this.cfg.timeoutMs ?? 30_000);
      const opened = openIkeMessage(m, c.cipher, p1.encKey, phase2Iv(c.hash, p1.lastPhase1Block, m.header.messageId, c.cipher.blockBytes));
      if (!opened) return [drop('ike-undecryptable')];
      if (!this.hashOk(opened, (after) => quickModeHash1(c.hash, p1.keys.a, m.header.messageId, after))) return [drop('ike-bad-hash', 'HASH(1)')];
      this.messageId = m.header.messageId;
      return this.onMessage1(opened, input.bytes, m.header);
    }
    const opened = openIkeMessage(m, c.cipher, p1.encKey, this.iv!);
    if (!opened) return [drop('ike-undecryptable')];
    const pend = this.pending!;
    const h = opened.chain.payloads[0];
    if (!h || h.kind !== 'hash' || !sameHash(h.data, quickModeHash3(c.hash, p1.keys.a, this.messageId!, pend.ni, pend.nr))) return [drop('ike-bad-hash', 'HASH(3)')];
    this.state = 'QUICK_R2';
    this.pending = undefined;
    return [{ kind: 'event', event: { type: 'established', child: this.child!, name: espChoiceName(this.child!.choice) } }];
  }

  /** True when the message starts with a HASH equal to `expect(bytes after the HASH payload)`. */
  private hashOk(opened: OpenedIkeMessage, expect: (after: Uint8Array) => Uint8Array): boolean {
    const first = opened.chain.payloads[0];
    if (!first || first.kind !== 'hash') return false;
    return sameHash(first.data, expect(opened.plain.subarray(4 + first.data.length)));
  }

  private onMessage1(opened: OpenedIkeMessage, bytes: Uint8Array, header: IsakmpHeaderFields): QuickModeOutput[] {
    const p1 = this.cfg.p1;
    const c = p1.choice;
    const payloads = opened.chain.payloads;
    const sa = findPayload(payloads, 'sa');
    const nonce = findPayload(payloads, 'nonce');
    if (!sa || !nonce || nonce.data.length < 8 || nonce.data.length > 256) return this.unexpected('SA and a nonce of 8..256 bytes expected');
    const encap = udpEncapsulated(p1);
    const sel = selectEsp(sa.sa, this.cfg.policy, encap ? (usesDraftNumbers(p1.natT!.variant) ? 'draft' : 'rfc3947') : undefined);
    if (!sel.ok) return this.refuse(NOTIFY.NO_PROPOSAL_CHOSEN, 'no-proposal-chosen', `peer offered ${sel.offered.join(', ') || 'nothing'}`);
    const ids = findPayloads(payloads, 'id').map((p) => p.id);
    const problem = l2tpSelectorProblem(ids[1], ids[0], { local: this.cfg.local, remote: this.cfg.remote, localBehindNat: p1.nat.localBehindNat, peerBehindNat: p1.nat.peerBehindNat, server: 'us' });
    if (problem) return this.refuse(NOTIFY.INVALID_ID_INFORMATION, 'ts-unacceptable', problem);
    const ke = findPayload(payloads, 'ke');
    const choice = sel.choice;
    let gqmxy: Uint8Array | undefined;
    let ourKe: Uint8Array | undefined;
    if (choice.pfsGroup !== undefined) {
      const pair = ke ? dhGenerate(choice.pfsGroup, this.rng) : undefined;
      gqmxy = pair && ke ? dhSharedSecret(pair, ke.data) : undefined;
      if (!pair || !gqmxy) return this.refuse(NOTIFY.INVALID_KEY_INFORMATION, 'invalid-ke', `PFS ${dhGroup(choice.pfsGroup)!.name} without a valid KE`);
      ourKe = pair.publicKey;
    } else if (ke) return this.refuse(NOTIFY.INVALID_KEY_INFORMATION, 'invalid-ke', 'KE without a PFS group in the chosen transform');
    const nr = this.rng.bytes(32);
    const rest: IsakmpPayload[] = [{ kind: 'sa', sa: espAnswer(choice, this.cfg.ourSpi) }, { kind: 'nonce', data: nr }];
    if (ourKe) rest.push({ kind: 'ke', data: ourKe });
    rest.push({ kind: 'id', id: ids[0]! }, { kind: 'id', id: ids[1]! });
    const natOa = findPayloads(payloads, 'nat-oa').map((p) => p.address.slice());
    if (encap && (choice.encapsulation === ENCAPSULATION.UDP_TRANSPORT || choice.encapsulation === ENCAPSULATION.UDP_TRANSPORT_DRAFT)) {
      // RFC 3947 §5.2: in transport mode both sides send the original addresses (NAT-OAi, NAT-OAr).
      const draft = usesDraftNumbers(p1.natT!.variant);
      rest.push({ kind: 'nat-oa', draft, idType: ID_TYPE.IPV4_ADDR, address: this.cfg.remote.address }, { kind: 'nat-oa', draft, idType: ID_TYPE.IPV4_ADDR, address: this.cfg.local.address });
    }
    const ni = nonce.data.slice();
    const h2 = quickModeHash2(c.hash, p1.keys.a, this.messageId!, ni, encodePayloads(rest));
    const sealed = sealIkeMessage({ ...header, flags: FLAG.ENCRYPTION }, [{ kind: 'hash', data: h2 }, ...rest], c.cipher, p1.encKey, opened.nextIv);
    this.iv = sealed.nextIv;
    this.pending = { ni, nr };
    const keys = childSaKeys(p1, choice, this.cfg.ourSpi, ni, nr, gqmxy);
    this.child = { choice, ...keys, initiatorId: copyId(ids[0]!), responderId: copyId(ids[1]!), natOa, udpEncapsulated: encap };
    this.lastRequest = bytes.slice();
    this.lastReply = sealed.bytes;
    this.state = 'QUICK_R1';
    return [send(sealed.bytes), { kind: 'event', event: { type: 'inbound-ready', child: this.child, name: espChoiceName(choice) } }];
  }

  private unexpected(detail: string): QuickModeOutput[] {
    this.messageId = undefined;
    return [drop('ike-missing-payload', detail)];
  }

  /** Tells the peer why in an encrypted Informational and ends the machine. */
  private refuse(notifyType: number, reason: Phase2Failure, detail: string): QuickModeOutput[] {
    const info = sealInformational(this.cfg.p1, randomU32(this.rng) || 1, [notifyPayload(notifyType)]);
    return [send(info), ...this.fail(reason, detail)];
  }

  private fail(reason: Phase2Failure, detail?: string): QuickModeOutput[] {
    const state = this.state;
    this.state = 'failed';
    return [{ kind: 'event', event: { type: 'failed', reason, state, ...(detail !== undefined ? { detail } : {}) } }];
  }
}

function copyId(id: IdPayload): IdPayload {
  return { ...id, data: id.data.slice() };
}

function send(bytes: Uint8Array): QuickModeOutput {
  return { kind: 'send', proto: 17, bytes };
}

function drop(reason: Phase2DropReason, detail?: string): QuickModeOutput {
  return detail === undefined ? { kind: 'drop', reason } : { kind: 'drop', reason, detail };
}
