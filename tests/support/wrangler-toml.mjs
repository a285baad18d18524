// The repository's wrangler.toml as the one source of the compatibility
// date: every worker config the tests and benchmarks write (wrangler.toml
// for wrangler dev and for bundling, capnp for bare workerd) takes it from
// here, so each runs the worker under the date it ships with.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './programs.mjs';

export const WRANGLER_TOML = path.join(ROOT, 'wrangler.toml');

/**
 * `compatibility_date` of wrangler.toml's top level (before its first
 * [table]). A line match rather than wrangler's config reader, whose import
 * takes seconds; shipped-config.test.mjs checks that both read the same.
 */
export function compatibilityDate(text = readFileSync(WRANGLER_TOML, 'utf8')) {
  const topLevel = text.split(/^\s*\[/m)[0];
  const m = /^\s*compatibility_date\s*=\s*"(\d{4}-\d{2}-\d{2})"\s*(#.*)?$/m.exec(topLevel);
  if (!m) throw new Error(`${WRANGLER_TOML} has no top-level compatibility_date = "YYYY-MM-DD"`);
  return m[1];
}
