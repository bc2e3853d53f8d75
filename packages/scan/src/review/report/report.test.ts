import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import type { ReviewResult } from '../types.js';
import { formatFixes, formatJson, formatSarif, formatText, sarifLog, summaryLine, wantsColor, type ReviewReport } from './index.js';
import { SAMPLE_SOURCE, sampleFinding } from './sample-findings.fixtures.js';
import { TOOL_VERSION } from './version.js';

const high = sampleFinding({ line: 3 });
const medium = sampleFinding({
  file: 'src/files.ts', line: 3, ruleId: 'path-traversal/fs-read', class: 'path-traversal', severity: 'medium', cwe: 'CWE-22',
  owasp: 'A01:2021-Broken Access Control', confidence: 'medium', message: 'req.params.name reaches fs.readFile',
  fixGuidance: 'Resolve under a base directory and check the result stays inside it.', flow: [],
});
const suppressedFinding = sampleFinding({ file: 'src/dir with space/x#1.ts', line: 7, fingerprint: 'fp-suppressed' });

const result: ReviewResult = {
  findings: [high, medium],
  suppressed: [{ finding: suppressedFinding, suppression: { file: 'src/dir with space/x#1.ts', line: 6, ruleId: 'sql-injection', reason: 'constant table name' } }],
  errors: [
    { file: 'src/broken.ts', message: 'Unexpected token', position: { line: 4, column: 9 } },
    { file: 'src/locked.ts', message: 'cannot read: EACCES' },
  ],
  filesReviewed: 12,
  linesReviewed: 345,
};
const report: ReviewReport = { result, baseline: { baselined: 2, fixed: 1 }, belowThreshold: 0 };
const readSource = (file: string) => (file === 'src/routes/users.ts' ? SAMPLE_SOURCE : undefined);

describe('text report', () => {
  it('has no escape codes off a TTY: code frame, numbered flow, fix, summary', () => {
    const text = formatText(report, { color: false, readSource });
    expect(text.includes('\u001b[')).toBe(false);
    expect(text).toContain('HIGH sql-injection/string-built-query  src/routes/users.ts:3:3');
    expect(text).toContain("> 3 |   const rows = await db.query('SELECT * FROM users WHERE id = ' + id);");
    expect(text).toMatch(/\|\s+\^{45}/); // the marker spans the sink
    expect(text).toContain('    1. src/routes/users.ts:2:14  request query read (req.query.id)');
    expect(text).toContain('    2. src/routes/users.ts:3:3  reaches db.query');
    expect(text).toContain('  Fix: Pass the value as a parameter');
    expect(text).toContain('error: src/broken.ts:4:9: Unexpected token');
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      'rampart review: 2 findings (1 high, 1 medium) in 12 files (345 lines); 1 suppressed; 2 baselined, 1 fixed since the baseline; 2 file errors',
    );
  });

  it('colours on request (a TTY without NO_COLOR)', () => {
    expect(formatText(report, { color: true, readSource }).includes('\u001b[31m')).toBe(true);
    expect(wantsColor(true, {})).toBe(true);
    expect(wantsColor(true, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColor(false, {})).toBe(false);
    expect(wantsColor(undefined, {})).toBe(false);
  });

  it('says so when there is nothing', () => {
    const empty: ReviewReport = { result: { findings: [], suppressed: [], errors: [], filesReviewed: 1, linesReviewed: 1 } };
    expect(summaryLine(empty)).toBe('rampart review: no findings in 1 file (1 line)');
    expect(formatText(empty, { color: false })).toBe('rampart review: no findings in 1 file (1 line)\n');
  });
});

describe('JSON report', () => {
  it('is the ReviewResult plus tool and version, and baseline counts', () => {
    const parsed = JSON.parse(formatJson(report)) as Record<string, unknown>;
    expect(parsed.tool).toEqual({ name: 'rampart', version: TOOL_VERSION });
    expect(TOOL_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(parsed.findings).toEqual(result.findings);
    expect(parsed.suppressed).toEqual(result.suppressed);
    expect(parsed.errors).toEqual(result.errors);
    expect(parsed).toMatchObject({ filesReviewed: 12, linesReviewed: 345, baseline: { baselined: 2, fixed: 1 } });
  });
});

function sarifSchemaValidator() {
  const require = createRequire(import.meta.url);
  const path = join(dirname(require.resolve('@microsoft/jest-sarif/package.json')), 'lib/schemas/sarif-2.1.0-rtm.5.json');
  const schema = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  // The OASIS schema is draft-04; its keywords are all draft-07-compatible except the meta-schema reference and `id`.
  delete schema.$schema;
  delete schema.id;
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false }) // the schema's language pattern is not valid with the u flag;
  const parsesAsUrl = (value: string) => URL.canParse(value);
  ajv.addFormat('uri', parsesAsUrl);
  ajv.addFormat('uri-reference', (value: string) => URL.canParse(value, 'http://base.invalid/'));
  ajv.addFormat('date-time', (value: string) => !Number.isNaN(Date.parse(value)));
  return ajv.compile(schema);
}

describe('ignored files and fixes in the reports', () => {
  const withIgnored: ReviewReport = { result: { ...result, findings: [] }, ignored: [{ ignoreFile: 'packages/scan/.rampart-review-ignore', files: 120 }] };

  it('the text summary says how many files were ignored and by which file', () => {
    expect(summaryLine(withIgnored)).toBe(
      'rampart review: no findings in 12 files (345 lines); 1 suppressed; 2 file errors; 120 files ignored by packages/scan/.rampart-review-ignore',
    );
  });

  it('SARIF carries a note notification per ignore file, and stays valid', () => {
    const log = sarifLog(withIgnored);
    const notes = log.runs[0].invocations[0]?.toolExecutionNotifications.filter((n) => n.level === 'note');
    expect(notes?.map((n) => [n.message.text, n.locations?.[0]?.physicalLocation.artifactLocation.uri])).toEqual([
      ['120 source files not reviewed: ignored by packages/scan/.rampart-review-ignore (each pattern there gives its reason)', 'packages/scan/.rampart-review-ignore'],
    ]);
    expect(sarifSchemaValidator()(JSON.parse(JSON.stringify(log)))).toBe(true);
  });

  it('JSON lists the ignored files and what --fix did; the text lists each fix and refusal', () => {
    const fixes = { dryRun: false, files: ['src/routes/users.ts'], diff: '', fixed: [{ finding: high, description: 'Pass the value as a query parameter.' }], unfixed: [{ finding: medium, reason: 'no mechanical fix for path-traversal' }] };
    const json = JSON.parse(formatJson({ ...withIgnored, fixes })) as Record<string, unknown>;
    expect(json.ignored).toEqual([{ ignoreFile: 'packages/scan/.rampart-review-ignore', files: 120 }]);
    expect(json.fixes).toEqual({
      dryRun: false,
      files: ['src/routes/users.ts'],
      fixed: [{ ruleId: high.ruleId, file: 'src/routes/users.ts', line: 3, column: 3, fingerprint: high.fingerprint, description: 'Pass the value as a query parameter.' }],
      unfixed: [{ ruleId: 'path-traversal/fs-read', file: 'src/files.ts', line: 3, column: 3, fingerprint: medium.fingerprint, reason: 'no mechanical fix for path-traversal' }],
    });
    expect(formatFixes(fixes)).toBe(
      'fixed src/routes/users.ts:3:3 sql-injection/string-built-query: Pass the value as a query parameter.\n' +
      'not fixed src/files.ts:3:3 path-traversal/fs-read: no mechanical fix for path-traversal\n',
    );
    expect(summaryLine({ ...withIgnored, fixes })).toMatch(/; 1 fixed, 1 not fixable$/);
    expect(summaryLine({ ...withIgnored, fixes: { ...fixes, dryRun: true } })).toMatch(/; 1 fixable \(dry run, nothing written\), 1 not fixable$/);
  });
});

describe('SARIF report', () => {
  const log = JSON.parse(formatSarif(report)) as ReturnType<typeof sarifLog>;
  const [run] = log.runs;

  it('validates against the SARIF 2.1.0 JSON schema', () => {
    const validate = sarifSchemaValidator();
    const valid = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // and a log with nothing in it
    const empty = sarifLog({ result: { findings: [], suppressed: [], errors: [], filesReviewed: 0, linesReviewed: 0 } });
    expect(validate(JSON.parse(JSON.stringify(empty)))).toBe(true);
    // the validator does reject what is not SARIF
    expect(validate({ ...log, runs: [{ ...run, results: [{ ...run.results[0], level: 'fatal' }] }] })).toBe(false);
  });

  it('has what GitHub code scanning requires and uses', () => {
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toMatch(/sarif-schema-2\.1\.0\.json$/);
    expect(log.runs).toHaveLength(1);
    expect(run.tool.driver.name).toBe('rampart');
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(['path-traversal/fs-read', 'sql-injection/string-built-query']);
    for (const rule of run.tool.driver.rules) {
      expect(rule.shortDescription.text.length).toBeGreaterThan(0);
      expect(rule.fullDescription.text.length).toBeGreaterThan(0);
      expect(rule.help.text.length).toBeGreaterThan(0);
      expect(rule.help.markdown).toMatch(/How to fix/);
      expect(rule.properties.tags).toContain('security');
      expect(rule.properties['security-severity']).toMatch(/^\d+\.\d$/);
    }
    const sql = run.tool.driver.rules[1];
    expect(sql).toMatchObject({
      name: 'SqlInjectionStringBuiltQuery',
      defaultConfiguration: { level: 'error' },
      properties: { 'security-severity': '8.0', tags: expect.arrayContaining(['CWE-89', 'external/cwe/cwe-89', 'A03:2021-Injection']) as unknown },
    });
    expect(run.tool.driver.rules[0]?.properties['security-severity']).toBe('5.5');

    expect(run.results).toHaveLength(3);
    for (const r of run.results) {
      expect(run.tool.driver.rules[r.ruleIndex]?.id).toBe(r.ruleId);
      expect(r.message.text.length).toBeGreaterThan(0);
      const physical = r.locations[0]?.physicalLocation;
      expect(physical?.artifactLocation.uriBaseId).toBe('%SRCROOT%');
      expect(physical?.artifactLocation.uri.startsWith('/')).toBe(false);
      expect(physical?.region?.startLine).toBeGreaterThanOrEqual(1);
      expect(r.partialFingerprints['rampartFingerprint/v1']).toBeTruthy();
    }
    const [first, second, third] = run.results;
    expect(first).toMatchObject({ ruleId: 'sql-injection/string-built-query', level: 'error', locations: [{ physicalLocation: { artifactLocation: { uri: 'src/routes/users.ts' }, region: { startLine: 3, startColumn: 3, endLine: 3, endColumn: 48 } } }] });
    expect(first?.codeFlows?.[0]?.threadFlows[0]?.locations.map((l) => l.location.message?.text)).toEqual(['request query read (req.query.id)', 'reaches db.query']);
    expect(second).toMatchObject({ level: 'warning' });
    expect(second?.codeFlows).toBeUndefined();
    expect(third?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('src/dir%20with%20space/x%231.ts');
    expect(third?.suppressions).toEqual([{ kind: 'inSource', justification: 'constant table name', location: expect.anything() as unknown }]);
  });

  it('reports file errors as tool execution notifications', () => {
    const invocation = run.invocations[0];
    expect(invocation?.executionSuccessful).toBe(true);
    expect(invocation?.toolExecutionNotifications.map((n) => [n.level, n.message.text])).toEqual([
      ['error', 'src/broken.ts: Unexpected token'],
      ['error', 'src/locked.ts: cannot read: EACCES'],
    ]);
    expect(run.properties).toMatchObject({ filesReviewed: 12, baselined: 2, fixedSinceBaseline: 1 });
  });
});
