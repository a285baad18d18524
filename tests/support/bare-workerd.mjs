// Runs the built worker (build/) under bare `workerd serve`, without
// wrangler dev's proxy and simulators, where a binding needs the real
// runtime: workerd's own Analytics Engine binding delivers every data point
// as an HTTP POST to a service, here a loopback sink that records them
// (wrangler dev's local dataset discards them).
//
//   const w = await startBareWorker({ vars: {...}, analytics: 'PULL_ANALYTICS' });
//   await fetch(`${w.url}/v2/`); w.dataPoints(); w.output(); await w.stop();

import http from 'node:http';
import path from 'node:path';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { ROOT } from './worker.mjs';
import { freePort, makeTempDir, runChecked, spawnGroup, stopGroup, waitForHttp } from './processes.mjs';

const WRANGLER = path.join(ROOT, 'node_modules/.bin/wrangler');
const WORKERD = path.join(ROOT, 'node_modules/@cloudflare/workerd-linux-64/bin/workerd');
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

const capnpString = (s) => JSON.stringify(s);

/**
 * @param {object} opts
 * @param {Record<string, string|object|number|boolean>} opts.vars  text bindings (objects as JSON bindings)
 * @param {string} [opts.analytics]  name of an Analytics Engine binding delivering to the sink
 */
export async function startBareWorker({ vars = {}, analytics } = {}) {
  const tmp = await makeTempDir('registry-edge-bare-');
  const sink = await startSink();
  let child;
  try {
    // The upload bundle, as `wrangler deploy` would send it.
    await writeFile(
      path.join(tmp.dir, 'wrangler.toml'),
      `name = "registry-edge-bare"\nmain = ${JSON.stringify(path.join(ROOT, 'build/index.js'))}\ncompatibility_date = "${COMPATIBILITY_DATE}"\n`,
    );
    const out = path.join(tmp.dir, 'dist');
    await runChecked(WRANGLER, ['deploy', '--dry-run', '--outdir', out, '--config', path.join(tmp.dir, 'wrangler.toml')], {
      timeoutMs: 120_000,
      cwd: tmp.dir,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    });
    const wasm = (await readdir(out)).find((f) => f.endsWith('.wasm'));
    const port = await freePort();
    const bindings = Object.entries(vars).map(([name, value]) =>
      typeof value === 'object'
        ? `(name = ${capnpString(name)}, json = ${capnpString(JSON.stringify(value))})`
        : `(name = ${capnpString(name)}, text = ${capnpString(String(value))})`,
    );
    if (analytics) bindings.push(`(name = ${capnpString(analytics)}, analyticsEngine = "${DATASET}")`);
    const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .w),
    (name = "internet", network = (allow = ["public", "private", "local"])),
    (name = "${DATASET}", external = (address = "127.0.0.1:${sink.port}", http = ())),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const w :Workerd.Worker = (
  modules = [
    (name = "index.js", esModule = embed "dist/index.js"),
    (name = ${capnpString(wasm)}, wasm = embed ${capnpString(`dist/${wasm}`)}),
  ],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  bindings = [ ${bindings.join(',\n    ')} ],
);
`;
    await writeFile(path.join(tmp.dir, 'config.capnp'), config);
    const logFile = path.join(tmp.dir, 'workerd.log');
    child = spawnGroup(WORKERD, ['serve', path.join(tmp.dir, 'config.capnp'), '--experimental'], { logFile, cwd: tmp.dir });
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/_status`, { timeoutMs: 30_000, child, accept: (s) => s === 200 });
    return {
      url,
      logFile,
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
  } catch (err) {
    if (child) await stopGroup(child);
    await sink.stop();
    await tmp.remove();
    throw err;
  }
}
