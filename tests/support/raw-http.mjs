// HTTP/1.1 over a raw TCP socket, for requests that node's http client
// refuses to send: CR, LF, NUL or non-UTF-8 bytes in the request line or
// headers, malformed request lines, absurd sizes. The request is written
// byte for byte as given; the answer is parsed just enough to know its
// status, headers and body (Content-Length, chunked, or until close).
//
//   const res = await rawRequest(port, Buffer.from('GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n'));
//   res.status  // a number, or null when the server closed without answering
//
// Every call is bounded by timeoutMs and never rejects: connection errors
// and timeouts are reported in `error` (with whatever was received).

import net from 'node:net';

/**
 * Assemble a request: `METHOD TARGET HTTP/1.1\r\n` + headers + blank line.
 * Every part may be a string (latin1, so "\xff" is one byte 0xff) or a Buffer.
 * @param {{method?: string|Buffer, target: string|Buffer, version?: string,
 *          headers?: Array<[string|Buffer, string|Buffer]>, body?: string|Buffer,
 *          host?: string|null}} req  host: Host header value (null: none)
 */
export function buildRequest({ method = 'GET', target, version = 'HTTP/1.1', headers = [], body, host = '127.0.0.1', close = true }) {
  const b = (x) => (Buffer.isBuffer(x) ? x : Buffer.from(String(x), 'latin1'));
  const parts = [b(method), b(' '), b(target), b(` ${version}\r\n`)];
  if (host !== null) parts.push(b(`Host: ${host}\r\n`));
  for (const [name, value] of headers) parts.push(b(name), b(': '), b(value), b('\r\n'));
  if (close) parts.push(b('Connection: close\r\n'));
  parts.push(b('\r\n'));
  if (body !== undefined) parts.push(b(body));
  return Buffer.concat(parts);
}

/**
 * Send `bytes` to 127.0.0.1:port and read one answer.
 * @returns {Promise<{status: number|null, reason: string, headers: Record<string, string[]>,
 *   body: Buffer, raw: Buffer, closedWithoutAnswer: boolean, error: string|null, ms: number}>}
 */
export function rawRequest(port, bytes, { timeoutMs = 10_000, host = '127.0.0.1' } = {}) {
  const started = performance.now();
  return new Promise((resolve) => {
    const chunks = [];
    let settled = false;
    let parsed = null;
    const socket = net.connect({ host, port });
    const finish = (error = null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks);
      const head = parsed ?? parseHead(raw);
      resolve({
        status: head?.status ?? null,
        reason: head?.reason ?? '',
        headers: head?.headers ?? {},
        body: head ? raw.subarray(head.bodyStart) : Buffer.alloc(0),
        raw,
        closedWithoutAnswer: !head,
        error,
        ms: performance.now() - started,
      });
    };
    const timer = setTimeout(() => finish(parsed ? null : `no complete answer in ${timeoutMs} ms`), timeoutMs);
    socket.on('connect', () => socket.end(bytes)); // half-close: we send nothing more
    socket.on('data', (c) => {
      chunks.push(c);
      const raw = Buffer.concat(chunks);
      parsed ??= parseHead(raw);
      if (parsed && bodyComplete(parsed, raw)) finish();
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (e) => finish(e.code ?? e.message));
  });
}

/**
 * Status line and headers of the final answer, once its blank line has
 * arrived (interim 1xx answers such as 100 Continue are skipped).
 */
function parseHead(raw, from = 0) {
  const end = raw.indexOf('\r\n\r\n', from);
  if (end < 0) return null;
  const lines = raw.subarray(from, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!m) return null;
  const headers = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  const status = Number(m[1]);
  if (status >= 100 && status < 200 && status !== 101) return parseHead(raw, end + 4);
  return { status, reason: m[2] ?? '', headers, bodyStart: end + 4 };
}

function bodyComplete(head, raw) {
  const body = raw.subarray(head.bodyStart);
  const length = head.headers['content-length']?.[0];
  if (length !== undefined) return body.length >= Number(length);
  if (/chunked/i.test(head.headers['transfer-encoding']?.[0] ?? '')) return body.includes('0\r\n\r\n');
  // 101/204/304 carry no body; anything else is read until the server closes.
  return head.status === 101 || head.status === 204 || head.status === 304;
}
