// Pulls through the real worker while the copies a client would be sent to
// are broken: the region's mirror and the default CDN answer 500, hang
// longer than BLOB_CHECK_TIMEOUT_MS, reset the connection, or have their
// port closed. In every case the pull must succeed with every blob from the
// upstream, the worker must never answer 5xx, and the delay a hanging copy
// adds must be bounded by the check timeout. When the copies recover, the
// next pull uses them again (failures are not cached).
//
// The measured durations are printed as diagnostics (`# fault ...` lines).
// The worker starts with an empty cache and sees the copies broken first: a
// copy that fails only after a positive existence answer was cached keeps
// receiving clients until that answer expires (by design: present answers
// are cached for a day), which is a different scenario.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { makeTempDir } from '../support/processes.mjs';
import { startEdgeRig, blobsOf } from '../support/edge-rig.mjs';
import { skopeoCopyToDir, podmanSandbox, toolVersion } from '../support/clients.mjs';
import { startContainerd } from '../support/containerd.mjs';

const TIMEOUT_MS = 1000;
// What a blob answer may take beyond the timeout (wrangler dev, 2 cores).
const MARGIN_MS = 1500;
const FAULTY = ['eu-west-3', 'cdn'];

const sorted = (a) => [...a].sort();
const work = await makeTempDir('registry-edge-faults-');
let rig, containerd;
const rows = [];
const baseline = {};

const podmanVersion = await toolVersion('podman');
const ctrAvailable = Boolean((await toolVersion('containerd')) && (await toolVersion('ctr')));

before(async () => {
  rig = await startEdgeRig({
    workDir: work.dir,
    personaKeys: ['aws-eu-west-3', 'unknown', 'gcp'],
    vars: { BLOB_CHECK_TIMEOUT_MS: TIMEOUT_MS, NEGATIVE_CACHE_SECONDS: 60 },
  });
  if (ctrAvailable) containerd = await startContainerd({ contentSharingPolicy: 'isolated' });
});

after(async () => {
  await containerd?.stop();
  await rig?.stop();
  await work.remove();
});

let pullNo = 0;
/** Pull `image` as `personaKey` with `client`; returns {durationMs, blobs}. */
async function pull(client, personaKey, image) {
  const p = rig.personas[personaKey];
  const ref = `${p.host}/${image.name}:${image.tag}`;
  pullNo += 1;
  if (client === 'skopeo') {
    const got = await skopeoCopyToDir(ref, path.join(work.dir, 'pulls', String(pullNo)), { all: true, timeoutMs: 90_000 });
    assert.equal(got.manifestDigest, image.digest);
    assert.deepEqual(got.blobDigests, sorted(image.blobs.map((b) => b.digest)));
    return { durationMs: got.durationMs, blobs: image.blobs };
  }
  if (client === 'podman') {
    const pm = await podmanSandbox({ insecureHosts: [p.host] });
    try {
      const pulled = await pm.pull(ref, { arch: 'amd64', timeoutMs: 90_000 });
      const info = await pm.inspect(ref);
      assert.equal(info.Digest, image.digest);
      assert.equal(`sha256:${info.Id}`, image.manifests[0].config.digest);
      return { durationMs: pulled.durationMs, blobs: blobsOf([image.manifests[0]]) };
    } finally {
      await pm.remove();
    }
  }
  const namespace = `pull-${pullNo}`;
  const pulled = await containerd.pull(ref, { allPlatforms: true, namespace, timeoutMs: 90_000 });
  const listed = (await containerd.images({ namespace })).find((x) => x.ref === ref);
  assert.equal(listed?.digest, image.digest);
  return { durationMs: pulled.durationMs, blobs: image.blobs };
}

/** Blob answers the worker gave through a persona proxy: [{url, status, location, durationMs}]. */
const blobAnswers = (personaKey) => rig.personas[personaKey].proxy.log.filter((e) => /\/blobs\//.test(e.url));

function setFault(mode) {
  for (const name of FAULTY) rig.backends[name].setMode(mode);
}

const CASES = [
  { fault: 'status500', label: 'copies answer 500' },
  { fault: 'hang', label: `copies hang (longer than the ${TIMEOUT_MS} ms check timeout)` },
  { fault: 'reset', label: 'copies reset the connection' },
  { fault: 'closed', label: 'copies have their port closed' },
];

test('baseline: the same pulls as a GCP client (straight to upstream, no existence check)', async (t) => {
  for (const image of rig.images) {
    rig.resetLogs();
    const { durationMs } = await pull('skopeo', 'gcp', image);
    baseline[image.name] = durationMs;
    t.diagnostic(`fault baseline skopeo ${image.name}: ${durationMs} ms`);
  }
});

for (const { fault, label } of CASES) {
  test(`${label}: pulls succeed from upstream, never a 5xx`, async (t) => {
    if (fault === 'closed') {
      for (const name of FAULTY) await rig.backends[name].stop();
    } else {
      setFault(fault);
    }
    try {
      const plan = [
        ['skopeo', 'aws-eu-west-3', rig.images[0]],
        ['skopeo', 'aws-eu-west-3', rig.images[1]],
        ['skopeo', 'unknown', rig.images[0]],
        ['skopeo', 'unknown', rig.images[1]],
      ];
      if (podmanVersion) plan.push(['podman', 'aws-eu-west-3', rig.images[1]]);
      if (ctrAvailable) plan.push(['ctr', 'unknown', rig.images[1]]);
      for (const [client, personaKey, image] of plan) {
        rig.resetLogs();
        const what = `${fault} ${client} ${personaKey} ${image.name}`;
        const { durationMs, blobs } = await pull(client, personaKey, image);

        // Every blob from the upstream, none from any copy.
        for (const b of blobs) {
          const got = rig.blobSources(b.digest);
          assert.ok(got.upstream >= 1, `${what}: ${b.digest} not from upstream: ${JSON.stringify(got)}`);
          for (const [backend, n] of Object.entries(got)) if (backend !== 'upstream') assert.equal(n, 0, `${what}: ${b.digest} from ${backend}`);
        }
        // The worker answered every request, never 5xx, every blob with a 307 to upstream.
        assert.deepEqual(rig.workerFailures(), [], `${what}: 5xx or no answer`);
        const answers = blobAnswers(personaKey);
        assert.ok(answers.length >= blobs.length, `${what}: ${answers.length} blob answers`);
        for (const a of answers) {
          assert.equal(a.status, 307, `${what}: ${a.url} answered ${a.status}`);
          assert.ok(a.location.startsWith(`${rig.upstream.url}/v2/`), `${what}: ${a.url} -> ${a.location}`);
        }
        // Failures are not cached: every pull checked the copy again.
        if (fault !== 'closed') {
          const copy = rig.backends[personaKey === 'unknown' ? 'cdn' : 'eu-west-3'];
          const heads = new Set(copy.requests({ method: 'HEAD' }).map((e) => e.digest));
          for (const b of blobs) assert.ok(heads.has(b.digest), `${what}: ${b.digest} was not checked again`);
        }
        // Bounded delay: no blob answer waits much longer than the timeout,
        // and a hanging copy does make it wait (the hang was exercised).
        const slowest = Math.max(...answers.map((a) => a.durationMs));
        assert.ok(slowest <= TIMEOUT_MS + MARGIN_MS, `${what}: a blob answer took ${slowest} ms`);
        if (fault === 'hang') {
          for (const a of answers) assert.ok(a.durationMs >= TIMEOUT_MS - 100, `${what}: ${a.url} answered after ${a.durationMs} ms, before the timeout`);
          // Worst case the client fetches blobs one after the other.
          const added = durationMs - (baseline[image.name] ?? 0);
          assert.ok(added <= blobs.length * (TIMEOUT_MS + MARGIN_MS), `${what}: added ${added} ms`);
        }
        const row = `fault ${fault.padEnd(9)} ${client.padEnd(6)} ${personaKey.padEnd(13)} ${image.name.padEnd(15)} pull ${String(durationMs).padStart(5)} ms` +
          ` (${blobs.length} blobs, slowest blob answer ${slowest} ms)`;
        rows.push(row);
        t.diagnostic(row);
      }
    } finally {
      if (fault === 'closed') {
        for (const name of FAULTY) await rig.backends[name].restart();
      } else {
        setFault('normal');
      }
    }
  });
}

test('after the faults clear, the next pull uses the copies again (failures were not cached)', async (t) => {
  for (const [personaKey, copy] of [['aws-eu-west-3', 'eu-west-3'], ['unknown', 'cdn']]) {
    const image = rig.images[1];
    rig.resetLogs();
    const { durationMs, blobs } = await pull('skopeo', personaKey, image);
    for (const b of blobs) {
      const got = rig.blobSources(b.digest);
      assert.ok(got[copy] >= 1 && got.upstream === 0, `${personaKey} ${b.digest}: ${JSON.stringify(got)}`);
    }
    t.diagnostic(`fault recovered skopeo ${personaKey} ${image.name}: ${durationMs} ms, all blobs from ${copy}`);
  }
  assert.deepEqual(rig.workerFailures(), []);
});

test('summary of fault pull durations', (t) => {
  t.diagnostic(`baseline (GCP client, upstream only): ${JSON.stringify(baseline)}`);
  for (const r of rows) t.diagnostic(r);
  assert.ok(rows.length >= CASES.length * 4);
});
