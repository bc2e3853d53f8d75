import { readFileSync } from 'node:fs';
import { compilePolicies, type CompilePoliciesOptions } from './policy/compile.js';
import type { CompiledPolicySet } from './policy/types.js';

/**
 * The worked example of the README: a multi-tenant document API. Viewers read, editors edit, owners edit their own
 * documents, admins do everything including the admin-only `purge`; a locked document cannot be changed by anyone;
 * profiles have field-level rules (a user may change their display name, only an admin their role).
 */
export const DOCUMENTS_POLICY = readFileSync(new URL('./testing/examples/documents.yaml', import.meta.url), 'utf8');

export function documentsPolicy(options: CompilePoliciesOptions = {}): CompiledPolicySet {
  return compilePolicies([{ source: 'documents.yaml', text: DOCUMENTS_POLICY }], options);
}

/** A fixed request time for conditions, so tests never depend on the wall clock. */
export const FIXED_TIME = new Date('2026-01-15T12:00:00Z');
