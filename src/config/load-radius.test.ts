import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { loadConfig } from './load.js';

test('loadConfig: auth.backends ["radius"] and no chap-secrets file → loads with no secrets; with "chap-secrets" listed → ConfigError', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunppp-load-radius-'));
  try {
    const radius = { servers: [{ address: '127.0.0.1', secret: 's' }] };
    writeFileSync(join(dir, 'r.json'), JSON.stringify({ auth: { backends: ['radius'], chapSecrets: join(dir, 'missing') }, radius }));
    const l = await loadConfig({ config: join(dir, 'r.json') });
    assert.deepEqual(l.secrets, []);
    assert.deepEqual(l.config.auth.backends, ['radius']);
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ auth: { backends: ['radius', 'chap-secrets'], chapSecrets: join(dir, 'missing') }, radius }));
    await assert.rejects(loadConfig({ config: join(dir, 'c.json') }), (e: unknown) => e instanceof ConfigError && /chap-secrets not found/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
