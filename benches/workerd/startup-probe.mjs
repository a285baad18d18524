// One start-up measurement in a fresh Node process (startup.mjs runs one
// per round): V8 keeps compiled wasm modules in a per-process cache keyed
// by their bytes, so a second compile in the same process would be free.
//   node startup-probe.mjs <module.wasm>  ->  {"compileMs": ..., "instantiateMs": ...}

import { readFileSync } from 'node:fs';

const bytes = readFileSync(process.argv[2]);

// Stub imports from the module's own import list: every function a no-op;
// the only tag wasm-bindgen imports is the JavaScript exception tag.
function stubImports(module) {
  const imports = {};
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    const value = {
      function: () => {},
      tag: WebAssembly.JSTag,
      memory: new WebAssembly.Memory({ initial: 1 }),
      table: new WebAssembly.Table({ initial: 0, element: 'anyfunc' }),
      global: new WebAssembly.Global({ value: 'i32', mutable: false }, 0),
    }[kind];
    (imports[from] ??= {})[name] = value;
  }
  return imports;
}

// The engine's one-time set-up (code space, compile threads) is the same
// for every module: pay it on an empty module first.
await WebAssembly.instantiate(await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])));

const t0 = performance.now();
const module = await WebAssembly.compile(bytes);
const t1 = performance.now();
const imports = stubImports(module);
const t2 = performance.now();
await WebAssembly.instantiate(module, imports);
const t3 = performance.now();
console.log(JSON.stringify({ compileMs: t1 - t0, instantiateMs: t3 - t2 }));
