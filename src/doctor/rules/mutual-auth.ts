/**
 * Both ends demand authentication. An LCP Configure-Request that carries the
 * Authentication-Protocol option asks the *other* side to authenticate
 * (RFC 1661 §6.2). In remote access only the server asks; when the sent and
 * the received ConfReq both carry it, the client is configured to require the
 * server to authenticate (pppd `auth`/`require-*`, xl2tpd `require
 * authentication = yes` in [lac]) and the server has nothing to answer with.
 * A link that came up anyway (site-to-site links with mutual CHAP) is fine.
 */
import { evidence, ipUp, type Rule } from './rule.js';

/** Rule `mutualAuth`: the mechanism in this file's header. */
export const mutualAuth: Rule = {
  name: 'mutual-auth',
  needs: ['lcp-confreq'],
  check(s) {
    const sent = s.find('lcp-confreq', (e) => e.dir === 'sent');
    const rcvd = s.find('lcp-confreq', (e) => e.dir === 'rcvd');
    if (!sent || !rcvd || ipUp(s)) return [];
    return [{ cause: 'auth-client-requires-server-auth', confidence: s.role === 'client' ? 'high' : 'medium', evidence: evidence(sent, rcvd) }];
  },
};
