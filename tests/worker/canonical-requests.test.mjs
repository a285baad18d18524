// A request whose reference or digest is percent-encoded is the same request
// as its decoded form (docs/request-handling.md, "Reading the request"):
// over HTTP under wrangler dev with PULL_SESSIONS on, both forms get the same
// status, challenge, Location, reason and Cache-Control, and the same record.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from '../support/worker.mjs';
import { startMirror } from '../support/mirror-server.mjs';
import { request } from '../support/http.mjs';
import { waitForRecords } from '../support/records.mjs';
import { blob } from './fixtures.mjs';
import { IP } from '../support/personas.mjs';

const TOKEN = '0123456789abcdef0123456789abcdef';
const HEADERS = ['www-authenticate', 'location', 'x-registry-edge-reason', 'cache-control', 'content-type'];

let mirror, worker;
const layer = blob('canonical requests');

before(async () => {
  mirror = await startMirror({ name: 'eu-west-3' });
  mirror.addBlob(layer.digest, layer.bytes);
  worker = await startWorker({
    vars: {
      UPSTREAM_REGISTRY_ENDPOINT: 'https://upstream.example',
      UPSTREAM_REGISTRY_PATH: 'images',
      BLOB_MIRRORS: { 'eu-west-3': mirror.url },
      PULL_SESSIONS: true,
    },
    logLevel: 'log',
  });
});

after(async () => {
  await worker?.stop();
  await mirror?.stop();
});

let sequence = 0;

/** The answer to `path` and its record (found by a user agent of its own). */
async function seen(path, authorization) {
  const userAgent = `canonical-requests/${++sequence}`;
  const headers = { 'CF-Connecting-IP': IP.awsEuWest3, 'User-Agent': userAgent };
  if (authorization) headers.Authorization = authorization;
  const res = await request(worker.url, path, { headers });
  const [record] = await waitForRecords(worker.logFile, (r) => r.user_agent === userAgent);
  assert.ok(record, `a record of ${path}`);
  delete record.user_agent;
  return {
    status: res.status,
    headers: Object.fromEntries(HEADERS.map((h) => [h, res.headers[h] ?? null])),
    body: res.body,
    record,
  };
}

test('percent-encoded references and digests are answered and recorded as their decoded forms', async () => {
  const hex = layer.digest.slice('sha256:'.length);
  const pairs = [
    ['/v2/pause/manifests/3.10', '/v2/pause/manifests/3%2E10'],
    [`/v2/pause/manifests/${layer.digest}`, `/v2/pause/manifests/sha256%3A${hex}`],
    [`/v2/pause/blobs/${layer.digest}`, `/v2/pause/blobs/sha256%3a${hex}`],
    ['/v2/pause/tags/list', '/v2/pause/tags/list'],
  ];
  for (const authorization of [undefined, `Bearer ${TOKEN}`]) {
    for (const [decoded, encoded] of pairs) {
      // The first request of a blob asks the mirror; the pair is compared
      // once both would be answered from the isolate's memory.
      await seen(decoded, authorization);
      const plain = await seen(decoded, authorization);
      const escaped = await seen(encoded, authorization);
      assert.deepEqual(escaped, plain, `${encoded} (${authorization ?? 'anonymous'})`);
    }
  }
  // Anonymous manifests are challenged in either form.
  const challenged = await seen('/v2/pause/manifests/3%2E10');
  assert.equal(challenged.status, 401);
  assert.match(challenged.headers['www-authenticate'], /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token"/);
  assert.equal(challenged.record.kind, 'manifest');
  assert.equal(challenged.record.repository, 'pause');
  assert.equal(challenged.record.reference, '3.10');
  // With a session, the encoded digest is redirected by its canonical name.
  const redirected = await seen(`/v2/pause/blobs/sha256%3A${hex}`, `Bearer ${TOKEN}`);
  assert.equal(redirected.status, 307);
  assert.equal(redirected.headers.location, mirror.blobUrl(layer.digest));
  assert.equal(redirected.record.session, TOKEN);
});
