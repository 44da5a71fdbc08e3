/**
 * Informational exchanges under an ISAKMP SA (RFC 2409 §5.7): one encrypted
 * message of HASH and Notification/Delete payloads, with its own message ID,
 * the IV derived from the last Phase 1 block and that ID (Appendix B), and
 * HASH = prf(SKEYID_a, M-ID | N/D).
 *
 * Builders for what tunppp sends through them: NO-PROPOSAL-CHOSEN and
 * INVALID-ID-INFORMATION after a refused Quick Mode, Delete, and RFC 3706
 * DPD R-U-THERE / R-U-THERE-ACK (ISAKMP SPI = the two cookies, data = the
 * 32-bit sequence number).
 */
import { u32Bytes } from './bytes.js';
import { DOI_IPSEC, EXCHANGE, FLAG, NOTIFY, PROTO } from './constants.js';
import { openIkeMessage, sealIkeMessage } from './ikev1-cipher.js';
import { informationalHash, phase2Iv } from './ikev1-keys.js';
import { encodePayloads, type IsakmpMessage, type IsakmpPayload } from './isakmp.js';
import type { Phase1Sa } from './phase1-sa.js';
import { sameHash } from './phase1-sa.js';

/** An encrypted Informational message carrying `payloads` (notifications, deletes). */
export function sealInformational(p1: Phase1Sa, messageId: number, payloads: readonly IsakmpPayload[]): Uint8Array {
  const c = p1.choice;
  const hash = informationalHash(c.hash, p1.keys.a, messageId, encodePayloads(payloads));
  const header = { initiatorCookie: p1.initiatorCookie, responderCookie: p1.responderCookie, majorVersion: 1, minorVersion: 0, exchangeType: EXCHANGE.INFORMATIONAL, flags: FLAG.ENCRYPTION, messageId };
  return sealIkeMessage(header, [{ kind: 'hash', data: hash }, ...payloads], c.cipher, p1.encKey, phase2Iv(c.hash, p1.lastPhase1Block, messageId, c.cipher.blockBytes)).bytes;
}

/** Why a received Informational was not accepted. */
export type InformationalProblem = 'not-informational' | 'undecryptable' | 'bad-hash';

/** Decrypts and authenticates a received Informational: its payloads after the HASH, or the problem. */
export function openInformational(p1: Phase1Sa, m: IsakmpMessage): { ok: true; payloads: IsakmpPayload[] } | { ok: false; problem: InformationalProblem } {
  if (m.header.exchangeType !== EXCHANGE.INFORMATIONAL || !m.encrypted || m.header.messageId === 0) return { ok: false, problem: 'not-informational' };
  const c = p1.choice;
  const opened = openIkeMessage(m, c.cipher, p1.encKey, phase2Iv(c.hash, p1.lastPhase1Block, m.header.messageId, c.cipher.blockBytes));
  if (!opened) return { ok: false, problem: 'undecryptable' };
  const first = opened.chain.payloads[0];
  if (!first || first.kind !== 'hash') return { ok: false, problem: 'bad-hash' };
  const after = opened.plain.subarray(4 + opened.chain.bodies[0]!.length);
  if (!sameHash(first.data, informationalHash(c.hash, p1.keys.a, m.header.messageId, after))) return { ok: false, problem: 'bad-hash' };
  return { ok: true, payloads: opened.chain.payloads.slice(1) };
}

/** A notification about the ISAKMP SA (no SPI) or an ESP SA (its 4-byte SPI). */
export function notifyPayload(notifyType: number, spi: Uint8Array = new Uint8Array(0), data: Uint8Array = new Uint8Array(0)): IsakmpPayload {
  return { kind: 'notify', notify: { doi: DOI_IPSEC, protocolId: spi.length === 4 ? PROTO.IPSEC_ESP : PROTO.ISAKMP, spi, notifyType, data } };
}

/** RFC 3706 §5.1: R-U-THERE or R-U-THERE-ACK with the cookies as SPI and the sequence number as data. */
export function dpdPayload(p1: Phase1Sa, ack: boolean, sequence: number): IsakmpPayload {
  const spi = new Uint8Array(16);
  spi.set(p1.initiatorCookie);
  spi.set(p1.responderCookie, 8);
  return { kind: 'notify', notify: { doi: DOI_IPSEC, protocolId: PROTO.ISAKMP, spi, notifyType: ack ? NOTIFY.R_U_THERE_ACK : NOTIFY.R_U_THERE, data: u32Bytes(sequence) } };
}

/** A Delete of ESP SAs by SPI, or of the ISAKMP SA itself (RFC 2408 §3.15). */
export function deletePayload(p1: Phase1Sa, espSpis?: readonly Uint8Array[]): IsakmpPayload {
  if (espSpis) return { kind: 'delete', delete: { doi: DOI_IPSEC, protocolId: PROTO.IPSEC_ESP, spiSize: 4, spis: [...espSpis] } };
  const spi = new Uint8Array(16);
  spi.set(p1.initiatorCookie);
  spi.set(p1.responderCookie, 8);
  return { kind: 'delete', delete: { doi: DOI_IPSEC, protocolId: PROTO.ISAKMP, spiSize: 16, spis: [spi] } };
}
