// The worker's request records, read back from the output that wrangler
// dev captured (startWorker's logFile): the worker logs one JSON line per
// request with console.log, which wrangler dev writes verbatim to its
// stdout among its own lines (those start with `[wrangler:` or are blank).
// Start the worker with logLevel 'log' (or lower): wrangler's 'info' level
// filters console.log out.

import { readFile } from 'node:fs/promises';
import { sleep } from './processes.mjs';

/** Every record in the log so far, in order. */
export async function readRecords(logFile) {
  const text = await readFile(logFile, 'utf8');
  const records = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const value = JSON.parse(line);
      if (value && typeof value.event === 'string') records.push(value);
    } catch {
      /* not a record */
    }
  }
  return records;
}

/**
 * Waits until the log holds at least `count` records matching `match`
 * (console output reaches the file shortly after the response) and returns
 * all matching records.
 */
export async function waitForRecords(logFile, match, { count = 1, timeoutMs = 5000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await readRecords(logFile)).filter(match);
    if (found.length >= count || Date.now() > deadline) return found;
    await sleep(50);
  }
}
