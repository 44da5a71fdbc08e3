/**
 * A scripted PPP peer for hostile tests: it speaks just enough LCP to get a
 * server to its authentication phase (acks every Configure-Request, sends an
 * empty one of its own, answers Echo and Terminate), and lets the test decide
 * each CHAP Response — including ones no honest client sends (a Value of the
 * wrong size, another user's name) — and when to renegotiate LCP.
 *
 * Transport-neutral: `send` gets whole PPP frames (FF 03, 2-octet protocol);
 * feed the server's frames to `receive`. Used in-process against a PppLink
 * and, over L2TP, by the black-box attack scripts in test/hostile/net/attacks.
 */
import { CP_CODE, PPP_PROTO } from '../../src/ppp/protocols.js';
import { encodeCpPacket, parseCpPacket } from '../../src/ppp/fsm/packet.js';
import { CHAP_CODE, encodeChapPacket, parseChapPacket } from '../../src/ppp/auth/packets.js';
import { chapMd5Response as chapMd5 } from '../../src/ppp/auth/mschap.js';

/** A CHAP Challenge as the peer saw it. */
export interface SeenChallenge {
  identifier: number;
  value: Uint8Array;
}

/** What to answer a Challenge with; undefined sends nothing. */
export type ChallengeAnswer = { value: Uint8Array; name: string | Uint8Array } | undefined;

/** The CHAP-MD5 Response Value (RFC 1994 §4.1) for a text secret. */
export function chapMd5Response(identifier: number, secret: string, challenge: Uint8Array): Uint8Array {
  return chapMd5(identifier, new TextEncoder().encode(secret), challenge);
}

/** The scripted peer. */
export class ScriptedPppPeer {
  /** Challenges received, in order. */
  readonly challenges: SeenChallenge[] = [];
  /** CHAP outcomes received ('success' | 'failure'), in order. */
  readonly outcomes: ('success' | 'failure')[] = [];
  /** LCP Terminate-Requests received. */
  terminated = 0;
  /** Times the server acked our Configure-Request (LCP reached Opened from our side). */
  lcpAcked = 0;
  private lcpId = 0;

  constructor(
    private readonly send: (frame: Uint8Array) => void,
    private readonly answer: (c: SeenChallenge, n: number) => ChallengeAnswer,
  ) {}

  /** Sends our (empty) LCP Configure-Request: at the start, and again to renegotiate LCP. */
  configureRequest(): void {
    this.lcp(CP_CODE.CONFIGURE_REQUEST, ++this.lcpId & 0xff, new Uint8Array(0));
  }

  /** One frame from the server. */
  receive(frame: Uint8Array): void {
    let o = 0;
    if (frame[0] === 0xff && frame[1] === 0x03) o = 2;
    if (frame.length < o + 2) return;
    const proto = (frame[o]! & 1) === 1 ? frame[o]! : (frame[o]! << 8) | frame[o + 1]!;
    const info = frame.subarray(o + ((frame[o]! & 1) === 1 ? 1 : 2));
    if (proto === PPP_PROTO.LCP) this.onLcp(info);
    else if (proto === PPP_PROTO.CHAP) this.onChap(info);
  }

  private onLcp(info: Uint8Array): void {
    const r = parseCpPacket(info);
    if (!r.ok) return;
    const p = r.value;
    switch (p.code) {
      case CP_CODE.CONFIGURE_REQUEST:
        // Whatever the server asks for (CHAP, its magic number, MRU): yes.
        this.lcp(CP_CODE.CONFIGURE_ACK, p.identifier, p.data);
        break;
      case CP_CODE.CONFIGURE_ACK:
        this.lcpAcked++;
        break;
      case CP_CODE.ECHO_REQUEST:
        this.lcp(CP_CODE.ECHO_REPLY, p.identifier, Uint8Array.of(0, 0, 0, 0, ...p.data.subarray(4)));
        break;
      case CP_CODE.TERMINATE_REQUEST:
        this.terminated++;
        this.lcp(CP_CODE.TERMINATE_ACK, p.identifier, new Uint8Array(0));
        break;
      default:
        break;
    }
  }

  private onChap(info: Uint8Array): void {
    const r = parseChapPacket(info);
    if (!r.ok) return;
    const p = r.value;
    if (p.code === CHAP_CODE.CHALLENGE && 'value' in p) {
      const c = { identifier: p.identifier, value: p.value.slice() };
      this.challenges.push(c);
      const a = this.answer(c, this.challenges.length);
      if (a === undefined) return;
      const name = typeof a.name === 'string' ? new TextEncoder().encode(a.name) : a.name;
      this.frame(PPP_PROTO.CHAP, encodeChapPacket({ code: CHAP_CODE.RESPONSE, identifier: p.identifier, value: a.value, name }));
    } else if (p.code === CHAP_CODE.SUCCESS) this.outcomes.push('success');
    else if (p.code === CHAP_CODE.FAILURE) this.outcomes.push('failure');
  }

  private lcp(code: number, identifier: number, data: Uint8Array): void {
    this.frame(PPP_PROTO.LCP, encodeCpPacket({ code, identifier, data }));
  }

  private frame(proto: number, info: Uint8Array): void {
    const f = new Uint8Array(4 + info.length);
    f[0] = 0xff;
    f[1] = 0x03;
    f[2] = proto >> 8;
    f[3] = proto & 0xff;
    f.set(info, 4);
    this.send(f);
  }
}
