/**
 * Kernel PPP. pppd needs /dev/ppp (ppp_generic). open() failing with ENOENT
 * or ENODEV means no device node or no driver; EACCES/EPERM means the driver
 * exists but this process (an unprivileged container) may not use it. Both
 * end in "lacks kernel support" and pppd exits before any negotiation.
 */
import { evidence, type Rule } from './rule.js';

/** Rule `kernelPpp`: the mechanism in this file's header. */
export const kernelPpp: Rule = {
  name: 'kernel-ppp',
  needs: ['dev-ppp-open', 'no-kernel-ppp'],
  check(s) {
    const open = s.all('dev-ppp-open');
    const lacks = s.all('no-kernel-ppp');
    if (!open.length && !lacks.length) return [];
    const denied = open.find((e) => /Permission denied|Operation not permitted/i.test(e.reason ?? ''));
    return [{ cause: denied ? 'dev-ppp-permission' : 'kernel-ppp-missing', confidence: open.length ? 'high' : 'medium', evidence: evidence(open, lacks) }];
  },
};
