// Pull sessions with real clients (docs/operating.md, "Pull sessions"): with
// PULL_SESSIONS = true, skopeo, podman and ctr still pull through the worker
// (digests as pushed, blobs from the persona's mirror), and the worker's own
// request records (its console.log lines, captured from wrangler dev) show
// each pull as its session: a challenge, one token, and every later request
// of the pull carrying that token (containerd: two, see the ctr test).
//
// Same rig as pulls.test.mjs (tests/support/edge-rig.mjs), one persona.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { makeTempDir } from '../support/processes.mjs';
import { startEdgeRig, blobsOf } from '../support/edge-rig.mjs';
import { skopeoCopyToDir, podmanSandbox, toolVersion } from '../support/clients.mjs';
import { startContainerd } from '../support/containerd.mjs';
import { readRecords } from '../support/records.mjs';
import { sleep } from '../support/processes.mjs';

const PERSONA = 'awsEuWest3';
const work = await makeTempDir('registry-edge-sessions-');
let rig;

before(async () => {
  rig = await startEdgeRig({
    workDir: work.dir,
    personaKeys: [PERSONA],
    vars: { PULL_SESSIONS: true },
    workerOptions: { logLevel: 'log' },
  });
});

after(async () => {
  await rig?.stop();
  await work.remove();
});

/** Runs `pull` and returns the worker's records of the requests it made. */
async function recordsOf(pull) {
  const before = (await readRecords(rig.worker.logFile)).length;
  const result = await pull();
  await sleep(300); // the last lines reach the log file
  return { result, records: (await readRecords(rig.worker.logFile)).slice(before) };
}

/** The requests of a pull in order, e.g. "GET ping 401, GET token 200 (s1), ...". */
function sequence(records) {
  const names = new Map();
  return records
    .map((r) => {
      if (r.session && !names.has(r.session)) names.set(r.session, `s${names.size + 1}`);
      return `${r.method} ${r.kind} ${r.status}${r.session ? ` (${names.get(r.session)})` : ''}`;
    })
    .join(', ');
}

/**
 * The pull's sessions: it starts with a 401 challenge (of a `first` kind
 * request), each challenge is followed by one token, and every other
 * request carries the token fetched last. Blobs were redirected (307) to
 * the persona's mirror, or the upstream for the layer the mirror lacks.
 * @returns {string[]} the sessions, in order
 */
function assertSessions(records, { first, client, count }) {
  const summary = records.map((r) => `${r.method} ${r.kind} ${r.reference ?? ''} ${r.status} ${r.session ?? '-'}`).join('\n');
  assert.equal(records[0]?.status, 401, `${client}: the pull starts with a challenge\n${summary}`);
  assert.equal(records[0].kind, first, `${client}: first request\n${summary}`);
  const sessions = [];
  let expectToken = false;
  for (const r of records) {
    if (r.status === 401) {
      assert.equal(r.session, null, summary);
      expectToken = true;
    } else if (r.kind === 'token') {
      assert.ok(expectToken, `${client}: a token without a challenge\n${summary}`);
      assert.match(r.session, /^[0-9a-f]{32}$/);
      sessions.push(r.session);
      expectToken = false;
    } else {
      assert.equal(r.session, sessions.at(-1), `${client}: ${r.method} ${r.kind} ${r.reference} outside the session\n${summary}`);
    }
  }
  assert.equal(sessions.length, count, `${client}: sessions\n${summary}`);
  assert.equal(new Set(sessions).size, sessions.length, 'every token is a new session');
  const blobs = records.filter((r) => r.kind === 'blob');
  assert.ok(blobs.length > 0 && blobs.every((r) => r.session === sessions.at(-1)), `${client}: every blob in the last session\n${summary}`);
  for (const r of blobs) {
    assert.equal(r.status, 307);
    assert.equal(r.target, rig.expectedBackend(rig.personas[PERSONA], r.reference) === 'upstream' ? 'upstream' : 'mirror');
  }
  assert.deepEqual(rig.workerFailures(), [], `${client}: the worker answered 5xx or not at all`);
  return sessions;
}

const versions = {
  skopeo: await toolVersion('skopeo'),
  podman: await toolVersion('podman'),
  ctr: (await toolVersion('containerd')) && (await toolVersion('ctr')),
};
const sessions = {};

test('skopeo pulls, and its requests share one session', async (t) => {
  const p = rig.personas[PERSONA];
  const image = rig.images[0];
  const ref = `${p.host}/${image.name}:${image.tag}`;
  rig.resetLogs();
  const { result, records } = await recordsOf(() => skopeoCopyToDir(ref, path.join(work.dir, 'skopeo'), { all: true }));
  assert.equal(result.manifestDigest, image.digest);
  assert.deepEqual(result.blobDigests, image.blobs.map((b) => b.digest).sort());
  sessions.skopeo = assertSessions(records, { first: 'ping', client: 'skopeo', count: 1 });
  t.diagnostic(`skopeo: ${sequence(records)}`);
});

test('podman pulls, and its requests share one session', { skip: !versions.podman && 'podman not installed' }, async (t) => {
  const p = rig.personas[PERSONA];
  const image = rig.images[0];
  const platform = image.manifests[0];
  const ref = `${p.host}/${image.name}:${image.tag}`;
  const pm = await podmanSandbox({ insecureHosts: [p.host] });
  try {
    rig.resetLogs();
    const { records } = await recordsOf(() => pm.pull(ref, { arch: platform.platform.architecture }));
    const info = await pm.inspect(ref);
    assert.equal(info.Digest, image.digest);
    assert.equal(`sha256:${info.Id}`, platform.config.digest);
    const got = new Set(records.filter((r) => r.kind === 'blob').map((r) => r.reference));
    for (const b of blobsOf([platform])) assert.ok(got.has(b.digest), `podman fetched ${b.digest}`);
    sessions.podman = assertSessions(records, { first: 'ping', client: 'podman', count: 1 });
    t.diagnostic(`podman: ${sequence(records)}`);
  } finally {
    await pm.remove();
  }
});

test('ctr pulls; its resolve and its fetch are one session each', { skip: !versions.ctr && 'containerd/ctr not installed' }, async (t) => {
  const p = rig.personas[PERSONA];
  const image = rig.images[0];
  const ref = `${p.host}/${image.name}:${image.tag}`;
  const containerd = await startContainerd({ contentSharingPolicy: 'isolated' });
  try {
    rig.resetLogs();
    const { records } = await recordsOf(() => containerd.pull(ref, { allPlatforms: true, namespace: 'sessions' }));
    const listed = (await containerd.images({ namespace: 'sessions' })).find((x) => x.ref === ref);
    assert.equal(listed?.digest, image.digest);
    // containerd never pings /v2/: its first request is the manifest. It
    // resolves the tag and fetches the content with two authorizers (one
    // per host lookup), so a pull is two sessions: the resolve (the tag's
    // HEAD) and the fetch (manifests by digest and every blob).
    const [resolve, fetch] = assertSessions(records, { first: 'manifest', client: 'ctr', count: 2 });
    const inResolve = records.filter((r) => r.session === resolve && r.kind !== 'token');
    assert.deepEqual(inResolve.map((r) => [r.method, r.kind, r.reference]), [['HEAD', 'manifest', image.tag]]);
    sessions.ctr = [resolve, fetch];
    t.diagnostic(`ctr: ${sequence(records)}`);
  } finally {
    await containerd.stop();
  }
});

test('every pull had its own sessions', () => {
  const all = Object.values(sessions).flat();
  assert.ok(all.length >= 1);
  assert.equal(new Set(all).size, all.length, JSON.stringify(sessions));
});
