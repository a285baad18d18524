// The steps of the deploy workflow (.github/workflows/deploy.yml), each a
// `make deploy-*` target (docs/deploying.md, "The deploy workflow"):
//
//   upload    --env E --tag T        wrangler versions upload; prints the version id
//   current   --env E                the version serving the deployment now
//   split     --env E --version V --previous P --percent N
//                                    wrangler versions deploy V@N% P@(100-N)%
//   watch     --env E --url U --version V --minutes M [--every S]
//                                    make smoke's checks of V, again and again
//   rollback  --env E [--to V]       the previous version at 100 %
//   triggers  --env E [--since COMMIT] [--apply [--dry-run]]
//                                    whether routes, domains and crons differ from
//                                    COMMIT's; --apply: wrangler triggers deploy
//
// Results go to stdout as `name=value` lines, and to $GITHUB_OUTPUT when
// the runner sets it. Credentials come from the environment
// (CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID) and are never printed.

import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { unstable_readConfig } from 'wrangler';
import { rollbackTarget, servingVersion, splitSpecs, triggersDiff, triggersOf, uploadedVersion, VERSION_ID } from './versions.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CONFIG = path.join(ROOT, 'wrangler.toml');

const [command, ...rest] = process.argv.slice(2);
const { values: opts } = parseArgs({
  args: rest,
  options: {
    env: { type: 'string' },
    tag: { type: 'string' },
    message: { type: 'string' },
    version: { type: 'string' },
    previous: { type: 'string' },
    percent: { type: 'string' },
    url: { type: 'string' },
    minutes: { type: 'string', default: '10' },
    every: { type: 'string', default: '60' },
    to: { type: 'string' },
    since: { type: 'string' },
    apply: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
  },
});

function usage(problem) {
  console.error(`deploy: ${problem}\nusage: node .github/scripts/deploy.mjs upload|current|split|watch|rollback|triggers --env ENV [...] (see the file's head)`);
  process.exit(2);
}

/** A `name=value` result, printed and handed to the workflow. */
function output(name, value) {
  console.log(`${name}=${value}`);
  if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `${name}=${value}\n`);
}

/** wrangler with these arguments, its output passed through; throws on failure. */
function wrangler(args, { capture = false, env = {} } = {}) {
  const result = spawnSync('wrangler', [...args, '--config', CONFIG, '--env', opts.env], {
    cwd: ROOT,
    stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`wrangler ${args[0]} ${args[1] ?? ''} failed (exit ${result.status})`);
  return result.stdout;
}

const version = (name, value) => {
  if (!VERSION_ID.test(value ?? '')) usage(`--${name} ${JSON.stringify(value)} is not a version id`);
  return value;
};

async function main() {
  if (!opts.env) usage('--env is required (production or sandbox)');
  switch (command) {
    case 'upload': {
      if (!opts.tag) usage('upload needs --tag (the commit)');
      const dir = mkdtempSync(path.join(tmpdir(), 'registry-edge-upload-'));
      try {
        const file = path.join(dir, 'wrangler-output.json');
        const message = opts.message ?? `commit ${opts.tag}`;
        wrangler(['versions', 'upload', '--tag', opts.tag, '--message', message], { env: { WRANGLER_OUTPUT_FILE_PATH: file } });
        const uploaded = uploadedVersion(readFileSync(file, 'utf8'));
        output('version', uploaded.versionId);
        if (uploaded.previewUrl) output('preview_url', uploaded.previewUrl);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      break;
    }
    case 'current': {
      const deployment = JSON.parse(wrangler(['deployments', 'status', '--json'], { capture: true }));
      const previous = servingVersion(deployment);
      output('previous', previous);
      // The commit it was uploaded from (`--tag`), for the triggers step.
      const viewed = JSON.parse(wrangler(['versions', 'view', previous, '--json'], { capture: true }));
      output('previous_tag', viewed.annotations?.['workers/tag'] ?? '');
      break;
    }
    case 'split': {
      const specs = splitSpecs(version('version', opts.version), version('previous', opts.previous), Number(opts.percent));
      wrangler(['versions', 'deploy', ...specs, '--yes', '--message', `${opts.version} at ${opts.percent} %`]);
      break;
    }
    case 'watch': {
      if (!opts.url) usage('watch needs --url');
      const until = Date.now() + Number(opts.minutes) * 60_000;
      for (let round = 1; ; round++) {
        console.log(`watch round ${round}: make smoke of version ${opts.version}`);
        const smoke = spawnSync(process.execPath, ['tests/smoke/run.mjs', '--url', opts.url, '--env', opts.env, '--version', version('version', opts.version)], {
          cwd: ROOT,
          stdio: 'inherit',
        });
        if (smoke.status !== 0) throw new Error(`the smoke test failed in watch round ${round}`);
        if (Date.now() + Number(opts.every) * 1000 > until) break;
        await new Promise((resolve) => setTimeout(resolve, Number(opts.every) * 1000));
      }
      break;
    }
    case 'rollback': {
      const target = opts.to ? version('to', opts.to) : rollbackTarget(JSON.parse(wrangler(['deployments', 'list', '--json'], { capture: true })));
      wrangler(['versions', 'deploy', `${target}@100%`, '--yes', '--message', `rollback to ${target}`]);
      output('serving', target);
      break;
    }
    case 'triggers': {
      const read = (config) => triggersOf(unstable_readConfig({ config, env: opts.env }));
      let before = null;
      if (opts.since) {
        const shown = spawnSync('git', ['show', `${opts.since}:wrangler.toml`], { cwd: ROOT, encoding: 'utf8' });
        if (shown.status === 0) {
          const dir = mkdtempSync(path.join(tmpdir(), 'registry-edge-triggers-'));
          try {
            writeFileSync(path.join(dir, 'wrangler.toml'), shown.stdout);
            before = read(path.join(dir, 'wrangler.toml'));
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        } else {
          console.log(`cannot read wrangler.toml at ${opts.since}: ${shown.stderr.trim()}`);
        }
      }
      const changes = before ? triggersDiff(before, read(CONFIG)) : ['the deployed commit is unknown: apply them'];
      for (const change of changes) console.log(`triggers of ${opts.env}: ${change}`);
      if (changes.length === 0) console.log(`triggers of ${opts.env}: unchanged since ${opts.since}`);
      output('triggers_changed', changes.length > 0);
      if (opts.apply) wrangler(['triggers', 'deploy', ...(opts['dry-run'] ? ['--dry-run'] : [])]);
      break;
    }
    default:
      usage(`unknown step ${JSON.stringify(command)}`);
  }
}

main().catch((err) => {
  console.error(`deploy ${command}: ${err.message}`);
  process.exit(1);
});
