/**
 * The contract between `review`'s parts: the analysis engine produces findings, the reporters (text, JSON, SARIF),
 * the baseline, suppressions, `--fix` and the corpus bench consume them. Everything here is plain data that survives
 * `structuredClone`, because files are analysed on worker threads and results cross thread boundaries.
 */

/** How bad a finding is if it is real. Ordered: `note` < `low` < `medium` < `high` < `critical`. */
export type Severity = 'note' | 'low' | 'medium' | 'high' | 'critical';

export const SEVERITIES: readonly Severity[] = ['note', 'low', 'medium', 'high', 'critical'];

/** How sure the rule is that the finding is real (a low-confidence source such as `process.env` lowers it). */
export type Confidence = 'low' | 'medium' | 'high';

/**
 * The vulnerability classes `review` knows. A rule belongs to exactly one class; the corpus labels cases by class and
 * the bench reports precision and recall per class.
 */
export const VULNERABILITY_CLASSES = [
  'sql-injection',
  'nosql-injection',
  'ldap-injection',
  'command-injection',
  'code-injection',
  'path-traversal',
  'ssrf',
  'xss',
  'open-redirect',
  'xxe',
  'unsafe-deserialization',
  'prototype-pollution',
  'mass-assignment',
  'log-injection',
  'redos',
  'jwt-misuse',
  'hardcoded-secret',
  'weak-password-hash',
  'weak-crypto',
  'insecure-randomness',
  'insecure-cookie',
  'cors-misconfiguration',
  'tls-verification-disabled',
  'trust-proxy',
] as const;

export type VulnerabilityClass = (typeof VULNERABILITY_CLASSES)[number];

/** A position in a source file: 1-based line, 1-based column (as editors and SARIF show them). */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** A span in one file; `end` is exclusive. Paths are relative to the review's root, with `/` separators. */
export interface SourceRange {
  readonly file: string;
  readonly start: SourcePosition;
  readonly end: SourcePosition;
}

/** One step of the path untrusted data took: the source, each hop through a function or file, the sink. */
export interface FlowStep {
  readonly range: SourceRange;
  /** What happens here, for a human: "request body read", "passed to buildQuery() in db.ts", "reaches pool.query". */
  readonly message: string;
}

/** A mechanical fix `--fix` may apply: replace each range's text; the result must re-review clean and still run. */
export interface Fix {
  readonly description: string;
  readonly edits: readonly { readonly range: SourceRange; readonly text: string }[];
}

export interface Finding {
  /** The rule that fired, e.g. `sql-injection/string-built-query`. Stable: baselines and suppressions key on it. */
  readonly ruleId: string;
  readonly class: VulnerabilityClass;
  readonly severity: Severity;
  readonly confidence: Confidence;
  /** CWE identifier such as `CWE-89`. */
  readonly cwe: string;
  /** OWASP Top 10 (2021) category such as `A03:2021-Injection`. */
  readonly owasp: string;
  /** What is wrong here, in one sentence that names the data and the call. */
  readonly message: string;
  /** How to fix it: the safe API to use instead. */
  readonly fixGuidance: string;
  /** Where the dangerous call (or the misconfiguration) is; for taint findings, the sink. */
  readonly range: SourceRange;
  /** For taint findings: source first, sink last. Empty for configuration checks. */
  readonly flow: readonly FlowStep[];
  /**
   * A fingerprint that survives unrelated edits (not line numbers): rule id + file + normalized sink text + source
   * kind. Baselines store these.
   */
  readonly fingerprint: string;
  readonly fix?: Fix;
}

/** A file that could not be read or parsed. It is reported and skipped; the review goes on. */
export interface FileError {
  readonly file: string;
  readonly message: string;
  readonly position?: SourcePosition;
}

/** A suppression comment found in the code, and whether it carried the reason it must have. */
export interface Suppression {
  readonly file: string;
  readonly line: number;
  readonly ruleId: string;
  readonly reason: string;
}

export interface ReviewResult {
  readonly findings: readonly Finding[];
  /** Findings silenced by an inline suppression with a reason; reporters may list them. */
  readonly suppressed: readonly { readonly finding: Finding; readonly suppression: Suppression }[];
  readonly errors: readonly FileError[];
  readonly filesReviewed: number;
  readonly linesReviewed: number;
}

export function severityAtLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}
