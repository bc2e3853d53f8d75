// `npx tsx bench/authz/verify.ts [--full]`: the benchmark's self-test, without timing. Every peer agrees with the
// oracle (with --full, casbin answers the whole stream on the 20k-rule model too: about three minutes), the stream
// reaches every path of the semantics, generation is deterministic, and every deliberately flawed engine is caught.
import { deepStrictEqual } from 'node:assert/strict';
import { buildCasbin } from './casbin.js';
import { buildCasl } from './casl.js';
import { assertCoverage, crossCheck, CrossCheckMismatch } from './check.js';
import { generateModel, generateQueries } from './model.js';
import { FLAWS, flawedChecker } from './mutants.js';

const full = process.argv.includes('--full');

for (const size of ['small', 'large'] as const) {
  const model = generateModel(size);
  const stream = generateQueries(model);
  // Same seed, same model and stream: runs compare, and a mismatch reproduces.
  deepStrictEqual(generateModel(size), model);
  deepStrictEqual(generateQueries(generateModel(size)), stream);
  const coverage = assertCoverage(model, stream.mixed);
  const casbinLimit = size === 'small' || full ? stream.mixed.length : 256;
  assertCoverage(model, stream.mixed.slice(0, casbinLimit));
  const casbin = await buildCasbin(model);
  const casl = buildCasl(model);
  const compared = await crossCheck(model, stream.mixed, [
    { name: 'casl can', check: casl.can },
    { name: 'casbin enforceSync', check: casbin.enforceSync, limit: casbinLimit },
    { name: 'casbin enforce', check: casbin.enforce, limit: casbinLimit },
  ]);
  process.stdout.write(`${size}: ${model.rules.length} rules, ${stream.mixed.length} queries, ${compared} answers equal to the oracle's\n`);
  process.stdout.write(`${size}: oracle reasons ${JSON.stringify(coverage)}\n`);

  for (const flaw of FLAWS) {
    try {
      await crossCheck(model, stream.mixed, [{ name: `flawed (${flaw})`, check: flawedChecker(model, flaw) }]);
    } catch (error) {
      if (!(error instanceof CrossCheckMismatch)) throw error;
      process.stdout.write(`${size}: caught ${flaw} at query #${error.index} (${error.query.class}, expected ${error.expected})\n`);
      continue;
    }
    throw new Error(`${size}: the cross-check did not catch a checker with flaw "${flaw}"`);
  }
}
process.stdout.write('authz bench self-test: ok\n');
