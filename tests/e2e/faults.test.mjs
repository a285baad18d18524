// Pulls through the real worker while the copies a client would be sent to
// are broken: the region's mirror and the default CDN answer 500, hang
// longer than BLOB_CHECK_TIMEOUT_MS, reset the connection, or have their
// port closed. In every case the pull must succeed with every blob from the
// upstream, the worker must never answer 5xx, and the reason header must
// name the fault. The delay a hanging copy adds is bounded by the breaker:
// after BREAKER_FAILURES failed checks the copy is skipped ("breaker open")
// for BREAKER_SECONDS, so an 8-blob pull from a hanging mirror's region
// takes about BLOB_CHECK_TIMEOUT_MS x BREAKER_FAILURES more than without a
// fault (the `fault figure` line). When the copies recover, the breaker's
// probe finds them and the next pull uses them again (failures are not
// cached).
//
// Each fault case starts a fresh worker (a new isolate and an empty colo
// cache, same port), so no breaker or answer carries over between cases.
// The measured durations are printed as diagnostics (`# fault ...` lines).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { makeTempDir, sleep } from '../support/processes.mjs';
import { startEdgeRig, blobsOf } from '../support/edge-rig.mjs';
import { skopeoCopyToDir, podmanSandbox, toolVersion } from '../support/clients.mjs';
import { startContainerd } from '../support/containerd.mjs';

const TIMEOUT_MS = 1000;
const BREAKER_FAILURES = 3;
const BREAKER_SECONDS = 10;
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
    personaKeys: ['awsEuWest3', 'unknown', 'gcp'],
    vars: { BLOB_CHECK_TIMEOUT_MS: TIMEOUT_MS, NEGATIVE_CACHE_SECONDS: 60, BREAKER_FAILURES, BREAKER_SECONDS },
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
  { fault: 'status500', label: 'copies answer 500', failure: 'status 500' },
  { fault: 'hang', label: `copies hang (longer than the ${TIMEOUT_MS} ms check timeout)`, failure: 'timeout' },
  { fault: 'reset', label: 'copies reset the connection', failure: 'network error' },
  { fault: 'closed', label: 'copies have their port closed', failure: 'network error' },
];
const COPY_OF = { awsEuWest3: 'eu-west-3', unknown: 'cdn' };
const COPY_NAME = { awsEuWest3: 'eu-west-3 mirror', unknown: 'default blob base' };
let figure = null;
let faultsClearedAt = 0;

test('baseline: the same pulls as a GCP client (straight to upstream, no existence check)', async (t) => {
  for (const image of rig.images) {
    rig.resetLogs();
    const { durationMs } = await pull('skopeo', 'gcp', image);
    baseline[image.name] = durationMs;
    t.diagnostic(`fault baseline skopeo ${image.name}: ${durationMs} ms`);
  }
});

for (const { fault, label, failure } of CASES) {
  test(`${label}: pulls succeed from upstream, never a 5xx, the breaker bounds the delay`, async (t) => {
    await rig.restartWorker();
    if (fault === 'closed') {
      for (const name of FAULTY) await rig.backends[name].stop();
    } else {
      setFault(fault);
    }
    const caseStarted = Date.now();
    try {
      // The 8-blob pull from the mirror's region first, on a fresh worker:
      // the `fault figure`.
      const plan = [
        ['skopeo', 'awsEuWest3', rig.images[1]],
        ['skopeo', 'awsEuWest3', rig.images[0]],
        ['skopeo', 'unknown', rig.images[0]],
        ['skopeo', 'unknown', rig.images[1]],
      ];
      if (podmanVersion) plan.push(['podman', 'awsEuWest3', rig.images[1]]);
      if (ctrAvailable) plan.push(['ctr', 'unknown', rig.images[1]]);
      const checks = { 'eu-west-3': 0, cdn: 0 };
      for (const [n, [client, personaKey, image]] of plan.entries()) {
        rig.resetLogs();
        const what = `${fault} ${client} ${personaKey} ${image.name}`;
        const { durationMs, blobs } = await pull(client, personaKey, image);

        // Every blob from the upstream, none from any copy.
        for (const b of blobs) {
          const got = rig.blobSources(b.digest);
          assert.ok(got.upstream >= 1, `${what}: ${b.digest} not from upstream: ${JSON.stringify(got)}`);
          for (const [backend, count] of Object.entries(got)) if (backend !== 'upstream') assert.equal(count, 0, `${what}: ${b.digest} from ${backend}`);
        }
        // The worker answered every request, never 5xx, every blob with a 307
        // to upstream, saying why: the copy failed (and how), or its breaker
        // is open.
        assert.deepEqual(rig.workerFailures(), [], `${what}: 5xx or no answer`);
        const answers = blobAnswers(personaKey);
        assert.ok(answers.length >= blobs.length, `${what}: ${answers.length} blob answers`);
        const where = personaKey === 'unknown' ? 'unknown client' : 'AWS eu-west-3';
        const failed = `blob: ${where}, ${COPY_NAME[personaKey]} failed (${failure}) -> upstream`;
        const open = `blob: ${where}, ${COPY_NAME[personaKey]} breaker open -> upstream`;
        for (const a of answers) {
          assert.equal(a.status, 307, `${what}: ${a.url} answered ${a.status}`);
          assert.ok(a.location.startsWith(`${rig.upstream.url}/v2/`), `${what}: ${a.url} -> ${a.location}`);
          assert.ok([failed, open].includes(a.reason), `${what}: ${a.url}: ${a.reason}`);
        }
        const failedAnswers = answers.filter((a) => a.reason === failed);
        // A fresh worker checks the copy until BREAKER_FAILURES checks failed.
        if (n === 0) assert.ok(failedAnswers.length >= BREAKER_FAILURES, `${what}: ${failedAnswers.length} failed checks`);
        // Bounded delay: no blob answer waits much longer than the timeout;
        // with a hanging copy only the failed checks wait, and the pull
        // takes about their timeouts more than without a fault.
        const slowest = Math.max(...answers.map((a) => a.durationMs));
        assert.ok(slowest <= TIMEOUT_MS + MARGIN_MS, `${what}: a blob answer took ${slowest} ms`);
        const added = durationMs - (baseline[image.name] ?? 0);
        if (fault === 'hang') {
          for (const a of failedAnswers) assert.ok(a.durationMs >= TIMEOUT_MS - 100, `${what}: ${a.url} failed after ${a.durationMs} ms, before the timeout`);
          for (const a of answers.filter((x) => x.reason === open)) assert.ok(a.durationMs < TIMEOUT_MS / 2, `${what}: breaker-open answer took ${a.durationMs} ms`);
          assert.ok(added <= failedAnswers.length * (TIMEOUT_MS + MARGIN_MS) + MARGIN_MS, `${what}: added ${added} ms for ${failedAnswers.length} failed checks`);
        }
        if (fault === 'hang' && n === 0) {
          // The fault figure: at most timeout x BREAKER_FAILURES plus the
          // fault-free time (without a breaker: timeout x 8 blobs).
          figure = { durationMs, baselineMs: baseline[image.name], blobs: blobs.length, failedChecks: failedAnswers.length };
          assert.equal(failedAnswers.length, BREAKER_FAILURES, `${what}: skopeo fetches one blob at a time`);
          assert.ok(durationMs <= TIMEOUT_MS * BREAKER_FAILURES + baseline[image.name] + MARGIN_MS, `${what}: ${durationMs} ms`);
          t.diagnostic(
            `fault figure: skopeo, 8 blobs, mirror hanging, ${TIMEOUT_MS} ms timeout, BREAKER_FAILURES ${BREAKER_FAILURES}: ` +
              `${durationMs} ms (fault-free ${baseline[image.name]} ms; bound ${TIMEOUT_MS * BREAKER_FAILURES + baseline[image.name]} ms)`,
          );
        }
        checks[COPY_OF[personaKey]] += rig.backends[COPY_OF[personaKey]].requests({ method: 'HEAD' }).length;
        const row = `fault ${fault.padEnd(9)} ${client.padEnd(6)} ${personaKey.padEnd(10)} ${image.name.padEnd(15)} pull ${String(durationMs).padStart(5)} ms` +
          ` (${blobs.length} blobs, ${failedAnswers.length} failed checks, slowest blob answer ${slowest} ms)`;
        rows.push(row);
        t.diagnostic(row);
      }
      // Breaker: a copy is asked BREAKER_FAILURES times, then once per
      // BREAKER_SECONDS (the probe), however many blobs are pulled. (A
      // closed port logs nothing to count.)
      const probes = Math.floor((Date.now() - caseStarted) / (BREAKER_SECONDS * 1000));
      t.diagnostic(`fault ${fault} checks over the case: ${JSON.stringify(checks)} (${plan.length} pulls)`);
      if (fault !== 'closed') {
        for (const [copy, n] of Object.entries(checks)) assert.ok(n <= BREAKER_FAILURES + probes, `${fault}: ${n} checks of ${copy}`);
      }
    } finally {
      if (fault === 'closed') {
        for (const name of FAULTY) await rig.backends[name].restart();
      } else {
        setFault('normal');
      }
      faultsClearedAt = Date.now();
    }
  });
}

test('after the faults clear, the next pull uses the copies again (failures were not cached)', async (t) => {
  // The last case left both breakers open: once BREAKER_SECONDS have
  // passed, the first check is the probe, it succeeds and closes them.
  const wait = faultsClearedAt + BREAKER_SECONDS * 1000 + 500 - Date.now();
  if (wait > 0) await sleep(wait);
  for (const [personaKey, copy] of [['awsEuWest3', 'eu-west-3'], ['unknown', 'cdn']]) {
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
  t.diagnostic(`fault figure (8-blob skopeo pull, mirror hanging): ${JSON.stringify(figure)}`);
  for (const r of rows) t.diagnostic(r);
  assert.ok(rows.length >= CASES.length * 4);
});
