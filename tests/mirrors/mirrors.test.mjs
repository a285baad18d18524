// `registry-edge mirrors audit|sync` against real servers: the distribution
// registry holding a two-platform index, a single-platform image and an
// image with a layer larger than the part size (pushed by skopeo), behind a
// proxy that demands anonymous Bearer tokens and can answer 429, corrupt a
// blob or stall; two buckets of a real S3-compatible server (s3s-fs), each
// with a public URL over its files; then the worker sending a client of the
// copy's region there, and skopeo pulling from it (docs/mirrors.md).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startRegistry } from '../support/registry.mjs';
import { buildAndPushTestImages, DEFAULT_IMAGES, UPSTREAM_PREFIX } from '../support/oci-images.mjs';
import { startUpstreamProxy } from '../support/upstream-proxy.mjs';
import { startS3, startPublicBucket } from '../support/s3-server.mjs';
import { mirrors, startMirrors, writeMirrorsConfig } from '../support/mirrors-cli.mjs';
import { makeTempDir, sleep, stopGroup } from '../support/processes.mjs';
import { startWorker } from '../support/worker.mjs';
import { startFrontProxy } from '../support/front-proxy.mjs';
import { skopeoCopyToDir } from '../support/clients.mjs';
import { IP } from '../support/personas.mjs';

const MIB = 1024 * 1024;
// One layer of ~20 MiB: two parts of the default 16 MiB.
const BIG = { name: 'e2e/big', tag: 'v3.0.0', platforms: [{ os: 'linux', architecture: 'amd64' }], multiArch: false, layers: 2, layerFileSizes: [[20 * MIB], [4000]] };
const sha256 = (buf) => `sha256:${createHash('sha256').update(buf).digest('hex')}`;

let tmp, registry, upstream, s3, pubA, pubB, config, images, blobs, big;
const store = () => ['--store', `eu-west-3=${s3.url}/mirror-a`, '--store', `us-east-2=${s3.url}/mirror-b`];
const key = (digest) => `containers/images/${digest}`;
const fileOf = (bucket, digest) => s3.objectFile(bucket, key(digest));
const copyOf = (report, k) => report.copies.find((c) => c.keys.includes(k));

before(async () => {
  tmp = await makeTempDir('registry-edge-mirrors-');
  registry = await startRegistry({ dir: path.join(tmp.dir, 'registry') });
  images = await buildAndPushTestImages({ workDir: path.join(tmp.dir, 'images'), registryHost: registry.host, specs: [...DEFAULT_IMAGES, BIG] });
  blobs = new Map(images.flatMap((i) => i.blobs.map((b) => [b.digest, b])));
  big = [...blobs.values()].find((b) => b.size > 16 * MIB);
  assert.ok(big, 'one blob is larger than the part size');
  upstream = await startUpstreamProxy({ target: registry.url, tokens: true });
  s3 = await startS3({ buckets: ['mirror-a', 'mirror-b'] });
  pubA = await startPublicBucket(s3, 'mirror-a');
  pubB = await startPublicBucket(s3, 'mirror-b');
  // Three keys, two buckets: us-east-1 shares us-east-2's bucket, and the
  // default CDN is mirror-a's public URL.
  config = await writeMirrorsConfig(tmp.dir, {
    UPSTREAM_REGISTRY_ENDPOINT: upstream.url,
    UPSTREAM_REGISTRY_PATH: UPSTREAM_PREFIX,
    BLOB_MIRRORS: { 'eu-west-3': pubA.url, 'us-east-2': pubB.url, 'us-east-1': pubB.url },
    DEFAULT_BLOB_BASE_URL: pubA.url,
  });
});

after(async () => {
  for (const s of [pubA, pubB, s3, upstream, registry]) await s?.stop().catch(() => {});
  await tmp?.remove();
});

async function bucketFiles(bucket) {
  return (await s3.listObjects(bucket)).map((o) => `${o.key} ${o.size}`);
}

async function seed(bucket, digest, bytes) {
  await mkdir(path.dirname(fileOf(bucket, digest)), { recursive: true });
  await writeFile(fileOf(bucket, digest), bytes);
}

test('audit counts exactly, by listing and by HEAD on the public URL alike', async () => {
  const all = [...blobs.values()].sort((a, b) => (a.digest < b.digest ? -1 : 1));
  const seeded = all.filter((b) => b !== big).slice(0, 3);
  const truncated = all.find((b) => !seeded.includes(b) && b !== big && b.size > 100);
  for (const b of seeded) await seed('mirror-a', b.digest, b.bytes);
  await seed('mirror-a', truncated.digest, truncated.bytes.subarray(0, 100));

  const total = all.length;
  const totalBytes = all.reduce((n, b) => n + b.size, 0);
  const seededBytes = seeded.reduce((n, b) => n + b.size, 0);
  for (const [how, env] of [['listing', s3.env], ['head', {}]]) {
    const r = await mirrors(['audit', '--config', config, ...store(), '--json'], { env });
    assert.equal(r.code, 1, r.stderr);
    const { source } = r.report;
    assert.equal(source.blobs, total);
    assert.equal(source.bytes, totalBytes);
    assert.equal(source.repositories, 3);
    assert.deepEqual(source.failed_repositories, []);
    const a = copyOf(r.report, 'eu-west-3');
    assert.deepEqual(a.keys, ['eu-west-3', 'default']);
    assert.equal(a.checked_by, how);
    assert.deepEqual([a.present, a.missing, a.wrong, a.unchecked], [3, total - 4, 1, 0], how);
    assert.equal(a.missing_bytes, totalBytes - seededBytes);
    assert.deepEqual(a.wrong_objects, [{ digest: truncated.digest, size: truncated.size, found_size: 100 }]);
    assert.deepEqual(a.missing_digests, all.filter((b) => !seeded.includes(b) && b !== truncated).map((b) => b.digest));
    const b = copyOf(r.report, 'us-east-2');
    assert.deepEqual(b.keys, ['us-east-1', 'us-east-2']);
    assert.deepEqual([b.present, b.missing, b.wrong, b.missing_bytes], [0, total, 0, totalBytes]);
    if (how === 'head') assert.equal(b.requests, total, 'one HEAD per blob');
  }
  // The same, as a table.
  const table = await mirrors(['audit', '--config', config, ...store()], { env: s3.env });
  assert.equal(table.code, 1);
  assert.match(table.stdout, /^eu-west-3,default +3 +\d+ +1 +0 /m);
});

test('--mirror and --repository narrow the audit', async () => {
  const r = await mirrors(['audit', '--config', config, '--mirror', 'aws:us-east-1', '--repository', 'e2e-single', '--json'], { env: s3.env });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.report.copies.length, 1);
  assert.deepEqual(r.report.copies[0].keys, ['us-east-1', 'us-east-2']);
  const single = images.find((i) => i.name === 'e2e-single');
  assert.equal(r.report.source.blobs, single.blobs.length);
  assert.equal(r.report.source.repositories, 1);
});

test('sync --dry-run says what it would copy and writes nothing', async () => {
  const before = [await bucketFiles('mirror-a'), await bucketFiles('mirror-b')];
  const r = await mirrors(['sync', '--dry-run', '--config', config, ...store(), '--json'], { env: s3.env });
  assert.equal(r.code, 1, r.stderr);
  const a = copyOf(r.report, 'eu-west-3');
  assert.equal(a.sync.copied, a.missing + a.wrong);
  assert.equal(a.sync.copied_bytes, a.missing_bytes);
  assert.equal(copyOf(r.report, 'us-east-2').sync.copied, blobs.size);
  assert.deepEqual([await bucketFiles('mirror-a'), await bucketFiles('mirror-b')], before);
  assert.equal([...blobs.keys()].reduce((n, d) => n + upstream.blobGets(d), 0), 0, 'no blob read from the upstream');
});

test('sync fills both buckets, each blob read once from the upstream, and audit --verify then exits 0', async () => {
  const r = await mirrors(['sync', '--config', config, ...store(), '--json'], { env: s3.env });
  assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
  for (const [bucket, k] of [['mirror-a', 'eu-west-3'], ['mirror-b', 'us-east-2']]) {
    const c = copyOf(r.report, k);
    assert.deepEqual(c.sync.failed, []);
    assert.equal(c.sync.copied, c.missing + c.wrong);
    for (const b of blobs.values()) assert.equal(sha256(await readFile(fileOf(bucket, b.digest))), b.digest, `${bucket} ${b.digest}`);
  }
  for (const d of blobs.keys()) assert.ok(upstream.blobGets(d) <= 1, `${d} read ${upstream.blobGets(d)} times`);
  assert.equal(upstream.blobGets(big.digest), 1);
  // Tokens were asked for and used, as clients do.
  assert.ok(upstream.log.some((e) => e.url.startsWith('/token')) && upstream.log.some((e) => e.auth?.startsWith('Bearer ')));

  const audit = await mirrors(['audit', '--verify', '--config', config, ...store(), '--json'], { env: s3.env });
  assert.equal(audit.code, 0, audit.stdout);
  for (const c of audit.report.copies) assert.deepEqual([c.present, c.missing, c.wrong], [blobs.size, 0, 0]);
});

test('a second sync copies nothing', async () => {
  const gets = () => [...blobs.keys()].reduce((n, d) => n + upstream.blobGets(d), 0);
  const before = gets();
  const r = await mirrors(['sync', '--config', config, ...store(), '--json'], { env: s3.env });
  assert.equal(r.code, 0, r.stderr);
  for (const c of r.report.copies) assert.equal(c.sync.copied, 0);
  assert.equal(gets(), before);
});

test('an upstream that corrupts a blob: nothing under its key, reported, exit 1', async () => {
  const small = [...blobs.values()].find((b) => b.size > 1000 && b !== big);
  for (const victim of [small, big]) {
    for (const bucket of ['mirror-a', 'mirror-b']) await rm(fileOf(bucket, victim.digest));
    upstream.set({ corrupt: victim.digest });
    const r = await mirrors(['sync', '--config', config, ...store(), '--json'], { env: s3.env });
    upstream.set({ corrupt: null });
    assert.equal(r.code, 1, r.stderr);
    assert.ok(upstream.log.some((e) => e.corrupted), 'the proxy flipped a byte');
    for (const [bucket, k] of [['mirror-a', 'eu-west-3'], ['mirror-b', 'us-east-2']]) {
      assert.equal(existsSync(fileOf(bucket, victim.digest)), false, `${bucket} has nothing under ${victim.digest}`);
      const failed = copyOf(r.report, k).sync.failed;
      assert.deepEqual(failed.map((f) => f.digest), [victim.digest]);
      assert.match(failed[0].error, /digest mismatch/);
    }
  }
  // Aborted uploads leave no parts behind in the store.
  assert.deepEqual((await readdir(s3.root)).filter((f) => f.startsWith('.upload')), []);
  const r = await mirrors(['sync', '--config', config, ...store(), '--json'], { env: s3.env });
  assert.equal(r.code, 0, r.stderr);
});

test('an upstream answering 429 with Retry-After: the sync waits and completes', async () => {
  const victim = [...blobs.values()].find((b) => b !== big);
  await rm(fileOf('mirror-b', victim.digest));
  upstream.set({ tooManyRequests: { count: 3, retryAfter: 1 } });
  const started = Date.now();
  const r = await mirrors(['sync', '--config', config, ...store(), '--json'], { env: s3.env });
  upstream.set({ tooManyRequests: null });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(upstream.log.filter((e) => e.status === 429).length, 3);
  assert.ok(Date.now() - started >= 3000, 'each Retry-After was waited for');
  assert.equal(sha256(await readFile(fileOf('mirror-b', victim.digest))), victim.digest);
});

test('a sync killed mid-blob leaves nothing under the final key, and the rerun completes', async () => {
  for (const bucket of ['mirror-a', 'mirror-b']) await rm(fileOf(bucket, big.digest));
  // Past the first 16 MiB part: parts are up, the upload is not complete.
  upstream.set({ stall: { digest: big.digest, afterBytes: 17 * MIB } });
  const uploadFiles = async () => (await readdir(s3.root)).filter((f) => f.startsWith('.upload'));
  for (const signal of ['SIGKILL', 'SIGTERM']) {
    const earlier = new Set(await uploadFiles());
    const child = startMirrors(['sync', '--config', config, ...store()], { env: s3.env, logFile: path.join(tmp.dir, `killed-${signal}.log`) });
    const deadline = Date.now() + 60_000;
    while (!upstream.log.some((e) => e.stalledAt && !e.seen) && Date.now() < deadline) await sleep(100);
    upstream.log.filter((e) => e.stalledAt).forEach((e) => (e.seen = true));
    const newParts = async () => (await uploadFiles()).filter((f) => !earlier.has(f) && /^\.upload_id-.*\.part-1$/.test(f));
    while ((await newParts()).length < 2 && Date.now() < deadline) await sleep(100);
    assert.ok(Date.now() < deadline, 'the first part reached both buckets');
    process.kill(-child.pid, signal);
    const { code, signal: got } = await child.exited;
    await stopGroup(child);
    for (const bucket of ['mirror-a', 'mirror-b']) assert.equal(existsSync(fileOf(bucket, big.digest)), false, `${signal}: nothing under the key in ${bucket}`);
    if (signal === 'SIGTERM') {
      // A stop it can see: uploads aborted, the report says what was not copied.
      assert.equal(code, 1, `exit ${code} ${got}`);
      assert.deepEqual((await uploadFiles()).filter((f) => !earlier.has(f)), [], 'aborted: no parts left');
      assert.match(await readFile(path.join(tmp.dir, 'killed-SIGTERM.log'), 'utf8'), /interrupted/);
    } else {
      assert.equal(got, 'SIGKILL');
    }
  }
  upstream.set({ stall: null });
  const r = await mirrors(['sync', '--config', config, ...store(), '--json'], { env: s3.env });
  assert.equal(r.code, 0, r.stderr);
  for (const c of r.report.copies) assert.equal(c.sync.copied, 1, 'only the interrupted blob is copied');
  for (const bucket of ['mirror-a', 'mirror-b']) assert.equal(sha256(await readFile(fileOf(bucket, big.digest))), big.digest);
});

test('parts on the wire are all of the part size but the last, as R2 requires', async () => {
  // No local S3 server enforces R2's rule: a proxy in front of s3s-fs
  // measures every part the sync sends.
  const wire = await startFrontProxy({ target: s3.url, clientIp: null });
  try {
    await rm(fileOf('mirror-a', big.digest));
    const r = await mirrors(['sync', '--config', config, '--mirror', 'eu-west-3', '--store', `eu-west-3=${wire.url}/mirror-a`, '--json'], { env: s3.env });
    assert.equal(r.code, 0, r.stderr);
    const part = (e) => Number(/[?&]partNumber=(\d+)/.exec(e.url)?.[1]);
    const parts = wire.log.filter((e) => e.method === 'PUT' && part(e) && e.status === 200).sort((a, b) => part(a) - part(b));
    assert.deepEqual(parts.map((e) => e.requestBytes), [16 * MIB, big.size - 16 * MIB]);
    const completion = wire.log.find((e) => e.method === 'POST' && /uploadId=/.test(e.url));
    assert.equal(completion.status, 200);
    assert.equal(completion.headers['if-none-match'], '*', 'the completion is create-only');
    assert.equal(sha256(await readFile(fileOf('mirror-a', big.digest))), big.digest);
  } finally {
    await wire.stop();
  }
});

test('bad input and an unreachable source exit 2', async () => {
  for (const args of [
    ['audit', '--config', config, '--mirror', 'ap-south-1'],
    ['audit', '--config', config, '--store', 'nowhere=s3://b'],
    ['audit', '--config', config, '--store', 'eu-west-3=ftp://x'],
    ['sync', '--config', config, '--part-size', '4'],
    ['audit', '--config', path.join(tmp.dir, 'missing.toml')],
  ]) {
    const r = await mirrors(args, { env: s3.env });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /registry-edge mirrors|error:/);
  }
  const closed = await writeMirrorsConfig(path.join(tmp.dir, 'closed'), { UPSTREAM_REGISTRY_ENDPOINT: 'http://127.0.0.1:9', UPSTREAM_REGISTRY_PATH: UPSTREAM_PREFIX, DEFAULT_BLOB_BASE_URL: pubA.url });
  const r = await mirrors(['audit', '--config', closed, '--rate', '1000'], { env: s3.env });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /cannot be listed/);
  assert.doesNotMatch(r.stderr + r.stdout, new RegExp(s3.env.AWS_SECRET_ACCESS_KEY), 'no secret printed');
});

test('end to end: the worker sends a client of the copy region there, and skopeo pulls every blob from it', async () => {
  const vars = {
    UPSTREAM_REGISTRY_ENDPOINT: upstream.url,
    UPSTREAM_REGISTRY_PATH: UPSTREAM_PREFIX,
    BLOB_MIRRORS: { 'eu-west-3': pubA.url, 'us-east-2': pubB.url, 'us-east-1': pubB.url },
    DEFAULT_BLOB_BASE_URL: pubA.url,
    BLOB_CHECK_TIMEOUT_MS: 2000,
  };
  // The worker sends manifests to the upstream; clients do not follow a
  // token challenge across that redirect, so the upstream is open here.
  upstream.set({ tokens: false });
  const worker = await startWorker({ vars, logLevel: 'warn' });
  const client = await startFrontProxy({ target: worker.url, clientIp: IP.awsEuWest3, upstreamTimeoutMs: 20_000 });
  try {
    pubA.resetLog();
    const gets = () => [...blobs.keys()].reduce((n, d) => n + upstream.blobGets(d), 0);
    const upstreamBefore = gets();
    for (const image of images) {
      const pulled = await skopeoCopyToDir(`${client.host}/${image.name}:${image.tag}`, path.join(tmp.dir, 'pulled', image.name.replace(/\//g, '_')));
      assert.equal(pulled.manifestDigest, image.digest);
      assert.deepEqual(pulled.blobDigests.sort(), [...new Set(image.blobs.map((b) => b.digest))].sort());
      for (const b of image.blobs) assert.ok(pubA.countFor('GET', b.digest) >= 1, `${image.name}: ${b.digest} came from the eu-west-3 copy`);
    }
    assert.equal(gets(), upstreamBefore, 'no blob came from the upstream');
  } finally {
    await client.stop();
    await worker.stop();
  }
});
