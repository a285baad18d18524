// The programs tests and benchmarks start, read from programs.txt (the
// list the Makefile installs from). Every child process of the test
// support is started through `resolveProgram`, so a program that is not
// installed stops the test with its name and the make target that
// installs it, and a program nobody listed cannot be started at all.
//
// `node tests/support/programs.mjs` checks that every listed program
// (except `make fuzz`'s) is installed; `make setup` ends with it.

import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
export const PROGRAMS_FILE = path.join(HERE, 'programs.txt');

/** @returns {Map<string, {program, target, package, where}>} */
export function readPrograms(text = readFileSync(PROGRAMS_FILE, 'utf8')) {
  const programs = new Map();
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [program, target, pkg, where] = line.trim().split(/\s+/);
    if (!where) throw new Error(`${PROGRAMS_FILE}: malformed line ${JSON.stringify(line)}`);
    programs.set(program, { program, target, package: pkg, where: where === '-' ? null : where });
  }
  return programs;
}

export const PROGRAMS = readPrograms();

/** The targets `make setup` runs; programs of other targets (`make fuzz`, `make cli`) come with their own. */
export const SETUP_PARTS = new Set(['rust-tools', 'node-tools', 'debian-tools', 'workflow-tools', 'mirrors-tools']);

/** A program that is listed but not installed. */
export class ProgramMissing extends Error {
  constructor(entry, looked) {
    const how =
      entry.target === '-'
        ? `it is part of the base system (package ${entry.package}); install it with apt-get`
        : !SETUP_PARTS.has(entry.target)
          ? `\`make ${entry.target}\` ${entry.target === 'cli' ? 'builds' : 'installs'} it`
          : `\`make setup\` installs it (\`make ${entry.target}\`: ${entry.target === 'debian-tools' ? 'Debian' : entry.target === 'node-tools' ? 'npm' : entry.target === 'workflow-tools' ? 'PyPI' : 'cargo'} package ${entry.package})`;
    super(`${entry.program} is not installed (looked for ${looked}): ${how}`);
    this.name = 'ProgramMissing';
    this.program = entry.program;
    this.target = entry.target;
  }
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name, envPath) {
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/**
 * The file to execute for `command`: a listed program's name (`skopeo`,
 * `workerd`), or a path to one (a `*_BIN` override, `process.execPath`).
 * Throws ProgramMissing when it is not installed, and an Error naming
 * programs.txt when it is not listed.
 */
export function resolveProgram(command, { envPath = process.env.PATH } = {}) {
  const name = path.basename(command);
  const entry = PROGRAMS.get(name);
  if (!entry) {
    throw new Error(
      `the tests start ${command}, which tests/support/programs.txt does not list: add it there with the make target that installs it`,
    );
  }
  if (command.includes('/')) {
    if (isExecutable(command)) return command;
    throw new ProgramMissing(entry, command);
  }
  if (entry.where) {
    const file = path.join(ROOT, entry.where);
    if (isExecutable(file)) return file;
    throw new ProgramMissing(entry, file);
  }
  const found = onPath(name, envPath);
  if (found) return found;
  throw new ProgramMissing(entry, `${name} on PATH`);
}

/** Every listed program that `make setup` installs and is missing. */
export function missingPrograms({ envPath = process.env.PATH } = {}) {
  const missing = [];
  for (const entry of PROGRAMS.values()) {
    if (!SETUP_PARTS.has(entry.target) && entry.target !== '-') continue;
    try {
      resolveProgram(entry.program, { envPath });
    } catch (err) {
      missing.push(err);
    }
  }
  return missing;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const missing = missingPrograms();
  for (const err of missing) console.error(err.message);
  if (missing.length > 0) process.exit(1);
  console.log(`all ${[...PROGRAMS.values()].filter((e) => SETUP_PARTS.has(e.target) || e.target === '-').length} programs the tests start are installed (tests/support/programs.txt)`);
}
