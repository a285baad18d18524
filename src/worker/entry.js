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

// An optional field of the request's text: empty when absent, else `+`
// and the value.
const optional = (value) => (value === null || value === undefined ? '' : `+${value}`);
const number = (value) => (typeof value === 'number' ? `+${value}` : '');
const text = (value) => (typeof value === 'string' ? `+${value}` : '');
const numberOrText = (value) => (typeof value === 'number' || typeof value === 'string' ? `+${value}` : '');

/**
 * What the worker reads of a request, as one string, one field a line
 * (src/worker/convert.rs, `Incoming`, reads it): one crossing into the
 * wasm instead of a call back out for each property and header.
 */
function read(request) {
  const headers = request.headers;
  const cf = request.cf;
  const edge =
    typeof cf === 'object' && cf !== null
      ? `${numberOrText(cf.latitude)}\n${numberOrText(cf.longitude)}\n${number(cf.asn)}\n${text(cf.colo)}\n${text(cf.country)}`
      : '\n\n\n\n';
  return `${request.method}\n${request.url}\n${optional(headers.get('CF-Connecting-IP'))}\n${optional(headers.get('CF-Connecting-IPv6'))}\n${optional(headers.get('Authorization'))}\n${optional(headers.get('User-Agent'))}\n${edge}`;
}

export default {
  // The Response, or a Promise of it when a check must wait for I/O.
  fetch(request, env, ctx) {
    return wasm.fetch(read(request), env, ctx);
  },

  scheduled(event, env, ctx) {
    return wasm.scheduled(event, env, ctx);
  },
};
