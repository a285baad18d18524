// An R2 bucket behind bare workerd's R2 binding: a loopback server that
// speaks the binding's wire protocol, so the worker's own `head()` calls
// reach it as they reach R2's service on the edge (or miniflare's bucket
// under wrangler dev). It runs in the test's (or benchmark's) process, not
// in workerd's, and counts what it is asked: that is how tests count
// `head()` calls without any hook in the worker.
//
// The protocol, as workerd's binding speaks it (workerd
// src/workerd/api/r2-bucket.c++, r2-rpc.c++) and miniflare's bucket worker
// answers it (miniflare src/workers/r2/bucket.worker.ts):
//   head/get/list: GET with `cf-r2-request: {"version":1,"method":"head","object":<key>}`;
//   put/delete:    PUT whose body starts with that JSON, `cf-r2-metadata-size` bytes long.
//   Found: 200, `cf-r2-metadata-size: <n>`, the body the object's metadata as JSON
//          ({name, version, size, etag, uploaded, httpFields, customFields, checksums})
//          followed, for get, by its bytes.
//   Not found: 404 with `cf-r2-error: {"version":1,"v4code":10007,"message":...}`
//          (head() and get() then return null).
//   Any other error status makes the binding's call throw.
// Only head, get and put are served; they are all the tests need.
//
// Modes, switched at run time (setMode), for the binding's faults:
//   normal     serve the objects
//   status500  answer 500 with an R2 internal error (the binding throws)
//   hang       never answer (the worker's check times out)
//   reset      destroy the connection (the binding throws)
//   everything every key exists (a synthetic 1-byte object): for benchmarks
//              asking for digests nobody stored
//
//   const bucket = await startR2Bucket({ objects: { 'containers/images/sha256:…': bytes } });
//   bucket.address ('127.0.0.1:PORT', for workerd's external service) ...
//   bucket.count('head') ... await bucket.stop();

import http from 'node:http';
import { createHash } from 'node:crypto';
import { listenOnLoopback } from './loopback.mjs';

export const R2_MODES = ['normal', 'status500', 'hang', 'reset', 'everything'];
const NO_SUCH_KEY = 10007;
const INTERNAL_ERROR = 10001;

/** The metadata the binding turns into an R2Object. */
function metadata(key, bytes, uploaded) {
  const md5 = createHash('md5').update(bytes).digest('hex');
  return {
    name: key,
    version: md5,
    size: bytes.length,
    etag: md5,
    uploaded,
    httpFields: {},
    customFields: [],
    checksums: { 0: md5 },
  };
}

function errorHeader(v4code, message) {
  return JSON.stringify({ version: 1, v4code, message });
}

/**
 * @param {object} opts
 * @param {Record<string, Buffer|string>} [opts.objects]  key -> bytes
 * @param {string} [opts.mode='normal']
 * @returns {Promise<{url, address, port, log, count, setMode, put, stop}>}
 */
export async function startR2Bucket({ objects = {}, mode = 'normal' } = {}) {
  const store = new Map(Object.entries(objects).map(([k, v]) => [k, { bytes: Buffer.from(v), uploaded: Date.now() }]));
  let current = checkMode(mode);
  const log = [];

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => answer(req, Buffer.concat(chunks), res));
  });

  function answer(req, body, res) {
    let request;
    try {
      if (req.method === 'GET') {
        request = JSON.parse(req.headers['cf-r2-request'] ?? '');
      } else {
        const size = Number(req.headers['cf-r2-metadata-size']);
        request = JSON.parse(body.subarray(0, size).toString('utf8'));
        body = body.subarray(size);
      }
    } catch {
      res.writeHead(400, { 'cf-r2-error': errorHeader(INTERNAL_ERROR, 'unreadable R2 request') });
      return res.end();
    }
    const entry = { time: Date.now(), method: request.method, key: request.object ?? null, mode: current, status: null };
    log.push(entry);
    const finish = (status, headers, payload) => {
      entry.status = status;
      res.writeHead(status, headers);
      res.end(payload);
    };
    switch (current) {
      case 'status500':
        return finish(500, { 'cf-r2-error': errorHeader(INTERNAL_ERROR, 'We encountered an internal error.') });
      case 'hang':
        return; // the socket is destroyed by stop() or setMode
      case 'reset':
        return req.socket.destroy();
    }
    const found = (key) => store.get(key) ?? (current === 'everything' ? { bytes: Buffer.from('x'), uploaded: 0 } : null);
    switch (request.method) {
      case 'head':
      case 'get': {
        const object = found(request.object);
        if (!object) return finish(404, { 'cf-r2-error': errorHeader(NO_SUCH_KEY, 'The specified key does not exist.') });
        const meta = Buffer.from(JSON.stringify(metadata(request.object, object.bytes, object.uploaded)));
        const payload = request.method === 'get' ? Buffer.concat([meta, object.bytes]) : meta;
        return finish(200, { 'cf-r2-metadata-size': String(meta.length), 'content-type': 'application/json', 'content-length': String(payload.length) }, payload);
      }
      case 'put': {
        const uploaded = Date.now();
        store.set(request.object, { bytes: Buffer.from(body), uploaded });
        const meta = Buffer.from(JSON.stringify(metadata(request.object, body, uploaded)));
        return finish(200, { 'cf-r2-metadata-size': String(meta.length), 'content-type': 'application/json' }, meta);
      }
      default:
        return finish(501, { 'cf-r2-error': errorHeader(INTERNAL_ERROR, `${request.method} is not served here`) });
    }
  }

  const { port, sockets, close } = await listenOnLoopback(server);
  const destroyHanging = () => {
    for (const s of sockets) if (!s.destroyed && s._httpMessage && !s._httpMessage.headersSent) s.destroy();
  };

  return {
    url: `http://127.0.0.1:${port}`,
    /** For workerd's `external = (address = …)`. */
    address: `127.0.0.1:${port}`,
    port,
    log,
    /** Requests of this binding method ('head', 'get', 'put') so far, for `key` if given. */
    count: (method, key) => log.filter((e) => e.method === method && (key === undefined || e.key === key)).length,
    get mode() {
      return current;
    },
    setMode(mode) {
      if (current === 'hang') destroyHanging();
      current = checkMode(mode);
    },
    put: (key, bytes) => void store.set(key, { bytes: Buffer.from(bytes), uploaded: Date.now() }),
    has: (key) => store.has(key),
    resetLog: () => void log.splice(0, log.length),
    stop: close,
  };
}

function checkMode(mode) {
  if (!R2_MODES.includes(mode)) throw new Error(`unknown R2 bucket mode ${mode}; expected one of ${R2_MODES.join(', ')}`);
  return mode;
}
