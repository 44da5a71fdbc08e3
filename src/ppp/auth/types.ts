/**
 * The contract between the PPP session and the authentication machines
 * (PAP RFC 1334, CHAP-MD5 RFC 1994, MS-CHAPv1 RFC 2433, MS-CHAPv2 RFC 2759).
 *
 * How session.ts drives them
 * --------------------------
 * - LCP negotiates the Authentication-Protocol option (`lcpAuthOption`,
 *   `authProtocolFromLcp`). When LCP is Opened the session builds an
 *   `AuthServer` (we authenticate the peer) and/or an `AuthClient` (the peer
 *   authenticates us) and feeds `{ type: 'start' }`.
 * - Every received PAP (0xC023) or CHAP (0xC223) packet goes in as
 *   `{ type: 'packet', bytes }`: the PPP information field, after the
 *   protocol number. `send` outputs carry `proto` PAP or CHAP and the
 *   information field to frame.
 * - Timers are deadlines: call `handle({ type: 'timeout' }, now)` once
 *   `now >= nextDeadline()`.
 * - The server never checks credentials itself. It emits
 *   `{ type: 'verify', request }`; the session asks a backend (chap-secrets
 *   via `verifyWithSecret`, RADIUS later) and feeds the answer back as
 *   `{ type: 'verdict', requestId, verdict }`, at any later time.
 * - Outcome events: `success` (with MPPE key material for MS-CHAP) and
 *   `failure`. A failure with `final: false` means the peer may retry
 *   (MS-CHAP R=1) and the machine keeps running; on `final: true` the
 *   session terminates LCP.
 *
 * Implementations: `AuthServer` (server.ts, `new AuthServer(opts, rng)`),
 * `AuthClient` (client.ts, `new AuthClient(opts, rng)`), and the pure local
 * verifier `verifyWithSecret(request, secret)` (verify.ts).
 */
import type { Millis, Output } from '../../core/machine.js';
import { PPP_PROTO } from '../protocols.js';
import type { MppeKeyMaterial } from '../mppe/keys.js';

export type { MppeKeyMaterial } from '../mppe/keys.js';

/** An authentication protocol as negotiated by LCP. */
export type AuthProtocol = 'pap' | 'chap-md5' | 'mschap-v1' | 'mschap-v2';

/** CHAP Algorithm octets in the LCP Authentication-Protocol option. */
export const CHAP_ALGORITHM = {
  /** RFC 1994 §2. */
  MD5: 0x05,
  /** RFC 2433 §2. */
  MSCHAP_V1: 0x80,
  /** RFC 2759 §2. */
  MSCHAP_V2: 0x81,
} as const;

/** The LCP Authentication-Protocol option value for a protocol. */
export function lcpAuthOption(protocol: AuthProtocol): { proto: number; algorithm?: number } {
  switch (protocol) {
    case 'pap': return { proto: PPP_PROTO.PAP };
    case 'chap-md5': return { proto: PPP_PROTO.CHAP, algorithm: CHAP_ALGORITHM.MD5 };
    case 'mschap-v1': return { proto: PPP_PROTO.CHAP, algorithm: CHAP_ALGORITHM.MSCHAP_V1 };
    case 'mschap-v2': return { proto: PPP_PROTO.CHAP, algorithm: CHAP_ALGORITHM.MSCHAP_V2 };
  }
}

/** The protocol an LCP Authentication-Protocol option names, if we know it. */
export function authProtocolFromLcp(proto: number, algorithm?: number): AuthProtocol | undefined {
  if (proto === PPP_PROTO.PAP) return 'pap';
  if (proto !== PPP_PROTO.CHAP) return undefined;
  switch (algorithm) {
    case CHAP_ALGORITHM.MD5: return 'chap-md5';
    case CHAP_ALGORITHM.MSCHAP_V1: return 'mschap-v1';
    case CHAP_ALGORITHM.MSCHAP_V2: return 'mschap-v2';
    default: return undefined;
  }
}

/** The PPP protocol number packets of `protocol` travel in. */
export function authPppProtocol(protocol: AuthProtocol): number {
  return protocol === 'pap' ? PPP_PROTO.PAP : PPP_PROTO.CHAP;
}

/**
 * MS-CHAP error codes of the Failure message (RFC 2433 §8, RFC 2759 §6).
 * Windows shows its own text per code.
 */
export const MSCHAP_ERROR = {
  RESTRICTED_LOGON_HOURS: 646,
  ACCT_DISABLED: 647,
  PASSWD_EXPIRED: 648,
  NO_DIALIN_PERMISSION: 649,
  AUTHENTICATION_FAILURE: 691,
  CHANGING_PASSWORD: 709,
} as const;

/** The proof a peer presented, per protocol: everything a backend needs to check it. */
export type AuthProof =
  | {
      protocol: 'pap';
      /** Password octets as sent. The server zeroes its copy once the verdict is in. */
      password: Uint8Array;
    }
  | {
      protocol: 'chap-md5';
      /** CHAP Identifier of the Challenge/Response (part of the hash, RFC 1994 §4.1). */
      identifier: number;
      challenge: Uint8Array;
      /** MD5(Identifier | secret | Challenge), 16 octets. */
      response: Uint8Array;
    }
  | {
      protocol: 'mschap-v1';
      /** The 8-octet authenticator challenge. */
      challenge: Uint8Array;
      /** LAN Manager challenge response, 24 octets (normally zero). */
      lmResponse: Uint8Array;
      /** NT challenge response, 24 octets. */
      ntResponse: Uint8Array;
      /** The "use NT response" flag (RFC 2433 §6). */
      useNtResponse: boolean;
    }
  | {
      protocol: 'mschap-v2';
      /** The 16-octet challenge we sent. */
      authenticatorChallenge: Uint8Array;
      /** The peer's 16-octet challenge. */
      peerChallenge: Uint8Array;
      /** NT-Response, 24 octets. */
      ntResponse: Uint8Array;
      /** Flags octet (RFC 2759 §4: reserved, 0). */
      flags: number;
    };

/** What the server asks a backend to check. */
export interface VerifyRequest {
  /**
   * Echo this in the verdict; verdicts for any other request are dropped. Unique
   * per link for the link's lifetime (LCP renegotiation does not restart it).
   */
  requestId: number;
  protocol: AuthProtocol;
  /** The Peer-ID (PAP) or Name (CHAP) as a string (UTF-8, lossy). */
  username: string;
  /** The same name as the octets the peer sent (MS-CHAPv2 hashes these). */
  usernameBytes: Uint8Array;
  /** The name we sent in CHAP Challenges (empty for PAP). */
  authenticatorName: string;
  proof: AuthProof;
}

/** A backend's answer to a `VerifyRequest`. */
export type AuthVerdict =
  | {
      ok: true;
      /** MPPE keys (MS-CHAP only): derived locally or from RADIUS MS-MPPE-*-Key. */
      keyMaterial?: MppeKeyMaterial;
      /** MS-CHAPv2: "S=<40 hex digits>" (RFC 2759 §5). Required for v2. */
      authenticatorResponse?: string;
      /** Text for the Success/Authenticate-Ack message (M= for MS-CHAPv2). */
      message?: string;
    }
  | {
      ok: false;
      /** MS-CHAP error code (MSCHAP_ERROR); 691 when absent. */
      code?: number;
      /**
       * False forbids an MS-CHAP retry (R=0) even when retries are left.
       * Codes other than 691 never allow a retry.
       */
      retryable?: boolean;
      /** Text for the Failure/Authenticate-Nak message (M= for MS-CHAP). */
      message?: string;
      /**
       * The backend could not decide (no RADIUS server answered, or it failed):
       * the credentials were not judged, so brute-force counting skips it.
       */
      unavailable?: boolean;
    };

/**
 * Where the session sends `verify` events: chap-secrets (`secretBackend` in
 * verify.ts) or, later, RADIUS. May answer synchronously or asynchronously.
 */
export interface AuthBackend {
  verify(request: VerifyRequest): AuthVerdict | Promise<AuthVerdict>;
}

/** Inputs both machines take. */
export type AuthInput =
  | { type: 'start' }
  | { type: 'packet'; bytes: Uint8Array }
  | { type: 'timeout' };

/** Inputs of the server (authenticator) machine. */
export type AuthServerInput =
  | AuthInput
  | {
      type: 'verdict';
      requestId: number;
      verdict: AuthVerdict;
      /**
       * The request this verdict answers. When given, its user name and
       * challenge must be those of the exchange in progress too, or the
       * verdict is dropped as stale.
       */
      request?: VerifyRequest;
    };

/** Inputs of the client (peer) machine. */
export type AuthClientInput = AuthInput;

/** Why authentication failed. */
export type AuthFailureReason =
  /** The credentials were checked and refused (server: verdict; client: Nak/Failure). */
  | 'rejected'
  /** No answer after the last retransmission, or no retry after a retryable failure. */
  | 'timeout'
  /** Client: the MS-CHAPv2 Success carried no or a wrong S= authenticator response. */
  | 'bad-authenticator-response'
  /** Client: the negotiated protocol is not allowed by our policy. */
  | 'protocol-refused'
  /** The backend gave a success verdict the protocol cannot use (MS-CHAPv2 without S=). */
  | 'backend-error';

/** Events the machines emit. */
export type AuthEvent =
  | {
      type: 'success';
      protocol: AuthProtocol;
      /** Server: the authenticated peer's name. Client: our own name. */
      username: string;
      /** MS-CHAP: material for `mppeStartKeys`. */
      keyMaterial?: MppeKeyMaterial;
      message?: string;
      /** Server: the `VerifyRequest.requestId` whose verdict this is. */
      requestId?: number;
    }
  | {
      type: 'failure';
      protocol: AuthProtocol;
      reason: AuthFailureReason;
      /** MS-CHAP error code (E=). */
      code?: number;
      /** The peer is allowed to try again (MS-CHAP R=1). */
      retryable?: boolean;
      /** True when the machine has given up and the session must end the link. */
      final: boolean;
      username?: string;
      message?: string;
      /**
       * Server: the peer's answer broke the protocol (a Response Value of the
       * wrong size, a name over 253 octets) and was refused without asking a
       * backend; says what was wrong. Counted like a wrong password.
       */
      malformed?: string;
    }
  | { type: 'verify'; request: VerifyRequest };

/** Why a machine dropped an input. */
export type AuthDropReason =
  /** Too short, a Length field that disagrees with the octets, or bad field sizes. */
  | 'malformed'
  /** A Code this side of the protocol never receives (e.g. a Challenge at the server). */
  | 'unexpected-code'
  /** The Identifier does not match the outstanding request. */
  | 'wrong-identifier'
  /** A packet that is valid but not expected in the current state. */
  | 'unexpected-state'
  /** A verdict for a request that is no longer outstanding. */
  | 'stale-verdict'
  /** MS-CHAPv2 Change-Password (code 7): not supported. */
  | 'change-password-unsupported';

/** Output of the auth machines. */
export type AuthOutput = Output<AuthEvent, AuthDropReason>;

/** The machine interface both roles implement (src/core/machine.ts). */
export interface AuthMachine<In> {
  readonly protocol: AuthProtocol;
  handle(input: In, now: Millis): AuthOutput[];
  nextDeadline(): Millis | undefined;
}

/** Timing and retry limits shared by both roles. */
export interface AuthTimers {
  /** Restart timer for Challenge / Authenticate-Request / Response (RFC 1661 §4.6 default 3 s). */
  restartTimerMs?: number;
  /** Transmissions of one request before giving up (RFC 1661 Max-Configure default 10). */
  maxTransmits?: number;
}

/** Server (authenticator) configuration. */
export interface AuthServerOptions extends AuthTimers {
  protocol: AuthProtocol;
  /** Name sent in CHAP Challenges (pppd: the `name` option). */
  name: string;
  /**
   * MS-CHAP: failed attempts the peer may retry after (R=1) before the final
   * failure. Default 2 (three attempts in all).
   */
  maxRetries?: number;
  /** How long to wait for the peer's retry after a Failure with R=1. Default 60 s. */
  retryWaitMs?: number;
  /** PAP: how long to wait for an Authenticate-Request at all. Default 30 s. */
  papWaitMs?: number;
  /** CHAP: challenge again this long after each success; off (undefined) by default. */
  rechallengeIntervalMs?: number;
  /**
   * Where requestIds come from. The session passes its per-link counter so
   * ids never repeat across the machines of one link (a new one is made at
   * each LCP up); default: a counter of this machine from 1.
   */
  nextRequestId?: () => number;
}

/** Client (peer) policy. */
export interface AuthClientPolicy {
  /** Protocols we agree to authenticate with; LCP Naks others. */
  accept: readonly AuthProtocol[];
  /** MS-CHAPv2: require a valid S= authenticator response (RFC 2759 §5 MUST). Default true. */
  requireMutualAuth?: boolean;
  /** MS-CHAP: how many R=1 retries to attempt before giving up. Default 2. */
  maxRetries?: number;
}

/** Client (peer) configuration. */
export interface AuthClientOptions extends AuthTimers {
  /** The protocol LCP negotiated. */
  protocol: AuthProtocol;
  username: string;
  password: string;
  policy: AuthClientPolicy;
  /** How long to wait for the first Challenge / answer before failing. Default 30 s. */
  waitMs?: number;
}

/** Defaults for the timers above. */
export const AUTH_DEFAULTS = {
  restartTimerMs: 3000,
  maxTransmits: 10,
  maxRetries: 2,
  retryWaitMs: 60_000,
  papWaitMs: 30_000,
  waitMs: 30_000,
} as const;
