/**
 * One session per user. A RADIUS server enforcing Simultaneous-Use
 * (FreeRADIUS: the `Simultaneous-Use` check item, counted over the open rows
 * of `radacct` by the sql module's session section) rejects a login while the
 * user has a session it believes open, on any NAS. The client sees MS-CHAP
 * error 691 with "You are already logged in - access denied"; FreeRADIUS
 * logs "Multiple logins (max N)". The open session may be real, or stale: a
 * NAS that died without sending Stop keeps its rows open until it sends
 * Accounting-On.
 */
import { evidence, type Rule, type RuleHit } from './rule.js';

/** Rule `simultaneousUse`: the mechanism in this file's header. */
export const simultaneousUse: Rule = {
  name: 'simultaneous-use',
  needs: ['simultaneous-use'],
  check(s) {
    const hits = s.all('simultaneous-use');
    const out: RuleHit[] = [];
    if (hits.length) out.push({ cause: 'auth-already-logged-in', confidence: 'high', evidence: evidence(hits) });
    return out;
  },
};
