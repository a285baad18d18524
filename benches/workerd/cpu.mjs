// CPU per request under bare workerd: for each case (a kind of request
// against one workerd process), the process's CPU time before and after a
// fixed number of keep-alive requests (wrk), divided by the requests
// answered. The cases run in interleaved rounds, in an order rotated each
// round, so a disturbance on the machine (other processes, thermal state)
// spreads over all of them rather than skewing one; the figure per case is
// the median of its rounds.
// The load generator runs on the same two cores but is not counted: only
// the workerd process's own CPU time is.

import { runWrk } from './wrk.mjs';
import { median } from './stats.mjs';

/**
 * One request, checked before it is measured: the status and, for
 * redirects, where the Location points (so a blob case really is a mirror
 * redirect, not a fallback to upstream).
 */
async function probe({ name, target, request }) {
  const res = await fetch(`${target.url}${request.path}`, {
    redirect: 'manual',
    headers: request.clientIp ? { 'CF-Connecting-IP': request.clientIp } : {},
  });
  const body = await res.text();
  const location = res.headers.get('location') ?? '';
  if (res.status !== request.status || !location.startsWith(request.locationPrefix ?? '')) {
    throw new Error(`${name}: ${request.path} answered ${res.status} ${location} ${body.slice(0, 200)}; expected ${request.status} ${request.locationPrefix ?? ''}`);
  }
}

async function measure({ name, target, request, fresh }, { total, connections, dir }) {
  // A case with `fresh` sends a new list of requests each run (e.g. a
  // digest never asked before, so every check is a first-time one).
  const requests = fresh ? fresh(total) : [request];
  const before = target.cpuSeconds();
  const r = await runWrk({ url: target.url, requests, total, connections, dir });
  const after = target.cpuSeconds();
  const answered = r.statuses[request.status] ?? 0;
  if (r.socketErrors || answered !== r.requests) {
    throw new Error(`${name}: ${r.socketErrors} socket errors, statuses ${JSON.stringify(r.statuses)} (expected all ${request.status})`);
  }
  return { usPerRequest: ((after - before) / r.requests) * 1e6, requests: r.requests, requestsPerSecond: r.requestsPerSecond };
}

/**
 * @param {{name: string, target: {url, cpuSeconds}, request: {path, clientIp?, status, locationPrefix?},
 *   fresh?: (count: number) => {path, clientIp?}[]}[]} cases  `request` is probed; `fresh`, if given,
 *   makes each run's requests instead of repeating `request`
 * @param {object} opts  rounds, total (requests per case per round), warmup, connections, dir, log
 * @returns {Promise<Record<string, {usPerRequest: number, rounds: number[], requests: number}>>}
 */
export async function cpuPerRequest(cases, { rounds, total, warmup, connections, dir, log }) {
  for (const c of cases) {
    await probe(c);
    // JIT tiers, first blob check, isolate caches: all before measuring.
    await measure(c, { total: warmup, connections, dir });
  }
  const samples = Object.fromEntries(cases.map((c) => [c.name, []]));
  const requests = Object.fromEntries(cases.map((c) => [c.name, 0]));
  for (let round = 1; round <= rounds; round++) {
    // Each round starts one case later: no case always runs first or
    // right after another.
    const start = (round - 1) % cases.length;
    for (const c of [...cases.slice(start), ...cases.slice(0, start)]) {
      const m = await measure(c, { total, connections, dir });
      samples[c.name].push(m.usPerRequest);
      requests[c.name] += m.requests;
      log(`# cpu round ${round} ${c.name}: ${m.usPerRequest.toFixed(1)} us/request, ${Math.round(m.requestsPerSecond)} requests/s`);
    }
  }
  return Object.fromEntries(
    cases.map((c) => [c.name, { usPerRequest: median(samples[c.name]), rounds: samples[c.name], requests: requests[c.name] }]),
  );
}
