// The documentation against the tree: the README's layout names every
// folder of src/ and only paths that exist, every relative link in the
// README and docs/ leads to a file, and no document names this project's
// issue numbers (the tracker is not in the repository).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/programs.mjs';

const read = (file) => readFileSync(path.join(ROOT, file), 'utf8');
const DOCS = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The README's layout block: the fenced block after "## Layout" that lists src/. */
function layout() {
  const readme = read('README.md');
  const section = readme.slice(readme.indexOf('## Layout'));
  const blocks = [...section.matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]);
  const block = blocks.find((b) => b.includes('src/lib.rs'));
  assert.ok(block, 'the README has a layout block');
  return block;
}

test('the README layout names every folder of src/, and every path it names exists', () => {
  const block = layout();
  const named = [...block.matchAll(/^(\S+)/gm)].map((m) => m[1]);
  for (const entry of named) assert.ok(existsSync(path.join(ROOT, entry)), `${entry} exists`);
  for (const dir of readdirSync(path.join(ROOT, 'src'), { withFileTypes: true })) {
    if (dir.isDirectory() && dir.name !== 'bin') assert.ok(named.includes(`src/${dir.name}/`), `the layout names src/${dir.name}/`);
  }
  // Files generated into OUT_DIR are not in the tree.
  for (const file of [...block.matchAll(/(?<!OUT_DIR\/)\b([a-z_]+\.rs)\b/g)].map((m) => m[1])) {
    const found = named.some((n) => existsSync(path.join(ROOT, n, file)) || n.endsWith(file)) || existsSync(path.join(ROOT, file));
    assert.ok(found, `${file}, named in the layout, is in a folder it names`);
  }
});

test('every relative link in the README and docs/ leads to a file', () => {
  for (const doc of DOCS) {
    for (const [, target] of read(doc).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      assert.ok(existsSync(path.join(ROOT, path.dirname(doc), target)), `${doc} links to ${target}`);
    }
  }
});

test('every file of the repository a document names exists', () => {
  for (const doc of DOCS) {
    for (const [file] of read(doc).matchAll(/\b(?:src|tests|benches|ranges|docs|fuzz|examples|cli)\/[A-Za-z0-9_./-]+\.(?:rs|mjs|txt|md|json|lua)\b/g)) {
      assert.ok(existsSync(path.join(ROOT, file)), `${doc} names ${file}`);
    }
  }
});

test('no document names an issue number, and the README stays short', () => {
  for (const doc of DOCS) assert.doesNotMatch(read(doc), /issue [0-9]+/i, doc);
  assert.ok(read('README.md').split('\n').length <= 250, 'README.md is at most 250 lines');
});
