// Health-aware upstream failover over HTTP, against the built wasm in
// workerd (wrangler dev --test-scheduled, a local KV namespace): two
// loopback upstreams, one taken down; GET /__scheduled runs the cron's
// probe; the dead one's nearest clients go to the live one, and back when
// it recovers. Every answer below 500 counts as up (the loopback stand-in
// answers /v2/ with 404, Artifact Registry with 401).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startWorker } from '../support/worker.mjs';
import { startMirror } from '../support/mirror-server.mjs';
import { makeTempDir } from '../support/processes.mjs';
import { request } from '../support/http.mjs';
import { IP } from '../support/personas.mjs';

let east, west, state, worker;

const start = () =>
  startWorker({
    vars: {
      UPSTREAM_REGISTRY_ENDPOINT: east.url,
      // GCP regions placed by the compiled sites: us-east4 (Ashburn) and
      // europe-west1 (St. Ghislain).
      UPSTREAM_REGIONS: [
        { name: 'us-east4', endpoint: east.url },
        { name: 'europe-west1', endpoint: west.url },
      ],
      UPSTREAM_HEALTH_CHECKS: true,
    },
    kvNamespaces: ['UPSTREAM_HEALTH'],
    crons: ['* * * * *'],
    extraArgs: ['--test-scheduled'],
    // 'log' keeps console.log lines (the probe's summary) in the log file.
    logLevel: 'log',
    // Kept across restarts: the KV record outlives an isolate.
    stateDir: state.dir,
  });

before(async () => {
  east = await startMirror({ name: 'us-east4' });
  west = await startMirror({ name: 'europe-west1' });
  state = await makeTempDir('registry-edge-health-state-');
  worker = await start();
});

after(async () => {
  await worker?.stop();
  await east?.stop();
  await west?.stop();
  await state?.remove();
});

/** Runs the scheduled probe once (wrangler dev's test route). */
async function probe() {
  const res = await request(worker.url, '/__scheduled?cron=*+*+*+*+*');
  assert.equal(res.status, 200, res.body);
}

const probesOf = (upstream) => upstream.requests({ method: 'GET', path: '/v2/' }).length;

/** Where a manifest request of `ip` is sent, and why. */
async function upstreamOf(ip) {
  const res = await request(worker.url, '/v2/pause/manifests/3.10', { headers: { 'CF-Connecting-IP': ip } });
  assert.equal(res.status, 307, res.body);
  const origin = new URL(res.headers.location).origin;
  return { where: origin === east.url ? 'east' : origin === west.url ? 'west' : origin, reason: res.headers['x-registry-edge-reason'] };
}

test('no record yet: every region eligible, nearest wins', async () => {
  assert.equal((await upstreamOf(IP.awsUsEast1)).where, 'east');
  assert.equal((await upstreamOf(IP.gcpUsEast4)).where, 'east');
  assert.equal((await upstreamOf(IP.awsEuWest3)).where, 'west');
});

test('both healthy: a probe of each, nothing changes', async () => {
  const before = [probesOf(east), probesOf(west)];
  await probe();
  assert.deepEqual([probesOf(east), probesOf(west)], [before[0] + 1, before[1] + 1]);
  assert.equal((await upstreamOf(IP.awsUsEast1)).where, 'east');
});

test('east answers 500: after a probe its nearest clients go west', async () => {
  east.setMode('status500');
  await probe();
  const { where, reason } = await upstreamOf(IP.awsUsEast1);
  assert.equal(where, 'west');
  assert.equal(reason, `manifest -> upstream europe-west1 (healthy nearest to AWS us-east-1, 6218 km) [1 unhealthy skipped]`);
  // Even a GCP client in us-east4 itself.
  assert.equal((await upstreamOf(IP.gcpUsEast4)).where, 'west');
  // Blobs going upstream too.
  const blob = await request(worker.url, `/v2/pause/blobs/sha256:${'a'.repeat(64)}`, {
    headers: { 'CF-Connecting-IP': IP.gcpUsEast4 },
  });
  assert.equal(new URL(blob.headers.location).origin, west.url);
  // wrangler writes the worker's console lines a little after the answer.
  const line = /upstream health: 2 regions probed, unhealthy: \[us-east4\]/;
  let log = '';
  for (let waited = 0; waited < 5000 && !line.test(log); waited += 100) {
    log = await readFile(worker.logFile, 'utf8');
    if (!line.test(log)) await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(log, line);
});

test('a new isolate reads the record from KV', async () => {
  await worker.stop();
  worker = await start();
  assert.equal((await upstreamOf(IP.awsUsEast1)).where, 'west');
});

test('east recovers: after a probe its clients come back', async () => {
  east.setMode('normal');
  await probe();
  const { where, reason } = await upstreamOf(IP.awsUsEast1);
  assert.equal(where, 'east');
  assert.equal(reason, 'manifest -> upstream us-east4 (nearest to AWS us-east-1, 0 km)');
});

test('east down (port closed), then both down: fail open', async () => {
  await east.stop();
  await probe();
  assert.equal((await upstreamOf(IP.awsUsEast1)).where, 'west');
  west.setMode('status500');
  await probe();
  const { where, reason } = await upstreamOf(IP.awsUsEast1);
  assert.equal(where, 'east', 'every region unhealthy: all eligible, nearest wins');
  assert.doesNotMatch(reason, /skipped/);
  await east.restart();
  west.setMode('normal');
  await probe();
  assert.equal((await upstreamOf(IP.awsUsEast1)).where, 'east');
  assert.equal((await upstreamOf(IP.awsEuWest3)).where, 'west');
});
