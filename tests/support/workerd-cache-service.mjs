// An in-memory backend for bare workerd's Cache API (`cacheApiOutbound`),
// so the built worker's two cache layers work outside wrangler dev.
// The protocol (workerd src/workerd/api/cache.c++):
//   match:  GET <url> with `Cache-Control: only-if-cached`; the answer must
//           carry `CF-Cache-Status: HIT` (returned) or `MISS`
//   put:    PUT <url>; the body is the response as an HTTP/1.1 message
//   delete: PURGE <url> -> 200 (deleted) or 404 (absent)
//   caches.open(name) adds `CF-Cache-Namespace: <name>`.
// Only max-age / s-maxage are honoured (no Vary, Range or revalidation),
// and `private` / `no-store` responses are not stored, as on the edge.
// Tests read the stored keys with a request carrying `x-inspect: keys` on
// the inspection socket workerd.mjs opens (its `cacheKeys`).
const store = new Map();
const keyOf = (req) => `${req.headers.get('cf-cache-namespace') ?? ''} ${req.url}`;
const CRLF2 = [13, 10, 13, 10];

function parseHttpResponse(bytes) {
  let i = 0;
  for (; i + 3 < bytes.length; i++) if (CRLF2.every((b, j) => bytes[i + j] === b)) break;
  const head = new TextDecoder().decode(bytes.subarray(0, i)).split('\r\n');
  const [, status, ...reason] = head[0].split(' ');
  const headers = new Headers();
  for (const line of head.slice(1)) {
    const k = line.indexOf(':');
    headers.append(line.slice(0, k), line.slice(k + 1).trim());
  }
  return { status: Number(status), statusText: reason.join(' '), headers, body: bytes.slice(i + 4) };
}

function ttlSeconds(headers) {
  const cc = headers.get('cache-control') || '';
  if (/\b(no-store|private)\b/i.test(cc)) return 0;
  const m = /s-maxage=(\d+)/i.exec(cc) || /max-age=(\d+)/i.exec(cc);
  return m ? Number(m[1]) : 0;
}

export default {
  async fetch(req) {
    if (req.headers.get('x-inspect') === 'keys') {
      const now = Date.now();
      const live = [...store].filter(([, e]) => e.expires > now).map(([k]) => k);
      return Response.json(live);
    }
    const key = keyOf(req);
    if (req.method === 'PUT') {
      const r = parseHttpResponse(new Uint8Array(await req.arrayBuffer()));
      const ttl = ttlSeconds(r.headers);
      if (ttl > 0) store.set(key, { ...r, expires: Date.now() + ttl * 1000 });
      return new Response(null, { status: 204 });
    }
    if (req.method === 'PURGE') return new Response(null, { status: store.delete(key) ? 200 : 404 });
    if (req.method === 'GET') {
      const e = store.get(key);
      if (!e || e.expires <= Date.now()) {
        store.delete(key);
        return new Response(null, { status: 504, headers: { 'CF-Cache-Status': 'MISS' } });
      }
      const h = new Headers(e.headers);
      h.set('CF-Cache-Status', 'HIT');
      return new Response(e.body, { status: e.status, statusText: e.statusText, headers: h });
    }
    return new Response('unsupported', { status: 405 });
  },
};
