/**
 * Every option pppd itself knows (the option tables of pppd 2.5's auth.c,
 * cbcp.c, ccp.c, chap.c, chap_ms.c, eap.c, ecp.c, ipcp.c, ipv6cp.c, lcp.c,
 * options.c, tty.c, upap.c, plus the IPX and SRP options pppd 2.4.9 still had),
 * and what tunppp does with each when it reads a pppd options file:
 *
 *  - applied: tunppp does what pppd does (`how`); ppp-options.ts has the handler;
 *  - not applicable: the option concerns something a TUN-based server does
 *    not have (serial lines, a kernel PPP unit, dialling out, compression
 *    tunppp never negotiates); reading it changes nothing a client or an
 *    admin can observe, so it is accepted with an info note saying why;
 *  - refused: the option changes security, addressing or behaviour in a way
 *    tunppp cannot honour; loading stops with the reason and the fix.
 *
 * pppd refuses any option not in its tables; so does tunppp, except the
 * options of known pppd plugins (PLUGIN_OPTIONS), which are warnings.
 * `args` is the number of words the option takes (pppd's n_arguments).
 */

/** What tunppp does with a pppd option. */
export type PppdOptionVerdict =
  | { kind: 'applied'; how: string }
  | { kind: 'not-applicable'; why: string }
  | { kind: 'refused'; why: string; fix: string };

/** One row of the table. */
export interface PppdOption {
  /** The pppd source file whose option table has it. */
  from: string;
  /** Words the option takes. */
  args: 0 | 1;
  verdict: PppdOptionVerdict;
  /** pppd's OPT_ALIAS: the option this one is another name for (handled by its handler). */
  aliasOf?: string;
}

const applied = (from: string, args: 0 | 1, how: string): PppdOption => ({ from, args, verdict: { kind: 'applied', how } });
const na = (from: string, args: 0 | 1, why: string): PppdOption => ({ from, args, verdict: { kind: 'not-applicable', why } });
const refused = (from: string, args: 0 | 1, why: string, fix: string): PppdOption => ({ from, args, verdict: { kind: 'refused', why, fix } });

// Reasons shared by several rows.
const SERIAL = 'a serial-line setting; the link is the PPTP/L2TP tunnel';
const DIALOUT = 'concerns dialling out (a client pppd); a server answers calls';
const OWN_TIMERS = 'a retransmission limit; tunppp uses its own RFC 1661 timers and counts';
const CLIENT_AUTH = 'how pppd authenticates itself to the peer; a server is never asked to';
const NO_COMPRESSION = 'tunppp negotiates no PPP compression besides MPPE; clients then send uncompressed';
const NO_VJ = 'tunppp never negotiates Van Jacobson header compression';
const NO_MULTILINK = 'tunppp does not negotiate multilink; each call is its own link, as with nomultilink';
const NO_EAP = 'tunppp does not offer EAP, so EAP timers and EAP-TLS files are never used';
const LOGGING = 'tunppp logs to stdout/the journal (see --log-level), not through pppd\'s log files';
const DETACH = 'process control of a pppd started per call; tunppp is one daemon';
const NO_SCRIPTS = 'tunppp runs no pppd scripts (ip-up, auth-up, ...): whatever the script does would not happen';
const SCRIPT_FIX = 'do the script\'s work once (firewall rules on the TUN device), or drive it from the API\'s session events; then remove the option';
const IPV6CP = 'tunppp chooses the IPv6 interface identifiers itself (random, non-zero)';

/** Every pppd option, by the name pppd matches. */
export const PPPD_OPTIONS: Readonly<Record<string, PppdOption>> = {
  // ---- options.c: general options
  debug: applied('options.c', 0, 'ppp.debug: log every PPP packet'),
  '-d': { ...applied('options.c', 0, 'ppp.debug'), aliasOf: 'debug' },
  kdebug: na('options.c', 1, 'debug level of the kernel PPP driver, which tunppp does not use'),
  nodetach: na('options.c', 0, DETACH),
  '-detach': { ...na('options.c', 0, DETACH), aliasOf: 'nodetach' },
  up_sdnotify: na('options.c', 0, DETACH),
  updetach: na('options.c', 0, DETACH),
  master_detach: na('options.c', 0, DETACH),
  holdoff: na('options.c', 1, DIALOUT),
  idle: applied('options.c', 1, 'ppp.idleTimeoutS: disconnect a session idle this many seconds'),
  maxconnect: refused('options.c', 1, 'pppd ends every session after this many seconds; tunppp has no session time limit of its own',
    'remove it, or let RADIUS send Session-Timeout (tunppp honours it)'),
  domain: applied('options.c', 1, 'appended to the host name that becomes the PPP name when no `name` is given (usehostname)'),
  file: refused('options.c', 1, 'reads more options from another file; tunppp reads only the files pptpd.conf/xl2tpd.conf name',
    'copy the options of that file into this one'),
  call: refused('options.c', 1, 'reads more options from /etc/ppp/peers/NAME; tunppp reads only the files pptpd.conf/xl2tpd.conf name',
    'copy the options of that file into this one'),
  persist: na('options.c', 0, DIALOUT),
  nopersist: na('options.c', 0, DIALOUT),
  demand: na('options.c', 0, DIALOUT),
  '--version': refused('options.c', 0, 'pppd prints its version and exits instead of serving', 'remove it'),
  '-v': { ...refused('options.c', 0, 'pppd prints its version and exits instead of serving', 'remove it'), aliasOf: '--version' },
  'show-options': refused('options.c', 0, 'pppd prints its options and exits instead of serving', 'remove it (tunppp check shows what is read)'),
  '--help': refused('options.c', 0, 'pppd prints its usage and exits instead of serving', 'remove it'),
  '-h': { ...refused('options.c', 0, 'pppd prints its usage and exits instead of serving', 'remove it'), aliasOf: '--help' },
  logfile: na('options.c', 1, LOGGING),
  logfd: na('options.c', 1, LOGGING),
  nolog: na('options.c', 0, LOGGING),
  nologfd: na('options.c', 0, LOGGING),
  linkname: na('options.c', 1, 'names pppd\'s pid file; tunppp has one process'),
  maxfail: na('options.c', 1, 'ends pppd\'s redial loop after failed attempts; a server does not redial'),
  ktune: na('options.c', 0, 'sets net.ipv4.ip_dynaddr for dial-up links with changing addresses'),
  noktune: na('options.c', 0, 'the default: leaves kernel settings alone'),
  'connect-delay': na('options.c', 1, DIALOUT),
  unit: na('options.c', 1, 'numbers the pppN interface; all tunppp sessions share one TUN device (tun.name)'),
  ifname: na('options.c', 1, 'names the pppN interface; all tunppp sessions share one TUN device (tun.name): rewrite firewall rules that match ppp+ to match it'),
  vrf: refused('options.c', 1, 'puts the ppp interface into a VRF; tunppp\'s TUN device stays in the main routing table',
    'remove it and put the TUN device into the VRF yourself (ip link set tunppp0 master VRF), or run tunppp in a network namespace'),
  dump: na('options.c', 0, 'pppd prints the options it read; tunppp check does that'),
  dryrun: refused('options.c', 0, 'pppd only checks the options and exits instead of serving', 'remove it (use tunppp check)'),
  'child-timeout': na('options.c', 1, NO_SCRIPTS),
  set: na('options.c', 1, 'sets a variable for pppd\'s scripts, which tunppp does not run'),
  unset: na('options.c', 1, 'unsets a variable for pppd\'s scripts, which tunppp does not run'),
  'net-init-script': refused('options.c', 1, NO_SCRIPTS, SCRIPT_FIX),
  'net-pre-up-script': refused('options.c', 1, NO_SCRIPTS, SCRIPT_FIX),
  'net-down-script': refused('options.c', 1, NO_SCRIPTS, SCRIPT_FIX),
  'auth-up-script': refused('options.c', 1, NO_SCRIPTS, SCRIPT_FIX),
  'auth-down-script': refused('options.c', 1, NO_SCRIPTS, SCRIPT_FIX),
  'ip-up-script': refused('options.c', 1, NO_SCRIPTS, SCRIPT_FIX),
  'ip-down-script': refused('options.c', 1, NO_SCRIPTS, SCRIPT_FIX),
  'ip-pre-up-script': refused('options.c', 1, NO_SCRIPTS, SCRIPT_FIX),
  'ipv6-up-script': refused('options.c', 1, NO_SCRIPTS, SCRIPT_FIX),
  'ipv6-down-script': refused('options.c', 1, NO_SCRIPTS, SCRIPT_FIX),
  multilink: na('options.c', 0, NO_MULTILINK),
  mp: { ...na('options.c', 0, NO_MULTILINK), aliasOf: 'multilink' },
  nomultilink: na('options.c', 0, 'the default in tunppp'),
  nomp: { ...na('options.c', 0, 'the default in tunppp'), aliasOf: 'nomultilink' },
  bundle: na('options.c', 1, NO_MULTILINK),
  plugin: applied('options.c', 1, 'radius.so/radattr.so: use tunppp\'s own RADIUS client (its radiusclient.conf is read); other plugins are not loaded (warning)'),
  'pass-filter': refused('options.c', 1, 'a packet filter on the link; tunppp has none and would pass everything',
    'filter with nftables/iptables on the TUN device instead, then remove it'),
  'active-filter': refused('options.c', 1, 'chooses which packets keep the link from idling; tunppp counts every packet',
    'remove it (idle then counts all traffic)'),
  maxoctets: refused('options.c', 1, 'a per-session traffic quota; tunppp has none', 'remove it, or enforce quotas through RADIUS and a disconnect'),
  mo: { ...refused('options.c', 1, 'a per-session traffic quota; tunppp has none', 'remove it'), aliasOf: 'maxoctets' },
  'mo-direction': refused('options.c', 1, 'belongs to the maxoctets quota, which tunppp does not have', 'remove it'),
  'mo-timeout': refused('options.c', 1, 'belongs to the maxoctets quota, which tunppp does not have', 'remove it'),
  noipx: na('options.c', 0, 'IPX is never carried'),

  // ---- auth.c: authentication
  auth: applied('auth.c', 0, 'auth.required = true: the peer must authenticate'),
  noauth: applied('auth.c', 0, 'auth.required = false: anyone connects without a password (warned)'),
  'require-pap': applied('auth.c', 0, 'PAP is one of the protocols offered'),
  '+pap': { ...applied('auth.c', 0, 'as require-pap'), aliasOf: 'require-pap' },
  'require-chap': applied('auth.c', 0, 'CHAP-MD5 is one of the protocols offered'),
  '+chap': { ...applied('auth.c', 0, 'as require-chap'), aliasOf: 'require-chap' },
  'require-mschap': applied('auth.c', 0, 'MS-CHAP is one of the protocols offered'),
  '+mschap': { ...applied('auth.c', 0, 'as require-mschap'), aliasOf: 'require-mschap' },
  'require-mschap-v2': applied('auth.c', 0, 'MS-CHAPv2 is one of the protocols offered'),
  '+mschap-v2': { ...applied('auth.c', 0, 'as require-mschap-v2'), aliasOf: 'require-mschap-v2' },
  'refuse-pap': applied('auth.c', 0, 'PAP is not accepted'),
  '-pap': { ...applied('auth.c', 0, 'as refuse-pap'), aliasOf: 'refuse-pap' },
  'refuse-chap': applied('auth.c', 0, 'CHAP-MD5 is not accepted'),
  '-chap': { ...applied('auth.c', 0, 'as refuse-chap'), aliasOf: 'refuse-chap' },
  'refuse-mschap': applied('auth.c', 0, 'MS-CHAP is not accepted'),
  '-mschap': { ...applied('auth.c', 0, 'as refuse-mschap'), aliasOf: 'refuse-mschap' },
  'refuse-mschap-v2': applied('auth.c', 0, 'MS-CHAPv2 is not accepted'),
  '-mschap-v2': { ...applied('auth.c', 0, 'as refuse-mschap-v2'), aliasOf: 'refuse-mschap-v2' },
  'require-eap': applied('auth.c', 0, 'EAP is wanted; tunppp has no EAP: alone it is an error, with other require-* options a warning'),
  'refuse-eap': applied('auth.c', 0, 'EAP is not accepted (tunppp never offers it)'),
  name: applied('auth.c', 1, 'ppp.name: our name, the server column of chap-secrets'),
  '+ua': na('auth.c', 1, CLIENT_AUTH),
  user: na('auth.c', 1, CLIENT_AUTH),
  password: na('auth.c', 1, CLIENT_AUTH),
  usehostname: applied('auth.c', 0, 'ppp.name = the host name (with `domain`), even when `name` is given'),
  remotename: na('auth.c', 1, CLIENT_AUTH),
  'pap-secrets': refused('auth.c', 1, 'pppd checks PAP passwords in this file; tunppp checks every protocol against chap-secrets',
    'move its users into chap-secrets (same format) and remove the option'),
  'chap-secrets': applied('auth.c', 1, 'auth.chapSecrets: the users file (unless --chap-secrets is given)'),
  login: refused('auth.c', 0, 'pppd checks PAP users against the system password database (PAM/shadow); tunppp cannot',
    'put the users into chap-secrets, or use RADIUS'),
  'enable-session': na('auth.c', 0, 'registers PAP logins as system sessions (utmp/PAM); tunppp lists sessions in its API instead'),
  papcrypt: refused('auth.c', 0, 'pap-secrets then holds crypt() hashes; tunppp compares secrets as written and would accept the hash as a password',
    'put plain secrets in chap-secrets (MS-CHAP needs them anyway), or use RADIUS'),
  privgroup: na('auth.c', 1, 'lets a group use privileged pppd options on the command line; tunppp has no such command line'),
  'allow-ip': refused('auth.c', 1, 'addresses a peer that does not authenticate may use; tunppp assigns pool addresses only',
    'remove it (fixed addresses go in chap-secrets)'),
  remotenumber: na('auth.c', 1, 'the peer\'s telephone number, for scripts'),
  'allow-number': refused('auth.c', 1, 'restricts the calling numbers of unauthenticated peers; tunppp has no such check',
    'remove it and require authentication'),
  ca: na('auth.c', 1, NO_EAP),
  capath: na('auth.c', 1, NO_EAP),
  'crl-dir': na('auth.c', 1, NO_EAP),
  crl: na('auth.c', 1, NO_EAP),
  'max-tls-version': na('auth.c', 1, NO_EAP),
  'tls-verify-key-usage': na('auth.c', 0, NO_EAP),
  'tls-verify-method': na('auth.c', 1, NO_EAP),
  cert: na('auth.c', 1, NO_EAP),
  key: na('auth.c', 1, NO_EAP),
  pkcs12: na('auth.c', 1, NO_EAP),
  'need-peer-eap': refused('auth.c', 0, 'requires the peer to authenticate with EAP; tunppp has no EAP', 'use require-mschap-v2'),

  // ---- cbcp.c, ecp.c
  callback: refused('cbcp.c', 1, 'negotiates Microsoft callback (CBCP); tunppp cannot call a client back', 'remove it'),
  noecp: na('ecp.c', 0, 'tunppp never negotiates ECP'),
  '-ecp': { ...na('ecp.c', 0, 'tunppp never negotiates ECP'), aliasOf: 'noecp' },

  // ---- ccp.c: compression and MPPE
  noccp: applied('ccp.c', 0, 'no CCP at all: MPPE refused'),
  '-ccp': { ...applied('ccp.c', 0, 'as noccp'), aliasOf: 'noccp' },
  bsdcomp: na('ccp.c', 1, NO_COMPRESSION),
  nobsdcomp: na('ccp.c', 0, NO_COMPRESSION),
  '-bsdcomp': { ...na('ccp.c', 0, NO_COMPRESSION), aliasOf: 'nobsdcomp' },
  deflate: na('ccp.c', 1, NO_COMPRESSION),
  nodeflate: na('ccp.c', 0, NO_COMPRESSION),
  '-deflate': { ...na('ccp.c', 0, NO_COMPRESSION), aliasOf: 'nodeflate' },
  nodeflatedraft: na('ccp.c', 0, NO_COMPRESSION),
  predictor1: na('ccp.c', 0, NO_COMPRESSION),
  nopredictor1: na('ccp.c', 0, NO_COMPRESSION),
  '-predictor1': { ...na('ccp.c', 0, NO_COMPRESSION), aliasOf: 'nopredictor1' },
  'require-mppe': applied('ccp.c', 0, 'ppp.mppe.mode = require, 40- and 128-bit keys'),
  '+mppe': { ...applied('ccp.c', 0, 'as require-mppe'), aliasOf: 'require-mppe' },
  nomppe: applied('ccp.c', 0, 'ppp.mppe.mode = refuse (pppd\'s default without require-mppe)'),
  '-mppe': { ...applied('ccp.c', 0, 'as nomppe'), aliasOf: 'nomppe' },
  'require-mppe-40': applied('ccp.c', 0, 'MPPE required; 40-bit keys added'),
  '+mppe-40': { ...applied('ccp.c', 0, 'as require-mppe-40'), aliasOf: 'require-mppe-40' },
  'nomppe-40': applied('ccp.c', 0, '40-bit keys removed'),
  '-mppe-40': { ...applied('ccp.c', 0, 'as nomppe-40'), aliasOf: 'nomppe-40' },
  'require-mppe-128': applied('ccp.c', 0, 'MPPE required; 128-bit keys added'),
  '+mppe-128': { ...applied('ccp.c', 0, 'as require-mppe-128'), aliasOf: 'require-mppe-128' },
  'nomppe-128': applied('ccp.c', 0, '128-bit keys removed'),
  '-mppe-128': { ...applied('ccp.c', 0, 'as nomppe-128'), aliasOf: 'nomppe-128' },
  'mppe-stateful': applied('ccp.c', 0, 'ppp.mppe.stateful = allow'),
  'nomppe-stateful': applied('ccp.c', 0, 'ppp.mppe.stateful = refuse (the default)'),

  // ---- chap.c, chap_ms.c
  'chap-restart': na('chap.c', 1, OWN_TIMERS),
  'chap-max-challenge': na('chap.c', 1, OWN_TIMERS),
  'chap-interval': refused('chap.c', 1, 'pppd re-challenges the peer every N seconds; tunppp authenticates once per session', 'remove it'),
  'chap-timeout': na('chap.c', 1, OWN_TIMERS),
  'chapms-strip-domain': refused('chap.c', 0, 'pppd looks up "DOMAIN\\user" as "user" in chap-secrets; tunppp looks up the name as sent',
    'remove it and write the names as clients send them (DOMAIN\\\\user in chap-secrets)'),
  'ms-lanman': na('chap_ms.c', 0, 'makes pppd answer MS-CHAP with the LAN Manager hash when it authenticates itself; a server never does'),
  'mschap-challenge': refused('chap_ms.c', 1, 'a fixed MS-CHAP challenge (a testing aid that removes replay protection); tunppp always uses random challenges', 'remove it'),
  'mschap2-peer-challenge': refused('chap_ms.c', 1, 'a fixed MS-CHAPv2 peer challenge (a testing aid); tunppp never authenticates itself', 'remove it'),

  // ---- eap.c
  'eap-restart': na('eap.c', 1, NO_EAP),
  'eap-max-sreq': na('eap.c', 1, NO_EAP),
  'eap-timeout': na('eap.c', 1, NO_EAP),
  'eap-max-rreq': na('eap.c', 1, NO_EAP),
  'eap-interval': na('eap.c', 1, NO_EAP),
  'srp-interval': na('eap.c (2.4.9)', 1, NO_EAP),
  'srp-pn-secret': na('eap.c (2.4.9)', 1, NO_EAP),
  'srp-use-pseudonym': na('eap.c (2.4.9)', 0, NO_EAP),

  // ---- ipcp.c: IPv4
  noip: refused('ipcp.c', 0, 'disables IPv4 on the link; tunppp always negotiates IPv4', 'remove it'),
  '-ip': { ...refused('ipcp.c', 0, 'disables IPv4 on the link; tunppp always negotiates IPv4', 'remove it'), aliasOf: 'noip' },
  novj: na('ipcp.c', 0, NO_VJ),
  '-vj': { ...na('ipcp.c', 0, NO_VJ), aliasOf: 'novj' },
  novjccomp: na('ipcp.c', 0, NO_VJ),
  '-vjccomp': { ...na('ipcp.c', 0, NO_VJ), aliasOf: 'novjccomp' },
  'vj-max-slots': na('ipcp.c', 1, NO_VJ),
  'ipcp-accept-local': na('ipcp.c', 0, 'lets the peer choose our address; tunppp keeps localip (stricter: such a peer is Nak\'d)'),
  'ipcp-accept-remote': na('ipcp.c', 0, 'lets the peer choose its own address; tunppp assigns the pool or chap-secrets address (stricter: such a peer is Nak\'d)'),
  ipparam: na('ipcp.c', 1, 'a parameter for ip-up scripts, which tunppp does not run'),
  noipdefault: na('ipcp.c', 0, 'stops pppd deriving its address from the host name; tunppp\'s address is localip'),
  'ms-dns': applied('ipcp.c', 1, 'dns: like pppd, the last two values (a single one is both primary and secondary)'),
  'ms-wins': applied('ipcp.c', 1, 'wins: like pppd, the last two values (a single one is both primary and secondary)'),
  'ipcp-restart': na('ipcp.c', 1, OWN_TIMERS),
  'ipcp-max-terminate': na('ipcp.c', 1, OWN_TIMERS),
  'ipcp-max-configure': na('ipcp.c', 1, OWN_TIMERS),
  'ipcp-max-failure': na('ipcp.c', 1, OWN_TIMERS),
  defaultroute: refused('ipcp.c', 0, 'pppd would route the server\'s own traffic through the first client; tunppp never changes the default route',
    'remove it (a VPN server wants nodefaultroute)'),
  nodefaultroute: na('ipcp.c', 0, 'the default route is never touched'),
  '-defaultroute': { ...na('ipcp.c', 0, 'the default route is never touched'), aliasOf: 'nodefaultroute' },
  'defaultroute-metric': na('ipcp.c', 1, 'only used with defaultroute, which tunppp refuses'),
  replacedefaultroute: refused('ipcp.c', 0, 'pppd would replace the server\'s default route with one through a client; tunppp never changes it', 'remove it'),
  noreplacedefaultroute: na('ipcp.c', 0, 'the default route is never touched'),
  proxyarp: applied('ipcp.c', 0, 'ppp.proxyArp: answer ARP on the LAN for each client\'s address'),
  noproxyarp: applied('ipcp.c', 0, 'ppp.proxyArp = false'),
  '-proxyarp': { ...applied('ipcp.c', 0, 'as noproxyarp'), aliasOf: 'noproxyarp' },
  usepeerdns: na('ipcp.c', 0, 'asks the peer for DNS servers (a client setting)'),
  usepeerwins: na('ipcp.c', 0, 'asks the peer for WINS servers (a client setting)'),
  noresolvconf: na('ipcp.c', 0, 'a client setting: resolv.conf is never written'),
  netmask: na('ipcp.c', 1, 'the netmask of pppd\'s point-to-point interface; tunppp routes each client as a /32'),
  'ipcp-no-addresses': refused('ipcp.c', 0, 'pppd would negotiate no addresses; tunppp always assigns them', 'remove it'),
  'ipcp-no-address': { ...refused('ipcp.c', 0, 'pppd would negotiate no addresses; tunppp always assigns them', 'remove it'), aliasOf: 'ipcp-no-addresses' },
  noremoteip: refused('ipcp.c', 0, 'lets the link come up without a peer address; tunppp always assigns one', 'remove it'),
  nosendip: refused('ipcp.c', 0, 'pppd would not tell the peer its own address; tunppp always sends localip', 'remove it'),
  // The o_wild entry "IP addresses" (LOCAL:REMOTE) is handled in ppp-options.ts.

  // ---- ipv6cp.c
  ipv6: applied('ipv6cp.c', 1, 'ppp.ipv6 = true; identifiers other than empty are refused (tunppp chooses them)'),
  '+ipv6': applied('ipv6cp.c', 0, 'ppp.ipv6 = true'),
  noipv6: applied('ipv6cp.c', 0, 'ppp.ipv6 = false'),
  '-ipv6': { ...applied('ipv6cp.c', 0, 'as noipv6'), aliasOf: 'noipv6' },
  'ipv6cp-accept-local': na('ipv6cp.c', 0, IPV6CP),
  'ipv6cp-accept-remote': na('ipv6cp.c', 0, IPV6CP),
  defaultroute6: refused('ipv6cp.c', 0, 'pppd would route the server\'s IPv6 traffic through a client; tunppp never changes the default route', 'remove it'),
  nodefaultroute6: na('ipv6cp.c', 0, 'the default route is never touched'),
  '-defaultroute6': { ...na('ipv6cp.c', 0, 'the default route is never touched'), aliasOf: 'nodefaultroute6' },
  'defaultroute6-metric': na('ipv6cp.c', 1, 'only used with defaultroute6, which tunppp refuses'),
  'ipv6cp-use-ipaddr': na('ipv6cp.c', 0, IPV6CP),
  'ipv6cp-use-persistent': na('ipv6cp.c', 0, IPV6CP),
  'ipv6cp-use-remotenumber': na('ipv6cp.c', 0, IPV6CP),
  'ipv6cp-noremote': na('ipv6cp.c', 0, IPV6CP),
  'ipv6cp-nosend': na('ipv6cp.c', 0, IPV6CP),
  'ipv6cp-restart': na('ipv6cp.c', 1, OWN_TIMERS),
  'ipv6cp-max-terminate': na('ipv6cp.c', 1, OWN_TIMERS),
  'ipv6cp-max-configure': na('ipv6cp.c', 1, OWN_TIMERS),
  'ipv6cp-max-failure': na('ipv6cp.c', 1, OWN_TIMERS),

  // ---- ipxcp.c (pppd 2.4.9; removed in 2.5)
  ipx: na('ipxcp.c (2.4.9)', 0, 'IPX is never carried'),
  '+ipx': na('ipxcp.c (2.4.9)', 0, 'IPX is never carried'),
  '-ipx': na('ipxcp.c (2.4.9)', 0, 'IPX is never carried'),
  'ipx-network': na('ipxcp.c (2.4.9)', 1, 'IPX is never carried'),
  'ipx-node': na('ipxcp.c (2.4.9)', 1, 'IPX is never carried'),
  'ipx-routing': na('ipxcp.c (2.4.9)', 1, 'IPX is never carried'),
  'ipx-router-name': na('ipxcp.c (2.4.9)', 1, 'IPX is never carried'),
  'ipxcp-accept-network': na('ipxcp.c (2.4.9)', 0, 'IPX is never carried'),
  'ipxcp-accept-local': na('ipxcp.c (2.4.9)', 0, 'IPX is never carried'),
  'ipxcp-accept-remote': na('ipxcp.c (2.4.9)', 0, 'IPX is never carried'),
  'ipxcp-restart': na('ipxcp.c (2.4.9)', 1, 'IPX is never carried'),
  'ipxcp-max-terminate': na('ipxcp.c (2.4.9)', 1, 'IPX is never carried'),
  'ipxcp-max-configure': na('ipxcp.c (2.4.9)', 1, 'IPX is never carried'),
  'ipxcp-max-failure': na('ipxcp.c (2.4.9)', 1, 'IPX is never carried'),

  // ---- lcp.c
  '-all': refused('lcp.c', 0, 'pppd would negotiate no LCP or IPCP options at all (no MRU, no authentication, no addresses); tunppp always does', 'remove it'),
  noaccomp: na('lcp.c', 0, 'address/control field compression saves two bytes a frame and changes nothing else; tunppp follows what the peer asks'),
  '-ac': { ...na('lcp.c', 0, 'address/control field compression: tunppp follows what the peer asks'), aliasOf: 'noaccomp' },
  asyncmap: na('lcp.c', 1, 'the async control character map; PPTP and L2TP carry PPP frames without async escaping'),
  '-as': { ...na('lcp.c', 1, 'the async control character map; PPTP and L2TP carry PPP frames without async escaping'), aliasOf: 'asyncmap' },
  'default-asyncmap': na('lcp.c', 0, 'the async control character map; PPTP and L2TP carry PPP frames without async escaping'),
  '-am': { ...na('lcp.c', 0, 'the async control character map'), aliasOf: 'default-asyncmap' },
  nomagic: na('lcp.c', 0, 'tunppp always negotiates a magic number (loop detection)'),
  '-mn': { ...na('lcp.c', 0, 'tunppp always negotiates a magic number'), aliasOf: 'nomagic' },
  mru: applied('lcp.c', 1, 'ppp.mru'),
  'default-mru': na('lcp.c', 0, 'turns off MRU negotiation; tunppp offers the MRU its path allows (ppp.mru auto), which a peer may accept or Nak'),
  '-mru': { ...na('lcp.c', 0, 'turns off MRU negotiation; tunppp offers the MRU its path allows'), aliasOf: 'default-mru' },
  mtu: applied('lcp.c', 1, 'ppp.mtu'),
  nopcomp: na('lcp.c', 0, 'protocol field compression saves a byte a frame and changes nothing else; tunppp follows what the peer asks'),
  '-pc': { ...na('lcp.c', 0, 'protocol field compression: tunppp follows what the peer asks'), aliasOf: 'nopcomp' },
  passive: na('lcp.c', 0, 'a server link starts when the client calls; tunppp keeps sending Configure-Requests until it answers'),
  '-p': { ...na('lcp.c', 0, 'a server link starts when the client calls'), aliasOf: 'passive' },
  silent: na('lcp.c', 0, 'a server link starts when the client calls; tunppp speaks first, which every client expects'),
  'lcp-echo-failure': applied('lcp.c', 1, 'ppp.keepalive.failures (0 turns keepalive off)'),
  'lcp-echo-interval': applied('lcp.c', 1, 'ppp.keepalive.intervalS'),
  'lcp-echo-adaptive': na('lcp.c', 0, 'pppd skips echoes while traffic flows; tunppp sends them at the fixed interval (a few bytes more)'),
  'lcp-rtt-file': na('lcp.c', 1, 'a file of echo round-trip times for monitoring; tunppp exports metrics instead'),
  'lcp-restart': na('lcp.c', 1, OWN_TIMERS),
  'lcp-max-terminate': na('lcp.c', 1, OWN_TIMERS),
  'lcp-max-configure': na('lcp.c', 1, OWN_TIMERS),
  'lcp-max-failure': na('lcp.c', 1, OWN_TIMERS),
  'receive-all': na('lcp.c', 0, 'accept async control characters; PPTP and L2TP frames are not async-escaped'),
  mrru: na('lcp.c', 1, NO_MULTILINK),
  mpshortseq: na('lcp.c', 0, NO_MULTILINK),
  nompshortseq: na('lcp.c', 0, NO_MULTILINK),
  endpoint: na('lcp.c', 1, NO_MULTILINK),
  noendpoint: na('lcp.c', 0, NO_MULTILINK),

  // ---- tty.c: serial lines (pptpd and xl2tpd give pppd a pty)
  lock: na('tty.c', 0, SERIAL),
  nolock: na('tty.c', 0, SERIAL),
  init: na('tty.c', 1, SERIAL),
  connect: na('tty.c', 1, SERIAL),
  disconnect: na('tty.c', 1, SERIAL),
  welcome: na('tty.c', 1, SERIAL),
  pty: refused('tty.c', 1, 'runs a program as the link instead of the tunnel', 'remove it'),
  notty: refused('tty.c', 0, 'uses pppd\'s stdin/stdout as the link instead of the tunnel', 'remove it'),
  socket: refused('tty.c', 1, 'uses a TCP socket as the link instead of the tunnel', 'remove it'),
  record: na('tty.c', 1, 'records the raw link to a file for debugging; tunppp --debug logs every PPP packet'),
  crtscts: na('tty.c', 0, SERIAL),
  cdtrcts: na('tty.c', 0, SERIAL),
  nocrtscts: na('tty.c', 0, SERIAL),
  '-crtscts': { ...na('tty.c', 0, SERIAL), aliasOf: 'nocrtscts' },
  nocdtrcts: na('tty.c', 0, SERIAL),
  xonxoff: na('tty.c', 0, SERIAL),
  'stop-bits': na('tty.c', 1, SERIAL),
  modem: na('tty.c', 0, SERIAL),
  local: na('tty.c', 0, SERIAL),
  sync: na('tty.c', 0, SERIAL),
  datarate: na('tty.c', 1, SERIAL),
  escape: na('tty.c', 1, SERIAL),
  // The o_wild entries "device name" (/dev/...) and "tty speed" (a number) are handled in ppp-options.ts.

  // ---- upap.c
  'hide-password': na('upap.c', 0, 'tunppp never logs passwords'),
  'show-password': na('upap.c', 0, 'tunppp never logs passwords'),
  'pap-restart': na('upap.c', 1, OWN_TIMERS),
  'pap-max-authreq': na('upap.c', 1, OWN_TIMERS),
  'pap-timeout': na('upap.c', 1, OWN_TIMERS),
};

/**
 * Options from outside pppd's own tables that tunppp reads anyway: the
 * `mppe` option of the MPPE-MPPC kernel patch's pppd (pppd 2.4.1/2.4.2 era;
 * OpenWrt and old PoPToP documentation still write `mppe required,no40,no56,stateless`).
 */
export const PATCHED_PPPD_OPTIONS: Readonly<Record<string, PppdOption>> = {
  mppe: applied('MPPE-MPPC patch', 1, 'required → ppp.mppe.mode = require; no40/no56/no128 and 40/56/128 → key lengths; stateless/stateful'),
};

/** Options of pppd plugins (pppd/plugins/*): a warning each, since tunppp loads no plugins. */
export const PLUGIN_OPTIONS: Readonly<Record<string, { plugin: string; args: 0 | 1 }>> = {
  'radius-config-file': { plugin: 'radius.so', args: 1 },
  avpair: { plugin: 'radius.so', args: 1 },
  'map-to-ifname': { plugin: 'radius.so', args: 0 },
  'map-to-ttyname': { plugin: 'radius.so', args: 0 },
  'realms-config-file': { plugin: 'radrealms.so', args: 1 },
  'ntlm_auth-helper': { plugin: 'winbind.so', args: 1 },
  minconnect: { plugin: 'minconn.so', args: 1 },
  promptprog: { plugin: 'passprompt.so', args: 1 },
  passwordfd: { plugin: 'passwordfd.so', args: 1 },
  pppol2tp: { plugin: 'pppol2tp.so', args: 1 },
  pppol2tp_lns_mode: { plugin: 'pppol2tp.so', args: 0 },
  pppol2tp_send_seq: { plugin: 'pppol2tp.so', args: 0 },
  pppol2tp_recv_seq: { plugin: 'pppol2tp.so', args: 0 },
  pppol2tp_reorderto: { plugin: 'pppol2tp.so', args: 1 },
  pppol2tp_tunnel_id: { plugin: 'pppol2tp.so', args: 1 },
  pppol2tp_session_id: { plugin: 'pppol2tp.so', args: 1 },
  pppol2tp_debug_mask: { plugin: 'pppol2tp.so', args: 1 },
  pppol2tp_ifname: { plugin: 'pppol2tp.so', args: 1 },
  pptp_server: { plugin: 'pptp.so', args: 1 },
  pptp_client: { plugin: 'pptp.so', args: 1 },
  pptp_sock: { plugin: 'pptp.so', args: 1 },
  pptp_phone: { plugin: 'pptp.so', args: 1 },
  'dhcpv6-server': { plugin: 'dhcpv6relay.so', args: 1 },
  'dhcpv6-metric': { plugin: 'dhcpv6relay.so', args: 1 },
  'dhcpv6-ra-intvl': { plugin: 'dhcpv6relay.so', args: 1 },
  'dhcpv6-trusted': { plugin: 'dhcpv6relay.so', args: 0 },
  'dhcpv6-untrusted': { plugin: 'dhcpv6relay.so', args: 0 },
  'llc-encaps': { plugin: 'pppoatm.so', args: 0 },
  'vc-encaps': { plugin: 'pppoatm.so', args: 0 },
  qos: { plugin: 'pppoatm.so', args: 1 },
  'pppoe-service': { plugin: 'pppoe.so', args: 1 },
  'pppoe-ac': { plugin: 'pppoe.so', args: 1 },
  'pppoe-sess': { plugin: 'pppoe.so', args: 1 },
  'pppoe-verbose': { plugin: 'pppoe.so', args: 1 },
  'pppoe-mac': { plugin: 'pppoe.so', args: 1 },
  'pppoe-host-uniq': { plugin: 'pppoe.so', args: 1 },
  'host-uniq': { plugin: 'pppoe.so', args: 1 },
  'pppoe-padi-timeout': { plugin: 'pppoe.so', args: 1 },
  'pppoe-padi-attempts': { plugin: 'pppoe.so', args: 1 },
  rp_pppoe_service: { plugin: 'rp-pppoe.so', args: 1 },
  rp_pppoe_ac: { plugin: 'rp-pppoe.so', args: 1 },
  rp_pppoe_sess: { plugin: 'rp-pppoe.so', args: 1 },
  rp_pppoe_verbose: { plugin: 'rp-pppoe.so', args: 1 },
};

/** The table row for `option` (own keys only: `toString` is not an option). */
export function lookupPppdOption(option: string): PppdOption | undefined {
  if (Object.hasOwn(PPPD_OPTIONS, option)) return PPPD_OPTIONS[option];
  if (Object.hasOwn(PATCHED_PPPD_OPTIONS, option)) return PATCHED_PPPD_OPTIONS[option];
  return undefined;
}
