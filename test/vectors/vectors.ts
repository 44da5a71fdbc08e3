/**
 * Typed access to the JSON test vectors in this folder. Each file keeps the
 * `source` (and `from_rfc`) fields of where its values come from; see
 * /work/shared/testdata/vectors/README.md for the two RFC 3079 misprints.
 */
import { readFileSync } from 'node:fs';

/** Reads and parses `test/vectors/<name>` as `T` (the caller states the shape). */
export function loadVector<T>(name: string): T & { source: string } {
  return JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8')) as T & { source: string };
}

/** Hex as printed in the RFCs (spaces allowed) → lower-case hex without spaces. */
export function normHex(s: string): string {
  return s.replace(/\s+/g, '').toLowerCase();
}

export interface Md4Vectors { cases: { input_ascii: string; md4: string }[] }
export interface Rc4Vectors { cases: { key_bits: number; key: string; keystream: { offset: number; bytes: string }[] }[] }
export interface DesVectors { cases: { name: string; key: string; plaintext: string; ciphertext: string }[] }
export interface DesKeyExample {
  Password_utf16le: string; PasswordHash: string;
  FirstRawDESKey: string; FirstParityCorrectedDESKey: string; SecondRawDESKey: string; SecondParityCorrectedDESKey: string;
}
export interface MsChapV2Vectors {
  UserName: string; Password_ascii: string; AuthenticatorChallenge: string; PeerChallenge: string; Challenge: string;
  PasswordHash: string; 'NT-Response': string; PasswordHashHash: string; AuthenticatorResponse: string;
}
export interface MsChapV1Vectors { Password_ascii: string; Challenge: string; NtPasswordHash: string; NtChallengeResponse: string }
export interface ChapMd5Vectors { cases: { name: string; identifier: number; secret: string; challenge: string; response: string }[] }
export interface Rfc3079V2Vectors {
  inputs: { UserName: string; Password_ascii: string; AuthenticatorChallenge: string; PeerChallenge: string; 'NT-Response': string };
  PasswordHashHash: string; MasterKey: string;
  keys: Record<'40' | '56' | '128', { SendStartKey: string; SendSessionKey: string; rc4_test_message: string }>;
  rc4_plaintext_ascii: string;
  computed_receive_keys: { keys: Record<'40' | '56' | '128', Record<string, string>> };
}
export interface Rfc3079V1Vectors {
  keys: {
    '40': { LmPasswordHash: string; SessionKey_after_GetKey8: string; SessionKey_40bit: string };
    '56': { LmPasswordHash: string; SessionKey_56bit: string };
    '128': { Challenge: string; PasswordHashHash: string; InitialSessionKey_correct: string; CurrentSessionKey_after_GetKey: string };
  };
}
export interface ChapcrackVectors {
  username: string; password: string; authenticator_name: string;
  handshakes: { chap_identifier: number; AuthenticatorChallenge: string; ResponseValue: string; PeerChallenge: string; 'NT-Response': string;
    AuthenticatorResponse: string; SuccessMessage: string; password_known: boolean }[];
}
export interface MppePacketVectors {
  cases: { strength: 40 | 56 | 128; stateless: boolean; start_key: string; packets: Record<string, string> }[];
}
/** MPPE headers seen in real captures (pcap-mppe-headers.json). */
export interface PcapMppeHeaders {
  captures: { file: string; directions: Record<string, { ccp: { frame: number; hex: string }[]; mppe: [string, number][] }> }[];
}
/** Raw CHAP packets from real captures (pcap-chap-packets.json). */
export interface PcapChapPackets {
  captures: { file: string; password: string | null; challenge: string; response: string; success: string }[];
}
