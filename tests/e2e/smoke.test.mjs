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

/** A wrangler configuration for `make dev CONFIG=…` and `make smoke CONFIG=…`. */
const writeConfig = (name, vars) => writeWranglerToml(path.join(work.dir, name), { vars });

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
  // The worker was built from this checkout. The committed range snapshot
  // may be more than 30 days old, which the status check warns about.
  const status = line(r.lines, 'status');
  const head = (await runCommand('git', ['rev-parse', 'HEAD'], { cwd: ROOT })).stdout.trim();
  assert.ok(status.includes(`commit ${head}, range data from `), status);
  assert.ok(/^ok {4}status: /.test(status) || /^warn {2}status: [^;]*; range data older than 30 days: [^;]*$/.test(status), status);
  assert.ok(line(r.lines, 'manifest by tag').includes(`307 to ${registry.url}/v2/${UPSTREAM_PREFIX}/${image.name}/manifests/${image.tag}`), r.output);
  assert.ok(line(r.lines, 'pull').includes(`= ${image.digest}`), r.output);
  assert.ok(line(r.lines, 'blob').includes(`307 to ${registry.url}, X-Registry-Edge-Reason: blob: unknown client`), r.output);
  assert.match(r.lines.at(-1), /^smoke test passed( with 1 warning\(s\))?$/);
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
  const vars = { UPSTREAM_REGISTRY_ENDPOINT: registry.url, UPSTREAM_REGISTRY_PATH: UPSTREAM_PREFIX, PULL_SESSIONS: true };
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
