// `make load`: at least 20,000 mixed requests at concurrency 64 against the
// built worker under `wrangler dev`, through autocannon.
//
// The mix (tests/load/mix.mjs): blob requests for every persona over 64
// blobs the mirror buckets and the CDN hold (loopback servers, so every
// first sight of a blob is a real HEAD), a few blobs no copy holds,
// manifests by tag and by digest, and tags/list. The upstream is only ever
// named in Location headers, so no registry is needed. Every answer must be
// a redirect, and there must be no socket error.
//
// Prints `load_* value` lines; exits 1 on any error.
//   LOAD_REQUESTS (default 20000), LOAD_CONCURRENCY (64)

import { startWorker } from '../support/worker.mjs';
import { startMirror } from '../support/mirror-server.mjs';
import { runLoad } from '../support/autocannon.mjs';
import { blobs, BACKENDS, loadVars, loadRequests } from './mix.mjs';

const TOTAL = Number(process.env.LOAD_REQUESTS ?? 20_000);
const CONNECTIONS = Number(process.env.LOAD_CONCURRENCY ?? 64);

const stops = [];
async function main() {
  const backends = {};
  for (const name of BACKENDS) {
    backends[name] = await startMirror({ blobs, name });
    stops.push(() => backends[name].stop());
  }
  const worker = await startWorker({
    vars: loadVars(Object.fromEntries(BACKENDS.map((n) => [n, backends[n].url]))),
    // wrangler's per-request log lines would cost about half the throughput.
    logLevel: 'warn',
  });
  stops.push(() => worker.stop());
  const requests = loadRequests();

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
