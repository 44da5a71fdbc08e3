/**
 * PPTP fuzz targets: the control codec and stream framer, the control
 * machine fed arbitrary TCP chunks, the GRE codec, GreChannel and GreDemux.
 */
import { seededRng } from '../../src/core/rng.js';
import { encodeControlMessage, parseControlMessage, PPTP_MAX_MESSAGE_BYTES } from '../../src/pptp/control-codec.js';
import { ControlStreamFramer } from '../../src/pptp/control-stream.js';
import { PptpControl, type ControlOutput } from '../../src/pptp/control-fsm.js';
import { GRE_MAX_HEADER_BYTES, encodeGre, newGreHeader, parseGre, readGreHeader } from '../../src/pptp/gre.js';
import { GreChannel, GreDemux } from '../../src/pptp/gre-channel.js';
import { PPTP_LAYOUT } from './structure.js';
import { check, greSeeds, pptpControlSeeds, type FuzzTarget } from './harness.js';

const WIRE_CODES = new Set(['TRUNCATED', 'BAD_LENGTH', 'BAD_VALUE', 'UNSUPPORTED']);

function checkOutputs(outs: readonly ControlOutput[], chunk: number): void {
  // One chunk of n bytes holds at most n/16 messages, each answered by a few outputs.
  check(outs.length <= 8 + (chunk / 16) * 6, `control: ${outs.length} outputs for ${chunk} bytes`);
  for (const o of outs) if (o.kind === 'send') check(o.bytes.length <= PPTP_MAX_MESSAGE_BYTES, `control: sent ${o.bytes.length} bytes`);
}

/** Every PPTP target. */
export const pptpTargets: FuzzTarget[] = [
  {
    name: 'pptp/control-codec',
    seeds: pptpControlSeeds,
    layout: PPTP_LAYOUT,
    maxPackets: 1,
    run([b]) {
      const r = parseControlMessage(b!);
      if (!r.ok) {
        check(WIRE_CODES.has(r.error.code), `unknown error code ${r.error.code}`);
        return;
      }
      check(r.bytesRead <= b!.length, 'bytesRead past the input');
      const again = encodeControlMessage(r.value);
      check(again.length <= PPTP_MAX_MESSAGE_BYTES, 'encoded message too long');
      check(parseControlMessage(again).ok, 're-encoded message does not parse');
    },
  },
  {
    name: 'pptp/control-stream',
    seeds: pptpControlSeeds,
    layout: PPTP_LAYOUT,
    maxPackets: 16,
    run(chunks) {
      const f = new ControlStreamFramer();
      for (const c of chunks) {
        const r = f.push(c);
        for (const m of r.frames) check(m.length <= PPTP_MAX_MESSAGE_BYTES, 'frame too long');
        check(f.buffered <= PPTP_MAX_MESSAGE_BYTES, 'framer holds too much');
        if (r.error) check(WIRE_CODES.has(r.error.code), 'bad error code');
      }
    },
  },
  {
    name: 'pptp/control-fsm',
    seeds: pptpControlSeeds,
    layout: PPTP_LAYOUT,
    maxPackets: 24,
    run(chunks) {
      const m = new PptpControl({ role: 'server', rng: seededRng(chunks.length), maxCalls: 4, handshakeTimeoutMs: 5000 });
      let now = 0;
      checkOutputs(m.handle({ type: 'tcp-open' }, now), 0);
      for (const c of chunks) {
        now += c.length;
        // A one-byte chunk below 4 stands for a local event, so the machine sees them in every state.
        if (c.length === 1 && c[0]! < 4) {
          const inputs = [{ type: 'timeout' }, { type: 'tcp-closed' }, { type: 'stop' }, { type: 'open-call' }] as const;
          const d = m.nextDeadline();
          if (d !== undefined && d > now) now = d;
          checkOutputs(m.handle(inputs[c[0]!]!, now), 0);
          continue;
        }
        checkOutputs(m.handle({ type: 'data', bytes: c }, now), c.length);
      }
      // Time only moves forward and every deadline is finite.
      for (let i = 0; i < 6; i++) {
        const d = m.nextDeadline();
        if (d === undefined) break;
        check(Number.isFinite(d), 'deadline not finite');
        now = Math.max(now, d);
        checkOutputs(m.handle({ type: 'timeout' }, now), 0);
      }
    },
  },
  {
    name: 'pptp/gre-codec',
    seeds: greSeeds,
    maxPackets: 1,
    run([b]) {
      const r = parseGre(b!);
      const h = newGreHeader();
      const e = readGreHeader(b!, h);
      check(r.ok === (e === undefined), 'parseGre and readGreHeader disagree');
      if (!r.ok) {
        check(WIRE_CODES.has(r.error.code), 'bad error code');
        return;
      }
      check(r.bytesRead <= b!.length, 'bytesRead past the input');
      const again = encodeGre(r.value);
      check(again.length <= b!.length + GRE_MAX_HEADER_BYTES, 're-encoded GRE grew');
    },
  },
  {
    name: 'pptp/gre-channel',
    seeds: greSeeds,
    maxPackets: 40,
    run(packets) {
      const first = packets[0]!;
      // Use the call ID of the first packet so mutated real traffic reaches the sequence logic.
      const callId = first.length >= 6 ? (first[4]! << 8) | first[5]! : 1;
      const ch = new GreChannel({ callId, peerCallId: 7, peerRecvWindow: first.length % 70, windowMode: first.length % 2 ? 'sliding' : 'advisory', reorderMaxPackets: 8 });
      const largest = Math.max(...packets.map((p) => p.length));
      let now = 0;
      let delivered = 0;
      let sent = 0;
      const sink = {
        deliver: (p: Uint8Array) => {
          delivered++;
          check(p.length <= largest, 'delivered payload larger than any input');
        },
        transmit: (p: Uint8Array) => {
          sent++;
          check(p.length <= Math.max(largest, 100) + GRE_MAX_HEADER_BYTES, 'transmitted packet too large');
        },
      };
      for (const p of packets) {
        now += p.length % 30;
        ch.receive(p, now, sink);
        if (p.length % 5 === 0) ch.send(p.subarray(0, 100), now);
        const d = ch.nextDeadline();
        if (d !== undefined && d <= now) ch.timeout(now, sink);
      }
      for (let i = 0; i < 4; i++) {
        const d = ch.nextDeadline();
        if (d === undefined) break;
        now = Math.max(now, d);
        ch.timeout(now, sink);
      }
      const s = ch.stats;
      const drops = Object.values(s.drops).reduce((a, b) => a + b, 0);
      check(delivered <= packets.length, 'more deliveries than packets');
      check(sent <= packets.length * 3 + 8, 'transmit storm');
      // Count and drop: every received packet is delivered, lost, held or counted as a drop.
      check(s.rxDelivered + drops + 8 >= s.rxPackets - s.rxLost, 'a rejection went uncounted');
    },
  },
  {
    name: 'pptp/gre-demux',
    seeds: greSeeds,
    maxPackets: 40,
    run(packets) {
      const d = new GreDemux<number>();
      const live = new Set<string>();
      for (const p of packets) {
        const addr = `10.0.0.${p[0] ?? 0}`;
        const id = p.length >= 6 ? (p[4]! << 8) | p[5]! : 0;
        if ((p[1] ?? 0) & 1) {
          d.delete(addr, id);
          live.delete(`${addr}/${id}`);
        } else {
          d.set(addr, id, p.length);
          live.add(`${addr}/${id}`);
        }
        check((d.get(addr, id) !== undefined) === live.has(`${addr}/${id}`), 'demux lookup disagrees with its model');
        check(d.size === live.size, 'demux size leaks');
      }
    },
  },
];
