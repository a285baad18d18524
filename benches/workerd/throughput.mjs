// Throughput under bare workerd: the mixed request set of `make load`
// (tests/load/mix.mjs) at its concurrency, a fixed number of requests per
// run (wrk), against each target in interleaved rounds; medians of the
// requests/s and of the p99 latency. Every answer must be a redirect.
// Client and server share the machine's two cores, so these figures are a
// ratio to the constant JavaScript worker more than absolute capacities.

import { runWrk } from './wrk.mjs';
import { median } from './stats.mjs';

async function run({ name, target }, requests, { total, connections, dir }) {
  const r = await runWrk({ url: target.url, requests, total, connections, dir });
  const redirects = Object.entries(r.statuses).filter(([s]) => s.startsWith('3')).reduce((n, [, c]) => n + c, 0);
  if (r.socketErrors || redirects !== r.requests) {
    throw new Error(`${name}: ${r.socketErrors} socket errors, statuses ${JSON.stringify(r.statuses)} (expected only redirects)`);
  }
  return r;
}

/**
 * @param {{name: string, target: {url}}[]} cases
 * @param {{path: string, clientIp?: string}[]} requests  the mix, cycled
 * @param {object} opts  rounds, total, warmup, connections, dir, log
 * @returns {Promise<Record<string, {requestsPerSecond: number, p99Ms: number, p50Ms: number, rounds: number[]}>>}
 *   rounds: requests/s of each round
 */
export async function throughput(cases, requests, { rounds, total, warmup, connections, dir, log }) {
  // First sight of every blob (existence checks) and JIT warm-up.
  for (const c of cases) await run(c, requests, { total: warmup, connections, dir });
  const samples = Object.fromEntries(cases.map((c) => [c.name, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const c of cases) {
      const r = await run(c, requests, { total, connections, dir });
      samples[c.name].push(r);
      log(`# throughput round ${round} ${c.name}: ${Math.round(r.requestsPerSecond)} requests/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
    }
  }
  return Object.fromEntries(
    cases.map((c) => {
      const s = samples[c.name];
      return [c.name, {
        requestsPerSecond: median(s.map((r) => r.requestsPerSecond)),
        p50Ms: median(s.map((r) => r.p50Ms)),
        p99Ms: median(s.map((r) => r.p99Ms)),
        rounds: s.map((r) => r.requestsPerSecond),
      }];
    }),
  );
}
