// Operating the worker (docs/operating.md), in workerd under wrangler dev:
// one JSON record per request in the worker's own output and the client
// address nowhere in it; the PULL_RATE_LIMIT binding (simulated by wrangler
// dev) answering a burst with 429 TOOMANYREQUESTS and letting the next
// window through; the pull session flow; /_status.
//
// Two workers: `full` with PULL_SESSIONS and both optional bindings
// (`[[ratelimits]]`, `[[analytics_engine_datasets]]`), `plain` with
// neither (nothing limited, no challenge).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, startWorker } from '../support/worker.mjs';
import { startMirror } from '../support/mirror-server.mjs';
import { request, ociCode } from '../support/http.mjs';
import { readRecords, waitForRecords } from '../support/records.mjs';
import { sleep } from '../support/processes.mjs';
import { IP } from '../support/personas.mjs';
import { blob } from './fixtures.mjs';

const UPSTREAM = 'https://upstream.example';
const LIMIT = 20;
const PERIOD = 10;
const BINDINGS = `
[[ratelimits]]
name = "PULL_RATE_LIMIT"
namespace_id = "1001"
simple = { limit = ${LIMIT}, period = ${PERIOD} }

[[analytics_engine_datasets]]
binding = "PULL_ANALYTICS"
dataset = "registry_edge_pulls"
`;

let mirror, full, plain;

before(async () => {
  mirror = await startMirror({ name: 'eu-west-3' });
  const vars = {
    UPSTREAM_REGISTRY_ENDPOINT: UPSTREAM,
    UPSTREAM_REGISTRY_PATH: 'images',
    BLOB_MIRRORS: { 'eu-west-3': mirror.url },
    BLOB_CHECK_TIMEOUT_MS: 2000,
  };
  [full, plain] = await Promise.all([
    startWorker({
      vars: { ...vars, PULL_SESSIONS: true, RATE_LIMIT_PERIOD_SECONDS: PERIOD },
      extraToml: BINDINGS,
      logLevel: 'log',
    }),
    startWorker({ vars, logLevel: 'log' }),
  ]);
});

after(async () => {
  await full?.stop();
  await plain?.stop();
  await mirror?.stop();
});

const TOKEN = '0123456789abcdef0123456789abcdef';
const FIELDS = [
  'event', 'method', 'status', 'kind', 'host', 'repository', 'reference', 'target', 'upstream_region',
  'cloud', 'region', 'asn', 'colo', 'country', 'user_agent', 'check', 'check_ms', 'session', 'reason', 'version',
];

test('a blob pull from an AWS address: exactly one record with every field, and the address nowhere', async () => {
  const b = blob('operating: one record');
  mirror.addBlob(b.digest, b.bytes);
  const ip = IP.awsEuWest3;
  const userAgent = `skopeo/1.9.3 ${'x'.repeat(400)}`;
  const res = await request(full.url, `/v2/pause/blobs/${b.digest}`, {
    headers: { 'CF-Connecting-IP': ip, 'User-Agent': userAgent, Authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(res.status, 307);
  assert.equal(res.headers.location, mirror.blobUrl(b.digest));

  const mine = (r) => r.reference === b.digest;
  await waitForRecords(full.logFile, mine);
  await sleep(500); // a second line would have arrived by now
  const records = (await readRecords(full.logFile)).filter(mine);
  assert.equal(records.length, 1, JSON.stringify(records));
  const [r] = records;
  assert.deepEqual(Object.keys(r), FIELDS);
  assert.deepEqual(
    { ...r, check_ms: typeof r.check_ms, user_agent: r.user_agent.length },
    {
      event: 'pull',
      method: 'GET',
      status: 307,
      kind: 'blob',
      host: new URL(full.url).host,
      repository: 'pause',
      reference: b.digest,
      target: 'mirror',
      upstream_region: null,
      cloud: 'AWS',
      region: 'eu-west-3',
      // wrangler dev's placeholder request.cf
      asn: 395747,
      colo: 'DFW',
      country: 'US',
      user_agent: 256,
      check: 'head',
      check_ms: 'number',
      session: TOKEN,
      reason: 'blob: AWS eu-west-3 -> eu-west-3 mirror',
      // This worker has no [version_metadata] binding.
      version: null,
    },
  );
  assert.ok(userAgent.startsWith(r.user_agent));

  // More answers to the same address: a manifest, a ping, an error.
  for (const p of ['/v2/pause/manifests/3.10', '/v2/', '/v2/Bad/manifests/x', '/_status']) {
    const other = await request(full.url, p, { headers: { 'CF-Connecting-IP': ip } });
    assert.ok(!JSON.stringify(other.headers).includes(ip) && !other.body.includes(ip), `${p}: ${JSON.stringify(other)}`);
  }
  await waitForRecords(full.logFile, (x) => x.kind === 'status', { count: 1 });
  const everything = await readFile(full.logFile, 'utf8');
  assert.ok(everything.length > 0);
  assert.equal(everything.indexOf(ip), -1, `the client address appears in the worker's output:\n${everything}`);
});

/** Waits until the clock is early in a rate limit window (windows are aligned to it). */
async function startOfWindow() {
  const into = Date.now() % (PERIOD * 1000);
  if (into > 2000) await sleep(PERIOD * 1000 - into + 100);
}

test('PULL_RATE_LIMIT: a burst gets 429 TOOMANYREQUESTS with Retry-After, the next window passes', async () => {
  const ip = '35.180.77.1'; // AWS eu-west-3, a key no other test uses
  const pull = (who = ip) =>
    request(full.url, '/v2/pause/manifests/3.10', { headers: { 'CF-Connecting-IP': who, Authorization: `Bearer ${TOKEN}` } });
  await startOfWindow();
  const answers = [];
  for (let i = 0; i < LIMIT + 4; i++) answers.push(await pull());
  const statuses = answers.map((a) => a.status);
  assert.deepEqual(statuses, [...Array(LIMIT).fill(307), ...Array(4).fill(429)], statuses.join(' '));
  const limited = answers.at(-1);
  assert.equal(ociCode(limited), 'TOOMANYREQUESTS');
  assert.match(limited.headers['content-type'], /application\/json/);
  const retryAfter = Number(limited.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= PERIOD, `Retry-After ${limited.headers['retry-after']}`);
  assert.ok(limited.headers['x-registry-edge-ranges']);

  // Another address is not limited by this one's burst.
  assert.equal((await pull('35.180.77.2')).status, 307);

  // After Retry-After seconds, the next window.
  await sleep(retryAfter * 1000 + 200);
  assert.equal((await pull()).status, 307);

  const records = await waitForRecords(full.logFile, (r) => r.status === 429, { count: 4 });
  assert.equal(records.length, 4);
  for (const r of records) assert.deepEqual([r.kind, r.reason, r.cloud, r.region], ['manifest', 'rate limited', 'AWS', 'eu-west-3']);
  const everything = await readFile(full.logFile, 'utf8');
  assert.equal(everything.indexOf(ip), -1, 'the rate limit key (the address) was logged');
});

test('without the binding nothing is limited', async () => {
  const answers = [];
  for (let i = 0; i < LIMIT + 4; i++) {
    answers.push((await request(plain.url, '/v2/pause/tags/list', { headers: { 'CF-Connecting-IP': '35.180.77.3' } })).status);
  }
  assert.deepEqual(answers, Array(LIMIT + 4).fill(307));
  const status = JSON.parse((await request(plain.url, '/_status')).body);
  assert.deepEqual(status.features, { pull_sessions: false, rate_limit: false, analytics: false, log_sample_rate: 1, analytics_sample_rate: 1, upstream_health_checks: false, mirror_fallback_km: 2000, known_repositories: { on: false, repositories: null, age_seconds: null } });
});

test('pull sessions: challenge, token, tagged requests; off by default', async () => {
  const ip = '35.180.1.9'; // AWS eu-west-3, its own rate limit key
  const host = new URL(full.url).host;
  const ping = await request(full.url, '/v2/', { headers: { 'CF-Connecting-IP': ip } });
  assert.equal(ping.status, 401);
  assert.equal(ping.headers['www-authenticate'], `Bearer realm="http://${host}/token",service="${host}"`);
  assert.equal(ping.headers['docker-distribution-api-version'], 'registry/2.0');
  assert.equal(ociCode(ping), 'UNAUTHORIZED');

  // The client follows the realm, as registry clients do.
  const realm = /realm="([^"]+)"/.exec(ping.headers['www-authenticate'])[1];
  const tokenRes = await fetch(`${realm}?scope=repository:pause:pull&service=${host}`);
  assert.equal(tokenRes.status, 200);
  assert.equal(tokenRes.headers.get('cache-control'), 'no-store');
  const body = await tokenRes.json();
  assert.match(body.token, /^[0-9a-f]{32}$/);
  assert.equal(body.access_token, body.token);
  assert.equal(body.expires_in, 3600);
  const second = await (await fetch(realm)).json();
  assert.notEqual(second.token, body.token, 'every token is a new random session');

  const auth = { 'CF-Connecting-IP': ip, Authorization: `Bearer ${body.token}` };
  const b = blob('operating: session');
  mirror.addBlob(b.digest, b.bytes);
  assert.equal((await request(full.url, '/v2/', { headers: auth })).status, 200);
  assert.equal((await request(full.url, '/v2/pause/manifests/3.10', { headers: auth })).status, 307);
  assert.equal((await request(full.url, `/v2/pause/blobs/${b.digest}`, { headers: auth })).status, 307);
  // An anonymous manifest request is challenged too (containerd starts there).
  assert.equal((await request(full.url, '/v2/pause/manifests/3.10', { headers: { 'CF-Connecting-IP': ip } })).status, 401);
  // A bearer of another shape is ignored, never an error.
  const foreign = await request(full.url, `/v2/pause/blobs/${b.digest}`, { headers: { ...auth, Authorization: 'Bearer eyJhbGciOi.e30.sig' } });
  assert.equal(foreign.status, 307);

  const tagged = await waitForRecords(full.logFile, (r) => r.session === body.token, { count: 4 });
  assert.deepEqual(
    tagged.map((r) => [r.kind, r.status]),
    [['token', 200], ['ping', 200], ['manifest', 307], ['blob', 307]],
  );
  const [untagged] = await waitForRecords(full.logFile, (r) => r.reference === b.digest && r.session === null);
  assert.equal(untagged.status, 307);

  // Off by default: the plain worker answers 200 and has no token endpoint.
  assert.equal((await request(plain.url, '/v2/')).status, 200);
  assert.equal((await request(plain.url, '/token')).status, 404);
});

/** `created=` of each provider in the committed snapshot, as ISO 8601 (UTC), or null. */
async function snapshotDates() {
  const text = await readFile(path.join(ROOT, 'ranges/cloud-ranges.txt'), 'utf8');
  const dates = {};
  for (const m of text.matchAll(/^# provider (\S+) .*\bcreated=(\S+)/gm)) {
    const d = m[2].match(/^(\d{4})-(\d{2})-(\d{2})[-T](\d{2})[-:](\d{2})[-:](\d{2})/);
    dates[m[1]] = d ? `${d[1]}-${d[2]}-${d[3]}T${d[4]}:${d[5]}:${d[6]}Z` : null;
  }
  return dates;
}

test('/_status: the build, the range data per provider, copies by name, features', async () => {
  const res = await request(full.url, '/_status');
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /application\/json/);
  const status = JSON.parse(res.body);
  const cargo = await readFile(path.join(ROOT, 'Cargo.toml'), 'utf8');
  assert.equal(status.version, /^version = "([^"]+)"/m.exec(cargo)[1]);
  assert.match(status.commit, /^([0-9a-f]{40}|unknown)$/);
  assert.match(status.ranges.compiled, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

  const dates = await snapshotDates();
  assert.deepEqual(Object.keys(dates), ['AWS', 'GCP', 'Azure']);
  assert.deepEqual(status.ranges.providers.map((p) => [p.cloud, p.created]), Object.entries(dates));
  for (const p of status.ranges.providers) {
    assert.ok(p.v4_prefixes > 0 && p.v6_prefixes > 0 && typeof p.sync_token === 'string', JSON.stringify(p));
    if (p.created) {
      const age = Math.floor((Date.now() - Date.parse(p.created)) / 86_400_000);
      assert.ok(Math.abs(p.age_days - age) <= 1, `${p.cloud}: age ${p.age_days}, expected about ${age}`);
    } else {
      assert.equal(p.age_days, null);
    }
  }
  const oldest = Object.values(dates).filter(Boolean).sort()[0];
  assert.equal(status.ranges.oldest, oldest);
  assert.deepEqual(status.copies, { mirrors: ['eu-west-3'], default_blob_base: false, signature_upstream: false, upstream_regions: [] });
  assert.deepEqual(status.features, { pull_sessions: true, rate_limit: true, analytics: true, log_sample_rate: 1, analytics_sample_rate: 1, upstream_health_checks: false, mirror_fallback_km: 2000, known_repositories: { on: false, repositories: null, age_seconds: null } });
  assert.ok(!res.body.includes(mirror.url) && !res.body.includes('://'), 'no URL in the status');

  // Every /v2 answer names the oldest range data.
  for (const p of ['/v2/', '/v2/pause/manifests/3.10', '/v2/_catalog']) {
    assert.equal((await request(plain.url, p)).headers['x-registry-edge-ranges'], oldest, p);
  }
  assert.equal((await request(plain.url, '/')).headers['x-registry-edge-ranges'], undefined);
});

test('wrangler.toml: each rate limit binding and RATE_LIMIT_PERIOD_SECONDS agree', async () => {
  const { unstable_readConfig } = await import('wrangler');
  for (const env of [undefined, 'production', 'sandbox']) {
    const config = unstable_readConfig({ config: path.join(ROOT, 'wrangler.toml'), env });
    const limit = config.ratelimits.find((r) => r.name === 'PULL_RATE_LIMIT');
    assert.ok(limit, `${env ?? 'top level'}: no PULL_RATE_LIMIT binding`);
    assert.equal(Number(config.vars.RATE_LIMIT_PERIOD_SECONDS), limit.simple.period, env ?? 'top level');
    // 2,490 requests / 30 s (Cloud Armor) at the binding's period.
    assert.equal(limit.simple.limit / limit.simple.period, 2490 / 30, env ?? 'top level');
    assert.ok(config.analytics_engine_datasets.some((d) => d.binding === 'PULL_ANALYTICS'));
  }
});
