// A fixed number of requests at a fixed concurrency, with autocannon (npm),
// cycling through a list of (path, client address) pairs. One cursor is
// shared by all connections (autocannon's own `requests` list restarts per
// connection, which would leave the end of a long mix unsent). Redirects are the
// expected answers here: `nonRedirect` counts every other status, and
// `socketErrors` connection errors and timeouts.

import autocannon from 'autocannon';

/**
 * @param {object} opts
 * @param {string} opts.url  worker origin
 * @param {{path: string, clientIp?: string}[]} opts.requests
 * @param {number} opts.total
 * @param {number} opts.connections
 * @returns {Promise<{requests, seconds, requestsPerSecond, p50Ms, p90Ms, p99Ms, maxMs,
 *   socketErrors, nonRedirect, errors, statuses}>}  statuses: "307=1234 404=5"
 */
export async function runLoad({ url, requests, total, connections, timeoutSeconds = 10 }) {
  let cursor = 0;
  // Timed here: autocannon's own `duration` is coarse (whole seconds).
  const started = performance.now();
  const result = await autocannon({
    url,
    connections,
    amount: total,
    timeout: timeoutSeconds,
    requests: [
      {
        setupRequest: (request) => {
          const { path, clientIp } = requests[cursor++ % requests.length];
          return { ...request, method: 'GET', path, headers: clientIp ? { 'CF-Connecting-IP': clientIp } : {} };
        },
      },
    ],
  });
  const counts = Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]);
  const answered = counts.reduce((n, [, count]) => n + count, 0);
  const nonRedirect = counts.filter(([code]) => !code.startsWith('3')).reduce((n, [, count]) => n + count, 0);
  const seconds = (performance.now() - started) / 1000;
  const socketErrors = result.errors + result.timeouts;
  return {
    requests: answered,
    seconds,
    requestsPerSecond: answered / seconds,
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    socketErrors,
    nonRedirect,
    errors: socketErrors + nonRedirect,
    statuses: counts.map(([code, count]) => `${code}=${count}`).join(' '),
  };
}
