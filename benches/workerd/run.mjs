// `make bench-workerd`: registry-edge measured where it runs, under bare
// `workerd serve` (no wrangler dev proxy in the path), against two floors
// built here: a constant JavaScript worker and a hello-world Rust worker
// (floors.mjs). The worker runs with the default environment's [vars] of
// wrangler.toml (the blob copies on loopback) and production's logging
// configuration (the *_SAMPLE_RATE variables of [env.production]).
//
//   1. CPU per request (cpu.mjs) of `/v2/`, a manifest redirect, a blob
//      redirect answered from the isolate's existence cache, a 404 OCI
//      error, and each floor's constant 307 (and, for information, the
//      Rust hello world built as registry-edge is built); and a blob
//      redirect by the kind of check answering it, HTTP HEAD or R2
//      binding, first-time and cached (checks.mjs);
//   2. throughput and p99 of the `make load` mix (throughput.mjs), ours
//      and the JavaScript floor's;
//   3. start-up: compile + instantiate of each wasm module (startup.mjs).
//
// Each worker gets its own workerd process (so its CPU time is its own),
// listening on 127.0.0.1, stopped with its process group at the end, also
// on error. Prints `name value` lines (comments start with #): medians
// over rounds; the ratios are medians of per-round ratios (stats.mjs).
//
// Knobs (environment): BENCH_ROUNDS (21), BENCH_CPU_REQUESTS (6000 per case
// and round: short rounds, so that the cases compared run seconds apart), BENCH_CPU_CONNECTIONS (16), BENCH_LOAD_ROUNDS (5),
// BENCH_LOAD_REQUESTS (20000), BENCH_LOAD_CONCURRENCY (64),
// BENCH_STARTUP_ROUNDS (11); BENCH_VARS, a JSON object of [vars] set last
// (e.g. '{"LOG_SAMPLE_RATE": 1}'); BENCH_BASELINE, the directory of
// another build of the worker (its index.js and index_bg.wasm, e.g. an
// older commit's build/), whose CPU per request is measured in the same
// rounds (cpu_us_<kind>_baseline, cpu_ratio_<kind>_vs_baseline). Needs
// `make build` first (make does it).

import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeTempDir } from '../../tests/support/processes.mjs';
import { startMirror } from '../../tests/support/mirror-server.mjs';
import { ROOT } from '../../tests/support/worker.mjs';
import { IP } from '../../tests/support/personas.mjs';
import { blobs, BACKENDS, UPSTREAM, loadVars, loadRequests } from '../../tests/load/mix.mjs';
import { productionLogging, repoWorkerSettings } from './bundle.mjs';
import { serveWorker } from './serve.mjs';
import { buildRustEntryFloor, buildRustFloor, writeJsFloor, LOCATION } from './floors.mjs';
import { cpuPerRequest } from './cpu.mjs';
import { throughput } from './throughput.mjs';
import { startup } from './startup.mjs';
import { checkCases } from './checks.mjs';
import { figure, pairedRatio } from './stats.mjs';

const env = (name, fallback) => Number(process.env[name] ?? fallback);
const ROUNDS = env('BENCH_ROUNDS', 21);
const CPU_REQUESTS = env('BENCH_CPU_REQUESTS', 6_000);
const CPU_CONNECTIONS = env('BENCH_CPU_CONNECTIONS', 16);
const LOAD_ROUNDS = env('BENCH_LOAD_ROUNDS', 5);
const LOAD_REQUESTS = env('BENCH_LOAD_REQUESTS', 20_000);
const LOAD_CONCURRENCY = env('BENCH_LOAD_CONCURRENCY', 64);
const STARTUP_ROUNDS = env('BENCH_STARTUP_ROUNDS', 11);
const EXTRA_VARS = JSON.parse(process.env.BENCH_VARS || '{}');
const BASELINE = process.env.BENCH_BASELINE ? path.resolve(process.env.BENCH_BASELINE) : null;

const log = (line) => console.log(line);
// Other work on the machine shows in every figure: say how busy it was.
const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

// Servers (workerd processes, mirrors) to stop, at the end or on error.
const servers = [];
async function stopServers() {
  for (const stop of servers.splice(0).reverse()) await stop().catch(() => {});
}

/** serveWorker, stopped with the other servers. */
async function serve(name, entry, opts) {
  const worker = await serveWorker(name, entry, opts);
  servers.push(worker.stop);
  return worker;
}

async function main(tmp) {
  const entry = path.join(ROOT, 'build/index.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`make build\` first`);
  if (BASELINE && !existsSync(path.join(BASELINE, 'index.js'))) throw new Error(`BENCH_BASELINE: no index.js in ${BASELINE}`);
  const rustFloorBuild = await buildRustFloor({ log });
  const rustEntryFloorBuild = await buildRustEntryFloor({ log });

  // Loopback mirror buckets and CDN holding every blob of the mix.
  const backends = {};
  for (const name of BACKENDS) {
    backends[name] = await startMirror({ blobs, name });
    servers.push(backends[name].stop);
  }
  const vars = loadVars(Object.fromEntries(BACKENDS.map((n) => [n, backends[n].url])));
  const repo = repoWorkerSettings();
  const { compatibilityFlags } = repo;

  const logging = productionLogging();
  const ourVars = { ...repo.vars, ...vars, ...logging, ...EXTRA_VARS };
  log(`# production's logging configuration: ${Object.entries(logging).map(([k, v]) => `${k}=${v}`).join(' ') || 'none'}`);
  if (Object.keys(EXTRA_VARS).length) log(`# BENCH_VARS: ${JSON.stringify(EXTRA_VARS)}`);
  const ours = await serve('registry-edge', entry, { tmp, compatibilityFlags, vars: ourVars });
  const baseline = BASELINE && (await serve('baseline', path.join(BASELINE, 'index.js'), { tmp, compatibilityFlags, vars: ourVars }));
  const jsFloor = await serve('js-floor', await writeJsFloor(path.join(tmp, 'js-floor-src')), { tmp, compatibilityFlags });
  const rustFloor = await serve('rust-floor', path.join(rustFloorBuild, 'index.js'), { tmp, compatibilityFlags });
  const rustEntryFloor = await serve('rust-entry-floor', path.join(rustEntryFloorBuild, 'index.js'), { tmp, compatibilityFlags });
  log(`# load average before measuring: ${loadAverage()}`);

  // ---- 1. CPU per request
  const blob = blobs[0].digest;
  const kinds = {
    v2: { path: '/v2/', status: 200 },
    manifest: { path: '/v2/pause/manifests/3.10', status: 307, locationPrefix: `${UPSTREAM}/v2/` },
    blob: { path: `/v2/pause/blobs/${blob}`, clientIp: IP.awsEuWest3, status: 307, locationPrefix: backends['eu-west-3'].url },
    error404: { path: '/v2/_catalog', status: 404 },
  };
  const constant = { path: '/v2/pause/manifests/3.10', status: 307, locationPrefix: LOCATION };
  // A blob redirect by the kind of check answering it (checks.mjs).
  const checks = await checkCases({ serve, entry, tmp, compatibilityFlags, vars: repo.vars, stops: servers });
  const cases = [
    ...Object.entries(kinds).map(([name, request]) => ({ name, target: ours, request })),
    ...(baseline ? Object.entries(kinds).map(([name, request]) => ({ name: `${name}_baseline`, target: baseline, request })) : []),
    ...checks.cases,
    { name: 'js_floor', target: jsFloor, request: constant },
    { name: 'rust_floor', target: rustFloor, request: constant },
    { name: 'rust_entry_floor', target: rustEntryFloor, request: constant },
  ];
  log(`# cpu: ${ROUNDS} interleaved rounds of ${CPU_REQUESTS} requests per case, ${CPU_CONNECTIONS} keep-alive connections (wrk)`);
  const cpu = await cpuPerRequest(cases, {
    rounds: ROUNDS, total: CPU_REQUESTS, warmup: Math.min(5000, CPU_REQUESTS), connections: CPU_CONNECTIONS, dir: tmp, log,
  });

  const asked = checks.counts();
  log(`# checks: the mirror answered ${asked.heads} HEADs, the R2 bucket ${asked.r2Heads} head() calls`);

  // ---- 2. throughput of the make load mix
  const mix = loadRequests();
  log(`# throughput: ${mix.length} distinct requests cycled, ${LOAD_ROUNDS} interleaved rounds of ${LOAD_REQUESTS} at concurrency ${LOAD_CONCURRENCY} (wrk)`);
  const http = await throughput(
    [{ name: 'ours', target: ours }, { name: 'js_floor', target: jsFloor }],
    mix,
    { rounds: LOAD_ROUNDS, total: LOAD_REQUESTS, warmup: Math.max(2 * mix.length, 2000), connections: LOAD_CONCURRENCY, dir: tmp, log },
  );

  // Start-up is measured without the servers running.
  await stopServers();

  // ---- 3. start-up
  const wasm = { ours: ours.wasm, rust_floor: rustFloor.wasm };
  const start = await startup(wasm, { rounds: STARTUP_ROUNDS, log });
  const eager = await startup(wasm, { rounds: STARTUP_ROUNDS, log, nodeFlags: ['--no-wasm-lazy-compilation'], label: 'startup (eager)' });

  // ---- figures
  for (const c of cases) figure(`cpu_us_${c.name}`, cpu[c.name].usPerRequest);
  for (const kind of Object.keys(kinds)) {
    figure(`cpu_ratio_${kind}_vs_rust_floor`, pairedRatio(cpu[kind].rounds, cpu.rust_floor.rounds), 2);
    figure(`cpu_ratio_${kind}_vs_js_floor`, pairedRatio(cpu[kind].rounds, cpu.js_floor.rounds), 2);
    if (baseline) figure(`cpu_ratio_${kind}_vs_baseline`, pairedRatio(cpu[kind].rounds, cpu[`${kind}_baseline`].rounds), 2);
  }
  for (const when of ['first', 'cached']) {
    figure(`cpu_ratio_blob_r2_vs_head_${when}`, pairedRatio(cpu[`blob_r2_${when}`].rounds, cpu[`blob_head_${when}`].rounds), 2);
  }
  figure('http_requests_per_s', http.ours.requestsPerSecond, 0);
  figure('http_p99_ms', http.ours.p99Ms, 2);
  figure('http_js_floor_requests_per_s', http.js_floor.requestsPerSecond, 0);
  figure('http_js_floor_p99_ms', http.js_floor.p99Ms, 2);
  figure('http_ratio_vs_js_floor', pairedRatio(http.ours.rounds, http.js_floor.rounds), 2);
  figure('startup_ms', start.ours.ms, 2);
  figure('startup_ms_rust_floor', start.rust_floor.ms, 2);
  figure('startup_ratio_vs_rust_floor', pairedRatio(start.ours.rounds, start.rust_floor.rounds), 2);
  figure('startup_eager_ms', eager.ours.ms, 2);
  figure('startup_eager_ms_rust_floor', eager.rust_floor.ms, 2);
  log(`# load average after: ${loadAverage()}`);
}

let failed = false;
const started = Date.now();
const tmp = await makeTempDir('registry-edge-bench-workerd-');
try {
  await main(tmp.dir);
} catch (err) {
  failed = true;
  console.error(`bench-workerd FAILED: ${err.stack ?? err}`);
} finally {
  await stopServers();
  await tmp.remove();
}
log(`# bench-workerd wall time ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(failed ? 1 : 0);
