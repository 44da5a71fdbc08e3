import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSessions } from './sessions.js';
import { sessionInfo } from '../api/ops.js';
import { FakeLink } from '../../test/api/fakes.js';

test('sessions: a RADIUS lease and a rate limit → nas, addressFrom, acctSessionId and rateLimit in the API; * and up/down in the table', () => {
  const a = new FakeLink(1, { user: 'alice', ip: '10.99.0.10', peer: '198.51.100.7' });
  a.framedAddress = '10.99.0.10';
  a.acctSessionId = '04B48FD6FCE49E22-00000001';
  a.rateLimit = { upBps: 1_000_000, downBps: 2_000_000 };
  a.rateLimitSource = 'RADIUS Mikrotik-Rate-Limit "1M/2M"';
  const b = new FakeLink(2, { user: 'bob', ip: '192.168.99.11', peer: '198.51.100.8', proto: 'l2tp' });
  b.rateLimit = { downBps: 512_000 };
  b.rateLimitSource = 'rateLimits.default';
  const c = new FakeLink(3, { user: 'carol', ip: '192.168.99.12' });
  const [sa, sb, sc] = [sessionInfo(a, 'tunppp-a'), sessionInfo(b, 'tunppp-a'), sessionInfo(c, 'tunppp-a')];
  assert.deepEqual(
    { nas: sa.nas, addressFrom: sa.addressFrom, acctSessionId: sa.acctSessionId, rateLimit: sa.rateLimit },
    { nas: 'tunppp-a', addressFrom: 'radius', acctSessionId: '04B48FD6FCE49E22-00000001', rateLimit: { upBps: 1_000_000, downBps: 2_000_000, source: 'RADIUS Mikrotik-Rate-Limit "1M/2M"' } },
  );
  assert.deepEqual(sb.rateLimit, { upBps: null, downBps: 512_000, source: 'rateLimits.default' });
  assert.equal(sb.addressFrom, 'local');
  assert.equal(sc.rateLimit, null);
  const table = formatSessions([sa, sb, sc]);
  assert.match(table.split('\n')[0]!, /MPPE\s+LIMIT$/);
  assert.match(table, /^ *1 +alice +198\.51\.100\.7 +10\.99\.0\.10\* .* 1M\/2M$/m);
  assert.match(table, /^ *2 +bob +198\.51\.100\.8 +192\.168\.99\.11 +l2tp .* -\/512k$/m);
  assert.match(table, /^ *3 +carol .* -$/m);
});
