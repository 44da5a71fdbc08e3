/**
 * Path MTU. pptpd (and the pptp client) send GRE on a raw socket; after an
 * ICMP fragmentation-needed for one of our packets the kernel stores the
 * lower path MTU on the socket and the next read/write returns EMSGSIZE
 * ("Message too long"). pptpd treats any GRE socket error as fatal
 * (pptpgre.c) and its control process hangs up the call ("GRE read or PTY
 * write failed"), so a working session dies seconds after the first large
 * packet. The hang-up lines that follow are part of the evidence.
 */
import { evidence, type Rule } from './rule.js';

/** Rule `pathMtu`: the mechanism in this file's header. */
export const pathMtu: Rule = {
  name: 'path-mtu',
  needs: ['emsgsize'],
  check(s) {
    const hits = s.all('emsgsize');
    if (!hits.length) return [];
    const first = hits[0]!;
    const after = s.events.filter((e) => e.line >= first.line && (e.kind === 'gre-pty-fail' || e.kind === 'hangup')).slice(0, 2);
    return [{ cause: 'gre-path-mtu', confidence: 'high', evidence: evidence(hits.slice(0, 3), after) }];
  },
};
