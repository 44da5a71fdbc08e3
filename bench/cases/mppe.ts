/**
 * MPPE-128 throughput on 1400-octet packets: stateful and stateless,
 * encrypt and decrypt, against node:crypto AES-128-CTR and ChaCha20 over the
 * same bytes in the same run (OpenSSL, native code) as the baseline.
 *
 * "encrypt+decrypt" is the payload octets divided by the time to encrypt
 * them and decrypt them again (both directions of one hop). Stateless mode
 * changes the key on every packet (SHA-1 and two RC4 key schedules), so it
 * is dominated by that per-packet cost.
 *
 * Rows come twice: with the RC4/SHA-1 the server uses (native, from the
 * OpenSSL in the node executable, when the addon has them) and with the
 * TypeScript reference implementation.
 */
import { createCipheriv } from 'node:crypto';
import { MppeDecrypter, MppeEncrypter } from '../../src/ppp/mppe/mppe.js';
import { mppeStartKeys } from '../../src/ppp/mppe/keys.js';
import { TYPESCRIPT_MPPE_PRIMITIVES, type MppePrimitives } from '../../src/ppp/mppe/primitives.js';
import { nativeMppePrimitives } from '../../src/io/native-crypto.js';
import { opsPerSecond, type BenchCase, type BenchRow } from '../types.js';

const PACKET = 1400;

function mppeRows(stateless: boolean, primitives: MppePrimitives): BenchRow[] {
  const native = primitives !== TYPESCRIPT_MPPE_PRIMITIVES;
  const mode = `${stateless ? 'stateless' : 'stateful'}${native ? ' (native RC4/SHA-1)' : ' (TypeScript)'}`;
  const keys = mppeStartKeys({ kind: 'mschap-v2', masterKey: new Uint8Array(16).fill(0x5a) }, 128, 'server');
  const opts = { strength: 128 as const, stateless, primitives };
  const enc = new MppeEncrypter(keys.send, opts);
  const dec = new MppeDecrypter(keys.send, opts);
  const payload = new Uint8Array(PACKET).map((_, k) => k);
  payload[0] = 0x00;
  payload[1] = 0x21;
  const wire = new Uint8Array(PACKET + 2);
  const plain = new Uint8Array(PACKET);
  let bad = 0;
  const roundTrip = opsPerSecond(() => {
    enc.encrypt(payload, wire, 0);
    if (dec.decrypt(wire, plain, 0) !== PACKET) bad++;
  }, 1500);
  const encOnly = opsPerSecond(() => {
    enc.encrypt(payload, wire, 0);
  }, 1000);
  if (bad) throw new Error(`${bad} packets failed to decrypt`);
  if (plain[2] !== payload[2] || plain[PACKET - 1] !== payload[PACKET - 1]) throw new Error('round trip mismatch');
  const goal = stateless || !native ? undefined : '>= 300';
  return [
    { bench: 'mppe', metric: `MPPE-128 ${mode} encrypt+decrypt`, value: (roundTrip * PACKET) / 1e6, unit: 'MB/s', ...(goal ? { goal } : {}), note: `${(1e9 / roundTrip).toFixed(0)} ns/packet round trip` },
    { bench: 'mppe', metric: `MPPE-128 ${mode} encrypt only`, value: (encOnly * PACKET) / 1e6, unit: 'MB/s', note: `${(1e9 / encOnly).toFixed(0)} ns/packet` },
  ];
}

function baselineRow(alg: 'aes-128-ctr' | 'chacha20'): BenchRow {
  const key = new Uint8Array(alg === 'chacha20' ? 32 : 16).fill(7);
  const iv = new Uint8Array(16);
  const data = new Uint8Array(PACKET);
  // One long-lived cipher per direction, fed packet after packet, like MPPE's stateful RC4.
  const e = createCipheriv(alg, key, iv);
  const d = createCipheriv(alg, key, iv);
  const ops = opsPerSecond(() => {
    d.update(e.update(data));
  }, 1000);
  return { bench: 'mppe', metric: `baseline node:crypto ${alg} encrypt+decrypt`, value: (ops * PACKET) / 1e6, unit: 'MB/s', note: `${(1e9 / ops).toFixed(0)} ns/packet (OpenSSL, native)` };
}

export const benchmarks: BenchCase[] = [
  {
    name: 'mppe',
    async run() {
      const native = nativeMppePrimitives();
      const sets = native ? [native, TYPESCRIPT_MPPE_PRIMITIVES] : [TYPESCRIPT_MPPE_PRIMITIVES];
      const rows = sets.flatMap((p) => [...mppeRows(false, p), ...mppeRows(true, p)]);
      return [...rows, baselineRow('aes-128-ctr'), baselineRow('chacha20')];
    },
  },
];
