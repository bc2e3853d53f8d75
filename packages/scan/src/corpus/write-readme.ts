/**
 * `npx tsx packages/scan/src/corpus/write-readme.ts`: validates the corpus and rewrites the counts in its README.
 * Run it after adding cases; a test fails while the README's counts are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS_DIR } from './paths.js';
import { loadCorpus } from './manifest.js';
import { withCounts } from './summary.js';

const readmePath = join(CORPUS_DIR, 'README.md');
const cases = loadCorpus(CORPUS_DIR);
writeFileSync(readmePath, withCounts(readFileSync(readmePath, 'utf8'), cases));
process.stdout.write(`${readmePath}: counts of ${cases.length} cases written\n`);
