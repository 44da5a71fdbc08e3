/**
 * AVP parsing. xl2tpd validates each AVP's length against what its handler
 * expects; when a mandatory AVP fails ("avp is incorrect size", "Bad exit
 * status handling attribute N ... on mandatory packet") the whole control
 * message is dropped. For the Result Code AVP the check was stricter than
 * RFC 2661 §4.4.2 (Error Code is optional), so valid StopCCN/CDN from other
 * LNS implementations are discarded.
 */
import { evidence, type Rule } from './rule.js';

/** Rule `l2tpAvp`: the mechanism in this file's header. */
export const l2tpAvp: Rule = {
  name: 'l2tp-avp',
  needs: ['l2tp-avp-error'],
  check(s) {
    const e = s.all('l2tp-avp-error');
    return e.length ? [{ cause: 'l2tp-avp-rejected', confidence: e.some((x) => /Result Code|incorrect size/i.test(x.reason ?? x.text)) ? 'high' : 'medium', evidence: evidence(e.slice(0, 4)) }] : [];
  },
};
