/**
 * Loads the built-in rule packs (packages/scan/rules/*.yaml) and any extra packs a user names, validating each.
 * A pack that does not validate stops the review with a `RulePackError`: running with half a rule set would report a
 * codebase as clean when it is not.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { Rule, RuleSet } from './types.js';
import { RulePackError, validatePack } from './validate.js';

/** The directory of the built-in packs: `rules/` at the package root, from both `src/` and `dist/`. */
export const BUILTIN_RULES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../rules');

function packFiles(location: string): string[] {
  let stats;
  try {
    stats = statSync(location);
  } catch {
    throw new RulePackError(location, '', 'pack file or directory not found');
  }
  if (!stats.isDirectory()) return [location];
  return readdirSync(location)
    .filter((name) => /\.ya?ml$/i.test(name))
    .sort()
    .map((name) => join(location, name));
}

/** Parses and validates one pack file. */
export function loadPackFile(file: string): ReturnType<typeof validatePack> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RulePackError(file, '', `cannot read: ${(error as Error).message}`);
  }
  return parsePack(text, file);
}

/** Parses and validates pack text (exported for tests and for packs that do not live on disk). */
export function parsePack(text: string, file: string): ReturnType<typeof validatePack> {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const firstError = document.errors[0];
  if (firstError !== undefined) {
    const where = firstError.linePos?.[0];
    throw new RulePackError(file, where === undefined ? '' : `line ${where.line}`, `invalid YAML: ${firstError.message.split('\n')[0] ?? ''}`);
  }
  return validatePack(document.toJS({ maxAliasCount: 100 }), file);
}

let builtin: RuleSet | undefined;

/**
 * The built-in packs alone, loaded and validated once per process (per worker thread): reading and validating the
 * YAML costs far more than reviewing a small file, so reviews without extra packs share this rule set.
 */
export function builtinRuleSet(): RuleSet {
  builtin ??= loadRuleSet();
  return builtin;
}

/**
 * Loads the built-in packs, then `extraPacks` (files or directories of `.yaml`/`.yml`). A rule id defined twice is an
 * error, so a user pack cannot silently replace a built-in rule.
 */
export function loadRuleSet(options: { readonly extraPacks?: readonly string[]; readonly builtinDir?: string } = {}): RuleSet {
  const files = [...packFiles(options.builtinDir ?? BUILTIN_RULES_DIR), ...(options.extraPacks ?? []).flatMap((pack) => packFiles(pack))];
  const rules: Rule[] = [];
  const seen = new Map<string, string>();
  const result = { rules, sources: [] as RuleSet['sources'][number][], sanitizers: [] as RuleSet['sanitizers'][number][], roles: [] as RuleSet['roles'][number][], packs: files };
  for (const file of files) {
    const pack = loadPackFile(file);
    for (const [index, rule] of pack.rules.entries()) {
      const previous = seen.get(rule.id);
      if (previous !== undefined) throw new RulePackError(file, `rules[${index}].id`, `rule "${rule.id}" is already defined in ${previous}`);
      seen.set(rule.id, file);
      rules.push(rule);
    }
    result.sources.push(...pack.sources);
    result.sanitizers.push(...pack.sanitizers);
    result.roles.push(...pack.roles);
  }
  return result;
}
