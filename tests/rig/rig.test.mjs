// Self-test of the end-to-end rig, without the worker.
//
// Builds deterministic OCI images, pushes them to a local distribution
// registry, and pulls them back with real clients: directly, through the
// CF-Connecting-IP front proxy, and through a redirector test double that
// answers the way registry-edge does (manifests → 307 upstream registry,
// blobs → 307 mirror bucket when a HEAD there says 200, else upstream).
//
// FINDINGS (Debian bookworm, root, no container engine daemon, loopback only):
// - skopeo 1.9.3: `copy --all --preserve-digests` from an OCI layout keeps
//   every digest (no recompression, no manifest rewrite); pulls by tag and by
//   digest into dir: work. It follows a 307 from the registry host to another
//   host:port over plain http (only the registry host needs
//   --src-tls-verify=false) and verifies the blob digest after the redirect.
// - podman 4.3.1 pull works as root with: --root/--runroot/--tmpdir in a temp
//   dir, --storage-driver vfs, --cgroup-manager cgroupfs, --events-backend
//   file, --network-config-dir <tmp>, --tls-verify=false, and a temp
//   registries.conf via CONTAINERS_REGISTRIES_CONF. It follows the same
//   cross-host 307s. It pulls one platform of an index (--arch picks it).
// - containerd 1.6.20 + ctr work: a private containerd (temp root/state/
//   socket/opt dir, CRI plugin disabled) started as a process group, then
//   `ctr images pull --plain-http --snapshotter native [--all-platforms]`.
//   It follows the cross-host 307s too.
// - What the clients send to the registry host (the worker), also printed as
//   test diagnostics ("client behaviour" lines; `--test-reporter=spec`):
//   skopeo/podman (User-Agent skopeo/1.9.3, containers/5.23.1): GET /v2/,
//   GET manifest by tag (then by digest for the chosen platform of an index),
//   GET blobs; never HEAD, no Range on a first try, no Authorization.
//   ctr (containerd/1.6.20~ds1): no /v2/ ping; HEAD manifest by tag, then GET
//   manifests by digest, GET blobs (Accept: <layer or config type>, */*).
//   Manifest requests carry Accept lists with both OCI and Docker v2 types.
//   Every pull of these ~1 MiB-per-platform images takes 40-200 ms here.
// - Side effects outside temp dirs that cannot be turned off by flags:
//   containers/image (skopeo, podman) as root keeps its blob-info cache at
//   /var/lib/containers/cache/blob-info-cache-v1.boltdb, and podman creates an
//   empty /run/containers/networks (netavark's run dir). Both are harmless.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { makeTempDir } from '../support/processes.mjs';
import { startRegistry } from '../support/registry.mjs';
import { buildAndPushTestImages, allBlobs, sha256, UPSTREAM_PREFIX } from '../support/oci-images.mjs';
import { startMirror } from '../support/mirror-server.mjs';
import { startFrontProxy } from '../support/front-proxy.mjs';
import { skopeoCopyToDir, skopeoInspectRaw, podmanSandbox, toolVersion } from '../support/clients.mjs';
import { startContainerd } from '../support/containerd.mjs';

const sorted = (a) => [...a].sort();
const BLOB_RE = /^\/v2\/(.+)\/blobs\/([^/]+:[a-zA-Z0-9=_-]+)$/;

// ---- redirector double: what registry-edge does, minus the IP lookup ----
//
// Client-facing paths are /v2/<name>/...; upstream paths are
// /v2/k8s-artifacts-prod/images/<name>/... . Logs what clients send.
async function startRedirectorDouble({ upstream, mirror }) {
  const log = [];
  const server = http.createServer(async (req, res) => {
    const { pathname, search } = new URL(req.url, 'http://x');
    const blob = BLOB_RE.exec(pathname);
    const entry = {
      method: req.method,
      kind:
        pathname === '/v2/' || pathname === '/v2'
          ? 'ping'
          : blob
            ? 'blob'
            : /\/manifests\/[^/]+:/.test(pathname)
              ? 'manifest-by-digest'
              : /\/manifests\//.test(pathname)
                ? 'manifest-by-tag'
                : 'other',
      path: pathname,
      clientIp: req.headers['cf-connecting-ip'] ?? null,
      userAgent: req.headers['user-agent'] ?? null,
      accept: req.headers.accept ?? null,
      range: req.headers.range ?? null,
      authorization: Boolean(req.headers.authorization),
      location: null,
    };
    log.push(entry);
    if (entry.kind === 'ping') {
      res.writeHead(200, { 'docker-distribution-api-version': 'registry/2.0' });
      return res.end();
    }
    const upstreamUrl = `${upstream}${pathname.replace(/^\/v2\//, `/v2/${UPSTREAM_PREFIX}/`)}${search}`;
    let location = upstreamUrl;
    if (blob) {
      const candidate = `${mirror}/containers/images/${blob[2]}`;
      const head = await fetch(candidate, { method: 'HEAD', signal: AbortSignal.timeout(1000) }).catch(() => null);
      if (head?.status === 200) location = candidate;
    }
    entry.location = location;
    res.writeHead(307, { location });
    res.end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    log,
    resetLog: () => void log.splice(0, log.length),
    stop: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

// Summarise a redirector log as "METHOD kind [range] [accept]" lines, deduplicated.
function describeClient(log) {
  const lines = log.map((e) => `${e.method} ${e.kind}${e.range ? ` range=${e.range}` : ''}${e.kind !== 'ping' && e.accept ? ` accept=${e.accept}` : ''}${e.authorization ? ' +Authorization' : ''}`);
  return [...new Set(lines)];
}

// ---- shared fixtures -----------------------------------------------------------

const work = await makeTempDir('registry-edge-rig-');
const stops = [];
after(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  await work.remove();
});

let registry;
let images;
let mirror;
let upstreamProxy;
let redirector;
let persona;

before(async () => {
  registry = await startRegistry({ dir: path.join(work.dir, 'registry') });
  stops.push(() => registry.stop());
  images = await buildAndPushTestImages({ workDir: path.join(work.dir, 'images'), registryHost: registry.host });

  // Logs what reaches the upstream registry (no CF header: it is "GCR").
  upstreamProxy = await startFrontProxy({ target: registry.url, clientIp: null });
  stops.push(() => upstreamProxy.stop());
  mirror = await startMirror({ blobs: allBlobs(images) });
  stops.push(() => mirror.stop());
  redirector = await startRedirectorDouble({ upstream: upstreamProxy.url, mirror: mirror.url });
  stops.push(() => redirector.stop());
  // The persona proxy is the "registry" that clients are pointed at.
  persona = await startFrontProxy({ target: redirector.url, clientIp: '203.0.113.50' });
  stops.push(() => persona.stop());
});

function resetLogs() {
  for (const x of [mirror, upstreamProxy, redirector, persona]) x.resetLog();
}

/** Every blob of `manifests` was fetched exactly once from the mirror, none upstream. */
function assertBlobsFromMirror(manifests) {
  for (const m of manifests) {
    for (const b of [m.config, ...m.layers]) {
      assert.equal(mirror.countFor('GET', b.digest), 1, `mirror GETs of ${b.digest}`);
    }
  }
  const upstreamBlobGets = upstreamProxy.log.filter((e) => e.method === 'GET' && BLOB_RE.test(e.url.split('?')[0]));
  assert.deepEqual(upstreamBlobGets, [], 'no blob was fetched from upstream');
  assert.ok(upstreamProxy.log.some((e) => /\/manifests\//.test(e.url)), 'manifests came from upstream');
  assert.ok(redirector.log.every((e) => e.clientIp === persona.clientIp), 'every request carried the persona address');
}

// ---- tests -------------------------------------------------------------------------

test('tool versions', async (t) => {
  for (const [bin, args] of [['skopeo'], ['podman'], ['docker-registry'], ['containerd'], ['ctr']]) {
    t.diagnostic(`${bin}: ${(await toolVersion(bin, args)) ?? 'not installed'}`);
  }
});

test('built images have the expected shape and were pushed with the digests written', async () => {
  assert.equal(images.length, 2);
  const multi = images.find((i) => i.manifests.length > 1);
  assert.ok(multi, 'one image is a multi-arch index');
  assert.deepEqual(multi.manifests.map((m) => m.platform.architecture), ['amd64', 'arm64']);
  for (const image of images) {
    for (const m of image.manifests) assert.ok(m.layers.length >= 3);
    assert.equal(new Set(image.blobs.map((b) => b.digest)).size, image.blobs.length, 'blobs are distinct');
    for (const b of image.blobs) assert.equal(sha256(b.bytes), b.digest);
    // Manifest bytes as served == bytes written (pushTestImages already checked over HTTP).
    const raw = await skopeoInspectRaw(`${registry.host}/${image.upstreamName}:${image.tag}`);
    assert.equal(sha256(raw), image.digest);
  }
});

test('skopeo pulls every image by tag and by digest straight from the registry', async () => {
  for (const image of images) {
    for (const ref of [`${image.upstreamName}:${image.tag}`, `${image.upstreamName}@${image.digest}`]) {
      const dest = path.join(work.dir, 'pulls', 'direct', ref.replace(/[/:@]/g, '_'));
      const got = await skopeoCopyToDir(`${registry.host}/${ref}`, dest);
      assert.equal(got.manifestDigest, image.digest, ref);
      if (image.manifests.length > 1) assert.deepEqual(got.instanceDigests, sorted(image.manifests.map((m) => m.digest)));
      assert.deepEqual(got.blobDigests, sorted(image.blobs.map((b) => b.digest)));
    }
  }
});

test('the front proxy is transparent to skopeo', async () => {
  const proxy = await startFrontProxy({ target: registry.url, clientIp: '198.51.100.7' });
  try {
    const image = images.find((i) => i.manifests.length > 1);
    const got = await skopeoCopyToDir(`${proxy.host}/${image.upstreamName}:${image.tag}`, path.join(work.dir, 'pulls', 'via-proxy'));
    assert.equal(got.manifestDigest, image.digest);
    assert.deepEqual(got.blobDigests, sorted(image.blobs.map((b) => b.digest)));
    assert.ok(proxy.log.length > image.blobs.length, 'requests went through the proxy');
    assert.ok(proxy.log.every((e) => e.status < 400), JSON.stringify(proxy.log.filter((e) => e.status >= 400)));
  } finally {
    await proxy.stop();
  }
});

test('skopeo follows 307s to the mirror (other port, plain http) and to upstream, by tag and digest', async (t) => {
  for (const image of images) {
    for (const ref of [`${image.name}:${image.tag}`, `${image.name}@${image.digest}`]) {
      resetLogs();
      const dest = path.join(work.dir, 'pulls', 'redirected', ref.replace(/[/:@]/g, '_'));
      const got = await skopeoCopyToDir(`${persona.host}/${ref}`, dest);
      assert.equal(got.manifestDigest, image.digest);
      assert.deepEqual(got.blobDigests, sorted(image.blobs.map((b) => b.digest)));
      assertBlobsFromMirror(image.manifests);
      t.diagnostic(`skopeo ${ref}: ${got.durationMs} ms; client behaviour: ${describeClient(redirector.log).join(' | ')}`);
    }
  }
  t.diagnostic(`skopeo User-Agent: ${redirector.log[0]?.userAgent}`);
});

test('a blob missing from the mirror falls back to upstream', async () => {
  const image = images[0];
  const missing = image.manifests[0].layers[1];
  mirror.removeBlob(missing.digest);
  try {
    resetLogs();
    const got = await skopeoCopyToDir(`${persona.host}/${image.name}:${image.tag}`, path.join(work.dir, 'pulls', 'fallback'));
    assert.deepEqual(got.blobDigests, sorted(image.blobs.map((b) => b.digest)));
    assert.equal(mirror.countFor('GET', missing.digest), 0);
    assert.equal(mirror.countFor('HEAD', missing.digest), 1, 'the redirector probed the mirror');
    const upstreamGets = upstreamProxy.log.filter((e) => e.method === 'GET' && e.url.endsWith(`/blobs/${missing.digest}`));
    assert.equal(upstreamGets.length, 1);
    assert.ok(upstreamGets[0].url.startsWith(`/v2/${UPSTREAM_PREFIX}/${image.name}/blobs/`));
  } finally {
    mirror.addBlob(missing.digest, missing.bytes);
  }
});

const podmanVersion = await toolVersion('podman');
test('podman pulls through the redirector double', { skip: !podmanVersion && 'podman not installed' }, async (t) => {
  for (const image of images) {
    const arches = image.manifests.map((m) => m.platform.architecture);
    for (const [i, arch] of arches.entries()) {
      const pm = await podmanSandbox({ insecureHosts: [persona.host] });
      try {
        resetLogs();
        const ref = `${persona.host}/${image.name}:${image.tag}`;
        const pulled = await pm.pull(ref, { arch });
        const info = await pm.inspect(ref);
        const m = image.manifests[i];
        assert.equal(info.Digest, image.digest);
        assert.equal(`sha256:${info.Id}`, m.config.digest, 'image ID is the config digest');
        assert.equal(info.Architecture, arch);
        assertBlobsFromMirror([m]);
        t.diagnostic(`podman ${image.name} ${arch}: ${pulled.durationMs} ms; client behaviour: ${describeClient(redirector.log).join(' | ')}`);
        if (i === 0) t.diagnostic(`podman User-Agent: ${redirector.log[0]?.userAgent}`);
      } finally {
        await pm.remove();
      }
    }
  }
});

const ctrVersion = (await toolVersion('containerd')) && (await toolVersion('ctr'));
test('containerd (ctr) pulls through the redirector double', { skip: !ctrVersion && 'containerd/ctr not installed' }, async (t) => {
  const cd = await startContainerd();
  try {
    for (const image of images) {
      resetLogs();
      const ref = `${persona.host}/${image.name}:${image.tag}`;
      const pulled = await cd.pull(ref, { allPlatforms: true });
      const listed = (await cd.images()).find((x) => x.ref === ref);
      assert.equal(listed?.digest, image.digest);
      assertBlobsFromMirror(image.manifests);
      t.diagnostic(`ctr ${image.name}: ${pulled.durationMs} ms; client behaviour: ${describeClient(redirector.log).join(' | ')}`);
    }
    t.diagnostic(`ctr User-Agent: ${redirector.log[0]?.userAgent}`);
  } catch (err) {
    err.message += `\n--- containerd log tail\n${(await readFile(cd.logFile, 'utf8')).slice(-2000)}`;
    throw err;
  } finally {
    await cd.stop();
  }
});
