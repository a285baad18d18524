// `make smoke` against `make dev`, offline. The worker (make dev, from a
// configuration whose upstream is a local distribution registry holding a
// two-platform image) passes every check, also with pull sessions on. The
// smoke test fails, naming the check, when nothing listens, when something
// else answers, or when the answers do not match the configuration it is
// checked against.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { freePort, makeTempDir, runCommand, spawnGroup, stopGroup, waitForHttp } from '../support/processes.mjs';
import { ROOT } from '../support/programs.mjs';
import { startRegistry } from '../support/registry.mjs';
import { startFrontProxy } from '../support/front-proxy.mjs';
import { buildAndPushTestImages, DEFAULT_IMAGES, UPSTREAM_PREFIX } from '../support/oci-images.mjs';
import { startWorker, writeWranglerToml } from '../support/worker.mjs';

const work = await makeTempDir('registry-edge-smoke-test-');
let registry;
let image;
let dev;
let devUrl;
let config;

// The committed range snapshot is months old: a deployment that should look
// fresh says how old its data may be (RANGES_MAX_AGE_DAYS, a decade).
const FRESH = { RANGES_MAX_AGE_DAYS: 3650 };

/** A wrangler configuration for `make dev CONFIG=…` and `make smoke CONFIG=…`, with the version metadata binding. */
const writeConfig = (name, vars) =>
  writeWranglerToml(path.join(work.dir, name), { vars, extraToml: '[version_metadata]\nbinding = "CF_VERSION_METADATA"\n' });

/** `make smoke` with these make variables: {code, lines}. */
async function smoke(vars) {
  const r = await runCommand('make', ['--no-print-directory', 'smoke', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)], {
    cwd: ROOT,
    timeoutMs: 300_000,
  });
  const lines = r.stdout.split('\n').filter(Boolean);
  return { code: r.code, lines, output: `${r.stdout}\n${r.stderr}` };
}

/** The make variables naming the image pushed to the local registry. */
const pushedImage = () => ({ IMAGE: `${image.name}:${image.tag}`, DIGEST: image.digest });

const line = (lines, check) => lines.find((l) => l.slice(6).startsWith(`${check}:`));

before(async () => {
  registry = await startRegistry();
  [image] = await buildAndPushTestImages({ workDir: work.dir, registryHost: registry.host, specs: [DEFAULT_IMAGES[1]] });
  config = await writeConfig('local', {
    UPSTREAM_REGISTRY_ENDPOINT: registry.url,
    UPSTREAM_REGISTRY_PATH: UPSTREAM_PREFIX,
    ...FRESH,
  });
  const port = await freePort();
  devUrl = `http://127.0.0.1:${port}`;
  dev = spawnGroup('make', ['--no-print-directory', 'dev', `DEV_PORT=${port}`, `CONFIG=${config}`], {
    cwd: ROOT,
    logFile: path.join(work.dir, 'make-dev.log'),
    env: { ...process.env, CI: 'true' },
  });
  await waitForHttp(`${devUrl}/v2/`, { timeoutMs: 180_000, child: dev, accept: (s) => s === 200 });
});

after(async () => {
  if (dev) await stopGroup(dev);
  await registry?.stop();
  await work.remove();
});

test('make smoke passes against make dev with the local registry', async (t) => {
  const r = await smoke({ URL: devUrl, CONFIG: config, ...pushedImage() });
  assert.equal(r.code, 0, r.output);
  for (const l of r.lines.filter((l) => !l.startsWith('node ') && !/^\s/.test(l))) t.diagnostic(l);
  for (const check of ['ping', 'manifest by tag', 'pull', 'blob']) {
    assert.match(line(r.lines, check) ?? '', /^ok {4}/, `${check}:\n${r.output}`);
  }
  assert.match(line(r.lines, 'ping'), /GET \/v2\/ 200, Docker-Distribution-API-Version registry\/2\.0/);
  // The worker was built from this checkout, and names its Workers version.
  const status = line(r.lines, 'status');
  const head = (await runCommand('git', ['rev-parse', 'HEAD'], { cwd: ROOT })).stdout.trim();
  assert.ok(status.includes(`commit ${head}, range data from `), status);
  assert.match(status, /^ok {4}status: Workers version [0-9a-f-]{36}, version /);
  assert.ok(line(r.lines, 'manifest by tag').includes(`307 to ${registry.url}/v2/${UPSTREAM_PREFIX}/${image.name}/manifests/${image.tag}`), r.output);
  assert.ok(line(r.lines, 'pull').includes(`= ${image.digest}`), r.output);
  assert.ok(line(r.lines, 'blob').includes(`307 to ${registry.url}, X-Registry-Edge-Reason: blob: unknown client`), r.output);
  assert.equal(r.lines.at(-1), 'smoke test passed');
});

/** The Workers version make dev runs (wrangler dev's binding: a random id, no tag). */
async function devVersion() {
  const status = await (await fetch(`${devUrl}/_status`)).json();
  assert.equal(status.worker_version.tag, null);
  return status.worker_version.id;
}

test('make smoke VERSION=… sends the version override on every request and checks /_status reports that version', async () => {
  const version = await devVersion();
  // A proxy in front of make dev records what reaches it.
  const proxy = await startFrontProxy({ target: devUrl, clientIp: null });
  try {
    const r = await smoke({ URL: proxy.url, CONFIG: config, ...pushedImage(), VERSION: version });
    assert.equal(r.code, 0, r.output);
    assert.ok(r.lines.find((l) => l.startsWith('smoke test of')).endsWith(`, version ${version} (Cloudflare-Workers-Version-Overrides: registry-edge-test="${version}")`), r.output);
    assert.match(line(r.lines, 'status'), new RegExp(`^ok {4}status: Workers version ${version}, `));
    assert.match(line(r.lines, 'pull'), /^ok {4}pull: skopeo copied/);
    // Every request, skopeo's included (through the smoke test's own proxy), carried the override.
    const overrides = proxy.log.map((e) => e.headers['cloudflare-workers-version-overrides']);
    assert.ok(proxy.log.some((e) => e.headers['user-agent'] !== 'registry-edge-smoke' && e.url.includes('/manifests/')), 'skopeo pulled through it');
    assert.deepEqual([...new Set(overrides)], [`registry-edge-test="${version}"`]);
  } finally {
    await proxy.stop();
  }
  // Another version: the override did not reach it (wrangler dev, like the edge for a version outside the deployment, ignores it).
  const other = '00000000-0000-4000-8000-000000000000';
  const missed = await smoke({ URL: devUrl, CONFIG: config, ...pushedImage(), VERSION: other });
  assert.notEqual(missed.code, 0, missed.output);
  assert.match(line(missed.lines, 'status'), new RegExp(`^FAIL {2}status: .*/_status reports Workers version ${version}, not ${other}: the override was not applied`));
  const bad = await smoke({ URL: devUrl, CONFIG: config, VERSION: 'latest' });
  assert.equal(bad.code, 2, bad.output);
  assert.match(bad.output, /--version "latest" is not a Workers version id/);
});

test("make smoke fails on range data older than the deployment's RANGES_MAX_AGE_DAYS", async (t) => {
  // The default limit (45 days) against the committed snapshot's age.
  const vars = { UPSTREAM_REGISTRY_ENDPOINT: registry.url, UPSTREAM_REGISTRY_PATH: UPSTREAM_PREFIX };
  const stale = await startWorker({ vars });
  try {
    const status = await (await fetch(`${stale.url}/_status`)).json();
    assert.equal(status.ranges.max_age_days, 45);
    assert.equal(status.ranges.stale, status.ranges.age_days > 45, JSON.stringify(status.ranges));
    const r = await smoke({ URL: stale.url, CONFIG: await writeConfig('stale', vars), ...pushedImage() });
    if (status.ranges.stale) {
      assert.notEqual(r.code, 0, r.output);
      assert.match(line(r.lines, 'status'), new RegExp(`^FAIL {2}status: .*; the range data is ${status.ranges.age_days} days old, older than the deployment's RANGES_MAX_AGE_DAYS \\(45\\): make ranges, merge, deploy$`));
      t.diagnostic(`the committed snapshot is ${status.ranges.age_days} days old: stale under the default`);
    } else {
      assert.equal(r.code, 0, r.output);
    }
  } finally {
    await stale.stop();
  }
});

test('make smoke fails at the ping when no worker listens there', async () => {
  const url = `http://127.0.0.1:${await freePort()}`;
  const r = await smoke({ URL: url, CONFIG: config, ...pushedImage() });
  assert.notEqual(r.code, 0, r.output);
  assert.match(line(r.lines, 'ping') ?? '', /^FAIL {2}ping: fetch failed \(ECONNREFUSED\)/, r.output);
  assert.match(line(r.lines, 'pull') ?? '', /^FAIL {2}pull: skopeo copy/, r.output);
  assert.match(line(r.lines, 'blob') ?? '', /^skip {2}blob: needs a blob digest from the pull/, r.output);
  assert.equal(r.lines.at(-1), 'smoke test FAILED: 4 check(s); 1 skipped');
});

test('make smoke fails, naming the check, when the deployment answers other than its configuration says', async () => {
  // The same worker, checked against a configuration with another upstream
  // (as when the wrong environment was deployed), and another commit.
  const other = await writeConfig('other', { UPSTREAM_REGISTRY_ENDPOINT: 'https://upstream.example', UPSTREAM_REGISTRY_PATH: UPSTREAM_PREFIX });
  const r = await smoke({ URL: devUrl, CONFIG: other, ...pushedImage(), COMMIT: '0000000' });
  assert.notEqual(r.code, 0, r.output);
  assert.match(line(r.lines, 'ping'), /^ok/);
  assert.match(line(r.lines, 'status'), /^warn {2}status: .*the deployed commit is not the one asked for 0000000/, r.output);
  const manifest = line(r.lines, 'manifest by tag');
  assert.match(manifest, /^FAIL {2}manifest by tag: /, r.output);
  assert.ok(manifest.includes(`redirects to ${registry.url}, not a host`) && manifest.includes('(https://upstream.example)'), manifest);
  assert.match(line(r.lines, 'blob'), /^FAIL {2}blob: .* redirects to /, r.output);
  assert.equal(r.lines.at(-1), 'smoke test FAILED: 2 check(s); 1 warning(s)');
  assert.match(line(r.lines, 'status'), /^warn {2}status: [^;]*; the deployed commit is not the one asked for 0000000$/, r.output);
});

test('make smoke fails at ping and status when something other than the worker answers them', async () => {
  // A proxy in front of the worker answers /v2/ without the API version
  // header and /_status with a web page; everything else reaches the worker.
  const proxy = await startFrontProxy({
    target: devUrl,
    clientIp: null,
    answer: ({ url }) =>
      url === '/v2/'
        ? { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }
        : url === '/_status'
          ? { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>parked</html>' }
          : null,
  });
  try {
    const r = await smoke({ URL: proxy.url, CONFIG: config, ...pushedImage() });
    assert.notEqual(r.code, 0, r.output);
    assert.match(line(r.lines, 'ping'), /^FAIL {2}ping: GET \/v2\/ has Docker-Distribution-API-Version \(none\), not registry\/2\.0/, r.output);
    assert.match(line(r.lines, 'status'), /^FAIL {2}status: GET \/_status is not JSON: <html>parked/, r.output);
    for (const check of ['manifest by tag', 'pull', 'blob']) assert.match(line(r.lines, check), /^ok/, r.output);
    assert.equal(r.lines.at(-1), 'smoke test FAILED: 2 check(s)');
  } finally {
    await proxy.stop();
  }
});

test('make smoke follows the token flow of a deployment with pull sessions on', async () => {
  const vars = { UPSTREAM_REGISTRY_ENDPOINT: registry.url, UPSTREAM_REGISTRY_PATH: UPSTREAM_PREFIX, PULL_SESSIONS: true, ...FRESH };
  const sessions = await startWorker({ vars });
  try {
    const r = await smoke({ URL: sessions.url, CONFIG: await writeConfig('sessions', vars), ...pushedImage() });
    assert.equal(r.code, 0, r.output);
    assert.match(line(r.lines, 'ping'), /^ok {4}ping: GET \/v2\/ 401 \(pull sessions: a Bearer challenge\)/, r.output);
    for (const check of ['manifest by tag', 'pull', 'blob']) assert.match(line(r.lines, check), /^ok/, r.output);
  } finally {
    await sessions.stop();
  }
});

test('make smoke says how to call it without a URL or with an unknown environment', async () => {
  const r = await smoke({});
  assert.equal(r.code, 2, r.output);
  assert.match(r.output, /usage: make smoke URL=/);
  const unknown = await smoke({ URL: devUrl, ENV: 'nosuch' });
  assert.notEqual(unknown.code, 0, unknown.output);
  assert.match(unknown.output, /smoke test not started: .*No environment found in configuration with name "nosuch"/s);
});
