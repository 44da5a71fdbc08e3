/**
 * Our LAC (connectL2tp, no TUN) against the real LNS through an in-process
 * UDP relay between loopback ports that drops, duplicates and reorders
 * control and data datagrams in both directions, from a seeded generator:
 * the control channel recovers (retransmission, duplicate acks, held
 * out-of-order messages), every session comes up to IPCP, and every
 * disconnect ends cleanly — nothing hangs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { seededRng, randomU32, type Rng } from '../../src/core/rng.js';
import { connectL2tp } from '../../src/client/l2tp-client.js';
import type { RunningClient } from '../../src/client/pptp-client.js';
import { silentLogger } from '../../src/log/logger.js';
import { startTestLns, type TestLns } from './lns-harness.js';
import { waitFor } from '../io/netns.js';

/** Impairment probabilities per direction. */
interface Impairment {
  drop: number;
  duplicate: number;
  /** Held back 5–60 ms, so later datagrams overtake it. */
  reorder: number;
}

/** Counters of what the relay did. */
interface RelayStats {
  forwarded: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  control: number;
  data: number;
  /** Control messages dropped, duplicated or held back. */
  controlImpaired: number;
}

/**
 * A UDP relay: LACs talk to `port`; each LAC source gets its own upstream
 * socket toward the LNS, so the LNS sees distinct peers.
 */
class LossyRelay {
  readonly stats: RelayStats = { forwarded: 0, dropped: 0, duplicated: 0, reordered: 0, control: 0, data: 0, controlImpaired: 0 };
  port = 0;
  private readonly front: Socket = createSocket('udp4');
  private readonly upstream = new Map<string, Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly rng: Rng;
  /** When false, packets pass untouched (to end a test cleanly). */
  impair = true;

  constructor(
    private readonly lnsPort: number,
    seed: number,
    /** Control messages (T bit) and data messages are impaired separately. */
    private readonly imp: { control: Impairment; data: Impairment },
  ) {
    this.rng = seededRng(seed);
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.front.bind(0, '127.0.0.1', () => r()));
    this.port = this.front.address().port;
    this.front.on('message', (msg, rinfo) => {
      const key = `${rinfo.address}:${rinfo.port}`;
      let up = this.upstream.get(key);
      if (!up) {
        const s = createSocket('udp4');
        s.bind(0, '127.0.0.1');
        s.on('message', (back) => this.forward(back, (b) => this.front.send(b, rinfo.port, rinfo.address)));
        this.upstream.set(key, s);
        up = s;
      }
      const u = up;
      this.forward(msg, (b) => u.send(b, this.lnsPort, '127.0.0.1'));
    });
  }

  private chance(p: number): boolean {
    return randomU32(this.rng) / 2 ** 32 < p;
  }

  private forward(msg: Buffer, send: (b: Buffer) => void): void {
    const control = (msg[0]! & 0x80) !== 0;
    if (control) this.stats.control++;
    else this.stats.data++;
    const imp = control ? this.imp.control : this.imp.data;
    if (this.impair) {
      if (this.chance(imp.drop)) {
        this.stats.dropped++;
        if (control) this.stats.controlImpaired++;
        return;
      }
      if (this.chance(imp.duplicate)) {
        this.stats.duplicated++;
        if (control) this.stats.controlImpaired++;
        send(msg);
      }
      if (this.chance(imp.reorder)) {
        this.stats.reordered++;
        if (control) this.stats.controlImpaired++;
        const delay = 5 + (randomU32(this.rng) % 56);
        const t = setTimeout(() => {
          this.timers.delete(t);
          send(msg);
        }, delay);
        this.timers.add(t);
        return;
      }
    }
    this.stats.forwarded++;
    send(msg);
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.front.close();
    for (const s of this.upstream.values()) s.close();
  }
}

const CLIENTS = 6;

test('L2TP through a lossy relay (seeded; control 20% drop, 10% duplicate, 20% reorder; data 8%/5%/10%; both ways): every tunnel and session comes up, disconnects are clean, nothing hangs', { timeout: 150_000 }, async () => {
  let lns: TestLns | undefined;
  let relay: LossyRelay | undefined;
  const clients: RunningClient[] = [];
  try {
    lns = await startTestLns({ users: [['carol', 'pw-carol']], config: { ppp: { mppe: { l2tpMode: 'require' } } } });
    // Control takes the harder beating (its recovery is what is under test); PPP on data messages
    // recovers by its own 3 s restart timer, so heavy data loss only makes the test slow.
    relay = new LossyRelay(lns.port, 2026, { control: { drop: 0.2, duplicate: 0.1, reorder: 0.2 }, data: { drop: 0.08, duplicate: 0.05, reorder: 0.1 } });
    await relay.start();
    const t0 = Date.now();
    const results = await Promise.allSettled(
      Array.from({ length: CLIENTS }, (_, i) =>
        connectL2tp({
          host: '127.0.0.1',
          port: relay!.port,
          localPort: 0,
          username: 'carol',
          password: 'pw-carol',
          mppe: 'require',
          tun: false,
          log: silentLogger,
          rng: seededRng(100 + i),
          keepaliveS: 0,
          connectTimeoutS: 90,
        }),
      ),
    );
    for (const r of results) if (r.status === 'fulfilled') clients.push(r.value);
    const failures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    assert.deepEqual(failures, [], 'every client connected');
    console.log(`# ${CLIENTS} clients up through the lossy relay in ${Date.now() - t0} ms; relay ${JSON.stringify(relay.stats)}`);
    assert.ok(relay.stats.dropped > 0 && relay.stats.duplicated > 0 && relay.stats.reordered > 0, 'the relay did impair the exchange');
    assert.ok(relay.stats.data > 0 && relay.stats.control > 0);
    assert.ok(relay.stats.controlImpaired >= 5, `control messages were impaired (${relay.stats.controlImpaired})`);
    const addrs = new Set(clients.map((c) => c.info.localAddress));
    assert.equal(addrs.size, CLIENTS);
    for (const c of clients) assert.match(c.info.mppe ?? '', /^128-bit stateless$/);
    assert.equal(lns.service.linkCount, CLIENTS);
    await waitFor(() => lns!.service.links().every((l) => l.state === 'up'), 'server links up', 20_000);
    // The control channel keeps working under loss: the LNS saw and dropped duplicates.
    assert.ok(lns.service.ports[0]!.stats.controlDrops > 0, 'duplicates reached the LNS and were dropped by the reliable layer');

    // Disconnect half under impairment, then the rest with a clean path: all must end.
    const half = clients.slice(0, CLIENTS / 2);
    const reasons = await Promise.all(half.map(async (c) => (await c.stop('user request'), await c.closed)));
    for (const r of reasons) assert.equal(r, 'user request');
    relay.impair = false;
    for (const c of clients.slice(CLIENTS / 2)) await c.stop('user request');
    await waitFor(() => lns!.service.linkCount === 0 && lns!.ctx.addresses.claimed === 0, `server sessions freed (links ${lns!.service.linkCount})`, 30_000);
    assert.equal(lns.ctx.addresses.available('l2tp'), 241);
  } finally {
    for (const c of clients) await c.stop('test end').catch(() => {});
    relay?.close();
    await lns?.stop();
  }
});
