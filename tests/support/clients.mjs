// Real OCI clients driven from tests: skopeo and podman (both containers/image
// based). Every invocation is bounded, isolated in temp dirs (podman never
// touches /var/lib/containers) and talks plain http to loopback registries.
//
// A "ref" here is a docker reference without transport:
//   127.0.0.1:PORT/<name>:<tag>  or  127.0.0.1:PORT/<name>@sha256:...

import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { runCommand, runChecked, makeTempDir } from './processes.mjs';

const sha256 = (buf) => `sha256:${createHash('sha256').update(buf).digest('hex')}`;

/** `<binary> --version` first line, or null when it does not answer. */
export async function toolVersion(binary, args = ['--version']) {
  const r = await runCommand(binary, args, { timeoutMs: 10_000 });
  return r.code === 0 ? (r.stdout || r.stderr).trim().split('\n')[0] : null;
}

// ---- skopeo -----------------------------------------------------------------

/**
 * `skopeo copy [--all] docker://<ref> dir:<destDir>` and verify what landed.
 * `tlsVerify` false (the loopback servers' case) also lets skopeo use plain HTTP.
 * @returns {Promise<{durationMs, ...DirImage}>} see readDirImage
 */
export async function skopeoCopyToDir(ref, destDir, { all = true, timeoutMs = 60_000, retryTimes = 0, extraArgs = [], tlsVerify = false } = {}) {
  const args = ['--insecure-policy', '--command-timeout', `${Math.ceil(timeoutMs / 1000)}s`, 'copy'];
  if (all) args.push('--all');
  args.push(`--src-tls-verify=${tlsVerify}`, '--retry-times', String(retryTimes), ...extraArgs, `docker://${ref}`, `dir:${destDir}`);
  await mkdir(path.dirname(destDir), { recursive: true }); // skopeo creates only the last component
  const r = await runChecked('skopeo', args, { timeoutMs: timeoutMs + 5000 });
  return { durationMs: r.durationMs, ...(await readDirImage(destDir)) };
}

/** Raw manifest bytes as served for `ref` (skopeo inspect --raw). */
export async function skopeoInspectRaw(ref, { timeoutMs = 30_000 } = {}) {
  const r = await runChecked('skopeo', ['--insecure-policy', 'inspect', '--raw', '--tls-verify=false', `docker://${ref}`], { timeoutMs });
  return Buffer.from(r.stdout, 'utf8');
}

/**
 * Read a skopeo `dir:` destination: manifest.json (top-level manifest or
 * index), <hex>.manifest.json (per-platform manifests when copied with --all)
 * and one file per blob named <hex>. Throws if any file's content does not hash
 * to its name, so a pull that "succeeded" with wrong bytes cannot pass.
 * @returns {{manifestDigest, manifest, instanceDigests: string[], blobDigests: string[]}}
 */
export async function readDirImage(dir) {
  const top = await readFile(path.join(dir, 'manifest.json'));
  const instanceDigests = [];
  const blobDigests = [];
  for (const name of (await readdir(dir)).sort()) {
    const m = /^([0-9a-f]{64})(\.manifest\.json)?$/.exec(name);
    if (!m) continue;
    const digest = sha256(await readFile(path.join(dir, name)));
    if (digest !== `sha256:${m[1]}`) throw new Error(`${dir}/${name} has digest ${digest}`);
    (m[2] ? instanceDigests : blobDigests).push(digest);
  }
  return { manifestDigest: sha256(top), manifest: JSON.parse(top), instanceDigests, blobDigests };
}

// ---- podman -----------------------------------------------------------------

/**
 * A throwaway podman environment: root/runroot/tmp in a temp dir, vfs storage
 * (works without overlay or fuse), cgroupfs and file events (no systemd), and
 * a registries.conf that marks the given hosts insecure (plain http).
 * @returns {Promise<{dir, pull(ref, {arch?, timeoutMs?}), inspect(ref), run(args, opts), remove()}>}
 *   pull → {imageId, durationMs, stdout, stderr}; inspect → podman image inspect JSON object
 */
export async function podmanSandbox({ insecureHosts = [] } = {}) {
  const tmp = await makeTempDir('registry-edge-podman-');
  const dir = tmp.dir;
  await mkdir(path.join(dir, 'tmp'));
  const conf = path.join(dir, 'registries.conf');
  const entries = insecureHosts.map((h) => `[[registry]]\nlocation = "${h}"\ninsecure = true\n`).join('\n');
  await writeFile(conf, `unqualified-search-registries = []\n\n${entries}`);
  const env = { ...process.env, CONTAINERS_REGISTRIES_CONF: conf, XDG_RUNTIME_DIR: path.join(dir, 'tmp') };
  const base = [
    '--root', path.join(dir, 'root'),
    '--runroot', path.join(dir, 'runroot'),
    '--tmpdir', path.join(dir, 'tmp'),
    '--storage-driver', 'vfs',
    '--cgroup-manager', 'cgroupfs',
    '--events-backend', 'file',
    '--network-config-dir', path.join(dir, 'networks'), // network configs out of /etc
  ];
  const run = (args, { timeoutMs = 60_000 } = {}) => runChecked('podman', [...base, ...args], { timeoutMs, env });
  return {
    dir,
    run,
    async pull(ref, { arch, timeoutMs = 60_000 } = {}) {
      const args = ['pull', '--tls-verify=false'];
      if (arch) args.push('--arch', arch);
      const r = await run([...args, ref], { timeoutMs });
      return { imageId: r.stdout.trim().split('\n').pop(), durationMs: r.durationMs, stdout: r.stdout, stderr: r.stderr };
    },
    async inspect(ref) {
      const r = await run(['image', 'inspect', ref], { timeoutMs: 20_000 });
      return JSON.parse(r.stdout)[0];
    },
    // vfs layers are plain directories, so removing the tree is enough.
    remove: () => tmp.remove(),
  };
}
