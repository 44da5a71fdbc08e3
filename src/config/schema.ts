/**
 * The one typed `Config` that `tunppp serve` runs from, its zod schema, and
 * the reader of tunppp's own JSON file (`tunppp.json`). Legacy files
 * (pptpd.conf, pppd options, xl2tpd.conf) are turned into the same `Config` by
 * merge.ts. Errors name the file, the line of the offending key and the JSON
 * path, and say what to write.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { bestTunnelMtu, mssFor, type TunnelOptions } from '../mtu/overhead.js';
import { formatRange, isIpv4, parseIpv4, parseRangeSpec, type Ipv4Range } from './ipv4.js';
import { jsonLineOf } from './json-locate.js';
import { parseEspProposals, parseIkeProposals } from '../ipsec/proposal-strings.js';
import { parseRate, type RateLimit } from '../core/rate-limit.js';

const ipv4 = z.string().refine(isIpv4, { message: 'expected an IPv4 address such as 192.168.0.1' });
const listenAddress = z.string().refine((s) => isIP(s) !== 0, { message: 'expected an IP address to listen on, such as 0.0.0.0 or ::' });
const port = z.number().int().min(1).max(65535);
const rangeSpec = z.string().superRefine((s, ctx) => {
  const r = parseRangeSpec(s);
  if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: `${r}; write 192.168.0.10-192.168.0.250, 192.168.0.10-250 or 192.168.0.0/24` });
});
const rate = z.string().refine((s) => parseRate(s) !== undefined && parseRate(s)! > 0, { message: 'expected a rate in bits per second such as "2M", "512k" or "1500000" (k, M, G are powers of 1000)' });
/** A per-user limit: `up` is what the user sends, `down` what the user receives; an absent direction is unlimited. */
const rateLimitSpec = z.strictObject({ up: rate.optional(), down: rate.optional() })
  .refine((r) => r.up !== undefined || r.down !== undefined, { message: 'give "up", "down" or both (an absent direction is unlimited)' });
// pppd accepts 128..16384 (MINMRU); values below 576 are legal but warned about by the merge.
const lcpSize = z.union([z.literal('auto'), z.number().int().min(128).max(16384)]);

/** Authentication protocols tunppp's server can accept. */
export const AUTH_PROTOCOLS = ['mschap-v2', 'mschap', 'chap', 'pap'] as const;

/** zod schema of `tunppp.json` (and of every merged Config). */
export const ConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  listen: z.strictObject({
    pptp: z.strictObject({
      enabled: z.boolean().default(true),
      addresses: z.array(listenAddress).min(1).default(['0.0.0.0']),
      port: port.default(1723),
      /** Seconds a new control connection has to send Start-Control-Connection-Request (pptpd stimeout). */
      startTimeoutS: z.number().int().min(1).max(3600).default(10),
    }).prefault({}),
    l2tp: z.strictObject({
      enabled: z.boolean().default(true),
      addresses: z.array(listenAddress).min(1).default(['0.0.0.0']),
      port: port.default(1701),
      /**
       * Shared tunnel secret (RFC 2661 §5.1.1, xl2tpd's l2tp-secrets): when set,
       * every LAC must answer our Challenge. Windows, macOS and iOS clients have
       * no such setting; leave it unset for them (IPsec authenticates instead).
       */
      secret: z.string().min(1).max(255).optional(),
      /**
       * Tunnel secrets per peer in xl2tpd's l2tp-secrets format (its `auth
       * file`): `us them secret` lines, picked by `hostName` and the peer's
       * Host Name AVP, `*` for any. Used to answer a peer's Challenge and, with
       * `challenge`, to challenge the peer. Read on each new tunnel, as xl2tpd does.
       */
      secretsFile: z.string().min(1).optional(),
      /**
       * Require tunnel authentication (xl2tpd `challenge = yes`): challenge every
       * LAC and refuse one without the right Challenge Response (StopCCN result 4).
       * Default: on when `secret` is set, off otherwise.
       */
      challenge: z.boolean().optional(),
      /** Our Host Name AVP and the `us` column of `secretsFile` (xl2tpd `hostname`); default `ppp.name`. */
      hostName: z.string().min(1).max(255).optional(),
      /**
       * Which LACs may open a tunnel, by source address (xl2tpd `access control`,
       * `lac`/`no lac`, `exclusive`; config/lac-access.ts). Absent: everyone.
       */
      access: z.strictObject({
        /** Refuse addresses no `lacs` rule allows. */
        control: z.boolean().default(false),
        /** Rules in order, the last match decides: an address, range or CIDR, and allow or deny. */
        lacs: z.array(z.strictObject({ range: rangeSpec, allow: z.boolean().default(true) })).default([]),
        /** One tunnel per LAC address. */
        exclusive: z.boolean().default(false),
      }).optional(),
    }).prefault({}),
  }).prefault({}),
  /**
   * The built-in L2TP/IPsec (docs/l2tp-ipsec.md): IKEv1 Main Mode with a
   * pre-shared key and ESP in transport mode on UDP 500/4500, the way
   * Windows, macOS, iOS, Android and ChromeOS connect. Decrypted L2TP goes to
   * the same L2TP service as cleartext L2TP.
   */
  ipsec: z.strictObject({
    enabled: z.boolean().default(false),
    /** The pre-shared key for every client. */
    psk: z.string().min(1).max(1024).optional(),
    /** An ipsec.secrets file (`%any %any : PSK "..."`, per-address lines) or a file holding the key alone. Read at start. */
    pskFile: z.string().min(1).optional(),
    /** Address to bind UDP 500/4500 on. */
    address: z.string().refine(isIpv4, { message: 'expected an IPv4 address such as 0.0.0.0' }).default('0.0.0.0'),
    /** Our address as clients reach it (NAT detection when encapsulation is not forced); default the bind address or the first non-loopback IPv4 one. */
    publicAddress: ipv4.optional(),
    /** Phase 1 allow-list in ipsec.conf `ike=` syntax (e.g. "aes256-sha1-modp2048,aes128-sha1-ecp256"); default: every family the OS clients offer. */
    ike: z.string().min(1).optional().superRefine((v, ctx) => {
      if (v === undefined) return;
      const r = parseIkeProposals(v);
      if (!r.ok) ctx.addIssue({ code: 'custom', message: `${r.error}; write ipsec.conf ike= names such as aes256-sha1-modp2048,aes128-sha256-ecp256` });
    }),
    /** ESP allow-list in ipsec.conf `esp=`/`phase2alg=` syntax (e.g. "aes128gcm16,aes256-sha1"). */
    esp: z.string().min(1).optional().superRefine((v, ctx) => {
      if (v === undefined) return;
      const r = parseEspProposals(v);
      if (!r.ok) ctx.addIssue({ code: 'custom', message: `${r.error}; write ipsec.conf esp= names such as aes128gcm16,aes256-sha1` });
    }),
    /** Phase 1 (ISAKMP SA) lifetime bounds: a client's proposed lifetime is clamped into them. */
    ikeLifetime: z.strictObject({ minS: z.number().int().min(60).max(604_800).default(300), maxS: z.number().int().min(60).max(604_800).default(86_400) }).prefault({}),
    /** ESP SA lifetime bounds. */
    espLifetime: z.strictObject({ minS: z.number().int().min(60).max(604_800).default(300), maxS: z.number().int().min(60).max(604_800).default(28_800) }).prefault({}),
    /** Refuse cleartext L2TP (UDP 1701 without IPsec); logged once per source address. */
    required: z.boolean().default(false),
    /** Make every NAT-T client use UDP 4500 (no raw ESP socket needed). Off: clients without NAT send raw ESP, which this server does not receive yet. */
    forceEncapsulation: z.boolean().default(true),
    /** RFC 3706 dead peer detection: R-U-THERE after `delayS` of silence, SAs removed after `timeoutS`. */
    dpd: z.strictObject({ delayS: z.number().int().min(1).max(3600).default(30), timeoutS: z.number().int().min(5).max(86_400).default(120) }).prefault({}),
    /** Main Mode negotiations not yet established, per source address and in total. */
    maxHalfOpenPerSource: z.number().int().min(1).max(65535).default(8),
    maxHalfOpen: z.number().int().min(1).max(1_000_000).default(1024),
  }).prefault({}),
  pools: z.array(z.strictObject({
    name: z.string().min(1).default('default'),
    /** The server's address on the tunnel (pptpd localip, xl2tpd local ip). */
    local: ipv4,
    /** Client address ranges (pptpd remoteip, xl2tpd ip range). */
    ranges: z.array(rangeSpec).min(1),
    /** Which tunnels draw from this pool; default both. */
    protocols: z.array(z.enum(['pptp', 'l2tp'])).min(1).default(['pptp', 'l2tp']),
  })).default([]),
  dns: z.array(ipv4).max(2).default([]),
  wins: z.array(ipv4).max(2).default([]),
  auth: z.strictObject({
    /** pppd-format secrets file. */
    chapSecrets: z.string().min(1).default('/etc/ppp/chap-secrets'),
    /** Require the peer to authenticate (pppd `auth`). */
    required: z.boolean().default(true),
    /**
     * Where credentials are checked, in order. A user chap-secrets does not
     * know goes to the next backend; RADIUS answers for every user, and only a
     * RADIUS timeout falls through to a later backend (docs/radius.md).
     */
    backends: z.array(z.enum(['chap-secrets', 'radius'])).min(1).max(2).default(['chap-secrets'])
      .refine((b) => new Set(b).size === b.length, { message: 'each backend at most once' }),
  }).prefault({}),
  /** RADIUS client (RFC 2865/2866), used when auth.backends names "radius" or accounting is on. */
  radius: z.strictObject({
    /** Servers in failover order. */
    servers: z.array(z.strictObject({
      /** IP address or host name. */
      address: z.string().min(1),
      /** Authentication port. */
      port: port.default(1812),
      /** Accounting port. */
      acctPort: port.default(1813),
      /** Shared secret, or a file holding it (first line; keep it mode 0600). */
      secret: z.string().min(1).max(128).optional(),
      secretFile: z.string().min(1).optional(),
    }).refine((s) => (s.secret === undefined) !== (s.secretFile === undefined), { message: 'give exactly one of "secret" and "secretFile"' })).default([]),
    /** Wait this long for an answer before retransmitting. */
    timeoutMs: z.number().int().min(100).max(60_000).default(3000),
    /** Retransmissions to one server before failing over to the next. */
    retries: z.number().int().min(0).max(10).default(2),
    /** NAS-Identifier in every request: at most 253 octets of UTF-8 (RFC 2865 §5.32), not characters. */
    nasIdentifier: z.string().min(1).default('tunppp')
      .refine((s) => new TextEncoder().encode(s).length <= 253, { message: 'at most 253 octets in UTF-8 (RADIUS attribute limit); shorten it, non-ASCII characters take 2 to 4 octets each' }),
    /** NAS-IP-Address in every request, when set. */
    nasIpAddress: ipv4.optional(),
    /** Send Accounting-Requests (Start, Interim-Update, Stop). */
    accounting: z.boolean().default(false),
    /** Interim-Update interval in seconds; 0 = only when the server sends Acct-Interim-Interval. */
    interimS: z.number().int().min(0).max(86_400).default(0),
    /**
     * Drop Access-* replies without a Message-Authenticator (BlastRADIUS
     * mitigation). Off by default: FreeRADIUS before 3.2.5 (Debian 12) does
     * not sign replies unless configured to; turn it on when the servers do.
     */
    requireMessageAuthenticator: z.boolean().default(false),
    /** RFC 5176 Disconnect-Request listener; requests are accepted from the servers above, with their secrets. */
    disconnect: z.strictObject({
      enabled: z.boolean().default(false),
      address: listenAddress.default('0.0.0.0'),
      port: port.default(3799),
      /**
       * Refuse requests without Event-Timestamp (NAK, Error-Cause 402): without
       * it a captured request can be replayed once it leaves the duplicate
       * window (RFC 5176 §6.3). radclient: add `Event-Timestamp = <unix time>`.
       */
      requireEventTimestamp: z.boolean().default(true),
      /** Seconds an Event-Timestamp may differ from our clock, and how long requests are remembered as duplicates (RFC 5176 §6.3 suggests 300). */
      windowS: z.number().int().min(10).max(3600).default(300),
    }).prefault({}),
  }).prefault({}),
  ppp: z.strictObject({
    /** Our name: the server column of chap-secrets (pppd `name`). */
    name: z.string().min(1).default('tunppp'),
    /** Accepted protocols, strongest first. */
    authProtocols: z.array(z.enum(AUTH_PROTOCOLS)).min(1).default(['mschap-v2']),
    mppe: z.strictObject({
      /** MPPE on PPTP sessions. */
      mode: z.enum(['require', 'allow', 'refuse']).default('require'),
      /** MPPE on L2TP sessions: normally IPsec protects them and clients do not negotiate MPPE. */
      l2tpMode: z.enum(['require', 'allow', 'refuse']).default('allow'),
      keyBits: z.array(z.union([z.literal(40), z.literal(56), z.literal(128)])).min(1).default([128]),
      stateful: z.enum(['refuse', 'allow']).default('refuse'),
    }).prefault({}),
    /** LCP MTU/MRU (as pppd's options); "auto" derives them from pathMtu. */
    mtu: lcpSize.default('auto'),
    mru: lcpSize.default('auto'),
    keepalive: z.strictObject({
      /** LCP Echo-Request interval; 0 turns keepalive off. */
      intervalS: z.number().int().min(0).max(86400).default(30),
      /** Unanswered echoes before the link is declared dead. */
      failures: z.number().int().min(1).max(1000).default(4),
    }).prefault({}),
    /** Disconnect after this many idle seconds; 0 = never. */
    idleTimeoutS: z.number().int().min(0).default(0),
    proxyArp: z.boolean().default(false),
    ipv6: z.boolean().default(false),
    debug: z.boolean().default(false),
  }).prefault({}),
  /** Path MTU towards clients, for ppp.mtu/mru "auto" and the MSS clamp. */
  pathMtu: z.number().int().min(576).max(65535).default(1500),
  /**
   * Path-MTU events on the outer path (ICMP fragmentation needed, EMSGSIZE):
   * the smallest path MTU one may set (Linux's min_pmtu), and when a lowered
   * link MTU is raised again, one plateau at a time (RFC 8899 style; Linux
   * expires a learned path MTU after 600 s).
   */
  pmtu: z.strictObject({
    minPathMtu: z.number().int().min(296).max(65535).default(552),
    raiseAfterS: z.number().int().min(1).max(86_400).default(600),
    raiseStepS: z.number().int().min(1).max(86_400).default(60),
  }).prefault({}),
  mssClamp: z.union([
    z.literal('auto'),
    z.literal(false),
    z.strictObject({ ipv4: z.number().int().min(88).max(65495), ipv6: z.number().int().min(1220).max(65475).optional() }),
  ]).default('auto'),
  connections: z.strictObject({ max: z.number().int().min(1).max(65535).default(100) }).prefault({}),
  /**
   * Limits against hostile or broken peers (docs/server.md, "Hostile peers"),
   * in the spirit of accel-ppp's max-starting and connlimit. Defaults are safe
   * for the internet and leave room for many clients behind one NAT.
   */
  limits: z.strictObject({
    /** Control connections (PPTP TCP, L2TP tunnels) still in their handshake, server-wide. */
    maxStarting: z.number().int().min(1).max(65535).default(64),
    /** The same, per source address. */
    maxStartingPerSource: z.number().int().min(1).max(65535).default(8),
    /** Open PPTP control connections per source address (any state). */
    maxConnectionsPerSource: z.number().int().min(1).max(65535).default(64),
    /** Calls one PPTP control connection may open (clients open one). */
    maxCallsPerConnection: z.number().int().min(1).max(65535).default(4),
    /** Sessions one L2TP tunnel may carry (remote-access clients open one; raise it for LAC concentrators). */
    maxSessionsPerTunnel: z.number().int().min(1).max(65535).default(16),
    /** PPP sessions (PPTP calls, L2TP sessions) per source address not yet authenticated, per protocol. */
    maxUnauthenticatedPerSource: z.number().int().min(1).max(65535).default(8),
    /** New control connections (PPTP TCP accepts, L2TP SCCRQs) per source address within `rateWindowS`. */
    connectRatePerSource: z.number().int().min(1).max(100_000).default(30),
    rateWindowS: z.number().int().min(1).max(3600).default(10),
    /** Seconds a PPP link may take from its first LCP packet to up (LCP, auth, NCPs); then it is closed. */
    setupTimeoutS: z.number().int().min(5).max(3600).default(60),
    authFailures: z.strictObject({
      /** Failed logins of one user name within `windowS` before it is locked out. */
      perUser: z.number().int().min(1).max(10_000).default(5),
      /** Failed logins from one source address within `windowS` before it is locked out. */
      perSource: z.number().int().min(1).max(10_000).default(20),
      windowS: z.number().int().min(1).max(86_400).default(300),
      /** How long a locked-out user or address is refused (every login fails at once, not checked). */
      lockoutS: z.number().int().min(1).max(86_400).default(600),
    }).prefault({}),
  }).prefault({}),
  /**
   * Per-user rate limits, policed per session and direction by a token bucket
   * (src/core/rate-limit.ts). A limit RADIUS sends (Mikrotik-Rate-Limit, or a
   * Filter-Id rate) replaces these for that session.
   */
  rateLimits: z.strictObject({
    /** The bucket holds this many milliseconds of the rate (at least 3000 octets): the burst a session may send at line speed. */
    burstMs: z.number().int().min(10).max(10_000).default(250),
    /** Applies to users with no entry in `users` (and no RADIUS limit). */
    default: rateLimitSpec.optional(),
    /** By user name (the name the peer authenticated with). */
    users: z.record(z.string().min(1).max(253), rateLimitSpec).default({}),
  }).prefault({}),
  /** /metrics: `nasLabel` puts nas="<radius.nasIdentifier>" on every series, for one Prometheus job over several servers. */
  metrics: z.strictObject({ nasLabel: z.boolean().default(false) }).prefault({}),
  /** Drop traffic between two clients of this server. */
  clientIsolation: z.boolean().default(true),
  tun: z.strictObject({ name: z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, 'a Linux interface name: 1-15 letters, digits, _ . -').default('tunppp0') }).prefault({}),
}).superRefine((c, ctx) => {
  if ((c.auth.backends.includes('radius') || c.radius.accounting || c.radius.disconnect.enabled) && c.radius.servers.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['radius', 'servers'], message: 'RADIUS is in use (auth.backends, radius.accounting or radius.disconnect) but no server is configured; add "servers": [{"address": "127.0.0.1", "secret": "..."}]' });
  }
  const ipsec = c.ipsec;
  if (ipsec.enabled && (ipsec.psk === undefined) === (ipsec.pskFile === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['ipsec', ipsec.psk === undefined ? 'psk' : 'pskFile'], message: 'IPsec needs exactly one pre-shared key source: "psk" (the key) or "pskFile" (an ipsec.secrets file or a file with the key)' });
  }
  if (ipsec.required && !ipsec.enabled) ctx.addIssue({ code: 'custom', path: ['ipsec', 'required'], message: 'ipsec.required refuses cleartext L2TP but ipsec.enabled is false, so no client could connect; set "enabled": true or drop "required"' });
  for (const k of ['ikeLifetime', 'espLifetime'] as const) {
    if (ipsec[k].minS > ipsec[k].maxS) ctx.addIssue({ code: 'custom', path: ['ipsec', k, 'minS'], message: `minS ${ipsec[k].minS} is above maxS ${ipsec[k].maxS}; make minS <= maxS` });
  }
  if (ipsec.dpd.timeoutS <= ipsec.dpd.delayS) ctx.addIssue({ code: 'custom', path: ['ipsec', 'dpd', 'timeoutS'], message: `dpd.timeoutS ${ipsec.dpd.timeoutS} must be above dpd.delayS ${ipsec.dpd.delayS} (a peer gets probed before it is declared dead)` });
  if (ipsec.enabled && !c.listen.l2tp.enabled) ctx.addIssue({ code: 'custom', path: ['ipsec', 'enabled'], message: 'IPsec carries L2TP, but listen.l2tp.enabled is false; enable L2TP' });
  const l2tp = c.listen.l2tp;
  if (l2tp.secret !== undefined && l2tp.secretsFile !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['listen', 'l2tp', 'secretsFile'], message: 'give either "secret" (one secret for every LAC) or "secretsFile" (per peer), not both' });
  }
  if (l2tp.challenge === true && l2tp.secret === undefined && l2tp.secretsFile === undefined) {
    ctx.addIssue({ code: 'custom', path: ['listen', 'l2tp', 'challenge'], message: 'tunnel authentication needs a secret; add "secret" or "secretsFile"' });
  }
  for (const key of ['mode', 'l2tpMode'] as const) {
    if (c.ppp.mppe[key] === 'require' && !c.ppp.authProtocols.some((p) => p === 'mschap-v2' || p === 'mschap')) {
      ctx.addIssue({ code: 'custom', path: ['ppp', 'mppe', key], message: `MPPE keys come from MS-CHAP, but ppp.authProtocols allows no MS-CHAP; add "mschap-v2" or set mppe.${key} to "allow"` });
    }
  }
  // Pools must not overlap each other or contain their own server address.
  const seen: { name: string; r: Ipv4Range }[] = [];
  c.pools.forEach((p, i) => {
    p.ranges.forEach((spec, j) => {
      const r = parseRangeSpec(spec);
      if (typeof r === 'string') return;
      for (const s of seen) {
        if (r.start <= s.r.end && s.r.start <= r.end) {
          ctx.addIssue({ code: 'custom', path: ['pools', i, 'ranges', j], message: `${formatRange(r)} overlaps pool '${s.name}' (${formatRange(s.r)}); give each pool its own addresses` });
        }
      }
      seen.push({ name: p.name, r });
    });
  });
});

/** The validated configuration. */
export type Config = z.output<typeof ConfigSchema>;
/** What a user may write (defaults omitted). */
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Config with every default applied. */
export function defaultConfig(): Config {
  return ConfigSchema.parse({});
}

function hintFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `remove ${issue.keys.map((k) => `"${k}"`).join(', ')} or fix the spelling (see docs/config.md)`;
    case 'invalid_type':
      return `write a ${issue.expected} here`;
    case 'invalid_value':
      return `use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return `use at least ${String(issue.minimum)}`;
    case 'too_big':
      return `use at most ${String(issue.maximum)}`;
    default:
      return 'see docs/config.md for the format';
  }
}

function pathText(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(top level)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

/**
 * Validates a parsed object as Config; throws `ConfigError` naming the file,
 * the line (when `text` is given) and the JSON path of the first problem,
 * and listing the others.
 */
export function validateConfig(value: unknown, file: string, text?: string): Config {
  const r = ConfigSchema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues;
  const describe = (i: z.core.$ZodIssue) => {
    const path = i.code === 'unrecognized_keys' ? [...i.path, i.keys[0]!] : i.path;
    let line: number | undefined;
    // Defaults have no line: point at the nearest enclosing key that is in the file.
    for (let n = path.length; text !== undefined && line === undefined && n > 0; n--) line = jsonLineOf(text, path.slice(0, n));
    const msg = i.code === 'unrecognized_keys' ? `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}` : i.message;
    return { line, text: `${pathText(path)}: ${msg}` };
  };
  const first = describe(issues[0]!);
  const more = issues.slice(1).map((i) => {
    const d = describe(i);
    return d.line !== undefined ? `line ${d.line}: ${d.text}` : d.text;
  });
  const message = more.length ? `${first.text} (and ${more.length} more: ${more.join('; ')})` : first.text;
  const where: { file: string; line?: number } = { file };
  if (first.line !== undefined) where.line = first.line;
  throw new ConfigError('CONFIG_SCHEMA', message, where, hintFor(issues[0]!));
}

/** Parses and validates tunppp.json text. */
export function parseTunpppJson(text: string, file: string): Config {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const line = jsonErrorLine(text, (err as Error).message);
    const where: { file: string; line?: number } = { file };
    if (line !== undefined) where.line = line;
    throw new ConfigError('CONFIG_SYNTAX', `not valid JSON: ${(err as Error).message}`, where,
      'JSON needs double-quoted keys and strings, no trailing commas and no comments');
  }
  return validateConfig(value, file, text);
}

/**
 * The line of a JSON syntax error: from V8's "position N" when it gives one,
 * otherwise the first line whose prefix fails for a reason other than ending early.
 */
function jsonErrorLine(text: string, message: string): number | undefined {
  const m = /position (\d+)/.exec(message);
  if (m) return text.slice(0, Number(m[1])).split('\n').length;
  const lines = text.split('\n');
  for (let k = 1; k <= lines.length; k++) {
    const prefix = lines.slice(0, k).join('\n');
    try {
      JSON.parse(prefix);
    } catch (e) {
      const msg = (e as Error).message;
      const pm = /position (\d+)/.exec(msg);
      const atEnd = /end of JSON input/i.test(msg) || (pm !== null && Number(pm[1]) >= prefix.trimEnd().length);
      if (!atEnd) return k;
    }
  }
  return undefined;
}

/** PPP sizes the server uses for one tunnel kind: explicit values, or derived from pathMtu. */
export function effectivePppSizes(c: Config, proto: 'pptp' | 'l2tp', outer?: Partial<TunnelOptions>): { mtu: number; mru: number; mssIpv4: number; mssIpv6: number } {
  // MPPE's 4 bytes count whenever MPPE may be negotiated on this transport.
  const mppe = (proto === 'pptp' ? c.ppp.mppe.mode : c.ppp.mppe.l2tpMode) !== 'refuse';
  // `outer`: headers around the datagrams (L2TP/IPsec: ESP in UDP 4500).
  const auto = bestTunnelMtu(c.pathMtu, { proto, mppe, ...outer });
  const mtu = c.ppp.mtu === 'auto' ? auto.pppMru : c.ppp.mtu;
  const mru = c.ppp.mru === 'auto' ? auto.pppMru : c.ppp.mru;
  const ipMtu = Math.min(mtu, mru) - (mppe ? 4 : 0);
  if (c.mssClamp === false) return { mtu, mru, mssIpv4: 0, mssIpv6: 0 };
  if (c.mssClamp === 'auto') return { mtu, mru, mssIpv4: mssFor(ipMtu, false), mssIpv6: mssFor(ipMtu, true) };
  return { mtu, mru, mssIpv4: c.mssClamp.ipv4, mssIpv6: c.mssClamp.ipv6 ?? mssFor(ipMtu, true) };
}

/** The server address of a pool as a number. */
export function poolLocal(p: Config['pools'][number]): number {
  return parseIpv4(p.local)!;
}

/** The local rate limit of `user` (rateLimits.users, else rateLimits.default), or undefined for none. */
export function localRateLimit(c: Config, user: string | undefined): RateLimit | undefined {
  const r = c.rateLimits;
  const spec = (user !== undefined && Object.hasOwn(r.users, user) ? r.users[user] : undefined) ?? r.default;
  if (spec === undefined) return undefined;
  const l: RateLimit = {};
  if (spec.up !== undefined) l.upBps = parseRate(spec.up)!;
  if (spec.down !== undefined) l.downBps = parseRate(spec.down)!;
  return l;
}
