/**
 * Throughput measurement (not a test): reviews every .ts/.js file under the given directories (default: this
 * repository's packages) on one thread and prints lines per second for parsing and for the whole review, all rounds
 * included. Run: `npx tsx packages/scan/src/review/engine/measure.ts [dir…]`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadRuleSet } from '../rules/load.js';
import type { SourceFile } from './api.js';
import { parseSource } from './parse.js';
import { reviewSources } from './review.js';

function collect(dir: string, root: string, into: SourceFile[]): void {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, root, into);
    else if (/\.(ts|tsx|js|mjs|cjs)$/.test(name) && !name.endsWith('.d.ts')) into.push({ file: relative(root, path), text: readFileSync(path, 'utf8') });
  }
}

const root = resolve(process.cwd());
const dirs = process.argv.slice(2);
const sources: SourceFile[] = [];
for (const dir of dirs.length > 0 ? dirs : ['packages']) collect(resolve(dir), root, sources);
const rules = loadRuleSet();

// Warm up the JIT on a slice, as a long review would be.
reviewSources(sources.slice(0, Math.min(40, sources.length)), { rules });

let parseStart = performance.now();
let lines = 0;
for (const source of sources) {
  const parsed = parseSource(source);
  if ('lineCount' in parsed) lines += parsed.lineCount;
}
const parseMs = performance.now() - parseStart;

parseStart = performance.now();
const result = reviewSources(sources, { rules });
const reviewMs = performance.now() - parseStart;

const perSecond = (ms: number): string => Math.round((lines / ms) * 1000).toLocaleString('en-US');
process.stdout.write(
  [
    `files: ${sources.length}, lines: ${lines.toLocaleString('en-US')}`,
    `parse only: ${parseMs.toFixed(0)} ms (${perSecond(parseMs)} lines/s)`,
    `whole review: ${reviewMs.toFixed(0)} ms (${perSecond(reviewMs)} lines/s), rounds: ${result.rounds}, findings: ${result.findings.length}, errors: ${result.errors.length}`,
    '',
  ].join('\n'),
);
