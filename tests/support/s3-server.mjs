// A real S3-compatible server for the mirrors tests and benchmark: s3s-fs
// (crate s3s-fs, installed by `make mirrors-tools`), which checks SigV4
// signatures, answers If-None-Match / If-Match with 412 and enforces the
// 5 MiB minimum part. It keeps each object as a plain file at
// <root>/<bucket>/<key>, so a public-read bucket is a static server over
// <root>/<bucket> (startPublicBucket), as clients and the worker see one.
//
//   const s3 = await startS3({ buckets: ['mirror-a', 'mirror-b'] });
//   s3.env            // AWS_* variables for the CLI
//   s3.objectFile('mirror-a', 'containers/images/sha256:…')
//   const pub = await startPublicBucket(s3, 'mirror-a'); pub.url ...

import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { freePort, makeTempDir, spawnGroup, stopGroup, waitForHttp } from './processes.mjs';
import { startMirror } from './mirror-server.mjs';

export const S3_BIN = process.env.S3S_FS_BIN ?? 's3s-fs';
const ACCESS_KEY = 'registry-edge-test';
const SECRET_KEY = 'registry-edge-test-secret';

/**
 * @param {object} opts
 * @param {string[]} opts.buckets  created before the server starts (a bucket is a directory)
 * @returns {Promise<{url, root, env, objectFile, listObjects, stop}>}
 */
export async function startS3({ buckets = [] } = {}) {
  const tmp = await makeTempDir('registry-edge-s3-');
  const root = path.join(tmp.dir, 'root');
  for (const bucket of buckets) await mkdir(path.join(root, bucket), { recursive: true });
  const port = await freePort();
  const logFile = path.join(tmp.dir, 's3s-fs.log');
  const child = spawnGroup(S3_BIN, ['--host', '127.0.0.1', '--port', String(port), '--access-key', ACCESS_KEY, '--secret-key', SECRET_KEY, root], {
    logFile,
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    // Unsigned requests are refused (403): the server is up.
    await waitForHttp(`${url}/`, { child, accept: (s) => s < 500 });
  } catch (err) {
    await stopGroup(child);
    throw err;
  }
  return {
    url,
    root,
    logFile,
    /** What the CLI needs to reach the store: credentials, region, nothing else. */
    env: { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_REGION: 'us-east-1' },
    objectFile: (bucket, key) => path.join(root, bucket, key),
    /** Every object key of a bucket (files under its directory), sorted. */
    async listObjects(bucket) {
      const out = [];
      const walk = async (dir, prefix) => {
        for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
          if (e.isDirectory()) await walk(path.join(dir, e.name), `${prefix}${e.name}/`);
          else out.push({ key: `${prefix}${e.name}`, size: (await stat(path.join(dir, e.name))).size });
        }
      };
      await walk(path.join(root, bucket), '');
      return out.sort((a, b) => a.key.localeCompare(b.key));
    },
    async stop() {
      await stopGroup(child);
      await tmp.remove();
    },
  };
}

/**
 * A bucket's public URL: GET and HEAD of /containers/images/<digest>
 * answered from the bucket's directory, each request logged (the mirror
 * stand-in of mirror-server.mjs over s3s-fs's files).
 */
export function startPublicBucket(s3, bucket) {
  return startMirror({ dir: path.join(s3.root, bucket, 'containers', 'images'), name: bucket });
}
