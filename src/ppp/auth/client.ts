/**
 * The peer (client) side of PAP (RFC 1334 §2), CHAP-MD5 (RFC 1994 §4),
 * MS-CHAPv1 (RFC 2433) and MS-CHAPv2 (RFC 2759), as one sans-I/O machine.
 *
 * Theory of operation
 * -------------------
 * - PAP: on start the client sends Authenticate-Request and retransmits it
 *   every restart interval (new Identifier each time, RFC 1334 §2.2.1) until
 *   an Ack or Nak with the current Identifier arrives, at most maxTransmits.
 * - CHAP: the client waits for a Challenge (up to waitMs), answers it, and
 *   resends the same Response if the same Challenge comes again or nothing
 *   arrives within the restart interval (the Success may have been lost).
 * - MS-CHAPv2 Success must carry S=<authenticator response>; the client
 *   recomputes it and, unless the policy disables mutual authentication,
 *   fails with 'bad-authenticator-response' when it is missing or wrong
 *   (RFC 2759 §5: "the peer MUST end the session").
 * - MS-CHAP Failure with R=1: while retries are left the client answers the
 *   new challenge (C=, or for v1 without C= the old one + 23 in its first
 *   octet, RFC 2433 §8) with Identifier = Failure's + 1, using the current
 *   credentials (`setCredentials` may change them between attempts).
 * - A Challenge after success (CHAP rechallenge, RFC 1994 §3) is answered
 *   again; only the first success produces an event.
 *
 * Left out: MS-CHAP Change-Password (code 7/6) after E=648.
 */
import type { Millis } from '../../core/machine.js';
import type { Rng } from '../../core/rng.js';
import {
  AUTH_DEFAULTS,
  authPppProtocol,
  type AuthClientInput,
  type AuthClientOptions,
  type AuthDropReason,
  type AuthEvent,
  type AuthFailureReason,
  type AuthMachine,
  type AuthOutput,
  type AuthProtocol,
  type MppeKeyMaterial,
} from './types.js';
import { CHAP_CODE, PAP_CODE, encodeChapPacket, encodePapPacket, parseChapPacket, parsePapPacket } from './packets.js';
import { messageText, parseMsChapFailure, parseMsChapV2Success } from './mschap-message.js';
import {
  constantTimeEqual,
  chapMd5Response,
  generateAuthenticatorResponseFromHashHash,
  generateNtResponseFromHash,
  hashNtPasswordHash,
  msChapV1KeyMaterial,
  msChapV1Responses,
  msChapV2KeyMaterial,
  ntPasswordHash,
  utf8,
} from './mschap.js';

/** Client states. */
export type AuthClientState = 'Initial' | 'Wait-Challenge' | 'Request-Sent' | 'Response-Sent' | 'Success' | 'Failed';

/** The authenticating peer: answers challenges with our credentials. */
export class AuthClient implements AuthMachine<AuthClientInput> {
  readonly protocol: AuthProtocol;
  private readonly proto: number;
  private username: string;
  private password: string;
  private readonly accepted: boolean;
  private readonly requireMutual: boolean;
  private readonly maxRetries: number;
  private readonly restartMs: number;
  private readonly maxTransmits: number;
  private readonly waitMs: number;

  private st: AuthClientState = 'Initial';
  private deadline: Millis | undefined;
  private identifier = 0;
  private transmits = 0;
  private retriesUsed = 0;
  private authenticated = false;
  /** The Challenge value we last answered. */
  private challenge: Uint8Array = new Uint8Array(0);
  private lastSent: Uint8Array | undefined;
  /** MS-CHAPv2: what a correct S= must be, and the key material of this attempt. */
  private expectedAuthResponse: string | undefined;
  private keyMaterial: MppeKeyMaterial | undefined;

  constructor(
    opts: AuthClientOptions,
    private readonly rng: Rng,
  ) {
    this.protocol = opts.protocol;
    this.proto = authPppProtocol(opts.protocol);
    this.username = opts.username;
    this.password = opts.password;
    this.accepted = opts.policy.accept.includes(opts.protocol);
    this.requireMutual = opts.policy.requireMutualAuth ?? true;
    this.maxRetries = opts.policy.maxRetries ?? AUTH_DEFAULTS.maxRetries;
    this.restartMs = opts.restartTimerMs ?? AUTH_DEFAULTS.restartTimerMs;
    this.maxTransmits = opts.maxTransmits ?? AUTH_DEFAULTS.maxTransmits;
    this.waitMs = opts.waitMs ?? AUTH_DEFAULTS.waitMs;
  }

  /** The current state, for logs and tests. */
  get state(): AuthClientState {
    return this.st;
  }

  /** Replaces the credentials used for the next Response (e.g. after a retryable failure). */
  setCredentials(username: string, password: string): void {
    this.username = username;
    this.password = password;
  }

  /** When the driver must feed a timeout. */
  nextDeadline(): Millis | undefined {
    return this.deadline;
  }

  /** Handles one input at time `now`. */
  handle(input: AuthClientInput, now: Millis): AuthOutput[] {
    switch (input.type) {
      case 'start': return this.start(now);
      case 'timeout': return this.timeout(now);
      case 'packet': return this.protocol === 'pap' ? this.papPacket(input.bytes, now) : this.chapPacket(input.bytes, now);
    }
  }

  private start(now: Millis): AuthOutput[] {
    if (this.st !== 'Initial') return [drop('unexpected-state', 'already started')];
    if (!this.accepted) return this.fail('protocol-refused', `${this.protocol} is not allowed by policy`);
    if (this.protocol === 'pap') {
      this.identifier = this.rng.bytes(1)[0]!;
      return this.sendPapRequest(now);
    }
    this.st = 'Wait-Challenge';
    this.deadline = now + this.waitMs;
    return [];
  }

  private sendPapRequest(now: Millis): AuthOutput[] {
    this.lastSent = encodePapPacket({ code: PAP_CODE.AUTHENTICATE_REQUEST, identifier: this.identifier, peerId: utf8(this.username), password: utf8(this.password) });
    this.st = 'Request-Sent';
    this.transmits = 1;
    this.deadline = now + this.restartMs;
    return [this.send(this.lastSent)];
  }

  private timeout(now: Millis): AuthOutput[] {
    if (this.deadline === undefined || now < this.deadline) return [];
    switch (this.st) {
      case 'Wait-Challenge':
        return this.fail('timeout', 'no Challenge from the authenticator');
      case 'Request-Sent':
      case 'Response-Sent':
        if (this.transmits >= this.maxTransmits) return this.fail('timeout', 'no answer from the authenticator');
        this.transmits++;
        this.deadline = now + this.restartMs;
        if (this.st === 'Request-Sent') {
          // RFC 1334 §2.2.1: a retransmitted Authenticate-Request gets a new Identifier.
          this.identifier = (this.identifier + 1) & 0xff;
          this.lastSent = encodePapPacket({ code: PAP_CODE.AUTHENTICATE_REQUEST, identifier: this.identifier, peerId: utf8(this.username), password: utf8(this.password) });
        }
        return [this.send(this.lastSent!)];
      default:
        this.deadline = undefined;
        return [];
    }
  }

  private papPacket(bytes: Uint8Array, _now: Millis): AuthOutput[] {
    const r = parsePapPacket(bytes);
    if (!r.ok) return [drop('malformed', `${r.error.code} at ${r.error.offset}`)];
    const p = r.value;
    if (!('message' in p) || (p.code !== PAP_CODE.AUTHENTICATE_ACK && p.code !== PAP_CODE.AUTHENTICATE_NAK)) return [drop('unexpected-code', `PAP code ${p.code}`)];
    if (this.st !== 'Request-Sent') return [drop('unexpected-state', `PAP answer in ${this.st}`)];
    if (p.identifier !== this.identifier) return [drop('wrong-identifier', `${p.identifier} != ${this.identifier}`)];
    const message = messageText(p.message);
    if (p.code === PAP_CODE.AUTHENTICATE_ACK) return this.succeed(message);
    return this.fail('rejected', message);
  }

  private chapPacket(bytes: Uint8Array, now: Millis): AuthOutput[] {
    const r = parseChapPacket(bytes);
    if (!r.ok) return [drop('malformed', `${r.error.code} at ${r.error.offset}`)];
    const p = r.value;
    if (p.code === CHAP_CODE.CHALLENGE && 'value' in p) return this.onChallenge(p.identifier, p.value, now);
    if ((p.code === CHAP_CODE.SUCCESS || p.code === CHAP_CODE.FAILURE) && 'message' in p) {
      if (this.st !== 'Response-Sent') return [drop('unexpected-state', `CHAP code ${p.code} in ${this.st}`)];
      if (p.identifier !== this.identifier) return [drop('wrong-identifier', `${p.identifier} != ${this.identifier}`)];
      const text = messageText(p.message);
      return p.code === CHAP_CODE.SUCCESS ? this.onSuccess(text) : this.onFailure(text, now);
    }
    return [drop('unexpected-code', `CHAP code ${p.code}`)];
  }

  private onChallenge(identifier: number, value: Uint8Array, now: Millis): AuthOutput[] {
    if (this.st === 'Failed' || this.st === 'Initial' || this.st === 'Request-Sent') return [drop('unexpected-state', `Challenge in ${this.st}`)];
    const want = this.protocol === 'mschap-v1' ? 8 : this.protocol === 'mschap-v2' ? 16 : 0;
    if (want !== 0 && value.length !== want) return [drop('malformed', `Challenge value of ${value.length} octets`)];
    if (this.st === 'Response-Sent' && identifier === this.identifier && constantTimeEqual(value, this.challenge) && this.lastSent) {
      // RFC 1994 §4.1: a retransmitted Challenge: our Response was lost, send it again.
      return [this.send(this.lastSent)];
    }
    return this.respond(identifier, value.slice(), now);
  }

  /** Computes and sends the Response to `challenge` with `identifier`. */
  private respond(identifier: number, challenge: Uint8Array, now: Millis): AuthOutput[] {
    this.identifier = identifier;
    this.challenge = challenge;
    const name = utf8(this.username);
    let value: Uint8Array;
    switch (this.protocol) {
      case 'chap-md5':
        value = chapMd5Response(identifier, utf8(this.password), challenge);
        this.keyMaterial = undefined;
        break;
      case 'mschap-v1': {
        // RFC 2433 §6: LM-Response zero-filled, NT-Response, flag 1 = use NT.
        const { lmResponse, ntResponse } = msChapV1Responses(challenge, this.password);
        value = new Uint8Array(49);
        value.set(lmResponse, 0);
        value.set(ntResponse, 24);
        value[48] = 1;
        // No LM response sent, so NT-derived keys at every strength, as pppd clients and servers use.
        this.keyMaterial = msChapV1KeyMaterial(challenge, this.password, false);
        break;
      }
      case 'mschap-v2': {
        const peerChallenge = this.rng.bytes(16);
        const hash = ntPasswordHash(this.password);
        const nt = generateNtResponseFromHash(challenge, peerChallenge, name, hash);
        const hashHash = hashNtPasswordHash(hash);
        hash.fill(0);
        // RFC 2759 §4: Peer-Challenge(16) Reserved(8, zero) NT-Response(24) Flags(1, zero).
        value = new Uint8Array(49);
        value.set(peerChallenge, 0);
        value.set(nt, 24);
        this.expectedAuthResponse = generateAuthenticatorResponseFromHashHash(hashHash, nt, peerChallenge, challenge, name);
        this.keyMaterial = msChapV2KeyMaterial(hashHash, nt);
        break;
      }
      case 'pap':
        return [drop('unexpected-code', 'CHAP Challenge on a PAP link')];
    }
    this.lastSent = encodeChapPacket({ code: CHAP_CODE.RESPONSE, identifier, value, name });
    this.st = 'Response-Sent';
    this.transmits = 1;
    this.deadline = now + this.restartMs;
    return [this.send(this.lastSent)];
  }

  private onSuccess(text: string): AuthOutput[] {
    if (this.protocol !== 'mschap-v2') return this.succeed(text);
    const s = parseMsChapV2Success(text);
    const good = s.authenticatorResponse !== undefined && this.expectedAuthResponse !== undefined &&
      s.authenticatorResponse.toUpperCase() === this.expectedAuthResponse;
    if (!good && this.requireMutual) {
      return this.fail('bad-authenticator-response', s.authenticatorResponse === undefined ? 'Success without S=' : 'S= does not match');
    }
    return this.succeed(s.message ?? '');
  }

  private onFailure(text: string, now: Millis): AuthOutput[] {
    if (this.protocol === 'chap-md5') return this.fail('rejected', text);
    const f = parseMsChapFailure(text);
    const code = f.code;
    if (!f.retry || this.retriesUsed >= this.maxRetries) return this.fail('rejected', f.message ?? text, code);
    let next: Uint8Array | undefined;
    if (this.protocol === 'mschap-v2') {
      next = f.challenge?.length === 16 ? f.challenge : undefined;
    } else if (f.challenge?.length === 8) {
      next = f.challenge;
    } else if (f.challenge === undefined) {
      // RFC 2433 §8: without C= the new challenge is the old one plus 23 in its first octet.
      next = this.challenge.slice();
      next[0] = (next[0]! + 23) & 0xff;
    }
    if (!next) return this.fail('rejected', 'Failure with R=1 but no usable C=', code);
    this.retriesUsed++;
    const out: AuthOutput[] = [];
    const ev: AuthEvent = { type: 'failure', protocol: this.protocol, reason: 'rejected', retryable: true, final: false, username: this.username };
    if (code !== undefined) ev.code = code;
    if (f.message !== undefined) ev.message = f.message;
    out.push({ kind: 'event', event: ev });
    out.push(...this.respond((this.identifier + 1) & 0xff, next, now));
    return out;
  }

  private succeed(message: string): AuthOutput[] {
    this.st = 'Success';
    this.deadline = undefined;
    if (this.authenticated) return [];
    this.authenticated = true;
    const ev: AuthEvent = { type: 'success', protocol: this.protocol, username: this.username };
    if (this.keyMaterial) ev.keyMaterial = this.keyMaterial;
    if (message) ev.message = message;
    return [{ kind: 'event', event: ev }];
  }

  private fail(reason: AuthFailureReason, message: string, code?: number): AuthOutput[] {
    this.st = 'Failed';
    this.deadline = undefined;
    const ev: AuthEvent = { type: 'failure', protocol: this.protocol, reason, final: true, username: this.username, message };
    if (code !== undefined) ev.code = code;
    return [{ kind: 'event', event: ev }];
  }

  private send(bytes: Uint8Array): AuthOutput {
    return { kind: 'send', proto: this.proto, bytes };
  }
}

function drop(reason: AuthDropReason, detail?: string): AuthOutput {
  return detail === undefined ? { kind: 'drop', reason } : { kind: 'drop', reason, detail };
}
