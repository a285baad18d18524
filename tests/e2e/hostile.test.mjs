// Hostile input against the running worker (build/ under wrangler dev): a
// corpus of 300-odd malformed or hostile requests (tests/support/
// hostile-corpus.mjs), written byte for byte to a raw TCP socket so that
// CR/LF/NUL and non-UTF-8 bytes reach the server as sent.
//
// Every answer must be one of:
//   - a 4xx (from the worker, or from the runtime's HTTP parser);
//   - a redirect whose Location is an absolute http(s) URL on one of the
//     configured hosts, with no control character or space;
//   - 200 for the API version check, when the path normalises to /v2/;
//   - for a few flagged cases, a known answer of the local runtime given
//     before the worker runs (RUNTIME_ANSWERS: methods workerd does not
//     know, CONNECT, `OPTIONS *`, duplicate Host headers), matched exactly
//     AND proven to be the runtime's: the same request sent to a stand-in
//     worker under the same wrangler dev (tests/support/echo-worker.mjs,
//     which answers every fetch with 418) gets the identical answer.
// No other 5xx, no injected response header, forged forwarding headers
// never choose the mirror, and afterwards the worker still serves normal
// requests and a 2,000-request burst at concurrency 64 without an error.
//
// Every request also goes to the stand-in, so the diagnostics can say how
// many requests the runtime refused itself and how many reached the worker.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startWorker } from '../support/worker.mjs';
import { startMirror } from '../support/mirror-server.mjs';
import { rawRequest, buildRequest } from '../support/raw-http.mjs';
import { buildCorpus, RUNTIME_ANSWERS } from '../support/hostile-corpus.mjs';
import { runLoad } from '../support/autocannon.mjs';
import { startEchoWorker, ECHO_STATUS } from '../support/echo-worker.mjs';
import { IP } from '../support/personas.mjs';

const UPSTREAM = 'https://upstream.example';
const SIGNATURES = 'https://signatures.example';
const INFO = 'https://info.example/registry';
const PRIVACY = 'https://privacy.example/policy';
const DALLAS = 'https://us-south1.example';
const EUROPE = 'https://europe-west1.example';
const PRIMARY = 'registry.k8s.io';

const blobBytes = Buffer.from('registry-edge hostile corpus blob\n');
const digest = `sha256:${createHash('sha256').update(blobBytes).digest('hex')}`;
const absentDigest = `sha256:${createHash('sha256').update('absent everywhere').digest('hex')}`;

let euWest3, usEast2, cdn, worker, echo, vars;
const corpus = buildCorpus({ digest, absentDigest });
const outcomes = []; // {case, res, verdict}

before(async () => {
  euWest3 = await startMirror({ blobs: [{ digest, bytes: blobBytes }] });
  usEast2 = await startMirror({ blobs: [{ digest, bytes: blobBytes }] });
  cdn = await startMirror({ blobs: [{ digest, bytes: blobBytes }] });
  vars = {
    UPSTREAM_REGISTRY_ENDPOINT: UPSTREAM,
    UPSTREAM_REGISTRY_PATH: 'k8s-artifacts-prod/images',
    SIGNATURE_UPSTREAM_ENDPOINT: SIGNATURES,
    INFO_URL: INFO,
    PRIVACY_URL: PRIVACY,
    DEFAULT_BLOB_BASE_URL: cdn.url,
    BLOB_MIRRORS: { 'eu-west-3': euWest3.url, 'us-east-2': usEast2.url },
    UPSTREAM_REGIONS: [
      { name: 'us-south1', endpoint: DALLAS, lat: 32.78, lon: -96.8 },
      { name: 'europe-west1', endpoint: EUROPE, lat: 50.45, lon: 3.82 },
    ],
    LEGACY_HOSTS: 'k8s.gcr.io',
    PRIMARY_HOST: PRIMARY,
    BLOB_CHECK_TIMEOUT_MS: 1000,
    NEGATIVE_CACHE_SECONDS: 60,
  };
  worker = await startWorker({ vars });
  echo = await startEchoWorker();
});

after(async () => {
  await echo?.stop();
  await worker?.stop();
  for (const m of [euWest3, usEast2, cdn]) await m?.stop();
});

const allowedHosts = () =>
  new Set(
    [UPSTREAM, SIGNATURES, INFO, PRIVACY, DALLAS, 'https://europe-west1.example', `https://${PRIMARY}`, cdn.url, euWest3.url, usEast2.url].map(
      (u) => new URL(u).host,
    ),
  );

/**
 * Why an answer is acceptable, or throws saying why not. `stand` is the
 * stand-in worker's answer to the same bytes.
 */
function judge(c, res, stand) {
  const what = `${c.category} / ${c.name}`;
  if (res.status === null) {
    assert.ok(c.mayClose, `${what}: no answer (${res.error ?? 'connection closed'}); received ${JSON.stringify(res.raw.toString('latin1').slice(0, 200))}`);
    assert.equal(stand.status, null, `${what}: the stand-in worker got an answer (${stand.status}), registry-edge none`);
    return 'closed without answer (incomplete request)';
  }
  const headerNames = Object.keys(res.headers);
  for (const injected of ['x-injected', 'set-cookie']) assert.ok(!headerNames.includes(injected), `${what}: response carries ${injected}`);
  const body = res.body.toString('latin1');

  if (res.status >= 500) {
    const known = c.runtime && RUNTIME_ANSWERS[c.runtime];
    assert.ok(known, `${what}: ${res.status} ${JSON.stringify(body.slice(0, 300))}`);
    assert.equal(res.status, known.status, `${what}: expected the runtime's ${known.status}, got ${res.status} ${body.slice(0, 200)}`);
    assert.match(body, known.body, `${what}: a ${res.status} that is not ${known.who}`);
    // Proof that no registry-edge code ran: a worker that answers every
    // fetch with 418 gets the very same answer.
    assert.notEqual(stand.status, ECHO_STATUS, `${what}: the stand-in worker was reached, so this ${res.status} is not the runtime's`);
    assert.equal(stand.status, res.status, `${what}: stand-in got ${stand.status}`);
    assert.equal(stand.body.toString('latin1'), body, `${what}: stand-in answered differently`);
    return `runtime ${res.status}: ${c.runtime}`;
  }
  if (res.status >= 300 && res.status < 400) {
    const locations = res.headers.location ?? [];
    assert.equal(locations.length, 1, `${what}: ${res.status} with Location ${JSON.stringify(locations)}`);
    const location = locations[0];
    assert.match(location, /^https?:\/\/[\x21-\x7e]+$/, `${what}: Location ${JSON.stringify(location)}`);
    const host = new URL(location).host;
    assert.ok(allowedHosts().has(host), `${what}: Location host ${host} (${location})`);
    if (c.expectCopy === 'cdn') assert.equal(host, new URL(cdn.url).host, `${what}: forged headers chose ${location}`);
    if (c.expectCopy === 'not-mirror') assert.notEqual(host, new URL(euWest3.url).host, `${what}: forged headers chose the mirror`);
    return `${res.status} redirect`;
  }
  if (res.status === 200) {
    assert.equal(res.headers['docker-distribution-api-version']?.[0], 'registry/2.0', `${what}: 200 that is not the API version check: ${body.slice(0, 200)}`);
    return '200 api version check';
  }
  assert.ok(res.status >= 400 && res.status < 500, `${what}: status ${res.status}`);
  return `${res.status}`;
}

test(`hostile corpus: ${corpus.length} requests, every answer a 4xx or a redirect to a configured host`, async (t) => {
  assert.ok(corpus.length >= 200, `corpus has ${corpus.length} cases`);
  const failures = [];
  let refusedByRuntime = 0;
  for (const c of corpus) {
    const res = await rawRequest(worker.port, c.bytes, { timeoutMs: 10_000 });
    const stand = await rawRequest(echo.port, c.bytes, { timeoutMs: 10_000 });
    if (stand.status !== ECHO_STATUS) refusedByRuntime += 1;
    try {
      outcomes.push({ c, res, stand, verdict: judge(c, res, stand) });
    } catch (err) {
      failures.push(err.message);
    }
  }
  t.diagnostic(`hostile: ${corpus.length - refusedByRuntime} requests reached a worker, ${refusedByRuntime} were answered by workerd/wrangler dev before any worker code ran`);
  const byCategory = {};
  for (const { c, verdict } of outcomes) {
    const k = `${c.category}`;
    byCategory[k] ??= {};
    byCategory[k][verdict] = (byCategory[k][verdict] ?? 0) + 1;
  }
  for (const [k, v] of Object.entries(byCategory)) t.diagnostic(`hostile ${k}: ${Object.entries(v).map(([s, n]) => `${s} x${n}`).join(', ')}`);
  const runtime = outcomes.filter((o) => o.verdict.startsWith('runtime'));
  for (const o of runtime) t.diagnostic(`hostile answered by the runtime, not the worker: ${o.c.name} -> ${o.res.status} (${RUNTIME_ANSWERS[o.c.runtime].who})`);
  t.diagnostic(`hostile corpus: ${corpus.length} requests in ${Object.keys(byCategory).length} categories, ${failures.length} unacceptable answers`);
  assert.deepEqual(failures, []);
});

test('forged addresses never pick a mirror; a real one still does', async () => {
  // Control: the same request with a genuine eu-west-3 CF-Connecting-IP.
  const res = await rawRequest(worker.port, buildRequest({ target: `/v2/pause/blobs/${digest}`, headers: [['CF-Connecting-IP', IP.awsEuWest3]] }));
  assert.equal(res.status, 307);
  assert.equal(res.headers.location[0], euWest3.blobUrl(digest));
  const forged = outcomes.filter((o) => o.c.expectCopy);
  assert.ok(forged.length >= 10);
  for (const o of forged) assert.notEqual(o.res.headers.location?.[0], euWest3.blobUrl(digest), o.c.name);
});

test('the worker keeps serving after the corpus', async (t) => {
  const cases = [
    [`/v2/pause/blobs/${digest}`, IP.awsEuWest3, 307, euWest3.blobUrl(digest)],
    [`/v2/pause/blobs/${digest}`, IP.awsUsEast2InGlobal, 307, usEast2.blobUrl(digest)],
    [`/v2/pause/blobs/${digest}`, IP.unknown, 307, cdn.blobUrl(digest)],
    // GCP europe-north1: the region nearest its own (not wrangler dev's Austin).
    [`/v2/pause/blobs/${digest}`, IP.gcp, 307, `${EUROPE}/v2/k8s-artifacts-prod/images/pause/blobs/${digest}`],
    ['/v2/pause/manifests/3.9', null, 307, `${DALLAS}/v2/k8s-artifacts-prod/images/pause/manifests/3.9`],
    ['/v2/', null, 200, undefined],
  ];
  for (const [target, ip, status, location] of cases) {
    const res = await rawRequest(worker.port, buildRequest({ target, headers: ip ? [['CF-Connecting-IP', ip]] : [] }));
    assert.equal(res.status, status, `${target} as ${ip}`);
    assert.equal(res.headers.location?.[0], location, `${target} as ${ip}`);
  }
  const load = await runLoad({
    url: worker.url,
    requests: [
      { path: `/v2/pause/blobs/${digest}`, clientIp: IP.awsEuWest3 },
      { path: `/v2/pause/blobs/${digest}`, clientIp: IP.unknown },
      { path: `/v2/pause/blobs/${digest}`, clientIp: IP.gcp },
      { path: '/v2/pause/manifests/3.9' },
      { path: '/v2/pause/tags/list?n=10' },
    ],
    total: 2000,
    connections: 64,
  });
  t.diagnostic(`burst after the corpus: ${load.requests} requests, ${Math.round(load.requestsPerSecond)} req/s, p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms, statuses ${load.statuses}`);
  assert.ok(load.requests >= 2000);
  assert.equal(load.socketErrors, 0);
  assert.equal(load.nonRedirect, 0);
  assert.match(load.statuses, /^307=\d+$/, `only 307s: ${load.statuses}`);
});
