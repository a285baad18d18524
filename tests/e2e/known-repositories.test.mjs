// Known repositories with real clients (docs/request-handling.md, "Known
// repositories"): with KNOWN_REPOSITORIES = true and the upstream listing
// its top-level repositories (the rig's upstream proxy answers the listing
// with the pushed images' names, as Artifact Registry does), skopeo, podman
// and ctr still pull the known images (digests as pushed, blobs from the
// persona's mirror), while a repository the upstream does not have gets
// 404 NAME_UNKNOWN from the same worker, which the clients report as such,
// and no copy is checked for it.
//
// Same rig as pulls.test.mjs (tests/support/edge-rig.mjs), one persona.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { makeTempDir, runCommand, sleep } from '../support/processes.mjs';
import { startEdgeRig, blobsOf } from '../support/edge-rig.mjs';
import { skopeoCopyToDir, podmanSandbox, toolVersion } from '../support/clients.mjs';
import { startContainerd } from '../support/containerd.mjs';
import { request, ociCode } from '../support/http.mjs';
import { readRecords } from '../support/records.mjs';

const PERSONA = 'awsEuWest3';
const work = await makeTempDir('registry-edge-known-repositories-');
let rig, persona, readyAt;

before(async () => {
  rig = await startEdgeRig({
    workDir: work.dir,
    personaKeys: [PERSONA],
    listing: true,
    vars: { KNOWN_REPOSITORIES: true },
    workerOptions: { logLevel: 'log' },
  });
  readyAt = Date.now();
  persona = rig.personas[PERSONA];
});

after(async () => {
  await rig?.stop();
  await work.remove();
});

const versions = {
  skopeo: await toolVersion('skopeo'),
  podman: await toolVersion('podman'),
  ctr: (await toolVersion('containerd')) && (await toolVersion('ctr')),
};

/** Every blob came from the persona's mirror and from nowhere else. */
function assertFromMirror(blobs, what) {
  for (const b of blobs) {
    const got = rig.blobSources(b.digest);
    assert.ok(got[persona.backend] >= 1, `${what}: ${b.digest} from ${JSON.stringify(got)}`);
    for (const [backend, n] of Object.entries(got)) if (backend !== persona.backend) assert.equal(n, 0, `${what}: ${backend}`);
  }
  assert.deepEqual(rig.workerFailures(), [], `${what}: the worker answered 5xx or not at all`);
}

test('the worker learns the upstream\'s repositories within seconds', async (t) => {
  let known = null;
  while (Date.now() - readyAt < 10_000) {
    known = JSON.parse((await request(persona.url, '/_status')).body).features.known_repositories;
    if (known.repositories !== null) break;
    await sleep(100);
  }
  const ms = Date.now() - readyAt;
  assert.deepEqual({ ...known, age_seconds: 0 }, { on: true, repositories: 2, age_seconds: 0 }, JSON.stringify(known));
  assert.equal(rig.listings(), 1);
  t.diagnostic(`list of ${known.repositories} repositories (e2e, e2e-single) known ${ms} ms after the worker was ready`);
});

test('skopeo pulls both known images, the nested one by digest', async () => {
  for (const [image, ref] of [
    [rig.images[0], `${persona.host}/${rig.images[0].name}:${rig.images[0].tag}`],
    [rig.images[1], `${persona.host}/${rig.images[1].name}@${rig.images[1].digest}`],
  ]) {
    rig.resetLogs();
    const got = await skopeoCopyToDir(ref, path.join(work.dir, 'skopeo', image.name.replace(/\//g, '_')), { all: true });
    assert.equal(got.manifestDigest, image.digest, ref);
    assert.deepEqual(got.blobDigests, image.blobs.map((b) => b.digest).sort(), ref);
    assertFromMirror(image.blobs, `skopeo ${ref}`);
  }
});

test('podman pulls a known image', { skip: !versions.podman && 'podman not installed' }, async () => {
  const image = rig.images[1];
  const platform = image.manifests[0];
  const ref = `${persona.host}/${image.name}:${image.tag}`;
  const pm = await podmanSandbox({ insecureHosts: [persona.host] });
  try {
    rig.resetLogs();
    await pm.pull(ref, { arch: platform.platform.architecture });
    const info = await pm.inspect(ref);
    assert.equal(info.Digest, image.digest);
    assert.equal(`sha256:${info.Id}`, platform.config.digest);
    assertFromMirror(blobsOf([platform]), `podman ${ref}`);
  } finally {
    await pm.remove();
  }
});

test('ctr pulls a known image', { skip: !versions.ctr && 'containerd/ctr not installed' }, async () => {
  const image = rig.images[0];
  const ref = `${persona.host}/${image.name}:${image.tag}`;
  const containerd = await startContainerd({ contentSharingPolicy: 'isolated' });
  try {
    rig.resetLogs();
    await containerd.pull(ref, { allPlatforms: true, namespace: 'known' });
    const listed = (await containerd.images({ namespace: 'known' })).find((x) => x.ref === ref);
    assert.equal(listed?.digest, image.digest);
    assertFromMirror(image.blobs, `ctr ${ref}`);
  } finally {
    await containerd.stop();
  }
});

test('a repository the upstream does not have: 404 NAME_UNKNOWN, reported by the clients, no copy checked', async () => {
  rig.resetLogs();
  const digest = rig.images[0].blobs[0].digest;
  for (const p of ['/v2/not-a-k8s-repo/manifests/latest', `/v2/not-a-k8s-repo/blobs/${digest}`, `/v2/e2e-single2/blobs/${digest}`]) {
    const res = await request(persona.url, p);
    assert.equal(res.status, 404, `${p}: ${res.body}`);
    assert.equal(ociCode(res), 'NAME_UNKNOWN', p);
  }
  const ref = `docker://${persona.host}/not-a-k8s-repo:latest`;
  const skopeo = await runCommand('skopeo', ['--insecure-policy', 'inspect', '--raw', '--tls-verify=false', ref], { timeoutMs: 30_000 });
  assert.notEqual(skopeo.code, 0);
  assert.match(skopeo.stderr, /name unknown/i, skopeo.stderr);
  if (versions.podman) {
    const pm = await podmanSandbox({ insecureHosts: [persona.host] });
    try {
      await assert.rejects(pm.pull(`${persona.host}/not-a-k8s-repo:latest`, { timeoutMs: 30_000 }), /name unknown/i);
    } finally {
      await pm.remove();
    }
  }
  assert.deepEqual(rig.mirrorHeads(), Object.fromEntries(Object.keys(rig.backends).map((n) => [n, 0])), 'a copy was checked');
  assert.ok(!rig.upstream.log.some((e) => e.url.includes('not-a-k8s-repo')), 'the upstream was asked');
  await sleep(300); // the last lines reach the log file
  const refused = (await readRecords(rig.worker.logFile)).filter((r) => r.repository === 'not-a-k8s-repo');
  assert.ok(refused.length >= 2 && refused.every((r) => r.status === 404 && r.reason === 'unknown repository'), JSON.stringify(refused));
});

test('the upstream was listed once for the whole run', (t) => {
  t.diagnostic(`${rig.listings()} listing request(s) at the upstream`);
  assert.equal(rig.listings(), 1);
});
