/**
 * The peer `rampart review` is measured against: eslint-plugin-security 4 with every rule on (its `recommended`
 * config enables all fifteen), run through ESLint's Node API on the same corpus cases, with typescript-eslint's parser
 * for TypeScript files and ESLint's own parser for JavaScript. Each rule is mapped to the corpus class it speaks to, so
 * both tools are scored by the same scorer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import type { VulnerabilityClass } from '../review/types.js';
import { SOURCE_EXTENSIONS, type CaseFile } from './manifest.js';
import type { ScoredFinding } from './score.js';

const require = createRequire(import.meta.url);
// The plugin ships CommonJS without type declarations; only its recommended flat config is used.
const securityPlugin = require('eslint-plugin-security') as { configs: { recommended: Linter.Config } };

/**
 * What each rule of eslint-plugin-security claims to detect, as a corpus class. `null`: the rule speaks to a weakness
 * the corpus has no class for (timing attacks, deprecated Buffer APIs, CSRF middleware order, Trojan Source
 * characters). Those reports are counted and shown, but left out of precision: the corpus cannot say whether they are
 * right, and charging them as false positives would penalise the plugin for checking something Rampart does not.
 */
export const ESLINT_SECURITY_RULE_CLASSES: Readonly<Record<string, VulnerabilityClass | null>> = {
  'security/detect-child-process': 'command-injection',
  'security/detect-eval-with-expression': 'code-injection',
  'security/detect-non-literal-require': 'code-injection',
  'security/detect-non-literal-fs-filename': 'path-traversal',
  'security/detect-unsafe-regex': 'redos',
  'security/detect-non-literal-regexp': 'redos',
  'security/detect-object-injection': 'prototype-pollution',
  'security/detect-pseudoRandomBytes': 'insecure-randomness',
  'security/detect-disable-mustache-escape': 'xss',
  'security/detect-possible-timing-attacks': null,
  'security/detect-buffer-noassert': null,
  'security/detect-new-buffer': null,
  'security/detect-no-csrf-before-method-override': null,
  'security/detect-bidi-characters': null,
  'security/detect-invisible-characters': null,
};

/** A report of a rule with no corpus class; kept for the bench's table, never scored. */
export interface UnmappedReport {
  readonly ruleId: string;
  readonly file: string;
  readonly line: number;
}

export interface EslintSecurityResult {
  readonly findings: readonly ScoredFinding[];
  readonly unmapped: readonly UnmappedReport[];
  /** Files ESLint could not parse, with its message; their findings are missing. */
  readonly errors: readonly { readonly file: string; readonly message: string }[];
}

const TS_FILES = ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.cts'];
const JS_FILES = ['**/*.js', '**/*.jsx', '**/*.mjs'];

/** The flat config: every plugin rule on, the right parser per extension, no other rules. */
export function eslintSecurityConfig(): Linter.Config[] {
  return [
    { files: [...TS_FILES, ...JS_FILES, '**/*.cjs'], ...securityPlugin.configs.recommended },
    {
      files: TS_FILES,
      languageOptions: { parser: tseslint.parser, parserOptions: { ecmaFeatures: { jsx: true } } },
    },
    { files: JS_FILES, languageOptions: { ecmaVersion: 'latest', sourceType: 'module', parserOptions: { ecmaFeatures: { jsx: true } } } },
    { files: ['**/*.cjs'], languageOptions: { ecmaVersion: 'latest', sourceType: 'commonjs' } },
  ];
}

/** A reusable runner rooted at `cwd`: every directory it lints must be inside it (ESLint ignores files outside). */
export interface EslintSecurityRunner {
  /** Lints the given files of the case at `caseDir`; paths in the result are relative to `caseDir`. */
  lintCase(caseDir: string, files: readonly CaseFile[]): Promise<EslintSecurityResult>;
}

/** Creates one ESLint instance with eslint-plugin-security's full rule set, for linting many cases under `cwd`. */
export function createEslintSecurityRunner(cwd: string): EslintSecurityRunner {
  const eslint = new ESLint({ cwd, overrideConfigFile: true, overrideConfig: eslintSecurityConfig(), ignore: false });
  return {
    async lintCase(caseDir, files) {
      const findings: ScoredFinding[] = [];
      const unmapped: UnmappedReport[] = [];
      const errors: { file: string; message: string }[] = [];
      for (const source of files) {
        const results = await eslint.lintText(source.text, { filePath: join(caseDir, source.file) });
        for (const result of results) {
          const file = relative(caseDir, result.filePath).split(sep).join('/');
          for (const message of result.messages) {
            if (message.fatal === true || message.ruleId === null) {
              errors.push({ file, message: message.message });
              continue;
            }
            const cls = ESLINT_SECURITY_RULE_CLASSES[message.ruleId];
            if (cls === undefined || cls === null) unmapped.push({ ruleId: message.ruleId, file, line: message.line });
            else findings.push({ class: cls, ruleId: message.ruleId, range: { file, start: { line: message.line } } });
          }
        }
      }
      return { findings, unmapped, errors };
    },
  };
}

function readCaseFiles(caseDir: string, dir = caseDir): CaseFile[] {
  const out: CaseFile[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...readCaseFiles(caseDir, path));
    else if (SOURCE_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) {
      out.push({ file: relative(caseDir, path).split(sep).join('/'), text: readFileSync(path, 'utf8') });
    }
  }
  return out;
}

/**
 * Runs eslint-plugin-security (all rules) over every source file of one case directory and maps each report to the
 * corpus class its rule speaks to. What it finds in real code: `exec(x)` with a non-literal argument
 * (detect-child-process), `eval(x)`, `fs.readFile(x)` with a computed path, `new RegExp(x)`, unsafe regex literals,
 * `obj[key]` with a computed key, and so on — each at the line ESLint reports.
 */
export function runEslintSecurity(caseDir: string): Promise<EslintSecurityResult> {
  return createEslintSecurityRunner(caseDir).lintCase(caseDir, readCaseFiles(caseDir));
}
