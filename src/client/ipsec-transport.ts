/**
 * L2TP/IPsec for `tunppp connect l2tp://… --ipsec-psk-file F`: the pure
 * `IpsecInitiatorEndpoint` (src/ipsec/initiator-endpoint.ts) on two UDP
 * sockets (500 and 4500 when free, else ephemeral ports: the server then
 * sees a NAT and uses UDP 4500 all the same), timers through the client's
 * scheduler. `start()` resolves once Main Mode and Quick Mode are done; the
 * L2TP client then sends through `sink` (an L2tpDatagramSink: each datagram
 * goes through the ESP SA) and gets the server's datagrams from `onL2tp`.
 *
 * ESP always travels in UDP 4500 (we ask for encapsulation, as the server
 * forces it by default): no raw socket. node:dgram sockets, because the
 * kernel may fragment an ESP datagram a little over the path MTU (DF
 * unset), and one client has one peer.
 */
import { createSocket, type Socket } from 'node:dgram';
import { IoError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { EspProposalSuite } from '../ipsec/esp-proposals.js';
import { parseEspProposals, parseIkeProposals } from '../ipsec/proposal-strings.js';
import { IpsecInitiatorEndpoint, type IpsecInitiatorOutput } from '../ipsec/initiator-endpoint.js';
import type { Phase1Suite } from '../ipsec/phase1-proposals.js';
import type { Clock } from '../io/clock.js';
import type { Logger } from '../log/logger.js';
import type { Scheduler } from '../server/scheduler.js';
import type { L2tpDatagramSink } from '../server/l2tp-endpoint.js';

/** How to reach the server. */
export interface IpsecTransportOptions {
  server: string;
  psk: Uint8Array;
  log: Logger;
  clock: Clock;
  rng: Rng;
  scheduler: Scheduler;
  ikeSuites?: readonly Phase1Suite[];
  espSuites?: readonly EspProposalSuite[];
  /** Seconds to wait for both phases (default 20: Main Mode has answered twice by then when the server is there). */
  timeoutS?: number;
}

/**
 * What we offer by default: the strong suites every server family accepts,
 * then the old ones (MODP1024, 3DES) some still need — a short list, as
 * Windows and macOS send, so Main Mode message 1 fits one unfragmented
 * datagram (fragmented IKE is what NATs and firewalls drop first).
 */
const CLIENT_IKE = 'aes256-sha256-ecp384,aes256-sha256-modp2048,aes256-sha1-modp2048,aes128-sha256-ecp256,aes128-sha1-modp2048,aes256-sha1-modp1024,3des-sha1-modp1024';
const CLIENT_ESP = 'aes256gcm16,aes128gcm16,aes256-sha256,aes256-sha1,aes128-sha1,3des-sha1';

/** The default client proposals as suites. */
export function clientProposals(): { ike: Phase1Suite[]; esp: EspProposalSuite[] } {
  const ike = parseIkeProposals(CLIENT_IKE);
  const esp = parseEspProposals(CLIENT_ESP);
  if (!ike.ok || !esp.ok) throw new Error('the built-in client proposals do not parse');
  return { ike: ike.suites, esp: esp.suites.map((p) => p.suite) };
}

function ipBytes(a: string): Uint8Array {
  return Uint8Array.from(a.split('.').map(Number));
}

async function bindUdp(port: number): Promise<Socket> {
  const s = createSocket({ type: 'udp4' });
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind({ port, exclusive: true }, () => {
      s.off('error', reject);
      resolve();
    });
  });
  return s;
}

/** The address this host sends from toward `server` (the IKE identity and NAT-D hashes name it). */
async function sourceAddressToward(server: string): Promise<string> {
  const s = createSocket({ type: 'udp4' });
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.connect(500, server, () => resolve());
    });
    return s.address().address;
  } finally {
    s.close();
  }
}

/** A running client IPsec. */
export class IpsecTransport {
  /** Where the L2TP client's datagrams go: through the ESP SA. */
  readonly sink: L2tpDatagramSink;
  /** The server's L2TP datagrams, decrypted. */
  onL2tp: (bytes: Uint8Array) => void = () => {};
  /** IPsec went down after it was up (the server deleted the SA, or went silent). */
  onDown: (why: string) => void = () => {};
  private up = false;
  private closed = false;
  private settle: { resolve: () => void; reject: (e: Error) => void } | undefined;

  private constructor(
    private readonly opts: IpsecTransportOptions,
    private readonly ep: IpsecInitiatorEndpoint,
    private readonly s500: Socket,
    private readonly s4500: Socket,
  ) {
    this.sink = { send: (msg) => this.sendL2tp(msg), close: () => {} };
    s500.on('message', (m) => this.datagram(500, m));
    s4500.on('message', (m) => this.datagram(4500, m));
    for (const s of [s500, s4500]) s.on('error', (err) => opts.log.warn('udp-error', `IPsec socket error (ignored): ${err.message}`));
  }

  /** Binds the sockets and runs Main Mode and Quick Mode; resolves when ESP is up. */
  static async start(opts: IpsecTransportOptions): Promise<IpsecTransport> {
    const log = opts.log;
    const local = await sourceAddressToward(opts.server);
    const bindEither = async (port: number): Promise<Socket> => {
      try {
        return await bindUdp(port);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw new IoError('CONNECT_FAILED', `cannot bind UDP ${port} for IPsec: ${(err as Error).message}`);
        log.info('udp-port', `UDP ${port} is in use (an IPsec daemon?); IKE uses an ephemeral port (the server then sees a NAT and uses UDP 4500)`);
        return bindUdp(0);
      }
    };
    const s500 = await bindEither(500);
    const s4500 = await bindEither(4500).catch((err: unknown) => {
      s500.close();
      throw err;
    });
    const ep = new IpsecInitiatorEndpoint(
      {
        psk: opts.psk,
        local: { address: ipBytes(local), port: s500.address().port },
        server: { address: ipBytes(opts.server), port: 500 },
        ikeSuites: opts.ikeSuites ?? clientProposals().ike,
        espSuites: opts.espSuites ?? clientProposals().esp,
        forceEncapsulation: true,
      },
      opts.rng,
    );
    const t = new IpsecTransport(opts, ep, s500, s4500);
    const timeoutS = opts.timeoutS ?? 20;
    const ready = new Promise<void>((resolve, reject) => (t.settle = { resolve, reject }));
    const timer = setTimeout(() => {
      // A server that cannot verify our message 5 stays silent: after messages 1-4 were answered, that is the PSK.
      const why = ep.mainModeState === 'MAIN_I3'
        ? `IPsec failed: no answer to our authentication (Main Mode message 5) within ${timeoutS} s: probable authentication failure (mismatch of preshared secrets?); check --ipsec-psk-file against the server's key`
        : `IPsec failed: no IPsec SA with ${opts.server} within ${timeoutS} s (in ${ep.mainModeState}; is UDP 500/4500 open, and IPsec on at the server?)`;
      opts.log.warn('ipsec-down', why);
      t.fail(why);
    }, timeoutS * 1000);
    log.info('ipsec-start', `IKEv1 Main Mode (PSK) with ${opts.server}:500 from ${local}:${s500.address().port}`);
    t.apply(ep.start(opts.clock.now()));
    try {
      await ready;
    } finally {
      clearTimeout(timer);
    }
    return t;
  }

  private fail(why: string): void {
    this.close();
    this.settle?.reject(new IoError('CONNECT_FAILED', why));
    this.settle = undefined;
  }

  /** Closes the sockets and the timer. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.opts.scheduler.delete(this);
    this.s500.close();
    this.s4500.close();
  }

  private sendL2tp(msg: Uint8Array): void {
    if (this.closed) return;
    this.apply(this.ep.sendL2tp(msg));
  }

  private datagram(local: 500 | 4500, msg: Buffer): void {
    if (this.closed) return;
    const now = this.opts.clock.now();
    this.apply(this.ep.datagram(local, msg, now));
  }

  private apply(outs: IpsecInitiatorOutput[]): void {
    const log = this.opts.log;
    for (const o of outs) {
      switch (o.kind) {
        case 'send':
          (o.localPort === 4500 ? this.s4500 : this.s500).send(o.bytes, o.localPort, this.opts.server);
          break;
        case 'send-esp':
          log.debug('ipsec-drop', 'raw ESP is not sent (UDP encapsulation is always asked for)');
          break;
        case 'l2tp':
          this.onL2tp(o.bytes);
          break;
        case 'up':
          log.info('ipsec-up', `ISAKMP SA ${o.phase1} and CHILD_SA ESP ${o.esp} established with ${this.opts.server}${o.child.udpEncapsulated ? ' (ESP in UDP 4500)' : ''}`);
          this.up = true;
          this.settle?.resolve();
          this.settle = undefined;
          break;
        case 'down': {
          const words: Record<string, string> = {
            'psk-mismatch': 'PSK mismatch: probable authentication failure (mismatch of preshared secrets?); check --ipsec-psk-file against the server\'s key',
            'no-proposal-chosen': 'NO_PROPOSAL_CHOSEN: the server accepts none of our proposals',
            timeout: 'no answer from the server',
            'dead-peer': 'DPD: the server is dead (no authenticated packet)',
            'deleted-by-server': 'the server deleted our SA',
          };
          // A server that cannot verify our message 5 stays silent (RFC 2409 gives it nothing to answer with).
          const text = o.reason === 'timeout' && o.detail?.includes('MAIN_I3') ? 'no answer to our authentication (Main Mode message 5): probable authentication failure (mismatch of preshared secrets?); check --ipsec-psk-file against the server\'s key' : (words[o.reason] ?? o.reason);
          const why = `IPsec ${this.up ? 'down' : 'failed'}: ${text}${o.detail ? ` (${o.detail})` : ''}`;
          log.warn('ipsec-down', why);
          if (this.up) {
            this.close();
            this.onDown(why);
          } else this.fail(why);
          break;
        }
        case 'drop':
          log.debug('ipsec-drop', `dropped: ${o.reason}${o.detail ? ` (${o.detail})` : ''}`);
          break;
      }
    }
    if (!this.closed) this.opts.scheduler.set(this, this.ep.nextDeadline(), (t) => this.apply(this.ep.timeout(t)));
  }
}
