// The installation the tests rely on: every program the test support starts
// is listed in tests/support/programs.txt, `make test` installs them before
// its first `node --test`, a missing one stops a test with its name and the
// make target that installs it, and the README names every one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROGRAMS, ProgramMissing, ROOT, resolveProgram } from '../support/programs.mjs';
import { runCommand, spawnGroup } from '../support/processes.mjs';

/** `make -n <target>` in the repository: the commands it would run, in order. */
function dryRun(target, ...vars) {
  const env = { ...process.env };
  for (const inherited of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL']) delete env[inherited];
  return execFileSync(resolveProgram('make'), ['-n', target, ...vars], { cwd: ROOT, env, encoding: 'utf8' }).split('\n');
}

test('make test installs the Debian packages and checks every program before its first node --test', () => {
  const lines = dryRun('test');
  const firstNodeTest = lines.findIndex((l) => /\bnode --test\b/.test(l));
  const aptInstall = lines.findIndex((l) => /apt-get install/.test(l));
  const check = lines.findIndex((l) => /node tests\/support\/programs\.mjs/.test(l));
  assert.ok(firstNodeTest > 0, 'make -n test runs node --test');
  assert.ok(aptInstall >= 0 && aptInstall < firstNodeTest, 'apt-get install comes before the first node --test');
  assert.ok(check >= 0 && check < firstNodeTest, 'the installation check comes before the first node --test');
  const debian = [...PROGRAMS.values()].filter((e) => e.target === 'debian-tools').map((e) => e.package);
  const installLoop = lines.find((l) => /for p in .*; do dpkg -s/.test(l));
  for (const pkg of debian) assert.match(installLoop, new RegExp(`\\b${pkg}\\b`), `make test installs ${pkg}`);
});

test('every target that starts programs installs them first', () => {
  for (const target of ['test-rig', 'test-worker', 'test-e2e', 'test-mirrors', 'bench-workerd', 'bench-mirrors', 'load']) {
    const lines = dryRun(target);
    const check = lines.findIndex((l) => /node tests\/support\/programs\.mjs/.test(l));
    const firstNode = lines.findIndex((l) => /^node (--test|benches|tests\/load)/.test(l));
    assert.ok(check >= 0 && check < firstNode, `make ${target} checks the programs before it starts one`);
  }
});

test('make smoke installs the Debian packages (skopeo) before it checks a deployment', () => {
  const lines = dryRun('smoke', 'URL=https://registry.example');
  const installLoop = lines.findIndex((l) => /for p in .*\bskopeo\b.*; do dpkg -s/.test(l));
  const smoke = lines.findIndex((l) => /^node tests\/smoke\/run\.mjs --url 'https:\/\/registry\.example'/.test(l));
  assert.ok(installLoop >= 0 && installLoop < smoke, lines.join('\n'));
});

test('a missing program stops the test with its name and the target that installs it', async () => {
  const saved = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    for (const [program, target] of [['skopeo', 'debian-tools'], ['docker-registry', 'debian-tools'], ['worker-build', 'rust-tools']]) {
      assert.throws(
        () => spawnGroup(program, ['--version']),
        (err) => err instanceof ProgramMissing && err.message.startsWith(`${program} is not installed`) && err.message.includes('`make setup`') && err.message.includes(`make ${target}`),
        program,
      );
    }
    await assert.rejects(runCommand('ctr', ['version']), /ctr is not installed.*`make setup`.*make debian-tools.*package containerd/);
  } finally {
    process.env.PATH = saved;
  }
  assert.throws(() => resolveProgram(path.join(ROOT, 'no/such/workerd')), /workerd is not installed.*make node-tools/);
});

test('a program nobody listed cannot be started', () => {
  assert.throws(() => spawnGroup('curl', ['--version']), /tests start curl, which tests\/support\/programs\.txt does not list/);
});

test('the README names every program and package the two commands install', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const entry of PROGRAMS.values()) {
    if (entry.target === '-' || entry.target === 'fuzz') continue;
    assert.ok(readme.includes(`\`${entry.package}\``), `README names ${entry.package}`);
    assert.ok(readme.includes(`\`${entry.program}\``) || entry.program === entry.package, `README names ${entry.program}`);
  }
});
