// Runs bare `workerd serve` (the binary wrangler itself runs, from the
// @cloudflare/workerd-linux-64 package) in its own process group, and reads
// the CPU time it has used: utime + stime of /proc/PID/stat, which count
// every thread of the process (V8's compiler and GC threads included).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { spawnGroup, stopGroup, waitForHttp } from '../../tests/support/processes.mjs';

export const WORKERD = 'workerd';
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (comm) may hold spaces: count fields after its closing paren,
  // which is followed by field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  return (utime + stime) / CLK_TCK;
}

/**
 * Starts workerd on a config written by tests/support/workerd-config.mjs and waits until it
 * answers on `url`.
 * @returns {Promise<{url: string, pid: number, logFile: string, stop: () => Promise<void>}>}
 */
export async function startWorkerd({ config, port, logFile, extraArgs = [], readyTimeoutMs = 30_000 }) {
  const child = spawnGroup(WORKERD, ['serve', config, ...extraArgs], { logFile, cwd: path.dirname(config) });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/v2/`, { timeoutMs: readyTimeoutMs, child, accept: (s) => s < 500 });
  } catch (err) {
    await stopGroup(child);
    throw err;
  }
  return { url, pid: child.pid, logFile, stop: () => stopGroup(child) };
}
