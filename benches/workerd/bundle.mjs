// Bundles a worker the way it ships: `wrangler deploy --dry-run --outdir`,
// from a temp wrangler.toml without a [build] step (the build is `make
// build`'s job, like tests/support/worker.mjs), and lists the modules the
// bundle consists of. Also reads the settings of the repository's
// wrangler.toml that the runtime config needs: the default environment's,
// and production's logging configuration.

import { readdir, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { experimental_readRawConfig as readRawConfig } from 'wrangler';
import { runChecked } from '../../tests/support/processes.mjs';
import { compatibilityDate, WRANGLER_TOML } from '../../tests/support/wrangler-toml.mjs';

const WRANGLER = 'wrangler';

/** compatibility flags and [vars] of the repository's default environment. */
export function repoWorkerSettings() {
  const { rawConfig } = readRawConfig({ config: WRANGLER_TOML });
  return {
    compatibilityFlags: rawConfig.compatibility_flags ?? [],
    vars: rawConfig.vars ?? {},
  };
}

/**
 * Production's logging configuration: every variable of [env.production]
 * whose name ends in `_SAMPLE_RATE` (LOG_SAMPLE_RATE, ANALYTICS_SAMPLE_RATE:
 * which requests log their record and write their data point), so that the
 * figures follow what production ships.
 */
export function productionLogging() {
  const { rawConfig } = readRawConfig({ config: WRANGLER_TOML });
  const vars = rawConfig.env?.production?.vars ?? {};
  return Object.fromEntries(Object.entries(vars).filter(([name]) => name.endsWith('_SAMPLE_RATE')));
}

/**
 * @param {object} opts
 * @param {string} opts.entry  the worker's main module
 * @param {string} opts.dir    work directory; the bundle lands in it
 * @returns {Promise<{name: string, type: 'esModule'|'wasm'}[]>} entry module first
 */
export async function bundle({ entry, dir }) {
  await mkdir(dir, { recursive: true });
  const config = path.join(dir, 'wrangler.toml');
  await writeFile(config, `name = "bench"\nmain = ${JSON.stringify(entry)}\ncompatibility_date = ${JSON.stringify(compatibilityDate())}\n`);
  await runChecked(WRANGLER, ['deploy', '--dry-run', '--config', config, '--outdir', dir], {
    cwd: dir,
    timeoutMs: 120_000,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' },
  });
  const files = (await readdir(dir)).sort();
  const modules = [];
  for (const name of files) {
    if (name === path.basename(entry)) modules.unshift({ name, type: 'esModule' });
    else if (name.endsWith('.wasm')) modules.push({ name, type: 'wasm' });
    else if (name.endsWith('.js') || name.endsWith('.mjs')) modules.push({ name, type: 'esModule' });
  }
  if (modules[0]?.name !== path.basename(entry)) throw new Error(`no ${path.basename(entry)} in the bundle at ${dir}`);
  return modules;
}
