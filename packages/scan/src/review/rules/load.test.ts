import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reviewSources } from '../engine/review.js';
import { loadRuleSet, parsePack } from './load.js';
import { RulePackError } from './validate.js';

const directories: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-rules-'));
  directories.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const EXTRA_PACK = `
pack: team-rules
rules:
  - id: command-injection/internal-runner
    class: command-injection
    cwe: CWE-78
    owasp: A03:2021-Injection
    severity: high
    confidence: high
    message: "Untrusted {source} reaches {sink}."
    fix: "Use the runner's argument array API."
    sinks:
      - functions: ['@acme/runner:runShell']
        args: [0]
    examples:
      vulnerable: ["import { runShell } from '@acme/runner';\\nrunShell(process.argv[2]);"]
      safe: ["import { runShell } from '@acme/runner';\\nrunShell('ls');"]
`;

describe('rule pack loading', () => {
  it('loads the built-in packs with at least one rule per class', () => {
    const rules = loadRuleSet();
    expect(new Set(rules.rules.map((rule) => rule.class)).size).toBe(24);
    expect(rules.sources.length).toBeGreaterThan(50);
  });

  it('adds a user pack from a directory, without code', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'team.yaml'), EXTRA_PACK);
    const rules = loadRuleSet({ extraPacks: [dir] });
    const { findings } = reviewSources([{ file: 'cli.ts', text: "import { runShell } from '@acme/runner';\nrunShell(process.argv[2]);" }], { rules });
    expect(findings.map((finding) => finding.ruleId)).toEqual(['command-injection/internal-runner']);
  });

  it('rejects a duplicate rule id, naming the file and YAML path', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), EXTRA_PACK);
    writeFileSync(join(dir, 'b.yaml'), EXTRA_PACK);
    expect(() => loadRuleSet({ extraPacks: [dir] })).toThrow(/b\.yaml: rules\[0\]\.id: rule "command-injection\/internal-runner" is already defined/);
  });

  it('reports invalid packs with a typed error and the path inside the YAML', () => {
    const bad = EXTRA_PACK.replace('class: command-injection', 'class: command-injectoin');
    const error = (() => {
      try {
        parsePack(bad, 'team.yaml');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RulePackError);
    expect((error as RulePackError).file).toBe('team.yaml');
    expect((error as RulePackError).path).toBe('rules[0].class');
    expect(() => parsePack(EXTRA_PACK.replace("args: [0]", "args: [0]\n        receiver: '(['"), 'x.yaml')).toThrow(/rules\[0\]\.sinks\[0\]\.receiver: invalid regular expression/);
    expect(() => parsePack('rules: [', 'broken.yaml')).toThrow(/broken\.yaml: .*invalid YAML/);
    expect(() => loadRuleSet({ extraPacks: ['/nonexistent/pack.yaml'] })).toThrow(RulePackError);
  });
});
