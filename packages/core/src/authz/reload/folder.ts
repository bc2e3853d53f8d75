import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { MAX_POLICY_DOCUMENT_LENGTH, type PolicySource } from '../policy/parse.js';
import { PolicyReloadError } from './errors.js';

/**
 * Policy files: `*.yaml`, `*.yml`, `*.json`. Not hidden files (editor swap files, Kubernetes' `..data` entries) and
 * not policy tests (`*.test.yaml`), which may live beside the policies they test.
 */
const POLICY_FILE = /^[^.].*\.(?:ya?ml|json)$/;
const TEST_FILE = /\.test\.(?:ya?ml|json)$/;
/** Most policy files one folder may hold. */
export const MAX_POLICY_FILES = 1000;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function sourceFailed(message: string, cause?: unknown): PolicyReloadError {
  return new PolicyReloadError('AUTHZ_RELOAD_SOURCE_FAILED', message, cause === undefined ? undefined : { cause });
}

/**
 * Reads the policy files of `folder` (not recursive, sorted by name) as {@link PolicySource}s named by file name.
 * Links are followed only while they stay inside the folder (a Kubernetes ConfigMap mounts each file as a link into
 * `..data/`, which is inside), so a policy folder cannot be used to read other files into error messages; oversized
 * and non-UTF-8 files are refused before parsing.
 */
export async function readPolicyFolder(folder: string): Promise<PolicySource[]> {
  let root: string;
  let names: string[];
  try {
    root = await realpath(folder);
    names = (await readdir(root)).filter((name) => POLICY_FILE.test(name) && !TEST_FILE.test(name)).sort();
  } catch (error) {
    throw sourceFailed('the policy folder cannot be read', error);
  }
  if (names.length > MAX_POLICY_FILES) throw sourceFailed(`the policy folder holds more than ${MAX_POLICY_FILES} policy files`);
  const sources: PolicySource[] = [];
  for (const name of names) {
    let bytes: Buffer;
    try {
      const target = await realpath(join(root, name));
      if (!target.startsWith(root + sep)) throw sourceFailed(`${name}: the file links outside the policy folder`);
      const info = await stat(target);
      if (!info.isFile()) continue;
      // A UTF-16 code unit is at most 3 UTF-8 bytes: anything larger is over the parser's length bound anyway.
      if (info.size > MAX_POLICY_DOCUMENT_LENGTH * 3) throw sourceFailed(`${name}: the file is too large`);
      bytes = await readFile(target);
    } catch (error) {
      if (error instanceof PolicyReloadError) throw error;
      // Deleted between readdir and read (an editor's rename-on-save): the watcher fires again when it settles.
      throw sourceFailed(`${name}: the file cannot be read`, error);
    }
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch (error) {
      throw sourceFailed(`${name}: the file is not valid UTF-8`, error);
    }
    sources.push({ source: name, text });
  }
  return sources;
}
