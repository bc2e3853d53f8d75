import { AuthzPolicyError, compilePolicies, type CompiledPolicySet } from '@rampart/core/authz';
import type { PolicyFormat } from './repository.js';

/** One reason a document was refused: core's error code, the JSON pointer into the document, and the message. */
export interface PolicyIssue {
  readonly code: string;
  readonly path: string;
  readonly message: string;
  readonly cycle?: readonly string[];
}

/** The outcome of {@link compileDocument}. */
export type CompiledDocument = { readonly ok: true; readonly set: CompiledPolicySet } | { readonly ok: false; readonly issue: PolicyIssue };

/**
 * Parses and compiles one policy document exactly as activation will (core's `compilePolicies`: YAML 1.2 core schema
 * or JSON, closed schema, references, role cycles, CEL conditions with their cost bound). Protects against a document
 * that cannot decide ever becoming active: whatever this refuses is never stored.
 */
export function compileDocument(document: string, format: PolicyFormat): CompiledDocument {
  try {
    return { ok: true, set: compilePolicies([{ source: `policy.${format}`, text: document, format }]) };
  } catch (error) {
    if (!(error instanceof AuthzPolicyError)) throw error;
    return {
      ok: false,
      issue: { code: error.code, path: error.path, message: error.message, ...(error.cycle === undefined ? {} : { cycle: error.cycle }) },
    };
  }
}
