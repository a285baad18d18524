// The Cache API backend for bare workerd (its `cacheApiOutbound`): without
// one, caches.open() works but put() fails with "No Cache was configured".
// wrangler dev plugs in miniflare's Durable-Object-backed cache; this is an
// in-memory stand-in for one process, enough for the worker's existence
// checks to take the same path as at the edge (match, HEAD, put).
//
// The protocol workerd speaks to it (see miniflare's cache worker):
//   GET <key>    match: answer with `CF-Cache-Status: HIT` and the stored
//                response, or `CF-Cache-Status: MISS`
//   PUT <key>    put: the body is the serialised HTTP/1.1 response; 204
//   PURGE <key>  delete: 200, or 404 when absent
// Named caches (caches.open(name)) add a `cf-cache-namespace` header.
// Expiry follows Cache-Control s-maxage / max-age; nothing else is modelled.

const entries = new Map();

const keyOf = (request) => `${request.headers.get('cf-cache-namespace') ?? ''} ${request.url}`;

function maxAgeSeconds(cacheControl) {
  const m = /(?:s-maxage|max-age)=(\d+)/i.exec(cacheControl ?? '');
  return m ? Number(m[1]) : 0;
}

// "HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\nbody"
function parseResponse(bytes) {
  let end = 0;
  while (end + 3 < bytes.length && !(bytes[end] === 13 && bytes[end + 1] === 10 && bytes[end + 2] === 13 && bytes[end + 3] === 10)) end++;
  // Header bytes are ISO-8859-1: one char per byte.
  const [statusLine, ...lines] = String.fromCharCode(...bytes.subarray(0, end)).split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers = lines.map((line) => {
    const i = line.indexOf(':');
    return [line.slice(0, i).trim(), line.slice(i + 1).trim()];
  });
  return { status, headers, body: bytes.slice(end + 4) };
}

const miss = () => new Response(null, { status: 504, headers: { 'CF-Cache-Status': 'MISS' } });

export default {
  async fetch(request) {
    const key = keyOf(request);
    switch (request.method) {
      case 'GET': {
        const entry = entries.get(key);
        if (!entry || entry.expires < Date.now()) return miss();
        const headers = new Headers(entry.headers);
        headers.set('CF-Cache-Status', 'HIT');
        const body = entry.body.length && ![204, 304].includes(entry.status) ? entry.body : null;
        return new Response(body, { status: entry.status, headers });
      }
      case 'PUT': {
        const stored = parseResponse(new Uint8Array(await request.arrayBuffer()));
        const ttl = maxAgeSeconds(new Headers(stored.headers).get('cache-control'));
        if (ttl <= 0) return new Response(null, { status: 413 });
        entries.set(key, { ...stored, expires: Date.now() + ttl * 1000 });
        return new Response(null, { status: 204 });
      }
      case 'PURGE':
        return new Response(null, { status: entries.delete(key) ? 200 : 404 });
      default:
        return new Response(null, { status: 405 });
    }
  },
};
