/**
 * MPPE start keys (RFC 3079). Authentication produces `MppeKeyMaterial`;
 * `mppeStartKeys` turns it into the start key of each direction, and the
 * encrypter/decrypter (mppe.ts) derive the initial session key from that with
 * GetNewKeyFromSHA(StartKey, StartKey) plus the 40/56-bit salt.
 *
 * Implements RFC 3079 §2 (MS-CHAPv1: §2.1–2.4) and §3 (MS-CHAPv2: §3.1–3.4).
 * Read RFC 3079 §3.4 before editing: the magic strings and the IsSend/IsServer
 * table must match Windows byte for byte. Left out: EAP-TLS keys (§4).
 *
 * Vectors: test/fixtures/vectors/rfc3079-*.json. The RFC §3.5 samples are the
 * server's send key (= the client's receive key).
 */
import { createHash } from 'node:crypto';
import { LocalUsageError } from '../../core/errors.js';
import { mppeKeyLength, type MppeStrength } from './options.js';

/**
 * What authentication hands to MPPE, tagged by origin:
 * - `mschap-v1`: RFC 3079 §2. 128-bit keys come from GetStartKey(Challenge,
 *   NtPasswordHashHash). 40/56-bit keys come from the first 8 octets of the
 *   LAN Manager hash when `lmKey` is present (RFC 3079 §2.1–2.2, Windows),
 *   else from the first 8 octets of GetStartKey (pppd, accel-ppp). Both
 *   directions use the same key.
 * - `mschap-v2`: RFC 3079 §3. The 16-octet MasterKey =
 *   GetMasterKey(PasswordHashHash, NT-Response); directions differ.
 * - `start-keys`: keys a RADIUS server returned in MS-MPPE-Send-Key and
 *   MS-MPPE-Recv-Key (RFC 2548 §2.4.2–2.4.3), named from the server's (NAS's)
 *   point of view: `serverSend` encrypts server → client.
 */
export type MppeKeyMaterial =
  | {
      kind: 'mschap-v1';
      /** The 8-octet authenticator challenge of the first authentication. */
      challenge: Uint8Array;
      /** MD4(MD4(UTF-16LE password)), 16 octets. */
      ntPasswordHashHash: Uint8Array;
      /**
       * First 8 octets of LmPasswordHash (RFC 3079 §2.1–2.2), present only
       * when 40/56-bit keys follow Windows (the peer sent an LM response; see
       * msChapV1KeyMaterial). Absent: 40/56-bit keys are the NT-derived key
       * truncated, as pppd derives them for every strength.
       */
      lmKey?: Uint8Array;
    }
  | {
      kind: 'mschap-v2';
      /** GetMasterKey(PasswordHashHash, NTResponse), 16 octets (RFC 3079 §3.4). */
      masterKey: Uint8Array;
    }
  | {
      kind: 'start-keys';
      /** Key for server → client traffic (MS-MPPE-Send-Key), ≥ 8 or 16 octets. */
      serverSend: Uint8Array;
      /** Key for client → server traffic (MS-MPPE-Recv-Key). */
      serverRecv: Uint8Array;
    };

/** The start key of each direction, from one end's point of view. */
export interface MppeStartKeys {
  /** Start key for what this end encrypts. */
  send: Uint8Array;
  /** Start key for what this end decrypts. */
  recv: Uint8Array;
}

/** RFC 3079 §3.4 SHSpad1: 40 zero octets. */
const SHS_PAD1 = new Uint8Array(40);
/** RFC 3079 §3.4 SHSpad2: 40 octets of 0xF2. */
const SHS_PAD2 = new Uint8Array(40).fill(0xf2);
const MAGIC1 = ascii('This is the MPPE Master Key');
const MAGIC2 = ascii('On the client side, this is the send key; on the server side, it is the receive key.');
const MAGIC3 = ascii('On the client side, this is the receive key; on the server side, it is the send key.');

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function sha1(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** RFC 3079 §3.4 GetMasterKey(PasswordHashHash, NTResponse): 16 octets. */
export function getMasterKey(passwordHashHash: Uint8Array, ntResponse: Uint8Array): Uint8Array {
  return sha1(passwordHashHash.subarray(0, 16), ntResponse.subarray(0, 24), MAGIC1).slice(0, 16);
}

/**
 * RFC 3079 §3.4 GetAsymmetricStartKey. The server's send key uses Magic3 and
 * the client's send key Magic2, so one end's send key is the other's receive key.
 */
export function getAsymmetricStartKey(masterKey: Uint8Array, keyLength: 8 | 16, isSend: boolean, isServer: boolean): Uint8Array {
  const magic = isSend === isServer ? MAGIC3 : MAGIC2;
  return sha1(masterKey.subarray(0, 16), SHS_PAD1, magic, SHS_PAD2).slice(0, keyLength);
}

/** RFC 3079 §2.4 Get_Start_Key(Challenge, NtPasswordHashHash): 16 octets. */
export function getStartKeyV1(challenge: Uint8Array, ntPasswordHashHash: Uint8Array): Uint8Array {
  return sha1(ntPasswordHashHash.subarray(0, 16), ntPasswordHashHash.subarray(0, 16), challenge.subarray(0, 8)).slice(0, 16);
}

/**
 * RFC 3078 §7.3 GetNewKeyFromSHA (= RFC 3079 §2.4 Get_Key): the first
 * `keyLength` octets of SHA1(StartKey | pad1 | SessionKey | pad2).
 */
export function getNewKeyFromSha(startKey: Uint8Array, sessionKey: Uint8Array, keyLength: number): Uint8Array {
  return sha1(startKey.subarray(0, keyLength), SHS_PAD1, sessionKey.subarray(0, keyLength), SHS_PAD2).slice(0, keyLength);
}

/**
 * Reduces a session key to its effective strength in place (RFC 3078 §7.3,
 * RFC 3079 §2.1–2.2): 40-bit keys start D1 26 9E, 56-bit keys start D1.
 */
export function saltSessionKey(key: Uint8Array, strength: MppeStrength): void {
  if (strength === 40) {
    key[0] = 0xd1;
    key[1] = 0x26;
    key[2] = 0x9e;
  } else if (strength === 56) {
    key[0] = 0xd1;
  }
}

/**
 * The initial session key from a start key (RFC 3079 §2.4/§3.1–3.3):
 * GetNewKeyFromSHA(StartKey, StartKey) without an RC4 pass, then the salt.
 */
export function initialSessionKey(startKey: Uint8Array, strength: MppeStrength): Uint8Array {
  const len = mppeKeyLength(strength);
  if (startKey.length < len) throw new LocalUsageError(`MPPE-${strength} needs a start key of ${len} octets, got ${startKey.length}`);
  const key = getNewKeyFromSha(startKey, startKey, len);
  saltSessionKey(key, strength);
  return key;
}

/**
 * The start keys of both directions for one end of the link. Pass the
 * result's `send` to MppeEncrypter and `recv` to MppeDecrypter. Keys are
 * 8 octets for 40/56-bit and 16 for 128-bit.
 */
export function mppeStartKeys(material: MppeKeyMaterial, strength: MppeStrength, role: 'server' | 'client'): MppeStartKeys {
  const len = mppeKeyLength(strength);
  switch (material.kind) {
    case 'mschap-v1': {
      // RFC 3079 §2: one key for both directions.
      const key =
        len === 8 && material.lmKey !== undefined && material.lmKey.length >= 8
          ? material.lmKey.slice(0, 8)
          : getStartKeyV1(material.challenge, material.ntPasswordHashHash).slice(0, len);
      return { send: key, recv: key.slice() };
    }
    case 'mschap-v2': {
      const isServer = role === 'server';
      return {
        send: getAsymmetricStartKey(material.masterKey, len, true, isServer),
        recv: getAsymmetricStartKey(material.masterKey, len, false, isServer),
      };
    }
    case 'start-keys': {
      if (material.serverSend.length < len || material.serverRecv.length < len) {
        throw new LocalUsageError(`MPPE-${strength} needs ${len}-octet keys from the backend`);
      }
      const s = material.serverSend.slice(0, len);
      const r = material.serverRecv.slice(0, len);
      return role === 'server' ? { send: s, recv: r } : { send: r, recv: s };
    }
  }
}
