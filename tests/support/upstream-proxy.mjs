// A registry as a hostile or busy upstream looks to `registry-edge
// mirrors`: a reverse proxy in front of the distribution registry that can
//   - demand anonymous Bearer tokens, as Artifact Registry does (`tokens`):
//     401 with `WWW-Authenticate: Bearer realm=<proxy>/token,...` until the
//     request carries a token the proxy's /token handed out;
//   - answer 429 with `Retry-After` (`tooManyRequests`: the first `count`
//     requests, each told to wait `retryAfter` seconds);
//   - flip one byte of a blob's body (`corrupt`: a digest);
//   - stop sending a blob after some bytes and hang (`stall`: {digest, afterBytes}).
// Each request is logged ({method, url, status, auth, time}). Options can be
// changed while it runs (proxy.set({...})).

import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { listenOnLoopback } from './loopback.mjs';

const BLOB = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/;

export async function startUpstreamProxy({ target, ...initial }) {
  const targetUrl = new URL(target);
  let options = { tokens: false, tooManyRequests: null, corrupt: null, stall: null, ...initial };
  let throttled = 0;
  const issued = new Set();
  const log = [];
  const agent = new http.Agent({ keepAlive: true });
  let base;

  const server = http.createServer((req, res) => {
    const entry = { time: Date.now(), method: req.method, url: req.url, status: null, auth: req.headers.authorization ?? null };
    log.push(entry);
    const answer = (status, headers, body = '') => {
      entry.status = status;
      res.writeHead(status, headers);
      res.end(body);
    };
    const url = new URL(req.url, base);
    if (url.pathname === '/token') {
      const token = randomBytes(12).toString('hex');
      issued.add(token);
      return answer(200, { 'content-type': 'application/json' }, JSON.stringify({ token, expires_in: 300 }));
    }
    if (options.tooManyRequests && throttled < options.tooManyRequests.count) {
      throttled += 1;
      return answer(429, { 'retry-after': String(options.tooManyRequests.retryAfter), 'content-type': 'application/json' }, '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
    }
    if (options.tokens && url.pathname !== '/v2/') {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!issued.has(token)) {
        const name = /^\/v2\/(.+?)\/(?:tags|manifests|blobs)\//.exec(url.pathname)?.[1];
        const scope = url.pathname.startsWith('/v2/_catalog') ? 'registry:catalog:*' : `repository:${name}:pull`;
        return answer(401, {
          'www-authenticate': `Bearer realm="${base}/token",service="upstream-proxy",scope="${scope}"`,
          'content-type': 'application/json',
        }, '{"errors":[{"code":"UNAUTHORIZED"}]}');
      }
    }
    const blob = BLOB.exec(url.pathname);
    const digest = blob?.[2];
    const headers = { ...req.headers, host: targetUrl.host };
    delete headers.authorization;
    const upstream = http.request({ hostname: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers, agent }, (up) => {
      entry.status = up.statusCode;
      res.writeHead(up.statusCode, up.headers);
      const corrupt = req.method === 'GET' && up.statusCode === 200 && digest && digest === options.corrupt;
      const stall = req.method === 'GET' && up.statusCode === 200 && digest && digest === options.stall?.digest ? options.stall : null;
      let sent = 0;
      let flipped = false;
      up.on('data', (chunk) => {
        if (stall && sent + chunk.length > stall.afterBytes) {
          const rest = Math.max(0, stall.afterBytes - sent);
          if (rest > 0) res.write(chunk.subarray(0, rest));
          sent += rest;
          entry.stalledAt = sent;
          up.destroy(); // the client waits for bytes that never come
          return;
        }
        if (corrupt && !flipped && chunk.length > 0) {
          chunk = Buffer.from(chunk);
          chunk[0] ^= 0xff;
          flipped = true;
          entry.corrupted = true;
        }
        sent += chunk.length;
        res.write(chunk);
      });
      up.on('end', () => {
        if (!entry.stalledAt) res.end();
      });
      up.on('error', () => res.destroy());
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) answer(502, { 'content-type': 'text/plain' }, `upstream proxy: ${err.message}\n`);
      else res.destroy();
    });
    req.pipe(upstream);
  });
  const { port, close } = await listenOnLoopback(server);
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    log,
    set(changes) {
      options = { ...options, ...changes };
      if ('tooManyRequests' in changes) throttled = 0;
    },
    /** GETs of a blob that reached the registry. */
    blobGets: (digest) => log.filter((e) => e.method === 'GET' && BLOB.exec(e.url.split('?')[0])?.[2] === digest && e.status === 200).length,
    async stop() {
      agent.destroy();
      await close();
    },
  };
}
