// The configurations shipped in wrangler.toml (local default, production,
// sandbox), read with wrangler's own config reader and served by the built
// worker: each must parse (no 500) and route as documented. Production's
// upstream regions are pinned to registry.k8s.io's real ones.

import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { unstable_readConfig } from 'wrangler';
import { startWorker, ROOT } from '../support/worker.mjs';
import { request } from '../support/http.mjs';
import { makeTempDir, runCommand } from '../support/processes.mjs';
import { putLocalObjects, r2BucketsToml } from '../support/r2-local.mjs';
import { IP } from '../support/personas.mjs';
import { compatibilityDate, WRANGLER_TOML } from '../support/wrangler-toml.mjs';

const D = 'sha256:da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e';
const AR = (region) => `https://${region}-docker.pkg.dev`;
const readConfig = (env) => unstable_readConfig({ config: WRANGLER_TOML, env });

// The 22 regions where registry.k8s.io runs an oci-proxy with
// UPSTREAM_REGISTRY_ENDPOINT https://<region>-docker.pkg.dev: kubernetes/k8s.io
// infra/gcp/terraform/modules/oci-proxy/main.tf (locals.cloud_run_config)
// at commit 3ca41f506262aed659a3a76877db17f1232618ba.
const REGISTRY_K8S_IO_REGIONS = [
  'asia-east1', 'asia-northeast1', 'asia-northeast2', 'asia-south1', 'australia-southeast1',
  'europe-north1', 'europe-southwest1', 'europe-west1', 'europe-west10', 'europe-west2',
  'europe-west3', 'europe-west4', 'europe-west8', 'europe-west9', 'southamerica-west1',
  'us-central1', 'us-east1', 'us-east4', 'us-east5', 'us-south1', 'us-west1', 'us-west2',
];

test('[env.production] UPSTREAM_REGIONS is exactly registry.k8s.io\'s Artifact Registry regions', () => {
  const { vars } = readConfig('production');
  assert.deepEqual(
    vars.UPSTREAM_REGIONS.map((r) => ({ ...r })), // TOML tables have no prototype
    REGISTRY_K8S_IO_REGIONS.map((name) => ({ name, endpoint: AR(name) })),
  );
  assert.equal(REGISTRY_K8S_IO_REGIONS.length, 22);
  for (const absent of ['southamerica-east1', 'asia-southeast1']) {
    assert.ok(!vars.UPSTREAM_REGIONS.some((r) => r.name === absent), `${absent} is not an upstream of registry.k8s.io`);
  }
});

test('known repositories are on everywhere, listed every 10 minutes', () => {
  for (const env of [undefined, 'production', 'sandbox']) {
    const { vars } = readConfig(env);
    assert.equal(vars.KNOWN_REPOSITORIES, true, env ?? 'top level');
    assert.equal(vars.KNOWN_REPOSITORIES_SECONDS, 600, env ?? 'top level');
  }
});

test('the compatibility date the test and bench configs copy is the one wrangler reads', () => {
  for (const env of [undefined, 'production', 'sandbox']) assert.equal(compatibilityDate(), readConfig(env).compatibility_date, env);
});

for (const env of [undefined, 'production', 'sandbox']) {
  test(`wrangler.toml ${env ? `[env.${env}]` : 'top level'}: valid and routing`, async () => {
    const config = readConfig(env);
    const { vars } = config;
    // The environment's own R2 buckets, kept locally; the top level's holds
    // the blob D (the others are empty).
    const state = await makeTempDir('registry-edge-shipped-state-');
    const buckets = Object.fromEntries(config.r2_buckets.map((b) => [b.binding, b.bucket_name]));
    if (!env) {
      await putLocalObjects({ stateDir: state.dir, bucket: buckets.R2_BLOBS, objects: [{ key: `containers/images/${D}`, bytes: Buffer.from('D') }] });
    }
    // The checks in this test never reach a mirror: no network here.
    const worker = await startWorker({
      vars: { ...vars, BLOB_CHECK_TIMEOUT_MS: 200 },
      kvNamespaces: config.kv_namespaces.map((k) => k.binding),
      extraToml: r2BucketsToml(buckets),
      stateDir: state.dir,
    });
    const get = (p, ip) => request(worker.url, p, ip ? { headers: { 'CF-Connecting-IP': ip } } : {});
    try {
      const ping = await get('/v2/');
      assert.equal(ping.status, 200, ping.body);
      const status = JSON.parse((await get('/_status')).body);
      assert.equal(status.features.known_repositories.on, true);
      const manifest = await get('/v2/pause/manifests/3.10');
      assert.equal(manifest.status, 307, manifest.body);
      // wrangler dev's placeholder location is Austin, TX: in production
      // us-south1 (Dallas) is the nearest region, in the local default
      // us-central1 (Iowa).
      const upstream = { production: AR('us-south1'), sandbox: vars.UPSTREAM_REGISTRY_ENDPOINT }[env] ?? AR('us-central1');
      assert.equal(manifest.headers.location, `${upstream}/v2/k8s-artifacts-prod/images/pause/manifests/3.10`);
      // A GCP europe-north1 client: its own region in production, the
      // nearest (europe-west1) in the local default.
      const gcpUpstream = { production: AR('europe-north1'), sandbox: vars.UPSTREAM_REGISTRY_ENDPOINT }[env] ?? AR('europe-west1');
      const gcp = await get(`/v2/pause/blobs/${D}`, IP.gcp);
      assert.equal(gcp.headers.location, `${gcpUpstream}/v2/k8s-artifacts-prod/images/pause/blobs/${D}`);
      // Clients outside the clouds: the default copy. Locally and on the
      // sandbox an R2 bucket, checked through its binding (the top level's
      // local bucket holds D, the sandbox's is empty here); production's
      // CloudFront cannot be reached offline.
      const unknown = await get(`/v2/pause/blobs/${D}`, IP.unknown);
      const unknownReason = unknown.headers['x-registry-edge-reason'];
      if (!env) {
        assert.equal(unknownReason, 'blob: unknown client -> default blob base (R2)');
        assert.equal(unknown.headers.location, `${vars.DEFAULT_BLOB_BASE_URL.url}/containers/images/${D}`);
        assert.equal(unknown.headers.location, `http://127.0.0.1:8787/cdn-cgi/local/r2/public/registry-edge-blobs/containers/images/${D}`);
      } else if (env === 'sandbox') {
        assert.equal(unknownReason, 'blob: unknown client, not in default blob base (R2) -> upstream');
      } else {
        assert.match(unknownReason, /^blob: unknown client, default blob base failed \([a-z0-9 ]+\) -> upstream/);
      }
      if (env === 'production') {
        // k8s.gcr.io is not this deployment's: its requests are served as any host's.
        const legacy = await request(worker.url, '/v2/pause/tags/list?n=1', { headers: { Host: 'k8s.gcr.io' } });
        assert.equal(legacy.status, 307);
        assert.equal(legacy.headers.location, `${AR('us-south1')}/v2/k8s-artifacts-prod/images/pause/tags/list?n=1`);
        const hex = D.slice(7);
        const sig = await get(`/v2/pause/manifests/sha256-${hex}.sig`);
        assert.equal(sig.headers.location, `${AR('us-central1')}/v2/k8s-artifacts-prod/images/pause/manifests/sha256-${hex}.sig`);
        const referrers = await get(`/v2/pause/referrers/${D}?artifactType=x`);
        assert.equal(referrers.headers.location, `${AR('us-central1')}/v2/k8s-artifacts-prod/images/pause/referrers/${D}?artifactType=x`);
        // archeio's aliases: ap-east-2 and me-south-1 by the nearest bucket,
        // the China regions by their explicit keys. (The checks cannot reach
        // the real buckets offline, so the reason names the copy, says it
        // failed, and the blob goes upstream.)
        const copies = [
          [IP.awsApEast2, 'AWS ap-east-2, ap-east-1 mirror (nearest, 811 km)'],
          [IP.awsMeSouth1, 'AWS me-south-1, me-central-1 mirror (nearest, 483 km)'],
          [IP.awsCnNorth1, 'AWS cn-north-1, cn-north-1 mirror'],
          [IP.awsEuWest3, 'AWS eu-west-3, eu-west-3 mirror'],
        ];
        for (const [ip, copy] of copies) {
          const res = await get(`/v2/pause/blobs/${D}`, ip);
          const reason = res.headers['x-registry-edge-reason'];
          assert.match(reason, /^blob: .* (failed \([a-z0-9 ]+\)|breaker open) -> upstream /, reason);
          assert.ok(reason.startsWith(`blob: ${copy} `), reason);
        }
        assert.equal(
          vars.BLOB_MIRRORS['cn-north-1'],
          vars.BLOB_MIRRORS['ap-east-1'],
          'cn-north-1 is an explicit alias of the Hong Kong bucket',
        );
      }
    } finally {
      await worker.stop();
      await state.remove();
    }
  });
}

// The default copy: R2 locally and on the sandbox, each environment binding
// its own bucket (wrangler does not inherit [[r2_buckets]] into [env.*]);
// production keeps CloudFront until an operator switches
// (docs/deploying.md, "The default copy in R2").
test('the default copy is a local R2 bucket for make dev, an R2 bucket on the sandbox, CloudFront in production', () => {
  const copy = (env) => readConfig(env).vars.DEFAULT_BLOB_BASE_URL;
  const buckets = (env) => readConfig(env).r2_buckets.map((b) => ({ ...b }));
  assert.deepEqual({ ...copy(undefined) }, { url: 'http://127.0.0.1:8787/cdn-cgi/local/r2/public/registry-edge-blobs', r2_binding: 'R2_BLOBS' });
  assert.deepEqual(buckets(undefined), [{ binding: 'R2_BLOBS', bucket_name: 'registry-edge-blobs' }]);
  assert.deepEqual({ ...copy('sandbox') }, { url: 'https://blobs.registry-sandbox.k8s.io', r2_binding: 'R2_BLOBS' });
  assert.deepEqual(buckets('sandbox'), [{ binding: 'R2_BLOBS', bucket_name: 'registry-k8s-io-sandbox-blobs' }]);
  assert.equal(copy('production'), 'https://d1be1w964nk82h.cloudfront.net');
  assert.deepEqual(buckets('production'), []);
  // The make dev default matches the Makefile's port.
  assert.match(readFileSync(path.join(ROOT, 'Makefile'), 'utf8'), /^DEV_PORT \?= 8787$/m);
});

// The Cache API layer (blob answers, breaker state) is inert on
// workers.dev, so the shipped environments run on their custom
// domains only; and wrangler's local secrets file is never committed.
test('the shipped environments are served on routes, not workers.dev; .dev.vars is git-ignored', async () => {
  for (const env of ['production', 'sandbox']) {
    const config = readConfig(env);
    assert.equal(config.workers_dev, false, env);
    assert.ok(config.routes?.length > 0, `${env}: no routes`);
    for (const route of config.routes) assert.equal(route.custom_domain, true, `${env}: ${JSON.stringify(route)}`);
  }
  assert.deepEqual(readConfig('production').routes.map((r) => r.pattern), ['registry.k8s.io']);
  assert.deepEqual(readConfig('sandbox').routes.map((r) => r.pattern), ['registry-sandbox.k8s.io']);
  // `git check-ignore` exits 0 when the path is ignored.
  const ignored = await runCommand('git', ['check-ignore', '-q', '.dev.vars'], { cwd: ROOT });
  assert.equal(ignored.code, 0, `.dev.vars is not git-ignored: ${ignored.stderr}`);
});

// A custom domain or route needs its zone on the deploying Cloudflare
// account, so a shipped route under a domain the project cannot put there
// makes `wrangler deploy` fail (the dry run does not look at zones).
// These are the registries' and clouds' own domains; k8s.gcr.io's redirect
// to registry.k8s.io is Google's registry's job.
const NOT_OURS = ['gcr.io', 'pkg.dev', 'docker.io', 'amazonaws.com', 'cloudfront.net', 'googleapis.com', 'azurecr.io', 'workers.dev'];

// An R2 bucket's custom domain, too, must be in a zone of the account.
test('no shipped route, legacy host or R2 custom domain is under a domain the project cannot hold on Cloudflare', () => {
  const under = (host, domain) => host === domain || host.endsWith(`.${domain}`);
  for (const env of [undefined, 'production', 'sandbox']) {
    const config = readConfig(env);
    const { DEFAULT_BLOB_BASE_URL, BLOB_MIRRORS } = config.vars;
    const r2Domains = [DEFAULT_BLOB_BASE_URL, ...Object.values(BLOB_MIRRORS ?? {})]
      .filter((copy) => copy?.r2_binding)
      .map((copy) => new URL(copy.url).hostname)
      .filter((host) => host !== '127.0.0.1'); // make dev's local bucket
    const hosts = [
      ...(config.routes ?? []).map((r) => (typeof r === 'string' ? r : r.pattern).split('/')[0].replace(/^\*\.?/, '')),
      ...String(config.vars.LEGACY_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean),
      ...r2Domains,
    ];
    if (env === 'sandbox') assert.deepEqual(r2Domains, ['blobs.registry-sandbox.k8s.io']);
    for (const host of hosts) {
      const domain = NOT_OURS.find((d) => under(host.toLowerCase(), d));
      assert.equal(domain, undefined, `${env ?? 'top level'}: ${host} is under ${domain}`);
      assert.ok(under(host, 'k8s.io'), `${env ?? 'top level'}: ${host} is not under k8s.io`);
    }
  }
});
