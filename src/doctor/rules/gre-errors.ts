/**
 * GRE socket errors other than EMSGSIZE. A raw GRE socket reports ICMP
 * errors for packets it sent: ECONNREFUSED is an ICMP protocol-unreachable
 * (the other end, or a firewall on the way, rejects IP protocol 47),
 * EHOSTUNREACH/ENETUNREACH an unreachable route. pptpd ends the call on any
 * of them. Same mechanism as an unanswered LCP: GRE does not get through.
 */
import { evidence, type Rule } from './rule.js';

const BLOCKED = /refused|unreachable|No route|Protocol not available|not permitted/i;

/** Rule `greErrors`: the mechanism in this file's header. */
export const greErrors: Rule = {
  name: 'gre-errors',
  needs: ['gre-read-fail', 'gre-write-fail'],
  check(s) {
    const e = s.all('gre-read-fail', 'gre-write-fail').filter((x) => BLOCKED.test(x.reason ?? ''));
    return e.length ? [{ cause: 'gre-blocked', confidence: 'medium', evidence: evidence(e.slice(0, 3), s.find('gre-pty-fail')) }] : [];
  },
};
