/**
 * The proposal strings of ipsec.conf, read into our allow-lists, so a
 * strongSwan or libreswan site's `ike=`/`esp=`/`phase2alg=` carry over:
 *
 *   strongSwan:  ike=aes256-sha1-modp2048,aes128-sha256-ecp256!   esp=aes128gcm16,aes128-sha1
 *   libreswan:   ike=aes256-sha2;modp2048,aes128-sha1             phase2alg=aes_gcm-null,aes256-sha2_512
 *
 * A proposal is a run of algorithm names joined by `-` (libreswan puts the
 * DH group after `;`); each name is an encryption, an integrity or a DH
 * group, and a proposal stands for every combination of its names
 * (strongSwan's `aes256-aes128-sha1-modp2048` is two suites). A trailing `!`
 * (strongSwan's "strict") is accepted and changes nothing: we only ever use
 * the list given. A Phase 1 proposal without a group takes libreswan's IKEv1
 * defaults (MODP2048, MODP1536); an ESP one with a group asks for PFS. Names
 * we do not implement are errors naming the name, never silently skipped.
 */
import { DH_GROUP, ESP_TRANSFORM, P1_ENCR, P1_HASH, P2_AUTH } from './constants.js';
import type { EspProposalSuite } from './esp-proposals.js';
import type { Phase1Suite } from './phase1-proposals.js';

type Enc = { kind: 'enc'; p1?: { encryption: number; keyLengthBits?: number }; esp?: { transformId: number; keyLengthBits?: number }; aead: boolean };
type Integ = { kind: 'integ'; p1?: number; esp?: number | 'none' };
type Group = { kind: 'group'; group: number };
type Token = Enc | Integ | Group;

const aes = (bits: number): Enc => ({ kind: 'enc', p1: { encryption: P1_ENCR.AES_CBC, keyLengthBits: bits }, esp: { transformId: ESP_TRANSFORM.AES_CBC, keyLengthBits: bits }, aead: false });
const gcm = (bits: number): Enc => ({ kind: 'enc', esp: { transformId: ESP_TRANSFORM.AES_GCM_16, keyLengthBits: bits }, aead: true });

/** Every name we know, in strongSwan's and libreswan's spellings. */
const NAMES: Record<string, Token> = {
  aes: aes(128), aes128: aes(128), aes192: aes(192), aes256: aes(256),
  '3des': { kind: 'enc', p1: { encryption: P1_ENCR['3DES_CBC'] }, esp: { transformId: ESP_TRANSFORM['3DES'] }, aead: false },
  aes128gcm16: gcm(128), aes256gcm16: gcm(256), aes128gcm128: gcm(128), aes256gcm128: gcm(256),
  aes_gcm: gcm(128), aes_gcm16: gcm(128), aes_gcm128: gcm(128), aes_gcm_c: gcm(128), aes_gcm256: gcm(256), aes_gcm16_128: gcm(128), aes_gcm16_256: gcm(256),
  md5: { kind: 'integ', p1: P1_HASH.MD5 },
  sha: { kind: 'integ', p1: P1_HASH.SHA1, esp: P2_AUTH.HMAC_SHA1 }, sha1: { kind: 'integ', p1: P1_HASH.SHA1, esp: P2_AUTH.HMAC_SHA1 },
  sha2: { kind: 'integ', p1: P1_HASH.SHA2_256, esp: P2_AUTH.HMAC_SHA2_256 }, sha256: { kind: 'integ', p1: P1_HASH.SHA2_256, esp: P2_AUTH.HMAC_SHA2_256 }, sha2_256: { kind: 'integ', p1: P1_HASH.SHA2_256, esp: P2_AUTH.HMAC_SHA2_256 },
  sha384: { kind: 'integ', p1: P1_HASH.SHA2_384, esp: P2_AUTH.HMAC_SHA2_384 }, sha2_384: { kind: 'integ', p1: P1_HASH.SHA2_384, esp: P2_AUTH.HMAC_SHA2_384 },
  sha512: { kind: 'integ', p1: P1_HASH.SHA2_512, esp: P2_AUTH.HMAC_SHA2_512 }, sha2_512: { kind: 'integ', p1: P1_HASH.SHA2_512, esp: P2_AUTH.HMAC_SHA2_512 },
  null: { kind: 'integ', esp: 'none' },
  modp1024: { kind: 'group', group: DH_GROUP.MODP_1024 }, dh2: { kind: 'group', group: DH_GROUP.MODP_1024 },
  modp1536: { kind: 'group', group: DH_GROUP.MODP_1536 }, dh5: { kind: 'group', group: DH_GROUP.MODP_1536 },
  modp2048: { kind: 'group', group: DH_GROUP.MODP_2048 }, dh14: { kind: 'group', group: DH_GROUP.MODP_2048 },
  ecp256: { kind: 'group', group: DH_GROUP.ECP_256 }, dh19: { kind: 'group', group: DH_GROUP.ECP_256 },
  ecp384: { kind: 'group', group: DH_GROUP.ECP_384 }, dh20: { kind: 'group', group: DH_GROUP.ECP_384 },
};

/** libreswan's IKEv1 default groups when a proposal names none. */
const DEFAULT_P1_GROUPS = [DH_GROUP.MODP_2048, DH_GROUP.MODP_1536];

/** A parse result: the suites, or what is wrong in the words of the config line. */
export type ProposalParse<T> = { ok: true; suites: T[] } | { ok: false; error: string };

function tokens(proposal: string): { names: Token[] } | { error: string } {
  const names: Token[] = [];
  for (const raw of proposal.split(/[-;]/)) {
    const name = raw.trim().toLowerCase();
    if (name === '') return { error: `empty algorithm name in '${proposal}'` };
    const t = NAMES[name];
    if (!t) return { error: `unknown or unsupported algorithm '${name}' in '${proposal}'` };
    names.push(t);
  }
  return { names };
}

/** One proposal's algorithms sorted by kind. */
function byKind(proposal: string): { encs: Enc[]; integs: Integ[]; groups: number[] } | { error: string } {
  const t = tokens(proposal);
  if ('error' in t) return t;
  return {
    encs: t.names.filter((x): x is Enc => x.kind === 'enc'),
    integs: t.names.filter((x): x is Integ => x.kind === 'integ'),
    groups: t.names.filter((x): x is Group => x.kind === 'group').map((g) => g.group),
  };
}

function proposals(value: string): string[] {
  return value.trim().replace(/!$/, '').split(',').map((p) => p.trim()).filter((p) => p !== '');
}

/** Reads an `ike=` value into Phase 1 suites (deduplicated, in order). */
export function parseIkeProposals(value: string): ProposalParse<Phase1Suite> {
  const out: Phase1Suite[] = [];
  const list = proposals(value);
  if (list.length === 0) return { ok: false, error: 'no proposal' };
  for (const p of list) {
    const t = byKind(p);
    if ('error' in t) return { ok: false, error: t.error };
    const { encs, integs, groups } = t;
    if (encs.length === 0 || integs.length === 0) return { ok: false, error: `'${p}' needs an encryption and a hash (e.g. aes256-sha1-modp2048)` };
    const bad = encs.find((e) => !e.p1) ?? integs.find((i) => i.p1 === undefined);
    if (bad) return { ok: false, error: `'${p}': ${bad.kind === 'enc' ? 'AES-GCM' : 'null integrity'} is for ESP, not IKEv1 Phase 1` };
    for (const e of encs) for (const i of integs) for (const g of groups.length ? groups : DEFAULT_P1_GROUPS) {
      const s: Phase1Suite = { encryption: e.p1!.encryption, hash: i.p1!, group: g, ...(e.p1!.keyLengthBits !== undefined ? { keyLengthBits: e.p1!.keyLengthBits } : {}) };
      if (!out.some((o) => o.encryption === s.encryption && o.keyLengthBits === s.keyLengthBits && o.hash === s.hash && o.group === s.group)) out.push(s);
    }
  }
  return { ok: true, suites: out };
}

/** An ESP suite and the PFS group it asks for, if any. */
export interface EspProposal {
  suite: EspProposalSuite;
  pfsGroup: number | undefined;
}

/** Reads an `esp=` or `phase2alg=` value into ESP suites (deduplicated, in order). */
export function parseEspProposals(value: string): ProposalParse<EspProposal> {
  const out: EspProposal[] = [];
  const list = proposals(value);
  if (list.length === 0) return { ok: false, error: 'no proposal' };
  for (const p of list) {
    const t = byKind(p);
    if ('error' in t) return { ok: false, error: t.error };
    const { encs, integs, groups } = t;
    if (encs.length === 0) return { ok: false, error: `'${p}' needs an encryption (e.g. aes128-sha1 or aes128gcm16)` };
    for (const e of encs) {
      if (!e.esp) return { ok: false, error: `'${p}': not an ESP encryption` };
      if (e.esp.transformId === ESP_TRANSFORM.AES_CBC && e.esp.keyLengthBits === 192) return { ok: false, error: `'${p}': AES-192 is not implemented for ESP (use aes128 or aes256)` };
      // AEAD takes no integrity (libreswan writes aes_gcm-null); CBC needs one.
      const auths: (number | undefined)[] = e.aead ? [undefined] : integs.filter((i) => i.esp !== 'none').map((i) => i.esp as number | undefined);
      if (!e.aead && (auths.length === 0 || auths.some((a) => a === undefined))) return { ok: false, error: `'${p}': ESP with CBC needs an integrity of sha1, sha256, sha384 or sha512 (md5 and null are refused)` };
      for (const auth of auths) for (const g of groups.length ? groups : [undefined]) {
        const suite: EspProposalSuite = { transformId: e.esp.transformId, ...(e.esp.keyLengthBits !== undefined ? { keyLengthBits: e.esp.keyLengthBits } : {}), ...(auth !== undefined ? { auth } : {}) };
        if (!out.some((o) => o.suite.transformId === suite.transformId && o.suite.keyLengthBits === suite.keyLengthBits && o.suite.auth === suite.auth && o.pfsGroup === g)) out.push({ suite, pfsGroup: g });
      }
    }
  }
  return { ok: true, suites: out };
}
