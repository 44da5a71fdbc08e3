/**
 * Addressing. IPCP needs an address for each end: the pool may be empty
 * ("Out of IP addresses", "no free address"), the peer may insist on an
 * address it is not authorized for, the kernel may refuse an address that
 * is already on another interface, or IPCP itself may go unanswered.
 */
import { evidence, ipUp, type Rule, type RuleHit } from './rule.js';

/** Rule `ipPool`: the mechanism in this file's header. */
export const ipPool: Rule = {
  name: 'ip-pool',
  needs: ['pool-empty', 'ip-not-authorized', 'ip-set-fail', 'no-remote-ip', 'ip-refused', 'cp-timeout', 'term-by-peer'],
  check(s) {
    const out: RuleHit[] = [];
    const empty = s.all('pool-empty');
    if (empty.length) out.push({ cause: 'ip-pool-exhausted', confidence: 'high', evidence: evidence(empty) });
    const conflict = s.all('ip-not-authorized', 'ip-set-fail', 'no-remote-ip', 'ip-refused');
    if (conflict.length) out.push({ cause: 'ip-address-conflict', confidence: 'high', evidence: evidence(conflict) });
    if (!out.length && !ipUp(s)) {
      const ipcp = s.events.filter((e) => (e.kind === 'cp-timeout' || e.kind === 'term-by-peer') && e.proto === 'IPCP');
      if (ipcp.length) out.push({ cause: 'ipcp-not-negotiated', confidence: 'medium', evidence: evidence(ipcp) });
    }
    return out;
  },
};
