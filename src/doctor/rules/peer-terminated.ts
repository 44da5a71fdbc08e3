/**
 * The peer closed the link during setup and this side's log does not say
 * why (only "sent [LCP TermAck]", "LCP terminated by peer" with no known
 * reason). On a PPTP link the peer is the server's pppd; after the client
 * authenticated, the server's remaining reason to terminate before IPCP is
 * CCP: it requires MPPE (require-mppe-128) and this client did not offer it
 * ("MPPE required but peer negotiation failed" in the server's log). A peer
 * reason naming authentication points at this side's credentials. Anything
 * else is reported as a peer termination with its reason. Runs only when no
 * other rule explained the session.
 */
import type { Session } from '../session.js';
import { evidence, ipUp, type RuleHit } from './rule.js';

/** Fallback when no rule explained the session: who closed it during setup and what that implies. */
export function peerTerminated(s: Session): RuleHit[] {
  if (ipUp(s)) return [];
  const term = s.events.filter(
    (e) =>
      (e.kind === 'termack' && e.dir === 'sent') ||
      (e.kind === 'termreq' && e.dir === 'rcvd') ||
      (e.kind === 'term-by-peer' && e.proto === 'LCP'),
  );
  if (!term.length) return [];
  const reason = term.map((e) => e.reason ?? '').find((r) => r) ?? '';
  const ctx = s.all('lcp-down', 'call-clear', 'user-request').slice(0, 3);
  if (/auth/i.test(reason)) return [{ cause: 'auth-bad-credentials', confidence: 'medium', evidence: evidence(term, ctx) }];
  if (s.kind === 'pptp' && !s.has('auth-fail') && !reason)
    return [
      {
        cause: 'mppe-not-negotiated',
        confidence: 'low',
        evidence: evidence(term, ctx),
        detail:
          'Inferred: the peer (the PPTP server) ended LCP before IP came up and this log does not say why. A PPTP server\'s pppd does that when it requires MPPE and this client does not negotiate it; confirm with "MPPE required but peer negotiation failed" in the server\'s log.',
      },
    ];
  return [{ cause: 'lcp-terminated-by-peer', confidence: 'low', evidence: evidence(term, ctx), detail: reason ? `The peer's reason: "${reason}".` : undefined }];
}
