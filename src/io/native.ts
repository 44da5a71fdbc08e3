/**
 * Loader and types of the native addon (native/*.c, built by node-gyp into
 * build/Release/tunppp.node). This is the only module that touches it; the
 * wrappers in this folder take the binding from `loadNative()`, which tests
 * may replace with `setNativeForTesting`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeAddonError } from './errors.js';

/** An open native handle (GRE socket or TUN queue). Opaque to TypeScript. */
export interface NativeHandle {
  /** The kernel's interface name (TUN handles only). */
  readonly name?: string;
}

/** Error-queue entry as the addon reports it (one `struct sock_extended_err`). */
export interface NativeErrQueueEntry {
  errno: string;
  errnoNumber: number;
  /** SO_EE_ORIGIN_*: 1 local, 2 ICMP. */
  origin: number;
  type: number;
  code: number;
  /** ee_info: the next-hop MTU for fragmentation-needed, the MTU for local EMSGSIZE. */
  info: number;
  /** Original destination (msg_name), host-order u32. */
  dst?: number;
  /** The router that sent the ICMP error (SO_EE_OFFENDER), host-order u32. */
  offender?: number;
  /** The start of the datagram the error is about, as the ICMP quoted it (GRE header onwards). */
  quoted: Uint8Array;
  /** UDP only: the original destination port. */
  dstPort?: number;
}

/** Options the addon's udpOpen reads. */
export interface NativeUdpOptions {
  netns?: string;
  bind?: number;
  port?: number;
  reuseAddr?: boolean;
  pmtuProbe?: boolean;
  rcvbufBytes?: number;
  sndbufBytes?: number;
  slots: number;
  slotBytes: number;
}

/** Options the addon's greOpen reads. */
export interface NativeGreOptions {
  netns?: string;
  bind?: number;
  pmtuProbe?: boolean;
  rcvbufBytes?: number;
  sndbufBytes?: number;
  slots: number;
  slotBytes: number;
}

/** Options the addon's tunOpen reads. */
export interface NativeTunOptions {
  netns?: string;
  name?: string;
  devicePath?: string;
  multiQueue?: boolean;
  vnetHdr?: boolean;
  offloads?: number;
  slots: number;
  slotBytes: number;
}

/** Options the addon's ifConfigure reads. Addresses are host-order u32. */
export interface NativeIfOptions {
  netns?: string;
  name: string;
  mtu?: number;
  address?: number;
  prefixLen?: number;
  peer?: number;
  up?: boolean;
}

/** Called once per readable event with the number of packets in the rx buffer. */
export type NativeReadCallback = (count: number) => void;
/** Called with an error-queue entry, or an Error for an unexpected read failure. */
export type NativeErrorCallback = (event: NativeErrQueueEntry | Error) => void;

/** The functions native/addon.c exports. */
export interface NativeBinding {
  greOpen(o: NativeGreOptions, rx: Uint8Array, meta: Uint32Array, onRead: NativeReadCallback, onError: NativeErrorCallback): NativeHandle;
  /** Sends meta[i*4..] = [offset, length, dst, status] for i < count; writes status; returns the number sent. */
  greSend(h: NativeHandle, data: Uint8Array, meta: Uint32Array, count: number): number;
  pathMtu(h: NativeHandle, dst: number): number;
  /** IPv4 UDP socket (native/udp.c); absent in an addon built before it. The handle has `port`, the bound port. */
  udpOpen?(o: NativeUdpOptions, rx: Uint8Array, meta: Uint32Array, onRead: NativeReadCallback, onError: NativeErrorCallback): NativeHandle & { readonly port?: number };
  /** Sends meta[i*5..] = [offset, length, dst, port << PORT_SHIFT, src]; the fourth word becomes the status. */
  udpSend?(h: NativeHandle, data: Uint8Array, meta: Uint32Array, count: number): number;
  udpPathMtu?(h: NativeHandle, dst: number): number;
  tunOpen(o: NativeTunOptions, rx: Uint8Array, meta: Uint32Array, onRead: NativeReadCallback, onError: NativeErrorCallback): NativeHandle;
  tunWrite(h: NativeHandle, data: Uint8Array, meta: Uint32Array, count: number): number;
  ifConfigure(o: NativeIfOptions): void;
  close(h: NativeHandle): void;
  /** RC4 key schedule into `state` (RC4_STATE_BYTES, 4-byte aligned); only when CRYPTO_AVAILABLE. */
  rc4SetKey?(state: Uint8Array, key: Uint8Array, keyLength: number): void;
  /** dst[dstOffset, +len) = src[srcOffset, +len) XOR keystream. */
  rc4?(state: Uint8Array, src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, len: number): void;
  /** out[outOffset, +20) = SHA-1(data[0, len)). */
  sha1?(data: Uint8Array, len: number, out: Uint8Array, outOffset: number): void;
  /** One's-complement sum of data[start, end) plus initial (≤ 0xFFFF), folded; see native/csum.c. */
  onesSum?(data: Uint8Array, start: number, end: number, initial: number): number;
  /** The MPPE key change (RFC 3078 §7.3) in one call; see native/crypto.c. */
  rc4KeyChange?(state: Uint8Array, shaInput: Uint8Array, shaLength: number, sessionKey: Uint8Array, keyLength: number, saltLength: number): void;
  readonly constants: {
    META_FIELDS: number;
    MAX_SLOTS: number;
    FLAG_TRUNCATED: number;
    /** UDP: the port's place in the flags/status word (absent before native/udp.c). */
    PORT_SHIFT?: number;
    ERR_QUOTE_BYTES: number;
    /** Absent in an addon built before native/crypto.c. */
    RC4_STATE_BYTES?: number;
    /** 1 when the node executable exports OpenSSL's RC4_set_key, RC4 and SHA1. */
    CRYPTO_AVAILABLE?: number;
  };
}

/**
 * Fields per packet in every metadata array: offset, length, peer address,
 * flags (rx) or status (tx), local address (rx: where the datagram was sent
 * to; tx: source to send from, 0 for the kernel's choice).
 */
export const META_FIELDS = 5;
/** Meta flag: the datagram did not fit its slot. */
export const FLAG_TRUNCATED = 1;
/** UDP: the peer's port is the flags/status word's upper 16 bits (rx: source; tx: destination, set before the send). */
export const PORT_SHIFT = 16;

let override: NativeBinding | undefined;
let cached: NativeBinding | undefined;

/** Where the built addon may be, nearest first. */
export function nativeCandidates(): string[] {
  const fromEnv = process.env['TUNPPP_NATIVE'];
  if (fromEnv) return [resolve(fromEnv)];
  // Walk up to the package root (the folder with binding.gyp): src/io in a
  // checkout, dist/src/io after `npm run build`.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5 && !existsSync(join(dir, 'binding.gyp')); i++) dir = dirname(dir);
  return [join(dir, 'build', 'Release', 'tunppp.node'), join(dir, 'build', 'Debug', 'tunppp.node')];
}

/** Loads the addon from the first candidate that exists; throws NativeAddonError. */
export function loadNativeFrom(candidates: readonly string[]): NativeBinding {
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new NativeAddonError(`the native addon is not built (looked for ${candidates.join(', ')})`);
  }
  let binding: NativeBinding;
  try {
    binding = createRequire(import.meta.url)(found) as NativeBinding;
  } catch (err) {
    throw new NativeAddonError(`the native addon at ${found} does not load: ${(err as Error).message}`, { cause: err });
  }
  if (binding.constants?.META_FIELDS !== META_FIELDS) {
    throw new NativeAddonError(`the native addon at ${found} is from an older checkout (its packet metadata layout differs)`);
  }
  return binding;
}

/** The addon (or the test double set with `setNativeForTesting`). */
export function loadNative(): NativeBinding {
  if (override) return override;
  cached ??= loadNativeFrom(nativeCandidates());
  return cached;
}

/** Replaces the addon for tests of the error paths; `undefined` restores it. */
export function setNativeForTesting(binding: NativeBinding | undefined): void {
  override = binding;
}

/** A namespace name (under /var/run/netns, as `ip netns` makes them) or a path. */
export function netnsPath(netns: string | undefined): string | undefined {
  if (netns === undefined || netns === '') return undefined;
  return netns.includes('/') ? netns : `/var/run/netns/${netns}`;
}
