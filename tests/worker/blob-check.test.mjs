// The blob existence check and its caches, observed through the request
// counts of real loopback mirror servers: present is cached, absent (403,
// 404, 410) is cached briefly, every other answer, errors and timeouts are
// failures and not cached, concurrent checks of one URL share a
// subrequest, and the colo-wide Cache API survives a new isolate. Faults
// (500, hang past the timeout, closed port) always end in a redirect to
// upstream, never a 5xx, and the reason header says which fault it was.
// The breaker is off here (BREAKER_FAILURES = 0): it has its own suite,
// breaker.test.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from '../support/worker.mjs';
import { startMirror } from '../support/mirror-server.mjs';
import { makeTempDir, sleep } from '../support/processes.mjs';
import { request } from '../support/http.mjs';
import { IP } from '../support/personas.mjs';
import { blob } from './fixtures.mjs';

const UPSTREAM = 'https://upstream.example';
const TIMEOUT_MS = 800;
const NEGATIVE_SECONDS = 2;

let mirror, state, worker;
const vars = () => ({
  UPSTREAM_REGISTRY_ENDPOINT: UPSTREAM,
  UPSTREAM_REGISTRY_PATH: 'images',
  BLOB_MIRRORS: { 'eu-west-3': mirror.url },
  BLOB_CHECK_TIMEOUT_MS: TIMEOUT_MS,
  NEGATIVE_CACHE_SECONDS: NEGATIVE_SECONDS,
  BREAKER_FAILURES: 0,
});

before(async () => {
  mirror = await startMirror();
  state = await makeTempDir('registry-edge-cache-state-');
  worker = await startWorker({ vars: vars(), stateDir: state.dir });
});

after(async () => {
  await worker?.stop();
  await mirror?.stop();
  await state?.remove();
});

// The worker's own host keys its Cache API entries: a fixed one, as in
// production (wrangler dev's port changes with every start).
const HOST = 'registry.example';
const pull = (digest, base = worker.url) =>
  request(base, `/v2/pause/blobs/${digest}`, { headers: { Host: HOST, 'CF-Connecting-IP': IP.awsEuWest3 } });
const upstreamFor = (digest) => `${UPSTREAM}/v2/images/pause/blobs/${digest}`;
const reason = (res) => res.headers['x-registry-edge-reason'];

test('present: one HEAD, then answered from cache', async () => {
  const b = blob('cached present');
  mirror.addBlob(b.digest, b.bytes);
  for (let i = 0; i < 5; i++) {
    const res = await pull(b.digest);
    assert.equal(res.status, 307);
    assert.equal(res.headers.location, mirror.blobUrl(b.digest));
  }
  assert.equal(mirror.countFor('HEAD', b.digest), 1);
});

test('absent: cached for NEGATIVE_CACHE_SECONDS, then checked again', async () => {
  const b = blob('cached absent');
  for (let i = 0; i < 3; i++) {
    const res = await pull(b.digest);
    assert.equal(res.headers.location, upstreamFor(b.digest));
    assert.equal(reason(res), 'blob: AWS eu-west-3, not in eu-west-3 mirror -> upstream');
  }
  assert.equal(mirror.countFor('HEAD', b.digest), 1);
  // Mirroring caught up; the negative answer expires.
  mirror.addBlob(b.digest, b.bytes);
  await sleep(NEGATIVE_SECONDS * 1000 + 300);
  assert.equal((await pull(b.digest)).headers.location, mirror.blobUrl(b.digest));
  assert.equal(mirror.countFor('HEAD', b.digest), 2);
});

test('mirror answering 500: upstream, and not cached', async () => {
  const b = blob('mirror 500');
  mirror.addBlob(b.digest, b.bytes);
  mirror.setMode('status500');
  try {
    for (let i = 0; i < 3; i++) {
      const res = await pull(b.digest);
      assert.equal(res.status, 307);
      assert.equal(res.headers.location, upstreamFor(b.digest));
      assert.equal(reason(res), 'blob: AWS eu-west-3, eu-west-3 mirror failed (status 500) -> upstream');
    }
    assert.equal(mirror.countFor('HEAD', b.digest), 3);
  } finally {
    mirror.setMode('normal');
  }
  assert.equal((await pull(b.digest)).headers.location, mirror.blobUrl(b.digest));
});

test('mirror hanging past the timeout: upstream after about BLOB_CHECK_TIMEOUT_MS, not cached', async () => {
  const b = blob('mirror hangs');
  mirror.addBlob(b.digest, b.bytes);
  mirror.setMode('hang');
  try {
    for (let i = 0; i < 2; i++) {
      const res = await pull(b.digest);
      assert.equal(res.status, 307);
      assert.equal(res.headers.location, upstreamFor(b.digest));
      assert.ok(res.ms >= TIMEOUT_MS - 50, `answered in ${res.ms} ms, before the timeout`);
      assert.ok(res.ms < TIMEOUT_MS + 1500, `answered in ${res.ms} ms`);
      assert.equal(reason(res), 'blob: AWS eu-west-3, eu-west-3 mirror failed (timeout) -> upstream');
      console.log(`# hanging mirror: redirected to upstream after ${Math.round(res.ms)} ms`);
    }
    assert.equal(mirror.countFor('HEAD', b.digest), 2);
  } finally {
    mirror.setMode('normal');
  }
});

test('concurrent checks of one URL share a single HEAD', async () => {
  const b = blob('concurrent');
  mirror.addBlob(b.digest, b.bytes);
  mirror.setMode('hang', { hangMs: 300 }); // slow but within the timeout
  try {
    const answers = await Promise.all(Array.from({ length: 12 }, () => pull(b.digest)));
    for (const res of answers) assert.equal(res.headers.location, mirror.blobUrl(b.digest));
  } finally {
    mirror.setMode('normal');
  }
  assert.equal(mirror.countFor('HEAD', b.digest), 1);
});

test('the Cache API answers for a fresh isolate', async () => {
  const b = blob('colo cache');
  mirror.addBlob(b.digest, b.bytes);
  assert.equal((await pull(b.digest)).headers.location, mirror.blobUrl(b.digest));
  assert.equal(mirror.countFor('HEAD', b.digest), 1);
  // A new worker process on the same persisted state: a new isolate with
  // an empty in-memory map, the same colo cache.
  await worker.stop();
  worker = await startWorker({ vars: vars(), stateDir: state.dir });
  assert.equal((await pull(b.digest)).headers.location, mirror.blobUrl(b.digest));
  assert.equal(mirror.countFor('HEAD', b.digest), 1, 'answered from the Cache API');
});

test('mirror port closed: upstream, quickly', async () => {
  const b = blob('closed port');
  await mirror.stop();
  try {
    const res = await pull(b.digest);
    assert.equal(res.status, 307);
    assert.equal(res.headers.location, upstreamFor(b.digest));
    assert.ok(res.ms < TIMEOUT_MS + 1500, `answered in ${res.ms} ms`);
    assert.equal(reason(res), 'blob: AWS eu-west-3, eu-west-3 mirror failed (network error) -> upstream');
    console.log(`# closed mirror port: redirected to upstream after ${Math.round(res.ms)} ms`);
  } finally {
    await mirror.restart();
  }
});

// Only 403, 404 and 410 mean absent (S3 answers 403 for a
// missing key); any other answer says nothing about the blob.
test('403 and 410 are absent (cached); 3xx, 408 and 429 are failures, other 4xx rejections (neither cached)', async () => {
  for (const status of [403, 410]) {
    const b = blob(`absent by ${status}`);
    mirror.setMode('status', { status });
    try {
      for (let i = 0; i < 2; i++) {
        const res = await pull(b.digest);
        assert.equal(res.headers.location, upstreamFor(b.digest));
        assert.equal(reason(res), 'blob: AWS eu-west-3, not in eu-west-3 mirror -> upstream', `${status}`);
      }
      assert.equal(mirror.countFor('HEAD', b.digest), 1, `${status}: cached`);
    } finally {
      mirror.setMode('normal');
    }
  }
  for (const status of [301, 302, 400, 408, 429]) {
    const b = blob(`failure by ${status}`);
    mirror.addBlob(b.digest, b.bytes);
    mirror.setMode('status', { status });
    // A 4xx other than these refuses the request the client chose: it says
    // nothing about the copy, and the reason says so.
    const what = [408, 429].includes(status) || status < 400 ? `failed (status ${status})` : `rejected (status ${status})`;
    try {
      for (let i = 0; i < 2; i++) {
        const res = await pull(b.digest);
        assert.equal(res.headers.location, upstreamFor(b.digest));
        assert.equal(reason(res), `blob: AWS eu-west-3, eu-west-3 mirror ${what} -> upstream`);
      }
      assert.equal(mirror.countFor('HEAD', b.digest), 2, `${status}: not cached`);
    } finally {
      mirror.setMode('normal');
    }
    // Not cached: the mirror is asked again once it answers.
    assert.equal((await pull(b.digest)).headers.location, mirror.blobUrl(b.digest), `${status}`);
  }
});
