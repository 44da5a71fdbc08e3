/**
 * Hostile PPTP peers against the real PptpService on 127.0.0.1 (in-process,
 * a fake GRE socket): half-open and slow control connections, connection
 * floods from one address, oversized length fields, Outgoing-Call floods on
 * one connection, and GRE for unknown calls or from a spoofed source. Each
 * refusal is counted, and nothing is left behind: guard slots, scheduler
 * entries, calls.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { encodeControlMessage, parseControlMessage, type ControlMessage } from '../../src/pptp/control-codec.js';
import { ControlStreamFramer } from '../../src/pptp/control-stream.js';
import { encodeGre } from '../../src/pptp/gre.js';
import { RxBatch } from '../../src/io/packet-batch.js';
import { PptpService } from '../../src/server/pptp-service.js';
import type { GreSocketLike } from '../../src/server/gre-endpoint.js';
import { guardOf } from '../../src/server/guard.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { testContext } from '../l2tp/lns-harness.js';

interface Rig {
  service: PptpService;
  ctx: ReturnType<typeof testContext>;
  port: number;
  greIn: (bytes: Uint8Array, src: number) => void;
  greSent: number;
  stop(): Promise<void>;
}

const rigs: Rig[] = [];
after(async () => {
  for (const r of rigs) await r.stop();
});

async function rig(limits: NonNullable<ConfigInput['limits']>, startTimeoutS = 10): Promise<Rig> {
  const ctx = testContext(
    {
      pools: [{ name: 't', local: '10.97.0.1', ranges: ['10.97.0.10-10.97.0.200'] }],
      listen: { pptp: { addresses: ['127.0.0.1'], startTimeoutS }, l2tp: { enabled: false } },
      connections: { max: 100 },
      limits,
    },
    { users: [['alice', 'pw']] },
  );
  ctx.config.listen.pptp.port = 0;
  let onPackets: ((b: RxBatch) => void) | undefined;
  const r = { greSent: 0 } as Rig;
  const sock: GreSocketLike = {
    send: (b) => {
      r.greSent += b.count;
      return b.count;
    },
    onPackets: (cb) => void (onPackets = cb),
    onIcmpError: () => {},
    onSendError: () => {},
    onError: () => {},
  };
  const service = new PptpService(ctx, sock);
  const [bound] = await service.listen();
  const rx = new RxBatch(4, 2048);
  Object.assign(r, {
    service,
    ctx,
    port: bound!.port,
    greIn: (bytes: Uint8Array, src: number) => {
      rx.data.set(bytes, 0);
      rx.meta[0] = 0;
      rx.meta[1] = bytes.length;
      rx.meta[2] = src;
      rx.count = 1;
      onPackets!(rx);
    },
    async stop() {
      await service.stop(100);
      ctx.scheduler.stop();
    },
  });
  rigs.push(r);
  return r;
}

/** A raw TCP client that records what the server sends and when it closes. */
class Hostile {
  readonly socket: Socket;
  readonly messages: ControlMessage[] = [];
  closed = false;
  readonly closedP: Promise<void>;
  private readonly framer = new ControlStreamFramer();
  readonly ready: Promise<void>;
  /** `halfOpen`: never send FIN, even after the server's (a peer that keeps its end open). */
  constructor(port: number, opts: { halfOpen?: boolean } = {}) {
    this.socket = connect({ host: '127.0.0.1', port, allowHalfOpen: opts.halfOpen === true });
    this.socket.on('error', () => {});
    this.socket.on('data', (b: Buffer) => {
      for (const f of this.framer.push(b).frames) {
        const m = parseControlMessage(f);
        if (m.ok) this.messages.push(m.value);
      }
    });
    this.closedP = new Promise((res) => this.socket.on('close', () => {
      this.closed = true;
      res();
    }));
    this.ready = new Promise((res) => this.socket.on('connect', () => res()));
  }
  send(m: ControlMessage | Uint8Array): void {
    this.socket.write(m instanceof Uint8Array ? m : encodeControlMessage(m));
  }
}

const SCCRQ: ControlMessage = { type: 'SCCRQ', protocolVersion: 0x100, framingCapabilities: 1, bearerCapabilities: 1, maximumChannels: 0, firmwareRevision: 1, hostName: 'hostile', vendorName: 'test' };
const ocrq = (callId: number): ControlMessage => ({
  type: 'OCRQ', callId, callSerialNumber: callId, minimumBps: 300, maximumBps: 100_000_000, bearerType: 3, framingType: 3,
  packetRecvWindowSize: 64, packetProcessingDelay: 0, phoneNumberLength: 0, phoneNumber: '', subaddress: '',
});

/**
 * Sockets the kernel holds for a process on local port `port` (not the
 * listener): /proc/net/tcp rows with a non-zero inode. A socket whose
 * descriptor was closed lingers as an orphan with inode 0, so this counts
 * descriptors, from outside the code under test.
 */
function heldSockets(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !f[1]!.endsWith(`:${hex}`) || f[3] === '0A' || f[9] === '0') continue;
    n++;
  }
  return n;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(10);
  }
}

test('half-open flood: 10 connections that never speak, maxStartingPerSource 3 → 3 held, 7 reset and counted; the handshake timer closes the rest; no slot or timer leaks', async () => {
  const r = await rig({ maxStartingPerSource: 3 }, 1);
  const clients = Array.from({ length: 10 }, () => new Hostile(r.port));
  await Promise.all(clients.map((c) => c.ready.catch(() => {})));
  await waitFor(() => clients.filter((c) => c.closed).length >= 7);
  await sleep(100);
  assert.equal(clients.filter((c) => c.closed).length, 7, 'the 3 admitted stay open until the handshake timeout');
  assert.equal(r.ctx.stats.refusedStartingPerSource, 7);
  assert.equal(guardOf(r.ctx).startingCount, 3);
  // startTimeoutS 1: the server ends them itself.
  await Promise.all(clients.map((c) => c.closedP));
  await waitFor(() => guardOf(r.ctx).startingCount === 0 && guardOf(r.ctx).openCount === 0);
  assert.equal(r.ctx.scheduler.size, 0, 'no timers left');
});

test('peers that never send FIN: ended connections are reset after the grace period → the server holds no more sockets than maxConnectionsPerSource, however long the attack', async () => {
  const r = await rig({ maxConnectionsPerSource: 4, connectRatePerSource: 1000 }, 1);
  const clients: Hostile[] = [];
  let peak = 0;
  try {
    // 5.5 s of a new silent connection every 100 ms: handshake timeouts (1 s) end them one after another.
    for (const end = Date.now() + 5500; Date.now() < end; ) {
      clients.push(new Hostile(r.port, { halfOpen: true }));
      await sleep(100);
      peak = Math.max(peak, heldSockets(r.port));
    }
    assert.ok(peak <= 4, `the server held ${peak} sockets at once (limit 4)`);
    assert.ok(r.service.stats.controlDestroyed >= 4, 'connections that ignored our FIN were reset');
    await waitFor(() => heldSockets(r.port) === 0 && guardOf(r.ctx).openCount === 0, 5000);
    assert.equal(r.ctx.scheduler.size, 0, 'no timers left');
  } finally {
    for (const c of clients) c.socket.destroy();
  }
});

test('a peer that sends Echo-Requests and never reads the replies → reset once 64 KiB of replies wait in our queue, not buffered without bound', async () => {
  const r = await rig({});
  const c = new Hostile(r.port);
  await c.ready;
  c.send(SCCRQ);
  await waitFor(() => c.messages.some((m) => m.type === 'SCCRP'));
  c.socket.pause();
  const burst = Buffer.concat(Array.from({ length: 4096 }, (_, i) => encodeControlMessage({ type: 'ECHORQ', identifier: i })));
  // Up to 64 MiB of requests (80 MiB of replies): stop as soon as the server gives up.
  for (let i = 0; i < 1024 && !c.closed; i++) {
    if (!c.socket.write(burst)) await Promise.race([new Promise((res) => c.socket.once('drain', res)), c.closedP, sleep(2000)]);
  }
  await Promise.race([c.closedP, sleep(5000)]);
  assert.ok(c.closed, 'the server reset the connection');
  assert.ok(r.service.stats.controlDestroyed >= 1);
  await waitFor(() => guardOf(r.ctx).openCount === 0);
});

test('slow SCCRQ: one octet every 150 ms with a 1 s handshake timeout → closed before the message completes', async () => {
  const r = await rig({}, 1);
  const c = new Hostile(r.port);
  await c.ready;
  const bytes = encodeControlMessage(SCCRQ);
  const t0 = Date.now();
  for (let i = 0; i < bytes.length && !c.closed; i++) {
    c.socket.write(bytes.subarray(i, i + 1));
    await sleep(150);
  }
  await c.closedP;
  assert.ok(Date.now() - t0 < 2500, 'closed by the handshake timer');
  assert.equal(c.messages.length, 0, 'never answered');
  await waitFor(() => guardOf(r.ctx).openCount === 0 && guardOf(r.ctx).startingCount === 0);
});

test('connection flood: connectRatePerSource 4 → the 5th and later connections within the window are reset and counted', async () => {
  const r = await rig({ connectRatePerSource: 4, rateWindowS: 60 });
  const first = Array.from({ length: 4 }, () => new Hostile(r.port));
  await Promise.all(first.map((c) => c.ready));
  for (const c of first) c.send(SCCRQ);
  await waitFor(() => first.every((c) => c.messages.some((m) => m.type === 'SCCRP')));
  const more = Array.from({ length: 6 }, () => new Hostile(r.port));
  await Promise.all(more.map((c) => c.closedP));
  assert.equal(r.ctx.stats.refusedConnectRate, 6);
  assert.ok(first.every((c) => !c.closed), 'established connections are not affected');
  for (const c of first) c.socket.destroy();
  await waitFor(() => guardOf(r.ctx).openCount === 0);
});

test('oversized length field: a header announcing 65535 octets → connection closed, nothing buffered', async () => {
  const r = await rig({});
  const c = new Hostile(r.port);
  await c.ready;
  const b = encodeControlMessage(SCCRQ);
  b[0] = 0xff;
  b[1] = 0xff;
  c.send(b);
  await c.closedP;
  await waitFor(() => guardOf(r.ctx).openCount === 0 && guardOf(r.ctx).startingCount === 0);
  assert.equal(r.ctx.scheduler.size, 0);
});

test('Outgoing-Call flood on one connection: maxCallsPerConnection 2, 8 OCRQs → 2 connected, 6 refused in OCRP, 2 calls live', async () => {
  const r = await rig({ maxCallsPerConnection: 2 });
  const c = new Hostile(r.port);
  await c.ready;
  c.send(SCCRQ);
  await waitFor(() => c.messages.some((m) => m.type === 'SCCRP'));
  for (let i = 1; i <= 8; i++) c.send(ocrq(i));
  await waitFor(() => c.messages.filter((m) => m.type === 'OCRP').length === 8);
  const replies = c.messages.filter((m): m is Extract<ControlMessage, { type: 'OCRP' }> => m.type === 'OCRP');
  assert.equal(replies.filter((m) => m.resultCode === 1).length, 2);
  assert.equal(r.service.linkCount, 2);
  c.socket.destroy();
  await waitFor(() => r.service.linkCount === 0 && guardOf(r.ctx).openCount === 0);
});

test('GRE for an unknown Call ID, and for a live call from a spoofed source → counted as unknown-call, never delivered', async () => {
  const r = await rig({});
  const c = new Hostile(r.port);
  await c.ready;
  c.send(SCCRQ);
  await waitFor(() => c.messages.some((m) => m.type === 'SCCRP'));
  c.send(ocrq(77));
  await waitFor(() => c.messages.some((m) => m.type === 'OCRP'));
  const ocrp = c.messages.find((m): m is Extract<ControlMessage, { type: 'OCRP' }> => m.type === 'OCRP')!;
  const stats = r.service.gre.stats;
  const before = stats.unknownCall;
  const lcp = Uint8Array.of(0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0, 0, 0, 0);
  const loopback = 0x7f000001;
  r.greIn(encodeGre({ callId: (ocrp.callId + 1) & 0xffff, seq: 1, payload: lcp }), loopback);
  r.greIn(encodeGre({ callId: ocrp.callId, seq: 1, payload: lcp }), 0xc6336401); // 198.51.100.1
  assert.equal(stats.unknownCall - before, 2);
  c.socket.destroy();
  await waitFor(() => r.service.linkCount === 0);
});
