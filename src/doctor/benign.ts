/**
 * Lines that look alarming but are harmless. Each entry says why, so the
 * report can list them as benign instead of letting them look like a cause.
 * A line that matches here never becomes an event, so no rule can use it as
 * evidence.
 */

/** One benign pattern. */
export interface BenignPattern {
  id: string;
  title: string;
  why: string;
  /** Cheap literal that must occur in the message before the regex runs. */
  lit: string;
  re: RegExp;
}

/** Every benign pattern, in report order. */
export const BENIGN: readonly BenignPattern[] = [
  {
    id: 'protocol-reject-apple-acsp',
    title: "Protocol-Reject of Apple's ACSP (0x8235)",
    why: 'macOS and iOS clients offer the Apple Client Server Protocol (0x8235) on every link. pppd does not implement it and answers with an LCP Protocol-Reject, which the client accepts and goes on. RFC 1661 §5.7: a Protocol-Reject only stops that one protocol.',
    lit: '8235',
    re: /(?:Unsupported protocol|Protocol-Reject for)[^\n]*0x8235|Apple Client Server Protocol/,
  },
  {
    id: 'protocol-reject-ipv6cp',
    title: 'Protocol-Reject of IPV6CP (0x8057)',
    why: 'The client offers IPv6 (IPV6CP, 0x8057) and this pppd runs without +ipv6. The reject only disables IPv6 on the link; IPv4 (IPCP) is unaffected.',
    lit: '8057',
    re: /(?:Unsupported protocol|Protocol-Reject for)[^\n]*0x8057/,
  },
  {
    id: 'ppprc-permission',
    title: "pppd cannot read ~/.ppprc",
    why: "pppd tries the invoking user's ~/.ppprc before its real options; when pptpd or xl2tpd start pppd as root from another user's environment the file is unreadable. The system options files are still read.",
    lit: 'options file',
    re: /can't open options file [^\n]*\.ppprc/,
  },
  {
    id: 'proxyarp-no-ethernet',
    title: 'No ethernet address for proxy ARP',
    why: "With `proxyarp` pppd looks for a LAN interface on the client's subnet to publish an ARP entry. When the pool is not part of a LAN subnet there is none; only the proxy ARP entry is skipped, the tunnel works (routing to the pool still has to be set up).",
    lit: 'proxy ARP',
    re: /Cannot determine ethernet address for proxy ARP/,
  },
  {
    id: 'pptpd-gre-bad-checksum',
    title: 'pptpd: "GRE: Bad checksum from pppd"',
    why: "pptpd checks the async-HDLC FCS of frames pppd writes to the pty. The first frames after the pty opens are often cut (pppd's initial flush), so one such line at call start is normal.",
    lit: 'Bad checksum',
    re: /GRE: Bad checksum from pppd/,
  },
  {
    id: 'ppp-filter-unsupported',
    title: 'Kernel without PPP filtering',
    why: 'pppd wants CONFIG_PPP_FILTER only for the `active-filter`/`pass-filter` options; without them nothing is lost.',
    lit: 'PPP filtering',
    re: /kernel does not support PPP filtering/,
  },
  {
    id: 'non-lcp-discarded',
    title: 'Non-LCP packet discarded while LCP is not open',
    why: 'The peer sent an IPCP/CCP packet after this side already closed LCP (or before it opened). RFC 1661 §3.4 requires discarding it; it is a symptom of the termination, never its cause.',
    lit: 'non-LCP',
    re: /Discarded non-LCP packet when LCP not open/,
  },
  {
    id: 'gre-reordering',
    title: 'GRE reordering / duplicates',
    why: 'pptpd and the pptp client drop duplicated or late GRE packets; PPP above recovers (MPPE stateless mode resynchronises per packet).',
    lit: 'acket',
    re: /GRE: Discarding (?:duplicate|out of order) packet|buffering packet|discarding duplicate packet|discarding out of order/i,
  },
  {
    id: 'xl2tpd-ignored-avp',
    title: 'xl2tpd ignores an optional AVP',
    why: 'xl2tpd skips optional (non-mandatory) AVPs it does not implement, such as Windows and macOS vendor AVPs; RFC 2661 §4.1 allows that.',
    lit: 'Ignoring AVP',
    re: /ignore_avp ?: Ignoring AVP/,
  },
  {
    id: 'macos-scdset-success',
    title: 'macOS: "publish_entry SCDSet() failed: Success!"',
    why: "Apple's pppd logs this whenever it publishes connection state to configd, even when the call succeeded (the errno printed is 0). It appears on working and failing connections alike.",
    lit: 'SCDSet',
    re: /publish_entry SCDSet\(\) failed: Success/,
  },
  {
    id: 'secrets-file-permissions',
    title: 'pppd: secrets file readable by group or others',
    why: 'pppd warns that chap-secrets/pap-secrets is group- or world-readable and then reads it anyway; authentication is not affected (chmod 600 silences it).',
    lit: 'secret',
    re: /Warning - secret file \S+ has world and\/or group access/,
  },
  {
    id: 'tunppp-kept-calls',
    title: 'tunppp handled a socket or path-MTU error and kept the calls',
    why: 'tunppp counts GRE/UDP socket errors and treats EMSGSIZE / ICMP fragmentation-needed as a path-MTU signal (it lowers the link MTU and the TCP MSS clamp); it does not hang up, so these lines are not a cause.',
    lit: 'kept',
    re: /\(ignored, (?:calls|tunnels) kept\)|; call kept/,
  },
  {
    id: 'pptp-accm-unsupported',
    title: 'pptp client: "Non-zero Async Control Character Maps are not supported"',
    why: 'The server sends Set-Link-Info with the ACCM pppd negotiated; the pptp client runs the pty in a mode where the ACCM does not matter and says so. Links work normally.',
    lit: 'Async Control Character',
    re: /Non-zero Async Control Character Maps are not supported/,
  },
  {
    id: 'xl2tpd-no-kernel-l2tp',
    title: 'xl2tpd: "L2TP kernel support not detected"',
    why: 'xl2tpd looks for the kernel L2TP driver (l2tp_ppp) at start and, without it, carries the PPP frames itself through a pty to pppd (network.c init_network). L2TP works either way; only pppd\'s own /dev/ppp is required, and a finding says so when that is missing.',
    lit: 'kernel support',
    re: /L2TP kernel support not detected|Not looking for kernel support/,
  },
];

/** Index of the benign pattern matching `msg`, or -1. */
export function matchBenign(msg: string): number {
  for (let i = 0; i < BENIGN.length; i++) {
    const b = BENIGN[i]!;
    if (msg.includes(b.lit) && b.re.test(msg)) return i;
  }
  return -1;
}
