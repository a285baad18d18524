// Runs the built worker (build/, from `make build`) under `wrangler dev` on
// loopback, configured through its normal variables: each call writes its
// own wrangler.toml (no [build] step, so startup is a few seconds) with the
// given [vars] and starts wrangler in its own process group.
//
//   const w = await startWorker({ vars: { UPSTREAM_REGISTRY_ENDPOINT: '...' } });
//   await fetch(`${w.url}/v2/`); ... await w.stop();

import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { freePort, makeTempDir, spawnGroup, stopGroup, waitForHttp } from './processes.mjs';
import { ROOT } from './programs.mjs';
import { compatibilityDate } from './wrangler-toml.mjs';

export { ROOT };
const WRANGLER = 'wrangler';
const ENTRY = path.join(ROOT, 'build/index.js');

/** TOML for one value: strings, numbers, booleans, arrays and tables. */
export function toToml(value) {
  if (typeof value === 'string') return JSON.stringify(value); // a valid TOML basic string
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(toToml).join(', ')}]`;
  if (value && typeof value === 'object') {
    return `{ ${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)} = ${toToml(v)}`).join(', ')} }`;
  }
  throw new Error(`cannot write ${value} as TOML`);
}

/**
 * Write `<dir>/wrangler.toml` running the built worker (no [build] step)
 * with these [vars] and bindings, under the shipped compatibility date.
 * @returns {Promise<string>} the file's path
 */
export async function writeWranglerToml(dir, { vars = {}, entry = ENTRY, kvNamespaces = [], crons, extraToml = '' } = {}) {
  const lines = [
    'name = "registry-edge-test"',
    `main = ${JSON.stringify(entry)}`,
    `compatibility_date = ${toToml(compatibilityDate())}`,
    '',
    '[vars]',
    ...Object.entries(vars).map(([k, v]) => `${k} = ${toToml(v)}`),
    ...kvNamespaces.flatMap((binding) => ['', '[[kv_namespaces]]', `binding = ${toToml(binding)}`, `id = ${toToml(`${binding}-local`)}`]),
    ...(crons ? ['', '[triggers]', `crons = ${toToml(crons)}`] : []),
    '',
    extraToml,
  ];
  const config = path.join(dir, 'wrangler.toml');
  await mkdir(dir, { recursive: true });
  await writeFile(config, `${lines.join('\n')}\n`);
  return config;
}

/**
 * @param {object} opts
 * @param {Record<string, unknown>} opts.vars  the worker's [vars]
 * @param {string} [opts.stateDir]  where wrangler persists the Cache API;
 *   pass the same directory to a later worker to start with a warm colo cache
 * @param {string} [opts.entry]  another worker script instead of build/index.js
 * @param {string} [opts.logLevel='info']  wrangler's; 'warn' drops the per-request log lines,
 *   'log' (or 'debug') also keeps the worker's console.log lines (its request records)
 * @param {number} [opts.readyTimeoutMs=60000]
 * @param {string[]} [opts.kvNamespaces]  KV binding names (wrangler dev keeps them in
 *   its local store, under `stateDir`)
 * @param {string[]} [opts.crons]  [triggers] crons (wrangler dev never fires them)
 * @param {string[]} [opts.extraArgs]  more `wrangler dev` arguments, e.g. '--test-scheduled'
 * @param {string} [opts.extraToml]  appended to the wrangler.toml after [vars], e.g.
 *   `[[ratelimits]]` or `[[analytics_engine_datasets]]` bindings
 * @param {number} [opts.port]  listen here (default: a free port); a restart on the same port keeps clients' URLs
 * @returns {Promise<{url: string, port: number, logFile: string, stop: () => Promise<void>}>}
 */
export async function startWorker({
  vars,
  stateDir,
  entry = ENTRY,
  logLevel = 'info',
  readyTimeoutMs = 60_000,
  kvNamespaces = [],
  crons,
  extraArgs = [],
  extraToml = '',
  port: fixedPort,
} = {}) {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`make build\` first`);
  const tmp = await makeTempDir('registry-edge-worker-');
  const config = await writeWranglerToml(tmp.dir, { vars, entry, kvNamespaces, crons, extraToml });
  const port = fixedPort ?? (await freePort());
  const inspectorPort = await freePort();
  const logFile = path.join(tmp.dir, 'wrangler.log');
  const child = spawnGroup(
    WRANGLER,
    [
      'dev', '--config', config, '--ip', '127.0.0.1', '--port', String(port),
      '--inspector-port', String(inspectorPort), '--persist-to', stateDir ?? path.join(tmp.dir, 'state'),
      '--show-interactive-dev-session=false', '--log-level', logLevel,
      ...extraArgs,
    ],
    {
      logFile,
      cwd: tmp.dir,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/v2/`, { timeoutMs: readyTimeoutMs, child, accept: (s) => s < 600 });
  } catch (err) {
    await stopGroup(child);
    throw err;
  }
  return {
    url,
    port,
    logFile,
    async stop() {
      await stopGroup(child);
      await tmp.remove();
    },
  };
}
