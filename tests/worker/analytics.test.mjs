// The PULL_ANALYTICS data point, under bare workerd (tests/support/
// workerd.mjs): its Analytics Engine binding delivers each data point
// to a loopback sink, where wrangler dev's local dataset discards them.
// One data point per request, holding the values of that request's log
// line in the columns the "Analytics Engine" table of docs/operating.md names, and the
// client address in neither. Sampled (docs/operating.md, "Sampling"): a
// request the draw drops writes nothing while the weights of the points
// written still count the requests; errors and failing copies are always
// written and logged.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../support/worker.mjs';
import { startBareWorkerd } from '../support/workerd.mjs';
import { startMirror } from '../support/mirror-server.mjs';
import { request } from '../support/http.mjs';
import { sleep } from '../support/processes.mjs';
import { IP } from '../support/personas.mjs';
import { blob } from './fixtures.mjs';

let mirror, worker;

before(async () => {
  mirror = await startMirror({ name: 'eu-west-3' });
  worker = await startBareWorkerd({
    vars: {
      UPSTREAM_REGISTRY_ENDPOINT: 'https://upstream.example',
      BLOB_MIRRORS: { 'eu-west-3': mirror.url },
      PULL_SESSIONS: 'true',
    },
    analytics: 'PULL_ANALYTICS',
  });
});

after(async () => {
  await worker?.stop();
  await mirror?.stop();
});

/** docs/operating.md's mapping: column (index1, blobN, doubleN) -> record field. */
async function documentedMapping() {
  const doc = await readFile(path.join(ROOT, 'docs/operating.md'), 'utf8');
  const mapping = {};
  for (const m of doc.matchAll(/^\| `((?:index|blob|double)\d+)` \| `([a-z_]+)`/gm)) mapping[m[1]] = m[2];
  return mapping;
}

/** The worker's records in workerd's output (console.log lines). */
async function records() {
  return (await worker.output())
    .split('\n')
    .filter((l) => l.startsWith('{"event"'))
    .map((l) => JSON.parse(l));
}

test('one data point per request, with the log line\'s values, and no client address', async () => {
  const b = blob('analytics data point');
  mirror.addBlob(b.digest, b.bytes);
  const ip = IP.awsEuWest3;
  const headers = { 'CF-Connecting-IP': ip, 'User-Agent': 'containerd/v1.7.27', Authorization: 'Bearer 0123456789abcdef0123456789abcdef' };
  // Only this test's requests are pulls (the readiness probe asked /_status).
  const pulls = (points) => points.filter((p) => p.blob1 === 'pull');
  const paths = ['/v2/', '/v2/pause/manifests/3.10', `/v2/pause/blobs/${b.digest}`, '/v2/Bad/blobs/x'];
  for (const p of paths) await request(worker.url, p, { headers });
  const deadline = Date.now() + 5000;
  while (pulls(worker.dataPoints()).length < paths.length && Date.now() < deadline) await sleep(50);
  await sleep(300);
  const points = pulls(worker.dataPoints());
  const lines = (await records()).filter((r) => r.event === 'pull');
  assert.equal(points.length, paths.length, JSON.stringify(points));
  assert.equal(lines.length, paths.length);

  const mapping = await documentedMapping();
  assert.equal(Object.keys(mapping).filter((c) => c.startsWith('blob')).length, 17);
  for (const [i, point] of points.entries()) {
    const record = lines[i];
    assert.equal(point.dataset, 'registry_edge_pulls');
    for (const [column, field] of Object.entries(mapping)) {
      const value = record[field];
      if (column.startsWith('double')) assert.equal(point[column], value ?? 0, `${paths[i]}: ${column} (${field})`);
      else if (column === 'index1') assert.equal(point[column], (value ?? '').slice(0, 96), `${paths[i]}: ${column}`);
      else assert.equal(point[column], value === null ? '' : String(value), `${paths[i]}: ${column} (${field})`);
    }
  }
  // Unsampled: each point stands for one request.
  for (const point of points) assert.equal(point.double4, 1, JSON.stringify(point));
  const blobPoint = points[2];
  assert.deepEqual(
    [blobPoint.blob1, blobPoint.blob2, blobPoint.blob6, blobPoint.blob8, blobPoint.blob9, blobPoint.blob13, blobPoint.double1],
    ['pull', 'blob', 'mirror', 'AWS', 'eu-west-3', 'head', 307],
  );
  assert.equal(blobPoint.blob14, '0123456789abcdef0123456789abcdef');

  for (const raw of worker.rawDataPoints()) {
    const decoded = JSON.stringify(Object.values(JSON.parse(raw)).map((v) => (Array.isArray(v) ? Buffer.from(v).toString('utf8') : v)));
    assert.ok(!decoded.includes(ip) && !raw.includes(ip), `the address in a data point: ${decoded}`);
  }
  assert.equal((await worker.output()).indexOf(ip), -1, 'the address in workerd\'s output');
});

test('LOG_SAMPLE_RATE = 0: no log line, still one data point per request', async () => {
  const quiet = await startBareWorkerd({
    vars: { UPSTREAM_REGISTRY_ENDPOINT: 'https://upstream.example', LOG_SAMPLE_RATE: '0' },
    analytics: 'PULL_ANALYTICS',
  });
  try {
    for (let i = 0; i < 5; i++) assert.equal((await request(quiet.url, '/v2/pause/manifests/3.10')).status, 307);
    const deadline = Date.now() + 5000;
    const manifests = () => quiet.dataPoints().filter((p) => p.blob2 === 'manifest');
    while (manifests().length < 5 && Date.now() < deadline) await sleep(50);
    assert.equal(manifests().length, 5);
    const output = await quiet.output();
    assert.ok(!output.includes('{"event"'), `a record was logged:\n${output}`);
  } finally {
    await quiet.stop();
  }
});

/** Starts a worker with these sampling rates; stops it after `fn`. */
async function withRates(vars, fn) {
  const w = await startBareWorkerd({
    vars: { UPSTREAM_REGISTRY_ENDPOINT: 'https://upstream.example', ...vars },
    analytics: 'PULL_ANALYTICS',
  });
  try {
    await fn(w);
  } finally {
    await w.stop();
  }
}

/** The pull data points, once none has arrived for 500 ms (at most 10 s). */
async function settledPullPoints(w) {
  const pulls = () => w.dataPoints().filter((p) => p.blob1 === 'pull');
  const deadline = Date.now() + 10_000;
  let seen = -1;
  while (pulls().length !== seen && Date.now() < deadline) {
    seen = pulls().length;
    await sleep(500);
  }
  return pulls();
}

test('ANALYTICS_SAMPLE_RATE = 0.5: each point weighs 2, and the weights count the requests', async () => {
  await withRates({ LOG_SAMPLE_RATE: '0', ANALYTICS_SAMPLE_RATE: '0.5' }, async (w) => {
    const n = 300;
    for (let i = 0; i < n; i++) assert.equal((await request(w.url, `/v2/pause/manifests/v${i}`)).status, 307);
    const points = await settledPullPoints(w);
    assert.ok(points.every((p) => p.double4 === 2 && p.blob2 === 'manifest'), JSON.stringify(points.slice(0, 3)));
    // Binomial: the weighted count is within five standard errors
    // (sqrt(n (1 - p) / p) = 17.3) of the requests sent.
    const counted = points.reduce((sum, p) => sum + p.double4, 0);
    assert.ok(Math.abs(counted - n) <= 5 * Math.sqrt(n), `${counted} counted for ${n} requests`);
    assert.ok(!(await w.output()).includes('{"event"'), 'a sampled-out line was logged');
  });
});

test('errors and failing copies are written and logged whatever the sample; ordinary requests are not', async () => {
  const sick = await startMirror({ name: 'eu-west-3', mode: 'status500' });
  try {
    await withRates(
      { LOG_SAMPLE_RATE: '0', ANALYTICS_SAMPLE_RATE: '0', BLOB_MIRRORS: { 'eu-west-3': sick.url } },
      async (w) => {
        const b = blob('sampled out, failing copy');
        const sent = [
          ['/v2/pause/manifests/3.10', {}, 307],
          ['/v2/', {}, 200],
          ['/v2/Bad/blobs/x', {}, 400],
          ['/v2/_catalog', {}, 404],
          [`/v2/pause/blobs/${b.digest}`, { 'CF-Connecting-IP': IP.awsEuWest3 }, 307],
        ];
        for (const [p, headers, status] of sent) assert.equal((await request(w.url, p, { headers })).status, status, p);
        const points = await settledPullPoints(w);
        // The two errors and the blob whose mirror failed: weight 1 each.
        assert.deepEqual(
          points.map((p) => [p.blob2, p.double1, p.double4]).sort(),
          [['blob', 307, 1], ['error', 400, 1], ['error', 404, 1]].sort(),
          JSON.stringify(points),
        );
        const failed = points.find((p) => p.blob2 === 'blob');
        assert.match(failed.blob16, /failed \(status 500\)/);
        // Their lines are logged; the manifest's and the ping's are not.
        const lines = (await w.output()).split('\n').filter((l) => l.startsWith('{"event"')).map((l) => JSON.parse(l));
        assert.deepEqual(lines.map((r) => r.status).sort(), [307, 400, 404]);
        assert.equal(lines.find((r) => r.status === 307).kind, 'blob');
      },
    );
  } finally {
    await sick.stop();
  }
});
