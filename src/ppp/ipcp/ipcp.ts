/**
 * IP Control Protocol (RFC 1332) with the Microsoft DNS/NBNS extensions
 * (RFC 1877). Read RFC 1332 §3.3 and RFC 1877 §1 before editing.
 *
 * Server role: we announce our own address, assign the peer's from a fixed
 * value or an allocation callback (the address pool), Nak any other address
 * the peer asks for (and append IP-Address to a Nak when the peer left it
 * out, RFC 1332 §3.3), and hand out DNS/NBNS servers by Nak'ing the
 * peer's 0.0.0.0 requests (RFC 1877 §1.1).
 * Client role: we request 0.0.0.0 and take the address the server Naks
 * with; we ask for DNS/NBNS the same way, and stop asking when rejected.
 *
 * Refused: IP-Compression-Protocol (Van Jacobson, RFC 1332 §3.2) and the
 * deprecated IP-Addresses option (1), both with Configure-Reject.
 */
import { CP_CODE, PPP_PROTO } from '../protocols.js';
import { ControlProtocol } from '../fsm/protocol.js';
import type { CiResult, FsmOptions, ReqciResult } from '../fsm/fsm.js';
import { bytesEqual } from '../fsm/packet.js';
import { encodeIpcpOptions, parseIpcpOptions, type IpcpAddressKind, type IpcpOption } from './options.js';
import { formatIpv4, parseIpv4 } from '../../config/ipv4.js';

/** IPCP policy. */
export interface IpcpConfig {
  role: 'server' | 'client';
  /** Our address. Server: required. Client: requested when set, else 0.0.0.0 (take the server's Nak). */
  localAddress?: string;
  /** Server: the peer's address, fixed or from the pool (called once per negotiation until it yields one). */
  peerAddress?: string | (() => string | undefined);
  /** Server: DNS servers handed out (primary, secondary). */
  dns?: readonly string[];
  /** Server: NBNS (WINS) servers handed out. */
  nbns?: readonly string[];
  /** Client: ask for DNS servers (pppd usepeerdns). */
  requestDns?: boolean;
  /** Client: ask for NBNS servers. */
  requestNbns?: boolean;
  fsm?: Partial<FsmOptions>;
}

/** What IPCP agreed, valid while Opened. */
export interface IpcpNegotiated {
  localAddress: string;
  peerAddress: string;
  /** DNS servers: handed out (server) or learned (client). */
  dns: string[];
  nbns: string[];
}

/** IPCP events. */
export type IpcpEvent = { type: 'ipcp-failed'; reason: string };

const DNS_KINDS: readonly IpcpAddressKind[] = ['dns1', 'dns2'];
const NBNS_KINDS: readonly IpcpAddressKind[] = ['nbns1', 'nbns2'];

/** IPCP negotiation handler. */
export class Ipcp extends ControlProtocol<IpcpEvent> {
  negotiated: IpcpNegotiated | undefined;
  private readonly cfg: IpcpConfig;
  /** Our wanted options; a kind absent from the map is not requested. */
  private want = new Map<IpcpAddressKind, number>();
  private lastRequest: Uint8Array = new Uint8Array(0);
  private assigned: number | undefined;
  private hisAddress: number | undefined;

  constructor(config: IpcpConfig) {
    super(PPP_PROTO.IPCP, config.fsm);
    this.cfg = config;
    this.resetci();
  }

  /** The address the pool gave the peer (server), for release at teardown. */
  get assignedPeerAddress(): string | undefined {
    return this.assigned === undefined ? undefined : formatIpv4(this.assigned);
  }

  private server(): boolean {
    return this.cfg.role === 'server';
  }

  private peerAddress(): number | undefined {
    if (this.assigned !== undefined) return this.assigned;
    const p = this.cfg.peerAddress;
    const text = typeof p === 'function' ? p() : p;
    const v = text === undefined ? undefined : parseIpv4(text);
    if (v !== undefined && v !== 0) this.assigned = v;
    return this.assigned;
  }

  private handedOut(kind: IpcpAddressKind): number | undefined {
    const list = DNS_KINDS.includes(kind) ? this.cfg.dns : this.cfg.nbns;
    const text = list?.[kind === 'dns1' || kind === 'nbns1' ? 0 : 1];
    return text === undefined ? undefined : parseIpv4(text);
  }

  resetci(): void {
    this.want.clear();
    const local = this.cfg.localAddress === undefined ? 0 : parseIpv4(this.cfg.localAddress) ?? 0;
    this.want.set('address', local);
    if (!this.server()) {
      if (this.cfg.requestDns) for (const k of DNS_KINDS) this.want.set(k, 0);
      if (this.cfg.requestNbns) for (const k of NBNS_KINDS) this.want.set(k, 0);
    }
    this.hisAddress = undefined;
  }

  addci(): Uint8Array {
    const opts: IpcpOption[] = [];
    for (const [kind, address] of this.want) opts.push({ kind, address });
    this.lastRequest = encodeIpcpOptions(opts);
    return this.lastRequest;
  }

  ackci(options: Uint8Array): boolean {
    return bytesEqual(options, this.lastRequest);
  }

  nakci(options: Uint8Array): CiResult {
    const p = parseIpcpOptions(options);
    if (!p.ok) return false;
    for (const o of p.value) {
      if (o.kind === 'raw' || o.kind === 'compression') continue;
      if (!this.want.has(o.kind)) continue; // hints for options we did not ask for
      if (o.kind === 'address' && this.server() && this.want.get('address') !== 0) continue; // our address is fixed
      // RFC 1877 §1.1 / RFC 1332 §3.3: the Nak carries the value to use.
      if (o.address !== 0) this.want.set(o.kind, o.address);
    }
    return true;
  }

  rejci(options: Uint8Array): CiResult {
    const p = parseIpcpOptions(options);
    if (!p.ok) return false;
    for (const o of p.value) {
      if (o.kind === 'raw' || o.kind === 'compression' || !this.want.has(o.kind)) return false;
      if (o.kind === 'address' && this.want.get('address') === 0) return { close: 'peer refuses to assign us an IPv4 address' };
      this.want.delete(o.kind);
    }
    return true;
  }

  reqci(options: Uint8Array, rejectIfDisagree: boolean): ReqciResult {
    const p = parseIpcpOptions(options);
    if (!p.ok) return { code: CP_CODE.CONFIGURE_REJECT, options };
    const rej: IpcpOption[] = [];
    const nak: IpcpOption[] = [];
    let his: number | undefined;
    let sawAddress = false;
    const disagree = (o: IpcpOption, suggestion: IpcpOption): void => {
      if (rejectIfDisagree) rej.push(o);
      else nak.push(suggestion);
    };
    for (const o of p.value) {
      switch (o.kind) {
        case 'address': {
          sawAddress = true;
          if (this.server()) {
            const a = this.peerAddress();
            if (a === undefined) {
              this.pendingClose = 'no IPv4 address available for the peer (address pool exhausted)';
              rej.push(o);
            } else if (o.address !== a) disagree(o, { kind: 'address', address: a });
            else his = a;
          } else if (o.address === 0) rej.push(o); // the server must know its own address
          else his = o.address;
          break;
        }
        case 'dns1': case 'dns2': case 'nbns1': case 'nbns2': {
          const v = this.server() ? this.handedOut(o.kind) : undefined;
          if (v === undefined) rej.push(o);
          else if (o.address !== v) disagree(o, { kind: o.kind, address: v });
          break;
        }
        default:
          // VJ compression, IP-Addresses, unknown types.
          rej.push(o);
      }
    }
    if (rej.length) return { code: CP_CODE.CONFIGURE_REJECT, options: encodeIpcpOptions(rej) };
    // RFC 1332 §3.3: the server appends the address when the peer did not ask for one.
    if (!sawAddress && this.server() && !rejectIfDisagree) {
      const a = this.peerAddress();
      if (a !== undefined) nak.push({ kind: 'address', address: a });
    }
    if (nak.length) return { code: CP_CODE.CONFIGURE_NAK, options: encodeIpcpOptions(nak) };
    this.hisAddress = his;
    return { code: CP_CODE.CONFIGURE_ACK, options };
  }

  up(): void {
    const local = this.want.get('address') ?? 0;
    const peer = this.hisAddress ?? (this.server() ? undefined : 0);
    if (local === 0 || peer === undefined) {
      const reason = local === 0 ? 'no IPv4 address was assigned to us' : 'peer did not take the address we assigned';
      this.pendingClose = reason;
      this.emit({ type: 'ipcp-failed', reason });
      return;
    }
    const pick = (kinds: readonly IpcpAddressKind[]): string[] =>
      kinds.flatMap((k) => {
        const v = this.server() ? this.handedOut(k) : this.want.get(k);
        return v ? [formatIpv4(v)] : [];
      });
    this.negotiated = { localAddress: formatIpv4(local), peerAddress: formatIpv4(peer), dns: pick(DNS_KINDS), nbns: pick(NBNS_KINDS) };
  }

  down(): void {
    this.negotiated = undefined;
  }
}
