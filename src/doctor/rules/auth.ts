/**
 * Authentication outcome. The authenticator either finds no secret for the
 * name ("No CHAP secret found for authenticating X": unknown user) or checks
 * the response and rejects it (MS-CHAP E=691, CHAP Failure, PAP Nak: wrong
 * password). pppd also ends with exit status 19 when we failed to
 * authenticate to the peer. A refusal to authenticate at all, or a rejected
 * auth protocol, is a protocol mismatch instead. A failed attempt followed
 * by a link that came up (clients retry, e.g. after a typo) is not a cause,
 * nor is a rejection whose reason is a RADIUS policy (Simultaneous-Use, an
 * exhausted address pool: rules/simultaneous-use.ts and ip-pool.ts).
 */
import { evidence, ipUp, type Rule, type RuleHit } from './rule.js';

/** Rule `auth`: the mechanism in this file's header. */
export const auth: Rule = {
  name: 'auth',
  needs: ['no-secret', 'auth-fail', 'exit-code', 'peer-refused-auth', 'auth-rejected', 'auth-required-nosecret'],
  check(s) {
    if (ipUp(s)) return [];
    // RADIUS refused for a policy (Simultaneous-Use, an empty sqlippool): the password was fine.
    if (s.has('simultaneous-use') || s.has('pool-empty')) return [];
    const out: RuleHit[] = [];
    const noSecret = s.all('no-secret').filter((e) => e.dir !== 'local');
    const fails = s.all('auth-fail');
    if (noSecret.length) out.push({ cause: 'auth-unknown-user', confidence: 'high', evidence: evidence(noSecret, fails) });
    else if (fails.length) out.push({ cause: 'auth-bad-credentials', confidence: 'high', evidence: evidence(fails) });
    else {
      const exit19 = s.find('exit-code', (e) => e.n === 19);
      if (exit19) out.push({ cause: 'auth-bad-credentials', confidence: 'medium', evidence: [exit19] });
    }
    const refused = s.all('peer-refused-auth', 'auth-rejected');
    const ownNoSecret = s.all('auth-required-nosecret');
    // The same refusal means a missing `noauth` on a client, and an empty or mismatched chap-secrets on a server.
    const server = s.role === 'server' || s.has('ctrl-start') || s.has('call-start');
    if (ownNoSecret.length) out.push({ cause: server ? 'auth-server-no-secrets' : 'auth-client-requires-server-auth', confidence: 'high', evidence: evidence(ownNoSecret) });
    else if (refused.length && !out.length) {
      // A client that demands authentication from the server gets refused by
      // it; a server demanding a protocol the client will not do is a mismatch.
      const weDemand = s.events.some((e) => e.kind === 'lcp-confreq' && e.dir === 'sent');
      const cause = s.role === 'client' && weDemand ? 'auth-client-requires-server-auth' : 'auth-protocol-mismatch';
      out.push({ cause, confidence: 'medium', evidence: evidence(refused) });
    }
    return out;
  },
};
