/**
 * pppd's exit status as its parent reports it (xl2tpd: "pppd exited for
 * call N with code C", xl2tpd.c child_handler), when pppd's own lines are
 * not in this log (it logs to another file, or in a container to nowhere).
 * The codes are pppd.h's EXIT_* list:
 *    2 EXIT_OPTION_ERROR       pppd refused its options → pppd-options-error
 *    3 EXIT_NOT_ROOT           pppd not run as root     → pppd-options-error
 *    4 EXIT_NO_KERNEL_SUPPORT  no /dev/ppp or ppp_generic → kernel-ppp-missing
 *   10 EXIT_NEGOTIATION_FAILED LCP/IPCP never agreed    → l2tp-ppp-no-answer (low: the log does not say which)
 *   11 EXIT_PEER_AUTH_FAILED   the peer failed to authenticate to us → auth-bad-credentials
 * 15 (EXIT_PEER_DEAD) and 19 (EXIT_AUTH_TOPEER_FAILED, we failed to
 * authenticate to the peer) are read by keepalive.ts and auth.ts. 0, 5
 * (user request: xl2tpd sends TERM when the call ends), 12/13 (idle and
 * connect-time limits) and 16 (hangup: the tunnel below went away first)
 * are normal ends. A code is used only when no line of pppd already
 * names the same mechanism.
 */
import type { EvKind } from '../types.js';
import { evidence, ipUp, type Rule, type RuleHit } from './rule.js';

const CODES: Record<number, { cause: string; name: string; confidence: RuleHit['confidence']; unless: EvKind[]; what: string }> = {
  2: { cause: 'pppd-options-error', name: 'EXIT_OPTION_ERROR', confidence: 'medium', unless: ['options-error'], what: 'pppd refused an option in its options files' },
  3: { cause: 'pppd-options-error', name: 'EXIT_NOT_ROOT', confidence: 'medium', unless: ['options-error'], what: 'pppd was not started as root (or without the capabilities it needs)' },
  4: { cause: 'kernel-ppp-missing', name: 'EXIT_NO_KERNEL_SUPPORT', confidence: 'high', unless: ['dev-ppp-open', 'no-kernel-ppp'], what: 'pppd found no kernel PPP support (/dev/ppp, ppp_generic)' },
  10: { cause: 'l2tp-ppp-no-answer', name: 'EXIT_NEGOTIATION_FAILED', confidence: 'low', unless: ['cp-timeout', 'auth-fail', 'no-secret', 'mppe-peer-failed', 'mppe-no-kernel'], what: 'LCP or IPCP negotiation failed; pppd\'s own log says which' },
  11: { cause: 'auth-bad-credentials', name: 'EXIT_PEER_AUTH_FAILED', confidence: 'medium', unless: ['auth-fail', 'no-secret', 'auth-required-nosecret'], what: 'the peer failed to authenticate itself (wrong user name or password, or no secret for that name)' },
};

/** Rule `pppdExitCode`: the mechanism in this file's header. */
export const pppdExitCode: Rule = {
  name: 'pppd-exit-code',
  needs: ['exit-code'],
  check(s) {
    const out: RuleHit[] = [];
    for (const e of s.all('exit-code')) {
      const c = CODES[e.n ?? -1];
      if (!c || c.unless.some((k) => s.has(k)) || out.some((h) => h.cause === c.cause)) continue;
      if (e.n === 10 && ipUp(s)) continue;
      out.push({ cause: c.cause, confidence: c.confidence, evidence: evidence(e), detail: `pppd exited with status ${e.n} (${c.name} in pppd.h): ${c.what}.` });
    }
    return out;
  },
};
