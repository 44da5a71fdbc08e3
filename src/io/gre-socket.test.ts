/**
 * The TypeScript half of the GRE socket against a scripted addon: IPv4 header
 * skipping and compaction, ICMP classification, send failures as events.
 * The real kernel paths are in test/io/gre.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { openGreSocket, type IcmpErrorEvent, type SendErrorEvent } from './gre-socket.js';
import { META_FIELDS, setNativeForTesting, type NativeBinding, type NativeErrorCallback, type NativeReadCallback } from './native.js';
import { TxBatch } from './packet-batch.js';
import { parseIpv4 } from '../config/ipv4.js';

interface Rig {
  rx: Uint8Array;
  meta: Uint32Array;
  read: NativeReadCallback;
  error: NativeErrorCallback;
  opts: Record<string, unknown>;
}

function rig(send?: NativeBinding['greSend'], pathMtu?: NativeBinding['pathMtu']): { rig: Rig; binding: NativeBinding } {
  const r = {} as Rig;
  const no = (): never => {
    throw new Error('not scripted');
  };
  const binding: NativeBinding = {
    greOpen(o, rx, meta, onRead, onError) {
      Object.assign(r, { rx, meta, read: onRead, error: onError, opts: o });
      return {};
    },
    greSend: send ?? no,
    pathMtu: pathMtu ?? no,
    tunOpen: no,
    tunWrite: no,
    ifConfigure: no,
    close: () => undefined,
    constants: { META_FIELDS: 5, MAX_SLOTS: 1024, FLAG_TRUNCATED: 1, ERR_QUOTE_BYTES: 576 },
  };
  return { rig: r, binding };
}

function withBinding<T>(b: NativeBinding, fn: () => T): T {
  setNativeForTesting(b);
  try {
    return fn();
  } finally {
    setNativeForTesting(undefined);
  }
}

/** Puts a datagram with an IPv4 header of `ihlWords` words into slot i. */
function put(r: Rig, i: number, slotBytes: number, ihlWords: number, gre: number[], src: number, flags = 0, version = 4): void {
  const off = i * slotBytes;
  r.rx[off] = (version << 4) | ihlWords;
  r.rx.set(gre, off + ihlWords * 4);
  r.meta.set([off, ihlWords * 4 + gre.length, src, flags, 0x0a0000fe], i * META_FIELDS);
}

test('receive: IPv4 headers (with options) skipped; truncated and malformed datagrams compacted away and counted', () => {
  const { rig: r, binding } = rig();
  const s = withBinding(binding, () => openGreSocket({ batchSize: 8, maxDatagramBytes: 256 }));
  const seen: number[][] = [];
  s.onPackets((b) => {
    for (let i = 0; i < b.count; i++) seen.push([b.source(i), ...b.packet(i)]);
    for (let i = 0; i < b.count; i++) assert.equal(b.local(i), 0x0a0000fe);
  });
  put(r, 0, 256, 5, [0x30, 0x01, 1], 0x0a000001);
  put(r, 1, 256, 5, [0x30, 0x01, 2], 0x0a000002, 1); // truncated
  put(r, 2, 256, 7, [0x30, 0x01, 3], 0x0a000003); // 8 bytes of IP options
  put(r, 3, 256, 4, [0x30, 0x01, 4], 0x0a000004); // IHL below 5
  put(r, 4, 256, 5, [0x30, 0x01, 5], 0x0a000005, 0, 6); // not IPv4
  r.read(5);
  assert.deepEqual(seen, [
    [0x0a000001, 0x30, 0x01, 1],
    [0x0a000003, 0x30, 0x01, 3],
  ]);
  assert.deepEqual({ ...s.stats }, { ...s.stats, rxPackets: 2, rxBatches: 1, rxTruncated: 1, rxMalformed: 2 });
  assert.equal(r.opts['slots'], 8);
  assert.equal(r.opts['pmtuProbe'], false);
});

test('receive: a batch of only bad datagrams → no callback', () => {
  const { rig: r, binding } = rig();
  const s = withBinding(binding, () => openGreSocket({ batchSize: 2, maxDatagramBytes: 128 }));
  let calls = 0;
  s.onPackets(() => calls++);
  put(r, 0, 128, 5, [1], 1, 1);
  r.read(1);
  assert.equal(calls, 0);
});

const entry = (o: Partial<Parameters<NativeErrorCallback>[0] & object>): Parameters<NativeErrorCallback>[0] => ({
  errno: 'EMSGSIZE', errnoNumber: 90, origin: 2, type: 3, code: 4, info: 1400, dst: 0x0a4e0102, offender: 0x0a4e0201, quoted: Uint8Array.of(0x30, 1), ...o,
});

test('ICMP entries → classified events; local-origin entries counted, not reported twice', () => {
  const { rig: r, binding } = rig();
  const s = withBinding(binding, () => openGreSocket());
  const got: IcmpErrorEvent[] = [];
  const errors: Error[] = [];
  s.onIcmpError((e) => got.push(e));
  s.onError((e) => errors.push(e));
  r.error(entry({}));
  r.error(entry({ type: 3, code: 1, errno: 'EHOSTUNREACH', info: 0 }));
  r.error(entry({ type: 3, code: 13, errno: 'EHOSTUNREACH', info: 0 }));
  r.error(entry({ type: 11, code: 0, errno: 'EHOSTUNREACH', info: 0, offender: undefined }));
  r.error(entry({ type: 12, code: 0, errno: 'EPROTO', info: 0 }));
  r.error(entry({ origin: 1, type: 0, code: 0 })); // SO_EE_ORIGIN_LOCAL: the send already failed
  r.error(Object.assign(new Error('recvmmsg: Bad address'), { code: 'EFAULT' }));
  assert.deepEqual(got.map((e) => [e.kind, e.mtu]), [
    ['frag-needed', 1400],
    ['unreachable', undefined],
    ['unreachable', undefined],
    ['time-exceeded', undefined],
    ['parameter-problem', undefined],
  ]);
  assert.equal(got[0]!.dst, '10.78.1.2');
  assert.equal(got[0]!.offender, '10.78.2.1');
  assert.equal(got[3]!.offender, undefined);
  assert.equal(s.stats.icmpErrors, 5);
  assert.equal(s.stats.localErrors, 1);
  assert.equal(errors.length, 1);
  assert.equal(s.stats.rxErrors, 1);
});

test('send: EMSGSIZE → event with the path MTU; EAGAIN → counted drop, no event', () => {
  const { errno } = constants;
  const { binding } = rig(
    (_h, _d, meta, count) => {
      meta[3] = 0;
      meta[META_FIELDS + 3] = errno.EMSGSIZE;
      meta[2 * META_FIELDS + 3] = errno.EAGAIN;
      return count - 2;
    },
    (_h, dst) => (dst === parseIpv4('10.0.0.2') ? 1400 : 1500),
  );
  const s = withBinding(binding, () => openGreSocket());
  const ev: SendErrorEvent[] = [];
  s.onSendError((e) => ev.push(e));
  const tx = new TxBatch(3);
  tx.push(parseIpv4('10.0.0.1')!, new Uint8Array(10));
  tx.push(parseIpv4('10.0.0.2')!, new Uint8Array(1480));
  tx.push(parseIpv4('10.0.0.3')!, new Uint8Array(10));
  assert.equal(s.send(tx), 1);
  assert.deepEqual(ev, [{ errno: 'EMSGSIZE', dst: '10.0.0.2', dstAddr: parseIpv4('10.0.0.2'), bytes: 1480, mtu: 1400 }]);
  assert.deepEqual([s.stats.txPackets, s.stats.txFailed, s.stats.txDroppedFull], [1, 1, 1]);
});

test('close: callbacks dropped, later events ignored', () => {
  const { rig: r, binding } = rig();
  const s = withBinding(binding, () => openGreSocket({ batchSize: 1, maxDatagramBytes: 64 }));
  let n = 0;
  s.onPackets(() => n++);
  s.close();
  put(r, 0, 64, 5, [1], 1);
  r.read(1);
  assert.equal(n, 0);
});
