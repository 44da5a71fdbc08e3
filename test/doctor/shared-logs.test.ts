/**
 * Every real log in test/fixtures/logs is diagnosed right. The table is
 * the contract: log → the cause ids that match its .json's category and root
 * cause. The test also re-reads each .json and checks that the expected
 * cause's category is the one the .json names, and that its benign_lines are
 * reported as benign and never used as evidence.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeTexts } from '../../src/doctor/analyze.js';
import { cause } from '../../src/doctor/causes.js';
import { fixtureLogNames, LOGS_DIR } from '../helpers/fixtures.js';

const DIR = LOGS_DIR;

/** log → acceptable first cause (from the .json category / root_cause). */
const EXPECTED: Record<string, { cause: string[]; why: string }> = {
  'seed-macos-pptp-mtu': { cause: ['gre-path-mtu'], why: 'pptpd GRE read EMSGSIZE after ICMP frag-needed → call torn down' },
  'gh-crouton-378-mppe-no-kernel-support': { cause: ['mppe-no-kernel-support'], why: 'kernel-support: host kernel lacks ppp_mppe' },
  'gh-ftao-vpn-deploy-92-mppe-required-router': { cause: ['mppe-not-negotiated'], why: 'mppe-negotiation: server requires MPPE the router client lacks' },
  'gh-hwdsl2-setup-642-lcp-timeout-windows': { cause: ['gre-blocked'], why: 'gre-not-flowing: LCP ConfReqs never answered' },
  'gh-immortalwrt-1605-mppe-required-not-available': { cause: ['mppe-not-negotiated'], why: 'mppe-negotiation: peer terminated with MPPE required but not available' },
  'gh-luci-6037-no-response-5-echo-requests': { cause: ['lcp-echo-timeout'], why: 'keepalive: 5 lost LCP echo replies drop the link' },
  'gh-openfortivpn-895-docker-no-dev-ppp': { cause: ['kernel-ppp-missing'], why: 'kernel-support: no /dev/ppp in the container' },
  'gh-ppp-335-client-demands-server-auth': { cause: ['auth-client-requires-server-auth'], why: 'auth-config: client requires the server to authenticate' },
  'gh-turnkey-1741-lxc-dev-ppp-permission': { cause: ['dev-ppp-permission', 'kernel-ppp-missing'], why: 'kernel-support: /dev/ppp permission denied in unprivileged LXC' },
  'gh-wsl-5213-lcp-timeout-no-ppp-kconfig': { cause: ['gre-blocked', 'kernel-ppp-missing'], why: 'kernel-support / gre-not-flowing: WSL kernel without PPP/GRE configs' },
  'gh-xl2tpd-pr175-result-code-avp-no-error-code': { cause: ['l2tp-avp-rejected'], why: 'l2tp-avp-parsing: Result Code AVP without Error Code rejected' },
};

const logs = fixtureLogNames();

test('shared logs: the folder exists and every log has an expectation', () => {
  assert.ok(logs.length >= 11, `expected the shared logs in ${DIR}`);
  for (const f of logs) assert.ok(EXPECTED[f.replace(/\.log$/, '')], `no expectation for ${f}: add it to EXPECTED`);
});

for (const f of logs) {
  const name = f.replace(/\.log$/, '');
  test(`shared log ${name}: doctor → ${EXPECTED[name]?.cause.join(' | ')}`, () => {
    const exp = EXPECTED[name];
    assert.ok(exp);
    const meta = JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as { category?: string; benign_lines?: string[] };
    const r = analyzeTexts([{ name: f, text: readFileSync(join(DIR, f), 'utf8') }], { year: 2020 });
    assert.ok(r.findings.length > 0, 'no finding');
    const top = r.findings[0]!;
    assert.ok(exp.cause.includes(top.cause), `top cause ${top.cause}, expected ${exp.cause.join(' or ')} (${exp.why})`);
    // The expectation itself agrees with the .json: the cause's category is one the .json names.
    if (meta.category) {
      const cats = meta.category.split('/').map((s) => s.trim());
      assert.ok(cats.includes(cause(top.cause).category), `category ${cause(top.cause).category} not in .json category '${meta.category}'`);
    }
    assert.ok(top.evidence.length > 0);
    assert.ok(top.fix.length > 0 && top.fix.every((s) => s.lines.length > 0));
    // benign_lines: reported as benign, never evidence.
    const evidence = r.findings.flatMap((x) => x.evidence.map((e) => e.text));
    const benignText = r.benign.flatMap((b) => b.examples.map((e) => e.text));
    for (const b of meta.benign_lines ?? []) {
      assert.ok(benignText.some((t) => t.includes(b)), `benign line not listed as benign: ${b}`);
      assert.ok(!evidence.some((t) => t.includes(b)), `benign line used as evidence: ${b}`);
    }
  });
}
