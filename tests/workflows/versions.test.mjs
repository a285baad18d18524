// The deploy workflow's decisions (.github/scripts/versions.mjs) on the
// shapes wrangler 4.164 writes: its output file's `version-upload` entry
// (WRANGLER_OUTPUT_FILE_PATH), `deployments status --json` and
// `deployments list --json`; and its triggers step, run as the workflow
// runs it, against the shipped wrangler.toml (offline, wrangler's own
// --dry-run for the apply).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../support/programs.mjs';
import { makeTempDir, runCommand } from '../support/processes.mjs';
import { rollbackTarget, servingVersion, splitSpecs, triggersDiff, triggersOf, uploadedVersion } from '../../.github/scripts/versions.mjs';

const OLD = '11111111-1111-4111-8111-111111111111';
const NEW = '22222222-2222-4222-8222-222222222222';
const OLDER = '33333333-3333-4333-8333-333333333333';

test("the version id is the output file's version-upload entry", () => {
  // One JSON object a line, as writeOutput appends them; a session entry first.
  const file = [
    JSON.stringify({ type: 'wrangler-session', version: 1, wrangler_version: '4.164.0', command_line_args: ['versions', 'upload'], log_file_path: '/tmp/x.log', timestamp: '2026-12-07T20:00:00.000Z' }),
    JSON.stringify({ type: 'version-upload', version: 1, worker_name: 'registry-edge-sandbox', worker_tag: 'abc', version_id: NEW, preview_url: null, wrangler_environment: 'sandbox', worker_name_overridden: false, timestamp: '2026-12-07T20:00:09.000Z' }),
    '',
  ].join('\n');
  assert.deepEqual(uploadedVersion(file), { versionId: NEW, previewUrl: null, workerName: 'registry-edge-sandbox' });
  assert.throws(() => uploadedVersion(file.split('\n')[0]), /no version-upload entry to its output file: the upload did not happen/);
  assert.throws(() => uploadedVersion(JSON.stringify({ type: 'version-upload', version_id: 'latest' })), /names no version id/);
});

test('the serving version, the split and its shares', () => {
  assert.equal(servingVersion({ versions: [{ version_id: OLD, percentage: 100 }] }), OLD);
  assert.equal(servingVersion({ versions: [{ version_id: NEW, percentage: 10 }, { version_id: OLD, percentage: 90 }] }), OLD);
  assert.throws(() => servingVersion({ versions: [] }), /lists no version/);
  assert.deepEqual(splitSpecs(NEW, OLD, 0), [`${NEW}@0%`, `${OLD}@100%`]);
  assert.deepEqual(splitSpecs(NEW, OLD, 10), [`${NEW}@10%`, `${OLD}@90%`]);
  assert.deepEqual(splitSpecs(NEW, OLD, 100), [`${NEW}@100%`]);
  // Redeploying the serving version: one version, all traffic.
  assert.deepEqual(splitSpecs(OLD, OLD, 10), [`${OLD}@100%`]);
  assert.throws(() => splitSpecs(NEW, OLD, 101), /whole percentage/);
  assert.throws(() => splitSpecs(NEW, OLD, 2.5), /whole percentage/);
  assert.throws(() => splitSpecs(NEW, 'v1', 10), /"v1" is not a version id/);
});

test('rollback goes to the version that served everything before the latest deployment', () => {
  const deployment = (created_on, ...versions) => ({ id: created_on, created_on, versions: versions.map(([version_id, percentage]) => ({ version_id, percentage })) });
  const history = [
    deployment('2026-12-01T00:00:00Z', [OLDER, 100]),
    deployment('2026-12-02T00:00:00Z', [OLD, 100]),
    deployment('2026-12-03T00:00:00Z', [NEW, 0], [OLD, 100]),
    deployment('2026-12-03T00:05:00Z', [NEW, 10], [OLD, 90]),
  ];
  // During the canary: back to the old version.
  assert.equal(rollbackTarget(history), OLD);
  // After the rollout, whatever order wrangler lists them in.
  const done = [...history, deployment('2026-12-03T00:20:00Z', [NEW, 100])];
  assert.equal(rollbackTarget(done.reverse()), OLD);
  // A smoke test that failed at 0 %: the old version alone again.
  assert.equal(rollbackTarget(history.slice(0, 3)), OLD);
  // Rolled back once: a second rollback undoes the first, as `wrangler rollback` would.
  assert.equal(rollbackTarget([...history.slice(0, 2), deployment('2026-12-04T00:00:00Z', [NEW, 100]), deployment('2026-12-04T01:00:00Z', [OLD, 100])]), NEW);
  assert.throws(() => rollbackTarget([deployment('2026-12-01T00:00:00Z', [OLD, 100])]), /name the version to roll back to/);
});

test('triggers: routes, custom domains, crons and workers.dev, compared between configurations', async () => {
  const { unstable_readConfig } = await import('wrangler');
  const shipped = triggersOf(unstable_readConfig({ config: path.join(ROOT, 'wrangler.toml'), env: 'production' }));
  assert.deepEqual(JSON.parse(JSON.stringify(shipped)), { routes: [{ pattern: 'registry.k8s.io', custom_domain: true }], crons: ['17 6 * * *'], workers_dev: false, preview_urls: null });
  assert.deepEqual(triggersDiff(shipped, shipped), []);
  assert.deepEqual(triggersDiff({ ...shipped, crons: [] }, shipped), ['crons: [] -> ["17 6 * * *"]']);
});

/** `make deploy-triggers …` in the repository: {code, output}. */
async function triggersStep(...vars) {
  const r = await runCommand('make', ['--no-print-directory', 'deploy-triggers', 'ENV=production', ...vars], { cwd: ROOT, timeoutMs: 120_000 });
  return { code: r.code, output: `${r.stdout}\n${r.stderr}` };
}

test('the triggers step compares with the deployed commit and applies with wrangler triggers deploy', async () => {
  const unchanged = await triggersStep('SINCE=HEAD');
  assert.equal(unchanged.code, 0, unchanged.output);
  assert.match(unchanged.output, /triggers of production: unchanged since HEAD\ntriggers_changed=false/);
  // A commit whose wrangler.toml had no production cron: the change is named.
  const before = (await runCommand('git', ['show', 'HEAD:wrangler.toml'], { cwd: ROOT })).stdout;
  const work = await makeTempDir('registry-edge-triggers-test-');
  try {
    const old = before.replace(/\[env\.production\.triggers\]\ncrons = \[[^\]]*\]/, '[env.production.triggers]\ncrons = []');
    assert.notEqual(old, before, 'the shipped production cron is where the test expects it');
    const repo = path.join(work.dir, 'repo');
    for (const args of [['init', '-q', repo], ['-C', repo, 'config', 'user.email', 't@example'], ['-C', repo, 'config', 'user.name', 't']]) {
      assert.equal((await runCommand('git', args)).code, 0);
    }
    await writeFile(path.join(repo, 'wrangler.toml'), old);
    await runCommand('git', ['-C', repo, 'add', 'wrangler.toml']);
    await runCommand('git', ['-C', repo, 'commit', '-qm', 'old']);
    const sha = (await runCommand('git', ['-C', repo, 'rev-parse', 'HEAD'])).stdout.trim();
    // The deployed commit's objects, fetched into this checkout as a workflow's full clone has them.
    assert.equal((await runCommand('git', ['fetch', '-q', repo, sha], { cwd: ROOT })).code, 0);
    const changed = await triggersStep(`SINCE=${sha}`);
    assert.equal(changed.code, 0, changed.output);
    assert.match(changed.output, /triggers of production: crons: \[\] -> \["17 6 \* \* \*"\]\ntriggers_changed=true/);
    // Unknown deployed commit (a version uploaded by hand): apply them.
    const unknown = await triggersStep('SINCE=0000000000000000000000000000000000000000');
    assert.match(unknown.output, /the deployed commit is unknown: apply them\ntriggers_changed=true/);
    const applied = await triggersStep('APPLY=1', 'DRY_RUN=1');
    assert.equal(applied.code, 0, applied.output);
    assert.match(applied.output, /wrangler triggers deploy.*experimental/s);
    assert.match(applied.output, /--dry-run: exiting now\./);
  } finally {
    await work.remove();
  }
});

test('the deploy steps refuse what is not a version id or a known step, without calling Cloudflare', async () => {
  const bad = await runCommand('make', ['--no-print-directory', 'deploy-split', 'ENV=sandbox', 'VERSION=latest', `PREVIOUS=${OLD}`, 'PERCENT=10'], { cwd: ROOT, timeoutMs: 60_000 });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--version "latest" is not a version id/);
  const missing = await runCommand('node', ['.github/scripts/deploy.mjs', 'upload', '--env', 'sandbox'], { cwd: ROOT, timeoutMs: 60_000 });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /upload needs --tag/);
  const workflow = await readFile(path.join(ROOT, '.github/workflows/deploy.yml'), 'utf8');
  for (const target of [...workflow.matchAll(/make --no-print-directory ([a-z-]+)/g)].map((m) => m[1])) {
    const dry = await runCommand('make', ['-n', target, 'ENV=sandbox', 'URL=https://x.example'], { cwd: ROOT, timeoutMs: 30_000 });
    assert.equal(dry.code, 0, `the workflow's make ${target} exists: ${dry.stderr}`);
  }
});
