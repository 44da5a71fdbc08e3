/**
 * A small RADIUS server for tests, made from our own codec on loopback: PAP
 * (User-Password) and CHAP-MD5 (CHAP-Password, with CHAP-Challenge or the
 * Request Authenticator as the challenge, RFC 2865 §5.3) users with reply
 * attributes; Accounting-Requests are recorded and answered. With `hold`,
 * Access-Requests wait until `release()` (a slow backend, for races).
 * FreeRADIUS itself is in freeradius.ts.
 */
import { createHash } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import {
  ATTR,
  RADIUS_CODE,
  attrText,
  encodeRadiusPacket,
  findAttr,
  parseRadiusPacket,
  signResponse,
  unhidePassword,
  type RadiusAttribute,
  type RadiusPacket,
} from '../../src/radius/codec.js';

/** A user of the fake server. */
export interface FakeRadiusUser {
  password: string;
  reply?: RadiusAttribute[];
}

/** A running fake server. */
export interface FakeRadius {
  sock: Socket;
  port: number;
  secret: string;
  /** Accounting-Requests received, in order. */
  acct: RadiusPacket[];
  /** Access-Requests received, in order (answered or held). */
  access: RadiusPacket[];
  /** Held Access-Requests still unanswered. */
  readonly held: number;
  /** Answers the held Access-Requests (the first `n`, default all), in order. */
  release(n?: number): void;
  close(): void;
}

function chapMd5Good(p: RadiusPacket, password: string): boolean {
  const cp = findAttr(p, ATTR.CHAP_PASSWORD);
  if (cp === undefined || cp.length !== 17) return false;
  const challenge = findAttr(p, ATTR.CHAP_CHALLENGE) ?? p.authenticator;
  const want = createHash('md5').update(cp.subarray(0, 1)).update(password).update(challenge).digest();
  return Buffer.compare(want, cp.subarray(1)) === 0;
}

/** Starts the fake server on `address` (an ephemeral port). */
export async function startFakeRadius(users: Record<string, FakeRadiusUser>, opts: { secret?: string; address?: string; hold?: boolean } = {}): Promise<FakeRadius> {
  const secret = opts.secret ?? 'fake-secret';
  const address = opts.address ?? '127.0.0.1';
  const sock = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  const acct: RadiusPacket[] = [];
  const access: RadiusPacket[] = [];
  const held: (() => void)[] = [];
  const answer = (p: RadiusPacket, code: number, attrs: RadiusAttribute[], rinfo: RemoteInfo): void => {
    const out = signResponse(encodeRadiusPacket({ code, identifier: p.identifier, authenticator: new Uint8Array(16), attributes: attrs }), p.authenticator, secret);
    sock.send(out, rinfo.port, rinfo.address);
  };
  sock.on('message', (m, rinfo) => {
    const r = parseRadiusPacket(new Uint8Array(m));
    if (!r.ok) return;
    const p = r.value;
    if (p.code === RADIUS_CODE.ACCOUNTING_REQUEST) {
      acct.push(p);
      answer(p, RADIUS_CODE.ACCOUNTING_RESPONSE, [], rinfo);
      return;
    }
    if (p.code !== RADIUS_CODE.ACCESS_REQUEST) return;
    access.push(p);
    const u = users[attrText(findAttr(p, ATTR.USER_NAME) ?? new Uint8Array())];
    let good = false;
    if (u !== undefined) {
      const hidden = findAttr(p, ATTR.USER_PASSWORD);
      if (hidden !== undefined) {
        const pw = unhidePassword(hidden, secret, p.authenticator);
        good = pw.ok && new TextDecoder().decode(pw.value) === u.password;
      } else good = chapMd5Good(p, u.password);
    }
    const reply = (): void => answer(p, good ? RADIUS_CODE.ACCESS_ACCEPT : RADIUS_CODE.ACCESS_REJECT, good ? (u?.reply ?? []) : [], rinfo);
    if (opts.hold) held.push(reply);
    else reply();
  });
  await new Promise<void>((r) => sock.bind(0, address, () => r()));
  return {
    sock,
    port: sock.address().port,
    secret,
    acct,
    access,
    get held() {
      return held.length;
    },
    release(n = held.length) {
      for (const f of held.splice(0, n)) f();
    },
    close: () => sock.close(),
  };
}
