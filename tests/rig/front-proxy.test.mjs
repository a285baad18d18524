// Tests of the CF-Connecting-IP front proxy against a loopback echo server:
// it must set the persona address, forward everything else as is, and hand
// redirects back to the client instead of following them.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startFrontProxy } from '../support/front-proxy.mjs';
import { freePort } from '../support/processes.mjs';

// Echo server: reports what it received; /redirect answers a 307 to elsewhere.
const echo = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  if (req.url.startsWith('/redirect')) {
    res.writeHead(307, { location: 'http://127.0.0.1:9/containers/images/sha256:abc', 'x-from': 'echo' });
    return res.end();
  }
  if (req.url === '/big') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    // Chunked body with no Content-Length, written in pieces.
    for (let i = 0; i < 64; i++) res.write(Buffer.alloc(16 * 1024, i));
    return res.end();
  }
  res.writeHead(200, [
    'Content-Type', 'application/json',
    'Set-Cookie', 'a=1',
    'Set-Cookie', 'b=2',
    'Docker-Content-Digest', 'sha256:feed',
  ]);
  res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
});
await new Promise((r) => echo.listen(0, '127.0.0.1', r));
const target = `http://127.0.0.1:${echo.address().port}`;
const proxy = await startFrontProxy({ target, clientIp: '203.0.113.9', headers: { 'CF-IPCountry': 'XX' } });
after(async () => {
  await proxy.stop();
  await new Promise((r) => echo.close(r));
});

const req = (p, init = {}) => fetch(`${proxy.url}${p}`, { signal: AbortSignal.timeout(3000), redirect: 'manual', ...init });

test('sets CF-Connecting-IP (overwriting a client-sent one) and forwards method, path, query, headers, body', async () => {
  const res = await req('/v2/some/name/blobs/sha256:1?x=1&y=%2F', {
    method: 'POST',
    headers: { 'CF-Connecting-IP': '6.6.6.6', accept: 'application/vnd.oci.image.manifest.v1+json', 'x-custom': 'kept' },
    body: 'payload',
  });
  assert.equal(res.status, 200);
  const seen = await res.json();
  assert.equal(seen.method, 'POST');
  assert.equal(seen.url, '/v2/some/name/blobs/sha256:1?x=1&y=%2F');
  assert.equal(seen.headers['cf-connecting-ip'], '203.0.113.9');
  assert.equal(seen.headers['cf-ipcountry'], 'XX');
  assert.equal(seen.headers.accept, 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(seen.headers['x-custom'], 'kept');
  assert.equal(seen.headers.host, proxy.host, 'Host is the client-facing authority');
  assert.equal(seen.body, 'payload');
  // Response headers come back untouched, repeated ones included.
  assert.equal(res.headers.get('docker-content-digest'), 'sha256:feed');
  assert.deepEqual(res.headers.getSetCookie(), ['a=1', 'b=2']);
});

test('redirects are returned to the client, not followed', async () => {
  for (const method of ['GET', 'HEAD']) {
    const res = await req('/redirect', { method });
    assert.equal(res.status, 307);
    assert.equal(res.headers.get('location'), 'http://127.0.0.1:9/containers/images/sha256:abc');
    assert.equal(res.headers.get('x-from'), 'echo');
  }
  assert.equal(proxy.log.at(-1).location, 'http://127.0.0.1:9/containers/images/sha256:abc');
});

test('streams large chunked bodies intact', async () => {
  const body = Buffer.from(await (await req('/big')).arrayBuffer());
  assert.equal(body.length, 64 * 16 * 1024);
  for (let i = 0; i < 64; i++) assert.equal(body[i * 16 * 1024], i);
});

test('preserveHost: false sends the target authority as Host', async () => {
  const p = await startFrontProxy({ target, clientIp: '203.0.113.10', preserveHost: false });
  try {
    const seen = await (await fetch(`${p.url}/x`, { signal: AbortSignal.timeout(3000) })).json();
    assert.equal(seen.headers.host, new URL(target).host);
    assert.equal(seen.headers['cf-connecting-ip'], '203.0.113.10');
  } finally {
    await p.stop();
  }
});

test('target down → 502 from the proxy, bounded', async () => {
  const dead = await startFrontProxy({ target: `http://127.0.0.1:${await freePort()}`, clientIp: '198.51.100.1' });
  try {
    const res = await fetch(`${dead.url}/v2/`, { signal: AbortSignal.timeout(3000) });
    assert.equal(res.status, 502);
    assert.match(await res.text(), /ECONNREFUSED/);
  } finally {
    await dead.stop();
  }
});
