// Known repositories over HTTP (docs/request-handling.md, "Known
// repositories"), against the built wasm under wrangler dev. The upstream
// is a loopback stand-in answering only the listing, in two pages linked
// by a Link header (the CNCF distribution registry has no `child` array);
// other upstream hosts are only named in Location headers. The CDN is a
// loopback mirror, so its request log shows whether a blob was checked.
//
// Three workers: one with KNOWN_REPOSITORIES and a listing that works, one
// whose listing answers 500, one with the feature off.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startWorker } from '../support/worker.mjs';
import { startMirror } from '../support/mirror-server.mjs';
import { request, ociCode } from '../support/http.mjs';
import { listenOnLoopback } from '../support/loopback.mjs';
import { waitForRecords } from '../support/records.mjs';
import { sleep } from '../support/processes.mjs';
import { blob } from './fixtures.mjs';

const PATH = 'k8s-artifacts-prod/images';
const LISTING = `/v2/${PATH}/tags/list`;
const SIGNATURES = 'https://signatures.example';
const PAGES = [['kube-apiserver', 'pause'], ['sig-storage']];
const present = blob('known repositories: on the CDN');
const HEX = present.digest.slice('sha256:'.length);

/**
 * A loopback upstream answering `GET <LISTING>` the way Artifact Registry
 * does (a `child` array), page `i` linking to page `i + 1`; anything else
 * 404. `failing` makes every answer a 500. Logs each request.
 */
async function startListingUpstream({ failing = false } = {}) {
  const log = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://upstream.invalid');
    log.push({ time: Date.now(), method: req.method, url: req.url });
    if (failing) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      return res.end('injected failure\n');
    }
    if (req.method !== 'GET' || url.pathname !== LISTING) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
    }
    const page = Number(url.searchParams.get('page') ?? 0);
    const headers = { 'content-type': 'application/json' };
    if (page + 1 < PAGES.length) headers.link = `<${LISTING}?page=${page + 1}>; rel="next"`;
    res.writeHead(200, headers);
    res.end(JSON.stringify({ name: PATH, child: PAGES[page] ?? [], manifest: {}, tags: [] }));
  });
  const { port, close } = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    listings: () => log.filter((e) => e.url.startsWith(LISTING)).length,
    stop: close,
  };
}

let upstream, failing, cdn, on, broken, off, onReadyAt;

const vars = (endpoint, extra) => ({
  UPSTREAM_REGISTRY_ENDPOINT: endpoint,
  UPSTREAM_REGISTRY_PATH: PATH,
  SIGNATURE_UPSTREAM_ENDPOINT: SIGNATURES,
  DEFAULT_BLOB_BASE_URL: cdn.url,
  BLOB_CHECK_TIMEOUT_MS: 1000,
  ...extra,
});

before(async () => {
  upstream = await startListingUpstream();
  failing = await startListingUpstream({ failing: true });
  cdn = await startMirror({ name: 'cdn', blobs: [present] });
  broken = await startWorker({ vars: vars(failing.url, { KNOWN_REPOSITORIES: true }) });
  off = await startWorker({ vars: vars(upstream.url, {}) });
  // Last: the first test measures from the moment `on` is ready.
  on = await startWorker({ vars: vars(upstream.url, { KNOWN_REPOSITORIES: true }), logLevel: 'log' });
  onReadyAt = Date.now();
});

after(async () => {
  for (const w of [on, broken, off]) await w?.stop();
  for (const s of [upstream, failing, cdn]) await s?.stop();
});

const UNKNOWN_MANIFEST = '/v2/not-a-k8s-repo/manifests/latest';

test('the list appears within seconds of the first request, and the upstream is listed once', async (t) => {
  // startWorker's readiness check (GET /v2/) was the worker's first
  // request: it started the listing in the background.
  let firstNotFound = null;
  const answers = [];
  while (Date.now() - onReadyAt < 10_000) {
    const res = await request(on.url, UNKNOWN_MANIFEST);
    answers.push(res.status);
    assert.ok(res.status === 307 || res.status === 404, `${res.status} ${res.body}`);
    if (res.status === 404) {
      firstNotFound = Date.now();
      break;
    }
    await sleep(50);
  }
  assert.ok(firstNotFound, `no 404 within 10 s: ${answers.join(' ')}`);
  const appearedMs = firstNotFound - onReadyAt;
  // Both pages, once; then no more listing for the rest of the interval.
  assert.equal(upstream.listings(), PAGES.length);
  for (let i = 0; i < 30; i++) await request(on.url, i % 2 ? UNKNOWN_MANIFEST : '/v2/pause/manifests/3.10');
  assert.equal(upstream.listings(), PAGES.length);
  const listedAt = upstream.log[0].time;
  t.diagnostic(`known repositories: first page asked ${listedAt - onReadyAt} ms after the worker was ready ` +
    `(its readiness check was its first request); first 404 NAME_UNKNOWN ${appearedMs} ms after ready, ` +
    `${firstNotFound - listedAt} ms after the listing started (${answers.length} requests polled); ` +
    `${upstream.listings()} listing requests (${PAGES.length} pages) for ${answers.length + 30} requests`);
  assert.ok(appearedMs < 5_000, `${appearedMs} ms`);
});

test('unknown repositories: manifests, blobs, tags/list and referrers get 404 NAME_UNKNOWN, no copy checked', async () => {
  const paths = [
    UNKNOWN_MANIFEST,
    `/v2/not-a-k8s-repo/manifests/${present.digest}`,
    `/v2/not-a-k8s-repo/blobs/${present.digest}`,
    `/v2/not-a-k8s-repo/nested/blobs/${present.digest}`,
    '/v2/not-a-k8s-repo/tags/list',
    `/v2/not-a-k8s-repo/referrers/${present.digest}`,
    `/v2/not-a-k8s-repo/manifests/sha256-${HEX}.sig`,
    // The top-level name decides: `sig` is not `sig-storage`.
    '/v2/sig/storage/manifests/v1',
  ];
  for (const path of paths) {
    for (const method of ['GET', 'HEAD']) {
      const res = await request(on.url, path, { method });
      assert.equal(res.status, 404, `${method} ${path}: ${res.body}`);
      assert.equal(res.headers.location, undefined);
      assert.equal(res.headers['cache-control'], 'no-store', path);
      assert.match(res.headers['content-type'], /application\/json/, path);
      if (method === 'GET') assert.equal(ociCode(res), 'NAME_UNKNOWN', `${path}: ${res.body}`);
      else assert.equal(res.body, '');
    }
  }
  assert.equal(cdn.countFor('HEAD', present.digest), 0, 'the CDN was checked for an unknown repository');
});

test('known repositories, nested ones included, still redirect', async () => {
  const cases = [
    ['/v2/pause/manifests/3.10', `${upstream.url}/v2/${PATH}/pause/manifests/3.10`],
    ['/v2/sig-storage/csi-provisioner/manifests/v5.0.0', `${upstream.url}/v2/${PATH}/sig-storage/csi-provisioner/manifests/v5.0.0`],
    ['/v2/kube-apiserver/tags/list?n=10', `${upstream.url}/v2/${PATH}/kube-apiserver/tags/list?n=10`],
    [`/v2/sig-storage/csi-provisioner/blobs/${present.digest}`, cdn.blobUrl(present.digest)],
    [`/v2/pause/referrers/${present.digest}`, `${SIGNATURES}/v2/${PATH}/pause/referrers/${present.digest}`],
  ];
  for (const [path, location] of cases) {
    const res = await request(on.url, path);
    assert.equal(res.status, 307, `${path}: ${res.body}`);
    assert.equal(res.headers.location, location);
  }
  assert.equal(cdn.countFor('HEAD', present.digest), 1, 'the known blob was checked');
});

test('signature tags of the referrers tag schema and cosign go to the signature upstream, unchecked', async () => {
  for (const suffix of ['', '.sig', '.att', '.sbom']) {
    const tag = `sha256-${HEX}${suffix}`;
    const res = await request(on.url, `/v2/pause/manifests/${tag}?x=1`);
    assert.equal(res.status, 307);
    assert.equal(res.headers.location, `${SIGNATURES}/v2/${PATH}/pause/manifests/${tag}?x=1`);
    assert.equal(res.headers['x-registry-edge-reason'], 'signature tag -> signature upstream');
  }
});

test('what is no pull is unaffected: /v2/, /v2/tags/list, /token, /_status, outside /v2', async () => {
  const cases = [
    ['/v2/', 200, null],
    ['/v2/tags/list', 404, 'UNSUPPORTED'],
    ['/v2/_catalog', 404, 'UNSUPPORTED'],
    ['/token', 404, null],
    ['/_status', 200, null],
    ['/favicon.ico', 404, null],
    ['/', 307, null],
  ];
  for (const [path, status, code] of cases) {
    for (const worker of [on, off]) {
      const res = await request(worker.url, path);
      assert.equal(res.status, status, `${path}: ${res.body}`);
      if (code) assert.equal(ociCode(res), code, path);
    }
  }
});

test('/_status shows the list in use, and the records say why a request was refused', async () => {
  const status = JSON.parse((await request(on.url, '/_status')).body);
  const known = status.features.known_repositories;
  assert.equal(known.on, true);
  assert.equal(known.repositories, 3);
  assert.ok(known.age_seconds >= 0 && known.age_seconds < 120, JSON.stringify(known));
  const refused = (r) => r.repository === 'not-a-k8s-repo' && r.status === 404;
  const records = await waitForRecords(on.logFile, refused, { count: 6 });
  for (const kind of ['manifest', 'blob', 'tags', 'referrers', 'signature']) {
    const r = records.find((x) => x.kind === kind);
    assert.ok(r, `no ${kind} record: ${JSON.stringify(records)}`);
    assert.equal(r.reason, 'unknown repository');
    assert.equal(r.target, null);
    assert.equal(r.check, 'none');
  }
});

test('an upstream whose listing answers 500 leaves everything redirecting', async () => {
  const deadline = Date.now() + 4_000;
  let requests = 0;
  while (Date.now() < deadline) {
    const res = await request(broken.url, UNKNOWN_MANIFEST);
    assert.equal(res.status, 307, res.body);
    assert.equal(res.headers.location, `${failing.url}/v2/${PATH}/not-a-k8s-repo/manifests/latest`);
    requests += 1;
    await sleep(100);
  }
  // One attempt for the interval, whatever the number of requests.
  assert.equal(failing.listings(), 1, `${requests} requests`);
  const status = JSON.parse((await request(broken.url, '/_status')).body);
  assert.deepEqual(status.features.known_repositories, { on: true, repositories: null, age_seconds: null });
});

test('KNOWN_REPOSITORIES off (the default): nothing is listed, every repository redirects', async () => {
  // `off` lists the same upstream as `on`, which listed it once already.
  const listed = upstream.listings();
  const res = await request(off.url, UNKNOWN_MANIFEST);
  assert.equal(res.status, 307);
  const blobRes = await request(off.url, `/v2/not-a-k8s-repo/blobs/${present.digest}`);
  assert.equal(blobRes.headers.location, cdn.blobUrl(present.digest));
  await sleep(500);
  assert.equal(upstream.listings(), listed);
  const status = JSON.parse((await request(off.url, '/_status')).body);
  assert.deepEqual(status.features.known_repositories, { on: false, repositories: null, age_seconds: null });
});
