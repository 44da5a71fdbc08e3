/**
 * The client side of L2TP/IPsec, sans-I/O: one server, one ISAKMP SA, one
 * ESP pair, for `tunppp connect`. It runs Main Mode then Quick Mode as
 * initiator, floats to UDP 4500 when a NAT is seen (or encapsulation is
 * forced), answers R-U-THERE, and carries the L2TP client's datagrams
 * (UDP 1701 → 1701) through ESP.
 *
 *   start → MAIN_I1..I4 → QUICK_I1..I2 → `up` (sendL2tp works, `l2tp` outputs flow)
 *
 * Any failure of either phase ends in `down` with the reason; the caller
 * decides whether to start again (src/client/reconnect.ts does for L2TP).
 * A Delete of our SAs from the server, or DPD silence, also ends in `down`.
 */
import type { Millis } from '../core/machine.js';
import { randomU32, type Rng } from '../core/rng.js';
import { get16, put16 } from './bytes.js';
import { L2TP_PORT, type ChildSa } from './child-sa.js';
import { EXCHANGE, NOTIFY, PROTO } from './constants.js';
import { EspInbound, EspOutbound, type EspDropReason } from './esp.js';
import type { EspProposalSuite } from './esp-proposals.js';
import { dpdPayload, openInformational, sealInformational } from './informational.js';
import { parseIsakmpHeader, parseIsakmpMessage } from './isakmp.js';
import { MainModeInitiator } from './main-mode-initiator.js';
import type { Phase1Failure } from './main-mode-responder.js';
import type { Endpoint } from './phase1-sa.js';
import { phase1SuiteName, type Phase1Suite } from './phase1-proposals.js';
import { QuickModeInitiator, type QuickModeInitiatorState } from './quick-mode-initiator.js';
import type { Phase2Failure } from './quick-mode-responder.js';
import { classifyUdp4500, encodeIkeOverUdp4500 } from './udp-encap.js';

/** Client configuration. */
export interface IpsecInitiatorOptions {
  psk: Uint8Array;
  /** Our address as the IKE packets leave it (private when behind NAT) and the server's. */
  local: Endpoint;
  server: Endpoint;
  ikeSuites: readonly Phase1Suite[];
  espSuites: readonly EspProposalSuite[];
  pfsGroup?: number;
  ikeLifetimeSeconds?: number;
  espLifetimeSeconds?: number;
  forceEncapsulation?: boolean;
  /** Silence after which the server is declared dead (its R-U-THERE or any ESP resets it). Default 120 s. */
  deadAfterMs?: number;
}

/** Why the client's IPsec went down. */
export type IpsecDownReason = Phase1Failure | Phase2Failure | 'deleted-by-server' | 'dead-peer';

/** What the client endpoint asks of the driver. */
export type IpsecInitiatorOutput =
  /** A UDP datagram to the server from our port `localPort` (marker included on 4500). */
  | { kind: 'send'; localPort: 500 | 4500; bytes: Uint8Array }
  /** Raw ESP to the server (not encapsulated). */
  | { kind: 'send-esp'; bytes: Uint8Array }
  /** An L2TP datagram from the server for the L2TP client. */
  | { kind: 'l2tp'; bytes: Uint8Array }
  | { kind: 'up'; child: ChildSa; phase1: string; esp: string }
  | { kind: 'down'; reason: IpsecDownReason; detail?: string }
  | { kind: 'drop'; reason: EspDropReason | 'ike-unexpected' | 'esp-not-l2tp' | 'not-up'; detail?: string };

/** The client endpoint. */
export class IpsecInitiatorEndpoint {
  state: 'idle' | 'phase1' | 'phase2' | 'up' | 'down' = 'idle';
  private readonly mm: MainModeInitiator;
  private qm: QuickModeInitiator | undefined;
  private inbound: EspInbound | undefined;
  private outbound: EspOutbound | undefined;
  private child: ChildSa | undefined;
  private lastHeard: Millis = 0;

  constructor(
    private readonly opts: IpsecInitiatorOptions,
    private readonly rng: Rng,
  ) {
    this.mm = new MainModeInitiator({ psk: opts.psk, suites: opts.ikeSuites, lifetimeSeconds: opts.ikeLifetimeSeconds ?? 28800, local: opts.local, remote: opts.server, forceEncapsulation: opts.forceEncapsulation ?? false }, rng);
  }

  private port(): 500 | 4500 {
    return this.mm.floated ? 4500 : 500;
  }

  private ike(bytes: Uint8Array): IpsecInitiatorOutput {
    const localPort = this.port();
    return { kind: 'send', localPort, bytes: localPort === 4500 ? encodeIkeOverUdp4500(bytes) : bytes };
  }

  /** Starts Main Mode. */
  start(now: Millis): IpsecInitiatorOutput[] {
    if (this.state !== 'idle') return [];
    this.state = 'phase1';
    this.lastHeard = now;
    return this.fromMachines(this.mm.handle({ type: 'start' }, now), now);
  }

  /** When to call `timeout`. */
  nextDeadline(): Millis | undefined {
    if (this.state === 'phase1') return this.mm.nextDeadline();
    if (this.state === 'phase2') return this.qm?.nextDeadline();
    if (this.state === 'up') return this.lastHeard + (this.opts.deadAfterMs ?? 120_000);
    return undefined;
  }

  /** Retransmissions and the dead-peer check. */
  timeout(now: Millis): IpsecInitiatorOutput[] {
    if (this.state === 'phase1') return this.fromMachines(this.mm.handle({ type: 'timeout' }, now), now);
    if (this.state === 'phase2') return this.fromMachines(this.qm!.handle({ type: 'timeout' }, now), now);
    if (this.state === 'up' && now >= this.lastHeard + (this.opts.deadAfterMs ?? 120_000)) return this.down('dead-peer', 'no authenticated packet from the server');
    return [];
  }

  /** A datagram from the server that arrived on our `localPort`. */
  datagram(localPort: 500 | 4500, bytes: Uint8Array, now: Millis): IpsecInitiatorOutput[] {
    let ike = bytes;
    if (localPort === 4500) {
      const c = classifyUdp4500(bytes);
      if (c.kind === 'keepalive') return [];
      if (c.kind === 'invalid') return [{ kind: 'drop', reason: 'ike-unexpected', detail: c.reason }];
      if (c.kind === 'esp') return this.esp(c.esp, now);
      ike = c.ike;
    }
    const h = parseIsakmpHeader(ike);
    if (!h.ok) return [{ kind: 'drop', reason: 'ike-unexpected', detail: 'malformed' }];
    if (this.state === 'phase1' || (this.state !== 'idle' && h.value.exchangeType === EXCHANGE.IDENTITY_PROTECTION)) return this.fromMachines(this.mm.handle({ type: 'packet', bytes: ike }, now), now);
    if (this.state === 'phase2' && h.value.exchangeType === EXCHANGE.QUICK_MODE) return this.fromMachines(this.qm!.handle({ type: 'packet', bytes: ike }, now), now);
    if (h.value.exchangeType === EXCHANGE.INFORMATIONAL && this.mm.sa) return this.informational(ike, now);
    return [{ kind: 'drop', reason: 'ike-unexpected', detail: `exchange ${h.value.exchangeType} in ${this.state}` }];
  }

  /** A raw ESP packet from the server. */
  rawEsp(bytes: Uint8Array, now: Millis): IpsecInitiatorOutput[] {
    return this.esp(bytes, now);
  }

  /** Encrypts an L2TP datagram for the server (inner UDP 1701 → 1701). */
  sendL2tp(l2tp: Uint8Array): IpsecInitiatorOutput[] {
    if (this.state !== 'up') return [{ kind: 'drop', reason: 'not-up' }];
    const udp = new Uint8Array(8 + l2tp.length);
    put16(udp, 0, L2TP_PORT);
    put16(udp, 2, L2TP_PORT);
    put16(udp, 4, udp.length);
    udp.set(l2tp, 8);
    const esp = this.outbound!.seal(udp, 17);
    if (!esp) return [{ kind: 'drop', reason: 'not-up', detail: 'sequence numbers used up: reconnect' }];
    return this.child!.udpEncapsulated ? [{ kind: 'send', localPort: 4500, bytes: esp }] : [{ kind: 'send-esp', bytes: esp }];
  }

  private esp(packet: Uint8Array, now: Millis): IpsecInitiatorOutput[] {
    if (!this.inbound) return [{ kind: 'drop', reason: 'not-up' }];
    const r = this.inbound.open(packet);
    if (!r.ok) return [{ kind: 'drop', reason: r.reason }];
    if (r.nextHeader !== 17 || r.payload.length < 8 || get16(r.payload, 0) !== L2TP_PORT) return [{ kind: 'drop', reason: 'esp-not-l2tp' }];
    this.lastHeard = now;
    return [{ kind: 'l2tp', bytes: r.payload.subarray(8) }];
  }

  private informational(bytes: Uint8Array, now: Millis): IpsecInitiatorOutput[] {
    const m = parseIsakmpMessage(bytes);
    const p1 = this.mm.sa!;
    if (!m.ok) return [{ kind: 'drop', reason: 'ike-unexpected', detail: 'malformed informational' }];
    const r = openInformational(p1, m.value);
    if (!r.ok) return [{ kind: 'drop', reason: 'ike-unexpected', detail: r.problem }];
    this.lastHeard = now;
    const out: IpsecInitiatorOutput[] = [];
    for (const p of r.payloads) {
      if (p.kind === 'notify' && p.notify.notifyType === NOTIFY.R_U_THERE && p.notify.data.length === 4) {
        const seq = ((p.notify.data[0]! << 24) | (p.notify.data[1]! << 16) | (p.notify.data[2]! << 8) | p.notify.data[3]!) >>> 0;
        out.push(this.ike(sealInformational(p1, randomU32(this.rng) || 1, [dpdPayload(p1, true, seq)])));
      } else if (p.kind === 'delete') {
        const ours = this.child?.outbound.spi;
        const hit = p.delete.protocolId === PROTO.ISAKMP || (p.delete.protocolId === PROTO.IPSEC_ESP && p.delete.spis.some((s) => s.length === 4 && (((s[0]! << 24) | (s[1]! << 16) | (s[2]! << 8) | s[3]!) >>> 0) === ours));
        if (hit) out.push(...this.down('deleted-by-server', p.delete.protocolId === PROTO.ISAKMP ? 'ISAKMP SA deleted' : 'ESP SA deleted'));
      }
    }
    return out;
  }

  private down(reason: IpsecDownReason, detail?: string): IpsecInitiatorOutput[] {
    this.state = 'down';
    this.inbound = undefined;
    this.outbound = undefined;
    return [{ kind: 'down', reason, ...(detail !== undefined ? { detail } : {}) }];
  }

  /** Turns machine outputs into ours, moving from Phase 1 to Quick Mode to up. */
  private fromMachines(outs: { kind: string; bytes?: Uint8Array; event?: unknown; reason?: string; detail?: string }[], now: Millis): IpsecInitiatorOutput[] {
    const res: IpsecInitiatorOutput[] = [];
    for (const o of outs) {
      if (o.kind === 'send') res.push(this.ike(o.bytes!));
      else if (o.kind === 'drop') res.push({ kind: 'drop', reason: 'ike-unexpected', detail: o.detail ? `${o.reason}: ${o.detail}` : o.reason! });
      else {
        const ev = o.event as { type: string; reason?: string; detail?: string; child?: ChildSa; name?: string };
        if (ev.type === 'failed') {
          res.push(...this.down(ev.reason as IpsecDownReason, ev.detail));
        } else if (ev.type === 'established' && this.state === 'phase1') {
          this.state = 'phase2';
          this.lastHeard = now;
          const spi = this.newSpi();
          this.qm = new QuickModeInitiator({ p1: this.mm.sa!, suites: this.opts.espSuites, ...(this.opts.pfsGroup !== undefined ? { pfsGroup: this.opts.pfsGroup } : {}), lifetimeSeconds: this.opts.espLifetimeSeconds ?? 3600, local: this.opts.local, remote: this.opts.server, ourSpi: spi }, this.rng);
          res.push(...this.fromMachines(this.qm.handle({ type: 'start' }, now), now));
        } else if (ev.type === 'established' && this.state === 'phase2') {
          this.child = ev.child!;
          this.inbound = new EspInbound(this.child.inbound);
          this.outbound = new EspOutbound(this.child.outbound, this.rng);
          this.state = 'up';
          this.lastHeard = now;
          res.push({ kind: 'up', child: this.child, phase1: phase1SuiteName(this.mm.sa!.choice.suite), esp: ev.name ?? '' });
        }
      }
    }
    return res;
  }

  private newSpi(): Uint8Array {
    for (;;) {
      const spi = randomU32(this.rng);
      if (spi > 255) return Uint8Array.of(spi >>> 24, (spi >>> 16) & 0xff, (spi >>> 8) & 0xff, spi & 0xff);
    }
  }

  /** Quick Mode state, for status output. */
  get quickModeState(): QuickModeInitiatorState | undefined {
    return this.qm?.state;
  }
}

