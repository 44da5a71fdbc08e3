/**
 * Findings 1 and 10, black-box: an attacker's L2TP Host Name and CHAP user
 * name land in the server's log.
 * - ` a="` repeated to the largest AVP (the string that made the doctor's
 *   regular expression backtrack for minutes, on the server's event loop):
 *   GET /doctor answers (200, or 503 with the reason when a cap is hit) within
 *   a bound, and the legitimate session's pings and API calls keep passing.
 * - CR/LF and a forged `tunppp[…]` line: the server's stderr and the API's
 *   log ring (/log) hold no forged line; each record stays one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiRequest } from '../../src/api/client.js';
import { netnsSkipReason } from '../io/netns.js';
import { hostileRun, SERVER_IP } from './net/harness.js';

const skip = netnsSkipReason();
/** What a tunppp line looks like, with a marker. */
const FORGED_LINE = '2026-11-24T18:55:00+0000 forged tunppp[1]: FORGED-BY-PEER link up user=alice event=link-up';
const opts = { protocols: ['l2tp' as const], extra: { ppp: { authProtocols: ['chap'], mppe: { mode: 'refuse', l2tpMode: 'refuse' } } } };

/** GET /doctor, bounded: its status and body, or a failure after `ms`. */
async function doctorWithin(api: Parameters<typeof apiRequest>[0], ms: number): Promise<{ status: number; body: string; ms: number }> {
  const t0 = Date.now();
  const r = await Promise.race([apiRequest(api, 'GET', '/doctor'), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`GET /doctor: no answer in ${ms} ms`)), ms))]);
  return { status: r.status, body: r.body, ms: Date.now() - t0 };
}

test('hostile names: Host Name and CHAP name of ` a="` × 254 → GET /doctor answers within 20 s, the legitimate session keeps passing', { skip, timeout: 180_000 }, async () => {
  await hostileRun(opts, async (h) => {
    const legit = await h.legit('l2tp');
    const r = await h.attack('test/hostile/net/attacks/hostile-names.ts', [SERVER_IP, 'redos', '2'], 60_000);
    assert.match(r.out, /DONE tunnel=up calls=2 failure=[12]/, `attack: ${r.out}\n${r.err}`);
    // The dashboard asks every 16 s; ask three times while the session runs.
    for (let i = 0; i < 3; i++) {
      const d = await doctorWithin(h.api, 20_000);
      assert.ok(d.status === 200 || (d.status === 503 && /"error": ".+"/.test(d.body)), `GET /doctor → ${d.status} ${d.body.slice(0, 300)}`);
      console.log(`# GET /doctor → ${d.status} in ${d.ms} ms`);
      // A new line, so the next call runs the doctor again instead of answering from its cache.
      await apiRequest(h.api, 'POST', '/reload');
    }
    // Escaped: `"` as \", and the `=` of a message that ends like key=value fields as \x3d.
    assert.ok(h.server.err.includes(`(host ${' a\\x3d\\"'.repeat(254)})`), 'the Host Name reached the log');
    // (The server logs at most the first 253 octets of a name.)
    assert.ok(h.server.err.split('\n').some((l) => l.includes(`warn: Peer ${' a=\\"'.repeat(40)}`) && l.includes(' failed CHAP authentication')), 'the failed login reached the log');
    await legit.watch.assertAlive();
  });
});

test('hostile names: CR/LF and a forged tunppp line in the Host Name and user name → no forged line in stderr or /log', { skip, timeout: 180_000 }, async () => {
  await hostileRun(opts, async (h) => {
    const legit = await h.legit('l2tp');
    const r = await h.attack('test/hostile/net/attacks/hostile-names.ts', [SERVER_IP, 'forge', '1', FORGED_LINE], 60_000);
    assert.match(r.out, /DONE tunnel=up calls=1 failure=1/, `attack: ${r.out}\n${r.err}`);
    const ring = (await apiRequest(h.api, 'GET', '/log')).body;
    for (const [where, text] of [['stderr', h.server.err], ['/log', ring]] as const) {
      const lines = text.split('\n');
      const marked = lines.filter((l) => l.includes('FORGED-BY-PEER'));
      assert.ok(marked.length >= 2, `${where}: the peer's strings reached the log (${marked.length} lines)`);
      assert.ok(!lines.some((l) => l.startsWith(FORGED_LINE.slice(0, 30))), `${where}: a forged line:\n${marked.join('\n')}`);
      for (const l of marked) assert.match(l, /^\S+ \S+ tunppp\[\d+\]: .*x\\r\\n2026-11-24T18:55:00\+0000 forged tunppp\[1\]: FORGED-BY-PEER/, `${where}: ${l}`);
    }
    await legit.watch.assertAlive();
  });
});
