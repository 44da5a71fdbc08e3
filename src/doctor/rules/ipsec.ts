/**
 * IKE phase 1 and 2. The responder needs a key for the peer's ID (missing:
 * "no shared key found"), the same key (else the encrypted main-mode
 * payloads do not decrypt, or AUTHENTICATION_FAILED), a common proposal
 * (NO_PROPOSAL_CHOSEN) and a connection whose IDs and traffic selectors fit
 * (INVALID_ID_INFORMATION, "no suitable connection"). An initiator that
 * gets no answer retransmits and gives up; when NAT was detected on the way
 * the stall is on UDP 4500 / NAT-T, otherwise UDP 500 never got through.
 */
import { evidence, type Rule, type RuleHit } from './rule.js';

/** Rule `ipsec`: the mechanism in this file's header. */
export const ipsec: Rule = {
  name: 'ipsec',
  needs: ['ike-cert-fail', 'ike-psk-missing', 'ike-auth-fail', 'ike-no-proposal', 'ike-no-conn', 'ike-timeout'],
  check(s) {
    const out: RuleHit[] = [];
    const missing = s.all('ike-psk-missing');
    if (missing.length) out.push({ cause: 'ipsec-psk-missing', confidence: 'high', evidence: evidence(missing.slice(0, 3)) });
    const auth = s.all('ike-auth-fail');
    if (auth.length && !missing.length) out.push({ cause: 'ipsec-psk-mismatch', confidence: 'high', evidence: evidence(auth.slice(0, 3)) });
    const cert = s.all('ike-cert-fail');
    if (cert.length) out.push({ cause: 'ipsec-cert-rejected', confidence: 'high', evidence: evidence(cert.slice(0, 3)) });
    const prop = s.all('ike-no-proposal');
    if (prop.length) out.push({ cause: 'ipsec-proposal-mismatch', confidence: 'high', evidence: evidence(prop.slice(0, 3)) });
    const noConn = s.all('ike-no-conn');
    if (noConn.length && !prop.length) out.push({ cause: 'ipsec-no-matching-connection', confidence: 'high', evidence: evidence(noConn.slice(0, 3)) });
    const timeout = s.all('ike-timeout');
    if (timeout.length && !out.length) {
      const nat = s.all('nat-detected');
      if (nat.length) out.push({ cause: 'ipsec-nat-t', confidence: 'medium', evidence: evidence(nat.slice(0, 2), timeout.slice(0, 2)) });
      else out.push({ cause: 'ipsec-unreachable', confidence: s.has('ike-up') ? 'low' : 'medium', evidence: evidence(timeout.slice(0, 3)) });
    }
    return out;
  },
};
