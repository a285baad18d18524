// The two floors every figure is compared with, built by the bench itself:
// - a JavaScript worker that answers every request with a constant 307;
// - a hello-world Rust worker answering the same constant 307, built with
//   the toolchain and release profile registry-edge ships with (the same
//   `worker` and `wasm-bindgen` versions through a copy of Cargo.lock, the
//   [profile.release] and wasm-opt settings of Cargo.toml, worker-build
//   --release with the Makefile's tool overrides, the same strip step).
// The difference between the floors is what the Rust/wasm route itself
// costs per request; the difference to them is what registry-edge adds.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runChecked } from '../../tests/support/processes.mjs';
import { ROOT } from '../../tests/support/worker.mjs';

export const LOCATION = 'https://upstream.example/';

export const JS_FLOOR = `export default {
  fetch: () => new Response(null, { status: 307, headers: { Location: ${JSON.stringify(LOCATION)} } }),
};
`;

export const RUST_FLOOR = `use worker::*;

#[event(fetch)]
async fn fetch(_req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Location", ${JSON.stringify(LOCATION)})?;
    Ok(Response::empty()?.with_status(307).with_headers(headers))
}
`;

/** Writes the JavaScript floor to `<dir>/js-floor.js` and returns its path. */
export async function writeJsFloor(dir) {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'js-floor.js');
  await writeFile(file, JS_FLOOR);
  return file;
}

/** A [section] of the repository's Cargo.toml, verbatim up to the next blank line. */
function cargoSection(manifest, header) {
  const start = manifest.indexOf(`\n${header}\n`);
  if (start < 0) throw new Error(`Cargo.toml has no ${header}`);
  const end = manifest.indexOf('\n\n', start + 1);
  return manifest.slice(start + 1, end < 0 ? undefined : end);
}

function need(name) {
  if (!process.env[name]) throw new Error(`${name} is not set: run the bench through \`make bench-workerd\``);
  return process.env[name];
}

/**
 * Builds a hello-world Rust worker (default: the floor) in
 * target/bench-floors/<name>, sharing the repository's target/ so the
 * dependencies compiled by `make build` are reused; skipped when the
 * sources and toolchain are unchanged since the last build. Variants (for
 * profiling) take their own name, source, worker-build arguments or
 * environment (e.g. CUSTOM_SHIM), and may keep the wasm names section
 * (`strip: false`) for symbolised profiles.
 * @returns {Promise<string>} the build directory (index.js, index_bg.wasm)
 */
export async function buildRustFloor({ name = 'rust-floor', libRs = RUST_FLOOR, workerBuildArgs = [], workerBuildEnv = {}, strip = true, log = console.error } = {}) {
  const dir = path.join(ROOT, 'target/bench-floors', name);
  const manifest = await readFile(path.join(ROOT, 'Cargo.toml'), 'utf8');
  const version = (dep) => new RegExp(`^${dep} = .*?"(=?[0-9.]+)"`, 'm').exec(manifest)?.[1];
  const cargoToml = `[package]
name = ${JSON.stringify(name)}
version = "0.0.0"
edition = "2021"
publish = false

# Not a member of the repository's workspace.
[workspace]

[lib]
crate-type = ["cdylib"]

[dependencies]
worker = "${version('worker')}"
wasm-bindgen = "${version('wasm-bindgen')}"

${cargoSection(manifest, '[profile.release]')}

${cargoSection(manifest, '[package.metadata.wasm-pack.profile.release]')}
`;
  const workerBuild = (await runChecked('worker-build', ['--version'], { timeoutMs: 10_000 })).stdout;
  const stamp = createHash('sha256')
    .update(JSON.stringify([cargoToml, libRs, workerBuild, workerBuildArgs, workerBuildEnv, strip]))
    .digest('hex');
  const stampFile = path.join(dir, 'build/.bench-stamp');
  // worker-build's default output, or its layout under --no-panic-recovery or CUSTOM_SHIM.
  const wasmFile = () => ['build/index_bg.wasm', 'build/worker/index.wasm'].map((f) => path.join(dir, f)).find(existsSync);
  if (wasmFile() && existsSync(stampFile) && (await readFile(stampFile, 'utf8')) === stamp) return path.join(dir, 'build');

  log(`# building ${name} (worker-build --release in ${path.relative(ROOT, dir)})`);
  await mkdir(path.join(dir, 'src'), { recursive: true });
  await writeFile(path.join(dir, 'Cargo.toml'), cargoToml);
  await writeFile(path.join(dir, 'src/lib.rs'), libRs);
  // The repository's lock pins every shared crate; cargo drops the rest.
  if (!existsSync(path.join(dir, 'Cargo.lock'))) await copyFile(path.join(ROOT, 'Cargo.lock'), path.join(dir, 'Cargo.lock'));
  const env = {
    ...process.env,
    CARGO_TARGET_DIR: path.join(ROOT, 'target'),
    WASM_BINDGEN_BIN: need('WASM_BINDGEN_BIN'),
    WASM_OPT_BIN: need('WASM_OPT_BIN'),
    ESBUILD_BIN: need('ESBUILD_BIN'),
    ...workerBuildEnv,
  };
  await runChecked('worker-build', ['--release', ...workerBuildArgs], { cwd: dir, env, timeoutMs: 600_000 });
  if (strip) {
    const wasm = wasmFile();
    const flags = need('WASM_STRIP_FLAGS').split(/\s+/).filter(Boolean);
    await runChecked(need('WASM_OPT_BIN'), [wasm, '-o', wasm, ...flags], { timeoutMs: 120_000 });
  }
  await writeFile(stampFile, stamp);
  return path.join(dir, 'build');
}
