import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESLINT_SECURITY_RULE_CLASSES, runEslintSecurity } from './eslint-security.js';

let caseDir: string;

beforeAll(() => {
  caseDir = mkdtempSync(join(tmpdir(), 'rampart-eslint-case-'));
  mkdirSync(join(caseDir, 'src'));
  writeFileSync(
    join(caseDir, 'src/run.ts'),
    [
      "import { exec } from 'node:child_process';",
      "import type { Request } from 'express';",
      '',
      'export function run(req: Request): void {',
      '  const dir: string = String(req.query.dir);',
      "  exec('ls ' + dir);",
      '}',
      '',
    ].join('\n'),
  );
  writeFileSync(join(caseDir, 'src/token.cjs'), "const crypto = require('crypto');\nmodule.exports = () => crypto.pseudoRandomBytes(16);\n");
  writeFileSync(join(caseDir, 'src/broken.ts'), 'export const = ;\n');
});

afterAll(() => {
  rmSync(caseDir, { recursive: true, force: true });
});

describe('runEslintSecurity', () => {
  it('reports exec with a computed command in TypeScript as command-injection at its line', async () => {
    const result = await runEslintSecurity(caseDir);
    expect(result.findings).toContainEqual({
      class: 'command-injection',
      ruleId: 'security/detect-child-process',
      range: { file: 'src/run.ts', start: { line: 6 } },
    });
  });

  it('parses CommonJS and maps detect-pseudoRandomBytes to insecure-randomness', async () => {
    const result = await runEslintSecurity(caseDir);
    expect(result.findings).toContainEqual(
      expect.objectContaining({ class: 'insecure-randomness', range: { file: 'src/token.cjs', start: { line: 2 } } }),
    );
  });

  it('returns a file it cannot parse as an error, not a finding', async () => {
    const result = await runEslintSecurity(caseDir);
    expect(result.errors.map((e) => e.file)).toEqual(['src/broken.ts']);
    expect(result.findings.every((f) => f.range.file !== 'src/broken.ts')).toBe(true);
  });

  it('maps every rule the plugin has, and no rule it does not have', () => {
    const plugin = createRequire(import.meta.url)('eslint-plugin-security') as { rules: Record<string, unknown> };
    const ruleIds = Object.keys(plugin.rules).map((r) => `security/${r}`).sort();
    expect(Object.keys(ESLINT_SECURITY_RULE_CLASSES).sort()).toEqual(ruleIds);
  });
});
