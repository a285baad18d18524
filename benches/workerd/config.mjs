// The workerd config (capnp text) for one worker served on 127.0.0.1: its
// modules (embedded from the bundle directory), its [vars] as bindings, the
// Cache API backend (the tests' tests/support/workerd-cache-service.mjs) and an `internet` network that may
// reach loopback, where the mirror buckets of the bench listen (workerd's
// default network allows public addresses only).

import { copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CACHE_SERVICE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../tests/support/workerd-cache-service.mjs');

/** A capnp text literal (its escapes are C's). */
function str(value) {
  if (/[\x00-\x08\x0b-\x1f\x7f]/.test(value)) throw new Error(`control character in ${JSON.stringify(value)}`);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}

/** Strings as text bindings, anything else as JSON, as wrangler does for [vars]. */
function binding(name, value) {
  return typeof value === 'string'
    ? `(name = ${str(name)}, text = ${str(value)})`
    : `(name = ${str(name)}, json = ${str(JSON.stringify(value))})`;
}

/**
 * Writes `<dir>/workerd.capnp`; the modules must already be files in `dir`.
 * @param {object} opts
 * @param {string} opts.dir
 * @param {number} opts.port
 * @param {{name: string, type: 'esModule'|'wasm'|'text'|'data'}[]} opts.modules  the first is the entry
 * @param {string} opts.compatibilityDate
 * @param {string[]} [opts.compatibilityFlags]
 * @param {Record<string, unknown>} [opts.vars]
 * @param {string[]} [opts.v8Flags]  e.g. --perf-basic-prof for profiling
 * @returns {Promise<string>} the config path
 */
export async function writeWorkerdConfig({ dir, port, modules, compatibilityDate, compatibilityFlags = [], vars = {}, v8Flags = [] }) {
  await copyFile(CACHE_SERVICE, path.join(dir, 'cache-service.mjs'));
  const capnp = `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "cache", worker = .cache),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = ${str(`127.0.0.1:${port}`)}, http = (), service = "main") ],
  v8Flags = [${v8Flags.map(str).join(', ')}],
);

const worker :Workerd.Worker = (
  modules = [
${modules.map((m) => `    (name = ${str(m.name)}, ${m.type} = embed ${str(m.name)}),`).join('\n')}
  ],
  compatibilityDate = ${str(compatibilityDate)},
  compatibilityFlags = [${compatibilityFlags.map(str).join(', ')}],
  bindings = [
${Object.entries(vars).map(([k, v]) => `    ${binding(k, v)},`).join('\n')}
  ],
  cacheApiOutbound = "cache",
);

const cache :Workerd.Worker = (
  modules = [ (name = "cache-service.mjs", esModule = embed "cache-service.mjs") ],
  compatibilityDate = ${str(compatibilityDate)},
);
`;
  const file = path.join(dir, 'workerd.capnp');
  await writeFile(file, capnp);
  return file;
}
