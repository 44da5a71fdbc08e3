/**
 * The authentication backend chain, in `auth.backends` order: chap-secrets
 * answers for the users it knows and passes the others on; RADIUS answers
 * for everyone, and only when no server answers does the next backend get
 * the request. What an accepting answer grants (Framed-IP-Address, limits,
 * Class) waits as an offer until the link says which verdict let the peer in.
 */
import type { Config } from '../../config/schema.js';
import type { Millis } from '../../core/machine.js';
import { lookupSecret, type ChapSecret } from '../../config/chap-secrets.js';
import type { Logger } from '../../log/logger.js';
import type { AuthVerdict, VerifyRequest } from '../../ppp/auth/types.js';
import { verifyWithSecret } from '../../ppp/auth/verify.js';
import { accessRequest, accessRequestProblem, authResultFromResponse, type AcceptInfo } from '../../radius/auth.js';
import { RADIUS_CODE } from '../../radius/codec.js';
import type { PppLink } from '../link.js';
import type { RadiusAccounting } from './accounting.js';
import { RadiusRequestRefused, type RadiusAnswer, type RadiusUdpClient } from './transport.js';

/** Thrown inside the chain when no RADIUS server answered. */
class RadiusUnreachable extends Error {}

/** The chain of backends for one server process. */
export class RadiusAuthChain {
  /** The authentication client; undefined when RADIUS is not among auth.backends. */
  client: RadiusUdpClient | undefined;

  constructor(
    /** auth.backends and chap-secrets as the configuration has them now (reload replaces them). */
    public config: Config,
    public secrets: readonly ChapSecret[],
    private readonly sessions: RadiusAccounting,
    private readonly log: Logger,
  ) {}

  /**
   * Verifies `request`; with a link, NAS-Port, Calling-Station-Id and
   * Acct-Session-Id go in the request. `signal` (the link gave up on the
   * exchange) frees the RADIUS Identifier at once.
   */
  async verify(request: VerifyRequest, link: PppLink | undefined, signal?: AbortSignal): Promise<AuthVerdict> {
    let unreachable = false;
    for (const b of this.config.auth.backends) {
      if (b === 'chap-secrets') {
        const secret = lookupSecret(this.secrets, request.username, request.authenticatorName)?.secret;
        if (secret === undefined) continue;
        const v = verifyWithSecret(request, secret);
        if (link && v.ok) this.offer(link, request.requestId, 'local', undefined);
        return v;
      }
      try {
        return await this.radiusVerify(request, link, signal);
      } catch (err) {
        if (signal?.aborted) return { ok: false, retryable: false, message: 'cancelled', unavailable: true };
        if (!(err instanceof RadiusUnreachable)) throw err;
        unreachable = true;
        this.log.warn('radius-timeout', `no RADIUS server answered for ${request.username}`);
      }
    }
    return unreachable ? { ok: false, retryable: false, message: 'authentication server unavailable', unavailable: true } : { ok: false, retryable: false, message: 'authentication failed' };
  }

  private async radiusVerify(request: VerifyRequest, link: PppLink | undefined, signal: AbortSignal | undefined): Promise<AuthVerdict> {
    if (!this.client) throw new RadiusUnreachable();
    // What RADIUS cannot carry is a failed login, counted like one: never a
    // request that cannot be encoded, never "server unavailable".
    const problem = accessRequestProblem(request);
    if (problem !== undefined) {
      this.log.warn('radius-refused', `login of ${request.username} refused before RADIUS: ${problem}`, { user: request.username });
      return { ok: false, retryable: false, message: 'authentication failed' };
    }
    const t = link ? this.sessions.track(link) : undefined;
    const parts = accessRequest(request, this.sessions.nasInfo(link, t?.sessionId));
    let answer: RadiusAnswer | undefined;
    try {
      answer = await this.client.request(RADIUS_CODE.ACCESS_REQUEST, parts.attributes, parts.password, signal);
    } catch (err) {
      if (!(err instanceof RadiusRequestRefused)) throw err;
      this.log.warn('radius-refused', `login of ${request.username} refused before RADIUS: ${err.problem}`, { user: request.username });
      return { ok: false, retryable: false, message: 'authentication failed' };
    } finally {
      if (parts.password) parts.password.fill(0);
    }
    if (answer === undefined) throw new RadiusUnreachable();
    const result = authResultFromResponse(request, answer.packet, answer.secret, answer.requestAuthenticator);
    if (result.problem) this.log.warn('radius-reply', `RADIUS reply for ${request.username}: ${result.problem}`);
    if (link && result.verdict.ok) this.offer(link, request.requestId, 'radius', result.accept);
    // The server's Reply-Message says why (FreeRADIUS: "pool exhausted", "You are already logged in - access denied").
    const why = !result.verdict.ok && result.verdict.message !== undefined && result.verdict.message.trim() !== '' ? `: ${result.verdict.message.trim()}` : '';
    this.log.info('radius-auth', `RADIUS ${result.verdict.ok ? 'accepted' : 'rejected'} ${request.username} (${request.protocol})${why}`, { user: request.username });
    return result.verdict;
  }

  /** Remembers what an accepting answer grants; applied only if it is the one that lets the peer in. */
  private offer(link: PppLink, requestId: number, authentic: 'radius' | 'local', accept: AcceptInfo | undefined): void {
    const t = this.sessions.track(link);
    t.offers.set(requestId, { authentic, accept });
    // Bounded: a link has one exchange at a time; old offers of exchanges that are gone go first.
    while (t.offers.size > 4) t.offers.delete(t.offers.keys().next().value!);
  }

  /** True when tunppp.json has a pool `name` for the link's protocol. */
  private hasPool(link: PppLink, name: string): boolean {
    return this.config.pools.some((p) => p.name === name && p.protocols.includes(link.transport.proto));
  }

  /** Link observer: the peer got in with the verdict of `requestId`; what that answer granted applies now. */
  linkAuthenticated(link: PppLink, requestId: number, now: Millis): void {
    const t = this.sessions.tracked.get(link);
    if (!t) return;
    const o = t.offers.get(requestId);
    t.offers.clear();
    if (!o) return;
    t.authentic = o.authentic;
    t.accept = o.accept;
    if (o.accept?.framedIpAddress !== undefined) link.framedAddress = o.accept.framedIpAddress;
    else if (o.accept?.framedPool !== undefined) {
      // RFC 2869 §5.18: the NAS's own pool of that name. One we do not have gives no address (IPCP
      // fails and the log says why): another pool could be one the user must not get.
      link.framedPool = o.accept.framedPool;
      if (!this.hasPool(link, o.accept.framedPool)) this.log.warn('radius-pool', `Framed-Pool "${o.accept.framedPool}" for ${link.username ?? '?'} names no pool of tunppp.json that serves ${link.transport.proto}: no address (add the pool, or fix the RADIUS reply)`, { user: link.username });
    }
    const rate = o.accept?.rate;
    if (rate?.problem !== undefined) this.log.warn('radius-rate-limit', `rate limit for ${link.username ?? '?'}: ${rate.problem}`, { user: link.username });
    if (rate?.limit !== undefined) link.setRateLimit(rate.limit, `RADIUS ${rate.source ?? ''}`.trim(), now);
  }
}
