// A panic in the wasm, under the worker's own entry module
// (src/worker/entry.js) and build (`make bundle`), recovers the way
// worker-build's does: the panic is logged with its message, the request
// is answered 500 by the runtime, and the next request runs on a fresh
// wasm instance (wasm-bindgen's reset, which the build's flags turn on).
// Nothing in registry-edge panics on purpose, so a probe worker built the
// same way (tests/worker/panic-probe.rs) stands in for it: it counts the
// requests its instance answered and panics on /panic.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildRustWorker } from '../support/rust-worker.mjs';
import { startBareWorkerd } from '../support/workerd.mjs';
import { ROOT } from '../support/programs.mjs';

let worker;

before(async () => {
  const buildDir = await buildRustWorker({
    name: 'panic-probe',
    bundler: 'entry',
    libRs: await readFile(path.join(ROOT, 'tests/worker/panic-probe.rs'), 'utf8'),
    files: { 'src/worker/reply.js': await readFile(path.join(ROOT, 'src/worker/reply.js'), 'utf8') },
  });
  worker = await startBareWorkerd({ buildDir });
});

after(async () => {
  await worker?.stop();
});

/** The probe's answer: the count of requests its instance has answered. */
async function answered(pathname) {
  const res = await fetch(`${worker.url}${pathname}`);
  const body = await res.text();
  assert.equal(res.status, 200, body);
  return Number(body);
}

test('a panic is logged, answered 500, and the next request runs on a fresh instance', async () => {
  const first = await answered('/a');
  assert.equal(await answered('/b'), first + 1);

  const res = await fetch(`${worker.url}/panic`);
  assert.equal(res.status, 500);
  await res.arrayBuffer();

  // A fresh instance has answered nothing before.
  assert.equal(await answered('/c'), 1);
  assert.equal(await answered('/d'), 2);

  // And again: recovery is not a one-off.
  assert.equal((await fetch(`${worker.url}/panic`)).status, 500);
  assert.equal(await answered('/e'), 1);

  const log = await worker.output();
  assert.match(log, new RegExp(`Rust panic: .*\\n.*the probe panics on its instance's request ${first + 2}`));
  assert.match(log, /the probe panics on its instance's request 3/);
});
