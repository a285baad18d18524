// The stale range data alarm in the built worker: each scheduled run
// (GET /__scheduled under wrangler dev --test-scheduled) logs one
// error-level line while the compiled range data is older than
// RANGES_MAX_AGE_DAYS, and none when it is not; /_status says the same.
// The committed snapshot is the build's data: months old, so stale under
// the default of 45 days, and fresh under a limit above its age.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startWorker } from '../support/worker.mjs';
import { sleep } from '../support/processes.mjs';

const UPSTREAM = { UPSTREAM_REGISTRY_ENDPOINT: 'https://upstream.example' };
const ALARM = /registry-edge: stale range data: (AWS|GCP)'s file of \S+ is (\d+) days old, over RANGES_MAX_AGE_DAYS = (\d+); clients on newer prefixes are not placed/g;

/** Runs the scheduled handler `runs` times; returns /_status's ranges and the alarm lines logged. */
async function scheduledRuns(vars, runs) {
  const worker = await startWorker({ vars: { ...UPSTREAM, ...vars }, logLevel: 'log', extraArgs: ['--test-scheduled'] });
  try {
    const ranges = (await (await fetch(`${worker.url}/_status`)).json()).ranges;
    for (let i = 0; i < runs; i++) assert.equal((await fetch(`${worker.url}/__scheduled?cron=17+6+*+*+*`)).status, 200);
    await sleep(500);
    const log = await readFile(worker.logFile, 'utf8');
    return { ranges, alarms: [...log.matchAll(ALARM)] };
  } finally {
    await worker.stop();
  }
}

test('under the default limit, today: stale, one error line per scheduled run', async (t) => {
  const { ranges, alarms } = await scheduledRuns({}, 2);
  assert.equal(ranges.max_age_days, 45);
  t.diagnostic(`the compiled range data is ${ranges.age_days} days old (oldest provider file ${ranges.oldest})`);
  assert.ok(ranges.age_days > 45 && ranges.stale, JSON.stringify(ranges));
  assert.equal(alarms.length, 2, 'one line per run');
  assert.deepEqual(alarms.map((m) => [m[2], m[3]]), [[String(ranges.age_days), '45'], [String(ranges.age_days), '45']]);
});

test("a limit just below the data's age fires; at its age and above, nothing is logged", async () => {
  const age = (await scheduledRuns({}, 0)).ranges.age_days;
  const below = await scheduledRuns({ RANGES_MAX_AGE_DAYS: age - 1 }, 1);
  assert.equal(below.ranges.stale, true);
  assert.equal(below.alarms.length, 1);
  const at = await scheduledRuns({ RANGES_MAX_AGE_DAYS: age }, 1);
  assert.equal(at.ranges.stale, false);
  assert.equal(at.alarms.length, 0);
  const decade = await scheduledRuns({ RANGES_MAX_AGE_DAYS: 3650 }, 2);
  assert.deepEqual([decade.ranges.stale, decade.alarms.length], [false, 0]);
});
