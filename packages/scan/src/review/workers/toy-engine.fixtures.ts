// A tiny engine with the real engine's contract, for testing the orchestrator (rounds, workers, cache) independently
// of the analysis itself. Its "language" is line-based:
//   import { a, b } from './other.js'
//   export function name() { return <expr> }     — tainted when <expr> reads req.query or calls a tainted function
//   db.query(<expr>)                             — a sql-injection finding when <expr> is tainted
//   @@syntax-error                               — the file does not parse
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { ModuleAnalysis, ReviewEngine, SourceFile } from '../engine/api.js';
import type { FileError, Finding } from '../types.js';

export interface ToyRules {
  readonly packs: readonly string[];
}

export interface ToyModule {
  readonly file: string;
  readonly lines: readonly string[];
}

export interface ToySummary {
  readonly tainted: readonly string[];
}

export class ToyRulePackError extends Error {
  readonly code = 'TOY_RULE_PACK';
}

function resolveImport(from: string, specifier: string, files: ReadonlySet<string>): string | undefined {
  const base = posix.join(posix.dirname(from), specifier);
  for (const candidate of [base, base.replace(/\.js$/, '.ts'), `${base}.ts`]) if (files.has(candidate)) return candidate;
  return undefined;
}

function finding(file: string, line: number, column: number, text: string, sourceLine: number): Finding {
  const range = { file, start: { line, column }, end: { line, column: column + text.length } };
  return {
    ruleId: 'sql-injection/toy-query',
    class: 'sql-injection',
    severity: 'high',
    confidence: 'high',
    cwe: 'CWE-89',
    owasp: 'A03:2021-Injection',
    message: `Request data reaches db.query: ${text}`,
    fixGuidance: 'Pass values as query parameters: db.query("… WHERE id = $1", [id]).',
    range,
    flow: [
      { range: { file, start: { line: sourceLine, column: 1 }, end: { line: sourceLine, column: 2 } }, message: 'request query read' },
      { range, message: 'reaches db.query' },
    ],
    fingerprint: createHash('sha256').update(`sql-injection/toy-query\0${file}\0${text}`).digest('hex').slice(0, 32),
  };
}

export const engine: ReviewEngine<ToyRules, ToyModule, ToySummary> = {
  loadRuleSet(options) {
    const packs = options?.extraPacks ?? [];
    for (const pack of packs) if (!pack.endsWith('.yaml')) throw new ToyRulePackError(`not a rule pack: ${pack}`);
    return { packs: [...packs] };
  },
  parseModule(source: SourceFile): ToyModule | FileError {
    const lines = source.text.split('\n');
    const bad = lines.findIndex((line) => line.includes('@@syntax-error'));
    if (bad !== -1) return { file: source.file, message: 'toy: syntax error', position: { line: bad + 1, column: 1 } };
    return { file: source.file, lines };
  },
  analyzeModule(module, _rules, imported, files): ModuleAnalysis<ToySummary> {
    const taintedCallees = new Set<string>();
    for (const line of module.lines) {
      const match = /import \{([^}]+)\} from '([^']+)'/.exec(line);
      if (match === null) continue;
      const target = resolveImport(module.file, match[2] ?? '', files);
      const summary = target === undefined ? undefined : imported.get(target);
      for (const name of (match[1] ?? '').split(',').map((n) => n.trim())) if (summary?.tainted.includes(name) === true) taintedCallees.add(name);
    }
    const isTainted = (expression: string): boolean =>
      expression.includes('req.query') || [...taintedCallees].some((name) => expression.includes(`${name}(`));
    const tainted: string[] = [];
    const findings: Finding[] = [];
    module.lines.forEach((line, index) => {
      const fn = /export function (\w+)\(\) \{ return (.+?);? \}/.exec(line);
      if (fn !== null && isTainted(fn[2] ?? '')) {
        tainted.push(fn[1] ?? '');
        taintedCallees.add(fn[1] ?? '');
      }
      const sink = /db\.query\((.*)\)/.exec(line);
      if (sink !== null && isTainted(sink[1] ?? '')) findings.push(finding(module.file, index + 1, sink.index + 1, sink[0], index + 1));
    });
    return { summary: { tainted: tainted.sort() }, findings };
  },
  summariesEqual(a, b) {
    return JSON.stringify(a.tainted) === JSON.stringify(b.tainted);
  },
};

/** The single-threaded reference: every module re-analysed each round until no summary changes. */
export function reviewSources(sources: readonly SourceFile[]): { findings: Finding[]; errors: FileError[] } {
  const rules = engine.loadRuleSet();
  const files = new Set(sources.map((s) => s.file));
  const parsed = new Map<string, ToyModule>();
  const errors: FileError[] = [];
  for (const source of sources) {
    const module = engine.parseModule(source);
    if ('lines' in module) parsed.set(source.file, module);
    else errors.push(module);
  }
  let summaries = new Map<string, ToySummary>();
  let findings: Finding[] = [];
  for (let round = 0; round < 5; round++) {
    const next = new Map<string, ToySummary>();
    findings = [];
    for (const [file, module] of parsed) {
      const analysis = engine.analyzeModule(module, rules, summaries, files);
      next.set(file, analysis.summary);
      findings.push(...analysis.findings);
    }
    const same = [...next].every(([file, summary]) => {
      const before = summaries.get(file);
      return before !== undefined && engine.summariesEqual(before, summary);
    });
    summaries = next;
    if (same) break;
  }
  return { findings, errors };
}
