/**
 * Compression Control Protocol (RFC 1962) negotiating Microsoft
 * Point-to-Point Encryption (RFC 3078 §2). Read RFC 3078 §2.1 before editing.
 *
 * Policy follows pppd's options: `require-mppe-128` (strengths = [128],
 * required), `refuse-40` / `refuse-56`, `nomppe-stateful` (the default:
 * stateless only) or `mppe-stateful` (stateful allowed; we then ask for it).
 *
 * Negotiation (RFC 3078 §2.1): our request carries every strength we allow;
 * a request from the peer is Acked only when it names exactly one strength
 * we allow and a mode we accept, otherwise Nak'd with the single strongest
 * common strength. A Nak of ours is followed when it names a strength and
 * mode we allow, otherwise we close with the reason. MPPC (C bit), the
 * obsolete D bit and every other CCP algorithm (Stac, Deflate, BSD…) are
 * refused. Both directions must end with the same strength and mode.
 *
 * Reset-Request/Reset-Ack (RFC 1962 §2.2) pass through as events for the
 * MPPE data path: a Reset-Request makes our encrypter flush its next packet
 * (RFC 3078 §8.2) and is answered with a Reset-Ack carrying its Identifier.
 * RFC 3078 needs no Reset-Ack, but Linux does: after a decompression error
 * ppp_generic stops passing packets to ppp_mppe until an inbound CCP
 * Reset-Ack clears SC_DC_ERROR (ppp_ccp_peek), so without one stateful MPPE
 * toward pppd stalls for good after the first lost packet. `resetRequest()`
 * sends ours when the decrypter lost coherency.
 */
import { CP_CODE, PPP_PROTO } from '../protocols.js';
import { ControlProtocol } from '../fsm/protocol.js';
import type { CiResult, ExtResult, FsmOptions, FsmState, ReqciResult } from '../fsm/fsm.js';
import { bytesEqual, encodeCpPacket, encodeOptions, optionsLength, parseOptions, readU32, u32Option, type CpOption, type CpPacket } from '../fsm/packet.js';
import { CCP_OPTION_MPPE, MPPE_BITS, mppeBits, strongestMppeStrength, type MppeStrength } from '../mppe/options.js';
import { fail, ok, type Parsed } from '../../wire/parsed.js';
import type { CpOutput } from '../fsm/protocol.js';

/** A CCP option: MPPE typed, others raw. */
export type CcpOption = { kind: 'mppe'; bits: number } | { kind: 'raw'; type: number; data: Uint8Array };

/** Parses a CCP option list. */
export function parseCcpOptions(bytes: Uint8Array): Parsed<CcpOption[]> {
  const p = parseOptions(bytes);
  if (!p.ok) return fail(p.error.code, p.error.offset, p.error.field);
  return ok(p.value.map((o): CcpOption => (o.type === CCP_OPTION_MPPE && o.data.length === 4 ? { kind: 'mppe', bits: readU32(o.data) } : { kind: 'raw', type: o.type, data: o.data })), p.bytesRead);
}

function toCp(o: CcpOption): CpOption {
  return o.kind === 'mppe' ? u32Option(CCP_OPTION_MPPE, o.bits) : { type: o.type, data: o.data };
}

/** Encodes a CCP option list. */
export function encodeCcpOptions(options: readonly CcpOption[]): Uint8Array {
  return encodeOptions(options.map(toCp));
}

/** Encoded length of a CCP option list. */
export function ccpOptionsLength(options: readonly CcpOption[]): number {
  return optionsLength(options.map(toCp));
}

/** MPPE policy (pppd option names in the comments). */
export interface MppePolicy {
  /** Strengths we allow; empty turns MPPE (and CCP) off. Default [128, 56, 40]. */
  strengths: readonly MppeStrength[];
  /** The link fails without MPPE (require-mppe). */
  required: boolean;
  /** Allow stateful (history) mode; false is pppd's nomppe-stateful. */
  allowStateful: boolean;
}

/** pptpd's default: require-mppe-128, stateless only. */
export const PPTPD_MPPE_POLICY: MppePolicy = { strengths: [128], required: true, allowStateful: false };

/** CCP configuration. */
export interface CcpConfig {
  mppe: MppePolicy;
  fsm?: Partial<FsmOptions>;
}

/** What CCP agreed. */
export interface CcpNegotiated {
  strength: MppeStrength;
  stateless: boolean;
}

/** CCP events for the session / MPPE data path. */
export type CcpEvent =
  /** The peer asks us to re-key (stateful MPPE lost sync at its end). */
  | { type: 'ccp-reset-request'; identifier: number }
  | { type: 'ccp-reset-ack'; identifier: number }
  | { type: 'ccp-failed'; reason: string };

const STRENGTH_ORDER: readonly MppeStrength[] = [128, 56, 40];
const STRENGTH_BITS = MPPE_BITS.BITS_128 | MPPE_BITS.BITS_56 | MPPE_BITS.BITS_40;

function describe(bits: number): string {
  const s = STRENGTH_ORDER.filter((x) => bits & mppeBits(x, false)).map((x) => `${x}-bit`);
  return `${s.length ? s.join('/') : 'no strength'}${bits & MPPE_BITS.STATELESS ? ' stateless' : ' stateful'}`;
}

/** CCP with MPPE option negotiation. */
export class Ccp extends ControlProtocol<CcpEvent> {
  negotiated: CcpNegotiated | undefined;
  private want: number | undefined;
  private lastRequest: Uint8Array = new Uint8Array(0);
  private his: number | undefined;
  private nextId = 1;

  constructor(private readonly cfg: CcpConfig) {
    super(PPP_PROTO.CCP, cfg.fsm);
    this.resetci();
  }

  private allowedStrengthBits(): number {
    let b = 0;
    for (const s of this.cfg.mppe.strengths) b |= mppeBits(s, false);
    return b;
  }

  resetci(): void {
    const s = this.allowedStrengthBits();
    // RFC 3078 §2.1: the initiator requests everything it supports. We ask for
    // stateful only when the policy allows it; the peer Naks in H if it must.
    this.want = s === 0 ? undefined : (s | (this.cfg.mppe.allowStateful ? 0 : MPPE_BITS.STATELESS)) >>> 0;
    this.his = undefined;
  }

  addci(): Uint8Array {
    this.lastRequest = this.want === undefined ? new Uint8Array(0) : encodeCcpOptions([{ kind: 'mppe', bits: this.want }]);
    return this.lastRequest;
  }

  ackci(options: Uint8Array): boolean {
    return bytesEqual(options, this.lastRequest);
  }

  nakci(options: Uint8Array): CiResult {
    const p = parseCcpOptions(options);
    if (!p.ok) return false;
    for (const o of p.value) {
      if (o.kind !== 'mppe' || this.want === undefined) continue;
      const offered = o.bits & STRENGTH_BITS;
      const common = offered & this.allowedStrengthBits();
      const strength = strongestMppeStrength(common);
      if (strength === undefined) {
        return { close: `MPPE strength mismatch: peer offers ${describe(o.bits)}, policy allows ${describe(this.allowedStrengthBits() | MPPE_BITS.STATELESS)}` };
      }
      // A Nak toward stateful that our policy refuses keeps our stateless request:
      // the peer answers our own Nak of its request by moving to stateless (both
      // sides answer with their request's mode, see reqci), and the FSM's Nak
      // limit ends a peer that never does.
      const stateless = (o.bits & MPPE_BITS.STATELESS) !== 0 || !this.cfg.mppe.allowStateful;
      this.want = mppeBits(strength, stateless);
    }
    return true;
  }

  rejci(options: Uint8Array): CiResult {
    const p = parseCcpOptions(options);
    if (!p.ok) return false;
    for (const o of p.value) {
      if (o.kind !== 'mppe' || this.want === undefined) return false;
      if (this.cfg.mppe.required) return { close: 'peer refused MPPE (CCP option 18 rejected) but MPPE is required' };
      this.want = undefined;
    }
    return true;
  }

  reqci(options: Uint8Array, rejectIfDisagree: boolean): ReqciResult {
    const p = parseCcpOptions(options);
    if (!p.ok) return { code: CP_CODE.CONFIGURE_REJECT, options };
    const rej: CcpOption[] = [];
    const nak: CcpOption[] = [];
    let his: number | undefined;
    for (const o of p.value) {
      if (o.kind === 'raw' || this.allowedStrengthBits() === 0) {
        rej.push(o); // MPPC-only, Stac, Deflate, BSD, …; or MPPE when it is off.
        continue;
      }
      const common = o.bits & this.allowedStrengthBits();
      const strength = strongestMppeStrength(common) ?? this.cfg.mppe.strengths.reduce<MppeStrength>((a, s) => (s > a ? s : a), 40);
      const statelessAsked = (o.bits & MPPE_BITS.STATELESS) !== 0;
      // Both directions must use one mode (up() checks). Answer with the mode of
      // our own request: pppd with mppe-stateful asks +H first and agrees to -H
      // when Nak'd; had we Acked its +H while asking -H ourselves, pppd would Ack
      // ours too and the directions would disagree (test/interop, MPPE-128 stateful).
      // When the peer cannot do our mode it Naks our request and nakci moves `want`.
      const stateless = this.want !== undefined ? (this.want & MPPE_BITS.STATELESS) !== 0 : statelessAsked || !this.cfg.mppe.allowStateful;
      const answer = mppeBits(strength, stateless);
      if (o.bits === answer) his = answer;
      else if (rejectIfDisagree) rej.push(o);
      else nak.push({ kind: 'mppe', bits: answer });
    }
    if (rej.length) return { code: CP_CODE.CONFIGURE_REJECT, options: encodeCcpOptions(rej) };
    if (nak.length) return { code: CP_CODE.CONFIGURE_NAK, options: encodeCcpOptions(nak) };
    this.his = his;
    return { code: CP_CODE.CONFIGURE_ACK, options };
  }

  up(): void {
    const mine = this.want;
    const his = this.his;
    if (mine === undefined && his === undefined) {
      if (this.cfg.mppe.required) this.fail('peer negotiated CCP without MPPE but MPPE is required');
      return;
    }
    if (mine === undefined || his === undefined || mine !== his) {
      this.fail(`MPPE directions disagree: we receive ${mine === undefined ? 'none' : describe(mine)}, we send ${his === undefined ? 'none' : describe(his)}`);
      return;
    }
    this.negotiated = { strength: strongestMppeStrength(mine)!, stateless: (mine & MPPE_BITS.STATELESS) !== 0 };
  }

  private fail(reason: string): void {
    this.pendingClose = reason;
    this.emit({ type: 'ccp-failed', reason });
  }

  down(): void {
    this.negotiated = undefined;
  }

  /** Reset-Request / Reset-Ack (RFC 1962 §2.2). */
  extcode(pkt: CpPacket, state: FsmState): ExtResult {
    if (pkt.code === CP_CODE.RESET_REQUEST) {
      if (state !== 'Opened') return { kind: 'drop', detail: `Reset-Request in ${state}` };
      this.emit({ type: 'ccp-reset-request', identifier: pkt.identifier });
      // RFC 1962 §2.2: the Reset-Ack copies the Identifier (and is what lets Linux decompress again).
      return { kind: 'handled', reply: { code: CP_CODE.RESET_ACK, identifier: pkt.identifier, data: new Uint8Array(0) } };
    }
    if (pkt.code === CP_CODE.RESET_ACK) {
      if (state !== 'Opened') return { kind: 'drop', detail: `Reset-Ack in ${state}` };
      this.emit({ type: 'ccp-reset-ack', identifier: pkt.identifier });
      return { kind: 'handled' };
    }
    return { kind: 'unknown' };
  }

  /** Sends a Reset-Request (stateful MPPE lost coherency), when Opened. */
  resetRequest(out: CpOutput<CcpEvent>[]): boolean {
    if (!this.fsm.isOpened) return false;
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0xff;
    out.push({ kind: 'send', proto: PPP_PROTO.CCP, bytes: encodeCpPacket({ code: CP_CODE.RESET_REQUEST, identifier: id, data: new Uint8Array(0) }) });
    return true;
  }
}
