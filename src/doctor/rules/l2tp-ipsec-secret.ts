/**
 * L2TP over IPsec without a secret. Apple's L2TP plugin installs IPsec
 * policies and triggers racoon before sending SCCRQ, unless `l2tpnoipsec` is
 * set. With neither a shared secret nor a certificate in the IPsec settings it
 * gives up before any packet is sent.
 */
import { evidence, type Rule } from './rule.js';

/** Rule `l2tpIpsecSecret`: the mechanism in this file's header. */
export const l2tpIpsecSecret: Rule = {
  name: 'l2tp-ipsec-secret',
  needs: ['l2tp-ipsec-secret-missing'],
  check(s) {
    const e = s.all('l2tp-ipsec-secret-missing');
    return e.length ? [{ cause: 'l2tp-ipsec-secret-missing', confidence: 'high', evidence: evidence(e, s.find('connecting')) }] : [];
  },
};
