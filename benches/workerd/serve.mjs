// One worker under bare workerd: bundle it (bundle.mjs), write its config
// (tests/support/workerd-config.mjs), start its own workerd process
// (workerd.mjs).

import path from 'node:path';
import { freePort } from '../../tests/support/processes.mjs';
import { bundle } from './bundle.mjs';
import { writeWorkerdConfig } from '../../tests/support/workerd-config.mjs';
import { startWorkerd } from './workerd.mjs';

/**
 * @param {string} name    subdirectory of `tmp` for the bundle, config and log
 * @param {string} entry   the worker's main module
 * @param {object} opts
 * @param {string} opts.tmp
 * @param {{compatibilityDate: string, compatibilityFlags?: string[]}} opts.settings
 * @param {Record<string, unknown>} [opts.vars]
 * @param {string[]} [opts.v8Flags]
 * @returns {Promise<{url: string, pid: number, logFile: string, wasm?: string, stop: () => Promise<void>}>}
 *   wasm: the bundle's wasm module, if any
 */
export async function serveWorker(name, entry, { tmp, settings, vars = {}, v8Flags = [] }) {
  const dir = path.join(tmp, name);
  const modules = await bundle({ entry, dir, compatibilityDate: settings.compatibilityDate });
  const port = await freePort();
  const config = await writeWorkerdConfig({ dir, port, modules, vars, v8Flags, ...settings });
  const worker = await startWorkerd({ config, port, logFile: path.join(dir, 'workerd.log') });
  const wasm = modules.find((m) => m.type === 'wasm');
  return { ...worker, wasm: wasm && path.join(dir, wasm.name) };
}
