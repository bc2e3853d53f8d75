import { compareText, type IgnoredFiles } from '../files.js';
import { SEVERITIES, type FileError, type Finding, type SourceRange, type Suppression } from '../types.js';
import { CLASS_DESCRIPTIONS, SARIF_LEVEL, SECURITY_SEVERITY } from './classes.js';
import type { ReviewReport } from './report.js';
import { TOOL_NAME, TOOL_VERSION } from './version.js';

/*
 * SARIF 2.1.0 (OASIS), as GitHub code scanning ingests it: rules with security-severity and tags, results with
 * relative locations under %SRCROOT%, taint paths as code flows, stable partial fingerprints so an alert survives
 * unrelated edits, in-source suppressions, and file errors as tool execution notifications.
 */

export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** The key under which results carry Rampart's fingerprint; versioned so a changed fingerprint scheme gets a new key. */
export const FINGERPRINT_KEY = 'rampartFingerprint/v1';

type Level = 'error' | 'warning' | 'note';

export interface SarifMessage {
  readonly text: string;
  readonly markdown?: string;
}

export interface SarifLocation {
  readonly physicalLocation: {
    readonly artifactLocation: { readonly uri: string; readonly uriBaseId: '%SRCROOT%' };
    readonly region?: { readonly startLine: number; readonly startColumn: number; readonly endLine: number; readonly endColumn: number };
  };
  readonly message?: SarifMessage;
}

export interface SarifRule {
  readonly id: string;
  readonly name: string;
  readonly shortDescription: SarifMessage;
  readonly fullDescription: SarifMessage;
  readonly help: SarifMessage;
  readonly helpUri?: string;
  readonly defaultConfiguration: { readonly level: Level };
  readonly properties: { readonly tags: readonly string[]; readonly 'security-severity': string; readonly precision: string; readonly 'problem.severity': string };
}

export interface SarifResult {
  readonly ruleId: string;
  readonly ruleIndex: number;
  readonly level: Level;
  readonly message: SarifMessage;
  readonly locations: readonly SarifLocation[];
  readonly codeFlows?: readonly { readonly threadFlows: readonly { readonly locations: readonly { readonly location: SarifLocation }[] }[] }[];
  readonly partialFingerprints: Readonly<Record<string, string>>;
  readonly suppressions?: readonly { readonly kind: 'inSource'; readonly justification: string; readonly location: SarifLocation }[];
  readonly properties: { readonly confidence: string; readonly class: string; readonly severity: string; readonly cwe: string; readonly owasp: string };
}

export interface SarifLog {
  readonly $schema: string;
  readonly version: '2.1.0';
  readonly runs: readonly [
    {
      readonly tool: { readonly driver: { readonly name: string; readonly version: string; readonly semanticVersion: string; readonly rules: readonly SarifRule[] } };
      readonly columnKind: 'utf16CodeUnits';
      readonly results: readonly SarifResult[];
      readonly invocations: readonly {
        readonly executionSuccessful: boolean;
        readonly toolExecutionNotifications: readonly { readonly level: Level; readonly message: SarifMessage; readonly locations?: readonly SarifLocation[] }[];
      }[];
      readonly properties: Readonly<Record<string, number>>;
    },
  ];
}

/** A root-relative path as a URI reference: each segment percent-encoded, so spaces and `#` stay part of the path. */
export function artifactUri(file: string): string {
  return file.split('/').map((segment) => encodeURIComponent(segment)).join('/');
}

function location(range: SourceRange, message?: string): SarifLocation {
  const startLine = Math.max(1, range.start.line);
  const startColumn = Math.max(1, range.start.column);
  const endLine = Math.max(startLine, range.end.line);
  const endColumn = endLine === startLine ? Math.max(startColumn + 1, range.end.column) : Math.max(1, range.end.column);
  return {
    physicalLocation: { artifactLocation: { uri: artifactUri(range.file), uriBaseId: '%SRCROOT%' }, region: { startLine, startColumn, endLine, endColumn } },
    ...(message === undefined ? {} : { message: { text: message } }),
  };
}

/** `sql-injection/string-built-query` → `SqlInjectionStringBuiltQuery` (SARIF's `name` is an identifier-like label). */
function ruleName(ruleId: string): string {
  return ruleId.split(/[^A-Za-z0-9]+/).filter((part) => part !== '').map((part) => `${part.charAt(0).toUpperCase()}${part.slice(1)}`).join('');
}

function cweUri(cwe: string): string | undefined {
  const number = /^CWE-(\d+)$/.exec(cwe)?.[1];
  return number === undefined ? undefined : `https://cwe.mitre.org/data/definitions/${number}.html`;
}

function rule(ruleId: string, findings: readonly Finding[]): SarifRule {
  // The rule's metadata comes from its findings: the most severe one sets the default level and security-severity.
  const first = findings.reduce((worst, finding) => (SEVERITIES.indexOf(finding.severity) > SEVERITIES.indexOf(worst.severity) ? finding : worst));
  const about = CLASS_DESCRIPTIONS[first.class];
  const tail = ruleId.includes('/') ? ruleId.slice(ruleId.indexOf('/') + 1).replace(/[-_]+/g, ' ') : ruleId;
  const helpUri = cweUri(first.cwe);
  const cweNumber = /^CWE-(\d+)$/.exec(first.cwe)?.[1];
  const tags = ['security', first.class, first.cwe, first.owasp, ...(cweNumber === undefined ? [] : [`external/cwe/cwe-${cweNumber}`])];
  return {
    id: ruleId,
    name: ruleName(ruleId),
    shortDescription: { text: `${about.title}: ${tail}` },
    fullDescription: { text: about.description },
    help: {
      text: `${first.fixGuidance}\n\n${first.cwe} · ${first.owasp}`,
      markdown: `**How to fix:** ${first.fixGuidance}\n\n${helpUri === undefined ? first.cwe : `[${first.cwe}](${helpUri})`} · ${first.owasp}`,
    },
    ...(helpUri === undefined ? {} : { helpUri }),
    defaultConfiguration: { level: SARIF_LEVEL[first.severity] },
    properties: {
      tags: [...new Set(tags)],
      'security-severity': SECURITY_SEVERITY[first.severity],
      precision: first.confidence === 'high' ? 'high' : first.confidence === 'medium' ? 'medium' : 'low',
      'problem.severity': SARIF_LEVEL[first.severity] === 'note' ? 'recommendation' : SARIF_LEVEL[first.severity],
    },
  };
}

function result(finding: Finding, ruleIndex: number, suppression?: Suppression): SarifResult {
  return {
    ruleId: finding.ruleId,
    ruleIndex,
    level: SARIF_LEVEL[finding.severity],
    message: { text: finding.message },
    locations: [location(finding.range)],
    ...(finding.flow.length === 0
      ? {}
      : { codeFlows: [{ threadFlows: [{ locations: finding.flow.map((step) => ({ location: location(step.range, step.message) })) }] }] }),
    partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
    ...(suppression === undefined
      ? {}
      : {
          suppressions: [{
            kind: 'inSource' as const,
            justification: suppression.reason,
            location: location({ file: suppression.file, start: { line: suppression.line, column: 1 }, end: { line: suppression.line, column: 2 } }),
          }],
        }),
    properties: { confidence: finding.confidence, class: finding.class, severity: finding.severity, cwe: finding.cwe, owasp: finding.owasp },
  };
}

function notification(error: FileError): { level: Level; message: SarifMessage; locations: SarifLocation[] } {
  const region = error.position === undefined ? undefined : { start: error.position, end: { line: error.position.line, column: error.position.column + 1 } };
  const where: SarifLocation = region === undefined
    ? { physicalLocation: { artifactLocation: { uri: artifactUri(error.file), uriBaseId: '%SRCROOT%' } } }
    : location({ file: error.file, ...region });
  return { level: 'error', message: { text: `${error.file}: ${error.message}` }, locations: [where] };
}

/** Files a `.rampart-review-ignore` kept out: a note, so a reader of the log knows the review did not cover them. */
function ignoredNotification(ignored: IgnoredFiles): { level: Level; message: SarifMessage; locations: SarifLocation[] } {
  return {
    level: 'note',
    message: { text: `${ignored.files} source file${ignored.files === 1 ? '' : 's'} not reviewed: ignored by ${ignored.ignoreFile} (each pattern there gives its reason)` },
    locations: [{ physicalLocation: { artifactLocation: { uri: artifactUri(ignored.ignoreFile), uriBaseId: '%SRCROOT%' } } }],
  };
}

/**
 * The report as a SARIF 2.1.0 log for GitHub code scanning and other SARIF consumers. Suppressed findings are included
 * with an `inSource` suppression (consumers show them as dismissed, with the reason); file errors become tool
 * execution notifications, and so do the files a `.rampart-review-ignore` left out (`note`). The review ran to
 * completion when a log is written, so `executionSuccessful` is true; a file that could not be analysed is an
 * `error`-level notification.
 */
export function sarifLog(report: ReviewReport): SarifLog {
  const { result: review } = report;
  const all: { finding: Finding; suppression?: Suppression }[] = [
    ...review.findings.map((finding) => ({ finding })),
    ...review.suppressed.map(({ finding, suppression }) => ({ finding, suppression })),
  ];
  const byRule = new Map<string, Finding[]>();
  for (const { finding } of all) byRule.set(finding.ruleId, [...(byRule.get(finding.ruleId) ?? []), finding]);
  const ruleIds = [...byRule.keys()].sort(compareText);
  const rules = ruleIds.map((id) => rule(id, byRule.get(id) ?? []));
  const indexOf = new Map(ruleIds.map((id, index) => [id, index]));
  const properties: Record<string, number> = { filesReviewed: review.filesReviewed, linesReviewed: review.linesReviewed, suppressed: review.suppressed.length };
  if (report.baseline !== undefined) {
    properties.baselined = report.baseline.baselined;
    properties.fixedSinceBaseline = report.baseline.fixed;
  }
  if (report.belowThreshold !== undefined) properties.belowThreshold = report.belowThreshold;
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: TOOL_NAME, version: TOOL_VERSION, semanticVersion: TOOL_VERSION, rules } },
        columnKind: 'utf16CodeUnits',
        results: all.map(({ finding, suppression }) => result(finding, indexOf.get(finding.ruleId) ?? 0, suppression)),
        invocations: [{ executionSuccessful: true, toolExecutionNotifications: [...review.errors.map(notification), ...(report.ignored ?? []).map(ignoredNotification)] }],
        properties,
      },
    ],
  };
}

/** `sarifLog` as the JSON text to upload. */
export function formatSarif(report: ReviewReport): string {
  return `${JSON.stringify(sarifLog(report), null, 2)}\n`;
}
