// The range lookup compiled to wasm32 under Node/V8, on the address mix that
// benches/lookup.rs wrote to target/bench/ (run it first; `make bench` does).
// Prints `wasm_lookup_v4_ns` and `wasm_lookup_v6_ns`: the median over 31
// rounds of the time per lookup, each round a whole batch, like the native
// figures. The per-batch overhead (one call from JS) is negligible.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const wasmPath = process.argv[2] ??
  path.join(root, 'target/wasm32-unknown-unknown/release/examples/wasm_lookup_bench.wasm');
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {});
const wasm = instance.exports;

function load(file, width) {
  const bytes = readFileSync(path.join(root, 'target/bench', file));
  const ptr = wasm.alloc(bytes.length);
  new Uint8Array(wasm.memory.buffer, ptr, bytes.length).set(bytes);
  return { ptr, count: bytes.length / width };
}

function medianNs(fn, { ptr, count }) {
  for (let i = 0; i < 5; i++) fn(ptr, count); // let V8 tier up first
  const samples = [];
  for (let round = 0; round < 31; round++) {
    const start = process.hrtime.bigint();
    fn(ptr, count);
    samples.push(Number(process.hrtime.bigint() - start) / count);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

const v4 = load('addresses-v4.bin', 4);
const v6 = load('addresses-v6.bin', 16);
console.log(`wasm_lookup_v4_ns ${medianNs(wasm.lookup_v4_batch, v4).toFixed(2)}`);
console.log(`wasm_lookup_v6_ns ${medianNs(wasm.lookup_v6_batch, v6).toFixed(2)}`);
