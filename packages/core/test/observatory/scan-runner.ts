/**
 * Runs one MDN HTTP Observatory scan and prints a summary line for the test that started this process.
 *
 * A child process because Node reads `NODE_EXTRA_CA_CERTS` (the test CA) only at start-up, and the Observatory
 * verifies certificates with its own agents: an unverified chain would cost the HSTS and redirect grades.
 *
 * Usage: node --import tsx scan-runner.ts <host:port>
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { RESULT_PREFIX, type ScanSummary } from './scan-summary.js';

/**
 * The package's postinstall downloads the HSTS preload list to `conf/hsts-preload.json`; the install runs with
 * scripts denied (no network in CI), and the analyzer only needs the file to exist. An empty list is the truth for a
 * loopback host anyway: no entry could cover it.
 */
function ensureHstsPreloadList(): void {
  const packageJson = createRequire(import.meta.url).resolve('@mdn/mdn-http-observatory/package.json');
  const conf = join(dirname(packageJson), 'conf');
  mkdirSync(conf, { recursive: true });
  try {
    writeFileSync(join(conf, 'hsts-preload.json'), '{}\n', { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

async function main(): Promise<void> {
  const hostname = process.argv[2];
  if (hostname === undefined) throw new Error('usage: scan-runner.ts <host:port>');
  ensureHstsPreloadList();
  const { scan } = await import('@mdn/mdn-http-observatory');
  const result = await scan(hostname);
  const summary: ScanSummary = {
    grade: result.scan.grade,
    score: result.scan.score,
    tests: Object.entries(result.tests).map(([name, test]) => ({
      name,
      pass: test.pass === true,
      result: test.result,
      scoreModifier: test.scoreModifier ?? 0,
    })),
  };
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(summary)}\n`);
}

await main();
