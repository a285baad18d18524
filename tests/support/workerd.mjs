// Bare `workerd serve` (the binary wrangler itself runs), with no wrangler
// dev proxy or simulators in front: for the tests that need the real
// runtime, and for the benchmarks (benches/workerd/). One process group per
// worker, on a config from workerd-config.mjs: the worker gets its [vars]
// as bindings, reaches loopback servers, and has a Cache API (an in-memory
// backend, workerd-cache-service.mjs) like the edge.
//
// What it shows that wrangler dev hides: what the runtime does when a
// client resets its connection (wrangler dev's proxy does not pass a
// disconnect on); workerd's own Analytics Engine binding, which delivers
// every data point as an HTTP POST to a service, here a loopback sink that
// records them (wrangler dev's local dataset discards them); and the CPU
// time of the process serving the worker, for the benchmarks.
//
// An R2 binding is served by a loopback server speaking the binding's
// protocol (r2-bucket-service.mjs), which counts the worker's calls.
//
//   const w = await startBareWorkerd({ vars: {...}, analytics: 'PULL_ANALYTICS', r2Buckets: { R2_BLOBS: bucket.address } });
//   ... w.url ... await w.cacheKeys() ... w.dataPoints() ... w.cpuSeconds() ... await w.stop();

import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { copyFile, readFile } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, makeTempDir, spawnGroup, stopGroup, waitForHttp } from './processes.mjs';
import { resolveProgram, ROOT } from './programs.mjs';
import { str, writeWorkerdConfig } from './workerd-config.mjs';

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

let clockTicks;
/**
 * CPU seconds (user + system) process `pid` has used so far, to the
 * nanosecond: the run time of each of its threads (the first field of
 * /proc/PID/task/TID/schedstat), summed. That is the time utime + stime of
 * /proc/PID/stat counts in 10 ms ticks, precise enough for rounds of a
 * few thousand requests. workerd's threads live as long as it does; where
 * the kernel keeps no schedstat, the ticks.
 */
export function cpuSeconds(pid) {
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    }
    return ns / 1e9;
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  clockTicks ??= Number(execFileSync(resolveProgram('getconf'), ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (comm) may hold spaces: count fields after its closing paren,
  // which is followed by field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[14 - 3]) + Number(fields[15 - 3])) / clockTicks;
}

/**
 * Serves the worker whose modules are files in `dir` (the config and the
 * log are written there too) and waits until it answers.
 * @param {object} opts
 * @param {string} opts.dir
 * @param {{name: string, type: 'esModule'|'wasm'|'text'|'data'}[]} opts.modules  the first is the entry
 * @param {Record<string, unknown>} [opts.vars]  the worker's [vars]
 * @param {string[]} [opts.compatibilityFlags]
 * @param {string[]} [opts.v8Flags]  e.g. --perf-basic-prof for profiling
 * @param {string} [opts.analytics]  name of an Analytics Engine binding delivering to the sink
 * @param {string} [opts.cacheAddress]  a Cache API backend in another process (workerd-config.mjs)
 * @param {Record<string, string>} [opts.r2Buckets]  R2 binding name -> `host:port` of the
 *   server behind it (r2-bucket-service.mjs): the binding's calls are HTTP requests to it
 * @param {number} [opts.readyTimeoutMs=30000]
 * @returns {Promise<{url: string, port: number, pid: number, logFile: string,
 *   cpuSeconds: () => number, output: () => Promise<string>, cacheKeys: () => Promise<string[]>,
 *   dataPoints: () => object[], rawDataPoints: () => string[], stop: () => Promise<void>}>}
 */
export async function startWorkerd({ dir, modules, vars = {}, compatibilityFlags, v8Flags, analytics, r2Buckets = {}, cacheAddress, readyTimeoutMs = 30_000 }) {
  const sink = analytics ? await startSink() : null;
  const port = await freePort();
  const cachePort = await freePort();
  const configFile = await writeWorkerdConfig({
    dir,
    port,
    modules,
    vars,
    compatibilityFlags,
    v8Flags,
    cacheAddress,
    // workerd's own Analytics Engine binding POSTs each data point to this service.
    extraServices: [
      ...(sink ? [`(name = ${str(DATASET)}, external = (address = ${str(`127.0.0.1:${sink.port}`)}, http = ()))`] : []),
      // An R2 binding designates a service; here one in another process.
      ...Object.entries(r2Buckets).map(([binding, address]) => `(name = ${str(`r2-${binding}`)}, external = (address = ${str(address)}, http = ()))`),
    ],
    extraBindings: [
      ...(sink ? [`(name = ${str(analytics)}, analyticsEngine = ${str(DATASET)})`] : []),
      ...Object.keys(r2Buckets).map((binding) => `(name = ${str(binding)}, r2Bucket = ${str(`r2-${binding}`)})`),
    ],
    // The cache backend answers `x-inspect: keys` here (cacheKeys below).
    extraSockets: [`(name = "cache-inspection", address = ${str(`127.0.0.1:${cachePort}`)}, http = (), service = "cache")`],
  });
  const logFile = path.join(dir, 'workerd.log');
  const child = spawnGroup('workerd', ['serve', configFile, '--experimental'], { logFile, cwd: dir });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopGroup(child);
    await sink?.stop();
  };
  try {
    // Any HTTP answer means it serves. /_status: not a pull, so the probe
    // adds no pull record or data point.
    await waitForHttp(`${url}/_status`, { timeoutMs: readyTimeoutMs, child, accept: (s) => s < 600 });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    port,
    pid: child.pid,
    logFile,
    /** CPU seconds the workerd process has used so far. */
    cpuSeconds: () => cpuSeconds(child.pid),
    /** Everything workerd wrote (the worker's console output included). */
    output: () => readFile(logFile, 'utf8'),
    /** The Cache API keys stored and not expired ("<namespace> <url>"). */
    async cacheKeys() {
      const res = await fetch(`http://127.0.0.1:${cachePort}/`, { headers: { 'x-inspect': 'keys' } });
      return res.json();
    },
    /** Every data point delivered so far, decoded. */
    dataPoints: () => (sink?.bodies ?? []).map(decodeEvent),
    /** The raw bodies the sink received. */
    rawDataPoints: () => [...(sink?.bodies ?? [])],
    /** Stops the whole process group (and the sink). */
    stop,
  };
}

/**
 * The built worker (build/, from `make build`) under bare workerd, in a
 * temp directory removed by `stop`.
 * @param {object} opts  startWorkerd's vars, analytics, r2Buckets, readyTimeoutMs
 * @param {string} [opts.buildDir]  another worker-build output than build/
 */
export async function startBareWorkerd({ buildDir = path.join(ROOT, 'build'), ...opts } = {}) {
  const files = ['index.js', 'index_bg.wasm'];
  for (const f of files) {
    if (!existsSync(path.join(buildDir, f))) throw new Error(`${buildDir}/${f} is missing: run \`make build\` first`);
  }
  const tmp = await makeTempDir('registry-edge-workerd-');
  try {
    for (const f of files) await copyFile(path.join(buildDir, f), path.join(tmp.dir, f));
    const worker = await startWorkerd({
      dir: tmp.dir,
      modules: [
        { name: 'index.js', type: 'esModule' },
        { name: 'index_bg.wasm', type: 'wasm' },
      ],
      ...opts,
    });
    return {
      ...worker,
      async stop() {
        await worker.stop();
        await tmp.remove();
      },
    };
  } catch (err) {
    await tmp.remove();
    throw err;
  }
}
