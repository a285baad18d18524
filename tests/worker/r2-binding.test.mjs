// The R2 binding's head() calls, counted where they arrive: under bare
// `workerd serve`, the worker's R2 binding is served by a loopback server
// speaking the binding's protocol (tests/support/r2-bucket-service.mjs), in
// the test's process. Each head() the worker makes is one request there;
// nothing in the worker is instrumented.
//
// - Cached answers send no second head(): a present and an absent blob are
//   asked once each, however often they are pulled, and concurrent pulls
//   of one blob share one head().
// - A failing binding (its service answering 500, resetting, or never
//   answering) is a failure: each check goes upstream with the reason, and
//   after BREAKER_FAILURES the breaker skips the binding altogether; never
//   a 5xx. Once the bucket answers again, the probe finds the blob.
// - A challenged request (PULL_SESSIONS) calls no head().

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBareWorkerd } from '../support/workerd.mjs';
import { startR2Bucket } from '../support/r2-bucket-service.mjs';
import { sleep } from '../support/processes.mjs';
import { request } from '../support/http.mjs';
import { blob } from './fixtures.mjs';

const UPSTREAM = 'https://upstream.example';
const PUBLIC = 'https://blobs.example';
const TIMEOUT_MS = 800;
const BREAKER_SECONDS = 4;
const key = (digest) => `containers/images/${digest}`;

let bucket, worker, sessions;
const vars = {
  UPSTREAM_REGISTRY_ENDPOINT: UPSTREAM,
  UPSTREAM_REGISTRY_PATH: 'images',
  DEFAULT_BLOB_BASE_URL: { url: PUBLIC, r2_binding: 'R2_BLOBS' },
  BLOB_CHECK_TIMEOUT_MS: TIMEOUT_MS,
  BREAKER_FAILURES: 3,
  BREAKER_SECONDS,
};

before(async () => {
  bucket = await startR2Bucket();
  [worker, sessions] = await Promise.all([
    startBareWorkerd({ vars, r2Buckets: { R2_BLOBS: bucket.address } }),
    startBareWorkerd({ vars: { ...vars, PULL_SESSIONS: true }, r2Buckets: { R2_BLOBS: bucket.address } }),
  ]);
});

after(async () => {
  await worker?.stop();
  await sessions?.stop();
  await bucket?.stop();
});

const pull = (digest, base = worker.url) => request(base, `/v2/pause/blobs/${digest}`, { headers: { Host: 'registry.example' } });
const upstreamFor = (digest) => `${UPSTREAM}/v2/images/pause/blobs/${digest}`;
const reason = (res) => res.headers['x-registry-edge-reason'];

test('cached answers send no second head(): present and absent blobs are asked once each', async () => {
  const present = blob('r2 present');
  const absent = blob('r2 absent');
  bucket.put(key(present.digest), present.bytes);
  for (let i = 0; i < 5; i++) {
    const hit = await pull(present.digest);
    assert.equal(hit.headers.location, `${PUBLIC}/${key(present.digest)}`);
    const miss = await pull(absent.digest);
    assert.equal(miss.headers.location, upstreamFor(absent.digest));
  }
  assert.equal(bucket.count('head', key(present.digest)), 1);
  assert.equal(bucket.count('head', key(absent.digest)), 1);
  assert.equal(bucket.log.length, 2, 'head() only, nothing else');

  // Twelve concurrent pulls of a blob nobody asked for yet: one head().
  const fresh = blob('r2 concurrent');
  bucket.put(key(fresh.digest), fresh.bytes);
  const answers = await Promise.all(Array.from({ length: 12 }, () => pull(fresh.digest)));
  for (const res of answers) assert.equal(res.headers.location, `${PUBLIC}/${key(fresh.digest)}`);
  assert.equal(bucket.count('head', key(fresh.digest)), 1);
});

for (const [mode, failure] of [
  ['status500', 'binding error'],
  ['reset', 'binding error'],
  ['hang', 'timeout'],
]) {
  test(`a binding whose service fails (${mode}) opens the breaker and routes upstream, never a 5xx`, async (t) => {
    const blobs = Array.from({ length: 8 }, (_, i) => blob(`r2 ${mode} ${i}`));
    for (const b of blobs) bucket.put(key(b.digest), b.bytes);
    bucket.resetLog();
    bucket.setMode(mode);
    const reasons = [];
    let askedWhileClosed;
    try {
      for (const [i, b] of blobs.slice(0, 6).entries()) {
        const res = await pull(b.digest);
        assert.equal(res.status, 307);
        assert.equal(res.headers.location, upstreamFor(b.digest));
        assert.ok(res.ms < TIMEOUT_MS + 1500, `answered in ${Math.round(res.ms)} ms`);
        reasons.push(reason(res));
        if (i === 2) askedWhileClosed = bucket.count('head');
      }
    } finally {
      bucket.setMode('normal');
    }
    assert.deepEqual(reasons, [
      ...Array(3).fill(`blob: unknown client, default blob base (R2) failed (${failure}) -> upstream`),
      ...Array(3).fill('blob: unknown client, default blob base (R2) breaker open -> upstream'),
    ]);
    // workerd retries a request once on a fresh connection when a pooled
    // one is reset before any answer: a reset head() may arrive twice.
    assert.ok(askedWhileClosed >= 3, `${askedWhileClosed} head() requests`);
    assert.equal(bucket.count('head'), askedWhileClosed, 'an open breaker asks nobody');
    // Failures are not remembered: once the breaker lets its probe through,
    // the bucket is asked again and the blob goes to R2.
    await sleep(BREAKER_SECONDS * 1000 + 200);
    const res = await pull(blobs[0].digest);
    assert.equal(res.headers.location, `${PUBLIC}/${key(blobs[0].digest)}`, reason(res));
    assert.ok(bucket.count('head', key(blobs[0].digest)) >= 2);
    t.diagnostic(`${mode}: ${reasons[0]}; ${askedWhileClosed} head() requests for 3 checks`);
  });
}

test('a challenged request (PULL_SESSIONS) calls no head()', async () => {
  bucket.resetLog();
  const digest = blob('r2 challenged').digest;
  bucket.put(key(digest), 'x');
  const anonymous = ['/v2/', '/v2/pause/manifests/3.10', `/v2/pause/manifests/${digest}`, `/v2/pause/manifests/sha256-${digest.slice(7)}.sig`];
  for (const path of anonymous) {
    const res = await request(sessions.url, path);
    assert.equal(res.status, 401, path);
    assert.match(res.headers['www-authenticate'], /^Bearer realm=/, path);
  }
  assert.equal(bucket.log.length, 0, 'nothing was asked before the challenges');
  // Blobs are not challenged (a pull session starts with a ping or a
  // manifest): this one is checked, so the count above could have moved.
  const res = await pull(digest, sessions.url);
  assert.equal(res.headers.location, `${PUBLIC}/${key(digest)}`);
  assert.equal(bucket.count('head', key(digest)), 1);
});
