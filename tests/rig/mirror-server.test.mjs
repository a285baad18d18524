// Tests of the mirror-bucket stand-in itself: every fault mode the worker's
// end-to-end tests rely on must behave, and must stay bounded.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startMirror } from '../support/mirror-server.mjs';
import { freePort } from '../support/processes.mjs';

const bytes = Buffer.from('hello mirror, these are blob bytes\n'.repeat(100));
const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const absent = `sha256:${'0'.repeat(64)}`;

const mirror = await startMirror({ blobs: new Map([[digest, bytes]]) });
after(() => mirror.stop());

const req = (url, init = {}) => fetch(url, { signal: AbortSignal.timeout(2000), ...init });

test('present blob: HEAD has Content-Length and no body, GET returns the bytes', async () => {
  mirror.resetLog();
  const head = await req(mirror.blobUrl(digest), { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(bytes.length));
  assert.equal((await head.arrayBuffer()).byteLength, 0);

  const get = await req(mirror.blobUrl(digest));
  assert.equal(get.status, 200);
  assert.deepEqual(Buffer.from(await get.arrayBuffer()), bytes);

  assert.equal(mirror.countFor('HEAD', digest), 1);
  assert.equal(mirror.countFor('get', digest), 1);
  assert.deepEqual(mirror.log.map((e) => [e.method, e.path, e.status]), [
    ['HEAD', `/containers/images/${digest}`, 200],
    ['GET', `/containers/images/${digest}`, 200],
  ]);
});

test('Range requests get 206 with the right slice', async () => {
  const res = await req(mirror.blobUrl(digest), { headers: { range: 'bytes=10-19' } });
  assert.equal(res.status, 206);
  assert.equal(res.headers.get('content-range'), `bytes 10-19/${bytes.length}`);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes.subarray(10, 20));
});

test('absent blob and foreign paths answer 404', async () => {
  mirror.resetLog();
  assert.equal((await req(mirror.blobUrl(absent), { method: 'HEAD' })).status, 404);
  const other = await req(`${mirror.url}/v2/foo/blobs/${digest}`);
  assert.equal(other.status, 404);
  await other.arrayBuffer();
  assert.equal(mirror.countFor('HEAD', absent), 1);
  assert.equal(mirror.log[1].digest, null);
});

test('blobs added and removed at runtime', async () => {
  const extra = Buffer.from('late blob');
  const d = `sha256:${createHash('sha256').update(extra).digest('hex')}`;
  assert.equal((await req(mirror.blobUrl(d), { method: 'HEAD' })).status, 404);
  mirror.addBlob(d, extra);
  assert.equal((await req(mirror.blobUrl(d), { method: 'HEAD' })).status, 200);
  mirror.removeBlob(d);
  assert.equal((await req(mirror.blobUrl(d), { method: 'HEAD' })).status, 404);
});

test('status500 mode answers 500 to everything, normal mode restores', async (t) => {
  t.after(() => mirror.setMode('normal'));
  mirror.setMode('status500');
  mirror.resetLog();
  assert.equal((await req(mirror.blobUrl(digest), { method: 'HEAD' })).status, 500);
  const get = await req(mirror.blobUrl(digest));
  assert.equal(get.status, 500);
  await get.arrayBuffer();
  assert.deepEqual(mirror.log.map((e) => e.status), [500, 500]);
  mirror.setMode('normal');
  assert.equal((await req(mirror.blobUrl(digest), { method: 'HEAD' })).status, 200);
});

test('hang mode never answers; client timeout fires and stop() stays bounded', async () => {
  const m = await startMirror({ blobs: { [digest]: bytes }, mode: 'hang' });
  const started = Date.now();
  await assert.rejects(
    fetch(m.blobUrl(digest), { method: 'HEAD', signal: AbortSignal.timeout(300) }),
    (err) => err.name === 'TimeoutError',
  );
  assert.ok(Date.now() - started < 2000);
  assert.equal(m.log.length, 1);
  assert.equal(m.log[0].status, null, 'a hung request is logged without a status');

  // Leave one request hanging with no client timeout: stop() must still return.
  const dangling = fetch(m.blobUrl(digest)).catch((err) => err);
  await new Promise((r) => setTimeout(r, 50));
  const stopStarted = Date.now();
  await m.stop();
  assert.ok(Date.now() - stopStarted < 1000, 'stop() destroyed the hanging sockets');
  assert.ok((await dangling) instanceof Error);
});

test('hang mode with hangMs answers late but correctly', async () => {
  const m = await startMirror({ blobs: { [digest]: bytes } });
  try {
    m.setMode('hang', { hangMs: 400 });
    const started = Date.now();
    const res = await fetch(m.blobUrl(digest), { method: 'HEAD', signal: AbortSignal.timeout(3000) });
    assert.equal(res.status, 200);
    assert.ok(Date.now() - started >= 350);
    // A client that gives up before hangMs sees a timeout.
    await assert.rejects(fetch(m.blobUrl(digest), { method: 'HEAD', signal: AbortSignal.timeout(100) }), { name: 'TimeoutError' });
  } finally {
    await m.stop();
  }
});

test('reset mode drops the connection without a response', async () => {
  const m = await startMirror({ blobs: { [digest]: bytes }, mode: 'reset' });
  try {
    await assert.rejects(req(m.blobUrl(digest), { method: 'HEAD' }), (err) => err.name === 'TypeError');
    assert.equal(m.countFor('HEAD', digest), 1);
  } finally {
    await m.stop();
  }
});

test('closed port: stop() keeps the port number, connections are refused; restart() serves again', async () => {
  const m = await startMirror({ blobs: { [digest]: bytes } });
  await m.stop();
  assert.equal(m.listening, false);
  await assert.rejects(req(m.blobUrl(digest), { method: 'HEAD' }), (err) => err.cause?.code === 'ECONNREFUSED');
  await m.restart();
  try {
    assert.equal((await req(m.blobUrl(digest), { method: 'HEAD' })).status, 200);
  } finally {
    await m.stop();
  }
});

test('freePort() gives a port nobody listens on', async () => {
  const port = await freePort();
  await assert.rejects(req(`http://127.0.0.1:${port}/containers/images/${digest}`), (err) => err.cause?.code === 'ECONNREFUSED');
});

test('serves from a directory: OCI layout blobs/<alg>/<hex> or files named <digest>', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mirror-dir-'));
  try {
    const [alg, hex] = digest.split(':');
    await mkdir(path.join(dir, 'blobs', alg), { recursive: true });
    await writeFile(path.join(dir, 'blobs', alg, hex), bytes);
    const other = Buffer.from('flat file blob');
    const otherDigest = `sha256:${createHash('sha256').update(other).digest('hex')}`;
    await writeFile(path.join(dir, otherDigest), other);
    const m = await startMirror({ dir });
    try {
      const a = await req(m.blobUrl(digest));
      assert.deepEqual(Buffer.from(await a.arrayBuffer()), bytes);
      const b = await req(m.blobUrl(otherDigest));
      assert.deepEqual(Buffer.from(await b.arrayBuffer()), other);
      assert.equal((await req(m.blobUrl(absent), { method: 'HEAD' })).status, 404);
    } finally {
      await m.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
