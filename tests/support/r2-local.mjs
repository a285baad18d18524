// Local R2 buckets as wrangler dev keeps them (miniflare's R2, under
// `--persist-to`): filled with wrangler's own `r2 bulk put --local`, bound
// to the worker by `[[r2_buckets]]`, and served to clients the way R2's
// public access serves a bucket on its custom domain, by the same wrangler
// dev process at `/cdn-cgi/local/r2/public/<bucket>/<key>` (GET and HEAD,
// ranges, 404 for a missing key). That path answers only requests whose
// Host is the dev server's own, so a proxy in front must not keep the
// client's Host (front-proxy.mjs, `preserveHost: false`).
//
//   await putLocalObjects({ stateDir, bucket, objects: [{ key, bytes }] });   // before wrangler dev starts
//   startWorker({ stateDir, extraToml: r2BucketsToml({ R2_BLOBS: bucket }), ... })
//   localPublicBase(worker.url, bucket)   // the copy's url

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTempDir, runChecked } from './processes.mjs';

/** Where wrangler dev serves a local bucket publicly (R2's public access). */
export const localPublicBase = (origin, bucket) => `${origin}/cdn-cgi/local/r2/public/${bucket}`;

/** `[[r2_buckets]]` tables binding each name to its bucket, for startWorker's extraToml. */
export function r2BucketsToml(bindings) {
  return Object.entries(bindings)
    .map(([binding, bucket]) => `[[r2_buckets]]\nbinding = ${JSON.stringify(binding)}\nbucket_name = ${JSON.stringify(bucket)}\n`)
    .join('\n');
}

/**
 * Writes `objects` into the local bucket kept under `stateDir` (what
 * `wrangler dev --persist-to stateDir` reads), with `wrangler r2 bulk put
 * --local`. Run it while no wrangler dev has that state open.
 * @param {{stateDir: string, bucket: string, objects: {key: string, bytes: Buffer}[]}} opts
 */
export async function putLocalObjects({ stateDir, bucket, objects }) {
  const tmp = await makeTempDir('registry-edge-r2-put-');
  try {
    const files = path.join(tmp.dir, 'objects');
    await mkdir(files);
    const pairs = await Promise.all(
      objects.map(async ({ key, bytes }, i) => {
        const file = path.join(files, String(i));
        await writeFile(file, bytes);
        return { key, file };
      }),
    );
    const list = path.join(tmp.dir, 'objects.json');
    await writeFile(list, JSON.stringify(pairs));
    await runChecked('wrangler', ['r2', 'bulk', 'put', bucket, '--local', '--persist-to', stateDir, '--filename', list], {
      cwd: tmp.dir,
      timeoutMs: 120_000,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' },
    });
  } finally {
    await tmp.remove();
  }
}
