/**
 * IKEv1 Main Mode responder with pre-shared keys (RFC 2409 §5, §5.4), one
 * machine per initiator cookie and peer address.
 *
 * Theory of operation. Main Mode is three request/response pairs; the
 * responder never sends on its own, it answers:
 *
 *   MAIN_R0 --1: HDR, SA, VID*-------> choose a transform  --2: HDR, SA, VID*------> MAIN_R1
 *   MAIN_R1 --3: HDR, KE, Ni, NAT-D*-> DH, keys, NAT-D     --4: HDR, KE, Nr, NAT-D*-> MAIN_R2
 *   MAIN_R2 --5: HDR*, IDii, HASH_I--> check HASH_I (PSK)   --6: HDR*, IDir, HASH_R--> MAIN_R3
 *
 * MAIN_R3 is established (the `established` event carries the ISAKMP SA);
 * Quick Mode and informational exchanges belong to the next layer. A repeat
 * of the last request gets the last answer again (the initiator lost it),
 * at most `maxResends` times. Anything else that does not fit the state is
 * dropped with a reason and changes nothing; after message 1 a packet must
 * carry both cookies (8 random bytes of ours) to matter, so an off-path
 * sender cannot break a negotiation. The whole negotiation must finish within
 * `negotiationTimeoutMs` (half-open SAs are reaped; limits per source are
 * the driver's).
 *
 * Refusals: Aggressive Mode (its hash goes out in clear to anyone asking, an
 * offline PSK attack), no acceptable proposal (answered with an unencrypted
 * NO-PROPOSAL-CHOSEN notification, RFC 2408 §5.4, and the offer in the
 * event), a KE of the wrong size or value, nonces outside 8..256 bytes (RFC
 * 2409 §5), and a message 5 that does not decrypt to a valid chain or whose
 * HASH_I does not verify: with a PSK that is the PSK mismatch, reported as
 * such. Read RFC 2409 §5 and RFC 3947 §3-§4 before editing.
 */
import type { Rng } from '../core/rng.js';
import type { Millis, Output } from '../core/machine.js';
import { DOI_IPSEC, EXCHANGE, FLAG, ID_TYPE, NOTIFY, PROTO } from './constants.js';
import { dhGenerate, dhGroup, dhSharedSecret } from './dh.js';
import { openIkeMessage, sealIkeMessage } from './ikev1-cipher.js';
import { hashI, hashR } from './ikev1-keys.js';
import { encodeIsakmpMessage, encodePayloadBody, findPayload, findPayloads, parseIsakmpMessage, type IsakmpHeaderFields, type IsakmpMessage, type IsakmpPayload } from './isakmp.js';
import { mainModeKeys, natDPayloads, detectNat, sameBytes, sameHash, type Endpoint, type MainModeKeys, type NatDetection, type Phase1Sa } from './phase1-sa.js';
import { phase1Answer, selectPhase1, type Phase1Choice, type Phase1Policy } from './phase1-proposals.js';
import { DPD_VENDOR_ID, natTraversalVariant, recognizeVendorId, type NatTraversalChoice } from './vendor-ids.js';

/** Responder states, in pluto's names. */
export type MainModeResponderState = 'MAIN_R0' | 'MAIN_R1' | 'MAIN_R2' | 'MAIN_R3' | 'failed';

/** Why Phase 1 failed. */
export type Phase1Failure = 'no-proposal-chosen' | 'aggressive-mode' | 'invalid-ke' | 'psk-mismatch' | 'timeout';

/** Events for the driver and the log. */
export type Phase1Event =
  | { type: 'established'; sa: Phase1Sa }
  | { type: 'failed'; reason: Phase1Failure; state: string; detail?: string };

/** Why a packet was dropped without effect. */
export type Phase1DropReason =
  /** The datagram is not a valid ISAKMP message (codec error in the detail). */
  | 'ike-malformed'
  /** Cookies, exchange type, message ID or flags do not belong to this exchange. */
  | 'ike-not-this-exchange'
  /** A valid message that the current state does not expect (and not a retransmission). */
  | 'ike-wrong-state'
  /** A retransmission answered too often already. */
  | 'ike-resend-limit'
  /** A required payload is missing (SA, KE, nonce, ID, HASH). */
  | 'ike-missing-payload'
  /** A nonce outside 8..256 bytes (RFC 2409 §5). */
  | 'ike-bad-nonce'
  /** The machine already failed; the driver should have removed it. */
  | 'ike-after-failure';

/** What drives the responder. */
export type MainModeResponderInput = { type: 'packet'; bytes: Uint8Array } | { type: 'timeout' };

/** Output of the responder. `send` bytes go back to the peer on the port the request came in on. */
export type MainModeOutput = Output<Phase1Event, Phase1DropReason>;

/** Configuration of one responder. */
export interface MainModeResponderConfig {
  psk: Uint8Array;
  policy: Phase1Policy;
  /** Our address and port as we received message 1 on them. */
  local: Endpoint;
  /** The peer's address and port as we see them. */
  remote: Endpoint;
  negotiationTimeoutMs?: number;
  maxResends?: number;
  /** Make NAT-T peers use UDP 4500 even without a NAT (see natDPayloads). */
  forceEncapsulation?: boolean;
}

/** UDP: the `proto` of our `send` outputs. */
const IKE_SEND_PROTO = 17;
const NONCE_MIN = 8;
const NONCE_MAX = 256;
const OUR_NONCE_BYTES = 32;

/** The responder machine. */
export class MainModeResponder {
  state: MainModeResponderState = 'MAIN_R0';
  /** Set once message 1 arrived. */
  initiatorCookie: Uint8Array | undefined;
  readonly responderCookie: Uint8Array;
  private deadline: Millis | undefined;
  private choice: Phase1Choice | undefined;
  private natT: NatTraversalChoice | undefined;
  private dpd = false;
  private saiB: Uint8Array | undefined;
  private gxi: Uint8Array | undefined;
  private gxr: Uint8Array | undefined;
  private ni: Uint8Array | undefined;
  private nr: Uint8Array | undefined;
  private keys: MainModeKeys | undefined;
  private nat: NatDetection = { localBehindNat: false, peerBehindNat: false };
  private lastRequest: Uint8Array | undefined;
  private lastReply: Uint8Array | undefined;
  private resends = 0;
  /** The established SA (MAIN_R3). */
  sa: Phase1Sa | undefined;

  constructor(
    private readonly cfg: MainModeResponderConfig,
    private readonly rng: Rng,
  ) {
    this.responderCookie = rng.bytes(8);
  }

  /** When the negotiation times out, while it is under way. */
  nextDeadline(): Millis | undefined {
    return this.state === 'MAIN_R3' || this.state === 'failed' ? undefined : this.deadline;
  }

  /** Handles a datagram (ISAKMP bytes, the non-ESP marker already removed) or a timeout. */
  handle(input: MainModeResponderInput, now: Millis): MainModeOutput[] {
    if (input.type === 'timeout') {
      if (this.deadline === undefined || now < this.deadline || this.state === 'MAIN_R3' || this.state === 'failed') return [];
      return this.fail('timeout', `no message ${this.state === 'MAIN_R0' ? 1 : this.state === 'MAIN_R1' ? 3 : 5} within ${this.timeoutMs()} ms`);
    }
    if (this.state === 'failed') return [drop('ike-after-failure')];
    const parsed = parseIsakmpMessage(input.bytes);
    if (!parsed.ok) return [drop('ike-malformed', `${parsed.error.code} at ${parsed.error.offset}${parsed.error.field ? ` (${parsed.error.field})` : ''}`)];
    const m = parsed.value;
    if (m.header.exchangeType === EXCHANGE.AGGRESSIVE && this.state === 'MAIN_R0') {
      return this.fail('aggressive-mode', 'Aggressive Mode refused: it exposes a hash of the PSK to offline guessing');
    }
    if (m.header.exchangeType !== EXCHANGE.IDENTITY_PROTECTION || m.header.messageId !== 0) return [drop('ike-not-this-exchange', `exchange ${m.header.exchangeType}, message ID ${m.header.messageId}`)];
    if (this.initiatorCookie && !sameBytes(this.initiatorCookie, m.header.initiatorCookie)) return [drop('ike-not-this-exchange', 'initiator cookie')];
    // A retransmission of the request we last answered: answer again (the initiator lost our reply).
    if (sameBytes(this.lastRequest, input.bytes) && this.lastReply) {
      if (this.resends >= (this.cfg.maxResends ?? 5)) return [drop('ike-resend-limit')];
      this.resends++;
      return [send(this.lastReply)];
    }
    switch (this.state) {
      case 'MAIN_R0': return this.onMessage1(m, input.bytes, now);
      case 'MAIN_R1': return this.onMessage3(m, input.bytes);
      case 'MAIN_R2': return this.onMessage5(m, input.bytes);
      default: return [drop('ike-wrong-state', `message in ${this.state}`)];
    }
  }

  private timeoutMs(): number {
    return this.cfg.negotiationTimeoutMs ?? 30_000;
  }

  private header(flags = 0): IsakmpHeaderFields {
    return { initiatorCookie: this.initiatorCookie!, responderCookie: this.responderCookie, majorVersion: 1, minorVersion: 0, exchangeType: EXCHANGE.IDENTITY_PROTECTION, flags, messageId: 0 };
  }

  private answer(request: Uint8Array, reply: Uint8Array): MainModeOutput[] {
    this.lastRequest = request.slice();
    this.lastReply = reply;
    this.resends = 0;
    return [send(reply)];
  }

  private fail(reason: Phase1Failure, detail?: string): MainModeOutput[] {
    const state = this.state;
    this.state = 'failed';
    return [{ kind: 'event', event: { type: 'failed', reason, state, ...(detail !== undefined ? { detail } : {}) } }];
  }

  private onMessage1(m: IsakmpMessage, bytes: Uint8Array, now: Millis): MainModeOutput[] {
    if (m.header.flags & FLAG.ENCRYPTION || !m.header.responderCookie.every((b) => b === 0)) return [drop('ike-not-this-exchange', 'message 1 must be clear with a zero responder cookie')];
    const saIndex = m.payloads.findIndex((p) => p.kind === 'sa');
    if (saIndex < 0) return [drop('ike-missing-payload', 'SA')];
    this.initiatorCookie = m.header.initiatorCookie.slice();
    this.deadline = now + this.timeoutMs();
    const sa = m.payloads[saIndex] as Extract<IsakmpPayload, { kind: 'sa' }>;
    const sel = selectPhase1(sa.sa, this.cfg.policy);
    if (!sel.ok) {
      // RFC 2408 §5.4: tell the initiator why, in an unencrypted Informational (no keys exist yet).
      const notify = encodeIsakmpMessage({
        header: { ...this.header(), exchangeType: EXCHANGE.INFORMATIONAL },
        payloads: [{ kind: 'notify', notify: { doi: DOI_IPSEC, protocolId: PROTO.ISAKMP, spi: new Uint8Array(0), notifyType: NOTIFY.NO_PROPOSAL_CHOSEN, data: new Uint8Array(0) } }],
      });
      return [send(notify), ...this.fail('no-proposal-chosen', `peer offered ${sel.offered.join(', ') || 'nothing'}`)];
    }
    this.choice = sel.choice;
    const vids = findPayloads(m.payloads, 'vendor-id').map((v) => v.data);
    this.natT = natTraversalVariant(vids);
    this.dpd = vids.some((v) => recognizeVendorId(v)?.known.name === 'dpd');
    this.saiB = m.bodies[saIndex]!.slice();
    const reply: IsakmpPayload[] = [{ kind: 'sa', sa: phase1Answer(sel.choice) }];
    if (this.natT) reply.push({ kind: 'vendor-id', data: this.natT.vendorId });
    reply.push({ kind: 'vendor-id', data: DPD_VENDOR_ID });
    this.state = 'MAIN_R1';
    return this.answer(bytes, encodeIsakmpMessage({ header: this.header(), payloads: reply }));
  }

  private onMessage3(m: IsakmpMessage, bytes: Uint8Array): MainModeOutput[] {
    if (m.header.flags & FLAG.ENCRYPTION || !sameBytes(this.responderCookie, m.header.responderCookie)) return [drop('ike-not-this-exchange', 'message 3 must be clear with our cookie')];
    const ke = findPayload(m.payloads, 'ke');
    const nonce = findPayload(m.payloads, 'nonce');
    if (!ke || !nonce) {
      // A repeat of message 1 (the initiator lost message 2 and its bytes differ, e.g. new VIDs) is not message 3.
      return [drop(findPayload(m.payloads, 'sa') ? 'ike-wrong-state' : 'ike-missing-payload', 'KE and nonce expected')];
    }
    if (nonce.data.length < NONCE_MIN || nonce.data.length > NONCE_MAX) return [drop('ike-bad-nonce', `${nonce.data.length} bytes`)];
    const choice = this.choice!;
    const group = dhGroup(choice.group)!;
    if (ke.data.length !== group.publicBytes) return this.fail('invalid-ke', `KE of ${ke.data.length} bytes for ${group.name} (${group.publicBytes} expected)`);
    const pair = dhGenerate(choice.group, this.rng);
    const gxy = dhSharedSecret(pair, ke.data);
    if (!gxy) return this.fail('invalid-ke', `peer public value is not valid in ${group.name}`);
    this.gxi = ke.data.slice();
    this.gxr = pair.publicKey;
    this.ni = nonce.data.slice();
    this.nr = this.rng.bytes(OUR_NONCE_BYTES);
    this.keys = mainModeKeys(choice.hash, choice.cipher, this.cfg.psk, this.ni, this.nr, this.gxi, this.gxr, gxy, this.initiatorCookie!, this.responderCookie);
    const reply: IsakmpPayload[] = [{ kind: 'ke', data: this.gxr }, { kind: 'nonce', data: this.nr }];
    if (this.natT) {
      const nat = detectNat(choice.hash, m.payloads, this.initiatorCookie!, this.responderCookie, this.cfg.local, this.cfg.remote);
      if (nat) {
        // Forcing encapsulation, we act as if behind a NAT: UDP-encapsulated modes from then on.
        this.nat = this.cfg.forceEncapsulation ? { ...nat, localBehindNat: true } : nat;
        reply.push(...natDPayloads(choice.hash, this.natT, this.initiatorCookie!, this.responderCookie, this.cfg.local, this.cfg.remote, this.cfg.forceEncapsulation));
      } else this.natT = undefined; // announced but not used: no NAT-T for this SA
    }
    this.state = 'MAIN_R2';
    return this.answer(bytes, encodeIsakmpMessage({ header: this.header(), payloads: reply }));
  }

  private onMessage5(m: IsakmpMessage, bytes: Uint8Array): MainModeOutput[] {
    if (!(m.header.flags & FLAG.ENCRYPTION) || !sameBytes(this.responderCookie, m.header.responderCookie)) {
      return [drop(findPayload(m.payloads, 'ke') ? 'ike-wrong-state' : 'ike-not-this-exchange', 'message 5 must be encrypted with our cookie')];
    }
    const choice = this.choice!;
    const keys = this.keys!;
    const opened = openIkeMessage(m, choice.cipher, keys.encKey, keys.iv);
    const idIndex = opened ? opened.chain.payloads.findIndex((p) => p.kind === 'id') : -1;
    const hash = opened ? findPayload(opened.chain.payloads, 'hash') : undefined;
    // With a PSK, a message 5 that decrypts to garbage or carries the wrong HASH_I means the keys differ: the PSK.
    if (!opened || idIndex < 0 || !hash) return this.fail('psk-mismatch', opened ? 'message 5 lacks ID or HASH' : 'message 5 does not decrypt to valid payloads');
    const idiiB = opened.chain.bodies[idIndex]!;
    const expected = hashI(choice.hash, keys.keys.skeyid, this.gxi!, this.gxr!, this.initiatorCookie!, this.responderCookie, this.saiB!, idiiB);
    if (!sameHash(hash.data, expected)) return this.fail('psk-mismatch', 'HASH_I does not verify');
    const peerId = (opened.chain.payloads[idIndex] as Extract<IsakmpPayload, { kind: 'id' }>).id;
    const initialContact = findPayloads(opened.chain.payloads, 'notify').some((n) => n.notify.notifyType === NOTIFY.INITIAL_CONTACT);
    // IDir: our address, protocol and port mirrored from IDii (Windows sends UDP/500 and accepts the same back).
    const idR: IsakmpPayload = { kind: 'id', id: { idType: ID_TYPE.IPV4_ADDR, protocolId: peerId.protocolId, port: peerId.port, data: this.cfg.local.address } };
    const hr = hashR(choice.hash, keys.keys.skeyid, this.gxi!, this.gxr!, this.initiatorCookie!, this.responderCookie, this.saiB!, encodePayloadBody(idR));
    const sealed = sealIkeMessage(this.header(), [idR, { kind: 'hash', data: hr }], choice.cipher, keys.encKey, opened.nextIv);
    this.sa = {
      role: 'responder',
      initiatorCookie: this.initiatorCookie!,
      responderCookie: this.responderCookie,
      choice,
      keys: keys.keys,
      encKey: keys.encKey,
      lastPhase1Block: sealed.nextIv,
      initiatorNonce: this.ni!,
      responderNonce: this.nr!,
      peerId: { ...peerId, data: peerId.data.slice() },
      natT: this.natT,
      nat: this.nat,
      dpd: this.dpd,
      initialContact,
    };
    this.state = 'MAIN_R3';
    return [...this.answer(bytes, sealed.bytes), { kind: 'event', event: { type: 'established', sa: this.sa } }];
  }
}

function send(bytes: Uint8Array): MainModeOutput {
  return { kind: 'send', proto: IKE_SEND_PROTO, bytes };
}

function drop(reason: Phase1DropReason, detail?: string): MainModeOutput {
  return detail === undefined ? { kind: 'drop', reason } : { kind: 'drop', reason, detail };
}
