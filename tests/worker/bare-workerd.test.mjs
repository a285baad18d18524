// The built worker under bare `workerd serve` (tests/support/workerd.mjs),
// for what wrangler dev's proxy hides.
//
// A client that disconnects mid-check must not strand the check. The
// Workers runtime cancels a request whose client resets its connection:
// the request's pending subrequests are aborted, its timers stop, and its
// Rust future is never polled (nor dropped) again. Only work under
// ctx.waitUntil survives. wrangler dev's proxy does not pass a reset on;
// bare workerd does (a TCP RST, not a FIN, is what it reacts to).
// The check must run to completion and be remembered: the next request for
// the same blob is answered from it, without waiting for the check timeout
// and without a second HEAD.
//
// And the Cache API keys, read from the cache backend: synthetic URLs on
// the worker's own host.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startBareWorkerd } from '../support/workerd.mjs';
import { startMirror } from '../support/mirror-server.mjs';
import { sleep } from '../support/processes.mjs';
import { request } from '../support/http.mjs';
import { IP } from '../support/personas.mjs';
import { blob } from './fixtures.mjs';

const UPSTREAM = 'https://upstream.example';
const TIMEOUT_MS = 3000;
// The mirror answers the HEAD after this long: well within the timeout.
const HEAD_DELAY_MS = 1200;

let mirror, worker;

before(async () => {
  mirror = await startMirror();
  worker = await startBareWorkerd({
    vars: {
      UPSTREAM_REGISTRY_ENDPOINT: UPSTREAM,
      UPSTREAM_REGISTRY_PATH: 'images',
      BLOB_MIRRORS: { 'eu-west-3': mirror.url },
      BLOB_CHECK_TIMEOUT_MS: TIMEOUT_MS,
    },
  });
});

after(async () => {
  await worker?.stop();
  await mirror?.stop();
});

async function until(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await sleep(10);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

test('a client that resets mid-check does not strand the check', async (t) => {
  const b = blob('client resets mid-check');
  mirror.addBlob(b.digest, b.bytes);
  mirror.setMode('hang', { hangMs: HEAD_DELAY_MS });
  try {
    // The first client asks, and resets its connection (RST, not FIN) once
    // the worker's HEAD has reached the mirror: the request is then provably
    // parked on the check.
    const socket = net.connect(worker.port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.on('error', () => {});
    socket.write(
      `GET /v2/pause/blobs/${b.digest} HTTP/1.1\r\nHost: 127.0.0.1\r\nCF-Connecting-IP: ${IP.awsEuWest3}\r\n\r\n`,
    );
    await until(() => mirror.countFor('HEAD', b.digest) === 1, 10_000, 'the HEAD reaching the mirror');
    socket.resetAndDestroy();

    // The next client asks for the same blob at once.
    const res = await request(worker.url, `/v2/pause/blobs/${b.digest}`, {
      headers: { 'CF-Connecting-IP': IP.awsEuWest3 },
    });
    t.diagnostic(`next request after the reset: ${res.status} ${res.headers.location} in ${Math.round(res.ms)} ms`);
    assert.equal(res.status, 307);
    assert.equal(res.headers.location, mirror.blobUrl(b.digest), res.headers['x-registry-edge-reason']);
    assert.ok(res.ms < TIMEOUT_MS, `answered after ${Math.round(res.ms)} ms: it waited for a stranded check`);

    // The HEAD ran to completion (the mirror wrote its answer) and was the
    // only one: the second request shared it.
    const heads = mirror.requests({ method: 'HEAD', digest: b.digest });
    assert.equal(heads.length, 1);
    assert.equal(heads[0].status, 200, 'the HEAD was aborted with the client');

    // Remembered: answered at once, still without another HEAD.
    const again = await request(worker.url, `/v2/pause/blobs/${b.digest}`, {
      headers: { 'CF-Connecting-IP': IP.awsEuWest3 },
    });
    assert.equal(again.headers.location, mirror.blobUrl(b.digest));
    assert.ok(again.ms < HEAD_DELAY_MS, `${Math.round(again.ms)} ms`);
    assert.equal(mirror.countFor('HEAD', b.digest), 1);
  } finally {
    mirror.setMode('normal');
  }
});

// The Cache API entries live on the worker's own host (a synthetic path),
// never under the mirror's hostname.
test('Cache API keys are synthetic URLs on the worker\'s host', async () => {
  const b = blob('cache key');
  mirror.addBlob(b.digest, b.bytes);
  const res = await request(worker.url, `/v2/pause/blobs/${b.digest}`, {
    headers: { Host: 'registry.example', 'CF-Connecting-IP': IP.awsEuWest3 },
  });
  assert.equal(res.headers.location, mirror.blobUrl(b.digest));
  const copy = `http.127.0.0.1%3A${mirror.port}`;
  const want = `registry-edge-blob-existence https://registry.example/.blob-exists/${copy}/${b.digest}`;
  // Written in the background, after the answer: wait for it.
  await until(async () => (await worker.cacheKeys()).includes(want), 5000, 'the cache write');
  const keys = await worker.cacheKeys();
  assert.ok(!keys.some((k) => k.includes(mirror.blobUrl(b.digest))), keys.join('\n'));
});
