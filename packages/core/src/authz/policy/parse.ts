import { parseDocument, YAMLError } from 'yaml';
import { parseUntrustedJson } from '../../validate/index.js';
import { AuthzPolicyError } from '../errors.js';
import { policyDocumentValidator, type PolicyDocument } from './schema.js';

/** A policy document to load: its text (YAML or JSON), or a value already parsed. `source` names it in errors. */
export type PolicySource =
  | {
      readonly source: string;
      readonly text: string;
      /** Default: `json` when `source` ends in `.json`, otherwise `yaml`. */
      readonly format?: 'yaml' | 'json';
    }
  | { readonly source: string; readonly document: unknown };

/** Largest policy document text, in UTF-16 code units (a 20 000-rule document is about 2 MB). */
export const MAX_POLICY_DOCUMENT_LENGTH = 16 * 1024 * 1024;

/** YAML aliases allowed per document: enough to reuse a role list, far too few for a "billion laughs" expansion. */
const MAX_YAML_ALIASES = 100;

function parseText(source: string, text: string, format: 'yaml' | 'json'): unknown {
  if (text.length > MAX_POLICY_DOCUMENT_LENGTH) {
    throw new AuthzPolicyError('AUTHZ_POLICY_SYNTAX', `the document is longer than ${MAX_POLICY_DOCUMENT_LENGTH} characters`, { source });
  }
  if (format === 'json') {
    const parsed = parseUntrustedJson(text, { maxBytes: MAX_POLICY_DOCUMENT_LENGTH * 3, maxDepth: 32, maxKeys: 10_000_000 });
    if (!parsed.ok) throw new AuthzPolicyError('AUTHZ_POLICY_SYNTAX', `the JSON is refused (${parsed.reason})`, { source });
    return parsed.value;
  }
  try {
    // YAML 1.2 core schema: `no` stays a string, duplicate keys are errors, and an unknown tag (`!!js/function`) is a
    // warning that refuses the document here rather than a value that silently means something else.
    const document = parseDocument(text, { schema: 'core', uniqueKeys: true, merge: false, strict: true, prettyErrors: true });
    const [problem] = [...document.errors, ...document.warnings];
    if (problem !== undefined) throw problem;
    return document.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    const line = error instanceof YAMLError && error.linePos !== undefined ? ` (line ${error.linePos[0].line})` : '';
    const code = error instanceof YAMLError ? error.code : 'invalid';
    throw new AuthzPolicyError('AUTHZ_POLICY_SYNTAX', `the YAML is refused: ${code}${line}`, { source }, { cause: error });
  }
}

/**
 * Parses (YAML 1.2 or JSON) and validates one policy document against the schema (closed objects, bounded names and
 * lists). Protects against YAML alias bombs, duplicate keys, prototype-polluting keys (`__proto__` is not a name), and
 * documents that mean something else than they say (`version: 1.10` is a number, refused, not `"1.1"`).
 */
export function parsePolicyDocument(input: PolicySource): PolicyDocument {
  const { source } = input;
  const value = 'document' in input ? input.document : parseText(source, input.text, input.format ?? (source.endsWith('.json') ? 'json' : 'yaml'));
  const checked = policyDocumentValidator.check(value);
  if (!checked.ok) {
    const [issue] = checked.issues;
    const extra = issue?.property === undefined ? '' : ` (property "${issue.property}")`;
    throw new AuthzPolicyError('AUTHZ_POLICY_INVALID', `the document does not match the policy schema: ${issue?.rule ?? 'invalid'}${extra}`, {
      source,
      path: issue?.instancePath ?? '',
    });
  }
  return checked.value;
}
