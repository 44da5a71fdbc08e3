/**
 * Text fuzz targets: the config file readers (tunppp.json, pptpd.conf, pppd
 * options, chap-secrets, xl2tpd.conf) and doctor's log analysis, fed mutated
 * real files (the sample logs in test/fixtures/logs) and random bytes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { ConfigError } from '../../src/core/errors.js';
import { parseChapSecrets } from '../../src/config/chap-secrets.js';
import { parsePppOptions } from '../../src/config/ppp-options.js';
import { parsePptpdConf } from '../../src/config/pptpd-conf.js';
import { parseTunpppJson } from '../../src/config/schema.js';
import { parseXl2tpdConf } from '../../src/config/xl2tpd-conf.js';
import { analyzeTexts } from '../../src/doctor/analyze.js';
import { LOGS_URL } from '../helpers/fixtures.js';
import { check, utf8, type FuzzTarget } from './harness.js';

const LOG_DIR = LOGS_URL;
const enc = new TextEncoder();

let logCache: Uint8Array[] | undefined;
/** The real logs (their first 4,000 octets each). */
export function logSeeds(): Uint8Array[] {
  if (logCache) return logCache;
  logCache = readdirSync(LOG_DIR)
    .filter((f) => f.endsWith('.log'))
    .map((f) => readFileSync(new URL(f, LOG_DIR)))
    .map((b) => new Uint8Array(b.subarray(0, 4000)));
  return logCache;
}

const CONFIG_SAMPLES = [
  '{"listen":{"pptp":true},"pools":[{"range":"10.9.0.10-10.9.0.50"}]}',
  'localip 192.168.0.1\nremoteip 192.168.0.234-238,192.168.0.245\noption /etc/ppp/pptpd-options\n',
  'name pptpd\nrefuse-pap\nrequire-mschap-v2\nrequire-mppe-128\nms-dns 8.8.8.8\nmtu 1400\nmru 1400\n',
  '# client server secret IP\nalice pptpd "pa ss" *\nbob * secret 10.0.0.5\n',
  '[global]\nport = 1701\n[lns default]\nip range = 10.1.0.2-10.1.0.20\nlocal ip = 10.1.0.1\nrequire chap = yes\npppoptfile = /etc/ppp/options.xl2tpd\n',
].map((s) => enc.encode(s));

function configTarget(name: string, parse: (t: string) => unknown): FuzzTarget {
  return {
    name: `config/${name}`,
    seeds: () => CONFIG_SAMPLES,
    maxPackets: 1,
    maxBytes: 800,
    run([b]) {
      try {
        parse(utf8.decode(b!));
      } catch (e) {
        check(e instanceof ConfigError, `${name} threw ${String(e)}`);
      }
    },
  };
}

/** Every text target. */
export const textTargets: FuzzTarget[] = [
  configTarget('tunppp.json', (t) => parseTunpppJson(t, 'tunppp.json')),
  configTarget('pptpd.conf', (t) => parsePptpdConf(t, 'pptpd.conf')),
  configTarget('ppp-options', (t) => parsePppOptions(t, 'options')),
  configTarget('chap-secrets', (t) => parseChapSecrets(t, 'chap-secrets')),
  configTarget('xl2tpd.conf', (t) => parseXl2tpdConf(t, 'xl2tpd.conf')),
  {
    name: 'doctor/logs',
    seeds: logSeeds,
    maxPackets: 3,
    maxBytes: 4500,
    run(files) {
      const text = files.map((f) => utf8.decode(f));
      const r = analyzeTexts(text.map((t, i) => ({ name: `log${i}`, text: t })));
      check(typeof r === 'object' && r !== null, 'no report');
    },
  },
];
