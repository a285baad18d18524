// The two floors every figure is compared with, built by the bench itself:
// - a JavaScript worker that answers every request with a constant 307;
// - a hello-world Rust worker answering the same constant 307, built with
//   the toolchain and release profile registry-edge ships with (the same
//   `worker` and `wasm-bindgen` versions through a copy of Cargo.lock, the
//   [profile.release] and wasm-opt settings of Cargo.toml, worker-build
//   --release with the Makefile's tool overrides, the same strip step).
// The difference between the floors is what the Rust/wasm route itself
// costs per request; the difference to them is what registry-edge adds.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildRustWorker } from '../../tests/support/rust-worker.mjs';

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

/**
 * Builds the hello-world Rust floor (tests/support/rust-worker.mjs) with
 * worker-build, as a workers-rs worker is built from its template.
 * @returns {Promise<string>} the build directory (index.js, index_bg.wasm)
 */
export function buildRustFloor({ log = console.error } = {}) {
  return buildRustWorker({ name: 'rust-floor', libRs: RUST_FLOOR, bundler: 'worker-build', log });
}
