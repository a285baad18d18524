// The worker's entry module, in place of worker-build's shim: a plain
// object of handlers, so the runtime calls `fetch` directly instead of
// constructing a Proxy-wrapped WorkerEntrypoint class for every request
// (docs/performance.md, "The entry module"). `make build` bundles it with
// wasm-bindgen's glue, which it imports as ./index.js.
//
// Panic recovery is the glue's, as under worker-build: the wasm is
// generated with --experimental-reset-state-function and
// --force-enable-abort-handler, so a panic (logged by the worker crate's
// panic hook) traps, the call throws (the runtime logs it and answers
// 500), the instance is marked terminated, and the next call runs on a
// fresh instance. Nothing here keeps a reference into an instance.

import * as wasm from './index.js';

// As worker-build's shim: a panic's stack trace keeps its frames.
Error.stackTraceLimit = 100;

export default {
  // The Response, or a Promise of it when a check must wait for I/O.
  fetch(request, env, ctx) {
    return wasm.fetch(request, env, ctx);
  },

  scheduled(event, env, ctx) {
    return wasm.scheduled(event, env, ctx);
  },
};
