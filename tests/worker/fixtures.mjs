// Content-addressed test blobs, shared by the worker suites (the client
// personas are tests/support/personas.mjs).

import { createHash } from 'node:crypto';

/** A blob with its real sha256 digest. */
export function blob(label) {
  const bytes = Buffer.from(`registry-edge test blob ${label}\n`);
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes };
}
