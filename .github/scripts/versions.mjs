// The decisions of a gradual deploy, as plain functions over what wrangler
// prints (tested in tests/workflows/versions.test.mjs with wrangler's own
// shapes): the version id in `wrangler versions upload`'s output file, the
// version a deployment serves, the split to deploy, the version to roll
// back to, and whether an environment's triggers changed between commits.

/** A Workers version id (a UUID). */
export const VERSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The `version-upload` entry of wrangler's output file
 * (WRANGLER_OUTPUT_FILE_PATH: one JSON object a line, appended per command).
 * @returns {{versionId: string, previewUrl: string|null, workerName: string|null}}
 */
export function uploadedVersion(outputFileText) {
  const entries = outputFileText
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));
  const upload = entries.filter((e) => e.type === 'version-upload').at(-1);
  if (!upload) throw new Error('wrangler wrote no version-upload entry to its output file: the upload did not happen');
  if (!VERSION_ID.test(upload.version_id ?? '')) throw new Error(`wrangler's output file names no version id: ${JSON.stringify(upload)}`);
  return { versionId: upload.version_id, previewUrl: upload.preview_url ?? null, workerName: upload.worker_name ?? null };
}

/**
 * The version serving most of a deployment's traffic (`wrangler deployments
 * status --json`: `{versions: [{version_id, percentage}]}`); on a tie, the
 * first listed.
 */
export function servingVersion(deployment) {
  const versions = deployment?.versions ?? [];
  if (versions.length === 0) throw new Error('the deployment lists no version');
  return versions.reduce((best, v) => (v.percentage > best.percentage ? v : best)).version_id;
}

/**
 * `wrangler versions deploy` version specs: the new version at `percent`,
 * the previous one at the rest (alone at 100).
 */
export function splitSpecs(newVersion, previousVersion, percent) {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new Error(`share ${percent}: a whole percentage from 0 to 100`);
  for (const id of [newVersion, previousVersion]) if (!VERSION_ID.test(id ?? '')) throw new Error(`${JSON.stringify(id)} is not a version id`);
  if (percent === 100 || newVersion === previousVersion) return [`${newVersion}@100%`];
  return [`${newVersion}@${percent}%`, `${previousVersion}@${100 - percent}%`];
}

/**
 * The version to roll back to, from `wrangler deployments list --json`
 * (oldest first): the one that last served all traffic before the latest
 * deployment, other than what the latest serves most. During a canary
 * (new 10 %, old 90 %) that is the old version; after a full rollout, the
 * one before it.
 */
export function rollbackTarget(deployments) {
  const newestFirst = [...deployments].sort((a, b) => b.created_on.localeCompare(a.created_on));
  const [latest, ...earlier] = newestFirst;
  if (!latest) throw new Error('the Worker has no deployment to roll back');
  const current = servingVersion(latest);
  const newest = latest.versions.length > 1 ? latest.versions.find((v) => v.version_id !== current)?.version_id : current;
  for (const deployment of earlier) {
    const whole = deployment.versions.find((v) => v.percentage === 100);
    if (whole && whole.version_id !== newest) return whole.version_id;
  }
  throw new Error('no earlier deployment served one version at 100 %: name the version to roll back to');
}

/**
 * What `wrangler triggers deploy` applies for an environment, from a
 * configuration as wrangler reads it: routes (custom domains among them),
 * crons, and the workers.dev and preview URL switches.
 */
export function triggersOf(config) {
  return {
    routes: config.routes ?? (config.route ? [config.route] : []),
    crons: config.triggers?.crons ?? [],
    workers_dev: config.workers_dev ?? null,
    preview_urls: config.preview_urls ?? null,
  };
}

/** The trigger kinds that differ between two `triggersOf` values, each with its before and after. */
export function triggersDiff(before, after) {
  const changes = [];
  for (const key of Object.keys(after)) {
    const [b, a] = [JSON.stringify(before[key]), JSON.stringify(after[key])];
    if (b !== a) changes.push(`${key}: ${b} -> ${a}`);
  }
  return changes;
}
