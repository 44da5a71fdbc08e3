/**
 * IKE finished but the kernel would not take the SAs or policies (XFRM
 * netlink / PF_KEY errors): no ESP, so nothing above IPsec can start.
 */
import { evidence, type Rule } from './rule.js';

/** Rule `ipsecKernel`: the mechanism in this file's header. */
export const ipsecKernel: Rule = {
  name: 'ipsec-kernel',
  needs: ['ipsec-kernel-fail'],
  check(s) {
    const e = s.all('ipsec-kernel-fail');
    return e.length ? [{ cause: 'ipsec-kernel-support', confidence: 'high', evidence: evidence(e.slice(0, 3)) }] : [];
  },
};
