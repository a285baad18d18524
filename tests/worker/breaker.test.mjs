// A copy that keeps failing is remembered (the breaker). After
// BREAKER_FAILURES consecutive failed checks the copy is skipped for
// BREAKER_SECONDS: blobs go upstream at once, nobody is asked, and the
// reason says "breaker open". The state is shared through the Cache API,
// so a fresh isolate of the colo skips the copy too. Then a single probe
// is let through; its success closes the breaker.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from '../support/worker.mjs';
import { startMirror } from '../support/mirror-server.mjs';
import { makeTempDir, sleep } from '../support/processes.mjs';
import { request } from '../support/http.mjs';
import { IP } from '../support/personas.mjs';
import { blob } from './fixtures.mjs';

const UPSTREAM = 'https://upstream.example';
const BREAKER_SECONDS = 15;

let mirror, state, worker;
const vars = () => ({
  UPSTREAM_REGISTRY_ENDPOINT: UPSTREAM,
  UPSTREAM_REGISTRY_PATH: 'images',
  BLOB_MIRRORS: { 'eu-west-3': mirror.url },
  BLOB_CHECK_TIMEOUT_MS: 1000,
  BREAKER_FAILURES: 3,
  BREAKER_SECONDS,
});

before(async () => {
  mirror = await startMirror();
  state = await makeTempDir('registry-edge-breaker-state-');
  worker = await startWorker({ vars: vars(), stateDir: state.dir });
});

after(async () => {
  await worker?.stop();
  await mirror?.stop();
  await state?.remove();
});

// The worker's own host keys its Cache API entries: a fixed one, as in
// production (wrangler dev's port changes with every start).
const pull = (digest) =>
  request(worker.url, `/v2/pause/blobs/${digest}`, {
    headers: { Host: 'registry.example', 'CF-Connecting-IP': IP.awsEuWest3 },
  });
const upstreamFor = (digest) => `${UPSTREAM}/v2/images/pause/blobs/${digest}`;
const reason = (res) => res.headers['x-registry-edge-reason'];
const heads = () => mirror.requests({ method: 'HEAD' }).length;
const OPEN = 'blob: AWS eu-west-3, eu-west-3 mirror breaker open -> upstream';

test('three failures open the breaker; a fresh isolate skips the copy too; one probe closes it', async (t) => {
  const blobs = Array.from({ length: 20 }, (_, i) => blob(`breaker ${i}`));
  for (const b of blobs) mirror.addBlob(b.digest, b.bytes);

  // Three failed checks, each asked.
  mirror.setMode('status500');
  for (const b of blobs.slice(0, 3)) {
    const res = await pull(b.digest);
    assert.equal(res.headers.location, upstreamFor(b.digest));
    assert.equal(reason(res), 'blob: AWS eu-west-3, eu-west-3 mirror failed (status 500) -> upstream');
  }
  const openedAt = Date.now();
  assert.equal(heads(), 3);

  // Open: upstream at once, nobody asked, even once the copy is healthy.
  mirror.setMode('normal');
  for (const b of blobs.slice(3, 6)) {
    const res = await pull(b.digest);
    assert.equal(res.headers.location, upstreamFor(b.digest));
    assert.equal(reason(res), OPEN);
  }
  assert.equal(heads(), 3, 'no check while the breaker is open');

  // A new isolate (a new wrangler dev on the same persisted state) learns
  // it from the colo's Cache API.
  await worker.stop();
  worker = await startWorker({ vars: vars(), stateDir: state.dir });
  const restartedAfter = Date.now() - openedAt;
  assert.ok(restartedAfter < BREAKER_SECONDS * 1000 - 2000, `restart took ${restartedAfter} ms`);
  for (const b of blobs.slice(6, 8)) {
    const res = await pull(b.digest);
    assert.equal(reason(res), OPEN, 'fresh isolate');
  }
  assert.equal(heads(), 3, 'no check from the fresh isolate either');

  // Half-open once BREAKER_SECONDS have passed: with the copy slow (but
  // within the timeout), five concurrent requests send a single probe.
  await sleep(BREAKER_SECONDS * 1000 - (Date.now() - openedAt) + 500);
  mirror.setMode('hang', { hangMs: 400 });
  const concurrent = await Promise.all(blobs.slice(8, 13).map((b) => pull(b.digest)));
  mirror.setMode('normal');
  const toMirror = concurrent.filter((r) => r.headers.location.startsWith(mirror.url));
  const skipped = concurrent.filter((r) => reason(r) === OPEN);
  t.diagnostic(`half-open: ${toMirror.length} probe(s) to the mirror, ${skipped.length} skipped`);
  assert.equal(toMirror.length, 1, concurrent.map(reason).join('\n'));
  assert.equal(skipped.length, 4);
  assert.equal(heads(), 4, 'a single probe');

  // The probe succeeded: closed, checks as usual.
  for (const b of blobs.slice(13, 16)) {
    const res = await pull(b.digest);
    assert.equal(res.headers.location, mirror.blobUrl(b.digest));
    assert.equal(reason(res), 'blob: AWS eu-west-3 -> eu-west-3 mirror');
  }
  assert.equal(heads(), 7);
});
