// The `registry-edge` command as the mirrors tests and benchmark run it:
// the binary cargo built (`make cli`, or REGISTRY_EDGE_BIN), a
// wrangler.toml naming the test's upstream and copies, and the stores'
// credentials in the environment only where a case gives them.

import path from 'node:path';
import { writeFile, mkdir } from 'node:fs/promises';
import { ROOT } from './programs.mjs';
import { runCommand, spawnGroup } from './processes.mjs';
import { toToml } from './worker.mjs';

export const CLI_BIN = process.env.REGISTRY_EDGE_BIN ?? path.join(ROOT, 'target/debug/registry-edge');

/** Writes `<dir>/wrangler.toml` with these [vars] at the top level. */
export async function writeMirrorsConfig(dir, vars) {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'wrangler.toml');
  const lines = ['name = "registry-edge-mirrors-test"', 'main = "build/index.js"', '', '[vars]', ...Object.entries(vars).map(([k, v]) => `${k} = ${toToml(v)}`), ''];
  await writeFile(file, lines.join('\n'));
  return file;
}

/** The environment of a run: this process's, less any store credentials, plus `env`. */
function runEnv(env) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AWS|GOOGLE|AZURE)_/.test(k)));
  return { ...base, ...env };
}

/**
 * `registry-edge mirrors <args>` to completion. With `--json` in args the
 * report is parsed into `report`.
 * @returns {Promise<{code, stdout, stderr, report, durationMs}>}
 */
export async function mirrors(args, { env = {}, timeoutMs = 120_000 } = {}) {
  const r = await runCommand(CLI_BIN, ['mirrors', ...args], { env: runEnv(env), timeoutMs });
  let report = null;
  if (args.includes('--json') && r.stdout.trim().startsWith('{')) report = JSON.parse(r.stdout);
  return { ...r, report };
}

/** The same, left running in its own process group (to be killed by the test). */
export function startMirrors(args, { env = {}, logFile } = {}) {
  return spawnGroup(CLI_BIN, ['mirrors', ...args], { env: runEnv(env), logFile });
}
