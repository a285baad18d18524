// `make load`: at least 20,000 mixed requests at concurrency 64 against the
// built worker under `wrangler dev`, through autocannon.
//
// The mix cycles through blob requests for every persona (AWS eu-west-3,
// AWS us-east-2 inside a GLOBAL supernet, GCP, AWS IPv6 us-west-2, unknown)
// over 64 blobs the mirror buckets and the CDN hold (loopback servers, so
// every first sight of a blob is a real HEAD), a few blobs no copy holds
// (negative cache, then upstream), manifests by tag and by digest, and
// tags/list. The upstream is only ever named in Location headers, so no
// registry is needed. Every request is valid: every answer must be a
// redirect, and there must be no socket error.
//
// Prints `load_* value` lines; exits 1 on any error.
//   LOAD_REQUESTS (default 20000), LOAD_CONCURRENCY (64)

import { createHash } from 'node:crypto';
import { startWorker } from '../support/worker.mjs';
import { startMirror } from '../support/mirror-server.mjs';
import { runLoad } from '../support/autocannon.mjs';
import { PERSONAS, MIRROR_REGIONS } from '../support/edge-rig.mjs';

const TOTAL = Number(process.env.LOAD_REQUESTS ?? 20_000);
const CONNECTIONS = Number(process.env.LOAD_CONCURRENCY ?? 64);
const UPSTREAM = 'https://upstream.example';

const blob = (label) => {
  const bytes = Buffer.from(`registry-edge load blob ${label}\n`);
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes };
};
const blobs = Array.from({ length: 64 }, (_, i) => blob(i));
const absent = Array.from({ length: 4 }, (_, i) => blob(`absent ${i}`));

const stops = [];
async function main() {
  const backends = {};
  for (const name of [...MIRROR_REGIONS, 'cdn']) {
    backends[name] = await startMirror({ blobs, name });
    stops.push(() => backends[name].stop());
  }
  const worker = await startWorker({
    vars: {
      UPSTREAM_REGISTRY_ENDPOINT: UPSTREAM,
      UPSTREAM_REGISTRY_PATH: 'k8s-artifacts-prod/images',
      DEFAULT_BLOB_BASE_URL: backends.cdn.url,
      BLOB_MIRRORS: Object.fromEntries(MIRROR_REGIONS.map((r) => [r, backends[r].url])),
      BLOB_CHECK_TIMEOUT_MS: 2000,
      NEGATIVE_CACHE_SECONDS: 60,
    },
    // wrangler's per-request log lines would cost about half the throughput.
    logLevel: 'warn',
  });
  stops.push(() => worker.stop());

  // The mix: per blob, one request per persona; then manifests, tags and
  // absent blobs interleaved.
  const requests = [];
  const names = ['pause', 'kube-apiserver', 'sig-storage/csi-provisioner', 'e2e/multi-arch'];
  blobs.forEach((b, i) => {
    for (const p of PERSONAS) requests.push({ path: `/v2/${names[i % names.length]}/blobs/${b.digest}`, clientIp: p.ip });
    requests.push({ path: `/v2/${names[i % names.length]}/manifests/v1.${i}.0`, clientIp: PERSONAS[i % PERSONAS.length].ip });
    requests.push({ path: `/v2/${names[i % names.length]}/manifests/${b.digest}` });
    if (i % 4 === 0) requests.push({ path: `/v2/${names[i % names.length]}/tags/list?n=100&last=v1.${i}` });
    if (i % 16 === 0) requests.push({ path: `/v2/pause/blobs/${absent[(i / 16) % absent.length].digest}`, clientIp: PERSONAS[0].ip });
  });

  const started = Date.now();
  const r = await runLoad({ url: worker.url, requests, total: TOTAL, connections: CONNECTIONS });
  const heads = Object.fromEntries(Object.entries(backends).map(([n, s]) => [n, s.requests({ method: 'HEAD' }).length]));
  
  console.log(`# ${requests.length} distinct requests cycled; ${CONNECTIONS} connections; wall ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`# statuses: ${r.statuses}`);
  console.log(`# existence-check HEADs per copy: ${JSON.stringify(heads)}`);
  console.log(`load_requests ${r.requests}`);
  console.log(`load_requests_per_s ${Math.round(r.requestsPerSecond)}`);
  console.log(`load_p50_ms ${r.p50Ms.toFixed(2)}`);
  console.log(`load_p90_ms ${r.p90Ms.toFixed(2)}`);
  console.log(`load_p99_ms ${r.p99Ms.toFixed(2)}`);
  console.log(`load_max_ms ${r.maxMs.toFixed(2)}`);
  console.log(`load_errors ${r.errors}`);

  const problems = [];
  if (r.requests < TOTAL) problems.push(`only ${r.requests} of ${TOTAL} requests completed`);
  if (r.socketErrors) problems.push(`${r.socketErrors} socket errors (connect/read/write/timeout)`);
  if (r.nonRedirect) problems.push(`${r.nonRedirect} answers were not redirects: ${r.statuses}`);
  return problems;
}

let problems;
try {
  problems = await main();
} catch (err) {
  problems = [err.stack ?? String(err)];
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => {});
}
if (problems.length) {
  console.error(`load FAILED:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log('load OK: 0 errors');
