/**
 * The RADIUS client as a pure machine: identifiers, retransmission and
 * failover over several servers (RFC 2865 §2.4–2.5, RFC 5080 §2.2).
 *
 * Theory of operation
 * -------------------
 * - The caller submits requests (`{ type: 'request', tag, code, attributes }`)
 *   with a tag of its own. The machine picks a server, an Identifier that is
 *   free for that server, and (Access-Request) a random Request
 *   Authenticator; it hides the User-Password for that server's secret,
 *   signs the packet and emits `{ kind: 'send', server, bytes }`.
 * - Retransmissions to the same server reuse the same bytes (same Identifier
 *   and authenticator, RFC 5080 §2.2.1), every `timeoutMs`, `retries` times.
 *   When a server stays silent, the request fails over to the next server
 *   (a new Identifier and authenticator, hidden again with that server's
 *   secret), and that server becomes the first choice for later requests.
 *   After every server was tried the request ends with a `timeout` event.
 * - A datagram from server i goes in as `{ type: 'response', server: i,
 *   bytes }`. It must parse, match an outstanding Identifier for that server,
 *   carry the right Code for the request, and verify (Response Authenticator;
 *   Message-Authenticator when present, and required for Access-* replies
 *   when `requireMessageAuthenticator`). Anything else is a `drop`.
 * - Up to 256 requests per server are in flight; more wait in a queue.
 * - A request that cannot be encoded (an attribute over 253 octets, a
 *   User-Password over 128, a packet over 4096) ends at once with a
 *   `refused` event: it never takes an Identifier, so no input can leak one.
 * - `counters` count per server what happened (first transmissions,
 *   retransmissions, each kind of answer, timeouts, failovers, drops by
 *   reason); the response event carries the time since the first
 *   transmission to the answering server. The metrics read both.
 *
 * Timers are deadlines: call `handle({ type: 'timeout' }, now)` once
 * `now >= nextDeadline()`.
 */
import { LocalUsageError } from '../core/errors.js';
import type { Millis } from '../core/machine.js';
import type { Rng } from '../core/rng.js';
import {
  ATTR,
  RADIUS_CODE,
  RADIUS_MAX_ATTRIBUTE_VALUE,
  RADIUS_MAX_LENGTH,
  RADIUS_MIN_LENGTH,
  encodeRadiusPacket,
  hidePassword,
  messageAuthenticatorPlaceholder,
  parseRadiusPacket,
  signRequest,
  verifyResponse,
  type RadiusAttribute,
  type RadiusPacket,
} from './codec.js';

/** One RADIUS server as the machine sees it (addresses live in the glue). */
export interface RadiusServerSecret {
  secret: Uint8Array | string;
}

/** Client configuration. */
export interface RadiusClientOptions {
  /** Servers in failover order. */
  servers: readonly RadiusServerSecret[];
  /** Wait this long for an answer before each retransmission. */
  timeoutMs: number;
  /** Retransmissions to one server after the first transmission. */
  retries: number;
  /** Drop Access-Accept/Reject/Challenge without a valid Message-Authenticator (BlastRADIUS, RFC 3579 §3.2). */
  requireMessageAuthenticator?: boolean;
}

/** Inputs of the client machine. */
export type RadiusClientInput =
  | {
      type: 'request';
      /** The caller's handle; echoed in events. */
      tag: number;
      code: typeof RADIUS_CODE.ACCESS_REQUEST | typeof RADIUS_CODE.ACCOUNTING_REQUEST;
      attributes: readonly RadiusAttribute[];
      /** PAP password: sent as a User-Password hidden per server (RFC 2865 §5.2). */
      password?: Uint8Array;
    }
  | { type: 'response'; server: number; bytes: Uint8Array }
  | { type: 'cancel'; tag: number }
  | { type: 'timeout' };

/** Events of the client machine. */
export type RadiusClientEvent =
  | {
      type: 'response';
      tag: number;
      server: number;
      packet: RadiusPacket;
      /** The authenticator of the request this answers (MS-MPPE key decryption needs it). */
      requestAuthenticator: Uint8Array;
      /** The secret of the answering server. */
      secret: Uint8Array | string;
      /** From the first transmission to this server until this answer (includes retransmission waits). */
      elapsedMs: Millis;
    }
  /** No server answered: every server got 1 + retries transmissions. */
  | { type: 'timeout'; tag: number }
  /** A server did not answer a request at all; later requests start with the next one. */
  | { type: 'server-failed'; server: number; next: number }
  /**
   * The request cannot be sent: an attribute value over 253 octets, a
   * User-Password over 128, or a packet over 4096 octets. Nothing was sent and
   * no Identifier was taken; `problem` names what is too large.
   */
  | { type: 'refused'; tag: number; problem: string };

/** Why the machine dropped a datagram. */
export type RadiusClientDropReason =
  /** Not a RADIUS packet (too short, bad lengths). */
  | 'malformed'
  /** No request to that server is outstanding with this Identifier (late duplicate or forged). */
  | 'unknown-identifier'
  /** The Code does not answer the request's Code (e.g. Accounting-Response to an Access-Request). */
  | 'unexpected-code'
  /** Response Authenticator mismatch: wrong secret, or not an answer to our request. */
  | 'bad-authenticator'
  /** Message-Authenticator present but wrong. */
  | 'bad-message-authenticator'
  /** An Access-* reply without Message-Authenticator while one is required. */
  | 'missing-message-authenticator'
  /** A datagram from a server index we do not know. */
  | 'unknown-server';

/**
 * What happened with one server's requests, counted by the machine (the
 * metrics read these on scrape). Every request sent to the server ends in
 * exactly one of accepts, rejects, challenges, accountingResponses or
 * timeouts, or is still in flight, or was cancelled.
 */
export interface RadiusServerCounters {
  /** First transmissions to this server (a failover to it counts here too). */
  requests: number;
  /** Retransmissions of the same bytes after `timeoutMs` (RFC 5080 §2.2.1). */
  retransmissions: number;
  /** Verified Access-Accepts. */
  accepts: number;
  /** Verified Access-Rejects. */
  rejects: number;
  /** Verified Access-Challenges. */
  challenges: number;
  /** Verified Accounting-Responses. */
  accountingResponses: number;
  /** Requests this server never answered after 1 + retries transmissions. */
  timeouts: number;
  /** Times this server stopped being the first choice because it did not answer. */
  failovers: number;
  /** Datagrams from this server dropped, by reason. */
  drops: Partial<Record<RadiusClientDropReason, number>>;
}

/** Zeroed counters. */
export function newRadiusServerCounters(): RadiusServerCounters {
  return { requests: 0, retransmissions: 0, accepts: 0, rejects: 0, challenges: 0, accountingResponses: 0, timeouts: 0, failovers: 0, drops: {} };
}

/** Output of the client machine. */
export type RadiusClientOutput =
  | { kind: 'send'; server: number; bytes: Uint8Array }
  | { kind: 'event'; event: RadiusClientEvent }
  | { kind: 'drop'; reason: RadiusClientDropReason; detail?: string };

interface Pending {
  tag: number;
  code: number;
  attributes: readonly RadiusAttribute[];
  password: Uint8Array | undefined;
  /** Servers already given up on for this request. */
  tried: number;
  server: number;
  identifier: number;
  authenticator: Uint8Array;
  bytes: Uint8Array;
  transmissions: number;
  deadline: Millis;
  /** When the first transmission to `server` went out. */
  sentAt: Millis;
}

interface Queued {
  tag: number;
  code: number;
  attributes: readonly RadiusAttribute[];
  password: Uint8Array | undefined;
  tried: number;
  server: number;
}

/** The RADIUS client machine. */
export class RadiusClient {
  private readonly inFlight = new Map<number, Pending>();
  /** Per server: Identifier → tag. */
  private readonly ids: Map<number, number>[];
  private readonly nextId: number[];
  private readonly queue: Queued[] = [];
  /** The server new requests go to first. */
  preferred = 0;
  /** Per server, in `servers` order. */
  readonly counters: RadiusServerCounters[];
  /** Requests that ended with a `timeout` event (no server answered). */
  unanswered = 0;
  /** Requests that ended with a `refused` event (too large to encode). */
  refused = 0;
  /** Datagrams from a server index outside `servers`. */
  unknownServerDrops = 0;

  constructor(
    private readonly opts: RadiusClientOptions,
    private readonly rng: Rng,
  ) {
    if (opts.servers.length === 0) throw new LocalUsageError('RadiusClient needs at least one server');
    this.ids = opts.servers.map(() => new Map());
    this.nextId = opts.servers.map(() => rng.bytes(1)[0]!);
    this.counters = opts.servers.map(() => newRadiusServerCounters());
  }

  /** Requests outstanding or queued. */
  get outstanding(): number {
    return this.inFlight.size + this.queue.length;
  }

  /** Handles one input at `now`. */
  handle(input: RadiusClientInput, now: Millis): RadiusClientOutput[] {
    const out: RadiusClientOutput[] = [];
    switch (input.type) {
      case 'request':
        if (this.inFlight.has(input.tag) || this.queue.some((q) => q.tag === input.tag)) throw new LocalUsageError(`RADIUS request tag ${input.tag} is in use`);
        {
          const problem = requestProblem(input.code, input.attributes, input.password);
          if (problem !== undefined) {
            this.refused++;
            out.push({ kind: 'event', event: { type: 'refused', tag: input.tag, problem } });
            break;
          }
        }
        this.dispatch({ tag: input.tag, code: input.code, attributes: input.attributes, password: input.password, tried: 0, server: this.preferred }, now, out);
        break;
      case 'response':
        this.response(input.server, input.bytes, now, out);
        break;
      case 'cancel':
        this.finish(input.tag, now, out);
        {
          const i = this.queue.findIndex((q) => q.tag === input.tag);
          if (i >= 0) this.queue.splice(i, 1);
        }
        break;
      case 'timeout':
        this.timeouts(now, out);
        break;
    }
    return out;
  }

  /** The earliest retransmission deadline. */
  nextDeadline(): Millis | undefined {
    let d: Millis | undefined;
    for (const p of this.inFlight.values()) if (d === undefined || p.deadline < d) d = p.deadline;
    return d;
  }

  private dispatch(q: Queued, now: Millis, out: RadiusClientOutput[]): void {
    const ids = this.ids[q.server]!;
    if (ids.size >= 256) {
      this.queue.push(q);
      return;
    }
    let id = this.nextId[q.server]!;
    while (ids.has(id)) id = (id + 1) & 0xff;
    const secret = this.opts.servers[q.server]!.secret;
    const isAccess = q.code === RADIUS_CODE.ACCESS_REQUEST;
    // RFC 2865 §3: the Access-Request authenticator is unpredictable; others are computed by signRequest.
    const authenticator = isAccess ? this.rng.bytes(16) : new Uint8Array(16);
    // Encoded before the Identifier is taken: nothing below may leave it taken
    // without a request in flight (requestProblem already refused what cannot encode).
    const bytes = signRequest(encodeRadiusPacket({ code: q.code, identifier: id, authenticator, attributes: requestAttributes(q.code, q.attributes, q.password, secret, authenticator) }), secret);
    this.nextId[q.server] = (id + 1) & 0xff;
    ids.set(id, q.tag);
    const p: Pending = {
      ...q,
      identifier: id,
      authenticator: bytes.slice(4, 20),
      bytes,
      transmissions: 1,
      deadline: now + this.opts.timeoutMs,
      sentAt: now,
    };
    this.inFlight.set(q.tag, p);
    this.counters[q.server]!.requests++;
    out.push({ kind: 'send', server: q.server, bytes });
  }

  private response(server: number, bytes: Uint8Array, now: Millis, out: RadiusClientOutput[]): void {
    const ids = this.ids[server];
    const serverSpec = this.opts.servers[server];
    const counters = this.counters[server];
    if (ids === undefined || serverSpec === undefined || counters === undefined) {
      this.unknownServerDrops++;
      out.push({ kind: 'drop', reason: 'unknown-server', detail: `server ${server}` });
      return;
    }
    const drop = (reason: RadiusClientDropReason, detail: string): void => {
      counters.drops[reason] = (counters.drops[reason] ?? 0) + 1;
      out.push({ kind: 'drop', reason, detail });
    };
    const r = parseRadiusPacket(bytes);
    if (!r.ok) {
      drop('malformed', `${r.error.code} at ${r.error.offset}${r.error.field ? ` (${r.error.field})` : ''}`);
      return;
    }
    const packet = r.value;
    const tag = ids.get(packet.identifier);
    const p = tag === undefined ? undefined : this.inFlight.get(tag);
    if (p === undefined || p.server !== server) {
      drop('unknown-identifier', `id ${packet.identifier}`);
      return;
    }
    const isAccess = p.code === RADIUS_CODE.ACCESS_REQUEST;
    const expected = isAccess
      ? packet.code === RADIUS_CODE.ACCESS_ACCEPT || packet.code === RADIUS_CODE.ACCESS_REJECT || packet.code === RADIUS_CODE.ACCESS_CHALLENGE
      : packet.code === RADIUS_CODE.ACCOUNTING_RESPONSE;
    if (!expected) {
      drop('unexpected-code', `code ${packet.code} for request code ${p.code}`);
      return;
    }
    const check = verifyResponse(bytes, p.authenticator, serverSpec.secret);
    if (!check.ok) {
      drop(check.reason, `id ${packet.identifier}`);
      return;
    }
    if (isAccess && this.opts.requireMessageAuthenticator === true && !check.messageAuthenticator) {
      drop('missing-message-authenticator', `id ${packet.identifier}`);
      return;
    }
    if (packet.code === RADIUS_CODE.ACCESS_ACCEPT) counters.accepts++;
    else if (packet.code === RADIUS_CODE.ACCESS_REJECT) counters.rejects++;
    else if (packet.code === RADIUS_CODE.ACCESS_CHALLENGE) counters.challenges++;
    else counters.accountingResponses++;
    this.finish(p.tag, now, out);
    out.push({ kind: 'event', event: { type: 'response', tag: p.tag, server, packet, requestAuthenticator: p.authenticator, secret: serverSpec.secret, elapsedMs: now - p.sentAt } });
  }

  /** Forgets an in-flight request and lets a queued one use the freed Identifier. */
  private finish(tag: number, now: Millis, out: RadiusClientOutput[]): void {
    const p = this.inFlight.get(tag);
    if (p === undefined) return;
    this.inFlight.delete(tag);
    this.ids[p.server]!.delete(p.identifier);
    const i = this.queue.findIndex((q) => q.server === p.server);
    if (i >= 0) this.dispatch(this.queue.splice(i, 1)[0]!, now, out);
  }

  private timeouts(now: Millis, out: RadiusClientOutput[]): void {
    const due = [...this.inFlight.values()].filter((p) => now >= p.deadline).sort((a, b) => a.deadline - b.deadline);
    for (const p of due) {
      if (!this.inFlight.has(p.tag)) continue;
      if (p.transmissions <= this.opts.retries) {
        p.transmissions++;
        p.deadline = now + this.opts.timeoutMs;
        this.counters[p.server]!.retransmissions++;
        out.push({ kind: 'send', server: p.server, bytes: p.bytes });
        continue;
      }
      // This server gave no answer: fail over.
      const n = this.opts.servers.length;
      const next = (p.server + 1) % n;
      this.counters[p.server]!.timeouts++;
      if (this.preferred === p.server && n > 1) {
        this.preferred = next;
        this.counters[p.server]!.failovers++;
        out.push({ kind: 'event', event: { type: 'server-failed', server: p.server, next } });
      } else if (n === 1) {
        out.push({ kind: 'event', event: { type: 'server-failed', server: p.server, next: p.server } });
      }
      this.finish(p.tag, now, out);
      if (p.tried + 1 >= n) {
        this.unanswered++;
        out.push({ kind: 'event', event: { type: 'timeout', tag: p.tag } });
        continue;
      }
      this.dispatch({ tag: p.tag, code: p.code, attributes: p.attributes, password: p.password, tried: p.tried + 1, server: next }, now, out);
    }
  }
}

/** Octets of a hidden User-Password attribute value for a password (RFC 2865 §5.2). */
function hiddenPasswordLength(password: Uint8Array): number {
  return Math.max(16, Math.ceil(password.length / 16) * 16);
}

/**
 * The attributes as sent: Message-Authenticator first in every Access-Request
 * (BlastRADIUS mitigation, RFC 3579 §3.2) and the User-Password, hidden for
 * `secret`, right after the User-Name.
 */
function requestAttributes(code: number, attrs: readonly RadiusAttribute[], password: Uint8Array | undefined, secret: Uint8Array | string, authenticator: Uint8Array): RadiusAttribute[] {
  const attributes: RadiusAttribute[] = [];
  if (code === RADIUS_CODE.ACCESS_REQUEST) attributes.push(messageAuthenticatorPlaceholder());
  for (const a of attrs) {
    attributes.push(a);
    if (a.type === ATTR.USER_NAME && password !== undefined) {
      attributes.push({ type: ATTR.USER_PASSWORD, value: hidePassword(password, secret, authenticator) });
    }
  }
  if (password !== undefined && !attrs.some((a) => a.type === ATTR.USER_NAME)) {
    attributes.push({ type: ATTR.USER_PASSWORD, value: hidePassword(password, secret, authenticator) });
  }
  return attributes;
}

/** Why a request cannot be encoded (RFC 2865 §3, §5), or undefined when it can. */
export function requestProblem(code: number, attrs: readonly RadiusAttribute[], password: Uint8Array | undefined): string | undefined {
  if (password !== undefined && password.length > 128) return `User-Password of ${password.length} octets (at most 128)`;
  let length = RADIUS_MIN_LENGTH + (code === RADIUS_CODE.ACCESS_REQUEST ? 18 : 0) + (password !== undefined ? 2 + hiddenPasswordLength(password) : 0);
  for (const a of attrs) {
    if (a.value.length > RADIUS_MAX_ATTRIBUTE_VALUE) return `attribute ${a.type} of ${a.value.length} octets (at most ${RADIUS_MAX_ATTRIBUTE_VALUE})`;
    length += 2 + a.value.length;
  }
  if (length > RADIUS_MAX_LENGTH) return `packet of ${length} octets (at most ${RADIUS_MAX_LENGTH})`;
  return undefined;
}
