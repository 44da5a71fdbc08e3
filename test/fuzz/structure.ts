/**
 * Structure-aware mutation: a packet is cut into its header and its list of
 * type-length-value items (L2TP AVPs, PPP configuration options, RADIUS
 * attributes) by a Layout, edited as a structure — an item dropped,
 * duplicated, swapped, borrowed from another real packet, its length field
 * lied about, its value cut or grown, a header field set to an edge value,
 * a PPTP message retyped — and put back together with the enclosing length
 * fields fixed, so the edit gets past the length checks into the code that
 * reads the fields. Byte-level mutation (harness.ts) rarely gets that far.
 *
 * An edit is four octets of fuzz input: [at, op, x, y] (see `Edit`); a target
 * decodes its input into edits, so fast-check's byte arbitrary and shrinking
 * work unchanged.
 */
import { CONTROL_MESSAGE_LENGTH, CONTROL_MESSAGE_TYPE } from '../../src/pptp/control-codec.js';

/** Control Message Type → its length (RFC 2637 §2). */
const LENGTH_BY_TYPE = Object.fromEntries(Object.entries(CONTROL_MESSAGE_TYPE).map(([name, t]) => [t, CONTROL_MESSAGE_LENGTH[name as keyof typeof CONTROL_MESSAGE_LENGTH]])) as Record<number, number>;
const PPTP_TYPES = Object.values(CONTROL_MESSAGE_TYPE);

/** How one kind of packet is cut into a header, items and a tail. */
export interface Layout {
  name: string;
  /** Where the items start; `b.length` when the packet has none; undefined when it is not of this shape. */
  itemsStart(b: Uint8Array): number | undefined;
  /** Length of the item at `off` by its own header, or undefined when there is no whole item there. */
  itemLength(b: Uint8Array, off: number): number | undefined;
  /** Writes `n` into an item's length field. */
  setItemLength(item: Uint8Array, n: number): void;
  /** Octets of an item's header (its value starts there). */
  itemHeader: number;
  /** Offset of the octet that says an item's type. */
  typeOffset: number;
  /** Sets the packet's own length fields to its size. */
  fixLengths(b: Uint8Array): void;
  /** Header fields worth setting to edge values: [offset, width]. */
  fields(b: Uint8Array): readonly (readonly [number, 1 | 2 | 4])[];
  /** A layout-specific rewrite (PPTP: retype the message), or undefined. */
  special?(b: Uint8Array, x: number, y: number): Uint8Array;
}

/** One structural edit: which message it hits, what it does and its two arguments. */
export interface Edit {
  /** Index of the message in the flow (or in the input) it applies to. */
  at: number;
  op: number;
  x: number;
  y: number;
}

/** Four octets per edit; a trailing partial edit is ignored. */
export function decodeEdits(b: Uint8Array): Edit[] {
  const out: Edit[] = [];
  for (let i = 0; i + 4 <= b.length; i += 4) out.push({ at: b[i]!, op: b[i + 1]!, x: b[i + 2]!, y: b[i + 3]! });
  return out;
}

/** A packet cut by a layout. */
interface Cut {
  head: Uint8Array;
  items: Uint8Array[];
  tail: Uint8Array;
}

/** Cuts `b` into header, whole items and the rest; undefined when the layout does not apply. */
export function cut(b: Uint8Array, l: Layout): Cut | undefined {
  const start = l.itemsStart(b);
  if (start === undefined || start > b.length) return undefined;
  const items: Uint8Array[] = [];
  let off = start;
  for (;;) {
    const n = l.itemLength(b, off);
    if (n === undefined || n < l.itemHeader || off + n > b.length) break;
    items.push(b.slice(off, off + n));
    off += n;
  }
  return { head: b.slice(0, start), items, tail: b.slice(off) };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function join(c: Cut, l: Layout, fix: boolean): Uint8Array {
  const b = concat([c.head, ...c.items, c.tail]);
  if (fix) l.fixLengths(b);
  return b;
}

/** Every whole item of every packet (the pool that "insert a borrowed item" draws from). */
export function itemPool(packets: readonly Uint8Array[], l: Layout): Uint8Array[] {
  return packets.flatMap((p) => cut(p, l)?.items ?? []);
}

function writeField(b: Uint8Array, off: number, width: 1 | 2 | 4, v: number): void {
  for (let i = width - 1; i >= 0; i--) {
    if (off + i < b.length) b[off + i] = v & 0xff;
    v = Math.floor(v / 256);
  }
}

function readField(b: Uint8Array, off: number, width: 1 | 2 | 4): number {
  let v = 0;
  for (let i = 0; i < width; i++) v = v * 256 + (b[off + i] ?? 0);
  return v;
}

/** An edge value for a field of `width` octets that now holds `cur`. */
function edgeValue(width: 1 | 2 | 4, cur: number, y: number): number {
  const max = width === 1 ? 0xff : width === 2 ? 0xffff : 0xffffffff;
  const choices = [0, 1, max, cur + 1, cur - 1, y, max - y, cur ^ (1 << y % (8 * width))];
  return (choices[y % choices.length]! + max + 1) % (max + 1);
}

/** The number of structural ops `mutateStructure` knows. */
export const STRUCTURE_OPS = 12;

/**
 * Applies one structural op (op % STRUCTURE_OPS) to `b` (unchanged input; a
 * new array out). `pool` supplies borrowed items. When the layout does not
 * apply, a header-free byte edit is made instead so the op is never a no-op.
 */
export function mutateStructure(b: Uint8Array, l: Layout, e: Omit<Edit, 'at'>, pool: readonly Uint8Array[]): Uint8Array {
  const c = cut(b, l);
  const { x, y } = e;
  const op = e.op % STRUCTURE_OPS;
  if (!c) {
    const o = Uint8Array.from(b);
    if (o.length) o[x % o.length] = o[x % o.length]! ^ (1 << y % 8);
    return o;
  }
  const n = c.items.length;
  const i = n ? x % n : 0;
  const j = n ? y % n : 0;
  switch (op) {
    case 0: // drop an item
      if (n) c.items.splice(i, 1);
      return join(c, l, true);
    case 1: // duplicate an item
      if (n) c.items.splice(j, 0, Uint8Array.from(c.items[i]!));
      return join(c, l, true);
    case 2: {
      // swap two items (order matters to parsers that expect Message Type first)
      if (n) [c.items[i], c.items[j]] = [c.items[j]!, c.items[i]!];
      return join(c, l, true);
    }
    case 3: {
      // insert an item borrowed from another real packet
      if (pool.length) c.items.splice(n ? j % (n + 1) : 0, 0, Uint8Array.from(pool[(x * 256 + y) % pool.length]!));
      return join(c, l, true);
    }
    case 4: {
      // an item's length field lies (0, one short of its header, one past, the maximum)
      if (n) {
        const it = c.items[i]!;
        const lies = [0, l.itemHeader - 1, it.length + 1, it.length - 1, 0x3ff, 0xff];
        l.setItemLength(it, lies[y % lies.length]!);
      }
      return join(c, l, true);
    }
    case 5: {
      // cut an item's value (its length field follows)
      if (n) {
        const it = c.items[i]!;
        const keep = l.itemHeader + (it.length > l.itemHeader ? y % (it.length - l.itemHeader) : 0);
        c.items[i] = it.slice(0, keep);
        l.setItemLength(c.items[i]!, keep);
      }
      return join(c, l, true);
    }
    case 6: {
      // grow an item's value with y%64+1 octets of x
      if (n) {
        const it = c.items[i]!;
        const grown = concat([it, new Uint8Array((y % 64) + 1).fill(x)]);
        l.setItemLength(grown, grown.length);
        c.items[i] = grown;
      }
      return join(c, l, true);
    }
    case 7: {
      // retype an item
      if (n && l.typeOffset < c.items[i]!.length) c.items[i]![l.typeOffset] = y;
      return join(c, l, true);
    }
    case 8: {
      // set a header field to an edge value (the enclosing lengths are fixed afterwards)
      const out = join(c, l, true);
      const f = l.fields(out);
      if (f.length) {
        const [off, w] = f[x % f.length]!;
        writeField(out, off, w, edgeValue(w, readField(out, off, w), y));
      }
      return out;
    }
    case 9: {
      // the same, but the length fields keep what the field says (a length that lies)
      const out = join(c, l, true);
      const f = l.fields(out);
      if (f.length) {
        const [off, w] = f[x % f.length]!;
        writeField(out, off, w, edgeValue(w, readField(out, off, w), y));
      }
      return out.length ? out.slice(0, Math.max(0, out.length - (y % 3))) : out;
    }
    case 10: // truncate the packet
      return join(c, l, false).slice(0, b.length ? (x * 256 + y) % (b.length + 1) : 0);
    default:
      return l.special ? l.special(join(c, l, true), x, y) : join(c, l, true);
  }
}

/** L2TP (RFC 2661 §3.1): control messages carry AVPs; data messages have none. */
export const L2TP_LAYOUT: Layout = {
  name: 'l2tp',
  itemsStart(b) {
    if (b.length < 6) return undefined;
    const flags = (b[0]! << 8) | b[1]!;
    let off = 2 + (flags & 0x4000 ? 2 : 0) + 4 + (flags & 0x0800 ? 4 : 0);
    if (flags & 0x0200) off += 2 + (off + 1 < b.length ? (b[off]! << 8) | b[off + 1]! : 0);
    if (off > b.length) return undefined;
    return flags & 0x8000 ? off : b.length;
  },
  itemLength: (b, off) => (off + 6 <= b.length ? ((b[off]! << 8) | b[off + 1]!) & 0x3ff : undefined),
  setItemLength(item, n) {
    if (item.length < 2) return;
    item[0] = (item[0]! & 0xfc) | ((n >> 8) & 3);
    item[1] = n & 0xff;
  },
  itemHeader: 6,
  typeOffset: 5,
  fixLengths(b) {
    if (b.length >= 4 && b[0]! & 0x40) writeField(b, 2, 2, b.length);
  },
  fields(b) {
    if (b.length < 2) return [];
    const flags = (b[0]! << 8) | b[1]!;
    const f: [number, 1 | 2 | 4][] = [[0, 1], [1, 1]];
    let off = 2;
    if (flags & 0x4000) f.push([(off += 2) - 2, 2]);
    f.push([off, 2], [off + 2, 2]); // Tunnel ID, Session ID
    off += 4;
    if (flags & 0x0800) f.push([off, 2], [off + 2, 2]); // Ns, Nr
    return f.filter(([o, w]) => o + w <= b.length);
  },
};

/** The PPP protocols whose Configure-* packets carry options (RFC 1661 §5, 1332, 5072, 1962). */
const CP_WITH_OPTIONS = new Set([0xc021, 0x8021, 0x8057, 0x80fd]);

/** Offset of the PPP information field in a frame (address/control and protocol compression allowed). */
function pppInfoOffset(b: Uint8Array): { proto: number; off: number } | undefined {
  let off = b[0] === 0xff && b[1] === 0x03 ? 2 : 0;
  if (off >= b.length) return undefined;
  if (b[off]! & 1) return { proto: b[off]!, off: off + 1 };
  if (off + 2 > b.length) return undefined;
  const proto = (b[off]! << 8) | b[off + 1]!;
  off += 2;
  return { proto, off };
}

/** A PPP frame whose information field is a control-protocol packet (code, id, length, options). */
export const PPP_LAYOUT: Layout = {
  name: 'ppp',
  itemsStart(b) {
    const p = pppInfoOffset(b);
    if (!p || p.off + 4 > b.length) return undefined;
    const code = b[p.off]!;
    return CP_WITH_OPTIONS.has(p.proto) && code >= 1 && code <= 4 ? p.off + 4 : b.length;
  },
  itemLength: (b, off) => (off + 2 <= b.length ? b[off + 1] : undefined),
  setItemLength(item, n) {
    if (item.length >= 2) item[1] = n & 0xff;
  },
  itemHeader: 2,
  typeOffset: 0,
  fixLengths(b) {
    const p = pppInfoOffset(b);
    // Control protocols (0x8000–0xffff: LCP, NCPs, authentication) carry code, identifier, length.
    if (p && p.off + 4 <= b.length && p.proto >= 0x8000) writeField(b, p.off + 2, 2, b.length - p.off);
  },
  fields(b) {
    const p = pppInfoOffset(b);
    if (!p) return [];
    const f: [number, 1 | 2 | 4][] = [[p.off, 1], [p.off + 1, 1], [p.off + 2, 2], [p.off - 2, 2]];
    // Echo/Discard magic number, CHAP value size: the octets right after the header.
    f.push([p.off + 4, 1], [p.off + 4, 4]);
    return f.filter(([o, w]) => o >= 0 && o + w <= b.length);
  },
  special(b, x, y) {
    // Recode a control packet (a Configure-Request turned Nak, Reject or Ack, a Terminate, an Echo…)
    // keeping its options, so the receiver's Nak/Reject handling reads options it knows.
    const out = Uint8Array.from(b);
    const p = pppInfoOffset(out);
    if (p && p.off < out.length) out[p.off] = (y % (p.proto === 0xc021 ? 11 : 7)) + 1;
    if (x % 4 === 0 && p && p.off + 1 < out.length) out[p.off + 1] = y;
    return out;
  },
};

/** RADIUS (RFC 2865 §3, §5): code, identifier, length, authenticator, attributes. */
export const RADIUS_LAYOUT: Layout = {
  name: 'radius',
  itemsStart: (b) => (b.length >= 20 ? 20 : undefined),
  itemLength: (b, off) => (off + 2 <= b.length ? b[off + 1] : undefined),
  setItemLength(item, n) {
    if (item.length >= 2) item[1] = n & 0xff;
  },
  itemHeader: 2,
  typeOffset: 0,
  fixLengths(b) {
    if (b.length >= 4) writeField(b, 2, 2, b.length);
  },
  fields: (b) => ([[0, 1], [1, 1], [2, 2]] as const).filter(([o, w]) => o + w <= b.length),
};

/** PPTP control messages (RFC 2637 §2): fixed fields, no items; `special` retypes a message. */
export const PPTP_LAYOUT: Layout = {
  name: 'pptp',
  itemsStart: (b) => (b.length >= 12 ? b.length : undefined),
  itemLength: () => undefined,
  setItemLength: () => undefined,
  itemHeader: 1,
  typeOffset: 0,
  fixLengths(b) {
    if (b.length >= 2) writeField(b, 0, 2, b.length);
  },
  fields(b) {
    // Length, PPTP Message Type, Magic Cookie, Control Message Type, then every 16-bit word.
    const f: [number, 1 | 2 | 4][] = [[0, 2], [2, 2], [4, 4], [8, 2]];
    for (let o = 12; o + 2 <= Math.min(b.length, 64); o += 2) f.push([o, 2]);
    return f.filter(([o, w]) => o + w <= b.length);
  },
  special(b, x, y) {
    // Retype to another control message and resize to that type's length, so its handler runs.
    const type = PPTP_TYPES[x % PPTP_TYPES.length]!;
    const len = LENGTH_BY_TYPE[type]! + (y % 4 === 0 ? (y % 3) - 1 : 0);
    const out = new Uint8Array(len);
    out.set(b.subarray(0, Math.min(len, b.length)));
    writeField(out, 0, 2, len);
    writeField(out, 8, 2, type);
    return out;
  },
};

/**
 * Doctor/config text: lines are the items. Ops: drop, duplicate, swap, borrow
 * a line from another real log, cut a line, grow a line (a repeated ` k="`
 * run, the old backtracking trap, or a long value), change one character.
 */
export function mutateLines(text: string, e: Omit<Edit, 'at'>, pool: readonly string[]): string {
  const lines = text.split('\n');
  const n = lines.length;
  const i = e.x % n;
  const j = e.y % n;
  switch (e.op % 8) {
    case 0:
      lines.splice(i, 1);
      break;
    case 1:
      lines.splice(j, 0, lines[i]!);
      break;
    case 2:
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      break;
    case 3:
      if (pool.length) lines.splice(j, 0, pool[(e.x * 256 + e.y) % pool.length]!);
      break;
    case 4:
      lines[i] = lines[i]!.slice(0, e.y % (lines[i]!.length + 1));
      break;
    case 5: {
      const grow = [' a="', ' k=v', 'E=691 R=1 ', '"', '\\', '[', ' : ', '\t', '\r', '\u0000', 'é', '\u202e'][e.y % 12]!;
      const at = e.x % (lines[i]!.length + 1);
      lines[i] = lines[i]!.slice(0, at) + grow.repeat((e.y % 40) + 1) + lines[i]!.slice(at);
      break;
    }
    case 6: {
      // Digits in a line (timestamps, PIDs, codes) → an edge number.
      const edge = ['0', '99999999999999999999', '-1', '4294967296', ''][e.y % 5]!;
      let k = 0;
      lines[i] = lines[i]!.replace(/\d+/g, (m) => (k++ === e.y % 4 ? edge : m));
      break;
    }
    default: {
      const s = lines[i]!;
      const at = e.x % (s.length + 1);
      lines[i] = s.slice(0, at) + String.fromCharCode(e.y) + s.slice(at + 1);
    }
  }
  return lines.join('\n');
}

/** A list of items with no header of its own (an L2TP control body, a CP option list). */
function itemsOnly(l: Layout): Layout {
  return { ...l, name: `${l.name}-items`, itemsStart: () => 0, fixLengths: () => undefined, fields: () => [] };
}

/** The AVPs of an L2TP control message body (after the L2TP header). */
export const L2TP_AVPS_LAYOUT = itemsOnly(L2TP_LAYOUT);
/** A PPP configuration option list. */
export const PPP_OPTIONS_LAYOUT = itemsOnly(PPP_LAYOUT);
/** A control-protocol packet without the PPP protocol field (code, id, length, options). */
export const PPP_CP_LAYOUT: Layout = {
  ...PPP_LAYOUT,
  name: 'ppp-cp',
  itemsStart: (b) => (b.length < 4 ? undefined : b[0]! >= 1 && b[0]! <= 4 ? 4 : b.length),
  fixLengths(b) {
    if (b.length >= 4) writeField(b, 2, 2, b.length);
  },
  fields: (b) => ([[0, 1], [1, 1], [2, 2], [4, 1], [4, 4]] as const).filter(([o, w]) => o + w <= b.length),
};
