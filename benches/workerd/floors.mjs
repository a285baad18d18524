// The two floors every figure is compared with, built by the bench itself:
// - a JavaScript worker that answers every request with a constant 307;
// - a hello-world Rust worker answering the same constant 307, built with
//   the toolchain and release profile registry-edge ships with (the same
//   `worker` and `wasm-bindgen` versions through a copy of Cargo.lock, the
//   [profile.release] and wasm-opt settings of Cargo.toml, worker-build
//   --release with the Makefile's tool overrides, the same strip step), as
//   a workers-rs worker is built from its template.
// The difference between the floors is what the Rust/wasm route itself
// costs per request; the difference to them is what registry-edge adds.
// And, for information, the same hello world built as registry-edge is
// (`make bundle`, under src/worker/entry.js, answering through
// src/worker/reply.js): what that route costs without registry-edge's work.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../../tests/support/programs.mjs';
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

// The same 307 through the entry module's one string in and reply.js's one
// call out (src/worker/convert.rs packs a reply the same way).
export const RUST_ENTRY_FLOOR = `use wasm_bindgen::prelude::*;
use worker as _;

#[wasm_bindgen(module = "/src/worker/reply.js")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn reply(packed: &str) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen]
pub fn fetch(request: JsValue, _env: JsValue, _ctx: JsValue) -> JsValue {
    let _text = request.as_string();
    reply("307\\n1\\nLocation\\n${LOCATION}\\n\\n").unwrap_or_else(|error| error)
}

#[wasm_bindgen]
pub fn scheduled(_event: JsValue, _env: JsValue, _ctx: JsValue) {}
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

/** Builds the same hello world as registry-edge is built (`make bundle`). */
export async function buildRustEntryFloor({ log = console.error } = {}) {
  const reply = await readFile(path.join(ROOT, 'src/worker/reply.js'), 'utf8');
  return buildRustWorker({ name: 'rust-entry-floor', libRs: RUST_ENTRY_FLOOR, bundler: 'entry', files: { 'src/worker/reply.js': reply }, log });
}
