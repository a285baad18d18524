// The CNCF distribution registry (Debian package docker-registry, v2.8) as the
// local "upstream registry": anonymous pull and push, filesystem storage in a
// temp dir, listening on a free loopback port.

import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { spawnGroup, stopGroup, waitForHttp, freePort, makeTempDir } from './processes.mjs';

export const REGISTRY_BIN = process.env.REGISTRY_BIN ?? 'docker-registry';

// distribution 2.8 config (YAML; JSON is valid YAML, which spares a YAML writer).
// No `auth` section means anonymous access for everything. The health checker
// and upload purging are off: they only add background noise in short tests.
function registryConfig({ port, storageDir }) {
  return {
    version: 0.1,
    log: { level: 'info', formatter: 'text', accesslog: { disabled: false } },
    storage: {
      filesystem: { rootdirectory: storageDir },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
      redirect: { disable: true },
    },
    http: {
      addr: `127.0.0.1:${port}`,
      // A fixed secret silences the "No HTTP secret provided" warning.
      secret: 'registry-edge-e2e',
      headers: { 'X-Content-Type-Options': ['nosniff'] },
    },
  };
}

/**
 * Start a registry. `dir` (default: a new temp dir) holds config.yml,
 * registry.log and the storage/ tree.
 * @returns {Promise<{url, host, port, dir, storageDir, configPath, logFile, child, stop}>}
 *   url  = http://127.0.0.1:<port>, host = 127.0.0.1:<port> (for docker:// refs)
 */
export async function startRegistry({ port, dir, readyTimeoutMs = 20_000 } = {}) {
  const tmp = dir ? null : await makeTempDir('registry-edge-registry-');
  const base = dir ?? tmp.dir;
  const storageDir = path.join(base, 'storage');
  await mkdir(storageDir, { recursive: true });
  const p = port ?? (await freePort());
  const configPath = path.join(base, 'config.yml');
  await writeFile(configPath, JSON.stringify(registryConfig({ port: p, storageDir }), null, 2));
  const logFile = path.join(base, 'registry.log');

  const child = spawnGroup(REGISTRY_BIN, ['serve', configPath], { logFile });
  const url = `http://127.0.0.1:${p}`;
  try {
    await waitForHttp(`${url}/v2/`, { timeoutMs: readyTimeoutMs, child, accept: (s) => s === 200 });
  } catch (err) {
    await stopGroup(child);
    throw err;
  }
  return {
    url,
    host: `127.0.0.1:${p}`,
    port: p,
    dir: base,
    storageDir,
    configPath,
    logFile,
    child,
    async stop({ removeDir = !dir } = {}) {
      await stopGroup(child);
      if (removeDir && tmp) await tmp.remove();
    },
  };
}
