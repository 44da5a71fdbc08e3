/**
 * Keepalive. pppd sends an LCP Echo-Request every lcp-echo-interval seconds
 * and hangs up after lcp-echo-failure unanswered ones ("No response to N
 * echo-requests", "Serial link appears to be disconnected"); pptpd and the
 * pptp client do the same on the TCP control connection, and IKE daemons
 * with dead peer detection. The peer vanished or the thresholds are tighter
 * than the path's loss.
 */
import { evidence, type Rule, type RuleHit } from './rule.js';

/** Rule `keepalive`: the mechanism in this file's header. */
export const keepalive: Rule = {
  name: 'keepalive',
  needs: ['echo-timeout', 'link-dead', 'exit-code', 'pptp-echo-timeout', 'dpd-timeout'],
  check(s) {
    const out: RuleHit[] = [];
    const lcp = s.all('echo-timeout', 'link-dead');
    if (lcp.length) out.push({ cause: 'lcp-echo-timeout', confidence: s.has('echo-timeout') ? 'high' : 'medium', evidence: evidence(lcp) });
    const exit15 = !lcp.length ? s.find('exit-code', (e) => e.n === 15) : undefined;
    if (exit15) out.push({ cause: 'lcp-echo-timeout', confidence: 'medium', evidence: [exit15] });
    const dpd = s.all('dpd-timeout');
    if (dpd.length) out.push({ cause: 'ipsec-dpd-timeout', confidence: 'high', evidence: evidence(dpd.slice(0, 3)) });
    const pptp = s.all('pptp-echo-timeout');
    if (pptp.length) out.push({ cause: 'pptp-keepalive-timeout', confidence: 'high', evidence: evidence(pptp) });
    return out;
  },
};
