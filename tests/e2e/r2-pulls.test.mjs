// Real OCI clients pull images whose blobs come from copies in R2.
//
// The rig (tests/support/edge-rig.mjs), with two copies in R2 instead of
// loopback servers: the default copy and the eu-west-3 mirror are local R2
// buckets of wrangler dev (miniflare's R2), filled with the images' blobs
// by `wrangler r2 bulk put --local` before the worker starts, bound with
// [[r2_buckets]] and checked through the bindings. Clients are sent to
// each bucket's public URL: a logging proxy (the bucket's custom domain)
// in front of wrangler dev's public access to its local buckets. The
// default bucket lacks one layer, which must come from the upstream.
//
// Asserted for every pull: the digests are the pushed ones (the clients
// verify every blob; skopeo's dir: output is hashed again here), every blob
// was downloaded from the persona's bucket's public URL (or, for the
// missing layer, the upstream) and from nowhere else, and the worker never
// answered 5xx.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { freePort, makeTempDir } from '../support/processes.mjs';
import { startEdgeRig, blobsOf } from '../support/edge-rig.mjs';
import { startFrontProxy } from '../support/front-proxy.mjs';
import { localPublicBase, putLocalObjects, r2BucketsToml } from '../support/r2-local.mjs';
import { skopeoCopyToDir, podmanSandbox, toolVersion } from '../support/clients.mjs';

const BUCKETS = { cdn: 'registry-edge-e2e-blobs', 'eu-west-3': 'registry-edge-e2e-blobs-eu-west-3' };
const BINDINGS = { cdn: 'R2_BLOBS', 'eu-west-3': 'R2_EU_WEST_3' };
const PERSONAS = { unknown: 'cdn', awsEuWest3: 'eu-west-3' };
const BLOB_PATH = /\/containers\/images\/(sha256:[0-9a-f]{64})$/;
const sorted = (a) => [...a].sort();

const work = await makeTempDir('registry-edge-r2-pulls-');
let rig, state, publicSite, lacking;
const results = [];

before(async () => {
  state = await makeTempDir('registry-edge-r2-pulls-state-');
  // The worker's port is chosen first: the buckets' public URL is on it.
  const workerPort = await freePort();
  publicSite = await startFrontProxy({ target: `http://127.0.0.1:${workerPort}`, clientIp: null, preserveHost: false });
  const base = (copy) => localPublicBase(publicSite.url, BUCKETS[copy]);
  rig = await startEdgeRig({
    workDir: work.dir,
    personaKeys: Object.keys(PERSONAS),
    vars: {
      DEFAULT_BLOB_BASE_URL: { url: base('cdn'), r2_binding: BINDINGS.cdn },
      BLOB_MIRRORS: { 'eu-west-3': { url: base('eu-west-3'), r2_binding: BINDINGS['eu-west-3'] } },
    },
    workerOptions: {
      port: workerPort,
      stateDir: state.dir,
      extraToml: r2BucketsToml(Object.fromEntries(Object.keys(BUCKETS).map((c) => [BINDINGS[c], BUCKETS[c]]))),
    },
    beforeWorker: async ({ images }) => {
      // The default bucket lacks the middle layer of the single-platform image.
      lacking = images[0].manifests[0].layers[1].digest;
      const blobs = [...new Map(images.flatMap((i) => i.blobs).map((b) => [b.digest, b])).values()];
      for (const [copy, bucket] of Object.entries(BUCKETS)) {
        const objects = blobs
          .filter((b) => !(copy === 'cdn' && b.digest === lacking))
          .map((b) => ({ key: `containers/images/${b.digest}`, bytes: b.bytes }));
        await putLocalObjects({ stateDir: state.dir, bucket, objects });
      }
    },
  });
});

after(async () => {
  await rig?.stop();
  await publicSite?.stop();
  await state?.remove();
  await work.remove();
});

/** GETs of `digest` from the bucket `bucket` through its public URL. */
function publicGets(bucket, digest) {
  return publicSite.log.filter((e) => {
    const m = BLOB_PATH.exec(e.url);
    return e.method === 'GET' && m?.[1] === digest && e.url.includes(`/${bucket}/`) && e.status === 200;
  }).length;
}

/**
 * Every blob came from the persona's bucket (or the upstream for the one
 * the default bucket lacks), from nowhere else, and the worker answered
 * every blob request with a 307.
 */
function assertFromR2(persona, blobs, what) {
  const copy = PERSONAS[persona.key];
  const tally = {};
  for (const b of blobs) {
    const want = copy === 'cdn' && b.digest === lacking ? 'upstream' : copy;
    const got = {
      ...Object.fromEntries(Object.entries(BUCKETS).map(([c, bucket]) => [c, publicGets(bucket, b.digest)])),
      upstream: rig.blobSources(b.digest).upstream,
    };
    const loopbackCopies = Object.entries(rig.blobSources(b.digest)).filter(([k, n]) => k !== 'upstream' && n > 0);
    assert.deepEqual(loopbackCopies, [], `${what}: ${b.digest} from a loopback copy`);
    assert.ok(got[want] >= 1, `${what}: ${b.digest} should come from ${want}: ${JSON.stringify(got)}`);
    for (const [source, n] of Object.entries(got)) {
      if (source !== want) assert.equal(n, 0, `${what}: ${b.digest} also came from ${source}: ${JSON.stringify(got)}`);
    }
    tally[want] = (tally[want] ?? 0) + 1;
  }
  assert.deepEqual(rig.workerFailures(), [], `${what}: the worker answered 5xx or not at all`);
  for (const e of persona.proxy.log.filter((x) => /\/blobs\//.test(x.url))) {
    assert.equal(e.status, 307, `${what}: ${e.method} ${e.url} answered ${e.status}`);
  }
  assert.equal(Object.values(rig.mirrorHeads()).reduce((a, n) => a + n, 0), 0, `${what}: no HTTP check of a copy`);
  return Object.entries(tally).map(([k, n]) => `${k === 'upstream' ? k : `R2 ${k}`} x${n}`).join(', ');
}

const resetLogs = () => {
  rig.resetLogs();
  publicSite.resetLog();
};

const versions = { skopeo: await toolVersion('skopeo'), podman: await toolVersion('podman') };

for (const key of Object.keys(PERSONAS)) {
  test(`skopeo, ${key}: every blob from the R2 copy's public URL, digests as pushed`, async () => {
    const p = rig.personas[key];
    for (const image of rig.images) {
      const ref = `${p.host}/${image.name}:${image.tag}`;
      resetLogs();
      const dest = path.join(work.dir, 'skopeo', key, image.name.replace(/\//g, '_'));
      const got = await skopeoCopyToDir(ref, dest, { all: true });
      assert.equal(got.manifestDigest, image.digest, `${ref}: manifest digest`);
      assert.deepEqual(got.blobDigests, sorted(image.blobs.map((b) => b.digest)), `${ref}: blobs written, each re-hashed`);
      results.push(['skopeo', key, image.name, got.durationMs, assertFromR2(p, image.blobs, `skopeo ${ref}`)]);
    }
  });
}

for (const key of Object.keys(PERSONAS)) {
  test(`podman, ${key}: every blob from the R2 copy's public URL, digests as pushed`, { skip: !versions.podman && 'podman not installed' }, async () => {
    const p = rig.personas[key];
    for (const image of rig.images) {
      const ref = `${p.host}/${image.name}@${image.digest}`;
      const platform = image.manifests[0];
      const arch = platform.platform.architecture;
      const pm = await podmanSandbox({ insecureHosts: [p.host, new URL(publicSite.url).host] });
      try {
        resetLogs();
        const pulled = await pm.pull(ref, { arch });
        const info = await pm.inspect(ref);
        assert.equal(info.Digest, image.digest, `${ref}: manifest digest`);
        assert.equal(`sha256:${info.Id}`, platform.config.digest, `${ref}: image ID is the ${arch} config digest`);
        assert.equal(info.RootFS.Layers.length, platform.layers.length);
        results.push(['podman', key, image.name, pulled.durationMs, assertFromR2(p, blobsOf([platform]), `podman ${ref}`)]);
      } finally {
        await pm.remove();
      }
    }
  });
}

test('summary: every pull, with where its blobs came from', (t) => {
  for (const [client, persona, image, ms, sources] of results) {
    t.diagnostic(`${client.padEnd(6)} ${persona.padEnd(11)} ${image.padEnd(15)} ${String(ms).padStart(5)} ms  ${sources}`);
  }
  assert.ok(results.filter((r) => r[0] === 'skopeo').length >= 4, 'skopeo pulled both images for both personas');
  assert.ok(results.some((r) => r[4].includes('upstream')), 'the layer the default bucket lacks came from the upstream');
});
