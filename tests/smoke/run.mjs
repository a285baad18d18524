// `make smoke URL=https://host [ENV=name] [VERSION=id]`: checks a running
// deployment from outside, as a client sees it, against the wrangler
// configuration it was deployed from. With a version id, every request
// (the pull's too, through a loopback proxy) carries Cloudflare's
// version-override header, so a version that takes no traffic yet is the
// one checked. One line per check; exits 1 when any check fails.
// What each check asks: docs/deploying.md, "Smoke test".

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { unstable_readConfig } from 'wrangler';
import { makeTempDir, runCommand } from '../support/processes.mjs';
import { ROOT } from '../support/programs.mjs';
import { skopeoCopyToDir } from '../support/clients.mjs';
import { MANIFEST_ACCEPT } from '../support/oci-images.mjs';
import { startFrontProxy } from '../support/front-proxy.mjs';

// A small public image of registry.k8s.io, pinned by the digest its tag has
// always had (a multi-platform index).
const DEFAULT_IMAGE = 'pause:3.10';
const DEFAULT_DIGEST = 'sha256:ee6521f290b2168b6e0935a181d4cff9be1ac3f505666ef0e3c98fae8199917a';
const REQUEST_TIMEOUT_MS = 15_000;
const PULL_TIMEOUT_MS = 180_000;
// A Workers version id, as `wrangler versions upload` prints it.
const VERSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The header that sends a request to one version of a deployment (a Dictionary Structured Header, RFC 8941). */
const OVERRIDE_HEADER = 'Cloudflare-Workers-Version-Overrides';

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    config: { type: 'string', default: 'wrangler.toml' },
    env: { type: 'string' },
    image: { type: 'string', default: DEFAULT_IMAGE },
    digest: { type: 'string' },
    commit: { type: 'string' },
    version: { type: 'string' },
  },
});
if (!opts.url) {
  console.error('usage: node tests/smoke/run.mjs --url https://host [--env name] [--config wrangler.toml] [--image repo:tag --digest sha256:...] [--commit sha] [--version id]');
  process.exit(2);
}
let base, repository, tag, hosts, override;
try {
  base = new URL(opts.url);
  [repository, tag] = splitImage(opts.image);
  hosts = configuredHosts(opts.config, opts.env);
  if (opts.version !== undefined) {
    if (!VERSION_ID.test(opts.version)) throw new Error(`--version ${JSON.stringify(opts.version)} is not a Workers version id (a UUID, as wrangler versions upload prints it)`);
    // The key is the Worker's name: the environment's, as deployed.
    override = `${hosts.workerName}="${opts.version}"`;
  }
} catch (err) {
  console.error(`smoke test not started: ${err.message}`);
  process.exit(2);
}
const expectedDigest = opts.digest ?? (opts.image === DEFAULT_IMAGE ? DEFAULT_DIGEST : undefined);

/** `name:tag` → [name, tag]; the tag is after the last colon of the last component. */
function splitImage(image) {
  const at = image.lastIndexOf(':');
  if (at <= image.lastIndexOf('/')) throw new Error(`--image ${image}: expected repository:tag`);
  return [image.slice(0, at), image.slice(at + 1)];
}

/** A structured variable as the worker reads it: a TOML value or a JSON string. */
function structured(value, empty) {
  if (value === undefined || value === '') return empty;
  return typeof value === 'string' ? JSON.parse(value) : value;
}

/** A path as given, relative to the repository when inside it. */
function displayPath(file) {
  const relative = path.relative(ROOT, path.resolve(file));
  return relative.startsWith('..') ? path.resolve(file) : relative;
}

/** The origins the configuration may redirect to, by what may go there. */
function configuredHosts(config, env) {
  if (!existsSync(config)) throw new Error(`no configuration ${config}`);
  const { vars, name } = unstable_readConfig({ config: path.resolve(config), env });
  if (!vars.UPSTREAM_REGISTRY_ENDPOINT) throw new Error(`${config}${env ? ` [env.${env}]` : ''} sets no UPSTREAM_REGISTRY_ENDPOINT`);
  const origin = (url) => new URL(url).origin;
  const upstreams = [vars.UPSTREAM_REGISTRY_ENDPOINT, ...structured(vars.UPSTREAM_REGIONS, []).map((r) => r.endpoint)]
    .filter(Boolean)
    .map(origin);
  // A copy is its base URL, or a table whose url is (a copy in R2).
  const copyUrl = (copy) => (typeof copy === 'string' && !copy.trim().startsWith('{') ? copy : structured(copy, {}).url);
  const copies = [
    ...Object.values(structured(vars.BLOB_MIRRORS, {})).map(copyUrl),
    vars.DEFAULT_BLOB_BASE_URL && copyUrl(vars.DEFAULT_BLOB_BASE_URL),
    vars.SIGNATURE_UPSTREAM_ENDPOINT,
  ]
    .filter(Boolean)
    .map(origin);
  return {
    upstreams: new Set(upstreams),
    blobs: new Set([...upstreams, ...copies]),
    upstreamPath: String(vars.UPSTREAM_REGISTRY_PATH ?? '').replace(/^\/+|\/+$/g, ''),
    workerName: name,
    label: `${displayPath(config)}${env ? ` [env.${env}]` : ' (top level)'}`,
  };
}

// ---- HTTP as a registry client -------------------------------------------

const tokens = new Map(); // scope → bearer token, when the deployment challenges

async function get(pathname, { method = 'GET', headers = {}, scope } = {}) {
  const send = (auth) =>
    fetch(new URL(pathname, base), {
      method,
      redirect: 'manual',
      headers: {
        'User-Agent': 'registry-edge-smoke',
        ...(override ? { [OVERRIDE_HEADER]: override } : {}),
        ...headers,
        ...(auth ? { Authorization: `Bearer ${auth}` } : {}),
      },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  let res = await send(tokens.get(scope));
  const challenge = res.headers.get('www-authenticate');
  if (res.status === 401 && scope && /^Bearer /i.test(challenge ?? '')) {
    await res.arrayBuffer();
    tokens.set(scope, await fetchToken(challenge, scope));
    res = await send(tokens.get(scope));
  }
  return { status: res.status, headers: res.headers, body: method === 'HEAD' ? '' : await res.text() };
}

/** The registry token flow: `Bearer realm="…",service="…"` → a token. */
async function fetchToken(challenge, scope) {
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const url = new URL(params.realm);
  if (params.service) url.searchParams.set('service', params.service);
  url.searchParams.set('scope', scope);
  const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (res.status !== 200) throw new Error(`token endpoint ${url.origin}${url.pathname} answered ${res.status}`);
  const body = await res.json();
  return body.token ?? body.access_token;
}

// ---- the checks --------------------------------------------------------------

class Failure extends Error {}
class Warning extends Error {}
class Skipped extends Error {}
const fail = (message) => {
  throw new Failure(message);
};

const results = [];
async function check(name, run) {
  let line;
  try {
    line = `ok    ${name}: ${await run()}`;
  } catch (err) {
    const kind = err instanceof Warning ? 'warn' : err instanceof Skipped ? 'skip' : 'FAIL';
    const why = err instanceof Failure || err instanceof Warning || err instanceof Skipped ? err.message : describe(err);
    line = `${kind.padEnd(5)} ${name}: ${why}`;
    results.push(kind);
  }
  console.log(line);
}

/** A network error as its cause: ECONNREFUSED, a timeout, a TLS problem. */
function describe(err) {
  const cause = err.cause?.code ?? err.cause?.message ?? err.name;
  return `${err.message}${cause && cause !== err.message ? ` (${cause})` : ''}`;
}

function redirectTo(res, allowed, what) {
  if (res.status !== 307) fail(`${what} answered ${res.status}, not a 307 redirect${res.body ? `: ${res.body.slice(0, 200)}` : ''}`);
  const location = res.headers.get('location') ?? fail(`${what}: 307 without Location`);
  const target = new URL(location);
  if (!allowed.has(target.origin)) fail(`${what} redirects to ${target.origin}, not a host ${hosts.label} configures (${[...allowed].join(', ')})`);
  return target;
}

console.log(`smoke test of ${base.origin} against ${hosts.label}${override ? `, version ${opts.version} (${OVERRIDE_HEADER}: ${override})` : ''}`);
const pulled = {};

await check('ping', async () => {
  const res = await get('/v2/');
  const version = res.headers.get('docker-distribution-api-version');
  const challenged = res.status === 401 && /^Bearer /i.test(res.headers.get('www-authenticate') ?? '');
  if (res.status !== 200 && !challenged) fail(`GET /v2/ answered ${res.status}, not 200`);
  if (version !== 'registry/2.0') fail(`GET /v2/ has Docker-Distribution-API-Version ${version ?? '(none)'}, not registry/2.0`);
  return `GET /v2/ ${res.status}${challenged ? ' (pull sessions: a Bearer challenge)' : ''}, Docker-Distribution-API-Version ${version}`;
});

await check('status', async () => {
  const res = await get('/_status');
  if (res.status !== 200) fail(`GET /_status answered ${res.status}`);
  let status;
  try {
    status = JSON.parse(res.body);
  } catch {
    fail(`GET /_status is not JSON: ${res.body.slice(0, 120)}`);
  }
  if (status.service !== 'registry-edge') fail(`GET /_status is not registry-edge's (service ${JSON.stringify(status.service)})`);
  const providers = status.ranges?.providers ?? [];
  const ages = providers.map((p) => `${p.cloud} ${p.age_days === null ? 'undated' : `${p.age_days} d`}`).join(', ');
  const deployed = status.worker_version;
  const running = deployed ? `Workers version ${deployed.id}${deployed.tag ? ` (tag ${deployed.tag})` : ''}, ` : '';
  const summary = `${running}version ${status.version}, commit ${status.commit}, range data from ${status.ranges?.oldest ?? 'unknown'} (${ages})`;
  if (opts.version && deployed?.id !== opts.version) {
    fail(`${summary}; /_status reports Workers version ${deployed?.id ?? '(none: no CF_VERSION_METADATA binding)'}, not ${opts.version}: the override was not applied (a version must be in the current deployment, at 0 % or more, to be reached by it)`);
  }
  if (status.ranges?.stale === true) {
    fail(`${summary}; the range data is ${status.ranges.age_days} days old, older than the deployment's RANGES_MAX_AGE_DAYS (${status.ranges.max_age_days}): make ranges, merge, deploy`);
  }
  const warnings = [];
  const want = opts.commit ?? (await runCommand('git', ['rev-parse', 'HEAD'], { cwd: ROOT, timeoutMs: 10_000 })).stdout.trim();
  if (!status.commit?.startsWith(want) && !want.startsWith(status.commit ?? '-')) {
    warnings.push(`the deployed commit is not ${opts.commit ? 'the one asked for' : "this checkout's HEAD"} ${want}`);
  }
  if (typeof status.ranges?.stale !== 'boolean') warnings.push('the deployment does not say whether its range data is stale');
  if (warnings.length) throw new Warning(`${summary}; ${warnings.join('; ')}`);
  return summary;
});

await check('manifest by tag', async () => {
  const res = await get(`/v2/${repository}/manifests/${tag}`, { headers: { Accept: MANIFEST_ACCEPT }, scope: `repository:${repository}:pull` });
  const target = redirectTo(res, hosts.upstreams, `GET /v2/${repository}/manifests/${tag}`);
  const want = `/v2/${[hosts.upstreamPath, repository].filter(Boolean).join('/')}/manifests/${tag}`;
  if (target.pathname !== want) fail(`redirects to path ${target.pathname}, not ${want}`);
  return `307 to ${target.origin}${target.pathname} (${res.headers.get('x-registry-edge-reason') ?? 'no reason header'})`;
});

await check('pull', async () => {
  const work = await makeTempDir('registry-edge-smoke-');
  // skopeo cannot add a header: with a version to reach, it pulls through a
  // loopback proxy that adds the override to every request (redirects are
  // passed back as they are, so the copies are reached directly).
  const proxy = override
    ? await startFrontProxy({ target: base.origin, clientIp: null, preserveHost: false, headers: { [OVERRIDE_HEADER]: override } })
    : null;
  try {
    const registry = proxy ? proxy.host : base.host;
    const tlsVerify = !proxy && base.protocol === 'https:';
    const image = await skopeoCopyToDir(`${registry}/${repository}:${tag}`, path.join(work.dir, 'image'), {
      timeoutMs: PULL_TIMEOUT_MS,
      tlsVerify,
    });
    if (expectedDigest && image.manifestDigest !== expectedDigest) fail(`skopeo copied ${repository}:${tag} as ${image.manifestDigest}, not ${expectedDigest}`);
    pulled.blob = image.blobDigests[0];
    const pinned = expectedDigest ? `= ${expectedDigest}` : `${image.manifestDigest} (no digest to compare with)`;
    return `skopeo copied ${repository}:${tag}: ${image.blobDigests.length} blobs, each matching its digest; manifest ${pinned}, in ${image.durationMs} ms`;
  } catch (err) {
    if (err instanceof Failure) throw err;
    const said = err.message.split('\n').filter((l) => l && !l.startsWith('--- ')).slice(1);
    fail(`skopeo copy of ${repository}:${tag} failed: ${said.slice(-2).join(' | ') || err.message}`);
  } finally {
    await proxy?.stop();
    await work.remove();
  }
});

await check('blob', async () => {
  if (!pulled.blob) throw new Skipped('needs a blob digest from the pull');
  const res = await get(`/v2/${repository}/blobs/${pulled.blob}`, { scope: `repository:${repository}:pull` });
  const target = redirectTo(res, hosts.blobs, `GET /v2/${repository}/blobs/${pulled.blob.slice(0, 19)}…`);
  const reason = res.headers.get('x-registry-edge-reason') ?? fail(`the blob redirect has no X-Registry-Edge-Reason header`);
  return `307 to ${target.origin}, X-Registry-Edge-Reason: ${reason}`;
});

const failed = results.filter((r) => r === 'FAIL').length;
const warned = results.filter((r) => r === 'warn').length;
const skipped = results.filter((r) => r === 'skip').length;
const notes = [warned && `${warned} warning(s)`, skipped && `${skipped} skipped`].filter(Boolean).join(', ');
console.log(failed ? `smoke test FAILED: ${failed} check(s)${notes ? `; ${notes}` : ''}` : `smoke test passed${notes ? ` with ${notes}` : ''}`);
process.exit(failed ? 1 : 0);
