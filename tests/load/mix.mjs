// The request mix of `make load` (tests/load/run.mjs), shared with the bare
// workerd throughput bench (benches/workerd/throughput.mjs) so both measure
// the same set.
//
// Per blob, one request per persona of the end-to-end rig (RIG_PERSONAS)
// over 64 blobs the mirror buckets and the CDN hold, a few blobs no copy
// holds (negative cache, then upstream), manifests by tag and by digest,
// and tags/list. Every request is valid: every answer is a redirect.

import { createHash } from 'node:crypto';
import { RIG_PERSONAS, MIRROR_REGIONS } from '../support/personas.mjs';

export const UPSTREAM = 'https://upstream.example';

const blob = (label) => {
  const bytes = Buffer.from(`registry-edge load blob ${label}\n`);
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes };
};
/** Held by every mirror bucket and the CDN. */
export const blobs = Array.from({ length: 64 }, (_, i) => blob(i));
/** Held by no copy. */
export const absent = Array.from({ length: 4 }, (_, i) => blob(`absent ${i}`));

/** The backends to start (one loopback mirror each, holding `blobs`). */
export const BACKENDS = [...MIRROR_REGIONS, 'cdn'];

/** The worker's [vars] given those backends' URLs ({name: url}). */
export function loadVars(backendUrls) {
  return {
    UPSTREAM_REGISTRY_ENDPOINT: UPSTREAM,
    UPSTREAM_REGISTRY_PATH: 'k8s-artifacts-prod/images',
    DEFAULT_BLOB_BASE_URL: backendUrls.cdn,
    BLOB_MIRRORS: Object.fromEntries(MIRROR_REGIONS.map((r) => [r, backendUrls[r]])),
    BLOB_CHECK_TIMEOUT_MS: 2000,
    NEGATIVE_CACHE_SECONDS: 60,
  };
}

/** The cycled list: [{path, clientIp?}], persona blobs interleaved with the rest. */
export function loadRequests() {
  const requests = [];
  const names = ['pause', 'kube-apiserver', 'sig-storage/csi-provisioner', 'e2e/multi-arch'];
  blobs.forEach((b, i) => {
    const name = names[i % names.length];
    for (const p of RIG_PERSONAS) requests.push({ path: `/v2/${name}/blobs/${b.digest}`, clientIp: p.ip });
    requests.push({ path: `/v2/${name}/manifests/v1.${i}.0`, clientIp: RIG_PERSONAS[i % RIG_PERSONAS.length].ip });
    requests.push({ path: `/v2/${name}/manifests/${b.digest}` });
    if (i % 4 === 0) requests.push({ path: `/v2/${name}/tags/list?n=100&last=v1.${i}` });
    if (i % 16 === 0) requests.push({ path: `/v2/pause/blobs/${absent[(i / 16) % absent.length].digest}`, clientIp: RIG_PERSONAS[0].ip });
  });
  return requests;
}
