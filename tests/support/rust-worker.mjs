// Small Rust workers built beside the repository's own, with its toolchain
// and release profile: the same `worker` and `wasm-bindgen` versions
// (through a copy of Cargo.lock), the [profile.release] and wasm-opt
// settings of Cargo.toml. Each is a crate of its own in
// target/rust-workers/<name>, sharing the repository's target/ so the
// dependencies `make build` compiled are reused, and is rebuilt only when
// its sources or the toolchain change. Two ways to bundle one:
// - `worker-build`: worker-build --release (its own shim) with the
//   Makefile's tool overrides, then the Makefile's strip step: a workers-rs
//   worker as its template builds it (the benchmark's Rust floor);
// - `entry`: compiled as `make build` compiles the worker, then `make
//   bundle`, under the worker's entry module src/worker/entry.js (the
//   panic-recovery test's probe, the benchmark's entry floor).

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runChecked } from './processes.mjs';
import { ROOT } from './programs.mjs';

/** A [section] of the repository's Cargo.toml, verbatim up to the next blank line. */
function cargoSection(manifest, header) {
  const start = manifest.indexOf(`\n${header}\n`);
  if (start < 0) throw new Error(`Cargo.toml has no ${header}`);
  const end = manifest.indexOf('\n\n', start + 1);
  return manifest.slice(start + 1, end < 0 ? undefined : end);
}

function need(name) {
  if (!process.env[name]) throw new Error(`${name} is not set: run this through make (it sets the tool overrides)`);
  return process.env[name];
}

/**
 * @param {object} opts
 * @param {string} opts.name     crate name (also its directory)
 * @param {string} opts.libRs    src/lib.rs
 * @param {'worker-build'|'entry'} opts.bundler
 * @param {Record<string, string>} [opts.files]  more files of the crate, by path (e.g. a JS snippet)
 * @param {(line: string) => void} [opts.log]
 * @returns {Promise<string>} the bundle's directory (index.js, index_bg.wasm)
 */
export async function buildRustWorker({ name, libRs, bundler, files = {}, log = console.error }) {
  const dir = path.join(ROOT, 'target/rust-workers', name);
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
  const sources = { 'Cargo.toml': cargoToml, 'src/lib.rs': libRs, ...files };
  // What else the bundle is made of: worker-build, or the Makefile's
  // recipe and the entry module.
  const made =
    bundler === 'entry'
      ? await Promise.all(['Makefile', 'src/worker/entry.js'].map((f) => readFile(path.join(ROOT, f), 'utf8')))
      : (await runChecked('worker-build', ['--version'], { timeoutMs: 10_000 })).stdout;
  const stamp = createHash('sha256').update(JSON.stringify([sources, bundler, made])).digest('hex');
  const out = path.join(dir, 'build');
  const stampFile = path.join(dir, '.build-stamp');
  if (existsSync(path.join(out, 'index_bg.wasm')) && existsSync(stampFile) && (await readFile(stampFile, 'utf8')) === stamp) return out;

  log(`# building ${name} (${bundler === 'entry' ? 'cargo build and make bundle' : 'worker-build --release'} in ${path.relative(ROOT, dir)})`);
  for (const [file, text] of Object.entries(sources)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  // The repository's lock pins every shared crate; cargo drops the rest.
  if (!existsSync(path.join(dir, 'Cargo.lock'))) await copyFile(path.join(ROOT, 'Cargo.lock'), path.join(dir, 'Cargo.lock'));
  const env = { ...process.env, CARGO_TARGET_DIR: path.join(ROOT, 'target') };
  if (bundler === 'entry') {
    await runChecked('cargo', ['build', '--lib', '--release', '--target', 'wasm32-unknown-unknown'], {
      cwd: dir,
      env: { ...env, WASM_BINDGEN_USE_JS_SYS: '1' },
      timeoutMs: 600_000,
    });
    const wasm = path.join(ROOT, 'target/wasm32-unknown-unknown/release', `${name.replaceAll('-', '_')}.wasm`);
    await runChecked('make', ['--no-print-directory', '-s', 'bundle', `BUNDLE_WASM=${wasm}`, `BUNDLE_OUT=${out}`], { cwd: ROOT, timeoutMs: 300_000 });
  } else {
    const tools = { WASM_BINDGEN_BIN: need('WASM_BINDGEN_BIN'), WASM_OPT_BIN: need('WASM_OPT_BIN'), ESBUILD_BIN: need('ESBUILD_BIN') };
    await runChecked('worker-build', ['--release'], { cwd: dir, env: { ...env, ...tools }, timeoutMs: 600_000 });
    const wasm = path.join(out, 'index_bg.wasm');
    const flags = need('WASM_STRIP_FLAGS').split(/\s+/).filter(Boolean);
    await runChecked(tools.WASM_OPT_BIN, [wasm, '-o', wasm, ...flags], { timeoutMs: 120_000 });
  }
  await writeFile(stampFile, stamp);
  return out;
}
