// Which health records the worker believes, over HTTP under wrangler dev
// (docs/operating.md, "Upstream health checks"): the record is written into
// the local KV store with `wrangler kv key put --local` before the worker
// starts, as the cron's probe would have written it; a fresh record is
// acted on, one dated more than a minute ahead is stale, and one marking
// more than half of the regions unhealthy is ignored and logged once.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startWorker } from '../support/worker.mjs';
import { makeTempDir, runChecked, sleep } from '../support/processes.mjs';
import { compatibilityDate } from '../support/wrangler-toml.mjs';
import { request } from '../support/http.mjs';
import { IP } from '../support/personas.mjs';

const BINDING = 'UPSTREAM_HEALTH';
// The id startWorker gives a KV binding, so both see one local namespace.
const NAMESPACE_ID = `${BINDING}-local`;
const REGIONS = [
  { name: 'us-east4', endpoint: 'https://us-east4.example' },
  { name: 'europe-west1', endpoint: 'https://europe-west1.example' },
  { name: 'asia-east1', endpoint: 'https://asia-east1.example' },
];

let state;

before(async () => {
  state = await makeTempDir('registry-edge-health-record-');
  await writeFile(
    path.join(state.dir, 'kv.toml'),
    `name = "kv"\ncompatibility_date = "${compatibilityDate()}"\n[[kv_namespaces]]\nbinding = "${BINDING}"\nid = "${NAMESPACE_ID}"\n`,
  );
});

after(async () => {
  await state?.remove();
});

/** Stores `record` as the probe would, in the worker's local KV store. */
async function store(record) {
  await runChecked(
    'wrangler',
    ['kv', 'key', 'put', 'upstream-health', JSON.stringify(record), '--binding', BINDING, '--local',
      '--persist-to', path.join(state.dir, 'state'), '--config', path.join(state.dir, 'kv.toml')],
    { timeoutMs: 60_000, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  );
}

/** A worker reading that store; `requests` run against it, then it stops. */
async function withWorker(requests) {
  const worker = await startWorker({
    vars: { UPSTREAM_REGISTRY_ENDPOINT: REGIONS[0].endpoint, UPSTREAM_REGIONS: REGIONS, UPSTREAM_HEALTH_CHECKS: true },
    kvNamespaces: [BINDING],
    stateDir: path.join(state.dir, 'state'),
    logLevel: 'log',
  });
  try {
    return await requests(worker);
  } finally {
    await worker.stop();
  }
}

/** The isolate's first request starts the KV read; its answer is back well within this. */
async function readTheRecord(worker) {
  await regionOf(worker);
  await sleep(500);
}

/** The upstream region a manifest of an AWS us-east-1 client goes to (nearest: us-east4). */
async function regionOf(worker) {
  const res = await request(worker.url, '/v2/pause/manifests/3.10', { headers: { 'CF-Connecting-IP': IP.awsUsEast1 } });
  assert.equal(res.status, 307, res.body);
  return new URL(res.headers.location).hostname.split('.')[0];
}

test('a fresh record is acted on', async () => {
  await store({ checked_at_ms: Date.now(), unhealthy: ['us-east4'] });
  await withWorker(async (worker) => {
    // The first request of an isolate may go before the read is back.
    let region;
    for (let i = 0; i < 20 && region !== 'europe-west1'; i++) region = await regionOf(worker);
    assert.equal(region, 'europe-west1');
  });
});

test('a record dated more than a minute ahead is stale', async () => {
  await store({ checked_at_ms: Date.now() + 10 * 60_000, unhealthy: ['us-east4'] });
  await withWorker(async (worker) => {
    await readTheRecord(worker);
    for (let i = 0; i < 10; i++) assert.equal(await regionOf(worker), 'us-east4');
  });
});

test('a record marking more than half of the regions unhealthy is ignored, and logged once', async () => {
  await store({ checked_at_ms: Date.now(), unhealthy: ['us-east4', 'europe-west1'] });
  await withWorker(async (worker) => {
    await readTheRecord(worker);
    for (let i = 0; i < 10; i++) assert.equal(await regionOf(worker), 'us-east4');
    const log = await readFile(worker.logFile, 'utf8');
    const warnings = log.split('\n').filter((l) => l.includes('2 of 3 regions unhealthy'));
    assert.equal(warnings.length, 1, log.slice(-2000));
  });
});
