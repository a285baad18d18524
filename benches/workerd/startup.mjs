// Start-up cost of a wasm module in V8 (Node 22): WebAssembly.compile plus
// WebAssembly.instantiate with stub imports, each round in a fresh process
// (startup-probe.mjs), modules interleaved; medians. This is the part of a
// cold start that grows with the module; workerd's own isolate set-up and
// the JavaScript glue are the same for every Rust worker.
// V8 compiles wasm functions lazily by default (on first call), so the
// default figure is mostly decoding and validation; `nodeFlags:
// ['--no-wasm-lazy-compilation']` measures an eager baseline (Liftoff)
// compile of every function instead.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChecked } from '../../tests/support/processes.mjs';
import { median } from './stats.mjs';

const PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'startup-probe.mjs');

/**
 * @param {Record<string, string>} modules  name -> .wasm path
 * @param {object} opts  rounds, log, nodeFlags (for V8), label (for the log)
 * @returns {Promise<Record<string, {ms: number, compileMs: number, instantiateMs: number, rounds: number[]}>>}
 *   ms: median of compile + instantiate; rounds: that sum in each round
 */
export async function startup(modules, { rounds, log, nodeFlags = [], label = 'startup' }) {
  const samples = Object.fromEntries(Object.keys(modules).map((n) => [n, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const [name, file] of Object.entries(modules)) {
      const r = await runChecked(process.execPath, [...nodeFlags, PROBE, file], { timeoutMs: 60_000 });
      samples[name].push(JSON.parse(r.stdout));
    }
  }
  const result = {};
  for (const [name, s] of Object.entries(samples)) {
    result[name] = {
      ms: median(s.map((x) => x.compileMs + x.instantiateMs)),
      compileMs: median(s.map((x) => x.compileMs)),
      instantiateMs: median(s.map((x) => x.instantiateMs)),
      rounds: s.map((x) => x.compileMs + x.instantiateMs),
    };
    log(`# ${label} ${name}: compile ${result[name].compileMs.toFixed(2)} ms + instantiate ${result[name].instantiateMs.toFixed(2)} ms (median of ${rounds})`);
  }
  return result;
}
