import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReviewEngine } from '../engine/api.js';

/** The engine as the orchestrator drives it: its rule set, parsed modules and summaries are opaque here. */
export type OpaqueEngine = ReviewEngine<unknown, unknown, unknown>;

/**
 * The module that exports the built-in engine (`engine/index`), as a URL. From source (tests, tsx) it is the `.ts`
 * file, from the build the `.js` one.
 */
export const DEFAULT_ENGINE_MODULE = new URL(`../engine/index.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).href;

/** The engine module could not be loaded or does not export an engine. */
export class EngineLoadError extends Error {
  readonly code = 'REVIEW_ENGINE';
}

function isEngine(value: unknown): value is OpaqueEngine {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return ['loadRuleSet', 'parseModule', 'analyzeModule', 'summariesEqual'].every((name) => typeof candidate[name] === 'function');
}

/**
 * Loads the `engine` export of a module. Only the built-in module or one a caller of `review()` names is ever loaded —
 * never a path read from a cache or a rule pack.
 */
export async function loadEngine(moduleUrl: string): Promise<OpaqueEngine> {
  let loaded: unknown;
  try {
    loaded = await import(moduleUrl);
  } catch (error) {
    throw new EngineLoadError(`cannot load the review engine (${moduleUrl}): ${error instanceof Error ? error.message : String(error)}`);
  }
  const engine = (loaded as { engine?: unknown }).engine;
  if (!isEngine(engine)) throw new EngineLoadError(`${moduleUrl} does not export a review engine`);
  return engine;
}

function codeFilesUnder(directory: string, found: string[]): void {
  let names: string[];
  try {
    names = readdirSync(directory).sort();
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(directory, name);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      continue;
    }
    if (isDirectory) {
      if (name !== 'node_modules') codeFilesUnder(path, found);
    } else if (/\.(?:[cm]?js|ts)$/.test(name) && !/\.(?:d|test|fixtures)\.ts$/.test(name)) {
      found.push(path);
    }
  }
}

/**
 * A digest of the engine's code (every script in its module's directory), part of every cache key: a changed engine
 * must not be served findings an older one computed, including while it is being developed from source.
 */
export function engineCodeDigest(moduleUrl: string): string {
  const hash = createHash('sha256');
  if (!moduleUrl.startsWith('file:')) return hash.update(moduleUrl).digest('hex');
  const directory = dirname(fileURLToPath(moduleUrl));
  const files: string[] = [];
  codeFilesUnder(directory, files);
  for (const file of files) {
    hash.update(file.slice(directory.length)).update('\0');
    try {
      hash.update(readFileSync(file)).update('\0');
    } catch {
      hash.update('unreadable\0');
    }
  }
  return hash.digest('hex');
}
