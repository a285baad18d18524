// `make bench` (last part): requests/s and latency through `wrangler dev`
// for 10,000 redirect requests at concurrency 32, measured with wrk. The
// mix: manifests, tags/list, and blobs from an AWS eu-west-3 client whose
// mirror (a loopback server) has them, so after the first check every blob
// decision is answered from the in-isolate cache, as in steady state.
// Prints `http_requests_per_s`, `http_p50_ms`, `http_p99_ms`, `http_errors`.

import { createHash } from 'node:crypto';
import { startWorker } from '../tests/support/worker.mjs';
import { startMirror } from '../tests/support/mirror-server.mjs';
import { runWrk } from '../tests/support/wrk.mjs';

const digests = Array.from({ length: 8 }, (_, i) => {
  const bytes = Buffer.from(`bench blob ${i}`);
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes };
});
const mirror = await startMirror({ blobs: digests });
const worker = await startWorker({
  vars: {
    UPSTREAM_REGISTRY_ENDPOINT: 'https://upstream.example',
    UPSTREAM_REGISTRY_PATH: 'k8s-artifacts-prod/images',
    BLOB_MIRRORS: { 'eu-west-3': mirror.url },
  },
});
try {
  const requests = [
    { path: '/v2/pause/manifests/3.10' },
    { path: '/v2/kube-apiserver/tags/list?n=100' },
    ...digests.map((d) => ({ path: `/v2/pause/blobs/${d.digest}`, clientIp: '35.180.1.1' })),
  ];
  // Warm up (JIT, first existence checks) outside the measurement.
  await runWrk({ url: worker.url, requests, total: 500, connections: 8 });
  const r = await runWrk({ url: worker.url, requests, total: 10_000, connections: 32 });
  console.log(`http_requests ${r.requests}`);
  console.log(`http_requests_per_s ${r.requestsPerSecond.toFixed(0)}`);
  console.log(`http_p50_ms ${r.p50Ms.toFixed(2)}`);
  console.log(`http_p99_ms ${r.p99Ms.toFixed(2)}`);
  console.log(`http_errors ${r.socketErrors + r.badStatus}`);
} finally {
  await worker.stop();
  await mirror.stop();
}
