// The PULL_ANALYTICS data point, under bare workerd (tests/support/
// workerd.mjs): its Analytics Engine binding delivers each data point
// to a loopback sink, where wrangler dev's local dataset discards them.
// One data point per request, holding the values of that request's log
// line in the columns the "Analytics Engine" table of docs/operating.md names, and the
// client address in neither.

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
