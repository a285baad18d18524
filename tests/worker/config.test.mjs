// Configuration variants over HTTP: the plain upstream (no per-region
// upstreams, no signature upstream, no default CDN, empty upstream path,
// BLOB_MIRRORS as a JSON string), and invalid configuration.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from '../support/worker.mjs';
import { startMirror } from '../support/mirror-server.mjs';
import { request } from '../support/http.mjs';
import { IP } from '../support/personas.mjs';
import { blob } from './fixtures.mjs';

const UPSTREAM = 'https://k8s.gcr.example';
const stops = [];
after(async () => {
  for (const stop of stops.reverse()) await stop();
});

test('minimal configuration: everything goes to UPSTREAM_REGISTRY_ENDPOINT', async () => {
  const b = blob('minimal');
  const meCentral = await startMirror({ blobs: [b] });
  stops.push(() => meCentral.stop());
  const worker = await startWorker({
    vars: {
      UPSTREAM_REGISTRY_ENDPOINT: UPSTREAM,
      UPSTREAM_REGISTRY_PATH: '',
      // A JSON string is accepted as well as a TOML table; me-south-1 is an
      // alias of the me-central-1 bucket, as in archeio.
      BLOB_MIRRORS: JSON.stringify({ 'me-central-1': meCentral.url, 'me-south-1': meCentral.url }),
    },
  });
  stops.push(() => worker.stop());
  const get = (path, opts) => request(worker.url, path, opts);
  const hex = b.digest.slice(7);

  let res = await get('/v2/pause/manifests/latest');
  assert.equal(res.headers.location, `${UPSTREAM}/v2/pause/manifests/latest`);
  res = await get(`/v2/pause/manifests/sha256-${hex}.sig`);
  assert.equal(res.headers.location, `${UPSTREAM}/v2/pause/manifests/sha256-${hex}.sig`, 'no signature upstream');
  res = await get(`/v2/pause/blobs/${b.digest}`, { headers: { 'CF-Connecting-IP': IP.unknown } });
  assert.equal(res.headers.location, `${UPSTREAM}/v2/pause/blobs/${b.digest}`, 'no default CDN');
  res = await get(`/v2/pause/blobs/${b.digest}`, { headers: { 'CF-Connecting-IP': IP.awsEuWest3 } });
  assert.equal(res.headers.location, `${UPSTREAM}/v2/pause/blobs/${b.digest}`, 'no eu-west-3 mirror');
  assert.equal(meCentral.log.length, 0);
});

test('invalid configuration: 500 naming the variable, on every request', async () => {
  const worker = await startWorker({
    vars: { UPSTREAM_REGISTRY_ENDPOINT: 'https://upstream.example', BLOB_MIRRORS: '{"us-east-1": "ftp://nope"}' },
  });
  stops.push(() => worker.stop());
  for (const path of ['/v2/', '/v2/pause/manifests/latest']) {
    const res = await request(worker.url, path);
    assert.equal(res.status, 500, path);
    assert.match(res.body, /BLOB_MIRRORS/);
    assert.equal(res.headers.location, undefined);
  }
});

test('missing required variable: 500 naming it', async () => {
  const worker = await startWorker({ vars: { UPSTREAM_REGISTRY_PATH: 'x' } });
  stops.push(() => worker.stop());
  const res = await request(worker.url, '/v2/pause/manifests/latest');
  assert.equal(res.status, 500);
  assert.match(res.body, /UPSTREAM_REGISTRY_ENDPOINT/);
});

test('a region name that would reach the reason header is a configuration error, not a broken header', async () => {
  const worker = await startWorker({
    vars: {
      UPSTREAM_REGISTRY_ENDPOINT: 'https://upstream.example',
      UPSTREAM_REGIONS: [{ name: 'us east4\u0000', endpoint: 'https://us-east4.example', lat: 39, lon: -77 }],
    },
  });
  stops.push(() => worker.stop());
  const res = await request(worker.url, '/v2/pause/manifests/latest', { headers: { 'CF-Connecting-IP': IP.awsUsEast1 } });
  assert.equal(res.status, 500);
  assert.match(res.body, /UPSTREAM_REGIONS: entry 0 .*a region name is 1 to 63 characters of a-z, 0-9 and -/);
});
