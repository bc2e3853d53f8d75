import { AuthzPolicyError } from '../errors.js';
import { policyDocumentValidator, type PolicyDocument } from './schema.js';
import { readDocumentText } from './text.js';

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

function parseText(source: string, text: string, format: 'yaml' | 'json'): unknown {
  const read = readDocumentText(text, format, { maxLength: MAX_POLICY_DOCUMENT_LENGTH, maxKeys: 10_000_000 });
  if (read.ok) return read.value;
  const cause = read.refusal.cause === undefined ? undefined : { cause: read.refusal.cause };
  throw new AuthzPolicyError('AUTHZ_POLICY_SYNTAX', read.refusal.message, { source }, cause);
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
