// The region-aware branches over HTTP, against the built wasm in workerd
// (wrangler dev), with the real compiled range tables and region sites
// (ranges/regions.txt): the nearest mirror for AWS/Azure regions without
// one, and the upstream chosen from the client's region. Mirror HEADs go to
// real loopback servers; upstream hosts are only named in Location headers.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from '../support/worker.mjs';
import { startMirror } from '../support/mirror-server.mjs';
import { request } from '../support/http.mjs';
import { IP } from '../support/personas.mjs';
import { blob } from './fixtures.mjs';

const PATH = 'k8s-artifacts-prod/images';
const present = blob('present in every copy');
const absentFromMirrors = blob('only in the CDN');
const upstream = (region) => `https://${region}.example`;
let copies, worker, archeioWorker;

const vars = (mirrors) => ({
  UPSTREAM_REGISTRY_ENDPOINT: upstream('default'),
  UPSTREAM_REGISTRY_PATH: PATH,
  DEFAULT_BLOB_BASE_URL: copies.cdn.url,
  BLOB_MIRRORS: mirrors,
  // GCP regions without lat/lon: placed by the compiled region sites.
  UPSTREAM_REGIONS: [
    { name: 'us-east4', endpoint: upstream('us-east4') },
    { name: 'europe-west1', endpoint: upstream('europe-west1') },
    { name: 'asia-east1', endpoint: upstream('asia-east1') },
    { name: 'australia-southeast1', endpoint: upstream('australia-southeast1') },
    // wrangler dev's placeholder request.cf is in Austin, TX.
    { name: 'us-south1', endpoint: upstream('us-south1'), lat: 32.78, lon: -96.8 },
  ],
  BLOB_CHECK_TIMEOUT_MS: 1000,
});

before(async () => {
  copies = {};
  for (const name of ['euWest3', 'usEast2', 'meCentral1', 'apEast1', 'westeurope']) {
    copies[name] = await startMirror({ blobs: [present], name });
  }
  copies.cdn = await startMirror({ blobs: [present, absentFromMirrors], name: 'cdn' });
  const mirrors = {
    'eu-west-3': copies.euWest3.url,
    'aws:us-east-2': copies.usEast2.url,
    'me-central-1': copies.meCentral1.url,
    'ap-east-1': copies.apEast1.url,
    'azure:westeurope': copies.westeurope.url,
  };
  worker = await startWorker({ vars: vars(mirrors) });
  archeioWorker = await startWorker({ vars: { ...vars(mirrors), MIRROR_FALLBACK_KM: 0 } });
});

after(async () => {
  await worker?.stop();
  await archeioWorker?.stop();
  for (const c of Object.values(copies ?? {})) await c.stop();
});

const blobFrom = (w, ip, b = present) => request(w.url, `/v2/pause/blobs/${b.digest}`, { headers: { 'CF-Connecting-IP': ip } });

test('regions without a mirror: the nearest mirror of their cloud, named in the reason', async () => {
  const cases = [
    [IP.awsUsEast1, 'usEast2', 'AWS us-east-1 -> us-east-2 mirror (nearest, 484 km)'],
    [IP.awsEuWest2, 'euWest3', 'AWS eu-west-2 -> eu-west-3 mirror (nearest, 343 km)'],
    [IP.awsApEast2, 'apEast1', 'AWS ap-east-2 -> ap-east-1 mirror (nearest, 811 km)'],
    [IP.awsMeSouth1, 'meCentral1', 'AWS me-south-1 -> me-central-1 mirror (nearest, 483 km)'],
    [IP.azureNortheurope, 'westeurope', 'Azure northeurope -> azure:westeurope mirror (nearest, 756 km)'],
    [IP.azureWesteurope, 'westeurope', 'Azure westeurope -> azure:westeurope mirror'],
    [IP.awsEuWest3, 'euWest3', 'AWS eu-west-3 -> eu-west-3 mirror'],
  ];
  for (const [ip, copy, reason] of cases) {
    const heads = copies[copy].countFor('HEAD', present.digest);
    const res = await blobFrom(worker, ip);
    assert.equal(res.status, 307, ip);
    assert.equal(res.headers.location, copies[copy].blobUrl(present.digest), ip);
    assert.equal(res.headers['x-registry-edge-reason'], `blob: ${reason}`);
    assert.ok(copies[copy].countFor('HEAD', present.digest) <= heads + 1);
  }
});

test('no nearest mirror across clouds or partitions, or beyond MIRROR_FALLBACK_KM: the CDN', async () => {
  for (const ip of [
    IP.awsCnNorth1, // aws-cn: Hong Kong is 1,966 km away but in another partition
    IP.awsV6UsWest2, // Boardman: the nearest mirror (Columbus) is 3,032 km away
    IP.azure, // Azure australiacentral: no Azure mirror near
    IP.unknown,
  ]) {
    const res = await blobFrom(worker, ip);
    assert.equal(res.headers.location, copies.cdn.blobUrl(present.digest), ip);
  }
});

test('a nearest mirror without the blob: the upstream nearest the client region', async () => {
  const res = await blobFrom(worker, IP.awsUsEast1, absentFromMirrors);
  assert.equal(res.headers.location, `${upstream('us-east4')}/v2/${PATH}/pause/blobs/${absentFromMirrors.digest}`);
  assert.equal(
    res.headers['x-registry-edge-reason'],
    'blob: AWS us-east-1, not in us-east-2 mirror (nearest, 484 km) -> upstream us-east4 (nearest to AWS us-east-1, 0 km)',
  );
  assert.equal(copies.cdn.countFor('HEAD', absentFromMirrors.digest), 0, 'the CDN is not tried');
});

test('MIRROR_FALLBACK_KM = 0: archeio behaviour, regions without a mirror get the CDN', async () => {
  for (const ip of [IP.awsUsEast1, IP.awsMeSouth1, IP.azureNortheurope]) {
    const res = await blobFrom(archeioWorker, ip);
    assert.equal(res.headers.location, copies.cdn.blobUrl(present.digest), ip);
  }
  const own = await blobFrom(archeioWorker, IP.awsEuWest3);
  assert.equal(own.headers.location, copies.euWest3.blobUrl(present.digest));
});

test('the upstream follows the client region; request.cf only for clients the tables do not place', async () => {
  const cases = [
    // GCP in a listed region: that region (the placeholder cf says Austin).
    [IP.gcpUsEast4, 'us-east4', "upstream us-east4 (the client's region)"],
    // GCP europe-north1 is not listed: the nearest to Hamina.
    [IP.gcp, 'europe-west1', 'upstream europe-west1 (nearest to GCP europe-north1, 1836 km)'],
    [IP.awsUsEast1, 'us-east4', 'upstream us-east4 (nearest to AWS us-east-1, 0 km)'],
    [IP.awsApEast2, 'asia-east1', 'upstream asia-east1 (nearest to AWS ap-east-2, 148 km)'],
    [IP.azure, 'australia-southeast1', 'upstream australia-southeast1 (nearest to Azure australiacentral, 247 km)'],
    // Not placed: wrangler dev's placeholder location (Austin) -> Dallas.
    [IP.unknown, 'us-south1', "upstream us-south1 (nearest to the client's location)"],
  ];
  for (const [ip, region, why] of cases) {
    const res = await request(worker.url, '/v2/pause/manifests/3.10', { headers: { 'CF-Connecting-IP': ip } });
    assert.equal(res.status, 307);
    assert.equal(res.headers.location, `${upstream(region)}/v2/${PATH}/pause/manifests/3.10`, ip);
    assert.equal(res.headers['x-registry-edge-reason'], `manifest -> ${why}`);
  }
  // GCP blobs go straight to the region's registry, unchecked.
  const heads = Object.values(copies).reduce((n, c) => n + c.requests({ method: 'HEAD' }).length, 0);
  const res = await blobFrom(worker, IP.gcpUsEast4);
  assert.equal(res.headers.location, `${upstream('us-east4')}/v2/${PATH}/pause/blobs/${present.digest}`);
  assert.equal(Object.values(copies).reduce((n, c) => n + c.requests({ method: 'HEAD' }).length, 0), heads);
});
