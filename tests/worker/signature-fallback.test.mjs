// The signature fallback over HTTP: content by digest that the regional
// upstream lacks goes to SIGNATURE_UPSTREAM_ENDPOINT. Two real
// registries (CNCF distribution, loopback): a "regional" one holding an
// image, and the canonical one also holding its signature (as the image
// promoter pushes signatures to the canonical registry only). The worker
// runs the built wasm under wrangler dev; clients follow its redirects.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startWorker } from '../support/worker.mjs';
import { startRegistry } from '../support/registry.mjs';
import { request } from '../support/http.mjs';
import { IP } from '../support/personas.mjs';
import { sha256 } from '../support/oci-images.mjs';

const PATH = 'k8s-artifacts-prod/images';
const REPO = 'pause';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
let regional, canonical, worker;

/** A one-layer OCI manifest and its blobs. */
function artifact(label) {
  const config = Buffer.from(JSON.stringify({ label }));
  const layer = Buffer.from(`registry-edge ${label} layer\n`);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
    }),
  );
  return { config, layer, manifest, digest: sha256(manifest), layerDigest: sha256(layer) };
}

async function push(registry, a) {
  const name = `${PATH}/${REPO}`;
  for (const bytes of [a.config, a.layer]) {
    const start = await fetch(`${registry.url}/v2/${name}/blobs/uploads/`, { method: 'POST' });
    assert.equal(start.status, 202);
    const location = new URL(start.headers.get('location'), registry.url);
    location.searchParams.set('digest', sha256(bytes));
    const put = await fetch(location, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(put.status, 201, await put.text());
  }
  const put = await fetch(`${registry.url}/v2/${name}/manifests/${a.digest}`, {
    method: 'PUT',
    body: a.manifest,
    headers: { 'content-type': OCI_MANIFEST },
  });
  assert.equal(put.status, 201, await put.text());
}

const image = artifact('image');
const signature = artifact('signature');
const later = artifact('pushed while the region is down');

before(async () => {
  regional = await startRegistry();
  canonical = await startRegistry();
  await push(regional, image);
  await push(canonical, image);
  await push(canonical, signature);
  await push(canonical, later);
  worker = await startWorker({
    vars: {
      UPSTREAM_REGISTRY_ENDPOINT: canonical.url,
      UPSTREAM_REGISTRY_PATH: PATH,
      SIGNATURE_UPSTREAM_ENDPOINT: canonical.url,
      UPSTREAM_REGIONS: [
        { name: 'us-east4', endpoint: regional.url, lat: 39.04, lon: -77.49 },
        { name: 'us-central1', endpoint: canonical.url, lat: 41.26, lon: -95.86 },
      ],
      BLOB_CHECK_TIMEOUT_MS: 1000,
      NEGATIVE_CACHE_SECONDS: 60,
    },
  });
});

after(async () => {
  await worker?.stop();
  for (const r of [regional, canonical]) await r?.stop();
});

// A GCP us-east4 client: its own region's registry is the chosen upstream.
const asGcpUsEast4 = { headers: { 'CF-Connecting-IP': IP.gcpUsEast4 } };
const get = (path, opts = asGcpUsEast4) => request(worker.url, path, opts);
const reason = (res) => res.headers['x-registry-edge-reason'];

/** HEADs of `path` in a registry's access log. */
async function headsOf(registry, path) {
  const log = await readFile(registry.logFile, 'utf8');
  return log.split('\n').filter((l) => l.includes(`"HEAD ${path} `)).length;
}

/** Follows a redirect as a client does and returns the fetched bytes. */
async function follow(res) {
  const fetched = await fetch(res.headers.location, { headers: { accept: OCI_MANIFEST } });
  assert.equal(fetched.status, 200, res.headers.location);
  return Buffer.from(await fetched.arrayBuffer());
}

test('a signature manifest by digest the region lacks is fetched from the signature upstream', async () => {
  const path = `/v2/${REPO}/manifests/${signature.digest}`;
  for (const method of ['GET', 'HEAD']) {
    const res = await get(path, { ...asGcpUsEast4, method });
    assert.equal(res.status, 307, res.body);
    assert.equal(res.headers.location, `${canonical.url}/v2/${PATH}${path.slice(3)}`);
    assert.equal(reason(res), "manifest -> upstream us-east4 (the client's region), not there -> signature upstream");
  }
  assert.deepEqual(await follow(await get(path)), signature.manifest);
  // One HEAD to the region, the answer kept for the next requests.
  assert.equal(await headsOf(regional, `/v2/${PATH}${path.slice(3)}`), 1);
});

test("the signature's layer, going upstream, follows it there", async () => {
  const path = `/v2/${REPO}/blobs/${signature.layerDigest}`;
  const res = await get(path);
  assert.equal(res.status, 307);
  assert.equal(res.headers.location, `${canonical.url}/v2/${PATH}${path.slice(3)}`);
  assert.equal(reason(res), "blob: GCP us-east4 -> upstream us-east4 (the client's region), not there -> signature upstream");
  assert.deepEqual(await follow(res), signature.layer);
});

test('content the region has stays in the region; tags are never checked', async () => {
  for (const path of [`/v2/${REPO}/manifests/${image.digest}`, `/v2/${REPO}/blobs/${image.layerDigest}`]) {
    const res = await get(path);
    assert.equal(res.status, 307, path);
    assert.equal(res.headers.location, `${regional.url}/v2/${PATH}${path.slice(3)}`);
    assert.doesNotMatch(reason(res), /signature|kept/);
  }
  assert.deepEqual(await follow(await get(`/v2/${REPO}/manifests/${image.digest}`)), image.manifest);
  const tag = await get(`/v2/${REPO}/manifests/3.9`);
  assert.equal(tag.headers.location, `${regional.url}/v2/${PATH}/${REPO}/manifests/3.9`);
  assert.equal(await headsOf(regional, `/v2/${PATH}/${REPO}/manifests/3.9`), 0);
});

test('a client whose upstream is the signature upstream is not checked', async () => {
  const path = `/v2/${REPO}/manifests/${signature.digest}`;
  // An unknown client without coordinates gets UPSTREAM_REGISTRY_ENDPOINT.
  const res = await get(path, { headers: { 'CF-Connecting-IP': IP.unknown } });
  assert.equal(res.headers.location, `${canonical.url}/v2/${PATH}${path.slice(3)}`);
  assert.doesNotMatch(reason(res), /not there/);
  assert.equal(await headsOf(canonical, `/v2/${PATH}${path.slice(3)}`), 0);
});

test('errors keep the regional upstream: only a 404 moves a request', async () => {
  await regional.stop({ removeDir: false });
  const path = `/v2/${REPO}/manifests/${later.digest}`;
  const res = await get(path);
  assert.equal(res.status, 307);
  assert.equal(res.headers.location, `${regional.url}/v2/${PATH}${path.slice(3)}`);
  assert.match(reason(res), /^manifest -> upstream us-east4 \(the client's region\), upstream check failed \((network error|timeout)\), kept$/);
});
