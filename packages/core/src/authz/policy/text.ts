import { parseDocument, YAMLError } from 'yaml';
import { parseUntrustedJson } from '../../validate/index.js';

/** YAML aliases allowed per document: enough to reuse a list, far too few for a "billion laughs" expansion. */
const MAX_YAML_ALIASES = 100;

/** Why a document's text was refused, for the caller to wrap in its own typed error. */
export interface TextRefusal {
  readonly message: string;
  readonly cause?: unknown;
}

/**
 * Reads the text of an authorization document (a policy, a policy test file) as YAML 1.2 or JSON, with one set of
 * safe settings for both kinds of document. Protects against YAML alias bombs (aliases bounded), YAML that means
 * something else than it says (core schema: `no` stays a string; duplicate keys, merge keys and unknown tags such as
 * `!!js/function` refused), oversized input, deep nesting and JSON prototype-poisoning keys. Returns the value, or the
 * refusal without throwing so each caller raises its own typed error.
 */
export function readDocumentText(
  text: string,
  format: 'yaml' | 'json',
  limits: { readonly maxLength: number; readonly maxKeys: number },
): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly refusal: TextRefusal } {
  if (text.length > limits.maxLength) return { ok: false, refusal: { message: `the text is longer than ${limits.maxLength} characters` } };
  if (format === 'json') {
    const parsed = parseUntrustedJson(text, { maxBytes: limits.maxLength * 3, maxDepth: 32, maxKeys: limits.maxKeys });
    return parsed.ok ? { ok: true, value: parsed.value } : { ok: false, refusal: { message: `the JSON is refused (${parsed.reason})` } };
  }
  try {
    const document = parseDocument(text, { schema: 'core', uniqueKeys: true, merge: false, strict: true, prettyErrors: true });
    const [problem] = [...document.errors, ...document.warnings];
    if (problem !== undefined) throw problem;
    return { ok: true, value: document.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown };
  } catch (error) {
    const line = error instanceof YAMLError && error.linePos !== undefined ? ` (line ${error.linePos[0].line})` : '';
    const code = error instanceof YAMLError ? error.code : 'invalid';
    return { ok: false, refusal: { message: `the YAML is refused: ${code}${line}`, cause: error } };
  }
}
