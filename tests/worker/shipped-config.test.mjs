// The configurations shipped in wrangler.toml (local default, production,
// sandbox), read with wrangler's own config reader and served by the built
// worker: each must parse (no 500) and route as documented.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { unstable_readConfig } from 'wrangler';
import { startWorker, ROOT } from '../support/worker.mjs';
import { request } from '../support/http.mjs';

const D = 'sha256:da86e6ba6ca197bf6bc5e9d900febd906b133eaa4750e6bed647b0fbe50ed43e';

for (const env of [undefined, 'production', 'sandbox']) {
  test(`wrangler.toml ${env ? `[env.${env}]` : 'top level'}: valid and routing`, async () => {
    const { vars } = unstable_readConfig({ config: path.join(ROOT, 'wrangler.toml'), env });
    // The checks in this test never reach a mirror: no network here.
    const worker = await startWorker({ vars: { ...vars, BLOB_CHECK_TIMEOUT_MS: 200 } });
    try {
      const ping = await request(worker.url, '/v2/');
      assert.equal(ping.status, 200, ping.body);
      const manifest = await request(worker.url, '/v2/pause/manifests/3.10');
      assert.equal(manifest.status, 307);
      // wrangler dev's placeholder location is Austin, TX: with the
      // production per-region upstreams, us-central1 (Iowa) is nearest.
      const upstream = env === 'production' ? 'https://us-central1-docker.pkg.dev' : vars.UPSTREAM_REGISTRY_ENDPOINT;
      assert.equal(manifest.headers.location, `${upstream}/v2/k8s-artifacts-prod/images/pause/manifests/3.10`);
      const gcp = await request(worker.url, `/v2/pause/blobs/${D}`, { headers: { 'CF-Connecting-IP': '35.220.26.1' } });
      assert.equal(gcp.headers.location, `${upstream}/v2/k8s-artifacts-prod/images/pause/blobs/${D}`);
      if (env === 'production') {
        const legacy = await request(worker.url, '/v2/pause/tags/list?n=1', { headers: { Host: 'k8s.gcr.io' } });
        assert.equal(legacy.status, 301);
        assert.equal(legacy.headers.location, 'https://registry.k8s.io/v2/pause/tags/list?n=1');
        const hex = D.slice(7);
        const sig = await request(worker.url, `/v2/pause/manifests/sha256-${hex}.sig`);
        assert.equal(sig.headers.location, `https://us-central1-docker.pkg.dev/v2/k8s-artifacts-prod/images/pause/manifests/sha256-${hex}.sig`);
      }
    } finally {
      await worker.stop();
    }
  });
}

// Issue 8, item 12: the Cache API layer (blob answers, breaker state) is
// inert on workers.dev, so the shipped environments run on their custom
// domains only; and wrangler's local secrets file is never committed.
test('the shipped environments are served on routes, not workers.dev; .dev.vars is git-ignored', () => {
  for (const env of ['production', 'sandbox']) {
    const config = unstable_readConfig({ config: path.join(ROOT, 'wrangler.toml'), env });
    assert.equal(config.workers_dev, false, env);
    assert.ok(config.routes?.length > 0, `${env}: no routes`);
    for (const route of config.routes) assert.equal(route.custom_domain, true, `${env}: ${JSON.stringify(route)}`);
  }
  const production = unstable_readConfig({ config: path.join(ROOT, 'wrangler.toml'), env: 'production' });
  assert.deepEqual(
    production.routes.map((r) => r.pattern).sort(),
    [production.vars.PRIMARY_HOST, ...production.vars.LEGACY_HOSTS.split(',')].sort(),
    'production routes: the primary host and the legacy hosts',
  );
  // `git check-ignore` exits 0 when the path is ignored.
  execFileSync('git', ['check-ignore', '-q', '.dev.vars'], { cwd: ROOT });
});
