/**
 * Building findings: the message, the flow from source to sink, and a fingerprint that survives unrelated edits so
 * baselines keep matching after lines move.
 */
import { createHash } from 'node:crypto';
import type { Confidence, Finding, Fix, FlowStep, SourceRange } from '../types.js';
import type { Rule } from '../rules/types.js';

const CONFIDENCE_ORDER: readonly Confidence[] = ['low', 'medium', 'high'];

/** The lower of two confidences: an environment variable source makes any finding less certain. */
export function lowerConfidence(a: Confidence, b: Confidence): Confidence {
  return CONFIDENCE_ORDER.indexOf(a) <= CONFIDENCE_ORDER.indexOf(b) ? a : b;
}

const SOURCE_WORDS: Readonly<Record<string, string>> = {
  'http.body': 'request body',
  'http.query': 'query string',
  'http.params': 'route parameter',
  'http.headers': 'request header',
  'http.cookies': 'cookie',
  'http.url': 'request URL',
  'http.ip': 'client address',
  argv: 'command-line argument',
  env: 'environment variable',
  'db.read': 'stored data',
};

/** Human words for a source kind. */
export function sourceWords(kind: string): string {
  return SOURCE_WORDS[kind] ?? kind;
}

/** Whitespace-insensitive sink text, so reformatting does not change fingerprints. */
function normalizeSinkText(text: string): string {
  return text.replace(/\s+/g, '').replace(/["'`]/g, '"');
}

/** sha256 over rule id, file, normalized sink text and source kind (no line numbers). */
export function fingerprintOf(ruleId: string, file: string, sinkText: string, sourceKind: string): string {
  return createHash('sha256').update(`${ruleId}\0${file}\0${normalizeSinkText(sinkText)}\0${sourceKind}`).digest('hex');
}

export interface TaintFindingInput {
  readonly rule: Rule;
  readonly sourceKind: string;
  readonly sourceConfidence: Confidence;
  readonly steps: readonly FlowStep[];
  readonly range: SourceRange;
  readonly sinkText: string;
  readonly sinkLabel: string;
}

function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

/** The callee part of a sink label ("SQL text of pool.query()" → "pool.query()"), for one-sentence messages. */
function sinkName(label: string): string {
  const index = label.lastIndexOf(' of ');
  return index === -1 ? label : label.slice(index + 4);
}

/** A finding for untrusted data reaching a sink. */
export function taintFinding(input: TaintFindingInput): Finding {
  const { rule } = input;
  const source = sourceWords(input.sourceKind);
  const flow: FlowStep[] = [...input.steps, { range: input.range, message: `reaches ${input.sinkLabel}` }];
  return {
    ruleId: rule.id,
    class: rule.class,
    severity: rule.severity,
    confidence: lowerConfidence(rule.confidence, input.sourceConfidence),
    cwe: rule.cwe,
    owasp: rule.owasp,
    message: fill(rule.message, { source, sink: sinkName(input.sinkLabel) }),
    fixGuidance: rule.fix,
    range: input.range,
    flow,
    fingerprint: fingerprintOf(rule.id, input.range.file, input.sinkText, input.sourceKind),
  };
}

/** A finding for a misconfiguration (no flow). */
export function configFinding(rule: Rule, range: SourceRange, text: string, detail?: string, fix?: Fix): Finding {
  const finding: Finding = {
    ruleId: rule.id,
    class: rule.class,
    severity: rule.severity,
    confidence: rule.confidence,
    cwe: rule.cwe,
    owasp: rule.owasp,
    message: fill(rule.message, { sink: text, detail: detail ?? '' }),
    fixGuidance: rule.fix,
    range,
    flow: [],
    fingerprint: fingerprintOf(rule.id, range.file, text, 'config'),
  };
  return fix === undefined ? finding : { ...finding, fix };
}

/** Findings in a stable order: file, line, column, rule. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    a.range.file.localeCompare(b.range.file) ||
    a.range.start.line - b.range.start.line ||
    a.range.start.column - b.range.start.column ||
    a.ruleId.localeCompare(b.ruleId) ||
    a.fingerprint.localeCompare(b.fingerprint)
  );
}
