// `make bench-mirrors`: the figures of `registry-edge mirrors` on loopback
// (docs/performance.md), each printed as `name value`:
//   - sync throughput against a plain upload of the same bytes to the same
//     server (cli/examples/mirrors_plain_upload.rs: object_store, same part
//     size and parts in flight), as a ratio, median of interleaved rounds;
//   - peak memory (the kernel's high-water mark of its resident set,
//     VmHWM) of a sync of a 1 GiB blob, against part size x concurrency +
//     64 MiB;
//   - an audit of 10,000 blobs by listing: the store requests and the
//     time, beside the same audit by HEAD on the public URL.
// The upstream is the distribution registry, the store s3s-fs, as in
// tests/mirrors/. Blobs are random bytes (not compressed: generating them
// is the slow part otherwise).

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { startRegistry } from '../../tests/support/registry.mjs';
import { MEDIA, UPSTREAM_PREFIX, writeLayout } from '../../tests/support/oci-images.mjs';
import { startS3, startPublicBucket } from '../../tests/support/s3-server.mjs';
import { mirrors, writeMirrorsConfig, CLI_BIN } from '../../tests/support/mirrors-cli.mjs';
import { makeTempDir, runChecked, sleep, spawnGroup, stopGroup } from '../../tests/support/processes.mjs';
import { ROOT } from '../../tests/support/programs.mjs';

const PLAIN_UPLOAD = path.join(ROOT, 'target/release/examples/mirrors_plain_upload');
const MIB = 1024 * 1024;
const PART = 16 * MIB;
const CONCURRENCY = 4;
const ROUNDS = Number(process.env.ROUNDS ?? 3);
// PARTS=audit (or throughput,memory) runs some of the three.
const PARTS = new Set((process.env.PARTS ?? 'throughput,memory,audit').split(','));
const sha256 = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function blob(mediaType, bytes) {
  return { mediaType, digest: sha256(bytes), size: bytes.length, bytes };
}

/** An image whose layers are `layers` (random bytes). */
function imageOf(name, layers) {
  const config = blob(MEDIA.config, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, bench: name })));
  const layerBlobs = layers.map((bytes) => blob('application/vnd.oci.image.layer.v1.tar', bytes));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, digest: config.digest, size: config.size },
    layers: layerBlobs.map((b) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size })),
  }));
  const m = { digest: sha256(manifest), size: manifest.length, manifestBytes: manifest };
  return { name, tag: 'bench', mediaType: MEDIA.manifest, ...m, manifests: [m], blobs: [config, ...layerBlobs] };
}

/** The same, pushed under `name` by skopeo from an OCI layout. */
async function pushImage(workDir, registry, name, layers) {
  const image = imageOf(name, layers);
  const layout = await writeLayout(image, path.join(workDir, 'layouts', name.replace(/\//g, '_')));
  await runChecked('skopeo', ['--insecure-policy', 'copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${registry.host}/${UPSTREAM_PREFIX}/${name}:bench`], { timeoutMs: 600_000 });
  await rm(layout, { recursive: true });
  return image;
}

/**
 * The same image written straight into the registry's storage (skopeo
 * pushes ~3 blobs a second, too slow for 10,000): the blobs and the
 * repository's links to them on disk, then the manifest by a PUT, which
 * the registry checks against those blobs.
 */
async function writeImage(registry, name, layers) {
  const image = imageOf(name, layers);
  const v2 = path.join(registry.storageDir, 'docker/registry/v2');
  for (const b of image.blobs) {
    const hex = b.digest.slice('sha256:'.length);
    const dir = path.join(v2, 'blobs/sha256', hex.slice(0, 2), hex);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'data'), b.bytes);
    const link = path.join(v2, 'repositories', UPSTREAM_PREFIX, name, '_layers/sha256', hex);
    await mkdir(link, { recursive: true });
    await writeFile(path.join(link, 'link'), b.digest);
  }
  const res = await fetch(`${registry.url}/v2/${UPSTREAM_PREFIX}/${name}/manifests/bench`, {
    method: 'PUT',
    headers: { 'content-type': MEDIA.manifest },
    body: image.manifestBytes,
  });
  if (res.status !== 201) throw new Error(`manifest PUT: ${res.status} ${await res.text()}`);
  return image;
}

const print = (name, value) => console.log(`${name} ${value}`);

const tmp = await makeTempDir('registry-edge-bench-mirrors-');
const stops = [];
try {
  const registry = await startRegistry({ dir: path.join(tmp.dir, 'registry') });
  stops.push(() => registry.stop());
  const s3 = await startS3({ buckets: ['bench', 'audit'] });
  stops.push(() => s3.stop());
  const pub = await startPublicBucket(s3, 'audit');
  stops.push(() => pub.stop());
  const config = await writeMirrorsConfig(tmp.dir, {
    UPSTREAM_REGISTRY_ENDPOINT: registry.url,
    UPSTREAM_REGISTRY_PATH: UPSTREAM_PREFIX,
    BLOB_MIRRORS: { 'eu-west-3': `${pub.url}/bench-public`, 'us-east-2': pub.url },
  });
  const benchStore = ['--mirror', 'eu-west-3', '--store', `eu-west-3=${s3.url}/bench`];
  const common = ['--config', config, '--concurrency', String(CONCURRENCY), '--part-size', String(PART / MIB)];

  // ---- throughput: a 256 MiB blob, sync against the plain upload ----------
  if (PARTS.has('throughput')) {
  const size = 256 * MIB;
  const payload = randomBytes(size);
  const payloadFile = path.join(tmp.dir, 'payload');
  await writeFile(payloadFile, payload);
  const through = await pushImage(tmp.dir, registry, 'bench/throughput', [payload]);
  const layer = through.blobs[1];
  const objectFile = s3.objectFile('bench', `containers/images/${layer.digest}`);
  const ratios = [];
  const syncs = [];
  const plains = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const which of round % 2 ? ['plain', 'sync'] : ['sync', 'plain']) {
      await rm(s3.objectFile('bench', 'containers'), { recursive: true, force: true });
      await rm(s3.objectFile('bench', 'plain'), { force: true });
      if (which === 'sync') {
        const started = performance.now();
        const r = await mirrors(['sync', ...common, ...benchStore, '--repository', 'bench/throughput', '--json'], { env: s3.env, timeoutMs: 600_000 });
        const seconds = (performance.now() - started) / 1000;
        if (r.code !== 0) throw new Error(`sync failed: ${r.stderr}${r.stdout}`);
        if (sha256(await readFile(objectFile)) !== layer.digest) throw new Error('the synced object is not the blob');
        syncs.push(size / MIB / seconds);
      } else {
        const r = await runChecked(PLAIN_UPLOAD, [payloadFile, s3.url, 'bench', 'plain', String(PART), String(CONCURRENCY)], { env: { ...process.env, ...s3.env }, timeoutMs: 900_000 });
        const seconds = Number(/plain_upload_seconds ([0-9.]+)/.exec(r.stdout)[1]);
        plains.push(size / MIB / seconds);
      }
    }
    ratios.push(syncs.at(-1) / plains.at(-1));
  }
  print('mirrors_sync_mib_per_s', median(syncs).toFixed(1));
  print('mirrors_plain_upload_mib_per_s', median(plains).toFixed(1));
  print('mirrors_sync_vs_plain_upload_ratio', `${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}, ${ROUNDS} rounds)`);
  await rm(payloadFile);
  }

  // ---- peak memory: a 1 GiB blob ---------------------------------------------
  if (PARTS.has('memory')) {
  const huge = await pushImage(tmp.dir, registry, 'bench/huge', [randomBytes(1024 * MIB)]);
  await rm(s3.objectFile('bench', 'containers'), { recursive: true, force: true });
  // VmHWM only grows: read until the process exits, the last reading is its peak.
  const logFile = path.join(tmp.dir, 'huge.log');
  const started = performance.now();
  const child = spawnGroup(CLI_BIN, ['mirrors', 'sync', ...common, ...benchStore, '--repository', 'bench/huge'], { env: { ...process.env, ...s3.env }, logFile });
  let hwmKib = 0;
  while (!child.exitInfo) {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
    const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
    if (m) hwmKib = Math.max(hwmKib, Number(m[1]));
    await sleep(20);
  }
  const { code } = await child.exited;
  await stopGroup(child);
  const timed = { durationMs: performance.now() - started };
  if (code !== 0) throw new Error(`sync of 1 GiB failed: ${await readFile(logFile, 'utf8')}`);
  const peakMib = hwmKib / 1024;
  const bound = (PART * CONCURRENCY) / MIB + 64;
  print('mirrors_sync_1gib_peak_rss_mib', `${peakMib.toFixed(0)} (bound ${bound}: part ${PART / MIB} MiB x ${CONCURRENCY} + 64 MiB; ${(peakMib / bound).toFixed(2)}x)`);
  print('mirrors_sync_1gib_seconds', (timed.durationMs / 1000).toFixed(1));
  await rm(s3.objectFile('bench', 'containers'), { recursive: true, force: true });
  void huge;
  }

  // ---- an audit of 10,000 blobs by listing ------------------------------------
  if (PARTS.has('audit')) {
  const count = 10_000;
  const small = Array.from({ length: count }, (_, i) => Buffer.concat([Buffer.from(`blob ${i} `), randomBytes(64)]));
  const many = await writeImage(registry, 'bench/many', small);
  const dir = s3.objectFile('audit', 'containers/images');
  await mkdir(dir, { recursive: true });
  for (const b of many.blobs) await writeFile(path.join(dir, b.digest), b.bytes);
  const auditArgs = ['audit', '--config', config, '--mirror', 'us-east-2', '--repository', 'bench/many', '--json'];
  for (const [how, extra, env] of [['listing', ['--store', `us-east-2=${s3.url}/audit`], s3.env], ['head', [], {}]]) {
    const started = performance.now();
    const r = await mirrors([...auditArgs, ...extra], { env, timeoutMs: 600_000 });
    const seconds = (performance.now() - started) / 1000;
    const copy = r.report?.copies[0];
    if (r.code !== 0 || copy.present !== count + 1 || copy.checked_by !== how) throw new Error(`audit by ${how}: ${r.stderr}${r.stdout.slice(0, 2000)}`);
    print(`mirrors_audit_10k_${how}_store_requests`, copy.requests);
    print(`mirrors_audit_10k_${how}_registry_requests`, r.report.source.requests);
    print(`mirrors_audit_10k_${how}_seconds`, seconds.toFixed(2));
  }
  }
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  await tmp.remove();
}
