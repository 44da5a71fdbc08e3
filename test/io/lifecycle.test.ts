/**
 * Lifetime edges of the native handles: a throwing callback reaches
 * 'uncaughtException' without breaking the socket, and a worker thread that
 * is terminated with sockets open closes them through the addon's cleanup
 * hook instead of crashing the process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { nativeCandidates } from '../../src/io/native.js';
import { netnsSkipReason, withLab } from './netns.js';
import { existsSync } from 'node:fs';

const skip = netnsSkipReason();
const root = fileURLToPath(new URL('../../', import.meta.url));

test('onPackets throws → process uncaughtException with that error; later packets still arrive', { skip, timeout: 30_000 }, async () => {
  await withLab(async (lab) => {
    const a = lab.ns();
    const b = lab.ns();
    lab.link(a, 'va', '10.83.0.1/24', b, 'vb', '10.83.0.2/24');
    const script = `
      import { openGreSocket } from './src/io/gre-socket.ts';
      import { pptpGre } from './test/io/netns.ts';
      const caught = [];
      process.on('uncaughtException', (e) => caught.push(e.message));
      const rx = openGreSocket({ netns: '${b}' });
      const tx = openGreSocket({ netns: '${a}' });
      let n = 0;
      rx.onPackets((batch) => { n += batch.count; if (n === 1) throw new Error('boom in onPackets'); });
      tx.sendTo('10.83.0.2', pptpGre(1, 1, new Uint8Array(4)));
      setTimeout(() => tx.sendTo('10.83.0.2', pptpGre(1, 2, new Uint8Array(4))), 50);
      const t0 = Date.now();
      const done = () => {
        if (n < 2 && Date.now() - t0 < 5000) return setTimeout(done, 10);
        console.log(JSON.stringify({ caught, n }));
        rx.close();
        tx.close();
      };
      done();`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim()), { caught: ['boom in onPackets'], n: 2 });
  });
});

test('worker terminated with a GRE socket and a TUN open → handles closed by the cleanup hook, process fine', { skip, timeout: 30_000 }, async () => {
  const addon = nativeCandidates().find((p) => existsSync(p))!;
  await withLab(async (lab) => {
    const ns = lab.ns();
    const code = `
      const { parentPort } = require('node:worker_threads');
      const a = require(${JSON.stringify(addon)});
      const rx = new Uint8Array(8 * 2048), meta = new Uint32Array(8 * 5);
      a.greOpen({ netns: '/var/run/netns/${ns}', slots: 8, slotBytes: 2048 }, rx, meta, () => {}, () => {});
      const trx = new Uint8Array(8 * 2048), tmeta = new Uint32Array(8 * 5);
      a.tunOpen({ netns: '/var/run/netns/${ns}', name: 'tpworker0', slots: 8, slotBytes: 2048 }, trx, tmeta, () => {}, () => {});
      parentPort.postMessage('open');`;
    const w = new Worker(code, { eval: true });
    await new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
    assert.match(lab.ip(ns, 'link', 'show'), /tpworker0/);
    await w.terminate();
    await new Promise((r) => setTimeout(r, 50));
    assert.doesNotMatch(lab.ip(ns, 'link', 'show'), /tpworker0/, 'the TUN fd was closed with the worker');
  });
});
