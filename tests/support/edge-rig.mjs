// The end-to-end rig around the real worker:
//
//   client (skopeo/podman/ctr)
//     -> persona front proxy (sets CF-Connecting-IP, one per persona)
//       -> registry-edge under wrangler dev (configured through [vars] only)
//          307 -> upstream logging proxy -> distribution registry (docker-registry)
//                 (with `listing`, the proxy itself answers the listing of
//                 the upstream's top-level repositories, as Artifact Registry does)
//          307 -> mirror bucket of the client's AWS region (loopback server)
//          307 -> default CDN (loopback server)
//
// Every server logs what it serves, so a test can tell, blob by blob, which
// backend a client downloaded from. Nothing here reaches inside the worker.
//
//   const rig = await startEdgeRig({ workDir });
//   ... rig.personas.awsEuWest3.host ...
//   rig.blobSources(digest) // {upstream: n, 'eu-west-3': n, ..., cdn: n}
//   await rig.stop();

import path from 'node:path';
import { startRegistry } from './registry.mjs';
import { buildAndPushTestImages, UPSTREAM_PREFIX } from './oci-images.mjs';
import { startMirror } from './mirror-server.mjs';
import { startFrontProxy } from './front-proxy.mjs';
import { startWorker } from './worker.mjs';
import { MIRROR_REGIONS, RIG_PERSONAS } from './personas.mjs';

const BLOB_PATH = /^\/v2\/(.+)\/blobs\/([a-z0-9]+:[a-zA-Z0-9=_-]+)$/;

/**
 * @param {object} opts
 * @param {string} opts.workDir            temp dir for the registry and image layouts
 * @param {(images) => Record<string, string[]>} [opts.missing]  backend -> digests
 *   that backend lacks (e.g. one layer missing from the eu-west-3 mirror)
 * @param {Record<string, unknown>} [opts.vars]  extra/overriding worker [vars]
 * @param {string[]} [opts.personaKeys]    which persona proxies to start (default: every one of RIG_PERSONAS)
 * @param {object} [opts.workerOptions]    more startWorker options (e.g. logLevel, extraToml)
 * @param {(rig) => Promise<void>} [opts.beforeWorker]  runs once the images are pushed and the
 *   copies started, before the worker starts (e.g. to fill a local R2 bucket with the images' blobs)
 * @param {boolean} [opts.listing]         the upstream proxy answers `GET /v2/<prefix>/tags/list` with a
 *   `child` array of the pushed images' top-level names (the distribution registry has none);
 *   `rig.listings()` counts those requests
 */
export async function startEdgeRig({ workDir, missing = () => ({}), vars = {}, personaKeys, workerOptions = {}, listing = false, beforeWorker } = {}) {
  const stops = [];
  const rig = { stops };
  let listings = 0; // kept apart from the upstream's log, which resetLogs empties
  try {
    rig.registry = await startRegistry({ dir: path.join(workDir, 'registry') });
    stops.push(() => rig.registry.stop());
    rig.images = await buildAndPushTestImages({ workDir: path.join(workDir, 'images'), registryHost: rig.registry.host });

    // "Artifact Registry": logs what reaches the upstream (no CF header).
    rig.upstream = await startFrontProxy({
      target: rig.registry.url,
      clientIp: null,
      answer: listing
        ? (req) => {
            const answer = listingAnswer(req, rig.images);
            if (answer) listings += 1;
            return answer;
          }
        : undefined,
    });
    stops.push(() => rig.upstream.stop());

    const lacking = missing(rig.images);
    rig.missing = lacking;
    rig.backends = {};
    for (const name of [...MIRROR_REGIONS, 'cdn']) {
      const skip = new Set(lacking[name] ?? []);
      const blobs = rig.images.flatMap((i) => i.blobs).filter((b) => !skip.has(b.digest));
      const server = await startMirror({ blobs, name });
      stops.push(() => server.stop());
      rig.backends[name] = server;
    }

    rig.vars = {
      UPSTREAM_REGISTRY_ENDPOINT: rig.upstream.url,
      UPSTREAM_REGISTRY_PATH: UPSTREAM_PREFIX,
      DEFAULT_BLOB_BASE_URL: rig.backends.cdn.url,
      BLOB_MIRRORS: Object.fromEntries(MIRROR_REGIONS.map((r) => [r, rig.backends[r].url])),
      BLOB_CHECK_TIMEOUT_MS: 1000,
      NEGATIVE_CACHE_SECONDS: 60,
      ...vars,
    };
    await beforeWorker?.(rig);
    rig.worker = await startWorker({ vars: rig.vars, ...workerOptions });
    stops.push(() => rig.worker.stop()); // the current worker, after restarts too

    rig.personas = {};
    for (const key of personaKeys ?? RIG_PERSONAS.map((p) => p.key)) {
      const p = RIG_PERSONAS.find((x) => x.key === key);
      if (!p) throw new Error(`${key} is not a persona of the rig (RIG_PERSONAS in personas.mjs)`);
      const proxy = await startFrontProxy({ target: rig.worker.url, clientIp: p.ip, upstreamTimeoutMs: 20_000 });
      stops.push(() => proxy.stop());
      rig.personas[p.key] = { ...p, proxy, host: proxy.host, url: proxy.url };
    }
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    throw err;
  }

  /** GET counts of one blob at every backend (upstream counted at its proxy). */
  rig.blobSources = (digest) => {
    const counts = { upstream: upstreamBlobGets(rig.upstream.log, digest) };
    for (const [name, server] of Object.entries(rig.backends)) counts[name] = server.countFor('GET', digest);
    return counts;
  };
  /** Listing requests (`GET /v2/<prefix>/tags/list`) the upstream answered since the start. */
  rig.listings = () => listings;
  /** Existence-check HEADs the worker sent to the copies. */
  rig.mirrorHeads = () => Object.fromEntries(Object.entries(rig.backends).map(([n, s]) => [n, s.requests({ method: 'HEAD' }).length]));
  /** Expected backend of a blob for a persona, with every copy healthy. */
  rig.expectedBackend = (persona, digest) => ((rig.missing[persona.backend] ?? []).includes(digest) ? 'upstream' : persona.backend);
  rig.resetLogs = () => {
    rig.upstream.resetLog();
    for (const s of Object.values(rig.backends)) s.resetLog();
    for (const p of Object.values(rig.personas)) p.proxy.resetLog();
  };
  /** Requests the worker answered (through any persona proxy) with a 5xx or not at all. */
  rig.workerFailures = () =>
    Object.values(rig.personas).flatMap((p) => p.proxy.log.filter((e) => e.status === null || e.status >= 500).map((e) => ({ persona: p.key, ...e })));
  /** Every configured host:port a Location may name. */
  rig.allowedHosts = () =>
    new Set([rig.vars.UPSTREAM_REGISTRY_ENDPOINT, rig.vars.DEFAULT_BLOB_BASE_URL, ...Object.values(rig.vars.BLOB_MIRRORS)].map((u) => new URL(u).host));
  /** A new worker (a fresh isolate, an empty colo cache) on the same port, same [vars]. */
  rig.restartWorker = async () => {
    const { port } = rig.worker;
    await rig.worker.stop();
    rig.worker = await startWorker({ vars: rig.vars, ...workerOptions, port });
  };
  rig.stop = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  return rig;
}

const LISTING_PATH = `/v2/${UPSTREAM_PREFIX}/tags/list`;

/** Artifact Registry's answer to the listing of UPSTREAM_PREFIX: its top-level repositories. */
function listingAnswer({ method, url }, images) {
  if (method !== 'GET' || url.split('?')[0] !== LISTING_PATH) return null;
  const child = [...new Set(images.map((i) => i.name.split('/')[0]))].sort();
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: UPSTREAM_PREFIX, child, manifest: {}, tags: [] }),
  };
}

/** GETs of `digest` that reached the upstream registry, under any repository. */
export function upstreamBlobGets(log, digest) {
  return log.filter((e) => {
    if (e.method !== 'GET') return false;
    const m = BLOB_PATH.exec(e.url.split('?')[0]);
    return m && m[2] === digest && m[1].startsWith(`${UPSTREAM_PREFIX}/`);
  }).length;
}

/** The blobs a pull of these per-platform manifests must fetch. */
export const blobsOf = (manifests) => manifests.flatMap((m) => [m.config, ...m.layers]);
