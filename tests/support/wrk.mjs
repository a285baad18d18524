// Load through wrk (Debian package): a fixed number of requests cycling
// through a list of (path, client address) pairs, at a fixed concurrency.
// The Lua script counts responses per thread and stops each thread after
// its share, so the total is the requested count (plus at most the
// requests in flight when a thread stops).

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTempDir, runCommand } from './processes.mjs';

const luaString = (s) => JSON.stringify(s); // ASCII paths and addresses only

/**
 * @param {object} opts
 * @param {string} opts.url  worker origin
 * @param {{path: string, clientIp?: string}[]} opts.requests  cycled in order
 * @param {number} opts.total  requests to send
 * @param {number} opts.connections
 * @param {number} [opts.threads=2]
 * @returns {Promise<{requests, seconds, requestsPerSecond, p50Ms, p90Ms, p99Ms, socketErrors, badStatus, statuses}>}
 */
export async function runWrk({ url, requests, total, connections, threads = 2, timeoutSeconds = 10 }) {
  const tmp = await makeTempDir('registry-edge-wrk-');
  const perThread = Math.ceil(total / threads);
  const script = `
local requests = {
${requests.map((r) => `  { ${luaString(r.path)}, ${r.clientIp ? luaString(r.clientIp) : 'nil'} },`).join('\n')}
}
local threads = {}
function setup(thread)
  thread:set("offset", #threads * 7)
  table.insert(threads, thread)
end
local i, seen, bad, statuses = 0, 0, 0, {}
function init(args) i = offset or 0 end
function request()
  i = i + 1
  local r = requests[(i % #requests) + 1]
  local headers = {}
  if r[2] then headers["CF-Connecting-IP"] = r[2] end
  return wrk.format("GET", r[1], headers)
end
function response(status, headers, body)
  seen = seen + 1
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 500 then bad = bad + 1 end
  if seen >= ${perThread} then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local bad_total, status_text = 0, ""
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    for code, n in pairs(t:get("statuses")) do status_text = status_text .. code .. "=" .. n .. " " end
  end
  local e = summary.errors
  io.write(string.format("WRK_RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d socket_errors=%d bad_status=%d statuses=%s\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, bad_total, status_text))
end
`;
  const scriptPath = path.join(tmp.dir, 'load.lua');
  await writeFile(scriptPath, script);
  try {
    const duration = Math.max(30, Math.ceil(total / 200)); // an upper bound; threads stop at their share
    const run = await runCommand(
      'wrk',
      ['-t', String(threads), '-c', String(connections), '-d', `${duration}s`, '--timeout', `${timeoutSeconds}s`, '-s', scriptPath, url],
      { timeoutMs: (duration + 30) * 1000 },
    );
    const line = run.stdout.split('\n').find((l) => l.startsWith('WRK_RESULT'));
    if (!line) throw new Error(`wrk printed no result (exit ${run.code})\n${run.stdout}\n${run.stderr}`);
    const field = (name) => Number(line.match(new RegExp(`${name}=(\\d+)`))[1]);
    const seconds = field('duration_us') / 1e6;
    return {
      requests: field('requests'),
      seconds,
      requestsPerSecond: field('requests') / seconds,
      p50Ms: field('p50_us') / 1000,
      p90Ms: field('p90_us') / 1000,
      p99Ms: field('p99_us') / 1000,
      socketErrors: field('socket_errors'),
      badStatus: field('bad_status'),
      statuses: line.match(/statuses=(.*)$/)[1].trim(),
    };
  } finally {
    await tmp.remove();
  }
}
