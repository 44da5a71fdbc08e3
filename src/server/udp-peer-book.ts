/**
 * What the UDP endpoints (L2TP's and IPsec's) remember about the sources of
 * a batched native socket: the text form of each source address (one string
 * per address, not one per packet) and, per peer address, which of our
 * addresses it last sent to — the source of our answers, so one unbound
 * socket answers each client from the address it used. Both maps are
 * bounded: past their size they start over (a flood of sources costs
 * re-formatting, never memory).
 */
import { formatIpv4 } from '../config/ipv4.js';

const MAX_TEXT = 4096;
const MAX_LOCAL = 65536;

export class UdpPeerBook {
  private readonly text = new Map<number, string>();
  private readonly local = new Map<string, number>();

  /** The dotted quad of a source address (host-order u32). */
  textOf(src: number): string {
    let address = this.text.get(src);
    if (address === undefined) {
      if (this.text.size >= MAX_TEXT) this.text.clear();
      address = formatIpv4(src);
      this.text.set(src, address);
    }
    return address;
  }

  /** `address` sent to our `local` address. */
  noteLocal(address: string, local: number): void {
    if (this.local.get(address) === local) return;
    if (this.local.size >= MAX_LOCAL) this.local.clear();
    this.local.set(address, local);
  }

  /** Our address to answer `address` from (0: let the kernel choose). */
  localOf(address: string): number {
    return this.local.get(address) ?? 0;
  }
}
