// One fixed-size load run with wrk (Debian package) over keep-alive
// connections, cycling through a list of requests (wrk.lua).

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep, spawnGroup, stopGroup } from '../../tests/support/processes.mjs';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'wrk.lua');

/**
 * @param {object} opts
 * @param {string} opts.url        origin, e.g. http://127.0.0.1:9000
 * @param {{path: string, clientIp?: string}[]} opts.requests  cycled through
 * @param {number} opts.total      requests to complete (split over the threads)
 * @param {number} opts.connections
 * @param {number} [opts.threads=1]
 * @param {string} opts.dir        where the request list and output go
 * @param {number} [opts.maxSeconds=120]  bound on the run (wrk's -d)
 * @returns {Promise<{requests, seconds, requestsPerSecond, p50Ms, p90Ms, p99Ms, socketErrors, statuses: Record<string, number>}>}
 */
export async function runWrk({ url, requests, total, connections, threads = 1, dir, maxSeconds = 120 }) {
  const list = path.join(dir, 'wrk-requests.txt');
  const out = path.join(dir, 'wrk-output.txt');
  const lines = requests.map(({ path: p, clientIp }) => (clientIp ? `${p}\tCF-Connecting-IP: ${clientIp}` : p));
  await writeFile(list, `${lines.join('\n')}\n`);
  await writeFile(out, '');
  const perThread = Math.ceil(total / threads);
  const args = ['-t', threads, '-c', connections, '-d', `${maxSeconds}s`, '--timeout', '10s', '-s', SCRIPT, url, '--', list, perThread];
  const child = spawnGroup('wrk', args.map(String), { logFile: out });
  let output = '';
  try {
    // Every thread has sent its share: end the run now (see wrk.lua).
    while (!child.exitInfo) {
      output = await readFile(out, 'utf8');
      if ((output.match(/^wrk_thread_done$/gm) ?? []).length >= threads) {
        process.kill(child.pid, 'SIGINT');
        break;
      }
      await sleep(5);
    }
    await Promise.race([child.exited, sleep(10_000)]);
    output = await readFile(out, 'utf8');
  } finally {
    await stopGroup(child);
  }
  const figures = Object.fromEntries([...output.matchAll(/^wrk_(\S+) (\d+)$/gm)].map(([, name, value]) => [name, Number(value)]));
  if (figures.requests === undefined) throw new Error(`wrk printed no figures:\n${output}`);
  const statuses = Object.fromEntries(
    Object.entries(figures).filter(([k]) => k.startsWith('status_')).map(([k, v]) => [k.slice(7), v]),
  );
  const seconds = figures.duration_us / 1e6;
  return {
    requests: figures.requests,
    seconds,
    requestsPerSecond: figures.requests / seconds,
    p50Ms: figures.p50_us / 1000,
    p90Ms: figures.p90_us / 1000,
    p99Ms: figures.p99_us / 1000,
    socketErrors: figures.socket_errors,
    statuses,
  };
}
