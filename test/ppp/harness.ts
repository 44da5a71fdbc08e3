/**
 * Two PPP sessions connected through an in-memory link with a manual clock
 * and seeded loss, duplication and reordering (STYLE.md §7.5). The server's
 * `verify` events are answered by `verifyWithSecret` (chap-secrets style).
 */
import { PppSession, type SessionEvent, type SessionOptions, type SessionOutput } from '../../src/ppp/session.js';
import { seededRng, type Rng } from '../../src/core/rng.js';
import { verifyWithSecret } from '../../src/ppp/auth/verify.js';

export interface LinkFaults {
  /** Probability a frame is lost. */
  loss?: number;
  /** Probability a frame is delivered twice. */
  duplicate?: number;
  /** Max extra delay in ms (frames overtake each other). */
  jitterMs?: number;
}

interface InFlight { to: 0 | 1; at: number; bytes: Uint8Array; seq: number }

export interface Side {
  session: PppSession;
  events: SessionEvent[];
  /** IP packets received (copies). */
  received: Uint8Array[];
  /** Every PPP frame this side sent, with the time (for pcaps). */
  sent: { timeMs: number; bytes: Uint8Array }[];
}

function uniform(rng: Rng): number {
  const b = rng.bytes(4);
  return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) / 2 ** 32;
}

/** The in-memory pair. */
export class Pair {
  now = 0;
  readonly sides: [Side, Side];
  private queue: InFlight[] = [];
  private seq = 0;
  private readonly faultRng: Rng;
  /** Answer verify requests after this many ms (0: at once). */
  verifyDelayMs = 0;
  private pendingVerdicts: { at: number; run: () => void }[] = [];

  constructor(
    server: Omit<SessionOptions, 'role' | 'ipSink'>,
    client: Omit<SessionOptions, 'role' | 'ipSink'>,
    public faults: LinkFaults = {},
    seed = 1,
    private readonly secrets: Record<string, string> = { alice: 'correct horse' },
  ) {
    this.faultRng = seededRng(seed * 7919 + 13);
    const mk = (opts: SessionOptions, s: number): Side => {
      const side: Side = { session: undefined as unknown as PppSession, events: [], received: [], sent: [] };
      side.session = new PppSession({ ...opts, ipSink: (p) => side.received.push(p.slice()) }, seededRng(s));
      return side;
    };
    this.sides = [mk({ ...server, role: 'server' }, seed * 2 + 1), mk({ ...client, role: 'client' }, seed * 2 + 2)];
  }

  get server(): Side { return this.sides[0]; }
  get client(): Side { return this.sides[1]; }

  /** Handles the outputs of side `i`. */
  apply(i: 0 | 1, outs: SessionOutput[]): void {
    const side = this.sides[i];
    for (const o of outs) {
      if (o.kind === 'send') this.transmit(i, o.bytes);
      else if (o.kind === 'event') {
        side.events.push(o.event);
        if (o.event.type === 'verify') {
          const req = o.event.request;
          const secret = this.secrets[req.username];
          const verdict = secret === undefined ? { ok: false as const, code: 691 } : verifyWithSecret(req, secret);
          const run = (): void => this.apply(i, side.session.verdict(req.requestId, verdict, this.now));
          if (this.verifyDelayMs === 0) run();
          else this.pendingVerdicts.push({ at: this.now + this.verifyDelayMs, run });
        }
      }
    }
  }

  /** Sends a frame from side `i` across the faulty link. */
  transmit(i: 0 | 1, bytes: Uint8Array): void {
    this.sides[i].sent.push({ timeMs: this.now, bytes: bytes.slice() });
    const f = this.faults;
    if (f.loss && uniform(this.faultRng) < f.loss) return;
    const copies = f.duplicate && uniform(this.faultRng) < f.duplicate ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      const delay = 1 + (f.jitterMs ? Math.floor(uniform(this.faultRng) * f.jitterMs) : 0);
      this.queue.push({ to: i === 0 ? 1 : 0, at: this.now + delay, bytes: bytes.slice(), seq: this.seq++ });
    }
  }

  start(): void {
    this.apply(0, this.server.session.start(this.now));
    this.apply(1, this.client.session.start(this.now));
  }

  /** Runs until `until()` holds or `limitMs` of simulated time pass; returns whether `until` held. */
  run(until: () => boolean, limitMs = 600_000): boolean {
    const end = this.now + limitMs;
    while (!until()) {
      const times: number[] = [];
      if (this.queue.length) times.push(Math.min(...this.queue.map((q) => q.at)));
      for (const s of this.sides) {
        const d = s.session.nextDeadline();
        if (d !== undefined && s.session.phase !== 'Dead') times.push(d);
      }
      for (const v of this.pendingVerdicts) times.push(v.at);
      const t = times.length ? Math.max(this.now, Math.min(...times)) : Infinity;
      if (t > end) {
        // Nothing more happens before the limit: the clock still reaches it.
        this.now = end;
        return until();
      }
      this.now = t;
      const due = this.queue.filter((q) => q.at <= t).sort((a, b) => a.at - b.at || a.seq - b.seq);
      this.queue = this.queue.filter((q) => q.at > t);
      for (const q of due) this.apply(q.to, this.sides[q.to].session.receiveFrame(q.bytes, t));
      const vs = this.pendingVerdicts.filter((v) => v.at <= t);
      this.pendingVerdicts = this.pendingVerdicts.filter((v) => v.at > t);
      for (const v of vs) v.run();
      for (const [i, s] of this.sides.entries()) {
        const d = s.session.nextDeadline();
        if (d !== undefined && d <= t && s.session.phase !== 'Dead') this.apply(i as 0 | 1, s.session.timeout(t));
      }
    }
    return true;
  }

  /** Both sides report link-up. */
  bothUp(): boolean {
    return this.sides.every((s) => s.session.isUp);
  }

  /** Both sides up with every enabled network protocol Opened. */
  ready(): boolean {
    return this.bothUp() && this.sides.every((s) => (!s.session.ipcp || s.session.ipcp.fsm.isOpened) && (!s.session.ipv6cp || s.session.ipv6cp.fsm.isOpened));
  }

  bothDead(): boolean {
    return this.sides.every((s) => s.session.phase === 'Dead');
  }

  /** Sends an IP packet from side `i` (through sendIp and the link). */
  sendIp(i: 0 | 1, packet: Uint8Array): boolean {
    const frame = this.sides[i].session.sendIp(packet, this.now);
    if (!frame) return false;
    this.transmit(i, frame);
    return true;
  }

  /** Delivers everything in flight (no timers). */
  flush(): void {
    this.run(() => this.queue.length === 0, 10_000);
  }
}

/** A minimal IPv4 packet (header + payload), valid enough for the data path. */
export function ipv4(len: number, fill: number): Uint8Array {
  const p = new Uint8Array(len).fill(fill & 0xff);
  p[0] = 0x45;
  p[2] = len >>> 8;
  p[3] = len & 0xff;
  p[9] = 17;
  return p;
}

/** A minimal IPv6 packet. */
export function ipv6(len: number, fill: number): Uint8Array {
  const p = new Uint8Array(len).fill(fill & 0xff);
  p[0] = 0x60;
  p[4] = (len - 40) >>> 8;
  p[5] = (len - 40) & 0xff;
  p[6] = 17;
  p[7] = 64;
  return p;
}

/** The first event of a type. */
export function find<T extends SessionEvent['type']>(events: SessionEvent[], type: T): Extract<SessionEvent, { type: T }> | undefined {
  return events.find((e) => e.type === type) as Extract<SessionEvent, { type: T }> | undefined;
}

/** Two sessions linked by `linkAtTimeZero`, with every output of each side in order. */
export interface ZeroTimeLink {
  s: PppSession;
  c: PppSession;
  events: { s: SessionOutput[]; c: SessionOutput[] };
  /** Records `outs` as outputs of `from`, queues its sends and answers `verify` (nothing is delivered after setup). */
  apply: (from: PppSession, outs: SessionOutput[]) => void;
}

/**
 * A server and a client over a perfect link at time 0 (no timer ever fires):
 * frames are delivered in order until none are left (at most 500); the
 * server's `verify` events are answered for the password 'p'. `toServer`
 * sees each client frame before the server and may answer it in the
 * server's place by returning the reply frame.
 */
export function linkAtTimeZero(server: Partial<SessionOptions> = {}, client: Partial<SessionOptions> = {}, toServer?: (bytes: Uint8Array, s: PppSession) => Uint8Array | undefined): ZeroTimeLink {
  const s = new PppSession({ role: 'server', auth: { require: ['mschap-v2'] }, localAddress: '10.5.0.1', peerAddress: '10.5.0.2', echoIntervalMs: 0, ...server }, seededRng(1));
  const c = new PppSession({ role: 'client', auth: { username: 'u', password: 'p' }, echoIntervalMs: 0, ...client }, seededRng(2));
  const events = { s: [] as SessionOutput[], c: [] as SessionOutput[] };
  const queue: { to: PppSession; bytes: Uint8Array }[] = [];
  const apply = (from: PppSession, outs: SessionOutput[]): void => {
    for (const o of outs) {
      (from === s ? events.s : events.c).push(o);
      if (o.kind === 'send') queue.push({ to: from === s ? c : s, bytes: o.bytes });
      else if (o.kind === 'event' && o.event.type === 'verify') apply(from, from.verdict(o.event.request.requestId, verifyWithSecret(o.event.request, 'p'), 0));
    }
  };
  apply(s, s.start(0));
  apply(c, c.start(0));
  for (let i = 0; i < 500 && queue.length; i++) {
    const q = queue.shift()!;
    const reply = q.to === s ? toServer?.(q.bytes, s) : undefined;
    if (reply) queue.push({ to: c, bytes: reply });
    else apply(q.to, q.to.receiveFrame(q.bytes, 0));
  }
  return { s, c, events, apply };
}
