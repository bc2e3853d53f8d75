import { describe, expect, it } from 'vitest';
import { sampleFinding } from './report/sample-findings.fixtures.js';
import { applySuppressions, parseSuppressions } from './suppress.js';

describe('suppressions', () => {
  it('parses next-line and trailing forms, line and block comments, several targets', () => {
    const text = [
      '// rampart-ignore-next-line sql-injection: ids are integers checked by the schema',
      'db.query(a)',
      'db.query(b) // rampart-ignore sql-injection/string-built-query, xss: constant fragment',
      '/* rampart-ignore-next-line ssrf: allow-listed host */',
      'fetch(u)',
      'run(c) /* rampart-ignore command-injection: fixed argv */ ; other()',
    ].join('\n');
    const { directives, errors } = parseSuppressions('a.ts', text);
    expect(errors).toEqual([]);
    expect(directives).toEqual([
      { file: 'a.ts', commentLine: 1, kind: 'next-line', targets: ['sql-injection'], reason: 'ids are integers checked by the schema' },
      { file: 'a.ts', commentLine: 3, kind: 'same-line', targets: ['sql-injection/string-built-query', 'xss'], reason: 'constant fragment' },
      { file: 'a.ts', commentLine: 4, kind: 'next-line', targets: ['ssrf'], reason: 'allow-listed host' },
      { file: 'a.ts', commentLine: 6, kind: 'same-line', targets: ['command-injection'], reason: 'fixed argv' },
    ]);
  });

  it('a suppression without a reason (or without a rule) suppresses nothing and is reported with its position', () => {
    // Spelled in two parts so that reviewing this repository does not read these malformed samples as this file's own.
    const ignore = ['rampart', 'ignore'].join('-');
    const text = `x\ndb.query(a) // ${ignore} sql-injection\n// ${ignore}-next-line sql-injection:   \n// ${ignore}-next-line : why\n`;
    const { directives, errors } = parseSuppressions('b.ts', text);
    expect(directives).toEqual([]);
    expect(errors.map((e) => [e.position?.line, e.position?.column])).toEqual([[2, 13], [3, 1], [4, 1]]);
    expect(errors[0]?.message).toMatch(/no reason and suppresses nothing/);
    expect(errors[2]?.message).toMatch(/names no rule/);
    const finding = sampleFinding({ file: 'b.ts', line: 2 });
    const applied = applySuppressions([finding], new Map([['b.ts', directives]]));
    expect(applied.findings).toEqual([finding]);
  });

  it('matches by rule id or class, on the right line only', () => {
    const { directives } = parseSuppressions('src/routes/users.ts', [
      '',
      '// rampart-ignore-next-line sql-injection: reviewed',
      'sink',
      'sink // rampart-ignore xss: wrong class',
      'sink // rampart-ignore sql-injection/string-built-query: reviewed too',
      '// rampart-ignore-next-line sql-injection: two lines above is not next',
      '',
      'sink',
    ].join('\n'));
    const findings = [3, 4, 5, 8].map((line) => sampleFinding({ line }));
    const applied = applySuppressions(findings, new Map([['src/routes/users.ts', directives]]));
    expect(applied.findings.map((f) => f.range.start.line)).toEqual([4, 8]);
    expect(applied.suppressed.map((s) => [s.finding.range.start.line, s.suppression])).toEqual([
      [3, { file: 'src/routes/users.ts', line: 2, ruleId: 'sql-injection', reason: 'reviewed' }],
      [5, { file: 'src/routes/users.ts', line: 5, ruleId: 'sql-injection/string-built-query', reason: 'reviewed too' }],
    ]);
  });

  it('a trailing suppression on the last line of a multi-line sink applies', () => {
    const { directives } = parseSuppressions('f.ts', 'db.query(\n  sql) // rampart-ignore sql-injection: constant\n');
    const finding = sampleFinding({ file: 'f.ts', line: 1, range: { file: 'f.ts', start: { line: 1, column: 1 }, end: { line: 2, column: 7 } } });
    expect(applySuppressions([finding], new Map([['f.ts', directives]])).suppressed).toHaveLength(1);
  });
});
