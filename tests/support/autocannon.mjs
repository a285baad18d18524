// A fixed number of requests at a fixed concurrency, with autocannon (npm),
// cycling through a list of (path, client address) pairs. Redirects are the
// expected answers here, so "errors" means socket errors, timeouts and any
// status that is not a 3xx.

import autocannon from 'autocannon';

/**
 * @param {object} opts
 * @param {string} opts.url  worker origin
 * @param {{path: string, clientIp?: string}[]} opts.requests
 * @param {number} opts.total
 * @param {number} opts.connections
 * @returns {Promise<{requests, seconds, requestsPerSecond, p50Ms, p99Ms, errors, statuses}>}
 */
export async function runLoad({ url, requests, total, connections, timeoutSeconds = 10 }) {
  const result = await autocannon({
    url,
    connections,
    amount: total,
    timeout: timeoutSeconds,
    requests: requests.map(({ path, clientIp }) => ({
      method: 'GET',
      path,
      headers: clientIp ? { 'CF-Connecting-IP': clientIp } : {},
    })),
  });
  const statuses = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = count;
  const unexpected = Object.entries(statuses)
    .filter(([code]) => !code.startsWith('3'))
    .reduce((n, [, count]) => n + count, 0);
  const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
  const seconds = result.duration;
  return {
    requests: answered,
    seconds,
    requestsPerSecond: answered / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + unexpected,
    statuses,
  };
}
