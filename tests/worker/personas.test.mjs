// The client personas (tests/support/personas.mjs) are where the table says:
// the built worker, with its real range tables, names each one's cloud and
// region in the reason of a blob redirect. No copy is configured, so the
// reason is the client's placement alone (GCP clients: no copy is asked).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBareWorkerd } from '../support/workerd.mjs';
import { request } from '../support/http.mjs';
import { MIRROR_REGIONS, PERSONAS, RIG_PERSONAS } from '../support/personas.mjs';
import { blob } from './fixtures.mjs';

const b = blob('persona placement');
let worker;

before(async () => {
  worker = await startBareWorkerd({ vars: { UPSTREAM_REGISTRY_ENDPOINT: 'https://upstream.example' } });
});

after(async () => {
  await worker?.stop();
});

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

for (const p of PERSONAS) {
  test(`${p.key} (${p.ip}) is ${p.where}`, async () => {
    const res = await request(worker.url, `/v2/pause/blobs/${b.digest}`, { headers: { 'CF-Connecting-IP': p.ip } });
    assert.equal(res.status, 307);
    const reason = res.headers['x-registry-edge-reason'];
    assert.match(reason, new RegExp(`^blob: ${escape(p.where)}(,| ->)`), reason);
  });
}

test('every persona once; the rig personas come from mirror regions, the CDN or the upstream', () => {
  assert.equal(new Set(PERSONAS.map((p) => p.key)).size, PERSONAS.length, 'keys');
  assert.equal(new Set(PERSONAS.map((p) => p.ip)).size, PERSONAS.length, 'addresses');
  for (const p of RIG_PERSONAS) assert.ok([...MIRROR_REGIONS, 'cdn', 'upstream'].includes(p.backend), p.key);
});
