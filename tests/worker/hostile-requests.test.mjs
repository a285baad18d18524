// Requests a client chooses switch nothing off, over HTTP against the built
// wasm under wrangler dev (docs/request-handling.md, "Reading the request",
// "Blob existence check"; docs/operating.md, "Rate limits"):
// - names too long for the upstream get 400 NAME_INVALID and reach no copy,
//   and signature fallback keeps working after them;
// - a copy refusing what clients ask (a 4xx) is never counted against, so
//   its breaker stays closed;
// - sha512 content is checked nowhere;
// - with pull sessions on, a challenged request checks nothing, and 401
//   and 429 answers are no-store;
// - thousands of requests from random addresses of one IPv6 /64 are one
//   client to the rate limit, and its key is nowhere in the output.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startWorker } from '../support/worker.mjs';
import { startRegistry } from '../support/registry.mjs';
import { startMirror } from '../support/mirror-server.mjs';
import { request, ociCode } from '../support/http.mjs';
import { sleep } from '../support/processes.mjs';
import { IP } from '../support/personas.mjs';
import { blob } from './fixtures.mjs';

const PATH = 'k8s-artifacts-prod/images';
const LIMIT = 4980;
const PERIOD = 60;

let regional, canonical, mirror, worker, sessions;

before(async () => {
  [regional, canonical, mirror] = await Promise.all([startRegistry(), startRegistry(), startMirror({ name: 'eu-west-3' })]);
  const vars = {
    UPSTREAM_REGISTRY_ENDPOINT: canonical.url,
    UPSTREAM_REGISTRY_PATH: PATH,
    SIGNATURE_UPSTREAM_ENDPOINT: canonical.url,
    UPSTREAM_REGIONS: [
      { name: 'europe-west9', endpoint: regional.url },
      { name: 'us-central1', endpoint: canonical.url },
    ],
    BLOB_MIRRORS: { 'eu-west-3': mirror.url },
    BLOB_CHECK_TIMEOUT_MS: 1000,
    BREAKER_FAILURES: 3,
  };
  [worker, sessions] = await Promise.all([
    startWorker({ vars, logLevel: 'log' }),
    startWorker({
      vars: { ...vars, PULL_SESSIONS: true },
      // Production's limit and period.
      extraToml: `[[ratelimits]]\nname = "PULL_RATE_LIMIT"\nnamespace_id = "1002"\nsimple = { limit = ${LIMIT}, period = ${PERIOD} }\n`,
      logLevel: 'log',
    }),
  ]);
});

after(async () => {
  await worker?.stop();
  await sessions?.stop();
  for (const s of [regional, canonical, mirror]) await s?.stop();
});

// AWS eu-west-3: its mirror is eu-west-3, its nearest upstream region
// europe-west9 (Paris).
const fromParis = (extra = {}) => ({ headers: { 'CF-Connecting-IP': IP.awsEuWest3, ...extra } });
const reason = (res) => res.headers['x-registry-edge-reason'];

/** HEADs in a registry's access log. */
async function registryHeads(registry) {
  const log = await readFile(registry.logFile, 'utf8');
  return log.split('\n').filter((l) => l.includes('"HEAD /v2/')).length;
}

const digest = (i) => `sha256:${i.toString(16).padStart(64, '0')}`;

test('names too long for the upstream get 400 NAME_INVALID, reach no copy, and leave signature fallback working', async () => {
  const heads = await registryHeads(regional);
  // 235 bytes pass the name grammar; with the upstream's prefix they are 261.
  const long = `${'n'.repeat(117)}/${'m'.repeat(117)}`;
  for (let i = 0; i < 3; i++) {
    for (const kind of ['manifests', 'blobs']) {
      const res = await request(worker.url, `/v2/${long}/${kind}/${digest(i)}`, fromParis());
      assert.equal(res.status, 400, res.body);
      assert.equal(ociCode(res), 'NAME_INVALID');
      assert.equal(res.headers['cache-control'], 'no-store');
    }
  }
  assert.equal(await registryHeads(regional), heads, 'the region was not asked');
  assert.equal(mirror.requests().filter((r) => r.method === 'HEAD').length, 0, 'the mirror was not asked');
  // Content by digest the region lacks still goes to the signature upstream.
  const res = await request(worker.url, `/v2/pause/manifests/${digest(7)}`, fromParis());
  assert.equal(res.status, 307);
  assert.equal(res.headers.location, `${canonical.url}/v2/${PATH}/pause/manifests/${digest(7)}`);
  assert.match(reason(res), /not there -> signature upstream$/);
});

test("a copy refusing clients' requests is never counted against: its breaker stays closed", async () => {
  mirror.setMode('status', { status: 400 });
  try {
    for (let i = 0; i < 6; i++) {
      const b = blob(`refused ${i}`);
      const res = await request(worker.url, `/v2/pause/blobs/${b.digest}`, fromParis());
      assert.equal(res.status, 307);
      assert.match(reason(res), /eu-west-3 mirror rejected \(status 400\) -> upstream europe-west9/);
    }
  } finally {
    mirror.setMode('normal');
  }
  // Six refusals with BREAKER_FAILURES = 3: the mirror is still asked.
  const b = blob('served after the refusals');
  mirror.addBlob(b.digest, b.bytes);
  const res = await request(worker.url, `/v2/pause/blobs/${b.digest}`, fromParis());
  assert.equal(res.headers.location, mirror.blobUrl(b.digest));
  assert.equal(reason(res), 'blob: AWS eu-west-3 -> eu-west-3 mirror');
});

test('sha512 content is checked nowhere', async () => {
  const heads = await registryHeads(regional);
  const mirrorHeads = mirror.requests().filter((r) => r.method === 'HEAD').length;
  const sha512 = `sha512:${'ab'.repeat(64)}`;
  for (const path of [`/v2/pause/blobs/${sha512}`, `/v2/pause/manifests/${sha512}`]) {
    const res = await request(worker.url, path, fromParis());
    assert.equal(res.status, 307, path);
    assert.equal(res.headers.location, `${regional.url}/v2/${PATH}${path.slice(3)}`);
  }
  assert.equal(await registryHeads(regional), heads, 'the region was not asked');
  assert.equal(mirror.requests().filter((r) => r.method === 'HEAD').length, mirrorHeads, 'the mirror was not asked');
});

test('with pull sessions on, a challenged request checks nothing, and 401 is no-store', async () => {
  const heads = await registryHeads(regional);
  const res = await request(sessions.url, `/v2/pause/manifests/${digest(8)}`, fromParis());
  assert.equal(res.status, 401);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.match(res.headers['www-authenticate'], /^Bearer realm=/);
  assert.equal(await registryHeads(regional), heads, 'nothing was checked before the challenge');
});

test('5,000+ requests from random addresses of one IPv6 /64 are limited as one client', async (t) => {
  // The binding counts per window of PERIOD seconds: start early in one.
  const left = PERIOD * 1000 - (Date.now() % (PERIOD * 1000));
  if (left < 25_000) await sleep(left + 500);
  const network = '2600:1f01:4874:12';
  const hex = () => Math.floor(Math.random() * 0x10000).toString(16);
  const statuses = {};
  let sent = 0;
  // Until 200 are refused. On a loaded machine the burst may outlast its
  // window, so the bound on what passes counts the windows it spanned.
  const enough = () => (statuses[429] ?? 0) >= 200 || sent >= 4 * LIMIT;
  const window = () => Math.floor(Date.now() / (PERIOD * 1000));
  const firstWindow = window();
  const session = { Authorization: 'Bearer 0123456789abcdef0123456789abcdef' };
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (!enough()) {
        sent++;
        const ip = `${network}:${hex()}:${hex()}:${hex()}:${hex()}`;
        const res = await request(sessions.url, '/v2/pause/manifests/3.10', { headers: { 'CF-Connecting-IP': ip, ...session } });
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 429) {
          assert.equal(res.headers['cache-control'], 'no-store');
          assert.equal(ociCode(res), 'TOOMANYREQUESTS');
        }
      }
    }),
  );
  const windows = window() - firstWindow + 1;
  t.diagnostic(`rate limit figure: ${sent} requests from one /64 in ${windows} window(s) of ${PERIOD} s -> ${JSON.stringify(statuses)}`);
  assert.ok((statuses[429] ?? 0) >= 200, `limited: ${JSON.stringify(statuses)}`);
  assert.ok((statuses[307] ?? 0) <= LIMIT * windows, `at most ${LIMIT} a window pass: ${JSON.stringify(statuses)}`);
  assert.equal((statuses[307] ?? 0) + (statuses[429] ?? 0), sent, JSON.stringify(statuses));
  // Another /64 is another client.
  const other = await request(sessions.url, '/v2/pause/manifests/3.10', {
    headers: { 'CF-Connecting-IP': '2600:1f01:4874:13::1', ...session },
  });
  assert.equal(other.status, 307);
  // The key is nowhere in the worker's output.
  const output = await readFile(sessions.logFile, 'utf8');
  assert.ok(!output.includes(`${network}::`), 'the /64 key is not logged');
  assert.ok(!output.includes(network), 'no address of the /64 is logged');
});
