// The installation the tests rely on: every program the test support starts
// is listed in tests/support/programs.txt, `make test` installs them before
// its first `node --test`, a missing one stops a test with its name and the
// make target that installs it, and the README names every one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
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

test('a Debian package whose programs are already on PATH from another package is not installed', async () => {
  // As on GitHub's ubuntu-24.04 image: dpkg does not know Ubuntu's containerd
  // (Docker's containerd.io is installed instead), yet containerd and ctr are
  // there. A dpkg that knows no package stands for it, and a directory of
  // programs stands for what is installed.
  const { makeTempDir: temp } = await import('../support/processes.mjs');
  const { mkdir, writeFile, chmod, symlink } = await import('node:fs/promises');
  const work = await temp('registry-edge-setup-test-');
  try {
    const bin = path.join(work.dir, 'bin');
    await mkdir(bin);
    await writeFile(path.join(bin, 'dpkg'), '#!/bin/sh\nexit 1\n');
    await chmod(path.join(bin, 'dpkg'), 0o755);
    for (const tool of ['bash', 'sh', 'awk', 'sed', 'sort', 'make']) {
      const found = execFileSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
      if (found.startsWith('/')) await symlink(found, path.join(bin, tool));
    }
    const missing = (present) => {
      for (const p of present) symlinkSync(resolveProgram(p), path.join(bin, p));
      const env = { PATH: bin, HOME: work.dir };
      return execFileSync(path.join(bin, 'make'), ['--no-print-directory', '-s', 'debian-missing'], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
        .split('\n')
        .filter(Boolean);
    };
    const debian = [...new Set([...PROGRAMS.values()].filter((e) => e.target === 'debian-tools').map((e) => e.package))].sort();
    // Nothing there: every package is to install.
    assert.deepEqual(missing([]).sort(), debian);
    // containerd and ctr present (containerd.io's): Ubuntu's containerd is skipped.
    assert.deepEqual(missing(['containerd', 'ctr']).sort(), debian.filter((p) => p !== 'containerd'));
  } finally {
    await work.remove();
  }
});
