/**
 * PPTP control connection. The client opens TCP 1723 before anything else;
 * "connection refused" means nothing listens, a timeout means a firewall
 * drops it. Without it there is no call and no GRE.
 */
import { evidence, type Rule } from './rule.js';

/** Rule `pptpControl`: the mechanism in this file's header. */
export const pptpControl: Rule = {
  name: 'pptp-control',
  needs: ['ctrl-connect-fail'],
  check(s) {
    const e = s.all('ctrl-connect-fail').filter((x) => x.transport !== 'l2tp' && s.kind !== 'l2tp');
    return e.length ? [{ cause: 'pptp-control-unreachable', confidence: 'high', evidence: evidence(e.slice(0, 3)) }] : [];
  },
};
