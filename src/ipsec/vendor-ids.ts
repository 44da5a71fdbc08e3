/**
 * Vendor ID payloads that change what we do (RFC 2408 §3.16): NAT traversal
 * (RFC 3947 and the draft-ietf-ipsec-nat-t-ike-02/03 variants Windows and
 * older macOS/iOS send, which also switch the NAT-D/NAT-OA payload numbers
 * to 130/131 and the UDP encapsulation modes to 61443/61444), Dead Peer
 * Detection (RFC 3706 §3), IKE fragmentation (the Cisco/Microsoft
 * "FRAGMENTATION" VID), and a few we only name in logs (Windows'
 * "MS NT5 ISAKMPOAKLEY" with its version, XAUTH, Cisco Unity).
 *
 * Most are MD5 of a string; the table keeps both the string and the 16
 * bytes, and the unit test recomputes the MD5s. Some carry a version after
 * a fixed prefix, so recognition matches on the prefix.
 */
import { fromHex, toHex } from '../wire/hex.js';

/** What a known vendor ID means to us. */
export type VendorIdName =
  | 'rfc3947'
  | 'nat-t-draft-02'
  | 'nat-t-draft-02n'
  | 'nat-t-draft-03'
  | 'dpd'
  | 'fragmentation'
  | 'ms-nt5-isakmpoakley'
  | 'xauth'
  | 'cisco-unity';

/** A known vendor ID: the bytes we send or match (a prefix when `prefix`), and where they come from. */
export interface KnownVendorId {
  name: VendorIdName;
  /** The vendor ID bytes; with `prefix`, only these lead bytes are matched (a version follows). */
  bytes: Uint8Array;
  prefix: boolean;
  /** The string whose MD5 the bytes are (or begin with), when they are one. */
  md5Of?: string;
  /** Human name for logs, in the words tshark and charon use. */
  label: string;
}

/** The table. Order matters only for `natTraversalVariant` preference (first is best). */
export const KNOWN_VENDOR_IDS: readonly KnownVendorId[] = [
  { name: 'rfc3947', bytes: fromHex('4a131c81070358455c5728f20e95452f'), prefix: false, md5Of: 'RFC 3947', label: 'RFC 3947 NAT-T' },
  { name: 'nat-t-draft-03', bytes: fromHex('7d9419a65310ca6f2c179d9215529d56'), prefix: false, md5Of: 'draft-ietf-ipsec-nat-t-ike-03', label: 'draft-ietf-ipsec-nat-t-ike-03' },
  { name: 'nat-t-draft-02n', bytes: fromHex('90cb80913ebb696e086381b5ec427b1f'), prefix: false, md5Of: 'draft-ietf-ipsec-nat-t-ike-02\n', label: 'draft-ietf-ipsec-nat-t-ike-02\\n' },
  { name: 'nat-t-draft-02', bytes: fromHex('cd60464335df21f87cfdb2fc68b6a448'), prefix: false, md5Of: 'draft-ietf-ipsec-nat-t-ike-02', label: 'draft-ietf-ipsec-nat-t-ike-02' },
  // RFC 3706 §3: 14 fixed bytes, then major version 1, minor version 0.
  { name: 'dpd', bytes: fromHex('afcad71368a1f1c96b8696fc7757'), prefix: true, label: 'RFC 3706 DPD' },
  // Cisco and Windows send MD5("FRAGMENTATION") optionally followed by 4 bytes of capability flags.
  { name: 'fragmentation', bytes: fromHex('4048b7d56ebce88525e7de7f00d6c2d3'), prefix: true, md5Of: 'FRAGMENTATION', label: 'IKE FRAGMENTATION' },
  // Windows: MD5("MS NT5 ISAKMPOAKLEY") then a 4-byte version (Windows release).
  { name: 'ms-nt5-isakmpoakley', bytes: fromHex('1e2b516905991c7d7c96fcbfb587e461'), prefix: true, md5Of: 'MS NT5 ISAKMPOAKLEY', label: 'MS NT5 ISAKMPOAKLEY' },
  { name: 'xauth', bytes: fromHex('09002689dfd6b712'), prefix: false, label: 'XAUTH' },
  // Cisco Unity: MD5("CISCO-UNITY") with the last two bytes replaced by major/minor version.
  { name: 'cisco-unity', bytes: fromHex('12f5f28c457168a9702d9fe274cc'), prefix: true, label: 'Cisco Unity' },
];

/** The RFC 3706 DPD vendor ID as we send it (version 1.0). */
export const DPD_VENDOR_ID = fromHex('afcad71368a1f1c96b8696fc77570100');

/** A recognized vendor ID, with the version bytes after a prefix match (MS NT5's Windows release). */
export interface RecognizedVendorId {
  known: KnownVendorId;
  /** Bytes after the matched prefix (empty on an exact match). */
  suffix: Uint8Array;
}

/** Looks `data` up in the table. Exact entries match exactly; prefix entries match their lead bytes. */
export function recognizeVendorId(data: Uint8Array): RecognizedVendorId | undefined {
  for (const known of KNOWN_VENDOR_IDS) {
    const n = known.bytes.length;
    if (known.prefix ? data.length < n : data.length !== n) continue;
    let same = true;
    for (let i = 0; i < n && same; i++) same = data[i] === known.bytes[i];
    if (same) return { known, suffix: data.subarray(n) };
  }
  return undefined;
}

/** The NAT-T variant a peer supports, best first: it decides payload and encapsulation-mode numbers. */
export type NatTraversalVariant = 'rfc3947' | 'draft-03' | 'draft-02';

/** The variant chosen and the peer's vendor ID that announced it (echoed back in our reply). */
export interface NatTraversalChoice {
  variant: NatTraversalVariant;
  vendorId: Uint8Array;
}

const VARIANT_OF: Partial<Record<VendorIdName, NatTraversalVariant>> = {
  rfc3947: 'rfc3947',
  'nat-t-draft-03': 'draft-03',
  'nat-t-draft-02': 'draft-02',
  'nat-t-draft-02n': 'draft-02',
};
const PREFERENCE: readonly NatTraversalVariant[] = ['rfc3947', 'draft-03', 'draft-02'];

/**
 * The best NAT traversal variant among the peer's vendor IDs, or undefined
 * when the peer offers none. RFC 3947 beats the drafts (RFC 3947 §3: an
 * implementation supporting both uses the RFC); draft-02 with and without
 * the trailing newline are the same protocol, and the reply echoes whichever
 * the peer sent.
 */
export function natTraversalVariant(vendorIds: readonly Uint8Array[]): NatTraversalChoice | undefined {
  let best: NatTraversalChoice | undefined;
  for (const v of vendorIds) {
    const r = recognizeVendorId(v);
    const variant = r ? VARIANT_OF[r.known.name] : undefined;
    if (variant && (!best || PREFERENCE.indexOf(variant) < PREFERENCE.indexOf(best.variant))) best = { variant, vendorId: v };
  }
  return best;
}

/** True when the variant uses the draft payload numbers (NAT-D 130, NAT-OA 131) and encapsulation modes 61443/61444. */
export function usesDraftNumbers(variant: NatTraversalVariant): boolean {
  return variant !== 'rfc3947';
}

/** A printable description of any vendor ID for logs: the known label (with version) or the hex. */
export function describeVendorId(data: Uint8Array): string {
  const r = recognizeVendorId(data);
  if (!r) return `unknown ${toHex(data.subarray(0, 32))}${data.length > 32 ? '…' : ''}`;
  if (r.known.name === 'ms-nt5-isakmpoakley' && r.suffix.length === 4) {
    const v = ((r.suffix[0]! << 24) | (r.suffix[1]! << 16) | (r.suffix[2]! << 8) | r.suffix[3]!) >>> 0;
    return `${r.known.label} version ${v}`;
  }
  if ((r.known.name === 'dpd' || r.known.name === 'cisco-unity') && r.suffix.length === 2) return `${r.known.label} ${r.suffix[0]}.${r.suffix[1]}`;
  return r.known.label;
}
