// Every branch of the decision (docs/request-handling.md), over HTTP, against the built
// wasm running in workerd under `wrangler dev`. Mirror HEADs go to real
// loopback servers; upstream hosts are only ever named in Location headers.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from '../support/worker.mjs';
import { startMirror } from '../support/mirror-server.mjs';
import { request, ociCode } from '../support/http.mjs';
import { IP } from '../support/personas.mjs';
import { blob } from './fixtures.mjs';

const UPSTREAM = 'https://upstream.example';
const DALLAS = 'https://us-south1.example';
const EUROPE = 'https://europe-west1.example';
const SIGNATURES = 'https://signatures.example';
const INFO = 'https://info.example/registry';
const PRIVACY = 'https://privacy.example/policy';
const PATH = 'k8s-artifacts-prod/images';

const present = blob('present everywhere');
const missingInEuWest3 = blob('missing in eu-west-3');
let euWest3, usEast2, cdn, worker;

before(async () => {
  euWest3 = await startMirror({ blobs: [present] });
  usEast2 = await startMirror({ blobs: [present, missingInEuWest3] });
  cdn = await startMirror({ blobs: [present, missingInEuWest3] });
  worker = await startWorker({
    vars: {
      UPSTREAM_REGISTRY_ENDPOINT: UPSTREAM,
      UPSTREAM_REGISTRY_PATH: PATH,
      SIGNATURE_UPSTREAM_ENDPOINT: SIGNATURES,
      INFO_URL: INFO,
      PRIVACY_URL: PRIVACY,
      DEFAULT_BLOB_BASE_URL: cdn.url,
      BLOB_MIRRORS: { 'eu-west-3': euWest3.url, 'us-east-2': usEast2.url },
      // wrangler dev's placeholder request.cf is in Austin, TX: Dallas wins.
      UPSTREAM_REGIONS: [
        { name: 'europe-west1', endpoint: EUROPE, lat: 50.45, lon: 3.82 },
        { name: 'us-south1', endpoint: DALLAS, lat: 32.78, lon: -96.8 },
        { name: 'asia-east1', endpoint: 'https://asia-east1.example', lat: 24.05, lon: 120.52 },
      ],
      LEGACY_HOSTS: 'k8s.gcr.io,gcr-legacy.example',
      PRIMARY_HOST: 'registry.k8s.io',
      BLOB_CHECK_TIMEOUT_MS: 1000,
      NEGATIVE_CACHE_SECONDS: 60,
    },
  });
});

after(async () => {
  await worker?.stop();
  for (const m of [euWest3, usEast2, cdn]) await m?.stop();
});

const get = (path, opts) => request(worker.url, path, opts);
const asClient = (ip, extra = {}) => ({ headers: { 'CF-Connecting-IP': ip, ...extra } });

function assertRedirect(res, status, location) {
  assert.equal(res.status, status, `${res.status} ${res.body}`);
  assert.equal(res.headers.location, location);
}

test('1. legacy host: 301 to the primary host, same path and query', async () => {
  const res = await get('/v2/pause/tags/list?n=5&last=3.9', { headers: { Host: 'k8s.gcr.io' } });
  assertRedirect(res, 301, 'https://registry.k8s.io/v2/pause/tags/list?n=5&last=3.9');
  const other = await get('/v2/', { headers: { Host: 'GCR-LEGACY.example:443' } });
  assertRedirect(other, 301, 'https://registry.k8s.io/v2/');
});

test('2. methods other than GET and HEAD: 405 with Allow', async () => {
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
    const res = await get('/v2/pause/manifests/3.9', { method });
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.allow, 'GET, HEAD');
  }
  assert.equal((await get('/v2/', { method: 'HEAD' })).status, 200);
});

test('3. /, /privacy and other paths outside /v2', async () => {
  assertRedirect(await get('/'), 307, INFO);
  assertRedirect(await get('/privacy'), 307, PRIVACY);
  for (const path of ['/v3/', '/favicon.ico', '/v2foo', '/privacy/x']) {
    const res = await get(path);
    assert.equal(res.status, 404, path);
    assert.equal(res.headers.location, undefined);
  }
});

test('4. /v2 and /v2/: 200, registry/2.0, no auth challenge', async () => {
  for (const path of ['/v2', '/v2/']) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
    assert.equal(res.headers['www-authenticate'], undefined);
  }
});

test('5. /v2/_catalog: 404 UNSUPPORTED', async () => {
  const res = await get('/v2/_catalog');
  assert.equal(res.status, 404);
  assert.match(res.headers['content-type'], /application\/json/);
  assert.equal(ociCode(res), 'UNSUPPORTED');
});

test('6. paths that do not parse: OCI JSON errors', async () => {
  const cases = [
    ['/v2/Pause/manifests/3.9', 'NAME_INVALID'],
    ['/v2/pause/blobs/sha256:abc', 'DIGEST_INVALID'],
    ['/v2/pause/blobs/md5:d41d8cd98f00b204e9800998ecf8427e', 'DIGEST_INVALID'],
    ['/v2/pause/referrers/latest', 'DIGEST_INVALID'],
  ];
  for (const [path, code] of cases) {
    const res = await get(path);
    assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
    assert.equal(ociCode(res), code, `${path}: ${res.body}`);
  }
  const unknown = await get('/v2/pause/whatever/x');
  assert.ok(unknown.status === 404 || unknown.status === 400, `${unknown.status}`);
  assert.ok(ociCode(unknown), unknown.body);
});

test('7. signature tags (the referrers tag schema, cosign\'s .sig, .att, .sbom): the signature upstream', async () => {
  const hex = present.digest.slice('sha256:'.length);
  for (const suffix of ['', '.sig', '.att', '.sbom']) {
    const res = await get(`/v2/pause/manifests/sha256-${hex}${suffix}`);
    assertRedirect(res, 307, `${SIGNATURES}/v2/${PATH}/pause/manifests/sha256-${hex}${suffix}`);
  }
});

test('8. manifests and tags/list: the nearest upstream, query kept; referrers: the signature upstream', async () => {
  assertRedirect(await get('/v2/pause/manifests/3.9'), 307, `${DALLAS}/v2/${PATH}/pause/manifests/3.9`);
  assertRedirect(
    await get('/v2/kube-apiserver/tags/list?n=10&last=v1.30.0'),
    307,
    `${DALLAS}/v2/${PATH}/kube-apiserver/tags/list?n=10&last=v1.30.0`,
  );
  assertRedirect(
    await get(`/v2/sig-storage/csi-provisioner/referrers/${present.digest}?artifactType=x`),
    307,
    `${SIGNATURES}/v2/${PATH}/sig-storage/csi-provisioner/referrers/${present.digest}?artifactType=x`,
  );
  assertRedirect(
    await get(`/v2/pause/manifests/${present.digest}`, { method: 'HEAD' }),
    307,
    `${DALLAS}/v2/${PATH}/pause/manifests/${present.digest}`,
  );
});

test('9a. blob from an AWS region with a mirror that has it: the mirror', async () => {
  const res = await get(`/v2/pause/blobs/${present.digest}`, asClient(IP.awsEuWest3));
  assertRedirect(res, 307, euWest3.blobUrl(present.digest));
  assert.equal(euWest3.countFor('HEAD', present.digest), 1);
});

test('9b. the regional /24 inside a GLOBAL /17 is that region', async () => {
  const res = await get(`/v2/pause/blobs/${present.digest}`, asClient(IP.awsUsEast2InGlobal));
  assertRedirect(res, 307, usEast2.blobUrl(present.digest));
});

test('9c. mirror without the blob: the upstream nearest the client region', async () => {
  const res = await get(`/v2/pause/blobs/${missingInEuWest3.digest}`, asClient(IP.awsEuWest3));
  assertRedirect(res, 307, `${EUROPE}/v2/${PATH}/pause/blobs/${missingInEuWest3.digest}`);
  assert.equal(euWest3.countFor('HEAD', missingInEuWest3.digest), 1);
});

test('9d. GCP clients: the upstream nearest their region, no existence check', async () => {
  const before = euWest3.log.length + usEast2.log.length + cdn.log.length;
  // GCP europe-north1 (Hamina): europe-west1 is the nearest configured region.
  const res = await get(`/v2/pause/blobs/${present.digest}`, asClient(IP.gcp));
  assertRedirect(res, 307, `${EUROPE}/v2/${PATH}/pause/blobs/${present.digest}`);
  assert.equal(euWest3.log.length + usEast2.log.length + cdn.log.length, before);
});

test('9e. AWS region without a mirror, Azure, unknown, missing and garbage addresses: the default CDN', async () => {
  const clients = [
    asClient(IP.awsV6UsWest2),
    asClient(IP.azure),
    asClient(IP.unknown),
    asClient('not-an-ip'),
    asClient(`${IP.awsEuWest3}, 10.0.0.1`),
    // X-Forwarded-For is never trusted: without CF-Connecting-IP this is unknown.
    { headers: { 'X-Forwarded-For': IP.awsEuWest3 } },
    {},
  ];
  for (const opts of clients) {
    const res = await get(`/v2/pause/blobs/${present.digest}`, opts);
    assertRedirect(res, 307, cdn.blobUrl(present.digest));
  }
});

test('9f. HEAD for a blob is decided like GET', async () => {
  const res = await get(`/v2/pause/blobs/${present.digest}`, { method: 'HEAD', ...asClient(IP.awsEuWest3) });
  assertRedirect(res, 307, euWest3.blobUrl(present.digest));
});

// The query stays on upstream redirects only.
test('10. the query is kept on upstream redirects and dropped on redirects to a copy', async () => {
  const q = 'n=10&last=v1';
  assertRedirect(await get(`/v2/pause/blobs/${present.digest}?${q}`, asClient(IP.awsEuWest3)), 307, euWest3.blobUrl(present.digest));
  assertRedirect(await get(`/v2/pause/blobs/${present.digest}?${q}`, asClient(IP.unknown)), 307, cdn.blobUrl(present.digest));
  // The AWS eu-west-3 client's upstream is the region nearest Paris.
  assertRedirect(
    await get(`/v2/pause/blobs/${missingInEuWest3.digest}?${q}`, asClient(IP.awsEuWest3)),
    307,
    `${EUROPE}/v2/${PATH}/pause/blobs/${missingInEuWest3.digest}?${q}`,
  );
  assertRedirect(await get(`/v2/pause/tags/list?${q}`), 307, `${DALLAS}/v2/${PATH}/pause/tags/list?${q}`);
});

// Percent-encoded unreserved characters and `:` in the reference or
// digest are decoded; encoded `/` and `..` stay rejected.
test('11. percent-encoded digests and tags are redirected in canonical form', async () => {
  const hex = present.digest.slice('sha256:'.length);
  assertRedirect(await get(`/v2/pause/blobs/sha256%3A${hex}`, asClient(IP.awsEuWest3)), 307, euWest3.blobUrl(present.digest));
  assertRedirect(await get(`/v2/pause/manifests/sha256%3a${hex}`), 307, `${DALLAS}/v2/${PATH}/pause/manifests/${present.digest}`);
  assertRedirect(await get('/v2/pause/manifests/v1%2E30%2E0'), 307, `${DALLAS}/v2/${PATH}/pause/manifests/v1.30.0`);
  // (The runtime's URL parser already resolves a `%2e%2e` segment as `..`.)
  for (const path of ['/v2/pause/manifests/a%2Fb', '/v2/pause/manifests/%2e%2e', '/v2/pause/blobs/sha256%2F%2e%2e']) {
    const res = await get(path, asClient(IP.awsEuWest3));
    assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
    assert.ok(ociCode(res), `${path}: ${res.body}`);
  }
});

// Cloudflare's Pseudo IPv4 (240.0.0.0/4) with the real address in
// CF-Connecting-IPv6.
test('12. a Pseudo IPv4 client is its CF-Connecting-IPv6 address', async () => {
  assertRedirect(
    await get(`/v2/pause/blobs/${present.digest}`, asClient('240.0.0.7', { 'CF-Connecting-IPv6': IP.awsV6EuWest3 })),
    307,
    euWest3.blobUrl(present.digest),
  );
  // Without the header it is an unknown client; a real IPv4 address wins.
  assertRedirect(await get(`/v2/pause/blobs/${present.digest}`, asClient('240.0.0.7')), 307, cdn.blobUrl(present.digest));
  assertRedirect(
    await get(`/v2/pause/blobs/${present.digest}`, asClient(IP.awsUsEast2InGlobal, { 'CF-Connecting-IPv6': IP.awsV6EuWest3 })),
    307,
    usEast2.blobUrl(present.digest),
  );
});

// A blob redirect depends on the client's address (private, no-store);
// every other answer is no-store, except the legacy host's permanent 301.
test('13. Cache-Control: private, no-store on blob redirects, no-store elsewhere, max-age on the legacy 301', async () => {
  const cases = [
    [`/v2/pause/blobs/${present.digest}`, asClient(IP.awsEuWest3), 'private, no-store'],
    [`/v2/pause/blobs/${present.digest}`, asClient(IP.gcp), 'private, no-store'],
    ['/v2/pause/manifests/3.9', {}, 'no-store'],
    ['/v2/pause/tags/list', {}, 'no-store'],
    ['/v2/', {}, 'no-store'],
    ['/v2/Pause/manifests/3.9', {}, 'no-store'],
    ['/nope', {}, 'no-store'],
    ['/v2/pause/tags/list', { headers: { Host: 'k8s.gcr.io' } }, 'max-age=86400'],
  ];
  for (const [path, opts, want] of cases) {
    const res = await get(path, opts);
    assert.equal(res.headers['cache-control'], want, `${path} ${JSON.stringify(opts)}: ${res.status}`);
  }
});
