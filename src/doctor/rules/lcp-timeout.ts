/**
 * LCP never answered. pppd sends Configure-Requests (default 10, 3 s apart,
 * fsm.c) and, with no reply at all, logs "LCP: timeout sending
 * Config-Requests" and hangs up. The control channel already worked (pppd
 * was started on a pty), so the data channel is what fails: GRE for PPTP,
 * the L2TP session for L2TP. With `debug`, LCP packets received from the
 * peer while our Configure-Requests stay unacknowledged show GRE getting
 * through in one direction only (typical of a NAT without a PPTP helper).
 */
import { evidence, type Rule } from './rule.js';

/** Rule `lcpTimeout`: the mechanism in this file's header. */
export const lcpTimeout: Rule = {
  name: 'lcp-timeout',
  needs: ['cp-timeout'],
  check(s) {
    const t = s.all('cp-timeout').filter((e) => e.proto === 'LCP');
    if (!t.length) return [];
    const l2tp = s.kind === 'l2tp';
    const ctx = s.events.filter((e) => e.kind === 'connect' || e.kind === 'ctrl-start' || e.kind === 'l2tp-call-up').slice(0, 1);
    return [{ cause: l2tp ? 'l2tp-ppp-no-answer' : 'gre-blocked', confidence: s.kind === 'pptp' || l2tp ? 'high' : 'medium', evidence: evidence(ctx, t) }];
  },
};
