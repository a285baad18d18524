// The one call out of the wasm per answer (src/worker/convert.rs,
// `respond`): a reply packed in one string becomes the runtime's Response,
// and the request's record line, if any, is logged. The headers go in as
// a plain object the Response constructor reads, not a Headers object
// filled one call at a time.
//
// Packed, one field a line: the status, the number of headers, each
// header's name and value, the log line (empty for none), then the body
// up to the end (empty for none). No inner functions: the bundler names
// each function it defines, which would cost every call.

export function reply(packed) {
  let start = 0;
  let end = packed.indexOf('\n');
  const status = Number(packed.slice(start, end));
  start = end + 1;
  end = packed.indexOf('\n', start);
  const count = Number(packed.slice(start, end));
  const headers = {};
  for (let i = 0; i < count; i++) {
    start = end + 1;
    end = packed.indexOf('\n', start);
    const name = packed.slice(start, end);
    start = end + 1;
    end = packed.indexOf('\n', start);
    headers[name] = packed.slice(start, end);
  }
  start = end + 1;
  end = packed.indexOf('\n', start);
  if (end > start) console.log(packed.slice(start, end));
  // Every body comes with its Content-Type: the runtime adds none.
  const body = packed.slice(end + 1);
  return new Response(body === '' ? null : body, { status, headers });
}
