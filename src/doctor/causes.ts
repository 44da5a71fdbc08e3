/**
 * The documented list of causes. Every finding names one of these ids; the
 * ids are stable (docs/doctor.md lists them and `--json` consumers key on
 * them). `priority` orders findings of equal severity: a cause that explains
 * another one (no kernel PPP explains an LCP timeout) sorts first.
 */
import type { FixStep, Severity } from './types.js';

/** A cause: what went wrong, why, and what to change. */
export interface Cause {
  id: string;
  category: string;
  severity: Severity;
  /** Higher sorts first among equal severity. */
  priority: number;
  title: string;
  explanation: string;
  fix: FixStep[];
}

const c = (x: Cause): Cause => x;

/** Every cause doctor can report (docs/doctor.md lists the same ids). */
export const CAUSES: readonly Cause[] = [
  c({
    id: 'gre-path-mtu',
    category: 'path-mtu',
    severity: 'critical',
    priority: 95,
    title: 'Path MTU: GRE packets too big for the path (EMSGSIZE), the call was hung up',
    explanation:
      "A PPP frame plus the GRE (16 B) and IP (20 B) headers did not fit the path MTU. A router sent ICMP fragmentation-needed (or the local interface MTU is smaller), the kernel recorded the smaller path MTU on pptpd's raw GRE socket and the next socket call returned EMSGSIZE ('Message too long'). pptpd treats every GRE socket error as fatal and tears the call down, so the client sees a drop seconds after connecting, often at the first large packet. macOS uses a 1500-byte PPP MTU for PPTP, Windows 1400, which is why Macs are hit first.",
    fix: [
      { target: 'pptpd options (/etc/ppp/pptpd-options or /etc/ppp/options.pptpd)', lines: ['mtu 1400', 'mru 1400'], note: 'The server then negotiates a smaller MRU with every client; 1400 fits GRE over PPPoE and most tunnels.' },
      { target: 'firewall on the server', lines: ['iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu'], note: 'Keeps TCP inside the tunnel below the tunnel MTU.' },
      { target: 'macOS client', lines: ['sudo ifconfig ppp0 mtu 1400', '# permanent: /etc/ppp/ip-up containing  /sbin/ifconfig "$1" mtu 1400'] },
      { target: 'Windows client', lines: ['netsh interface ipv4 set subinterface "<VPN connection name>" mtu=1400 store=persistent'] },
      { target: 'tunppp', lines: ['tunppp serve treats EMSGSIZE as a path-MTU signal: it lowers that session\'s MTU and MSS clamp and keeps the call up'] },
    ],
  }),
  c({
    id: 'kernel-ppp-missing',
    category: 'kernel-support',
    severity: 'critical',
    priority: 100,
    title: 'No kernel PPP support (/dev/ppp missing or not usable)',
    explanation:
      'pppd moves frames through the kernel PPP driver (ppp_generic) via /dev/ppp. When the device node is missing, the module is not loaded, or a container does not pass the device in, pppd cannot open it and exits at once (exit status 4, "lacks kernel support"). Containers share the host kernel: the module has to be loaded on the host and /dev/ppp (char 108:0) passed in.',
    fix: [
      { target: 'host', lines: ['modprobe ppp_generic ppp_async ppp_deflate ppp_mppe', 'ls -l /dev/ppp || mknod /dev/ppp c 108 0'] },
      { target: 'Docker', lines: ['docker run --device /dev/ppp --cap-add NET_ADMIN ...', '# or --privileged; load ppp_generic on the host first'] },
      { target: 'LXC / Proxmox (unprivileged container)', lines: ['lxc.cgroup2.devices.allow = c 108:0 rwm', 'lxc.mount.entry = /dev/ppp dev/ppp none bind,create=file'], note: 'Or run the VPN in a privileged container or a VM.' },
      { target: 'tunppp', lines: ['tunppp serve / tunppp connect run PPP in user space on a TUN device and do not need /dev/ppp or ppp_generic'] },
    ],
  }),
  c({
    id: 'dev-ppp-permission',
    category: 'kernel-support',
    severity: 'critical',
    priority: 100,
    title: 'pppd may not open /dev/ppp (permission denied)',
    explanation:
      'The host kernel has PPP, but this process may not open /dev/ppp: an unprivileged container (LXC/Proxmox, Docker without --device) blocks the character device 108:0 in its device cgroup, or pppd runs without root. pppd then reports that the system "lacks PPP kernel support", which is misleading.',
    fix: [
      { target: 'LXC / Proxmox (unprivileged container)', lines: ['lxc.cgroup2.devices.allow = c 108:0 rwm', 'lxc.mount.entry = /dev/ppp dev/ppp none bind,create=file'], note: 'Or use a privileged container or a VM.' },
      { target: 'Docker', lines: ['docker run --device /dev/ppp --cap-add NET_ADMIN ...'] },
      { target: 'pppd', lines: ['run pppd as root (it is setuid root in most packages); check ls -l /dev/ppp is crw------- root'] },
      { target: 'tunppp', lines: ['tunppp needs only a TUN device (/dev/net/tun, CAP_NET_ADMIN), not /dev/ppp'] },
    ],
  }),
  c({
    id: 'mppe-no-kernel-support',
    category: 'kernel-support',
    severity: 'critical',
    priority: 98,
    title: 'MPPE is required but the kernel has no MPPE support (ppp_mppe)',
    explanation:
      'pppd encrypts with the kernel\'s ppp_mppe module. At the start of CCP it probes the kernel; with `require-mppe*` in the options and no module, pppd logs "MPPE required, but kernel has no support" and closes LCP with "MPPE required but not available" right after authentication. Inside a chroot or container the host kernel decides.',
    fix: [
      { target: 'host kernel', lines: ['modprobe ppp_mppe', 'lsmod | grep ppp_mppe'], note: 'Debian/Ubuntu kernels ship it; OpenWrt: opkg install kmod-mppe; ChromeOS/WSL/container hosts: the host kernel must provide it.' },
      { target: 'pppd options (only if the link may run unencrypted)', lines: ['# remove: require-mppe-128', 'nomppe'] },
      { target: 'tunppp', lines: ['tunppp implements MPPE (RFC 3078/3079) in user space; no ppp_mppe module is needed'] },
    ],
  }),
  c({
    id: 'mppe-not-negotiated',
    category: 'mppe-negotiation',
    severity: 'critical',
    priority: 80,
    title: 'MPPE required by one side but not negotiated by the other',
    explanation:
      'One side requires MPPE (`require-mppe-128`, Windows "Require encryption", macOS "Maximum") and the other does not offer it in CCP, rejects CCP, or cannot derive MPPE keys because authentication was not MS-CHAP/MS-CHAPv2. pppd then closes LCP with "MPPE required but peer negotiation failed" (the side that required it) or the peer terminates with "MPPE required but not available". The link drops right after authentication, before IP comes up.',
    fix: [
      { target: 'pptpd options (/etc/ppp/pptpd-options)', lines: ['require-mschap-v2', 'require-mppe-128', 'refuse-pap', 'refuse-chap', 'refuse-mschap'], note: 'MPPE keys come from MS-CHAPv2; with PAP or CHAP-MD5 there are no keys.' },
      { target: 'server kernel', lines: ['modprobe ppp_mppe', '# OpenWrt: opkg install kmod-mppe'] },
      { target: 'client that cannot encrypt (routers, old firmwares)', lines: ['# on the server, only if unencrypted PPTP is acceptable:', '# remove require-mppe-128 from pptpd-options', 'nomppe'] },
      { target: 'Linux pppd client', lines: ['require-mppe-128', 'refuse-eap', 'refuse-pap', 'refuse-chap'] },
      { target: 'Windows client', lines: ['VPN properties → Security → Data encryption: "Optional encryption" or "Require encryption" with MS-CHAP v2 allowed'] },
      { target: 'tunppp', lines: ['tunppp negotiates MPPE 128-bit stateless with MS-CHAPv2 by default and logs which side refused'] },
    ],
  }),
  c({
    id: 'gre-blocked',
    category: 'gre-not-flowing',
    severity: 'critical',
    priority: 70,
    title: 'No answer to LCP: the data channel (GRE) does not get through',
    explanation:
      'The control connection worked (pppd was started on a pty), but the peer never answered an LCP Configure-Request: pppd sent 10 of them 3 s apart and gave up ("LCP: timeout sending Config-Requests"). PPTP carries LCP in GRE (IP protocol 47), which has no ports: a firewall that opens only TCP 1723, a NAT router without a PPTP helper (nf_conntrack_pptp), or a second client behind the same NAT leaves GRE undelivered. A kernel without GRE/PPTP support (early WSL2 kernels) has the same effect.',
    fix: [
      { target: 'server firewall', lines: ['iptables -A INPUT -p tcp --dport 1723 -j ACCEPT', 'iptables -A INPUT -p gre -j ACCEPT', 'iptables -A OUTPUT -p gre -j ACCEPT'] },
      { target: 'NAT router in front of the server or client', lines: ['modprobe nf_conntrack_pptp nf_nat_pptp', 'iptables -t raw -A PREROUTING -p tcp --dport 1723 -j CT --helper pptp'], note: 'Kernels since 4.7 need the explicit CT helper rule (or net.netfilter.nf_conntrack_helper=1). Consumer routers: enable "PPTP passthrough".' },
      { target: 'client', lines: ['restart the client (and its router) to clear stale GRE/NAT state; one PPTP client per public IP unless the NAT has a PPTP helper'] },
      { target: 'kernel (WSL2, minimal VPS kernels)', lines: ['CONFIG_PPP=m CONFIG_PPP_ASYNC=m CONFIG_PPP_MPPE=m CONFIG_NET_IPGRE_DEMUX=m CONFIG_PPTP=m', '# WSL: wsl --update'] },
      { target: 'tunppp', lines: ['tunppp connect --proto l2tp avoids GRE entirely (UDP 1701)'] },
    ],
  }),
  c({
    id: 'l2tp-ppp-no-answer',
    category: 'l2tp',
    severity: 'critical',
    priority: 68,
    title: 'No answer to LCP over the L2TP session',
    explanation:
      'The L2TP tunnel and session came up, but no LCP packet from the peer arrived through it; pppd gave up after its Configure-Requests timed out. L2TP data messages share UDP 1701 with the control channel, so this points at the peer side\'s pppd not starting (check its log) or at IPsec policies that pass the control exchange but drop data.',
    fix: [
      { target: 'LNS (server)', lines: ['check the server\'s pppd log for this call; xl2tpd.conf [lns default]: pppoptfile = /etc/ppp/options.xl2tpd', 'ppp debug = yes'] },
      { target: 'IPsec', lines: ['libreswan/strongSwan: leftprotoport=17/1701 rightprotoport=17/%any (transport mode, both directions)'] },
    ],
  }),
  c({
    id: 'auth-bad-credentials',
    category: 'auth',
    severity: 'critical',
    priority: 60,
    title: 'Authentication failed: wrong user name or password',
    explanation:
      'The authenticator checked the response and rejected it: MS-CHAP error 691 ("E=691", access denied), a CHAP Failure, or a PAP Authenticate-Nak. The user exists (otherwise pppd logs "No secret found"), so the password differs, or the client sends a DOMAIN\\user name, or the chap-secrets server column does not match the `name` option.',
    fix: [
      { target: '/etc/ppp/chap-secrets (server)', lines: ['# client   server   secret        IP addresses', 'alice      pptpd    "s3cret"      *'], note: 'The server column must equal `name pptpd` in the options file (`name l2tpd` for xl2tpd setups), or be *.' },
      { target: 'client', lines: ['re-enter the user name and password; Windows: leave the domain empty'] },
      { target: 'RADIUS', lines: ['check the RADIUS server log for the Access-Reject reason'] },
    ],
  }),
  c({
    id: 'auth-unknown-user',
    category: 'auth',
    severity: 'critical',
    priority: 62,
    title: 'Authentication failed: no secret for this user',
    explanation:
      'pppd looked the peer\'s name up in chap-secrets/pap-secrets and found no line whose client and server columns match, so it could not even verify the response and failed the peer ("No CHAP secret found for authenticating <user>").',
    fix: [
      { target: '/etc/ppp/chap-secrets (server)', lines: ['# client   server   secret        IP addresses', '<user>     *        "password"    *'], note: 'Or set the server column to the `name` from the pptpd/xl2tpd options file.' },
      { target: 'pppd options', lines: ['name pptpd'] },
    ],
  }),
  c({
    id: 'auth-client-requires-server-auth',
    category: 'auth-config',
    severity: 'error',
    priority: 58,
    title: 'The client demands that the server authenticate itself',
    explanation:
      "Both sides put an Authentication-Protocol option in their LCP Configure-Request, so each requires the other to authenticate. In remote access only the server authenticates the client; a client configured with `auth`/`require-*` (or xl2tpd's `require authentication = yes` in [lac]) challenges the server, the server has no secret to answer with, and the client closes the link with \"Authentication failed\" even though its own authentication succeeded. A client pppd whose options say `auth` and that has no secret for the server refuses to start at all (\"The remote system (…) is required to authenticate itself … but I couldn't find any suitable secret\"): Debian's stock /etc/ppp/options has `auth`, so a client peers file needs `noauth`.",
    fix: [
      { target: 'client pppd options (e.g. /etc/ppp/options.l2tpd.client, /etc/ppp/peers/<name>)', lines: ['noauth', '# remove: auth, require-chap, require-mschap-v2, require-pap'] },
      { target: 'xl2tpd.conf [lac <name>] (client)', lines: ['require authentication = no', 'refuse pap = no'] },
    ],
  }),
  c({
    id: 'auth-protocol-mismatch',
    category: 'auth-config',
    severity: 'critical',
    priority: 57,
    title: 'No common authentication protocol',
    explanation:
      'This side requires a protocol (e.g. MS-CHAPv2) and the peer Configure-Rejects or Naks it toward one this side refuses (PAP, CHAP-MD5), or refuses to authenticate at all. LCP cannot agree and pppd ends the link ("peer refused to authenticate").',
    fix: [
      { target: 'server pppd options', lines: ['require-mschap-v2', 'refuse-pap', 'refuse-chap', 'refuse-eap'] },
      { target: 'Windows client', lines: ['VPN properties → Security → Allow these protocols: Microsoft CHAP Version 2 (MS-CHAP v2)'] },
      { target: 'Linux pppd client', lines: ['remove refuse-mschap-v2; keep require-mppe-128 only with MS-CHAPv2'] },
    ],
  }),
  c({
    id: 'lcp-echo-timeout',
    category: 'keepalive',
    severity: 'error',
    priority: 50,
    title: 'Keepalive failed: the peer stopped answering LCP Echo-Requests',
    explanation:
      'pppd sends an LCP Echo-Request every `lcp-echo-interval` seconds and declares the link dead after `lcp-echo-failure` unanswered ones ("No response to N echo-requests", "Serial link appears to be disconnected"). Either the peer vanished (client lost its network, NAT mapping for GRE/UDP expired, path died) or the thresholds are so tight that ordinary packet loss trips them (interval 1, failure 5 = 5 s).',
    fix: [
      { target: 'pppd options (server or client)', lines: ['lcp-echo-interval 30', 'lcp-echo-failure 4'], note: 'Or disable with lcp-echo-interval 0 and rely on the tunnel keepalive.' },
      { target: 'OpenWrt (/etc/config/network, the ppp interface)', lines: ["option keepalive '4 30'"], note: 'Check the pppd command line (ps w | grep pppd) really carries the values.' },
      { target: 'NAT in between', lines: ['keep the NAT state alive: PPTP echo in pptpd.conf is not configurable; use lcp-echo-interval 30 so traffic flows'] },
    ],
  }),
  c({
    id: 'ipsec-dpd-timeout',
    category: 'keepalive',
    severity: 'error',
    priority: 48,
    title: 'IPsec dead peer detection: the peer stopped answering',
    explanation:
      'The IKE daemon checks an idle peer with dead peer detection (IKEv1 R-U-THERE, IKEv2 empty INFORMATIONAL) and deletes the SAs when no answer comes within the timeout. Everything carried inside — the L2TP tunnel and PPP — dies with them. The client lost connectivity, or a NAT between the peers dropped the UDP 4500 mapping while the tunnel was idle.',
    fix: [
      { target: 'libreswan', lines: ['dpddelay=30', 'dpdtimeout=120', 'dpdaction=clear', 'nat-keepalive=yes'] },
      { target: 'strongSwan', lines: ['dpddelay=30s', 'dpdtimeout=150s', 'dpdaction=clear', '# strongswan.conf: charon { keep_alive = 20s }'] },
    ],
  }),
  c({
    id: 'pptp-keepalive-timeout',
    category: 'keepalive',
    severity: 'error',
    priority: 49,
    title: 'PPTP control keepalive timed out',
    explanation:
      'PPTP sends Echo-Request on the TCP 1723 control connection; when the other side does not answer within its timeout the control connection and the call are closed. The peer lost connectivity or a middlebox dropped the idle TCP connection.',
    fix: [
      { target: 'network', lines: ['check the client\'s connectivity and any stateful firewall idle timeout for TCP 1723'] },
      { target: 'pppd options', lines: ['lcp-echo-interval 30', 'lcp-echo-failure 4'] },
    ],
  }),
  c({
    id: 'auth-already-logged-in',
    category: 'auth',
    severity: 'critical',
    priority: 61,
    title: 'Refused: the user already has a session (RADIUS Simultaneous-Use)',
    explanation:
      'The password was right, but the RADIUS server allows this user only so many sessions at once (FreeRADIUS `Simultaneous-Use`, counted over the open rows of `radacct` across every NAS) and counts one open already: the user is connected on another server, or a server died without sending accounting Stop and its rows stay open until that server sends Accounting-On. The client gets MS-CHAP error 691 with "You are already logged in - access denied".',
    fix: [
      { target: 'the other session', lines: ['tunppp sessions   # on each server: find the user\'s session', 'tunppp kick --user NAME'], note: 'Or a Disconnect-Request from the RADIUS server to the NAS in the radacct row.' },
      { target: 'stale radacct rows (a server that died)', lines: ['start the dead server again: its Accounting-On closes its rows (tunppp sends it at start with radius.accounting)', "UPDATE radacct SET acctstoptime = now(), acctterminatecause = 'NAS-Reboot' WHERE nasipaddress = '<dead NAS>' AND acctstoptime IS NULL;"] },
      { target: 'FreeRADIUS users / radcheck', lines: ['DEFAULT Simultaneous-Use := 2'], note: 'When two sessions per user are meant to be allowed.' },
    ],
  }),
  c({
    id: 'ip-pool-exhausted',
    category: 'ip-pool',
    severity: 'critical',
    priority: 55,
    title: 'Address pool exhausted',
    explanation:
      'The server hands every client an address from a pool (pptpd `remoteip`, xl2tpd `ip range`, accel-ppp ip-pool, or a RADIUS pool such as FreeRADIUS sqlippool, whose post-auth rejects the login with "pool exhausted"). When every address is in use, also by stale sessions that were never reaped or leases of a server that died, the next client gets none and IPCP (or the login) cannot complete.',
    fix: [
      { target: 'pptpd.conf', lines: ['localip 192.168.240.1', 'remoteip 192.168.240.10-250'], note: 'pptpd also limits calls with `connections N`.' },
      { target: 'xl2tpd.conf [lns default]', lines: ['ip range = 192.168.241.10-192.168.241.250', 'local ip = 192.168.241.1'] },
      { target: 'stale sessions', lines: ['ps ax | grep pppd   # kill leftover pppd processes', 'lcp-echo-interval 30', 'lcp-echo-failure 4'] },
      { target: 'FreeRADIUS sqlippool (PostgreSQL)', lines: ["INSERT INTO radippool (pool_name, framedipaddress) VALUES ('main', '10.99.0.50');", "SELECT nasipaddress, count(*) FROM radippool WHERE expiry_time > now() GROUP BY 1;   # leases per NAS"], note: 'A NAS that died keeps its leases until it sends Accounting-On (tunppp does at start) or they expire (lease_duration).' },
    ],
  }),
  c({
    id: 'ip-address-conflict',
    category: 'ip-pool',
    severity: 'error',
    priority: 54,
    title: 'Address conflict or unusable address',
    explanation:
      'IPCP could not settle on addresses: the peer wants an address it is not authorized for (chap-secrets IP column), the kernel refused to set an address that is already in use on another interface, or no remote address was configured at all.',
    fix: [
      { target: 'pptpd.conf', lines: ['localip 192.168.240.1', 'remoteip 192.168.240.10-250'], note: 'localip must not be inside remoteip, and neither may overlap the LAN\'s DHCP range.' },
      { target: '/etc/ppp/chap-secrets', lines: ['alice  pptpd  "s3cret"  *'], note: 'A fixed address in the last column must lie outside the pool and be unique.' },
      { target: 'client pppd options', lines: ['noipdefault', 'ipcp-accept-local', 'ipcp-accept-remote'] },
    ],
  }),
  c({
    id: 'ipcp-not-negotiated',
    category: 'ip-pool',
    severity: 'error',
    priority: 40,
    title: 'IPCP did not complete',
    explanation:
      'LCP and authentication finished but IPCP (the IPv4 address exchange) did not: the peer did not answer IPCP Configure-Requests or terminated IPCP. Usually the server has no address to give (no `remoteip`/`ip range`, pool empty) or rejects the address the client insists on.',
    fix: [
      { target: 'server', lines: ['pptpd.conf: localip/remoteip set; xl2tpd.conf: ip range / local ip set'] },
      { target: 'client pppd options', lines: ['noipdefault', 'ipcp-accept-local', 'ipcp-accept-remote'] },
    ],
  }),
  c({
    id: 'l2tp-ipsec-secret-missing',
    category: 'l2tp-ipsec',
    severity: 'critical',
    priority: 90,
    title: 'L2TP over IPsec: no IPsec shared secret configured',
    explanation:
      "Apple's L2TP plugin protects L2TP with IPsec unless told otherwise. Without a shared secret (or certificate) for the IKE exchange it stops before sending anything (\"L2TP: no user shared secret found\" / \"IPSec shared secret missing\").",
    fix: [
      { target: 'macOS (System Settings → VPN → the L2TP service → Authentication Settings)', lines: ['Machine Authentication: Shared Secret = the server\'s PSK'] },
      { target: 'macOS, L2TP without IPsec (/etc/ppp/peers/<name>, `pppd call <name>`)', lines: ['plugin L2TP.ppp', 'l2tpnoipsec', 'remoteaddress <server>', 'user <name>'], note: 'Only when the server accepts L2TP without IPsec.' },
      { target: 'server IPsec (libreswan /etc/ipsec.secrets, strongSwan ipsec.secrets)', lines: ['%any %any : PSK "the-shared-secret"'] },
    ],
  }),
  c({
    id: 'l2tp-tunnel-timeout',
    category: 'l2tp',
    severity: 'error',
    priority: 52,
    title: 'L2TP tunnel timed out (control messages not acknowledged)',
    explanation:
      'xl2tpd retransmits each control message (SCCRQ, ICRQ, HELLO...) with back-off and closes the tunnel when no acknowledgment arrives ("Maximum retries exceeded for tunnel N", result "Timeout"). UDP 1701 is not getting through: blocked by a firewall, the IPsec SA that carries it is gone (rekey failure, NAT-T port change), or the peer crashed.',
    fix: [
      { target: 'server firewall (L2TP only inside IPsec)', lines: ['iptables -A INPUT -p udp -m multiport --dports 500,4500 -j ACCEPT', 'iptables -A INPUT -p udp --dport 1701 -m policy --dir in --pol ipsec -j ACCEPT'] },
      { target: 'IPsec', lines: ['libreswan: dpddelay=30 dpdtimeout=120 dpdaction=clear', 'strongSwan: dpddelay=30s dpdaction=clear'], note: 'Check that the IPsec SA was up when the tunnel timed out (ipsec status / ipsec whack --trafficstatus).' },
    ],
  }),
  c({
    id: 'l2tp-tunnel-auth-failed',
    category: 'l2tp',
    severity: 'critical',
    priority: 59,
    title: 'L2TP tunnel authentication failed',
    explanation:
      'With tunnel authentication (RFC 2661 §5.1.1) both ends hash a Challenge AVP with a shared tunnel secret; a wrong or missing secret makes the Challenge Response check fail and the tunnel is refused.',
    fix: [
      { target: 'xl2tpd.conf (both ends)', lines: ['challenge = yes', 'auth file = /etc/xl2tpd/l2tp-secrets'] },
      { target: '/etc/xl2tpd/l2tp-secrets (same secret on both ends)', lines: ['*  *  "tunnel-secret"'], note: 'Or turn it off on both ends with challenge = no; clients like Windows and macOS do not use tunnel authentication.' },
    ],
  }),
  c({
    id: 'l2tp-tunnel-secret-missing',
    category: 'l2tp',
    severity: 'critical',
    priority: 60,
    title: 'L2TP tunnel authentication: no tunnel secret for the peer',
    explanation:
      'With `challenge = yes` (RFC 2661 §5.1.1) each end hashes the other\'s Challenge AVP with a tunnel secret looked up by host name in the `auth file` (l2tp-secrets: `our-name their-name secret`). When one end finds no line for the pair ("no secret found for us=… and them=…", "No secret for authenticating to …") it cannot answer or check the challenge and closes the tunnel with "No secret key on our side/end" before any call starts.',
    fix: [
      { target: 'xl2tpd.conf (the end that logs the missing secret)', lines: ['[lns default]   ; or [lac <name>]', 'challenge = yes', 'auth file = /etc/xl2tpd/l2tp-secrets'] },
      { target: '/etc/xl2tpd/l2tp-secrets (both ends, the same secret; names as the log prints them)', lines: ['# our-host-name  peer-host-name  secret', '*  *  "tunnel-secret"'], note: 'Or set challenge = no on the end that asks: Windows, macOS, iOS and Android clients never use tunnel authentication.' },
    ],
  }),
  c({
    id: 'l2tp-avp-rejected',
    category: 'l2tp-avp-parsing',
    severity: 'warning',
    priority: 45,
    title: 'xl2tpd rejects a valid AVP from the peer',
    explanation:
      'xl2tpd\'s Result Code AVP handler required the optional Error Code field (length ≥ 10), but RFC 2661 §4.4.2 makes Error Code and Error Message optional, so an 8-byte Result Code is valid. On a mandatory AVP xl2tpd then discards the whole StopCCN/CDN ("Bad exit status handling attribute 1 (Result Code) on mandatory packet") and the teardown is not processed cleanly.',
    fix: [
      { target: 'xl2tpd', lines: ['upgrade to a release that includes xelerance/xl2tpd PR #175 (Result Code length >= 8)'] },
      { target: 'tunppp', lines: ['tunppp parses Result Code with Error Code optional (RFC 2661 §4.4.2)'] },
    ],
  }),
  c({
    id: 'l2tp-peer-denied',
    category: 'l2tp',
    severity: 'critical',
    priority: 56,
    title: 'xl2tpd refused the peer (access control)',
    explanation: 'xl2tpd only accepts tunnels from addresses allowed by `access control`/`lac = ` in its [lns] section; this peer was not among them.',
    fix: [{ target: 'xl2tpd.conf [lns default]', lines: ['access control = no', '# or: lac = 0.0.0.0-255.255.255.255'] }],
  }),
  c({
    id: 'ipsec-psk-missing',
    category: 'ipsec-phase1',
    severity: 'critical',
    priority: 88,
    title: 'IPsec phase 1: no pre-shared key for this peer',
    explanation:
      'The IKE daemon looked up a PSK for the peer\'s ID/address and found none ("no shared key found", "couldn\'t find the pskey"), so it cannot authenticate main mode. The secrets file has no line whose selectors match the IDs actually used (behind NAT the client\'s ID is its private address).',
    fix: [
      { target: 'libreswan/openswan /etc/ipsec.secrets, strongSwan /etc/ipsec.secrets', lines: ['%any %any : PSK "the-shared-secret"'] },
      { target: 'strongSwan swanctl.conf', lines: ['secrets { ike-l2tp { secret = "the-shared-secret" } }'] },
      { target: 'racoon /etc/racoon/psk.txt', lines: ['<peer-address>  the-shared-secret'] },
    ],
  }),
  c({
    id: 'ipsec-psk-mismatch',
    category: 'ipsec-phase1',
    severity: 'critical',
    priority: 87,
    title: 'IPsec phase 1: pre-shared keys differ',
    explanation:
      'Both ends have a PSK but not the same one: in IKEv1 main mode the third exchange is encrypted with a key derived from the PSK, so the responder cannot decrypt it ("invalid HASH_V1 payload length, decryption failed?", "probable authentication failure (mismatch of preshared secrets?)"); IKEv2 reports AUTHENTICATION_FAILED.',
    fix: [
      { target: 'server secrets file', lines: ['%any %any : PSK "the-shared-secret"'] },
      { target: 'clients', lines: ['Windows: VPN properties → Security → Advanced settings → pre-shared key', 'macOS/iOS: Authentication Settings → Shared Secret', 'Android: IPSec pre-shared key'] },
    ],
  }),
  c({
    id: 'ipsec-cert-rejected',
    category: 'ipsec-phase1',
    severity: 'critical',
    priority: 85,
    title: 'IPsec: certificate authentication failed',
    explanation:
      'With certificate authentication each side must trust the CA that issued the other\'s certificate, and the identity in the certificate must match the configured ID (leftid/rightid, or the server name the client dialled). A missing CA, an expired certificate or a name mismatch makes the signature check fail and the IKE_SA is refused.',
    fix: [
      { target: 'strongSwan', lines: ['cp ca.pem /etc/ipsec.d/cacerts/', 'leftid=@vpn.example.com   # must be a subjectAltName of the server certificate'] },
      { target: 'libreswan', lines: ['certutil -A -n "ca" -t "CT,," -d sql:/etc/ipsec.d -a -i ca.pem', 'leftid=%fromcert'] },
      { target: 'clients', lines: ['import the CA certificate; connect with the exact server name in the certificate'] },
    ],
  }),
  c({
    id: 'ipsec-proposal-mismatch',
    category: 'ipsec-proposal',
    severity: 'critical',
    priority: 86,
    title: 'IPsec: no common proposal (encryption/hash/DH group)',
    explanation:
      'The initiator offered cipher/integrity/DH combinations the responder is not configured to accept (or the reverse), so the responder answers NO_PROPOSAL_CHOSEN. Windows and Apple L2TP clients use AES-CBC/3DES with SHA1 and MODP1024 (DH group 2) in phase 1, which many current server defaults no longer allow.',
    fix: [
      { target: 'libreswan /etc/ipsec.d/l2tp.conf', lines: ['ike=aes256-sha2;modp2048,aes128-sha2;modp2048,aes256-sha1;modp2048,aes256-sha1;modp1024,aes128-sha1;modp1024', 'phase2alg=aes_gcm-null,aes128-sha1,aes256-sha1,aes256-sha2_512,aes128-sha2,aes256-sha2'] },
      { target: 'strongSwan ipsec.conf', lines: ['ike=aes256-sha1-modp1024,aes128-sha1-modp1024,aes256-sha256-modp2048', 'esp=aes256-sha1,aes128-sha1'] },
      { target: 'racoon', lines: ['proposal { encryption_algorithm aes 256; hash_algorithm sha1; authentication_method pre_shared_key; dh_group 2; }'] },
    ],
  }),
  c({
    id: 'ipsec-no-matching-connection',
    category: 'ipsec-phase1',
    severity: 'critical',
    priority: 84,
    title: 'IPsec: no connection definition matches the peer (IDs or traffic selectors)',
    explanation:
      'The responder found no configured connection for the peer\'s identity or for the traffic it proposed ("no suitable connection", "no matching peer config", INVALID_ID_INFORMATION, TS_UNACCEPTABLE). For L2TP/IPsec the connection must be transport mode for UDP 1701 and accept any peer ID, including clients behind NAT that use their private address as ID.',
    fix: [
      { target: 'libreswan /etc/ipsec.d/l2tp.conf', lines: ['type=transport', 'leftprotoport=17/1701', 'right=%any', 'rightprotoport=17/%any', 'rightid=%any'] },
      { target: 'strongSwan ipsec.conf', lines: ['type=transport', 'leftprotoport=17/1701', 'right=%any', 'rightprotoport=17/%any', 'rightid=%any'] },
    ],
  }),
  c({
    id: 'ipsec-nat-t',
    category: 'ipsec-nat-t',
    severity: 'critical',
    priority: 83,
    title: 'IPsec through NAT fails (NAT-T)',
    explanation:
      'NAT was detected between the peers, so IKE moves to UDP 4500 and ESP is encapsulated in UDP (RFC 3947/3948). The negotiation then stalled: UDP 4500 is blocked, or the client refuses NAT-T to a server that is itself behind NAT (Windows by default, error 809).',
    fix: [
      { target: 'server firewall / router', lines: ['iptables -A INPUT -p udp -m multiport --dports 500,4500 -j ACCEPT', '# forward UDP 500 and 4500 to the server when it is behind NAT'] },
      { target: 'Windows client (server behind NAT), then reboot', lines: ['reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\PolicyAgent /v AssumeUDPEncapsulationContextOnSendRule /t REG_DWORD /d 2 /f'] },
      { target: 'libreswan', lines: ['encapsulation=yes', 'nat-keepalive=yes'] },
      { target: 'strongSwan', lines: ['forceencaps=yes'] },
    ],
  }),
  c({
    id: 'ipsec-unreachable',
    category: 'ipsec-phase1',
    severity: 'critical',
    priority: 82,
    title: 'IPsec: the peer never answered IKE',
    explanation:
      'The IKE daemon retransmitted its phase-1 message and gave up ("giving up after N retransmits", "phase1 negotiation failed due to time up", "max number of retransmissions"). UDP 500 (and 4500) does not reach the peer, or nothing listens there.',
    fix: [
      { target: 'server firewall', lines: ['iptables -A INPUT -p udp -m multiport --dports 500,4500 -j ACCEPT', 'iptables -A INPUT -p esp -j ACCEPT'] },
      { target: 'server', lines: ['ipsec status   # is the IKE daemon running and listening on the public address?'] },
    ],
  }),
  c({
    id: 'pptp-control-unreachable',
    category: 'pptp-control',
    severity: 'critical',
    priority: 75,
    title: 'PPTP control connection (TCP 1723) could not be opened',
    explanation: 'The client could not open TCP 1723 to the server: refused (no pptpd listening), timed out (a firewall drops it) or no route.',
    fix: [
      { target: 'server', lines: ['systemctl status pptpd', 'ss -ltn | grep 1723', 'iptables -A INPUT -p tcp --dport 1723 -j ACCEPT'] },
    ],
  }),
  c({
    id: 'pppd-options-error',
    category: 'config',
    severity: 'critical',
    priority: 97,
    title: 'pppd refused its options file or a plugin',
    explanation:
      'pppd parses every options file (/etc/ppp/options, the file named by pptpd `option`/xl2tpd `pppoptfile`, the peers file) before it does anything and exits (status 2) on an option it does not know or a plugin built for another pppd version. The controller then sees its pty close at once (pptpd: "GRE read ... from PTY failed", xl2tpd: "pppd exited for call ... with code 2"). Old MPPE spellings (`mppe-128`, `require-mppe` on pppd without MPPE), options of a newer pppd, or a plugin left over after an upgrade are the usual reasons.',
    fix: [
      { target: 'the options file named in the log', lines: ['# remove or fix the line pppd names; MPPE on pppd >= 2.4.2:', 'require-mppe-128', '# plugins must match the running pppd: ls /usr/lib/pppd/$(pppd --version 2>&1 | awk \'{print $3}\')/'] },
      { target: 'check', lines: ['pppd file /etc/ppp/pptpd-options nodetach debug dump   # prints the parsed options and stops on the bad one'] },
    ],
  }),
  c({
    id: 'ipsec-kernel-support',
    category: 'kernel-support',
    severity: 'critical',
    priority: 96,
    title: 'IPsec: the kernel refused the negotiated SAs or policies',
    explanation:
      'IKE succeeded, then the daemon asked the kernel (XFRM netlink or PF_KEY) to install the ESP SAs and policies and the kernel refused: the xfrm/esp modules are missing, or the daemon runs in a container without NET_ADMIN or without the host modules. No ESP flows, so L2TP inside it never starts.',
    fix: [
      { target: 'host kernel', lines: ['modprobe af_key xfrm_user esp4 xfrm4_tunnel xfrm4_mode_transport'] },
      { target: 'Docker', lines: ['docker run --privileged -v /lib/modules:/lib/modules:ro ...', '# or --cap-add NET_ADMIN with the modules loaded on the host'] },
    ],
  }),
  c({
    id: 'pptp-client-vanished',
    category: 'peer-terminated',
    severity: 'warning',
    priority: 15,
    title: "The client's PPTP control connection vanished without a Call-Clear",
    explanation:
      'A PPTP client ends a session with Call-Clear-Request and Stop-Control-Connection-Request (RFC 2637 §2.12, §2.4), and its PPP side with an LCP Terminate-Request. Here the link was up and the TCP control connection (port 1723) simply ended: pptpd read end-of-file or an error ("CTRL: EOF or bad error reading ctrl packet length", "couldn\'t read packet header", "CTRL read failed") and hung up the call. The client was killed, its machine slept or crashed, or its network dropped (Wi-Fi roaming, a NAT or firewall expiring the idle TCP connection). Not a server fault.',
    fix: [
      { target: 'client', lines: ['check the client\'s own log for why it stopped (sleep, roaming, crash)'] },
      { target: 'pptpd options (keepalive, so dead clients are noticed and idle NAT state refreshed)', lines: ['lcp-echo-interval 30', 'lcp-echo-failure 4'] },
      { target: 'NAT / firewall between client and server', lines: ['# keep established TCP 1723 and GRE state at least as long as the echo interval', 'sysctl net.netfilter.nf_conntrack_tcp_timeout_established=7440'] },
    ],
  }),
  c({
    id: 'auth-server-no-secrets',
    category: 'auth-config',
    severity: 'critical',
    priority: 59,
    title: 'The server has no secret it could check any client with',
    explanation:
      'The server\'s pppd runs with `auth` (it must authenticate clients) and, before any negotiation, found no usable secret in chap-secrets/pap-secrets for its own name ("The remote system is required to authenticate itself but I couldn\'t find any suitable secret"); "None of the available passwords would let it use an IP address" means lines exist but their address column excludes every address this client could get. pppd refuses to start, the call ends at once.',
    fix: [
      { target: '/etc/ppp/chap-secrets', lines: ['# client    server  secret      IP addresses', 'alice       pptpd   "password"  *'], note: 'The server column must match pppd\'s `name` option (pptpd-options: name pptpd; xl2tpd: the `name` in its pppoptfile), or be *; the last column * allows any address from the pool.' },
    ],
  }),
  c({
    id: 'lcp-terminated-by-peer',
    category: 'peer-terminated',
    severity: 'warning',
    priority: 20,
    title: 'The peer closed the link during setup',
    explanation: 'The peer sent an LCP Terminate-Request before the link came up and this log does not say why. The reason is in the peer\'s log (its TermReq text, or its pppd log).',
    fix: [{ target: 'both ends', lines: ['add `debug` to the pppd options on both ends and compare the LCP/CCP exchange'] }],
  }),
];

const BY_ID = new Map(CAUSES.map((x) => [x.id, x]));

/** The cause with this id; throws for ids not in the list (a bug in a rule). */
export function cause(id: string): Cause {
  const x = BY_ID.get(id);
  if (!x) throw new Error(`doctor: unknown cause id '${id}'`);
  return x;
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, error: 1, warning: 2, info: 3 };

/** Sort key: severity first, then priority (higher first). */
export function causeOrder(a: string, b: string): number {
  const x = cause(a);
  const y = cause(b);
  return SEVERITY_RANK[x.severity] - SEVERITY_RANK[y.severity] || y.priority - x.priority;
}
