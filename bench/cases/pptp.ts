/**
 * PPTP data and control plane costs: enhanced GRE header write + read per
 * packet (the allocation-free path and the object path), the GRE channel's
 * send and in-order receive, and the control stream framer in MB/s.
 */
import { encodeControlMessage, type ControlMessage } from '../../src/pptp/control-codec.js';
import { ControlStreamFramer } from '../../src/pptp/control-stream.js';
import { newGreHeader, parseGre, readGreHeader, writeGreHeader } from '../../src/pptp/gre.js';
import { GreChannel, type GreChannelSink } from '../../src/pptp/gre-channel.js';
import { opsPerSecond, type BenchCase } from '../types.js';

const ns = (ops: number): number => 1e9 / ops;

export const benchmarks: BenchCase[] = [
  {
    name: 'pptp',
    async run() {
      const payload = new Uint8Array(1400).fill(0x45);
      const buf = new Uint8Array(16 + payload.length);
      buf.set(payload, 16);
      const h = newGreHeader();
      let seq = 0;
      const headerOps = opsPerSecond(() => {
        writeGreHeader(buf, 0, 0x1234, payload.length, seq, seq - 1);
        seq = (seq + 1) >>> 0;
        if (readGreHeader(buf, h)) throw new Error('bad header');
      });
      const objectOps = opsPerSecond(() => {
        writeGreHeader(buf, 0, 0x1234, payload.length, seq, seq - 1);
        seq = (seq + 1) >>> 0;
        if (!parseGre(buf).ok) throw new Error('bad header');
      });

      const tx = new GreChannel({ callId: 1, peerCallId: 2, peerRecvWindow: 64 });
      const rx = new GreChannel({ callId: 2, peerCallId: 1, peerRecvWindow: 64, ackDelayMs: 1e12, recvWindow: 0xffff });
      let delivered = 0;
      const sink: GreChannelSink = { deliver: () => delivered++, transmit: () => undefined };
      let now = 0;
      const channelOps = opsPerSecond(() => {
        const p = tx.send(payload, now);
        if (typeof p === 'string') throw new Error(p);
        rx.receive(p, now, sink);
        now += 0.01;
      });
      if (delivered === 0) throw new Error('nothing delivered');
      const tx2 = new GreChannel({ callId: 1, peerCallId: 2, peerRecvWindow: 64 });
      const inPlaceOps = opsPerSecond(() => {
        const start = tx2.sendInPlace(buf, 16, payload.length, now);
        if (typeof start === 'string') throw new Error(start);
        if (readGreHeader(buf.subarray(start), h)) throw new Error('bad header');
      });

      const msgs: ControlMessage[] = [
        { type: 'ECHORQ', identifier: 1 },
        { type: 'OCRQ', callId: 1, callSerialNumber: 1, minimumBps: 300, maximumBps: 1e8, bearerType: 3, framingType: 3, packetRecvWindowSize: 64, packetProcessingDelay: 0, phoneNumberLength: 0, phoneNumber: '', subaddress: '' },
        { type: 'SLI', peerCallId: 1, sendAccm: 0, receiveAccm: 0xffffffff },
      ];
      const one = msgs.map(encodeControlMessage);
      const streamLen = one.reduce((n, m) => n + m.length, 0) * 200;
      const stream = new Uint8Array(streamLen);
      for (let o = 0, i = 0; o < streamLen; i++) {
        const m = one[i % one.length]!;
        stream.set(m, o);
        o += m.length;
      }
      // TCP-like chunks of 1448 bytes, so messages straddle chunk edges.
      const chunks: Uint8Array[] = [];
      for (let o = 0; o < stream.length; o += 1448) chunks.push(stream.subarray(o, o + 1448));
      const framer = new ControlStreamFramer();
      const framerOps = opsPerSecond(() => {
        for (const c of chunks) if (framer.push(c).error) throw new Error('framing');
      });

      return [
        { bench: 'pptp', metric: 'GRE header write+read (no alloc)', value: ns(headerOps), unit: 'ns/packet', note: '1400 B payload, S and A set' },
        { bench: 'pptp', metric: 'GRE header write+parseGre', value: ns(objectOps), unit: 'ns/packet', note: 'object path' },
        { bench: 'pptp', metric: 'GreChannel send+receive', value: ns(channelOps), unit: 'ns/packet', note: 'includes the 1416 B packet copy' },
        { bench: 'pptp', metric: 'GreChannel sendInPlace+readGreHeader', value: ns(inPlaceOps), unit: 'ns/packet', note: 'zero-copy data-plane path' },
        { bench: 'pptp', metric: 'control stream framer', value: (framerOps * stream.length) / 1e6, unit: 'MB/s', note: '1448 B chunks' },
      ];
    },
  },
];
