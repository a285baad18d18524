// A private containerd daemon for `ctr images pull` tests.
//
// containerd is what kubelet pulls through, so it is the client that matters
// most for registry.k8s.io. Everything lives in one temp dir (root, state,
// sockets, /opt plugin dir); the CRI plugin is disabled (it wants CNI and a
// runtime, and pulling through ctr does not need it). Pulls unpack with the
// "native" snapshotter (plain copies, no mounts), so stopping the daemon and
// deleting the dir leaves nothing behind.

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawnGroup, stopGroup, runCommand, runChecked, makeTempDir, sleep } from './processes.mjs';

export const CONTAINERD_BIN = process.env.CONTAINERD_BIN ?? 'containerd';
export const CTR_BIN = process.env.CTR_BIN ?? 'ctr';

function config(dir, { contentSharingPolicy } = {}) {
  const q = (p) => JSON.stringify(path.join(dir, p)); // TOML basic strings == JSON strings here
  // "isolated": a namespace sees only content it fetched itself, so a pull
  // in a fresh namespace downloads every blob again (default "shared").
  const bolt = contentSharingPolicy
    ? `\n[plugins."io.containerd.metadata.v1.bolt"]\n  content_sharing_policy = ${JSON.stringify(contentSharingPolicy)}\n`
    : '';
  return `version = 2
root = ${q('root')}
state = ${q('state')}
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = ${q('containerd.sock')}

[ttrpc]
  address = ${q('containerd.sock.ttrpc')}

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = ${q('opt')}
${bolt}`;
}

/**
 * Start containerd and wait until `ctr version` answers.
 * `contentSharingPolicy: 'isolated'` makes every namespace fetch its own
 * blobs; pull/images/ctr take an optional `namespace` (default: the one
 * given here), so a pull into a fresh namespace downloads everything.
 * @returns {Promise<{address, namespace, dir, logFile, child,
 *   ctr(args, opts), pull(ref, {allPlatforms?, platform?, timeoutMs?, namespace?}), images({namespace?}), stop()}>}
 *   pull → {durationMs, stdout}; images → [{ref, mediaType, digest}]
 */
export async function startContainerd({ namespace = 'registry-edge-e2e', readyTimeoutMs = 15_000, contentSharingPolicy } = {}) {
  const tmp = await makeTempDir('registry-edge-containerd-');
  const dir = tmp.dir;
  const configPath = path.join(dir, 'config.toml');
  await writeFile(configPath, config(dir, { contentSharingPolicy }));
  const logFile = path.join(dir, 'containerd.log');
  const address = path.join(dir, 'containerd.sock');
  const child = spawnGroup(CONTAINERD_BIN, ['--config', configPath], { logFile });

  const ctr = (args, { timeoutMs = 60_000, namespace: ns = namespace } = {}) =>
    runChecked(CTR_BIN, ['--address', address, '--namespace', ns, ...args], { timeoutMs });

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitInfo) throw new Error(`containerd exited early: ${JSON.stringify(child.exitInfo)}, see ${logFile}`);
    const r = await runCommand(CTR_BIN, ['--address', address, '--connect-timeout', '1s', 'version'], { timeoutMs: 5000 });
    if (r.code === 0) break;
    if (Date.now() > deadline) {
      await stopGroup(child);
      throw new Error(`containerd not ready after ${readyTimeoutMs} ms: ${r.stderr.trim()} (log ${logFile})`);
    }
    await sleep(100);
  }

  return {
    address,
    namespace,
    dir,
    logFile,
    child,
    ctr,
    async pull(ref, { allPlatforms = false, platform, timeoutMs = 60_000, namespace: ns } = {}) {
      const args = ['images', 'pull', '--plain-http', '--snapshotter', 'native'];
      if (allPlatforms) args.push('--all-platforms');
      if (platform) args.push('--platform', platform);
      const r = await ctr([...args, ref], { timeoutMs, namespace: ns });
      return { durationMs: r.durationMs, stdout: r.stdout };
    },
    async images({ namespace: ns } = {}) {
      const r = await ctr(['images', 'ls'], { timeoutMs: 10_000, namespace: ns });
      return r.stdout
        .trim()
        .split('\n')
        .slice(1) // header row
        .filter(Boolean)
        .map((line) => {
          const [ref, mediaType, digest] = line.split(/\s+/);
          return { ref, mediaType, digest };
        });
    },
    async stop({ removeDir = true } = {}) {
      await stopGroup(child);
      if (removeDir) await tmp.remove();
    },
  };
}
