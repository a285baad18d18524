// Copies in R2 under wrangler dev, with miniflare's local R2: the buckets
// are filled beforehand with `wrangler r2 bulk put --local` into the state
// wrangler dev persists, bound with [[r2_buckets]], and served publicly by
// the same wrangler dev (R2's public access, tests/support/r2-local.mjs).
//
// - A blob the bucket holds goes to the copy's public URL, which serves
//   exactly its bytes; one it lacks goes upstream. The default copy and a
//   BLOB_MIRRORS key can each be an R2 bucket; a string-valued copy beside
//   them keeps its HEAD.
// - The records say which layer answered: the binding (`r2`), then the
//   isolate's memory, and in a fresh isolate the colo's Cache API. (How
//   many head() calls the binding receives is counted under bare workerd,
//   r2-binding.test.mjs.)
// - A copy whose binding the environment lacks fails each check, then its
//   breaker opens: every blob goes upstream, never a 5xx.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startWorker } from '../support/worker.mjs';
import { startMirror } from '../support/mirror-server.mjs';
import { freePort, makeTempDir } from '../support/processes.mjs';
import { request } from '../support/http.mjs';
import { waitForRecords } from '../support/records.mjs';
import { localPublicBase, putLocalObjects, r2BucketsToml } from '../support/r2-local.mjs';
import { IP } from '../support/personas.mjs';
import { blob } from './fixtures.mjs';

const UPSTREAM = 'https://upstream.example';
const BUCKET = 'registry-edge-test-blobs';
const EU_BUCKET = 'registry-edge-test-blobs-eu';
const key = (digest) => `containers/images/${digest}`;
const sha256 = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

const present = blob('in R2');
const presentInEu = blob('in the eu-west-3 R2 bucket');
const absent = blob('in no bucket');
const inUsEast2 = blob('in the us-east-2 HTTP mirror');

let state, port, worker, usEast2;
const copies = () => ({
  default: localPublicBase(`http://127.0.0.1:${port}`, BUCKET),
  eu: localPublicBase(`http://127.0.0.1:${port}`, EU_BUCKET),
});
const vars = () => ({
  UPSTREAM_REGISTRY_ENDPOINT: UPSTREAM,
  UPSTREAM_REGISTRY_PATH: 'images',
  DEFAULT_BLOB_BASE_URL: { url: copies().default, r2_binding: 'R2_BLOBS' },
  BLOB_MIRRORS: {
    'eu-west-3': { url: copies().eu, r2_binding: 'R2_EU' },
    'us-east-2': usEast2.url,
  },
  BLOB_CHECK_TIMEOUT_MS: 1000,
});
const start = () =>
  startWorker({
    vars: vars(),
    stateDir: state.dir,
    port,
    logLevel: 'log',
    extraToml: r2BucketsToml({ R2_BLOBS: BUCKET, R2_EU: EU_BUCKET }),
  });

before(async () => {
  state = await makeTempDir('registry-edge-r2-state-');
  usEast2 = await startMirror({ blobs: [inUsEast2] });
  await putLocalObjects({ stateDir: state.dir, bucket: BUCKET, objects: [{ key: key(present.digest), bytes: present.bytes }] });
  await putLocalObjects({ stateDir: state.dir, bucket: EU_BUCKET, objects: [{ key: key(presentInEu.digest), bytes: presentInEu.bytes }] });
  port = await freePort();
  worker = await start();
});

after(async () => {
  await worker?.stop();
  await usEast2?.stop();
  await state?.remove();
});

// The worker's own host keys its Cache API entries: a fixed one.
const pull = (digest, ip) =>
  request(worker.url, `/v2/pause/blobs/${digest}`, { headers: { Host: 'registry.example', ...(ip ? { 'CF-Connecting-IP': ip } : {}) } });
const upstreamFor = (digest) => `${UPSTREAM}/v2/images/pause/blobs/${digest}`;
const reason = (res) => res.headers['x-registry-edge-reason'];
/** The records of an unknown client's pulls of `digest`. */
const recordsOf = (digest, count) => waitForRecords(worker.logFile, (r) => r.reference === digest && r.cloud === null, { count });

test('present and absent blobs go to the R2 copy\'s public URL and upstream; a string-valued copy keeps its HEAD', async () => {
  const res = await pull(present.digest);
  assert.equal(res.status, 307);
  assert.equal(res.headers.location, `${copies().default}/${key(present.digest)}`);
  assert.equal(reason(res), 'blob: unknown client -> default blob base (R2)');
  // The public URL serves the bucket's object: the blob's own bytes.
  const got = await fetch(res.headers.location);
  assert.equal(got.status, 200);
  assert.equal(sha256(Buffer.from(await got.arrayBuffer())), present.digest);

  const miss = await pull(absent.digest);
  assert.equal(miss.status, 307);
  assert.equal(miss.headers.location, upstreamFor(absent.digest));
  assert.equal(reason(miss), 'blob: unknown client, not in default blob base (R2) -> upstream');
  assert.equal((await fetch(`${copies().default}/${key(absent.digest)}`)).status, 404, 'the bucket lacks it');

  // A BLOB_MIRRORS key in R2: the AWS eu-west-3 client's bucket.
  const eu = await pull(presentInEu.digest, IP.awsEuWest3);
  assert.equal(eu.headers.location, `${copies().eu}/${key(presentInEu.digest)}`);
  assert.equal(reason(eu), 'blob: AWS eu-west-3 -> eu-west-3 mirror (R2)');
  const euMiss = await pull(present.digest, IP.awsEuWest3);
  assert.equal(euMiss.headers.location, upstreamFor(present.digest), 'another bucket\'s blob is not this one\'s');
  assert.equal(reason(euMiss), 'blob: AWS eu-west-3, not in eu-west-3 mirror (R2) -> upstream');

  // A string-valued copy beside them: checked with a HEAD, as ever.
  const us = await pull(inUsEast2.digest, IP.awsUsEast2InGlobal);
  assert.equal(us.headers.location, usEast2.blobUrl(inUsEast2.digest));
  assert.equal(reason(us), 'blob: AWS us-east-2 -> us-east-2 mirror');
  assert.equal(usEast2.countFor('HEAD', inUsEast2.digest), 1);

  const [record] = await recordsOf(present.digest, 1);
  assert.deepEqual([record.target, record.check, record.status], ['cdn', 'r2', 307]);
  const [httpRecord] = await waitForRecords(worker.logFile, (r) => r.reference === inUsEast2.digest);
  assert.equal(httpRecord.check, 'head');
});

test('the records say which layer answered: the binding, the isolate, then in a fresh isolate the Cache API', async () => {
  const b = present.digest;
  // The first test asked the binding once for each of these.
  for (let i = 0; i < 3; i++) assert.equal((await pull(b)).headers.location, `${copies().default}/${key(b)}`);
  for (let i = 0; i < 2; i++) assert.equal((await pull(absent.digest)).headers.location, upstreamFor(absent.digest));
  const checks = (await recordsOf(b, 4)).map((r) => r.check);
  assert.deepEqual(checks, ['r2', 'isolate', 'isolate', 'isolate']);
  assert.deepEqual((await recordsOf(absent.digest, 3)).map((r) => r.check), ['r2', 'isolate', 'isolate']);

  // A new wrangler dev on the same persisted state: an empty isolate, the
  // same colo cache (and the same buckets).
  await worker.stop();
  worker = await start();
  assert.equal((await pull(b)).headers.location, `${copies().default}/${key(b)}`);
  assert.equal((await pull(absent.digest)).headers.location, upstreamFor(absent.digest));
  assert.deepEqual((await recordsOf(b, 1)).map((r) => r.check), ['colo']);
  assert.deepEqual((await recordsOf(absent.digest, 1)).map((r) => r.check), ['colo']);
});

test('a copy whose binding the environment lacks: each check fails, then the breaker skips it; blobs go upstream, never a 5xx', async () => {
  const missing = await startWorker({
    vars: {
      ...vars(),
      DEFAULT_BLOB_BASE_URL: { url: 'https://blobs.example', r2_binding: 'R2_NOT_BOUND' },
      BREAKER_FAILURES: 3,
      BREAKER_SECONDS: 60,
    },
    extraToml: r2BucketsToml({ R2_BLOBS: BUCKET }),
  });
  try {
    const reasons = [];
    for (let i = 0; i < 6; i++) {
      const b = blob(`unbound ${i}`);
      const res = await request(missing.url, `/v2/pause/blobs/${b.digest}`);
      assert.equal(res.status, 307);
      assert.equal(res.headers.location, upstreamFor(b.digest));
      reasons.push(reason(res));
    }
    assert.deepEqual(reasons, [
      ...Array(3).fill('blob: unknown client, default blob base (R2) failed (binding missing) -> upstream'),
      ...Array(3).fill('blob: unknown client, default blob base (R2) breaker open -> upstream'),
    ]);
  } finally {
    await missing.stop();
  }
});
