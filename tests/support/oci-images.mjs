// Deterministic OCI test images, built by hand (no internet, no daemon).
//
// Writes one OCI image layout per image (oci-layout, index.json, blobs/sha256/)
// with gzip'd ustar layers whose file contents come from a seeded PRNG, so the
// same seed always yields the same digests. Then pushes them with skopeo to a
// registry under k8s-artifacts-prod/images/<name>, the path registry.k8s.io's
// upstream uses, and returns everything a test needs to seed mirrors and
// assert digests.

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runChecked } from './processes.mjs';

export const UPSTREAM_PREFIX = 'k8s-artifacts-prod/images';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
};

// Accept header that makes a registry return OCI and Docker manifests/lists as stored.
export const MANIFEST_ACCEPT = [
  MEDIA.index,
  MEDIA.manifest,
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

// Fixed timestamp so configs and tar headers never depend on the clock.
const EPOCH = '2024-01-01T00:00:00Z';
const EPOCH_SECONDS = Date.parse(EPOCH) / 1000;

/**
 * The default test images: one single-platform image and one multi-arch index,
 * three layers per platform. The slash in the second name exercises
 * multi-component repository names in /v2/<name>/... paths.
 */
export const DEFAULT_IMAGES = [
  { name: 'e2e-single', tag: 'v1.0.0', platforms: [{ os: 'linux', architecture: 'amd64' }], multiArch: false, layers: 3 },
  {
    name: 'e2e/multi-arch',
    tag: 'v2.0.0',
    platforms: [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ],
    multiArch: true,
    layers: 3,
  },
];

export const sha256 = (buf) => `sha256:${createHash('sha256').update(buf).digest('hex')}`;

// ---- deterministic content --------------------------------------------------

// mulberry32, seeded from a string: small, fast and good enough for test bytes.
function prng(seedText) {
  let a = createHash('sha256').update(seedText).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(rand, n) {
  const buf = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) buf[i] = (rand() * 256) | 0;
  return buf;
}

// ---- ustar writer -----------------------------------------------------------

function octal(n, width) {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function tarHeader({ name, size, mode, type }) {
  const h = Buffer.alloc(512);
  if (Buffer.byteLength(name) > 100) throw new Error(`tar name too long for this writer: ${name}`);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii'); // uid
  h.write(octal(0, 8), 116, 8, 'ascii'); // gid
  h.write(octal(size, 12), 124, 12, 'ascii');
  h.write(octal(EPOCH_SECONDS, 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii'); // checksum is computed with spaces here
  h.write(type, 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 8, 'ascii');
  return h;
}

/** entries: [{name, data?: Buffer, dir?: true}] → uncompressed tar bytes. */
export function makeTar(entries) {
  const parts = [];
  for (const e of entries) {
    if (e.dir) {
      parts.push(tarHeader({ name: e.name.endsWith('/') ? e.name : `${e.name}/`, size: 0, mode: 0o755, type: '5' }));
      continue;
    }
    parts.push(tarHeader({ name: e.name, size: e.data.length, mode: e.mode ?? 0o644, type: '0' }));
    parts.push(e.data);
    const pad = (512 - (e.data.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024)); // end-of-archive marker
  return Buffer.concat(parts);
}

// ---- image construction -----------------------------------------------------

// Layer sizes (random bytes, so gzip cannot shrink them much): a small one, a
// medium one and one large enough (~1 MiB) to be streamed in many chunks.
const LAYER_FILE_SIZES = [[1500, 300], [48 * 1024, 7000], [1024 * 1024 + 123]];

// A spec may give its own file sizes per layer (`layerFileSizes: [[bytes, ...], ...]`),
// e.g. for a layer larger than a multipart upload's part.
function buildLayer(rand, spec, platform, index) {
  const imageName = spec.name;
  const dir = `opt/${imageName.replace(/\//g, '_')}/layer${index}`;
  const entries = [{ name: 'opt', dir: true }, { name: `opt/${imageName.replace(/\//g, '_')}`, dir: true }, { name: dir, dir: true }];
  const sizes = spec.layerFileSizes?.[index] ?? LAYER_FILE_SIZES[index % LAYER_FILE_SIZES.length];
  sizes.forEach((size, i) => entries.push({ name: `${dir}/file${i}.bin`, data: randomBytes(rand, size) }));
  // A readable marker, handy when inspecting an extracted image by hand.
  entries.push({ name: `${dir}/ID`, data: Buffer.from(`${imageName} ${platformKey(platform)} layer ${index}\n`) });
  const tar = makeTar(entries);
  const gz = gzipSync(tar, { level: 6 });
  return { tar, gz, diffId: sha256(tar), digest: sha256(gz), size: gz.length };
}

export const platformKey = (p) => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

function blob(mediaType, bytes) {
  return { mediaType, digest: sha256(bytes), size: bytes.length, bytes };
}

function buildPlatformImage(spec, platform, seed) {
  const rand = prng(`${seed}/${spec.name}/${platformKey(platform)}`);
  const layers = [];
  for (let i = 0; i < spec.layers; i++) layers.push(buildLayer(rand, spec, platform, i));
  const config = {
    created: EPOCH,
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: platform.os,
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/true'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created: EPOCH, created_by: `registry-edge e2e layer ${i}` })),
  };
  const configBlob = blob(MEDIA.config, Buffer.from(JSON.stringify(config)));
  const layerBlobs = layers.map((l) => blob(MEDIA.layer, l.gz));
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, digest: configBlob.digest, size: configBlob.size },
    layers: layerBlobs.map((b) => ({ mediaType: MEDIA.layer, digest: b.digest, size: b.size })),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  return {
    platform,
    mediaType: MEDIA.manifest,
    digest: sha256(manifestBytes),
    size: manifestBytes.length,
    manifestBytes,
    config: configBlob,
    layers: layerBlobs,
  };
}

/**
 * Build one image (single manifest, or an index over per-platform manifests).
 * @returns {{name, tag, mediaType, digest, size, manifestBytes, manifests, blobs}}
 *   manifests: per platform {platform, digest, size, manifestBytes, config, layers}
 *   blobs: every config and layer blob [{digest, size, mediaType, bytes}]
 */
export function buildImage(spec, { seed = 'registry-edge-e2e' } = {}) {
  const manifests = spec.platforms.map((p) => buildPlatformImage(spec, p, seed));
  const blobs = manifests.flatMap((m) => [m.config, ...m.layers]);
  if (!spec.multiArch) {
    const [m] = manifests;
    return { name: spec.name, tag: spec.tag, mediaType: m.mediaType, digest: m.digest, size: m.size, manifestBytes: m.manifestBytes, manifests, blobs };
  }
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: manifests.map((m) => ({ mediaType: m.mediaType, digest: m.digest, size: m.size, platform: m.platform })),
  };
  const indexBytes = Buffer.from(JSON.stringify(index));
  return { name: spec.name, tag: spec.tag, mediaType: MEDIA.index, digest: sha256(indexBytes), size: indexBytes.length, manifestBytes: indexBytes, manifests, blobs };
}

/** Write `image` as an OCI image layout at `layoutDir`, tagged with image.tag. */
export async function writeLayout(image, layoutDir) {
  const blobDir = path.join(layoutDir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  const put = (digest, bytes) => writeFile(path.join(blobDir, digest.slice('sha256:'.length)), bytes);
  for (const b of image.blobs) await put(b.digest, b.bytes);
  for (const m of image.manifests) await put(m.digest, m.manifestBytes);
  if (image.mediaType === MEDIA.index) await put(image.digest, image.manifestBytes);
  await writeFile(path.join(layoutDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [
      {
        mediaType: image.mediaType,
        digest: image.digest,
        size: image.size,
        annotations: { 'org.opencontainers.image.ref.name': image.tag },
      },
    ],
  };
  await writeFile(path.join(layoutDir, 'index.json'), JSON.stringify(index));
  return layoutDir;
}

/** Build every spec and write each to <workDir>/<name with / as _>/ . */
export async function buildTestImages(workDir, { specs = DEFAULT_IMAGES, seed } = {}) {
  const images = [];
  for (const spec of specs) {
    const image = buildImage(spec, { seed });
    image.layoutDir = await writeLayout(image, path.join(workDir, 'layouts', spec.name.replace(/\//g, '_')));
    images.push(image);
  }
  return images;
}

// ---- push ---------------------------------------------------------------------

/**
 * Push built images with skopeo to `registryHost` (host:port, plain http) under
 * <prefix>/<name>:<tag>, then check over HTTP that the registry holds exactly
 * the digests written (throws otherwise). Adds to each image:
 *   upstreamName ('k8s-artifacts-prod/images/<name>'), ref (docker ref by tag),
 *   pushMs (skopeo wall time).
 */
export async function pushTestImages(images, { registryHost, prefix = UPSTREAM_PREFIX, timeoutMs = 60_000 } = {}) {
  for (const image of images) {
    image.upstreamName = `${prefix}/${image.name}`;
    image.ref = `${registryHost}/${image.upstreamName}:${image.tag}`;
    const started = performance.now();
    // --preserve-digests makes skopeo fail rather than silently rewrite a
    // manifest or recompress a layer, so "pushed == written" is enforced.
    await runChecked(
      'skopeo',
      ['--insecure-policy', 'copy', '--all', '--preserve-digests', '--dest-tls-verify=false', `oci:${image.layoutDir}:${image.tag}`, `docker://${image.ref}`],
      { timeoutMs },
    );
    image.pushMs = Math.round(performance.now() - started);
    await verifyPushed(image, `http://${registryHost}`);
  }
  return images;
}

async function verifyPushed(image, registryUrl) {
  const base = `${registryUrl}/v2/${image.upstreamName}`;
  const check = async (ref, want) => {
    const res = await fetch(`${base}/manifests/${ref}`, { headers: { accept: MANIFEST_ACCEPT }, signal: AbortSignal.timeout(10_000) });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200 || sha256(body) !== want) {
      throw new Error(`registry has ${image.upstreamName}:${ref} as ${res.status} ${sha256(body)}, expected ${want}`);
    }
  };
  await check(image.tag, image.digest);
  for (const m of image.manifests) await check(m.digest, m.digest);
  for (const b of image.blobs) {
    const res = await fetch(`${base}/blobs/${b.digest}`, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
    if (res.status !== 200) throw new Error(`registry lacks blob ${b.digest} of ${image.upstreamName} (HEAD ${res.status})`);
  }
}

/** Build into workDir and push: the usual one-liner for tests. */
export async function buildAndPushTestImages({ workDir, registryHost, specs, seed, prefix } = {}) {
  const images = await buildTestImages(workDir, { specs, seed });
  return pushTestImages(images, { registryHost, prefix });
}

/** Map digest → bytes over all blobs of the given images (to seed a mirror). */
export function allBlobs(images) {
  return new Map(images.flatMap((i) => i.blobs.map((b) => [b.digest, b.bytes])));
}
