// Loopback stand-in for an S3 mirror bucket / CDN in front of it.
//
// Serves blobs at /containers/images/<digest> (the layout archeio's mirrors
// use) for HEAD and GET, logs every request so tests can assert which mirror
// was probed and how often, and can be switched at runtime into fault modes:
//   normal     serve blobs, 404 for absent ones
//   status500  every request answers 500
//   status     every request answers `status` (setMode('status', {status: 429}))
//   hang       never answer (or answer normally after `hangMs` if set); used to
//              exercise the worker's HEAD timeout. Hanging sockets are
//              destroyed by stop(), so stopping is always bounded.
//   reset      accept the request, then destroy the socket without answering
// "Port closed" is simulated by stop(): the port number is kept (see
// `closedUrl`) and nothing listens there until restart().
//
// In-process:  const m = await startMirror({ blobs }); ... await m.stop();
// Standalone:  node tests/support/mirror-server.mjs --port 9000 --dir <dir>
//              (<dir> is an OCI layout or a directory of files named <digest>)

import http from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { listenOnLoopback } from './loopback.mjs';

export const MODES = ['normal', 'status500', 'hang', 'reset', 'status'];
const BLOB_PATH = /^\/containers\/images\/([a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+)$/;

/**
 * @param {object} opts
 * @param {number} [opts.port=0]     0 picks a free port
 * @param {Map<string,Buffer>|Record<string,Buffer>|Array<{digest,bytes}>} [opts.blobs]
 * @param {string} [opts.dir]        served when a digest is not in `blobs`
 * @param {string} [opts.mode='normal']
 * @param {number} [opts.hangMs]     in hang mode, answer after this delay (default: never)
 * @param {string} [opts.name]       label used in console logging (CLI)
 * @param {boolean} [opts.verbose]   print each request to stdout
 */
export async function startMirror({ port = 0, blobs, dir, mode = 'normal', hangMs, name = 'mirror', verbose = false } = {}) {
  const store = toMap(blobs);
  let currentMode = checkMode(mode);
  let currentHangMs = hangMs;
  let currentStatus = 500;
  const log = [];
  const timers = new Set();

  async function lookup(digest) {
    if (store.has(digest)) return store.get(digest);
    if (!dir) return null;
    const [alg, hex] = digest.split(':');
    // An OCI layout keeps blobs at blobs/<alg>/<hex>; otherwise files named <digest>.
    for (const file of [path.join(dir, 'blobs', alg, hex), path.join(dir, digest)]) {
      try {
        if ((await stat(file)).isFile()) return await readFile(file);
      } catch {
        /* try the next candidate */
      }
    }
    return null;
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://mirror.invalid');
    const match = BLOB_PATH.exec(url.pathname);
    const entry = {
      time: Date.now(),
      method: req.method,
      path: url.pathname,
      digest: match ? match[1] : null,
      mode: currentMode,
      range: req.headers.range ?? null,
      userAgent: req.headers['user-agent'] ?? null,
      status: null, // stays null for requests never answered (hang/reset)
      durationMs: null,
    };
    log.push(entry);
    const finish = (status, headers = {}, body) => {
      if (res.destroyed) return;
      entry.status = status;
      entry.durationMs = Date.now() - entry.time;
      if (verbose) console.log(`${new Date(entry.time).toISOString()} ${name} ${req.method} ${url.pathname} ${status} ${entry.durationMs}ms`);
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    };

    switch (entry.mode) {
      case 'status500':
        return finish(500, { 'content-type': 'text/plain' }, 'injected failure\n');
      case 'status':
        return finish(currentStatus, { 'content-type': 'text/plain' }, `injected ${currentStatus}\n`);
      case 'reset':
        return req.socket.destroy();
      case 'hang':
        if (currentHangMs === undefined) return; // socket destroyed by stop()
        await new Promise((r) => {
          const t = setTimeout(() => (timers.delete(t), r()), currentHangMs);
          timers.add(t);
        });
        break;
    }
    if (!['GET', 'HEAD'].includes(req.method)) return finish(405, { allow: 'GET, HEAD' }, 'method not allowed\n');
    const bytes = match ? await lookup(match[1]) : null;
    if (!bytes) return finish(404, { 'content-type': 'application/xml' }, '<Error><Code>NoSuchKey</Code></Error>\n');

    const headers = {
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: `"${match[1].split(':')[1].slice(0, 32)}"`,
    };
    // Single byte ranges, as S3 does, so clients that resume with Range work.
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (range && (range[1] !== '' || range[2] !== '')) {
      let start = range[1] === '' ? bytes.length - Number(range[2]) : Number(range[1]);
      let end = range[1] === '' || range[2] === '' ? bytes.length - 1 : Math.min(Number(range[2]), bytes.length - 1);
      start = Math.max(0, start);
      if (start >= bytes.length || start > end) {
        return finish(416, { 'content-range': `bytes */${bytes.length}` }, '');
      }
      headers['content-range'] = `bytes ${start}-${end}/${bytes.length}`;
      headers['content-length'] = end - start + 1;
      return finish(206, headers, bytes.subarray(start, end + 1));
    }
    headers['content-length'] = bytes.length;
    finish(200, headers, bytes);
  });
  server.keepAliveTimeout = 5000;

  const { port: boundPort, listen, close } = await listenOnLoopback(server, port);
  const url = `http://127.0.0.1:${boundPort}`;

  const mirror = {
    url,
    port: boundPort,
    log,
    get mode() {
      return currentMode;
    },
    /** Switch fault mode; `hangMs` only matters for 'hang', `status` for 'status'. */
    setMode(mode, { hangMs: ms, status = 500 } = {}) {
      currentMode = checkMode(mode);
      currentHangMs = ms;
      currentStatus = status;
    },
    blobUrl: (digest) => `${url}/containers/images/${digest}`,
    addBlob: (digest, bytes) => void store.set(digest, Buffer.from(bytes)),
    removeBlob: (digest) => void store.delete(digest),
    hasBlob: (digest) => store.has(digest),
    /** Number of logged requests with this method (case-insensitive) for this digest. */
    countFor: (method, digest) => log.filter((e) => e.method === method.toUpperCase() && e.digest === digest).length,
    requests: (filter = {}) => log.filter((e) => Object.entries(filter).every(([k, v]) => e[k] === v)),
    resetLog: () => void log.splice(0, log.length),
    get listening() {
      return server.listening;
    },
    /**
     * Close the listener and destroy every open socket (hanging ones too).
     * The port number stays in `port`/`url`: afterwards connections to it are
     * refused, which is the "mirror host down" fault.
     */
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await close();
    },
    /** Listen again on the same port after stop(). */
    async restart() {
      if (!server.listening) await listen(boundPort);
    },
  };
  return mirror;
}

function checkMode(mode) {
  if (!MODES.includes(mode)) throw new Error(`unknown mirror mode ${mode}; expected one of ${MODES.join(', ')}`);
  return mode;
}

function toMap(blobs) {
  if (!blobs) return new Map();
  if (blobs instanceof Map) return new Map([...blobs].map(([d, b]) => [d, Buffer.from(b)]));
  if (Array.isArray(blobs)) return new Map(blobs.map(({ digest, bytes }) => [digest, Buffer.from(bytes)]));
  return new Map(Object.entries(blobs).map(([d, b]) => [d, Buffer.from(b)]));
}

// ---- CLI ------------------------------------------------------------------

function parseArgs(argv) {
  const opts = { port: 0, verbose: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--port') opts.port = Number(next());
    else if (a === '--dir') opts.dir = path.resolve(next());
    else if (a === '--mode') opts.mode = next();
    else if (a === '--hang-ms') opts.hangMs = Number(next());
    else if (a === '--quiet') opts.verbose = false;
    else if (a === '--help' || a === '-h') opts.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    console.log('usage: node tests/support/mirror-server.mjs [--port N] [--dir DIR] [--mode normal|status500|hang|reset] [--hang-ms MS] [--quiet]');
    process.exit(0);
  }
  const m = await startMirror(opts);
  console.log(`mirror listening on ${m.url} (mode ${m.mode}${opts.dir ? `, dir ${opts.dir}` : ''})`);
  const shutdown = async () => {
    await m.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
