// A raw HTTP/1.1 client for the tests: any method, any path bytes, any
// headers (Host included), never follows redirects, bounded by a timeout.

import http from 'node:http';

/**
 * @param {string} base  e.g. http://127.0.0.1:8787
 * @param {string} path  sent as-is (may hold `..`, `%2e`, anything http allows)
 * @returns {Promise<{status: number, headers: object, body: string, ms: number}>}
 */
export function request(base, path, { method = 'GET', headers = {}, timeoutMs = 15_000 } = {}) {
  const { hostname, port } = new URL(base);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: hostname, port, method, path, headers, agent: false, insecureHTTPParser: true },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The `errors[0].code` of an OCI JSON error body, or null. */
export function ociCode(response) {
  try {
    return JSON.parse(response.body).errors[0].code;
  } catch {
    return null;
  }
}
