// The workerd config (capnp text) for one worker served on 127.0.0.1 by
// bare `workerd serve` (workerd.mjs, for the tests and the benchmarks): its
// modules (embedded from the bundle directory), wrangler.toml's
// compatibility date, its [vars] as bindings, the in-memory Cache API
// backend (workerd-cache-service.mjs) and an `internet` network that may
// reach loopback, where the test and bench servers listen (workerd's
// default network allows public addresses only).

import { copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compatibilityDate } from './wrangler-toml.mjs';

const CACHE_SERVICE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'workerd-cache-service.mjs');

/** A capnp text literal (its escapes are C's). */
export function str(value) {
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
 * @param {string[]} [opts.compatibilityFlags]
 * @param {Record<string, unknown>} [opts.vars]
 * @param {string[]} [opts.v8Flags]  e.g. --perf-basic-prof for profiling
 * @param {string[]} [opts.extraBindings]  more bindings of the worker, as capnp
 * @param {string[]} [opts.extraServices]  more services, as capnp
 * @param {string[]} [opts.extraSockets]  more sockets, as capnp (the cache backend is service "cache")
 * @param {string} [opts.cacheAddress]  `host:port` of a cache backend in another process (the same
 *   protocol, served over HTTP) instead of the in-process one, whose CPU time workerd's would include
 * @returns {Promise<string>} the config path
 */
export async function writeWorkerdConfig({
  dir,
  port,
  modules,
  compatibilityFlags = [],
  vars = {},
  v8Flags = [],
  extraBindings = [],
  extraServices = [],
  extraSockets = [],
  cacheAddress,
}) {
  await copyFile(CACHE_SERVICE, path.join(dir, 'cache-service.mjs'));
  const date = str(compatibilityDate());
  const capnp = `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "cache", ${cacheAddress ? `external = (address = ${str(cacheAddress)}, http = ())` : 'worker = .cache'}),
    (name = "internet", network = (allow = ["public", "private", "local"])),
${extraServices.map((x) => `    ${x},\n`).join('')}  ],
  sockets = [
    (name = "http", address = ${str(`127.0.0.1:${port}`)}, http = (), service = "main"),
${extraSockets.map((x) => `    ${x},\n`).join('')}  ],
  v8Flags = [${v8Flags.map(str).join(', ')}],
);

const worker :Workerd.Worker = (
  modules = [
${modules.map((m) => `    (name = ${str(m.name)}, ${m.type} = embed ${str(m.name)}),`).join('\n')}
  ],
  compatibilityDate = ${date},
  compatibilityFlags = [${compatibilityFlags.map(str).join(', ')}],
  bindings = [
${[...Object.entries(vars).map(([k, v]) => binding(k, v)), ...extraBindings].map((b) => `    ${b},`).join('\n')}
  ],
  cacheApiOutbound = "cache",
);

const cache :Workerd.Worker = (
  modules = [ (name = "cache-service.mjs", esModule = embed "cache-service.mjs") ],
  compatibilityDate = ${date},
);
`;
  const file = path.join(dir, 'workerd.capnp');
  await writeFile(file, capnp);
  return file;
}
