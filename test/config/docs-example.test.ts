// The tunppp.json example in docs/config.md must stay valid, and the numbers
// quoted in docs/mtu.md must match the library.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parseTunpppJson } from '../../src/config/schema.js';
import { parseEspSuite } from '../../src/mtu/esp.js';
import { bestTunnelMtu, typicalOptions, type TunnelOptions } from '../../src/mtu/overhead.js';

const root = new URL('../../', import.meta.url);

test('docs/config.md: the tunppp.json example → parses as a valid Config', async () => {
  const md = await readFile(new URL('docs/config.md', root), 'utf8');
  const block = /```json\n([\s\S]*?)```/.exec(md);
  assert.ok(block, 'no json block in docs/config.md');
  const c = parseTunpppJson(block[1]!, 'docs/config.md');
  assert.equal(c.pools[0]!.name, 'office');
});

test('docs/mtu.md: every row of "Worked figures" → matches bestTunnelMtu', async () => {
  const md = await readFile(new URL('docs/mtu.md', root), 'utf8');
  const cases: [string, TunnelOptions][] = [
    ['PPTP, worst', { proto: 'pptp' }],
    ['PPTP, typical', typicalOptions({ proto: 'pptp' })],
    ['PPTP over PPPoE', { proto: 'pptp', pppoe: true }],
    ['L2TP, worst', { proto: 'l2tp' }],
    ['L2TP, typical', typicalOptions({ proto: 'l2tp' })],
    ['L2TP/IPsec AES-CBC-SHA1', { proto: 'l2tp-ipsec' }],
    ['same, NAT-T', { proto: 'l2tp-ipsec', natT: true }],
    ['same, NAT-T, typical', typicalOptions({ proto: 'l2tp-ipsec', natT: true })],
    ['same, NAT-T over PPPoE', { proto: 'l2tp-ipsec', natT: true, pppoe: true }],
    ['L2TP/IPsec AES-GCM, NAT-T', { proto: 'l2tp-ipsec', natT: true, esp: parseEspSuite('aes-gcm')! }],
  ];
  for (const [label, opts] of cases) {
    const row = md.split('\n').find((l) => l.startsWith(`| ${label} |`));
    assert.ok(row, `row '${label}' missing`);
    const cells = row.split('|').map((c) => c.trim());
    const r = bestTunnelMtu(1500, opts);
    assert.equal(Number(cells[3]), r.pppMru, `${label}: LCP MRU`);
    assert.equal(Number(cells[4]), r.ipMtu, `${label}: IP MTU`);
    assert.equal(cells[5], `${r.mssIpv4} / ${r.mssIpv6}`, `${label}: MSS`);
  }
});
