// One worker under bare workerd: bundle it (bundle.mjs), then serve it in
// its own workerd process (tests/support/workerd.mjs), whose CPU time is
// then the worker's own.

import path from 'node:path';
import { bundle } from './bundle.mjs';
import { startWorkerd } from '../../tests/support/workerd.mjs';

/**
 * @param {string} name    subdirectory of `tmp` for the bundle, config and log
 * @param {string} entry   the worker's main module
 * @param {object} opts
 * @param {string} opts.tmp
 * @param {string[]} [opts.compatibilityFlags]
 * @param {Record<string, unknown>} [opts.vars]
 * @param {string[]} [opts.v8Flags]
 * @param {Record<string, string>} [opts.r2Buckets]  R2 bindings, each served from another process
 * @param {string} [opts.cacheAddress]  a Cache API backend in another process
 * @returns {Promise<{url: string, pid: number, logFile: string, cpuSeconds: () => number,
 *   wasm?: string, stop: () => Promise<void>}>}  wasm: the bundle's wasm module, if any
 */
export async function serveWorker(name, entry, { tmp, compatibilityFlags = [], vars = {}, v8Flags = [], r2Buckets, cacheAddress }) {
  const dir = path.join(tmp, name);
  const modules = await bundle({ entry, dir });
  const worker = await startWorkerd({ dir, modules, vars, compatibilityFlags, v8Flags, r2Buckets, cacheAddress });
  const wasm = modules.find((m) => m.type === 'wasm');
  return { ...worker, wasm: wasm && path.join(dir, wasm.name) };
}
