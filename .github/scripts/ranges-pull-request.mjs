// The ranges workflow's last step (`make ranges-pull-request BODY=file`):
// when `make ranges` changed ranges/cloud-ranges.txt, commit it on the
// fixed branch ranges/refresh (made anew from the checked-out commit each
// run), push it, and open the one pull request from that branch, or update
// its body. Nothing changed: nothing is pushed.
//
// It reads what the Actions runner sets: GITHUB_SERVER_URL, GITHUB_API_URL,
// GITHUB_REPOSITORY, GITHUB_REF_NAME (the base branch), and GH_TOKEN (the
// workflow's token or RANGES_PR_TOKEN, docs/deploying.md). The token goes
// to git through a credential helper that reads the environment and to the
// API in a header: never into arguments or output.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

export const BRANCH = 'ranges/refresh';
const SNAPSHOT = 'ranges/cloud-ranges.txt';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const { values: opts } = parseArgs({ options: { body: { type: 'string' } } });

function need(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the Actions runner sets it)`);
  return value;
}

function git(args, { allowFailure = false } = {}) {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0 && !allowFailure) throw new Error(`git ${args[0]} failed: ${r.stderr.trim()}`);
  return r;
}

async function api(method, url, token, body) {
  const res = await fetch(url, {
    method,
    headers: {
      Accept: 'application/vnd.github+json',
      Authorization: `Bearer ${token}`,
      'X-GitHub-Api-Version': '2022-11-28',
      'User-Agent': 'registry-edge-ranges-workflow',
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${new URL(url).pathname} answered ${res.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

async function main() {
  if (!opts.body) throw new Error('usage: ranges-pull-request.mjs --body FILE (the file make ranges PR_BODY= wrote)');
  if (git(['diff', '--quiet', 'HEAD', '--', SNAPSHOT], { allowFailure: true }).status === 0) {
    console.log(`${SNAPSHOT} did not change: no pull request`);
    return;
  }
  const body = readFileSync(opts.body, 'utf8');
  const [server, apiUrl, repository, base, token] = ['GITHUB_SERVER_URL', 'GITHUB_API_URL', 'GITHUB_REPOSITORY', 'GITHUB_REF_NAME', 'GH_TOKEN'].map(need);
  const title = `Range data: the providers' files of ${new Date().toISOString().slice(0, 10)}`;

  git(['checkout', '-B', BRANCH]);
  git(['add', '--', SNAPSHOT]);
  git(['-c', 'user.name=github-actions[bot]', '-c', 'user.email=41898282+github-actions[bot]@users.noreply.github.com', 'commit', '--quiet', '-m', title, '-m', 'Written by make ranges in the ranges workflow; the pull request says what changed per (cloud, region).']);
  // The token reaches git through this helper, from the environment.
  const helper = '!f() { echo username=x-access-token; echo "password=$GH_TOKEN"; }; f';
  git(['-c', 'credential.helper=', '-c', `credential.helper=${helper}`, 'push', '--force', '--quiet', `${server}/${repository}.git`, `HEAD:refs/heads/${BRANCH}`]);
  console.log(`pushed ${BRANCH} (${git(['rev-parse', 'HEAD']).stdout.trim()})`);

  const owner = repository.split('/')[0];
  const pulls = `${apiUrl}/repos/${repository}/pulls`;
  const [open] = await api('GET', `${pulls}?state=open&head=${encodeURIComponent(`${owner}:${BRANCH}`)}`, token);
  if (open) {
    await api('PATCH', `${pulls}/${open.number}`, token, { title, body });
    console.log(`updated pull request #${open.number}: ${open.html_url}`);
  } else {
    const created = await api('POST', pulls, token, { title, head: BRANCH, base, body, maintainer_can_modify: true });
    console.log(`opened pull request #${created.number}: ${created.html_url}`);
  }
}

main().catch((err) => {
  console.error(`ranges pull request: ${err.message}`);
  process.exit(1);
});
