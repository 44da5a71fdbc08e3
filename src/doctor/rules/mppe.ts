/**
 * MPPE. pppd's CCP (ccp.c) closes LCP when MPPE is required and cannot be
 * used: the kernel probe fails ("MPPE required, but kernel has no support"),
 * the peer rejects or never offers MPPE ("MPPE required but peer negotiation
 * failed"), or authentication produced no MPPE keys (not MS-CHAP). The side
 * that gives up sends TermReq "MPPE required but not available"; seeing that
 * reason from the peer means the peer required MPPE and this side did not
 * provide it — before IP came up: a peer that hangs up a working link says
 * "MPPE disabled" too. A Protocol-Reject of CCP from the peer while MPPE is
 * in play has the same effect.
 */
import { evidence, type Rule } from './rule.js';

const MPPE_REASON = /MPPE/i;

/** Rule `mppe`: the mechanism in this file's header. */
export const mppe: Rule = {
  name: 'mppe',
  needs: ['mppe-no-kernel', 'mppe-peer-failed', 'mppe-no-mschap', 'term-by-peer', 'termreq'],
  check(s) {
    const noKernel = s.all('mppe-no-kernel');
    if (noKernel.length) {
      const term = s.find('termreq', (e) => e.dir === 'sent' && MPPE_REASON.test(e.reason ?? ''));
      return [{ cause: 'mppe-no-kernel-support', confidence: 'high', evidence: evidence(noKernel, term) }];
    }
    const local = s.all('mppe-peer-failed', 'mppe-no-mschap');
    // Only before IP came up: after that MPPE was working, and a peer hanging up with a reason
    // naming MPPE is an ordinary end (Windows clients' "LCP terminated by peer (MPPE disabled)").
    const up = s.events.find((e) => e.kind === 'ip-local' || e.kind === 'ip-remote');
    const fromPeer = s.events.filter(
      (e) => (e.kind === 'term-by-peer' || (e.kind === 'termreq' && e.dir === 'rcvd')) && MPPE_REASON.test(e.reason ?? '') && (!up || e.file < up.file || (e.file === up.file && e.line < up.line)),
    );
    const protrej = s.all('ccp-protrej');
    if (local.length || fromPeer.length) return [{ cause: 'mppe-not-negotiated', confidence: 'high', evidence: evidence(local, fromPeer, protrej) }];
    return [];
  },
};
