// Real OCI clients pull through the real worker (build/ under wrangler dev),
// for every persona, by tag and by digest, and the servers' logs show where
// every blob came from.
//
// Rig (tests/support/edge-rig.mjs): a distribution registry holding two
// images pushed with skopeo (a single-platform one and a two-platform
// index, three layers per platform) behind a logging proxy as the
// upstream; a mirror bucket per AWS region (eu-west-3, us-east-2,
// us-west-2) and a default CDN, all loopback servers; the worker configured
// through its [vars]; one CF-Connecting-IP front proxy per persona. The
// eu-west-3 mirror lacks one layer, which must come from the upstream. The
// AWS us-east-1 persona has no mirror of its own: its blobs must come from
// the nearest one (us-east-2).
//
// Asserted for every pull: the client's digests equal what was pushed (the
// clients verify every blob's digest themselves; skopeo's dir: output is
// re-hashed here), every blob of the pulled platforms was downloaded from
// the persona's expected backend and from no other, and the worker never
// answered 5xx.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { makeTempDir } from '../support/processes.mjs';
import { startEdgeRig, blobsOf } from '../support/edge-rig.mjs';
import { RIG_PERSONAS } from '../support/personas.mjs';
import { skopeoCopyToDir, podmanSandbox, toolVersion } from '../support/clients.mjs';
import { startContainerd } from '../support/containerd.mjs';

const sorted = (a) => [...a].sort();
const work = await makeTempDir('registry-edge-pulls-');
let rig;
const results = []; // one row per pull, printed by the last test

before(async () => {
  rig = await startEdgeRig({
    workDir: work.dir,
    // The eu-west-3 mirror lacks the middle layer of the single-platform image.
    missing: (images) => ({ 'eu-west-3': [images[0].manifests[0].layers[1].digest] }),
  });
});

after(async () => {
  await rig?.stop();
  await work.remove();
});

const refsOf = (persona, image) => [
  ['tag', `${persona.host}/${image.name}:${image.tag}`],
  ['digest', `${persona.host}/${image.name}@${image.digest}`],
];

/**
 * Every blob in `blobs` came from the persona's expected backend (at least
 * one GET there) and from nowhere else; no 5xx from the worker; every blob
 * request through the persona proxy was answered with a 307.
 * @returns {string} a summary such as "eu-west-3 x3, upstream x1"
 */
function assertBackends(persona, blobs, what) {
  const tally = {};
  for (const b of blobs) {
    const want = rig.expectedBackend(persona, b.digest);
    const got = rig.blobSources(b.digest);
    assert.ok(got[want] >= 1, `${what}: blob ${b.digest} should come from ${want}; GETs per backend ${JSON.stringify(got)}`);
    for (const [backend, n] of Object.entries(got)) {
      if (backend !== want) assert.equal(n, 0, `${what}: blob ${b.digest} was also fetched from ${backend}: ${JSON.stringify(got)}`);
    }
    tally[want] = (tally[want] ?? 0) + 1;
  }
  assert.deepEqual(rig.workerFailures(), [], `${what}: the worker answered 5xx or not at all`);
  const blobAnswers = persona.proxy.log.filter((e) => /\/blobs\//.test(e.url));
  assert.ok(blobAnswers.length >= blobs.length, `${what}: blob requests went through the worker`);
  for (const e of blobAnswers) assert.equal(e.status, 307, `${what}: ${e.method} ${e.url} answered ${e.status}`);
  if (persona.backend === 'upstream') {
    assert.deepEqual(Object.values(rig.mirrorHeads()).filter(Boolean), [], `${what}: a GCP client's blobs need no existence check`);
  }
  assert.ok(rig.upstream.log.some((e) => /\/manifests\//.test(e.url)), `${what}: manifests came from the upstream`);
  return Object.entries(tally).map(([k, n]) => `${k} x${n}`).join(', ');
}

function record(client, persona, image, by, durationMs, sources) {
  results.push({ client, persona: persona.key, image: image.name, by, durationMs, sources });
}

const versions = {
  skopeo: await toolVersion('skopeo'),
  podman: await toolVersion('podman'),
  containerd: await toolVersion('containerd'),
  ctr: await toolVersion('ctr'),
  registry: await toolVersion('docker-registry', ['--version']),
};

test('client versions', (t) => {
  for (const [k, v] of Object.entries(versions)) t.diagnostic(`${k}: ${v ?? 'not installed'}`);
  assert.ok(versions.skopeo, 'skopeo is required');
});

for (const persona of RIG_PERSONAS) {
  test(`skopeo, ${persona.key} (${persona.ip}): by tag and by digest, blobs from ${persona.backend}`, async () => {
    const p = rig.personas[persona.key];
    for (const image of rig.images) {
      for (const [by, ref] of refsOf(p, image)) {
        rig.resetLogs();
        const dest = path.join(work.dir, 'skopeo', persona.key, `${image.name.replace(/\//g, '_')}-${by}`);
        const got = await skopeoCopyToDir(ref, dest, { all: true });
        assert.equal(got.manifestDigest, image.digest, `${ref}: top-level manifest digest`);
        if (image.manifests.length > 1) assert.deepEqual(got.instanceDigests, sorted(image.manifests.map((m) => m.digest)));
        assert.deepEqual(got.blobDigests, sorted(image.blobs.map((b) => b.digest)), `${ref}: blobs written`);
        const sources = assertBackends(p, image.blobs, `skopeo ${ref}`);
        record('skopeo', persona, image, by, got.durationMs, sources);
      }
    }
  });
}

for (const persona of RIG_PERSONAS) {
  test(`podman, ${persona.key} (${persona.ip}): by tag and by digest`, { skip: !versions.podman && 'podman not installed' }, async () => {
    const p = rig.personas[persona.key];
    for (const image of rig.images) {
      for (const [by, ref] of refsOf(p, image)) {
        // podman pulls one platform: amd64 by tag, the last platform by digest.
        const platform = by === 'tag' ? image.manifests[0] : image.manifests.at(-1);
        const arch = platform.platform.architecture;
        const pm = await podmanSandbox({ insecureHosts: [p.host] });
        try {
          rig.resetLogs();
          const pulled = await pm.pull(ref, { arch });
          const info = await pm.inspect(ref);
          assert.equal(info.Digest, image.digest, `${ref}: manifest digest`);
          assert.equal(`sha256:${info.Id}`, platform.config.digest, `${ref}: image ID is the ${arch} config digest`);
          assert.equal(info.Architecture, arch);
          assert.equal(info.RootFS.Layers.length, platform.layers.length);
          const sources = assertBackends(p, blobsOf([platform]), `podman ${ref} (${arch})`);
          record('podman', persona, image, `${by} (${arch})`, pulled.durationMs, sources);
        } finally {
          await pm.remove();
        }
      }
    }
  });
}

const ctrAvailable = Boolean(versions.containerd && versions.ctr);
let containerd;
test('containerd (ctr) pulls for every persona, by tag and by digest', { skip: !ctrAvailable && 'containerd/ctr not installed' }, async (t) => {
  // Isolated content: each pull goes to a fresh namespace and must download
  // every blob itself.
  containerd = await startContainerd({ contentSharingPolicy: 'isolated' });
  try {
    for (const persona of RIG_PERSONAS) {
      await t.test(`ctr, ${persona.key} (${persona.ip})`, async () => {
        const p = rig.personas[persona.key];
        for (const [i, image] of rig.images.entries()) {
          for (const [by, ref] of refsOf(p, image)) {
            const namespace = `${persona.key}-${i}-${by}`;
            rig.resetLogs();
            const pulled = await containerd.pull(ref, { allPlatforms: true, namespace });
            const listed = (await containerd.images({ namespace })).find((x) => x.ref === ref);
            assert.equal(listed?.digest, image.digest, `${ref}: ctr lists ${JSON.stringify(listed)}`);
            const sources = assertBackends(p, image.blobs, `ctr ${ref}`);
            record('ctr', persona, image, by, pulled.durationMs, sources);
          }
        }
      });
    }
  } finally {
    await containerd.stop();
  }
});

test('summary: every pull, with where its blobs came from', (t) => {
  for (const r of results) {
    t.diagnostic(`${r.client.padEnd(6)} ${r.persona.padEnd(18)} ${r.image.padEnd(15)} ${r.by.padEnd(15)} ${String(r.durationMs).padStart(5)} ms  ${r.sources}`);
  }
  const clients = new Set(results.map((r) => r.client));
  t.diagnostic(`${results.length} pulls by ${[...clients].join(', ')}`);
  assert.ok(results.length >= RIG_PERSONAS.length * 4, 'skopeo pulled for every persona, both images, by tag and digest');
});
