// Runs the built worker (build/, from `make build`) under bare `workerd
// serve`, with no wrangler dev proxy or simulators in front, where a test
// needs the real runtime: what it does when a client resets its connection
// (wrangler dev's proxy does not pass a disconnect on), and workerd's own
// Analytics Engine binding, which delivers every data point as an HTTP POST
// to a service, here a loopback sink that records them (wrangler dev's
// local dataset discards them). The worker gets its [vars] as bindings,
// reaches loopback servers, and has a Cache API (an in-memory backend,
// workerd-cache-service.mjs) like the edge.
//
//   const w = await startBareWorkerd({ vars: {...}, analytics: 'PULL_ANALYTICS' });
//   ... w.url ... await w.cacheKeys() ... w.dataPoints() ... await w.output() ... await w.stop();

import http from 'node:http';
import { copyFile, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, makeTempDir, spawnGroup, stopGroup, waitForHttp } from './processes.mjs';
import { str, writeWorkerdConfig } from './workerd-config.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const WORKERD = 'workerd';
// The compatibility date of the repository's wrangler.toml.
const COMPATIBILITY_DATE = '2026-07-29';

const DATASET = 'registry_edge_pulls';

/** A loopback server recording request bodies (one per data point). */
async function startSink() {
  const bodies = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.end('ok');
    });
  });
  const port = await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
  return { port, bodies, stop: () => new Promise((r) => server.close(r)) };
}

/** An Analytics Engine event as workerd sends it: text fields arrive as UTF-8 byte arrays. */
function decodeEvent(body) {
  const event = JSON.parse(body);
  const text = (v) => (Array.isArray(v) ? Buffer.from(v).toString('utf8') : v);
  return Object.fromEntries(Object.entries(event).map(([k, v]) => [k, /^(blob|index)\d+$|^dataset$/.test(k) ? text(v) : v]));
}

/**
 * @param {object} opts
 * @param {Record<string, unknown>} opts.vars  the worker's [vars]
 * @param {string} [opts.analytics]  name of an Analytics Engine binding delivering to the sink
 * @param {number} [opts.readyTimeoutMs=30000]
 * @param {string} [opts.buildDir]  another worker-build output than build/
 * @returns {Promise<{url: string, port: number, logFile: string,
 *   cacheKeys: () => Promise<string[]>, dataPoints: () => object[], rawDataPoints: () => string[],
 *   output: () => Promise<string>, stop: () => Promise<void>}>}
 */
export async function startBareWorkerd({ vars, analytics, readyTimeoutMs = 30_000, buildDir = path.join(ROOT, 'build') } = {}) {
  for (const f of ['index.js', 'index_bg.wasm']) {
    if (!existsSync(path.join(buildDir, f))) throw new Error(`${buildDir}/${f} is missing: run \`make build\` first`);
  }
  const tmp = await makeTempDir('registry-edge-workerd-');
  await copyFile(path.join(buildDir, 'index.js'), path.join(tmp.dir, 'index.js'));
  await copyFile(path.join(buildDir, 'index_bg.wasm'), path.join(tmp.dir, 'index_bg.wasm'));
  const sink = await startSink();
  const port = await freePort();
  const cachePort = await freePort();
  const configFile = await writeWorkerdConfig({
    dir: tmp.dir,
    port,
    modules: [
      { name: 'index.js', type: 'esModule' },
      { name: 'index_bg.wasm', type: 'wasm' },
    ],
    compatibilityDate: COMPATIBILITY_DATE,
    vars: vars ?? {},
    // workerd's own Analytics Engine binding POSTs each data point to this service.
    extraServices: [`(name = ${str(DATASET)}, external = (address = ${str(`127.0.0.1:${sink.port}`)}, http = ()))`],
    extraBindings: analytics ? [`(name = ${str(analytics)}, analyticsEngine = ${str(DATASET)})`] : [],
    // The cache backend answers `x-inspect: keys` here (cacheKeys below).
    extraSockets: [`(name = "cache-inspection", address = ${str(`127.0.0.1:${cachePort}`)}, http = (), service = "cache")`],
  });
  const logFile = path.join(tmp.dir, 'workerd.log');
  const child = spawnGroup(WORKERD, ['serve', configFile, '--experimental'], { logFile, cwd: tmp.dir });
  const url = `http://127.0.0.1:${port}`;
  try {
    // /_status: not a pull, so the probe adds no pull record or data point.
    await waitForHttp(`${url}/_status`, { timeoutMs: readyTimeoutMs, child, accept: (s) => s < 600 });
  } catch (err) {
    await stopGroup(child);
    await sink.stop();
    await tmp.remove();
    throw err;
  }
  return {
    url,
    port,
    logFile,
    pid: child.pid,
    /** The Cache API keys stored and not expired ("<namespace> <url>"). */
    async cacheKeys() {
      const res = await fetch(`http://127.0.0.1:${cachePort}/`, { headers: { 'x-inspect': 'keys' } });
      return res.json();
    },
    /** Every data point delivered so far, decoded. */
    dataPoints: () => sink.bodies.map(decodeEvent),
    /** The raw bodies the sink received. */
    rawDataPoints: () => [...sink.bodies],
    /** Everything workerd wrote (the worker's console output included). */
    output: () => readFile(logFile, 'utf8'),
    async stop() {
      await stopGroup(child);
      await sink.stop();
      await tmp.remove();
    },
  };
}
