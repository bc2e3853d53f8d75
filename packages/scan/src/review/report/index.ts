// The reporters: one review result, three renderings (text for people, JSON for scripts, SARIF for code scanning).
export { CLASS_DESCRIPTIONS, SARIF_LEVEL, SECURITY_SEVERITY, type ClassDescription } from './classes.js';
export { formatJson } from './json.js';
export type { ReviewReport } from './report.js';
export { artifactUri, FINGERPRINT_KEY, formatSarif, SARIF_SCHEMA, sarifLog, type SarifLog } from './sarif.js';
export { formatFixes, formatText, summaryLine, wantsColor, type TextReportOptions } from './text.js';
export { TOOL_NAME, TOOL_VERSION } from './version.js';
