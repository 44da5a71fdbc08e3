/**
 * The built-in L2TP/IPsec on the server: the `ipsec` section of the
 * configuration made into an IpsecPort (ipsec-endpoint.ts: UDP 500/4500 and
 * the pure responder), and an L2TP port of the L2TP service with no socket
 * of its own whose datagrams are the decrypted UDP 1701 of the ESP SAs.
 *
 * The L2TP side sees each IPsec client as the (address, port) it sends ESP
 * from — unique per client even behind one NAT — and its answers go back
 * through that client's SA (the port's sink is `IpsecPort.sendL2tp`), so
 * tunnels, sessions, PPP, the pool, RADIUS and metrics are those of any L2TP
 * client. Being a port of its own, an IPsec client's tunnel is never answered
 * in cleartext, and a cleartext datagram can never reach its tunnel.
 *
 * `ipsec.required`: the L2TP service's socket-bound ports refuse every
 * datagram, said once per source address. When an ISAKMP SA goes (Delete,
 * DPD timeout, lifetime, INITIAL-CONTACT) the L2TP tunnels of that client
 * are closed, so its PPP session and pool address go with it.
 *
 * Logs use the words of charon and pluto: "no proposal chosen" with what the
 * peer offered, "probable authentication failure (mismatch of preshared
 * secrets?)", "remote host is behind NAT", "DPD: peer ... is dead", "ISAKMP
 * SA established", "CHILD_SA established/rekeyed", "deleting ...".
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { Millis } from '../core/machine.js';
import { ConfigError } from '../core/errors.js';
import { STOPCCN_RESULT } from '../l2tp/constants.js';
import { pskSourceFromText } from '../config/ipsec-secrets.js';
import type { Config } from '../config/schema.js';
import { P2_AUTH, ESP_TRANSFORM } from '../ipsec/constants.js';
import { DEFAULT_ESP_POLICY, type EspPolicy, type EspProposalSuite } from '../ipsec/esp-proposals.js';
import { DEFAULT_PHASE1_POLICY, phase1SuiteName, type Phase1Policy } from '../ipsec/phase1-proposals.js';
import { parseEspProposals, parseIkeProposals } from '../ipsec/proposal-strings.js';
import type { IpsecEndpointOutput, IpsecPeer, IpsecResponderOptions } from '../ipsec/responder-endpoint.js';
import { bestTunnelMtu, type TunnelOptions } from '../mtu/overhead.js';
import { parseEspSuite } from '../mtu/esp.js';
import type { Logger } from '../log/logger.js';
import type { ServerContext } from './context.js';
import { IpsecPort, type IpsecPorts } from './ipsec-endpoint.js';
import type { L2tpPort } from './l2tp-endpoint.js';
import type { L2tpService } from './l2tp-service.js';

/** Counters of the IPsec service (besides the port's), read on scrape. */
export interface IpsecServiceStats {
  /** Negotiations by phase and result: `phase1:established`, `phase1:psk-mismatch`, `phase2:no-proposal-chosen` ... */
  negotiations: Map<string, number>;
  /** Established Phase 1 by suite name (aes256-sha1-modp2048 ...). */
  proposals: Map<string, number>;
  /** Drops by the endpoint's reason (esp-replay, esp-bad-icv, esp-unknown-spi, ike-...). */
  drops: Map<string, number>;
  /** SAs removed by cause (peer-delete, dpd-timeout, lifetime, initial-contact). */
  deleted: Map<string, number>;
  /** ESP SAs negotiated while the client already had one (Quick Mode rekeys). */
  rekeys: number;
  /** Cleartext L2TP datagrams refused (ipsec.required). */
  cleartextRefused: number;
}

/** What /metrics reads. */
export interface IpsecStatsView {
  ikeSas: { negotiating: number; established: number };
  espSas: number;
  port: IpsecPort['stats'];
  service: IpsecServiceStats;
}

const bump = (m: Map<string, number>, k: string): void => {
  if (m.size < 256 || m.has(k)) m.set(k, (m.get(k) ?? 0) + 1);
};
const peerText = (p: IpsecPeer): string => `${p.address}[${p.port}]`;
const spiText = (n: number): string => n.toString(16).padStart(8, '0');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The responder's policies from the `ipsec` section (validated by the schema). */
export function ipsecPolicies(c: Config['ipsec']): { phase1: Phase1Policy; esp: EspPolicy } {
  const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
  const ike = c.ike !== undefined ? parseIkeProposals(c.ike) : undefined;
  const esp = c.esp !== undefined ? parseEspProposals(c.esp) : undefined;
  if (ike && !ike.ok) throw new ConfigError('CONFIG_VALUE', `ipsec.ike: ${ike.error}`, undefined, 'write ipsec.conf ike= names such as aes256-sha1-modp2048');
  if (esp && !esp.ok) throw new ConfigError('CONFIG_VALUE', `ipsec.esp: ${esp.error}`, undefined, 'write ipsec.conf esp= names such as aes128gcm16,aes256-sha1');
  const espSuites: EspProposalSuite[] = [];
  for (const p of esp?.ok ? esp.suites : []) if (!espSuites.some((s) => s.transformId === p.suite.transformId && s.keyLengthBits === p.suite.keyLengthBits && s.auth === p.suite.auth)) espSuites.push(p.suite);
  const pfsGroups = [...new Set((esp?.ok ? esp.suites : []).flatMap((p) => (p.pfsGroup !== undefined ? [p.pfsGroup] : [])))];
  return {
    phase1: {
      suites: ike?.ok ? ike.suites : DEFAULT_PHASE1_POLICY.suites,
      defaultLifetimeSeconds: clamp(DEFAULT_PHASE1_POLICY.defaultLifetimeSeconds, c.ikeLifetime.minS, c.ikeLifetime.maxS),
      minLifetimeSeconds: c.ikeLifetime.minS,
      maxLifetimeSeconds: c.ikeLifetime.maxS,
    },
    esp: {
      ...DEFAULT_ESP_POLICY,
      suites: espSuites.length > 0 ? espSuites : DEFAULT_ESP_POLICY.suites,
      pfsGroups: pfsGroups.length > 0 ? pfsGroups : DEFAULT_ESP_POLICY.pfsGroups,
      defaultLifetimeSeconds: clamp(DEFAULT_ESP_POLICY.defaultLifetimeSeconds, c.espLifetime.minS, c.espLifetime.maxS),
      minLifetimeSeconds: c.espLifetime.minS,
      maxLifetimeSeconds: c.espLifetime.maxS,
    },
  };
}

/**
 * Headers around L2TP for the PPP sizes: ESP in UDP 4500 with the allowed
 * ESP suite that costs the most (a client may pick any of them).
 */
export function ipsecOuterHeaders(suites: readonly EspProposalSuite[]): Partial<TunnelOptions> {
  let worst: Partial<TunnelOptions> | undefined;
  let worstMru = Infinity;
  for (const s of suites) {
    const cipher = s.transformId === ESP_TRANSFORM.AES_GCM_16 ? 'aes-gcm' : s.transformId === ESP_TRANSFORM['3DES'] ? '3des' : 'aes-cbc';
    const integ = { [P2_AUTH.HMAC_SHA1]: 'sha1', [P2_AUTH.HMAC_SHA2_256]: 'sha256', [P2_AUTH.HMAC_SHA2_384]: 'sha384', [P2_AUTH.HMAC_SHA2_512]: 'sha512' }[s.auth ?? 0];
    const esp = parseEspSuite(integ ? `${cipher}-${integ}` : cipher);
    if (!esp) continue;
    const o = { proto: 'l2tp-ipsec', natT: true, esp } as const;
    const mru = bestTunnelMtu(1500, { ...o, mppe: false }).pppMru;
    if (mru < worstMru) {
      worstMru = mru;
      worst = o;
    }
  }
  return worst ?? { proto: 'l2tp-ipsec', natT: true };
}

/** The PSK lookup by client address from `psk` or `pskFile`. */
export function ipsecPskLookup(c: Config['ipsec'], log: Logger): (peer: IpsecPeer) => Uint8Array | undefined {
  if (c.psk !== undefined) {
    const key = new TextEncoder().encode(c.psk);
    return () => key;
  }
  const file = c.pskFile!;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('CONFIG_READ', `cannot read the IPsec pre-shared key file: ${(err as Error).message}`, { file }, 'create it (ipsec.secrets lines such as %any %any : PSK "a long random key", mode 0600) or set ipsec.psk');
  }
  // A one-selector line applies to every client only when it names this host (strongSwan's "us, to anyone").
  const ours = new Set<string>([c.address]);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4') ours.add(a.address);
  const src = pskSourceFromText(text, file, (a) => ours.has(a));
  for (const s of src.skipped) log.warn('ipsec-secrets', `${s}`);
  log.info('ipsec-psk', src.bare ? `IPsec pre-shared key read from ${file}` : `IPsec pre-shared keys: ${src.entries} PSK line(s) of ${file}`);
  return (peer) => src.lookup(peer.address);
}

function defaultPublicAddress(bind: string): string {
  if (bind !== '0.0.0.0') return bind;
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

/** The built-in IPsec of a server. */
export class IpsecService {
  readonly stats: IpsecServiceStats = { negotiations: new Map(), proposals: new Map(), drops: new Map(), deleted: new Map(), rekeys: 0, cleartextRefused: 0 };
  readonly port: IpsecPort;
  /** The L2TP port the decrypted datagrams go to (no socket of its own). */
  readonly l2tpPort: L2tpPort;
  private readonly log: Logger;
  /** Sources already told that cleartext L2TP is refused. */
  private readonly refusedSources = new Set<string>();
  /** L2TP peers ("address|port") with an established ESP SA: a second one is a rekey. */
  private readonly withChild = new Map<string, number>();
  /**
   * TUNPPP_IPSEC_KEYLOG=FILE: every SA's keys appended as JSON lines (debugging
   * with Wireshark, like SSLKEYLOGFILE; whoever reads the file can decrypt the traffic).
   */
  private readonly keyLog = process.env['TUNPPP_IPSEC_KEYLOG'] || undefined;

  constructor(
    private readonly ctx: ServerContext,
    l2tp: L2tpService,
    opts: { psk?: IpsecResponderOptions['psk'] } = {},
  ) {
    const c = ctx.config.ipsec;
    this.log = ctx.log.child({ proto: 'ipsec' });
    const { phase1, esp } = ipsecPolicies(c);
    const localAddress = c.publicAddress ?? defaultPublicAddress(c.address);
    this.port = new IpsecPort(
      ctx,
      {
        psk: opts.psk ?? ipsecPskLookup(c, this.log),
        phase1,
        esp,
        localAddress,
        forceEncapsulation: c.forceEncapsulation,
        dpdDelayMs: c.dpd.delayS * 1000,
        dpdTimeoutMs: c.dpd.timeoutS * 1000,
        maxHalfOpenPerSource: c.maxHalfOpenPerSource,
        maxHalfOpen: c.maxHalfOpen,
      },
      { onOutput: (o, now) => this.onOutput(o, now) },
      this.log,
    );
    this.l2tpPort = l2tp.createPort();
    this.l2tpPort.outer = ipsecOuterHeaders(esp.suites);
    this.l2tpPort.attach({ send: (msg, port, address) => this.port.sendL2tp({ address, port }, msg), close: () => {} });
    if (c.required) {
      for (const p of l2tp.ports) if (p !== this.l2tpPort) p.refuseCleartext = (address) => this.refuseCleartext(address);
    }
    if (!c.forceEncapsulation) this.log.warn('ipsec-raw-esp', 'ipsec.forceEncapsulation is off: clients that see no NAT will send raw ESP (IP protocol 50), which this server does not receive yet; they fail after Quick Mode');
  }

  /** Binds UDP 500 and 4500. */
  listen(ports?: IpsecPorts): { address: string; port: number }[] {
    const address = this.ctx.config.ipsec.address;
    const b = this.port.bind(address, ports);
    this.log.info('ipsec-start', `IKEv1 (Main Mode, PSK) and ESP on UDP ${address}:${b.ike} and ${address}:${b.natt}${this.ctx.config.ipsec.required ? '; cleartext L2TP refused (ipsec.required)' : ''}`);
    return [{ address, port: b.ike }, { address, port: b.natt }];
  }

  /** After the L2TP service stopped (its StopCCNs went through the SAs). */
  close(): void {
    this.port.close();
  }

  /** What /metrics reads. */
  view(): IpsecStatsView {
    const e = this.port.endpoint;
    return { ikeSas: { negotiating: e.halfOpenCount, established: e.ikeSaCount - e.halfOpenCount }, espSas: e.espSaCount, port: this.port.stats, service: this.stats };
  }

  private refuseCleartext(address: string): boolean {
    this.stats.cleartextRefused++;
    if (!this.refusedSources.has(address)) {
      if (this.refusedSources.size >= 4096) this.refusedSources.clear();
      this.refusedSources.add(address);
      this.log.warn('l2tp-cleartext-refused', `cleartext L2TP from ${address} refused: ipsec.required is set; the client must use L2TP/IPsec with the pre-shared key (said once per source)`);
    }
    return true;
  }

  private onOutput(o: Exclude<IpsecEndpointOutput, { kind: 'send' }>, now: Millis): void {
    switch (o.kind) {
      case 'l2tp':
        this.l2tpPort.receive(o.bytes, o.peer.address, o.peer.port);
        break;
      case 'send-esp':
        bump(this.stats.drops, 'raw-esp-unsupported');
        break;
      case 'drop':
        bump(this.stats.drops, o.reason);
        if (o.reason === 'ike-no-psk') this.log.warn('ipsec-no-psk', `no pre-shared key for ${o.detail ?? '?'}: no ipsec.secrets line names it (and no %any line); Main Mode refused`);
        else if (o.reason === 'ike-half-open-limit') this.log.debug('limit', `Main Mode from ${o.detail ?? '?'} dropped: too many half-open IKE SAs (ipsec.maxHalfOpenPerSource / maxHalfOpen)`);
        else this.log.debug('ipsec-drop', `dropped: ${o.reason}${o.detail ? ` (${o.detail})` : ''}`);
        break;
      case 'phase1':
        this.phase1(o.peer, o.event);
        break;
      case 'phase2':
        this.phase2(o.peer, o.event);
        break;
      case 'deleted':
        this.deleted(o, now);
        break;
    }
  }

  private phase1(peer: IpsecPeer, ev: Extract<IpsecEndpointOutput, { kind: 'phase1' }>['event']): void {
    const who = peerText(peer);
    if (ev.type === 'failed') {
      bump(this.stats.negotiations, `phase1:${ev.reason}`);
      const detail = ev.detail ? ` (${ev.detail})` : '';
      switch (ev.reason) {
        case 'no-proposal-chosen':
          this.log.warn('ipsec-no-proposal', `NO_PROPOSAL_CHOSEN: no acceptable Main Mode proposal from ${who}${detail}; our allow-list is ipsec.ike`);
          break;
        case 'psk-mismatch':
          this.log.warn('ipsec-psk-mismatch', `PSK mismatch with ${who}: probable authentication failure (mismatch of preshared secrets?) in ${ev.state}${detail}; check the client's pre-shared key against ipsec.psk / ipsec.pskFile`);
          break;
        case 'aggressive-mode':
          this.log.warn('ipsec-aggressive', `Aggressive Mode from ${who} refused (it exposes the PSK to offline guessing); configure the client for Main Mode`);
          break;
        case 'timeout':
          this.log.info('ipsec-timeout', `Main Mode with ${who} timed out in ${ev.state}${detail}`);
          break;
        default:
          this.log.warn('ipsec-phase1-failed', `Main Mode with ${who} failed: ${ev.reason}${detail}`);
      }
      return;
    }
    const sa = ev.sa;
    const name = phase1SuiteName(sa.choice.suite);
    this.writeKeys({ kind: 'ike', peer, icookie: hex(sa.initiatorCookie), rcookie: hex(sa.responderCookie), encKey: hex(sa.encKey) });
    bump(this.stats.negotiations, 'phase1:established');
    bump(this.stats.proposals, name);
    if (sa.nat.peerBehindNat) this.log.info('ipsec-nat', `remote host is behind NAT (${who})`);
    if (sa.nat.localBehindNat && !this.ctx.config.ipsec.forceEncapsulation) this.log.info('ipsec-nat', `local host is behind NAT (as seen by ${who})`);
    this.log.info('ipsec-phase1-up', `ISAKMP SA established with ${who}: ${name}, lifetime ${sa.choice.lifetimeSeconds} s${sa.dpd ? ', DPD' : ''}${sa.natT ? `, NAT-T ${sa.natT}` : ''}${sa.choice.weak ? ' (weak algorithms: allowed for old clients; see ipsec.ike)' : ''}`);
  }

  private phase2(peer: IpsecPeer, ev: Extract<IpsecEndpointOutput, { kind: 'phase2' }>['event']): void {
    const who = peerText(peer);
    if (ev.type === 'failed') {
      bump(this.stats.negotiations, `phase2:${ev.reason}`);
      const detail = ev.detail ? ` (${ev.detail})` : '';
      if (ev.reason === 'no-proposal-chosen') this.log.warn('ipsec-no-proposal', `NO_PROPOSAL_CHOSEN: no acceptable Quick Mode (ESP) proposal from ${who}${detail}; our allow-list is ipsec.esp`);
      else if (ev.reason === 'ts-unacceptable') this.log.warn('ipsec-ts', `INVALID_ID_INFORMATION: Quick Mode from ${who} asks for traffic other than L2TP (UDP 1701)${detail}; only transport mode UDP 1701 is served`);
      else this.log.warn('ipsec-phase2-failed', `Quick Mode with ${who} failed: ${ev.reason} in ${ev.state}${detail}`);
      return;
    }
    if (ev.type !== 'established') return;
    for (const [dir, k] of [['in', ev.child.inbound], ['out', ev.child.outbound]] as const) {
      this.writeKeys({ kind: 'esp', peer, dir, spi: spiText(k.spi), suite: k.suite.name, encKey: hex(k.encKey), salt: hex(k.salt), authKey: hex(k.authKey) });
    }
    const key = `${peer.address}|${peer.port}`;
    const n = this.withChild.get(key) ?? 0;
    if (this.withChild.size < 65536 || n > 0) this.withChild.set(key, n + 1);
    bump(this.stats.negotiations, 'phase2:established');
    const spis = `SPIs ${spiText(ev.child.inbound.spi)}_i ${spiText(ev.child.outbound.spi)}_o`;
    const mode = ev.child.udpEncapsulated ? 'transport in UDP 4500' : 'transport';
    if (n > 0) {
      this.stats.rekeys++;
      this.log.info('ipsec-rekeyed', `CHILD_SA rekeyed with ${who}: ESP ${ev.name}, ${mode}, ${spis} (the old SA stays until deleted or expired)`);
    } else this.log.info('ipsec-phase2-up', `CHILD_SA established with ${who}: ESP ${ev.name}, ${mode}, ${spis}, UDP 1701`);
  }

  private writeKeys(rec: Record<string, unknown>): void {
    if (this.keyLog === undefined) return;
    try {
      appendFileSync(this.keyLog, `${JSON.stringify(rec)}\n`, { mode: 0o600 });
    } catch (err) {
      this.log.warn('ipsec-keylog', `cannot append to TUNPPP_IPSEC_KEYLOG ${this.keyLog}: ${(err as Error).message}`);
    }
  }

  private deleted(o: Extract<IpsecEndpointOutput, { kind: 'deleted' }>, now: Millis): void {
    const who = peerText(o.peer);
    bump(this.stats.deleted, o.cause);
    const why = { 'peer-delete': 'the peer deleted it', 'dpd-timeout': `DPD: peer ${who} is dead (no answer for ${this.ctx.config.ipsec.dpd.timeoutS} s)`, lifetime: 'its lifetime ended', 'initial-contact': 'the peer came back with INITIAL-CONTACT' }[o.cause];
    const spis = o.espSpis.map(spiText).join(' ');
    if (o.cause === 'dpd-timeout') this.log.warn('ipsec-dpd-timeout', why);
    this.log.info('ipsec-deleted', `deleting ${o.isakmp ? 'ISAKMP SA' : 'ESP SA'}${spis ? ` (ESP ${spis})` : ''} with ${who}: ${why}`);
    const key = `${o.peer.address}|${o.peer.port}`;
    const left = (this.withChild.get(key) ?? 0) - o.espSpis.length;
    if (left > 0 && !o.isakmp) this.withChild.set(key, left);
    else this.withChild.delete(key);
    if (!o.isakmp) return;
    // The client's L2TP tunnels cannot be reached any more: close them so its PPP session and address go too.
    const p = this.l2tpPort;
    for (const id of p.endpoint.tunnelIds()) {
      const peer = p.endpoint.peerOf(id);
      if (peer?.address !== o.peer.address || peer.port !== o.peer.port) continue;
      p.command(id, { type: 'close', result: { result: STOPCCN_RESULT.GENERAL_REQUEST, message: 'IPsec SA deleted' }, reason: `IPsec SA deleted (${o.cause})` }, now);
    }
  }
}
