// Header-adding reverse proxy standing in for Cloudflare's edge.
//
// In production the edge tells the worker who the client is through the
// CF-Connecting-IP header. Locally, OCI clients (skopeo, podman) cannot set
// that header, so each "persona" (an AWS-region client, a GCP client, an
// unknown client) gets its own proxy instance that forwards everything to the
// worker and sets CF-Connecting-IP to the persona's address. Responses are
// passed back untouched: status, headers (Location!) and body. Redirects are
// never followed here; following them is the client's job.

import http from 'node:http';
import https from 'node:https';
import { listenOnLoopback } from './loopback.mjs';

// Hop-by-hop headers (RFC 9110 section 7.6.1) belong to one connection and are not forwarded.
// Transfer-Encoding is left to Node, which re-frames bodies itself.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function filterRaw(rawHeaders, drop) {
  const out = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (!drop.has(rawHeaders[i].toLowerCase())) out.push(rawHeaders[i], rawHeaders[i + 1]);
  }
  return out;
}

/**
 * @param {object} opts
 * @param {string} opts.target        origin to forward to, e.g. http://127.0.0.1:8787
 *                                    (or an https:// deployment, for make smoke's pull)
 * @param {string} opts.clientIp      value for CF-Connecting-IP (omit/null: header removed)
 * @param {Record<string,string>} [opts.headers]  further headers to set/overwrite
 *                                    (e.g. {'CF-IPCountry': 'US'}); null value removes
 * @param {number} [opts.port=0]
 * @param {number} [opts.upstreamTimeoutMs=30000]  per-request bound on the target
 * @param {boolean} [opts.preserveHost=true]  forward the client's Host (the
 *                                    proxy's address); false: Host = target's host:port
 * @param {(req: {method: string, url: string}) => ({status: number, headers?: object, body?: string} | null)} [opts.answer]
 *                                    answers a request itself instead of forwarding it
 *                                    (logged like the others) when it returns an answer
 * @returns {Promise<{url, host, port, clientIp, log, resetLog, stop}>}
 */
export async function startFrontProxy({ target, clientIp, headers = {}, port = 0, upstreamTimeoutMs = 30_000, preserveHost = true, answer }) {
  const targetUrl = new URL(target);
  if (!['http:', 'https:'].includes(targetUrl.protocol)) throw new Error('front proxy forwards to http:// or https:// targets');
  const client = targetUrl.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true });
  const log = [];

  // Header names to strip from the client request before adding ours.
  const overrides = { 'CF-Connecting-IP': clientIp ?? null, ...headers };
  if (!preserveHost) overrides.Host = targetUrl.host;
  const dropFromClient = new Set([...HOP_BY_HOP, ...Object.keys(overrides).map((k) => k.toLowerCase())]);

  const server = http.createServer((req, res) => {
    const entry = { time: Date.now(), method: req.method, url: req.url, headers: req.headers, status: null, location: null, durationMs: null, requestBytes: 0 };
    log.push(entry);
    req.on('data', (chunk) => (entry.requestBytes += chunk.length));
    const own = answer?.({ method: req.method, url: req.url });
    if (own) {
      entry.status = own.status;
      entry.durationMs = 0;
      entry.answeredHere = true;
      req.resume();
      res.writeHead(own.status, own.headers ?? {});
      res.end(req.method === 'HEAD' ? undefined : own.body);
      return;
    }

    // By default Host is kept as the client sent it so the target sees the
    // client-facing authority (as the worker would behind Cloudflare).
    const outHeaders = filterRaw(req.rawHeaders, dropFromClient);
    for (const [k, v] of Object.entries(overrides)) if (v !== null && v !== undefined) outHeaders.push(k, String(v));

    const upstream = client.request({
      protocol: targetUrl.protocol,
      hostname: targetUrl.hostname,
      port: targetUrl.port || (targetUrl.protocol === 'https:' ? 443 : 80),
      method: req.method,
      path: req.url, // path + query exactly as received
      headers: outHeaders,
      agent,
      timeout: upstreamTimeoutMs,
    });
    upstream.on('timeout', () => upstream.destroy(new Error(`target did not answer within ${upstreamTimeoutMs} ms`)));
    upstream.on('response', (up) => {
      entry.status = up.statusCode;
      entry.location = up.headers.location ?? null;
      entry.reason = up.headers['x-registry-edge-reason'] ?? null;
      entry.durationMs = Date.now() - entry.time;
      res.writeHead(up.statusCode, up.statusMessage, filterRaw(up.rawHeaders, HOP_BY_HOP));
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    upstream.on('error', (err) => {
      entry.error = err.message;
      if (!res.headersSent) {
        entry.status = 502;
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`front proxy: ${err.message}\n`);
      } else {
        res.destroy(err);
      }
    });
    // A client that goes away aborts the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  const { port: boundPort, close } = await listenOnLoopback(server, port);

  return {
    url: `http://127.0.0.1:${boundPort}`,
    host: `127.0.0.1:${boundPort}`,
    port: boundPort,
    clientIp,
    log,
    resetLog: () => void log.splice(0, log.length),
    async stop() {
      agent.destroy();
      await close();
    },
  };
}
