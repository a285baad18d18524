// The ranges workflow's steps, run here as the workflow runs them, on a
// changed copy of the providers' July 2026 files (../shared/ranges):
// `make ranges FROM=… PR_BODY=…` prints the per-(cloud, region) diff and
// writes the pull request body; `make ranges-pull-request` commits the
// changed snapshot on ranges/refresh in a clone, pushes it to a bare
// repository standing in for GitHub's, and opens the pull request through
// a loopback stand-in for GitHub's REST API, then updates it on the next
// run. Only github.com itself is not reached.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ROOT } from '../support/programs.mjs';
import { makeTempDir, runCommand } from '../support/processes.mjs';

const RAW = process.env.RAW_RANGES_DIR && process.env.RAW_RANGES_DIR !== 'none' ? process.env.RAW_RANGES_DIR : path.join(ROOT, '../shared/ranges');
const HAVE_RAW = process.env.RAW_RANGES_DIR !== 'none' && existsSync(path.join(RAW, 'aws-ip-ranges.json'));
if (!HAVE_RAW && process.env.CI && process.env.RAW_RANGES_DIR !== 'none') throw new Error(`CI must have the raw provider files at ${RAW}`);
const skip = HAVE_RAW ? false : `no raw provider files at ${RAW} (RAW_RANGES_DIR)`;

let work, changed, removedPrefix;

before(async () => {
  if (skip) return;
  work = await makeTempDir('registry-edge-ranges-workflow-');
  changed = path.join(work.dir, 'raw');
  await mkdir(changed);
  for (const f of ['gcp-cloud.json', 'azure-service-tags.json']) await copyFile(path.join(RAW, f), path.join(changed, f));
  // AWS's next file: a new sync token, one eu-west-3 prefix gone, one
  // added, and a prefix in a region regions.txt does not place.
  const aws = JSON.parse(await readFile(path.join(RAW, 'aws-ip-ranges.json'), 'utf8'));
  removedPrefix = aws.prefixes.find((p) => p.region === 'eu-west-3' && p.ip_prefix.endsWith('/24')).ip_prefix;
  aws.syncToken = '1796000000';
  aws.createDate = '2026-12-01-00-00-00';
  aws.prefixes = aws.prefixes.filter((p) => p.ip_prefix !== removedPrefix);
  aws.prefixes.push(
    { ip_prefix: '203.0.113.0/24', region: 'eu-west-3', service: 'EC2', network_border_group: 'eu-west-3' },
    { ip_prefix: '198.51.100.0/24', region: 'xx-test-1', service: 'EC2', network_border_group: 'xx-test-1' },
  );
  await writeFile(path.join(changed, 'aws-ip-ranges.json'), JSON.stringify(aws));
});

after(async () => {
  await work?.remove();
});

/** `make <target> VARS…` in the repository. */
const make = (target, vars, opts = {}) =>
  runCommand('make', ['--no-print-directory', '-s', target, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)], { cwd: ROOT, timeoutMs: 600_000, ...opts });

test('make ranges prints the per-region diff and writes the pull request body', { skip }, async () => {
  const snapshot = path.join(work.dir, 'cloud-ranges.txt');
  await copyFile(path.join(ROOT, 'ranges/cloud-ranges.txt'), snapshot);
  const body = path.join(work.dir, 'body.md');
  const r = await make('ranges', { FROM: changed, SNAPSHOT: snapshot, PR_BODY: body });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^AWS: sync token 1785313625 -> 1796000000$/m);
  assert.match(r.stdout, new RegExp(`^AWS eu-west-3: \\+1 -1\\n  \\+ 203\\.0\\.113\\.0/24\\n  - ${removedPrefix.replace(/\./g, '\\.')}\\n`, 'm'));
  assert.match(r.stdout, /^AWS xx-test-1: \+1 -0$/m);
  assert.match(r.stdout, /new regions without a location in .*regions\.txt .*\n {2}AWS xx-test-1 \(1 prefixes\)/);
  const text = await readFile(body, 'utf8');
  assert.ok(text.includes(`\`\`\`text\n${r.stdout.split('new regions without')[0]}\`\`\``), text);
  assert.match(text, /\| AWS \| 1785313625 → 1796000000 \| \d+ \| 2 \| 1 \|/);
  assert.match(text, /- AWS xx-test-1 \(1 prefixes\)/);
  assert.ok((await readFile(snapshot, 'utf8')).includes('\n203.0.113.0/24 AWS eu-west-3\n'));
});

/** A loopback stand-in for GitHub's pulls API: records requests; `open` is the open pull request, if any. */
async function githubApi() {
  const requests = [];
  let open = null;
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const entry = { method: req.method, url: req.url, auth: req.headers.authorization, body: data ? JSON.parse(data) : null };
      requests.push(entry);
      const reply = (status, value) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.method === 'GET') return reply(200, open ? [open] : []);
      if (req.method === 'POST') {
        open = { number: 7, html_url: 'https://github.example/owner/repo/pull/7', ...entry.body };
        return reply(201, open);
      }
      if (req.method === 'PATCH') return reply(200, { ...open, ...entry.body });
      reply(404, {});
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, requests, stop: () => new Promise((r) => server.close(r)) };
}

test('make ranges-pull-request pushes ranges/refresh and opens, then updates, one pull request', { skip }, async () => {
  const server = path.join(work.dir, 'server');
  const origin = path.join(server, 'owner/repo.git');
  await mkdir(origin, { recursive: true });
  assert.equal((await runCommand('git', ['init', '-q', '--bare', origin])).code, 0);
  const clone = path.join(work.dir, 'clone');
  // The checkout's commit, as a branch main (a clone of a worktree would get the repository's HEAD).
  const head = (await runCommand('git', ['rev-parse', 'HEAD'], { cwd: ROOT })).stdout.trim();
  assert.equal((await runCommand('git', ['clone', '-q', '--no-checkout', ROOT, clone])).code, 0);
  assert.equal((await runCommand('git', ['-C', clone, 'checkout', '-q', '-B', 'main', head])).code, 0);
  const api = await githubApi();
  const env = {
    ...process.env,
    GITHUB_SERVER_URL: `file://${server}`,
    GITHUB_API_URL: api.url,
    GITHUB_REPOSITORY: 'owner/repo',
    GITHUB_REF_NAME: 'main',
    GH_TOKEN: 'test-token-not-printed',
  };
  const body = path.join(work.dir, 'body.md');
  const step = () => runCommand('node', ['.github/scripts/ranges-pull-request.mjs', '--body', body], { cwd: clone, env, timeoutMs: 60_000 });
  try {
    // Nothing changed: nothing pushed, the API not asked.
    await writeFile(body, 'unused');
    const idle = await step();
    assert.equal(idle.code, 0, idle.stderr);
    assert.match(idle.stdout, /ranges\/cloud-ranges\.txt did not change: no pull request/);
    assert.equal(api.requests.length, 0);

    // The refreshed snapshot: committed, pushed, and the pull request opened with the body.
    const made = await make('ranges', { FROM: changed, SNAPSHOT: path.join(clone, 'ranges/cloud-ranges.txt'), PR_BODY: body });
    assert.equal(made.code, 0, made.stderr);
    const opened = await step();
    assert.equal(opened.code, 0, opened.stderr);
    assert.match(opened.stdout, /pushed ranges\/refresh .*\nopened pull request #7/);
    assert.ok(!`${opened.stdout}${opened.stderr}`.includes('test-token-not-printed'));
    const pushed = await runCommand('git', ['-C', origin, 'log', '--format=%s', '-1', 'ranges/refresh']);
    assert.match(pushed.stdout, /^Range data: the providers' files of \d{4}-\d{2}-\d{2}$/m, pushed.stderr);
    const changedFiles = await runCommand('git', ['-C', origin, 'show', '--name-only', '--format=', 'ranges/refresh']);
    assert.equal(changedFiles.stdout.trim(), 'ranges/cloud-ranges.txt');
    const [list, create] = api.requests;
    assert.deepEqual([list.method, list.url], ['GET', '/repos/owner/repo/pulls?state=open&head=owner%3Aranges%2Frefresh']);
    assert.equal(create.method, 'POST');
    assert.equal(create.auth, 'Bearer test-token-not-printed');
    assert.deepEqual({ ...create.body, title: undefined }, { title: undefined, head: 'ranges/refresh', base: 'main', body: await readFile(body, 'utf8'), maintainer_can_modify: true });

    // The next run: the same branch, force-pushed, and the open pull request's body updated.
    assert.equal((await runCommand('git', ['-C', clone, 'checkout', '-q', 'main'])).code, 0, 'back on the base branch');
    assert.equal((await runCommand('git', ['-C', clone, 'checkout', '-q', 'ranges/refresh', '--', 'ranges/cloud-ranges.txt'])).code, 0);
    await writeFile(body, 'second body');
    const updated = await step();
    assert.equal(updated.code, 0, updated.stderr);
    assert.match(updated.stdout, /updated pull request #7/);
    const patch = api.requests.at(-1);
    assert.deepEqual([patch.method, patch.url, patch.body.body], ['PATCH', '/repos/owner/repo/pulls/7', 'second body']);
  } finally {
    await api.stop();
  }
});
