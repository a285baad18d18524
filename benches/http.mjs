// `make bench` (last part): requests/s and latency through `wrangler dev`
// for 10,000 redirect requests at concurrency 32, measured with autocannon.
// The mix: manifests, tags/list, and blobs from an AWS eu-west-3 client
// whose mirror (a loopback server) has them, so after the first check every
// blob decision is answered from the in-isolate cache, as in steady state.
// For scale, the same load in the same run against a JavaScript worker that
// only returns a constant 307: the cost of wrangler dev itself.
// Prints `http_*` and `http_baseline_js_*` lines.

import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startWorker } from '../tests/support/worker.mjs';
import { startMirror } from '../tests/support/mirror-server.mjs';
import { makeTempDir } from '../tests/support/processes.mjs';
import { runLoad } from '../tests/support/autocannon.mjs';

const TOTAL = 10_000;
const CONNECTIONS = 32;

const digests = Array.from({ length: 8 }, (_, i) => {
  const bytes = Buffer.from(`bench blob ${i}`);
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes };
});
const requests = [
  { path: '/v2/pause/manifests/3.10' },
  { path: '/v2/kube-apiserver/tags/list?n=100' },
  ...digests.map((d) => ({ path: `/v2/pause/blobs/${d.digest}`, clientIp: '35.180.1.1' })),
];

async function measure(prefix, worker) {
  // Warm up (JIT, first existence checks) outside the measurement.
  await runLoad({ url: worker.url, requests, total: 500, connections: 8 });
  const r = await runLoad({ url: worker.url, requests, total: TOTAL, connections: CONNECTIONS });
  console.log(`${prefix}_requests ${r.requests}`);
  console.log(`${prefix}_requests_per_s ${r.requestsPerSecond.toFixed(0)}`);
  console.log(`${prefix}_p50_ms ${r.p50Ms.toFixed(2)}`);
  console.log(`${prefix}_p99_ms ${r.p99Ms.toFixed(2)}`);
  console.log(`${prefix}_errors ${r.errors}`);
}

const mirror = await startMirror({ blobs: digests });
const tmp = await makeTempDir('registry-edge-bench-');
try {
  const worker = await startWorker({
    vars: {
      UPSTREAM_REGISTRY_ENDPOINT: 'https://upstream.example',
      UPSTREAM_REGISTRY_PATH: 'k8s-artifacts-prod/images',
      BLOB_MIRRORS: { 'eu-west-3': mirror.url },
    },
    // wrangler's per-request log lines would halve the throughput measured.
    logLevel: 'warn',
  });
  try {
    await measure('http', worker);
  } finally {
    await worker.stop();
  }

  const constant = path.join(tmp.dir, 'constant.js');
  await writeFile(
    constant,
    "export default { fetch: () => new Response(null, { status: 307, headers: { Location: 'https://upstream.example/' } }) };\n",
  );
  const baseline = await startWorker({ entry: constant, logLevel: 'warn' });
  try {
    await measure('http_baseline_js', baseline);
  } finally {
    await baseline.stop();
  }
} finally {
  await mirror.stop();
  await tmp.remove();
}
