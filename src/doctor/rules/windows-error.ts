/**
 * Windows RAS error codes (raserror.h). The Windows client reports the
 * failure as a code; each code names the stage that failed, which maps onto
 * the same mechanisms the server-side rules find:
 *   619, 806, 718  control channel up, GRE (PPP) never answered → gre-blocked
 *   800            no answer on the control port (TCP 1723 / UDP 500) → pptp-control-unreachable
 *   691            credentials rejected → auth-bad-credentials
 *   812, 850, 813  no authentication protocol the server allows → auth-protocol-mismatch
 *   741, 742       encryption (MPPE) required by one side only → mppe-not-negotiated
 *   720            IPCP could not be negotiated → ipcp-not-negotiated
 *   735            the server rejected the requested address → ip-address-conflict
 *   734, 628, 629  the server closed PPP during setup → lcp-terminated-by-peer
 *   809            L2TP/IPsec through NAT (NAT-T) → ipsec-nat-t
 *   789            IKE failed during initial negotiation (PSK / proposal) → ipsec-psk-mismatch
 *   768, 781, 788  IPsec credentials (certificate or PSK) missing or rejected → ipsec-psk-missing
 *   13801, 13806   IKEv2: the certificate was not accepted / none found → ipsec-cert-rejected
 *
 * 809 means "no answer from the server" for every tunnel type; only for
 * L2TP/IPsec is that the NAT-T registry setting. On a connection that is
 * plainly PPTP (the session is a PPTP one, or RasClient named the PPTP
 * miniport) it is the control port or GRE not getting through.
 */
import { evidence, type Rule, type RuleHit } from './rule.js';

const MAP: Record<number, string> = {
  619: 'gre-blocked',
  806: 'gre-blocked',
  718: 'gre-blocked',
  800: 'pptp-control-unreachable',
  691: 'auth-bad-credentials',
  812: 'auth-protocol-mismatch',
  813: 'auth-protocol-mismatch',
  850: 'auth-protocol-mismatch',
  741: 'mppe-not-negotiated',
  742: 'mppe-not-negotiated',
  720: 'ipcp-not-negotiated',
  735: 'ip-address-conflict',
  734: 'lcp-terminated-by-peer',
  628: 'lcp-terminated-by-peer',
  629: 'lcp-terminated-by-peer',
  809: 'ipsec-nat-t',
  789: 'ipsec-psk-mismatch',
  768: 'ipsec-psk-missing',
  781: 'ipsec-psk-missing',
  788: 'ipsec-psk-missing',
  13801: 'ipsec-cert-rejected',
  13806: 'ipsec-cert-rejected',
};

/** Rule `windowsError`: the mechanism in this file's header. */
export const windowsError: Rule = {
  name: 'windows-error',
  needs: ['ras-error'],
  check(s) {
    const out: RuleHit[] = [];
    const pptp = s.kind === 'pptp' || s.events.some((e) => e.kind === 'ras-dial' && e.transport === 'pptp');
    for (const e of s.all('ras-error')) {
      const cause = e.n === 809 && pptp ? 'pptp-control-unreachable' : MAP[e.n ?? 0];
      if (cause && !out.some((h) => h.cause === cause)) out.push({ cause, confidence: e.n === 800 || e.n === 734 || e.n === 628 || (e.n === 809 && pptp) ? 'medium' : 'high', evidence: evidence(e), detail: e.n === 809 && pptp ? 'Windows error 809 on a PPTP connection: the server did not answer; TCP port 1723 or GRE (IP protocol 47) is blocked on the way, not an IPsec NAT-T setting.' : undefined });
    }
    return out;
  },
};
