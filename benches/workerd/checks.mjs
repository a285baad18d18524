// CPU per request of a blob redirect by the kind of existence check that
// answers it: today's HTTP HEAD of a mirror, or an R2 binding's head(),
// each first-time (a digest never asked before: the check runs, through the
// Cache API, and its answer is written there) and cached (the isolate's
// memory answers). One workerd process serves all four cases, configured
// with an HTTP mirror for the AWS eu-west-3 persona and an R2 default copy
// for unknown clients; both copies hold every digest.
//
// What workerd's CPU time must not include runs in other processes: the
// mirror, the R2 bucket behind the binding (a loopback server speaking the
// binding's protocol, tests/support/r2-bucket-service.mjs), and the Cache
// API backend (the test support's in-memory one, served over HTTP from this
// process instead of as a worker inside workerd). On the edge, too, R2 and
// the Cache API are other systems the worker makes requests to.

import http from 'node:http';
import path from 'node:path';
import { startMirror } from '../../tests/support/mirror-server.mjs';
import { startR2Bucket } from '../../tests/support/r2-bucket-service.mjs';
import { IP } from '../../tests/support/personas.mjs';
import { ROOT } from '../../tests/support/programs.mjs';

const UPSTREAM = 'https://upstream.example';
const R2_BASE = 'https://blobs.example';
const CACHE_SERVICE = path.join(ROOT, 'tests/support/workerd-cache-service.mjs');

/** A fetch handler (`export default { fetch }`) served over HTTP on loopback. */
async function serveFetchHandler(handler) {
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const headers = Object.entries(req.headers).filter(([, v]) => typeof v === 'string');
    const body = ['GET', 'HEAD'].includes(req.method) ? undefined : Buffer.concat(chunks);
    try {
      const response = await handler.fetch(new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body }));
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (err) {
      res.writeHead(500);
      res.end(String(err));
    }
  });
  const port = await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
  return { address: `127.0.0.1:${port}`, stop: () => new Promise((r) => server.close(r)) };
}

/** A digest no case has asked for yet. */
let fresh = 0;
const freshDigest = () => `sha256:${(++fresh).toString(16).padStart(64, '0')}`;

/**
 * Starts the copies, the cache backend and the workerd process; returns the
 * four cases for cpu.mjs (each a redirect to its copy, checked by probe).
 * @param {{serve: (name, entry, opts) => Promise<object>, entry: string, tmp: string,
 *   compatibilityFlags: string[], vars: object, stops: (() => Promise<void>)[]}} opts
 */
export async function checkCases({ serve, entry, tmp, compatibilityFlags, vars, stops }) {
  // Both copies hold every digest: the mirror answers 200 to any HEAD,
  // the bucket finds any key.
  const mirror = await startMirror({ name: 'eu-west-3' });
  mirror.setMode('status', { status: 200 });
  stops.push(mirror.stop);
  const bucket = await startR2Bucket({ mode: 'everything' });
  stops.push(bucket.stop);
  const { default: cacheHandler } = await import(CACHE_SERVICE);
  const cache = await serveFetchHandler(cacheHandler);
  stops.push(cache.stop);

  const target = await serve('registry-edge-checks', entry, {
    tmp,
    compatibilityFlags,
    vars: {
      ...vars,
      UPSTREAM_REGISTRY_ENDPOINT: UPSTREAM,
      UPSTREAM_REGISTRY_PATH: 'k8s-artifacts-prod/images',
      BLOB_MIRRORS: { 'eu-west-3': mirror.url },
      DEFAULT_BLOB_BASE_URL: { url: R2_BASE, r2_binding: 'R2_BLOBS' },
      BLOB_CHECK_TIMEOUT_MS: 2000,
    },
    r2Buckets: { R2_BLOBS: bucket.address },
    cacheAddress: cache.address,
  });

  const blob = (digest, clientIp) => ({ path: `/v2/pause/blobs/${digest}`, ...(clientIp ? { clientIp } : {}) });
  const head = (digest) => ({ ...blob(digest, IP.awsEuWest3), status: 307, locationPrefix: mirror.url });
  const r2 = (digest) => ({ ...blob(digest), status: 307, locationPrefix: R2_BASE });
  // A list of `count` requests, each for a digest never asked before (a
  // few more than the run sends: wrk's other connections have requests in
  // flight when it stops).
  const fresh = (request) => (count) => Array.from({ length: count + 64 }, () => request(freshDigest()));
  const cached = freshDigest();
  return {
    target,
    counts: () => ({ heads: mirror.requests({ method: 'HEAD' }).length, r2Heads: bucket.count('head') }),
    cases: [
      { name: 'blob_head_first', target, request: head(freshDigest()), fresh: fresh(head) },
      { name: 'blob_r2_first', target, request: r2(freshDigest()), fresh: fresh(r2) },
      { name: 'blob_head_cached', target, request: head(cached) },
      { name: 'blob_r2_cached', target, request: r2(cached) },
    ],
  };
}
