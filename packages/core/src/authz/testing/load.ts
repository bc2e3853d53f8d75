import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { PolicyTestError } from './errors.js';
import { MAX_POLICY_TEST_FILE_LENGTH, parsePolicyTests } from './parse.js';
import type { PolicyTestSuite } from './types.js';

/** File names the loader reads: `<name>.test.yaml`, `<name>.test.yml`, `<name>.test.json`; hidden files never. */
const TEST_FILE = /^[^.].*\.test\.(?:ya?ml|json)$/;
/** Most test files one folder may hold. */
const MAX_TEST_FILES = 1000;

const utf8 = new TextDecoder('utf-8', { fatal: true });

async function readTestFile(root: string, name: string): Promise<string | undefined> {
  const path = join(root, name);
  // A link is followed only while it stays inside the folder: a test folder is not a way to read /etc/shadow into
  // an error message or a CI log.
  const target = await realpath(path);
  if (!target.startsWith(root + sep)) throw new PolicyTestError('AUTHZ_TEST_UNREADABLE', 'the file links outside the folder', { source: name });
  const info = await stat(target);
  if (!info.isFile()) return undefined;
  if (info.size > MAX_POLICY_TEST_FILE_LENGTH * 3) throw new PolicyTestError('AUTHZ_TEST_UNREADABLE', 'the file is too large', { source: name });
  try {
    return utf8.decode(await readFile(target));
  } catch (error) {
    throw new PolicyTestError('AUTHZ_TEST_UNREADABLE', 'the file is not valid UTF-8', { source: name }, { cause: error });
  }
}

/**
 * Reads every `*.test.yaml|yml|json` file in `folder` (not recursive, sorted by name) and parses each with
 * {@link parsePolicyTests}. Refuses files linking outside the folder, oversized or non-UTF-8 files, and two files with
 * the same suite name (a copied file would otherwise hide which of the two failed).
 */
export async function loadPolicyTests(folder: string): Promise<PolicyTestSuite[]> {
  let root: string;
  let names: string[];
  try {
    root = await realpath(folder);
    names = (await readdir(root)).filter((name) => TEST_FILE.test(name)).sort();
  } catch (error) {
    throw new PolicyTestError('AUTHZ_TEST_UNREADABLE', 'the folder cannot be read', { source: folder }, { cause: error });
  }
  if (names.length > MAX_TEST_FILES) throw new PolicyTestError('AUTHZ_TEST_UNREADABLE', `more than ${MAX_TEST_FILES} test files`, { source: folder });
  const suites: PolicyTestSuite[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    let text: string | undefined;
    try {
      text = await readTestFile(root, name);
    } catch (error) {
      if (error instanceof PolicyTestError) throw error;
      throw new PolicyTestError('AUTHZ_TEST_UNREADABLE', 'the file cannot be read', { source: name }, { cause: error });
    }
    if (text === undefined) continue;
    const suite = parsePolicyTests({ source: name, text });
    const previous = seen.get(suite.name);
    if (previous !== undefined) {
      throw new PolicyTestError('AUTHZ_TEST_DUPLICATE', `suite name "${suite.name}" is also used by ${previous}`, { source: name, path: '/name' });
    }
    seen.set(suite.name, name);
    suites.push(suite);
  }
  return suites;
}
