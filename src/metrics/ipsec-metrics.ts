/**
 * Metrics of the built-in IPsec (server/ipsec-service.ts), read on scrape:
 * IKE SAs by state, negotiations by phase and result, established Phase 1
 * by proposal, ESP packets and bytes by direction, drops by reason (replay,
 * bad ICV, unknown SPI, ...), SAs deleted by cause (DPD timeouts among
 * them), rekeys and refused cleartext L2TP. Absent when IPsec is off.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MetricsSource } from './source.js';

/** Registers the IPsec metrics. */
export function addIpsecMetrics(src: MetricsSource, registers: Registry[]): void {
  const view = () => src.ipsec?.();
  new Gauge({
    name: 'tunppp_ipsec_ike_sas',
    help: 'IKE (ISAKMP) SAs by state (negotiating: Main Mode under way; established)',
    labelNames: ['state'] as const,
    registers,
    collect() {
      this.reset();
      const v = view();
      if (!v) return;
      this.set({ state: 'negotiating' }, v.ikeSas.negotiating);
      this.set({ state: 'established' }, v.ikeSas.established);
    },
  });
  new Gauge({
    name: 'tunppp_ipsec_esp_sas',
    help: 'Inbound ESP SAs installed (one per client, two during a rekey)',
    registers,
    collect() {
      this.reset();
      const v = view();
      if (v) this.set(v.espSas);
    },
  });
  const labelled = (name: string, help: string, label: string, read: (v: NonNullable<ReturnType<typeof view>>) => Iterable<[string, number]>): void => {
    new Counter({
      name,
      help,
      labelNames: [label],
      registers,
      collect() {
        this.reset();
        const v = view();
        if (v) for (const [k, n] of read(v)) this.inc({ [label]: k }, n);
      },
    });
  };
  new Counter({
    name: 'tunppp_ipsec_negotiations_total',
    help: 'IKE negotiations by phase (1: Main Mode, 2: Quick Mode) and result (established, no-proposal-chosen, psk-mismatch, invalid-ke, ts-unacceptable, timeout, aggressive-mode)',
    labelNames: ['phase', 'result'] as const,
    registers,
    collect() {
      this.reset();
      const v = view();
      if (!v) return;
      for (const [k, n] of v.service.negotiations) {
        const [phase, result] = k.split(':') as [string, string];
        this.inc({ phase: phase.replace('phase', ''), result }, n);
      }
    },
  });
  labelled('tunppp_ipsec_phase1_proposals_total', 'Established IKE SAs by the proposal chosen', 'proposal', (v) => v.service.proposals);
  labelled('tunppp_ipsec_drops_total', 'IPsec datagrams dropped, by reason (esp-replay, esp-bad-icv, esp-unknown-spi, ike-malformed, ike-half-open-limit, ...)', 'reason', (v) => v.service.drops);
  labelled('tunppp_ipsec_sas_deleted_total', 'SAs removed, by cause (peer-delete, dpd-timeout, lifetime, initial-contact)', 'cause', (v) => v.service.deleted);
  labelled('tunppp_ipsec_esp_packets_total', 'ESP packets (in: decrypted to L2TP; out: sent)', 'direction', (v) => [['in', v.port.espInPackets], ['out', v.port.espOutPackets]]);
  labelled('tunppp_ipsec_esp_bytes_total', 'ESP bytes on the wire (UDP payload)', 'direction', (v) => [['in', v.port.espInBytes], ['out', v.port.espOutBytes]]);
  for (const [name, help, read] of [
    ['tunppp_ipsec_rekeys_total', 'ESP SAs negotiated by a client that already had one (Quick Mode rekeys)', (v: NonNullable<ReturnType<typeof view>>) => v.service.rekeys],
    ['tunppp_ipsec_cleartext_refused_total', 'Cleartext L2TP datagrams refused (ipsec.required)', (v: NonNullable<ReturnType<typeof view>>) => v.service.cleartextRefused],
  ] as const) {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        const v = view();
        if (v) this.inc(read(v));
      },
    });
  }
}
