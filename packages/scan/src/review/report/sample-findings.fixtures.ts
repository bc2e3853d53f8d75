// Constructed findings for the reporters', baseline's and suppressions' tests (the engine is not needed for those).
import type { Finding, Severity, VulnerabilityClass } from '../types.js';

export function sampleFinding(overrides: Partial<Finding> & { line?: number; file?: string } = {}): Finding {
  const { line = 3, file = 'src/routes/users.ts', ...rest } = overrides;
  const cls: VulnerabilityClass = rest.class ?? 'sql-injection';
  const severity: Severity = rest.severity ?? 'high';
  return {
    ruleId: 'sql-injection/string-built-query',
    class: cls,
    severity,
    confidence: 'high',
    cwe: 'CWE-89',
    owasp: 'A03:2021-Injection',
    message: 'req.query.id is concatenated into the SQL text passed to db.query',
    fixGuidance: 'Pass the value as a parameter: db.query("SELECT * FROM users WHERE id = $1", [id]).',
    range: { file, start: { line, column: 3 }, end: { line, column: 48 } },
    flow: [
      { range: { file, start: { line: line - 1, column: 14 }, end: { line: line - 1, column: 26 } }, message: 'request query read (req.query.id)' },
      { range: { file, start: { line, column: 3 }, end: { line, column: 48 } }, message: 'reaches db.query' },
    ],
    fingerprint: `fp-${file}-${line}-${rest.ruleId ?? 'sql'}`,
    ...rest,
  };
}

/** The source text the sample findings point into (line 2 reads the request, line 3 is the sink). */
export const SAMPLE_SOURCE = [
  "app.get('/users', async (req, res) => {",
  '  const id = req.query.id;',
  "  const rows = await db.query('SELECT * FROM users WHERE id = ' + id);",
  '  res.json(rows);',
  '});',
  '',
].join('\n');
