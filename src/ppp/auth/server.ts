/**
 * The authenticator side of PAP (RFC 1334 §2), CHAP-MD5 (RFC 1994 §4),
 * MS-CHAPv1 (RFC 2433) and MS-CHAPv2 (RFC 2759), as one sans-I/O machine.
 *
 * Theory of operation
 * -------------------
 * States: Initial → (PAP) Wait-Request | (CHAP) Challenge-Sent → Verifying →
 * Success | Retry-Wait (MS-CHAP R=1) | Failed.
 *
 * - The machine never sees a secret. A complete Authenticate-Request or
 *   Response becomes a `verify` event; the session answers with a `verdict`
 *   input carrying the same requestId, whenever the backend is done.
 * - A verdict is bound to the exchange it was asked for: the requestId comes
 *   from `nextRequestId` (the session's per-link counter, which never restarts
 *   when LCP renegotiates and a new machine is made), and a verdict naming its
 *   request must also match that request's user name and challenge. Anything
 *   else is a `stale-verdict` drop, never a Success for another exchange.
 * - The peer's answer is checked at this edge: a Name or Peer-ID over 253
 *   octets (more than RADIUS can carry, RFC 2865 §5.1) or a Response Value of
 *   the wrong size for the algorithm (16 for CHAP-MD5, 49 for MS-CHAP) is a
 *   protocol error: Failure/Nak and a final `failure` event with `malformed`
 *   set, counted like a wrong password, never sent to a backend.
 * - CHAP: a Challenge is sent every restart interval until a Response
 *   arrives, at most maxTransmits times, then the machine fails with
 *   'timeout'. Each one has a new Identifier and Value (RFC 1994 §4.1 MUST;
 *   pppd resends the same packet, which our client also handles).
 * - MS-CHAP failures with code 691 allow `maxRetries` retries: the Failure
 *   says "E=691 R=1 C=<new challenge> V=3 M=…" and the peer answers with a
 *   Response whose Identifier is the Failure's plus one (RFC 2759 §7 uses the
 *   same rule for Change-Password; Windows does it for retries). Other codes
 *   (646–649) are final: R=0.
 * - A repeated Response (same Identifier) after the verdict gets the same
 *   Success/Failure again: the first one may have been lost (RFC 1994 §4.2).
 *   Likewise for PAP Authenticate-Request (RFC 1334 §2.2.1).
 * - Optional periodic rechallenge (RFC 1994 §3): off unless
 *   rechallengeIntervalMs is set; a failed rechallenge is final.
 *
 * Left out: MS-CHAPv2 Change-Password (code 7) is answered with E=709 R=0.
 */
import type { Millis } from '../../core/machine.js';
import type { Rng } from '../../core/rng.js';
import {
  AUTH_DEFAULTS,
  MSCHAP_ERROR,
  authPppProtocol,
  type AuthDropReason,
  type AuthEvent,
  type AuthMachine,
  type AuthOutput,
  type AuthProof,
  type AuthProtocol,
  type AuthServerInput,
  type AuthServerOptions,
  type AuthVerdict,
  type VerifyRequest,
} from './types.js';
import { CHAP_CODE, PAP_CODE, encodeChapPacket, encodePapPacket, parseChapPacket, parsePapPacket } from './packets.js';
import { formatMsChapFailure, formatMsChapV2Success, messageText } from './mschap-message.js';
import { utf8 } from './mschap.js';

/** Server states (see the theory of operation). */
export type AuthServerState = 'Initial' | 'Wait-Request' | 'Challenge-Sent' | 'Verifying' | 'Success' | 'Retry-Wait' | 'Failed';

/** Octets in an MS-CHAP Response value (RFC 2433 §6, RFC 2759 §4). */
const MSCHAP_RESPONSE_SIZE = 49;
/** Octets in a CHAP-MD5 Response value: the MD5 output (RFC 1994 §4.1). */
const CHAP_MD5_RESPONSE_SIZE = 16;
/** The longest peer name accepted: what a RADIUS User-Name can carry (RFC 2865 §5.1). */
export const MAX_PEER_NAME_OCTETS = 253;

/** The authenticator: challenges the peer and asks a backend to verify the answer. */
export class AuthServer implements AuthMachine<AuthServerInput> {
  readonly protocol: AuthProtocol;
  private readonly proto: number;
  private readonly name: Uint8Array;
  private readonly restartMs: number;
  private readonly maxTransmits: number;
  private readonly maxRetries: number;
  private readonly retryWaitMs: number;
  private readonly papWaitMs: number;
  private readonly rechallengeMs: number | undefined;

  private st: AuthServerState = 'Initial';
  private deadline: Millis | undefined;
  /** Identifier of the outstanding Challenge (CHAP) or the request being verified (PAP). */
  private identifier = 0;
  /** Identifier a retry Response must carry after a Failure with R=1. */
  private retryIdentifier = -1;
  private challenge: Uint8Array = new Uint8Array(0);
  private transmits = 0;
  private retriesUsed = 0;
  private requestId = 0;
  private readonly nextRequestId: () => number;
  private pending: { requestId: number; identifier: number; username: string; proof: AuthProof } | undefined;
  /** The last Success/Failure/Ack/Nak sent and the Identifier it answered, for repeats. */
  private lastAnswer: { identifier: number; bytes: Uint8Array } | undefined;
  private authenticated = false;
  private peerName = '';

  constructor(
    opts: AuthServerOptions,
    private readonly rng: Rng,
  ) {
    this.protocol = opts.protocol;
    this.proto = authPppProtocol(opts.protocol);
    this.name = utf8(opts.name);
    this.restartMs = opts.restartTimerMs ?? AUTH_DEFAULTS.restartTimerMs;
    this.maxTransmits = opts.maxTransmits ?? AUTH_DEFAULTS.maxTransmits;
    this.maxRetries = opts.maxRetries ?? AUTH_DEFAULTS.maxRetries;
    this.retryWaitMs = opts.retryWaitMs ?? AUTH_DEFAULTS.retryWaitMs;
    this.papWaitMs = opts.papWaitMs ?? AUTH_DEFAULTS.papWaitMs;
    this.rechallengeMs = opts.rechallengeIntervalMs;
    this.nextRequestId = opts.nextRequestId ?? (() => ++this.requestId);
  }

  /** The requestId of the verification in progress, if any (the session cancels it when LCP goes down). */
  get pendingRequestId(): number | undefined {
    return this.pending?.requestId;
  }

  /** The current state, for logs and tests. */
  get state(): AuthServerState {
    return this.st;
  }

  /** When the driver must feed a timeout. */
  nextDeadline(): Millis | undefined {
    return this.deadline;
  }

  /** Handles one input at time `now`. */
  handle(input: AuthServerInput, now: Millis): AuthOutput[] {
    switch (input.type) {
      case 'start': return this.start(now);
      case 'timeout': return this.timeout(now);
      case 'packet': return this.protocol === 'pap' ? this.papPacket(input.bytes, now) : this.chapPacket(input.bytes, now);
      case 'verdict': return this.verdict(input.requestId, input.verdict, now, input.request);
    }
  }

  private start(now: Millis): AuthOutput[] {
    if (this.st !== 'Initial') return [drop('unexpected-state', 'already started')];
    if (this.protocol === 'pap') {
      // RFC 1334 §2: the authenticator only waits; the peer sends Authenticate-Request.
      this.st = 'Wait-Request';
      this.deadline = now + this.papWaitMs;
      return [];
    }
    this.identifier = this.rng.bytes(1)[0]!;
    return this.sendChallenge(now);
  }

  private timeout(now: Millis): AuthOutput[] {
    if (this.deadline === undefined || now < this.deadline) return [];
    switch (this.st) {
      case 'Wait-Request':
      case 'Retry-Wait':
        return this.fail('timeout', now, undefined, 'no answer from the peer');
      case 'Challenge-Sent':
        if (this.transmits >= this.maxTransmits) return this.fail('timeout', now, undefined, 'no Response to Challenge');
        // RFC 1994 §4.1: "The Identifier field MUST be changed each time a
        // Challenge is sent" and so MUST the Value, retransmissions included.
        this.identifier = (this.identifier + 1) & 0xff;
        return this.sendChallenge(now, this.transmits + 1);
      case 'Success':
        if (this.rechallengeMs === undefined) {
          this.deadline = undefined;
          return [];
        }
        // RFC 1994 §3: rechallenge at random intervals; we use a fixed one.
        this.identifier = (this.identifier + 1) & 0xff;
        return this.sendChallenge(now);
      default:
        this.deadline = undefined;
        return [];
    }
  }

  /** Sends a fresh Challenge with `this.identifier`; `transmits` counts this one. */
  private sendChallenge(now: Millis, transmits = 1): AuthOutput[] {
    this.challenge = this.rng.bytes(this.protocol === 'mschap-v1' ? 8 : 16);
    const packet = encodeChapPacket({ code: CHAP_CODE.CHALLENGE, identifier: this.identifier, value: this.challenge, name: this.name });
    this.st = 'Challenge-Sent';
    this.transmits = transmits;
    this.deadline = now + this.restartMs;
    return [this.send(packet)];
  }

  private papPacket(bytes: Uint8Array, now: Millis): AuthOutput[] {
    const r = parsePapPacket(bytes);
    if (!r.ok) return [drop('malformed', `${r.error.code} at ${r.error.offset}${r.error.field ? ` (${r.error.field})` : ''}`)];
    const p = r.value;
    if (p.code !== PAP_CODE.AUTHENTICATE_REQUEST || !('peerId' in p)) return [drop('unexpected-code', `PAP code ${p.code}`)];
    if (this.lastAnswer && (this.st === 'Success' || this.st === 'Failed')) {
      // The Ack/Nak was lost and the peer retransmitted with a new Identifier
      // (RFC 1334 §2.2.1): repeat the answer under that Identifier, as pppd does.
      const again = this.lastAnswer.bytes.slice();
      again[1] = p.identifier;
      return [this.send(again)];
    }
    if (this.st === 'Verifying') return [drop('unexpected-state', 'verification in progress')];
    if (this.st !== 'Wait-Request') return [drop('unexpected-state', `Authenticate-Request in ${this.st}`)];
    this.identifier = p.identifier;
    this.deadline = undefined;
    if (p.peerId.length > MAX_PEER_NAME_OCTETS) return this.protocolError(p.identifier, p.peerId, `Peer-ID of ${p.peerId.length} octets (at most ${MAX_PEER_NAME_OCTETS})`, now);
    // Our own copy, zeroed when the verdict is in: the packet buffer belongs to the driver.
    return this.askVerify(p.peerId, { protocol: 'pap', password: p.password.slice() }, now);
  }

  private chapPacket(bytes: Uint8Array, now: Millis): AuthOutput[] {
    const r = parseChapPacket(bytes);
    if (!r.ok) return [drop('malformed', `${r.error.code} at ${r.error.offset}${r.error.field ? ` (${r.error.field})` : ''}`)];
    const p = r.value;
    if (p.code === CHAP_CODE.CHANGE_PASSWORD && this.protocol === 'mschap-v2') return this.changePassword(p.identifier, now);
    if (p.code !== CHAP_CODE.RESPONSE || !('value' in p)) return [drop('unexpected-code', `CHAP code ${p.code}`)];
    if (this.lastAnswer && p.identifier === this.lastAnswer.identifier && (this.st === 'Success' || this.st === 'Failed' || this.st === 'Retry-Wait')) {
      // A repeated Response: our Success/Failure was lost (RFC 1994 §4.2), say it again.
      return [this.send(this.lastAnswer.bytes)];
    }
    if (this.st === 'Retry-Wait') {
      // The retry after a Failure with R=1 carries the Failure's Identifier + 1.
      if (p.identifier !== this.retryIdentifier) return [drop('wrong-identifier', `${p.identifier} != ${this.retryIdentifier}`)];
      this.identifier = p.identifier;
    } else if (this.st === 'Challenge-Sent') {
      if (p.identifier !== this.identifier) return [drop('wrong-identifier', `${p.identifier} != ${this.identifier}`)];
    } else if (this.st === 'Verifying') {
      return [drop('unexpected-state', 'verification in progress')];
    } else {
      return [drop('unexpected-state', `Response in ${this.st}`)];
    }
    this.deadline = undefined;
    if (p.name.length > MAX_PEER_NAME_OCTETS) return this.protocolError(p.identifier, p.name, `Name of ${p.name.length} octets (at most ${MAX_PEER_NAME_OCTETS})`, now);
    const proof = this.chapProof(p.identifier, p.value);
    if (!proof) return this.protocolError(p.identifier, p.name, `Response Value of ${p.value.length} octets for ${this.protocol}`, now);
    return this.askVerify(p.name, proof, now);
  }

  /** Builds the proof from a Response value, or undefined if its size is wrong. */
  private chapProof(identifier: number, v: Uint8Array): AuthProof | undefined {
    switch (this.protocol) {
      case 'chap-md5':
        if (v.length !== CHAP_MD5_RESPONSE_SIZE) return undefined;
        return { protocol: 'chap-md5', identifier, challenge: this.challenge, response: v.slice() };
      case 'mschap-v1':
        // RFC 2433 §6: LM-Response(24) NT-Response(24) Flags(1).
        if (v.length !== MSCHAP_RESPONSE_SIZE) return undefined;
        return { protocol: 'mschap-v1', challenge: this.challenge, lmResponse: v.slice(0, 24), ntResponse: v.slice(24, 48), useNtResponse: v[48] === 1 };
      case 'mschap-v2':
        // RFC 2759 §4: Peer-Challenge(16) Reserved(8) NT-Response(24) Flags(1).
        if (v.length !== MSCHAP_RESPONSE_SIZE) return undefined;
        return { protocol: 'mschap-v2', authenticatorChallenge: this.challenge, peerChallenge: v.slice(0, 16), ntResponse: v.slice(24, 48), flags: v[48]! };
      case 'pap':
        return undefined;
    }
  }

  private askVerify(nameBytes: Uint8Array, proof: AuthProof, _now: Millis): AuthOutput[] {
    this.st = 'Verifying';
    const requestId = this.nextRequestId();
    const username = messageText(nameBytes);
    this.peerName = username;
    this.pending = { requestId, identifier: this.identifier, username, proof };
    const ev: AuthEvent = {
      type: 'verify',
      request: { requestId, protocol: this.protocol, username, usernameBytes: nameBytes.slice(), authenticatorName: messageText(this.name), proof },
    };
    return [{ kind: 'event', event: ev }];
  }

  /**
   * The peer's answer broke the protocol: refuse it as a failed login (the
   * Failure/Nak tells the peer; the event carries `malformed` so the session's
   * owner counts it), without asking a backend.
   */
  private protocolError(identifier: number, name: Uint8Array, problem: string, now: Millis): AuthOutput[] {
    this.peerName = messageText(name.subarray(0, MAX_PEER_NAME_OCTETS));
    const out: AuthOutput[] = [drop('malformed', problem)];
    return out.concat(this.reject(identifier, { ok: false, code: MSCHAP_ERROR.AUTHENTICATION_FAILURE, retryable: false, message: 'Authentication failed' }, now, 'rejected', problem));
  }

  private verdict(requestId: number, v: AuthVerdict, now: Millis, request: VerifyRequest | undefined): AuthOutput[] {
    const pend = this.pending;
    if (this.st !== 'Verifying' || !pend || pend.requestId !== requestId) return [drop('stale-verdict', `request ${requestId}`)];
    if (request !== undefined && (request.requestId !== requestId || request.username !== pend.username || !sameBytes(challengeOf(request.proof), challengeOf(pend.proof)))) {
      return [drop('stale-verdict', `request ${requestId} was asked for another exchange`)];
    }
    this.pending = undefined;
    if (pend.proof.protocol === 'pap') pend.proof.password.fill(0);
    if (v.ok) {
      if (this.protocol === 'mschap-v2' && v.authenticatorResponse === undefined) {
        return this.reject(pend.identifier, { ok: false, code: MSCHAP_ERROR.AUTHENTICATION_FAILURE, retryable: false }, now, 'backend-error');
      }
      return this.accept(pend.identifier, v, now, pend.requestId);
    }
    return this.reject(pend.identifier, v, now, 'rejected');
  }

  private accept(identifier: number, v: Extract<AuthVerdict, { ok: true }>, now: Millis, requestId: number): AuthOutput[] {
    let bytes: Uint8Array;
    if (this.protocol === 'pap') {
      bytes = encodePapPacket({ code: PAP_CODE.AUTHENTICATE_ACK, identifier, message: utf8(v.message ?? '') });
    } else {
      const text = this.protocol === 'mschap-v2' ? formatMsChapV2Success(v.authenticatorResponse!, v.message ?? 'Access granted') : (v.message ?? '');
      bytes = encodeChapPacket({ code: CHAP_CODE.SUCCESS, identifier, message: utf8(text) });
    }
    this.lastAnswer = { identifier, bytes };
    this.st = 'Success';
    this.deadline = this.rechallengeMs !== undefined && this.protocol !== 'pap' ? now + this.rechallengeMs : undefined;
    const out: AuthOutput[] = [this.send(bytes)];
    if (!this.authenticated) {
      this.authenticated = true;
      const ev: AuthEvent = { type: 'success', protocol: this.protocol, username: this.peerName, requestId };
      if (v.keyMaterial) ev.keyMaterial = v.keyMaterial;
      if (v.message !== undefined) ev.message = v.message;
      out.push({ kind: 'event', event: ev });
    }
    return out;
  }

  private reject(identifier: number, v: Extract<AuthVerdict, { ok: false }>, now: Millis, reason: 'rejected' | 'backend-error', malformed?: string): AuthOutput[] {
    const text = v.message ?? 'Authentication failed';
    if (this.protocol === 'pap' || this.protocol === 'chap-md5') {
      const bytes = this.protocol === 'pap'
        ? encodePapPacket({ code: PAP_CODE.AUTHENTICATE_NAK, identifier, message: utf8(text) })
        : encodeChapPacket({ code: CHAP_CODE.FAILURE, identifier, message: utf8(text) });
      this.lastAnswer = { identifier, bytes };
      return [this.send(bytes), ...this.finalFailure(reason, undefined, text, malformed)];
    }
    const code = v.code ?? MSCHAP_ERROR.AUTHENTICATION_FAILURE;
    const retry = !this.authenticated && code === MSCHAP_ERROR.AUTHENTICATION_FAILURE && v.retryable !== false && this.retriesUsed < this.maxRetries;
    const v2 = this.protocol === 'mschap-v2';
    // RFC 2759 §6: C= MUST be present for v2; for v1 we send it only with a retry.
    const next = retry || v2 ? this.rng.bytes(v2 ? 16 : 8) : undefined;
    const msg = formatMsChapFailure({ code, retry, ...(next ? { challenge: next } : {}), version: v2 ? 3 : 2, message: text });
    const bytes = encodeChapPacket({ code: CHAP_CODE.FAILURE, identifier, message: utf8(msg) });
    this.lastAnswer = { identifier, bytes };
    if (!retry) return [this.send(bytes), ...this.finalFailure(reason, code, text, malformed)];
    this.retriesUsed++;
    this.challenge = next!;
    this.retryIdentifier = (identifier + 1) & 0xff;
    this.st = 'Retry-Wait';
    // RFC 2759 §6: R=1 "disables short timeouts": the user is typing a new password.
    this.deadline = now + this.retryWaitMs;
    return [
      this.send(bytes),
      { kind: 'event', event: { type: 'failure', protocol: this.protocol, reason, code, retryable: true, final: false, username: this.peerName, message: text } },
    ];
  }

  private changePassword(identifier: number, now: Millis): AuthOutput[] {
    if (this.st !== 'Retry-Wait' && this.st !== 'Failed') return [drop('unexpected-state', 'Change-Password')];
    const msg = formatMsChapFailure({
      code: MSCHAP_ERROR.CHANGING_PASSWORD, retry: false, challenge: this.rng.bytes(16), version: 3, message: 'Password change is not supported',
    });
    const bytes = encodeChapPacket({ code: CHAP_CODE.FAILURE, identifier, message: utf8(msg) });
    this.lastAnswer = { identifier, bytes };
    void now;
    return [this.send(bytes), drop('change-password-unsupported'), ...this.finalFailure('rejected', MSCHAP_ERROR.CHANGING_PASSWORD, 'password change not supported')];
  }

  private fail(reason: 'timeout', _now: Millis, code: number | undefined, message: string): AuthOutput[] {
    return this.finalFailure(reason, code, message);
  }

  private finalFailure(reason: 'rejected' | 'timeout' | 'backend-error', code: number | undefined, message: string, malformed?: string): AuthOutput[] {
    const wasFailed = this.st === 'Failed';
    this.st = 'Failed';
    this.deadline = undefined;
    if (wasFailed) return [];
    const ev: AuthEvent = { type: 'failure', protocol: this.protocol, reason, final: true, message };
    if (code !== undefined) ev.code = code;
    if (malformed !== undefined) ev.malformed = malformed;
    if (this.peerName) ev.username = this.peerName;
    return [{ kind: 'event', event: ev }];
  }

  private send(bytes: Uint8Array): AuthOutput {
    return { kind: 'send', proto: this.proto, bytes };
  }
}

function drop(reason: AuthDropReason, detail?: string): AuthOutput {
  return detail === undefined ? { kind: 'drop', reason } : { kind: 'drop', reason, detail };
}

/** The challenge a proof answers (the one we sent), for binding a verdict to its exchange. */
function challengeOf(p: AuthProof): Uint8Array | undefined {
  switch (p.protocol) {
    case 'pap': return undefined;
    case 'chap-md5': return p.challenge;
    case 'mschap-v1': return p.challenge;
    case 'mschap-v2': return p.authenticatorChallenge;
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
