// Child-process and port helpers shared by the end-to-end rig.
//
// Every long-running child is started in its own process group (detached) so
// that stopping it also stops whatever it forked (workerd under wrangler,
// conmon under podman, ...). Groups still alive when this Node process exits
// are SIGKILLed by an 'exit' handler, so a crashed or failed test never leaves
// servers behind on the machine.

import { spawn } from 'node:child_process';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { openSync, closeSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { resolveProgram } from './programs.mjs';

const liveGroups = new Set();
const liveTempDirs = new Set();

function killGroupSync(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (err) {
    if (err.code === 'ESRCH') return false; // group already gone
    throw err;
  }
}

let safetyNetInstalled = false;
function installSafetyNet() {
  if (safetyNetInstalled) return;
  safetyNetInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is the only thing we can do.
  process.on('exit', () => {
    for (const pid of liveGroups) killGroupSync(pid, 'SIGKILL');
    for (const dir of liveTempDirs) {
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
      } catch {
        /* best effort: a dying child may still hold it */
      }
    }
  });
  // A signal normally kills Node without running 'exit' handlers; turn it into
  // a normal exit so the handler above runs. If the program installed its own
  // handler for that signal, leave the decision (and the exit) to it.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    const onSignal = () => {
      if (process.listenerCount(sig) === 1) process.exit(128 + os.constants.signals[sig]);
    };
    process.on(sig, onSignal);
  }
}

/**
 * Start `command args` in its own process group, stdout+stderr appended to
 * `logFile` (or discarded when no logFile). `command` is a program of
 * programs.txt (or a path to one): a missing one throws, naming the make
 * target that installs it. Returns the ChildProcess with
 * extra fields: `logFile`, `exited` (Promise<{code, signal}>), `exitInfo`
 * (null while running).
 */
export function spawnGroup(command, args = [], { logFile, env, cwd } = {}) {
  installSafetyNet();
  const file = resolveProgram(command);
  const fd = logFile ? openSync(logFile, 'a') : 'ignore';
  let child;
  try {
    child = spawn(file, args, {
      cwd,
      env: env ?? process.env,
      detached: true, // new process group, leader pid == child.pid
      stdio: ['ignore', fd, fd],
    });
  } finally {
    if (typeof fd === 'number') closeSync(fd); // the child holds its own copy
  }
  child.logFile = logFile;
  child.exitInfo = null;
  child.exited = new Promise((resolve) => {
    const done = (code, signal) => {
      if (!child.exitInfo) child.exitInfo = { code, signal };
      resolve(child.exitInfo);
    };
    child.once('exit', done);
    // spawn failure (ENOENT...) emits 'error' and maybe never 'exit'.
    child.once('error', (err) => {
      child.spawnError = err;
      done(null, null);
    });
  });
  if (child.pid) {
    liveGroups.add(child.pid);
    // Forget the group once the leader is gone and nothing else remains.
    child.exited.then(() => {
      if (!killGroupSync(child.pid, 0)) liveGroups.delete(child.pid);
    });
  }
  return child;
}

/**
 * Stop a child's whole process group: SIGTERM, then SIGKILL after `graceMs`.
 * Bounded: resolves after at most ~graceMs + killWaitMs. Safe to call twice
 * and on an already exited child (stragglers in its group are still killed).
 */
export async function stopGroup(child, { graceMs = 3000, killWaitMs = 2000 } = {}) {
  if (!child || !child.pid) return;
  const pid = child.pid;
  if (killGroupSync(pid, 'SIGTERM')) {
    const stopped = await Promise.race([child.exited.then(() => true), sleep(graceMs).then(() => false)]);
    // Kill the group even when the leader went away: forked helpers may linger.
    killGroupSync(pid, 'SIGKILL');
    if (!stopped) await Promise.race([child.exited, sleep(killWaitMs)]);
  }
  liveGroups.delete(pid);
}

/**
 * Run a command (a program of programs.txt, as for spawnGroup) to
 * completion in its own process group, capturing output.
 * Kills the group after `timeoutMs`. Never rejects for a non-zero exit: look at
 * `code`. Returns {code, signal, stdout, stderr, timedOut, durationMs}.
 */
export async function runCommand(command, args = [], { timeoutMs = 60_000, env, cwd, input } = {}) {
  installSafetyNet();
  const file = resolveProgram(command);
  const started = performance.now();
  const child = spawn(file, args, {
    cwd,
    env: env ?? process.env,
    detached: true,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (child.pid) liveGroups.add(child.pid);
  const out = [];
  const err = [];
  child.stdout.on('data', (b) => out.push(b));
  child.stderr.on('data', (b) => err.push(b));
  if (input !== undefined) child.stdin.end(input);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroupSync(child.pid, 'SIGKILL');
  }, timeoutMs);
  const { code, signal } = await new Promise((resolve) => {
    child.once('error', (e) => {
      err.push(Buffer.from(String(e)));
      resolve({ code: null, signal: null });
    });
    // 'close' (not 'exit') so that all piped output has been read.
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  clearTimeout(timer);
  if (child.pid) {
    killGroupSync(child.pid, 'SIGKILL'); // leftovers the command forked
    liveGroups.delete(child.pid);
  }
  return {
    code,
    signal,
    timedOut,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
    durationMs: Math.round(performance.now() - started),
  };
}

/** runCommand that throws (with the output in the message) unless exit code 0. */
export async function runChecked(command, args = [], opts = {}) {
  const r = await runCommand(command, args, opts);
  if (r.code !== 0) {
    const why = r.timedOut ? `timed out after ${opts.timeoutMs ?? 60_000} ms` : `exit ${r.code ?? r.signal}`;
    throw new Error(`${command} ${args.join(' ')}: ${why}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  return r;
}

/**
 * Poll `url` until it answers with a status accepted by `accept` (default:
 * any status below 500). Each attempt is itself time-bounded. When `child` is
 * given, fails fast if that process exits, quoting the end of its log.
 */
export async function waitForHttp(
  url,
  { timeoutMs = 30_000, intervalMs = 100, requestTimeoutMs = 2000, accept = (s) => s < 500, child, method = 'GET' } = {},
) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt';
  while (Date.now() < deadline) {
    if (child?.exitInfo) {
      throw new Error(`process exited (${JSON.stringify(child.exitInfo)}) before ${url} was ready${await logTail(child.logFile)}`);
    }
    try {
      const res = await fetch(url, {
        method,
        redirect: 'manual',
        signal: AbortSignal.timeout(Math.min(requestTimeoutMs, Math.max(1, deadline - Date.now()))),
      });
      await res.arrayBuffer().catch(() => {});
      if (accept(res.status)) return res.status;
      last = `status ${res.status}`;
    } catch (err) {
      last = err.cause?.code ?? err.name ?? String(err);
    }
    await sleep(intervalMs);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (last: ${last})${await logTail(child?.logFile)}`);
}

async function logTail(logFile, chars = 2000) {
  if (!logFile) return '';
  try {
    const text = await readFile(logFile, 'utf8');
    return `\n--- ${logFile} (tail)\n${text.slice(-chars)}`;
  } catch {
    return '';
  }
}

/**
 * A TCP port that was free a moment ago on 127.0.0.1: bind port 0, read the
 * number, close. Nothing listens on it afterwards, which also makes it a
 * "closed port" for fault tests (tiny race with other binders is accepted).
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A fresh temp directory, plus a remover. Directories not removed by the
 * test are deleted when the process exits (also on SIGINT/SIGTERM), unless
 * E2E_KEEP_TMP=1 is set to keep logs and state for debugging.
 */
export async function makeTempDir(prefix = 'registry-edge-e2e-') {
  installSafetyNet();
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  if (process.env.E2E_KEEP_TMP !== '1') liveTempDirs.add(dir);
  return {
    dir,
    remove: async () => {
      await rm(dir, { recursive: true, force: true, maxRetries: 2 });
      liveTempDirs.delete(dir);
    },
  };
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
